"""The treatment experiments' main effects point the way they should (issue 14), small.

One sweep of ``configs/treatment_cohort.yaml`` on three virtual patients (the
cohort's draws of network seed, weight, PK and severity), every arm of a
patient paired with its drug-free arms: the same settled network (one settle
per patient and network, ``shared/``) and the same random streams. Sparser
than the experiments in ``experiments/`` so the suite stays short: the
stressed network settles for the config's 120 days on windows every 20 days
instead of daily, windows come every 48 h instead of 24 h away from doses and
every 3 h instead of 30 min for the 6 h after each. Readout: the fraction of
the stress-induced synapse loss restored (:mod:`plasticity.analysis.treatment`),
minus the patient's drug-free arm (one zero dose at day 0, followed for 13
days); the placebo of the cohort comparison is that arm read at the fixed
plan's response times.

The directions and thresholds were fixed before any of the experiments was
run (closing note of stop 26), each the direction of an experiment's main
effect:

- dose (``experiments/dose_duration.py``; Fava et al. 2018: 0.5 and
  1.0 mg/kg effective, 0.1 not clearly): the mean 24 h gain at 1.0 mg/kg and
  at 0.5 mg/kg (40 min) each exceed the gain at 0.1 mg/kg;
- repeats (``experiments/repeated_infusions.py``; Murrough et al. 2013,
  Shiroma et al. 2014): the gain 24 h after the 6th infusion of three a week
  exceeds the gain 24 h after one infusion, paired by patient, mean > 0;
- cohort (``experiments/treatment_cohort.py``): fewer patients respond
  (response >= 0.5 of the loss restored) by the 6th saline session than by
  the 6th infusion of the fixed plan.

The slow comparator's direction (``experiments/slow_comparator.py``: at 24 h
ketamine's gain exceeds the SSRI-like course's; at 28 days the SSRI-like
gain is > 0 and larger than at 24 h) needs two more arms followed for 28
days, and the hypotheses' directions (``experiments/hypotheses_side_by_side.py``: the
pyramidal rate 30 min into the infusion rises more under disinhibition than
under block at rest; rapamycin keeps less than 20 % of the 24 h gain) need an
arm, a settle and a network build per hypothesis and knockout: more than the
suite's time allows. They were measured once in this design with those arms
(README, "Treatment planning": slow comparator, pass; disinhibition +0.75 Hz
against block at rest -0.04 Hz, pass; rapamycin kept 0.55 of the gain, a miss
at three patients). Rapamycin's
criterion is tested on the single-infusion network
(``tests/test_single_infusion.py``, criterion 6).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import plasticity
import plasticity.sweep
from plasticity.analysis import restored_at
from plasticity.sweep.directory import read_manifest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.science]

THREE_A_WEEK = [0, 2, 4, 7, 9, 11]


def _arm(dose: float, days=(0,), follow_up: str = "2 day", **extra) -> dict:
    policy = {"name": "fixed", "days": list(days), "dose_mg_per_kg": dose,
              "duration_min": 40, "response_threshold": 0.5}
    return {"treatment.policy": policy, "treatment.follow_up": follow_up, **extra}


ARMS = {
    "drug-free": _arm(0.0, follow_up="13 day"),
    "0.1": _arm(0.1),
    "0.5": _arm(0.5),
    "1.0": _arm(1.0),
    "3/week": _arm(0.5, THREE_A_WEEK),
}


@pytest.fixture(scope="module")
def arms(tmp_path_factory):
    raw = plasticity.load_config(ROOT / "configs/treatment_cohort.yaml", [
        "cohort.patients=3", "treatment.settle_window_every=20 day",
        "timeline.window_every=48 h", "timeline.dense_every=3 h"]).model_dump(mode="json")
    raw["sweep"] = {"points": list(ARMS.values())}
    out = plasticity.sweep.run(raw, tmp_path_factory.mktemp("directions") / "sweep",
                               workers=1)
    swept = {k for value in ARMS.values() for k in value}
    results: dict[tuple[str, int], plasticity.Result] = {}
    for point in read_manifest(out)["points"]:
        arm = next(name for name, value in ARMS.items()
                   if all(point["params"].get(k) == value.get(k) for k in swept))
        results[arm, point["seed"]] = plasticity.open_result(
            out / "points" / f"{point['id']}.h5")
    seeds = sorted({seed for _, seed in results})
    assert len(seeds) == 3 and len(results) == 3 * len(ARMS)
    return results, seeds


def _gains(arms, arm: str, day: float, versus: str = "drug-free") -> np.ndarray:
    results, seeds = arms
    return np.array([restored_at(results[arm, s], day, versus=results[versus, s])
                     for s in seeds])


def test_dose_the_24_h_gain_at_0_5_and_1_0_exceeds_the_gain_at_0_1(arms):
    low = _gains(arms, "0.1", 1.0).mean()
    assert _gains(arms, "1.0", 1.0).mean() > low
    assert _gains(arms, "0.5", 1.0).mean() > low


def test_repeats_six_infusions_restore_more_than_one(arms):
    six = _gains(arms, "3/week", THREE_A_WEEK[-1] + 1.0)
    one = _gains(arms, "0.5", 1.0)
    assert np.mean(six - one) > 0, (six, one)


def test_cohort_fewer_respond_to_saline_than_to_the_fixed_plan(arms):
    results, seeds = arms
    # the drug-free arm read as the fixed plan reads its responses: 24 h after each session
    placebo = sum(any(restored_at(results["drug-free", s], day + 1.0) >= 0.5
                      for day in THREE_A_WEEK) for s in seeds)
    fixed = sum(results["3/week", s].summary["responded"] for s in seeds)
    assert placebo < fixed, (placebo, fixed)

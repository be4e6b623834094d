"""A patient's chain of sessions (plasticity.simulation.treatment, issue 14).

The independent check: a chain of pieces, each a run from the state the one
before left, under a fixed schedule must equal ONE run of the same windows
with every infusion in its protocol (same synapse counts at every clinical
update, bit for bit; elements to rounding). Then: what a titration chain
records (doses from the recorded responses by the policy's rule, worked out
here by hand), resume from kept pieces, and the config's rules.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest

import plasticity
from plasticity.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

# the shipped cohort's network (the 400-cell one of tests/test_single_infusion.py), daily
# windows away from doses (every 2 h for 6 h after each, to keep the tests short); its
# cohort and treatment sections off unless a test sets one
BASE = ["cohort=null", "treatment=null", "timeline.start=-1 day", "timeline.dense_every=2 h"]
FIXED = ("treatment={policy: {name: fixed, days: [0, 2]}, settle: 8 day, "
         "settle_window_every: 4 day, follow_up: 3 day}")
# responds never (threshold 10): the dose rises by a step each session up to the cap
TITRATION = ("treatment={policy: {name: titration, dose_mg_per_kg: 0.25, step_mg_per_kg: 0.25, "
             "max_dose_mg_per_kg: 0.5, min_dose_mg_per_kg: 0.25, interval_day: 2, "
             "response_threshold: 10, stop: {max_sessions: 3}}, settle: 8 day, "
             "settle_window_every: 4 day, follow_up: 2 day, limits: {peak_plasma: 0.5 uM}}")


def _config(*overrides):
    return plasticity.load_config(ROOT / "configs/treatment_cohort.yaml", [*BASE, *overrides])


@pytest.fixture(scope="module")
def chains(tmp_path_factory):
    out = tmp_path_factory.mktemp("treatment")
    fixed = plasticity.open_result(plasticity.run(_config(FIXED, "name=fixed"),
                                                  out / "fixed.h5"))
    # with an edge-list snapshot every window (for the notebook's re-formation sites)
    titration = plasticity.open_result(plasticity.run(
        _config(TITRATION, "name=titration", "structural.snapshot_interval=1 s"),
        out / "titration.h5"))
    return out, fixed, titration


@pytest.mark.slow
def test_a_chain_equals_one_run_of_its_windows_with_every_infusion(chains):
    out, fixed, _ = chains
    windows_h = fixed.series("timeline")["clinical_start_h"].values
    windows = ", ".join(f"{float(h) * 3600!r} s" for h in windows_h)
    single = _config(
        "name=single", "timeline.start=-216 h", "timeline.end=120 h",
        f"timeline.windows=[{windows}]",
        "pharmacology.protocol.infusions=[{start: 0 h, dose: 0.5 mg/kg, duration: 40 min}, "
        "{start: 48 h, dose: 0.5 mg/kg, duration: 40 min}]")
    one = plasticity.open_result(plasticity.run(single, out / "single.h5"))
    a, b = fixed.series("clinical"), one.series("clinical")
    np.testing.assert_array_equal(a["clinical_time_h"].values, b["clinical_time_h"].values)
    np.testing.assert_array_equal(a["n_syn_exc_to_exc"].values, b["n_syn_exc_to_exc"].values)
    np.testing.assert_array_equal(a["formed_exc_to_exc"].values, b["formed_exc_to_exc"].values)
    fa, fb = fixed.final_state(), one.final_state()
    assert set(fa) == set(fb)
    for key in fa:
        np.testing.assert_allclose(fa[key], fb[key], rtol=1e-9, atol=1e-9, err_msg=key)
    # and the drug did something in this chain (else the equality would say little)
    sessions = fixed.series("sessions")
    assert np.all(sessions["peak_plasma_uM"].values > 0.5)


@pytest.mark.slow
def test_a_fixed_chain_records_each_session_and_its_response(chains):
    _, fixed, _ = chains
    s = fixed.series("sessions")
    np.testing.assert_array_equal(s["start_day"].values, [0.0, 2.0])
    np.testing.assert_array_equal(s["dose_mg_per_kg"].values, [0.5, 0.5])
    summary = fixed.summary
    control, base = summary["n_syn_control"], summary["n_syn_baseline"]
    assert control > base  # the settle under stressed turnover lost synapses
    # the response is the fraction of that loss back when it is read
    expected = (s["n_syn_at_response"].values - base) / (control - base)
    np.testing.assert_allclose(s["response"].values, expected)
    clinical = fixed.series("clinical")
    t = clinical["clinical_time_h"].values
    n = clinical["n_syn_exc_to_exc"].values
    for day, count in zip(s["start_day"].values, s["n_syn_at_response"].values, strict=True):
        assert n[np.nonzero(t <= day * 24 + 24 + 1e-9)[0][-1]] == count
    assert np.isnan(s["chosen_after_response"].values[0])
    assert s["chosen_after_response"].values[1] == s["response"].values[0]
    assert summary["n_sessions"] == 2 and summary["total_dose_mg_per_kg"] == 1.0
    assert fixed.provenance["treatment_policy"].startswith("fixed(")


@pytest.mark.slow
def test_a_titration_chain_raises_the_dose_after_each_non_response_up_to_the_cap(chains):
    _, _, titration = chains
    s = titration.series("sessions")
    assert np.all(s["response"].values < 10)
    # by hand: 0.25, then +0.25 after a non-response, then capped at 0.5
    np.testing.assert_allclose(s["dose_mg_per_kg"].values, [0.25, 0.5, 0.5])
    np.testing.assert_allclose(s["start_day"].values, [0.0, 2.0, 4.0])
    peaks = s["peak_plasma_uM"].values
    assert peaks[1] > 1.9 * peaks[0]  # twice the dose, two days of washout (t1/2 < 3 h)
    summary = titration.summary
    assert summary["max_peak_plasma_uM"] == pytest.approx(peaks.max())
    assert summary["peak_limit_exceeded"] == float(peaks.max() > 0.5)
    assert summary["responded"] == 0 and np.isnan(summary["first_response_session"])
    assert "max_sessions 3" in titration.provenance["treatment_stop"]


@pytest.mark.slow
def test_the_single_infusion_notebook_walks_through_a_chain(chains, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    _, _, titration = chains
    assert titration.snapshot_pathways == ["exc_to_exc"]
    n_windows = len(titration.series("timeline")["clinical_start_h"])
    assert titration.snapshot("exc_to_exc", n_windows - 1)[0] > 0  # one per window, merged
    notebook = nbformat.read(ROOT / "experiments/single_infusion_analysis.ipynb", as_version=4)
    os.environ["PLASTICITY_RESULT"] = str(titration.path)
    try:
        nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.pop("PLASTICITY_RESULT")
    text = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert "snapshots of exc_to_exc" in text and "chance" in text
    assert "dose_mg_per_kg" in text  # the sessions table
    figures = sum("image/png" in o.get("data", {}) for c in notebook.cells
                  if c.cell_type == "code" for o in c.outputs)
    assert figures >= 4


@pytest.mark.slow
def test_a_killed_chain_resumes_from_its_finished_pieces(chains, tmp_path, monkeypatch, caplog):
    from plasticity.simulation import treatment

    _, fixed, _ = chains
    config = _config(FIXED, "name=fixed")
    path = tmp_path / "fixed.h5"

    def die(*args, **kwargs):
        raise KeyboardInterrupt("killed while writing the patient's file")

    with monkeypatch.context() as m, caplog.at_level(
            logging.DEBUG, logger="plasticity.simulation.simulate"):
        m.setattr(treatment, "_write_patient", die)
        with pytest.raises(KeyboardInterrupt):
            plasticity.run(config, path)
    assert not path.exists()
    assert len(list(treatment.sessions_dir(path).glob("piece_*.h5"))) == 5
    # the network's code was generated for the first piece only, the others ran on its
    # objects (simulate.reusing_builds), and nothing is kept once the chain has ended
    messages = [r.getMessage() for r in caplog.records]
    assert sum("objects of the last batch reused" in m for m in messages) == 4
    assert sum(" generated" in m for m in messages) == 1
    from brian2.devices.device import all_devices
    assert not all_devices["cpp_standalone"].code_objects
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="plasticity.simulation.treatment"):
        again = plasticity.open_result(plasticity.run(config, path))
    assert sum("reused from" in r.getMessage() for r in caplog.records) == 5
    np.testing.assert_array_equal(again.series("clinical")["n_syn_exc_to_exc"].values,
                                  fixed.series("clinical")["n_syn_exc_to_exc"].values)
    assert not treatment.sessions_dir(path).exists()


@pytest.mark.parametrize(("overrides", "message"), [
    (["treatment={settle: 0 day}"], "needs treatment.settle > 0"),
    (["treatment={settle: 2 day, follow_up: 12 h}"], "must be longer than treatment.response_at"),
    (["treatment={settle: 2 day, response_at: 10 min}"], "whole number of structural"),
    (["treatment={settle: 2 day, policy: {name: fixed, dose: 1}}"],
     "treatment.policy: dose: not a parameter of policy 'fixed'"),
    (["treatment={settle: 2 day}", "pharmacology.protocol.repeat={count: 2, every: 48 h}"],
     "without 'repeat'"),
    (["treatment={settle: 2 day}", "timeline.mode=windows", "timeline.windows=[0 h]",
      "timeline.end=null"], "runs on the clinical clock"),
    (["record.spikes=false"], "record.spikes false"),
    (["timeline.continues=true", "timeline.mode=windows", "timeline.windows=[0 h]",
      "timeline.end=null"], "'continues' is a clinical-clock option"),
])
def test_bad_treatment_configs_are_refused_in_one_line(overrides, message):
    with pytest.raises(ConfigError, match=message):
        _config(*overrides)


@pytest.mark.slow
def test_a_policy_that_does_not_wait_for_the_response_is_refused(tmp_path):
    config = _config("treatment={policy: {name: fixed, days: [0, 0.5]}, response: "
                     "relative_gain, follow_up: 2 day}", "name=hasty")
    with pytest.raises(ValueError, match="before the response of the previous session"):
        plasticity.run(config, tmp_path / "hasty.h5")
    assert not (tmp_path / "hasty.h5").exists()


def test_the_ssri_like_course_of_the_tone_has_the_closed_form_mean():
    # factor 2, time constant 10 days, from day 0: over the first 10 days the mean of
    # 1 + (1 - exp(-t/10)) is 1 + exp(-1); before the start, 1; long after, nearly 2
    config = _config("structural.turnover.formation_course={start: 0 day, factor: 2, "
                     "time_constant: 10 day}")
    course = config.structural.turnover.formation_course
    day = 86400.0
    assert course.mean_factor(0.0, 10 * day) == pytest.approx(1 + np.exp(-1), rel=1e-12)
    assert course.mean_factor(-5 * day, 0.0) == 1.0
    # half the interval before the start: half the mean of the first 5 days
    first5 = 1 + (5 - 10 * (1 - np.exp(-0.5))) / 5
    assert course.mean_factor(-5 * day, 5 * day) == pytest.approx(1 + (first5 - 1) / 2)
    assert course.mean_factor(200 * day, 201 * day) == pytest.approx(2.0, abs=1e-8)
    turnover = config.structural.turnover
    assert turnover.formation_s(0.0, 10 * day) == pytest.approx(
        float(turnover.constitutive_formation) * (1 + np.exp(-1)))


@pytest.mark.slow
@pytest.mark.parametrize("refresh", ["24 h", "0 s"])
def test_windows_between_refreshes_keep_the_cells_relative_rates(tmp_path, refresh):
    """``structural.rate_refresh``: dense windows after a refresh leave the relative rates.

    A run that ends after the refreshing window at 0 h and one with two more windows
    (1 h and 2 h, the drug running) hold the same relative rates with a 24 h refresh;
    taking every window in (0 s), the two differ.
    """
    def relative(windows: str, end: str):
        config = _config(f"structural.rate_refresh={refresh}", "timeline.start=-24 h",
                         f"timeline.end={end}", f"timeline.windows=[{windows}]")
        path = plasticity.run(config, tmp_path / f"until_{end.replace(' ', '')}.h5")
        return plasticity.open_result(path).final_state()["relative_rate/exc"]

    short = relative("-24 h, 0 h", "1 h")
    dense = relative("-24 h, 0 h, 1 h, 2 h", "3 h")
    if refresh == "24 h":
        np.testing.assert_array_equal(dense, short)
    else:
        assert not np.array_equal(dense, short)


@pytest.mark.slow
def test_a_fitted_surge_is_zero_without_drug_and_follows_the_drug(tmp_path):
    """``signalling.surge_input: fitted``: saline windows, dense as they are, give no surge.

    The window-to-window noise of this network's AMPA current (about 3 %) is above the
    2 % threshold; with the window's own excess (``window``) saline windows made surges.
    The fitted part ``k C`` is zero without drug, and positive while the drug is there.
    """
    def signal(dose: str, surge: str):
        config = _config(f"signalling.surge_input={surge}", "timeline.start=-24 h",
                         "timeline.end=3 h",
                         f"pharmacology.protocol.infusions=[{{start: 0 h, dose: {dose}, "
                         "duration: 40 min}]")
        path = plasticity.run(config, tmp_path / f"{surge}_{dose.split()[0]}.h5")
        return plasticity.open_result(path).series("clinical")

    saline = signal("0 mg/kg", "fitted")
    assert np.all(saline["signal_ampa_excess"].values == 0)
    assert np.all(saline["signal_mtor"].values == 0)
    drug = signal("0.5 mg/kg", "fitted")
    t = drug["clinical_time_h"].values
    during = (t > 0) & (t < 1)
    assert np.all(drug["signal_ampa_excess"].values[t <= 0] == 0)
    assert drug["signal_ampa_excess"].values[during].max() > 0.02  # above the threshold
    assert drug["signal_mtor"].values[t > 1].max() > 0

"""Virtual patient cohorts (plasticity.sweep.cohort, issue 14): sampling and sweeps.

The draws are checked against the distributions' own closed forms (moments of
the lognormal with omega^2 = ln(1 + cv^2), the severity interpolation written
out), and a cohort of two patients runs end to end on the local executor and
on the test Slurm, each patient a chain of sessions whose file records the
doses and responses.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from plasticity.errors import ConfigError
from plasticity.sweep.cohort import parse_cohort, patient_table, sample_patients
from plasticity.sweep.design import plan_from_mapping
from tests.test_sweep_executors import plasticity_cli, slurm  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[1]

SPEC = {
    "patients": 4000, "seed": 5,
    "parameters": {
        "pharmacology.protocol.weight": {"distribution": "normal", "mean": "80 kg",
                                         "sd": "17 kg", "low": "45 kg", "high": "140 kg"},
        "pharmacology.protocol.individual.clearance": {"distribution": "lognormal",
                                                       "cv": 0.381},
        "pharmacology.protocol.individual.v_central": {"distribution": "uniform",
                                                       "low": 0.5, "high": 2.0},
    },
    "severity": {"distribution": {"distribution": "uniform", "low": 0.5, "high": 1.5},
                 "keys": {"structural.turnover.constitutive_formation":
                          {"control": "1.416 /day", "stressed": "1.274 /day"}}},
}


def _number(value):
    return float(str(value).split()[0])


def test_draws_follow_their_distributions():
    rows = patient_table(parse_cohort(SPEC), base_seed=1)
    assert len(rows) == 4000
    cl = np.array([r["pharmacology.protocol.individual.clearance"] for r in rows])
    omega = math.sqrt(math.log(1 + 0.381**2))  # the lognormal of a CV of 38.1 %
    assert np.std(np.log(cl)) == pytest.approx(omega, rel=0.05)
    assert np.median(cl) == pytest.approx(1.0, abs=0.03)
    assert np.std(cl) / np.mean(cl) == pytest.approx(0.381, rel=0.07)
    weight = np.array([_number(r["pharmacology.protocol.weight"]) for r in rows])
    assert weight.min() >= 45 and weight.max() <= 140
    # the mean of a normal truncated to [a, b]: mu + sd (phi(alpha) - phi(beta)) / Z
    alpha, beta = (45 - 80) / 17, (140 - 80) / 17
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    mean = 80 + 17 * (phi(alpha) - phi(beta)) / (cdf(beta) - cdf(alpha))
    assert np.mean(weight) == pytest.approx(mean, abs=3 * 17 / math.sqrt(4000))
    assert all(str(r["pharmacology.protocol.weight"]).endswith(" kg") for r in rows)
    v1 = np.array([r["pharmacology.protocol.individual.v_central"] for r in rows])
    assert v1.min() >= 0.5 and v1.max() <= 2.0
    # severity: control + s (stressed - control), s uniform in [0.5, 1.5]
    for r in rows[:50]:
        s = r["severity"]
        expected = 1.416 + s * (1.274 - 1.416)
        assert _number(r["structural.turnover.constitutive_formation"]) == pytest.approx(
            expected, rel=1e-5)
    severity = np.array([r["severity"] for r in rows])
    assert severity.min() >= 0.5 and severity.max() <= 1.5
    assert len({r["seed"] for r in rows}) == 4000  # every patient its own network and noise


def test_the_same_section_gives_the_same_patients_and_adding_a_parameter_changes_no_other():
    spec = parse_cohort({**SPEC, "patients": 20})
    a, b = sample_patients(spec, 1), sample_patients(spec, 1)
    assert a == b
    more = dict(SPEC, patients=20, parameters={
        **SPEC["parameters"], "pharmacology.protocol.individual.intercompartmental":
            {"distribution": "lognormal", "cv": 0.19}})
    c = sample_patients(parse_cohort(more), 1)
    for x, y in zip(a, c, strict=True):
        assert {k: y[k] for k in x} == x
    other = sample_patients(parse_cohort({**SPEC, "patients": 20, "seed": 6}), 1)
    assert [r["seed"] for r in other] != [r["seed"] for r in a]


@pytest.mark.parametrize(("change", "message"), [
    ({"patients": 0}, "cohort.patients"),
    ({"parameters": {"x.y": {"distribution": "gamma"}}}, "distribution"),
    ({"parameters": {"x.y": {"distribution": "normal", "mean": 1}}}, "needs sd"),
    ({"parameters": {"x.y": {"distribution": "uniform", "low": "1 kg", "high": "2 g"}}},
     "same unit"),
    ({"parameters": {"x.y": {"distribution": "uniform", "low": 2, "high": 1}}},
     "must be below high"),
    ({"parameters": {"x.y": {"distribution": "uniform", "low": 0, "high": 1, "cv": 1}}},
     "does not use cv"),
    ({"parameters": {"seed": {"distribution": "uniform", "low": 0, "high": 1}}},
     "'seed' is drawn for every patient"),
    ({"unknown": 1}, "cohort.unknown"),
])
def test_bad_cohorts_are_refused_in_one_line(change, message):
    with pytest.raises(ConfigError, match=message):
        parse_cohort({**SPEC, **change})


def _treatment_config(patients: int = 2) -> dict:
    raw = yaml.safe_load((ROOT / "configs/treatment_cohort.yaml").read_text())
    raw["cohort"]["patients"] = patients
    # short chains: 2 days of settling, one session, 2 days of follow-up
    raw["treatment"].update(settle="2 day", settle_window_every="2 day", follow_up="2 day")
    raw["treatment"]["policy"] = {"name": "fixed", "days": [0]}
    raw["timeline"].update(dense_after_dose="1 h")
    return raw


def test_a_cohort_is_one_point_per_patient_and_crosses_a_sweep():
    raw = _treatment_config(patients=3)
    plan = plan_from_mapping(raw)
    assert len(plan.points) == 3 and len(plan.patients) == 3
    assert [p.seed for p in plan.points] == [r["seed"] for r in plan.patients]
    raw["sweep"] = {"grid": {"treatment.policy": [{"name": "fixed", "days": [0]},
                                                 {"name": "titration"}]}}
    plan = plan_from_mapping(raw)
    assert len(plan.points) == 6
    # the same patients under both policies (paired comparisons)
    by_policy = {}
    for p in plan.points:
        by_policy.setdefault(p.params["treatment.policy"]["name"], []).append(p.seed)
    assert by_policy["fixed"] == by_policy["titration"]
    raw["sweep"] = {"grid": {"pharmacology.protocol.weight": ["60 kg", "90 kg"]}}
    with pytest.raises(ConfigError, match="which the cohort draws for every patient"):
        plan_from_mapping(raw)


def _check_cohort_sweep(out: Path, n: int) -> None:
    from plasticity import load_sweep, open_result

    table = load_sweep(out)
    assert len(table) == n and set(table["state"]) == {"done"}
    assert (table["n_sessions"] == 1).all()
    for path in sorted((out / "points").glob("*.h5")):
        sessions = open_result(path).series("sessions")
        assert sessions["dose_mg_per_kg"].values.tolist() == [0.5]
        assert np.isfinite(sessions["response"].values).all()
    with h5py.File(out / "index.h5", "r") as f:
        assert list(f["table/state"].asstr()[:]) == ["done"] * n


@pytest.mark.slow
def test_a_cohort_runs_end_to_end_on_the_local_executor(tmp_path):
    config = tmp_path / "cohort.yaml"
    config.write_text(yaml.safe_dump(_treatment_config(), sort_keys=False))
    proc = plasticity_cli("sweep", config, "-o", tmp_path / "out", "--workers", "2", "-q")
    assert proc.returncode == 0, proc.stderr
    _check_cohort_sweep(tmp_path / "out", 2)
    # the cohort notebook walks through it
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(ROOT / "experiments/cohort_analysis.ipynb", as_version=4)
    os.environ["PLASTICITY_COHORT"] = str(tmp_path / "out")
    try:
        nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.pop("PLASTICITY_COHORT")
    figures = sum("image/png" in o.get("data", {}) for c in notebook.cells
                  if c.cell_type == "code" for o in c.outputs)
    assert figures >= 2


@pytest.mark.slow
def test_a_cohort_runs_end_to_end_on_slurm(slurm, tmp_path):  # noqa: F811 - the fixture
    config = tmp_path / "cohort.yaml"
    config.write_text(yaml.safe_dump(_treatment_config(), sort_keys=False))
    out = tmp_path / "out"
    proc = plasticity_cli("sweep", config, "-o", out, "--executor", "slurm", "--time",
                          "00:15:00", "--wait", timeout=1200,
                          env={**os.environ, "LD_BIND_NOW": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "submitted array job" in proc.stdout
    _check_cohort_sweep(out, 2)


@pytest.mark.slow
def test_the_arms_of_a_patient_share_one_settle_and_equal_a_chain_run_alone(tmp_path):
    """A sweep's points settle each patient once (``shared/``), and sharing changes nothing.

    Two arms (0.5 mg/kg and saline) of one patient, settled over 4 days: the sweep
    keeps one settle piece, and the drug arm's file equals the same config run on its
    own (its own settle, a fresh process state), bit for bit on the clinical updates
    and the responses.
    """
    import plasticity
    import plasticity.sweep
    from plasticity.sweep.design import point_config
    from plasticity.sweep.directory import read_manifest

    raw = _treatment_config(patients=1)
    raw["treatment"].update(settle="4 day", settle_window_every="2 day")
    raw["sweep"] = {"points": [
        {"treatment.policy": {"name": "fixed", "days": [0], "dose_mg_per_kg": 0.5}},
        {"treatment.policy": {"name": "fixed", "days": [0], "dose_mg_per_kg": 0.0}}]}
    out = plasticity.sweep.run(raw, tmp_path / "out", workers=1)
    assert sorted(p.name for p in (out / "shared").glob("*.h5")) == [
        p.name for p in (out / "shared").glob("settle_*.h5")]
    assert len(list((out / "shared").glob("settle_*.h5"))) == 1
    manifest = read_manifest(out)
    drug = next(p for p in manifest["points"]
                if p["params"]["treatment.policy"]["dose_mg_per_kg"] == 0.5)
    placebo = next(p for p in manifest["points"] if p is not drug)
    alone = plasticity.open_result(plasticity.run(
        point_config(manifest["base"], drug["params"], drug["seed"]), tmp_path / "alone.h5"))
    swept = plasticity.open_result(out / "points" / f"{drug['id']}.h5")
    a, b = swept.series("clinical"), alone.series("clinical")
    np.testing.assert_array_equal(a["clinical_time_h"].values, b["clinical_time_h"].values)
    np.testing.assert_array_equal(a["n_syn_exc_to_exc"].values, b["n_syn_exc_to_exc"].values)
    np.testing.assert_array_equal(swept.series("sessions")["response"].values,
                                  alone.series("sessions")["response"].values)
    # the placebo arm started from the same settled network: equal up to the lead-in's end
    c = plasticity.open_result(out / "points" / f"{placebo['id']}.h5").series("clinical")
    before = a["clinical_time_h"].values < -float(raw["treatment"]["lead_in"].split()[0]) * 24
    assert before.sum() >= 2
    np.testing.assert_array_equal(a["n_syn_exc_to_exc"].values[before],
                                  c["n_syn_exc_to_exc"].values[:before.sum()])

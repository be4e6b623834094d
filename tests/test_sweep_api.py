"""The Python sweep API (``plasticity.sweep.run``), as Mesa's ``batch_run`` is for Mesa.

Uses the small test network (tests/conftest.py SMALL), whose compiled
program the rest of the suite shares.
"""

from __future__ import annotations

import numpy as np
import pytest

import plasticity
import plasticity.sweep
from plasticity.errors import UserInputError
from plasticity.sweep.directory import point_states, read_log

BASE = {"name": "apitest", "network": {"n_exc": 80, "n_pv": 16, "n_sst": 8},
        "simulation": {"duration": "300 ms", "warmup": "50 ms"}}


@pytest.fixture(scope="module")
def api_sweep(tmp_path_factory):
    """Two doses from a mapping, run with the local executor, one worker."""
    out = tmp_path_factory.mktemp("api") / "dose"
    config = {**BASE, "sweep": {"grid": {"pharmacology.ketamine_uM": [0, 30]}}}
    directory = plasticity.sweep.run(config, out, executor="local", workers=1)
    return config, directory


def test_run_returns_the_sweep_directory_with_every_point_done(api_sweep):
    _, directory = api_sweep
    assert directory.is_dir() and (directory / "index.h5").is_file()
    states = point_states(directory)
    assert len(states) == 2 and all(s == "done" for s, _ in states.values())
    ds = plasticity.load_sweep(directory)
    doses = ds["pharmacology.ketamine_uM"].to_numpy()
    assert list(doses) == [0, 30]
    # the drug reached the network: the mean concentration each point reports is its dose
    ket = ds["ketamine_uM"].isel(replicate=0).to_numpy()
    np.testing.assert_allclose(ket, [0.0, 30.0], rtol=1e-9)
    # 30 uM blocks interneuron NMDA receptors far more than 0 uM (Kotermanski & Johnson
    # 2009 IC50s are single-digit uM): the block readout must differ by a wide margin
    block = ds["nmda_block_exc_to_pv"].isel(replicate=0).to_numpy()
    assert block[0] < 0.01 and block[1] > 0.5


def test_rerun_resumes_and_runs_nothing_twice(api_sweep):
    config, directory = api_sweep
    before = [e for e in read_log(directory) if e["event"] == "started"]
    assert plasticity.sweep.run(config, directory, executor="local", workers=1) == directory
    after = [e for e in read_log(directory) if e["event"] == "started"]
    assert len(after) == len(before) == 2


def test_a_config_object_and_a_file_give_the_same_points(tmp_path):
    import yaml

    raw = {**BASE, "sweep": {"replicates": 2, "grid": {"pharmacology.ketamine_uM": [0, 1]}}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(raw))
    from_file = plasticity.sweep.api.plan(path)
    from_config = plasticity.sweep.api.plan(plasticity.load_config(raw))
    assert [p.id for p in from_file.points] == [p.id for p in from_config.points]
    assert len(from_file.points) == 4


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"executor": "pbs"}, "executor 'pbs'"),
    ({"workers": 0}, "workers 0"),
    ({"executor": "slurm", "slurm": {"throttle": 0}}, "throttle 0"),
    ({"executor": "slurm", "slurm": {"nodes": 2}}, "slurm setting 'nodes'"),
])
def test_bad_arguments_are_user_errors_naming_the_value(tmp_path, kwargs, message):
    config = {**BASE, "sweep": {"grid": {"pharmacology.ketamine_uM": [0]}}}
    with pytest.raises(UserInputError, match=message):
        plasticity.sweep.run(config, tmp_path / "out", **kwargs)


def test_a_config_without_sweep_is_refused(tmp_path):
    with pytest.raises(UserInputError, match="no sweep or cohort section"):
        plasticity.sweep.run(BASE, tmp_path / "out")


def test_points_start_from_the_state_of_sweep_initial_state(tmp_path):
    """Every point of a sweep with ``initial_state`` starts from that result's final state
    (the synapses it ends with are mostly the state's, not a fresh network's), the
    manifest pins the file by its SHA-256, and a changed file fails the points."""
    from plasticity.sweep.design import file_digest
    from plasticity.sweep.directory import read_manifest

    structural = {**BASE, "synapses": {"nmda_gating": "event"},
                  "structural": {"enabled": True, "update_interval": "100 ms"},
                  "timeline": {"mode": "real_time"}}
    # the source: a network of another seed (other random synapses than the points' own)
    source = tmp_path / "settled.h5"
    plasticity.run(plasticity.load_config({**structural, "seed": 3}), source)
    present = plasticity.open_result(source).final_state()["nsyn/exc_to_exc"] > 0
    config = {**structural, "sweep": {"initial_state": str(source),
                                      "grid": {"pharmacology.ketamine_uM": [0, 1]}}}
    directory = plasticity.sweep.run(config, tmp_path / "sweep", executor="local", workers=1)
    manifest = read_manifest(directory)
    assert manifest["initial_state"] == {"path": str(source.resolve()),
                                         "sha256": file_digest(source)}
    for p in manifest["points"]:
        result = plasticity.open_result(directory / "points" / f"{p['id']}.h5")
        assert "given by the caller" in result.provenance["initial_state"]
        # most of the source's synapses are still there: a fresh network of the points'
        # seed would hold about 10 % of them (p = 0.1)
        after = result.final_state()["nsyn/exc_to_exc"] > 0
        assert np.count_nonzero(after & present) > 0.8 * np.count_nonzero(present)
    with pytest.raises(UserInputError, match="initial_state"):
        plasticity.sweep.run({**config, "sweep": {**config["sweep"], "initial_state":
                                                   str(tmp_path / "none.h5")}},
                             tmp_path / "other", executor="local", workers=1)
    # the file changes after planning: the worker refuses to start points from it
    from plasticity.sweep.worker import run_points

    with open(source, "ab") as f:
        f.write(b"\0")
    for p in manifest["points"]:
        (directory / "points" / f"{p['id']}.h5").unlink()
    done, failed = run_points(directory, [p["id"] for p in manifest["points"]])
    assert (done, failed) == (0, 2)
    errors = [e for e in read_log(directory) if e["event"] == "failed"]
    assert "changed since the sweep was planned" in errors[-1]["error"]

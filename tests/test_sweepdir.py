"""Sweep directory, index, analysis and worker signals, on synthetic point files (no Brian2 run)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from plasticity.sweep import executors, load_sweep, sensitivity
from plasticity.sweep.design import expand, parse_sweep
from plasticity.sweep.directory import (
    build_index,
    log_event,
    point_path,
    point_states,
    write_manifest,
)

BASE = {"name": "t", "network": {"n_exc": 80, "n_pv": 16, "n_sst": 8},
        "simulation": {"duration": "300 ms", "warmup": "50 ms"}}
PARAMS = {"pharmacology.ketamine_uM": {"low": 0, "high": 10},
          "network.external.exc.rate": {"low": "2 Hz", "high": "6 Hz"},
          "synapses.exc_to_pv.g_ampa": {"low": "0.1 nS", "high": "1 nS"}}


def fake_point(path: Path, value: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.create_dataset("summary/y", data=value).attrs["units"] = "Hz"
        f.create_group("provenance")


def make_sweep(directory: Path, sweep: dict, f) -> list[dict]:
    plan = expand(BASE, parse_sweep(sweep))
    manifest = write_manifest(directory, plan, "")
    for p in manifest["points"]:
        fake_point(point_path(directory, p["id"]), f(p))
        log_event(directory, p["id"], "done")
    return manifest["points"]


def _number(value) -> float:
    return float(str(value).split()[0])


def test_sobol_indices_rank_the_parameters_that_matter(tmp_path):
    """y = 10 a + b (+ 0 c) over the unit box: S1(a) >> S1(b) >> S1(c) ~ 0."""
    def f(p):
        a = _number(p["params"]["pharmacology.ketamine_uM"]) / 10
        b = (_number(p["params"]["network.external.exc.rate"]) - 2) / 4
        return 10 * a + b
    make_sweep(tmp_path, {"replicates": 2, "sobol": {"n": 64, "parameters": PARAMS}}, f)
    s = sensitivity(tmp_path, "y")
    assert list(s.index) == list(PARAMS)
    assert s.loc["pharmacology.ketamine_uM", "S1"] == pytest.approx(100 / 101, abs=0.05)
    assert s.loc["network.external.exc.rate", "S1"] == pytest.approx(1 / 101, abs=0.03)
    assert abs(s.loc["synapses.exc_to_pv.g_ampa", "ST"]) < 0.01


def test_morris_mu_star_ranks_the_parameters(tmp_path):
    def f(p):
        return (3 * _number(p["params"]["pharmacology.ketamine_uM"])
                + _number(p["params"]["network.external.exc.rate"]))
    make_sweep(tmp_path, {"morris": {"trajectories": 10, "parameters": PARAMS}}, f)
    s = sensitivity(tmp_path, "y")
    assert s.loc["pharmacology.ketamine_uM", "mu_star"] == pytest.approx(30, rel=0.01)
    assert s.loc["network.external.exc.rate", "mu_star"] == pytest.approx(4, rel=0.01)
    assert s.loc["synapses.exc_to_pv.g_ampa", "mu_star"] == pytest.approx(0, abs=1e-9)


def test_sensitivity_of_a_readout_computed_from_each_point(tmp_path):
    """A function of each point's result file as the output: twice the summary scalar
    doubles every mu_star."""
    def f(p):
        return (3 * _number(p["params"]["pharmacology.ketamine_uM"])
                + _number(p["params"]["network.external.exc.rate"]))
    points = make_sweep(tmp_path, {"morris": {"trajectories": 4, "parameters": PARAMS}}, f)
    for p in points:  # the fake points as result files open_result accepts
        with h5py.File(point_path(tmp_path, p["id"]), "a") as h5:
            h5.attrs["plasticity_schema_version"] = 1
    s = sensitivity(tmp_path, lambda result: 2.0 * result.summary["y"])
    assert s.loc["pharmacology.ketamine_uM", "mu_star"] == pytest.approx(60, rel=0.01)
    assert s.loc["network.external.exc.rate", "mu_star"] == pytest.approx(8, rel=0.01)


def test_sensitivity_refuses_an_unfinished_design(tmp_path):
    points = make_sweep(tmp_path, {"morris": {"trajectories": 2, "parameters": PARAMS}},
                        lambda p: 1.0)
    point_path(tmp_path, points[0]["id"]).unlink()
    with pytest.raises(Exception, match="not done"):
        sensitivity(tmp_path, "y")


def test_index_opens_whatever_happens_to_point_files(tmp_path):
    points = make_sweep(tmp_path, {"grid": {"pharmacology.ketamine_uM": [0, 1, 2]}},
                        lambda p: float(p["params"]["pharmacology.ketamine_uM"]))
    point_path(tmp_path, points[1]["id"]).write_bytes(b"not hdf5")  # broken
    build_index(tmp_path)
    point_path(tmp_path, points[2]["id"]).unlink()  # deleted after collect: dangling link
    with h5py.File(tmp_path / "index.h5", "r") as f:
        assert list(f["table/state"].asstr()[:]) == ["done", "missing", "done"]
        assert np.isnan(f["table/summary/y"][1])
        assert f["table/parameters/pharmacology.ketamine_uM"][:].tolist() == [0, 1, 2]
    table = load_sweep(tmp_path)  # rebuilt: the status log is older, the index is read
    assert dict(table.sizes) == {"pharmacology.ketamine_uM": 3, "replicate": 1}


def test_collect_is_atomic_readers_never_see_half_an_index(tmp_path, monkeypatch):
    make_sweep(tmp_path, {"grid": {"pharmacology.ketamine_uM": [0, 1]}}, lambda p: 1.0)
    build_index(tmp_path)
    before = (tmp_path / "index.h5").read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(h5py.Group, "create_group", boom)
    with pytest.raises(RuntimeError):
        build_index(tmp_path)
    assert (tmp_path / "index.h5").read_bytes() == before
    assert not list(tmp_path.glob(".index.h5.*"))


def test_slurm_chunks_are_merged_to_fit_max_array_size(tmp_path, monkeypatch):
    monkeypatch.setattr(executors, "max_array_size", lambda default=1001: 5)
    printed = []
    chunks = [[f"p{k}"] for k in range(10)]
    executors.submit_slurm(tmp_path, chunks, {}, print_only=True, echo=printed.append)
    assert "#SBATCH --array=0-3" in "\n".join(printed)  # 10 points in 4 tasks (< 5)


def test_worker_stops_after_its_point_on_usr1(tmp_path):
    """Slurm's warning signal: the worker finishes nothing new and logs what it left."""
    points = make_sweep(tmp_path, {"grid": {"pharmacology.ketamine_uM": [0, 1, 2]}},
                        lambda p: 1.0)
    for p in points:
        point_path(tmp_path, p["id"]).unlink()
    (tmp_path / "status.jsonl").unlink()
    proc = subprocess.Popen([sys.executable, "-m", "plasticity", "sweep-worker", str(tmp_path),
                             "--ids", ",".join(p["id"] for p in points)],
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (tmp_path / "status.jsonl").exists() and "started" in (
                tmp_path / "status.jsonl").read_text():
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGUSR1)
    proc.wait(timeout=600)
    events = [json.loads(line) for line in (tmp_path / "status.jsonl").read_text().splitlines()]
    started = [e["id"] for e in events if e["event"] == "started"]
    interrupted = [e["id"] for e in events if e["event"] == "interrupted"]
    assert len(started) == 1 and len(interrupted) == 2
    assert set(started) | set(interrupted) == {p["id"] for p in points}
    states = point_states(tmp_path)
    assert all(states[i][0] == "missing" for i in interrupted)  # resume runs them


def test_a_manifest_of_another_format_is_refused_in_one_line(tmp_path):
    from plasticity.errors import UserInputError
    from plasticity.storage import MANIFEST_FORMAT
    from plasticity.sweep.directory import read_manifest

    make_sweep(tmp_path, {"grid": {"pharmacology.ketamine_uM": [0, 1]}}, lambda p: 0.0)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["format"] == MANIFEST_FORMAT == "plasticity-sweep/1"
    manifest["format"] = "plasticity-sweep/2"
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UserInputError, match="'plasticity-sweep/2' is not 'plasticity-sweep/1'"):
        read_manifest(tmp_path)


def test_an_index_of_another_format_is_rebuilt(tmp_path):
    make_sweep(tmp_path, {"grid": {"pharmacology.ketamine_uM": [0, 1]}}, lambda p: 2.0)
    build_index(tmp_path)
    with h5py.File(tmp_path / "index.h5", "r+") as f:
        f.attrs["format"] = "plasticity-sweep-index/0"
        del f["table/summary"]
    ds = load_sweep(tmp_path)
    assert ds["y"].values.ravel().tolist() == [2.0, 2.0]
    with h5py.File(tmp_path / "index.h5", "r") as f:
        assert f.attrs["format"] == "plasticity-sweep-index/1"


def test_a_zombie_worker_counts_as_dead(tmp_path):
    """A worker killed with its parent stays a zombie until reaped; its point is missing."""
    points = make_sweep(tmp_path, {"grid": {"pharmacology.ketamine_uM": [0, 1]}}, lambda p: 1.0)
    pid = points[0]["id"]
    point_path(tmp_path, pid).unlink()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # exited, not yet reaped: a zombie
        if Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            break
        time.sleep(0.05)
    log_event(tmp_path, pid, "started")
    # the log entry names the zombie as the worker running the point
    lines = (tmp_path / "status.jsonl").read_text().splitlines()
    event = json.loads(lines[-1])
    event["pid"] = child.pid
    lines[-1] = json.dumps(event)
    (tmp_path / "status.jsonl").write_text("\n".join(lines) + "\n")
    try:
        assert point_states(tmp_path)[pid][0] == "missing"
    finally:
        child.wait()

"""Sweeps end to end with the real engines: local processes, Dask, Slurm; kill and resume.

Every sweep here uses the small test network (tests/conftest.py SMALL), so all
points share the one compiled program the rest of the suite also uses.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from plasticity.sweep import load_sweep
from plasticity.sweep.directory import point_states, read_log, read_manifest

ROOT = Path(__file__).resolve().parents[1]
BASE = {"name": "sweeptest", "network": {"n_exc": 80, "n_pv": 16, "n_sst": 8},
        "simulation": {"duration": "300 ms", "warmup": "50 ms"}}


def write_config(path: Path, sweep: dict) -> Path:
    path.write_text(yaml.safe_dump({**BASE, "sweep": sweep}, sort_keys=False))
    return path


def plasticity_cli(*args: str, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "plasticity", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, check=False,
                          **kwargs)


def done_events(directory: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in read_log(directory):
        if event["event"] == "done":
            counts[event["id"]] = counts.get(event["id"], 0) + 1
    return counts


@pytest.fixture(scope="module")
def grid_sweep(tmp_path_factory):
    """A dose grid with two replicates, run locally with 2 workers."""
    tmp = tmp_path_factory.mktemp("grid")
    config = write_config(tmp / "dose.yaml", {
        "replicates": 2, "grid": {"pharmacology.ketamine_uM": [0, 10]}})
    proc = plasticity_cli("sweep", config, "-o", tmp / "out", "--workers", "2", "-q")
    assert proc.returncode == 0, proc.stderr
    return tmp / "out"


def test_local_sweep_writes_every_point_and_the_index(grid_sweep):
    manifest = read_manifest(grid_sweep)
    assert len(manifest["points"]) == 4
    states = point_states(grid_sweep)
    assert all(state == "done" for state, _ in states.values())
    with h5py.File(grid_sweep / "index.h5", "r") as f:
        assert list(f["table/state"].asstr()[:]) == ["done"] * 4
        assert set(f["files"]) == {p["id"] for p in manifest["points"]}
        # the small driven network fires around 55 Hz (E) and 45 Hz (PV): a
        # band that a silent or runaway network (or a rate in the wrong unit) misses
        for p in manifest["points"]:
            summary = f["files"][p["id"]]["summary"]
            assert 5.0 < summary["exc_rate_hz"][()] < 120.0, p["id"]
            assert 5.0 < summary["pv_rate_hz"][()] < 200.0, p["id"]
    # compile once: every point (other doses, other seeds) ran the same program
    keys = set()
    for p in manifest["points"]:
        with h5py.File(grid_sweep / "points" / f"{p['id']}.h5", "r") as f:
            keys.add(f["provenance"].attrs["build_key"])
            assert int(f["provenance"].attrs["seed"]) == p["seed"]
    assert len(keys) == 1


def test_load_sweep_gives_a_dataset_over_the_grid(grid_sweep):
    ds = load_sweep(grid_sweep)
    assert dict(ds.sizes) == {"pharmacology.ketamine_uM": 2, "replicate": 2}
    rates = ds["exc_rate_hz"].values
    assert np.all((rates > 5.0) & (rates < 120.0))  # active, not runaway (about 55 Hz)
    assert len(np.unique(rates)) > 1  # replicates differ: each point ran its own seed
    assert ds["pharmacology.ketamine_uM"].values.tolist() == [0.0, 10.0]
    # each point ran its own swept value: the recorded concentration and block follow it
    assert ds["ketamine_uM"].sel({"pharmacology.ketamine_uM": 10.0}).values.tolist() == [10, 10]
    block = ds["nmda_block_exc_to_exc"]
    assert float(block.sel({"pharmacology.ketamine_uM": 0.0}).max()) == 0.0
    assert float(block.sel({"pharmacology.ketamine_uM": 10.0}).min()) > 0.5
    assert ds["seed"].sel({"pharmacology.ketamine_uM": 0.0}).values.tolist() == [1, 2]


def test_rerun_of_a_finished_sweep_recomputes_nothing(grid_sweep):
    files = sorted((grid_sweep / "points").glob("*.h5"))
    mtimes = [f.stat().st_mtime_ns for f in files]
    proc = plasticity_cli("sweep", grid_sweep.parent / "dose.yaml", "-o", grid_sweep)
    assert proc.returncode == 0, proc.stderr
    assert "0 to run" in proc.stdout
    assert [f.stat().st_mtime_ns for f in files] == mtimes


def test_another_design_in_the_same_directory_is_refused(grid_sweep, tmp_path):
    other = write_config(tmp_path / "other.yaml", {"grid": {"pharmacology.ketamine_uM": [1]}})
    proc = plasticity_cli("sweep", other, "-o", grid_sweep)
    assert proc.returncode == 2
    assert "holds another sweep" in proc.stderr and "Traceback" not in proc.stderr


def test_dose_response_notebook_runs_on_a_sweep(grid_sweep, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(ROOT / "experiments" / "sweep_dose_response.ipynb", as_version=4)
    os.environ["PLASTICITY_SWEEP_DIR"] = str(grid_sweep)
    try:
        nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.pop("PLASTICITY_SWEEP_DIR")
    assert (tmp_path / "dose_response.png").stat().st_size > 1000


def test_failed_point_is_recorded_and_never_stops_the_others(tmp_path):
    config = write_config(tmp_path / "mixed.yaml", {"points": [
        {"pharmacology.ketamine_uM": 0},
        {"pharmacology.ketamine_uM": 1, "simulation.build_dir": "/etc/hostname/builds"},
        {"pharmacology.ketamine_uM": 2},
    ]})
    out = tmp_path / "out"
    proc = plasticity_cli("sweep", config, "-o", out, "--workers", "1", "-q")
    assert proc.returncode == 1
    states = point_states(out)
    assert sorted(s for s, _ in states.values()) == ["done", "done", "failed"]
    failed = [e for s, e in states.values() if s == "failed"][0]
    assert "build" in failed["error"] and "Traceback" in failed["traceback"]
    status = plasticity_cli("status", out)
    assert "2 done, 1 failed" in status.stdout and failed["error"][:30] in status.stdout
    table = load_sweep(out)  # not a grid: a tidy table
    assert list(table["state"]).count("failed") == 1
    assert np.isnan(table.loc[table["state"] == "failed", "exc_rate_hz"]).all()
    assert "spikes" not in table
    with_spikes = load_sweep(out, spikes=True)
    done = with_spikes[with_spikes["state"] == "done"]
    assert all(len(s["exc"][1]) > 0 for s in done["spikes"])


def test_bad_sweep_is_a_one_line_error_without_traceback(tmp_path):
    config = write_config(tmp_path / "bad.yaml", {"grid": {"network.n_exc": [80, "many"]}})
    proc = plasticity_cli("sweep", config, "--dry-run")
    assert proc.returncode == 2
    assert "network.n_exc" in proc.stderr and "'many'" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("flag", ["--workers", "--throttle", "--chunk"])
def test_bad_sweep_flags_are_user_errors(tmp_path, flag):
    config = write_config(tmp_path / "f.yaml", {"grid": {"seed": [1]}})
    proc = plasticity_cli("sweep", config, "-o", tmp_path / "out", flag, "0")
    assert proc.returncode == 2
    assert f"{flag} 0: expected a whole number of at least 1" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_dry_run_prints_points_and_builds(tmp_path):
    config = write_config(tmp_path / "dry.yaml", {"replicates": 2, "grid": {
        "network.n_exc": [80, 100], "pharmacology.ketamine_uM": [0, 1]}})
    proc = plasticity_cli("sweep", config, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "8 points (2 replicate(s) each); 2 build(s)" in proc.stdout
    assert not (tmp_path / "results").exists()


def test_killed_sweep_resumes_without_repeating_finished_points(tmp_path):
    """SIGKILL to the whole process group midway; the rerun completes the rest."""
    config = write_config(tmp_path / "kill.yaml", {
        "replicates": 6, "grid": {"pharmacology.ketamine_uM": [1]}})
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "plasticity", "sweep", str(config), "-o",
                             str(out), "--workers", "1", "-q"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if len(list((out / "points").glob("*.h5"))) >= 2 or proc.poll() is not None:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {f.name: f.stat().st_mtime_ns for f in (out / "points").glob("*.h5")}
    assert 2 <= len(finished) < 6
    rerun = plasticity_cli("sweep", config, "-o", out, "--workers", "2", "-q")
    assert rerun.returncode == 0, rerun.stderr
    files = sorted((out / "points").glob("*.h5"))
    assert len(files) == 6
    assert {f.name: f.stat().st_mtime_ns for f in files if f.name in finished} == finished
    assert all(n == 1 for n in done_events(out).values()) and len(done_events(out)) == 6
    assert not list((out / "points").glob(".*.part"))  # no half-written file left


def test_dask_local_cluster_runs_a_sweep(tmp_path):
    pytest.importorskip("dask.distributed")
    config = write_config(tmp_path / "dask.yaml", {"grid": {"pharmacology.ketamine_uM": [0, 3]}})
    proc = plasticity_cli("sweep", config, "-o", tmp_path / "out", "--executor", "dask",
                          "--workers", "2", "-q")
    assert proc.returncode == 0, proc.stderr
    assert all(s == "done" for s, _ in point_states(tmp_path / "out").values())
    assert (tmp_path / "out" / "index.h5").exists()


def test_dask_runs_on_a_running_scheduler_by_address(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    config = write_config(tmp_path / "addr.yaml", {"points": [{"pharmacology.ketamine_uM": 4}]})
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        proc = plasticity_cli("sweep", config, "-o", tmp_path / "out", "--executor", "dask",
                              "--scheduler", cluster.scheduler_address, "-q")
    assert proc.returncode == 0, proc.stderr
    assert [s for s, _ in point_states(tmp_path / "out").values()] == ["done"]


# --------------------------------------------------------------------------- #
# Slurm: a real single-node cluster (.ci/slurm_setup.sh), as root only
# --------------------------------------------------------------------------- #
def _slurm_up() -> str | None:
    """None when a Slurm node is idle, else the reason it is not."""
    if shutil.which("sinfo") is None and os.geteuid() != 0:
        return "Slurm is not installed and the tests do not run as root"
    setup = ROOT / ".ci" / "slurm_setup.sh"
    proc = subprocess.run(["bash", str(setup)], capture_output=True, text=True, timeout=600,
                          check=False)
    if proc.returncode != 0:
        return f"could not bring up Slurm: {proc.stderr.strip()[-300:]}"
    return None


@pytest.fixture(scope="module")
def slurm():
    reason = _slurm_up()
    if reason:
        if os.environ.get("PLASTICITY_REQUIRE_SLURM"):  # set by .ci/run: never skip in CI
            pytest.fail(reason)
        pytest.skip(reason)


def test_slurm_array_job_runs_every_point_and_collects(slurm, tmp_path):
    config = write_config(tmp_path / "slurm.yaml", {
        "replicates": 2, "grid": {"pharmacology.ketamine_uM": [0, 2]}})
    out = tmp_path / "out"
    script = plasticity_cli("sweep", config, "-o", out, "--executor", "slurm", "--print-script")
    assert script.returncode == 0 and "#SBATCH --array=0-3" in script.stdout
    proc = plasticity_cli("sweep", config, "-o", out, "--executor", "slurm", "--throttle", "2",
                          "--time", "00:10:00", "--wait", timeout=900,
                          env={**os.environ, "LD_BIND_NOW": "1"})  # as Brian2 leaves it
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "submitted array job" in proc.stdout
    states = point_states(out)
    assert len(states) == 4 and all(s == "done" for s, _ in states.values())
    with h5py.File(out / "index.h5", "r") as f:  # written by the dependent collect job
        assert list(f["table/state"].asstr()[:]) == ["done"] * 4
    job = re.search(r"submitted array job (\d+)", proc.stdout).group(1)
    chunks = json.loads(next((out / "slurm").glob("chunks-*.json")).read_text())
    assert sorted(pid for chunk in chunks for pid in chunk) == sorted(states)
    assert len(chunks) == 4  # one point per array task (--array=0-3)
    # the points ran as Slurm array tasks: each task has the output file
    # slurmstepd opened for it (--output=logs/slurm-%A_%a.out) ...
    for task in range(len(chunks)):
        assert (out / "logs" / f"slurm-{job}_{task}.out").is_file(), task
    assert not list((out / "logs").glob("worker-*.log"))  # no local executor ran a chunk
    # ... and each point was logged done once, on this node, by its own worker
    # process: neither this test process nor one process for all of them
    done = [e for e in read_log(out) if e["event"] == "done"]
    assert sorted(e["id"] for e in done) == sorted(states)
    assert {e["host"] for e in done} == {socket.gethostname()}
    pids = [e["pid"] for e in done]
    assert os.getpid() not in pids and len(set(pids)) == len(chunks)


def test_dask_jobqueue_cluster_from_the_config_runs_on_slurm(slurm, tmp_path, monkeypatch):
    """sweep.executor.dask.jobqueue: Dask workers started as batch jobs (here Slurm's).

    Run with LD_BIND_NOW=1 in the environment, as Brian2 leaves it in a
    process that simulated before (regression: dask-jobqueue's sbatch then
    failed and the sweep waited for workers forever).
    """
    pytest.importorskip("dask_jobqueue")
    monkeypatch.setenv("LD_BIND_NOW", "1")
    config = write_config(tmp_path / "jq.yaml", {
        "points": [{"pharmacology.ketamine_uM": 5}],
        "executor": {"dask": {"jobqueue": {
            "system": "slurm", "queue": "debug", "cores": 1, "processes": 1,
            "memory": "1GB", "walltime": "00:10:00", "interface": "lo", "jobs": 1,
            "log_directory": str(tmp_path / "jq-logs"), "startup_timeout_s": 120,
            "scheduler_options": {"dashboard_address": None}}}}})
    proc = plasticity_cli("sweep", config, "-o", tmp_path / "out", "--executor", "dask", "-q",
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [s for s, _ in point_states(tmp_path / "out").values()] == ["done"]
    assert list((tmp_path / "jq-logs").iterdir())  # the worker ran as a Slurm job

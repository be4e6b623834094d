"""Where sweep points run: local processes, a Slurm job array, or a Dask cluster.

Every executor runs the same entry point, ``python -m plasticity
sweep-worker DIR ...`` (:func:`plasticity.sweep.worker.run_points`), each chunk
of points in its own process: a Brian2 device is global to a process, and a
process of its own keeps a crash of one chunk away from the others. Chunks
hold points of one build, so each chunk compiles at most once (and only the
first chunk of a build anywhere compiles, :mod:`plasticity.simulation.builds`).

- ``local``: ``--workers`` processes on this machine, a progress bar fed by
  the points' status log.
- ``slurm``: one ``sbatch --array`` job (throttled with ``%``, chunked
  within the cluster's ``MaxArraySize``) and a collect job that depends on
  it. Completion is read from the points' files, never from ``sacct``.
- ``dask``: chunks submitted to a Dask cluster (a LocalCluster, an address,
  or a dask-jobqueue cluster for PBS, SGE, LSF or Slurm sites).
"""

from __future__ import annotations

import logging
import math
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from plasticity.errors import UserInputError
from plasticity.progress import ProgressBar
from plasticity.simulation.environment import clean_environment
from plasticity.sweep.directory import STATUS_LOG, log_event, point_states, read_log_since

__all__ = ["chunk_points", "run_dask", "run_local", "slurm_scripts", "submit_slurm",
           "worker_command"]

logger = logging.getLogger(__name__)


def chunk_points(points: list[dict[str, Any]], n_chunks: int, max_size: int = 0,
                 ) -> list[list[str]]:
    """Split points into chunks of one build each, about ``n_chunks`` in all.

    ``max_size`` (if > 0) caps the points per chunk. Within a build, points
    of one seed (the arms of a cohort's patient) are kept together, in the
    manifest's order, so a chunk runs a patient's arms on one set of Brian2
    objects and one settle (:func:`plasticity.sweep.worker.run_points`);
    chunking is deterministic.
    """
    by_build: dict[str, list[str]] = {}
    for p in sorted(points, key=lambda p: (p["seed"], p["index"])):
        by_build.setdefault(p["build"], []).append(p["id"])
    total = sum(len(v) for v in by_build.values())
    if total == 0:
        return []
    size = max(1, math.ceil(total / max(1, n_chunks)))
    if max_size > 0:
        size = min(size, max_size)
    chunks = []
    for ids in by_build.values():
        for start in range(0, len(ids), size):
            chunks.append(ids[start:start + size])
    return chunks


def worker_command(directory: Path, ids: list[str] | None = None, *, chunks_file: Path | None
                   = None, task: str | None = None) -> list[str]:
    """The command that runs a chunk: by ids, or task ``task`` of a chunks file.

    Workers log as verbosely as this process does for the package (``-v``
    gives ``-v``, ``-vv`` gives ``-vv``), into their log files: a point's
    start, end or failure then shows in ``DIR/logs`` (or Slurm's output).
    """
    cmd = [sys.executable, "-m", "plasticity", "sweep-worker", str(directory)]
    level = logging.getLogger("plasticity").getEffectiveLevel()
    if level <= logging.DEBUG:
        cmd.append("-vv")
    elif level <= logging.INFO:
        cmd.append("-v")
    if ids is not None:
        cmd += ["--ids", ",".join(ids)]
    else:
        cmd += ["--chunks", str(chunks_file), "--task", str(task)]
    return cmd


def _environment() -> dict[str, str]:
    """The environment of workers and Slurm commands: ours, minus Brian2's run variables."""
    env = clean_environment(dict(os.environ))
    env.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
    return env


class _Monitor:
    """Progress over the points of one run of a sweep, read from the status log."""

    def __init__(self, directory: Path, ids: list[str], quiet: bool):
        self.directory, self.ids = Path(directory), set(ids)
        log = self.directory / STATUS_LOG
        self.offset = log.stat().st_size if log.exists() else 0  # only events of this run
        self.last: dict[str, str] = {}
        self.bar = ProgressBar(len(self.ids), unit="point", desc="sweep", enabled=not quiet)

    def counts(self) -> tuple[int, int]:
        """Points done and failed, from the log lines added since the last call."""
        events, self.offset = read_log_since(self.directory, self.offset)
        for event in events:
            if event.get("id") in self.ids:
                self.last[event["id"]] = event.get("event", "")
        events = list(self.last.values())
        return events.count("done"), events.count("failed")

    def _read(self) -> tuple[float, dict[str, int]]:
        done, failed = self.counts()
        return done + failed, {"done": done, "failed": failed}

    def __enter__(self) -> _Monitor:
        self._polling = self.bar.polling(self._read, period_s=0.5)
        self._polling.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._polling.__exit__(*exc)
        self.bar.close()


def _run_chunk(directory: Path, ids: list[str]) -> int:
    """Run one chunk in its own process; record points a crashed worker left behind."""
    log = Path(directory) / "logs" / f"worker-{ids[0]}-{os.getpid()}-{time.time_ns()}.log"
    with open(log, "w") as out:
        rc = subprocess.run(worker_command(directory, ids), stdout=out, stderr=subprocess.STDOUT,
                            env=_environment(), check=False).returncode
    if rc != 0:
        states = point_states(directory)
        for pid in ids:
            state, event = states[pid]
            if state in ("missing", "running") and event.get("event") == "started":
                log_event(directory, pid, "failed",
                          error=f"worker process exited with code {rc} while running it "
                                f"(log: {log.relative_to(directory)})")
    return rc


def run_local(directory: Path, chunks: list[list[str]], workers: int, quiet: bool = False,
              ) -> dict[str, int]:
    """Run ``chunks`` on this machine, ``workers`` processes at a time."""
    ids = [pid for chunk in chunks for pid in chunk]
    with _Monitor(directory, ids, quiet), ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda chunk: _run_chunk(directory, chunk), chunks))
    return _tally(directory, ids)


def _tally(directory: Path, ids: list[str]) -> dict[str, int]:
    states = point_states(directory)
    out = {"done": 0, "failed": 0, "running": 0, "missing": 0}
    for pid in ids:
        out[states[pid][0]] += 1
    return out


def run_dask(directory: Path, chunks: list[list[str]], *, workers: int, scheduler: str | None,
             jobqueue: dict[str, Any] | None, quiet: bool = False) -> dict[str, int]:
    """Run ``chunks`` on a Dask cluster; each chunk runs in a subprocess of a worker.

    ``scheduler`` is the address of a running scheduler; else ``jobqueue``
    (``system``: slurm, pbs, sge, lsf, plus the dask-jobqueue cluster's
    keyword arguments and ``jobs``) starts a batch-system cluster; else a
    LocalCluster with ``workers`` single-threaded worker processes.
    """
    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        logger.info("dask: connecting to the scheduler at %s", scheduler)
        client = Client(scheduler)
    elif jobqueue:
        import dask_jobqueue

        settings = dict(jobqueue)
        system = str(settings.pop("system", "slurm")).lower()
        jobs = int(settings.pop("jobs", workers))
        startup_s = float(settings.pop("startup_timeout_s", 600))
        # dask-jobqueue submits with this process's own environment
        clean_environment(os.environ)
        classes = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster",
                   "lsf": "LSFCluster"}
        if system not in classes:
            raise UserInputError(f"sweep.executor.dask.jobqueue.system: {system!r} is not one "
                                 f"of {', '.join(classes)}")
        cluster = getattr(dask_jobqueue, classes[system])(**settings)
        cluster.scale(jobs=jobs)
        logger.info("dask: started a %s with %d job(s); waiting up to %g s for a worker",
                    classes[system], jobs, startup_s)
        client = Client(cluster)
        try:
            client.wait_for_workers(1, timeout=startup_s)
        except TimeoutError:
            client.close()
            cluster.close()
            raise UserInputError(
                f"no Dask worker started within {startup_s:g} s of submitting {jobs} "
                f"{system} job(s); check the batch system and the job logs "
                "(sweep.executor.dask.jobqueue.log_directory)") from None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        logger.info("dask: started a LocalCluster of %d worker(s)", workers)
    ids = [pid for chunk in chunks for pid in chunk]
    logger.info("dask: submitting %d chunk(s) of %d point(s)", len(chunks), len(ids))
    try:
        with _Monitor(directory, ids, quiet):
            futures = client.map(_run_chunk, [directory] * len(chunks), chunks, pure=False)
            client.gather(futures, errors="skip")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return _tally(directory, ids)


# --------------------------------------------------------------------------- #
# Slurm
# --------------------------------------------------------------------------- #
def max_array_size(default: int = 1001) -> int:
    """The cluster's ``MaxArraySize`` (``scontrol show config``), else Slurm's default."""
    try:
        out = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True,
                             timeout=30, check=False, env=_environment()).stdout
    except (OSError, subprocess.SubprocessError):
        return default
    for line in out.splitlines():
        if line.strip().startswith("MaxArraySize"):
            try:
                return int(line.split("=", 1)[1].strip())
            except ValueError:
                return default
    return default


TEMPLATES = Path(__file__).with_name("templates")


def render_template(name: str, values: dict[str, str]) -> str:
    """Template ``name`` of ``templates/`` with its ``{{key}}`` placeholders filled in.

    A placeholder alone on its line whose value is empty removes the line.

    Raises
    ------
    KeyError
        If the template has a placeholder that ``values`` does not fill.
    """
    text = (TEMPLATES / name).read_text()
    for key, value in values.items():
        if value == "":
            text = text.replace("{{" + key + "}}\n", "")
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        raise KeyError(f"template {name}: unfilled placeholder {text[text.index('{{'):][:30]!r}")
    return text


def slurm_scripts(directory: Path, n_tasks: int, chunks_file: Path, settings: dict[str, Any],
                  ) -> tuple[str, str]:
    """The array job script and the collect job script (``templates/*.sbatch`` filled in).

    Parameters
    ----------
    directory : path
        The sweep directory.
    n_tasks : int
        Array tasks (chunks).
    chunks_file : path
        JSON list of the point ids of each task.
    settings : dict
        ``partition``, ``time``, ``memory``, ``cpus``, ``throttle``,
        ``signal_s`` (warning before the time limit, default 120), ``extra``
        (more ``#SBATCH`` lines).

    Returns
    -------
    (str, str)
        The two batch scripts.
    """
    directory = Path(directory).resolve()
    throttle = settings.get("throttle")
    options = []
    for key, flag in (("partition", "--partition"), ("time", "--time"), ("memory", "--mem"),
                      ("cpus", "--cpus-per-task")):
        if settings.get(key):
            options.append(f"#SBATCH {flag}={settings[key]}")
    options += [f"#SBATCH {extra}" for extra in settings.get("extra", [])]
    worker = " ".join(shlex.quote(c) for c in worker_command(
        directory, chunks_file=chunks_file, task="$SLURM_ARRAY_TASK_ID")).replace(
        "'$SLURM_ARRAY_TASK_ID'", '"$SLURM_ARRAY_TASK_ID"')
    common = {"name": directory.name, "logs": str(directory / "logs")}
    array = render_template("array.sbatch", {
        **common, "array": f"0-{n_tasks - 1}" + (f"%{int(throttle)}" if throttle else ""),
        "signal_s": str(int(settings.get("signal_s", 120))),
        "sbatch_options": "\n".join(options), "worker": worker})
    partition = [f"#SBATCH --partition={settings['partition']}"] if settings.get("partition") \
        else []
    collect = render_template("collect.sbatch", {
        **common, "sbatch_options": "\n".join(partition),
        "python": shlex.quote(sys.executable), "directory": shlex.quote(str(directory))})
    return array, collect


def submit_slurm(directory: Path, chunks: list[list[str]], settings: dict[str, Any], *,
                 print_only: bool = False, echo: Callable[[str], None] = print,
                 ) -> tuple[str, str] | None:
    """Submit the array job and its dependent collect job; returns their job ids."""
    import json

    directory = Path(directory).resolve()
    limit = max_array_size() - 1
    if len(chunks) > limit:  # merge neighbouring chunks of the same build
        per = math.ceil(len(chunks) / limit)
        merged: list[list[str]] = []
        for start in range(0, len(chunks), per):
            merged.append([pid for c in chunks[start:start + per] for pid in c])
        chunks = merged
    slurm_dir = directory / "slurm"
    slurm_dir.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    chunks_file = slurm_dir / f"chunks-{stamp}.json"
    array_script, collect_script = slurm_scripts(directory, len(chunks), chunks_file, settings)
    if print_only:
        echo(f"# chunks file {chunks_file} ({len(chunks)} array tasks)")
        echo(array_script)
        echo("# collect job, submitted with --dependency=afterany:<array job id>")
        echo(collect_script)
        return None
    chunks_file.write_text(json.dumps(chunks) + "\n")
    array_path = slurm_dir / f"array-{stamp}.sh"
    collect_path = slurm_dir / f"collect-{stamp}.sh"
    array_path.write_text(array_script)
    collect_path.write_text(collect_script)
    job = _sbatch([str(array_path)])
    logger.info("slurm: submitted array job %s (%d tasks, script %s)", job, len(chunks),
                array_path)
    collect_job = _sbatch([f"--dependency=afterany:{job}", str(collect_path)])
    logger.info("slurm: submitted collect job %s after array job %s", collect_job, job)
    return job, collect_job


def _sbatch(args: list[str]) -> str:
    try:
        proc = subprocess.run(["sbatch", "--parsable", *args], capture_output=True, text=True,
                              timeout=120, check=False, env=_environment())
    except FileNotFoundError:
        raise UserInputError("--executor slurm: 'sbatch' was not found on this machine "
                             "(use --print-script to see the job script)") from None
    if proc.returncode != 0:
        raise UserInputError(f"sbatch failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout.strip().split(";")[0]


def wait_for_jobs(job_ids: list[str], poll_s: float = 2.0, timeout_s: float | None = None,
                  ) -> None:
    """Wait until none of ``job_ids`` is queued or running (``squeue``; no accounting needed)."""
    start = time.monotonic()
    while True:
        out = subprocess.run(["squeue", "-h", "-o", "%i", "-j", ",".join(job_ids)],
                             capture_output=True, text=True, check=False,
                             env=_environment()).stdout
        if not out.strip():
            return
        if timeout_s is not None and time.monotonic() - start > timeout_s:
            raise TimeoutError(f"Slurm jobs {', '.join(job_ids)} still queued or running")
        time.sleep(poll_s)


def read_chunk(chunks_file: Path, task: int) -> list[str]:
    """The ids of array task ``task``."""
    import json

    chunks = json.loads(Path(chunks_file).read_text())
    if not 0 <= task < len(chunks):
        raise UserInputError(f"--task {task}: the chunks file has tasks 0 to {len(chunks) - 1}")
    return list(chunks[task])

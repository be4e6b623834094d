"""Run a sweep from Python: ``plasticity.sweep.run``, what ``plasticity sweep`` calls.

As Mesa's ``batch_run`` and Hydra's multirun do for theirs, one call
expands the config's ``sweep`` section, writes (or resumes) the sweep
directory and runs every point that is not done with the chosen executor:

    >>> import plasticity.sweep
    >>> directory = plasticity.sweep.run("configs/dose_response.yaml", "results/dose",
    ...                                  executor="local", workers=2)    # doctest: +SKIP
    >>> plasticity.sweep.load_sweep(directory)                          # doctest: +SKIP

The executors are Python's process pool, Slurm (``sbatch --array``) and Dask
(:mod:`plasticity.sweep.executors`); each runs chunks of points through the
one worker entry point.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from plasticity.errors import UserInputError
from plasticity.sweep import executors
from plasticity.sweep.design import SweepPlan, plan_from_file, plan_from_mapping
from plasticity.sweep.directory import build_index, point_states, write_manifest

__all__ = ["default_directory", "plan", "run"]

logger = logging.getLogger(__name__)

Executor = Literal["local", "slurm", "dask"]
_SLURM_KEYS = ("partition", "time", "memory", "cpus", "throttle", "chunk", "extra", "signal_s")


def plan(config: str | os.PathLike[str] | Mapping[str, Any] | Any,
         overrides: Iterable[str] = ()) -> SweepPlan:
    """The expanded sweep of a config, every point validated.

    Parameters
    ----------
    config : path, mapping or Config
        A YAML file with a ``sweep`` section, a raw config mapping with one,
        or a :class:`plasticity.Config` whose ``sweep`` is set.
    overrides : iterable of str
        ``KEY=VALUE`` overrides (config files only).

    Returns
    -------
    SweepPlan
        Points, their ids, seeds and builds (``plan.points``, ``plan.builds``).

    Raises
    ------
    UserInputError
        If the config has no sweep section, or a point is invalid (one line
        per problem, naming the key, value and rule).
    """
    overrides = list(overrides)
    if isinstance(config, str | os.PathLike):
        result = plan_from_file(Path(config), overrides)
        where = str(config)
    else:
        if overrides:
            raise UserInputError("overrides apply to config files; set the values in the "
                                 "mapping or Config instead")
        raw = dict(config) if isinstance(config, Mapping) else config.model_dump(mode="json")
        result = plan_from_mapping(raw)
        where = "the config"
    if result is None:
        raise UserInputError(f"{where}: no sweep or cohort section (see 'plasticity sweep --help')")
    return result


def default_directory(sweep_plan: SweepPlan) -> Path:
    """``results/<name>_sweep``: where a sweep goes when no directory is given."""
    return Path("results") / f"{sweep_plan.base.get('name', 'experiment')}_sweep"


def run(config: str | os.PathLike[str] | Mapping[str, Any] | Any,
        out_dir: str | os.PathLike[str] | None = None, *,
        executor: Executor = "local", workers: int | None = None,
        overrides: Iterable[str] = (), retry_failed: bool = True, quiet: bool = True,
        slurm: Mapping[str, Any] | None = None, scheduler: str | None = None,
        print_script: bool = False, wait: bool = False,
        echo: Callable[[str], None] = print) -> Path:
    """Run (or resume) the parameter sweep of a config; returns the sweep directory.

    Every point that is not done runs into ``out_dir/points/<id>.h5``; a
    finished point is never run again, a failed one is logged with its
    traceback in ``out_dir/status.jsonl`` and never stops the others, and a
    directory holding another sweep is refused. When the points are done
    (local and Dask executors, or Slurm with ``wait``) the index
    ``out_dir/index.h5`` is built.

    Parameters
    ----------
    config : path, mapping or Config
        The config with a ``sweep`` section (see :func:`plan`).
    out_dir : path, optional
        The sweep directory; default ``results/<name>_sweep``.
    executor : {"local", "slurm", "dask"}
        Where the points run: a process pool on this machine, a Slurm job
        array (plus a collect job), or a Dask cluster (a LocalCluster, the
        scheduler at ``scheduler``, or dask-jobqueue from the config's
        ``sweep.executor.dask.jobqueue``).
    workers : int, optional
        Parallel processes (local, Dask); default the config's
        ``sweep.executor.<executor>.workers``, else the CPU count.
    overrides : iterable of str
        ``KEY=VALUE`` overrides of a config file.
    retry_failed : bool
        Run failed points again (default True).
    quiet : bool
        No progress bar and no status lines.
    slurm : mapping, optional
        Slurm settings over those of the config: ``partition``, ``time``,
        ``memory``, ``cpus``, ``throttle``, ``chunk`` (points per array task),
        ``extra`` (more ``#SBATCH`` lines), ``signal_s``.
    scheduler : str, optional
        Address of a running Dask scheduler.
    print_script : bool
        Slurm: print the batch scripts instead of submitting them.
    wait : bool
        Slurm: wait until the array and collect jobs have finished.
    echo : callable
        Where status lines go (default ``print``).

    Returns
    -------
    pathlib.Path
        The sweep directory; read it with :func:`plasticity.sweep.load_sweep`.

    Raises
    ------
    UserInputError
        Bad config, a directory holding another sweep, bad executor settings,
        or no ``sbatch`` for the Slurm executor.
    """
    if executor not in ("local", "slurm", "dask"):
        raise UserInputError(f"executor {executor!r}: expected 'local', 'slurm' or 'dask'")
    if workers is not None and workers < 1:
        raise UserInputError(f"workers {workers}: expected a whole number of at least 1")
    sweep_plan = plan(config, overrides)
    directory = Path(out_dir) if out_dir is not None else default_directory(sweep_plan)
    import yaml

    raw = {**sweep_plan.base,
           "sweep": sweep_plan.spec.model_dump(mode="json", exclude_defaults=True)}
    if sweep_plan.cohort is not None:
        raw["cohort"] = sweep_plan.cohort
    manifest = write_manifest(directory, sweep_plan, yaml.safe_dump(raw, sort_keys=False))
    states = point_states(directory, manifest)
    todo_states = ("missing", "failed") if retry_failed else ("missing",)
    todo = [p for p in manifest["points"] if states[p["id"]][0] in todo_states]
    for p in todo:
        if states[p["id"]][0] == "failed":
            logger.info("point %s: failed before (%s), retried", p["id"],
                        states[p["id"]][1].get("error", "no error recorded"))
    running = sum(1 for s, _ in states.values() if s == "running")
    n_builds = len(sweep_plan.builds)
    if not quiet:
        done = sum(1 for s, _ in states.values() if s == "done")
        echo(f"{directory}: {len(sweep_plan.points)} points, {done} done, {len(todo)} to run"
             + (f", {running} running elsewhere" if running else "")
             + f"; {n_builds} build(s)")
    logger.info("sweep %s: %d points, %d to run, executor %s", directory,
                len(sweep_plan.points), len(todo), executor)
    if not todo:
        build_index(directory)
        return directory
    settings = dict(sweep_plan.spec.executor.get(executor, {}))
    n_workers = workers or int(settings.pop("workers", 0)) or os.cpu_count() or 1
    if executor == "local":
        chunks = executors.chunk_points(todo, n_workers * 2, max_size=8)
        executors.run_local(directory, chunks, n_workers, quiet=quiet)
    elif executor == "dask":
        # one point per task and subprocess: Dask balances them over its workers
        chunks = executors.chunk_points(todo, len(todo), max_size=1)
        executors.run_dask(directory, chunks, workers=n_workers,
                           scheduler=scheduler or settings.get("scheduler"),
                           jobqueue=settings.get("jobqueue"), quiet=quiet)
    else:
        for key, value in (slurm or {}).items():
            if key not in _SLURM_KEYS:
                raise UserInputError(f"slurm setting {key!r}: expected one of "
                                     + ", ".join(_SLURM_KEYS))
            if value is not None:
                settings[key] = value
        for key in ("throttle", "chunk", "cpus"):
            if settings.get(key) is not None and int(settings[key]) < 1:
                raise UserInputError(f"slurm {key} {settings[key]}: expected a whole number "
                                     "of at least 1")
        per_task = int(settings.get("chunk", 1))
        chunks = executors.chunk_points(todo, len(todo), max_size=per_task)
        jobs = executors.submit_slurm(directory, chunks, settings, print_only=print_script,
                                      echo=echo)
        if jobs is None:
            return directory
        logger.info("submitted array job %s (%d tasks) and collect job %s", jobs[0],
                    len(chunks), jobs[1])
        if not quiet:
            echo(f"submitted array job {jobs[0]} ({len(chunks)} tasks) and collect job "
                 f"{jobs[1]}; check with: plasticity status {directory}")
        if wait:
            executors.wait_for_jobs(list(jobs))
        return directory
    build_index(directory)
    return directory

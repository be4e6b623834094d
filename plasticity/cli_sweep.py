"""Sweep commands of the command line: sweep, status, collect, sweep-worker."""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

from .errors import UserInputError

__all__ = ["COMMANDS", "add_parsers"]

_SWEEP_EPILOG = """\
examples:
  plasticity sweep configs/dose_response.yaml --dry-run
  plasticity sweep configs/dose_response.yaml -o results/dose --workers 2
  plasticity sweep configs/dose_response.yaml -o results/dose --executor slurm \\
      --partition short --time 01:00:00 --memory 2G --throttle 50
  plasticity sweep configs/dose_response.yaml -o results/dose --executor slurm --print-script
  plasticity sweep configs/dose_response.yaml -o results/dose --executor dask --workers 4
  plasticity status results/dose
  plasticity collect results/dose
"""


def add_parsers(sub: Any, set_help: str) -> None:
    """Add the sweep commands to the main parser's subparsers."""
    sweep = sub.add_parser(
        "sweep",
        help="run the parameter sweep of a config (local, Slurm or Dask)",
        description=textwrap.fill(
            "Expand CONFIG's sweep section into points (grid, zip, points, random, "
            "latin_hypercube, morris, sobol; replicates as seeds) and run every point that "
            "is not done into OUTPUT/points/<id>.h5. Points that share a network structure "
            "share one compiled program. Rerunning the same command (or --resume) runs "
            "only what is missing or failed; a finished point is never run again. A failed "
            "point is logged with its traceback in OUTPUT/status.jsonl and never stops "
            "the others. When the points are done (local and dask executors) the index "
            "OUTPUT/index.h5 is built, as 'plasticity collect' does.", width=80
        ),
        epilog=_SWEEP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sweep.add_argument("config", type=Path, help="experiment config (YAML) with a sweep section")
    sweep.add_argument("-o", "--output", type=Path, default=None,
                       help="sweep directory (default: results/<name>_sweep)")
    sweep.add_argument("--set", dest="overrides", action="append", default=[],
                       metavar="KEY=VALUE", help=set_help)
    sweep.add_argument("--executor", choices=["local", "slurm", "dask"], default="local")
    sweep.add_argument("--workers", type=int, default=None,
                       help="parallel processes (local, dask; default: CPU count)")
    sweep.add_argument("--dry-run", action="store_true",
                       help="print the table of points and the builds they need; run nothing")
    sweep.add_argument("--resume", action="store_true",
                       help="run only missing or failed points (also what a plain rerun does)")
    sweep.add_argument("--retry-failed", action=argparse.BooleanOptionalAction, default=True,
                       help="run failed points again (default: yes)")
    sweep.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    slurm = sweep.add_argument_group("slurm (also sweep.executor.slurm in the config)")
    slurm.add_argument("--partition")
    slurm.add_argument("--time", help="time limit per array task, e.g. 01:00:00")
    slurm.add_argument("--memory", help="memory per array task, e.g. 2G")
    slurm.add_argument("--cpus", type=int, help="CPUs per array task")
    slurm.add_argument("--throttle", type=int, help="array tasks running at once (%%N)")
    slurm.add_argument("--chunk", type=int, help="points per array task (default: 1)")
    slurm.add_argument("--print-script", action="store_true",
                       help="print the batch scripts instead of submitting them")
    slurm.add_argument("--wait", action="store_true",
                       help="wait for the array and collect jobs to finish")
    dask = sweep.add_argument_group("dask (also sweep.executor.dask in the config)")
    dask.add_argument("--scheduler", help="address of a running scheduler, e.g. tcp://host:8786")

    status = sub.add_parser(
        "status", help="show done, running, failed and missing points of a sweep",
        description="Count the points of the sweep in DIR by state, from the points' own "
        "files and the status log (no batch-system accounting needed), and list the "
        "failed ones with their error.")
    status.add_argument("directory", type=Path, help="sweep directory")
    status.add_argument("--all", action="store_true", help="list every point")

    collect = sub.add_parser(
        "collect", help="build the sweep index (index.h5) for notebooks",
        description="Write DIR/index.h5 atomically: one row per point with its parameters, "
        "seed, state and every /summary scalar, and links to the finished point files. "
        "Load it with plasticity.analysis.load_sweep(DIR).")
    collect.add_argument("directory", type=Path, help="sweep directory")
    collect.add_argument("-q", "--quiet", action="store_true")

    worker = sub.add_parser(
        "sweep-worker", help="(internal) run points of a sweep; used by every executor",
        description="Run the given points of the sweep in DIR one after the other.")
    worker.add_argument("directory", type=Path)
    worker.add_argument("--ids", help="comma-separated point ids")
    worker.add_argument("--chunks", type=Path, help="chunks file (Slurm array)")
    worker.add_argument("--task", type=int, help="index into the chunks file")
    worker.add_argument("-q", "--quiet", action="store_true")


def _load(args: argparse.Namespace):
    from .sweep import plan_from_file

    plan = plan_from_file(args.config, args.overrides)
    if plan is None:
        raise UserInputError(f"{args.config}: no sweep section (see 'plasticity sweep --help')")
    return plan


def _format_value(value: Any) -> str:
    return "" if value is None else str(value)


def _print_table(plan: Any) -> None:
    keys = plan.parameters
    header = ["#", "id", "seed", "build", *keys]
    rows = [[str(p.index), p.id, str(p.seed), p.build,
             *(_format_value(p.params.get(k)) for k in keys)] for p in plan.points]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def _cmd_sweep(args: argparse.Namespace) -> int:
    import yaml

    from . import executors
    from .sweepdir import build_index, point_states, write_manifest

    for flag, value in (("--workers", args.workers), ("--throttle", args.throttle),
                        ("--chunk", args.chunk), ("--cpus", args.cpus)):
        if value is not None and value < 1:
            raise UserInputError(f"{flag} {value}: expected a whole number of at least 1")
    plan = _load(args)
    spec = plan.spec
    n_builds = len(plan.builds)
    if args.dry_run:
        _print_table(plan)
        dup = f", {plan.duplicates} duplicates dropped" if plan.duplicates else ""
        print(f"{len(plan.points)} points ({spec.replicates} replicate(s) each{dup}); "
              f"{n_builds} build(s): points of one build share one compiled program")
        return 0
    directory = args.output or Path("results") / f"{plan.base.get('name', 'experiment')}_sweep"
    raw = {**plan.base, "sweep": spec.model_dump(mode="json", exclude_defaults=True)}
    manifest = write_manifest(directory, plan, yaml.safe_dump(raw, sort_keys=False))
    states = point_states(directory, manifest)
    todo_states = ("missing", "failed") if args.retry_failed else ("missing",)
    todo = [p for p in manifest["points"] if states[p["id"]][0] in todo_states]
    running = sum(1 for s, _ in states.values() if s == "running")
    if not args.quiet:
        done = sum(1 for s, _ in states.values() if s == "done")
        print(f"{directory}: {len(plan.points)} points, {done} done, {len(todo)} to run"
              + (f", {running} running elsewhere" if running else "")
              + f"; {n_builds} build(s)")
    if not todo:
        build_index(directory)
        return 0
    settings = dict(spec.executor.get(args.executor, {}))
    workers = args.workers or int(settings.pop("workers", 0)) or os.cpu_count() or 1

    if args.executor == "local":
        chunks = executors.chunk_points(todo, workers * 2, max_size=8)
        counts = executors.run_local(directory, chunks, workers, quiet=args.quiet)
    elif args.executor == "dask":
        # one point per task and subprocess: Dask balances them over its workers
        chunks = executors.chunk_points(todo, len(todo), max_size=1)
        counts = executors.run_dask(directory, chunks, workers=workers,
                                    scheduler=args.scheduler or settings.get("scheduler"),
                                    jobqueue=settings.get("jobqueue"), quiet=args.quiet)
    else:
        for key in ("partition", "time", "memory", "cpus", "throttle", "chunk"):
            value = getattr(args, key)
            if value is not None:
                settings[key] = value
        per_task = int(settings.get("chunk", 1))
        if per_task < 1:
            raise UserInputError(f"--chunk {per_task}: expected at least 1 point per task")
        chunks = executors.chunk_points(todo, len(todo), max_size=per_task)
        jobs = executors.submit_slurm(directory, chunks, settings, print_only=args.print_script)
        if jobs is None:
            return 0
        print(f"submitted array job {jobs[0]} ({len(chunks)} tasks) and collect job {jobs[1]}; "
              f"check with: plasticity status {directory}")
        if args.wait:
            executors.wait_for_jobs(list(jobs))
            return _report(directory, quiet=args.quiet)
        return 0
    build_index(directory)
    if not args.quiet:
        print(f"done {counts['done']}, failed {counts['failed']}, missing "
              f"{counts['missing'] + counts['running']}; index: {directory / 'index.h5'}")
    return 0 if counts["failed"] == 0 and counts["missing"] == 0 else 1


def _report(directory: Path, quiet: bool = False, show_all: bool = False) -> int:
    from .sweepdir import point_states, read_manifest, summarize_states

    manifest = read_manifest(directory)
    states = point_states(directory, manifest)
    counts = summarize_states(states)
    if not quiet:
        print(f"{directory}: {len(states)} points: " + ", ".join(
            f"{n} {s}" for s, n in counts.items()))
        by_id = {p["id"]: p for p in manifest["points"]}
        for pid, (state, event) in states.items():
            if state == "failed" or show_all:
                params = json.dumps(by_id[pid]["params"], default=str)
                why = f"  {event.get('error', '')}" if state == "failed" else ""
                print(f"  {pid} {state:8s} seed {by_id[pid]['seed']} {params}{why}")
    return 0 if counts["done"] == len(states) else 1


def _cmd_status(args: argparse.Namespace) -> int:
    _report(args.directory, show_all=args.all)
    return 0


def _cmd_collect(args: argparse.Namespace) -> int:
    from .sweepdir import build_index, point_states, summarize_states

    path = build_index(args.directory)
    if not args.quiet:
        counts = summarize_states(point_states(args.directory))
        print(f"wrote {path} (" + ", ".join(f"{n} {s}" for s, n in counts.items()) + ")")
    return 0


def _cmd_sweep_worker(args: argparse.Namespace) -> int:
    from .executors import read_chunk
    from .sweeprun import run_points

    if args.ids:
        ids = [i for i in args.ids.split(",") if i]
    elif args.chunks is not None and args.task is not None:
        ids = read_chunk(args.chunks, args.task)
    else:
        raise UserInputError("give --ids, or --chunks with --task")
    done, failed = run_points(args.directory, ids, quiet=True)
    if not args.quiet:
        print(f"points done {done}, failed {failed}", file=sys.stderr)
    return 0 if failed == 0 else 1


COMMANDS = {"sweep": _cmd_sweep, "status": _cmd_status, "collect": _cmd_collect,
            "sweep-worker": _cmd_sweep_worker}

"""Sweep commands of the command line: sweep, status, collect, sweep-worker."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from plasticity.errors import UserInputError
from plasticity.sweep.directory import (
    INDEX,
    build_index,
    point_states,
    read_manifest,
    summarize_states,
)

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
        "Load it with plasticity.sweep.load_sweep(DIR).")
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
    from plasticity.sweep import api

    for flag, value in (("--workers", args.workers), ("--throttle", args.throttle),
                        ("--chunk", args.chunk), ("--cpus", args.cpus)):
        if value is not None and value < 1:
            raise UserInputError(f"{flag} {value}: expected a whole number of at least 1")
    if args.dry_run:
        plan = api.plan(args.config, args.overrides)
        _print_table(plan)
        dup = f", {plan.duplicates} duplicates dropped" if plan.duplicates else ""
        print(f"{len(plan.points)} points ({plan.spec.replicates} replicate(s) each{dup}); "
              f"{len(plan.builds)} build(s): points of one build share one compiled program")
        return 0
    slurm = {key: getattr(args, key) for key in
             ("partition", "time", "memory", "cpus", "throttle", "chunk")}
    directory = api.run(args.config, args.output, executor=args.executor,
                        workers=args.workers, overrides=args.overrides,
                        retry_failed=args.retry_failed, quiet=args.quiet, slurm=slurm,
                        scheduler=args.scheduler, print_script=args.print_script,
                        wait=args.wait)
    if args.executor == "slurm":
        return _report(directory, quiet=args.quiet) if args.wait and not args.print_script \
            else 0
    counts = summarize_states(point_states(directory))
    if not args.quiet:
        print(f"done {counts['done']}, failed {counts['failed']}, missing "
              f"{counts['missing'] + counts['running']}; index: {directory / INDEX}")
    return 0 if counts["failed"] == 0 and counts["missing"] + counts["running"] == 0 else 1


def _report(directory: Path, quiet: bool = False, show_all: bool = False) -> int:
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
    path = build_index(args.directory)
    if not args.quiet:
        counts = summarize_states(point_states(args.directory))
        print(f"wrote {path} (" + ", ".join(f"{n} {s}" for s, n in counts.items()) + ")")
    return 0


def _cmd_sweep_worker(args: argparse.Namespace) -> int:
    from plasticity.sweep.executors import read_chunk
    from plasticity.sweep.worker import run_points

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

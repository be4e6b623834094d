"""Run sweep points: the entry point every executor calls, one process per chunk.

A worker runs a list of points one after the other. Points of one network
structure share one compiled program (the build cache), so a chunk of
replicates compiles at most once. For every point it logs ``started``, runs
the experiment into ``points/<id>.h5`` (written atomically) and logs
``done`` or ``failed`` with the traceback; a failed point never stops the
others. A point whose file already exists is skipped, so nothing finished
is ever run twice.

SIGUSR1 or SIGTERM (Slurm sends one before the time limit with
``--signal=B:USR1@120``) make the worker stop after the current point and
log the points it did not start as ``interrupted``; they are run again by
``plasticity sweep --resume``.
"""

from __future__ import annotations

import logging
import signal
import time
import traceback
from pathlib import Path
from typing import Any

from plasticity.sweep.design import point_config
from plasticity.sweep.directory import (
    SHARED_DIR,
    log_event,
    point_done,
    point_path,
    read_manifest,
)

__all__ = ["run_points"]

logger = logging.getLogger(__name__)


class _Stop:
    requested = False

    def __call__(self, signum: int, frame: Any) -> None:  # noqa: ARG002 - signal API
        self.requested = True


def _initial_state(manifest: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The state every point starts from (``sweep.initial_state``), or why it cannot be had.

    The file must still be the one the sweep was planned with (same SHA-256):
    points of one sweep never start from different states.
    """
    from plasticity.storage import open_result
    from plasticity.sweep.design import file_digest

    entry = manifest.get("initial_state")
    if not entry:
        return None, None
    path = Path(entry["path"])
    if not path.is_file():
        return None, f"sweep.initial_state '{path}' is gone"
    if file_digest(path) != entry["sha256"]:
        return None, (f"sweep.initial_state '{path}' changed since the sweep was planned "
                      "(SHA-256 differs); restore it or start a new sweep directory")
    return open_result(path).final_state(), None


def run_points(directory: Path, ids: list[str], *, quiet: bool = True) -> tuple[int, int]:
    """Run the points ``ids`` of the sweep in ``directory``.

    Returns
    -------
    (int, int)
        Points done (including those found done) and points failed.
    """
    from plasticity.simulation.simulate import reusing_builds

    directory = Path(directory)
    manifest = read_manifest(directory)
    by_id = {p["id"]: p for p in manifest["points"]}
    unknown = [pid for pid in ids if pid not in by_id]
    if unknown:
        raise KeyError(f"not points of this sweep: {', '.join(unknown[:5])}")
    stop = _Stop()
    for sig in (signal.SIGUSR1, signal.SIGTERM):
        signal.signal(sig, stop)
    # points of one build together: its program is generated once per run of it; within
    # a build, the points of one seed (a cohort's patient) one after another, so they
    # run on the Brian2 objects the last one left (reusing_builds) and share its settle
    order = sorted(ids, key=lambda pid: (by_id[pid]["build"], by_id[pid]["seed"],
                                         by_id[pid]["index"]))
    initial_state, state_error = _initial_state(manifest)
    with reusing_builds():
        return _run_ordered(directory, manifest, by_id, order, stop, initial_state,
                            state_error, quiet)


def _run_ordered(directory: Path, manifest: dict[str, Any], by_id: dict[str, Any],
                 order: list[str], stop: _Stop, initial_state: dict[str, Any] | None,
                 state_error: str | None, quiet: bool) -> tuple[int, int]:
    from plasticity.simulation.treatment import run

    done = failed = 0
    for k, pid in enumerate(order):
        if stop.requested:
            for rest in order[k:]:
                if not point_done(point_path(directory, rest)):
                    log_event(directory, rest, "interrupted")
            break
        path = point_path(directory, pid)
        if point_done(path):
            logger.info("point %s: skipped, already done (%s)", pid, path)
            done += 1
            continue
        point = by_id[pid]
        log_event(directory, pid, "started")
        logger.info("point %s: started (%d of %d in this worker)", pid, k + 1, len(order))
        t0 = time.perf_counter()
        try:
            if state_error is not None:
                raise ValueError(state_error)
            config = point_config(manifest["base"], point["params"], point["seed"])
            run(config, path, progress=not quiet, initial_state=initial_state,
                shared_dir=directory / SHARED_DIR)
        except Exception as err:  # noqa: BLE001 - every failure is recorded, none stops us
            failed += 1
            logger.warning("point %s: failed after %.1f s: %s: %s", pid,
                           time.perf_counter() - t0, type(err).__name__, err)
            log_event(directory, pid, "failed", error=f"{type(err).__name__}: {err}",
                      traceback=traceback.format_exc(), wall_s=time.perf_counter() - t0)
            continue
        done += 1
        wall_s = time.perf_counter() - t0
        logger.info("point %s: done in %.1f s -> %s", pid, wall_s, path)
        log_event(directory, pid, "done", wall_s=round(wall_s, 3))
    return done, failed

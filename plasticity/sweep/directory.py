"""The sweep directory: manifest, status log, one result file per point, index.

Layout of ``DIR``::

    manifest.json    the points (id, parameters, seed, build), the designs and
                     the base config; written once, atomically
    status.jsonl     append-only log: one JSON line per event (started, done,
                     failed with its traceback, interrupted), with host and pid
    points/<id>.h5   one result file per point, written atomically
    index.h5         built by collect: parameter table, /summary scalars of
                     every point, links to the point files
    logs/            executor logs (Slurm output, worker stderr)
    shared/          pieces that several points start from, computed once: the
                     settle of a virtual patient, taken by each of its arms
                     (:func:`plasticity.simulation.treatment.run_treatment`)

The truth about a point is its own file: a point is done when
``points/<id>.h5`` exists and opens (written atomically, so it is whole).
The log says why a point is not done (failed, or started by a worker that
is still running or died). Nothing here needs a file lock: the log is
appended with single ``write`` calls on a file opened ``O_APPEND``.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections import Counter
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from plasticity import __version__
from plasticity.errors import UserInputError
from plasticity.storage import INDEX_FORMAT, MANIFEST_FORMAT, atomic_file, atomic_h5
from plasticity.sweep.grammar import split_value

__all__ = ["INDEX", "MANIFEST", "SHARED_DIR", "STATUS_LOG", "build_index", "log_event",
           "point_done", "point_path", "point_states", "read_log", "read_log_since",
           "read_manifest", "write_manifest"]

MANIFEST = "manifest.json"
STATUS_LOG = "status.jsonl"
INDEX = "index.h5"
SHARED_DIR = "shared"
STATES = ("done", "failed", "running", "missing")


def point_path(directory: Path, pid: str) -> Path:
    """The result file of point ``pid``."""
    return Path(directory) / "points" / f"{pid}.h5"


def write_manifest(directory: Path, plan: Any, config_text: str) -> dict[str, Any]:
    """Write the manifest of a new sweep, or check it against an existing one.

    Rerunning the same command resumes; pointing a different sweep at a
    directory that holds one is refused, so no finished point is ever
    overwritten by a point of another design.

    Parameters
    ----------
    directory : path
        The sweep directory (created if needed).
    plan : SweepPlan
        The expanded sweep (:func:`plasticity.sweep.design.expand`); only its
        ``to_json()`` is used.
    config_text : str
        The config the sweep was made from, stored for reference.

    Returns
    -------
    dict
        The manifest in force (the existing one when resuming).

    Raises
    ------
    UserInputError
        If the directory holds another sweep.
    """
    directory = Path(directory)
    manifest = {
        "format": MANIFEST_FORMAT,
        "plasticity_version": __version__,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config_yaml": config_text,
        **plan.to_json(),
    }
    existing = directory / MANIFEST
    if existing.exists():
        old = read_manifest(directory)
        old_ids = [p["id"] for p in old["points"]]
        new_ids = [p["id"] for p in manifest["points"]]
        if (old_ids != new_ids or old["base"] != manifest["base"]
                or old.get("initial_state") != manifest.get("initial_state")):
            raise UserInputError(
                f"'{directory}' holds another sweep ({len(old_ids)} points, made "
                f"{old.get('created_utc', '?')}) than this config ({len(new_ids)} points); "
                "use another output directory, or delete it to start over")
        return old
    (directory / "points").mkdir(parents=True, exist_ok=True)
    (directory / "logs").mkdir(exist_ok=True)
    with atomic_file(existing) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1, default=str) + "\n")
    return manifest


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of the sweep in ``directory``."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise UserInputError(f"'{directory}' is not a sweep directory (no {MANIFEST})")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise UserInputError(f"'{path}' cannot be read: {err}") from None
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if found != MANIFEST_FORMAT:
        raise UserInputError(f"'{path}': format {found!r} is not {MANIFEST_FORMAT!r}, the "
                             f"sweep format this version of plasticity reads")
    return manifest


def log_event(directory: Path, pid: str, event: str, **extra: Any) -> None:
    """Append one event of point ``pid`` to the status log."""
    record = {"id": pid, "event": event, "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                              time.gmtime()),
              "host": socket.gethostname(), "pid": os.getpid(), **extra}
    line = (json.dumps(record, default=str) + "\n").encode()
    fd = os.open(Path(directory) / STATUS_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read_log(directory: Path) -> list[dict[str, Any]]:
    """Every event of the status log (a torn last line is skipped)."""
    return read_log_since(directory, 0)[0]


def read_log_since(directory: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Events of the complete log lines after byte ``offset``, and the offset after them.

    Parameters
    ----------
    directory : path
        The sweep directory.
    offset : int
        Where the previous read stopped (0 for the whole log).

    Returns
    -------
    (list of dict, int)
        The events, and the offset to pass next time.
    """
    path = Path(directory) / STATUS_LOG
    if not path.exists():
        return [], offset
    with open(path, "rb") as handle:
        handle.seek(offset)
        chunk = handle.read()
    complete = chunk[:chunk.rfind(b"\n") + 1]
    events = []
    for line in complete.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events, offset + len(complete)


def point_done(path: Path) -> bool:
    """Whether ``path`` is a complete result file."""
    if not path.is_file():
        return False
    try:
        with h5py.File(path, "r") as f:
            return "summary" in f and "provenance" in f
    except OSError:
        return False


def _alive(host: str, pid: int) -> bool:
    """Whether the worker ``pid`` on ``host`` may still be running a point.

    A worker killed with its parent (SIGKILL to a process group) stays a
    zombie until init reaps it, and ``kill(pid, 0)`` still succeeds on a
    zombie: on Linux its state in ``/proc/<pid>/stat`` tells it is dead.
    """
    if host != socket.gethostname():
        return True  # cannot tell; trust the log
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs: trust kill()
    state = stat[stat.rfind(")") + 1:].split()[:1]
    return state not in (["Z"], ["X"])


def point_states(directory: Path, manifest: dict[str, Any] | None = None,
                 ) -> dict[str, tuple[str, dict[str, Any]]]:
    """State of every point: ``done``, ``failed``, ``running`` or ``missing``.

    Returns ``{id: (state, last_event)}``. A point whose worker died while
    running it (same host, process gone) counts as missing.
    """
    manifest = manifest or read_manifest(directory)
    last: dict[str, dict[str, Any]] = {}
    for event in read_log(directory):
        last[event["id"]] = event
    out = {}
    for p in manifest["points"]:
        pid = p["id"]
        event = last.get(pid, {})
        if point_done(point_path(directory, pid)):
            state = "done"
        elif event.get("event") == "failed":
            state = "failed"
        elif event.get("event") == "started" and _alive(event.get("host", ""),
                                                         int(event.get("pid", -1))):
            state = "running"
        else:
            state = "missing"
        out[pid] = (state, event)
    return out


def summarize_states(states: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, int]:
    """Counts per state, every state present."""
    counts = Counter(state for state, _ in states.values())
    return {s: counts.get(s, 0) for s in STATES}


def _column(values: list[Any]) -> tuple[np.ndarray, str]:
    """A parameter column: numbers (unit in an attribute) or strings."""
    numbers, units = [], set()
    for v in values:
        if v is None:
            numbers.append(np.nan)
            continue
        try:
            x, unit = split_value(v)
        except ValueError:
            break
        numbers.append(x)
        units.add(unit)
    else:
        if len(units - {""}) <= 1:
            return np.asarray(numbers, dtype=float), next(iter(units - {""}), "")
    return np.asarray(["" if v is None else str(v) for v in values], dtype=object), ""


def build_index(directory: Path) -> Path:
    """Write ``index.h5``: the parameter table, summaries and links, atomically.

    ``/table`` holds one row per point: ``id``, ``seed``, ``replicate``,
    ``block``, ``state``, ``file`` (relative path), a column per swept
    parameter (numbers with a ``units`` attribute, or strings) and a column
    per ``/summary`` scalar of the point files (NaN where a point is not
    done). ``/files/<id>`` are external links to the finished point files
    only, so the index opens whatever happens to the others; a reader that
    follows links should use h5py (xarray refuses files with dangling links).
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    points = manifest["points"]
    states = point_states(directory, manifest)
    params = manifest.get("parameters", [])
    summaries: dict[str, dict[str, float]] = {}
    units: dict[str, str] = {}
    for p in points:
        path = point_path(directory, p["id"])
        if states[p["id"]][0] != "done":
            continue
        try:
            with h5py.File(path, "r") as f:
                values = {}
                for name, ds in f["summary"].items():
                    values[name] = float(ds[()])
                    units.setdefault(name, str(ds.attrs.get("units", "")))
                summaries[p["id"]] = values
        except (OSError, KeyError, ValueError, TypeError):
            states[p["id"]] = ("failed", {"error": "result file unreadable"})
    names = sorted({n for v in summaries.values() for n in v})
    target = directory / INDEX
    with atomic_h5(target) as (f, _):
        f.attrs["format"] = INDEX_FORMAT
        f.attrs["plasticity_version"] = __version__
        f.attrs["created_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        f.attrs["parameters"] = json.dumps(params)
        f.attrs["blocks"] = json.dumps([{k: v for k, v in b.items() if k != "design"}
                                        for b in manifest.get("blocks", [])], default=str)
        table = f.create_group("table")
        text = h5py.string_dtype()
        table.create_dataset("id", data=np.array([p["id"] for p in points], dtype=object),
                             dtype=text)
        for key in ("seed", "replicate", "block", "row"):
            table.create_dataset(key, data=np.array([p[key] for p in points], dtype=np.int64))
        table.create_dataset("state", data=np.array([states[p["id"]][0] for p in points],
                                                    dtype=object), dtype=text)
        table.create_dataset("file", data=np.array([f"points/{p['id']}.h5" for p in points],
                                                   dtype=object), dtype=text)
        params_group = table.create_group("parameters")
        for key in params:
            column, unit = _column([p["params"].get(key) for p in points])
            if column.dtype == object:
                ds = params_group.create_dataset(key, data=column, dtype=text)
            else:
                ds = params_group.create_dataset(key, data=column)
            ds.attrs["units"] = unit
        summary = table.create_group("summary")
        for name in names:
            ds = summary.create_dataset(
                name, data=np.array([summaries.get(p["id"], {}).get(name, np.nan)
                                     for p in points], dtype=float))
            ds.attrs["units"] = units.get(name, "")
        files = f.create_group("files")
        for p in points:
            if p["id"] in summaries:
                files[p["id"]] = h5py.ExternalLink(f"points/{p['id']}.h5", "/")
    return target

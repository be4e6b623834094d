"""Sweeps in notebooks: the index as an xarray Dataset or a pandas table, and SALib analyses.

``load_sweep(DIR)`` reads ``DIR/index.h5`` (building it in memory from the
manifest and point files when it is missing). A sweep that is one grid with
replicates becomes an :class:`xarray.Dataset` with the grid's parameters and
``replicate`` as dimensions and every ``/summary`` scalar as a variable
(NaN where a point is not done); any other design becomes a tidy
:class:`pandas.DataFrame`, one row per point. Spike data stay in the point
files unless ``spikes=True``.

``sensitivity(DIR, output)`` runs SALib's analysis matching the sweep's
Morris (Morris 1991, Technometrics 33:161; Campolongo et al. 2007) or Sobol
(Saltelli 2002; Saltelli et al. 2010) design on one summary scalar,
averaging replicates.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
import xarray as xr

from plasticity.errors import UserInputError
from plasticity.storage import INDEX_FORMAT
from plasticity.sweep.directory import INDEX, STATUS_LOG, build_index, point_path, read_manifest

__all__ = ["load_sweep", "sensitivity", "sweep_table"]


def _read_index(path: Path) -> tuple[pd.DataFrame, dict[str, str], dict[str, Any]]:
    with h5py.File(path, "r") as f:
        t = f["table"]
        data: dict[str, Any] = {
            "id": t["id"].asstr()[:], "seed": t["seed"][:], "replicate": t["replicate"][:],
            "block": t["block"][:], "row": t["row"][:], "state": t["state"].asstr()[:],
            "file": t["file"].asstr()[:],
        }
        units: dict[str, str] = {}
        for name, ds in t["parameters"].items():
            data[name] = ds.asstr()[:] if ds.dtype.kind == "O" else ds[:]
            units[name] = str(ds.attrs.get("units", ""))
        for name, ds in t["summary"].items():
            data[name] = ds[:]
            units[name] = str(ds.attrs.get("units", ""))
        meta = {"parameters": json.loads(f.attrs["parameters"]),
                "blocks": json.loads(f.attrs["blocks"])}
    return pd.DataFrame(data), units, meta


def sweep_table(directory: str | Path) -> tuple[pd.DataFrame, dict[str, str], dict[str, Any]]:
    """The index as a table, its units, and the sweep's parameters and blocks.

    Reads ``index.h5``, or builds it first when it is missing or older than
    the status log (``plasticity collect`` does the same).

    Parameters
    ----------
    directory : str or Path
        Sweep directory (written by ``plasticity sweep``).

    Returns
    -------
    table : pandas.DataFrame
        One row per point: ``id``, ``seed``, ``replicate``, ``block``, ``row``,
        ``state``, ``file``, a column per swept parameter and a column per
        summary scalar (NaN where a point is not done).
    units : dict
        ``column -> units`` of the parameter and summary columns.
    meta : dict
        ``{"parameters": [swept parameter keys], "blocks": [designs]}``.

    Raises
    ------
    UserInputError
        If ``directory`` is not a sweep directory or its manifest cannot be read.
    """
    directory = Path(directory)
    index = directory / INDEX
    log = directory / STATUS_LOG
    stale = not index.exists() or (log.exists()
                                   and log.stat().st_mtime > index.stat().st_mtime)
    if not stale:
        try:
            with h5py.File(index, "r") as f:
                stale = f.attrs.get("format") != INDEX_FORMAT
        except OSError:
            stale = True
    if stale:
        read_manifest(directory)  # a clear error if this is no sweep directory
        build_index(directory)
    return _read_index(index)


def load_sweep(directory: str | Path, *, spikes: bool = False) -> xr.Dataset | pd.DataFrame:
    """A sweep's parameters and summary scalars, for analysis.

    Parameters
    ----------
    directory : path
        Sweep directory (written by ``plasticity sweep``).
    spikes : bool
        Also load each done point's spikes (a ``spikes`` column of dicts
        ``population -> (node_ids, times_ms)``; tables only).

    Returns
    -------
    xarray.Dataset or pandas.DataFrame
        A Dataset over the grid's parameters and ``replicate`` when the sweep
        is a single grid; otherwise a DataFrame with one row per point.
    """
    table, units, meta = sweep_table(directory)
    blocks = meta["blocks"]
    params = meta["parameters"]
    grid = (len(blocks) == 1 and blocks[0]["kind"] == "grid" and not spikes
            and set(blocks[0]["axes"]) == set(params))
    summary_names = [c for c in table.columns if c not in (
        {"id", "seed", "replicate", "block", "row", "state", "file"} | set(params))]
    if grid:
        axes = blocks[0]["axes"]
        coords: dict[str, Any] = {}
        for key, values in axes.items():
            column = table[key]
            coords[key] = np.unique(column.to_numpy())
            if len(coords[key]) != len(values):
                grid = False
                break
    if grid:
        dims = [*axes, "replicate"]
        coords["replicate"] = np.unique(table["replicate"].to_numpy())
        indexed = table.set_index(dims)
        ds = xr.Dataset.from_dataframe(indexed[[*summary_names, "seed", "state", "id"]])
        for name in summary_names:
            ds[name].attrs["units"] = units.get(name, "")
        for key in axes:
            ds[key].attrs["units"] = units.get(key, "")
        ds.attrs["sweep_directory"] = str(Path(directory))
        return ds
    if spikes:
        from plasticity.storage import open_result

        loaded = []
        for pid, state in zip(table["id"], table["state"], strict=True):
            if state != "done":
                loaded.append(None)
                continue
            result = open_result(point_path(Path(directory), pid))
            loaded.append({pop: result.spikes(pop) for pop in result.populations})
        table = table.assign(spikes=loaded)
    table.attrs["units"] = units
    return table


def sensitivity(directory: str | Path, output: str | Callable[[Any], float], *,
                block: int | None = None, seed: int = 0) -> pd.DataFrame:
    """SALib sensitivity indices of an output of the points for a Morris or Sobol block.

    Replicates of a design row are averaged. Every point of the block must
    be done (the analysis needs the whole design).

    Parameters
    ----------
    directory : str or Path
        Sweep directory (written by ``plasticity sweep``).
    output : str or callable
        Name of a summary scalar of the point files (a column of
        :func:`sweep_table`), or a function of a point's
        :class:`~plasticity.storage.Result` that returns a number (a readout
        of its series, say).
    block : int, optional
        Index of the Morris or Sobol block to analyse; default the first one.
    seed : int
        Seed of SALib's bootstrap confidence intervals.

    Returns
    -------
    pandas.DataFrame
        One row per parameter: ``mu``, ``mu_star``, ``sigma``, ``mu_star_conf``
        (Morris) or ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (Sobol).

    Raises
    ------
    UserInputError
        If ``directory`` is no sweep directory, has no Morris or Sobol block,
        ``block`` is not one, ``output`` is not a summary scalar, or a point
        of the block is not done.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    table, _, _ = sweep_table(directory)
    blocks = manifest["blocks"]
    candidates = [b for b, info in enumerate(blocks) if info["kind"] in ("morris", "sobol")]
    if block is None:
        if not candidates:
            raise UserInputError(f"'{directory}': no morris or sobol block in this sweep")
        block = candidates[0]
    if block not in candidates:
        raise UserInputError(f"block {block} is a {blocks[block]['kind']} design, not morris "
                             "or sobol")
    if not callable(output) and output not in table.columns:
        raise UserInputError(f"'{output}' is not a summary scalar of this sweep; known: "
                             + ", ".join(c for c in table.columns if c not in (
                                 "id", "seed", "replicate", "block", "row", "state", "file")))
    info = blocks[block]
    states = dict(zip(table["id"], table["state"], strict=True))
    missing = [pid for row in info["rows"] for pid in row if states.get(pid) != "done"]
    if missing:
        raise UserInputError(f"{len(missing)} points of block {block} are not done (e.g. "
                             f"{', '.join(missing[:3])}); run the sweep to the end first")
    if callable(output):
        from plasticity.storage import open_result

        ids = {pid for row in info["rows"] for pid in row}
        values = {pid: float(output(open_result(point_path(directory, pid)))) for pid in ids}
    else:
        values = dict(zip(table["id"], table[output], strict=True))
    y = np.array([np.mean([values[pid] for pid in row]) for row in info["rows"]])
    problem = info["problem"]
    x = np.asarray(info["design"], dtype=float)
    if info["kind"] == "morris":
        from SALib.analyze import morris

        res = morris.analyze(problem, x, y, num_levels=info["levels"], seed=seed)
        keys = ("mu", "mu_star", "sigma", "mu_star_conf")
    else:
        from SALib.analyze import sobol

        res = sobol.analyze(problem, y, calc_second_order=info["second_order"], seed=seed)
        keys = ("S1", "S1_conf", "ST", "ST_conf")
    return pd.DataFrame({k: np.asarray(res[k], dtype=float) for k in keys},
                        index=pd.Index(problem["names"], name="parameter"))

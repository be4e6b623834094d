"""Connectivity between groups of cells, from the edge-list snapshots of a result.

Structural plasticity stores full edge lists of every plastic pathway at
``structural.snapshot_interval`` (``/snapshots/<pathway>``, see
:mod:`plasticity.storage`). Assembly studies (Gallinaro & Rotter 2018, Sci Rep
8:3754; Lu, Gallinaro & Rotter 2019, Netw Neurosci 3:924) follow the
connection probability between groups: the number of synapses from group A
to group B divided by the number of possible pairs (without self-pairs when
A and B overlap and autapses are excluded). Multapses count with their
multiplicity, as NEST counts connections. Deafferentation studies (Butz &
van Ooyen 2013, PLoS Comput Biol 9:e1003259) follow the connected synaptic
elements of each group instead: :func:`group_degrees` gives the mean number
of incoming synapses (connected dendritic elements) and outgoing synapses
(connected axonal elements) per cell of each group.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from plasticity.storage import MissingEntryError, Result

__all__ = ["block_probability", "group_connectivity", "group_degrees"]


def block_probability(
    edges: np.ndarray, pre_ids: np.ndarray, post_ids: np.ndarray, *, autapses: bool = False
) -> float:
    """Synapses from ``pre_ids`` to ``post_ids`` per possible pair.

    Parameters
    ----------
    edges : array (n, 3)
        Edge list: presynaptic id, postsynaptic id, number of synapses.
    pre_ids, post_ids : arrays of int
        Cell ids of the two groups (within the pathway's populations).
    autapses : bool
        Whether a cell can contact itself (counts the self-pairs as possible).
    """
    pre_ids = np.unique(np.asarray(pre_ids, dtype=np.int64))
    post_ids = np.unique(np.asarray(post_ids, dtype=np.int64))
    pairs = len(pre_ids) * len(post_ids)
    if not autapses:
        pairs -= len(np.intersect1d(pre_ids, post_ids))
    if pairs <= 0:
        raise ValueError("the two groups have no possible pair")
    edges = np.asarray(edges).reshape(-1, 3)
    inside = np.isin(edges[:, 0], pre_ids) & np.isin(edges[:, 1], post_ids)
    if not autapses:
        inside &= edges[:, 0] != edges[:, 1]
    return float(edges[inside, 2].sum()) / pairs


def _snapshots(result: Result, pathway: str):
    """``(time_ms, edges)`` of every snapshot of ``pathway``, in order."""
    k = 0
    while True:
        try:
            yield result.snapshot(pathway, k)
        except MissingEntryError:  # past the last snapshot
            return
        k += 1


def group_degrees(result: Result, pathway: str, groups: Mapping[str, np.ndarray]) -> xr.Dataset:
    """Mean incoming and outgoing synapses per cell of each group, per snapshot.

    Parameters
    ----------
    result : Result
        A result with edge-list snapshots of ``pathway``.
    pathway : str
        A plastic pathway, e.g. ``"exc_to_exc"``.
    groups : mapping of str to array of int
        Group name -> cell ids (in the pathway's populations).

    Returns
    -------
    xarray.Dataset
        ``in_<G>`` (synapses onto a cell of G from the whole source population:
        its connected dendritic elements) and ``out_<G>`` (synapses from a cell
        of G: its connected axonal elements), with coordinate ``time`` (ms).
        Multapses count with their multiplicity.
    """
    times, rows = [], []
    for t, edges in _snapshots(result, pathway):
        edges = np.asarray(edges).reshape(-1, 3)
        row = {}
        for name, ids in groups.items():
            ids = np.unique(np.asarray(ids, dtype=np.int64))
            row[f"in_{name}"] = float(edges[np.isin(edges[:, 1], ids), 2].sum()) / len(ids)
            row[f"out_{name}"] = float(edges[np.isin(edges[:, 0], ids), 2].sum()) / len(ids)
        times.append(t)
        rows.append(row)
    if not rows:
        raise ValueError(f"the result has no snapshots of pathway '{pathway}'")
    ds = xr.Dataset({name: ("time", np.array([r[name] for r in rows])) for name in rows[0]},
                    coords={"time": np.array(times)})
    ds["time"].attrs["units"] = "ms"
    for name in rows[0]:
        what = "incoming" if name.startswith("in_") else "outgoing"
        ds[name].attrs.update(units="1", long_name=f"{what} synapses per cell")
    return ds


def group_connectivity(
    result: Result, pathway: str, groups: Mapping[str, np.ndarray], *, autapses: bool = False
) -> xr.Dataset:
    """Connection probability between every ordered pair of groups, per snapshot.

    Returns a Dataset with one variable ``p_<A>_to_<B>`` per pair of group
    names and the coordinate ``time`` (ms) of the snapshots.
    """
    times, rows = [], []
    for t, edges in _snapshots(result, pathway):
        times.append(t)
        rows.append({
            f"p_{a}_to_{b}": block_probability(edges, ga, gb, autapses=autapses)
            for a, ga in groups.items() for b, gb in groups.items()
        })
    if not rows:
        raise ValueError(f"the result has no snapshots of pathway '{pathway}'")
    data = {name: ("time", np.array([r[name] for r in rows])) for name in rows[0]}
    ds = xr.Dataset(data, coords={"time": np.array(times)})
    ds["time"].attrs["units"] = "ms"
    for name in rows[0]:
        ds[name].attrs.update(units="1", long_name="synapses per possible pair")
    return ds

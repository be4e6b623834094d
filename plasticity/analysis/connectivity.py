"""Connectivity between groups of cells, from the edge-list snapshots of a result.

Structural plasticity stores full edge lists of every plastic pathway at
``structural.snapshot_interval`` (``/snapshots/<pathway>``, see
:mod:`plasticity.storage`). Assembly studies (Gallinaro & Rotter 2018, Sci Rep
8:3754; Lu, Gallinaro & Rotter 2019, Netw Neurosci 3:924) follow the
connection probability between groups: the number of synapses from group A
to group B divided by the number of possible pairs (without self-pairs when
A and B overlap and autapses are excluded). Multapses count with their
multiplicity, as NEST counts connections.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from plasticity.storage import MissingEntryError, Result

__all__ = ["block_probability", "group_connectivity"]


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


def group_connectivity(
    result: Result, pathway: str, groups: Mapping[str, np.ndarray], *, autapses: bool = False
) -> xr.Dataset:
    """Connection probability between every ordered pair of groups, per snapshot.

    Returns a Dataset with one variable ``p_<A>_to_<B>`` per pair of group
    names and the coordinate ``time`` (ms) of the snapshots.
    """
    times, rows = [], []
    k = 0
    while True:
        try:
            t, edges = result.snapshot(pathway, k)
        except MissingEntryError:  # past the last snapshot
            break
        times.append(t)
        rows.append({
            f"p_{a}_to_{b}": block_probability(edges, ga, gb, autapses=autapses)
            for a, ga in groups.items() for b, gb in groups.items()
        })
        k += 1
    if not rows:
        raise ValueError(f"the result has no snapshots of pathway '{pathway}'")
    data = {name: ("time", np.array([r[name] for r in rows])) for name in rows[0]}
    ds = xr.Dataset(data, coords={"time": np.array(times)})
    ds["time"].attrs["units"] = "ms"
    for name in rows[0]:
        ds[name].attrs.update(units="1", long_name="synapses per possible pair")
    return ds

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

__all__ = ["block_probability", "dendritic_sites", "group_connectivity", "group_degrees",
           "reformation_at_eliminated_sites"]


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


def dendritic_sites(n_pre: int, n_post: int, *, seed: int, branches: int = 10,
                    length_um: float = 100.0) -> tuple[np.ndarray, np.ndarray]:
    """A dendritic site for every candidate pair: a branch of the target and a position on it.

    Every pair ``(pre, post)`` (index ``pre * n_post + post``) gets a branch in
    ``[0, branches)`` and a position uniform on ``[0, length_um)``, drawn from
    ``seed``: the same pair always sits at the same place, so a synapse that
    forms again on a pair forms at the site it was eliminated from. The
    numbers (10 branches of 100 um per cell) are our choice; only the
    chance level below depends on them.

    Returns
    -------
    branch, position_um : numpy.ndarray
        One value per pair.
    """
    rng = np.random.default_rng([int(seed), 7927])
    size = int(n_pre) * int(n_post)
    return (rng.integers(0, branches, size=size, dtype=np.int32),
            rng.uniform(0.0, length_um, size=size))


def reformation_at_eliminated_sites(
    eliminated: np.ndarray, formed: np.ndarray, n_pre: int, n_post: int, *, seed: int,
    branches: int = 10, length_um: float = 100.0, radius_um: float = 2.0,
    autapses: bool = True,
) -> dict[str, float]:
    """How many new synapses form where synapses were eliminated, against chance.

    Moda-Sava et al. (2019, Science 364:eaat8078) found ketamine restoring
    spines at the dendritic locations where stress had eliminated them. A
    new synapse counts as *at an eliminated site* when its site
    (:func:`dendritic_sites`) is on the same branch of the same target cell
    as a site that lost a synapse, within ``radius_um``. The chance level is
    the same share for a synapse formed on a pair drawn at random among the
    target's candidate pairs (random pairing of free elements), averaged
    over the observed formations' targets.

    Parameters
    ----------
    eliminated, formed : array (n, 2)
        ``(pre, post)`` of the pairs that lost a synapse over the history
        window, and of those that gained one after the drug.
    n_pre, n_post : int
        Sizes of the source and target populations (every pair a candidate).
    seed : int
        Seed of the sites.
    branches, length_um, radius_um : float
        Dendrite of each target cell and the distance that counts as the same site.
    autapses : bool
        Whether a cell's pair with itself is a candidate (recurrent pathways).

    Returns
    -------
    dict
        ``formed`` (number), ``at_eliminated`` (share of them at an eliminated
        site), ``chance`` (the share random pairing gives), ``ratio``
        (``at_eliminated / chance``; NaN without formations or chance 0).
    """
    eliminated = np.asarray(eliminated, dtype=np.int64).reshape(-1, 2)
    formed = np.asarray(formed, dtype=np.int64).reshape(-1, 2)
    branch, pos = dendritic_sites(n_pre, n_post, seed=seed, branches=branches,
                                  length_um=length_um)
    lost: dict[int, list[int]] = {}
    for pre, post in eliminated:
        lost.setdefault(int(post), []).append(int(pre) * n_post + int(post))

    def near(post: int, keys: np.ndarray) -> np.ndarray:
        """Which of the pairs ``keys`` (onto ``post``) sit at one of post's eliminated sites."""
        sites = np.asarray(lost.get(post, []), dtype=np.int64)
        if sites.size == 0:
            return np.zeros(len(keys), dtype=bool)
        same = branch[keys][:, None] == branch[sites][None, :]
        close = np.abs(pos[keys][:, None] - pos[sites][None, :]) <= radius_um
        return (same & close).any(axis=1)

    hits, chance = [], []
    pres = np.arange(n_pre, dtype=np.int64)
    for post in np.unique(formed[:, 1]):
        mine = formed[formed[:, 1] == post]
        hits.append(near(int(post), mine[:, 0] * n_post + post))
        candidates = pres if autapses else pres[pres != post]
        chance.append(np.full(len(mine), near(int(post), candidates * n_post + post).mean()))
    n = int(len(formed))
    if n == 0:
        return {"formed": 0.0, "at_eliminated": float("nan"), "chance": float("nan"),
                "ratio": float("nan")}
    observed = float(np.concatenate(hits).mean())
    expected = float(np.concatenate(chance).mean())
    return {"formed": float(n), "at_eliminated": observed, "chance": expected,
            "ratio": observed / expected if expected > 0 else float("nan")}

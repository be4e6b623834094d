"""A small numpy oracle of NEST's structural-plasticity update step.

Plain, obviously-correct Python for one update of one synapse type (a pair
of a presynaptic element, e.g. ``Axon_ex``, and a postsynaptic element,
e.g. ``Den_ex``), following NEST's ``SPManager::update_structural_plasticity``
(science.md section 1.3 [V]; exact order and corner cases from NEST 3.10,
docs/notes/nest_structural_plasticity_semantics.md):

1. For every neuron, ``n = floor(z) - connected`` for its presynaptic
   element and for its postsynaptic element.
2. Deletion where ``n < 0``, presynaptic side first: ``|n|`` of the neuron's
   outgoing synapses of this type, chosen uniformly at random without
   replacement, are removed; the partner's element is freed (its connected
   count drops), not destroyed. On the presynaptic side only synapses onto
   targets whose postsynaptic element is nonzero are candidates (``z``, or
   ``floor(z)`` for non-continuous elements), and a deficit larger than the
   candidates is capped. Then the postsynaptic side (every incoming synapse
   a candidate), with counts recomputed after the presynaptic deletions. An
   element freed here can be paired again in the same update. Each deletion
   frees one element on both sides, and an element that is still
   over-connected afterwards has its ``z`` raised to ``connected +
   frac(z)`` (:func:`release`), so deleting ``k >= 2`` synapses for a
   deficit of ``k`` leaves ``k - 1`` vacancies.
3. Creation: each neuron with ``n > 0`` is repeated ``n`` times in a vacant
   list, one list per side. The longer list is shuffled and cut to the
   length of the shorter one (on a tie the postsynaptic list is sampled),
   and the two are paired element by element.
   Pairing is independent of distance and activity; autapses and multapses
   are allowed unless switched off, in which case the offending pairs are
   dropped (NEST 3.10 ignores ``allow_multapses`` here; we honour it).
4. After every synapse type is updated, each element with ``v`` vacancies
   loses ``tau_vacant * v`` of its ``z`` (:func:`decay_vacant`).

Synapses are kept as an explicit list of ``(pre, post)`` pairs, so a
multapse is simply a repeated pair. This module is the reference the
compiled engine is tested against; it is not meant to be fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["SynapseType", "decay_vacant", "delete_excess", "nest_update", "release", "vacant"]


@dataclass
class SynapseType:
    """State of one plastic synapse type over a network of ``n`` neurons.

    Attributes
    ----------
    z_pre, z_post : arrays of float
        Number of presynaptic and postsynaptic elements of every neuron (0
        for neurons that do not carry that element).
    synapses : list of (pre, post)
        Existing synapses of this type; a multapse appears several times.
    """

    z_pre: np.ndarray
    z_post: np.ndarray
    synapses: list[tuple[int, int]] = field(default_factory=list)
    continuous_post: bool = True

    def connected_pre(self) -> np.ndarray:
        """Connected presynaptic elements per neuron (outgoing synapses)."""
        counts = np.zeros(len(self.z_pre), dtype=int)
        for pre, _ in self.synapses:
            counts[pre] += 1
        return counts

    def connected_post(self) -> np.ndarray:
        """Connected postsynaptic elements per neuron (incoming synapses)."""
        counts = np.zeros(len(self.z_post), dtype=int)
        for _, post in self.synapses:
            counts[post] += 1
        return counts


def vacant(z: np.ndarray, connected: np.ndarray) -> np.ndarray:
    """``floor(z) - connected``: free elements (> 0) or excess connections (< 0)."""
    return np.floor(np.asarray(z, dtype=float)).astype(int) - np.asarray(connected, dtype=int)


def delete_excess(state: SynapseType, side: int, rng: np.random.Generator) -> int:
    """Remove the excess synapses of every neuron on ``side`` (0 pre, 1 post).

    Returns the number of synapses removed. Step 2 of :func:`nest_update`.
    """
    connected = state.connected_pre() if side == 0 else state.connected_post()
    z = state.z_pre if side == 0 else state.z_post
    excess = -vacant(z, connected)
    doomed: set[int] = set()
    post_value = state.z_post if state.continuous_post else np.floor(state.z_post)
    for neuron in np.flatnonzero(excess > 0):
        mine = [k for k, syn in enumerate(state.synapses) if syn[side] == neuron
                and (side == 1 or post_value[syn[1]] != 0.0)]
        pick = rng.choice(len(mine), size=min(int(excess[neuron]), len(mine)), replace=False)
        doomed.update(mine[i] for i in pick)
    pre_conn, post_conn = state.connected_pre(), state.connected_post()
    for k in sorted(doomed):
        pre, post = state.synapses[k]
        release(state.z_pre, pre_conn, pre)
        release(state.z_post, post_conn, post)
    state.synapses = [syn for k, syn in enumerate(state.synapses) if k not in doomed]
    return len(doomed)


def release(z: np.ndarray, connected: np.ndarray, neuron: int) -> None:
    """One connected element of ``neuron`` freed, in place (NEST's ``connect(-1)``).

    If the element is still over-connected afterwards (``connected >
    floor(z)``), NEST raises ``z`` to ``connected + frac(z)``
    (``SynapticElement::connect``, nest-simulator 3.10
    synaptic_element.h). A neuron deleting ``k >= 2`` synapses for a
    deficit of ``k`` therefore ends with ``k - 1`` vacant elements.
    """
    connected[neuron] -= 1
    whole = np.floor(z[neuron])
    if connected[neuron] > whole:
        z[neuron] = connected[neuron] + (z[neuron] - whole)


def _create(state: SynapseType, rng: np.random.Generator, *, autapses: bool,
            multapses: bool) -> int:
    pre_free = np.maximum(vacant(state.z_pre, state.connected_pre()), 0)
    post_free = np.maximum(vacant(state.z_post, state.connected_post()), 0)
    pre_list = np.repeat(np.arange(len(pre_free)), pre_free)
    post_list = np.repeat(np.arange(len(post_free)), post_free)
    n = min(len(pre_list), len(post_list))
    if len(pre_list) > len(post_list):
        pre_list = rng.permutation(pre_list)[:n]
    else:
        post_list = rng.permutation(post_list)[:n]
    existing = set(state.synapses)
    made = 0
    for pre, post in zip(pre_list.tolist(), post_list.tolist(), strict=True):
        if not autapses and pre == post:
            continue
        if not multapses and (pre, post) in existing:
            continue
        state.synapses.append((pre, post))
        existing.add((pre, post))
        made += 1
    return made


def nest_update(state: SynapseType, rng: np.random.Generator, *, autapses: bool = True,
                multapses: bool = True) -> dict[str, int]:
    """One structural update of one synapse type, in place.

    Returns
    -------
    dict
        ``deleted_pre``, ``deleted_post`` and ``created`` synapse counts.
    """
    deleted_pre = delete_excess(state, 0, rng)
    deleted_post = delete_excess(state, 1, rng)
    created = _create(state, rng, autapses=autapses, multapses=multapses)
    return {"deleted_pre": deleted_pre, "deleted_post": deleted_post, "created": created}


def decay_vacant(z: np.ndarray, connected: np.ndarray, tau_vacant: float = 0.1) -> np.ndarray:
    """NEST's decay of vacant elements after an update: ``z -= tau_vacant * v`` for ``v > 0``."""
    v = vacant(z, connected)
    return np.where(v > 0, np.asarray(z, dtype=float) - tau_vacant * v, z)

"""The numpy oracle of NEST's structural update (reference target T2, science.md 1.3)."""

from __future__ import annotations

import numpy as np
import pytest

from plasticity.model.rewiring_oracle import SynapseType, delete_excess, nest_update, vacant


def _random_state(rng, n=30, n_syn=120):
    synapses = [(int(a), int(b)) for a, b in zip(rng.integers(0, n, n_syn),
                                                 rng.integers(0, n, n_syn), strict=True)]
    state = SynapseType(np.zeros(n), np.zeros(n), synapses)
    # element counts around the connected counts: some neurons in excess, some vacant
    state.z_pre = np.maximum(state.connected_pre() + rng.normal(0, 3, n), 0)
    # every target keeps at least one element, so no pre-side candidate is filtered out
    state.z_post = np.maximum(state.connected_post() + rng.normal(0, 3, n), 1.0)
    return state


@pytest.mark.parametrize("seed", range(5))
def test_deletion_removes_exactly_the_excess(seed):
    """T2: deletion removes max(0, connected - floor(z)) synapses of each element
    (pre side first, then post side on the recomputed counts)."""
    rng = np.random.default_rng(seed)
    state = _random_state(rng)
    excess_pre = np.maximum(-vacant(state.z_pre, state.connected_pre()), 0)
    before = len(state.synapses)
    out = nest_update(state, rng)
    assert out["deleted_pre"] == excess_pre.sum()
    assert before - out["deleted_pre"] - out["deleted_post"] + out["created"] == len(
        state.synapses)
    # afterwards no element has more connections than floor(z)
    assert np.all(state.connected_pre() <= np.floor(state.z_pre))
    assert np.all(state.connected_post() <= np.floor(state.z_post))


@pytest.mark.parametrize("seed", range(5))
def test_creation_never_exceeds_vacant_elements(seed):
    """T2: pairing never creates more than min(total vacant pre, total vacant post)."""
    rng = np.random.default_rng(100 + seed)
    n = 40
    state = SynapseType(rng.uniform(0, 6, n), rng.uniform(0, 4, n), [])
    limit = min(vacant(state.z_pre, 0).sum(), vacant(state.z_post, 0).sum())
    out = nest_update(state, rng)
    assert out["created"] == limit  # autapses and multapses allowed: every pair kept
    assert np.all(state.connected_pre() <= np.floor(state.z_pre))
    assert np.all(state.connected_post() <= np.floor(state.z_post))


def test_pairing_is_uniform_over_vacant_elements():
    """The longer list is shuffled: each vacant presynaptic element is equally
    likely to be chosen, so neuron k is picked in proportion to its vacancies."""
    rng = np.random.default_rng(7)
    z_pre = np.array([1.0, 2.0, 3.0, 4.0, 0.0])  # 10 vacant boutons
    z_post = np.array([0.0, 0.0, 0.0, 0.0, 2.0])  # 2 vacant spines on neuron 4
    picks = np.zeros(5)
    trials = 4000
    for _ in range(trials):
        state = SynapseType(z_pre.copy(), z_post.copy(), [])
        nest_update(state, rng)
        for pre, post in state.synapses:
            assert post == 4
            picks[pre] += 1
    expected = 2 * trials * z_pre / z_pre.sum()
    chi2 = np.sum((picks[:4] - expected[:4]) ** 2 / expected[:4])
    assert chi2 < 16.3  # chi-square, 3 dof, p = 0.001


def test_deleted_synapses_are_chosen_uniformly():
    rng = np.random.default_rng(3)
    counts = np.zeros(4)
    for _ in range(3000):
        state = SynapseType(np.array([1.0, 0, 0, 0, 0]), np.array([0, 9.0, 9.0, 9.0, 9.0]),
                            [(0, 1), (0, 2), (0, 3), (0, 4)])
        delete_excess(state, 0, rng)
        (kept,) = state.synapses
        counts[kept[1] - 1] += 1
    assert np.all(np.abs(counts - 750) < 4 * np.sqrt(750))


def test_freed_partner_elements_can_reconnect():
    """Deletion frees the partner's element: it counts as vacant again."""
    state = SynapseType(np.array([0.0, 5.0]), np.array([1.0, 0.0]), [(0, 0)])
    out = nest_update(state, np.random.default_rng(0))
    assert out["deleted_pre"] == 1
    assert state.synapses == [(1, 0)]  # neuron 0's spine got neuron 1's bouton


def test_autapses_and_multapses_can_be_forbidden():
    rng = np.random.default_rng(5)
    state = SynapseType(np.array([3.0, 0.0]), np.array([3.0, 0.0]), [(0, 0)])
    nest_update(state, rng, autapses=False)
    assert state.synapses == [(0, 0)]  # the old one stays, no new autapse
    state = SynapseType(np.array([3.0, 0.0]), np.array([0.0, 3.0]), [(0, 1)])
    nest_update(state, rng, multapses=False)
    assert state.synapses == [(0, 1)]
    state = SynapseType(np.array([3.0, 0.0]), np.array([0.0, 3.0]), [(0, 1)])
    nest_update(state, rng)
    assert state.synapses == [(0, 1)] * 3  # multapses by default, as in NEST


def test_presynaptic_deletion_skips_targets_without_elements():
    """NEST 3.10: a pre-side deficit only deletes synapses onto targets whose
    postsynaptic element is nonzero (floor(z) for non-continuous elements)."""
    z_post = np.array([0.0, 0.5, 3.0])  # target 0 has no element, target 1 half of one
    for continuous, by_pre in ((True, 2), (False, 1)):
        state = SynapseType(np.zeros(3), z_post.copy(), [(0, 0), (0, 1), (0, 2)],
                            continuous_post=continuous)
        out = nest_update(state, np.random.default_rng(0))
        # the pre side (deficit 3) deletes only onto eligible targets, capped;
        # the post side then removes what its own elements cannot hold
        assert out["deleted_pre"] == by_pre
        assert out["deleted_post"] == 3 - by_pre
        # the first deletion left neuron 0 over-connected (2 > floor(0)), so
        # NEST's connect(-1) raised its z to 2.0: two vacancies, paired again
        # with target 2's spines
        assert state.z_pre[0] == 2.0
        assert state.synapses == [(0, 2), (0, 2)]


def test_vacant_elements_decay_by_tau_vacant():
    from plasticity.model.rewiring_oracle import decay_vacant

    z = np.array([5.5, 2.0, 0.3])
    out = decay_vacant(z, np.array([2, 2, 0]), 0.1)
    assert out == pytest.approx([5.5 - 0.1 * 3, 2.0, 0.3])

"""Re-formation at eliminated dendritic sites against chance (T10 criterion 7).

Synthetic edge sets with known answers: synapses formed again on the pairs
that lost them are all at eliminated sites; synapses formed on pairs drawn
at random land there at the chance level, which is written out here by
brute force over every candidate pair.
"""

from __future__ import annotations

import numpy as np
import pytest

from plasticity.analysis import dendritic_sites, reformation_at_eliminated_sites

N_PRE, N_POST, SEED = 200, 30, 5


def _chance_by_brute_force(eliminated, post, radius=2.0):
    branch, pos = dendritic_sites(N_PRE, N_POST, seed=SEED)
    lost = [pre * N_POST + p for pre, p in eliminated if p == post]
    hits = 0
    for pre in range(N_PRE):
        k = pre * N_POST + post
        if any(branch[k] == branch[e] and abs(pos[k] - pos[e]) <= radius for e in lost):
            hits += 1
    return hits / N_PRE


def test_sites_are_fixed_per_pair_and_spread_over_the_dendrite():
    b1, x1 = dendritic_sites(N_PRE, N_POST, seed=SEED)
    b2, x2 = dendritic_sites(N_PRE, N_POST, seed=SEED)
    np.testing.assert_array_equal(b1, b2)
    np.testing.assert_array_equal(x1, x2)
    assert set(np.unique(b1)) == set(range(10)) and 0 <= x1.min() and x1.max() < 100.0
    b3, _ = dendritic_sites(N_PRE, N_POST, seed=SEED + 1)
    assert not np.array_equal(b1, b3)


def test_synapses_formed_again_on_their_pairs_are_all_at_eliminated_sites():
    rng = np.random.default_rng(0)
    eliminated = np.column_stack([rng.choice(N_PRE, 40, replace=False), np.repeat([3, 7], 20)])
    out = reformation_at_eliminated_sites(eliminated, eliminated[::2], N_PRE, N_POST, seed=SEED)
    assert out["formed"] == 20 and out["at_eliminated"] == 1.0
    expected = np.mean([_chance_by_brute_force(eliminated, p) for p in eliminated[::2, 1]])
    assert out["chance"] == pytest.approx(expected, rel=1e-12)
    assert 0 < out["chance"] < 0.5 and out["ratio"] == pytest.approx(1.0 / expected)


def test_synapses_formed_at_random_pairs_land_at_eliminated_sites_by_chance():
    rng = np.random.default_rng(1)
    posts = np.arange(N_POST)
    eliminated = np.column_stack([rng.integers(0, N_PRE, 300), rng.choice(posts, 300)])
    formed = np.column_stack([rng.integers(0, N_PRE, 6000), rng.choice(posts, 6000)])
    out = reformation_at_eliminated_sites(eliminated, formed, N_PRE, N_POST, seed=SEED)
    # binomial sampling error of the observed share over 6000 formations
    se = np.sqrt(out["chance"] * (1 - out["chance"]) / 6000)
    assert abs(out["at_eliminated"] - out["chance"]) < 4 * se
    assert reformation_at_eliminated_sites(eliminated, np.zeros((0, 2)), N_PRE, N_POST,
                                           seed=SEED)["formed"] == 0

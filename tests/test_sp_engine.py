"""The compiled update (sp_engine.cpp) against the numpy oracle, draw for draw in distribution.

The engine's C++ is compiled on its own into a small library (ctypes) and
applied many times, with different seeds, to one network state; the numpy
oracle of NEST's update (plasticity.model.rewiring_oracle) is applied as
many times to the same state. Deterministic parts must agree exactly, the
random ones in distribution (means within 4 standard errors).
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

from plasticity.model.rewiring_oracle import SynapseType, nest_update, vacant
from tests.conftest import compile_harness

N = 40


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    dll = compile_harness(tmp_path_factory, "sp_engine_harness.cpp")
    dll.sp_update_once.restype = ctypes.c_int
    return dll


def _compiled(dll, nsyn, z_pre, z_post, seed, *, autapses=True, multapses=True,
              continuous=True):
    pre, post = np.divmod(np.arange(N * N, dtype=np.int32), N)
    ns = np.ascontiguousarray(nsyn, dtype=np.int32).copy()
    zp, zq = np.array(z_pre, dtype=float), np.array(z_post, dtype=float)
    out = np.zeros(2)
    p = ctypes.POINTER
    dll.sp_update_once(
        ctypes.c_int(N), ctypes.c_int(N * N),
        pre.astype(np.int32).ctypes.data_as(p(ctypes.c_int32)),
        post.astype(np.int32).ctypes.data_as(p(ctypes.c_int32)),
        ns.ctypes.data_as(p(ctypes.c_int32)), zp.ctypes.data_as(p(ctypes.c_double)),
        zq.ctypes.data_as(p(ctypes.c_double)), ctypes.c_uint64(seed), int(autapses),
        int(multapses), int(continuous), out.ctypes.data_as(p(ctypes.c_double)),
    )
    return ns, out[0], out[1], zp, zq


def _state(seed):
    rng = np.random.default_rng(seed)
    nsyn = (rng.random(N * N) < 0.08).astype(np.int32) * rng.integers(1, 3, N * N)
    pre, post = np.divmod(np.arange(N * N), N)
    out_deg = np.bincount(pre, weights=nsyn, minlength=N)
    in_deg = np.bincount(post, weights=nsyn, minlength=N)
    z_pre = np.maximum(out_deg + rng.normal(0, 2.5, N), 0)
    z_post = np.maximum(in_deg + rng.normal(0, 2.5, N), 0)
    z_post[rng.choice(N, 4, replace=False)] = 0.0  # some targets without elements
    return nsyn, z_pre, z_post


def _oracle(nsyn, z_pre, z_post, rng):
    pre, post = np.divmod(np.arange(N * N), N)
    synapses = [(int(a), int(b)) for a, b, c in zip(pre, post, nsyn, strict=True)
                for _ in range(int(c))]
    state = SynapseType(z_pre.copy(), z_post.copy(), synapses)
    out = nest_update(state, rng)
    return (out["deleted_pre"] + out["deleted_post"], out["created"], state.z_pre.sum(),
            state.z_post.sum())


@pytest.mark.parametrize("state_seed", [1, 2, 3])
def test_compiled_update_matches_oracle_in_distribution(engine, state_seed):
    nsyn, z_pre, z_post = _state(state_seed)
    draws = 300
    compiled = []
    for seed in range(draws):
        _, deleted, created, zp, zq = _compiled(engine, nsyn, z_pre, z_post, seed)
        compiled.append((deleted, created, zp.sum(), zq.sum()))
    compiled = np.array(compiled)
    rng = np.random.default_rng(state_seed)
    oracle = np.array([_oracle(nsyn, z_pre, z_post, rng) for _ in range(draws)])
    for col, name in ((0, "deleted"), (1, "created"), (2, "z_pre after"), (3, "z_post after")):
        a, b = compiled[:, col], oracle[:, col]
        se = np.sqrt(a.var(ddof=1) / draws + b.var(ddof=1) / draws) + 1e-12
        assert abs(a.mean() - b.mean()) < 4 * se + 1e-9, (name, a.mean(), b.mean(), se)


def test_compiled_update_invariants(engine):
    nsyn, z_pre, z_post = _state(7)
    pre, post = np.divmod(np.arange(N * N), N)
    for seed in range(50):
        after, deleted, created, zp, zq = _compiled(engine, nsyn, z_pre, z_post, seed)
        assert after.sum() == nsyn.sum() - deleted + created
        out_deg = np.bincount(pre, weights=after, minlength=N)
        in_deg = np.bincount(post, weights=after, minlength=N)
        assert np.all(vacant(zq, in_deg) >= 0)
        # all pairs are candidates: pairing stops when one side runs out
        assert min(np.maximum(vacant(zp, out_deg), 0).sum(),
                   vacant(zq, in_deg).sum()) == 0
        # deletion only ever raises z (NEST's connect(-1)); growth is not run here
        assert np.all(zp >= z_pre) and np.all(zq >= z_post)


def test_compiled_update_respects_autapses_and_multapses(engine):
    nsyn = np.zeros(N * N, dtype=np.int32)
    z = np.full(N, 3.0)
    after, _, created, _, _ = _compiled(engine, nsyn, z, z, 0, autapses=False, multapses=False)
    pre, post = np.divmod(np.arange(N * N), N)
    assert created > 0 and np.all(after[pre == post] == 0) and after.max() == 1


@pytest.mark.parametrize("scale", [1.0, 3.0, 0.5])
def test_vacant_decay_compounds_over_a_compressed_update(engine, scale):
    """One update standing for ``scale`` updates removes 1 - (1 - tau_vacant)^scale."""
    z = np.array([5.7, 2.0, 9.2, 0.4])
    conn = np.array([2.0, 2.0, 3.0, 0.0])
    out = z.copy()
    p = ctypes.POINTER(ctypes.c_double)
    engine.decay_once(4, out.ctypes.data_as(p), conn.ctypes.data_as(p), ctypes.c_double(0.1),
                      ctypes.c_double(scale))
    vacant = np.floor(z) - conn
    expected = z - np.where(vacant > 0, vacant, 0) * (1 - 0.9**scale)
    assert np.allclose(out, expected, rtol=0, atol=1e-12)


def test_deletion_raises_z_of_elements_left_over_connected(engine):
    """Regression (late-phase drift against NEST): NEST's ``connect(-1)`` raises
    ``z`` to ``connected + frac(z)`` while an element stays over-connected.

    Neuron 0 has 5.3 boutons and 8 synapses onto neuron 1 (10.5 spines): its
    deficit of 3 deletes three synapses; the first raises z to 7.3, so it ends
    with 5 synapses and 2 vacancies, which pair again with neuron 1's spines
    (freed by the same deletions) in the same update. Without the raise the
    neuron would end with 5.3 boutons and 5 synapses.
    """
    nsyn = np.zeros(N * N, dtype=np.int32)
    nsyn[0 * N + 1] = 8
    z_pre = np.zeros(N)
    z_pre[0] = 5.3
    z_post = np.zeros(N)
    z_post[1] = 10.5
    after, deleted, created, zp, zq = _compiled(engine, nsyn, z_pre, z_post, 0)
    assert deleted == 3 and created == 2
    assert after[0 * N + 1] == 7
    assert zp[0] == pytest.approx(7.3) and zq[1] == pytest.approx(10.5)
    state = SynapseType(z_pre.copy(), z_post.copy(), [(0, 1)] * 8)
    out = nest_update(state, np.random.default_rng(0))
    assert (out["deleted_pre"], out["created"]) == (3, 2)
    assert state.z_pre[0] == pytest.approx(7.3) and len(state.synapses) == 7

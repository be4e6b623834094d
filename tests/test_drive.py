"""The external drive's Poisson sampler (poisson_drive.cpp) in distribution.

The C++ is compiled on its own (ctypes) and its counts are compared with
the Poisson law: mean and variance within 5 standard errors and a
chi-square test of the probability mass function, for rates from far below
one event per step to the split regime above ``LAMBDA_MAX`` (64). Seeds are
fixed, so the tests are deterministic.
"""

from __future__ import annotations

import ctypes

import brian2 as b2
import numpy as np
import pytest
from scipy import stats

from plasticity.model.drive import poisson_function
from tests.conftest import compile_harness, standalone_device

N_DRAWS = 200_000


@pytest.fixture(scope="module")
def sampler(tmp_path_factory):
    return compile_harness(tmp_path_factory, "poisson_drive_harness.cpp")


def _draw(dll, lam: float, seed: int = 1, stream: int = 0, n: int = N_DRAWS) -> np.ndarray:
    out = np.zeros(n, dtype=np.int32)
    dll.poisson_many(ctypes.c_double(lam), ctypes.c_int(n), ctypes.c_uint64(seed),
                     ctypes.c_int(stream), out.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)))
    return out


@pytest.mark.parametrize("lam", [0.002, 0.25, 1.0, 7.5, 40.0, 150.0])
def test_counts_follow_poisson_law(sampler, lam):
    counts = _draw(sampler, lam)
    se_mean = np.sqrt(lam / N_DRAWS)
    assert abs(counts.mean() - lam) < 5 * se_mean
    # variance of the sample variance of a Poisson: (lam + 2 lam^2) / n
    se_var = np.sqrt((lam + 2 * lam**2) / N_DRAWS)
    assert abs(counts.var() - lam) < 5 * se_var
    # chi-square over the bins with at least 20 expected draws, tails pooled
    ks = np.arange(counts.max() + 2)
    expected = stats.poisson.pmf(ks, lam) * N_DRAWS
    keep = expected >= 20
    lo, hi = ks[keep][0], ks[keep][-1]
    obs = np.bincount(counts, minlength=len(ks))
    observed = np.concatenate([[obs[: lo + 1].sum()], obs[lo + 1 : hi], [obs[hi:].sum()]])
    exp = np.concatenate([[stats.poisson.cdf(lo, lam)], stats.poisson.pmf(ks[lo + 1 : hi], lam),
                          [stats.poisson.sf(hi - 1, lam)]]) * N_DRAWS
    if len(observed) > 1:
        assert stats.chisquare(observed, exp).pvalue > 1e-4


def test_zero_and_negative_rates_give_no_events(sampler):
    assert _draw(sampler, 0.0, n=1000).max() == 0
    assert _draw(sampler, -1.0, n=1000).max() == 0


def test_uniforms_are_uniform_and_streams_independent(sampler):
    n = 100_000
    a, b = np.zeros(n), np.zeros(n)
    p = ctypes.POINTER(ctypes.c_double)
    sampler.uniform_many(n, ctypes.c_uint64(7), 0, a.ctypes.data_as(p))
    sampler.uniform_many(n, ctypes.c_uint64(7), 1, b.ctypes.data_as(p))
    assert a.min() >= 0.0 and a.max() < 1.0
    assert stats.kstest(a, "uniform").pvalue > 1e-4
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(n)


def test_same_seed_same_counts_other_seed_other_counts(sampler):
    assert np.array_equal(_draw(sampler, 1.0, seed=3), _draw(sampler, 1.0, seed=3))
    assert not np.array_equal(_draw(sampler, 1.0, seed=3), _draw(sampler, 1.0, seed=4))
    assert not np.array_equal(_draw(sampler, 1.0, stream=0), _draw(sampler, 1.0, stream=1))


def test_shared_rate_still_draws_once_per_neuron(tmp_path):
    """Regression: Brian2 hoisted the call out of the loop over neurons.

    With a shared (loop-invariant) rate, Brian2 treated ``poisson_drive`` as
    a pure function and drew one count per step for the whole population:
    every cell got the same input. Counts summed over 2000 steps must vary
    between cells with the Poisson variance.
    """
    with standalone_device():
        control = b2.NeuronGroup(1, "rng_seed : integer (shared, constant)", name="control")
        seed = "brian::" + b2.get_device().get_array_name(control.variables["rng_seed"])
        group = b2.NeuronGroup(400, "n : 1\nlam : 1 (shared, constant)", name="cells",
                               namespace={"poisson_drive": poisson_function(seed, 1)})
        group.lam = 0.5
        control.rng_seed = 5
        group.run_regularly("n += poisson_drive(lam, 0)", dt=0.1 * b2.ms)
        net = b2.Network(control, group)
        net.run(200 * b2.ms, namespace={})
        b2.device.build(directory=str(tmp_path), compile=True, run=True, with_output=False)
        counts = np.array(group.n[:])
    steps = 2000
    assert counts.mean() == pytest.approx(0.5 * steps, rel=0.02)
    # across cells: Poisson(1000), SD 31.6; the sample variance within 25 %
    assert counts.var() == pytest.approx(0.5 * steps, rel=0.25)

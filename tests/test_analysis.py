"""Tests for plasticity.analysis on constructed spike trains and signals."""

from __future__ import annotations

import numpy as np
import pytest

from plasticity import analysis as an

DT_MS = 1.0  # 1 kHz sampling: Nyquist 500 Hz


def regular_population(n_nodes: int, rate_hz: float, t_stop_ms: float):
    """Each neuron fires regularly at ``rate_hz``; neurons are phase-shifted."""
    period = 1e3 / rate_hz
    ids, times = [], []
    for k in range(n_nodes):
        t = np.arange(k * period / n_nodes, t_stop_ms, period)
        ids.append(np.full(t.size, k))
        times.append(t)
    return np.concatenate(ids), np.concatenate(times)


def poisson_population(n_nodes: int, rate_hz: float, t_stop_ms: float, seed: int = 1):
    """Independent homogeneous Poisson trains."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rate_hz * t_stop_ms * 1e-3, n_nodes)
    ids = np.repeat(np.arange(n_nodes), counts)
    times = rng.uniform(0.0, t_stop_ms, counts.sum())
    return ids, times


def gamma_population(n_nodes: int, freq_hz: float, t_stop_ms: float, seed: int = 2):
    """Neurons fire, with probability 0.3, 1 ms-jittered spikes at each cycle."""
    rng = np.random.default_rng(seed)
    cycles = np.arange(0.0, t_stop_ms - 5.0, 1e3 / freq_hz)
    fire = rng.random((n_nodes, cycles.size)) < 0.3
    ids, cyc = np.nonzero(fire)
    times = cycles[cyc] + rng.normal(0.0, 1.0, ids.size) + 2.0
    return ids, times


def sine(freq_hz: float, duration_ms: float, noise: float = 0.0, seed: int = 3):
    t = np.arange(0.0, duration_ms, DT_MS)
    rng = np.random.default_rng(seed)
    return np.sin(2 * np.pi * freq_hz * t * 1e-3) + noise * rng.standard_normal(t.size)


# --------------------------------------------------------------------------
# rates
# --------------------------------------------------------------------------


def test_population_rate_regular_5hz():
    ids, times = regular_population(10, 5.0, 1000.0)
    centres, rate = an.population_rate(times, 10, 0.0, 1000.0, 200.0)
    np.testing.assert_allclose(centres, [100.0, 300.0, 500.0, 700.0, 900.0])
    np.testing.assert_allclose(rate, 5.0)


def test_population_rate_counts_and_window_edges():
    # 4 spikes in bin [0, 10), 2 in [10, 20); the spike at t_stop is excluded.
    times = [0.0, 1.0, 5.0, 9.99, 10.0, 15.0, 20.0, -1.0]
    centres, rate = an.population_rate(times, 2, 0.0, 20.0, 10.0)
    np.testing.assert_allclose(centres, [5.0, 15.0])
    # 4 spikes / (2 neurons * 0.01 s) = 200 Hz
    np.testing.assert_allclose(rate, [200.0, 100.0])


def test_population_rate_drops_partial_bin_and_handles_no_nodes():
    centres, rate = an.population_rate([1.0, 2.0], 0, 0.0, 25.0, 10.0)
    np.testing.assert_allclose(centres, [5.0, 15.0])
    np.testing.assert_array_equal(rate, [0.0, 0.0])


def test_mean_rate_regular_and_window():
    ids, times = regular_population(10, 5.0, 2000.0)
    assert an.mean_rate(times, 10, 0.0, 1000.0) == pytest.approx(5.0)
    assert an.mean_rate(times, 10, 1000.0, 2000.0) == pytest.approx(5.0)
    # 3 spikes inside [10, 30) for 3 neurons over 20 ms = 50 Hz
    assert an.mean_rate([5.0, 10.0, 20.0, 29.0, 30.0], 3, 10.0, 30.0) == pytest.approx(50.0)
    assert an.mean_rate(times, 0, 0.0, 1000.0) == 0.0


# --------------------------------------------------------------------------
# ISI CV
# --------------------------------------------------------------------------


def test_isi_cv_regular_is_zero():
    ids, times = regular_population(10, 5.0, 5000.0)
    assert an.isi_cv(ids, times) == pytest.approx(0.0, abs=1e-12)


def test_isi_cv_poisson_is_one():
    rng = np.random.default_rng(0)
    n_nodes, n_spikes = 20, 2000
    times = np.cumsum(rng.exponential(100.0, (n_nodes, n_spikes)), axis=1)
    ids = np.repeat(np.arange(n_nodes), n_spikes)
    order = rng.permutation(ids.size)  # input order must not matter
    assert an.isi_cv(ids[order], times.ravel()[order]) == pytest.approx(1.0, abs=0.05)


def test_isi_cv_hand_computed_and_filters():
    # neuron 0: ISIs 10, 30 -> mean 20, std 10 -> CV 0.5
    # neuron 1: only 2 spikes -> excluded with min_spikes=3
    # neuron 2: spike at t=0 is before t_start; remaining ISIs 10, 10 -> CV 0
    ids = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    times = [100.0, 110.0, 140.0, 100.0, 200.0, 0.0, 100.0, 110.0, 120.0]
    assert an.isi_cv(ids, times, t_start_ms=50.0) == pytest.approx(0.25)
    assert an.isi_cv(ids, times, min_spikes=4, t_start_ms=0.0) == pytest.approx(
        np.std([100.0, 10.0, 10.0]) / 40.0
    )
    assert np.isnan(an.isi_cv(ids, times, min_spikes=5))
    assert np.isnan(an.isi_cv([], []))


# --------------------------------------------------------------------------
# spectra
# --------------------------------------------------------------------------


def test_power_spectrum_default_resolution_and_mean_removed():
    x = sine(40.0, 4000.0) + 100.0
    freq, psd = an.power_spectrum(x, DT_MS)
    assert freq[1] - freq[0] == pytest.approx(2.0)  # 500 ms segments
    assert freq[-1] == pytest.approx(500.0)
    assert freq[np.argmax(psd)] == pytest.approx(40.0)
    assert psd[0] < 1e-6 * psd.max()
    # nperseg is capped at the signal length
    freq_short, _ = an.power_spectrum(x[:100], DT_MS)
    assert freq_short[1] - freq_short[0] == pytest.approx(10.0)


def test_band_power_fraction_gamma_sine():
    x = sine(40.0, 10_000.0, noise=0.1)
    assert an.band_power_fraction(x, DT_MS) > 0.8


def test_band_power_fraction_white_noise_matches_bandwidth_share():
    x = np.random.default_rng(4).standard_normal(100_000)
    expected = 50.0 / 499.0
    assert an.band_power_fraction(x, DT_MS) == pytest.approx(expected, abs=0.01)


def test_band_power_fraction_alpha_sine_is_small():
    x = sine(10.0, 10_000.0, noise=0.1)
    assert an.band_power_fraction(x, DT_MS) < 0.05


def test_band_power_fraction_total_capped_at_nyquist():
    # 2 ms sampling: Nyquist 250 Hz, so the total range becomes 1-250 Hz
    x = np.random.default_rng(5).standard_normal(50_000)
    frac = an.band_power_fraction(x, 2.0)
    assert frac == pytest.approx(50.0 / 249.0, abs=0.02)


def test_band_power_fraction_constant_signal_is_nan():
    assert np.isnan(an.band_power_fraction(np.ones(1000), DT_MS))


def test_peak_frequency_gamma_sine():
    x = sine(40.0, 10_000.0, noise=0.5)
    assert an.peak_frequency(x, DT_MS) == pytest.approx(40.0, abs=2.0)
    assert np.isnan(an.peak_frequency(np.zeros(1000), DT_MS))


# --------------------------------------------------------------------------
# synchrony and population summary
# --------------------------------------------------------------------------


def test_synchrony_chi_limits():
    rng = np.random.default_rng(6)
    row = rng.poisson(1.0, 5000).astype(float)
    assert an.synchrony_chi(np.tile(row, (50, 1))) == pytest.approx(1.0)
    independent = rng.poisson(1.0, (100, 5000))
    assert an.synchrony_chi(independent) == pytest.approx(0.1, abs=0.02)
    assert np.isnan(an.synchrony_chi(np.zeros((3, 10))))


def test_binned_spike_counts():
    counts = an.binned_spike_counts(
        [0, 0, 1, 2, 2], [1.0, 2.0, 15.0, 25.0, 31.0], 3, 0.0, 30.0, 10.0
    )
    np.testing.assert_array_equal(counts, [[2, 0, 0], [0, 1, 0], [0, 0, 1]])


def test_summarize_population_poisson():
    ids, times = poisson_population(100, 10.0, 10_000.0)
    s = an.summarize_population(ids, times, 100, 0.0, 10_000.0)
    assert set(s) == {
        "rate_hz",
        "cv_isi",
        "gamma_fraction",
        "peak_freq_hz",
        "fano_factor",
        "active_fraction",
        "pair_correlation",
    }
    assert s["rate_hz"] == pytest.approx(10.0, rel=0.03)
    assert abs(s["pair_correlation"]) < 0.01  # independent Poisson trains
    assert s["cv_isi"] == pytest.approx(1.0, abs=0.05)
    assert s["gamma_fraction"] == pytest.approx(50.0 / 499.0, abs=0.015)
    assert s["fano_factor"] == pytest.approx(1.0, abs=0.15)
    assert s["active_fraction"] == 1.0


def test_summarize_population_gamma_rhythm():
    ids, times = gamma_population(200, 40.0, 5000.0)
    s = an.summarize_population(ids, times, 200, 0.0, 5000.0)
    # 0.3 spikes per 25 ms cycle = 12 Hz
    assert s["rate_hz"] == pytest.approx(12.0, rel=0.05)
    assert s["peak_freq_hz"] == pytest.approx(40.0, abs=2.0)
    assert s["gamma_fraction"] > 0.3
    assert s["fano_factor"] > 5.0  # 10 ms counts follow the 25 ms cycle


def test_summarize_population_window_and_silent_neurons():
    ids = [0, 0, 0, 1, 2, 2]
    times = [10.0, 20.0, 30.0, 500.0, 1500.0, 1600.0]  # neuron 2 outside window
    s = an.summarize_population(ids, times, 10, 0.0, 1000.0)
    assert s["active_fraction"] == pytest.approx(0.2)
    assert s["rate_hz"] == pytest.approx(4 / (10 * 1.0))
    assert s["cv_isi"] == pytest.approx(0.0)
    empty = an.summarize_population([], [], 10, 0.0, 1000.0)
    assert empty["rate_hz"] == 0.0
    assert empty["active_fraction"] == 0.0
    assert np.isnan(empty["gamma_fraction"])
    assert np.isnan(empty["fano_factor"])


# --------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------


def test_bootstrap_ci_contains_true_mean_and_is_deterministic():
    x = np.random.default_rng(7).normal(3.0, 1.0, 5000)
    est, low, high = an.bootstrap_ci(x)
    assert est == pytest.approx(np.mean(x))
    assert low < 3.0 < high
    assert high - low == pytest.approx(2 * 1.96 / np.sqrt(5000), rel=0.15)
    assert an.bootstrap_ci(x, seed=0) == (est, low, high)
    assert an.bootstrap_ci(x, seed=1) != (est, low, high)


def test_bootstrap_ci_custom_stat_and_level():
    x = np.arange(101.0)
    est, low, high = an.bootstrap_ci(x, stat=np.median, n_boot=500, ci=0.5)
    assert est == 50.0
    assert low < 50.0 < high
    _, low90, high90 = an.bootstrap_ci(x, stat=np.median, n_boot=500, ci=0.9)
    assert low90 <= low and high90 >= high


def test_paired_effect_increase():
    baseline = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    noise = np.array([0.05, -0.05, 0.02, -0.02, 0.01, -0.01])
    treated = baseline * 1.2 + noise
    eff = an.paired_effect(baseline, treated)
    assert eff["n"] == 6
    assert eff["mean_diff"] == pytest.approx(0.7)
    assert 0.0 < eff["ci_low"] < 0.7 < eff["ci_high"]
    assert eff["relative_change"] == pytest.approx(np.mean(treated / baseline - 1.0))
    assert eff["relative_change"] == pytest.approx(0.2, abs=0.01)


def test_paired_effect_decrease_and_zero_baseline():
    baseline = np.array([10.0, 12.0, 8.0, 11.0])
    treated = baseline - np.array([2.0, 3.0, 2.5, 1.5])
    eff = an.paired_effect(baseline, treated, seed=3)
    assert eff["mean_diff"] == pytest.approx(-2.25)
    assert eff["ci_low"] < eff["ci_high"] < 0.0
    assert eff["relative_change"] < 0.0
    assert np.isnan(an.paired_effect([0.0, 1.0], [1.0, 2.0])["relative_change"])


# --------------------------------------------------------------------------
# argument validation
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: an.population_rate([1.0], 1, 10.0, 10.0, 1.0), "t_stop_ms"),
        (lambda: an.population_rate([1.0], 1, 0.0, 10.0, 0.0), "bin_ms"),
        (lambda: an.population_rate([1.0], 1, 0.0, 10.0, 20.0), "bin_ms"),
        (lambda: an.population_rate([1.0], -1, 0.0, 10.0, 1.0), "n_nodes"),
        (lambda: an.mean_rate([1.0], 1, 5.0, 1.0), "t_stop_ms"),
        (lambda: an.mean_rate([1.0], 2.5, 0.0, 1.0), "n_nodes"),
        (lambda: an.isi_cv([0, 1], [1.0]), "node_ids"),
        (lambda: an.isi_cv([0], [1.0], min_spikes=1), "min_spikes"),
        (lambda: an.isi_cv([-1], [1.0]), "node_ids"),
        (lambda: an.power_spectrum(np.ones(10), 0.0), "dt_ms"),
        (lambda: an.power_spectrum(np.ones((2, 10)), 1.0), "signal"),
        (lambda: an.power_spectrum([1.0, np.nan], 1.0), "signal"),
        (lambda: an.power_spectrum(np.ones(10), 1.0, nperseg=1), "nperseg"),
        (lambda: an.band_power_fraction(np.ones(10), 1.0, band_hz=(80, 30)), "band_hz"),
        (lambda: an.band_power_fraction(np.ones(10), 1.0, total_hz=(600, 700)), "total_hz"),
        (lambda: an.peak_frequency(np.ones(10), 1.0, band_hz=(-1, 30)), "band_hz"),
        (lambda: an.synchrony_chi(np.ones(10)), "counts"),
        (lambda: an.summarize_population([5], [1.0], 3, 0.0, 10.0), "node_ids"),
        (lambda: an.summarize_population([0], [1.0], 3, 0.0, 10.0, bin_ms=-1), "bin_ms"),
        (lambda: an.bootstrap_ci([]), "values"),
        (lambda: an.bootstrap_ci([1.0, np.inf]), "values"),
        (lambda: an.bootstrap_ci([1.0], n_boot=0), "n_boot"),
        (lambda: an.bootstrap_ci([1.0], ci=1.0), "ci"),
        (lambda: an.paired_effect([1.0, 2.0], [1.0]), "baseline"),
        (lambda: an.paired_effect([1.0], [np.nan]), "treated"),
    ],
)
def test_bad_arguments_raise_with_name(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_pairwise_correlation_against_corrcoef_and_a_shared_input():
    """Counts with a shared Poisson component of equal variance to the private one:
    every pair's correlation is var_shared / (var_shared + var_private) = 0.5."""
    from plasticity.analysis import pairwise_correlation

    rng = np.random.default_rng(3)
    shared = rng.poisson(3.0, 20000)
    x = np.array([rng.poisson(3.0, 20000) + shared for _ in range(12)])
    assert pairwise_correlation(x) == pytest.approx(0.5, abs=0.02)
    expected = np.corrcoef(x)[np.triu_indices(12, 1)].mean()
    assert pairwise_correlation(x) == pytest.approx(expected, rel=1e-10)
    silent = np.vstack([x[:3], np.zeros((2, 20000))])  # constant rows are left out
    assert pairwise_correlation(silent) == pytest.approx(
        np.corrcoef(x[:3])[np.triu_indices(3, 1)].mean(), rel=1e-10)
    assert np.isnan(pairwise_correlation(np.zeros((4, 10))))

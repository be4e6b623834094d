"""Readouts of spiking-network activity and simple statistics across seeds.

Pure numpy/scipy; spike data come in as flat arrays of neuron indices
(``node_ids``) and spike times (``timestamps_ms``). All times are in
milliseconds and all rates in Hz unless a name says otherwise. Analysis
windows are half-open, ``[t_start_ms, t_stop_ms)``.

The oscillation readout used throughout the project is the *relative* gamma
power (:func:`band_power_fraction`): absolute spectral power of a population
rate grows with the firing rate alone, whereas the fraction of power in the
30-80 Hz band does not.

References
----------
.. [1] Welch, P. D. (1967). The use of fast Fourier transform for the
   estimation of power spectra. IEEE Trans. Audio Electroacoust. 15(2), 70-73.
.. [2] Golomb, D. (2007). Neuronal synchrony measures. Scholarpedia 2(1), 1347.
.. [3] Efron, B., & Tibshirani, R. J. (1993). An Introduction to the
   Bootstrap. Chapman & Hall.
.. [4] Softky, W. R., & Koch, C. (1993). The highly irregular firing of
   cortical cells is inconsistent with temporal integration of random EPSPs.
   J. Neurosci. 13(1), 334-350.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import signal as sps

__all__ = [
    "DEFAULT_SEGMENT_MS",
    "FANO_BIN_MS",
    "GAMMA_BAND_HZ",
    "PEAK_BAND_HZ",
    "TOTAL_BAND_HZ",
    "band_power_fraction",
    "binned_spike_counts",
    "CORRELATION_BIN_MS",
    "bootstrap_ci",
    "isi_cv",
    "mean_rate",
    "paired_effect",
    "pairwise_correlation",
    "peak_frequency",
    "population_rate",
    "power_spectrum",
    "summarize_population",
    "synchrony_chi",
]

GAMMA_BAND_HZ: tuple[float, float] = (30.0, 80.0)
"""Gamma band used for the relative gamma power readout (Hz)."""

TOTAL_BAND_HZ: tuple[float, float] = (1.0, 500.0)
"""Reference range for relative band power (Hz), capped at Nyquist."""

PEAK_BAND_HZ: tuple[float, float] = (20.0, 100.0)
"""Search range for the oscillation peak frequency (Hz)."""

DEFAULT_SEGMENT_MS: float = 500.0
"""Default Welch segment length (ms), i.e. 2 Hz frequency resolution."""

FANO_BIN_MS: float = 10.0
"""Bin width (ms) of the population spike counts used for the Fano factor."""


# --------------------------------------------------------------------------
# argument validation
# --------------------------------------------------------------------------


def _as_1d(name: str, values: ArrayLike) -> np.ndarray:
    """Return ``values`` as a 1-D float array or raise ``ValueError``."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _as_finite_1d(name: str, values: ArrayLike) -> np.ndarray:
    """Return ``values`` as a finite 1-D float array or raise ``ValueError``."""
    arr = _as_1d(name, values)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no nan/inf)")
    return arr


def _check_positive(name: str, value: float) -> None:
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def _check_window(t_start_ms: float, t_stop_ms: float) -> None:
    if not (np.isfinite(t_start_ms) and np.isfinite(t_stop_ms)):
        raise ValueError(
            f"t_start_ms and t_stop_ms must be finite, got "
            f"t_start_ms={t_start_ms!r}, t_stop_ms={t_stop_ms!r}"
        )
    if t_stop_ms <= t_start_ms:
        raise ValueError(
            f"t_stop_ms must be > t_start_ms, got t_start_ms={t_start_ms!r}, "
            f"t_stop_ms={t_stop_ms!r}"
        )


def _check_n_nodes(n_nodes: int) -> None:
    if int(n_nodes) != n_nodes or n_nodes < 0:
        raise ValueError(f"n_nodes must be an integer >= 0, got {n_nodes!r}")


def _check_band(name: str, band: tuple[float, float]) -> tuple[float, float]:
    lo, hi = (float(b) for b in band)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0 or hi <= lo:
        raise ValueError(f"{name} must satisfy 0 <= low < high, got {band!r}")
    return lo, hi


def _spike_arrays(node_ids: ArrayLike, timestamps_ms: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate a spike list and return ``(ids as int64, times as float)``."""
    ids = _as_1d("node_ids", node_ids)
    times = _as_1d("timestamps_ms", timestamps_ms)
    if ids.shape != times.shape:
        raise ValueError(
            f"node_ids and timestamps_ms must have equal length, got {ids.size} and {times.size}"
        )
    if ids.size and (np.any(ids != np.round(ids)) or np.any(ids < 0)):
        raise ValueError("node_ids must contain non-negative integers")
    return ids.astype(np.int64), times


def _in_window(times: np.ndarray, t_start_ms: float, t_stop_ms: float) -> np.ndarray:
    """Boolean mask of ``times`` inside ``[t_start_ms, t_stop_ms)``."""
    return (times >= t_start_ms) & (times < t_stop_ms)


def _n_bins(t_start_ms: float, t_stop_ms: float, bin_ms: float) -> int:
    """Count whole bins in the window (a trailing partial bin is dropped)."""
    ratio = (t_stop_ms - t_start_ms) / bin_ms
    n = int(np.floor(ratio + 1e-9))
    if n < 1:
        raise ValueError(
            f"bin_ms must not exceed the window length t_stop_ms - t_start_ms "
            f"= {t_stop_ms - t_start_ms!r}, got bin_ms={bin_ms!r}"
        )
    return n


def _bin_index(times: np.ndarray, t_start_ms: float, bin_ms: float, n: int) -> np.ndarray:
    """Bin index of each time; times outside the ``n`` bins are dropped."""
    idx = np.floor((times - t_start_ms) / bin_ms).astype(np.int64)
    return idx[(idx >= 0) & (idx < n)]


# --------------------------------------------------------------------------
# rates and irregularity
# --------------------------------------------------------------------------


def population_rate(
    timestamps_ms: ArrayLike,
    n_nodes: int,
    t_start_ms: float,
    t_stop_ms: float,
    bin_ms: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Population-averaged firing rate in fixed bins.

    Parameters
    ----------
    timestamps_ms : array_like
        Spike times (ms) of all neurons of the population.
    n_nodes : int
        Number of neurons in the population (>= 0).
    t_start_ms, t_stop_ms : float
        Analysis window ``[t_start_ms, t_stop_ms)``.
    bin_ms : float
        Bin width (ms, > 0). A trailing partial bin is dropped.

    Returns
    -------
    centres_ms : numpy.ndarray
        Bin centres (ms).
    rate_hz : numpy.ndarray
        Rate per neuron (Hz): spike count / (n_nodes * bin width in s).
        All zeros when ``n_nodes == 0``.
    """
    times = _as_1d("timestamps_ms", timestamps_ms)
    _check_n_nodes(n_nodes)
    _check_window(t_start_ms, t_stop_ms)
    _check_positive("bin_ms", bin_ms)
    n = _n_bins(t_start_ms, t_stop_ms, bin_ms)
    centres = t_start_ms + (np.arange(n) + 0.5) * bin_ms
    if n_nodes == 0:
        return centres, np.zeros(n)
    counts = np.bincount(_bin_index(times, t_start_ms, bin_ms, n), minlength=n)
    return centres, counts / (n_nodes * bin_ms * 1e-3)


def mean_rate(timestamps_ms: ArrayLike, n_nodes: int, t_start_ms: float, t_stop_ms: float) -> float:
    """Mean firing rate per neuron (Hz) over ``[t_start_ms, t_stop_ms)``.

    Returns 0.0 when ``n_nodes == 0``.
    """
    times = _as_1d("timestamps_ms", timestamps_ms)
    _check_n_nodes(n_nodes)
    _check_window(t_start_ms, t_stop_ms)
    if n_nodes == 0:
        return 0.0
    count = np.count_nonzero(_in_window(times, t_start_ms, t_stop_ms))
    return float(count / (n_nodes * (t_stop_ms - t_start_ms) * 1e-3))


def _group_isis(ids: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inter-spike intervals and their neuron ids, from an unsorted spike list."""
    order = np.lexsort((times, ids))
    ids_s, times_s = ids[order], times[order]
    same = ids_s[1:] == ids_s[:-1]
    return np.diff(times_s)[same], ids_s[1:][same]


def isi_cv(
    node_ids: ArrayLike,
    timestamps_ms: ArrayLike,
    min_spikes: int = 3,
    t_start_ms: float = 0.0,
) -> float:
    """Mean coefficient of variation of the inter-spike intervals.

    For every neuron with at least ``min_spikes`` spikes at or after
    ``t_start_ms``, CV = std(ISI) / mean(ISI) (population std, ``ddof=0``);
    the result is the mean CV across those neurons [4]_. A regular train has
    CV 0, a Poisson train CV 1.

    Parameters
    ----------
    node_ids, timestamps_ms : array_like
        Spike list (equal lengths).
    min_spikes : int
        Minimum number of spikes a neuron needs to count (>= 2).
    t_start_ms : float
        Spikes before this time are ignored (e.g. a transient).

    Returns
    -------
    float
        Mean CV, or nan if no neuron qualifies.
    """
    ids, times = _spike_arrays(node_ids, timestamps_ms)
    if int(min_spikes) != min_spikes or min_spikes < 2:
        raise ValueError(f"min_spikes must be an integer >= 2, got {min_spikes!r}")
    keep = times >= t_start_ms
    isis, owner = _group_isis(ids[keep], times[keep])
    if isis.size == 0:
        return float("nan")
    groups, inverse, n_isi = np.unique(owner, return_inverse=True, return_counts=True)
    mean = np.bincount(inverse, weights=isis) / n_isi
    var = np.bincount(inverse, weights=(isis - mean[inverse]) ** 2) / n_isi
    ok = (n_isi + 1 >= min_spikes) & (mean > 0)
    if not np.any(ok):
        return float("nan")
    return float(np.mean(np.sqrt(var[ok]) / mean[ok]))


# --------------------------------------------------------------------------
# spectra
# --------------------------------------------------------------------------


def power_spectrum(
    signal: ArrayLike, dt_ms: float, nperseg: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One-sided power spectral density by Welch's method [1]_.

    The signal mean is removed first; segments use a Hann window with 50 %
    overlap (``scipy.signal.welch`` defaults).

    Parameters
    ----------
    signal : array_like
        Uniformly sampled 1-D signal (e.g. a population rate), >= 2 samples.
    dt_ms : float
        Sampling interval (ms, > 0).
    nperseg : int, optional
        Samples per segment. Default: ``DEFAULT_SEGMENT_MS`` (500 ms) worth of
        samples, i.e. ~2 Hz resolution; always capped at the signal length.

    Returns
    -------
    freq_hz : numpy.ndarray
        Frequencies (Hz), 0 to Nyquist.
    psd : numpy.ndarray
        Power spectral density (signal units squared per Hz).
    """
    x = _as_finite_1d("signal", signal)
    _check_positive("dt_ms", dt_ms)
    if x.size < 2:
        raise ValueError(f"signal must have at least 2 samples, got {x.size}")
    if nperseg is None:
        nperseg = max(2, int(round(DEFAULT_SEGMENT_MS / dt_ms)))
    elif int(nperseg) != nperseg or nperseg < 2:
        raise ValueError(f"nperseg must be an integer >= 2, got {nperseg!r}")
    nperseg = min(int(nperseg), x.size)
    return sps.welch(x - x.mean(), fs=1e3 / dt_ms, nperseg=nperseg)


def _integrate(freq: np.ndarray, psd: np.ndarray, lo: float, hi: float) -> float:
    """Trapezoidal integral of the linearly interpolated PSD over ``[lo, hi]``."""
    inner = (freq > lo) & (freq < hi)
    f = np.concatenate(([lo], freq[inner], [hi]))
    return float(np.trapezoid(np.interp(f, freq, psd), f))


def band_power_fraction(
    signal: ArrayLike,
    dt_ms: float,
    band_hz: tuple[float, float] = GAMMA_BAND_HZ,
    total_hz: tuple[float, float] = TOTAL_BAND_HZ,
    nperseg: int | None = None,
) -> float:
    """Relative power: PSD integral over ``band_hz`` / integral over ``total_hz``.

    This is the project's "relative gamma power" readout. The Welch PSD
    (:func:`power_spectrum`) is integrated with the trapezoid rule on the
    linearly interpolated spectrum, so band edges need not fall on frequency
    bins. Both ranges are capped at the Nyquist frequency and the band is
    clipped to the total range. For white noise the fraction is close to
    ``(band width) / (total width)``.

    Parameters
    ----------
    signal : array_like
        Uniformly sampled 1-D signal.
    dt_ms : float
        Sampling interval (ms).
    band_hz : tuple of float
        ``(low, high)`` of the band of interest (Hz).
    total_hz : tuple of float
        ``(low, high)`` of the reference range (Hz); ``high`` is capped at
        Nyquist.
    nperseg : int, optional
        Passed to :func:`power_spectrum`.

    Returns
    -------
    float
        Fraction in [0, 1]; nan if the signal has no power in ``total_hz``.
    """
    band_lo, band_hi = _check_band("band_hz", band_hz)
    tot_lo, tot_hi = _check_band("total_hz", total_hz)
    freq, psd = power_spectrum(signal, dt_ms, nperseg)
    tot_hi = min(tot_hi, float(freq[-1]))
    if tot_hi <= tot_lo:
        raise ValueError(
            f"total_hz must have low below the Nyquist frequency {freq[-1]!r} Hz, got {total_hz!r}"
        )
    total = _integrate(freq, psd, tot_lo, tot_hi)
    if total <= 0:
        return float("nan")
    lo, hi = max(band_lo, tot_lo), min(band_hi, tot_hi)
    if hi <= lo:
        return 0.0
    return _integrate(freq, psd, lo, hi) / total


def peak_frequency(
    signal: ArrayLike,
    dt_ms: float,
    band_hz: tuple[float, float] = PEAK_BAND_HZ,
    nperseg: int | None = None,
) -> float:
    """Frequency (Hz) of the largest Welch PSD value inside ``band_hz``.

    Resolution is that of the spectrum (2 Hz with the default segment).
    Returns nan if no frequency bin lies in the band or the band has no power.
    """
    lo, hi = _check_band("band_hz", band_hz)
    freq, psd = power_spectrum(signal, dt_ms, nperseg)
    inside = (freq >= lo) & (freq <= hi)
    if not np.any(inside) or np.max(psd[inside]) <= 0:
        return float("nan")
    return float(freq[inside][np.argmax(psd[inside])])


# --------------------------------------------------------------------------
# synchrony and variability
# --------------------------------------------------------------------------


def binned_spike_counts(
    node_ids: ArrayLike,
    timestamps_ms: ArrayLike,
    n_nodes: int,
    t_start_ms: float,
    t_stop_ms: float,
    bin_ms: float,
) -> np.ndarray:
    """Spike-count matrix of shape ``(n_nodes, n_bins)`` over the window.

    Bins are ``bin_ms`` wide starting at ``t_start_ms``; a trailing partial
    bin is dropped. ``node_ids`` must lie in ``[0, n_nodes)``.
    """
    ids, times = _spike_arrays(node_ids, timestamps_ms)
    _check_n_nodes(n_nodes)
    _check_window(t_start_ms, t_stop_ms)
    _check_positive("bin_ms", bin_ms)
    _check_ids_below(ids, n_nodes)
    n = _n_bins(t_start_ms, t_stop_ms, bin_ms)
    idx = np.floor((times - t_start_ms) / bin_ms).astype(np.int64)
    ok = (idx >= 0) & (idx < n)
    flat = ids[ok] * n + idx[ok]
    return np.bincount(flat, minlength=n_nodes * n).reshape(n_nodes, n)


def _check_ids_below(ids: np.ndarray, n_nodes: int) -> None:
    if ids.size and ids.max() >= n_nodes:
        raise ValueError(f"node_ids must be < n_nodes={n_nodes!r}, got max id {int(ids.max())}")


def synchrony_chi(counts: ArrayLike) -> float:
    """Golomb's synchrony measure chi from a binned activity matrix [2]_.

    ``chi**2 = Var_t(mean_i x_i(t)) / mean_i Var_t(x_i(t))`` where ``x_i(t)``
    is row ``i`` of ``counts``. chi is 1 for identical (fully synchronous)
    rows and ~ ``1/sqrt(N)`` for independent ones.

    Parameters
    ----------
    counts : array_like
        Matrix of shape ``(n_neurons, n_bins)``, e.g. from
        :func:`binned_spike_counts` (binning in 1-10 ms is usual).

    Returns
    -------
    float
        chi in [0, 1]; nan if every row is constant (no variance).
    """
    x = np.asarray(counts, dtype=float)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 2:
        raise ValueError(
            f"counts must be a 2-D (n_neurons >= 1, n_bins >= 2) array, got shape {x.shape}"
        )
    single = np.mean(np.var(x, axis=1))
    if single <= 0:
        return float("nan")
    return float(np.sqrt(np.var(x.mean(axis=0)) / single))


#: Bin of the pairwise spike-count correlation in the summary (our choice: the scale of
#: the calcium-imaging frames on which ensemble co-activity is measured, tens of ms).
CORRELATION_BIN_MS = 50.0


def pairwise_correlation(counts: ArrayLike) -> float:
    """Mean Pearson correlation of the spike counts of distinct pairs of neurons.

    A measure of coordinated ensemble activity (co-activity of neuron pairs,
    as Moda-Sava et al. 2019, Science 364:eaat8078, measured with calcium
    imaging in prefrontal cortex). Neurons whose counts do not vary are left
    out.

    Parameters
    ----------
    counts : array_like
        Matrix of shape ``(n_neurons, n_bins)``, e.g. from
        :func:`binned_spike_counts`.

    Returns
    -------
    float
        The mean over pairs of the correlation coefficient; nan with fewer
        than two varying neurons.
    """
    x = np.asarray(counts, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"counts must be a 2-D (n_neurons, n_bins >= 2) array, got shape "
                         f"{x.shape}")
    x = x[np.var(x, axis=1) > 0]
    n = x.shape[0]
    if n < 2:
        return float("nan")
    z = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
    total = z.sum(axis=0)
    # sum over i != j of <z_i z_j> = (<(sum z)^2> - sum <z_i^2>) / (n (n - 1)), <z_i^2> = 1
    return float((np.mean(total**2) - n) / (n * (n - 1)))


def _fano_factor(counts: np.ndarray) -> float:
    """Variance / mean of a count series; nan if the mean is zero."""
    mean = counts.mean()
    return float(counts.var() / mean) if mean > 0 else float("nan")


def summarize_population(
    node_ids: ArrayLike,
    timestamps_ms: ArrayLike,
    n_nodes: int,
    t_start_ms: float,
    t_stop_ms: float,
    bin_ms: float = 1.0,
) -> dict[str, float]:
    """Compute the standard readouts of one population over ``[t_start_ms, t_stop_ms)``.

    Parameters
    ----------
    node_ids, timestamps_ms : array_like
        Spike list of the population; ids must lie in ``[0, n_nodes)``.
    n_nodes : int
        Population size.
    t_start_ms, t_stop_ms : float
        Analysis window; spikes outside it are ignored for every readout.
    bin_ms : float
        Bin width of the population rate used for the spectral readouts
        (sets the Nyquist frequency, 500 Hz for 1 ms).

    Returns
    -------
    dict
        ``rate_hz``: mean rate per neuron (Hz).
        ``cv_isi``: mean ISI CV (:func:`isi_cv`, ``min_spikes=3``).
        ``gamma_fraction``: 30-80 Hz fraction of the population-rate PSD
        over 1 Hz-Nyquist (:func:`band_power_fraction`).
        ``peak_freq_hz``: PSD peak in 20-100 Hz (:func:`peak_frequency`).
        ``fano_factor``: variance/mean of population spike counts in
        ``FANO_BIN_MS`` (10 ms) bins, independent of ``bin_ms``.
        ``active_fraction``: fraction of neurons with >= 1 spike.
        ``pair_correlation``: mean pairwise correlation of spike counts in
        ``CORRELATION_BIN_MS`` (50 ms) bins (:func:`pairwise_correlation`).
        Undefined readouts (no neurons, no spikes) are nan; ``rate_hz`` is
        then 0.
    """
    ids, times = _spike_arrays(node_ids, timestamps_ms)
    _check_n_nodes(n_nodes)
    _check_window(t_start_ms, t_stop_ms)
    _check_positive("bin_ms", bin_ms)
    _check_ids_below(ids, n_nodes)
    inside = _in_window(times, t_start_ms, t_stop_ms)
    ids, times = ids[inside], times[inside]
    nan = float("nan")
    out = {
        "rate_hz": mean_rate(times, n_nodes, t_start_ms, t_stop_ms),
        "cv_isi": isi_cv(ids, times, min_spikes=3, t_start_ms=t_start_ms),
        "gamma_fraction": nan,
        "peak_freq_hz": nan,
        "fano_factor": nan,
        "active_fraction": np.unique(ids).size / n_nodes if n_nodes else nan,
        "pair_correlation": nan,
    }
    if n_nodes == 0 or times.size == 0:
        return out
    if t_stop_ms - t_start_ms >= 2 * CORRELATION_BIN_MS:
        out["pair_correlation"] = pairwise_correlation(binned_spike_counts(
            ids, times, n_nodes, t_start_ms, t_stop_ms, CORRELATION_BIN_MS))
    out.update(_spectral_summary(times, n_nodes, t_start_ms, t_stop_ms, bin_ms))
    out["fano_factor"] = _population_fano(times, t_start_ms, t_stop_ms)
    return out


def _spectral_summary(
    times: np.ndarray, n_nodes: int, t_start_ms: float, t_stop_ms: float, bin_ms: float
) -> dict[str, float]:
    """Gamma fraction and peak frequency of the binned population rate."""
    _, rate = population_rate(times, n_nodes, t_start_ms, t_stop_ms, bin_ms)
    if rate.size < 2:
        return {}
    return {
        "gamma_fraction": band_power_fraction(rate, bin_ms),
        "peak_freq_hz": peak_frequency(rate, bin_ms),
    }


def _population_fano(times: np.ndarray, t_start_ms: float, t_stop_ms: float) -> float:
    """Fano factor of population counts in ``FANO_BIN_MS`` bins (nan if < 2 bins)."""
    if t_stop_ms - t_start_ms < 2 * FANO_BIN_MS:
        return float("nan")
    n = _n_bins(t_start_ms, t_stop_ms, FANO_BIN_MS)
    counts = np.bincount(_bin_index(times, t_start_ms, FANO_BIN_MS, n), minlength=n)
    return _fano_factor(counts.astype(float))


# --------------------------------------------------------------------------
# statistics across seeds
# --------------------------------------------------------------------------


def bootstrap_ci(
    values: ArrayLike,
    stat: Callable[[np.ndarray], Any] = np.mean,
    n_boot: int = 2000,
    ci: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Percentile bootstrap confidence interval of a statistic [3]_.

    Parameters
    ----------
    values : array_like
        1-D sample of finite values (drop nans beforehand).
    stat : callable
        Statistic of a 1-D array returning a scalar (default ``numpy.mean``).
    n_boot : int
        Number of resamples (>= 1).
    ci : float
        Confidence level in (0, 1).
    seed : int
        Seed of ``numpy.random.default_rng``; equal seeds give equal results.

    Returns
    -------
    estimate, low, high : float
        ``stat(values)`` and the ``(1 - ci)/2`` and ``(1 + ci)/2`` quantiles
        of the bootstrap distribution.
    """
    x = _as_finite_1d("values", values)
    if x.size == 0:
        raise ValueError("values must contain at least one value, got an empty array")
    if int(n_boot) != n_boot or n_boot < 1:
        raise ValueError(f"n_boot must be an integer >= 1, got {n_boot!r}")
    if not 0.0 < ci < 1.0:
        raise ValueError(f"ci must lie strictly between 0 and 1, got {ci!r}")
    rng = np.random.default_rng(seed)
    boot = np.array([float(stat(x[rng.integers(0, x.size, x.size)])) for _ in range(int(n_boot))])
    alpha = (1.0 - ci) / 2.0
    low, high = np.quantile(boot, [alpha, 1.0 - alpha])
    return float(stat(x)), float(low), float(high)


def paired_effect(
    baseline: ArrayLike,
    treated: ArrayLike,
    n_boot: int = 2000,
    seed: int = 0,
    ci: float = 0.95,
) -> dict[str, float]:
    """Paired (per-seed) effect of a treatment on a readout.

    Element ``i`` of ``baseline`` and ``treated`` must come from the same
    seed. Differences ``treated - baseline`` are summarised by their mean
    and a percentile bootstrap CI (:func:`bootstrap_ci`).

    Parameters
    ----------
    baseline, treated : array_like
        Finite 1-D arrays of equal length (>= 1).
    n_boot, seed, ci
        Passed to :func:`bootstrap_ci`.

    Returns
    -------
    dict
        ``mean_diff``: mean of ``treated - baseline``.
        ``ci_low``, ``ci_high``: bootstrap CI of ``mean_diff``.
        ``relative_change``: mean of ``treated / baseline - 1`` (nan if any
        baseline value is 0).
        ``n``: number of pairs.
    """
    base = _as_finite_1d("baseline", baseline)
    treat = _as_finite_1d("treated", treated)
    if base.shape != treat.shape:
        raise ValueError(
            f"baseline and treated must have equal length, got {base.size} and {treat.size}"
        )
    if base.size == 0:
        raise ValueError("baseline must contain at least one value, got an empty array")
    mean_diff, low, high = bootstrap_ci(treat - base, np.mean, n_boot, ci, seed)
    if np.any(base == 0):
        relative = float("nan")
    else:
        relative = float(np.mean(treat / base - 1.0))
    return {
        "mean_diff": mean_diff,
        "ci_low": low,
        "ci_high": high,
        "relative_change": relative,
        "n": int(base.size),
    }


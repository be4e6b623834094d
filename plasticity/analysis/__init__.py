"""Readouts of one result: rates, irregularity, spectra, synchrony, statistics, connectivity.

Pure numpy and scipy (no Brian2). Sweeps are read with
:func:`plasticity.sweep.load_sweep`.
"""

from plasticity.analysis.connectivity import (
    block_probability,
    dendritic_sites,
    group_connectivity,
    group_degrees,
    reformation_at_eliminated_sites,
)
from plasticity.analysis.readouts import (
    DEFAULT_SEGMENT_MS,
    FANO_BIN_MS,
    GAMMA_BAND_HZ,
    PEAK_BAND_HZ,
    TOTAL_BAND_HZ,
    band_power_fraction,
    binned_spike_counts,
    bootstrap_ci,
    isi_cv,
    mean_rate,
    paired_effect,
    pairwise_correlation,
    peak_frequency,
    population_rate,
    power_spectrum,
    summarize_population,
    synchrony_chi,
)

__all__ = [
    "DEFAULT_SEGMENT_MS",
    "FANO_BIN_MS",
    "GAMMA_BAND_HZ",
    "PEAK_BAND_HZ",
    "TOTAL_BAND_HZ",
    "band_power_fraction",
    "binned_spike_counts",
    "block_probability",
    "dendritic_sites",
    "reformation_at_eliminated_sites",
    "bootstrap_ci",
    "pairwise_correlation",
    "group_connectivity",
    "group_degrees",
    "isi_cv",
    "mean_rate",
    "paired_effect",
    "peak_frequency",
    "population_rate",
    "power_spectrum",
    "summarize_population",
    "synchrony_chi",
]

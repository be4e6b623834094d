"""Readouts of one result: rates, spectra, synchrony, statistics, connectivity, treatment.

The treatment readouts (:mod:`plasticity.analysis.treatment`) read a
patient's chain of sessions on the clinical clock.

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
from plasticity.analysis.treatment import (
    count_at,
    format_ci,
    formed_between,
    restored_at,
    restored_course,
    window_value,
)

__all__ = [
    "DEFAULT_SEGMENT_MS",
    "FANO_BIN_MS",
    "GAMMA_BAND_HZ",
    "PEAK_BAND_HZ",
    "TOTAL_BAND_HZ",
    "band_power_fraction",
    "binned_spike_counts",
    "count_at",
    "formed_between",
    "format_ci",
    "restored_at",
    "restored_course",
    "window_value",
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

"""Rewiring after a lesion of the input (Butz & van Ooyen 2013; reference target T5).

Butz & van Ooyen (2013, PLoS Comput Biol 9:e1003259): with the biphasic
growth curve and eta_dendrite < eta_axon, cells deprived of part of their
input first grow dendritic elements and retract axonal ones; their
neighbours grow axons into the deprived zone, then prune them; activity
returns towards the set point. This module measures those readouts on a
result whose first stimulation window lowers the external drive of a group
of excitatory cells (``configs/butz_van_ooyen_2013.yaml``): the connected
elements per cell of the deprived group D and of the other excitatory cells
N (:func:`plasticity.analysis.group_degrees`) and their rates from the
spikes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from plasticity.analysis.connectivity import group_degrees
from plasticity.config import Config
from plasticity.storage import Result

__all__ = ["LesionReadout", "measure_lesion"]


@dataclass
class LesionReadout:
    """Connected elements and rates of the deprived group D and the rest N.

    Attributes
    ----------
    degrees : xarray.Dataset
        ``in_D``, ``out_D``, ``in_N``, ``out_N`` per snapshot (time in ms).
    bin_edges_s, rate_d_hz, rate_n_hz : numpy.ndarray
        Rates of D and N in bins of ``bin_s``.
    t_lesion_s : float
        Start of the lesion (the first stimulation window).
    n_deprived : int
        Cells in D (the first ones of the excitatory population).
    """

    degrees: xr.Dataset
    bin_edges_s: np.ndarray
    rate_d_hz: np.ndarray
    rate_n_hz: np.ndarray
    t_lesion_s: float
    n_deprived: int

    @property
    def time_s(self) -> np.ndarray:
        """Snapshot times in seconds."""
        return self.degrees["time"].values / 1000.0

    def at(self, t_s: float) -> int:
        """Index of the snapshot nearest ``t_s``."""
        return int(np.argmin(np.abs(self.time_s - t_s)))

    def value(self, name: str, t_s: float) -> float:
        """``in_D``, ``out_D``, ``in_N`` or ``out_N`` at the snapshot nearest ``t_s``."""
        return float(self.degrees[name].values[self.at(t_s)])

    def peak_after_lesion(self, name: str) -> tuple[float, float]:
        """Largest value of ``name`` after the lesion and its time (s)."""
        after = self.time_s > self.t_lesion_s
        values = self.degrees[name].values[after]
        k = int(np.argmax(values))
        return float(values[k]), float(self.time_s[after][k])

    def mean_rate(self, group: str, t0_s: float, t1_s: float) -> float:
        """Mean rate (Hz) of ``group`` ('D' or 'N') over the bins inside [t0, t1]."""
        mid = 0.5 * (self.bin_edges_s[:-1] + self.bin_edges_s[1:])
        rates = self.rate_d_hz if group == "D" else self.rate_n_hz
        inside = (mid > t0_s) & (mid < t1_s)
        return float(rates[inside].mean())


def measure_lesion(result: Result, config: Config, *, bin_s: float = 5.0) -> LesionReadout:
    """Connected elements and rates of the deprived group and the rest, over the run.

    Parameters
    ----------
    result : Result
        Result of ``config`` with edge-list snapshots of ``exc_to_exc``.
    config : Config
        Its config: the first stimulation window is the lesion (``rate_factor`` < 1 on
        the first ``fraction`` of the excitatory cells).
    bin_s : float
        Width of the rate bins (s).

    Returns
    -------
    LesionReadout
    """
    if not config.stimulation or config.stimulation[0].population != "exc":
        raise ValueError("the config's first stimulation window must lower the drive of "
                         "excitatory cells (the lesion)")
    lesion = config.stimulation[0]
    n_exc = config.network.n_exc
    n_d = round(lesion.fraction * n_exc)
    degrees = group_degrees(result, "exc_to_exc",
                            {"D": np.arange(n_d), "N": np.arange(n_d, n_exc)})
    ids, times_ms = result.spikes("exc")
    edges = np.arange(0.0, float(config.simulation.duration) + 1e-9, bin_s)
    counts_d, _ = np.histogram(times_ms[ids < n_d] / 1000.0, bins=edges)
    counts_n, _ = np.histogram(times_ms[ids >= n_d] / 1000.0, bins=edges)
    return LesionReadout(degrees, edges, counts_d / (n_d * bin_s),
                         counts_n / ((n_exc - n_d) * bin_s), float(lesion.start), n_d)

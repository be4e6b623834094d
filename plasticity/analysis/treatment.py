"""Readouts of a patient's chain of sessions, on the clinical clock.

A chain (:mod:`plasticity.simulation.treatment`) stores the synapse count of
each plastic pathway at every clinical update (``/series/clinical``,
``n_syn_<pathway>`` against ``clinical_time_h``, hours after the first
session) and, in its summary, the count of the initial unstressed network
(``n_syn_control``) and the count at the end of the lead-in
(``n_syn_baseline``, the patient's stressed baseline). The readout of the
treatment experiments is the fraction of the stress-induced loss restored,

    restored(t) = (N(t) - N_base) / (N_control - N_base),

the measure of Li et al. 2011 (Biol Psychiatry 69:754: spines lost under
chronic stress restored 24 h after ketamine). A drug's effect is read
against the same patient's drug-free arm (same network, same random
streams), which removes what the network does without the drug:

    restored(t) - restored_free(t) = (N(t) - N_free(t)) / (N_control - N_base).

Counts are taken at the last clinical update at or before the asked time
(the state the network is in then). Pure numpy (no Brian2): reading results
never pays for the simulator.
"""

from __future__ import annotations

import numpy as np

from plasticity.analysis.readouts import bootstrap_ci
from plasticity.storage import Result

__all__ = ["count_at", "formed_between", "format_ci", "restored_at", "restored_course",
           "window_value"]

_HOURS_PER_DAY = 24.0


def _clinical(result: Result, key: str) -> tuple[np.ndarray, np.ndarray]:
    clinical = result.series("clinical")
    if key not in clinical:
        names = sorted(str(v) for v in clinical.data_vars)
        raise KeyError(f"/series/clinical has no {key!r}; it has {', '.join(names)}")
    return (np.asarray(clinical["clinical_time_h"].values, dtype=float),
            np.asarray(clinical[key].values, dtype=float))


def count_at(result: Result, day: float, pathway: str = "exc_to_exc") -> float:
    """Synapse count of ``pathway`` at the last clinical update at or before ``day``.

    Parameters
    ----------
    result : Result
        A chain's (or any clinical-clock run's) result.
    day : float
        Clinical day (days after the first session; negative before it).
    pathway : str
        Plastic pathway, e.g. ``"exc_to_exc"``.

    Returns
    -------
    float
        The count.

    Raises
    ------
    ValueError
        If ``day`` is before the first clinical update.
    """
    t_h, n = _clinical(result, f"n_syn_{pathway}")
    i = np.nonzero(t_h <= day * _HOURS_PER_DAY + 1e-9)[0]
    if i.size == 0:
        raise ValueError(f"day {day:g} is before the first clinical update "
                         f"({t_h.min() / _HOURS_PER_DAY:g} days)")
    return float(n[i[-1]])


def _deficit(result: Result) -> tuple[float, float]:
    control = float(result.summary["n_syn_control"])
    base = float(result.summary["n_syn_baseline"])
    if not control - base > 0:
        raise ValueError(f"no stress-induced loss to restore: n_syn_control {control:g}, "
                         f"n_syn_baseline {base:g} (a chain with treatment.settle > 0 and a "
                         "stressed turnover has control > baseline)")
    return control, base


def restored_at(result: Result, day: float, *, versus: Result | None = None,
                pathway: str = "exc_to_exc") -> float:
    """Fraction of the stress-induced loss restored at ``day``.

    Parameters
    ----------
    result : Result
        A patient's chain (with ``n_syn_control`` and ``n_syn_baseline`` in
        its summary).
    day : float
        Clinical day.
    versus : Result, optional
        The same patient's drug-free arm: the fraction is then the
        difference ``(N - N_free) / (N_control - N_base)``.
    pathway : str
        Plastic pathway counted (the chain's response pathway by default).

    Returns
    -------
    float
        ``(N(day) - N_base) / (N_control - N_base)``, or the paired difference.
    """
    control, base = _deficit(result)
    reference = base if versus is None else count_at(versus, day, pathway)
    return (count_at(result, day, pathway) - reference) / (control - base)


def restored_course(result: Result, *, versus: Result | None = None,
                    pathway: str = "exc_to_exc", from_day: float = 0.0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The restored fraction at every clinical update from ``from_day`` on.

    Parameters
    ----------
    result, versus, pathway
        As for :func:`restored_at`. The drug-free count at each of the
        result's updates is ``versus``'s last update at or before it, so
        ``versus`` must reach as far as the result (a drug-free arm as long
        as the longest schedule).
    from_day : float
        First clinical day returned.

    Returns
    -------
    days, fraction : numpy.ndarray
    """
    control, base = _deficit(result)
    t_h, n = _clinical(result, f"n_syn_{pathway}")
    keep = t_h >= from_day * _HOURS_PER_DAY - 1e-9
    t_h, n = t_h[keep], n[keep]
    reference: np.ndarray | float = base
    if versus is not None:
        t_free, n_free = _clinical(versus, f"n_syn_{pathway}")
        i = np.searchsorted(t_free, t_h + 1e-9, side="right") - 1
        if t_h.size and (i[0] < 0 or t_h[-1] > t_free[-1] + 1e-9):
            raise ValueError(
                f"versus: its clinical updates ({t_free[0]:g} to {t_free[-1]:g} h) do not "
                f"cover the result's ({t_h[0]:g} to {t_h[-1]:g} h)")
        reference = n_free[i]
    return t_h / _HOURS_PER_DAY, (n - reference) / (control - base)


def window_value(result: Result, hours: float, key: str) -> float:
    """A per-window readout (``/series/timeline``) of the window nearest ``hours``.

    Parameters
    ----------
    result : Result
    hours : float
        Clinical time in hours (window starts are compared).
    key : str
        Variable of the timeline series, e.g. ``"exc_rate_hz"``.

    Returns
    -------
    float
    """
    timeline = result.series("timeline")
    if key not in timeline:
        raise KeyError(f"/series/timeline has no {key!r}")
    starts = np.asarray(timeline["clinical_start_h"].values, dtype=float)
    return float(timeline[key].values[int(np.argmin(np.abs(starts - hours)))])


def formed_between(result: Result, h0: float, h1: float, pathway: str = "exc_to_exc") -> float:
    """Synapses formed in clinical updates after ``h0`` up to ``h1`` hours."""
    t_h, formed = _clinical(result, f"formed_{pathway}")
    return float(formed[(t_h > h0) & (t_h <= h1)].sum())


def format_ci(values, digits: int = 3) -> str:
    """``"mean [low, high]"`` with a 95 % percentile-bootstrap interval (signed)."""
    mean, low, high = bootstrap_ci(np.asarray(values, dtype=float))
    return f"{mean:+.{digits}f} [{low:+.{digits}f}, {high:+.{digits}f}]"

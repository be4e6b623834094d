"""The PK time course of a config's infusion protocol, without a network.

:func:`pk_report` computes everything ``plasticity pk`` shows: the clinical time
grid over the protocol (and the timeline), the plasma and effect-site
concentrations, the concentration that drives the block, the NMDA receptor
block of each excitatory pathway, the peaks and their times, the terminal
half-life and the clinical spans of the network segments. It prints nothing;
the command line formats a :class:`PKReport`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from plasticity.errors import UserInputError

if TYPE_CHECKING:
    from plasticity.config import Config, ProtocolConfig
    from plasticity.pharmacology.pk import Infusion, PKParameters

__all__ = [
    "BEFORE_MIN",
    "CSV_COLUMNS",
    "DEFAULT_DT_MIN",
    "MAX_SAMPLES",
    "NO_ELIMINATION_MIN",
    "WASHOUT_HALF_LIVES",
    "PKReport",
    "PathwayBlock",
    "TooManySamplesError",
    "pk_report",
    "pk_span_min",
    "pk_times_min",
    "timeline_segments_min",
]

#: Most samples of one time course.
MAX_SAMPLES = 200_000
#: Default sampling interval (min).
DEFAULT_DT_MIN = 1.0
#: The span starts this long (min) before the first dose or clinical time 0.
BEFORE_MIN = 10.0
#: The span ends this many terminal half-lives after the end of the last dose.
WASHOUT_HALF_LIVES = 6.0
#: Washout (min) when the model has no elimination (infinite half-life).
NO_ELIMINATION_MIN = 24 * 60.0
#: Columns of :meth:`PKReport.csv_columns`, in order.
CSV_COLUMNS = (
    "time_min", "time_h", "plasma_ng_per_ml", "plasma_uM", "effect_ng_per_ml", "effect_uM",
    "driving_uM", "block_exc_to_exc", "block_exc_to_pv", "block_exc_to_sst",
)


class TooManySamplesError(UserInputError):
    """The sampling interval gives more than :data:`MAX_SAMPLES` samples over the span.

    Attributes
    ----------
    n_samples : int
        Samples the interval would give.
    span_min : float
        Length of the span (min).
    max_samples : int
        Most samples allowed.
    coarsest_dt_min : float
        The finest interval (min) that stays within ``max_samples``.
    """

    def __init__(self, n_samples: int, span_min: float, dt_min: float) -> None:
        self.n_samples = n_samples
        self.span_min = span_min
        self.max_samples = MAX_SAMPLES
        self.coarsest_dt_min = span_min / (MAX_SAMPLES - 1)
        super().__init__(
            f"dt {dt_min:g} min gives {n_samples} samples over {span_min:g} min; at most "
            f"{MAX_SAMPLES}: use a dt of {math.ceil(self.coarsest_dt_min)} min or more"
        )


@dataclass(frozen=True)
class PathwayBlock:
    """NMDA receptor block of one excitatory pathway.

    Attributes
    ----------
    name : str
        Pathway, e.g. ``exc_to_exc``.
    blocked : bool
        Whether the hypothesis blocks this pathway.
    ic50_uM : float
        IC50 (uM) in the config's Mg2+ at the pathway's v_ref: an output of the
        competitive block (K_ket(v_ref) (1 + [Mg]/K_Mg(v_ref))).
    hill : float
        Hill coefficient.
    block : numpy.ndarray or None
        Block (0..1) at every sample, None where the pathway is not blocked.
    peak_block : float or None
        Block at the peak driving concentration, None where not blocked.
    """

    name: str
    blocked: bool
    ic50_uM: float
    hill: float
    block: np.ndarray | None = field(repr=False)
    peak_block: float | None


@dataclass(frozen=True)
class PKReport:
    """The PK time course and NMDA block of a config's protocol.

    Attributes
    ----------
    config : Config
        The config the report was computed from.
    params : PKParameters
        PK parameter set of the protocol.
    doses : tuple of Infusion
        Every dose of the protocol, repeats expanded.
    span_min : tuple of float
        (first, last) clinical time (min) of the time course.
    dt_min : float
        Sampling interval (min).
    times_min : numpy.ndarray
        Clinical sample times (min), sorted: every ``dt_min`` plus every dose
        start and end and the end of the span.
    plasma_ng_per_ml, plasma_uM : numpy.ndarray
        Plasma concentration of ketamine base.
    effect_ng_per_ml, effect_uM : numpy.ndarray or None
        Effect-site concentration, None without an effect site.
    driving_uM : numpy.ndarray
        Concentration that drives the block (``protocol.concentration_at``).
    driving_peak_uM, driving_peak_time_min : float
        Peak of the driving concentration and its clinical time (min).
    summary : dict
        Peaks of plasma and effect site, as :func:`~plasticity.pharmacology.pk.pk_summary`.
    half_life_min : float
        Terminal half-life (min); infinite without elimination.
    pathways : dict of str to PathwayBlock
        Block of every excitatory pathway, in ``EXCITATORY_PATHWAYS`` order.
    segments_min : list of tuple of float
        (start, end) clinical minutes of every network segment; empty in
        real-time mode.
    hnk_uM : numpy.ndarray or None
        Free (2R,6R)-hydroxynorketamine (uM), None without
        ``protocol.metabolites``.
    """

    config: Config = field(repr=False)
    params: PKParameters
    doses: tuple[Infusion, ...]
    span_min: tuple[float, float]
    dt_min: float
    times_min: np.ndarray = field(repr=False)
    plasma_ng_per_ml: np.ndarray = field(repr=False)
    plasma_uM: np.ndarray = field(repr=False)
    effect_ng_per_ml: np.ndarray | None = field(repr=False)
    effect_uM: np.ndarray | None = field(repr=False)
    driving_uM: np.ndarray = field(repr=False)
    driving_peak_uM: float
    driving_peak_time_min: float
    summary: dict[str, float | None]
    half_life_min: float
    pathways: dict[str, PathwayBlock]
    segments_min: list[tuple[float, float]]
    hnk_uM: np.ndarray | None = field(default=None, repr=False)

    @property
    def protocol(self) -> ProtocolConfig:
        """The config's ``pharmacology.protocol``."""
        protocol = self.config.pharmacology.protocol
        assert protocol is not None
        return protocol

    @property
    def concentration_at(self) -> str:
        """Which concentration drives the block (``protocol.concentration_at``)."""
        return self.protocol.concentration_at

    @property
    def concentration_drive(self) -> str:
        """The driving concentration in words, e.g. 'free effect-site concentration (...)'."""
        return self.protocol.concentration_drive()

    @property
    def blocks(self) -> dict[str, np.ndarray | None]:
        """Block time course of every pathway, None where not blocked."""
        return {name: p.block for name, p in self.pathways.items()}

    def csv_columns(self) -> list[Sequence[float | None]]:
        """The time course as columns, in :data:`CSV_COLUMNS` order.

        Returns
        -------
        list of sequence
            Equal-length columns; the effect-site columns hold None without
            an effect site, and the block of a pathway that is not blocked is 0.
        """
        n = self.times_min.size
        empty = [None] * n
        return [
            self.times_min, self.times_min / 60.0, self.plasma_ng_per_ml, self.plasma_uM,
            empty if self.effect_ng_per_ml is None else self.effect_ng_per_ml,
            empty if self.effect_uM is None else self.effect_uM,
            self.driving_uM,
            *(np.zeros(n) if p.block is None else p.block for p in self.pathways.values()),
        ]

    def csv_rows(self) -> Iterator[tuple[float | None, ...]]:
        """The rows of :meth:`csv_columns`, one per sample time."""
        return zip(*self.csv_columns(), strict=True)


def pk_span_min(
    config: Config, doses: Sequence[Infusion], half_life_min: float
) -> tuple[float, float]:
    """Clinical span of the time course: the doses with their washout, and the timeline.

    Parameters
    ----------
    config : Config
        Experiment config; its timeline extends the span in compressed or
        windows mode.
    doses : sequence of Infusion
        Doses of the protocol (at least one).
    half_life_min : float
        Terminal half-life (min), possibly infinite.

    Returns
    -------
    tuple of float
        (first, last) clinical time in minutes: :data:`BEFORE_MIN` before the
        first dose or clinical time 0, whichever is earlier, to
        :data:`WASHOUT_HALF_LIVES` half-lives after the end of the last dose.
    """
    first = min(d.start_min for d in doses)
    last_end = max(d.end_min for d in doses)
    washout = (WASHOUT_HALF_LIVES * half_life_min if math.isfinite(half_life_min)
               else NO_ELIMINATION_MIN)
    lo, hi = min(0.0, first) - BEFORE_MIN, last_end + washout
    tl = config.timeline
    if tl.mode == "compressed":
        lo, hi = min(lo, float(tl.start) / 60.0), max(hi, float(tl.end) / 60.0)
    elif tl.mode == "windows":
        last = float(tl.windows[-1]) + float(config.simulation.duration)
        lo, hi = min(lo, float(tl.windows[0]) / 60.0), max(hi, last / 60.0)
    return lo, hi


def pk_times_min(lo: float, hi: float, dt_min: float, doses: Sequence[Infusion]) -> np.ndarray:
    """Samples every ``dt_min`` from ``lo`` to ``hi`` plus every dose start and end.

    Parameters
    ----------
    lo, hi : float
        Span (min).
    dt_min : float
        Sampling interval (min), positive.
    doses : sequence of Infusion
        Doses whose starts and ends are sampled exactly.

    Returns
    -------
    numpy.ndarray
        Sorted unique clinical times (min), ending at ``hi``.

    Raises
    ------
    TooManySamplesError
        When the grid would have more than :data:`MAX_SAMPLES` samples.
    """
    n = math.floor((hi - lo) / dt_min + 1e-9) + 1
    if n > MAX_SAMPLES:
        raise TooManySamplesError(n, hi - lo, dt_min)
    events = [t for d in doses for t in (d.start_min, d.end_min)]
    return np.unique(np.concatenate([lo + dt_min * np.arange(n), [hi], events]))


def timeline_segments_min(config: Config) -> list[tuple[float, float]]:
    """(start, end) in clinical minutes of every network segment, if not real time.

    Parameters
    ----------
    config : Config
        Experiment config.

    Returns
    -------
    list of tuple of float
        One span per segment of a compressed or windows timeline; empty in
        real-time mode.
    """
    if config.timeline.mode == "real_time":
        return []
    from plasticity.simulation.timeline import segments

    return [
        (seg.clinical_start_s / 60.0, (seg.clinical_start_s + seg.clinical_span_s) / 60.0)
        for seg in segments(config)
    ]


def pk_report(config: Config, dt_min: float | None = None) -> PKReport:
    """Solve the PK of ``config``'s protocol and the NMDA block it gives.

    Parameters
    ----------
    config : Config
        Experiment config with ``pharmacology.protocol`` set.
    dt_min : float, optional
        Sampling interval in minutes (default :data:`DEFAULT_DT_MIN`).

    Returns
    -------
    PKReport
        Time course, peaks, half-life, block per excitatory pathway and the
        segment spans of the timeline.

    Raises
    ------
    UserInputError
        When the config has no protocol or ``dt_min`` is not positive.
    TooManySamplesError
        When ``dt_min`` is too fine for the span.
    """
    import brian2

    from plasticity.config import EXCITATORY_PATHWAYS
    from plasticity.pharmacology.block import ketamine_block
    from plasticity.pharmacology.exposure import (
        driving_concentration_uM,
        free_hnk_uM,
        infusions,
        metabolite_parameters,
        pk_parameters,
        protocol_pk,
    )
    from plasticity.pharmacology.pk import pk_summary, terminal_half_life_min

    dt = DEFAULT_DT_MIN if dt_min is None else float(dt_min)
    if not dt > 0:
        raise UserInputError(f"dt {dt_min!r} min: expected a positive sampling interval")
    protocol = config.pharmacology.protocol
    if protocol is None:
        raise UserInputError(f"{config.name}: pharmacology.protocol is not set")
    params = pk_parameters(protocol)
    doses = infusions(protocol)
    half_life = terminal_half_life_min(params)
    span_half_life = half_life
    metabolites = metabolite_parameters(protocol)
    if metabolites is not None:  # the washout of the slowest metabolite
        span_half_life = max(half_life, math.log(2) / metabolites.nk_k_per_min,
                             math.log(2) / metabolites.hnk_k_per_min)
    lo, hi = pk_span_min(config, doses, span_half_life)
    times = pk_times_min(lo, hi, dt, doses)

    result = protocol_pk(protocol, times * 60.0)
    driving = driving_concentration_uM(protocol, times * 60.0)
    summary = pk_summary(result)
    site = protocol.concentration_at
    peak_key = "effect" if site.endswith("effect_site") else "plasma"
    peak_uM = float(summary[f"{peak_key}_peak_uM"])
    peak_time = float(summary[f"{peak_key}_peak_time_min"])
    if protocol.is_free:
        peak_uM *= protocol.free_fraction

    receptors = config.pharmacology.resolved_receptors()
    pathways: dict[str, PathwayBlock] = {}
    for name in EXCITATORY_PATHWAYS:
        r = receptors[name]
        ic50 = float(r.ic50_in_mg_uM(float(r.v_ref / brian2.mV),
                                     float(config.synapses.Mg / brian2.mmolar),
                                     config.pharmacology.temperature_C))
        if r.blocked:
            block = ketamine_block(driving, ic50, r.hill)
            peak_block = float(ketamine_block(peak_uM, ic50, r.hill))
        else:
            block = peak_block = None
        pathways[name] = PathwayBlock(name, bool(r.blocked), ic50, r.hill, block, peak_block)

    return PKReport(
        config=config, params=params, doses=tuple(doses), span_min=(lo, hi), dt_min=dt,
        times_min=times, plasma_ng_per_ml=result.plasma_ng_per_ml, plasma_uM=result.plasma_uM,
        effect_ng_per_ml=result.effect_ng_per_ml, effect_uM=result.effect_uM,
        driving_uM=driving, driving_peak_uM=peak_uM, driving_peak_time_min=peak_time,
        summary=summary, half_life_min=half_life, pathways=pathways,
        segments_min=timeline_segments_min(config),
        hnk_uM=free_hnk_uM(protocol, result) if protocol.metabolites is not None else None,
    )

"""Clinical time versus network time: an experiment as a sequence of segments.

A ketamine infusion lasts 40 minutes and its consequences run for days; a
spiking network is simulated for seconds. The config's ``timeline`` says how
the network samples clinical time. Every mode is a list of
:class:`Segment` s, each one run of the same compiled network lasting
``simulation.duration`` of network time and standing for a clinical
interval:

- ``real_time``: one segment; network time is clinical time.
- ``compressed``: consecutive segments from ``start`` to ``end``; one
  simulated second stands for ``compression`` of clinical time, so the drug
  concentration (and, later, slow plasticity) advances that much faster.
- ``windows``: real-time segments placed at clinical times.
- ``clinical``: real-time windows from ``start`` to ``end`` (the clinical
  clock of structural plasticity, :mod:`plasticity.simulation.clinical`):
  each window measures the activity at the current synapses, and the
  synapses change over the clinical interval up to the next window.

Segments are the natural checkpoints of a long experiment: each is stored
once finished, and a killed experiment resumes at the first missing one.
The assumption behind compression is a separation of time scales: the
network's own dynamics (milliseconds to a second) must relax faster than the
compressed drug time course changes; ``experiments/timeline_validation.py``
measures where that holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from plasticity.config import Config

__all__ = ["Segment", "concentration_trace", "hnk_segment", "segment_config", "segment_seed",
           "segments"]


@dataclass(frozen=True)
class Segment:
    """One run of the network standing for a clinical interval.

    Attributes
    ----------
    index : int
        Position in the experiment (0-based).
    clinical_start_s : float
        Clinical time at the segment's network time 0.
    compression : float
        Clinical seconds per network second (1 = real time).
    network_duration_s : float
        Network time simulated (``simulation.duration``).
    seed : int
        Noise seed of this segment's run (derived from the config's seed; the
        network itself is drawn from the config's seed in every segment).
    interval_s : float or None
        Clinical clock only: clinical time from this window to the next (or
        to the end), over which the synapses change after the window.
    stream : int or None
        Index of the segment's random streams (its noise seed and the clinical
        clock's draws after it); None: ``index``. A run that continues another
        on the same clinical clock (a session of a patient's chain) numbers its
        streams on from the earlier run's, so the chain draws what one run of
        all its segments would.
    """

    index: int
    clinical_start_s: float
    compression: float
    network_duration_s: float
    seed: int
    interval_s: float | None = None
    stream: int | None = None

    @property
    def stream_index(self) -> int:
        """Index of the segment's random streams (``stream``, else ``index``)."""
        return self.index if self.stream is None else self.stream

    @property
    def clinical_span_s(self) -> float:
        """Clinical time the segment stands for."""
        if self.interval_s is not None:
            return self.interval_s
        return self.compression * self.network_duration_s

    def clinical_time_s(self, network_t_s) -> np.ndarray:
        """Clinical time of network times within this segment."""
        return self.clinical_start_s + self.compression * np.asarray(network_t_s, dtype=float)


def segment_seed(seed: int, index: int) -> int:
    """Seed of segment ``index``: the config seed for the first, derived for the rest.

    Derived with numpy's SeedSequence, so one config seed fixes every segment.
    """
    if index == 0:
        return int(seed)
    state = np.random.SeedSequence([int(seed), int(index)]).generate_state(1)[0]
    return int(state) & 0x7FFFFFFF


def segments(config: Config) -> list[Segment]:
    """The segments of ``config``'s timeline, in order.

    Segment ``k`` draws from random streams ``timeline.stream_offset + k``
    (the offset is the number of segments of earlier runs on the same
    clinical clock; 0 for a run of its own).
    """
    tl = config.timeline
    off = int(tl.stream_offset)
    duration = float(config.simulation.duration)
    start = float(tl.start)
    if tl.mode == "clinical":
        times = clinical_windows(config)
        ends = [*times[1:], float(tl.end)]
        return [
            Segment(k, t, 1.0, duration, segment_seed(config.seed, off + k), interval_s=e - t,
                    stream=off + k if off else None)
            for k, (t, e) in enumerate(zip(times, ends, strict=True))
        ]
    if tl.mode == "real_time":
        starts, compression = [start], 1.0
    elif tl.mode == "windows":
        starts, compression = [float(w) for w in tl.windows], 1.0
    else:
        compression = float(tl.compression)  # clinical seconds per network second
        span = float(tl.end) - start
        n = max(1, math.ceil(span / compression / duration - 1e-9))
        starts = [start + k * duration * compression for k in range(n)]
    return [
        Segment(k, s, compression, duration, segment_seed(config.seed, off + k),
                stream=off + k if off else None)
        for k, s in enumerate(starts)
    ]


def clinical_windows(config: Config) -> list[float]:
    """Clinical start times (s) of the windows of a ``clinical`` timeline.

    ``timeline.windows`` if given; otherwise every ``dense_every`` from each
    dose's start to ``dense_after_dose`` after its end and every
    ``window_every`` elsewhere (on the grid of ``window_every`` from
    ``start``), from ``start`` to before ``end``; while an infusion runs, at
    least ``windows_per_infusion`` windows per its duration. Times are
    on the grid of ``structural.clinical_update_interval`` from ``start``
    (rounded, at least one step apart), so the synapses change at whole
    updates between windows.
    """
    tl = config.timeline
    start, end = float(tl.start), float(tl.end)
    step = float(config.structural.clinical_update_interval)
    if tl.windows:
        return [float(w) for w in tl.windows]
    dense: list[tuple[float, float]] = []
    infusions: list[tuple[float, float]] = []
    protocol = config.pharmacology.protocol
    if protocol is not None:
        after = float(tl.dense_after_dose)
        dense = [(d[0], d[0] + d[2] + after) for d in protocol.schedule()]
        if tl.windows_per_infusion:
            infusions = [(d[0], d[0] + d[2]) for d in protocol.schedule() if d[2] > 0]
    sparse, fine = float(tl.window_every), float(tl.dense_every)
    times, t = [], start
    while t < end - 1e-9:
        times.append(t)
        in_dense = any(a - 1e-9 <= t < b for a, b in dense)
        # sparse windows stay on their own grid from start (whole days stay whole days
        # after a dense stretch, for the daily imaging readouts)
        nxt = t + fine if in_dense else start + (math.floor((t - start) / sparse + 1e-9) + 1
                                                 ) * sparse
        for a, b in infusions:  # an infusion is sampled windows_per_infusion times
            if a - 1e-9 <= t < b - 1e-9:
                nxt = min(nxt, t + (b - a) / tl.windows_per_infusion)
        upcoming = [a for a, _ in dense if t + 1e-9 < a < nxt]
        if upcoming:
            nxt = min(upcoming)
        # onto the update grid, at least one update later
        k = max(round((t - start) / step) + 1, round((nxt - start) / step))
        t = start + k * step
    return times


def concentration_trace(config: Config, segment: Segment, n_samples: int) -> np.ndarray:
    """Concentration (uM) driving the block, sampled every ``trace_dt`` of network time."""
    if config.pharmacology.protocol is None:
        return np.full(n_samples, float(config.pharmacology.ketamine_uM))
    from plasticity.pharmacology.exposure import driving_concentration_uM

    dt = float(config.pharmacology.trace_dt)
    clinical = segment.clinical_time_s(np.arange(n_samples) * dt)
    return driving_concentration_uM(config.pharmacology.protocol, clinical)


def hnk_segment(config: Config, segment: Segment, n_samples: int) -> float | None:
    """Mean free (2R,6R)-HNK (uM) over a segment, sampled like the drug trace.

    None without a metabolite compartment (``pharmacology.protocol.metabolites``).
    """
    protocol = config.pharmacology.protocol
    if protocol is None or protocol.metabolites is None:
        return None
    from plasticity.pharmacology.exposure import hnk_uM

    dt = float(config.pharmacology.trace_dt)
    clinical = segment.clinical_time_s(np.arange(n_samples) * dt)
    return float(np.mean(hnk_uM(config.pharmacology, clinical)))


def segment_config(config: Config, hnk_uM: float | None) -> Config:
    """The config a segment runs with: AMPA weights potentiated by HNK where it acts.

    HNK changes over hours (half-life about 14 h), so it is held at its
    segment mean: ``pharmacology.hnk_action.pathways`` get ``g_ampa`` times
    :meth:`~plasticity.config.HNKActionConfig.factor` (run-time inputs; the
    build is the same). Without HNK action, ``config`` itself.
    """
    ph = config.pharmacology
    if not ph.hnk_acts or hnk_uM is None:
        return config
    factor = ph.hnk_action.factor(hnk_uM)
    syn = config.synapses
    update = {name: getattr(syn, name).model_copy(
        update={"g_ampa": getattr(syn, name).g_ampa * factor}) for name in ph.hnk_action.pathways}
    return config.model_copy(update={"synapses": syn.model_copy(update=update)})

"""Section ``timeline``: how the network samples clinical time (real time, compressed, windows)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from plasticity.config.types import (
    ClinicalTime,
    ClinicalTimePos,
    Section,
)
from plasticity.units import format_quantity

__all__ = ["TimelineConfig"]


class TimelineConfig(Section):
    """How the network samples clinical time (see README, "Clinical time").

    The experiment is a sequence of segments, each one run of the compiled
    network lasting ``simulation.duration``:

    ``real_time``
        One segment starting at clinical time ``start``: network time is
        clinical time.
    ``compressed``
        Consecutive segments cover ``start`` to ``end``; one simulated second
        stands for ``compression`` of clinical time (e.g. '1 h').
    ``windows``
        Short real-time segments starting at the clinical times ``windows``.
    ``clinical``
        The clinical clock of structural plasticity (README, "The clinical
        clock"): real-time windows at clinical times from ``start`` to
        ``end``, with the synapses frozen inside a window; between windows
        the synaptic elements grow at clinical-time rates from the activity
        the last window measured, and synapses are formed and removed at
        every ``structural.clinical_update_interval``. Windows follow
        ``windows`` if given, else every ``dense_every`` from each dose's
        start to ``dense_after_dose`` after its end and every
        ``window_every`` elsewhere, and at least ``windows_per_infusion``
        times per infusion while one runs.
    """

    mode: Literal["real_time", "compressed", "windows", "clinical"] = "real_time"
    start: ClinicalTime = Field("0 s", description="Clinical time at which the experiment starts.")
    end: ClinicalTime | None = Field(
        None, description="Clinical end time (compressed and clinical modes).")
    compression: ClinicalTimePos | None = Field(
        None, description="Clinical time per simulated second (compressed mode), e.g. '1 h'."
    )
    windows: list[ClinicalTime] = Field(
        default_factory=list, max_length=100_000,
        description="Clinical start time of each window (windows mode; clinical mode: "
        "instead of the declared schedule).",
    )
    window_every: ClinicalTimePos = Field(
        "6 h", description="Window spacing away from doses (clinical mode).")
    dense_every: ClinicalTimePos = Field(
        "30 min", description="Window spacing while the drug changes fast (clinical mode).")
    dense_after_dose: ClinicalTime = Field(
        "6 h", description="How long after each dose's end windows stay dense (clinical mode).")
    windows_per_infusion: int = Field(
        4, ge=0, le=1000, description="While an infusion runs, windows come at least this "
        "many times per infusion duration (clinical mode; still on the update grid; 0: no "
        "such rule). Our choice: the network's acute response to the drug is known only "
        "once a window has seen the drug, so the rise of an infusion is sampled the same "
        "way whatever dense_every is.")

    continues: bool = Field(
        False, description="Clinical mode: this run continues an earlier run on the same "
        "clinical clock from its final state (a piece of a patient's chain, "
        "plasticity.simulation.treatment): the state's clock (rate smoothing, the AMPA "
        "reference) is kept instead of started again.")
    stream_offset: int = Field(
        0, ge=0, le=10_000_000, strict=True,
        description="Segments run before on the same clock: this run's segments draw from "
        "random streams numbered on from there, so a chain of runs draws what one run of "
        "all its segments would.")

    @model_validator(mode="after")
    def _check(self) -> TimelineConfig:
        if self.continues and self.mode != "clinical":
            raise ValueError(f"'continues' is a clinical-clock option (mode is '{self.mode}')")
        if self.mode == "clinical":
            if self.end is None:
                raise ValueError("mode 'clinical' needs 'end'")
            if self.compression is not None:
                raise ValueError("'compression' is not used with mode 'clinical': windows run "
                                 "in real time and growth follows clinical time between them")
            if float(self.end) <= float(self.start):
                raise ValueError(f"end ({format_quantity(self.end)}) must be after start "
                                 f"({format_quantity(self.start)})")
            starts = [float(w) for w in self.windows]
            if any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
                raise ValueError("windows must be in increasing clinical time")
            if starts and (starts[0] != float(self.start) or starts[-1] >= float(self.end)):
                raise ValueError("in mode 'clinical' the first window must be at 'start' and "
                                 "every window before 'end'")
            return self
        if self.mode == "compressed":
            if self.end is None or self.compression is None:
                raise ValueError("mode 'compressed' needs both 'end' and 'compression'")
            if float(self.end) <= float(self.start):
                raise ValueError(
                    f"end ({format_quantity(self.end)}) must be after start "
                    f"({format_quantity(self.start)})"
                )
            if float(self.compression) < 1.0:
                raise ValueError(
                    f"compression ({format_quantity(self.compression)}) must be at least 1 s "
                    "of clinical time per simulated second"
                )
        elif self.end is not None or self.compression is not None:
            raise ValueError(f"'end' and 'compression' are only used with mode 'compressed' "
                             f"(mode is '{self.mode}')")
        if self.mode == "windows":
            if not self.windows:
                raise ValueError("mode 'windows' needs a non-empty list 'windows'")
            starts = [float(w) for w in self.windows]
            if any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
                raise ValueError("windows must be in increasing clinical time")
        elif self.windows:
            raise ValueError(f"'windows' is only used with mode 'windows' (mode is '{self.mode}')")
        return self

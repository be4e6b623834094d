"""Section ``structural``: homeostatic structural plasticity (Butz & van Ooyen 2013, as in NEST)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, model_validator

from plasticity.config.types import (
    ChargePos,
    ClinicalTime,
    ClinicalTimePos,
    Rate,
    Section,
    Time,
    TimeNonNeg,
    deep_merge,
)
from plasticity.units import format_quantity

__all__ = ["ELEMENTS", "ElementConfig", "SensorConfig", "StructuralConfig", "TurnoverConfig"]

ELEMENTS = ("axon", "den_exc", "den_inh")


class ElementConfig(Section):
    """One synaptic element of a population and its growth curve.

    NEST's parameter names and meanings (``nestkernel/growth_curve.h``;
    docs/notes/nest_structural_plasticity_semantics.md): ``growth_rate``
    is nu, in elements per unit time; ``eps`` the calcium set point
    (0.01 per Hz with the default sensor); ``eta`` the minimum activity of
    the gaussian curve; ``psi`` the width of the sigmoid.
    """

    curve: Literal["linear", "gaussian", "sigmoid"] = "gaussian"
    growth_rate: Rate = Field("0.0001 /ms", description="nu: elements per unit time.")
    eps: float = Field(0.05, ge=0.0, le=1e6)
    eta: float = Field(0.0, ge=0.0, le=1e6)
    psi: float = Field(0.1, gt=0.0, le=1e6)
    z0: float = Field(0.0, ge=0.0, le=1e6, description="Initial free elements per neuron.")
    continuous: bool = True
    tau_vacant: float = Field(0.1, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _check_curve(self) -> ElementConfig:
        if self.curve == "gaussian" and not self.eps > self.eta:
            raise ValueError(f"gaussian curve needs eps > eta (got eps {self.eps:g}, "
                             f"eta {self.eta:g})")
        if self.curve == "linear" and not self.eps > 0:
            raise ValueError("linear curve needs eps > 0")
        return self


class FormationCourseConfig(Section):
    """A slow rise (or fall) of the growth-factor tone: an SSRI-like antidepressant.

    From ``start`` on, the constitutive formation is multiplied by
    ``1 + (factor - 1) (1 - exp(-(t - start) / time_constant))``: the tone
    approaches ``factor`` times its value over weeks. Chronic, not acute,
    antidepressant treatment raises BDNF expression, after about three weeks
    in rat hippocampus (Nibuya, Morinobu & Duman 1995, J Neurosci 15:7539),
    and the clinical effect of SSRIs builds over weeks (science.md 6; the
    contrast with ketamine's hours is issue 14's slow comparator). The
    time constant (14 days) and the factor are our choices: the default
    factor 1.11 brings a tone lowered 10 % by stress
    (configs/depressed_baseline.yaml) back to the control's.
    """

    start: ClinicalTime = Field("0 day", description="Clinical time the treatment starts.")
    factor: float = Field(1.11, gt=0.0, le=100.0, description="Tone at full effect, relative "
                          "to constitutive_formation.")
    time_constant: ClinicalTimePos = Field("14 day", description="Time constant of the "
                                           "approach (our choice: 'weeks').")

    def mean_factor(self, a_s: float, b_s: float) -> float:
        """Mean multiplier over the clinical interval ``[a_s, b_s]`` (exact integral)."""
        t0, tau = float(self.start), float(self.time_constant)
        if b_s <= a_s:
            return 1.0 + (self.factor - 1.0) * (-math.expm1(-max(a_s - t0, 0.0) / tau))
        a = max(a_s, t0)
        if b_s <= a:
            return 1.0
        # integral of 1 - exp(-(t - t0)/tau) from a to b
        area = (b_s - a) - tau * (math.exp(-(a - t0) / tau) - math.exp(-(b_s - t0) / tau))
        return 1.0 + (self.factor - 1.0) * area / (b_s - a_s)


class TurnoverConfig(Section):
    """Intrinsic spine turnover of a plastic pathway (clinical clock only).

    Synapses appear and vanish even at steady activity, and most new ones are
    transient (Holtmaat et al. 2005, Neuron 45:279; Trachtenberg et al. 2002,
    Nature 420:788). A synapse formed by the homeostatic rule is *new*; it
    leaves that state at ``new_exit_rate``, eliminated with probability
    ``new_eliminated_fraction`` and otherwise stable; stable synapses are
    eliminated at ``stable_elimination_rate``. Elimination frees the
    elements on both sides, which the homeostatic rule pairs again at
    random: formation balances elimination, and the synapse count stays with
    the rule. The defaults are off (rates 0); ``configs/baseline.yaml``
    sets them from two-photon data.

    Weights follow maturity with ``new_weight < 1``: a new synapse transmits
    with that fraction of the pathway's weights (``g_ampa``, ``g_nmda``, the
    weights of a stable synapse) and with the full weight once stable. New
    spines are small and often still lack a synapse (Knott et al. 2006, Nat
    Neurosci 9:1117; Holtmaat et al. 2006, Nature 441:979), and AMPA-receptor
    content scales with spine-head volume (Matsuzaki et al. 2001, Nat
    Neurosci 4:1086). Two states of weight, not a growth over days, is our
    simplification.
    """

    new_exit_rate: Rate = Field("0 /day", description="Rate at which new synapses stop being "
                                "new (eliminated or stabilised).")
    new_eliminated_fraction: float = Field(0.0, ge=0.0, le=1.0)
    stable_elimination_rate: Rate = Field("0 /day", description="Elimination rate of stable "
                                          "synapses.")
    elimination: Literal["frees", "removes"] = Field(
        "frees", description="'frees': an eliminated synapse leaves both elements vacant, to be "
        "paired again (the count stays with the homeostatic rule); 'removes': the spine and "
        "its bouton go with it, and constitutive_formation grows new ones.")
    constitutive_formation: Rate = Field(
        "0 /day", description="Elements grown per neuron and unit time on both sides of the "
        "pathway, independently of activity (the growth-factor tone that balances "
        "elimination; lowered by chronic stress).")
    formation_course: FormationCourseConfig | None = Field(
        None, description="A slow change of the constitutive formation over clinical time "
        "(an SSRI-like antidepressant); null: constant.")
    new_weight: float = Field(
        1.0, gt=0.0, le=1.0, description="Weight of a new synapse relative to a stable one "
        "(both AMPA and NMDA); it takes the full weight when it stabilises. 1: weights do not "
        "follow maturity.")

    @property
    def weights_follow_maturity(self) -> bool:
        """True when new synapses are weaker than stable ones (``new_weight < 1``)."""
        return self.new_weight < 1.0

    def formation_s(self, a_s: float, b_s: float) -> float:
        """Mean constitutive formation (elements per second) over a clinical interval."""
        rate = float(self.constitutive_formation)
        if self.formation_course is None:
            return rate
        return rate * self.formation_course.mean_factor(a_s, b_s)

    def steady_new_share(self) -> float:
        """Share of synapses that are new at the steady state of the two-state process.

        ``(1/k_x) / (1/k_x + (1 - a)/k_s)`` with ``elimination: removes`` and both
        rates > 0 (each synapse's time as new over its expected lifetime); 0 otherwise
        (the clock then starts with every synapse stable).
        """
        k_x, k_s = float(self.new_exit_rate), float(self.stable_elimination_rate)
        if self.elimination != "removes" or k_x <= 0 or k_s <= 0:
            return 0.0
        return (1.0 / k_x) / (1.0 / k_x + (1.0 - self.new_eliminated_fraction) / k_s)

    def mean_weight_factor(self) -> float:
        """Expected weight per synapse at steady state, in units of a stable synapse."""
        return 1.0 - (1.0 - self.new_weight) * self.steady_new_share()


class SensorConfig(Section):
    """What the calcium sensor of the growth rule measures.

    - ``spikes`` (NEST, Butz & van Ooyen 2013): ``beta_ca`` per somatic spike,
      standing for the calcium that back-propagating spikes let in through
      voltage-gated channels.
    - ``nmda``: the Ca2+ current through unblocked NMDA receptors of the
      compartment that receives the NMDA synapses, a share
      ``nmda_ca_fraction`` of the NMDA current (10.7 % in CA1 pyramidal
      dendrites, Garaschuk et al. 1996, J Physiol 491:757; about 11 % for
      GluN1/GluN2A, Burnashev et al. 1995, J Physiol 485:403). A charge of
      ``nmda_charge_per_spike`` counts as one spike's ``beta_ca``.
    - ``mix``: the weighted sum, ``nmda_share`` of the drug-free sensor from
      NMDA receptors and the rest from spikes. NMDA receptors carry up to
      about 30 % of the Ca2+ that enters with an EPSP and a spike, voltage-
      gated channels the rest (Bollmann et al. 1998, J Neurosci 18:10409,
      calyx of Held; our stand-in for cortical spines). Subthreshold spine
      Ca2+ is mostly NMDA entry (Kovalchuk et al. 2000, J Neurosci 20:1791).

    Calcium stores, L-type channels and the spine's own buffering are not
    modelled. ``nmda_charge_per_spike`` is our normalisation: the drug-free
    Ca2+ charge through the NMDA receptors of a pyramidal cell of the
    default network per somatic spike, measured by
    :func:`plasticity.studies.sensor.calibrate_nmda_sensor` (so that every
    input gives the same drug-free mean and one set point ``eps`` serves
    all three).
    """

    input: Literal["spikes", "nmda", "mix"] = "spikes"
    nmda_share: float = Field(0.3, ge=0.0, le=1.0, description="'mix': share of the "
                              "drug-free sensor from NMDA-receptor calcium.")
    nmda_ca_fraction: float = Field(0.107, gt=0.0, le=1.0, description="Share of the NMDA "
                                    "current carried by Ca2+ (Garaschuk et al. 1996).")
    nmda_charge_per_spike: ChargePos = Field(
        "0.294 pC", description="NMDA Ca2+ charge that counts as one spike's beta_ca "
        "(calibrated on the drug-free default network).")

    def weights(self) -> tuple[float, float]:
        """Weights ``(spikes, nmda)`` of the two inputs."""
        return {"spikes": (1.0, 0.0), "nmda": (0.0, 1.0),
                "mix": (1.0 - self.nmda_share, self.nmda_share)}[self.input]


class StructuralConfig(Section):
    """Homeostatic structural plasticity (Butz & van Ooyen 2013, as in NEST).

    Every neuron of a population with elements carries a calcium sensor
    (``Ca += beta_ca`` per spike, decay ``tau_ca``; NEST defaults 10 s and
    0.001, so Ca = 0.01 per Hz) and synaptic elements that grow with it.
    Plastic pathways are rewired every ``update_interval`` by NEST's exact
    update, in compiled code. A plastic pathway pairs the source
    population's ``axon`` with the target's ``den_exc`` (excitatory
    sources) or ``den_inh`` (inhibitory sources). Synapses live in a pool
    of candidate pairs (``candidate_density`` of all pairs; 1 = any pair can
    connect, as in NEST); each candidate holds a synapse count, so
    multapses are allowed unless switched off.
    """

    enabled: bool = False
    pathways: list[Literal[
        "exc_to_exc", "exc_to_pv", "exc_to_sst", "pv_to_exc", "pv_to_pv", "pv_to_sst",
        "sst_to_exc", "sst_to_pv", "sst_to_sst",
    ]] = Field(default_factory=lambda: ["exc_to_exc"], max_length=9)
    update_interval: Time = "1 s"
    growth_dt: Time = Field(
        "1 ms",
        description="Step of the forward-Euler growth of the elements (NEST uses the "
        "resolution; elements change by at most nu * growth_dt per step).",
    )
    tau_ca: Time = "10 s"
    beta_ca: float = Field(0.001, gt=0.0, le=1e3)
    sensor: SensorConfig = Field(default_factory=SensorConfig,
                                 description="What the calcium sensor measures.")
    elements: dict[Literal["exc", "pv", "sst"], dict[Literal["axon", "den_exc", "den_inh"],
                                                     ElementConfig]] = Field(
        default_factory=lambda: {"exc": {"axon": ElementConfig(), "den_exc": ElementConfig()}}
    )
    candidate_density: float = Field(1.0, gt=0.0, le=1.0)
    autapses: bool = True
    multapses: bool = True
    initial: Literal["pathway", "empty"] = Field(
        "pathway",
        description="'pathway': start from the pathway's random connectivity (its p); "
        "'empty': start with no synapse on plastic pathways.",
    )
    snapshot_interval: Time | None = Field(
        None, description="Store the full edge list of plastic pathways this often."
    )
    clinical_update_interval: Time = Field(
        "1 h", description="Clinical time between structural updates of the clinical clock "
        "(timeline.mode 'clinical'); windows fall on this grid from timeline.start.",
    )
    rate_smoothing: TimeNonNeg = Field(
        "1 day",
        description="Clinical clock: clinical time constant over which each cell's rate "
        "relative to its population is averaged across windows (the population's own rate "
        "is each window's); '0 s' uses each window's counts alone.",
    )
    rate_refresh: TimeNonNeg = Field(
        "0 s",
        description="Clinical clock: each cell's relative rate takes in a window only if "
        "at least this much clinical time has passed since the last window it took in; "
        "windows in between keep it (with their own population rate). '0 s': every "
        "window. A few seconds of counts per cell are noisy, and the steady synapse count "
        "depends on that noise: with a refresh on the sparse window grid (e.g. 24 h) dense "
        "windows after a dose do not change it (docs/MODEL.md, the clinical clock).",
    )
    turnover: TurnoverConfig = Field(
        default_factory=TurnoverConfig,
        description="Intrinsic turnover of plastic synapses (clinical clock only).",
    )

    @model_validator(mode="before")
    @classmethod
    def _merge_elements(cls, data: Any) -> Any:
        """Elements a user writes are added to (or override) the default ones."""
        if isinstance(data, Mapping) and isinstance(data.get("elements"), Mapping):
            default = {"exc": {"axon": {}, "den_exc": {}}}
            data = dict(data)
            data["elements"] = deep_merge(default, data["elements"])
        return data

    @model_validator(mode="after")
    def _check_growth_dt(self) -> StructuralConfig:
        ratio = float(self.update_interval) / float(self.growth_dt)
        if ratio < 1 or not math.isclose(ratio, round(ratio), rel_tol=1e-9):
            raise ValueError(
                f"update_interval ({format_quantity(self.update_interval)}) must be a whole "
                f"multiple of growth_dt ({format_quantity(self.growth_dt)})"
            )
        return self

    @model_validator(mode="after")
    def _check_snapshots(self) -> StructuralConfig:
        if self.snapshot_interval is not None:
            ratio = float(self.snapshot_interval) / float(self.update_interval)
            if ratio < 1 or not math.isclose(ratio, round(ratio), rel_tol=1e-9):
                raise ValueError(
                    f"snapshot_interval ({format_quantity(self.snapshot_interval)}) must be a "
                    f"whole multiple of update_interval ({format_quantity(self.update_interval)})"
                )
        return self

    def element_pathways(self) -> dict[tuple[str, str], list[str]]:
        """``(population, element) -> plastic pathways that use it``."""
        out: dict[tuple[str, str], list[str]] = {}
        for pathway in self.pathways:
            src, _, tgt = pathway.partition("_to_")
            den = "den_exc" if src == "exc" else "den_inh"
            out.setdefault((src, "axon"), []).append(pathway)
            out.setdefault((tgt, den), []).append(pathway)
        return out

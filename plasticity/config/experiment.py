"""The whole config (:class:`Config`): every section, and the rules that span sections."""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field, model_validator

from plasticity.config.network import NetworkConfig, StimulusConfig
from plasticity.config.pharmacology import PharmacologyConfig
from plasticity.config.scaling import ScalingConfig
from plasticity.config.signalling import SignallingConfig
from plasticity.config.simulation import RecordConfig, SimulationConfig
from plasticity.config.structural import StructuralConfig
from plasticity.config.synapses import SynapseConfig
from plasticity.config.timeline import TimelineConfig
from plasticity.config.treatment import TreatmentConfig
from plasticity.config.types import (
    Section,
)
from plasticity.units import format_quantity

__all__ = ["Config"]


class Config(Section):
    """A whole experiment: one network, run over one or more timeline segments."""

    name: str = Field("experiment", min_length=1, max_length=200)
    seed: int = Field(
        1, ge=0, le=2**31 - 1, strict=True, description="Fixes every random number of the run."
    )
    simulation: SimulationConfig = SimulationConfig()
    record: RecordConfig = RecordConfig()
    network: NetworkConfig = NetworkConfig()
    synapses: SynapseConfig = SynapseConfig()
    pharmacology: PharmacologyConfig = PharmacologyConfig()
    timeline: TimelineConfig = TimelineConfig()
    structural: StructuralConfig = StructuralConfig()
    signalling: SignallingConfig = SignallingConfig()
    scaling: ScalingConfig = ScalingConfig()
    stimulation: list[StimulusConfig] = Field(
        default_factory=list, max_length=16,
        description="Extra external drive to groups of cells in time windows.",
    )
    treatment: TreatmentConfig | None = Field(
        None, description="One patient's chain of sessions chosen by a policy "
        "(plasticity.simulation.treatment); null: the timeline as declared.")
    cohort: dict[str, Any] | None = Field(
        None, description="Virtual patients drawn from declared distributions "
        "(plasticity.planning.cohort): used by 'plasticity sweep' (one point per patient), "
        "ignored by 'plasticity run'.")
    sweep: dict[str, Any] | None = Field(
        None,
        description="A parameter sweep over this config (plasticity.sweep): used by "
                    "'plasticity sweep', ignored by 'plasticity run'.",
    )

    @model_validator(mode="after")
    def _check_stimulation(self) -> Config:
        fractions: dict[str, float] = {}
        for k, stim in enumerate(self.stimulation):
            n = self.network.size(stim.population)
            if n == 0:
                raise ValueError(f"stimulation[{k}].population is '{stim.population}' but "
                                 f"network.n_{stim.population} is 0")
            if round(stim.fraction * n) == 0:
                raise ValueError(f"stimulation[{k}].fraction ({stim.fraction}) of the {n} "
                                 f"{stim.population} cells is no cell")
            if float(stim.start) >= float(self.simulation.duration):
                raise ValueError(
                    f"stimulation[{k}].start ({format_quantity(stim.start)}) is not before "
                    f"the end of the run (simulation.duration "
                    f"{format_quantity(self.simulation.duration)})")
            first = fractions.setdefault(stim.population, stim.fraction)
            if first != stim.fraction:
                raise ValueError(
                    f"stimulation[{k}].fraction ({stim.fraction}) differs from an earlier "
                    f"stimulus of {stim.population} ({first}): stimuli of one population "
                    "must stimulate the same cells")
        return self

    @model_validator(mode="after")
    def _check_timeline(self) -> Config:
        if self.timeline.mode == "compressed":
            span = float(self.timeline.end) - float(self.timeline.start)
            network_s = span / float(self.timeline.compression)
            n = math.ceil(network_s / float(self.simulation.duration) - 1e-9)
            if n > 100_000:
                raise ValueError(
                    f"timeline: {n} segments of simulation.duration "
                    f"({format_quantity(self.simulation.duration)}); at most 100000: raise "
                    "timeline.compression or simulation.duration"
                )
        if self.timeline.mode == "windows":
            starts = [float(w) for w in self.timeline.windows]
            dur = float(self.simulation.duration)
            if any(b < a + dur for a, b in zip(starts, starts[1:], strict=False)):
                raise ValueError(
                    "timeline.windows overlap: windows must be at least simulation.duration "
                    f"({format_quantity(self.simulation.duration)}) apart"
                )
        return self

    @model_validator(mode="after")
    def _check_treatment(self) -> Config:
        tr = self.treatment
        if tr is None:
            return self
        if self.timeline.mode != "clinical" or not self.structural.enabled:
            raise ValueError("treatment: a patient's chain of sessions runs on the clinical "
                             "clock: set structural.enabled true and timeline.mode 'clinical'")
        protocol = self.pharmacology.protocol
        if protocol is None or protocol.repeat is not None:
            raise ValueError("treatment: needs pharmacology.protocol (weight, PK model; its "
                             "first infusion gives the salt) without 'repeat': the policy "
                             "chooses the sessions")
        if self.timeline.windows:
            raise ValueError("treatment: timeline.windows must be empty (the chain places its "
                             "windows from timeline.window_every, dense_every and the doses)")
        if tr.response == "deficit_restored" and float(tr.settle) <= 0:
            raise ValueError("treatment.response 'deficit_restored' needs treatment.settle > "
                             "0 (the synapse loss that develops while settling is the deficit)")
        if float(tr.follow_up) <= float(tr.response_at):
            raise ValueError(f"treatment.follow_up ({format_quantity(tr.follow_up)}) must be "
                             f"longer than treatment.response_at "
                             f"({format_quantity(tr.response_at)})")
        step = float(self.structural.clinical_update_interval)
        for key in ("settle", "settle_window_every", "lead_in", "response_at", "follow_up"):
            value = float(getattr(tr, key))
            if abs(value / step - round(value / step)) > 1e-6:
                raise ValueError(
                    f"treatment.{key} ({format_quantity(getattr(tr, key))}) must be a whole "
                    "number of structural.clinical_update_interval "
                    f"({format_quantity(self.structural.clinical_update_interval)})")
        return self

    @model_validator(mode="after")
    def _check_clinical(self) -> Config:
        if self.timeline.mode == "clinical" and not self.structural.enabled:
            raise ValueError("timeline.mode 'clinical' is the clock of structural plasticity: "
                             "set structural.enabled, or use 'windows' for drug-only windows")
        if self.timeline.mode == "clinical" and not self.record.spikes:
            raise ValueError("record.spikes false: the clinical clock reads every window's "
                             "spikes (each cell's rate sets its growth); keep record.spikes "
                             "true with timeline.mode 'clinical'")
        return self

    @model_validator(mode="after")
    def _check_cell_model(self) -> Config:
        model = self.network.cell_model
        if model != "conductance" and (
            self.pharmacology.ketamine_uM > 0 or self.pharmacology.protocol is not None
        ):
            raise ValueError(
                f"network.cell_model '{model}' has no NMDA receptors, so ketamine has "
                "nothing to block: use cell_model 'conductance' with pharmacology"
            )
        return self

    @model_validator(mode="after")
    def _check_structural(self) -> Config:
        sp = self.structural
        if not sp.enabled:
            return self
        for (pop, element), users in sp.element_pathways().items():
            if element not in sp.elements.get(pop, {}):
                raise ValueError(
                    f"structural.elements.{pop}.{element} is missing: pathway {users[0]} is "
                    f"plastic, so {pop} cells need that element"
                )
        for pathway in sp.pathways:
            src, _, tgt = pathway.partition("_to_")
            for pop in (src, tgt):
                if self.network.size(pop) == 0:
                    raise ValueError(
                        f"structural.pathways: {pathway} is plastic but network.n_{pop} is 0"
                    )
        kinds: dict[bool, tuple[set[str], set[str]]] = {True: (set(), set()),
                                                         False: (set(), set())}
        for pathway in sp.pathways:
            src, _, tgt = pathway.partition("_to_")
            kinds[src == "exc"][0].add(src)
            kinds[src == "exc"][1].add(tgt)
        for srcs, tgts in kinds.values():
            for src in sorted(srcs):
                for tgt in sorted(tgts):
                    if f"{src}_to_{tgt}" not in sp.pathways:
                        raise ValueError(
                            f"structural.pathways: elements pair freely, so with sources "
                            f"{sorted(srcs)} and targets {sorted(tgts)} the pathway "
                            f"{src}_to_{tgt} must be plastic too"
                        )
        ratio = float(sp.growth_dt) / float(self.simulation.dt)
        if not math.isclose(ratio, round(ratio), rel_tol=1e-9) or ratio < 1:
            raise ValueError(
                f"structural.growth_dt ({format_quantity(sp.growth_dt)}) must be a whole "
                f"multiple of simulation.dt ({format_quantity(self.simulation.dt)})"
            )
        if self.simulation.device != "cpp_standalone":
            raise ValueError(
                "structural plasticity runs in compiled code only: set simulation.device to "
                f"'cpp_standalone' (got '{self.simulation.device}')"
            )
        if self.timeline.mode == "windows":
            raise ValueError(
                "structural plasticity over a 'windows' timeline: synapses would not change "
                "in the clinical time between windows; use timeline.mode 'clinical' (growth "
                "follows clinical time between windows) or 'real_time'"
            )
        if self.timeline.mode == "clinical":
            if len(sp.pathways) != 1:
                raise ValueError(
                    f"structural.pathways ({', '.join(sp.pathways)}): the clinical clock "
                    "supports one plastic pathway so far"
                )
            step = float(sp.clinical_update_interval)
            for k, w in enumerate(self.timeline.windows):
                ratio = (float(w) - float(self.timeline.start)) / step
                if not math.isclose(ratio, round(ratio), rel_tol=1e-9, abs_tol=1e-9):
                    raise ValueError(
                        f"timeline.windows[{k}] is not on the grid of "
                        f"structural.clinical_update_interval "
                        f"({format_quantity(sp.clinical_update_interval)}) from timeline.start")
        elif (sp.turnover.new_exit_rate > 0 or sp.turnover.stable_elimination_rate > 0
              or sp.turnover.constitutive_formation > 0 or sp.turnover.new_weight < 1):
            raise ValueError(
                "structural.turnover works with timeline.mode 'clinical' only (set the rates "
                "to 0 and new_weight to 1, or use the clinical clock)"
            )
        conductance = self.network.cell_model == "conductance"
        if sp.sensor.input != "spikes" and (not conductance or self.network.size("exc") == 0):
            pop = next(iter(sp.element_pathways()))[0]
            raise ValueError(
                f"structural.sensor.input '{sp.sensor.input}' needs NMDA receptors "
                f"on {pop} cells (network.cell_model 'conductance')")
        if conductance and any(p.startswith("exc_") for p in sp.pathways):
            if self.synapses.nmda_gating != "event":
                raise ValueError(
                    "structural plasticity of excitatory pathways needs synapses.nmda_gating "
                    "'event' (per-spike NMDA gating; 'exact' gating sums over every candidate "
                    "synapse at every step)"
                )
        return self

    @model_validator(mode="after")
    def _check_signalling(self) -> Config:
        if not self.signalling.enabled:
            return self
        sp = self.structural
        if not sp.enabled or self.timeline.mode != "clinical":
            raise ValueError("signalling.enabled acts on the clinical clock: set "
                             "structural.enabled and timeline.mode 'clinical'")
        if sp.pathways != ["exc_to_exc"]:
            raise ValueError(f"signalling.enabled: growth factors act on the E->E pathway "
                             f"(structural.pathways is {sp.pathways}, expected [exc_to_exc])")
        if self.network.cell_model != "conductance":
            raise ValueError("signalling.enabled reads AMPA currents and NMDA block: "
                             "network.cell_model must be 'conductance'")
        protocol = self.pharmacology.protocol
        if protocol is not None and not self.timeline.continues and self.treatment is None:
            first = min(d[0] for d in protocol.schedule())
            if not float(self.timeline.start) < first:
                raise ValueError(
                    f"signalling.enabled: timeline.start ({format_quantity(self.timeline.start)})"
                    " must come before the first infusion: the first window starts the "
                    "reference of the AMPA current")
        return self

    @model_validator(mode="after")
    def _check_scaling(self) -> Config:
        sc = self.scaling
        if not sc.enabled:
            return self
        sp = self.structural
        if (not sp.enabled or self.timeline.mode != "clinical"
                or sp.pathways != ["exc_to_exc"] or self.network.cell_model != "conductance"):
            raise ValueError("scaling.enabled scales the AMPA weights of the E->E pathway on "
                             "the clinical clock: set structural.enabled, structural.pathways "
                             "[exc_to_exc], timeline.mode 'clinical' (conductance cells)")
        if not (sc.block_at_rest or sc.firing_rate):
            raise ValueError("scaling.enabled with neither route: set scaling.block_at_rest or "
                             "scaling.firing_rate")
        if sc.block_at_rest and not (self.signalling.enabled and self.signalling.block_at_rest):
            raise ValueError("scaling.block_at_rest follows the BDNF-translation signal: set "
                             "signalling.enabled and signalling.block_at_rest (or "
                             "scaling.block_at_rest false)")
        return self

    @model_validator(mode="after")
    def _check_record(self) -> Config:
        dt = float(self.simulation.dt)
        for key in ("state_dt", "rate_bin"):
            value = float(getattr(self.record, key))
            if value < dt or not math.isclose(value / dt, round(value / dt), rel_tol=1e-6):
                raise ValueError(
                    f"record.{key} ({format_quantity(getattr(self.record, key))}) must be a "
                    f"whole multiple of simulation.dt ({format_quantity(self.simulation.dt)})"
                )
        return self

"""Section ``pharmacology``: drug concentration or infusion protocol, and the receptor block.

Ketamine IC50s are from Kotermanski & Johnson (2009, J Neurosci 29:2774);
the hypothesis presets live in :mod:`plasticity.pharmacology.block`, the
pharmacokinetic parameter sets in :mod:`plasticity.pharmacology.pk`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from plasticity.config.synapses import EXCITATORY_PATHWAYS
from plasticity.config.types import (
    ClinicalTime,
    ClinicalTimeNonNeg,
    ClinicalTimePos,
    ConcentrationPos,
    Dose,
    Mass,
    RateNonNegAny,
    RatePerConcentration,
    Section,
    Time,
    Voltage,
    VolumePerMass,
)
from plasticity.pharmacology.block import HYPOTHESES
from plasticity.pharmacology.pk import intervals_overlap
from plasticity.units import format_quantity

__all__ = ["InfusionConfig", "PKParametersConfig", "PharmacologyConfig", "ProtocolConfig",
           "ReceptorBlockConfig", "ReceptorOverride", "RepeatConfig"]


class InfusionConfig(Section):
    """One infusion: clinical start time, dose per body weight and duration.

    ``duration: 0 min`` is a bolus. Clinical doses are usually written as the
    hydrochloride salt (274.2 g/mol), which delivers 237.7/274.2 = 0.867 of
    its mass as ketamine base; ``salt: base`` doses the base itself.
    """

    start: ClinicalTime = Field(
        "0 min", description="Clinical time of the start (0 = protocol origin)."
    )
    dose: Dose = Field("0.5 mg/kg", description="Dose per body weight, e.g. '0.5 mg/kg'.")
    duration: ClinicalTimeNonNeg = Field("40 min", description="Infusion duration; 0 is a bolus.")
    salt: Literal["hydrochloride", "base"] = Field(
        "hydrochloride", description="Whether the dose is of ketamine hydrochloride or base."
    )
    route: Literal["iv"] = Field(
        "iv", description="Route; only intravenous ('iv') is implemented."
    )


class RepeatConfig(Section):
    """Repeat the listed infusions ``count`` times, ``every`` apart (e.g. 6 every 48 h)."""

    count: int = Field(1, ge=1, le=1000, strict=True)
    every: ClinicalTimePos = "48 h"


class PKParametersConfig(Section):
    """A linear mammillary PK model (``pk_model: custom``).

    Central volume per kg and first-order rate constants; leave a peripheral
    compartment's pair of rates at 0 to remove it.
    """

    v1: VolumePerMass = Field(description="Central volume per body weight, e.g. '0.063 L/kg'.")
    k10: RateNonNegAny = Field(description="Elimination rate, e.g. '0.4381 /min'.")
    k12: RateNonNegAny = "0 /min"
    k21: RateNonNegAny = "0 /min"
    k13: RateNonNegAny = "0 /min"
    k31: RateNonNegAny = "0 /min"
    ke0: RateNonNegAny | None = Field(None, description="Effect-site equilibration rate.")

    @model_validator(mode="after")
    def _check_pairs(self) -> PKParametersConfig:
        for a, b in (("k12", "k21"), ("k13", "k31")):
            if (float(getattr(self, a)) > 0) != (float(getattr(self, b)) > 0):
                raise ValueError(
                    f"{a} ({format_quantity(getattr(self, a))}) and {b} "
                    f"({format_quantity(getattr(self, b))}) must both be > 0 or both 0"
                )
        return self


class ProtocolConfig(Section):
    """A ketamine treatment the way a clinic writes it, turned into C(t) by PK.

    Defaults: a 70 kg adult, the Domino et al. (1982) three-compartment model
    (see :mod:`plasticity.pharmacology.pk`), and the effect-site
    concentration (ke0 0.652 /min) driving the receptor block: the receptors
    sit in brain tissue, which follows plasma with that lag. ``plasma`` uses
    total plasma concentration; ``free_plasma`` multiplies it by
    ``free_fraction`` (ketamine is 23-47 % bound to plasma proteins [R];
    default 0.53).
    """

    weight: Mass = "70 kg"
    pk_model: Literal["domino", "kamp2020_summary", "custom"] = "domino"
    pk_parameters: PKParametersConfig | None = Field(
        None, description="Parameters of the 'custom' PK model."
    )
    concentration_at: Literal["effect_site", "plasma", "free_plasma"] = "effect_site"
    free_fraction: float = Field(0.53, gt=0.0, le=1.0)
    infusions: list[InfusionConfig] = Field(
        default_factory=lambda: [InfusionConfig()], min_length=1, max_length=10_000
    )
    repeat: RepeatConfig | None = None

    @model_validator(mode="after")
    def _check(self) -> ProtocolConfig:
        if self.pk_model == "custom" and self.pk_parameters is None:
            raise ValueError("pk_model 'custom' needs pk_parameters (v1, k10, ...)")
        if self.pk_model != "custom" and self.pk_parameters is not None:
            raise ValueError(
                f"pk_parameters are only used with pk_model 'custom' (got '{self.pk_model}')"
            )
        if self.concentration_at == "effect_site":
            no_ke0 = (
                self.pk_model == "kamp2020_summary"
                or (self.pk_parameters is not None and not self.pk_parameters.ke0)
            )
            if no_ke0:
                raise ValueError(
                    f"concentration_at 'effect_site' needs a ke0, which pk_model "
                    f"'{self.pk_model}' does not have; use 'plasma' or give pk_parameters.ke0"
                )
        doses = self.schedule()
        for i, a in enumerate(doses):
            for j in range(i + 1, len(doses)):
                b = doses[j]
                if b[0] >= a[0] + a[2] and b[0] > a[0]:
                    break  # sorted by start: no later dose can overlap a
                if intervals_overlap(a[0], a[2], b[0], b[2]):
                    raise ValueError(
                        f"infusions overlap: dose {i + 1} runs from {a[0] / 60:g} to "
                        f"{(a[0] + a[2]) / 60:g} min and dose {j + 1} from {b[0] / 60:g} to "
                        f"{(b[0] + b[2]) / 60:g} min; expected doses one after another (a "
                        "bolus may start or end an infusion)"
                    )
        return self

    def schedule(self) -> list[tuple[float, float, float, str]]:
        """Every dose as ``(start_s, mg_per_kg, duration_s, salt)``, sorted by start."""
        every = float(self.repeat.every) if self.repeat else 0.0
        count = self.repeat.count if self.repeat else 1
        doses = [
            (float(inf.start) + k * every, float(inf.dose), float(inf.duration), inf.salt)
            for k in range(count)
            for inf in self.infusions
        ]
        return sorted(doses, key=lambda d: d[0])


class ReceptorBlockConfig(Section):
    """Ketamine block of the NMDA receptors of one pathway.

    Fraction blocked b = C^n / (C^n + K(V)^n) with the Woodhull (1973) form
    K(V) = IC50 * exp(delta * F * (V - V_ref) / (R * T)); with
    ``block_model: hill`` the voltage term is dropped and K = IC50. With
    ``block_model: kinetic`` the block is use-dependent (``k_on``,
    ``trapping``; see :mod:`plasticity.pharmacology.block`).
    """

    ic50: ConcentrationPos
    hill: float = Field(1.0, gt=0.0, le=10.0)
    delta: float = Field(0.8, ge=0.0, le=1.0)
    v_ref: Voltage = "-66 mV"
    blocked: bool = Field(True, description="False: this pathway is not blocked at all.")
    k_on: RatePerConcentration = Field(
        "0.1444 /uM/ms",
        description="Association rate with an open channel (kinetic block; Orser et al. 1997).",
    )
    trapping: float = Field(
        1.0, ge=0.0, le=1.0,
        description="Fraction of bound ketamine trapped when the channel closes (kinetic block; "
        "ketamine traps fully, Kotermanski et al. 2009).",
    )


class ReceptorOverride(Section):
    """Values replacing those of the hypothesis preset for one pathway."""

    ic50: ConcentrationPos | None = None
    hill: float | None = Field(None, gt=0.0, le=10.0)
    delta: float | None = Field(None, ge=0.0, le=1.0)
    v_ref: Voltage | None = None
    blocked: bool | None = None
    k_on: RatePerConcentration | None = None
    trapping: float | None = Field(None, ge=0.0, le=1.0)


class PharmacologyConfig(Section):
    """Drug concentration and receptor block.

    ``ketamine_uM`` is the free ketamine concentration at the receptors in
    micromolar (constant here; a time course is an input of the compiled
    network). ``hypothesis`` names a cited parameter set for which receptors
    ketamine blocks most (see :mod:`plasticity.pharmacology.block`); entries in
    ``receptors`` override single values of that set.
    """

    ketamine_uM: float = Field(0.0, ge=0.0, le=10_000.0)
    block_model: Literal["woodhull", "hill", "kinetic"] = Field(
        "woodhull",
        description=(
            "'woodhull': voltage-dependent block at equilibrium with the concentration; "
            "'hill': the same without voltage dependence; 'kinetic': use-dependent trapping "
            "open-channel block whose equilibrium is the Woodhull curve."
        ),
    )
    hypothesis: Literal[
        "glun2cd_interneurons",
        "equal_affinity",
        "exc_only",
        "interneurons_only",
        "glun2b_interneurons",
    ] = "glun2cd_interneurons"
    temperature_C: float = Field(35.0, ge=0.0, le=45.0)
    trace_dt: Time = Field(
        "10 ms", description="Sampling interval of the concentration input to the network."
    )
    receptors: dict[Literal["exc_to_exc", "exc_to_pv", "exc_to_sst"], ReceptorOverride] = Field(
        default_factory=dict,
        description="Per-pathway values that replace those of the hypothesis preset.",
    )
    protocol: ProtocolConfig | None = Field(
        None,
        description="Infusion protocol; the concentration then follows pharmacokinetics "
        "over the timeline instead of the constant ketamine_uM.",
    )

    @model_validator(mode="after")
    def _check_source(self) -> PharmacologyConfig:
        if self.protocol is not None and self.ketamine_uM > 0:
            raise ValueError(
                f"set either ketamine_uM ({self.ketamine_uM:g}) or protocol, not both: with a "
                "protocol the concentration follows pharmacokinetics"
            )
        return self

    def resolved_receptors(self) -> dict[str, ReceptorBlockConfig]:
        """Per-pathway block parameters: the hypothesis preset plus overrides."""
        preset = HYPOTHESES[self.hypothesis]
        out = {}
        for name in EXCITATORY_PATHWAYS:
            values = dict(preset[name])
            override = self.receptors.get(name)
            if override is not None:
                values.update(override.model_dump(exclude_none=True))
            out[name] = ReceptorBlockConfig(**values)
        return out

    @model_validator(mode="after")
    def _check_kinetic(self) -> PharmacologyConfig:
        if self.block_model == "kinetic":
            for name, receptor in self.resolved_receptors().items():
                if receptor.hill != 1.0:
                    raise ValueError(
                        f"receptors.{name}.hill ({receptor.hill:g}) must be 1 with "
                        "block_model 'kinetic' (one binding site per channel)"
                    )
        return self

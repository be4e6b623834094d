"""Section ``pharmacology``: drug concentration or infusion protocol, and the receptor block.

Ketamine IC50s are from Kotermanski & Johnson (2009, J Neurosci 29:2774);
the hypothesis presets live in :mod:`plasticity.pharmacology.block`, the
pharmacokinetic parameter sets in :mod:`plasticity.pharmacology.pk`.
"""

from __future__ import annotations

from typing import Any, Literal

from brian2 import mmolar, mV, umolar
from pydantic import Field, model_validator

from plasticity.config.synapses import EXCITATORY_PATHWAYS
from plasticity.config.types import (
    ClearancePerMass,
    ClinicalTime,
    ClinicalTimeNonNeg,
    ClinicalTimePos,
    ConcentrationPos,
    Dose,
    InverseVoltagePos,
    Mass,
    RateNonNegAny,
    RatePerConcentration,
    Section,
    Time,
    Voltage,
    VolumePerMass,
)
from plasticity.pharmacology.block import HYPOTHESES, ic50_in_mg_uM
from plasticity.pharmacology.pk import intervals_overlap
from plasticity.units import format_quantity

__all__ = ["HNKActionConfig", "InfusionConfig", "MetabolitesConfig", "PKParametersConfig",
           "PharmacologyConfig", "ProtocolConfig", "ReceptorBlockConfig", "ReceptorOverride",
           "RepeatConfig"]


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


class IndividualPKConfig(Section):
    """One patient's PK: factors on the set's clearance and volumes (1: typical).

    A population PK model gives each patient ``P_i = P_typical exp(eta_i)``;
    these are the ``exp(eta_i)`` (:func:`plasticity.pharmacology.pk.individual_parameters`).
    A cohort (config section ``cohort``) samples them, e.g. with the
    between-subject variability of Herd & Anderson 2007 (docs/notes/
    ketamine_popPK_variability.md).
    """

    clearance: float = Field(1.0, gt=0.0, le=100.0, description="Factor on clearance CL.")
    v_central: float = Field(1.0, gt=0.0, le=100.0, description="Factor on the central volume.")
    v_peripheral: float = Field(1.0, gt=0.0, le=100.0,
                                description="Factor on the peripheral volumes.")
    intercompartmental: float = Field(1.0, gt=0.0, le=100.0,
                                      description="Factor on the intercompartmental clearances.")


class MetabolitesConfig(Section):
    """Norketamine and hydroxynorketamine (HNK) compartments of the PK.

    A share ``nk_fraction`` of the eliminated ketamine becomes norketamine,
    cleared with ``nk_half_life``; a share ``hnk_fraction`` of the eliminated
    norketamine becomes HNK, in ``hnk_volume`` and cleared at
    ``hnk_clearance`` (:mod:`plasticity.pharmacology.pk`). Sources
    (docs/notes/ketamine_pathways_parameters.md 7): about 80 % of ketamine
    becomes norketamine and about 15 % of the dose hydroxynorketamines (Mion &
    Villevieille 2013, read in a secondary source), HNK forms from
    norketamine (Desta et al. 2012); the HNK clearance follows from the
    measured HNK/ketamine AUC ratios after IV ketamine (1.7 S, 3.1 R;
    Anesthesiology 135:326, 2021). The norketamine half-life and the HNK
    volume are our choices. ``r_share`` is the (2R,6R) isomer's share of
    HNK, 3.1/(3.1 + 1.7) from the same AUC ratios; ``free_fraction`` the
    unbound share at the receptors (unknown; our choice 1).
    """

    nk_fraction: float = Field(0.8, ge=0.0, le=1.0)
    nk_half_life: ClinicalTimePos = "5 h"
    hnk_fraction: float = Field(0.1875, ge=0.0, le=1.0, description="Share of the eliminated "
                                "norketamine that becomes HNK (0.1875: 15 % of the dose).")
    hnk_clearance: ClearancePerMass = "0.0714 L/h/kg"
    hnk_volume: VolumePerMass = "1.43 L/kg"
    r_share: float = Field(0.65, ge=0.0, le=1.0, description="(2R,6R) share of HNK.")
    free_fraction: float = Field(1.0, gt=0.0, le=1.0)


class ProtocolConfig(Section):
    """A ketamine treatment the way a clinic writes it, turned into C(t) by PK.

    Defaults: a 70 kg adult, the Domino et al. (1982) three-compartment model
    (see :mod:`plasticity.pharmacology.pk`), and the *free* effect-site
    concentration driving the receptor block (``free_effect_site``): the
    receptors sit in brain tissue, which follows plasma with the lag ke0
    (0.652 /min), and they see only unbound drug, while the IC50s of the
    block are free concentrations. ``free_fraction`` is 0.53: ketamine is
    bound "as much as 47 %" to human plasma (Dayton et al. 1983, Eur J Clin
    Pharmacol 24:825, abstract). ``effect_site`` and ``plasma`` use the total
    concentrations, ``free_plasma`` the free plasma one.
    """

    weight: Mass = "70 kg"
    pk_model: Literal["domino", "kamp2020_summary", "custom"] = "domino"
    pk_parameters: PKParametersConfig | None = Field(
        None, description="Parameters of the 'custom' PK model."
    )
    concentration_at: Literal["free_effect_site", "effect_site", "free_plasma", "plasma"] = Field(
        "free_effect_site",
        description="Which concentration drives the block: free (unbound) or total, at the "
        "effect site or in plasma.",
    )
    free_fraction: float = Field(
        0.53, gt=0.0, le=1.0,
        description="Unbound fraction in plasma (Dayton et al. 1983: at most 47 % bound).",
    )
    infusions: list[InfusionConfig] = Field(
        default_factory=lambda: [InfusionConfig()], min_length=1, max_length=10_000
    )
    repeat: RepeatConfig | None = None
    metabolites: MetabolitesConfig | None = Field(
        None, description="Norketamine and hydroxynorketamine compartments (HNK's action: "
        "pharmacology.hnk_action).")
    individual: IndividualPKConfig = Field(
        default_factory=IndividualPKConfig,
        description="This patient's factors on the PK set's clearance and volumes.")

    @model_validator(mode="after")
    def _check(self) -> ProtocolConfig:
        if self.pk_model == "custom" and self.pk_parameters is None:
            raise ValueError("pk_model 'custom' needs pk_parameters (v1, k10, ...)")
        if self.pk_model != "custom" and self.pk_parameters is not None:
            raise ValueError(
                f"pk_parameters are only used with pk_model 'custom' (got '{self.pk_model}')"
            )
        if self.concentration_at in ("effect_site", "free_effect_site"):
            no_ke0 = (
                self.pk_model == "kamp2020_summary"
                or (self.pk_parameters is not None and not self.pk_parameters.ke0)
            )
            if no_ke0:
                raise ValueError(
                    f"concentration_at '{self.concentration_at}' needs a ke0, which pk_model "
                    f"'{self.pk_model}' does not have; use 'free_plasma' or give "
                    "pk_parameters.ke0"
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

    def concentration_drive(self) -> str:
        """Which concentration drives the block, in words (stored with results)."""
        site = {"free_effect_site": "effect-site", "effect_site": "effect-site",
                "free_plasma": "plasma", "plasma": "plasma"}[self.concentration_at]
        if self.concentration_at.startswith("free_"):
            return (f"free {site} concentration ({self.free_fraction:g} x total; "
                    f"concentration_at: {self.concentration_at})")
        return f"total {site} concentration (concentration_at: {self.concentration_at})"

    @property
    def is_free(self) -> bool:
        """True when the driving concentration is the unbound one."""
        return self.concentration_at.startswith("free_")

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


def _refuse_removed_keys(data: Any) -> Any:
    """One line for the keys of the Woodhull-on-IC50 block model this replaced."""
    if isinstance(data, dict) and "ic50" in data:
        raise ValueError(
            f"'ic50' ({data['ic50']}) is no longer a parameter: the IC50 in Mg2+ is an output "
            "of the competitive block; give 'k0', the ketamine IC50 without Mg2+ at v_ref "
            "(e.g. '0.32 uM'), and the Mg2+ affinity 'mg_k0'"
        )
    return data


class ReceptorBlockConfig(Section):
    """Ketamine and Mg2+ block of the NMDA receptors of one pathway.

    Ketamine and Mg2+ compete for the open channel (see
    :mod:`plasticity.pharmacology.block`): ketamine removes
    ``b = C^n / (C^n + IC50_Mg(V)^n)`` of the Mg2+-limited current with
    ``IC50_Mg(V) = K_ket(V) (1 + [Mg]/K_Mg(V))``,
    ``K_ket(V) = k0 exp(delta F (V - v_ref) / (R T))`` and
    ``K_Mg(V) = mg_k0 exp(mg_slope V)``. With ``block_model: hill`` the IC50
    is held at its value at ``v_ref``; ``block_model: kinetic`` makes the
    block use-dependent (``k_on``, ``trapping``).
    """

    subunit: str = Field("", description="Which GluN2 subunit the values describe (a label).")
    k0: ConcentrationPos = Field(
        description="Ketamine IC50 without Mg2+ at v_ref (Kotermanski & Johnson 2009)."
    )
    mg_k0: ConcentrationPos = Field(
        "3.57 mM", description="Mg2+ dissociation constant at 0 mV (Jahr & Stevens 1990 for "
        "GluN2A/B)."
    )
    mg_slope: InverseVoltagePos = Field(
        "0.062 /mV", description="e-fold change of the Mg2+ affinity per mV (Jahr & Stevens 1990)."
    )
    hill: float = Field(1.0, gt=0.0, le=10.0)
    delta: float = Field(
        0.8, ge=0.0, le=1.0,
        description="Electrical distance of ketamine's site (charge +1); our choice, see "
        "experiments/ketamine_block_vs_voltage.py.",
    )
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

    _refuse_ic50 = model_validator(mode="before")(_refuse_removed_keys)

    def ic50_in_mg_uM(self, v_mV, mg_mM: float, temperature_C: float = 35.0):
        """IC50 (uM) in ``mg_mM`` of Mg2+ at ``v_mV``: an output of the competitive block.

        Parameters
        ----------
        v_mV : float or array
            Membrane potential in mV.
        mg_mM : float
            Extracellular Mg2+ in mM.
        temperature_C : float
            Temperature for R*T/F.

        Returns
        -------
        float or array
            IC50_Mg(V) = K_ket(V) (1 + [Mg]/K_Mg(V)) in uM.
        """
        return ic50_in_mg_uM(
            float(self.k0 / umolar), v_mV, mg_mM, delta=self.delta,
            v_ref_mV=float(self.v_ref / mV), mg_k0_mM=float(self.mg_k0 / mmolar),
            mg_slope_per_mV=float(self.mg_slope * mV), temperature_C=temperature_C,
        )


class ReceptorOverride(Section):
    """Values replacing those of the hypothesis preset for one pathway."""

    subunit: str | None = None
    k0: ConcentrationPos | None = None
    mg_k0: ConcentrationPos | None = None
    mg_slope: InverseVoltagePos | None = None
    hill: float | None = Field(None, gt=0.0, le=10.0)
    delta: float | None = Field(None, ge=0.0, le=1.0)
    v_ref: Voltage | None = None
    blocked: bool | None = None
    k_on: RatePerConcentration | None = None
    trapping: float | None = Field(None, ge=0.0, le=1.0)

    _refuse_ic50 = model_validator(mode="before")(_refuse_removed_keys)


class HNKActionConfig(Section):
    """(2R,6R)-hydroxynorketamine potentiating AMPA-receptor transmission (Zanos et al. 2016).

    The AMPA weights of ``pathways`` are multiplied by
    ``1 + max_increase * C / (C + ec50)``, C the free (2R,6R)-HNK
    concentration of the metabolite compartment, held at its mean over each
    segment (it changes over hours). ``ec50`` 3.3 uM: the concentration-effect
    curve of the fEPSP potentiation in rat hippocampal slices, 0.3-30 uM
    (Riggs et al. 2020, Neuropsychopharmacology 45:426, as tabulated in
    Pharmacol Rev 73:763, 2021, table 3). ``max_increase`` 0.4 is our choice
    (the size was not read). Riggs et al. place the action presynaptically
    (release probability); Zanos et al. frame it as AMPA-receptor activation,
    which this implements.
    """

    enabled: bool = False
    ec50: ConcentrationPos = "3.3 uM"
    max_increase: float = Field(0.4, ge=0.0, le=10.0)
    pathways: list[Literal["exc_to_exc", "exc_to_pv", "exc_to_sst"]] = Field(
        default_factory=lambda: ["exc_to_exc", "exc_to_pv", "exc_to_sst"], min_length=1,
        max_length=3)

    def factor(self, hnk_uM: float) -> float:
        """AMPA weight factor at a (2R,6R)-HNK concentration (uM)."""
        ec50 = float(self.ec50 / umolar)
        return 1.0 + self.max_increase * hnk_uM / (hnk_uM + ec50) if hnk_uM > 0 else 1.0


class PharmacologyConfig(Section):
    """Drug concentration and receptor block.

    ``ketamine_uM`` is the free ketamine concentration at the receptors in
    micromolar (constant here; a time course is an input of the compiled
    network). ``hypothesis`` names a cited parameter set for which receptors
    ketamine blocks most (see :mod:`plasticity.pharmacology.block`); entries in
    ``receptors`` override single values of that set.
    """

    ketamine_uM: float = Field(
        0.0, ge=0.0, le=10_000.0,
        description="Constant free ketamine concentration at the receptors (uM).",
    )
    block_model: Literal["competitive", "hill", "kinetic"] = Field(
        "competitive",
        description=(
            "'competitive': ketamine and Mg2+ compete for the open channel, at equilibrium "
            "with the concentration and the voltage; 'hill': the same with the IC50 held at "
            "its value at v_ref; 'kinetic': use-dependent trapping open-channel block whose "
            "steady state is the competitive curve."
        ),
    )
    hypothesis: Literal[
        "glun2cd_interneurons",
        "equal_affinity",
        "exc_only",
        "interneurons_only",
        "glun2b_interneurons",
        "glun2b_pyramidal",
        "hnk_ampa",
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
    hnk_action: HNKActionConfig = Field(
        default_factory=HNKActionConfig,
        description="(2R,6R)-HNK potentiating AMPA transmission (needs "
        "protocol.metabolites; on with hypothesis 'hnk_ampa').",
    )

    @property
    def hnk_acts(self) -> bool:
        """True when HNK potentiates AMPA transmission (``hnk_action.enabled`` or 'hnk_ampa')."""
        return self.hnk_action.enabled or self.hypothesis == "hnk_ampa"

    @model_validator(mode="after")
    def _check_hnk(self) -> PharmacologyConfig:
        if self.hnk_acts and (self.protocol is None or self.protocol.metabolites is None):
            why = ("hypothesis 'hnk_ampa'" if self.hypothesis == "hnk_ampa"
                   else "hnk_action.enabled")
            raise ValueError(
                f"{why} needs the HNK compartment: give a protocol with "
                "protocol.metabolites (e.g. 'metabolites: {}' for the defaults)")
        return self

    @model_validator(mode="before")
    @classmethod
    def _refuse_woodhull(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("block_model") == "woodhull":
            raise ValueError(
                "block_model 'woodhull' was removed: it applied a Woodhull voltage dependence to "
                "IC50s measured in Mg2+, which makes block in Mg2+ weaken with depolarisation; "
                "use 'competitive' (ketamine and Mg2+ compete for the channel)"
            )
        return data

    @model_validator(mode="after")
    def _check_source(self) -> PharmacologyConfig:
        if self.protocol is not None and self.ketamine_uM > 0:
            raise ValueError(
                f"set either ketamine_uM ({self.ketamine_uM:g}) or protocol, not both: with a "
                "protocol the concentration follows pharmacokinetics"
            )
        return self

    def concentration_drive(self) -> str:
        """Which ketamine concentration drives the block, in words (stored with results)."""
        if self.protocol is None:
            return "free concentration at the receptors (constant pharmacology.ketamine_uM)"
        return self.protocol.concentration_drive()

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

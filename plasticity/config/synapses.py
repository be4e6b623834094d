"""Section ``synapses``: receptor kinetics and the nine recurrent pathways.

Kinetics from Brunel & Wang (2001) and Wang (2002); NMDA/AMPA ratios per
target cell type from Myme et al. (2003), Rotaru et al. (2011) and Wang &
Gao (2009), see the comments at :class:`SynapseConfig`. Connection
probabilities and conductances were calibrated for an asynchronous irregular
baseline (docs/MODEL.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from plasticity.config.types import (
    Concentration,
    Conductance,
    Current,
    Probability,
    RatePos,
    Section,
    Time,
    TimeNonNeg,
    Voltage,
)
from plasticity.units import format_quantity

__all__ = ["EXCITATORY_PATHWAYS", "INHIBITORY_PATHWAYS", "ExcitatoryPathway",
           "InhibitoryPathway", "SynapseConfig", "split_pathway"]

EXCITATORY_PATHWAYS = ("exc_to_exc", "exc_to_pv", "exc_to_sst")
INHIBITORY_PATHWAYS = (
    "pv_to_exc",
    "pv_to_pv",
    "pv_to_sst",
    "sst_to_exc",
    "sst_to_pv",
    "sst_to_sst",
)


def split_pathway(pathway: str) -> tuple[str, str]:
    """Source and target population of a pathway name: ``"exc_to_pv" -> ("exc", "pv")``."""
    src, _, tgt = pathway.partition("_to_")
    return src, tgt


class ExcitatoryPathway(Section):
    """Recurrent excitatory pathway (AMPA + NMDA; PSC ``psc`` for iaf_psc_alpha cells)."""

    p: Probability = 0.1
    g_ampa: Conductance = "0.1 nS"
    g_nmda: Conductance = "0.3 nS"
    psc: Current = Field("0 pA", description="PSC amplitude (cell_model iaf_psc_alpha), >= 0.")
    psp: Voltage = Field("0 mV", description="PSP jump (cell_model iaf_psc_delta), >= 0.")
    delay: TimeNonNeg = "1 ms"
    target: Literal["soma", "dendrite"] = "soma"

    @model_validator(mode="after")
    def _check_sign(self) -> ExcitatoryPathway:
        for key in ("psc", "psp"):
            if float(getattr(self, key)) < 0:
                raise ValueError(f"{key} ({format_quantity(getattr(self, key))}) of an "
                                 "excitatory pathway must be >= 0")
        return self


class InhibitoryPathway(Section):
    """Recurrent inhibitory pathway (GABA_A)."""

    p: Probability = 0.2
    g_gaba: Conductance = "1 nS"
    psc: Current = Field("0 pA", description="PSC amplitude (cell_model iaf_psc_alpha), <= 0.")
    psp: Voltage = Field("0 mV", description="PSP jump (cell_model iaf_psc_delta), <= 0.")
    delay: TimeNonNeg = "1 ms"
    target: Literal["soma", "dendrite"] = "soma"

    @model_validator(mode="after")
    def _check_sign(self) -> InhibitoryPathway:
        for key in ("psc", "psp"):
            if float(getattr(self, key)) > 0:
                raise ValueError(f"{key} ({format_quantity(getattr(self, key))}) of an "
                                 "inhibitory pathway must be <= 0 (inhibitory weights are "
                                 "negative, as in NEST)")
        return self


class SynapseConfig(Section):
    """Receptor kinetics and per-pathway connectivity and conductances.

    Kinetics from Brunel & Wang (2001) and Wang (2002): AMPA 2 ms; NMDA rise
    2 ms, decay 100 ms, alpha 0.5 /ms; GABA_A 10 ms (PV) and 20 ms (SST, the
    dendritic GABA_A time constant of Yang et al. 2016); [Mg2+]o 1 mM.
    """

    tau_ampa: Time = "2 ms"
    tau_nmda_rise: Time = "2 ms"
    tau_nmda_decay: Time = "100 ms"
    alpha_nmda: RatePos = "0.5 kHz"
    tau_gaba_pv: Time = "10 ms"
    tau_gaba_sst: Time = "20 ms"
    E_exc: Voltage = "0 mV"
    E_inh: Voltage = "-70 mV"
    Mg: Concentration = "1 mM"
    nmda_gating: Literal["exact", "event"] = Field(
        "exact",
        description=(
            "'exact': Wang (2002) rise/decay gating of every presynaptic neuron, summed "
            "over the actual synapses at each step. 'event': the event-driven "
            "approximation of NEST's iaf_bw_2001 (cost per spike only)."
        ),
    )
    # NMDA/AMPA: a single spike opens s to ~0.64 (NEST iaf_bw_2001 k0 for
    # alpha = 0.5/ms, tau_rise = 2 ms), so g_nmda/g_ampa = 0.4 on E->E gives a
    # unitary NMDA/AMPA peak ratio of 0.26 in 0 Mg2+, as measured in L2/3
    # pyramidal cells of rat PFC (27 +- 1 %, Myme et al. 2003, J Neurophysiol
    # 90:771). Fast-spiking (PV) cells have a weak NMDA component (Rotaru et
    # al. 2011, J Neurosci 31:142; most adult FS cells in rat PFC show none,
    # Wang & Gao 2009, Neuropsychopharmacology 34:2028): ratio 0.1. Regular-
    # and low-threshold-spiking (SST-like) interneurons keep pyramidal-like
    # ratios (Wang & Gao 2009): ratio 0.4. Probabilities and conductances were
    # calibrated for an asynchronous irregular baseline (docs/MODEL.md).
    exc_to_exc: ExcitatoryPathway = ExcitatoryPathway(
        p=0.1, g_ampa="0.5 nS", g_nmda="0.2 nS", target="dendrite"
    )
    exc_to_pv: ExcitatoryPathway = ExcitatoryPathway(p=0.2, g_ampa="1 nS", g_nmda="0.1 nS")
    exc_to_sst: ExcitatoryPathway = ExcitatoryPathway(p=0.2, g_ampa="0.3 nS", g_nmda="0.12 nS")
    pv_to_exc: InhibitoryPathway = InhibitoryPathway(p=0.4, g_gaba="3 nS")
    pv_to_pv: InhibitoryPathway = InhibitoryPathway(p=0.4, g_gaba="2 nS")
    pv_to_sst: InhibitoryPathway = InhibitoryPathway(p=0.2, g_gaba="1 nS")
    sst_to_exc: InhibitoryPathway = InhibitoryPathway(p=0.4, g_gaba="2 nS", target="dendrite")
    sst_to_pv: InhibitoryPathway = InhibitoryPathway(p=0.4, g_gaba="0.3 nS")
    sst_to_sst: InhibitoryPathway = InhibitoryPathway(p=0.0, g_gaba="0 nS")

    def pathway(self, name: str) -> ExcitatoryPathway | InhibitoryPathway:
        """The pathway called ``name`` (e.g. ``"exc_to_pv"``)."""
        return getattr(self, name)

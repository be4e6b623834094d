"""Section ``signalling``: growth-factor signalling per pyramidal cell (issue 13).

Two routes from ketamine to new synapses, each switchable
(:mod:`plasticity.model.signalling` has the equations):

- the **glutamate surge**: disinhibited pyramidal cells release more
  glutamate, and the extra AMPA-receptor throughput activates mTORC1
  (Li et al. 2010, Science 329:959: phospho-mTOR up within 30-60 min, back
  by 2 h; NBQX abolishes it, Maeng et al. 2008, Biol Psychiatry 63:349);
- **block at rest**: NMDA receptors blocked at rest deactivate eEF2 kinase,
  and BDNF is translated within 30 min (Autry et al. 2011, Nature 475:91),
  gone by 8 h (Gideons et al. 2014, PNAS 111:8649); its activity-dependent
  release (Lepack et al. 2015, PNAS 112:2859: needs AMPA receptors) acts
  on TrkB, which signals through mTORC1 (Takei et al. 2004, J Neurosci
  24:9760).

mTORC1 drives the synthesis of synaptic proteins (up from 2 h to at least
72 h, Li 2010), whose level raises spine formation and the stabilisation
of new spines. Rapamycin (mTORC1 off) therefore stops both routes, NBQX
(AMPA receptors of the pathway off) stops the surge and the release, and
BDNF Val66Met lowers activity-dependent release (Egan et al. 2003, Cell
112:257; Chen et al. 2006, Science 314:140).

The time constants are our fits to the measured time courses
(docs/notes/ketamine_pathways_parameters.md, section 1); the gains are
scale choices or calibrated, as each field says.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from plasticity.config.types import ClinicalTimePos, Rate, Section

__all__ = ["FilterConfig", "KnockoutConfig", "SignallingConfig"]


class FilterConfig(Section):
    """A two-stage linear filter: rise, then decay (impulse response e^-t/decay - e^-t/rise)."""

    rise: ClinicalTimePos
    decay: ClinicalTimePos

    @model_validator(mode="after")
    def _check(self) -> FilterConfig:
        if float(self.rise) >= float(self.decay):
            raise ValueError("rise must be shorter than decay")
        return self


class KnockoutConfig(Section):
    """Pharmacological and genetic manipulations of the pathways."""

    rapamycin: bool = Field(False, description="mTORC1 off (Li et al. 2010).")
    nbqx: bool = Field(False, description="AMPA receptors of the pathways off: no surge drive "
                       "to mTORC1 and no activity-dependent BDNF release (Maeng et al. 2008).")
    bdnf_release: float = Field(
        1.0, ge=0.0, le=1.0,
        description="Activity-dependent BDNF release relative to Val/Val: about 0.7 for "
        "Val/Met and 0.5 for Met/Met (Chen et al. 2004, 2006; our choice within the "
        "reported 18-50 % reductions).")


class SignallingConfig(Section):
    """Growth-factor signalling of the plastic pathway's target cells (clinical clock only).

    Inputs per window (:data:`plasticity.model.structural.WINDOW_READOUTS`):
    the relative excess of the pyramidal cells' mean AMPA current on the
    dendrite over its recent reference (the surge, one value for the
    population: glutamate release is a network event, and one value has no
    counting-noise bias), and each cell's fraction of NMDA receptors blocked
    by ketamine. The reference follows the current over past windows with
    the time constant ``surge_adaptation``, so that mTORC1 answers a surge of
    glutamate, not the slow rise of synaptic input that new synapses bring
    (which, measured against a fixed baseline, fed back on itself: new
    synapses, more AMPA current, more mTORC1, more synapses).
    """

    enabled: bool = False
    surge: bool = Field(True, description="Route (a): AMPA surge -> mTORC1.")
    block_at_rest: bool = Field(True, description="Route (b): block at rest -> eEF2K off -> "
                                "BDNF translation -> release -> TrkB -> mTORC1.")
    mtor: FilterConfig = Field(
        default_factory=lambda: FilterConfig(rise="15 min", decay="30 min"),
        description="mTORC1 activation (fit to Li 2010: up at 30 and 60 min, baseline by 2 h).")
    bdnf: FilterConfig = Field(
        default_factory=lambda: FilterConfig(rise="10 min", decay="2.5 h"),
        description="BDNF translation after eEF2K inhibition (Autry 2011: up at 30 min; "
        "Gideons 2014: gone by 8 h).")
    protein: FilterConfig = Field(
        default_factory=lambda: FilterConfig(rise="1 h", decay="3.5 day"),
        description="Synaptic proteins (Li 2010: up from 2 h, still up at 72 h).")
    surge_gain: float = Field(1.0, ge=0.0, le=1e6, description="mTORC1 drive per unit "
                              "relative AMPA excess (scale choice).")
    surge_adaptation: ClinicalTimePos = Field(
        "6 h", description="Time constant of the reference the surge is measured against "
        "(our choice: long against the hour of a glutamate surge, short against the days "
        "over which synapses change the AMPA current).")
    surge_threshold: float = Field(
        0.02, ge=0.0, le=10.0, description="Relative AMPA excess below which there is no "
        "surge (our choice: five times the window-to-window noise of the population's AMPA "
        "current, about 0.4 % in 4 s windows of the default network, so that noise and slow "
        "drift do not feed the synaptic-protein signal, which integrates over days).")
    block_gain: float = Field(1.0, ge=0.0, le=1e6, description="BDNF translation per unit "
                              "fraction blocked (scale choice).")
    trkb_gain: float = Field(1.0, ge=0.0, le=1e6, description="mTORC1 drive per unit "
                             "released BDNF (scale choice).")
    formation_gain: Rate = Field("0 /day", description="Extra synaptic elements per day per "
                                 "unit synaptic protein, on both sides of the plastic pathway.")
    stabilisation_gain: float = Field(
        0.0, ge=0.0, le=1e6, description="New synapses are eliminated with probability "
        "structural.turnover.new_eliminated_fraction / (1 + stabilisation_gain * protein).")
    between_windows: Literal["concentration", "held"] = Field(
        "concentration", description="Inputs between two windows: 'concentration' lets each "
        "cell's block and the drug-driven part of the AMPA excess follow the PK's concentration "
        "(plasticity.model.signalling; the outcome then does not depend on how densely windows "
        "sample a short infusion); 'held' keeps the window's values until the next window.")
    surge_input: Literal["window", "fitted"] = Field(
        "window", description="AMPA excess the surge is taken from between windows: "
        "'window': each window's measured excess, carried along the concentration ("
        "between_windows); 'fitted': only its drug-driven part, k C with k fitted over the "
        "windows so far (zero without drug). A small network's few-second windows have "
        "noise of several % in the population's AMPA current, which the threshold rectifies "
        "into a surge wherever windows are dense, drug or not (experiments/treatment_drift.py)."
        " 'fitted' needs between_windows 'concentration'.")
    knockouts: KnockoutConfig = Field(default_factory=KnockoutConfig)

    @model_validator(mode="after")
    def _check_surge_input(self) -> SignallingConfig:
        if self.surge_input == "fitted" and self.between_windows != "concentration":
            raise ValueError(
                f"surge_input 'fitted' takes the drug-driven excess along the concentration: "
                f"it needs between_windows 'concentration' (got {self.between_windows!r})")
        return self

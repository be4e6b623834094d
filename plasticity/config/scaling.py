"""Section ``scaling``: homeostatic scaling of AMPA weights onto the plastic pathway's targets.

Structural plasticity changes how many synapses a cell has; synaptic scaling
changes how strong they are. Two routes, each switchable
(:mod:`plasticity.model.scaling` has the equations):

- **block at rest** (Kavalali & Monteggia): blocking NMDA receptors at rest
  de-suppresses dendritic protein synthesis and scales synaptic strength up
  within hours, more than an order of magnitude faster than activity
  blockade alone (Sutton et al. 2006, Cell 125:785); ketamine or APV for 30
  min potentiates hippocampal responses by tens of percent, needing
  protein synthesis, BDNF and eEF2 kinase (Nosyreva et al. 2013, J Neurosci
  33:6990). Here the target cell's BDNF-translation signal
  (``signalling``, route b) sets the target of the potentiation;
- **firing rate** (Turrigiano et al. 1998, Nature 391:892): a cell firing
  below its set point scales its excitatory synapses up, multiplicatively,
  over a day or two (Wierenga et al. 2005, J Neurosci 25:2895: unitary
  connections between pyramidal cells more than double after 2 days of
  blockade).

The factor multiplies the AMPA (not the NMDA) weight of every E->E synapse
onto the cell, stable or new, in the windows of the clinical clock. The
sizes and time constants are our choices within the ranges read
(docs/notes/ketamine_pathways_parameters.md, section 6).
"""

from __future__ import annotations

from pydantic import Field

from plasticity.config.types import ClinicalTimePos, Section

__all__ = ["ScalingConfig"]


class ScalingConfig(Section):
    """Homeostatic scaling of the AMPA weights of the plastic E->E pathway (clinical clock)."""

    enabled: bool = False
    block_at_rest: bool = Field(True, description="Fast route: the BDNF-translation signal "
                                "of block at rest (signalling route b) scales AMPA up.")
    block_gain: float = Field(
        0.25, ge=0.0, le=10.0, description="Relative AMPA increase per unit BDNF-translation "
        "signal (about the fraction of receptors blocked): +25 % at a full block at rest "
        "(our choice within the tens of percent of Nosyreva et al. 2013).")
    rise: ClinicalTimePos = Field("45 min", description="Time constant towards a higher "
                                  "target (Sutton et al. 2006: within 1-3 h; our choice).")
    decay: ClinicalTimePos = Field("1.5 day", description="Time constant towards a lower "
                                   "target (our choice: the effect fades over days).")
    firing_rate: bool = Field(False, description="Slow route: cells below the calcium set "
                              "point scale up, cells above it down (Turrigiano et al. 1998).")
    rate_tau: ClinicalTimePos = Field("1 day", description="Time constant of the slow route "
                                      "(develops over 24-48 h).")
    max_factor: float = Field(2.0, gt=1.0, le=100.0, description="Bound of the factor, and "
                              "of its inverse (Wierenga et al. 2005: more than double).")

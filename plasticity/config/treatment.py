"""Section ``treatment``: one patient's chain of sessions, each chosen by a policy.

A config with a ``treatment`` section is one virtual patient
(:mod:`plasticity.simulation.treatment`): the network settles under the
config's (stressed) turnover for ``settle``, is watched drug-free for
``lead_in``, then receives the sessions a policy
(:mod:`plasticity.planning.policies`) chooses one after another from the
response readout ``response_at`` after each session, and is followed for
``follow_up`` after the last one. The protocol's infusions are replaced by
the sessions (the first infusion gives the salt); the PK parameters, body
weight and individual factors are the protocol's.

Example::

    treatment:
      policy: {name: titration, dose_mg_per_kg: 0.5, max_dose_mg_per_kg: 1.0,
               response_threshold: 0.5, stop: {max_sessions: 6}}
      settle: 120 day
      response_at: 24 h
      follow_up: 14 day
      limits: {peak_plasma: 2 uM, cumulative_auc_uM_h: 40}
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, field_validator

from plasticity.config.types import (
    ClinicalTimeNonNeg,
    ClinicalTimePos,
    ConcentrationPos,
    Section,
)
from plasticity.errors import ConfigError
from plasticity.planning.policies import make_policy

__all__ = ["ExposureLimitsConfig", "TreatmentConfig"]


class ExposureLimitsConfig(Section):
    """Exposure limits a plan is reported against (not a model of harm).

    Each patient's result says whether the plan exceeded them; a policy acts
    on its own limits (e.g. ``titration``'s ``peak_limit_uM``, the stop rule
    ``max_auc_uM_h``). Abuse liability and dissociative or cardiovascular
    effects are not modelled.
    """

    peak_plasma: ConcentrationPos | None = Field(
        None, description="Cap on any session's peak plasma concentration (total), e.g. "
        "'2 uM'; null: none.")
    cumulative_auc_uM_h: float | None = Field(
        None, gt=0.0, description="Cap on the plasma AUC summed over the plan (uM h); null: "
        "none.")

    @field_validator("cumulative_auc_uM_h")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return value


class TreatmentConfig(Section):
    """One patient's chain of sessions under a policy (see the module docstring)."""

    policy: dict[str, Any] = Field(
        default_factory=lambda: {"name": "fixed"},
        description="The policy choosing each session: 'name' (fixed, titration, interval, "
        "or one registered with plasticity.planning.register_policy), its parameters and "
        "'stop' rules.")
    settle: ClinicalTimeNonNeg = Field(
        "0 day", description="Clinical time the network runs under the config's turnover "
        "before the lead-in (from the config's initial network, the unstressed one), so that "
        "the stress-induced synapse loss develops; 0: start from the given state.")
    settle_window_every: ClinicalTimePos = Field(
        "1 day", description="Window spacing while settling. The steady synapse count "
        "depends on how often the cells' relative rates take in a window's noisy counts "
        "(structural.rate_refresh): settle on the grid the sessions use between doses "
        "(timeline.window_every), or the network drifts when the sessions start "
        "(experiments/treatment_drift.py).")
    lead_in: ClinicalTimePos = Field(
        "1 day", description="Drug-free time on the session clock before the first session.")
    response_at: ClinicalTimePos = Field(
        "24 h", description="When after each session's start its response is read (the "
        "policy's input; Li et al. 2011: spines restored within 24 h).")
    follow_up: ClinicalTimePos = Field(
        "14 day", description="Time followed after the last session's start.")
    response: Literal["deficit_restored", "relative_gain"] = Field(
        "deficit_restored", description="Response readout: 'deficit_restored', the "
        "fraction of the synapses lost while settling that are back (needs settle > 0); "
        "'relative_gain', the change of the synapse count relative to the count before the "
        "first session.")
    limits: ExposureLimitsConfig = Field(default_factory=ExposureLimitsConfig)

    @field_validator("policy")
    @classmethod
    def _policy(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            make_policy(value, "policy")
        except ConfigError as err:
            # the location (treatment.policy) is added by the schema's error format
            raise ValueError("; ".join(p.removeprefix("policy.") for p in err.problems)
                             ) from None
        return value

    def make_policy(self):  # noqa: ANN201 - a Policy (plasticity.planning)
        """The policy object of ``policy`` (validated)."""
        return make_policy(self.policy, "treatment.policy")

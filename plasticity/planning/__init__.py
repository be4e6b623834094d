"""Treatment planning: policies that choose each patient's next session (issue 14).

No Brian2 here: a policy sees the outcomes of past sessions as numbers.
"""

from plasticity.planning.policies import (
    POLICIES,
    FixedSchedule,
    IntervalAdaptation,
    Outcome,
    Policy,
    Session,
    StopRules,
    Titration,
    describe,
    make_policy,
    register_policy,
)

__all__ = ["POLICIES", "FixedSchedule", "IntervalAdaptation", "Outcome", "Policy", "Session",
           "StopRules", "Titration", "describe", "make_policy", "register_policy"]

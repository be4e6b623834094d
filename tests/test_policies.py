"""Treatment policies (plasticity.planning): scripted responses give hand-worked doses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from plasticity.errors import ConfigError
from plasticity.planning import (
    POLICIES,
    Outcome,
    Policy,
    Session,
    StopRules,
    make_policy,
    register_policy,
)

pytestmark = pytest.mark.smoke


def play(policy: Policy, responses: list[float], peaks: list[float] | None = None,
         aucs: list[float] | None = None) -> list[Session]:
    """Run ``policy`` against a scripted response per session; the sessions it gave."""
    history: list[Outcome] = []
    while (session := policy.next(history)) is not None:
        k = len(history)
        assert k < len(responses), "the policy asked for more sessions than scripted"
        history.append(Outcome(session, responses[k],
                               peak_uM=peaks[k] if peaks else 0.0,
                               auc_uM_h=aucs[k] if aucs else 0.0))
    return [o.session for o in history]


def test_fixed_three_a_week_for_twelve_days_whatever_the_response():
    # Murrough 2013 / Shiroma 2014: six infusions over 12 days, Mon-Wed-Fri
    policy = make_policy({"name": "fixed", "days": [0, 2, 4, 7, 9, 11]})
    for responses in ([0.0] * 6, [1.0] * 6):
        sessions = play(policy, responses)
        assert [s.start_day for s in sessions] == [0, 2, 4, 7, 9, 11]
        assert {s.dose_mg_per_kg for s in sessions} == {0.5}
        assert {s.duration_min for s in sessions} == {40.0}


def test_fixed_regular_spacing():
    policy = make_policy({"name": "fixed", "sessions": 3, "interval_day": 3.5,
                          "dose_mg_per_kg": 0.75})
    assert [(s.start_day, s.dose_mg_per_kg) for s in play(policy, [0.0] * 3)] == [
        (0.0, 0.75), (3.5, 0.75), (7.0, 0.75)]


def test_titration_raises_on_non_response_up_to_the_cap():
    policy = make_policy({"name": "titration", "dose_mg_per_kg": 0.5, "step_mg_per_kg": 0.25,
                          "max_dose_mg_per_kg": 1.0, "response_threshold": 0.5,
                          "interval_day": 3.5, "stop": {"max_sessions": 6}})
    # responses: no, no, yes, no, no, (last one not used for a choice)
    sessions = play(policy, [0.1, 0.2, 0.9, 0.3, 0.4, 0.0])
    # 0.5 -> 0.75 -> 1.0 -> held at 1.0 (response) -> would be 1.25, capped 1.0 -> 1.0
    assert [s.dose_mg_per_kg for s in sessions] == [0.5, 0.75, 1.0, 1.0, 1.0, 1.0]
    assert [s.start_day for s in sessions] == [0.0, 3.5, 7.0, 10.5, 14.0, 17.5]


def test_titration_lowers_on_the_exposure_limit_before_anything_else():
    policy = make_policy({"name": "titration", "dose_mg_per_kg": 1.0, "step_mg_per_kg": 0.25,
                          "min_dose_mg_per_kg": 0.5, "peak_limit_uM": 2.0,
                          "stop": {"max_sessions": 5}})
    # peaks over the limit at sessions 1, 2 and 3 although the response is low
    sessions = play(policy, [0.0] * 5, peaks=[3.0, 2.5, 2.1, 1.0, 1.0])
    # 1.0 -> 0.75 -> 0.5 -> floor 0.5 -> (peak fine, no response) 0.75
    assert [s.dose_mg_per_kg for s in sessions] == [1.0, 0.75, 0.5, 0.5, 0.75]


def test_interval_lengthens_while_the_response_holds_and_shortens_when_it_fades():
    policy = make_policy({"name": "interval", "interval_day": 3.5, "factor": 2.0,
                          "min_interval_day": 2.0, "max_interval_day": 20.0,
                          "response_threshold": 0.5, "stop": {"max_sessions": 7}})
    sessions = play(policy, [0.9, 0.8, 0.7, 0.6, 0.1, 0.1, 0.0])
    starts = [s.start_day for s in sessions]
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    # first 3.5; held: 7, 14, 20 (cap); faded: 10, 5
    assert gaps == [3.5, 7.0, 14.0, 20.0, 10.0, 5.0]
    assert {s.dose_mg_per_kg for s in sessions} == {0.5}


def test_stop_after_sustained_response_and_on_cumulative_exposure():
    responded = make_policy({"name": "fixed", "sessions": 6,
                             "stop": {"responded_sessions": 2}, "response_threshold": 0.5})
    assert len(play(responded, [0.1, 0.6, 0.4, 0.7, 0.8, 0.9])) == 5
    assert responded.stop_reason([Outcome(Session(0, 0.5, 40), 0.9),
                                  Outcome(Session(1, 0.5, 40), 0.9)]).startswith("response")
    capped = make_policy({"name": "titration", "stop": {"max_auc_uM_h": 5.0,
                                                        "max_sessions": 10}})
    # 2 uM h per session: after 3 sessions 6 >= 5, so no fourth
    assert len(play(capped, [0.0] * 10, aucs=[2.0] * 10)) == 3


def test_bad_policy_configs_are_refused_one_line_each():
    cases = {
        "policy.name: 'magic' is not a policy": {"name": "magic"},
        "policy.dose: not a parameter of policy 'fixed'": {"name": "fixed", "dose": 0.5},
        "policy.dose_mg_per_kg: '0.5 mg/kg' must be a number": {
            "name": "fixed", "dose_mg_per_kg": "0.5 mg/kg"},
        "policy.step_mg_per_kg: -0.25 must be > 0": {"name": "titration",
                                                   "step_mg_per_kg": -0.25},
        "policy.factor: 1.0 must be > 1": {"name": "interval", "factor": 1},
        "policy.stop.max_sessions: 0 must be a whole number >= 1": {
            "name": "fixed", "stop": {"max_sessions": 0}},
        "policy.stop.forever: unknown stop rule": {"name": "fixed", "stop": {"forever": 1}},
        "policy.sessions: 2.5 must be a whole number": {"name": "fixed", "sessions": 2.5},
        "policy.days: [0.0, 4.0, 2.0] must start at 0 and increase": {
            "name": "fixed", "days": [0, 4, 2]},
        "policy.dose_mg_per_kg: 2.0 must lie within": {"name": "titration",
                                                       "dose_mg_per_kg": 2.0},
    }
    for expected, spec in cases.items():
        with pytest.raises(ConfigError) as err:
            make_policy(spec)
        assert str(err.value).startswith(expected), (spec, str(err.value))
        assert "\n" not in str(err.value), str(err.value)


def test_users_register_their_own_policy():
    @register_policy
    @dataclass
    class Weekly(Policy):
        """One infusion a week, the dose halved after each response."""

        name: ClassVar[str] = "test_weekly_halving"
        dose_mg_per_kg: float = 1.0
        response_threshold: float = 0.5
        stop: StopRules = None  # type: ignore[assignment]

        def __post_init__(self):
            self.stop = self.stop or StopRules(max_sessions=3)

        def first(self) -> Session:
            return Session(0.0, self.dose_mg_per_kg, 40.0)

        def choose(self, history):
            last = history[-1]
            dose = last.session.dose_mg_per_kg
            if last.response >= self.response_threshold:
                dose /= 2
            return Session(last.session.start_day + 7.0, dose, 40.0)

    try:
        policy = make_policy({"name": "test_weekly_halving"})
        assert [s.dose_mg_per_kg for s in play(policy, [0.9, 0.1, 0.0])] == [1.0, 0.5, 0.5]
        with pytest.raises(ValueError, match="already registered"):
            register_policy(type("Other", (Weekly,), {"name": "test_weekly_halving",
                                                      "__annotations__": {}}))
    finally:
        POLICIES.pop("test_weekly_halving", None)


def test_a_policy_may_not_go_back_in_time():
    @dataclass
    class Stuck(Policy):
        name: ClassVar[str] = "stuck"
        response_threshold: float = 0.5
        stop: StopRules = None  # type: ignore[assignment]

        def __post_init__(self):
            self.stop = StopRules(max_sessions=3)

        def first(self) -> Session:
            return Session(0.0, 0.5, 40.0)

        def choose(self, history):
            return Session(0.0, 0.5, 40.0)

    with pytest.raises(ValueError, match="not after the last one"):
        play(Stuck(), [0.0, 0.0, 0.0])

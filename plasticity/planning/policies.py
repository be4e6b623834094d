"""Treatment policies: which infusion comes next, given the responses so far.

Clinics give ketamine as a series of infusions and adjust each patient's plan
to the response to the previous sessions (issue 14). A *policy* makes that
choice explicit and testable: after every session it receives the history of
outcomes (what was given, the response readout it produced, the exposure it
caused) and returns the next session, or ``None`` to stop.

Three policies are built in, each a small class in :data:`POLICIES`:

``fixed``
    A schedule given in advance (e.g. six infusions of 0.5 mg/kg over 12
    days, three a week, as in Murrough et al. 2013, Biol Psychiatry 74:250,
    and Shiroma et al. 2014, J Affect Disord 155:123), whatever the response.
``titration``
    The dose is raised by a step after a session whose response is below a
    threshold, up to a cap, and lowered by a step after a session whose peak
    concentration exceeded the exposure limit (the limit wins). Dose
    escalation on non-response is what dose-finding series do (e.g. Fava et
    al. 2018, Mol Psychiatry 25:1592, compared 0.1-1.0 mg/kg); the
    thresholds, steps and caps are the user's.
``interval``
    The dose is fixed and the interval adapts: lengthened by a factor while
    the response holds (at or above the threshold), shortened when it fades,
    within bounds (maintenance schedules with widening intervals).

Every policy shares the stop rules of :class:`StopRules`: a maximum number
of sessions, a cap on the cumulative exposure, and stopping once the
response has held for a number of consecutive sessions (remission).

Users add their own policy by subclassing :class:`Policy` and decorating it
with :func:`register_policy`; :func:`make_policy` builds any registered
policy from a config mapping and answers bad parameters in one line naming
the key, the value and the rule.

The response readout itself (e.g. the fraction of the stress-induced synapse
deficit restored 24 h after the session) is computed by the runner of the
sessions, not here: a policy sees numbers, so it is tested with scripted
response sequences (``tests/test_policies.py``).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from plasticity.errors import ConfigError

__all__ = [
    "POLICIES",
    "FixedSchedule",
    "IntervalAdaptation",
    "Outcome",
    "Policy",
    "Session",
    "StopRules",
    "Titration",
    "describe",
    "make_policy",
    "register_policy",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Session:
    """One planned infusion.

    Parameters
    ----------
    start_day : float
        Start of the infusion, days after the first session's start.
    dose_mg_per_kg : float
        Dose (hydrochloride, per kg body weight).
    duration_min : float
        Length of the infusion in minutes.
    """

    start_day: float
    dose_mg_per_kg: float
    duration_min: float


@dataclass(frozen=True)
class Outcome:
    """What a session gave: the session, its response readout and its exposure.

    Parameters
    ----------
    session : Session
        The session as given.
    response : float
        The response readout of the session (the runner's choice, e.g. the
        fraction of the stress-induced synapse deficit restored at 24 h).
    peak_uM : float
        Peak plasma concentration over the session (uM).
    auc_uM_h : float
        Area under the plasma concentration curve attributed to the session
        (uM h).
    """

    session: Session
    response: float
    peak_uM: float = 0.0
    auc_uM_h: float = 0.0


@dataclass(frozen=True)
class StopRules:
    """Stop rules shared by every policy.

    Parameters
    ----------
    max_sessions : int
        No more sessions than this.
    responded_sessions : int or None
        Stop once the response has been at or above the policy's
        ``response_threshold`` for this many consecutive sessions (None: never
        stop for response).
    max_auc_uM_h : float or None
        Stop before a session once the cumulative plasma AUC has reached this
        (None: no cap).
    """

    max_sessions: int = 6
    responded_sessions: int | None = None
    max_auc_uM_h: float | None = None

    def reason(self, history: Sequence[Outcome], threshold: float) -> str | None:
        """Why the series stops after ``history`` (None: it goes on)."""
        if len(history) >= self.max_sessions:
            return f"max_sessions {self.max_sessions} reached"
        n = self.responded_sessions
        if n is not None and len(history) >= n and all(
                o.response >= threshold for o in history[-n:]):
            return f"response >= {threshold:g} for {n} consecutive sessions"
        if self.max_auc_uM_h is not None:
            total = sum(o.auc_uM_h for o in history)
            if total >= self.max_auc_uM_h:
                return f"cumulative AUC {total:.3g} uM h reached max_auc_uM_h {self.max_auc_uM_h:g}"
        return None


class Policy:
    """Base class of a treatment policy.

    A subclass sets :attr:`name`, declares its parameters as dataclass fields
    (plain numbers with unit-suffixed names) and implements :meth:`choose`
    (and :meth:`first` unless the series starts at day 0 with
    ``dose_mg_per_kg`` over ``duration_min``); :meth:`next` applies the shared
    stop rules first.
    Subclasses are dataclasses, so :func:`make_policy` can build and check
    them from a config mapping.
    """

    name: ClassVar[str] = ""
    dose_mg_per_kg: float
    duration_min: float
    response_threshold: float
    stop: StopRules

    def first(self) -> Session:
        """The first session: day 0, the policy's starting dose and duration."""
        return Session(0.0, self.dose_mg_per_kg, self.duration_min)

    def choose(self, history: Sequence[Outcome]) -> Session | None:
        """The session after ``history`` (at least one outcome), stop rules aside."""
        raise NotImplementedError

    def next(self, history: Sequence[Outcome]) -> Session | None:
        """The next session after ``history``, or None when the series stops.

        Parameters
        ----------
        history : sequence of Outcome
            The outcomes so far, in order (empty before the first session).

        Returns
        -------
        Session or None
            The next session; its ``start_day`` is after the last one's.
        """
        if not history:
            return self.first()
        why = self.stop.reason(history, self.response_threshold)
        if why is not None:
            logger.debug("policy %s stops after %d sessions: %s", self.name, len(history), why)
            return None
        session = self.choose(history)
        if session is not None and session.start_day <= history[-1].session.start_day:
            raise ValueError(f"policy {self.name!r} chose a session at day "
                             f"{session.start_day:g}, not after the last one "
                             f"(day {history[-1].session.start_day:g})")
        return session

    def stop_reason(self, history: Sequence[Outcome]) -> str | None:
        """Why the series stops after ``history``, in words (None: it goes on)."""
        return self.stop.reason(history, self.response_threshold) if history else None

    def check(self) -> list[str]:
        """Problems with the parameters, one line each (key, value, rule)."""
        problems = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float | int) and not isinstance(value, bool) and (
                    not math.isfinite(value)):
                problems.append(f"{f.name}: {value!r} is not a finite number")
        return problems


POLICIES: dict[str, type[Policy]] = {}


def register_policy(cls: type[Policy]) -> type[Policy]:
    """Class decorator: make a policy available by its ``name`` in config.

    Parameters
    ----------
    cls : type
        A dataclass subclass of :class:`Policy` with a non-empty ``name``
        not registered yet.

    Returns
    -------
    type
        ``cls`` itself.
    """
    if not (isinstance(cls, type) and issubclass(cls, Policy)):
        raise TypeError(f"register_policy: {cls!r} is not a subclass of Policy")
    if not cls.name or not dataclasses.is_dataclass(cls):
        raise TypeError(f"register_policy: {cls.__name__} needs a non-empty 'name' and "
                        "@dataclass")
    if cls.name in POLICIES and POLICIES[cls.name] is not cls:
        raise ValueError(f"register_policy: a policy named {cls.name!r} is already "
                         f"registered ({POLICIES[cls.name].__name__})")
    POLICIES[cls.name] = cls
    return cls


def _positive(name: str, value: float) -> list[str]:
    return [] if value > 0 else [f"{name}: {value!r} must be > 0"]


def _schedule_start(history: Sequence[Outcome], interval_day: float) -> float:
    return history[-1].session.start_day + interval_day


@register_policy
@dataclass
class FixedSchedule(Policy):
    """The same plan whatever the response: ``sessions`` infusions ``interval_day`` apart.

    A dose of 0 is a placebo (saline) schedule: the drug-free arm of a
    comparison, on the same windows.

    ``days`` replaces the regular spacing with explicit start days (e.g.
    ``[0, 2, 4, 7, 9, 11]`` for three a week over 12 days; ``sessions`` is
    then its length). The series stops at the end of the schedule or earlier
    by the stop rules.
    """

    name: ClassVar[str] = "fixed"
    dose_mg_per_kg: float = 0.5
    duration_min: float = 40.0
    interval_day: float = 7.0
    sessions: int = 6
    days: list[float] | None = None
    response_threshold: float = 0.5
    stop: StopRules = field(default_factory=StopRules)

    def _starts(self) -> list[float]:
        if self.days is not None:
            return [float(d) for d in self.days]
        return [k * self.interval_day for k in range(self.sessions)]

    def first(self) -> Session:
        """The first session (day 0)."""
        return Session(self._starts()[0], self.dose_mg_per_kg, self.duration_min)

    def choose(self, history: Sequence[Outcome]) -> Session | None:
        """The next session by this policy's rule."""
        starts = self._starts()
        if len(history) >= len(starts):
            return None
        return Session(starts[len(history)], self.dose_mg_per_kg, self.duration_min)

    def check(self) -> list[str]:
        """Problems with the parameters, one line each (key, value, rule)."""
        problems = super().check()
        if self.dose_mg_per_kg < 0:  # 0: a placebo (saline) schedule
            problems.append(f"dose_mg_per_kg: {self.dose_mg_per_kg!r} must be >= 0")
        problems += _positive("duration_min", self.duration_min)
        problems += _positive("interval_day", self.interval_day)
        if self.sessions < 1:
            problems.append(f"sessions: {self.sessions!r} must be >= 1")
        if self.days is not None:
            days = [float(d) for d in self.days]
            if not days:
                problems.append("days: [] must list at least one start day")
            elif days[0] != 0.0 or any(b <= a for a, b in zip(days, days[1:], strict=False)):
                problems.append(f"days: {self.days!r} must start at 0 and increase")
        return problems


@register_policy
@dataclass
class Titration(Policy):
    """Raise the dose after a non-response, lower it after too high a peak.

    After each session: if its peak plasma concentration exceeded
    ``peak_limit_uM`` the next dose is one ``step_mg_per_kg`` lower (not
    below ``min_dose_mg_per_kg``); otherwise, if its response was below
    ``response_threshold``, one step higher (not above ``max_dose_mg_per_kg``);
    otherwise the same. Sessions are ``interval_day`` apart.
    """

    name: ClassVar[str] = "titration"
    dose_mg_per_kg: float = 0.5
    step_mg_per_kg: float = 0.25
    min_dose_mg_per_kg: float = 0.1
    max_dose_mg_per_kg: float = 1.0
    peak_limit_uM: float | None = None
    duration_min: float = 40.0
    interval_day: float = 3.5
    response_threshold: float = 0.5
    stop: StopRules = field(default_factory=StopRules)

    def choose(self, history: Sequence[Outcome]) -> Session | None:
        """The next session by this policy's rule."""
        last = history[-1]
        dose = last.session.dose_mg_per_kg
        if self.peak_limit_uM is not None and last.peak_uM > self.peak_limit_uM:
            dose = max(self.min_dose_mg_per_kg, dose - self.step_mg_per_kg)
        elif last.response < self.response_threshold:
            dose = min(self.max_dose_mg_per_kg, dose + self.step_mg_per_kg)
        return Session(_schedule_start(history, self.interval_day), round(dose, 12),
                       self.duration_min)

    def check(self) -> list[str]:
        """Problems with the parameters, one line each (key, value, rule)."""
        problems = super().check()
        for key in ("dose_mg_per_kg", "step_mg_per_kg", "min_dose_mg_per_kg",
                    "max_dose_mg_per_kg", "duration_min", "interval_day"):
            problems += _positive(key, getattr(self, key))
        if self.peak_limit_uM is not None:
            problems += _positive("peak_limit_uM", self.peak_limit_uM)
        if not (self.min_dose_mg_per_kg <= self.dose_mg_per_kg <= self.max_dose_mg_per_kg):
            problems.append(f"dose_mg_per_kg: {self.dose_mg_per_kg!r} must lie within "
                            f"[min_dose_mg_per_kg, max_dose_mg_per_kg] = "
                            f"[{self.min_dose_mg_per_kg!r}, {self.max_dose_mg_per_kg!r}]")
        return problems


@register_policy
@dataclass
class IntervalAdaptation(Policy):
    """The dose fixed, the interval lengthened while the response holds.

    After a session whose response is at or above ``response_threshold`` the
    next interval is the last one times ``factor`` (at most
    ``max_interval_day``); after one below it, the last one divided by
    ``factor`` (at least ``min_interval_day``). The first interval is
    ``interval_day``.
    """

    name: ClassVar[str] = "interval"
    dose_mg_per_kg: float = 0.5
    duration_min: float = 40.0
    interval_day: float = 3.5
    factor: float = 2.0
    min_interval_day: float = 2.0
    max_interval_day: float = 28.0
    response_threshold: float = 0.5
    stop: StopRules = field(default_factory=StopRules)

    def choose(self, history: Sequence[Outcome]) -> Session | None:
        """The next session by this policy's rule."""
        if len(history) == 1:
            interval = self.interval_day
        else:
            interval = history[-1].session.start_day - history[-2].session.start_day
            if history[-1].response >= self.response_threshold:
                interval = min(self.max_interval_day, interval * self.factor)
            else:
                interval = max(self.min_interval_day, interval / self.factor)
        return Session(_schedule_start(history, interval), self.dose_mg_per_kg,
                       self.duration_min)

    def check(self) -> list[str]:
        """Problems with the parameters, one line each (key, value, rule)."""
        problems = super().check()
        for key in ("dose_mg_per_kg", "duration_min", "interval_day", "min_interval_day",
                    "max_interval_day"):
            problems += _positive(key, getattr(self, key))
        if not self.factor > 1.0:
            problems.append(f"factor: {self.factor!r} must be > 1")
        if not (self.min_interval_day <= self.interval_day <= self.max_interval_day):
            problems.append(f"interval_day: {self.interval_day!r} must lie within "
                            f"[min_interval_day, max_interval_day] = "
                            f"[{self.min_interval_day!r}, {self.max_interval_day!r}]")
        return problems


def _stop_rules(raw: Any, where: str) -> tuple[StopRules | None, list[str]]:
    if raw is None:
        return StopRules(), []
    if not isinstance(raw, Mapping):
        return None, [f"{where}.stop: {raw!r} must be a mapping of stop rules"]
    names = {f.name for f in dataclasses.fields(StopRules)}
    problems = [f"{where}.stop.{k}: unknown stop rule (expected one of "
                f"{', '.join(sorted(names))})" for k in raw if k not in names]
    if problems:
        return None, problems
    rules = StopRules(**dict(raw))
    m = rules.max_sessions
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        problems.append(f"{where}.stop.max_sessions: {m!r} must be a whole number >= 1")
    n = rules.responded_sessions
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        problems.append(f"{where}.stop.responded_sessions: {n!r} must be a whole number "
                        ">= 1 or null")
    a = rules.max_auc_uM_h
    if a is not None and (isinstance(a, bool) or not isinstance(a, int | float)
                          or not math.isfinite(a) or a <= 0):
        problems.append(f"{where}.stop.max_auc_uM_h: {a!r} must be a number > 0 or null")
    return rules, problems


def make_policy(spec: Mapping[str, Any], where: str = "policy") -> Policy:
    """Build a registered policy from a config mapping.

    Parameters
    ----------
    spec : mapping
        ``name`` (a key of :data:`POLICIES`), the policy's parameters and
        optionally ``stop`` (the fields of :class:`StopRules`).
    where : str
        Key path of ``spec`` in the config, for messages.

    Returns
    -------
    Policy
        The policy, its parameters checked.

    Raises
    ------
    ConfigError
        One line per problem: an unknown name or key, a value of the wrong
        type or outside its rule.
    """
    if not isinstance(spec, Mapping):
        raise ConfigError([f"{where}: {spec!r} must be a mapping with a 'name'"])
    name = spec.get("name")
    if name not in POLICIES:
        raise ConfigError([f"{where}.name: {name!r} is not a policy (registered: "
                           f"{', '.join(sorted(POLICIES))})"])
    cls = POLICIES[name]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    problems = []
    params: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "name":
            continue
        if key == "stop":
            rules, stop_problems = _stop_rules(value, where)
            problems += stop_problems
            params["stop"] = rules
        elif key not in fields:
            problems.append(f"{where}.{key}: not a parameter of policy {name!r} (expected "
                            f"one of {', '.join(sorted(k for k in fields if k != 'stop'))}, "
                            "stop)")
        else:
            coerced, problem = _coerce(value, fields[key].type, f"{where}.{key}")
            if problem:
                problems.append(problem)
            params[key] = coerced
    if problems:
        raise ConfigError(problems)
    policy = cls(**params)
    problems = [f"{where}.{p}" for p in policy.check()]
    if problems:
        raise ConfigError(problems)
    return policy


def _coerce(value: Any, annotation: Any, where: str) -> tuple[Any, str | None]:
    """A number, an optional number or a list of numbers, as the field declares."""
    text = str(annotation)
    optional = "None" in text
    if value is None:
        return None, None if optional else f"{where}: null is not allowed (a number)"
    if text == "int":
        if not _is_number(value) or float(value) != int(value):
            return None, f"{where}: {value!r} must be a whole number"
        return int(value), None
    if text.startswith("list"):
        if not isinstance(value, list | tuple) or not all(
                _is_number(v) for v in value):
            return None, f"{where}: {value!r} must be a list of numbers"
        return [float(v) for v in value], None
    if not _is_number(value):
        return None, f"{where}: {value!r} must be a number"
    return float(value), None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def describe(policy: Policy) -> str:
    """The policy and its parameters in one line (for logs and provenance)."""
    params = ", ".join(f"{f.name}={getattr(policy, f.name)!r}"
                       for f in dataclasses.fields(policy))
    return f"{policy.name}({params})"


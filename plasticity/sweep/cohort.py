"""Virtual patient cohorts: the ``cohort`` section, sampled into one sweep point per patient.

A cohort draws each patient's config values from declared distributions,
reproducibly from one seed::

    cohort:
      patients: 100
      seed: 11                 # default: the config's seed
      parameters:
        pharmacology.protocol.weight: {distribution: normal, mean: 78 kg, sd: 15 kg,
                                       low: 45 kg, high: 140 kg}
        pharmacology.protocol.individual.clearance: {distribution: lognormal, cv: 0.381}
      severity:                # depth of the stress-induced synapse loss
        distribution: {distribution: uniform, low: 0.5, high: 1.5}
        keys:
          structural.turnover.constitutive_formation: {control: 1.416 /day, stressed: 1.274 /day}
          structural.turnover.stable_elimination_rate: {control: 0.0274 /day,
                                                        stressed: 0.0315 /day}

Distributions (values may carry units; every value of one parameter in the
same unit):

- ``uniform``: ``low``, ``high``;
- ``normal``: ``mean``, ``sd``, optionally truncated to ``[low, high]`` (by
  redrawing);
- ``lognormal``: ``median`` (default 1) and ``cv``, the coefficient of
  variation: ``median * exp(omega z)`` with ``omega^2 = ln(1 + cv^2)``, the
  between-subject variability of population PK models (``exp(eta)``, eta
  normal), optionally truncated to ``[low, high]``;
- ``choice``: one of ``values``, equally likely.

``severity`` draws one factor per patient and sets each of its keys to
``control + severity * (stressed - control)``: severity 1 is the config's
stressed network, 0 no stress, 2 twice the change of each rate.

Every patient also gets its own ``seed`` (its network, noise and turnover).
Each parameter is drawn from its own random stream (keyed by the cohort seed
and the parameter's name), so adding a parameter to a cohort leaves the
others' draws as they were, and the same cohort section gives the same
patients under any policy: paired comparisons of policies.
"""

from __future__ import annotations

import math
import zlib
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from plasticity.errors import ConfigError
from plasticity.sweep.grammar import split_value

__all__ = ["CohortSpec", "parse_cohort", "patient_table", "sample_patients"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Value = float | str


class Distribution(_Strict):
    """One parameter's distribution over patients."""

    distribution: Literal["uniform", "normal", "lognormal", "choice"]
    low: Value | None = None
    high: Value | None = None
    mean: Value | None = None
    sd: Value | None = None
    median: Value | None = None
    cv: float | None = Field(None, gt=0.0, le=10.0)
    values: list[Any] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Distribution:
        kind = self.distribution
        needs = {"uniform": ("low", "high"), "normal": ("mean", "sd"), "lognormal": ("cv",),
                 "choice": ("values",)}[kind]
        allowed = set(needs) | {"distribution"} | (
            {"low", "high"} if kind in ("normal", "lognormal") else set()) | (
            {"median"} if kind == "lognormal" else set())
        missing = [k for k in needs if getattr(self, k) is None]
        if missing:
            raise ValueError(f"distribution {kind!r} needs {', '.join(missing)}")
        extra = [k for k in type(self).model_fields if k not in allowed
                 and getattr(self, k) is not None]
        if extra:
            raise ValueError(f"distribution {kind!r} does not use {', '.join(extra)}")
        if kind == "choice":
            return self
        numbers = {k: split_value(getattr(self, k)) for k in ("low", "high", "mean", "sd",
                                                               "median")
                   if getattr(self, k) is not None}
        if len({unit for _, unit in numbers.values()}) > 1:
            raise ValueError("every value of a distribution must use the same unit, got "
                             + ", ".join(f"{k} {getattr(self, k)!r}" for k in numbers))
        x = {k: v for k, (v, _) in numbers.items()}
        if not all(math.isfinite(v) for v in x.values()):
            raise ValueError("values must be finite")
        if "low" in x and "high" in x and not x["low"] < x["high"]:
            raise ValueError(f"low {self.low!r} must be below high {self.high!r}")
        if kind == "normal" and x["sd"] <= 0:
            raise ValueError(f"sd {self.sd!r} must be > 0")
        if kind == "lognormal" and x.get("median", 1.0) <= 0:
            raise ValueError(f"median {self.median!r} must be > 0")
        return self

    def unit(self) -> str:
        """The unit of the values ('' for plain numbers)."""
        for key in ("low", "mean", "median", "high"):
            value = getattr(self, key)
            if value is not None:
                return split_value(value)[1]
        return ""

    def sample(self, rng: np.random.Generator, n: int) -> list[Any]:
        """``n`` values (numbers, or text with the unit)."""
        kind = self.distribution
        if kind == "choice":
            return [self.values[i] for i in rng.integers(0, len(self.values), size=n)]
        num = {k: split_value(getattr(self, k))[0] for k in ("low", "high", "mean", "sd",
                                                              "median")
               if getattr(self, k) is not None}
        if kind == "uniform":
            x = rng.uniform(num["low"], num["high"], size=n)
        else:
            lo, hi = num.get("low", -math.inf), num.get("high", math.inf)
            if kind == "normal":
                draw = lambda m: rng.normal(num["mean"], num["sd"], size=m)  # noqa: E731
            else:
                omega = math.sqrt(math.log(1.0 + self.cv**2))
                draw = lambda m: num.get("median", 1.0) * np.exp(  # noqa: E731
                    omega * rng.standard_normal(m))
            x = draw(n)
            for _ in range(1000):  # truncation by redrawing what falls outside
                bad = (x < lo) | (x > hi)
                if not bad.any():
                    break
                x[bad] = draw(int(bad.sum()))
            else:
                raise ValueError(f"distribution {kind!r}: [low, high] holds almost none of it")
        unit = self.unit()
        return [f"{v:.6g} {unit}" if unit else float(f"{v:.6g}") for v in x]


class SeverityKey(_Strict):
    """A config value set by severity: its control and its stressed value."""

    control: Value
    stressed: Value

    @model_validator(mode="after")
    def _check(self) -> SeverityKey:
        (_, a), (_, b) = split_value(self.control), split_value(self.stressed)
        if a != b:
            raise ValueError(f"control {self.control!r} and stressed {self.stressed!r} must "
                             "use the same unit")
        return self


class Severity(_Strict):
    """Depth of the stress: one factor per patient on the change of each key's value."""

    distribution: Distribution
    keys: dict[str, SeverityKey] = Field(min_length=1)


class CohortSpec(_Strict):
    """The ``cohort`` section of a config."""

    patients: int = Field(ge=1, le=1_000_000)
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    parameters: dict[str, Distribution] = Field(default_factory=dict)
    severity: Severity | None = None

    @model_validator(mode="after")
    def _check(self) -> CohortSpec:
        keys = set(self.parameters)
        if "seed" in keys:
            raise ValueError("parameters: 'seed' is drawn for every patient; do not list it")
        if self.severity is not None:
            both = keys & set(self.severity.keys)
            if both:
                raise ValueError(f"severity.keys and parameters both set {sorted(both)}")
            if self.severity.distribution.distribution == "choice" and not all(
                    isinstance(v, int | float) for v in self.severity.distribution.values):
                raise ValueError("severity.distribution: choice values must be numbers")
        return self


def parse_cohort(raw: Any, source: str | None = None) -> CohortSpec:
    """Validate the ``cohort`` section; errors name the key and the rule."""
    from plasticity.config import format_errors

    if not isinstance(raw, dict):
        raise ConfigError([f"cohort: expected a mapping, got {type(raw).__name__}"], source)
    try:
        return CohortSpec.model_validate(raw)
    except ValidationError as err:
        raise ConfigError([f"cohort.{line}" for line in format_errors(err)], source) from None


def _stream(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def sample_patients(spec: CohortSpec, base_seed: int) -> list[dict[str, Any]]:
    """Each patient's config values (dotted keys) and ``seed``, in patient order.

    Parameters
    ----------
    spec : CohortSpec
        The parsed ``cohort`` section.
    base_seed : int
        The config's seed, used when the cohort gives none.

    Returns
    -------
    list of dict
        One mapping per patient: ``seed``, every sampled key, and the severity
        keys (with ``cohort.severity`` itself kept under ``"severity"`` only
        in :func:`patient_table`).
    """
    return [{k: v for k, v in row.items() if k != "severity"}
            for row in patient_table(spec, base_seed)]


def patient_table(spec: CohortSpec, base_seed: int) -> list[dict[str, Any]]:
    """Like :func:`sample_patients`, plus each patient's ``severity`` factor."""
    seed = base_seed if spec.seed is None else spec.seed
    n = spec.patients
    seeds = [int(np.random.SeedSequence([seed, 0x5EED, i]).generate_state(1)[0]) & 0x7FFFFFFF
             for i in range(n)]
    rows: list[dict[str, Any]] = [{"seed": s} for s in seeds]
    for name, dist in spec.parameters.items():
        for row, value in zip(rows, dist.sample(_stream(seed, name), n), strict=True):
            row[name] = value
    if spec.severity is not None:
        factors = spec.severity.distribution.sample(_stream(seed, "cohort.severity"), n)
        for row, factor in zip(rows, factors, strict=True):
            lam = float(split_value(factor)[0])
            row["severity"] = lam
            for key, ends in spec.severity.keys.items():
                (c, unit), (s, _) = split_value(ends.control), split_value(ends.stressed)
                value = c + lam * (s - c)
                row[key] = f"{value:.6g} {unit}" if unit else float(f"{value:.6g}")
    return rows

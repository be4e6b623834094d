"""Unit-typed config fields and the base class of every config section.

Quantities are written with their units as text (``"5 ms"``, ``"0.5 nS"``,
``"1 uM"``) and parsed into Brian2 quantities (:mod:`plasticity.units`);
each type below names a dimension and a sign rule, so a wrong value is
reported as one line naming the key, the value and the rule. Clinical times
are written back in the unit a clinic would use (s, min, h or day).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from plasticity.units import UnitParseError, format_quantity, parse_quantity

__all__ = [
    "Capacitance", "ClinicalTime", "ClinicalTimeNonNeg", "ClinicalTimePos", "Concentration",
    "ChargePos", "ConcentrationPos", "Conductance", "ConductancePos", "Current", "CurrentPos",
    "Dose", "InverseVoltagePos", "Mass",
    "Probability", "Rate", "RateNonNegAny", "RatePerConcentration", "RatePos", "Section",
    "Time", "TimeNonNeg", "Voltage", "VoltageNonNeg", "VolumePerMass", "ClearancePerMass",
    "deep_merge",
    "format_clinical_time",
]


def format_clinical_time(quantity: Any, *, digits: int | None = None) -> str:
    """Clinical times in the unit a clinic would use.

    Parameters
    ----------
    quantity : Quantity or float
        Clinical time (s).
    digits : int, optional
        None (default): exact, in the largest of s, min, h or day that holds a
        whole number of units (up to 6 decimals). An int: rounded to that many
        significant digits, in minutes below 2 h and in hours beyond.

    Returns
    -------
    str
        E.g. ``'40 min'``, ``'2 day'``, ``'4.105 h'``.
    """
    seconds = float(quantity)
    if digits is not None:
        minutes = seconds / 60.0
        if abs(minutes) < 120.0:
            return f"{minutes:.{digits}g} min"
        return f"{minutes / 60.0:.{digits}g} h"
    for unit, size in (("day", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if abs(seconds) >= size and math.isclose(seconds / size, round(seconds / size, 6)):
            return f"{seconds / size:.12g} {unit}"
    return f"{seconds:.12g} s"


def _quantity_type(dimension: str, *, positive: bool = False, nonnegative: bool = False,
                   formatter: Any = format_quantity):
    def parse(value: Any):
        try:
            q = parse_quantity(value, dimension)
        except UnitParseError as err:
            raise ValueError(str(err)) from None
        if positive and not float(q) > 0:
            raise ValueError(f"expected a positive {dimension}")
        if nonnegative and float(q) < 0:
            raise ValueError(f"expected a {dimension} >= 0")
        return q

    return Annotated[
        Any,
        BeforeValidator(parse),
        PlainSerializer(formatter, return_type=str),
    ]


Time = _quantity_type("time", positive=True)
TimeNonNeg = _quantity_type("time", nonnegative=True)
Voltage = _quantity_type("voltage")
VoltageNonNeg = _quantity_type("voltage", nonnegative=True)


def _format_per_mV(quantity: Any) -> str:
    """An inverse voltage as ``"0.062 /mV"`` (the way Mg2+ block slopes are written)."""
    return f"{float(quantity) * 1e-3:.12g} /mV"


InverseVoltagePos = _quantity_type("inverse_voltage", positive=True, formatter=_format_per_mV)
Conductance = _quantity_type("conductance", nonnegative=True)
ConductancePos = _quantity_type("conductance", positive=True)
Capacitance = _quantity_type("capacitance", positive=True)
Rate = _quantity_type("frequency", nonnegative=True)
RatePos = _quantity_type("frequency", positive=True)
Concentration = _quantity_type("concentration", nonnegative=True)
ConcentrationPos = _quantity_type("concentration", positive=True)
RatePerConcentration = _quantity_type("rate_per_concentration", positive=True)
Current = _quantity_type("current")
ChargePos = _quantity_type("charge", positive=True)
CurrentPos = _quantity_type("current", positive=True)
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
ClinicalTime = _quantity_type("time", formatter=format_clinical_time)
ClinicalTimePos = _quantity_type("time", positive=True, formatter=format_clinical_time)
ClinicalTimeNonNeg = _quantity_type("time", nonnegative=True, formatter=format_clinical_time)
Mass = _quantity_type("mass", positive=True)
VolumePerMass = _quantity_type("volume_per_mass", positive=True)
ClearancePerMass = _quantity_type("clearance_per_mass", positive=True)
RateNonNegAny = _quantity_type("frequency", nonnegative=True)


def _parse_dose(value: Any) -> float:
    """A dose per body weight such as ``"0.5 mg/kg"``, returned in mg/kg."""
    example = "expected a dose per body weight such as '0.5 mg/kg'"
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"missing unit: {example}")
    if "/" not in value or not any(m in value for m in ("g", "kg")):
        raise ValueError(f"missing unit: {example}")
    try:
        q = parse_quantity(value, "dimensionless")
    except UnitParseError as err:
        raise ValueError(f"{err}; {example}") from None
    mg_per_kg = float(q) * 1e6
    if mg_per_kg < 0:
        raise ValueError("expected a dose >= 0")
    return mg_per_kg


Dose = Annotated[
    Any,
    BeforeValidator(_parse_dose),
    PlainSerializer(lambda v: f"{v:.12g} mg/kg", return_type=str),
]


def deep_merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``update``, nested mappings merged key by key (neither is modified)."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


class Section(BaseModel):
    """A config section: unknown keys are errors, values validated on assignment too."""

    model_config = ConfigDict(extra="forbid", validate_default=True, validate_assignment=True)

    @model_validator(mode="before")
    @classmethod
    def _merge_into_defaults(cls, data: Any) -> Any:
        """Let a partial section keep the other values of its default.

        A field whose default is a configured instance (e.g. the E->E pathway,
        which targets the dendrite) must keep that instance's values for the
        keys a user does not write, not fall back to the class defaults.
        """
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        for name, field_info in cls.model_fields.items():
            default = field_info.default
            if isinstance(default, BaseModel) and isinstance(data.get(name), Mapping):
                data[name] = deep_merge(default.model_dump(mode="json"), data[name])
        return data

"""Quantities with units in configuration files.

Config values that carry a physical dimension are written as strings such as
``"5 ms"``, ``"0.5 nS"``, ``"1 uM"`` or ``"0.5 /ms"``. This module parses them
into Brian2 quantities, checks their dimension, and formats them back to text
for the resolved config stored with every result.

Only numbers, unit names and the operators ``*``, ``/`` and ``**`` are
accepted: a config file can never execute code.
"""

from __future__ import annotations

import ast
import math
from typing import Any

import brian2
from brian2.units.fundamentalunits import Quantity, Unit, get_dimensions, get_unit

__all__ = [
    "DIMENSIONS",
    "UnitParseError",
    "format_quantity",
    "parse_quantity",
]


class UnitParseError(ValueError):
    """A value could not be read as a quantity of the expected dimension."""


def _unit_namespace() -> dict[str, Quantity]:
    names: dict[str, Quantity] = {}
    for name in dir(brian2.units.allunits):
        obj = getattr(brian2.units.allunits, name)
        if isinstance(obj, Quantity) and not name.startswith("_"):
            names[name] = obj
            if isinstance(obj, Unit):
                names.setdefault(str(obj), obj)
    for name in dir(brian2):
        obj = getattr(brian2, name)
        if isinstance(obj, Quantity) and not name.startswith("_"):
            names[name] = obj
    names["nM"] = brian2.units.allunits.nmolar
    names["M"] = brian2.units.allunits.molar
    names["s"] = brian2.second
    names["h"] = 3600 * brian2.second
    names["min"] = 60 * brian2.second
    names["day"] = 86400 * brian2.second
    names["kg"] = brian2.units.allunits.kilogram
    names["mg"] = brian2.units.allunits.mgram
    names["ug"] = brian2.units.allunits.ugram
    names["g"] = brian2.units.allunits.gram
    names["L"] = brian2.units.allunits.liter
    names["mL"] = brian2.units.allunits.mliter
    return names


_UNITS = _unit_namespace()

#: Named dimensions used by the config schema, with an example for error messages.
DIMENSIONS: dict[str, tuple[Any, str]] = {
    "time": (brian2.second.dim, "5 ms"),
    "voltage": (brian2.volt.dim, "-70 mV"),
    "inverse_voltage": ((1 / brian2.volt).dim, "0.062 /mV"),
    "conductance": (brian2.siemens.dim, "0.5 nS"),
    "capacitance": (brian2.farad.dim, "200 pF"),
    "current": (brian2.amp.dim, "100 pA"),
    "charge": (brian2.coulomb.dim, "2 pC"),
    "frequency": (brian2.hertz.dim, "2 kHz"),
    "concentration": (brian2.molar.dim, "1 uM"),
    "rate_per_concentration": ((brian2.hertz / brian2.molar).dim, "0.144 /uM/ms"),
    "mass": (brian2.kilogram.dim, "70 kg"),
    "volume_per_mass": ((brian2.units.allunits.liter / brian2.kilogram).dim, "0.063 L/kg"),
    "clearance_per_mass": (
        (brian2.units.allunits.liter / brian2.second / brian2.kilogram).dim, "0.0714 L/h/kg"),
    "dimensionless": (get_dimensions(1), "0.5"),
}


def _evaluate(node: ast.AST, text: str) -> Any:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, text)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in _UNITS:
            raise UnitParseError(f"unknown unit '{node.id}'")
        return _UNITS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand, text)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div | ast.Pow):
        left = _evaluate(node.left, text)
        right = _evaluate(node.right, text)
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right
        if not isinstance(right, int | float):
            raise UnitParseError("an exponent must be a plain number")
        return left**right
    raise UnitParseError("not a number followed by a unit")


def _to_expression(text: str) -> str:
    """Turn ``"0.5 nS"`` / ``"0.5 /ms"`` / ``"2 kHz"`` into ``"0.5*nS"`` etc."""
    text = text.strip()
    # Split a leading number from the unit part.
    i = 0
    while i < len(text) and (text[i].isdigit() or text[i] in "+-.eE"):
        # do not eat the 'e' of a unit name such as 'ms' ... only inside numbers
        if text[i] in "eE" and (i == 0 or not text[i - 1].isdigit()):
            break
        i += 1
    number, unit = text[:i].strip(), text[i:].strip()
    if not number:
        return text
    if not unit:
        return number
    if unit.startswith("/"):
        return f"{number}{unit}"
    return f"{number}*({unit})"


def parse_quantity(value: Any, dimension: str) -> Quantity:
    """Parse a config value into a Brian2 quantity of the given dimension.

    Parameters
    ----------
    value : str or number or Quantity
        Text such as ``"5 ms"``. A bare number is only accepted for the
        ``"dimensionless"`` dimension.
    dimension : str
        A key of :data:`DIMENSIONS`.

    Returns
    -------
    Quantity
        The parsed value.

    Raises
    ------
    UnitParseError
        If the text is not a number with a known unit, or the unit has the
        wrong dimension.
    """
    expected, example = DIMENSIONS[dimension]
    if isinstance(value, Quantity):
        quantity = value
    elif isinstance(value, bool):
        raise UnitParseError(f"expected a {dimension} such as '{example}', got a boolean")
    elif isinstance(value, int | float):
        if dimension != "dimensionless":
            raise UnitParseError(f"missing unit: expected a {dimension} such as '{example}'")
        quantity = Quantity(float(value))
    elif isinstance(value, str):
        try:
            tree = ast.parse(_to_expression(value), mode="eval")
        except SyntaxError:
            raise UnitParseError(
                f"not a number followed by a unit (e.g. '{example}')"
            ) from None
        result = _evaluate(tree, value)
        if isinstance(result, int | float):
            if dimension != "dimensionless":
                raise UnitParseError(
                    f"missing unit: expected a {dimension} such as '{example}'"
                )
            result = Quantity(float(result))
        quantity = result
    else:
        raise UnitParseError(
            f"expected a {dimension} such as '{example}', got {type(value).__name__}"
        )
    if get_dimensions(quantity) is not expected:
        raise UnitParseError(
            f"wrong unit: expected a {dimension} such as '{example}', "
            f"got a quantity in {get_unit(get_dimensions(quantity))}"
        )
    if not math.isfinite(float(quantity)):
        raise UnitParseError(f"expected a finite {dimension}")
    return quantity


def format_quantity(quantity: Quantity) -> str:
    """Format a quantity as config text that :func:`parse_quantity` reads back.

    Uses Brian2's choice of the best unit, e.g. ``5*ms -> "5 ms"``.
    """
    if get_dimensions(quantity).is_dimensionless:
        return repr(float(quantity))
    unit = quantity.get_best_unit()
    number = float(quantity / unit)
    text = f"{number:.12g}"
    return f"{text} {unit}"

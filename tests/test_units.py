"""Tests for plasticity.units: parsing and formatting quantities in config text."""

from __future__ import annotations

import brian2
import numpy as np
import pytest
from brian2.units.fundamentalunits import get_dimensions

from plasticity.units import DIMENSIONS, UnitParseError, format_quantity, parse_quantity

# (text, dimension, value in SI units)
VALID = [
    ("5 ms", "time", 5e-3),
    ("0.5 nS", "conductance", 0.5e-9),
    ("1 uM", "concentration", 1e-3),  # 1 umol/L = 1e-3 mol/m^3
    ("3.57 mM", "concentration", 3.57),  # Jahr & Stevens Mg2+ constant
    ("2 kHz", "frequency", 2000.0),
    ("0.5 /ms", "frequency", 500.0),  # NMDA alpha of Wang (2002)
    ("-70 mV", "voltage", -70e-3),
    ("1e-3 s", "time", 1e-3),
    ("200 pF", "capacitance", 200e-12),
    ("100 pA", "current", 100e-12),
    ("7 nM", "concentration", 7e-6),
    ("1.5e2 ms", "time", 0.15),
    ("+3 Hz", "frequency", 3.0),
]


@pytest.mark.parametrize(("text", "dimension", "si"), VALID)
def test_parse_quantity(text, dimension, si):
    q = parse_quantity(text, dimension)
    assert get_dimensions(q) is DIMENSIONS[dimension][0]
    assert np.isclose(float(q), si, rtol=1e-12, atol=0)


def test_per_ms_equals_500_hz():
    assert np.isclose(
        float(parse_quantity("0.5 /ms", "frequency")), float(500 * brian2.Hz), rtol=1e-12
    )


def test_parse_accepts_quantity_objects():
    q = parse_quantity(5 * brian2.ms, "time")
    assert np.isclose(float(q), 5e-3)
    with pytest.raises(UnitParseError, match="time"):
        parse_quantity(5 * brian2.mV, "time")


@pytest.mark.parametrize(("text", "dimension", "si"), VALID)
def test_format_then_parse_round_trip(text, dimension, si):
    q = parse_quantity(text, dimension)
    formatted = format_quantity(q)
    assert isinstance(formatted, str)
    back = parse_quantity(formatted, dimension)
    assert get_dimensions(back) is get_dimensions(q)
    assert np.isclose(float(back), float(q), rtol=1e-10, atol=0)


@pytest.mark.parametrize(
    ("quantity", "dimension"),
    [
        (1e-20 * brian2.second, "time"),
        (123456.789 * brian2.second, "time"),
        (brian2.ms / 3, "time"),
        (0.1 * brian2.nS, "conductance"),
        (1.5 * brian2.molar, "concentration"),
        (-1e5 * brian2.volt, "voltage"),
        (0.25 * brian2.pA, "current"),
        (0.0 * brian2.nS, "conductance"),
    ],
)
def test_round_trip_odd_magnitudes(quantity, dimension):
    back = parse_quantity(format_quantity(quantity), dimension)
    assert np.isclose(float(back), float(quantity), rtol=1e-10, atol=0)


def test_format_uses_readable_units():
    assert format_quantity(5 * brian2.ms) == "5 ms"
    assert format_quantity(-70 * brian2.mV) == "-70 mV"
    assert format_quantity(0.5 * brian2.nS) == "0.5 nS"
    assert format_quantity(1 * brian2.umolar) == "1 uM"


def test_dimensionless_round_trip():
    assert format_quantity(brian2.Quantity(0.25)) == "0.25"
    assert float(parse_quantity(format_quantity(brian2.Quantity(0.25)), "dimensionless")) == 0.25


@pytest.mark.parametrize("value", [0.5, 2, "0.5", "1e-3"])
def test_bare_number_accepted_for_dimensionless(value):
    q = parse_quantity(value, "dimensionless")
    assert get_dimensions(q).is_dimensionless
    assert float(q) == float(value)


@pytest.mark.parametrize("value", [5, 5.0, "5", "  5  "])
def test_bare_number_for_time_is_missing_unit(value):
    with pytest.raises(UnitParseError, match="missing unit"):
        parse_quantity(value, "time")


def test_wrong_dimension_mentions_expected_dimension():
    with pytest.raises(UnitParseError, match="time") as info:
        parse_quantity("5 mV", "time")
    assert "wrong unit" in str(info.value)
    assert "quantity in V" in str(info.value)  # the value itself is quoted by the config layer


def test_unknown_unit_is_quoted():
    with pytest.raises(UnitParseError, match="'furlongs'"):
        parse_quantity("5 furlongs", "time")


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "import os",
        "5 ms; import os",
        "(lambda: 1)()",
        "ms.__class__",
        "[5] ms",
        "'5' ms",
        "5 ms if 1 else 2",
    ],
)
def test_code_is_never_executed(text, monkeypatch):
    called = []
    monkeypatch.setattr("os.system", lambda *a: called.append(a) or 0)
    with pytest.raises(UnitParseError):
        parse_quantity(text, "time")
    assert called == []


@pytest.mark.parametrize("text", ["nan ms", "inf ms", "1e999 ms", "-1e999 mV"])
def test_non_finite_values_are_rejected(text):
    dimension = "voltage" if text.endswith("mV") else "time"
    with pytest.raises(UnitParseError):
        parse_quantity(text, dimension)


def test_non_finite_dimensionless_rejected():
    with pytest.raises(UnitParseError, match="finite"):
        parse_quantity(float("nan"), "dimensionless")


def test_exponent_must_be_a_number():
    assert np.isclose(float(parse_quantity("2 ms**2/ms", "time")), 2e-3)
    with pytest.raises(UnitParseError, match="exponent"):
        parse_quantity("5 ms ** ms", "time")


@pytest.mark.parametrize("value", [True, None, [5], {"a": 1}])
def test_non_text_values_rejected(value):
    with pytest.raises(UnitParseError):
        parse_quantity(value, "time")


def test_unit_parse_error_is_value_error():
    assert issubclass(UnitParseError, ValueError)

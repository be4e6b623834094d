"""Tests for plasticity.pharmacology.block: Mg2+ block, ketamine block, hypotheses.

Numbers are checked against the published formulas and values cited in the
module docstring (Jahr & Stevens 1990; Kotermanski & Johnson 2009; Woodhull
1973) and against reference T9 of docs' science reference (science.md).
"""

from __future__ import annotations

import math

import brian2
import numpy as np
import pytest

from plasticity.pharmacology.block import (
    FARADAY,
    GAS_CONSTANT,
    HYPOTHESES,
    ketamine_block,
    mg_block,
    thermal_voltage,
)
from plasticity.units import parse_quantity

PATHWAYS = ("exc_to_exc", "exc_to_pv", "exc_to_sst")


def _ic50_uM(entry: dict) -> float:
    """IC50 of a HYPOTHESES entry in uM (the presets store text such as '5.2 uM')."""
    return float(parse_quantity(entry["ic50"], "concentration") / brian2.umolar)


# --------------------------------------------------------------------------- #
# Mg2+ block, Jahr & Stevens (1990): B(V) = 1 / (1 + [Mg]/3.57 mM * exp(-0.062 V/mV))
# --------------------------------------------------------------------------- #
@pytest.mark.science
def test_mg_block_at_0_mV_1_mM():
    # Jahr & Stevens (1990): at V = 0 the exponential is 1, so
    # B = 1 / (1 + 1/3.57) = 0.781182.
    assert mg_block(0.0, 1.0) == pytest.approx(0.78118, rel=1e-4)
    assert mg_block(0.0, 1.0) == pytest.approx(1 / (1 + 1 / 3.57), rel=1e-12)


@pytest.mark.science
def test_mg_block_at_minus_70_mV_1_mM():
    # Computed from the Jahr & Stevens (1990) formula (not a measured value):
    # 1 / (1 + (1/3.57) * exp(0.062 * 70)) = 0.044471.
    assert mg_block(-70.0, 1.0) == pytest.approx(0.04447, rel=1e-4)
    assert mg_block(-70.0) == pytest.approx(1 / (1 + math.exp(0.062 * 70) / 3.57), rel=1e-12)


def test_mg_block_is_monotonic_increasing_in_voltage():
    v = np.linspace(-120.0, 60.0, 361)
    b = mg_block(v, 1.0)
    assert b.shape == v.shape
    assert np.all(np.diff(b) > 0)
    assert np.all((b > 0) & (b < 1))


def test_mg_block_without_mg_is_one():
    v = np.linspace(-120.0, 60.0, 37)
    np.testing.assert_allclose(mg_block(v, 0.0), 1.0, rtol=0, atol=0)


def test_mg_block_more_mg_blocks_more():
    assert mg_block(-60.0, 2.0) < mg_block(-60.0, 1.0) < mg_block(-60.0, 0.5)


def test_mg_block_expression_matches_function():
    # The Mg2+ block term the default network actually runs (taken from the
    # population equations the model builds, not from the constant) is evaluated
    # by Brian2 and compared with the Jahr & Stevens (1990, J Neurosci 10:3178)
    # closed form written out here: B(V) = 1 / (1 + [Mg]/3.57 mM * exp(-0.062 V/mV)).
    from brian2.codegen.runtime.numpy_rt import NumpyCodeObject
    from brian2.devices.device import reset_device
    from brian2.utils.logger import catch_logs

    from plasticity import load_config
    from plasticity.model.equations import neuron_equations
    from plasticity.model.network import population_specs

    block_lines = {}
    for pop, spec in population_specs(load_config(None)).items():
        equations, _ = neuron_equations(spec)
        for line in equations.splitlines():
            name = line.split("=")[0].strip()
            if name in ("mg_s", "mg_d"):
                block_lines[(pop, name)] = line
    # The default network has Mg2+ block on the exc dendrite and the PV/SST somata.
    assert set(block_lines) == {("exc", "mg_d"), ("pv", "mg_s"), ("sst", "mg_s")}

    v_mV = np.array([-90.0, -70.0, -50.0, -30.0, 0.0, 20.0, 40.0])
    brian2.set_device("runtime")
    # catch_logs: the probe groups are never run, which Brian2 would warn about.
    try:
        with catch_logs():
            for (pop, name), line in block_lines.items():
                for mg_mM in (0.0, 1.0, 1.2, 2.0):
                    group = brian2.NeuronGroup(
                        len(v_mV),
                        "\n".join(["v : volt", "v_d : volt", "Mg : mmolar (shared, constant)",
                                   line]),
                        codeobj_class=NumpyCodeObject,
                        namespace={},
                    )
                    group.v = v_mV * brian2.mV
                    group.v_d = v_mV * brian2.mV
                    group.Mg = mg_mM * brian2.mM
                    got = np.asarray(getattr(group, name)[:], dtype=float)
                    expected = 1.0 / (1.0 + mg_mM / 3.57 * np.exp(-0.062 * v_mV))
                    np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=f"{pop}.{name}")
                    del group
    finally:
        reset_device()
    # Spot value of the closed form: 1 mM at -70 mV, 1/(1 + exp(4.34)/3.57) = 0.044471.
    assert 1.0 / (1.0 + np.exp(0.062 * 70.0) / 3.57) == pytest.approx(0.04447, rel=1e-4)


# --------------------------------------------------------------------------- #
# Ketamine: Hill block (delta = 0)
# --------------------------------------------------------------------------- #
@pytest.mark.science
def test_hill_block_reference_t9():
    # science.md, reference T9: IC50 0.5 uM, n = 1, C = 1 uM blocks 67 %:
    # b = 1 / (1 + 0.5) = 2/3 exactly.
    assert ketamine_block(1.0, 0.5, hill=1.0) == pytest.approx(2 / 3, abs=1e-12)


@pytest.mark.science
@pytest.mark.parametrize(
    ("ic50_uM", "expected"),
    [
        # Kotermanski & Johnson (2009, J Neurosci 29:2774), IC50s in 1 mM Mg2+,
        # b(1 uM) = 1 / (1 + IC50): GluN2C 1.18 uM -> 0.459, GluN2D 2.95 uM ->
        # 0.253, GluN2A/B ~5.2 uM -> 0.161 (science.md T9: 46 %, 25 %, 16 %).
        (1.18, 0.459),
        (2.95, 0.253),
        (5.2, 0.161),
    ],
)
def test_hill_block_kotermanski_johnson_ic50s(ic50_uM, expected):
    assert ketamine_block(1.0, ic50_uM) == pytest.approx(expected, abs=0.002)


@pytest.mark.science
def test_default_hypothesis_blocks_interneurons_more_than_pyramidal():
    # science.md T9: with Mg-present subunit IC50s the E->I block must exceed
    # the E->E block at 1 uM.
    preset = HYPOTHESES["glun2cd_interneurons"]
    block = {name: ketamine_block(1.0, _ic50_uM(preset[name])) for name in PATHWAYS}
    assert block["exc_to_exc"] == pytest.approx(0.161, abs=0.002)
    assert block["exc_to_pv"] == pytest.approx(0.253, abs=0.002)
    assert block["exc_to_sst"] == pytest.approx(0.459, abs=0.002)
    assert block["exc_to_pv"] > block["exc_to_exc"]
    assert block["exc_to_sst"] > block["exc_to_exc"]


def test_hill_block_limits_and_shape():
    c = np.array([0.0, 0.1, 1.0, 10.0, 1000.0])
    b = ketamine_block(c, 1.0)
    assert b[0] == 0.0
    assert np.all(np.diff(b) > 0)
    assert b[-1] == pytest.approx(1.0, abs=1e-3)
    # At C = IC50 half the receptors are blocked, whatever the Hill coefficient.
    for n in (0.5, 1.0, 2.0):
        assert ketamine_block(3.0, 3.0, hill=n) == pytest.approx(0.5, abs=1e-12)
    # Hill coefficient 2 at C = 2 IC50: 4 / (4 + 1) = 0.8.
    assert ketamine_block(2.0, 1.0, hill=2.0) == pytest.approx(0.8, abs=1e-12)


# --------------------------------------------------------------------------- #
# Ketamine: Woodhull voltage-dependent block (delta > 0)
# --------------------------------------------------------------------------- #
@pytest.mark.science
def test_thermal_voltage_at_35_C():
    # R T / F = 8.314462618 * 308.15 / 96485.33212 = 0.0265543 V (CODATA constants).
    assert thermal_voltage(35.0) == pytest.approx(0.026554, rel=1e-4)
    assert thermal_voltage(35.0) == pytest.approx(GAS_CONSTANT * 308.15 / FARADAY, rel=1e-12)


def test_woodhull_equals_hill_at_reference_voltage():
    for v_ref in (-66.0, -40.0):
        hill = ketamine_block(1.0, 2.95)
        woodhull = ketamine_block(1.0, 2.95, v_mV=v_ref, delta=0.8, v_ref_mV=v_ref)
        assert woodhull == pytest.approx(hill, rel=1e-12)


def test_woodhull_depolarisation_reduces_block():
    b = {v: ketamine_block(1.0, 5.2, v_mV=v, delta=0.8) for v in (-90.0, -66.0, -30.0)}
    assert b[-30.0] < b[-66.0] < b[-90.0]
    v = np.linspace(-100.0, 40.0, 141)
    assert np.all(np.diff(ketamine_block(1.0, 5.2, v_mV=v, delta=0.8)) < 0)


@pytest.mark.parametrize("delta", [0.3, 0.8, 1.0])
def test_woodhull_k_changes_e_fold_per_vt_over_delta(delta):
    # Woodhull (1973): K(V) = IC50 exp(delta (V - V_ref) / V_T), and for n = 1
    # (1 - b) / b = K(V) / C, so a step of V_T / delta multiplies it by e.
    v_ref = -66.0
    step_mV = thermal_voltage(35.0) * 1e3 / delta
    b0 = ketamine_block(1.0, 5.2, v_mV=v_ref, delta=delta, v_ref_mV=v_ref)
    b1 = ketamine_block(1.0, 5.2, v_mV=v_ref + step_mV, delta=delta, v_ref_mV=v_ref)
    ratio = ((1 - b1) / b1) / ((1 - b0) / b0)
    assert ratio == pytest.approx(math.e, rel=1e-9)


def test_woodhull_uses_temperature():
    # A warmer bath has a larger V_T, so the same depolarisation unblocks less.
    warm = ketamine_block(1.0, 5.2, v_mV=-20.0, delta=0.8, temperature_C=37.0)
    cold = ketamine_block(1.0, 5.2, v_mV=-20.0, delta=0.8, temperature_C=22.0)
    assert warm > cold


# --------------------------------------------------------------------------- #
# Input checks
# --------------------------------------------------------------------------- #
def test_ketamine_block_rejects_negative_concentration():
    with pytest.raises(ValueError, match="conc_uM"):
        ketamine_block(-0.1, 1.0)
    with pytest.raises(ValueError, match="conc_uM"):
        ketamine_block(np.array([1.0, -1.0]), 1.0)


@pytest.mark.parametrize("ic50", [0.0, -1.0])
def test_ketamine_block_rejects_non_positive_ic50(ic50):
    with pytest.raises(ValueError, match="ic50_uM"):
        ketamine_block(1.0, ic50)


def test_ketamine_block_woodhull_needs_voltage():
    with pytest.raises(ValueError, match="v_mV"):
        ketamine_block(1.0, 1.0, delta=0.8)


# --------------------------------------------------------------------------- #
# Hypotheses
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name", sorted(HYPOTHESES))
def test_every_hypothesis_names_all_excitatory_pathways(name):
    preset = HYPOTHESES[name]
    assert set(preset) == set(PATHWAYS)
    for pathway in PATHWAYS:
        assert _ic50_uM(preset[pathway]) > 0
        assert preset[pathway]["hill"] > 0


@pytest.mark.science
def test_glun2cd_interneurons_ic50s():
    # Kotermanski & Johnson (2009): GluN2A/B ~5.2, GluN2D 2.95, GluN2C 1.18 uM.
    preset = HYPOTHESES["glun2cd_interneurons"]
    exc, pv, sst = (_ic50_uM(preset[p]) for p in PATHWAYS)
    assert exc == pytest.approx(5.2)
    assert pv == pytest.approx(2.95)
    assert sst == pytest.approx(1.18)
    assert pv < exc and sst < exc
    assert all(preset[p].get("blocked", True) for p in PATHWAYS)


def test_equal_affinity_has_equal_ic50s():
    preset = HYPOTHESES["equal_affinity"]
    ic50s = {_ic50_uM(preset[p]) for p in PATHWAYS}
    assert len(ic50s) == 1
    # The null hypothesis of Susin & Destexhe (2023): GluN2A/B 5.2 uM everywhere.
    assert ic50s.pop() == pytest.approx(5.2)
    assert all(preset[p].get("blocked", True) for p in PATHWAYS)


def test_exc_only_blocks_only_exc_to_exc():
    preset = HYPOTHESES["exc_only"]
    assert preset["exc_to_exc"].get("blocked", True) is True
    assert preset["exc_to_pv"]["blocked"] is False
    assert preset["exc_to_sst"]["blocked"] is False


def test_interneurons_only_blocks_only_interneuron_pathways():
    preset = HYPOTHESES["interneurons_only"]
    assert preset["exc_to_exc"]["blocked"] is False
    assert preset["exc_to_pv"].get("blocked", True) is True
    assert preset["exc_to_sst"].get("blocked", True) is True


def test_blocked_flags_do_not_leak_between_presets():
    # exc_only / interneurons_only copy the shared subunit entries before adding
    # ``blocked: False``; the other presets must keep every pathway blocked.
    entries = [(h, p) for h in HYPOTHESES for p in PATHWAYS]
    unblocked = {(h, p) for h, p in entries if HYPOTHESES[h][p].get("blocked", True) is False}
    assert unblocked == {
        ("exc_only", "exc_to_pv"),
        ("exc_only", "exc_to_sst"),
        ("interneurons_only", "exc_to_exc"),
    }

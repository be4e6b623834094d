"""Tests for plasticity.pharmacology.block: Mg2+ block, ketamine block, hypotheses.

Numbers are checked against the published formulas and values cited in the
module docstring (Jahr & Stevens 1990; Kotermanski & Johnson 2009; Qian et al.
2005; Woodhull 1973), written out here, and against reference T9 and the
corrections of section 7.1 of the science reference (science.md). The
published block-against-voltage curves themselves could not be read (full
texts out of reach); the voltage tests use the published point values and
directions.
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
    SUBUNITS,
    ic50_in_mg_uM,
    ketamine_affinity_uM,
    ketamine_block,
    mg_affinity_mM,
    mg_block,
    thermal_voltage,
)
from plasticity.units import parse_quantity

PATHWAYS = ("exc_to_exc", "exc_to_pv", "exc_to_sst")


def _k0_uM(entry: dict) -> float:
    """0-Mg2+ IC50 of a HYPOTHESES entry in uM (the presets store text such as '0.32 uM')."""
    return float(parse_quantity(entry["k0"], "concentration") / brian2.umolar)


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
    # population equations the model builds, with the parameter values the model
    # sets) is evaluated by Brian2 and compared with closed forms written out here:
    # B(V) = 1 / (1 + [Mg]/K_Mg0 * exp(-0.062 V/mV)) with K_Mg0 = 3.57 mM on the
    # pyramidal GluN2A/B receptors (Jahr & Stevens 1990, J Neurosci 10:3178) and,
    # for GluN2D (PV) and GluN2C (SST), K_Mg0 from Kotermanski & Johnson's (2009)
    # IC50s without and with 1 mM Mg2+ at -66 mV: K_Mg(-66) = 1 mM / (IC50_Mg/K0 - 1).
    from brian2.codegen.runtime.numpy_rt import NumpyCodeObject
    from brian2.devices.device import reset_device
    from brian2.utils.logger import catch_logs

    from plasticity import load_config
    from plasticity.model.equations import neuron_equations
    from plasticity.model.network import population_specs

    kmg0 = {"exc": 3.57,
            "pv": 1.0 / (2.95 / 0.83 - 1.0) / np.exp(-0.062 * 66.0),   # GluN2D: 23.4 mM
            "sst": 1.0 / (1.18 / 0.51 - 1.0) / np.exp(-0.062 * 66.0)}  # GluN2C: 45.6 mM
    config = load_config(None)
    receptors = config.pharmacology.resolved_receptors()
    block_lines = {}
    for pop, spec in population_specs(config).items():
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
                receptor = receptors[f"exc_to_{pop}"]
                for mg_mM in (0.0, 1.0, 1.2, 2.0):
                    group = brian2.NeuronGroup(
                        len(v_mV),
                        "\n".join(["v : volt", "v_d : volt", "Mg : mmolar (shared, constant)",
                                   "mg_k0 : mmolar (shared, constant)",
                                   "mg_slope : 1/volt (shared, constant)", line]),
                        codeobj_class=NumpyCodeObject,
                        namespace={},
                    )
                    group.v = v_mV * brian2.mV
                    group.v_d = v_mV * brian2.mV
                    group.Mg = mg_mM * brian2.mM
                    group.mg_k0 = receptor.mg_k0
                    group.mg_slope = receptor.mg_slope
                    got = np.asarray(getattr(group, name)[:], dtype=float)
                    expected = 1.0 / (1.0 + mg_mM / kmg0[pop] * np.exp(-0.062 * v_mV))
                    np.testing.assert_allclose(got, expected, rtol=2e-3, err_msg=f"{pop}.{name}")
                    del group
    finally:
        reset_device()
    # Spot value of the closed form: 1 mM at -70 mV, 1/(1 + exp(4.34)/3.57) = 0.044471.
    assert 1.0 / (1.0 + np.exp(0.062 * 70.0) / 3.57) == pytest.approx(0.04447, rel=1e-4)


# --------------------------------------------------------------------------- #
# Ketamine: Hill curve
# --------------------------------------------------------------------------- #
@pytest.mark.science
def test_hill_block_reference_t9():
    # science.md, reference T9: IC50 0.5 uM, n = 1, C = 1 uM blocks 67 %:
    # b = 1 / (1 + 0.5) = 2/3 exactly.
    assert ketamine_block(1.0, 0.5, hill=1.0) == pytest.approx(2 / 3, abs=1e-12)


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
# Ketamine and Mg2+ competing for the channel
# --------------------------------------------------------------------------- #
# Kotermanski & Johnson (2009, J Neurosci 29:2774), HEK cells, -66 mV, as listed
# in science.md section 4.1 [R]: IC50 without Mg2+ and in 1 mM Mg2+ (uM).
K0_MEASURED = {"GluN2A": 0.33, "GluN2B": 0.31, "GluN2C": 0.51, "GluN2D": 0.83}
IC50_MG_MEASURED = {"GluN2A": 5.35, "GluN2B": 5.08, "GluN2C": 1.18, "GluN2D": 2.95}
VT_35C_MV = 8.314462618 * 308.15 / 96485.33212 * 1e3  # R T / F at 35 C, CODATA constants


def _js_kmg_mM(v_mV, scale=1.0):
    """Jahr & Stevens (1990) K_Mg(V) = 3.57 mM exp(0.062 V/mV), optionally scaled."""
    return scale * 3.57 * np.exp(0.062 * np.asarray(v_mV, dtype=float))


def _closed_form_ic50_mg(k0_uM, v_mV, mg_mM=1.0, delta=0.8, kmg_scale=1.0):
    """IC50_Mg(V) = K0 exp(delta (V + 66)/V_T) (1 + [Mg]/K_Mg(V)), written out."""
    k_ket = k0_uM * np.exp(delta * (np.asarray(v_mV, dtype=float) + 66.0) / VT_35C_MV)
    return k_ket * (1.0 + mg_mM / _js_kmg_mM(v_mV, kmg_scale))


def _subunit(name):
    entry = SUBUNITS[name]
    return (float(parse_quantity(entry["k0"], "concentration") / brian2.umolar),
            float(parse_quantity(entry["mg_k0"], "concentration") / brian2.mmolar))


@pytest.mark.science
@pytest.mark.parametrize("subunit", ["GluN2A", "GluN2B"])
def test_glun2ab_ic50_in_mg_is_predicted_within_10_percent(subunit):
    """For GluN2A/B the Mg2+ block is Jahr & Stevens', independent of the ketamine data:
    the IC50 in 1 mM Mg2+ at -66 mV is then a prediction from the 0-Mg2+ IC50."""
    k0, mg_k0 = _subunit(subunit)
    assert k0 == K0_MEASURED[subunit] and mg_k0 == 3.57
    predicted = ic50_in_mg_uM(k0, -66.0, 1.0, delta=0.8, mg_k0_mM=mg_k0)
    # 1 + 1/(3.57 exp(-0.062*66)) = 17.767; 0.33 * 17.767 = 5.863, 0.31 * 17.767 = 5.508
    assert predicted == pytest.approx(K0_MEASURED[subunit] * 17.767, rel=1e-4)
    assert predicted == pytest.approx(IC50_MG_MEASURED[subunit], rel=0.10)


@pytest.mark.science
@pytest.mark.parametrize("subunit", ["GluN2C", "GluN2D"])
def test_glun2cd_mg_affinity_inferred_from_the_ic50_pair(subunit):
    """GluN2C/D: K_Mg(-66 mV) = 1 mM / (IC50_Mg/K0 - 1) from Kotermanski & Johnson's pair,
    and the result is at least 4-fold weaker Mg2+ block than GluN2A (Qian et al. 2005)."""
    k0, mg_k0 = _subunit(subunit)
    kmg_66 = 1.0 / (IC50_MG_MEASURED[subunit] / K0_MEASURED[subunit] - 1.0)
    assert mg_k0 == pytest.approx(kmg_66 / np.exp(-0.062 * 66.0), rel=0.005)
    assert ic50_in_mg_uM(k0, -66.0, 1.0, delta=0.8, mg_k0_mM=mg_k0) == pytest.approx(
        IC50_MG_MEASURED[subunit], rel=0.005)
    # Qian, Buller & Johnson 2005 (abstract): Mg2+ inhibition of GluN1/2D "at least 4-fold
    # weaker" than of GluN1/2A at all voltages; same slope, so the K_Mg ratio is constant.
    v = np.linspace(-100.0, 0.0, 11)
    ratio = mg_affinity_mM(v, mg_k0) / mg_affinity_mM(v, 3.57)
    assert np.all(ratio >= 4.0)


@pytest.mark.science
def test_block_in_mg_strengthens_with_depolarisation():
    """science.md 7.1: with Mg2+ competing, depolarisation from -66 to -40 mV raises the block
    of 1 uM (about 25 % at -40 mV) where a Woodhull delta on the Mg-present IC50 lowers it
    (about 8 %)."""
    k0, mg_k0 = _subunit("GluN2A/B")
    b66 = ketamine_block(1.0, ic50_in_mg_uM(k0, -66.0, 1.0, delta=0.8, mg_k0_mM=mg_k0))
    b40 = ketamine_block(1.0, ic50_in_mg_uM(k0, -40.0, 1.0, delta=0.8, mg_k0_mM=mg_k0))
    expected40 = 1.0 / (1.0 + _closed_form_ic50_mg(0.32, -40.0))  # 0.32 * 2.1857 * 4.345
    assert b40 == pytest.approx(expected40, rel=1e-9)
    assert b40 == pytest.approx(0.247, abs=0.003)
    assert b66 == pytest.approx(1.0 / (1.0 + 0.32 * 17.767), rel=1e-4)  # 0.150
    # the criticised model: IC50 5.2 uM exp(0.8 (V + 66)/V_T) -> 8 % at -40 mV
    woodhull_on_ic50 = 1.0 / (1.0 + 5.2 * np.exp(0.8 * 26.0 / VT_35C_MV))
    assert woodhull_on_ic50 == pytest.approx(0.082, abs=0.002)
    assert b40 > b66 and b40 > 2.5 * woodhull_on_ic50
    v = np.linspace(-90.0, -30.0, 61)
    b = ketamine_block(1.0, ic50_in_mg_uM(k0, v, 1.0, delta=0.8, mg_k0_mM=mg_k0))
    assert np.all(np.diff(b) > 0)


@pytest.mark.science
def test_block_without_mg_weakens_with_depolarisation():
    """Without Mg2+ the block follows K0 exp(delta (V - V_ref)/V_T): relieved by depolarisation
    (10 uM ketamine block "increased with membrane hyperpolarization", Br J Pharmacol
    abstract, PMC1854359), with IC50 = K0 at -66 mV."""
    k0, mg_k0 = _subunit("GluN2A/B")
    assert ic50_in_mg_uM(k0, -66.0, 0.0, delta=0.8, mg_k0_mM=mg_k0) == pytest.approx(0.32)
    v = np.linspace(-100.0, 20.0, 61)
    b = ketamine_block(1.0, ic50_in_mg_uM(k0, v, 0.0, delta=0.8, mg_k0_mM=mg_k0))
    assert np.all(np.diff(b) < 0)
    # a step of V_T / delta multiplies (1 - b)/b = IC50/C by e (Woodhull 1973)
    step = VT_35C_MV / 0.8
    b0, b1 = (ketamine_block(1.0, ketamine_affinity_uM(k0, x, 0.8)) for x in (-66.0, -66 + step))
    assert ((1 - b1) / b1) / ((1 - b0) / b0) == pytest.approx(math.e, rel=1e-9)


@pytest.mark.science
def test_competitive_conductance_closed_form():
    """B_Mg (1 - b) equals the three-state open channel 1 / (1 + [Mg]/K_Mg + C/K_ket)."""
    v = np.array([-80.0, -66.0, -50.0, -20.0, 10.0])
    for mg, conc in ((1.0, 1.0), (1.2, 0.4), (0.0, 2.0)):
        k_ket = 0.32 * np.exp(0.8 * (v + 66.0) / VT_35C_MV)
        closed = 1.0 / (1.0 + mg / _js_kmg_mM(v) + conc / k_ket)
        ic50 = ic50_in_mg_uM(0.32, v, mg, delta=0.8)
        got = mg_block(v, mg) * (1.0 - ketamine_block(conc, ic50))
        np.testing.assert_allclose(got, closed, rtol=1e-12)


@pytest.mark.science
def test_delta_sensitivity_keeps_the_direction_in_mg():
    """delta (ketamine's voltage dependence) is our choice; for every value from 0 to 0.8 the
    block of 1 uM in 1 mM Mg2+ is stronger at -40 than at -66 mV (science.md 7.1 [D]:
    44.6 % with delta 0, 26 % with 0.8 against 16 % at -66 mV)."""
    for delta, expected40 in ((0.0, 1 / (1 + 0.32 * 4.345)), (0.4, None), (0.8, 0.247)):
        b40 = ketamine_block(1.0, ic50_in_mg_uM(0.32, -40.0, 1.0, delta=delta))
        b66 = ketamine_block(1.0, ic50_in_mg_uM(0.32, -66.0, 1.0, delta=delta))
        assert b40 > b66
        if expected40 is not None:
            assert b40 == pytest.approx(expected40, abs=0.003)


@pytest.mark.science
def test_default_hypothesis_blocks_interneurons_more_than_pyramidal():
    # science.md T9: with the Mg-present subunit IC50s the E->I block must exceed the
    # E->E block at 1 uM (46 % GluN2C, 25 % GluN2D against 16 % GluN2A/B at -66 mV).
    preset = HYPOTHESES["glun2cd_interneurons"]
    block = {}
    for name in PATHWAYS:
        k0 = float(parse_quantity(preset[name]["k0"], "concentration") / brian2.umolar)
        mg_k0 = float(parse_quantity(preset[name]["mg_k0"], "concentration") / brian2.mmolar)
        block[name] = ketamine_block(1.0, ic50_in_mg_uM(k0, -66.0, 1.0, delta=0.8,
                                                         mg_k0_mM=mg_k0))
    assert block["exc_to_exc"] == pytest.approx(0.16, abs=0.015)
    assert block["exc_to_pv"] == pytest.approx(0.253, abs=0.003)
    assert block["exc_to_sst"] == pytest.approx(0.459, abs=0.003)
    assert block["exc_to_pv"] > block["exc_to_exc"]
    assert block["exc_to_sst"] > block["exc_to_exc"]


@pytest.mark.science
def test_thermal_voltage_at_35_C():
    # R T / F = 8.314462618 * 308.15 / 96485.33212 = 0.0265543 V (CODATA constants).
    assert thermal_voltage(35.0) == pytest.approx(0.026554, rel=1e-4)
    assert thermal_voltage(35.0) == pytest.approx(GAS_CONSTANT * 308.15 / FARADAY, rel=1e-12)


def test_ketamine_affinity_uses_temperature():
    # A warmer bath has a larger V_T, so the same depolarisation changes K less.
    warm = ketamine_affinity_uM(0.32, -20.0, 0.8, temperature_C=37.0)
    cold = ketamine_affinity_uM(0.32, -20.0, 0.8, temperature_C=22.0)
    assert 0.32 < warm < cold


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


def test_voltage_dependent_affinity_needs_voltage():
    with pytest.raises(ValueError, match="v_mV"):
        ketamine_affinity_uM(1.0, None, delta=0.8)
    with pytest.raises(ValueError, match="k0_uM"):
        ketamine_affinity_uM(0.0, -66.0, delta=0.8)


def test_removed_keys_get_one_line(tmp_path):
    """The old Woodhull-on-IC50 keys are refused, naming the key and what replaced it."""
    from plasticity import load_config
    from plasticity.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        load_config(None, ["pharmacology.receptors.exc_to_exc.ic50=5 uM"])
    text = str(err.value)
    assert "ic50" in text and "k0" in text and "\n" not in text.strip()
    with pytest.raises(ConfigError) as err:
        load_config(None, ["pharmacology.block_model=woodhull"])
    assert "woodhull" in str(err.value) and "competitive" in str(err.value)


# --------------------------------------------------------------------------- #
# Hypotheses
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name", sorted(HYPOTHESES))
def test_every_hypothesis_names_all_excitatory_pathways(name):
    preset = HYPOTHESES[name]
    assert set(preset) == set(PATHWAYS)
    for pathway in PATHWAYS:
        assert _k0_uM(preset[pathway]) > 0
        assert preset[pathway]["hill"] > 0
        assert preset[pathway]["subunit"].split(" (")[0] in SUBUNITS


@pytest.mark.science
def test_glun2cd_interneurons_subunits():
    # Kotermanski & Johnson (2009), 0 Mg2+: GluN2A/B ~0.32 (mean of 0.33, 0.31),
    # GluN2D 0.83, GluN2C 0.51 uM: without Mg2+ ketamine prefers GluN2A/B.
    preset = HYPOTHESES["glun2cd_interneurons"]
    assert [preset[p]["subunit"] for p in PATHWAYS] == ["GluN2A/B", "GluN2D", "GluN2C"]
    exc, pv, sst = (_k0_uM(preset[p]) for p in PATHWAYS)
    assert (exc, pv, sst) == pytest.approx((0.32, 0.83, 0.51))
    assert pv > exc and sst > exc
    assert all(preset[p].get("blocked", True) for p in PATHWAYS)


@pytest.mark.science
def test_equal_affinity_blocks_every_pathway_equally_at_rest():
    """The null hypothesis of Susin & Destexhe (2023): equal block everywhere at rest, i.e.
    GluN2A/B's IC50 in 1 mM Mg2+ at -66 mV (0.32 uM * 17.767 = 5.686 uM) on every pathway,
    while each pathway keeps the default's Mg2+ block (same drug-free network)."""
    preset = HYPOTHESES["equal_affinity"]
    default = HYPOTHESES["glun2cd_interneurons"]
    for p in PATHWAYS:
        assert preset[p]["mg_k0"] == default[p]["mg_k0"]
        mg_k0 = float(parse_quantity(preset[p]["mg_k0"], "concentration") / brian2.mmolar)
        kmg_66 = mg_k0 * np.exp(-0.062 * 66.0)
        ic50 = _k0_uM(preset[p]) * (1.0 + 1.0 / kmg_66)
        assert ic50 == pytest.approx(0.32 * 17.767, rel=1e-3), p
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
    # exc_only / interneurons_only / glun2b_pyramidal / hnk_ampa copy the shared subunit
    # entries before adding ``blocked: False``; the other presets must keep every pathway
    # blocked.
    entries = [(h, p) for h in HYPOTHESES for p in PATHWAYS]
    unblocked = {(h, p) for h, p in entries if HYPOTHESES[h][p].get("blocked", True) is False}
    assert unblocked == {
        ("exc_only", "exc_to_pv"),
        ("exc_only", "exc_to_sst"),
        ("interneurons_only", "exc_to_exc"),
        ("glun2b_pyramidal", "exc_to_pv"),
        ("glun2b_pyramidal", "exc_to_sst"),
        ("hnk_ampa", "exc_to_exc"),
        ("hnk_ampa", "exc_to_pv"),
        ("hnk_ampa", "exc_to_sst"),
    }

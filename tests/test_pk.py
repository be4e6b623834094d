"""Tests for plasticity.pharmacology.pk: exact ketamine pharmacokinetics.

Reference numbers come from science.md section 4.1 and target T8 (derived from
the Domino et al. 1982 parameters distributed by opentiva, PMID 7198883) and
from Kamp et al. 2020 (Anesthesiology 133:1192) population totals. The exact
solution is checked against independent solutions: scipy's stiff ODE solver
and closed forms of the one-compartment model.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from plasticity.pharmacology.pk import (
    DEFAULT_PK_SET,
    METABOLITES_DEFAULT,
    MOLAR_MASS_BASE,
    MOLAR_MASS_HCL,
    PK_SETS,
    Infusion,
    MetaboliteParameters,
    PKParameters,
    base_fraction,
    check_no_overlap,
    clearance_ml_per_kg_min,
    half_lives_min,
    pk_summary,
    repeat_schedule,
    simulate_pk,
    terminal_half_life_min,
    vss_l_per_kg,
)

DOMINO = PK_SETS["domino"]
KAMP = PK_SETS["kamp2020_summary"]
#: Berman 2000 / Zarate 2006 antidepressant protocol, stated as base (science.md 4.1).
ZARATE_BASE = Infusion(start_min=0.0, dose_mg_per_kg=0.5, duration_min=40.0, salt="base")


def one_compartment(ke0: float | None = None) -> PKParameters:
    return PKParameters(
        name="one",
        v1_l_per_kg=1.5,
        k10=0.01,
        k12=0.0,
        k13=0.0,
        k21=0.0,
        k31=0.0,
        ke0=ke0,
        source="test",
    )


# --------------------------------------------------------------------------- #
# Reference numbers (science.md 4.1, T8)
# --------------------------------------------------------------------------- #
@pytest.mark.science
def test_domino_zarate_infusion_peak_and_decay():
    # science.md 4.1 / T8 [D from Domino parameters]: 0.5 mg/kg over 40 min gives a peak
    # of about 240 ng/mL (1.0 uM) at 40 min, then 55 (60 min), 36 (120) and 17 ng/mL (240).
    times = np.arange(0.0, 300.0, 5.0)
    result = simulate_pk(DOMINO, [ZARATE_BASE], 70.0, times)
    summary = pk_summary(result)
    assert summary["plasma_peak_ng_per_ml"] == pytest.approx(240.0, rel=0.05)
    assert summary["plasma_peak_uM"] == pytest.approx(1.0, rel=0.05)
    assert abs(summary["plasma_peak_time_min"] - 40.0) < 0.5
    # T8: must sit within the reported clinical range of about 150-250 ng/mL [R].
    assert 150.0 <= summary["plasma_peak_ng_per_ml"] <= 250.0
    later = simulate_pk(DOMINO, [ZARATE_BASE], 70.0, [60.0, 120.0, 240.0]).plasma_ng_per_ml
    np.testing.assert_allclose(later, [55.0, 36.0, 17.0], rtol=0.10)


@pytest.mark.science
def test_hydrochloride_dose_delivers_less_base():
    # A hydrochloride dose is 237.7/274.2 base by mass (science.md 4.1 molar masses).
    salt = dataclasses.replace(ZARATE_BASE, salt="hydrochloride")
    times = np.linspace(1.0, 200.0, 20)
    base = simulate_pk(DOMINO, [ZARATE_BASE], 70.0, times).plasma_ng_per_ml
    hcl = simulate_pk(DOMINO, [salt], 70.0, times).plasma_ng_per_ml
    np.testing.assert_allclose(hcl / base, MOLAR_MASS_BASE / MOLAR_MASS_HCL, rtol=1e-9)
    assert 1.0 - MOLAR_MASS_BASE / MOLAR_MASS_HCL == pytest.approx(0.133, abs=0.001)
    assert base_fraction("base") == 1.0


@pytest.mark.science
def test_domino_derived_constants():
    # science.md 4.1 [D from opentiva/Domino parameters]: half-lives 0.4, 4.6 and 115 min,
    # CL 27.6 mL/kg/min, Vss 2.76 L/kg.
    assert DEFAULT_PK_SET == "domino"
    assert terminal_half_life_min(DOMINO) == pytest.approx(115.0, rel=0.03)
    fast, middle, slow = half_lives_min(DOMINO)
    assert fast == pytest.approx(0.40, rel=0.03)
    assert middle == pytest.approx(4.6, rel=0.03)
    assert slow == terminal_half_life_min(DOMINO)
    assert clearance_ml_per_kg_min(DOMINO) == pytest.approx(27.6, rel=0.02)
    assert vss_l_per_kg(DOMINO) == pytest.approx(2.76, rel=0.02)
    # T8: the 2.5-3 h elimination half-life of the clinical literature is about 150-180 min;
    # the Domino terminal phase is somewhat shorter, so only the order is checked here.
    assert 90.0 < terminal_half_life_min(DOMINO) < 200.0


@pytest.mark.science
def test_kamp_summary_constants():
    # Kamp et al. 2020 (Anesthesiology 133:1192): Vd 252 L, CL 79 L/h per 70 kg.
    assert KAMP.compartments == ("central",)
    assert KAMP.ke0 is None
    assert vss_l_per_kg(KAMP) == pytest.approx(252.0 / 70.0, rel=1e-12)
    assert clearance_ml_per_kg_min(KAMP) == pytest.approx(79e3 / 60.0 / 70.0, rel=1e-12)
    assert clearance_ml_per_kg_min(KAMP) < clearance_ml_per_kg_min(DOMINO)
    t_half_h = math.log(2.0) * 252.0 / 79.0
    assert terminal_half_life_min(KAMP) == pytest.approx(60.0 * t_half_h, rel=1e-12)


@pytest.mark.science
def test_kamp_summary_peak_is_below_the_measured_clinical_range():
    """The one-compartment summary peaks low: documented in the README, not tuned away.

    Closed form of a zero-order infusion into one compartment: C(T) = R/CL (1 - e^(-kT)),
    R the dose rate, k = CL/V. 0.5 mg/kg hydrochloride over 40 min, 70 kg: R = 35 mg *
    237.7/274.2 / 40 min; CL = 79 L/h, V = 252 L (Kamp et al. 2020 totals). Measured
    end-of-infusion levels are about 150-250 ng/mL (science.md 4.1 [R]; 185 ng/mL in
    Zanos et al. 2018, Pharmacol Rev 70:621, Table 1).
    """
    rate_mg_per_min = 0.5 * 70.0 * 237.7 / 274.2 / 40.0
    cl_l_per_min, v_l = 79.0 / 60.0, 252.0
    expected_ng_per_ml = 1e3 * rate_mg_per_min / cl_l_per_min * (
        1.0 - math.exp(-cl_l_per_min / v_l * 40.0))
    result = simulate_pk(KAMP, [Infusion(0.0, 0.5, 40.0)], 70.0, [40.0])
    assert result.plasma_ng_per_ml[0] == pytest.approx(expected_ng_per_ml, rel=1e-6)
    assert expected_ng_per_ml == pytest.approx(108.7, abs=0.1)
    assert result.plasma_ng_per_ml[0] < 150.0  # below the measured range: a known miss


# --------------------------------------------------------------------------- #
# Exactness against independent solutions
# --------------------------------------------------------------------------- #
def _ode_reference(params: PKParameters, infusions, weight_kg, times):
    """Plasma and effect-site ng/mL from solve_ivp, one segment per dosing interval."""
    a = np.array(
        [
            [-(params.k10 + params.k12 + params.k13), params.k21, params.k31],
            [params.k12, -params.k21, 0.0],
            [params.k13, 0.0, -params.k31],
        ]
    )
    v1 = params.v1_l_per_kg * weight_kg
    amounts = [d.dose_mg_per_kg * weight_kg * base_fraction(d.salt) for d in infusions]

    def rate(t):
        return sum(
            amt / d.duration_min
            for d, amt in zip(infusions, amounts, strict=True)
            if d.duration_min > 0 and d.start_min <= t < d.start_min + d.duration_min
        )

    # Full 4x4 system matrix (3 compartments + effect site) and its input vector.
    jac = np.zeros((4, 4))
    jac[:3, :3] = a
    jac[3, 0] = params.ke0 / v1
    jac[3, 3] = -params.ke0

    def rhs(t, y, r):
        return jac @ y + np.array([r, 0.0, 0.0, 0.0])

    edges = sorted({t for d in infusions for t in (d.start_min, d.start_min + d.duration_min)})
    edges.append(max(times) + 1.0)
    y = np.zeros(4)
    out = np.zeros((len(times), 4))
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        for d, amt in zip(infusions, amounts, strict=True):
            if d.duration_min == 0 and d.start_min == lo:
                y[0] += amt
        inside = (times >= lo) & (times < hi)
        sol = solve_ivp(
            rhs,
            (lo, hi),
            y,
            method="LSODA",
            t_eval=np.append(times[inside], hi),
            args=(rate(lo),),
            rtol=1e-12,
            atol=1e-16,
            jac=lambda t, y, r: jac,
        )
        out[inside] = sol.y[:, :-1].T
        y = sol.y[:, -1].copy()
    return 1000.0 * out[:, 0] / v1, 1000.0 * out[:, 3]


def test_matches_solve_ivp_for_multi_dose_protocol():
    protocol = [
        Infusion(0.0, 0.2, 0.0),  # bolus, hydrochloride
        Infusion(5.0, 0.5, 40.0, salt="base"),
        Infusion(60.0, 0.1, 0.0, salt="base"),
        Infusion(90.0, 0.3, 15.0),
    ]
    times = np.linspace(0.0, 240.0, 97)
    result = simulate_pk(DOMINO, protocol, 80.0, times)
    plasma_ref, effect_ref = _ode_reference(DOMINO, protocol, 80.0, times)
    np.testing.assert_allclose(result.plasma_ng_per_ml, plasma_ref, rtol=1e-6)
    np.testing.assert_allclose(result.effect_ng_per_ml, effect_ref, rtol=1e-6, atol=1e-12)


def test_one_compartment_closed_form_infusion():
    # C(t) = R/(k V)(1 - e^{-kt}) during an infusion of length T, then C(T) e^{-k(t-T)}.
    params = one_compartment()
    weight, dose, duration = 60.0, 2.0, 30.0
    times = np.linspace(-10.0, 400.0, 83)
    result = simulate_pk(params, [Infusion(0.0, dose, duration, salt="base")], weight, times)
    k, v = params.k10, params.v1_l_per_kg * weight
    rate = dose * weight / duration
    during = rate / (k * v) * (1.0 - np.exp(-k * np.clip(times, 0.0, duration)))
    expected = np.where(times < duration, during, during * np.exp(-k * (times - duration)))
    expected = np.where(times < 0.0, 0.0, expected)
    np.testing.assert_allclose(result.plasma_ng_per_ml, 1000.0 * expected, rtol=1e-10)
    assert result.effect_ng_per_ml is None
    assert result.effect_uM is None


def test_one_compartment_closed_form_bolus_with_effect_site():
    # Bolus D: C = D/V e^{-kt}; Ce = D/V ke0/(ke0 - k) (e^{-kt} - e^{-ke0 t}).
    ke0 = 0.2
    params = one_compartment(ke0=ke0)
    weight, dose = 70.0, 1.0
    times = np.linspace(0.0, 300.0, 61)
    result = simulate_pk(params, [Infusion(0.0, dose, 0.0, salt="base")], weight, times)
    k, c0 = params.k10, 1000.0 * dose / params.v1_l_per_kg
    np.testing.assert_allclose(result.plasma_ng_per_ml, c0 * np.exp(-k * times), rtol=1e-10)
    effect = c0 * ke0 / (ke0 - k) * (np.exp(-k * times) - np.exp(-ke0 * times))
    np.testing.assert_allclose(result.effect_ng_per_ml, effect, rtol=1e-9, atol=1e-12)
    # Effect peak at ln(ke0/k)/(ke0 - k).
    summary = pk_summary(result)
    t_peak = math.log(ke0 / k) / (ke0 - k)
    assert summary["effect_peak_time_min"] == pytest.approx(t_peak, abs=1e-4)
    assert summary["effect_peak_ng_per_ml"] == pytest.approx(
        c0 * math.exp(-k * t_peak) * ke0 / (ke0 - k) * (1 - math.exp(-(ke0 - k) * t_peak)),
        rel=1e-9,
    )


def test_metabolite_chain_matches_the_bateman_closed_form():
    """Bolus into one compartment, then ketamine -> norketamine -> HNK, all first order.

    With D' = f_NK D / M (umol) and rates k (ketamine), a (NK), b (HNK):
    NK(t) = D' k (e^-kt - e^-at) / (a - k) and
    HNK(t) = f_HNK a D' k [e^-kt / ((a - k)(b - k)) + e^-at / ((k - a)(b - a))
                           + e^-bt / ((k - b)(a - b))] (Bateman 1910).
    """
    params = one_compartment()
    met = MetaboliteParameters(nk_fraction=0.8, nk_k_per_min=0.004, hnk_fraction=0.2,
                               hnk_v_l_per_kg=2.0, hnk_k_per_min=0.001)
    weight, dose = 70.0, 1.0
    times = np.linspace(0.0, 3000.0, 31)
    result = simulate_pk(params, [Infusion(0.0, dose, 0.0, salt="base")], weight, times,
                         metabolites=met)
    k, a, b = params.k10, met.nk_k_per_min, met.hnk_k_per_min
    d = met.nk_fraction * dose * weight * 1000.0 / MOLAR_MASS_BASE
    nk = d * k * (np.exp(-k * times) - np.exp(-a * times)) / (a - k)
    hnk = met.hnk_fraction * a * d * k * (
        np.exp(-k * times) / ((a - k) * (b - k)) + np.exp(-a * times) / ((k - a) * (b - a))
        + np.exp(-b * times) / ((k - b) * (a - b)))
    np.testing.assert_allclose(result.norketamine_umol, nk, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(result.hnk_umol, hnk, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(result.hnk_uM, hnk / (met.hnk_v_l_per_kg * weight), rtol=1e-12)
    # the parent is unchanged by following its metabolites
    plain = simulate_pk(params, [Infusion(0.0, dose, 0.0, salt="base")], weight, times)
    np.testing.assert_array_equal(result.plasma_ng_per_ml, plain.plasma_ng_per_ml)
    assert plain.hnk_uM is None


def test_default_metabolites_give_15_percent_of_the_dose_as_hnk_with_a_14_h_half_life():
    """15 % of the dose becomes HNK (0.8 x 0.1875) and HNK is cleared at 5 L/h per 70 kg
    from 100 L per 70 kg: after a dose has turned over, AUC_HNK x CL_HNK = 0.15 x dose."""
    assert METABOLITES_DEFAULT.nk_fraction * METABOLITES_DEFAULT.hnk_fraction == pytest.approx(
        0.15)
    assert math.log(2) / METABOLITES_DEFAULT.hnk_k_per_min / 60 == pytest.approx(13.86, abs=0.01)
    times = np.linspace(0.0, 60 * 24 * 20.0, 20001)  # 20 days
    result = simulate_pk(PK_SETS["domino"], [ZARATE_BASE], 70.0, times,
                         metabolites=METABOLITES_DEFAULT)
    auc_umol_min_per_l = np.trapezoid(result.hnk_uM, times)
    cl_l_per_min = 5.0 / 60.0
    dose_umol = 0.5 * 70.0 * 1000.0 / MOLAR_MASS_BASE
    assert auc_umol_min_per_l * cl_l_per_min == pytest.approx(0.15 * dose_umol, rel=1e-3)


@pytest.mark.parametrize("changes, pattern", [
    ({"nk_fraction": 1.5}, "nk_fraction"), ({"hnk_k_per_min": 0.0}, "hnk_k_per_min"),
])
def test_metabolite_parameter_validation(changes, pattern):
    with pytest.raises(ValueError, match=pattern):
        dataclasses.replace(METABOLITES_DEFAULT, **changes)


# --------------------------------------------------------------------------- #
# Structural properties
# --------------------------------------------------------------------------- #
def test_mass_balance_over_repeated_infusions():
    starts = repeat_schedule(0.0, 48 * 60.0, 6)
    protocol = [Infusion(t, 0.5, 40.0) for t in starts] + [Infusion(100.0, 0.2, 0.0)]
    times = np.concatenate([np.linspace(-5.0, 15000.0, 400), starts, [100.0, 140.0]])
    result = simulate_pk(DOMINO, protocol, 70.0, times)
    total = result.amounts_mg.sum(axis=1) + result.eliminated_mg
    np.testing.assert_allclose(total, result.infused_mg, rtol=1e-9, atol=1e-12)
    total_dose = 70.0 * (6 * 0.5 + 0.2) * MOLAR_MASS_BASE / MOLAR_MASS_HCL
    assert result.infused_mg[times > 14500].min() == pytest.approx(total_dose, rel=1e-12)
    assert np.all(result.plasma_ng_per_ml[times < 0] == 0.0)


def test_superposition_and_dose_linearity():
    first = Infusion(0.0, 0.5, 40.0)
    second = Infusion(120.0, 0.3, 0.0)
    times = np.linspace(0.0, 360.0, 73)
    both = simulate_pk(DOMINO, [first, second], 70.0, times)
    alone = [simulate_pk(DOMINO, [d], 70.0, times) for d in (first, second)]
    np.testing.assert_allclose(
        both.plasma_ng_per_ml,
        alone[0].plasma_ng_per_ml + alone[1].plasma_ng_per_ml,
        rtol=1e-9,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        both.effect_ng_per_ml, alone[0].effect_ng_per_ml + alone[1].effect_ng_per_ml, rtol=1e-9
    )
    double = simulate_pk(DOMINO, [dataclasses.replace(first, dose_mg_per_kg=1.0)], 70.0, times)
    np.testing.assert_allclose(double.plasma_ng_per_ml, 2.0 * alone[0].plasma_ng_per_ml, rtol=1e-9)


def test_concentration_is_weight_independent_for_mg_per_kg_dosing():
    times = np.linspace(0.0, 200.0, 41)
    light = simulate_pk(DOMINO, [ZARATE_BASE], 50.0, times)
    heavy = simulate_pk(DOMINO, [ZARATE_BASE], 100.0, times)
    np.testing.assert_allclose(light.plasma_ng_per_ml, heavy.plasma_ng_per_ml, rtol=1e-10)
    np.testing.assert_allclose(2.0 * light.amounts_mg, heavy.amounts_mg, rtol=1e-10, atol=1e-14)


def test_unsorted_times_keep_their_order():
    times = np.array([120.0, 10.0, 40.0, 0.0, -3.0])
    result = simulate_pk(DOMINO, [ZARATE_BASE], 70.0, times)
    ordered = simulate_pk(DOMINO, [ZARATE_BASE], 70.0, np.sort(times))
    order = np.argsort(times)
    np.testing.assert_array_equal(result.times_min, times)
    np.testing.assert_allclose(result.plasma_ng_per_ml[order], ordered.plasma_ng_per_ml)
    np.testing.assert_allclose(result.plasma_uM, result.plasma_ng_per_ml / 237.7)
    assert pk_summary(result)["plasma_peak_time_min"] == pytest.approx(40.0, abs=1e-6)


@pytest.mark.science
def test_effect_site_lags_plasma_after_bolus():
    # Sheiner et al. 1979 effect compartment: Ce peaks after, and below, the plasma peak.
    times = np.linspace(0.0, 30.0, 301)
    result = simulate_pk(DOMINO, [Infusion(0.0, 0.5, 0.0)], 70.0, times)
    summary = pk_summary(result)
    assert summary["plasma_peak_time_min"] == 0.0
    assert summary["effect_peak_time_min"] > 0.5
    assert summary["effect_peak_ng_per_ml"] < summary["plasma_peak_ng_per_ml"]
    assert summary["effect_peak_uM"] == pytest.approx(
        summary["effect_peak_ng_per_ml"] / MOLAR_MASS_BASE
    )
    # At the effect-site peak, dCe/dt = 0, so Ce equals the plasma concentration there.
    t_effect = summary["effect_peak_time_min"]
    at_peak = simulate_pk(DOMINO, [Infusion(0.0, 0.5, 0.0)], 70.0, [t_effect])
    assert at_peak.plasma_ng_per_ml[0] == pytest.approx(summary["effect_peak_ng_per_ml"], rel=1e-6)


def test_no_effect_site_summary_is_none():
    result = simulate_pk(KAMP, [ZARATE_BASE], 70.0, np.linspace(0.0, 100.0, 11))
    summary = pk_summary(result)
    assert summary["effect_peak_ng_per_ml"] is None
    assert summary["effect_peak_time_min"] is None
    assert summary["plasma_peak_time_min"] == pytest.approx(40.0, abs=1e-6)


def test_repeat_schedule():
    assert repeat_schedule(60.0, 2880.0, 3) == [60.0, 2940.0, 5820.0]
    with pytest.raises(ValueError, match="count = 0"):
        repeat_schedule(0.0, 10.0, 0)
    with pytest.raises(ValueError, match="every_min = -1"):
        repeat_schedule(0.0, -1.0, 2)


# --------------------------------------------------------------------------- #
# Validation
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"dose_mg_per_kg": -0.5}, r"dose_mg_per_kg = -0\.5"),
        ({"duration_min": -1.0}, r"duration_min = -1\.0"),
        ({"start_min": math.nan}, r"start_min = nan"),
        ({"route": "oral"}, r"route = 'oral': only 'iv' is implemented"),
        ({"salt": "sulfate"}, r"salt = 'sulfate'"),
    ],
)
def test_infusion_validation(kwargs, pattern):
    fields = {"start_min": 0.0, "dose_mg_per_kg": 0.5, "duration_min": 40.0, **kwargs}
    with pytest.raises(ValueError, match=pattern):
        Infusion(**fields)


def test_overlapping_infusions_are_rejected():
    protocol = [Infusion(0.0, 0.5, 40.0), Infusion(100.0, 0.1, 0.0), Infusion(30.0, 0.5, 40.0)]
    with pytest.raises(ValueError, match=r"infusions\[0\] \(0\.0-40\.0 min\).*infusions\[2\]"):
        check_no_overlap(protocol)
    with pytest.raises(ValueError, match="overlap"):
        simulate_pk(DOMINO, protocol, 70.0, [0.0])
    with pytest.raises(ValueError, match=r"infusions\[0\].*infusions\[1\]"):
        check_no_overlap([Infusion(0.0, 0.5, 40.0), Infusion(20.0, 0.1, 0.0)])
    # A loading bolus at the start of an infusion, and back-to-back infusions, are fine.
    check_no_overlap([Infusion(0.0, 0.2, 0.0), Infusion(0.0, 0.5, 40.0), Infusion(40.0, 0.1, 5.0)])


@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        ({"v1_l_per_kg": 0.0}, r"v1_l_per_kg = 0\.0: expected a central volume > 0"),
        ({"k10": -0.1}, r"k10 = -0\.1: expected a rate constant >= 0"),
        ({"k21": 0.0}, r"k12 = 0\.5921 but k21 = 0\.0"),
        ({"k13": 0.0}, r"k13 = 0\.0 but k31 = 0\.0146"),
        ({"ke0": 0.0}, r"ke0 = 0\.0"),
        ({"k31": math.inf}, r"k31 = inf"),
    ],
)
def test_pk_parameter_validation(changes, pattern):
    with pytest.raises(ValueError, match=pattern):
        dataclasses.replace(DOMINO, **changes)


def test_simulate_input_validation():
    with pytest.raises(ValueError, match=r"weight_kg = -70"):
        simulate_pk(DOMINO, [ZARATE_BASE], -70, [0.0])
    with pytest.raises(ValueError, match=r"times_min contains nan"):
        simulate_pk(DOMINO, [ZARATE_BASE], 70.0, [0.0, math.nan])

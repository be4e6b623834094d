"""Exposure per session (plasticity.planning.exposure) against closed forms of linear PK."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from plasticity.pharmacology.pk import PK_SETS, PKParameters
from plasticity.planning import Session
from plasticity.planning.exposure import session_exposure

pytestmark = pytest.mark.smoke

MW_BASE, MW_HCL = 237.7, 274.2  # g/mol, ketamine base and hydrochloride (science.md 4.1)
WEIGHT = 70.0
K = math.log(2) / 30.0  # 1/min: a 30 min half-life
ONE = PKParameters("one compartment", v1_l_per_kg=1.0, k10=K, k12=0.0, k13=0.0, k21=0.0,
                   k31=0.0, ke0=None, source="test")


def base_mg(dose_mg_per_kg: float) -> float:
    return dose_mg_per_kg * WEIGHT * MW_BASE / MW_HCL


def to_uM(mg_per_l: float) -> float:
    return mg_per_l * 1000.0 / MW_BASE  # 1 mg/L = 1000 ng/mL; ng/mL / (g/mol) = uM


def test_one_compartment_peaks_and_areas_match_the_closed_forms():
    # two 40-min infusions of 0.5 mg/kg 2 h apart: C(t) during an infusion of rate R into
    # volume V: R/(k V) (1 - exp(-k t)); afterwards it decays with exp(-k t)
    T, gap = 40.0, 120.0
    sessions = [Session(0.0, 0.5, T), Session(gap / 1440.0, 0.5, T)]
    out = session_exposure(sessions, ONE, WEIGHT, grid_min=0.5)
    V, R = ONE.v1_l_per_kg * WEIGHT, base_mg(0.5) / T
    c_end = R / (K * V) * (1 - math.exp(-K * T))  # mg/L
    assert out[0].peak_uM == pytest.approx(to_uM(c_end), rel=1e-9)
    assert out[0].peak_day * 1440.0 == pytest.approx(T)
    assert out[1].peak_uM == pytest.approx(to_uM(c_end * (1 + math.exp(-K * gap))), rel=1e-9)
    # area of the first session over [0, gap]: rising part and decay up to the second start
    area = R / (K * V) * (T - (1 - math.exp(-K * T)) / K) \
        + c_end * (1 - math.exp(-K * (gap - T))) / K  # mg min / L
    assert out[0].auc_uM_h == pytest.approx(to_uM(area) / 60.0, rel=1e-9)


def test_the_areas_of_a_series_add_up_to_dose_over_clearance():
    # Domino set, three a week: over all time AUC = D / CL, CL = V1 k10 (any linear model)
    sessions = [Session(d, 0.5, 40.0) for d in (0.0, 2.0, 4.0)]
    params = PK_SETS["domino"]
    out = session_exposure(sessions, params, WEIGHT, horizon_day=7.0)
    cl_l_per_min = params.v1_l_per_kg * params.k10 * WEIGHT
    expected = to_uM(3 * base_mg(0.5) / cl_l_per_min) / 60.0
    assert out[-1].cumulative_auc_uM_h == pytest.approx(expected, rel=1e-6)
    assert sum(o.auc_uM_h for o in out) == pytest.approx(out[-1].cumulative_auc_uM_h)
    # sessions two days apart barely overlap: the same exposure each time
    assert out[1].auc_uM_h == pytest.approx(out[0].auc_uM_h, rel=1e-3)
    assert out[2].peak_uM == pytest.approx(out[0].peak_uM, rel=1e-3)


def test_bad_series_are_refused():
    with pytest.raises(ValueError, match="expected increasing"):
        session_exposure([Session(1.0, 0.5, 40.0), Session(1.0, 0.5, 40.0)])
    with pytest.raises(ValueError, match="horizon_day"):
        session_exposure([Session(0.0, 0.5, 40.0)], horizon_day=0)
    assert session_exposure([]) == []


def test_individual_factors_scale_clearance_and_volumes_as_a_population_model_does():
    # Domino set: CL = k10 V1, Q2 = k12 V1 = k21 V2, Q3 = k13 V1 = k31 V3 (per kg)
    from plasticity.pharmacology.pk import individual_parameters

    typical = PK_SETS["domino"]
    v1 = typical.v1_l_per_kg
    cl, q2, q3 = typical.k10 * v1, typical.k12 * v1, typical.k13 * v1
    v2, v3 = q2 / typical.k21, q3 / typical.k31
    c, a, b, q = 1.6, 0.7, 1.3, 0.8
    ind = individual_parameters(typical, clearance=c, v_central=a, v_peripheral=b,
                                intercompartmental=q)
    assert ind.v1_l_per_kg == pytest.approx(a * v1)
    assert ind.k10 * ind.v1_l_per_kg == pytest.approx(c * cl)
    assert ind.k12 * ind.v1_l_per_kg == pytest.approx(q * q2)
    assert ind.k13 * ind.v1_l_per_kg == pytest.approx(q * q3)
    assert ind.k12 * ind.v1_l_per_kg / ind.k21 == pytest.approx(b * v2)
    assert ind.k13 * ind.v1_l_per_kg / ind.k31 == pytest.approx(b * v3)
    assert ind.ke0 == typical.ke0
    # the whole area of a dose is dose / CL: 1.6 x the clearance, 1/1.6 the area
    one = session_exposure([Session(0.0, 0.5, 40.0)], typical, WEIGHT, horizon_day=3.0)
    two = session_exposure([Session(0.0, 0.5, 40.0)], ind, WEIGHT, horizon_day=3.0)
    assert two[0].auc_uM_h == pytest.approx(one[0].auc_uM_h / c, rel=1e-6)
    assert individual_parameters(typical) is typical
    with pytest.raises(ValueError, match="clearance = 0"):
        individual_parameters(typical, clearance=0)


def test_the_config_passes_the_patients_factors_to_the_pk():
    from plasticity.config import load_config
    from plasticity.pharmacology.exposure import pk_parameters

    root = Path(__file__).resolve().parents[1]
    config = load_config(root / "configs/single_infusion.yaml", [
        "pharmacology.protocol.individual={clearance: 2, v_central: 0.5}"])
    params = pk_parameters(config.pharmacology.protocol)
    typical = PK_SETS["domino"]
    assert params.v1_l_per_kg == pytest.approx(0.5 * typical.v1_l_per_kg)
    assert params.k10 == pytest.approx(typical.k10 * 2 / 0.5)

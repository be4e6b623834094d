"""Use-dependent (kinetic) ketamine block: the numpy oracle and the compiled network.

The scheme and its sources are in :mod:`plasticity.pharmacology.block`
(trapping open-channel block, Kotermanski, Wood & Johnson 2009; on-rate from
Orser, Pennefather & MacDonald 1997; Woodhull 1973 equilibrium).
"""

from __future__ import annotations

import brian2 as b2
import numpy as np
import pytest

from plasticity.config import load_config
from plasticity.errors import ConfigError
from plasticity.model.network import build_network
from plasticity.pharmacology.block import (
    K_ON_PER_UM_MS,
    kinetic_block_rates,
    kinetic_block_step,
)
from tests.conftest import small_config, standalone_device

# Expected values below are closed forms written out here, with constants that
# do not come from the code under test.

#: Ketamine on-rate, /uM/ms, from Orser, Pennefather & MacDonald (1997,
#: Anesthesiology 86:903): 1 uM shortens the 3.26 ms mean open time to 68 %.
K_ON = 1.0 / (0.68 * 3.26) - 1.0 / 3.26

#: Faraday and molar gas constants, exact in the 2019 SI (CODATA 2018):
#: F = N_A e, R = N_A k_B.
FARADAY = 96485.33212 * b2.coulomb / b2.mole
GAS_CONSTANT = 8.314462618 * b2.joule / (b2.mole * b2.kelvin)


def _woodhull_k_uM(ic50_uM, v_mV, delta=0.8, v_ref_mV=-66.0, temperature_C=35.0):
    """Woodhull (1973, J Gen Physiol 61:687) K(V) = IC50 exp(delta F (V - V_ref) / (R T)).

    F and R are the SI 2019 constants above, with units. IC50s
    are Kotermanski & Johnson (2009, J Neurosci 29:2774) values at -66 mV.
    """
    temperature = (temperature_C + 273.15) * b2.kelvin
    exponent = (delta * FARADAY * (np.asarray(v_mV) - v_ref_mV) * b2.mV
                / (GAS_CONSTANT * temperature))
    return ic50_uM * np.exp(np.asarray(exponent, dtype=float))


def _relaxation(b0, t_ms, conc_uM, access, k_on, k_d_uM, trapping):
    """Exact solution of the first-order trapping-block scheme at constant inputs.

    db/dt = a (k_on C (1 - b) - k_off b) - (1 - a)(1 - trapping) k_off b, with
    k_off = k_on K_d (Kotermanski, Wood & Johnson 2009, J Physiol 587:4589), is
    db/dt = (b_inf - b)/tau with 1/tau = a k_on C + a k_off + (1 - a)(1 - trapping) k_off
    and b_inf = a k_on C tau, so b(t) = b_inf + (b0 - b_inf) exp(-t/tau).
    """
    k_off = k_on * np.asarray(k_d_uM, dtype=float)
    gain = np.asarray(access, dtype=float) * k_on * conc_uM
    rate = gain + access * k_off + (1.0 - np.asarray(access)) * (1.0 - trapping) * k_off
    b_inf = np.divide(gain, rate, out=np.zeros_like(rate), where=rate > 0)
    return b_inf + (np.asarray(b0, dtype=float) - b_inf) * np.exp(-rate * t_ms)


def test_on_rate_derived_from_orser_1997():
    # Orser et al. 1997: mean open time 3.26 ms, 68 % of it at 1 uM ketamine.
    assert K_ON_PER_UM_MS == pytest.approx(1 / (0.68 * 3.26) - 1 / 3.26)
    assert K_ON_PER_UM_MS == pytest.approx(0.1444, abs=5e-5)
    config = load_config(None)
    receptor = config.pharmacology.resolved_receptors()["exc_to_exc"]
    assert float(receptor.k_on * b2.umolar * b2.ms) == pytest.approx(K_ON_PER_UM_MS, rel=1e-3)


@pytest.mark.parametrize("access", [0.01, 0.3, 1.0])
@pytest.mark.parametrize("conc", [0.5, 1.0, 5.0])
def test_full_trapping_steady_state_is_the_woodhull_curve(access, conc):
    """With full trapping, use sets only the speed: b_inf = C / (C + K(V))."""
    # GluN2A/B IC50 5.2 uM at -66 mV (Kotermanski & Johnson 2009), delta 0.8, 35 C.
    for v_mV in (-70.0, -55.0, -20.0):
        k_d = _woodhull_k_uM(5.2, v_mV)
        b_inf, rate = kinetic_block_rates(conc, access, K_ON, k_d, trapping=1.0)
        # Woodhull equilibrium b = C / (C + K(V)); 1/tau = a k_on (C + K(V)).
        assert b_inf == pytest.approx(conc / (conc + k_d), rel=1e-12)
        assert rate == pytest.approx(access * K_ON * (conc + k_d), rel=1e-12)
    # Spot values: V_T = RT/F = 26.55 mV at 35 C, so K(-20 mV) = 5.2 exp(0.8*46/26.55) = 20.8 uM
    assert _woodhull_k_uM(5.2, -20.0) == pytest.approx(20.80, rel=1e-3)
    assert _woodhull_k_uM(5.2, -66.0) == pytest.approx(5.2, rel=1e-12)


def test_closed_channels_keep_block_trapped():
    """No opening: with full trapping nothing binds and nothing leaves."""
    for b in (0.0, 0.4):
        after = kinetic_block_step(b, 1000.0, 5.0, 0.0, K_ON, 5.2, trapping=1.0)
        assert after == pytest.approx(b, abs=0)
    # partial trapping: closed channels lose ketamine at (1 - trapping) k_off = 0.5 k_on K_d
    after = kinetic_block_step(0.4, 1.0, 5.0, 0.0, K_ON, 5.2, trapping=0.5)
    assert after == pytest.approx(0.4 * np.exp(-0.5 * K_ON * 5.2 * 1.0), rel=1e-12)


def test_partial_trapping_blocks_busier_receptors_more():
    quiet, rate_q = kinetic_block_rates(1.0, 0.05, K_ON, 5.2, trapping=0.8)
    busy, rate_b = kinetic_block_rates(1.0, 0.5, K_ON, 5.2, trapping=0.8)
    assert quiet < busy < 1.0 / 6.2 + 1e-12
    # b_inf = a C / (a C + a K + (1 - a)(1 - trapping) K), k_on cancels:
    # a = 0.05: 0.05 / (0.05 + 0.26 + 0.95*0.2*5.2) = 0.05 / 1.298
    # a = 0.5:  0.5 / (0.5 + 2.6 + 0.5*0.2*5.2) = 0.5 / 3.62
    assert quiet == pytest.approx(0.05 / 1.298, rel=1e-12)
    assert busy == pytest.approx(0.5 / 3.62, rel=1e-12)
    assert rate_q == pytest.approx(K_ON * 1.298, rel=1e-12)
    assert rate_b == pytest.approx(K_ON * 3.62, rel=1e-12)


def test_exponential_step_matches_fine_integration():
    """The step equals the exact relaxation and a fine integration of the scheme's ODE."""
    b_step = kinetic_block_step(0.1, 2.0, 3.0, 0.4, K_ON, 4.0, trapping=0.7)
    # b_inf = 0.4*3 / (0.4*3 + 0.4*4 + 0.6*0.3*4) = 1.2 / 3.52; 1/tau = 3.52 k_on
    b_inf, tau = 1.2 / 3.52, 1.0 / (3.52 * K_ON)
    assert b_step == pytest.approx(b_inf + (0.1 - b_inf) * np.exp(-2.0 / tau), rel=1e-12)
    assert b_step == pytest.approx(_relaxation(0.1, 2.0, 3.0, 0.4, K_ON, 4.0, 0.7), rel=1e-12)
    # Forward Euler on the binding scheme as written in the module docstring.
    a, c, k_off, b, h = 0.4, 3.0, K_ON * 4.0, 0.1, 1e-5
    for _ in range(int(2.0 / h)):
        b += h * (a * (K_ON * c * (1 - b) - k_off * b) - (1 - a) * (1 - 0.7) * k_off * b)
    assert b_step == pytest.approx(b, rel=1e-6)


def test_kinetic_block_needs_hill_one():
    with pytest.raises(ConfigError) as err:
        load_config(None, ["pharmacology.block_model=kinetic",
                           "pharmacology.receptors.exc_to_pv.hill=1.4"])
    text = str(err.value)
    assert "receptors.exc_to_pv.hill" in text and "1.4" in text and "kinetic" in text


def test_gerhard_preset_uses_glun2b_on_interneurons():
    config = load_config(None, ["pharmacology.hypothesis=glun2b_interneurons"])
    ic50 = {k: float(r.ic50 / b2.umolar) for k, r in
            config.pharmacology.resolved_receptors().items()}
    # Kotermanski & Johnson 2009, 1 mM Mg2+: GluN2A 5.35, GluN2B 5.08 uM
    assert ic50 == pytest.approx({"exc_to_exc": 5.35, "exc_to_pv": 5.08, "exc_to_sst": 5.08})


@pytest.fixture(scope="module")
def kinetic_traces(tmp_path_factory):
    """Per-neuron traces from the compiled (cpp_standalone) kinetic network.

    PV cells get no NMDA input at all (p = 0 on exc_to_pv): their receptors
    never open, so their block must stay 0 although the drug is present.
    """
    config = small_config("pharmacology.ketamine_uM=3.0", "pharmacology.block_model=kinetic",
                          "synapses.exc_to_pv.p=0", "seed=5")
    with standalone_device():
        built = build_network(config)
        exc, pv = built.groups["exc"], built.groups["pv"]
        mon_e = b2.StateMonitor(exc, ["v_d", "o_nmda_d", "mg_d", "bket_d"], record=[0, 1, 2],
                                when="end", name="test_mon_exc")
        mon_p = b2.StateMonitor(pv, ["bket_s", "v"], record=[0, 1], when="end",
                                name="test_mon_pv")
        built.network.add(mon_e, mon_p)
        built.network.run(config.simulation.duration, namespace={})
        b2.device.build(directory=str(tmp_path_factory.mktemp("kinetic")), compile=True,
                        run=True, with_output=False, run_args=built.inputs)
        exc_traces = {k: np.array(getattr(mon_e, k)) for k in ("v_d", "o_nmda_d", "mg_d",
                                                              "bket_d")}
        pv_block = np.array(mon_p.bket_s)
    return config, exc_traces, pv_block


def test_compiled_kinetic_block_matches_numpy_oracle(kinetic_traces):
    """Each compiled step equals the oracle's exact step from the recorded inputs."""
    _, tr, _ = kinetic_traces
    # Default E->E receptor: GluN2A/B IC50 5.2 uM at -66 mV (Kotermanski & Johnson
    # 2009), delta 0.8, 35 C, k_on 0.1444 /uM/ms (Orser et al. 1997), full trapping.
    v_mV = tr["v_d"] / float(b2.mV)
    k_d = _woodhull_k_uM(5.2, v_mV)
    # Jahr & Stevens (1990) Mg2+ block in 1 mM Mg2+ at the recorded dendritic voltage.
    np.testing.assert_allclose(tr["mg_d"], 1.0 / (1.0 + np.exp(-0.062 * v_mV) / 3.57),
                               rtol=1e-9)
    access = np.clip(tr["o_nmda_d"], 0, 1) * tr["mg_d"]
    b = tr["bket_d"]
    predicted = _relaxation(b[:, :-1], 0.1, 3.0, access[:, :-1], 0.1444, k_d[:, :-1], 1.0)
    assert np.max(np.abs(predicted - b[:, 1:])) < 1e-9
    # the block builds up with use towards the Woodhull equilibrium
    assert np.all(b[:, -1] > 0.2)
    assert np.all(tr["o_nmda_d"][:, -1] > 0.05)


def test_receptors_that_never_open_are_never_blocked(kinetic_traces):
    """Use dependence: no NMDA input to PV cells, no block, despite 3 uM."""
    _, _, pv_block = kinetic_traces
    assert np.all(pv_block == 0.0)
    # The equilibrium model would block half: GluN2D IC50 2.95 uM (Kotermanski &
    # Johnson 2009), b = 3 / (3 + 2.95) = 0.504 at -66 mV.
    assert 3.0 / (3.0 + 2.95) > 0.5

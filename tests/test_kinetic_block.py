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
    ketamine_block,
    kinetic_block_rates,
    kinetic_block_step,
    thermal_voltage,
)
from tests.conftest import small_config, standalone_device


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
    for v_mV in (-70.0, -55.0, -20.0):
        k_d = 5.2 * np.exp(0.8 * (v_mV + 66.0) / (thermal_voltage(35.0) * 1e3))
        b_inf, rate = kinetic_block_rates(conc, access, K_ON_PER_UM_MS, k_d, trapping=1.0)
        expected = ketamine_block(conc, 5.2, 1.0, v_mV=v_mV, delta=0.8)
        assert b_inf == pytest.approx(expected, rel=1e-12)
        assert rate == pytest.approx(access * K_ON_PER_UM_MS * (conc + k_d), rel=1e-12)


def test_closed_channels_keep_block_trapped():
    """No opening: with full trapping nothing binds and nothing leaves."""
    for b in (0.0, 0.4):
        after = kinetic_block_step(b, 1000.0, 5.0, 0.0, K_ON_PER_UM_MS, 5.2, trapping=1.0)
        assert after == pytest.approx(b, abs=0)
    # partial trapping: closed channels lose ketamine at (1 - trapping) k_off
    after = kinetic_block_step(0.4, 1.0, 5.0, 0.0, K_ON_PER_UM_MS, 5.2, trapping=0.5)
    assert after == pytest.approx(0.4 * np.exp(-0.5 * K_ON_PER_UM_MS * 5.2), rel=1e-12)


def test_partial_trapping_blocks_busier_receptors_more():
    quiet, _ = kinetic_block_rates(1.0, 0.05, K_ON_PER_UM_MS, 5.2, trapping=0.8)
    busy, _ = kinetic_block_rates(1.0, 0.5, K_ON_PER_UM_MS, 5.2, trapping=0.8)
    assert quiet < busy < 1.0 / 6.2 + 1e-12


def test_exponential_step_matches_fine_integration():
    """The exact step equals a finely resolved integration of the same ODE."""
    b_exact = kinetic_block_step(0.1, 2.0, 3.0, 0.4, K_ON_PER_UM_MS, 4.0, trapping=0.7)
    b, h = 0.1, 1e-5
    for _ in range(int(2.0 / h)):
        b_inf, rate = kinetic_block_rates(3.0, 0.4, K_ON_PER_UM_MS, 4.0, trapping=0.7)
        b += h * rate * (b_inf - b)
    assert b_exact == pytest.approx(b, rel=1e-6)


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
    config, tr, _ = kinetic_traces
    receptor = config.pharmacology.resolved_receptors()["exc_to_exc"]
    vt_mV = thermal_voltage(config.pharmacology.temperature_C) * 1e3
    v_mV = tr["v_d"] / float(b2.mV)
    k_d = float(receptor.ic50 / b2.umolar) * np.exp(
        receptor.delta * (v_mV - float(receptor.v_ref / b2.mV)) / vt_mV)
    access = np.clip(tr["o_nmda_d"], 0, 1) * tr["mg_d"]
    b = tr["bket_d"]
    predicted = kinetic_block_step(b[:, :-1], 0.1, 3.0, access[:, :-1],
                                   float(receptor.k_on * b2.umolar * b2.ms), k_d[:, :-1],
                                   receptor.trapping)
    assert np.max(np.abs(predicted - b[:, 1:])) < 1e-9
    # the block builds up with use towards the Woodhull equilibrium
    assert np.all(b[:, -1] > 0.2)
    assert np.all(tr["o_nmda_d"][:, -1] > 0.05)


def test_receptors_that_never_open_are_never_blocked(kinetic_traces):
    """Use dependence: no NMDA input to PV cells, no block, despite 3 uM."""
    _, _, pv_block = kinetic_traces
    assert np.all(pv_block == 0.0)
    assert ketamine_block(3.0, 2.95, 1.0) > 0.5  # the equilibrium model would block half

"""The growth rule's sensor inputs and the per-cell window readouts (issue 13).

Checks written out independently of the simulator:
- the sensor's equation dCa/dt = -Ca/tau + k I_ca_nmda integrates, over the
  window after the warm-up, to the identity tau k <I> = <Ca> + tau (Ca(T) -
  Ca(t0)) / span, with <Ca> from the population probe and <I> from the
  per-cell readout (two paths through the generated code);
- the block readout under the 'hill' block model (evaluated at the reference
  voltage) equals C / (C + K0 (1 + [Mg] / (K_Mg exp(slope v_ref)))) with the
  GluN2A/B numbers written out here (Kotermanski & Johnson 2009; Jahr &
  Stevens 1990);
- near-complete block (100 uM) removes most NMDA Ca2+ while the firing
  sensor does not fall;
- the committed normalisation ``nmda_charge_per_spike`` is the default
  network's drug-free calibration (slow).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import plasticity
from plasticity.errors import ConfigError
from plasticity.simulation.clinical import window_calcium
from plasticity.simulation.simulate import simulate_many
from tests.conftest import small_config

SENSOR = [
    "structural.enabled=true",
    "synapses.nmda_gating=event",
    "simulation.duration=2 s",
    "simulation.warmup=1 s",
    "record.state_dt=1 ms",
    "structural.tau_ca=200 ms",
    "seed=3",
]


@pytest.fixture(scope="module")
def runs():
    """One build: NMDA sensor drug-free, hill block at 3 uM, and 100 uM."""
    configs = [
        small_config(*SENSOR, "structural.sensor.input=nmda"),
        small_config(*SENSOR, "structural.sensor.input=nmda", "pharmacology.block_model=hill",
                     "pharmacology.ketamine_uM=3"),
        small_config(*SENSOR, "structural.sensor.input=nmda", "pharmacology.ketamine_uM=100"),
    ]
    return configs, simulate_many(configs, growth_scales=[0.0] * len(configs))


def test_nmda_sensor_integrates_its_calcium_current(runs):
    configs, out = runs
    config, data = configs[0], out[0]
    sp = config.structural
    t = data.probe_time_ms
    ca = data.probes["exc"]["ca_mean"]
    t0, t1 = float(config.simulation.warmup) * 1e3, float(config.simulation.duration) * 1e3
    inside = (t >= t0) & (t < t1)
    span_s = (t1 - t0) * 1e-3
    k = sp.beta_ca / float(sp.sensor.nmda_charge_per_spike)  # per coulomb
    current = float(np.mean(data.cell_means["exc"]["ca_nmda_current"]))
    assert current > 0
    lhs = float(sp.tau_ca) * k * current
    ca_start = float(np.interp(t0, t, ca))
    ca_end = float(np.interp(t1, t, ca))
    rhs = float(np.mean(ca[inside])) + float(sp.tau_ca) * (ca_end - ca_start) / span_s
    assert rhs == pytest.approx(lhs, rel=0.01)
    # no spike term: the NMDA input alone sets the sensor
    assert float(np.mean(window_calcium(config, data, "exc"))) == pytest.approx(lhs, rel=1e-9)


def test_block_readout_matches_the_competitive_closed_form(runs):
    configs, out = runs
    c_uM, k0_uM, mg_mM, mg_k0_mM, slope_per_mV, v_ref_mV = 3.0, 0.32, 1.0, 3.57, 0.062, -66.0
    ic50 = k0_uM * (1.0 + mg_mM / (mg_k0_mM * math.exp(slope_per_mV * v_ref_mV)))
    block = out[1].cell_means["exc"]["ket_block"]
    np.testing.assert_allclose(block, c_uM / (c_uM + ic50), rtol=1e-6)
    assert np.all(out[0].cell_means["exc"]["ket_block"] == 0)


def test_near_complete_block_removes_nmda_calcium_not_firing(runs):
    configs, out = runs
    free, blocked = out[0], out[2]
    drop = 1 - (np.mean(blocked.cell_means["exc"]["ca_nmda_current"])
                / np.mean(free.cell_means["exc"]["ca_nmda_current"]))
    assert drop > 0.8
    assert np.mean(blocked.cell_means["exc"]["ket_block"]) > 0.85
    spikes = [plasticity.load_config(c.model_dump(mode="json"),
                                     ["structural.sensor.input=spikes"]) for c in configs]
    assert (np.mean(window_calcium(spikes[2], blocked, "exc"))
            > 0.9 * np.mean(window_calcium(spikes[0], free, "exc")))


def test_mix_weights_the_two_inputs(runs):
    configs, out = runs
    data = out[0]
    parts = {}
    for name in ("spikes", "nmda", "mix"):
        cfg = plasticity.load_config(configs[0].model_dump(mode="json"),
                                     [f"structural.sensor.input={name}",
                                      "structural.sensor.nmda_share=0.25"])
        parts[name] = window_calcium(cfg, data, "exc")
    np.testing.assert_allclose(parts["mix"], 0.75 * parts["spikes"] + 0.25 * parts["nmda"],
                               rtol=1e-12)


def test_nmda_sensor_needs_nmda_receptors():
    with pytest.raises(ConfigError, match="structural.sensor.input 'nmda' needs NMDA"):
        small_config(*SENSOR, "structural.sensor.input=nmda", "network.cell_model=iaf_psc_alpha")


@pytest.mark.slow
def test_committed_normalisation_is_the_default_networks_calibration():
    from plasticity.studies.sensor import calibrate_nmda_sensor

    config = plasticity.load_config("configs/baseline.yaml")
    estimate, low, high = calibrate_nmda_sensor(config, seeds=(1, 2, 3))
    committed = float(config.structural.sensor.nmda_charge_per_spike) * 1e12
    assert committed == pytest.approx(estimate, rel=0.03), (estimate, low, high)

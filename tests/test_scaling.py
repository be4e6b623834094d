"""Homeostatic scaling of AMPA weights (config section 'scaling').

The update of the scaling states is checked against its closed forms
written out here; the engine's per-cell factor against an independent
construction (every factor 1/2 is the network with halved E->E AMPA
conductance, spike for spike); the clinical clock against the sign rule of
the firing-rate route.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import plasticity
from plasticity.errors import ConfigError
from plasticity.model import scaling
from tests.conftest import small_config

CLOCK = ["structural.enabled=true", "synapses.nmda_gating=event", "timeline.mode=clinical",
         "timeline.end=4 h", "timeline.window_every=2 h", "structural.update_interval=100 ms",
         "structural.clinical_update_interval=1 h", "simulation.duration=600 ms",
         "simulation.warmup=100 ms", "structural.rate_smoothing=0 s",
         "structural.elements.exc.axon={curve: linear, growth_rate: 0 /day, eps: 0.05}",
         "structural.elements.exc.den_exc={curve: linear, growth_rate: 0 /day, eps: 0.05}"]
RATE_ONLY = ["scaling.enabled=true", "scaling.block_at_rest=false", "scaling.firing_rate=true"]


def test_fast_route_rises_and_decays_with_its_two_time_constants():
    """Target g*bdnf = 0.25 * 0.8 = 0.2 held for 2 h: a = 0.2 (1 - e^(-2 h/45 min)); then
    bdnf 0 for one day: a decays by e^(-1 day/1.5 day)."""
    config = small_config(*CLOCK, "signalling.enabled=true", "scaling.enabled=true")
    state = scaling.initial_state(3)
    bdnf = np.full(3, 0.8)
    for _ in range(8):  # 8 updates of 15 min
        scaling.advance(config, state, 900.0, bdnf, None, 0.05)
    rise = 0.2 * (1.0 - math.exp(-7200.0 / 2700.0))
    np.testing.assert_allclose(state["fast"], rise, rtol=1e-12)
    for _ in range(24):
        scaling.advance(config, state, 3600.0, np.zeros(3), None, 0.05)
    np.testing.assert_allclose(state["fast"], rise * math.exp(-1.0 / 1.5), rtol=1e-12)
    np.testing.assert_allclose(scaling.factor(config, state), 1.0 + state["fast"], rtol=1e-12)


def test_slow_route_integrates_the_distance_from_the_set_point_within_bounds():
    """d ln s/dt = (1 - Ca/eps)/tau: Ca at half the set point for 12 h with tau 1 day gives
    ln s = 0.25; at twice the set point, -0.5; far below for days, the bound ln 2."""
    config = small_config(*CLOCK, *RATE_ONLY)
    state = scaling.initial_state(3)
    ca = np.array([0.025, 0.1, 0.0])
    for _ in range(12):
        scaling.advance(config, state, 3600.0, None, ca, 0.05)
    np.testing.assert_allclose(state["log_slow"], [0.25, -0.5, 0.5], rtol=1e-12)
    for _ in range(48):
        scaling.advance(config, state, 3600.0, None, ca, 0.05)
    np.testing.assert_allclose(scaling.factor(config, state)[[1, 2]], [0.5, 2.0], rtol=1e-12)


def test_scaling_needs_the_clock_and_a_route():
    with pytest.raises(ConfigError, match="clinical clock"):
        small_config("scaling.enabled=true")
    with pytest.raises(ConfigError, match="signalling.enabled"):
        small_config(*CLOCK, "scaling.enabled=true")
    with pytest.raises(ConfigError, match="neither route"):
        small_config(*CLOCK, "scaling.enabled=true", "scaling.block_at_rest=false")


_G = small_config().synapses.exc_to_exc
_HALF_G = f"synapses.exc_to_exc.g_ampa={float(_G.g_ampa) * 0.5e9!r} nS"


def test_the_engine_multiplies_each_cells_ampa_input_by_its_factor(tmp_path):
    scaled = plasticity.run(small_config(*CLOCK, *RATE_ONLY), tmp_path / "scaled.h5")
    plain = plasticity.run(small_config(*CLOCK), tmp_path / "plain.h5")
    a, b = (plasticity.open_result(p) for p in (scaled, plain))
    duration_ms = 600.0
    # the first window starts every factor at 1: the same run as without scaling
    for x, y in zip(a.spikes("exc"), b.spikes("exc"), strict=True):
        first = a.spikes("exc")[1] < duration_ms
        np.testing.assert_array_equal(x[first], y[b.spikes("exc")[1] < duration_ms])
    # the clock then scales cells below the set point up and cells above it down
    state = a.final_state()
    log_slow = state["scaling/log_slow/exc"]
    np.testing.assert_allclose(state["ampa_scale/exc"], np.clip(np.exp(log_slow), 0.5, 2.0))
    assert (log_slow > 0).any() and (log_slow < 0).any()
    assert a.series("clinical")["ampa_scale_exc"].values.shape == (4,)
    # a state with every factor 1/2 is the network with half the E->E AMPA conductance
    halved = dict(state, **{"ampa_scale/exc": np.full(len(log_slow), 0.5)})
    one = ["timeline.end=2 h"]
    runs = [plasticity.run(small_config(*CLOCK, *one, *RATE_ONLY), tmp_path / "half_s.h5",
                           initial_state=halved),
            plasticity.run(small_config(*CLOCK, *one, _HALF_G), tmp_path / "half_g.h5",
                           initial_state=state)]
    spikes = [plasticity.open_result(p).spikes("exc") for p in runs]
    assert len(spikes[0][0]) > 50
    # a state of a run without scaling (no ampa_scale) starts every factor at 1
    start = plasticity.run(small_config(*CLOCK, *one, *RATE_ONLY), tmp_path / "from_plain.h5",
                           initial_state=b.final_state())
    assert plasticity.open_result(start).final_state()["ampa_scale/exc"].shape == (80,)
    for x, y in zip(spikes[0], spikes[1], strict=True):
        np.testing.assert_array_equal(x, y)

"""Weights that follow maturity (structural.turnover.new_weight).

A new synapse transmits with ``new_weight`` of a stable one. Checked here
against an independent construction: a window in which every synapse is new
at half weight must be the same window, spike for spike, as one in which
every synapse is stable and the pathway's conductances are halved (the
delivery of the engine then differs only in where the factor 0.5 enters, an
exact operation in floating point). The clock's per-candidate weights after
an interval are checked against the counts of new synapses it reports.
"""

from __future__ import annotations

import numpy as np
import pytest

import plasticity
from plasticity.errors import ConfigError
from tests.conftest import small_config

# every new synapse is eliminated (a = 1), so the steady state holds only new synapses
# and the first window starts with all of them at new_weight (mean_weight_factor = 0.5)
CLOCK = ["structural.enabled=true", "synapses.nmda_gating=event", "timeline.mode=clinical",
         "timeline.end=4 h", "timeline.window_every=2 h", "structural.update_interval=100 ms",
         "structural.clinical_update_interval=1 h", "simulation.duration=600 ms",
         "simulation.warmup=100 ms",
         "structural.elements.exc.axon={curve: linear, growth_rate: 2 /day, eps: 0.05}",
         "structural.elements.exc.den_exc={curve: linear, growth_rate: 2 /day, eps: 0.05}"]
TURNOVER = ("structural.turnover={{new_exit_rate: 2 /day, new_eliminated_fraction: 1.0, "
            "stable_elimination_rate: 0.5 /day, elimination: removes, "
            "constitutive_formation: 2 /day, new_weight: {w}}}")

_G = small_config().synapses.exc_to_exc
_HALF_G = [f"synapses.exc_to_exc.g_ampa={float(_G.g_ampa) * 0.5e9!r} nS",
           f"synapses.exc_to_exc.g_nmda={float(_G.g_nmda) * 0.5e9!r} nS"]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The same clock run with new synapses at half weight, and with halved conductances."""
    out = tmp_path_factory.mktemp("maturation")
    half = plasticity.run(small_config(*CLOCK, TURNOVER.format(w=0.5)), out / "half.h5")
    scaled = small_config(*CLOCK, TURNOVER.format(w=1.0), *_HALF_G)
    return (plasticity.open_result(half),
            plasticity.open_result(plasticity.run(scaled, out / "scaled.h5")))


def test_new_synapses_at_half_weight_transmit_as_halved_conductances(pair):
    half, scaled = pair
    first = []
    for result in (half, scaled):
        ids, times_ms = result.spikes("exc")
        window = times_ms < 600.0  # the first window, before any clinical update
        first.append((ids[window], times_ms[window]))
    assert len(first[0][0]) > 50
    np.testing.assert_array_equal(first[0][0], first[1][0])
    np.testing.assert_array_equal(first[0][1], first[1][1])


def test_the_clock_sets_each_candidates_weight_from_its_new_synapses(pair, tmp_path):
    half, scaled = pair
    assert "weight_exc_to_exc" not in scaled.series("clinical")  # new_weight 1: no weights
    # a mix of new and stable synapses: 30 % of new ones eliminated, the rest stabilise
    mixed = small_config(*CLOCK, TURNOVER.format(w=0.5).replace(
        "new_eliminated_fraction: 1.0", "new_eliminated_fraction: 0.3"))
    result = plasticity.open_result(plasticity.run(mixed, tmp_path / "mixed.h5"))
    clinical = result.series("clinical")
    n_syn = clinical["n_syn_exc_to_exc"].values
    n_new = clinical["n_new_exc_to_exc"].values
    weight = clinical["weight_exc_to_exc"].values
    assert np.all(n_new > 0) and np.all(n_new < n_syn)
    np.testing.assert_allclose(weight, n_syn - 0.5 * n_new, rtol=0, atol=1e-9)
    state = result.final_state()
    nsyn, nnew = state["nsyn/exc_to_exc"], state["nnew/exc_to_exc"]
    np.testing.assert_allclose(state["efficacy/exc_to_exc"], nsyn - 0.5 * nnew, atol=1e-12)
    # a stable synapse weighs 1, a new one 0.5: the summed weight of the last update
    assert state["efficacy/exc_to_exc"].sum() == pytest.approx(weight[-1])
    # the engine reads the weights of a state it starts from: every candidate at half its
    # count is the network with halved conductances, spike for spike
    halved = dict(state, **{"efficacy/exc_to_exc": 0.5 * nsyn.astype(float)})
    one = ["timeline.end=2 h"]
    runs = [plasticity.run(small_config(*CLOCK, *one, TURNOVER.format(w=0.5)),
                           tmp_path / "halved.h5", initial_state=halved),
            plasticity.run(small_config(*CLOCK, *one, TURNOVER.format(w=1.0), *_HALF_G),
                           tmp_path / "scaled_g.h5", initial_state=state)]
    spikes = [plasticity.open_result(path).spikes("exc") for path in runs]
    assert len(spikes[0][0]) > 50
    for a, b in zip(spikes[0], spikes[1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_new_weight_below_one_needs_the_clinical_clock():
    with pytest.raises(ConfigError, match="new_weight"):
        small_config("structural.enabled=true", "synapses.nmda_gating=event",
                     "structural.turnover.new_weight=0.5")
    with pytest.raises(ConfigError, match="new_weight"):
        small_config(*CLOCK, TURNOVER.format(w=0.0))


def test_steady_new_share_is_the_time_as_new_over_the_lifetime():
    """Closed form written out for the baseline's rates (configs/baseline.yaml): k_x = 1
    /day, a = 0.408, k_s = 0.0274 /day: new for 1 day of an expected 1 + 0.592/0.0274 =
    22.61 days."""
    config = plasticity.load_config("configs/baseline.yaml")
    turnover = config.structural.turnover
    assert turnover.steady_new_share() == pytest.approx(1.0 / (1.0 + 0.592 / 0.0274), rel=1e-9)
    off = small_config(*CLOCK, "structural.turnover.new_exit_rate=1 /day")
    assert off.structural.turnover.steady_new_share() == 0.0  # 'frees': clock starts stable


def test_a_state_without_weights_gets_them_from_its_new_synapses():
    """A settled state of a run whose weights did not follow maturity: efficacy from its
    counts of new synapses, nsyn - (1 - w) nnew, else the steady-state mean weight; and a
    cell's AMPA scale of 1 where scaling is on."""
    from plasticity.model.structural import completed_state

    config = small_config(*CLOCK, TURNOVER.format(w=0.5).replace(
        "new_eliminated_fraction: 1.0", "new_eliminated_fraction: 0.3"))
    nsyn, nnew = np.array([0, 1, 3, 2]), np.array([0, 1, 1, 0])
    out = completed_state(config, {"nsyn/exc_to_exc": nsyn, "nnew/exc_to_exc": nnew})
    np.testing.assert_allclose(out["efficacy/exc_to_exc"], [0.0, 0.5, 2.5, 2.0])
    # steady share of new synapses with k_x = 2, a = 0.3, k_s = 0.5 /day: 0.5/(0.5 + 1.4)
    share = 0.5 / (0.5 + 0.7 / 0.5)
    out = completed_state(config, {"nsyn/exc_to_exc": nsyn})
    np.testing.assert_allclose(out["efficacy/exc_to_exc"], nsyn * (1 - 0.5 * share))
    scaled = small_config(*CLOCK, "scaling.enabled=true", "scaling.block_at_rest=false",
                          "scaling.firing_rate=true")
    out = completed_state(scaled, {"nsyn/exc_to_exc": nsyn, "Ca/exc": np.zeros(3)})
    np.testing.assert_array_equal(out["ampa_scale/exc"], np.ones(3))
    assert "efficacy/exc_to_exc" not in out  # new_weight 1 there

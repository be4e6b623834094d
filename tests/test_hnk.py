"""(2R,6R)-hydroxynorketamine acting through AMPA receptors (hypothesis 'hnk_ampa').

The metabolite compartments are checked against closed forms in
tests/test_pk.py; here, what the network does with them: no NMDA pathway is
blocked under the preset, each segment's AMPA weights are multiplied by
``1 + max_increase C / (C + ec50)`` at the segment's mean HNK (written out
below), and a segment before the dose runs exactly as without HNK.
"""

from __future__ import annotations

import numpy as np
import pytest

import plasticity
from plasticity.errors import ConfigError
from tests.conftest import small_config

PROTOCOL = ["pharmacology.protocol={infusions: [{start: 0 min, dose: 0.5 mg/kg, "
            "duration: 40 min}], metabolites: {}}",
            "timeline.mode=windows", "timeline.windows=[-1 h, 12 h]"]


def test_hnk_ampa_blocks_no_nmda_pathway_and_needs_the_metabolites():
    config = small_config("pharmacology.hypothesis=hnk_ampa", *PROTOCOL)
    assert not any(r.blocked for r in config.pharmacology.resolved_receptors().values())
    assert config.pharmacology.hnk_acts
    with pytest.raises(ConfigError, match="protocol.metabolites"):
        small_config("pharmacology.hypothesis=hnk_ampa")
    with pytest.raises(ConfigError, match="hnk_action.enabled"):
        small_config("pharmacology.hnk_action.enabled=true",
                     "pharmacology.protocol={infusions: [{dose: 0.5 mg/kg}]}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("hnk")
    # a tiny ec50 makes the clinical HNK (about 0.06 uM at 12 h) act near its maximum; on
    # E->E only, so that the excitation it adds is not offset by more inhibition
    acting = small_config("pharmacology.hypothesis=hnk_ampa", *PROTOCOL,
                          "pharmacology.hnk_action.ec50=0.001 uM",
                          "pharmacology.hnk_action.pathways=[exc_to_exc]")
    inert = small_config("pharmacology.hypothesis=hnk_ampa", *PROTOCOL,
                         "pharmacology.hnk_action.max_increase=0")
    results = [plasticity.open_result(plasticity.run(c, out / f"{k}.h5"))
               for k, c in enumerate((acting, inert))]
    # the inert run with the E->E AMPA weight set by hand to what HNK makes of it at 12 h
    hnk = float(results[0].series("timeline")["hnk_uM"].values[1])
    g = float(inert.synapses.exc_to_exc.g_ampa) * (1.0 + 0.4 * hnk / (hnk + 0.001))
    by_hand = small_config("pharmacology.hypothesis=hnk_ampa", *PROTOCOL,
                           "pharmacology.hnk_action.max_increase=0",
                           f"synapses.exc_to_exc.g_ampa={g * 1e9!r} nS")
    results.append(plasticity.open_result(plasticity.run(by_hand, out / "by_hand.h5")))
    return results


def test_hnk_potentiates_ampa_weights_at_its_segment_mean(runs):
    acting, inert, by_hand = runs
    timeline = acting.series("timeline")
    hnk = timeline["hnk_uM"].values
    assert hnk[0] == 0.0 and 0.01 < hnk[1] < 0.2  # none before the dose; clinical order
    np.testing.assert_allclose(timeline["hnk_ampa_factor"].values,
                               1.0 + 0.4 * hnk / (hnk + 0.001), rtol=1e-12)
    np.testing.assert_array_equal(inert.series("timeline")["hnk_ampa_factor"].values, 1.0)
    # before the dose the two runs are the same run, spike for spike
    duration_ms = float(small_config().simulation.duration) * 1e3
    ids_a, t_a = acting.spikes("exc")
    ids_i, t_i = inert.spikes("exc")
    first_a, first_i = t_a < duration_ms, t_i < duration_ms
    np.testing.assert_array_equal(t_a[first_a], t_i[first_i])
    np.testing.assert_array_equal(ids_a[first_a], ids_i[first_i])
    # at 12 h the run is the one with the E->E AMPA weight set by hand
    ids_h, t_h = by_hand.spikes("exc")
    second_a, second_h = t_a >= duration_ms, t_h >= duration_ms
    assert second_a.sum() > 50
    np.testing.assert_array_equal(t_a[second_a], t_h[second_h])
    np.testing.assert_array_equal(ids_a[second_a], ids_h[second_h])
    # and not the inert one
    assert not np.array_equal(t_a[second_a], t_i[t_i >= duration_ms])

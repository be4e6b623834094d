"""Butz & van Ooyen (2013), PLoS Comput Biol 9:e1003259: rewiring after a lesion of the input.

Target T5 of ../shared/reference/science.md (section 1.5), on
configs/butz_van_ooyen_2013.yaml: the reduced network of Gallinaro & Rotter
with gaussian growth curves, eta_dendrite < eta_axon (RELeARN's ratios), E->E
grown from empty for 40 s, then the first 20 % of E cells (D) lose 20 % of
their drive until 150 s. Directions of T5, thresholds fixed before the run:

(a) 5 s after the lesion D's connected dendritic elements (incoming synapses)
    have risen by more than half and its axonal ones (outgoing) fallen by
    more than 30 %;
(b) the other E cells' (N) axonal elements rise by more than 20 % after the
    lesion, then are pruned by at least 10 % of that overshoot by the end;
(c) D's rate drops (below 70 % of its pre-lesion rate) and recovers to within
    10 % of it over the last 30 s.

Measured with seed 1: (a) 29.9 -> 60.0 and 28.1 -> 13.5; (b) N's axons 33.4 ->
48.2 (+44 %) at 65 s, then 47.3 at 150 s: pruned by 6 % of the overshoot, a
miss kept as a strict expected failure (the deprived group's own axons do
overshoot and prune: 13.5 -> 45 -> 40); (c) 36.6 Hz -> 15.5 Hz -> 35.6 Hz.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import plasticity
from plasticity.studies.deafferentation import measure_lesion

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.science]


@pytest.fixture(scope="module")
def lesion(tmp_path_factory):
    config = plasticity.load_config(ROOT / "configs/butz_van_ooyen_2013.yaml")
    path = plasticity.run(config, tmp_path_factory.mktemp("bvo") / "bvo.h5")
    return measure_lesion(plasticity.open_result(path), config), config


def test_deprived_cells_grow_dendrites_and_retract_axons(lesion):
    readout, _ = lesion
    t = readout.t_lesion_s
    assert readout.value("in_D", t + 5) > 1.5 * readout.value("in_D", t - 1)
    assert readout.value("out_D", t + 5) < 0.7 * readout.value("out_D", t - 1)


def test_neighbour_axons_grow_into_the_deprived_group(lesion):
    readout, _ = lesion
    peak, _ = readout.peak_after_lesion("out_N")
    assert peak > 1.2 * readout.value("out_N", readout.t_lesion_s - 1)


@pytest.mark.xfail(strict=True, reason="measured miss: N's axons are pruned by 6 % of their "
                   "overshoot over 85 s (T5 expects pruning); see the module docstring")
def test_neighbour_axons_are_pruned_after_the_overshoot(lesion):
    readout, config = lesion
    before = readout.value("out_N", readout.t_lesion_s - 1)
    peak, _ = readout.peak_after_lesion("out_N")
    end = readout.value("out_N", float(config.simulation.duration))
    assert peak - end >= 0.1 * (peak - before)


def test_deprived_rate_drops_and_recovers(lesion):
    readout, config = lesion
    t, end = readout.t_lesion_s, float(config.simulation.duration)
    pre = readout.mean_rate("D", t - 15, t)
    assert readout.rate_d_hz.min() < 0.7 * pre
    assert readout.mean_rate("D", end - 30, end) == pytest.approx(pre, rel=0.10)

"""Gallinaro & Rotter (2018), Sci Rep 8:3754: an assembly from homeostatic rewiring.

Target T4 of ../shared/reference/science.md (section 1.6): the reduced network
of the authors' script (configs/gallinaro_rotter_2018.yaml; its set point is
the rate of the static network, measured by experiments/Gallinaro_Rotter_2018.py)
run through the whole protocol: growth 0-20 s, stimulus on the first 10 % of
E cells 20-40 s, then 60 s without it.

(a) after growth, p(E->E) is about 0.10 (by construction of the set point);
(b) during the stimulus p(S->S) and p(R->S) fall;
(c) after it p(S->S) clearly exceeds p(E->E): ratio at least 1.3 (T4);
(d) the excess decays slowly: still at least 1.3 at the end, 60 s after a
    stimulus of 20 s.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import plasticity
from plasticity.analysis.connectivity import block_probability, group_connectivity

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def assembly(tmp_path_factory):
    config = plasticity.load_config(ROOT / "configs/gallinaro_rotter_2018.yaml")
    path = plasticity.run(config, tmp_path_factory.mktemp("gr") / "gr.h5")
    groups = {"S": np.arange(40), "R": np.arange(40, 400), "E": np.arange(400)}
    conn = group_connectivity(plasticity.open_result(path), "exc_to_exc", groups)
    t_s = conn["time"].values / 1000.0
    return {name: conn[name].values for name in conn.data_vars}, t_s


def _at(t_s, t):
    return int(np.argmin(np.abs(t_s - t)))


@pytest.mark.slow
@pytest.mark.science
def test_growth_reaches_the_static_connectivity(assembly):
    p, t_s = assembly
    assert 0.08 < p["p_E_to_E"][_at(t_s, 20)] < 0.13


@pytest.mark.slow
@pytest.mark.science
def test_stimulated_group_prunes_its_inputs(assembly):
    p, t_s = assembly
    assert p["p_S_to_S"][_at(t_s, 40)] < 0.5 * p["p_S_to_S"][_at(t_s, 20)]
    assert p["p_R_to_S"][_at(t_s, 40)] < 0.7 * p["p_R_to_S"][_at(t_s, 20)]


@pytest.mark.slow
@pytest.mark.science
def test_assembly_forms_after_the_stimulus_and_decays_slowly(assembly):
    p, t_s = assembly
    ratio = p["p_S_to_S"] / p["p_E_to_E"]
    after = (t_s > 40) & (t_s <= 60)
    assert ratio[after].max() >= 1.3
    assert ratio[-1] >= 1.3
    assert ratio[-1] < ratio[after].max()  # decaying, not growing


@pytest.mark.slow
@pytest.mark.science
def test_static_network_rates_match_nest(tmp_path):
    """NEST's iaf_psc_delta, cross-checked: the static network's rates against NEST 3.10.

    tests/data/nest_gr_static.npz holds five NEST seeds of the same network
    (experiments/reference/nest_iaf_psc_delta_static.py): E 38.7-40.4 Hz,
    I 38.8-40.3 Hz. Our rates must lie within 5 % of NEST's mean.
    """
    config = plasticity.load_config(
        ROOT / "configs/gallinaro_rotter_2018.yaml",
        ["structural.enabled=false", "stimulation=[]", "simulation.duration=10 s"],
    )
    summary = plasticity.open_result(plasticity.run(config, tmp_path / "static.h5")).summary
    with np.load(ROOT / "tests/data/nest_gr_static.npz") as nest:
        assert summary["exc_rate_hz"] == pytest.approx(nest["rate_e"].mean(), rel=0.05)
        assert summary["pv_rate_hz"] == pytest.approx(nest["rate_i"].mean(), rel=0.05)


def test_block_probability_counts_multapses_and_leaves_out_self_pairs():
    edges = np.array([[0, 1, 2], [1, 0, 1], [2, 3, 1], [3, 3, 1]])
    # group {0, 1}: 2 possible pairs without autapses, 3 synapses
    assert block_probability(edges, [0, 1], [0, 1]) == 1.5
    assert block_probability(edges, [0, 1], [0, 1], autapses=True) == 0.75
    assert block_probability(edges, [2, 3], [3]) == 1.0  # (3, 3) is not a possible pair
    with pytest.raises(ValueError, match="no possible pair"):
        block_probability(edges, [3], [3])


def test_group_degrees_count_in_and_out_synapses_per_cell(tmp_path):
    """Mean incoming / outgoing synapses per cell of each group, multapses counted."""
    from plasticity.analysis import group_degrees
    from plasticity.storage import write_result

    # snapshot 0: 0->1 (x2), 1->2, 2->0;  snapshot 1: 0->1, 0->2 (x3)
    snaps = (np.array([1000.0, 2000.0]),
             [np.array([[0, 1, 2], [1, 2, 1], [2, 0, 1]]), np.array([[0, 1, 1], [0, 2, 3]])])
    path = write_result(tmp_path / "r.h5", spikes=[], series=[], summary={}, provenance={},
                        config_yaml="name: x\n", snapshots={"exc_to_exc": snaps})
    deg = group_degrees(plasticity.open_result(path), "exc_to_exc",
                        {"A": np.array([0]), "B": np.array([1, 2])})
    assert list(deg["time"].values) == [1000.0, 2000.0]
    # snapshot 0: A={0} receives 1 (from 2), sends 2; B={1,2} receive 3 in all, send 2
    assert list(deg["in_A"].values) == [1.0, 0.0]
    assert list(deg["out_A"].values) == [2.0, 4.0]
    assert list(deg["in_B"].values) == [1.5, 2.0]
    assert list(deg["out_B"].values) == [1.0, 0.0]

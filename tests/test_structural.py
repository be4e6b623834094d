"""Structural plasticity in compiled code, checked against the numpy oracle.

The compiled update (plasticity/model/sp_engine.cpp) is random, so the test
checks what is exact and compares what is random with the oracle's range
(plasticity.model.rewiring_oracle; NEST semantics in
docs/notes/nest_structural_plasticity_semantics.md):

- no element holds more synapses than floor(z) right after an update (a
  presynaptic excess may remain only onto cells without elements, as in NEST);
- synapse counts are conserved: n_after = n_before - deleted + created;
- with every pair a candidate and multapses allowed, creation pairs until
  one side has no vacant element left.

The random parts are compared with the oracle in distribution in
tests/test_sp_engine.py, on the engine's C++ compiled on its own.
"""

from __future__ import annotations

import brian2 as b2
import numpy as np
import pytest

from plasticity.config import load_config
from plasticity.errors import ConfigError
from plasticity.model.network import build_network
from plasticity.simulation.simulate import _collect
from tests.conftest import small_config, standalone_device

SP = [
    "structural.enabled=true",
    "synapses.nmda_gating=event",
    "structural.update_interval=20 ms",
    "structural.snapshot_interval=20 ms",
    "structural.tau_ca=100 ms",
    "structural.elements.exc.axon={curve: linear, growth_rate: 0.5 /ms, eps: 0.004}",
    "structural.elements.exc.den_exc={curve: linear, growth_rate: 0.5 /ms, eps: 0.004}",
    "seed=4",
]


@pytest.fixture(scope="module")
def sp_run(tmp_path_factory):
    """A compiled run with per-neuron elements recorded just before each update."""
    config = small_config(*SP)
    with standalone_device():
        built = build_network(config)
        exc = built.groups["exc"]
        before = b2.StateMonitor(exc, ["z_axon", "z_den_exc"], record=True,
                                 dt=config.structural.update_interval, when="synapses", order=5,
                                 name="test_z_before")
        after = b2.StateMonitor(exc, ["z_axon", "z_den_exc"], record=True,
                                dt=config.structural.update_interval, when="synapses",
                                order=15, name="test_z_after")
        built.network.add(before, after)
        built.network.run(config.simulation.duration, namespace={})
        directory = tmp_path_factory.mktemp("sp")
        b2.device.build(directory=str(directory), compile=True, run=True,
                        with_output=False, run_args=built.inputs)
        data = _collect(config, built, {}, None, np.zeros(1), directory / "results")
        z_before = {"axon": np.array(before.z_axon).T, "den": np.array(before.z_den_exc).T,
                    "axon_after": np.array(after.z_axon).T,
                    "den_after": np.array(after.z_den_exc).T}
    return config, data, z_before


def test_updates_both_form_and_eliminate(sp_run):
    _, data, _ = sp_run
    st = data.structure
    assert np.allclose(np.diff(st["time_ms"]), 20.0) and len(st["time_ms"]) == 15
    assert st["created_exc_to_exc"].sum() > 50 and st["deleted_exc_to_exc"].sum() > 50


def test_counts_are_conserved(sp_run):
    _, data, _ = sp_run
    st = data.structure
    n = st["n_syn_exc_to_exc"]
    assert np.array_equal(n[1:], n[:-1] - st["deleted_exc_to_exc"][1:]
                          + st["created_exc_to_exc"][1:])
    times, edges = data.snapshots["exc_to_exc"]
    assert np.allclose(times, st["time_ms"])
    assert [int(e[:, 2].sum()) for e in edges] == n.astype(int).tolist()
    assert data.n_synapses["exc_to_exc"] == edges[-1][:, 2].sum()
    assert all(np.all(e[:, 2] > 0) for e in edges)  # only present synapses are listed


def _connected(edges, n):
    return (np.bincount(edges[:, 0], weights=edges[:, 2], minlength=n),
            np.bincount(edges[:, 1], weights=edges[:, 2], minlength=n))


def test_no_element_over_connected_and_creation_exhausts_one_side(sp_run):
    _, data, z_before = sp_run
    _, edges = data.snapshots["exc_to_exc"]
    # (the first update, at t = 0, first sets z = z0 + connected: start at the second)
    for k in range(1, len(edges)):
        out_deg, in_deg = _connected(edges[k], 80)
        # z right after the update: deletion may raise it (NEST's connect(-1)) and
        # vacant decay lowers it only where elements stayed free
        vac_axon = np.floor(z_before["axon_after"][k]) - out_deg
        vac_den = np.floor(z_before["den_after"][k]) - in_deg
        assert np.all(vac_den >= 0), k  # post side: every incoming synapse is a candidate
        # pre side: NEST only deletes onto targets that have elements, so an
        # excess may remain only where every remaining synapse targets a cell
        # without dendritic elements
        for i in np.flatnonzero(vac_axon < 0):
            targets = edges[k][edges[k][:, 0] == i, 1]
            assert np.all(z_before["den"][k][targets] == 0.0), (k, i)
        assert min(np.maximum(vac_axon, 0).sum(), vac_den.sum()) == 0, k


def test_structural_plasticity_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="nmda_gating 'event'"):
        load_config(None, ["structural.enabled=true"])
    with pytest.raises(ConfigError, match=r"structural.elements.pv.den_exc is missing"):
        load_config(None, ["structural.enabled=true", "synapses.nmda_gating=event",
                           "structural.pathways=[exc_to_exc, exc_to_pv]"])
    with pytest.raises(ConfigError, match="pv_to_pv must be plastic too"):
        load_config(None, ["structural.enabled=true",
                           "structural.pathways=[pv_to_exc, sst_to_pv]",
                           "structural.elements.pv={axon: {}, den_inh: {}}",
                           "structural.elements.sst={axon: {}}",
                           "structural.elements.exc={den_inh: {}}"])
    with pytest.raises(ConfigError, match="whole multiple of update_interval"):
        load_config(None, ["structural.update_interval=100 ms",
                           "structural.snapshot_interval=150 ms"])
    with pytest.raises(ConfigError, match="eps > eta"):
        load_config(None, ["structural.elements.exc.axon={eps: 0.1, eta: 0.2}"])


@pytest.mark.smoke
def test_run_writes_connectivity_series_and_snapshots(tmp_path):
    """End to end: formation and elimination counts per update and edge lists
    in the result file, consistent with each other and with the summary."""
    import plasticity

    config = small_config(*SP, "structural.snapshot_interval=100 ms")
    result = plasticity.open_result(plasticity.run(config, tmp_path / "sp.h5"))
    conn = result.series("connectivity")
    assert conn["time"].attrs["units"] == "ms"
    n = conn["n_syn_exc_to_exc"].values
    assert np.array_equal(n[1:], n[:-1] - conn["deleted_exc_to_exc"].values[1:]
                          + conn["created_exc_to_exc"].values[1:])
    assert result.snapshot_pathways == ["exc_to_exc"]
    times = [result.snapshot("exc_to_exc", k)[0] for k in range(3)]
    assert times == [0.0, 100.0, 200.0]
    t, edges = result.snapshot("exc_to_exc", 1)
    assert edges[:, 2].sum() == n[list(conn["time"].values).index(t)]
    assert edges[:, :2].max() < 80
    summary = result.summary
    assert summary["sp_created_exc_to_exc"] == conn["created_exc_to_exc"].values.sum()
    state = result.series("state")
    assert "ca_mean_exc" in state and "z_axon_mean_exc" in state
    with pytest.raises(plasticity.storage.MissingEntryError, match="3 snapshots"):
        result.snapshot("exc_to_exc", 3)


def test_structural_needs_standalone_and_no_gaps_in_time():
    with pytest.raises(ConfigError, match="cpp_standalone"):
        small_config(*SP, "simulation.device=runtime")
    with pytest.raises(ConfigError, match="'windows' timeline"):
        small_config(*SP, "timeline={mode: windows, windows: [0 s, 1 h]}")


def test_kinetic_block_on_plastic_synapses_sees_their_mean_open_fraction(tmp_path):
    """The use-dependent block of plastic E->E synapses is fed by their mean gating.

    With event-driven gating the dendritic NMDA conductance is w times the
    sum of the synapses' gating variables, so o = g / (w conn_den_exc) must
    equal the mean over the actual synapses (multiplicity counted) of the
    presynaptic gating s_nmda, up to the spikes of the last delay (1 ms), once
    the synapses have existed for a while: a synapse formed at time t0
    delivers only the jumps after t0, so its receptors open over the next
    tau_decay (as a new synapse's would). Here the synapses are the initial
    connectivity (formed before any spike) and elements do not grow, so none
    is formed or deleted later.
    """
    frozen = "{curve: linear, growth_rate: 0 /ms, eps: 1.0, z0: 0.0}"
    config = small_config(
        *SP, f"structural.elements.exc.axon={frozen}",
        f"structural.elements.exc.den_exc={frozen}", "structural.initial=pathway",
        "pharmacology.block_model=kinetic", "pharmacology.ketamine_uM=5.0",
    )
    with standalone_device():
        built = build_network(config)
        built.network.run(config.simulation.duration, namespace={})
        b2.device.build(directory=str(tmp_path), compile=True, run=True, with_output=False,
                        run_args=built.inputs)
        exc, pool = built.groups["exc"], built.synapses["exc_to_exc"]
        o = np.array(exc.o_nmda_d[:])
        s_pre = np.array(exc.s_nmda[:])
        bket = np.array(exc.bket_d[:])
        pre, post, nsyn = np.array(pool.i[:]), np.array(pool.j[:]), np.array(pool.nsyn[:])
        conn = np.array(exc.conn_den_exc[:])
    n_post = np.bincount(post, weights=nsyn, minlength=len(o))
    assert np.array_equal(n_post, conn) and conn.min() > 2
    mean_s = np.bincount(post, weights=nsyn * s_pre[pre], minlength=len(o)) / n_post
    assert np.mean(o) == pytest.approx(np.mean(mean_s), rel=0.05)
    assert 0.0 < np.mean(bket) < 1.0

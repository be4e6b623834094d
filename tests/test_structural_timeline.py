"""Structural plasticity over a compressed timeline: synapses carried from segment to segment.

Each segment of a timeline is a separate run of one compiled program; with
structural plasticity every segment must go on from the synapses, synaptic
elements and calcium the previous one ended with, and growth (given in
clinical time) must run ``compression`` times faster in network time.
"""

from __future__ import annotations

import brian2 as b2
import numpy as np
import pytest

import plasticity
import plasticity.simulation.experiment as experiment
from plasticity.model.structural import element_values
from plasticity.simulation.experiment import parts_dir
from tests.conftest import small_config
from tests.test_structural import SP

# three 300 ms segments, each standing for 600 ms of clinical time
TIMELINE = "timeline={mode: compressed, start: 0 s, end: 1.8 s, compression: 2 s}"


@pytest.fixture(scope="module")
def carried(tmp_path_factory):
    config = small_config(*SP, TIMELINE)
    path = plasticity.run(config, tmp_path_factory.mktemp("carry") / "carry.h5")
    return config, plasticity.open_result(path)


def test_synapse_counts_run_on_across_segments(carried):
    """n after every update = n before - deleted + created, across segment borders too."""
    _, result = carried
    conn = result.series("connectivity")
    n = conn["n_syn_exc_to_exc"].values
    created = conn["created_exc_to_exc"].values
    deleted = conn["deleted_exc_to_exc"].values
    time_ms = conn["time"].values
    assert len(time_ms) == 45 and np.allclose(np.diff(time_ms), 20.0)
    assert np.array_equal(n[1:], n[:-1] - deleted[1:] + created[1:])
    # the second and third segments start with the synapses grown before
    for start in (15, 30):
        assert n[start - 1] > 50
        assert n[start] - created[start] + deleted[start] == n[start - 1]


def test_snapshots_of_every_segment_on_one_time_axis(carried):
    _, result = carried
    times = [result.snapshot("exc_to_exc", k)[0] for k in range(45)]
    assert np.allclose(times, 20.0 * np.arange(45))  # every update, in three segments
    conn = result.series("connectivity")
    t, edges = result.snapshot("exc_to_exc", 31)
    index = list(conn["time"].values).index(t)
    assert edges[:, 2].sum() == conn["n_syn_exc_to_exc"].values[index]


def test_growth_scale_is_the_compression_and_recorded(carried):
    config, result = carried
    timeline = result.series("timeline")
    assert np.all(timeline["growth_scale"].values == 2.0)
    assert result.provenance["structural_growth_scale"] == 2.0
    # the rule (docs/MODEL.md, element_values): growth rates are clinical-time
    # rates, multiplied by the compression c = clinical s per network s; here
    # TIMELINE's "compression: 2 s" and SP's "growth_rate: 0.5 /ms", so in
    # network time nu = 0.5 /ms * 2 = 1 /ms = 1000 Hz for both exc elements
    compression = 2.0  # 2 s of clinical time per 1 s of network time
    nu_network_hz = 0.5 * 1000.0 * compression
    scaled = element_values(config, "exc", growth_scale=compression)
    assert float(scaled["nu_axon"] / b2.Hz) == pytest.approx(nu_network_hz, rel=1e-12)
    assert float(scaled["nu_den_exc"] / b2.Hz) == pytest.approx(nu_network_hz, rel=1e-12)
    # the calcium sensor runs in network time: tau_Ca stays SP's 100 ms
    assert float(scaled["tau_ca"] / b2.ms) == pytest.approx(100.0, rel=1e-12)
    # set points and start values are not rates: unscaled (SP: eps 0.004, z0 0)
    assert scaled["eps_axon"] == 0.004 and scaled["z0_axon"] == 0.0


@pytest.mark.slow
def test_resumed_experiment_continues_from_checkpointed_synapses(carried, tmp_path,
                                                                 monkeypatch):
    """Killed after its first segment, the experiment resumes from that segment's state."""
    config, full = carried
    path = tmp_path / "resumed.h5"
    real = experiment.simulate_many

    def crash_after_first(configs, **kwargs):
        keep = kwargs["on_result"]

        def once(index, data):
            keep(index, data)
            raise KeyboardInterrupt("killed after the first segment")

        return real(configs, **{**kwargs, "on_result": once})

    monkeypatch.setattr(experiment, "simulate_many", crash_after_first)
    with pytest.raises(KeyboardInterrupt):
        plasticity.run(config, path)
    assert sorted(p.name for p in parts_dir(path).iterdir()) == ["segment_00000.h5"]
    monkeypatch.setattr(experiment, "simulate_many", real)
    resumed = plasticity.open_result(plasticity.run(config, path))
    assert resumed.provenance["resumed_segments"] == 1
    for name in ("n_syn_exc_to_exc", "created_exc_to_exc", "deleted_exc_to_exc"):
        assert np.array_equal(resumed.series("connectivity")[name].values,
                              full.series("connectivity")[name].values)
    ids, times = resumed.spikes("exc")
    ref_ids, ref_times = full.spikes("exc")
    assert np.array_equal(ids, ref_ids) and np.allclose(times, ref_times)

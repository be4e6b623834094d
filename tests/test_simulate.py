"""Integration: a small network end to end, read back with h5py, libsonata, xarray."""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr
import yaml

import plasticity
from plasticity.model.layout import build_key
from plasticity.pharmacology.block import ketamine_block
from plasticity.simulation.simulate import build_root, simulate, simulate_many

from .conftest import small_config

pytestmark = pytest.mark.smoke


def test_result_file_has_sonata_spikes(small_result):
    with h5py.File(small_result, "r") as f:
        assert f.attrs["magic"] == 0x0A7A
        assert list(f.attrs["version"]) == [0, 1]
        assert f.attrs["plasticity_schema_version"] == 1
        assert set(f["spikes"]) == {"exc", "pv", "sst"}
        for pop, n in (("exc", 80), ("pv", 16), ("sst", 8)):
            g = f["spikes"][pop]
            assert g["timestamps"].dtype == np.float64
            assert g["timestamps"].attrs["units"] == "ms"
            assert g["node_ids"].dtype == np.uint64
            assert h5py.check_enum_dtype(g.attrs.get_id("sorting").dtype) == {
                "none": 0, "by_id": 1, "by_time": 2,
            }
            assert g.attrs["n_nodes"] == n
            ts = g["timestamps"][:]
            assert np.all(np.diff(ts) >= 0)
            assert np.all(g["node_ids"][:] < n)
            # every population fires (SST the least, ~20 spikes), within the run's 300 ms
            assert len(ts) > 5, pop
            assert ts[0] >= 0.0 and ts[-1] < 300.0, pop


def test_libsonata_reads_spikes(small_result):
    libsonata = pytest.importorskip("libsonata")
    reader = libsonata.SpikeReader(str(small_result))
    assert set(reader.get_population_names()) == {"exc", "pv", "sst"}
    exc = reader["exc"]
    assert exc.sorting == "by_time"
    assert exc.time_units == "ms"
    ids, times = plasticity.open_result(small_result).spikes("exc")
    got = exc.get()
    assert len(got) == len(ids) > 0
    assert np.allclose(sorted(t for _, t in got), np.sort(times))


def test_series_open_in_xarray_with_units(small_result):
    ds = xr.open_dataset(small_result, group="series/state", engine="h5netcdf")
    assert "time" in ds.dims
    assert ds["time"].attrs["units"] == "ms"
    for var in ("v_mean_exc", "v_d_mean_exc", "nmda_block_exc_to_exc", "nmda_block_exc_to_pv",
                "lfp_proxy", "ketamine_conc"):
        assert var in ds, var
        assert "units" in ds[var].attrs
    assert ds["v_mean_exc"].attrs["units"] == "mV"
    assert ds.sizes["time"] == 300  # 300 ms at 1 ms
    rates = xr.open_dataset(small_result, group="series/rates", engine="h5netcdf")
    assert rates["rate_exc"].attrs["units"] == "Hz"


def test_provenance_and_summary(small_result):
    result = plasticity.open_result(small_result)
    prov = result.provenance
    for key in ("plasticity_version", "brian2_version", "numpy_version", "h5py_version",
                "git_commit", "seed", "device", "codegen_target", "wall_time_s", "host"):
        assert key in prov, key
    assert prov["seed"] == 7
    assert prov["device"] == "cpp_standalone"
    config = yaml.safe_load(result.config_yaml)
    assert config["seed"] == 7
    assert config["pharmacology"]["ketamine_uM"] == 2.0
    assert plasticity.load_config(config).seed == 7  # the stored config re-validates
    summary = result.summary
    for key in ("exc_rate_hz", "pv_rate_hz", "sst_rate_hz", "exc_cv_isi", "lfp_gamma_fraction",
                "nmda_block_exc_to_exc", "n_syn_exc_to_exc"):
        assert key in summary, key
    assert result.summary_units["exc_rate_hz"] == "Hz"
    # the small driven network is active but not runaway (about 50 Hz E and PV, 8 Hz SST)
    assert 5.0 < summary["exc_rate_hz"] < 120.0
    assert 5.0 < summary["pv_rate_hz"] < 200.0
    assert 0.5 < summary["sst_rate_hz"] < 100.0
    # connection counts are binomial around p * n_pre * n_post (i != j for E->E)
    expected = 0.1 * 80 * 79
    assert abs(summary["n_syn_exc_to_exc"] - expected) < 5 * np.sqrt(expected)


def test_hill_block_trace_follows_concentration(tmp_path):
    """With the Hill model the stored block equals C^n/(C^n + IC50^n) (T9 form)."""
    config = small_config("pharmacology.ketamine_uM=1.0", "pharmacology.block_model=hill")
    result = plasticity.open_result(plasticity.run(config, tmp_path / "hill.h5"))
    ds = result.series("state")
    conc = ds["ketamine_conc"].values
    for pathway, ic50 in (("exc_to_exc", 5.2), ("exc_to_pv", 2.95), ("exc_to_sst", 1.18)):
        expected = ketamine_block(conc, ic50, 1.0)
        assert np.allclose(ds[f"nmda_block_{pathway}"].values, expected, rtol=1e-9, atol=1e-12)


def test_woodhull_block_depends_on_voltage(small_result):
    """Woodhull block weakens with depolarisation: PV cells sit above the
    -66 mV reference of the IC50 (reset -55 mV), so their mean block must lie
    below the Hill value at that reference, and stay positive."""
    result = plasticity.open_result(small_result)
    ds = result.series("state")
    late = ds["time"].values >= 50.0
    assert np.all(ds["v_mean_pv"].values[late] > -66.0)
    block = ds["nmda_block_exc_to_pv"].values[late]
    hill = ketamine_block(2.0, 2.95, 1.0)
    assert np.all(block > 0.0)
    assert np.all(block < hill)


def test_same_seed_gives_identical_spikes_and_seed_matters():
    a, b, c = simulate_many([small_config("seed=3"), small_config("seed=3"),
                             small_config("seed=4")])
    for pop in ("exc", "pv", "sst"):
        assert np.array_equal(a.spikes[pop][0], b.spikes[pop][0])
        assert np.array_equal(a.spikes[pop][1], b.spikes[pop][1])
    assert not np.array_equal(a.spikes["exc"][1], c.spikes["exc"][1])


def test_parameters_are_runtime_inputs_no_recompile():
    """Changing values (not structure) reuses the compiled program unchanged."""
    base = small_config()
    first = simulate(base)
    binary = Path(first.build_dir) / "main"
    assert binary.parent.parent == build_root(base)
    mtime = binary.stat().st_mtime_ns
    other = small_config("synapses.exc_to_pv.g_ampa=0.7 nS", "seed=11",
                         "pharmacology.ketamine_uM=5", "network.external.exc.rate=4 Hz")
    assert build_key(other) == build_key(base)
    data = simulate(other)
    assert data.build_dir == first.build_dir
    assert binary.stat().st_mtime_ns == mtime
    assert data.sizes == {"exc": 80, "pv": 16, "sst": 8}


def test_population_can_be_removed(tmp_path):
    """n_sst = 0 and a point-neuron pyramidal cell: the plain E/I network."""
    config = small_config("network.n_sst=0", "network.exc.dendrite=false",
                          "network.exc.C_soma=0.5 nF", "network.exc.g_L_soma=25 nS")
    result = plasticity.open_result(plasticity.run(config, tmp_path / "ei.h5"))
    assert result.populations == ["exc", "pv"]
    assert "v_d_mean_exc" not in result.series("state")
    # the plain E/I network is active, not silent or runaway (about 3 Hz E, 25 Hz PV)
    assert 0.5 < result.summary["exc_rate_hz"] < 50.0
    assert 2.0 < result.summary["pv_rate_hz"] < 200.0


def test_event_nmda_gating_runs(tmp_path):
    config = small_config("synapses.nmda_gating=event")
    result = plasticity.open_result(plasticity.run(config, tmp_path / "event.h5"))
    # event-gated NMDA drives the small network as the default gating does (about 55 Hz)
    assert 5.0 < result.summary["exc_rate_hz"] < 120.0
    assert 5.0 < result.summary["pv_rate_hz"] < 200.0


def test_subnormal_values_are_flushed_to_zero_regression_slow_state_update(tmp_path):
    """Regression: currents stuck in the subnormal range made steps 10x slower.

    A decaying value a few ulps above zero never reaches it (x * exp(-dt/tau)
    rounds back to x), and arithmetic on subnormals is slow. Programs are
    linked with -ffast-math, which flushes them to zero.
    """
    import brian2 as b2

    from tests.conftest import standalone_device

    with standalone_device():
        group = b2.NeuronGroup(3, "dx/dt = -x/(2*ms) : 1", method="exact", name="decay")
        group.x = [1e-320, 5e-323, 1.0]
        net = b2.Network(group)
        net.run(1 * b2.ms, namespace={})
        b2.device.build(directory=str(tmp_path), compile=True, run=True, with_output=False)
        x = np.array(group.x[:])
    assert x[0] == 0.0 and x[1] == 0.0
    assert x[2] == pytest.approx(np.exp(-0.5))


def test_simulation_leaves_the_process_environment_alone_regression_ld_bind_now(monkeypatch):
    """Regression: Brian2 left LD_BIND_NOW=1 in os.environ after a run, and every
    later subprocess inherited it; Slurm's sbatch and sinfo then fail to load
    their plugins, so a sweep submitted after a simulation in one process failed."""
    monkeypatch.delenv("LD_BIND_NOW", raising=False)
    before = dict(os.environ)
    simulate(small_config("seed=12"))
    assert "LD_BIND_NOW" not in os.environ
    assert dict(os.environ) == before

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
    # which concentration drives the block is stored with the result, and in the series
    drive = "free concentration at the receptors (constant pharmacology.ketamine_uM)"
    assert prov["concentration_drive"] == drive
    conc = result.series("state")["ketamine_conc"]
    assert drive in conc.attrs["long_name"]
    assert conc.attrs["units"] == "uM"
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


#: R T / F at 35 C in mV (CODATA 2018: R = 8.314462618 J/(mol K), F = 96485.33212 C/mol).
VT_35C_MV = 8.314462618 * (35.0 + 273.15) / 96485.33212 * 1e3  # 26.554 mV

#: Per pathway of the default hypothesis glun2cd_interneurons: (recorded voltage of the
#: compartment holding the NMDA synapses, K0 in uM, K_Mg0 in mM). K0: ketamine IC50 without
#: Mg2+ at v_ref = -66 mV (Kotermanski & Johnson 2009, J Neurosci 29:2774): GluN2A/B 0.32,
#: GluN2D 0.83, GluN2C 0.51 uM; K_Mg0: Mg2+ dissociation constant at 0 mV, 3.57 mM for
#: GluN2A/B (Jahr & Stevens 1990, J Neurosci 10:3178), 23.4 mM (2D) and 45.6 mM (2C)
#: inferred from Kotermanski & Johnson's IC50s in Mg2+. E->E synapses sit on the dendrite.
PATHWAYS = {
    "exc_to_exc": ("v_d_mean_exc", 0.32, 3.57),
    "exc_to_pv": ("v_mean_pv", 0.83, 23.4),
    "exc_to_sst": ("v_mean_sst", 0.51, 45.6),
}


def _mg_unblocked(v_mV, mg_k0_mM, mg_mM=1.0):
    """B_Mg(V) = 1 / (1 + [Mg]/(K_Mg0 exp(0.062 V/mV))) (Jahr & Stevens 1990)."""
    return 1.0 / (1.0 + mg_mM / (mg_k0_mM * np.exp(0.062 * v_mV)))


def _ic50_in_mg_uM(v_mV, k0_uM, mg_k0_mM, mg_mM=1.0, delta=0.8):
    """IC50_Mg(V) = K0 exp(delta (V + 66 mV)/V_T) / B_Mg(V): ketamine and Mg2+ compete for
    the open channel (plasticity.pharmacology.block), written out."""
    return k0_uM * np.exp(delta * (v_mV + 66.0) / VT_35C_MV) / _mg_unblocked(v_mV, mg_k0_mM, mg_mM)


def test_hill_block_trace_follows_concentration(tmp_path):
    """With the 'hill' model the stored block is C^n/(C^n + IC50_Mg(v_ref)^n), n = 1, the IC50
    in 1 mM Mg2+ held at v_ref = -66 mV: K0 (1 + 1/(K_Mg0 exp(-0.062 * 66)))."""
    config = small_config("pharmacology.ketamine_uM=1.0", "pharmacology.block_model=hill")
    result = plasticity.open_result(plasticity.run(config, tmp_path / "hill.h5"))
    ds = result.series("state")
    conc = ds["ketamine_conc"].values
    assert np.all(conc == 1.0)
    ic50_at_v_ref = {
        "exc_to_exc": 0.32 * (1.0 + 1.0 / (3.57 * np.exp(-0.062 * 66.0))),  # 5.686 uM
        "exc_to_pv": 0.83 * (1.0 + 1.0 / (23.4 * np.exp(-0.062 * 66.0))),  # 2.953 uM
        "exc_to_sst": 0.51 * (1.0 + 1.0 / (45.6 * np.exp(-0.062 * 66.0))),  # 1.1795 uM
    }
    assert ic50_at_v_ref["exc_to_exc"] == pytest.approx(0.32 * 17.767, rel=1e-4)
    for pathway, ic50 in ic50_at_v_ref.items():
        expected = conc / (conc + ic50)
        assert np.allclose(ds[f"nmda_block_{pathway}"].values, expected, rtol=1e-9, atol=1e-12)
    # 1/(1 + 5.686) = 0.150 on E->E, against 1/(1 + 1.1795) = 0.459 on E->SST
    assert ds["nmda_block_exc_to_exc"].values[0] == pytest.approx(0.1496, abs=1e-4)
    assert ds["nmda_block_exc_to_sst"].values[0] == pytest.approx(0.4588, abs=1e-4)


def test_competitive_block_follows_the_recorded_voltage(small_result):
    """Competitive block (default): b = C/(C + IC50_Mg(V)) at the compartment's voltage.
    The recorded block is a mean over cells and the voltage a mean too, so the closed form
    at the mean voltage holds to within the spread of the cells (1 %). In Mg2+ the block of
    the Mg2+-limited current strengthens with depolarisation from v_ref = -66 mV: the
    pyramidal dendrites (GluN2A/B) and the PV cells (GluN2D) sit above -66 mV, so their
    block exceeds the value at v_ref (2/(2 + 5.686) = 0.260 and 2/(2 + 2.953) = 0.404)."""
    result = plasticity.open_result(small_result)
    ds = result.series("state")
    late = ds["time"].values >= 50.0
    conc = ds["ketamine_conc"].values[late]
    assert np.all(conc == 2.0)
    for pathway, (voltage, k0, mg_k0) in PATHWAYS.items():
        v = ds[voltage].values[late]
        block = ds[f"nmda_block_{pathway}"].values[late]
        closed = conc / (conc + _ic50_in_mg_uM(v, k0, mg_k0))
        np.testing.assert_allclose(block, closed, rtol=0.01, err_msg=pathway)
        # the Mg2+ block of the pathway's own subunit: a mean over cells as well (5 %: the
        # dendritic voltage spreads more and B_Mg is steep there)
        np.testing.assert_allclose(ds[f"mg_unblock_{pathway}"].values[late],
                                   _mg_unblocked(v, mg_k0), rtol=0.05, err_msg=pathway)
    for pathway in ("exc_to_exc", "exc_to_pv"):
        voltage, k0, mg_k0 = PATHWAYS[pathway]
        # at v_ref the ketamine factor is 1: IC50_Mg(-66) = K0 (1 + 1/(K_Mg0 exp(-0.062 * 66)))
        at_v_ref = 2.0 / (2.0 + k0 * (1.0 + 1.0 / (mg_k0 * np.exp(-0.062 * 66.0))))
        assert np.all(ds[voltage].values[late] > -66.0), pathway
        block = ds[f"nmda_block_{pathway}"].values[late]
        assert np.all(block > at_v_ref), pathway
    # GluN2D's weak Mg2+ block: far more of the PV NMDA current is free of Mg2+ than of the
    # pyramidal one, and the interneurons are blocked more than the pyramidal cells
    assert np.all(ds["mg_unblock_exc_to_pv"].values[late]
                  > 3.0 * ds["mg_unblock_exc_to_exc"].values[late])
    assert np.all(ds["nmda_block_exc_to_sst"].values[late]
                  > ds["nmda_block_exc_to_pv"].values[late])
    assert np.all(ds["nmda_block_exc_to_pv"].values[late]
                  > ds["nmda_block_exc_to_exc"].values[late])


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

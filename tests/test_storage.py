"""Tests for plasticity.storage: layout, round-trip, interoperability, atomicity."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr

from plasticity import storage
from plasticity.storage import (
    SCHEMA_VERSION,
    ResultFileError,
    Series,
    SpikeData,
    open_result,
    write_result,
)

CONFIG = "network:\n  n_exc: 8  # résumé\nseed: 3\n"
EXC_IDS = np.array([3, 1, 4, 1, 5], dtype=np.int32)
EXC_TIMES = np.array([5.0, 1.0, 3.0, 1.0, 0.5])


def _payload(**overrides) -> dict:
    time = np.arange(4) * 0.5
    payload = {
        "spikes": [
            SpikeData("exc", EXC_IDS, EXC_TIMES, n_nodes=8),
            SpikeData("pv", np.array([], dtype=np.int64), np.array([]), n_nodes=2),
        ],
        "series": [
            Series(
                "population",
                time,
                {
                    "rate_exc": (
                        np.array([1.0, 2.0, 3.0, 4.0]),
                        "Hz",
                        "excitatory population rate",
                    ),
                    "w_mean": (np.array([0.1, 0.2, 0.3, 0.4]), "1", "mean E->E weight"),
                },
            ),
        ],
        "summary": {"rate_exc_mean": (2.5, "Hz"), "cv_isi": (0.9, "1")},
        "provenance": {"git_commit": "abc123", "seed": 3, "dt_ms": 0.1},
        "config_yaml": CONFIG,
        "extra_attrs": {"experiment": "baseline"},
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def result_path(tmp_path: Path) -> Path:
    return write_result(tmp_path / "sub" / "run.h5", **_payload())


# ----------------------------------------------------------------------------- round trip


def test_round_trip(result_path: Path) -> None:
    res = open_result(result_path)
    assert res.path == result_path
    assert res.schema_version == SCHEMA_VERSION
    assert res.populations == ["exc", "pv"]
    ids, times = res.spikes("exc")
    order = np.argsort(EXC_TIMES, kind="stable")
    np.testing.assert_array_equal(ids, EXC_IDS[order])
    np.testing.assert_array_equal(times, EXC_TIMES[order])
    assert ids.dtype == np.uint64 and times.dtype == np.float64
    assert res.n_nodes("exc") == 8
    assert res.series_names == ["population"]
    ds = res.series()
    np.testing.assert_array_equal(ds["rate_exc"].values, [1.0, 2.0, 3.0, 4.0])
    assert ds["rate_exc"].attrs["long_name"] == "excitatory population rate"
    assert res.summary == {"rate_exc_mean": 2.5, "cv_isi": 0.9}
    assert res.summary_units == {"rate_exc_mean": "Hz", "cv_isi": "1"}
    assert res.provenance == {"git_commit": "abc123", "seed": 3, "dt_ms": 0.1}
    assert res.config_yaml == CONFIG


def test_unknown_names_list_available(result_path: Path) -> None:
    res = open_result(result_path)
    with pytest.raises(KeyError, match=r"'sst'.*\['exc', 'pv'\]"):
        res.spikes("sst")
    with pytest.raises(ResultFileError, match=r"'weights'.*\['population'\]"):
        res.series("weights")


def test_empty_population(result_path: Path) -> None:
    res = open_result(result_path)
    ids, times = res.spikes("pv")
    assert ids.shape == (0,) and times.shape == (0,)
    assert ids.dtype == np.uint64 and times.dtype == np.float64
    assert res.n_nodes("pv") == 2


# ----------------------------------------------------------------------------- layout


def test_root_attrs(result_path: Path) -> None:
    with h5py.File(result_path, "r") as f:
        assert f.attrs["magic"] == 0x0A7A and f.attrs["magic"].dtype == np.uint32
        np.testing.assert_array_equal(f.attrs["version"], [0, 1])
        assert f.attrs["version"].dtype == np.uint32
        assert f.attrs["plasticity_schema_version"] == SCHEMA_VERSION
        assert f.attrs["creator"] == "plasticity"
        assert f.attrs["experiment"] == "baseline"


def test_spikes_layout(result_path: Path) -> None:
    with h5py.File(result_path, "r") as f:
        for name in ("exc", "pv"):
            g = f["spikes"][name]
            assert g["timestamps"].dtype == np.float64
            assert g["timestamps"].attrs["units"] == "ms"
            assert g["node_ids"].dtype == np.uint64
            sorting_dtype = g.attrs.get_id("sorting").dtype
            assert h5py.check_enum_dtype(sorting_dtype) == {"none": 0, "by_id": 1, "by_time": 2}
            assert g.attrs["sorting"] == 2
        assert f["spikes/exc"].attrs["n_nodes"] == 8
        assert np.all(np.diff(f["spikes/exc/timestamps"][()]) >= 0)


def test_series_layout(result_path: Path) -> None:
    with h5py.File(result_path, "r") as f:
        g = f["series/population"]
        assert g["time"].is_scale and g["time"].dtype == np.float64
        assert g["time"].attrs["units"] == "ms"
        for var, units in (("rate_exc", "Hz"), ("w_mean", "1")):
            assert g[var].dtype == np.float64
            assert g[var].dims[0][0] == g["time"]
            assert g[var].attrs["units"] == units
            assert "long_name" in g[var].attrs


def test_summary_and_provenance_layout(result_path: Path) -> None:
    with h5py.File(result_path, "r") as f:
        ds = f["summary/rate_exc_mean"]
        assert ds.shape == () and ds.dtype == np.float64 and ds.attrs["units"] == "Hz"
        assert f["summary/cv_isi"].attrs["units"] == "1"
        assert f["provenance"].attrs["git_commit"] == "abc123"
        config = f["provenance/config"]
        assert h5py.check_string_dtype(config.dtype).encoding == "utf-8"
        assert config.asstr()[()] == CONFIG


# ----------------------------------------------------------------------------- interoperability


def test_xarray_opens_series(result_path: Path) -> None:
    with xr.open_dataset(result_path, group="series/population", engine="h5netcdf") as ds:
        assert ds["rate_exc"].dims == ("time",)
        assert ds["rate_exc"].attrs["units"] == "Hz"
        assert ds["time"].attrs["units"] == "ms"
        np.testing.assert_array_equal(ds["time"].values, [0.0, 0.5, 1.0, 1.5])


def test_libsonata_reads_spikes(result_path: Path) -> None:
    libsonata = pytest.importorskip("libsonata")
    reader = libsonata.SpikeReader(str(result_path))
    assert sorted(reader.get_population_names()) == ["exc", "pv"]
    exc = reader["exc"]
    assert exc.sorting == "by_time"
    assert exc.time_units == "ms"
    ids, _ = open_result(result_path).spikes("exc")
    got = exc.get()
    assert [node for node, _ in got] == ids.tolist()
    assert sorted(t for _, t in got) == sorted(EXC_TIMES.tolist())
    assert reader["pv"].get() == []


# ----------------------------------------------------------------------------- refusals


def test_schema_version_refused(result_path: Path) -> None:
    with h5py.File(result_path, "a") as f:
        f.attrs["plasticity_schema_version"] = 99
    with pytest.raises(ResultFileError, match=r"run\.h5.*99.*\[1\]"):
        open_result(result_path)


def test_missing_schema_version_refused(result_path: Path) -> None:
    with h5py.File(result_path, "a") as f:
        del f.attrs["plasticity_schema_version"]
    with pytest.raises(ResultFileError, match="none"):
        open_result(result_path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ResultFileError, match="no result file at"):
        open_result(tmp_path / "absent.h5")


def test_non_hdf5_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.h5"
    path.write_text("not hdf5")
    with pytest.raises(ResultFileError, match="not an HDF5 file"):
        open_result(path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"extra_attrs": {"magic": 1}}, "'magic' is reserved"),
        ({"provenance": {"flag": [1, 2]}}, "'flag'"),
        ({"summary": {"a/b": (1.0, "1")}}, "'a/b'"),
    ],
)
def test_invalid_input_rejected(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        write_result(tmp_path / "run.h5", **_payload(**kwargs))
    assert list(tmp_path.iterdir()) == []


def test_invalid_spikes_rejected() -> None:
    with pytest.raises(ValueError, match=r"'exc'.*n_nodes=2"):
        SpikeData("exc", np.array([0, 5]), np.array([1.0, 2.0]), n_nodes=2)
    with pytest.raises(ValueError, match="equal length"):
        SpikeData("exc", np.array([0]), np.array([1.0, 2.0]), n_nodes=2)
    with pytest.raises(ValueError, match="'rate'.*must match"):
        Series("population", np.arange(3.0), {"rate": (np.ones(2), "Hz", "")})


# ----------------------------------------------------------------------------- atomicity


def _crash_during_series(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(root: h5py.Group, series: list[Series]) -> None:
        root.create_group("series")
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(storage, "_write_series", boom)


def test_crash_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _crash_during_series(monkeypatch)
    target = tmp_path / "run.h5"
    with pytest.raises(RuntimeError, match="simulated crash"):
        write_result(target, **_payload())
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_crash_keeps_earlier_file(result_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = result_path.read_bytes()
    _crash_during_series(monkeypatch)
    with pytest.raises(RuntimeError, match="simulated crash"):
        write_result(result_path, **_payload(config_yaml="other: 1\n"))
    assert result_path.read_bytes() == before
    assert list(result_path.parent.iterdir()) == [result_path]
    assert open_result(result_path).config_yaml == CONFIG


def test_overwrite_replaces_file(result_path: Path) -> None:
    write_result(result_path, **_payload(config_yaml="other: 1\n"))
    assert open_result(result_path).config_yaml == "other: 1\n"
    assert list(result_path.parent.iterdir()) == [result_path]


def _run_fields() -> dict:
    """The fields of a run (RunData's), written out by hand."""
    return dict(
        spikes={"exc": (np.array([0, 2]), np.array([1.0, 4.5]))}, sizes={"exc": 3},
        probe_time_ms=np.array([0.0, 1.0]), probes={"exc": {"v_mean": np.array([-0.07, -0.06])}},
        probe_meta={"exc": {"v_mean": ("v_mean", "volt", "mean membrane potential")}},
        n_synapses={"exc_to_exc": 5}, timings={"run_s": 1.5}, build_dir="/b",
        concentration_uM=np.array([0.0, 1.0]), trace_dt_ms=10.0,
        structure={"time_ms": np.array([1000.0])},
        snapshots={"exc_to_exc": (np.array([1000.0]), [np.array([[0, 1, 2]])])},
        final_state={"Ca/exc": np.array([0.1, 0.2, 0.3])},
    )


def test_checkpoint_round_trip_and_foreign_parts_refused(tmp_path: Path) -> None:
    path = tmp_path / "segment_00000.h5"
    storage.write_checkpoint(path, "key1", _run_fields())
    back = storage.read_checkpoint(path, "key1")
    assert back is not None
    np.testing.assert_array_equal(back["spikes"]["exc"][1], [1.0, 4.5])
    assert back["probe_meta"] == {"exc": {"v_mean": ("v_mean", "volt", "mean membrane potential")}}
    np.testing.assert_array_equal(back["snapshots"]["exc_to_exc"][1][0], [[0, 1, 2]])
    np.testing.assert_array_equal(back["final_state"]["Ca/exc"], [0.1, 0.2, 0.3])
    assert back["cell_means"] == {}  # a run without window readouts
    assert back["build_dir"] == "/b" and back["trace_dt_ms"] == 10.0
    fields = _run_fields()
    fields["cell_means"] = {"exc": {"ket_block": np.array([0.1, 0.2])}}
    storage.write_checkpoint(path, "key1", fields)
    np.testing.assert_array_equal(
        storage.read_checkpoint(path, "key1")["cell_means"]["exc"]["ket_block"], [0.1, 0.2])
    assert storage.read_checkpoint(path, "other key") is None  # another config
    with h5py.File(path, "r+") as f:
        assert f.attrs["format"] == "plasticity-checkpoint/1"
        f.attrs["format"] = "plasticity-checkpoint/2"
    assert storage.read_checkpoint(path, "key1") is None  # another format
    with h5py.File(path, "r+") as f:
        del f.attrs["format"]  # written before the attribute existed: version 1
    assert storage.read_checkpoint(path, "key1") is not None


def test_final_state_round_trip(tmp_path: Path) -> None:
    """A result keeps the structural state it ended with, for another run to start from."""
    state = {"nsyn/exc_to_exc": np.array([0, 2, 1], dtype=np.int32),
             "z_axon/exc": np.array([1.5, 0.2]), "signal/protein/exc": np.array([0.0, 0.1])}
    path = write_result(tmp_path / "run.h5", **_payload(), final_state=state)
    back = storage.open_result(path).final_state()
    assert set(back) == set(state)
    for key, value in state.items():
        np.testing.assert_array_equal(back[key], value)
        assert back[key].dtype == value.dtype
    assert storage.open_result(write_result(tmp_path / "none.h5", **_payload())
                               ).final_state() == {}

"""One self-describing HDF5 result file per simulation run.

Layout (schema version 1)::

    /                      attrs: magic, version (SONATA), plasticity_schema_version,
                                  creator, plus caller-supplied extra attrs
    /spikes/<population>/  attrs: sorting (HDF5 enum, by_time), n_nodes
        timestamps         float64, attr units="ms"
        node_ids           uint64
    /series/<name>/
        time               float64 dimension scale "time", attr units="ms"
        <variable>         float64 on dim "time", attrs units, long_name
    /summary/<key>         scalar float64, attr units ("1" if dimensionless)
    /provenance            attrs: provenance entries
        config             resolved config YAML (variable-length UTF-8 string)
    /snapshots/<pathway>/  edge lists of a plastic pathway at snapshot times
        time_ms            float64 (n_snapshots), attr units="ms"
        offsets            int64 (n_snapshots + 1): rows of snapshot k are
                           offsets[k]:offsets[k+1] of
        pre, post          int64 node ids (source, target population)
        nsyn               int32 synapses between that pair (> 1: multapse)
    /final_state/<name>/<owner>   structural state at the end (gzip; runs with
                           structural plasticity): what another run can start
                           from (Result.final_state, plasticity.run initial_state)

The spikes group follows the SONATA spike-report format and the series groups
follow netCDF-4 conventions, so ``libsonata`` and ``xarray`` read them directly.
Files are written atomically: a reader never sees a half-written file.

Checkpoint part files (format ``CHECKPOINT_FORMAT``)::

    <output>.parts/segment_NNNNN.h5   (e.g. OUT.h5.parts/segment_00000.h5)
    /                      attrs: format (CHECKPOINT_FORMAT), config_hash (hash of the
                                  segment's config), trace_dt_ms, build_dir ("" if
                                  none), meta (JSON: sizes, n_synapses, timings,
                                  probe_meta)
        probe_time_ms      float64 probe clock (ms)
        concentration_uM   float64 drug trace of the segment, one value per trace_dt_ms
    /spikes/<population>/  ids, times_ms (ms)
    /probes/<population>/<variable>   probe values (SI units)
    /structure/<name>      structural-plasticity records (time_ms, n_syn_..., ...)
    /snapshots/<pathway>/  times_ms, edges_NNNNNN (n x 3: pre, post, nsyn) per snapshot
    /final_state/<name>/<owner>       structural state at the end (gzip)
    /cell_means/<name>/<population>   per-cell window readouts (RunData.cell_means)

One part file holds one finished segment of an experiment (the fields of a
:class:`plasticity.simulation.RunData`), written by :func:`write_checkpoint`
and read back by :func:`read_checkpoint`, which ignores a part whose
``config_hash`` differs from the segment's (the segment is then run again).

Sweep files (in a sweep directory, see :mod:`plasticity.sweep.directory`)::

    manifest.json          JSON object: format (MANIFEST_FORMAT), plasticity_version,
                           created_utc, config_yaml, base (resolved base config),
                           replicates, points (id, index, params, seed, replicate,
                           block, row, build), blocks (designs), duplicates, parameters
    index.h5               attrs: format (INDEX_FORMAT), plasticity_version,
                                  created_utc, parameters (JSON), blocks (JSON)
    /table/                one row per point
        id, state, file    strings (file: relative path points/<id>.h5)
        seed, replicate, block, row   int64
        parameters/<key>   swept parameter (number with attr units, or string)
        summary/<name>     float64 /summary scalar of each point (NaN if not done),
                           attr units
    /files/<id>            external link to points/<id>.h5 (done points only)

``index.h5`` is built by :func:`plasticity.sweep.directory.build_index`.
The result file is versioned by ``plasticity_schema_version`` (checked by
:class:`Result`); the checkpoint, manifest and index files are each versioned
by their format string (name/major version), stored in their ``format`` attr
or key, and readers refuse a layout they do not know: :func:`read_checkpoint`
ignores a part of another format (the segment is simulated again),
:func:`plasticity.sweep.directory.read_manifest` refuses a manifest of
another format with a one-line error, and
:func:`plasticity.sweep.analysis.load_sweep` rebuilds an index of another
format. Files written before the format attribute existed count as version 1.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

if TYPE_CHECKING:
    import xarray as xr

SCHEMA_VERSION: int = 1
#: Format names and versions of the other files this module describes.
CHECKPOINT_FORMAT = "plasticity-checkpoint/1"
MANIFEST_FORMAT = "plasticity-sweep/1"
INDEX_FORMAT = "plasticity-sweep-index/1"
SUPPORTED_SCHEMA_VERSIONS: tuple[int, ...] = (1,)

SONATA_MAGIC = np.uint32(0x0A7A)
SONATA_VERSION = np.array([0, 1], dtype=np.uint32)
SORTING_DTYPE = h5py.enum_dtype({"none": 0, "by_id": 1, "by_time": 2}, basetype="u1")
RESERVED_ROOT_ATTRS = frozenset({"magic", "version", "plasticity_schema_version", "creator"})


class ResultFileError(Exception):
    """A result file is missing, unreadable, or not in a supported schema."""


class MissingEntryError(ResultFileError, KeyError):
    """A requested population, series or key is not in the result file."""

    def __str__(self) -> str:
        return str(self.args[0])


def _check_name(kind: str, name: str) -> None:
    """Reject names that cannot be used as a single HDF5 group/dataset name."""
    if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
        raise ValueError(f"{kind} name {name!r} is invalid: must be a non-empty string without '/'")


@dataclass(frozen=True)
class SpikeData:
    """Spikes of one population: parallel arrays of node ids and spike times (ms)."""

    population: str
    node_ids: np.ndarray
    timestamps_ms: np.ndarray
    n_nodes: int

    def __post_init__(self) -> None:
        _check_name("population", self.population)
        ids, times = np.asarray(self.node_ids), np.asarray(self.timestamps_ms, dtype=np.float64)
        where = f"population {self.population!r}"
        if ids.ndim != 1 or ids.shape != times.shape:
            raise ValueError(f"{where}: node_ids and timestamps_ms must be 1-D of equal length")
        if self.n_nodes < 0:
            raise ValueError(f"{where}: n_nodes must be >= 0, got {self.n_nodes}")
        if ids.size and not (
            np.issubdtype(ids.dtype, np.integer) and 0 <= ids.min() and ids.max() < self.n_nodes
        ):
            raise ValueError(
                f"{where}: node_ids must be integers in [0, n_nodes={self.n_nodes}), "
                f"got {ids.dtype} values in [{ids.min()}, {ids.max()}]"
            )
        object.__setattr__(self, "node_ids", ids.astype(np.uint64))
        object.__setattr__(self, "timestamps_ms", times)


@dataclass(frozen=True)
class Series:
    """Time series sampled on one clock, stored under ``/series/<name>``.

    ``variables`` maps a variable name to ``(values, units, long_description)``,
    with ``values`` 1-D and as long as ``time_ms``.
    """

    name: str
    time_ms: np.ndarray
    variables: dict[str, tuple[np.ndarray, str, str]]

    def __post_init__(self) -> None:
        _check_name("series", self.name)
        time = np.asarray(self.time_ms, dtype=np.float64)
        if time.ndim != 1:
            raise ValueError(f"series {self.name!r}: time_ms must be 1-D, got shape {time.shape}")
        for var, (values, _units, _long_name) in self.variables.items():
            where = f"series {self.name!r} variable {var!r}"
            _check_name(f"series {self.name!r} variable", var)
            if var == "time":
                raise ValueError(f"{where}: the name 'time' is reserved for the clock")
            if np.shape(values) != time.shape:
                raise ValueError(
                    f"{where} has shape {np.shape(values)}, must match time_ms shape {time.shape}"
                )
        object.__setattr__(self, "time_ms", time)


def _write_spikes(root: h5py.Group, spikes: list[SpikeData]) -> None:
    group = root.create_group("spikes")
    for pop in spikes:
        if pop.population in group:
            raise ValueError(f"population {pop.population!r} is given twice; names must be unique")
        order = np.argsort(pop.timestamps_ms, kind="stable")
        g = group.create_group(pop.population)
        g.attrs.create("sorting", 2, dtype=SORTING_DTYPE)
        g.attrs["n_nodes"] = int(pop.n_nodes)
        ts = g.create_dataset("timestamps", data=pop.timestamps_ms[order], dtype=np.float64)
        ts.attrs["units"] = "ms"
        g.create_dataset("node_ids", data=pop.node_ids[order], dtype=np.uint64)


def _write_series(root: h5py.Group, series: list[Series]) -> None:
    group = root.create_group("series")
    for s in series:
        if s.name in group:
            raise ValueError(f"series {s.name!r} is given twice; names must be unique")
        g = group.create_group(s.name)
        time = g.create_dataset("time", data=s.time_ms, dtype=np.float64)
        time.attrs["units"] = "ms"
        time.make_scale("time")
        for var, (values, units, long_name) in s.variables.items():
            ds = g.create_dataset(var, data=np.asarray(values, dtype=np.float64))
            ds.dims[0].attach_scale(time)
            ds.attrs["units"] = str(units)
            ds.attrs["long_name"] = str(long_name)


def _write_summary(root: h5py.Group, summary: dict[str, tuple[float, str]]) -> None:
    group = root.create_group("summary")
    for key, (value, units) in summary.items():
        _check_name("summary", key)
        ds = group.create_dataset(key, data=np.float64(value))
        ds.attrs["units"] = str(units) or "1"


def _write_provenance(root: h5py.Group, provenance: dict[str, Any], config_yaml: str) -> None:
    group = root.create_group("provenance")
    for key, value in provenance.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise TypeError(
                f"provenance entry {key!r} has type {type(value).__name__}; "
                "values must be str, int or float"
            )
        group.attrs[key] = value
    group.create_dataset("config", data=config_yaml, dtype=h5py.string_dtype("utf-8"))


def _write_root_attrs(root: h5py.File, extra_attrs: dict[str, Any]) -> None:
    root.attrs["magic"] = SONATA_MAGIC
    root.attrs["version"] = SONATA_VERSION
    root.attrs["plasticity_schema_version"] = SCHEMA_VERSION
    root.attrs["creator"] = "plasticity"
    for key, value in extra_attrs.items():
        if key in RESERVED_ROOT_ATTRS:
            raise ValueError(
                f"extra attr {key!r} is reserved; choose a name not in "
                f"{sorted(RESERVED_ROOT_ATTRS)}"
            )
        root.attrs[key] = value


def _fsync_path(path: Path) -> None:
    """Flush a file's or directory's data to disk (directories: POSIX only)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except (PermissionError, IsADirectoryError):  # e.g. directories on Windows
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _file_mode() -> int:
    """Permissions a newly created file would get under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_result(
    path: str | os.PathLike[str],
    *,
    spikes: list[SpikeData],
    series: list[Series],
    summary: dict[str, tuple[float, str]],
    provenance: dict[str, str | int | float],
    config_yaml: str,
    extra_attrs: dict[str, Any] | None = None,
    snapshots: dict[str, tuple[np.ndarray, list[np.ndarray]]] | None = None,
    final_state: dict[str, np.ndarray] | None = None,
) -> Path:
    """Atomically write one run's results to ``path`` and return the final path.

    Data go to a ``.part`` file in the target directory, which is fsync'ed and renamed
    onto ``path``; on any error it is removed and an earlier ``path`` is left untouched.

    Parameters
    ----------
    path : str or PathLike
        Destination file, replaced if it exists; parent directories are created.
    spikes, series : list
        Per-population spikes (stored sorted by time) and time-series groups.
    summary : dict
        ``key -> (value, units)``; units ``"1"`` for dimensionless values.
    provenance : dict
        Flat ``str -> str | int | float`` metadata (git commit, seed, ...).
    config_yaml : str
        The resolved configuration as YAML text.
    extra_attrs : dict, optional
        Additional root attributes; must not shadow the reserved ones.
    snapshots : dict, optional
        ``pathway -> (times_ms, [edges (n x 3: pre, post, nsyn) per time])``.
    final_state : dict, optional
        Structural state at the end, ``"<name>/<owner>" -> array``.

    Returns
    -------
    pathlib.Path
        The path of the written file (``path`` as a :class:`~pathlib.Path`).
    """
    with atomic_h5(path) as (f, final):
        _write_root_attrs(f, extra_attrs or {})
        _write_spikes(f, spikes)
        _write_series(f, series)
        _write_summary(f, summary)
        _write_provenance(f, provenance, config_yaml)
        _write_snapshots(f, snapshots or {})
        _write_state(f, "final_state", final_state or {})
    return final


def _write_state(root: h5py.Group, group: str, state: dict[str, np.ndarray]) -> None:
    for key, arr in state.items():
        root.create_dataset(f"{group}/{key}", data=np.asarray(arr), compression="gzip",
                            compression_opts=1)


def _read_state(root: h5py.Group, group: str) -> dict[str, np.ndarray]:
    """Every dataset under ``group``, keyed by its path below it (e.g. ``Ca/exc``)."""
    out: dict[str, np.ndarray] = {}
    if group in root:
        root[group].visititems(
            lambda key, obj: out.__setitem__(key, obj[()]) if isinstance(obj, h5py.Dataset)
            else None)
    return out


def _write_snapshots(root: h5py.Group, snapshots: dict) -> None:
    if not snapshots:
        return
    group = root.create_group("snapshots")
    for pathway, (times_ms, edges) in snapshots.items():
        _check_name("pathway", pathway)
        g = group.create_group(pathway)
        g.create_dataset("time_ms", data=np.asarray(times_ms, dtype=np.float64))
        g["time_ms"].attrs["units"] = "ms"
        sizes = [len(e) for e in edges]
        g.create_dataset("offsets", data=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))
        stacked = np.concatenate(edges) if edges else np.zeros((0, 3), dtype=np.int64)
        g.create_dataset("pre", data=stacked[:, 0].astype(np.int64))
        g.create_dataset("post", data=stacked[:, 1].astype(np.int64))
        g.create_dataset("nsyn", data=stacked[:, 2].astype(np.int32))


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` only once the block succeeds.

    The temporary file lies in the target directory; when the block ends it
    gets the usual permissions, is fsync'ed and renamed onto ``path``. On any
    error it is removed and an earlier ``path`` is left untouched.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        dir=final.parent, prefix=f".{final.name}.{os.getpid()}.", suffix=".part"
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, _file_mode())  # mkstemp creates 0600
        _fsync_path(tmp)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_path(final.parent)


@contextlib.contextmanager
def atomic_h5(path: str | os.PathLike[str]) -> Iterator[tuple[h5py.File, Path]]:
    """Open a new HDF5 file that appears under ``path`` only once complete.

    Yields ``(file, final_path)``; see :func:`atomic_file`.
    """
    with atomic_file(path) as tmp, h5py.File(tmp, "w") as f:
        yield f, Path(path)
        f.flush()


def _scalar(value: Any) -> Any:
    """Convert numpy scalars and bytes read from HDF5 attrs to plain Python values."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value.item() if isinstance(value, np.generic) else value


class Result:
    """Lazy, read-only view of one result file.

    Only the root attributes are read on construction; every accessor opens the
    file read-only for just as long as it needs, so no handle stays open.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ResultFileError(f"no result file at '{self.path}'")
        if not h5py.is_hdf5(self.path):
            raise ResultFileError(f"'{self.path}' is not an HDF5 file")
        with self._open() as f:
            self.attrs: dict[str, Any] = {k: _scalar(v) for k, v in f.attrs.items()}
        version = self.attrs.get("plasticity_schema_version")
        if not isinstance(version, int) or version not in SUPPORTED_SCHEMA_VERSIONS:
            found = "none" if version is None else version
            raise ResultFileError(
                f"'{self.path}' has plasticity_schema_version {found}; "
                f"supported versions are {list(SUPPORTED_SCHEMA_VERSIONS)}"
            )
        self.schema_version: int = int(version)

    def __repr__(self) -> str:
        return f"Result('{self.path}', schema_version={self.schema_version})"

    def _open(self) -> h5py.File:
        try:
            return h5py.File(self.path, "r")
        except OSError as exc:
            raise ResultFileError(f"cannot open result file '{self.path}': {exc}") from exc

    def _group(self, f: h5py.File, kind: str, name: str) -> h5py.Group:
        """Return ``/<kind>/<name>`` or raise an error listing the available names."""
        available = sorted(f[kind]) if kind in f else []
        if name not in available:
            raise MissingEntryError(
                f"no {kind} entry {name!r} in '{self.path}'; available: {available}"
            )
        return f[kind][name]

    def _names(self, kind: str) -> list[str]:
        with self._open() as f:
            return sorted(f[kind]) if kind in f else []

    @property
    def populations(self) -> list[str]:
        """Names of the spiking populations (``list[str]``, sorted; empty if none).

        Each is a group ``/spikes/<population>`` and a valid argument of
        :meth:`spikes` and :meth:`n_nodes`.
        """
        return self._names("spikes")

    @property
    def series_names(self) -> list[str]:
        """Names of the stored time-series groups (``list[str]``, sorted; empty if none).

        Each is a group ``/series/<name>`` and a valid argument of :meth:`series`.
        """
        return self._names("series")

    def spikes(self, population: str) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(node_ids (uint64), timestamps_ms (float64))`` sorted by time.

        Parameters
        ----------
        population : str
            Name of a spiking population (see :attr:`populations`).

        Returns
        -------
        node_ids : numpy.ndarray of uint64
            Id of the spiking node, in ``[0, n_nodes)``.
        timestamps_ms : numpy.ndarray of float64
            Spike times (ms), ascending; parallel to ``node_ids``.

        Raises
        ------
        MissingEntryError
            If the file has no population of that name.
        ResultFileError
            If the file cannot be opened.
        """
        with self._open() as f:
            g = self._group(f, "spikes", population)
            return g["node_ids"][()], g["timestamps"][()]

    def n_nodes(self, population: str) -> int:
        """Size of ``population``.

        Parameters
        ----------
        population : str
            Name of a spiking population (see :attr:`populations`).

        Returns
        -------
        int
            Number of nodes (neurons) in the population, spiking or not.

        Raises
        ------
        MissingEntryError
            If the file has no population of that name.
        ResultFileError
            If the file cannot be opened.
        """
        with self._open() as f:
            return int(self._group(f, "spikes", population).attrs["n_nodes"])

    def series(self, name: str = "population") -> xr.Dataset:
        """Load ``/series/<name>`` into memory as an :class:`xarray.Dataset` on dim ``time``.

        Parameters
        ----------
        name : str
            Name of a time-series group (see :attr:`series_names`); default
            ``"population"``.

        Returns
        -------
        xarray.Dataset
            One variable per stored variable, on coordinate ``time`` (ms, not
            decoded to datetimes); each keeps its ``units`` and ``long_name``
            attributes. Fully loaded, so no file handle stays open.

        Raises
        ------
        MissingEntryError
            If the file has no series of that name.
        ResultFileError
            If the file cannot be opened.
        """
        with self._open() as f:
            self._group(f, "series", name)
        import xarray as xr

        with xr.open_dataset(
            self.path,
            group=f"series/{name}",
            engine="h5netcdf",
            decode_times=False,
            decode_timedelta=False,
        ) as ds:
            return ds.load()

    def _summary_items(self) -> list[tuple[str, float, str]]:
        with self._open() as f:
            items = f["summary"].items() if "summary" in f else []
            return [(k, float(ds[()]), _scalar(ds.attrs.get("units", "1"))) for k, ds in items]

    @property
    def summary(self) -> dict[str, float]:
        """Scalar summary metrics, ``key -> value`` (``dict[str, float]``).

        Read from ``/summary``; empty if the file has none. Units are in
        :attr:`summary_units`.
        """
        return {key: value for key, value, _ in self._summary_items()}

    @property
    def summary_units(self) -> dict[str, str]:
        """Units of the summary metrics, ``key -> units`` (``dict[str, str]``).

        Same keys as :attr:`summary`; ``"1"`` for dimensionless values.
        """
        return {key: units for key, _, units in self._summary_items()}

    @property
    def snapshot_pathways(self) -> list[str]:
        """Plastic pathways with stored edge-list snapshots (``list[str]``, sorted).

        Each is a group ``/snapshots/<pathway>`` and a valid argument of
        :meth:`snapshot`; empty if the run stored no snapshots.
        """
        return self._names("snapshots")

    def snapshot(self, pathway: str, index: int = -1) -> tuple[float, np.ndarray]:
        """Time (ms) and edge list (n x 3: pre, post, nsyn) of one snapshot.

        ``index`` counts snapshots in time order (negative from the end).

        Parameters
        ----------
        pathway : str
            Name of a plastic pathway (see :attr:`snapshot_pathways`).
        index : int
            Which snapshot, in time order; default -1, the last one.

        Returns
        -------
        time_ms : float
            Time of the snapshot (ms).
        edges : numpy.ndarray
            Edge list of shape (n, 3): pre node id, post node id (source and
            target population) and number of synapses between the pair.

        Raises
        ------
        MissingEntryError
            If the file has no snapshots of ``pathway``, or ``index`` is out of range.
        ResultFileError
            If the file cannot be opened.
        """
        with self._open() as f:
            g = self._group(f, "snapshots", pathway)
            times = g["time_ms"][()]
            if not -len(times) <= index < len(times):
                raise MissingEntryError(
                    f"snapshot {index} of '{pathway}': the file has {len(times)} snapshots"
                )
            k = index % len(times)
            a, b = g["offsets"][k], g["offsets"][k + 1]
            edges = np.stack([g["pre"][a:b], g["post"][a:b], g["nsyn"][a:b]], axis=1)
            return float(times[k]), edges

    def final_state(self) -> dict[str, np.ndarray]:
        """The structural state the run ended with, to start another run from.

        Returns
        -------
        dict
            ``"<name>/<owner>" -> numpy.ndarray`` (synapse counts per candidate
            ``nsyn/<pathway>``, elements ``z_<element>/<population>``, calcium,
            and the clinical clock's carried state); empty for runs without
            structural plasticity or written before this was stored. Pass it
            as ``initial_state`` to :func:`plasticity.run`.
        """
        with self._open() as f:
            return _read_state(f, "final_state")

    @property
    def provenance(self) -> dict[str, str | int | float]:
        """Provenance attributes (git hash, seed, versions, ...).

        A ``dict[str, str | int | float]`` of the attributes of ``/provenance``,
        as given to :func:`write_result`.
        """
        with self._open() as f:
            return {k: _scalar(v) for k, v in f["provenance"].attrs.items()}

    @property
    def config_yaml(self) -> str:
        """The resolved configuration YAML the run was made with.

        A ``str``: the text of ``/provenance/config``, with every default
        written out (see :func:`plasticity.config.dump_config`).
        """
        with self._open() as f:
            return f["provenance/config"].asstr()[()]


def open_result(path: str | os.PathLike[str]) -> Result:
    """Open a result file lazily, refusing unknown schema versions.

    Parameters
    ----------
    path : str or PathLike
        A result file written by :func:`write_result`.

    Returns
    -------
    Result
        A read-only view; only the root attributes are read now.

    Raises
    ------
    ResultFileError
        If the file does not exist, is not HDF5, or has an unsupported schema version.
    """
    return Result(path)


def write_checkpoint(path: str | os.PathLike[str], key: str, data: dict[str, Any]) -> None:
    """Write one finished segment of an experiment (a checkpoint part file), atomically.

    Parameters
    ----------
    path : path
        The part file (``OUT.parts/segment_NNNNN.h5``).
    key : str
        Hash of the segment's config; :func:`read_checkpoint` refuses other keys.
    data : dict
        The fields of a run (:class:`plasticity.simulation.RunData`).
    """
    data = SimpleNamespace(**data)
    with atomic_h5(path) as (f, _):
        f.attrs["format"] = CHECKPOINT_FORMAT
        f.attrs["config_hash"] = key
        f.attrs["trace_dt_ms"] = data.trace_dt_ms
        f.attrs["build_dir"] = data.build_dir or ""
        f.attrs["meta"] = json.dumps({
            "sizes": data.sizes, "n_synapses": data.n_synapses, "timings": data.timings,
            "probe_meta": data.probe_meta,
        })
        f["probe_time_ms"] = data.probe_time_ms
        f["concentration_uM"] = data.concentration_uM
        for pop, (ids, times) in data.spikes.items():
            f[f"spikes/{pop}/ids"] = ids
            f[f"spikes/{pop}/times_ms"] = times
        for pop, values in data.probes.items():
            for name, arr in values.items():
                f[f"probes/{pop}/{name}"] = arr
        for name, arr in data.structure.items():
            f[f"structure/{name}"] = arr
        for pathway, (times, edges) in data.snapshots.items():
            g = f.create_group(f"snapshots/{pathway}")
            g["times_ms"] = times
            for k, block in enumerate(edges):
                g[f"edges_{k:06d}"] = block
        _write_state(f, "final_state", data.final_state)
        _write_state(f, "cell_means", {f"{name}/{pop}": arr
                                       for pop, means in getattr(data, "cell_means", {}).items()
                                       for name, arr in means.items()})


def _cell_means(flat: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, np.ndarray]] = {}
    for key, arr in flat.items():
        name, _, pop = key.partition("/")
        out.setdefault(pop, {})[name] = arr
    return out


def read_checkpoint(path: str | os.PathLike[str], key: str) -> dict[str, Any] | None:
    """The fields of the segment stored at ``path``, or None if absent, foreign or unreadable.

    Parameters
    ----------
    path : path
        A part file written by :func:`write_checkpoint`.
    key : str
        The config hash the part must carry.

    Returns
    -------
    dict or None
        Keyword arguments of :class:`plasticity.simulation.RunData`.
    """
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format", CHECKPOINT_FORMAT) != CHECKPOINT_FORMAT:
                return None
            if f.attrs.get("config_hash") != key:
                return None
            meta = json.loads(f.attrs["meta"])
            spikes = {pop: (g["ids"][()], g["times_ms"][()]) for pop, g in f["spikes"].items()}
            probes = {
                pop: {name: ds[()] for name, ds in g.items()} for pop, g in f["probes"].items()
            } if "probes" in f else {}
            return dict(
                spikes=spikes,
                sizes=meta["sizes"],
                probe_time_ms=f["probe_time_ms"][()],
                probes=probes,
                probe_meta={p: {k: tuple(v) for k, v in m.items()}
                            for p, m in meta["probe_meta"].items()},
                n_synapses=meta["n_synapses"],
                timings=meta["timings"],
                build_dir=str(f.attrs["build_dir"]) or None,
                concentration_uM=f["concentration_uM"][()],
                trace_dt_ms=float(f.attrs["trace_dt_ms"]),
                structure={k: ds[()] for k, ds in f.get("structure", {}).items()},
                snapshots={
                    pathway: (g["times_ms"][()],
                              [g[k][()] for k in sorted(g) if k.startswith("edges_")])
                    for pathway, g in f.get("snapshots", {}).items()
                },
                final_state=_read_state(f, "final_state"),
                cell_means=_cell_means(_read_state(f, "cell_means")),
            )
    except (OSError, KeyError, ValueError):
        return None

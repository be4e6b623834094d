"""Run a whole experiment: every timeline segment, checkpointed, into one result file.

An experiment is the list of segments of :mod:`plasticity.timeline` (one
for a plain run). All segments share one network structure, so in
cpp_standalone they run on one compiled program, each with its own seed and
drug-concentration trace as run-time inputs.

Long experiments are checkpointed: each finished segment is written
atomically to ``<output>.parts/segment_NNNNN.h5``, tagged with a hash of the
resolved config. Rerunning the same command after a crash or a kill runs
only the missing segments; a part file written for another config is
ignored and replaced. Once every segment exists they are merged into the
result file (atomically) and the parts are removed.

The result file is the one of :mod:`plasticity.storage`, with network time
running on across segments (segment ``k`` starts at ``k * duration``), a
``clinical_time_h`` variable in every time series, and ``/series/timeline``:
one row per segment with its clinical start, span, compression, seed and
readouts.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np

from .config import Config, dump_config
from .model.network import trace_length
from .simulate import RunData, _provenance, _series, simulate_many, summarize
from .storage import Series, SpikeData, atomic_h5, write_result
from .timeline import Segment, concentration_trace, segments

__all__ = ["parts_dir", "run"]

_H = 3600.0


def parts_dir(output: Path) -> Path:
    """Directory holding the finished segments of an unfinished experiment."""
    return output.with_name(output.name + ".parts")


def _config_hash(config: Config) -> str:
    return hashlib.sha256(dump_config(config).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- #
# Checkpoints: one small HDF5 file per finished segment
# --------------------------------------------------------------------------- #
def _part_path(directory: Path, index: int) -> Path:
    return directory / f"segment_{index:05d}.h5"


def _save_part(path: Path, key: str, data: RunData) -> None:
    with atomic_h5(path) as (f, _):
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
        for key, arr in data.final_state.items():
            f.create_dataset(f"final_state/{key}", data=arr, compression="gzip",
                             compression_opts=1)


def _load_part(path: Path, key: str) -> RunData | None:
    """The segment stored at ``path``, or None if absent, foreign or unreadable."""
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("config_hash") != key:
                return None
            meta = json.loads(f.attrs["meta"])
            spikes = {pop: (g["ids"][()], g["times_ms"][()]) for pop, g in f["spikes"].items()}
            probes = {
                pop: {name: ds[()] for name, ds in g.items()} for pop, g in f["probes"].items()
            } if "probes" in f else {}
            return RunData(
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
                final_state={
                    f"{name}/{owner}": ds[()]
                    for name, g in f.get("final_state", {}).items() for owner, ds in g.items()
                },
            )
    except (OSError, KeyError, ValueError):
        return None


# --------------------------------------------------------------------------- #
# Merging segments into one result
# --------------------------------------------------------------------------- #
def _merge_series(config: Config, segs: list[Segment], datas: list[RunData]) -> list[Series]:
    """Each segment's series, shifted to run on in network time, plus clinical time."""
    duration_ms = float(config.simulation.duration) * 1e3
    pieces: dict[str, list[Series]] = {}
    for data in datas:
        for series in _series(config, data):
            pieces.setdefault(series.name, []).append(series)
    out = []
    for name, parts in pieces.items():
        time_ms = np.concatenate([p.time_ms + k * duration_ms for k, p in enumerate(parts)])
        variables = {
            var: (np.concatenate([p.variables[var][0] for p in parts]), units, long_name)
            for var, (_, units, long_name) in parts[0].variables.items()
        }
        clinical = np.concatenate([
            seg.clinical_time_s(p.time_ms * 1e-3) / _H for seg, p in zip(segs, parts, strict=True)
        ])
        variables["clinical_time_h"] = (clinical, "h", "clinical time (timeline mapping)")
        out.append(Series(name, time_ms, variables))
    return out


def _timeline_series(
    config: Config, segs: list[Segment], summaries: list[dict[str, tuple[float, str]]]
) -> Series:
    duration_ms = float(config.simulation.duration) * 1e3
    variables: dict[str, tuple[np.ndarray, str, str]] = {
        "clinical_start_h": (np.array([s.clinical_start_s / _H for s in segs]), "h",
                             "clinical time at the segment's start"),
        "clinical_span_h": (np.array([s.clinical_span_s / _H for s in segs]), "h",
                            "clinical time the segment stands for"),
        "compression": (np.array([s.compression for s in segs]), "1",
                        "clinical seconds per simulated second"),
        "seed": (np.array([float(s.seed) for s in segs]), "1", "seed of the segment's run"),
    }
    if config.structural.enabled:
        variables["growth_scale"] = (
            np.array([s.compression for s in segs]), "1",
            "factor on structural growth rates (clinical per network time)")
    for key, (_, units) in summaries[0].items():
        if key == "seed":
            continue
        values = np.array([summ[key][0] for summ in summaries])
        variables[key] = (values, units, f"{key} of the segment (after its warm-up)")
    return Series("timeline", np.arange(len(segs)) * duration_ms, variables)


def _merged_snapshots(
    config: Config, datas: list[RunData]
) -> dict[str, tuple[np.ndarray, list[np.ndarray]]]:
    """Every segment's edge-list snapshots, times running on in network time."""
    duration_ms = float(config.simulation.duration) * 1e3
    out: dict[str, tuple[np.ndarray, list[np.ndarray]]] = {}
    for pathway in datas[0].snapshots:
        times = [d.snapshots[pathway][0] + k * duration_ms for k, d in enumerate(datas)]
        edges = [block for d in datas for block in d.snapshots[pathway][1]]
        out[pathway] = (np.concatenate(times), edges)
    return out


def _merged_spikes(config: Config, datas: list[RunData]) -> list[SpikeData]:
    duration_ms = float(config.simulation.duration) * 1e3
    out = []
    for pop in datas[0].spikes:
        ids = np.concatenate([d.spikes[pop][0] for d in datas])
        times = np.concatenate([d.spikes[pop][1] + k * duration_ms for k, d in enumerate(datas)])
        out.append(SpikeData(pop, ids, times, datas[0].sizes[pop]))
    return out


def _overall_summary(
    segs: list[Segment], summaries: list[dict[str, tuple[float, str]]]
) -> dict[str, tuple[float, str]]:
    """Mean over segments of each segment's readouts (each after its warm-up)."""
    out = {
        key: (float(np.mean([s[key][0] for s in summaries])), units)
        for key, (_, units) in summaries[0].items()
    }
    out["seed"] = summaries[0]["seed"]
    out["n_segments"] = (float(len(segs)), "1")
    return out


# --------------------------------------------------------------------------- #
# The experiment
# --------------------------------------------------------------------------- #
def run(config: Config, output: str | Path | None = None, *, progress: bool = False) -> Path:
    """Simulate every segment of ``config``'s timeline and write one result file.

    Parameters
    ----------
    config : Config
        A validated config (see :func:`plasticity.load_config`).
    output : path, optional
        Result file; default ``results/<config.name>.h5``.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    Path
        The result file, written atomically. A killed experiment resumes
        from its finished segments when run again with the same config.
    """
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    path = Path(output) if output is not None else Path("results") / f"{config.name}.h5"
    segs = segments(config)
    key = _config_hash(config)
    checkpoint = len(segs) > 1
    parts = parts_dir(path)
    datas: dict[int, RunData] = {}
    if checkpoint:
        for seg in segs:
            found = _load_part(_part_path(parts, seg.index), key)
            if found is not None:
                datas[seg.index] = found
    carry = config.structural.enabled
    if carry:
        # each segment goes on from the synapses the one before left: run
        # everything from the first missing segment on
        first = min((seg.index for seg in segs if seg.index not in datas), default=len(segs))
        datas = {i: d for i, d in datas.items() if i < first}
    todo = [seg for seg in segs if seg.index not in datas]
    resumed = len(datas)
    initial = datas[todo[0].index - 1].final_state if carry and todo and todo[0].index else None

    def keep(i: int, data: RunData) -> None:
        seg = todo[i]
        datas[seg.index] = data
        if checkpoint:
            _save_part(_part_path(parts, seg.index), key, data)

    n_trace = trace_length(config)
    simulate_many(
        [config.model_copy(update={"seed": seg.seed}) for seg in todo],
        progress=progress,
        traces=[concentration_trace(config, seg, n_trace) for seg in todo],
        on_result=keep,
        growth_scales=[seg.compression for seg in todo],
        carry_structure=carry,
        initial_state=initial,
    )
    ordered = [datas[seg.index] for seg in segs]
    summaries = [
        summarize(config.model_copy(update={"seed": seg.seed}), data)
        for seg, data in zip(segs, ordered, strict=True)
    ]
    wall = time.perf_counter() - t0
    provenance = _provenance(config, ordered[0], wall, started)
    provenance["build_s"] = float(sum(d.timings.get("build_s", 0.0) for d in ordered))
    provenance["run_s"] = float(sum(d.timings.get("run_s", 0.0) for d in ordered))
    provenance.update(
        timeline_mode=config.timeline.mode,
        n_segments=len(segs),
        resumed_segments=resumed,
        compression=float(segs[0].compression),
        clinical_start_h=segs[0].clinical_start_s / _H,
        clinical_end_h=(segs[-1].clinical_start_s + segs[-1].clinical_span_s) / _H,
    )
    if carry:
        provenance["structural_growth_scale"] = float(segs[0].compression)
        provenance["structural_growth_scale_note"] = (
            "structural growth rates are clinical-time rates, multiplied by the compression "
            "in network time; vacant-element decay per update follows; calcium is not scaled"
        )
    final = write_result(
        path,
        spikes=_merged_spikes(config, ordered),
        series=[*_merge_series(config, segs, ordered), _timeline_series(config, segs, summaries)],
        summary=_overall_summary(segs, summaries),
        provenance=provenance,
        config_yaml=dump_config(config),
        extra_attrs={"name": config.name},
        snapshots=_merged_snapshots(config, ordered) if ordered[0].snapshots else None,
    )
    if checkpoint:
        shutil.rmtree(parts, ignore_errors=True)
    return final

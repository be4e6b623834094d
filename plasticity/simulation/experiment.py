"""Run a whole experiment: every timeline segment, checkpointed, into one result file.

An experiment is the list of segments of :mod:`plasticity.simulation.timeline` (one
for a plain run). All segments share one network structure, so in
cpp_standalone they run on one compiled program, each with its own noise
seed and drug-concentration trace as run-time inputs. Every segment runs
the same network, drawn from the config's seed (one animal sampled at
several clinical times); a segment's own seed drives only its noise
(external drive, initial potentials, the structural engine's choices).

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
import logging
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from plasticity.config import Config, dump_config
from plasticity.model.layout import trace_length
from plasticity.simulation import rundata
from plasticity.simulation.rundata import RunData, summarize
from plasticity.simulation.simulate import simulate_many
from plasticity.simulation.timeline import (
    Segment,
    concentration_trace,
    hnk_segment,
    segment_config,
    segments,
)
from plasticity.storage import (
    Series,
    SpikeData,
    read_checkpoint,
    write_checkpoint,
    write_result,
)

__all__ = ["parts_dir", "run"]

logger = logging.getLogger(__name__)

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
    write_checkpoint(path, key, vars(data))


def _load_part(path: Path, key: str) -> RunData | None:
    """The segment stored at ``path``, or None if absent, foreign or unreadable."""
    fields = read_checkpoint(path, key)
    return None if fields is None else RunData(**fields)


# --------------------------------------------------------------------------- #
# Merging segments into one result
# --------------------------------------------------------------------------- #
def _merge_series(config: Config, segs: list[Segment], datas: list[RunData]) -> list[Series]:
    """Each segment's series, shifted to run on in network time, plus clinical time."""
    duration_ms = float(config.simulation.duration) * 1e3
    pieces: dict[str, list[Series]] = {}
    for data in datas:
        for series in rundata.series(config, data):
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
        "seed": (np.array([float(s.seed) for s in segs]), "1",
                 "noise seed of the segment's run (the network is the config seed's)"),
    }
    if config.structural.enabled and config.timeline.mode != "clinical":
        variables["growth_scale"] = (
            np.array([s.compression for s in segs]), "1",
            "factor on structural growth rates (clinical per network time)")
    for key, (_, units) in summaries[0].items():
        if key == "seed":
            continue
        values = np.array([summ[key][0] for summ in summaries])
        variables[key] = (values, units, f"{key} of the segment (after its warm-up)")
    return Series("timeline", np.arange(len(segs)) * duration_ms, variables)


#: Keys of a structural state that hold clinical times of the run that wrote them (dropped
#: from a state another run starts from).
FOREIGN_CLOCK_KEYS = ("clock_time/", "signal_reference/")


def _clinical_series(config: Config, datas: list[RunData]) -> list[Series]:
    """The clinical clock's updates of every interval as one series on clinical time."""
    if config.timeline.mode != "clinical":
        return []

    pathway = config.structural.pathways[0]
    time_ms = np.concatenate([d.structure.get("clinical_time_ms", np.zeros(0)) for d in datas])
    meaning = {
        "n_syn": "synapses after the update",
        "formed": "synapses formed by the homeostatic rule at the update",
        "deleted": "synapses deleted by the homeostatic rule at the update",
        "eliminated": "synapses eliminated by intrinsic turnover at the update",
        "matured": "new synapses that became stable at the update",
        "n_new": "new (not yet stable) synapses after the update",
    }
    variables: dict[str, tuple[np.ndarray, str, str]] = {
        f"{field}_{pathway}": (
            np.concatenate([d.structure.get(f"clinical_{field}", np.zeros(0)) for d in datas]),
            "1", f"{text} ({pathway})")
        for field, text in meaning.items()
    }
    timed = [d for d in datas if "clinical_time_ms" in d.structure]
    if config.structural.turnover.weights_follow_maturity and all(
            "clinical_weight" in d.structure for d in timed):
        variables[f"weight_{pathway}"] = (
            np.concatenate([d.structure.get("clinical_weight", np.zeros(0)) for d in datas]),
            "1", f"summed weight of the synapses after the update, in stable synapses "
            f"(new ones count structural.turnover.new_weight; {pathway})")
    if config.scaling.enabled and all("clinical_ampa_scale" in d.structure for d in timed):
        variables[f"ampa_scale_{config.structural.pathways[0].partition('_to_')[2]}"] = (
            np.concatenate([d.structure.get("clinical_ampa_scale", np.zeros(0)) for d in datas]),
            "1", "mean homeostatic AMPA scaling factor of the target cells after the update "
            "(config section 'scaling')")
    signals = {"bdnf": "BDNF translation", "mtor": "mTORC1 activity",
               "protein": "synaptic-protein signal",
               "block": "fraction of NMDA receptors blocked (the BDNF arm's input)",
               "ampa_excess": "relative AMPA excess over its reference (the surge's input; "
               "population value)"}
    for name, text in signals.items():
        if all(f"clinical_signal_{name}" in d.structure for d in timed):
            variables[f"signal_{name}"] = (
                np.concatenate([d.structure.get(f"clinical_signal_{name}", np.zeros(0))
                                for d in datas]),
                "1", f"{text}, mean over the target cells "
                f"{'over' if name in ('block', 'ampa_excess') else 'after'} the update "
                "(plasticity.model.signalling)")
    variables["clinical_time_h"] = (time_ms / 3.6e6, "h", "clinical time of the update")
    return [Series("clinical", time_ms, variables)]


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
    out = {}
    for key, (_, units) in summaries[0].items():
        values = np.array([s[key][0] for s in summaries], dtype=float)
        # readouts defined only at some windows (the clinical clock's daily imaging) are NaN
        # elsewhere: their mean is over the windows where they are defined
        out[key] = (float(np.nanmean(values)) if np.isfinite(values).any() else float("nan"),
                    units)
    out["seed"] = summaries[0]["seed"]
    out["n_segments"] = (float(len(segs)), "1")
    return out


# --------------------------------------------------------------------------- #
# The experiment
# --------------------------------------------------------------------------- #
def run(config: Config, output: str | Path | None = None, *, progress: bool = False,
        initial_state: dict[str, np.ndarray] | None = None) -> Path:
    """Simulate every segment of ``config``'s timeline and write one result file.

    Parameters
    ----------
    config : Config
        A validated config (see :func:`plasticity.load_config`).
    output : path, optional
        Result file; default ``results/<config.name>.h5``.
    progress : bool
        Show a progress bar on stderr.
    initial_state : dict, optional
        Structural state the first segment starts from instead of the config's
        initial synapses: the :attr:`RunData.final_state` of an earlier run of
        the same network (synapses, elements and calcium sensor per cell).
        Needs structural plasticity; recorded in the provenance. The state's
        clinical times (the clock's last window, the surge reference) are
        dropped, and the clock starts again from this run's windows, unless
        ``timeline.continues`` says this run continues the one that wrote
        the state on the same clock (a piece of a patient's chain,
        :mod:`plasticity.simulation.treatment`); ``timeline.stream_offset``
        then numbers its random streams on from that run's.

    Returns
    -------
    Path
        The result file, written atomically. A killed experiment resumes
        from its finished segments when run again with the same config.
    """
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    path = Path(output) if output is not None else Path("results") / f"{config.name}.h5"
    continue_clock = config.timeline.continues
    if continue_clock and initial_state is None:
        raise ValueError("timeline.continues: needs the initial_state of the run it continues")
    segs = segments(config)
    key = _config_hash(config)
    if initial_state is not None:
        if not config.structural.enabled:
            raise ValueError("initial_state is a structural state: it needs "
                             "structural.enabled true")
        if not continue_clock:
            # clinical times of another run's clock mean nothing on this run's timeline: the
            # clock's smoothing and the surge reference start again from this run's windows
            initial_state = {k: v for k, v in initial_state.items()
                             if not k.startswith(FOREIGN_CLOCK_KEYS)}
        digest = hashlib.sha256()
        for name in sorted(initial_state):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(initial_state[name]).tobytes())
        key += "-" + digest.hexdigest()[:16]
    checkpoint = len(segs) > 1
    parts = parts_dir(path)
    datas: dict[int, RunData] = {}
    if checkpoint:
        for seg in segs:
            found = _load_part(_part_path(parts, seg.index), key)
            if found is not None:
                datas[seg.index] = found
    carry = config.structural.enabled
    if carry and config.timeline.mode == "compressed":
        logger.warning("%s: structural plasticity over a compressed timeline scales growth "
                       "rates while the calcium sensor stays in network time, which changes "
                       "the homeostatic loop's gain; for clinical days use timeline.mode "
                       "'clinical'", config.name)
    if carry:
        # each segment goes on from the synapses the one before left: run
        # everything from the first missing segment on
        first = min((seg.index for seg in segs if seg.index not in datas), default=len(segs))
        datas = {i: d for i, d in datas.items() if i < first}
    todo = [seg for seg in segs if seg.index not in datas]
    resumed = len(datas)
    for index in sorted(datas):
        logger.info("%s: segment %d of %d reused from checkpoint %s", path, index + 1,
                    len(segs), _part_path(parts, index))
    initial = (datas[todo[0].index - 1].final_state if carry and todo and todo[0].index
               else initial_state)

    def keep(i: int, data: RunData) -> None:
        seg = todo[i]
        datas[seg.index] = data
        if checkpoint:
            _save_part(_part_path(parts, seg.index), key, data)

    n_trace = trace_length(config)
    clinical = config.timeline.mode == "clinical"
    between = None
    if clinical and todo:
        from plasticity.simulation.clinical import ClinicalClock

        between = ClinicalClock(config, todo, initial).between
    # one network (the config's seed) in every segment, each segment with its own noise;
    # HNK, where it acts, potentiates the AMPA weights at its segment mean
    hnk = {seg.index: hnk_segment(config, seg, n_trace) for seg in segs}
    simulate_many(
        [segment_config(config, hnk[seg.index]) for seg in todo],
        noise_seeds=[seg.seed for seg in todo],
        progress=progress,
        traces=[concentration_trace(config, seg, n_trace) for seg in todo],
        on_result=keep,
        # the clinical clock freezes the synapses inside windows (no growth)
        growth_scales=[0.0 if clinical else seg.compression for seg in todo],
        carry_structure=carry,
        initial_state=initial,
        between=between,
    )
    ordered = [datas[seg.index] for seg in segs]
    summaries = [
        summarize(config.model_copy(update={"seed": seg.seed}), data)
        for seg, data in zip(segs, ordered, strict=True)
    ]
    if config.pharmacology.protocol is not None and config.pharmacology.protocol.metabolites:
        for seg, summary in zip(segs, summaries, strict=True):
            summary["hnk_uM"] = (hnk[seg.index], "uM")
            if config.pharmacology.hnk_acts:
                summary["hnk_ampa_factor"] = (
                    config.pharmacology.hnk_action.factor(hnk[seg.index]), "1")
    if clinical:  # the clock's checks of each window, in /series/timeline
        for summary, data in zip(summaries, ordered, strict=True):
            for pop, means in data.cell_means.items():
                for name, values in means.items():
                    current = name.endswith("current")
                    summary[f"window_{name}_{pop}"] = (
                        float(np.mean(values)) * (1e12 if current else 1.0),
                        "pA" if current else "1")
            for key in ("window_stationarity", "window_stationarity_noise", "window_ca_mean",
                        "imaging_gain_per_day", "imaging_loss_per_day",
                        "imaging_new_survival_4d"):
                if key in data.structure:
                    summary[key] = (float(data.structure[key][0]), "1")
    wall = time.perf_counter() - t0
    provenance = rundata.provenance(config, ordered[0], wall, started)
    if initial_state is not None:
        provenance["initial_state"] = "given by the caller (checkpoint key " + key + ")"

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
    if carry and clinical:
        sp = config.structural
        provenance["structural_clock"] = "clinical"
        provenance["structural_clock_note"] = (
            "synapses frozen inside windows; between windows elements grow at clinical-time "
            "rates from each window's stationary calcium (beta_Ca tau_Ca rate) and synapses "
            "change at every clinical_update_interval")
        provenance["sensor_tau_over_update"] = float(sp.tau_ca) / float(
            sp.clinical_update_interval)
        stationarity = [(float(d.structure["window_stationarity"][0]),
                         float(d.structure["window_stationarity_noise"][0]))
                        for d in ordered if "window_stationarity" in d.structure]
        provenance["window_stationarity_max"] = max((c for c, _ in stationarity), default=0.0)
        from plasticity.simulation.clinical import clock_checks

        failed = clock_checks(config, stationarity)
        for text in failed:
            logger.warning("%s: clinical clock check: %s", config.name, text)
        provenance["clinical_clock_checks"] = "; ".join(failed) if failed else "pass"
    elif carry:
        provenance["structural_growth_scale"] = float(segs[0].compression)
        provenance["structural_growth_scale_note"] = (
            "structural growth rates are clinical-time rates, multiplied by the compression "
            "in network time; vacant-element decay per update follows; calcium is not scaled"
        )
    final = write_result(
        path,
        spikes=_merged_spikes(config, ordered),
        series=[*_merge_series(config, segs, ordered), _timeline_series(config, segs, summaries),
                *_clinical_series(config, ordered)],
        summary=_overall_summary(segs, summaries),
        provenance=provenance,
        config_yaml=dump_config(config),
        extra_attrs={"name": config.name},
        snapshots=_merged_snapshots(config, ordered) if ordered[0].snapshots else None,
        final_state=ordered[-1].final_state,
    )
    if checkpoint:
        shutil.rmtree(parts, ignore_errors=True)
    return final

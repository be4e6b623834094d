"""What a finished simulation gives back, and what is made of it for the result file.

:class:`RunData` holds the recorded arrays of one run; :func:`series`,
:func:`summarize` and :func:`provenance` turn it into the time series,
summary scalars and provenance of a result file
(:func:`plasticity.storage.write_result`). No Brian2 here.
"""

from __future__ import annotations

import importlib.metadata
import platform
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from plasticity import __version__
from plasticity.analysis import band_power_fraction, summarize_population
from plasticity.config import Config
from plasticity.storage import Series

__all__ = ["PACKAGE_DIR", "RunData", "concentration_at", "mean_concentration", "provenance",
           "series", "summarize"]

#: The package's directory (its git checkout gives the commit in the provenance).
PACKAGE_DIR = Path(__file__).resolve().parent.parent


@dataclass
class RunData:
    """Everything read back from a finished simulation."""

    spikes: dict[str, tuple[np.ndarray, np.ndarray]]  # pop -> (ids, times ms)
    sizes: dict[str, int]
    probe_time_ms: np.ndarray
    probes: dict[str, dict[str, np.ndarray]]  # pop -> var -> values (SI)
    probe_meta: dict[str, dict[str, tuple[str, str, str]]]
    n_synapses: dict[str, int]
    timings: dict[str, float]
    build_dir: str | None
    concentration_uM: np.ndarray  # the drug trace the run used, one value per trace_dt
    trace_dt_ms: float
    # structural plasticity: "time_ms" and per plastic pathway n_syn_, created_,
    # deleted_ at every update; snapshots: pathway -> (times_ms, [edges (n x 3:
    # pre, post, nsyn) per snapshot])
    structure: dict[str, np.ndarray] = field(default_factory=dict)
    snapshots: dict[str, tuple[np.ndarray, list[np.ndarray]]] = field(default_factory=dict)
    # structural state at the end (plasticity.model.structural.state_layout),
    # from which the next segment of a timeline goes on
    final_state: dict[str, np.ndarray] = field(default_factory=dict)
    # per population with an NMDA-calcium sensor, per cell, means after the warm-up
    # (plasticity.model.structural.WINDOW_READOUTS): "ca_nmda_current" (A),
    # "ampa_current" (A), "ket_block" (1)
    cell_means: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)



_SI_UNITS = {"volt": (1e3, "mV"), "amp": (1e12, "pA"), "1": (1.0, "1")}


def series(config: Config, data: RunData) -> list[Series]:
    """The time series of a run: state probes, population rates, connectivity."""
    out = []
    t = data.probe_time_ms
    variables: dict[str, tuple[np.ndarray, str, str]] = {}
    for pop, pop_values in data.probes.items():
        for name, (_, unit, description) in data.probe_meta[pop].items():
            scale, label = _SI_UNITS[unit]
            if name in ("nmda_block", "mg_unblock"):
                key = f"{name}_exc_to_{pop}"
                description = f"{description} (pathway exc_to_{pop})"
            elif name == "lfp_proxy":
                key = name
            else:
                key = f"{name}_{pop}"
                description = f"{description} ({pop})"
            variables[key] = (pop_values[name] * scale, label, description)
    trace_dt_ms = data.trace_dt_ms
    conc = concentration_at(data, t)
    variables["ketamine_conc"] = (
        conc, "uM", f"ketamine concentration driving the block: "
        f"{config.pharmacology.concentration_drive()} (sampled every {trace_dt_ms:g} ms)"
    )
    if len(t):
        out.append(Series("state", t, variables))
    bin_ms = float(config.record.rate_bin) * 1e3
    t_stop = float(config.simulation.duration) * 1e3
    edges = np.arange(0.0, t_stop + 1e-9, bin_ms)
    centres = 0.5 * (edges[:-1] + edges[1:])
    rates = {}
    for pop, (_, times) in data.spikes.items():
        counts, _ = np.histogram(times, bins=edges)
        n = max(data.sizes[pop], 1)
        rates[f"rate_{pop}"] = (counts / (n * bin_ms * 1e-3), "Hz", f"population rate of {pop}")
    if rates:
        out.append(Series("rates", centres, rates))
    if data.structure:
        meaning = {"n_syn_": "synapses", "created_": "synapses formed at the update",
                   "deleted_": "synapses eliminated at the update"}
        variables = {}
        for key, values in data.structure.items():
            for prefix, what in meaning.items():
                if key.startswith(prefix):
                    variables[key] = (values, "1", f"{what} ({key.removeprefix(prefix)})")
        out.append(Series("connectivity", data.structure["time_ms"], variables))
    return out


def concentration_at(data: RunData, time_ms: np.ndarray) -> np.ndarray:
    """The drug concentration (uM) the network used at network times ``time_ms``.

    The trace is a Brian2 TimedArray: sample ``i`` holds on
    ``[i * trace_dt, (i + 1) * trace_dt)``.
    """
    index = np.floor(np.asarray(time_ms, dtype=float) / data.trace_dt_ms + 1e-9).astype(int)
    return data.concentration_uM[np.clip(index, 0, len(data.concentration_uM) - 1)]


def summarize(config: Config, data: RunData) -> dict[str, tuple[float, str]]:
    """Scalar readouts of a run, after the warm-up: ``{key: (value, units)}``."""
    t0 = float(config.simulation.warmup) * 1e3
    t1 = float(config.simulation.duration) * 1e3
    summary: dict[str, tuple[float, str]] = {
        "ketamine_uM": (mean_concentration(data, t0, t1), "uM"),
        "seed": (float(config.seed), "1"),
    }
    units = {"rate_hz": "Hz", "peak_freq_hz": "Hz"}
    for pop, (ids, times) in data.spikes.items():
        stats = summarize_population(ids, times, data.sizes[pop], t0, t1, bin_ms=1.0)
        for key, value in stats.items():
            summary[f"{pop}_{key}"] = (float(value), units.get(key, "1"))
    mask = data.probe_time_ms >= t0
    for pop, values in data.probes.items():
        for name in ("nmda_block", "mg_unblock"):
            if name in values and mask.any():
                summary[f"{name}_exc_to_{pop}"] = (float(np.mean(values[name][mask])), "1")
        if "v_mean" in values and mask.any():
            summary[f"{pop}_v_mean_mV"] = (float(np.mean(values["v_mean"][mask]) * 1e3), "mV")
    lfp = data.probes.get("exc", {}).get("lfp_proxy")
    dt_ms = float(config.record.state_dt) * 1e3
    # the gamma band (30-80 Hz) needs samples finer than 1/(2 * 80 Hz)
    if lfp is not None and mask.sum() > 16 and dt_ms < 1e3 / 160.0:
        summary["lfp_gamma_fraction"] = (float(band_power_fraction(lfp[mask], dt_ms)), "1")
    summary.update(stimulus_responses(config, data))
    for name, n in data.n_synapses.items():
        summary[f"n_syn_{name}"] = (float(n), "1")
    for key, values in data.structure.items():
        if key.startswith(("created_", "deleted_")):
            summary[f"sp_{key}"] = (float(np.sum(values)), "1")
    return summary


def stimulus_responses(config: Config, data: RunData) -> dict[str, tuple[float, str]]:
    """How the network answers each stimulus: the readout of responsiveness.

    For stimulus ``k`` of population ``pop`` (cells ``0 .. m-1`` of ``pop``
    driven harder from ``start`` to ``stop``), ``stim<k>_driven_<pop>_hz``
    is the stimulated cells' rate during the stimulus minus their rate from
    the end of the warm-up to its start, and ``stim<k>_spread_<pop>_hz`` the
    same for the other cells of the population, which only recurrent
    synapses can reach: the answer of the network rather than of the drive.
    Absent when the stimulus starts before the warm-up ends or no cell is
    left unstimulated.
    """
    out: dict[str, tuple[float, str]] = {}
    t0 = float(config.simulation.warmup) * 1e3
    for k, stim in enumerate(config.stimulation):
        pop = stim.population
        if pop not in data.spikes:
            continue
        start, stop = float(stim.start) * 1e3, min(float(stim.stop) * 1e3,
                                                   float(config.simulation.duration) * 1e3)
        n = data.sizes[pop]
        m = round(stim.fraction * n)
        if start <= t0 or stop <= start or m >= n:
            continue
        ids, times = data.spikes[pop]
        driven = ids < m
        for name, cells, count in (("driven", driven, m), ("spread", ~driven, n - m)):
            during = np.count_nonzero(cells & (times >= start) & (times < stop))
            before = np.count_nonzero(cells & (times >= t0) & (times < start))
            value = 1e3 * (during / (stop - start) - before / (start - t0)) / count
            out[f"stim{k}_{name}_{pop}_hz"] = (float(value), "Hz")
    return out


def mean_concentration(data: RunData, t0_ms: float, t1_ms: float) -> float:
    """Mean drug concentration over ``[t0, t1)`` of network time (uM)."""
    steps = np.arange(t0_ms, t1_ms, min(data.trace_dt_ms, max(t1_ms - t0_ms, 1e-9)))
    return float(np.mean(concentration_at(data, steps))) if len(steps) else 0.0


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(PACKAGE_DIR), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(PACKAGE_DIR), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        return out + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(config: Config, data: RunData, wall_s: float, started: str) -> dict[str, Any]:
    """What produced a run: versions, git commit, seed, device, threads, build, host, timings."""
    import h5py

    return {
        "plasticity_version": __version__,
        "brian2_version": importlib.metadata.version("brian2"),
        "numpy_version": np.__version__,
        "h5py_version": h5py.__version__,
        "python_version": platform.python_version(),
        "git_commit": _git_commit(),
        "seed": int(config.seed),
        "device": config.simulation.device,
        "codegen_target": "cpp_standalone" if config.simulation.device == "cpp_standalone"
        else "cython",
        "threads": int(config.simulation.threads),
        "build_key": Path(data.build_dir).name if data.build_dir else "",
        "build_dir": data.build_dir or "",
        "build_s": float(data.timings.get("build_s", 0.0)),
        "run_s": float(data.timings.get("run_s", 0.0)),
        "wall_time_s": float(wall_s),
        "started_utc": started,
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "command": " ".join(sys.argv),
        "concentration_drive": config.pharmacology.concentration_drive(),
    }

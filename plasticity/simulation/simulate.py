"""Run one simulation from a config and write its result file.

Two Brian2 targets are supported:

``cpp_standalone`` (default)
    The network becomes a C++ program. Programs are cached by structure in
    ``$PLASTICITY_BUILD_DIR`` (default ``~/.cache/plasticity/builds``): every
    parameter value, the seed and the concentration trace are passed on the
    program's command line (Brian2 ``run_args``), so a second run of the
    same structure compiles nothing.
``runtime``
    Brian2's Cython runtime, for debugging and for interactive use.

Whole experiments (every timeline segment, checkpointed, into one result
file) are run by :func:`plasticity.simulation.experiment.run`.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import brian2 as b2
import numpy as np
from brian2.devices.device import all_devices, reset_device

from plasticity.config import Config
from plasticity.model.layout import trace_length
from plasticity.model.network import BuiltNetwork, build_network
from plasticity.model.structural import (
    STATE_FILE,
    WINDOW_READOUTS,
    completed_state,
    engine_state,
    read_snapshots,
    write_state,
)
from plasticity.progress import ProgressBar
from plasticity.simulation.builds import (
    code_key,
    compiler_signature,
    ensure_build,
    scratch_root,
    tune_makefile,
    with_object_cache,
)
from plasticity.simulation.environment import environment_restored
from plasticity.simulation.rundata import PACKAGE_DIR, RunData

__all__ = ["build_root", "reusing_builds", "simulate", "simulate_many"]

logger = logging.getLogger(__name__)



def build_root(config: Config | None = None) -> Path:
    """Directory holding the cached standalone builds."""
    if config is not None and config.simulation.build_dir:
        return Path(config.simulation.build_dir).expanduser()
    env = os.environ.get("PLASTICITY_BUILD_DIR")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "plasticity" / "builds"


@functools.cache
def _model_source_hash() -> str:
    """Hash of the model code, taken once per process.

    Once: the code a process generates is the code it imported, so a source
    edited while a long job runs must not lend its hash to builds of the
    code loaded before (they would be found later under the new key).
    """
    h = hashlib.sha256()
    model_dir = PACKAGE_DIR / "model"
    sources = sorted(model_dir.glob("*.py")) + sorted(model_dir.glob("*.cpp"))
    for path in sources + [Path(__file__)]:
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


_model_source_hash()  # at import, right after the model modules were imported


# --------------------------------------------------------------------------- #
# Progress
# --------------------------------------------------------------------------- #
class _Progress:
    """Progress of a batch of runs, fed from each program's progress file.

    Position is in simulated seconds over all runs of the batch; the
    compiled program writes the fraction done of the current run.
    """

    def __init__(self, span_s: float, n_runs: int, enabled: bool):
        self.span_s = span_s
        self.offset_s = -span_s
        self.bar = ProgressBar(round(span_s * n_runs, 3), unit="sim-s", desc="simulating",
                               enabled=enabled, leave=False)

    def update(self, fraction: float) -> None:
        """Move to ``fraction`` of the current run."""
        self.bar.set(round(self.offset_s + min(max(fraction, 0.0), 1.0) * self.span_s, 3))

    def next_run(self) -> None:
        """Move on to the next simulation of a batch (the bar shows once simulation starts)."""
        self.offset_s += self.span_s
        self.bar.start()

    def close(self) -> None:
        """Fill and remove the bar."""
        self.bar.set(self.bar.total)
        self.bar.close()

    def watch(self, path: Path):
        """Context: poll ``path`` (written by the C++ report function) while a run goes on."""
        self.next_run()

        def read():
            fraction = min(max(float(path.read_text().split()[0]), 0.0), 1.0)
            return round(self.offset_s + fraction * self.span_s, 3), {}

        return self.bar.polling(read)


def _progress_operation(duration: b2.Quantity, dt: b2.Quantity) -> b2.NeuronGroup:
    """A C++ operation writing ``progress.txt`` (fraction done, wall seconds).

    Brian2's own ``report`` reads the process clock before every object of
    every time step (``std::clock()``, a system call): on NEST's
    structural-plasticity example that cost more than the simulation itself.
    This operation runs once per report period (at most 1 s, at least
    1/100 of the run) and reads a steady clock only then.
    """
    steps = max(1, round(float(min(duration / 100, 1 * b2.second) / dt)))
    code = f"""
double plasticity_progress(double t) {{
    static const auto start = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(
        std::chrono::steady_clock::now() - start).count();
    std::ofstream out((brian::results_dir + "progress.txt").c_str(), std::ios::trunc);
    out << t / {float(duration)!r} << " " << elapsed << std::endl;
    return 0.0;
}}
"""

    @b2.implementation("cpp", code, headers=["<chrono>"])
    @b2.check_units(t=b2.second, result=1)
    def plasticity_progress(t):  # pragma: no cover - only the C++ runs
        raise NotImplementedError("progress reports run in cpp_standalone only")

    plasticity_progress.stateless = False  # side effects: never hoisted by Brian2
    group = b2.NeuronGroup(1, "progress_dummy : 1", name="progress",
                           namespace={"plasticity_progress": plasticity_progress})
    group.run_regularly("progress_dummy = plasticity_progress(t)", dt=steps * dt, when="end",
                        name="progress_report")
    return group


# --------------------------------------------------------------------------- #
# Device handling
# --------------------------------------------------------------------------- #
@dataclass
class _KeptBuild:
    """A built network kept alive between batches (:func:`reusing_builds`)."""

    key: str
    built: BuiltNetwork
    build_dir: Path
    device: Any
    code_objects: dict  # the device's own dict: a reinit of the device replaces it


class _Reuse:
    depth = 0
    kept: _KeptBuild | None = None


def _reuse_key(config: Config) -> str:
    """What a batch must share with the kept one to run on its objects.

    The whole config but its name, the drug protocol and the timeline's
    window placement: those reach the program only as run-time inputs (the
    concentration trace and the seeds of each window), as they do between
    the windows of one batch. The structure key (:func:`structure_key`) is
    checked again for every run (``BuiltNetwork.inputs_for``).
    """
    data = config.model_dump(mode="json")
    data["name"] = None
    data["pharmacology"]["protocol"] = None
    data["timeline"] = {"mode": data["timeline"]["mode"]}
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _kept_for(key: str) -> _KeptBuild | None:
    kept = _Reuse.kept
    if _Reuse.depth == 0 or kept is None or kept.key != key:
        return None
    device = all_devices.get("cpp_standalone")
    # gone if the device was re-initialised since (another build, a test) or the
    # program left the build cache
    if (device is not kept.device or device.code_objects is not kept.code_objects
            or not (kept.build_dir / "main").is_file()):
        return None
    return kept


def _release_kept() -> None:
    """Drop the kept objects and leave the standalone device as a batch leaves it."""
    kept, _Reuse.kept = _Reuse.kept, None
    if kept is None:
        return
    if kept.device.code_objects is kept.code_objects:
        kept.device.reinit()
    del kept
    gc.collect()


@contextlib.contextmanager
def reusing_builds() -> Iterator[None]:
    """Within this block, batches of one network reuse its Brian2 objects.

    A batch (:func:`simulate_many`) normally generates the network's code
    anew, finds the compiled program in the build cache by the code's hash,
    and drops its Brian2 objects at the end: generating costs seconds per
    batch (Brian2 analyses every code object in Python), more than a short
    batch of windows runs. Inside this block the objects and the program of
    the last batch are kept, and the next batch whose config differs only in
    its name, drug protocol and window placement (the pieces of a patient's
    chain of sessions, :mod:`plasticity.simulation.treatment`) runs on them
    directly: only its run-time inputs are written. The objects are dropped
    when the block ends, so Brian2 is left as after any batch.

    Examples
    --------
    >>> with reusing_builds():          # doctest: +SKIP
    ...     for piece in pieces:
    ...         simulate_many(piece)
    """
    _Reuse.depth += 1
    try:
        yield
    finally:
        _Reuse.depth -= 1
        if _Reuse.depth == 0:
            _release_kept()


def select_standalone(threads: int, cpu_target: str = "native") -> list[str]:
    """Activate the standalone device; returns the compiler flags in use."""
    # Objects of an earlier build in this process must be gone, or Brian2
    # suffixes the new names ("exc_codeobject_1") and the code differs.
    gc.collect()
    b2.set_device("cpp_standalone", build_on_run=False)
    b2.device.reinit()
    b2.device.activate(build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]
    # Link with -ffast-math, as the code is compiled: the program then starts
    # with subnormal numbers flushed to zero. Without it a current that has
    # decayed into the subnormal range stays there (x * exp(-dt/tau) rounds
    # back to x a few ulps above zero) and every step of that cell runs on
    # the processor's slow subnormal path: on NEST's structural-plasticity
    # example, cells that lost their inhibitory inputs made the state update
    # ten times slower.
    link = list(b2.prefs.codegen.cpp.extra_link_args)
    if "-ffast-math" not in link:
        b2.prefs.codegen.cpp.extra_link_args = [*link, "-ffast-math"]
    # -march=native (Brian2's default) makes programs that crash on older
    # CPUs; a portable target lets nodes of a cluster share one build.
    flags = [f for f in b2.prefs.codegen.cpp.extra_compile_args_gcc
             if not f.startswith("-march=")]
    flags.append(f"-march={cpu_target}")
    b2.prefs.codegen.cpp.extra_compile_args_gcc = flags
    return [*flags, *b2.prefs.codegen.cpp.extra_link_args]


def _normalise_main_queue() -> None:
    """Make Brian2's generated ``main.cpp`` independent of set iteration order.

    Brian2 (2.9) initialises clocks by iterating over a set of clock
    objects, whose order changes from process to process; ``main.cpp`` then
    differs between two builds of the same network and is recompiled. The
    single-value assignments to clock arrays are gathered and sorted by
    name (they all run before the single ``run``, so their order is free)
    so that identical networks give identical code.
    """
    queue = b2.device.main_queue
    is_clock = [
        item[0] == "set_by_single_value" and "_clock_" in str(item[1][0]) for item in queue
    ]
    if not any(is_clock):
        return
    first = is_clock.index(True)
    clocks = sorted((it for it, c in zip(queue, is_clock, strict=True) if c),
                    key=lambda item: str(item[1][0]))
    rest = [it for it, c in zip(queue, is_clock, strict=True) if not c]
    queue[:] = rest[:first] + clocks + rest[first:]


def _collect(
    config: Config, built: BuiltNetwork, timings: dict[str, float], build_dir: str | None,
    trace: np.ndarray,
    results_dir: Path | None = None,
) -> RunData:
    spikes = {
        pop: (np.asarray(mon.i[:], dtype=np.int64), np.asarray(mon.t[:] / b2.ms))
        for pop, mon in built.spike_monitors.items()
    }
    probes: dict[str, dict[str, np.ndarray]] = {}
    time_ms = np.zeros(0)
    for pop, mon in built.probe_monitors.items():
        time_ms = np.asarray(mon.t[:] / b2.ms)
        probes[pop] = {
            name: np.asarray(getattr(mon, name)[0], dtype=float)
            for name in built.probe_variables[pop]
        }
    n_syn = {
        obj.name: int(np.sum(obj.nsyn[:])) if "nsyn" in obj.variables else int(len(obj))
        for obj in built.network.objects
        if isinstance(obj, b2.Synapses) and "_to_" in obj.name
    }
    structure: dict[str, np.ndarray] = {}
    snapshots: dict[str, tuple[np.ndarray, list[np.ndarray]]] = {}
    final_state: dict[str, np.ndarray] = {}
    if built.engine is not None:
        mon = built.engine.monitor
        structure["time_ms"] = np.asarray(mon.t[:] / b2.ms)
        for name in mon.record_variables:
            kind, _, pathway = name.partition("_")
            key = f"n_syn_{pathway}" if kind == "n" else name
            structure[key] = np.asarray(getattr(mon, name)[0], dtype=float)
        for pathway, name in built.engine.snapshot_files.items():
            if results_dir is not None:
                snapshots[pathway] = read_snapshots(results_dir / name)
        final_state = engine_state(built.engine, built.groups)
    return RunData(
        spikes=spikes,
        sizes={pop: int(len(g)) for pop, g in built.groups.items()},
        probe_time_ms=time_ms,
        probes=probes,
        probe_meta=built.probe_variables,
        n_synapses=n_syn,
        timings=timings,
        build_dir=build_dir,
        concentration_uM=np.asarray(trace, dtype=float),
        trace_dt_ms=float(built.concentration.dt) * 1e3,
        structure=structure,
        snapshots=snapshots,
        final_state=final_state,
        cell_means=_cell_means(config, built),
    )


def _cell_means(config: Config, built: BuiltNetwork) -> dict[str, dict[str, np.ndarray]]:
    """Per-cell means of the window readouts after the warm-up, where populations have them."""
    span_s = float(config.simulation.duration) - float(config.simulation.warmup)
    out: dict[str, dict[str, np.ndarray]] = {}
    for pop, group in built.groups.items():
        if "q_ca_nmda" not in group.variables:
            continue
        out[pop] = {key: np.asarray(group.variables[name].get_value(), dtype=float) / span_s
                    for name, (key, _, _) in WINDOW_READOUTS.items()}
    return out


def generate_program(config: Config, directory: Path) -> tuple[BuiltNetwork, str]:
    """Generate the standalone program of ``config`` into ``directory``, not compiled.

    Selects the ``cpp_standalone`` device; the caller resets it afterwards
    (``brian2.device.reinit()`` and ``reset_device()``).

    Parameters
    ----------
    config : Config
        The run (its structure decides the program; values are run-time inputs).
    directory : Path
        Where the project is written (node-local scratch).

    Returns
    -------
    (BuiltNetwork, str)
        The network's Brian2 objects and the program's build key
        (:func:`plasticity.simulation.builds.code_key` of every generated file).
    """
    flags = select_standalone(config.simulation.threads, config.simulation.cpu_target)
    built = build_network(config)
    built.network.add(_progress_operation(config.simulation.duration, config.simulation.dt))
    built.network.run(config.simulation.duration, namespace={})
    _normalise_main_queue()
    b2.device.build(directory=str(directory), compile=False, run=False, with_output=False)
    tune_makefile(directory)
    key = code_key(directory, {**compiler_signature(flags), "brian2": b2.__version__,
                               "model_source": _model_source_hash()})
    return built, key


def _run_standalone(
    configs: list[Config], progress: _Progress, traces: list[np.ndarray],
    on_result: Callable[[int, RunData], None] | None,
    growth_scales: list[float], carry: bool, initial_state: dict[str, np.ndarray] | None,
    between: Between | None = None, noise_seeds: list[int | None] | None = None,
) -> list[RunData]:
    """Build the network of ``configs[0]`` once and run every config on it.

    The program is generated in node-local scratch and taken from (or
    compiled into) the build cache, keyed on the generated code
    (:mod:`plasticity.simulation.builds`). Each run reads its inputs from and writes its
    outputs to its own scratch directory, so runs of one build may go on in
    any number of processes at once. With ``carry`` each run starts from the
    structural state the previous one ended with (the first from
    ``initial_state``, if given).
    """
    config = configs[0]
    root = build_root(config)
    out = []
    reuse_key = _reuse_key(config) if _Reuse.depth else ""
    kept = _kept_for(reuse_key)
    work = Path(tempfile.mkdtemp(prefix="plasticity-", dir=scratch_root()))
    finished = False
    try:
        t0 = time.perf_counter()
        if kept is not None:
            b2.set_device(kept.device, build_on_run=False)
            built, build_dir = kept.built, kept.build_dir
            key = build_dir.name
            build_s = time.perf_counter() - t0
            logger.debug("build %s: the objects of the last batch reused for %d run(s)", key,
                         len(configs))
        else:
            # the objects of a kept build must be gone before a new one (select_standalone)
            _release_kept()
            generated = work / "build"
            built, key = generate_program(config, generated)
            build_dir, compile_s = ensure_build(generated, root, key,
                                                with_object_cache(_compile, root))
            build_s = time.perf_counter() - t0
            logger.debug("build %s %s (%.1f s in all, %.1f s compiling) for %d run(s)", key,
                         "generated and compiled" if compile_s
                         else "generated, cached build reused", build_s, compile_s,
                         len(configs))
            if _Reuse.depth:
                _Reuse.kept = _KeptBuild(reuse_key, built, Path(build_dir), b2.get_device(),
                                         b2.get_device().code_objects)
        state = initial_state
        pairs = None
        for index, (point, trace) in enumerate(zip(configs, traces, strict=True)):
            results_dir = work / f"run{index}"
            results_dir.mkdir()
            if carry and state and built.engine is not None:
                write_state(results_dir / STATE_FILE, built.engine.layout,
                            completed_state(point, state))
            noise = None if noise_seeds is None else noise_seeds[index]
            args = _command_line(built.inputs_for(point, trace, growth_scales[index], noise),
                                 results_dir)
            logger.debug("run %d/%d of build %s starting", index + 1, len(configs), key)
            t1 = time.perf_counter()
            try:
                with progress.watch(results_dir / "progress.txt"), environment_restored():
                    b2.device.run(
                        directory=str(build_dir),
                        results_directory=os.path.relpath(results_dir, build_dir),
                        with_output=False, run_args=args,
                    )
                timings = {"build_s": build_s, "run_s": time.perf_counter() - t1}
                logger.debug("run %d/%d of build %s done in %.1f s", index + 1, len(configs),
                             key, timings["run_s"])
                out.append(_collect(point, built, timings, str(build_dir), trace, results_dir))
                state = out[-1].final_state
                if between is not None and built.engine is not None:
                    if pairs is None:
                        pairs = {name: (np.asarray(pool.i[:], dtype=np.int32),
                                        np.asarray(pool.j[:], dtype=np.int32))
                                 for name, pool in built.engine.pools.items()}
                    state = between(index, out[-1], pairs)
            finally:
                shutil.rmtree(results_dir, ignore_errors=True)
            build_s = 0.0
            if on_result is not None:
                on_result(index, out[-1])
        finished = True
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if finished and _Reuse.kept is not None and _Reuse.kept.built is built:
            reset_device()  # the objects stay with the device for the next batch
        else:
            _Reuse.kept = None
            b2.device.reinit()
            reset_device()
    return out


def _compile(directory: Path) -> None:
    from brian2.codegen.cpp_prefs import get_compiler_and_args

    compiler, _ = get_compiler_and_args()
    b2.device.compile_source(str(directory), compiler, False, False)


def _command_line(inputs: dict, results_dir: Path) -> list[str]:
    """Brian2 ``run_args`` as command-line items, arrays written to ``results_dir``.

    Brian2 would write array inputs into the build's ``static_arrays``
    (shared by every run of the build, and on a shared filesystem); here
    they go to the run's own directory and are passed by absolute path.
    """
    device = b2.get_device()
    items = []
    for key, value in inputs.items():
        if isinstance(key, b2.TimedArray):
            name, text, file_name, array = device._prepare_timed_array_run_arg(key, value)
        else:
            name, text, file_name, array = device._prepare_variableview_run_arg(key, value)
        if file_name:
            path = results_dir / file_name
            array.tofile(path)
            text = str(path)
        items.append(f"{name}={text}")
    return items


def _run_runtime(config: Config, progress: _Progress, trace: np.ndarray,
                 noise_seed: int | None = None) -> RunData:
    reset_device()
    b2.set_device("runtime")
    b2.prefs.codegen.target = "cython"
    t0 = time.perf_counter()
    built = build_network(config, trace, noise_seed)
    duration = float(config.simulation.duration)

    def report(elapsed, complete, start, total):  # noqa: ARG001 - Brian2 signature
        progress.update(float(complete))

    progress.next_run()
    built.network.run(
        config.simulation.duration, report=report, report_period=1 * b2.second, namespace={}
    )
    timings = {"build_s": 0.0, "run_s": time.perf_counter() - t0, "duration_s": duration}
    return _collect(config, built, timings, None, trace)


def simulate(
    config: Config, *, progress: bool = False, concentration_uM: np.ndarray | None = None
) -> RunData:
    """Simulate ``config`` and return the recorded data (nothing is written).

    ``concentration_uM`` is the drug trace, one value per ``trace_dt`` of
    network time (default: the constant ``pharmacology.ketamine_uM``).

    Parameters
    ----------
    config : Config
        The experiment to simulate.
    progress : bool
        Show a progress bar on stderr.
    concentration_uM : numpy.ndarray, optional
        Ketamine concentration (uM), one value per ``trace_dt`` of network
        time; default the constant ``pharmacology.ketamine_uM``.

    Returns
    -------
    RunData
        Spikes, probes, structure and timings of the run, in memory.
    """
    traces = None if concentration_uM is None else [concentration_uM]
    return simulate_many([config], progress=progress, traces=traces)[0]


#: ``between(index, data, pairs) -> state``: see :func:`simulate_many`.
Between = Callable[[int, RunData, dict[str, tuple[np.ndarray, np.ndarray]]],
                   dict[str, np.ndarray]]


def simulate_many(
    configs: list[Config],
    *,
    progress: bool = False,
    traces: list[np.ndarray] | None = None,
    on_result: Callable[[int, RunData], None] | None = None,
    growth_scales: list[float] | None = None,
    carry_structure: bool = False,
    initial_state: dict[str, np.ndarray] | None = None,
    between: Between | None = None,
    noise_seeds: list[int] | None = None,
) -> list[RunData]:
    """Simulate several configs that share one network structure.

    In cpp_standalone the network is compiled once and each config only
    changes the program's run-time inputs (parameter values, seed,
    concentration trace), which is how seeds and parameter points are swept
    without recompiling.

    Parameters
    ----------
    configs : list of Config
        Configs of one network structure.
    progress : bool
        Show a progress bar on stderr.
    traces : list of arrays, optional
        Drug concentration trace (uM, one value per ``trace_dt``) of each
        config; default the constant ``pharmacology.ketamine_uM``.
    on_result : callable, optional
        Called as ``on_result(index, data)`` as soon as each run finishes
        (used to checkpoint long experiments).
    growth_scales : list of float, optional
        Clinical time per network time of each run (structural growth runs
        that much faster); default 1.
    carry_structure : bool
        Run the configs in order, each starting from the synapses, synaptic
        elements and calcium the previous run ended with (the segments of a
        timeline); the first starts from ``initial_state`` if given.
    initial_state : dict, optional
        Structural state (:attr:`RunData.final_state` of an earlier run).
    between : callable, optional
        With ``carry_structure``: called as ``between(index, data, pairs)`` after
        each run (before ``on_result``), with ``pairs`` the candidate pairs
        ``{pathway: (pre, post)}`` of the plastic pools; returns the state the
        next run starts from and may update ``data`` (the clinical clock uses
        it to advance the synapses over clinical time between windows).
    noise_seeds : list of int, optional
        Seed of each run's noise (external drive, initial potentials, the
        structural engine's choices); default each config's ``seed``. The
        network is always drawn from the config's ``seed``, so runs with one
        config seed and several noise seeds sample one network.

    Returns
    -------
    list of RunData
        One per config, in the order of ``configs`` (empty for no configs).
    """
    if not configs:
        return []
    if growth_scales is None:
        growth_scales = [1.0] * len(configs)
    if len(growth_scales) != len(configs):
        raise ValueError(f"{len(growth_scales)} growth scales for {len(configs)} configs")
    if traces is None:
        traces = [np.full(trace_length(c), c.pharmacology.ketamine_uM) for c in configs]
    if len(traces) != len(configs):
        raise ValueError(f"{len(traces)} traces for {len(configs)} configs")
    if noise_seeds is not None and len(noise_seeds) != len(configs):
        raise ValueError(f"{len(noise_seeds)} noise seeds for {len(configs)} configs")
    bar = _Progress(float(configs[0].simulation.duration), len(configs), progress)
    try:
        if configs[0].simulation.device == "cpp_standalone":
            return _run_standalone(list(configs), bar, list(traces), on_result,
                                   list(growth_scales), carry_structure, initial_state,
                                   between, noise_seeds)
        out = []
        for index, (config, trace) in enumerate(zip(configs, traces, strict=True)):
            logger.debug("run %d/%d (runtime device) starting", index + 1, len(configs))
            out.append(_run_runtime(config, bar, trace,
                                    None if noise_seeds is None else noise_seeds[index]))
            if on_result is not None:
                on_result(index, out[-1])
        return out
    finally:
        bar.close()

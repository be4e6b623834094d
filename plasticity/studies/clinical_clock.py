"""The clinical clock against a full real-time run (issue 12, validation a).

The clinical clock (:mod:`plasticity.simulation.clinical`) replaces the
per-spike calcium sensor by each window's stationary calcium and lets the
elements grow between windows. It stands for a real-time run of NEST's
rule in which the network and the growth run together. Where growth is
fast enough for that run to be affordable, the two can be compared
directly: this module derives the real-time twin of a clinical-clock config
(:func:`real_time_twin`), runs both and compares the synapse count of the
plastic pathway and the synapses formed and deleted by the homeostatic rule
(:func:`compare_with_real_time`).

The real-time sensor would start at zero and take several ``tau_Ca`` to
settle, while the clock uses the settled value from its first window; left
in, that start-up shifts every cell's elements by ``nu tau_Ca Ca/eps`` and
delays the real-time run's changes by tens of seconds. So the real-time
twin starts from a settled sensor (:func:`settle`: the network run
with its synapses frozen for ``settle`` = 3 ``tau_Ca``), as a real-time
simulation would after a warm-up. The clock has no intrinsic turnover in
this comparison (a real-time run has none).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from plasticity.config import Config, load_config
from plasticity.simulation.experiment import run
from plasticity.simulation.simulate import simulate_many
from plasticity.simulation.timeline import segment_seed
from plasticity.storage import Result, open_result
from plasticity.units import format_quantity

__all__ = ["CLOCK_CRITERION", "ClockComparison", "SettledNetwork", "clock_readouts",
           "compare_with_real_time", "real_time_twin", "settle"]

#: Largest relative difference accepted between the clock and the real-time run (issue 12).
CLOCK_CRITERION = 0.05

#: The compared quantities: synapse count, and cumulative formations and deletions.
QUANTITIES = ("n_syn", "formed", "deleted")


def clock_readouts(result: Result, hours: list[float]) -> dict[str, float]:
    """The clock's readouts of the plastic pathway at clinical times (validation b).

    Parameters
    ----------
    result : Result
        A result of the clinical clock.
    hours : list of float
        Clinical times (h from the start); each readout is taken at the
        clinical update nearest to it.

    Returns
    -------
    dict
        ``"synapses <h> h"``: the synapse count relative to the start;
        ``"changes <h> h"``: synapses formed and deleted by the homeostatic
        rule and eliminated by turnover since the start, relative to the
        synapses at the start.
    """
    clinical = result.series("clinical")
    pathway = next(str(v).removeprefix("n_syn_") for v in clinical.data_vars
                   if str(v).startswith("n_syn_"))
    t_h = clinical["clinical_time_h"].values - float(result.provenance["clinical_start_h"])
    n0 = float(result.series("connectivity")[f"n_syn_{pathway}"].values[0])
    n = clinical[f"n_syn_{pathway}"].values
    changes = np.cumsum(sum(clinical[f"{kind}_{pathway}"].values
                            for kind in ("formed", "deleted", "eliminated")))
    out = {}
    for h in hours:
        k = int(np.argmin(np.abs(t_h - h)))
        out[f"synapses {h:g} h"] = float(n[k]) / n0
        out[f"changes {h:g} h"] = float(changes[k]) / n0
    return out


def real_time_twin(config: Config) -> Config:
    """The full real-time run a clinical-clock config stands for.

    The same network, seed, drug and elements; one real-time segment as long
    as the clinical span, the elements growing every
    ``structural.clinical_update_interval`` from the per-spike calcium sensor.

    Parameters
    ----------
    config : Config
        A config with ``timeline.mode: clinical``, no drug protocol and no
        intrinsic turnover (a real-time run has none).

    Returns
    -------
    Config

    Raises
    ------
    ValueError
        If ``config`` is not such a config.
    """
    if config.timeline.mode != "clinical":
        raise ValueError(f"timeline.mode must be 'clinical' (got '{config.timeline.mode}')")
    turnover = config.structural.turnover
    if float(turnover.new_exit_rate) > 0 or float(turnover.stable_elimination_rate) > 0:
        raise ValueError("structural.turnover must be off (rates 0): a real-time run has no "
                         "intrinsic turnover to compare with")
    if config.pharmacology.protocol is not None:
        raise ValueError("pharmacology.protocol must be unset: the real-time twin runs at "
                         "network time, where a clinical infusion does not fit")
    span_s = float(config.timeline.end) - float(config.timeline.start)
    return load_config(config.model_dump(mode="json"), [
        "timeline={mode: real_time}",
        f"simulation.duration={span_s!r} s",
        f"structural.update_interval={format_quantity(config.structural.clinical_update_interval)}",
        f"name={config.name}_real_time",
    ])


@dataclass
class SettledNetwork:
    """A network run with its synapses frozen until its calcium sensor settled.

    Attributes
    ----------
    state : dict of str to numpy.ndarray
        The structural state at the end
        (:attr:`plasticity.simulation.rundata.RunData.final_state`): the
        initial synapses and elements, each cell's settled sensor.
    rate_hz : dict of str to float
        Each population's mean rate over the run, after each window's warm-up:
        the network's own rate without plasticity.
    settle_s : float
        Network time run.
    """

    state: dict[str, np.ndarray]
    rate_hz: dict[str, float]
    settle_s: float


def _whole_windows(config: Config, settle_s: float) -> int:
    """Windows of ``simulation.duration`` that cover ``settle_s`` (at least one)."""
    return max(1, math.ceil(settle_s / float(config.simulation.duration) - 1e-9))


def settle(config: Config, settle_s: float) -> SettledNetwork:
    """Run the network of ``config`` for ``settle_s`` with the synapses frozen.

    The network runs for whole windows of ``simulation.duration`` (for a
    clinical-clock config, its window build: no extra compile) with growth
    off, carrying the calcium sensor from one window to the next, so each
    cell's sensor ends near its stationary value for the initial synapses,
    which are unchanged. The set points do not enter: one settled network
    serves every regime of :func:`compare_with_real_time`.

    Parameters
    ----------
    config : Config
        A config with structural plasticity.
    settle_s : float
        Network time to run (rounded up to whole windows).

    Returns
    -------
    SettledNetwork
    """
    n = _whole_windows(config, settle_s)
    datas = simulate_many([config] * n, growth_scales=[0.0] * n, carry_structure=True,
                          noise_seeds=[segment_seed(config.seed + 104729, k) for k in range(n)])
    t0_ms = float(config.simulation.warmup) * 1e3
    span_s = n * (float(config.simulation.duration) - float(config.simulation.warmup))
    rates = {pop: sum(int(np.count_nonzero(d.spikes[pop][1] >= t0_ms)) for d in datas)
             / (datas[0].sizes[pop] * span_s) for pop in datas[0].spikes}
    return SettledNetwork(state=datas[-1].final_state, rate_hz=rates,
                          settle_s=n * float(config.simulation.duration))


def _curves(result: Result, group: str, formed: str,
            pathway: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Update times (s) and synapse count, cumulative formations and deletions.

    ``group`` is the series ('connectivity' of a real-time run, 'clinical' of
    the clock) and ``formed`` its name for formations ('created', 'formed').
    """
    ds = result.series(group)
    return ds["time"].values / 1e3, {
        "n_syn": ds[f"n_syn_{pathway}"].values.astype(float),
        "formed": np.cumsum(ds[f"{formed}_{pathway}"].values).astype(float),
        "deleted": np.cumsum(ds[f"deleted_{pathway}"].values).astype(float),
    }


@dataclass
class ClockComparison:
    """Synapse count and cumulative changes of the clock and of the real-time run.

    Attributes
    ----------
    pathway : str
        The plastic pathway.
    time_s : numpy.ndarray
        Times of the clock's structural updates (s from the start).
    clock, real_time : dict of str to numpy.ndarray
        ``n_syn`` (synapses after the update), ``formed`` and ``deleted``
        (cumulative since the start) at ``time_s``.
    n_syn_start : float
        Synapses at the start (the same in both).
    settle_s : float
        Network time the real-time twin's sensor settled for before its start.
    paths : dict
        ``{"clock": path, "real_time": path}`` of the result files.
    """

    pathway: str
    time_s: np.ndarray
    clock: dict[str, np.ndarray]
    real_time: dict[str, np.ndarray]
    n_syn_start: float
    settle_s: float
    paths: dict[str, Path] = field(default_factory=dict)

    def total(self, which: str, name: str) -> float:
        """Formations or deletions of ``which`` ('clock', 'real_time') over the run."""
        return float(getattr(self, which)[name][-1])

    def deviations(self) -> dict[str, float]:
        """Relative difference, clock against real time, of each compared quantity.

        ``n_syn``: the largest over every update time; ``formed`` and
        ``deleted``: of the totals over the run.
        """
        n_rt, n_ck = self.real_time["n_syn"], self.clock["n_syn"]
        out = {"n_syn": float(np.max(np.abs(n_ck / n_rt - 1.0)))}
        for name in ("formed", "deleted"):
            rt = self.total("real_time", name)
            out[name] = abs(self.total("clock", name) / rt - 1.0) if rt > 0 else float("nan")
        return out

    def passed(self, criterion: float = CLOCK_CRITERION) -> bool:
        """Whether every deviation is below ``criterion``."""
        return all(v < criterion for v in self.deviations().values())

    def table(self) -> str:
        """A printable comparison."""
        dev = self.deviations()
        end = self.time_s[-1]
        lines = [
            f"synapses ({self.pathway}) at the start: {self.n_syn_start:.0f}",
            f"  at {end:g} s: real time {self.real_time['n_syn'][-1]:.0f}, clock "
            f"{self.clock['n_syn'][-1]:.0f}; largest difference over the run {dev['n_syn']:.2%}",
        ]
        for name in ("formed", "deleted"):
            lines.append(
                f"  {name} over the run: real time {self.total('real_time', name):.0f}, "
                f"clock {self.total('clock', name):.0f} ({dev[name]:.2%})")
        return "\n".join(lines)


def compare_with_real_time(
    config: Config, workdir: str | Path, *, settled: SettledNetwork | None = None,
    progress: bool = False,
) -> ClockComparison:
    """Run a clinical-clock config and its real-time twin, and compare their synapses.

    Parameters
    ----------
    config : Config
        The clock's run (see :func:`real_time_twin` for what it may contain);
        its clinical update interval must be a whole multiple of the real-time
        update grid, which it is by construction of the twin.
    workdir : path
        Where the two result files go (``clock.h5`` and ``real_time.h5``;
        existing files are reused).
    settled : SettledNetwork, optional
        The network settled with :func:`settle` (default: settled here for 3
        ``tau_Ca``); the real-time run starts from its state.
    progress : bool
        Show progress bars.

    Returns
    -------
    ClockComparison
    """
    twin = real_time_twin(config)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    paths = {"real_time": workdir / "real_time.h5", "clock": workdir / "clock.h5"}
    if not paths["real_time"].exists():
        if settled is None:
            settled = settle(config, 3.0 * float(config.structural.tau_ca))
        run(twin, paths["real_time"], progress=progress, initial_state=settled.state)
    settle_s = settled.settle_s if settled is not None else _whole_windows(
        config, 3.0 * float(config.structural.tau_ca)) * float(config.simulation.duration)
    if not paths["clock"].exists():
        run(config, paths["clock"], progress=progress)
    pathway = config.structural.pathways[0]
    clock_result, rt_result = open_result(paths["clock"]), open_result(paths["real_time"])
    t_ck, clock = _curves(clock_result, "clinical", "formed", pathway)
    t_rt, real_time = _curves(rt_result, "connectivity", "created", pathway)
    # the clock's update times from the start, on the real-time run's update grid
    t_ck = t_ck - float(config.timeline.start)
    # (the real-time run's last update is one interval before its end)
    keep = t_ck <= t_rt[-1] + 1e-6
    t_ck, clock = t_ck[keep], {k: v[keep] for k, v in clock.items()}
    index = np.searchsorted(t_rt, t_ck - 1e-6)
    if np.any(index >= len(t_rt)) or not np.allclose(t_rt[index], t_ck, atol=1e-6):
        raise ValueError("the clock's update times are not on the real-time run's update grid")
    n_start = float(clock_result.series("connectivity")[f"n_syn_{pathway}"].values[0])
    return ClockComparison(
        pathway=pathway, time_s=t_ck, clock=clock,
        real_time={k: v[index] for k, v in real_time.items()}, n_syn_start=n_start,
        settle_s=settle_s, paths=paths)

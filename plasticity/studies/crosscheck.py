"""Cross-check structural plasticity against NEST's own example runs.

NEST's ``structural_plasticity.py`` example (nest-simulator 3.10) was run for
several seeds by ``experiments/reference/make_reference_data.py``; its
trajectories (mean calcium, connections and rates of E and I cells, every
second) are stored in ``tests/data/nest_sp_*.npz``. The same network in
plasticity is ``configs/nest_structural_plasticity.yaml``. This module puts
a plasticity result on NEST's clock and checks it against NEST's
seed-to-seed envelope: mean +- 3 SD across seeds, never tighter than +-15 %
of the mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from plasticity.storage import Result

__all__ = ["READOUTS", "EnvelopeCheck", "envelope_check", "leave_one_out", "load_reference",
           "permutation_test", "trajectories"]

#: Readouts compared, with their names in the NEST reference files.
READOUTS = ("ca_e", "ca_i", "conn_e", "conn_i", "rate_e", "rate_i")


def load_reference(path: str | Path) -> dict[str, np.ndarray]:
    """NEST trajectories: ``time`` (s, n_times) and readouts (n_seeds x n_times)."""
    with np.load(path, allow_pickle=False) as data:
        return {key: np.asarray(data[key]) for key in ("time", *READOUTS)}


def trajectories(result: Result, times_s: np.ndarray, update_interval_s: float,
                 exc: str = "exc", inh: str = "pv") -> dict[str, np.ndarray]:
    """Readouts of a plasticity result at NEST's recording times.

    NEST records after simulating each second, so at time t it shows the
    calcium at t, the rate over (t - 1, t] and the connections made by the
    last update strictly before t (an update at t runs after the recording).
    """
    state = result.series("state")
    t_state = state["time"].values * 1e-3
    conn = result.series("connectivity")
    t_update = conn["time"].values * 1e-3
    rates = result.series("rates")
    t_rate = rates["time"].values * 1e-3

    def at(t_grid, values, t):
        return np.interp(t, t_grid, values)

    def last_update(values, t):
        idx = np.searchsorted(t_update, t - 1e-9 * update_interval_s, side="left") - 1
        return values[np.clip(idx, 0, len(values) - 1)]

    n = {pw: conn[f"n_syn_{pw}"].values for pw in
         (f"{exc}_to_{exc}", f"{exc}_to_{inh}", f"{inh}_to_{exc}", f"{inh}_to_{inh}")}
    return {
        "time": np.asarray(times_s, dtype=float),
        "ca_e": at(t_state, state[f"ca_mean_{exc}"].values, times_s),
        "ca_i": at(t_state, state[f"ca_mean_{inh}"].values, times_s),
        "conn_e": last_update(n[f"{exc}_to_{exc}"] + n[f"{exc}_to_{inh}"], times_s),
        "conn_i": last_update(n[f"{inh}_to_{exc}"] + n[f"{inh}_to_{inh}"], times_s),
        "rate_e": at(t_rate, rates[f"rate_{exc}"].values, times_s - 0.5),
        "rate_i": at(t_rate, rates[f"rate_{inh}"].values, times_s - 0.5),
    }


@dataclass
class EnvelopeCheck:
    """Where a run leaves NEST's envelope."""

    time: np.ndarray
    inside: dict[str, np.ndarray]  # readout -> bool per time
    ratio: dict[str, np.ndarray]  # readout -> ours / NEST mean per time

    def passed(self, readouts: tuple[str, ...] = ("ca_e", "ca_i", "conn_e", "conn_i")) -> bool:
        """Whether every listed readout stays inside at every compared time."""
        return all(bool(np.all(self.inside[r])) for r in readouts)

    def table(self) -> str:
        """One line per readout: fraction of times inside, ratio range."""
        lines = []
        for name in self.inside:
            ratio = self.ratio[name][np.isfinite(self.ratio[name])]
            span = f"{ratio.min():.3f}-{ratio.max():.3f}" if ratio.size else "n/a"
            lines.append(f"{name:8s} inside {self.inside[name].mean():6.1%} of "
                         f"{len(self.time)} s; ours/NEST mean {span}")
        return "\n".join(lines)


def envelope_check(ours: dict[str, np.ndarray], reference: dict[str, np.ndarray],
                   t_min_s: float = 20.0, n_sd: float = 3.0,
                   floor: float = 0.15) -> EnvelopeCheck:
    """Compare ``ours`` (from :func:`trajectories`) with NEST's seeds after ``t_min_s``."""
    t = reference["time"]
    keep = (t > t_min_s) & np.isin(t, ours["time"])
    ours_idx = np.searchsorted(ours["time"], t[keep])
    inside, ratio = {}, {}
    for name in READOUTS:
        runs = reference[name][:, keep]
        mean, sd = runs.mean(axis=0), runs.std(axis=0, ddof=1)
        half = np.maximum(n_sd * sd, floor * np.abs(mean))
        value = ours[name][ours_idx]
        inside[name] = np.abs(value - mean) <= half + 1e-12
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio[name] = np.where(mean != 0, value / mean, np.nan)
    return EnvelopeCheck(t[keep], inside, ratio)


def leave_one_out(reference: dict[str, np.ndarray], **kwargs) -> list[EnvelopeCheck]:
    """Each NEST seed checked against the envelope of the other NEST seeds.

    This is the baseline for :func:`envelope_check`: how often NEST itself
    stays inside its own seed-to-seed envelope. After 160 s of the shipped
    example (inhibitory cells above 50 Hz, synapses being pruned) 3 of 13
    NEST seeds leave it for a few seconds, so a faithful simulator cannot be asked
    for more than NEST's own rate. Keyword arguments go to
    :func:`envelope_check`.
    """
    n_seeds = reference[READOUTS[0]].shape[0]
    checks = []
    for k in range(n_seeds):
        one = {"time": reference["time"], **{r: reference[r][k] for r in READOUTS}}
        rest = {"time": reference["time"],
                **{r: np.delete(reference[r], k, axis=0) for r in READOUTS}}
        checks.append(envelope_check(one, rest, **kwargs))
    return checks


def permutation_test(a: np.ndarray, b: np.ndarray, n_permutations: int = 20000,
                     seed: int = 0) -> float:
    """Two-sided p-value for equal means of samples ``a`` and ``b``.

    The difference of means is compared with its distribution over random
    relabellings of the pooled samples (Fisher-Pitman permutation test; no
    distribution assumed, so it suits a handful of seeds per simulator).
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    pooled = np.concatenate([a, b])
    observed = abs(a.mean() - b.mean())
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(n_permutations):
        perm = rng.permutation(pooled)
        hits += abs(perm[:a.size].mean() - perm[a.size:].mean()) >= observed - 1e-12
    return (hits + 1) / (n_permutations + 1)

"""Check the clinical-time mapping: one experiment at several compressions.

A compressed timeline (:mod:`plasticity.simulation.timeline`) assumes that the
network's own dynamics relax much faster than the compressed drug time
course changes. This module tests that assumption the way a user would: it
runs the same experiment at several compression factors (e.g. spanning 10x)
and compares readouts binned in *clinical* time (population rates, drug
concentration and NMDA block per pathway). The readouts of the slowest
compression (closest to real time) are the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from plasticity.config import Config, load_config
from plasticity.simulation.experiment import run
from plasticity.simulation.simulate import reusing_builds
from plasticity.storage import Result, open_result

__all__ = ["CompressionCheck", "clinical_readouts", "compare_compressions"]

#: Readouts below this magnitude (e.g. block before the drug) are compared
#: absolutely, not relatively.
ABS_FLOOR = 1e-3


def clinical_readouts(
    result: Result, edges_h: np.ndarray, segment_ms: float, warmup_ms: float
) -> dict[str, np.ndarray]:
    """Readouts of a result file averaged in bins of clinical time.

    Samples in the first ``warmup_ms`` of every segment (each segment starts
    from a fresh network state) are left out.

    Returns
    -------
    dict
        Readout name -> one mean per bin (NaN where a bin has no sample).
    """
    out: dict[str, np.ndarray] = {}
    for group, names in (("rates", None), ("state", ("ketamine_conc",))):
        ds = result.series(group)
        local = ds["time"].values % segment_ms
        keep = local >= warmup_ms - 1e-9
        clinical = ds["clinical_time_h"].values
        which = np.digitize(clinical, edges_h) - 1
        variables = [v for v in ds.data_vars if v != "clinical_time_h"]
        if names is not None:
            variables = [v for v in variables if v in names or v.startswith("nmda_block_")]
        for var in variables:
            values = ds[var].values
            out[var] = np.array([
                values[keep & (which == b)].mean() if np.any(keep & (which == b)) else np.nan
                for b in range(len(edges_h) - 1)
            ])
    return out


@dataclass
class CompressionCheck:
    """Readouts per compression and their deviation from the slowest one."""

    compressions_h_per_s: list[float]
    edges_h: np.ndarray
    readouts: dict[float, dict[str, np.ndarray]]
    paths: dict[float, Path]  # result file of the first replicate

    @property
    def reference(self) -> float:
        """The slowest compression, closest to real time."""
        return min(self.compressions_h_per_s)

    def deviation(self, name: str) -> np.ndarray:
        """Relative deviation from the reference per compression and bin.

        Where the reference is below :data:`ABS_FLOOR` in magnitude the
        absolute difference is used instead.
        """
        ref = self.readouts[self.reference][name]
        rows = []
        for c in self.compressions_h_per_s:
            diff = np.abs(self.readouts[c][name] - ref)
            relative = np.abs(ref) > ABS_FLOOR
            rows.append(np.divide(diff, np.abs(ref), out=diff.copy(), where=relative))
        return np.array(rows)

    def max_deviation(self) -> dict[str, float]:
        """Largest deviation of each readout over compressions and bins."""
        return {name: float(np.nanmax(self.deviation(name)))
                for name in self.readouts[self.reference]}

    def table(self) -> str:
        """A printable table: readout per clinical bin for each compression."""
        bins = [f"{a:g}-{b:g} h" for a, b in zip(self.edges_h[:-1], self.edges_h[1:],
                                                  strict=True)]
        lines = []
        for name in self.readouts[self.reference]:
            lines.append(f"{name}: " + "  ".join(f"{b:>12s}" for b in bins))
            for c in self.compressions_h_per_s:
                row = "  ".join(f"{v:12.4g}" for v in self.readouts[c][name])
                lines.append(f"  {c * 60:6.3g} min/s  {row}")
            lines.append(f"  max deviation from {self.reference * 60:g} min/s: "
                         f"{np.nanmax(self.deviation(name)):.1%}")
        return "\n".join(lines)


def compare_compressions(
    base: Config,
    compressions: list[str],
    edges_h: list[float] | np.ndarray,
    workdir: str | Path,
    *,
    replicates: int = 1,
    progress: bool = False,
) -> CompressionCheck:
    """Run ``base`` with a compressed timeline at each compression and compare.

    Parameters
    ----------
    base : Config
        The experiment (its ``timeline.start`` and ``timeline.end`` are used;
        its mode is set to ``compressed``).
    compressions : list of str
        Clinical time per simulated second, e.g. ``["2 min", "6 min", "20 min"]``.
    edges_h : array
        Edges of the clinical-time bins (hours).
    workdir : path
        Where the result files go (one per compression and replicate).
    replicates : int
        Runs per compression, with seeds ``base.seed``, ``base.seed + 1``, ...;
        readouts are averaged over them. A small network's rate fluctuates
        by 10 % or more over the fraction of a second that a clinical bin
        lasts at strong compression; replicates separate that sampling
        noise from the effect of compression.
    """
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1 (got {replicates})")
    edges = np.asarray(edges_h, dtype=float)
    data = base.model_dump(mode="json")
    data["timeline"]["mode"] = "compressed"
    if data["timeline"]["end"] is None:
        raise ValueError("the base config needs timeline.start and timeline.end")
    readouts, paths, factors = {}, {}, []
    segment_ms = float(base.simulation.duration) * 1e3
    warmup_ms = float(base.simulation.warmup) * 1e3
    # replicate by replicate, so the compressions of one seed run on one set of Brian2
    # objects (the compression reaches the program as run-time inputs only)
    runs: dict[tuple[str, int], dict[str, np.ndarray]] = {}
    with reusing_builds():
        for r in range(replicates):
            for text in compressions:
                config = load_config(data, [f"timeline.compression={text}",
                                            f"seed={base.seed + r}"])
                factor = float(config.timeline.compression) / 3600.0  # clinical h per net s
                name = f"compression_{factor * 3600:g}s" + (f"_rep{r}" if replicates > 1
                                                           else "")
                path = run(config, Path(workdir) / f"{name}.h5", progress=progress)
                runs[text, r] = clinical_readouts(open_result(path), edges, segment_ms,
                                                  warmup_ms)
                if r == 0:
                    paths[factor] = path
                    factors.append(factor)
    for text, factor in zip(compressions, factors, strict=True):
        reps = [runs[text, r] for r in range(replicates)]
        readouts[factor] = {key: np.mean([x[key] for x in reps], axis=0) for key in reps[0]}
    return CompressionCheck(factors, edges, readouts, paths)

"""What ketamine does to the growth rule's activity sensor (issue 13, sensor inputs).

The sensor of the homeostatic rule (``structural.sensor``) can count somatic
spikes (NEST), measure the Ca2+ current through the unblocked NMDA receptors
of the dendrite, or mix the two. A firing sensor reads ketamine's
disinhibition as *more* activity and makes the rule prune (science.md 7.2);
an NMDA-calcium sensor sees the block itself, but also the extra glutamate
and depolarisation that disinhibition brings. This module measures both on
one compiled network, with the synapses frozen:

- :func:`calibrate_nmda_sensor` gives the drug-free NMDA Ca2+ charge per
  somatic spike of pyramidal cells, the normalisation
  ``structural.sensor.nmda_charge_per_spike`` (so that every input has the
  same drug-free mean and one set point serves all);
- :func:`sensor_response` gives, per concentration, the paired change of
  each sensor input against the drug-free network of the same seed, and of
  the quantities behind it (rate, NMDA Ca2+ current, AMPA current, block).

Each run is one window of ``simulation.duration`` after ``warmup``; the
sensor's stationary mean is computed from the window's readouts as the
clinical clock does (:func:`plasticity.simulation.clinical.window_calcium`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plasticity.analysis import bootstrap_ci, paired_effect
from plasticity.config import Config, load_config
from plasticity.simulation.clinical import window_calcium
from plasticity.simulation.simulate import simulate_many

__all__ = ["INPUTS", "SensorResponse", "calibrate_nmda_sensor", "sensor_response",
           "window_config"]

#: The sensor inputs compared (``structural.sensor.input``).
INPUTS = ("spikes", "nmda", "mix")

#: Per-cell quantities behind the sensor, reported beside it.
QUANTITIES = ("rate", "ca_nmda_current", "ampa_current", "ket_block")


def window_config(config: Config, overrides: list[str] | None = None) -> Config:
    """One frozen window of ``config``'s network: no timeline, no protocol, no turnover.

    Parameters
    ----------
    config : Config
        A config with E->E structural plasticity (e.g. ``configs/baseline.yaml``).
    overrides : list of str, optional
        ``--set`` overrides applied last.

    Returns
    -------
    Config
    """
    data = config.model_dump(mode="json")
    data.pop("timeline", None)
    data["pharmacology"].pop("protocol", None)
    data["structural"]["turnover"] = {}
    return load_config(data, list(overrides or []))


def _runs(config: Config, concentrations_uM: list[float], seeds: list[int]):
    configs = [load_config(config.model_dump(mode="json"),
                           [f"seed={seed}", f"pharmacology.ketamine_uM={c!r}"])
               for c in concentrations_uM for seed in seeds]
    out = simulate_many(configs, growth_scales=[0.0] * len(configs))
    return configs, out


def _cell_values(config: Config, data, pop: str = "exc") -> dict[str, np.ndarray]:
    ids, times = data.spikes[pop]
    t0 = float(config.simulation.warmup) * 1e3
    span_s = float(config.simulation.duration) - float(config.simulation.warmup)
    counts = np.bincount(np.asarray(ids)[np.asarray(times) >= t0], minlength=data.sizes[pop])
    values = {"rate": counts / span_s, **data.cell_means[pop]}
    for name in INPUTS:
        sensed = load_config(config.model_dump(mode="json"), [f"structural.sensor.input={name}"])
        values[f"sensor_{name}"] = window_calcium(sensed, data, pop)
    return values


def calibrate_nmda_sensor(config: Config, seeds: list[int] | tuple[int, ...] = (1, 2, 3, 4),
                          ) -> tuple[float, float, float]:
    """Drug-free NMDA Ca2+ charge per somatic spike of pyramidal cells (pC).

    The population's mean Ca2+ current through NMDA receptors over its mean
    rate, per seed; the value for ``structural.sensor.nmda_charge_per_spike``.

    Parameters
    ----------
    config : Config
        The network to calibrate on (drug-free; timeline and protocol are ignored).
    seeds : sequence of int
        Seeds of the windows.

    Returns
    -------
    estimate, low, high : float
        Mean over seeds and its 95 % bootstrap interval, in pC.
    """
    window = window_config(config, ["structural.sensor.input=spikes"])
    configs, runs = _runs(window, [0.0], list(seeds))
    per_seed = []
    for cfg, data in zip(configs, runs, strict=True):
        v = _cell_values(cfg, data)
        per_seed.append(float(np.mean(v["ca_nmda_current"]) / np.mean(v["rate"])) * 1e12)
    return bootstrap_ci(np.array(per_seed))


@dataclass
class SensorResponse:
    """Paired changes of the sensor inputs and their sources against drug-free windows."""

    seeds: list[int]
    concentrations_uM: list[float]
    #: readout -> concentration -> per-seed population mean (drug-free first)
    values: dict[str, dict[float, np.ndarray]]
    #: readout -> concentration -> paired effect (plasticity.analysis.paired_effect)
    effects: dict[str, dict[float, dict[str, float]]]

    def relative(self, readout: str, concentration_uM: float) -> tuple[float, float, float]:
        """Relative change of a readout: mean and 95 % interval (over seeds)."""
        base = self.values[readout][0.0]
        e = self.effects[readout][concentration_uM]
        scale = float(np.mean(base))
        return e["mean_diff"] / scale, e["ci_low"] / scale, e["ci_high"] / scale

    def table(self) -> str:
        """Printable table: relative change (95 % CI) per readout and concentration."""
        lines = [f"sensor response, {len(self.seeds)} seeds, paired against drug-free "
                 "(relative change of the population mean, 95% CI)"]
        header = "  " + f"{'readout':22s}" + "".join(
            f"{c:>24g} uM" for c in self.concentrations_uM if c > 0)
        lines.append(header)
        for readout in self.values:
            if readout == "ket_block":
                cells = [f"{np.mean(self.values[readout][c]):>23.1%} abs"
                         for c in self.concentrations_uM if c > 0]
            else:
                cells = []
                for c in self.concentrations_uM:
                    if c > 0:
                        m, lo, hi = self.relative(readout, c)
                        cells.append(f"{m:+8.1%} [{lo:+6.1%},{hi:+6.1%}]".rjust(27))
            lines.append("  " + f"{readout:22s}" + "".join(cells))
        return "\n".join(lines)


def sensor_response(config: Config, concentrations_uM: list[float],
                    seeds: list[int] | tuple[int, ...] = (1, 2, 3, 4)) -> SensorResponse:
    """Each sensor input's stationary mean under constant ketamine, paired by seed.

    Parameters
    ----------
    config : Config
        The network (timeline, protocol and turnover are ignored: one frozen
        window per run).
    concentrations_uM : list of float
        Free concentrations at the receptors (0 is added as the reference).
    seeds : sequence of int
        Seeds; each concentration runs with every seed.

    Returns
    -------
    SensorResponse
    """
    concs = sorted({0.0, *map(float, concentrations_uM)})
    window = window_config(config)
    seeds = list(seeds)
    configs, runs = _runs(window, concs, seeds)
    values: dict[str, dict[float, np.ndarray]] = {}
    for k, (cfg, data) in enumerate(zip(configs, runs, strict=True)):
        conc = concs[k // len(seeds)]
        for name, cell in _cell_values(cfg, data).items():
            values.setdefault(name, {}).setdefault(conc, np.zeros(len(seeds)))
            values[name][conc][k % len(seeds)] = float(np.mean(cell))
    effects = {name: {c: paired_effect(per[0.0], per[c]) for c in concs if c > 0}
               for name, per in values.items()}
    return SensorResponse(seeds=seeds, concentrations_uM=concs, values=values, effects=effects)

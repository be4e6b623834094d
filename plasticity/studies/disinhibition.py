"""The disinhibition sign test (reference target T7), over several seeds.

Ketamine is thought to disinhibit cortex by blocking NMDA receptors on
interneurons more than on pyramidal cells (Homayoun & Moghaddam 2007,
J Neurosci 27:11496). Susin & Destexhe (2023, eNeuro 10:ENEURO.0157-23.2023)
showed in an E/I network that the paradoxical gamma increase under NMDA
antagonists needs a higher affinity for interneuron receptors. This module
runs the paired comparison on one compiled network: every condition and
every seed share one build, only run-time inputs change.

Readouts per run: the mean pyramidal rate after the warm-up, and the
relative 30-80 Hz power (fraction of 1-500 Hz power) of the LFP proxy, since
absolute power rises with rate alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plasticity.analysis import paired_effect
from plasticity.config import Config, load_config
from plasticity.simulation.rundata import summarize
from plasticity.simulation.simulate import simulate_many

__all__ = ["CONDITIONS", "SignTestResult", "run_sign_test", "run_sign_tests"]

#: Condition name -> hypothesis preset; the baseline has no drug.
CONDITIONS = {
    "preferential": "glun2cd_interneurons",
    "equal_affinity": "equal_affinity",
    "exc_only": "exc_only",
}


@dataclass
class SignTestResult:
    """Per-seed readouts and paired effects against the drug-free baseline."""

    seeds: list[int]
    concentration_uM: float
    rates: dict[str, np.ndarray]  # condition -> per-seed pyramidal rate (Hz)
    gamma: dict[str, np.ndarray]  # condition -> per-seed relative gamma of LFP proxy
    effects: dict[str, dict[str, dict[str, float]]]  # condition -> readout -> effect

    def table(self) -> str:
        """A printable table of effect sizes with 95 % bootstrap CIs."""
        lines = [
            f"disinhibition sign test: {len(self.seeds)} seeds, ketamine "
            f"{self.concentration_uM:g} uM; paired change vs baseline (95% CI)"
        ]
        for cond, readouts in self.effects.items():
            for readout, e in readouts.items():
                lines.append(
                    f"  {cond:15s} {readout:22s} {e['mean_diff']:+.4f} "
                    f"[{e['ci_low']:+.4f}, {e['ci_high']:+.4f}]"
                    f"  rel {e['relative_change']:+.1%}"
                )
        return "\n".join(lines)


def _mg_signature(data: dict, hypothesis: str, overrides: list[str] | None) -> str:
    """A short name for the Mg2+ blocks of a hypothesis (what shapes the drug-free network)."""
    config = load_config(data, [*(overrides or []), f"pharmacology.hypothesis={hypothesis}"])
    parts = []
    for receptor in config.pharmacology.resolved_receptors().values():
        parts.append(f"{float(receptor.mg_k0) * 1e3:.4g}mM")
    return "_".join(parts)


def run_sign_test(
    base: Config | None = None,
    seeds: list[int] | tuple[int, ...] = (1, 2, 3, 4),
    concentration_uM: float = 3.0,
    overrides: list[str] | None = None,
) -> SignTestResult:
    """Run baseline and the three block hypotheses for each seed.

    Parameters
    ----------
    base : Config, optional
        Network to test (default: the package defaults, 1000 neurons).
    seeds : sequence of int
        One paired replicate per seed.
    concentration_uM : float
        Ketamine concentration of the drug conditions.
    overrides : list of str, optional
        Extra ``KEY=VALUE`` overrides applied to ``base``.

    Returns
    -------
    SignTestResult
    """
    return run_sign_tests(base, seeds, [concentration_uM], overrides)[0]


def run_sign_tests(
    base: Config | None = None,
    seeds: list[int] | tuple[int, ...] = (1, 2, 3, 4),
    concentrations_uM: list[float] | tuple[float, ...] = (3.0,),
    overrides: list[str] | None = None,
) -> list[SignTestResult]:
    """:func:`run_sign_test` at several concentrations, on one set of drug-free runs.

    The drug-free baselines do not depend on the concentration: they run once
    and every concentration's conditions are paired with them, all in one
    batch of the compiled network.

    Parameters
    ----------
    base, seeds, overrides
        As for :func:`run_sign_test`.
    concentrations_uM : sequence of float
        Ketamine concentrations (> 0), one result each.

    Returns
    -------
    list of SignTestResult
        In the order of ``concentrations_uM``.
    """
    data = (base or load_config(None)).model_dump(mode="json")
    # Each drug condition is paired with the drug-free network of the same receptors: the
    # hypothesis sets each pathway's subunit and so its Mg2+ block, which shapes the network
    # without drug too. Conditions whose Mg2+ blocks agree share one baseline run.
    baseline_of = {name: f"baseline_{_mg_signature(data, hypothesis, overrides)}"
                   for name, hypothesis in CONDITIONS.items()}
    runs_of: dict[tuple[str, float], tuple[str, float]] = {}
    for key in dict.fromkeys(baseline_of.values()):
        hypothesis = CONDITIONS[next(n for n, b in baseline_of.items() if b == key)]
        runs_of[key, 0.0] = (hypothesis, 0.0)
    for conc in concentrations_uM:
        for name, hypothesis in CONDITIONS.items():
            runs_of[name, float(conc)] = (hypothesis, float(conc))
    configs, keys = [], []
    for seed in seeds:
        for key, (hypothesis, conc) in runs_of.items():
            extra = [f"seed={seed}", f"pharmacology.hypothesis={hypothesis}",
                     f"pharmacology.ketamine_uM={conc}"]
            configs.append(load_config(data, [*(overrides or []), *extra]))
            keys.append(key)
    runs = simulate_many(configs)
    rates: dict[tuple[str, float], list[float]] = {key: [] for key in runs_of}
    gamma: dict[tuple[str, float], list[float]] = {key: [] for key in runs_of}
    for key, config, run in zip(keys, configs, runs, strict=True):
        summary = summarize(config, run)
        rates[key].append(summary["exc_rate_hz"][0])
        gamma[key].append(summary["lfp_gamma_fraction"][0])
    return [_effects(list(seeds), float(conc), baseline_of,
                     {name: np.array(rates[name, c]) for name, c in runs_of
                      if c in (0.0, float(conc))},
                     {name: np.array(gamma[name, c]) for name, c in runs_of
                      if c in (0.0, float(conc))})
            for conc in concentrations_uM]


def _effects(seeds: list[int], concentration_uM: float, baseline_of: dict[str, str],
             r: dict[str, np.ndarray], g: dict[str, np.ndarray]) -> SignTestResult:
    effects = {
        name: {
            "exc_rate_hz": paired_effect(r[baseline_of[name]], r[name]),
            "lfp_gamma_fraction": paired_effect(g[baseline_of[name]], g[name]),
        }
        for name in CONDITIONS
    }
    # the difference of the two drug effects, seed by seed: equal affinity's drugged gamma
    # moved onto the preferential condition's baseline (the same run when they share one)
    equal_on_pref = (g["equal_affinity"] - g[baseline_of["equal_affinity"]]
                     + g[baseline_of["preferential"]])
    effects["preferential_vs_equal"] = {
        "lfp_gamma_fraction": paired_effect(equal_on_pref, g["preferential"]),
    }
    r["baseline"] = r[baseline_of["preferential"]]
    g["baseline"] = g[baseline_of["preferential"]]
    return SignTestResult(seeds, concentration_uM, r, g, effects)

"""
Susin & Destexhe (2023): NMDA block on interneurons and the gamma paradox
=========================================================================

Susin, E. and Destexhe, A. (2023). Mechanisms of the paradoxical increase of
gamma oscillations under NMDA receptor antagonists. eNeuro 10(11),
ENEURO.0157-23.2023. Their E/I network shows the gamma increase seen under
ketamine only if the drug blocks NMDA receptors on interneurons with higher
affinity than those on pyramidal cells.

Here the same question is put to the plasticity network (pyramidal cells
with a dendrite, PV and SST interneurons; docs/MODEL.md): one compiled
network, every seed and condition a set of run-time inputs.

Run::

    python experiments/Susin_Destexhe_2023.py --seeds 8 --conc 3 -o results/susin_destexhe

It prints each effect with its 95 % bootstrap CI and saves a figure.
"""

import argparse
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from plasticity.studies.disinhibition import run_sign_test

# ---------------------------------------------------------------------------
# Prepare: the conditions are the hypothesis presets of
# plasticity.pharmacology.block, compared at one concentration.
# ---------------------------------------------------------------------------
parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--seeds", type=int, default=8, help="paired replicates")
parser.add_argument("--conc", type=float, default=3.0, help="ketamine (uM)")
parser.add_argument("--duration", default="2 s", help="simulated time per run")
parser.add_argument("-o", "--output", type=Path, default=Path("results/susin_destexhe_2023"))
args = parser.parse_args()

# ---------------------------------------------------------------------------
# Build and run: baseline, preferential, equal-affinity and E->E-only block.
# ---------------------------------------------------------------------------
result = run_sign_test(
    seeds=list(range(1, args.seeds + 1)),
    concentration_uM=args.conc,
    overrides=[f"simulation.duration={args.duration}"],
)
print(result.table())

# ---------------------------------------------------------------------------
# Plot: per-seed paired changes with the mean and its CI.
# ---------------------------------------------------------------------------
args.output.mkdir(parents=True, exist_ok=True)
fig = Figure(figsize=(8, 3.5))
FigureCanvasAgg(fig)
conditions = ["preferential", "equal_affinity", "exc_only"]
for k, (readout, data, label) in enumerate(
    [("exc_rate_hz", result.rates, "pyramidal rate change (Hz)"),
     ("lfp_gamma_fraction", result.gamma, "relative 30-80 Hz power change")]
):
    ax = fig.add_subplot(1, 2, k + 1)
    for x, cond in enumerate(conditions):
        diffs = data[cond] - data["baseline"]
        ax.plot(np.full(diffs.size, x), diffs, "o", color="0.6", ms=4)
        e = result.effects[cond][readout]
        ax.errorbar(x, e["mean_diff"], yerr=[[e["mean_diff"] - e["ci_low"]],
                                             [e["ci_high"] - e["mean_diff"]]],
                    fmt="s", color="k", capsize=4)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xticks(range(len(conditions)), ["interneuron-\npreferential", "equal\naffinity",
                                           "E->E\nonly"])
    ax.set_ylabel(label)
fig.suptitle(f"{args.conc:g} uM ketamine, {args.seeds} seeds (mean, 95% CI)")
fig.tight_layout()
fig.savefig(args.output / "sign_test.png", dpi=120)
print(f"figure: {args.output / 'sign_test.png'}")

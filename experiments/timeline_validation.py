"""
Validating clinical-time compression
====================================

A ketamine infusion lasts 40 minutes; a spiking network is simulated for
seconds. plasticity maps one onto the other with a compressed timeline: one
simulated second stands for a declared span of clinical time (README,
"Clinical time versus network time"). The mapping is sound only while the
network's own dynamics relax faster than the compressed drug time course
changes, so it has to be checked, not assumed.

This script runs one experiment, 0.5 mg/kg ketamine hydrochloride over
40 min (Berman et al. 2000; Zarate et al. 2006) in a 70 kg adult with the
Domino et al. (1982) pharmacokinetics, from 20 min before the infusion to
3 h after its start, at three compressions spanning 10x, and compares
readouts binned in clinical time: population rates, effect-site
concentration and NMDA block per pathway. The slowest compression is the
reference.

Run::

    python experiments/timeline_validation.py -o results/timeline_validation

It prints the table, the largest deviation of each readout, and saves a
figure. The result files stay in the output folder.
"""

import argparse
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import plasticity
from plasticity.studies.compression import compare_compressions

# ---------------------------------------------------------------------------
# Prepare: the quickstart network with the infusion protocol and a clinical
# span of -20 min to 160 min; only the compression changes between runs.
# ---------------------------------------------------------------------------
parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--config", default="configs/quickstart.yaml")
parser.add_argument("--compressions", nargs=3, default=["2 min", "6 min", "20 min"],
                    help="clinical time per simulated second, slowest first")
parser.add_argument("--set", dest="overrides", action="append", default=[],
                    metavar="KEY=VALUE", help="extra config overrides")
parser.add_argument("-o", "--output", type=Path, default=Path("results/timeline_validation"))
args = parser.parse_args()

protocol = "pharmacology.protocol={infusions: [{dose: 0.5 mg/kg, duration: 40 min}]}"
timeline = "timeline={mode: compressed, start: -20 min, end: 160 min, compression: 6 min}"
base = plasticity.load_config(args.config, [protocol, timeline, *args.overrides])
edges_h = np.array([-20, 0, 20, 40, 80, 160]) / 60.0

# ---------------------------------------------------------------------------
# Build and run: every compression uses the same compiled network (the
# segments differ only in their drug trace and seed, which are run-time
# inputs), so only the first run compiles.
# ---------------------------------------------------------------------------
check = compare_compressions(base, args.compressions, edges_h, args.output, progress=True)

# ---------------------------------------------------------------------------
# Record: the table and the largest deviations.
# ---------------------------------------------------------------------------
print(check.table())
print("\nlargest deviation from the slowest compression, per readout:")
for name, dev in check.max_deviation().items():
    print(f"  {name:24s} {dev:7.1%}")

# ---------------------------------------------------------------------------
# Plot: each readout against clinical time, one line per compression.
# ---------------------------------------------------------------------------
names = list(check.readouts[check.reference])
fig = Figure(figsize=(10, 2.2 * len(names)))
FigureCanvasAgg(fig)
centres = 0.5 * (edges_h[:-1] + edges_h[1:])
for i, name in enumerate(names):
    ax = fig.add_subplot(len(names), 1, i + 1)
    for c in check.compressions_h_per_s:
        ax.plot(centres, check.readouts[c][name], "o-", label=f"{c * 60:g} min/s")
    ax.set_ylabel(name, fontsize=8)
    if i == 0:
        ax.legend(fontsize=8)
ax.set_xlabel("clinical time (h)")
args.output.mkdir(parents=True, exist_ok=True)
fig.savefig(args.output / "timeline_validation.png", dpi=100, bbox_inches="tight")
print(f"\nwrote {args.output / 'timeline_validation.png'}")

"""
Hypotheses side by side: what tells them apart? (issue 14, section 5)
=====================================================================

Three hypotheses of how ketamine starts synaptogenesis are presets of the
model (``pharmacology.hypothesis``, docs/MODEL.md), and their combinations
are config switches:

- **disinhibition** (``glun2cd_interneurons``; Homayoun & Moghaddam 2007):
  the block falls mostly on interneurons' NMDA receptors, pyramidal cells
  fire more, and the AMPA surge drives BDNF release and mTORC1;
- **block at rest** (``glun2b_pyramidal``; Autry et al. 2011, Miller et al.
  2014): the block of pyramidal GluN2B receptors at rest releases BDNF
  translation (eEF2), with no rise of firing;
- **HNK through AMPA** (``hnk_ampa``; Zanos et al. 2016): the metabolite
  (2R,6R)-hydroxynorketamine potentiates AMPA transmission, NMDA-independent;
- **disinhibition + HNK** and **block at rest + HNK**: the presets with HNK's
  AMPA action on (``pharmacology.hnk_action.enabled``).

Each is given the same infusion (0.5 mg/kg over 40 min) on the same stressed
network (``configs/treatment_cohort.yaml``'s chain: 120 days of stressed
turnover, a drug-free day), with its rapamycin (mTORC1 off) and NBQX (AMPA
receptors of the pathways off) arms, and one drug-free arm per seed (the
hypotheses leave the drug-free network as it is). Predictions that tell them
apart, each minus the drug-free arm of the same seed:

1. acute, in the window 30 min into the infusion: pyramidal and PV rates,
   relative gamma power;
2. timing: synapses formed over the first 1, 3, 6, 12 and 24 h;
3. the gain at 24 h (fraction of the stress-induced loss restored), and the
   share of it left under rapamycin and under NBQX.

Run::

    python experiments/hypotheses_side_by_side.py -o results/hypotheses            # 3 seeds
    python experiments/hypotheses_side_by_side.py --full -o results/hypotheses     # 8 seeds

(3 seeds x 16 arms: about 30 minutes on 2 cores; finished chains are kept.)
"""

import argparse
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import plasticity
import plasticity.sweep
from plasticity.analysis import format_ci, formed_between, restored_at, window_value
from plasticity.sweep.directory import read_manifest

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--seeds", type=int, default=3)
parser.add_argument("--full", action="store_true", help="8 seeds (the README numbers)")
parser.add_argument("--executor", choices=("local", "slurm", "dask"), default="local")
parser.add_argument("--workers", type=int, default=None)
parser.add_argument("--set", action="append", default=[], help="extra KEY=VALUE overrides")
parser.add_argument("-o", "--output", type=Path, default=Path("results/hypotheses"))
args = parser.parse_args()
seeds = list(range(1, (8 if args.full else args.seeds) + 1))
args.output.mkdir(parents=True, exist_ok=True)

HNK = {"pharmacology.protocol.metabolites": {}, "pharmacology.hnk_action.enabled": True}
HYPOTHESES = {
    "disinhibition": {"pharmacology.hypothesis": "glun2cd_interneurons"},
    "block at rest": {"pharmacology.hypothesis": "glun2b_pyramidal"},
    "HNK via AMPA": {"pharmacology.hypothesis": "hnk_ampa",
                     "pharmacology.protocol.metabolites": {}},
    "disinhibition + HNK": {"pharmacology.hypothesis": "glun2cd_interneurons", **HNK},
    "block at rest + HNK": {"pharmacology.hypothesis": "glun2b_pyramidal", **HNK},
}
KNOCKOUTS = {"intact": {}, "rapamycin": {"signalling.knockouts.rapamycin": True},
             "NBQX": {"signalling.knockouts.nbqx": True}}
ONE = {"name": "fixed", "days": [0], "dose_mg_per_kg": 0.5, "duration_min": 40}
ARMS = {("drug-free", "intact"): {"treatment.policy": {**ONE, "dose_mg_per_kg": 0.0}}}
for name, hyp in HYPOTHESES.items():
    for knockout, ko in KNOCKOUTS.items():
        ARMS[name, knockout] = {"treatment.policy": ONE, **hyp, **ko}

config = plasticity.load_config(ROOT / "configs/treatment_cohort.yaml", args.set)
raw = config.model_dump(mode="json")
raw.update(cohort=None, seed=seeds[0])
raw["treatment"]["follow_up"] = "3 day"
raw["sweep"] = {"replicates": len(seeds), "points": list(ARMS.values())}
out = args.output / "sweep"
plasticity.sweep.run(raw, out, executor=args.executor, workers=args.workers, quiet=True)
table = plasticity.load_sweep(out)
if (table["state"] != "done").any():
    raise SystemExit(f"{out}: not every chain is done; see plasticity status {out}")
results = {}
for point in read_manifest(out)["points"]:
    params = {k: v for k, v in point["params"].items() if k != "seed"}
    arm = next(a for a, v in ARMS.items() if v == params)
    results[(*arm, point["seed"])] = plasticity.open_result(out / "points" / f"{point['id']}.h5")


HOURS = (1, 3, 6, 12, 24)
print(f"{len(seeds)} seeds; each readout minus the drug-free arm of the same seed, mean "
      "[95 % bootstrap CI]")
stats = {}
for name in HYPOTHESES:
    free = {s: results["drug-free", "intact", s] for s in seeds}
    intact = {s: results[name, "intact", s] for s in seeds}
    acute = {key: [window_value(intact[s], 0.5, key) - window_value(free[s], 0.5, key)
                   for s in seeds]
             for key in ("exc_rate_hz", "pv_rate_hz", "exc_gamma_fraction")}
    timing = {h: [formed_between(intact[s], 0, h) - formed_between(free[s], 0, h)
                  for s in seeds] for h in HOURS}
    gains = {ko: [restored_at(results[name, ko, s], 1.0, versus=free[s]) for s in seeds]
             for ko in KNOCKOUTS}
    stats[name] = dict(acute=acute, timing=timing, gains=gains)
    print(f"\n{name}:")
    print(f"  acute (30 min): pyramidal {format_ci(acute['exc_rate_hz'])} Hz, PV "
          f"{format_ci(acute['pv_rate_hz'])} Hz, relative gamma "
          f"{format_ci(acute['exc_gamma_fraction'])}")
    print("  extra synapses formed by " + ", ".join(
        f"{h} h: {np.mean(timing[h]):+.1f}" for h in HOURS))
    print(f"  gain at 24 h: intact {format_ci(gains['intact'])}, rapamycin "
          f"{format_ci(gains['rapamycin'])}, NBQX {format_ci(gains['NBQX'])}")
    intact_mean = np.mean(gains["intact"])
    if abs(intact_mean) > 0:
        print(f"  share left: rapamycin {np.mean(gains['rapamycin']) / intact_mean:.2f}, "
              f"NBQX {np.mean(gains['NBQX']) / intact_mean:.2f}")

fig = Figure(figsize=(14, 4), layout="constrained")
canvas = FigureCanvasAgg(fig)
ax1, ax2, ax3 = fig.subplots(1, 3)
names = list(HYPOTHESES)
x = np.arange(len(names))
for k, (key, label) in enumerate((("exc_rate_hz", "pyramidal"), ("pv_rate_hz", "PV"))):
    ax1.bar(x + (k - 0.5) * 0.35, [np.mean(stats[n]["acute"][key]) for n in names], 0.35,
            yerr=[np.std(stats[n]["acute"][key]) for n in names], label=label)
ax1.axhline(0, color="k", lw=0.6)
ax1.set(xticks=x, ylabel="rate change (Hz)", title="acute, 30 min into the infusion")
ax1.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
ax1.legend()
for n in names:
    ax2.plot(HOURS, [np.mean(stats[n]["timing"][h]) for h in HOURS], "o-", label=n)
ax2.axhline(0, color="k", lw=0.6)
ax2.set(xlabel="hours after the start", ylabel="extra synapses formed",
        title="timing of formation")
ax2.legend(fontsize=7)
for k, ko in enumerate(KNOCKOUTS):
    ax3.bar(x + (k - 1) * 0.27, [np.mean(stats[n]["gains"][ko]) for n in names], 0.27,
            yerr=[np.std(stats[n]["gains"][ko]) for n in names], label=ko)
ax3.axhline(0, color="k", lw=0.6)
ax3.set(xticks=x, ylabel="loss restored vs drug-free", title="gain at 24 h and knockouts")
ax3.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
ax3.legend()
figure = args.output / "hypotheses.png"
canvas.print_png(str(figure))
print(f"\nfigure: {figure}")

"""
Hours against weeks: ketamine and an SSRI-like slow comparator (issue 14, section 4)
==================================================================================

Ketamine acts within hours; monoaminergic antidepressants need weeks. One
reading of the slow onset is that chronic (not acute) SSRI treatment raises
BDNF expression only after weeks (Nibuya, Morinobu & Duman 1995, J Neurosci
15:7539: three weeks in rat hippocampus), while ketamine releases BDNF
translation within an hour of the block (Autry et al. 2011, Nature 475:91).
Here both act on the same stressed network (``configs/treatment_cohort.yaml``:
120 days of stressed turnover from the unstressed network, then a drug-free
day), each arm a chain of sessions of the same seeds:

- ``drug-free``: a zero dose at day 0;
- ``ketamine``: one infusion of 0.5 mg/kg over 40 min at day 0;
- ``SSRI-like``: a zero dose at day 0, and from day 0 the growth-factor tone
  (constitutive formation) rising towards the control's with a time
  constant of 14 days (``structural.turnover.formation_course``; the time
  constant is our choice, "weeks"; the factor brings the tone lowered 10 %
  by stress back to the control's);
- ``both``: the infusion and the SSRI-like course.

Readout: the fraction of the stress-induced synapse loss restored, minus the
drug-free arm of the same seed, over 6 weeks; and the time each arm takes to
restore a quarter of the loss (reported as not reached within the 6 weeks
where it does not).

Run::

    python experiments/slow_comparator.py -o results/slow_comparator          # 3 seeds
    python experiments/slow_comparator.py --full -o results/slow_comparator   # 8 seeds

(3 seeds x 4 arms: about 15 minutes on 2 cores.)
"""

import argparse
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import plasticity
import plasticity.sweep
from plasticity.analysis import format_ci, restored_course
from plasticity.sweep.directory import read_manifest

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--seeds", type=int, default=3)
parser.add_argument("--full", action="store_true", help="8 seeds (the README numbers)")
parser.add_argument("--executor", choices=("local", "slurm", "dask"), default="local")
parser.add_argument("--workers", type=int, default=None)
parser.add_argument("--set", action="append", default=[], help="extra KEY=VALUE overrides")
parser.add_argument("-o", "--output", type=Path, default=Path("results/slow_comparator"))
args = parser.parse_args()
seeds = list(range(1, (8 if args.full else args.seeds) + 1))
args.output.mkdir(parents=True, exist_ok=True)
WEEKS = 6
THRESHOLD = 0.25  # a quarter of the loss restored (our choice of a landmark)

config = plasticity.load_config(ROOT / "configs/treatment_cohort.yaml", args.set)
raw = config.model_dump(mode="json")
raw["cohort"] = None
raw["seed"] = seeds[0]
raw["treatment"]["follow_up"] = f"{7 * WEEKS} day"


def policy(dose: float) -> dict:
    return {"name": "fixed", "days": [0], "dose_mg_per_kg": dose, "duration_min": 40}


SSRI = {"start": "0 day", "factor": 1.416 / 1.274, "time_constant": "14 day"}
ARMS = {
    "drug-free": {"treatment.policy": policy(0.0)},
    "ketamine": {"treatment.policy": policy(0.5)},
    "SSRI-like": {"treatment.policy": policy(0.0),
                  "structural.turnover.formation_course": SSRI},
    "both": {"treatment.policy": policy(0.5), "structural.turnover.formation_course": SSRI},
}
raw["sweep"] = {"replicates": len(seeds), "points": list(ARMS.values())}
out = args.output / "sweep"
plasticity.sweep.run(raw, out, executor=args.executor, workers=args.workers, quiet=True)
table = plasticity.load_sweep(out)
if (table["state"] != "done").any():
    raise SystemExit(f"{out}: not every chain is done; see plasticity status {out}")

results = {}
for point in read_manifest(out)["points"]:
    arm = next(k for k, v in ARMS.items() if all(point["params"].get(key) == value
                                                 for key, value in v.items())
               and set(v) == set(point["params"]) - {"seed"})
    results[arm, point["seed"]] = plasticity.open_result(out / "points" / f"{point['id']}.h5")


def restored(arm: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Clinical days and the fraction of the loss restored, minus drug-free (same seed)."""
    return restored_course(results[arm, seed], versus=results["drug-free", seed])


print(f"{len(seeds)} seeds; fraction of the stress-induced loss restored, minus drug-free "
      "(mean [95 % bootstrap CI])")
for arm in ("ketamine", "SSRI-like", "both"):
    print(f"\n{arm}:")
    for day in (1, 3, 7, 14, 28, 42):
        values = []
        for seed in seeds:
            t, d = restored(arm, seed)
            values.append(d[np.nonzero(t <= day + 1e-9)[0][-1]])
        print(f"  day {day:2d}: {format_ci(values)}")
    times = []
    for seed in seeds:
        t, d = restored(arm, seed)
        hit = np.nonzero(d >= THRESHOLD)[0]
        times.append(t[hit[0]] if len(hit) else np.inf)
    reached = [x for x in times if np.isfinite(x)]
    print(f"  time to {THRESHOLD:.0%} of the loss restored: "
          + (f"median {np.median(times):.1f} days ({len(reached)} of {len(seeds)} seeds)"
             if reached else f"not reached within {WEEKS} weeks"))

fig = Figure(figsize=(7, 4.5), layout="constrained")
canvas = FigureCanvasAgg(fig)
ax = fig.subplots()
colors = {"ketamine": "tab:red", "SSRI-like": "tab:green", "both": "tab:purple"}
for arm, color in colors.items():
    curves = [restored(arm, seed) for seed in seeds]
    n = min(len(c[0]) for c in curves)
    t = curves[0][0][:n]
    mean = np.mean([c[1][:n] for c in curves], axis=0)
    for c in curves:
        ax.plot(c[0], c[1], color=color, lw=0.5, alpha=0.4)
    ax.plot(t, mean, color=color, lw=2, label=arm)
ax.axhline(0, color="k", lw=0.6)
ax.axhline(THRESHOLD, color="k", lw=0.6, ls=":")
ax.set(xlabel="clinical day after the start of treatment",
       ylabel="stress-induced loss restored (vs drug-free)",
       title="ketamine (hours) against an SSRI-like rise of the tone (weeks)")
ax.legend()
figure = args.output / "slow_comparator.png"
canvas.print_png(str(figure))
print(f"\nfigure: {figure}")

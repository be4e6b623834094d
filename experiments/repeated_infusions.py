"""
Repeated infusions: do the gains add up, saturate or fade? (issue 14, section 2)
===============================================================================

Repeated-infusion trials in treatment-resistant depression give six
infusions of 0.5 mg/kg over 40 min in 12 days, three a week (Murrough et
al. 2013, Biol Psychiatry 74:250; Shiroma et al. 2014, J Affect Disord
155:123); clinics also give two a week, and maintenance schedules whose
intervals widen. Each schedule is a fixed policy of a patient's chain of
sessions (``configs/treatment_cohort.yaml``'s network and chain: 120 days of
stressed turnover from the unstressed network, a drug-free day, the sessions,
follow-up), the structural state carried across all sessions on the clinical
clock:

- ``once``: one infusion (day 0);
- ``3/week``: days 0, 2, 4, 7, 9, 11;
- ``2/week``: days 0, 3, 7, 10, 14, 17;
- ``widening``: days 0, 2, 4, 7, 14, 28 (weekly, then every two weeks);
- ``none``: zero doses on the widening days (the drug-free chain, paired by
  seed, as long as the longest schedule).

Every schedule of a seed is the same patient (same network, same settled
loss, same random streams until the drug first changes something). Readouts
per seed, as the fraction of the stress-induced synapse loss restored
(``deficit_restored``) against the drug-free chain of the same seed:

- the response 24 h after each session (cumulative recovery);
- whether the gains add up (the response 24 h after the sixth session
  against six times the largest gain one infusion reaches over its
  follow-up: one infusion's gain is still rising at 24 h), saturate or fade;
- what is left 2 and 4 weeks after the last infusion.

Run::

    python experiments/repeated_infusions.py -o results/repeated_infusions          # 3 seeds
    python experiments/repeated_infusions.py --full -o results/repeated_infusions   # 8 seeds

(3 seeds x 5 schedules: about 25 minutes on 2 cores; finished chains are kept.)
"""

import argparse
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import plasticity
import plasticity.sweep
from plasticity.analysis import format_ci, restored_at, restored_course
from plasticity.sweep.directory import read_manifest

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--seeds", type=int, default=3)
parser.add_argument("--full", action="store_true", help="8 seeds (the README numbers)")
parser.add_argument("--executor", choices=("local", "slurm", "dask"), default="local")
parser.add_argument("--workers", type=int, default=None)
parser.add_argument("--set", action="append", default=[], help="extra KEY=VALUE overrides")
parser.add_argument("-o", "--output", type=Path, default=Path("results/repeated_infusions"))
args = parser.parse_args()
seeds = list(range(1, (8 if args.full else args.seeds) + 1))
args.output.mkdir(parents=True, exist_ok=True)

SCHEDULES = {
    "once": [0],
    "3/week": [0, 2, 4, 7, 9, 11],
    "2/week": [0, 3, 7, 10, 14, 17],
    "widening": [0, 2, 4, 7, 14, 28],
    "none": [0, 2, 4, 7, 14, 28],  # zero doses, as long as the longest schedule
}
FOLLOW_UP_DAY = 28  # after the last session: readouts at 2 and 4 weeks

config = plasticity.load_config(ROOT / "configs/treatment_cohort.yaml", args.set)
raw = config.model_dump(mode="json")
raw["cohort"] = None
raw["treatment"]["follow_up"] = f"{FOLLOW_UP_DAY} day"
# every schedule on the same seeds: one sweep, a zip of policies, replicated over seeds
policies = [{"name": "fixed", "days": days, "dose_mg_per_kg": 0.5 if label != "none" else 0.0,
             "duration_min": 40, "response_threshold": 0.5}
            for label, days in SCHEDULES.items()]
raw["seed"] = seeds[0]
raw["sweep"] = {"replicates": len(seeds), "points": [{"treatment.policy": p} for p in policies]}
out = args.output / "sweep"
plasticity.sweep.run(raw, out, executor=args.executor, workers=args.workers, quiet=True)
table = plasticity.load_sweep(out)
if (table["state"] != "done").any():
    raise SystemExit(f"{out}: not every chain is done; see plasticity status {out}")


def label_of(policy: dict) -> str:
    """The schedule a point's policy is (the drug-free one has a zero dose)."""
    if policy["dose_mg_per_kg"] == 0:
        return "none"
    return next(k for k, v in SCHEDULES.items()
                if [float(d) for d in v] == [float(d) for d in policy["days"]] and k != "none")


results = {}
for point in read_manifest(out)["points"]:
    results[label_of(point["params"]["treatment.policy"]), point["seed"]] = (
        plasticity.open_result(out / "points" / f"{point['id']}.h5"))


print(f"{len(seeds)} seeds; fraction of the stress-induced loss restored, minus the drug-free "
      "chain of the same seed (mean [95 % bootstrap CI])")
summary = {}
for label, days in SCHEDULES.items():
    if label == "none":
        continue
    rows = []
    for seed in seeds:
        r, z = results[label, seed], results["none", seed]
        last = days[-1]
        rows.append({
            "first": restored_at(r, 1, versus=z),
            "after_last": restored_at(r, last + 1, versus=z),
            "2 weeks": restored_at(r, last + 14, versus=z),
            "4 weeks": restored_at(r, last + 28, versus=z),
            "per_session": [restored_at(r, d + 1, versus=z) for d in days],
        })
    summary[label] = rows
    print(f"\n{label} (days {days}):")
    print("  24 h after the first session:  " + format_ci([x["first"] for x in rows]))
    print(f"  24 h after the last (day {days[-1]}): " + format_ci([x["after_last"] for x in rows]))
    print("  2 weeks after the last:        " + format_ci([x["2 weeks"] for x in rows]))
    print("  4 weeks after the last:        " + format_ci([x["4 weeks"] for x in rows]))
    if len(days) > 1:
        # one infusion's gain keeps rising for days after it: compare with its largest
        # value over the follow-up (the 'once' schedule of the same seed), not its 24 h value
        ratio = []
        for seed, x in zip(seeds, rows, strict=True):
            _, once = restored_course(results["once", seed], versus=results["none", seed],
                                      from_day=0.0)
            if np.max(once) > 0:
                ratio.append(x["after_last"] / float(np.max(once)))
        verdict = ("add up" if ratio and np.mean(ratio) > 0.8 * len(days) else
                   "saturate" if ratio and np.mean(ratio) > 1.2 else "do not add up")
        if ratio:
            print(f"  after the last / one infusion's largest gain: {np.mean(ratio):.2f} "
                  f"({len(days)} sessions): gains {verdict}")

fig = Figure(figsize=(11, 4.5), layout="constrained")
canvas = FigureCanvasAgg(fig)
ax1, ax2 = fig.subplots(1, 2)
colors = {"once": "0.4", "3/week": "tab:red", "2/week": "tab:orange", "widening": "tab:blue"}
for label, color in colors.items():
    for seed in seeds:
        t, diff = restored_course(results[label, seed], versus=results["none", seed],
                                  from_day=-1.0)
        ax1.plot(t, diff, color=color, lw=0.8, alpha=0.7,
                 label=label if seed == seeds[0] else None)
    means = np.mean([x["per_session"] for x in summary[label]], axis=0)
    ax2.plot(np.array(SCHEDULES[label]) + 1, means, "o-", color=color, label=label)
ax1.axhline(0, color="k", lw=0.6)
ax1.set(xlabel="clinical day", ylabel="deficit restored, drug minus drug-free",
        title="synapse recovery over clinical time (each seed)")
ax1.legend()
ax2.set(xlabel="clinical day (24 h after each session)", ylabel="deficit restored vs drug-free",
        title="cumulative recovery after each session (mean over seeds)")
ax2.legend()
figure = args.output / "repeated_infusions.png"
canvas.print_png(str(figure))
print(f"\nfigure: {figure}")

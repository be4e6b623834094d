"""
Does a patient's readout move without the drug? The placebo chain (issue 14)
===========================================================================

A response readout is only a drug effect if the settled, stressed network
stands still without the drug. The first cohort runs showed saline chains
whose ``deficit_restored`` rose over the twelve days of the fixed plan. Two
causes are possible, and this script separates them:

(a) the stressed network has not settled: after ``treatment.settle`` of
    stressed turnover the count still moves towards its steady state, and
    the sessions catch the end of that approach;
(b) the readout depends on how the clinical clock samples the network: the
    settle has windows every ``settle_window_every`` (4 days), the sessions
    every ``timeline.window_every`` (24 h) and every ``dense_every`` (30
    min) for hours after each dose, saline included. Each cell's rate
    relative to its population is smoothed over windows with the clinical
    time constant ``structural.rate_smoothing`` (1 day): four-day windows
    leave each window's few-second count noise held for four days, dense
    windows average it away, and the homeostatic rule deletes synapses of
    cells whose noisy rate reads high at once but needs partners to form
    new ones, so the steady count depends on that noise.

Arms (saline on the fixed plan's days 0, 2, 4, 7, 9, 11; each arm the same
seeds, the config's network and stress without the cohort):

- ``before``: the first cohort runs' clock: settle windows every 4 days for
  120 days, every window taken into the relative rates
  (``structural.rate_refresh: 0 s``);
- ``4 d x 240 d``: the same, settling twice as long: tests (a);
- ``shipped``: settle windows every day (the sessions' grid between doses)
  and the relative rates refreshed once a day whatever the windows around a
  dose (``rate_refresh: 24 h``, ``configs/treatment_cohort.yaml``): tests (b)
  and is the fix if the saline chain then stands still;
- ``shipped x 240 d``: the same, settling 240 days.

Readout: the saline chain's ``deficit_restored`` 24 h after the sixth
saline session (day 12) and two weeks later, and the same fraction's slope
over the last 24 days of the settle (per 12 days): under (a) the drift
continues the settle's slope, under (b) the settle is flat and the drift
starts with the sessions' sampling.

Run::

    python experiments/treatment_drift.py -o results/treatment_drift          # 4 seeds
    python experiments/treatment_drift.py --full -o results/treatment_drift   # 8 seeds
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
parser.add_argument("--seeds", type=int, default=4)
parser.add_argument("--full", action="store_true", help="8 seeds")
parser.add_argument("--executor", choices=("local", "slurm", "dask"), default="local")
parser.add_argument("--workers", type=int, default=None)
parser.add_argument("--set", action="append", default=[], help="extra KEY=VALUE overrides")
parser.add_argument("--arms", nargs="+", default=None,
                    help="run only these arms (default all of ARMS)")
parser.add_argument("-o", "--output", type=Path, default=Path("results/treatment_drift"))
args = parser.parse_args()
seeds = list(range(1, (8 if args.full else args.seeds) + 1))
args.output.mkdir(parents=True, exist_ok=True)

DAYS = [0, 2, 4, 7, 9, 11]
# settle window spacing, settle length, structural.rate_refresh, signalling.surge_input
ARMS = {"before": ("4 day", "120 day", "0 s", "window"),
        "4 d x 240 d": ("4 day", "240 day", "0 s", "window"),
        "daily, refresh": ("1 day", "120 day", "24 h", "window"),
        "fitted surge": ("1 day", "120 day", "0 s", "fitted"),
        "shipped": ("1 day", "120 day", "24 h", "fitted"),
        "shipped x 240 d": ("1 day", "240 day", "24 h", "fitted")}
if args.arms:
    unknown = sorted(set(args.arms) - set(ARMS))
    if unknown:
        parser.error(f"--arms {unknown}: expected some of {list(ARMS)}")
    ARMS = {k: v for k, v in ARMS.items() if k in args.arms}

config = plasticity.load_config(ROOT / "configs/treatment_cohort.yaml", args.set)
raw = config.model_dump(mode="json")
raw["cohort"] = None
raw["seed"] = seeds[0]
raw["treatment"]["policy"] = {"name": "fixed", "days": DAYS, "dose_mg_per_kg": 0.0,
                              "duration_min": 40, "response_threshold": 0.5}
raw["treatment"]["follow_up"] = "14 day"
raw["sweep"] = {"replicates": len(seeds), "points": [
    {"treatment.settle_window_every": every, "treatment.settle": settle,
     "structural.rate_refresh": refresh, "signalling.surge_input": surge}
    for every, settle, refresh, surge in ARMS.values()]}
out = args.output / "sweep"
plasticity.sweep.run(raw, out, executor=args.executor, workers=args.workers, quiet=True)
table = plasticity.load_sweep(out)
if (table["state"] != "done").any():
    raise SystemExit(f"{out}: not every chain is done; see plasticity status {out}")

results = {}
for point in read_manifest(out)["points"]:
    p = point["params"]
    arm = next(k for k, v in ARMS.items()
               if v == (p["treatment.settle_window_every"], p["treatment.settle"],
                        p["structural.rate_refresh"], p["signalling.surge_input"]))
    results[arm, point["seed"]] = plasticity.open_result(out / "points" / f"{point['id']}.h5")


print(f"{len(seeds)} seeds; saline on days {DAYS}; fraction of the stress-induced loss "
      "restored without the drug (mean [95 % bootstrap CI])")
fig = Figure(figsize=(11, 4.5), layout="constrained")
canvas = FigureCanvasAgg(fig)
ax1, ax2 = fig.subplots(1, 2)
colors = {"before": "0.3", "4 d x 240 d": "tab:blue", "daily, refresh": "tab:purple",
          "fitted surge": "tab:green", "shipped": "tab:red", "shipped x 240 d": "tab:orange"}
for arm in ARMS:
    drift, later, slope, loss = [], [], [], []
    for seed in seeds:
        r = results[arm, seed]
        day, restored = restored_course(r, from_day=-1e9)
        drift.append(restored[np.nonzero(day <= DAYS[-1] + 1 + 1e-9)[0][-1]])
        later.append(restored[np.nonzero(day <= DAYS[-1] + 14 + 1e-9)[0][-1]])
        late = (day >= -25) & (day <= -1)
        slope.append(np.polyfit(day[late], restored[late], 1)[0] * 12)
        loss.append(r.summary["stress_loss"])
        ax1.plot(day, restored, color=colors[arm], lw=0.6, alpha=0.7,
                 label=arm if seed == seeds[0] else None)
        ax2.plot(day[day >= -1], restored[day >= -1], color=colors[arm], lw=0.8, alpha=0.7,
                 label=arm if seed == seeds[0] else None)
    every, settle, refresh, surge = ARMS[arm]
    print(f"\n{arm}: settle windows every {every} for {settle}, rate_refresh {refresh}, "
          f"surge_input {surge}:")
    print("  stress-induced loss (fraction of control): " + format_ci(loss))
    print("  restored 24 h after the 6th saline session (day 12): " + format_ci(drift))
    print("  restored two weeks later (day 25):                   " + format_ci(later))
    print("  slope over the settle's last 24 days, per 12 days:   " + format_ci(slope))
for ax in (ax1, ax2):
    ax.axhline(0, color="k", lw=0.6)
    ax.set(xlabel="clinical day", ylabel="deficit restored (saline)")
    ax.legend()
ax1.set(title="whole chain: stress, settle, saline sessions")
ax2.set(title="from the lead-in: saline sessions on days " + ", ".join(map(str, DAYS)))
figure = args.output / "treatment_drift.png"
canvas.print_png(str(figure))
print(f"\nfigure: {figure}")

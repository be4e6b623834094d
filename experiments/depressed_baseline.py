"""
A chronically stressed network that holds still (issue 13, depressed baseline)
==============================================================================

Chronic corticosterone lowers spine formation and raises spine elimination
in mouse prefrontal cortex (Moda-Sava et al. 2019), and chronic stress
removes 15-30 % of the spines of prefrontal pyramidal cells (Radley et al.
2006), large ones first (Radley et al. 2008). ``configs/depressed_baseline.yaml``
gives the control network (``configs/baseline.yaml``) that turnover: 10 %
less constitutive formation (the growth-factor tone) and 15 % faster
elimination of stable spines, and runs it for 120 clinical days, long
enough for the E->E synapse count to settle (it relaxes over about 1/k_s =
32 days), then 7 more days in which it must hold still.

Printed, control (the last 7 of 14 days of ``configs/baseline.yaml``)
against stressed (days 120-127):

- the E->E synapse count (target: 15-30 % below control) and its drift over
  the last 7 days (target: under 2 %);
- stable ("large", mature) and new ("small") synapses: which pool the loss
  comes from (Radley 2008: large spines lost, small gained);
- formation and elimination per day as daily imaging counts them;
- the readouts that could tell the two apart when firing cannot (the
  homeostatic rule pulls firing back): pyramidal rate, the mean pairwise
  correlation of pyramidal spike counts in 50 ms bins (coordinated ensemble
  activity, which Moda-Sava et al. found reduced), relative gamma.

The stressed result keeps its final structural state
(``Result.final_state()``), from which the single-infusion experiment
starts.

Run::

    python experiments/depressed_baseline.py -o results/depressed_baseline

(about 8 minutes on 2 cores).
"""

import argparse
from pathlib import Path

import numpy as np
import yaml
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import plasticity

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--set", action="append", default=[], help="extra KEY=VALUE overrides "
                    "(both runs)")
parser.add_argument("-o", "--output", type=Path, default=Path("results/depressed_baseline"))
args = parser.parse_args()
args.output.mkdir(parents=True, exist_ok=True)

runs = {}
for name, path in (("control", "configs/baseline.yaml"),
                   ("stressed", "configs/depressed_baseline.yaml")):
    config = plasticity.load_config(ROOT / path, [f"seed={args.seed}", *args.set])
    out = args.output / f"{name}.h5"
    if not out.exists():
        plasticity.run(config, out)
    runs[name] = plasticity.open_result(out)


def last_week(result):
    """Clinical updates and windows of the last 7 days of a run."""
    clinical = result.series("clinical")
    hours = clinical["clinical_time_h"].values
    end = hours[-1]
    keep = hours > end - 7 * 24
    timeline = result.series("timeline").to_dataframe()
    windows = timeline[timeline["clinical_start_h"] >= end - 7 * 24]
    return clinical, hours, keep, windows


rows = {}
for name, result in runs.items():
    clinical, hours, keep, windows = last_week(result)
    n = clinical["n_syn_exc_to_exc"].values
    new = clinical["n_new_exc_to_exc"].values
    n_cells = yaml.safe_load(result.config_yaml)["network"]["n_exc"]
    rows[name] = {
        "synapses": float(np.mean(n[keep])),
        "drift": float(n[-1] / n[keep][0] - 1.0),
        "stable": float(np.mean((n - new)[keep])),
        "new": float(np.mean(new[keep])),
        "gain": float(np.nanmean(windows["imaging_gain_per_day"])),
        "loss": float(np.nanmean(windows["imaging_loss_per_day"])),
        "rate": float(windows["exc_rate_hz"].mean()),
        "rate_sd": float(windows["exc_rate_hz"].std()),
        "corr": float(windows["exc_pair_correlation"].mean()),
        "corr_sd": float(windows["exc_pair_correlation"].std()),
        "gamma": float(windows["exc_gamma_fraction"].mean()),
        "per_cell": float(np.mean(n[keep])) / n_cells,
        # summed weight over count: a stable synapse weighs 1, a new one new_weight
        "weight": (float(np.mean(clinical["weight_exc_to_exc"].values[keep] / n[keep]))
                   if "weight_exc_to_exc" in clinical else 1.0),
    }

# Responsiveness: from each final state, 4 windows of 5 s (synapses frozen) in which the
# first 10 % of the pyramidal cells get 1.2 times their external drive from 3 s to 4 s.
# The rest of the pyramidal cells can only answer through recurrent synapses.
PROBE = ["timeline={mode: clinical, start: 0 h, end: 4 h, window_every: 1 h}",
         "structural.elements.exc.axon.growth_rate=0 /day",
         "structural.elements.exc.den_exc.growth_rate=0 /day",
         "stimulation=[{population: exc, fraction: 0.1, start: 3 s, stop: 4 s, rate_factor: 1.2}]"]
for name, path in (("control", "configs/baseline.yaml"),
                   ("stressed", "configs/depressed_baseline.yaml")):
    out = args.output / f"{name}_probe.h5"
    if not out.exists():
        config = plasticity.load_config(ROOT / path, [f"seed={args.seed}", *args.set, *PROBE,
                                                      f"name={name}_probe"])
        plasticity.run(config, out, initial_state=runs[name].final_state())
    timeline = plasticity.open_result(out).series("timeline")
    rows[name]["spread"] = timeline["stim0_spread_exc_hz"].values
    rows[name]["driven"] = timeline["stim0_driven_exc_hz"].values

c, s = rows["control"], rows["stressed"]
print(f"E->E synapses (last 7 days): control {c['synapses']:.0f} ({c['per_cell']:.1f} per cell), "
      f"stressed {s['synapses']:.0f} ({s['per_cell']:.1f} per cell): "
      f"{s['synapses'] / c['synapses'] - 1:+.1%} (target -15 to -30 %)")
print(f"drift over the last 7 days: control {c['drift']:+.2%}, stressed {s['drift']:+.2%} "
      "(target: under 2 %)")
print(f"stable synapses {s['stable'] / c['stable'] - 1:+.1%}, new synapses "
      f"{s['new'] / c['new'] - 1:+.1%} (stressed against control)")
print(f"mean weight per synapse (stable = 1): control {c['weight']:.4f}, stressed "
      f"{s['weight']:.4f} ({s['weight'] / c['weight'] - 1:+.2%}; Radley 2008: smaller spines)")
for key, text in (("gain", "formation per day (imaging)"),
                  ("loss", "elimination per day (imaging)")):
    print(f"{text}: control {c[key]:.2%}, stressed {s[key]:.2%}")
print(f"pyramidal rate: control {c['rate']:.2f} +- {c['rate_sd']:.2f} Hz, stressed "
      f"{s['rate']:.2f} +- {s['rate_sd']:.2f} Hz (windows of the last week, mean +- SD)")
print(f"pairwise correlation (50 ms): control {c['corr']:.4f} +- {c['corr_sd']:.4f}, "
      f"stressed {s['corr']:.4f} +- {s['corr_sd']:.4f}")
print(f"relative gamma of the pyramidal rate: control {c['gamma']:.4f}, stressed "
      f"{s['gamma']:.4f}")
for key, text in (("driven", "stimulated cells"), ("spread", "the other pyramidal cells")):
    print(f"response to a stimulus of 10 % of the pyramidal cells, {text}: control "
          f"{c[key].mean():+.3f} +- {c[key].std():.3f} Hz, stressed {s[key].mean():+.3f} +- "
          f"{s[key].std():.3f} Hz ({s[key].mean() / c[key].mean() - 1:+.1%}; 4 windows, "
          "mean +- SD)")

# The figure: the stressed count over the 127 days, and the last week's readouts.
fig = Figure(figsize=(8, 3.2), constrained_layout=True)
FigureCanvasAgg(fig)
left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
for name, result in runs.items():
    clinical = result.series("clinical")
    left.plot(clinical["clinical_time_h"].values / 24.0,
              clinical["n_syn_exc_to_exc"].values / c["synapses"], label=name)
left.axhspan(0.70, 0.85, color="0.9", label="measured loss, 15-30 %")
left.set_xlabel("clinical time (days)")
left.set_ylabel("E->E synapses / control")
left.legend(frameon=False, fontsize=8)
labels = ["synapses", "rate", "corr"]
ratio = [s[k] / c[k] for k in labels]
right.bar(range(3), ratio, color=["0.3", "C0", "C1"])
right.axhline(1.0, color="k", lw=0.8)
right.set_xticks(range(3), ["E->E\nsynapses", "pyramidal\nrate", "pairwise\ncorrelation"])
right.set_ylabel("stressed / control")
fig.suptitle("configs/depressed_baseline.yaml", fontsize=10)
fig.savefig(args.output / "depressed_baseline.png", dpi=130)
print(f"figure: {args.output / 'depressed_baseline.png'}")

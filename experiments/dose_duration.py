"""
Dose and infusion duration: threshold, plateau or inverted U? (issue 14, section 1)
===================================================================================

Fava et al. (2018, Mol Psychiatry 25:1592) compared single infusions of 0.1,
0.2, 0.5 and 1.0 mg/kg in treatment-resistant depression: 0.5 and 1.0 mg/kg
were effective, 0.1 mg/kg not clearly. Here one infusion of each of six
doses (0.1 to 1.0 mg/kg) over 2 min (bolus-like), 40 min and 100 min is
given to the same virtual patients (``configs/treatment_cohort.yaml``:
network seed, body weight and PK drawn per patient, the stressed network
settled for 120 days), with a zero dose as each patient's drug-free arm.
Every arm of a patient is the same network and PK, so every comparison is
paired. Readouts:

- acute, in the window of the highest concentration in the first 6 h: the
  pyramidal rate and the mean NMDA block of E->PV synapses (the disinhibition
  hypothesis' target), against the drug-free arm's window at the same time.
  Windows lie on the clinical update grid (15 min), so for the 2 min
  infusions, whose effect-site peak comes a few minutes after the start and
  falls fast, that window is 15 min in, well after the peak: their acute
  readouts understate the peak's;
- the synapse gain at 24 h and at 7 days: the fraction of the stress-induced
  loss restored, minus the patient's drug-free arm;
- each against dose (mean and 95 % bootstrap band over patients) and
  against the peak and the area under the curve of the free effect-site
  concentration (the one driving the block).

The shape is named from the 24 h gain of the 40 min infusions: *inverted U*
when a middle dose's gain exceeds the 1.0 mg/kg gain by more than its
interval, *threshold* when 0.1 mg/kg gives no gain (its interval contains 0)
and a higher dose does, *plateau* when the gain at 0.5 and 1.0 mg/kg agree
within their intervals, otherwise *graded*. Where the model stops: only the
NMDA receptor block and its downstream growth-factor routes are modelled;
anaesthetic doses act through more targets (HCN1 block, Chen et al. 2009,
J Neurosci 29:600; opioid and monoaminergic actions), none of which is here,
so the model says nothing about doses above about 1 mg/kg.

Run::

    python experiments/dose_duration.py -o results/dose_duration            # 3 patients
    python experiments/dose_duration.py --full -o results/dose_duration     # 10 patients

(3 patients x 19 arms: about 40 minutes on 2 cores; finished chains are kept.)
"""

import argparse
from pathlib import Path

import numpy as np
import yaml
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import plasticity
import plasticity.sweep
from plasticity.analysis import bootstrap_ci, restored_at, window_value
from plasticity.config import ProtocolConfig
from plasticity.pharmacology.exposure import driving_concentration_uM
from plasticity.sweep.directory import read_manifest

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--patients", type=int, default=3)
parser.add_argument("--full", action="store_true", help="10 patients (the README numbers)")
parser.add_argument("--executor", choices=("local", "slurm", "dask"), default="local")
parser.add_argument("--workers", type=int, default=None)
parser.add_argument("--set", action="append", default=[], help="extra KEY=VALUE overrides")
parser.add_argument("-o", "--output", type=Path, default=Path("results/dose_duration"))
args = parser.parse_args()
n_patients = 10 if args.full else args.patients
args.output.mkdir(parents=True, exist_ok=True)

DOSES = [0.1, 0.2, 0.35, 0.5, 0.75, 1.0]
DURATIONS = [2, 40, 100]
FOLLOW_UP_DAY = 7

config = plasticity.load_config(ROOT / "configs/treatment_cohort.yaml", [
    *args.set, f"cohort.patients={n_patients}"])
raw = config.model_dump(mode="json")
raw["treatment"]["follow_up"] = f"{FOLLOW_UP_DAY} day"
# the dense windows follow the longest infusion's end for 6 h: same rule for every arm
policies = [{"name": "fixed", "days": [0], "dose_mg_per_kg": 0.0, "duration_min": 40}] + [
    {"name": "fixed", "days": [0], "dose_mg_per_kg": d, "duration_min": m}
    for m in DURATIONS for d in DOSES]
raw["sweep"] = {"points": [{"treatment.policy": p} for p in policies]}
out = args.output / "sweep"
plasticity.sweep.run(raw, out, executor=args.executor, workers=args.workers, quiet=True)
table = plasticity.load_sweep(out)
if (table["state"] != "done").any():
    raise SystemExit(f"{out}: not every chain is done; see plasticity status {out}")

results = {}  # (dose, duration, seed) -> (result, point config)
for point in read_manifest(out)["points"]:
    policy = point["params"]["treatment.policy"]
    key = (policy["dose_mg_per_kg"], policy["duration_min"], point["seed"])
    results[key] = plasticity.open_result(out / "points" / f"{point['id']}.h5")
seeds = sorted({k[2] for k in results})


def gain(dose: float, minutes: float, seed: int, day: float) -> float:
    """Fraction of the loss restored at ``day``, minus the patient's drug-free arm."""
    return restored_at(results[dose, minutes, seed], day, versus=results[0.0, 40, seed])


def effect_site(result) -> tuple[float, float, float]:
    """Peak (uM), its time (h) and AUC (uM h) of the concentration driving the block.

    The patient's own PK (weight, individual factors) and the arm's infusion, from the
    config stored with the result; the free effect-site concentration by default.
    """
    raw = yaml.safe_load(result.config_yaml)
    policy = raw["treatment"]["policy"]
    protocol = raw["pharmacology"]["protocol"]
    protocol["infusions"] = [{**protocol["infusions"][0], "start": "0 min",
                              "dose": f"{policy['dose_mg_per_kg']} mg/kg",
                              "duration": f"{policy['duration_min']} min"}]
    protocol_config = ProtocolConfig.model_validate(protocol)
    t = np.arange(0.0, 24 * 3600.0, 30.0)
    c = np.asarray(driving_concentration_uM(protocol_config, t), dtype=float)
    return float(c.max()), float(t[np.argmax(c)] / 3600), float(np.trapezoid(c, t) / 3600)


def acute_window(result) -> float:
    """Start (h) of the window with the highest drug concentration in the first 6 h."""
    timeline = result.series("timeline")
    starts = np.asarray(timeline["clinical_start_h"].values, dtype=float)
    conc = np.where((starts >= 0) & (starts <= 6),
                    np.asarray(timeline["ketamine_uM"].values, dtype=float), -np.inf)
    return float(starts[int(np.argmax(conc))])


def ci(values) -> tuple[float, float, float]:
    return bootstrap_ci(np.asarray(values, dtype=float))


print(f"{len(seeds)} patients; acute readouts in the window of the highest concentration "
      "(first 6 h) minus the drug-free arm's window at that time; gain = fraction of the "
      "stress-induced loss restored minus the patient's drug-free arm; mean [95 % bootstrap CI]")
rows = {}
for minutes in DURATIONS:
    print(f"\ninfusion over {minutes} min:")
    for dose in DOSES:
        peak_t = [acute_window(results[dose, minutes, s]) for s in seeds]
        rate = [window_value(results[dose, minutes, s], h, "exc_rate_hz")
                - window_value(results[0.0, 40, s], h, "exc_rate_hz")
                for s, h in zip(seeds, peak_t, strict=True)]
        block = [window_value(results[dose, minutes, s], h, "nmda_block_exc_to_pv")
                 if "nmda_block_exc_to_pv" in results[dose, minutes, s].series(
                     "timeline") else np.nan for s, h in zip(seeds, peak_t, strict=True)]
        g24 = [gain(dose, minutes, s, 1.0) for s in seeds]
        g7 = [gain(dose, minutes, s, 7.0) for s in seeds]
        exposure = [effect_site(results[dose, minutes, s]) for s in seeds]
        rows[dose, minutes] = dict(g24=g24, g7=g7, rate=rate, block=block,
                                   peak=[e[0] for e in exposure], auc=[e[2] for e in exposure])
        m24, lo24, hi24 = ci(g24)
        m7, lo7, hi7 = ci(g7)
        print(f"  {dose:4.2f} mg/kg: effect-site peak {np.mean(rows[dose, minutes]['peak']):.3f} "
              f"uM, AUC {np.mean(rows[dose, minutes]['auc']):.3f} uM h; pyramidal rate "
              f"{np.mean(rate):+.2f} Hz, E->PV block {np.nanmean(block):.3f}; gain 24 h "
              f"{m24:+.3f} [{lo24:+.3f}, {hi24:+.3f}], 7 d {m7:+.3f} [{lo7:+.3f}, {hi7:+.3f}]")

g = {d: ci(rows[d, 40]["g24"]) for d in DOSES}
best = max(DOSES[:-1], key=lambda d: g[d][0])
if g[best][1] > g[1.0][2]:
    shape = f"inverted U (peak at {best} mg/kg above 1.0 mg/kg beyond both intervals)"
elif g[0.1][1] <= 0 <= g[0.1][2] and any(g[d][1] > 0 for d in DOSES[1:]):
    shape = "threshold (0.1 mg/kg: no gain; higher doses: a gain)"
elif g[0.5][1] <= g[1.0][2] and g[1.0][1] <= g[0.5][2]:
    shape = "plateau (0.5 and 1.0 mg/kg agree within their intervals)"
else:
    shape = "graded (the gain rises with dose up to 1.0 mg/kg)"
print(f"\nshape of the 24 h gain against dose (40 min infusions): {shape}")
for d in (0.1, 0.5, 1.0):
    print(f"  {d} mg/kg: {g[d][0]:+.3f} [{g[d][1]:+.3f}, {g[d][2]:+.3f}]  "
          f"(Fava 2018: {'effective' if d >= 0.5 else 'not clearly effective'})")

fig = Figure(figsize=(13, 4), layout="constrained")
canvas = FigureCanvasAgg(fig)
ax1, ax2, ax3 = fig.subplots(1, 3)
colors = {2: "tab:orange", 40: "tab:red", 100: "tab:purple"}
for minutes, color in colors.items():
    for ax, key, style in ((ax1, "g24", "-"), (ax1, "g7", ":")):
        stats = np.array([ci(rows[d, minutes][key]) for d in DOSES])
        ax.plot(DOSES, stats[:, 0], style, marker="o", color=color,
                label=f"{minutes} min, {'24 h' if key == 'g24' else '7 d'}")
        if key == "g24":
            ax.fill_between(DOSES, stats[:, 1], stats[:, 2], color=color, alpha=0.15)
    peak = [np.mean(rows[d, minutes]["peak"]) for d in DOSES]
    auc = [np.mean(rows[d, minutes]["auc"]) for d in DOSES]
    g24 = [np.mean(rows[d, minutes]["g24"]) for d in DOSES]
    ax2.plot(peak, g24, "o-", color=color, label=f"{minutes} min")
    ax3.plot(auc, g24, "o-", color=color, label=f"{minutes} min")
ax1.axhline(0, color="k", lw=0.6)
ax1.set(xlabel="dose (mg/kg)", ylabel="loss restored vs drug-free",
        title="gain against dose (band: 95 % CI, 24 h)")
ax1.legend(fontsize=7)
ax2.set(xlabel="free effect-site peak (uM)", ylabel="gain at 24 h", title="against peak")
ax3.set(xlabel="free effect-site AUC (uM h)", ylabel="gain at 24 h", title="against AUC")
ax2.legend(fontsize=7)
figure = args.output / "dose_duration.png"
canvas.print_png(str(figure))
print(f"\nfigure: {figure}")

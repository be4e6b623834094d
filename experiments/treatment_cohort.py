"""
A virtual cohort under a fixed plan and two response-adaptive policies (issue 14, section 3)
==========================================================================================

Clinics give ketamine as a series of infusions and adapt each patient's plan
to the response to the previous sessions. Here every patient of one cohort
(``configs/treatment_cohort.yaml``: seed, body weight, PK between-subject
variability of Herd & Anderson 2007, stress severity) is treated four
times, once under each policy and once with saline, so the policies are
compared on the same patients (paired):

- ``fixed``: six infusions of 0.5 mg/kg over 40 min on days 0, 2, 4, 7, 9,
  11 (three a week, Murrough et al. 2013; Shiroma et al. 2014), whatever
  the response;
- ``titration``: start at 0.5 mg/kg, one step of 0.25 mg/kg up after a
  session without response (up to 1.0 mg/kg, the highest dose of Fava et
  al. 2018), one step down after a session whose plasma peak exceeded the
  cap; sessions every 2.5 days; stop after two responding sessions in a
  row or six sessions;
- ``interval``: 0.5 mg/kg, the interval doubled while the response holds
  and halved when it fades (2.5 days at first, 2 to 14 days); the same stop
  rules;
- ``placebo``: saline on the fixed days (dose 0): what the readout does
  without the drug (the settled network's own drift and turnover noise).

A patient's response to a session is the fraction of the synapses lost under
stress that are back 24 h after it (``treatment.response:
deficit_restored``; Li et al. 2011 measured spine restoration at 24 h);
*response* is at least half of the deficit back (our choice, by analogy with
the clinical criterion of a 50 % fall of the depression score). Reported per
policy, with 95 % bootstrap intervals over patients: the fraction reaching
response by session 3 and by session 6, the time to response, the drug given,
the plasma exposure (cumulative AUC and the highest peak) against the limits
of the config (``treatment.limits``; an illustration of a user's cap:
abuse liability, dissociation and cardiovascular effects are not modelled).

Each policy is one sweep (one point per patient) through the sweep machinery,
on any executor and resumable::

    python experiments/treatment_cohort.py -o results/treatment_cohort        # 12 patients
    python experiments/treatment_cohort.py --full -o results/treatment_cohort # 100 patients
    python experiments/treatment_cohort.py --executor slurm ...               # on a cluster

(12 patients x 4 arms: about an hour and a half on 2 cores; every finished patient
is kept and reused when the command runs again).
"""

import argparse
from pathlib import Path

import numpy as np
import yaml
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import plasticity
import plasticity.sweep
from plasticity.analysis import bootstrap_ci

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--patients", type=int, default=12)
parser.add_argument("--full", action="store_true", help="100 patients (the README numbers)")
parser.add_argument("--executor", choices=("local", "slurm", "dask"), default="local")
parser.add_argument("--workers", type=int, default=None)
parser.add_argument("--set", action="append", default=[], help="extra KEY=VALUE overrides")
parser.add_argument("-o", "--output", type=Path, default=Path("results/treatment_cohort"))
args = parser.parse_args()
n_patients = 100 if args.full else args.patients
if n_patients < 2:
    parser.error(f"--patients {n_patients}: expected at least 2")
args.output.mkdir(parents=True, exist_ok=True)

STOP = {"max_sessions": 6, "responded_sessions": 2}
POLICIES = {
    "fixed": {"name": "fixed", "dose_mg_per_kg": 0.5, "duration_min": 40,
              "days": [0, 2, 4, 7, 9, 11], "response_threshold": 0.5},
    "titration": {"name": "titration", "dose_mg_per_kg": 0.5, "step_mg_per_kg": 0.25,
                  "min_dose_mg_per_kg": 0.25, "max_dose_mg_per_kg": 1.0, "peak_limit_uM": 3.0,
                  "interval_day": 2.5, "response_threshold": 0.5, "stop": STOP},
    "interval": {"name": "interval", "dose_mg_per_kg": 0.5, "interval_day": 2.5, "factor": 2.0,
                 "min_interval_day": 2.0, "max_interval_day": 14.0, "response_threshold": 0.5,
                 "stop": STOP},
    # saline on the fixed days: what the readout does without the drug (the stressed
    # network still drifting, turnover noise), the placebo arm of a trial
    "placebo": {"name": "fixed", "dose_mg_per_kg": 0.0, "duration_min": 40,
                "days": [0, 2, 4, 7, 9, 11], "response_threshold": 0.5},
}


def cohort_config(policy: dict) -> dict:
    config = plasticity.load_config(ROOT / "configs/treatment_cohort.yaml", [
        *args.set, f"cohort.patients={n_patients}"])
    raw = config.model_dump(mode="json")
    raw["treatment"]["policy"] = policy
    return raw


tables, sessions = {}, {}
for label, policy in POLICIES.items():
    out = args.output / label
    plasticity.sweep.run(cohort_config(policy), out, executor=args.executor,
                         workers=args.workers, quiet=True)
    table = plasticity.load_sweep(out)
    failed = table[table["state"] != "done"]
    if len(failed):
        raise SystemExit(f"{out}: {len(failed)} patients not done; see plasticity status {out}")
    tables[label] = table.set_index("seed").sort_index()
    sessions[label] = {
        seed: plasticity.open_result(out / "points" / f"{pid}.h5").series(
            "sessions").to_dataframe()
        for seed, pid in zip(table["seed"], table["id"], strict=True)}
    print(f"{label}: {len(table)} patients done", flush=True)

limits = yaml.safe_load((ROOT / "configs/treatment_cohort.yaml").read_text())["treatment"][
    "limits"]


def responded_by(label: str, k: int) -> np.ndarray:
    return np.array([float(df["responded"].values[:k].any())
                     for _, df in sorted(sessions[label].items())])


def line(name: str, values, fmt: str = "{:.2f}") -> str:
    mean, lo, hi = bootstrap_ci(np.asarray(values, dtype=float))
    return f"{name} {fmt.format(mean)} [{fmt.format(lo)}, {fmt.format(hi)}]"


print(f"\n{n_patients} patients; response: at least half of the stress-induced synapse loss "
      "back 24 h after a session")
seeds = sorted(tables["fixed"].index)
loss = tables["fixed"].loc[seeds, "stress_loss"].values
print(line("stress-induced loss (fraction of the control count)", loss))
for label in POLICIES:
    t = tables[label].loc[seeds]
    print(f"\n{label}:")
    for k in (3, 6):
        print("  " + line(f"responded by session {k}", responded_by(label, k)))
    ttr = t["time_to_response_day"].values
    ok = np.isfinite(ttr)
    print(f"  time to response (responders, n={ok.sum()}): "
          + (f"median {np.median(ttr[ok]):.1f} days" if ok.any() else "none"))
    print("  " + line("sessions", t["n_sessions"].values, "{:.1f}"))
    print("  " + line("drug given (mg/kg)", t["total_dose_mg_per_kg"].values))
    print("  " + line("cumulative plasma AUC (uM h)", t["cumulative_auc_uM_h"].values))
    print("  " + line("highest plasma peak (uM)", t["max_peak_plasma_uM"].values))
    print("  " + line("final response (fraction of the deficit back)",
                      t["final_response"].values))
    print(f"  over the peak cap ({limits['peak_plasma']}): "
          f"{int(t['peak_limit_exceeded'].sum())} of {len(t)}; over the AUC cap "
          f"({limits['cumulative_auc_uM_h']} uM h): {int(t['auc_limit_exceeded'].sum())}")
print("\nresponse threshold (our choice 0.5) post hoc: fraction of patients whose response "
      "reached it at some session (the adaptive policies chose with 0.5)")
for threshold in (0.05, 0.1, 0.25, 0.5):
    fractions = {label: np.mean([float((df["response"] >= threshold).any())
                                 for df in sessions[label].values()]) for label in POLICIES}
    print(f"  {threshold:4.2f}: " + ", ".join(f"{k} {v:.2f}" for k, v in fractions.items()))
for label in ("titration", "interval", "placebo"):
    diff = (tables[label].loc[seeds, "total_dose_mg_per_kg"].values
            - tables["fixed"].loc[seeds, "total_dose_mg_per_kg"].values)
    print("\n" + line(f"drug given, {label} - fixed (paired, mg/kg)", diff))

# --------------------------------------------------------------------------- #
# Figures
# --------------------------------------------------------------------------- #
colors = {"fixed": "0.3", "titration": "tab:red", "interval": "tab:blue", "placebo": "tab:green"}
fig = Figure(figsize=(12, 8), layout="constrained")
canvas = FigureCanvasAgg(fig)
axes = fig.subplots(2, 3)
ax = axes[0, 0]
for label in POLICIES:
    fractions = [responded_by(label, k).mean() for k in range(1, 7)]
    ax.plot(range(1, 7), fractions, "o-", color=colors[label], label=label)
ax.set(xlabel="session", ylabel="fraction responded by then", ylim=(-0.02, 1.02),
       title="response (half the deficit back at 24 h)")
ax.legend()
for ax, key, unit, cap in ((axes[0, 1], "total_dose_mg_per_kg", "mg/kg", None),
                           (axes[0, 2], "cumulative_auc_uM_h", "uM h",
                            limits["cumulative_auc_uM_h"]),
                           (axes[1, 0], "max_peak_plasma_uM", "uM",
                            float(str(limits["peak_plasma"]).split()[0]))):
    for i, label in enumerate(POLICIES):
        values = tables[label].loc[seeds, key].values
        x = i + np.linspace(-0.15, 0.15, len(values))
        ax.plot(x, values, ".", color=colors[label], alpha=0.7)
        ax.plot([i - 0.25, i + 0.25], [np.median(values)] * 2, color=colors[label])
    if cap is not None:
        ax.axhline(cap, ls="--", color="k", lw=0.8, label="limit (config)")
        ax.legend()
    ax.set(xticks=range(len(POLICIES)), xticklabels=list(POLICIES), ylabel=unit, title=key)
ax = axes[1, 1]
ax.plot(loss, tables["fixed"].loc[seeds, "final_response"].values, "o", color=colors["fixed"],
        label="fixed")
ax.plot(loss, tables["titration"].loc[seeds, "final_response"].values, "o",
        color=colors["titration"], label="titration")
ax.set(xlabel="stress-induced loss (fraction)", ylabel="response at the last session",
       title="severity against response")
ax.legend()
ax = axes[1, 2]
for seed, style in zip(seeds[:3], ("-", "--", ":"), strict=False):
    for label in POLICIES:
        df = sessions[label][seed]
        days = df["start_day"].values + 1
        ax.plot(days, df["response"].values, style, color=colors[label], lw=1)
        ax.scatter(days, df["response"].values, s=(3 + 6 * df["dose_mg_per_kg"].values) ** 2,
                   color=colors[label])
ax.axhline(0.5, color="k", lw=0.8)
ax.set(xlabel="clinical day (response read 24 h after each session)",
       ylabel="deficit restored", title="three patients (marker size: dose)")
fig.suptitle(f"A virtual cohort of {n_patients} patients under three policies "
             "(configs/treatment_cohort.yaml)")
figure = args.output / "treatment_cohort.png"
canvas.print_png(str(figure))
print(f"\nfigure: {figure}")

"""
A drug-free baseline that holds still for weeks
===============================================

The control every ketamine experiment is paired with: the default E/PV/SST
network with E->E structural plasticity (``configs/baseline.yaml``) over 14
clinical days on the clinical clock (windows of 5 s every 6 h; between
them, elements grow at clinical-time rates from each window's activity and
synapses change every clinical hour), with intrinsic spine turnover at the
rates measured by two-photon imaging in adult frontal cortex (the config
lists the sources and the two-state process behind the numbers).

It prints what the issue asks of a control, beside the measured values:

- the drift of the E->E synapse count per simulated week (target < 2 %);
- formation and elimination per day as daily imaging would see them (pairs
  present today and absent yesterday, and the reverse; measured: interval
  means of 3.4-4.1 % formed and 3.6-4.4 % eliminated per day, Shao et al.
  2021 saline arm, 2-day intervals halved);
- the share of new synapses still present 4 days after they appear
  (measured: about 64 %, same data);
- the scheme's own checks: the change of the population rate within a
  window (stationarity) and the sensor's time constant against the
  clinical update interval;
- the wall time of the 14 days.

Run::

    python experiments/baseline_turnover.py -o results/baseline

(about two minutes on 2 cores, one compile included).
"""

import argparse
import time
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import plasticity

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--config", type=Path, default=ROOT / "configs/baseline.yaml")
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("-o", "--output", type=Path, default=Path("results/baseline"))
args = parser.parse_args()
args.output.mkdir(parents=True, exist_ok=True)

# ---------------------------------------------------------------------------
# Run the 14 days.
# ---------------------------------------------------------------------------
config = plasticity.load_config(args.config, [f"seed={args.seed}"])
t0 = time.perf_counter()
result = plasticity.open_result(plasticity.run(config, args.output / "baseline.h5"))
wall = time.perf_counter() - t0

# ---------------------------------------------------------------------------
# Readouts: synapse count per week, daily imaging turnover, survival, checks.
# ---------------------------------------------------------------------------
clinical = result.series("clinical")
hours = clinical["clinical_time_h"].values
n_syn = clinical["n_syn_exc_to_exc"].values
timeline = result.series("timeline").to_dataframe()
days = timeline.dropna(subset=["imaging_gain_per_day"])


def count_at(h: float) -> float:
    return float(n_syn[np.argmin(np.abs(hours - h))])


n0 = float(result.series("connectivity")["n_syn_exc_to_exc"].values[0])
w1, w2 = count_at(168.0), count_at(336.0)
print(f"E->E synapses: {n0:.0f} at the start, {w1:.0f} after 7 days, {w2:.0f} after 14 days")
print(f"drift: week 1 {w1 / n0 - 1:+.2%}, week 2 {w2 / w1 - 1:+.2%} (target: < 2 % per week)")
for name, key, measured in (("formation", "imaging_gain_per_day", "3.4-4.1 %"),
                            ("elimination", "imaging_loss_per_day", "3.6-4.4 %")):
    values = days[key].values
    print(f"{name} per day (daily imaging): {values.mean():.2%} (days 1-14: "
          f"{values.min():.2%} to {values.max():.2%}; measured {measured})")
survival = timeline["imaging_new_survival_4d"].dropna().values
print(f"new synapses present 4 days after appearing: {survival.mean():.1%} "
      f"({survival.min():.1%} to {survival.max():.1%}; measured about 64 %)")
prov = result.provenance
print(f"checks: window stationarity at most {prov['window_stationarity_max']:.3f}; "
      f"sensor tau / clinical update = {prov['sensor_tau_over_update']:.4f}")
print(f"pyramidal rate per window: {timeline['exc_rate_hz'].mean():.2f} Hz "
      f"({timeline['exc_rate_hz'].min():.2f} to {timeline['exc_rate_hz'].max():.2f})")
n_cells = config.network.n_exc + config.network.n_pv + config.network.n_sst
print(f"wall time, 14 clinical days of {n_cells} cells: {wall:.0f} s")

# ---------------------------------------------------------------------------
# Plot: synapse count and daily turnover over the 14 days.
# ---------------------------------------------------------------------------
fig = Figure(figsize=(7.5, 5.5), constrained_layout=True)
FigureCanvasAgg(fig)
top, bottom = fig.subplots(2, 1, sharex=True)
top.plot(hours / 24.0, n_syn / n0, color="k")
top.axhspan(0.98, 1.02, color="0.9", label="+-2 %")
top.set_ylabel("E->E synapses (relative)")
top.legend(frameon=False)
bottom.plot(days["clinical_start_h"] / 24.0, 100 * days["imaging_gain_per_day"], "o-",
            color="C2", label="formed per day")
bottom.plot(days["clinical_start_h"] / 24.0, 100 * days["imaging_loss_per_day"], "s-",
            color="C3", label="eliminated per day")
bottom.axhspan(3.5, 4.0, color="0.9", label="measured (Shao et al. 2021)")
bottom.set_xlabel("clinical time (days)")
bottom.set_ylabel("% of synapses")
bottom.legend(frameon=False)
top.set_title("Drug-free baseline on the clinical clock (configs/baseline.yaml)")
out = args.output / "baseline_turnover.png"
fig.savefig(out, dpi=120)
print(f"figure: {out}")

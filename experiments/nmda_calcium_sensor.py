"""
How much does a clinical dose lower the growth rule's sensor? (issue 13)
========================================================================

The homeostatic growth rule reads each pyramidal cell's activity through a
calcium sensor (``structural.sensor``). Counting somatic spikes (NEST's
sensor, Butz & van Ooyen 2013), ketamine's disinhibition looks like *more*
activity and the rule prunes (science.md 7.2). The Ca2+ that enters through
NMDA receptors (10.7 % of their current, Garaschuk et al. 1996) is what the
block removes; it is also what disinhibition, with more glutamate and a
more depolarised dendrite (less Mg2+ block), adds back. Which wins at a
clinical dose?

This script answers on the default network (``configs/baseline.yaml``, 800
pyramidal cells with dendrites, PV and SST interneurons, E->E synapses frozen):

1. the drug-free calibration of the NMDA input, the Ca2+ charge through
   NMDA receptors per somatic spike (``structural.sensor.nmda_charge_per_spike``,
   committed in ``plasticity/config/structural.py``);
2. the stationary sensor of each input (spikes, NMDA calcium, the 30/70
   mix) at the peak free effect-site concentration of 0.5 mg/kg
   hydrochloride over 40 min (Domino PK, the protocol of
   ``configs/infusion_0.5mgkg.yaml``) and at 1, 3 and 10 uM, each paired
   against the drug-free window of the same seed, with the rate, the NMDA
   Ca2+ current, the AMPA current and the block behind it.

Run::

    python experiments/nmda_calcium_sensor.py -o results/nmda_sensor

(about 2 minutes on 2 cores with 8 seeds: one build, 48 windows of 5 s).
"""

import argparse
from pathlib import Path

import numpy as np

import plasticity
from plasticity.pharmacology.exposure import driving_concentration_uM
from plasticity.studies.sensor import calibrate_nmda_sensor, sensor_response

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[2])
parser.add_argument("--config", type=Path, default=ROOT / "configs/baseline.yaml")
parser.add_argument("--seeds", type=int, default=8)
parser.add_argument("--set", action="append", default=[], help="extra KEY=VALUE overrides")
parser.add_argument("-o", "--output", type=Path, default=Path("results/nmda_sensor"))
args = parser.parse_args()
args.output.mkdir(parents=True, exist_ok=True)
seeds = list(range(1, args.seeds + 1))
config = plasticity.load_config(args.config, args.set)

# %% 1. The drug-free calibration of the NMDA input
q, q_lo, q_hi = calibrate_nmda_sensor(config, seeds)
committed = float(config.structural.sensor.nmda_charge_per_spike) * 1e12
print(f"NMDA Ca2+ charge per somatic spike (drug-free): {q:.4f} pC [{q_lo:.4f}, {q_hi:.4f}]; "
      f"committed {committed:.4f} pC")

# %% 2. The clinical peak: free effect-site concentration of 0.5 mg/kg over 40 min
clinical = plasticity.load_config(ROOT / "configs/infusion_0.5mgkg.yaml")
times_s = np.arange(0.0, 3 * 3600.0, 10.0)
peak_uM = float(np.max(driving_concentration_uM(clinical.pharmacology.protocol, times_s)))
print(f"peak free effect-site concentration, 0.5 mg/kg over 40 min: {peak_uM:.3f} uM")

response = sensor_response(config, [round(peak_uM, 3), 1.0, 3.0, 10.0], seeds)
print(response.table())

# %% 3. The figure: relative change of each sensor input against concentration
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

concs = [c for c in response.concentrations_uM if c > 0]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
for name, label in [("sensor_spikes", "spikes"), ("sensor_nmda", "NMDA Ca2+"),
                    ("sensor_mix", "mix (30 % NMDA)")]:
    rel = np.array([response.relative(name, c) for c in concs])
    axes[0].errorbar(concs, 100 * rel[:, 0], yerr=100 * np.abs(rel[:, 1:].T - rel[:, 0]),
                     marker="o", capsize=3, label=label)
for name, label in [("rate", "pyramidal rate"), ("ca_nmda_current", "NMDA Ca2+ current"),
                    ("ampa_current", "dendritic AMPA current")]:
    rel = np.array([response.relative(name, c) for c in concs])
    axes[1].errorbar(concs, 100 * rel[:, 0], yerr=100 * np.abs(rel[:, 1:].T - rel[:, 0]),
                     marker="o", capsize=3, label=label)
for ax in axes:
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(peak_uM, color="tab:red", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("free ketamine (µM)")
    ax.legend(frameon=False, fontsize=8)
axes[0].set_ylabel("change of the sensor (%)")
axes[1].set_ylabel("change against drug-free (%)")
axes[0].set_title("sensor inputs", fontsize=10)
axes[1].set_title("what drives them", fontsize=10)
fig.tight_layout()
out = args.output / "nmda_calcium_sensor.png"
fig.savefig(out, dpi=150)
print(f"figure: {out}")

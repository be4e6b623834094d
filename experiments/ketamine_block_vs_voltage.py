"""Ketamine block against voltage, with and without Mg2+ (issue 12, the block).

Ketamine and Mg2+ compete for the open NMDA channel
(:mod:`plasticity.pharmacology.block`). The fraction of the Mg2+-limited
current that ketamine removes is ``b = C / (C + IC50_Mg(V))`` with::

    IC50_Mg(V) = K0 exp(delta (V - V_ref)/V_T) * (1 + [Mg]/K_Mg(V))

This script prints, per GluN2 subunit, the model's IC50 in 1 mM Mg2+ at
-66 mV beside the measured one (Kotermanski & Johnson 2009), and the block by
1 uM and by the free peak of a 0.5 mg/kg infusion at -66 and -40 mV, with and
without Mg2+. It then shows what depends on our choice of ketamine's
electrical distance ``delta`` (no measured value could be read): the block at
-40 mV for delta 0, 0.4 and 0.8. The figure draws the block against voltage.

What to read from it:

- In 1 mM Mg2+ the block of GluN2A/B *strengthens* from rest to -40 mV for
  every delta in 0-0.8, because depolarisation expels Mg2+ and ketamine takes
  the site (science.md 7.1). Without Mg2+ it weakens with depolarisation. For
  GluN2C/D, whose Mg2+ block is weak, the two effects nearly cancel.
- GluN2C/D (the E->SST and E->PV assumption) are blocked more than GluN2A/B
  in Mg2+, although their 0-Mg2+ affinity is lower: their Mg2+ block is weak.

Run: ``python experiments/ketamine_block_vs_voltage.py`` (a second; writes
``experiments/figures/ketamine_block_vs_voltage.png``).
"""

from pathlib import Path

import numpy as np

from plasticity.pharmacology.block import (
    SUBUNITS,
    ic50_in_mg_uM,
    ketamine_block,
    mg_block,
)
from plasticity.units import parse_quantity

#: Free effect-site peak of 0.5 mg/kg (hydrochloride) over 40 min, 70 kg, Domino set,
#: free fraction 0.53: ``plasticity pk configs/infusion_0.5mgkg.yaml`` prints it.
FREE_PEAK_UM = 0.53 * 0.869


def _subunit(name):
    entry = SUBUNITS[name]
    k0 = float(parse_quantity(entry["k0"], "concentration") / parse_quantity("1 uM",
                                                                               "concentration"))
    mg_k0 = float(parse_quantity(entry["mg_k0"], "concentration")
                  / parse_quantity("1 mM", "concentration"))
    return k0, mg_k0, entry["ic50_mg_measured_uM"]


def block(conc_uM, v_mV, mg_mM, k0, mg_k0, delta=0.8):
    return ketamine_block(conc_uM, ic50_in_mg_uM(k0, v_mV, mg_mM, delta=delta, mg_k0_mM=mg_k0))


print("IC50 in 1 mM Mg2+ at -66 mV: model output beside Kotermanski & Johnson 2009")
print(f"{'subunit':10s}{'K0 (0 Mg)':>11s}{'K_Mg0':>9s}{'model':>9s}{'measured':>10s}{'diff':>8s}")
for name in ("GluN2A", "GluN2B", "GluN2C", "GluN2D"):
    k0, mg_k0, measured = _subunit(name)
    model = ic50_in_mg_uM(k0, -66.0, 1.0, delta=0.8, mg_k0_mM=mg_k0)
    print(f"{name:10s}{k0:9.2f}uM{mg_k0:7.1f}mM{model:7.2f}uM{measured:8.2f}uM"
          f"{model / measured - 1:+8.1%}")
print("(2A/2B: Jahr & Stevens Mg2+ block, a prediction; 2C/2D: Mg2+ affinity inferred from the "
      "same pair, equal by construction)\n")

print(f"Block of the Mg2+-limited current (delta 0.8); free peak of 0.5 mg/kg = "
      f"{FREE_PEAK_UM:.2f} uM")
print(f"{'subunit':10s}{'C (uM)':>8s}{'Mg (mM)':>9s}{'-66 mV':>9s}{'-40 mV':>9s}")
for name in ("GluN2A", "GluN2B", "GluN2C", "GluN2D"):
    k0, mg_k0, _ = _subunit(name)
    for conc in (1.0, FREE_PEAK_UM):
        for mg in (1.0, 0.0):
            b66, b40 = (block(conc, v, mg, k0, mg_k0) for v in (-66.0, -40.0))
            print(f"{name:10s}{conc:8.2f}{mg:9.1f}{b66:9.1%}{b40:9.1%}")
print()

print("Sensitivity to delta (our choice): GluN2A/B, 1 uM, 1 mM Mg2+")
k0, mg_k0, _ = _subunit("GluN2A/B")
for delta in (0.0, 0.4, 0.8):
    b66, b40 = (block(1.0, v, 1.0, k0, mg_k0, delta) for v in (-66.0, -40.0))
    print(f"  delta {delta:.1f}: {b66:6.1%} at -66 mV, {b40:6.1%} at -40 mV "
          f"({'stronger' if b40 > b66 else 'weaker'} with depolarisation)")
woodhull = 1.0 / (1.0 + 5.2 * np.exp(0.8 * 26.0 / 26.554))
print(f"  the replaced model (Woodhull delta on the Mg2+ IC50 5.2 uM): {1 / 6.2:6.1%} at "
      f"-66 mV, {woodhull:6.1%} at -40 mV")

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:  # the table is the result; the figure is optional
    raise SystemExit(0) from None

v = np.linspace(-100.0, 0.0, 201)
fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), layout="constrained")
colours = {"GluN2A/B": "black", "GluN2C": "tab:green", "GluN2D": "tab:blue"}
for name, colour in colours.items():
    k0, mg_k0, _ = _subunit(name)
    axes[0].plot(v, block(1.0, v, 1.0, k0, mg_k0), color=colour, label=name)
    axes[1].plot(v, block(1.0, v, 0.0, k0, mg_k0), color=colour, label=name)
    axes[2].plot(v, mg_block(v, 1.0, mg_k0), color=colour, label=name)
k0, mg_k0, _ = _subunit("GluN2A/B")
for delta, style in ((0.0, ":"), (0.4, "--")):
    axes[0].plot(v, block(1.0, v, 1.0, k0, mg_k0, delta), color="black", linestyle=style,
                 label=f"GluN2A/B, delta {delta:g}")
axes[0].plot(v, ketamine_block(1.0, 5.2 * np.exp(0.8 * (v + 66.0) / 26.554)), color="0.6",
             label="replaced (Woodhull on IC50 in Mg2+)")
axes[0].set(title="1 uM ketamine, 1 mM Mg2+", xlabel="V (mV)",
            ylabel="fraction of Mg2+-limited current blocked")
axes[1].set(title="1 uM ketamine, no Mg2+", xlabel="V (mV)", ylabel="fraction blocked")
axes[2].set(title="Mg2+ block, 1 mM", xlabel="V (mV)", ylabel="B_Mg (unblocked)")
for ax in axes:
    ax.legend(fontsize=7)
out = Path(__file__).parent / "figures" / "ketamine_block_vs_voltage.png"
out.parent.mkdir(parents=True, exist_ok=True)
fig.savefig(out, dpi=120)
print(f"\nfigure: {out}")

"""
Structural plasticity: plasticity against NEST, on NEST's own example
=====================================================================

NEST 3.10's ``structural_plasticity.py`` example (800 E / 200 I
iaf_psc_alpha cells, no initial connectivity, gaussian growth curves, 10 kHz
Poisson drive) was run by ``make_reference_data.py``; its trajectories are
in ``tests/data/nest_sp_shipped.npz`` (13 seeds; the converging variant,
update every 1 s, 5 seeds in ``nest_sp_converging.npz``). This script runs
the same network in plasticity (``configs/nest_structural_plasticity.yaml``)
for several seeds, puts each run on NEST's clock and checks it against
NEST's seed-to-seed envelope (mean +- 3 SD, never tighter than +-15 %) at
every second after the first 20 s. It prints the fraction of time inside
the envelope and the ratio to NEST's mean per readout, the same check for
each NEST seed against the other NEST seeds (the baseline pass rate), a
permutation test of the late-phase means of the two sets of seeds, the
wall time per simulated second against NEST's (measured when the reference was made, same
machine, one thread), and saves a side-by-side figure.

Run::

    python experiments/reference/compare_nest_structural_plasticity.py --seeds 13
    python experiments/reference/compare_nest_structural_plasticity.py --variant converging
"""

import argparse
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import plasticity
from plasticity.studies.crosscheck import (
    READOUTS,
    envelope_check,
    leave_one_out,
    load_reference,
    permutation_test,
    trajectories,
)

ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------------------
# Prepare: the reference and the matching config.
# ---------------------------------------------------------------------------
parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--variant", choices=["shipped", "converging"], default="shipped")
parser.add_argument("--seeds", type=int, default=3)
parser.add_argument("--duration", default=None, help="override the simulated time")
parser.add_argument("-o", "--output", type=Path, default=Path("results/nest_crosscheck"))
parser.add_argument("--reuse", action="store_true",
                    help="use result files already in --output instead of running again")
args = parser.parse_args()

reference = load_reference(ROOT / "tests" / "data" / f"nest_sp_{args.variant}.npz")
with np.load(ROOT / "tests" / "data" / f"nest_sp_{args.variant}.npz") as raw:
    nest_wall_per_s = float(np.mean(raw["wall_s"])) / float(reference["time"][-1])
t_end = float(reference["time"][-1])
overrides = [f"simulation.duration={args.duration or f'{t_end:g} s'}"]
if args.variant == "converging":
    overrides.append("structural.update_interval=1 s")

# ---------------------------------------------------------------------------
# Run: one compiled build serves every seed.
# ---------------------------------------------------------------------------
args.output.mkdir(parents=True, exist_ok=True)
runs = []
for seed in range(1, args.seeds + 1):
    config = plasticity.load_config(ROOT / "configs" / "nest_structural_plasticity.yaml",
                                    [*overrides, f"seed={seed}"])
    path = args.output / f"{args.variant}_seed{seed}.h5"
    if not (args.reuse and path.exists()):
        path = plasticity.run(config, path)
    result = plasticity.open_result(path)
    times = reference["time"][reference["time"] <= float(config.simulation.duration) - 1]
    ours = trajectories(result, times, float(config.structural.update_interval))
    runs.append((seed, result, ours))

# ---------------------------------------------------------------------------
# Record: envelope, ratios and speed.
# ---------------------------------------------------------------------------
for seed, result, ours in runs:
    check = envelope_check(ours, reference)
    verdict = "inside" if check.passed() else "OUTSIDE"
    print(f"seed {seed}: Ca and connections {verdict} NEST's envelope after 20 s")
    print("  " + check.table().replace("\n", "\n  "))
    run_per_s = result.provenance["run_s"] / float(ours["time"][-1] + 1)
    print(f"  run time {run_per_s:.3f} s per simulated second; NEST (reference runs) "
          f"{nest_wall_per_s:.3f}: NEST/plasticity = {nest_wall_per_s / run_per_s:.2f}x")

# NEST's own seeds against the other NEST seeds: the pass rate a faithful
# simulator can be held to. Then the two sets of seeds compared as samples:
# per readout, the mean over the last 30 s of each seed.
baseline = leave_one_out(reference)
n_ours = sum(envelope_check(ours, reference).passed() for _, _, ours in runs)
n_nest = sum(check.passed() for check in baseline)
print(f"inside the envelope at every second after 20 s: plasticity {n_ours} of {len(runs)} "
      f"seeds; NEST's own seeds against the other NEST seeds {n_nest} of {len(baseline)}")
late = reference["time"] > reference["time"][-1] - 30
for name in READOUTS:
    nest_late = reference[name][:, late].mean(axis=1)
    ours_late = np.array([ours[name][np.isin(ours["time"], reference["time"][late])].mean()
                          for _, _, ours in runs])
    p = permutation_test(ours_late, nest_late)
    print(f"  {name:7s} last 30 s: NEST {nest_late.mean():9.4g} +- {nest_late.std(ddof=1):.3g}"
          f"   plasticity {ours_late.mean():9.4g} +- {ours_late.std(ddof=1):.3g}"
          f"   ratio {ours_late.mean() / nest_late.mean():.3f}   permutation p = {p:.2f}")

# ---------------------------------------------------------------------------
# Plot: NEST seeds (grey) and ours (colour), one panel per readout.
# ---------------------------------------------------------------------------
fig = Figure(figsize=(11, 9), layout="constrained")
FigureCanvasAgg(fig)
axes = fig.subplots(3, 2)
for ax, name in zip(axes.flat, READOUTS, strict=True):
    for k, row in enumerate(reference[name]):
        ax.plot(reference["time"], row, color="0.55", linewidth=0.8,
                label=f"NEST 3.10 ({len(reference[name])} seeds)" if k == 0 else None)
    for k, (_, _, ours) in enumerate(runs):
        ax.plot(ours["time"], ours[name], color="tab:orange", linewidth=0.9, alpha=0.8,
                label=f"plasticity ({len(runs)} seeds)" if k == 0 else None)
    ax.set_title(name)
    ax.set_xlabel("time (s)")
axes.flat[0].legend(fontsize="small", loc="lower right")
fig.suptitle(f"NEST 3.10 (grey) vs plasticity (orange): {args.variant} example")
fig.savefig(args.output / f"nest_vs_plasticity_{args.variant}.png", dpi=100)
print(f"wrote {args.output / f'nest_vs_plasticity_{args.variant}.png'}")

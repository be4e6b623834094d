"""
The clinical clock against a full real-time run (issue 12, validation a)
========================================================================

The clinical clock runs the network in short windows with the synapses
frozen and lets the synaptic elements grow between windows from each
window's stationary calcium. Where growth is fast enough that the whole
span can be simulated in real time, the clock can be checked against the
run it stands for: NEST's rule with the per-spike calcium sensor and the
network running together.

``configs/clinical_clock_validation.yaml`` is the clock's run: the default
network at 500 cells, E->E plasticity with growth 0.05 elements per second,
300 s of clinical time, 5 s windows every 10 s. Its real-time twin
(:func:`plasticity.studies.clinical_clock.real_time_twin`) simulates the
300 s. Three regimes, with the set point eps relative to the network's own
rate (measured first in 30 s of the network with its synapses frozen):

- **growth**: eps at 1.5 times the rate, most cells grow synapses;
- **set point**: eps at the rate, cells above it prune and cells below grow;
- **pruning**: eps at 0.7 times the rate, most cells prune.

Compared: the E->E synapse count at every clinical update (100 ms) and the
synapses formed and deleted over the 300 s. The clock uses each cell's
settled calcium from its first window on, so the real-time run starts from
a settled sensor too (30 s = 3 tau_Ca of the network with its synapses
frozen, :func:`plasticity.studies.clinical_clock.settled_state`).
Criterion: within 5 % (issue 12).

Run::

    python experiments/clinical_clock_vs_real_time.py -o results/clock_vs_real_time

(about 8 minutes on 2 cores.)
"""

import argparse
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import plasticity
from plasticity.studies.clinical_clock import CLOCK_CRITERION, compare_with_real_time, settle

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--config", type=Path,
                    default=ROOT / "configs/clinical_clock_validation.yaml")
parser.add_argument("--set", action="append", default=[], help="extra KEY=VALUE overrides")
parser.add_argument("-o", "--output", type=Path, default=Path("results/clock_vs_real_time"))
args = parser.parse_args()
args.output.mkdir(parents=True, exist_ok=True)

#: regime -> set point relative to the network's own rate
REGIMES = {"growth": 1.5, "set point": 1.0, "pruning": 0.7}

# ---------------------------------------------------------------------------
# The network settled with its synapses frozen (30 s = 3 tau_Ca): its own
# pyramidal rate, and the state the real-time runs start from.
# ---------------------------------------------------------------------------
base = plasticity.load_config(args.config, args.set)
settled = settle(base, 3.0 * float(base.structural.tau_ca))
rate_hz = settled.rate_hz["exc"]
ca_hz = float(base.structural.beta_ca) * float(base.structural.tau_ca)  # sensor per Hz
print(f"pyramidal rate without plasticity: {rate_hz:.2f} Hz")

# ---------------------------------------------------------------------------
# Each regime: the clock and its real-time twin.
# ---------------------------------------------------------------------------
comparisons = {}
for regime, factor in REGIMES.items():
    eps = factor * ca_hz * rate_hz
    config = plasticity.load_config(base.model_dump(mode="json"), [
        f"structural.elements.exc.axon.eps={eps!r}",
        f"structural.elements.exc.den_exc.eps={eps!r}"])
    check = compare_with_real_time(config, args.output / regime.replace(" ", "_"),
                                   settled=settled)
    comparisons[regime] = check
    verdict = "pass" if check.passed() else "FAIL"
    print(f"\n{regime} (eps = {factor:g} x the rate = {eps:.4f}): {verdict}")
    print(check.table())

worst = {name: max(c.deviations()[name] for c in comparisons.values())
         for name in ("n_syn", "formed", "deleted")}
print("\nlargest difference over the regimes: " + ", ".join(
    f"{name} {value:.2%}" for name, value in worst.items())
    + f" (criterion {CLOCK_CRITERION:.0%}: "
    + ("pass" if max(worst.values()) < CLOCK_CRITERION else "FAIL") + ")")

# ---------------------------------------------------------------------------
# Plot: synapse count and cumulative changes, clock against real time.
# ---------------------------------------------------------------------------
fig = Figure(figsize=(10, 5.5), constrained_layout=True)
FigureCanvasAgg(fig)
axes = fig.subplots(2, len(REGIMES), sharex=True)
for col, (regime, check) in enumerate(comparisons.items()):
    t = check.time_s
    top, bottom = axes[0, col], axes[1, col]
    top.plot(t, check.real_time["n_syn"] / check.n_syn_start, color="k", label="real time")
    top.plot(t, check.clock["n_syn"] / check.n_syn_start, "--", color="C1", label="clock")
    top.set_title(f"{regime} (eps {REGIMES[regime]:g} x rate)")
    for name, color in (("formed", "C2"), ("deleted", "C3")):
        bottom.plot(t, check.real_time[name], color=color, label=f"{name}, real time")
        bottom.plot(t, check.clock[name], "--", color=color, label=f"{name}, clock")
    bottom.set_xlabel("time (s)")
axes[0, 0].set_ylabel("E->E synapses (relative)")
axes[1, 0].set_ylabel("synapses since the start")
axes[0, 0].legend(frameon=False)
axes[1, 0].legend(frameon=False, fontsize="small")
out = args.output / "clinical_clock_vs_real_time.png"
fig.savefig(out, dpi=120)
print(f"figure: {out}")

"""
Butz & van Ooyen (2013): rewiring after a lesion of the input
=============================================================

Butz, M. and van Ooyen, A. (2013). A simple rule for dendritic spine and
axonal bouton formation can account for cortical reorganization after focal
retinal lesions. PLoS Computational Biology 9:e1003259. Each neuron grows
synaptic elements when its calcium (activity) is between a minimum ``eta``
and its set point ``eps``, and retracts them outside that range (the
biphasic, "gaussian" growth curve of NEST). Dendritic elements have a lower
minimum than axonal ones (eta_D < eta_A). After a lesion of their input,
deprived cells whose activity falls between the two minima grow dendritic
elements (spines) and retract axonal ones (boutons); their neighbours grow
axons into the deprived zone, then prune them; activity returns towards the
set point. This is reference target T5 (../shared/reference/science.md 1.5),
and the one place where the biphasic curve (eta > 0) of the engine is
exercised by a config.

The network is the reduced one of Gallinaro & Rotter (2018) with gaussian
growth curves (``configs/butz_van_ooyen_2013.yaml``, where the parameters
and their sources are listed): only E->E is plastic, it grows from empty for
40 s, and then the deprived group D (the first 20 % of E cells) loses 20 %
of its external drive until the end. The neighbours N are the other E cells.

The script runs it, follows the connected synaptic elements per cell of D
and N from the edge-list snapshots (incoming synapses: connected dendritic
elements; outgoing: connected axonal elements) and the rates of D and N from
the spikes, and prints the T5 directions:

(a) early after the lesion, D's dendritic elements rise and its axonal
    elements fall;
(b) N's axonal elements rise (overshoot) and are then pruned;
(c) D's rate recovers towards the pre-lesion rate.

Run::

    python experiments/Butz_vanOoyen_2013.py -o results/butz_van_ooyen_2013

(about a minute). ``--factor 0.5`` removes half of D's drive instead, as T5
suggests: these mean-driven cells then fall silent, below eta_D, and lose
all their synapses.
"""

import argparse
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import plasticity
from plasticity.studies.deafferentation import measure_lesion

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--config", type=Path, default=ROOT / "configs/butz_van_ooyen_2013.yaml")
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--factor", type=float, default=None,
                    help="drive left to the deprived group (default: the config's 0.8)")
parser.add_argument("-o", "--output", type=Path, default=Path("results/butz_van_ooyen_2013"))
args = parser.parse_args()
args.output.mkdir(parents=True, exist_ok=True)

# ---------------------------------------------------------------------------
# Run: grow from empty, then lesion the input of D.
# ---------------------------------------------------------------------------
overrides = [f"seed={args.seed}"]
if args.factor is not None:
    overrides.append(f"stimulation.0.rate_factor={args.factor}")
config = plasticity.load_config(args.config, overrides)
result = plasticity.open_result(plasticity.run(config, args.output / "lesion.h5"))

# ---------------------------------------------------------------------------
# Record: connected elements per cell of D and N (from the snapshots, every
# second) and their rates (5 s bins).
# ---------------------------------------------------------------------------
lesion = measure_lesion(result, config)
t_lesion, t_end = lesion.t_lesion_s, float(config.simulation.duration)
eps_hz = 1000 * config.structural.elements["exc"]["axon"].eps
peak_n, t_peak_n = lesion.peak_after_lesion("out_N")
pre_rate = lesion.mean_rate("D", t_lesion - 15, t_lesion)
late_rate = lesion.mean_rate("D", t_end - 30, t_end)
print(f"deprived group D: {lesion.n_deprived} cells, drive x "
      f"{config.stimulation[0].rate_factor:g} from {t_lesion:g} s")
print(f"(a) D incoming (dendritic) {lesion.value('in_D', t_lesion - 1):.1f} -> "
      f"{lesion.value('in_D', t_lesion + 5):.1f}, outgoing (axonal) "
      f"{lesion.value('out_D', t_lesion - 1):.1f} -> {lesion.value('out_D', t_lesion + 5):.1f} "
      "per cell, 5 s after the lesion (T5: dendritic up, axonal down)")
print(f"(b) N outgoing (axonal) {lesion.value('out_N', t_lesion - 1):.1f} before, peak "
      f"{peak_n:.1f} at {t_peak_n:g} s, {lesion.value('out_N', t_end):.1f} at {t_end:g} s "
      "(T5: overshoot, then pruning)")
print(f"(c) D rate {pre_rate:.1f} Hz before the lesion, lowest "
      f"{lesion.rate_d_hz.min():.1f} Hz, {late_rate:.1f} Hz over the last 30 s (T5: recovers "
      f"towards the set point, {eps_hz:g} Hz)")

# ---------------------------------------------------------------------------
# Plot: connected elements and rates of D and N; the lesion marked.
# ---------------------------------------------------------------------------
fig = Figure(figsize=(7.5, 6.0), constrained_layout=True)
FigureCanvasAgg(fig)
top, bottom = fig.subplots(2, 1, sharex=True)
for ax in (top, bottom):
    ax.axvline(t_lesion, color="0.5", linestyle=":", label="lesion of D's input")
for group, colour in (("D", "C3"), ("N", "C0")):
    top.plot(lesion.time_s, lesion.degrees[f"in_{group}"], color=colour,
             label=f"{group} incoming (dendritic)")
    top.plot(lesion.time_s, lesion.degrees[f"out_{group}"], color=colour, linestyle="--",
             label=f"{group} outgoing (axonal)")
top.set_ylabel("connected elements per cell")
top.legend(frameon=False, fontsize=8, ncol=2)
bottom.step(lesion.bin_edges_s[1:], lesion.rate_d_hz, color="C3", label="D")
bottom.step(lesion.bin_edges_s[1:], lesion.rate_n_hz, color="C0", label="N")
bottom.axhline(eps_hz, color="k", linewidth=0.8, label="set point eps")
bottom.set_xlabel("time (s)")
bottom.set_ylabel("rate (Hz)")
bottom.legend(frameon=False, fontsize=8)
top.set_title("Butz & van Ooyen 2013: lesion of the input (reduced network, plasticity)")
out = args.output / "butz_van_ooyen_2013.png"
fig.savefig(out, dpi=120)
print(f"figure: {out}")

"""
Gallinaro & Rotter (2018): assemblies from homeostatic structural plasticity
============================================================================

Gallinaro, J. V. and Rotter, S. (2018). Associative properties of structural
plasticity based on firing rate homeostasis in recurrent neuronal networks.
Scientific Reports 8:3754. A purely homeostatic rule, with no Hebbian term,
makes a group of cells that received extra input for a while end up more
strongly connected among themselves than the rest of the network: during
the stimulus the group fires above its target and prunes its inputs; once
the stimulus stops it fires below target and regrows, and since its members
are all growing at the same time they pair preferentially with each other.
The assembly then fades only slowly.

The network is the reduced one of the authors' published script
(``configs/gallinaro_rotter_2018.yaml``; ../shared/reference/science.md 1.6,
target T4): 400 E / 100 I ``iaf_psc_delta`` cells, only E->E plastic and
starting empty, linear growth curves whose set point is the excitatory rate
of the same network with static E->E connectivity at probability 0.1.

The script is linear: prepare (measure that rate and set the set point),
build and run the plastic network (compiled once), record the connection
probabilities between the stimulated group S and the rest R from the
edge-list snapshots, and plot. It prints the numbers checked against T4:

(a) after the growth phase p(E->E) is close to 0.10;
(b) during the stimulus p(S->S) and p(R->S) fall;
(c) after the stimulus p(S->S) clearly exceeds p(E->E) (ratio >= 1.3);
(d) the excess decays slowly (still present long after the stimulus).

Run::

    python experiments/Gallinaro_Rotter_2018.py -o results/gallinaro_rotter_2018

(about two minutes: a 10 s calibration run and the 100 s plastic run).
"""

import argparse
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import plasticity
from plasticity.analysis.connectivity import group_connectivity

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--config", type=Path, default=ROOT / "configs/gallinaro_rotter_2018.yaml")
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("-o", "--output", type=Path, default=Path("results/gallinaro_rotter_2018"))
args = parser.parse_args()
args.output.mkdir(parents=True, exist_ok=True)

# ---------------------------------------------------------------------------
# Prepare: the set point is the E rate of the static network (E->E at p 0.1,
# no plasticity, no stimulus) over 10 s, in spikes per ms since
# beta_Ca * tau_Ca = 1 makes the calcium trace equal the rate.
# ---------------------------------------------------------------------------
base = plasticity.load_config(args.config, [f"seed={args.seed}"])
static = plasticity.load_config(
    args.config,
    [f"seed={args.seed}", "structural.enabled=false", "stimulation=[]",
     "simulation.duration=10 s", "name=gallinaro_rotter_2018_static"],
)
static_result = plasticity.open_result(plasticity.run(static, args.output / "static.h5"))
target_hz = static_result.summary["exc_rate_hz"]
eps = target_hz / 1000.0  # spikes per ms
growth = f"{{curve: linear, growth_rate: {0.5 * eps!r} /ms, eps: {eps!r}, z0: 1.0, " \
         "continuous: false}"
config = plasticity.load_config(
    args.config,
    [f"seed={args.seed}", f"structural.elements.exc.axon={growth}",
     f"structural.elements.exc.den_exc={growth}"],
)
print(f"target rate (static network, 10 s): {target_hz:.2f} Hz -> eps = {eps:.5f} /ms, "
      f"nu = {0.5 * eps:.5f} /ms")

# ---------------------------------------------------------------------------
# Build and run the plastic network: grow 0-20 s, stimulate 20-40 s,
# post-stimulation 40-60 s, decay 60-100 s.
# ---------------------------------------------------------------------------
result = plasticity.open_result(plasticity.run(config, args.output / "plastic.h5"))

# ---------------------------------------------------------------------------
# Record: connection probabilities between the stimulated group S (the
# first 10 % of E) and the rest R, from the snapshots (every second).
# ---------------------------------------------------------------------------
stim = config.stimulation[0]
n_exc = config.network.n_exc
n_s = round(stim.fraction * n_exc)
groups = {"S": np.arange(n_s), "R": np.arange(n_s, n_exc), "E": np.arange(n_exc)}
conn = group_connectivity(result, "exc_to_exc", groups)
t_s = conn["time"].values / 1000.0
p_ss, p_ee = conn["p_S_to_S"].values, conn["p_E_to_E"].values
p_rs, p_sr = conn["p_R_to_S"].values, conn["p_S_to_R"].values


def at(t: float) -> int:
    """Index of the snapshot at time t (s)."""
    return int(np.argmin(np.abs(t_s - t)))


start, stop = float(stim.start), float(stim.stop)
end = float(config.simulation.duration)
ratio = p_ss / np.maximum(p_ee, 1e-12)
post = (t_s > stop) & (t_s <= stop + 20.0)
peak = int(np.flatnonzero(post)[np.argmax(ratio[post])])
print(f"(a) p(E->E) at {start:g} s (end of growth):           {p_ee[at(start)]:.4f}  (T4: ~0.10)")
print(f"(b) p(S->S) {p_ss[at(start)]:.4f} -> {p_ss[at(stop)]:.4f}, p(R->S) {p_rs[at(start)]:.4f} "
      f"-> {p_rs[at(stop)]:.4f} over the stimulus (T4: both fall)")
print(f"(c) peak p(S->S)/p(E->E) after the stimulus: {ratio[peak]:.2f} at {t_s[peak]:g} s "
      f"(p(S->S) {p_ss[peak]:.4f}, p(E->E) {p_ee[peak]:.4f}; T4: >= 1.3)")
print(f"(d) p(S->S)/p(E->E) at the end ({end:g} s, {end - stop:g} s after the stimulus, "
      f"which lasted {stop - start:g} s): {ratio[-1]:.2f}")

# ---------------------------------------------------------------------------
# Plot: connection probabilities over time, the stimulus shaded.
# ---------------------------------------------------------------------------
fig = Figure(figsize=(7.5, 4.2), constrained_layout=True)
FigureCanvasAgg(fig)
ax = fig.add_subplot()
ax.axvspan(start, stop, color="0.9", label="stimulus on S")
ax.plot(t_s, p_ss, color="C3", label="S→S")
ax.plot(t_s, p_rs, color="C1", label="R→S")
ax.plot(t_s, p_sr, color="C2", linestyle="--", label="S→R")
ax.plot(t_s, p_ee, color="k", label="E→E")
ax.set_xlabel("time (s)")
ax.set_ylabel("connection probability")
ax.set_title("Gallinaro & Rotter 2018, reduced network (plasticity)")
ax.legend(frameon=False, ncol=2)
out = args.output / "gallinaro_rotter_2018.png"
fig.savefig(out, dpi=120)
print(f"figure: {out}")

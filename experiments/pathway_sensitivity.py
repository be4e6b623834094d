"""
Which pathway parameters does the single-infusion result depend on? (Morris screening)
====================================================================================

The growth-factor pathways of issue 13 carry parameters that no experiment
fixes (the gains are scale choices, the time constants fits to time courses
read in words, the weight of a new synapse our choice). This experiment
screens them with the elementary-effects method of Morris (1991,
Technometrics 33:161), in the form of Campolongo et al. (2007): a sweep of
``trajectories x (k + 1)`` single-infusion runs (``configs/single_infusion.yaml``),
each moving one parameter at a time across its range, every run starting
from the same settled stressed network (``sweep.initial_state``). For each
readout the table gives ``mu*`` (mean absolute elementary effect: how much
the readout depends on the parameter) and ``sigma`` (how much that effect
depends on the others: interactions and non-linearity), from
:func:`plasticity.sweep.sensitivity`.

Readouts, each against one drug-free run from the same state (the pathways
are at rest without the drug, so it does not depend on them): the synapse
gain at 24 h and at the last day, the formation over the first day relative
to drug-free, and the summed-weight gain at 24 h.

The ranges are a factor of 2 either side of the committed values (gains,
time constants, threshold), 0.1-1 for ``new_weight``; the committed values
and their sources are in configs/single_infusion.yaml and the model card.

Run::

    python experiments/pathway_sensitivity.py                  # 400 cells, 3 days, 4 trajectories
    python experiments/pathway_sensitivity.py --full           # 1000 cells, 7 days, 8 trajectories

The sweep runs through the sweep machinery (``--executor slurm`` or ``dask``
for a cluster) and resumes; the settled network and the drug-free run are
kept in the output directory.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import yaml
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import plasticity
import plasticity.sweep

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--full", action="store_true",
                    help="1000 cells, 7 clinical days, 8 trajectories (the README numbers)")
parser.add_argument("--trajectories", type=int, default=None)
parser.add_argument("--days", type=float, default=None, help="clinical days after the dose")
parser.add_argument("--workers", type=int, default=2)
parser.add_argument("--executor", default="local", choices=("local", "slurm", "dask"))
parser.add_argument("-o", "--output", type=Path, default=Path("results/pathway_sensitivity"))
args = parser.parse_args()
args.output.mkdir(parents=True, exist_ok=True)
trajectories = args.trajectories or (8 if args.full else 4)
days = args.days or (7.0 if args.full else 3.0)
# the small network: the default's proportions at 2/5 of the size
size = [] if args.full else ["network.n_exc=320", "network.n_pv=60", "network.n_sst=20"]

# 1. The stressed network, settled for 120 days from the control network.
settled = args.output / "stressed.h5"
if not settled.exists():
    config = plasticity.load_config(ROOT / "configs/depressed_baseline.yaml", [
        *size, "timeline.end=120 day", "timeline.window_every=2 day", "name=stressed"])
    plasticity.run(config, settled)
state = plasticity.open_result(settled).final_state()

# 2. The drug-free reference from the same state.
arm = [*size, f"timeline.end={days:g} day"]
reference = args.output / "drug_free.h5"
if not reference.exists():
    config = plasticity.load_config(ROOT / "configs/single_infusion.yaml", [
        *arm, "pharmacology.protocol.infusions.0.dose=0 mg/kg", "name=drug_free"])
    plasticity.run(config, reference, initial_state=state)
free = plasticity.open_result(reference)

# 3. The Morris sweep of the drug arm over the pathway parameters.
PARAMETERS = {
    "signalling.surge_gain": {"low": 0.5, "high": 2.0},
    "signalling.block_gain": {"low": 0.5, "high": 2.0},
    "signalling.trkb_gain": {"low": 0.5, "high": 2.0},
    "signalling.surge_threshold": {"low": 0.01, "high": 0.04},
    "signalling.surge_adaptation": {"low": "3 h", "high": "12 h"},
    "signalling.mtor.decay": {"low": "20 min", "high": "60 min"},
    "signalling.protein.decay": {"low": "1.75 day", "high": "7 day"},
    "signalling.formation_gain": {"low": "206 /day", "high": "825 /day"},
    "structural.turnover.new_weight": {"low": 0.1, "high": 1.0},
}
base = plasticity.load_config(ROOT / "configs/single_infusion.yaml", [*arm,
                                                                       "name=sensitivity"])
raw = yaml.safe_load(plasticity.dump_config(base))
raw["sweep"] = {"initial_state": str(settled), "morris": {
    "trajectories": trajectories, "levels": 4, "parameters": PARAMETERS}}
directory = plasticity.sweep.run(raw, args.output / "sweep", executor=args.executor,
                                 workers=args.workers, wait=True)


# 4. Readouts and their sensitivities.
def at(result, key: str, hours: float) -> float:
    clinical = result.series("clinical")
    t = clinical["clinical_time_h"].values
    if key not in clinical and key.startswith("weight_"):  # new_weight 1: every synapse weighs 1
        key = "n_syn_" + key.removeprefix("weight_")
    return float(clinical[key].values[np.argmin(np.abs(t - hours))])


def formed(result, h0: float, h1: float) -> float:
    clinical = result.series("clinical")
    t = clinical["clinical_time_h"].values
    return float(clinical["formed_exc_to_exc"].values[(t > h0) & (t <= h1)].sum())


n0 = at(free, "n_syn_exc_to_exc", 0.0)
w0 = at(free, "weight_exc_to_exc", 0.0)
last = 24.0 * days - 1.0
READOUTS = {
    "gain at 24 h (% of synapses)": lambda r: 100 * (at(r, "n_syn_exc_to_exc", 24.0)
                                                     - at(free, "n_syn_exc_to_exc", 24.0)) / n0,
    f"gain at {days:g} d (% of synapses)": lambda r: 100 * (
        at(r, "n_syn_exc_to_exc", last) - at(free, "n_syn_exc_to_exc", last)) / n0,
    "formation, day 1 (x drug-free)": lambda r: formed(r, 0.0, 24.0) / formed(free, 0.0, 24.0),
    "summed-weight gain at 24 h (%)": lambda r: 100 * (at(r, "weight_exc_to_exc", 24.0)
                                                       - at(free, "weight_exc_to_exc", 24.0)) / w0,
}
tables = {}
for name, readout in READOUTS.items():
    table = plasticity.sweep.sensitivity(directory, readout)
    tables[name] = table
    print(f"\n{name}: Morris mu* (sigma), {trajectories} trajectories")
    for param, row in table.sort_values("mu_star", ascending=False).iterrows():
        print(f"  {param:34s} {row['mu_star']:8.3g}  ({row['sigma']:.3g})")
(args.output / "sensitivity.json").write_text(json.dumps(
    {name: t.to_dict(orient="index") for name, t in tables.items()}, indent=1))

fig = Figure(figsize=(10, 3.2), constrained_layout=True)
FigureCanvasAgg(fig)
axes = fig.subplots(1, len(tables), sharey=True)
names = list(PARAMETERS)
for ax, (name, table) in zip(axes, tables.items(), strict=True):
    mu = table.loc[names, "mu_star"].to_numpy()
    ax.barh(range(len(names)), mu / max(mu.max(), 1e-12), color="0.4")
    ax.set_title(name, fontsize=8)
    ax.set_xlabel("mu* / largest")
axes[0].set_yticks(range(len(names)), [n.split(".", 1)[1] for n in names], fontsize=7)
fig.suptitle(f"Morris screening of the pathway parameters ({trajectories} trajectories, "
             f"{'1000' if args.full else '400'} cells)", fontsize=9)
fig.savefig(args.output / "pathway_sensitivity.png", dpi=130)
print(f"figure: {args.output / 'pathway_sensitivity.png'}")

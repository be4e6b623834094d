"""
The clinical clock does not depend on how it samples (issue 12, validation b)
==============================================================================

The readouts of the drug-free baseline and of a 0.5 mg/kg infusion at 24 h
and 7 days, run on the clinical clock with the window spacing and the window
length each halved and doubled (``configs/baseline.yaml``; the infusion adds
the default protocol at clinical time 0, with dense windows from the dose to
6 h after it). Readouts: the E->E synapse count relative to the start, and
the synapses formed and eliminated (homeostatic and turnover) since the
start, at 24 h and at 7 days. Each is printed as its relative change
against the reference sampling (windows of 5 s every 6 h, every 30 min
around the dose); the criterion is less than 5 %.

Run::

    python experiments/clinical_clock_sampling.py -o results/clock_sampling

(about 15 minutes on 2 cores: 10 runs of 7 clinical days).
"""

import argparse
from pathlib import Path

import plasticity
from plasticity.studies.clinical_clock import clock_readouts

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--config", type=Path, default=ROOT / "configs/baseline.yaml")
parser.add_argument("--days", type=float, default=7.0)
parser.add_argument("--set", action="append", default=[], help="extra KEY=VALUE overrides")
parser.add_argument("-o", "--output", type=Path, default=Path("results/clock_sampling"))
args = parser.parse_args()
args.output.mkdir(parents=True, exist_ok=True)

#: sampling name -> overrides (reference: 5 s windows, 1 s warm-up, every 6 h / 30 min)
SAMPLINGS = {
    "reference": [],
    "spacing x0.5": ["timeline.window_every=3 h", "timeline.dense_every=15 min"],
    "spacing x2": ["timeline.window_every=12 h", "timeline.dense_every=1 h"],
    "length x0.5": ["simulation.duration=3 s"],
    "length x2": ["simulation.duration=9 s"],
}
CONDITIONS = {"baseline": [], "0.5 mg/kg": ["pharmacology.protocol={}"]}


table: dict[tuple[str, str], dict[str, float]] = {}
for cond, cond_set in CONDITIONS.items():
    for name, sampling in SAMPLINGS.items():
        config = plasticity.load_config(args.config, [
            f"timeline.end={args.days:g} day", *cond_set, *sampling, *args.set,
            f"name=clock_{cond.replace(' ', '').replace('/', '')}_{name.replace(' ', '')}"])
        path = args.output / f"{config.name}.h5"
        table[(cond, name)] = clock_readouts(
            plasticity.open_result(plasticity.run(config, path)), [24.0, 24.0 * args.days])
        print(f"{cond:10s} {name:13s} " + "  ".join(
            f"{k} {v:.4f}" for k, v in table[(cond, name)].items()), flush=True)

print("\nrelative change against the reference sampling (criterion: < 5 %)")
worst = 0.0
for cond in CONDITIONS:
    ref = table[(cond, "reference")]
    for name in SAMPLINGS:
        if name == "reference":
            continue
        diffs = {k: v / ref[k] - 1.0 for k, v in table[(cond, name)].items()}
        worst = max(worst, *(abs(d) for d in diffs.values()))
        print(f"{cond:10s} {name:13s} " + "  ".join(f"{k} {d:+.2%}" for k, d in diffs.items()))
print(f"largest change: {worst:.2%} ({'pass' if worst < 0.05 else 'FAIL'})")

"""
Benchmark: NEST's structural-plasticity example, NEST against plasticity
========================================================================

Times the same network in both simulators in one run, one after the other
on the same machine, each on one thread: NEST 3.10 running
``experiments/reference/nest_structural_plasticity.py`` (NEST's example as
shipped) and plasticity running ``configs/nest_structural_plasticity.yaml``.
NEST is not a dependency of plasticity: give the Python interpreter of an
environment that has ``nest-simulator`` installed (see tests/data/README.md).

plasticity's time is split into the one-off build (compilation, cached per
network structure) and the run; the ratio that matters for sweeps is the
run time, since one build serves every parameter value and seed.

Run::

    python experiments/benchmarks/structural_plasticity_vs_nest.py \\
        --nest-python /work/nestenv/bin/python --t-sim 50
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import plasticity

ROOT = Path(__file__).resolve().parents[2]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--nest-python",
                    default=os.environ.get("NEST_PYTHON", "/work/nestenv/bin/python"),
                    help="interpreter with nest-simulator installed")
parser.add_argument("--t-sim", type=float, default=50.0, help="simulated seconds")
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()

with tempfile.TemporaryDirectory() as tmp:
    # -----------------------------------------------------------------------
    # NEST: the reference script, timed as a whole process (its own timing of
    # Simulate is printed too).
    # -----------------------------------------------------------------------
    nest_out = Path(tmp) / "nest.npz"
    t0 = time.perf_counter()
    done = subprocess.run(
        [args.nest_python, str(ROOT / "experiments/reference/nest_structural_plasticity.py"),
         "--seed", str(args.seed), "--t-sim", str(args.t_sim), "-o", str(nest_out)],
        capture_output=True, text=True,
    )
    nest_wall = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"NEST run failed (is nest-simulator installed for {args.nest_python}?):\n"
                 f"{done.stderr[-2000:]}")
    with np.load(nest_out) as data:
        nest_sim = float(np.sum(data["wall_s"])) if "wall_s" in data else nest_wall

    # -----------------------------------------------------------------------
    # plasticity: build (cached after the first time) and run.
    # -----------------------------------------------------------------------
    config = plasticity.load_config(
        ROOT / "configs/nest_structural_plasticity.yaml",
        [f"simulation.duration={args.t_sim} s", f"seed={args.seed}", "simulation.threads=1"],
    )
    result = plasticity.open_result(plasticity.run(config, Path(tmp) / "plasticity.h5"))
    prov = result.provenance

print(f"NEST 3.10 example, {args.t_sim:g} s simulated, 1 thread each")
print(f"  NEST        simulate {nest_sim:8.1f} s  ({nest_sim / args.t_sim:.3f} s per sim-s; "
      f"process {nest_wall:.1f} s)")
print(f"  plasticity  run      {prov['run_s']:8.1f} s  ({prov['run_s'] / args.t_sim:.3f} s per "
      f"sim-s; build {prov['build_s']:.1f} s, 0 when cached)")
print(f"  ratio NEST / plasticity (run): {nest_sim / prov['run_s']:.2f}x")

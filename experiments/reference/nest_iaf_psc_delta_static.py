"""
NEST reference: the static network of Gallinaro & Rotter (2018) in NEST
=======================================================================

The network of ``configs/gallinaro_rotter_2018.yaml`` with static E->E
connectivity (probability 0.1) and no plasticity, the run that sets the
homeostatic set point: 400 E / 100 I ``iaf_psc_delta`` cells (C_m 250 pF,
tau_m 20 ms, E_L 0 mV, threshold 20 mV, reset 10 mV, 2 ms refractory),
pairwise Bernoulli connectivity 0.1 without autapses, J = 0.1 mV, g = 12,
1 ms delays, one 15 kHz Poisson generator onto every cell at 0.1 mV.
Run with NEST 3.10 for several seeds; the mean rates go to
``tests/data/nest_gr_static.npz``, against which
``tests/test_gallinaro_rotter.py`` checks plasticity's ``iaf_psc_delta``.

Run (NEST is not a dependency of plasticity; see tests/data/README.md)::

    /work/nestenv/bin/python experiments/reference/nest_iaf_psc_delta_static.py \\
        --seeds 5 -o tests/data/nest_gr_static.npz
"""

import argparse
import time

import nest
import numpy as np

parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--seeds", type=int, default=5)
parser.add_argument("--t-sim", type=float, default=10.0, help="simulated seconds")
parser.add_argument("-o", "--output", default="tests/data/nest_gr_static.npz")
args = parser.parse_args()

CELL = {"C_m": 250.0, "tau_m": 20.0, "E_L": 0.0, "V_th": 20.0, "V_reset": 10.0,
        "t_ref": 2.0, "V_m": 0.0}
rates_e, rates_i, walls = [], [], []
for seed in range(1, args.seeds + 1):
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": 0.1, "rng_seed": seed, "local_num_threads": 1})
    exc = nest.Create("iaf_psc_delta", 400, params=CELL)
    inh = nest.Create("iaf_psc_delta", 100, params=CELL)
    drive = nest.Create("poisson_generator", params={"rate": 15000.0})
    nest.Connect(drive, exc + inh, syn_spec={"weight": 0.1, "delay": 1.0})
    rule = {"rule": "pairwise_bernoulli", "p": 0.1, "allow_autapses": False}
    nest.Connect(exc, exc + inh, rule, {"weight": 0.1, "delay": 1.0})
    nest.Connect(inh, exc + inh, rule, {"weight": -1.2, "delay": 1.0})
    recorder = nest.Create("spike_recorder")
    nest.Connect(exc + inh, recorder)
    t0 = time.perf_counter()
    nest.Simulate(args.t_sim * 1000.0)
    walls.append(time.perf_counter() - t0)
    senders = recorder.get("events")["senders"]
    n_exc = int(np.isin(senders, np.array(exc.tolist())).sum())
    rates_e.append(n_exc / 400 / args.t_sim)
    rates_i.append((len(senders) - n_exc) / 100 / args.t_sim)
    print(f"seed {seed}: E {rates_e[-1]:.2f} Hz, I {rates_i[-1]:.2f} Hz ({walls[-1]:.1f} s)")

np.savez(args.output, rate_e=np.array(rates_e), rate_i=np.array(rates_i),
         wall_s=np.array(walls), t_sim_s=args.t_sim, nest_version=nest.__version__)
print(f"wrote {args.output}")

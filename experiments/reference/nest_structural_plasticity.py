"""Reference run of NEST's own structural-plasticity example, with recording.

This script rebuilds, in plain top-to-bottom form, the network of the example
that ships with NEST 3.10.0::

    nest/doc/examples/pynest/structural_plasticity.py

(inside the installed ``nest-simulator==3.10.0`` wheel; upstream it is
``pynest/examples/structural_plasticity.py``). It exists only to produce
reference data against which the Brian2 implementation in ``plasticity`` can
be cross-checked. It needs NEST, which is *not* a dependency of this project;
run it with a separate interpreter that has ``nest-simulator`` installed (see
``tests/data/README.md``).

The network
-----------
* 800 excitatory (E) and 200 inhibitory (I) ``iaf_psc_alpha`` neurons with
  **no** connections at the start.
* One ``poisson_generator`` at 10 kHz, connected ``all_to_all`` to every
  neuron (each target receives its own independent train) with weight 6.2 pA
  and delay 1 ms.
* Two structural-plasticity synapse types, both ``static_synapse`` with delay
  1 ms: ``Axon_ex -> Den_ex`` at +585 pA and ``Axon_in -> Den_in`` at -585 pA.
* Gaussian growth curves (``continuous: False``, ``eta = 0``):

  ========  ===========================  ===============  =====
  neuron    elements                     nu (elem./ms)    eps
  ========  ===========================  ===============  =====
  E         Den_ex, Den_in, Axon_ex      1e-4             0.05
  I         Den_ex                       4e-4             0.2
  I         Den_in, Axon_in              1e-4             0.2
  ========  ===========================  ===============  =====

  With NEST's calcium defaults (tau_Ca = 10 s, beta_Ca = 0.001) the set
  points correspond to 5 Hz (E) and 20 Hz (I).
* Resolution 0.1 ms, 200 s simulated, structural update every 10 000 ms,
  recording every 1000 ms.

Two quirks of the shipped example, reproduced on purpose
--------------------------------------------------------
1. The example defines ``model_params`` (tau_m 10 ms, tau_syn 0.5 ms,
   E_L -65 mV, ...) and ``neuron_model = "iaf_psc_exp"`` but never uses either:
   the neurons are created as ``iaf_psc_alpha`` with NEST's **default**
   parameters (tau_m 10 ms, C_m 250 pF, tau_syn 2 ms, E_L -70 mV,
   V_th -55 mV, V_reset -70 mV, t_ref 2 ms). We do the same.
2. In NEST 3.x ``structural_plasticity_update_interval`` is in **ms**, and the
   example sets it to 10 000 ms, i.e. connectivity changes only every 10 s (in
   NEST 2.x the same number 1000 meant 1000 steps = 100 ms). With updates this
   rare the network does not settle at its set points within 200 s; the
   ``--update-interval`` option lets you run other values.

What is recorded
----------------
At the end of every ``--record-interval`` the script stores

* ``time``: simulated time in s;
* ``ca_e``, ``ca_i``: population mean of the neurons' ``Ca`` status value.
  Note that NEST reports the calcium value as of each neuron's last spike or
  last structural update (it is not decayed to "now");
* ``conn_e``, ``conn_i``: total connections made by E and by I neurons, i.e.
  the sum of ``z_connected`` of ``Axon_ex`` over E and of ``Axon_in`` over I;
* ``rate_e``, ``rate_i``: population mean firing rate (Hz) over the interval
  just ended, from a spike recorder;
* ``z_e_<element>``, ``z_i_<element>``: population mean number of synaptic
  elements ``z`` (a real number) of each element type;
* wall-clock and CPU time of the simulation loop.

Example
-------
::

    /work/nestenv/bin/python experiments/reference/nest_structural_plasticity.py \\
        --seed 1 --t-sim 200 --update-interval 10000 -o shipped_seed1.npz
"""

import argparse
import json
import time

import nest
import numpy as np

###############################################################################
# Parameters
# ----------
# All numbers below are those of the shipped example. They are module-level
# constants so that ``make_reference_data.py`` can store them alongside the
# data.

N_E = 800  # excitatory neurons
N_I = 200  # inhibitory neurons
RESOLUTION = 0.1  # ms
BG_RATE = 10000.0  # Hz, rate of the single Poisson generator
W_EXT = 6.2  # pA, weight of the Poisson input
W_EX = 585.0  # pA, weight of a structural excitatory synapse
W_IN = -585.0  # pA, weight of a structural inhibitory synapse
DELAY = 1.0  # ms, for every connection
EPS_E = 0.05  # calcium set point of E neurons (5 Hz)
EPS_I = 0.2  # calcium set point of I neurons (20 Hz)


def gaussian_growth(nu, eps):
    """Return a NEST gaussian growth-curve dictionary as used by the example.

    Parameters
    ----------
    nu : float
        Growth rate in elements per ms.
    eps : float
        Calcium set point; the curve is zero at ``eta = 0`` and at ``eps``.

    Returns
    -------
    dict
        Synaptic-element specification for ``synaptic_elements``.
    """
    return {
        "growth_curve": "gaussian",
        "growth_rate": nu,
        "continuous": False,
        "eta": 0.0,
        "eps": eps,
    }


# Elements of excitatory neurons: all grow at 1e-4 elements/ms towards 0.05.
ELEMENTS_E = {
    "Den_ex": gaussian_growth(1e-4, EPS_E),
    "Den_in": gaussian_growth(1e-4, EPS_E),
    "Axon_ex": gaussian_growth(1e-4, EPS_E),
}

# Elements of inhibitory neurons: excitatory dendrites grow four times faster.
ELEMENTS_I = {
    "Den_ex": gaussian_growth(4e-4, EPS_I),
    "Den_in": gaussian_growth(1e-4, EPS_I),
    "Axon_in": gaussian_growth(1e-4, EPS_I),
}


def parameters(update_interval, t_sim, record_interval):
    """Collect every model and run parameter in one JSON-serialisable dict.

    Parameters
    ----------
    update_interval : float
        Structural-plasticity update interval in ms.
    t_sim : float
        Simulated time in s.
    record_interval : float
        Recording interval in ms.

    Returns
    -------
    dict
        The parameters, including NEST's defaults of ``iaf_psc_alpha`` as
        actually used (read from the kernel, so it must be called after
        ``import nest``).
    """
    neuron_defaults = nest.GetDefaults("iaf_psc_alpha")
    used = ["C_m", "tau_m", "tau_syn_ex", "tau_syn_in", "E_L", "V_th", "V_reset",
            "t_ref", "I_e", "V_m", "tau_Ca", "beta_Ca"]
    return {
        "nest_version": nest.__version__,
        "source_example": "nest/doc/examples/pynest/structural_plasticity.py (NEST 3.10.0 wheel)",
        "neuron_model": "iaf_psc_alpha",
        "neuron_params_nest_defaults": {k: float(neuron_defaults[k]) for k in used},
        "N_E": N_E,
        "N_I": N_I,
        "resolution_ms": RESOLUTION,
        "bg_rate_hz": BG_RATE,
        "w_ext_pA": W_EXT,
        "w_ex_pA": W_EX,
        "w_in_pA": W_IN,
        "delay_ms": DELAY,
        "synaptic_elements_E": ELEMENTS_E,
        "synaptic_elements_I": ELEMENTS_I,
        "sp_synapses": {
            "synapse_ex": ["Axon_ex", "Den_ex", "static_synapse", W_EX],
            "synapse_in": ["Axon_in", "Den_in", "static_synapse", W_IN],
        },
        "allow_autapses": True,
        "allow_multapses": True,
        "update_interval_ms": update_interval,
        "t_sim_s": t_sim,
        "record_interval_ms": record_interval,
        "local_num_threads": 1,
    }


def build_network(seed, update_interval):
    """Reset NEST and build the example's network.

    Parameters
    ----------
    seed : int
        Seed of NEST's random number generator (``rng_seed``).
    update_interval : float
        Structural-plasticity update interval in ms.

    Returns
    -------
    tuple of NodeCollection
        The excitatory population, the inhibitory population and the spike
        recorder attached to all neurons.
    """
    ###########################################################################
    # We start from a clean kernel, single-threaded, with the example's
    # resolution. The seed is the only thing that differs between runs.
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.SetKernelStatus({
        "rng_seed": seed,
        "local_num_threads": 1,
        "resolution": RESOLUTION,
        "structural_plasticity_update_interval": update_interval,
    })

    ###########################################################################
    # Two synapse models for the connections that structural plasticity will
    # create. A new excitatory synapse joins a free ``Axon_ex`` of one neuron
    # to a free ``Den_ex`` of another (or the same: autapses and multapses are
    # allowed by default); likewise for inhibition.
    nest.CopyModel("static_synapse", "synapse_ex", {"weight": W_EX, "delay": DELAY})
    nest.CopyModel("static_synapse", "synapse_in", {"weight": W_IN, "delay": DELAY})
    nest.SetKernelStatus({
        "structural_plasticity_synapses": {
            "synapse_ex": {
                "synapse_model": "synapse_ex",
                "pre_synaptic_element": "Axon_ex",
                "post_synaptic_element": "Den_ex",
            },
            "synapse_in": {
                "synapse_model": "synapse_in",
                "pre_synaptic_element": "Axon_in",
                "post_synaptic_element": "Den_in",
            },
        }
    })

    ###########################################################################
    # The neurons: NEST's default ``iaf_psc_alpha`` (see quirk 1 in the module
    # docstring), each with its set of synaptic elements. Every element starts
    # with z = 0, so there is no connection at all at t = 0.
    pop_e = nest.Create("iaf_psc_alpha", N_E, {"synaptic_elements": ELEMENTS_E})
    pop_i = nest.Create("iaf_psc_alpha", N_I, {"synaptic_elements": ELEMENTS_I})

    ###########################################################################
    # External drive: one Poisson generator, which sends an independent 10 kHz
    # train to each of its targets.
    noise = nest.Create("poisson_generator", params={"rate": BG_RATE})
    syn_ext = {"weight": W_EXT, "delay": DELAY}
    nest.Connect(noise, pop_e, "all_to_all", syn_ext)
    nest.Connect(noise, pop_i, "all_to_all", syn_ext)

    ###########################################################################
    # A spike recorder, emptied after each recording interval, gives rates.
    recorder = nest.Create("spike_recorder")
    nest.Connect(pop_e + pop_i, recorder)
    return pop_e, pop_i, recorder


def mean_elements(pop, names):
    """Mean ``z`` per element type and total ``z_connected`` of the axon.

    Parameters
    ----------
    pop : NodeCollection
        One population.
    names : sequence of str
        Element names of that population; the one starting with ``Axon`` is
        the one whose ``z_connected`` counts the population's connections.

    Returns
    -------
    z_mean : dict of str to float
        Population mean of ``z`` for each element.
    n_conn : int
        Sum over the population of the axon's ``z_connected``.
    """
    elements = pop.get("synaptic_elements")
    z_mean = {name: float(np.mean([el[name]["z"] for el in elements])) for name in names}
    axon = next(name for name in names if name.startswith("Axon"))
    n_conn = int(sum(el[axon]["z_connected"] for el in elements))
    return z_mean, n_conn


def run(seed, t_sim, update_interval, record_interval):
    """Build and simulate the network, recording every ``record_interval``.

    Parameters
    ----------
    seed : int
        NEST ``rng_seed``.
    t_sim : float
        Simulated time in s.
    update_interval : float
        Structural-plasticity update interval in ms.
    record_interval : float
        Recording interval in ms.

    Returns
    -------
    dict of str to numpy.ndarray or float
        One array per recorded quantity (length = number of records), plus
        ``wall_s`` and ``cpu_s`` of the simulation loop.
    """
    pop_e, pop_i, recorder = build_network(seed, update_interval)
    first_i = pop_i[0].global_id  # E ids are below this, I ids from it on

    ###########################################################################
    # Structural plasticity is switched on only now, after the network is
    # built, exactly as the example does.
    nest.EnableStructuralPlasticity()

    n_records = int(round(t_sim * 1000.0 / record_interval))
    out = {key: [] for key in ("time", "ca_e", "ca_i", "conn_e", "conn_i", "rate_e", "rate_i")}
    for name in ELEMENTS_E:
        out[f"z_e_{name}"] = []
    for name in ELEMENTS_I:
        out[f"z_i_{name}"] = []

    ###########################################################################
    # The main loop: simulate one recording interval, then read the state.
    # Only the ``Simulate`` calls are timed.
    wall = 0.0
    cpu = 0.0
    for _ in range(n_records):
        t0, c0 = time.perf_counter(), time.process_time()
        nest.Simulate(record_interval)
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0

        out["time"].append(nest.biological_time / 1000.0)

        # Calcium: NEST's ``Ca`` status of each neuron, averaged.
        out["ca_e"].append(float(np.mean(pop_e.get("Ca"))))
        out["ca_i"].append(float(np.mean(pop_i.get("Ca"))))

        # Synaptic elements and connection counts.
        z_e, conn_e = mean_elements(pop_e, list(ELEMENTS_E))
        z_i, conn_i = mean_elements(pop_i, list(ELEMENTS_I))
        out["conn_e"].append(conn_e)
        out["conn_i"].append(conn_i)
        for name, value in z_e.items():
            out[f"z_e_{name}"].append(value)
        for name, value in z_i.items():
            out[f"z_i_{name}"].append(value)

        # Firing rates over the interval just simulated, then empty the recorder.
        senders = recorder.get("events")["senders"]
        n_spk_i = int(np.count_nonzero(senders >= first_i))
        n_spk_e = senders.size - n_spk_i
        seconds = record_interval / 1000.0
        out["rate_e"].append(n_spk_e / (N_E * seconds))
        out["rate_i"].append(n_spk_i / (N_I * seconds))
        recorder.n_events = 0

    result = {key: np.asarray(values) for key, values in out.items()}
    result["wall_s"] = wall
    result["cpu_s"] = cpu
    return result


def main(argv=None):
    """Parse the command line, run one simulation and save an ``.npz`` file.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="NEST rng_seed (default 1)")
    parser.add_argument("--t-sim", type=float, default=200.0,
                        help="simulated time in s (default 200, as in the example)")
    parser.add_argument("--update-interval", type=float, default=10000.0,
                        help="structural-plasticity update interval in ms "
                             "(default 10000, as in the example)")
    parser.add_argument("--record-interval", type=float, default=1000.0,
                        help="recording interval in ms (default 1000)")
    parser.add_argument("-o", "--output", required=True, help="output .npz file")
    args = parser.parse_args(argv)

    result = run(args.seed, args.t_sim, args.update_interval, args.record_interval)
    params = parameters(args.update_interval, args.t_sim, args.record_interval)
    np.savez_compressed(args.output, seed=args.seed, nest_version=nest.__version__,
                        params_json=json.dumps(params), **result)

    ###########################################################################
    # A one-line summary of the end state.
    print(f"seed {args.seed}: t={result['time'][-1]:.0f} s  "
          f"Ca E {result['ca_e'][-1]:.4f} I {result['ca_i'][-1]:.4f}  "
          f"conns E {result['conn_e'][-1]} I {result['conn_i'][-1]}  "
          f"rate E {result['rate_e'][-1]:.2f} I {result['rate_i'][-1]:.2f} Hz  "
          f"wall {result['wall_s']:.1f} s  cpu {result['cpu_s']:.1f} s")


if __name__ == "__main__":
    main()

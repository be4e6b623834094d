"""Structural plasticity in compiled code: synapses form and disappear during a run.

Brian2 cannot add or remove synapses during a run (brian2 issue 166), so
each plastic pathway is a fixed **pool of candidate pairs** (all pairs of
its two populations, or a random ``candidate_density`` of them, drawn once
from the run's seed), and every candidate holds ``nsyn``, the number of
synapses it currently stands for (0 = absent; more than 1 = a multapse, as
NEST allows). Spikes of plastic pathways are delivered by the engine, not
by Brian2's spike queue: per source cell it keeps the list of candidates
that hold synapses (rebuilt after every update) and a ring buffer per
target variable over the delay, so a spike costs work over the synapses
that exist and an empty candidate costs nothing per spike or step (the
NMDA gating of plastic pathways is event-driven, NEST ``iaf_bw_2001``).

The rule is NEST's homeostatic structural plasticity (Butz & van Ooyen
2013): each neuron has a calcium sensor and synaptic elements growing by a
growth curve (:mod:`plasticity.model.growth`), integrated with the neuron
state every ``growth_dt``. A run_regularly operation calls one C++ function
every step (in the synapses slot, to deliver spikes); every
``update_interval`` it first runs the update (``sp_engine.cpp``, NEST's exact update on the
candidate pools, checked against :mod:`plasticity.model.rewiring_oracle`),
which deletes excess synapses, pairs vacant elements at random and records
synapse counts and the numbers formed and eliminated.

Memory: 12 bytes per candidate in Brian2 arrays (pre, post, nsyn) plus 24
bytes of engine tables (pair lookup, row indices), about 36 B per candidate
(the delivery lists add 8 B per existing synapse);
all-pairs E->E for 10,000 pyramidal cells (1e8 candidates) takes about
3.6 GB, so a 24 GiB machine fits all-pairs pools up to about 25,000 cells,
more with ``candidate_density < 1``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import brian2 as b2
import numpy as np

from plasticity.config import ELEMENTS, POPULATIONS, Config
from plasticity.model.growth import gaussian_params, growth_expression

__all__ = [
    "ENGINE_SOURCE",
    "WINDOW_READOUTS",
    "Channel",
    "Engine",
    "build_engine",
    "completed_state",
    "element_equations",
    "element_values",
    "engine_state",
    "maturity_efficacy",
    "pool_order",
    "population_elements",
    "read_snapshots",
    "scaled_populations",
    "state_layout",
    "weights_follow_maturity",
    "write_state",
]

ENGINE_SOURCE = Path(__file__).with_name("sp_engine.cpp")


def population_elements(config: Config) -> dict[str, list[str]]:
    """Elements each population carries (only those used by plastic pathways)."""
    sp = config.structural
    if not sp.enabled:
        return {}
    used = sp.element_pathways()
    return {
        pop: [el for el in ELEMENTS if (pop, el) in used]
        for pop in POPULATIONS
        if any((pop, el) in used for el in ELEMENTS)
    }


def element_equations(config: Config, pop: str, nmda: tuple[str, str] | None = None,
                      ) -> tuple[list[str], set[str], list[str]]:
    """Equations, parameter names and step code of ``pop``'s sensor and elements.

    Parameters
    ----------
    config : Config
        The config.
    pop : str
        The population.
    nmda : (str, str), optional
        Suffix and voltage variable of the compartment that receives the
        population's NMDA synapses (``("d", "v_d")`` for the pyramidal
        dendrite); without it the sensor counts spikes only.

    Returns
    -------
    lines : list of str
        Calcium sensor, one growth equation and one connected count per
        element; with ``nmda`` also the sensor's NMDA-calcium input and the
        window readouts (:data:`WINDOW_READOUTS`).
    params : set of str
        Shared parameters (run-time inputs), with units in :func:`param_units`.
    step : list of str
        Statements run every ``growth_dt`` after the state update: forward
        Euler of the growth curve with the decayed calcium (as NEST
        integrates the gaussian and sigmoid curves, there with step dt),
        elements never below 0.
    """
    sp = config.structural
    params = {"tau_ca", "beta_ca", "w_ca_spike"}
    if nmda is None:
        lines = ["dCa/dt = -Ca/tau_ca : 1"]
    else:
        s, v = nmda
        # the sensor (SensorConfig): w_ca_spike*beta_ca per spike (reset code) plus
        # w_ca_nmda*beta_ca per nmda_charge_per_spike of Ca2+ through NMDA receptors
        lines = [
            "dCa/dt = -Ca/tau_ca + w_ca_nmda*beta_ca*I_ca_nmda/q_ca_spike : 1",
            f"I_ca_nmda = pf_nmda * clip(-I_nmda_{s}, 0*amp, inf*amp) : amp",
            # window readouts, integrated from t_sense (the end of the warm-up) on
            "sensing = int(t >= t_sense) : 1",
            "dq_ca_nmda/dt = sensing * I_ca_nmda : coulomb",
            f"dq_ampa/dt = sensing * clip(-g_ampa_{s}*({v} - E_exc), 0*amp, inf*amp) : coulomb",
            f"dt_ket_block/dt = sensing * bket_{s} : second",
        ]
        params |= {"w_ca_nmda", "pf_nmda", "q_ca_spike", "t_sense"}
    if pop in scaled_populations(config):
        lines.append("ampa_scale : 1  # homeostatic AMPA scaling (config section 'scaling')")
    step = []
    for el in population_elements(config).get(pop, []):
        cfg = sp.elements[pop][el]
        lines += [f"z_{el} : 1", f"conn_{el} : 1"]
        params |= {f"nu_{el}", f"z0_{el}"}
        params |= {
            "linear": {f"eps_{el}"},
            "gaussian": {f"mu_g_{el}", f"zeta_g_{el}"},
            "sigmoid": {f"eps_{el}", f"psi_{el}"},
        }[cfg.curve]
        growth = growth_expression(cfg.curve, "Ca", "_" + el)
        h = float(sp.growth_dt)
        step.append(f"z_{el} = clip(z_{el} + {h!r}*second * nu_{el} * {growth}, 0, inf)")
    return lines, params, step


#: Per-cell window readouts (neuron variable -> key in RunData.cell_means, SI unit,
#: meaning): means over the run after the warm-up, on populations whose sensor sees
#: NMDA receptors.
WINDOW_READOUTS = {
    "q_ca_nmda": ("ca_nmda_current", "A", "Ca2+ current through NMDA receptors"),
    "q_ampa": ("ampa_current", "A", "inward AMPA current on the NMDA compartment"),
    "t_ket_block": ("ket_block", "1", "fraction of NMDA receptors blocked by ketamine"),
}


def param_units(name: str) -> str:
    """Brian2 unit of a structural parameter."""
    if name in ("tau_ca", "t_sense"):
        return "second"
    if name == "q_ca_spike":
        return "coulomb"
    if name.startswith("nu_"):
        return "hertz"
    return "1"


def element_values(config: Config, pop: str, growth_scale: float = 1.0) -> dict[str, Any]:
    """Run-time values of ``pop``'s structural parameters.

    ``growth_scale`` is clinical time per network time (a compressed
    timeline's compression): growth rates are given in clinical time and
    run that much faster in network time. The calcium sensor is not
    scaled: it measures the network's own activity, in network time.
    """
    sp = config.structural
    w_spike, w_nmda = sp.sensor.weights()
    values: dict[str, Any] = {
        "tau_ca": sp.tau_ca, "beta_ca": sp.beta_ca, "w_ca_spike": w_spike, "w_ca_nmda": w_nmda,
        "pf_nmda": sp.sensor.nmda_ca_fraction, "q_ca_spike": sp.sensor.nmda_charge_per_spike,
        "t_sense": config.simulation.warmup,
    }
    for el in population_elements(config).get(pop, []):
        cfg = sp.elements[pop][el]
        values[f"nu_{el}"] = cfg.growth_rate * growth_scale
        values[f"z0_{el}"] = cfg.z0
        values[f"eps_{el}"] = cfg.eps
        values[f"psi_{el}"] = cfg.psi
        if cfg.curve == "gaussian":
            xi, zeta = gaussian_params(cfg.eta, cfg.eps)
            values[f"mu_g_{el}"], values[f"zeta_g_{el}"] = xi, zeta
    return values


@dataclass
class Engine:
    """Brian2 objects of the structural-plasticity engine.

    ``snapshot_files`` maps each plastic pathway to the file (in the run's
    results directory) to which the engine appends edge-list snapshots; read
    them with :func:`read_snapshots`.
    """

    stats: b2.NeuronGroup
    monitor: b2.StateMonitor
    snapshot_files: dict[str, str] = field(default_factory=dict)
    objects: list[Any] = field(default_factory=list)
    pools: dict[str, b2.Synapses] = field(default_factory=dict)
    layout: list[str] = field(default_factory=list)  # keys of the state, in file order


def read_snapshots(path: Path) -> tuple[np.ndarray, list[np.ndarray]]:
    """Times (ms) and edge lists (n x 3: pre, post, nsyn) written by the engine."""
    raw = path.read_bytes() if path.exists() else b""
    times, edges, pos = [], [], 0
    while pos < len(raw):
        t, count = struct.unpack_from("<dq", raw, pos)
        pos += 16
        block = np.frombuffer(raw, dtype="<i4", count=3 * count, offset=pos)
        pos += 12 * count
        times.append(t)
        edges.append(block.reshape(count, 3).astype(np.int64))
    return np.array(times), edges


STATE_FILE = "sp_initial_state.bin"


@dataclass
class Channel:
    """One target variable a spike of a pathway changes.

    The change is ``weight * factor / divisor`` (times ``k0 + k1 s_nmda`` of
    the source cell at the spike with ``nmda_jump``; only into cells that
    are not refractory with ``gate``). Static pathways become Brian2
    ``on_pre`` code (:meth:`on_pre`); plastic ones are delivered by the engine
    over their actual synapses, times each synapse count ``nsyn``.
    """

    target: str
    weight: str
    divisor: str | None = None
    factor: float = 1.0
    nmda_jump: bool = False
    gate: bool = False

    def on_pre(self) -> str:
        """Brian2 ``on_pre`` statement of a static pathway."""
        code = f"{self.target}_post += {self.weight}"
        if self.factor != 1.0:
            code += f" * {self.factor!r}"
        if self.divisor:
            code += f" / {self.divisor}_post"
        if self.nmda_jump:
            code += " * nmda_jump_pre"
        if self.gate:
            code += " * int(not_refractory_post)"
        return code


def _pathway_kinds(config: Config) -> dict[str, list[str]]:
    """Plastic pathways by synapse type (excitatory, inhibitory), in config order."""
    pathways = config.structural.pathways
    return {"exc": [p for p in pathways if p.startswith("exc_")],
            "inh": [p for p in pathways if not p.startswith("exc_")]}


def pool_order(config: Config) -> list[str]:
    """Plastic pathways in the engine's pool order (excitatory ones first)."""
    kinds = _pathway_kinds(config)
    return kinds["exc"] + kinds["inh"]


def scaled_populations(config: Config) -> list[str]:
    """Populations whose incoming AMPA weights of the plastic pathway are scaled per cell."""
    if not (config.scaling.enabled and config.structural.enabled):
        return []
    return [config.structural.pathways[0].partition("_to_")[2]]


def weights_follow_maturity(config: Config) -> bool:
    """True when plastic synapses carry a per-candidate weight (``turnover.new_weight < 1``)."""
    sp = config.structural
    return sp.enabled and sp.turnover.weights_follow_maturity


def state_layout(config: Config) -> list[str]:
    """Keys of the structural state in the order of the engine's state file.

    ``nsyn/<pathway>`` (per candidate), ``z_<element>/<population>`` and
    ``Ca/<population>`` (per neuron); with weights that follow maturity,
    ``efficacy/<pathway>`` (per candidate: the summed weight of its synapses in
    units of a stable synapse); with homeostatic scaling, ``ampa_scale/<population>``
    (per neuron) last.
    """
    elements = population_elements(config)
    layout = ([f"nsyn/{p}" for p in pool_order(config)]
              + [f"z_{el}/{pop}" for pop, els in elements.items() for el in els]
              + [f"Ca/{pop}" for pop in elements])
    if weights_follow_maturity(config):
        layout += [f"efficacy/{p}" for p in pool_order(config)]
    layout += [f"ampa_scale/{pop}" for pop in scaled_populations(config)]
    return layout


def maturity_efficacy(new_weight: float, nsyn: np.ndarray, nnew: np.ndarray) -> np.ndarray:
    """Summed weight per candidate, in stable synapses: ``nsyn - (1 - new_weight) nnew``."""
    nsyn = np.asarray(nsyn, dtype=float)
    return nsyn - (1.0 - new_weight) * np.minimum(np.asarray(nnew, dtype=float), nsyn)


def completed_state(config: Config, state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``state`` with the per-candidate and per-cell entries the config needs and it lacks.

    A state written by a run of another config (a settled network without
    these mechanisms) gets:

    - ``efficacy/<pathway>`` (weights that follow maturity): from the counts of
      new synapses (``nnew/<pathway>``) where the state has them, ``nsyn - (1 -
      new_weight) nnew``; else the steady-state expectation, ``nsyn`` times
      :meth:`~plasticity.config.TurnoverConfig.mean_weight_factor`;
    - ``ampa_scale/<population>`` (homeostatic scaling): 1, no scaling yet.
    """
    out = dict(state)
    if weights_follow_maturity(config):
        turnover = config.structural.turnover
        for pathway in pool_order(config):
            key = f"efficacy/{pathway}"
            nsyn = state.get(f"nsyn/{pathway}")
            if key in state or nsyn is None:
                continue
            nnew = state.get(f"nnew/{pathway}")
            if nnew is not None and len(nnew) == len(nsyn):
                out[key] = maturity_efficacy(turnover.new_weight, nsyn, nnew)
            else:
                out[key] = np.asarray(nsyn, dtype=float) * turnover.mean_weight_factor()
    for pop in scaled_populations(config):
        key = f"ampa_scale/{pop}"
        calcium = state.get(f"Ca/{pop}")
        if key not in state and calcium is not None:
            out[key] = np.ones(len(calcium))
    return out


def write_state(path: Path, layout: list[str], state: dict[str, np.ndarray]) -> None:
    """Write ``state`` in the order ``layout`` (:func:`state_layout`), for the engine.

    Raises
    ------
    KeyError
        If ``state`` lacks a key of the layout.
    """
    with open(path, "wb") as f:
        for key in layout:
            values = np.ascontiguousarray(
                state[key], dtype="<i4" if key.startswith("nsyn/") else "<f8")
            f.write(struct.pack("<q", values.size))
            f.write(values.tobytes())


def engine_state(engine: Engine, groups: dict) -> dict[str, np.ndarray]:
    """The structural state after a run, read from the Brian2 objects."""
    state = {}
    for key in engine.layout:
        name, _, owner = key.partition("/")
        source = engine.pools[owner] if name in ("nsyn", "efficacy") else groups[owner]
        state[key] = np.array(getattr(source, name)[:])
    return state


def _cpp_bool(value: bool) -> str:
    return "true" if value else "false"


def _delivery_code(config: Config, groups: dict, pools: dict,
                   channels: dict[str, list[Channel]]) -> list[str]:
    """Glue lines setting up the spike delivery of every plastic pathway."""
    device = b2.get_device()

    def arr(var: Any) -> str:
        return "brian::" + device.get_array_name(var)

    dt = float(config.simulation.dt)
    lines = [f"        deliveries.resize({len(channels)});"]
    for d, pathway in enumerate(pool_order(config)):
        src, _, tgt = pathway.partition("_to_")
        pool, pre, post = pools[pathway], groups[src], groups[tgt]
        delay_steps = round(float(config.synapses.pathway(pathway).delay) / dt)
        v = f"deliveries[{d}]"
        lines += [
            f"        {v}.pool = &pools[{d}];",
            f"        {v}.spikespace = {arr(pre.variables['_spikespace'])};",
            f"        {v}.n_pre = {len(pre)};",
            f"        {v}.slots = {delay_steps + 1};",
        ]
        for c in channels[pathway]:
            divisor = arr(post.variables[c.divisor]) if c.divisor else "nullptr"
            k0, k1, sj = (
                (arr(pre.variables["k0_nmda"]), arr(pre.variables["k1_nmda"]),
                 arr(pre.variables["s_nmda"])) if c.nmda_jump else ("nullptr",) * 3
            )
            gate = arr(post.variables["not_refractory"]) if c.gate else "nullptr"
            scale = (arr(post.variables["ampa_scale"])
                     if c.target.startswith("g_ampa") and "ampa_scale" in post.variables
                     else "nullptr")
            lines.append(
                f"        {v}.channels.push_back(Channel{{{arr(post.variables[c.target])}, "
                f"{arr(pool.variables[c.weight])}, {divisor}, {c.factor!r}, {k0}, {k1}, {sj}, "
                f"(const char*){gate}, {scale}, std::vector<double>()}});"
            )
        lines.append(f"        prepare_delivery({v});")
    return lines


def _glue_code(config: Config, groups: dict, pools: dict, stats: b2.NeuronGroup,
               seed_array: str, scale_array: str, snapshot_files: dict[str, str],
               channels: dict[str, list[Channel]]) -> str:
    """C++ that wires Brian2's arrays into the engine and runs one update."""
    device = b2.get_device()
    sp = config.structural
    elements = population_elements(config)

    def arr(var: Any, dynamic: bool = False) -> str:
        name = device.get_array_name(var, access_data=not dynamic)
        return f"brian::{name}"

    lines = ["    using namespace plasticity_sp;",
             "    static bool ready = false;",
             "    static std::mt19937_64 gen;",
             "    static std::vector<Element> els;",
             "    static std::vector<Pool> pools;",
             "    static std::vector<Type> types;",
             "    static std::vector<Element*> all;",
             "    static std::vector<std::pair<double*, int>> calcium;",
             "    static std::vector<std::pair<double*, int>> scales;",
             "    static std::vector<Delivery> deliveries;",
             "    static long step = 0;",
             f"    if (step % {_update_steps(config)} == 0) {{",
             "    if (!ready) {",
             f"        gen.seed((uint64_t){seed_array}[0] * 6364136223846793005ULL + 1442695ULL);"]
    el_index: dict[tuple[str, str], int] = {}
    for pop, els in elements.items():
        group = groups[pop]
        lines.append(f"        calcium.push_back({{{arr(group.variables['Ca'])}, {len(group)}}});")
        if "ampa_scale" in group.variables:
            lines.append(f"        scales.push_back({{{arr(group.variables['ampa_scale'])}, "
                         f"{len(group)}}});")
        for el in els:
            cfg = sp.elements[pop][el]
            el_index[(pop, el)] = len(el_index)
            lines.append(
                f"        els.push_back(Element{{{arr(group.variables['z_' + el])}, "
                f"{arr(group.variables['conn_' + el])}, {len(group)}, {cfg.tau_vacant!r}, "
                f"{_cpp_bool(cfg.continuous)}}});"
            )
    kinds = _pathway_kinds(config)
    lines.append(f"        pools.resize({len(sp.pathways)});")
    lines.append("        types.resize(2);")
    pool_no = 0
    for t, (kind, pathways) in enumerate(kinds.items()):
        if not pathways:
            continue
        den = "den_exc" if kind == "exc" else "den_inh"
        srcs = [p for p in POPULATIONS if any(w.startswith(p + "_to_") for w in pathways)]
        tgts = [p for p in POPULATIONS if any(w.endswith("_to_" + p) for w in pathways)]
        lines.append(f"        types[{t}].autapses = {_cpp_bool(sp.autapses)};")
        lines.append(f"        types[{t}].multapses = {_cpp_bool(sp.multapses)};")
        for pathway in pathways:
            src, _, tgt = pathway.partition("_to_")
            s = pools[pathway]
            p = f"pools[{pool_no}]"
            lines += [
                f"        {p}.pre = &{arr(s.variables['_synaptic_pre'], True)};",
                f"        {p}.post = &{arr(s.variables['_synaptic_post'], True)};",
                f"        {p}.nsyn = &{arr(s.variables['nsyn'], True)};",
                *([f"        {p}.efficacy = &{arr(s.variables['efficacy'], True)};",
                   f"        {p}.new_weight = &{arr(stats.variables['new_weight'])}[0];"]
                  if "efficacy" in s.variables else []),
                f"        {p}.pre_side = {srcs.index(src)};",
                f"        {p}.post_side = {tgts.index(tgt)};",
                f"        {p}.n_post = {len(groups[tgt])};",
                f"        {p}.recurrent = {_cpp_bool(src == tgt)};",
                f"        {p}.stat_n = &{arr(stats.variables['n_' + pathway])}[0];",
                f"        {p}.stat_created = &{arr(stats.variables['created_' + pathway])}[0];",
                f"        {p}.stat_deleted = &{arr(stats.variables['deleted_' + pathway])}[0];",
                f"        {p}.created = {p}.deleted = 0;",
                f"        prepare({p}, {len(groups[src])});",
                f"        types[{t}].pools.push_back(&{p});",
            ]
            pool_no += 1
        for src in srcs:
            lines.append(f"        types[{t}].pre.push_back(&els[{el_index[(src, 'axon')]}]);")
        for tgt in tgts:
            lines.append(f"        types[{t}].post.push_back(&els[{el_index[(tgt, den)]}]);")
    lines += [
        "        for (Element& e : els) all.push_back(&e);",
        "        // a segment of a timeline goes on from the state the last one left",
        f'        const bool restored = load_state(brian::results_dir + "{STATE_FILE}", pools, '
        "els, calcium, scales);",
        "        for (Type& t : types) recount(t);",
        "        // elements start as z0 free ones plus those already connected",
        "        if (!restored)",
        "            for (Element& e : els) for (int i = 0; i < e.n; i++) e.z[i] += e.conn[i];",
        *_delivery_code(config, groups, pools, channels),
        "        ready = true;",
        "    }",
        "    for (Type& t : types) if (!t.pools.empty()) update_type(t, gen);",
        f"    finish(types, all, {scale_array}[0]);",
        "    for (Delivery& d : deliveries) rebuild_active(d);",
    ]
    if snapshot_files:
        every = round(float(sp.snapshot_interval) / float(sp.update_interval))
        lines += ["    static long calls = 0;",
                  f"    if (calls++ % {every} == 0) {{"]
        for k, pathway in enumerate(pool_order(config)):
            lines.append(f"        write_snapshot(pools[{k}], brian::results_dir + "
                         f"\"{snapshot_files[pathway]}\", t * 1000.0);")
        lines.append("    }")
    lines += ["    }",  # end of the structural update
              "    for (Delivery& d : deliveries) deliver(d, step);",
              "    step++;",
              "    return 0.0;"]
    return "double sp_update(double t) {\n" + "\n".join(lines) + "\n}\n"


def _update_steps(config: Config) -> int:
    """Time steps between structural updates."""
    sp = config.structural
    return max(1, round(float(sp.update_interval) / float(config.simulation.dt)))


def build_engine(config: Config, groups: dict, pools: dict, control: b2.NeuronGroup,
                 channels: dict[str, list[Channel]]) -> Engine:
    """The stats group, update operation and monitors of the engine.

    ``pools`` maps each plastic pathway to its candidate Synapses (with an
    integer ``nsyn``); ``groups`` the populations (with the variables of
    :func:`element_equations`). Only cpp_standalone is supported.
    """
    sp = config.structural
    stat_vars = [f"{kind}_{p}" for p in sp.pathways for kind in ("n", "created", "deleted")]
    shared = ["growth_scale"] + (["new_weight"] if weights_follow_maturity(config) else [])
    stats = b2.NeuronGroup(
        1,
        "\n".join(["sp_dummy : 1"] + [f"{v} : 1 (shared, constant)" for v in shared]
                  + [f"{v} : 1" for v in stat_vars]),
        name="sp_stats",
    )
    device = b2.get_device()
    seed_array = "brian::" + device.get_array_name(control.variables["rng_seed"])
    scale_array = "brian::" + device.get_array_name(stats.variables["growth_scale"])
    snapshot_files = (
        {p: f"sp_snapshot_{p}.bin" for p in sp.pathways}
        if sp.snapshot_interval is not None else {}
    )
    code = ENGINE_SOURCE.read_text() + "\n" + _glue_code(
        config, groups, pools, stats, seed_array, scale_array, snapshot_files, channels)

    @b2.implementation("cpp", code)
    @b2.check_units(t=b2.second, result=1)
    def sp_update(t):  # pragma: no cover - only the C++ implementation runs
        raise NotImplementedError("structural plasticity runs in cpp_standalone only")

    sp_update.stateless = False  # side effects: never hoisted or merged by Brian2
    stats.namespace["sp_update"] = sp_update
    # every step, after Brian2's own synapses: deliver this step's spikes of
    # the plastic pathways; every update_interval first rewire
    stats.run_regularly("sp_dummy = sp_update(t)", dt=config.simulation.dt, when="synapses",
                        order=10, name="sp_update")
    monitor = b2.StateMonitor(stats, stat_vars, record=0, dt=sp.update_interval, when="end",
                              name="sp_stats_mon")
    return Engine(stats=stats, monitor=monitor, snapshot_files=snapshot_files,
                  objects=[stats, monitor], pools=pools,
                  layout=state_layout(config))

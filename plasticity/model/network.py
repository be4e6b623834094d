"""Build the Brian2 network of a config: populations, synapses, drive, probes.

The builder separates *structure* (population sizes, which pathways and
compartments exist, time step, durations, recording layout) from *values*
(every conductance, time constant, connection probability, drive rate, drug
parameter, the concentration trace and the seeds). Structure goes into the
generated code; values are collected in :attr:`BuiltNetwork.inputs` and set
at run time (Brian2 ``run_args`` in cpp_standalone), so one compiled build
serves every parameter value and every seed.

Two seeds: the config's ``seed`` draws the network (connectivity, the
candidate pool and initial synapses of plastic pathways) and the *noise
seed* drives what varies from run to run of one network (external Poisson
drive, initial membrane potentials, the structural engine's random choices).
They are the same unless a caller passes another noise seed: the segments
of a timeline are one network (one animal) sampled at several clinical
times, each with its own noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import brian2 as b2
import numpy as np
from brian2.devices.cpp_standalone.device import CPPStandaloneDevice
from scipy.special import gamma, gammainc

from plasticity.config import EXCITATORY_PATHWAYS, INHIBITORY_PATHWAYS, Config, split_pathway
from plasticity.model.codegen_speed import identifier_analysis_unmemoised
from plasticity.model.drive import drive_expression, poisson_function
from plasticity.model.equations import (
    Compartment,
    PopulationSpec,
    kinetic_block_code,
    neuron_equations,
    reset_code,
)
from plasticity.model.layout import (
    present_populations,
    structure_key,
    target_compartment,
    trace_length,
)
from plasticity.model.structural import (
    Channel,
    Engine,
    build_engine,
    element_equations,
    element_values,
    param_units,
    population_elements,
    weights_follow_maturity,
)
from plasticity.pharmacology.block import thermal_voltage

__all__ = [
    "BuiltNetwork",
    "build_network",
    "describe_equations",
    "network_inputs",
    "nmda_event_constants",
]

INTERNEURONS = ("pv", "sst")


def population_specs(config: Config) -> dict[str, PopulationSpec]:
    """Which compartments and channels each present population has."""
    present = present_populations(config)
    gating = config.synapses.nmda_gating
    kinetic = config.pharmacology.block_model == "kinetic"
    specs = {}
    if config.network.cell_model != "conductance":
        for pop in present:
            specs[pop] = PopulationSpec(pop, {"soma": Compartment("soma")},
                                        cell_model=config.network.cell_model)
            specs[pop].presynaptic_sources = [
                src for src in present if f"{src}_to_{pop}" in EXCITATORY_PATHWAYS
                + INHIBITORY_PATHWAYS
            ]
        _add_structural(config, specs)
        return specs
    for pop in present:
        comps = {"soma": Compartment("soma", ampa=True)}  # external drive is AMPA on the soma
        if pop == "exc" and config.network.exc.dendrite:
            comps["dend"] = Compartment("dend")
        plastic = config.structural.enabled and f"exc_to_{pop}" in config.structural.pathways
        specs[pop] = PopulationSpec(pop, comps, nmda_gating=gating, ketamine_kinetics=kinetic,
                                    nmda_plastic=plastic)
    for pathway in EXCITATORY_PATHWAYS + INHIBITORY_PATHWAYS:
        src, tgt = split_pathway(pathway)
        if src not in specs or tgt not in specs:
            continue
        comp = specs[tgt].compartments[target_compartment(config, pathway)]
        specs[tgt].presynaptic_sources.append(src)
        if src == "exc":
            comp.ampa = comp.nmda = True
            specs["exc"].nmda_source = True
        else:
            comp.gaba_from.append(src)
    _add_structural(config, specs)
    return specs


def _add_structural(config: Config, specs: dict[str, PopulationSpec]) -> None:
    """Calcium sensor and synaptic elements, and stimulus windows, where needed."""
    for pop, spec in specs.items():
        if pop in population_elements(config):
            comp = spec.nmda_compartment
            nmda = None if comp is None else (comp.sfx, comp.v)
            lines, names, step = element_equations(config, pop, nmda)
            spec.extra_equations = lines
            spec.extra_params = {name: param_units(name) for name in names}
            spec.extra_reset = ["Ca += w_ca_spike*beta_ca"]
            spec.extra_step = step
        spec.stimuli = sum(stim.population == pop for stim in config.stimulation)
        if spec.stimuli:
            spec.extra_equations = spec.extra_equations + ["stim_mask : 1 (constant)"]
            for k in range(spec.stimuli):
                spec.extra_params.update({f"stim_start_{k}": "second",
                                          f"stim_stop_{k}": "second", f"stim_gain_{k}": "1"})


def stimulus_rate(spec: PopulationSpec) -> str:
    """Rate expression of the external drive, with the stimulus windows."""
    if not spec.stimuli:
        return "ext_rate"
    extra = " + ".join(
        f"(stim_gain_{k} - 1)*int(t >= stim_start_{k} and t < stim_stop_{k})"
        for k in range(spec.stimuli)
    )
    return f"ext_rate*(1 + stim_mask*({extra}))"


def stimulus_values(config: Config, pop: str) -> dict[str, Any]:
    """Run-time values of ``pop``'s stimulus windows and its stimulated cells."""
    stims = [s for s in config.stimulation if s.population == pop]
    if not stims:
        return {}
    n = config.network.size(pop)
    mask = np.zeros(n)
    mask[: round(stims[0].fraction * n)] = 1.0
    values: dict[str, Any] = {"stim_mask": mask}
    for k, stim in enumerate(stims):
        values.update({f"stim_start_{k}": stim.start, f"stim_stop_{k}": stim.stop,
                       f"stim_gain_{k}": stim.rate_factor})
    return values


def nmda_event_constants(tau_rise_ms: float, tau_decay_ms: float, alpha_per_ms: float):
    """Jump constants of NEST's ``iaf_bw_2001`` event-driven NMDA gating.

    At a presynaptic spike s jumps by ``k0 + k1 * s`` with
    k0 = (alpha tau_r)^(tau_r/tau_d) * gamma_lower(1 - tau_r/tau_d, alpha tau_r)
    and k1 = exp(-alpha tau_r) - 1 (nest-simulator ``models/iaf_bw_2001.h``).
    """
    at = alpha_per_ms * tau_rise_ms
    a = 1.0 - tau_rise_ms / tau_decay_ms
    k0 = at ** (tau_rise_ms / tau_decay_ms) * gammainc(a, at) * gamma(a)
    k1 = math.expm1(-at)
    return float(k0), float(k1)


@dataclass
class BuiltNetwork:
    """The Brian2 objects of one network and its run-time inputs."""

    network: b2.Network
    groups: dict[str, b2.NeuronGroup]
    specs: dict[str, PopulationSpec]
    spike_monitors: dict[str, b2.SpikeMonitor]
    probe_monitors: dict[str, b2.StateMonitor]
    probe_variables: dict[str, dict[str, tuple[str, str, str]]]
    concentration: b2.TimedArray
    control: b2.NeuronGroup
    params: dict[str, list[str]] = field(default_factory=dict)
    synapses: dict[str, b2.Synapses] = field(default_factory=dict)
    structure: dict[str, Any] = field(default_factory=dict)
    inputs: dict[Any, Any] = field(default_factory=dict)
    engine: Engine | None = None
    plastic_channels: dict[str, list[Channel]] = field(default_factory=dict)

    def inputs_for(
        self, config: Config, concentration_uM: Any = None, growth_scale: float = 1.0,
        noise_seed: int | None = None,
    ) -> dict[Any, Any]:
        """Run-time inputs of this build for ``config`` (same structure).

        ``concentration_uM`` is the drug trace (one value per ``trace_dt``);
        by default the constant ``pharmacology.ketamine_uM``.
        ``growth_scale`` speeds up structural growth (clinical time per
        network time, see :func:`plasticity.model.structural.element_values`).
        ``noise_seed`` seeds the run's noise (default ``config.seed``; the
        network itself is always drawn from ``config.seed``).

        Raises
        ------
        ValueError
            If ``config`` needs another build (its structure differs).
        """
        if structure_key(config) != self.structure:
            raise ValueError(
                "config has a different network structure than this build "
                "(sizes, targets, delays, dt, durations or recording); it needs its own build"
            )
        return network_inputs(config, self, concentration_uM, growth_scale, noise_seed)


def network_inputs(
    config: Config, built: BuiltNetwork, concentration_uM: Any = None, growth_scale: float = 1.0,
    noise_seed: int | None = None,
) -> dict[Any, Any]:
    """Map every run-time input of ``built`` to its value under ``config``.

    ``growth_scale`` 0 freezes the synapses (no growth, no vacancy decay): the
    windows of the clinical clock. ``noise_seed`` (default ``config.seed``)
    seeds the run's noise; ``config.seed`` draws the network.
    """
    if not growth_scale >= 0:
        raise ValueError(f"growth_scale must be >= 0 (got {growth_scale})")
    inputs: dict[Any, Any] = {}
    n_trace = len(built.concentration.values)
    if concentration_uM is None:
        concentration_uM = np.full(n_trace, config.pharmacology.ketamine_uM)
    trace = np.asarray(concentration_uM, dtype=float)
    if trace.shape != (n_trace,):
        raise ValueError(f"concentration trace has shape {trace.shape}, expected ({n_trace},)")
    if any(spec.nmda_compartment is not None for spec in built.specs.values()):
        # (without NMDA receptors the drug trace is in no code, and Brian2
        # refuses a run-time value for it)
        inputs[built.concentration] = trace * b2.umolar
    inputs[built.control.rng_seed] = int(config.seed if noise_seed is None else noise_seed)
    inputs[built.control.structure_seed] = int(config.seed)
    for pop, group in built.groups.items():
        # cell and synapse values, then structural elements and stimuli
        values = _population_values(config, pop, built.specs[pop])
        if pop in population_elements(config):
            values.update(element_values(config, pop, growth_scale))
        values.update(stimulus_values(config, pop))
        for name in built.params[pop]:
            inputs[getattr(group, name)] = values[name]
    if built.engine is not None:
        inputs[built.engine.stats.growth_scale] = float(growth_scale)
        if "new_weight" in built.engine.stats.variables:
            inputs[built.engine.stats.new_weight] = config.structural.turnover.new_weight
    for pathway, s in built.synapses.items():
        cfg = config.synapses.pathway(pathway)
        if "w_psc" in s.variables:
            inputs[s.w_psc] = cfg.psc
        elif "w_psp" in s.variables:
            inputs[s.w_psp] = cfg.psp
        elif pathway.startswith("exc_"):
            inputs[s.w_ampa] = cfg.g_ampa
            inputs[s.w_nmda] = cfg.g_nmda
        else:
            inputs[s.w_gaba] = cfg.g_gaba
    return inputs


def _iaf_values(config: Config, pop: str, spec: PopulationSpec) -> dict[str, Any]:
    cell, drive = config.network.iaf, getattr(config.network.external, pop)
    values = dict(
        C_s=cell.C_m, tau_m=cell.tau_m, E_L=cell.E_L, V_th=cell.V_th, V_reset=cell.V_reset,
        t_ref=cell.t_ref, I_e=cell.I_e, ext_rate=drive.n_inputs * drive.rate,
    )
    if spec.cell_model == "iaf_psc_alpha":
        values.update(tau_syn_ex=cell.tau_syn_ex, tau_syn_in=cell.tau_syn_in, psc_ext=drive.psc)
    else:
        values.update(psp_ext=drive.psp)
    for src in spec.presynaptic_sources:
        values[f"p_from_{src}"] = config.synapses.pathway(f"{src}_to_{pop}").p
    return values


def _population_values(config: Config, pop: str, spec: PopulationSpec) -> dict[str, Any]:
    if spec.cell_model != "conductance":
        return _iaf_values(config, pop, spec)
    net, syn, ph = config.network, config.synapses, config.pharmacology
    if pop == "exc":
        cell = net.exc
        values = dict(C_s=cell.C_soma, g_L_s=cell.g_L_soma)
        if cell.dendrite:
            values.update(C_d=cell.C_dend, g_L_d=cell.g_L_dend, g_c=cell.g_couple, bap=cell.bap)
    else:
        cell = getattr(net, pop)
        values = dict(C_s=cell.C, g_L_s=cell.g_L)
    values.update(E_L=cell.E_L, V_th=cell.V_th, V_reset=cell.V_reset, t_ref=cell.t_ref)
    drive = getattr(net.external, pop)
    values.update(ext_rate=drive.n_inputs * drive.rate, g_ext=drive.g_ampa)
    k0, k1 = nmda_event_constants(
        float(syn.tau_nmda_rise) * 1e3, float(syn.tau_nmda_decay) * 1e3,
        float(syn.alpha_nmda) * 1e-3,
    )
    values.update(
        tau_ampa=syn.tau_ampa, tau_nmda_rise=syn.tau_nmda_rise,
        tau_nmda_decay=syn.tau_nmda_decay, alpha_nmda=syn.alpha_nmda,
        k0_nmda=k0, k1_nmda=k1, tau_gaba_pv=syn.tau_gaba_pv, tau_gaba_sst=syn.tau_gaba_sst,
        E_exc=syn.E_exc, E_inh=syn.E_inh, Mg=syn.Mg,
        V_T=thermal_voltage(ph.temperature_C) * b2.volt,
    )
    receptor = ph.resolved_receptors().get(f"exc_to_{pop}")
    if receptor is not None:
        values.update(
            mg_k0=receptor.mg_k0,
            mg_slope=receptor.mg_slope,
            ket_on=1.0 if receptor.blocked else 0.0,
            k0_ket=receptor.k0,
            hill_ket=receptor.hill,
            hold_ket=1.0 if ph.block_model == "hill" else 0.0,
            delta_ket=receptor.delta,
            v_ref_ket=receptor.v_ref,
            kon_ket=receptor.k_on,
            trap_ket=receptor.trapping,
        )
    if spec.nmda_plastic:
        values["w_nmda_in"] = syn.pathway(f"exc_to_{pop}").g_nmda
    for src in spec.presynaptic_sources:
        values[f"p_from_{src}"] = config.synapses.pathway(f"{src}_to_{pop}").p
    return values


def _probe(pop: str, spec: PopulationSpec, group: b2.NeuronGroup, dt: Any, namespace: dict):
    """A one-neuron group holding exact population means, via summed variables."""
    variables: dict[str, tuple[str, str, str]] = {
        "v_mean": ("v", "volt", "mean somatic membrane potential"),
    }
    if spec.has_dendrite:
        variables["v_d_mean"] = ("v_d", "volt", "mean dendritic membrane potential")
    comp = spec.nmda_compartment
    if comp is not None:
        variables["nmda_block"] = (
            f"bket_{comp.sfx}", "1", "mean fraction of NMDA receptors blocked by ketamine"
        )
        variables["mg_unblock"] = (
            f"mg_{comp.sfx}", "1", "mean fraction of NMDA conductance free of Mg2+ block"
        )
    if "Ca" in group.variables:
        variables["ca_mean"] = ("Ca", "1", "mean calcium (structural-plasticity sensor)")
        for el in ("axon", "den_exc", "den_inh"):
            if f"z_{el}" in group.variables:
                variables[f"z_{el}_mean"] = (f"z_{el}", "1", f"mean synaptic elements {el}")
                variables[f"conn_{el}_mean"] = (
                    f"conn_{el}", "1", f"mean connected synaptic elements {el}"
                )
    if pop == "exc" and spec.cell_model != "iaf_psc_delta":
        # LFP proxy: sum of absolute synaptic currents onto pyramidal cells
        # (Mazzoni et al. 2008, Front Comput Neurosci; Mazzoni et al. 2015, PLoS
        # Comput Biol 11:e1004584), here their mean per cell.
        variables["lfp_proxy"] = (
            " + ".join(f"abs(I_syn_{c.sfx})" for c in spec.compartments.values()),
            "amp",
            "LFP proxy: mean absolute synaptic current onto pyramidal cells",
        )
    probe_eqs = "\n".join(f"{name} : {unit}" for name, (_, unit, _) in variables.items())
    # the probe lives on the recording clock, so its summed variables are
    # computed only when recorded, not at every step
    probe = b2.NeuronGroup(1, probe_eqs, name=f"probe_{pop}", dt=dt)
    summed = "\n".join(
        f"{name}_post = ({expr}_pre)/N_pre : {unit} (summed)"
        if name != "lfp_proxy"
        else f"{name}_post = ({_pre_expr(expr)})/N_pre : {unit} (summed)"
        for name, (expr, unit, _) in variables.items()
    )
    link = b2.Synapses(group, probe, summed, name=f"probe_{pop}_sum", namespace=namespace)
    link.connect()
    # record at the end of each step, after the summed variables are updated
    mon = b2.StateMonitor(probe, list(variables), record=0, dt=dt, when="end",
                          name=f"probe_{pop}_mon")
    return probe, link, mon, variables


def _pre_expr(expr: str) -> str:
    import re

    return re.sub(r"\b(I_syn_[sd])\b", r"\1_pre", expr)


def build_network(config: Config, concentration_uM: Any = None,
                  noise_seed: int | None = None) -> BuiltNetwork:
    """Create the Brian2 objects for ``config`` on the active device.

    The caller has selected the device. Parameter values are not written into
    the objects; they are returned in ``inputs`` (a mapping from Brian2
    variable views or TimedArrays to values) for the caller to apply.
    ``concentration_uM`` is the drug trace and ``noise_seed`` the run's noise
    seed (see :meth:`BuiltNetwork.inputs_for`).
    """
    identifier_analysis_unmemoised()  # generation 4x faster, same code (codegen_speed)
    sim, syn = config.simulation, config.synapses
    specs = population_specs(config)
    dt = sim.dt
    objects: list[Any] = []

    n_trace = trace_length(config)
    if concentration_uM is None:
        concentration_uM = np.full(n_trace, config.pharmacology.ketamine_uM)
    conc_values = np.asarray(concentration_uM, dtype=float) * b2.umolar
    # In standalone the values are a run-time input: build with a fixed
    # placeholder so that the build does not depend on them.
    standalone = isinstance(b2.get_device(), CPPStandaloneDevice)
    initial = np.zeros(n_trace) * b2.umolar if standalone else conc_values
    concentration = b2.TimedArray(initial, dt=config.pharmacology.trace_dt, name="ketamine_conc")

    # rng_seed: the run's noise; structure_seed: the network's connectivity (module docstring)
    control = b2.NeuronGroup(1, "rng_seed : integer (shared, constant)\n"
                             "structure_seed : integer (shared, constant)", name="control")
    objects.append(control)

    groups: dict[str, b2.NeuronGroup] = {}
    params: dict[str, list[str]] = {}
    namespace: dict[str, Any] = {"ketamine_conc": concentration}
    if standalone:
        seed_array = "brian::" + b2.get_device().get_array_name(control.variables["rng_seed"])
        namespace["poisson_drive"] = poisson_function(seed_array, len(specs))
    for pop, spec in specs.items():
        eqs, names = neuron_equations(spec)
        iaf = spec.cell_model != "conductance"
        group = b2.NeuronGroup(
            config.network.size(pop), eqs, threshold="v >= V_th" if iaf else "v > V_th",
            reset=reset_code(spec), refractory="t_ref", method="exact" if iaf else "euler",
            name=pop, namespace=namespace,
        )
        count = drive_expression(len(groups), stimulus_rate(spec))
        step_code = {
            "iaf_psc_alpha": f"y_ex += psc_ext * {math.e!r} / tau_syn_ex * {count}",
            "iaf_psc_delta": f"v += psp_ext * {count} * int(not_refractory)",
            "conductance": f"g_ampa_s += g_ext * {count}",
        }[spec.cell_model]
        if spec.extra_step:
            # after the state update and before the structural update (in the
            # synapses slot of the same step), which never sees negative elements
            group.run_regularly("\n".join(spec.extra_step), dt=config.structural.growth_dt,
                                when="after_groups", name=f"{pop}_elements")
        comp = spec.nmda_compartment
        if spec.ketamine_kinetics and comp is not None:
            step_code += "\n" + kinetic_block_code(comp, spec.nmda_plastic)
        group.run_regularly(step_code, dt=dt, when="before_groups", name=f"{pop}_drive")
        params[pop] = names + [f"p_from_{src}" for src in spec.presynaptic_sources]
        if spec.stimuli:
            params[pop].append("stim_mask")
        groups[pop] = group
        objects.append(group)

    synapses = []
    plastic = set(config.structural.pathways) if config.structural.enabled else set()
    plastic_channels: dict[str, list[Channel]] = {}
    for pathway in EXCITATORY_PATHWAYS + INHIBITORY_PATHWAYS:
        src, tgt = split_pathway(pathway)
        if src not in groups or tgt not in groups:
            continue
        cfg = syn.pathway(pathway)
        sfx = "d" if target_compartment(config, pathway) == "dend" else "s"
        # a plastic pathway is a pool of candidates, each holding nsyn synapses
        # each channel: (target variable, weight, divisor, factor, NMDA jump, gate);
        # static pathways turn them into on_pre code, plastic ones are
        # delivered by the structural engine over their actual synapses only
        if config.network.cell_model == "iaf_psc_alpha":
            kind = "ex" if src == "exc" else "in"
            model = "w_psc : amp (shared, constant)"
            channels = [Channel(f"y_{kind}", "w_psc", f"tau_syn_{kind}", math.e)]
        elif config.network.cell_model == "iaf_psc_delta":
            # NEST drops spikes that arrive while the target is refractory
            model = "w_psp : volt (shared, constant)"
            channels = [Channel("v", "w_psp", gate=True)]
        elif src == "exc":
            model = "w_ampa : siemens (shared, constant)\nw_nmda : siemens (shared, constant)"
            channels = [Channel(f"g_ampa_{sfx}", "w_ampa")]
            if syn.nmda_gating == "exact":
                model += f"\ng_nmda_{sfx}_post = w_nmda * s_nmda_pre : siemens (summed)"
            else:
                channels.append(Channel(f"g_nmda_{sfx}", "w_nmda", nmda_jump=True))
            if specs[tgt].ketamine_kinetics and pathway not in plastic:
                # mean open fraction of the target compartment's NMDA synapses
                model += f"\no_nmda_{sfx}_post = s_nmda_pre / N_incoming : 1 (summed)"
        else:
            model = "w_gaba : siemens (shared, constant)"
            channels = [Channel(f"g_gaba_{src}_{sfx}", "w_gaba")]
        if pathway in plastic:
            model += "\nnsyn : integer"
            if weights_follow_maturity(config):
                model += "\nefficacy : 1"  # summed weight of its synapses (stable = 1)
            s = b2.Synapses(groups[src], groups[tgt], model, name=pathway)
            plastic_channels[pathway] = channels
        else:
            s = b2.Synapses(groups[src], groups[tgt], model,
                            on_pre="\n".join(c.on_pre() for c in channels), delay=cfg.delay,
                            name=pathway)
        synapses.append((s, src == tgt, src))
        objects.append(s)

    built = BuiltNetwork(
        network=b2.Network(), groups=groups, specs=specs, spike_monitors={},
        probe_monitors={}, probe_variables={}, concentration=concentration, control=control,
        params=params, synapses={s.name: s for s, _, _ in synapses},
        structure=structure_key(config),
    )
    built.inputs = network_inputs(config, built, concentration_uM, noise_seed=noise_seed)
    built.plastic_channels = plastic_channels
    _finish(config, built, synapses, objects)
    return built


def _finish(config, built, synapses, objects) -> None:
    """Connectivity, initial state and monitors: the random part, after seeding."""
    groups, specs, inputs = built.groups, built.specs, built.inputs
    control, concentration = built.control, built.concentration
    device = b2.get_device()
    standalone = isinstance(device, CPPStandaloneDevice)
    if standalone:
        device.apply_run_args()
        noise_name = device.get_array_name(control.variables["rng_seed"])
        structure_name = device.get_array_name(control.variables["structure_seed"])
        reseed = ("for (size_t _i = 0; _i < brian::_random_generators.size(); _i++)\n"
                  "    brian::_random_generators[_i].seed((unsigned long){}[0] + _i);")
        # the network is drawn from the structure seed ...
        device.insert_code("main", reseed.format(structure_name))
    else:
        b2.seed(int(config.seed))
        for key, value in inputs.items():
            # Synaptic variables can only be written once synapses exist.
            if not isinstance(key, b2.TimedArray) and not isinstance(key.group, b2.Synapses):
                key[:] = value
    sp = config.structural
    pools = {}
    for s, recurrent, src in synapses:
        if sp.enabled and s.name in sp.pathways:
            condition = "i != j" if recurrent and not sp.autapses else None
            s.connect(condition=condition, p=sp.candidate_density)
            if sp.initial == "pathway":
                s.nsyn = f"int(rand() < p_from_{src}_post / {sp.candidate_density!r})"
            if "efficacy" in s.variables:
                # the expected weight at the steady share of new synapses; a restored
                # state (every window after the first) brings its own
                s.efficacy = f"nsyn * {sp.turnover.mean_weight_factor()!r}"
            pools[s.name] = s
            continue
        condition = "i != j" if recurrent else None
        s.connect(condition=condition, p=f"p_from_{src}_post")
    # ... and what varies between runs of one network from the noise seed (the same
    # seed unless a caller sets another: the random stream is then unchanged)
    if standalone:
        device.insert_code("main", f"if ({noise_name}[0] != {structure_name}[0]) {{\n"
                           + reseed.format(noise_name) + "\n}")
    elif (noise := int(np.asarray(control.rng_seed[:]).ravel()[0])) != int(config.seed):
        b2.seed(noise)
    if not standalone:
        for key, value in inputs.items():
            if not isinstance(key, b2.TimedArray) and isinstance(key.group, b2.Synapses):
                key[:] = value
    for pop, group in groups.items():
        # NEST starts iaf_psc_alpha cells at E_L; ours start spread below threshold
        iaf = specs[pop].cell_model != "conductance"
        group.v = "E_L" if iaf else "E_L + rand()*(V_th - E_L)"
        if "v_d" in group.variables:
            group.v_d = "E_L"
        for el in ("axon", "den_exc", "den_inh"):
            if f"z_{el}" in group.variables:
                setattr(group, f"z_{el}", f"z0_{el}")
        if "ampa_scale" in group.variables:
            group.ampa_scale = 1.0  # a restored state (the clock's windows) brings its own
    if pools:
        built.engine = build_engine(config, groups, pools, control, built.plastic_channels)
        inputs[built.engine.stats.growth_scale] = 1.0
        if "new_weight" in built.engine.stats.variables:
            inputs[built.engine.stats.new_weight] = sp.turnover.new_weight
        objects += built.engine.objects

    spike_monitors = {}
    if config.record.spikes:
        for pop, group in groups.items():
            spike_monitors[pop] = b2.SpikeMonitor(group, name=f"spikes_{pop}")
            objects.append(spike_monitors[pop])
    probe_monitors, probe_variables = {}, {}
    for pop, group in groups.items():
        probe, link, mon, variables = _probe(
            pop, specs[pop], group, config.record.state_dt, {"ketamine_conc": concentration}
        )
        objects += [probe, link, mon]
        probe_monitors[pop] = mon
        probe_variables[pop] = variables

    built.network.add(objects)
    built.spike_monitors = spike_monitors
    built.probe_monitors = probe_monitors
    built.probe_variables = probe_variables


def describe_equations(config: Config) -> str:
    """The Brian2 equations of every population and synapse pathway of ``config``.

    The network is built (nothing is compiled or run) on the device the
    config runs on: ``cpp_standalone`` only records the code it would
    generate, ``runtime`` connects with the numpy target. The text is read
    back from the built Brian2 objects, so it is the model the network runs:
    per population its equations with units, threshold, reset, refractory
    period, integration method and the operations run every step (drive,
    ketamine kinetics, structural elements); per pathway its model, summed
    variables and ``on_pre`` code (for a structurally plastic pathway, the
    code the structural engine applies over its synapses).
    """
    import gc

    from brian2.devices.device import reset_device
    from brian2.utils.logger import catch_logs

    standalone = config.simulation.device == "cpp_standalone"
    target = b2.prefs.codegen.target
    if standalone:
        b2.set_device("cpp_standalone", build_on_run=False)
    else:
        b2.prefs.codegen.target = "numpy"  # connecting must not compile Cython
    try:
        built = build_network(config)
        try:
            return _describe(config, built)
        finally:
            with catch_logs():  # the objects were never meant to be run
                del built
                gc.collect()
    finally:
        if standalone:
            b2.device.reinit()
            reset_device()
        b2.prefs.codegen.target = target


def _describe(config: Config, built: BuiltNetwork) -> str:
    lines = [f"# Brian2 equations of {config.name} (device {config.simulation.device}, "
             f"cell model {config.network.cell_model})"]
    for pop, group in built.groups.items():
        lines += ["", f"== NeuronGroup {pop} ({len(group)} cells)", str(group.equations)]
        for event, condition in group.events.items():
            lines.append(f"threshold ({event}): {condition}")
            code = group.event_codes.get(event)
            if code:
                lines.append(f"reset ({event}):")
                lines += [f"    {line}" for line in str(code).splitlines()]
        lines.append(f"refractory: {group._refractory}")
        lines.append(f"method: {group.method_choice}")
        values = _population_values(config, pop, built.specs[pop])
        if pop in population_elements(config):
            values.update(element_values(config, pop))
        values.update(stimulus_values(config, pop))
        lines.append("parameters (run-time inputs, this config's values):")
        lines += [f"    {name} = {values[name]!s}" for name in built.params[pop]]
        for obj in group.contained_objects:
            if type(obj) is b2.CodeRunner:  # run_regularly operations
                lines.append(f"every {obj.clock.dt} ({obj.when}), {obj.name}:")
                lines += [f"    {line}" for line in str(obj.abstract_code).splitlines()]
    for name, syn in built.synapses.items():
        cfg = config.synapses.pathway(name)
        lines += ["", f"== Synapses {name} ({syn.source.name} -> {syn.target.name})", "model:"]
        lines += [f"    {line}" for line in str(syn.equations).splitlines()]
        for obj in syn.contained_objects:
            if type(obj).__name__ == "SummedVariableUpdater":
                unit = b2.get_unit(obj.target_var.dim)
                lines.append(f"    {obj.target_varname} = {obj.expression} : {unit!s} (summed)")
        for path in syn._pathways:
            lines.append(f"on_{path.prepost} ({path.event}, delay {cfg.delay}):")
            lines += [f"    {line}" for line in str(path.code).splitlines()]
        if name in built.plastic_channels:
            lines.append("on_pre (structurally plastic: applied by the structural engine "
                         f"for each of nsyn synapses, delay {cfg.delay}):")
            lines += [f"    {c.on_pre()}" for c in built.plastic_channels[name]]
    return "\n".join(lines) + "\n"

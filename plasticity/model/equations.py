"""Equation strings for the cell types, written the Brian2 way.

Each population is built from compartments (``soma``, and ``dend`` for the
pyramidal dendrite). A compartment carries the conductances of the channels
that land on it: AMPA, NMDA, and GABA_A from PV and/or SST cells. Every
parameter is a ``(shared, constant)`` variable, never a literal, so that the
compiled network takes it as a run-time input: one build serves every value.

NMDA conductance (Brunel & Wang 2001; Wang 2002)::

    I_NMDA = g_NMDA * B_Mg(V) * (1 - b_ket(C(t), V)) * (V - E_exc)

with the Mg2+ block B_Mg of the pathway's GluN2 subunit and the ketamine
block b_ket, ketamine and Mg2+ competing for the open channel
(:mod:`plasticity.pharmacology.block`): b_ket = C / (C + IC50_Mg(V)) with
IC50_Mg(V) = K_ket(V) (1 + [Mg]/K_Mg(V)) = K_ket(V) / B_Mg(V), evaluated
with the compartment's own voltage (the dendrite's for synapses on the
dendrite). ``C(t)`` is the TimedArray ``ketamine_conc``, an input of the
compiled code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plasticity.pharmacology.block import MG_BLOCK_EXPRESSION

__all__ = [
    "Compartment",
    "PopulationSpec",
    "iaf_psc_alpha_equations",
    "iaf_psc_delta_equations",
    "kinetic_block_code",
    "neuron_equations",
    "nmda_gating_equations",
    "reset_code",
]

VOLTAGE = {"soma": "v", "dend": "v_d"}
SUFFIX = {"soma": "s", "dend": "d"}


@dataclass
class Compartment:
    """The channels present on one compartment."""

    name: str  # "soma" or "dend"
    ampa: bool = False
    nmda: bool = False
    gaba_from: list[str] = field(default_factory=list)  # "pv", "sst"

    @property
    def v(self) -> str:
        """Name of the compartment's voltage variable."""
        return VOLTAGE[self.name]

    @property
    def sfx(self) -> str:
        """Suffix of the compartment's variables."""
        return SUFFIX[self.name]


@dataclass
class PopulationSpec:
    """What a population's equations must contain."""

    name: str
    compartments: dict[str, Compartment]
    nmda_source: bool = False  # presynaptic NMDA gating lives here (exc cells)
    nmda_gating: str = "exact"
    ketamine_kinetics: bool = False  # use-dependent (kinetic) block instead of equilibrium
    # the NMDA synapses onto this population come from a plastic pathway: their
    # number is the connected excitatory dendritic elements, conn_den_exc
    nmda_plastic: bool = False
    cell_model: str = "conductance"  # or NEST's "iaf_psc_alpha" / "iaf_psc_delta"
    presynaptic_sources: list[str] = field(default_factory=list)  # for p_conn variables
    # structural plasticity: sensor and element equations, their parameters
    # (name -> Brian2 unit), and statements at each spike and each step
    extra_equations: list[str] = field(default_factory=list)
    extra_params: dict[str, str] = field(default_factory=dict)
    extra_reset: list[str] = field(default_factory=list)
    extra_step: list[str] = field(default_factory=list)
    stimuli: int = 0  # stimulus windows of the external drive (config.stimulation)

    @property
    def has_dendrite(self) -> bool:
        """True for a two-compartment cell."""
        return "dend" in self.compartments

    @property
    def nmda_compartment(self) -> Compartment | None:
        """The compartment receiving NMDA synapses, if any."""
        for comp in self.compartments.values():
            if comp.nmda:
                return comp
        return None


def _compartment_equations(
    comp: Compartment, gating: str, kinetic: bool = False
) -> tuple[list[str], set[str]]:
    """Equations of one compartment's synaptic currents and their parameters.

    With ``kinetic`` the ketamine block ``bket`` is a state variable advanced
    by :func:`kinetic_block_code` (use-dependent trapping block), fed by the
    mean open fraction ``o_nmda`` of the compartment's NMDA synapses;
    otherwise it is the competitive equilibrium.
    """
    s, v = comp.sfx, comp.v
    terms, lines, params = [], [], set()
    if comp.ampa:
        lines.append(f"dg_ampa_{s}/dt = -g_ampa_{s}/tau_ampa : siemens")
        terms.append(f"g_ampa_{s}*({v} - E_exc)")
        params |= {"tau_ampa", "E_exc"}
    if comp.nmda:
        if gating == "exact":
            lines.append(f"g_nmda_{s} : siemens")
        else:
            lines.append(f"dg_nmda_{s}/dt = -g_nmda_{s}/tau_nmda_decay : siemens")
            params.add("tau_nmda_decay")
        lines += [
            f"I_nmda_{s} = g_nmda_{s} * mg_{s} * (1 - bket_{s}) * ({v} - E_exc) : amp",
            f"mg_{s} = {MG_BLOCK_EXPRESSION.format(V=v)} : 1",
        ]
        if kinetic:
            # bket: fraction of receptors holding ketamine, advanced by kinetic_block_code;
            # kket: ketamine dissociation constant without Mg2+ at the voltage
            lines += [
                f"bket_{s} : 1",
                f"o_nmda_{s} : 1",
                f"kket_{s} = k0_ket * exp(delta_ket*({v} - v_ref_ket)/V_T) : mmolar",
            ]
            params |= {"kon_ket", "trap_ket"}
        else:
            # the block at equilibrium, evaluated at vk (the voltage itself, or v_ref
            # with hold_ket = 1 for the 'hill' block model)
            lines += [
                f"bket_{s} = ket_on * xk_{s}/(1 + xk_{s}) : 1",
                f"xk_{s} = (ketamine_conc(t)/ic50mg_{s})**hill_ket : 1",
                f"ic50mg_{s} = k0_ket * exp(delta_ket*(vk_{s} - v_ref_ket)/V_T)"
                f" * (1 + Mg/(mg_k0*exp(mg_slope*vk_{s}))) : mmolar",
                f"vk_{s} = {v} + hold_ket*(v_ref_ket - {v}) : volt",
            ]
            params |= {"hill_ket", "hold_ket"}
        terms.append(f"I_nmda_{s}")
        params |= {"E_exc", "Mg", "mg_k0", "mg_slope", "ket_on", "k0_ket", "delta_ket",
                   "v_ref_ket", "V_T"}
    for src in comp.gaba_from:
        lines.append(f"dg_gaba_{src}_{s}/dt = -g_gaba_{src}_{s}/tau_gaba_{src} : siemens")
        terms.append(f"g_gaba_{src}_{s}*({v} - E_inh)")
        params |= {f"tau_gaba_{src}", "E_inh"}
    total = " + ".join(terms) if terms else "0*amp"
    lines.insert(0, f"I_syn_{s} = {total} : amp")
    return lines, params


def kinetic_block_code(comp: Compartment, plastic: bool = False) -> str:
    """Exact exponential step of the use-dependent block of one compartment.

    Inputs (concentration, open fraction ``o``, B_Mg(V), K_ket(V)) are held
    over the step, for which the linear equation of
    :func:`plasticity.pharmacology.block.kinetic_block_rates` is solved
    exactly: stable for any rate, unlike forward Euler.

    With ``plastic`` the compartment's NMDA synapses come from a plastic
    pathway with event-driven gating. Their conductance is then exactly
    ``w_nmda_in`` times the sum of their gating variables (each jump is
    delivered with weight ``nsyn * w``, and every term decays with
    tau_nmda_decay), so the mean open fraction is that conductance over
    ``w_nmda_in`` times the number of synapses, ``conn_den_exc``: no sum over
    the candidate pool at every step (which would cost per candidate).
    Right after an update deletes synapses their decaying conductance still
    counts for a few tau_decay; the access is clipped to [0, 1].
    """
    s = comp.sfx
    lines = []
    if plastic:
        lines.append(f"o_nmda_{s} = int(conn_den_exc > 0) * g_nmda_{s} / "
                     "(w_nmda_in * clip(conn_den_exc, 1, inf))")
    return "\n".join(lines + [
        f"oc_ket_{s} = clip(o_nmda_{s}, 0, 1)",
        # access: open and free of Mg2+; leaving: open (or untrapped) at the 0-Mg2+ rate
        f"gain_ket_{s} = ket_on * oc_ket_{s} * mg_{s} * kon_ket * ketamine_conc(t)",
        f"loss_ket_{s} = kon_ket * kket_{s} * (oc_ket_{s} + (1 - oc_ket_{s})*(1 - trap_ket))",
        f"rate_ket_{s} = gain_ket_{s} + loss_ket_{s}",
        f"binf_ket_{s} = gain_ket_{s} / (rate_ket_{s} + 1e-12/ms)",
        f"bket_{s} = binf_ket_{s} + (bket_{s} - binf_ket_{s}) * exp(-rate_ket_{s}*dt)",
    ])


def nmda_gating_equations(gating: str) -> tuple[list[str], set[str]]:
    """Presynaptic NMDA gating of an excitatory cell.

    ``exact``: x and s of Wang (2002), ds/dt = -s/tau_d + alpha x (1 - s),
    dx/dt = -x/tau_r, x += 1 at each spike. All synapses of one presynaptic
    cell see the same spike train, so their gating variables are identical
    and are computed once per cell rather than once per synapse.

    ``event``: NEST ``iaf_bw_2001``: s decays with tau_d and jumps by
    k0 + k1 s at each spike; the jump is delivered to the targets.
    """
    if gating == "exact":
        return (
            [
                "dx_nmda/dt = -x_nmda/tau_nmda_rise : 1",
                "ds_nmda/dt = -s_nmda/tau_nmda_decay + alpha_nmda*x_nmda*(1 - s_nmda) : 1",
            ],
            {"tau_nmda_rise", "tau_nmda_decay", "alpha_nmda"},
        )
    return (
        ["ds_nmda/dt = -s_nmda/tau_nmda_decay : 1", "nmda_jump : 1"],
        {"tau_nmda_decay", "k0_nmda", "k1_nmda"},
    )


PARAM_UNITS = {
    "C_s": "farad",
    "C_d": "farad",
    "g_L_s": "siemens",
    "g_L_d": "siemens",
    "g_c": "siemens",
    "E_L": "volt",
    "V_th": "volt",
    "V_reset": "volt",
    "t_ref": "second",
    "bap": "volt",
    "tau_ampa": "second",
    "tau_nmda_rise": "second",
    "tau_nmda_decay": "second",
    "alpha_nmda": "hertz",
    "k0_nmda": "1",
    "k1_nmda": "1",
    "tau_gaba_pv": "second",
    "tau_gaba_sst": "second",
    "E_exc": "volt",
    "E_inh": "volt",
    "Mg": "mmolar",
    "mg_k0": "mmolar",
    "mg_slope": "1/volt",
    "ket_on": "1",
    "kon_ket": "hertz/mmolar",
    "trap_ket": "1",
    "k0_ket": "mmolar",
    "hold_ket": "1",
    "hill_ket": "1",
    "delta_ket": "1",
    "v_ref_ket": "volt",
    "V_T": "volt",
    "ext_rate": "hertz",
    "g_ext": "siemens",
    "w_nmda_in": "siemens",
}


IAF_PARAM_UNITS = {
    "C_s": "farad",
    "tau_m": "second",
    "E_L": "volt",
    "V_th": "volt",
    "V_reset": "volt",
    "t_ref": "second",
    "tau_syn_ex": "second",
    "tau_syn_in": "second",
    "I_e": "amp",
    "ext_rate": "hertz",
    "psc_ext": "amp",
}


def iaf_psc_alpha_equations() -> list[str]:
    """NEST ``iaf_psc_alpha`` (models/iaf_psc_alpha.h) as linear equations.

    Alpha PSCs as two linear stages: a spike adds ``w e / tau_syn`` to ``y``,
    giving I(t) = w e (t/tau_syn) exp(-t/tau_syn), peak w at tau_syn.
    Integrated exactly (Brian2 ``exact``), as NEST does. ``I_syn_s`` is the
    outward synaptic current, as in the conductance cells (LFP proxy).
    """
    return [
        "dv/dt = -(v - E_L)/tau_m + (I_ex + I_in + I_e)/C_s : volt (unless refractory)",
        "dI_ex/dt = y_ex - I_ex/tau_syn_ex : amp",
        "dy_ex/dt = -y_ex/tau_syn_ex : amp/second",
        "dI_in/dt = y_in - I_in/tau_syn_in : amp",
        "dy_in/dt = -y_in/tau_syn_in : amp/second",
        "I_syn_s = -(I_ex + I_in) : amp",
    ]


# iaf_psc_delta: no synaptic time constants, a PSP jump instead of a PSC
IAF_DELTA_PARAM_UNITS = {
    **{k: v for k, v in IAF_PARAM_UNITS.items()
       if k not in ("tau_syn_ex", "tau_syn_in", "psc_ext")},
    "psp_ext": "volt",
}


def iaf_psc_delta_equations() -> list[str]:
    """NEST ``iaf_psc_delta`` (models/iaf_psc_delta.h): a spike makes v jump.

    The leak is integrated exactly; synaptic and external spikes add their
    PSP to v, and are dropped while the cell is refractory (NEST's default,
    ``refractory_input`` false).
    """
    return ["dv/dt = -(v - E_L)/tau_m + I_e/C_s : volt (unless refractory)"]


def neuron_equations(spec: PopulationSpec) -> tuple[str, list[str]]:
    """Model equations of a population and the names of its parameters.

    Returns
    -------
    equations : str
        Brian2 equations, parameters declared ``(shared, constant)``.
    params : list of str
        Names of the shared parameters, to be set as run-time inputs.
    """
    if spec.cell_model in ("iaf_psc_alpha", "iaf_psc_delta"):
        alpha = spec.cell_model == "iaf_psc_alpha"
        base = IAF_PARAM_UNITS if alpha else IAF_DELTA_PARAM_UNITS
        lines = (iaf_psc_alpha_equations() if alpha else iaf_psc_delta_equations())
        lines = lines + spec.extra_equations
        lines += [f"p_from_{src} : 1 (shared, constant)" for src in spec.presynaptic_sources]
        units = {**base, **spec.extra_params}
        names = sorted(set(base) | set(spec.extra_params))
        lines += [f"{name} : {units[name]} (shared, constant)" for name in names]
        return "\n".join(lines), names
    lines: list[str] = []
    params = {"C_s", "g_L_s", "E_L", "V_th", "V_reset", "t_ref", "ext_rate", "g_ext"}
    if spec.has_dendrite:
        lines += [
            "dv/dt = (-g_L_s*(v - E_L) - g_c*(v - v_d) - I_syn_s)/C_s : volt (unless refractory)",
            "dv_d/dt = (-g_L_d*(v_d - E_L) - g_c*(v_d - v) - I_syn_d)/C_d : volt",
        ]
        params |= {"C_d", "g_L_d", "g_c", "bap"}
    else:
        lines.append("dv/dt = (-g_L_s*(v - E_L) - I_syn_s)/C_s : volt (unless refractory)")
    for comp in spec.compartments.values():
        comp_lines, comp_params = _compartment_equations(
            comp, spec.nmda_gating, spec.ketamine_kinetics
        )
        lines += comp_lines
        params |= comp_params
    if spec.ketamine_kinetics and spec.nmda_plastic:
        params.add("w_nmda_in")
    if spec.nmda_source:
        gate_lines, gate_params = nmda_gating_equations(spec.nmda_gating)
        lines += gate_lines
        params |= gate_params
    for src in spec.presynaptic_sources:
        lines.append(f"p_from_{src} : 1 (shared, constant)")
    lines += spec.extra_equations
    units = {**PARAM_UNITS, **spec.extra_params}
    names = sorted(params | set(spec.extra_params))
    for name in names:
        lines.append(f"{name} : {units[name]} (shared, constant)")
    return "\n".join(lines), names


def reset_code(spec: PopulationSpec) -> str:
    """Reset statements at a somatic spike."""
    code = ["v = V_reset"]
    if spec.has_dendrite:
        code.append("v_d += bap")
    if spec.nmda_source:
        if spec.nmda_gating == "exact":
            code.append("x_nmda += 1")
        else:
            code += ["nmda_jump = k0_nmda + k1_nmda*s_nmda", "s_nmda += nmda_jump"]
    code += spec.extra_reset
    return "\n".join(code)

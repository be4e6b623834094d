"""NMDA receptor block by Mg2+ and by ketamine.

Mg2+ block (Jahr & Stevens 1990, J Neurosci 10:3178, as used by Brunel & Wang
2001 and Brian2's ``Wang_2002.py`` example)::

    B(V) = 1 / (1 + [Mg]/3.57 mM * exp(-0.062 V/mV))

is the fraction of NMDA conductance *not* blocked by Mg2+.

Ketamine is an open-channel, trapping blocker (Orser, Pennefather & MacDonald
1997, Anesthesiology 86:903; Kotermanski, Wood & Johnson 2009, J Physiol
587:4589). At equilibrium with concentration C the blocked fraction follows a
Woodhull (1973, J Gen Physiol 61:687) single-site law::

    b(C, V) = C^n / (C^n + K(V)^n),  K(V) = IC50 * exp(delta * (V - V_ref) / V_T)

with V_T = R*T/F, so depolarisation weakens block the way it does for the
Mg2+ ion whose site ketamine shares. IC50 is the measured value at V_ref; with
``delta = 0`` (the ``hill`` block model) b is the plain Hill curve.

Hypotheses: which receptors ketamine blocks most
------------------------------------------------
The preferential block of NMDA receptors on interneurons is a hypothesis,
not a settled fact, so it is a named, switchable parameter set:

``glun2cd_interneurons`` (default)
    IC50s measured in 1 mM Mg2+ at -66 mV by Kotermanski & Johnson (2009,
    J Neurosci 29:2774): GluN2A 5.35 and GluN2B 5.08 uM (mean 5.2 uM on
    pyramidal E->E synapses), GluN2D 2.95 uM on E->PV synapses (GluN2D in
    PV interneurons: von Engelhardt et al. 2015, eLife 4:e07403) and GluN2C
    1.18 uM on E->SST synapses. Physiological Mg2+ makes ketamine prefer
    GluN2C/D, a mechanistic route to preferential interneuron block.
``equal_affinity``
    5.2 uM on every pathway (the null hypothesis of Susin & Destexhe 2023,
    eNeuro 10:ENEURO.0157-23.2023, under which gamma does not rise).
``exc_only``
    Only E->E receptors are blocked (GluN2A/B, 5.2 uM).
``interneurons_only``
    Only E->PV and E->SST receptors are blocked (GluN2D/GluN2C values).
``glun2b_interneurons``
    Gerhard et al. (2020, J Clin Invest 130:1336): knocking down GluN2B in
    GABA interneurons (SST, and PV), but not in pyramidal cells, abolishes
    ketamine's antidepressant action. Interneuron receptors are GluN2B-like
    (5.08 uM in Mg2+) and pyramidal ones GluN2A-like (5.35 uM). The affinity
    hardly differs, so any preference for interneurons must come from use:
    run it with ``block_model: kinetic``, where block builds up only while
    channels open (and are free of Mg2+), which differs between cell classes
    by their input and voltage; with partial trapping (``trapping < 1``) it
    also differs at steady state.

Use-dependent trapping block (``block_model: kinetic``)
-------------------------------------------------------
Ketamine reaches its deep pore site only through an open channel and is
trapped when the channel closes (Kotermanski, Wood & Johnson 2009, J
Physiol 587:4589, fig. 5; Orser et al. 1997). The fraction ``b`` of a
compartment's NMDA receptors holding ketamine then obeys::

    db/dt = a * (k_on C (1 - b) - k_off(V) b) - (1 - a) (1 - trapping) k_off(V) b

with ``a = o * B_Mg(V)`` the fraction of receptors that are open (mean
gating ``o`` of the compartment's synapses) and free of Mg2+, and
``k_off(V) = k_on K(V)``, so that at constant ``a`` and full trapping the
steady state is the Woodhull curve above with ``n = 1``: the equilibrium is
unchanged, only how fast it is reached depends on use. With ``trapping < 1``
a closed channel also loses ketamine, and busier receptors hold more block.
The default ``k_on = 0.144 /uM/ms`` is derived from Orser et al. (1997): 1 uM
ketamine shortened the mean open time of NMDA channels from 3.26 ms to 68 %
of it, so ``k_on * 1 uM = 1/(0.68 * 3.26 ms) - 1/(3.26 ms)`` [derived; the
recording solution's Mg2+ is not stated in the abstract, to verify].

The electrical distance ``delta = 0.8`` is a recalled literature value for
ketamine's site deep in the pore (MacDonald et al. 1991, J Physiol 432:483)
and is flagged for verification in docs/MODEL.md.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "FARADAY",
    "GAS_CONSTANT",
    "HYPOTHESES",
    "MG_BLOCK_EXPRESSION",
    "K_ON_PER_UM_MS",
    "kinetic_block_rates",
    "kinetic_block_step",
    "ketamine_block",
    "mg_block",
    "thermal_voltage",
]

FARADAY = 96485.33212  # C/mol
GAS_CONSTANT = 8.314462618  # J/(mol K)

#: Brian2 expression of the Mg2+ unblocked fraction at voltage ``V``.
MG_BLOCK_EXPRESSION = "1 / (1 + Mg / (3.57*mM) * exp(-0.062 * {V} / mV))"

_GLUN2AB = {"ic50": "5.2 uM", "hill": 1.0}
_GLUN2A = {"ic50": "5.35 uM", "hill": 1.0}
_GLUN2B = {"ic50": "5.08 uM", "hill": 1.0}
_GLUN2C = {"ic50": "1.18 uM", "hill": 1.0}
_GLUN2D = {"ic50": "2.95 uM", "hill": 1.0}

#: Named per-pathway parameter sets (see module docstring for sources).
HYPOTHESES: dict[str, dict[str, dict]] = {
    "glun2cd_interneurons": {
        "exc_to_exc": _GLUN2AB,
        "exc_to_pv": _GLUN2D,
        "exc_to_sst": _GLUN2C,
    },
    "equal_affinity": {
        "exc_to_exc": _GLUN2AB,
        "exc_to_pv": _GLUN2AB,
        "exc_to_sst": _GLUN2AB,
    },
    "exc_only": {
        "exc_to_exc": _GLUN2AB,
        "exc_to_pv": {**_GLUN2D, "blocked": False},
        "exc_to_sst": {**_GLUN2C, "blocked": False},
    },
    "interneurons_only": {
        "exc_to_exc": {**_GLUN2AB, "blocked": False},
        "exc_to_pv": _GLUN2D,
        "exc_to_sst": _GLUN2C,
    },
    "glun2b_interneurons": {
        "exc_to_exc": _GLUN2A,
        "exc_to_pv": _GLUN2B,
        "exc_to_sst": _GLUN2B,
    },
}

#: Ketamine association rate with an open NMDA channel, per uM per ms
#: (derived from Orser, Pennefather & MacDonald 1997; module docstring).
K_ON_PER_UM_MS = 1.0 / (0.68 * 3.26) - 1.0 / 3.26


def thermal_voltage(temperature_C: float) -> float:
    """R*T/F in volts at ``temperature_C`` degrees Celsius (26.6 mV at 35 C).

    Parameters
    ----------
    temperature_C : float
        Temperature in degrees Celsius.

    Returns
    -------
    float
        Thermal voltage V_T = R*T/F in volts (not mV).
    """
    return GAS_CONSTANT * (temperature_C + 273.15) / FARADAY


def mg_block(v_mV, mg_mM: float = 1.0):
    """Fraction of NMDA conductance not blocked by Mg2+ (Jahr & Stevens 1990).

    Parameters
    ----------
    v_mV : float or array
        Membrane potential in mV.
    mg_mM : float
        Extracellular Mg2+ in mM.

    Returns
    -------
    float or array
        B(V) = 1 / (1 + [Mg]/3.57 mM * exp(-0.062 V/mV)), between 0 and 1,
        with the shape of ``v_mV``.
    """
    v = np.asarray(v_mV, dtype=float)
    return 1.0 / (1.0 + mg_mM / 3.57 * np.exp(-0.062 * v))


def ketamine_block(
    conc_uM,
    ic50_uM: float,
    hill: float = 1.0,
    v_mV=None,
    delta: float = 0.0,
    v_ref_mV: float = -66.0,
    temperature_C: float = 35.0,
):
    """Fraction of NMDA receptors blocked by ketamine.

    Parameters
    ----------
    conc_uM : float or array
        Ketamine concentration in uM.
    ic50_uM : float
        Half-blocking concentration at ``v_ref_mV``.
    hill : float
        Hill coefficient n.
    v_mV : float or array, optional
        Membrane potential; needed when ``delta > 0`` (Woodhull block).
    delta : float
        Electrical distance of the binding site (0 gives the Hill curve).
    v_ref_mV : float
        Voltage at which ``ic50_uM`` was measured.
    temperature_C : float
        Temperature for R*T/F.

    Returns
    -------
    float or array
        b = C^n / (C^n + K(V)^n) with K(V) = IC50 exp(delta (V - V_ref) / V_T).
    """
    c = np.asarray(conc_uM, dtype=float)
    if np.any(c < 0):
        raise ValueError(f"conc_uM must be >= 0, got {conc_uM!r}")
    if ic50_uM <= 0:
        raise ValueError(f"ic50_uM must be > 0, got {ic50_uM!r}")
    k = ic50_uM
    if delta:
        if v_mV is None:
            raise ValueError("v_mV is required when delta > 0 (Woodhull block)")
        vt_mV = thermal_voltage(temperature_C) * 1e3
        k = ic50_uM * np.exp(delta * (np.asarray(v_mV, dtype=float) - v_ref_mV) / vt_mV)
    cn = c**hill
    return cn / (cn + np.asarray(k) ** hill)


def kinetic_block_rates(
    conc_uM,
    access,
    k_on_per_uM_ms: float,
    k_d_uM,
    trapping: float = 1.0,
):
    """Steady state and relaxation rate of the use-dependent block.

    Parameters
    ----------
    conc_uM : float or array
        Ketamine concentration C.
    access : float or array
        Fraction ``a`` of receptors open and free of Mg2+ (0 to 1).
    k_on_per_uM_ms : float
        Association rate with an open channel.
    k_d_uM : float or array
        Dissociation constant K(V) at the current voltage (IC50 for n = 1).
    trapping : float
        Fraction of bound ketamine that stays trapped when the channel closes.

    Returns
    -------
    b_inf, rate_per_ms : arrays
        ``db/dt = rate * (b_inf - b)``.
    """
    c = np.asarray(conc_uM, dtype=float)
    a = np.asarray(access, dtype=float)
    k_off = k_on_per_uM_ms * np.asarray(k_d_uM, dtype=float)
    gain = a * k_on_per_uM_ms * c
    loss = a * k_off + (1.0 - a) * (1.0 - trapping) * k_off
    rate = gain + loss
    with np.errstate(invalid="ignore", divide="ignore"):
        b_inf = np.where(rate > 0, gain / np.where(rate > 0, rate, 1.0), 0.0)
    return b_inf, rate


def kinetic_block_step(b, dt_ms: float, conc_uM, access, k_on_per_uM_ms, k_d_uM, trapping=1.0):
    """Advance the block fraction ``b`` by ``dt_ms`` with the exact exponential step.

    Inputs are held constant over the step; this is the update the compiled
    network performs (see :func:`kinetic_block_rates`).

    Parameters
    ----------
    b : float or array
        Fraction of receptors holding ketamine at the start of the step.
    dt_ms : float
        Step length in ms.
    conc_uM : float or array
        Ketamine concentration C in uM.
    access : float or array
        Fraction ``a`` of receptors open and free of Mg2+ (0 to 1).
    k_on_per_uM_ms : float
        Association rate with an open channel, per uM per ms.
    k_d_uM : float or array
        Dissociation constant K(V) in uM at the current voltage.
    trapping : float
        Fraction of bound ketamine that stays trapped when the channel closes.

    Returns
    -------
    numpy.ndarray
        Block fraction after the step,
        ``b_inf + (b - b_inf) * exp(-rate * dt_ms)`` (broadcast shape of the inputs).
    """
    b_inf, rate = kinetic_block_rates(conc_uM, access, k_on_per_uM_ms, k_d_uM, trapping)
    return b_inf + (np.asarray(b, dtype=float) - b_inf) * np.exp(-rate * dt_ms)

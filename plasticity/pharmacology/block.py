"""NMDA receptor block by Mg2+ and by ketamine, competing for the channel.

Mg2+ block (Woodhull 1973 form, Jahr & Stevens 1990, J Neurosci 10:3178)::

    B_Mg(V) = 1 / (1 + [Mg] / K_Mg(V)),   K_Mg(V) = K_Mg0 * exp(s * V)

is the fraction of open NMDA channels *not* blocked by Mg2+. Jahr & Stevens
fitted K_Mg0 = 3.57 mM and s = 0.062 /mV on hippocampal (GluN2A/B)
channels; Brunel & Wang (2001) and Brian2's ``Wang_2002.py`` use it.

Ketamine and Mg2+ compete for one site in the pore
---------------------------------------------------
Ketamine is an open-channel blocker whose deep site overlaps the Mg2+ site
(Kotermanski & Johnson 2009, J Neurosci 29:2774). A channel is open and
free, Mg2+-blocked or ketamine-blocked, so at equilibrium the fraction of
open channels that conducts is::

    g / g_max = 1 / (1 + [Mg]/K_Mg(V) + C/K_ket(V))
    K_ket(V) = K0 * exp(delta * (V - V_ref) / V_T),   V_T = R T / F

with K0 the ketamine IC50 measured *without* Mg2+ at V_ref. Factoring out
the Mg2+ block, ketamine removes the fraction::

    b(C, V) = C / (C + IC50_Mg(V)),   IC50_Mg(V) = K_ket(V) * (1 + [Mg]/K_Mg(V))

of the Mg2+-limited current, so ``g = B_Mg(V) (1 - b)``. The IC50 in Mg2+ is
an output of the model, not an input: depolarisation expels Mg2+ and lets
ketamine in, so in Mg2+ the block *strengthens* with depolarisation from
rest, while without Mg2+ it weakens (block of ketamine alone is relieved by
depolarisation: 10 uM ketamine block "increased with membrane
hyperpolarization" in cultured neurones, Br J Pharmacol abstract at
PMC1854359 [V]). A Hill coefficient
n != 1 (``hill``) applies to C / IC50_Mg(V); one site per channel means n = 1.

Numbers per GluN2 subunit (Kotermanski & Johnson 2009, HEK cells, -66 mV;
values as listed in the project's science reference, section 4.1 [R])::

    subunit  K0 (0 Mg)  IC50 in 1 mM Mg  K_Mg0            IC50_Mg(-66) of the model
    2A       0.33 uM    5.35 uM          3.57 mM [JS]     5.86 uM (+10 %)
    2B       0.31 uM    5.08 uM          3.57 mM [JS]     5.51 uM (+8 %)
    2C       0.51 uM    1.18 uM          45.6 mM [fit]    1.18 uM (by construction)
    2D       0.83 uM    2.95 uM          23.4 mM [fit]    2.95 uM (by construction)

For GluN2A/B the Mg2+ block is Jahr & Stevens' [JS], independent of the
ketamine data, and the model's IC50 in Mg2+ at -66 mV is a prediction within
10 % of the measured one. For GluN2C/D no Mg2+ affinity could be read from
the primary papers (Kuner & Schoepfer 1996, J Neurosci 16:3549; Qian,
Buller & Johnson 2005, J Physiol 562:319), so K_Mg0 is *inferred* [fit] from
Kotermanski & Johnson's own pair of IC50s without and with Mg2+ (K_Mg(-66) =
1 mM / (IC50_Mg/K0 - 1)), keeping Jahr & Stevens' slope. The independent
check is Qian et al. 2005 (abstract): Mg2+ inhibits GluN1/2D "at least
4-fold" more weakly than GluN1/2A at every voltage; the inferred K_Mg0 is
6.6-fold (2D) and 12.8-fold (2C) that of 2A/B, and GluN2C/D are much less
Mg2+-sensitive than 2A/B (Kuner & Schoepfer 1996; Monyer et al. 1994).

The ketamine electrical distance ``delta = 0.8`` (charge +1) is our choice:
no measured value could be read (MacDonald et al. 1991, J Physiol 432:483 is
the recalled source); it sets how much the 0-Mg2+ affinity falls with
depolarisation. ``experiments/ketamine_block_vs_voltage.py`` shows the block
against voltage for delta 0, 0.4 and 0.8.

Hypotheses: which receptors ketamine blocks most
------------------------------------------------
The preferential block of NMDA receptors on interneurons is a hypothesis,
not a settled fact, so it is a named, switchable parameter set:

``glun2cd_interneurons`` (default)
    Pyramidal E->E receptors GluN2A/B (K0 0.32 uM, mean of 2A and 2B),
    GluN2D on E->PV synapses (GluN2D in PV interneurons: von Engelhardt et
    al. 2015, eLife 4:e07403) and GluN2C on E->SST synapses, each with its
    own Mg2+ block. Physiological Mg2+ makes ketamine prefer GluN2C/D: a
    mechanistic route to preferential interneuron block.
``equal_affinity``
    The null hypothesis of Susin & Destexhe (2023, eNeuro
    10:ENEURO.0157-23.2023), under which gamma does not rise: ketamine blocks
    every pathway equally at rest, i.e. the IC50 in 1 mM Mg2+ at -66 mV is
    GluN2A/B's (5.69 uM) everywhere. The interneuron pathways keep their
    GluN2D/GluN2C Mg2+ block, so the drug-free network is the same as under
    the default; only the ketamine affinity without Mg2+ is changed (k0 1.60
    uM on E->PV, 2.46 uM on E->SST, [D] from IC50_Mg = k0 (1 + [Mg]/K_Mg)).
``exc_only``
    Only E->E receptors are blocked (GluN2A/B).
``interneurons_only``
    Only E->PV and E->SST receptors are blocked (GluN2D/GluN2C).
``glun2b_interneurons``
    Gerhard et al. (2020, J Clin Invest 130:1336): knocking down GluN2B in
    GABA interneurons (SST, and PV), but not in pyramidal cells, abolishes
    ketamine's antidepressant action. Interneuron receptors are GluN2B and
    pyramidal ones GluN2A. The affinity hardly differs, so any preference for
    interneurons must come from use: run it with ``block_model: kinetic``.
    GluN2B carries the strong Mg2+ block of GluN2A/B, so the drug-free network
    differs from the default's (less NMDA drive to interneurons).
``glun2b_pyramidal``
    Miller et al. (2014, eLife 3:e03581): deleting GluN2B from cortical
    principal neurons only mimics and occludes ketamine's actions on
    behaviour, excitatory transmission, mTOR activation and synaptic protein
    synthesis; these receptors are activated by ambient glutamate at rest.
    The drug acts through pyramidal GluN2B (E->E receptors GluN2B, blocked);
    the interneuron pathways keep the default's subunits and Mg2+ block but
    are not blocked, so the drug-free network is the default's and there is
    no disinhibition: the block at rest of pyramidal cells is all the drug
    does. The opposite of ``glun2b_interneurons``; set
    ``receptors.exc_to_pv.blocked: true`` to add the interneuron block back.
``hnk_ampa``
    Zanos et al. (2016, Nature 533:481): the antidepressant action needs the
    metabolite (2R,6R)-hydroxynorketamine, which acts through AMPA receptors
    without NMDA block. No pathway is blocked (the default subunits' Mg2+
    block stays); HNK from the PK's metabolite compartment potentiates AMPA
    weights (``pharmacology.hnk_action``, on with this preset;
    ``protocol.metabolites`` is required).

Use-dependent trapping block (``block_model: kinetic``)
-------------------------------------------------------
Ketamine reaches its site only through an open, Mg2+-free channel and is
trapped when the channel closes (Kotermanski, Wood & Johnson 2009, J
Physiol 587:4589, fig. 5; Orser et al. 1997). The fraction ``b`` of a
compartment's NMDA receptors holding ketamine obeys::

    db/dt = o B_Mg(V) k_on C (1 - b) - (o + (1 - o)(1 - trapping)) k_off(V) b

with ``o`` the mean open fraction of the compartment's NMDA channels. The
competition with Mg2+ is in the access term ``o B_Mg(V)`` only: a channel
holding ketamine holds no Mg2+, so ketamine leaves an open channel at the
0-Mg2+ rate ``k_off(V) = k_on K_ket(V)``. At constant ``o`` and full
trapping the steady state is the equilibrium above, ``C / (C + IC50_Mg(V))``;
use sets only how fast it is reached. With ``trapping < 1`` a closed
channel also loses ketamine, and busier receptors hold more block.

Rates: ``k_on = 0.144 /uM/ms`` from Orser, Pennefather & MacDonald (1997,
Anesthesiology 86:903): 1 uM shortened the mean open time of NMDA channels
from 3.26 ms to 68 % of it, ``k_on * 1 uM = 1/(0.68 * 3.26 ms) - 1/(3.26 ms)``
[derived]. ``k_off = k_on K0`` (0.046 /ms for GluN2A/B at -66 mV, a mean
blocked dwell of 22 ms) then follows from the 0-Mg2+ IC50. The same patches
give an independent check: 1 uM cut the open probability to 24 % of
control; the scheme predicts K0/(K0 + C) = 24 % for K0 = 0.32 uM (0.1 uM:
measured 53 %, predicted 76 %; Orser et al. attribute the excess to a
second, closed-channel mechanism, which is not modelled). Macroscopic time
constants at open fraction ``o`` are ``1/(o (B_Mg k_on C + k_off))`` for onset
and ``1/(o k_off)`` for recovery; no measured recovery time constant could
be read (Kotermanski et al. 2009 full text), which docs/MODEL.md lists.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "FARADAY",
    "GAS_CONSTANT",
    "HYPOTHESES",
    "JAHR_STEVENS_K0_MM",
    "JAHR_STEVENS_SLOPE_PER_MV",
    "K_ON_PER_UM_MS",
    "MG_BLOCK_EXPRESSION",
    "SUBUNITS",
    "ic50_in_mg_uM",
    "ketamine_affinity_uM",
    "ketamine_block",
    "kinetic_block_rates",
    "kinetic_block_step",
    "mg_affinity_mM",
    "mg_block",
    "thermal_voltage",
]

FARADAY = 96485.33212  # C/mol
GAS_CONSTANT = 8.314462618  # J/(mol K)

#: Jahr & Stevens (1990): Mg2+ dissociation constant at 0 mV and its slope.
JAHR_STEVENS_K0_MM = 3.57
JAHR_STEVENS_SLOPE_PER_MV = 0.062

#: Brian2 expression of the Mg2+ unblocked fraction at voltage ``V``, with the
#: per-pathway parameters ``mg_k0`` (mmolar) and ``mg_slope`` (1/volt).
MG_BLOCK_EXPRESSION = "1 / (1 + Mg / (mg_k0 * exp(mg_slope * {V})))"

#: Ketamine and Mg2+ parameters per GluN2 subunit (module docstring):
#: ``k0`` ketamine IC50 without Mg2+ at -66 mV (Kotermanski & Johnson 2009),
#: ``mg_k0`` Mg2+ dissociation constant at 0 mV (2A/B: Jahr & Stevens 1990;
#: 2C/D: inferred from Kotermanski & Johnson's IC50s with and without Mg2+).
#: ``ic50_mg_measured`` is the measured IC50 in 1 mM Mg2+ at -66 mV, kept to
#: compare the model's output with.
SUBUNITS: dict[str, dict] = {
    "GluN2A": {"k0": "0.33 uM", "mg_k0": "3.57 mM", "ic50_mg_measured_uM": 5.35},
    "GluN2B": {"k0": "0.31 uM", "mg_k0": "3.57 mM", "ic50_mg_measured_uM": 5.08},
    "GluN2C": {"k0": "0.51 uM", "mg_k0": "45.6 mM", "ic50_mg_measured_uM": 1.18},
    "GluN2D": {"k0": "0.83 uM", "mg_k0": "23.4 mM", "ic50_mg_measured_uM": 2.95},
    # pyramidal E->E synapses: a GluN2A/B mixture, the mean of the two
    "GluN2A/B": {"k0": "0.32 uM", "mg_k0": "3.57 mM", "ic50_mg_measured_uM": 5.2},
}


def _receptor(name: str, **extra) -> dict:
    """A pathway's block parameters: subunit ``name`` of :data:`SUBUNITS`, with ``extra``."""
    entry = {k: v for k, v in SUBUNITS[name].items() if k != "ic50_mg_measured_uM"}
    return {"subunit": name, **entry, "hill": 1.0, **extra}


#: Named per-pathway parameter sets (see module docstring for sources).
HYPOTHESES: dict[str, dict[str, dict]] = {
    "glun2cd_interneurons": {
        "exc_to_exc": _receptor("GluN2A/B"),
        "exc_to_pv": _receptor("GluN2D"),
        "exc_to_sst": _receptor("GluN2C"),
    },
    "equal_affinity": {
        "exc_to_exc": _receptor("GluN2A/B"),
        # the subunit's Mg2+ block, with the ketamine affinity that gives GluN2A/B's
        # IC50 in 1 mM Mg2+ at -66 mV (5.69 uM): k0 = 5.6856 uM / (1 + 1 mM / K_Mg(-66 mV))
        "exc_to_pv": _receptor("GluN2D", k0="1.598 uM",
                               subunit="GluN2D (GluN2A/B ketamine affinity in Mg2+)"),
        "exc_to_sst": _receptor("GluN2C", k0="2.458 uM",
                                subunit="GluN2C (GluN2A/B ketamine affinity in Mg2+)"),
    },
    "exc_only": {
        "exc_to_exc": _receptor("GluN2A/B"),
        "exc_to_pv": _receptor("GluN2D", blocked=False),
        "exc_to_sst": _receptor("GluN2C", blocked=False),
    },
    "interneurons_only": {
        "exc_to_exc": _receptor("GluN2A/B", blocked=False),
        "exc_to_pv": _receptor("GluN2D"),
        "exc_to_sst": _receptor("GluN2C"),
    },
    "glun2b_interneurons": {
        "exc_to_exc": _receptor("GluN2A"),
        "exc_to_pv": _receptor("GluN2B"),
        "exc_to_sst": _receptor("GluN2B"),
    },
    "glun2b_pyramidal": {
        "exc_to_exc": _receptor("GluN2B"),
        "exc_to_pv": _receptor("GluN2D", blocked=False),
        "exc_to_sst": _receptor("GluN2C", blocked=False),
    },
    "hnk_ampa": {
        "exc_to_exc": _receptor("GluN2A/B", blocked=False),
        "exc_to_pv": _receptor("GluN2D", blocked=False),
        "exc_to_sst": _receptor("GluN2C", blocked=False),
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


def mg_affinity_mM(v_mV, k0_mM: float = JAHR_STEVENS_K0_MM,
                   slope_per_mV: float = JAHR_STEVENS_SLOPE_PER_MV):
    """Mg2+ dissociation constant of the open channel, K_Mg(V) = K_Mg0 exp(s V).

    Parameters
    ----------
    v_mV : float or array
        Membrane potential in mV.
    k0_mM : float
        K_Mg0, the dissociation constant at 0 mV (Jahr & Stevens 1990: 3.57 mM).
    slope_per_mV : float
        s, its e-fold change per mV (Jahr & Stevens 1990: 0.062 /mV).

    Returns
    -------
    float or array
        K_Mg(V) in mM, with the shape of ``v_mV``.
    """
    return k0_mM * np.exp(slope_per_mV * np.asarray(v_mV, dtype=float))


def mg_block(v_mV, mg_mM: float = 1.0, k0_mM: float = JAHR_STEVENS_K0_MM,
             slope_per_mV: float = JAHR_STEVENS_SLOPE_PER_MV):
    """Fraction of NMDA conductance not blocked by Mg2+, B = 1 / (1 + [Mg]/K_Mg(V)).

    Parameters
    ----------
    v_mV : float or array
        Membrane potential in mV.
    mg_mM : float
        Extracellular Mg2+ in mM.
    k0_mM, slope_per_mV : float
        Mg2+ affinity of the subunit (see :func:`mg_affinity_mM`); the
        defaults are Jahr & Stevens' (1990) GluN2A/B values.

    Returns
    -------
    float or array
        B(V) between 0 and 1, with the shape of ``v_mV``.
    """
    return 1.0 / (1.0 + mg_mM / mg_affinity_mM(v_mV, k0_mM, slope_per_mV))


def ketamine_affinity_uM(k0_uM: float, v_mV=None, delta: float = 0.0,
                         v_ref_mV: float = -66.0, temperature_C: float = 35.0):
    """Ketamine dissociation constant without Mg2+, K_ket(V) = K0 exp(delta (V - V_ref)/V_T).

    Parameters
    ----------
    k0_uM : float
        IC50 without Mg2+ at ``v_ref_mV``.
    v_mV : float or array, optional
        Membrane potential; needed when ``delta > 0``.
    delta : float
        Electrical distance of the site for a charge of +1 (0: no voltage dependence).
    v_ref_mV : float
        Voltage at which ``k0_uM`` was measured.
    temperature_C : float
        Temperature for R*T/F.

    Returns
    -------
    float or array
        K_ket(V) in uM.
    """
    if k0_uM <= 0:
        raise ValueError(f"k0_uM must be > 0, got {k0_uM!r}")
    if not delta:
        return k0_uM if v_mV is None else np.full(np.shape(v_mV), float(k0_uM))
    if v_mV is None:
        raise ValueError("v_mV is required when delta > 0 (voltage-dependent block)")
    vt_mV = thermal_voltage(temperature_C) * 1e3
    return k0_uM * np.exp(delta * (np.asarray(v_mV, dtype=float) - v_ref_mV) / vt_mV)


def ic50_in_mg_uM(k0_uM: float, v_mV, mg_mM: float = 1.0, *, delta: float = 0.0,
                  v_ref_mV: float = -66.0, mg_k0_mM: float = JAHR_STEVENS_K0_MM,
                  mg_slope_per_mV: float = JAHR_STEVENS_SLOPE_PER_MV,
                  temperature_C: float = 35.0):
    """Ketamine IC50 in the presence of Mg2+: IC50_Mg(V) = K_ket(V) (1 + [Mg]/K_Mg(V)).

    Parameters
    ----------
    k0_uM : float
        Ketamine IC50 without Mg2+ at ``v_ref_mV``.
    v_mV : float or array
        Membrane potential in mV.
    mg_mM : float
        Extracellular Mg2+ in mM.
    delta, v_ref_mV, temperature_C
        Voltage dependence of the ketamine affinity (:func:`ketamine_affinity_uM`).
    mg_k0_mM, mg_slope_per_mV : float
        Mg2+ affinity of the subunit (:func:`mg_affinity_mM`).

    Returns
    -------
    float or array
        The concentration (uM) that removes half of the Mg2+-limited current at ``v_mV``.
    """
    k_ket = ketamine_affinity_uM(k0_uM, v_mV, delta, v_ref_mV, temperature_C)
    return k_ket * (1.0 + mg_mM / mg_affinity_mM(v_mV, mg_k0_mM, mg_slope_per_mV))


def ketamine_block(conc_uM, ic50_uM, hill: float = 1.0):
    """Fraction of the (Mg2+-limited) NMDA current removed by ketamine, a Hill curve.

    With ``ic50_uM`` from :func:`ic50_in_mg_uM` this is the competitive block
    at a voltage; with a fixed IC50 it is the plain Hill curve.

    Parameters
    ----------
    conc_uM : float or array
        Ketamine concentration in uM (the free concentration at the receptors).
    ic50_uM : float or array
        Half-blocking concentration.
    hill : float
        Hill coefficient n.

    Returns
    -------
    float or array
        b = C^n / (C^n + IC50^n).
    """
    c = np.asarray(conc_uM, dtype=float)
    if np.any(c < 0):
        raise ValueError(f"conc_uM must be >= 0, got {conc_uM!r}")
    k = np.asarray(ic50_uM, dtype=float)
    if np.any(k <= 0):
        raise ValueError(f"ic50_uM must be > 0, got {ic50_uM!r}")
    cn = c**hill
    return cn / (cn + k**hill)


def kinetic_block_rates(conc_uM, open_fraction, mg_unblocked, k_on_per_uM_ms: float,
                        k_ket_uM, trapping: float = 1.0):
    """Steady state and relaxation rate of the use-dependent block.

    Parameters
    ----------
    conc_uM : float or array
        Ketamine concentration C.
    open_fraction : float or array
        Mean open fraction ``o`` of the compartment's NMDA channels (0 to 1).
    mg_unblocked : float or array
        B_Mg(V), the fraction of open channels free of Mg2+ (access needs both).
    k_on_per_uM_ms : float
        Association rate with an open, Mg2+-free channel.
    k_ket_uM : float or array
        Ketamine dissociation constant without Mg2+, K_ket(V); ``k_off = k_on K_ket``.
    trapping : float
        Fraction of bound ketamine that stays trapped when the channel closes.

    Returns
    -------
    b_inf, rate_per_ms : arrays
        ``db/dt = rate * (b_inf - b)``.
    """
    c = np.asarray(conc_uM, dtype=float)
    o = np.asarray(open_fraction, dtype=float)
    k_off = k_on_per_uM_ms * np.asarray(k_ket_uM, dtype=float)
    gain = o * np.asarray(mg_unblocked, dtype=float) * k_on_per_uM_ms * c
    loss = (o + (1.0 - o) * (1.0 - trapping)) * k_off
    rate = gain + loss
    with np.errstate(invalid="ignore", divide="ignore"):
        b_inf = np.where(rate > 0, gain / np.where(rate > 0, rate, 1.0), 0.0)
    return b_inf, rate


def kinetic_block_step(b, dt_ms: float, conc_uM, open_fraction, mg_unblocked,
                       k_on_per_uM_ms, k_ket_uM, trapping=1.0):
    """Advance the block fraction ``b`` by ``dt_ms`` with the exact exponential step.

    Inputs are held constant over the step; this is the update the compiled
    network performs (see :func:`kinetic_block_rates`).

    Parameters
    ----------
    b : float or array
        Fraction of receptors holding ketamine at the start of the step.
    dt_ms : float
        Step length in ms.
    conc_uM, open_fraction, mg_unblocked, k_on_per_uM_ms, k_ket_uM, trapping
        As in :func:`kinetic_block_rates`.

    Returns
    -------
    numpy.ndarray
        Block fraction after the step, ``b_inf + (b - b_inf) * exp(-rate * dt_ms)``.
    """
    b_inf, rate = kinetic_block_rates(conc_uM, open_fraction, mg_unblocked, k_on_per_uM_ms,
                                      k_ket_uM, trapping)
    return b_inf + (np.asarray(b, dtype=float) - b_inf) * np.exp(-rate * dt_ms)

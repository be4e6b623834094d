"""From a configured infusion protocol to the concentration at the receptors.

Glue between the config schema (:class:`plasticity.config.ProtocolConfig`)
and the exact pharmacokinetic solution of :mod:`plasticity.pharmacology.pk`:
which parameter set, which doses, and which concentration (plasma, free
plasma or effect site) drives the NMDA receptor block.
"""

from __future__ import annotations

import math

import numpy as np

from plasticity.config import PharmacologyConfig, ProtocolConfig
from plasticity.pharmacology.pk import (
    PK_SETS,
    Infusion,
    MetaboliteParameters,
    PKParameters,
    PKResult,
    individual_parameters,
    simulate_pk,
)

__all__ = ["driving_concentration_uM", "free_hnk_uM", "hnk_uM", "infusions",
           "metabolite_parameters", "pk_parameters", "protocol_pk"]


def pk_parameters(protocol: ProtocolConfig) -> PKParameters:
    """The PK parameter set a protocol names (or its custom parameters).

    Parameters
    ----------
    protocol : ProtocolConfig
        The infusion protocol; ``pk_model`` names a set of :data:`PK_SETS`, or
        ``custom`` takes ``pk_parameters`` (volume in m^3/kg, rates in 1/s).

    Returns
    -------
    PKParameters
        The named set, or the custom parameters converted to L/kg and 1/min.
    """
    if protocol.pk_model != "custom":
        return _individual(PK_SETS[protocol.pk_model], protocol)
    p = protocol.pk_parameters
    assert p is not None  # enforced by the schema
    per_min = 60.0  # config rates are in 1/s (Brian2 hertz)
    return _individual(PKParameters(
        name="custom",
        v1_l_per_kg=float(p.v1) * 1e3,  # m^3/kg -> L/kg
        k10=float(p.k10) * per_min,
        k12=float(p.k12) * per_min,
        k13=float(p.k13) * per_min,
        k21=float(p.k21) * per_min,
        k31=float(p.k31) * per_min,
        ke0=float(p.ke0) * per_min if p.ke0 else None,
        source="user-supplied parameters (config pharmacology.protocol.pk_parameters)",
    ), protocol)


def _individual(params: PKParameters, protocol: ProtocolConfig) -> PKParameters:
    """``params`` with the protocol's individual factors (``protocol.individual``)."""
    ind = protocol.individual
    return individual_parameters(params, clearance=ind.clearance, v_central=ind.v_central,
                                 v_peripheral=ind.v_peripheral,
                                 intercompartmental=ind.intercompartmental)


def metabolite_parameters(protocol: ProtocolConfig) -> MetaboliteParameters | None:
    """The metabolite compartments of a protocol in PK units (1/min, L/kg), or None."""
    met = protocol.metabolites
    if met is None:
        return None
    volume_l_per_kg = float(met.hnk_volume) * 1e3  # m^3/kg -> L/kg
    clearance_l_per_min_kg = float(met.hnk_clearance) * 1e3 * 60.0  # m^3/s/kg -> L/min/kg
    return MetaboliteParameters(
        nk_fraction=met.nk_fraction, nk_k_per_min=math.log(2) / (float(met.nk_half_life) / 60),
        hnk_fraction=met.hnk_fraction, hnk_v_l_per_kg=volume_l_per_kg,
        hnk_k_per_min=clearance_l_per_min_kg / volume_l_per_kg)


def infusions(protocol: ProtocolConfig) -> list[Infusion]:
    """Every dose of the protocol (repeats expanded), in clinical minutes.

    Parameters
    ----------
    protocol : ProtocolConfig
        The infusion protocol (start times and durations in seconds).

    Returns
    -------
    list of Infusion
        One per dose, sorted by start, with ``start_min`` and
        ``duration_min`` in minutes and the dose in mg/kg of its ``salt``.
    """
    return [
        Infusion(start_min=start / 60.0, dose_mg_per_kg=dose, duration_min=duration / 60.0,
                 salt=salt)
        for start, dose, duration, salt in protocol.schedule()
    ]


def protocol_pk(protocol: ProtocolConfig, clinical_times_s) -> PKResult:
    """Exact PK solution of ``protocol`` at clinical times (seconds).

    Parameters
    ----------
    protocol : ProtocolConfig
        The infusion protocol (PK model, doses, body weight).
    clinical_times_s : array_like
        Clinical times in seconds at which to evaluate the solution.

    Returns
    -------
    PKResult
        Amounts and concentrations at those times (``times_min`` in minutes).
    """
    times_min = np.asarray(clinical_times_s, dtype=float) / 60.0
    return simulate_pk(pk_parameters(protocol), infusions(protocol),
                       float(protocol.weight), times_min, metabolite_parameters(protocol))


def driving_concentration_uM(protocol: ProtocolConfig, clinical_times_s) -> np.ndarray:
    """Concentration (uM) that drives the receptor block, per ``concentration_at``.

    Parameters
    ----------
    protocol : ProtocolConfig
        The infusion protocol; ``concentration_at`` chooses the effect-site or
        plasma concentration, total or free (times ``free_fraction``).
    clinical_times_s : array_like
        Clinical times in seconds.

    Returns
    -------
    numpy.ndarray
        Ketamine concentration in uM (float64), one value per time.
    """
    result = protocol_pk(protocol, clinical_times_s)
    if protocol.concentration_at.endswith("effect_site"):
        conc = result.effect_uM
        assert conc is not None  # the schema requires a ke0
    else:
        conc = result.plasma_uM
    scale = protocol.free_fraction if protocol.is_free else 1.0
    return np.asarray(conc, dtype=float) * scale


def hnk_uM(pharmacology: PharmacologyConfig, clinical_times_s) -> np.ndarray:
    """Free (2R,6R)-hydroxynorketamine (uM) at clinical times: what ``hnk_action`` sees.

    Parameters
    ----------
    pharmacology : PharmacologyConfig
        With a protocol that has ``metabolites``.
    clinical_times_s : array_like
        Clinical times in seconds.

    Returns
    -------
    numpy.ndarray
        HNK (all isomers, total) times ``r_share`` times ``free_fraction``.

    Raises
    ------
    ValueError
        If the protocol has no metabolite compartments.
    """
    protocol = pharmacology.protocol
    if protocol is None or protocol.metabolites is None:
        raise ValueError("pharmacology.protocol.metabolites is not set: no HNK compartment")
    return free_hnk_uM(protocol, protocol_pk(protocol, clinical_times_s))


def free_hnk_uM(protocol: ProtocolConfig, result: PKResult) -> np.ndarray:
    """Free (2R,6R)-HNK (uM) from a PK solution of ``protocol`` that followed the metabolites.

    The total HNK of ``result`` times ``metabolites.r_share`` and ``free_fraction``.
    """
    assert protocol.metabolites is not None and result.hnk_uM is not None
    met = protocol.metabolites
    return np.asarray(result.hnk_uM, dtype=float) * met.r_share * met.free_fraction

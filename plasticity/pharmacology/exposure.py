"""From a configured infusion protocol to the concentration at the receptors.

Glue between the config schema (:class:`plasticity.config.ProtocolConfig`)
and the exact pharmacokinetic solution of :mod:`plasticity.pharmacology.pk`:
which parameter set, which doses, and which concentration (plasma, free
plasma or effect site) drives the NMDA receptor block.
"""

from __future__ import annotations

import numpy as np

from plasticity.config import ProtocolConfig
from plasticity.pharmacology.pk import PK_SETS, Infusion, PKParameters, PKResult, simulate_pk

__all__ = ["driving_concentration_uM", "infusions", "pk_parameters", "protocol_pk"]


def pk_parameters(protocol: ProtocolConfig) -> PKParameters:
    """The PK parameter set a protocol names (or its custom parameters)."""
    if protocol.pk_model != "custom":
        return PK_SETS[protocol.pk_model]
    p = protocol.pk_parameters
    assert p is not None  # enforced by the schema
    per_min = 60.0  # config rates are in 1/s (Brian2 hertz)
    return PKParameters(
        name="custom",
        v1_l_per_kg=float(p.v1) * 1e3,  # m^3/kg -> L/kg
        k10=float(p.k10) * per_min,
        k12=float(p.k12) * per_min,
        k13=float(p.k13) * per_min,
        k21=float(p.k21) * per_min,
        k31=float(p.k31) * per_min,
        ke0=float(p.ke0) * per_min if p.ke0 else None,
        source="user-supplied parameters (config pharmacology.protocol.pk_parameters)",
    )


def infusions(protocol: ProtocolConfig) -> list[Infusion]:
    """Every dose of the protocol (repeats expanded), in clinical minutes."""
    return [
        Infusion(start_min=start / 60.0, dose_mg_per_kg=dose, duration_min=duration / 60.0,
                 salt=salt)
        for start, dose, duration, salt in protocol.schedule()
    ]


def protocol_pk(protocol: ProtocolConfig, clinical_times_s) -> PKResult:
    """Exact PK solution of ``protocol`` at clinical times (seconds)."""
    times_min = np.asarray(clinical_times_s, dtype=float) / 60.0
    return simulate_pk(pk_parameters(protocol), infusions(protocol),
                       float(protocol.weight), times_min)


def driving_concentration_uM(protocol: ProtocolConfig, clinical_times_s) -> np.ndarray:
    """Concentration (uM) that drives the receptor block, per ``concentration_at``."""
    result = protocol_pk(protocol, clinical_times_s)
    if protocol.concentration_at == "effect_site":
        conc = result.effect_uM
        assert conc is not None  # the schema requires a ke0
    elif protocol.concentration_at == "free_plasma":
        conc = result.plasma_uM * protocol.free_fraction
    else:
        conc = result.plasma_uM
    return np.asarray(conc, dtype=float)

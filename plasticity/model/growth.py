"""Activity sensor and growth curves of homeostatic structural plasticity.

The model of Butz & van Ooyen (2013, PLoS Comput Biol 9:e1003259) as
implemented in NEST (``nestkernel/growth_curve.h``, ``growth_curve.cpp``,
``structural_plasticity_node.cpp``; reference science.md section 1): every
neuron carries a calcium-like activity trace and, per synaptic element type
(axonal boutons, excitatory and inhibitory dendritic spines), a number ``z``
of elements that grows or retracts with the trace.

Calcium: ``dCa/dt = -Ca / tau_Ca`` between spikes and ``Ca += beta_Ca`` at
each spike, so its mean is ``beta_Ca * tau_Ca * rate`` (with NEST's
defaults tau_Ca = 10 s, beta_Ca = 0.001: 0.01 per Hz).

Growth curves, ``dz/dt = nu * g(Ca)`` with ``z`` clipped at 0:

``linear``
    ``g = 1 - Ca/eps``; integrated exactly over an interval in which Ca
    decays freely: ``z(t) = z0 + nu (t - t0) + nu tau_Ca (Ca(t) - Ca(t0))/eps``.
``gaussian``
    ``g = 2 exp(-((Ca - xi)/zeta)^2) - 1`` with ``xi = (eta + eps)/2`` and
    ``zeta = (eps - eta) / (2 sqrt(ln 2))``: zero at eta and eps, +1 at xi.
``sigmoid``
    ``g = 2 / (1 + exp((Ca - eps)/psi)) - 1`` (Butz, Steenbuck & van Ooyen
    2014, Front Synaptic Neurosci 6:7): +1 far below eps, -1 far above.

These numpy functions are the reference the compiled (Brian2) code is
tested against; :func:`growth_expression` gives the same curves as Brian2
expression strings.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "GROWTH_CURVES",
    "calcium_mean",
    "gaussian_params",
    "growth_expression",
    "growth_rate",
    "linear_growth_exact",
]

GROWTH_CURVES = ("linear", "gaussian", "sigmoid")


def calcium_mean(rate_hz: float, tau_ca_ms: float = 10000.0, beta_ca: float = 0.001) -> float:
    """Mean calcium of a neuron firing at ``rate_hz`` (beta_Ca * tau_Ca * rate)."""
    return beta_ca * tau_ca_ms * 1e-3 * rate_hz


def gaussian_params(eta: float, eps: float) -> tuple[float, float]:
    """Centre ``xi`` and width ``zeta`` of NEST's gaussian growth curve."""
    if not eps > eta:
        raise ValueError(f"gaussian growth curve needs eps > eta, got eta={eta}, eps={eps}")
    return 0.5 * (eta + eps), (eps - eta) / (2.0 * math.sqrt(math.log(2.0)))


def growth_rate(curve: str, ca, nu: float, *, eps: float, eta: float = 0.0,
                psi: float = 0.1) -> np.ndarray:
    """dz/dt of ``curve`` at calcium ``ca`` (elements per unit time of ``nu``).

    Parameters
    ----------
    curve : {"linear", "gaussian", "sigmoid"}
        Growth-curve family (NEST names).
    ca : float or array
        Calcium value(s).
    nu : float
        Growth rate (NEST ``growth_rate``).
    eps, eta, psi : float
        Set point, minimum activity (gaussian) and width (sigmoid, > 0).
    """
    c = np.asarray(ca, dtype=float)
    if curve == "linear":
        return nu * (1.0 - c / eps)
    if curve == "gaussian":
        xi, zeta = gaussian_params(eta, eps)
        return nu * (2.0 * np.exp(-(((c - xi) / zeta) ** 2)) - 1.0)
    if curve == "sigmoid":
        if not psi > 0:
            raise ValueError(f"sigmoid growth curve needs psi > 0, got {psi}")
        return nu * (2.0 / (1.0 + np.exp((c - eps) / psi)) - 1.0)
    raise ValueError(f"unknown growth curve {curve!r}; expected one of {GROWTH_CURVES}")


def linear_growth_exact(z0, ca0, dt: float, nu: float, eps: float, tau_ca: float):
    """Elements after ``dt`` of free calcium decay under the linear curve (clipped at 0).

    ``dt`` and ``tau_ca`` in the time unit of ``nu``.
    """
    ca1 = np.asarray(ca0, dtype=float) * np.exp(-dt / tau_ca)
    z = np.asarray(z0, dtype=float) + nu * dt + nu * tau_ca * (ca1 - ca0) / eps
    return np.maximum(z, 0.0)


def growth_expression(curve: str, ca: str = "Ca", suffix: str = "") -> str:
    """The growth curve ``g(Ca)`` (without nu) as a Brian2 expression.

    Parameters are the names ``eps``, ``mu_g``, ``zeta_g`` (gaussian; Brian2
    reserves ``xi`` names for noise) and ``psi``, each followed by ``suffix``.
    """
    eps, xi, zeta, psi = (f"{n}{suffix}" for n in ("eps", "mu_g", "zeta_g", "psi"))
    if curve == "linear":
        return f"(1 - {ca}/{eps})"
    if curve == "gaussian":
        return f"(2*exp(-(({ca} - {xi})/{zeta})**2) - 1)"
    if curve == "sigmoid":
        return f"(2/(1 + exp(({ca} - {eps})/{psi})) - 1)"
    raise ValueError(f"unknown growth curve {curve!r}; expected one of {GROWTH_CURVES}")

"""NEST iaf_bw_2001 event-driven NMDA constants against the exact kinetics."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from plasticity.model.network import nmda_event_constants


def _exact_jump(s0: float, tau_r=2.0, tau_d=100.0, alpha=0.5, horizon=400.0) -> float:
    """Integrate Wang (2002) gating after one spike and return the extra
    decayed-equivalent amplitude: the jump an instantaneous model needs."""

    def rhs(t, y):
        x, s = y
        return [-x / tau_r, -s / tau_d + alpha * x * (1 - s)]

    sol = solve_ivp(rhs, (0, horizon), [1.0, s0], rtol=1e-10, atol=1e-12)
    s_end = sol.y[1, -1]
    return s_end * np.exp(horizon / tau_d) - s0


def test_k1_is_expm1_of_alpha_tau_rise():
    _, k1 = nmda_event_constants(2.0, 100.0, 0.5)
    assert np.isclose(k1, np.expm1(-1.0))


def test_event_jump_matches_exact_kinetics_late():
    """NEST's doc: the approximation approaches the exact model for large t.
    The jump k0 + k1*s0 equals the asymptotic effect of one spike in the
    exact ODE to within 2 % (s0 = 0) and 5 % (s0 = 0.5)."""
    k0, k1 = nmda_event_constants(2.0, 100.0, 0.5)
    for s0, tol in ((0.0, 0.02), (0.5, 0.05)):
        exact = _exact_jump(s0)
        assert abs((k0 + k1 * s0) - exact) / exact < tol

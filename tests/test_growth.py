"""Activity sensor and growth curves (reference targets T1 and T2, science.md 5).

Formulas from NEST ``growth_curve.h`` / ``structural_plasticity_node.cpp``
(science.md 1.1 and 1.2, [V]).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from plasticity.model.growth import (
    calcium_mean,
    gaussian_params,
    growth_expression,
    growth_rate,
    linear_growth_exact,
)


@pytest.mark.science
def test_t1_calcium_trace_time_average_is_beta_tau_rate():
    """T1: Poisson spikes at 5 Hz, tau_Ca 10 s, beta 0.001: the time-averaged Ca
    after a 5 tau burn-in is 0.05 within 2 % over 200 s."""
    rng = np.random.default_rng(1)
    tau, beta, rate = 10.0, 0.001, 5.0
    t_end = 250.0  # 50 s burn-in (5 tau) + 200 s
    spikes = np.cumsum(rng.exponential(1 / rate, size=int(rate * t_end * 2)))
    spikes = spikes[spikes < t_end]
    # exact event-driven trace, integrated analytically over [50, 250] s
    ca, t_last, integral = 0.0, 0.0, 0.0
    for t in [*spikes, t_end]:
        if t > 50.0:
            a = max(t_last, 50.0)
            ca_a = ca * math.exp(-(a - t_last) / tau)
            integral += ca_a * tau * (1 - math.exp(-(t - a) / tau))
        ca = ca * math.exp(-(t - t_last) / tau) + (beta if t < t_end else 0.0)
        t_last = t
    assert integral / 200.0 == pytest.approx(0.05, rel=0.02)
    assert calcium_mean(5.0) == pytest.approx(0.05)


@pytest.mark.science
def test_t2_gaussian_curve_values():
    """T2: eta 0, eps 0.05: zero at 0 and 0.05, +nu at 0.025, -0.996 nu at 0.1."""
    nu = 1e-4
    g = growth_rate("gaussian", [0.0, 0.05, 0.025, 0.1], nu, eta=0.0, eps=0.05)
    assert g[0] == pytest.approx(0.0, abs=1e-15) and g[1] == pytest.approx(0.0, abs=1e-15)
    assert g[2] == pytest.approx(nu)
    assert g[3] == pytest.approx(-0.996 * nu, abs=0.0005 * nu)
    xi, zeta = gaussian_params(0.0, 0.05)
    assert xi == 0.025 and zeta == pytest.approx(0.05 / (2 * math.sqrt(math.log(2))))


def test_linear_and_sigmoid_curves():
    assert growth_rate("linear", 0.0, 2.0, eps=0.7) == pytest.approx(2.0)
    assert growth_rate("linear", 0.7, 2.0, eps=0.7) == pytest.approx(0.0)
    assert growth_rate("sigmoid", 0.7, 1.0, eps=0.7, psi=0.1) == pytest.approx(0.0)
    assert growth_rate("sigmoid", -10.0, 1.0, eps=0.7, psi=0.1) == pytest.approx(1.0)
    assert growth_rate("sigmoid", 10.0, 1.0, eps=0.7, psi=0.1) == pytest.approx(-1.0)


def test_linear_closed_form_matches_fine_integration():
    """T2: the exact linear update equals a fine Euler integration of dz/dt."""
    z0, ca0, nu, eps, tau = 3.0, 0.06, 1e-3, 0.05, 10000.0
    dt_total, h = 5000.0, 0.01
    z, ca = z0, ca0
    for _ in range(int(dt_total / h)):
        z += h * nu * (1 - ca / eps)
        ca -= h * ca / tau
    assert linear_growth_exact(z0, ca0, dt_total, nu, eps, tau) == pytest.approx(z, rel=1e-5)


def test_z_never_below_zero():
    assert linear_growth_exact(0.5, 5.0, 1000.0, 1e-3, 0.05, 10000.0) == 0.0


@pytest.mark.parametrize("curve", ["linear", "gaussian", "sigmoid"])
def test_brian2_expression_is_the_same_curve(curve):
    ca = np.linspace(0, 0.3, 31)
    xi, zeta = gaussian_params(0.01, 0.2)
    namespace = {"Ca": ca, "eps": 0.2, "mu_g": xi, "zeta_g": zeta, "psi": 0.05, "exp": np.exp}
    value = eval(growth_expression(curve), namespace)  # noqa: S307 - our own expression
    assert np.allclose(value, growth_rate(curve, ca, 1.0, eps=0.2, eta=0.01, psi=0.05))


def test_bad_curve_parameters_are_named():
    with pytest.raises(ValueError, match="eps > eta"):
        gaussian_params(0.3, 0.2)
    with pytest.raises(ValueError, match="psi > 0"):
        growth_rate("sigmoid", 0.1, 1.0, eps=0.2, psi=0.0)
    with pytest.raises(ValueError, match="unknown growth curve 'cubic'"):
        growth_rate("cubic", 0.1, 1.0, eps=0.2)

"""Growth-factor signalling in clinical time (plasticity.model.signalling), against
closed forms and an independent ODE solution written out here."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm

import plasticity
from plasticity.errors import ConfigError
from plasticity.model import signalling as sig


def _config(*overrides):
    return plasticity.load_config(None, [
        "structural.enabled=true", "synapses.nmda_gating=event", "timeline.mode=clinical",
        "timeline.end=1 day", "signalling.enabled=true", *overrides])


def _run(config, held, dt_s, n_steps, state=None):
    state = state or sig.initial_state(len(held.u_block))
    means, trace = [], []
    for _ in range(n_steps):
        means.append(sig.advance(config, state, held, dt_s))
        trace.append({k: v.copy() for k, v in state.items()})
    return state, np.array(means), trace


def test_bdnf_step_response_is_the_two_stage_closed_form():
    """Constant block from rest: y(t) = 1 - (d e^-t/d - r e^-t/r) / (d - r) (unit gain)."""
    config = _config()
    r, d = 600.0, 9000.0  # the defaults: 10 min, 2.5 h
    held = sig.SignallingInputs(u_block=np.array([0.3]), u_surge=np.zeros(1),
                                coupling=np.zeros(1))
    _, _, trace = _run(config, held, 600.0, 60)
    for k in (0, 5, 20, 59):
        t = 600.0 * (k + 1)
        expected = 0.3 * (1 - (d * math.exp(-t / d) - r * math.exp(-t / r)) / (d - r))
        assert trace[k]["bdnf"][0] == pytest.approx(expected, rel=1e-10)
    assert np.all([s["mtor"][0] == 0 for s in trace])  # no coupling, no surge: mTORC1 at rest


def test_mtor_impulse_is_a_difference_of_exponentials():
    """A surge held for a short pulse, then released: mTORC1 decays as the closed form."""
    config = _config()
    r, d = 900.0, 1800.0
    pulse = 60.0
    held = sig.SignallingInputs(u_block=np.zeros(1), u_surge=np.array([1.0]),
                                coupling=np.zeros(1))
    state, _, _ = _run(config, held, pulse, 1)
    rest = sig.SignallingInputs(u_block=np.zeros(1), u_surge=np.zeros(1), coupling=np.zeros(1))
    _, _, trace = _run(config, rest, 300.0, 24, state)
    # after the pulse: x = 1 - e^-p/r, y from the pulse; thereafter free decay
    x0 = 1 - math.exp(-pulse / r)
    y0 = 1 - (d * math.exp(-pulse / d) - r * math.exp(-pulse / r)) / (d - r)
    for k in (0, 3, 11, 23):
        t = 300.0 * (k + 1)
        expected = (y0 * math.exp(-t / d)
                    + x0 * r / (r - d) * (math.exp(-t / r) - math.exp(-t / d)))
        assert trace[k]["mtor"][0] == pytest.approx(expected, rel=1e-9)
    peak = max(s["mtor"][0] for s in trace)
    assert peak > trace[-1]["mtor"][0] > 0


def test_coupled_cascade_matches_an_independent_ode_solution():
    """Both routes on, per-cell coupling: exact updates against solve_ivp of the cascade."""
    config = _config("signalling.bdnf.decay=2 h", "signalling.protein.decay=2 day")
    tau = {"br": 600.0, "bd": 7200.0, "mr": 900.0, "md": 1800.0, "pr": 3600.0, "pd": 172800.0}
    u_b, u_s, c = np.array([0.08, 0.2]), np.array([0.1, 0.0]), np.array([1.3, 0.7])

    def rhs(_t, y, ub, us, cc):
        xb, b, xm, m, xp, p, q = y
        return [(ub - xb) / tau["br"], (xb - b) / tau["bd"],
                (us + cc * b - xm) / tau["mr"], (xm - m) / tau["md"],
                (m - xp) / tau["pr"], (xp - p) / tau["pd"], p]

    held = sig.SignallingInputs(u_block=u_b, u_surge=u_s, coupling=c)
    dt = 3600.0
    _, means, trace = _run(config, held, dt, 12)
    for i in range(2):
        y = np.zeros(7)
        for k in range(12):
            y[6] = 0.0
            sol = solve_ivp(rhs, (0, dt), y, args=(u_b[i], u_s[i], c[i]), method="LSODA",
                            rtol=1e-11, atol=1e-14)
            y = sol.y[:, -1]
            assert trace[k]["protein"][i] == pytest.approx(y[5], rel=1e-6)
            assert trace[k]["mtor"][i] == pytest.approx(y[3], rel=1e-6, abs=1e-14)
            assert means[k][i] == pytest.approx(y[6] / dt, rel=1e-6)


def test_propagator_is_affine_in_the_coupling():
    """expm((A0 + c E) dt) = P0 + c P1 for any c: the coupling enters every path once."""
    config = _config()
    a0, e = sig._matrices(config)
    p0, p1 = sig.propagator(config, 3600.0)
    for c in (0.0, 0.5, 3.0, 40.0):
        np.testing.assert_allclose(p0 + c * p1, expm((a0 + c * e) * 3600.0), rtol=1e-9,
                                   atol=1e-12)


def test_inputs_and_knockouts():
    ampa = 1.1  # the population's AMPA current 10 % above its pre-dose baseline
    block = np.array([0.0, 0.1, 0.2])
    intact = sig.inputs(_config(), ampa, block)
    np.testing.assert_allclose(intact.u_surge, 0.1 - 0.02, rtol=1e-12)  # above the threshold
    assert not sig.inputs(_config(), 1.019, block).u_surge.any()
    np.testing.assert_allclose(intact.u_block, block)
    np.testing.assert_allclose(intact.coupling, 1.1)
    below = sig.inputs(_config("signalling.surge_gain=2"), 0.9, block)
    assert not below.u_surge.any()  # no surge below baseline
    rapa = sig.inputs(_config("signalling.knockouts.rapamycin=true"), ampa, block)
    assert not rapa.u_surge.any() and not rapa.coupling.any()
    nbqx = sig.inputs(_config("signalling.knockouts.nbqx=true"), ampa, block)
    assert not nbqx.u_surge.any() and not nbqx.coupling.any()
    np.testing.assert_allclose(nbqx.u_block, block)  # BDNF is still translated
    met = sig.inputs(_config("signalling.knockouts.bdnf_release=0.5"), ampa, block)
    np.testing.assert_allclose(met.coupling, 0.5 * intact.coupling)
    no_surge = sig.inputs(_config("signalling.surge=false"), ampa, block)
    assert not no_surge.u_surge.any()
    no_block = sig.inputs(_config("signalling.block_at_rest=false"), ampa, block)
    assert not no_block.u_block.any()


@pytest.mark.parametrize("knockout", ["rapamycin", "nbqx"])
def test_knockouts_keep_synaptic_proteins_at_rest(knockout):
    config = _config(f"signalling.knockouts.{knockout}=true")
    held = sig.inputs(config, 1.2, np.full(4, 0.2))
    state, means, _ = _run(config, held, 3600.0, 48)
    assert not state["protein"].any() and not means.any()
    intact = _config()
    state, _, _ = _run(intact, sig.inputs(intact, 1.2, np.full(4, 0.2)), 3600.0, 48)
    assert np.all(state["protein"] > 0)


def test_effects():
    config = _config("signalling.formation_gain=2 /day", "signalling.stabilisation_gain=3",
                     "structural.turnover.new_eliminated_fraction=0.4")
    growth, frac = sig.effects(config, np.array([0.0, 0.5, -1.0]))
    np.testing.assert_allclose(growth, [0.0, 1.0 / 86400.0, 0.0])
    np.testing.assert_allclose(frac, [0.4, 0.4 / 2.5, 0.4])


def test_filter_rise_must_be_shorter_than_decay():
    with pytest.raises(ConfigError, match="rise must be shorter than decay"):
        _config("signalling.mtor.rise=1 h")


def test_the_surge_reference_adapts_to_a_sustained_rise():
    """A step of +10 % in the AMPA current held over windows every 2 h: the reference
    follows as 1 - exp(-t / tau) (tau 6 h), so a sustained rise (new synapses) stops being
    a surge within hours while a one-hour surge is met by a reference still near 1."""
    config = _config()
    tau = float(config.signalling.surge_adaptation)
    assert tau == 6 * 3600.0
    ref, last = 1.0, 0.0
    surges = []
    for k in range(1, 13):
        now = 2 * 3600.0 * k
        surges.append(float(sig.inputs(config, 1.1 / ref, np.zeros(1)).u_surge[0]))
        ref = sig.adapt_reference(ref, last, 1.1, now, tau)
        last = now
        assert ref == pytest.approx(1.0 + 0.1 * (1 - math.exp(-now / tau)), rel=1e-12)
    assert surges[0] == pytest.approx(0.1 - 0.02, rel=1e-9)
    assert surges[-1] == 0.0  # adapted: below the threshold


def _reference_by_steps(values_at, t_end: float, tau: float, n: int = 200_000) -> float:
    """dr/dt = (A(t) - r)/tau by the midpoint rule on a fine grid (independent of the
    closed form), from r(0) = A(0)."""
    dt = t_end / n
    r = values_at(0.0)
    for k in range(n):
        t = k * dt
        k1 = (values_at(t) - r) / tau
        k2 = (values_at(t + dt / 2) - (r + dt / 2 * k1)) / tau
        r += dt * k2
    return r


def test_the_reference_follows_a_linear_current_exactly():
    """With the current linear between windows, the closed form equals a fine
    numerical solution of dr/dt = (A - r)/tau, for a rise then a fall."""
    tau = 6 * 3600.0
    knots = [(0.0, 1.0), (3 * 3600.0, 1.3), (20 * 3600.0, 0.9)]

    def current(t):
        return float(np.interp(t, [k[0] for k in knots], [k[1] for k in knots]))

    ref = knots[0][1]
    for (t0, a0), (t1, a1) in zip(knots[:-1], knots[1:], strict=True):
        ref = sig.adapt_reference(ref, t0, a1, t1, tau, last_value=a0)
    assert ref == pytest.approx(_reference_by_steps(current, knots[-1][0], tau), rel=1e-7)


def test_a_slow_rise_reads_the_same_at_any_window_spacing():
    """A rise of 1 %/h held for two days: at 6 h, 12 h or 48 h spacing the reference
    and the surge read at 48 h are the same, with the lag s*tau (not s*spacing)."""
    config = _config()
    tau = float(config.signalling.surge_adaptation)
    slope = 0.01 / 3600.0
    read = {}
    for spacing_h in (6, 12, 48):
        ref, last, last_value = 1.0, 0.0, 1.0
        for k in range(1, 48 // spacing_h + 1):
            now = k * spacing_h * 3600.0
            value = 1.0 + slope * now
            ref = sig.adapt_reference(ref, last, value, now, tau, last_value=last_value)
            last, last_value = now, value
        read[spacing_h] = (ref, float(sig.inputs(config, value / ref, np.zeros(1)).u_surge[0]))
    for spacing_h in (6, 48):
        assert read[spacing_h][0] == pytest.approx(read[12][0], rel=1e-12)
    # after 8 tau the lag is s*tau (1 - e^-8): the excess ~ 6 % / 1.48, above the threshold
    excess = 1.48 / read[12][0] - 1
    lag = slope * tau * (1 - math.exp(-48 * 3600.0 / tau))
    assert excess == pytest.approx(lag / (1.48 - lag), rel=1e-9)
    assert read[12][1] == pytest.approx(excess - config.signalling.surge_threshold, rel=1e-9)


def test_block_between_windows_is_the_hill_curve_of_the_cell():
    """A cell of fixed IC50 K: the IC50 read off one window gives its block at any
    concentration, C^n / (C^n + K^n), written out here for n = 1 and 2."""
    for hill in (1.0, 2.0):
        k = np.array([5.0, 2.0])
        c_w = 0.4
        window = c_w**hill / (c_w**hill + k**hill)
        affinity = sig.block_affinity(window, c_w, hill, None, fallback_uM=99.0)
        np.testing.assert_allclose(affinity, k, rtol=1e-12)
        conc = np.array([0.0, 0.1, 1.0, 7.0])
        expected = conc[:, None]**hill / (conc[:, None]**hill + k[None, :]**hill)
        np.testing.assert_allclose(sig.block_between(conc, affinity, hill), expected,
                                   rtol=1e-12, atol=1e-15)


def test_block_affinity_keeps_what_a_window_without_drug_cannot_tell():
    previous = np.array([4.0, np.nan, 3.0])
    out = sig.block_affinity(np.array([0.0, 0.0, 0.1]), 0.0, 1.0, previous, fallback_uM=6.0)
    np.testing.assert_array_equal(out, [4.0, 6.0, 3.0])
    out = sig.block_affinity(np.array([0.0, 0.5, 0.5]), 2.0, 1.0, previous, fallback_uM=6.0)
    np.testing.assert_array_equal(out, [4.0, 2.0, 2.0])


def test_the_acute_response_fit_recovers_a_linear_response():
    """Windows with e = k C plus a drug-free offset of zero: k comes back exactly,
    whatever the forgetting, and a window without drug leaves it unchanged."""
    k_true, sums, last = 0.18, None, None
    for t_s, c in ((0.0, 0.0), (1800.0, 0.43), (3600.0, 0.11), (5400.0, 0.0), (7200.0, 0.07)):
        sums = sig.surge_response(sums, k_true * c, c, last, t_s, 6 * 3600.0)
        last = t_s
    # the fit, shrunk by the prior of one window of no response at c_p:
    # k = k_true S_cc / (S_cc + c_p^2), S_cc the discounted sum of C_w^2 written out here
    tau = 6 * 3600.0
    s_cc = sum(c * c * math.exp(-(7200.0 - t) / tau)
               for t, c in ((1800.0, 0.43), (3600.0, 0.11), (7200.0, 0.07)))
    k = k_true * s_cc / (s_cc + sig.PRIOR_CONCENTRATION_UM**2)
    e = sig.surge_between(np.array([0.0, 0.3]), k_true * 0.07, 0.07, sums)
    np.testing.assert_allclose(e, [k_true * 0.07 - k * 0.07, k_true * 0.07 + k * 0.23],
                               rtol=1e-12)
    assert k == pytest.approx(k_true, rel=0.02)
    # one window in the first seconds of an infusion (a few nM) reads no response from
    # its noise
    noisy = sig.surge_response(None, -0.025, 1.6e-5, None, 0.0, tau)
    assert abs(sig.surge_between(np.array([0.43]), -0.025, 1.6e-5, noisy)[0] + 0.025) < 1e-3
    # before any window with drug: the window's excess, held
    flat = sig.surge_response(None, 0.01, 0.0, None, 0.0, 3600.0)
    np.testing.assert_allclose(sig.surge_between(np.array([0.0, 1.0]), 0.01, 0.0, flat),
                               [0.01, 0.01])


def _bdnf_after(config, windows_h, conc_at, k_uM, end_h, step_s=900.0, follow=True):
    """BDNF of one cell of IC50 ``k_uM`` at ``end_h``: windows at ``windows_h`` each read
    the block at their concentration; between them the inputs follow the PK or are held."""
    state = sig.initial_state(1)
    bounds = [*windows_h, end_h]
    affinity = None
    for w0, w1 in zip(bounds[:-1], bounds[1:], strict=True):
        c_w = float(conc_at(np.array([w0 * 3600.0]))[0])
        block_w = np.array([c_w / (c_w + k_uM)])
        n = round((w1 - w0) * 3600.0 / step_s)
        affinity = sig.block_affinity(block_w, c_w, 1.0, affinity, fallback_uM=k_uM)
        for u in range(n):
            if follow:
                t = w0 * 3600.0 + (u + (np.arange(8) + 0.5) / 8) * step_s
                held = sig.mean_inputs(config, np.zeros(8),
                                       sig.block_between(conc_at(t), affinity, 1.0))
            else:
                held = sig.inputs(config, 1.0, block_w)
            sig.advance(config, state, held, step_s)
    return float(state["bdnf"][0])


def test_the_block_arm_does_not_depend_on_the_window_spacing():
    """A 40-min infusion (a concentration that rises, peaks at 40 min and falls with a
    30-min half-life, written out here): BDNF at 6 h with windows 15, 30, 60 and 120 min
    apart against the block applied minute by minute. With the block held between
    windows, 60-min windows miss the peak (the test would fail)."""
    config = _config("signalling.surge=false")

    def conc_at(t_s):
        t = np.asarray(t_s, dtype=float) / 60.0
        rise = 0.5 * np.clip(t, 0.0, 40.0) / 40.0
        return np.where(t <= 40.0, rise, 0.5 * 0.5 ** ((t - 40.0) / 30.0))

    k_uM = 5.0
    fine = sig.initial_state(1)
    for m in range(360):
        c = float(conc_at(np.array([(m + 0.5) * 60.0]))[0])
        sig.advance(config, fine, sig.inputs(config, 1.0, np.array([c / (c + k_uM)])), 60.0)
    exact = float(fine["bdnf"][0])
    for minutes in (15, 30, 60, 120):
        windows = list(np.arange(0.0, 6.0, minutes / 60.0))
        got = _bdnf_after(config, windows, conc_at, k_uM, 6.0)
        assert got == pytest.approx(exact, rel=0.01), minutes
    held = _bdnf_after(config, list(np.arange(0.0, 6.0, 1.0)), conc_at, k_uM, 6.0,
                       follow=False)
    assert abs(held / exact - 1.0) > 0.05

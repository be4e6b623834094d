"""The clinical clock of structural plasticity (timeline.mode 'clinical').

The compiled update between windows (plasticity/model/clinical_engine.cpp,
called through plasticity.model.clinical) is checked against closed forms
written out here: growth at a held calcium, pairing of equal vacancies,
conservation of the synapse count under intrinsic turnover and the
steady-state turnover of the two-state (new, stable) synapse process. The
integration test runs a short clinical timeline of the small network.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import plasticity
from plasticity.model.clinical import ClinicalPool, run_updates
from tests.conftest import small_config


@pytest.fixture(scope="module")
def lib():
    from plasticity.simulation.clinical import _library

    return _library(small_config())


def _pool(n_pre, n_post, nsyn=None, z_pre=None, z_post=None, **kw):
    pre = np.repeat(np.arange(n_pre), n_post).astype(np.int32)
    post = np.tile(np.arange(n_post), n_pre).astype(np.int32)
    m = n_pre * n_post
    values = dict(recurrent=False, autapses=True, multapses=True, continuous_pre=True,
                  continuous_post=True, tau_vacant_pre=0.0, tau_vacant_post=0.0)
    values.update(kw)
    return ClinicalPool(pre, post, np.zeros(m, np.int32) if nsyn is None else nsyn,
                        np.zeros(m, np.int32),
                        np.zeros(n_pre) if z_pre is None else z_pre,
                        np.zeros(n_post) if z_post is None else z_post, **values)


def _run(lib, pool, dz_pre, dz_post, n, dt, exit_rate=0.0, frac=0.0, stable=0.0, seed=1):
    return run_updates(lib, pool, dz_pre, dz_post, n_updates=n, dt_s=dt, new_exit_rate=exit_rate,
                       new_eliminated_fraction=frac, stable_elimination_rate=stable, seed=seed)


def test_growth_at_held_calcium_is_linear_in_time(lib):
    """No partner can pair (the targets have no elements): z grows by n dt dz/dt exactly."""
    pool = _pool(4, 3)
    dz = np.array([0.5, 1.0, 2.0, -1.0]) / 86400.0  # elements per day, as per second
    _run(lib, pool, dz, np.zeros(3), 12, 7200.0)  # 12 updates of 2 h: one day
    np.testing.assert_allclose(pool.z_pre, [0.5, 1.0, 2.0, 0.0], rtol=1e-12)  # clipped at 0
    assert pool.nsyn.sum() == 0


def test_equal_vacancies_pair_every_update(lib):
    """One element per hour on each side of 3 x 3 neurons: 3 synapses form per update."""
    pool = _pool(3, 3)
    rec = _run(lib, pool, np.full(3, 1 / 3600.0), np.full(3, 1 / 3600.0), 5, 3600.0)
    np.testing.assert_array_equal(rec[:, 0], [3, 6, 9, 12, 15])   # synapses
    np.testing.assert_array_equal(rec[:, 1], [3, 3, 3, 3, 3])     # formed
    np.testing.assert_array_equal(rec[:, 5], [3, 6, 9, 12, 15])   # all new (no turnover)
    assert pool.nsyn.sum() == 15 and pool.nnew.sum() == 15


def test_turnover_conserves_the_count_and_reaches_the_two_state_steady_state(lib):
    """Intrinsic turnover with balanced elements: every elimination frees one axonal and one
    dendritic element, paired again at random, so the count holds and formation equals
    elimination. Per update of dt, with p_x = 1 - exp(-k_x dt) (new synapses leave that
    state), a the share of them eliminated and p_s = 1 - exp(-k_s dt) (stable ones
    eliminated): N_new = F / p_x and F = p_s (N - N_new) + a p_x N_new, so
    F = p_s N / (1 - a + p_s / p_x)."""
    rng = np.random.default_rng(0)
    n = 200
    nsyn = (rng.random(n * n) < 0.1).astype(np.int32)
    conn_pre = nsyn.reshape(n, n).sum(axis=1).astype(float)
    conn_post = nsyn.reshape(n, n).sum(axis=0).astype(float)
    pool = _pool(n, n, nsyn=nsyn, z_pre=conn_pre + 0.5, z_post=conn_post + 0.5)
    total = int(nsyn.sum())
    k_x, a, k_s, dt = 1.0 / 86400.0, 0.3, 0.03 / 86400.0, 3600.0  # per second; 1 h updates
    rec = _run(lib, pool, np.zeros(n), np.zeros(n), 24 * 60, dt, k_x, a, k_s, seed=5)
    assert np.all(rec[:, 0] == total)
    np.testing.assert_array_equal(rec[:, 1], rec[:, 3])  # formed == eliminated, every update
    p_x, p_s = 1 - math.exp(-k_x * dt), 1 - math.exp(-k_s * dt)
    f_steady = p_s * total / (1 - a + p_s / p_x)
    late = rec[24 * 20:]  # after 20 days (new synapses turn over in about a day)
    mean_f = late[:, 3].mean()
    se = late[:, 3].std() / math.sqrt(len(late) / 10)  # updates are correlated: a margin
    assert abs(mean_f - f_steady) < max(4 * se, 0.03 * f_steady)
    assert late[:, 5].mean() == pytest.approx(f_steady / p_x, rel=0.05)


def test_clinical_timeline_freezes_windows_and_records_the_updates(tmp_path):
    config = small_config(
        "structural.enabled=true", "synapses.nmda_gating=event", "timeline.mode=clinical",
        "timeline.end=12 h", "timeline.window_every=4 h", "structural.update_interval=100 ms",
        "structural.clinical_update_interval=1 h", "simulation.duration=1 s",
        "simulation.warmup=200 ms",
        "structural.elements.exc.axon={curve: linear, growth_rate: 4 /day, eps: 0.05}",
        "structural.elements.exc.den_exc={curve: linear, growth_rate: 4 /day, eps: 0.05}",
        "structural.turnover={new_exit_rate: 1 /day, new_eliminated_fraction: 0.3, "
        "stable_elimination_rate: 0.05 /day}")
    result = plasticity.open_result(plasticity.run(config, tmp_path / "clinical.h5"))
    clinical = result.series("clinical")
    assert list(clinical["clinical_time_h"].values) == list(np.arange(1.0, 13.0))
    n_syn = clinical["n_syn_exc_to_exc"].values
    # inside a window the synapses are frozen: the engine's own records there show
    # nothing formed or deleted, and each window starts from the clock's last count
    conn = result.series("connectivity")
    assert conn["created_exc_to_exc"].values.sum() == 0
    assert conn["deleted_exc_to_exc"].values.sum() == 0
    starts = conn["n_syn_exc_to_exc"].values.reshape(3, -1)[:, 0]
    assert list(starts[1:]) == [n_syn[3], n_syn[7]]  # windows at 4 h and 8 h
    assert clinical["eliminated_exc_to_exc"].values.sum() > 0  # turnover is on
    timeline = result.series("timeline")
    assert list(timeline["clinical_start_h"].values) == [0.0, 4.0, 8.0]
    assert np.all(timeline["window_stationarity"].values >= 0)
    prov = result.provenance
    assert prov["structural_clock"] == "clinical"
    assert prov["sensor_tau_over_update"] == pytest.approx(10.0 / 3600.0)
    assert "clinical_clock_checks" in prov
    # the stationarity is reported with its counting noise, 2 / sqrt(spikes of the halves)
    noise = timeline["window_stationarity_noise"].values
    assert np.all((noise > 0) & (noise < 0.5))


def test_clock_checks_flag_a_slow_sensor_and_a_drifting_window_beyond_noise():
    from plasticity.simulation.clinical import clock_checks

    base = ["structural.enabled=true", "synapses.nmda_gating=event", "timeline.mode=clinical",
            "timeline.end=1 day"]
    config = small_config(*base)  # tau_Ca 10 s, updates every hour: 0.0028
    assert clock_checks(config, [(0.02, 0.01), (0.09, 0.01)]) == []
    # a 20 % change is a violation when the counts are precise, noise when they are few
    assert "1 of 2 windows not stationary" in " ".join(
        clock_checks(config, [(0.20, 0.01), (0.05, 0.01)]))
    assert clock_checks(config, [(0.20, 0.10)]) == []
    slow = small_config(*base, "structural.tau_ca=20 min")
    assert "structural.tau_ca is 0.33 of structural.clinical_update_interval" in " ".join(
        clock_checks(slow, []))


def test_windows_share_a_sparse_candidate_pool(tmp_path):
    """Regression: with candidate_density < 1 each window used to draw its own candidate
    pairs from its own seed, so the synapse counts carried from the first window's pool did
    not fit the next window's (the run failed). With the clock changing nothing (no growth,
    no turnover) every window holds the same edges."""
    config = small_config(
        "structural.enabled=true", "synapses.nmda_gating=event", "timeline.mode=clinical",
        "timeline.end=6 h", "timeline.window_every=2 h", "structural.update_interval=100 ms",
        "structural.snapshot_interval=100 ms", "structural.candidate_density=0.5",
        "simulation.duration=300 ms", "simulation.warmup=100 ms",
        "structural.elements.exc.axon={curve: linear, growth_rate: 0 /day, eps: 0.05}",
        "structural.elements.exc.den_exc={curve: linear, growth_rate: 0 /day, eps: 0.05}")
    result = plasticity.open_result(plasticity.run(config, tmp_path / "sparse.h5"))
    first = None
    for k in range(9):  # 3 windows x 3 snapshots
        _, edges = result.snapshot("exc_to_exc", k)
        edges = np.asarray(edges).reshape(-1, 3)
        edges = edges[np.lexsort((edges[:, 1], edges[:, 0]))]
        if first is None:
            first = edges
            assert len(first) > 0
        np.testing.assert_array_equal(edges, first)


def test_clinical_mode_checks():
    from plasticity.errors import ConfigError

    base = ["structural.enabled=true", "synapses.nmda_gating=event", "timeline.mode=clinical",
            "timeline.end=1 day"]
    with pytest.raises(ConfigError, match="one plastic pathway"):
        small_config(*base, "structural.pathways=[exc_to_exc, exc_to_pv]",
                     "structural.elements.pv={den_exc: {}}")
    with pytest.raises(ConfigError, match="clinical_update_interval"):
        small_config(*base, "timeline.windows=[0 h, 90 min]")
    with pytest.raises(ConfigError, match="turnover"):
        small_config("structural.enabled=true", "synapses.nmda_gating=event",
                     "structural.turnover={new_exit_rate: 1 /day}")
    with pytest.raises(ConfigError, match="clinical"):
        small_config("timeline.mode=clinical", "timeline.end=1 day")


def test_relative_rates_are_smoothed_across_windows_and_the_mean_is_not():
    """Each cell's calcium after a window is the window's population mean times the cell's
    relative rate, smoothed with weight 1 - exp(-dt/tau) (dt: clinical time since the last
    window, tau: structural.rate_smoothing); the population mean is the window's own."""
    from plasticity.simulation.clinical import ClinicalClock
    from plasticity.simulation.rundata import RunData
    from plasticity.simulation.timeline import Segment

    config = small_config("network.n_exc=4", "structural.enabled=true",
                          "synapses.nmda_gating=event", "timeline.mode=clinical",
                          "timeline.end=1 day", "simulation.duration=1 s",
                          "simulation.warmup=0 s", "structural.rate_smoothing=1 day")
    clock = ClinicalClock(config, [])

    def window(counts):
        ids = np.repeat(np.arange(4), counts)
        data = RunData(spikes={"exc": (ids, np.full(len(ids), 500.0))}, sizes={"exc": 4},
                       probe_time_ms=np.zeros(0), probes={}, probe_meta={}, n_synapses={},
                       timings={}, build_dir=None, concentration_uM=np.zeros(1),
                       trace_dt_ms=10.0)
        return data

    beta_tau = 0.001 * 10.0  # NEST's sensor: calcium per Hz
    first = clock._calcium(Segment(0, 0.0, 1.0, 1.0, 1), window([2, 4, 6, 8]), "exc")
    np.testing.assert_allclose(first, beta_tau * np.array([2.0, 4.0, 6.0, 8.0]))
    clock.last_s = 0.0
    second = clock._calcium(Segment(1, 6 * 3600.0, 1.0, 1.0, 2), window([8, 6, 4, 2]), "exc")
    w = 1.0 - math.exp(-0.25)  # 6 h over a 1-day time constant
    relative = np.array([0.4, 0.8, 1.2, 1.6]) + w * (np.array([1.6, 1.2, 0.8, 0.4])
                                                    - np.array([0.4, 0.8, 1.2, 1.6]))
    np.testing.assert_allclose(second, beta_tau * 5.0 * relative)
    assert second.mean() == pytest.approx(beta_tau * 5.0)


def test_imaging_turnover_counts_pairs_as_daily_images_do():
    from plasticity.simulation.clinical import imaging_turnover

    yesterday = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    today = np.array([1, 1, 1, 0, 1, 1, 0, 0], dtype=bool)
    five = np.array([0, 0, 1, 1, 0, 0, 0, 0], dtype=bool)
    four = np.array([1, 1, 1, 1, 1, 0, 0, 0], dtype=bool)  # pairs 0, 1 and 4 appeared
    out = imaging_turnover(today, yesterday, {4: four, 5: five})
    assert out["imaging_gain_per_day"] == pytest.approx(2 / 4)   # pairs 4, 5 over 4 present
    assert out["imaging_loss_per_day"] == pytest.approx(1 / 4)   # pair 3
    assert out["imaging_new_survival_4d"] == pytest.approx(3 / 3)  # 0, 1, 4 still present
    assert math.isnan(imaging_turnover(today, None, {})["imaging_gain_per_day"])


def test_removed_elements_settle_where_constitutive_formation_balances_elimination(lib):
    """elimination 'removes' with formation F per neuron and day on both sides: new synapses
    form at Phi = F n, leave the new state at k_x (a share a eliminated), stable ones go at
    k_s, so N* = Phi (1/k_x + (1 - a)/k_s) (closed form, two-state process)."""
    n, f, k_x, a, k_s = 20, 1.0, 1.0, 0.4, 0.1  # per day
    pool = _pool(n, n, recurrent=True)
    day = 86400.0
    rec = run_updates(lib, pool, np.full(n, f / day), np.full(n, f / day), n_updates=24 * 120,
                      dt_s=3600.0, new_exit_rate=k_x / day, new_eliminated_fraction=a,
                      stable_elimination_rate=k_s / day, seed=3, remove_elements=True)
    n_star = n * f * (1 / k_x + (1 - a) / k_s)  # 140
    late = rec[24 * 60:, 0]
    assert late.mean() == pytest.approx(n_star, rel=0.05)
    # each neuron's elements track its synapses (no vacancies pile up)
    assert np.all(pool.z_post - np.bincount(pool.post, weights=pool.nsyn, minlength=n) < 1.5)
    # 'frees' keeps the count with the elements: it only grows with F
    kept = _pool(n, n, recurrent=True)
    rec = run_updates(lib, kept, np.full(n, f / day), np.full(n, f / day), n_updates=24 * 120,
                      dt_s=3600.0, new_exit_rate=k_x / day, new_eliminated_fraction=a,
                      stable_elimination_rate=k_s / day, seed=3, remove_elements=False)
    assert rec[-1, 0] > 2 * n_star


def test_new_synapse_elimination_share_is_per_target(lib):
    """Targets whose new synapses are all eliminated hold only new ones (Phi/k_x); targets
    that keep them all accumulate stable ones: Phi (1/k_x + 1/k_s)."""
    n, f, k_x, k_s = 20, 1.0, 1.0, 0.2
    pool = _pool(n, n)
    day = 86400.0
    frac = np.where(np.arange(n) < n // 2, 1.0, 0.0)
    rec = run_updates(lib, pool, np.full(n, f / day), np.full(n, f / day), n_updates=24 * 80,
                      dt_s=3600.0, new_exit_rate=k_x / day, new_eliminated_fraction=frac,
                      stable_elimination_rate=k_s / day, seed=5, remove_elements=True)
    assert rec.shape[0] == 24 * 80
    per_target = np.bincount(pool.post, weights=pool.nsyn, minlength=n)
    # half the pairing goes to each half of the targets: Phi per half = F n / 2 ... per
    # target F, so each target holds F/k_x (all eliminated) or F (1/k_x + 1/k_s)
    assert per_target[: n // 2].mean() == pytest.approx(f / k_x, rel=0.35)
    assert per_target[n // 2:].mean() == pytest.approx(f * (1 / k_x + 1 / k_s), rel=0.15)


def test_signalling_on_the_clock_raises_proteins_after_a_dose_and_rapamycin_stops_it(tmp_path):
    """Both growth-factor routes on the small network over a 0.5 mg/kg infusion: the
    synaptic-protein signal rises after the dose and is recorded per update; with
    rapamycin it stays at rest; with formation and stabilisation gains the drug adds
    synapses against the same run under rapamycin."""
    base = [
        "structural.enabled=true", "synapses.nmda_gating=event", "timeline.mode=clinical",
        "timeline.start=-1 h", "timeline.end=12 h", "timeline.window_every=1 h",
        "structural.update_interval=100 ms", "structural.clinical_update_interval=15 min",
        "simulation.duration=600 ms", "simulation.warmup=200 ms",
        "structural.elements.exc.axon={curve: linear, growth_rate: 0 /day, eps: 0.05}",
        "structural.elements.exc.den_exc={curve: linear, growth_rate: 0 /day, eps: 0.05}",
        "pharmacology.protocol={infusions: [{start: 0 min, dose: 2 mg/kg, duration: 40 min}]}",
        "signalling.enabled=true", "signalling.formation_gain=5000 /day",
        "seed=2",
    ]
    intact = plasticity.open_result(plasticity.run(small_config(*base), tmp_path / "a.h5"))
    rapa = plasticity.open_result(plasticity.run(
        small_config(*base, "signalling.knockouts.rapamycin=true"), tmp_path / "r.h5"))
    clinical = intact.series("clinical")
    t_h = clinical["clinical_time_h"].values
    protein = clinical["signal_protein"].values
    assert np.all(protein[t_h <= 0] == 0)
    assert protein[t_h > 2].min() > 0
    assert clinical["signal_bdnf"].values.max() > 0
    assert not rapa.series("clinical")["signal_protein"].values.any()
    n_intact = clinical["n_syn_exc_to_exc"].values[-1]
    n_rapa = rapa.series("clinical")["n_syn_exc_to_exc"].values[-1]
    assert n_intact > n_rapa
    timeline = intact.series("timeline")
    assert timeline["window_ket_block_exc"].values.max() > 0.05
    assert timeline["window_ampa_current_exc"].values.min() > 0


def test_a_killed_signalling_run_resumes_exactly(tmp_path, monkeypatch):
    """Killed after a window during the drug, the clock resumes from the checkpointed
    synapses, growth-factor state, surge reference and smoothed rates: the same result."""
    from plasticity.simulation import experiment

    config = small_config(
        "structural.enabled=true", "synapses.nmda_gating=event", "timeline.mode=clinical",
        "timeline.start=-1 h", "timeline.end=5 h", "timeline.window_every=1 h",
        "structural.update_interval=100 ms", "structural.clinical_update_interval=15 min",
        "simulation.duration=400 ms", "simulation.warmup=100 ms",
        # the small network fires at about 60 Hz: its set point there (eps 0.6)
        "structural.elements.exc.axon={curve: linear, growth_rate: 2 /day, eps: 0.6}",
        "structural.elements.exc.den_exc={curve: linear, growth_rate: 2 /day, eps: 0.6}",
        "structural.turnover={new_exit_rate: 1 /day, new_eliminated_fraction: 0.4, "
        "stable_elimination_rate: 0.05 /day, elimination: removes, "
        "constitutive_formation: 0.4 /day}",
        "pharmacology.protocol={infusions: [{start: 0 min, dose: 2 mg/kg, duration: 40 min}]}",
        "signalling.enabled=true", "signalling.formation_gain=2000 /day", "seed=5")
    full = plasticity.open_result(plasticity.run(config, tmp_path / "full.h5"))
    real = experiment.simulate_many

    def crash_after_third(configs, **kwargs):
        keep = kwargs["on_result"]

        def once(index, data):
            keep(index, data)
            if index == 2:
                raise KeyboardInterrupt("killed during the drug")

        return real(configs, **{**kwargs, "on_result": once})

    path = tmp_path / "resumed.h5"
    monkeypatch.setattr(experiment, "simulate_many", crash_after_third)
    with pytest.raises(KeyboardInterrupt):
        plasticity.run(config, path)
    monkeypatch.setattr(experiment, "simulate_many", real)
    resumed = plasticity.open_result(plasticity.run(config, path))
    assert resumed.provenance["resumed_segments"] == 3
    a, b = full.series("clinical"), resumed.series("clinical")
    assert a["signal_protein"].values.max() > 0
    for name in ("n_syn_exc_to_exc", "formed_exc_to_exc", "eliminated_exc_to_exc",
                 "signal_protein", "signal_bdnf"):
        np.testing.assert_array_equal(b[name].values, a[name].values, err_msg=name)
    final_a, final_b = full.final_state(), resumed.final_state()
    assert set(final_a) == set(final_b) and "signal/protein/exc" in final_a
    for key in final_a:
        np.testing.assert_array_equal(final_b[key], final_a[key], err_msg=key)


def test_a_run_leaves_the_callers_initial_state_unchanged(tmp_path):
    """Regression: the clock used to update the caller's 'nnew' array in place, so arms
    started one after another from one settled network did not start from the same one."""
    config = small_config(
        "structural.enabled=true", "synapses.nmda_gating=event", "timeline.mode=clinical",
        "timeline.end=2 h", "timeline.window_every=1 h", "structural.update_interval=100 ms",
        "simulation.duration=300 ms", "simulation.warmup=100 ms",
        "structural.elements.exc.axon={curve: linear, growth_rate: 2 /day, eps: 0.6}",
        "structural.elements.exc.den_exc={curve: linear, growth_rate: 2 /day, eps: 0.6}",
        "structural.turnover={new_exit_rate: 4 /day, new_eliminated_fraction: 0.4, "
        "stable_elimination_rate: 0.5 /day, elimination: removes, "
        "constitutive_formation: 2 /day}")
    # the first run is 10 days long: its last window is at 5 days
    longer = plasticity.load_config(config.model_dump(mode="json"), [
        "timeline.end=10 day", "timeline.window_every=5 day"])
    first = plasticity.open_result(plasticity.run(longer, tmp_path / "first.h5"))
    state = first.final_state()
    assert state["nnew/exc_to_exc"].any()
    assert "clock_time/last_window" in state
    saved = {key: value.copy() for key, value in state.items()}
    second = plasticity.open_result(plasticity.run(config, tmp_path / "second.h5",
                                                   initial_state=state))
    for key, value in saved.items():
        np.testing.assert_array_equal(state[key], value, err_msg=key)
    # regression: the first run's clock time (5 days) used to be taken as the last window
    # of the second run's timeline (from 0 h), and its rate smoothing blew up
    before = first.series("clinical")["n_syn_exc_to_exc"].values[-1]
    after = second.series("clinical")["n_syn_exc_to_exc"].values
    assert np.all(np.abs(after / before - 1.0) < 0.2), (before, after)

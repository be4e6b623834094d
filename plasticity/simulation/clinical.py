"""The clinical clock of structural plasticity: windows of network, clinical time between them.

Synapses form and vanish over clinical days; the calcium sensor that drives
their growth measures the network in seconds. Compressing clinical time by
scaling growth rates changes the loop's gain (science.md 7.5), so a
``clinical`` timeline separates the two time scales instead:

1. each **window** (``simulation.duration`` of network time, at clinical time
   ``t_k``, drug at its clinical concentration) runs the network on the
   current synapses with structure frozen, and measures each neuron's rate
   after the warm-up. The sensor's stationary mean is ``Ca = beta_Ca tau_Ca
   rate`` (it relaxes in ``tau_Ca``, seconds, far below the clinical update
   interval), which is what growth depends on;
2. between windows, over the clinical interval to the next window, every
   ``structural.clinical_update_interval`` the elements grow by ``dt nu
   g(Ca)`` at clinical-time rates, intrinsic turnover removes synapses at
   random (``structural.turnover``), and NEST's update deletes excess
   synapses and pairs vacant elements (:mod:`plasticity.model.clinical`, the
   engine's own code, compiled).

Windows follow the declared schedule of the timeline (dense while the drug
changes fast). The scheme's assumptions are checked and reported per window
(``/series/timeline``): the sensor's time constant against the update
interval, and how stationary the network is within the window (the change
of the population rate between the halves of the window after its
warm-up).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np

from plasticity.config import Config, split_pathway
from plasticity.model import scaling, signalling
from plasticity.model.clinical import (
    CLINICAL_SOURCES,
    LIBRARY_NAME,
    RECORD_FIELDS,
    ClinicalPool,
    compile_library,
    load_library,
    run_updates,
)
from plasticity.model.growth import growth_rate
from plasticity.model.structural import maturity_efficacy
from plasticity.pharmacology.block import ic50_in_mg_uM
from plasticity.simulation.builds import code_key, compiler_signature, ensure_build, scratch_root
from plasticity.simulation.rundata import RunData, mean_concentration
from plasticity.simulation.simulate import build_root
from plasticity.simulation.timeline import Segment, segment_seed

__all__ = ["IMAGING_KEYS", "SENSOR_TAU_LIMIT", "STATIONARITY_LIMIT", "ClinicalClock",
           "clock_checks", "imaging_turnover", "window_calcium", "window_stationarity"]

logger = logging.getLogger(__name__)


def _library(config: Config):
    """The compiled clinical library, from the build cache (compiled once)."""
    work = Path(tempfile.mkdtemp(prefix="plasticity-clinical-", dir=scratch_root()))
    try:
        generated = work / "clinical"
        generated.mkdir()
        for source in CLINICAL_SOURCES:
            shutil.copy(source, generated / source.name)
        key = "clinical-" + code_key(generated, compiler_signature(["-O2", "-std=c++14"]))
        build, _ = ensure_build(generated, build_root(config), key, compile_library,
                                product=LIBRARY_NAME)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return load_library(build)


def window_calcium(config: Config, data: RunData, pop: str) -> np.ndarray:
    """Stationary calcium of every cell of ``pop`` in a window.

    The sensor's mean once it has settled (``structural.sensor``): ``beta_Ca
    tau_Ca`` times the weighted sum of the cell's rate (its spikes after
    ``simulation.warmup``) and its mean NMDA Ca2+ current over
    ``nmda_charge_per_spike`` (same span).
    """
    ids, times = data.spikes[pop]
    t0 = float(config.simulation.warmup) * 1e3
    span_s = float(config.simulation.duration) - float(config.simulation.warmup)
    counts = np.bincount(np.asarray(ids)[np.asarray(times) >= t0],
                         minlength=data.sizes[pop]).astype(float)
    sp = config.structural
    w_spike, w_nmda = sp.sensor.weights()
    drive = w_spike * counts / span_s
    if w_nmda > 0:
        current = data.cell_means[pop]["ca_nmda_current"]
        drive = drive + w_nmda * current / float(sp.sensor.nmda_charge_per_spike)
    return float(sp.beta_ca) * float(sp.tau_ca) * drive


#: The clock's checks of its own assumptions (issue 12, validation c), our choices: the
#: sensor's time constant at most this share of the clinical update interval (the sensor
#: is at its stationary mean whenever the synapses change) ...
SENSOR_TAU_LIMIT = 0.1
#: ... and the population rate changing by at most this much between the halves of a
#: window after its warm-up (beyond three times the counting noise), else the warm-up is
#: too short or the network is not stationary at the window's drug concentration.
STATIONARITY_LIMIT = 0.1


def window_stationarity(config: Config, data: RunData, pop: str) -> tuple[float, float]:
    """Change of ``pop``'s rate between the two halves of a window after warm-up.

    Returns
    -------
    tuple of float
        The relative change ``|n2 - n1| / ((n1 + n2) / 2)`` of the spike counts
        of the two halves, and its standard deviation for a stationary Poisson
        count, ``2 / sqrt(n1 + n2)`` (0 and 0 without spikes).
    """
    _, times = data.spikes[pop]
    t0 = float(config.simulation.warmup) * 1e3
    t1 = float(config.simulation.duration) * 1e3
    mid = 0.5 * (t0 + t1)
    first = np.count_nonzero((times >= t0) & (times < mid))
    second = np.count_nonzero((times >= mid) & (times < t1))
    if first + second == 0:
        return 0.0, 0.0
    return (float(abs(second - first) / (0.5 * (first + second))),
            float(2.0 / np.sqrt(first + second)))


def clock_checks(config: Config, stationarity: list[tuple[float, float]]) -> list[str]:
    """The clock's assumptions that a run violates, one sentence each (empty: all hold).

    Parameters
    ----------
    config : Config
        The run's config.
    stationarity : list of (float, float)
        :func:`window_stationarity` of every window.
    """
    sp = config.structural
    out = []
    ratio = float(sp.tau_ca) / float(sp.clinical_update_interval)
    if ratio > SENSOR_TAU_LIMIT:
        out.append(f"structural.tau_ca is {ratio:.2g} of structural.clinical_update_interval "
                   f"(at most {SENSOR_TAU_LIMIT:g}): the sensor is not at its stationary mean "
                   "when the synapses change")
    bad = [k for k, (change, noise) in enumerate(stationarity)
           if change > max(STATIONARITY_LIMIT, 3.0 * noise)]
    if bad:
        worst = max(stationarity[k][0] for k in bad)
        out.append(f"{len(bad)} of {len(stationarity)} windows not stationary (rate changed "
                   f"by up to {worst:.0%} between their halves, limit "
                   f"{STATIONARITY_LIMIT:.0%}): lengthen simulation.warmup or the windows")
    return out


#: Points per clinical update at which the concentration-driven inputs are averaged.
SUBSAMPLES = 8


class ClinicalClock:
    """Advances the synapses over the clinical interval after each window.

    Use :meth:`between` as the ``between`` callback of
    :func:`plasticity.simulation.simulate.simulate_many`; it also records, in
    the window's :attr:`RunData.structure`, one row per clinical update
    (``clinical_time_ms`` and ``clinical_<field>`` of
    :data:`plasticity.model.clinical.RECORD_FIELDS`) and the window's checks.

    Parameters
    ----------
    config : Config
        A config with ``timeline.mode: clinical``.
    segments : list of Segment
        The windows still to run, in order (their ``interval_s``).
    initial_state : dict, optional
        The state the first of them starts from (a checkpoint's), with the
        ``nnew/<pathway>`` counts of new synapses.
    """

    def __init__(self, config: Config, segments: list[Segment],
                 initial_state: dict[str, np.ndarray] | None = None) -> None:
        self.config = config
        self.segments = segments
        self.pathway = config.structural.pathways[0]
        self.src, self.tgt = split_pathway(self.pathway)
        self.den = "den_exc" if self.src == "exc" else "den_inh"
        key = f"nnew/{self.pathway}"
        # copies throughout: the caller's state (e.g. one settled network that several
        # arms start from) must not change under it
        new = None if initial_state is None else initial_state.get(key)
        self.nnew = None if new is None else np.array(new, dtype=np.int32, copy=True)
        self.lib = _library(config)
        self.daily: dict[int, np.ndarray] = {}  # day -> synapse presence at that day's window
        # per population: each cell's rate relative to its population's, smoothed over
        # windows, and the clinical time of the last window
        self.relative: dict[str, np.ndarray] = {}
        self.last_s: float | None = None
        if initial_state is not None:
            self.relative = {key.partition("/")[2]: np.array(value, dtype=float, copy=True)
                             for key, value in initial_state.items()
                             if key.startswith("relative_rate/")}
            # the clinical time of the last window the smoothing took in (a resumed run
            # goes on smoothing exactly as the uninterrupted one)
            last = initial_state.get("clock_time/last_window")
            if last is not None and len(last):
                self.last_s = float(np.asarray(last)[0])
        # growth-factor signalling of the target cells (plasticity.model.signalling)
        self.signal: dict[str, np.ndarray] | None = None
        # the reference of the population's AMPA current that the surge is measured
        # against: [reference (A) and clinical time (s) of the last window, that
        # window's current (A)]
        self.ampa_reference: np.ndarray | None = None
        # between windows (signalling.between_windows: concentration): each target cell's
        # effective IC50 of the block (uM, NaN where none was read yet) and the running
        # fit [S_ce, S_cc] of the network's acute AMPA response to the drug
        self.affinity: np.ndarray | None = None
        self.receptor = config.pharmacology.resolved_receptors().get(f"exc_to_{self.tgt}")
        self.surge_fit: np.ndarray | None = None
        # homeostatic AMPA scaling of the target cells (plasticity.model.scaling)
        self.scaling: dict[str, np.ndarray] | None = None
        if config.scaling.enabled and initial_state is not None:
            kept = {name: initial_state.get(f"scaling/{name}/{self.tgt}")
                    for name in scaling.CARRIED}
            if all(v is not None for v in kept.values()):
                self.scaling = {k: np.array(v, dtype=float, copy=True) for k, v in kept.items()}
        if config.signalling.enabled and initial_state is not None:
            carried = {name: initial_state.get(f"signal/{name}/{self.tgt}")
                       for name in signalling.CARRIED}
            if all(v is not None for v in carried.values()):
                self.signal = {k: np.array(v, dtype=float, copy=True)
                               for k, v in carried.items()}
            reference = initial_state.get(f"signal_reference/{self.tgt}")
            if reference is not None:
                self.ampa_reference = np.asarray(reference, dtype=float).copy()
            affinity = initial_state.get(f"block_affinity/{self.tgt}")
            if affinity is not None:
                self.affinity = np.asarray(affinity, dtype=float).copy()
            fit = initial_state.get(f"surge_response/{self.tgt}")
            if fit is not None:
                self.surge_fit = np.asarray(fit, dtype=float).copy()

    def _initial_new(self, nsyn: np.ndarray) -> np.ndarray:
        """New (not yet stable) synapses at the start of the clock.

        None, or with ``elimination: removes`` the steady-state share of the
        two-state process, ``(1/k_x) / (1/k_x + (1 - a)/k_s)``, drawn per synapse
        from the config's seed (else the count would first overshoot as the new
        pool fills, then sink over 1/k_s).
        """
        share = self.config.structural.turnover.steady_new_share()
        if share <= 0:
            return np.zeros(len(nsyn), dtype=np.int32)
        rng = np.random.default_rng(segment_seed(self.config.seed + 104729, 0))
        return rng.binomial(np.asarray(nsyn, dtype=np.int64), share).astype(np.int32)

    def _dz(self, pop: str, element: str, ca: np.ndarray) -> np.ndarray:
        cfg = self.config.structural.elements[pop][element]
        nu = float(cfg.growth_rate)  # elements per clinical second
        return growth_rate(cfg.curve, ca, nu, eps=cfg.eps, eta=cfg.eta, psi=cfg.psi)

    def _refreshes(self, seg: Segment) -> bool:
        """Whether this window's counts enter the cells' relative rates.

        Every window, or with ``structural.rate_refresh`` only windows at
        least that long after the last one taken in: the noise of the
        relative rates (a few seconds of counts per cell), and with it the
        steady synapse count, then does not depend on how densely windows
        are placed between refreshes.
        """
        refresh = float(self.config.structural.rate_refresh)
        return (refresh <= 0 or self.last_s is None
                or seg.clinical_start_s - self.last_s >= refresh - 1e-6
                or seg.clinical_start_s < self.last_s)

    def _calcium(self, seg: Segment, data: RunData, pop: str, refresh: bool = True
                 ) -> np.ndarray:
        """Each cell's calcium for the growth after this window.

        The window's population mean rate (precise: every cell counts) times
        each cell's rate relative to it, smoothed over windows with the
        clinical time constant ``structural.rate_smoothing`` (0: this window's
        count alone, whose noise over a few seconds is held until the next
        window). Without ``refresh`` the relative rates are those already
        held (:meth:`_refreshes`).
        """
        ca = window_calcium(self.config, data, pop)
        tau = float(self.config.structural.rate_smoothing)
        mean = float(ca.mean())
        if tau <= 0 or mean <= 0:
            return ca
        observed = ca / mean
        previous = self.relative.get(pop)
        usable = previous is not None and len(previous) == len(ca)
        if usable and not refresh:
            return mean * previous
        if (not usable or self.last_s is None or seg.clinical_start_s < self.last_s):
            relative = observed
        else:
            weight = 1.0 - np.exp(-(seg.clinical_start_s - self.last_s) / tau)
            relative = previous + weight * (observed - previous)
        self.relative[pop] = relative
        return mean * relative

    def _imaging(self, seg: Segment, nsyn: np.ndarray, data: RunData) -> None:
        """Daily imaging readouts at windows on whole days from the start."""
        days = (seg.clinical_start_s - float(self.config.timeline.start)) / 86400.0
        values = {key: float("nan") for key in IMAGING_KEYS}
        if abs(days - round(days)) < 1e-9:
            day = round(days)
            present = np.asarray(nsyn) > 0
            self.daily[day] = present
            values = imaging_turnover(present, self.daily.get(day - 1),
                                      {k: self.daily[day - k] for k in (4, 5)
                                       if day - k in self.daily})
            for old in [d for d in self.daily if d < day - 5]:
                del self.daily[old]
        for key, value in values.items():
            data.structure[key] = np.array([value])

    def _signalled_updates(self, window_s: float, data: RunData, pool: ClinicalPool,
                           dz_pre: np.ndarray, dz_post: np.ndarray, n_updates: int, seed: int,
                           rates: dict) -> tuple[np.ndarray, list[np.ndarray]]:
        """The clinical updates of one interval, with growth factors.

        The window's readouts of the target cells give the cascade's inputs
        (held, or following the concentration: :meth:`_inputs_between`);
        each update's mean synaptic protein adds element growth on
        both sides (an E->E pathway: the same cells) and sets each target
        cell's share of new synapses eliminated.
        """
        config = self.config
        means = data.cell_means[self.tgt]
        ampa = float(np.mean(means["ampa_current"]))
        first = self.ampa_reference is None
        if first:  # the first window (before any dose) starts it
            self.ampa_reference = np.array([ampa, window_s, ampa])
        kept = self.ampa_reference
        last_s = None if first else float(kept[1])
        tau_s = float(config.signalling.surge_adaptation)
        # the reference follows the current, taken linear from the last window to this
        # one, up to this window; a state of an older version (no last value) holds it
        last_value = float(kept[2]) if len(kept) > 2 else None
        reference = signalling.adapt_reference(
            float(kept[0]), float(kept[1]), ampa, window_s, tau_s, last_value)
        self.ampa_reference = np.array([reference, window_s, ampa])
        excess = ampa / reference - 1.0
        block = np.asarray(means["ket_block"], dtype=float)
        n_cells = len(block)
        if self.signal is None or len(self.signal["protein"]) != n_cells:
            self.signal = signalling.initial_state(n_cells)
        step = rates["dt_s"]
        per_update = self._inputs_between(data, window_s, last_s, tau_s, excess, block,
                                          n_updates, step)
        # the cascade does not depend on the synapses: all updates' protein first, then
        # one call of the compiled updates with per-update growth and elimination shares
        n_pre, n_post = len(dz_pre), len(dz_post)
        grow_pre, grow_post = np.zeros((n_updates, n_pre)), np.zeros((n_updates, n_post))
        frac = np.zeros((n_updates, n_post))
        traces = {name: np.zeros(n_updates) for name in ("bdnf", "mtor", "protein")}
        traces["block"] = np.array([float(np.mean(b)) for _, b, _ in per_update])
        traces["ampa_excess"] = np.array([e for _, _, e in per_update])
        bdnf = []
        for u in range(n_updates):
            protein = signalling.advance(config, self.signal, per_update[u][0], step)
            bdnf.append(self.signal["bdnf"].copy())
            extra, frac[u] = signalling.effects(config, protein)
            grow_pre[u] = dz_pre + extra
            grow_post[u] = dz_post + extra
            for name in ("bdnf", "mtor", "protein"):
                traces[name][u] = float(np.mean(self.signal[name]))
        records = run_updates(self.lib, pool, grow_pre, grow_post, n_updates=n_updates,
                              new_eliminated_fraction=frac, seed=seed, **rates)
        for name, trace in traces.items():
            data.structure[f"clinical_signal_{name}"] = trace
        return records, bdnf

    def _fallback_affinity_uM(self) -> float | None:
        """The block model's IC50 in Mg2+ at the target receptor's ``v_ref`` (uM).

        None where the target cells' NMDA receptors are not blocked.
        """
        ph, receptor = self.config.pharmacology, self.receptor
        if receptor is None or not receptor.blocked:
            return None
        v_ref_mV = float(receptor.v_ref) * 1e3
        return float(ic50_in_mg_uM(
            float(receptor.k0) * 1e3, v_ref_mV, float(self.config.synapses.Mg),
            delta=receptor.delta, v_ref_mV=v_ref_mV, mg_k0_mM=float(receptor.mg_k0),
            mg_slope_per_mV=float(receptor.mg_slope) * 1e-3, temperature_C=ph.temperature_C))

    def _inputs_between(self, data: RunData, window_s: float, last_s: float | None,
                        tau_s: float, excess: float, block: np.ndarray, n_updates: int,
                        step: float) -> list[tuple[signalling.SignallingInputs, np.ndarray,
                                                   float]]:
        """The cascade's inputs of each update after a window (plasticity.model.signalling).

        With ``signalling.between_windows: concentration`` and a PK protocol the
        block and the drug-driven part of the AMPA excess follow the
        concentration, averaged over :data:`SUBSAMPLES` points of each update;
        otherwise the window's values are held. Returns, per update, the
        inputs, each cell's mean block and the mean relative AMPA excess.
        """
        config = self.config
        protocol = config.pharmacology.protocol
        if config.signalling.between_windows == "held" or protocol is None:
            held = signalling.inputs(config, 1.0 + excess, block)
            return [(held, block, excess)] * n_updates
        from plasticity.pharmacology.exposure import driving_concentration_uM

        sim = config.simulation
        # the window's mean concentration over the span its readouts cover
        conc_w = mean_concentration(data, float(sim.warmup) * 1e3, float(sim.duration) * 1e3)
        fallback = self._fallback_affinity_uM()
        self.surge_fit = signalling.surge_response(self.surge_fit, excess, conc_w, last_s,
                                                   window_s, tau_s)
        if config.signalling.surge_input == "fitted":
            # only the drug-driven part k C_w of the window's excess: without drug, none
            excess = float(signalling.surge_between(np.array([conc_w]), 0.0, 0.0,
                                                    self.surge_fit)[0])
        offsets = (np.arange(n_updates)[:, None]
                   + (np.arange(SUBSAMPLES)[None, :] + 0.5) / SUBSAMPLES) * step
        conc = driving_concentration_uM(protocol, (window_s + offsets).ravel()).reshape(
            offsets.shape)
        if fallback is None:
            self.affinity = None
            blocks = np.zeros((n_updates, SUBSAMPLES, len(block)))
        else:
            hill = self.receptor.hill
            self.affinity = signalling.block_affinity(block, conc_w, hill, self.affinity,
                                                      fallback)
            blocks = np.stack([signalling.block_between(c, self.affinity, hill) for c in conc])
        out = []
        for u in range(n_updates):
            e = signalling.surge_between(conc[u], excess, conc_w, self.surge_fit)
            out.append((signalling.mean_inputs(config, e, blocks[u]), blocks[u].mean(axis=0),
                        float(np.mean(e))))
        return out

    def _scale(self, state: dict[str, np.ndarray], data: RunData, n_updates: int, step: float,
               ca_post: np.ndarray, bdnf: list[np.ndarray]) -> None:
        """Homeostatic AMPA scaling of the target cells over the interval's updates.

        ``bdnf``: each update's BDNF-translation signal per cell (empty without signalling).
        """
        config = self.config
        n = len(ca_post)
        if self.scaling is None or len(self.scaling["fast"]) != n:
            self.scaling = scaling.initial_state(n)
        eps = config.structural.elements[self.tgt][self.den].eps
        mean = np.zeros(n_updates)
        for u in range(n_updates):
            scaling.advance(config, self.scaling, step, bdnf[u] if bdnf else None, ca_post,
                            eps)
            mean[u] = float(np.mean(scaling.factor(config, self.scaling)))
        data.structure["clinical_ampa_scale"] = mean
        for name, values in self.scaling.items():
            state[f"scaling/{name}/{self.tgt}"] = values.copy()
        state[f"ampa_scale/{self.tgt}"] = scaling.factor(config, self.scaling)

    def between(self, index: int, data: RunData,
                pairs: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
        """Advance the synapses over the clinical interval after window ``index``."""
        config, sp = self.config, self.config.structural
        seg = self.segments[index]
        state = {k: np.array(v, copy=True) for k, v in data.final_state.items()}
        nsyn_key = f"nsyn/{self.pathway}"
        zpre_key, zpost_key = f"z_axon/{self.src}", f"z_{self.den}/{self.tgt}"
        if self.nnew is None or len(self.nnew) != len(state[nsyn_key]):
            self.nnew = self._initial_new(state[nsyn_key])
        pre, post = pairs[self.pathway]
        self._imaging(seg, state[nsyn_key], data)
        refresh = self._refreshes(seg)
        ca_pre = self._calcium(seg, data, self.src, refresh)
        ca_post = (ca_pre if self.src == self.tgt
                   else self._calcium(seg, data, self.tgt, refresh))
        for pop, rel in self.relative.items():
            state[f"relative_rate/{pop}"] = rel.copy()
        if refresh:
            self.last_s = seg.clinical_start_s
        state["clock_time/last_window"] = np.array([self.last_s])
        recurrent = self.src == self.tgt
        el_pre, el_post = sp.elements[self.src]["axon"], sp.elements[self.tgt][self.den]
        pool = ClinicalPool(
            pre=pre, post=post, nsyn=state[nsyn_key], nnew=self.nnew,
            z_pre=state[zpre_key], z_post=state[zpost_key], recurrent=recurrent,
            autapses=sp.autapses, multapses=sp.multapses,
            continuous_pre=el_pre.continuous, continuous_post=el_post.continuous,
            tau_vacant_pre=el_pre.tau_vacant, tau_vacant_post=el_post.tau_vacant)
        step = float(sp.clinical_update_interval)
        n_updates = round(seg.interval_s / step)
        turnover = sp.turnover
        formation = turnover.formation_s(seg.clinical_start_s,
                                         seg.clinical_start_s + seg.interval_s)
        dz_pre = self._dz(self.src, "axon", ca_pre) + formation
        dz_post = self._dz(self.tgt, self.den, ca_post) + formation
        seed = segment_seed(config.seed + 7919, seg.stream_index)
        rates = dict(dt_s=step, new_exit_rate=float(turnover.new_exit_rate),
                     stable_elimination_rate=float(turnover.stable_elimination_rate),
                     remove_elements=turnover.elimination == "removes")
        bdnf: list[np.ndarray] = []
        if not config.signalling.enabled:
            records = run_updates(self.lib, pool, dz_pre, dz_post, n_updates=n_updates,
                                  new_eliminated_fraction=turnover.new_eliminated_fraction,
                                  seed=seed, **rates)
        else:
            records, bdnf = self._signalled_updates(seg.clinical_start_s, data, pool, dz_pre,
                                                    dz_post, n_updates, seed, rates)
            for name, values in self.signal.items():
                state[f"signal/{name}/{self.tgt}"] = values.copy()
            state[f"signal_reference/{self.tgt}"] = self.ampa_reference.copy()
            if self.affinity is not None:
                state[f"block_affinity/{self.tgt}"] = self.affinity.copy()
            if self.surge_fit is not None:
                state[f"surge_response/{self.tgt}"] = self.surge_fit.copy()
        if config.scaling.enabled:
            self._scale(state, data, n_updates, step, ca_post, bdnf)
        state[nsyn_key], state[zpre_key], state[zpost_key] = pool.nsyn, pool.z_pre, pool.z_post
        self.nnew = pool.nnew
        state[f"nnew/{self.pathway}"] = pool.nnew.copy()
        # weights follow maturity: a new synapse transmits with new_weight of a stable one
        missing = 1.0 - turnover.new_weight
        if turnover.weights_follow_maturity:
            state[f"efficacy/{self.pathway}"] = maturity_efficacy(turnover.new_weight,
                                                                  pool.nsyn, pool.nnew)
        times_ms = (seg.clinical_start_s + step * np.arange(1, n_updates + 1)) * 1e3
        data.structure["clinical_time_ms"] = times_ms
        for k, field in enumerate(RECORD_FIELDS):
            data.structure[f"clinical_{field}"] = records[:, k]
        # summed weight of the pathway's synapses, in units of a stable synapse
        data.structure["clinical_weight"] = records[:, 0] - missing * records[:, 5]
        change, noise = window_stationarity(config, data, self.tgt)
        data.structure["window_stationarity"] = np.array([change])
        data.structure["window_stationarity_noise"] = np.array([noise])
        data.structure["window_ca_mean"] = np.array([float(np.mean(ca_post))])
        data.final_state = state
        logger.debug("window %d at %.2f h: %d clinical updates, %d synapses after",
                     seg.index, seg.clinical_start_s / 3600.0, n_updates,
                     int(records[-1, 0]) if n_updates else int(np.sum(pool.nsyn)))
        return state


IMAGING_KEYS = ("imaging_gain_per_day", "imaging_loss_per_day", "imaging_new_survival_4d")


def imaging_turnover(today: np.ndarray, yesterday: np.ndarray | None,
                     days_ago: dict[int, np.ndarray]) -> dict[str, float]:
    """Turnover as daily two-photon imaging would see it, from synapse presence per pair.

    Parameters
    ----------
    today, yesterday : numpy.ndarray of bool
        Which candidate pairs hold a synapse at this day's window and the day before.
    days_ago : dict
        ``{4: presence 4 days ago, 5: presence 5 days ago}`` where known.

    Returns
    -------
    dict
        ``imaging_gain_per_day`` (pairs present today and absent yesterday, over
        those present yesterday), ``imaging_loss_per_day`` (present yesterday,
        absent today, same denominator) and ``imaging_new_survival_4d`` (of the
        pairs that appeared between 5 and 4 days ago, the share present today);
        NaN where not defined. Spines born and lost between two images are not
        seen, as in imaging (Holtmaat et al. 2005).
    """
    out = {key: float("nan") for key in IMAGING_KEYS}
    if yesterday is not None and yesterday.any():
        base = float(np.count_nonzero(yesterday))
        out["imaging_gain_per_day"] = float(np.count_nonzero(today & ~yesterday)) / base
        out["imaging_loss_per_day"] = float(np.count_nonzero(yesterday & ~today)) / base
    if 4 in days_ago and 5 in days_ago:
        new = days_ago[4] & ~days_ago[5]
        if new.any():
            out["imaging_new_survival_4d"] = float(np.count_nonzero(new & today)) / float(
                np.count_nonzero(new))
    return out

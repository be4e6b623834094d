"""One virtual patient: a chain of sessions on one clinical clock, each chosen by a policy.

A config with a ``treatment`` section (:class:`plasticity.config.TreatmentConfig`)
is run as a chain of *pieces*, each an ordinary experiment
(:func:`plasticity.simulation.experiment.run`) on the clinical clock that
continues the one before it exactly:

1. ``settle``: the config's initial (unstressed) network under the config's
   turnover, windows every ``settle_window_every``: the stress-induced
   synapse loss develops (skipped when ``settle`` is 0);
2. ``lead-in``: drug-free windows on the session grid up to the first
   session (day 0); its end is the patient's baseline;
3. for each session *k*: from the last piece's end to ``response_at`` after
   the session's start, with every infusion so far in the protocol (the PK
   residue of earlier sessions is exact). The response readout at its end
   and the exposure of the sessions so far go to the policy
   (:mod:`plasticity.planning.policies`), which chooses the next session or
   stops;
4. ``follow-up``: up to ``follow_up`` after the last session's start.

Every piece starts from the structural state the previous one ended with,
keeps its clinical clock (the rate smoothing, the surge reference) and draws
from the random streams numbered on from the previous piece's
(``timeline.continues``, ``timeline.stream_offset``), so a chain under a
fixed schedule equals one run of the same windows with every infusion in its
protocol (``tests/test_treatment.py``).
The windows of the session pieces follow the config's timeline rules
(``window_every`` from the lead-in's start, ``dense_every`` for
``dense_after_dose`` after each dose).

Response readouts (``treatment.response``), from the E->E synapse count
``N``: ``deficit_restored`` = (N(session + response_at) - N_base) /
(N_control - N_base), with N_control the initial network's count and N_base
the count at the end of the lead-in: the fraction of the stress-induced loss
that is back, the readout of Li et al. 2011 (Biol Psychiatry 69:754: spines
lost under stress restored 24 h after ketamine); ``relative_gain`` =
(N - N_base) / N_base.

Each finished piece is kept in ``<output>.sessions/`` and reused when the
same command runs again (the chain is deterministic, so the same pieces
lead to the same choices). With ``shared_dir`` (a sweep's points pass their
sweep directory's ``shared/``), the settle piece is kept there under a key of
its config and start state and taken by every chain that settles the same
network the same way (the arms of one virtual patient differ only in what
follows the lead-in): one settle per patient instead of one per arm. A lock
file keeps two workers from settling the same patient at once.

The patient's file has the merged series, spikes and clinical updates of
all pieces, the final state, and ``/series/sessions``: one row per session
with its start, dose, duration, the response it produced, the response that
chose it, and its plasma peak and AUC.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import math
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from plasticity.config import Config, dump_config, load_config
from plasticity.pharmacology.exposure import pk_parameters
from plasticity.planning import Outcome, Policy, Session, describe
from plasticity.planning.exposure import session_exposure
from plasticity.simulation.experiment import run as run_timeline
from plasticity.simulation.simulate import reusing_builds
from plasticity.simulation.timeline import clinical_windows
from plasticity.storage import MissingEntryError, Series, SpikeData, open_result, write_result

__all__ = ["run", "run_treatment", "sessions_dir"]

logger = logging.getLogger(__name__)

_DAY = 86400.0


def sessions_dir(output: Path) -> Path:
    """Directory holding the finished pieces of a patient's chain."""
    return output.with_name(output.name + ".sessions")


def run(config: Config, output: str | Path | None = None, *, progress: bool = False,
        initial_state: dict[str, np.ndarray] | None = None,
        shared_dir: str | Path | None = None) -> Path:
    """Run a config: its treatment if it has one, else its timeline.

    Parameters
    ----------
    config : Config
        A validated config.
    output : path, optional
        Result file; default ``results/<config.name>.h5``.
    progress : bool
        Show a progress bar on stderr.
    initial_state : dict, optional
        Structural state to start from (see
        :func:`plasticity.simulation.experiment.run`).
    shared_dir : path, optional
        For a treatment: where settle pieces are shared between chains
        (see :func:`run_treatment`); ignored otherwise.

    Returns
    -------
    Path
        The result file, written atomically.
    """
    if config.treatment is not None:
        return run_treatment(config, output, progress=progress, initial_state=initial_state,
                             shared_dir=shared_dir)
    return run_timeline(config, output, progress=progress, initial_state=initial_state)


def _count(state: dict[str, np.ndarray], pathway: str) -> float:
    return float(np.sum(state[f"nsyn/{pathway}"]))


def _seconds(value_s: float) -> str:
    """A clinical time as config text, exactly (``repr`` of the float)."""
    return f"{float(value_s)!r} s"


def _grid(value_s: float, step_s: float) -> float:
    return round(value_s / step_s) * step_s


def _state_digest(state: dict[str, np.ndarray] | None) -> str:
    digest = hashlib.sha256()
    for name in sorted(state or {}):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(state[name]).tobytes())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created) for the block.

    ``flock`` is released by the kernel when its holder dies, so a killed
    worker never leaves the lock behind. Where the filesystem has no locks,
    the block runs unlocked: two workers may then compute the same piece,
    each writing it atomically.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError as err:
            logger.warning("%s: no lock on this filesystem (%s): the piece may be computed "
                           "twice", path, err)
        yield


class _Chain:
    """The pieces of one patient, run (or reused) one after another."""

    def __init__(self, config: Config, output: Path, progress: bool,
                 initial_state: dict[str, np.ndarray] | None,
                 shared_dir: Path | None = None) -> None:
        self.config = config
        self.shared_dir = shared_dir
        self.tr = config.treatment
        self.base = {**config.model_dump(mode="json"), "treatment": None, "cohort": None,
                     "sweep": None}
        self.progress = progress
        self.state = initial_state
        self.pathway = config.structural.pathways[0]
        self.step = float(config.structural.clinical_update_interval)
        self.protocol = config.pharmacology.protocol
        self.salt = self.protocol.infusions[0].salt
        self.dir = sessions_dir(output)
        self.offset = 0
        self.pieces: list[Path] = []
        self.piece_names: list[str] = []
        key = hashlib.sha256((dump_config(config) + _state_digest(initial_state)).encode())
        self.key = key.hexdigest()[:16]
        marker = self.dir / "key.txt"
        if self.dir.exists() and (not marker.is_file() or marker.read_text() != self.key):
            logger.info("%s: pieces of another config or start state removed", self.dir)
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        marker.write_text(self.key)

    def piece_config(self, name: str, start_s: float, end_s: float, windows: list[float],
                     sessions: list[Session], *, shared: bool = False) -> Config:
        # a shared piece's name is the piece's alone (the name reaches no result)
        label = name if shared else f"{self.config.name}_{name}"
        data: dict[str, Any] = {**self.base, "name": label}
        data["timeline"] = {**self.base["timeline"], "start": _seconds(start_s),
                            "end": _seconds(end_s), "windows": [_seconds(w) for w in windows],
                            "continues": self.state is not None and bool(self.pieces),
                            "stream_offset": self.offset}
        infusions = [{"start": _seconds(s.start_day * _DAY),
                      "dose": f"{float(s.dose_mg_per_kg)!r} mg/kg",
                      "duration": f"{float(s.duration_min)!r} min", "salt": self.salt}
                     for s in sessions]
        if not infusions:  # drug-free: a zero dose where the first session will be
            infusions = [{"start": "0 s", "dose": "0 mg/kg", "duration": "40 min",
                          "salt": self.salt}]
        pharmacology = dict(self.base["pharmacology"])
        pharmacology["protocol"] = {**pharmacology["protocol"], "infusions": infusions}
        data["pharmacology"] = pharmacology
        return load_config(data)

    def session_windows(self, sessions: list[Session], start_s: float, end_s: float
                        ) -> list[float]:
        """Windows from ``start_s`` to ``end_s`` on the session grid (from the lead-in)."""
        anchor = -float(self.tr.lead_in)
        # no windows given: the config's timeline rules place them from the anchor on
        times = clinical_windows(self.piece_config("grid", anchor, end_s, [], sessions))
        return [start_s, *[t for t in times if start_s + 1e-6 < t < end_s - 1e-6]]

    def run_shared_piece(self, name: str, config: Config) -> Path:
        """:meth:`run_piece` kept in ``shared_dir`` for every chain with the same piece."""
        if self.shared_dir is None:
            return self.run_piece(name, config)
        key = hashlib.sha256((dump_config(config) + _state_digest(self.state)).encode())
        path = self.shared_dir / f"{name}_{key.hexdigest()[:16]}.h5"
        self.shared_dir.mkdir(parents=True, exist_ok=True)
        with _locked(path.with_suffix(".lock")):
            return self.run_piece(name, config, path)

    def run_piece(self, name: str, config: Config, path: Path | None = None) -> Path:
        index = len(self.pieces)
        if path is None:
            path = self.dir / f"piece_{index:03d}_{name}.h5"
        n = len(config.timeline.windows)
        reused = False
        if path.is_file():
            try:
                found = open_result(path)
                reused = found.config_yaml == dump_config(config)
            except Exception as err:  # noqa: BLE001 - an unreadable piece is run again
                logger.warning("%s: unreadable piece, run again (%s)", path, err)
        if reused:
            logger.info("%s: piece %s reused from %s", self.config.name, name, path)
        else:
            logger.info("%s: piece %s: %d windows from %.1f to %.1f h", self.config.name,
                        name, n, float(config.timeline.start) / 3600,
                        float(config.timeline.end) / 3600)
            run_timeline(config, path, progress=self.progress, initial_state=self.state)
        self.state = open_result(path).final_state()
        self.offset += n
        self.pieces.append(path)
        self.piece_names.append(name)
        return path


def run_treatment(config: Config, output: str | Path | None = None, *, progress: bool = False,
                  initial_state: dict[str, np.ndarray] | None = None,
                  shared_dir: str | Path | None = None) -> Path:
    """Run one patient's chain of sessions and write one result file.

    Parameters
    ----------
    config : Config
        A validated config with a ``treatment`` section.
    output : path, optional
        Result file; default ``results/<config.name>.h5``.
    progress : bool
        Show a progress bar on stderr (per piece).
    initial_state : dict, optional
        Structural state the first piece starts from instead of the config's
        initial network.
    shared_dir : path, optional
        Directory where the settle piece is kept under a key of its config
        and start state, and taken from by every chain that settles the same
        way (the arms of one virtual patient). Default: each chain settles
        on its own.

    Returns
    -------
    Path
        The patient's result file, written atomically; its pieces are removed
        once it is written.

    Raises
    ------
    ValueError
        If the config has no treatment, or the policy chooses a session that
        starts before the previous session's response is read.
    """
    if config.treatment is None:
        raise ValueError("run_treatment: the config has no 'treatment' section")
    # the pieces share one network: its Brian2 objects are generated once, not per piece
    with reusing_builds():
        return _run_chain(config, output, progress, initial_state,
                          None if shared_dir is None else Path(shared_dir))


def _run_chain(config: Config, output: str | Path | None, progress: bool,
               initial_state: dict[str, np.ndarray] | None, shared_dir: Path | None) -> Path:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    path = Path(output) if output is not None else Path("results") / f"{config.name}.h5"
    tr = config.treatment
    policy = tr.make_policy()
    chain = _Chain(config, path, progress, initial_state, shared_dir)
    step = chain.step
    lead_in = float(tr.lead_in)
    control = None
    if float(tr.settle) > 0:
        start = -lead_in - float(tr.settle)
        every = float(tr.settle_window_every)
        windows = sorted({_grid(t, step) for t in np.arange(start, -lead_in - 1e-6, every)})
        settled = chain.run_shared_piece("settle", chain.piece_config(
            "settle", start, -lead_in, windows, [], shared=shared_dir is not None))
        conn = open_result(settled).series("connectivity")
        control = float(conn[f"n_syn_{chain.pathway}"].values[0])
    elif initial_state is None:
        logger.info("%s: treatment.settle is 0: the chain starts from the config's initial "
                    "network", config.name)
    chain.run_piece("lead_in", chain.piece_config(
        "lead_in", -lead_in, 0.0, chain.session_windows([], -lead_in, 0.0), []))
    base_count = _count(chain.state, chain.pathway)
    if control is None:
        control = float("nan")
    params = pk_parameters(chain.protocol)
    weight_kg = float(chain.protocol.weight)
    response_at = float(tr.response_at)
    sessions: list[Session] = []
    counts: list[float] = []
    responses: list[float] = []
    history: list[Outcome] = []
    session = policy.next([])
    piece_start = 0.0
    stop_reason = ""
    while session is not None:
        start_s = _grid(session.start_day * _DAY, step)
        if start_s < piece_start - 1e-6:
            raise ValueError(
                f"treatment.policy {policy.name!r} chose a session at day "
                f"{session.start_day:g}, before the response of the previous session is "
                f"read (day {piece_start / _DAY:g}: treatment.response_at after its start)")
        session = Session(start_s / _DAY, session.dose_mg_per_kg, session.duration_min)
        sessions.append(session)
        end_s = start_s + response_at
        k = len(sessions)
        chain.run_piece(f"session{k}", chain.piece_config(
            f"session{k}", piece_start, end_s,
            chain.session_windows(sessions, piece_start, end_s), sessions))
        count = _count(chain.state, chain.pathway)
        counts.append(count)
        if tr.response == "deficit_restored":
            deficit = control - base_count
            response = (count - base_count) / deficit if deficit > 0 else float("nan")
        else:
            response = (count - base_count) / base_count
        responses.append(response)
        exposure = session_exposure(sessions, params, weight_kg, chain.salt)
        history = [Outcome(s, r, e.peak_uM, e.auc_uM_h)
                   for s, r, e in zip(sessions, responses, exposure, strict=True)]
        logger.info("%s: session %d (day %g, %g mg/kg over %g min): response %.3f, plasma "
                    "peak %.3g uM", config.name, k, session.start_day, session.dose_mg_per_kg,
                    session.duration_min, response, exposure[-1].peak_uM)
        piece_start = end_s
        session = policy.next(history)
        if session is None:
            stop_reason = policy.stop_reason(history) or "the policy's schedule ended"
    end_s = sessions[-1].start_day * _DAY + float(tr.follow_up)
    chain.run_piece("follow_up", chain.piece_config(
        "follow_up", piece_start, end_s, chain.session_windows(sessions, piece_start, end_s),
        sessions))
    final_count = _count(chain.state, chain.pathway)
    exposure = session_exposure(sessions, params, weight_kg, chain.salt)
    final = _write_patient(config, path, chain, sessions, responses, counts, exposure,
                           dict(control=control, base=base_count, final=final_count),
                           policy=policy, stop_reason=stop_reason,
                           started=started, wall_s=time.perf_counter() - t0)
    shutil.rmtree(chain.dir, ignore_errors=True)
    return final


def _write_patient(config: Config, path: Path, chain: _Chain, sessions: list[Session],
                   responses: list[float], counts: list[float], exposure: list,
                   count: dict[str, float], *, policy: Policy, stop_reason: str,
                   started: str, wall_s: float) -> Path:
    tr = config.treatment
    results = [open_result(p) for p in chain.pieces]
    threshold = float(getattr(policy, "response_threshold", math.inf))
    # network time runs on across pieces; the clinical updates are on clinical time already
    offsets, total = [], 0.0
    for result in results:
        offsets.append(total)
        total += float(result.provenance["n_segments"]) * float(config.simulation.duration) * 1e3
    series = []
    for name in results[0].series_names:
        if not all(name in r.series_names for r in results):
            continue
        parts = [r.series(name) for r in results]
        shift = name != "clinical"
        time_ms = np.concatenate([p["time"].values + (off if shift else 0.0)
                                  for p, off in zip(parts, offsets, strict=True)])
        variables = {
            var: (np.concatenate([np.asarray(p[var].values, dtype=float) for p in parts]),
                  str(parts[0][var].attrs.get("units", "1")),
                  str(parts[0][var].attrs.get("long_name", var)))
            for var in parts[0].data_vars if all(var in p for p in parts)}
        series.append(Series(name, time_ms, variables))
    starts = np.array([s.start_day for s in sessions])
    responded = np.array([r >= threshold for r in responses], dtype=float)
    before = np.array([math.nan, *responses[:-1]])
    rows = {
        "start_day": (starts, "day", "start of the session (days after the first)"),
        "dose_mg_per_kg": (np.array([s.dose_mg_per_kg for s in sessions]), "mg/kg",
                           f"dose ({chain.salt})"),
        "duration_min": (np.array([s.duration_min for s in sessions]), "min",
                         "infusion duration"),
        "response": (np.array(responses), "1",
                     f"response readout '{tr.response}' {float(tr.response_at) / 3600:g} h "
                     "after the session's start"),
        "chosen_after_response": (before, "1", "response of the previous session, from "
                                  "which the policy chose this one (NaN: the first)"),
        "responded": (responded, "1", f"response >= the policy's threshold {threshold:g}"),
        "n_syn_at_response": (np.array(counts), "1",
                              f"{chain.pathway} synapses when the response is read"),
        "peak_plasma_uM": (np.array([e.peak_uM for e in exposure]), "uM",
                           "peak total plasma concentration from the session's start to the "
                           "next's (residues included)"),
        "peak_day": (np.array([e.peak_day for e in exposure]), "day", "when the peak occurs"),
        "auc_uM_h": (np.array([e.auc_uM_h for e in exposure]), "uM h",
                     "plasma AUC from the session's start to the next's (the last: 7 days)"),
        "cumulative_auc_uM_h": (np.array([e.cumulative_auc_uM_h for e in exposure]), "uM h",
                                "plasma AUC from the first session to the end of this one's "
                                "interval"),
    }
    series.append(Series("sessions", starts * _DAY * 1e3, rows))
    spikes = []
    for pop in results[0].populations:
        ids = np.concatenate([r.spikes(pop)[0] for r in results])
        times = np.concatenate([r.spikes(pop)[1] + off
                                for r, off in zip(results, offsets, strict=True)])
        spikes.append(SpikeData(pop, ids, times, results[0].n_nodes(pop)))
    first = int(np.argmax(responded)) + 1 if responded.any() else 0
    limits = tr.limits
    max_peak = max(e.peak_uM for e in exposure)
    auc = exposure[-1].cumulative_auc_uM_h
    weight_kg = float(chain.protocol.weight)
    summary: dict[str, tuple[float, str]] = {
        "n_sessions": (float(len(sessions)), "1"),
        "total_dose_mg_per_kg": (float(sum(s.dose_mg_per_kg for s in sessions)), "mg/kg"),
        "total_dose_mg": (float(sum(s.dose_mg_per_kg for s in sessions)) * weight_kg, "mg"),
        "cumulative_auc_uM_h": (float(auc), "uM h"),
        "max_peak_plasma_uM": (float(max_peak), "uM"),
        "first_response_session": (float(first) if first else math.nan, "1"),
        "time_to_response_day": (float(starts[first - 1]) + float(tr.response_at) / _DAY
                                 if first else math.nan, "day"),
        "responded": (float(bool(first)), "1"),
        "final_response": (float(responses[-1]), "1"),
        "n_syn_control": (count["control"], "1"),
        "n_syn_baseline": (count["base"], "1"),
        "n_syn_end": (count["final"], "1"),
        "stress_loss": ((count["control"] - count["base"]) / count["control"], "1"),
        "end_vs_baseline": ((count["final"] - count["base"]) / count["base"], "1"),
        "peak_limit_exceeded": (float(limits.peak_plasma is not None and max_peak
                                      > float(limits.peak_plasma) * 1e3), "1"),
        "auc_limit_exceeded": (float(limits.cumulative_auc_uM_h is not None
                                     and auc > limits.cumulative_auc_uM_h), "1"),
        "weight_kg": (weight_kg, "kg"),
        "seed": (float(config.seed), "1"),
    }
    provenance = dict(results[0].provenance)
    provenance.update(
        wall_time_s=float(wall_s), started_utc=started,
        build_s=float(sum(float(r.provenance.get("build_s", 0.0)) for r in results)),
        run_s=float(sum(float(r.provenance.get("run_s", 0.0)) for r in results)),
        n_segments=int(sum(int(r.provenance["n_segments"]) for r in results)),
        treatment_policy=describe(policy),
        treatment_stop=stop_reason,
        treatment_pieces=", ".join(chain.piece_names),
        treatment_response=tr.response,
        clinical_start_h=float(results[0].provenance["clinical_start_h"]),
        clinical_end_h=float(results[-1].provenance["clinical_end_h"]),
        pk_parameters=pk_parameters(chain.protocol).name,
    )
    for key in ("initial_state", "resumed_segments"):
        provenance.pop(key, None)
    return write_result(path, spikes=spikes, series=series, summary=summary,
                        provenance=provenance, config_yaml=dump_config(config),
                        extra_attrs={"name": config.name},
                        snapshots=_merged_snapshots(results, offsets) or None,
                        final_state=chain.state)


def _merged_snapshots(results: list, offsets: list[float]
                      ) -> dict[str, tuple[np.ndarray, list[np.ndarray]]]:
    """Every piece's edge-list snapshots, network time running on across pieces."""
    out: dict[str, tuple[np.ndarray, list[np.ndarray]]] = {}
    for pathway in results[0].snapshot_pathways:
        times, edges = [], []
        for result, offset in zip(results, offsets, strict=True):
            if pathway not in result.snapshot_pathways:
                continue
            for k in itertools.count():
                try:
                    t, e = result.snapshot(pathway, k)
                except MissingEntryError:
                    break
                times.append(t + offset)
                edges.append(e)
        out[pathway] = (np.array(times), edges)
    return out

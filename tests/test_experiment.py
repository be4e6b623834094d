"""Whole experiments: drug time courses in the network, segments, checkpoints, resume."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import plasticity
from plasticity.pharmacology.exposure import driving_concentration_uM, protocol_pk
from plasticity.simulation.experiment import parts_dir
from tests.conftest import SMALL, small_config

PROTOCOL = "pharmacology.protocol={infusions: [{dose: 0.5 mg/kg, duration: 40 min, salt: base}]}"
# 300 ms segments (the small test network's build) standing for 18 min each
COMPRESSED = "timeline={mode: compressed, start: 0 min, end: 72 min, compression: 1 h}"
SEGMENTED = [PROTOCOL, COMPRESSED]


@pytest.fixture(scope="module")
def hill_protocol_result(tmp_path_factory):
    config = small_config(*SEGMENTED, "pharmacology.block_model=hill", "seed=3")
    path = plasticity.run(config, tmp_path_factory.mktemp("exp") / "hill.h5")
    return config, plasticity.open_result(path)


#: The 'hill' block holds the IC50 in 1 mM Mg2+ at v_ref = -66 mV, where the ketamine
#: factor is 1: IC50_Mg(v_ref) = K0 (1 + 1/(K_Mg0 exp(-0.062 * 66))), with K0 the IC50
#: without Mg2+ (Kotermanski & Johnson 2009, J Neurosci 29:2774) and K_Mg0 the Mg2+
#: affinity at 0 mV (Jahr & Stevens 1990 for GluN2A/B; inferred for GluN2C/D) of the default
#: hypothesis glun2cd_interneurons.
IC50_MG_AT_V_REF_UM = {
    "exc_to_exc": 0.32 * (1.0 + 1.0 / (3.57 * np.exp(-0.062 * 66.0))),  # GluN2A/B, 5.686 uM
    "exc_to_pv": 0.83 * (1.0 + 1.0 / (23.4 * np.exp(-0.062 * 66.0))),  # GluN2D, 2.953 uM
    "exc_to_sst": 0.51 * (1.0 + 1.0 / (45.6 * np.exp(-0.062 * 66.0))),  # GluN2C, 1.1795 uM
}
#: The default drive: the free effect-site concentration, 0.53 x total (ketamine bound "as
#: much as 47 %" to human plasma, Dayton et al. 1983, Eur J Clin Pharmacol 24:825).
FREE_DRIVE = "free effect-site concentration (0.53 x total; concentration_at: free_effect_site)"


@pytest.mark.smoke
def test_stored_block_follows_stored_concentration_through_the_hill_curve(hill_protocol_result):
    """Issue check: the run's block trace is the Hill curve C/(C + IC50_Mg(v_ref)) of its
    concentration trace."""
    config, result = hill_protocol_result
    state = result.series("state")
    conc = state["ketamine_conc"].values
    # the infusion is in there: the free effect-site peak of 0.5 mg/kg base over 40 min is
    # about 0.53 x 1 uM (Domino plasma peak about 240 ng/mL = 1 uM)
    assert 0.3 < conc.max() < 0.6
    receptors = config.pharmacology.resolved_receptors()
    assert set(receptors) == set(IC50_MG_AT_V_REF_UM)
    for pathway, ic50 in IC50_MG_AT_V_REF_UM.items():
        assert receptors[pathway].hill == 1.0
        expected = conc / (conc + ic50)
        assert np.allclose(state[f"nmda_block_{pathway}"].values, expected, rtol=1e-9,
                           atol=1e-12)


def test_stored_concentration_is_the_pk_at_clinical_time(hill_protocol_result):
    """Each stored concentration is the PK at the clinical time of the trace sample
    the network held then (segment k: clinical = start_k + compression * t_local)."""
    config, result = hill_protocol_result
    state = result.series("state")
    t_net_s = state["time"].values * 1e-3
    duration, dt, compression = 0.3, float(config.pharmacology.trace_dt), 3600.0
    k = np.floor(t_net_s / duration + 1e-9)
    held_local = np.floor((t_net_s - k * duration) / dt + 1e-6) * dt
    clinical = k * duration * compression + compression * held_local
    expected = driving_concentration_uM(config.pharmacology.protocol, clinical)
    assert np.allclose(state["ketamine_conc"].values, expected, rtol=1e-9, atol=1e-12)
    # by default that is the free effect-site concentration: 0.53 x the effect site
    assert config.pharmacology.protocol.concentration_at == "free_effect_site"
    effect = protocol_pk(config.pharmacology.protocol, clinical).effect_uM
    assert np.allclose(state["ketamine_conc"].values, 0.53 * effect, rtol=1e-9, atol=1e-12)


def test_timeline_table_and_provenance(hill_protocol_result):
    _, result = hill_protocol_result
    table = result.series("timeline")
    assert table["clinical_start_h"].values.tolist() == pytest.approx([0, 0.3, 0.6, 0.9])
    assert table["compression"].values.tolist() == [3600.0] * 4
    assert len(set(table["seed"].values.tolist())) == 4
    # each segment's readout is its own mean after its warm-up (50 ms)
    state = result.series("state")
    local = state["time"].values % 300.0
    segment = np.floor(state["time"].values / 300.0 + 1e-9)
    for k in range(4):
        mask = (segment == k) & (local >= 50.0 - 1e-9)
        assert table["ketamine_uM"].values[k] == pytest.approx(
            state["ketamine_conc"].values[mask].mean(), rel=0.02)
        assert table["nmda_block_exc_to_pv"].values[k] == pytest.approx(
            state["nmda_block_exc_to_pv"].values[mask].mean(), rel=1e-6)
    prov = result.provenance
    assert prov["timeline_mode"] == "compressed" and prov["n_segments"] == 4
    # the concentration that drives the block is named in the provenance and the series
    assert prov["concentration_drive"] == FREE_DRIVE
    assert FREE_DRIVE in state["ketamine_conc"].attrs["long_name"]
    assert prov["compression"] == 3600.0
    assert result.summary["n_segments"] == 4
    assert result.summary["exc_rate_hz"] == pytest.approx(table["exc_rate_hz"].values.mean())
    rates = result.series("rates")
    assert 1190.0 < rates["time"].values[-1] < 1200.0
    assert rates["clinical_time_h"].values[-1] == pytest.approx(1.2, abs=1e-3)


def test_every_segment_runs_one_network_with_its_own_noise(hill_protocol_result):
    """Regression: each segment used to redraw the whole network from its own seed, so a
    timeline sampled a different animal at every clinical time (and the clinical clock's
    per-cell rates were unrelated from one window to the next). The network is the config
    seed's in every segment; only the noise differs."""
    _, result = hill_protocol_result
    table = result.series("timeline")
    seeds = table["seed"].values
    assert len(set(seeds)) == len(seeds)  # each segment its own noise
    for pathway in ("exc_to_exc", "exc_to_pv", "pv_to_exc", "sst_to_exc"):
        counts = table[f"n_syn_{pathway}"].values
        assert np.all(counts == counts[0]), pathway  # ... on one network
    first_segment = plasticity.open_result(plasticity.run(
        small_config("pharmacology.block_model=hill", "seed=3", "simulation.duration=300 ms"),
        Path(result.path).with_name("plain.h5")))
    assert first_segment.summary["n_syn_pv_to_exc"] == table["n_syn_pv_to_exc"].values[0]


def test_segments_without_checkpoint_leftovers(hill_protocol_result, tmp_path):
    _, result = hill_protocol_result
    assert not parts_dir(Path(result.path)).exists()


def _spikes(path):
    with h5py.File(path, "r") as f:
        return {pop: (g["node_ids"][()], g["timestamps"][()]) for pop, g in f["spikes"].items()}


@pytest.mark.slow
def test_resume_after_sigkill_reruns_only_missing_segments(tmp_path):
    """Kill a multi-segment run after its first checkpoint; rerunning finishes it,
    skipping finished segments, and gives the same spikes as an uninterrupted run."""
    overrides = [*SMALL, *SEGMENTED, "timeline.end=144 min", "seed=9"]
    args = [sys.executable, "-m", "plasticity.cli", "run", "-q", "configs/quickstart.yaml"]
    for o in overrides:
        args += ["--set", o]
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "killed.h5"
    parts = parts_dir(out)
    proc = subprocess.Popen([*args, "-o", str(out)], cwd=root, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 600
    while time.time() < deadline and not list(parts.glob("segment_*.h5")):
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = sorted(p.name for p in parts.glob("segment_*.h5"))
    assert done_before and len(done_before) < 8 and not out.exists()

    def identity(name):
        """(mtime, inode, sha256) of a part file; None once it is gone."""
        try:
            st = (parts / name).stat()
            digest = hashlib.sha256((parts / name).read_bytes()).hexdigest()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_ino, digest

    before = {name: identity(name) for name in done_before}
    # the rerun deletes the parts directory when it has finished, so watch the
    # finished parts while it runs: each must stay the very file it was (an
    # atomic rewrite would change inode and mtime, an in-place one mtime and hash)
    err = tmp_path / "rerun.err"
    with open(err, "w") as stderr_file:  # a file: a full pipe would stall the rerun
        rerun = subprocess.Popen([*args, "-o", str(out)], cwd=root,
                                 stdout=subprocess.DEVNULL, stderr=stderr_file)
    seen = {name: set() for name in done_before}
    while rerun.poll() is None:
        for name in done_before:
            seen[name].add(identity(name))
        time.sleep(0.01)
    assert rerun.returncode == 0, err.read_text()
    for name in done_before:
        assert seen[name] - {None} == {before[name]}, name  # read, never rewritten
    result = plasticity.open_result(out)
    assert result.provenance["resumed_segments"] == len(done_before)
    assert not parts.exists()

    clean = tmp_path / "clean.h5"
    plasticity.run(plasticity.load_config("configs/quickstart.yaml", overrides), clean)
    a, b = _spikes(out), _spikes(clean)
    for pop in a:
        assert np.array_equal(a[pop][0], b[pop][0])
        assert np.array_equal(a[pop][1], b[pop][1])


def test_parts_of_another_config_are_not_reused(tmp_path):
    config = small_config(*SEGMENTED, "timeline.end=36 min")
    out = tmp_path / "r.h5"
    parts = parts_dir(out)
    parts.mkdir()
    (parts / "segment_00000.h5").write_bytes(b"not an hdf5 file")
    other = small_config(*SEGMENTED, "timeline.end=36 min", "seed=99")
    from plasticity.simulation.experiment import _config_hash, _part_path, _save_part
    from plasticity.simulation.simulate import simulate

    _save_part(_part_path(parts, 1), _config_hash(other), simulate(other))
    result = plasticity.open_result(plasticity.run(config, out))
    assert result.provenance["resumed_segments"] == 0
    assert result.summary["n_segments"] == 2


def test_run_inputs_do_not_pile_up_in_the_build(hill_protocol_result):
    """Regression: Brian2 wrote one static_arrays/init_*.dat per run into the
    shared build (one file per segment or sweep point, forever)."""
    _, result = hill_protocol_result
    static = Path(result.provenance["build_dir"]) / "static_arrays"
    assert not [p for p in static.iterdir() if p.name.startswith("init_")]


def test_plot_draws_the_timeline_of_a_segmented_result(hill_protocol_result, tmp_path):
    from plasticity.plots import plot_result

    _, result = hill_protocol_result
    written = plot_result(result.path, tmp_path / "plots")
    names = [p.name for p in written]
    assert "timeline.png" in names and "nmda_block.png" in names
    assert (tmp_path / "plots" / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

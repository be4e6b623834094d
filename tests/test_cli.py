"""The command line as a user meets it: help, validation errors, a run, a plot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from plasticity.cli.main import main

from .conftest import SMALL

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "configs" / "quickstart.yaml"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "plasticity.cli", *args],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )


@pytest.mark.smoke
@pytest.mark.parametrize("command", ["run", "validate", "plot", "summary"])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: plasticity {command}" in out


@pytest.mark.smoke
def test_validate_accepts_quickstart(capsys):
    assert main(["validate", str(QUICKSTART)]) == 0
    assert "valid" in capsys.readouterr().out


def test_validate_show_prints_resolved_config(capsys):
    assert main(["validate", str(QUICKSTART), "--show", "--set", "network.n_exc=400"]) == 0
    out = capsys.readouterr().out
    assert "n_exc: 400" in out
    assert "tau_nmda_decay: 100 ms" in out
    assert "block_model: competitive" in out


@pytest.mark.smoke
@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("network.n_exx=3", "network.n_exx: unknown key"),
        ("network.n_exc=-5", "network.n_exc"),
        ("synapses.exc_to_exc.p=1.5", "synapses.exc_to_exc.p"),
        ("simulation.duration=5", "missing unit"),
        ("simulation.dt=5 mV", "expected a time"),
        # keys of the removed Woodhull-on-IC50 block: refused in one line naming the new ones
        ("pharmacology.receptors.exc_to_pv.ic50=1 uM", "give 'k0'"),
        ("pharmacology.block_model=woodhull", "use 'competitive'"),
        ("pharmacology.receptors.exc_to_pv.k0=-1 uM", "pharmacology.receptors.exc_to_pv.k0"),
    ],
)
def test_bad_config_is_one_line_exit_2_no_traceback(override, expected):
    proc = _cli("validate", str(QUICKSTART), "--set", override)
    assert proc.returncode == 2
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_config_and_missing_result_exit_2():
    proc = _cli("run", "no/such/config.yaml")
    assert proc.returncode == 2 and "no config file" in proc.stderr
    proc = _cli("summary", "no/such/result.h5")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_run_plot_summary_end_to_end(tmp_path):
    out = tmp_path / "q.h5"
    sets = [a for s in SMALL for a in ("--set", s)]
    proc = _cli("run", str(QUICKSTART), *sets, "--set", "pharmacology.ketamine_uM=1.0",
                "-o", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    assert out.is_file()
    assert proc.stdout == ""  # -q: nothing on the terminal
    proc = _cli("plot", str(out), "-o", str(tmp_path / "plots"))
    assert proc.returncode == 0, proc.stderr
    for name in ("raster.png", "rates.png", "nmda_block.png", "state.png"):
        assert (tmp_path / "plots" / name).stat().st_size > 5000
    proc = _cli("summary", str(out))
    assert proc.returncode == 0
    assert "exc_rate_hz" in proc.stdout and "ketamine_uM" in proc.stdout


def test_no_truncated_file_when_run_fails(tmp_path):
    """A run that fails before writing leaves no file under the final name."""
    out = tmp_path / "never.h5"
    proc = _cli("run", str(QUICKSTART), "--set", "network.n_exc=abc", "-o", str(out))
    assert proc.returncode == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []

"""Logging: quiet by default, ``-v`` shows what happens (build cache, compilation, ...)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from plasticity.simulation.builds import BUILD_OK, ensure_build

pytestmark = pytest.mark.smoke

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "configs" / "quickstart.yaml"
BUILDS = "plasticity.simulation.builds"


def _project(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "main.cpp").write_text("int main() { return 0; }\n")
    return path


def _fake_compile(directory: Path) -> None:
    (directory / "main").write_text("#!/bin/sh\n")


def test_build_cache_logs_compile_then_hit(tmp_path, caplog):
    generated = _project(tmp_path / "gen")
    with caplog.at_level(logging.INFO, logger=BUILDS):
        ensure_build(generated, tmp_path / "cache", "k1", _fake_compile)
        ensure_build(generated, tmp_path / "cache", "k1", _fake_compile)
    messages = [r.getMessage() for r in caplog.records if r.name == BUILDS]
    assert any("compiling" in m for m in messages)
    assert any("compiled in" in m and " s" in m for m in messages)
    assert any("cache hit" in m for m in messages)
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == BUILDS)


def test_stale_marker_taken_over_is_a_warning(tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("PLASTICITY_BUILD_TIMEOUT", "0")
    cache = tmp_path / "cache"
    cache.mkdir()
    marker = cache / ".k2.building"
    marker.write_text("deadhost 1 0\n")
    old = time.time() - 100
    os.utime(marker, (old, old))
    with caplog.at_level(logging.INFO, logger=BUILDS):
        ensure_build(_project(tmp_path / "gen"), cache, "k2", _fake_compile)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("taking over" in m for m in warnings)


def test_waiting_on_another_process_is_logged(tmp_path, caplog):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / ".k3.building").write_text("otherhost 1 0\n")

    def other_builder():
        time.sleep(0.3)
        final = cache / "k3"
        final.mkdir()
        (final / "main").write_text("")
        (final / BUILD_OK).write_text("{}\n")

    thread = threading.Thread(target=other_builder)
    thread.start()
    with caplog.at_level(logging.INFO, logger=BUILDS):
        path, seconds = ensure_build(_project(tmp_path / "gen"), cache, "k3", _fake_compile)
    thread.join()
    assert path == cache / "k3" and seconds == 0.0
    messages = [r.getMessage() for r in caplog.records if r.name == BUILDS]
    assert any("waiting for another process" in m for m in messages)
    assert any("built by another process" in m for m in messages)


# The real CLI (argument parsing and logging set-up) in a fresh process, its
# command replaced by one that drives the build cache with a fake compiler.
_SCRIPT = """
import importlib
import sys
from pathlib import Path
cli = importlib.import_module("plasticity.cli.main")
from plasticity.simulation.builds import ensure_build

def command(args):
    generated = Path(sys.argv[1]) / "gen"
    generated.mkdir()
    ensure_build(generated, Path(sys.argv[1]) / "cache", "key",
                 lambda d: (d / "main").write_text(""))
    return 0

cli._commands = lambda: {"validate": command}
sys.exit(cli.main(sys.argv[2:]))
"""


@pytest.mark.parametrize(("argv", "logged"), [
    (["validate", "x.yaml"], False),
    (["-v", "validate", "x.yaml"], True),
    (["validate", "x.yaml", "-v"], True),
    (["-vv", "validate", "x.yaml"], True),
])
def test_cli_logs_only_with_verbose(tmp_path, argv, logged):
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, str(tmp_path), *argv],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    if logged:
        assert f"INFO {BUILDS}: build key: compiling" in proc.stderr
        assert f"INFO {BUILDS}: build key: compiled in" in proc.stderr
    else:
        assert proc.stderr == ""


def test_verbose_validate_prints_no_log_noise():
    proc = subprocess.run([sys.executable, "-m", "plasticity", "-v", "validate", str(QUICKSTART)],
                          capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "valid" in proc.stdout
    assert proc.stderr == ""


def test_importing_the_package_configures_no_logging():
    code = ("import logging, plasticity, plasticity.simulation.simulate, plasticity.sweep.api\n"
            "assert not logging.getLogger().handlers, logging.getLogger().handlers\n"
            "assert not logging.getLogger('plasticity').handlers\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr


def test_sweep_workers_log_as_verbosely_as_the_sweep(tmp_path):
    """-v on the sweep reaches the workers (their log files and Slurm output)."""
    from plasticity.sweep.executors import worker_command

    package = logging.getLogger("plasticity")
    saved = package.level
    try:
        package.setLevel(logging.WARNING)
        assert not {"-v", "-vv"} & set(worker_command(tmp_path, ["a"]))
        package.setLevel(logging.INFO)
        assert "-v" in worker_command(tmp_path, ["a"])
        package.setLevel(logging.DEBUG)
        assert "-vv" in worker_command(tmp_path, chunks_file=tmp_path / "c.json", task="0")
    finally:
        package.setLevel(saved)

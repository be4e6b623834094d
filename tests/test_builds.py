"""The build cache (plasticity.simulation.builds): keys, atomic publication, one compile."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from plasticity.simulation.builds import BUILD_OK, code_key, compiler_signature, ensure_build, ready

pytestmark = pytest.mark.smoke


def _project(path: Path, source: str = "int main() { return 0; }\n") -> Path:
    (path / "code_objects").mkdir(parents=True)
    (path / "main.cpp").write_text(source)
    (path / "makefile").write_text("all:\n\tg++ -O2 main.cpp -o main\n")
    (path / "results").mkdir()
    (path / "results" / "ignored.dat").write_bytes(b"run output")
    return path


def test_key_follows_generated_code_and_compiler_facts(tmp_path):
    a = _project(tmp_path / "a")
    b = _project(tmp_path / "b")
    facts = {"compiler": "g++ 12", "flags": "-O3 -march=x86-64-v2"}
    assert code_key(a, facts) == code_key(b, facts)  # same code, other directory
    (b / "results" / "other.dat").write_bytes(b"more output")  # run outputs do not count
    assert code_key(a, facts) == code_key(b, facts)
    (b / "main.cpp").write_text("int main() { return 1; }\n")
    assert code_key(a, facts) != code_key(b, facts)
    assert code_key(a, facts) != code_key(a, {**facts, "flags": "-O2"})


def test_native_builds_are_keyed_on_the_cpu_portable_ones_are_not():
    assert "cpu" in compiler_signature(["-O3", "-march=native"])
    assert "cpu" not in compiler_signature(["-O3", "-march=x86-64-v2"])


def _fake_compile(directory: Path) -> None:
    time.sleep(1.0)
    (directory / "main").write_text("#!/bin/sh\n")
    with open(directory.parent.parent / "compilations.log", "a") as log:
        log.write(f"{directory}\n")


def _worker(args: tuple[str, str, str]) -> str:
    generated, root, key = args
    build, _ = ensure_build(Path(generated), Path(root), key, _fake_compile)
    return str(build)


def test_concurrent_processes_compile_once_and_share_the_published_build(tmp_path):
    root = tmp_path / "cache"
    jobs = []
    for k in range(3):
        generated = _project(tmp_path / f"scratch{k}" / "build")
        jobs.append((str(generated), str(root), "k1"))
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        builds = pool.map(_worker, jobs)
    assert set(builds) == {str(root / "k1")}
    assert ready(root / "k1") and (root / "k1" / BUILD_OK).is_file()
    assert len((tmp_path / "compilations.log").read_text().splitlines()) == 1
    assert not (root / "k1" / "results" / "ignored.dat").exists()  # outputs never published
    assert sorted(p.name for p in root.iterdir()) == ["k1"]  # no marker, no staging left


def test_a_stale_build_marker_is_taken_over(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    root.mkdir()
    marker = root / ".k2.building"
    marker.write_text("host 1 0\n")
    old = time.time() - 10
    import os

    os.utime(marker, (old, old))
    monkeypatch.setenv("PLASTICITY_BUILD_TIMEOUT", "5")
    generated = _project(tmp_path / "scratch" / "build")
    build, seconds = ensure_build(generated, root, "k2", _fake_compile)
    assert ready(build) and seconds > 0 and not marker.exists()

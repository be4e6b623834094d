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


_MAKEFILE = """SRCS = code_objects/a.cpp code_objects/b.cpp main.cpp
OBJS = ${SRCS:.cpp=.o}
CXXFLAGS = -c -O0 -I.
main: $(OBJS) make.deps makefile
\t$(CXX) $(OBJS) -o main
make.deps: $(SRCS)
\t$(CXX) $(CXXFLAGS) -MM $(SRCS) > make.deps
%.o : %.cpp makefile
\t$(CXX) $(CXXFLAGS) $< -o $@
"""


def _make_project(path: Path, value: int, b_value: int) -> Path:
    """A project laid out as Brian2's: code objects, a header, make.deps by -MM."""
    (path / "code_objects").mkdir(parents=True)
    (path / "common.h").write_text(f"#define VALUE {value}\n")
    (path / "code_objects" / "a.cpp").write_text('#include "common.h"\nint a() { return VALUE; }\n')
    (path / "code_objects" / "b.cpp").write_text(f"int b() {{ return {b_value}; }}\n")
    (path / "main.cpp").write_text("#include <cstdio>\nint a(); int b();\n"
                                   'int main() { std::printf("%d %d", a(), b()); }\n')
    (path / "makefile").write_text(_MAKEFILE)
    return path


def test_object_files_are_shared_between_projects_and_follow_their_headers(tmp_path):
    import subprocess

    from plasticity.simulation.builds import with_object_cache

    compiled: list[list[str]] = []

    def make(directory: Path) -> None:
        out = subprocess.run(["make"], cwd=directory, capture_output=True, text=True,
                             check=True).stdout
        compiled.append(sorted(line.split(" -o ")[-1] for line in out.splitlines()
                               if " -c " in line and "-MM" not in line))

    def output(directory: Path) -> str:
        return subprocess.run([str(directory / "main")], capture_output=True, text=True,
                              check=True).stdout

    root = tmp_path / "cache"
    first = _make_project(tmp_path / "p1", value=1, b_value=2)
    with_object_cache(make, root)(first)
    assert compiled[-1] == ["code_objects/a.o", "code_objects/b.o", "main.o"]
    assert output(first) == "1 2"
    # another code object: only it is compiled, the others come from the cache
    second = _make_project(tmp_path / "p2", value=1, b_value=3)
    with_object_cache(make, root)(second)
    assert compiled[-1] == ["code_objects/b.o"]
    assert output(second) == "1 3"
    # the same sources, another header: what includes it is compiled again, never stale
    third = _make_project(tmp_path / "p3", value=7, b_value=2)
    with_object_cache(make, root)(third)
    assert compiled[-1] == ["code_objects/a.o"]
    assert output(third) == "7 2"


def test_setup_sources_compile_unoptimised_and_their_flags_key_the_objects(tmp_path):
    import subprocess

    from plasticity.simulation.builds import tune_makefile, with_object_cache

    def commands(directory: Path) -> dict[str, str]:
        out = subprocess.run(["make", "-n", "-B", "main"], cwd=directory, capture_output=True,
                             text=True, check=True).stdout
        return {line.split(" -o ")[-1]: line for line in out.splitlines()
                if " -c " in line and "-MM" not in line}

    def optimisation(line: str) -> str:
        return [word for word in line.split() if word.startswith("-O")][-1]  # the last counts

    project = _make_project(tmp_path / "p", value=1, b_value=2)
    makefile = project / "makefile"
    makefile.write_text(makefile.read_text().replace("-O0", "-O2"))
    assert tune_makefile(project) == ["setup -O0", "precompiled header"]
    assert tune_makefile(project) == []  # once only
    lines = commands(project)
    assert optimisation(lines["main.o"]) == "-O0"
    assert optimisation(lines["code_objects/a.o"]) == "-O2"
    # the rule is part of every object's key: a cache filled without it is not used
    compiled: list[str] = []

    def make(directory: Path) -> None:
        out = subprocess.run(["make"], cwd=directory, capture_output=True, text=True,
                             check=True).stdout
        compiled.extend(line for line in out.splitlines() if " -c " in line and "-MM" not in line)

    root = tmp_path / "cache"
    plain = _make_project(tmp_path / "plain", value=1, b_value=2)
    (plain / "makefile").write_text(makefile.read_text().split("\n# plasticity")[0])
    with_object_cache(make, root)(plain)
    compiled.clear()
    with_object_cache(make, root)(project)
    assert len(compiled) == 3
    assert subprocess.run([str(project / "main")], capture_output=True, text=True,
                          check=True).stdout == "1 2"


def test_standard_headers_are_precompiled_once_and_kept_in_the_object_cache(tmp_path):
    import subprocess

    from plasticity.simulation.builds import PCH_HEADER, tune_makefile, with_object_cache

    runs: list[str] = []

    def make(directory: Path) -> None:
        runs.append(subprocess.run(["make"], cwd=directory, capture_output=True, text=True,
                                   check=True).stdout)

    root = tmp_path / "cache"
    first = _make_project(tmp_path / "p1", value=1, b_value=2)
    assert "precompiled header" in tune_makefile(first) and not tune_makefile(first)
    with_object_cache(make, root)(first)
    assert "-x c++-header" in runs[-1]  # precompiled before the sources
    assert runs[-1].index("c++-header") < runs[-1].index("a.cpp")
    assert all(f"-include {PCH_HEADER}" in line for line in runs[-1].splitlines()
               if " -c " in line and "-MM" not in line)
    # GCC says which headers it read: the .gch, not the header's text
    dry = subprocess.run(["make", "--no-print-directory", "-n", "-B", "code_objects/a.o"],
                         cwd=first, capture_output=True, text=True, check=True).stdout
    check = next(line for line in dry.splitlines() if " -c " in line and "a.cpp" in line)
    trace = subprocess.run(check.replace("g++", "g++ -H", 1).split(), cwd=first,
                           capture_output=True, text=True, check=True).stderr
    assert any(line.startswith("! ") and line.endswith(f"{PCH_HEADER}.gch")
               for line in trace.splitlines()), trace[:500]
    assert subprocess.run([str(first / "main")], capture_output=True, text=True,
                          check=True).stdout == "1 2"
    # another project: its new object compiles against the cached .gch, not a new one
    second = _make_project(tmp_path / "p2", value=1, b_value=5)
    tune_makefile(second)
    with_object_cache(make, root)(second)
    assert "c++-header" not in runs[-1] and "b.cpp" in runs[-1]
    assert subprocess.run([str(second / "main")], capture_output=True, text=True,
                          check=True).stdout == "1 5"

"""Shared fixtures: small networks that compile fast and run in a second."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import brian2 as b2
import pytest
from brian2.devices.device import reset_device

import plasticity
from plasticity.simulation.simulate import select_standalone

HERE = Path(__file__).resolve().parent

# The suite's own build cache, never the user's (~/.cache/plasticity/builds):
# kept in the checkout (git-ignored) so later runs reuse the compiled
# programs; PLASTICITY_TEST_BUILD_DIR puts it elsewhere. Set before any test
# runs, so subprocesses (the CLI, sweep workers, Slurm jobs) inherit it.
TEST_BUILD_DIR = Path(os.environ.get("PLASTICITY_TEST_BUILD_DIR")
                      or HERE.parent / ".plasticity_cache" / "test-builds").resolve()
os.environ["PLASTICITY_BUILD_DIR"] = str(TEST_BUILD_DIR)

#: A 104-neuron network with every population and the dendrite, 300 ms. Its SST
#: cells get a tenth of the default network's recurrent NMDA input (GluN2C, weak
#: Mg2+ block), so their external drive is raised to keep them firing (about 11 Hz).
SMALL = [
    "network.n_exc=80",
    "network.n_pv=16",
    "network.n_sst=8",
    "network.external.sst.g_ampa=1.35 nS",
    "simulation.duration=300 ms",
    "simulation.warmup=50 ms",
]


def small_config(*overrides: str) -> plasticity.Config:
    """The small test network with extra overrides."""
    return plasticity.load_config(None, [*SMALL, *overrides])


@pytest.fixture(scope="session")
def small_result(tmp_path_factory):
    """One result file of the small network with ketamine, shared by tests."""
    path = tmp_path_factory.mktemp("run") / "small.h5"
    config = small_config("pharmacology.ketamine_uM=2.0", "seed=7", "name=small")
    return plasticity.run(config, path)


@contextlib.contextmanager
def standalone_device() -> Iterator[None]:
    """Brian2's cpp_standalone as plasticity sets it up, reset afterwards."""
    select_standalone(1)
    try:
        yield
    finally:
        b2.device.reinit()
        reset_device()


def compile_harness(tmp_path_factory, source: str) -> ctypes.CDLL:
    """Compile a C++ test harness in tests/ into a library loaded with ctypes."""
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        pytest.skip("no C++ compiler")
    lib = tmp_path_factory.mktemp("harness") / (Path(source).stem + ".so")
    subprocess.run([compiler, "-O2", "-std=c++11", "-shared", "-fPIC", "-o", str(lib),
                    str(HERE / source)], check=True)
    return ctypes.CDLL(str(lib))


#: The files that take longest on two cores (measured with ``--durations=0``), slowest
#: first. Under ``--dist loadfile`` a file runs whole on one worker, in collection order:
#: starting the long ones first keeps one worker from finishing alone with a long file
#: while the other sits idle (longest-first scheduling).
LONGEST_FIRST = (
    "test_treatment_directions.py", "test_disinhibition.py", "test_baseline.py",
    "test_single_infusion.py", "test_clinical_clock.py", "test_treatment.py",
    "test_sweep_executors.py", "test_clinical_clock_vs_real_time.py",
    "test_clinical_clock_sampling.py", "test_cohort.py", "test_structural.py",
    "test_compression.py",
)


def pytest_collection_modifyitems(config, items):
    """Order the test files longest first (the order within a file is kept)."""
    rank = {name: k for k, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))

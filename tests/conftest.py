"""Shared fixtures: small networks that compile fast and run in a second."""

from __future__ import annotations

import pytest

import plasticity

#: A 104-neuron network with every population and the dendrite, 300 ms.
SMALL = [
    "network.n_exc=80",
    "network.n_pv=16",
    "network.n_sst=8",
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

"""Structural plasticity against NEST 3.10 on NEST's own example (shortened).

Reference data: tests/data/nest_sp_shipped.npz (13 NEST seeds; how they
were made: tests/data/README.md). The full 200 s comparison with its figure
is experiments/reference/compare_nest_structural_plasticity.py; this test
runs the first 50 s (five structural updates; connections appear from
about 30 s) and requires mean calcium and connection counts of E and I cells
inside NEST's seed envelope (mean +- 3 SD, at least +-15 %) at every second
after 20 s.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import plasticity
from plasticity.studies.crosscheck import (
    envelope_check,
    leave_one_out,
    load_reference,
    permutation_test,
    trajectories,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def crosscheck(tmp_path_factory):
    reference = load_reference(ROOT / "tests" / "data" / "nest_sp_shipped.npz")
    config = plasticity.load_config(ROOT / "configs" / "nest_structural_plasticity.yaml",
                                    ["simulation.duration=50 s", "seed=2"])
    result = plasticity.open_result(
        plasticity.run(config, tmp_path_factory.mktemp("nest") / "sp.h5"))
    times = reference["time"][reference["time"] <= 49]
    return reference, trajectories(result, times, 10.0)


@pytest.mark.slow
@pytest.mark.science
def test_calcium_and_connections_inside_nest_envelope(crosscheck):
    reference, ours = crosscheck
    check = envelope_check(ours, reference, t_min_s=20.0)
    assert len(check.time) == 29
    assert check.passed(("ca_e", "ca_i", "conn_e", "conn_i")), check.table()


@pytest.mark.slow
@pytest.mark.science
def test_connections_appear_when_nest_says(crosscheck):
    """NEST: no synapse before the update at 30 s, hundreds after it (mean of 13 seeds)."""
    reference, ours = crosscheck
    nest_conn_e = reference["conn_e"].mean(axis=0)
    t = ours["time"]
    assert np.all(ours["conn_e"][t <= 20] == 0)
    assert np.all(nest_conn_e[reference["time"] <= 20] == 0)
    late = (t > 40) & (t <= 49)
    assert ours["conn_e"][late].min() > 0.5 * nest_conn_e[np.isin(reference["time"], t[late])].min()


def test_nest_seeds_against_each_other_baseline():
    """The baseline the full comparison quotes: 10 of NEST's 13 seeds stay inside
    the envelope of the other 12 for calcium and connections (tests/data/README.md);
    the three that leave do so only after 160 s."""
    reference = load_reference(ROOT / "tests" / "data" / "nest_sp_shipped.npz")
    checks = leave_one_out(reference)
    assert len(checks) == 13
    assert sum(c.passed() for c in checks) == 10
    for c in checks:
        early = c.time < 160
        assert all(np.all(c.inside[r][early]) for r in ("ca_e", "ca_i", "conn_e", "conn_i"))


def test_permutation_test_tells_equal_from_shifted_samples():
    rng = np.random.default_rng(4)
    a, b = rng.normal(0, 1, 13), rng.normal(0, 1, 13)
    assert permutation_test(a, b, n_permutations=4000) > 0.05
    assert permutation_test(a + 2.0, b, n_permutations=4000) < 0.01

"""Sweep grammar and expansion (plasticity.sweep): no simulation."""

from __future__ import annotations

import numpy as np
import pytest

from plasticity.config import ConfigError
from plasticity.sweep.design import expand, parse_sweep
from plasticity.sweep.executors import chunk_points, slurm_scripts
from plasticity.sweep.grammar import Range

pytestmark = pytest.mark.smoke

BASE = {"name": "t", "network": {"n_exc": 80, "n_pv": 16, "n_sst": 8},
        "simulation": {"duration": "300 ms", "warmup": "50 ms"}}


def plan_of(sweep: dict, base: dict | None = None):
    return expand(base or BASE, parse_sweep(sweep))


def test_grid_is_the_cartesian_product_with_replicates_as_seeds():
    plan = plan_of({"replicates": 3, "grid": {"pharmacology.ketamine_uM": [0, 1, 3],
                                              "synapses.exc_to_pv.g_ampa": ["0.3 nS", "0.6 nS"]}})
    assert len(plan.points) == 18
    assert [p.seed for p in plan.points[:3]] == [1, 2, 3]
    combos = {(p.params["pharmacology.ketamine_uM"], p.params["synapses.exc_to_pv.g_ampa"])
              for p in plan.points}
    assert len(combos) == 6
    assert plan.parameters == ["pharmacology.ketamine_uM", "synapses.exc_to_pv.g_ampa"]
    assert len(plan.builds) == 1  # values only: one compiled program


def test_ids_are_stable_and_derived_from_parameters_and_seed():
    a = plan_of({"grid": {"pharmacology.ketamine_uM": [0, 1]}})
    b = plan_of({"grid": {"pharmacology.ketamine_uM": [1, 0]}})  # other order
    assert {p.id for p in a.points} == {p.id for p in b.points}
    c = plan_of({"grid": {"pharmacology.ketamine_uM": [0, 1]}}, {**BASE, "seed": 5})
    assert not {p.id for p in a.points} & {p.id for p in c.points}


def test_zip_points_and_concatenation_drop_duplicates():
    plan = plan_of({"blocks": [
        {"zip": {"pharmacology.ketamine_uM": [0, 2], "seed": [4, 9]}},
        {"points": [{"pharmacology.ketamine_uM": 2, "seed": 9},
                    {"pharmacology.ketamine_uM": 5}]},
    ]})
    assert [(p.params["pharmacology.ketamine_uM"], p.seed) for p in plan.points] == [
        (0, 4), (2, 9), (5, 1)]
    assert plan.duplicates == 1


def test_structure_changes_need_their_own_build():
    plan = plan_of({"grid": {"network.n_exc": [80, 120], "pharmacology.ketamine_uM": [0, 1]}})
    assert len(plan.builds) == 2
    chunks = chunk_points([vars(p) for p in plan.points], n_chunks=2)
    for chunk in chunks:  # a chunk never mixes builds
        assert len({p.build for p in plan.points if p.id in chunk}) == 1


@pytest.mark.parametrize("kind", ["random", "latin_hypercube"])
def test_sampled_designs_are_seeded_and_inside_bounds(kind):
    sweep = {"seed": 3, kind: {"n": 16, "parameters": {
        "pharmacology.ketamine_uM": {"low": 0.1, "high": 10, "log": True},
        "synapses.exc_to_pv.g_ampa": {"low": "0.1 nS", "high": "1 nS"}}}}
    a, b = plan_of(sweep), plan_of(sweep)
    assert [p.params for p in a.points] == [p.params for p in b.points]
    ket = np.array([p.params["pharmacology.ketamine_uM"] for p in a.points])
    g = np.array([float(p.params["synapses.exc_to_pv.g_ampa"].split()[0]) for p in a.points])
    assert np.all((ket >= 0.1) & (ket <= 10)) and np.all((g >= 0.1) & (g <= 1))
    assert all(p.params["synapses.exc_to_pv.g_ampa"].endswith(" nS") for p in a.points)
    if kind == "latin_hypercube":  # one sample in each of the 16 strata of every axis
        strata = np.floor((np.log10(ket) + 1) / 2 * 16).astype(int)
        assert sorted(strata) == list(range(16))


def test_salib_designs_have_their_published_sizes():
    params = {"pharmacology.ketamine_uM": {"low": 0, "high": 10},
              "synapses.exc_to_pv.g_ampa": {"low": "0.1 nS", "high": "1 nS"},
              "network.external.exc.rate": {"low": "2 Hz", "high": "6 Hz"}}
    sobol = plan_of({"sobol": {"n": 8, "parameters": params}})
    assert len(sobol.blocks[0]["rows"]) == 8 * (3 + 2)  # Saltelli: N (D + 2)
    morris = plan_of({"morris": {"trajectories": 4, "levels": 4, "parameters": params}})
    assert len(morris.blocks[0]["rows"]) == 4 * (3 + 1)  # r (D + 1)


def test_integer_ranges_round():
    plan = plan_of({"random": {"n": 5, "parameters": {
        "network.n_exc": {"low": 40, "high": 120, "integer": True}}}})
    assert all(isinstance(p.params["network.n_exc"], int) for p in plan.points)


@pytest.mark.parametrize("sweep, message", [
    ({"grid": {"network.n_exc": [80, -5]}}, "network.n_exc"),
    ({"grid": {"network.no_such_key": [1]}}, "no_such_key"),
    ({"grid": {}, "zip": {"seed": [1]}}, "one design per block"),
    ({"replicates": 0, "grid": {"seed": [1]}}, "sweep.replicates"),
    ({"random": {"n": 4, "parameters": {"seed": {"low": 5, "high": 1}}}}, "must be below"),
    ({"random": {"n": 4, "parameters": {"x": {"low": "1 nS", "high": "2 ms"}}}}, "same unit"),
    ({"zip": {"seed": [1, 2], "pharmacology.ketamine_uM": [1]}}, "same length"),
    ({"blocks": []}, "no design"),
    ({"grid": {"seed": [1]}, "executor": {"pbs": {}}}, "unknown executor"),
    ({"blocks": [{"grdi": {"seed": [1]}}]}, "sweep.blocks.0: a block is a mapping with exactly "
                                             "one design"),
    ({"blocks": [{"random": {"n": 0, "parameters": {"seed": {"low": 1, "high": 2}}}}]},
     "sweep.blocks.0.random.n: Input should be greater than or equal to 1"),
])
def test_bad_sweeps_name_the_key_and_the_rule(sweep, message):
    with pytest.raises(ConfigError) as err:
        plan_of(sweep)
    assert message in str(err.value)
    assert len(err.value.problems) == 1  # one problem, one line


def test_range_values_keep_units_and_log_spacing():
    r = Range(low="1 nS", high="100 nS", log=True)
    assert r.bounds() == (0.0, 2.0)
    assert r.value(1.0) == "10 nS"


def test_slurm_script_has_throttle_signal_resources_and_file_locking_off(tmp_path):
    array, collect = slurm_scripts(tmp_path, 12, tmp_path / "chunks.json",
                                   {"partition": "short", "time": "01:00:00", "memory": "2G",
                                    "cpus": 2, "throttle": 4})
    assert "#SBATCH --array=0-11%4" in array
    assert "#SBATCH --signal=B:USR1@120" in array
    for line in ("--partition=short", "--time=01:00:00", "--mem=2G", "--cpus-per-task=2"):
        assert f"#SBATCH {line}" in array
    assert "export HDF5_USE_FILE_LOCKING=FALSE" in array
    assert '--task "$SLURM_ARRAY_TASK_ID"' in array
    assert "plasticity collect" in collect


def test_list_items_are_sweepable_by_index():
    base = {**BASE, "stimulation": [{"population": "exc", "fraction": 0.2, "start": "100 ms",
                                     "stop": "200 ms", "rate_factor": 2.0}]}
    plan = plan_of({"grid": {"stimulation.0.rate_factor": [1.5, 3.0]}}, base)
    from plasticity.sweep.design import point_config

    configs = [point_config(base, p.params, p.seed) for p in plan.points]
    assert [c.stimulation[0].rate_factor for c in configs] == [1.5, 3.0]
    with pytest.raises(ConfigError, match="not an index"):
        plan_of({"grid": {"stimulation.4.rate_factor": [1.5]}}, base)


def test_a_bad_row_is_reported_once_not_once_per_replicate():
    with pytest.raises(ConfigError) as err:
        plan_of({"replicates": 4, "grid": {"network.n_exc": [80, -1]}})
    assert len(err.value.problems) == 1 and "network.n_exc" in err.value.problems[0]

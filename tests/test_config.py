"""Tests for plasticity.config: schema, defaults, overrides, error messages."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import brian2
import numpy as np
import pytest
import yaml
from brian2.units.fundamentalunits import get_dimensions

from plasticity.config import (
    EXCITATORY_PATHWAYS,
    Config,
    PharmacologyConfig,
    apply_overrides,
    dump_config,
    load_config,
)
from plasticity.errors import ConfigError, UserInputError
from plasticity.pharmacology.block import HYPOTHESES

CONFIG_DIR = Path(__file__).parents[1] / "configs"
CONFIG_FILES = sorted(CONFIG_DIR.glob("*.yaml")) + sorted(CONFIG_DIR.glob("*.yml"))


def _problems(overrides=(), source=None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(source, overrides)
    problems = info.value.problems
    assert problems, "a ConfigError must carry at least one problem"
    return problems


def _one_problem(overrides=(), source=None) -> str:
    problems = _problems(overrides, source)
    assert len(problems) == 1, problems
    return problems[0]


# --------------------------------------------------------------------------- #
# Defaults, dumping, shipped configs
# --------------------------------------------------------------------------- #
def test_default_config_is_valid():
    config = load_config(None)
    assert isinstance(config, Config)
    assert config.network.n_exc == 800
    assert config.network.n_pv == 150
    assert config.network.n_sst == 50
    assert np.isclose(float(config.simulation.dt), 1e-4)
    assert config.pharmacology.ketamine_uM == 0.0
    assert config.pharmacology.hypothesis == "glun2cd_interneurons"
    # Jahr & Stevens (1990) / Brunel & Wang (2001): [Mg2+]o = 1 mM.
    assert np.isclose(float(config.synapses.Mg / brian2.mM), 1.0)


def test_load_config_from_empty_mapping_equals_default():
    assert dump_config(load_config({})) == dump_config(load_config(None))


def test_dump_config_is_idempotent():
    text = dump_config(load_config(None))
    reloaded = load_config(yaml.safe_load(text))
    assert dump_config(reloaded) == text
    # A second cycle is stable too.
    assert dump_config(load_config(yaml.safe_load(dump_config(reloaded)))) == text


def test_dump_config_round_trips_overrides():
    overrides = [
        "network.n_exc=400",
        "synapses.exc_to_pv.g_nmda=0.2 nS",
        "pharmacology.ketamine_uM=3",
        "pharmacology.receptors.exc_to_pv.ic50=1 uM",
    ]
    text = dump_config(load_config(None, overrides))
    reloaded = load_config(yaml.safe_load(text))
    assert dump_config(reloaded) == text
    assert reloaded.network.n_exc == 400
    assert np.isclose(float(reloaded.synapses.exc_to_pv.g_nmda), 0.2e-9)
    ic50 = reloaded.pharmacology.resolved_receptors()["exc_to_pv"].ic50
    assert np.isclose(float(ic50 / brian2.umolar), 1.0)


def test_dump_config_writes_every_section():
    data = yaml.safe_load(dump_config(load_config(None)))
    assert set(data) == {
        "name",
        "seed",
        "simulation",
        "record",
        "network",
        "synapses",
        "pharmacology",
        "timeline",
        "structural",
        "stimulation",
        "sweep",
    }
    assert data["simulation"]["warmup"] == "200 ms"


def test_configs_directory_is_not_empty():
    assert CONFIG_FILES, f"no YAML files in {CONFIG_DIR}"


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: p.name)
def test_shipped_configs_validate(path):
    config = load_config(path)
    assert isinstance(config, Config)
    text = dump_config(config)
    assert dump_config(load_config(yaml.safe_load(text))) == text
    receptors = config.pharmacology.resolved_receptors()
    assert set(receptors) == set(EXCITATORY_PATHWAYS)


# --------------------------------------------------------------------------- #
# Overrides
# --------------------------------------------------------------------------- #
def test_override_int():
    config = load_config(None, ["network.n_exc=400"])
    assert config.network.n_exc == 400
    assert type(config.network.n_exc) is int


def test_override_float():
    config = load_config(None, ["pharmacology.ketamine_uM=1.0"])
    assert config.pharmacology.ketamine_uM == 1.0


def test_override_quantity_with_units():
    config = load_config(None, ["synapses.exc_to_pv.g_nmda=0.2 nS"])
    g = config.synapses.exc_to_pv.g_nmda
    assert get_dimensions(g) is brian2.siemens.dim
    assert np.isclose(float(g), 0.2e-9, rtol=1e-12)


def test_overrides_apply_on_top_of_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("network:\n  n_exc: 100\n  n_pv: 20\n")
    config = load_config(path, ["network.n_exc=50"])
    assert config.network.n_exc == 50
    assert config.network.n_pv == 20


def test_later_override_wins():
    config = load_config(None, ["network.n_exc=10", "network.n_exc=20"])
    assert config.network.n_exc == 20


def test_apply_overrides_does_not_mutate_input():
    data = {"network": {"n_exc": 5}}
    out = apply_overrides(data, ["network.n_exc=7", "seed=3"])
    assert data == {"network": {"n_exc": 5}}
    assert out == {"network": {"n_exc": 7}, "seed": 3}


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("network.n_exx=5", "network.n_exx"),
        ("synapses.exc_to_exc.pp=0.1", "synapses.exc_to_exc.pp"),
        ("simulation.durration=2 s", "simulation.durration"),
    ],
)
def test_override_unknown_key(override, key):
    problem = _one_problem([override])
    assert key in problem
    assert "unknown key" in problem


@pytest.mark.parametrize("override", ["network.n_exc", "network.n_exc 400", "=3", "a..b=1"])
def test_override_without_key_value_fails_clearly(override):
    problem = _one_problem([override])
    assert "KEY=VALUE" in problem
    assert repr(override) in problem


def test_override_into_a_value_fails():
    with pytest.raises(ConfigError) as info:
        apply_overrides({"network": {"n_exc": 5}}, ["network.n_exc.x=1"])
    assert "network.n_exc" in str(info.value)


# --------------------------------------------------------------------------- #
# Validation errors: key path and bad value in the message
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        (["network.n_exx=5"], ["network.n_exx", "unknown key", "5"]),
        (["network.n_exc=-5"], ["network.n_exc", "-5"]),
        (["synapses.exc_to_exc.p=1.5"], ["synapses.exc_to_exc.p", "1.5"]),
        (["simulation.duration=5"], ["simulation.duration", "missing unit", "5"]),
        (["simulation.dt=5 mV"], ["simulation.dt", "5 mV", "time"]),
        (["network.n_exc=many"], ["network.n_exc", "'many'"]),
        (["network.n_exc=1.5"], ["network.n_exc", "1.5"]),
        (
            ["pharmacology.hypothesis=ketamine_loves_pv"],
            [
                "pharmacology.hypothesis",
                "'ketamine_loves_pv'",
            ],
        ),
        (["pharmacology.ketamine_uM=-1"], ["pharmacology.ketamine_uM", "-1"]),
        (["simulation.device=gpu"], ["simulation.device", "'gpu'"]),
        (["synapses.exc_to_pv.g_nmda=-0.1 nS"], ["synapses.exc_to_pv.g_nmda", "-0.1 nS"]),
        (["synapses.exc_to_pv.target=axon"], ["synapses.exc_to_pv.target", "'axon'"]),
    ],
)
def test_field_errors_name_key_and_value(overrides, fragments):
    problem = _one_problem(overrides)
    for fragment in fragments:
        assert fragment in problem, (fragment, problem)


def test_warmup_not_shorter_than_duration():
    problem = _one_problem(["simulation.duration=1 s", "simulation.warmup=1 s"])
    assert problem.startswith("simulation")
    assert "warmup" in problem and "duration" in problem
    assert "1 s" in problem
    problem = _one_problem(["simulation.duration=500 ms", "simulation.warmup=2 s"])
    # The config echoes values in Brian2's best unit: 500 ms -> 0.5 s.
    assert "warmup (2 s)" in problem and "duration (0.5 s)" in problem


@pytest.mark.parametrize("cell", ["exc", "pv", "sst"])
def test_reset_must_be_below_threshold(cell):
    problem = _one_problem([f"network.{cell}.V_reset=-45 mV"])
    assert problem.startswith(f"network.{cell}")
    assert "V_reset" in problem and "V_th" in problem
    assert "-45 mV" in problem and "-50 mV" in problem
    # Equal reset and threshold is invalid too.
    problem = _one_problem([f"network.{cell}.V_reset=-50 mV"])
    assert "V_reset (-50 mV)" in problem


def test_all_population_sizes_zero():
    problem = _one_problem(["network.n_exc=0", "network.n_pv=0", "network.n_sst=0"])
    assert problem.startswith("network")
    assert "n_exc" in problem and "n_pv" in problem and "n_sst" in problem
    # One population is enough.
    assert load_config(None, ["network.n_exc=0", "network.n_pv=0"]).network.n_sst == 50


def test_state_dt_must_be_multiple_of_dt():
    problem = _one_problem(["record.state_dt=0.15 ms"])
    assert "record.state_dt" in problem
    assert "simulation.dt" in problem
    # The bad value, formatted back by the config (0.15 ms -> 150 us).
    assert "150 us" in problem
    # Smaller than dt is invalid as well; an exact multiple is fine.
    assert "record.rate_bin" in _one_problem(["record.rate_bin=0.05 ms"])
    config = load_config(None, ["record.state_dt=0.3 ms"])
    assert np.isclose(float(config.record.state_dt), 3e-4)


def test_dt_at_most_1_ms():
    problem = _one_problem(["simulation.dt=2 ms"])
    assert "dt (2 ms)" in problem


def test_unknown_hypothesis_lists_choices():
    problem = _one_problem(["pharmacology.hypothesis=nope"])
    assert "pharmacology.hypothesis" in problem
    assert "'nope'" in problem
    assert "glun2cd_interneurons" in problem


def test_bad_receptor_override():
    problem = _one_problem(["pharmacology.receptors.exc_to_pv.ic50=-1 uM"])
    assert "pharmacology" in problem
    assert "receptors.exc_to_pv.ic50" in problem
    assert "-1 uM" in problem
    assert "positive" in problem


def test_bad_receptor_override_names_full_dotted_path():
    problem = _one_problem(["pharmacology.receptors.exc_to_pv.ic50=-1 uM"])
    assert problem.startswith("pharmacology.receptors.exc_to_pv.ic50")
    assert "Value error" not in problem


def test_receptor_override_unknown_pathway_and_field():
    problem = _one_problem(["pharmacology.receptors.exc_to_vip.ic50=1 uM"])
    assert "pharmacology.receptors" in problem and "'exc_to_vip'" in problem
    problem = _one_problem(["pharmacology.receptors.exc_to_pv.ic5=1 uM"])
    assert "receptors.exc_to_pv.ic5" in problem


def test_several_problems_reported_together():
    problems = _problems(["network.n_exx=5", "synapses.exc_to_exc.p=1.5"])
    assert len(problems) == 2
    assert any("network.n_exx" in p for p in problems)
    assert any("synapses.exc_to_exc.p" in p for p in problems)


# --------------------------------------------------------------------------- #
# Files
# --------------------------------------------------------------------------- #
def test_yaml_list_is_rejected(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == ["the top level must be a mapping of keys, got list"]
    assert info.value.source == str(path)
    assert str(path) in str(info.value)


def test_invalid_yaml_reports_line(tmp_path):
    path = tmp_path / "bad.yaml"
    # Line 3 indents a key under a scalar value: "mapping values are not allowed here".
    path.write_text("name: x\nseed: 1\n  network: 3\n")
    problem = _one_problem(source=path)
    assert "not valid YAML" in problem
    assert "line 3" in problem


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    problem = _one_problem(source=path)
    assert "no config file" in problem
    assert str(path) in problem


def test_directory_is_not_a_config_file(tmp_path):
    assert "no config file" in _one_problem(source=tmp_path)


def test_empty_file_gives_defaults(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing here\n")
    assert dump_config(load_config(path)) == dump_config(load_config(None))


def test_binary_file_is_rejected(tmp_path):
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"\xff\xfe\x00\x81\x82")
    problem = _one_problem(source=path)
    assert "text" in problem or "YAML" in problem


def test_file_errors_prefix_source(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("network:\n  n_exx: 5\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.source == str(path)
    assert str(info.value) == f"{path}: network.n_exx: unknown key (value 5); check the spelling"


def test_config_error_is_user_input_error():
    assert issubclass(ConfigError, UserInputError)


# --------------------------------------------------------------------------- #
# One line per problem
# --------------------------------------------------------------------------- #
ONE_LINE_CASES = [
    pytest.param({"network": {"n_exx": 5}}, id="unknown-key"),
    pytest.param({"simulation": {"dt": "5 mV"}}, id="wrong-unit"),
    pytest.param({"simulation": {"duration": 5}}, id="missing-unit"),
    pytest.param({"network": {"n_exc": "many\nmore"}}, id="int-with-newline"),
    pytest.param({"simulation": {"warmup": "5 s"}}, id="warmup"),
    pytest.param({"network": {"pv": {"V_reset": "-40 mV"}}}, id="reset"),
    pytest.param({"record": {"state_dt": "0.15 ms"}}, id="state-dt"),
    pytest.param(
        {"pharmacology": {"receptors": {"exc_to_pv": {"ic50": "-1\nuM"}}}},
        id="receptor-with-newline",
    ),
    pytest.param({"name": ""}, id="empty-name"),
    pytest.param(
        {"simulation": {"dt": "5\nmV"}},
        id="unit-value-with-newline",
    ),
    pytest.param(
        {"simulation": {"dt": "5\nfurlongs"}},
        id="unknown-unit-with-newline",
    ),
    pytest.param(
        {"network": {"n_e\nxc": 3}},
        id="unknown-key-with-newline",
    ),
]


@pytest.mark.parametrize("data", ONE_LINE_CASES)
def test_each_problem_is_one_line(data):
    with pytest.raises(ConfigError) as info:
        load_config(data)
    for problem in info.value.problems:
        assert "\n" not in problem, problem
        assert "\r" not in problem, problem


@pytest.mark.parametrize(
    "overrides",
    [
        ["network.n_exx=5", "synapses.exc_to_exc.p=1.5", "simulation.duration=5"],
        ["simulation.dt=5 mV", "network.n_exc=many", "pharmacology.hypothesis=x"],
        ["pharmacology.receptors.exc_to_pv.ic50=-1 uM"],
        ["network.n_exc=0", "network.n_pv=0", "network.n_sst=0"],
    ],
)
def test_each_override_problem_is_one_line(overrides):
    for problem in _problems(overrides):
        assert "\n" not in problem, problem


# --------------------------------------------------------------------------- #
# Receptors and hypotheses
# --------------------------------------------------------------------------- #
def _uM(quantity) -> float:
    return float(quantity / brian2.umolar)


def test_default_resolved_receptors():
    # Kotermanski & Johnson (2009): GluN2A/B 5.2, GluN2D 2.95, GluN2C 1.18 uM.
    receptors = load_config(None).pharmacology.resolved_receptors()
    assert set(receptors) == set(EXCITATORY_PATHWAYS)
    assert np.isclose(_uM(receptors["exc_to_exc"].ic50), 5.2)
    assert np.isclose(_uM(receptors["exc_to_pv"].ic50), 2.95)
    assert np.isclose(_uM(receptors["exc_to_sst"].ic50), 1.18)
    for receptor in receptors.values():
        assert receptor.hill == 1.0
        assert receptor.blocked is True
        assert receptor.delta == 0.8
        assert np.isclose(float(receptor.v_ref), -66e-3)


#: Expected (IC50 in uM, blocked) per hypothesis and pathway (E->E, E->PV, E->SST),
#: written out from the published values: Kotermanski & Johnson (2009, J Neurosci
#: 29:2774), IC50s in 1 mM Mg2+ at -66 mV: GluN2A 5.35, GluN2B 5.08 (A/B mean 5.2),
#: GluN2C 1.18, GluN2D 2.95 uM; GluN2D on PV (von Engelhardt et al. 2015, eLife
#: 4:e07403), GluN2C on SST; Gerhard et al. (2020, J Clin Invest 130:1336):
#: GluN2B on interneurons, GluN2A on pyramidal cells; equal affinity is the null
#: hypothesis of Susin & Destexhe (2023, eNeuro).
EXPECTED_RECEPTORS = {
    "glun2cd_interneurons": {"exc_to_exc": (5.2, True), "exc_to_pv": (2.95, True),
                             "exc_to_sst": (1.18, True)},
    "equal_affinity": {"exc_to_exc": (5.2, True), "exc_to_pv": (5.2, True),
                       "exc_to_sst": (5.2, True)},
    "exc_only": {"exc_to_exc": (5.2, True), "exc_to_pv": (2.95, False),
                 "exc_to_sst": (1.18, False)},
    "interneurons_only": {"exc_to_exc": (5.2, False), "exc_to_pv": (2.95, True),
                          "exc_to_sst": (1.18, True)},
    "glun2b_interneurons": {"exc_to_exc": (5.35, True), "exc_to_pv": (5.08, True),
                            "exc_to_sst": (5.08, True)},
}


@pytest.mark.parametrize("name", sorted(EXPECTED_RECEPTORS))
def test_resolved_receptors_match_hypotheses(name):
    config = load_config(None, [f"pharmacology.hypothesis={name}"])
    receptors = config.pharmacology.resolved_receptors()
    assert set(receptors) == set(EXPECTED_RECEPTORS[name])
    for pathway, (ic50_uM, blocked) in EXPECTED_RECEPTORS[name].items():
        assert _uM(receptors[pathway].ic50) == pytest.approx(ic50_uM, rel=1e-12), pathway
        assert receptors[pathway].blocked is blocked, pathway
        assert receptors[pathway].hill == 1.0
        assert receptors[pathway].delta == 0.8
        assert float(receptors[pathway].v_ref / brian2.mV) == pytest.approx(-66.0)


def test_every_allowed_hypothesis_has_an_expected_table():
    assert set(ALLOWED_HYPOTHESES) == set(EXPECTED_RECEPTORS)


def test_receptor_override_changes_only_that_value():
    config = load_config(
        None,
        ["pharmacology.receptors.exc_to_pv.ic50=1 uM", "pharmacology.receptors.exc_to_pv.hill=2"],
    )
    receptors = config.pharmacology.resolved_receptors()
    assert np.isclose(_uM(receptors["exc_to_pv"].ic50), 1.0)
    assert receptors["exc_to_pv"].hill == 2.0
    assert receptors["exc_to_pv"].delta == 0.8
    assert np.isclose(_uM(receptors["exc_to_sst"].ic50), 1.18)
    assert np.isclose(_uM(receptors["exc_to_exc"].ic50), 5.2)


def test_receptor_override_can_unblock_a_pathway():
    config = load_config(None, ["pharmacology.receptors.exc_to_exc.blocked=false"])
    receptors = config.pharmacology.resolved_receptors()
    assert receptors["exc_to_exc"].blocked is False
    assert receptors["exc_to_pv"].blocked is True


ALLOWED_HYPOTHESES = typing.get_args(PharmacologyConfig.model_fields["hypothesis"].annotation)


def test_every_allowed_hypothesis_has_a_preset():
    assert set(ALLOWED_HYPOTHESES) <= set(HYPOTHESES)


def test_glun2b_all_is_rejected():
    # 'glun2b_all' is not one of the named hypotheses: validation must fail with a
    # ConfigError naming the field and the bad value (not resolve, not KeyError).
    assert "glun2b_all" not in ALLOWED_HYPOTHESES
    with pytest.raises(ConfigError) as err:
        load_config(None, ["pharmacology.hypothesis=glun2b_all"])
    assert "pharmacology.hypothesis" in str(err.value) and "glun2b_all" in str(err.value)


def test_glun2b_all_with_receptor_override_is_rejected_not_key_error():
    overrides = ["pharmacology.hypothesis=glun2b_all", "pharmacology.receptors.exc_to_pv.ic50=1 uM"]
    with pytest.raises(ConfigError) as err:
        load_config(None, overrides)
    assert "pharmacology.hypothesis" in str(err.value) and "glun2b_all" in str(err.value)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("stimulation=[{population: sst, fraction: 0.1, start: 0 s, stop: 1 s, rate_factor: 2}]",
         "stimulation[0].population is 'sst' but network.n_sst is 0"),
        ("stimulation=[{population: exc, fraction: 0.1, start: 1 s, stop: 0.5 s, "
         "rate_factor: 2}]", "must be after start"),
        ("stimulation=[{population: exc, fraction: 0.1, start: 5 s, stop: 6 s, rate_factor: 2}]",
         "is not before the end of the run"),
        ("stimulation=[{population: exc, fraction: 0.1, start: 0 s, stop: 1 s, rate_factor: 2},"
         " {population: exc, fraction: 0.2, start: 0 s, stop: 1 s, rate_factor: 2}]",
         "must stimulate the same cells"),
        ("stimulation=[{population: exc, fraction: 0.0001, start: 0 s, stop: 1 s, "
         "rate_factor: 2}]", "is no cell"),
    ],
)
def test_bad_stimulation_is_refused_with_the_key(override, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(None, ["network.n_sst=0", "simulation.duration=2 s", override])

"""``plasticity validate --equations``: the whole cell model, read back from Brian2."""

from __future__ import annotations

from pathlib import Path

import pytest

from plasticity.cli.main import main
from plasticity.config import EXCITATORY_PATHWAYS, INHIBITORY_PATHWAYS, load_config, split_pathway
from plasticity.model.layout import present_populations

pytestmark = pytest.mark.smoke

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "configs" / "quickstart.yaml"
NEST = ROOT / "configs" / "nest_structural_plasticity.yaml"


def _equations(path: Path, capsys) -> str:
    assert main(["validate", str(path), "--equations"]) == 0
    return capsys.readouterr().out


def test_quickstart_equations(capsys):
    out = _equations(QUICKSTART, capsys)
    config = load_config(QUICKSTART)
    present = present_populations(config)
    for pop in present:
        assert f"== NeuronGroup {pop} ({config.network.size(pop)} cells)" in out
    lines = out.splitlines()
    assert any(line.startswith("mg_") and "mg_k0" in line for line in lines)
    # the values the network runs with are printed per population: the pyramidal
    # GluN2A/B Mg2+ block of Jahr & Stevens (1990), 3.57 mM, and GluN2C's 45.6 mM on SST
    assert "    mg_k0 = 3.57 mM" in lines and "    mg_k0 = 45.6 mM" in lines
    assert "    k0_ket = 0.32 uM" in lines
    assert "dv/dt" in out
    assert "threshold (spike): v > V_th" in out
    assert "refractory: t_ref" in out
    for pathway in EXCITATORY_PATHWAYS + INHIBITORY_PATHWAYS:
        src, tgt = split_pathway(pathway)
        if src in present and tgt in present:
            assert f"== Synapses {pathway}" in out
    assert "on_pre" in out and "g_ampa_s_post += w_ampa" in out


def test_nest_structural_equations(capsys):
    out = _equations(NEST, capsys)
    # iaf_psc_alpha: alpha-shaped currents and a leaky membrane
    assert "dI_ex/dt = y_ex - I_ex/tau_syn_ex" in out
    assert "dy_ex/dt = -y_ex/tau_syn_ex" in out
    assert "dv/dt = int(not_refractory)*(-(v - E_L)/tau_m" in out
    assert "threshold (spike): v >= V_th" in out
    assert "structurally plastic" in out


def test_equations_do_not_leave_a_standalone_device_behind(capsys):
    import brian2 as b2
    from brian2.devices.cpp_standalone.device import CPPStandaloneDevice

    _equations(QUICKSTART, capsys)
    assert not isinstance(b2.get_device(), CPPStandaloneDevice)

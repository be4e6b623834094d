"""Brian2's identifier analysis without its memo generates the same program (codegen_speed)."""

from __future__ import annotations

import brian2 as b2
import pytest
from brian2.codegen import translation
from brian2.devices.device import reset_device

import plasticity
import plasticity.model.network as network
from plasticity.model.codegen_speed import identifier_analysis_unmemoised
from plasticity.simulation.simulate import generate_program

pytestmark = pytest.mark.smoke  # Brian2 internals: checked on both Brian2 versions


def _key(config, directory) -> str:
    try:
        return generate_program(config, directory)[1]
    finally:
        b2.device.reinit()
        reset_device()


@pytest.mark.parametrize("name", ["quickstart.yaml", "structural_quickstart.yaml"])
def test_the_program_is_the_same_with_and_without_the_memo(tmp_path, monkeypatch, name):
    config = plasticity.load_config(plasticity.__path__[0] + f"/../configs/{name}", [
        "network.n_exc=40", "network.n_pv=8", "network.n_sst=4"])
    # Brian2 as it ships: the memoised make_statements everywhere
    identifier_analysis_unmemoised(False)
    monkeypatch.setattr(network, "identifier_analysis_unmemoised", lambda: False)
    assert not hasattr(translation.make_statements, "_plasticity_memoised")
    memo = _key(config, tmp_path / "memo")
    assert not hasattr(translation.make_statements, "_plasticity_memoised")
    monkeypatch.undo()
    # as the network builder leaves it: analyse_identifiers parses without the memo
    plain = _key(config, tmp_path / "plain")
    assert hasattr(translation.make_statements, "_plasticity_memoised")
    assert plain == memo

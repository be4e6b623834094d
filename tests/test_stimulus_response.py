"""The responsiveness readout: how the network answers a stimulus (stim<k>_..._hz).

Checked against the same quantity counted from the result file's spikes
here, and against the direction any network must show: cells driven harder
fire more than the rest.
"""

from __future__ import annotations

import numpy as np
import pytest

import plasticity
from tests.conftest import small_config

STIM = ("stimulation=[{population: exc, fraction: 0.25, start: 150 ms, stop: 300 ms, "
        "rate_factor: 3}]")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    path = tmp_path_factory.mktemp("stim") / "stim.h5"
    return plasticity.open_result(plasticity.run(small_config(STIM), path))


def test_responses_are_the_rate_changes_of_the_driven_and_the_other_cells(result):
    ids, times = result.spikes("exc")
    n, m = 80, 20
    summary = result.summary

    def change(cells, count):
        during = np.count_nonzero(cells & (times >= 150) & (times < 300)) / 0.150
        before = np.count_nonzero(cells & (times >= 50) & (times < 150)) / 0.100
        return (during - before) / count

    driven = change(ids < m, m)
    spread = change(ids >= m, n - m)
    assert summary["stim0_driven_exc_hz"] == pytest.approx(driven, rel=1e-12)
    assert summary["stim0_spread_exc_hz"] == pytest.approx(spread, rel=1e-12, abs=1e-12)
    assert driven > 5.0 and driven > spread


def test_no_response_readout_for_a_stimulus_inside_the_warm_up():
    from plasticity.simulation.rundata import RunData, stimulus_responses

    config = small_config("stimulation=[{population: exc, fraction: 0.25, start: 10 ms, "
                          "stop: 100 ms, rate_factor: 3}]")
    data = RunData(spikes={"exc": (np.array([0, 30]), np.array([20.0, 60.0]))},
                   sizes={"exc": 80}, probe_time_ms=np.zeros(0), probes={}, probe_meta={},
                   n_synapses={}, timings={}, build_dir=None,
                   concentration_uM=np.zeros(1), trace_dt_ms=10.0)
    assert stimulus_responses(config, data) == {}

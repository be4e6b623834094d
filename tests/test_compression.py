"""The clinical-time mapping, validated: one experiment at three compressions.

Issue check: the same experiment run with three compression factors spanning
10x gives readouts (binned in clinical time) that agree within 10 %.
experiments/timeline_validation.py checks that on the quickstart network
(README, "Clinical time versus network time"). Here, on the small test
network, the drug readouts (concentration, NMDA block) must agree within
10 %. Its firing rates fluctuate by themselves: at 60 min/s a clinical bin
is a quarter to one second of network time, over which the rate of this
104-cell network varies by up to 30 % from seed to seed (measured with
seeds 2, 3 and 5, with Brian2's and with our Poisson drive alike). Rates are
therefore averaged over three seeds per compression and must agree within
20 %, twice the 10 % target, which still catches a systematic effect of
compression of that size.
"""

from __future__ import annotations

import numpy as np
import pytest

from plasticity.studies.compression import clinical_readouts, compare_compressions
from tests.conftest import small_config

PROTOCOL = "pharmacology.protocol={infusions: [{dose: 0.5 mg/kg, duration: 40 min}]}"
TIMELINE = "timeline={mode: compressed, start: -20 min, end: 160 min, compression: 6 min}"
EDGES_H = np.array([-20, 0, 40, 80, 160]) / 60.0


@pytest.fixture(scope="module")
def check(tmp_path_factory):
    base = small_config(PROTOCOL, TIMELINE, "seed=2")
    return compare_compressions(base, ["6 min", "20 min", "60 min"], EDGES_H,
                                tmp_path_factory.mktemp("compression"), replicates=3)


@pytest.mark.slow
@pytest.mark.science
def test_three_compressions_spanning_10x_agree_within_10_percent(check):
    assert check.compressions_h_per_s == pytest.approx([0.1, 1 / 3, 1.0])
    deviations = check.max_deviation()
    for name in ("ketamine_conc", "nmda_block_exc_to_exc", "nmda_block_exc_to_pv",
                 "nmda_block_exc_to_sst"):
        assert deviations[name] < 0.10, (name, deviations[name], check.table())
    for name in ("rate_exc", "rate_pv"):
        assert deviations[name] < 0.20, (name, deviations[name], check.table())


@pytest.mark.slow
def test_readouts_see_the_infusion(check):
    ref = check.readouts[check.reference]
    conc = ref["ketamine_conc"]
    assert conc[0] == 0.0  # before the infusion
    assert int(np.argmax(conc)) == 1  # 0-40 min, rising to the peak at 40 min
    assert np.all(ref["nmda_block_exc_to_sst"][1:] > ref["nmda_block_exc_to_exc"][1:])


@pytest.mark.slow
def test_warmup_of_every_segment_is_left_out(check):
    from plasticity.storage import open_result

    result = open_result(check.paths[check.reference])
    with_warmup = clinical_readouts(result, EDGES_H, segment_ms=300.0, warmup_ms=0.0)
    without = check.readouts[check.reference]
    # the first 50 ms of each segment start from a fresh state: they differ
    assert not np.allclose(with_warmup["rate_exc"], without["rate_exc"])

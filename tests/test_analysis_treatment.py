"""Treatment readouts (plasticity.analysis.treatment) on hand-made chain files.

The files carry counts chosen here, so every expected number is worked out by
hand from the definitions (fraction of the loss restored, Li et al. 2011).
"""

from __future__ import annotations

import numpy as np
import pytest

from plasticity import analysis as an
from plasticity.storage import Series, open_result, write_result

HOURS = np.array([-48.0, -24.0, 0.0, 6.0, 24.0, 72.0])


def _chain(path, counts, formed=(0, 0, 0, 5, 7, 3), control=1000.0, base=900.0,
           hours=HOURS):
    hours = np.asarray(hours, dtype=float)
    clinical = Series("clinical", hours * 3.6e6, {
        "clinical_time_h": (hours, "h", "clinical time"),
        "n_syn_exc_to_exc": (np.asarray(counts, dtype=float), "1", "E->E synapses"),
        "formed_exc_to_exc": (np.asarray(formed, dtype=float), "1", "formed"),
    })
    starts = np.array([-1.0, 0.5, 3.0])
    timeline = Series("timeline", starts * 3.6e6, {
        "clinical_start_h": (starts, "h", "window start"),
        "exc_rate_hz": (np.array([5.0, 6.5, 5.2]), "Hz", "pyramidal rate"),
    })
    summary = {"n_syn_control": (control, "1"), "n_syn_baseline": (base, "1")}
    return open_result(write_result(path, spikes=[], series=[clinical, timeline],
                                    summary=summary, provenance={}, config_yaml="{}\n"))


@pytest.fixture
def arms(tmp_path):
    drug = _chain(tmp_path / "drug.h5", [950, 920, 900, 905, 930, 925])
    free = _chain(tmp_path / "free.h5", [950, 920, 900, 901, 910, 912])
    return drug, free


def test_counts_are_the_last_update_at_or_before_the_day(arms):
    drug, _ = arms
    assert an.count_at(drug, 1.0) == 930  # 24 h exactly
    assert an.count_at(drug, 0.5) == 905  # last update before 12 h is 6 h
    assert an.count_at(drug, 10.0) == 925
    with pytest.raises(ValueError, match="before the first clinical update"):
        an.count_at(drug, -3.0)


def test_restored_is_the_fraction_of_the_loss_and_pairs_with_the_drug_free_arm(arms):
    drug, free = arms
    assert an.restored_at(drug, 1.0) == pytest.approx((930 - 900) / (1000 - 900))
    assert an.restored_at(drug, 1.0, versus=free) == pytest.approx((930 - 910) / 100)
    days, frac = an.restored_course(drug, versus=free)
    np.testing.assert_allclose(days, [0.0, 0.25, 1.0, 3.0])
    np.testing.assert_allclose(frac, [0.0, 0.04, 0.20, 0.13])


def test_no_loss_to_restore_is_refused(tmp_path):
    flat = _chain(tmp_path / "flat.h5", [900] * 6, control=900.0, base=900.0)
    with pytest.raises(ValueError, match="no stress-induced loss"):
        an.restored_at(flat, 1.0)


def test_window_and_formation_readouts(arms):
    drug, _ = arms
    assert an.window_value(drug, 1.0, "exc_rate_hz") == 6.5  # nearest start: 0.5 h
    assert an.formed_between(drug, 0.0, 24.0) == 12  # updates at 6 h and 24 h
    with pytest.raises(KeyError, match="no 'n_syn_pv_to_exc'"):
        an.count_at(drug, 1.0, pathway="pv_to_exc")


def test_format_ci_gives_mean_and_interval():
    text = an.format_ci([0.1, 0.1, 0.1])
    assert text == "+0.100 [+0.100, +0.100]"



def test_the_drug_free_count_is_its_last_update_and_must_cover_the_result(tmp_path, arms):
    drug, _ = arms
    # a drug-free arm on another grid: its counts are taken at or before each update
    other = _chain(tmp_path / "other.h5", [950, 920, 900, 908, 915, 940],
                   hours=[-48.0, -24.0, 0.0, 12.0, 20.0, 200.0])
    days, frac = an.restored_course(drug, versus=other, from_day=0.0)
    np.testing.assert_allclose(frac, [0.0, 0.05, 0.15, 0.10])  # 900, 900, 915, 915 free
    short = _chain(tmp_path / "short.h5", [950, 920, 900, 901, 910, 912],
                   hours=[-48.0, -24.0, 0.0, 6.0, 24.0, 48.0])
    with pytest.raises(ValueError, match="do not cover"):
        an.restored_course(drug, versus=short)

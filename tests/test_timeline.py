"""Clinical time versus network time: segments, seeds and concentration traces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from plasticity.config import load_config
from plasticity.errors import ConfigError
from plasticity.model.network import trace_length
from plasticity.pharmacology.exposure import driving_concentration_uM, protocol_pk
from plasticity.simulation.timeline import (
    clinical_windows,
    concentration_trace,
    segment_seed,
    segments,
)

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = "pharmacology.protocol={infusions: [{dose: 0.5 mg/kg, duration: 40 min, salt: base}]}"


def _config(*overrides: str):
    return load_config(None, ["simulation.duration=1 s", *overrides])


def test_default_is_one_real_time_segment_with_the_config_seed():
    (seg,) = segments(_config("seed=42"))
    assert seg.index == 0 and seg.compression == 1.0 and seg.clinical_start_s == 0.0
    assert seg.seed == 42 and seg.clinical_span_s == pytest.approx(1.0)


def test_compressed_segments_tile_the_clinical_span():
    segs = segments(_config("timeline={mode: compressed, start: -1 h, end: 4 h, compression: 1 h}"))
    assert len(segs) == 5
    starts = [s.clinical_start_s / 3600 for s in segs]
    assert starts == pytest.approx([-1, 0, 1, 2, 3])
    assert all(s.clinical_span_s == pytest.approx(3600.0) for s in segs)
    # network time t in segment k stands for start_k + compression * t
    assert segs[2].clinical_time_s(0.5) == pytest.approx(3600 + 1800)


def test_compressed_span_that_does_not_divide_is_covered():
    segs = segments(_config("timeline={mode: compressed, start: 0 h, end: 4.5 h, "
                            "compression: 1 h}"))
    assert len(segs) == 5
    assert segs[-1].clinical_start_s + segs[-1].clinical_span_s >= 4.5 * 3600


def test_windows_are_real_time_segments_at_their_starts():
    segs = segments(_config("timeline={mode: windows, windows: [-30 min, 40 min, 1 day]}"))
    assert [s.clinical_start_s for s in segs] == [-1800.0, 2400.0, 86400.0]
    assert all(s.compression == 1.0 for s in segs)


def test_segment_seeds_are_distinct_and_reproducible():
    seeds = [segment_seed(7, k) for k in range(50)]
    assert seeds[0] == 7 and len(set(seeds)) == 50
    assert seeds == [segment_seed(7, k) for k in range(50)]
    assert all(0 <= s < 2**31 for s in seeds)
    assert segment_seed(8, 3) != segment_seed(7, 3)


def test_constant_concentration_without_protocol():
    config = _config("pharmacology.ketamine_uM=2.5")
    (seg,) = segments(config)
    trace = concentration_trace(config, seg, trace_length(config))
    assert trace.shape == (trace_length(config),) and np.all(trace == 2.5)


def test_trace_samples_the_pk_at_the_segment_clinical_times():
    config = _config(PROTOCOL, "timeline={mode: compressed, start: 0 h, end: 2 h, "
                                "compression: 20 min}")
    segs = segments(config)
    n = trace_length(config)
    dt = float(config.pharmacology.trace_dt)
    for seg in segs:
        trace = concentration_trace(config, seg, n)
        clinical = seg.clinical_start_s + seg.compression * dt * np.arange(n)
        expected = driving_concentration_uM(config.pharmacology.protocol, clinical)
        assert np.allclose(trace, expected, rtol=1e-12, atol=1e-15)
    # the free effect-site concentration by default: 0.53 x the effect site, which lags
    # plasma during the infusion
    assert config.pharmacology.protocol.concentration_at == "free_effect_site"
    t = np.array([600.0, 2400.0, 7200.0])
    result = protocol_pk(config.pharmacology.protocol, t)
    driving = driving_concentration_uM(config.pharmacology.protocol, t)
    np.testing.assert_allclose(driving, 0.53 * result.effect_uM, rtol=1e-12)
    assert result.effect_uM[0] < result.plasma_uM[0]


#: Which PK output drives the block and by what factor: the unbound fraction 0.53 for the
#: free concentrations (ketamine bound "as much as 47 %" to human plasma, Dayton et al.
#: 1983, Eur J Clin Pharmacol 24:825), 1 for the total ones.
DRIVES = [
    ("free_effect_site", "effect_uM", 0.53),
    ("effect_site", "effect_uM", 1.0),
    ("free_plasma", "plasma_uM", 0.53),
    ("plasma", "plasma_uM", 1.0),
]


@pytest.mark.parametrize(("site", "series", "factor"), DRIVES)
def test_each_concentration_at_drives_with_its_factor(site, series, factor):
    config = _config(PROTOCOL, f"pharmacology.protocol.concentration_at={site}")
    t = np.array([600.0, 2400.0, 2460.0, 7200.0])
    total = getattr(protocol_pk(config.pharmacology.protocol, t), series)
    assert np.all(total > 0)
    np.testing.assert_allclose(driving_concentration_uM(config.pharmacology.protocol, t),
                               factor * total, rtol=1e-12)


def test_free_plasma_scales_total_plasma():
    config = _config(PROTOCOL, "pharmacology.protocol.concentration_at=free_plasma",
                     "pharmacology.protocol.free_fraction=0.5")
    t = np.array([1200.0, 2400.0, 7200.0])
    total = protocol_pk(config.pharmacology.protocol, t).plasma_uM
    assert np.allclose(driving_concentration_uM(config.pharmacology.protocol, t), 0.5 * total)


def test_custom_pk_parameters_match_the_named_set():
    """A custom model with Domino's numbers gives Domino's curve (units converted)."""
    custom = ("pharmacology.protocol.pk_parameters={v1: 0.063 L/kg, k10: 0.4381 /min, "
              "k12: 0.5921 /min, k21: 0.2470 /min, k13: 0.5900 /min, k31: 0.0146 /min, "
              "ke0: 0.652 /min}")
    a = _config(PROTOCOL, "pharmacology.protocol.pk_model=custom", custom)
    b = _config(PROTOCOL)
    t = np.linspace(0, 6 * 3600, 50)
    assert np.allclose(driving_concentration_uM(a.pharmacology.protocol, t),
                       driving_concentration_uM(b.pharmacology.protocol, t), rtol=1e-12)


def test_repeat_expands_the_schedule():
    config = _config("pharmacology.protocol={repeat: {count: 6, every: 48 h}}")
    starts = [d[0] / 3600 for d in config.pharmacology.protocol.schedule()]
    assert starts == pytest.approx([0, 48, 96, 144, 192, 240])


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        (["timeline={mode: compressed, start: 0 h, end: 1 h, compression: 0.5 s}"],
         ["timeline", "compression", "at least 1 s"]),
        (["timeline={mode: compressed, start: 2 h, end: 1 h, compression: 1 h}"],
         ["timeline", "end", "must be after start"]),
        (["timeline={mode: windows, windows: [0 s, 0.5 s]}"],
         ["timeline.windows overlap", "simulation.duration"]),
        (["timeline={mode: windows, windows: [1 h, 0 h]}"], ["increasing"]),
        (["timeline={mode: windows}"], ["needs a non-empty list"]),
        (["timeline={compression: 1 h}"], ["only used with mode 'compressed'"]),
        (["pharmacology.ketamine_uM=1", PROTOCOL], ["either ketamine_uM", "protocol"]),
        (["pharmacology.protocol={infusions: [{dose: 0.5}]}"],
         ["protocol.infusions.0.dose", "0.5 mg/kg"]),
        (["pharmacology.protocol={infusions: [{route: oral}]}"], ["route", "'iv'"]),
        (["pharmacology.protocol={pk_model: custom}"], ["pk_parameters"]),
        (["pharmacology.protocol={weight: -3 kg}"], ["weight", "positive"]),
        (["timeline={mode: compressed, start: 0 s, end: 1000 day, compression: 1 s}"],
         ["segments", "at most 100000"]),
    ],
)
def test_bad_timeline_and_protocol_values_name_the_key(overrides, fragments):
    with pytest.raises(ConfigError) as err:
        _config(*overrides)
    text = str(err.value)
    for fragment in fragments:
        assert fragment in text, (fragment, text)


@pytest.mark.parametrize("dense", ["15 min", "30 min", "1 h"])
def test_an_infusion_is_sampled_at_least_four_times_whatever_the_spacing(dense):
    """A 40 min infusion at 0 on a 15 min update grid: windows at 0, 15, 30 and 45 min
    (10 min apart, rounded up onto the grid), then every ``dense_every``."""
    config = load_config(ROOT / "configs/single_infusion.yaml", [f"timeline.dense_every={dense}"])
    step = {"15 min": 15, "30 min": 30, "1 h": 60}[dense]
    minutes = [round(t / 60.0) for t in clinical_windows(config) if 0 <= t < 3 * 3600]
    assert minutes[:4] == [0, 15, 30, 45]
    assert minutes[4:] == list(range(45 + step, 180, step))
    off = load_config(ROOT / "configs/single_infusion.yaml", [
        "timeline.dense_every=1 h", "timeline.windows_per_infusion=0"])
    assert [round(t / 60.0) for t in clinical_windows(off) if 0 <= t < 3 * 3600] == [0, 60, 120]

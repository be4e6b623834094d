"""Tests for plasticity.plots: the standard figures of a result file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from plasticity import plots
from plasticity.plots import boxcar, plot_result
from plasticity.storage import Series, SpikeData, write_result

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DURATION_MS = 1000.0
BASE_FIGURES = ("raster", "rates", "nmda_block", "state")


def _spikes(rng: np.random.Generator, pop: str, n: int, rate_hz: float) -> SpikeData:
    count = rng.poisson(rate_hz * n * DURATION_MS * 1e-3)
    ids = rng.integers(0, n, size=count)
    times = rng.uniform(0.0, DURATION_MS, size=count)
    return SpikeData(pop, ids, times, n_nodes=n)


def _rates(rng: np.random.Generator) -> Series:
    t = np.arange(0.5, DURATION_MS, 1.0)
    return Series(
        "rates",
        t,
        {
            "rate_exc": (rng.poisson(5.0, t.size).astype(float), "Hz", "population rate of exc"),
            "rate_pv": (rng.poisson(20.0, t.size).astype(float), "Hz", "population rate of pv"),
        },
    )


def _state(rng: np.random.Generator) -> Series:
    t = np.arange(0.0, DURATION_MS, 0.5)
    conc = np.where(t > 300.0, 10.0, 0.0)
    block = conc / (conc + 5.0)
    noise = rng.normal(0.0, 1.0, t.size)
    return Series(
        "state",
        t,
        {
            "v_mean_exc": (-65.0 + noise, "mV", "mean membrane potential (exc)"),
            "v_mean_pv": (-60.0 + noise, "mV", "mean membrane potential (pv)"),
            "v_d_mean_exc": (-63.0 + noise, "mV", "mean dendritic potential (exc)"),
            "nmda_block_exc_to_exc": (block, "1", "ketamine block (pathway exc_to_exc)"),
            "nmda_block_exc_to_pv": (0.8 * block, "1", "ketamine block (pathway exc_to_pv)"),
            "mg_unblock_exc_to_exc": (np.full(t.size, 0.2), "1", "Mg unblock"),
            "lfp_proxy": (100.0 * np.sin(2 * np.pi * 0.04 * t) + noise, "pA", "LFP proxy"),
            "ketamine_conc": (conc, "uM", "ketamine concentration"),
        },
    )


def _connectivity() -> Series:
    t = np.array([0.0, 250.0, 500.0, 750.0])
    return Series(
        "connectivity",
        t,
        {
            "n_syn_exc_to_exc": (np.array([4000.0, 3900, 3850, 3800]), "1", "synapses exc_to_exc"),
            "n_syn_exc_to_pv": (np.array([1000.0, 1000, 990, 980]), "1", "synapses exc_to_pv"),
        },
    )


def _write(path: Path, *, connectivity: bool = False, with_series: bool = True) -> Path:
    rng = np.random.default_rng(7)
    series = [_rates(rng), _state(rng)] if with_series else []
    if connectivity:
        series.append(_connectivity())
    return write_result(
        path,
        spikes=[_spikes(rng, "exc", 400, 5.0), _spikes(rng, "pv", 100, 20.0)],
        series=series,
        summary={"exc_rate_hz": (5.0, "Hz")},
        provenance={"seed": 42, "git_commit": "abc"},
        config_yaml="seed: 42\n",
        extra_attrs={"name": "synthetic"},
    )


def _assert_png(path: Path) -> None:
    assert path.is_file(), path
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    assert len(data) > 5_000, (path, len(data))


def test_writes_the_standard_figures_without_connectivity(tmp_path: Path) -> None:
    result = _write(tmp_path / "run.h5")
    out = tmp_path / "figs" / "nested"
    written = plot_result(result, out)
    assert written == [out / f"{stem}.png" for stem in BASE_FIGURES]
    for path in written:
        _assert_png(path)
    assert not (out / "connectivity.png").exists()


def test_writes_connectivity_when_the_series_exists(tmp_path: Path) -> None:
    result = _write(tmp_path / "run.h5", connectivity=True)
    written = plot_result(result, tmp_path / "figs")
    assert [p.stem for p in written] == [*BASE_FIGURES, "connectivity"]
    for path in written:
        _assert_png(path)


def test_skips_figures_whose_series_are_absent(tmp_path: Path) -> None:
    result = _write(tmp_path / "run.h5", with_series=False)
    written = plot_result(result, tmp_path / "figs")
    assert written == [tmp_path / "figs" / "raster.png"]
    _assert_png(written[0])


def test_several_formats_and_existing_out_dir(tmp_path: Path) -> None:
    result = _write(tmp_path / "run.h5")
    out = tmp_path / "figs"
    out.mkdir()
    written = plot_result(result, out, formats=("png", ".SVG"), max_raster_neurons=10, dpi=60)
    assert [p.name for p in written[:2]] == ["raster.png", "raster.svg"]
    assert len(written) == 2 * len(BASE_FIGURES)
    svg = (out / "rates.svg").read_text()
    assert "synthetic (seed 42)" in svg
    assert "10 ms boxcar" in svg


def test_out_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    result = _write(tmp_path / "run.h5")
    blocker = tmp_path / "figs"
    blocker.write_text("not a directory")
    with pytest.raises(ValueError, match="not a directory"):
        plot_result(result, blocker)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"formats": ()}, "at least one image format"),
        ({"formats": ("nope",)}, "unsupported image formats"),
        ({"max_raster_neurons": 0}, "max_raster_neurons"),
        ({"dpi": 0}, "dpi"),
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict, message: str) -> None:
    result = _write(tmp_path / "run.h5")
    with pytest.raises(ValueError, match=message):
        plot_result(result, tmp_path / "figs", **kwargs)
    assert not (tmp_path / "figs").exists()


def test_titles_carry_name_and_seed(tmp_path: Path) -> None:
    result = plots.open_result(_write(tmp_path / "run.h5"))
    assert plots._title(result, "rates") == "synthetic (seed 42): rates"


def test_boxcar_averages_over_ten_ms_and_keeps_edges() -> None:
    values = np.zeros(100)
    values[50] = 10.0
    smoothed = boxcar(values, dt_ms=1.0)
    assert smoothed.shape == values.shape
    assert np.count_nonzero(smoothed) == 10
    assert smoothed.sum() == pytest.approx(10.0)
    np.testing.assert_allclose(boxcar(np.full(30, 3.0), dt_ms=1.0), 3.0)
    np.testing.assert_array_equal(boxcar(values, dt_ms=20.0), values)


# --------------------------------------------------------------------------- #
# plot_pk: which concentration drives the block is named in the legend
# --------------------------------------------------------------------------- #
def _pk_curves() -> dict:
    t = np.linspace(-10.0, 240.0, 251)
    plasma = np.where(t < 0, 0.0, np.minimum(t, 40.0) / 40.0 * np.exp(-np.maximum(t - 40, 0) / 90))
    effect = 0.95 * plasma
    free = 0.53 * effect  # free fraction 0.53 (Dayton et al. 1983)
    ic50 = 0.32 * (1.0 + 1.0 / (3.57 * np.exp(-0.062 * 66.0)))  # GluN2A/B at -66 mV, 1 mM Mg
    return {"times_min": t, "plasma_uM": plasma, "effect_uM": effect, "driving_uM": free,
            "blocks": {"exc_to_exc": free / (free + ic50), "exc_to_pv": None}}


@pytest.mark.parametrize(
    ("driving", "drives", "free_curve"),
    [
        ("free_effect_site", "free effect site (drives block)", True),
        ("effect_site", "effect site (drives block)", False),
        ("free_plasma", "free plasma (drives block)", True),
        ("plasma", "plasma (drives block)", False),
    ],
)
def test_plot_pk_names_the_driving_concentration(tmp_path: Path, driving: str, drives: str,
                                                 free_curve: bool) -> None:
    curves = _pk_curves()
    path = plots.plot_pk(tmp_path / "pk.svg", curves.pop("times_min"), curves.pop("plasma_uM"),
                         curves.pop("blocks"), driving=driving, **curves)
    svg = path.read_text()
    assert drives in svg
    assert svg.count("(drives block)") == 1
    # a free drive is drawn as its own curve next to the total plasma and effect site
    assert ("free " in svg) is free_curve
    assert "(not blocked)" in svg  # exc_to_pv is given as None


def test_plot_pk_refuses_an_unknown_drive(tmp_path: Path) -> None:
    curves = _pk_curves()
    with pytest.raises(ValueError, match="free_effect_site"):
        plots.plot_pk(tmp_path / "pk.png", curves.pop("times_min"), curves.pop("plasma_uM"),
                      curves.pop("blocks"), driving="brain", **curves)
    assert not (tmp_path / "pk.png").exists()

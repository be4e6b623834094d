"""Standard figures of one result file.

:func:`plot_result` reads a result file written by :mod:`plasticity.storage` and
writes one image per figure into an output directory:

``raster``
    spike raster of the first neurons of every population, stacked;
``rates``
    population rates, smoothed with a 10 ms boxcar (``rates`` series);
``nmda_block``
    ketamine block of the NMDA receptors per pathway and the concentration
    (``state`` series);
``state``
    mean membrane potentials and the LFP proxy (``state`` series);
``connectivity``
    synapse counts per pathway (``connectivity`` series).

:func:`plot_pk` draws the concentration time course and NMDA block of an
infusion protocol (``plasticity pk``), computed without a network.

A figure whose data are not in the file is skipped silently. Figures are drawn
on :class:`matplotlib.figure.Figure` objects with the Agg canvas, so no pyplot
state is touched and no display is needed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from plasticity.storage import Result, atomic_file, open_result

__all__ = ["SMOOTHING_MS", "image_format", "plot_pk", "plot_result"]

SMOOTHING_MS: float = 10.0
"""Width of the boxcar that smooths population rates, in ms."""

POPULATION_ORDER: tuple[str, ...] = ("exc", "pv", "sst")
POPULATION_COLOURS: dict[str, str] = {"exc": "tab:red", "pv": "tab:blue", "sst": "tab:green"}
_FALLBACK_COLOURS: tuple[str, ...] = ("tab:purple", "tab:orange", "tab:brown", "tab:pink")
_WIDE: tuple[float, float] = (9.0, 4.0)
_TALL: tuple[float, float] = (9.0, 6.0)
_BLOCK_YLIM: tuple[float, float] = (-0.02, 1.05)

Drawer = Callable[[Result, Figure, int], bool]


# --------------------------------------------------------------------------- #
# Small helpers
# --------------------------------------------------------------------------- #
def _ordered(names: Iterable[str]) -> list[str]:
    """Sort population names: exc, pv, sst first, then the rest alphabetically."""
    rank = {name: i for i, name in enumerate(POPULATION_ORDER)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def _colour(population: str, index: int) -> str:
    """Return the colour of a population, stable across figures for the known ones."""
    if population in POPULATION_COLOURS:
        return POPULATION_COLOURS[population]
    return _FALLBACK_COLOURS[index % len(_FALLBACK_COLOURS)]


def _title(result: Result, what: str) -> str:
    """Return the figure title: result name, seed and what is shown."""
    name = result.attrs.get("name") or result.path.stem
    seed = result.provenance.get("seed", "n/a")
    return f"{name} (seed {seed}): {what}"


def _series_or_none(result: Result, name: str) -> xr.Dataset | None:
    """Return the series ``name``, or ``None`` if the file has none by that name."""
    return result.series(name) if name in result.series_names else None


def _variables(ds: xr.Dataset, prefix: str) -> list[str]:
    """Names of the data variables of ``ds`` that start with ``prefix``, sorted."""
    return sorted(str(v) for v in ds.data_vars if str(v).startswith(prefix))


def _time_s(ds: xr.Dataset) -> np.ndarray:
    """Return the ``time`` coordinate of a series, converted from ms to s."""
    return np.asarray(ds["time"].values, dtype=float) * 1e-3


def _units(ds: xr.Dataset, var: str, default: str = "") -> str:
    """Return the ``units`` attribute of a variable."""
    return str(ds[var].attrs.get("units", default))


def _pathway_label(pathway: str) -> str:
    """``exc_to_pv`` -> ``exc→pv``."""
    return pathway.replace("_to_", "\u2192")


def boxcar(values: np.ndarray, dt_ms: float, width_ms: float = SMOOTHING_MS) -> np.ndarray:
    """Smooth ``values`` sampled every ``dt_ms`` with a centred boxcar of ``width_ms``.

    The average at the edges is taken over the samples inside the series only, so
    the ends are not pulled towards zero.

    Parameters
    ----------
    values : np.ndarray
        1-D samples.
    dt_ms : float
        Sampling interval in ms.
    width_ms : float
        Boxcar width in ms; a width below two samples leaves the data unchanged.

    Returns
    -------
    np.ndarray
        The smoothed samples, same length as ``values``.
    """
    values = np.asarray(values, dtype=float)
    n = _boxcar_samples(dt_ms, width_ms)
    if n <= 1 or values.size == 0:
        return values.copy()
    kernel = np.ones(n)
    total = np.convolve(values, kernel, mode="same")
    count = np.convolve(np.ones_like(values), kernel, mode="same")
    return total / count


def _boxcar_samples(dt_ms: float, width_ms: float) -> int:
    """Count the samples in a boxcar of ``width_ms`` at sampling interval ``dt_ms``."""
    if not np.isfinite(dt_ms) or dt_ms <= 0:
        return 1
    return max(1, int(round(width_ms / dt_ms)))


def _sampling_ms(ds: xr.Dataset) -> float:
    """Median sampling interval of a series in ms (``nan`` with fewer than two samples)."""
    time = np.asarray(ds["time"].values, dtype=float)
    return float(np.median(np.diff(time))) if time.size > 1 else float("nan")


# --------------------------------------------------------------------------- #
# Figures
# --------------------------------------------------------------------------- #
def _draw_raster(result: Result, fig: Figure, max_neurons: int) -> bool:
    """Draw a raster of the first ``max_neurons`` neurons per population, stacked."""
    populations = _ordered(result.populations)
    if not populations:
        return False
    ax = fig.add_subplot()
    offset, ticks, labels = 0, [], []
    for i, pop in enumerate(populations):
        shown = min(result.n_nodes(pop), max_neurons)
        ids, times = result.spikes(pop)
        keep = ids < shown
        ax.plot(
            times[keep] * 1e-3,
            ids[keep].astype(float) + offset,
            linestyle="none",
            marker="|",
            markersize=2.0,
            color=_colour(pop, i),
            rasterized=True,
        )
        ticks.append(offset + shown / 2.0)
        labels.append(f"{pop}\n({shown}/{result.n_nodes(pop)})")
        offset += shown
        ax.axhline(offset - 0.5, color="0.7", linewidth=0.5)
    ax.set_yticks(ticks, labels)
    ax.set_ylim(-0.5, max(offset, 1) - 0.5)
    ax.set_xlim(left=0.0)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"neuron (first {max_neurons} per population)")
    ax.set_title(_title(result, "spike raster"))
    return True


def _draw_rates(result: Result, fig: Figure, _max_neurons: int) -> bool:
    """Draw population rates over time, smoothed with a :data:`SMOOTHING_MS` boxcar."""
    ds = _series_or_none(result, "rates")
    names = _variables(ds, "rate_") if ds is not None else []
    if not names:
        return False
    dt_ms = _sampling_ms(ds)
    width = _boxcar_samples(dt_ms, SMOOTHING_MS) * dt_ms if np.isfinite(dt_ms) else 0.0
    smoothing = f"{width:g} ms boxcar" if width > dt_ms else "unsmoothed"
    ax = fig.add_subplot()
    pops = _ordered(n.removeprefix("rate_") for n in names)
    for i, pop in enumerate(pops):
        values = boxcar(ds[f"rate_{pop}"].values, dt_ms)
        ax.plot(_time_s(ds), values, color=_colour(pop, i), linewidth=1.0, label=pop)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"rate ({_units(ds, names[0], 'Hz')})")
    ax.set_xlim(left=0.0)
    ax.set_ylim(bottom=0.0)
    fig.legend(title=f"population\n({smoothing})", loc="outside right upper", fontsize="small")
    ax.set_title(_title(result, f"population rates, {smoothing}"))
    return True


def _plot_concentration(ax: Axes, ds: xr.Dataset) -> list:
    """Draw ``ketamine_conc`` on a twin y-axis of ``ax``; return the line handles."""
    if "ketamine_conc" not in ds:
        return []
    twin = ax.twinx()
    lines = twin.plot(
        _time_s(ds),
        ds["ketamine_conc"].values,
        color="black",
        linestyle="--",
        linewidth=1.0,
        label="ketamine",
    )
    twin.set_ylabel(f"ketamine ({_units(ds, 'ketamine_conc', 'uM')})")
    top = float(np.nanmax(ds["ketamine_conc"].values)) if ds["ketamine_conc"].size else 0.0
    high = top * 1.1 if top > 0 else 1.0
    twin.set_ylim(high * _BLOCK_YLIM[0] / _BLOCK_YLIM[1], high)  # zero level with the block axis
    return lines


def _draw_nmda_block(result: Result, fig: Figure, _max_neurons: int) -> bool:
    """Draw the ketamine block per pathway and the concentration on a twin axis."""
    ds = _series_or_none(result, "state")
    if ds is None:
        return False
    names = _variables(ds, "nmda_block_")
    if not names and "ketamine_conc" not in ds:
        return False
    ax = fig.add_subplot()
    handles = []
    for i, name in enumerate(names):
        pathway = name.removeprefix("nmda_block_")
        target = pathway.rsplit("_to_", 1)[-1]
        handles += ax.plot(
            _time_s(ds),
            ds[name].values,
            color=_colour(target, i),
            linewidth=1.2,
            label=f"block {_pathway_label(pathway)}",
        )
    ax.set_ylim(*_BLOCK_YLIM)
    ax.set_xlim(left=0.0)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("NMDA receptor block by ketamine (fraction)")
    handles += _plot_concentration(ax, ds)
    ax.legend(handles=handles, loc="upper left", fontsize="small")
    ax.set_title(_title(result, "NMDA receptor block"))
    return True


def _plot_potentials(ax: Axes, ds: xr.Dataset, names: list[str]) -> None:
    """Draw mean somatic (solid) and dendritic (dashed) potentials per population."""
    for i, name in enumerate(names):
        dendritic = name.startswith("v_d_mean_")
        pop = name.removeprefix("v_d_mean_" if dendritic else "v_mean_")
        ax.plot(
            _time_s(ds),
            ds[name].values,
            color=_colour(pop, i),
            linestyle="--" if dendritic else "-",
            linewidth=1.0,
            label=f"{pop} {'dendrite' if dendritic else 'soma'}",
        )
    ax.set_ylabel(f"mean potential ({_units(ds, names[0], 'mV')})")
    ax.figure.legend(loc="outside right upper", fontsize="small")


def _plot_lfp(ax: Axes, ds: xr.Dataset) -> None:
    """Draw the LFP proxy trace."""
    ax.plot(_time_s(ds), ds["lfp_proxy"].values, color="0.2", linewidth=0.8)
    ax.set_ylabel(f"LFP proxy ({_units(ds, 'lfp_proxy', 'pA')})")


def _draw_state(result: Result, fig: Figure, _max_neurons: int) -> bool:
    """Draw mean membrane potentials (top) and the LFP proxy (bottom)."""
    ds = _series_or_none(result, "state")
    if ds is None:
        return False
    potentials = _variables(ds, "v_mean_") + _variables(ds, "v_d_mean_")
    has_lfp = "lfp_proxy" in ds
    n_panels = bool(potentials) + has_lfp
    if n_panels == 0:
        return False
    axes = list(fig.subplots(n_panels, 1, sharex=True, squeeze=False)[:, 0])
    if potentials:
        _plot_potentials(axes[0], ds, potentials)
    if has_lfp:
        _plot_lfp(axes[-1], ds)
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(left=0.0)
    axes[0].set_title(_title(result, "membrane potentials and LFP proxy"))
    return True


def _draw_connectivity(result: Result, fig: Figure, _max_neurons: int) -> bool:
    """Draw synapse counts per pathway over time (``connectivity`` series)."""
    ds = _series_or_none(result, "connectivity")
    names = _variables(ds, "n_syn_") if ds is not None else []
    if not names:
        return False
    ax = fig.add_subplot()
    for i, name in enumerate(names):
        pathway = name.removeprefix("n_syn_")
        target = pathway.rsplit("_to_", 1)[-1]
        ax.plot(
            _time_s(ds),
            ds[name].values,
            color=_colour(target, i),
            marker="o",
            markersize=3.0,
            linewidth=1.0,
            label=_pathway_label(pathway),
        )
    ax.set_xlabel("time (s)")
    ax.set_ylabel("synapses")
    ax.set_ylim(bottom=0.0)
    ax.legend(title="pathway", loc="best", fontsize="small")
    ax.set_title(_title(result, "synapse counts per pathway"))
    return True


def _draw_timeline(result: Result, fig: Figure, _max_neurons: int) -> bool:
    """Readouts of each segment against clinical time (multi-segment experiments)."""
    ds = _series_or_none(result, "timeline")
    if ds is None or ds.sizes["time"] < 2:
        return False
    mid_h = ds["clinical_start_h"].values + 0.5 * ds["clinical_span_h"].values
    rates = [v for v in ds.data_vars if v.endswith("_rate_hz")]
    blocks = _variables(ds, "nmda_block_")
    ax_rate, ax_block = fig.subplots(2, 1, sharex=True)
    for i, name in enumerate(rates):
        pop = name.removesuffix("_rate_hz")
        ax_rate.plot(mid_h, ds[name].values, "o-", color=_colour(pop, i), markersize=3,
                     label=pop)
    ax_rate.set_ylabel("rate (Hz)")
    ax_rate.legend(fontsize="small")
    handles = []
    for i, name in enumerate(blocks):
        pathway = name.removeprefix("nmda_block_")
        handles += ax_block.plot(mid_h, ds[name].values, "o-", markersize=3,
                                 color=_colour(pathway.rsplit("_to_", 1)[-1], i),
                                 label=f"block {_pathway_label(pathway)}")
    ax_block.set_ylim(*_BLOCK_YLIM)
    ax_block.set_ylabel("NMDA block (fraction)")
    ax_block.set_xlabel("clinical time (h), segment midpoints")
    if "ketamine_uM" in ds:
        twin = ax_block.twinx()
        handles += twin.plot(mid_h, ds["ketamine_uM"].values, "k--", linewidth=1,
                             label="ketamine (uM)")
        twin.set_ylabel("ketamine (uM)")
    ax_block.legend(handles=handles, loc="upper right", fontsize="small")
    ax_rate.set_title(_title(result, f"{ds.sizes['time']} segments over clinical time"))
    return True


FIGURES: dict[str, tuple[Drawer, tuple[float, float]]] = {
    "raster": (_draw_raster, _TALL),
    "rates": (_draw_rates, _WIDE),
    "nmda_block": (_draw_nmda_block, _WIDE),
    "state": (_draw_state, _TALL),
    "connectivity": (_draw_connectivity, _WIDE),
    "timeline": (_draw_timeline, _TALL),
}
"""Figure stem -> (drawing function, size in inches), in the order they are written."""


# --------------------------------------------------------------------------- #
# Public entry point
# --------------------------------------------------------------------------- #
def _check_formats(formats: Iterable[str] | str) -> tuple[str, ...]:
    """Normalise image formats (``"png"``, ``".PDF"`` -> ``"png"``, ``"pdf"``)."""
    if isinstance(formats, str):
        formats = (formats,)
    cleaned = tuple(dict.fromkeys(str(f).lower().lstrip(".") for f in formats))
    if not cleaned or not all(cleaned):
        raise ValueError(f"formats must name at least one image format, got {formats!r}")
    supported = FigureCanvasAgg(Figure()).get_supported_filetypes()
    unknown = [f for f in cleaned if f not in supported]
    if unknown:
        raise ValueError(f"unsupported image formats {unknown}; choose from {sorted(supported)}")
    return cleaned


def _prepare_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Create ``out_dir`` (with parents); refuse a path that is an existing file."""
    path = Path(out_dir)
    if path.exists() and not path.is_dir():
        raise ValueError(f"output directory '{path}' exists and is not a directory")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save(fig: Figure, out_dir: Path, stem: str, formats: tuple[str, ...], dpi: int) -> list[Path]:
    """Write ``fig`` as ``<out_dir>/<stem>.<format>`` for every format."""
    canvas = FigureCanvasAgg(fig)
    written = []
    for fmt in formats:
        target = out_dir / f"{stem}.{fmt}"
        canvas.print_figure(target, format=fmt, dpi=dpi)
        written.append(target)
    return written


def plot_result(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    formats: Iterable[str] = ("png",),
    max_raster_neurons: int = 200,
    dpi: int = 120,
) -> list[Path]:
    """Draw the standard figures of one result file into ``out_dir``.

    Writes ``raster``, ``rates``, ``nmda_block``, ``state``, ``connectivity``
    and ``timeline`` images, each in every requested format; a figure whose data
    are absent from the file (no spikes, no ``rates``/``state``/``connectivity``
    series, a single segment) is skipped.
    Every title carries the result's ``name`` attribute and the run's seed.

    Parameters
    ----------
    path : str or PathLike
        Result file written by :func:`plasticity.storage.write_result`.
    out_dir : str or PathLike
        Directory for the images; created with its parents if missing. Existing
        images of the same names are replaced.
    formats : iterable of str, optional
        Image formats understood by matplotlib's Agg canvas (``"png"``, ``"pdf"``,
        ``"svg"``, ...).
    max_raster_neurons : int, optional
        The raster shows at most this many neurons per population (the first ones).
    dpi : int, optional
        Resolution of raster images.

    Returns
    -------
    list of Path
        The written files, in the order raster, rates, nmda_block, state,
        connectivity, timeline, and within each figure in the order of ``formats``.

    Raises
    ------
    ValueError
        If ``out_dir`` exists and is not a directory, ``formats`` is empty or names
        an unsupported format, ``max_raster_neurons`` < 1 or ``dpi`` <= 0.
    plasticity.storage.ResultFileError
        If ``path`` is not a readable result file.
    """
    if max_raster_neurons < 1:
        raise ValueError(f"max_raster_neurons must be >= 1, got {max_raster_neurons}")
    if dpi <= 0:
        raise ValueError(f"dpi must be > 0, got {dpi}")
    fmts = _check_formats(formats)
    result = open_result(path)
    target = _prepare_out_dir(out_dir)
    written: list[Path] = []
    for stem, (draw, size) in FIGURES.items():
        fig = Figure(figsize=size, layout="constrained")
        if draw(result, fig, max_raster_neurons):
            written += _save(fig, target, stem, fmts, dpi)
    return written


# --------------------------------------------------------------------------- #
# Pharmacokinetics of an infusion protocol (``plasticity pk``)
# --------------------------------------------------------------------------- #
_INFUSION_COLOUR = "tab:orange"
_SEGMENT_COLOUR = "0.6"
_MAX_SHADED_SEGMENTS = 500
_CONCENTRATION_LABELS: dict[str, str] = {
    "plasma": "plasma",
    "effect_site": "effect site",
    "free_plasma": "free plasma",
    "free_effect_site": "free effect site",
}


def image_format(path: str | os.PathLike[str]) -> str:
    """The image format named by the suffix of ``path`` (``"fig.PNG"`` -> ``"png"``).

    Parameters
    ----------
    path : str or PathLike
        Image file name.

    Returns
    -------
    str
        A format the Agg canvas can write.

    Raises
    ------
    ValueError
        If the name has no suffix or the suffix is not a supported image format.
    """
    suffix = Path(path).suffix
    if not suffix:
        raise ValueError(f"'{path}' has no file suffix; name an image such as 'pk.png'")
    return _check_formats(suffix)[0]


def _shade_infusions(
    ax: Axes, infusions: Sequence[tuple[float, float]], legend: bool = True
) -> None:
    """Shade infusions (start, end in h) on ``ax``; a bolus is a vertical line."""
    labelled: set[str] = set()
    for start, end in infusions:
        kind = "infusion" if end > start else "bolus"
        label = kind if legend and kind not in labelled else None
        labelled.add(kind)
        if kind == "infusion":
            ax.axvspan(start, end, color=_INFUSION_COLOUR, alpha=0.2, linewidth=0, label=label)
        else:
            ax.axvline(start, color=_INFUSION_COLOUR, alpha=0.8, linewidth=1.0, label=label)


def _mark_segments(ax: Axes, segments: Sequence[tuple[float, float]]) -> None:
    """Mark network segments (start, end in h): light spans and a tick at each start."""
    if not segments:
        return
    if len(segments) <= _MAX_SHADED_SEGMENTS:
        for start, end in segments:
            ax.axvspan(start, end, color=_SEGMENT_COLOUR, alpha=0.15, linewidth=0, zorder=0)
    else:
        ax.axvspan(segments[0][0], max(end for _, end in segments), color=_SEGMENT_COLOUR,
                   alpha=0.15, linewidth=0, zorder=0)
    ax.vlines([start for start, _ in segments], 0.0, 0.04, transform=ax.get_xaxis_transform(),
              color=_SEGMENT_COLOUR, linewidth=0.8, zorder=1)


def plot_pk(
    path: str | os.PathLike[str],
    times_min: np.ndarray,
    plasma_uM: np.ndarray,
    blocks: Mapping[str, np.ndarray | None],
    *,
    effect_uM: np.ndarray | None = None,
    driving: str = "plasma",
    driving_uM: np.ndarray | None = None,
    infusions_min: Sequence[tuple[float, float]] = (),
    segments_min: Sequence[tuple[float, float]] = (),
    title: str = "ketamine pharmacokinetics",
    molar_mass: float = 237.7,
    dpi: int = 120,
) -> Path:
    """Draw the concentration time course and NMDA block of an infusion protocol.

    Two panels share a clinical time axis in hours. Top: plasma and effect-site
    concentration in uM, with ng/mL on the right axis, infusions shaded (a bolus
    is a vertical line); the curve that drives the block is named in the legend.
    Bottom: NMDA receptor block per excitatory pathway (0..1). Network segments
    of the timeline, if given, are light grey spans with a tick at each start.
    The image is written atomically (temporary file, then renamed).

    Parameters
    ----------
    path : str or PathLike
        Image file; its suffix selects the format (``.png``, ``.pdf``, ``.svg``, ...).
        Parent directories are created.
    times_min : np.ndarray
        Clinical sample times (min), increasing.
    plasma_uM : np.ndarray
        Total plasma concentration of ketamine base (uM) at ``times_min``.
    blocks : mapping of str to np.ndarray or None
        Fraction of NMDA receptors blocked per pathway (``"exc_to_pv"``, ...) at
        ``times_min``; None for a pathway that is not blocked.
    effect_uM : np.ndarray or None, optional
        Effect-site concentration (uM), None without an effect site.
    driving : {"free_effect_site", "effect_site", "free_plasma", "plasma"}, optional
        Which concentration drives the block (marked in the legend).
    driving_uM : np.ndarray or None, optional
        The driving concentration; drawn as its own curve when it is a free one.
    infusions_min : sequence of (float, float), optional
        (start, end) of every dose in clinical minutes; end == start is a bolus.
    segments_min : sequence of (float, float), optional
        (start, end) of every network segment in clinical minutes.
    title : str, optional
        Title of the figure.
    molar_mass : float, optional
        g/mol used for the ng/mL axis (ketamine base, 237.7).
    dpi : int, optional
        Resolution of raster images.

    Returns
    -------
    Path
        The written image.

    Raises
    ------
    ValueError
        If the suffix of ``path`` is not a supported image format, ``path`` is a
        directory, ``dpi`` <= 0, ``driving`` is unknown or an array's length
        differs from ``times_min``.
    """
    fmt = image_format(path)
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"'{target}' is a directory; name an image file such as 'pk.png'")
    if dpi <= 0:
        raise ValueError(f"dpi must be > 0, got {dpi}")
    if driving not in _CONCENTRATION_LABELS:
        raise ValueError(f"driving = {driving!r}: expected one of {list(_CONCENTRATION_LABELS)}")
    hours = np.asarray(times_min, dtype=float) / 60.0
    curves = {"plasma_uM": plasma_uM, "effect_uM": effect_uM, "driving_uM": driving_uM}
    curves.update({f"blocks[{k!r}]": v for k, v in blocks.items()})
    for name, values in curves.items():
        if values is not None and np.shape(values) != hours.shape:
            raise ValueError(f"{name} has shape {np.shape(values)}, expected {hours.shape}")

    fig = Figure(figsize=_TALL, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    doses_h = [(a / 60.0, b / 60.0) for a, b in infusions_min]
    segments_h = [(a / 60.0, b / 60.0) for a, b in segments_min]
    for ax in (top, bottom):
        _mark_segments(ax, segments_h)
    _shade_infusions(top, doses_h)
    _shade_infusions(bottom, doses_h, legend=False)

    def label(site: str) -> str:
        text = _CONCENTRATION_LABELS[site]
        return f"{text} (drives block)" if site == driving else text

    top.plot(hours, plasma_uM, color="black", linewidth=1.2, label=label("plasma"))
    if effect_uM is not None:
        top.plot(hours, effect_uM, color="tab:purple", linestyle="--", linewidth=1.2,
                 label=label("effect_site"))
    if driving.startswith("free_") and driving_uM is not None:
        top.plot(hours, driving_uM, color="0.4", linestyle=":", linewidth=1.2,
                 label=label(driving))
    peak = max(float(np.nanmax(c)) if np.size(c) else 0.0
               for c in (plasma_uM, effect_uM, driving_uM) if c is not None)
    top.set_ylim(0.0, 1.3 * peak if peak > 0 else 1.0)  # headroom for the legend
    top.set_ylabel("ketamine (uM)")
    top.secondary_yaxis(
        "right", functions=(lambda uM: uM * molar_mass, lambda ng: ng / molar_mass)
    ).set_ylabel("ketamine (ng/mL)")
    handles, labels = top.get_legend_handles_labels()
    if segments_h:
        handles.append(Patch(color=_SEGMENT_COLOUR, alpha=0.3))
        labels.append("network segments")
    top.legend(handles, labels, loc="upper right", ncols=3, fontsize="small")
    top.set_title(title)

    for i, (pathway, values) in enumerate(blocks.items()):
        target_pop = pathway.rsplit("_to_", 1)[-1]
        colour = _colour(target_pop, i)
        if values is None:
            bottom.plot(hours, np.zeros_like(hours), color=colour, linestyle=":",
                        linewidth=1.0, label=f"{_pathway_label(pathway)} (not blocked)")
        else:
            bottom.plot(hours, values, color=colour, linewidth=1.2,
                        label=_pathway_label(pathway))
    bottom.set_ylim(*_BLOCK_YLIM)
    bottom.set_ylabel("NMDA block (fraction)")
    bottom.set_xlabel("clinical time (h)")
    if hours.size:
        bottom.set_xlim(hours[0], hours[-1])
    bottom.legend(title="pathway", loc="best", fontsize="small")

    with atomic_file(target) as tmp:
        FigureCanvasAgg(fig).print_figure(tmp, format=fmt, dpi=dpi)
    return target

"""The ``plasticity`` command line.

User errors (bad config, bad override, missing or foreign result file) are
reported as one line per problem on stderr with exit code 2 and no
traceback; anything else is a bug and keeps its traceback (exit code 1).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from plasticity.config import Config, ProtocolConfig
    from plasticity.pharmacology.pk import Infusion

__all__ = ["main"]

EXIT_USER_ERROR = 2

_EPILOG = """\
examples:
  plasticity run configs/quickstart.yaml -o results/quickstart.h5
  plasticity run configs/quickstart.yaml --set network.n_exc=400 \\
      --set pharmacology.ketamine_uM=1.0 -o results/ket.h5
  plasticity validate configs/quickstart.yaml --show
  plasticity plot results/quickstart.h5 -o results/quickstart_plots
  plasticity summary results/quickstart.h5
  plasticity pk configs/quickstart.yaml --set 'pharmacology.protocol={}' \\
      -o results/pk.png --csv results/pk.csv
  plasticity sweep configs/dose_response.yaml -o results/dose_response --workers 2
  plasticity status results/dose_response
"""

_SET_HELP = (
    "override a config value by its dotted key, e.g. --set network.n_exc=400 or "
    "--set 'synapses.exc_to_pv.g_nmda=0.2 nS' (repeatable; values are read as YAML)"
)


def _parser() -> argparse.ArgumentParser:
    from plasticity import __version__

    parser = argparse.ArgumentParser(
        prog="plasticity",
        description=(
            "Simulate spiking E/I cortical networks with NMDA receptor block by ketamine "
            "(Brian2), writing one self-describing HDF5 file per run."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"plasticity {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run",
        help="simulate a config and write one HDF5 result file",
        description=(
            "Validate CONFIG, simulate it and write the result file atomically (spikes in "
            "SONATA layout, time series, summary statistics, provenance). In cpp_standalone "
            "mode the compiled program is cached per network structure, so later runs "
            "with other parameter values or seeds do not recompile. A timeline with several "
            "segments (compressed or windows) runs them all on one build, checkpoints each "
            "finished segment in OUTPUT.parts/ and, when the same command is run again "
            "after a crash or kill, runs only the missing segments."
        ),
    )
    run.add_argument("config", type=Path, help="experiment config (YAML)")
    run.add_argument(
        "-o", "--output", type=Path, default=None,
        help="result file to write (default: results/<name>.h5)",
    )
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE", help=_SET_HELP)
    run.add_argument("-q", "--quiet", action="store_true",
                     help="no progress bar and no summary on the terminal")

    validate = sub.add_parser(
        "validate",
        help="check a config without running it",
        description="Validate CONFIG (and overrides); exit 0 if valid, 2 with one line "
        "per problem otherwise.",
    )
    validate.add_argument("config", type=Path, help="experiment config (YAML)")
    validate.add_argument("--set", dest="overrides", action="append", default=[],
                          metavar="KEY=VALUE", help=_SET_HELP)
    validate.add_argument("--show", action="store_true",
                          help="print the fully resolved config (every default written out)")
    validate.add_argument("-q", "--quiet", action="store_true", help="print nothing if valid")

    plot = sub.add_parser(
        "plot",
        help="draw figures of a result file",
        description="Write PNG figures of RESULT: spike raster, population rates, NMDA "
        "block with the drug concentration, membrane potentials and LFP proxy, and "
        "connectivity over time when recorded.",
    )
    plot.add_argument("result", type=Path, help="result file (.h5) written by 'run'")
    plot.add_argument("-o", "--output", type=Path, default=None,
                      help="output directory (default: <result without .h5>_plots)")
    plot.add_argument("-q", "--quiet", action="store_true", help="do not list the files")

    summary = sub.add_parser(
        "summary",
        help="print the summary statistics and provenance of a result file",
        description="Print the /summary scalars (rates, CV, gamma power, NMDA block, "
        "synapse counts) and the provenance of RESULT.",
    )
    summary.add_argument("result", type=Path, help="result file (.h5) written by 'run'")

    pk = sub.add_parser(
        "pk",
        help="show the drug concentration and NMDA block of an infusion protocol",
        description=(
            "Solve the pharmacokinetics of CONFIG's pharmacology.protocol exactly (no "
            "network is simulated) and print the PK parameter set, the doses, the peak "
            "plasma and effect-site concentrations, the terminal half-life and the peak "
            "NMDA receptor block of each excitatory pathway (exc_to_exc, exc_to_pv, "
            "exc_to_sst) under the config's hypothesis. The block is the Hill curve "
            "C^n / (C^n + IC50^n) of the concentration named by protocol.concentration_at, "
            "i.e. the equilibrium block at each pathway's reference voltage v_ref. The "
            "time span runs from 10 min before the first dose or clinical time 0, whichever "
            "is earlier, to 6 terminal half-lives after the end of the last dose, extended "
            "to cover the timeline in compressed or windows mode; it is sampled every --dt "
            "plus at every infusion start and end."
        ),
        epilog=(
            "A config without a protocol can be given the default one (0.5 mg/kg "
            "ketamine hydrochloride over 40 min, 70 kg, Domino model) with "
            "--set 'pharmacology.protocol={}'."
        ),
    )
    pk.add_argument("config", type=Path, help="experiment config (YAML) with "
                    "pharmacology.protocol")
    pk.add_argument("--set", dest="overrides", action="append", default=[],
                    metavar="KEY=VALUE", help=_SET_HELP)
    pk.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                    help="write a figure: concentrations (top) and NMDA block (bottom) over "
                    "clinical time in hours, doses shaded, network segments of a compressed "
                    "or windows timeline marked; the suffix picks the format (.png, .pdf, "
                    ".svg)")
    pk.add_argument("--csv", type=Path, default=None, metavar="FILE",
                    help="write the time course as CSV: time_min, time_h, plasma_ng_per_ml, "
                    "plasma_uM, effect_ng_per_ml, effect_uM (empty without an effect site), "
                    "driving_uM, block_exc_to_exc, block_exc_to_pv, block_exc_to_sst "
                    "(0 where a pathway is not blocked)")
    pk.add_argument("--dt", default="1 min", metavar="TIME",
                    help="sampling interval of the time course, e.g. '10 s' or '5 min' (default: "
                    f"'1 min'; at most {_PK_MAX_SAMPLES} samples)")
    pk.add_argument("-q", "--quiet", action="store_true",
                    help="print nothing (only write the files asked for)")
    from plasticity.cli.sweep import add_parsers

    add_parsers(sub, _SET_HELP)
    return parser


def _cmd_run(args: argparse.Namespace) -> int:
    from plasticity.config import load_config
    from plasticity.simulation.experiment import run
    from plasticity.storage import open_result

    config = load_config(args.config, args.overrides)
    if config.sweep is not None:
        if not args.quiet:
            print(f"note: {args.config} has a sweep section; 'run' simulates the base config "
                  "only (use 'plasticity sweep' for the sweep)", file=sys.stderr)
        config = config.model_copy(update={"sweep": None})
    path = run(config, args.output, progress=not args.quiet)
    if not args.quiet:
        result = open_result(path)
        rates = ", ".join(
            f"{pop} {result.summary[f'{pop}_rate_hz']:.2f} Hz"
            for pop in result.populations
            if f"{pop}_rate_hz" in result.summary
        )
        print(f"wrote {path}")
        prov = result.provenance
        if prov.get("n_segments", 1) > 1:
            resumed = prov.get("resumed_segments", 0)
            print(f"{prov['n_segments']} segments ({prov['timeline_mode']}), clinical time "
                  f"{prov['clinical_start_h']:g} h to {prov['clinical_end_h']:g} h"
                  + (f"; {resumed} resumed from checkpoints" if resumed else ""))
            rates += " (mean over segments)"
        print(f"mean rates: {rates}")
        print(f"wall time {prov['wall_time_s']:.1f} s "
              f"(build {prov['build_s']:.1f} s, run {prov['run_s']:.1f} s)")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from plasticity.config import dump_config, load_config

    config = load_config(args.config, args.overrides)
    sweep_text = ""
    if config.sweep is not None:  # every point of the sweep must be valid too
        from plasticity.sweep.design import plan_from_file

        plan = plan_from_file(args.config, args.overrides)
        sweep_text = f" (sweep: {len(plan.points)} points, {len(plan.builds)} build(s))"
    if args.show:
        print(dump_config(config), end="")
    elif not args.quiet:
        print(f"{args.config}: valid{sweep_text}")
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from plasticity.plots import plot_result

    out = args.output or args.result.with_name(args.result.stem + "_plots")
    for path in plot_result(args.result, out):
        if not args.quiet:
            print(path)
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    from plasticity.storage import open_result

    result = open_result(args.result)
    units = result.summary_units
    print(f"{args.result}  (schema {result.schema_version})")
    for key, value in sorted(result.summary.items()):
        unit = units.get(key, "1")
        print(f"  {key:32s} {value:12.6g} {'' if unit == '1' else unit}")
    print("provenance:")
    for key, value in result.provenance.items():
        print(f"  {key:32s} {value}")
    return 0


# --------------------------------------------------------------------------- #
# plasticity pk
# --------------------------------------------------------------------------- #
_PK_MAX_SAMPLES = 200_000
_PK_BEFORE_MIN = 10.0
_PK_WASHOUT_HALF_LIVES = 6.0
_PK_NO_ELIMINATION_MIN = 24 * 60.0
_PK_CSV_COLUMNS = (
    "time_min", "time_h", "plasma_ng_per_ml", "plasma_uM", "effect_ng_per_ml", "effect_uM",
    "driving_uM", "block_exc_to_exc", "block_exc_to_pv", "block_exc_to_sst",
)


def _clinical_minutes(t_min: float) -> str:
    """A clinical time in minutes as text: minutes up to 2 h, hours beyond."""
    if abs(t_min) < 120.0:
        return f"{t_min:.4g} min"
    return f"{t_min / 60.0:.4g} h"


def _pk_dt_min(text: str) -> float:
    """The ``--dt`` option in minutes; a user error unless it is a positive time."""
    from plasticity.errors import UserInputError
    from plasticity.units import UnitParseError, parse_quantity

    try:
        dt_s = float(parse_quantity(text, "time"))
    except UnitParseError as err:
        raise UserInputError(f"--dt {text!r}: {err}") from None
    if not dt_s > 0:
        raise UserInputError(f"--dt {text!r}: expected a positive time such as '1 min'")
    return dt_s / 60.0


def _pk_span_min(
    config: Config, doses: Sequence[Infusion], half_life_min: float
) -> tuple[float, float]:
    """Clinical span (min) of the time course: the doses with washout, and the timeline."""
    first = min(d.start_min for d in doses)
    last_end = max(d.end_min for d in doses)
    washout = (_PK_WASHOUT_HALF_LIVES * half_life_min if math.isfinite(half_life_min)
               else _PK_NO_ELIMINATION_MIN)
    lo, hi = min(0.0, first) - _PK_BEFORE_MIN, last_end + washout
    tl = config.timeline
    if tl.mode == "compressed":
        lo, hi = min(lo, float(tl.start) / 60.0), max(hi, float(tl.end) / 60.0)
    elif tl.mode == "windows":
        last = float(tl.windows[-1]) + float(config.simulation.duration)
        lo, hi = min(lo, float(tl.windows[0]) / 60.0), max(hi, last / 60.0)
    return lo, hi


def _pk_times_min(
    lo: float, hi: float, dt: float, doses: Sequence[Infusion], dt_text: str
) -> np.ndarray:
    """Samples every ``dt`` from ``lo`` to ``hi`` plus every dose start and end, sorted."""
    import numpy as np

    from plasticity.errors import UserInputError

    n = math.floor((hi - lo) / dt + 1e-9) + 1
    if n > _PK_MAX_SAMPLES:
        coarser = (hi - lo) / (_PK_MAX_SAMPLES - 1)
        raise UserInputError(
            f"--dt {dt_text!r} gives {n} samples over {_clinical_minutes(hi - lo)}; at most "
            f"{_PK_MAX_SAMPLES}: use --dt '{math.ceil(coarser)} min' or more"
        )
    events = [t for d in doses for t in (d.start_min, d.end_min)]
    return np.unique(np.concatenate([lo + dt * np.arange(n), [hi], events]))


def _pk_segments_min(config: Config) -> list[tuple[float, float]]:
    """(start, end) in clinical minutes of every network segment, if not real time."""
    if config.timeline.mode == "real_time":
        return []
    from plasticity.simulation.timeline import segments

    return [
        (seg.clinical_start_s / 60.0, (seg.clinical_start_s + seg.clinical_span_s) / 60.0)
        for seg in segments(config)
    ]


def _pk_doses_text(protocol: ProtocolConfig, doses: Sequence[Infusion]) -> str:
    """Number of doses and total dose, per salt form and as mg of base."""
    weight = float(protocol.weight)
    per_salt: dict[str, float] = {}
    for d in doses:
        per_salt[d.salt] = per_salt.get(d.salt, 0.0) + d.dose_mg_per_kg
    total = " + ".join(f"{mg:.4g} mg/kg {salt}" for salt, mg in per_salt.items())
    base_mg = sum(d.base_mg(weight) for d in doses)
    kinds = {"infusion" if d.duration_min > 0 else "bolus" for d in doses}
    what = " and ".join(sorted(kinds))
    return f"{len(doses)} ({what}), total {total} = {base_mg:.4g} mg ketamine base"


def _write_csv_atomic(
    path: Path, header: Sequence[str], columns: Sequence[Sequence[float | None]]
) -> None:
    """Write equal-length columns as CSV through a temporary file, then rename."""
    import csv

    from plasticity.storage import atomic_file

    with atomic_file(path) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in zip(*columns, strict=True):
            writer.writerow(["" if v is None else repr(float(v)) for v in row])


def _pk_check_outputs(args: argparse.Namespace) -> None:
    """Refuse unusable output paths before any work is done."""
    from plasticity.errors import UserInputError
    from plasticity.plots import image_format

    if args.output is not None:
        try:
            image_format(args.output)
        except ValueError as err:
            raise UserInputError(f"-o {args.output}: {err}") from None
    for option, path in (("-o", args.output), ("--csv", args.csv)):
        if path is not None and path.is_dir():
            raise UserInputError(f"{option} {path}: is a directory; name a file")
    if args.output is not None and args.csv is not None and (
        args.output.resolve() == args.csv.resolve()
    ):
        raise UserInputError(f"-o and --csv both name {args.output}")


def _cmd_pk(args: argparse.Namespace) -> int:
    """Print, draw and tabulate the PK time course and NMDA block of the config's protocol."""
    import brian2
    import numpy as np

    from plasticity.config import EXCITATORY_PATHWAYS, load_config
    from plasticity.errors import UserInputError
    from plasticity.pharmacology.block import ketamine_block
    from plasticity.pharmacology.exposure import (
        driving_concentration_uM,
        infusions,
        pk_parameters,
        protocol_pk,
    )
    from plasticity.pharmacology.pk import pk_summary, terminal_half_life_min

    dt = _pk_dt_min(args.dt)
    _pk_check_outputs(args)
    config = load_config(args.config, args.overrides)
    protocol = config.pharmacology.protocol
    if protocol is None:
        raise UserInputError(
            f"{args.config}: pk needs pharmacology.protocol, which is not set; add a "
            "'protocol:' section under 'pharmacology:' or use --set "
            "'pharmacology.protocol={}' for the default (0.5 mg/kg hydrochloride over "
            "40 min, 70 kg, Domino model)"
        )
    params = pk_parameters(protocol)
    doses = infusions(protocol)
    half_life = terminal_half_life_min(params)
    lo, hi = _pk_span_min(config, doses, half_life)
    times = _pk_times_min(lo, hi, dt, doses, args.dt)

    result = protocol_pk(protocol, times * 60.0)
    driving = driving_concentration_uM(protocol, times * 60.0)
    summary = pk_summary(result)
    receptors = config.pharmacology.resolved_receptors()
    blocks: dict[str, np.ndarray | None] = {}
    peak_blocks: dict[str, str] = {}
    site = protocol.concentration_at
    peak_key = "effect" if site == "effect_site" else "plasma"
    peak_uM = float(summary[f"{peak_key}_peak_uM"])
    peak_time = float(summary[f"{peak_key}_peak_time_min"])
    if site == "free_plasma":
        peak_uM *= protocol.free_fraction
    for name in EXCITATORY_PATHWAYS:
        r = receptors[name]
        ic50 = float(r.ic50 / brian2.umolar)
        detail = f"(IC50 {ic50:.4g} uM, Hill {r.hill:g})"
        if r.blocked:
            blocks[name] = ketamine_block(driving, ic50, r.hill)
            peak_blocks[name] = f"{float(ketamine_block(peak_uM, ic50, r.hill)):6.1%}  {detail}"
        else:
            blocks[name] = None
            peak_blocks[name] = f"not blocked  {detail}"

    if args.csv is not None:
        n = times.size
        empty = [None] * n
        effect_ng, effect_uM = result.effect_ng_per_ml, result.effect_uM
        columns = [
            times, times / 60.0, result.plasma_ng_per_ml, result.plasma_uM,
            empty if effect_ng is None else effect_ng,
            empty if effect_uM is None else effect_uM,
            driving,
            *(np.zeros(n) if blocks[k] is None else blocks[k] for k in EXCITATORY_PATHWAYS),
        ]
        _write_csv_atomic(args.csv, _PK_CSV_COLUMNS, columns)
    if args.output is not None:
        from plasticity.plots import plot_pk

        plot_pk(
            args.output, times, result.plasma_uM, blocks,
            effect_uM=result.effect_uM, driving=site, driving_uM=driving,
            infusions_min=[(d.start_min, d.end_min) for d in doses],
            segments_min=_pk_segments_min(config),
            title=f"{config.name}: ketamine, {params.name} PK, "
            f"{float(protocol.weight):g} kg, {config.pharmacology.hypothesis}",
        )
    if args.quiet:
        return 0

    def peak(key: str) -> str:
        ng, uM, t = (summary[f"{key}_peak_{u}"] for u in ("ng_per_ml", "uM", "time_min"))
        return f"{ng:.4g} ng/mL = {uM:.4g} uM at {_clinical_minutes(t)}"

    rows = [
        ("PK model", f"{params.name}: {params.source}"),
        ("weight", f"{float(protocol.weight):g} kg"),
        ("doses", _pk_doses_text(protocol, doses)),
        ("plasma peak", peak("plasma")),
    ]
    if summary["effect_peak_uM"] is not None:
        rows.append(("effect-site peak", peak("effect")))
    rows.append(("terminal half-life", f"{half_life:.4g} min" if math.isfinite(half_life)
                 else "infinite (no elimination)"))
    drives = {"effect_site": "effect-site concentration", "plasma": "plasma concentration",
              "free_plasma": f"free plasma concentration ({protocol.free_fraction:g} x plasma)"}
    rows.append(("block driven by", f"{drives[site]} (concentration_at: {site}), "
                 f"peak {peak_uM:.4g} uM at {_clinical_minutes(peak_time)}"))
    print(f"{args.config} ({config.name}): clinical time {_clinical_minutes(lo)} to "
          f"{_clinical_minutes(hi)}, every {args.dt} ({times.size} samples)")
    for key, value in rows:
        print(f"  {key:20s} {value}")
    print(f"peak NMDA block ({config.pharmacology.hypothesis}; Hill curve at v_ref):")
    for name in EXCITATORY_PATHWAYS:
        print(f"  {name:20s} {peak_blocks[name]}")
    for path in (args.output, args.csv):
        if path is not None:
            print(f"wrote {path}")
    return 0


def _commands() -> dict:
    from plasticity.cli.sweep import COMMANDS

    return {"run": _cmd_run, "validate": _cmd_validate, "plot": _cmd_plot,
            "summary": _cmd_summary, "pk": _cmd_pk, **COMMANDS}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``plasticity`` command."""
    args = _parser().parse_args(argv)
    from plasticity.errors import UserInputError
    from plasticity.storage import ResultFileError

    # Brian2 replaces sys.excepthook with one that blames Brian2 for every
    # error; our own errors are reported below.
    sys.excepthook = sys.__excepthook__
    try:
        return _commands()[args.command](args)
    except (UserInputError, ResultFileError) as err:
        for line in str(err).splitlines():
            print(f"plasticity {args.command}: error: {line}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"plasticity {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

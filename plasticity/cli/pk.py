"""The ``plasticity pk`` command: parse, call the PK report, print the table.

The computation lives in :func:`plasticity.pharmacology.report.pk_report`; this module only
parses the options, prints the summary table and writes the CSV and figure.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plasticity.errors import UserInputError
from plasticity.pharmacology.report import MAX_SAMPLES

if TYPE_CHECKING:
    from plasticity.pharmacology.report import PKReport

__all__ = ["COMMANDS", "add_parsers"]


def add_parsers(sub: Any, set_help: str) -> None:
    """Add the ``pk`` command to the main parser's subparsers."""
    pk = sub.add_parser(
        "pk",
        help="show the drug concentration and NMDA block of an infusion protocol",
        description=(
            "Solve the pharmacokinetics of CONFIG's pharmacology.protocol exactly (no "
            "network is simulated) and print the PK parameter set, the doses, the peak "
            "plasma and effect-site concentrations, the terminal half-life and the peak "
            "NMDA receptor block of each excitatory pathway (exc_to_exc, exc_to_pv, "
            "exc_to_sst) under the config's hypothesis. The block is the equilibrium "
            "competitive block C^n / (C^n + IC50^n) of the concentration named by "
            "protocol.concentration_at, with IC50 the ketamine IC50 in the config's Mg2+ at "
            "each pathway's reference voltage v_ref. The "
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
                    metavar="KEY=VALUE", help=set_help)
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
                    f"'1 min'; at most {MAX_SAMPLES} samples)")
    pk.add_argument("-q", "--quiet", action="store_true",
                    help="print nothing (only write the files asked for)")


def _clinical_minutes(t_min: float) -> str:
    """A clinical time in minutes as text: minutes up to 2 h, hours beyond."""
    from plasticity.config import format_clinical_time

    return format_clinical_time(t_min * 60.0, digits=4)


def _dt_min(text: str) -> float:
    """The ``--dt`` option in minutes; a user error unless it is a positive time."""
    from plasticity.units import UnitParseError, parse_quantity

    try:
        dt_s = float(parse_quantity(text, "time"))
    except UnitParseError as err:
        raise UserInputError(f"--dt {text!r}: {err}") from None
    if not dt_s > 0:
        raise UserInputError(f"--dt {text!r}: expected a positive time such as '1 min'")
    return dt_s / 60.0


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse unusable output paths before any work is done."""
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


def _write_csv_atomic(
    path: Path, header: Sequence[str], rows: Any
) -> None:
    """Write rows as CSV through a temporary file, then rename."""
    import csv

    from plasticity.storage import atomic_file

    with atomic_file(path) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else repr(float(v)) for v in row])


def _doses_text(report: PKReport) -> str:
    """Number of doses and total dose, per salt form and as mg of base."""
    weight = float(report.protocol.weight)
    per_salt: dict[str, float] = {}
    for d in report.doses:
        per_salt[d.salt] = per_salt.get(d.salt, 0.0) + d.dose_mg_per_kg
    total = " + ".join(f"{mg:.4g} mg/kg {salt}" for salt, mg in per_salt.items())
    base_mg = sum(d.base_mg(weight) for d in report.doses)
    kinds = {"infusion" if d.duration_min > 0 else "bolus" for d in report.doses}
    what = " and ".join(sorted(kinds))
    return f"{len(report.doses)} ({what}), total {total} = {base_mg:.4g} mg ketamine base"


def _print_report(report: PKReport, args: argparse.Namespace) -> None:
    """Print the summary table of ``report``."""
    config, protocol, summary = report.config, report.protocol, report.summary

    def peak(key: str) -> str:
        ng, uM, t = (summary[f"{key}_peak_{u}"] for u in ("ng_per_ml", "uM", "time_min"))
        return f"{ng:.4g} ng/mL = {uM:.4g} uM at {_clinical_minutes(t)}"

    half_life = report.half_life_min
    rows = [
        ("PK model", f"{report.params.name}: {report.params.source}"),
        ("weight", f"{float(protocol.weight):g} kg"),
        ("doses", _doses_text(report)),
        ("plasma peak", peak("plasma")),
    ]
    if summary["effect_peak_uM"] is not None:
        rows.append(("effect-site peak", peak("effect")))
    rows.append(("terminal half-life", f"{half_life:.4g} min" if math.isfinite(half_life)
                 else "infinite (no elimination)"))
    rows.append(("block driven by", f"{report.concentration_drive}, "
                 f"peak {report.driving_peak_uM:.4g} uM at "
                 f"{_clinical_minutes(report.driving_peak_time_min)}"))
    if report.hnk_uM is not None:
        k = int(report.hnk_uM.argmax())
        text = (f"{report.hnk_uM[k]:.4g} uM at {_clinical_minutes(report.times_min[k])} "
                "(free (2R,6R) isomer)")
        if config.pharmacology.hnk_acts:
            factor = config.pharmacology.hnk_action.factor(float(report.hnk_uM[k]))
            text += f"; AMPA weights x {factor:.4g} there"
        rows.append(("HNK peak", text))
    lo, hi = report.span_min
    print(f"{args.config} ({config.name}): clinical time {_clinical_minutes(lo)} to "
          f"{_clinical_minutes(hi)}, every {args.dt} ({report.times_min.size} samples)")
    for key, value in rows:
        print(f"  {key:20s} {value}")
    print(f"peak NMDA block ({config.pharmacology.hypothesis}; competitive block at v_ref):")
    for name, p in report.pathways.items():
        detail = f"(IC50 in Mg2+ {p.ic50_uM:.4g} uM, Hill {p.hill:g})"
        text = (f"{p.peak_block:6.1%}  {detail}" if p.peak_block is not None
                else f"not blocked  {detail}")
        print(f"  {name:20s} {text}")


def _cmd_pk(args: argparse.Namespace) -> int:
    """Print, draw and tabulate the PK time course and NMDA block of the config's protocol."""
    from plasticity.config import load_config
    from plasticity.pharmacology.report import CSV_COLUMNS, TooManySamplesError, pk_report

    dt = _dt_min(args.dt)
    _check_outputs(args)
    config = load_config(args.config, args.overrides)
    if config.pharmacology.protocol is None:
        raise UserInputError(
            f"{args.config}: pk needs pharmacology.protocol, which is not set; add a "
            "'protocol:' section under 'pharmacology:' or use --set "
            "'pharmacology.protocol={}' for the default (0.5 mg/kg hydrochloride over "
            "40 min, 70 kg, Domino model)"
        )
    try:
        report = pk_report(config, dt)
    except TooManySamplesError as err:
        raise UserInputError(
            f"--dt {args.dt!r} gives {err.n_samples} samples over "
            f"{_clinical_minutes(err.span_min)}; at most {err.max_samples}: use --dt "
            f"'{math.ceil(err.coarsest_dt_min)} min' or more"
        ) from None

    if args.csv is not None:
        _write_csv_atomic(args.csv, CSV_COLUMNS, report.csv_rows())
    if args.output is not None:
        from plasticity.plots import plot_pk

        protocol = report.protocol
        plot_pk(
            args.output, report.times_min, report.plasma_uM, report.blocks,
            effect_uM=report.effect_uM, driving=report.concentration_at,
            driving_uM=report.driving_uM,
            infusions_min=[(d.start_min, d.end_min) for d in report.doses],
            segments_min=report.segments_min,
            title=f"{config.name}: ketamine, {report.params.name} PK, "
            f"{float(protocol.weight):g} kg, {config.pharmacology.hypothesis}",
        )
    if args.quiet:
        return 0
    _print_report(report, args)
    for path in (args.output, args.csv):
        if path is not None:
            print(f"wrote {path}")
    return 0


COMMANDS = {"pk": _cmd_pk}

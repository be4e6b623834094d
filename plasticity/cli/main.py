"""The ``plasticity`` command line.

User errors (bad config, bad override, missing or foreign result file) are
reported as one line per problem on stderr with exit code 2 and no
traceback; anything else is a bug and keeps its traceback (exit code 1).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

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

_VERBOSE_HELP = ("log what happens (build cache, compilation, checkpoints, sweep points) "
                 "to stderr; -vv for debug detail")

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
    parser.add_argument("-v", "--verbose", action="count", default=0, help=_VERBOSE_HELP)
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
    validate.add_argument("--equations", action="store_true",
                          help="print the Brian2 equations of every population and synapse "
                          "pathway, as the network is built (nothing is compiled)")

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

    from plasticity.cli.pk import add_parsers as add_pk_parsers

    add_pk_parsers(sub, _SET_HELP)
    from plasticity.cli.sweep import add_parsers

    add_parsers(sub, _SET_HELP)
    for subparser in sub.choices.values():  # -v also after the subcommand
        subparser.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                               help=_VERBOSE_HELP)
    return parser


def _setup_logging(verbosity: int) -> None:
    """Log to stderr: INFO with ``-v``, this package's DEBUG too with ``-vv``.

    ``-vvv`` shows every library's DEBUG records. Nothing is set up without
    ``-v``, so the package stays quiet (Python's default).
    """
    if verbosity <= 0:
        return
    import logging

    logging.basicConfig(level=logging.DEBUG if verbosity >= 3 else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if verbosity >= 2:
        logging.getLogger("plasticity").setLevel(logging.DEBUG)


def _cmd_run(args: argparse.Namespace) -> int:
    from plasticity.config import load_config
    from plasticity.simulation.treatment import run
    from plasticity.storage import open_result

    config = load_config(args.config, args.overrides)
    if config.sweep is not None or config.cohort is not None:
        section = "sweep" if config.sweep is not None else "cohort"
        if not args.quiet:
            print(f"note: {args.config} has a {section} section; 'run' simulates the base "
                  f"config only (use 'plasticity sweep' for the {section})", file=sys.stderr)
        config = config.model_copy(update={"sweep": None, "cohort": None})
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
    if config.sweep is not None or config.cohort is not None:  # every point must be valid too
        from plasticity.sweep.design import plan_from_file

        plan = plan_from_file(args.config, args.overrides)
        sweep_text = f" (sweep: {len(plan.points)} points, {len(plan.builds)} build(s))"
        if plan.patients is not None:
            sweep_text = (f" (cohort of {len(plan.patients)} patients; sweep: "
                          f"{len(plan.points)} points, {len(plan.builds)} build(s))")
    if args.show:
        print(dump_config(config), end="")
    elif not args.quiet and not args.equations:
        print(f"{args.config}: valid{sweep_text}")
    if args.equations:
        from plasticity.model.network import describe_equations

        print(describe_equations(config), end="")
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


def _commands() -> dict:
    from plasticity.cli.pk import COMMANDS as PK_COMMANDS
    from plasticity.cli.sweep import COMMANDS

    return {"run": _cmd_run, "validate": _cmd_validate, "plot": _cmd_plot,
            "summary": _cmd_summary, **PK_COMMANDS, **COMMANDS}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``plasticity`` command."""
    args = _parser().parse_args(argv)
    _setup_logging(args.verbose)
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

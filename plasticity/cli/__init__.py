"""The command line: argument parsing and printing over the Python API (``plasticity --help``)."""

from plasticity.cli.main import main

__all__ = ["main"]

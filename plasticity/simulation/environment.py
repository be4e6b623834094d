"""Brian2's run environment, kept out of every other process.

To run a compiled program Brian2 (``run_environment_variables``) sets
``LD_BIND_NOW=1`` in ``os.environ`` and leaves it there. Every later
subprocess then inherits it, and Slurm's commands (sbatch, sinfo, and
dask-jobqueue's submissions) fail to load their plugins under immediate
binding. This module is the one place that knows about it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, MutableMapping

__all__ = ["BRIAN2_RUN_VARIABLES", "clean_environment", "environment_restored"]

#: Variables Brian2 sets to run its programs, which break other programs.
BRIAN2_RUN_VARIABLES = ("LD_BIND_NOW",)


def clean_environment(env: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """An environment for subprocesses: ``env`` (default ``os.environ``) minus Brian2's.

    Parameters
    ----------
    env : mapping, optional
        The environment to clean; with ``os.environ`` itself, it is cleaned in place.

    Returns
    -------
    dict
        A copy without :data:`BRIAN2_RUN_VARIABLES`.
    """
    target = os.environ if env is None else env
    for name in BRIAN2_RUN_VARIABLES:
        target.pop(name, None)
    return dict(target)


@contextlib.contextmanager
def environment_restored() -> Iterator[None]:
    """Undo whatever a block (a Brian2 program run) changes in ``os.environ``."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)

"""Faster Brian2 code generation, with the generated code unchanged.

Brian2 finds the identifiers of every code block with
``brian2.codegen.translation.analyse_identifiers``, which parses the block
through ``make_statements``. That function is memoised (``brian2.utils.
caching.cached``), and the memo key is a hashable copy of all its arguments,
among them the dictionary of every variable the code object can see: each
variable's attributes, recursively. For this project's networks (many
parameters and references per group, summed-variable probes) building that
key cost far more than the parse it saves: of about 9 s spent generating the
default network's program, 7 s went into the memo keys of these calls
(cProfile: 1.4 million calls of ``caching._hashable`` from 266 calls of
``analyse_identifiers``). With the memo skipped for this one caller the same
generation takes about 2 s.

Only the reference that ``analyse_identifiers`` looks up is replaced (the
module global of ``brian2.codegen.translation``); the code generators keep
the memoised function they imported, where the memo pays (it saves sympy's
optimisation). ``make_statements`` is a pure function of its arguments, so the
code is the same either way: ``tests/test_codegen_speed.py`` generates one
network both ways and compares the program's key (every generated file).
"""

from __future__ import annotations

import logging

__all__ = ["identifier_analysis_unmemoised"]

logger = logging.getLogger(__name__)


def identifier_analysis_unmemoised(enabled: bool = True) -> bool:
    """Let ``analyse_identifiers`` call ``make_statements`` without its memo.

    Parameters
    ----------
    enabled : bool
        True skips the memo for that caller (idempotent); False puts the
        memoised function back (Brian2's own behaviour).

    Returns
    -------
    bool
        Whether the memo is skipped after the call (False also where this
        Brian2 has no memoised ``make_statements``, which is then left alone).
    """
    from brian2.codegen import translation

    current = translation.make_statements
    memoised = getattr(current, "_plasticity_memoised", current)
    plain = getattr(memoised, "__wrapped__", None)
    if plain is None:
        return False
    if not enabled:
        translation.make_statements = memoised
        return False
    if current is memoised:

        def make_statements(*args, **kwargs):
            return plain(*args, **kwargs)

        make_statements._plasticity_memoised = memoised
        make_statements.__doc__ = plain.__doc__
        translation.make_statements = make_statements
        logger.debug("brian2 analyse_identifiers: make_statements memo skipped")
    return True

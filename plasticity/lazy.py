"""Lazy re-exports for package ``__init__`` modules (PEP 562).

A package lists the public names of its modules; each is imported on first
use. ``import plasticity`` and ``import plasticity.sweep`` therefore stay
cheap (no Brian2, no model), and reading results never pays for the
simulator.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, namespace: dict[str, Any], exports: dict[str, str],
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` that import ``exports`` on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    namespace : dict
        The package's ``globals()``; an imported name is cached there.
    exports : dict of str to str
        Public name -> absolute name of the module that defines it.

    Returns
    -------
    (callable, callable)
        ``__getattr__`` and ``__dir__`` for the package.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__

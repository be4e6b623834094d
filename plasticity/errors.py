"""Exceptions that the command line turns into one-line messages (exit code 2)."""

from __future__ import annotations

__all__ = ["ConfigError", "PlasticityError", "UserInputError"]


class PlasticityError(Exception):
    """Base class of the package's own errors."""


class UserInputError(PlasticityError):
    """Bad input from the user: reported as a message, never a traceback."""


class ConfigError(UserInputError):
    """A configuration file or override is invalid.

    Parameters
    ----------
    problems : list of str
        One line per problem, each naming the key path, the value found and
        what was expected.
    source : str, optional
        The file the configuration came from.
    """

    def __init__(self, problems: list[str], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__("\n".join(prefix + p for p in self.problems))

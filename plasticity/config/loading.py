"""Reading configs: YAML files, ``--set`` overrides by dotted key, validation, dumping.

Every problem is reported as one line naming the key path, the value found
and what was expected (:class:`plasticity.errors.ConfigError`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from plasticity.config.experiment import Config
from plasticity.errors import ConfigError

__all__ = ["apply_overrides", "dump_config", "format_errors", "load_config", "set_value"]


def _format_loc(loc: Iterable[Any]) -> str:
    return ".".join(str(x) for x in loc if not str(x).startswith("function-"))


def format_errors(err: ValidationError) -> list[str]:
    """One line per problem of a pydantic error: key path, the value found, the rule.

    Parameters
    ----------
    err : pydantic.ValidationError
        The error of validating a config (or a section of one).

    Returns
    -------
    list of str
        Lines such as ``"network.n_exx: unknown key (value 3); check the spelling"``.
    """
    lines = []
    for e in err.errors(include_url=False):
        loc = _format_loc(e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        value = e.get("input")
        if e["type"] == "extra_forbidden":
            lines.append(f"{loc}: unknown key (value {value!r}); check the spelling")
            continue
        if e["type"] == "missing":
            lines.append(f"{loc}: required key is missing")
            continue
        shown = "" if isinstance(value, dict) else f" (got {value!r})"
        where = f"{loc}: " if loc else ""
        lines.append(f"{where}{msg}{shown}")
    # one problem, one line: a key or message with a newline is escaped
    return [line.replace("\n", "\\n") for line in lines]


def _parse_override(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError([f"override {text!r}: expected KEY=VALUE with a dotted key"])
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def set_value(data: dict[str, Any], key: str, value: Any) -> None:
    """Set the dotted ``key`` of a raw config mapping in place.

    ``"network.n_exc"`` names a value in a section; a number names an item
    of a list, e.g. ``"stimulation.0.rate_factor"``.
    """
    path = key.split(".")
    if any(not part for part in path):
        raise ConfigError([f"{key!r}: expected a dotted key such as 'network.n_exc'"])
    node: Any = data
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError([f"{key}: {'.'.join(path[:i]) or 'the config'} is a list of "
                                   f"{len(node)} items; {part!r} is not an index of it"])
            if last:
                node[int(part)] = value
                return
            node = node[int(part)]
            continue
        if not isinstance(node, dict):
            raise ConfigError([f"{key}: {'.'.join(path[:i])} is a value, not a section"])
        if last:
            node[part] = value
            return
        if node.get(part) is None:
            node[part] = {}
        node = node[part]


def apply_overrides(data: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``KEY=VALUE`` overrides with dotted keys to a raw config mapping.

    Values are read as YAML scalars (``400`` is a number, ``"0.5 nS"`` a
    string); keys are set with :func:`set_value`, so list items are
    addressed by index (``stimulation.0.rate_factor=1.2``). Unknown keys
    are caught later by validation.

    Parameters
    ----------
    data : dict
        A raw config mapping; it is not modified.
    overrides : iterable of str
        ``KEY=VALUE`` strings.

    Returns
    -------
    dict
        A copy of ``data`` with the overrides applied.

    Raises
    ------
    ConfigError
        If an override is not ``KEY=VALUE`` or its key runs through a value.
    """
    data = copy.deepcopy(data)
    for text in overrides:
        key, value = _parse_override(text)
        try:
            set_value(data, key, value)
        except ConfigError as err:
            raise ConfigError([f"override {text!r}: {p.removeprefix(key + ': ')}"
                               for p in err.problems]) from None
    return data


def load_config(
    source: str | Path | Mapping[str, Any] | None = None,
    overrides: Iterable[str] = (),
) -> Config:
    """Read, override and validate an experiment config.

    Parameters
    ----------
    source : path or mapping, optional
        A YAML file, an already-parsed mapping, or None for all defaults.
    overrides : iterable of str
        ``KEY=VALUE`` strings with dotted keys, e.g. ``"network.n_exc=400"``.

    Returns
    -------
    Config
        The validated configuration.

    Raises
    ------
    ConfigError
        With one line per problem, naming key, value and expectation.
    """
    origin = None
    if source is None:
        data: Any = {}
    elif isinstance(source, Mapping):
        data = dict(source)
    else:
        origin = str(source)
        path = Path(source)
        if not path.is_file():
            raise ConfigError([f"no config file at '{path}'"])
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(err, "problem", None) or "invalid YAML"
            raise ConfigError([f"not valid YAML{where}: {problem}"], origin) from None
        except UnicodeDecodeError:
            raise ConfigError(["not a text file"], origin) from None
    if not isinstance(data, dict):
        raise ConfigError(
            [f"the top level must be a mapping of keys, got {type(data).__name__}"], origin
        )
    data = apply_overrides(data, overrides)
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_errors(err), origin) from None


def dump_config(config: Config) -> str:
    """The fully resolved config as YAML text (every default written out).

    Parameters
    ----------
    config : Config
        A validated config.

    Returns
    -------
    str
        YAML of ``config.model_dump(mode="json")``, keys in schema order
        (not sorted); quantities as strings with units (``duration: 1 s``).
    """
    data = config.model_dump(mode="json")
    return yaml.safe_dump(data, sort_keys=False)

"""Sweep designs: from the ``sweep`` section of a config to a table of points.

A sweep varies any config value by its dotted key (``pharmacology.ketamine_uM``,
``synapses.exc_to_pv.g_ampa``, ``seed``). The ``sweep`` section holds either one
design or a list of ``blocks`` whose points are concatenated::

    sweep:
      replicates: 3            # seeds per point: seed, seed + 1, seed + 2
      seed: 7                  # seed of the random designs (default: the config's)
      blocks:
        - grid:                # cartesian product
            pharmacology.ketamine_uM: [0, 1, 3, 10]
            network.n_exc: [400, 800]
        - zip:                 # varied together, equal lengths
            synapses.exc_to_pv.g_ampa: ["0.3 nS", "0.6 nS"]
            synapses.exc_to_pv.g_nmda: ["0.1 nS", "0.2 nS"]
        - points:              # explicit list
            - {pharmacology.ketamine_uM: 2, seed: 5}
        - random: {n: 20, parameters: {pharmacology.ketamine_uM: {low: 0, high: 10}}}
        - latin_hypercube: {n: 20, parameters: {...}}
        - morris: {trajectories: 10, levels: 4, parameters: {...}}
        - sobol: {n: 64, second_order: false, parameters: {...}}

Ranges are ``{low, high}`` with optional ``log: true`` (sampled uniformly in
the logarithm) and ``integer: true``; values with units keep them
(``{low: "0.1 nS", high: "1 nS"}``). Morris and Sobol designs come from SALib
(Herman & Usher 2017, JOSS 2:97) and are analysed by
:func:`plasticity.sweep.sensitivity`.

Expansion is deterministic: the same config gives the same points in the
same order, and every point's id is a hash of its parameter values and seed,
so it survives reordering and reruns. Duplicate points are kept once.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import (
    ValidationError,
)

from plasticity.config import (
    Config,
    ConfigError,
    apply_overrides,
    format_errors,
    load_config,
    set_value,
)
from plasticity.model.layout import build_key
from plasticity.sweep.grammar import DESIGNS, Range, SweepSpec

__all__ = ["Point", "SweepPlan", "expand", "parse_sweep", "plan_from_file", "plan_from_mapping",
           "point_config"]

@dataclass(frozen=True)
class Point:
    """One simulation of a sweep."""

    id: str
    index: int
    params: dict[str, Any]
    seed: int
    replicate: int
    block: int
    row: int  # row of the block's design (replicates share it)
    build: str  # points with the same build share one compiled program


@dataclass
class SweepPlan:
    """A sweep expanded: base config, points and the designs behind them."""

    base: dict[str, Any]
    spec: SweepSpec
    points: list[Point]
    blocks: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0

    @property
    def parameters(self) -> list[str]:
        """Swept keys, in order of first appearance."""
        seen: dict[str, None] = {}
        for p in self.points:
            for key in p.params:
                if key != "seed":
                    seen.setdefault(key, None)
        return list(seen)

    @property
    def builds(self) -> list[str]:
        """Distinct compiled programs the points need."""
        return sorted({p.build for p in self.points})

    initial_state: dict[str, str] | None = None
    #: the ``cohort`` section as given, and every patient's draws (severity included)
    cohort: dict[str, Any] | None = None
    patients: list[dict[str, Any]] | None = None

    def to_json(self) -> dict[str, Any]:
        """The manifest form (plain JSON): base config, replicates, points, designs."""
        out = {"base": self.base, "replicates": self.spec.replicates,
               "points": [asdict(p) for p in self.points], "blocks": self.blocks,
               "duplicates": self.duplicates, "parameters": self.parameters}
        if self.initial_state is not None:
            out["initial_state"] = self.initial_state
        if self.cohort is not None:
            out["cohort"] = self.cohort
            out["patients"] = self.patients
        return out


def parse_sweep(raw: Any, source: str | None = None) -> SweepSpec:
    """Validate the ``sweep`` section; errors name the key and the rule."""
    if not isinstance(raw, dict):
        raise ConfigError([f"sweep: expected a mapping, got {type(raw).__name__}"], source)
    try:
        return SweepSpec.model_validate(raw)
    except ValidationError as err:
        # a block's location repeats its design (the tag, then the field): say it once
        tags = "|".join(DESIGNS)
        lines = [re.sub(rf"\b({tags})\.\1\b", r"\1", line) for line in format_errors(err)]
        raise ConfigError([f"sweep.{line}" for line in lines], source) from None


def _block_rows(kind: str, design: Any, seed: int) -> tuple[list[dict[str, Any]], dict]:
    """Parameter rows of one block and the facts needed to analyse it."""
    info: dict[str, Any] = {"kind": kind}
    if kind == "grid":
        keys = list(design)
        for key in keys:
            if not isinstance(design[key], list) or not design[key]:
                raise ValueError(f"grid.{key}: expected a non-empty list of values")
        info["axes"] = {k: list(design[k]) for k in keys}
        return [dict(zip(keys, combo, strict=True))
                for combo in itertools.product(*(design[k] for k in keys))], info
    if kind == "zip":
        lengths = {k: len(v) if isinstance(v, list) else -1 for k, v in design.items()}
        if len(set(lengths.values())) != 1 or -1 in lengths.values() or 0 in lengths.values():
            raise ValueError(f"zip: every key needs a list of the same length, got {lengths}")
        n = next(iter(lengths.values()))
        return [{k: design[k][i] for k in design} for i in range(n)], info
    if kind == "points":
        return [dict(p) for p in design], info
    ranges: dict[str, Range] = dict(design.parameters)
    names = list(ranges)
    bounds = [ranges[k].bounds() for k in names]
    rng = np.random.default_rng(seed)
    if kind == "random":
        unit = rng.random((design.n, len(names)))
    elif kind == "latin_hypercube":
        n = design.n
        unit = np.empty((n, len(names)))
        for j in range(len(names)):
            unit[:, j] = (rng.permutation(n) + rng.random(n)) / n
    else:
        problem = {"num_vars": len(names), "names": names, "bounds": [list(b) for b in bounds]}
        info["problem"] = problem
        if kind == "morris":
            from SALib.sample import morris

            info["levels"] = design.levels
            x = morris.sample(problem, design.trajectories, num_levels=design.levels, seed=seed)
        else:
            from SALib.sample import sobol

            info["second_order"] = design.second_order
            x = sobol.sample(problem, design.n, calc_second_order=design.second_order,
                             scramble=True, seed=seed)
        info["design"] = np.asarray(x).tolist()
        return [{k: ranges[k].value(float(v)) for k, v in zip(names, row, strict=True)}
                for row in x], info
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    x = lo + unit * (hi - lo)
    return [{k: ranges[k].value(float(v)) for k, v in zip(names, row, strict=True)}
            for row in x], info


def _point_id(params: dict[str, Any], seed: int) -> str:
    text = json.dumps({"params": params, "seed": seed}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def plan_from_file(path: Path, overrides: list[str] | tuple[str, ...] = ()) -> SweepPlan | None:
    """The sweep of a config file (after ``--set`` overrides), or None if it has none.

    The base config is validated first (:func:`plasticity.load_config`), then
    the ``sweep`` section and every point.

    Parameters
    ----------
    path : path
        A YAML config with a ``sweep`` section.
    overrides : sequence of str
        ``KEY=VALUE`` overrides of the base config (and of the sweep section).

    Returns
    -------
    SweepPlan or None
        The expanded sweep; None if the config has no sweep section.

    Raises
    ------
    ConfigError
        Naming the key, value and rule of every problem.
    """
    import yaml

    load_config(path, overrides)
    raw = apply_overrides(yaml.safe_load(Path(path).read_text()) or {}, overrides)
    return plan_from_mapping(raw, str(path))


def plan_from_mapping(raw: dict[str, Any], source: str | None = None) -> SweepPlan | None:
    """The sweep of a raw config mapping (with a ``sweep`` section), or None if it has none.

    Parameters
    ----------
    raw : dict
        A config as read from YAML, or ``Config.model_dump(mode="json")``.
    source : str, optional
        Where the config came from, for error messages.

    Returns
    -------
    SweepPlan or None
        The expanded sweep; None without a sweep section.
    """
    if not raw.get("sweep") and not raw.get("cohort"):
        return None
    base = {k: v for k, v in raw.items() if k not in ("sweep", "cohort")}
    load_config(base)
    # a cohort alone is a sweep of one point per patient
    spec = parse_sweep(raw.get("sweep") or {"points": [{}]}, source)
    if not raw.get("cohort"):
        return expand(base, spec, source)
    from plasticity.sweep.cohort import parse_cohort, patient_table

    table = patient_table(parse_cohort(raw["cohort"], source), int(base.get("seed", 1)))
    plan = expand(base, spec, source,
                  patients=[{k: v for k, v in row.items() if k != "severity"} for row in table])
    plan.cohort, plan.patients = raw["cohort"], table
    return plan


def point_config(base: dict[str, Any], params: dict[str, Any], seed: int) -> Config:
    """The validated config of one point: ``base`` with ``params`` and ``seed`` set."""
    data = json.loads(json.dumps(base))
    for key, value in params.items():
        if key != "seed":
            set_value(data, key, value)
    data["seed"] = seed
    data.pop("sweep", None)
    data.pop("cohort", None)
    return Config.model_validate(data)


def expand(base: dict[str, Any], spec: SweepSpec, source: str | None = None,
           patients: list[dict[str, Any]] | None = None) -> SweepPlan:
    """Every point of the sweep, validated, with its id, seed and build.

    With ``patients`` (a cohort, :mod:`plasticity.sweep.cohort`), every row of
    every block runs once per patient: the patient's values and seed with the
    row's (a row may not set a key a patient sets).

    Raises
    ------
    ConfigError
        Listing every point whose config is invalid (key, value, rule).
    """
    base_seed = int(base.get("seed", 1))
    design_seed = base_seed if spec.seed is None else spec.seed
    points: list[Point] = []
    seen: set[str] = set()
    problems: list[str] = []
    blocks: list[dict[str, Any]] = []
    duplicates = 0
    for b, block in enumerate(spec.design_blocks()):
        kind = next(k for k in DESIGNS if hasattr(block, k))
        try:
            rows, info = _block_rows(kind, getattr(block, kind), design_seed + b)
        except ValueError as err:
            raise ConfigError([f"sweep.blocks.{b}.{err}"], source) from None
        info["rows"] = []
        if patients is not None:
            clash = sorted({k for row in rows for k in row} & {k for p in patients for k in p})
            if clash:
                raise ConfigError([f"sweep.blocks.{b}: sets {', '.join(clash)}, which the "
                                   "cohort draws for every patient"], source)
            rows = [{**patient, **row} for row in rows for patient in patients]
        for r, params in enumerate(rows):
            params = {str(k): v for k, v in params.items()}
            row_ids = []
            for rep in range(spec.replicates):
                seed = int(params.get("seed", base_seed)) + rep
                pid = _point_id({k: v for k, v in params.items() if k != "seed"}, seed)
                row_ids.append(pid)
                if pid in seen:
                    duplicates += 1
                    continue
                try:
                    config = point_config(base, params, seed)
                except ValidationError as err:
                    where = f"sweep block {b}, point {params}"
                    problems += [f"{where}: {line}" for line in format_errors(err)]
                    continue
                except ConfigError as err:
                    problems += [f"sweep block {b}: {p}" for p in err.problems]
                    continue
                seen.add(pid)
                points.append(Point(pid, len(points), params, seed, rep, b, r,
                                    build_key(config)))
            info["rows"].append(row_ids)
        blocks.append(info)
        if len(problems) > 20:
            break
    problems = list(dict.fromkeys(problems))  # replicates of a bad row fail alike
    if problems:
        more = [f"... {len(problems) - 20} more problems"] if len(problems) > 20 else []
        raise ConfigError(problems[:20] + more, source)
    return SweepPlan(base=base, spec=spec, points=points, blocks=blocks, duplicates=duplicates,
                     initial_state=_initial_state(spec, source))


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _initial_state(spec: SweepSpec, source: str | None) -> dict[str, str] | None:
    """``sweep.initial_state`` as an absolute path with its digest, checked to hold a state."""
    if spec.initial_state is None:
        return None
    path = Path(spec.initial_state).expanduser().resolve()
    if not path.is_file():
        raise ConfigError([f"sweep.initial_state: no file at '{spec.initial_state}' (a result "
                           "file whose final state the points start from)"], source)
    from plasticity.storage import open_result

    try:
        state = open_result(path).final_state()
    except Exception as err:  # noqa: BLE001 - any unreadable file is the same user error
        raise ConfigError([f"sweep.initial_state: '{spec.initial_state}' is not a readable "
                           f"result file ({err})"], source) from None
    if not state:
        raise ConfigError([f"sweep.initial_state: '{spec.initial_state}' holds no final "
                           "structural state (a run with structural plasticity writes one)"],
                          source)
    return {"path": str(path), "sha256": file_digest(path)}

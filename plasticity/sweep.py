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
:func:`plasticity.analysis.sensitivity`.

Expansion is deterministic: the same config gives the same points in the
same order, and every point's id is a hash of its parameter values and seed,
so it survives reordering and reruns. Duplicate points are kept once.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)

from .config import (
    Config,
    ConfigError,
    _format_errors,
    apply_overrides,
    load_config,
    set_value,
)
from .simulate import build_key

__all__ = ["Point", "SweepPlan", "SweepSpec", "expand", "parse_sweep", "plan_from_file",
           "point_config"]

_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """A sampled parameter: uniform between ``low`` and ``high``."""

    low: float | str
    high: float | str
    log: bool = False
    integer: bool = False

    @model_validator(mode="after")
    def _check(self) -> Range:
        (lo, unit_lo), (hi, unit_hi) = _split(self.low), _split(self.high)
        if unit_lo != unit_hi:
            raise ValueError(f"low {self.low!r} and high {self.high!r} must use the same unit")
        if not lo < hi:
            raise ValueError(f"low {self.low!r} must be below high {self.high!r}")
        if self.log and lo <= 0:
            raise ValueError(f"log: true needs low > 0 (got {self.low!r})")
        return self

    def bounds(self) -> tuple[float, float]:
        """Bounds in the sampling space (log10 if ``log``)."""
        lo, hi = _split(self.low)[0], _split(self.high)[0]
        return (math.log10(lo), math.log10(hi)) if self.log else (lo, hi)

    def value(self, u: float) -> float | int | str:
        """The config value at sampling-space coordinate ``u``."""
        x = 10.0**u if self.log else u
        unit = _split(self.low)[1]
        if self.integer:
            x = round(x)
            return f"{x} {unit}" if unit else int(x)
        x = float(f"{x:.6g}")
        return f"{x:g} {unit}" if unit else x


def _split(value: float | str) -> tuple[float, str]:
    if isinstance(value, bool):
        raise ValueError(f"expected a number or a number with a unit, got {value!r}")
    if isinstance(value, int | float):
        return float(value), ""
    match = _NUMBER_UNIT.match(str(value))
    if not match:
        raise ValueError(f"expected a number or a number with a unit, got {value!r}")
    return float(match.group(1)), match.group(2)


Values = dict[str, list[Any]]
Ranges = dict[str, Range]


class GridBlock(_Strict):
    grid: Values


class ZipBlock(_Strict):
    zip: Values


class PointsBlock(_Strict):
    points: list[dict[str, Any]] = Field(min_length=1)


class Sampled(_Strict):
    n: int = Field(ge=1, le=1_000_000)
    parameters: Ranges = Field(min_length=1)


class RandomBlock(_Strict):
    random: Sampled


class LatinBlock(_Strict):
    latin_hypercube: Sampled


class MorrisDesign(_Strict):
    trajectories: int = Field(ge=2, le=100_000)
    levels: int = Field(4, ge=2, le=100)
    parameters: Ranges = Field(min_length=2)


class MorrisBlock(_Strict):
    morris: MorrisDesign


class SobolDesign(_Strict):
    n: int = Field(ge=2, le=1_000_000, description="Base samples; a power of 2 is best.")
    second_order: bool = False
    parameters: Ranges = Field(min_length=2)


class SobolBlock(_Strict):
    sobol: SobolDesign


def _block_kind(value: Any) -> str | None:
    """The design a block names: its single key, if that is a known design."""
    if isinstance(value, dict):
        keys = list(value)
    elif isinstance(value, BaseModel):
        keys = [k for k in _KINDS if hasattr(value, k)]
    else:
        return None
    return keys[0] if len(keys) == 1 and keys[0] in _KINDS else None


Block = Annotated[
    Annotated[GridBlock, Tag("grid")] | Annotated[ZipBlock, Tag("zip")]
    | Annotated[PointsBlock, Tag("points")] | Annotated[RandomBlock, Tag("random")]
    | Annotated[LatinBlock, Tag("latin_hypercube")] | Annotated[MorrisBlock, Tag("morris")]
    | Annotated[SobolBlock, Tag("sobol")],
    Discriminator(
        _block_kind, custom_error_type="block_kind",
        custom_error_message="a block is a mapping with exactly one design: grid, zip, "
                             "points, random, latin_hypercube, morris or sobol"),
]


class SweepSpec(_Strict):
    """The ``sweep`` section of a config."""

    replicates: int = Field(1, ge=1, le=10_000)
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    blocks: list[Block] = Field(default_factory=list)
    grid: Values | None = None
    zip: Values | None = None
    points: list[dict[str, Any]] | None = None
    random: Sampled | None = None
    latin_hypercube: Sampled | None = None
    morris: MorrisDesign | None = None
    sobol: SobolDesign | None = None
    executor: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Executor settings: 'slurm' (partition, time, memory, cpus, throttle, "
                    "chunk, extra) and 'dask' (scheduler, workers, jobqueue).",
    )

    @model_validator(mode="after")
    def _one_form(self) -> SweepSpec:
        inline = [k for k in _KINDS if getattr(self, k) is not None]
        if self.blocks and inline:
            raise ValueError(f"give either 'blocks' or one design ({', '.join(inline)}), not both")
        if len(inline) > 1:
            raise ValueError(f"one design per block, got {', '.join(inline)}; use 'blocks'")
        if not self.blocks and not inline:
            raise ValueError(f"no design: expected 'blocks' or one of {', '.join(_KINDS)}")
        unknown = set(self.executor) - {"slurm", "dask"}
        if unknown:
            raise ValueError(f"executor: unknown executor(s) {sorted(unknown)}; "
                             "expected 'slurm' or 'dask'")
        return self

    def design_blocks(self) -> list[BaseModel]:
        """The blocks, the inline single-design form turned into one block."""
        if self.blocks:
            return list(self.blocks)
        for kind, model in zip(_KINDS, _BLOCK_TYPES, strict=True):
            value = getattr(self, kind)
            if value is not None:
                return [model(**{kind: value})]
        raise AssertionError("validated")


_KINDS = ("grid", "zip", "points", "random", "latin_hypercube", "morris", "sobol")
_BLOCK_TYPES = (GridBlock, ZipBlock, PointsBlock, RandomBlock, LatinBlock, MorrisBlock,
                SobolBlock)


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

    def to_json(self) -> dict[str, Any]:
        """The manifest form (plain JSON)."""
        return {"points": [asdict(p) for p in self.points], "blocks": self.blocks,
                "duplicates": self.duplicates, "parameters": self.parameters}


def parse_sweep(raw: Any, source: str | None = None) -> SweepSpec:
    """Validate the ``sweep`` section; errors name the key and the rule."""
    if not isinstance(raw, dict):
        raise ConfigError([f"sweep: expected a mapping, got {type(raw).__name__}"], source)
    try:
        return SweepSpec.model_validate(raw)
    except ValidationError as err:
        # a block's location repeats its design (the tag, then the field): say it once
        tags = "|".join(_KINDS)
        lines = [re.sub(rf"\b({tags})\.\1\b", r"\1", line) for line in _format_errors(err)]
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
    """
    import yaml

    load_config(path, overrides)
    raw = apply_overrides(yaml.safe_load(Path(path).read_text()) or {}, overrides)
    if not raw.get("sweep"):
        return None
    spec = parse_sweep(raw["sweep"], str(path))
    return expand({k: v for k, v in raw.items() if k != "sweep"}, spec, str(path))


def point_config(base: dict[str, Any], params: dict[str, Any], seed: int) -> Config:
    """The validated config of one point: ``base`` with ``params`` and ``seed`` set."""
    data = json.loads(json.dumps(base))
    for key, value in params.items():
        if key != "seed":
            set_value(data, key, value)
    data["seed"] = seed
    data.pop("sweep", None)
    return Config.model_validate(data)


def expand(base: dict[str, Any], spec: SweepSpec, source: str | None = None) -> SweepPlan:
    """Every point of the sweep, validated, with its id, seed and build.

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
        kind = next(k for k in _KINDS if hasattr(block, k))
        try:
            rows, info = _block_rows(kind, getattr(block, kind), design_seed + b)
        except ValueError as err:
            raise ConfigError([f"sweep.blocks.{b}.{err}"], source) from None
        info["rows"] = []
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
                    problems += [f"{where}: {line}" for line in _format_errors(err)]
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
    return SweepPlan(base=base, spec=spec, points=points, blocks=blocks, duplicates=duplicates)

"""The grammar of a config's ``sweep`` section: designs, ranges and replicates.

Pure pydantic (no Brian2, no config schema), so that reading a sweep
directory never imports the simulator. :mod:`plasticity.sweep.design`
expands a validated :class:`SweepSpec` into points.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

__all__ = ["DESIGNS", "BLOCK_TYPES", "Range", "SweepSpec", "split_value"]

_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


class _Strict(BaseModel):
    """A frozen pydantic model with unknown keys forbidden."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """A sampled parameter: uniform between ``low`` and ``high``."""

    low: float | str
    high: float | str
    log: bool = False
    integer: bool = False

    @model_validator(mode="after")
    def _check(self) -> Range:
        (lo, unit_lo), (hi, unit_hi) = split_value(self.low), split_value(self.high)
        if unit_lo != unit_hi:
            raise ValueError(f"low {self.low!r} and high {self.high!r} must use the same unit")
        if not lo < hi:
            raise ValueError(f"low {self.low!r} must be below high {self.high!r}")
        if self.log and lo <= 0:
            raise ValueError(f"log: true needs low > 0 (got {self.low!r})")
        return self

    def bounds(self) -> tuple[float, float]:
        """Bounds in the sampling space (log10 if ``log``)."""
        lo, hi = split_value(self.low)[0], split_value(self.high)[0]
        return (math.log10(lo), math.log10(hi)) if self.log else (lo, hi)

    def value(self, u: float) -> float | int | str:
        """The config value at sampling-space coordinate ``u``."""
        x = 10.0**u if self.log else u
        unit = split_value(self.low)[1]
        if self.integer:
            x = round(x)
            return f"{x} {unit}" if unit else int(x)
        x = float(f"{x:.6g}")
        return f"{x:g} {unit}" if unit else x


def split_value(value: float | str) -> tuple[float, str]:
    """A number, or a number with a unit as text, split: ``"0.5 nS" -> (0.5, "nS")``.

    Raises
    ------
    ValueError
        If ``value`` is neither.
    """
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
        keys = [k for k in DESIGNS if hasattr(value, k)]
    else:
        return None
    return keys[0] if len(keys) == 1 and keys[0] in DESIGNS else None


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
    initial_state: str | None = Field(
        None, min_length=1, max_length=4096,
        description="A result file whose final structural state every point starts from "
                    "(e.g. a settled network); relative to the working directory.",
    )

    @model_validator(mode="after")
    def _one_form(self) -> SweepSpec:
        inline = [k for k in DESIGNS if getattr(self, k) is not None]
        if self.blocks and inline:
            raise ValueError(f"give either 'blocks' or one design ({', '.join(inline)}), not both")
        if len(inline) > 1:
            raise ValueError(f"one design per block, got {', '.join(inline)}; use 'blocks'")
        if not self.blocks and not inline:
            raise ValueError(f"no design: expected 'blocks' or one of {', '.join(DESIGNS)}")
        unknown = set(self.executor) - {"slurm", "dask"}
        if unknown:
            raise ValueError(f"executor: unknown executor(s) {sorted(unknown)}; "
                             "expected 'slurm' or 'dask'")
        return self

    def design_blocks(self) -> list[BaseModel]:
        """The blocks, the inline single-design form turned into one block."""
        if self.blocks:
            return list(self.blocks)
        for kind, model in zip(DESIGNS, BLOCK_TYPES, strict=True):
            value = getattr(self, kind)
            if value is not None:
                return [model(**{kind: value})]
        raise AssertionError("validated")


DESIGNS = ("grid", "zip", "points", "random", "latin_hypercube", "morris", "sobol")
BLOCK_TYPES = (GridBlock, ZipBlock, PointsBlock, RandomBlock, LatinBlock, MorrisBlock,
                SobolBlock)



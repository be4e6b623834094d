"""Sections ``simulation`` (duration, time step, device, threads, builds) and ``record``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from plasticity.config.types import (
    Section,
    Time,
    TimeNonNeg,
)
from plasticity.units import format_quantity

__all__ = ["RecordConfig", "SimulationConfig"]


class SimulationConfig(Section):
    """How long and how the network is simulated."""

    duration: Time = Field("1 s", description="Simulated time.")
    dt: Time = Field("0.1 ms", description="Integration time step.")
    warmup: TimeNonNeg = Field(
        "200 ms", description="Initial transient excluded from the summary statistics."
    )
    device: Literal["cpp_standalone", "runtime"] = Field(
        "cpp_standalone",
        description=(
            "Brian2 code generation target: 'cpp_standalone' (compiled C++ program, "
            "built once per network structure and cached) or 'runtime' (Cython)."
        ),
    )
    threads: int = Field(1, ge=1, le=256, description="OpenMP threads (cpp_standalone only).")
    build_dir: str | None = Field(
        None,
        description=(
            "Where compiled builds are cached; default $PLASTICITY_BUILD_DIR or "
            "~/.cache/plasticity/builds."
        ),
    )
    cpu_target: str = Field(
        "native", pattern=r"^[A-Za-z0-9_.+-]{1,40}$",
        description=(
            "Instruction set the program is compiled for (gcc -march): 'native' "
            "(fastest; the build is then keyed on this CPU's flags) or a portable "
            "target such as 'x86-64-v2' for a build cache shared by nodes of different "
            "CPU generations."
        ),
    )

    @model_validator(mode="after")
    def _check_times(self) -> SimulationConfig:
        if float(self.warmup) >= float(self.duration):
            raise ValueError(
                f"warmup ({format_quantity(self.warmup)}) must be shorter than duration "
                f"({format_quantity(self.duration)})"
            )
        if float(self.dt) > 1e-3:
            raise ValueError(f"dt ({format_quantity(self.dt)}) must be at most 1 ms")
        return self


class RecordConfig(Section):
    """What is stored in the result file."""

    spikes: bool = Field(True, description="Store every spike (SONATA layout).")
    state_dt: Time = Field(
        "1 ms", description="Sampling interval of the population time series."
    )
    rate_bin: Time = Field("1 ms", description="Bin width of the population rate series.")

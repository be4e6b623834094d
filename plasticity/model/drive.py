"""External Poisson drive: per-step Poisson counts in compiled code.

Every cell receives ``n_inputs`` independent Poisson trains at ``rate``; in a
step of length dt their summed count is Poisson(n_inputs rate dt), drawn per
neuron and step. In cpp_standalone the draw is :func:`poisson_function`, a
C++ ``Function`` (``poisson_drive.cpp``: xoshiro256+ uniforms and guide-table
inversion, exact up to a tail mass of 1e-17) seeded from the run's seed, one
stream per call site and OpenMP thread. On Brian2's runtime device Brian2's
own ``poisson()`` is used. The two devices draw different streams, both
Poisson; a seed fixes the result on each.
"""

from __future__ import annotations

from pathlib import Path

import brian2 as b2
from brian2.devices.cpp_standalone.device import CPPStandaloneDevice

SOURCE = Path(__file__).with_name("poisson_drive.cpp")


def poisson_function(seed_array: str, n_streams: int) -> b2.Function:
    """A Brian2 Function ``poisson_drive(lam, stream)`` for cpp_standalone.

    Parameters
    ----------
    seed_array : str
        C++ name of the run's seed array (``brian::_array_control_rng_seed``).
    n_streams : int
        Number of call sites; ``stream`` must lie in ``[0, n_streams)``.
    """
    code = SOURCE.read_text() + f"""
int32_t poisson_drive(double lam, int32_t stream) {{
    static plasticity_drive::Stream streams[{n_streams}][plasticity_drive::MAX_THREADS];
    return plasticity_drive::poisson_draw(lam, stream, (uint64_t){seed_array}[0],
                                          streams[stream]);
}}
"""

    @b2.implementation("cpp", code)
    @b2.declare_types(lam="float", stream="integer", result="integer")
    @b2.check_units(lam=1, stream=1, result=1)
    def poisson_drive(lam, stream):  # pragma: no cover - only the C++ runs
        raise NotImplementedError("poisson_drive runs in cpp_standalone only")

    # A draw per call, like rand(): Brian2 must neither hoist the call out of
    # the loop over neurons (its arguments are shared constants) nor fold
    # two calls into one.
    poisson_drive.stateless = False
    return poisson_drive


def drive_expression(stream: int, rate: str = "ext_rate") -> str:
    """The count expression for one call site on the active device."""
    if isinstance(b2.get_device(), CPPStandaloneDevice):
        return f"poisson_drive(({rate}) * dt, {stream})"
    return f"poisson(({rate}) * dt)"

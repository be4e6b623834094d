"""The structural update of the clinical clock, in compiled code (``clinical_engine.cpp``).

Between two network windows of a ``clinical`` timeline
(:mod:`plasticity.simulation.clinical`) the synapses of the plastic pathway
change over clinical time: at every clinical update the intrinsic turnover
removes synapses at random (new ones at their own rate), each neuron's
elements grow at the rate its calcium in the last window gives, and NEST's
update (``sp_engine.cpp``, the same code the network runs) deletes excess
synapses and pairs vacant elements. This module compiles that function into
a small shared library and calls it through ctypes on numpy arrays.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["CLINICAL_SOURCES", "LIBRARY_NAME", "ClinicalPool", "RECORD_FIELDS",
           "compile_library",
           "load_library", "run_updates"]

HERE = Path(__file__).resolve().parent
#: The C++ files of the library (``clinical_engine.cpp`` includes ``sp_engine.cpp``).
CLINICAL_SOURCES = (HERE / "clinical_engine.cpp", HERE / "sp_engine.cpp")
LIBRARY_NAME = "libclinical.so"

#: Per-update records written by the library, in order.
RECORD_FIELDS = ("n_syn", "formed", "deleted", "eliminated", "matured", "n_new")

_I32 = np.ctypeslib.ndpointer(dtype=np.int32, flags="C_CONTIGUOUS")
_F64 = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")


def compile_library(directory: Path, compiler: str = "g++") -> None:
    """Compile the sources copied into ``directory`` into ``libclinical.so`` there."""
    import subprocess

    subprocess.run([compiler, "-O2", "-std=c++14", "-shared", "-fPIC", "-o",
                    str(directory / LIBRARY_NAME), str(directory / "clinical_engine.cpp")],
                   check=True, capture_output=True, text=True)


def load_library(build: Path) -> ctypes.CDLL:
    """The compiled library of a build directory, with its argument types declared."""
    lib = ctypes.CDLL(str(build / LIBRARY_NAME))
    fn = lib.clinical_updates
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, _I32, _I32, _I32, _I32,
                   _F64, _F64, _F64, _F64, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                   ctypes.c_int, ctypes.c_int, ctypes.c_double, ctypes.c_double,
                   ctypes.c_int, ctypes.c_double, ctypes.c_double, _F64,
                   ctypes.c_double, ctypes.c_int, ctypes.c_uint64, _F64]
    return lib


@dataclass
class ClinicalPool:
    """The candidate pool of one plastic pathway and its elements, as the library sees it.

    ``nsyn`` and ``nnew`` (per candidate) and ``z_pre``/``z_post`` (per neuron:
    the source's axonal and the target's dendritic elements) are changed in
    place by :func:`run_updates`.
    """

    pre: np.ndarray
    post: np.ndarray
    nsyn: np.ndarray
    nnew: np.ndarray
    z_pre: np.ndarray
    z_post: np.ndarray
    recurrent: bool
    autapses: bool
    multapses: bool
    continuous_pre: bool
    continuous_post: bool
    tau_vacant_pre: float
    tau_vacant_post: float


def run_updates(lib: ctypes.CDLL, pool: ClinicalPool, dz_pre: np.ndarray, dz_post: np.ndarray,
                *, n_updates: int, dt_s: float, new_exit_rate: float,
                new_eliminated_fraction: float | np.ndarray, stable_elimination_rate: float,
                seed: int, remove_elements: bool = False) -> np.ndarray:
    """Run ``n_updates`` clinical updates of ``dt_s`` seconds on ``pool`` (in place).

    Parameters
    ----------
    lib : ctypes.CDLL
        From :func:`load_library`.
    pool : ClinicalPool
        Candidates, synapse counts and elements; changed in place.
    dz_pre, dz_post : numpy.ndarray
        Growth of each neuron's element per clinical second (``nu g(Ca)``),
        one value per neuron or one row per update (``n_updates x n``).
    n_updates : int
        Number of updates.
    dt_s : float
        Clinical seconds per update.
    new_exit_rate, stable_elimination_rate : float
        Turnover rates per clinical second (0 switches turnover off).
    new_eliminated_fraction : float or numpy.ndarray
        Share of new synapses leaving the new state that are eliminated: one
        value, one per target neuron, or one row per update.
    seed : int
        Seed of the updates' random numbers.
    remove_elements : bool
        Turnover's eliminations remove the synapse's elements on both sides
        (else they are left vacant, to be paired again).

    Returns
    -------
    numpy.ndarray
        ``(n_updates, 6)`` records, columns :data:`RECORD_FIELDS`.
    """
    i32 = [np.ascontiguousarray(a, dtype=np.int32) for a in (pool.pre, pool.post)]
    for name in ("nsyn", "nnew"):
        setattr(pool, name, np.ascontiguousarray(getattr(pool, name), dtype=np.int32))
    for name in ("z_pre", "z_post"):
        setattr(pool, name, np.ascontiguousarray(getattr(pool, name), dtype=np.float64))
    out = np.zeros((max(n_updates, 0), len(RECORD_FIELDS)), dtype=np.float64)
    if n_updates <= 0:
        return out
    def per_update(values, n: int) -> np.ndarray:
        return np.ascontiguousarray(np.broadcast_to(np.asarray(values, dtype=np.float64),
                                                    (n_updates, n)))

    frac = per_update(new_eliminated_fraction, len(pool.z_post))
    dz_pre = per_update(dz_pre, len(pool.z_pre))
    dz_post = per_update(dz_post, len(pool.z_post))
    rc = lib.clinical_updates(
        len(pool.z_pre), len(pool.z_post), len(pool.nsyn), i32[0], i32[1], pool.nsyn,
        pool.nnew, pool.z_pre, pool.z_post, dz_pre, dz_post,
        int(pool.recurrent), int(pool.autapses), int(pool.multapses),
        int(pool.continuous_pre), int(pool.continuous_post),
        float(pool.tau_vacant_pre), float(pool.tau_vacant_post),
        int(n_updates), float(dt_s), float(new_exit_rate), frac,
        float(stable_elimination_rate), int(bool(remove_elements)),
        int(seed) & 0xFFFFFFFFFFFFFFFF, out)
    if rc != 0:
        raise RuntimeError(f"clinical_updates returned {rc}")
    return out

"""Parameter sweeps: designs, the sweep directory, executors (local, Slurm, Dask), analysis.

Python API, as ``batch_run`` is for Mesa::

    import plasticity.sweep
    directory = plasticity.sweep.run("configs/dose_response.yaml", "results/dose",
                                     executor="local", workers=2)
    ds = plasticity.sweep.load_sweep(directory)

Reading a sweep (:func:`load_sweep`, :func:`sensitivity`, the directory
functions behind ``plasticity status`` and ``collect``) never imports Brian2.
"""

from typing import TYPE_CHECKING

from plasticity.lazy import lazy_exports

_EXPORTS = {
    "run": "plasticity.sweep.api",
    "SweepOutcome": "plasticity.sweep.api",
    "plan_from_file": "plasticity.sweep.design",
    "expand": "plasticity.sweep.design",
    "point_config": "plasticity.sweep.design",
    "load_sweep": "plasticity.sweep.analysis",
    "sensitivity": "plasticity.sweep.analysis",
    "sweep_table": "plasticity.sweep.analysis",
}
__all__ = [
    "SweepOutcome",
    "expand",
    "load_sweep",
    "plan_from_file",
    "point_config",
    "run",
    "sensitivity",
    "sweep_table",
]

if TYPE_CHECKING:
    from plasticity.sweep.analysis import load_sweep, sensitivity, sweep_table
    from plasticity.sweep.api import SweepOutcome, run
    from plasticity.sweep.design import expand, plan_from_file, point_config

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

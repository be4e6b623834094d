"""Running a config: compiled builds, single simulations, whole experiments over a timeline.

:func:`run` (an experiment: every timeline segment, checkpointed, into one
result file) and :func:`simulate` / :func:`simulate_many` (simulations
returned in memory) are imported on first use, with Brian2.
"""

from typing import TYPE_CHECKING

from plasticity.lazy import lazy_exports

_EXPORTS = {
    "run": "plasticity.simulation.experiment",
    "simulate": "plasticity.simulation.simulate",
    "simulate_many": "plasticity.simulation.simulate",
    "RunData": "plasticity.simulation.rundata",
}
__all__ = [
    "RunData",
    "run",
    "simulate",
    "simulate_many",
]

if TYPE_CHECKING:
    from plasticity.simulation.experiment import run
    from plasticity.simulation.rundata import RunData
    from plasticity.simulation.simulate import simulate, simulate_many

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

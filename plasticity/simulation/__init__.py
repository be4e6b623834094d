"""Running a config: compiled builds, single simulations, whole experiments over a timeline.

:func:`run` (an experiment: every timeline segment, checkpointed, into one
result file; a config with a ``treatment`` section is a patient's chain of
sessions, :func:`run_treatment`) and :func:`simulate` / :func:`simulate_many` (simulations
returned in memory) are imported on first use, with Brian2.
"""

from typing import TYPE_CHECKING

from plasticity.lazy import lazy_exports

_EXPORTS = {
    "run": "plasticity.simulation.treatment",
    "run_treatment": "plasticity.simulation.treatment",
    "simulate": "plasticity.simulation.simulate",
    "simulate_many": "plasticity.simulation.simulate",
    "RunData": "plasticity.simulation.rundata",
}
__all__ = [
    "RunData",
    "run",
    "run_treatment",
    "simulate",
    "simulate_many",
]

if TYPE_CHECKING:
    from plasticity.simulation.rundata import RunData
    from plasticity.simulation.simulate import simulate, simulate_many
    from plasticity.simulation.treatment import run, run_treatment

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

"""plasticity: spiking E/I cortex, NMDA receptor block and structural plasticity.

Notebook use mirrors the command line::

    import plasticity
    config = plasticity.load_config("configs/quickstart.yaml", ["network.n_exc=400"])
    path = plasticity.run(config, "results/quickstart.h5")
    result = plasticity.open_result(path)
    result.summary["exc_rate_hz"], result.series("rates")

Names are imported on first use (PEP 562): ``import plasticity`` imports
neither Brian2 nor the model, so reading results (:func:`open_result`,
:func:`load_sweep`) never pays for the simulator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from plasticity.lazy import lazy_exports

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS = {
    "Config": "plasticity.config",
    "dump_config": "plasticity.config",
    "load_config": "plasticity.config",
    "ConfigError": "plasticity.errors",
    "PlasticityError": "plasticity.errors",
    "UserInputError": "plasticity.errors",
    "run": "plasticity.simulation",
    "simulate": "plasticity.simulation",
    "open_result": "plasticity.storage",
    "load_sweep": "plasticity.sweep",
    "sensitivity": "plasticity.sweep",
}

__all__ = [
    "__version__",
    "Config",
    "ConfigError",
    "PlasticityError",
    "UserInputError",
    "dump_config",
    "load_config",
    "load_sweep",
    "open_result",
    "run",
    "sensitivity",
    "simulate",
]

if TYPE_CHECKING:  # for type checkers and IDEs; nothing is imported at run time
    from plasticity.config import Config, dump_config, load_config
    from plasticity.errors import ConfigError, PlasticityError, UserInputError
    from plasticity.simulation import run, simulate
    from plasticity.storage import open_result
    from plasticity.sweep import load_sweep, sensitivity


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

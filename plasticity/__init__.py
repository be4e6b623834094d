"""plasticity: spiking E/I cortex, NMDA receptor block and structural plasticity.

Notebook use mirrors the command line::

    import plasticity
    config = plasticity.load_config("configs/quickstart.yaml", ["network.n_exc=400"])
    path = plasticity.run(config, "results/quickstart.h5")
    result = plasticity.open_result(path)
    result.summary["exc_rate_hz"], result.series("rates")
"""

__version__ = "0.1.0"

from .config import Config, dump_config, load_config  # noqa: E402
from .errors import ConfigError, PlasticityError, UserInputError  # noqa: E402
from .experiment import run  # noqa: E402
from .simulate import simulate  # noqa: E402
from .storage import open_result  # noqa: E402

__all__ = [
    "Config",
    "ConfigError",
    "PlasticityError",
    "UserInputError",
    "__version__",
    "dump_config",
    "load_config",
    "open_result",
    "run",
    "simulate",
]

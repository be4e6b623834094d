"""The network model: cell and synapse equations, the network builder, structural plasticity.

``model.layout`` (what decides the compiled program) needs no Brian2; the
other modules build Brian2 objects and are imported on first use.
"""

from typing import TYPE_CHECKING

from plasticity.lazy import lazy_exports

_EXPORTS = {
    "BuiltNetwork": "plasticity.model.network",
    "build_network": "plasticity.model.network",
    "describe_equations": "plasticity.model.network",
    "structure_key": "plasticity.model.layout",
    "build_key": "plasticity.model.layout",
}
__all__ = [
    "BuiltNetwork",
    "build_key",
    "build_network",
    "describe_equations",
    "structure_key",
]

if TYPE_CHECKING:
    from plasticity.model.layout import build_key, structure_key
    from plasticity.model.network import BuiltNetwork, build_network, describe_equations

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

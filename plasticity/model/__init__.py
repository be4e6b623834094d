"""The network model: cells, synapses (and, later, structural plasticity)."""

from .network import BuiltNetwork, build_network, structure_key

__all__ = ["BuiltNetwork", "build_network", "structure_key"]

"""Drug pharmacology: receptor block now; concentration time courses later."""

from plasticity.pharmacology.block import HYPOTHESES, ketamine_block, mg_block, thermal_voltage

__all__ = ["HYPOTHESES", "ketamine_block", "mg_block", "thermal_voltage"]

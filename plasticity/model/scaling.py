"""Homeostatic scaling of AMPA weights in clinical time (issue 13).

Config and sources: :mod:`plasticity.config.scaling`. Per target cell ``i``
the AMPA weight of its E->E synapses is multiplied by

    s_i = clip(exp(l_i) * (1 + a_i), 1/s_max, s_max)

with two states, each advanced exactly over a clinical update of length
``dt`` at held inputs:

- fast route (block at rest): ``a_i`` relaxes to ``g * bdnf_i`` (``g`` the
  ``block_gain``, ``bdnf_i`` the cell's BDNF-translation signal) with time
  constant ``rise`` when below it and ``decay`` when above:
  ``a <- target + (a - target) exp(-dt/tau)``;
- slow route (firing rate): ``dl_i/dt = (1 - Ca_i/eps)/tau_r``, the
  logarithm of a multiplicative factor that grows while the cell's calcium
  is below the set point ``eps`` and shrinks above it, clipped at
  ``+-ln s_max``.
"""

from __future__ import annotations

import numpy as np

from plasticity.config import Config

__all__ = ["CARRIED", "advance", "factor", "initial_state"]

#: States carried across windows (``scaling/<name>/<population>`` in the structural state).
CARRIED = ("fast", "log_slow")


def initial_state(n: int) -> dict[str, np.ndarray]:
    """No scaling: ``a = 0``, ``l = 0`` for ``n`` cells."""
    return {name: np.zeros(n) for name in CARRIED}


def advance(config: Config, state: dict[str, np.ndarray], dt_s: float,
            bdnf: np.ndarray | None, ca: np.ndarray | None, eps: float) -> None:
    """Advance ``state`` in place over one clinical update of ``dt_s`` seconds.

    Parameters
    ----------
    config : Config
        The config (``scaling`` section).
    state : dict
        ``fast`` and ``log_slow`` per cell (:func:`initial_state`).
    dt_s : float
        Length of the update (s).
    bdnf : numpy.ndarray or None
        Each cell's BDNF-translation signal during the update (fast route).
    ca : numpy.ndarray or None
        Each cell's calcium (held over the window's interval; slow route).
    eps : float
        Calcium set point of the cells' dendritic element.
    """
    sc = config.scaling
    if sc.block_at_rest and bdnf is not None:
        a = state["fast"]
        target = sc.block_gain * np.asarray(bdnf, dtype=float)
        tau = np.where(target > a, float(sc.rise), float(sc.decay))
        state["fast"] = target + (a - target) * np.exp(-dt_s / tau)
    if sc.firing_rate and ca is not None:
        bound = np.log(sc.max_factor)
        state["log_slow"] = np.clip(
            state["log_slow"] + dt_s * (1.0 - np.asarray(ca, dtype=float) / eps)
            / float(sc.rate_tau), -bound, bound)


def factor(config: Config, state: dict[str, np.ndarray]) -> np.ndarray:
    """Each cell's AMPA factor ``s_i`` (module docstring)."""
    s_max = config.scaling.max_factor
    return np.clip(np.exp(state["log_slow"]) * (1.0 + state["fast"]), 1.0 / s_max, s_max)

"""What decides the compiled program of a config: populations present, targets, structure key.

No Brian2 here: sweeps group their points by :func:`build_key` and the
command line reports builds without importing the simulator. The builder
(:mod:`plasticity.model.network`) separates *structure* (what is in the
generated code: sizes, targets, delays, time step, durations, recording
layout, structural-plasticity layout) from *values* (every conductance,
time constant, probability, drug parameter, the drug trace and the seed),
which are run-time inputs; configs with equal :func:`structure_key` run
one compiled program.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from plasticity.config import (
    EXCITATORY_PATHWAYS,
    INHIBITORY_PATHWAYS,
    POPULATIONS,
    Config,
    split_pathway,
)

__all__ = ["build_key", "present_populations", "structure_key", "target_compartment",
           "trace_length"]


def present_populations(config: Config) -> list[str]:
    """Populations with at least one cell, in the order exc, pv, sst."""
    return [p for p in POPULATIONS if config.network.size(p) > 0]


def target_compartment(config: Config, pathway: str) -> str:
    """Compartment (``"soma"`` or ``"dend"``) the synapses of ``pathway`` contact."""
    _, tgt = split_pathway(pathway)
    wanted = config.synapses.pathway(pathway).target
    if tgt == "exc" and config.network.exc.dendrite and wanted == "dendrite":
        return "dend"
    return "soma"


def trace_length(config: Config) -> int:
    """Number of samples of the concentration trace (one per ``trace_dt``)."""
    sim = config.simulation
    return int(math.ceil(float(sim.duration) / float(config.pharmacology.trace_dt))) + 1


def structure_key(config: Config) -> dict[str, Any]:
    """Everything that changes the generated code (and so needs a new build)."""
    syn = config.synapses
    return {
        "sizes": {p: config.network.size(p) for p in POPULATIONS},
        "cell_model": config.network.cell_model,
        "dendrite": config.network.exc.dendrite,
        "targets": {
            p: target_compartment(config, p) for p in EXCITATORY_PATHWAYS + INHIBITORY_PATHWAYS
        },
        "delays_ms": {
            p: round(float(syn.pathway(p).delay) * 1e3, 9)
            for p in EXCITATORY_PATHWAYS + INHIBITORY_PATHWAYS
        },
        "nmda_gating": syn.nmda_gating,
        "kinetic_block": config.pharmacology.block_model == "kinetic",
        "dt_ms": float(config.simulation.dt) * 1e3,
        "duration_ms": float(config.simulation.duration) * 1e3,
        "state_dt_ms": float(config.record.state_dt) * 1e3,
        "trace_dt_ms": float(config.pharmacology.trace_dt) * 1e3,
        "record_spikes": config.record.spikes,
        "structural": _structural_key(config),
        "stimuli": {p: sum(s.population == p for s in config.stimulation) for p in POPULATIONS},
    }


def _structural_key(config: Config) -> dict[str, Any] | None:
    """The part of the structural config that shapes the compiled code."""
    sp = config.structural
    if not sp.enabled:
        return None
    data = sp.model_dump(mode="json")
    # run-time values (inputs of the build) and values the clinical clock uses in Python
    for key in ("tau_ca", "beta_ca", "sensor", "turnover", "clinical_update_interval",
                "rate_smoothing", "rate_refresh"):
        data.pop(key)
    data["weights_follow_maturity"] = sp.turnover.weights_follow_maturity
    data["ampa_scaling"] = config.scaling.enabled
    data["elements"] = {
        pop: {el: {k: v[k] for k in ("curve", "continuous", "tau_vacant")}
              for el, v in els.items()}
        for pop, els in data["elements"].items()
    }
    return data


def build_key(config: Config) -> str:
    """Key of what decides the compiled program besides the toolchain.

    Configs with equal keys (other values, other seeds) run one compiled
    program; the build cache itself is keyed on the generated code and the
    toolchain (:func:`plasticity.simulation.builds.code_key`). Sweeps group
    points by it.

    Parameters
    ----------
    config : Config
        A validated config.

    Returns
    -------
    str
        20 hex digits of a hash of :func:`structure_key`, threads and CPU target.
    """
    parts = {"structure": structure_key(config), "threads": config.simulation.threads,
             "cpu_target": config.simulation.cpu_target}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()
                          ).hexdigest()[:20]

"""Sections ``network`` (populations and their cells, external drive) and ``stimulation``.

Defaults follow the conductance-based integrate-and-fire network of Brunel &
Wang (2001, J Comput Neurosci 11:63), as in Brian2's
``examples/frompapers/Brunel_Wang_2001.py``; the pyramidal dendrite follows
the two-compartment cell of Yang, Murray & Wang (2016, Nat Commun 7:12815,
code ``gyyang/DisinhibitoryCircuit2016``, ``parameters.txt``), with its ten
dendrites lumped into one compartment. NEST's ``iaf_psc_alpha`` and
``iaf_psc_delta`` cells are a switch away (``cell_model``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from plasticity.config.types import (
    Capacitance,
    Conductance,
    ConductancePos,
    Current,
    Rate,
    Section,
    Time,
    TimeNonNeg,
    Voltage,
    VoltageNonNeg,
)
from plasticity.units import format_quantity

__all__ = ["POPULATIONS", "DriveConfig", "ExternalConfig", "IafPscAlphaConfig",
           "InterneuronConfig", "NetworkConfig", "PyramidalConfig", "StimulusConfig"]

POPULATIONS = ("exc", "pv", "sst")


class PyramidalConfig(Section):
    """Pyramidal cell: soma plus an optional lumped dendrite.

    Defaults: soma and dendrite from Yang, Murray & Wang (2016), ten dendrites
    of 20 pF / 4 nS lumped into one of 200 pF / 40 nS, coupling 4 nS per
    dendrite (in vitro value) giving 40 nS; threshold, reset, refractory
    period from Brunel & Wang (2001). With ``dendrite: false`` the cell is a
    point neuron with the soma parameters only; set ``C_soma: 0.5 nF`` and
    ``g_L_soma: 25 nS`` for the Brunel & Wang cell (configs/point_network.yaml).
    """

    dendrite: bool = True
    C_soma: Capacitance = "50 pF"
    g_L_soma: ConductancePos = "2.5 nS"
    C_dend: Capacitance = "200 pF"
    g_L_dend: ConductancePos = "40 nS"
    g_couple: ConductancePos = "40 nS"
    E_L: Voltage = "-70 mV"
    V_th: Voltage = "-50 mV"
    V_reset: Voltage = "-55 mV"
    t_ref: TimeNonNeg = "2 ms"
    bap: VoltageNonNeg = Field(
        "10 mV",
        description="Back-propagating spike: dendritic depolarisation at each somatic "
        "spike (Yang et al. 2016).",
    )

    @model_validator(mode="after")
    def _check_threshold(self) -> PyramidalConfig:
        _check_reset_below_threshold(self)
        return self


class InterneuronConfig(Section):
    """Single-compartment interneuron (Brunel & Wang 2001 inhibitory cell)."""

    C: Capacitance = "200 pF"
    g_L: ConductancePos = "20 nS"
    E_L: Voltage = "-70 mV"
    V_th: Voltage = "-50 mV"
    V_reset: Voltage = "-55 mV"
    t_ref: TimeNonNeg = "1 ms"

    @model_validator(mode="after")
    def _check_threshold(self) -> InterneuronConfig:
        _check_reset_below_threshold(self)
        return self


def _check_reset_below_threshold(cell: Any) -> None:
    if float(cell.V_reset) >= float(cell.V_th):
        raise ValueError(
            f"V_reset ({format_quantity(cell.V_reset)}) must be below V_th "
            f"({format_quantity(cell.V_th)})"
        )


class DriveConfig(Section):
    """External Poisson drive: ``n_inputs`` independent inputs at ``rate`` each.

    Each input spike opens an AMPA conductance ``g_ampa`` on the soma.
    Defaults after Brunel & Wang (2001): 800 inputs at 3 Hz, with 1.62 nS
    onto interneurons (their value); 2.05 nS onto the two-compartment
    pyramidal cell and 1.05 nS onto SST cells were calibrated (docs/MODEL.md;
    recalibrated with the per-subunit Mg2+ block, issue 12).
    """

    n_inputs: int = Field(800, ge=0, strict=True)
    rate: Rate = "3 Hz"
    g_ampa: Conductance = "2.08 nS"
    psc: Current = Field(
        "0 pA", description="PSC amplitude of each input spike (cell_model iaf_psc_alpha)."
    )
    psp: Voltage = Field(
        "0 mV", description="Voltage jump of each input spike (cell_model iaf_psc_delta)."
    )


class ExternalConfig(Section):
    """External drive per population."""

    exc: DriveConfig = DriveConfig(g_ampa="2.05 nS")
    pv: DriveConfig = DriveConfig(g_ampa="1.62 nS")
    sst: DriveConfig = DriveConfig(g_ampa="1.05 nS")


class IafPscAlphaConfig(Section):
    """NEST's integrate-and-fire cells ``iaf_psc_alpha`` and ``iaf_psc_delta``.

    Defaults are NEST's ``iaf_psc_alpha`` (nest-simulator
    ``models/iaf_psc_alpha.h``); they are also what NEST's
    structural-plasticity example runs with, since its ``model_params`` are
    never applied (science.md 1.4). A PSC of amplitude w peaks at w after
    tau_syn: I(t) = w e t/tau_syn exp(-t/tau_syn). ``iaf_psc_delta``
    (``models/iaf_psc_delta.h``) uses the same parameters except tau_syn:
    a spike makes the membrane potential jump by ``psp``.
    """

    C_m: Capacitance = "250 pF"
    tau_m: Time = "10 ms"
    E_L: Voltage = "-70 mV"
    V_th: Voltage = "-55 mV"
    V_reset: Voltage = "-70 mV"
    t_ref: TimeNonNeg = "2 ms"
    tau_syn_ex: Time = "2 ms"
    tau_syn_in: Time = "2 ms"
    I_e: Current = "0 pA"

    @model_validator(mode="after")
    def _check_threshold(self) -> IafPscAlphaConfig:
        _check_reset_below_threshold(self)
        return self


class NetworkConfig(Section):
    """Population sizes and cell parameters. A size of 0 removes a population.

    ``cell_model: conductance`` (default) is the prefrontal network of this
    package (pyramidal dendrite, AMPA/NMDA/GABA_A conductances); ``cell_model:
    iaf_psc_alpha`` makes every population NEST's current-based
    ``iaf_psc_alpha`` with the parameters ``iaf`` and PSC amplitudes ``psc``
    per pathway and drive, as in NEST's example networks (no NMDA receptors,
    so no ketamine target); ``cell_model: iaf_psc_delta`` makes them NEST's
    ``iaf_psc_delta``, with voltage jumps ``psp`` instead of currents.
    """

    cell_model: Literal["conductance", "iaf_psc_alpha", "iaf_psc_delta"] = "conductance"
    iaf: IafPscAlphaConfig = IafPscAlphaConfig()

    n_exc: int = Field(strict=True, default=800, ge=0, le=10_000_000)
    n_pv: int = Field(strict=True, default=150, ge=0, le=10_000_000)
    n_sst: int = Field(strict=True, default=50, ge=0, le=10_000_000)
    exc: PyramidalConfig = PyramidalConfig()
    pv: InterneuronConfig = InterneuronConfig()
    sst: InterneuronConfig = InterneuronConfig(t_ref="2 ms")
    external: ExternalConfig = ExternalConfig()

    @model_validator(mode="after")
    def _check_sizes(self) -> NetworkConfig:
        if self.n_exc + self.n_pv + self.n_sst == 0:
            raise ValueError("the network has no neurons: n_exc, n_pv and n_sst are all 0")
        return self

    def size(self, population: str) -> int:
        """Number of neurons in ``population``."""
        return int(getattr(self, f"n_{population}"))


class StimulusConfig(Section):
    """Extra external drive to a group of cells during a window of network time.

    The first ``fraction`` of ``population``'s cells (ids 0 to
    ``round(fraction * n) - 1``: the stimulated group "S") receive their
    external Poisson drive at ``rate_factor`` times its rate from ``start``
    to ``stop`` (network time of each run). Overlapping stimuli of one
    population add their extra rates; they must stimulate the same cells.
    Gallinaro & Rotter (2018, Sci Rep 8:3754) drive the first 10 % of the
    excitatory cells at 1.1 times the rate for 20 s.
    """

    population: Literal["exc", "pv", "sst"]
    fraction: float = Field(gt=0.0, le=1.0)
    start: TimeNonNeg
    stop: Time
    rate_factor: float = Field(ge=0.0, le=1000.0)

    @model_validator(mode="after")
    def _check_window(self) -> StimulusConfig:
        if float(self.stop) <= float(self.start):
            raise ValueError(f"stop ({format_quantity(self.stop)}) must be after start "
                             f"({format_quantity(self.start)})")
        return self

"""Experiment configuration: YAML files validated before anything runs.

A config is a YAML mapping checked against the schema below (pydantic, with
unknown keys forbidden). Quantities carry their units as text (``"5 ms"``,
``"0.5 nS"``, ``"1 uM"``); the few unit-suffixed keys (``ketamine_uM``) say
their unit in their name. Every problem is reported as one line naming the key
path, the value found and what was expected.

Defaults and their sources
--------------------------
Neuron and synapse defaults follow the conductance-based integrate-and-fire
network of Brunel & Wang (2001, J Comput Neurosci 11:63), as in Brian2's
``examples/frompapers/Brunel_Wang_2001.py``; the pyramidal dendrite follows
the two-compartment cell of Yang, Murray & Wang (2016, Nat Commun 7:12815,
code ``gyyang/DisinhibitoryCircuit2016``, ``parameters.txt``), with its ten
dendrites lumped into one compartment. The Mg2+ block is Jahr & Stevens
(1990, J Neurosci 10:3178). Ketamine IC50s are from Kotermanski & Johnson
(2009, J Neurosci 29:2774), see :mod:`plasticity.pharmacology.block`.
Connection probabilities and conductances were set for an asynchronous
irregular baseline (see docs/MODEL.md, where the calibration is recorded).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    model_validator,
)

from .errors import ConfigError
from .units import UnitParseError, format_quantity, parse_quantity

__all__ = [
    "set_value",
    "EXCITATORY_PATHWAYS",
    "INHIBITORY_PATHWAYS",
    "POPULATIONS",
    "Config",
    "ElementConfig",
    "InfusionConfig",
    "StructuralConfig",
    "ProtocolConfig",
    "TimelineConfig",
    "apply_overrides",
    "dump_config",
    "load_config",
]

POPULATIONS = ("exc", "pv", "sst")
EXCITATORY_PATHWAYS = ("exc_to_exc", "exc_to_pv", "exc_to_sst")
INHIBITORY_PATHWAYS = (
    "pv_to_exc",
    "pv_to_pv",
    "pv_to_sst",
    "sst_to_exc",
    "sst_to_pv",
    "sst_to_sst",
)


def format_clinical_time(quantity: Any) -> str:
    """Clinical times in the unit a clinic would use: s, min, h or day."""
    seconds = float(quantity)
    for unit, size in (("day", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if abs(seconds) >= size and math.isclose(seconds / size, round(seconds / size, 6)):
            return f"{seconds / size:.12g} {unit}"
    return f"{seconds:.12g} s"


def _quantity_type(dimension: str, *, positive: bool = False, nonnegative: bool = False,
                   formatter: Any = format_quantity):
    def parse(value: Any):
        try:
            q = parse_quantity(value, dimension)
        except UnitParseError as err:
            raise ValueError(str(err)) from None
        if positive and not float(q) > 0:
            raise ValueError(f"expected a positive {dimension}")
        if nonnegative and float(q) < 0:
            raise ValueError(f"expected a {dimension} >= 0")
        return q

    return Annotated[
        Any,
        BeforeValidator(parse),
        PlainSerializer(formatter, return_type=str),
    ]


Time = _quantity_type("time", positive=True)
TimeNonNeg = _quantity_type("time", nonnegative=True)
Voltage = _quantity_type("voltage")
VoltageNonNeg = _quantity_type("voltage", nonnegative=True)
Conductance = _quantity_type("conductance", nonnegative=True)
ConductancePos = _quantity_type("conductance", positive=True)
Capacitance = _quantity_type("capacitance", positive=True)
Rate = _quantity_type("frequency", nonnegative=True)
RatePos = _quantity_type("frequency", positive=True)
Concentration = _quantity_type("concentration", nonnegative=True)
ConcentrationPos = _quantity_type("concentration", positive=True)
RatePerConcentration = _quantity_type("rate_per_concentration", positive=True)
Current = _quantity_type("current")
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
ClinicalTime = _quantity_type("time", formatter=format_clinical_time)
ClinicalTimePos = _quantity_type("time", positive=True, formatter=format_clinical_time)
ClinicalTimeNonNeg = _quantity_type("time", nonnegative=True, formatter=format_clinical_time)
Mass = _quantity_type("mass", positive=True)
VolumePerMass = _quantity_type("volume_per_mass", positive=True)
RateNonNegAny = _quantity_type("frequency", nonnegative=True)


def _parse_dose(value: Any) -> float:
    """A dose per body weight such as ``"0.5 mg/kg"``, returned in mg/kg."""
    example = "expected a dose per body weight such as '0.5 mg/kg'"
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"missing unit: {example}")
    if "/" not in value or not any(m in value for m in ("g", "kg")):
        raise ValueError(f"missing unit: {example}")
    try:
        q = parse_quantity(value, "dimensionless")
    except UnitParseError as err:
        raise ValueError(f"{err}; {example}") from None
    mg_per_kg = float(q) * 1e6
    if mg_per_kg < 0:
        raise ValueError("expected a dose >= 0")
    return mg_per_kg


Dose = Annotated[
    Any,
    BeforeValidator(_parse_dose),
    PlainSerializer(lambda v: f"{v:.12g} mg/kg", return_type=str),
]


def _deep_merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True, validate_assignment=True)

    @model_validator(mode="before")
    @classmethod
    def _merge_into_defaults(cls, data: Any) -> Any:
        """Let a partial section keep the other values of its default.

        A field whose default is a configured instance (e.g. the E->E pathway,
        which targets the dendrite) must keep that instance's values for the
        keys a user does not write, not fall back to the class defaults.
        """
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        for name, field_info in cls.model_fields.items():
            default = field_info.default
            if isinstance(default, BaseModel) and isinstance(data.get(name), Mapping):
                data[name] = _deep_merge(default.model_dump(mode="json"), data[name])
        return data


# --------------------------------------------------------------------------- #
# Simulation and recording
# --------------------------------------------------------------------------- #
class SimulationConfig(_Strict):
    """How long and how the network is simulated."""

    duration: Time = Field("1 s", description="Simulated time.")
    dt: Time = Field("0.1 ms", description="Integration time step.")
    warmup: TimeNonNeg = Field(
        "200 ms", description="Initial transient excluded from the summary statistics."
    )
    device: Literal["cpp_standalone", "runtime"] = Field(
        "cpp_standalone",
        description=(
            "Brian2 code generation target: 'cpp_standalone' (compiled C++ program, "
            "built once per network structure and cached) or 'runtime' (Cython)."
        ),
    )
    threads: int = Field(1, ge=1, le=256, description="OpenMP threads (cpp_standalone only).")
    build_dir: str | None = Field(
        None,
        description=(
            "Where compiled builds are cached; default $PLASTICITY_BUILD_DIR or "
            "~/.cache/plasticity/builds."
        ),
    )
    cpu_target: str = Field(
        "native", pattern=r"^[A-Za-z0-9_.+-]{1,40}$",
        description=(
            "Instruction set the program is compiled for (gcc -march): 'native' "
            "(fastest; the build is then keyed on this CPU's flags) or a portable "
            "target such as 'x86-64-v2' for a build cache shared by nodes of different "
            "CPU generations."
        ),
    )

    @model_validator(mode="after")
    def _check_times(self) -> SimulationConfig:
        if float(self.warmup) >= float(self.duration):
            raise ValueError(
                f"warmup ({format_quantity(self.warmup)}) must be shorter than duration "
                f"({format_quantity(self.duration)})"
            )
        if float(self.dt) > 1e-3:
            raise ValueError(f"dt ({format_quantity(self.dt)}) must be at most 1 ms")
        return self


class RecordConfig(_Strict):
    """What is stored in the result file."""

    spikes: bool = Field(True, description="Store every spike (SONATA layout).")
    state_dt: Time = Field(
        "1 ms", description="Sampling interval of the population time series."
    )
    rate_bin: Time = Field("1 ms", description="Bin width of the population rate series.")


# --------------------------------------------------------------------------- #
# Neurons
# --------------------------------------------------------------------------- #
class PyramidalConfig(_Strict):
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


class InterneuronConfig(_Strict):
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


class DriveConfig(_Strict):
    """External Poisson drive: ``n_inputs`` independent inputs at ``rate`` each.

    Each input spike opens an AMPA conductance ``g_ampa`` on the soma.
    Defaults after Brunel & Wang (2001): 800 inputs at 3 Hz, with 1.62 nS
    onto interneurons (their value); 1.9 nS onto the two-compartment
    pyramidal cell and 1.35 nS onto SST cells were calibrated (docs/MODEL.md).
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


class ExternalConfig(_Strict):
    """External drive per population."""

    exc: DriveConfig = DriveConfig(g_ampa="1.9 nS")
    pv: DriveConfig = DriveConfig(g_ampa="1.62 nS")
    sst: DriveConfig = DriveConfig(g_ampa="1.35 nS")


class IafPscAlphaConfig(_Strict):
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


class NetworkConfig(_Strict):
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


# --------------------------------------------------------------------------- #
# Synapses
# --------------------------------------------------------------------------- #
class ExcitatoryPathway(_Strict):
    """Recurrent excitatory pathway (AMPA + NMDA; PSC ``psc`` for iaf_psc_alpha cells)."""

    p: Probability = 0.1
    g_ampa: Conductance = "0.1 nS"
    g_nmda: Conductance = "0.3 nS"
    psc: Current = Field("0 pA", description="PSC amplitude (cell_model iaf_psc_alpha), >= 0.")
    psp: Voltage = Field("0 mV", description="PSP jump (cell_model iaf_psc_delta), >= 0.")
    delay: TimeNonNeg = "1 ms"
    target: Literal["soma", "dendrite"] = "soma"

    @model_validator(mode="after")
    def _check_sign(self) -> ExcitatoryPathway:
        for key in ("psc", "psp"):
            if float(getattr(self, key)) < 0:
                raise ValueError(f"{key} ({format_quantity(getattr(self, key))}) of an "
                                 "excitatory pathway must be >= 0")
        return self


class InhibitoryPathway(_Strict):
    """Recurrent inhibitory pathway (GABA_A)."""

    p: Probability = 0.2
    g_gaba: Conductance = "1 nS"
    psc: Current = Field("0 pA", description="PSC amplitude (cell_model iaf_psc_alpha), <= 0.")
    psp: Voltage = Field("0 mV", description="PSP jump (cell_model iaf_psc_delta), <= 0.")
    delay: TimeNonNeg = "1 ms"
    target: Literal["soma", "dendrite"] = "soma"

    @model_validator(mode="after")
    def _check_sign(self) -> InhibitoryPathway:
        for key in ("psc", "psp"):
            if float(getattr(self, key)) > 0:
                raise ValueError(f"{key} ({format_quantity(getattr(self, key))}) of an "
                                 "inhibitory pathway must be <= 0 (inhibitory weights are "
                                 "negative, as in NEST)")
        return self


class SynapseConfig(_Strict):
    """Receptor kinetics and per-pathway connectivity and conductances.

    Kinetics from Brunel & Wang (2001) and Wang (2002): AMPA 2 ms; NMDA rise
    2 ms, decay 100 ms, alpha 0.5 /ms; GABA_A 10 ms (PV) and 20 ms (SST, the
    dendritic GABA_A time constant of Yang et al. 2016); [Mg2+]o 1 mM.
    """

    tau_ampa: Time = "2 ms"
    tau_nmda_rise: Time = "2 ms"
    tau_nmda_decay: Time = "100 ms"
    alpha_nmda: RatePos = "0.5 kHz"
    tau_gaba_pv: Time = "10 ms"
    tau_gaba_sst: Time = "20 ms"
    E_exc: Voltage = "0 mV"
    E_inh: Voltage = "-70 mV"
    Mg: Concentration = "1 mM"
    nmda_gating: Literal["exact", "event"] = Field(
        "exact",
        description=(
            "'exact': Wang (2002) rise/decay gating of every presynaptic neuron, summed "
            "over the actual synapses at each step. 'event': the event-driven "
            "approximation of NEST's iaf_bw_2001 (cost per spike only)."
        ),
    )
    # NMDA/AMPA: a single spike opens s to ~0.64 (NEST iaf_bw_2001 k0 for
    # alpha = 0.5/ms, tau_rise = 2 ms), so g_nmda/g_ampa = 0.4 on E->E gives a
    # unitary NMDA/AMPA peak ratio of 0.26 in 0 Mg2+, as measured in L2/3
    # pyramidal cells of rat PFC (27 +- 1 %, Myme et al. 2003, J Neurophysiol
    # 90:771). Fast-spiking (PV) cells have a weak NMDA component (Rotaru et
    # al. 2011, J Neurosci 31:142; most adult FS cells in rat PFC show none,
    # Wang & Gao 2009, Neuropsychopharmacology 34:2028): ratio 0.1. Regular-
    # and low-threshold-spiking (SST-like) interneurons keep pyramidal-like
    # ratios (Wang & Gao 2009): ratio 0.4. Probabilities and conductances were
    # calibrated for an asynchronous irregular baseline (docs/MODEL.md).
    exc_to_exc: ExcitatoryPathway = ExcitatoryPathway(
        p=0.1, g_ampa="0.5 nS", g_nmda="0.2 nS", target="dendrite"
    )
    exc_to_pv: ExcitatoryPathway = ExcitatoryPathway(p=0.2, g_ampa="1 nS", g_nmda="0.1 nS")
    exc_to_sst: ExcitatoryPathway = ExcitatoryPathway(p=0.2, g_ampa="0.3 nS", g_nmda="0.12 nS")
    pv_to_exc: InhibitoryPathway = InhibitoryPathway(p=0.4, g_gaba="3 nS")
    pv_to_pv: InhibitoryPathway = InhibitoryPathway(p=0.4, g_gaba="2 nS")
    pv_to_sst: InhibitoryPathway = InhibitoryPathway(p=0.2, g_gaba="1 nS")
    sst_to_exc: InhibitoryPathway = InhibitoryPathway(p=0.4, g_gaba="2 nS", target="dendrite")
    sst_to_pv: InhibitoryPathway = InhibitoryPathway(p=0.4, g_gaba="0.3 nS")
    sst_to_sst: InhibitoryPathway = InhibitoryPathway(p=0.0, g_gaba="0 nS")

    def pathway(self, name: str) -> ExcitatoryPathway | InhibitoryPathway:
        """The pathway called ``name`` (e.g. ``"exc_to_pv"``)."""
        return getattr(self, name)


# --------------------------------------------------------------------------- #
# Structural plasticity
# --------------------------------------------------------------------------- #
ELEMENTS = ("axon", "den_exc", "den_inh")


class ElementConfig(_Strict):
    """One synaptic element of a population and its growth curve.

    NEST's parameter names and meanings (``nestkernel/growth_curve.h``;
    docs/notes/nest_structural_plasticity_semantics.md): ``growth_rate``
    is nu, in elements per unit time; ``eps`` the calcium set point
    (0.01 per Hz with the default sensor); ``eta`` the minimum activity of
    the gaussian curve; ``psi`` the width of the sigmoid.
    """

    curve: Literal["linear", "gaussian", "sigmoid"] = "gaussian"
    growth_rate: Rate = Field("0.0001 /ms", description="nu: elements per unit time.")
    eps: float = Field(0.05, ge=0.0, le=1e6)
    eta: float = Field(0.0, ge=0.0, le=1e6)
    psi: float = Field(0.1, gt=0.0, le=1e6)
    z0: float = Field(0.0, ge=0.0, le=1e6, description="Initial free elements per neuron.")
    continuous: bool = True
    tau_vacant: float = Field(0.1, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _check_curve(self) -> ElementConfig:
        if self.curve == "gaussian" and not self.eps > self.eta:
            raise ValueError(f"gaussian curve needs eps > eta (got eps {self.eps:g}, "
                             f"eta {self.eta:g})")
        if self.curve == "linear" and not self.eps > 0:
            raise ValueError("linear curve needs eps > 0")
        return self


class StructuralConfig(_Strict):
    """Homeostatic structural plasticity (Butz & van Ooyen 2013, as in NEST).

    Every neuron of a population with elements carries a calcium sensor
    (``Ca += beta_ca`` per spike, decay ``tau_ca``; NEST defaults 10 s and
    0.001, so Ca = 0.01 per Hz) and synaptic elements that grow with it.
    Plastic pathways are rewired every ``update_interval`` by NEST's exact
    update, in compiled code. A plastic pathway pairs the source
    population's ``axon`` with the target's ``den_exc`` (excitatory
    sources) or ``den_inh`` (inhibitory sources). Synapses live in a pool
    of candidate pairs (``candidate_density`` of all pairs; 1 = any pair can
    connect, as in NEST); each candidate holds a synapse count, so
    multapses are allowed unless switched off.
    """

    enabled: bool = False
    pathways: list[Literal[
        "exc_to_exc", "exc_to_pv", "exc_to_sst", "pv_to_exc", "pv_to_pv", "pv_to_sst",
        "sst_to_exc", "sst_to_pv", "sst_to_sst",
    ]] = Field(default_factory=lambda: ["exc_to_exc"], max_length=9)
    update_interval: Time = "1 s"
    growth_dt: Time = Field(
        "1 ms",
        description="Step of the forward-Euler growth of the elements (NEST uses the "
        "resolution; elements change by at most nu * growth_dt per step).",
    )
    tau_ca: Time = "10 s"
    beta_ca: float = Field(0.001, gt=0.0, le=1e3)
    elements: dict[Literal["exc", "pv", "sst"], dict[Literal["axon", "den_exc", "den_inh"],
                                                     ElementConfig]] = Field(
        default_factory=lambda: {"exc": {"axon": ElementConfig(), "den_exc": ElementConfig()}}
    )
    candidate_density: float = Field(1.0, gt=0.0, le=1.0)
    autapses: bool = True
    multapses: bool = True
    initial: Literal["pathway", "empty"] = Field(
        "pathway",
        description="'pathway': start from the pathway's random connectivity (its p); "
        "'empty': start with no synapse on plastic pathways.",
    )
    snapshot_interval: Time | None = Field(
        None, description="Store the full edge list of plastic pathways this often."
    )

    @model_validator(mode="before")
    @classmethod
    def _merge_elements(cls, data: Any) -> Any:
        """Elements a user writes are added to (or override) the default ones."""
        if isinstance(data, Mapping) and isinstance(data.get("elements"), Mapping):
            default = {"exc": {"axon": {}, "den_exc": {}}}
            data = dict(data)
            data["elements"] = _deep_merge(default, data["elements"])
        return data

    @model_validator(mode="after")
    def _check_growth_dt(self) -> StructuralConfig:
        ratio = float(self.update_interval) / float(self.growth_dt)
        if ratio < 1 or not math.isclose(ratio, round(ratio), rel_tol=1e-9):
            raise ValueError(
                f"update_interval ({format_quantity(self.update_interval)}) must be a whole "
                f"multiple of growth_dt ({format_quantity(self.growth_dt)})"
            )
        return self

    @model_validator(mode="after")
    def _check_snapshots(self) -> StructuralConfig:
        if self.snapshot_interval is not None:
            ratio = float(self.snapshot_interval) / float(self.update_interval)
            if ratio < 1 or not math.isclose(ratio, round(ratio), rel_tol=1e-9):
                raise ValueError(
                    f"snapshot_interval ({format_quantity(self.snapshot_interval)}) must be a "
                    f"whole multiple of update_interval ({format_quantity(self.update_interval)})"
                )
        return self

    def element_pathways(self) -> dict[tuple[str, str], list[str]]:
        """``(population, element) -> plastic pathways that use it``."""
        out: dict[tuple[str, str], list[str]] = {}
        for pathway in self.pathways:
            src, _, tgt = pathway.partition("_to_")
            den = "den_exc" if src == "exc" else "den_inh"
            out.setdefault((src, "axon"), []).append(pathway)
            out.setdefault((tgt, den), []).append(pathway)
        return out


# --------------------------------------------------------------------------- #
# Infusion protocol and pharmacokinetics
# --------------------------------------------------------------------------- #
class InfusionConfig(_Strict):
    """One infusion: clinical start time, dose per body weight and duration.

    ``duration: 0 min`` is a bolus. Clinical doses are usually written as the
    hydrochloride salt (274.2 g/mol), which delivers 237.7/274.2 = 0.867 of
    its mass as ketamine base; ``salt: base`` doses the base itself.
    """

    start: ClinicalTime = Field(
        "0 min", description="Clinical time of the start (0 = protocol origin)."
    )
    dose: Dose = Field("0.5 mg/kg", description="Dose per body weight, e.g. '0.5 mg/kg'.")
    duration: ClinicalTimeNonNeg = Field("40 min", description="Infusion duration; 0 is a bolus.")
    salt: Literal["hydrochloride", "base"] = Field(
        "hydrochloride", description="Whether the dose is of ketamine hydrochloride or base."
    )
    route: Literal["iv"] = Field(
        "iv", description="Route; only intravenous ('iv') is implemented."
    )


class RepeatConfig(_Strict):
    """Repeat the listed infusions ``count`` times, ``every`` apart (e.g. 6 every 48 h)."""

    count: int = Field(1, ge=1, le=1000, strict=True)
    every: ClinicalTimePos = "48 h"


class PKParametersConfig(_Strict):
    """A linear mammillary PK model (``pk_model: custom``).

    Central volume per kg and first-order rate constants; leave a peripheral
    compartment's pair of rates at 0 to remove it.
    """

    v1: VolumePerMass = Field(description="Central volume per body weight, e.g. '0.063 L/kg'.")
    k10: RateNonNegAny = Field(description="Elimination rate, e.g. '0.4381 /min'.")
    k12: RateNonNegAny = "0 /min"
    k21: RateNonNegAny = "0 /min"
    k13: RateNonNegAny = "0 /min"
    k31: RateNonNegAny = "0 /min"
    ke0: RateNonNegAny | None = Field(None, description="Effect-site equilibration rate.")

    @model_validator(mode="after")
    def _check_pairs(self) -> PKParametersConfig:
        for a, b in (("k12", "k21"), ("k13", "k31")):
            if (float(getattr(self, a)) > 0) != (float(getattr(self, b)) > 0):
                raise ValueError(
                    f"{a} ({format_quantity(getattr(self, a))}) and {b} "
                    f"({format_quantity(getattr(self, b))}) must both be > 0 or both 0"
                )
        return self


def _doses_overlap(a: tuple, b: tuple) -> bool:
    """Two ``(start_s, dose, duration_s, salt)`` doses given at the same time.

    Infusions overlap when their open intervals intersect; a bolus overlaps
    an infusion strictly inside it or another bolus at the same time. A
    bolus at the start or end of an infusion (a loading dose) is allowed,
    as in :func:`plasticity.pharmacology.pk.check_no_overlap`.
    """
    (a0, _, da, _), (b0, _, db, _) = a, b
    if da == 0 and db == 0:
        return a0 == b0
    if da == 0 or db == 0:
        (t, _, _, _), (s0, _, ds, _) = (a, b) if da == 0 else (b, a)
        return s0 < t < s0 + ds
    return a0 < b0 + db and b0 < a0 + da


class ProtocolConfig(_Strict):
    """A ketamine treatment the way a clinic writes it, turned into C(t) by PK.

    Defaults: a 70 kg adult, the Domino et al. (1982) three-compartment model
    (see :mod:`plasticity.pharmacology.pk`), and the effect-site
    concentration (ke0 0.652 /min) driving the receptor block: the receptors
    sit in brain tissue, which follows plasma with that lag. ``plasma`` uses
    total plasma concentration; ``free_plasma`` multiplies it by
    ``free_fraction`` (ketamine is 23-47 % bound to plasma proteins [R];
    default 0.53).
    """

    weight: Mass = "70 kg"
    pk_model: Literal["domino", "kamp2020_summary", "custom"] = "domino"
    pk_parameters: PKParametersConfig | None = Field(
        None, description="Parameters of the 'custom' PK model."
    )
    concentration_at: Literal["effect_site", "plasma", "free_plasma"] = "effect_site"
    free_fraction: float = Field(0.53, gt=0.0, le=1.0)
    infusions: list[InfusionConfig] = Field(
        default_factory=lambda: [InfusionConfig()], min_length=1, max_length=10_000
    )
    repeat: RepeatConfig | None = None

    @model_validator(mode="after")
    def _check(self) -> ProtocolConfig:
        if self.pk_model == "custom" and self.pk_parameters is None:
            raise ValueError("pk_model 'custom' needs pk_parameters (v1, k10, ...)")
        if self.pk_model != "custom" and self.pk_parameters is not None:
            raise ValueError(
                f"pk_parameters are only used with pk_model 'custom' (got '{self.pk_model}')"
            )
        if self.concentration_at == "effect_site":
            no_ke0 = (
                self.pk_model == "kamp2020_summary"
                or (self.pk_parameters is not None and not self.pk_parameters.ke0)
            )
            if no_ke0:
                raise ValueError(
                    f"concentration_at 'effect_site' needs a ke0, which pk_model "
                    f"'{self.pk_model}' does not have; use 'plasma' or give pk_parameters.ke0"
                )
        doses = self.schedule()
        for i, a in enumerate(doses):
            for j in range(i + 1, len(doses)):
                b = doses[j]
                if b[0] >= a[0] + a[2] and b[0] > a[0]:
                    break  # sorted by start: no later dose can overlap a
                if _doses_overlap(a, b):
                    raise ValueError(
                        f"infusions overlap: dose {i + 1} runs from {a[0] / 60:g} to "
                        f"{(a[0] + a[2]) / 60:g} min and dose {j + 1} from {b[0] / 60:g} to "
                        f"{(b[0] + b[2]) / 60:g} min; expected doses one after another (a "
                        "bolus may start or end an infusion)"
                    )
        return self

    def schedule(self) -> list[tuple[float, float, float, str]]:
        """Every dose as ``(start_s, mg_per_kg, duration_s, salt)``, sorted by start."""
        every = float(self.repeat.every) if self.repeat else 0.0
        count = self.repeat.count if self.repeat else 1
        doses = [
            (float(inf.start) + k * every, float(inf.dose), float(inf.duration), inf.salt)
            for k in range(count)
            for inf in self.infusions
        ]
        return sorted(doses, key=lambda d: d[0])


# --------------------------------------------------------------------------- #
# Clinical time versus network time
# --------------------------------------------------------------------------- #
class StimulusConfig(_Strict):
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


class TimelineConfig(_Strict):
    """How the network samples clinical time (see README, "Clinical time").

    The experiment is a sequence of segments, each one run of the compiled
    network lasting ``simulation.duration``:

    ``real_time``
        One segment starting at clinical time ``start``: network time is
        clinical time.
    ``compressed``
        Consecutive segments cover ``start`` to ``end``; one simulated second
        stands for ``compression`` of clinical time (e.g. '1 h').
    ``windows``
        Short real-time segments starting at the clinical times ``windows``.
    """

    mode: Literal["real_time", "compressed", "windows"] = "real_time"
    start: ClinicalTime = Field("0 s", description="Clinical time at which the experiment starts.")
    end: ClinicalTime | None = Field(None, description="Clinical end time (compressed mode).")
    compression: ClinicalTimePos | None = Field(
        None, description="Clinical time per simulated second (compressed mode), e.g. '1 h'."
    )
    windows: list[ClinicalTime] = Field(
        default_factory=list, max_length=100_000,
        description="Clinical start time of each window (windows mode).",
    )

    @model_validator(mode="after")
    def _check(self) -> TimelineConfig:
        if self.mode == "compressed":
            if self.end is None or self.compression is None:
                raise ValueError("mode 'compressed' needs both 'end' and 'compression'")
            if float(self.end) <= float(self.start):
                raise ValueError(
                    f"end ({format_quantity(self.end)}) must be after start "
                    f"({format_quantity(self.start)})"
                )
            if float(self.compression) < 1.0:
                raise ValueError(
                    f"compression ({format_quantity(self.compression)}) must be at least 1 s "
                    "of clinical time per simulated second"
                )
        elif self.end is not None or self.compression is not None:
            raise ValueError(f"'end' and 'compression' are only used with mode 'compressed' "
                             f"(mode is '{self.mode}')")
        if self.mode == "windows":
            if not self.windows:
                raise ValueError("mode 'windows' needs a non-empty list 'windows'")
            starts = [float(w) for w in self.windows]
            if any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
                raise ValueError("windows must be in increasing clinical time")
        elif self.windows:
            raise ValueError(f"'windows' is only used with mode 'windows' (mode is '{self.mode}')")
        return self


# --------------------------------------------------------------------------- #
# Pharmacology
# --------------------------------------------------------------------------- #
class ReceptorBlockConfig(_Strict):
    """Ketamine block of the NMDA receptors of one pathway.

    Fraction blocked b = C^n / (C^n + K(V)^n) with the Woodhull (1973) form
    K(V) = IC50 * exp(delta * F * (V - V_ref) / (R * T)); with
    ``block_model: hill`` the voltage term is dropped and K = IC50. With
    ``block_model: kinetic`` the block is use-dependent (``k_on``,
    ``trapping``; see :mod:`plasticity.pharmacology.block`).
    """

    ic50: ConcentrationPos
    hill: float = Field(1.0, gt=0.0, le=10.0)
    delta: float = Field(0.8, ge=0.0, le=1.0)
    v_ref: Voltage = "-66 mV"
    blocked: bool = Field(True, description="False: this pathway is not blocked at all.")
    k_on: RatePerConcentration = Field(
        "0.1444 /uM/ms",
        description="Association rate with an open channel (kinetic block; Orser et al. 1997).",
    )
    trapping: float = Field(
        1.0, ge=0.0, le=1.0,
        description="Fraction of bound ketamine trapped when the channel closes (kinetic block; "
        "ketamine traps fully, Kotermanski et al. 2009).",
    )


class ReceptorOverride(_Strict):
    """Values replacing those of the hypothesis preset for one pathway."""

    ic50: ConcentrationPos | None = None
    hill: float | None = Field(None, gt=0.0, le=10.0)
    delta: float | None = Field(None, ge=0.0, le=1.0)
    v_ref: Voltage | None = None
    blocked: bool | None = None
    k_on: RatePerConcentration | None = None
    trapping: float | None = Field(None, ge=0.0, le=1.0)


class PharmacologyConfig(_Strict):
    """Drug concentration and receptor block.

    ``ketamine_uM`` is the free ketamine concentration at the receptors in
    micromolar (constant here; a time course is an input of the compiled
    network). ``hypothesis`` names a cited parameter set for which receptors
    ketamine blocks most (see :mod:`plasticity.pharmacology.block`); entries in
    ``receptors`` override single values of that set.
    """

    ketamine_uM: float = Field(0.0, ge=0.0, le=10_000.0)
    block_model: Literal["woodhull", "hill", "kinetic"] = Field(
        "woodhull",
        description=(
            "'woodhull': voltage-dependent block at equilibrium with the concentration; "
            "'hill': the same without voltage dependence; 'kinetic': use-dependent trapping "
            "open-channel block whose equilibrium is the Woodhull curve."
        ),
    )
    hypothesis: Literal[
        "glun2cd_interneurons",
        "equal_affinity",
        "exc_only",
        "interneurons_only",
        "glun2b_interneurons",
    ] = "glun2cd_interneurons"
    temperature_C: float = Field(35.0, ge=0.0, le=45.0)
    trace_dt: Time = Field(
        "10 ms", description="Sampling interval of the concentration input to the network."
    )
    receptors: dict[Literal["exc_to_exc", "exc_to_pv", "exc_to_sst"], ReceptorOverride] = Field(
        default_factory=dict,
        description="Per-pathway values that replace those of the hypothesis preset.",
    )
    protocol: ProtocolConfig | None = Field(
        None,
        description="Infusion protocol; the concentration then follows pharmacokinetics "
        "over the timeline instead of the constant ketamine_uM.",
    )

    @model_validator(mode="after")
    def _check_source(self) -> PharmacologyConfig:
        if self.protocol is not None and self.ketamine_uM > 0:
            raise ValueError(
                f"set either ketamine_uM ({self.ketamine_uM:g}) or protocol, not both: with a "
                "protocol the concentration follows pharmacokinetics"
            )
        return self

    def resolved_receptors(self) -> dict[str, ReceptorBlockConfig]:
        """Per-pathway block parameters: the hypothesis preset plus overrides."""
        from .pharmacology.block import HYPOTHESES

        preset = HYPOTHESES[self.hypothesis]
        out = {}
        for name in EXCITATORY_PATHWAYS:
            values = dict(preset[name])
            override = self.receptors.get(name)
            if override is not None:
                values.update(override.model_dump(exclude_none=True))
            out[name] = ReceptorBlockConfig(**values)
        return out

    @model_validator(mode="after")
    def _check_kinetic(self) -> PharmacologyConfig:
        if self.block_model == "kinetic":
            for name, receptor in self.resolved_receptors().items():
                if receptor.hill != 1.0:
                    raise ValueError(
                        f"receptors.{name}.hill ({receptor.hill:g}) must be 1 with "
                        "block_model 'kinetic' (one binding site per channel)"
                    )
        return self


class Config(_Strict):
    """A whole experiment: one network, run over one or more timeline segments."""

    name: str = Field("experiment", min_length=1, max_length=200)
    seed: int = Field(
        1, ge=0, le=2**31 - 1, strict=True, description="Fixes every random number of the run."
    )
    simulation: SimulationConfig = SimulationConfig()
    record: RecordConfig = RecordConfig()
    network: NetworkConfig = NetworkConfig()
    synapses: SynapseConfig = SynapseConfig()
    pharmacology: PharmacologyConfig = PharmacologyConfig()
    timeline: TimelineConfig = TimelineConfig()
    structural: StructuralConfig = StructuralConfig()
    stimulation: list[StimulusConfig] = Field(
        default_factory=list, max_length=16,
        description="Extra external drive to groups of cells in time windows.",
    )
    sweep: dict[str, Any] | None = Field(
        None,
        description="A parameter sweep over this config (plasticity.sweep): used by "
                    "'plasticity sweep', ignored by 'plasticity run'.",
    )

    @model_validator(mode="after")
    def _check_stimulation(self) -> Config:
        fractions: dict[str, float] = {}
        for k, stim in enumerate(self.stimulation):
            n = self.network.size(stim.population)
            if n == 0:
                raise ValueError(f"stimulation[{k}].population is '{stim.population}' but "
                                 f"network.n_{stim.population} is 0")
            if round(stim.fraction * n) == 0:
                raise ValueError(f"stimulation[{k}].fraction ({stim.fraction}) of the {n} "
                                 f"{stim.population} cells is no cell")
            if float(stim.start) >= float(self.simulation.duration):
                raise ValueError(
                    f"stimulation[{k}].start ({format_quantity(stim.start)}) is not before "
                    f"the end of the run (simulation.duration "
                    f"{format_quantity(self.simulation.duration)})")
            first = fractions.setdefault(stim.population, stim.fraction)
            if first != stim.fraction:
                raise ValueError(
                    f"stimulation[{k}].fraction ({stim.fraction}) differs from an earlier "
                    f"stimulus of {stim.population} ({first}): stimuli of one population "
                    "must stimulate the same cells")
        return self

    @model_validator(mode="after")
    def _check_timeline(self) -> Config:
        if self.timeline.mode == "compressed":
            span = float(self.timeline.end) - float(self.timeline.start)
            network_s = span / float(self.timeline.compression)
            n = math.ceil(network_s / float(self.simulation.duration) - 1e-9)
            if n > 100_000:
                raise ValueError(
                    f"timeline: {n} segments of simulation.duration "
                    f"({format_quantity(self.simulation.duration)}); at most 100000: raise "
                    "timeline.compression or simulation.duration"
                )
        if self.timeline.mode == "windows":
            starts = [float(w) for w in self.timeline.windows]
            dur = float(self.simulation.duration)
            if any(b < a + dur for a, b in zip(starts, starts[1:], strict=False)):
                raise ValueError(
                    "timeline.windows overlap: windows must be at least simulation.duration "
                    f"({format_quantity(self.simulation.duration)}) apart"
                )
        return self

    @model_validator(mode="after")
    def _check_cell_model(self) -> Config:
        model = self.network.cell_model
        if model != "conductance" and (
            self.pharmacology.ketamine_uM > 0 or self.pharmacology.protocol is not None
        ):
            raise ValueError(
                f"network.cell_model '{model}' has no NMDA receptors, so ketamine has "
                "nothing to block: use cell_model 'conductance' with pharmacology"
            )
        return self

    @model_validator(mode="after")
    def _check_structural(self) -> Config:
        sp = self.structural
        if not sp.enabled:
            return self
        for (pop, element), users in sp.element_pathways().items():
            if element not in sp.elements.get(pop, {}):
                raise ValueError(
                    f"structural.elements.{pop}.{element} is missing: pathway {users[0]} is "
                    f"plastic, so {pop} cells need that element"
                )
        for pathway in sp.pathways:
            src, _, tgt = pathway.partition("_to_")
            for pop in (src, tgt):
                if self.network.size(pop) == 0:
                    raise ValueError(
                        f"structural.pathways: {pathway} is plastic but network.n_{pop} is 0"
                    )
        kinds: dict[bool, tuple[set[str], set[str]]] = {True: (set(), set()),
                                                         False: (set(), set())}
        for pathway in sp.pathways:
            src, _, tgt = pathway.partition("_to_")
            kinds[src == "exc"][0].add(src)
            kinds[src == "exc"][1].add(tgt)
        for srcs, tgts in kinds.values():
            for src in sorted(srcs):
                for tgt in sorted(tgts):
                    if f"{src}_to_{tgt}" not in sp.pathways:
                        raise ValueError(
                            f"structural.pathways: elements pair freely, so with sources "
                            f"{sorted(srcs)} and targets {sorted(tgts)} the pathway "
                            f"{src}_to_{tgt} must be plastic too"
                        )
        ratio = float(sp.growth_dt) / float(self.simulation.dt)
        if not math.isclose(ratio, round(ratio), rel_tol=1e-9) or ratio < 1:
            raise ValueError(
                f"structural.growth_dt ({format_quantity(sp.growth_dt)}) must be a whole "
                f"multiple of simulation.dt ({format_quantity(self.simulation.dt)})"
            )
        if self.simulation.device != "cpp_standalone":
            raise ValueError(
                "structural plasticity runs in compiled code only: set simulation.device to "
                f"'cpp_standalone' (got '{self.simulation.device}')"
            )
        if self.timeline.mode == "windows":
            raise ValueError(
                "structural plasticity over a 'windows' timeline: synapses would not change "
                "in the clinical time between windows; use timeline.mode 'compressed' (every "
                "segment goes on from the synapses the one before left) or 'real_time'"
            )
        conductance = self.network.cell_model == "conductance"
        if conductance and any(p.startswith("exc_") for p in sp.pathways):
            if self.synapses.nmda_gating != "event":
                raise ValueError(
                    "structural plasticity of excitatory pathways needs synapses.nmda_gating "
                    "'event' (per-spike NMDA gating; 'exact' gating sums over every candidate "
                    "synapse at every step)"
                )
        return self

    @model_validator(mode="after")
    def _check_record(self) -> Config:
        dt = float(self.simulation.dt)
        for key in ("state_dt", "rate_bin"):
            value = float(getattr(self.record, key))
            if value < dt or not math.isclose(value / dt, round(value / dt), rel_tol=1e-6):
                raise ValueError(
                    f"record.{key} ({format_quantity(getattr(self.record, key))}) must be a "
                    f"whole multiple of simulation.dt ({format_quantity(self.simulation.dt)})"
                )
        return self


# --------------------------------------------------------------------------- #
# Loading, overriding, dumping
# --------------------------------------------------------------------------- #
def _format_loc(loc: Iterable[Any]) -> str:
    return ".".join(str(x) for x in loc if not str(x).startswith("function-"))


def _format_errors(err: ValidationError) -> list[str]:
    lines = []
    for e in err.errors(include_url=False):
        loc = _format_loc(e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        value = e.get("input")
        if e["type"] == "extra_forbidden":
            lines.append(f"{loc}: unknown key (value {value!r}); check the spelling")
            continue
        if e["type"] == "missing":
            lines.append(f"{loc}: required key is missing")
            continue
        shown = "" if isinstance(value, dict) else f" (got {value!r})"
        where = f"{loc}: " if loc else ""
        lines.append(f"{where}{msg}{shown}")
    # one problem, one line: a key or message with a newline is escaped
    return [line.replace("\n", "\\n") for line in lines]


def _parse_override(text: str) -> tuple[list[str], Any]:
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError([f"override {text!r}: expected KEY=VALUE with a dotted key"])
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key.split("."), value


def set_value(data: dict[str, Any], key: str, value: Any) -> None:
    """Set the dotted ``key`` of a raw config mapping in place.

    ``"network.n_exc"`` names a value in a section; a number names an item
    of a list, e.g. ``"stimulation.0.rate_factor"``.
    """
    path = key.split(".")
    if any(not part for part in path):
        raise ConfigError([f"{key!r}: expected a dotted key such as 'network.n_exc'"])
    node: Any = data
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError([f"{key}: {'.'.join(path[:i]) or 'the config'} is a list of "
                                   f"{len(node)} items; {part!r} is not an index of it"])
            if last:
                node[int(part)] = value
                return
            node = node[int(part)]
            continue
        if not isinstance(node, dict):
            raise ConfigError([f"{key}: {'.'.join(path[:i])} is a value, not a section"])
        if last:
            node[part] = value
            return
        if node.get(part) is None:
            node[part] = {}
        node = node[part]


def apply_overrides(data: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``KEY=VALUE`` overrides with dotted keys to a raw config mapping.

    Values are read as YAML scalars (``400`` is a number, ``"0.5 nS"`` a
    string). Unknown keys are caught later by validation.
    """
    data = copy.deepcopy(data)
    for text in overrides:
        path, value = _parse_override(text)
        node = data
        for i, part in enumerate(path[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                where = ".".join(path[: i + 1])
                raise ConfigError([f"override {text!r}: {where} is a value, not a section"])
            node = child
        node[path[-1]] = value
    return data


def load_config(
    source: str | Path | Mapping[str, Any] | None = None,
    overrides: Iterable[str] = (),
) -> Config:
    """Read, override and validate an experiment config.

    Parameters
    ----------
    source : path or mapping, optional
        A YAML file, an already-parsed mapping, or None for all defaults.
    overrides : iterable of str
        ``KEY=VALUE`` strings with dotted keys, e.g. ``"network.n_exc=400"``.

    Returns
    -------
    Config
        The validated configuration.

    Raises
    ------
    ConfigError
        With one line per problem, naming key, value and expectation.
    """
    origin = None
    if source is None:
        data: Any = {}
    elif isinstance(source, Mapping):
        data = dict(source)
    else:
        origin = str(source)
        path = Path(source)
        if not path.is_file():
            raise ConfigError([f"no config file at '{path}'"])
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(err, "problem", None) or "invalid YAML"
            raise ConfigError([f"not valid YAML{where}: {problem}"], origin) from None
        except UnicodeDecodeError:
            raise ConfigError(["not a text file"], origin) from None
    if not isinstance(data, dict):
        raise ConfigError(
            [f"the top level must be a mapping of keys, got {type(data).__name__}"], origin
        )
    data = apply_overrides(data, overrides)
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_errors(err), origin) from None


def dump_config(config: Config) -> str:
    """The fully resolved config as YAML text (every default written out)."""
    data = config.model_dump(mode="json")
    return yaml.safe_dump(data, sort_keys=False)

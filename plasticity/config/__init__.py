"""Experiment configuration: YAML files validated before anything runs.

A config is a YAML mapping checked against the schema of this package
(pydantic, unknown keys forbidden), one module per section: ``simulation``
and ``record`` (:mod:`~plasticity.config.simulation`), ``network`` and
``stimulation`` (:mod:`~plasticity.config.network`), ``synapses``,
``pharmacology``, ``structural``, ``signalling``, ``scaling``, ``timeline``; the
whole config and the rules across sections are in :mod:`~plasticity.config.experiment`, reading
and ``--set`` overrides in :mod:`~plasticity.config.loading`. Quantities
carry their units as text (``"5 ms"``, ``"0.5 nS"``, ``"1 uM"``); the few
unit-suffixed keys (``ketamine_uM``) say their unit in their name. Every
problem is reported as one line naming the key path, the value found and
what was expected.

Defaults and their sources are given in each section's docstrings and in
docs/MODEL.md, where the calibration is recorded.
"""

from plasticity.config.experiment import Config
from plasticity.config.loading import (
    apply_overrides,
    dump_config,
    format_errors,
    load_config,
    set_value,
)
from plasticity.config.network import (
    POPULATIONS,
    DriveConfig,
    ExternalConfig,
    IafPscAlphaConfig,
    InterneuronConfig,
    NetworkConfig,
    PyramidalConfig,
    StimulusConfig,
)
from plasticity.config.pharmacology import (
    HNKActionConfig,
    IndividualPKConfig,
    InfusionConfig,
    MetabolitesConfig,
    PharmacologyConfig,
    PKParametersConfig,
    ProtocolConfig,
    ReceptorBlockConfig,
    ReceptorOverride,
    RepeatConfig,
)
from plasticity.config.scaling import ScalingConfig
from plasticity.config.signalling import FilterConfig, KnockoutConfig, SignallingConfig
from plasticity.config.simulation import RecordConfig, SimulationConfig
from plasticity.config.structural import (
    ELEMENTS,
    ElementConfig,
    FormationCourseConfig,
    SensorConfig,
    StructuralConfig,
    TurnoverConfig,
)
from plasticity.config.synapses import (
    EXCITATORY_PATHWAYS,
    INHIBITORY_PATHWAYS,
    ExcitatoryPathway,
    InhibitoryPathway,
    SynapseConfig,
    split_pathway,
)
from plasticity.config.timeline import TimelineConfig
from plasticity.config.treatment import ExposureLimitsConfig, TreatmentConfig
from plasticity.config.types import format_clinical_time
from plasticity.errors import ConfigError

__all__ = [
    "ELEMENTS",
    "EXCITATORY_PATHWAYS",
    "INHIBITORY_PATHWAYS",
    "POPULATIONS",
    "Config",
    "ConfigError",
    "DriveConfig",
    "ElementConfig",
    "ExposureLimitsConfig",
    "FormationCourseConfig",
    "ExcitatoryPathway",
    "ExternalConfig",
    "IafPscAlphaConfig",
    "InfusionConfig",
    "InhibitoryPathway",
    "InterneuronConfig",
    "NetworkConfig",
    "PKParametersConfig",
    "PharmacologyConfig",
    "ProtocolConfig",
    "PyramidalConfig",
    "ReceptorBlockConfig",
    "ReceptorOverride",
    "RecordConfig",
    "RepeatConfig",
    "FilterConfig",
    "HNKActionConfig",
    "KnockoutConfig",
    "IndividualPKConfig",
    "MetabolitesConfig",
    "ScalingConfig",
    "SensorConfig",
    "SignallingConfig",
    "SimulationConfig",
    "StimulusConfig",
    "StructuralConfig",
    "SynapseConfig",
    "TimelineConfig",
    "TreatmentConfig",
    "TurnoverConfig",
    "apply_overrides",
    "dump_config",
    "format_clinical_time",
    "format_errors",
    "load_config",
    "set_value",
    "split_pathway",
]

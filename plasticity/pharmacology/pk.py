"""Ketamine pharmacokinetics: exact solution of linear mammillary models.

The body is a central compartment (plasma, volume V1) exchanging drug with
zero, one or two peripheral compartments, with first-order elimination from
the central one (Gibaldi & Perrier 1982, *Pharmacokinetics*, 2nd ed.).
With amounts ``x`` in mg of ketamine base::

    dx1/dt = -(k10 + k12 + k13) x1 + k21 x2 + k31 x3 + R(t)
    dx2/dt = k12 x1 - k21 x2
    dx3/dt = k13 x1 - k31 x3

and plasma concentration C1 = x1 / V1. An optional effect site follows
dCe/dt = ke0 (C1 - Ce) (Sheiner et al. 1979, Clin Pharmacol Ther 25:358).

Dosing is piecewise constant: zero-order infusions switch on and off at known
times and a bolus adds an amount to x1 instantly. Between two such breakpoints
the system is linear with constant input, so it is solved exactly with one
matrix exponential of the augmented matrix ``[[A, b], [0, 0]]`` (Van Loan
1978, IEEE Trans Autom Control 23:395), never with a fixed time step. The
cumulative amount eliminated, d(elim)/dt = k10 x1, rides along in the same
linear system so that mass balance can be checked.

Parameter sets (:data:`PK_SETS`)
--------------------------------
``domino`` (default)
    Domino et al. 1982 (PMID 7198883) three-compartment model as
    distributed by opentiva (``ketamine.py``):
    V1 = 0.063 L/kg; k10 = 0.4381, k12 = 0.5921, k13 = 0.5900, k21 = 0.2470,
    k31 = 0.0146 /min; ke0 = 0.652 /min (opentiva's estimate). Derived:
    half-lives 0.40, 4.6 and 115 min; CL 27.6 mL/kg/min; Vss 2.76 L/kg
    (reference science.md section 4.1).
``kamp2020_summary``
    A ONE-compartment reduction of the population totals of Kamp et al. 2020
    (Anesthesiology 133:1192): Vd 252 L and CL 79 L/h per 70 kg. Their
    published model has one central and two peripheral compartments plus
    venous delay compartments; this set is not that model, only a summary
    with the same total volume and clearance (t1/2 = ln2 * 252/79 h, about
    2.2 h). It has no effect site.

Metabolites (:class:`MetaboliteParameters`, optional)
-----------------------------------------------------
Ketamine is almost completely metabolised. A share of the eliminated
ketamine becomes norketamine (NK), and a share of the eliminated NK becomes
hydroxynorketamine (HNK), each cleared first-order, in micromoles::

    dNK/dt  = f_NK k10 x1 / M_ket - k_NK NK
    dHNK/dt = f_HNK k_NK NK - k_HNK HNK

with the HNK concentration HNK / (V_HNK W). The two rows ride along in the
same augmented matrix, so the metabolites are as exact as the parent. The
defaults (``METABOLITES_DEFAULT``) and their sources are in
:class:`MetaboliteParameters`.

Units: amounts in mg of base, V1 in L (``v1_l_per_kg * weight_kg``), so
mg/L = ug/mL and ng/mL = 1000 mg/L. With a molar mass of 237.7 g/mol,
1 uM = 237.7 ng/mL.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.linalg import expm
from scipy.optimize import minimize_scalar

__all__ = [
    "DEFAULT_PK_SET",
    "METABOLITES_DEFAULT",
    "MOLAR_MASS_BASE",
    "MOLAR_MASS_HCL",
    "MOLAR_MASS_HNK",
    "MetaboliteParameters",
    "PK_SETS",
    "Infusion",
    "individual_parameters",
    "PKParameters",
    "PKResult",
    "base_fraction",
    "check_no_overlap",
    "intervals_overlap",
    "clearance_ml_per_kg_min",
    "disposition_matrix",
    "half_lives_min",
    "ng_per_ml_to_uM",
    "pk_summary",
    "repeat_schedule",
    "simulate_pk",
    "terminal_half_life_min",
    "vss_l_per_kg",
]

#: Molar mass of ketamine free base, C13H16ClNO (g/mol).
MOLAR_MASS_BASE = 237.7
#: Molar mass of ketamine hydrochloride, base + HCl 36.46 g/mol (science.md: 274 g/mol).
MOLAR_MASS_HCL = 274.2

#: Molar mass of hydroxynorketamine, C12H14ClNO2 (g/mol).
MOLAR_MASS_HNK = 239.7
SALTS = ("hydrochloride", "base")
ROUTES = ("iv",)


# --------------------------------------------------------------------------- #
# Parameters
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class PKParameters:
    """A linear mammillary model: central compartment and up to two peripherals.

    Parameters
    ----------
    name : str
        Short identifier of the set.
    v1_l_per_kg : float
        Central volume per kg body weight (L/kg), > 0.
    k10, k12, k13, k21, k31 : float
        Micro rate constants (1/min), >= 0. ``k12 = k21 = 0`` removes
        peripheral compartment 2 and ``k13 = k31 = 0`` removes compartment 3.
    ke0 : float or None
        Effect-site equilibration rate (1/min), > 0, or None for no effect site.
    source : str
        Citation of the values.

    Raises
    ------
    ValueError
        If a value is out of range; the message names the field, the value
        and what was expected.
    """

    name: str
    v1_l_per_kg: float
    k10: float
    k12: float
    k13: float
    k21: float
    k31: float
    ke0: float | None
    source: str

    def __post_init__(self) -> None:
        _check_finite(self, "v1_l_per_kg", "a central volume > 0 (L/kg)", strict=True)
        for rate in ("k10", "k12", "k13", "k21", "k31"):
            _check_finite(self, rate, "a rate constant >= 0 (1/min)", strict=False)
        if self.ke0 is not None:
            _check_finite(self, "ke0", "None or an equilibration rate > 0 (1/min)", strict=True)
        for out_rate, back_rate in (("k12", "k21"), ("k13", "k31")):
            out_value, back_value = getattr(self, out_rate), getattr(self, back_rate)
            if (out_value > 0) != (back_value > 0):
                raise ValueError(
                    f"PKParameters {self.name!r}: {out_rate} = {out_value!r} but "
                    f"{back_rate} = {back_value!r}; expected both > 0 (a peripheral "
                    "compartment) or both 0 (no such compartment)"
                )

    @property
    def compartments(self) -> tuple[str, ...]:
        """Names of the compartments present, central first."""
        names = ["central"]
        if self.k12 > 0:
            names.append("peripheral_2")
        if self.k13 > 0:
            names.append("peripheral_3")
        return tuple(names)

    @property
    def has_effect_site(self) -> bool:
        """Whether an effect-site rate ``ke0`` is set."""
        return self.ke0 is not None


def individual_parameters(params: PKParameters, *, clearance: float = 1.0,
                          v_central: float = 1.0, v_peripheral: float = 1.0,
                          intercompartmental: float = 1.0) -> PKParameters:
    """One patient's parameters: a set's clearance and volumes times individual factors.

    Population PK models give each patient ``P_i = P_typical * exp(eta_i)``
    for clearance CL, central volume V1, peripheral volumes V2, V3 and the
    intercompartmental clearances Q2, Q3 (e.g. Herd & Anderson 2007, Paediatr
    Anaesth 17:622, for ketamine). In micro-constants (``CL = k10 V1``,
    ``Q2 = k12 V1 = k21 V2``, the same for compartment 3) the factors give::

        V1' = a V1,  k10' = k10 c / a,  k12' = k12 q / a,  k21' = k21 q / b

    with ``a`` = ``v_central``, ``c`` = ``clearance``, ``b`` =
    ``v_peripheral`` and ``q`` = ``intercompartmental`` (both peripheral
    compartments alike). ``ke0`` is kept.

    Parameters
    ----------
    params : PKParameters
        The typical (population) set.
    clearance, v_central, v_peripheral, intercompartmental : float
        Individual factors, > 0 (1: the typical patient).

    Returns
    -------
    PKParameters
        ``params`` itself when every factor is 1.
    """
    factors = {"clearance": clearance, "v_central": v_central, "v_peripheral": v_peripheral,
               "intercompartmental": intercompartmental}
    for name, value in factors.items():
        if not (_is_real(value) and math.isfinite(value) and value > 0):
            raise ValueError(f"individual_parameters: {name} = {value!r}: expected a factor > 0")
    if all(v == 1.0 for v in factors.values()):
        return params
    a, c, b, q = v_central, clearance, v_peripheral, intercompartmental
    return replace(
        params,
        name=f"{params.name} (individual: CL x{c:.4g}, V1 x{a:.4g}, V2/V3 x{b:.4g}, "
             f"Q x{q:.4g})",
        v1_l_per_kg=params.v1_l_per_kg * a, k10=params.k10 * c / a,
        k12=params.k12 * q / a, k13=params.k13 * q / a,
        k21=params.k21 * q / b, k31=params.k31 * q / b)


@dataclass(frozen=True)
class MetaboliteParameters:
    """Norketamine and hydroxynorketamine formed from the eliminated ketamine.

    Parameters
    ----------
    nk_fraction : float
        Share of the eliminated ketamine (molar) that becomes norketamine, in
        [0, 1]. About 80 % (Mion & Villevieille 2013, CNS Neurosci Ther
        19:370, read in a secondary source; docs/notes/ketamine_pathways_parameters.md 7a).
    nk_k_per_min : float
        First-order elimination rate of norketamine (1/min), > 0.
    hnk_fraction : float
        Share of the eliminated norketamine that becomes HNK, in [0, 1]; 0.1875
        makes 15 % of the dose HNK (same source: "about 15 %"; HNK forms from
        NK, Desta et al. 2012, Xenobiotica 42:1076).
    hnk_v_l_per_kg : float
        Volume of HNK per body weight (L/kg), > 0.
    hnk_k_per_min : float
        First-order elimination rate of HNK (1/min), > 0.

    Raises
    ------
    ValueError
        If a value is out of range (the message names it).
    """

    nk_fraction: float
    nk_k_per_min: float
    hnk_fraction: float
    hnk_v_l_per_kg: float
    hnk_k_per_min: float

    def __post_init__(self) -> None:
        for name in ("nk_fraction", "hnk_fraction"):
            value = getattr(self, name)
            if not (_is_real(value) and 0.0 <= value <= 1.0):
                raise ValueError(f"MetaboliteParameters {name} = {value!r}: expected a share "
                                 "in [0, 1]")
        for name in ("nk_k_per_min", "hnk_v_l_per_kg", "hnk_k_per_min"):
            _check_finite(self, name, "a value > 0", strict=True)


def _is_real(value: object) -> bool:
    """Whether ``value`` is a real number (int, float or numpy scalar), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _check_finite(obj: object, name: str, expected: str, strict: bool) -> None:
    """Raise ValueError unless ``obj.name`` is finite and > 0 (strict) or >= 0."""
    value = getattr(obj, name)
    ok = _is_real(value) and math.isfinite(value)
    ok = ok and (value > 0 if strict else value >= 0)
    if not ok:
        raise ValueError(f"{type(obj).__name__}.{name} = {value!r}: expected {expected}")


#: Defaults: NK t1/2 5 h (our choice; unverified, docs/notes 7b), HNK cleared at 5 L/h
#: per 70 kg in a volume of 100 L per 70 kg (t1/2 13.9 h): the clearance follows from
#: the HNK/ketamine AUC ratios after IV ketamine (1.7 and 3.1 for S and R, Anesthesiology
#: 135:326, 2021) with 15 % of the dose as HNK and ketamine's 79 L/h (Kamp et al. 2020);
#: the volume is our choice (only the clearance is constrained).
METABOLITES_DEFAULT = MetaboliteParameters(
    nk_fraction=0.8, nk_k_per_min=math.log(2) / 300.0, hnk_fraction=0.1875,
    hnk_v_l_per_kg=100.0 / 70.0, hnk_k_per_min=(5.0 / 100.0) / 60.0)


_KAMP_V_L_PER_KG = 252.0 / 70.0
_KAMP_CL_L_PER_MIN_PER_KG = 79.0 / 60.0 / 70.0

#: Named parameter sets; see the module docstring for sources.
PK_SETS: dict[str, PKParameters] = {
    "domino": PKParameters(
        name="domino",
        v1_l_per_kg=0.063,
        k10=0.4381,
        k12=0.5921,
        k13=0.5900,
        k21=0.2470,
        k31=0.0146,
        ke0=0.652,
        source=(
            "Domino EF et al. 1982, ketamine three-compartment model (PMID 7198883), "
            "as distributed by opentiva ketamine.py; ke0 = 0.652/min is opentiva's estimate"
        ),
    ),
    "kamp2020_summary": PKParameters(
        name="kamp2020_summary",
        v1_l_per_kg=_KAMP_V_L_PER_KG,
        k10=_KAMP_CL_L_PER_MIN_PER_KG / _KAMP_V_L_PER_KG,
        k12=0.0,
        k13=0.0,
        k21=0.0,
        k31=0.0,
        ke0=None,
        source=(
            "One-compartment reduction of Kamp J et al. 2020, Anesthesiology 133:1192 "
            "population totals (Vd 252 L, CL 79 L/h per 70 kg); not their full model"
        ),
    ),
}
DEFAULT_PK_SET = "domino"


# --------------------------------------------------------------------------- #
# Derived quantities
# --------------------------------------------------------------------------- #
def disposition_matrix(params: PKParameters) -> np.ndarray:
    """Matrix A of dx/dt = A x for the compartments present (1/min).

    Parameters
    ----------
    params : PKParameters
        The model.

    Returns
    -------
    numpy.ndarray
        Square matrix, central compartment first, in the order of
        ``params.compartments``.
    """
    names = params.compartments
    a = np.zeros((len(names), len(names)))
    a[0, 0] = -(params.k10 + params.k12 + params.k13)
    exchange = {"peripheral_2": (params.k12, params.k21), "peripheral_3": (params.k13, params.k31)}
    for i, name in enumerate(names[1:], start=1):
        k_out, k_back = exchange[name]
        a[i, 0] = k_out
        a[0, i] = k_back
        a[i, i] = -k_back
    return a


def half_lives_min(params: PKParameters) -> np.ndarray:
    """Disposition half-lives ln2/|lambda_i| (min), sorted from shortest to longest.

    Parameters
    ----------
    params : PKParameters
        The model.

    Returns
    -------
    numpy.ndarray
        One half-life per compartment; ``inf`` for a zero eigenvalue (no
        elimination).

    Notes
    -----
    The eigenvalues of a mammillary disposition matrix are real and <= 0
    (Gibaldi & Perrier 1982), so the real part is taken.
    """
    rates = np.abs(np.linalg.eigvals(disposition_matrix(params)).real)
    with np.errstate(divide="ignore"):
        return np.sort(np.where(rates > 0, math.log(2.0) / rates, np.inf))


def terminal_half_life_min(params: PKParameters) -> float:
    """Terminal (slowest) half-life, ln2 / smallest |eigenvalue| (min).

    Parameters
    ----------
    params : PKParameters
        The model.

    Returns
    -------
    float
        About 115 min for the Domino set (science.md 4.1).
    """
    return float(half_lives_min(params)[-1])


def clearance_ml_per_kg_min(params: PKParameters) -> float:
    """Systemic clearance CL = V1 * k10 (mL/kg/min).

    Parameters
    ----------
    params : PKParameters
        The model.

    Returns
    -------
    float
        27.6 mL/kg/min for the Domino set (science.md 4.1).
    """
    return 1000.0 * params.v1_l_per_kg * params.k10


def vss_l_per_kg(params: PKParameters) -> float:
    """Volume of distribution at steady state, V1 (1 + k12/k21 + k13/k31) (L/kg).

    Parameters
    ----------
    params : PKParameters
        The model.

    Returns
    -------
    float
        2.76 L/kg for the Domino set (science.md 4.1).
    """
    ratio = 1.0
    if params.k21 > 0:
        ratio += params.k12 / params.k21
    if params.k31 > 0:
        ratio += params.k13 / params.k31
    return params.v1_l_per_kg * ratio


def ng_per_ml_to_uM(conc_ng_per_ml: np.ndarray | float) -> np.ndarray | float:
    """Convert ketamine base ng/mL to uM (1 uM = 237.7 ng/mL).

    Parameters
    ----------
    conc_ng_per_ml : array_like or float
        Concentration of base in ng/mL.

    Returns
    -------
    numpy.ndarray or float
        Concentration in umol/L.
    """
    return conc_ng_per_ml / MOLAR_MASS_BASE


# --------------------------------------------------------------------------- #
# Dosing
# --------------------------------------------------------------------------- #
def base_fraction(salt: str) -> float:
    """Mass fraction of ketamine base in a dose of the given salt form.

    Parameters
    ----------
    salt : {"hydrochloride", "base"}
        Form in which the dose is stated.

    Returns
    -------
    float
        237.7/274.2 (about 0.867) for the hydrochloride, 1 for the base.
    """
    if salt == "hydrochloride":
        return MOLAR_MASS_BASE / MOLAR_MASS_HCL
    if salt == "base":
        return 1.0
    raise ValueError(f"salt = {salt!r}: expected one of {SALTS}")


@dataclass(frozen=True)
class Infusion:
    """One intravenous dose: a zero-order infusion, or a bolus when ``duration_min`` is 0.

    Parameters
    ----------
    start_min : float
        Start time (min), finite; may be negative.
    dose_mg_per_kg : float
        Total dose per kg body weight, in mg of ``salt``, >= 0.
    duration_min : float
        Infusion duration (min), >= 0; 0 means an instantaneous bolus.
    salt : {"hydrochloride", "base"}
        Form in which the dose is stated. A hydrochloride dose delivers
        ``dose * 237.7/274.2`` mg of base.
    route : {"iv"}
        Route of administration; only intravenous is implemented.

    Raises
    ------
    ValueError
        If a field is out of range; the message names the field and value.
    """

    start_min: float
    dose_mg_per_kg: float
    duration_min: float
    salt: str = "hydrochloride"
    route: str = "iv"

    def __post_init__(self) -> None:
        start = self.start_min
        if not (_is_real(start) and math.isfinite(start)):
            raise ValueError(f"Infusion.start_min = {start!r}: expected a finite time (min)")
        _check_finite(self, "dose_mg_per_kg", "a finite dose >= 0 (mg/kg)", strict=False)
        _check_finite(self, "duration_min", "a finite duration >= 0 (min; 0 = bolus)", False)
        if self.salt not in SALTS:
            raise ValueError(f"Infusion.salt = {self.salt!r}: expected one of {SALTS}")
        if self.route not in ROUTES:
            raise ValueError(
                f"Infusion.route = {self.route!r}: only 'iv' is implemented "
                "(oral, intranasal and intramuscular need an absorption model)"
            )

    @property
    def end_min(self) -> float:
        """End time of the infusion (min); equal to the start for a bolus."""
        return self.start_min + self.duration_min

    @property
    def is_bolus(self) -> bool:
        """Whether this dose is an instantaneous bolus."""
        return self.duration_min == 0

    def base_mg(self, weight_kg: float) -> float:
        """Total amount of ketamine base delivered (mg) to a body of ``weight_kg``."""
        return self.dose_mg_per_kg * weight_kg * base_fraction(self.salt)


def intervals_overlap(start_a: float, duration_a: float, start_b: float,
                      duration_b: float) -> bool:
    """Whether two doses, given by start and duration (one time unit), are given at once.

    The one rule for overlapping doses (used by the protocol config and
    :func:`check_no_overlap`): infusions overlap when their open intervals
    intersect; a bolus (duration 0) overlaps an infusion strictly inside
    it, or another bolus at the same time; a bolus at the start or end of
    an infusion (a loading dose) is allowed.

    Parameters
    ----------
    start_a, duration_a, start_b, duration_b : float
        Start and duration of each dose, in the same unit.

    Returns
    -------
    bool
        True if the doses overlap.
    """
    if duration_a == 0 and duration_b == 0:
        return start_a == start_b
    if duration_a == 0 or duration_b == 0:
        (t, _), (s0, ds) = ((start_a, duration_a), (start_b, duration_b)) if duration_a == 0 \
            else ((start_b, duration_b), (start_a, duration_a))
        return s0 < t < s0 + ds
    return start_a < start_b + duration_b and start_b < start_a + duration_a


def check_no_overlap(infusions: Sequence[Infusion]) -> None:
    """Raise ValueError if two doses of a protocol are given at the same time.

    Parameters
    ----------
    infusions : sequence of Infusion
        The protocol.

    Raises
    ------
    ValueError
        Naming the two overlapping infusions by index and time span.
    """
    for i, first in enumerate(infusions):
        for j in range(i + 1, len(infusions)):
            second = infusions[j]
            if intervals_overlap(first.start_min, first.duration_min,
                                 second.start_min, second.duration_min):
                raise ValueError(
                    f"infusions[{i}] ({first.start_min}-{first.end_min} min) and "
                    f"infusions[{j}] ({second.start_min}-{second.end_min} min) overlap; "
                    "expected doses given one after another"
                )


def repeat_schedule(first_start_min: float, every_min: float, count: int) -> list[float]:
    """Start times of ``count`` doses given every ``every_min`` minutes.

    Parameters
    ----------
    first_start_min : float
        Time of the first dose (min).
    every_min : float
        Interval between dose starts (min), > 0.
    count : int
        Number of doses, >= 1.

    Returns
    -------
    list of float
        For example six infusions every 48 h: ``repeat_schedule(0, 2880, 6)``.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count = {count!r}: expected an integer >= 1")
    if not (math.isfinite(every_min) and every_min > 0):
        raise ValueError(f"every_min = {every_min!r}: expected a finite interval > 0 (min)")
    if not math.isfinite(first_start_min):
        raise ValueError(f"first_start_min = {first_start_min!r}: expected a finite time (min)")
    return [first_start_min + i * every_min for i in range(count)]


# --------------------------------------------------------------------------- #
# Exact piecewise solution
# --------------------------------------------------------------------------- #
class _PiecewiseSolution:
    """Exact state of the augmented linear system at any time.

    State layout: compartment amounts (mg), eliminated amount (mg), effect-site
    concentration (mg/L, only with ke0), norketamine and HNK (umol, only with
    metabolites), and a constant 1 that carries the infusion rate in the
    augmented matrix.
    """

    def __init__(self, params: PKParameters, infusions: Sequence[Infusion], weight_kg: float,
                 metabolites: MetaboliteParameters | None = None):
        self.params = params
        self.metabolites = metabolites
        self.volume_l = params.v1_l_per_kg * weight_kg
        self.n_comp = len(params.compartments)
        self.i_elim = self.n_comp
        self.i_effect = self.n_comp + 1 if params.has_effect_site else None
        self.size = self.n_comp + 2 + (1 if params.has_effect_site else 0)
        self.i_nk = self.i_hnk = None
        if metabolites is not None:
            self.i_nk, self.i_hnk = self.size - 1, self.size
            self.size += 2
        self.base_matrix = self._base_matrix()
        self._build_segments(infusions, weight_kg)

    def _base_matrix(self) -> np.ndarray:
        """Augmented matrix with zero input rate."""
        m = np.zeros((self.size, self.size))
        m[: self.n_comp, : self.n_comp] = disposition_matrix(self.params)
        m[self.i_elim, 0] = self.params.k10
        if self.i_effect is not None:
            ke0 = float(self.params.ke0)
            m[self.i_effect, 0] = ke0 / self.volume_l
            m[self.i_effect, self.i_effect] = -ke0
        met = self.metabolites
        if met is not None:
            # mg of base per min -> umol per min: 1000 / (g/mol)
            m[self.i_nk, 0] = met.nk_fraction * self.params.k10 * 1000.0 / MOLAR_MASS_BASE
            m[self.i_nk, self.i_nk] = -met.nk_k_per_min
            m[self.i_hnk, self.i_nk] = met.hnk_fraction * met.nk_k_per_min
            m[self.i_hnk, self.i_hnk] = -met.hnk_k_per_min
        return m

    def _build_segments(self, infusions: Sequence[Infusion], weight_kg: float) -> None:
        """Propagate the state from breakpoint to breakpoint."""
        events = sorted({t for d in infusions for t in (d.start_min, d.end_min)})
        self.events = np.array(events, dtype=float)
        self.rates = np.zeros(len(events))
        self.states = np.zeros((len(events), self.size))
        state = np.zeros(self.size)
        state[-1] = 1.0
        for k, t in enumerate(events):
            if k > 0:
                state = self._propagate(state, self.rates[k - 1], t - events[k - 1])
            for dose in infusions:
                if dose.is_bolus and dose.start_min == t:
                    state[0] += dose.base_mg(weight_kg)
                elif not dose.is_bolus and dose.start_min <= t < dose.end_min:
                    self.rates[k] += dose.base_mg(weight_kg) / dose.duration_min
            self.states[k] = state

    def _matrices(self, rates: np.ndarray, dts: np.ndarray) -> np.ndarray:
        """Stack of exp(M(rate) dt) for paired rates and time steps."""
        m = np.broadcast_to(self.base_matrix, (len(rates), self.size, self.size)).copy()
        m[:, 0, -1] = rates
        return expm(m * dts[:, None, None])

    def _propagate(self, state: np.ndarray, rate: float, dt: float) -> np.ndarray:
        """State after ``dt`` minutes at a constant input ``rate`` (mg/min)."""
        return self._matrices(np.array([rate]), np.array([dt]))[0] @ state

    def state_at(self, times: np.ndarray) -> np.ndarray:
        """Full state at each time (n_times x size); zero before the first dose."""
        times = np.asarray(times, dtype=float)
        out = np.zeros((times.size, self.size))
        if self.events.size == 0:
            return out
        seg = np.searchsorted(self.events, times, side="right") - 1
        # a segment with no drug in the body and none going in stays empty (zero doses,
        # a drug-free arm): no matrix exponential needed there
        empty = (self.rates == 0.0) & ~self.states[:, :-1].any(axis=1)  # [-1]: the constant 1
        after = (seg >= 0) & ~empty[np.maximum(seg, 0)]
        k = seg[after]
        mats = self._matrices(self.rates[k], times[after] - self.events[k])
        out[after] = np.einsum("nij,nj->ni", mats, self.states[k])
        return out

    def plasma_ng_per_ml(self, times: np.ndarray) -> np.ndarray:
        """Plasma concentration (ng/mL of base)."""
        return 1000.0 * self.state_at(times)[:, 0] / self.volume_l

    def effect_ng_per_ml(self, times: np.ndarray) -> np.ndarray:
        """Effect-site concentration (ng/mL of base); requires ke0."""
        if self.i_effect is None:
            raise ValueError(f"PK set {self.params.name!r} has no effect site (ke0 is None)")
        return 1000.0 * self.state_at(times)[:, self.i_effect]


def _infused_mg(infusions: Sequence[Infusion], weight_kg: float, times: np.ndarray) -> np.ndarray:
    """Cumulative base delivered up to each time, in closed form (mg)."""
    total = np.zeros(times.shape)
    for dose in infusions:
        amount = dose.base_mg(weight_kg)
        if dose.is_bolus:
            total += np.where(times >= dose.start_min, amount, 0.0)
        else:
            total += amount * np.clip((times - dose.start_min) / dose.duration_min, 0.0, 1.0)
    return total


@dataclass(frozen=True)
class PKResult:
    """Concentration time course from :func:`simulate_pk`.

    Attributes
    ----------
    times_min : numpy.ndarray
        Sample times (min), in the order given.
    amounts_mg : numpy.ndarray
        Amount of base in each compartment (n_times x n_compartments), in the
        order of ``params.compartments``.
    eliminated_mg : numpy.ndarray
        Cumulative amount of base eliminated (mg).
    infused_mg : numpy.ndarray
        Cumulative amount of base delivered (mg), computed in closed form.
    plasma_ng_per_ml : numpy.ndarray
        Plasma (central) concentration of base (ng/mL).
    effect_ng_per_ml : numpy.ndarray or None
        Effect-site concentration (ng/mL), None without ``ke0``.
    params : PKParameters
        Model used.
    infusions : tuple of Infusion
        Protocol used.
    weight_kg : float
        Body weight (kg).
    norketamine_umol, hnk_umol : numpy.ndarray or None
        Metabolite amounts (umol), None without metabolites.
    hnk_uM : numpy.ndarray or None
        HNK concentration (uM, all isomers, total), None without metabolites.
    """

    times_min: np.ndarray
    amounts_mg: np.ndarray
    eliminated_mg: np.ndarray
    infused_mg: np.ndarray
    plasma_ng_per_ml: np.ndarray
    effect_ng_per_ml: np.ndarray | None
    params: PKParameters = field(repr=False)
    infusions: tuple[Infusion, ...] = field(repr=False)
    weight_kg: float = field(repr=False)
    norketamine_umol: np.ndarray | None = field(default=None, repr=False)
    hnk_umol: np.ndarray | None = field(default=None, repr=False)
    hnk_uM: np.ndarray | None = field(default=None, repr=False)

    @property
    def plasma_uM(self) -> np.ndarray:
        """Plasma concentration in uM (ng/mL / 237.7)."""
        return ng_per_ml_to_uM(self.plasma_ng_per_ml)

    @property
    def effect_uM(self) -> np.ndarray | None:
        """Effect-site concentration in uM, None without an effect site."""
        if self.effect_ng_per_ml is None:
            return None
        return ng_per_ml_to_uM(self.effect_ng_per_ml)


def simulate_pk(
    params: PKParameters,
    infusions: Sequence[Infusion],
    weight_kg: float,
    times_min: Sequence[float] | np.ndarray,
    metabolites: MetaboliteParameters | None = None,
) -> PKResult:
    """Exact concentration time course of an intravenous dosing protocol.

    Parameters
    ----------
    params : PKParameters
        The model, e.g. ``PK_SETS["domino"]``.
    infusions : sequence of Infusion
        Doses, which must not overlap (:func:`check_no_overlap`).
    weight_kg : float
        Body weight (kg), > 0; doses and V1 scale with it.
    times_min : array_like
        Finite sample times (min) in any order (flattened to 1-D). The body holds no drug before
        the first dose, so earlier times give zero.
    metabolites : MetaboliteParameters, optional
        Also follow norketamine and HNK (e.g. :data:`METABOLITES_DEFAULT`).

    Returns
    -------
    PKResult
        Amounts, concentrations and mass-balance terms at ``times_min``.

    Notes
    -----
    Between breakpoints (dose starts and ends) the input is constant and the
    state is advanced with ``expm`` of the augmented matrix (Van Loan 1978);
    a bolus is added to the central compartment at its start time, and values
    at that time include it.
    """
    if not (_is_real(weight_kg) and math.isfinite(weight_kg) and weight_kg > 0):
        raise ValueError(f"weight_kg = {weight_kg!r}: expected a body weight > 0 (kg)")
    times = np.asarray(times_min, dtype=float).reshape(-1)
    if not np.all(np.isfinite(times)):
        bad = float(times[~np.isfinite(times)][0])
        raise ValueError(f"times_min contains {bad!r}: expected finite times (min)")
    infusions = tuple(infusions)
    check_no_overlap(infusions)
    solution = _PiecewiseSolution(params, infusions, weight_kg, metabolites)
    state = solution.state_at(times)
    effect = None
    if solution.i_effect is not None:
        effect = 1000.0 * state[:, solution.i_effect]
    extra = {}
    if metabolites is not None:
        extra = dict(norketamine_umol=state[:, solution.i_nk], hnk_umol=state[:, solution.i_hnk],
                     hnk_uM=state[:, solution.i_hnk] / (metabolites.hnk_v_l_per_kg * weight_kg))
    return PKResult(
        times_min=times,
        amounts_mg=state[:, : solution.n_comp],
        eliminated_mg=state[:, solution.i_elim],
        infused_mg=_infused_mg(infusions, weight_kg, times),
        plasma_ng_per_ml=1000.0 * state[:, 0] / solution.volume_l,
        effect_ng_per_ml=effect,
        params=params,
        infusions=infusions,
        weight_kg=float(weight_kg),
        **extra,
    )


# --------------------------------------------------------------------------- #
# Summary
# --------------------------------------------------------------------------- #
def _refine_peak(
    conc: Callable[[np.ndarray], np.ndarray],
    times: np.ndarray,
    values: np.ndarray,
    events: np.ndarray,
) -> tuple[float, float]:
    """Peak (time, value) near the grid maximum, refined on the exact solution.

    The bracket around the grid maximum is split at dosing breakpoints (where
    the curve has kinks or jumps); each smooth piece is searched with bounded
    Brent minimisation, and the piece ends are candidates too.
    """
    order = np.argsort(times, kind="stable")
    ts, vs = times[order], values[order]
    i = int(np.argmax(vs))
    if vs[i] <= 0:
        return float(ts[i]), float(vs[i])
    lo, hi = ts[max(i - 1, 0)], ts[min(i + 1, ts.size - 1)]
    knots = np.unique(np.concatenate([[lo, ts[i], hi], events[(events > lo) & (events < hi)]]))
    best_t, best_v = float(ts[i]), float(vs[i])
    candidates = list(knots)
    for a, b in zip(knots[:-1], knots[1:], strict=True):
        found = minimize_scalar(
            lambda t: -conc(np.array([t]))[0],
            bounds=(a, b),
            method="bounded",
            options={"xatol": 1e-8 * max(1.0, abs(b))},
        )
        candidates.append(float(found.x))
    cand = np.array(candidates)
    cand_values = conc(cand)
    j = int(np.argmax(cand_values))
    if cand_values[j] > best_v:
        best_t, best_v = float(cand[j]), float(cand_values[j])
    return best_t, best_v


def pk_summary(result: PKResult) -> dict[str, float | None]:
    """Peak concentrations and their times, refined on the exact solution.

    Parameters
    ----------
    result : PKResult
        Output of :func:`simulate_pk`.

    Returns
    -------
    dict
        ``plasma_peak_ng_per_ml``, ``plasma_peak_uM``, ``plasma_peak_time_min``
        and the same three keys with ``effect_`` (None without an effect
        site), plus ``terminal_half_life_min``.

    Notes
    -----
    The peak is searched in the grid interval around the largest sampled
    value, so the grid must be fine enough to bracket the global maximum.
    """
    solution = _PiecewiseSolution(result.params, result.infusions, result.weight_kg)
    summary: dict[str, float | None] = {}
    curves: dict[str, tuple[Callable[[np.ndarray], np.ndarray], np.ndarray | None]] = {
        "plasma": (solution.plasma_ng_per_ml, result.plasma_ng_per_ml),
        "effect": (solution.effect_ng_per_ml, result.effect_ng_per_ml),
    }
    for site, (conc, values) in curves.items():
        if values is None or values.size == 0:
            t_peak = c_peak = None
        else:
            t_peak, c_peak = _refine_peak(conc, result.times_min, values, solution.events)
        summary[f"{site}_peak_ng_per_ml"] = c_peak
        summary[f"{site}_peak_uM"] = None if c_peak is None else c_peak / MOLAR_MASS_BASE
        summary[f"{site}_peak_time_min"] = t_peak
    summary["terminal_half_life_min"] = terminal_half_life_min(result.params)
    return summary

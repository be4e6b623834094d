"""Growth-factor signalling per neuron in clinical time, integrated exactly (issue 13).

Config and sources: :mod:`plasticity.config.signalling`. The inputs are
held between two network windows of the clinical clock:

- ``surge = max(0, A / A_0 - 1 - theta)``, the relative excess of the
  pyramidal cells' mean dendritic AMPA current ``A`` over its reference
  ``A_0`` (the current's exponential average with time constant
  ``surge_adaptation``, the current taken linear between windows:
  :func:`adapt_reference`) beyond the threshold ``theta`` (``surge_threshold``: the
  synaptic-protein signal integrates over days, so without it the positive
  part of window noise would feed it a steady drive; 0 with NBQX or with the
  surge route off);
- ``block_i``, the fraction of cell ``i``'s NMDA receptors blocked by
  ketamine (0 with the block-at-rest route off);
- ``act = A / A_0``, the activity on which BDNF release depends (0 with
  NBQX).

Between two windows the drug changes faster than windows come (a 40-min
infusion against windows 30 min apart), so the inputs are *not* held at
the window's values where a PK drives the drug: they follow the
concentration ``C(t)``, known at every moment from the PK
(:func:`block_between`, :func:`surge_between`):

- each cell's block follows the Hill curve ``b_i(t) = 1 / (1 + (K_i /
  C(t))^n)`` with the cell's effective IC50 ``K_i = C_w ((1 - b_i,w) /
  b_i,w)^(1/n)`` read off the window (``C_w``, ``b_i,w``: the window's mean
  concentration and the cell's mean fraction blocked). This reproduces the
  window's block at ``C_w`` and is exact for a cell whose voltage
  distribution does not change with the drug (in the linear regime of a
  clinical dose, ``b << 1``, ``K_i`` is the inverse of the cell's mean
  potency ``<1/IC50_Mg(V)>``). A cell without a window under drug yet
  takes the block model's IC50 in Mg2+ at the receptor's ``v_ref``;
- the relative AMPA excess ``e = A / A_0 - 1`` is taken as the window's
  excess with its drug-driven part following the concentration:
  ``e(t) = e_w + k (C(t) - C_w)``, with the network's acute response ``k``
  (excess per uM) fitted through the origin on the windows so far,
  each window weighted by ``C_w^2`` and the sums forgetting with
  ``surge_adaptation`` (a window without drug adds nothing to the fit,
  and ``k`` is kept between infusions), shrunk towards no response by a
  prior worth one window at :data:`PRIOR_CONCENTRATION_UM` (our choice:
  a tenth of the clinical peak, where the response is below the window
  noise; without it one window at the first seconds of an infusion, a few
  nM, read its noise as a response of thousands per uM; it shrinks the
  fit at a clinical peak, 0.43 uM, by about 1 %). ``e`` is kept above -1
  (a current is not negative). The surge ``max(0, e - theta)``
  and the activity ``1 + e`` then follow the drug's rise and fall between
  windows (both linear-response assumptions are our modelling choice; at
  a constant concentration they give the held inputs exactly).

Each clinical update holds the mean of these inputs over its span
(``signalling.between_windows: concentration``; ``held`` keeps the
window's values over the whole interval, as before).

Three two-stage linear filters (rise ``r``, decay ``d``, unit gain at
steady state: ``dx/dt = (u - x)/r``, ``dy/dt = (x - y)/d``) chain them::

    BDNF translation   u = block_gain * block_i                  -> bdnf
    mTORC1             u = surge_gain * surge_i
                           + trkb_gain * bdnf_release * act_i * bdnf -> mtor
    synaptic proteins  u = mtor                                   -> protein

(mTORC1 inputs are zero with rapamycin.) The system is linear with constant
inputs over a clinical update, so each update is one matrix exponential of
the 9-state cascade (the six filter states, the two held inputs and the
integral of ``protein`` over the update, whose mean drives the structural
effects). The only per-cell coupling, ``c_i = trkb_gain * bdnf_release *
act_i`` from ``bdnf`` into mTORC1, enters the cascade once on every path,
so the propagator is exactly affine in it: ``expm((A0 + c E) dt) = P0 + c
P1`` with ``P1`` the Frechet derivative of the exponential at ``A0`` in the
direction ``E``. Two 9 x 9 matrices per update length serve all cells.

Effects on the plastic pathway (:func:`effects`): every cell's elements on
both sides grow by an extra ``formation_gain * protein`` per unit time, and
a new synapse leaves the new state eliminated with probability
``new_eliminated_fraction / (1 + stabilisation_gain * protein)`` of its
target cell.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from plasticity.config import Config
from plasticity.pharmacology.block import ketamine_block

__all__ = ["STATE", "SignallingInputs", "adapt_reference", "advance", "block_affinity",
           "block_between", "effects", "initial_state", "inputs", "mean_inputs", "propagator",
           "surge_between", "surge_response"]

#: The cascade's state per cell, in order; the first six are carried across windows
#: (``signal/<name>/<population>`` in the structural state), the inputs are held.
STATE = ("bdnf_x", "bdnf", "mtor_x", "mtor", "protein_x", "protein", "u_block", "u_surge",
         "protein_integral")
CARRIED = STATE[:6]

#: The concentration (uM) of the one window of no response that the fit of the acute
#: AMPA response starts from (:func:`surge_between`; our choice, module docstring).
PRIOR_CONCENTRATION_UM = 0.05


@dataclass
class SignallingInputs:
    """The held inputs of one window, per cell."""

    u_block: np.ndarray  # block_gain * block
    u_surge: np.ndarray  # surge_gain * surge (0 with rapamycin)
    coupling: np.ndarray  # c_i: trkb_gain * bdnf_release * act_i (0 with rapamycin)


def inputs(config: Config, relative_ampa: float, block: np.ndarray) -> SignallingInputs:
    """The cascade's inputs from a window's readouts (module docstring).

    Parameters
    ----------
    config : Config
        The config (``signalling`` section).
    relative_ampa : float
        ``A / A_0``: the population's mean inward AMPA current on the NMDA
        compartment over its reference.
    block : numpy.ndarray
        Each cell's mean fraction of NMDA receptors blocked by ketamine.

    Returns
    -------
    SignallingInputs
    """
    sg = config.signalling
    ko = sg.knockouts
    blocked = np.asarray(block, dtype=float)
    act = np.full(blocked.shape, 0.0 if ko.nbqx else float(relative_ampa))
    surge = (np.clip(act - 1.0 - sg.surge_threshold, 0.0, None) if sg.surge
             else np.zeros_like(act))
    if not sg.block_at_rest:
        blocked = np.zeros_like(blocked)
    mtor_on = 0.0 if ko.rapamycin else 1.0
    return SignallingInputs(
        u_block=sg.block_gain * blocked,
        u_surge=mtor_on * sg.surge_gain * surge,
        coupling=mtor_on * sg.trkb_gain * ko.bdnf_release * act,
    )


def adapt_reference(reference: float, last_s: float, value: float, now_s: float,
                    tau_s: float, last_value: float | None = None) -> float:
    """The surge's reference at a window, from the reference at the last one.

    The reference ``r`` is the exponential average of the AMPA current ``A``
    with time constant ``tau``: ``dr/dt = (A(t) - r)/tau``. Between two
    windows ``A`` is taken linear from ``last_value`` (the last window's
    current) to ``value`` (this window's), for which the solution is exact::

        r(now) = value + (r - last_value) w - (value - last_value) (tau/dt) (1 - w)

    with ``dt = now - last`` and ``w = exp(-dt/tau)``. A steady rise of
    slope ``s`` is then read with the lag ``s tau`` whatever the window
    spacing, so the surge it gives (``value / r(now) - 1``) does not grow
    with the spacing (with the current held between windows it grew as ``s
    dt``, and sparse windows fed the slow rise that new synapses bring back
    into formation). Without ``last_value`` the current is held at ``value``
    over the interval: ``r + (1 - w)(value - r)``.

    Parameters
    ----------
    reference : float
        The reference at the last window.
    last_s, now_s : float
        Clinical times of the last window and of this one (s).
    value : float
        This window's population mean AMPA current.
    tau_s : float
        ``signalling.surge_adaptation`` (s).
    last_value : float, optional
        The last window's population mean AMPA current.

    Returns
    -------
    float
        The reference at ``now_s``.
    """
    dt = max(now_s - last_s, 0.0)
    if dt <= 0.0:
        return float(reference)
    gone = -np.expm1(-dt / tau_s)  # 1 - w
    if last_value is None:
        return float(reference + gone * (value - reference))
    return float(value + (reference - last_value) * (1.0 - gone)
                 - (value - last_value) * (tau_s / dt) * gone)


def block_affinity(block: np.ndarray, conc_uM: float, hill: float,
                   previous: np.ndarray | None, fallback_uM: float) -> np.ndarray:
    """Each cell's effective IC50 (uM) read off a window (module docstring).

    Parameters
    ----------
    block : numpy.ndarray
        Each cell's mean fraction of NMDA receptors blocked in the window.
    conc_uM : float
        The window's mean driving concentration over the same span.
    hill : float
        Hill coefficient of the block.
    previous : numpy.ndarray or None
        The cells' IC50 from earlier windows (NaN where none was read), kept
        where this window cannot tell (no drug, or no block).
    fallback_uM : float
        The IC50 for cells that have never been read: the block model's IC50
        in Mg2+ at the receptor's reference voltage.

    Returns
    -------
    numpy.ndarray
        ``K_i = C_w ((1 - b_i) / b_i)^(1/n)`` where ``0 < b_i < 1`` and
        ``C_w > 0``, else the previous value, else ``fallback_uM``.
    """
    b = np.asarray(block, dtype=float)
    out = (np.full(b.shape, np.nan) if previous is None or len(previous) != len(b)
           else np.array(previous, dtype=float, copy=True))
    readable = (b > 0.0) & (b < 1.0) & (conc_uM > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        read = conc_uM * ((1.0 - b) / b) ** (1.0 / hill)
    out[readable] = read[readable]
    out[~np.isfinite(out)] = fallback_uM
    return out


def block_between(conc_uM: np.ndarray, affinity_uM: np.ndarray, hill: float) -> np.ndarray:
    """Each cell's fraction blocked at concentrations ``conc_uM`` (module docstring).

    Parameters
    ----------
    conc_uM : numpy.ndarray
        Driving concentrations, shape ``(m,)``.
    affinity_uM : numpy.ndarray
        Each cell's effective IC50 (:func:`block_affinity`), shape ``(n,)``.
    hill : float
        Hill coefficient.

    Returns
    -------
    numpy.ndarray
        ``(m, n)``: ``1 / (1 + (K_i / C)^n)``, 0 where ``C = 0``.
    """
    c = np.clip(np.asarray(conc_uM, dtype=float), 0.0, None)[:, None]
    return ketamine_block(c, np.asarray(affinity_uM, dtype=float)[None, :], hill)


def surge_response(sums: np.ndarray | None, excess: float, conc_uM: float, last_s: float | None,
                   now_s: float, tau_s: float) -> np.ndarray:
    """The running fit of the network's acute AMPA response to the drug.

    The sums ``S_ce = sum w C_w e_w`` and ``S_cc = sum w C_w^2`` over the
    windows so far, the weights ``w`` falling as ``exp(-age / tau)``, from
    which :func:`surge_between` takes ``k`` (module docstring).

    Parameters
    ----------
    sums : numpy.ndarray or None
        ``[S_ce, S_cc]`` after the last window, or None before the first.
    excess : float
        This window's relative AMPA excess ``A_w / A_0 - 1``.
    conc_uM : float
        This window's mean driving concentration.
    last_s, now_s : float
        Clinical times of the last window (None before the first) and of this one (s).
    tau_s : float
        ``signalling.surge_adaptation`` (s).

    Returns
    -------
    numpy.ndarray
        The new ``[S_ce, S_cc]``.
    """
    old = np.zeros(2) if sums is None else np.asarray(sums, dtype=float)[:2]
    keep = 1.0 if last_s is None else float(np.exp(-max(now_s - last_s, 0.0) / tau_s))
    return keep * old + np.array([conc_uM * excess, conc_uM * conc_uM])


def surge_between(conc_uM: np.ndarray, excess: float, conc_w_uM: float,
                  sums: np.ndarray) -> np.ndarray:
    """Relative AMPA excess at concentrations ``conc_uM``: ``e_w + k (C - C_w)``.

    ``k = S_ce / (S_cc + c_p^2)`` with ``c_p`` = :data:`PRIOR_CONCENTRATION_UM`
    (:func:`surge_response`; 0 before any window with drug); the result is
    kept at -1 or above.
    """
    s_ce, s_cc = float(sums[0]), float(sums[1])
    k = s_ce / (s_cc + PRIOR_CONCENTRATION_UM**2)
    return np.clip(excess + k * (np.asarray(conc_uM, dtype=float) - conc_w_uM), -1.0, None)


def mean_inputs(config: Config, excess: np.ndarray, block: np.ndarray) -> SignallingInputs:
    """The cascade's inputs averaged over sub-samples of one update.

    Parameters
    ----------
    config : Config
        The config (``signalling`` section).
    excess : numpy.ndarray
        The relative AMPA excess at each sub-sample, shape ``(m,)``.
    block : numpy.ndarray
        Each cell's fraction blocked at each sub-sample, shape ``(m, n)``.

    Returns
    -------
    SignallingInputs
        The mean of :func:`inputs` over the sub-samples (the surge's
        threshold applied at each one).
    """
    parts = [inputs(config, 1.0 + float(e), b) for e, b in zip(excess, block, strict=True)]
    return SignallingInputs(
        u_block=np.mean([p.u_block for p in parts], axis=0),
        u_surge=np.mean([p.u_surge for p in parts], axis=0),
        coupling=np.mean([p.coupling for p in parts], axis=0),
    )


def _matrices(config: Config) -> tuple[np.ndarray, np.ndarray]:
    """Generator ``A0`` of the cascade without the coupling, and the coupling's ``E``."""
    sg = config.signalling
    index = {name: k for k, name in enumerate(STATE)}
    a0 = np.zeros((len(STATE), len(STATE)))
    e = np.zeros_like(a0)
    stages = [("bdnf", sg.bdnf, "u_block"), ("mtor", sg.mtor, "u_surge"),
              ("protein", sg.protein, "mtor")]
    for name, filt, source in stages:
        rise, decay = float(filt.rise), float(filt.decay)
        x, y = index[f"{name}_x"], index[name]
        a0[x, index[source]] += 1.0 / rise
        a0[x, x] -= 1.0 / rise
        a0[y, x] += 1.0 / decay
        a0[y, y] -= 1.0 / decay
    e[index["mtor_x"], index["bdnf"]] = 1.0 / float(sg.mtor.rise)
    a0[index["protein_integral"], index["protein"]] = 1.0
    return a0, e


@functools.lru_cache(maxsize=32)
def _propagator(dt_s: float, a0_bytes: bytes, e_bytes: bytes,
                n: int) -> tuple[np.ndarray, np.ndarray]:
    from scipy.linalg import expm_frechet

    a0 = np.frombuffer(a0_bytes).reshape(n, n)
    e = np.frombuffer(e_bytes).reshape(n, n)
    p0, p1 = expm_frechet(a0 * dt_s, e * dt_s)
    return p0, p1


def propagator(config: Config, dt_s: float) -> tuple[np.ndarray, np.ndarray]:
    """``(P0, P1)`` with ``expm((A0 + c E) dt) = P0 + c P1`` exactly (module docstring).

    Parameters
    ----------
    config : Config
        The config (time constants of ``signalling``).
    dt_s : float
        The update's length in seconds.

    Returns
    -------
    tuple of numpy.ndarray
        Two ``len(STATE) x len(STATE)`` matrices.
    """
    a0, e = _matrices(config)
    return _propagator(float(dt_s), a0.tobytes(), e.tobytes(), a0.shape[0])


def initial_state(n: int) -> dict[str, np.ndarray]:
    """The drug-free state of ``n`` cells: every signal at 0."""
    return {name: np.zeros(n) for name in CARRIED}


def advance(config: Config, state: dict[str, np.ndarray], held: SignallingInputs,
            dt_s: float) -> np.ndarray:
    """Advance ``state`` (in place) by one update of ``dt_s`` at the held inputs.

    Returns
    -------
    numpy.ndarray
        Each cell's mean ``protein`` over the update.
    """
    p0, p1 = propagator(config, dt_s)
    n = len(held.u_block)
    x = np.zeros((len(STATE), n))
    for k, name in enumerate(CARRIED):
        x[k] = state[name]
    x[STATE.index("u_block")] = held.u_block
    x[STATE.index("u_surge")] = held.u_surge
    new = p0 @ x + held.coupling * (p1 @ x)
    for k, name in enumerate(CARRIED):
        state[name] = new[k]
    return new[STATE.index("protein_integral")] / dt_s


def effects(config: Config, protein_mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Extra element growth (per second) and new-synapse elimination share, per cell.

    Parameters
    ----------
    config : Config
        The config (``signalling`` gains, ``structural.turnover``).
    protein_mean : numpy.ndarray
        Each cell's mean synaptic-protein signal over the update.

    Returns
    -------
    extra_growth : numpy.ndarray
        ``formation_gain * protein`` (elements per second).
    eliminated_fraction : numpy.ndarray
        ``new_eliminated_fraction / (1 + stabilisation_gain * protein)``.
    """
    sg = config.signalling
    p = np.clip(np.asarray(protein_mean, dtype=float), 0.0, None)
    growth = float(sg.formation_gain) * p
    frac = config.structural.turnover.new_eliminated_fraction / (1.0 + sg.stabilisation_gain * p)
    return growth, frac

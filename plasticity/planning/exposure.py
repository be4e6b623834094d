"""Exposure per session of a series of infusions: plasma peak and area under the curve.

A policy may lower the dose on an exposure limit, stop on a cumulative cap,
and a plan is reported with its exposure against the limits users set
(issue 14). Both numbers come from the exact linear PK of
:mod:`plasticity.pharmacology.pk`, with every earlier session's residue:

- the **peak** of session *k* is the highest plasma concentration between
  its start and the next session's start, searched on a grid of
  ``grid_min`` up to 4 hours after the infusion and at its end (where a
  zero-order infusion into a linear model peaks in plasma);
- the **AUC** of session *k* is the plasma area over the same interval,
  exact: the central compartment is the only route of elimination, at rate
  ``CL * C_plasma``, so the area over ``[a, b]`` is the amount eliminated in
  it divided by the clearance (Gibaldi & Perrier, Pharmacokinetics, 2nd ed.,
  1982, ch. 2). Over all time the areas add up to ``dose / CL``.

The last session's interval ends ``horizon_day`` after its start (7 days by
default: ketamine's terminal half-life is 2-3 hours, science.md 4.1, so
less than 1e-9 of a dose is left).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from plasticity.pharmacology.pk import (
    PK_SETS,
    Infusion,
    PKParameters,
    clearance_ml_per_kg_min,
    ng_per_ml_to_uM,
    simulate_pk,
)
from plasticity.planning.policies import Session

__all__ = ["SessionExposure", "session_exposure"]

MIN_PER_DAY = 1440.0
#: how long after an infusion's end the peak is searched (min): plasma peaks at the end
#: of a zero-order infusion into a linear model, earlier sessions' residues only fall
PEAK_SEARCH_MIN = 240.0


@dataclass(frozen=True)
class SessionExposure:
    """Plasma exposure attributed to one session.

    Parameters
    ----------
    peak_uM : float
        Highest plasma concentration from the session's start to the next's.
    peak_day : float
        When it occurs (days after the first session's start).
    auc_uM_h : float
        Plasma area under the curve over the same interval.
    cumulative_auc_uM_h : float
        Area from the first session's start to the end of this interval.
    """

    peak_uM: float
    peak_day: float
    auc_uM_h: float
    cumulative_auc_uM_h: float


def session_exposure(sessions: Sequence[Session], params: PKParameters | None = None,
                     weight_kg: float = 70.0, salt: str = "hydrochloride",
                     horizon_day: float = 7.0, grid_min: float = 1.0) -> list[SessionExposure]:
    """Peak plasma concentration and AUC of each session of a series.

    Parameters
    ----------
    sessions : sequence of Session
        The infusions, in order of start; they must not overlap.
    params : PKParameters, optional
        The PK model (default: the Domino set, ``PK_SETS["domino"]``).
    weight_kg : float
        Body weight (kg).
    salt : {"hydrochloride", "base"}
        Form in which the doses are stated.
    horizon_day : float
        Length of the last session's interval (days), > 0.
    grid_min : float
        Spacing of the peak search (min), > 0.

    Returns
    -------
    list of SessionExposure
        One per session, in order.
    """
    if not sessions:
        return []
    if not (horizon_day > 0 and grid_min > 0):
        raise ValueError(f"horizon_day = {horizon_day!r}, grid_min = {grid_min!r}: both "
                         "must be > 0")
    starts = [s.start_day for s in sessions]
    if any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
        raise ValueError(f"session start days {starts!r}: expected increasing")
    params = params if params is not None else PK_SETS["domino"]
    doses = [Infusion(start_min=s.start_day * MIN_PER_DAY, dose_mg_per_kg=s.dose_mg_per_kg,
                      duration_min=s.duration_min, salt=salt) for s in sessions]
    bounds_min = [d.start_min for d in doses] + [doses[-1].start_min
                                                  + horizon_day * MIN_PER_DAY]
    cl_l_per_min = clearance_ml_per_kg_min(params) * weight_kg / 1000.0
    grids = []
    for k, dose in enumerate(doses):
        a, b = bounds_min[k], bounds_min[k + 1]
        # after the infusion plasma only falls: search its first PEAK_SEARCH_MIN
        last = min(b, dose.end_min + PEAK_SEARCH_MIN)
        grid = np.unique(np.concatenate([np.arange(a, last, grid_min), [dose.end_min, b]]))
        grids.append(grid[(grid >= a) & (grid <= b)])
    # one exact solution on every session's grid (each starts at a and ends at b)
    pk = simulate_pk(params, doses, weight_kg, np.concatenate(grids))
    plasma_all = np.asarray(pk.plasma_uM, dtype=float)
    eliminated_all = np.asarray(pk.eliminated_mg, dtype=float)
    out, cumulative, offset = [], 0.0, 0
    for grid in grids:
        part = slice(offset, offset + len(grid))
        offset += len(grid)
        plasma, eliminated_mg = plasma_all[part], eliminated_all[part]
        i = int(np.argmax(plasma))
        # mg eliminated / (L/min) = mg min / L; 1 mg/L = 1000 ng/mL
        auc_uM_h = float(ng_per_ml_to_uM(1000.0 * (eliminated_mg[-1] - eliminated_mg[0])
                                         / cl_l_per_min)) / 60.0
        cumulative += auc_uM_h
        out.append(SessionExposure(peak_uM=float(plasma[i]),
                                   peak_day=float(grid[i]) / MIN_PER_DAY,
                                   auc_uM_h=auc_uM_h,
                                   cumulative_auc_uM_h=cumulative))
    return out

"""Optimal matching: the pairs (or 1:k sets) with the smallest total distance [1]_.

Greedy matching serves treated patients one at a time; optimal matching chooses all sets
together to minimise the sum of within-set distances, as R's ``optmatch::pairmatch``
(MatchIt's ``method = "optimal"``). 1:k matching is the assignment problem with each
treated patient's row repeated ``k`` times, solved by ``scipy.optimize.linear_sum_assignment``
(a modified Jonker-Volgenant algorithm). The cost matrix is dense, so this is for cohorts of
up to some tens of thousands of patients; use nearest-neighbour matching beyond.

References
----------
.. [1] Hansen BB. Full matching in an observational study of coaching for the SAT.
       J Am Stat Assoc. 2004;99:609-618.
.. [2] Rosenbaum PR. Optimal matching for observational studies. J Am Stat Assoc.
       1989;84:1024-1032.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from oncostat.errors import InputError

__all__ = ["optimal_match"]

_MAX_CELLS = 50_000_000


def optimal_match(
    distance: np.ndarray,
    treated: np.ndarray,
    *,
    ratio: int = 1,
    caliper: float | None = None,
    strata: np.ndarray | None = None,
) -> np.ndarray:
    """Minimum-total-distance 1:``ratio`` matching without replacement.

    Pairs further apart than ``caliper`` are forbidden; if that leaves a treated patient
    without ``ratio`` controls, the assignment first maximises the number of pairs within
    the caliper, then minimises their total distance, and the forbidden pairs are dropped.
    Within ``strata`` (exact matching) each stratum is solved on its own.

    Returns
    -------
    ndarray of int, shape (n_treated, ratio)
        Controls (positions in ``distance``) of each treated patient in data order, nearest
        first; -1 where none.
    """
    distance = np.asarray(distance, dtype=float)
    treated = np.asarray(treated, dtype=bool)
    strata = np.zeros(distance.size, dtype=np.int64) if strata is None else np.asarray(strata)
    t_rows = np.flatnonzero(treated)
    mm = np.full((t_rows.size, ratio), -1, dtype=np.int64)
    for s in np.unique(strata[t_rows]):
        ti = np.flatnonzero(strata[t_rows] == s)
        cs = np.flatnonzero(~treated & (strata == s))
        if not cs.size:
            continue
        if ti.size * ratio * cs.size > _MAX_CELLS:
            raise InputError(f"method 'optimal': {ti.size} treated x {ratio} x {cs.size} "
                             "controls is too large a cost matrix; use method='nearest'")
        cost = np.abs(distance[t_rows[ti]][:, None] - distance[cs][None, :])
        big = 0.0
        if caliper is not None:
            bad = cost > caliper
            big = float(cost.sum()) + 1.0
            cost = np.where(bad, big, cost)
        rows, cols = linear_sum_assignment(np.repeat(cost, ratio, axis=0))
        keep = cost[rows // ratio, cols] < big if caliper is not None else np.ones(rows.size, bool)
        rows, cols = rows[keep], cols[keep]
        treated_of = ti[rows // ratio]
        # Each treated patient's controls, nearest first.
        order = np.lexsort((cost[rows // ratio, cols], treated_of))
        treated_of, cols = treated_of[order], cols[order]
        start = np.searchsorted(treated_of, treated_of)
        mm[treated_of, np.arange(treated_of.size) - start] = cs[cols]
    return mm

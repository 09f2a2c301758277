"""Vector matching on the generalised propensity score (Lopez & Gutman 2017) [1]_.

With ``Z`` arms, a multinomial logistic model gives every patient's probability of each arm
(the generalised propensity score, GPS). Patients outside the common support (the
rectangle where every arm has patients on every GPS component) are dropped. Then for each
other arm ``j``, all patients are clustered by k-means (5 clusters) on the logit GPS of the
arms other than the reference and ``j``, and within each cluster each reference patient is
matched with replacement to its ``k_j`` nearest patients of arm ``j`` on the logit of its
own GPS component, within a caliper (Lopez and Gutman use 0.25 SD). A reference patient
with matches from every arm forms a set. Because every reference patient is compared with
patients who are similar on all GPS components at once, the sets estimate effects for the
reference arm's population that are comparable across arms (pairwise matching gives each
comparison its own population).

References
----------
.. [1] Lopez MJ, Gutman R. Estimation of causal effects with multiple treatments: a review
       and new ideas. Stat Sci. 2017;32:432-454.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.vq import kmeans2
from scipy.special import logit

from oncostat.matching.nearest import nearest_neighbour

__all__ = ["common_support", "vector_match"]

_CLUSTERS = 5


def common_support(gps: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Rows inside the GPS common support: for every arm ``t``, the GPS of ``t`` lies within
    the range of the GPS of ``t`` in every arm (the largest minimum to the smallest maximum)."""
    keep = np.ones(code.size, dtype=bool)
    arms = np.unique(code)
    for t in range(gps.shape[1]):
        low = max(gps[code == a, t].min() for a in arms)
        high = min(gps[code == a, t].max() for a in arms)
        keep &= (gps[:, t] >= low) & (gps[:, t] <= high)
    return keep


def vector_match(
    gps: np.ndarray,
    code: np.ndarray,
    ratio: list[int],
    *,
    caliper: float | None,
    seed: int | None,
) -> tuple[list[np.ndarray], np.ndarray, list[float | None]]:
    """Vector matching of arm 0 (reference) to every other arm.

    Parameters
    ----------
    gps : array, shape (n, arms)
        Generalised propensity scores, column ``a`` the probability of arm ``a``.
    code : array of int
        Arm of each patient, 0 the reference.
    ratio : list of int
        Matches wanted from arms 1, 2, ...
    caliper : float, optional
        In SD units of the logit of the reference arm's GPS (over the patients in the
        common support of the two arms compared).
    seed : int, optional
        Seed of the k-means initialisation (``scipy.cluster.vq.kmeans2``, "++").

    Returns
    -------
    matches : list of arrays
        Per other arm, an (n_reference, k) array of matched rows (-1 none), reference
        patients in data order.
    support : array of bool
        Rows inside the common support.
    absolute : list
        The absolute caliper of each comparison.
    """
    support = common_support(gps, code)
    lg = logit(np.clip(gps, 1e-300, 1 - 1e-16))
    ref_rows = np.flatnonzero(code == 0)
    out: list[np.ndarray] = []
    absolute: list[float | None] = []
    rng = np.random.default_rng(seed)
    for j in range(1, gps.shape[1]):
        rows = np.flatnonzero(support & ((code == 0) | (code == j)))
        others = [a for a in range(1, gps.shape[1]) if a != j]
        strata = None
        if others:
            feats = lg[np.ix_(rows, others)]
            k = min(_CLUSTERS, rows.size)
            _, strata = kmeans2(feats, k, minit="++", seed=rng)
        dist = lg[rows, 0]
        cal = None if caliper is None else caliper * float(np.std(dist, ddof=1))
        absolute.append(cal)
        mm = nearest_neighbour(dist, code[rows] == 0, ratio=ratio[j - 1], caliper=cal,
                               replace=True, strata=strata)
        full = np.full((ref_rows.size, ratio[j - 1]), -1, dtype=np.int64)
        at = np.searchsorted(ref_rows, rows[code[rows] == 0])
        full[at] = np.where(mm >= 0, rows[np.maximum(mm, 0)], -1)
        out.append(full)
    return out, support, absolute

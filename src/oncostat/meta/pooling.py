"""Fixed-effect pooling: Mantel-Haenszel, Peto and inverse variance.

Each function takes arrays and returns a :class:`FixedFit` on the analysis (log) scale.

References
----------
.. [1] Mantel N, Haenszel W. Statistical aspects of the analysis of data from
       retrospective studies of disease. J Natl Cancer Inst. 1959;22:719-748.
.. [2] Robins J, Breslow N, Greenland S. Estimators of the Mantel-Haenszel variance
       consistent in both sparse data and large-strata limiting models. Biometrics.
       1986;42:311-323.
.. [3] Greenland S, Robins JM. Estimation of a common effect parameter from sparse
       follow-up data. Biometrics. 1985;41:55-68.
.. [4] Sato T, Greenland S, Robins JM. On the variance estimator for the Mantel-Haenszel
       risk difference. Biometrics. 1989;45:1323-1324.
.. [5] Yusuf S, Peto R, Lewis J, Collins R, Sleight P. Beta blockade during and after
       myocardial infarction. Prog Cardiovasc Dis. 1985;27:335-371.
.. [6] Deeks JJ, Higgins JPT. Statistical algorithms in Review Manager 5. 2010.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from oncostat.meta.effect_sizes import BinaryTable

__all__ = ["FixedFit", "inverse_variance", "mantel_haenszel", "peto"]


@dataclass(frozen=True, slots=True)
class FixedFit:
    """A fixed-effect estimate (log scale for ratios), its SE, and per-study raw weights."""

    estimate: float
    se: float
    weights: np.ndarray


def inverse_variance(yi: np.ndarray, vi: np.ndarray) -> FixedFit:
    """Inverse-variance weighted mean with weights ``1 / vi``."""
    w = 1.0 / vi
    sw = w.sum()
    return FixedFit(float(np.dot(w, yi) / sw), float(np.sqrt(1.0 / sw)), w)


def mantel_haenszel(table: BinaryTable, measure: Literal["OR", "RR", "RD"], *,
                    rd_variance: Literal["SGR", "GR"] = "SGR") -> FixedFit:
    """Mantel-Haenszel common OR, RR or RD [1]_.

    Variances: Robins-Breslow-Greenland for log OR [2]_, Greenland-Robins for log RR [3]_;
    for RD, Sato-Greenland-Robins (``"SGR"``, metafor's ``rma.mh``) [4]_ or
    Greenland-Robins (``"GR"``, RevMan 5) [3]_ [6]_. An estimate of 0 or infinity (no events
    in one arm of every study) is returned as is with NaN SE.
    """
    a, b, c, d = table.a, table.b, table.c, table.d
    n1, n2, n = table.n1, table.n2, table.n
    if measure == "OR":
        r, s = a * d / n, b * c / n
        sr, ss = r.sum(), s.sum()
        if sr == 0 or ss == 0:
            return FixedFit(np.log(sr / ss) if ss else np.inf, np.nan, s)
        p, q = (a + d) / n, (b + c) / n
        var = (np.dot(p, r) / (2 * sr**2) + (np.dot(p, s) + np.dot(q, r)) / (2 * sr * ss)
               + np.dot(q, s) / (2 * ss**2))
        return FixedFit(float(np.log(sr / ss)), float(np.sqrt(var)), s)
    if measure == "RR":
        r, s = a * n2 / n, c * n1 / n
        sr, ss = r.sum(), s.sum()
        if sr == 0 or ss == 0:
            return FixedFit(np.log(sr / ss) if ss else np.inf, np.nan, s)
        var = np.sum((n1 * n2 * (a + c) - a * c * n) / n**2) / (sr * ss)
        return FixedFit(float(np.log(sr / ss)), float(np.sqrt(var)), s)
    w = n1 * n2 / n
    sw = w.sum()
    rd = float(np.sum(a * n2 / n - c * n1 / n) / sw)
    if rd_variance == "GR":
        var = np.sum((a * b * n2**3 + c * d * n1**3) / (n1 * n2 * n**2)) / sw**2
    else:
        p = np.sum((n1**2 * c - n2**2 * a + n1 * n2 * (n2 - n1) / 2) / n**2)
        q = np.sum((a * (n2 - c) + c * (n1 - a)) / (2 * n))
        var = (rd * p + q) / sw**2
    return FixedFit(rd, float(np.sqrt(var)), w)


def peto(o_minus_e: np.ndarray, v: np.ndarray) -> FixedFit:
    """Peto's one-step log odds ratio ``sum(O - E) / sum(V)`` with variance ``1 / sum(V)`` [5]_."""
    sv = v.sum()
    return FixedFit(float(o_minus_e.sum() / sv), float(np.sqrt(1.0 / sv)), v)

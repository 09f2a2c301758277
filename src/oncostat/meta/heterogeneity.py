"""Heterogeneity statistics: Cochran's Q, I², H² and tau² with confidence intervals.

References
----------
.. [1] Higgins JPT, Thompson SG. Quantifying heterogeneity in a meta-analysis.
       Stat Med. 2002;21:1539-1558.
.. [2] Viechtbauer W. Confidence intervals for the amount of heterogeneity in
       meta-analysis. Stat Med. 2007;26:37-52.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from oncostat._results import format_p, jsonable

__all__ = ["Heterogeneity", "higgins_thompson_ci", "typical_variance"]


@dataclass(frozen=True, slots=True)
class Heterogeneity:
    """Between-study heterogeneity of one pooled analysis.

    ``i2`` and its bounds are fractions (metafor and RevMan print percent). For fixed-effect
    models ``tau2`` is NaN. ``i2_ci_method`` is ``"Q-profile"`` (from the tau² interval,
    metafor's ``confint``) or ``"Higgins-Thompson"`` (test-based, used where I² is (Q-df)/Q).
    """

    q: float
    df: int
    pvalue: float
    i2: float
    h2: float
    tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    i2_ci_low: float
    i2_ci_high: float
    i2_ci_method: str

    @property
    def h(self) -> float:
        return math.sqrt(self.h2) if math.isfinite(self.h2) else math.nan

    @property
    def tau(self) -> float:
        return math.sqrt(self.tau2) if math.isfinite(self.tau2) else math.nan

    def __str__(self) -> str:
        if self.df < 1:
            return "Heterogeneity: not applicable (one study)"
        text = (f"Heterogeneity: Q = {self.q:.2f} (df = {self.df}), {format_p(self.pvalue)}; "
                f"I² = {100 * self.i2:.1f}%")
        if math.isfinite(self.tau2):
            text += f"; tau² = {self.tau2:.4g}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "Q": self.q, "df": self.df, "p": self.pvalue, "I2": 100 * self.i2,
            "I2_ci": [100 * self.i2_ci_low, 100 * self.i2_ci_high],
            "I2_ci_method": self.i2_ci_method, "H": self.h, "H2": self.h2,
            "tau2": self.tau2, "tau2_ci": [self.tau2_ci_low, self.tau2_ci_high], "tau": self.tau,
        })


def typical_variance(vi: np.ndarray) -> float:
    """Typical within-study variance ``s²`` of Higgins and Thompson [1]_, as metafor."""
    w = 1.0 / vi
    k = len(vi)
    return float((k - 1) * w.sum() / (w.sum() ** 2 - np.dot(w, w)))


def q_pvalue(q: float, df: int) -> float:
    return float(stats.chi2.sf(q, df)) if df > 0 else math.nan


def i2_from_q(q: float, df: int) -> float:
    """``max(0, (Q - df) / Q)``, 0 when Q is 0, NaN for one study."""
    if df < 1:
        return math.nan
    return max(0.0, (q - df) / q) if q > 0 else 0.0


def higgins_thompson_ci(q: float, k: int, *, confidence_level: float = 0.95
                        ) -> tuple[float, float]:
    """Test-based interval for I² through ln H [1]_ (appendix; as R's ``meta``).

    Returns fractions; NaN when k < 3 and Q <= k (the formula is undefined there).
    """
    if k < 2:
        return math.nan, math.nan
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    h = math.sqrt(q / (k - 1)) if q > 0 else 0.0
    if q > k:
        se = 0.5 * (math.log(q) - math.log(k - 1)) / (math.sqrt(2 * q) - math.sqrt(2 * k - 3))
    elif k > 2:
        se = math.sqrt(1 / (2 * (k - 2)) * (1 - 1 / (3 * (k - 2) ** 2)))
    else:
        return math.nan, math.nan
    if h == 0:
        return 0.0, 0.0
    log_h = math.log(h)
    h_low = max(1.0, math.exp(log_h - z * se))
    h_high = max(1.0, math.exp(log_h + z * se))
    return (h_low**2 - 1) / h_low**2, (h_high**2 - 1) / h_high**2

"""Study-level effect sizes and their sampling variances (metafor's ``escalc``).

Ratio measures (OR, RR, Peto OR) are returned on the log scale. Binary measures apply the
zero-cell correction before computing: ``add`` is added to every cell of the studies
selected by ``to`` (metafor's ``add`` and ``to`` arguments).

References
----------
.. [1] Viechtbauer W. Conducting meta-analyses in R with the metafor package.
       J Stat Softw. 2010;36(3):1-48.
.. [2] Hedges LV. Distribution theory for Glass's estimator of effect size and related
       estimators. J Educ Stat. 1981;6:107-128.
.. [3] Deeks JJ, Higgins JPT. Statistical algorithms in Review Manager 5. The Cochrane
       Collaboration; 2010.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import gammaln

__all__ = [
    "BinaryTable",
    "ContinuousTable",
    "binary_effect",
    "continuous_effect",
    "peto_effect",
    "zero_cell_correction",
]

BinaryMeasure = Literal["OR", "RR", "RD"]
ZeroCellRule = Literal["only0", "all", "if0all", "none"]


@dataclass(frozen=True, slots=True)
class BinaryTable:
    """2x2 counts per study: events a, c and non-events b, d (treatment, control)."""

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray

    @property
    def n1(self) -> np.ndarray:
        return self.a + self.b

    @property
    def n2(self) -> np.ndarray:
        return self.c + self.d

    @property
    def n(self) -> np.ndarray:
        return self.a + self.b + self.c + self.d

    def has_zero(self) -> np.ndarray:
        """Studies with at least one empty cell."""
        return (self.a == 0) | (self.b == 0) | (self.c == 0) | (self.d == 0)

    def double_zero(self) -> np.ndarray:
        """Studies with no events, or only events, in both arms."""
        return ((self.a == 0) & (self.c == 0)) | ((self.b == 0) & (self.d == 0))

    def subset(self, mask: np.ndarray) -> BinaryTable:
        return BinaryTable(self.a[mask], self.b[mask], self.c[mask], self.d[mask])


@dataclass(frozen=True, slots=True)
class ContinuousTable:
    """Means, SDs and sizes per arm (1 = treatment, 2 = control)."""

    m1: np.ndarray
    sd1: np.ndarray
    n1: np.ndarray
    m2: np.ndarray
    sd2: np.ndarray
    n2: np.ndarray

    def subset(self, mask: np.ndarray) -> ContinuousTable:
        return ContinuousTable(*(getattr(self, f)[mask] for f in self.__slots__))


def zero_cell_correction(table: BinaryTable, *, add: float, to: ZeroCellRule) -> BinaryTable:
    """Add ``add`` to all four cells of the studies chosen by ``to``.

    ``"only0"`` corrects studies with a zero cell (RevMan's and metafor's default),
    ``"all"`` every study, ``"if0all"`` every study when any has a zero cell, ``"none"`` none.
    """
    if to == "none" or add == 0:
        return table
    if to == "all":
        rows = np.ones(table.a.shape, dtype=bool)
    elif to == "only0":
        rows = table.has_zero()
    elif to == "if0all":
        rows = np.full(table.a.shape, bool(table.has_zero().any()))
    else:  # pragma: no cover - validated by callers
        raise ValueError(to)
    inc = np.where(rows, add, 0.0)
    return BinaryTable(table.a + inc, table.b + inc, table.c + inc, table.d + inc)


def binary_effect(table: BinaryTable, measure: BinaryMeasure) -> tuple[np.ndarray, np.ndarray]:
    """Log OR, log RR or RD with the large-sample variance, per study.

    Cells should already be corrected (:func:`zero_cell_correction`); a study whose
    estimate is still undefined (e.g. log OR of a double-zero study) gets NaN.
    """
    a, b, c, d = table.a, table.b, table.c, table.d
    n1, n2 = a + b, c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            yi = np.log(a * d / (b * c))
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        elif measure == "RR":
            yi = np.log((a / n1) / (c / n2))
            vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
        elif measure == "RD":
            p1, p2 = a / n1, c / n2
            yi = p1 - p2
            vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
        else:  # pragma: no cover - validated by callers
            raise ValueError(measure)
    bad = ~np.isfinite(yi) | ~np.isfinite(vi)
    yi = np.where(bad, np.nan, yi)
    vi = np.where(bad, np.nan, vi)
    return yi, vi


def peto_effect(table: BinaryTable) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Peto's one-step log OR per study: ``(O - E) / V`` with variance ``1 / V``.

    Returns ``(yi, vi, o_minus_e, v)``; studies with ``V == 0`` get NaN estimates.
    """
    a, c = table.a, table.c
    n1, n2, n = table.n1, table.n2, table.n
    events = a + c
    o_minus_e = a - n1 * events / n
    with np.errstate(divide="ignore", invalid="ignore"):
        v = n1 * n2 * events * (n - events) / (n**2 * (n - 1))
        yi = np.where(v > 0, o_minus_e / v, np.nan)
        vi = np.where(v > 0, 1 / v, np.nan)
    return yi, vi, o_minus_e, v


def _hedges_j_exact(m: np.ndarray) -> np.ndarray:
    """Exact small-sample correction ``J(m)`` of Hedges (1981), as metafor's ``.cmicalc``."""
    return np.exp(gammaln(m / 2) - 0.5 * np.log(m / 2) - gammaln((m - 1) / 2))


def continuous_effect(
    table: ContinuousTable, measure: Literal["MD", "SMD"], *, revman: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Mean difference, or Hedges' g, per study.

    For SMD, metafor uses the exact correction ``J`` and ``v = 1/n1 + 1/n2 + g^2 / (2 N)``;
    RevMan 5 uses ``J = 1 - 3 / (4N - 9)`` and ``v = N / (n1 n2) + g^2 / (2 (N - 3.94))`` [3]_.
    """
    m1, sd1, n1, m2, sd2, n2 = (table.m1, table.sd1, table.n1, table.m2, table.sd2, table.n2)
    if measure == "MD":
        return m1 - m2, sd1**2 / n1 + sd2**2 / n2
    total = n1 + n2
    sd_pooled = np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (total - 2))
    d = (m1 - m2) / sd_pooled
    if revman:
        g = d * (1 - 3 / (4 * total - 9))
        return g, total / (n1 * n2) + g**2 / (2 * (total - 3.94))
    g = d * _hedges_j_exact(total - 2)
    return g, 1 / n1 + 1 / n2 + g**2 / (2 * total)

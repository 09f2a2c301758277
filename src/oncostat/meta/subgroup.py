"""Subgroup analysis with the test for subgroup differences.

Each subgroup is pooled on its own (its own tau² under random effects, as RevMan does).
The test for subgroup differences treats the subgroup estimates as studies in a
fixed-effect inverse-variance meta-analysis: ``Q = sum w_g (theta_g - theta)^2`` with
``w_g = 1 / se_g^2`` on G - 1 df, and ``I² = (Q - df) / Q`` [1]_ [2]_. For an
inverse-variance fixed-effect analysis this equals ``Q_total - sum Q_within`` (metafor's
``QM`` of the moderator model).

References
----------
.. [1] Deeks JJ, Higgins JPT, Altman DG. Analysing data and undertaking meta-analyses.
       Cochrane Handbook, chapter 10.11.3.1. 2023.
.. [2] Borenstein M, Higgins JPT. Meta-analysis and subgroups. Prev Sci. 2013;14:134-143.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from oncostat._results import ResultMixin, format_p, jsonable
from oncostat._validate import require_columns
from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.meta.analysis import PooledEstimate, fit, prepare
from oncostat.meta.heterogeneity import i2_from_q

__all__ = ["SubgroupAnalysis", "SubgroupDifference", "subgroup_analysis"]


@dataclass(frozen=True, slots=True)
class SubgroupDifference:
    """Test for subgroup differences: chi-squared ``q`` on ``df``, its p and I² (fraction)."""

    q: float
    df: int
    pvalue: float
    i2: float

    def __str__(self) -> str:
        return (f"Test for subgroup differences: Chi² = {self.q:.2f}, df = {self.df} "
                f"({format_p(self.pvalue)}), I² = {100 * self.i2:.1f}%")

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"Q": self.q, "df": self.df, "p": self.pvalue, "I2": 100 * self.i2})


@dataclass(frozen=True, slots=True)
class SubgroupAnalysis(ResultMixin):
    """Result of :func:`subgroup_analysis`: one pooled estimate per level, and overall."""

    by: str
    subgroups: dict[str, PooledEstimate] = field(repr=False)
    overall: PooledEstimate = field(repr=False)
    difference: SubgroupDifference

    def __str__(self) -> str:
        lines = [f"Subgroup analysis by {self.by!r}: {self.overall.title()}"]
        for level, res in self.subgroups.items():
            s = res.spec
            lines.append(f"  {level}: {s.measure} {res.estimate:.2f} ({res.ci_low:.2f} to "
                         f"{res.ci_high:.2f}), k = {res.k}, I² = "
                         f"{_pct(res.heterogeneity.i2)}")
        lines.append(f"  Overall: {self.overall.spec.measure} {self.overall.estimate:.2f} "
                     f"({self.overall.ci_low:.2f} to {self.overall.ci_high:.2f})")
        lines.append("  " + str(self.difference))
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        rows = [_row(level, res) for level, res in self.subgroups.items()]
        rows.append(_row("Overall", self.overall))
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "by": self.by,
            "subgroups": [{"subgroup": level, **res.to_dict()}
                          for level, res in self.subgroups.items()],
            "subgroup_differences": self.difference.to_dict(),
        })

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        from oncostat.plot.forest import forest

        return forest(self, ax=ax, **kwargs)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if math.isfinite(x) else "NA"


def _row(level: str, res: PooledEstimate) -> dict[str, Any]:
    h = res.heterogeneity
    return {"subgroup": level, "k": res.k, "estimate": res.estimate, "ci_low": res.ci_low,
            "ci_high": res.ci_high, "statistic": res.statistic, "pvalue": res.pvalue,
            "q": h.q, "df": h.df, "q_pvalue": h.pvalue, "i2": h.i2, "tau2": h.tau2}


def subgroup_difference(estimates: list[PooledEstimate]) -> SubgroupDifference:
    """Chi-squared test across subgroup estimates (fixed-effect IV on the analysis scale)."""
    y = np.array([r.log_estimate for r in estimates])
    w = 1.0 / np.array([r.se for r in estimates]) ** 2
    mu = np.dot(w, y) / w.sum()
    q = float(np.dot(w, (y - mu) ** 2))
    df = len(estimates) - 1
    p = float(stats.chi2.sf(q, df)) if df > 0 else math.nan
    return SubgroupDifference(q, df, p, i2_from_q(q, df))


def subgroup_analysis(data: pd.DataFrame, *, by: str, **options: Any) -> SubgroupAnalysis:
    """Pool within each level of ``by`` and test whether the subgroups differ.

    Parameters
    ----------
    by : str
        Column holding the subgroup of each study (rows with an empty cell are left out
        with a warning).
    **options
        As :func:`oncostat.meta.meta_analysis` (measure, method, model, columns, ...).

    Returns
    -------
    SubgroupAnalysis
        Subgroups in order of first appearance; subgroups whose estimate is undefined
        (e.g. no events at all) are reported without entering the difference test.
    """
    require_columns(data, [by], what="study table")
    studies, spec = prepare(data, **options)
    levels_col = studies.frame[by]
    if levels_col.isna().any():
        n = int(levels_col.isna().sum())
        warnings.warn(f"{n} {'study' if n == 1 else 'studies'} without a value in column "
                      f"{by!r} left out of the subgroup analysis", DegenerateDataWarning,
                      stacklevel=2)
    overall = fit(studies, spec)
    subgroups: dict[str, PooledEstimate] = {}
    for level in pd.unique(levels_col.dropna()):
        subgroups[str(level)] = fit(studies.subset((levels_col == level).to_numpy()), spec)
    usable = [r for r in subgroups.values() if math.isfinite(r.se) and r.se > 0]
    if len(usable) < 2:
        raise InputError(f"column {by!r}: expected at least two subgroups with an estimate, "
                         f"got {len(usable)}")
    return SubgroupAnalysis(by, subgroups, overall, subgroup_difference(usable))

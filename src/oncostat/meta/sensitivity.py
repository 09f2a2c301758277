"""Sensitivity analyses that re-pool subsets of the studies: leave-one-out and cumulative.

Every re-analysis uses the same options as the full analysis, as metafor's
``leave1out()`` and ``cumul()`` do and as in the seed paper's Table 3 (estimate [95% CI],
Chi², df (P), I², z (P) after omitting each study in turn).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from oncostat._results import ResultMixin, jsonable
from oncostat._validate import require_columns
from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.meta.analysis import PooledEstimate, fit, prepare
from oncostat.meta.studies import StudyData

__all__ = ["SequentialAnalysis", "cumulative", "leave_one_out"]


@dataclass(frozen=True, slots=True)
class SequentialAnalysis(ResultMixin):
    """Re-analyses of subsets: ``kind`` is ``"leave-one-out"`` or ``"cumulative"``.

    ``steps`` pairs each row label (the omitted study, or the study just added) with its
    fit, in order; labels need not be unique.
    """

    kind: str
    full: PooledEstimate = field(repr=False)
    steps: tuple[tuple[str, PooledEstimate], ...] = field(repr=False)

    def __str__(self) -> str:
        what = "omitting" if self.kind == "leave-one-out" else "adding"
        lines = [f"{self.kind.capitalize()} analysis: {self.full.title()}"]
        frame = self.to_frame()
        for _, r in frame.iterrows():
            i2 = "NA" if pd.isna(r.i2) else f"{100 * r.i2:.0f}%"
            lines.append(f"  {what} {r.study}: {self.full.spec.measure} {r.estimate:.2f} "
                         f"({r.ci_low:.2f} to {r.ci_high:.2f}), I² = {i2}, p = {r.pvalue:.3g}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per step: the columns of the seed's Table 3 and metafor's ``leave1out``."""
        rows = []
        for label, res in self.steps:
            h = res.heterogeneity
            rows.append({"study": label, "k": res.k, "estimate": res.estimate,
                         "ci_low": res.ci_low, "ci_high": res.ci_high, "q": h.q, "df": h.df,
                         "q_pvalue": h.pvalue, "i2": h.i2, "tau2": h.tau2,
                         "statistic": res.statistic, "pvalue": res.pvalue})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        frame = self.to_frame()
        frame["i2"] = 100 * frame["i2"]
        key = "omitted" if self.kind == "leave-one-out" else "added"
        return jsonable([{key: r.pop("study"), **r} for r in frame.to_dict(orient="records")])


def _fit_quietly(studies: StudyData, spec: Any) -> PooledEstimate:
    # The full analysis already warned about zero cells and exclusions once.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        return fit(studies, spec)


def leave_one_out(data: pd.DataFrame, **options: Any) -> SequentialAnalysis:
    """Re-pool omitting each study in turn (metafor's ``leave1out``).

    Takes :func:`oncostat.meta.meta_analysis`'s options. Omitting a study that leaves
    one study gives that study's estimate with heterogeneity not applicable (the "/" of
    RevMan tables).
    """
    studies, spec = prepare(data, **options)
    if studies.k < 2:
        raise InputError(f"leave-one-out needs at least two studies, got {studies.k}")
    full = fit(studies, spec)
    steps = []
    for i, label in enumerate(studies.labels):
        mask = np.ones(studies.k, dtype=bool)
        mask[i] = False
        steps.append((str(label), _fit_quietly(studies.subset(mask), spec)))
    return SequentialAnalysis("leave-one-out", full, tuple(steps))


def cumulative(data: pd.DataFrame, *, order: str | None = "year", **options: Any
               ) -> SequentialAnalysis:
    """Cumulative meta-analysis, adding studies in the order of column ``order``.

    ``order=None`` keeps the table's order; ties keep the table's order (a stable sort),
    as metafor's ``cumul(order=...)``.
    """
    studies, spec = prepare(data, **options)
    positions = np.arange(studies.k)
    if order is not None:
        require_columns(studies.frame, [order], what="study table")
        positions = np.argsort(studies.frame[order].to_numpy(), kind="stable")
    full = fit(studies, spec)
    steps = []
    for j in range(1, studies.k + 1):
        mask = np.zeros(studies.k, dtype=bool)
        mask[positions[:j]] = True
        steps.append((str(studies.labels[positions[j - 1]]),
                      _fit_quietly(studies.subset(mask), spec)))
    return SequentialAnalysis("cumulative", full, tuple(steps))

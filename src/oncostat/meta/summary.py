"""Everything asked of one outcome in one object: the pooled estimate plus the optional
subgroup, leave-one-out, cumulative, influence and small-study analyses.

This is what ``oncostat meta`` prints and what a report section shows; each part is the
result of its own function and can be used alone.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from oncostat._results import ResultMixin, jsonable
from oncostat._validate import require_columns
from oncostat.errors import DegenerateDataWarning
from oncostat.meta import sensitivity
from oncostat.meta.analysis import PooledEstimate, meta_analysis
from oncostat.meta.sensitivity import SequentialAnalysis
from oncostat.meta.subgroup import SubgroupAnalysis, subgroup_analysis

__all__ = ["MetaSummary", "summarise", "summarise_by"]


@dataclass(frozen=True, slots=True)
class MetaSummary(ResultMixin):
    """The analyses of one outcome; absent parts are None."""

    name: str
    pooled: PooledEstimate = field(repr=False)
    subgroups: SubgroupAnalysis | None = field(default=None, repr=False)
    leave_one_out: SequentialAnalysis | None = field(default=None, repr=False)
    cumulative: SequentialAnalysis | None = field(default=None, repr=False)
    influence: Any = field(default=None, repr=False)
    small_study: Any = field(default=None, repr=False)

    def parts(self) -> list[Any]:
        return [p for p in (self.subgroups, self.leave_one_out, self.cumulative,
                            self.influence, self.small_study) if p is not None]

    def __str__(self) -> str:
        head = f"[{self.name}] " if self.name else ""
        return "\n\n".join([head + str(self.pooled), *(str(p) for p in self.parts())])

    def to_frame(self) -> pd.DataFrame:
        return self.pooled.to_frame()

    def to_dict(self) -> dict[str, Any]:
        out = self.pooled.to_dict()
        if self.name:
            out = {"outcome": self.name, **out}
        if self.subgroups is not None:
            out.update(self.subgroups.to_dict())
        for key, part in (("leave_one_out", self.leave_one_out),
                          ("cumulative", self.cumulative),
                          ("influence", self.influence),
                          ("small_study", self.small_study)):
            if part is not None:
                out[key] = part.to_dict()
        return jsonable(out)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Forest plot of the subgroups when present, else of the studies."""
        return (self.subgroups or self.pooled).plot(ax=ax, **kwargs)


def summarise(data: pd.DataFrame, *, name: str = "", subgroup: str | None = None,
              leave_one_out: bool = False, cumulative: bool = False,
              influence: bool = False, small_study: bool = False,
              order: str | None = "year", **options: Any) -> MetaSummary:
    """Run the pooled analysis and every requested companion analysis of one outcome.

    ``options`` are :func:`oncostat.meta.meta_analysis`'s; ``order`` is the column a
    cumulative analysis follows (the table's order if absent from the data).
    """
    if subgroup is not None:
        sub = subgroup_analysis(data, by=subgroup, **options)
        pooled = sub.overall
    else:
        sub = None
        pooled = meta_analysis(data, **options)
    with warnings.catch_warnings():
        # The pooled analysis has already warned about zero cells, exclusions and missing
        # values; the companion analyses of the same studies would repeat it.
        warnings.simplefilter("ignore", DegenerateDataWarning)
        return MetaSummary(name, pooled, sub, *_companions(
            data, pooled, leave_one_out=leave_one_out, cumulative=cumulative,
            influence=influence, small_study=small_study, order=order, options=options))


def _companions(data: pd.DataFrame, pooled: PooledEstimate, *, leave_one_out: bool,
                cumulative: bool, influence: bool, small_study: bool, order: str | None,
                options: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    loo = sensitivity.leave_one_out(data, **options) if leave_one_out and pooled.k >= 2 else None
    cum = None
    if cumulative:
        by = order if order in data.columns else None
        cum = sensitivity.cumulative(data, order=by, **options)
    infl = None
    if influence:
        from oncostat.meta.influence import influence as _influence

        infl = _influence(pooled)
    small = None
    if small_study:
        from oncostat.meta.small_study import small_study_effects

        small = small_study_effects(pooled)
    return loo, cum, infl, small


def summarise_by(data: pd.DataFrame, *, outcome: str, **kwargs: Any) -> dict[str, MetaSummary]:
    """:func:`summarise` each level of column ``outcome`` (in order of appearance)."""
    require_columns(data, [outcome], what="study table")
    out: dict[str, MetaSummary] = {}
    for level in pd.unique(data[outcome].dropna()):
        rows = data.loc[data[outcome] == level].reset_index(drop=True)
        out[str(level)] = summarise(rows, name=str(level), **kwargs)
    return out

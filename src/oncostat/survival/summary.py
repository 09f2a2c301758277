"""One-call survival summary: KM per group, log-rank, RMST and (optionally) a Cox model.

:func:`survival_summary` is what ``oncostat survival`` prints: the numbers a results section
reports for a time-to-event endpoint, from one sort of the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from oncostat._results import ResultMixin, format_p, jsonable
from oncostat.errors import InputError
from oncostat.survival._data import survival_data
from oncostat.survival.kaplan_meier import ConfType, KaplanMeierResult, km_from_data
from oncostat.survival.logrank import LogRankResult, _result_from
from oncostat.survival.rmst import RMSTResult, rmst_from_km

__all__ = ["SurvivalSummary", "survival_summary"]


@dataclass(frozen=True, slots=True)
class SurvivalSummary(ResultMixin):
    """Result of :func:`survival_summary`; see its docstring."""

    km: KaplanMeierResult
    at_times: pd.DataFrame = field(repr=False)
    rmst: RMSTResult
    logrank: LogRankResult | None
    cox: Any = None   # oncostat.survival.cox.CoxResult when a model was fitted

    def hazard_ratio_text(self) -> str | None:
        """``HR 0.62 (95% CI 0.45 to 0.85)`` for a two-arm group-only Cox model, else None."""
        if self.cox is None or len(self.cox.columns) != 1:
            return None
        low, high = self.cox.hr_ci()
        pct = f"{100 * self.cox.confidence_level:g}%"
        return f"HR {self.cox.hr[0]:.2f} ({pct} CI {low[0]:.2f} to {high[0]:.2f})"

    def annotation(self) -> str | None:
        """Log-rank p and, for two arms, the HR: the text a KM panel carries."""
        parts = []
        if self.logrank is not None:
            parts.append(f"Log-rank {format_p(self.logrank.pvalue)}")
        hr = self.hazard_ratio_text()
        if hr:
            parts.append(hr)
        return "\n".join(parts) or None

    def __str__(self) -> str:
        lines = [str(self.km)]
        if len(self.at_times):
            lines.append("  Survival at chosen times:")
            for r in self.at_times.itertuples(index=False):
                lines.append(f"    {r.group!s} at {r.time:g}: {r.surv:.3f} ({r.ci_low:.3f} to "
                             f"{r.ci_high:.3f}), {int(r.n_risk)} at risk")
        lines.append(str(self.rmst))
        if self.logrank is not None:
            lines.append(str(self.logrank))
        if self.cox is not None:
            lines.append(str(self.cox))
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per group: n, events, median and CI, RMST."""
        out = self.km.medians.copy()
        out["rmst"] = self.rmst.table["rmst"].to_numpy()
        out["rmst_se"] = self.rmst.table["se"].to_numpy()
        return out

    def to_dict(self) -> dict[str, Any]:
        groups = []
        for m, r in zip(self.km.medians.itertuples(index=False),
                        self.rmst.table.itertuples(index=False), strict=True):
            rows = self.at_times[self.at_times["group"] == m.group]
            groups.append({
                "group": m.group, "n": m.n, "events": m.events,
                "median": m.median if m.reached else None,
                "median_ci_low": m.ci_low, "median_ci_high": m.ci_high,
                "median_reached": bool(m.reached),
                "at_times": [{"time": a.time, "n_risk": a.n_risk, "surv": a.surv, "se": a.se,
                              "ci_low": a.ci_low, "ci_high": a.ci_high}
                             for a in rows.itertuples(index=False)],
                "rmst": r.rmst})
        logrank = (None if self.logrank is None else
                   {"statistic": self.logrank.statistic, "df": self.logrank.df,
                    "p": self.logrank.pvalue})
        return jsonable({"groups": groups, "logrank": logrank,
                         "cox": self.cox.to_dict() if self.cox is not None else None})

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """KM figure with the log-rank p (and HR); see :func:`oncostat.plot.km.km_plot`."""
        from oncostat.plot.km import km_plot

        kwargs.setdefault("annotate", self.annotation())
        return km_plot(self.km, ax=ax, **kwargs)


def survival_summary(
    data: pd.DataFrame | Mapping[str, object],
    *,
    time: str,
    event: str,
    group: str | None = None,
    reference: object = None,
    covariates: Sequence[str] | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    ties: str = "efron",
    conf_type: ConfType = "log",
    times: Sequence[float] | None = None,
    tau: float | None = None,
    event_codes: Mapping[object, int] | None = None,
    id: str | None = None,
) -> SurvivalSummary:
    """Kaplan-Meier, log-rank, RMST and Cox model for one time-to-event endpoint.

    Parameters
    ----------
    time, event, group, conf_type, event_codes, id
        As :func:`oncostat.survival.kaplan_meier`.
    reference : optional
        Reference group for the hazard ratio and the RMST difference; default the first.
    covariates : sequence of str, optional
        Adjustment covariates for the Cox model (the group enters first).
    strata : str or sequence of str, optional
        Stratifies the log-rank test and the Cox baseline hazard (not the KM curves).
    cluster, ties
        Passed to :func:`oncostat.survival.cox.cox_ph` (R's ``coxph`` arguments).
    times : sequence of float, optional
        Times at which to report survival with CIs and numbers at risk (e.g. 12, 24, 36
        months); R's ``summary(fit, times)``.
    tau : float, optional
        RMST truncation time; see :func:`oncostat.survival.rmst`.

    Returns
    -------
    SurvivalSummary
        ``to_dict()`` has ``groups`` (n, events, median with CI and ``median_reached``,
        ``at_times``, ``rmst``), ``logrank`` (``statistic``, ``df``, ``p``; null without a
        group) and ``cox`` (the Cox model's ``to_dict()``, null without a group or
        covariates). A median not reached is null with ``median_reached: false``.
    """
    sd = survival_data(data, time=time, event=event, group=group, strata=strata,
                       event_codes=event_codes, id=id)
    km = km_from_data(sd, conf_type=conf_type)
    at = km.at(list(times) if times is not None else [])
    logrank = _result_from(sd, 0.0, 0.0) if group is not None and sd.n_groups > 1 else None
    cox = None
    if group is not None or covariates:
        cox = _cox(data, sd, time=time, group=group, reference=reference,
                   covariates=list(covariates or []), strata=strata, cluster=cluster, ties=ties)
    return SurvivalSummary(km, at, rmst_from_km(km, tau=tau, reference=reference), logrank, cox)


def _cox(data: Any, sd: Any, *, time: str, group: str | None, reference: object,
         covariates: list[str], strata: Any, cluster: str | None, ties: str) -> Any:
    from oncostat.survival.cox import cox_ph

    frame = pd.DataFrame(data).reset_index(drop=True)
    # Pass the event as checked 0/1 (after event_codes) so both models see the same events.
    event_col = "__event__"
    frame = frame.assign(**{event_col: sd.event.astype(np.int64)})
    terms = ([group] if group is not None else []) + covariates
    ref = None
    if group is not None:
        if sd.n_groups < 2:
            return None
        level = reference if reference is not None else sd.group_labels[0]
        if level not in sd.group_labels and str(level) not in map(str, sd.group_labels):
            raise InputError(f"reference: group {level!r} not found in column {group!r}")
        frame[group] = frame[group].astype(str)
        ref = {group: str(level)}
    return cox_ph(frame, time=time, event=event_col, covariates=terms, strata=strata,
                  cluster=cluster, ties=ties, reference=ref)  # type: ignore[arg-type]

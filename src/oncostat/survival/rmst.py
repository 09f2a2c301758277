"""Restricted mean survival time (RMST) per group and its difference between groups.

The RMST up to ``tau`` is the area under the Kaplan-Meier curve from 0 to ``tau`` [1]_;
its variance is Greenwood's, ``sum_j A_j^2 d_j / (n_j (n_j - d_j))`` with ``A_j`` the area
from the j-th time to ``tau`` -- R's ``print(fit, rmean = tau)`` (``survival:::survmean``).
Groups are compared by the difference in RMST with a z test (independent groups, so the
variances add) [1]_ [2]_.

References
----------
.. [1] Royston P, Parmar MKB. Restricted mean survival time: an alternative to the hazard
       ratio for the design and analysis of randomized trials with a time-to-event outcome.
       BMC Med Res Methodol. 2013;13:152.
.. [2] Uno H, Claggett B, Tian L, et al. Moving beyond the hazard ratio in quantifying the
       between-group difference in survival analysis. J Clin Oncol. 2014;32:2380-2385
       (R package survRM2, whose default ``tau`` is the smallest of the groups' largest
       observed times).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from oncostat._results import ResultMixin, format_p, jsonable
from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.survival._data import survival_data

if TYPE_CHECKING:
    from oncostat.survival.kaplan_meier import KaplanMeierCurve, KaplanMeierResult

__all__ = ["RMSTResult", "rmst", "rmst_from_km"]


def _rmst_curve(c: KaplanMeierCurve, tau: float) -> tuple[float, float]:
    """Area under one curve up to ``tau`` and its Greenwood SE (``survmean`` in R)."""
    keep = c.time <= tau
    t = np.concatenate((c.time[keep], [tau]))
    s = np.concatenate((c.surv[keep], [c.surv[keep][-1] if keep.any() else 1.0]))
    d, n = c.n_event[keep], c.n_risk[keep]
    # Terms where everyone at risk dies have no area after them; R sets them to 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(n > d, d / (n * (n - d)), 0.0)
    rect = np.diff(t, prepend=0.0) * np.concatenate(([1.0], s[:-1]))
    area_after = np.cumsum(rect[::-1])[::-1][1:]        # area from each time to tau
    return float(rect.sum()), float(math.sqrt(np.sum(area_after**2 * h)))


@dataclass(frozen=True, slots=True)
class RMSTResult(ResultMixin):
    """Result of :func:`rmst`; see its docstring.

    ``table`` has one row per group (``group``, ``rmst``, ``se``, ``ci_low``, ``ci_high``);
    ``differences`` one row per non-reference group (``group``, ``reference``,
    ``estimate`` = RMST(group) - RMST(reference), ``se``, ``ci_low``, ``ci_high``,
    ``statistic`` (z), ``pvalue``), empty for one group.
    """

    tau: float
    confidence_level: float
    table: pd.DataFrame = field(repr=False)
    differences: pd.DataFrame = field(repr=False)

    def __str__(self) -> str:
        pct = f"{100 * self.confidence_level:g}%"
        lines = [f"Restricted mean survival time up to tau = {self.tau:g}"]
        for r in self.table.itertuples(index=False):
            lines.append(f"  {r.group!s}: {r.rmst:.3g} (SE {r.se:.3g}; {pct} CI "
                         f"{r.ci_low:.3g} to {r.ci_high:.3g})")
        for r in self.differences.itertuples(index=False):
            lines.append(f"  {r.group!s} - {r.reference!s}: {r.estimate:.3g} ({pct} CI "
                         f"{r.ci_low:.3g} to {r.ci_high:.3g}), z = {r.statistic:.2f}, "
                         f"{format_p(r.pvalue)}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"tau": self.tau, "confidence_level": self.confidence_level,
                         "groups": self.table, "differences": self.differences})


def rmst_from_km(km: KaplanMeierResult, *, tau: float | None = None,
                 reference: object = None) -> RMSTResult:
    """RMST from a fitted :class:`~oncostat.survival.KaplanMeierResult`; see :func:`rmst`."""
    if tau is None:
        tau = min(c.last_time for c in km.curves)
    elif not (isinstance(tau, (int, float)) and math.isfinite(tau) and tau > 0):
        raise InputError(f"tau: expected a time > 0, got {tau!r}")
    # A curve that has reached 0 is known up to any tau; one that ends censored is not.
    beyond = [str(c.group) for c in km.curves if c.last_time < tau and c.surv[-1] > 0]
    if beyond:
        warnings.warn(f"tau = {tau:g} is beyond the last follow-up of group"
                      f"{'s' if len(beyond) > 1 else ''} {', '.join(map(repr, beyond))}; "
                      "their curves are extended flat from the last observed time (as R does)",
                      DegenerateDataWarning, stacklevel=3)
    z = stats.norm.ppf(1 - (1 - km.confidence_level) / 2)
    rows = []
    for c in km.curves:
        est, se = _rmst_curve(c, float(tau))
        rows.append({"group": c.group, "rmst": est, "se": se, "ci_low": est - z * se,
                     "ci_high": est + z * se})
    table = pd.DataFrame(rows)
    diffs = []
    if len(rows) > 1:
        ref = km.curve(reference).group if reference is not None else rows[0]["group"]
        r0 = next(r for r in rows if r["group"] == ref)
        for r in rows:
            if r["group"] == ref:
                continue
            est, se = r["rmst"] - r0["rmst"], math.hypot(r["se"], r0["se"])
            stat = est / se if se > 0 else math.nan
            diffs.append({"group": r["group"], "reference": ref, "estimate": est, "se": se,
                          "ci_low": est - z * se, "ci_high": est + z * se, "statistic": stat,
                          "pvalue": 2 * stats.norm.sf(abs(stat)) if se > 0 else math.nan})
    columns = ["group", "reference", "estimate", "se", "ci_low", "ci_high", "statistic", "pvalue"]
    return RMSTResult(float(tau), km.confidence_level, table,
                      pd.DataFrame(diffs, columns=columns))


def rmst(
    data: pd.DataFrame | Mapping[str, object],
    *,
    time: str,
    event: str,
    group: str | None = None,
    tau: float | None = None,
    reference: object = None,
    confidence_level: float = 0.95,
    event_codes: Mapping[object, int] | None = None,
    id: str | None = None,
) -> RMSTResult:
    """Restricted mean survival time per group and the difference between groups [1]_.

    Parameters
    ----------
    tau : float, optional
        Truncation time; ``rmean`` in R's ``print(survfit(...), rmean = tau)``. Default
        the smallest of the groups' largest observed times (survRM2's default [2]_), so
        no curve is extrapolated.
    reference : optional
        Group subtracted in the differences; default the first group.
    confidence_level : float, default 0.95
        For the Wald intervals ``estimate ± z se``.
    time, event, group, event_codes, id
        As :func:`oncostat.survival.kaplan_meier`.

    Warns
    -----
    DegenerateDataWarning
        ``tau`` beyond a group's last follow-up (its curve is extended flat, as in R).

    References
    ----------
    .. [1] Royston P, Parmar MKB. BMC Med Res Methodol. 2013;13:152.
    .. [2] Uno H, et al. J Clin Oncol. 2014;32:2380-2385.
    """
    from oncostat.survival.kaplan_meier import km_from_data

    sd = survival_data(data, time=time, event=event, group=group, event_codes=event_codes, id=id)
    km = km_from_data(sd, confidence_level=confidence_level, warn_not_reached=False)
    return rmst_from_km(km, tau=tau, reference=reference)

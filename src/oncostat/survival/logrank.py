"""The log-rank family: k-group, stratified, weighted, trend and pairwise tests.

All tests share one computation (:func:`logrank_components`): at each distinct event time
the observed and expected events per group and their hypergeometric covariance, weighted by
``S(t-)^rho * (1 - S(t-))^gamma`` where S is the pooled Kaplan-Meier estimate just before
t within the stratum. ``rho = gamma = 0`` is the log-rank test (Mantel 1966);
``rho = 1, gamma = 0`` is R's ``survdiff(rho = 1)``, the Peto & Peto modification of the
Gehan-Wilcoxon test [1]_ [2]_.

References
----------
.. [1] Harrington DP, Fleming TR. A class of rank test procedures for censored survival
       data. Biometrika. 1982;69:553-566.
.. [2] Therneau TM. survival 3.5 for R: ``survdiff`` (C routine ``survdiff2``).
.. [3] Mantel N. Evaluation of survival data and two new rank order statistics arising in
       its consideration. Cancer Chemother Rep. 1966;50:163-170.
.. [4] Collett D. Modelling Survival Data in Medical Research. 3rd ed. CRC Press; 2015,
       section 2.6 (log-rank test for trend).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from oncostat._results import ResultMixin, format_p, jsonable
from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.survival._data import SurvivalData, event_risk_sets, survival_data

__all__ = [
    "LogRankResult",
    "PairwiseLogRankResult",
    "TrendTestResult",
    "logrank_components",
    "logrank_test",
    "logrank_trend",
    "pairwise_logrank",
]

Adjust = Literal["holm", "bonferroni", "BH", "none"]


def logrank_components(sd: SurvivalData, *, rho: float = 0.0, gamma: float = 0.0
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted observed, expected (per group) and covariance matrix, summed over strata.

    Matches R's ``survdiff``: ``obs``, ``exp`` and ``var`` (for ``rho != 0`` the
    observed counts are weighted, as R reports them).
    """
    k = sd.n_groups
    observed, expected, var = np.zeros(k), np.zeros(k), np.zeros((k, k))
    n_strata = len(sd.strata_labels)
    for s in range(n_strata):
        if n_strata == 1:
            t, e, g = sd.time, sd.event, sd.group
        else:
            m = sd.strata == s
            t, e, g = sd.time[m], sd.event[m], sd.group[m]
        # Only event times contribute; between them the pooled KM factor is exactly 1.
        rs = event_risk_sets(t, e, g, k)
        weighted = rho != 0 or gamma != 0
        if weighted:
            n, d = np.empty(len(rs.starts)), np.empty(len(rs.starts))
            for times, n_b, d_b, _, _ in rs.blocks():
                n[times], d[times] = n_b, d_b
            surv = np.cumprod(1.0 - d / n)
            before = np.empty_like(surv)                  # S(t-), left-continuous
            before[:1] = 1.0
            before[1:] = surv[:-1]
            w = before**rho * (1.0 - before) ** gamma
        else:
            # Weights of 1 left out: the products they drop are exact, as are these sums.
            observed += rs.observed
        for times, n, d, n_g, d_g in rs.blocks(group_events=weighted):
            if weighted:
                observed += d_g @ w[times]
                wd, w2d = w[times] * d, w[times] ** 2 * d
            else:
                wd = w2d = d
            expected += n_g @ (wd / n)
            # Hypergeometric variance; a risk set of one contributes nothing (0/0 in the
            # formula). Numbers at risk decrease, so only the last can be 1.
            f = n - d
            f *= w2d
            f /= n - (n > 1)
            f /= n
            if n[-1] <= 1:
                f[-1] = 0.0
            var += np.diag(n_g @ f) - (n_g * (f / n)) @ n_g.T   # BLAS: float arrays
    return observed, expected, var


def _chisq(observed: np.ndarray, expected: np.ndarray, var: np.ndarray,
           what: str) -> tuple[float, int]:
    """R's survdiff statistic: groups with expected > 0 kept, the first dropped, solve."""
    keep = np.flatnonzero(expected > 0)
    if len(keep) < 2:
        warnings.warn(f"{what}: fewer than two groups have patients at risk at an event time "
                      "(no events, or events in one group before the others start); the "
                      "statistic is undefined and reported as NaN", DegenerateDataWarning,
                      stacklevel=4)
        return math.nan, 0
    u = (observed - expected)[keep][1:]
    v = var[np.ix_(keep, keep)][1:, 1:]
    try:
        if np.linalg.matrix_rank(v) < len(u):
            raise np.linalg.LinAlgError
        return float(u @ np.linalg.solve(v, u)), len(u)
    except np.linalg.LinAlgError:
        warnings.warn(f"{what}: the variance matrix is singular (e.g. all events at one time "
                      "with nobody left at risk); the statistic is undefined and reported as NaN",
                      DegenerateDataWarning, stacklevel=4)
        return math.nan, len(u)


def _test_name(rho: float, gamma: float) -> str:
    if rho == 0 and gamma == 0:
        return "Log-rank test"
    if rho == 1 and gamma == 0:
        return "Peto-Peto test (Fleming-Harrington rho = 1)"
    return f"Fleming-Harrington test (rho = {rho:g}, gamma = {gamma:g})"


@dataclass(frozen=True, slots=True)
class LogRankResult(ResultMixin):
    """Result of :func:`logrank_test`; see its docstring."""

    statistic: float
    df: int
    pvalue: float
    groups: tuple[object, ...]
    n: np.ndarray = field(repr=False)
    observed: np.ndarray = field(repr=False)
    expected: np.ndarray = field(repr=False)
    variance: np.ndarray = field(repr=False)
    rho: float = 0.0
    gamma: float = 0.0
    strata: str | None = None

    @property
    def method(self) -> str:
        return _test_name(self.rho, self.gamma)

    def __str__(self) -> str:
        strat = f", stratified by {self.strata}" if self.strata else ""
        lines = [f"{self.method}{strat}",
                 f"  {'group':<16}{'N':>7}{'Observed':>10}{'Expected':>10}"
                 f"{'(O-E)^2/E':>11}{'(O-E)^2/V':>11}"]
        for r in self.to_frame().itertuples(index=False):
            lines.append(f"  {r.group!s:<16}{r.n:>7}{r.observed:>10.4g}{r.expected:>10.4g}"
                         f"{r.oe2_e:>11.4g}{r.oe2_v:>11.4g}")
        lines.append(f"  Chisq = {self.statistic:.2f} on {self.df} df, {format_p(self.pvalue)}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per group: n, observed, expected, (O-E)^2/E and (O-E)^2/V as R prints."""
        oe = self.observed - self.expected
        with np.errstate(divide="ignore", invalid="ignore"):
            return pd.DataFrame({"group": list(self.groups), "n": self.n,
                                 "observed": self.observed, "expected": self.expected,
                                 "oe2_e": oe**2 / self.expected,
                                 "oe2_v": oe**2 / np.diag(self.variance)})

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"method": self.method, "rho": self.rho, "gamma": self.gamma,
                         "strata": self.strata, "statistic": self.statistic, "df": self.df,
                         "p": self.pvalue, "groups": self.to_frame()})


def _result_from(sd: SurvivalData, rho: float, gamma: float) -> LogRankResult:
    if sd.n_groups < 2:
        raise InputError(f"column {sd.group_name!r}: expected at least two groups, got "
                         f"{sd.n_groups} ({', '.join(repr(str(g)) for g in sd.group_labels)})")
    if rho < 0 or gamma < 0:
        raise InputError(f"rho and gamma: expected numbers >= 0, got rho={rho}, gamma={gamma}")
    o, e, v = logrank_components(sd, rho=rho, gamma=gamma)
    chisq, df = _chisq(o, e, v, _test_name(rho, gamma))
    p = float(stats.chi2.sf(chisq, df)) if df > 0 and not math.isnan(chisq) else math.nan
    return LogRankResult(chisq, df, p, sd.group_labels,
                         np.bincount(sd.group, minlength=sd.n_groups), o, e, v, rho, gamma,
                         sd.strata_name)


def logrank_test(
    data: pd.DataFrame | Mapping[str, object],
    *,
    time: str,
    event: str,
    group: str,
    strata: str | Sequence[str] | None = None,
    rho: float = 0.0,
    gamma: float = 0.0,
    event_codes: Mapping[object, int] | None = None,
    id: str | None = None,
) -> LogRankResult:
    """Log-rank test of equal survival in k groups, optionally stratified and weighted [3]_.

    Parameters
    ----------
    data : DataFrame or dict of columns
        One row per patient; never modified.
    time, event, group : str
        Columns of ``Surv(time, event) ~ group``.
    strata : str or list of str, optional
        Stratified test: observed, expected and variance are summed over strata;
        ``+ strata(x)`` in R's ``survdiff``.
    rho, gamma : float, default 0
        Fleming-Harrington weights ``S(t-)^rho (1 - S(t-))^gamma`` [1]_; ``rho`` is R's
        ``survdiff(rho = )`` (``rho = 1`` is the Peto & Peto modification of the
        Gehan-Wilcoxon test); ``gamma > 0`` weights late differences.
    event_codes, id
        See :func:`oncostat.survival.kaplan_meier`.

    Returns
    -------
    LogRankResult
        ``statistic`` (chi-squared on ``df = k - 1``), ``pvalue``, per-group ``observed``,
        ``expected`` and the ``variance`` matrix, as R's ``survdiff``.

    Warns
    -----
    DegenerateDataWarning
        No events, or a singular variance (e.g. all events at one time with nobody left at
        risk): the statistic and p-value are NaN.

    References
    ----------
    .. [1] Harrington DP, Fleming TR. Biometrika. 1982;69:553-566.
    .. [3] Mantel N. Cancer Chemother Rep. 1966;50:163-170.
    """
    sd = survival_data(data, time=time, event=event, group=group, strata=strata,
                       event_codes=event_codes, id=id)
    return _result_from(sd, rho, gamma)


@dataclass(frozen=True, slots=True)
class TrendTestResult(ResultMixin):
    """Result of :func:`logrank_trend`; see its docstring."""

    statistic: float
    df: int
    pvalue: float
    u: float
    variance: float
    scores: tuple[float, ...]
    groups: tuple[object, ...]
    rho: float = 0.0
    gamma: float = 0.0
    strata: str | None = None

    def __str__(self) -> str:
        pairs = ", ".join(f"{g}={s:g}" for g, s in zip(self.groups, self.scores, strict=True))
        strat = f", stratified by {self.strata}" if self.strata else ""
        return (f"{_test_name(self.rho, self.gamma)} for trend{strat} (scores {pairs})\n"
                f"  U = {self.u:.4g}, V = {self.variance:.4g}, Chisq = {self.statistic:.2f} "
                f"on 1 df, {format_p(self.pvalue)}")

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"statistic": self.statistic, "df": self.df, "pvalue": self.pvalue,
                              "u": self.u, "variance": self.variance}])

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"statistic": self.statistic, "df": self.df, "p": self.pvalue,
                         "u": self.u, "variance": self.variance,
                         "scores": dict(zip(map(str, self.groups), self.scores, strict=True)),
                         "rho": self.rho, "gamma": self.gamma, "strata": self.strata})


def logrank_trend(
    data: pd.DataFrame | Mapping[str, object],
    *,
    time: str,
    event: str,
    group: str,
    scores: Sequence[float] | Mapping[object, float] | None = None,
    strata: str | Sequence[str] | None = None,
    rho: float = 0.0,
    gamma: float = 0.0,
    event_codes: Mapping[object, int] | None = None,
    id: str | None = None,
) -> TrendTestResult:
    """Log-rank test for trend across ordered groups [4]_.

    ``U = s'(O - E)`` and ``V = s' Var(O - E) s`` from the (weighted, stratified) log-rank
    components; ``U^2 / V`` is chi-squared on 1 df. R has no function for it; the
    reference fixture computes it from ``survdiff``'s ``obs``, ``exp`` and ``var``.

    Parameters
    ----------
    scores : sequence or mapping, optional
        One score per group in group order, or ``{group: score}``; default 1, 2, ..., k.
    time, event, group, strata, rho, gamma, event_codes, id
        As :func:`logrank_test`.
    """
    sd = survival_data(data, time=time, event=event, group=group, strata=strata,
                       event_codes=event_codes, id=id)
    k = sd.n_groups
    if k < 2:
        raise InputError(f"column {group!r}: expected at least two groups for a trend test")
    if scores is None:
        s = np.arange(1.0, k + 1)
    elif isinstance(scores, Mapping):
        missing = [g for g in sd.group_labels if g not in scores and str(g) not in scores]
        if missing:
            raise InputError(f"scores: no score for group{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(repr(str(m)) for m in missing)}")
        s = np.array([float(scores[g] if g in scores else scores[str(g)])  # type: ignore[index]
                      for g in sd.group_labels])
    else:
        s = np.asarray(scores, dtype=float)
        if len(s) != k:
            raise InputError(f"scores: expected {k} scores (one per group: "
                             f"{', '.join(map(str, sd.group_labels))}), got {len(s)}")
    o, e, v = logrank_components(sd, rho=rho, gamma=gamma)
    u = float(s @ (o - e))
    var = float(s @ v @ s)
    if var <= 0:
        warnings.warn("log-rank trend test: the variance of the score statistic is 0 (no "
                      "events, or equal scores); the statistic is reported as NaN",
                      DegenerateDataWarning, stacklevel=2)
        chisq, p = math.nan, math.nan
    else:
        chisq = u * u / var
        p = float(stats.chi2.sf(chisq, 1))
    return TrendTestResult(chisq, 1, p, u, var, tuple(float(x) for x in s), sd.group_labels,
                           rho, gamma, sd.strata_name)


@dataclass(frozen=True, slots=True)
class PairwiseLogRankResult(ResultMixin):
    """Result of :func:`pairwise_logrank`; ``table`` has one row per pair of groups."""

    adjust: Adjust
    table: pd.DataFrame = field(repr=False)
    rho: float = 0.0
    gamma: float = 0.0
    strata: str | None = None

    def __str__(self) -> str:
        lines = [f"Pairwise {_test_name(self.rho, self.gamma).lower()}s, p-values adjusted by "
                 f"{self.adjust}"]
        for r in self.table.itertuples(index=False):
            lines.append(f"  {r.group1!s} vs {r.group2!s}: Chisq = {r.statistic:.2f}, "
                         f"{format_p(r.pvalue)}, adjusted {format_p(r.pvalue_adjusted)}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"adjust": self.adjust, "rho": self.rho, "gamma": self.gamma,
                         "strata": self.strata, "pairs": self.table})


def p_adjust(p: Sequence[float], method: Adjust) -> np.ndarray:
    """R's ``p.adjust`` for "holm", "bonferroni", "BH" and "none" (NaN p-values kept)."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    q, m = p[ok], int(ok.sum())
    if method == "none" or m == 0:
        return p.copy()
    if method == "bonferroni":
        out[ok] = np.minimum(q * m, 1.0)
    elif method == "holm":
        o = np.argsort(q, kind="stable")
        adj = np.minimum(np.maximum.accumulate((m - np.arange(m)) * q[o]), 1.0)
        out[np.flatnonzero(ok)[o]] = adj
    elif method == "BH":
        o = np.argsort(q, kind="stable")[::-1]
        adj = np.minimum(np.minimum.accumulate(m / np.arange(m, 0, -1) * q[o]), 1.0)
        out[np.flatnonzero(ok)[o]] = adj
    else:
        raise InputError(f"adjust: expected one of holm, bonferroni, BH, none; got {method!r}")
    return out


def pairwise_logrank(
    data: pd.DataFrame | Mapping[str, object],
    *,
    time: str,
    event: str,
    group: str,
    adjust: Adjust = "holm",
    strata: str | Sequence[str] | None = None,
    rho: float = 0.0,
    gamma: float = 0.0,
    event_codes: Mapping[object, int] | None = None,
    id: str | None = None,
) -> PairwiseLogRankResult:
    """Log-rank tests between every pair of groups, with a multiplicity adjustment.

    Each pair is tested on its own patients (as survminer's ``pairwise_survdiff``); the
    p-values are adjusted as R's ``p.adjust(method = adjust)``: Holm (default),
    Bonferroni or Benjamini-Hochberg ("BH").

    Parameters
    ----------
    adjust : {"holm", "bonferroni", "BH", "none"}, default "holm"
    time, event, group, strata, rho, gamma, event_codes, id
        As :func:`logrank_test`.
    """
    if adjust not in ("holm", "bonferroni", "BH", "none"):
        raise InputError(f"adjust: expected one of holm, bonferroni, BH, none; got {adjust!r}")
    sd = survival_data(data, time=time, event=event, group=group, strata=strata,
                       event_codes=event_codes, id=id)
    if sd.n_groups < 2:
        raise InputError(f"column {group!r}: expected at least two groups, got {sd.n_groups}")
    rows = []
    for i, j in itertools.combinations(range(sd.n_groups), 2):
        res = _result_from(sd.subset((sd.group == i) | (sd.group == j)), rho, gamma)
        rows.append({"group1": sd.group_labels[i], "group2": sd.group_labels[j],
                     "statistic": res.statistic, "df": res.df, "pvalue": res.pvalue})
    table = pd.DataFrame(rows)
    table["pvalue_adjusted"] = p_adjust(table["pvalue"].to_numpy(), adjust)
    return PairwiseLogRankResult(adjust, table, rho, gamma, sd.strata_name)

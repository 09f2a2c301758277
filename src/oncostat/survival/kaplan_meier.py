"""Kaplan-Meier curves per group: :func:`kaplan_meier` and :class:`KaplanMeierResult`.

Numbers mirror R's ``survfit(Surv(time, event) ~ group)`` in survival 3.5: Greenwood's
variance, the five ``conf.type`` transforms of ``survfit_confint``, quantiles by the rule
of ``quantile.survfit`` (the midpoint where the curve sits exactly on the quantile) and
values at chosen times as ``summary(fit, times, extend = TRUE)``.

References
----------
.. [1] Kaplan EL, Meier P. Nonparametric estimation from incomplete observations.
       J Am Stat Assoc. 1958;53:457-481.
.. [2] Greenwood M. The natural duration of cancer. Reports on Public Health and Medical
       Subjects 33. London: HMSO; 1926.
.. [3] Brookmeyer R, Crowley J. A confidence interval for the median survival time.
       Biometrics. 1982;38:29-41.
.. [4] Borgan Ø, Liestøl K. A note on confidence intervals and bands for the survival
       function based on transformations. Scand J Stat. 1990;17:35-41.
.. [5] Therneau TM. A package for survival analysis in R (survival 3.5), survfit and
       quantile.survfit.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from oncostat._results import ResultMixin, jsonable
from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.survival._data import SurvivalData, group_risk_sets, survival_data

if TYPE_CHECKING:
    from oncostat.survival.rmst import RMSTResult

__all__ = ["ConfType", "KaplanMeierCurve", "KaplanMeierResult", "kaplan_meier"]

ConfType = Literal["log", "log-log", "plain", "logit", "arcsin"]
CONF_TYPES: tuple[str, ...] = ("log", "log-log", "plain", "logit", "arcsin")
_TOL = math.sqrt(np.finfo(float).eps)  # quantile.survfit's default ``tolerance``


@dataclass(frozen=True, slots=True)
class KaplanMeierCurve:
    """One group's curve at each distinct observed time (events and censorings), as R lists it.

    ``std_err`` is R's ``std.err``: the Greenwood standard error of the cumulative hazard
    ``-log S`` (infinite once S reaches 0); ``se`` is that of S itself (R's
    ``summary(fit)$std.err``). The pointwise limits ``ci_low`` and ``ci_high`` (transform
    ``conf_type``) are computed when first read: a curve at 10^6 times is built several
    times faster without them, and most uses read only the medians.
    """

    group: object
    n: int
    events: int
    time: np.ndarray = field(repr=False)
    n_risk: np.ndarray = field(repr=False)
    n_event: np.ndarray = field(repr=False)
    n_censor: np.ndarray = field(repr=False)
    surv: np.ndarray = field(repr=False)
    std_err: np.ndarray = field(repr=False)
    conf_type: ConfType = "log"
    confidence_level: float = 0.95
    _limits: list[np.ndarray] = field(default_factory=list, init=False, repr=False,
                                      compare=False)

    @property
    def ci_low(self) -> np.ndarray:
        return self._conf_limits()[0]

    @property
    def ci_high(self) -> np.ndarray:
        return self._conf_limits()[1]

    def _conf_limits(self) -> list[np.ndarray]:
        if not self._limits:
            self._limits[:] = _conf_limits(self.surv, self.std_err, self.conf_type,
                                           self.confidence_level)
        return self._limits

    @property
    def se(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.where(self.surv > 0, self.surv * self.std_err, np.nan)

    @property
    def last_time(self) -> float:
        return float(self.time[-1])

    def quantile(self, p: float) -> tuple[float, float, float]:
        """Time at which ``1 - S`` reaches ``p``, with its interval (``quantile.survfit``).

        The interval is where the pointwise confidence limits of S cross ``1 - p``
        (Brookmeyer and Crowley [3]_ with the transform of ``conf_type``).
        """
        # S and its limits change only at event times, so R's de-duplication of the curve
        # keeps exactly time 0 and the event times.
        ev = np.flatnonzero(self.n_event > 0)
        x = np.empty(len(ev) + 1)
        x[0] = 0.0
        np.take(self.time, ev, out=x[1:])
        out = [self.quantile_estimate(p)]
        for v in (self.ci_low, self.ci_high):
            y = np.empty(len(ev) + 1)
            y[0] = 0.0                                  # 1 - S(0)
            np.take(v, ev, out=y[1:])
            np.subtract(1.0, y[1:], out=y[1:])
            out.append(_findq(x, y, p, self.last_time))
        return tuple(out)  # type: ignore[return-value]

    def quantile_estimate(self, p: float) -> float:
        """The time of :meth:`quantile` without its interval, in O(log n).

        ``1 - S`` is non-decreasing, so :func:`_findq_sorted` applies; it is searched over
        every time rather than the event times only, which finds the same knot: at a
        censored time ``1 - S`` equals its value at the event time before it (or 0, the
        value at time 0), where the search would have stopped first.
        """
        surv = self.surv
        top = 1.0 - float(surv[-1])
        if top < p:
            return math.nan

        def knot(shift: float) -> float:
            if 0.0 + shift >= p:                         # 1 - S(0) = 0, at time 0
                return 0.0
            lo, hi = 0, len(surv)
            while lo < hi:
                mid = (lo + hi) // 2
                if (1.0 - float(surv[mid])) + shift >= p:
                    hi = mid
                else:
                    lo = mid + 1
            return float(self.time[lo]) if lo < len(surv) else math.nan

        if abs(p - top) < _TOL:
            return (knot(_TOL) + self.last_time) / 2
        return (knot(_TOL) + knot(-_TOL)) / 2

    def at(self, times: np.ndarray) -> pd.DataFrame:
        """Rows of ``summary(fit, times, extend = TRUE)`` for sorted ``times``."""
        i1 = np.searchsorted(self.time, times, side="right") - 1   # last time <= t
        i2 = np.searchsorted(self.time, times, side="left")        # first time >= t
        before = i1 < 0
        j = np.maximum(i1, 0)
        n_risk = np.where(i2 < len(self.time), self.n_risk[np.minimum(i2, len(self.time) - 1)], 0)
        cum_event = np.where(before, 0, np.cumsum(self.n_event)[j])
        cum_censor = np.where(before, 0, np.cumsum(self.n_censor)[j])
        surv = np.where(before, 1.0, self.surv[j])
        se = np.where(before, 0.0, self.se[j])
        return pd.DataFrame({
            "group": [self.group] * len(times), "time": times, "n_risk": n_risk,
            "n_event": np.diff(cum_event, prepend=0), "n_censor": np.diff(cum_censor, prepend=0),
            "surv": surv, "se": se,
            "ci_low": np.where(before, 1.0, self.ci_low[j]),
            "ci_high": np.where(before, 1.0, self.ci_high[j])})


def _findq(x: np.ndarray, y: np.ndarray, p: float, xmax: float) -> float:
    """R's ``findq`` (inside ``quantile.survfit``): first x where y reaches p, midpoint on ties.

    ``y`` is ``1 - S`` (or ``1 -`` a confidence limit) at time 0 and each event time, NaN
    where a limit is undefined (R's ``approx`` drops those points). R's
    ``approx(y +/- tol, 1:n, p, method = "constant", f = 1)`` returns the position of the
    smallest knot >= p (knots sorted by value, first occurrences only); the upper limit need
    not be monotone, so the minimum is taken rather than a search, except when ``y`` is
    non-decreasing (1 - S always is), where a binary search finds the same knot.
    """
    ok = ~np.isnan(y)
    if not ok.any():
        return math.nan
    xv, yv = (x[ok], y[ok]) if not ok.all() else (x, y)
    if len(yv) > 1 and not (yv[1:] < yv[:-1]).any():
        return _findq_sorted(xv, yv, ok, p, xmax)
    if yv.max() < p:
        return math.nan

    def knot(shift: float) -> float:
        above = yv + shift >= p
        if not above.any():
            return math.nan
        return float(xv[np.argmin(np.where(above, yv, np.inf))])

    # The last value of R's de-duplicated y: NaN if a NaN first appears after the first
    # occurrence of the largest value, else that value.
    top = yv.max()
    first_top = int(np.flatnonzero(ok)[np.argmax(yv == top)])
    nan_at = np.flatnonzero(~ok)
    last = math.nan if len(nan_at) and nan_at[0] > first_top else top
    if not math.isnan(last) and abs(p - last) < _TOL:
        return (knot(_TOL) + xmax) / 2
    return (knot(_TOL) + knot(-_TOL)) / 2


def _findq_sorted(xv: np.ndarray, yv: np.ndarray, ok: np.ndarray, p: float,
                  xmax: float) -> float:
    """:func:`_findq` for non-decreasing ``yv`` (1 - S always is): binary searches.

    The knot, the smallest ``yv`` with ``yv + shift >= p`` (first occurrence), is then the
    first index where ``yv + shift >= p``; Python floats add as numpy's float64 does.
    """
    top = float(yv[-1])
    if top < p:
        return math.nan

    def knot(shift: float) -> float:
        lo, hi = 0, len(yv)
        while lo < hi:
            mid = (lo + hi) // 2
            if float(yv[mid]) + shift >= p:
                hi = mid
            else:
                lo = mid + 1
        return float(xv[lo]) if lo < len(yv) else math.nan

    last = top
    if not ok.all():
        first_top = int(np.flatnonzero(ok)[np.searchsorted(yv, top)])
        if np.flatnonzero(~ok)[0] > first_top:
            last = math.nan
    if not math.isnan(last) and abs(p - last) < _TOL:
        return (knot(_TOL) + xmax) / 2
    return (knot(_TOL) + knot(-_TOL)) / 2


def _conf_limits(surv: np.ndarray, std_err: np.ndarray, conf_type: str,
                 confidence_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise limits as R's ``survfit_confint`` (``logse = TRUE``, ``ulimit = TRUE``)."""
    z = stats.norm.ppf(1 - (1 - confidence_level) / 2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            half = z * std_err * surv
            return np.maximum(surv - half, 0.0), np.minimum(surv + half, 1.0)
        if conf_type == "log":
            log_s = np.log(surv)
            if surv[-1] == 0:   # S is non-increasing: its zeros are at the end
                log_s[surv == 0] = np.nan
            half = z * std_err
            low = np.subtract(log_s, half)
            high = np.add(log_s, half, out=log_s)
            np.exp(low, out=low)
            np.exp(high, out=high)
            return low, np.minimum(high, 1, out=high)
        if conf_type == "log-log":
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            half = z * std_err / np.log(xx)
            loglog = np.log(-np.log(xx))
            return np.exp(-np.exp(loglog - half)), np.exp(-np.exp(loglog + half))
        xx = np.where(surv == 0, np.nan, surv)
        if conf_type == "logit":
            half = z * std_err * (1 + xx / (1 - xx))
            logit = np.log(surv / (1 - surv))
            return 1 - 1 / (1 + np.exp(logit - half)), 1 - 1 / (1 + np.exp(logit + half))
        half = 0.5 * z * std_err * np.sqrt(xx / (1 - xx))
        root = np.arcsin(np.sqrt(xx))
        return (np.sin(np.maximum(0, root - half)) ** 2,
                np.sin(np.minimum(np.pi / 2, root + half)) ** 2)


def _curve(group: object, time: np.ndarray, n_risk: np.ndarray, n_event: np.ndarray,
           n_exit: np.ndarray, conf_type: ConfType, confidence_level: float,
           surv: np.ndarray, std_err: np.ndarray) -> KaplanMeierCurve:
    """Product-limit estimate [1]_ with Greenwood's variance [2]_ on one group's risk sets,
    written into ``surv`` and ``std_err``; ``n_exit`` becomes the number censored."""
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(n_event, n_risk, out=surv)
        np.subtract(1.0, surv, out=surv)
        np.cumprod(surv, out=surv)
        # Greenwood term d / (n (n - d)); infinite when everyone at risk dies (S = 0), as in R.
        # Every time of the curve has n >= 1 at risk, so d = 0 gives exactly 0.
        np.subtract(n_risk, n_event, out=std_err)
        std_err *= n_risk
        np.divide(n_event, std_err, out=std_err)
    np.cumsum(std_err, out=std_err)
    np.sqrt(std_err, out=std_err)
    np.subtract(n_exit, n_event, out=n_exit)
    return KaplanMeierCurve(group, int(n_risk[0]), int(n_event.sum()), time, n_risk, n_event,
                            n_exit, surv, std_err, conf_type, confidence_level)


@dataclass(frozen=True, slots=True)
class KaplanMeierResult(ResultMixin):
    """Result of :func:`kaplan_meier`; see its docstring.

    ``curves`` holds one :class:`KaplanMeierCurve` per group in group order; ``medians``
    one row per group: ``group``, ``n``, ``events``, ``median``, ``ci_low``, ``ci_high``,
    ``reached`` (False when the curve never reaches 0.5; ``median`` is then NaN), computed
    when first read (its interval needs the pointwise limits of every curve).
    """

    curves: tuple[KaplanMeierCurve, ...]
    conf_type: ConfType
    confidence_level: float
    group_name: str | None = None
    data: SurvivalData | None = field(default=None, repr=False)
    _medians: list[pd.DataFrame] = field(default_factory=list, init=False, repr=False,
                                         compare=False)

    @property
    def medians(self) -> pd.DataFrame:
        if not self._medians:
            rows = []
            for c in self.curves:
                q, lo, hi = c.quantile(0.5)
                rows.append({"group": c.group, "n": c.n, "events": c.events, "median": q,
                             "ci_low": lo, "ci_high": hi, "reached": not math.isnan(q)})
            self._medians[:] = [pd.DataFrame(rows)]
        return self._medians[0]

    @property
    def groups(self) -> tuple[object, ...]:
        return tuple(c.group for c in self.curves)

    def curve(self, group: object) -> KaplanMeierCurve:
        """The curve of ``group``."""
        for c in self.curves:
            if c.group == group or str(c.group) == str(group):
                return c
        raise InputError(f"group {group!r} not found; the groups are "
                         f"{', '.join(repr(str(g)) for g in self.groups)}")

    def quantile(self, probs: float | Sequence[float] = (0.25, 0.5, 0.75)) -> pd.DataFrame:
        """Survival-time quantiles with CIs, as R's ``quantile(fit, probs)``.

        ``prob`` is the probability of the event by that time: 0.5 is the median,
        0.25 the time by which a quarter of patients have had the event.
        """
        ps = np.atleast_1d(np.asarray(probs, dtype=float))
        if np.any((ps <= 0) | (ps >= 1)) or np.any(np.isnan(ps)):
            raise InputError(f"probs: expected probabilities strictly between 0 and 1, got {probs}")
        rows = []
        for c in self.curves:
            for p in ps:
                q, lo, hi = c.quantile(float(p))
                rows.append({"group": c.group, "prob": float(p), "estimate": q, "ci_low": lo,
                             "ci_high": hi, "reached": not math.isnan(q)})
        return pd.DataFrame(rows)

    def at(self, times: ArrayLike) -> pd.DataFrame:
        """Survival, number at risk, events and censored at ``times`` per group.

        As R's ``summary(fit, times, extend = TRUE)``: ``n_risk`` is the number with
        time >= t, ``n_event`` and ``n_censor`` count what happened since the previous
        requested time; beyond a group's last time the curve keeps its last value.
        """
        t = np.sort(np.atleast_1d(np.asarray(times, dtype=float)))
        if np.any(np.isnan(t)) or np.any(t < 0):
            raise InputError(f"times: expected times >= 0, got {list(np.atleast_1d(times))}")
        return pd.concat([c.at(t) for c in self.curves], ignore_index=True)

    def rmst(self, tau: float | None = None, *, reference: object = None) -> RMSTResult:
        """Restricted mean survival time up to ``tau``; see :func:`oncostat.survival.rmst`."""
        from oncostat.survival.rmst import rmst_from_km

        return rmst_from_km(self, tau=tau, reference=reference)

    def __str__(self) -> str:
        pct = f"{100 * self.confidence_level:g}%"
        head = (f"Kaplan-Meier estimate{' by ' + self.group_name if self.group_name else ''} "
                f"({pct} CI, conf_type {self.conf_type!r})")
        lines = [head, f"  {'group':<16}{'n':>7}{'events':>8}{'median':>9}"
                       f"{'LCL':>9}{'UCL':>9}"]
        for r in self.medians.itertuples(index=False):
            med = f"{r.median:.4g}" if r.reached else "NR"
            lines.append(f"  {r.group!s:<16}{r.n:>7}{r.events:>8}{med:>9}"
                         f"{_fmt(r.ci_low):>9}{_fmt(r.ci_high):>9}")
        if not self.medians["reached"].all():
            lines.append("  NR: median not reached (the curve stays above 0.5)")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """Every curve at every distinct time, stacked, at full precision."""
        return pd.concat([pd.DataFrame({
            "group": [c.group] * len(c.time), "time": c.time, "n_risk": c.n_risk,
            "n_event": c.n_event, "n_censor": c.n_censor, "surv": c.surv, "se": c.se,
            "std_err": c.std_err, "ci_low": c.ci_low, "ci_high": c.ci_high})
            for c in self.curves], ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"conf_type": self.conf_type, "confidence_level": self.confidence_level,
                         "group": self.group_name, "medians": self.medians,
                         "curves": self.to_frame()})

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Kaplan-Meier figure; see :func:`oncostat.plot.km.km_plot`."""
        from oncostat.plot.km import km_plot

        return km_plot(self, ax=ax, **kwargs)


def _fmt(v: float) -> str:
    return "NA" if math.isnan(v) else f"{v:.4g}"


def km_from_data(sd: SurvivalData, *, conf_type: str = "log", confidence_level: float = 0.95,
                 warn_not_reached: bool = True) -> KaplanMeierResult:
    """:func:`kaplan_meier` on checked arrays (one sort for all groups)."""
    if conf_type not in CONF_TYPES:
        raise InputError(f"conf_type: expected one of {', '.join(CONF_TYPES)}, got {conf_type!r}")
    if not 0 < confidence_level < 1:
        raise InputError(f"confidence_level: expected a number between 0 and 1, "
                         f"got {confidence_level}")
    rs = group_risk_sets(sd.time, sd.event, sd.group, sd.n_groups, extra_rows=2)
    curves = []
    for g, label in enumerate(sd.group_labels):
        time, n_risk, n_event, n_exit, surv, std_err = rs.table[:, rs.bounds[g]:rs.bounds[g + 1]]
        curves.append(_curve(label, time, n_risk, n_event, n_exit, conf_type,  # type: ignore[arg-type]
                             confidence_level, surv, std_err))
    if warn_not_reached:
        for c in curves:
            if math.isnan(c.quantile_estimate(0.5)):
                where = f"group {str(c.group)!r}" if sd.group_name else "the curve"
                warnings.warn(f"{where}: survival stays above 0.5 (lowest "
                              f"{c.surv.min():.3f}, {c.events} events in {c.n} patients); "
                              "median not reached, reported as NaN", DegenerateDataWarning,
                              stacklevel=3)
    return KaplanMeierResult(tuple(curves), conf_type, confidence_level,  # type: ignore[arg-type]
                             sd.group_name, sd)


def kaplan_meier(
    data: pd.DataFrame | Mapping[str, object],
    *,
    time: str,
    event: str,
    group: str | None = None,
    conf_type: ConfType = "log",
    confidence_level: float = 0.95,
    event_codes: Mapping[object, int] | None = None,
    id: str | None = None,
) -> KaplanMeierResult:
    """Kaplan-Meier estimate of the survival function, one curve per group [1]_.

    Parameters
    ----------
    data : DataFrame or dict of columns
        One row per patient; never modified.
    time, event : str
        Follow-up time (>= 0) and event indicator (1 event, 0 censored); R's
        ``Surv(time, event)``.
    group : str, optional
        One curve per value of this column (R's ``~ group``).
    conf_type : {"log", "log-log", "plain", "logit", "arcsin"}, default "log"
        Transform for the pointwise interval [4]_; ``conf.type`` in R's ``survfit``
        (whose default is also "log").
    confidence_level : float, default 0.95
        ``conf.int`` in R.
    event_codes : mapping, optional
        Declared event codes, e.g. ``{2: 1, 1: 0}``; see
        :func:`oncostat.survival._data.survival_data`.
    id : str, optional
        Patient identifier, named in error messages.

    Returns
    -------
    KaplanMeierResult
        Curves with Greenwood standard errors [2]_ and pointwise limits, medians with the
        Brookmeyer-Crowley interval [3]_; ``quantile()``, ``at(times)``, ``rmst(tau)``
        and ``plot()``.

    Warns
    -----
    DegenerateDataWarning
        A group's median is not reached (reported as NaN with ``reached = False``), or a
        group has a single patient.

    Notes
    -----
    Times are tied only when exactly equal; R's ``survfit(timefix = TRUE)`` also merges
    times that differ in the last few bits, which matters only for computed times.

    References
    ----------
    .. [1] Kaplan EL, Meier P. J Am Stat Assoc. 1958;53:457-481.
    .. [2] Greenwood M. The natural duration of cancer. London: HMSO; 1926.
    .. [3] Brookmeyer R, Crowley J. Biometrics. 1982;38:29-41.
    .. [4] Borgan Ø, Liestøl K. Scand J Stat. 1990;17:35-41.

    Examples
    --------
    The eight HIFU patients of Table 3 in the seed cohort study (two deaths, at 11 and 24
    months): the median overall survival is not reached.

    >>> import warnings
    >>> hifu = {"months": [24, 44, 44, 41, 29, 26, 11, 6], "died": [1, 0, 0, 0, 0, 0, 1, 0]}
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     km = kaplan_meier(hifu, time="months", event="died")
    >>> float(km.curves[0].surv.min().round(4)), bool(km.medians["reached"][0])
    (0.7143, False)
    """
    sd = survival_data(data, time=time, event=event, group=group, event_codes=event_codes, id=id)
    return km_from_data(sd, conf_type=conf_type, confidence_level=confidence_level)

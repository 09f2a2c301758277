"""Small-study effects and funnel-plot asymmetry: Egger, Begg, Peters, trim and fill.

Every function takes a fitted :class:`~oncostat.meta.analysis.PooledEstimate` and works
on the study estimates ``yi`` and variances ``vi`` the analysis used (zero-cell
corrections included), as metafor's ``regtest``, ``ranktest`` and ``trimfill`` take a
fitted model. Each test needs at least three studies; with fewer than ten the tests have
little power and a non-significant result says little [6]_.

References
----------
.. [1] Egger M, Davey Smith G, Schneider M, Minder C. Bias in meta-analysis detected by a
       simple, graphical test. BMJ. 1997;315:629-634.
.. [2] Begg CB, Mazumdar M. Operating characteristics of a rank correlation test for
       publication bias. Biometrics. 1994;50:1088-1101.
.. [3] Peters JL, Sutton AJ, Jones DR, Abrams KR, Rushton L. Comparison of two methods to
       detect publication bias in meta-analysis. JAMA. 2006;295:676-680.
.. [4] Duval S, Tweedie R. Trim and fill: a simple funnel-plot-based method of testing and
       adjusting for publication bias in meta-analysis. Biometrics. 2000;56:455-463.
.. [5] Viechtbauer W. Conducting meta-analyses in R with the metafor package.
       J Stat Softw. 2010;36(3):1-48.
.. [6] Sterne JAC, Sutton AJ, Ioannidis JPA, et al. Recommendations for examining and
       interpreting funnel plot asymmetry in meta-analyses of randomised controlled
       trials. BMJ. 2011;343:d4002.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from oncostat._results import ResultMixin, format_p, jsonable
from oncostat.errors import ConvergenceError, InputError
from oncostat.meta._observed import Observed, observed, pooled_mean, refit_iv
from oncostat.meta.analysis import MetaSpec, PooledEstimate
from oncostat.meta.tau2 import fisher_scoring

__all__ = [
    "RankTest",
    "RegressionTest",
    "SmallStudyEffects",
    "TrimAndFill",
    "begg_test",
    "egger_test",
    "peters_test",
    "small_study_effects",
    "trim_and_fill",
]

MIN_STUDIES = 3
MAX_ITER = 100  # trim-and-fill iterations, metafor's ``maxiter``


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RegressionTest(ResultMixin):
    """Result of :func:`egger_test` or :func:`peters_test`; see their docstrings.

    ``estimate`` is the tested coefficient (Egger: the intercept of ``yi/se`` on ``1/se``,
    the "bias"; Peters: the slope on ``1/n``) with its ``se``, CI, test ``statistic``
    (t on ``df`` degrees of freedom, or z when ``df`` is NaN) and ``pvalue``.
    ``limit_estimate`` and its CI are the pooled effect the regression predicts for an
    infinitely large study (metafor's ``est``), on the analysis scale (log for ratios).
    ``tau2`` is the residual heterogeneity of the mixed-effects model (NaN otherwise).
    """

    test: Literal["Egger", "Peters"]
    model: Literal["lm", "rma"]
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    df: float
    pvalue: float
    limit_estimate: float
    limit_ci_low: float
    limit_ci_high: float
    tau2: float
    measure: str
    is_ratio: bool
    confidence_level: float = 0.95
    notes: tuple[str, ...] = ()

    def title(self) -> str:
        if self.test == "Peters":
            what = "Peters' regression test (log OR on 1/n, weights S·F/n)"
        elif self.model == "lm":
            what = "Egger's regression test (yi/se on 1/se)"
        else:
            what = "Egger-type mixed-effects meta-regression test (yi on se)"
        return f"{what} for funnel plot asymmetry (k = {self.k})"

    def __str__(self) -> str:
        pct = f"{100 * self.confidence_level:g}%"
        stat = "z" if math.isnan(self.df) else f"t({self.df:g})"
        coef = "Bias (intercept)" if self.test == "Egger" and self.model == "lm" else (
            "Slope on 1/n" if self.test == "Peters" else "Slope on se")
        lo, hi = self.limit_ci_low, self.limit_ci_high
        est = self.limit_estimate
        label = self.measure
        if self.is_ratio:
            est, lo, hi = math.exp(est), math.exp(lo), math.exp(hi)
        lines = [
            self.title(),
            f"  {coef} {self.estimate:.3g} ({pct} CI {self.ci_low:.3g} to {self.ci_high:.3g}), "
            f"{stat} = {self.statistic:.2f}, {format_p(self.pvalue)}",
            f"  Limit estimate (infinitely large study): {label} {est:.2f} "
            f"({pct} CI {lo:.2f} to {hi:.2f})",
        ]
        lines.extend(f"  Note: {n}" for n in self.notes)
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "test": self.test, "model": self.model, "k": self.k, "estimate": self.estimate,
            "se": self.se, "ci_low": self.ci_low, "ci_high": self.ci_high,
            "statistic": self.statistic, "df": self.df, "pvalue": self.pvalue,
            "limit_estimate": self.limit_estimate, "limit_ci_low": self.limit_ci_low,
            "limit_ci_high": self.limit_ci_high, "tau2": self.tau2}])

    def to_dict(self) -> dict[str, Any]:
        out = self.to_frame().iloc[0].to_dict()
        out["statistic_name"] = "z" if math.isnan(self.df) else "t"
        out["confidence_level"] = self.confidence_level
        out["notes"] = list(self.notes)
        return jsonable(out)


@dataclass(frozen=True, slots=True)
class RankTest(ResultMixin):
    """Result of :func:`begg_test`; see its docstring.

    ``estimate`` is Kendall's tau (tau-b when there are ties). ``statistic`` is the number
    of concordant pairs when the p-value is exact (``exact=True``, R's ``T``), else the
    normal deviate z.
    """

    k: int
    estimate: float
    statistic: float
    pvalue: float
    exact: bool

    def __str__(self) -> str:
        how = "exact" if self.exact else "normal approximation, tied values"
        stat = f"T = {self.statistic:g}" if self.exact else f"z = {self.statistic:.2f}"
        return (f"Begg and Mazumdar's rank correlation test for funnel plot asymmetry "
                f"(k = {self.k})\n  Kendall's tau = {self.estimate:.3f}, {stat}, "
                f"{format_p(self.pvalue)} ({how})")

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"test": "Begg", "k": self.k, "estimate": self.estimate,
                              "statistic": self.statistic, "pvalue": self.pvalue,
                              "exact": self.exact}])

    def to_dict(self) -> dict[str, Any]:
        return jsonable(self.to_frame().iloc[0].to_dict())


@dataclass(frozen=True, slots=True)
class TrimAndFill(ResultMixin):
    """Result of :func:`trim_and_fill`; see its docstring.

    ``filled`` has one row per imputed study (``study``, ``yi``, ``vi``, analysis
    scale); ``adjusted`` is the analysis of the observed and imputed studies together.
    ``k0_pvalue`` is the test of k0 = 0 that only R0 has (NaN for L0).
    """

    estimator: Literal["L0", "R0"]
    side: Literal["left", "right"]
    k0: int
    se_k0: float
    k0_pvalue: float
    filled: pd.DataFrame = field(repr=False)
    adjusted: PooledEstimate = field(repr=False)
    original: PooledEstimate = field(repr=False)
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        a, o = self.adjusted, self.original
        pct = f"{100 * a.confidence_level:g}%"
        n = "study" if self.k0 == 1 else "studies"
        lines = [
            f"Trim and fill ({self.estimator}), missing studies sought on the {self.side}",
            f"  {self.k0} {n} imputed (SE {self.se_k0:.2f}); k = {o.k} + {self.k0} = {a.k}",
            f"  Observed: {o.measure} {o.estimate:.2f} ({pct} CI {o.ci_low:.2f} to "
            f"{o.ci_high:.2f})",
            f"  Adjusted: {a.measure} {a.estimate:.2f} ({pct} CI {a.ci_low:.2f} to "
            f"{a.ci_high:.2f}), {format_p(a.pvalue)}",
        ]
        lines.extend(f"  Note: {note}" for note in self.notes)
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """Observed and imputed studies with their weights (percent) in the adjusted model."""
        frame = self.adjusted.studies[["study", "yi", "vi", "weight"]].copy()
        frame["filled"] = np.arange(len(frame)) >= len(frame) - self.k0
        return frame

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "estimator": self.estimator, "side": self.side, "k0": self.k0,
            "se_k0": self.se_k0, "k0_pvalue": self.k0_pvalue, "filled": self.filled,
            "adjusted": self.adjusted.to_dict(), "notes": list(self.notes)})


@dataclass(frozen=True, slots=True)
class SmallStudyEffects(ResultMixin):
    """Result of :func:`small_study_effects`: each test, or why it was skipped."""

    egger: RegressionTest | None
    begg: RankTest | None
    peters: RegressionTest | None
    trim_and_fill: TrimAndFill | None
    skipped: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [str(r) for r in (self.egger, self.begg, self.peters, self.trim_and_fill)
                 if r is not None]
        parts.extend(f"{name}: not done; {why}" for name, why in self.skipped.items())
        return "\n".join(parts)

    def to_frame(self) -> pd.DataFrame:
        """One row per test: statistic, df, p-value, or the reason it was skipped."""
        rows: list[dict[str, Any]] = []
        for name, res in (("Egger", self.egger), ("Begg", self.begg),
                          ("Peters", self.peters)):
            if res is not None:
                rows.append({"test": name, "estimate": res.estimate,
                             "statistic": res.statistic,
                             "df": getattr(res, "df", math.nan), "pvalue": res.pvalue,
                             "note": ""})
        if self.trim_and_fill is not None:
            tf = self.trim_and_fill
            rows.append({"test": f"Trim and fill ({tf.estimator})", "estimate": float(tf.k0),
                         "statistic": math.nan, "df": math.nan, "pvalue": tf.k0_pvalue,
                         "note": f"k0 = {tf.k0} on the {tf.side}; adjusted "
                                 f"{tf.adjusted.measure} {tf.adjusted.estimate:.4g}"})
        rows.extend({"test": name, "estimate": math.nan, "statistic": math.nan,
                     "df": math.nan, "pvalue": math.nan, "note": why}
                    for name, why in self.skipped.items())
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "egger": None if self.egger is None else self.egger.to_dict(),
            "begg": None if self.begg is None else self.begg.to_dict(),
            "peters": None if self.peters is None else self.peters.to_dict(),
            "trim_and_fill": (None if self.trim_and_fill is None
                              else self.trim_and_fill.to_dict()),
            "skipped": self.skipped})


# ---------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------
def _studies_for(result: PooledEstimate, what: str) -> Observed:
    obs = observed(result)
    if obs.k < MIN_STUDIES:
        raise InputError(f"{what} needs at least {MIN_STUDIES} studies with an estimate "
                         f"(as in metafor); got k = {obs.k}")
    return obs


def _weighted_ls(y: np.ndarray, x: np.ndarray, w: np.ndarray, confidence_level: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Weighted least squares ``y ~ 1 + x`` as R's ``lm(weights = w)``.

    Returns the coefficients, their SEs, the CI half-widths (t on the residual df) and
    the residual df.
    """
    X = np.column_stack([np.ones_like(x), x])
    sw = np.sqrt(w)
    beta, *_ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
    df = len(y) - 2
    sigma2 = float(np.dot(w, (y - X @ beta) ** 2)) / df
    se = np.sqrt(sigma2 * np.diag(np.linalg.inv(X.T @ (w[:, None] * X))))
    half = stats.t.ppf(0.5 + confidence_level / 2, df) * se
    return beta, se, half, df


def _lm_test(result: PooledEstimate, test: Literal["Egger", "Peters"], y: np.ndarray,
             x: np.ndarray, w: np.ndarray, notes: tuple[str, ...] = ()) -> RegressionTest:
    level = result.confidence_level
    beta, se, half, df = _weighted_ls(y, x, w, level)
    t = float(beta[1] / se[1])
    return RegressionTest(
        test=test, model="lm", k=len(y), estimate=float(beta[1]), se=float(se[1]),
        ci_low=float(beta[1] - half[1]), ci_high=float(beta[1] + half[1]), statistic=t,
        df=float(df), pvalue=float(2 * stats.t.sf(abs(t), df)),
        limit_estimate=float(beta[0]), limit_ci_low=float(beta[0] - half[0]),
        limit_ci_high=float(beta[0] + half[0]), tau2=math.nan, measure=result.measure,
        is_ratio=result.is_ratio, confidence_level=level, notes=notes)


def egger_test(result: PooledEstimate, *, model: Literal["lm", "rma"] = "lm"
               ) -> RegressionTest:
    """Egger's regression test for funnel-plot asymmetry [1]_.

    Parameters
    ----------
    result : PooledEstimate
        The meta-analysis; its studies' ``yi`` and ``vi`` are used (k >= 3).
    model : {"lm", "rma"}, default "lm"
        ``"lm"`` is Egger's classical test: ordinary least squares of the standard normal
        deviate ``yi/se`` on precision ``1/se``; the intercept measures asymmetry and is
        tested with t on k - 2 df. It equals metafor's
        ``regtest(res, model = "lm", predictor = "sei")`` (a weighted regression of
        ``yi`` on ``se`` with weights ``1/vi``, whose slope is Egger's intercept).
        ``"rma"`` is metafor's *default* ``regtest(res)``, a different model: a
        mixed-effects meta-regression of ``yi`` on ``se`` with the analysis' model and
        tau² estimator, the slope tested with z (t on k - 2 df under Hartung-Knapp). It
        allows residual heterogeneity instead of a multiplicative dispersion, so its
        p-value differs from Egger's whenever the studies are heterogeneous.

    Returns
    -------
    RegressionTest
        ``estimate`` is the asymmetry coefficient (Egger's intercept, the "bias");
        ``limit_estimate`` the effect predicted for se -> 0 (metafor's ``est``).

    Examples
    --------
    Passive smoking and lung cancer (Hackshaw et al., BMJ 1997; metafor's
    ``dat.hackshaw1998``), fixed effect: bias 0.90 (95% CI 0.13 to 1.67),
    t(35) = 2.38, p = 0.023.
    """
    obs = _studies_for(result, "Egger's test")
    sei = np.sqrt(obs.vi)
    if model == "lm":
        # OLS of yi/sei on (1, 1/sei) is the WLS of yi on (1, sei) with weights 1/vi;
        # Egger's intercept is the WLS slope (Egger et al. 1997, p. 630).
        return _lm_test(result, "Egger", obs.yi, sei, 1.0 / obs.vi)
    if model != "rma":
        raise InputError(f"model: expected 'lm' or 'rma', got {model!r}")
    spec = result.spec
    reg = _meta_regression(obs.yi, obs.vi, sei, spec)
    if spec.hakn:
        crit = stats.t.ppf(0.5 + spec.confidence_level / 2, reg.df)
    else:
        crit = stats.norm.ppf(0.5 + spec.confidence_level / 2)
    se = np.sqrt(np.diag(reg.vb))
    stat = float(reg.beta[1] / se[1])
    p = (2 * stats.t.sf(abs(stat), reg.df) if spec.hakn else 2 * stats.norm.sf(abs(stat)))
    return RegressionTest(
        test="Egger", model="rma", k=obs.k, estimate=float(reg.beta[1]), se=float(se[1]),
        ci_low=float(reg.beta[1] - crit * se[1]), ci_high=float(reg.beta[1] + crit * se[1]),
        statistic=stat, df=float(reg.df) if spec.hakn else math.nan, pvalue=float(p),
        limit_estimate=float(reg.beta[0]), limit_ci_low=float(reg.beta[0] - crit * se[0]),
        limit_ci_high=float(reg.beta[0] + crit * se[0]),
        tau2=reg.tau2 if spec.model == "random" else math.nan, measure=result.measure,
        is_ratio=result.is_ratio, confidence_level=spec.confidence_level)


def peters_test(result: PooledEstimate) -> RegressionTest:
    """Peters' regression test for small-study effects in binary outcomes [3]_.

    Weighted linear regression of each study's ``yi`` (the log odds ratio it was designed
    for) on ``1/n``, n the total sample size, with weights ``S·F/n`` (S events and F
    non-events over both arms); the slope is tested with t on k - 2 df. Unlike Egger's
    test the predictor is not a function of ``yi``, which avoids its inflated type I error
    for odds ratios. metafor has no built-in equivalent; the reference is R's
    ``lm(yi ~ I(1/n), weights = S * F / n)``. Studies with no events or only events
    (weight 0) drop out, as in ``lm``.

    Raises
    ------
    InputError
        If the analysis is not of binary data or has fewer than three studies.
    """
    if result.kind != "binary" or not {"total_treat", "events_ctrl"} <= set(result.studies):
        raise InputError(f"Peters' test needs binary data (events and totals per arm); "
                         f"this analysis is of {result.kind} data; use egger_test()")
    obs = _studies_for(result, "Peters' test")
    r = obs.rows
    n = (r["total_treat"] + r["total_ctrl"]).to_numpy(dtype=float)
    s = (r["events_treat"] + r["events_ctrl"]).to_numpy(dtype=float)
    w = s * (n - s) / n
    use = w > 0
    notes: tuple[str, ...] = ()
    if not use.all():
        names = ", ".join(repr(str(x)) for x in obs.labels[~use])
        notes = (f"{int((~use).sum())} studies without events or non-events have weight 0 "
                 f"and were left out ({names})",)
        if use.sum() < MIN_STUDIES:
            raise InputError(f"Peters' test needs at least {MIN_STUDIES} studies with "
                             f"events and non-events; got {int(use.sum())}")
    return _lm_test(result, "Peters", obs.yi[use], 1.0 / n[use], w[use], notes)


def begg_test(result: PooledEstimate) -> RankTest:
    """Begg and Mazumdar's rank correlation test for funnel-plot asymmetry [2]_.

    Kendall's tau between the standardised effects ``(yi - theta) / sqrt(vi - v)``
    (theta the fixed-effect estimate, v its variance) and the variances ``vi``, as
    metafor's ``ranktest(res)``, which calls ``cor.test(..., method = "kendall",
    exact = TRUE)``: the p-value is exact whenever there are no ties (for any k; R
    itself returns NaN from k = 171, where ``n!`` overflows), and otherwise comes from
    the normal approximation with the tie-corrected variance, without continuity
    correction (R then warns "Cannot compute exact p-value with ties").
    """
    obs = _studies_for(result, "Begg's test")
    w = 1.0 / obs.vi
    theta = float(np.dot(w, obs.yi) / w.sum())
    ystar = (obs.yi - theta) / np.sqrt(obs.vi - 1.0 / w.sum())
    k = obs.k
    exact = len(np.unique(ystar)) == k and len(np.unique(obs.vi)) == k
    res = stats.kendalltau(ystar, obs.vi, method="exact" if exact else "asymptotic")
    tau, p = float(res.statistic), float(res.pvalue)
    if exact:
        statistic = float(round((tau + 1) * k * (k - 1) / 4))  # concordant pairs
    else:
        statistic = math.copysign(float(stats.norm.isf(p / 2)), tau)
    return RankTest(k=k, estimate=tau, statistic=statistic, pvalue=p, exact=exact)


# ---------------------------------------------------------------------------------------
# Trim and fill
# ---------------------------------------------------------------------------------------
def trim_and_fill(result: PooledEstimate, *, estimator: Literal["L0", "R0"] = "L0",
                  side: Literal["left", "right"] | None = None) -> TrimAndFill:
    """Duval and Tweedie's trim-and-fill adjustment for funnel-plot asymmetry [4]_.

    The ``k0`` most extreme studies on the side with too many are trimmed, the pooled
    estimate recomputed, and ``k0`` re-estimated from the signed ranks of the distances
    from it, until ``k0`` no longer changes; those studies are then mirrored around the
    last trimmed estimate and all are pooled. This is metafor's ``trimfill(res)``.

    Parameters
    ----------
    result : PooledEstimate
        The meta-analysis (k >= 3). Trimmed and filled analyses use its model, tau²
        estimator and Hartung-Knapp option. metafor's ``trimfill`` needs an ``rma.uni``
        model, so Mantel-Haenszel and Peto analyses are refitted as inverse-variance
        analyses of the same study estimates (noted in the result). metafor's final refit
        ignores ``test = "knha"`` unless passed again (``trimfill(res, test = "knha")``);
        oncostat keeps it.
    estimator : {"L0", "R0"}, default "L0"
        Estimator of the number of missing studies (``estimator`` in metafor).
    side : {"left", "right"}, optional
        Side on which studies are missing. By default chosen as metafor does: "right" if
        the slope of the mixed-effects meta-regression of ``yi`` on ``se`` (the analysis'
        model and tau² estimator; :func:`egger_test` with ``model="rma"``) is negative,
        else "left".

    Returns
    -------
    TrimAndFill

    Examples
    --------
    metafor's help-page example, passive smoking and lung cancer (``dat.hackshaw1998``,
    fixed effect): 7 studies imputed on the left (SE 4.04), OR 1.17 (95% CI 1.09 to
    1.25), i.e. log OR 0.1556.
    """
    if estimator not in ("L0", "R0"):
        raise InputError(f"estimator: expected 'L0' or 'R0', got {estimator!r}")
    if side not in (None, "left", "right"):
        raise InputError(f"side: expected 'left', 'right' or None, got {side!r}")
    obs = _studies_for(result, "Trim and fill")
    spec = result.spec
    notes: list[str] = []
    if spec.method != "IV":
        notes.append(f"{spec.method} analysis refitted by inverse variance for trim and fill "
                     "(as metafor's trimfill needs rma.uni)")
    if side is None:
        side = "right" if _meta_regression(obs.yi, obs.vi, np.sqrt(obs.vi),
                                           spec).beta[1] < 0 else "left"
    # Work as if studies were missing on the left: flip the sign for "right".
    flip = -1.0 if side == "right" else 1.0
    order = np.argsort(flip * obs.yi, kind="stable")
    y, v = flip * obs.yi[order], obs.vi[order]
    k = obs.k
    k0, previous, iterations = 0, -1, 0
    while k0 != previous:
        iterations += 1
        if iterations > MAX_ITER:
            raise ConvergenceError(f"trim and fill did not converge in {MAX_ITER} iterations "
                                   "(k0 oscillates); try estimator='R0' or set side=")
        previous = k0
        mu = pooled_mean(y[: k - k0], v[: k - k0], spec)
        k0, se_k0 = _estimate_k0(y - mu, estimator)
    filled_y = flip * (2 * mu - y[k - k0:])
    filled = pd.DataFrame({"study": [f"Filled {i + 1}" for i in range(k0)],
                           "yi": filled_y, "vi": v[k - k0:]})
    if k0 == 0 and spec.method == "IV":
        adjusted = result
    else:
        adjusted = refit_iv(spec, np.concatenate([obs.labels, filled["study"].to_numpy()]),
                            np.concatenate([obs.yi, filled_y]),
                            np.concatenate([obs.vi, v[k - k0:]]))
    # R0's test of k0 = 0: P(rightmost run >= k0 + 1) = 2^-(k0 + 1) (Duval & Tweedie, p. 458).
    p_k0 = 0.5 ** (k0 + 1) if estimator == "R0" else math.nan
    return TrimAndFill(estimator=estimator, side=side, k0=k0, se_k0=se_k0, k0_pvalue=p_k0,
                       filled=filled, adjusted=adjusted, original=result, notes=tuple(notes))


def _estimate_k0(centred: np.ndarray, estimator: str) -> tuple[int, float]:
    """k0 (rounded, >= 0) and its SE from the signed ranks of ``centred``."""
    k = len(centred)
    ranks = np.empty(k)
    # Ties in |distance| are broken by position (R's ties.method = "first").
    ranks[np.argsort(np.abs(centred), kind="stable")] = np.arange(1, k + 1)
    signed = np.sign(centred) * ranks
    if estimator == "L0":
        sr = float(signed[signed > 0].sum())
        raw = (4 * sr - k * (k + 1)) / (2 * k - 1)
        var_sr = (k * (k + 1) * (2 * k + 1) + 10 * raw**3 + 27 * raw**2 + 17 * raw
                  - 18 * k * raw**2 - 18 * k * raw + 6 * k**2 * raw) / 24
        se = 4 * math.sqrt(var_sr) / (2 * k - 1)
    else:
        negative = -signed[signed < 0]
        # Length of the rightmost run of positive ranks, minus one.
        run = k - negative.max() if negative.size else float((signed > 0).sum())
        raw = run - 1
        se = math.sqrt(2 * max(0.0, raw) + 2)
    return max(0, round(raw)), max(0.0, se)


def small_study_effects(result: PooledEstimate) -> SmallStudyEffects:
    """Egger's and Begg's tests, Peters' test (binary data) and L0 trim and fill at once.

    Tests that cannot be done are skipped with the reason recorded in ``skipped``: all
    need at least three studies (as metafor's ``regtest`` and ``ranktest``), Peters' test
    binary data.
    """
    skipped: dict[str, str] = {}

    def attempt(name: str, func: Any) -> Any:
        try:
            return func(result)
        except InputError as exc:
            skipped[name] = str(exc)
            return None

    return SmallStudyEffects(
        egger=attempt("Egger", egger_test), begg=attempt("Begg", begg_test),
        peters=attempt("Peters", peters_test),
        trim_and_fill=attempt("Trim and fill", trim_and_fill), skipped=skipped)


# ---------------------------------------------------------------------------------------
# Meta-regression on one moderator, as metafor's rma.uni(yi, vi, mods = ~ x)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Regression:
    beta: np.ndarray
    vb: np.ndarray
    tau2: float
    df: int


def _meta_regression(yi: np.ndarray, vi: np.ndarray, x: np.ndarray, spec: MetaSpec
                     ) -> _Regression:
    """Mixed-effects (or fixed-effect) meta-regression of ``yi`` on ``1 + x``.

    tau² is estimated by ``spec.tau2_method`` with metafor's residual versions of the
    estimators (``rma.uni`` with ``mods``) [5]_; Hartung-Knapp scales the covariance by
    the weighted residual variance and uses t on k - 2 df.
    """
    X = np.column_stack([np.ones_like(x), x])
    k, p = X.shape
    tau2 = _regression_tau2(yi, vi, X, spec.tau2_method) if spec.model == "random" else 0.0
    w = 1.0 / (vi + tau2)
    vb = np.linalg.inv(X.T @ (w[:, None] * X))
    beta = vb @ (X.T @ (w * yi))
    if spec.hakn:
        vb = vb * float(np.dot(w, (yi - X @ beta) ** 2)) / (k - p)
    return _Regression(beta, vb, tau2, k - p)


def _residual_q(w: np.ndarray, yi: np.ndarray, X: np.ndarray) -> tuple[float, np.ndarray]:
    """``y' P y`` and ``P = W - W X (X' W X)^-1 X' W`` for weights ``w``."""
    wx = w[:, None] * X
    P = np.diag(w) - wx @ np.linalg.solve(X.T @ wx, wx.T)
    return float(yi @ P @ yi), P


def _regression_tau2(yi: np.ndarray, vi: np.ndarray, X: np.ndarray, method: str) -> float:
    k, p = X.shape

    def hedges() -> float:
        rss, P = _residual_q(np.ones(k), yi, X)
        return (rss - float(np.dot(np.diag(P), vi))) / (k - p)

    if method == "DL":
        rss, P = _residual_q(1.0 / vi, yi, X)
        tau2 = (rss - (k - p)) / np.trace(P)
    elif method == "HS":
        tau2 = (_residual_q(1.0 / vi, yi, X)[0] - k) / float(np.sum(1.0 / vi))
    elif method == "HE":
        tau2 = hedges()
    elif method == "SJ":
        tau2_0 = float(np.var(yi))  # metafor starts from var(yi) (k - 1) / k
        tau2 = tau2_0 * _residual_q(1.0 / (vi + tau2_0), yi, X)[0] / (k - p)
    elif method == "PM":
        def excess(t: float) -> float:
            return _residual_q(1.0 / (vi + t), yi, X)[0] - (k - p)

        if excess(0.0) <= 0:
            return 0.0
        upper = max(1.0, 10.0 * float(np.var(yi)))
        while excess(upper) > 0:
            upper *= 10.0
        tau2 = float(optimize.brentq(excess, 0.0, upper, xtol=1e-15,
                                     rtol=4 * np.finfo(float).eps, maxiter=500))
    else:  # ML, REML, EB: Fisher scoring from the (truncated) Hedges estimate, as metafor
        def step(t: float) -> float:
            w = 1.0 / (vi + t)
            rss, P = _residual_q(w, yi, X)
            if method == "EB":
                return (rss * k / (k - p) - k) / float(w.sum())
            Py = P @ yi
            if method == "ML":
                return (float(Py @ Py) - float(w.sum())) / float(np.dot(w, w))
            PP = P @ P
            return (float(Py @ Py) - float(np.trace(P))) / float(np.trace(PP))

        tau2 = fisher_scoring(step, max(0.0, hedges()), method)
    return max(0.0, float(tau2))

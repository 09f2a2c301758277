"""Estimators of the between-study variance tau² for the random-effects model.

All functions take study estimates ``yi`` and sampling variances ``vi`` (1-D float
arrays, k >= 2) and return tau² >= 0. They follow the definitions used by metafor's
``rma.uni(method=...)`` for the intercept-only model [1]_; iterative estimators converge
to ``tol`` on tau² (metafor's ``threshold`` is 1e-5; ours is tighter).

References
----------
.. [1] Viechtbauer W. Bias and efficiency of meta-analytic variance estimators in the
       random-effects model. J Educ Behav Stat. 2005;30:261-293.
.. [2] DerSimonian R, Laird N. Meta-analysis in clinical trials. Control Clin Trials.
       1986;7:177-188.
.. [3] Paule RC, Mandel J. Consensus values and weighting factors. J Res Natl Bur Stand.
       1982;87:377-385.
.. [4] Sidik K, Jonkman JN. Simple heterogeneity variance estimation for meta-analysis.
       J R Stat Soc C. 2005;54:367-384.
.. [5] Hedges LV, Olkin I. Statistical Methods for Meta-Analysis. Academic Press; 1985.
.. [6] Hunter JE, Schmidt FL. Methods of Meta-Analysis. 2nd ed. Sage; 2004.
.. [7] Morris CN. Parametric empirical Bayes inference. J Am Stat Assoc. 1983;78:47-55.
.. [8] Viechtbauer W. Confidence intervals for the amount of heterogeneity in
       meta-analysis. Stat Med. 2007;26:37-52.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from scipy import stats

from oncostat.errors import ConvergenceError

__all__ = [
    "TAU2_METHODS",
    "Tau2Method",
    "dersimonian_laird",
    "empirical_bayes",
    "estimate_tau2",
    "fisher_scoring",
    "generalised_q",
    "hedges",
    "hunter_schmidt",
    "maximum_likelihood",
    "paule_mandel",
    "q_profile_ci",
    "restricted_maximum_likelihood",
    "sidik_jonkman",
]

Tau2Method = Literal["DL", "REML", "ML", "PM", "SJ", "HE", "HS", "EB"]
TAU2_METHODS: tuple[str, ...] = ("DL", "REML", "ML", "PM", "SJ", "HE", "HS", "EB")

TOL = 1e-12
MAX_ITER = 1000


def _weighted_mean(yi: np.ndarray, w: np.ndarray) -> float:
    return float(np.dot(w, yi) / w.sum())


def generalised_q(tau2: float, yi: np.ndarray, vi: np.ndarray) -> float:
    """Generalised Q: ``sum w (y - mu_w)^2`` with ``w = 1 / (v + tau2)`` [8]_."""
    w = 1.0 / (vi + tau2)
    mu = _weighted_mean(yi, w)
    return float(np.dot(w, (yi - mu) ** 2))


def dersimonian_laird(yi: np.ndarray, vi: np.ndarray, *, q: float | None = None) -> float:
    """Method-of-moments estimator of DerSimonian and Laird [2]_.

    ``q`` overrides Cochran's Q; RevMan's M-H random-effects model passes the Q computed
    around the Mantel-Haenszel estimate.
    """
    w = 1.0 / vi
    if q is None:
        q = generalised_q(0.0, yi, vi)
    denom = w.sum() - np.dot(w, w) / w.sum()
    return max(0.0, (q - (len(yi) - 1)) / denom)


def hedges(yi: np.ndarray, vi: np.ndarray) -> float:
    """Hedges' (HE) unweighted method-of-moments estimator [5]_."""
    k = len(yi)
    rss = float(np.sum((yi - yi.mean()) ** 2))
    return max(0.0, rss / (k - 1) - vi.sum() / k)


def hunter_schmidt(yi: np.ndarray, vi: np.ndarray) -> float:
    """Hunter-Schmidt (HS) estimator ``(Q - k) / sum w`` [6]_."""
    w = 1.0 / vi
    return max(0.0, (generalised_q(0.0, yi, vi) - len(yi)) / w.sum())


def sidik_jonkman(yi: np.ndarray, vi: np.ndarray) -> float:
    """Sidik-Jonkman (SJ) estimator [4]_, started at ``var(y) (k-1)/k`` as metafor does."""
    k = len(yi)
    tau2_0 = float(np.var(yi))  # ddof=0 == var(y) * (k - 1) / k
    if tau2_0 == 0.0:
        return 0.0
    return tau2_0 * generalised_q(tau2_0, yi, vi) / (k - 1)


def fisher_scoring(step: Callable[[float], float], tau2: float, what: str) -> float:
    """Iterate ``tau2 += step(tau2)`` from the given start until the step is below ``TOL``."""
    for _ in range(MAX_ITER):
        adj = step(tau2)
        # Halve steps that would leave the parameter space (metafor's step-halving);
        # a maximum on the boundary is then reached exactly at 0.
        while tau2 + adj < 0:
            adj /= 2
            if abs(adj) < TOL:
                adj = -tau2
                break
        tau2 += adj
        if abs(adj) <= TOL * max(1.0, tau2):
            return tau2
    raise ConvergenceError(f"{what} estimate of tau² did not converge in {MAX_ITER} iterations; "
                           "try tau2_method='PM' or 'DL'")


def restricted_maximum_likelihood(yi: np.ndarray, vi: np.ndarray) -> float:
    """REML estimate by Fisher scoring on the restricted likelihood [1]_."""

    def step(tau2: float) -> float:
        w = 1.0 / (vi + tau2)
        sw = w.sum()
        r = yi - np.dot(w, yi) / sw
        sw2 = np.dot(w, w)
        tr_p = sw - sw2 / sw
        tr_pp = sw2 - 2 * np.dot(w * w, w) / sw + (sw2 / sw) ** 2
        return float((np.dot(w * w, r * r) - tr_p) / tr_pp)

    return fisher_scoring(step, hedges(yi, vi), "REML")


def maximum_likelihood(yi: np.ndarray, vi: np.ndarray) -> float:
    """ML estimate by Fisher scoring on the full likelihood [1]_."""

    def step(tau2: float) -> float:
        w = 1.0 / (vi + tau2)
        r = yi - np.dot(w, yi) / w.sum()
        w2 = w * w
        return float((np.dot(w2, r * r) - w.sum()) / w2.sum())

    return fisher_scoring(step, hedges(yi, vi), "ML")


def empirical_bayes(yi: np.ndarray, vi: np.ndarray) -> float:
    """Empirical Bayes (Morris) estimator [7]_; its fixed point equals Paule-Mandel's."""
    k = len(yi)

    def step(tau2: float) -> float:
        w = 1.0 / (vi + tau2)
        return float((k / (k - 1) * generalised_q(tau2, yi, vi) - k) / w.sum())

    return fisher_scoring(step, hedges(yi, vi), "EB")


def _q_and_slope(tau2: float, yi: np.ndarray, vi: np.ndarray) -> tuple[float, float]:
    """Generalised Q and its derivative ``dQ/dtau² = -sum w² (y - mu)²``.

    (The terms through ``mu`` vanish because ``mu`` minimises Q for fixed weights.)
    """
    w = 1.0 / (vi + tau2)
    r = yi - np.dot(w, yi) / w.sum()
    wr2 = w * r * r
    return float(wr2.sum()), -float(np.dot(w, wr2))


def _solve_q(target: float, yi: np.ndarray, vi: np.ndarray) -> float:
    """The tau² >= 0 at which the (decreasing) generalised Q equals ``target``; 0 if none.

    Safeguarded Newton: Newton steps from the left, falling back to bisection of the
    bracket whenever a step would leave it, until the bracket or step is below 1e-14
    relative.
    """
    q0, slope = _q_and_slope(0.0, yi, vi)
    if q0 <= target:
        return 0.0
    low, high = 0.0, math.inf
    tau2, q = 0.0, q0
    for _ in range(500):
        if q > target:
            low = tau2
        else:
            high = tau2
        step = (q - target) / -slope if slope < 0 else math.inf
        new = tau2 + step
        if not (low < new < high):
            new = (low + high) / 2 if math.isfinite(high) else max(2 * tau2, 1.0, new)
            if not math.isfinite(new):
                raise ConvergenceError("could not bracket tau²: the variances are extreme")
        if abs(new - tau2) <= 1e-14 * max(new, 1e-300) or (math.isfinite(high) and
                                                           high - low <= 1e-14 * high):
            return new
        tau2 = new
        q, slope = _q_and_slope(tau2, yi, vi)
    raise ConvergenceError("the tau² equation did not converge in 500 steps")


def paule_mandel(yi: np.ndarray, vi: np.ndarray) -> float:
    """Paule-Mandel estimator: the tau² at which the generalised Q equals k - 1 [3]_."""
    return _solve_q(len(yi) - 1.0, yi, vi)


def q_profile_ci(yi: np.ndarray, vi: np.ndarray, *,
                 confidence_level: float = 0.95) -> tuple[float, float]:
    """Q-profile confidence interval for tau² [8]_ (metafor's ``confint.rma.uni``).

    A bound is 0 when the generalised Q at tau² = 0 is already below its chi-squared
    quantile (the interval then includes, or is, {0}).
    """
    df = len(yi) - 1
    alpha = 1 - confidence_level
    low = _solve_q(float(stats.chi2.ppf(1 - alpha / 2, df)), yi, vi)
    high = _solve_q(float(stats.chi2.ppf(alpha / 2, df)), yi, vi)
    return low, high


_ESTIMATORS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "DL": dersimonian_laird,
    "REML": restricted_maximum_likelihood,
    "ML": maximum_likelihood,
    "PM": paule_mandel,
    "SJ": sidik_jonkman,
    "HE": hedges,
    "HS": hunter_schmidt,
    "EB": empirical_bayes,
}


def estimate_tau2(yi: np.ndarray, vi: np.ndarray, method: Tau2Method) -> float:
    """Dispatch to the estimator named as in metafor's ``method`` argument."""
    return _ESTIMATORS[method](yi, vi)

"""Propensity score models: :func:`propensity_score` and the fitted :class:`PropensityModel`.

The propensity score is the probability of receiving the focal treatment given the
covariates [1]_. With two arms it is a binary regression: logistic (the default, as the
seed study and MatchIt's ``distance = "glm"``), probit, or logistic with an L1 (lasso) or L2
(ridge) penalty for many covariates. With three or more arms it is the generalised
propensity score [2]_ [3]_, a multinomial logistic regression giving each patient's
probability of every arm.

Numerics
--------
Binary models are fitted by Newton-Raphson (Fisher scoring for probit), as R's ``glm``
does by iteratively reweighted least squares, but iterated until the step is below
1e-10 in every coefficient rather than stopping at R's deviance tolerance (1e-8), so
coefficients agree with a tightly converged R fit to better than 1e-8. One iteration at
10^6 patients and 10 covariates is one weighted cross-product, about 50 ms.

References
----------
.. [1] Rosenbaum PR, Rubin DB. The central role of the propensity score in observational
       studies for causal effects. Biometrika. 1983;70:41-55.
.. [2] Imbens GW. The role of the propensity score in estimating dose-response functions.
       Biometrika. 2000;87:706-710.
.. [3] Lopez MJ, Gutman R. Estimation of causal effects with multiple treatments: a review
       and new ideas. Stat Sci. 2017;32:432-454.
.. [4] Friedman J, Hastie T, Tibshirani R. Regularization paths for generalized linear
       models via coordinate descent. J Stat Softw. 2010;33(1):1-22.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg, special, stats

from oncostat._results import ResultMixin, jsonable
from oncostat.errors import ConvergenceError, DegenerateDataWarning, InputError
from oncostat.matching._design import Arms, Terms, build_terms, read_arms

__all__ = ["PropensityMethod", "PropensityModel", "check_columns", "fit_model", "propensity_score"]

PropensityMethod = Literal["logistic", "probit", "l1", "l2"]

_MAX_ITER = 50
_STEP_TOL = 1e-10
# R's binomial()$linkinv for probit keeps eta within -qnorm(.Machine$double.eps).
_PROBIT_THRESH = float(-stats.norm.ppf(np.finfo(float).eps))
_CV_FOLDS = 5
_CV_GRID = 20


@dataclass(frozen=True, slots=True)
class PropensityModel(ResultMixin):
    """A fitted propensity model; see :func:`propensity_score`.

    ``coef`` holds the intercept and one coefficient per model-matrix column (``terms``
    lists them with their standard errors); for a multinomial model it has one row per
    non-focal arm, the log odds of that arm against the focal arm. ``scores`` is the
    probability of the focal arm for each row of the data the model was fitted to (same
    index), ``logit`` its log odds. ``probabilities`` has one column per arm.
    """

    method: PropensityMethod
    treatment: str
    arms: tuple[object, ...]
    columns: tuple[str, ...]
    n: int
    converged: bool
    iterations: int
    penalty: float | None
    coef: np.ndarray = field(repr=False)
    se: np.ndarray = field(repr=False)
    scores: pd.Series = field(repr=False)
    probabilities: pd.DataFrame = field(repr=False)
    _terms: Terms = field(repr=False)
    _eta: np.ndarray = field(repr=False)

    @property
    def focal(self) -> object:
        return self.arms[0]

    @property
    def multinomial(self) -> bool:
        return self.coef.ndim == 2

    @property
    def logit(self) -> pd.Series:
        """Log odds of the focal arm, ``log(ps / (1 - ps))`` (MatchIt's ``linear.logit``);
        for a logistic model exactly the linear predictor, as R's ``predict(fit)``; for a
        probit model the probit linear predictor."""
        return pd.Series(self._eta, index=self.scores.index, name="logit")

    @property
    def terms(self) -> pd.DataFrame:
        """One row per coefficient: ``term``, ``coef``, ``se`` (and ``arm`` if multinomial)."""
        names = ["(Intercept)", *self.columns]
        if not self.multinomial:
            return pd.DataFrame({"term": names, "coef": self.coef, "se": self.se})
        rows = [{"arm": str(a), "term": t, "coef": c, "se": s}
                for a, cs, ss in zip(self.arms[1:], self.coef, self.se, strict=True)
                for t, c, s in zip(names, cs, ss, strict=True)]
        return pd.DataFrame(rows)

    def linear_predictor(self, data: pd.DataFrame) -> np.ndarray:
        """``X beta`` for new rows (n, or arms - 1 x n for a multinomial model)."""
        x = self._terms.matrix(data)
        return self.coef[..., :1] + self.coef[..., 1:] @ x

    def predict(self, data: pd.DataFrame) -> pd.Series:
        """Propensity scores (probability of the focal arm) of new patients.

        ``data`` needs the covariates only; categorical levels must be among those seen
        when fitting.
        """
        return self.predict_proba(data).iloc[:, 0].rename("ps")

    def predict_proba(self, data: pd.DataFrame) -> pd.DataFrame:
        """Probability of every arm (columns named by arm, focal first) for new patients."""
        eta = self.linear_predictor(data)
        return pd.DataFrame(_probabilities(eta, self.method), index=data.index,
                            columns=[str(a) for a in self.arms])

    def to_frame(self) -> pd.DataFrame:
        return self.terms

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; what ``oncostat match --json`` prints under ``ps_model``."""
        return jsonable({
            "method": self.method, "treatment": self.treatment, "focal": str(self.focal),
            "arms": [str(a) for a in self.arms], "n": self.n,
            "multinomial": self.multinomial, "penalty": self.penalty,
            "converged": self.converged, "iterations": self.iterations,
            "terms": self.terms,
        })

    def __str__(self) -> str:
        kind = {"logistic": "Logistic", "probit": "Probit", "l1": "L1-penalised logistic",
                "l2": "L2-penalised logistic"}[self.method]
        if self.multinomial:
            kind = "Multinomial logistic (generalised)"
        others = ", ".join(repr(str(a)) for a in self.arms[1:])
        lines = [f"{kind} propensity model for arm {str(self.focal)!r} against {others} "
                 f"(n = {self.n})"]
        if self.penalty is not None:
            lines.append(f"  Penalty lambda = {self.penalty:.4g} (covariates standardised)")
        tab = self.terms
        label = (tab["arm"] + ": " + tab["term"]) if self.multinomial else tab["term"]
        width = max(len(s) for s in label)
        lines.append(f"  {'':<{width}}  {'coef':>10}  {'se':>10}")
        for name, c, s in zip(label, tab["coef"], tab["se"], strict=True):
            lines.append(f"  {name:<{width}}  {c:>10.4g}  {s:>10.4g}")
        return "\n".join(lines)


def _probabilities(eta: np.ndarray, method: str) -> np.ndarray:
    """Arm probabilities (n x arms, focal first) from the linear predictor(s)."""
    if eta.ndim == 2:
        full = np.vstack([np.zeros(eta.shape[1]), eta])
        return special.softmax(full, axis=0).T
    p = (stats.norm.cdf(np.clip(eta, -_PROBIT_THRESH, _PROBIT_THRESH)) if method == "probit"
         else special.expit(eta))
    return np.column_stack([p, 1 - p])


def propensity_score(
    data: pd.DataFrame,
    *,
    treatment: str,
    focal: object | None = None,
    covariates: Sequence[str],
    method: PropensityMethod = "logistic",
    reference: Mapping[str, object] | None = None,
    penalty: float | None = None,
    arms: Sequence[object] | None = None,
) -> PropensityModel:
    """Fit a propensity score model [1]_; the result scores new patients too.

    Parameters
    ----------
    data : DataFrame
        One row per patient; never modified.
    treatment : str
        Column naming each patient's arm.
    focal : optional
        The arm whose probability is the propensity score (the "treated" of MatchIt).
        May be omitted when the arms are coded 0/1 (then 1).
    covariates : sequence of str
        Columns of the model. Text and ``Categorical`` columns (and any named in
        ``reference``) are expanded into indicators ``column[level]`` against a reference
        level. Missing covariate values are an error (impute or drop first), as in
        MatchIt.
    method : {"logistic", "probit", "l1", "l2"}, default "logistic"
        Binary regression: logistic (R's ``glm(family = binomial)``, MatchIt's
        ``distance = "glm"``), probit (``link = "probit"``), or logistic with a lasso
        (``"l1"``) or ridge (``"l2"``) penalty [4]_ for many covariates. With three or more
        arms, ``"logistic"`` fits a multinomial logistic regression (the generalised
        propensity score [2]_ [3]_, R's ``nnet::multinom``).
    reference : dict of str to level, optional
        Reference level per categorical covariate (R's ``relevel``); default the first
        level (sorted, or the first category of a pandas ``Categorical``).
    penalty : float, optional
        ``lambda`` of the penalised methods, on glmnet's scale: the fit minimises
        ``-loglik / n + lambda * P(beta)``, ``P = sum |beta_j|`` (L1) or
        ``sum beta_j^2 / 2`` (L2), with covariates standardised (population SD) and the
        intercept not penalised. By default it is chosen by 5-fold cross-validation of the
        deviance over 20 values (folds fixed by a seeded shuffle, so refits agree).
        Standard errors of penalised coefficients are reported as NaN.
    arms : sequence, optional
        The other arms to include (default every arm in ``treatment``); rows of other arms
        are left out of the fit and get a NaN score.

    Returns
    -------
    PropensityModel
        ``scores`` (aligned to ``data``'s index), ``logit``, ``terms`` (term, coef, se),
        ``predict(new_data)``.

    Raises
    ------
    InputError
        Missing or non-numeric covariates, a categorical covariate with one level, an
        unknown reference level, an arm with no patients, a covariate constant or
        collinear with others, or complete separation (the covariates predict the arm
        exactly, so no patients overlap).

    Warns
    -----
    DegenerateDataWarning
        Quasi-complete separation: some fitted probabilities are numerically 0 or 1 (R's
        glm warns the same); the coefficients of the separating terms are then
        meaningless, the scores still usable.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"arm": ["T", "C", "C", "T", "C", "T", "C", "C"],
    ...                   "age": [61, 55, 70, 66, 59, 58, 73, 52]})
    >>> ps = propensity_score(d, treatment="arm", focal="T", covariates=["age"])
    >>> ps.terms.round(4)     # R: glm(t ~ age, family = binomial) gives the same
              term    coef      se
    0  (Intercept) -0.3353  6.6244
    1          age -0.0028  0.1067
    """
    if method not in ("logistic", "probit", "l1", "l2"):
        raise InputError(f"method: expected 'logistic', 'probit', 'l1' or 'l2', got {method!r}")
    if penalty is not None and (method not in ("l1", "l2") or not penalty >= 0):
        raise InputError(f"penalty: a number >= 0 for method 'l1' or 'l2', got {penalty!r} "
                         f"with method {method!r}")
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    labels = frame["id"].to_numpy() if "id" in frame.columns else None
    arm = read_arms(frame, treatment, focal, labels, arms)
    rows = np.flatnonzero(arm.code >= 0)
    used = frame.iloc[rows] if rows.size < len(frame) else frame
    if len(arm.names) > 2 and method != "logistic":
        raise InputError(f"method: {method!r} is for two arms; with {len(arm.names)} arms the "
                         "generalised propensity score is a multinomial logistic model "
                         "(method='logistic')")
    terms = build_terms(used, covariates, reference)
    x = terms.matrix(used, labels=None if labels is None else labels[rows])
    code = arm.code[rows]
    check_columns(x, terms.columns)
    return fit_model(x, code, arm, terms, method, penalty, frame.index, rows)


def fit_model(x: np.ndarray, code: np.ndarray, arm: Arms, terms: Terms, method: str,
              penalty: float | None, index: pd.Index, rows: np.ndarray) -> PropensityModel:
    """Fit the model to a checked design (``x`` p x n, ``code`` 0 = focal); see above."""
    xi = np.vstack([np.ones(x.shape[1]), x])
    if len(arm.names) > 2:
        coef, cov, it, ok = _fit_multinomial(xi, code, len(arm.names))
        se = np.sqrt(np.diag(cov)).reshape(coef.shape)
    elif method in ("l1", "l2"):
        y = (code == 0).astype(float)
        coef, it, ok, penalty = _fit_penalised(xi, y, method, penalty)
        se = np.full(coef.size, np.nan)
    else:
        y = (code == 0).astype(float)
        coef, cov, it, ok = _fit_binary(xi, y, method, terms.columns)
        se = np.sqrt(np.diag(cov))
    eta = coef[..., :1] + coef[..., 1:] @ x
    prob = _probabilities(eta, method)
    if not ok:
        raise ConvergenceError(f"the {method} propensity model did not converge in "
                               f"{_MAX_ITER} iterations; check for separation or remove "
                               "covariates, or use method='l2'")
    full = np.full((len(index), prob.shape[1]), np.nan)
    full[rows] = prob
    probs = pd.DataFrame(full, index=index, columns=[str(a) for a in arm.names])
    linear = np.full(len(index), np.nan)
    linear[rows] = special.logit(prob[:, 0]) if eta.ndim == 2 else eta
    return PropensityModel(
        method=method, treatment=arm.column, arms=arm.names, columns=terms.columns,  # type: ignore[arg-type]
        n=int(rows.size), converged=ok, iterations=it, penalty=penalty, coef=coef, se=se,
        scores=probs.iloc[:, 0].rename("ps"), probabilities=probs, _terms=terms, _eta=linear)


def check_columns(x: np.ndarray, columns: Sequence[str]) -> None:
    """A constant or collinear column cannot be estimated (R reports NA): name it."""
    n = x.shape[1]
    xc = x - x.mean(axis=1, keepdims=True)
    gram = xc @ xc.T / max(n, 1)
    for j, name in enumerate(columns):
        if gram[j, j] <= 1e-12 * max(1.0, float(np.mean(x[j] ** 2))):
            raise InputError(f"covariate {name!r} is constant among the patients of these arms, "
                             "so its coefficient cannot be estimated; remove it")
        if j:
            coef = np.linalg.lstsq(gram[:j, :j], gram[:j, j], rcond=None)[0]
            if gram[j, j] - gram[:j, j] @ coef <= 1e-10 * gram[j, j]:
                others = [columns[k] for k in np.flatnonzero(np.abs(coef) > 1e-8)]
                raise InputError(f"covariate {name!r} is a linear combination of "
                                 f"{', '.join(repr(o) for o in others)} (collinear; R reports "
                                 "NA for it); remove one of them")


# ----------------------------------------------------------------------------------------
# Binary regression: Newton-Raphson / Fisher scoring
# ----------------------------------------------------------------------------------------
def _binary_parts(eta: np.ndarray, y: np.ndarray, method: str
                  ) -> tuple[float, np.ndarray, np.ndarray]:
    """Log likelihood, working residual ``(y - mu) dmu / var`` and Fisher weight per row."""
    if method == "probit":
        e = np.clip(eta, -_PROBIT_THRESH, _PROBIT_THRESH)
        mu = stats.norm.cdf(e)
        q = stats.norm.sf(e)
        dmu = stats.norm.pdf(e)
        var = mu * q
        ll = float(np.sum(np.where(y > 0, np.log(mu), np.log(q))))
        return ll, (y - mu) * dmu / var, dmu * dmu / var
    # One exp: e = exp(-|eta|) gives mu and log(1 + exp(eta)) = max(eta, 0) + log1p(e),
    # stable for any eta.
    e = np.exp(-np.abs(eta))
    inv = 1.0 / (1.0 + e)
    mu = np.where(eta >= 0, inv, e * inv)
    ll = float(y @ eta - np.sum(np.maximum(eta, 0.0)) - np.sum(np.log1p(e)))
    return ll, y - mu, e * inv * inv


def _fit_binary(x: np.ndarray, y: np.ndarray, method: str, columns: Sequence[str]
                ) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """MLE of a logistic or probit regression (``x`` includes the intercept row)."""
    p = x.shape[0]
    beta = np.zeros(p)
    ybar = float(y.mean())
    beta[0] = special.logit(ybar) if method == "logistic" else stats.norm.ppf(ybar)
    eta = np.full(y.size, beta[0])
    ll, resid, w = _binary_parts(eta, y, method)
    converged = False
    it = 0
    buf = np.empty_like(x)  # one p x n work array: sqrt(w) x, whose Gram is the information

    def information(w: np.ndarray) -> np.ndarray:
        np.multiply(x, np.sqrt(w), out=buf)
        return buf @ buf.T  # a symmetric rank-k product (BLAS syrk)

    for it in range(1, _MAX_ITER + 1):  # noqa: B007 - the count is reported
        info = information(w)
        step = _solve(info, x @ resid)
        # Step halving when the likelihood falls, as glm.fit does for a divergent step.
        for _ in range(30):
            new = beta + step
            eta_new = new @ x
            ll_new, resid_new, w_new = _binary_parts(eta_new, y, method)
            if ll_new >= ll - 1e-10 * abs(ll) or not np.isfinite(ll):
                break
            step /= 2
        beta, eta, ll, resid, w = new, eta_new, ll_new, resid_new, w_new
        if np.max(np.abs(step)) < _STEP_TOL * max(1.0, float(np.max(np.abs(beta)))):
            converged = True
            break
    # R warns at 10 * eps; a diverging coefficient stops well before that, so the test
    # here is wider (no usable propensity model puts a patient within 1e-8 of 0 or 1).
    tiny = 1e-8
    fitted = special.expit(eta) if method == "logistic" else stats.norm.cdf(eta)
    extreme = (fitted < tiny) | (fitted > 1 - tiny)
    if extreme.any():
        _separation(x, y, eta, columns, extreme)
    return beta, _solve(information(w), np.eye(p)), it, converged


def _separation(x: np.ndarray, y: np.ndarray, eta: np.ndarray, columns: Sequence[str],
                extreme: np.ndarray) -> None:
    """Raise for complete separation; warn for quasi-complete separation."""
    names = ["(Intercept)", *columns]
    single = []
    for j in range(1, x.shape[0]):
        t, c = x[j][y == 1], x[j][y == 0]
        if t.max() < c.min() or t.min() > c.max():
            single.append(names[j])
    correct = np.where(y == 1, eta > 0, eta < 0)
    if correct.all() and np.all(np.abs(eta) > 15):
        why = (f"covariate {single[0]!r} alone separates the arms" if single
               else "together the covariates separate the arms")
        raise InputError(f"complete separation: {why}, so every propensity score is 0 or 1 "
                         "and no patients of the two arms overlap; matching is impossible. "
                         "Remove the separating covariate or use method='l2'")
    warnings.warn(f"fitted propensity scores numerically 0 or 1 (within 1e-8) for "
                  f"{int(extreme.sum())} patients (quasi-complete separation); the coefficients "
                  "of the separating terms are meaningless and their standard errors huge; "
                  "those patients will find no match within a caliper",
                  DegenerateDataWarning, stacklevel=4)


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``a x = b``; a least-squares solution when ``a`` is (nearly) singular, as it
    becomes when coefficients diverge under separation."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", linalg.LinAlgWarning)
        try:
            return linalg.solve(a, b, assume_a="pos")
        except (linalg.LinAlgError, linalg.LinAlgWarning, ValueError):
            pass
    return linalg.lstsq(a, b)[0]


# ----------------------------------------------------------------------------------------
# Penalised logistic regression (glmnet's objective; proximal Newton)
# ----------------------------------------------------------------------------------------
def _fit_penalised(x: np.ndarray, y: np.ndarray, method: str, penalty: float | None
                   ) -> tuple[np.ndarray, int, bool, float]:
    """Penalised logistic fit on standardised covariates; coefficients on the data scale."""
    mean = x[1:].mean(axis=1)
    sd = x[1:].std(axis=1)
    xs = np.vstack([x[0], (x[1:] - mean[:, None]) / sd[:, None]])
    if penalty is None:
        penalty = _cross_validate(xs, y, method)
    beta, it, ok = _penalised_path(xs, y, method, [penalty])[-1]
    slopes = beta[1:] / sd
    coef = np.r_[beta[0] - slopes @ mean, slopes]
    return coef, it, ok, float(penalty)


def _lambda_grid(xs: np.ndarray, y: np.ndarray, method: str) -> np.ndarray:
    top = float(np.max(np.abs(xs[1:] @ (y - y.mean())))) / y.size
    if method == "l2":
        top *= 100  # ridge shrinks smoothly; start where the slopes are near 0
    return top * np.logspace(0, -4 if method == "l2" else -3, _CV_GRID)


def _cross_validate(xs: np.ndarray, y: np.ndarray, method: str) -> float:
    grid = _lambda_grid(xs, y, method)
    folds = np.random.default_rng(20240501).permutation(y.size) % _CV_FOLDS
    loss = np.zeros(grid.size)
    for f in range(_CV_FOLDS):
        train, test = folds != f, folds == f
        path = _penalised_path(xs[:, train], y[train], method, grid)
        for k, (beta, _, _) in enumerate(path):
            eta = beta @ xs[:, test]
            loss[k] -= float(np.sum(y[test] * eta - np.logaddexp(0.0, eta)))
    return float(grid[int(np.argmin(loss))])


def _penalised_path(xs: np.ndarray, y: np.ndarray, method: str, grid: Sequence[float]
                    ) -> list[tuple[np.ndarray, int, bool]]:
    """Fits along decreasing ``grid``, each warm-started from the previous one."""
    n, p = y.size, xs.shape[0]
    beta = np.zeros(p)
    beta[0] = special.logit(np.clip(y.mean(), 1e-10, 1 - 1e-10))
    mask = np.r_[0.0, np.ones(p - 1)]
    out = []

    def objective(b: np.ndarray, lam: float) -> float:
        eta = b @ xs
        pen = np.sum(np.abs(b[1:])) if method == "l1" else 0.5 * np.sum(b[1:] ** 2)
        return -float(np.sum(y * eta - np.logaddexp(0.0, eta))) / n + lam * pen

    for lam in grid:
        ok, it = False, 0
        obj = objective(beta, lam)
        for it in range(1, _MAX_ITER + 1):  # noqa: B007 - the count is reported
            mu = special.expit(beta @ xs)
            h = (xs * (mu * (1 - mu))) @ xs.T / n
            g = xs @ (y - mu) / n
            target = h @ beta + g
            if method == "l2":
                new = _solve(h + lam * np.diag(mask), target)
            else:
                new = _lasso_quadratic(h, target, lam, beta)
            step = new - beta
            for _ in range(30):
                new_obj = objective(beta + step, lam)
                if new_obj <= obj + 1e-13:
                    break
                step /= 2
            beta = beta + step
            done = obj - new_obj < 1e-12 * max(1.0, abs(obj))
            obj = new_obj
            if done or np.max(np.abs(step)) < _STEP_TOL:
                ok = True
                break
        out.append((beta.copy(), it, ok))
    return out


def _lasso_quadratic(h: np.ndarray, b: np.ndarray, lam: float, start: np.ndarray
                     ) -> np.ndarray:
    """Minimise ``beta' h beta / 2 - b' beta + lam sum_{j>0} |beta_j|`` by coordinate descent."""
    beta = start.copy()
    for _ in range(1000):
        biggest = 0.0
        for j in range(beta.size):
            r = b[j] - h[j] @ beta + h[j, j] * beta[j]
            new = r / h[j, j] if j == 0 else np.sign(r) * max(abs(r) - lam, 0.0) / h[j, j]
            biggest = max(biggest, abs(new - beta[j]))
            beta[j] = new
        if biggest < 1e-13:
            break
    return beta


# ----------------------------------------------------------------------------------------
# Multinomial logistic regression (generalised propensity score)
# ----------------------------------------------------------------------------------------
def _fit_multinomial(x: np.ndarray, code: np.ndarray, k: int
                     ) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Newton-Raphson on the multinomial log likelihood, arm 0 (focal) the baseline."""
    p, n = x.shape
    y = np.zeros((k - 1, n))
    for a in range(1, k):
        y[a - 1] = code == a
    counts = np.bincount(code, minlength=k)
    if (counts == 0).any():
        raise InputError("every arm needs patients for a multinomial propensity model")
    beta = np.zeros((k - 1, p))
    beta[:, 0] = np.log(counts[1:] / counts[0])

    def parts(b: np.ndarray) -> tuple[float, np.ndarray]:
        eta = np.vstack([np.zeros(n), b @ x])
        lse = special.logsumexp(eta, axis=0)
        ll = float(np.sum(eta[code, np.arange(n)] - lse))
        return ll, np.exp(eta[1:] - lse)

    ll, mu = parts(beta)
    converged, it = False, 0
    for it in range(1, _MAX_ITER + 1):  # noqa: B007 - the count is reported
        info = _multinomial_info(x, mu)
        score = ((y - mu) @ x.T).ravel()
        step = _solve(info, score).reshape(k - 1, p)
        for _ in range(30):
            ll_new, mu_new = parts(beta + step)
            if ll_new >= ll - 1e-10 * abs(ll):
                break
            step /= 2
        beta, ll, mu = beta + step, ll_new, mu_new
        if np.max(np.abs(step)) < _STEP_TOL * max(1.0, float(np.max(np.abs(beta)))):
            converged = True
            break
    if not converged:
        raise ConvergenceError("the multinomial propensity model did not converge; check for "
                               "an arm that the covariates separate from the others")
    cov = _solve(_multinomial_info(x, mu), np.eye((k - 1) * p))
    return beta, cov, it, converged


def _multinomial_info(x: np.ndarray, mu: np.ndarray) -> np.ndarray:
    km, p = mu.shape[0], x.shape[0]
    info = np.zeros((km * p, km * p))
    for a in range(km):
        for b in range(a, km):
            w = mu[a] * ((a == b) - mu[b])
            block = (x * w) @ x.T
            info[a * p:(a + 1) * p, b * p:(b + 1) * p] = block
            info[b * p:(b + 1) * p, a * p:(a + 1) * p] = block.T
    return info

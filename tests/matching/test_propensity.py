"""Propensity models against R's glm (tests/reference/matching/nearest_matchit.json) and
statsmodels, and their bad-input errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import optimize, special

from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.matching import propensity_score
from tests.conftest import REFERENCE, load_reference
from tests.tolerances import RTOL

REF = load_reference("matching/nearest_matchit.json")
COVS = {"sim120": ["age", "albumin", "sex", "stage"], "sim400": ["age", "albumin", "sex", "stage"],
        "sim2000": ["age", "albumin", "sex", "stage"], "ties300": ["sex", "stage"],
        "lalonde": ["age", "educ", "race", "married", "nodegree", "re74", "re75"]}
# R names factor terms "sexM", "raceblack"; oncostat "sex[M]", "race[black]".
R_NAMES = {"sexM": "sex[M]", "stageIII": "stage[III]", "stageIV": "stage[IV]",
           "racehispan": "race[hispan]", "racewhite": "race[white]"}


def cohort(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "matching" / "data" / f"{name}.csv")


@pytest.mark.parametrize("name", list(COVS))
def test_logistic_matches_r_glm(name):
    ref = REF["models"][name]
    ps = propensity_score(cohort(name), treatment="treat", focal=1, covariates=COVS[name])
    terms = ps.terms
    assert list(terms["term"]) == [R_NAMES.get(t, t) for t in ref["term"]]
    assert_allclose(terms["coef"], ref["coef"], rtol=RTOL)
    assert_allclose(terms["se"], ref["se"], rtol=RTOL)
    assert_allclose(ps.scores, [float(v) for v in ref["distance"]["logit"]], rtol=RTOL)
    assert_allclose(ps.logit, [float(v) for v in ref["distance"]["linear.logit"]], rtol=RTOL,
                    atol=1e-10)


def test_lalonde_reference_level_is_named():
    d = cohort("lalonde")
    ps = propensity_score(d, treatment="treat", focal=1, covariates=COVS["lalonde"],
                          reference={"race": "white"})
    assert "race[black]" in set(ps.terms["term"]) and "race[white]" not in set(ps.terms["term"])
    base = propensity_score(d, treatment="treat", focal=1, covariates=COVS["lalonde"])
    # Another reference level reparametrises the same model.
    assert_allclose(ps.scores, base.scores, rtol=1e-9)


def test_predict_scores_new_patients():
    d = cohort("sim400")
    ps = propensity_score(d.iloc[:300], treatment="treat", focal=1,
                          covariates=COVS["sim400"])
    new = d.iloc[300:].drop(columns="treat")
    full = propensity_score(d, treatment="treat", focal=1, covariates=COVS["sim400"])
    assert ps.predict(d.iloc[:300]).equals(ps.scores.rename("ps"))
    assert ps.predict(new).shape == (100,)
    assert not np.allclose(ps.predict(new), full.scores.iloc[300:])
    with pytest.raises(InputError, match="level 'V' was not in the data"):
        ps.predict(new.assign(stage="V"))


def test_probit_matches_statsmodels():
    d = cohort("sim400")
    ps = propensity_score(d, treatment="treat", focal=1, covariates=["age", "albumin"],
                          method="probit")
    x = sm.add_constant(d[["age", "albumin"]])
    fit = sm.GLM(d["treat"], x, family=sm.families.Binomial(sm.families.links.Probit())).fit(
        tol=1e-14)
    assert_allclose(ps.terms["coef"], fit.params, rtol=RTOL)
    assert_allclose(ps.terms["se"], fit.bse, rtol=RTOL)


def test_multinomial_matches_statsmodels_mnlogit():
    rng = np.random.default_rng(7)
    n = 500
    d = pd.DataFrame({"age": rng.normal(60, 10, n), "x": rng.normal(size=n)})
    eta = np.column_stack([np.zeros(n), 0.03 * (d["age"] - 60) + 0.5 * d["x"],
                           -0.02 * (d["age"] - 60) - 0.4 * d["x"] + 0.3])
    p = special.softmax(eta, axis=1)
    d["arm"] = np.array(["HIFU", "BSC", "PC"])[[rng.choice(3, p=row) for row in p]]
    ps = propensity_score(d, treatment="arm", focal="HIFU", covariates=["age", "x"])
    code = d["arm"].map({"HIFU": 0, "BSC": 1, "PC": 2})
    fit = sm.MNLogit(code, sm.add_constant(d[["age", "x"]])).fit(method="newton", tol=1e-14,
                                                                 disp=False)
    assert_allclose(ps.coef, fit.params.to_numpy().T, rtol=RTOL)
    assert_allclose(ps.se, fit.bse.to_numpy().T, rtol=RTOL)
    assert_allclose(ps.probabilities.sum(axis=1), 1.0)


@pytest.mark.parametrize("method", ["l1", "l2"])
def test_penalised_matches_direct_minimisation(method):
    d = cohort("sim400")
    covs = ["age", "albumin"]
    lam = 0.02
    ps = propensity_score(d, treatment="treat", focal=1, covariates=covs, method=method,
                          penalty=lam)
    x = d[covs].to_numpy()
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    y = d["treat"].to_numpy()

    def objective(b):
        eta = b[0] + z @ b[1:]
        pen = np.sum(np.abs(b[1:])) if method == "l1" else 0.5 * np.sum(b[1:] ** 2)
        return -np.mean(y * eta - np.logaddexp(0, eta)) + lam * pen

    best = optimize.minimize(objective, np.zeros(3), method="Nelder-Mead",
                             options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 20000})
    slopes = best.x[1:] / x.std(axis=0)
    # Nelder-Mead is the slow, naive reference; it is accurate to about 1e-6.
    assert_allclose(ps.coef[1:], slopes, rtol=1e-4, atol=1e-6)
    assert np.isnan(ps.se).all()


def test_penalty_chosen_by_cross_validation_is_reproducible():
    d = cohort("sim400")
    a = propensity_score(d, treatment="treat", focal=1, covariates=COVS["sim400"], method="l1")
    b = propensity_score(d, treatment="treat", focal=1, covariates=COVS["sim400"], method="l1")
    assert a.penalty == b.penalty > 0
    assert_allclose(a.coef, b.coef)


def test_covariate_with_one_level():
    d = cohort("sim120").assign(site="A")
    with pytest.raises(InputError, match="column 'site': a categorical covariate needs at least"):
        propensity_score(d, treatment="treat", focal=1, covariates=["age", "site"])


def test_reference_level_not_present():
    with pytest.raises(InputError, match="reference: level 'V' of column 'stage' not found"):
        propensity_score(cohort("sim120"), treatment="treat", focal=1,
                         covariates=["age", "stage"], reference={"stage": "V"})


def test_missing_covariate_names_row_and_patient():
    d = cohort("sim120")
    d.loc[4, "albumin"] = np.nan
    with pytest.raises(InputError, match=r"column 'albumin', row 5 \(patient 'P0005'\)"):
        propensity_score(d, treatment="treat", focal=1, covariates=["age", "albumin"])


def test_focal_arm_with_no_patients():
    with pytest.raises(InputError, match="focal: arm 'HIFU' has no patients"):
        propensity_score(cohort("sim120"), treatment="treat", focal="HIFU", covariates=["age"])


def test_constant_covariate():
    with pytest.raises(InputError, match="covariate 'k' is constant"):
        propensity_score(cohort("sim120").assign(k=1.0), treatment="treat", focal=1,
                         covariates=["age", "k"])


def test_complete_separation_is_an_error():
    d = cohort("sim120")
    d["score"] = d["treat"] * 10 + d["age"] / 100
    with pytest.raises(InputError, match="complete separation: covariate 'score' alone"):
        propensity_score(d, treatment="treat", focal=1, covariates=["age", "score"])


def test_quasi_separation_warns():
    d = cohort("sim400")
    d["flag"] = np.where((d["treat"] == 1) & (np.arange(len(d)) % 4 == 0), 1.0, 0.0)
    with pytest.warns(DegenerateDataWarning, match="numerically 0 or 1"):
        ps = propensity_score(d, treatment="treat", focal=1, covariates=["age", "flag"])
    assert np.isfinite(ps.scores).all()


def test_penalised_method_needs_two_arms():
    d = cohort("sim120").assign(treat=lambda f: np.arange(len(f)) % 3)
    with warnings.catch_warnings():
        with pytest.raises(InputError, match="is for two arms"):
            propensity_score(d, treatment="treat", focal=0, covariates=["age"], method="l2")

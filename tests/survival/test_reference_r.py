"""oncostat.survival against R's survival package (fixtures in tests/reference/survival/)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from oncostat.errors import DegenerateDataWarning
from oncostat.survival import (
    kaplan_meier,
    logrank_test,
    logrank_trend,
    median_followup,
    pairwise_logrank,
    rmst,
)
from tests.conftest import REFERENCE, load_reference
from tests.tolerances import RTOL

FIXTURES = ["lung", "colon", "veteran", "pbc", "aml", "exact", "hifu"]
MULTI = [f for f in FIXTURES if f != "hifu"]


def arr(values) -> np.ndarray:
    """A fixture vector as floats; JSON null (R's NA, and Inf, which jsonlite writes as null)
    becomes NaN."""
    v = np.atleast_1d(np.array(values, dtype=object))
    return np.array([np.nan if x is None else x for x in v], dtype=float)


def finite(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float).copy()
    x[~np.isfinite(x)] = np.nan
    return x


def close(actual, desired) -> None:
    assert_allclose(finite(actual), arr(desired), rtol=RTOL, equal_nan=True)


def setup(name: str):
    ref = load_reference(f"survival/km_{name}.json")
    data = pd.read_csv(REFERENCE / ref["data"])
    codes = ref["event_codes"]
    kwargs = {"time": "time", "event": "status"}
    if codes:
        kwargs["event_codes"] = {int(k): v for k, v in codes.items()}
    data["grp"] = pd.Categorical(data["grp"].astype(str),
                                 categories=[str(g) for g in np.atleast_1d(ref["groups"])])
    return ref, data, kwargs


def fit_km(data, kwargs, **options):
    with np.errstate(all="raise"):
        return kaplan_meier(data, group="grp", **kwargs, **options)


def quiet_km(ref, data, kwargs, **options):
    """Fit, expecting the not-reached warning exactly when R's median is NA."""
    if any(q["quantile"][1] is None for q in ref["km"]["log"]["quantiles"]):
        with pytest.warns(DegenerateDataWarning, match="median not reached"):
            return fit_km(data, kwargs, **options)
    return fit_km(data, kwargs, **options)


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain", "logit", "arcsin"])
@pytest.mark.parametrize("name", FIXTURES)
def test_kaplan_meier_matches_survfit(name, conf_type):
    ref, data, kwargs = setup(name)
    km = quiet_km(ref, data, kwargs, conf_type=conf_type)
    for rc in ref["km"][conf_type]["curves"]:
        c = km.curve(str(rc["group"]))
        assert_array_equal(c.time, arr(rc["time"]))
        assert_array_equal(c.n_risk, arr(rc["n_risk"]))
        assert_array_equal(c.n_event, arr(rc["n_event"]))
        assert_array_equal(c.n_censor, arr(rc["n_censor"]))
        close(c.surv, rc["surv"])
        close(c.std_err, rc["std_err"])
        close(c.ci_low, rc["lower"])
        close(c.ci_high, rc["upper"])


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain", "logit", "arcsin"])
@pytest.mark.parametrize("name", FIXTURES)
def test_quantiles_match_quantile_survfit(name, conf_type):
    ref, data, kwargs = setup(name)
    km = quiet_km(ref, data, kwargs, conf_type=conf_type)
    q = km.quantile([0.25, 0.5, 0.75])
    for rq in ref["km"][conf_type]["quantiles"]:
        rows = q[q["group"].astype(str) == str(rq["group"])]
        close(rows["estimate"], rq["quantile"])
        close(rows["ci_low"], rq["lower"])
        close(rows["ci_high"], rq["upper"])
        med = km.medians[km.medians["group"].astype(str) == str(rq["group"])]
        close(med[["median", "ci_low", "ci_high"]].to_numpy()[0],
              [rq["quantile"][1], rq["lower"][1], rq["upper"][1]])


@pytest.mark.parametrize("name", FIXTURES)
def test_survival_at_times_matches_summary_survfit(name):
    ref, data, kwargs = setup(name)
    km = quiet_km(ref, data, kwargs)
    r = ref["summary_times"]
    got = km.at(ref["times"])
    assert list(got["group"].astype(str)) == [str(g) for g in np.atleast_1d(r["group"])]
    for col, rcol in [("time", "time"), ("n_risk", "n_risk"), ("n_event", "n_event"),
                      ("n_censor", "n_censor"), ("surv", "surv"), ("se", "se"),
                      ("ci_low", "lower"), ("ci_high", "upper")]:
        close(got[col], r[rcol])


@pytest.mark.parametrize("name", FIXTURES)
def test_rmst_matches_survmean(name):
    ref, data, kwargs = setup(name)
    km = quiet_km(ref, data, kwargs)
    if any(c.last_time < ref["tau"] and c.surv[-1] > 0 for c in km.curves):
        with pytest.warns(DegenerateDataWarning, match="extended flat"):
            res = rmst(data, group="grp", tau=ref["tau"], **kwargs)
    else:
        res = rmst(data, group="grp", tau=ref["tau"], **kwargs)
    r = ref["rmean"]
    assert list(res.table["group"].astype(str)) == [str(g) for g in np.atleast_1d(r["group"])]
    close(res.table["rmst"], r["rmean"])
    close(res.table["se"], r["se"])


@pytest.mark.parametrize("name", FIXTURES)
def test_reverse_km_followup_matches_survfit(name):
    ref, data, kwargs = setup(name)
    r = ref["reverse_km"]
    if any(m is None for m in r["median"]):
        with pytest.warns(DegenerateDataWarning, match="reverse Kaplan-Meier median is not"):
            res = median_followup(data, group="grp", **kwargs)
    else:
        res = median_followup(data, group="grp", **kwargs)
    assert list(res.table["group"].astype(str)) == [str(g) for g in r["group"]]
    close(res.table["median"], r["median"])
    close(res.table["ci_low"], r["lower"])
    close(res.table["ci_high"], r["upper"])


def survdiff_cases():
    for name in MULTI:
        for i, t in enumerate(load_reference(f"survival/km_{name}.json")["survdiff"]):
            suffix = "-strata" if t["strata"] else ""
            yield pytest.param(name, i, id=f"{name}-rho{t['rho']}{suffix}")


@pytest.mark.parametrize(("name", "i"), list(survdiff_cases()))
def test_logrank_matches_survdiff(name, i):
    ref, data, kwargs = setup(name)
    r = ref["survdiff"][i]
    res = logrank_test(data, group="grp", rho=r["rho"], strata="strat" if r["strata"] else None,
                       **kwargs)
    assert res.df == r["df"]
    # atol: in km_exact with rho = 1, O = E exactly; R gets 0, the sums here leave 1e-32.
    assert_allclose(res.statistic, r["chisq"], rtol=RTOL, atol=1e-12)
    assert_allclose(res.pvalue, r["p"], rtol=RTOL)
    assert_allclose(res.observed, r["obs"], rtol=RTOL)
    assert_allclose(res.expected, r["exp"], rtol=RTOL)
    assert_allclose(res.variance, np.array(r["var"], dtype=float), rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize(("name", "i"), list(survdiff_cases()))
def test_trend_matches_scores_on_survdiff(name, i):
    ref, data, kwargs = setup(name)
    r = ref["trend"][i]
    res = logrank_trend(data, group="grp", rho=r["rho"],
                        strata="strat" if r["strata"] else None, **kwargs)
    assert res.scores == tuple(float(s) for s in r["scores"])
    # atol: U is exactly 0 in km_exact with rho = 1 (see test_logrank_matches_survdiff).
    assert_allclose([res.u, res.variance, res.statistic, res.pvalue],
                    [r["u"], r["var"], r["chisq"], r["p"]], rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("adjust", ["holm", "bonferroni", "BH"])
@pytest.mark.parametrize("name", ["colon", "veteran"])
def test_pairwise_logrank_matches_p_adjust(name, adjust):
    ref, data, kwargs = setup(name)
    r = ref["pairwise"]
    res = pairwise_logrank(data, group="grp", adjust=adjust, **kwargs)
    assert list(res.table["group1"].astype(str)) == r["group1"]
    assert list(res.table["group2"].astype(str)) == r["group2"]
    assert_allclose(res.table["statistic"], r["chisq"], rtol=RTOL)
    assert_allclose(res.table["pvalue"], r["p"], rtol=RTOL)
    assert_allclose(res.table["pvalue_adjusted"], r[adjust], rtol=RTOL)


def test_pairs_are_all_combinations():
    ref = load_reference("survival/km_veteran.json")
    pairs = list(itertools.combinations(ref["groups"], 2))
    assert pairs == list(zip(ref["pairwise"]["group1"], ref["pairwise"]["group2"], strict=True))

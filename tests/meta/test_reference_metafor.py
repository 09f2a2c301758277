"""oncostat against metafor 3.8-1 (``rma.mh``, ``rma.peto``, ``rma.uni``) on published and
constructed data sets.

Fixtures: ``tests/reference/meta/metafor_<data set>.json``, written by the R script beside each
(``Rscript tests/reference/meta/metafor_bcg.R``), with the input data in
``tests/reference/meta/data/<data set>.csv``. One test id per data set x measure x method x model
x tau² estimator x test (z or Hartung-Knapp).

Conventions bridged here: metafor reports I² (and its CI) in percent, oncostat as a fraction;
metafor's ``beta``, CIs and prediction intervals are on the log scale for OR and RR, oncostat's
``estimate``/``ci_*``/``pi_*`` on the ratio scale. oncostat runs with ``revman=False`` (the
metafor conventions: ``rma.mh`` pools the uncorrected tables, random-effects I² is τ²-based).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncostat.errors import DegenerateDataWarning
from oncostat.meta import meta_analysis
from tests.compare import Checks, as_float, check
from tests.conftest import REFERENCE, load_reference

# Zero cells and single studies warn; that warning has its own tests below (and in the lead's
# degenerate-input tests). Every other warning still fails the test (filterwarnings = error).
pytestmark = pytest.mark.filterwarnings("ignore::oncostat.errors.DegenerateDataWarning")

RATIO = {"OR", "RR"}
FIXTURES = sorted(p.stem for p in (REFERENCE / "meta").glob("metafor_*.json"))


def _cases() -> list:
    cases = []
    for stem in FIXTURES:
        ref = load_reference(f"meta/{stem}.json")
        for r in ref["results"]:
            cases.append(pytest.param(ref, r, id=f"{ref['dataset']}-{r['id']}"))
    return cases


CASES = _cases()
RANDOM_CASES = [c for c in CASES if c.values[1]["model"] == "random"]
CONFINT_CASES = [c for c in RANDOM_CASES if "tau2_ci_lb" in c.values[1]]


def read_data(ref: dict) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / ref["data"])


def run(ref: dict, r: dict):
    kwargs = {"measure": r["measure"], "method": r["method"], "model": r["model"],
              "revman": False}
    if r["model"] == "random":
        kwargs["tau2_method"] = r["tau2_method"]
        kwargs["hakn"] = r["test"] == "knha"
    return meta_analysis(read_data(ref), **kwargs)


def display(r: dict, x):
    """metafor's log-scale value on oncostat's display scale."""
    x = as_float(x)
    return np.exp(x) if r["measure"] in RATIO else x


@pytest.mark.parametrize(("ref", "r"), CASES)
def test_pooled_estimate(ref, r):
    res = run(ref, r)
    c = Checks()
    c(res.log_estimate, r["beta"], "log_estimate vs beta")
    c(res.estimate, display(r, r["beta"]), "estimate")
    c(res.se, r["se"], "se")
    c(res.ci_low, display(r, r["ci_lb"]), "ci_low")
    c(res.ci_high, display(r, r["ci_ub"]), "ci_high")
    c.done()


@pytest.mark.parametrize(("ref", "r"), CASES)
def test_test_statistic_and_pvalue(ref, r):
    res = run(ref, r)
    c = Checks()
    c(res.statistic, r["zval"], "statistic (z, or t under Hartung-Knapp)")
    c(res.pvalue, r["pval"], "pvalue")
    c.done()


@pytest.mark.parametrize(("ref", "r"), CASES)
def test_number_of_studies(ref, r):
    res = run(ref, r)
    if r["method"] == "IV":
        assert res.k == r["k"]
    else:
        # rma.mh / rma.peto count every table in k but only the studies with an estimable
        # yi (double-zero studies dropped) in Q; oncostat's df must match metafor's Q df.
        assert res.heterogeneity.df == r["k_yi"] - 1
        assert res.k in (r["k"], r["k_yi"])


@pytest.mark.parametrize(("ref", "r"), CASES)
def test_heterogeneity(ref, r):
    h = run(ref, r).heterogeneity
    c = Checks()
    c(h.q, r["QE"], "Q")
    c(h.df, r["k_yi"] - 1, "Q df")
    if h.df == 0:
        # Deliberate difference: with one study metafor prints p = 1, I² = 0, H² = 1;
        # oncostat reports heterogeneity as not applicable (NaN), as RevMan's "/" does.
        assert math.isnan(h.pvalue) and math.isnan(h.i2) and math.isnan(h.h2)
    else:
        c(h.pvalue, r["QEp"], "Q p-value")
        c(h.i2, as_float(r["I2"]) / 100, "I2 (metafor percent / 100)")
        c(h.h2, r["H2"], "H2")
    c.done()


@pytest.mark.parametrize(("ref", "r"), CASES)
def test_tau2(ref, r):
    tau2 = run(ref, r).heterogeneity.tau2
    if r["model"] == "fixed":
        # Deliberate difference: metafor stores tau2 = 0 for fixed-effect (and rma.mh /
        # rma.peto) models; oncostat reports NaN (not estimated), as RevMan shows no Tau².
        assert r["tau2"] == 0 and math.isnan(tau2)
    else:
        check(tau2, r["tau2"], "tau2")


@pytest.mark.parametrize(("ref", "r"), CASES)
def test_study_level_effects_and_weights(ref, r):
    data = read_data(ref)
    st = run(ref, r).studies
    assert list(st["study"].astype(str)) == list(data["study"].astype(str))
    yi, vi = as_float(r["yi"]), as_float(r["vi"])
    known = np.isfinite(yi)
    c = Checks()
    c(st["yi"].to_numpy(float)[known], yi[known], "study yi")
    c(st["vi"].to_numpy(float)[known], vi[known], "study vi")
    # weights(): percent; metafor gives 0 (MH, Peto) or NA (rma.uni) for a study left out.
    c(np.nan_to_num(st["weight"].to_numpy(float)), np.nan_to_num(as_float(r["weights"])),
      "weights (percent)")
    c.done()
    # A study metafor has no yi for (double zero in rma.mh / rma.peto) is not in Q; for the
    # M-H risk difference it still enters the pooling, so only its yi must be missing.
    for inc, y in zip(st["included"][~known], st["yi"][~known], strict=True):
        assert (not inc) or math.isnan(y) or (r["method"] == "MH" and r["measure"] == "RD")


@pytest.mark.parametrize(("ref", "r"), CASES)
def test_prediction_interval(ref, r):
    res = run(ref, r)
    if r["model"] == "fixed":
        assert math.isnan(res.pi_low) and math.isnan(res.pi_high)
    else:
        # predict.rma: mu +/- crit * sqrt(se^2 + tau2), crit from z or t_{k-1} (knha).
        c = Checks()
        c(res.pi_low, display(r, r["pi_lb"]), "pi_low")
        c(res.pi_high, display(r, r["pi_ub"]), "pi_high")
        c.done()


@pytest.mark.parametrize(("ref", "r"), CONFINT_CASES)
def test_tau2_and_i2_confidence_intervals_q_profile(ref, r):
    h = run(ref, r).heterogeneity
    c = Checks()
    c(h.tau2_ci_low, r["tau2_ci_lb"], "tau2 CI low (Q-profile)")
    c(h.tau2_ci_high, r["tau2_ci_ub"], "tau2 CI high (Q-profile)")
    c(h.i2_ci_low, as_float(r["I2_ci_lb"]) / 100, "I2 CI low")
    c(h.i2_ci_high, as_float(r["I2_ci_ub"]) / 100, "I2 CI high")
    c.done()


# --- named cases -------------------------------------------------------------------------------

def _case(dataset: str, rid: str) -> tuple[dict, dict]:
    ref = load_reference(f"meta/metafor_{dataset}.json")
    return ref, next(r for r in ref["results"] if r["id"] == rid)


def test_mantel_haenszel_or_matches_metafor_bcg():
    ref, r = _case("bcg", "MH-OR-fixed")
    res = run(ref, r)
    check(np.log(res.estimate), r["beta"], "log OR_MH")
    check(res.heterogeneity.i2, r["I2"] / 100, "I2")


def test_peto_matches_yusuf1985_table6():
    # Yusuf et al. 1985, table 6 (metafor's test_analysis_example_yusuf1985.r); the table has
    # three double-zero trials, which the Peto method leaves out.
    ref, r = _case("yusuf1985", "Peto-OR-fixed")
    res = run(ref, r)
    check(res.log_estimate, r["beta"], "log OR_Peto")
    check(res.se, r["se"], "se")
    check(res.heterogeneity.q, r["QE"], "Q")
    assert res.heterogeneity.df == r["k_yi"] - 1 == 17


def test_random_effects_reml_matches_metafor_bcg():
    ref, r = _case("bcg", "IV-OR-random-REML-z")
    res = run(ref, r)
    check(res.heterogeneity.tau2, r["tau2"], "tau2 REML")
    check(res.estimate, np.exp(r["beta"]), "OR")


@pytest.mark.parametrize("method", ["DL", "REML", "ML", "PM", "HE", "HS", "EB"])
@pytest.mark.parametrize("measure", ["OR", "RR", "RD"])
def test_homogeneous_studies_give_exactly_zero_tau2_and_i2(measure, method):
    # Q is far below its df, so each truncated estimator is exactly 0 (SJ is never 0).
    ref, r = _case("homogeneous", f"IV-{measure}-random-{method}-z")
    assert r["tau2"] == 0 and r["I2"] == 0
    h = run(ref, r).heterogeneity
    assert h.tau2 == 0.0
    assert h.i2 == 0.0
    assert h.tau2_ci_low == 0.0


def test_homogeneous_studies_mh_i2_is_zero():
    ref, r = _case("homogeneous", "MH-OR-fixed")
    h = run(ref, r).heterogeneity
    assert r["QE"] < r["k_yi"] - 1
    assert h.i2 == 0.0


@pytest.mark.parametrize("measure", ["OR", "RR", "RD"])
def test_zero_cells_warn(measure):
    ref, r = _case("zero_cells", f"IV-{measure}-fixed-z")
    with pytest.warns(DegenerateDataWarning):
        run(ref, r)


def test_single_study_random_effects_is_the_study():
    ref, r = _case("k1", "IV-OR-random-REML-z")
    res = run(ref, r)
    check(res.log_estimate, r["yi"][0], "k = 1 estimate is the study's yi")
    check(res.se, math.sqrt(r["vi"][0]), "k = 1 se is the study's se")
    assert res.heterogeneity.tau2 == 0.0


def test_fixture_inputs_exist():
    for stem in FIXTURES:
        ref = load_reference(f"meta/{stem}.json")
        assert Path(REFERENCE / ref["data"]).is_file()
        assert len(read_data(ref)) == ref["n_studies"]

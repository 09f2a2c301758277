"""Small-study tests and trim and fill against metafor 3.8-1 and R's ``lm``.

Fixtures: ``tests/reference/meta/small_study_<data set>.json``, written by the R script beside
each (``Rscript tests/reference/meta/small_study_bcg.R``; shared code in ``_small_study.R``),
input data in ``tests/reference/meta/data/ss_<data set>.csv``. Per analysis (data set x measure
x method x model x tau² estimator x test): ``regtest(res, model = "lm")`` (Egger 1997),
``regtest(res)`` (metafor's default mixed-effects version), ``ranktest(res)`` (Begg & Mazumdar
1994), Peters' test by hand with ``lm`` (log OR only) and ``trimfill(res)`` with L0 and R0.
metafor reports estimates on the log scale; so do the compared oncostat fields.
"""

from __future__ import annotations

import contextlib
import json
import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.meta import meta_analysis
from oncostat.meta.analysis import PooledEstimate
from oncostat.meta.small_study import (
    begg_test,
    egger_test,
    peters_test,
    small_study_effects,
    trim_and_fill,
)
from tests.conftest import REFERENCE, load_reference
from tests.tolerances import RTOL

# metafor's REML Fisher scoring reaches a tau² on the boundary by step-halving and stops within
# its threshold (1e-12) of 0, where oncostat returns exactly 0 (symmetric funnel, REML).
TAU2_ATOL = 1e-12

FIXTURES = sorted(p.stem for p in (REFERENCE / "meta").glob("small_study_*.json"))


def _cases() -> list:
    cases = []
    for stem in FIXTURES:
        for ds in load_reference(f"meta/{stem}.json")["datasets"]:
            for a in ds["analyses"]:
                tag = "-".join(str(x) for x in (ds["dataset"], a["measure"], a["method"],
                                                a["model"], a["tau2_method"] or "",
                                                "HK" if a["hakn"] else "z"))
                cases.append(pytest.param(ds["data"], a, id=tag.replace("--", "-")))
    return cases


CASES = _cases()


def analyse(data: pd.DataFrame, a: dict) -> PooledEstimate:
    """The fixture's analysis with metafor's conventions; zero cells warn as they should."""
    options = {"measure": a["measure"], "method": a["method"], "model": a["model"],
               "hakn": a["hakn"], "revman": False}
    if a["tau2_method"]:
        options["tau2_method"] = a["tau2_method"]
    if a["measure"] == "GEN":
        options["ratio"] = True
    zero = "events_treat" in data and bool(
        ((data[["events_treat", "events_ctrl"]] == 0).any(axis=1)
         | (data["events_treat"] == data["total_treat"])
         | (data["events_ctrl"] == data["total_ctrl"])).any())
    expect = (pytest.warns(DegenerateDataWarning, match="added to all cells") if zero
              else contextlib.nullcontext())
    with expect:
        return meta_analysis(data, **options)


def read(path: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / path)


def regression_values(res, keys: dict[str, str], ref: dict) -> None:
    for ours, theirs in keys.items():
        expected = ref[theirs]
        got = getattr(res, ours)
        if expected is None:
            assert math.isnan(got), ours
        else:
            assert_allclose(got, expected, rtol=RTOL, err_msg=ours)


LIMIT = {"limit_estimate": "limit_est", "limit_ci_low": "limit_ci_lb",
         "limit_ci_high": "limit_ci_ub"}


@pytest.mark.parametrize(("path", "a"), CASES)
def test_egger_lm_matches_metafor_regtest_lm(path, a):
    res = egger_test(analyse(read(path), a))
    regression_values(res, {"estimate": "bias", "se": "se", "ci_low": "ci_lb",
                             "ci_high": "ci_ub", "statistic": "t", "df": "df",
                             "pvalue": "pval", **LIMIT}, a["egger_lm"])
    assert res.k == a["k"]


@pytest.mark.parametrize(("path", "a"), CASES)
def test_egger_rma_matches_metafor_regtest_default(path, a):
    res = egger_test(analyse(read(path), a), model="rma")
    ref = a["egger_rma"]
    regression_values(res, {"estimate": "bias", "se": "se", "ci_low": "ci_lb",
                            "ci_high": "ci_ub", "statistic": "zval", "df": "df",
                            "pvalue": "pval", **LIMIT}, ref)
    if a["model"] == "random":
        assert_allclose(res.tau2, ref["tau2"], rtol=RTOL, atol=TAU2_ATOL)


@pytest.mark.parametrize(("path", "a"), CASES)
def test_begg_matches_metafor_ranktest(path, a):
    res = begg_test(analyse(read(path), a))
    assert_allclose(res.estimate, a["begg"]["tau"], rtol=RTOL)
    assert_allclose(res.pvalue, a["begg"]["pval"], rtol=RTOL)
    assert res.exact == a["begg"]["exact"]


@pytest.mark.parametrize(("path", "a"), [c for c in CASES if "peters" in c.values[1]])
def test_peters_matches_lm_by_hand(path, a):
    res = peters_test(analyse(read(path), a))
    regression_values(res, {"estimate": "slope", "se": "se", "ci_low": "ci_lb",
                            "ci_high": "ci_ub", "statistic": "t", "df": "df",
                            "pvalue": "pval", **LIMIT}, a["peters"])


@pytest.mark.parametrize("estimator", ["L0", "R0"])
@pytest.mark.parametrize(("path", "a"), CASES)
def test_trim_and_fill_matches_metafor_trimfill(path, a, estimator):
    ref = next(t for t in a["trimfill"] if t["estimator"] == estimator)
    res = trim_and_fill(analyse(read(path), a), estimator=estimator)
    assert (res.k0, res.side) == (ref["k0"], ref["side"])
    adj = res.adjusted
    assert adj.k == ref["k"]
    assert_allclose(res.se_k0, ref["se_k0"], rtol=RTOL)
    if estimator == "R0":
        assert_allclose(res.k0_pvalue, ref["p_k0"], rtol=RTOL)
    assert_allclose(adj.log_estimate, ref["beta"], rtol=RTOL)
    assert_allclose(adj.heterogeneity.q, ref["QE"], rtol=RTOL)
    tau2 = adj.heterogeneity.tau2 if a["model"] == "random" else 0.0
    assert_allclose(tau2, ref["tau2"], rtol=RTOL, atol=TAU2_ATOL)
    if not a["hakn"]:  # metafor's final refit drops test = "knha"; oncostat keeps it
        assert_allclose(adj.se, ref["se"], rtol=RTOL)
        assert_allclose(np.log([adj.ci_low, adj.ci_high]), [ref["ci_lb"], ref["ci_ub"]],
                        rtol=RTOL)
        assert_allclose(adj.pvalue, ref["pval"], rtol=RTOL)
    assert_allclose(res.filled["yi"], ref["filled_yi"], rtol=RTOL)
    assert_allclose(res.filled["vi"], ref["filled_vi"], rtol=RTOL)


def _hackshaw(model: str = "fixed") -> PooledEstimate:
    return meta_analysis(read("meta/data/ss_hackshaw1998.csv"), measure="GEN", ratio=True,
                         method="IV", model=model)


def test_trim_and_fill_matches_metafor_help_example_hackshaw1998():
    # ?trimfill: "7 studies missing on the left", estimate 0.1556 (log OR), fixed effect.
    res = trim_and_fill(_hackshaw())
    assert (res.k0, res.side) == (7, "left")
    assert f"{res.adjusted.log_estimate:.4f}" == "0.1556"
    assert f"{res.adjusted.estimate:.2f}" == "1.17"
    assert list(res.filled["study"]) == [f"Filled {i}" for i in range(1, 8)]
    assert res.to_frame()["filled"].sum() == 7


def test_symmetric_funnel_imputes_nothing():
    res = meta_analysis(read("meta/data/ss_symmetric.csv"), measure="GEN", method="IV")
    for estimator in ("L0", "R0"):
        tf = trim_and_fill(res, estimator=estimator)
        assert tf.k0 == 0
        assert tf.filled.empty
        assert tf.adjusted is res
        assert "0 studies imputed" in str(tf)


def test_side_can_be_forced():
    res = trim_and_fill(_hackshaw(), side="right")
    assert res.side == "right"
    assert (res.filled["yi"] > res.adjusted.log_estimate).all()


def test_egger_lm_equals_ols_of_standard_normal_deviate_on_precision():
    # Egger et al. (1997), p. 630: regress y/se on 1/se; naive OLS on several seeds.
    for seed in range(5):
        rng = np.random.default_rng(seed)
        k = int(rng.integers(5, 40))
        sei = rng.uniform(0.05, 0.8, k)
        yi = 0.2 + 0.8 * sei + rng.normal(0, sei)
        res = egger_test(meta_analysis(pd.DataFrame({"yi": yi, "sei": sei}), measure="GEN",
                                       method="IV"))
        X = np.column_stack([np.ones(k), 1 / sei])
        z = yi / sei
        beta = np.linalg.solve(X.T @ X, X.T @ z)
        s2 = np.sum((z - X @ beta) ** 2) / (k - 2)
        se = np.sqrt(s2 * np.linalg.inv(X.T @ X)[0, 0])
        assert_allclose([res.estimate, res.se, res.limit_estimate],
                        [beta[0], se, beta[1]], rtol=1e-10)


def _two_studies() -> PooledEstimate:
    return meta_analysis(read("meta/data/ss_bcg.csv").head(2), measure="OR", method="IV")


@pytest.mark.parametrize(("func", "name"), [
    (egger_test, "Egger's test"), (begg_test, "Begg's test"), (peters_test, "Peters' test"),
    (trim_and_fill, "Trim and fill")])
def test_fewer_than_three_studies_is_an_input_error(func, name):
    with pytest.raises(InputError, match=f"{name} needs at least 3 studies .*got k = 2"):
        func(_two_studies())


def test_peters_needs_binary_data():
    with pytest.raises(InputError, match="Peters' test needs binary data"):
        peters_test(_hackshaw())


def test_bad_options_are_input_errors():
    res = _hackshaw()
    with pytest.raises(InputError, match="model: expected 'lm' or 'rma'"):
        egger_test(res, model="glm")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="estimator: expected 'L0' or 'R0'"):
        trim_and_fill(res, estimator="Q0")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="side: expected 'left', 'right' or None"):
        trim_and_fill(res, side="up")  # type: ignore[arg-type]


def test_mantel_haenszel_is_refitted_by_inverse_variance_for_trim_and_fill():
    res = meta_analysis(read("meta/data/ss_bcg.csv"), measure="OR", method="MH")
    tf = trim_and_fill(res)
    assert tf.adjusted.method == "IV"
    assert tf.adjusted.measure == "OR"
    assert "MH analysis refitted by inverse variance" in tf.notes[0]


def test_small_study_effects_bundles_all_tests_for_binary_data():
    res = meta_analysis(read("meta/data/ss_bcg.csv"), measure="OR", method="IV",
                        model="random", tau2_method="REML")
    out = small_study_effects(res)
    assert out.skipped == {}
    assert out.egger is not None and out.begg is not None and out.peters is not None
    assert out.trim_and_fill is not None
    assert_allclose(out.egger.statistic, egger_test(res).statistic, rtol=RTOL)
    assert list(out.to_frame()["test"]) == ["Egger", "Begg", "Peters", "Trim and fill (L0)"]
    json.dumps(out.to_dict())
    assert "Egger's regression test" in str(out)


def test_small_study_effects_records_why_tests_were_skipped():
    out = small_study_effects(_hackshaw())
    assert out.peters is None
    assert "needs binary data" in out.skipped["Peters"]
    out = small_study_effects(_two_studies())
    assert (out.egger, out.begg, out.peters, out.trim_and_fill) == (None,) * 4
    assert set(out.skipped) == {"Egger", "Begg", "Peters", "Trim and fill"}
    assert all("at least 3 studies" in why for why in out.skipped.values())
    assert "Egger: not done" in str(out)
    json.dumps(out.to_dict())


def test_results_print_and_serialise():
    with pytest.warns(DegenerateDataWarning, match="0.5 added to all cells of 1 study"):
        res = meta_analysis(read("meta/data/ss_egger2001.csv"), measure="OR", method="IV",
                            model="random", tau2_method="DL")
    for result in (egger_test(res), egger_test(res, model="rma"), begg_test(res),
                   trim_and_fill(res, estimator="R0")):
        text = str(result)
        assert "(k = 16)" in text or "Trim and fill (R0)" in text
        json.dumps(result.to_dict())
        assert len(result.to_frame()) >= 1
    text = str(peters_test(res))
    assert "Peters' regression test" in text and "t(14)" in text
    assert "z = " in str(egger_test(res, model="rma"))

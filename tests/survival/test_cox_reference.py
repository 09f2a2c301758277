"""cox_ph and cox_zph against R's coxph / cox.zph (survival 3.5.3) on data sets survival ships.

Fixtures: tests/reference/survival/cox_<data>.R wrote cox_<data>.json and data/cox_<data>.csv.
R ran with coxph.control(eps = 1e-12, iter.max = 100); so does oncostat here.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from oncostat.errors import DegenerateDataWarning
from oncostat.survival.cox import CoxResult, cox_ph
from oncostat.survival.cox_zph import cox_zph
from tests.conftest import REFERENCE, load_reference
from tests.tolerances import RTOL

DATASETS = ["lung", "colon", "bladder", "rats", "veteran", "pbc"]
FITS = [(name, fit["id"]) for name in DATASETS
        for fit in load_reference(f"survival/cox_{name}.json")["fits"]]


def _reference(name: str, fit_id: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    ref = load_reference(f"survival/cox_{name}.json")
    fit = next(f for f in ref["fits"] if f["id"] == fit_id)
    data = pd.read_csv(REFERENCE / ref["data"])
    if fit.get("subset") == "etype == 2":
        data = data[data["etype"] == 2]
    return data, fit


def _fit(data: pd.DataFrame, fit: dict[str, Any]) -> CoxResult:
    s = fit["spec"]
    warn = (pytest.warns(DegenerateDataWarning, match=f"{fit['n_omitted']} rows? with missing")
            if fit["n_omitted"] else contextlib.nullcontext())
    with warn:
        return cox_ph(data, time=s["time"], event=s["event"], covariates=s["covariates"],
                      strata=s["strata"] or None, cluster=s["cluster"], robust=s["robust"],
                      ties=s["ties"], reference=s["reference"] or None, eps=1e-12,
                      max_iter=100)


@pytest.fixture(scope="module", params=FITS, ids=[f"{a}-{b}" for a, b in FITS])
def case(request: pytest.FixtureRequest) -> tuple[CoxResult, dict[str, Any]]:
    data, fit = _reference(*request.param)
    return _fit(data, fit), fit


def test_counts_and_names(case: tuple[CoxResult, dict[str, Any]]) -> None:
    res, ref = case
    assert list(res.columns) == ref["columns"]
    assert (res.n, res.n_events, res.n_omitted) == (ref["n"], ref["nevent"], ref["n_omitted"])


def test_coefficients_match_r(case: tuple[CoxResult, dict[str, Any]]) -> None:
    res, ref = case
    tab = res.to_frame()
    for col in ["coef", "se", "hr", "hr_ci_low", "hr_ci_high", "z", "p"]:
        assert_allclose(tab[col], ref[col], rtol=RTOL, err_msg=col)
    if ref["robust_se"] is not None:
        assert_allclose(tab["robust_se"], ref["robust_se"], rtol=RTOL)
    else:
        assert "robust_se" not in tab


def test_likelihood_and_tests_match_r(case: tuple[CoxResult, dict[str, Any]]) -> None:
    res, ref = case
    assert_allclose([res.loglik_null, res.loglik], [ref["loglik_null"], ref["loglik"]],
                    rtol=RTOL)
    for name in ["lr_test", "wald_test", "score_test", "robust_score_test"]:
        ours, theirs = getattr(res, name), ref[name]
        if theirs is None:
            assert ours is None
            continue
        assert ours.df == theirs["df"]
        assert_allclose([ours.statistic, ours.pvalue], [theirs["statistic"], theirs["p"]],
                        rtol=RTOL, err_msg=name)


def test_zph_matches_r(case: tuple[CoxResult, dict[str, Any]]) -> None:
    res, ref = case
    tab = cox_zph(res).table
    assert list(tab["term"]) == ref["zph"]["term"]
    assert list(tab["df"]) == ref["zph"]["df"]
    assert_allclose(tab["chisq"], ref["zph"]["chisq"], rtol=RTOL)
    assert_allclose(tab["p"], ref["zph"]["p"], rtol=RTOL)


def test_to_dict_shape(case: tuple[CoxResult, dict[str, Any]]) -> None:
    res, ref = case
    out = res.to_dict()
    assert out["ties"] == ref["spec"]["ties"]
    assert [t["term"] for t in out["terms"]] == ref["columns"]
    keys = {"term", "coef", "se", "hr", "hr_ci_low", "hr_ci_high", "z", "p"}
    assert set(out["terms"][0]) == keys | ({"robust_se"} if res.robust else set())
    assert set(out["lr_test"]) == {"statistic", "df", "p"}


def test_veteran_karno_violates_ph_as_in_r() -> None:
    data, fit = _reference("veteran", "efron")
    zph = _fit(data, fit).zph()
    row = zph.table.set_index("term").loc["karno"]
    assert row["p"] < 0.001
    assert "karno" in str(zph) and "GLOBAL" in str(zph)


def test_zph_other_transforms_run() -> None:
    data, fit = _reference("lung", "efron-strata")
    res = _fit(data, fit)
    for transform in ("rank", "identity", "log"):
        tab = res.zph(transform).table
        assert np.isfinite(tab["chisq"]).all()

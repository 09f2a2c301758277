"""Balance diagnostics against MatchIt's summary() (tests/reference/matching/balance_matchit.R)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from oncostat.errors import InputError
from oncostat.matching.balance import balance, balance_table
from tests.conftest import REFERENCE, load_reference
from tests.tolerances import RTOL

REF = load_reference("matching/balance_matchit.json")
STATS = ("mean_a", "mean_b", "smd", "var_ratio", "ecdf_mean", "ecdf_max")
# Differences that are exactly 0 in R (a matched mean difference of 0) come out as ~1e-16
# here because the sums run in another order; they are compared with this absolute tolerance.
ATOL_ZERO = 1e-12


@pytest.fixture
def cohort() -> pd.DataFrame:
    d = pd.read_csv(REFERENCE / "matching" / "data" / "balance_cohort.csv")
    d["ecog"] = d["ecog"].astype(str)
    return d


@pytest.fixture
def result(cohort: pd.DataFrame):
    matched = cohort[cohort["weights"] > 0]
    return balance(cohort, matched, treatment="treat", focal=1, weights_after="weights",
                   covariates=["ps", "age", "bmi", "male", "ecog", "size"])


def _ref(sample: str) -> np.ndarray:
    r = REF[sample]
    cols = ["mean_treated", "mean_control", "smd", "var_ratio", "ecdf_mean", "ecdf_max"]
    return np.array([[np.nan if v is None else v for v in r[c]] for c in cols], dtype=float).T


@pytest.mark.parametrize("sample", ["before", "after"])
def test_balance_matches_matchit_summary(result, sample: str) -> None:
    # MatchIt's rows: distance (our "ps", the logit MatchIt matched on), age, bmi, male,
    # ecog0..2, size. ATT: SMDs use the SD of the treated arm before matching, also after it.
    assert result.table["term"].tolist() == ["ps", "age", "bmi", "male", "ecog[0]", "ecog[1]",
                                             "ecog[2]", "size"]
    ours = result.table[[f"{s}_{sample}" for s in STATS]].to_numpy(dtype=float)
    assert_allclose(ours, _ref(sample), rtol=RTOL, atol=ATOL_ZERO)


def test_binary_smd_uses_treated_p_q_without_n_minus_1(cohort: pd.DataFrame, result) -> None:
    # MatchIt standardises binary variables too, by sqrt(p (1 - p)) of the treated arm.
    t = cohort[cohort.treat == 1]["male"]
    c = cohort[cohort.treat == 0]["male"]
    p = t.mean()
    row = result.table.set_index("term").loc["male"]
    assert_allclose(row["smd_before"], (p - c.mean()) / np.sqrt(p * (1 - p)), rtol=RTOL)
    assert np.isnan(row["var_ratio_before"])


def test_caliper_dropped_treated_but_denominator_is_before_matching(cohort, result) -> None:
    sizes = result.sizes
    assert sizes.loc[1, "n_before"] == 69 and sizes.loc[1, "n_after"] == 62   # 7 outside caliper
    nn = dict(zip(REF["nn_names"][0], REF["n"], strict=True))
    assert_allclose(sizes.loc[0, "ess_after"], nn["Matched (ESS)"][0], rtol=RTOL)
    age = cohort.loc[cohort.treat == 1, "age"]
    row = result.table.set_index("term").loc["age"]
    assert_allclose(row["smd_after"] * age.std(),
                    row["mean_a_after"] - row["mean_b_after"], rtol=RTOL)


@pytest.mark.parametrize("kind", ["focal", "pooled"])
def test_three_arms_every_pair_as_matchit_bal1var(kind: str) -> None:
    d = pd.read_csv(REFERENCE / "matching" / "data" / "balance_three.csv")
    res = balance(d, d, treatment="arm", focal="A", covariates=["age", "male", "size"],
                  weights_after="weights", sd="treated" if kind == "focal" else "pooled")
    ref = REF["three"][kind]
    assert [(r["arm_a"], r["arm_b"], r["term"]) for r in ref] == list(
        zip(res.table.arm_a, res.table.arm_b, res.table.term, strict=True))
    for sample in ("before", "after"):
        want = np.array([[np.nan if v is None else v for v in r[sample]] for r in ref], float)
        got = res.table[[f"{s}_{sample}" for s in STATS]].to_numpy(dtype=float)
        assert_allclose(got, want, rtol=RTOL)
    assert res.pairs == [("A", "B"), ("A", "C"), ("B", "C")]


def test_before_only_and_ate_default_pooled(cohort: pd.DataFrame) -> None:
    res = balance(cohort, treatment="treat", covariates=["age"], estimand="ATE")
    assert res.sd == "pooled" and not res.matched
    assert np.isnan(res.table["smd_after"]).all()
    t, c = cohort[cohort.treat == 1]["age"], cohort[cohort.treat == 0]["age"]
    assert_allclose(res.table["smd_before"].iloc[0],
                    (t.mean() - c.mean()) / np.sqrt((t.var() + c.var()) / 2), rtol=RTOL)
    assert res.focal == 1   # arms 0/1: 1 is treated


def test_str_dict_and_threshold(result) -> None:
    text = str(result)
    assert text.startswith("Covariate balance, ATT (SD of 1 before matching)")
    assert "Patients: 1 69 -> 62, 0 251 -> 94" in text
    out = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert len(out["rows"]) == 8 and out["sizes"][0]["arm"] == 1
    assert result.max_abs_smd("before") > result.max_abs_smd("after")
    assert set(result.imbalanced(0.1, "after")["term"]) <= set(result.table["term"])


def test_balance_table_adapter_reads_a_match_result(cohort: pd.DataFrame) -> None:
    class _Match:  # the attributes MatchResult provides
        data = cohort
        matched = cohort[cohort.weights > 0].rename(columns={"weights": "weight"})
        treatment, focal, estimand = "treat", 1, "ATT"
        covariates = ("age", "bmi")

    res = balance_table(_Match())
    direct = balance(cohort, cohort[cohort.weights > 0], treatment="treat", focal=1,
                     covariates=["age", "bmi"], weights_after="weights")
    pd.testing.assert_frame_equal(res.table, direct.table)


def test_bad_input(cohort: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="column 'treat' has 1 arm"):
        balance(cohort[cohort.treat == 1], treatment="treat", covariates=["age"])
    with pytest.raises(InputError, match="'nope' not found"):
        balance(cohort, treatment="treat", covariates=["nope"])
    d = cohort.copy()
    d.loc[9, "age"] = np.nan
    with pytest.raises(InputError, match="column 'age', row 10"):
        balance(d, treatment="treat", covariates=["age"])
    with pytest.raises(InputError, match="focal: 'x' is not an arm"):
        balance(cohort, treatment="treat", covariates=["age"], focal="x")
    three = cohort.assign(arm=np.where(cohort.index % 3 == 0, "c", cohort.treat.astype(str)))
    with pytest.raises(InputError, match="focal: name the treated arm"):
        balance(three, treatment="arm", covariates=["age"])
    with pytest.raises(InputError, match="column 'weights', row 1"):
        balance(cohort, cohort.assign(weights=-1.0), treatment="treat", covariates=["age"],
                weights_after="weights")

"""The Table 1 tests against base R (tests/reference/cohort/table1_tests.R)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import special

from oncostat.cohort import tests as T
from oncostat.errors import InputError
from tests.conftest import REFERENCE, load_reference
from tests.tolerances import RTOL

REF = load_reference("cohort/table1_tests.json")


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "cohort" / "data" / f"sim_{name}.csv")


def _check(res: T.TestResult, ref: dict, *, statistic: bool = True) -> None:
    assert_allclose(res.pvalue, ref["p"], rtol=RTOL)
    if statistic:
        assert_allclose(res.statistic, ref["statistic"], rtol=RTOL)
    assert res.method == ref["method"].strip()


@pytest.mark.parametrize("dataset", ["small", "large"])
@pytest.mark.parametrize("variable", ["age", "bmi", "size"])
def test_two_arm_continuous_tests_match_r(dataset: str, variable: str) -> None:
    d = _data(dataset)
    x, y = d.loc[d.arm == "A", variable].to_numpy(), d.loc[d.arm == "B", variable].to_numpy()
    ref = REF[dataset][variable]
    _check(T.student_t(x, y), ref["student"])
    _check(T.welch_t(x, y), ref["welch"])
    assert_allclose(T.welch_t(x, y).df, ref["welch"]["df"], rtol=RTOL)
    _check(T.wilcoxon(x, y), ref["wilcoxon"])
    _check(T.kruskal([x, y]), ref["kruskal"])
    res = T.anova([x, y])
    assert_allclose([res.statistic, res.pvalue], [ref["anova"]["statistic"], ref["anova"]["p"]],
                    rtol=RTOL)
    assert_allclose([res.df, res.df2], ref["anova"]["df"], rtol=RTOL)


def test_wilcoxon_uses_r_rules_for_exact_and_approximate() -> None:
    # small, no ties -> exact; small with ties (bmi) and n >= 50 (large) -> normal approximation
    assert REF["small"]["age"]["wilcoxon"]["method"] == "Wilcoxon rank sum exact test"
    assert "continuity" in REF["small"]["bmi"]["wilcoxon"]["method"]
    assert "continuity" in REF["large"]["age"]["wilcoxon"]["method"]
    res = T.wilcoxon([1.5, 2.5, 3.5, 4.5, 10], [6, 7, 8, 9, 11, 12])
    _check(res, REF["exact_small"])


@pytest.mark.parametrize("variable", ["age", "bmi", "size"])
def test_three_arm_continuous_tests_match_r(variable: str) -> None:
    d = _data("three")
    groups = [d.loc[d.arm == a, variable].to_numpy() for a in "ABC"]
    ref = REF["three"][variable]
    _check(T.anova(groups), ref["anova"])
    res = T.welch_anova(groups)
    _check(res, ref["welch"])
    assert_allclose([res.df, res.df2], ref["welch"]["df"], rtol=RTOL)
    _check(T.kruskal(groups), ref["kruskal"])


@pytest.mark.parametrize(("dataset", "variable"),
                         list(itertools.product(["small", "large"], ["sex", "ecog", "stage"])))
def test_two_arm_categorical_tests_match_r(dataset: str, variable: str) -> None:
    ref = REF[dataset][variable]
    table = np.array(ref["table"])
    _check(T.chisq(table), ref["chisq"])
    _check(T.chisq(table, correct=True), ref["chisq_yates"])
    _check(T.fisher(table), ref["fisher"], statistic=False)


@pytest.mark.parametrize("variable", ["sex", "ecog", "stage"])
def test_three_arm_categorical_tests_match_r(variable: str) -> None:
    d = _data("three")
    table = pd.crosstab(d[variable], d["arm"]).to_numpy()
    ref = REF["three"][variable]
    _check(T.chisq(table), ref["chisq"])
    _check(T.fisher(table), ref["fisher"], statistic=False)


def test_fisher_freeman_halton_5x3_matches_r() -> None:
    ref = REF["wide"]
    _check(T.fisher(np.array(ref["table"])), ref["fisher"], statistic=False)
    _check(T.chisq(np.array(ref["table"])), ref["chisq"])


def test_seed_table1_chemotherapy_before_surgery_p009() -> None:
    # Seed study, Table 1, "Chemotherapy before surgery": the paper prints p = 0.09.
    # Pearson's chi-squared without continuity correction (SPSS's default) gives 0.0878 -> 0.09;
    # the Fisher-Freeman-Halton exact test gives 0.0964 -> 0.10.
    ref = REF["seed_chemo"]
    table = np.array(ref["table"])
    chi = T.chisq(table)
    _check(chi, ref["chisq"])
    assert f"{chi.pvalue:.2f}" == "0.09"
    exact = T.fisher(table)
    _check(exact, ref["fisher"], statistic=False)
    assert f"{exact.pvalue:.2f}" == "0.10"


def _fisher_naive(table: np.ndarray) -> float:
    """Every table with the observed margins, by brute force (hypergeometric probabilities)."""
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    n = table.sum()

    def logp(t: np.ndarray) -> float:
        return float(special.gammaln(rows + 1).sum() + special.gammaln(cols + 1).sum()
                     - special.gammaln(n + 1) - special.gammaln(t + 1).sum())

    def tables(r: list[int], c: list[int]):
        if len(r) == 1:
            yield np.array([c])
            return
        for first in itertools.product(*(range(min(r[0], cj) + 1) for cj in c)):
            if sum(first) == r[0]:
                rest = [cj - f for cj, f in zip(c, first, strict=True)]
                for sub in tables(r[1:], rest):
                    yield np.vstack([first, sub])

    obs = logp(table)
    total = 0.0
    for t in tables(list(rows), list(cols)):
        lp = logp(t)
        if lp <= obs + math.log1p(1e-7):
            total += math.exp(lp)
    return total


@pytest.mark.parametrize("seed", range(6))
def test_fisher_network_meets_naive_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = [(2, 2), (2, 3), (3, 3), (3, 2), (4, 2), (2, 4)][seed]
    table = rng.integers(0, 6, size=shape)
    table[0, 0] += 1
    table[-1, -1] += 1
    assert_allclose(T.fisher(table).pvalue, _fisher_naive(table), rtol=1e-10)


def test_fisher_too_large_table_says_what_to_do() -> None:
    table = np.full((6, 7), 40)
    with pytest.raises(InputError, match="use the chi-squared test"):
        T.fisher(table)


def test_wilcoxon_exact_distribution_meets_enumeration() -> None:
    # P(W <= w) by listing every subset of ranks for m = 4, n = 5.
    m, n = 4, 5
    ws = [sum(c) - m * (m + 1) // 2 for c in itertools.combinations(range(1, m + n + 1), m)]
    for w in range(m * n + 1):
        assert_allclose(T._wilcoxon_cdf(w, m, n), np.mean(np.array(ws) <= w), rtol=1e-12)

"""match(): the whole pipeline against MatchIt, matched sets, weights, multi-arm matching,
optimal matching and bad input."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.matching import match, nearest, nearest_neighbour, optimal_match
from tests.conftest import REFERENCE, load_reference
from tests.tolerances import RTOL

REF = load_reference("matching/nearest_matchit.json")
COVS = ["age", "albumin", "sex", "stage"]


def cohort(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "matching" / "data" / f"{name}.csv")


PIPELINE = [r for r in REF["runs"]
            if r["engine"] == "matrix" and r["cohort"] in ("sim120", "sim400", "sim2000")]


def _quiet(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        return match(**kwargs)


@pytest.mark.parametrize("run", PIPELINE, ids=lambda r: (
    f"{r['cohort']}-{r['link']}-cal{r['caliper']}-1to{r['ratio']}-{r['order']}-"
    f"{'repl' if r['replace'] else 'norepl'}-{r['exact']}"))
def test_match_pipeline_identical_to_matchit(run):
    d = cohort(run["cohort"])
    m = _quiet(data=d, treatment="treat", focal=1, covariates=COVS, ratio=run["ratio"],
               caliper=run["caliper"], caliper_scale="ps" if run["link"] == "logit" else "logit",
               order=run["order"], replace=run["replace"],
               exact=[run["exact"]] if run["exact"] else None)
    if run["caliper"] is not None:
        assert_allclose(m.caliper["absolute"], run["caliper_abs"], rtol=RTOL)
    # MatchIt's pairs, as ids.
    ids = d["id"].to_numpy()
    ref = {ids[t - 1]: sorted(ids[c - 1] for c in np.atleast_1d(cs) if c > 0)
           for t, cs in zip(run["treated_rows"], run["match_matrix"], strict=True)}
    ref = {t: cs for t, cs in ref.items() if cs}
    ours = {s["focal"]: sorted(s["matches"]["0"]) for s in m.sets_list()}
    assert ours == ref
    # MatchIt's weights: summed over a patient's rows.
    w = m.matched.groupby("id")["weight"].sum().reindex(ids, fill_value=0.0)
    assert_allclose(w.to_numpy(), run["weights"], rtol=RTOL)


def test_matched_data_ready_for_survival():
    m = _quiet(data=cohort("sim400"), treatment="treat", focal=1, covariates=COVS, ratio=2)
    out = m.matched
    assert {"set_id", "weight", "ps", "logit"} <= set(out.columns)
    assert out.groupby("set_id")["treat"].sum().eq(1).all()
    assert m.n_matched["1"] == out["set_id"].nunique() == len(m.sets_list())
    assert m.to_frame()["n_before"].tolist() == [m.n_before["1"], m.n_before["0"]]
    assert "Greedy nearest-neighbour matching 1:2" in str(m)
    d = m.to_dict()
    assert d["caliper"]["scale"] == "logit" and d["ps_model"]["terms"][0]["term"] == "(Intercept)"


def _naive(dist, treated, ratio, caliper, order, strata):
    """Sequential greedy loop, MatchIt's rules written out plainly."""
    srt = np.lexsort((dist, strata))
    pos = np.empty_like(srt)
    pos[srt] = np.arange(dist.size)
    t = np.flatnonzero(treated)
    served = {"largest": np.argsort(-dist[t], kind="stable"),
              "smallest": np.argsort(dist[t], kind="stable"), "data": np.arange(t.size)}[order]
    free = ~treated
    mm = np.full((t.size, ratio), -1)
    for r, i in itertools.product(range(ratio), served):
        side = []
        for step in (-1, 1):
            k = pos[t[i]] + step
            while 0 <= k < dist.size and (treated[srt[k]] or not free[srt[k]]):
                k += step
            ok = (0 <= k < dist.size and strata[srt[k]] == strata[t[i]]
                  and abs(dist[srt[k]] - dist[t[i]]) <= caliper)
            side.append(srt[k] if ok else None)
        left, right = side
        if left is not None and (right is None or
                                 abs(dist[left] - dist[t[i]]) <= abs(dist[right] - dist[t[i]])):
            pick = left
        else:
            pick = right
        if pick is not None:
            mm[i, r] = pick
            free[pick] = False
    return mm


@pytest.mark.parametrize("seed", range(6))
def test_nearest_meets_naive_loop(seed):
    rng = np.random.default_rng(seed)
    n = 400
    dist = np.round(rng.normal(size=n), 2)          # rounded: many exact ties
    treated = rng.random(n) < [0.2, 0.4, 0.6][seed % 3]
    # Exact-matching strata; stratum 3 has treated patients only.
    strata = rng.integers(0, 3, n)
    strata[treated & (rng.random(n) < 0.1)] = 3
    for ratio, cal, order, exact in itertools.product(
            [1, 2], [np.inf, 0.05], ["largest", "smallest", "data"], [False, True]):
        s = strata if exact else np.zeros(n, dtype=int)
        got = nearest_neighbour(dist, treated, ratio=ratio, order=order,
                                caliper=None if cal == np.inf else cal,
                                strata=s if exact else None)
        np.testing.assert_array_equal(got, _naive(dist, treated, ratio, cal, order, s))


def test_fast_stable_sort_keeps_ties_and_nans_in_row_order():
    rng = np.random.default_rng(7)
    for _ in range(200):
        x = np.round(rng.normal(size=rng.integers(1, 300)), rng.integers(0, 3))
        x[rng.random(x.size) < 0.1] = np.nan
        x[rng.random(x.size) < 0.1] = -0.0
        np.testing.assert_array_equal(nearest._stable_argsort(x), np.argsort(x, kind="stable"))


def test_random_order_is_reproducible():
    d = cohort("sim400")
    a = _quiet(data=d, treatment="treat", focal=1, covariates=COVS, order="random", seed=3)
    b = _quiet(data=d, treatment="treat", focal=1, covariates=COVS, order="random", seed=3)
    assert a.sets.equals(b.sets)


def test_optimal_minimises_total_distance_by_brute_force():
    rng = np.random.default_rng(2)
    dist = rng.normal(size=9)
    treated = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
    mm = optimal_match(dist, treated, ratio=2)
    total = np.abs(dist[:3, None] - dist[mm]).sum()
    best = min(np.abs(np.repeat(dist[:3], 2) - dist[list(p)]).sum()
               for p in itertools.permutations(range(3, 9), 6))
    assert_allclose(total, best, rtol=1e-12)
    greedy = nearest_neighbour(dist, treated, ratio=2)
    assert total <= np.abs(dist[:3, None] - dist[greedy]).sum() + 1e-12


def test_three_arms_pairwise_sets_share_the_focal_patient():
    d = _three_arms()
    m = _quiet(data=d, treatment="arm", focal="HIFU", covariates=["age", "sex"],
               ratio={"BSC": 2, "PC": 2})
    for arm in ("BSC", "PC"):
        two = _quiet(data=d[d["arm"].isin(["HIFU", arm])], treatment="arm", focal="HIFU",
                     covariates=["age", "sex"], ratio=2)
        pairs = {s["focal"]: s["matches"][arm] for s in two.sets_list()}
        for s in m.sets_list():
            assert s["matches"][arm] == pairs[s["focal"]]
    # Complete sets only (one or more matches from every arm).
    assert all(s["matches"]["BSC"] and s["matches"]["PC"] for s in m.sets_list())
    assert len(m.unmatched_focal) + len(m.sets_list()) == m.n_before["HIFU"]
    kept = _quiet(data=d, treatment="arm", focal="HIFU", covariates=["age", "sex"],
                  ratio={"BSC": 2, "PC": 2}, keep_incomplete=True)
    assert len(kept.sets_list()) == len(m.sets_list()) + kept.n_incomplete


def test_vector_matching_sets():
    d = _three_arms()
    m = _quiet(data=d, treatment="arm", focal="HIFU", covariates=["age", "sex"],
               ratio={"BSC": 1, "PC": 1}, method="vector", caliper=0.25, seed=1)
    assert m.replace and set(m.ps_models) == {"all"}
    assert m.ps_models["all"].multinomial
    sets = m.sets_list()
    assert sets and all(len(s["matches"]["BSC"]) == 1 and len(s["matches"]["PC"]) == 1
                        for s in sets)


def _three_arms() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 400
    age = rng.normal(62, 10, n)
    sex = rng.choice(["F", "M"], n)
    p_hifu = 1 / (1 + np.exp(-(-1.5 + 0.03 * (age - 62))))
    arm = np.where(rng.random(n) < p_hifu, "HIFU", rng.choice(["BSC", "PC"], n))
    return pd.DataFrame({"id": [f"P{i:03d}" for i in range(n)], "arm": arm, "age": age,
                         "sex": sex})


def test_nobody_within_the_caliper_warns_and_returns_empty_sets():
    d = pd.DataFrame({"treat": [1, 1, 0, 0, 0, 1, 0], "x": [1.0, 3.0, 2.0, 5.0, 0.5, 4.0, 6.0]})
    with pytest.warns(DegenerateDataWarning, match="no focal patient has a match"):
        m = match(d, treatment="treat", focal=1, covariates=["x"], caliper=1e-6)
    assert m.matched.empty and m.n_matched == {"1": 0, "0": 0}
    assert m.unmatched_focal == (1, 2, 6)


def test_ratio_that_cannot_be_met_warns():
    d = cohort("sim120")
    with pytest.warns(DegenerateDataWarning, match="not every focal patient can get 3"):
        match(d, treatment="treat", focal=1, covariates=COVS, ratio=3, caliper=None)


def test_arm_in_ratio_without_patients():
    d = _three_arms()
    with pytest.raises(InputError, match="ratio: arm 'PC' has no patients"):
        match(d[d["arm"] != "PC"], treatment="arm", focal="HIFU", covariates=["age"],
              ratio={"BSC": 2, "PC": 2})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"ratio": 0}, "ratio: expected a whole number >= 1"),
    ({"caliper": -1}, "caliper: expected a number > 0"),
    ({"order": "closest"}, "order: expected one of"),
    ({"method": "vector"}, "method 'vector' is for three or more arms"),
    ({"method": "optimal", "replace": True}, "matches without replacement"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(InputError, match=message):
        match(cohort("sim120"), treatment="treat", focal=1, covariates=COVS, **kwargs)


def test_duplicate_ids_are_an_error():
    d = cohort("sim120")
    d.loc[3, "id"] = "P0001"
    with pytest.raises(InputError, match="column 'id', row 4: patient id 'P0001' appears more"):
        match(d, treatment="treat", focal=1, covariates=COVS)

"""Optimal matching against the optimum found by R's lpSolve (tests/reference/matching/).

optmatch (MatchIt's ``method = "optimal"``) cannot be installed on the build machines, so
``optimal_lpsolve.R`` solves the same problem, the smallest total distance, as a
transportation problem. Optimal matchings are often not unique (on one dimension many
assignments share the minimum), so the number of pairs and the total distance are compared.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from oncostat.matching import optimal_match
from tests.conftest import REFERENCE, load_reference

REF = load_reference("matching/optimal_lpsolve.json")


def run_id(run: dict) -> str:
    return (f"{run['cohort']}-1to{run['ratio']}-cal{run['caliper']}-"
            f"{run['exact'] or 'noexact'}")


@pytest.mark.parametrize("run", REF["runs"], ids=[run_id(r) for r in REF["runs"]])
def test_optimal_total_distance_equals_lpsolve(run):
    data = pd.read_csv(REFERENCE / "matching" / "data" / f"{run['cohort']}.csv")
    dist = np.array([float(v) for v in REF["distances"][run["cohort"]]])
    treated = data["treat"].to_numpy() == 1
    strata = pd.factorize(data[run["exact"]])[0] if run["exact"] else None
    cal = None if run["caliper_abs"] is None else float(run["caliper_abs"])
    mm = optimal_match(dist, treated, ratio=run["ratio"], caliper=cal, strata=strata)
    got = mm >= 0
    t = np.repeat(np.flatnonzero(treated)[:, None], run["ratio"], axis=1)[got]
    gaps = np.abs(dist[t] - dist[mm[got]])
    assert got.sum() == run["pairs"]
    assert np.unique(mm[got]).size == got.sum()               # no control used twice
    if cal is not None:
        assert gaps.max() <= cal
    if strata is not None:
        assert np.array_equal(strata[t], strata[mm[got]])
    assert_allclose(gaps.sum(), float(run["total"]), rtol=1e-12, atol=1e-12)

"""cox_ph: a naive implementation on random data with ties, bad and degenerate input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from oncostat.errors import ConvergenceError, DegenerateDataWarning, InputError
from oncostat.survival import cox
from oncostat.survival.cox import cox_ph
from tests.tolerances import RTOL


def _naive(time, status, x, strata, beta, ties):
    """Log partial likelihood, score and information by loops over death times (Efron/Breslow)."""
    loglik, p = 0.0, x.shape[1]
    score, info = np.zeros(p), np.zeros((p, p))
    r = np.exp(x @ beta)
    for s in np.unique(strata):
        ins = strata == s
        for t in np.unique(time[ins & (status == 1)]):
            risk = ins & (time >= t)
            dead = ins & (time == t) & (status == 1)
            d = int(dead.sum())
            score += x[dead].sum(axis=0)
            loglik += (x[dead] @ beta).sum()
            for ell in range(d):
                f = ell / d if ties == "efron" else 0.0
                w = r * (risk - f * dead)
                s0 = w.sum()
                s1 = w @ x
                s2 = (x * w[:, None]).T @ x
                loglik -= np.log(s0)
                score -= s1 / s0
                info += s2 / s0 - np.outer(s1, s1) / s0**2
    return loglik, score, info


def _random(seed: int, n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"a": rng.standard_normal(n), "b": rng.integers(0, 2, n).astype(float),
                      "c": rng.uniform(0, 3, n), "g": rng.integers(0, 3, n)})
    d["time"] = rng.integers(1, 15, n).astype(float)  # many ties
    d["event"] = (rng.uniform(size=n) < 0.7).astype(int)
    return d


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("stratified", [False, True])
def test_matches_naive_implementation(seed: int, ties: str, stratified: bool) -> None:
    d = _random(seed)
    res = cox_ph(d, time="time", event="event", covariates=["a", "b", "c"], ties=ties,
                 strata="g" if stratified else None, eps=1e-12, max_iter=100)
    x = d[["a", "b", "c"]].to_numpy()
    strata = d["g"].to_numpy() if stratified else np.zeros(len(d))
    args = (d["time"].to_numpy(), d["event"].to_numpy(), x, strata)
    ll, u, info = _naive(*args, res.coef, ties)
    assert_allclose(res.loglik, ll, rtol=RTOL)
    # The score at the converged estimate is zero up to the fit's stopping rule (eps=1e-12
    # on the log-likelihood), so it can only be compared absolutely.
    assert_allclose(u, 0, atol=1e-8)
    assert_allclose(res.naive_var, np.linalg.inv(info), rtol=RTOL)
    ll0, u0, info0 = _naive(*args, np.zeros(3), ties)
    assert_allclose(res.loglik_null, ll0, rtol=RTOL)
    assert_allclose(res.score_test.statistic, u0 @ np.linalg.solve(info0, u0), rtol=RTOL)


def test_exact_equals_efron_without_ties() -> None:
    d = _random(7)
    d["time"] = d["time"] + np.arange(len(d)) * 1e-3  # break all ties
    ex = cox_ph(d, time="time", event="event", covariates=["a", "c"], ties="exact")
    ef = cox_ph(d, time="time", event="event", covariates=["a", "c"], ties="efron")
    assert_allclose(ex.coef, ef.coef, rtol=RTOL)


def test_input_not_modified_and_str() -> None:
    d = _random(3)
    before = d.copy()
    res = cox_ph(d, time="time", event="event", covariates=["a", "b"], robust=True)
    pd.testing.assert_frame_equal(d, before)
    text = str(res)
    assert "robust se" in text and "Likelihood ratio test" in text
    assert res.to_frame().shape == (2, 9)


def test_categorical_reference_and_naming() -> None:
    d = _random(4)
    d["arm"] = np.where(d["g"] == 0, "BSC", np.where(d["g"] == 1, "HIFU", "PC"))
    res = cox_ph(d, time="time", event="event", covariates=["arm"], reference={"arm": "PC"})
    assert res.columns == ("arm[BSC]", "arm[HIFU]")
    default = cox_ph(d, time="time", event="event", covariates=["arm"])
    assert default.columns == ("arm[HIFU]", "arm[PC]")
    assert_allclose(res.loglik, default.loglik, rtol=RTOL)
    with pytest.raises(InputError, match="level 'XX' of column 'arm' not found"):
        cox_ph(d, time="time", event="event", covariates=["arm"], reference={"arm": "XX"})


def test_constant_covariate_raises() -> None:
    d = _random(5)
    d["k"] = 2.5
    with pytest.raises(InputError, match="covariate 'k' is constant"):
        cox_ph(d, time="time", event="event", covariates=["a", "k"])


def test_collinear_covariates_raise() -> None:
    d = _random(5)
    d["a2"] = 2 * d["a"] - d["c"]
    with pytest.raises(InputError, match="'a2' is a linear combination of 'a', 'c'"):
        cox_ph(d, time="time", event="event", covariates=["a", "c", "a2"])


def test_perfect_separation_warns_monotone_likelihood() -> None:
    d = pd.DataFrame({"time": [1.0, 2, 3, 4, 5, 6, 7, 8], "event": [1, 1, 1, 0, 1, 1, 0, 1],
                      "x": [1.0, 1, 1, 1, 0, 0, 0, 0], "z": [0.3, 1.2, -0.5, 0.8, 0.1, -1, 2, 0]})
    with pytest.warns(DegenerateDataWarning, match=r"coefficient of 'x' goes to \+infinity.*"
                                                    "highest value of 'x'"):
        res = cox_ph(d, time="time", event="event", covariates=["x", "z"])
    assert res.monotone == ("x",)
    assert res.lr_test.statistic > 0


def test_missing_values_dropped_with_warning() -> None:
    d = _random(6)
    d.loc[[2, 5], "a"] = np.nan
    d.loc[9, "time"] = np.nan
    with pytest.warns(DegenerateDataWarning, match=r"3 rows with missing values omitted "
                                                    r"\('time': 1, 'a': 2\)"):
        res = cox_ph(d, time="time", event="event", covariates=["a", "b"])
    assert (res.n, res.n_omitted) == (len(d) - 3, 3)


def test_negative_time_raises() -> None:
    d = _random(1)
    d.loc[16, "time"] = -3.0
    with pytest.raises(InputError, match="column 'time', row 17: expected a number >= 0"):
        cox_ph(d, time="time", event="event", covariates=["a"])


def test_zero_time_allowed_as_in_r() -> None:
    d = _random(1)
    d.loc[0, "time"] = 0.0
    assert np.isfinite(cox_ph(d, time="time", event="event", covariates=["a"]).coef).all()


def test_event_coded_1_2_raises_with_hint() -> None:
    d = _random(2)
    d["event"] += 1
    with pytest.raises(InputError, match=r"column 'event', row \d+: expected 0 .* subtract 1"):
        cox_ph(d, time="time", event="event", covariates=["a"])


def test_no_events_raises() -> None:
    d = _random(2)
    d["event"] = 0
    with pytest.raises(InputError, match="no events"):
        cox_ph(d, time="time", event="event", covariates=["a"])


def test_bad_options_raise() -> None:
    d = _random(2)
    with pytest.raises(InputError, match="ties"):
        cox_ph(d, time="time", event="event", covariates=["a"], ties="wrong")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="not available with ties='exact'"):
        cox_ph(d, time="time", event="event", covariates=["a"], ties="exact", robust=True)
    with pytest.raises(InputError, match="column 'nope' not found"):
        cox_ph(d, time="time", event="event", covariates=["nope"])


def test_non_convergence_raises() -> None:
    d = _random(8)
    with pytest.raises(ConvergenceError, match="did not converge in 1 Newton-Raphson"):
        cox_ph(d, time="time", event="event", covariates=["a", "b", "c"], max_iter=1)


@pytest.mark.parametrize("chunk", [16, 4096])
@pytest.mark.parametrize("segment_sums", ["cumsum", "reduceat", "dot"])
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_blocks_and_segment_sums_match_naive_implementation(
        monkeypatch: pytest.MonkeyPatch, chunk: int, segment_sums: str, ties: str) -> None:
    # Blocks of 16 rows rescale each block's risk scores to the overall maximum of the
    # linear predictor; the thresholds choose how segment sums are taken.
    monkeypatch.setattr(cox, "_CHUNK", chunk)
    monkeypatch.setattr(cox, "_MIN_SEGMENT", 10**9 if segment_sums == "cumsum" else 0)
    monkeypatch.setattr(cox, "_DOT_SEGMENT", 0 if segment_sums == "dot" else 10**9)
    d = _random(11, n=400)
    res = cox_ph(d, time="time", event="event", covariates=["a", "b", "c"], ties=ties,
                 strata="g", eps=1e-12, max_iter=100, robust=True)
    x = d[["a", "b", "c"]].to_numpy()
    args = (d["time"].to_numpy(), d["event"].to_numpy(), x, d["g"].to_numpy())
    ll, u, info = _naive(*args, res.coef, ties)
    assert_allclose(res.loglik, ll, rtol=RTOL)
    assert_allclose(u, 0, atol=1e-8)
    assert_allclose(res.naive_var, np.linalg.inv(info), rtol=RTOL)
    monkeypatch.undo()
    default = cox_ph(d, time="time", event="event", covariates=["a", "b", "c"], ties=ties,
                     strata="g", eps=1e-12, max_iter=100, robust=True)
    assert_allclose(res.robust_se, default.robust_se, rtol=1e-10)

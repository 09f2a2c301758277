"""Fast Kaplan-Meier and log-rank against naive loops; the seed's HIFU patients; bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.survival import (
    kaplan_meier,
    logrank_test,
    median_followup,
    rmst,
    survival_summary,
)
from tests.tolerances import RTOL


def _kaplan_meier_reference(time, event):
    """Textbook product-limit loop (Kaplan & Meier 1958) with Greenwood's sum."""
    out = []
    s, green = 1.0, 0.0
    for t in sorted(set(time)):
        n = sum(1 for x in time if x >= t)
        d = sum(1 for x, e in zip(time, event, strict=True) if x == t and e == 1)
        s *= 1 - d / n
        green += d / (n * (n - d)) if n > d else np.inf
        out.append((t, n, d, s, np.sqrt(green)))
    return np.array(out)


def _logrank_reference(time, event, group):
    """Two-group log-rank statistic by a loop over event times (Mantel 1966)."""
    o_minus_e, var = 0.0, 0.0
    for t in sorted({x for x, e in zip(time, event, strict=True) if e}):
        at = [i for i, x in enumerate(time) if x >= t]
        n = len(at)
        n1 = sum(1 for i in at if group[i] == 1)
        d = sum(1 for i in at if time[i] == t and event[i])
        d1 = sum(1 for i in at if time[i] == t and event[i] and group[i] == 1)
        o_minus_e += d1 - d * n1 / n
        if n > 1:
            var += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    return o_minus_e**2 / var


def _assert_matches_naive_loops(time, event, group, *, std_err=True):
    """KM curves of both groups and the log-rank statistic against the plain loops."""
    data = pd.DataFrame({"t": time, "e": event, "g": group})
    km = kaplan_meier(data, time="t", event="e", group="g")
    for g in (0, 1):
        ref = _kaplan_meier_reference(list(time[group == g]), list(event[group == g]))
        c = km.curve(g)
        assert_array_equal(c.time, ref[:, 0])
        assert_array_equal(c.n_risk, ref[:, 1])
        assert_array_equal(c.n_event, ref[:, 2])
        assert_allclose(c.surv, ref[:, 3], rtol=RTOL)
        if std_err:
            assert_allclose(c.std_err, ref[:, 4], rtol=RTOL)
    lr = logrank_test(data, time="t", event="e", group="g")
    assert_allclose(lr.statistic, _logrank_reference(list(time), list(event), list(group)),
                    rtol=RTOL)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_fast_km_matches_naive_loop_on_random_data_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = 300
    time = rng.integers(0, 40, n).astype(float)        # many ties, and time 0
    event = (rng.random(n) < 0.6).astype(int)
    _assert_matches_naive_loops(time, event, rng.integers(0, 2, n))


def test_times_spanning_the_float_range_match_naive_loop():
    # Bit patterns of these times span more than 2**60: they are ranked instead.
    rng = np.random.default_rng(3)
    n = 300
    time = rng.choice([0.0, 1e-300, 3e-200, 1.0, 2.5, 1e100, 1e300], n)
    event = (rng.random(n) < 0.6).astype(int)
    _assert_matches_naive_loops(time, event, rng.integers(0, 2, n), std_err=False)


def _survdiff_reference(time, event, group, k, rho=0.0, gamma=0.0):
    """k-group observed, expected and variance by a loop over event times (R's survdiff)."""
    obs, exp, var = np.zeros(k), np.zeros(k), np.zeros((k, k))
    surv = 1.0
    for t in sorted({x for x, e in zip(time, event, strict=True) if e}):
        n_g = np.array([sum(1 for x, g in zip(time, group, strict=True) if x >= t and g == j)
                        for j in range(k)], dtype=float)
        d_g = np.array([sum(1 for x, e, g in zip(time, event, group, strict=True)
                            if x == t and e and g == j) for j in range(k)], dtype=float)
        n, d = n_g.sum(), d_g.sum()
        w = surv**rho * (1 - surv) ** gamma
        obs += w * d_g
        exp += w * d * n_g / n
        if n > 1:
            var += w**2 * d * (n - d) / (n - 1) * (np.diag(n_g / n) - np.outer(n_g, n_g) / n**2)
        surv *= 1 - d / n
    return obs, exp, var


@pytest.mark.parametrize(("rho", "gamma"), [(0.0, 0.0), (1.0, 0.0), (0.5, 1.0)])
def test_logrank_with_many_groups_matches_naive_loop(rho, gamma):
    # 15 groups of 200 patients: the group counts take several int64 words.
    rng = np.random.default_rng(7)
    n, k = 200, 15
    time = rng.integers(0, 30, n).astype(float)
    event = (rng.random(n) < 0.7).astype(int)
    group = np.r_[np.arange(k), rng.integers(0, k, n - k)]
    data = pd.DataFrame({"t": time, "e": event, "g": group})
    res = logrank_test(data, time="t", event="e", group="g", rho=rho, gamma=gamma)
    obs, exp, var = _survdiff_reference(list(time), list(event), list(group), k, rho, gamma)
    assert_allclose(res.observed, obs, rtol=RTOL)
    assert_allclose(res.expected, exp, rtol=RTOL)
    assert_allclose(res.variance, var, rtol=RTOL, atol=1e-12)


def test_hifu_table3_median_not_reached_and_27_5_is_followup_of_observed_times():
    """Seed cohort study, Table 3: the eight HIFU patients (months; 'Expired' = death).

    The paper reports 'median OS 27.5 months in the HIFU group'; with two deaths (11 and 24
    months) the Kaplan-Meier curve never falls below 5/7 = 0.714, so the median OS is not
    reached. 27.5 is the plain median of the eight observed times.
    """
    hifu = pd.DataFrame({"patient": range(1, 9), "months": [24, 44, 44, 41, 29, 26, 11, 6],
                         "died": [1, 0, 0, 0, 0, 0, 1, 0], "arm": "HIFU"})
    with pytest.warns(DegenerateDataWarning, match="group 'HIFU'.*median not reached"):
        summary = survival_summary(hifu, time="months", event="died", group="arm",
                                   times=[12, 24, 36])
    out = summary.to_dict()
    assert out["groups"][0]["median"] is None
    assert out["groups"][0]["median_reached"] is False
    assert_allclose(summary.km.curves[0].surv.min(), 5 / 7, rtol=RTOL)
    assert "NR" in str(summary)
    fu = median_followup(hifu, time="months", event="died")
    row = fu.table.iloc[0]
    assert row["observed_median"] == 27.5
    assert row["median"] == 41.0   # reverse Kaplan-Meier (R: quantile(survfit(Surv(t, 1 - d) ~ 1)))
    assert "median follow-up time of the observed times 27.5" in str(fu)
    assert "27.5" not in str(summary.km)


def test_summary_to_dict_has_exactly_the_schema():
    rng = np.random.default_rng(7)
    data = pd.DataFrame({"t": rng.exponential(20, 90).round(1), "e": rng.integers(0, 2, 90),
                         "arm": np.repeat(["A", "B", "C"], 30)})
    out = survival_summary(data, time="t", event="e", group="arm", times=[6, 12]).to_dict()
    json.dumps(out)
    assert set(out) == {"groups", "logrank", "cox"}
    assert set(out["logrank"]) == {"statistic", "df", "p"}
    g = out["groups"][0]
    assert set(g) == {"group", "n", "events", "median", "median_ci_low", "median_ci_high",
                      "median_reached", "at_times", "rmst"}
    assert [set(a) for a in g["at_times"]] == [{"time", "n_risk", "surv", "se", "ci_low",
                                                "ci_high"}] * 2
    assert out["cox"] is not None and len(out["cox"]["terms"]) == 2
    single = survival_summary(data, time="t", event="e").to_dict()
    assert single["logrank"] is None and single["cox"] is None


@pytest.mark.parametrize(("column", "values", "match"), [
    ("t", [1.0, -3.0, 2.0], r"column 't', row 2 \(patient 'P2'\): expected a number >= 0"),
    ("t", [1.0, None, 2.0], r"column 't', row 2 \(patient 'P2'\): expected a number, got an empty"),
    ("e", [1, 2, 0], r"column 'e', row 2 \(patient 'P2'\): expected an event code 0 .* got 2"),
    ("e", [1, None, 0], r"column 'e', row 2 \(patient 'P2'\): expected an event code, got an em"),
    ("g", ["a", None, "b"], r"column 'g', row 2 \(patient 'P2'\): expected a group"),
])
def test_bad_input_names_column_row_and_patient(column, values, match):
    data = pd.DataFrame({"id": ["P1", "P2", "P3"], "t": [1.0, 2.0, 3.0], "e": [1, 0, 1],
                         "g": ["a", "a", "b"]})
    data[column] = values
    with pytest.raises(InputError, match=match):
        kaplan_meier(data, time="t", event="e", group="g", id="id")


def test_event_codes_map_declared_codes_and_reject_others():
    data = pd.DataFrame({"t": [1.0, 2.0, 3.0], "status": [2, 1, 3]})
    with pytest.raises(InputError, match=r"row 3: event code 3 is not in event_codes"):
        kaplan_meier(data, time="t", event="status", event_codes={1: 0, 2: 1})
    km = kaplan_meier(data.iloc[:2], time="t", event="status", event_codes={1: 0, 2: 1})
    assert_array_equal(km.curves[0].n_event, [1, 0])


def test_group_with_one_patient_warns():
    data = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "e": [1, 1, 0, 1], "g": ["a", "a", "a", "b"]})
    with pytest.warns(DegenerateDataWarning, match="group 'b' has one patient"):
        km = kaplan_meier(data, time="t", event="e", group="g")
    assert km.curve("b").surv[-1] == 0.0
    assert np.isnan(km.curve("b").ci_low[-1])


def test_all_censored_gives_flat_curve_and_undefined_logrank():
    data = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "e": 0, "g": ["a", "a", "b", "b"]})
    with pytest.warns(DegenerateDataWarning, match="median not reached"):
        km = kaplan_meier(data, time="t", event="e", group="g")
    assert all((c.surv == 1).all() for c in km.curves)
    with pytest.warns(DegenerateDataWarning, match="statistic is undefined"):
        lr = logrank_test(data, time="t", event="e", group="g")
    assert np.isnan(lr.statistic) and np.isnan(lr.pvalue)
    assert lr.to_dict()["statistic"] is None


def test_all_events_at_one_time_gives_singular_variance():
    data = pd.DataFrame({"t": [5.0] * 4, "e": 1, "g": ["a", "a", "b", "b"]})
    km = kaplan_meier(data, time="t", event="e", group="g")
    assert_array_equal(km.medians["median"], [5.0, 5.0])
    with pytest.warns(DegenerateDataWarning, match="variance matrix is singular"):
        lr = logrank_test(data, time="t", event="e", group="g")
    assert np.isnan(lr.statistic)


def test_rmst_beyond_last_follow_up_warns():
    data = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "e": [1, 0, 1, 0], "g": ["a", "a", "b", "b"]})
    with pytest.warns(DegenerateDataWarning, match="beyond the last follow-up of group 'a'"):
        res = rmst(data, time="t", event="e", group="g", tau=4.0)
    assert_allclose(res.table["rmst"], [1 + 0.5 * 3, 3 + 0.5 * 1])


def test_rmst_two_group_difference_test():
    data = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0, 2.0, 5.0], "e": [1, 1, 0, 1, 1, 1],
                         "g": ["a", "a", "a", "b", "b", "b"]})
    res = rmst(data, time="t", event="e", group="g", tau=3.0, reference="a")
    a, b = res.table.set_index("group").loc["a"], res.table.set_index("group").loc["b"]
    d = res.differences.iloc[0]
    assert_allclose(d["estimate"], b["rmst"] - a["rmst"], rtol=RTOL)
    assert_allclose(d["se"], np.hypot(a["se"], b["se"]), rtol=RTOL)
    assert_allclose(d["statistic"], d["estimate"] / d["se"], rtol=RTOL)

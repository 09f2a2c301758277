"""Bad input gets an InputError naming study, row and column; degenerate input a warning."""

import math

import numpy as np
import pandas as pd
import pytest

from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.meta import leave_one_out, meta_analysis, subgroup_analysis


def binary(changes=None):
    df = pd.DataFrame({"study": ["A", "B", "C"], "events_treat": [5, 8, 12],
                       "total_treat": [50, 60, 70], "events_ctrl": [9, 10, 20],
                       "total_ctrl": [50, 61, 72]})
    for (col, row), value in (changes or {}).items():
        df[col] = df[col].astype(object)
        df.loc[row, col] = value
    return df


@pytest.mark.parametrize(("col", "row", "value", "message"), [
    ("events_treat", 1, -2, r"column 'events_treat', row 2 \(study 'B'\): expected a whole "
                            r"number >= 0, got -2"),
    ("events_ctrl", 2, 80, r"column 'events_ctrl', row 3 \(study 'C'\): expected events <= "
                           r"'total_ctrl' \(72\), got 80"),
    ("total_treat", 0, "fifty", r"column 'total_treat', row 1 \(study 'A'\): expected a "
                                r"number, got 'fifty'"),
    ("events_treat", 0, 2.5, r"column 'events_treat', row 1 \(study 'A'\): expected a whole "
                             r"number, got 2.5"),
    ("total_ctrl", 1, 0, r"column 'total_ctrl', row 2 \(study 'B'\): expected a total of at "
                         r"least 1 participant, got 0"),
])
def test_binary_cells_are_checked(col, row, value, message):
    with pytest.raises(InputError, match=message):
        meta_analysis(binary({(col, row): value}))


def test_missing_value_leaves_the_study_out_with_a_warning():
    data = binary({("events_ctrl", 1): None})
    with pytest.warns(DegenerateDataWarning, match=r"1 study with missing values left out of "
                                                    r"the analysis: row 2 \(study 'B'\)"):
        res = meta_analysis(data)
    assert res.k == 2
    assert list(res.studies["study"]) == ["A", "C"]


def test_unknown_columns_are_named():
    with pytest.raises(InputError, match=r"column 'events_treat' not found; the table has"):
        meta_analysis(binary().rename(columns={"events_treat": "ev"}))
    res = meta_analysis(binary().rename(columns={"events_treat": "ev"}), events_treat="ev")
    assert res.k == 3
    with pytest.raises(InputError, match=r"unknown argument 'event_treat'"):
        meta_analysis(binary(), event_treat="ev")


def test_continuous_sd_must_be_positive():
    df = pd.DataFrame({"study": ["A", "B"], "mean_treat": [1.0, 2.0], "sd_treat": [1.0, 0.0],
                       "n_treat": [10, 12], "mean_ctrl": [0.5, 1.0], "sd_ctrl": [1.0, 1.2],
                       "n_ctrl": [10, 11]})
    with pytest.raises(InputError, match=r"column 'sd_treat', row 2 \(study 'B'\): expected "
                                         r"a number > 0, got 0"):
        meta_analysis(df, measure="MD", method="IV")


def test_generic_se_and_ci_are_checked():
    with pytest.raises(InputError, match=r"column 'sei', row 1 \(study 'A'\): expected a "
                                         r"number > 0, got -0.1"):
        meta_analysis(pd.DataFrame({"study": ["A"], "yi": [0.1], "sei": [-0.1]}),
                      measure="GEN", method="IV")
    bad_ci = pd.DataFrame({"study": ["A", "B"], "estimate": [0.8, 1.5],
                           "ci_low": [0.6, 1.6], "ci_high": [1.1, 2.0]})
    with pytest.raises(InputError, match=r"row 2 \(study 'B'\): expected ci_low < estimate < "
                                         r"ci_high, got 1.6, 1.5, 2"):
        meta_analysis(bad_ci, measure="GEN", method="IV", ratio=True)


def test_hazard_ratios_from_cis_are_log_transformed():
    data = pd.DataFrame({"study": ["A", "B"], "estimate": [0.8, 0.6],
                         "ci_low": [0.6, 0.4], "ci_high": [0.8 ** 2 / 0.6, 0.6 ** 2 / 0.4]})
    res = meta_analysis(data, measure="GEN", method="IV", ratio=True)
    se_a = (np.log(0.8**2 / 0.6) - np.log(0.6)) / (2 * 1.959963984540054)
    np.testing.assert_allclose(res.studies["se"].iloc[0], se_a, rtol=1e-12)
    assert res.is_ratio and 0.6 < res.estimate < 0.8


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"method": "Peto", "model": "random"}, r"'Peto' is fixed-effect only"),
    ({"method": "MH", "measure": "MD"}, r"method 'MH' needs a binary measure"),
    ({"hakn": True}, r"hakn=True \(Hartung-Knapp\) applies to model='random' only"),
    ({"model": "randm"}, r"model: expected one of fixed, random, got 'randm'"),
    ({"tau2_method": "XX", "model": "random"}, r"tau2_method: expected one of DL, REML"),
    ({"confidence_level": 95}, r"confidence_level: expected a number between 0 and 1"),
])
def test_option_combinations_are_checked(kwargs, message):
    with pytest.raises(InputError, match=message):
        meta_analysis(binary(), **kwargs)


def test_hartung_knapp_needs_two_studies():
    with pytest.raises(InputError, match=r"Hartung-Knapp needs at least two studies"):
        meta_analysis(binary().iloc[:1], model="random", hakn=True)


def test_empty_table():
    with pytest.raises(InputError, match=r"expected at least one study"):
        meta_analysis(binary().iloc[:0])


def test_input_is_not_modified():
    data = binary()
    before = data.copy()
    meta_analysis(data, model="random")
    pd.testing.assert_frame_equal(data, before)


# Degenerate but legal input: one test per case, each with its warning.

def test_zero_cell_gets_half_added_with_a_warning():
    data = binary({("events_treat", 0): 0})
    with pytest.warns(DegenerateDataWarning, match=r"0.5 added to all cells of 1 study with "
                                                   r"a zero cell"):
        res = meta_analysis(data)
    a, b, c, d = 0.5, 50.5, 9.5, 41.5
    assert res.studies["yi"].iloc[0] == pytest.approx(np.log(a * d / (b * c)), rel=1e-12)


def test_double_zero_study_is_excluded_for_or_and_kept_for_rd():
    data = binary({("events_treat", 0): 0, ("events_ctrl", 0): 0})
    with pytest.warns(DegenerateDataWarning, match=r"1 double-zero study left out \('A'\)"):
        res = meta_analysis(data)
    assert res.k == 2 and not res.studies["included"].iloc[0]
    assert res.studies["weight"].iloc[0] == 0
    with pytest.warns(DegenerateDataWarning, match=r"0.5 added"):
        rd = meta_analysis(data, measure="RD")
    assert rd.k == 3


def test_homogeneous_studies_give_exactly_zero_tau2_and_i2():
    data = pd.DataFrame({"study": list("ABCD"), "yi": [0.2, 0.2, 0.2, 0.2],
                         "sei": [0.1, 0.2, 0.15, 0.3]})
    for method in ("DL", "REML", "ML", "PM", "SJ", "HE", "HS", "EB"):
        res = meta_analysis(data, measure="GEN", method="IV", model="random", tau2_method=method)
        assert res.heterogeneity.tau2 == 0.0, method
        assert res.heterogeneity.i2 == 0.0, method
        assert res.heterogeneity.tau2_ci_low == 0.0 and res.heterogeneity.tau2_ci_high == 0.0


def test_single_study_random_effects_reduces_to_the_study():
    data = binary().iloc[:1]
    with pytest.warns(DegenerateDataWarning, match=r"one study: the random-effects model "
                                                   r"reduces to that study"):
        res = meta_analysis(data, method="IV", model="random")
    assert res.heterogeneity.df == 0 and res.heterogeneity.q == 0.0
    assert math.isnan(res.heterogeneity.i2)
    assert res.log_estimate == pytest.approx(res.studies["yi"].iloc[0], rel=1e-12)


def test_leave_one_out_to_one_study_reports_heterogeneity_not_applicable():
    res = leave_one_out(binary().iloc[:2])
    frame = res.to_frame()
    assert list(frame["k"]) == [1, 1]
    assert frame["df"].tolist() == [0, 0] and frame["i2"].isna().all()


def test_subgroup_needs_two_estimable_subgroups():
    data = binary()
    data["stage"] = ["I", "I", "I"]
    with pytest.raises(InputError, match=r"column 'stage': expected at least two subgroups"):
        subgroup_analysis(data, by="stage")

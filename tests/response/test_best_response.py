"""Best overall response: confirmation and minimum SD duration (Eisenhauer et al., Eur J
Cancer 2009;45:228-247, section 4.4.2 and Table 3; section 4.7), on coded visits and on
measurements."""

import json

import pandas as pd
import pytest

from oncostat.errors import InputError
from oncostat.response import assess_response, best_overall_response
from tests.response._lesions import COLS, lesion_table, targets


def bor(responses, days=None, **kwargs):
    days = days or [28 * (i + 1) for i in range(len(responses))]
    coded = pd.DataFrame({"id": "P1", "day": days, "resp": responses})
    res = best_overall_response(coded, patient="id", date="day", response="resp", **kwargs)
    return res.best.iloc[0]


@pytest.mark.parametrize(("first", "second", "sd_met", "expected"), [
    ("CR", "CR", True, "CR"),
    ("CR", "PR", True, "PR"),    # footnote a: the first "CR" was really a PR
    ("CR", "SD", True, "SD"),
    ("PR", "CR", True, "PR"),
    ("PR", "PR", True, "PR"),
    ("PR", "SD", True, "SD"),
    ("PR", "PD", True, "SD"),
    ("PR", "PD", False, "PD"),
    ("PR", "NE", True, "SD"),
    ("PR", "NE", False, "NE"),
    ("NE", "NE", True, "NE"),
])
def test_table3_confirmation_required(first, second, sd_met, expected):
    # Table 3 (best overall response when confirmation of CR and PR is required), two
    # assessments 6 weeks apart; the minimum SD duration (8 weeks) is met at the first
    # assessment (week 8) or not (week 4).
    days = [56, 98] if sd_met else [28, 70]
    got = bor([first, second], days, confirm=True, min_sd_weeks=8)
    assert got["best_response"] == expected


def test_confirmation_needs_four_weeks():
    # 4.7: CR/PR "must be confirmed by repeat assessments that should be performed no less
    # than 4 weeks after the criteria for response are first met". 27 days is too early.
    assert bor(["PR", "PR"], [56, 83], confirm=True)["best_response"] == "SD"
    got = bor(["PR", "PR"], [56, 84], confirm=True)
    assert got["best_response"] == "PR" and got["confirmed"] and got["response_days"] == 56


def test_confirmation_may_skip_a_not_evaluable_visit_but_not_sd():
    assert bor(["PR", "NE", "PR"], [56, 70, 98], confirm=True)["best_response"] == "PR"
    assert bor(["PR", "SD", "PR"], [56, 70, 98], confirm=True)["best_response"] == "SD"


def test_without_confirmation_a_single_response_counts():
    got = bor(["SD", "PR", "PD"])
    assert got["best_response"] == "PR" and not got["confirmed"]
    assert got["progression_days"] == 84


def test_assessments_after_progression_do_not_count():
    # 4.4.2: the best response is recorded "from the start of the treatment until disease
    # progression/recurrence".
    assert bor(["SD", "PD", "CR"])["best_response"] == "SD"


def test_minimum_sd_duration():
    # 4.4.2: "a patient with SD at first assessment, PD at second and does not meet minimum
    # duration for SD, will have a best response of PD. The same patient lost to follow-up
    # after the first SD assessment would be considered inevaluable."
    assert bor(["SD", "PD"], [28, 56], min_sd_weeks=6)["best_response"] == "PD"
    assert bor(["SD"], [28], min_sd_weeks=6)["best_response"] == "NE"
    assert bor(["SD"], [42], min_sd_weeks=6)["best_response"] == "SD"   # exactly 6 weeks


def test_minimum_sd_duration_on_measurements():
    rows = targets("P1", {"L1": [40, 38, 60]}, [0, 28, 56])
    res = assess_response(lesion_table(*rows), **COLS, min_sd_weeks=6)
    assert res.timepoints["response"].tolist() == ["SD", "PD"]
    assert res.best.loc[0, "best_response"] == "PD"


def test_confirmation_on_measurements():
    # PR at week 8 (-40%), confirmed at week 12 (-50%); P2's PR is followed by SD.
    rows = targets("P1", {"L1": [50, 30, 25]}, [0, 56, 84])
    rows += targets("P2", {"L1": [50, 30, 40]}, [0, 56, 84])
    res = assess_response(lesion_table(*rows), **COLS, confirm=True)
    best = res.best.set_index("patient")["best_response"]
    assert best.to_dict() == {"P1": "PR", "P2": "SD"}


def test_coded_words_and_dates_with_start():
    coded = pd.DataFrame({"id": ["A", "A", "B"],
                          "when": ["2020-03-02", "2020-04-27", "2020-02-10"],
                          "resp": ["Partial response", "pr", "progressive disease"],
                          "start": ["2020-01-06", "2020-01-06", "2020-01-13"]})
    res = best_overall_response(coded, patient="id", date="when", response="resp",
                                start="start", confirm=True, min_sd_weeks=6)
    assert res.best["best_response"].tolist() == ["PR", "PD"]
    assert res.timepoints["days"].tolist() == [56.0, 112.0, 28.0]
    d = res.to_dict()
    json.dumps(d)
    assert d["timepoints"][0]["date"] == "2020-03-02"
    assert "Best overall response (RECIST1.1; CR/PR confirmed >= 4 weeks later" in str(res)


def test_coded_bad_input():
    coded = pd.DataFrame({"id": ["A", "A"], "day": [28, 56], "resp": ["PR", "MR"]})
    with pytest.raises(InputError, match=r"column 'resp', row 2 \(patient 'A'\): expected one "
                                         r"of CR, PR, SD, PD, NE, got 'MR'"):
        best_overall_response(coded, patient="id", date="day", response="resp")
    coded = pd.DataFrame({"id": ["A", "A"], "day": [28, 28], "resp": ["PR", "SD"]})
    with pytest.raises(InputError, match=r"row 2 \(patient 'A'\): a second assessment"):
        best_overall_response(coded, patient="id", date="day", response="resp")
    coded = pd.DataFrame({"id": ["A"], "day": ["2020-01-01"], "resp": ["PR"],
                          "start": ["2020-02-01"]})
    with pytest.raises(InputError, match=r"column 'day', row 1 \(patient 'A'\): dates out of "
                                         r"order"):
        best_overall_response(coded, patient="id", date="day", response="resp", start="start")
    with pytest.raises(InputError, match="min_sd_weeks: the minimum SD duration is counted"):
        best_overall_response(coded, patient="id", date="day", response="resp",
                              min_sd_weeks=6)
    with pytest.raises(InputError, match="confirm_weeks: expected a number of weeks >= 0"):
        best_overall_response(coded, patient="id", date="day", response="resp",
                              confirm_weeks=-1)


def test_seed_table3_counts_and_str():
    # Zhou et al., BMC Surg 2021;21:308, Table 3: HIFU, mRECIST at 30 days.
    coded = pd.DataFrame({"no": range(1, 9), "day": 30,
                          "resp": ["PR", "CR", "CR", "CR", "CR", "CR", "SD", "PR"]})
    res = best_overall_response(coded, patient="no", date="day", response="resp",
                                criteria="mRECIST")
    assert res.counts == {"CR": 5, "PR": 2, "SD": 1, "PD": 0, "NE": 0}
    text = str(res)
    assert "Best overall response (mRECIST), 8 patients" in text
    assert "CR  complete response       5 (62.5%)" in text
    assert res.to_frame().shape == (8, 8)

"""Adverse-event tables: counts and Fisher p-values against R (tests/reference/safety/
seed_ae.R, which aggregates independently), the seed study's figures, and bad input."""

import json
import re

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from oncostat.errors import InputError
from oncostat.safety import ANY_EVENT, adverse_event_table
from tests.conftest import REFERENCE, load_reference
from tests.tolerances import RTOL

DATA = REFERENCE / "safety" / "data"
COLS = {"patient": "patient", "term": "term", "grade": "grade", "arm": "arm"}


@pytest.fixture
def events() -> pd.DataFrame:
    return pd.read_csv(DATA / "seed_ae.csv")


@pytest.fixture
def patients() -> pd.DataFrame:
    return pd.read_csv(DATA / "seed_patients.csv")


@pytest.mark.parametrize("subset", ["all", "related"])
def test_counts_and_fisher_match_r(events, patients, subset):
    ref = load_reference("safety/seed_ae.json")[subset]
    kw = {"attribution": "attribution", "related_only": True} if subset == "related" else {}
    res = adverse_event_table(events, patients, **COLS, **kw)
    assert set(res.terms) == {r["term"] for r in ref}
    table = res.table.set_index(["term", "arm"])
    tests = res.tests.set_index("term")
    for r in ref:
        for arm, n, any_n, g3 in zip(r["arms"], r["n"], r["any_n"], r["grade3_n"],
                                     strict=True):
            row = table.loc[(r["term"], arm)]
            assert (row["n"], row["any_n"], row["grade3_n"]) == (n, any_n, g3), r["term"]
        assert_allclose(tests.loc[r["term"], "any_pvalue"], r["any_p"], rtol=RTOL)
        assert_allclose(tests.loc[r["term"], "grade3_pvalue"], r["grade3_p"], rtol=RTOL)


def test_seed_text_zhou2021_p6(events, patients):
    # "Any grade AEs were observed in four cases. Pain and fatigue were the most common
    # (n = 3) ... no grade 3 or higher AEs occurred" (HIFU); "In PC, the incidence of any
    # grade AEs was 62.5% (10/16) ... Grade 3-4 AEs accounted for 25% (4/16)".
    res = adverse_event_table(events, patients, **COLS)
    t = res.table.set_index(["term", "arm"])
    assert t.loc[(ANY_EVENT, "HIFU"), ["any_n", "grade3_n"]].tolist() == [4, 0]
    assert t.loc[(ANY_EVENT, "PC"), ["any_n", "any_pct", "grade3_n", "grade3_pct"]].tolist() \
        == [10, 62.5, 4, 25.0]
    assert t.loc[("Pain", "HIFU"), "any_n"] == t.loc[("Fatigue", "HIFU"), "any_n"] == 3
    # H2 had pain grade 1 then grade 2: counted once, at grade 2.
    assert t.loc[("Pain", "HIFU"), ["grade_1", "grade_2"]].tolist() == [1, 2]
    assert res.n == (8, 16) and res.arms == ("HIFU", "PC")
    # Most frequent first over both arms (6 each; ties alphabetical), then nausea/vomiting.
    assert res.terms[:4] == (ANY_EVENT, "Fatigue", "Pain", "Nausea/vomiting")


def test_str_to_frame_to_dict(events, patients):
    res = adverse_event_table(events, patients, **COLS, ctcae_version="5.0")
    text = str(res)
    assert text.startswith("Adverse events (CTCAE v5.0), highest grade per patient")
    assert "HIFU (n = 8)" in text
    assert re.search(r"Any adverse event +4 \(50\.0\) +0 \(0\.0\) +10 \(62\.5\) +4 \(25\.0\)",
                     text)
    assert re.search(r"Nausea/vomiting .* 5 \(31\.3\)", text)     # 5/16, rounded half up
    wide = res.to_frame()
    assert list(wide.columns[:3]) == ["term", "HIFU any_n", "HIFU any_pct"]
    assert len(wide) == len(res.terms)
    d = res.to_dict()
    json.dumps(d)
    assert d["ctcae_version"] == "5.0"


def test_patients_without_events_are_in_the_denominator():
    pts = pd.DataFrame({"patient": ["a", "b", "c", "d", "e"], "arm": ["X"] * 3 + ["Y"] * 2})
    ev = pd.DataFrame({"patient": ["a"], "term": ["Rash"], "grade": [3]})
    res = adverse_event_table(ev, pts, **COLS)
    t = res.table.set_index(["term", "arm"])
    assert t.loc[("Rash", "X"), "any_pct"] == pytest.approx(100 / 3)
    assert t.loc[("Rash", "Y"), ["n", "any_n"]].tolist() == [2, 0]


def test_no_events_at_all():
    pts = pd.DataFrame({"patient": ["a", "b"], "arm": ["X", "Y"]})
    ev = pd.DataFrame({"patient": [], "term": [], "grade": []})
    res = adverse_event_table(ev, pts, **COLS)
    assert res.terms == (ANY_EVENT,)
    assert res.tests["any_pvalue"].tolist() == [1.0]


def test_one_arm_has_no_tests():
    pts = pd.DataFrame({"patient": ["a", "b"], "arm": ["X", "X"]})
    ev = pd.DataFrame({"patient": ["a"], "term": ["Rash"], "grade": [2]})
    res = adverse_event_table(ev, pts, **COLS)
    assert res.tests["any_pvalue"].isna().all()
    assert "Fisher" not in str(res)


def test_window_after_start(events, patients):
    # The seed counts events "during the HIFU treatment period and for 30 days after";
    # H4's second ALT/AST event (day 21) stays, P07's neuropathy (day 42) goes.
    res = adverse_event_table(events, patients, **COLS, onset="onset", start="start",
                              window_days=30)
    t = res.table.set_index(["term", "arm"])
    assert t.loc[("ALT/AST increased", "HIFU"), "any_n"] == 2
    assert "Peripheral neuropathy" not in res.terms


@pytest.mark.parametrize("grade", [0, 6, 2.5])
def test_grade_outside_1_to_5(grade):
    pts = pd.DataFrame({"patient": ["a", "b"], "arm": ["X", "Y"]})
    ev = pd.DataFrame({"patient": ["a", "b"], "term": ["Rash", "Rash"], "grade": [1, grade]})
    match = (r"column 'grade', row 2 \(patient 'b'\): expected "
             + ("a whole number" if grade == 2.5 else "a CTCAE grade 1 to 5"))
    with pytest.raises(InputError, match=match):
        adverse_event_table(ev, pts, **COLS)


def test_bad_input(events, patients):
    bad = events.copy()
    bad.loc[2, "patient"] = "Z9"
    with pytest.raises(InputError, match=r"column 'patient', row 3 \(patient 'Z9'\): patient "
                                         r"'Z9' has an adverse event but is not in patients"):
        adverse_event_table(bad, patients, **COLS)
    bad = events.copy()
    bad.loc[4, "onset"] = "2018-12-31"
    with pytest.raises(InputError, match=r"column 'onset', row 5 \(patient 'H2'\): dates out "
                                         r"of order: onset 2018-12-31 is before the start"):
        adverse_event_table(bad, patients, **COLS, onset="onset", start="start")
    bad = events.copy()
    bad.loc[0, "attribution"] = "maybe"
    with pytest.raises(InputError, match=r"column 'attribution', row 1 .*got 'maybe'"):
        adverse_event_table(bad, patients, **COLS, attribution="attribution")
    bad = events.copy()
    bad.loc[1, "term"] = " "
    with pytest.raises(InputError, match=r"column 'term', row 2 .*adverse-event term"):
        adverse_event_table(bad, patients, **COLS)
    with pytest.raises(InputError, match=r"ctcae_version: expected one of 4\.0, 4\.03, 5\.0"):
        adverse_event_table(events, patients, **COLS, ctcae_version="3.0")
    with pytest.raises(InputError, match="related_only: needs attribution="):
        adverse_event_table(events, patients, **COLS, related_only=True)
    dup = pd.concat([patients, patients.iloc[:1]], ignore_index=True)
    with pytest.raises(InputError, match=r"patients: column 'patient', row 25: patient 'H1' "
                                         r"appears twice"):
        adverse_event_table(events, dup, **COLS)


def test_input_not_modified(events, patients):
    before = events.copy(), patients.copy()
    adverse_event_table(events, patients, **COLS, attribution="attribution")
    pd.testing.assert_frame_equal(events, before[0])
    pd.testing.assert_frame_equal(patients, before[1])

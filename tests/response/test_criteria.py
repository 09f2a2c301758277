"""RECIST 1.1 and mRECIST from lesion measurements, checked on hand-worked cases.

No open implementation of either criterion exists to compare with, so each test works one
rule by hand and cites it: Eisenhauer et al., Eur J Cancer 2009;45:228-247 (RECIST 1.1,
sections 3.3, 4.3.1-4.3.4, 4.4, 4.6) and Lencioni & Llovet, Semin Liver Dis 2010;30:52-60
(mRECIST, Table 2).
"""

import math

import numpy as np
import pandas as pd
import pytest

from oncostat.errors import InputError
from oncostat.response import assess_response
from tests.response._lesions import COLS, lesion_table, targets


def assess(rows, **kwargs):
    return assess_response(lesion_table(*rows), **{**COLS, **kwargs})


def responses(res, patient="P1"):
    return res.timepoints.loc[res.timepoints["patient"] == patient, "response"].tolist()


# --- 4.3.1 target lesions -------------------------------------------------------------

def test_cr_all_targets_gone_and_node_below_10mm_short_axis():
    # 4.3.1 CR: "Disappearance of all target lesions. Any pathological lymph nodes ... must
    # have reduction in short axis to < 10 mm"; 4.3.2: the sum then need not be 0.
    rows = [("P1", 0, "L1", "target", 30), ("P1", 56, "L1", "target", 0),
            ("P1", 0, "N1", "target", 18, "nodes", True),
            ("P1", 56, "N1", "target", 8, "nodes", True)]
    res = assess(rows)
    tp = res.timepoints.iloc[0]
    assert tp["target_response"] == "CR" and tp["response"] == "CR"
    assert tp["target_sum"] == 8.0


def test_node_at_10mm_is_not_cr_but_pr():
    # 4.3.1: < 10 mm is required; a 10 mm node is still pathological. Sum 10 of 48: -79%.
    rows = [("P1", 0, "L1", "target", 30), ("P1", 56, "L1", "target", 0),
            ("P1", 0, "N1", "target", 18, "nodes", True),
            ("P1", 56, "N1", "target", 10, "nodes", True)]
    tp = assess(rows).timepoints.iloc[0]
    assert tp["target_response"] == "PR"
    assert tp["pct_baseline"] == pytest.approx(100 * (10 - 48) / 48)


def test_pr_at_exactly_minus_30_percent():
    # 4.3.1 PR: "At least a 30% decrease in the sum of diameters ... taking as reference the
    # baseline sum": 50 -> 35 is exactly -30% and counts; 35.5 (-29%) is SD.
    rows = targets("P1", {"L1": [30, 21], "L2": [20, 14]}, [0, 56],
                   {"L1": "liver", "L2": "lung"})
    rows += targets("P2", {"L1": [30, 21.5], "L2": [20, 14]}, [0, 56],
                    {"L1": "liver", "L2": "lung"})
    res = assess(rows)
    assert responses(res, "P1") == ["PR"]
    assert responses(res, "P2") == ["SD"]
    assert res.timepoints["pct_baseline"].tolist() == pytest.approx([-30.0, -29.0])


def test_pd_needs_20_percent_and_5mm_from_nadir():
    # 4.3.1 PD: "at least a 20% increase ... the sum must also demonstrate an absolute
    # increase of at least 5 mm". 25 -> 30 is +20% and +5 mm: PD. 20 -> 24 is +20% but only
    # +4 mm: SD.
    rows = targets("P1", {"L1": [25, 30]}, [0, 56]) + targets("P2", {"L1": [20, 24]}, [0, 56])
    res = assess(rows)
    assert responses(res, "P1") == ["PD"]
    assert responses(res, "P2") == ["SD"]


def test_mrecist_pd_has_no_5mm_rule():
    # Lencioni & Llovet 2010, Table 2: PD is "an increase of at least 20% in the sum of the
    # diameters of viable (enhancing) target lesions" from the smallest sum, with no
    # absolute minimum: 20 -> 24 is PD by mRECIST though SD by RECIST 1.1.
    rows = targets("P2", {"L1": [20, 24]}, [0, 56])
    assert responses(assess(rows, criteria="mRECIST"), "P2") == ["PD"]


def test_sd_between_thresholds():
    # 4.3.1 SD: "Neither sufficient shrinkage to qualify for PR nor sufficient increase to
    # qualify for PD": 40 -> 36 (-10%).
    res = assess(targets("P1", {"L1": [40, 36]}, [0, 56]))
    assert responses(res) == ["SD"]
    assert res.best.loc[0, "best_response"] == "SD"


def test_nadir_is_the_smallest_sum_including_baseline():
    # 4.3.1 PD is measured from "the smallest sum on study (this includes the baseline sum
    # if that is the smallest on study)". P1: 50 -> 40 -> 48: +20% and +8 mm from the nadir
    # 40, PD although still below baseline. P2: 50 -> 55 -> 60: the baseline is the nadir,
    # +20% and +10 mm.
    rows = targets("P1", {"L1": [50, 40, 48]}, [0, 56, 112])
    rows += targets("P2", {"L1": [50, 55, 60]}, [0, 56, 112])
    res = assess(rows)
    assert responses(res, "P1") == ["SD", "PD"]
    assert responses(res, "P2") == ["SD", "PD"]
    p1 = res.timepoints[res.timepoints["patient"] == "P1"]
    assert p1["nadir"].tolist() == [50.0, 40.0]
    assert p1["pct_nadir"].iloc[1] == pytest.approx(20.0)
    assert res.best.set_index("patient").loc["P1", "best_response"] == "SD"


def test_reappearance_after_cr_needs_5mm_by_recist():
    # 4.3.1: after CR the nadir is 0; a lesion reappearing at 4 mm is not PD (+4 mm < 5 mm),
    # at 5 mm it is. Against the baseline of 30 mm either is a PR.
    rows = targets("P1", {"L1": [30, 0, 4]}, [0, 56, 112])
    rows += targets("P2", {"L1": [30, 0, 5]}, [0, 56, 112])
    res = assess(rows)
    assert responses(res, "P1") == ["CR", "PR"]
    assert responses(res, "P2") == ["CR", "PD"]


# --- 4.3.3 non-target, 4.3.4 new lesions, 4.4.1 Table 1 -----------------------------------

def test_new_lesion_is_pd_whatever_the_targets():
    # 4.3.4: "The appearance of new malignant lesions denotes disease progression";
    # Table 1: Any / Any / Yes -> PD. Targets shrink by 40% (PR) but a new lesion appears.
    rows = [*targets("P1", {"L1": [50, 30]}, [0, 56]), ("P1", 56, "X1", "new", None)]
    tp = assess(rows).timepoints.iloc[0]
    assert (tp["target_response"], tp["new_lesion"], tp["response"]) == ("PR", True, "PD")


def test_unequivocal_non_target_progression_is_pd():
    # 4.3.3 PD: "Unequivocal progression of existing non-target lesions"; Table 1: Any / PD
    # -> PD while the targets are SD.
    rows = targets("P1", {"L1": [40, 38]}, [0, 56])
    rows += [("P1", 0, "NT1", "non_target", None, "bone", False, "present"),
             ("P1", 56, "NT1", "non_target", None, "bone", False, "progression")]
    tp = assess(rows).timepoints.iloc[0]
    assert (tp["target_response"], tp["non_target_response"], tp["response"]) == \
        ("SD", "PD", "PD")


@pytest.mark.parametrize(("status", "non_target", "overall"), [
    ("absent", "CR", "CR"),           # Table 1: CR / CR / No -> CR
    ("present", "non-CR/non-PD", "PR"),  # CR / Non-CR/non-PD / No -> PR
    ("NE", "NE", "PR"),               # CR / Not evaluated / No -> PR
])
def test_table1_target_cr_with_non_target(status, non_target, overall):
    # 4.4.1 Table 1, the three rows with target CR.
    rows = targets("P1", {"L1": [40, 0]}, [0, 56])
    rows += [("P1", 0, "NT1", "non_target", None, "lung", False, "present"),
             ("P1", 56, "NT1", "non_target", None, "lung", False, status)]
    tp = assess(rows).timepoints.iloc[0]
    assert (tp["non_target_response"], tp["response"]) == (non_target, overall)


def test_non_target_not_assessed_leaves_pr_as_pr():
    # Table 1: PR / Non-PD or not all evaluated / No -> PR. The non-target lesion has no
    # row at day 56: not evaluated.
    rows = targets("P1", {"L1": [40, 20]}, [0, 56])
    rows += [("P1", 0, "NT1", "non_target", None, "lung", False, "present")]
    tp = assess(rows).timepoints.iloc[0]
    assert (tp["non_target_response"], tp["response"]) == ("NE", "PR")


# --- 4.6 missing assessments ----------------------------------------------------------

def test_missing_target_measurement_is_ne():
    # 4.6: "If only a subset of lesion measurements are made at an assessment, usually the
    # case is also considered NE at that time point".
    rows = targets("P1", {"L1": [30, 20], "L2": [20, math.nan]}, [0, 56],
                   {"L1": "liver", "L2": "lung"})
    res = assess(rows)
    assert responses(res) == ["NE"]
    assert math.isnan(res.timepoints.loc[0, "target_sum"])
    assert res.best.loc[0, "best_response"] == "NE"


def test_missing_lesion_with_pd_shown_by_the_others_is_pd():
    # 4.6, the guideline's own example: "a baseline sum of 50 mm with three measured lesions
    # and at follow-up only two lesions were assessed, but those gave a sum of 80 mm, the
    # patient will have achieved PD status, regardless of the missing lesion."
    rows = targets("P1", {"L1": [20, 45], "L2": [15, 35], "L3": [15, math.nan]}, [0, 56],
                   {"L1": "liver", "L2": "lung", "L3": "adrenal"})
    assert responses(assess(rows)) == ["PD"]


def test_patient_without_follow_up_is_ne():
    res = assess(targets("P1", {"L1": [30]}, [0]))
    assert res.timepoints.empty
    assert res.best.loc[0, "best_response"] == "NE" and res.best.loc[0, "assessments"] == 0


# --- mRECIST: the viable, enhancing diameter ------------------------------------------

def test_mrecist_necrosis_pr_while_recist_sd():
    # Lencioni & Llovet 2010, Table 2: PR is "at least a 30% decrease in the sum of the
    # diameters of viable (contrast enhancement in the arterial phase) target lesions".
    # After ablation the lesion keeps its size (40 -> 38 mm, RECIST SD) while its enhancing
    # part shrinks (40 -> 12 mm, -70%, mRECIST PR).
    longest = lesion_table(*targets("P1", {"L1": [40, 38]}, [0, 30]))
    viable = lesion_table(*targets("P1", {"L1": [40, 12]}, [0, 30]))
    assert assess_response(longest, **COLS).best.loc[0, "best_response"] == "SD"
    assert assess_response(viable, **COLS, criteria="mRECIST").best.loc[0, "best_response"] \
        == "PR"


def test_mrecist_cr_when_enhancement_disappears():
    # Table 2 CR: "Disappearance of any intratumoral arterial enhancement in all target
    # lesions": the viable diameter is 0 though the necrotic scar remains.
    viable = lesion_table(*targets("P1", {"L1": [25, 0], "L2": [15, 0]}, [0, 30]))
    res = assess_response(viable, **COLS, criteria="mRECIST")
    assert res.best.loc[0, "best_response"] == "CR"
    assert res.best.loc[0, "best_pct_change"] == -100.0


# --- 3.3 selection of target lesions and other bad input -------------------------------

def test_more_than_five_targets_is_an_error():
    # 3.3.1: "a maximum of five lesions total".
    organs = {f"L{i}": o for i, o in enumerate(["liver", "liver", "lung", "lung", "bone",
                                                 "adrenal"])}
    rows = targets("P1", {f"L{i}": [20, 20] for i in range(6)}, [0, 56], organs)
    with pytest.raises(InputError, match=r"6 target lesions at baseline; RECIST 1.1 allows "
                                         r"at most 5"):
        assess(rows)


def test_three_targets_in_one_organ_is_an_error():
    # 3.3.1: "(and a maximum of two lesions per organ)". The error names the row of the third.
    rows = [("P1", 0, f"L{i}", "target", 20) for i in range(3)]
    with pytest.raises(InputError, match=r"column 'organ', row 3 \(patient 'P1'\): a third "
                                         r"target lesion in organ 'liver'"):
        assess(rows)


def test_target_lesion_without_baseline_names_row():
    rows = [("P1", 0, "L1", "target", 30), ("P1", 56, "L1", "target", 20),
            ("P1", 56, "L2", "target", 15)]
    with pytest.raises(InputError, match=r"column 'lesion', row 3 \(patient 'P1'\): target "
                                         r"lesion 'L2' has no baseline measurement"):
        assess(rows)


def test_patient_with_only_late_targets_has_no_baseline():
    rows = [("P1", 0, "NT1", "non_target", None, "lung", False, "present"),
            ("P1", 56, "L1", "target", 20)]
    with pytest.raises(InputError, match=r"row 2 \(patient 'P1'\): target lesion 'L1' has no "
                                         r"baseline measurement"):
        assess(rows)


def test_baseline_target_below_measurable_size():
    # 3.2.1: measurable lesions are >= 10 mm; malignant nodes >= 15 mm in short axis.
    with pytest.raises(InputError, match=r"column 'diameter', row 1 \(patient 'P1'\): "
                                         r"expected a baseline longest diameter >= 10 mm"):
        assess([("P1", 0, "L1", "target", 8), ("P1", 56, "L1", "target", 8)])
    with pytest.raises(InputError, match=r"short axis of a target lymph node >= 15 mm"):
        assess([("P1", 0, "N1", "target", 12, "nodes", True)])


def test_dates_out_of_order_against_start_of_treatment():
    data = lesion_table(*targets("P1", {"L1": [30, 20]}, [0, 56]))
    data["start"] = 60
    with pytest.raises(InputError, match=r"column 'day', row 2 \(patient 'P1'\): dates out of "
                                         r"order: follow-up assessment on 56"):
        assess_response(data, **COLS, start="start")


def test_start_of_treatment_sets_the_time_axis():
    data = lesion_table(*targets("P1", {"L1": [30, 20]}, [0, 56]))
    data["start"] = 7
    res = assess_response(data, **COLS, start="start")
    assert res.timepoints["days"].tolist() == [49.0]


def test_bad_cells_name_column_and_row():
    rows = targets("P1", {"L1": [30, 20]}, [0, 56])
    bad = lesion_table(*rows)
    bad.loc[1, "diameter"] = -3
    with pytest.raises(InputError, match=r"column 'diameter', row 2 \(patient 'P1'\): expected "
                                         r"a number >= 0, got -3"):
        assess_response(bad, **COLS)
    bad = lesion_table(*rows)
    bad.loc[1, "kind"] = "index"
    with pytest.raises(InputError, match=r"column 'kind', row 2 .*'target', 'non_target' or "
                                         r"'new', got 'index'"):
        assess_response(bad, **COLS)
    dup = pd.concat([lesion_table(*rows), lesion_table(*rows[1:])], ignore_index=True)
    with pytest.raises(InputError, match=r"row 3 \(patient 'P1'\): lesion 'L1' appears twice"):
        assess_response(dup, **COLS)
    with pytest.raises(InputError, match=r"columns 'size', 'site' not found"):
        assess_response(lesion_table(*rows), **{**COLS, "diameter": "size", "organ": "site"})


def test_bad_date_and_missing_status():
    data = lesion_table(*targets("P1", {"L1": [30, 20]}, ["2020-01-06", "2020-03-02"]))
    res = assess_response(data, **COLS)
    assert res.timepoints["days"].tolist() == [56.0]
    data.loc[1, "day"] = "2020-13-45"
    with pytest.raises(InputError, match=r"column 'day', row 2 \(patient 'P1'\): expected a "
                                         r"date .*got '2020-13-45'"):
        assess_response(data, **COLS)
    rows = [("P1", 0, "L1", "target", 30), ("P1", 0, "NT1", "non_target", None)]
    with pytest.raises(InputError, match="non-target lesion needs status="):
        assess_response(lesion_table(*rows), **{**COLS, "status": None})


def test_input_not_modified():
    data = lesion_table(*targets("P1", {"L1": [30, 20]}, [0, 56]))
    before = data.copy()
    assess_response(data, **COLS)
    pd.testing.assert_frame_equal(data, before)


def test_timepoint_sums_match_a_naive_recomputation():
    # Random series of one to five targets: the sum, % change from baseline and the nadir
    # reported for each assessment against a direct loop over the definitions.
    rng = np.random.default_rng(20240611)
    rows = []
    for p in range(30):
        k = int(rng.integers(1, 6))
        days = [0, 42, 84, 126]
        series = {f"L{j}": list(np.round(rng.uniform(10, 60) * np.exp(
            np.cumsum(np.r_[0, rng.normal(0, 0.25, 3)])), 1)) for j in range(k)}
        organs = {f"L{j}": f"organ{j}" for j in range(k)}
        rows += targets(f"P{p}", series, days, organs)
    data = lesion_table(*rows)
    res = assess_response(data, **COLS)
    for pid, tp in res.timepoints.groupby("patient"):
        d = data[data["patient"] == pid]
        sums = d.groupby("day")["diameter"].sum()
        base = sums.loc[0]
        np.testing.assert_allclose(tp["target_sum"], sums.iloc[1:].to_numpy())
        np.testing.assert_allclose(tp["pct_baseline"], 100 * (sums.iloc[1:] / base - 1))
        np.testing.assert_allclose(tp["nadir"], np.minimum.accumulate(sums.to_numpy())[:-1])

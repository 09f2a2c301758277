"""ORR and DCR per arm: Clopper-Pearson intervals against R's binom.test, Fisher tests
against fisher.test (tests/reference/response/clopper_pearson.R), and the seed study."""

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from oncostat.errors import InputError
from oncostat.response import (
    assess_response,
    best_overall_response,
    clopper_pearson,
    response_rates,
)
from oncostat.response.rates import percent
from tests.conftest import load_reference
from tests.response._lesions import COLS, lesion_table, targets
from tests.tolerances import RTOL

REF = load_reference("response/clopper_pearson.json")


@pytest.mark.parametrize("case", REF["intervals"], ids=lambda c: f"{c['x']}/{c['n']}@"
                                                              f"{c['conf_level']}")
def test_clopper_pearson_matches_binom_test(case):
    low, high = clopper_pearson(case["x"], case["n"], case["conf_level"])
    assert_allclose([low, high], [case["ci_low"], case["ci_high"]], rtol=RTOL, atol=0)


def seed_best() -> pd.DataFrame:
    """Best responses of the seed study (Zhou et al., BMC Surg 2021;21:308, 'Tumor
    response'): HIFU 5 CR, 2 PR, 1 SD (mRECIST); PC 3 CR, 6 PR, 3 SD, 4 PD; BSC all PD."""
    resp = (["CR"] * 5 + ["PR"] * 2 + ["SD"] + ["PD"] * 16
            + ["CR"] * 3 + ["PR"] * 6 + ["SD"] * 3 + ["PD"] * 4)
    arm = ["HIFU"] * 8 + ["BSC"] * 16 + ["PC"] * 16
    return pd.DataFrame({"patient": [f"S{i:02d}" for i in range(40)], "arm": arm,
                         "best_response": resp})


def test_seed_orr_zhou2021_p4():
    # "The objective response rate (ORR) was 87.5%" (HIFU) and "The ORR was 56.3%" (PC);
    # 95% CI for 7/8 by Clopper-Pearson: 47.3% to 99.7%.
    rates = response_rates(seed_best(), arm="arm")
    t = rates.table.set_index("arm")
    assert t.loc["HIFU", "orr"] == 0.875 and t.loc["PC", "orr"] == 0.5625
    assert percent(t.loc["PC", "orr"]) == "56.3"     # rounded half up, as printed
    assert t.loc["BSC", "orr"] == 0 and t.loc["HIFU", "dcr"] == 1
    ref = {(c["x"], c["n"]): c for c in REF["intervals"] if c["conf_level"] == 0.95}
    for a, x, n in (("HIFU", 7, 8), ("PC", 9, 16), ("BSC", 0, 16)):
        assert_allclose([t.loc[a, "orr_ci_low"], t.loc[a, "orr_ci_high"]],
                        [ref[(x, n)]["ci_low"], ref[(x, n)]["ci_high"]], rtol=RTOL)
    assert (percent(t.loc["HIFU", "orr_ci_low"]), percent(t.loc["HIFU", "orr_ci_high"])) == \
        ("47.3", "99.7")
    for a, x, n in (("HIFU", 8, 8), ("PC", 12, 16)):
        assert_allclose([t.loc[a, "dcr_ci_low"], t.loc[a, "dcr_ci_high"]],
                        [ref[(x, n)]["ci_low"], ref[(x, n)]["ci_high"]], rtol=RTOL)


def test_seed_fisher_matches_r():
    f = REF["fisher"]
    rates = response_rates(seed_best(), arm="arm")
    c = rates.comparisons.set_index(["endpoint", "arm"])
    assert_allclose(c.loc[("ORR", "PC"), "pvalue"], f["orr_hifu_pc"]["p"], rtol=RTOL)
    assert_allclose(c.loc[("DCR", "PC"), "pvalue"], f["dcr_hifu_pc"]["p"], rtol=RTOL)
    assert_allclose(c.loc[("ORR", "BSC"), "pvalue"], f["orr_hifu_bsc"]["p"], rtol=RTOL)
    assert_allclose(c.loc[("ORR", "all"), "pvalue"], f["orr_three_arms"]["p"], rtol=RTOL)
    assert_allclose(c.loc[("DCR", "all"), "pvalue"], f["dcr_three_arms"]["p"], rtol=RTOL)
    assert c.loc[("ORR", "PC"), "difference"] == pytest.approx(9 / 16 - 7 / 8)


def test_no_responders_anywhere_gives_p_1():
    # A 2 x 2 table with an empty row: fisher.test returns 1.
    best = pd.DataFrame({"patient": range(24), "arm": ["A"] * 8 + ["B"] * 16,
                         "best_response": ["SD"] * 4 + ["PD"] * 20})
    rates = response_rates(best, arm="arm")
    p = rates.comparisons.set_index("endpoint").loc["ORR", "pvalue"]
    assert p == REF["fisher"]["no_responders"]["p"] == 1
    assert rates.table["orr_ci_low"].tolist() == [0.0, 0.0]


def test_seed_from_measurements_two_criteria():
    # HIFU by mRECIST on viable diameters, PC by RECIST 1.1 on longest diameters, combined
    # with a patients table; an enrolled PC patient without any assessment is NE and
    # stays in the denominator (RECIST 1.1, 4.5).
    hifu_rows, pc_rows = [], []
    hifu = [[20, 0]] * 5 + [[30, 15]] * 2 + [[30, 27]]          # 5 CR, 2 PR, 1 SD
    for i, series in enumerate(hifu):
        hifu_rows += targets(f"H{i}", {"L1": series}, [0, 30])
    pc = [[30, 0]] * 3 + [[40, 20]] * 6 + [[40, 38]] * 3 + [[40, 60]] * 4
    for i, series in enumerate(pc):
        pc_rows += targets(f"C{i}", {"L1": series}, [0, 56])
    h = assess_response(lesion_table(*hifu_rows), **COLS, criteria="mRECIST")
    p = assess_response(lesion_table(*pc_rows), **COLS)
    patients = pd.DataFrame({"id": [f"H{i}" for i in range(8)] + [f"C{i}" for i in range(17)],
                             "group": ["HIFU"] * 8 + ["PC"] * 17})
    rates = response_rates([h, p], arm="group", patients=patients, patient="id")
    t = rates.table.set_index("arm")
    assert t.loc["HIFU", ["CR", "PR", "SD", "PD", "NE"]].tolist() == [5, 2, 1, 0, 0]
    assert t.loc["PC", ["CR", "PR", "SD", "PD", "NE"]].tolist() == [3, 6, 3, 4, 1]
    assert t.loc["HIFU", "criteria"] == "mRECIST"
    assert t.loc["PC", "criteria"] == "RECIST1.1, not assessed"
    assert t.loc["PC", "orr"] == 9 / 17
    text = str(rates)
    assert "HIFU (n = 8, mRECIST): CR 5, PR 2, SD 1, PD 0, NE 0" in text
    assert "ORR 87.5% (47.3% to 99.7%)" in text
    json.dumps(rates.to_dict())
    assert rates.to_frame().shape == (2, 14)


def test_reference_arm_and_confidence_level():
    rates = response_rates(seed_best(), arm="arm", reference="PC", confidence_level=0.90)
    assert set(rates.comparisons["reference"]) == {"PC"}
    c = next(c for c in REF["intervals"] if c["conf_level"] == 0.9)
    t = rates.table.set_index("arm")
    assert_allclose([t.loc["HIFU", "orr_ci_low"], t.loc["HIFU", "orr_ci_high"]],
                    [c["ci_low"], c["ci_high"]], rtol=RTOL)


def test_bad_input():
    best = seed_best()
    with pytest.raises(InputError, match="reference: arm 'XYZ' not found"):
        response_rates(best, arm="arm", reference="XYZ")
    bad = best.copy()
    bad.loc[3, "best_response"] = "MR"
    with pytest.raises(InputError, match=r"column 'best_response', row 4 \(patient 'S03'\): "
                                         r"expected one of CR, PR, SD, PD, NE, got 'MR'"):
        response_rates(bad, arm="arm")
    coded = best_overall_response(pd.DataFrame({"p": ["X"], "d": [30], "r": ["CR"]}),
                                  patient="p", date="d", response="r")
    with pytest.raises(InputError, match="patients: a table of patients with their arm"):
        response_rates(coded, arm="arm")
    with pytest.raises(InputError, match="patient 'X' has a response but is not in patients"):
        response_rates(coded, arm="arm", patients=pd.DataFrame({"patient": ["Y"],
                                                                "arm": ["A"]}))
    with pytest.raises(InputError, match="confidence_level"):
        response_rates(best, arm="arm", confidence_level=95)
    with pytest.raises(InputError, match=r"expected 0 <= x <= n"):
        clopper_pearson(3, 2)


def test_clopper_pearson_against_scipy_binomtest():
    # A second, independent implementation: scipy's exact interval on random x, n.
    from scipy.stats import binomtest

    rng = np.random.default_rng(7)
    for _ in range(50):
        n = int(rng.integers(1, 400))
        x = int(rng.integers(0, n + 1))
        ci = binomtest(x, n).proportion_ci(confidence_level=0.95, method="exact")
        assert_allclose(clopper_pearson(x, n), [ci.low, ci.high], rtol=1e-9, atol=1e-15)

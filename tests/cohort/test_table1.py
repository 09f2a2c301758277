"""Table 1: layout, automatic choices, SMDs, bad input, export."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from oncostat.cohort import side_by_side, table1
from oncostat.errors import DegenerateDataWarning, InputError
from tests.conftest import REFERENCE, load_reference
from tests.tolerances import RTOL

REF = load_reference("cohort/table1_tests.json")


@pytest.fixture
def three() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "cohort" / "data" / "sim_three.csv")


@pytest.fixture
def small() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "cohort" / "data" / "sim_small.csv")


@pytest.fixture
def seed() -> pd.DataFrame:
    """Seed study Table 1 (HIFU 8, BSC 16, PC 16): gender, ECOG, chemotherapy before surgery."""
    arms = ["HIFU"] * 8 + ["BSC"] * 16 + ["PC"] * 16
    gender = ["Male"] * 6 + ["Female"] * 2 + ["Male"] * 8 + ["Female"] * 8 + \
        ["Male"] * 6 + ["Female"] * 10
    ecog = [0] * 4 + [1] * 4 + [0] * 4 + [1] * 10 + [2] * 2 + [0] * 6 + [1] * 9 + [2]
    chemo = ["No"] * 6 + ["Yes"] * 2 + ["No"] * 16 + ["No"] * 15 + ["Yes"]
    return pd.DataFrame({"arm": pd.Categorical(arms, categories=["HIFU", "BSC", "PC"]),
                         "gender": gender, "ecog": ecog, "chemo": chemo})


def _head(res, variable: str) -> pd.Series:
    rows = res.rows
    return rows[(rows["variable"] == variable) & rows["kind"].isin(["continuous",
                                                                    "categorical"])].iloc[0]


def test_seed_table1_counts_and_chemotherapy_p(seed: pd.DataFrame) -> None:
    # The paper's p = 0.09 for "Chemotherapy before surgery" is Pearson's chi-squared without
    # continuity correction (SPSS); the automatic rule picks Fisher-Freeman-Halton (0.096).
    paper = table1(seed, group="arm", tests={"chemo": "chisq"}, p_digits=2)
    chemo = _head(paper, "chemo")
    assert chemo["test"] == "chisq"
    assert_allclose(chemo["pvalue"], REF["seed_chemo"]["chisq"]["p"], rtol=RTOL)
    frame = paper.to_frame()
    row = frame.index[frame["Characteristic"] == "chemo"][0]
    assert frame.loc[row, "p value"] == "0.09"
    assert list(frame.columns[1:4]) == ["HIFU (N = 8)", "BSC (N = 16)", "PC (N = 16)"]
    yes = frame.index[frame["Characteristic"] == "  Yes"][0]
    assert frame.loc[yes, ["HIFU (N = 8)", "BSC (N = 16)", "PC (N = 16)"]].tolist() == \
        ["2 (25.0)", "0 (0.0)", "1 (6.2)"]
    auto = table1(seed, group="arm")
    assert _head(auto, "chemo")["test"] == "fisher"
    assert_allclose(_head(auto, "chemo")["pvalue"], REF["seed_chemo"]["fisher"]["p"], rtol=RTOL)
    assert _head(auto, "ecog")["kind"] == "categorical"   # 3 distinct numbers -> n (%)
    assert "Fisher's exact test" in str(auto)


def test_pvalues_in_table_match_r(small: pd.DataFrame) -> None:
    res = table1(small, group="arm", nonnormal=["size"],
                 tests={"age": "welch", "bmi": "t", "size": "wilcoxon", "sex": "chisq-yates",
                        "ecog": "fisher", "stage": "chisq"})
    ref = REF["small"]
    expected = {"age": ref["age"]["welch"], "bmi": ref["bmi"]["student"],
                "size": ref["size"]["wilcoxon"], "sex": ref["sex"]["chisq_yates"],
                "ecog": ref["ecog"]["fisher"], "stage": ref["stage"]["chisq"]}
    for var, r in expected.items():
        assert_allclose(_head(res, var)["pvalue"], r["p"], rtol=RTOL, err_msg=var)


def test_one_test_for_all_variables_of_its_kind(three: pd.DataFrame) -> None:
    res = table1(three, group="arm", tests="kruskal")
    for var in ("age", "bmi", "size"):
        assert _head(res, var)["test"] == "kruskal"
        assert_allclose(_head(res, var)["pvalue"], REF["three"][var]["kruskal"]["p"], rtol=RTOL)
    assert _head(res, "sex")["test"] in ("chisq", "fisher")   # categorical stay automatic
    welch = table1(three, group="arm", tests="welch", variables=["age"])
    assert_allclose(_head(welch, "age")["pvalue"], REF["three"]["age"]["welch"]["p"], rtol=RTOL)


def test_auto_tests_and_normality_rule(three: pd.DataFrame) -> None:
    res = table1(three, group="arm", nonnormal="auto")
    assert _head(res, "age")["test"] == "anova"
    two = table1(three[three.arm != "C"], group="arm", nonnormal=["size"])
    assert _head(two, "age")["test"] == "t"
    assert _head(two, "size")["test"] == "wilcoxon"
    skewed = pd.DataFrame({"g": ["a"] * 30 + ["b"] * 30,
                           "x": np.r_[np.exp(np.linspace(0, 6, 30)), np.linspace(0, 1, 30)]})
    assert _head(table1(skewed, group="g", nonnormal="auto"), "x")["nonnormal"]


def test_smd_matches_tableone_formulas(three: pd.DataFrame, small: pd.DataFrame) -> None:
    for name, data in (("three", three), ("small", small)):
        res = table1(data, group="arm")
        for var, value in REF["smd"][name].items():
            assert_allclose(_head(res, var)["smd"], value, rtol=RTOL, err_msg=f"{name} {var}")


def test_summaries_missing_rows_and_digits(three: pd.DataFrame) -> None:
    d = three.copy()
    d.loc[[0, 1], "bmi"] = np.nan
    res = table1(d, group="arm", variables=["bmi", "size"], nonnormal=["size"],
                 digits={"bmi": 2}, quantile_method="linear")
    a = d[d.arm == "A"]
    bmi = _head(res, "bmi")
    assert bmi["A:n"] == a["bmi"].notna().sum()
    assert_allclose(bmi["A:mean"], a["bmi"].mean(), rtol=RTOL)
    assert_allclose(bmi["A:sd"], a["bmi"].std(), rtol=RTOL)
    size = _head(res, "size")
    assert_allclose([size["A:q1"], size["A:median"], size["A:q3"]],
                    a["size"].quantile([0.25, 0.5, 0.75]).to_numpy(), rtol=RTOL)
    frame = res.to_frame()
    assert frame.iloc[0, 1] == f"{a['bmi'].mean():.2f} ({a['bmi'].std():.2f})"
    assert frame.iloc[1, 0] == "  Missing"
    missing_a = int(d.loc[d.arm == "A", "bmi"].isna().sum())
    assert frame.iloc[1, 1] == str(missing_a)
    assert "–" in frame.iloc[2, 1]  # median (Q1–Q3)
    assert "missing" not in set(table1(d, group="arm", variables=["bmi"],
                                       missing=False).rows["kind"])


def test_p_value_formats(small: pd.DataFrame) -> None:
    d = small.copy()
    d["shifted"] = d["age"] + np.where(d.arm == "A", 40, 0)
    res = table1(d, group="arm", variables=["age", "shifted"], continuous=["age"], p_digits=3)
    assert res.to_frame()["p value"].tolist() == [f"{_head(res, 'age')['pvalue']:.3f}", "<0.001"]
    res = table1(d, group="arm", variables=["age"], p_threshold=0.1)
    assert res.to_frame()["p value"].tolist() == [">0.1"]
    assert "p value" not in table1(d, group="arm", variables=["age"], tests=None).to_frame()


def test_to_dict_rows_are_json(three: pd.DataFrame) -> None:
    res = table1(three, group="arm", variables=["age", "sex"])
    out = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    first = out["rows"][0]
    assert set(first) >= {"variable", "level", "arms", "test", "statistic", "df", "p", "smd"}
    assert set(first["arms"]["A"]) == {"n", "mean", "sd", "median", "q1", "q3"}
    level = next(r for r in out["rows"] if r["level"] == "Male")
    assert set(level["arms"]["B"]) == {"n", "percent"}
    assert out["n"] == {"A": 14, "B": 20, "C": 18}


def test_side_by_side_aligns_rows(three: pd.DataFrame) -> None:
    before = table1(three, group="arm", variables=["age", "stage"])
    sub = three[~((three.arm == "C") & (three.stage == "IV"))]
    after = table1(sub, group="arm", variables=["age", "stage"], tests={"stage": "chisq"})
    both = side_by_side(before, after)
    frame = both.to_frame()
    assert len(frame) == len(before.to_frame())
    assert frame.columns[1] == "Before matching: A (N = 14)"
    assert any(c.startswith("After matching: C") for c in frame.columns)
    text = str(both)
    assert "Before matching" in text and "After matching" in text
    assert "Pearson's chi-squared test" in text and "Fisher's exact test" in text
    with pytest.raises(InputError, match="different arms"):
        side_by_side(before, table1(three[three.arm != "C"], group="arm", variables=["age"]))


def test_bad_input_names_the_column_or_row(three: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="column 'arm': expected at least 2 arms"):
        table1(three[three.arm == "A"], group="arm")
    d = three.copy()
    d["empty"] = np.nan
    with pytest.raises(InputError, match="column 'empty': every value is missing"):
        table1(d, group="arm")
    with pytest.raises(InputError, match="'nope' not found"):
        table1(three, group="arm", variables=["nope"])
    with pytest.raises(InputError, match="'nope' not found"):
        table1(three, group="nope")
    d = three.copy()
    d.loc[4, "arm"] = None
    with pytest.raises(InputError, match="column 'arm', row 5"):
        table1(d, group="arm")
    with pytest.raises(InputError, match="'t' compares two arms"):
        table1(three, group="arm", tests={"age": "t"})
    with pytest.raises(InputError, match="does not apply to the categorical column 'sex'"):
        table1(three, group="arm", tests={"sex": "anova"})
    with pytest.raises(InputError, match="unknown test 'ttest'"):
        table1(three, group="arm", tests={"age": "ttest"})


def test_degenerate_variable_warns_and_leaves_p_empty() -> None:
    d = pd.DataFrame({"g": ["a"] * 5 + ["b"] * 5, "x": [1.0] * 10,
                      "y": [1.0, 2, 3, 4, 5] + [np.nan] * 5})
    with pytest.warns(DegenerateDataWarning, match="column 'x'.*every value is the same"):
        res = table1(d, group="g", variables=["x"], continuous=["x"])
    assert np.isnan(_head(res, "x")["pvalue"])
    with pytest.warns(DegenerateDataWarning, match="column 'y'.*an arm has no values"):
        table1(d, group="g", variables=["y"], continuous=["y"])


def test_exports_write_a_word_table_with_the_right_cells(seed: pd.DataFrame, tmp_path) -> None:
    from docx import Document
    from openpyxl import load_workbook

    res = table1(seed, group="arm", tests={"chemo": "chisq"}, p_digits=2)
    path = res.to_docx(tmp_path / "table1.docx")
    doc = Document(str(path))
    assert doc.paragraphs[0].text == res.title
    assert len(doc.tables) == 1
    grid = doc.tables[0]
    cells = [[c.text for c in row.cells] for row in grid.rows]
    assert cells[0] == ["Characteristic", "HIFU (N = 8)", "BSC (N = 16)", "PC (N = 16)",
                        "p value", "SMD"]
    chemo = next(r for r in cells if r[0] == "chemo")
    assert chemo[4][:4] == "0.09"                                   # p with its marker
    marker_runs = [r for p in grid.rows[len(cells) - 3].cells[4].paragraphs for r in p.runs]
    assert marker_runs[-1].font.superscript
    assert [r for r in cells if r[0] == "Yes"][-1][1:4] == ["2 (25.0)", "0 (0.0)", "1 (6.2)"]
    notes = [p.text for p in doc.paragraphs[1:]]
    assert any("Pearson's chi-squared test" in n for n in notes)
    xml = grid._tbl.xml
    assert "w:tcBorders" in xml and "<w:left " not in xml and "<w:insideV" not in xml

    xlsx = load_workbook(res.to_xlsx(tmp_path / "table1.xlsx")).active
    assert xlsx["A1"].value == res.title
    assert [c.value for c in xlsx[3]][:2] == ["Characteristic", "HIFU (N = 8)"]
    csv = pd.read_csv(res.to_csv(tmp_path / "table1.csv"), keep_default_na=False)
    assert list(csv.columns) == list(res.to_frame().columns)
    assert "<sup>" in res.to_html()


def test_side_by_side_docx_has_spanning_header(three: pd.DataFrame, tmp_path) -> None:
    from docx import Document

    before = table1(three, group="arm", variables=["age", "sex"])
    after = table1(three.iloc[:40], group="arm", variables=["age", "sex"])
    doc = Document(str(side_by_side(before, after).to_docx(tmp_path / "both.docx")))
    grid = doc.tables[0]
    top = [c.text for c in grid.rows[0].cells]
    assert top.count("Before matching") == 5 and top.count("After matching") == 5  # merged
    assert grid.rows[1].cells[1].text == "A (N = 14)"

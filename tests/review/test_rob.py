"""Risk-of-bias tools, the RoB 2 algorithm, two assessors plus consensus, and the figures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from oncostat.errors import InputError
from oncostat.plot.rob import rob_summary, rob_traffic_light
from oncostat.review import ReviewStore
from oncostat.review.rob import (
    consensus_rob,
    import_rob,
    record_assessment,
    rob2_algorithm,
    rob_conflicts,
    rob_tool,
    rob_tools,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hcc_hifu_rt" / "risk_of_bias.csv"


@pytest.fixture(autouse=True)
def _close() -> Iterator[None]:
    yield
    plt.close("all")


def test_tools_are_versioned_data():
    assert rob_tools() == ("rob1", "rob2", "robins_i")
    rob1 = rob_tool("rob1")
    # The seed review's seven domains (Cochrane RoB 1, Higgins et al. BMJ 2011).
    assert [name for _, name in rob1.domains] == [
        "Random sequence generation", "Allocation concealment",
        "Blinding of participants and personnel", "Blinding of outcome assessment",
        "Incomplete outcome data", "Selective reporting", "Other bias"]
    assert rob1.judgements == ("low", "unclear", "high") and rob1.version == "2011"
    rob2 = rob_tool("rob2")
    assert [len(rob2.questions[d]) for d, _ in rob2.domains] == [3, 7, 4, 5, 3]
    assert rob_tool("robins_i").judgements[-1] == "no information"
    with pytest.raises(InputError, match="tool: expected one of"):
        rob_tool("rob3")  # type: ignore[arg-type]


# RoB 2 guidance (Higgins, Savović, Page, Sterne, 22 August 2019), the algorithm of each
# domain; Sterne et al. BMJ 2019;366:l4898, Table 2 for the overall judgement.
@pytest.mark.parametrize(("answers", "expected"), [
    # Domain 1: concealed, random, no imbalance -> low; imbalance -> some concerns;
    # concealment NI + imbalance -> high; not concealed -> high.
    ({"1.1": "Y", "1.2": "Y", "1.3": "N"}, "low"),
    ({"1.1": "NI", "1.2": "PY", "1.3": "NI"}, "low"),
    ({"1.1": "Y", "1.2": "Y", "1.3": "PY"}, "some concerns"),
    ({"1.1": "N", "1.2": "Y", "1.3": "N"}, "some concerns"),
    ({"1.1": "Y", "1.2": "NI", "1.3": "N"}, "some concerns"),
    ({"1.1": "Y", "1.2": "NI", "1.3": "Y"}, "high"),
    ({"1.1": "Y", "1.2": "N", "1.3": "N"}, "high"),
])
def test_rob2_domain1(answers, expected):
    assert rob2_algorithm(answers) == {"D1": expected}


@pytest.mark.parametrize(("answers", "expected"), [
    # Blinded trial, ITT analysis -> low.
    ({"2.1": "N", "2.2": "PN", "2.6": "Y"}, "low"),
    # Open trial without deviations from the trial context -> low.
    ({"2.1": "Y", "2.2": "Y", "2.3": "N", "2.6": "Y"}, "low"),
    ({"2.1": "Y", "2.2": "Y", "2.3": "NI", "2.6": "Y"}, "some concerns"),
    ({"2.1": "Y", "2.2": "Y", "2.3": "Y", "2.4": "N", "2.6": "Y"}, "some concerns"),
    ({"2.1": "Y", "2.2": "Y", "2.3": "Y", "2.4": "Y", "2.5": "Y", "2.6": "Y"},
     "some concerns"),
    ({"2.1": "Y", "2.2": "Y", "2.3": "Y", "2.4": "PY", "2.5": "N", "2.6": "Y"}, "high"),
    # Part 2: per-protocol analysis with little impact -> some concerns; substantial -> high.
    ({"2.1": "N", "2.2": "N", "2.6": "N", "2.7": "N"}, "some concerns"),
    ({"2.1": "N", "2.2": "N", "2.6": "N", "2.7": "Y"}, "high"),
])
def test_rob2_domain2(answers, expected):
    assert rob2_algorithm(answers) == {"D2": expected}


@pytest.mark.parametrize(("answers", "expected"), [
    ({"3.1": "Y"}, "low"),
    ({"3.1": "N", "3.2": "Y"}, "low"),
    ({"3.1": "N", "3.2": "N", "3.3": "N"}, "low"),
    ({"3.1": "N", "3.2": "N", "3.3": "Y", "3.4": "N"}, "some concerns"),
    ({"3.1": "NI", "3.2": "PN", "3.3": "NI", "3.4": "PY"}, "high"),
])
def test_rob2_domain3(answers, expected):
    assert rob2_algorithm(answers) == {"D3": expected}


@pytest.mark.parametrize(("answers", "expected"), [
    ({"4.1": "Y"}, "high"),
    ({"4.1": "N", "4.2": "PY"}, "high"),
    ({"4.1": "N", "4.2": "N", "4.3": "N"}, "low"),
    ({"4.1": "N", "4.2": "N", "4.3": "Y", "4.4": "N"}, "low"),
    ({"4.1": "N", "4.2": "N", "4.3": "Y", "4.4": "Y", "4.5": "N"}, "some concerns"),
    ({"4.1": "N", "4.2": "N", "4.3": "Y", "4.4": "Y", "4.5": "NI"}, "high"),
    ({"4.1": "N", "4.2": "NI", "4.3": "N"}, "some concerns"),
    ({"4.1": "N", "4.2": "NI", "4.3": "Y", "4.4": "Y", "4.5": "Y"}, "high"),
])
def test_rob2_domain4(answers, expected):
    assert rob2_algorithm(answers) == {"D4": expected}


@pytest.mark.parametrize(("answers", "expected"), [
    ({"5.1": "Y", "5.2": "N", "5.3": "N"}, "low"),
    ({"5.1": "NI", "5.2": "N", "5.3": "PN"}, "some concerns"),
    ({"5.1": "Y", "5.2": "NI", "5.3": "N"}, "some concerns"),
    ({"5.1": "Y", "5.2": "N", "5.3": "PY"}, "high"),
])
def test_rob2_domain5(answers, expected):
    assert rob2_algorithm(answers) == {"D5": expected}


LOW_ALL = {"1.1": "Y", "1.2": "Y", "1.3": "N", "2.1": "N", "2.2": "N", "2.6": "Y",
           "3.1": "Y", "4.1": "N", "4.2": "N", "4.3": "N", "5.1": "Y", "5.2": "N",
           "5.3": "N"}


def test_rob2_overall():
    assert rob2_algorithm(LOW_ALL)["Overall"] == "low"
    assert rob2_algorithm({**LOW_ALL, "5.1": "NI"})["Overall"] == "some concerns"
    assert rob2_algorithm({**LOW_ALL, "1.2": "N", "5.1": "NI"})["Overall"] == "high"
    with pytest.raises(InputError, match=r"RoB 2 question 1.2: expected one of Y, PY, PN, N, "
                                         r"NI, NA, got 'MAYBE'"):
        rob2_algorithm({"1.1": "Y", "1.2": "maybe"})
    with pytest.raises(InputError, match=r"question 1.3: an answer .* is needed"):
        rob2_algorithm({"1.1": "Y", "1.2": "Y"})


def _example() -> pd.DataFrame:
    """The HCC example's RoB 1 table in long form (one row per study and domain)."""
    wide = pd.read_csv(EXAMPLE).drop(columns="year")
    long = wide.melt(id_vars="study", var_name="domain", value_name="judgement")
    long["domain"] = long["domain"].map(
        dict(zip(wide.columns[1:], [d for d, _ in rob_tool("rob1").domains], strict=True)))
    return long


def test_two_assessors_plus_consensus_rob1(store: ReviewStore, tmp_path: Path):
    first = _example()
    path = tmp_path / "rob_A.csv"
    first.to_csv(path, index=False)
    import_rob(store, path, "A", "rob1")
    second = first.copy()
    second.loc[0, "judgement"] = "unclear"        # Ke 2011, D1: A low, B unclear
    import_rob(store, second, "B", "rob1")
    table = consensus_rob(store, "rob1")
    assert pd.isna(table.loc["Ke 2011", "Random sequence generation"])
    assert pd.isna(table.loc["Ke 2011", "Overall"])
    disputes = rob_conflicts(store, "rob1")
    assert disputes[["study", "domain", "judgements"]].values.tolist() == [
        ["Ke 2011", "D1", "low; unclear"]]
    with pytest.raises(InputError, match=r"row 1: study 'Li 2014' domain D1 has no "
                                         r"disagreement between assessors to settle"):
        record_assessment(store, "Li 2014", "C", "rob1", {"D1": "low"}, consensus=True)
    record_assessment(store, "Ke 2011", "C", "rob1", {"D1": "low"}, consensus=True)
    table = consensus_rob(store, "rob1")
    assert table.loc["Ke 2011"].tolist() == ["low", "low", "high", "low", "low", "unclear",
                                             "low", "high"]
    assert table.loc["Wang 2018", "Overall"] == "unclear"
    assert list(consensus_rob(store, "rob1", labels="id").columns[:2]) == ["D1", "D2"]


def test_rob_answer_outside_options_names_the_row(store: ReviewStore):
    rows = _example().head(3)
    rows.loc[2, "judgement"] = "very low"
    with pytest.raises(InputError, match=r"<DataFrame>: row 3, column 'judgement': expected "
                                         r"one of low, unclear, high, got 'very low'"):
        import_rob(store, rows, "A", "rob1")
    assert store.rob_judgements().empty
    rows = pd.DataFrame({"study": ["Ke 2011", "Li 2014"], "domain": ["D1", "D1"],
                         "answers": ["1.1=Y; 1.2=Y; 1.3=N", "1.1=Y; 1.2=SURE; 1.3=N"]})
    with pytest.raises(InputError, match=r"row 2, column 'answers': question 1.2: expected "
                                         r"one of Y, PY, PN, N, NI, NA, got 'SURE'"):
        import_rob(store, rows, "A", "rob2")
    with pytest.raises(InputError, match=r"row 1, column 'domain': 'D9' is not a domain of "
                                         r"rob1"):
        import_rob(store, pd.DataFrame({"study": ["X"], "domain": ["D9"],
                                        "judgement": ["low"]}), "A", "rob1")
    with pytest.raises(InputError, match=r"row 2: study 'X' domain D1 appears again"):
        import_rob(store, pd.DataFrame({"study": ["X", "X"], "domain": ["D1", "random "
                                        "sequence generation"], "judgement": ["low", "low"]}),
                   "A", "rob1")


def test_rob2_proposal_override_needs_a_reason(store: ReviewStore):
    answers = {"1.1": "Y", "1.2": "Y", "1.3": "N"}
    with pytest.raises(InputError, match=r"row 1, column 'reason': the judgement 'high' "
                                         r"departs from the algorithm's 'low'; give a reason"):
        record_assessment(store, "Ke 2011", "A", "rob2", {"D1": "high"}, answers=answers)
    record_assessment(store, "Ke 2011", "A", "rob2", {"D1": "high"}, answers=answers,
                      reasons={"D1": "sealed envelopes, opened out of order (p. 3)"})
    record_assessment(store, "Ke 2011", "B", "rob2", {}, answers=LOW_ALL)
    ledger = store.rob_judgements()
    assert ledger[["assessor", "domain", "proposed", "judgement"]].values.tolist()[:2] == [
        ["A", "D1", "low", "high"], ["B", "D1", "low", "low"]]
    assert ledger["tool_version"].iloc[0] == "2019-08-22"


def test_traffic_light_and_summary_plots(store: ReviewStore, artifacts: Path):
    import_rob(store, _example(), "A", "rob1")
    import_rob(store, _example(), "B", "rob1")
    table = consensus_rob(store, "rob1")
    fig = rob_traffic_light(table, title="Risk of bias (RoB 1), HCC example")
    ax = fig.axes[0]
    circles = [c for c in ax.collections if c.get_gid() == "rob-circles"]
    assert circles[0].get_offsets().shape == (5 * 8, 2)     # 5 studies x (7 domains + overall)
    glyphs = [t.get_text() for t in ax.texts if t.get_gid() == "rob-glyph"]
    assert glyphs.count("\u00d7") == (table == "high").sum().sum()
    fig.savefig(artifacts / "rob_traffic_light_hcc.png", dpi=110)
    revman = rob_traffic_light(table, glyphs="revman", palette="colourblind")
    assert "\u2212" in [t.get_text() for t in revman.axes[0].texts]
    revman.savefig(artifacts / "rob_traffic_light_hcc_revman_colourblind.png", dpi=110)
    fig = rob_summary(table, weights=pd.Series([30, 10, 20, 25, 15], index=table.index),
                      title="Risk of bias summary (weighted)")
    bars = [p for p in fig.axes[0].patches if p.get_gid() == "rob-bar-high"]
    # Blinding of participants: Ke, Li and Zhou high (weights 30 + 20 + 15 of 100).
    assert any(abs(b.get_width() - 65.0) < 1e-9 for b in bars)
    fig.savefig(artifacts / "rob_summary_hcc_weighted.png", dpi=110)
    with pytest.raises(InputError, match=r"table column 'D1', study 'X': expected one of"):
        rob_traffic_light(pd.DataFrame({"D1": ["good"]}, index=["X"]))
    with pytest.raises(InputError, match="palette: expected 'cochrane' or 'colourblind'"):
        rob_summary(table, palette="viridis")  # type: ignore[arg-type]

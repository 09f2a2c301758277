"""examples/review_hcc end to end: two reviewers and an adjudicator, risk of bias by two
assessors and consensus, extraction, and the meta-analyses, all from one review store.

The expected numbers are worked out by hand from the departures listed in
examples/review_hcc/simulate_reviewers.py and from examples/hcc_hifu_rt."""

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from oncostat.errors import InputError
from oncostat.meta.summary import summarise
from oncostat.review import ReviewStore, prisma_counts
from oncostat.study import run_study

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HERE = EXAMPLES / "review_hcc"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("review_hcc")
    report = run_study(HERE / "study.toml", out)
    return out, report


def _table(out: Path, name: str) -> pd.DataFrame:
    (path,) = (out / "review_hcc_tables").glob(f"table*_{name}.csv")
    return pd.read_csv(path)


def _kappa(po: float, pe: float) -> float:
    return (po - pe) / (1 - pe)


def test_agreement_per_stage_matches_the_hand_count(run):
    out, _ = run
    table = _table(out, "screening_agreement").set_index("Stage")
    # Title/abstract, 57 records; "maybe" counts as include. XL includes 13 + 3 = 16,
    # YW 13 - 2 + 2 = 13; both include 11, disagree on 7, both exclude 39.
    ta_kappa = _kappa(50 / 57, (16 * 13 + 41 * 44) / 57 ** 2)
    # Full text, 13 reports: XL includes 6, YW 6 + 1 + 1 "maybe" = 8; they disagree on 2
    # (a different exclusion reason is a conflict but not a kappa disagreement).
    ft_kappa = _kappa(11 / 13, (6 * 8 + 7 * 5) / 13 ** 2)
    assert list(table["Records"]) == [57, 13]
    assert list(table["Conflicts"]) == [7, 3] and list(table["Adjudicated"]) == [7, 3]
    kappas = table["Cohen's kappa (95% CI)"].str.split(" ").str[0].astype(float)
    assert_allclose(kappas, [round(ta_kappa, 2), round(ft_kappa, 2)])
    # The full-text CI passes 1 before it is cut (psych::cohen.kappa cuts it too).
    assert table.loc["Full text", "Cohen's kappa (95% CI)"].endswith("to 1.00)")


def test_prisma_comes_from_the_ledger_and_matches_the_readme(run):
    out, _ = run
    with ReviewStore.open(out / "review_hcc_review.db") as store:
        c = prisma_counts(store, studies_in_meta_analysis=5)
    assert (c.identified, c.duplicates_removed, c.screened, c.screen_excluded) == \
        (91, 34, 57, 44)
    assert (c.sought, c.not_retrieved, c.assessed) == (13, 2, 11)
    assert c.excluded_reasons == {"Not a randomised trial": 2,
                                  "Multiple combination therapies": 1,
                                  "No ultrasound-guided intervention": 1,
                                  "Ongoing trial, no results": 1}
    assert (c.studies_included, c.reports_included) == (5, 6)


def test_conflicts_record_both_reviewers_and_the_adjudication(run):
    out, _ = run
    conflicts = _table(out, "screening_conflicts")
    tace = conflicts[conflicts["Title"].str.contains("transarterial")].iloc[0]
    assert tace["Reviewers"] == ("XL: exclude (Multiple combination therapies); "
                                 "YW: exclude (No ultrasound-guided intervention)")
    assert tace["Adjudication"] == "HZ: exclude (Multiple combination therapies)"
    assert (conflicts["Adjudication"].str.startswith("HZ: include")).sum() == 2


def test_rob_consensus_is_the_judgement_of_hcc_hifu_rt(run):
    out, _ = run
    from oncostat.review.rob import consensus_rob

    truth = pd.read_csv(EXAMPLES / "hcc_hifu_rt" / "risk_of_bias.csv").set_index("study")
    with ReviewStore.open(out / "review_hcc_review.db") as store:
        rob = consensus_rob(store, "rob1", labels="id")
    domains = rob.drop(columns="Overall").loc[truth.index]
    assert (domains.to_numpy() == truth.drop(columns="year").to_numpy()).all()
    assert list(rob["Overall"]) == ["high", "unclear", "high", "unclear", "high"]


def test_meta_analyses_equal_those_of_the_extracted_table(run):
    out, _ = run
    data = pd.read_csv(EXAMPLES / "hcc_hifu_rt" / "outcomes.csv")
    direct = summarise(data[data["outcome"] == "PR"], model="fixed").pooled
    pooled = [pd.read_csv(p) for p in sorted((out / "review_hcc_tables").glob("table*_pooled.csv"))]
    assert [list(t["Outcome"]) for t in pooled] == [
        ["CR"], ["PR", "PR, excluding studies at high risk of bias"], ["AE"]]
    pr_table = pooled[1].set_index("Outcome")
    assert pr_table.loc["PR", "OR [95% CI]"] == (
        f"{direct.estimate:.2f} [{direct.ci_low:.2f}, {direct.ci_high:.2f}]")
    # Ke 2011, Li 2014 and Zhou 2015 are at high risk overall: Wang 2018 is left.
    wang = data[(data["outcome"] == "PR") & (data["study"] == "Wang 2018")].iloc[0]
    odds = (wang.events_treat * (wang.total_ctrl - wang.events_ctrl)
            / (wang.events_ctrl * (wang.total_treat - wang.events_treat)))
    sens = pr_table.loc["PR, excluding studies at high risk of bias"]
    assert sens["Studies"] == 1
    assert sens["OR [95% CI]"].startswith(f"{odds:.2f} [")
    assert math.isclose(odds, 26 * 52 / (15 * 41))


def test_report_has_every_figure(run):
    out, report = run
    figures = sorted(p.stem for p in (out / "review_hcc_figures").glob("*.png"))
    assert [f.split("_", 1)[1] for f in figures] == [
        "prisma", "rob_traffic_light", "rob_summary", "forest_cr", "forest_pr",
        "forest_pr_excluding_studies_at_high_risk", "forest_ae"]
    html = report.read_text()
    assert "Risk of Bias" in html  # the forest plots' RoB columns
    assert "conflicts were resolved by HZ" in html


def test_a_bad_decision_file_stops_the_run_with_nothing_written(tmp_path):
    folder = tmp_path / "review_hcc"
    shutil.copytree(HERE, folder)
    path = folder / "screening" / "title_abstract_YW.csv"
    lines = path.read_text().splitlines()
    lines[5] = "99999999" + lines[5][lines[5].index(","):]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"title_abstract_YW.csv: row 5, column 'record_id': "
                                         r"'99999999' is not a record"):
        run_study(folder / "study.toml", tmp_path / "out")
    assert not (tmp_path / "out").exists()

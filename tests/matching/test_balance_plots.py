"""Love plot, propensity-score distributions and the matching flow: what is drawn."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from oncostat.errors import InputError
from oncostat.matching.balance import balance
from oncostat.plot.love import love_plot
from oncostat.plot.ps import match_flow, ps_distribution
from tests.conftest import REFERENCE


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture
def cohort() -> pd.DataFrame:
    d = pd.read_csv(REFERENCE / "matching" / "data" / "balance_cohort.csv")
    d["ecog"] = d["ecog"].astype(str)
    return d


def _gid_lines(ax, gid: str) -> list:
    return [ln for ln in ax.lines if ln.get_gid() == gid]


def test_love_plot_two_arms(cohort: pd.DataFrame, artifacts) -> None:
    res = balance(cohort, cohort[cohort.weights > 0], treatment="treat", focal=1,
                  weights_after="weights", covariates=["ps", "age", "bmi", "male", "ecog", "size"])
    fig = love_plot(res, title="Balance before and after 2:1 matching")
    ax = fig.axes[0]
    before, after = _gid_lines(ax, "before"), _gid_lines(ax, "after")
    assert len(before) == 1 and len(after) == 1
    x, _ = before[0].get_data()
    assert np.allclose(sorted(x), sorted(res.table["smd_before"].abs()))
    # largest |SMD| before matching at the top
    assert ax.get_yticklabels()[-1].get_text() == "ps"
    assert [ln.get_xdata()[0] for ln in ax.lines if ln.get_gid() == "threshold"] == [0.1]
    fig.savefig(artifacts / "love_two_arms.png", dpi=150, bbox_inches="tight")


def test_love_plot_three_arms_signed(artifacts) -> None:
    d = pd.read_csv(REFERENCE / "matching" / "data" / "balance_three.csv")
    res = balance(d, d, treatment="arm", focal="A", covariates=["age", "male", "size"],
                  weights_after="weights")
    fig = love_plot(res, abs=False)
    ax = fig.axes[0]
    assert len(_gid_lines(ax, "after")) == 3      # one colour per pair
    assert sorted(ln.get_xdata()[0] for ln in ax.lines if ln.get_gid() == "threshold") == \
        [-0.1, 0.1]
    assert ax.get_xlim()[0] < 0
    fig.savefig(artifacts / "love_three_arms.png", dpi=150, bbox_inches="tight")
    # With the seed's arm names five legend keys do not fit in one row above the panel:
    # two rows, inside the figure even when saved without bbox_inches="tight".
    d["arm"] = d["arm"].map({"A": "HIFU", "B": "BSC", "C": "Chemotherapy"})
    fig = love_plot(balance(d, d, treatment="arm", focal="HIFU",
                            covariates=["age", "male", "size"], weights_after="weights"))
    fig.canvas.draw()
    box = fig.axes[0].get_legend().get_window_extent()
    assert box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1


def test_ps_distribution_mirrored_before_after(cohort: pd.DataFrame, artifacts) -> None:
    cohort = cohort.assign(arm=np.where(cohort.treat == 1, "Treated", "Control"),
                           p=1 / (1 + np.exp(-cohort.ps)))
    before = cohort[["arm", "p"]].rename(columns={"p": "ps"})
    after = cohort.loc[cohort.weights > 0, ["arm", "p", "weights"]].rename(
        columns={"p": "ps", "weights": "weight"})
    fig = ps_distribution(before.sort_values("arm", ascending=False), after)
    assert [a.get_title() for a in fig.axes] == ["Before matching", "After matching"]
    bars = [p for p in fig.axes[0].patches if p.get_gid() == "arm:Treated"]
    ctrl = [p for p in fig.axes[0].patches if p.get_gid() == "arm:Control"]
    assert len(bars) == 20 and all(b.get_height() >= 0 for b in bars)
    assert all(b.get_height() <= 0 for b in ctrl)                     # mirrored below
    assert np.isclose(sum(b.get_height() for b in bars), 1.0)          # proportions of arm
    fig.savefig(artifacts / "ps_two_arms.png", dpi=150, bbox_inches="tight")


def test_ps_distribution_three_arms_outline(artifacts) -> None:
    rng = np.random.default_rng(3)
    scores = pd.DataFrame({"arm": np.repeat(["HIFU", "BSC", "PC"], [40, 80, 80]),
                           "ps": np.r_[rng.beta(4, 3, 40), rng.beta(2, 4, 80), rng.beta(3, 4, 80)]})
    fig = ps_distribution(scores)
    assert len(fig.axes) == 1
    assert len([p for p in fig.axes[0].patches if str(p.get_gid()).startswith("arm:")]) == 3
    fig.savefig(artifacts / "ps_three_arms.png", dpi=150, bbox_inches="tight")
    with pytest.raises(InputError, match="one arm"):
        ps_distribution(scores[scores.arm == "PC"])
    with pytest.raises(InputError, match="'score' not found"):
        ps_distribution(scores, ps="score")


def test_match_flow_boxes(artifacts) -> None:
    fig = match_flow({"HIFU": 8, "BSC": 16, "PC": 16}, {"HIFU": 8, "BSC": 16, "PC": 16},
                     {"HIFU": 0, "BSC": 0, "PC": 0})
    texts = {t.get_gid(): t.get_text() for t in fig.axes[0].texts if t.get_gid()}
    assert texts["text:before:HIFU"] == "HIFU\nn = 8"
    assert texts["text:matched:PC"] == "Matched\nn = 16"
    assert texts["text:excluded:BSC"] == "Excluded\nn = 0"
    fig.savefig(artifacts / "match_flow_seed.png", dpi=150, bbox_inches="tight")
    fig = match_flow({1: 69, 0: 251}, {1: 62, 0: 94}, {1: 7, 0: 157})
    fig.savefig(artifacts / "match_flow_caliper.png", dpi=150, bbox_inches="tight")
    with pytest.raises(InputError, match="arm 'HIFU': n_before 8 is not n_matched 7"):
        match_flow({"HIFU": 8}, {"HIFU": 7}, {"HIFU": 0})

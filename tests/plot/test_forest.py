"""Forest plots: what is drawn (squares, diamonds, lines of text), layout, and the PNGs."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle
from matplotlib.text import Text

from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.meta import meta_analysis, subgroup_analysis
from oncostat.plot import forest
from oncostat.plot._style import revman_p
from oncostat.plot.forest import ROB_COLOURS, ROW
from tests.conftest import REFERENCE

DATA = REFERENCE / "meta" / "data"
ROB_DOMAINS = [
    "Random sequence generation (selection bias)",
    "Allocation concealment (selection bias)",
    "Blinding of participants and personnel (performance bias)",
    "Blinding of outcome assessment (detection bias)",
    "Incomplete outcome data (attrition bias)",
    "Selective reporting (reporting bias)",
    "Other bias",
]


@pytest.fixture
def rob(bcg: pd.DataFrame) -> pd.DataFrame:
    levels = ["low", "some concerns", "high", "low", "unclear"]
    cells = itertools.cycle(levels)
    return pd.DataFrame([[next(cells) for _ in ROB_DOMAINS] for _ in bcg["study"]],
                        index=bcg["study"], columns=ROB_DOMAINS)


def simulated(k: int, seed: int = 1) -> pd.DataFrame:
    """``k`` two-arm trials with a true log odds ratio of -0.3 and some heterogeneity."""
    rng = np.random.default_rng(seed)
    n_t, n_c = rng.integers(60, 600, k), rng.integers(60, 600, k)
    p_c = rng.uniform(0.15, 0.4, k)
    log_or = rng.normal(-0.3, 0.25, k)
    odds_t = p_c / (1 - p_c) * np.exp(log_or)
    return pd.DataFrame({
        "study": [f"Investigator {i + 1:02d} et al. ({1985 + i % 35})" for i in range(k)],
        "events_treat": rng.binomial(n_t, odds_t / (1 + odds_t)), "total_treat": n_t,
        "events_ctrl": rng.binomial(n_c, p_c), "total_ctrl": n_c})


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def line(fig: Figure, start: str) -> str:
    found = [t for t in texts(fig) if t.startswith(start)]
    assert len(found) == 1, found
    return found[0]


def by_gid(fig: Figure, gid: str) -> list:
    return [a for ax in fig.axes for a in ax.get_children() if a.get_gid() == gid]


def diamonds(fig: Figure) -> list[Polygon]:
    return [p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("diamond-")]


def assert_no_overlap(fig: Figure) -> None:
    """No two pieces of text overlap, and all text lies inside the figure."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    items: list[Text] = [t for ax in fig.axes for t in ax.texts if t.get_text()]
    items += [t for t in fig.axes[0].get_xticklabels() if t.get_text()]
    boxes = np.array([t.get_window_extent(renderer).extents for t in items])
    fig_box = fig.bbox.extents
    assert (boxes[:, 0] >= fig_box[0]).all() and (boxes[:, 2] <= fig_box[2]).all()
    assert (boxes[:, 1] >= fig_box[1]).all() and (boxes[:, 3] <= fig_box[3]).all()
    x0, y0, x1, y1 = (boxes[:, i] for i in range(4))
    overlap_x = np.minimum(x1[:, None], x1[None, :]) - np.maximum(x0[:, None], x0[None, :])
    overlap_y = np.minimum(y1[:, None], y1[None, :]) - np.maximum(y0[:, None], y0[None, :])
    overlap = (overlap_x > 0.5) & (overlap_y > 0.5)
    np.fill_diagonal(overlap, False)
    pairs = [(items[i].get_text(), items[j].get_text()) for i, j in zip(*np.nonzero(overlap),
                                                                           strict=True) if i < j]
    assert not pairs, pairs[:5]


def test_one_square_per_study_with_area_proportional_to_weight(bcg: pd.DataFrame) -> None:
    res = meta_analysis(bcg)
    fig = forest(res)
    (squares,) = by_gid(fig, "squares")
    assert len(squares.get_offsets()) == res.k == 13
    weights = res.studies["weight"].to_numpy()
    areas = squares.get_sizes()
    assert np.all(np.diff(areas[np.argsort(weights)]) >= 0)
    # Above the minimum square size, area / weight is one constant.
    big = areas > 2.0**2 + 1e-9  # squares are at least 2 points wide
    assert np.allclose(areas[big] / weights[big], areas[big][0] / weights[big][0])
    assert np.allclose(squares.get_offsets()[:, 0], res.studies["estimate"])


def test_pooled_diamond_spans_the_ci_on_a_log_axis(bcg: pd.DataFrame) -> None:
    res = meta_analysis(bcg, measure="RR", model="random")
    fig = forest(res)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    (diamond,) = diamonds(fig)
    x = diamond.get_xy()[:, 0]
    assert math.isclose(x.min(), res.ci_low) and math.isclose(x.max(), res.ci_high)
    # On screen the estimate sits where the log scale puts it between the limits.
    screen = ax.transData.transform([(res.ci_low, 0), (res.estimate, 0), (res.ci_high, 0)])
    share = (screen[1, 0] - screen[0, 0]) / (screen[2, 0] - screen[0, 0])
    log_share = (res.log_estimate - math.log(res.ci_low)) / math.log(res.ci_high / res.ci_low)
    assert math.isclose(share, log_share, rel_tol=1e-6)
    null = [ln for ln in ax.lines if list(ln.get_xdata()) == [1, 1]]
    assert len(null) == 1


def test_heterogeneity_and_overall_effect_lines_read_as_revman(bcg: pd.DataFrame) -> None:
    fixed = meta_analysis(bcg)
    h = fixed.heterogeneity
    text = line(forest(fixed), "Heterogeneity:")
    assert text == (f"Heterogeneity: Chi² = {h.q:.2f}, df = 12 (P < 0.00001); "
                    f"I² = {100 * h.i2:.0f}%")
    assert "Tau²" not in text
    effect = line(forest(fixed), "Test for overall effect:")
    assert effect == f"Test for overall effect: Z = {abs(fixed.statistic):.2f} (P < 0.00001)"
    random = meta_analysis(bcg, model="random")
    assert line(forest(random), "Heterogeneity:").startswith(
        f"Heterogeneity: Tau² = {random.heterogeneity.tau2:.2f}; Chi² = {h.q:.2f}, df = 12")
    assert "M-H, Random (DL), 95% CI" in texts(forest(random))


def test_table_has_counts_weights_and_intervals(bcg: pd.DataFrame) -> None:
    res = meta_analysis(bcg)
    shown = texts(forest(res))
    for header in ("Study or Subgroup", "Events", "Total", "Weight", "Odds Ratio",
                   "M-H, Fixed, 95% CI", "Treatment", "Control"):
        assert header in shown
    row = res.studies.iloc[0]
    assert {"Aronson", "4", "123", "11", "139", f"{row['weight']:.1f}%",
            f"{row['estimate']:.2f} [{row['ci_low']:.2f}, {row['ci_high']:.2f}]"} <= set(shown)
    assert {"Total (95% CI)", "100.0%", str(bcg["total_treat"].sum()),
            str(bcg["events_ctrl"].sum()), "Total events"} <= set(shown)
    assert "Favours treatment" in shown and "Favours control" in shown
    plain = forest(res, show_counts=False, labels=None)
    assert "Events" not in texts(plain) and "Favours control" not in texts(plain)


def test_subgroups_get_a_diamond_each_and_the_difference_test(bcg: pd.DataFrame) -> None:
    res = subgroup_analysis(bcg, by="alloc")
    fig = forest(res)
    assert len(diamonds(fig)) == len(res.subgroups) + 1
    d = res.difference
    assert line(fig, "Test for subgroup differences:") == (
        f"Test for subgroup differences: Chi² = {d.q:.2f}, df = {d.df} "
        f"({revman_p(d.pvalue)}), I² = {100 * d.i2:.1f}%")
    shown = texts(fig)
    assert shown.count("Subtotal (95% CI)") == len(res.subgroups)
    assert sum(t.startswith("Heterogeneity:") for t in shown) == len(res.subgroups) + 1
    assert set(res.subgroups) <= set(shown)
    # Each subtotal diamond spans its subgroup's CI.
    for sub, diamond in zip(res.subgroups.values(), diamonds(fig), strict=False):
        x = diamond.get_xy()[:, 0]
        assert math.isclose(x.min(), sub.ci_low) and math.isclose(x.max(), sub.ci_high)
    assert_no_overlap(fig)


def test_excluded_study_is_listed_as_not_estimable() -> None:
    data = pd.read_csv(DATA / "zero_cells.csv")
    with (pytest.warns(DegenerateDataWarning, match="0.5 added"),
          pytest.warns(DegenerateDataWarning, match="double-zero")):
        res = meta_analysis(data)
    fig = forest(res)
    (squares,) = by_gid(fig, "squares")
    assert len(squares.get_offsets()) == int(res.studies["included"].sum()) == res.k
    assert texts(fig).count("Not estimable") == int((~res.studies["included"]).sum()) >= 1


def test_risk_of_bias_circles_one_per_study_and_domain(bcg: pd.DataFrame,
                                                      rob: pd.DataFrame) -> None:
    fig = forest(meta_analysis(bcg), rob=rob)
    glyphs = by_gid(fig, "rob-glyph")
    assert len(glyphs) == len(bcg) * len(ROB_DOMAINS)
    assert {g.get_text() for g in glyphs} == {"+", "?", "\u2212"}
    (circles,) = by_gid(fig, "rob-circles")
    assert len(circles.get_offsets()) == len(glyphs)
    colours = {tuple(np.round(c, 3)) for c in circles.get_facecolors()[:, :3]}
    expected = {tuple(np.round(plt.matplotlib.colors.to_rgb(c), 3))
                for c in ROB_COLOURS.values()}
    assert colours == expected
    assert "(G) Other bias" in texts(fig) and "A" in texts(fig)
    assert_no_overlap(fig)


def test_risk_of_bias_table_is_checked(bcg: pd.DataFrame, rob: pd.DataFrame) -> None:
    res = meta_analysis(bcg)
    with pytest.raises(InputError, match="no row for 1 study \\('Aronson'\\)"):
        forest(res, rob=rob.drop(index="Aronson"))
    bad = rob.copy()
    bad.iloc[2, 0] = "moderate"
    with pytest.raises(InputError, match="study 'Rosenthal et al': expected low"):
        forest(res, rob=bad)


def test_prediction_interval_bar_under_the_diamond(bcg: pd.DataFrame) -> None:
    res = meta_analysis(bcg, model="random", tau2_method="REML", method="IV")
    fig = forest(res, prediction=True)
    (bar,) = [p for p in fig.axes[0].patches if p.get_gid() == "prediction"]
    assert isinstance(bar, Rectangle)
    assert math.isclose(bar.get_x(), res.pi_low)
    assert math.isclose(bar.get_x() + bar.get_width(), res.pi_high)
    (diamond,) = diamonds(fig)
    assert bar.get_y() > diamond.get_xy()[:, 1].max() - 1  # the row below the diamond
    assert "Prediction interval" in texts(fig)
    with pytest.raises(InputError, match="prediction=True needs a random-effects model"):
        forest(meta_analysis(bcg), prediction=True)


def test_continuous_outcome_uses_a_linear_axis_around_zero() -> None:
    res = meta_analysis(pd.read_csv(DATA / "normand1999.csv"), measure="MD", method="IV")
    fig = forest(res)
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear"
    assert any(list(ln.get_xdata()) == [0, 0] for ln in ax.lines)
    assert {"Mean", "SD", "Mean Difference", "IV, Fixed, 95% CI"} <= set(texts(fig))
    (squares,) = by_gid(fig, "squares")
    assert len(squares.get_offsets()) == res.k
    assert_no_overlap(fig)


@pytest.mark.parametrize("k", [3, 13, 40])
def test_no_text_overlaps(k: int) -> None:
    assert_no_overlap(forest(meta_analysis(simulated(k)), title=f"{k} simulated trials"))


def test_height_grows_by_one_row_per_study() -> None:
    heights = [forest(meta_analysis(simulated(k))).get_figheight() for k in (3, 13, 40)]
    assert np.allclose(np.diff(heights) / [10, 27], ROW)


def test_revman_p_values() -> None:
    assert [revman_p(p) for p in (0.2749, 0.0123, 0.00734, 0.000021, 3e-9)] == [
        "P = 0.27", "P = 0.01", "P = 0.007", "P = 0.00002", "P < 0.00001"]


def test_whiskers_leaving_the_axis_end_in_arrows(bcg: pd.DataFrame) -> None:
    res = meta_analysis(bcg)
    fig = forest(res, xlim=(0.5, 2))
    low = (res.studies["ci_low"] < 0.5).sum()
    high = (res.studies["ci_high"] > 2).sum()
    (left,) = by_gid(fig, "arrows-left")
    (right,) = by_gid(fig, "arrows-right")
    assert len(left.get_xdata()) == low and len(right.get_xdata()) == high
    with pytest.raises(InputError, match="xlim"):
        forest(res, xlim=(0, 2))


def test_sort_orders_studies(bcg: pd.DataFrame) -> None:
    res = meta_analysis(bcg)
    fig = forest(res, sort="-weight")
    (squares,) = by_gid(fig, "squares")
    assert np.all(np.diff(squares.get_sizes()) <= 0)
    with pytest.raises(InputError, match="sort: expected a column"):
        forest(res, sort="quality")


def test_given_axes_becomes_the_panel_and_plot_method_delegates(bcg: pd.DataFrame) -> None:
    res = meta_analysis(bcg)
    fig, ax = plt.subplots()
    assert forest(res, ax=ax) is fig
    assert fig.axes[0] is ax and ax.get_xscale() == "log"
    assert isinstance(res.plot(), Figure)
    assert isinstance(subgroup_analysis(bcg, by="alloc").plot(), Figure)
    with pytest.raises(InputError, match="expected a PooledEstimate or SubgroupAnalysis"):
        forest(bcg)  # type: ignore[arg-type]


@pytest.mark.parametrize("suffix", ["svg", "pdf"])
def test_saves_as_vector_graphics(bcg: pd.DataFrame, rob: pd.DataFrame, tmp_path: Path,
                                  suffix: str) -> None:
    fig = forest(subgroup_analysis(bcg, by="alloc", model="random"), rob=rob, prediction=True)
    path = tmp_path / f"x.{suffix}"
    fig.savefig(path)
    assert path.stat().st_size > 1000


def test_write_pngs(bcg: pd.DataFrame, rob: pd.DataFrame, artifacts: Path) -> None:
    """The figures someone looks at (tests/_artifacts/forest_*.png)."""
    figures = {
        "forest_bcg_mh_fixed": forest(meta_analysis(bcg),
                                      title="BCG vaccine and tuberculosis (Colditz 1994)"),
        "forest_bcg_random_pi": forest(meta_analysis(bcg, measure="RR", model="random"),
                                       prediction=True, sort="year",
                                       labels=("Favours BCG", "Favours no BCG"),
                                       arms=("BCG", "No BCG")),
        "forest_bcg_subgroup": forest(subgroup_analysis(bcg, by="alloc", model="random")),
        "forest_bcg_rob": forest(meta_analysis(bcg), rob=rob),
        "forest_normand_md": forest(meta_analysis(pd.read_csv(DATA / "normand1999.csv"),
                                                  measure="MD", method="IV"),
                                    labels=("Favours specialist care", "Favours routine care")),
        "forest_sim_40": forest(meta_analysis(simulated(40)), title="40 simulated trials"),
        "forest_sim_3": forest(meta_analysis(simulated(3))),
    }
    for name, fig in figures.items():
        fig.savefig(artifacts / f"{name}.png", dpi=150)
        assert (artifacts / f"{name}.png").stat().st_size > 10_000

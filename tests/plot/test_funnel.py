"""Funnel plots: points, pseudo-confidence triangle, significance contours, trim and fill."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from oncostat.errors import InputError
from oncostat.meta import meta_analysis, subgroup_analysis
from oncostat.meta.small_study import trim_and_fill
from oncostat.plot import funnel
from tests.conftest import REFERENCE

DATA = REFERENCE / "meta" / "data"


def by_gid(fig: Figure, gid: str) -> list:
    return [a for a in fig.axes[0].get_children() if a.get_gid() == gid]


def imputed(res: object, n: int = 3) -> SimpleNamespace:
    """A stand-in trim-and-fill result: mirror images of the ``n`` largest effects."""
    s = res.studies  # type: ignore[attr-defined]
    centre = res.log_estimate  # type: ignore[attr-defined]
    top = s.nlargest(n, "yi")
    filled = pd.DataFrame({"yi": 2 * centre - top["yi"], "vi": top["vi"]})
    return SimpleNamespace(filled=filled, estimate=centre - 0.1)


def test_one_point_per_study_at_effect_and_se(bcg: pd.DataFrame) -> None:
    res = meta_analysis(bcg, measure="RR", method="IV", model="random")
    fig = funnel(res)
    (points,) = by_gid(fig, "studies")
    xy = points.get_offsets()
    assert len(xy) == res.k == 13
    assert np.allclose(xy[:, 0], res.studies["yi"])
    assert np.allclose(xy[:, 1], np.sqrt(res.studies["vi"]))
    ax = fig.axes[0]
    bottom, top = ax.get_ylim()
    assert top == 0 and bottom > xy[:, 1].max()  # inverted: precise studies on top


def test_pseudo_ci_triangle_has_its_apex_at_the_pooled_estimate(bcg: pd.DataFrame) -> None:
    res = meta_analysis(bcg, measure="OR", method="IV")
    fig = funnel(res, contours=None)
    (triangle,) = by_gid(fig, "pseudo-ci")
    x, y = triangle.get_xdata(), triangle.get_ydata()
    apex = int(np.argmin(y))
    assert y[apex] == 0 and math.isclose(x[apex], res.log_estimate)
    # The sides reach estimate ± 1.96 se at the bottom of the plot.
    z = 1.959963984540054
    assert math.isclose(x[0], res.log_estimate - z * y[0])
    assert math.isclose(x[-1], res.log_estimate + z * y[-1])
    (pooled,) = by_gid(fig, "pooled")
    assert list(pooled.get_xdata()) == [res.log_estimate] * 2


def test_contours_shade_significance_around_the_null(bcg: pd.DataFrame) -> None:
    res = meta_analysis(bcg, measure="OR", method="IV")
    fig = funnel(res)
    for level in (0.9, 0.95, 0.99):
        (band,) = by_gid(fig, f"contour-{level:g}")
        x, se = band.get_paths()[0].vertices.T
        z = {0.9: 1.6448536269514722, 0.95: 1.959963984540054, 0.99: 2.5758293035489004}[level]
        # Each band is centred on the null (0 on the log scale), not on the estimate.
        assert np.allclose(np.abs(x), z * se)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[:4] == ["p > 0.10", "0.05 < p ≤ 0.10", "0.01 < p ≤ 0.05", "p ≤ 0.01"]
    assert not any(by_gid(funnel(res, contours=None), "contour-0.95"))
    with pytest.raises(InputError, match="contours"):
        funnel(res, contours=(0.95, 1.5))


def test_ratio_axis_is_labelled_as_ratios(bcg: pd.DataFrame) -> None:
    fig = funnel(meta_analysis(bcg))
    ax = fig.axes[0]
    fig.canvas.draw()
    ticks = {t.get_text(): t.get_position()[0] for t in ax.get_xticklabels()}
    assert math.isclose(ticks["1"], 0.0, abs_tol=1e-12)
    assert math.isclose(ticks["0.5"], math.log(0.5))
    assert ax.get_xlabel() == "Odds Ratio (log scale)"
    md = meta_analysis(pd.read_csv(DATA / "normand1999.csv"), measure="MD", method="IV")
    assert funnel(md).axes[0].get_xlabel() == "Mean Difference"


def test_trim_and_fill_studies_are_open_circles(bcg: pd.DataFrame) -> None:
    res = meta_analysis(bcg, measure="RR", method="IV", model="random")
    tf = imputed(res)
    fig = funnel(res, trimfill=tf)
    (filled,) = by_gid(fig, "filled")
    assert len(filled.get_offsets()) == 3
    assert np.allclose(filled.get_offsets()[:, 0], tf.filled["yi"])
    assert np.allclose(filled.get_facecolors()[:, :3], 1.0)  # open (white) circles
    (adjusted,) = by_gid(fig, "adjusted")
    assert list(adjusted.get_xdata()) == [tf.estimate] * 2
    with pytest.raises(InputError, match="trimfill: expected an object with 'filled'"):
        funnel(res, trimfill=SimpleNamespace(filled=None, estimate=0.0))


def test_takes_oncostat_trim_and_fill_results(bcg: pd.DataFrame) -> None:
    res = meta_analysis(bcg, measure="RR", method="IV", model="random")
    tf = trim_and_fill(res, side="left")
    fig = funnel(res, trimfill=tf)
    (filled,) = by_gid(fig, "filled")
    assert len(filled.get_offsets()) == tf.k0 == len(tf.filled)
    (adjusted,) = by_gid(fig, "adjusted")
    assert list(adjusted.get_xdata()) == [tf.adjusted.log_estimate] * 2


def test_variance_axis_and_bad_arguments(bcg: pd.DataFrame) -> None:
    res = meta_analysis(bcg, measure="RR", method="IV")
    fig = funnel(res, yaxis="vi")
    (points,) = by_gid(fig, "studies")
    assert np.allclose(points.get_offsets()[:, 1], res.studies["vi"])
    assert fig.axes[0].get_ylabel() == "Variance"
    with pytest.raises(InputError, match="yaxis"):
        funnel(res, yaxis="precision")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="expected a PooledEstimate"):
        funnel(subgroup_analysis(bcg, by="alloc"))  # type: ignore[arg-type]


def test_draws_into_a_given_axes(bcg: pd.DataFrame) -> None:
    fig, (_, right) = plt.subplots(1, 2)
    assert funnel(meta_analysis(bcg), ax=right) is fig
    assert by_gid(fig, "studies") == [] and len(right.collections) > 0


@pytest.mark.parametrize("suffix", ["svg", "pdf"])
def test_saves_as_vector_graphics(bcg: pd.DataFrame, tmp_path: Path, suffix: str) -> None:
    res = meta_analysis(bcg, measure="RR", method="IV", model="random")
    path = tmp_path / f"x.{suffix}"
    funnel(res, trimfill=imputed(res)).savefig(path)
    assert path.stat().st_size > 1000


def test_write_pngs(bcg: pd.DataFrame, artifacts: Path) -> None:
    """The figures someone looks at (tests/_artifacts/funnel_*.png)."""
    res = meta_analysis(bcg, measure="RR", method="IV", model="random")
    figures = {
        "funnel_bcg_contours": funnel(res),
        "funnel_bcg_plain": funnel(meta_analysis(bcg), contours=None),
        "funnel_bcg_trimfill": funnel(res, trimfill=imputed(res)),
        "funnel_normand_md": funnel(meta_analysis(pd.read_csv(DATA / "normand1999.csv"),
                                                  measure="MD", method="IV")),
    }
    for name, fig in figures.items():
        fig.savefig(artifacts / f"{name}.png", dpi=150)
        assert (artifacts / f"{name}.png").stat().st_size > 10_000

"""Funnel plot of a meta-analysis, optionally contour-enhanced and with trim-and-fill studies.

References
----------
.. [1] Sterne JAC, Egger M. Funnel plots for detecting bias in meta-analysis: guidelines
       on choice of axis. J Clin Epidemiol. 2001;54:1046-1055.
.. [2] Peters JL, Sutton AJ, Jones DR, Abrams KR, Rushton L. Contour-enhanced
       meta-analysis funnel plots help distinguish publication bias from other causes of
       asymmetry. J Clin Epidemiol. 2008;61:991-996.
.. [3] Duval S, Tweedie R. Trim and fill: a simple funnel-plot-based method of testing
       and adjusting for publication bias in meta-analysis. Biometrics. 2000;56:455-463.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator
from scipy import stats

from oncostat.errors import InputError
from oncostat.meta.analysis import PooledEstimate
from oncostat.plot._style import (
    FONT_SIZE,
    INK,
    LINE_WIDTH,
    TICK_SIZE,
    measure_title,
    minus,
    new_figure,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["TrimFillLike", "funnel"]

# Candidate ratio ticks, coarse to fine; the first set giving three ticks in range is used.
_RATIO_TICKS = tuple(tuple(m * 10.0**e for e in range(-3, 4) for m in mantissas)
                     for mantissas in ((1,), (1, 2, 5), (1, 1.5, 2, 3, 5, 7)))


class TrimFillLike(Protocol):
    """What :func:`funnel` reads from a trim-and-fill result.

    ``filled`` has one row per imputed study with columns ``yi`` and ``vi`` (analysis
    scale). The adjusted pooled effect is ``estimate`` (analysis scale) or, as in
    :class:`oncostat.meta.small_study.TrimAndFill`, ``adjusted.log_estimate``.
    """

    @property
    def filled(self) -> pd.DataFrame: ...


def funnel(
    result: PooledEstimate,
    *,
    ax: Axes | None = None,
    contours: tuple[float, ...] | None = (0.90, 0.95, 0.99),
    trimfill: TrimFillLike | None = None,
    yaxis: Literal["se", "vi"] = "se",
) -> Figure:
    """Funnel plot: study effects against their standard errors [1]_.

    Parameters
    ----------
    result : PooledEstimate
        From :func:`oncostat.meta.meta_analysis`; studies that did not enter the analysis
        are not drawn.
    ax : Axes, optional
        Axes to draw in; by default a new figure. The legend sits right of the Axes.
    contours : tuple of float, optional
        Confidence levels of the significance contours around the null effect (the
        contour-enhanced funnel plot of Peters et al. [2]_, metafor's ``level``). The
        region where a study would be non-significant at the smallest level is white,
        the bands beyond it are shaded grey (as metafor's ``shade``), so one can see
        whether missing studies lie where non-significant results would be. ``None``
        draws the plain funnel.
    trimfill : TrimAndFill or similar, optional
        A trim-and-fill result [3]_, e.g. from
        :func:`oncostat.meta.small_study.trim_and_fill`: ``filled`` (DataFrame with ``yi``,
        ``vi`` of the imputed studies) and the adjusted effect on the analysis scale as
        ``estimate`` or ``adjusted.log_estimate``. Imputed studies are drawn as open
        circles and the adjusted estimate as a dotted line.
    yaxis : {"se", "vi"}
        Standard error (the recommended axis [1]_) or sampling variance (metafor's
        ``yaxis="sei"`` and ``"vi"``), inverted so that precise studies are on top.

    Returns
    -------
    Figure

    Notes
    -----
    The x axis is the analysis scale (log scale for odds and risk ratios) with ticks
    labelled as ratios. The dashed pseudo confidence region is
    ``estimate ± z * se`` at ``result.confidence_level`` around the pooled estimate.
    """
    if not isinstance(result, PooledEstimate):
        raise InputError(f"funnel: expected a PooledEstimate, got {type(result).__name__}")
    if yaxis not in ("se", "vi"):
        raise InputError(f"yaxis: expected one of se, vi, got {yaxis!r}")
    levels = _check_levels(contours)
    studies = result.studies
    keep = studies["included"].to_numpy(bool) & np.isfinite(studies["yi"].to_numpy(float))
    yi = studies["yi"].to_numpy(float)[keep]
    se = np.sqrt(studies["vi"].to_numpy(float)[keep])
    filled, adjusted = _filled(trimfill)

    fig, ax = new_figure(7.0, 4.6, ax, rect=(0.1, 0.12, 0.58, 0.82))

    se_max = 1.08 * float(np.max(np.concatenate([se, np.sqrt(filled["vi"])]), initial=0.0))
    se_max = se_max if se_max > 0 else 1.0
    grid = np.linspace(0.0, se_max, 201)
    ygrid = grid if yaxis == "se" else grid**2
    z = stats.norm.ppf(0.5 + result.confidence_level / 2)
    centre = result.log_estimate

    xs = np.concatenate([yi, filled["yi"], [centre - z * se_max, centre + z * se_max, 0.0]])
    lo, hi = float(np.min(xs)), float(np.max(xs))
    margin = 0.06 * (hi - lo) if hi > lo else 1.0
    ax.set_xlim(lo - margin, hi + margin)
    ax.set_ylim(float(ygrid[-1]), 0.0)

    handles: list[Any] = []
    if levels:
        handles += _shade_contours(ax, levels, grid, ygrid)
    ax.plot(np.r_[centre - z * grid[::-1], centre + z * grid], np.r_[ygrid[::-1], ygrid],
            ls=(0, (4, 2)), color=INK, lw=LINE_WIDTH, gid="pseudo-ci")
    ax.axvline(centre, color=INK, lw=LINE_WIDTH, gid="pooled")
    handles.append(Line2D([], [], color=INK, lw=LINE_WIDTH, label="Pooled estimate"))
    handles.append(Line2D([], [], color=INK, lw=LINE_WIDTH, ls=(0, (4, 2)),
                          label=f"Pseudo {100 * result.confidence_level:g}% CI"))
    y = se if yaxis == "se" else se**2
    ax.scatter(yi, y, s=22, color=INK, zorder=3, gid="studies")
    handles.append(Line2D([], [], ls="none", marker="o", ms=5, color=INK, label="Studies"))
    if trimfill is not None:
        fse = np.sqrt(filled["vi"].to_numpy(float))
        ax.scatter(filled["yi"], fse if yaxis == "se" else fse**2, s=22, facecolor="white",
                   edgecolor=INK, linewidths=LINE_WIDTH, zorder=3, gid="filled")
        ax.axvline(adjusted, color=INK, lw=LINE_WIDTH, ls=":", gid="adjusted")
        handles += [Line2D([], [], ls="none", marker="o", ms=5, markerfacecolor="white",
                           markeredgecolor=INK, label="Filled studies"),
                    Line2D([], [], color=INK, lw=LINE_WIDTH, ls=":",
                           label="Adjusted estimate")]

    _label_axes(ax, result, yaxis)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False,
              fontsize=FONT_SIZE, borderaxespad=0.0)
    return fig


def _check_levels(contours: tuple[float, ...] | None) -> list[float]:
    if contours is None:
        return []
    levels = sorted(float(c) for c in contours)
    if not levels or any(not 0 < c < 1 for c in levels) or len(set(levels)) < len(levels):
        raise InputError(f"contours: expected distinct confidence levels between 0 and 1, "
                         f"got {contours!r}")
    return levels


def _filled(trimfill: TrimFillLike | None) -> tuple[pd.DataFrame, float]:
    """The imputed studies and the adjusted estimate (analysis scale) of ``trimfill``."""
    if trimfill is None:
        return pd.DataFrame({"yi": np.array([], float), "vi": np.array([], float)}), math.nan
    filled = getattr(trimfill, "filled", None)
    if not isinstance(filled, pd.DataFrame) or not {"yi", "vi"} <= set(filled.columns):
        raise InputError("trimfill: expected an object with 'filled', a DataFrame with "
                         "columns 'yi' and 'vi', and 'estimate' or 'adjusted'")
    estimate = getattr(trimfill, "estimate", None)
    if estimate is None:
        estimate = getattr(getattr(trimfill, "adjusted", None), "log_estimate", math.nan)
    if not math.isfinite(float(estimate)):
        raise InputError("trimfill: expected a finite adjusted estimate ('estimate' or "
                         "'adjusted.log_estimate', analysis scale)")
    return filled[["yi", "vi"]].astype(float), float(estimate)


def _shade_contours(ax: Axes, levels: list[float], grid: np.ndarray, ygrid: np.ndarray
                    ) -> list[Patch]:
    """Bands of two-sided significance around the null, as Peters et al. shade them."""
    # metafor's shades: white inside the smallest level, then darker to lighter grey.
    greys = [str(round(g, 3)) for g in np.linspace(0.55, 0.83, len(levels))]
    alphas = [_alpha(1 - c) for c in levels]
    ax.set_facecolor(greys[-1])
    colours = ["white", *greys[:-1]]
    for level, colour in zip(reversed(levels), reversed(colours), strict=True):
        zc = stats.norm.ppf(0.5 + level / 2)
        ax.fill_betweenx(ygrid, -zc * grid, zc * grid, color=colour, lw=0, zorder=0,
                         gid=f"contour-{level:g}")
    names = [f"p > {alphas[0]}"]
    names += [f"{alphas[i + 1]} < p ≤ {alphas[i]}" for i in range(len(levels) - 1)]
    names.append(f"p ≤ {alphas[-1]}")
    return [Patch(facecolor=c, edgecolor="0.4", lw=0.4, label=n)
            for c, n in zip([*colours, greys[-1]], names, strict=True)]


def _alpha(p: float) -> str:
    """Significance level with two decimals unless it needs more: 0.10, 0.05, 0.001."""
    return f"{p:.2f}" if math.isclose(p, round(p, 2)) else f"{p:.3g}"


def _label_axes(ax: Axes, result: PooledEstimate, yaxis: str) -> None:
    ax.set_ylabel("Standard error" if yaxis == "se" else "Variance", fontsize=FONT_SIZE)
    ax.tick_params(labelsize=TICK_SIZE, width=LINE_WIDTH)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    name = measure_title(result)
    if not result.is_ratio:
        ax.set_xlabel(name, fontsize=FONT_SIZE)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: minus(f"{v:g}")))
        return
    ax.set_xlabel(f"{name} (log scale)", fontsize=FONT_SIZE)
    lo, hi = ax.get_xlim()
    for candidates in _RATIO_TICKS:
        ticks = [math.log(t) for t in candidates if lo <= math.log(t) <= hi]
        if len(ticks) >= 3:
            ax.xaxis.set_major_locator(FixedLocator(ticks))
            break
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{math.exp(v):.3g}"))

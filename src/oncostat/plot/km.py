"""Kaplan-Meier figures as journals print them.

Step curves with censor ticks, optional pointwise confidence bands, dashed median lines,
the test result in the panel, and a number-at-risk table under the time axis whose columns
sit under the axis ticks [1]_ [2]_.

References
----------
.. [1] Pocock SJ, Clayton TC, Altman DG. Survival plots of time-to-event outcomes in
       clinical trials: good practice and pitfalls. Lancet. 2002;359:1686-1689.
.. [2] Morris TP, Jarvis CI, Cragg W, et al. Proposals on Kaplan-Meier plots in medical
       research and a survey of stakeholder views: KMunicate. BMJ Open. 2019;9:e030215.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.ticker import FixedLocator, MaxNLocator
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from oncostat.errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from oncostat.survival.kaplan_meier import KaplanMeierResult

__all__ = ["COLOURS", "km_plot"]

COLOURS = ("#1f3b73", "#c0392b", "#2e8b57", "#e08214", "#6a3d9a", "#5d6d7e")
"""Arm colours: distinct in print and for the common colour-vision deficiencies."""
FONT_SIZE = 8.5
LINE_WIDTH = 1.3
_ROW = 0.2          # height of one risk-table row, inches
_PANEL = (6.0, 3.6)  # width, height of the curve panel, inches


def _ticks(km: KaplanMeierResult, times: Sequence[float] | None) -> np.ndarray:
    end = max(c.last_time for c in km.curves)
    if times is not None:
        t = np.asarray(sorted(times), dtype=float)
        if t.size == 0 or np.any(t < 0):
            raise InputError(f"times: expected tick times >= 0, got {list(times)}")
        return t
    # Months read best in steps of 3, 6, 12 or 24; MaxNLocator picks among these.
    locator = MaxNLocator(nbins=9, steps=[1, 1.2, 2, 2.4, 3, 6], integer=True, min_n_ticks=4)
    t = np.asarray(locator.tick_values(0, end), dtype=float)
    return t[(t >= 0) & (t <= end * 1.001)]


def km_plot(
    km_result: KaplanMeierResult,
    *,
    ax: Axes | None = None,
    risk_table: bool = True,
    times: Sequence[float] | None = None,
    ci: bool = False,
    median_lines: bool = True,
    annotate: str | None = None,
    xlabel: str = "Months",
    ylabel: str = "Survival probability",
    title: str | None = None,
    colours: Sequence[str] = COLOURS,
    censor_marks: bool = True,
    legend: bool = True,
) -> Figure:
    """Draw Kaplan-Meier curves with a number-at-risk table.

    Parameters
    ----------
    km_result : KaplanMeierResult
        From :func:`oncostat.survival.kaplan_meier`.
    ax : matplotlib Axes, optional
        Panel to draw the curves in; the risk table is then placed below it inside the
        same figure (leave room under ``ax``). By default a new figure is sized so that
        nothing overlaps.
    risk_table : bool, default True
        Numbers at risk (R's ``summary(fit, times)$n.risk``) under each tick, one row
        per arm, coloured as its curve.
    times : sequence of float, optional
        Tick and risk-table times (e.g. every 6 months); default nice multiples.
    ci : bool, default False
        Shade the pointwise confidence band of each curve (the result's ``conf_type``).
    median_lines : bool, default True
        Dashed lines at S = 0.5 down to each reached median.
    annotate : str, optional
        Text for the panel, e.g. ``"Log-rank p < 0.001\\nHR 0.45 (95% CI 0.30 to 0.68)"``
        (:meth:`oncostat.survival.SurvivalSummary.annotation` builds it).
    xlabel, ylabel, title : str
        Axis labels; ``xlabel`` defaults to "Months".

    Returns
    -------
    matplotlib.figure.Figure
    """
    ticks = _ticks(km_result, times)
    k = len(km_result.curves)
    if ax is None:
        import matplotlib.pyplot as plt

        table_h = (0.45 + _ROW * k) if risk_table else 0.0
        # Left margin holds the y label and the arm labels of the risk table (~0.6 em/char).
        longest = max(len(str(c.group)) for c in km_result.curves)
        longest = max(longest, 12) if risk_table else longest   # "Number at risk" over them
        left = max(0.75, 0.45 + longest * FONT_SIZE * 0.6 / 72) if risk_table else 0.75
        top, bottom, right = 0.25, 0.5, 0.2
        width = left + _PANEL[0] + right
        height = top + _PANEL[1] + bottom + table_h
        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes((left / width, (bottom + table_h) / height,
                           _PANEL[0] / width, _PANEL[1] / height))
        table_ax = (fig.add_axes((left / width, 0.12 / height, _PANEL[0] / width,
                                  (_ROW * k) / height), sharex=ax) if risk_table else None)
    else:
        fig = ax.figure
        table_ax = ax.inset_axes((0.0, -0.32 - 0.07 * k, 1.0, 0.07 * k), sharex=ax) \
            if risk_table else None
    ax.set_label("km curves")
    end = float(ticks[-1]) if times is not None else max(c.last_time for c in km_result.curves)
    x_max = max(end, float(ticks[-1]))
    medians = []
    for i, c in enumerate(km_result.curves):
        colour = colours[i % len(colours)]
        x = np.concatenate(([0.0], c.time))
        y = np.concatenate(([1.0], c.surv))
        ax.step(x, y, where="post", color=colour, lw=LINE_WIDTH, label=str(c.group),
                gid=f"curve:{c.group}", solid_joinstyle="miter")
        if censor_marks:
            cens = c.n_censor > 0
            ax.plot(c.time[cens], c.surv[cens], ls="none", marker="|", ms=5, mew=0.9,
                    color=colour, gid=f"censor:{c.group}")
        if ci:
            # R leaves the limits undefined where S = 1 (some transforms) or S = 0; the band
            # is drawn at S there.
            low = np.where(np.isnan(c.ci_low), c.surv, c.ci_low)
            high = np.where(np.isnan(c.ci_high), c.surv, c.ci_high)
            ax.fill_between(x, np.concatenate(([1.0], low)), np.concatenate(([1.0], high)),
                            step="post", color=colour, alpha=0.15, lw=0, gid=f"ci:{c.group}")
        med = km_result.medians.iloc[i]
        if median_lines and med["reached"]:
            medians.append((float(med["median"]), colour))
    for m, colour in medians:
        ax.plot([m, m], [0, 0.5], ls=(0, (3, 2)), lw=0.8, color=colour, gid="median")
    if medians:
        ax.plot([0, max(m for m, _ in medians)], [0.5, 0.5], ls=(0, (3, 2)), lw=0.8,
                color="0.45", gid="median", zorder=1)
    ax.set_xlim(0, x_max * 1.02)
    ax.set_ylim(0, 1.03)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_locator(FixedLocator(np.linspace(0, 1, 6)))
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.1f}")
    ax.set_xlabel(xlabel, fontsize=FONT_SIZE + 0.5)
    ax.set_ylabel(ylabel, fontsize=FONT_SIZE + 0.5)
    ax.tick_params(labelsize=FONT_SIZE, direction="out", length=3, width=0.8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_linewidth(0.8)
    if title:
        ax.set_title(title, fontsize=FONT_SIZE + 1.5, loc="left")
    if legend:
        ax.legend(loc="upper right", frameon=False, fontsize=FONT_SIZE, handlelength=1.8)
    if annotate:
        # Top right, under the legend: the corner curves leave free in most trials.
        below = 0.03 + (0.065 * k if legend else 0.0)
        ax.text(0.98, 0.98 - below, annotate, transform=ax.transAxes, fontsize=FONT_SIZE,
                ha="right", va="top", gid="annotation", linespacing=1.4)
    if table_ax is not None:
        _risk_table(table_ax, km_result, ticks, colours)
    return fig


def _risk_table(tax: Axes, km: KaplanMeierResult, ticks: np.ndarray,
                colours: Sequence[str]) -> None:
    """Numbers at risk under the ticks; arm labels in the left margin."""
    k = len(km.curves)
    tax.set_label("risk table")
    tax.set_ylim(k - 0.5, -0.5)
    for spine in tax.spines.values():
        spine.set_visible(False)
    tax.tick_params(axis="both", length=0, labelbottom=False, labelleft=False)
    at = km.at(ticks)
    label_at = blended_transform_factory(tax.transAxes, tax.transData)
    # Arm labels end clear of the first column, whose numbers are centred on x = 0.
    digits = len(str(int(at["n_risk"].max()))) if len(at) else 1
    shift = ScaledTranslation(-(digits * FONT_SIZE * 0.3 + 8) / 72, 0, tax.figure.dpi_scale_trans)
    title_at = blended_transform_factory(tax.figure.transFigure, tax.transData)
    tax.text(0.015, -1.1, "Number at risk", transform=title_at, ha="left", va="center",
             fontsize=FONT_SIZE, fontweight="bold", gid="risk-title")
    for row, c in enumerate(km.curves):
        colour = colours[row % len(colours)]
        tax.text(0, row, str(c.group), transform=label_at + shift, ha="right", va="center",
                 fontsize=FONT_SIZE, color=colour, gid=f"risk-label:{c.group}")
        counts = at.loc[at["group"] == c.group, "n_risk"].to_numpy()
        for t, n in zip(ticks, counts, strict=True):
            tax.text(t, row, f"{int(n)}", ha="center", va="center", fontsize=FONT_SIZE,
                     color=colour, gid=f"risk:{c.group}")

"""Propensity-score matching figures: score distributions by arm, and the patient flow.

:func:`ps_distribution` draws the propensity scores of each arm before matching and, beside
it, after matching: with two arms as mirrored histograms (the first arm above the axis, the
second below, as MatchIt's ``plot(m, type = "histogram")`` and cobalt's ``bal.plot(...,
mirror = TRUE)`` do [1]_), with three or more as overlaid outline histograms. Heights are
proportions of each arm (weighted after matching), so arms of different sizes compare.
:func:`match_flow` draws the counts of the matching step as boxes, in the style of a CONSORT
diagram [2]_.

References
----------
.. [1] Greifer N. cobalt: covariate balance tables and plots. R package (``bal.plot``).
.. [2] Schulz KF, Altman DG, Moher D. CONSORT 2010 statement. BMJ. 2010;340:c332.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from oncostat._validate import numeric_column, require_columns
from oncostat.errors import InputError
from oncostat.plot._style import INK, LINE_WIDTH, TICK_SIZE
from oncostat.plot.km import COLOURS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["match_flow", "ps_distribution"]


def ps_distribution(
    scores_before: pd.DataFrame,
    scores_after: pd.DataFrame | None = None,
    *,
    arm: str = "arm",
    ps: str = "ps",
    weight: str | None = "weight",
    bins: int = 20,
    ax: Axes | None = None,
    xlabel: str = "Propensity score",
) -> Figure:
    """Distributions of the propensity score by arm, before and after matching.

    Parameters
    ----------
    scores_before : DataFrame
        One row per patient with columns ``arm`` and ``ps`` (e.g. a PropensityModel's scores).
    scores_after : DataFrame, optional
        The matched patients, same columns, plus the matching weights in ``weight`` if that
        column exists. Adds a second panel.
    arm, ps, weight : str
        Column names.
    bins : int, default 20
        Bins over the range of the scores before matching (shared by both panels).
    ax : Axes, optional
        Draw the "before" panel only, into ``ax``.
    xlabel : str
        Label of the score axis.

    Returns
    -------
    Figure
    """
    before = _scores(scores_before, arm, ps, None, "scores_before")
    after = None if scores_after is None else _scores(scores_after, arm, ps, weight,
                                                     "scores_after")
    arms = list(dict.fromkeys(before[0]))
    if len(arms) < 2:
        raise InputError(f"scores_before: column {arm!r} has one arm; expected at least 2")
    lo, hi = float(np.min(before[1])), float(np.max(before[1]))
    if after is not None:
        lo, hi = min(lo, float(np.min(after[1]))), max(hi, float(np.max(after[1])))
    if hi <= lo:
        hi = lo + 1e-9
    edges = np.linspace(lo, hi, bins + 1)
    panels = [("Before matching", before)] + ([("After matching", after)] if after else [])
    if ax is not None:
        fig, axes = ax.figure, [ax]
        panels = panels[:1]
    else:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(panels), figsize=(3.3 * len(panels) + 0.4, 3.0),
                                 sharey=True, squeeze=False, layout="constrained")
        axes = list(axes[0])
    top = 0.0
    for panel, (name, (groups, values, weights)) in zip(axes, panels, strict=True):
        top = max(top, _draw(panel, arms, groups, values, weights, edges))
        panel.set_title(name, fontsize=TICK_SIZE + 1)
        panel.set_xlabel(xlabel, fontsize=TICK_SIZE + 0.5)
        panel.tick_params(labelsize=TICK_SIZE, width=LINE_WIDTH)
        for side in ("top", "right"):
            panel.spines[side].set_visible(False)
    mirrored = len(arms) == 2
    for panel in axes:
        panel.set_ylim((-top * 1.08 if mirrored else 0), top * 1.08)
        if mirrored:
            panel.axhline(0, color=INK, lw=LINE_WIDTH)
            panel.yaxis.set_major_formatter(lambda v, _: f"{abs(v):.2g}")
    axes[0].set_ylabel("Proportion of arm", fontsize=TICK_SIZE + 0.5)
    axes[0].legend(fontsize=TICK_SIZE, frameon=False, loc="upper right")
    return fig


def _scores(data: pd.DataFrame, arm: str, ps: str, weight: str | None, what: str
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"{what}: expected a DataFrame with columns {arm!r} and {ps!r}")
    require_columns(data, [arm, ps], what=what)
    frame = data.reset_index(drop=True)
    values = numeric_column(frame, ps, noun="patient")
    if weight is not None and weight in frame.columns:
        w = numeric_column(frame, weight, minimum=0.0, noun="patient")
    else:
        w = np.ones(len(frame))
    return frame[arm].to_numpy(), values, w


def _draw(ax: Axes, arms: list[Any], groups: np.ndarray, values: np.ndarray,
          weights: np.ndarray, edges: np.ndarray) -> float:
    top = 0.0
    mirrored = len(arms) == 2
    for i, (a, colour) in enumerate(zip(arms, COLOURS * 4, strict=False)):
        sel = groups == a
        if not sel.any() or weights[sel].sum() <= 0:
            continue
        heights, _ = np.histogram(values[sel], bins=edges, weights=weights[sel])
        heights = heights / weights[sel].sum()
        top = max(top, float(heights.max()))
        if mirrored:
            sign = 1 if i == 0 else -1
            ax.bar(edges[:-1], sign * heights, width=np.diff(edges), align="edge",
                   color=colour, alpha=0.75, edgecolor="white", linewidth=0.4,
                   label=str(a), gid=f"arm:{a}")
        else:
            ax.stairs(heights, edges, color=colour, linewidth=1.3, label=str(a),
                      gid=f"arm:{a}")
    return top


def match_flow(n_before: Mapping[Any, int], n_matched: Mapping[Any, int],
               excluded: Mapping[Any, int], *, ax: Axes | None = None,
               excluded_label: str = "Excluded: in no matched set (no partner within the "
                                     "caliper, or not needed)") -> Figure:
    """Patient flow through matching: for each arm, the patients before matching, those
    excluded (in no matched set) and those in matched sets.

    Parameters
    ----------
    n_before, n_matched, excluded : mapping of arm to count
        ``MatchResult.n_before`` and ``n_matched``; ``excluded`` usually their difference.
        Each arm needs ``n_before = n_matched + excluded``.
    ax : Axes, optional
        Axes to draw in (its frame is hidden); by default a new figure.
    excluded_label : str
        Text of the exclusion boxes.

    Returns
    -------
    Figure
    """
    arms = list(n_before)
    if not arms:
        raise InputError("match_flow: n_before has no arms")
    for a in arms:
        if a not in n_matched or a not in excluded:
            raise InputError(f"match_flow: arm {a!r} is missing from n_matched or excluded")
        if int(n_before[a]) != int(n_matched[a]) + int(excluded[a]):
            raise InputError(f"match_flow: arm {a!r}: n_before {n_before[a]} is not n_matched "
                             f"{n_matched[a]} + excluded {excluded[a]}")
    k = len(arms)
    col_w = 2.3
    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(col_w * k + 0.2, 2.9))
        ax = fig.add_axes((0, 0, 1, 1))
    fig = ax.figure
    ax.set_axis_off()
    ax.set_xlim(0, k * col_w + 0.2)
    ax.set_ylim(0, 2.9)
    box_w = col_w - 0.9
    for i, a in enumerate(arms):
        x0 = 0.1 + i * col_w
        cx = x0 + box_w / 2
        _box(ax, cx, 2.45, box_w, 0.55, f"{a}\nn = {int(n_before[a])}", gid=f"before:{a}")
        _box(ax, cx, 0.45, box_w, 0.55, f"Matched\nn = {int(n_matched[a])}",
             gid=f"matched:{a}")
        ex_w = 0.85
        _box(ax, x0 + box_w + 0.05 + ex_w / 2 - 0.3, 1.45, ex_w, 0.62,
             f"Excluded\nn = {int(excluded[a])}", gid=f"excluded:{a}", size=TICK_SIZE - 0.5)
        ax.add_patch(FancyArrowPatch((cx, 2.17), (cx, 0.73), arrowstyle="-|>",
                                     mutation_scale=9, lw=LINE_WIDTH, color=INK))
        ax.add_patch(FancyArrowPatch((cx, 1.45), (x0 + box_w + 0.05 - 0.3, 1.45),
                                     arrowstyle="-|>", mutation_scale=8, lw=LINE_WIDTH,
                                     color=INK))
    ax.text(0.1, 0.02, excluded_label, fontsize=TICK_SIZE - 0.5, color="0.3", va="bottom")
    return fig


def _box(ax: Axes, cx: float, cy: float, w: float, h: float, text: str, *, gid: str,
         size: float = TICK_SIZE + 0.5) -> None:
    ax.add_patch(FancyBboxPatch((cx - w / 2, cy - h / 2), w, h,
                                boxstyle="square,pad=0", fc="white", ec=INK, lw=LINE_WIDTH,
                                gid=gid))
    ax.text(cx, cy, text, ha="center", va="center", fontsize=size, gid=f"text:{gid}")

"""Waterfall plot of the best percentage change of the target sum, bars coloured by best
overall response, with the RECIST 1.1 thresholds as dashed lines [1]_.

References
----------
.. [1] Eisenhauer EA, Therasse P, Bogaerts J, et al. New response evaluation criteria in
       solid tumours: revised RECIST guideline (version 1.1). Eur J Cancer.
       2009;45:228-247.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from oncostat.errors import InputError
from oncostat.plot._style import FONT_SIZE, INK, TICK_SIZE, minus
from oncostat.response.best_response import RESPONSES, ResponseAssessment
from oncostat.response.rates import ResponseRates

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["RESPONSE_COLOURS", "style_axes", "waterfall"]

RESPONSE_COLOURS = {"CR": "#1f3b73", "PR": "#5b9bd5", "SD": "#e6a532", "PD": "#c0392b",
                    "NE": "#9e9e9e"}
"""Best-response colours: blues for response, amber SD, red PD, grey NE."""
PR_LINE = -30.0   # Eisenhauer 2009, 4.3.1: PR is a 30% decrease from baseline
PD_LINE = 20.0    # and PD a 20% increase (from the nadir; drawn against baseline here)


def style_axes(ax: Axes) -> None:
    """Open axes with small outward ticks, as the other oncostat figures."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_linewidth(0.8)
    ax.tick_params(labelsize=TICK_SIZE, direction="out", length=3, width=0.8)


def response_legend(ax: Axes, present: Sequence[str], **kwargs: Any) -> None:
    """Legend of the best-response colours present, CR first."""
    handles = [Patch(facecolor=RESPONSE_COLOURS[r], edgecolor="none", label=r)
               for r in RESPONSES if r in present]
    ax.legend(handles=handles, frameon=False, fontsize=FONT_SIZE, handlelength=1.2,
              **kwargs)


def _panels(result: ResponseAssessment | ResponseRates
            ) -> list[tuple[str | None, pd.DataFrame]]:
    """(arm, best rows) per panel."""
    if isinstance(result, ResponseAssessment):
        return [(None, result.best)]
    if isinstance(result, ResponseRates):
        if not result.assessments:
            raise InputError("waterfall: these response rates were computed from coded best "
                             "responses; a waterfall plot needs lesion measurements "
                             "(assess_response)")
        best = pd.concat([a.best for a in result.assessments], ignore_index=True)
        arm_of = dict(zip(result.best["patient"], result.best["arm"], strict=True))
        best = best[best["patient"].isin(arm_of)]
        return [(str(a), best[best["patient"].map(arm_of) == a])
                for a in result.table["arm"]]
    raise InputError(f"waterfall: expected a ResponseAssessment or ResponseRates, got "
                     f"{type(result).__name__}")


def waterfall(
    result: ResponseAssessment | ResponseRates,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str = "Best change in sum of diameters (%)",
    labels: bool | Mapping[object, str] = False,
) -> Figure:
    """Bars of each patient's best % change from baseline, largest increase first.

    Parameters
    ----------
    result : ResponseAssessment or ResponseRates
        From :func:`oncostat.response.assess_response` (one panel) or
        :func:`oncostat.response.response_rates` on assessments (one panel per arm).
    ax : matplotlib Axes, optional
        Draw into this Axes (one panel only).
    title, ylabel : str
        Panel title and y-axis label.
    labels : bool or mapping, default False
        Patient labels under the bars (True: the identifiers).

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The best change is the smallest % change of the target sum from baseline up to
    progression (``best["best_pct_change"]``); patients without a measured follow-up
    are counted under the panel but not drawn. Bars are coloured by best overall
    response, which may differ from what the bar suggests (a new lesion is PD however
    much the targets shrank). Dashed lines at +20% and -30% mark the RECIST 1.1 PD and
    PR thresholds.
    """
    panels = _panels(result)
    if ax is not None and len(panels) > 1:
        raise InputError("ax: a waterfall with one panel per arm draws its own figure")
    sizes = [max(len(b), 4) for _, b in panels]
    if ax is None:
        import matplotlib.pyplot as plt

        # Margins in inches: y label left, threshold labels right, arm titles (and the
        # figure title) on top, x label, patient labels and the legend below.
        left, right, gap = 0.8, 0.5, 0.25
        top = (0.3 if panels[0][0] is not None else 0.1) + (0.35 if title else 0.0)
        bottom = 0.65 + (0.45 if labels else 0.0)
        width = max(left + right + sum(0.22 * s + 0.3 for s in sizes)
                    + gap * (len(panels) - 1), 4.5)
        height = top + 2.8 + bottom
        fig = plt.figure(figsize=(width, height))
        gs = fig.add_gridspec(1, len(panels), width_ratios=sizes, left=left / width,
                              right=1 - right / width, bottom=bottom / height,
                              top=1 - top / height,
                              wspace=gap * len(panels) / (width - left - right))
        axes = [fig.add_subplot(gs[0, i]) for i in range(len(panels))]
        for a in axes[1:]:
            a.sharey(axes[0])
    else:
        fig, axes = ax.figure, [ax]
    values = pd.concat([b["best_pct_change"] for _, b in panels]).dropna()
    top_y = max(PD_LINE + 15, float(values.max()) + 10) if len(values) else 40.0
    present = set()
    for i, ((arm, best), pax) in enumerate(zip(panels, axes, strict=True)):
        pax.set_label(f"waterfall:{arm}" if arm is not None else "waterfall")
        shown = best.dropna(subset=["best_pct_change"]).sort_values(
            "best_pct_change", ascending=False, kind="stable")
        x = np.arange(len(shown))
        for xi, r in zip(x, shown.itertuples(index=False), strict=True):
            pax.bar(xi, r.best_pct_change, width=0.8, color=RESPONSE_COLOURS[r.best_response],
                    edgecolor="none", gid=f"bar:{r.patient}")
            present.add(r.best_response)
        for y, name in ((PD_LINE, "pd"), (PR_LINE, "pr")):
            pax.axhline(y, ls=(0, (4, 3)), lw=0.8, color="0.35", gid=f"threshold:{name}")
        pax.axhline(0, lw=0.8, color=INK)
        pax.set_xlim(-0.7, max(len(shown), 4) - 0.3)
        pax.set_ylim(-105, top_y)
        style_axes(pax)
        pax.spines["bottom"].set_visible(False)
        if labels:
            names = ([labels.get(p, str(p)) for p in shown["patient"]]
                     if isinstance(labels, Mapping) else [str(p) for p in shown["patient"]])
            pax.set_xticks(x, names, rotation=90, fontsize=TICK_SIZE - 0.5)
        else:
            pax.set_xticks([])
        pax.tick_params(axis="x", length=0)
        missing = len(best) - len(shown)
        drawn = f"{len(shown)} patient{'' if len(shown) == 1 else 's'}"
        if missing:
            drawn += f" ({missing} without a measured follow-up not shown)"
        pax.set_xlabel(drawn, fontsize=FONT_SIZE, color="0.3")
        if arm is not None:
            pax.set_title(arm, fontsize=FONT_SIZE + 1, loc="left")
        if i == 0:
            pax.set_ylabel(ylabel, fontsize=FONT_SIZE + 0.5)
            pax.yaxis.set_major_formatter(lambda v, _: minus(f"{v:g}"))
        else:
            pax.tick_params(axis="y", labelleft=False)
    last = axes[-1]
    for y, text in ((PD_LINE, "+20%"), (PR_LINE, "-30%")):
        last.text(1.01, y, minus(text), transform=last.get_yaxis_transform(), ha="left",
                  va="center", fontsize=TICK_SIZE - 0.5, color="0.35", clip_on=False)
    handles = [Patch(facecolor=RESPONSE_COLOURS[r], edgecolor="none", label=r)
               for r in RESPONSES if r in present]
    fig.legend(handles=handles, frameon=False, fontsize=FONT_SIZE, handlelength=1.2,
               loc="lower center", ncol=len(handles), bbox_to_anchor=(0.5, 0.0))
    if title:
        fig.suptitle(title, fontsize=FONT_SIZE + 1.5, x=0.02, y=0.98, ha="left", va="top")
    return fig

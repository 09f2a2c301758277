"""Swimmer plot: time on study per patient, one bar each, with a marker at every response
assessment [1]_.

References
----------
.. [1] Eisenhauer EA, Therasse P, Bogaerts J, et al. Eur J Cancer. 2009;45:228-247.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D

from oncostat.errors import InputError
from oncostat.plot._style import FONT_SIZE, TICK_SIZE
from oncostat.plot.spider import _UNITS
from oncostat.plot.waterfall import RESPONSE_COLOURS, style_axes
from oncostat.response.best_response import RESPONSES, ResponseAssessment

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["swimmer"]

MARKERS = {"CR": "o", "PR": "^", "SD": "s", "PD": "X", "NE": "o"}
BAR_COLOUR = "#d5dbe3"


def swimmer(
    assessment: ResponseAssessment,
    *,
    ax: Axes | None = None,
    follow_up: Mapping[object, float] | None = None,
    time_unit: str = "weeks",
    title: str | None = None,
) -> Figure:
    """One bar per patient from the start to the last assessment (or ``follow_up``).

    Parameters
    ----------
    assessment : ResponseAssessment
        From :func:`oncostat.response.assess_response` or
        :func:`oncostat.response.best_overall_response`.
    ax : matplotlib Axes, optional
    follow_up : mapping, optional
        Time on study per patient, in days, when it runs beyond the last assessment.
    time_unit : {"weeks", "days", "months"}, default "weeks"
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Bars are sorted longest at the top; each assessment is marked by its timepoint
    response (CR circle, PR triangle, SD square, PD cross, NE open circle) and the
    patient's best overall response is written at the end of the bar.
    """
    if not isinstance(assessment, ResponseAssessment):
        raise InputError(f"swimmer: expected a ResponseAssessment, got "
                         f"{type(assessment).__name__}")
    if time_unit not in _UNITS:
        raise InputError(f"time_unit: expected 'weeks', 'days' or 'months', got {time_unit!r}")
    scale = _UNITS[time_unit]
    best = assessment.best.copy()
    ends = best["last_days"].to_numpy(dtype=float)
    if follow_up is not None:
        extra = np.array([follow_up.get(p, np.nan) for p in best["patient"]], dtype=float)
        bad = extra < np.nan_to_num(ends, nan=0.0)
        if bad.any():
            p = best["patient"].iloc[int(np.flatnonzero(bad)[0])]
            raise InputError(f"follow_up: patient {p!r} has follow-up {follow_up[p]:g} days, "
                             "before their last response assessment")
        ends = np.fmax(ends, extra)
    best["end"] = np.nan_to_num(ends, nan=0.0) / scale
    best = best.sort_values("end", ascending=True, kind="stable").reset_index(drop=True)
    n = len(best)
    if ax is None:
        import matplotlib.pyplot as plt

        # Room under the axis for its label, above for the title; at least the legend's height.
        top = 0.45 if title else 0.2
        height = max(2.0, 0.55 + top + 0.24 * n)
        fig = plt.figure(figsize=(6.4, height))
        ax = fig.add_axes((0.14, 0.55 / height, 0.72, (height - 0.55 - top) / height))
    fig = ax.figure
    ax.set_label("swimmer")
    tp = assessment.timepoints
    for y, r in enumerate(best.itertuples(index=False)):
        ax.barh(y, r.end, height=0.55, color=BAR_COLOUR, edgecolor="none",
                gid=f"bar:{r.patient}")
        rows = tp[tp["patient"] == r.patient]
        for resp in RESPONSES:
            at = rows.loc[rows["response"] == resp, "days"].to_numpy(dtype=float) / scale
            if len(at):
                face = "white" if resp == "NE" else RESPONSE_COLOURS[resp]
                ax.plot(at, np.full(len(at), y), ls="none", marker=MARKERS[resp], ms=5.5,
                        mfc=face, mec=RESPONSE_COLOURS[resp], mew=1.0,
                        gid=f"marker:{r.patient}:{resp}")
        # Clear of a marker drawn at the end of the bar (the last assessment).
        ax.annotate(r.best_response, (r.end, y), xytext=(8, 0), textcoords="offset points",
                    va="center", ha="left", fontsize=TICK_SIZE,
                    color=RESPONSE_COLOURS[r.best_response], fontweight="bold",
                    gid=f"best:{r.patient}")
    ax.set_yticks(range(n), [str(p) for p in best["patient"]], fontsize=TICK_SIZE)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlim(0, max(float(best["end"].max()), 1.0) * 1.08)
    style_axes(ax)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(f"Time since start ({time_unit})", fontsize=FONT_SIZE + 0.5)
    ax.set_ylabel("Patient", fontsize=FONT_SIZE + 0.5)
    present = set(tp["response"])
    handles = [Line2D([], [], ls="none", marker=MARKERS[r], ms=5.5, mew=1.0,
                      mfc="white" if r == "NE" else RESPONSE_COLOURS[r],
                      mec=RESPONSE_COLOURS[r], label=r) for r in RESPONSES if r in present]
    ax.legend(handles=handles, frameon=False, fontsize=FONT_SIZE, loc="upper left",
              bbox_to_anchor=(1.0, 1.0), title="Assessment", title_fontsize=FONT_SIZE)
    if title:
        ax.set_title(title, fontsize=FONT_SIZE + 1.5, loc="left")
    return fig

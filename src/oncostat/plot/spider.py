"""Spider plot: percentage change of the target sum from baseline over time, one line per
patient, coloured by best overall response, with the RECIST 1.1 thresholds [1]_.

References
----------
.. [1] Eisenhauer EA, Therasse P, Bogaerts J, et al. Eur J Cancer. 2009;45:228-247.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from oncostat.errors import InputError
from oncostat.plot._style import FONT_SIZE, INK, minus
from oncostat.plot.waterfall import (
    PD_LINE,
    PR_LINE,
    RESPONSE_COLOURS,
    response_legend,
    style_axes,
)
from oncostat.response.best_response import ResponseAssessment

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["spider"]

_UNITS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12}


def spider(
    assessment: ResponseAssessment,
    *,
    ax: Axes | None = None,
    time_unit: str = "weeks",
    title: str | None = None,
    ylabel: str = "Change in sum of diameters from baseline (%)",
) -> Figure:
    """Percent change from baseline at each assessment, one line per patient.

    Parameters
    ----------
    assessment : ResponseAssessment
        From :func:`oncostat.response.assess_response`.
    ax : matplotlib Axes, optional
    time_unit : {"weeks", "days", "months"}, default "weeks"
        Unit of the time axis (time from the start of treatment, or from baseline).
    title, ylabel : str

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Each line starts at 0% at time 0 (baseline) and joins the assessments with a
    complete target sum; the assessment at which PD was first recorded is marked with a
    cross. Dashed lines mark +20% and -30%.
    """
    if not isinstance(assessment, ResponseAssessment) or "pct_baseline" not in \
            assessment.timepoints:
        raise InputError("spider: expected a ResponseAssessment from assess_response (lesion "
                         "measurements); coded responses have no % change to draw")
    if time_unit not in _UNITS:
        raise InputError(f"time_unit: expected 'weeks', 'days' or 'months', got {time_unit!r}")
    scale = _UNITS[time_unit]
    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(6.0, 4.0))
        ax = fig.add_axes((0.12, 0.12, 0.84, 0.76))
    fig = ax.figure
    ax.set_label("spider")
    tp = assessment.timepoints
    best = dict(zip(assessment.best["patient"], assessment.best["best_response"], strict=True))
    present = set()
    for pid, rows in tp.groupby("patient", sort=False):
        ok = rows["pct_baseline"].notna().to_numpy()
        x = np.concatenate(([0.0], rows["days"].to_numpy(dtype=float)[ok] / scale))
        y = np.concatenate(([0.0], rows["pct_baseline"].to_numpy(dtype=float)[ok]))
        colour = RESPONSE_COLOURS[best[pid]]
        present.add(best[pid])
        ax.plot(x, y, color=colour, lw=1.1, marker="o", ms=3, gid=f"line:{pid}")
        pd_rows = rows[rows["response"] == "PD"]
        if len(pd_rows):
            first = pd_rows.iloc[0]
            # PD by a new or non-target lesion may have no complete sum: mark it on the line.
            yp = first["pct_baseline"] if np.isfinite(first["pct_baseline"]) else y[-1]
            ax.plot(first["days"] / scale, yp, ls="none", marker="x", ms=7, mew=1.6,
                    color=RESPONSE_COLOURS["PD"], gid=f"pd:{pid}")
    for y0, name in ((PD_LINE, "pd"), (PR_LINE, "pr")):
        ax.axhline(y0, ls=(0, (4, 3)), lw=0.8, color="0.35", gid=f"threshold:{name}")
        ax.text(1.0, y0, minus(f"{y0:+g}%"), transform=ax.get_yaxis_transform(), ha="right",
                va="bottom", fontsize=FONT_SIZE - 1, color="0.35")
    ax.axhline(0, lw=0.6, color=INK)
    ax.set_ylim(min(-105.0, ax.get_ylim()[0]), max(40.0, ax.get_ylim()[1]))
    ax.set_xlim(left=0)
    style_axes(ax)
    ax.yaxis.set_major_formatter(lambda v, _: minus(f"{v:g}"))
    ax.set_xlabel(f"Time since start ({time_unit})", fontsize=FONT_SIZE + 0.5)
    ax.set_ylabel(ylabel, fontsize=FONT_SIZE + 0.5)
    response_legend(ax, sorted(present), loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=5,
                    borderaxespad=0.2)
    if title:
        ax.set_title(title, fontsize=FONT_SIZE + 1.5, loc="right")
    return fig

"""Adverse-event dot plot: incidence of each term by arm, any grade and grade >= 3 [1]_.

References
----------
.. [1] Amit O, Heiberger RM, Lane PW. Graphical approaches to the analysis of safety data
       from clinical trials. Pharm Stat. 2008;7:20-35.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D

from oncostat.errors import InputError
from oncostat.plot._style import FONT_SIZE, TICK_SIZE
from oncostat.plot.km import COLOURS
from oncostat.plot.waterfall import style_axes
from oncostat.safety.adverse_events import ANY_EVENT, AdverseEventTable

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["ae_dotplot"]


def ae_dotplot(
    ae_table: AdverseEventTable,
    *,
    ax: Axes | None = None,
    max_terms: int | None = 25,
    include_any: bool = True,
    colours: Sequence[str] = COLOURS,
    title: str | None = None,
) -> Figure:
    """Percent of patients with each adverse event, by arm.

    Parameters
    ----------
    ae_table : AdverseEventTable
        From :func:`oncostat.safety.adverse_event_table`.
    ax : matplotlib Axes, optional
    max_terms : int or None, default 25
        Show the most frequent terms only (None: all).
    include_any : bool, default True
        Show the "Any adverse event" row at the top, set apart by a line.
    colours : sequence of str
        One colour per arm.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    For each term and arm an open circle marks the any-grade incidence and, where any
    patient had grade >= 3, a filled dot joined to it marks the grade >= 3 incidence
    (highest grade per patient), both in percent of the arm's patients; arms are offset
    vertically so their dots do not overlap. Terms run from most to least frequent, top
    to bottom.
    """
    if not isinstance(ae_table, AdverseEventTable):
        raise InputError(f"ae_dotplot: expected an AdverseEventTable, got "
                         f"{type(ae_table).__name__}")
    terms = [t for t in ae_table.terms if t != ANY_EVENT]
    if max_terms is not None:
        terms = terms[:max_terms]
    if include_any:
        terms = [ANY_EVENT, *terms]
    k = len(ae_table.arms)
    n = len(terms)
    if ax is None:
        import matplotlib.pyplot as plt

        longest = max((len(t) for t in terms), default=10)
        left = 0.3 + longest * FONT_SIZE * 0.55 / 72
        key = max(len(f"{a} (n = {m})") for a, m in zip(ae_table.arms, ae_table.n,
                                                           strict=True))
        legend_w = 0.45 + max(key, 12) * TICK_SIZE * 0.6 / 72
        width = left + 3.4 + legend_w
        height = 1.2 + 0.3 * max(n, 2)
        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes((left / width, 0.55 / height, 3.2 / width, (height - 1.0) / height))
    fig = ax.figure
    ax.set_label("ae dotplot")
    table = ae_table.table.set_index(["term", "arm"])
    offsets = (np.arange(k) - (k - 1) / 2) * (0.5 / max(k, 2))
    for j, arm in enumerate(ae_table.arms):
        colour = colours[j % len(colours)]
        for i, term in enumerate(terms):
            r = table.loc[(term, arm)]
            y = i + offsets[j]
            ax.plot(r.any_pct, y, ls="none", marker="o", ms=6, mfc="white", mec=colour,
                    mew=1.2, gid=f"any:{arm}:{term}", zorder=3)
            # A filled dot only where someone had grade >= 3, so that zero incidence
            # reads as an empty ring; equal incidences show a dot inside the ring.
            if r.grade3_n > 0:
                ax.plot([r.grade3_pct, r.any_pct], [y, y], color=colour, lw=0.8, alpha=0.6)
                ax.plot(r.grade3_pct, y, ls="none", marker="o", ms=3.6, mfc=colour,
                        mec=colour, gid=f"grade3:{arm}:{term}", zorder=4)
    if include_any and n > 1:
        ax.axhline(0.5, color="0.6", lw=0.6)
    ax.set_yticks(range(n), terms, fontsize=FONT_SIZE)
    ax.set_ylim(n - 0.5, -0.5)
    top = float(ae_table.table["any_pct"].max()) if len(ae_table.table) else 0.0
    ax.set_xlim(-2, min(100.0, max(10.0, top * 1.1)) + 2)
    ax.grid(axis="x", color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    style_axes(ax)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("Patients (%)", fontsize=FONT_SIZE + 0.5)
    handles = [Line2D([], [], ls="none", marker="s", ms=6, color=colours[j % len(colours)],
                      label=f"{a} (n = {m})")
               for j, (a, m) in enumerate(zip(ae_table.arms, ae_table.n, strict=True))]
    handles += [Line2D([], [], ls="none", marker="o", ms=6, mfc="white", mec="0.3",
                       label="Any grade"),
                Line2D([], [], ls="none", marker="o", ms=3.6, mfc="0.3", mec="0.3",
                       label="Grade \u2265 3")]
    ax.legend(handles=handles, frameon=False, fontsize=TICK_SIZE, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))
    ax.set_title(title or f"Adverse events (CTCAE v{ae_table.ctcae_version})",
                 fontsize=FONT_SIZE + 1, loc="left")
    return fig

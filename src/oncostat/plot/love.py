"""Love plot: standardised mean differences before and after matching, one row per term.

Open circles are the unmatched sample and filled circles the matched sample, with dashed
lines at the balance threshold (0.1 by default, Austin 2009 [1]_), as cobalt's
``love.plot()`` draws it [2]_. Rows are sorted by the SMD before matching, largest at the top.

References
----------
.. [1] Austin PC. Balance diagnostics for comparing the distribution of baseline covariates
       between treatment groups in propensity-score matched samples. Stat Med.
       2009;28:3083-3107.
.. [2] Greifer N. cobalt: covariate balance tables and plots. R package (``love.plot``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from oncostat.errors import InputError
from oncostat.plot._style import INK, LINE_WIDTH, TICK_SIZE, minus, new_figure, text_width
from oncostat.plot.km import COLOURS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from oncostat.matching.balance import BalanceTable

__all__ = ["love_plot"]

_ROW = 0.24     # inches per term
_PANEL_W = 3.4  # width of the plot panel, inches
_MARKER = 5.5


def love_plot(balance_table: BalanceTable, *, threshold: float | None = 0.1, abs: bool = True,
              ax: Axes | None = None, title: str | None = None) -> Figure:
    """Draw the SMD of every term before and after matching.

    Parameters
    ----------
    balance_table : BalanceTable
        From :func:`oncostat.matching.balance.balance` or ``MatchResult.balance()``. With
        three or more arms each pair of arms has its own colour.
    threshold : float or None, default 0.1
        Dashed reference lines at ``±threshold`` (only ``+threshold`` with ``abs=True``).
    abs : bool, default True
        Plot absolute SMDs (cobalt's ``abs = TRUE``).
    ax : Axes, optional
        Axes to draw in; by default a new figure sized to the number of terms.
    title : str, optional
        Printed above the panel.

    Returns
    -------
    Figure
    """
    table = balance_table.table
    if table.empty:
        raise InputError("love_plot: the balance table has no rows")
    terms = list(dict.fromkeys(table["term"]))
    pairs = balance_table.pairs
    before = table.pivot_table(index="term", columns=["arm_a", "arm_b"], values="smd_before",
                               sort=False, dropna=False)
    order_key = before.abs().max(axis=1).reindex(terms).fillna(0).to_numpy()
    terms = [terms[i] for i in np.argsort(-order_key, kind="stable")]
    y = {t: len(terms) - 1 - i for i, t in enumerate(terms)}

    label_w = max(text_width(t, size=TICK_SIZE) for t in terms) + 0.25
    width = label_w + _PANEL_W + 0.3
    panel_h = max(_ROW * len(terms), 1.4)
    # The legend sits above the panel, in two rows when one would be wider than the panel.
    keys = ["Before", *(["After"] if balance_table.matched else []),
            *([f"{a} vs {b}" for a, b in pairs] if len(pairs) > 1 else [])]
    one_row = sum(text_width(k, size=TICK_SIZE) + 0.3 for k in keys)
    rows = 1 if one_row <= _PANEL_W else 2
    height = panel_h + 1.2 + (0.2 if title else 0.0) + 0.2 * (rows - 1)
    fig, ax = new_figure(width, height, ax,
                         rect=(label_w / width, 0.7 / height, _PANEL_W / width,
                               panel_h / height))
    transform = np.abs if abs else (lambda v: v)
    offsets = (np.linspace(-0.18, 0.18, len(pairs)) if len(pairs) > 1 else [0.0])
    for (a, b), colour, dy in zip(pairs, COLOURS * 4, offsets, strict=False):
        part = table[(table["arm_a"] == a) & (table["arm_b"] == b)]
        ys = np.array([y[t] for t in part["term"]]) + dy
        label = f"{a} vs {b}" if len(pairs) > 1 else None
        ax.plot(transform(part["smd_before"].to_numpy()), ys, "o", ms=_MARKER, mfc="white",
                mec=colour, mew=1.0, ls="none", gid="before")
        if balance_table.matched:
            ax.plot(transform(part["smd_after"].to_numpy()), ys, "o", ms=_MARKER, mfc=colour,
                    mec=colour, ls="none", gid="after", label=label)
    ax.axvline(0, color=INK, lw=LINE_WIDTH)
    if threshold is not None:
        for x in (threshold,) if abs else (-threshold, threshold):
            ax.axvline(x, color="0.45", lw=LINE_WIDTH, ls=(0, (4, 3)), gid="threshold")
    ax.set_yticks(range(len(terms)), [t for t in reversed(terms)], fontsize=TICK_SIZE)
    ax.set_ylim(-0.7, len(terms) - 0.3)
    values = table[["smd_before", "smd_after"]].to_numpy(dtype=float)
    hi = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 0.1
    lim = max(hi, threshold or 0) * 1.1 + 0.02
    ax.set_xlim((-0.02 * lim if abs else -lim), lim)  # points at 0 stay clear of the axis
    ax.xaxis.set_major_formatter(lambda v, _: minus(f"{v:g}"))
    ax.tick_params(labelsize=TICK_SIZE, width=LINE_WIDTH)
    ax.set_xlabel(("Absolute standardised" if abs else "Standardised") + " mean difference",
                  fontsize=TICK_SIZE + 0.5)
    ax.grid(axis="y", color="0.92", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", ls="none", mfc="white", mec=INK, label="Before")]
    if balance_table.matched:
        handles.append(Line2D([], [], marker="o", ls="none", mfc=INK, mec=INK, label="After"))
    if len(pairs) > 1:
        handles += [Line2D([], [], marker="s", ls="none", mfc=c, mec=c, label=f"{a} vs {b}")
                    for (a, b), c in zip(pairs, COLOURS * 4, strict=False)]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0),
              ncol=-(-len(handles) // rows),
              fontsize=TICK_SIZE, frameon=False, handletextpad=0.2, columnspacing=1.0,
              borderaxespad=0.2)
    if title:
        ax.annotate(title, xy=(0, 1), xycoords="axes fraction", xytext=(0, 6 + 14 * rows),
                    textcoords="offset points", fontsize=TICK_SIZE + 1, ha="left",
                    va="bottom")
    return fig

"""Risk-of-bias figures as robvis draws them: the traffic-light plot and the summary plot.

Both take the settled table of :func:`oncostat.review.rob.consensus_rob` (one row per
study, one column per domain, optionally ``Overall``). The traffic-light plot is a grid of
coloured circles with a glyph in each; the summary plot stacks, per domain, the share of
studies (or of the total weight) at each judgement [1]_. Colours follow robvis's
"cochrane" palette or its "colourblind" one; glyphs follow robvis or, with
``glyphs="revman"``, Review Manager 5's + ? − [2]_.

References
----------
.. [1] McGuinness LA, Higgins JPT. Risk-of-bias VISualization (robvis): an R package and
       Shiny web app for visualizing risk-of-bias assessments. Res Syn Meth.
       2021;12:55-61.
.. [2] Higgins JPT, Altman DG, Gøtzsche PC, et al. The Cochrane Collaboration's tool for
       assessing risk of bias in randomised trials. BMJ. 2011;343:d5928 (Figures 1, 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from oncostat.errors import InputError
from oncostat.plot._style import FONT_SIZE, INK, new_figure, text_width

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

__all__ = ["PALETTES", "rob_summary", "rob_traffic_light"]

LEVELS = ("low", "unclear", "some concerns", "moderate", "high", "serious", "critical",
          "no information")
"""Judgements of RoB 1, RoB 2 and ROBINS-I, best to worst, then no information."""

PALETTES: dict[str, dict[str, str]] = {
    "cochrane": {"low": "#02C100", "unclear": "#E2DF07", "some concerns": "#E2DF07",
                 "moderate": "#E2DF07", "high": "#BF0000", "serious": "#BF0000",
                 "critical": "#820000", "no information": "#4EA1F7"},
    "colourblind": {"low": "#FED98E", "unclear": "#FE9929", "some concerns": "#FE9929",
                    "moderate": "#FE9929", "high": "#D95F0E", "serious": "#D95F0E",
                    "critical": "#993404", "no information": "#FFFFFF"},
}
"""robvis's ``colour = "cochrane"`` and ``colour = "colourblind"``."""

_GLYPHS = {
    "robvis": {"low": "+", "unclear": "?", "some concerns": "\u2212", "moderate": "\u2212",
               "high": "\u00d7", "serious": "\u00d7", "critical": "!",
               "no information": "?"},
    "revman": {"low": "+", "unclear": "?", "some concerns": "?", "moderate": "?",
               "high": "\u2212", "serious": "\u2212", "critical": "!",
               "no information": "?"},
}
_ALIASES = {"low risk": "low", "unclear risk": "unclear", "high risk": "high",
            "some": "some concerns", "ni": "no information", "+": "low", "?": "unclear",
            "-": "high"}


def _levels(table: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame) or table.shape[1] == 0 or len(table) == 0:
        raise InputError("table: expected a DataFrame with one row per study and one column "
                         "per domain (see oncostat.review.consensus_rob)")
    out = table.astype(object).copy()
    for column in out.columns:
        for study, value in out[column].items():
            if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
                out.at[study, column] = None
                continue
            key = str(value).strip().casefold()
            key = _ALIASES.get(key, key)
            if key not in LEVELS:
                raise InputError(f"table column {column!r}, study {study!r}: expected one of "
                                 f"{', '.join(LEVELS)}, got {value!r}")
            out.at[study, column] = key
    return out


def _check_style(palette: str, glyphs: str) -> None:
    if palette not in PALETTES:
        raise InputError(f"palette: expected 'cochrane' or 'colourblind', got {palette!r}")
    if glyphs not in _GLYPHS:
        raise InputError(f"glyphs: expected 'robvis' or 'revman', got {glyphs!r}")


def _short(columns: list[str]) -> list[str]:
    """Column headings: D1, D2, ... and Overall."""
    return [c if c.casefold() == "overall" else f"D{k}" for k, c in enumerate(columns, 1)]


def rob_traffic_light(
    table: pd.DataFrame, *, ax: Axes | None = None,
    palette: Literal["cochrane", "colourblind"] = "cochrane",
    glyphs: Literal["robvis", "revman"] = "robvis", title: str | None = None,
) -> Figure:
    """Traffic-light plot: one row per study, one circle per domain judgement [1]_.

    Parameters
    ----------
    table : DataFrame
        Indexed by study; one column per domain (named as it should be listed under the
        plot), and optionally ``Overall``. Cells: low, unclear, some concerns, moderate,
        high, serious, critical or no information (RoB 1, RoB 2, ROBINS-I); an empty
        cell (an unsettled judgement) is drawn as an empty circle.
    ax : Axes, optional
        Axes to draw on; by default a new figure sized to the table.
    palette : {"cochrane", "colourblind"}
        robvis's ``colour`` argument.
    glyphs : {"robvis", "revman"}
        robvis's glyphs (+, −, ×, !, ?) or RevMan 5's (+, ?, −).
    title : str, optional

    Returns
    -------
    Figure
    """
    _check_style(palette, glyphs)
    levels = _levels(table)
    columns = [str(c) for c in levels.columns]
    n_rows, n_cols = levels.shape
    used = [lv for lv in LEVELS if (levels == lv).any().any()]
    # Lay the grid out in inches: study labels, circles, legend at the right; the domain
    # key under the grid.
    label_w = max(text_width(str(s)) for s in levels.index) + 0.25
    grid_w, grid_h = 0.36 * n_cols, 0.32 * n_rows
    legend_w = 1.6 if used else 0.2
    top, bottom = 0.55 if title else 0.35, 0.2 + 0.15 * len(columns)
    width, height = label_w + grid_w + legend_w, top + grid_h + bottom
    fig, ax = new_figure(width, height, ax, rect=(label_w / width, bottom / height,
                                                  grid_w / width, grid_h / height))
    colours, marks = PALETTES[palette], _GLYPHS[glyphs]
    xs, ys = np.meshgrid(np.arange(n_cols), np.arange(n_rows))
    values = levels.to_numpy()
    face = [colours.get(v, "white") if v else "white" for v in values.ravel()]
    ax.scatter(xs.ravel(), ys.ravel(), s=260, c=face, edgecolors=INK, linewidths=0.6,
               zorder=2, gid="rob-circles")
    for (y, x), value in np.ndenumerate(values):
        if value:
            ax.text(x, y, marks[value], ha="center", va="center", fontsize=FONT_SIZE + 2,
                    fontweight="bold", color=INK, zorder=3, gid="rob-glyph")
    ax.set_xlim(-0.6, n_cols - 0.4)
    ax.set_ylim(n_rows - 0.4, -0.6)
    ax.set_xticks(range(n_cols), _short(columns), fontsize=FONT_SIZE)
    ax.xaxis.tick_top()
    ax.set_yticks(range(n_rows), [str(s) for s in levels.index], fontsize=FONT_SIZE)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    domain_lines = [f"{s}: {c}" for s, c in zip(_short(columns), columns, strict=True)
                    if s != c]
    handles = [Line2D([], [], marker="o", linestyle="", markersize=9,
                      markerfacecolor=colours[lv], markeredgecolor=INK,
                      label=f"{marks[lv]}  {lv.capitalize()}") for lv in used]
    ax.text(-label_w / grid_w * 0.9, -0.1 / grid_h, "\n".join(domain_lines),
            transform=ax.transAxes, va="top", ha="left", fontsize=FONT_SIZE - 0.5,
            gid="rob-domains")
    if handles:
        ax.legend(handles=handles, loc="upper left", frameon=False, fontsize=FONT_SIZE - 0.5,
                  bbox_to_anchor=(1.0, 1.0), title="Judgement", title_fontsize=FONT_SIZE)
    if title:
        ax.set_title(title, fontsize=FONT_SIZE + 1, pad=16)
    return fig


def rob_summary(
    table: pd.DataFrame, *, weights: ArrayLike | pd.Series | None = None,
    ax: Axes | None = None, palette: Literal["cochrane", "colourblind"] = "cochrane",
    overall: bool = True, title: str | None = None,
) -> Figure:
    """Summary bar plot: per domain, the proportion of studies at each judgement [1]_.

    Parameters
    ----------
    table : DataFrame
        As :func:`rob_traffic_light`. Unsettled (empty) cells are left out of their
        domain's bar.
    weights : array_like or Series, optional
        A weight per study (a Series indexed by study, or one value per row of
        ``table``), e.g. the meta-analysis weights; robvis's ``weighted = TRUE``.
        Unweighted by default (each study counts once).
    ax : Axes, optional
    palette : {"cochrane", "colourblind"}
    overall : bool, default True
        Include the ``Overall`` column (when present) as the last bar.
    title : str, optional

    Returns
    -------
    Figure
    """
    _check_style(palette, "robvis")
    levels = _levels(table)
    if not overall:
        levels = levels[[c for c in levels.columns if str(c).casefold() != "overall"]]
    if weights is None:
        w = np.ones(len(levels))
    elif isinstance(weights, pd.Series):
        missing = [s for s in levels.index if s not in weights.index]
        if missing:
            raise InputError(f"weights: no weight for study {missing[0]!r}")
        w = weights.loc[levels.index].to_numpy(dtype=float)
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(levels),):
            raise InputError(f"weights: expected {len(levels)} values (one per study), got "
                             f"shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise InputError("weights: expected finite weights >= 0, not all zero")
    columns = [str(c) for c in levels.columns]
    used = [lv for lv in LEVELS if (levels == lv).any().any()]
    fig, ax = new_figure(7.0, 0.9 + 0.38 * len(columns), ax, rect=(0.36, 0.22, 0.6, 0.7))
    colours = PALETTES[palette]
    for row, column in enumerate(columns):
        cells = levels[column].to_numpy()
        known = np.array([v is not None for v in cells])
        total = w[known].sum()
        left = 0.0
        for lv in used:
            share = w[known & (cells == lv)].sum() / total if total else 0.0
            if share > 0:
                ax.barh(row, share * 100, left=left, color=colours[lv], edgecolor=INK,
                        linewidth=0.5, height=0.7, gid=f"rob-bar-{lv}")
                left += share * 100
    ax.set_yticks(range(len(columns)), columns, fontsize=FONT_SIZE)
    ax.set_ylim(len(columns) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"],
                  fontsize=FONT_SIZE)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(handles=[Patch(facecolor=colours[lv], edgecolor=INK, label=lv.capitalize())
                       for lv in used], loc="upper center", bbox_to_anchor=(0.5, -0.12),
              ncol=len(used), frameon=False, fontsize=FONT_SIZE)
    ax.set_xlabel("Weighted proportion of studies" if weights is not None else
                  "Proportion of studies", fontsize=FONT_SIZE)
    if title:
        ax.set_title(title, fontsize=FONT_SIZE + 1)
    return fig

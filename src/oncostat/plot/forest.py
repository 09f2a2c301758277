"""Forest plots of a pooled or subgroup meta-analysis, laid out as Review Manager 5 draws them.

The figure is a table with a plot panel: text columns at the left (study, per-arm data,
weight, estimate and CI), the panel with one square and whisker per study and a diamond
per pooled estimate, and optional risk-of-bias circles at the right [1]_ [2]_. Columns are
measured before anything is drawn, so the figure is as wide as its text and as tall as its
rows, and no two pieces of text overlap.

References
----------
.. [1] The Cochrane Collaboration. Review Manager (RevMan) 5.4, forest plots; and
       Deeks JJ, Higgins JPT. Statistical algorithms in Review Manager 5. 2010.
.. [2] Lewis S, Clarke M. Forest plots: trying to see the wood and the trees.
       BMJ. 2001;322:1479-1480.
.. [3] Higgins JPT, Altman DG, Gøtzsche PC, et al. The Cochrane Collaboration's tool for
       assessing risk of bias in randomised trials. BMJ. 2011;343:d5928.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.patches import Polygon, Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator, NullLocator
from matplotlib.transforms import blended_transform_factory

from oncostat.errors import InputError
from oncostat.meta.analysis import PooledEstimate
from oncostat.meta.subgroup import SubgroupAnalysis
from oncostat.plot._style import (
    FONT_SIZE,
    INK,
    LINE_WIDTH,
    SQUARE_COLOUR,
    TICK_SIZE,
    measure_title,
    minus,
    new_figure,
    revman_p,
    text_width,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["ROB_COLOURS", "forest"]

ROW = FONT_SIZE * 1.65 / 72
"""Height of one table row in inches."""
_PAD = 0.14          # space between text columns, inches
_MARGIN = 0.12       # figure margin, inches
_ROB_COLUMN = 0.2    # width of one risk-of-bias column, inches
_MIN_SQUARE = 2.0    # smallest square side in points, so tiny weights stay visible

ROB_COLOURS = {"low": "#02C100", "some concerns": "#E2DF07", "high": "#BF0000"}
"""Cochrane risk-of-bias colours (RevMan 5, robvis)."""
_ROB_GLYPHS = {"low": "+", "some concerns": "?", "high": "\u2212"}
_ROB_ALIASES = {"low": "low", "low risk": "low", "+": "low",
                "some concerns": "some concerns", "unclear": "some concerns",
                "unclear risk": "some concerns", "?": "some concerns",
                "high": "high", "high risk": "high", "-": "high", "\u2212": "high"}

# RevMan's scales for ratio measures: upper limit -> ticks (the lower limit is 1 / upper).
_RATIO_SCALES = {2: (0.5, 0.7, 1, 1.5, 2), 5: (0.2, 0.5, 1, 2, 5),
                 10: (0.1, 0.2, 0.5, 1, 2, 5, 10), 20: (0.05, 0.2, 1, 5, 20),
                 50: (0.02, 0.1, 1, 10, 50), 100: (0.01, 0.1, 1, 10, 100),
                 1000: (0.001, 0.1, 1, 10, 1000)}


@dataclass(frozen=True, slots=True)
class _Column:
    key: str
    header: str
    align: Literal["left", "right", "center"]
    group: str = ""


@dataclass(slots=True)
class _Row:
    """One line of the table; ``span`` text runs across the text columns."""

    cells: dict[str, str] = field(default_factory=dict)
    span: str = ""
    bold: bool = False
    mark: Literal["", "square", "diamond", "prediction"] = ""
    estimate: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    weight: float = math.nan
    study: str | None = None
    gid: str = ""


def forest(
    result: PooledEstimate | SubgroupAnalysis,
    *,
    ax: Axes | None = None,
    rob: pd.DataFrame | None = None,
    labels: tuple[str, str] | None = ("Favours treatment", "Favours control"),
    show_counts: bool = True,
    sort: str | None = None,
    title: str | None = None,
    prediction: bool = False,
    arms: tuple[str, str] = ("Treatment", "Control"),
    xlim: tuple[float, float] | None = None,
) -> Figure:
    """Forest plot of a meta-analysis, with RevMan 5's columns and footnotes [1]_.

    Parameters
    ----------
    result : PooledEstimate or SubgroupAnalysis
        From :func:`oncostat.meta.meta_analysis` or :func:`oncostat.meta.subgroup_analysis`.
        Subgroups get a heading, a subtotal diamond, their heterogeneity and test for the
        overall effect; the test for subgroup differences closes the table.
    ax : Axes, optional
        Axes to use as the plot panel. The table needs the whole figure: ``ax``'s figure is
        resized to fit the rows and ``ax`` is moved into place. By default a new figure.
    rob : DataFrame, optional
        Risk of bias, indexed by study label with one column per domain holding
        ``"low"``, ``"some concerns"`` (or ``"unclear"``) or ``"high"``; an empty cell
        draws nothing. Drawn as coloured circles with +, ? and − at the right, with the
        domain names listed under the plot [3]_.
    labels : (str, str) or None
        Text under the axis, left and right of the line of no effect.
    show_counts : bool
        Show the per-arm columns: events and totals (binary), mean, SD and total
        (continuous), estimate and SE (generic inverse variance).
    sort : str, optional
        Column of ``result.studies`` to order studies by (within each subgroup), e.g.
        ``"year"``, ``"weight"`` or ``"estimate"``; prefix ``"-"`` for descending order.
    title : str, optional
        Printed above the table.
    prediction : bool
        Add a row with the prediction interval as a bar under the pooled diamond
        (random-effects models only; metafor's interval, see
        :func:`oncostat.meta.meta_analysis`).
    arms : (str, str)
        Column-group headings of the two arms (RevMan's "Experimental" and "Control").
    xlim : (float, float), optional
        Limits of the effect axis on the display (ratio) scale. By default RevMan's
        symmetric scales (0.5 to 2, 0.2 to 5, ... 0.01 to 100 for ratios) wide enough for
        every interval up to 0.01 to 100; whiskers that leave the panel end in arrows.

    Returns
    -------
    Figure

    Notes
    -----
    Squares have area proportional to the study's weight (with a minimum side of 2 points
    so that every study is visible). Study weights in a subgroup plot are percentages of
    the overall analysis, and a subtotal's weight is the sum of its studies', as in RevMan.
    Studies that do not enter the analysis (``included`` False, e.g. double-zero studies
    for an odds ratio) are listed as "Not estimable". P-values follow RevMan's style
    (``P < 0.00001``); the overall-effect line prints ``t`` and its df under Hartung-Knapp.

    Examples
    --------
    >>> import pandas as pd
    >>> from oncostat.meta import meta_analysis
    >>> bcg = pd.DataFrame({"study": ["Aronson", "Ferguson", "Rosenthal"],
    ...                     "events_treat": [4, 6, 3], "total_treat": [123, 306, 231],
    ...                     "events_ctrl": [11, 29, 11], "total_ctrl": [139, 303, 220]})
    >>> fig = forest(meta_analysis(bcg))
    >>> fig.savefig("forest.pdf")  # doctest: +SKIP
    """
    if isinstance(result, SubgroupAnalysis):
        overall = result.overall
        groups = _subgroup_frames(result)
    elif isinstance(result, PooledEstimate):
        overall = result
        groups = [(None, result, result.studies)]
    else:
        raise InputError(f"forest: expected a PooledEstimate or SubgroupAnalysis, got "
                         f"{type(result).__name__}")
    if prediction and overall.model != "random":
        raise InputError("prediction=True needs a random-effects model (model='random'); "
                         "a fixed-effect analysis has no prediction interval")
    if sort is not None:
        groups = [(name, res, _sorted(frame, sort)) for name, res, frame in groups]
    domains = _check_rob(rob, overall.studies["study"]) if rob is not None else []

    columns = _columns(overall, show_counts=show_counts, arms=arms)
    rows = _rows(result, overall, groups, columns, prediction=prediction)
    limits = xlim if xlim is not None else _auto_limits(rows, overall.is_ratio)
    if limits[0] >= limits[1] or (overall.is_ratio and limits[0] <= 0):
        raise InputError(f"xlim: expected two increasing limits (positive for a ratio), "
                         f"got {limits}")
    layout = _Layout.measure(columns, rows, overall, labels=labels, domains=domains,
                             title=title)
    fig, ax = new_figure(layout.width, layout.height, ax)
    fig.set_size_inches(layout.width, layout.height)
    ax.set_position(layout.box(layout.panel_left, layout.panel_width))
    _draw_panel(ax, rows, layout, overall, limits=limits, labels=labels)
    tr = blended_transform_factory(fig.dpi_scale_trans, ax.transData)
    _draw_table(ax, tr, columns, rows, layout, overall, title=title)
    if rob is not None:
        rob_ax = fig.add_axes(layout.box(layout.rob_left, layout.rob_width))
        _draw_rob(rob_ax, tr, rob, domains, rows, layout)
    return fig


def _subgroup_frames(res: SubgroupAnalysis) -> list[tuple[str | None, PooledEstimate,
                                                           pd.DataFrame]]:
    """Each subgroup's studies, with weights as percentages of the overall analysis."""
    frame = res.overall.studies
    level = frame[res.by].astype(str)
    return [(name, sub, frame.loc[level == name]) for name, sub in res.subgroups.items()]


def _sorted(frame: pd.DataFrame, sort: str) -> pd.DataFrame:
    key = sort.removeprefix("-")
    if key not in frame.columns:
        raise InputError(f"sort: expected a column of result.studies "
                         f"({', '.join(map(str, frame.columns))}), got {key!r}")
    return frame.sort_values(key, ascending=not sort.startswith("-"), kind="stable",
                             na_position="last")


def _check_rob(rob: Any, studies: pd.Series) -> list[str]:
    """Validate the risk-of-bias table; return its domain names."""
    if not isinstance(rob, pd.DataFrame):
        raise InputError(f"rob: expected a DataFrame indexed by study label, got "
                         f"{type(rob).__name__}")
    if rob.shape[1] == 0:
        raise InputError("rob: expected at least one risk-of-bias domain column, got none")
    if rob.shape[1] > 26:
        raise InputError(f"rob: expected at most 26 domains (labelled A to Z), got "
                         f"{rob.shape[1]}")
    index = {str(i) for i in rob.index}
    missing = [str(s) for s in studies if str(s) not in index]
    if missing:
        raise InputError(f"rob: no row for {len(missing)} "
                         f"{'study' if len(missing) == 1 else 'studies'} "
                         f"({', '.join(map(repr, missing[:5]))}); index rob by study label")
    for column in rob.columns:
        for label, value in rob[column].items():
            if not pd.isna(value) and str(value).strip().lower() not in _ROB_ALIASES:
                raise InputError(f"rob column {column!r}, study {label!r}: expected low, "
                                 f"some concerns, unclear or high, got {value!r}")
    return [str(c) for c in rob.columns]


def _rob_level(value: Any) -> str | None:
    return None if pd.isna(value) else _ROB_ALIASES[str(value).strip().lower()]


# --- table content -------------------------------------------------------------------------

def _columns(res: PooledEstimate, *, show_counts: bool, arms: tuple[str, str]) -> list[_Column]:
    cols = [_Column("study", "Study or Subgroup", "left")]
    if show_counts:
        if res.kind == "binary":
            for arm, suffix in zip(arms, ("treat", "ctrl"), strict=True):
                cols += [_Column(f"events_{suffix}", "Events", "right", arm),
                         _Column(f"total_{suffix}", "Total", "right", arm)]
        elif res.kind == "continuous":
            for arm, suffix in zip(arms, ("treat", "ctrl"), strict=True):
                cols += [_Column(f"mean_{suffix}", "Mean", "right", arm),
                         _Column(f"sd_{suffix}", "SD", "right", arm),
                         _Column(f"n_{suffix}", "Total", "right", arm)]
        else:
            name = f"log[{measure_title(res)}]" if res.is_ratio else measure_title(res)
            cols += [_Column("yi", name, "right"), _Column("se", "SE", "right")]
    cols += [_Column("weight", "Weight", "right"),
             _Column("effect", res.label, "center", measure_title(res))]
    return cols


def _number(value: Any) -> str:
    """Arm-level numbers as typed: integers plain, means and SDs to 3 significant digits."""
    if pd.isna(value):
        return ""
    v = float(value)
    if v == round(v) and abs(v) < 1e9:
        return minus(f"{v:.0f}")
    return minus(f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}")


def _interval(estimate: float, low: float, high: float) -> str:
    if not all(map(math.isfinite, (estimate, low, high))):
        return "Not estimable"
    return minus(f"{estimate:.2f} [{low:.2f}, {high:.2f}]")


def _study_cells(row: pd.Series, columns: list[_Column]) -> dict[str, str]:
    cells = {"study": str(row["study"])}
    for col in columns:
        if col.key == "yi":
            cells["yi"] = minus(f"{row['yi']:.4f}")
        elif col.key == "se":
            cells["se"] = f"{row['se']:.4f}"
        elif col.key not in ("study", "weight", "effect"):
            cells[col.key] = _number(row[col.key])
    if row["included"]:
        cells["weight"] = f"{row['weight']:.1f}%"
        cells["effect"] = _interval(row["estimate"], row["ci_low"], row["ci_high"])
    else:
        cells["effect"] = "Not estimable"
    return cells


def _pooled_rows(res: PooledEstimate, frame: pd.DataFrame, columns: list[_Column], *,
                 name: str, weight: float, gid: str) -> list[_Row]:
    """The diamond row with arm totals, and the "Total events" row (binary)."""
    keys = {c.key for c in columns}
    pct = f"{100 * res.confidence_level:g}%"
    cells = {"study": f"{name} ({pct} CI)", "weight": f"{weight:.1f}%",
             "effect": _interval(res.estimate, res.ci_low, res.ci_high)}
    for key in ("total_treat", "total_ctrl", "n_treat", "n_ctrl"):
        if key in keys:
            cells[key] = _number(frame[key].sum())
    rows = [_Row(cells, bold=True, mark="diamond", estimate=res.estimate, ci_low=res.ci_low,
                 ci_high=res.ci_high, gid=gid)]
    if "events_treat" in keys:
        rows.append(_Row({"study": "Total events",
                          "events_treat": _number(frame["events_treat"].sum()),
                          "events_ctrl": _number(frame["events_ctrl"].sum())}))
    return rows


def _heterogeneity_line(res: PooledEstimate) -> str:
    """RevMan's line, e.g. ``Heterogeneity: Tau² = 0.31; Chi² = 152.23, df = 12 (P < ...``."""
    h = res.heterogeneity
    if h.df < 1:
        return "Heterogeneity: Not applicable"
    tau2 = f"Tau² = {h.tau2:.2f}; " if res.model == "random" else ""
    return (f"Heterogeneity: {tau2}Chi² = {h.q:.2f}, df = {h.df} ({revman_p(h.pvalue)}); "
            f"I² = {100 * h.i2:.0f}%")


def _overall_effect_line(res: PooledEstimate) -> str:
    if not math.isfinite(res.statistic):
        return "Test for overall effect: Not applicable"
    if res.spec.hakn:
        return (f"Test for overall effect: t = {abs(res.statistic):.2f}, df = {res.df:g} "
                f"({revman_p(res.pvalue)})")
    return f"Test for overall effect: Z = {abs(res.statistic):.2f} ({revman_p(res.pvalue)})"


def _subgroup_difference_line(res: SubgroupAnalysis) -> str:
    d = res.difference
    i2 = "0%" if d.i2 == 0 else f"{100 * d.i2:.1f}%"
    return (f"Test for subgroup differences: Chi² = {d.q:.2f}, df = {d.df} "
            f"({revman_p(d.pvalue)}), I² = {i2}")


def _rows(result: PooledEstimate | SubgroupAnalysis, overall: PooledEstimate,
          groups: list[tuple[str | None, PooledEstimate, pd.DataFrame]],
          columns: list[_Column], *, prediction: bool) -> list[_Row]:
    rows: list[_Row] = []
    for number, (name, res, frame) in enumerate(groups, start=1):
        if name is not None:
            rows.append(_Row(span=name, bold=True))
        for _, study in frame.iterrows():
            mark: Literal["", "square"] = "square" if study["included"] else ""
            rows.append(_Row(_study_cells(study, columns), mark=mark,
                             estimate=study["estimate"], ci_low=study["ci_low"],
                             ci_high=study["ci_high"], weight=study["weight"],
                             study=str(study["study"])))
        if name is not None:
            rows += _pooled_rows(res, frame, columns, name="Subtotal",
                                 weight=float(frame.loc[frame["included"], "weight"].sum()),
                                 gid=f"diamond-subgroup-{number}")
            rows += [_Row(span=_heterogeneity_line(res)), _Row(span=_overall_effect_line(res)),
                     _Row()]
    all_studies = pd.concat([frame for _, _, frame in groups])
    total = _pooled_rows(overall, all_studies, columns, name="Total", weight=100.0,
                         gid="diamond-total")
    rows.append(total[0])
    if prediction and math.isfinite(overall.pi_low):
        interval = minus(f"[{overall.pi_low:.2f}, {overall.pi_high:.2f}]")
        rows.append(_Row({"study": "Prediction interval", "effect": interval},
                         mark="prediction", ci_low=overall.pi_low, ci_high=overall.pi_high))
    rows += total[1:]
    rows += [_Row(span=_heterogeneity_line(overall)), _Row(span=_overall_effect_line(overall))]
    if isinstance(result, SubgroupAnalysis):
        rows.append(_Row(span=_subgroup_difference_line(result)))
    return rows


_HEADER_Y = (-2.35, -1.35)   # rows of the group headings and the column headings


# --- layout ----------------------------------------------------------------------------------

@dataclass(slots=True)
class _Layout:
    """Where everything goes, in inches (x) and rows (y, downwards from the first study)."""

    x: dict[str, tuple[float, float]]   # column key -> (left, right) of its text
    panel_left: float
    panel_width: float
    rob_left: float
    rob_width: float
    width: float
    n_panel: int                        # rows inside the plot panel
    top: float                          # y of the figure's top edge, in rows
    bottom: float                       # y of the figure's bottom edge, in rows
    legend_top: float                   # y of the first risk-of-bias legend line

    @property
    def height(self) -> float:
        return (self.bottom - self.top) * ROW

    def box(self, left: float, width: float) -> tuple[float, float, float, float]:
        """Figure-fraction rectangle spanning the panel rows, ``width`` inches wide."""
        y0 = (self.bottom - (self.n_panel - 0.5)) / (self.bottom - self.top)
        return (left / self.width, y0, width / self.width, self.n_panel / (self.bottom - self.top))

    @classmethod
    def measure(cls, columns: list[_Column], rows: list[_Row], res: PooledEstimate, *,
                labels: tuple[str, str] | None, domains: list[str], title: str | None
                ) -> _Layout:
        widths = {c.key: max([text_width(c.header, bold=True)]
                             + [text_width(r.cells.get(c.key, ""), bold=r.bold) for r in rows])
                  for c in columns}
        # A group heading (arm name, measure name) must fit over the columns it spans.
        for group, keys in _groups(columns):
            span = sum(widths[k] for k in keys) + _PAD * (len(keys) - 1)
            short = text_width(group, bold=True) - span
            for k in keys:
                widths[k] += max(short, 0.0) / len(keys)
        # Footnotes run across the text columns; the study column takes any extra width.
        table = sum(widths.values()) + _PAD * (len(columns) - 1)
        notes = max(text_width(r.span, bold=r.bold) for r in rows)
        widths["study"] += max(notes - table, 0.0)

        x, left = {}, _MARGIN
        for c in columns:
            x[c.key] = (left, left + widths[c.key])
            left += widths[c.key] + _PAD
        panel_left = left - _PAD + 0.25
        favours = max((text_width(t) for t in labels), default=0.0) if labels else 0.0
        panel_width = max(2.5, 2 * favours + 0.35, text_width(res.label, bold=True) + 0.1)
        rob_left = panel_left + panel_width + 0.2
        rob_width = (max(len(domains) * _ROB_COLUMN, text_width("Risk of Bias", bold=True))
                     if domains else 0.0)
        width = rob_left + rob_width + _MARGIN if domains else rob_left - 0.2 + _MARGIN
        legend = [f"({chr(ord('A') + i)}) {d}" for i, d in enumerate(domains)]
        width = max([width] + [_MARGIN * 2 + text_width(t) for t in legend])

        n_panel = 1 + max(i for i, r in enumerate(rows) if r.mark)
        # Under the panel: the axis with its tick labels and the "favours" labels (rows).
        axis_rows = 2.3 if labels else 1.3
        bottom = n_panel - 0.5 + max(len(rows) - n_panel, axis_rows)
        legend_top = bottom + 1.0
        if domains:
            bottom = legend_top + len(domains) + 0.5
        top = _HEADER_Y[0] - 0.75 - (1.3 if title else 0.0)
        bottom += 0.45
        return cls(x, panel_left, panel_width, rob_left, rob_width, width, n_panel, top,
                   bottom, legend_top)


def _groups(columns: list[_Column]) -> list[tuple[str, list[str]]]:
    """Runs of neighbouring columns under the same group heading."""
    runs: list[tuple[str, list[str]]] = []
    for previous, c in zip([None, *columns], columns, strict=False):
        if not c.group:
            continue
        if previous is not None and previous.group == c.group:
            runs[-1][1].append(c.key)
        else:
            runs.append((c.group, [c.key]))
    return runs




# --- drawing ---------------------------------------------------------------------------------

def _text(ax: Axes, tr: Any, x: float, y: float, s: str, **kw: Any) -> None:
    kw.setdefault("va", "center_baseline")
    kw.setdefault("fontsize", FONT_SIZE)
    ax.text(x, y, s, transform=tr, clip_on=False, parse_math=False, **kw)


def _draw_table(ax: Axes, tr: Any, columns: list[_Column], rows: list[_Row], layout: _Layout,
                res: PooledEstimate, *, title: str | None) -> None:
    def anchor(col: _Column) -> float:
        left, right = layout.x[col.key]
        return {"left": left, "right": right, "center": (left + right) / 2}[col.align]

    if title:
        _text(ax, tr, _MARGIN, layout.top + 0.75, title, fontsize=FONT_SIZE + 1.5,
              fontweight="bold", ha="left")
    for col in columns:
        _text(ax, tr, anchor(col), _HEADER_Y[1], col.header, ha=col.align, fontweight="bold")
    for group, keys in _groups(columns):
        centre = (layout.x[keys[0]][0] + layout.x[keys[-1]][1]) / 2
        _text(ax, tr, centre, _HEADER_Y[0], group, ha="center", fontweight="bold")
    centre = layout.panel_left + layout.panel_width / 2
    _text(ax, tr, centre, _HEADER_Y[0], measure_title(res), ha="center", fontweight="bold")
    _text(ax, tr, centre, _HEADER_Y[1], res.label, ha="center", fontweight="bold")

    for y, row in enumerate(rows):
        weight = "bold" if row.bold else "normal"
        if row.span:
            _text(ax, tr, _MARGIN, y, row.span, ha="left", fontweight=weight)
        for col in columns:
            if row.cells.get(col.key):
                _text(ax, tr, anchor(col), y, row.cells[col.key], ha=col.align,
                      fontweight=weight)


def _auto_limits(rows: list[_Row], is_ratio: bool) -> tuple[float, float]:
    values = np.array([v for r in rows if r.mark for v in (r.estimate, r.ci_low, r.ci_high)
                       if math.isfinite(v)] or [1.0 if is_ratio else 0.0])
    pooled = np.array([v for r in rows if r.mark in ("diamond", "prediction")
                       for v in (r.ci_low, r.ci_high) if math.isfinite(v)] or [values[0]])
    if is_ratio:
        # Arrows take over beyond 0.01 to 100 unless a pooled interval needs more room.
        need = max(min(float(np.max(np.abs(np.log(values)))), math.log(100)),
                   float(np.max(np.abs(np.log(pooled)))))
        upper = next((u for u in _RATIO_SCALES if math.log(u) >= need * (1 - 1e-9)),
                     10.0 ** math.ceil(need / math.log(10)))
        return 1 / upper, float(upper)
    need = float(np.max(np.abs(values))) or 1.0
    upper = _nice_ceiling(need)
    return -upper, upper


def _nice_ceiling(x: float) -> float:
    """Smallest 1, 2 or 5 times a power of ten that is at least ``x``."""
    power = 10.0 ** math.floor(math.log10(x))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= x * (1 - 1e-9))


def _draw_panel(ax: Axes, rows: list[_Row], layout: _Layout, res: PooledEstimate, *,
                limits: tuple[float, float], labels: tuple[str, str] | None) -> None:
    null = 1.0 if res.is_ratio else 0.0
    if res.is_ratio:
        ax.set_xscale("log")
    ax.set_xlim(limits)
    ax.set_ylim(layout.n_panel - 0.5, -0.5)
    _axis_ticks(ax, limits, res.is_ratio)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_linewidth(LINE_WIDTH)
    ax.set_yticks([])
    ax.patch.set_visible(False)
    ax.tick_params(axis="x", labelsize=TICK_SIZE, width=LINE_WIDTH, length=3)
    ax.axvline(null, color=INK, lw=LINE_WIDTH, zorder=1)

    studies = [(y, r) for y, r in enumerate(rows) if r.mark == "square"]
    if studies:
        _draw_studies(ax, studies, limits)
    for y, row in enumerate(rows):
        if row.mark == "diamond" and math.isfinite(row.estimate):
            diamond = Polygon([(row.ci_low, y), (row.estimate, y - 0.38),
                               (row.ci_high, y), (row.estimate, y + 0.38)],
                              closed=True, facecolor=INK, edgecolor=INK, lw=0.5, zorder=3)
            diamond.set_gid(row.gid)
            ax.add_patch(diamond)
    for y, row in ((y, r) for y, r in enumerate(rows) if r.mark == "prediction"):
        bar = Rectangle((row.ci_low, y - 0.13), row.ci_high - row.ci_low, 0.26,
                        facecolor="0.45", edgecolor="none", zorder=3)
        bar.set_gid("prediction")
        ax.add_patch(bar)
    if labels:
        trans = ax.get_xaxis_transform()
        for text, sign, ha in ((labels[0], -1, "right"), (labels[1], 1, "left")):
            ax.annotate(text, xy=(null, 0), xycoords=trans, xytext=(4 * sign, -17),
                        textcoords="offset points", ha=ha, va="top", fontsize=FONT_SIZE,
                        annotation_clip=False, parse_math=False)


def _axis_ticks(ax: Axes, limits: tuple[float, float], is_ratio: bool) -> None:
    upper = limits[1]
    if is_ratio and math.isclose(limits[0] * upper, 1.0) and round(upper) in _RATIO_SCALES:
        ax.xaxis.set_major_locator(FixedLocator(_RATIO_SCALES[round(upper)]))
    elif is_ratio:
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=7))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, symmetric=limits[0] == -limits[1]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: minus(f"{v:g}")))


def _draw_studies(ax: Axes, studies: list[tuple[int, _Row]], limits: tuple[float, float]
                  ) -> None:
    """Whiskers (arrows where clipped) and squares of area proportional to weight."""
    lo_lim, hi_lim = limits
    y = np.array([float(i) for i, _ in studies])
    est = np.array([r.estimate for _, r in studies])
    lo = np.array([r.ci_low for _, r in studies])
    hi = np.array([r.ci_high for _, r in studies])
    weight = np.array([r.weight for _, r in studies])
    segments = [[(max(a, lo_lim), yy), (min(b, hi_lim), yy)] for a, b, yy in zip(lo, hi, y,
                                                                               strict=True)]
    whiskers = LineCollection(segments, colors=INK, linewidths=LINE_WIDTH, zorder=2)
    whiskers.set_gid("whiskers")
    ax.add_collection(whiskers)
    left, right = lo < lo_lim, hi > hi_lim
    for mask, edge, marker, gid in ((left, lo_lim, "<", "arrows-left"),
                                    (right, hi_lim, ">", "arrows-right")):
        if mask.any():
            (line,) = ax.plot(np.full(mask.sum(), edge), y[mask], ls="none", marker=marker,
                              ms=4, color=INK, clip_on=False, zorder=4)
            line.set_gid(gid)
    side = 0.8 * ROW * 72 * np.sqrt(weight / np.nanmax(weight))
    squares = ax.scatter(est, y, s=np.maximum(side, _MIN_SQUARE) ** 2, marker="s",
                         color=SQUARE_COLOUR, linewidths=0, zorder=3)
    squares.set_gid("squares")


def _draw_rob(ax: Axes, tr: Any, rob: pd.DataFrame, domains: list[str], rows: list[_Row],
              layout: _Layout) -> None:
    """Risk-of-bias circles, one column per domain, and the legend of domain names."""
    letters = [chr(ord("A") + i) for i in range(len(domains))]
    ax.set_xlim(-0.5, layout.rob_width / _ROB_COLUMN - 0.5)
    ax.set_ylim(layout.n_panel - 0.5, -0.5)
    ax.set_axis_off()
    # Same rows as the panel, so the panel's y coordinates place text here too.
    centre = (len(domains) - 1) / 2
    _text(ax, ax.transData, centre, _HEADER_Y[0], "Risk of Bias", ha="center",
          fontweight="bold")
    for i, letter in enumerate(letters):
        _text(ax, ax.transData, i, _HEADER_Y[1], letter, ha="center", fontweight="bold")

    table = rob.copy()
    table.index = table.index.map(str)
    table = table[~table.index.duplicated()]
    xs, ys, colours = [], [], []
    for y, row in enumerate(rows):
        if row.study is None:
            continue
        for i, domain in enumerate(table.columns):
            level = _rob_level(table.at[row.study, domain])
            if level is None:
                continue
            xs.append(i)
            ys.append(y)
            colours.append(ROB_COLOURS[level])
            _text(ax, ax.transData, i, y, _ROB_GLYPHS[level], ha="center", va="center",
                  fontweight="bold", gid="rob-glyph",
                  color="white" if level == "high" else INK)
    circles = ax.scatter(xs, ys, s=(0.76 * ROW * 72) ** 2, c=colours, linewidths=0,
                         clip_on=False)
    circles.set_gid("rob-circles")

    _text(ax, tr, _MARGIN, layout.legend_top, "Risk of bias legend", ha="left",
          fontweight="bold")
    for i, (letter, domain) in enumerate(zip(letters, domains, strict=True)):
        _text(ax, tr, _MARGIN, layout.legend_top + 1 + i, f"({letter}) {domain}", ha="left")

"""The PRISMA 2020 flow diagram, laid out as the statement's Figure 1 template.

Boxes carry the template's exact texts with the counts filled in [1]_: identification
from databases and registers (per database when asked), records removed before
screening, records screened and excluded, reports sought, not retrieved, assessed and
excluded with reasons, and the studies and reports included. Identification via other
methods adds the template's right-hand branch; an updated review (previous studies
given) gets the updated-review template, with previous, new and total studies. Boxes
are sized to their text, so no text overlaps whatever the counts and reasons.

References
----------
.. [1] Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement: an updated
       guideline for reporting systematic reviews. BMJ. 2021;372:n71 (Figure 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from oncostat.plot._style import FONT_SIZE, INK, LINE_WIDTH, text_width
from oncostat.review.prisma import PrismaCounts

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["prisma_diagram"]

HEADER_FILL = "#FFD966"     # the template's yellow headings
OTHER_HEADER_FILL = "#D9D9D9"
SIDE_FILL = "#BDD7EE"       # the template's blue stage labels
_LINE = FONT_SIZE * 1.35 / 72   # inches per text line
_PAD = 0.09                      # inner padding, inches
_GAP_X = 0.35                    # between columns
_GAP_Y = 0.28                    # between rows
_SIDE = 0.32                     # width of the stage labels
_MIN_W = 1.9
_STAGES = (("Identification", 1, 1), ("Screening", 2, 4), ("Included", 5, 7))
"""Stage labels and the rows they span."""


def _n(value: int | None) -> str:
    return "(n = )" if value is None else f"(n = {value:,})"


@dataclass
class _Box:
    key: str
    lines: list[str]
    row: int
    col: int
    align: str = "center"
    fill: str = "white"
    bold: bool = False

    @property
    def width(self) -> float:
        return max(text_width(t, bold=self.bold) for t in self.lines) + 2 * _PAD

    @property
    def height(self) -> float:
        return len(self.lines) * _LINE + 2 * _PAD


def prisma_diagram(counts: PrismaCounts, *, ax: Axes | None = None,
                   per_database: bool = True) -> Figure:
    """PRISMA 2020 flow diagram of a review [1]_.

    Parameters
    ----------
    counts : PrismaCounts
        From :func:`oncostat.review.prisma.prisma_counts` or constructed directly.
        Boxes after "Records screened" are drawn once their counts are known.
    ax : Axes, optional
        Axes to draw in (its frame is hidden; its figure is resized to the diagram); by
        default a new figure.
    per_database : bool, default True
        List the records identified from each database and register under their totals,
        as the template's footnote recommends.

    Returns
    -------
    Figure
        Each box is a patch with ``gid`` ``"box:<key>"`` and its text ``"text:<key>"``
        (keys ``identified, removed, screened, screen_excluded, sought, not_retrieved,
        assessed, excluded, included, meta_analysis``; ``other_*``, ``previous`` and
        ``total`` for the other branches).
    """
    c = counts
    boxes = _boxes(c, per_database)
    n_cols = max(b.col for b in boxes) + 1
    n_rows = max(b.row for b in boxes) + 1
    col_w = [max([_MIN_W] + [b.width for b in boxes if b.col == k and b.row > 0])
             for k in range(n_cols)]
    row_h = [max(b.height for b in boxes if b.row == r) if any(b.row == r for b in boxes)
             else 0.0 for r in range(n_rows)]
    rows = {b.row for b in boxes}
    for label, first, last in _STAGES:
        present = [r for r in range(first, min(last, n_rows - 1) + 1) if r in rows]
        need = text_width(label, size=FONT_SIZE + 0.5, bold=True) + 0.2
        have = sum(row_h[r] for r in present) + _GAP_Y * (len(present) - 1)
        if present and have < need:
            # the stage label must fit beside its boxes
            row_h[present[-1]] += need - have
    x0 = [_SIDE + 0.25 + sum(col_w[:k]) + _GAP_X * k for k in range(n_cols)]
    width = x0[-1] + col_w[-1] + 0.15
    height = sum(row_h) + _GAP_Y * (n_rows - 1) + 0.3
    y_top = [height - 0.15 - sum(row_h[:r]) - _GAP_Y * r for r in range(n_rows)]
    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes((0, 0, 1, 1))
    else:
        fig = ax.figure
        fig.set_size_inches(width, height)
        ax.set_position((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    where: dict[str, tuple[float, float, float, float]] = {}
    for b in boxes:
        left, w = x0[b.col], col_w[b.col]
        if b.row == 0:
            # a heading spans its branch: the main column and the exclusions beside it
            last = b.col if b.key == "head_previous" else min(b.col + 1, n_cols - 1)
            w = x0[last] + col_w[last] - left
        h = row_h[b.row] if b.row <= 1 else b.height
        top = y_top[b.row] - (row_h[b.row] - h) / 2
        where[b.key] = (left, top - h, w, h)
        _draw_box(ax, b, left, top - h, w, h)
    _arrows(ax, where)
    _stages(ax, boxes, y_top, row_h)
    return fig


def _boxes(c: PrismaCounts, per_database: bool) -> list[_Box]:
    off = 1 if c.updated else 0          # column offset of the databases branch
    out: list[_Box] = []
    if c.updated:
        out.append(_Box("head_previous", ["Previous studies"], 0, 0, fill=HEADER_FILL,
                        bold=True))
        out.append(_Box("previous", ["Studies included in previous", "version of review "
                                     + _n(c.previous_studies), "", "Reports of studies "
                                     "included in", "previous version of review "
                                     + _n(c.previous_reports)], 1, 0))
    head = ("Identification of new studies via databases and registers" if c.updated
            else "Identification of studies via databases and registers")
    out.append(_Box("head", [head], 0, off, fill=HEADER_FILL, bold=True))
    ident = ["Records identified from:",
             f"Databases {_n(sum(c.databases.values()))}"]
    if per_database and len(c.databases) > 0:
        ident += [f"    {k} {_n(v)}" for k, v in c.databases.items()]
    ident.append(f"Registers {_n(sum(c.registers.values()))}")
    if per_database:
        ident += [f"    {k} {_n(v)}" for k, v in c.registers.items()]
    out.append(_Box("identified", ident, 1, off, align="left"))
    out.append(_Box("removed", ["Records removed before screening:",
                                f"    Duplicate records removed {_n(c.duplicates_removed)}",
                                "    Records marked as ineligible by automation tools "
                                f"{_n(c.automation_removed)}",
                                f"    Records removed for other reasons {_n(c.other_removed)}"],
                    1, off + 1, align="left"))
    chain = [("screened", "Records screened", c.screened, "screen_excluded",
              "Records excluded", c.screen_excluded),
             ("sought", "Reports sought for retrieval", c.sought, "not_retrieved",
              "Reports not retrieved", c.not_retrieved),
             ("assessed", "Reports assessed for eligibility", c.assessed, "", "", None)]
    for row, (key, label, value, xkey, xlabel, xvalue) in enumerate(chain, start=2):
        if value is None:
            break
        out.append(_Box(key, [label, _n(value)], row, off))
        if xkey and xvalue is not None:
            out.append(_Box(xkey, [xlabel, _n(xvalue)], row, off + 1))
    if c.assessed is not None and c.reports_included is not None:
        reasons = [f"    {k} {_n(v)}" for k, v in c.excluded_reasons.items()] or ["    none"]
        out.append(_Box("excluded", ["Reports excluded:", *reasons], 4, off + 1,
                        align="left"))
    if c.studies_included is not None:
        if c.updated:
            out.append(_Box("included", [f"New studies included in review "
                                         f"{_n(c.studies_included)}",
                                         f"Reports of new included studies "
                                         f"{_n(c.reports_included)}"], 5, off))
            out.append(_Box("total", [f"Total studies included in review "
                                      f"{_n(c.total_studies)}",
                                      f"Reports of total included studies "
                                      f"{_n(c.total_reports)}"], 6, off))
        else:
            out.append(_Box("included", [f"Studies included in review {_n(c.studies_included)}",
                                         f"Reports of included studies "
                                         f"{_n(c.reports_included)}"], 5, off))
        if c.studies_in_meta_analysis is not None:
            out.append(_Box("meta_analysis", ["Studies included in meta-analysis",
                                              _n(c.studies_in_meta_analysis)],
                            6 + int(c.updated), off))
    if c.other_sources:
        o = off + 2
        out.append(_Box("head_other", ["Identification of studies via other methods"], 0, o,
                        fill=OTHER_HEADER_FILL, bold=True))
        out.append(_Box("other_identified", ["Records identified from:",
                                             *(f"    {k} {_n(v)}"
                                               for k, v in c.other_sources.items())],
                        1, o, align="left"))
        if c.other_sought is not None:
            out.append(_Box("other_sought", ["Reports sought for retrieval",
                                             _n(c.other_sought)], 3, o))
            out.append(_Box("other_not_retrieved", ["Reports not retrieved",
                                                    _n(c.other_not_retrieved)], 3, o + 1))
        if c.other_assessed is not None:
            out.append(_Box("other_assessed", ["Reports assessed for eligibility",
                                               _n(c.other_assessed)], 4, o))
            reasons = [f"    {k} {_n(v)}" for k, v in c.other_excluded_reasons.items()]
            out.append(_Box("other_excluded", ["Reports excluded:", *(reasons or ["    none"])],
                            4, o + 1, align="left"))
    return out


def _draw_box(ax: Axes, b: _Box, left: float, bottom: float, w: float, h: float) -> None:
    rounded = b.row == 0
    ax.add_patch(FancyBboxPatch((left, bottom), w, h,
                                boxstyle="round,pad=0,rounding_size=0.08" if rounded
                                else "square,pad=0", fc=b.fill, ec=INK, lw=LINE_WIDTH,
                                gid=f"box:{b.key}"))
    x = left + _PAD if b.align == "left" else left + w / 2
    ax.text(x, bottom + h / 2, "\n".join(b.lines), ha=b.align, va="center",
            ma=b.align, fontsize=FONT_SIZE, linespacing=1.35,
            fontweight="bold" if b.bold else "normal", gid=f"text:{b.key}")


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9,
                                 lw=LINE_WIDTH, color=INK, shrinkA=0, shrinkB=0))


def _arrows(ax: Axes,
            where: dict[str, tuple[float, float, float, float]]) -> None:
    def bottom(k: str) -> tuple[float, float]:
        x, y, w, _ = where[k]
        return x + w / 2, y

    def top(k: str) -> tuple[float, float]:
        x, y, w, h = where[k]
        return x + w / 2, y + h

    def right(k: str) -> tuple[float, float]:
        x, y, w, h = where[k]
        return x + w, y + h / 2

    def left(k: str) -> tuple[float, float]:
        x, y, _, h = where[k]
        return x, y + h / 2

    down = ["identified", "screened", "sought", "assessed", "included", "total",
            "meta_analysis"]
    present = [k for k in down if k in where]
    for a, b in pairwise(present):
        _arrow(ax, bottom(a), top(b))
    for a, b in (("identified", "removed"), ("screened", "screen_excluded"),
                 ("sought", "not_retrieved"), ("assessed", "excluded"),
                 ("other_sought", "other_not_retrieved"),
                 ("other_assessed", "other_excluded")):
        if a in where and b in where:
            ya = left(b)[1]
            _arrow(ax, (right(a)[0], ya), left(b))
    if "other_identified" in where and "other_sought" in where:
        _arrow(ax, bottom("other_identified"), top("other_sought"))
    if "other_sought" in where and "other_assessed" in where:
        _arrow(ax, bottom("other_sought"), top("other_assessed"))
    if "other_assessed" in where and "included" in where:
        # the other-methods reports join the included studies, as in the template
        x0, y0 = bottom("other_assessed")
        xi, yi = right("included")
        ax.plot([x0, x0], [y0, yi], color=INK, lw=LINE_WIDTH)
        _arrow(ax, (x0, yi), (xi, yi))
    if "previous" in where and "total" in where:
        x0, y0 = bottom("previous")
        xt, yt = left("total")
        ax.plot([x0, x0], [y0, yt], color=INK, lw=LINE_WIDTH)
        _arrow(ax, (x0, yt), (xt, yt))


def _stages(ax: Axes, boxes: list[_Box], y_top: list[float],
            row_h: list[float]) -> None:
    rows = {b.row for b in boxes}
    for label, first, last in _STAGES:
        present = [r for r in range(first, last + 1) if r in rows]
        if not present or (label == "Included" and first not in rows):
            continue
        top = y_top[present[0]]
        bottom = y_top[present[-1]] - row_h[present[-1]]
        ax.add_patch(FancyBboxPatch((0.15, bottom), _SIDE, top - bottom,
                                    boxstyle="round,pad=0,rounding_size=0.08", fc=SIDE_FILL,
                                    ec=INK, lw=LINE_WIDTH, gid=f"stage:{label}"))
        ax.text(0.15 + _SIDE / 2, (top + bottom) / 2, label, rotation=90, ha="center",
                va="center", fontsize=FONT_SIZE + 0.5, fontweight="bold",
                gid=f"text:stage:{label}")

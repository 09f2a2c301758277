"""The study flow diagram (STROBE/CONSORT style; the seed's Fig. 1): count boxes down the
centre, exclusions with reasons in side boxes, and the eligible patients split by arm.

References
----------
.. [1] von Elm E, Altman DG, Egger M, et al. The STROBE statement. Lancet.
       2007;370:1453-1457.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.patches import FancyArrowPatch

from oncostat.plot._style import INK, LINE_WIDTH
from oncostat.plot.ps import _box

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from oncostat.cohort.flow import EligibilityFlow

__all__ = ["flow_diagram"]

_ROW = 1.0  # minimum distance between the centres of two boxes, in axis units
_MAIN_W, _SIDE_W = 3.0, 3.6


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9,
                                 lw=LINE_WIDTH, color=INK))


def flow_diagram(flow: EligibilityFlow, *, ax: Axes | None = None) -> Figure:
    """Draw ``flow``: one box per count, a side box per group of exclusions, arms below.

    Parameters
    ----------
    flow : EligibilityFlow
        From :func:`oncostat.cohort.flow.eligibility_flow`.
    ax : Axes, optional
        Axes to draw in (its frame is hidden); by default a new figure sized to the flow.

    Returns
    -------
    Figure
    """
    arms = list(flow.arms.items())
    box_h = 0.55
    # Each gap between boxes is tall enough for its side box of exclusion reasons.
    side_hs = [0.2 * (len(r) + 1) + 0.1 for r in flow.exclusions]
    gaps = [max(_ROW - box_h, h + 0.2) for h in side_hs]
    width = max(_MAIN_W + _SIDE_W + 1.0, 2.4 * len(arms) + 0.4)
    height = 0.2 + box_h * (len(flow.boxes) + bool(arms)) + sum(gaps) + (0.6 if arms else 0)
    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(width * 0.9, height * 0.9))
        ax = fig.add_axes((0, 0, 1, 1))
    fig = ax.figure
    ax.set_axis_off()
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    cx = _MAIN_W / 2 + 0.2
    y = height - 0.1 - box_h / 2
    for i, (label, n) in enumerate(flow.boxes):
        _box(ax, cx, y, _MAIN_W, box_h, f"{label}\n(n = {n:,})", gid=f"box:{i}")
        if i < len(flow.exclusions):
            mid = y - box_h / 2 - gaps[i] / 2
            reasons = flow.exclusions[i]
            text = f"Excluded (n = {sum(k for _, k in reasons):,}):\n" + "\n".join(
                f"  {reason} (n = {k:,})" for reason, k in reasons)
            side_cx = cx + _MAIN_W / 2 + 0.4 + _SIDE_W / 2
            _box(ax, side_cx, mid, _SIDE_W, side_hs[i], text, gid=f"excluded:{i}")
            ax.texts[-1].set_ha("left")
            ax.texts[-1].set_x(side_cx - _SIDE_W / 2 + 0.08)
            _arrow(ax, (cx, mid), (side_cx - _SIDE_W / 2, mid))
            _arrow(ax, (cx, y - box_h / 2), (cx, y - box_h / 2 - gaps[i]))
            y -= box_h + gaps[i]
    if arms:
        step = width / len(arms)
        top = y - box_h / 2
        y -= box_h + 0.6
        for j, (arm, n) in enumerate(arms):
            ax_x = step * (j + 0.5)
            _box(ax, ax_x, y, min(2.2, step - 0.2), box_h, f"{arm}\n(n = {n:,})",
                 gid=f"arm:{arm}")
            _arrow(ax, (cx, top), (ax_x, y + box_h / 2))
    return fig

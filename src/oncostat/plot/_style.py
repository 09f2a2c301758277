"""Sizes, colours, number formats and text measurement shared by the meta-analysis figures."""

from __future__ import annotations

import math
from typing import Any

from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

FONT_SIZE = 8.0
"""Point size of table text, as in RevMan 5's exported forest plots."""
TICK_SIZE = 7.5
LINE_WIDTH = 0.8
INK = "black"
SQUARE_COLOUR = "#1f3b73"

MEASURE_TITLES = {"OR": "Odds Ratio", "RR": "Risk Ratio", "RD": "Risk Difference",
                  "MD": "Mean Difference", "SMD": "Std. Mean Difference"}
"""RevMan's column titles for each effect measure."""

_MEASURER = TextToPath()


def measure_title(result: Any) -> str:
    """RevMan's name of ``result``'s effect measure, e.g. ``"Odds Ratio"``."""
    if result.measure in MEASURE_TITLES:
        return MEASURE_TITLES[result.measure]
    return "Ratio" if result.is_ratio else "Effect"


def text_width(text: str, *, size: float = FONT_SIZE, bold: bool = False) -> float:
    """Width of ``text`` in inches in the current default font (no mathtext parsing)."""
    if not text:
        return 0.0
    prop = FontProperties(size=size, weight="bold" if bold else "normal")
    width, _, _ = _MEASURER.get_text_width_height_descent(text, prop, ismath=False)
    return width / 72.0


def minus(text: str) -> str:
    """Use the typographic minus sign (U+2212) in printed numbers."""
    return text.replace("-", "\u2212")


def revman_p(p: float) -> str:
    """A p-value as RevMan 5 prints it: ``P = 0.27``, ``P = 0.0007``, ``P < 0.00001``."""
    if not math.isfinite(p):
        return "P = NA"
    if p < 1e-5:
        return "P < 0.00001"
    if p >= 0.01:
        return f"P = {p:.2f}"
    return f"P = {p:.{-math.floor(math.log10(p))}f}"


def new_figure(width: float, height: float, ax: Any = None,
               rect: tuple[float, float, float, float] = (0.1, 0.1, 0.8, 0.8)
               ) -> tuple[Figure, Any]:
    """``ax``'s figure and ``ax``, or a new figure (inches) with one Axes at ``rect``.

    Figures come from pyplot so that ``plt.show()`` and notebooks display them.
    """
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(width, height))
    return fig, fig.add_axes(rect)

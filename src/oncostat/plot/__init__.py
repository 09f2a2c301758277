"""Figures: every plot takes result objects and returns a matplotlib ``Figure``.

matplotlib is imported only inside this subpackage, so the statistics never need it.
"""

from oncostat.plot.forest import forest
from oncostat.plot.funnel import funnel

__all__ = ["forest", "funnel"]

"""Figures: every plot takes result objects and returns a matplotlib ``Figure``.

matplotlib is imported only inside this subpackage, so the statistics never need it.
"""

from oncostat.plot.forest import forest
from oncostat.plot.funnel import funnel
from oncostat.plot.km import km_plot
from oncostat.plot.love import love_plot
from oncostat.plot.prisma import prisma_diagram
from oncostat.plot.ps import match_flow, ps_distribution

__all__ = ["forest", "funnel", "km_plot", "love_plot", "match_flow", "prisma_diagram",
           "ps_distribution"]

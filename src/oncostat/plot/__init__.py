"""Figures: every plot takes result objects and returns a matplotlib ``Figure``.

matplotlib is imported only inside this subpackage, so the statistics never need it.
"""

from oncostat.plot.ae import ae_dotplot
from oncostat.plot.flow import flow_diagram
from oncostat.plot.forest import forest
from oncostat.plot.funnel import funnel
from oncostat.plot.km import km_plot
from oncostat.plot.love import love_plot
from oncostat.plot.prisma import prisma_diagram
from oncostat.plot.ps import match_flow, ps_distribution
from oncostat.plot.rob import rob_summary, rob_traffic_light
from oncostat.plot.spider import spider
from oncostat.plot.swimmer import swimmer
from oncostat.plot.waterfall import waterfall

__all__ = ["ae_dotplot", "flow_diagram", "forest", "funnel", "km_plot", "love_plot",
           "match_flow", "prisma_diagram", "ps_distribution", "rob_summary",
           "rob_traffic_light", "spider", "swimmer", "waterfall"]

"""Propensity scores, matching and balance diagnostics.

``propensity_score`` fits the model (logistic, probit, penalised; multinomial for three or
more arms); ``match`` matches the focal arm to the others (greedy nearest neighbour as
MatchIt, optimal, or vector matching on the generalised propensity score) and returns the
matched sets.
"""

from oncostat.matching.matched import MatchResult, match
from oncostat.matching.nearest import nearest_neighbour
from oncostat.matching.optimal import optimal_match
from oncostat.matching.propensity import PropensityModel, propensity_score

__all__ = [
    "MatchResult",
    "PropensityModel",
    "match",
    "nearest_neighbour",
    "optimal_match",
    "propensity_score",
]

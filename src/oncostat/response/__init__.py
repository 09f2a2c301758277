"""Tumour response: RECIST 1.1 and mRECIST from lesion measurements, best overall response,
ORR and DCR per arm.

- :func:`assess_response` - lesion measurements to timepoint and best overall response.
- :func:`best_overall_response` - the same from responses already coded per visit.
- :func:`response_rates` - ORR and DCR per arm with Clopper-Pearson intervals, Fisher tests.
"""

from oncostat.response.best_response import (
    RESPONSES,
    ResponseAssessment,
    best_overall_response,
)
from oncostat.response.criteria import assess_response
from oncostat.response.rates import ResponseRates, clopper_pearson, response_rates

__all__ = [
    "RESPONSES",
    "ResponseAssessment",
    "ResponseRates",
    "assess_response",
    "best_overall_response",
    "clopper_pearson",
    "response_rates",
]

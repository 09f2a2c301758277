"""Eligibility flow: counts per box and exclusion, the arm split, the diagram."""

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from oncostat.cohort.flow import eligibility_flow
from oncostat.errors import InputError

STEPS = [{"box": "Screened"},
         {"exclude": "No liver metastasis", "where": "liver == 0"},
         {"box": "Liver metastasis"},
         {"exclude": "Refused", "where": "refused == 1"},
         {"exclude": "More than 3 lesions", "where": "lesions > 3"}]


@pytest.fixture
def screened():
    return pd.DataFrame({"liver": [1, 1, 1, 1, 0, 1, 1, 0],
                         "refused": [0, 1, 0, 0, 1, 1, 0, 0],
                         "lesions": [1, 2, 5, 2, 1, 6, 3, 1],
                         "arm": ["HIFU", "PC", "PC", "BSC", "PC", "BSC", "PC", "BSC"]})


def test_counts_follow_the_criteria_in_order(screened, artifacts):
    flow = eligibility_flow(screened, STEPS, arm="arm", arms=["HIFU", "BSC", "PC"])
    assert flow.boxes == (("Screened", 8), ("Liver metastasis", 6), ("Eligible", 3))
    # Row 6 is refused and has 6 lesions: counted once, under the first reason.
    assert flow.exclusions == ((("No liver metastasis", 2),),
                               (("Refused", 2), ("More than 3 lesions", 1)))
    assert flow.arms == {"HIFU": 1, "BSC": 1, "PC": 1}
    fig = flow.plot()
    drawn = [t.get_text() for t in fig.axes[0].texts]
    assert "Liver metastasis\n(n = 6)" in drawn and "PC\n(n = 1)" in drawn
    assert any(t.startswith("Excluded (n = 3):") for t in drawn)
    fig.savefig(artifacts / "flow.png", dpi=120)
    plt.close(fig)


def test_bad_expression_names_the_step(screened):
    with pytest.raises(InputError, match=r"eligibility step 2: cannot evaluate 'livr == 0'"):
        eligibility_flow(screened, [{"box": "All"}, {"exclude": "x", "where": "livr == 0"}])
    with pytest.raises(InputError, match=r"the first eligibility step must be a box"):
        eligibility_flow(screened, STEPS[1:])

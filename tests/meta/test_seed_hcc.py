"""The seed meta-analysis (HIFU/RFA + radiotherapy in HCC, RevMan 5.4), pp. 630-632.

The paper publishes only pooled results, so examples/hcc_hifu_rt/ holds per-study counts
reconstructed to be consistent with them (see its README). For partial response and
progressive disease the reconstruction reproduces every published number, so RevMan-mode
M-H must print exactly the paper's values (to the paper's 2 decimals), including the rows
of its Table 3. Table 3 omits studies cumulatively (its df only fit that reading).
"""

from pathlib import Path

import pandas as pd
import pytest

from oncostat.errors import DegenerateDataWarning
from oncostat.meta import meta_analysis

DATA = Path(__file__).resolve().parents[2] / "examples" / "hcc_hifu_rt" / "outcomes.csv"


def outcome(name: str, omit: tuple[str, ...] = ()) -> pd.DataFrame:
    data = pd.read_csv(DATA)
    rows = data[(data["outcome"] == name) & ~data["study"].isin(omit)]
    return rows.reset_index(drop=True)


def printed(res):
    h = res.heterogeneity
    return (round(res.estimate, 2), round(res.ci_low, 2), round(res.ci_high, 2),
            round(abs(res.statistic), 2), round(h.q, 2), h.df, round(100 * h.i2))


@pytest.mark.parametrize(("name", "omit", "expected"), [
    # outcome, omitted studies, (OR, CI low, CI high, z, Chi², df, I² %) as printed
    ("PR", (), (2.14, 1.32, 3.48, 3.09, 2.60, 3, 0)),
    ("PR", ("Zhou 2015",), (2.11, 1.22, 3.64, 2.67, 2.57, 2, 22)),
    ("PR", ("Zhou 2015", "Ke 2011"), (2.69, 1.37, 5.28, 2.87, 1.12, 1, 11)),
    ("PD", ("Zhou 2015",), (0.46, 0.27, 0.80, 2.74, 0.57, 1, 0)),
])
def test_partial_response_and_progression_match_the_paper_table3_p632(name, omit, expected):
    if name == "PD":  # Li 2014 has no progression in either arm (0/34 vs 0/34)
        with pytest.warns(DegenerateDataWarning, match=r"double-zero study left out \('Li 2014'\)"):
            res = meta_analysis(outcome(name, omit), measure="OR", method="MH", model="fixed")
    else:
        res = meta_analysis(outcome(name, omit), measure="OR", method="MH", model="fixed")
    assert res.spec.revman
    assert printed(res) == expected


def test_progressive_disease_pooled_and_single_study_row_p631():
    with pytest.warns(DegenerateDataWarning, match="double-zero"):
        res = meta_analysis(outcome("PD"), measure="OR", method="MH", model="fixed")
    assert (round(res.estimate, 2), round(res.ci_low, 2), round(res.ci_high, 2)) == \
        (0.45, 0.27, 0.76)
    assert round(res.pvalue, 3) == 0.003 and round(100 * res.heterogeneity.i2) == 0
    # Omitting Zhou and Ke leaves one estimable study: RevMan prints "/" for Chi², df, I².
    with pytest.warns(DegenerateDataWarning, match="double-zero"):
        one = meta_analysis(outcome("PD", ("Zhou 2015", "Ke 2011")), measure="OR", method="MH")
    assert (round(one.estimate, 2), round(one.ci_low, 2), round(one.ci_high, 2),
            round(abs(one.statistic), 2)) == (0.39, 0.19, 0.79, 2.61)
    assert one.heterogeneity.df == 0

"""The response report section: tables with exact CIs, figures, methods citing the rules."""

import pandas as pd

from oncostat.report import Report
from oncostat.report.response_section import add_response_section, rates_table
from oncostat.response import assess_response, best_overall_response, response_rates
from tests.response._lesions import COLS, lesion_table, targets


def test_seed_rates_table_and_html():
    coded = pd.DataFrame({"no": range(24), "day": 30,
                          "resp": ["PR", "CR", "CR", "CR", "CR", "CR", "SD", "PR"]
                          + ["CR"] * 3 + ["PR"] * 6 + ["SD"] * 3 + ["PD"] * 4})
    res = best_overall_response(coded, patient="no", date="day", response="resp")
    pts = pd.DataFrame({"patient": range(24), "arm": ["HIFU"] * 8 + ["PC"] * 16})
    rates = response_rates(res, arm="arm", patients=pts)
    table = rates_table(rates)
    assert table.loc[0, "ORR, % (95% CI)"] == "87.5 (47.3 to 99.7)"
    assert table.loc[1, "ORR, % (95% CI)"].startswith("56.3 (")   # as printed in the seed
    assert table.loc[0, "CR"] == "5 (62.5)"
    rep = Report("Response")
    add_response_section(rep, "Tumour response", rates, res)
    html = rep.render()
    assert "Eisenhauer EA" in html and "Clopper CJ, Pearson ES" in html
    assert "Lencioni R" not in html                  # no mRECIST assessment here
    assert html.count("<svg") == 1                   # swimmer only: no measurements


def test_measured_mrecist_section_has_waterfall_spider_swimmer():
    rows = []
    for i, series in enumerate([[30, 0], [30, 15], [30, 27], [25, 5]]):
        rows += targets(f"H{i}", {"L1": series}, [0, 30])
    res = assess_response(lesion_table(*rows), **COLS, criteria="mRECIST", confirm=False)
    pts = pd.DataFrame({"patient": [f"H{i}" for i in range(4)], "arm": "HIFU"})
    rates = response_rates(res, arm="arm", patients=pts)
    rep = Report("Response")
    add_response_section(rep, "HIFU response", rates, res, description="mRECIST at 30 days.")
    html = rep.render()
    assert html.count("<svg") == 3
    assert "Lencioni R, Llovet JM" in html and "viable, arterially enhancing" in html
    assert list(rep.figures) == ["figure1_waterfall_hifu_response",
                                 "figure2_spider_hifu_response",
                                 "figure3_swimmer_hifu_response"]

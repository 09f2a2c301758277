"""The survival report section: KM figure, medians with 'Not reached', landmarks, Cox table."""

import pandas as pd
import pytest

from oncostat.errors import DegenerateDataWarning
from oncostat.report import Report
from oncostat.report.survival_section import add_survival_section, median_table
from oncostat.survival import survival_summary
from tests.conftest import REFERENCE


def test_seed_hifu_arm_reports_not_reached():
    # The seed's Table 3: 8 HIFU patients, 2 deaths; the KM median OS is not reached.
    data = pd.read_csv(REFERENCE / "survival" / "data" / "hifu.csv")
    with pytest.warns(DegenerateDataWarning, match="median not reached"):
        res = survival_summary(data, time="time", event="status", times=[12, 24])
    assert median_table(res).loc[0, "Median (95% CI)"].startswith("Not reached")
    rep = Report("Survival")
    add_survival_section(rep, "Overall survival", res)
    html = rep.render()
    assert html.count("<svg") == 1 and "Median not reached (NR)" in html
    assert "Overall survival: survival at chosen times." in html


def test_grouped_endpoint_has_logrank_and_cox_rows():
    data = pd.read_csv(REFERENCE / "survival" / "data" / "aml.csv")
    res = survival_summary(data, time="time", event="status", group="grp")
    rep = Report("AML")
    add_survival_section(rep, "Remission duration", res)
    html = rep.render()
    assert "Log-rank test: chi-squared = 3.40 on 1 df" in html
    assert "Cox proportional hazards model (efron ties)" in html

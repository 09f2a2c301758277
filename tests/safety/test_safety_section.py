"""The safety report section: n (%) table by arm, dot plot, methods naming the CTCAE version."""

import matplotlib.pyplot as plt
import pandas as pd

from oncostat.report import Report
from oncostat.report.safety_section import add_safety_section, safety_table
from oncostat.safety import adverse_event_table
from tests.conftest import REFERENCE

DATA = REFERENCE / "safety" / "data"


def test_seed_safety_section():
    ae = adverse_event_table(pd.read_csv(DATA / "seed_ae.csv"),
                             pd.read_csv(DATA / "seed_patients.csv"), patient="patient",
                             term="term", grade="grade", arm="arm")
    table = safety_table(ae)
    first = table.iloc[0]
    assert first["Adverse event"] == "Any adverse event"
    assert first["PC (n = 16): any grade"] == "10 (62.5)"
    assert first["PC (n = 16): grade \u2265 3"] == "4 (25.0)"
    assert first["HIFU (n = 8): grade \u2265 3"] == "0 (0.0)"
    rep = Report("Safety")
    add_safety_section(rep, "Adverse events", ae)
    html = rep.render()
    plt.close("all")
    assert html.count("<svg") == 1
    assert "CTCAE) version 4.0" in html and "Fisher" in html


def test_related_only_v5_methods():
    ev = pd.DataFrame({"id": [1, 2], "ae": ["Rash", "Rash"], "g": [2, 3],
                       "attr": ["probable", "unrelated"]})
    pts = pd.DataFrame({"id": [1, 2, 3], "arm": ["A", "A", "A"]})
    ae = adverse_event_table(ev, pts, patient="id", term="ae", grade="g", arm="arm",
                             ctcae_version="5.0", attribution="attr", related_only=True)
    assert ae.table.set_index("term").loc["Rash", "any_n"] == 1
    rep = Report("Safety")
    add_safety_section(rep, "Treatment-related adverse events", ae)
    html = rep.render()
    plt.close("all")
    assert "version 5.0" in html and "possibly, probably or definitely related" in html
    assert "P, any grade" not in html                     # one arm: no test

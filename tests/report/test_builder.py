"""The HTML report is self-contained, numbered, and written atomically."""

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from oncostat.report import Report
from oncostat.report.builder import write_atomic


def test_report_is_self_contained_and_numbered(tmp_path):
    data = tmp_path / "in.csv"
    data.write_text("a\n1\n")
    rep = Report("Title")
    rep.add_input(data)
    sec = rep.section("Results")
    sec.add_table(pd.DataFrame({"x": [1.23456]}), "First.")
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    sec.add_figure(fig, "A line.")
    sec.add_methods("Pooled.", ["Ref A."])
    html = rep.write(tmp_path / "r.html").read_text()
    assert "<b>Table 1.</b> First." in html and "<b>Figure 1.</b> A line." in html
    assert "<svg" in html and "http://" not in html.split("<svg")[0]
    assert "1.23" in html and "Ref A." in html
    assert rep.inputs[str(data)] in html  # the SHA-256 of the input
    written = rep.export_tables(tmp_path / "tables")
    assert {p.name for p in written} == {"table1.csv", "tables.xlsx"}
    plt.close(fig)


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    target = tmp_path / "out.html"

    def fail(*_args):
        raise OSError("disk full")

    monkeypatch.setattr("oncostat.report.builder.os.replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"<html>")
    assert list(tmp_path.iterdir()) == []

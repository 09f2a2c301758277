"""Extraction ledger and the hand-off to oncostat.meta and the forest plot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from oncostat.errors import InputError
from oncostat.meta import meta_analysis
from oncostat.plot.forest import forest
from oncostat.review import ReviewStore
from oncostat.review.extraction import (
    drop_high_risk,
    export_meta_table,
    import_extraction,
    record_extraction,
    rob_columns,
)
from oncostat.review.rob import import_rob, rob_tool

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hcc_hifu_rt"


@pytest.fixture(autouse=True)
def _close() -> Iterator[None]:
    yield
    plt.close("all")


def _rob(store: ReviewStore) -> None:
    wide = pd.read_csv(EXAMPLE / "risk_of_bias.csv").drop(columns="year")
    long = wide.melt(id_vars="study", var_name="domain", value_name="judgement")
    long["domain"] = long["domain"].map(
        dict(zip(wide.columns[1:], [d for d, _ in rob_tool("rob1").domains], strict=True)))
    import_rob(store, long, "A", "rob1")
    import_rob(store, long, "B", "rob1")


def _pr(tmp_path: Path) -> Path:
    """The seed review's partial-response outcome (examples/hcc_hifu_rt/outcomes.csv)."""
    outcomes = pd.read_csv(EXAMPLE / "outcomes.csv")
    pr = outcomes[outcomes["outcome"] == "PR"].copy()
    pr["technique"] = ["3DCRT" if s.startswith(("Ke", "Li", "Wang", "Ding")) else "IMRT"
                       for s in pr["study"]]
    path = tmp_path / "extraction.csv"
    pr.to_csv(path, index=False)
    return path


def test_extraction_to_meta_analysis_and_forest_with_rob(store: ReviewStore,
                                                         tmp_path: Path, artifacts: Path):
    outcomes = pd.read_csv(EXAMPLE / "outcomes.csv")
    pr = outcomes[outcomes["outcome"] == "PR"]
    import_extraction(store, _pr(tmp_path), "A")
    _rob(store)
    table = export_meta_table(store, "PR")
    assert list(table.columns[:6]) == ["study", "year", "events_treat", "total_treat",
                                       "events_ctrl", "total_ctrl"]
    assert "technique" in table.columns and "RoB: Overall" in table.columns
    assert table["RoB: Random sequence generation"].notna().all()
    # The pooled OR equals the one from the example's own table.
    res = meta_analysis(table, measure="OR", method="MH")
    ref = meta_analysis(pr.reset_index(drop=True), measure="OR", method="MH")
    assert_allclose(res.estimate, ref.estimate, rtol=1e-12)
    fig = forest(res, rob=rob_columns(table), title="PR, from the extraction ledger")
    assert [c for c in fig.axes[-1].collections if c.get_gid() == "rob-circles"]
    fig.savefig(artifacts / "forest_extraction_rob.png", dpi=110)
    # Sensitivity analysis: drop the studies at high overall risk.
    low = drop_high_risk(table)
    assert set(low["study"]) == set(table["study"]) - set(
        table.loc[table["RoB: Overall"] == "high", "study"])
    assert meta_analysis(low, measure="OR").studies.shape[0] == len(low)


def test_later_extraction_supersedes_and_kinds(store: ReviewStore):
    record_extraction(store, "Ke 2011", "OS1y", "A", year=2011, events_treat=30,
                      total_treat=40, events_ctrl=25, total_ctrl=40)
    record_extraction(store, "Ke 2011", "OS1y", "B", year=2011, events_treat=31,
                      total_treat=40, events_ctrl=25, total_ctrl=40, record_id=3)
    table = export_meta_table(store, "OS1y", rob_tool=None)
    assert table[["events_treat", "record_id"]].values.tolist() == [[31, 3]]
    assert len(store.extractions()) == 2                      # the first row is kept
    record_extraction(store, "Li 2014", "pain", "A", mean_treat=2.1, sd_treat=1.0,
                      n_treat=34, mean_ctrl=3.0, sd_ctrl=1.2, n_ctrl=34)
    record_extraction(store, "Li 2014", "HR", "A", estimate=0.7, ci_low=0.5, ci_high=0.98)
    assert export_meta_table(store, "HR", rob_tool=None)["estimate"].tolist() == [0.7]
    assert export_meta_table(store, "pain", rob_tool=None)["n_treat"].dtype == "int64"
    with pytest.raises(InputError, match=r"outcome: no extraction for 'PFS'"):
        export_meta_table(store, "PFS")


@pytest.mark.parametrize(("row", "message"), [
    ({"events_treat": "50", "total_treat": "40", "events_ctrl": "1", "total_ctrl": "40"},
     r"row 1, column 'events_treat': 50 events out of 40"),
    ({"events_treat": "2.5", "total_treat": "40", "events_ctrl": "1", "total_ctrl": "40"},
     r"row 1, column 'events_treat': expected a count >= 0, got '2.5'"),
    ({"events_treat": "5", "total_treat": "40", "estimate": "0.5"},
     r"row 1: expected the data of one kind.* got binary and generic"),
    ({"estimate": "1.5", "ci_low": "0.5", "ci_high": "1.2"},
     r"row 1: expected ci_low <= estimate <= ci_high"),
    ({"events_treat": "5", "total_treat": "40", "events_ctrl": "1", "total_ctrl": "40",
      "record_id": "99"}, r"row 1, column 'record_id': '99' is not a record"),
])
def test_bad_extraction_rows(store: ReviewStore, row, message):
    frame = pd.DataFrame([{"study": "Ke 2011", "outcome": "PR", **row}])
    with pytest.raises(InputError, match=message):
        import_extraction(store, frame, "A")
    assert store.extractions().empty

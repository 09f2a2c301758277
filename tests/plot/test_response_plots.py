"""Waterfall, spider, swimmer and adverse-event dot plots: what is drawn, and PNGs to look at.

The data are built to reproduce the seed study's response counts (Zhou et al., BMC Surg
2021;21:308): HIFU 5 CR, 2 PR, 1 SD by mRECIST; chemotherapy 3 CR, 6 PR, 3 SD, 4 PD by
RECIST 1.1; its adverse events are tests/reference/safety/data/seed_ae.csv.
"""

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest

from oncostat.errors import InputError
from oncostat.plot.ae import ae_dotplot
from oncostat.plot.spider import spider
from oncostat.plot.swimmer import swimmer
from oncostat.plot.waterfall import RESPONSE_COLOURS, waterfall
from oncostat.response import assess_response, best_overall_response, response_rates
from oncostat.safety import adverse_event_table
from tests.conftest import REFERENCE

COLS = {"patient": "patient", "date": "day", "lesion": "lesion", "kind": "kind",
        "diameter": "diameter", "organ": "organ", "status": "status"}


def _rows(pid: str, series: list[list[float]], days: list[int], new_at: int | None = None):
    rows = []
    for j, values in enumerate(series):
        for d, v in zip(days, values, strict=True):
            rows.append((pid, d, f"L{j}", "target", v, f"seg{j}", None))
    if new_at is not None:
        rows.append((pid, new_at, "X", "new", np.nan, None, None))
    return rows


@pytest.fixture
def seed_lesions() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(2021)
    days = [0, 30, 120, 210]
    hifu, pc = [], []
    shapes = {"CR": [1, 0.3, 0, 0], "PR": [1, 0.6, 0.5, 0.55], "SD": [1, 0.9, 0.95, 1.02]}
    for i, r in enumerate(["PR", "CR", "CR", "CR", "CR", "CR", "SD", "PR"]):
        k = int(rng.integers(1, 3))
        hifu += _rows(f"H{i + 1}", [list(np.round(rng.uniform(12, 40) * np.array(shapes[r]), 1))
                                    for _ in range(k)], days)
    pc_days = [0, 56, 112, 168]
    pc_shapes = {"CR": [1, 0.4, 0, 0], "PR": [1, 0.75, 0.62, 0.6], "SD": [1, 0.95, 0.9, 0.92],
                 "PD": [1, 1.4, 1.55, 1.7]}
    for i, r in enumerate(["CR"] * 3 + ["PR"] * 6 + ["SD"] * 3 + ["PD"] * 4):
        scale = pc_shapes[r] * (1 + rng.normal(0, 0.04, 4) * (r != "PD") * np.r_[0, 1, 1, 1])
        if r == "CR":
            scale[2:] = 0
        if r == "PD":
            scale = scale * (1 + np.r_[0, 0.04, 0.08, 0.12] * (i % 4))
        # The last PD patient progresses by a new lesion while the target shrinks.
        new = 56 if i == 15 else None
        if new is not None:
            scale = np.array([1, 0.85, 0.8, 0.8])
        pc += _rows(f"C{i + 1:02d}", [list(np.round(rng.uniform(15, 50) * scale, 1))],
                    pc_days, new)
    cols = ["patient", "day", "lesion", "kind", "diameter", "organ", "status"]
    return pd.DataFrame(hifu, columns=cols), pd.DataFrame(pc, columns=cols)


@pytest.fixture
def seed_rates(seed_lesions):
    h = assess_response(seed_lesions[0], **COLS, criteria="mRECIST")
    p = assess_response(seed_lesions[1], **COLS)
    pts = pd.DataFrame({"patient": list(h.best["patient"]) + list(p.best["patient"]),
                        "arm": ["HIFU"] * 8 + ["PC"] * 16})
    return h, p, response_rates([h, p], arm="arm", patients=pts)


def _bars(ax):
    return [b for b in ax.patches if (b.get_gid() or "").startswith("bar:")]


def test_seed_counts(seed_rates):
    h, p, _ = seed_rates
    assert h.counts == {"CR": 5, "PR": 2, "SD": 1, "PD": 0, "NE": 0}
    assert p.counts == {"CR": 3, "PR": 6, "SD": 3, "PD": 4, "NE": 0}


def test_waterfall_one_panel(seed_rates, artifacts):
    _, p, _ = seed_rates
    fig = waterfall(p, title="Palliative chemotherapy (RECIST 1.1)")
    ax = fig.axes[0]
    bars = _bars(ax)
    heights = [b.get_height() for b in bars]
    assert len(bars) == 16 and heights == sorted(heights, reverse=True)
    best = p.best.set_index("patient")
    for b in bars:
        pid = b.get_gid().removeprefix("bar:")
        assert mcolors.to_hex(b.get_facecolor()) == RESPONSE_COLOURS[best.loc[pid,
                                                                              "best_response"]]
        assert b.get_height() == pytest.approx(best.loc[pid, "best_pct_change"])
    lines = {ln.get_gid(): ln.get_ydata()[0] for ln in ax.get_lines() if ln.get_gid()}
    assert lines == {"threshold:pd": 20.0, "threshold:pr": -30.0}
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["CR", "PR", "SD", "PD"]
    fig.savefig(artifacts / "waterfall_pc.png", dpi=150)


def test_waterfall_per_arm(seed_rates, artifacts):
    _, _, rates = seed_rates
    fig = rates.plot(title="Best change from baseline")
    assert [ax.get_label() for ax in fig.axes] == ["waterfall:HIFU", "waterfall:PC"]
    assert [len(_bars(ax)) for ax in fig.axes] == [8, 16]
    fig.savefig(artifacts / "waterfall_seed_arms.png", dpi=150)


def test_waterfall_notes_patients_not_drawn(artifacts):
    rows = [("A", 0, "L1", "target", 30), ("A", 56, "L1", "target", 12),
            ("B", 0, "L1", "target", 30), ("B", 56, "L1", "target", np.nan),
            ("C", 0, "L1", "target", 25)]
    data = pd.DataFrame(rows, columns=["patient", "day", "lesion", "kind", "diameter"])
    res = assess_response(data, patient="patient", date="day", lesion="lesion", kind="kind",
                          diameter="diameter")
    fig = waterfall(res, labels=True)
    ax = fig.axes[0]
    assert len(_bars(ax)) == 1
    assert ax.get_xlabel() == "1 patient (2 without a measured follow-up not shown)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A"]
    fig.savefig(artifacts / "waterfall_missing.png", dpi=150)


def test_spider(seed_rates, artifacts):
    h, p, _ = seed_rates
    fig = spider(p, title="PC, RECIST 1.1")
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("line:")]
    assert len(lines) == 16
    assert all(ln.get_xdata()[0] == 0 and ln.get_ydata()[0] == 0 for ln in lines)
    c01 = next(ln for ln in lines if ln.get_gid() == "line:C01")
    tp = p.timepoints[p.timepoints["patient"] == "C01"]
    np.testing.assert_allclose(c01.get_ydata()[1:], tp["pct_baseline"])
    np.testing.assert_allclose(c01.get_xdata()[1:], tp["days"] / 7)
    pd_marks = [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("pd:")]
    assert len(pd_marks) == 4
    fig.savefig(artifacts / "spider_pc.png", dpi=150)
    fig = h.plot("spider", time_unit="months")
    assert fig.axes[0].get_xlabel() == "Time since start (months)"
    fig.savefig(artifacts / "spider_hifu.png", dpi=150)


def test_swimmer(seed_rates, artifacts):
    _, p, _ = seed_rates
    follow = {"C01": 400.0, "C05": 300.0}
    fig = swimmer(p, follow_up=follow, title="PC: time on study")
    ax = fig.axes[0]
    bars = _bars(ax)
    assert len(bars) == 16
    widths = [b.get_width() for b in bars]
    assert widths == sorted(widths) and max(widths) == pytest.approx(400 / 7)
    markers = [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("marker:")]
    assert sum(len(ln.get_xdata()) for ln in markers) == len(p.timepoints)
    labels = {t.get_gid(): t.get_text().strip() for t in ax.texts}
    assert labels["best:C16"] == "PD" and labels["best:C01"] == "CR"
    fig.savefig(artifacts / "swimmer_pc.png", dpi=150)


def test_swimmer_of_coded_responses(artifacts):
    coded = pd.DataFrame({"id": ["A", "A", "A", "B", "B", "C"], "day": [56, 112, 168, 56, 84, 40],
                          "resp": ["SD", "PR", "PR", "SD", "PD", "NE"]})
    res = best_overall_response(coded, patient="id", date="day", response="resp")
    fig = res.plot("swimmer")
    assert len(_bars(fig.axes[0])) == 3
    fig.savefig(artifacts / "swimmer_coded.png", dpi=150)
    with pytest.raises(InputError, match="spider: expected a ResponseAssessment from "
                                         "assess_response"):
        res.plot("spider")
    rates = response_rates(res.best.assign(arm="X"), arm="arm")
    with pytest.raises(InputError, match="a waterfall plot needs lesion measurements"):
        rates.plot()


def test_ae_dotplot(artifacts):
    events = pd.read_csv(REFERENCE / "safety" / "data" / "seed_ae.csv")
    pts = pd.read_csv(REFERENCE / "safety" / "data" / "seed_patients.csv")
    ae = adverse_event_table(events, pts, patient="patient", term="term", grade="grade",
                             arm="arm")
    fig = ae_dotplot(ae)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(ae.terms)
    dots = {ln.get_gid(): ln for ln in ax.get_lines() if ln.get_gid()}
    severe = int((ae.table["grade3_n"] > 0).sum())
    assert len(dots) == 2 * len(ae.terms) + severe
    assert dots["any:PC:Any adverse event"].get_xdata()[0] == 62.5
    assert dots["grade3:PC:Any adverse event"].get_xdata()[0] == 25.0
    assert dots["any:HIFU:Any adverse event"].get_xdata()[0] == 50.0
    assert "grade3:HIFU:Any adverse event" not in dots          # no grade >= 3 with HIFU
    assert ax.get_title(loc="left") == "Adverse events (CTCAE v4.0)"
    fig.savefig(artifacts / "ae_dotplot_seed.png", dpi=150)
    fig = ae.plot(max_terms=5, include_any=False)
    assert len(fig.axes[0].get_yticklabels()) == 5

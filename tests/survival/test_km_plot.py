"""The Kaplan-Meier figure: what is drawn, and a PNG to look at."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from oncostat.errors import DegenerateDataWarning
from oncostat.survival import survival_summary
from tests.conftest import REFERENCE


def _axes(fig, label):
    return next(a for a in fig.axes if a.get_label() == label)


def test_km_plot_draws_one_curve_and_one_risk_row_per_arm(artifacts):
    data = pd.read_csv(REFERENCE / "survival/data/colon.csv")
    data["months"] = data["time"] / 30.4375
    with pytest.warns(DegenerateDataWarning, match="Lev\\+5FU"):
        summary = survival_summary(data, time="months", event="status", group="grp",
                                   reference="Obs")
    ticks = [0, 12, 24, 36, 48, 60, 72, 84, 96, 108]
    fig = summary.plot(ci=True, times=ticks)
    fig.savefig(artifacts / "km_colon.png", dpi=150)
    ax, table = _axes(fig, "km curves"), _axes(fig, "risk table")
    arms = [str(g) for g in summary.km.groups]
    curves = [ln for ln in ax.get_lines() if str(ln.get_gid()).startswith("curve:")]
    assert [ln.get_label() for ln in curves] == arms
    assert list(ax.get_xticks()) == ticks
    at = summary.km.at(ticks)
    for arm in arms:
        texts = [t for t in table.texts if t.get_gid() == f"risk:{arm}"]
        assert [t.get_position()[0] for t in texts] == ticks            # under the ticks
        expected = at.loc[at["group"].astype(str) == arm, "n_risk"].astype(int).astype(str)
        assert [t.get_text() for t in texts] == list(expected)
        assert sum(t.get_gid() == f"risk-label:{arm}" for t in table.texts) == 1
    annotation = [t.get_text() for t in ax.texts if t.get_gid() == "annotation"]
    assert annotation == ["Log-rank p = 0.003"]
    assert ax.get_xlabel() == "Months"
    plt.close(fig)


def test_km_plot_two_arms_shows_hr_and_medians(artifacts):
    data = pd.read_csv(REFERENCE / "survival/data/aml.csv")
    summary = survival_summary(data, time="time", event="status", group="grp")
    fig = summary.plot(xlabel="Weeks")
    fig.savefig(artifacts / "km_aml.png", dpi=150)
    ax = _axes(fig, "km curves")
    text = next(t.get_text() for t in ax.texts if t.get_gid() == "annotation")
    assert text.startswith("Log-rank p = 0.065\nHR 2.50 (95% CI")
    medians = [ln for ln in ax.get_lines() if ln.get_gid() == "median"]
    assert len(medians) == 3    # one vertical per arm and the horizontal at 0.5
    verticals = sorted(ln.get_xdata()[0] for ln in medians[:2])
    assert np.allclose(verticals, sorted(summary.km.medians["median"]))
    plt.close(fig)

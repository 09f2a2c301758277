"""Subgroup analysis and leave-one-out against metafor 3.8-1 on dat.bcg (log odds ratios).

Fixtures: ``tests/reference/meta/subgroup_bcg.json`` and ``leave1out_bcg.json``, each written
by the R script beside it (``Rscript tests/reference/meta/subgroup_bcg.R``), data in
``tests/reference/meta/data/bcg.csv``. metafor reports I² in percent and estimates on the log
scale; oncostat I² is a fraction and estimates are odds ratios.

The test for subgroup differences is a fixed-effect inverse-variance meta-analysis of the
subgroup estimates (Q on G - 1 df; Cochrane Handbook 10.11.3.1, RevMan 5); for the IV
fixed-effect model it equals metafor's moderator test QM for ``mods = ~ alloc`` and
Q_total - sum(Q_within).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncostat.meta import leave_one_out, subgroup_analysis
from tests.compare import Checks, check
from tests.conftest import REFERENCE, load_reference

SG = load_reference("meta/subgroup_bcg.json")
LOO = load_reference("meta/leave1out_bcg.json")
OPTIONS = {
    "MH": {"measure": "OR", "method": "MH", "model": "fixed", "revman": False},
    "IV-fixed": {"measure": "OR", "method": "IV", "model": "fixed", "revman": False},
    "IV-random-DL": {"measure": "OR", "method": "IV", "model": "random", "tau2_method": "DL",
                     "revman": False},
    "MH-fixed": {"measure": "OR", "method": "MH", "model": "fixed", "revman": False},
    "IV-random-REML": {"measure": "OR", "method": "IV", "model": "random",
                       "tau2_method": "REML", "revman": False},
}


def bcg() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / SG["data"])


def pooled_checks(c: Checks, res, ref: dict, model: str, label: str) -> None:
    c(res.k, ref["k"], f"{label} k")
    c(res.log_estimate, ref["beta"], f"{label} log OR")
    c(res.estimate, np.exp(ref["beta"]), f"{label} OR")
    c(res.se, ref["se"], f"{label} se")
    c(res.ci_low, np.exp(ref["ci_lb"]), f"{label} ci_low")
    c(res.ci_high, np.exp(ref["ci_ub"]), f"{label} ci_high")
    c(res.statistic, ref["zval"], f"{label} z")
    c(res.pvalue, ref["pval"], f"{label} p")
    c(res.heterogeneity.q, ref["QE"], f"{label} Q")
    c(res.heterogeneity.i2, ref["I2"] / 100, f"{label} I2")
    if model == "random":
        c(res.heterogeneity.tau2, ref["tau2"], f"{label} tau2 (DL, own per subgroup)")


@pytest.fixture(scope="module")
def subgroups():
    return {kind: subgroup_analysis(bcg(), by="alloc", **OPTIONS[kind]) for kind in SG["analyses"]}


SG_CASES = [pytest.param(kind, level, id=f"{kind}-{level}")
            for kind, a in SG["analyses"].items() for level in a["subgroups"]]


@pytest.mark.parametrize(("kind", "level"), SG_CASES)
def test_subgroup_estimates(subgroups, kind, level):
    a = SG["analyses"][kind]
    sg = subgroups[kind]
    assert set(sg.subgroups) == set(a["subgroups"])
    c = Checks()
    pooled_checks(c, sg.subgroups[level], a["subgroups"][level], a["model"], level)
    c.done()


@pytest.mark.parametrize("kind", list(SG["analyses"]))
def test_subgroup_overall(subgroups, kind):
    a = SG["analyses"][kind]
    c = Checks()
    pooled_checks(c, subgroups[kind].overall, a["overall"], a["model"], "overall")
    c.done()


@pytest.mark.parametrize("kind", list(SG["analyses"]))
def test_test_for_subgroup_differences(subgroups, kind):
    d = SG["analyses"][kind]["difference"]
    diff = subgroups[kind].difference
    c = Checks()
    c(diff.q, d["Q"], "Q between")
    c(diff.df, d["df"], "df")
    c(diff.pvalue, d["pval"], "p")
    c(diff.i2, d["I2"] / 100, "I2 between")
    c.done()


def test_iv_fixed_subgroup_difference_equals_metafor_qm(subgroups):
    mods = SG["analyses"]["IV-fixed"]["metafor_mods"]
    sg = subgroups["IV-fixed"]
    check(sg.difference.q, mods["QM"], "Q between vs rma(mods = ~ alloc, method = 'FE') QM")
    check(sg.difference.pvalue, mods["QMp"], "QMp")
    assert sg.difference.df == mods["QMdf"] == 2
    q_within = sum(r.heterogeneity.q for r in sg.subgroups.values())
    check(sg.overall.heterogeneity.q - q_within, mods["QM"], "Q_total - sum(Q_within)")


LOO_CASES = [pytest.param(kind, i, id=f"{kind}-omit-{study}")
             for kind, a in LOO["analyses"].items() for i, study in enumerate(a["study"])]


@pytest.fixture(scope="module")
def loo_frames():
    return {kind: leave_one_out(bcg(), **OPTIONS[kind]).to_frame() for kind in LOO["analyses"]}


@pytest.mark.parametrize("kind", list(LOO["analyses"]))
def test_leave_one_out_rows(loo_frames, kind):
    frame = loo_frames[kind]
    assert list(frame["study"].astype(str)) == LOO["analyses"][kind]["study"]


@pytest.mark.parametrize(("kind", "i"), LOO_CASES)
def test_leave_one_out(loo_frames, kind, i):
    a = LOO["analyses"][kind]
    row = loo_frames[kind].iloc[i]
    c = Checks()
    c(row["estimate"], np.exp(a["estimate"][i]), "estimate (OR)")
    c(row["ci_low"], np.exp(a["ci_lb"][i]), "ci_low")
    c(row["ci_high"], np.exp(a["ci_ub"][i]), "ci_high")
    c(row["statistic"], a["zval"][i], "z")
    c(row["pvalue"], a["pval"][i], "p")
    c(row["q"], a["Q"][i], "Q")
    c(row["df"], len(a["study"]) - 2, "Q df")
    c(row["q_pvalue"], a["Qp"][i], "Q p")
    c(row["i2"], a["I2"][i] / 100, "I2")
    if a["model"] == "random":
        c(row["tau2"], a["tau2"][i], "tau2 (REML)")
    c.done()

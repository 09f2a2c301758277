"""Influence diagnostics against metafor 3.8-1 ``influence(res)`` (Viechtbauer & Cheung 2010).

Fixtures: ``tests/reference/meta/influence_<data set>.json``, written by the R script beside
each (``Rscript tests/reference/meta/influence_bcg.R``), input data in
``tests/reference/meta/data/ss_<data set>.csv``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from oncostat.errors import InputError
from oncostat.meta import meta_analysis
from oncostat.meta.influence import influence
from tests.conftest import REFERENCE, load_reference
from tests.tolerances import RTOL

FIXTURES = sorted(p.stem for p in (REFERENCE / "meta").glob("influence_*.json"))
COLUMNS = {"rstudent": "rstudent", "dffits": "dffits", "cook_d": "cook_d", "cov_r": "cov_r",
           "tau2_del": "tau2_del", "qe_del": "QE_del", "hat": "hat", "weight": "weight",
           "dfbetas": "dfbetas"}


def _cases() -> list:
    cases = []
    for stem in FIXTURES:
        for ds in load_reference(f"meta/{stem}.json")["datasets"]:
            for a in ds["analyses"]:
                tag = "-".join(str(x) for x in (ds["dataset"], a["measure"], a["model"],
                                                a["tau2_method"] or "FE",
                                                "HK" if a["hakn"] else "z"))
                cases.append(pytest.param(ds["data"], a, id=tag))
    return cases


def bcg() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "meta/data/ss_bcg.csv")


@pytest.mark.parametrize(("path", "a"), _cases())
def test_influence_matches_metafor(path, a):
    options = {"measure": a["measure"], "method": "IV", "model": a["model"], "hakn": a["hakn"]}
    if a["tau2_method"]:
        options["tau2_method"] = a["tau2_method"]
    if a["measure"] == "GEN":
        options["ratio"] = True
    table = influence(meta_analysis(pd.read_csv(REFERENCE / path), **options)).table
    assert len(table) == a["k"]
    for ours, theirs in COLUMNS.items():
        assert_allclose(table[ours], a[theirs], rtol=RTOL, err_msg=ours)
    assert table["influential"].tolist() == a["influential"]


def test_influence_flags_studies_in_bcg_fixed_effect():
    # Fixed effect: the large trials dominate (metafor flags three); REML flags none.
    ref = load_reference("meta/influence_bcg.json")["datasets"][0]["analyses"]
    fixed = next(a for a in ref if a["model"] == "fixed" and a["measure"] == "OR")
    res = influence(meta_analysis(bcg(), measure="OR", method="IV"))
    flagged = [s for s, f in zip(bcg()["study"], fixed["influential"], strict=True) if f]
    assert len(flagged) == 3
    assert res.influential == flagged
    assert np.isclose(res.table["weight"].sum(), 100)
    text = str(res)
    assert text.startswith("Influence diagnostics")
    assert "Influential: " + ", ".join(flagged) in text
    json.dumps(res.to_dict())
    assert list(res.to_frame().columns)[:2] == ["study", "rstudent"]


def test_influence_needs_inverse_variance():
    with pytest.raises(InputError, match=r"need an inverse-variance analysis.*method='IV'"):
        influence(meta_analysis(bcg(), measure="OR", method="MH"))


def test_influence_needs_two_studies():
    with pytest.raises(InputError, match="at least 2 studies; got k = 1"):
        influence(meta_analysis(bcg().head(1), measure="OR", method="IV"))
    with pytest.raises(InputError, match="at least 3 studies with Hartung-Knapp; got k = 2"):
        influence(meta_analysis(bcg().head(2), measure="OR", method="IV", model="random",
                                hakn=True))


def test_influence_two_studies_random_effects():
    # Deleting either study leaves one: tau² = 0 and Q = 0 without it (no warning escapes).
    res = influence(meta_analysis(bcg().head(2), measure="OR", method="IV", model="random",
                                  tau2_method="REML"))
    assert res.table["tau2_del"].tolist() == [0.0, 0.0]
    assert res.table["qe_del"].tolist() == [0.0, 0.0]

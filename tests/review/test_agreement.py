"""Cohen's kappa with the Fleiss-Cohen-Everitt SE, PABAK, and agreement from the ledger."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.review import ReviewStore
from oncostat.review.agreement import agreement, cohen_kappa
from oncostat.review.screening import export_queue, import_decisions
from tests.conftest import load_reference
from tests.tolerances import RTOL


def test_kappa_matches_fleiss_levin_paik_2003_section_18_1_by_hand():
    # Fleiss, Levin & Paik, Statistical Methods for Rates and Proportions, 3rd ed. (2003),
    # section 18.1: two raters, 100 patients, three diagnoses. By hand: p_o = 0.75 + 0.04
    # + 0.10 = 0.89; margins 0.80/0.10/0.10 and 0.80/0.05/0.15 give p_e = 0.64 + 0.005 +
    # 0.015 = 0.66; kappa = (0.89 - 0.66) / (1 - 0.66) = 0.23 / 0.34.
    res = cohen_kappa([[75, 1, 4], [5, 4, 1], [0, 0, 10]])
    assert_allclose([res.po, res.pe, res.kappa], [0.89, 0.66, 0.23 / 0.34], rtol=1e-12)
    assert_allclose(res.pabak, (3 * 0.89 - 1) / 2, rtol=1e-12)


def test_kappa_se_matches_bonett_statpsych_ci_kappa_example():
    # statpsych::ci.kappa(.05, 31, 12, 4, 58) documents Cohen kappa 0.6756757, SE
    # 0.07344761, 95% CI 0.5317210 to 0.8196303 (Fleiss & Paik 2003 variance).
    res = cohen_kappa([[31, 12], [4, 58]])
    assert_allclose([res.kappa, res.se, res.ci_low, res.ci_high],
                    [0.6756757, 0.07344761, 0.5317210, 0.8196303], rtol=1e-6)
    assert_allclose(res.pabak, 2 * (89 / 105) - 1, rtol=1e-12)


@pytest.mark.parametrize("case", range(3))
def test_kappa_matches_psych_cohen_kappa(case):
    ref = load_reference("review/kappa_psych.json")["tables"][case]
    res = cohen_kappa(np.array(ref["table"]))
    assert_allclose(res.kappa, ref["kappa"], rtol=RTOL)
    assert_allclose(res.se ** 2, ref["var_kappa"], rtol=RTOL)
    assert_allclose([res.ci_low, res.ci_high], [ref["ci_low"], ref["ci_high"]], rtol=RTOL)


def test_kappa_degenerate_and_bad_tables():
    with pytest.warns(DegenerateDataWarning, match="kappa is undefined"):
        res = cohen_kappa([[10, 0], [0, 0]])
    assert np.isnan(res.kappa) and res.pabak == 1.0
    with pytest.raises(InputError, match="expected a square table"):
        cohen_kappa([[1, 2, 3]])
    with pytest.raises(InputError, match="counts >= 0"):
        cohen_kappa([[1, -2], [3, 4]])


def test_agreement_from_the_ledger_and_maybe_options(store: ReviewStore):
    a = ["include", "include", "exclude", "exclude", "maybe", "exclude"] * 2
    b = ["include", "exclude", "exclude", "exclude", "include", "maybe"] * 2
    for name, decisions in (("A", a), ("B", b)):
        queue = export_queue(store, name, "title_abstract")
        queue["decision"] = decisions
        import_decisions(store, queue, name, "title_abstract")
    inc = agreement(store, "title_abstract")                       # maybe -> include
    assert inc.table.to_numpy().tolist() == [[4, 2], [2, 4]]
    assert_allclose(inc.kappa, cohen_kappa([[4, 2], [2, 4]]).kappa, rtol=1e-12)
    exc = agreement(store, "title_abstract", maybe="exclude")
    assert exc.table.to_numpy().tolist() == [[2, 2], [2, 6]]
    sep = agreement(store, "title_abstract", maybe="separate")
    assert sep.table.shape == (3, 3) and sep.categories == ("include", "exclude", "maybe")
    assert_allclose(sep.pabak, (3 * sep.po - 1) / 2)
    assert "Cohen's kappa" in str(inc) and "A and B at title/abstract" in str(inc)
    assert pd.Series(inc.to_dict()).loc["n"] == 12
    with pytest.raises(InputError, match="maybe: expected 'include', 'exclude' or 'separate'"):
        agreement(store, "title_abstract", maybe="drop")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="expected decisions by two reviewers, found 0"):
        agreement(store, "full_text")

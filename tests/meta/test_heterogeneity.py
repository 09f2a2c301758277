"""I² confidence intervals: Higgins-Thompson where I² is (Q - df)/Q (RevMan mode)."""

from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest

from oncostat.errors import DegenerateDataWarning
from oncostat.meta import meta_analysis
from tests.conftest import REFERENCE, load_reference
from tests.tolerances import RTOL

REF = load_reference("meta/i2_higgins_thompson.json")


@pytest.mark.parametrize("name", sorted(REF["results"]))
def test_higgins_thompson_interval_matches_r(name):
    r = REF["results"][name]
    data = pd.read_csv(REFERENCE / "meta" / "data" / f"{name}.csv")
    zero_cells = name == "li2007"  # two trials with a zero cell get 0.5 for their own OR
    with pytest.warns(DegenerateDataWarning, match="0.5 added") if zero_cells else nullcontext():
        res = meta_analysis(data, measure="OR", method="MH", revman=False)
    h = res.heterogeneity
    assert h.i2_ci_method == "Higgins-Thompson"
    np.testing.assert_allclose([h.q, h.i2, h.i2_ci_low, h.i2_ci_high],
                               [r["Q"], r["I2"], r["I2_ci_low"], r["I2_ci_high"]],
                               rtol=RTOL, atol=1e-12)
    assert h.i2_ci_low <= h.i2 <= h.i2_ci_high

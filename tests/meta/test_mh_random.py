"""M-H random effects with a tau² estimator other than DL.

RevMan offers only DerSimonian-Laird (tested against the hand-written RevMan fixtures).
With another estimator oncostat follows R's meta package: tau² from the study estimates,
then inverse-variance random-effects pooling, which must coincide with metafor's
``rma.uni`` on the same study estimates (tested in test_reference_metafor.py).
"""

import numpy as np
import pandas as pd
import pytest

from oncostat.meta import meta_analysis
from tests.conftest import REFERENCE
from tests.tolerances import RTOL


@pytest.mark.parametrize("tau2_method", ["REML", "PM", "ML", "SJ"])
@pytest.mark.parametrize("measure", ["OR", "RR"])
def test_mh_random_equals_iv_random_on_the_same_studies(tau2_method, measure):
    bcg = pd.read_csv(REFERENCE / "meta" / "data" / "bcg.csv")  # no zero cells
    mh = meta_analysis(bcg, measure=measure, method="MH", model="random",
                       tau2_method=tau2_method)
    iv = meta_analysis(bcg, measure=measure, method="IV", model="random",
                       tau2_method=tau2_method, revman=True)
    np.testing.assert_allclose(
        [mh.log_estimate, mh.se, mh.heterogeneity.tau2, mh.pi_low],
        [iv.log_estimate, iv.se, iv.heterogeneity.tau2, iv.pi_low], rtol=RTOL)
    # Q stays the M-H one (around the M-H estimate), as RevMan reports it.
    assert mh.heterogeneity.q != pytest.approx(iv.heterogeneity.q, rel=1e-9)

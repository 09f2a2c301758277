"""Outlier and influence diagnostics for an inverse-variance meta-analysis.

Each study is deleted in turn and the analysis refitted with the same options (model,
tau² estimator, Hartung-Knapp), as metafor's ``influence.rma.uni`` does [1]_.

References
----------
.. [1] Viechtbauer W, Cheung MWL. Outlier and influence diagnostics for meta-analysis.
       Res Synth Methods. 2010;1:112-125.
.. [2] Belsley DA, Kuh E, Welsch RE. Regression Diagnostics. Wiley; 1980.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from oncostat._results import ResultMixin, jsonable
from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.meta._observed import observed, refit_iv
from oncostat.meta.analysis import PooledEstimate

__all__ = ["InfluenceDiagnostics", "influence"]

COLUMNS = ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat", "weight",
           "dfbetas")


@dataclass(frozen=True, slots=True)
class InfluenceDiagnostics(ResultMixin):
    """Result of :func:`influence`; see its docstring.

    ``table`` has one row per study: ``study``, ``rstudent``, ``dffits``, ``cook_d``,
    ``cov_r``, ``tau2_del``, ``qe_del``, ``hat``, ``weight`` (percent), ``dfbetas`` and
    ``influential`` (metafor's ``inf`` column, ``*`` when true).
    """

    result: PooledEstimate = field(repr=False)
    table: pd.DataFrame = field(repr=False)

    @property
    def influential(self) -> list[str]:
        """Labels of the studies flagged as influential."""
        return self.table.loc[self.table["influential"], "study"].tolist()

    def __str__(self) -> str:
        t = self.table
        lines = [f"Influence diagnostics (Viechtbauer & Cheung 2010): {self.result.title()}",
                 f"  {'study':<24} {'rstudent':>8} {'dffits':>7} {'cook.d':>7} {'cov.r':>7} "
                 f"{'tau2.del':>9} {'QE.del':>8} {'hat':>6} {'weight':>7} {'dfbs':>7} inf"]
        for r in t.itertuples(index=False):
            lines.append(
                f"  {str(r.study)[:24]:<24} {r.rstudent:8.4f} {r.dffits:7.4f} {r.cook_d:7.4f} "
                f"{r.cov_r:7.4f} {r.tau2_del:9.4f} {r.qe_del:8.4f} {r.hat:6.4f} "
                f"{r.weight:7.4f} {r.dfbetas:7.4f} {'*' if r.influential else ''}")
        flagged = self.influential
        lines.append("  Influential: " + (", ".join(flagged) if flagged else "none"))
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return jsonable(self.table)


def influence(result: PooledEstimate) -> InfluenceDiagnostics:
    """Leave-one-out outlier and influence diagnostics [1]_ (metafor's ``influence(res)``).

    For study i, with the subscript (-i) marking the fit without it, mu the pooled
    estimate, v = SE(mu)², h_i = w_i / sum(w) the hat value and s² the Hartung-Knapp
    scale factor (1 for z-based analyses):

    * ``rstudent``: externally studentised residual
      ``(y_i - mu(-i)) / sqrt((v_i + tau²(-i)) s²(-i) + v(-i))``;
    * ``dffits``: ``(mu - mu(-i)) / sqrt(s²(-i) h_i (tau²(-i) + v_i))`` [2]_;
    * ``cook_d``: Cook's distance ``(mu - mu(-i))² / v``;
    * ``cov_r``: covariance ratio ``v(-i) / v``;
    * ``tau2_del``, ``qe_del``: tau² and Cochran's Q without the study;
    * ``hat``, ``weight``: the study's leverage and its weight in percent;
    * ``dfbetas``: ``(mu - mu(-i)) / sqrt(s²(-i) / sum_j 1/(v_j + tau²(-i)))``;
    * ``influential``: metafor's rule, any of |dffits| > 3 sqrt(1/(k-1)), the chi-squared
      (1 df) CDF of cook_d > 0.5, hat > 3/k, |dfbetas| > 1.

    Parameters
    ----------
    result : PooledEstimate
        An inverse-variance analysis (``method="IV"``) of at least two studies (three with
        Hartung-Knapp, whose deletion fits need two). Studies left out of ``result`` are
        not shown.

    Returns
    -------
    InfluenceDiagnostics

    Raises
    ------
    InputError
        For Mantel-Haenszel or Peto analyses (metafor has ``influence`` for ``rma.uni``
        only) or too few studies.
    """
    spec = result.spec
    if spec.method != "IV":
        raise InputError(f"influence diagnostics need an inverse-variance analysis "
                         f"(metafor's influence.rma.uni); got method {spec.method!r}; "
                         f"rerun with method='IV'")
    obs = observed(result)
    k = obs.k
    need = 3 if spec.hakn else 2
    if k < need:
        raise InputError(f"influence diagnostics need at least {need} studies"
                         f"{' with Hartung-Knapp' if spec.hakn else ''}; got k = {k}")
    random = spec.model == "random"
    w = 1.0 / (obs.vi + (result.heterogeneity.tau2 if random else 0.0))
    hat = w / w.sum()
    mu, vb = result.log_estimate, result.se**2

    rows = []
    for i in range(k):
        keep = np.arange(k) != i
        with warnings.catch_warnings():
            # One study left (k = 2): its random-effects fit warns that tau² = 0.
            warnings.simplefilter("ignore", DegenerateDataWarning)
            dele = refit_iv(spec, obs.labels[keep], obs.yi[keep], obs.vi[keep])
        tau2_del = dele.heterogeneity.tau2 if random else 0.0
        vi_del = obs.vi[keep] + tau2_del
        # Hartung-Knapp multiplies the variance by s² = Q_w / (k - 1); se² = s² / sum(w).
        s2 = dele.se**2 * float(np.sum(1.0 / vi_del)) if spec.hakn else 1.0
        diff = mu - dele.log_estimate
        resid = obs.yi[i] - dele.log_estimate
        rows.append({
            "study": obs.labels[i],
            "rstudent": resid / math.sqrt((obs.vi[i] + tau2_del) * s2 + dele.se**2),
            "dffits": diff / math.sqrt(s2 * hat[i] * (tau2_del + obs.vi[i])),
            "cook_d": diff**2 / vb,
            "cov_r": dele.se**2 / vb,
            "tau2_del": tau2_del,
            "qe_del": dele.heterogeneity.q,
            "hat": hat[i],
            "weight": 100 * hat[i],
            "dfbetas": diff / math.sqrt(s2 / float(np.sum(1.0 / (obs.vi + tau2_del)))),
        })
    table = pd.DataFrame(rows, columns=["study", *COLUMNS])
    table["influential"] = ((table["dffits"].abs() > 3 * math.sqrt(1 / (k - 1)))
                            | (stats.chi2.cdf(table["cook_d"], 1) > 0.5)
                            | (table["hat"] > 3 / k)
                            | (table["dfbetas"].abs() > 1))
    return InfluenceDiagnostics(result, table)

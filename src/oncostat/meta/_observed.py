"""The study estimates behind a pooled result, and inverse-variance refits of them.

Shared by the diagnostics that start from a :class:`~oncostat.meta.analysis.PooledEstimate`
(small-study tests, trim and fill, influence): they use each study's ``yi`` and ``vi`` as
the analysis computed them, as metafor's ``regtest``, ``ranktest``, ``trimfill`` and
``influence`` use a fitted model's ``yi`` and ``vi``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oncostat.meta.analysis import MetaSpec, PooledEstimate, fit
from oncostat.meta.studies import StudyData
from oncostat.meta.tau2 import estimate_tau2

__all__ = ["Observed", "observed", "pooled_mean", "refit_iv"]

_ARMS = ("events_treat", "total_treat", "events_ctrl", "total_ctrl")


@dataclass(frozen=True, slots=True)
class Observed:
    """Studies with a defined estimate that entered the analysis, in input order."""

    labels: np.ndarray
    yi: np.ndarray
    vi: np.ndarray
    rows: pd.DataFrame = field(repr=False)

    @property
    def k(self) -> int:
        return len(self.yi)


def observed(result: PooledEstimate) -> Observed:
    """The included studies of ``result`` whose ``yi`` and ``vi`` are defined.

    For Mantel-Haenszel and Peto analyses double-zero studies are dropped, as in the
    ``yi`` of metafor's ``rma.mh`` and ``rma.peto`` (``drop00 = TRUE``), even where the
    M-H risk difference pools them.
    """
    s = result.studies
    yi = s["yi"].to_numpy(dtype=float)
    vi = s["vi"].to_numpy(dtype=float)
    use = s["included"].to_numpy(dtype=bool) & np.isfinite(yi) & np.isfinite(vi) & (vi > 0)
    if result.spec.method != "IV" and all(c in s.columns for c in _ARMS):
        e1, n1, e2, n2 = (s[c].to_numpy(dtype=float) for c in _ARMS)
        use &= ~(((e1 == 0) & (e2 == 0)) | ((e1 == n1) & (e2 == n2)))
    rows = s.loc[use].reset_index(drop=True)
    return Observed(rows["study"].astype(str).to_numpy(dtype=object), yi[use], vi[use], rows)


def refit_iv(spec: MetaSpec, labels: np.ndarray, yi: np.ndarray, vi: np.ndarray
             ) -> PooledEstimate:
    """Inverse-variance analysis of the given estimates with ``spec``'s other options.

    The studies enter as generic estimates, so the result's ``measure`` (and its ratio
    scale) is ``spec``'s, and its ``studies`` holds ``study``, ``yi``, ``vi`` and the
    derived columns.
    """
    labels = np.asarray(labels, dtype=object)
    frame = pd.DataFrame({"study": labels})
    studies = StudyData("generic", labels, frame, yi=np.asarray(yi, dtype=float),
                        vi=np.asarray(vi, dtype=float))
    return fit(studies, dataclasses.replace(spec, method="IV"))


def pooled_mean(yi: np.ndarray, vi: np.ndarray, spec: MetaSpec) -> float:
    """Inverse-variance pooled estimate under ``spec``'s model (one study: that study)."""
    if len(yi) == 1:
        # Exactly that study, so its distance from the estimate is exactly 0 (trim and fill
        # gives it sign 0, as metafor does).
        return float(yi[0])
    tau2 = estimate_tau2(yi, vi, spec.tau2_method) if spec.model == "random" else 0.0
    w = 1.0 / (vi + tau2)
    return float(np.dot(w, yi) / w.sum())

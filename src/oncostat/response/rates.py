"""Objective response and disease control rates per arm: :func:`response_rates`.

ORR is the share of patients whose best overall response is CR or PR, DCR the share with
CR, PR or SD, both over every patient of the arm (NE counts in the denominator, as
RECIST 1.1 section 4.5 asks). Intervals are exact (Clopper-Pearson [1]_), as R's
``binom.test(x, n)$conf.int``; arms are compared with Fisher's exact test [2]_, as
``fisher.test``.

References
----------
.. [1] Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the
       case of the binomial. Biometrika. 1934;26:404-413.
.. [2] Fisher RA. On the interpretation of chi-square from contingency tables, and the
       calculation of P. J R Stat Soc. 1922;85:87-94.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from oncostat._results import ResultMixin, format_p, jsonable
from oncostat._validate import as_frame, require_columns, row_ref
from oncostat.cohort.tests import fisher
from oncostat.errors import InputError
from oncostat.response.best_response import RESPONSES, ResponseAssessment

__all__ = ["ResponseRates", "clopper_pearson", "percent", "response_rates"]

_ENDPOINTS = {"ORR": ("CR", "PR"), "DCR": ("CR", "PR", "SD")}


def percent(p: float, digits: int = 1) -> str:
    """``p`` as a percentage rounded half up, as journals print it: 9/16 is ``"56.3"``.

    Python's own formatting rounds the exact binary 56.25 to even (``"56.2"``); the seed
    study prints 56.3%.
    """
    if not math.isfinite(p):
        return "NA"
    q = Decimal(repr(100 * float(p))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{q:.{digits}f}"


def clopper_pearson(x: int, n: int, confidence_level: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval for x successes in n trials [1]_; R's ``binom.test(x, n)``.

    The limits are quantiles of beta distributions: ``Beta(a/2; x, n - x + 1)`` and
    ``Beta(1 - a/2; x + 1, n - x)``, with 0 when x = 0 and 1 when x = n.
    """
    if n <= 0 or not 0 <= x <= n:
        raise InputError(f"expected 0 <= x <= n and n > 0, got x = {x}, n = {n}")
    a = 1 - confidence_level
    low = 0.0 if x == 0 else float(stats.beta.ppf(a / 2, x, n - x + 1))
    high = 1.0 if x == n else float(stats.beta.ppf(1 - a / 2, x + 1, n - x))
    return low, high


@dataclass(frozen=True, slots=True)
class ResponseRates(ResultMixin):
    """Result of :func:`response_rates`; see its docstring.

    ``table`` has one row per arm: ``arm``, ``criteria``, ``n``, counts ``CR`` ... ``NE``,
    and for ``orr`` and ``dcr`` the rate with ``*_ci_low``, ``*_ci_high``.
    ``comparisons`` has one row per endpoint and arm compared with the reference arm
    (``endpoint``, ``arm``, ``reference``, ``difference``, ``pvalue``) and, with more
    than two arms, a row comparing all arms at once (``arm`` "all").
    """

    confidence_level: float
    reference: object
    table: pd.DataFrame = field(repr=False)
    comparisons: pd.DataFrame = field(repr=False)
    best: pd.DataFrame = field(repr=False)
    assessments: tuple[ResponseAssessment, ...] = field(default=(), repr=False)

    def __str__(self) -> str:
        pct = f"{100 * self.confidence_level:g}%"
        lines = [f"Tumour response by arm ({pct} CI, Clopper-Pearson)"]
        for r in self.table.itertuples(index=False):
            counts = ", ".join(f"{k} {getattr(r, k)}" for k in RESPONSES)
            lines.append(f"  {r.arm!s} (n = {r.n}, {r.criteria}): {counts}")
            for ep in ("orr", "dcr"):
                lines.append(f"    {ep.upper()} {percent(getattr(r, ep))}% "
                             f"({percent(getattr(r, ep + '_ci_low'))}% to "
                             f"{percent(getattr(r, ep + '_ci_high'))}%)")
        for c in self.comparisons.itertuples(index=False):
            vs = "all arms" if c.arm == "all" else f"{c.arm} vs {c.reference}"
            lines.append(f"  {c.endpoint}, {vs}: Fisher's exact test {format_p(c.pvalue)}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"confidence_level": self.confidence_level, "reference": self.reference,
                         "arms": self.table, "comparisons": self.comparisons})

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Waterfall plot of the best % change, one panel per arm; see
        :func:`oncostat.plot.waterfall.waterfall`."""
        from oncostat.plot.waterfall import waterfall

        return waterfall(self, ax=ax, **kwargs)


def _best_table(best: ResponseAssessment | Sequence[ResponseAssessment] | pd.DataFrame,
                patients: pd.DataFrame | Mapping[str, object] | None, *, arm: str,
                patient: str, response: str) -> tuple[pd.DataFrame, tuple[ResponseAssessment, ...]]:
    """patient, arm, best_response, criteria for every patient of ``patients``."""
    if isinstance(best, ResponseAssessment):
        best = (best,)
    if isinstance(best, pd.DataFrame):
        frame = as_frame(best, what="best responses")
        require_columns(frame, [patient, response] + ([] if patients is not None else [arm]),
                        what="best responses")
        got = pd.DataFrame({"patient": frame[patient], "best_response": frame[response],
                            "criteria": "as coded"})
        if patients is None:
            got["arm"] = frame[arm].to_numpy()
        assessments: tuple[ResponseAssessment, ...] = ()
    else:
        assessments = tuple(best)
        if not assessments or not all(isinstance(a, ResponseAssessment) for a in assessments):
            raise InputError("best: expected a DataFrame, a ResponseAssessment or a list of them")
        got = pd.concat([a.best[["patient", "best_response"]].assign(criteria=a.criteria)
                         for a in assessments], ignore_index=True)
        if patients is None:
            raise InputError("patients: a table of patients with their arm is needed to "
                             "split response assessments by arm")
    dup = got["patient"].duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(f"best responses: patient {got['patient'].iloc[i]!r} appears twice")
    codes = got["best_response"].astype(str).str.strip().str.upper()
    bad = ~codes.isin(RESPONSES).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"column {response!r}, {row_ref(i)} (patient "
                         f"{got['patient'].iloc[i]!r}): expected one of CR, PR, SD, PD, NE, "
                         f"got {got['best_response'].iloc[i]!r}")
    got["best_response"] = codes
    if patients is None:
        missing = got["arm"].isna().to_numpy()
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            raise InputError(f"column {arm!r}, {row_ref(i)}: expected an arm, got an empty cell")
        return got, assessments
    pts = as_frame(patients, what="patients")
    require_columns(pts, [patient, arm], what="patients")
    if pts[arm].isna().any():
        i = int(np.flatnonzero(pts[arm].isna().to_numpy())[0])
        raise InputError(f"column {arm!r}, {row_ref(i)} (patient {pts[patient].iloc[i]!r}): "
                         "expected an arm, got an empty cell")
    if pts[patient].duplicated().any():
        i = int(np.flatnonzero(pts[patient].duplicated().to_numpy())[0])
        raise InputError(f"column {patient!r}, {row_ref(i)}: patient "
                         f"{pts[patient].iloc[i]!r} appears twice in patients")
    known = set(pts[patient])
    stray = ~got["patient"].isin(known).to_numpy()
    if stray.any():
        raise InputError(f"patient {got['patient'].iloc[int(np.flatnonzero(stray)[0])]!r} has a "
                         f"response but is not in patients (column {patient!r})")
    merged = pts[[patient, arm]].rename(columns={patient: "patient", arm: "arm"}).merge(
        got, on="patient", how="left")
    # Patients never assessed stay in the denominator as NE (RECIST 1.1, 4.5).
    merged["best_response"] = merged["best_response"].fillna("NE")
    merged["criteria"] = merged["criteria"].fillna("not assessed")
    return merged, assessments


def response_rates(
    best: ResponseAssessment | Sequence[ResponseAssessment] | pd.DataFrame,
    *,
    arm: str,
    patients: pd.DataFrame | Mapping[str, object] | None = None,
    patient: str = "patient",
    response: str = "best_response",
    reference: object = None,
    confidence_level: float = 0.95,
) -> ResponseRates:
    """ORR and DCR per arm with exact intervals [1]_, compared by Fisher's exact test [2]_.

    Parameters
    ----------
    best : ResponseAssessment, list of them, or DataFrame
        Best overall responses: from :func:`assess_response` or
        :func:`best_overall_response` (several when arms were assessed by different
        criteria, as mRECIST for HIFU and RECIST for chemotherapy in the seed study), or a
        table with ``patient``, ``response`` (CR, PR, SD, PD, NE) and, without
        ``patients``, ``arm`` columns.
    arm : str
        Column with the arm, in ``patients`` (or in ``best`` when it is a table).
    patients : DataFrame or dict of columns, optional
        Every patient of the analysis with ``patient`` and ``arm``; patients without a
        response are NE and stay in the denominator. Required with assessments.
    patient, response : str
        Column names of the patient identifier and the best response.
    reference : optional
        Arm the others are compared with; default the first arm.
    confidence_level : float, default 0.95
        ``conf.level`` of R's ``binom.test``.

    Returns
    -------
    ResponseRates

    Notes
    -----
    The Fisher test is of the 2 x k table responders by arm (two-sided, R's
    ``fisher.test``); with more than two arms the k-arm test is added.

    References
    ----------
    .. [1] Clopper CJ, Pearson ES. Biometrika. 1934;26:404-413.
    .. [2] Fisher RA. J R Stat Soc. 1922;85:87-94.

    Examples
    --------
    The seed study: HIFU 5 CR, 2 PR, 1 SD of 8 (mRECIST); chemotherapy 3 CR, 6 PR, 3 SD,
    4 PD of 16 (RECIST).

    >>> best = pd.DataFrame({"patient": range(24), "arm": ["HIFU"] * 8 + ["PC"] * 16,
    ...     "best_response": ["CR"] * 5 + ["PR"] * 2 + ["SD"] + ["CR"] * 3 + ["PR"] * 6
    ...                      + ["SD"] * 3 + ["PD"] * 4})
    >>> rates = response_rates(best, arm="arm")
    >>> rates.table[["arm", "orr", "orr_ci_low", "orr_ci_high"]].round(4).values.tolist()
    [['HIFU', 0.875, 0.4735, 0.9968], ['PC', 0.5625, 0.2988, 0.8025]]
    """
    if not 0 < confidence_level < 1:
        raise InputError(f"confidence_level: expected a number between 0 and 1, "
                         f"got {confidence_level}")
    table, assessments = _best_table(best, patients, arm=arm, patient=patient,
                                     response=response)
    arms = list(dict.fromkeys(table["arm"]))
    if reference is None:
        reference = arms[0]
    elif reference not in arms:
        raise InputError(f"reference: arm {reference!r} not found; the arms are "
                         f"{', '.join(repr(a) for a in arms)}")
    rows = []
    for a in arms:
        sub = table[table["arm"] == a]
        vc = sub["best_response"].value_counts()
        row: dict[str, Any] = {"arm": a, "criteria": ", ".join(dict.fromkeys(sub["criteria"])),
                               "n": len(sub), **{r: int(vc.get(r, 0)) for r in RESPONSES}}
        for ep, levels in _ENDPOINTS.items():
            x = sum(row[r] for r in levels)
            low, high = clopper_pearson(x, len(sub), confidence_level)
            row.update({ep.lower(): x / len(sub), f"{ep.lower()}_ci_low": low,
                        f"{ep.lower()}_ci_high": high})
        rows.append(row)
    out = pd.DataFrame(rows)
    comparisons = []
    if len(arms) > 1:
        ref = out[out["arm"] == reference].iloc[0]
        for ep, levels in _ENDPOINTS.items():
            x = {a: sum(int(out.loc[out["arm"] == a, r].iloc[0]) for r in levels) for a in arms}
            n = dict(zip(out["arm"], out["n"], strict=True))
            for a in arms:
                if a == reference:
                    continue
                p = fisher([[x[a], x[reference]], [n[a] - x[a], n[reference] - x[reference]]])
                comparisons.append({"endpoint": ep, "arm": a, "reference": reference,
                                    "difference": x[a] / n[a] - ref[ep.lower()],
                                    "pvalue": p.pvalue})
            if len(arms) > 2:
                p = fisher([[x[a] for a in arms], [n[a] - x[a] for a in arms]])
                comparisons.append({"endpoint": ep, "arm": "all", "reference": reference,
                                    "difference": math.nan, "pvalue": p.pvalue})
    comp = pd.DataFrame(comparisons, columns=["endpoint", "arm", "reference", "difference",
                                              "pvalue"])
    return ResponseRates(confidence_level, reference, out, comp, table, assessments)

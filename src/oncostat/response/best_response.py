"""Best overall response from timepoint responses: :func:`best_overall_response` and
:class:`ResponseAssessment`.

The rules are those of RECIST 1.1 [1]_, section 4.4.2 and its Table 3, which mRECIST [2]_
keeps unchanged: the best response recorded from the start of treatment until
progression, with optional confirmation of CR and PR by a repeat assessment at least
4 weeks later (section 4.7) and an optional minimum duration for SD.

References
----------
.. [1] Eisenhauer EA, Therasse P, Bogaerts J, et al. New response evaluation criteria in
       solid tumours: revised RECIST guideline (version 1.1). Eur J Cancer.
       2009;45:228-247.
.. [2] Lencioni R, Llovet JM. Modified RECIST (mRECIST) assessment for hepatocellular
       carcinoma. Semin Liver Dis. 2010;30:52-60.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from oncostat._results import ResultMixin, jsonable
from oncostat._validate import as_frame, day_numbers, require_columns, row_ref
from oncostat.errors import InputError

__all__ = ["RESPONSES", "Criteria", "ResponseAssessment", "best_overall_response"]

Criteria = Literal["RECIST1.1", "mRECIST"]
RESPONSES: tuple[str, ...] = ("CR", "PR", "SD", "PD", "NE")
"""Response categories, best first; NE (not evaluable) last."""

RESPONSE_NAMES = {"CR": "complete response", "PR": "partial response", "SD": "stable disease",
                  "PD": "progressive disease", "NE": "not evaluable"}
_ALIASES = {**{k: k for k in RESPONSES}, **{v: k for k, v in RESPONSE_NAMES.items()},
            "inevaluable": "NE", "not evaluated": "NE", "non-evaluable": "NE"}


@dataclass(frozen=True, slots=True)
class ResponseAssessment(ResultMixin):
    """Result of :func:`oncostat.response.assess_response` or :func:`best_overall_response`.

    ``timepoints`` has one row per patient and post-baseline assessment: ``patient``,
    ``date`` (as given), ``days`` (from the reference date: the start of treatment, or the
    baseline scan), ``response`` and, when computed from lesions, ``target_sum``,
    ``pct_baseline``, ``nadir`` (smallest earlier sum, baseline included), ``pct_nadir``,
    ``target_response``, ``non_target_response`` and ``new_lesion``.

    ``best`` has one row per patient: ``best_response``, ``confirmed`` (CR/PR confirmed;
    False when confirmation was not asked for), ``response_days`` (first day of the
    best CR or PR), ``progression_days`` (first PD), ``last_days`` (last assessment),
    ``assessments`` and ``best_pct_change`` (smallest % change of the target sum from
    baseline up to progression; NaN for coded responses).
    """

    criteria: str
    confirm: bool
    confirm_weeks: float
    min_sd_weeks: float | None
    timepoints: pd.DataFrame = field(repr=False)
    best: pd.DataFrame = field(repr=False)

    @property
    def counts(self) -> dict[str, int]:
        """Number of patients with each best overall response, CR first."""
        vc = self.best["best_response"].value_counts()
        return {r: int(vc.get(r, 0)) for r in RESPONSES}

    def __str__(self) -> str:
        n = len(self.best)
        rules = [f"{self.criteria}"]
        if self.confirm:
            rules.append(f"CR/PR confirmed >= {self.confirm_weeks:g} weeks later")
        if self.min_sd_weeks:
            rules.append(f"SD for >= {self.min_sd_weeks:g} weeks")
        lines = [f"Best overall response ({'; '.join(rules)}), {n} patients"]
        for r, k in self.counts.items():
            pct = 100 * k / n if n else float("nan")
            lines.append(f"  {r}  {RESPONSE_NAMES[r]:<20}{k:>5} ({pct:.1f}%)")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per patient: the best overall response and its timing, full precision."""
        return self.best.copy()

    def to_dict(self) -> dict[str, Any]:
        tp = self.timepoints.copy()
        if pd.api.types.is_datetime64_any_dtype(tp["date"]):
            tp["date"] = tp["date"].dt.strftime("%Y-%m-%d")
        return jsonable({"criteria": self.criteria, "confirm": self.confirm,
                         "confirm_weeks": self.confirm_weeks, "min_sd_weeks": self.min_sd_weeks,
                         "counts": self.counts, "best": self.best, "timepoints": tp})

    def plot(self, kind: Literal["waterfall", "spider", "swimmer"] = "waterfall",
             ax: Any = None, **kwargs: Any) -> Any:
        """Waterfall, spider or swimmer plot; see :mod:`oncostat.plot`."""
        if kind == "waterfall":
            from oncostat.plot.waterfall import waterfall

            return waterfall(self, ax=ax, **kwargs)
        if kind == "spider":
            from oncostat.plot.spider import spider

            return spider(self, ax=ax, **kwargs)
        if kind == "swimmer":
            from oncostat.plot.swimmer import swimmer

            return swimmer(self, ax=ax, **kwargs)
        raise InputError(f"kind: expected 'waterfall', 'spider' or 'swimmer', got {kind!r}")


def check_rules(confirm_weeks: float, min_sd_weeks: float | None) -> None:
    """Raise unless the confirmation interval and minimum SD duration are numbers >= 0."""
    if not (isinstance(confirm_weeks, int | float) and confirm_weeks >= 0):
        raise InputError(f"confirm_weeks: expected a number of weeks >= 0, got {confirm_weeks!r}")
    if min_sd_weeks is not None and not (isinstance(min_sd_weeks, int | float)
                                         and min_sd_weeks >= 0):
        raise InputError(f"min_sd_weeks: expected a number of weeks >= 0, got {min_sd_weeks!r}")


def id_column(data: pd.DataFrame, column: str) -> pd.Series:
    """Patient identifiers: no empty cell."""
    require_columns(data, [column])
    ids = data[column]
    missing = ids.isna().to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise InputError(f"column {column!r}, {row_ref(i)}: expected a patient identifier, "
                         "got an empty cell")
    return ids


def start_days(data: pd.DataFrame, start: str, ids: pd.Series,
               labels: Sequence[object]) -> dict[object, float]:
    """Each patient's start of treatment (one value per patient), in days."""
    s = day_numbers(data, start, labels)
    out: dict[object, float] = {}
    for i, (pid, v) in enumerate(zip(ids, s, strict=True)):
        if pid in out and out[pid] != v:
            raise InputError(f"column {start!r}, {row_ref(i, labels, noun='patient')}: expected "
                             "one start date per patient, got two different ones")
        out[pid] = float(v)
    return out


def best_of(days: np.ndarray, responses: Sequence[str], *, confirm: bool, confirm_days: float,
            min_sd_days: float) -> tuple[str, bool, float, float]:
    """Best overall response of one patient's timepoints, sorted by day [1]_ 4.4.2, Table 3.

    Returns the best response, whether it is a confirmed CR/PR, the first day of that
    response (NaN unless CR/PR) and the day of first progression (NaN if none).

    Assessments after the first PD do not count (the best response is recorded "until
    disease progression"). With ``confirm``, a CR needs a CR at least ``confirm_days``
    later with only CR or NE between; a PR (or a CR later contradicted) needs a CR or PR
    that much later with only CR, PR or NE between: Table 3 gives PR for "CR then PR"
    (footnote a, a first CR that was really a PR). An unconfirmed CR or PR, or SD, gives
    SD if assessed at least ``min_sd_days`` from the start; otherwise PD if progression
    followed and NE if not ("a patient with SD at first assessment, PD at second and does
    not meet minimum duration for SD, will have a best response of PD").

    One row of Table 3 is not followed: an unconfirmed CR then SD, with the minimum SD
    duration not met and no later PD, is NE here where Table 3 says PD (reasoning that
    disease seen after a true CR is progression); no measurement says so.
    """
    resp = list(responses)
    pd_at = next((i for i, r in enumerate(resp) if r == "PD"), None)
    if pd_at is not None:
        resp = resp[:pd_at + 1]
    progression = float(days[pd_at]) if pd_at is not None else float("nan")

    def first_confirmed(levels: set[str], between: set[str]) -> float:
        for i, r in enumerate(resp):
            if r not in levels:
                continue
            if not confirm:
                return float(days[i])
            for j in range(i + 1, len(resp)):
                if resp[j] in levels and days[j] - days[i] >= confirm_days:
                    return float(days[i])
                if resp[j] not in between:
                    break
        return float("nan")

    cr = first_confirmed({"CR"}, {"CR", "NE"})
    if not np.isnan(cr):
        return "CR", confirm, cr, progression
    pr = first_confirmed({"CR", "PR"}, {"CR", "PR", "NE"})
    if not np.isnan(pr):
        return "PR", confirm, pr, progression
    if any(r in ("CR", "PR", "SD") and d >= min_sd_days
           for r, d in zip(resp, days, strict=False)):
        return "SD", False, float("nan"), progression
    return ("PD" if pd_at is not None else "NE"), False, float("nan"), progression


def summarise(timepoints: pd.DataFrame, patients: Sequence[object], *, confirm: bool,
              confirm_weeks: float, min_sd_weeks: float | None) -> pd.DataFrame:
    """One row per patient from the timepoint table (patients without one are NE)."""
    rows = []
    by_patient = dict(tuple(timepoints.groupby("patient", sort=False)))
    for pid in patients:
        tp = by_patient.get(pid)
        if tp is None or tp.empty:
            rows.append({"patient": pid, "best_response": "NE", "confirmed": False,
                         "response_days": np.nan, "progression_days": np.nan,
                         "last_days": np.nan, "assessments": 0, "best_pct_change": np.nan})
            continue
        days = tp["days"].to_numpy(dtype=float)
        best, confirmed, response_day, progression = best_of(
            days, tp["response"].tolist(), confirm=confirm, confirm_days=7 * confirm_weeks,
            min_sd_days=7 * (min_sd_weeks or 0.0))
        upto = days <= progression if not np.isnan(progression) else np.ones(len(tp), bool)
        pct = tp["pct_baseline"].to_numpy(dtype=float)[upto] if "pct_baseline" in tp else []
        finite = pct[~np.isnan(pct)] if len(pct) else pct
        rows.append({"patient": pid, "best_response": best, "confirmed": confirmed,
                     "response_days": response_day, "progression_days": progression,
                     "last_days": float(days.max()), "assessments": len(tp),
                     "best_pct_change": float(finite.min()) if len(finite) else np.nan})
    return pd.DataFrame(rows)


def best_overall_response(
    coded: pd.DataFrame | Mapping[str, object],
    *,
    patient: str,
    date: str,
    response: str,
    start: str | None = None,
    criteria: str = "RECIST1.1",
    confirm: bool = False,
    confirm_weeks: float = 4.0,
    min_sd_weeks: float | None = None,
) -> ResponseAssessment:
    """Best overall response from responses already coded at each visit [1]_ [2]_.

    Parameters
    ----------
    coded : DataFrame or dict of columns
        One row per patient and post-baseline assessment; never modified.
    patient, date, response : str
        Columns: patient identifier, assessment date (a date, or a study day number
        counted from the start of treatment) and the timepoint response, one of CR, PR,
        SD, PD, NE (or the words "complete response" ..., any case).
    start : str, optional
        Column with each patient's start of treatment; assessments must come after it.
        Needed with ``min_sd_weeks`` when ``date`` holds dates rather than day numbers;
        without it, days are counted from each patient's first assessment.
    criteria : str, default "RECIST1.1"
        The criteria the responses were coded by; recorded for reports.
    confirm : bool, default False
        Require CR and PR to be confirmed by a repeat assessment at least
        ``confirm_weeks`` later (RECIST 1.1 section 4.7, Table 3; needed in
        non-randomised trials where response is the primary endpoint).
    confirm_weeks : float, default 4
        Minimum interval between a response and its confirmation.
    min_sd_weeks : float, optional
        Minimum time from the start of treatment at which SD must be assessed to count
        as best response (protocols use 6-8 weeks); by default any SD counts.

    Returns
    -------
    ResponseAssessment
        ``best`` per patient and the ``timepoints`` as read.

    Raises
    ------
    InputError
        Unknown response codes, two assessments of a patient on one date, assessments
        on or before the start of treatment, or ``min_sd_weeks`` without a start date.

    Examples
    --------
    The eight HIFU patients of Table 3 in the seed study, assessed once at 30 days:
    5 CR, 2 PR and 1 SD.

    >>> tab3 = {"no": list(range(1, 9)), "day": [30] * 8,
    ...         "resp": ["PR", "CR", "CR", "CR", "CR", "CR", "SD", "PR"]}
    >>> best_overall_response(tab3, patient="no", date="day", response="resp").counts
    {'CR': 5, 'PR': 2, 'SD': 1, 'PD': 0, 'NE': 0}
    """
    check_rules(confirm_weeks, min_sd_weeks)
    frame = as_frame(coded, what="coded responses")
    require_columns(frame, [patient, date, response], what="coded responses")
    ids = id_column(frame, patient)
    labels = ids.astype(str).tolist()
    days = day_numbers(frame, date, labels)
    codes = []
    for i, v in enumerate(frame[response]):
        key = str(v).strip()
        code = _ALIASES.get(key.upper() if len(key) == 2 else key.lower())
        if code is None:
            got = "an empty cell" if pd.isna(v) else repr(v)
            raise InputError(f"column {response!r}, {row_ref(i, labels, noun='patient')}: "
                             f"expected one of CR, PR, SD, PD, NE, got {got}")
        codes.append(code)
    is_dates = not pd.api.types.is_numeric_dtype(frame[date])
    if start is not None:
        starts = start_days(frame, start, ids, labels)
        ref = np.array([starts[p] for p in ids])
        early = days <= ref
        if early.any():
            i = int(np.flatnonzero(early)[0])
            raise InputError(f"column {date!r}, {row_ref(i, labels, noun='patient')}: dates "
                             f"out of order: assessment on {frame[date].iloc[i]} is not after "
                             f"the start of treatment ({frame[start].iloc[i]})")
        days = days - ref
    elif is_dates and min_sd_weeks:
        raise InputError("min_sd_weeks: the minimum SD duration is counted from the start of "
                         "treatment; pass start= (a column of start dates) or give dates as "
                         "study day numbers")
    elif is_dates:
        days = days - pd.Series(days).groupby(ids.to_numpy()).transform("min").to_numpy()
    tp = pd.DataFrame({"patient": ids.to_numpy(), "date": frame[date].to_numpy(),
                       "days": days, "response": codes, "_row": np.arange(len(frame))})
    tp = tp.sort_values(["patient", "days"], kind="stable")
    dup = tp.duplicated(["patient", "days"]).to_numpy()
    if dup.any():
        i = int(tp["_row"].to_numpy()[np.flatnonzero(dup)[0]])
        raise InputError(f"column {date!r}, {row_ref(i, labels, noun='patient')}: a second "
                         f"assessment of patient {labels[i]!r} on {frame[date].iloc[i]}; "
                         "expected one response per patient and date")
    tp = tp.drop(columns="_row").reset_index(drop=True)
    patients = list(dict.fromkeys(ids))
    best = summarise(tp, patients, confirm=confirm, confirm_weeks=confirm_weeks,
                     min_sd_weeks=min_sd_weeks)
    return ResponseAssessment(criteria, confirm, float(confirm_weeks), min_sd_weeks, tp, best)

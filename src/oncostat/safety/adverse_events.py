"""Adverse-event tables graded by CTCAE: :func:`adverse_event_table`.

Each patient counts once per term, at the highest grade they had for it, and once in the
"Any adverse event" row, at their highest grade overall; every patient of an arm is in its
denominator, with or without events. Arms are compared per term with Fisher's exact test
[3]_ (R's ``fisher.test``) on patients with and without the event.

References
----------
.. [1] National Cancer Institute. Common Terminology Criteria for Adverse Events (CTCAE)
       version 4.0. NIH publication 09-5410; 2009 (v4.03, 2010).
.. [2] National Cancer Institute. Common Terminology Criteria for Adverse Events (CTCAE)
       version 5.0. Bethesda: US Department of Health and Human Services; 2017.
.. [3] Fisher RA. J R Stat Soc. 1922;85:87-94.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from oncostat._results import ResultMixin, format_p, jsonable
from oncostat._validate import as_frame, day_numbers, numeric_column, require_columns, row_ref
from oncostat.cohort.tests import fisher
from oncostat.errors import InputError
from oncostat.response.rates import percent

__all__ = ["ANY_EVENT", "AdverseEventTable", "adverse_event_table"]

CtcaeVersion = Literal["4.0", "4.03", "5.0"]
CTCAE_VERSIONS: tuple[str, ...] = ("4.0", "4.03", "5.0")
ANY_EVENT = "Any adverse event"
"""Label of the first row: patients with at least one event, at their highest grade."""
GRADES = (1, 2, 3, 4, 5)
# Attribution scale of the NCI (CTCAE and CTEP reporting): the last three are "related".
_ATTRIBUTION = {"unrelated": False, "unlikely": False, "possible": True, "probable": True,
                "definite": True, "related": True, "not related": False}


@dataclass(frozen=True, slots=True)
class AdverseEventTable(ResultMixin):
    """Result of :func:`adverse_event_table`; see its docstring.

    ``table`` is long: one row per term and arm with ``n`` (patients in the arm),
    ``any_n``, ``any_pct``, ``grade3_n``, ``grade3_pct`` (grade >= 3) and ``grade_1`` ...
    ``grade_5`` (patients whose highest grade for the term is that grade). ``tests`` has
    one row per term: ``any_pvalue`` and ``grade3_pvalue`` (Fisher; NaN with one arm).
    ``patient_grades`` has the highest grade per patient and term.
    """

    ctcae_version: str
    arms: tuple[object, ...]
    n: tuple[int, ...]
    related_only: bool
    table: pd.DataFrame = field(repr=False)
    tests: pd.DataFrame = field(repr=False)
    patient_grades: pd.DataFrame = field(repr=False)

    @property
    def terms(self) -> tuple[str, ...]:
        """Terms in table order: "Any adverse event", then by falling incidence."""
        return tuple(self.tests["term"])

    def to_frame(self) -> pd.DataFrame:
        """Wide table: one row per term; per arm n, %, grade >= 3 n and %; p-values."""
        wide = self.tests[["term"]].copy()
        for a in self.arms:
            sub = self.table[self.table["arm"] == a].set_index("term").loc[wide["term"]]
            for col in ("any_n", "any_pct", "grade3_n", "grade3_pct"):
                wide[f"{a} {col}"] = sub[col].to_numpy()
        return wide.assign(any_pvalue=self.tests["any_pvalue"].to_numpy(),
                           grade3_pvalue=self.tests["grade3_pvalue"].to_numpy())

    def __str__(self) -> str:
        head = (f"Adverse events (CTCAE v{self.ctcae_version}"
                f"{', treatment-related' if self.related_only else ''}), highest grade per "
                "patient and term; n (%)")
        width = max(20, max(len(t) for t in self.terms) + 2)
        two = len(self.arms) > 1
        arms = "".join(f"{f'{a} (n = {n})':<26}" for a, n in zip(self.arms, self.n, strict=True))
        sub = f"{'Any grade':<13}{'Grade >= 3':<13}" * len(self.arms)
        lines = [head, f"  {'':<{width}}{arms}".rstrip(),
                 f"  {'':<{width}}{sub}{'Fisher p (any, >= 3)' if two else ''}".rstrip()]
        cells = self.table.set_index(["term", "arm"])
        for t in self.tests.itertuples(index=False):
            row = ""
            for a in self.arms:
                r = cells.loc[(t.term, a)]
                row += (f"{f'{int(r.any_n)} ({percent(r.any_pct / 100)})':<13}"
                        f"{f'{int(r.grade3_n)} ({percent(r.grade3_pct / 100)})':<13}")
            if two:
                row += f"{_p(t.any_pvalue)}, {_p(t.grade3_pvalue)}"
            lines.append(f"  {t.term:<{width}}{row}".rstrip())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"ctcae_version": self.ctcae_version, "related_only": self.related_only,
                         "arms": list(self.arms), "n": list(self.n), "table": self.table,
                         "tests": self.tests})

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Dot plot of incidence by arm; see :func:`oncostat.plot.ae.ae_dotplot`."""
        from oncostat.plot.ae import ae_dotplot

        return ae_dotplot(self, ax=ax, **kwargs)


def _p(p: float) -> str:
    """``0.034``, ``< 0.001``: a p-value in a table cell."""
    return format_p(p).removeprefix("p = ").removeprefix("p ")


def _patients(patients: pd.DataFrame | Mapping[str, object], patient: str, arm: str,
              start: str | None) -> pd.DataFrame:
    pts = as_frame(patients, what="patients")
    require_columns(pts, [patient, arm] + ([start] if start else []), what="patients")
    for col, what in ((patient, "a patient identifier"), (arm, "an arm")):
        miss = pts[col].isna().to_numpy()
        if miss.any():
            i = int(np.flatnonzero(miss)[0])
            raise InputError(f"patients: column {col!r}, {row_ref(i)}: expected {what}, got an "
                             "empty cell")
    dup = pts[patient].duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(f"patients: column {patient!r}, {row_ref(i)}: patient "
                         f"{pts[patient].iloc[i]!r} appears twice")
    return pts


def adverse_event_table(
    events: pd.DataFrame | Mapping[str, object],
    patients: pd.DataFrame | Mapping[str, object],
    *,
    patient: str,
    term: str,
    grade: str,
    arm: str,
    ctcae_version: CtcaeVersion = "4.0",
    attribution: str | None = None,
    related_only: bool = False,
    onset: str | None = None,
    start: str | None = None,
    window_days: float | None = None,
) -> AdverseEventTable:
    """Adverse events by arm: highest CTCAE grade per patient and term [1]_ [2]_.

    Parameters
    ----------
    events : DataFrame or dict of columns
        One row per adverse event; never modified.
    patients : DataFrame or dict of columns
        Every patient of the safety population, with ``patient`` and ``arm`` (and
        ``start``); patients without events count in the denominators.
    patient, term, grade : str
        Columns of ``events``: patient identifier (as in ``patients``), the CTCAE term
        (e.g. "Fatigue", "Alanine aminotransferase increased") and the grade, a whole
        number 1-5 (5 is death related to the event).
    arm : str
        Column of ``patients`` with the arm.
    ctcae_version : {"4.0", "4.03", "5.0"}, default "4.0"
        The CTCAE version the events were graded by; recorded in tables and methods.
    attribution : str, optional
        Column of ``events`` with the attribution to treatment: unrelated, unlikely,
        possible, probable, definite (or related / not related).
    related_only : bool, default False
        Count only events possibly, probably or definitely related (needs
        ``attribution``).
    onset : str, optional
        Column of ``events`` with the onset date (or study day).
    start : str, optional
        Column of ``patients`` with the start of treatment; an onset before it is an
        error (dates out of order).
    window_days : float, optional
        Count only events with onset within this many days of ``start`` (the seed study
        reports "the treatment period and 30 days after").

    Returns
    -------
    AdverseEventTable

    Raises
    ------
    InputError
        Grades that are not whole numbers 1-5, empty terms, patients in ``events`` but
        not in ``patients``, unknown attribution, an onset before the start of treatment.

    References
    ----------
    .. [1] National Cancer Institute. CTCAE version 4.0. 2009.
    .. [2] National Cancer Institute. CTCAE version 5.0. 2017.

    Examples
    --------
    Two arms of two patients: one grade 1 and one grade 3 nausea in the same patient
    count once, at grade 3.

    >>> ev = {"id": [1, 1, 3], "ae": ["Nausea", "Nausea", "Fatigue"], "g": [1, 3, 2]}
    >>> pts = {"id": [1, 2, 3, 4], "arm": ["A", "A", "B", "B"]}
    >>> t = adverse_event_table(ev, pts, patient="id", term="ae", grade="g", arm="arm")
    >>> t.table.query("term == 'Nausea'")[["arm", "any_n", "grade3_n", "grade_3"]].values.tolist()
    [['A', 1, 1, 1], ['B', 0, 0, 0]]
    """
    if ctcae_version not in CTCAE_VERSIONS:
        raise InputError(f"ctcae_version: expected one of {', '.join(CTCAE_VERSIONS)}, got "
                         f"{ctcae_version!r}")
    if related_only and attribution is None:
        raise InputError("related_only: needs attribution= (a column with the attribution of "
                         "each event to treatment)")
    if window_days is not None and (onset is None or start is None):
        raise InputError("window_days: needs onset= (in events) and start= (in patients)")
    pts = _patients(patients, patient, arm, start)
    ev = as_frame(events, what="events")
    require_columns(ev, [patient, term, grade] + [c for c in (attribution, onset) if c],
                    what="events")
    ids = ev[patient]
    labels = ids.astype(str).tolist()
    known = dict(zip(pts[patient], range(len(pts)), strict=True))
    for i, p in enumerate(ids):
        if p not in known:
            raise InputError(f"column {patient!r}, {row_ref(i, labels, noun='patient')}: patient "
                             f"{p!r} has an adverse event but is not in patients")
    grades = numeric_column(ev, grade, labels=labels, noun="patient", integer=True)
    out = (grades < 1) | (grades > 5)
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise InputError(f"column {grade!r}, {row_ref(i, labels, noun='patient')}: expected a "
                         f"CTCAE grade 1 to 5, got {grades[i]:g}")
    terms = ev[term]
    blank = (terms.isna() | (terms.astype(str).str.strip() == "")).to_numpy()
    if blank.any():
        i = int(np.flatnonzero(blank)[0])
        raise InputError(f"column {term!r}, {row_ref(i, labels, noun='patient')}: expected an "
                         "adverse-event term, got an empty cell")
    keep = np.ones(len(ev), dtype=bool)
    if attribution is not None:
        related = np.zeros(len(ev), dtype=bool)
        for i, v in enumerate(ev[attribution]):
            key = None if pd.isna(v) else str(v).strip().lower()
            if key not in _ATTRIBUTION:
                got = "an empty cell" if key is None else repr(v)
                raise InputError(f"column {attribution!r}, {row_ref(i, labels, noun='patient')}: "
                                 "expected unrelated, unlikely, possible, probable or definite, "
                                 f"got {got}")
            related[i] = _ATTRIBUTION[key]
        if related_only:
            keep &= related
    if onset is not None:
        on = day_numbers(ev, onset, labels)
        if start is not None:
            st = day_numbers(pts, start, pts[patient].astype(str).tolist())
            ref = st[[known[p] for p in ids]]
            early = on < ref
            if early.any():
                i = int(np.flatnonzero(early)[0])
                row = known[ids.iloc[i]]
                raise InputError(f"column {onset!r}, {row_ref(i, labels, noun='patient')}: dates "
                                 f"out of order: onset {ev[onset].iloc[i]} is before the start "
                                 f"of treatment ({pts[start].iloc[row]})")
            if window_days is not None:
                keep &= on - ref <= window_days
    counted = pd.DataFrame({"patient": ids.to_numpy()[keep],
                            "term": terms.astype(str).str.strip().to_numpy()[keep],
                            "grade": grades[keep].astype(int)})
    arm_of = dict(zip(pts[patient], pts[arm], strict=True))
    per_term = counted.groupby(["patient", "term"], sort=False)["grade"].max().reset_index()
    overall = counted.groupby("patient", sort=False)["grade"].max().reset_index()
    overall.insert(1, "term", ANY_EVENT)
    maxima = pd.concat([overall, per_term], ignore_index=True)
    maxima.insert(1, "arm", maxima["patient"].map(arm_of))
    arms = tuple(dict.fromkeys(pts[arm]))
    n = {a: int((pts[arm] == a).sum()) for a in arms}
    # Terms by falling incidence over all arms, then alphabetically (ties).
    freq = per_term.groupby("term").size()
    order = [ANY_EVENT, *sorted(freq.index, key=lambda t: (-freq[t], t))]
    rows, tests = [], []
    for t in order:
        sub = maxima[maxima["term"] == t]
        any_n, g3_n = [], []
        for a in arms:
            g = sub.loc[sub["arm"] == a, "grade"].to_numpy()
            counts = {f"grade_{k}": int((g == k).sum()) for k in GRADES}
            any_n.append(len(g))
            g3_n.append(int((g >= 3).sum()))
            rows.append({"term": t, "arm": a, "n": n[a], "any_n": len(g),
                         "any_pct": 100 * len(g) / n[a], "grade3_n": g3_n[-1],
                         "grade3_pct": 100 * g3_n[-1] / n[a], **counts})
        tests.append({"term": t, "any_pvalue": _fisher(any_n, n, arms),
                      "grade3_pvalue": _fisher(g3_n, n, arms)})
    return AdverseEventTable(ctcae_version, arms, tuple(n[a] for a in arms), related_only,
                             pd.DataFrame(rows), pd.DataFrame(tests), maxima)


def _fisher(x: list[int], n: dict[object, int], arms: tuple[object, ...]) -> float:
    """Fisher's exact test of patients with / without the event across arms (NaN, 1 arm)."""
    if len(arms) < 2:
        return float("nan")
    table = [x, [n[a] - k for a, k in zip(arms, x, strict=True)]]
    return fisher(table).pvalue

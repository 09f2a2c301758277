"""Timepoint response from lesion measurements by RECIST 1.1 [1]_ or mRECIST [2]_:
:func:`assess_response`.

The two criteria share lesion selection and the overall response table; they differ in
what is measured and in one threshold:

==================  ======================================  ==============================
                    RECIST 1.1 [1]_                         mRECIST [2]_
==================  ======================================  ==============================
measured diameter   longest; short axis for lymph nodes     viable (arterially enhancing)
CR (targets)        all gone, nodes < 10 mm short axis      no enhancement in any target
PR                  sum -30% or more from baseline          same, on viable diameters
PD (targets)        sum +20% from nadir **and** +5 mm       sum +20% from nadir
==================  ======================================  ==============================

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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oncostat._validate import as_frame, day_numbers, numeric_column, require_columns, row_ref
from oncostat.errors import InputError
from oncostat.response.best_response import (
    Criteria,
    ResponseAssessment,
    check_rules,
    id_column,
    start_days,
    summarise,
)

__all__ = ["assess_response"]

CRITERIA: tuple[str, ...] = ("RECIST1.1", "mRECIST")
MAX_TARGETS = 5          # [1] 3.3.1: "a maximum of five lesions total"
MAX_PER_ORGAN = 2        # [1] 3.3.1: "(and a maximum of two lesions per organ)"
MIN_MEASURABLE = 10.0    # [1] 3.2.1: 10 mm by CT; [2]: "1 cm or more"
MIN_NODE = 15.0          # [1] 3.2.1: a pathological node is >= 15 mm in short axis
NODE_NORMAL = 10.0       # [1] 4.3.1: CR needs every node < 10 mm in short axis
PR_CHANGE = -0.30        # [1] 4.3.1 / [2] Table 2: at least a 30% decrease from baseline
PD_CHANGE = 0.20         # at least a 20% increase from the nadir
PD_ABSOLUTE = 5.0        # [1] 4.3.1: "also ... an absolute increase of at least 5 mm"
# Thresholds count when met exactly ("at least 30%"); sums of diameters typed in mm
# differ from the threshold by rounding error only, so compare with this relative slack.
_SLACK = 1e-9

_KINDS = {"target": "target", "non_target": "non_target", "non-target": "non_target",
          "nontarget": "non_target", "non target": "non_target", "new": "new"}
_STATUS = {"present": "present", "absent": "absent", "progression": "progression",
           "ne": "NE", "not evaluated": "NE"}
_TRUE = {"true", "yes", "y", "1", "1.0"}
_FALSE = {"false", "no", "n", "0", "0.0"}


@dataclass(frozen=True, slots=True)
class _Lesions:
    """Checked columns, one entry per row of the user's table."""

    ids: pd.Series
    labels: list[str]
    days: np.ndarray
    lesion: np.ndarray
    kind: list[str]
    diameter: np.ndarray
    node: np.ndarray
    organ: list[object] | None
    status: list[str | None]


def _choice(data: pd.DataFrame, column: str, mapping: Mapping[str, str], labels: Sequence[str],
            expected: str, *, rows: np.ndarray | None = None) -> list[str | None]:
    out: list[str | None] = [None] * len(data)
    for i, v in enumerate(data[column]):
        if rows is not None and not rows[i]:
            continue
        code = None if pd.isna(v) else mapping.get(str(v).strip().lower())
        if code is None:
            got = "an empty cell" if pd.isna(v) else repr(v)
            raise InputError(f"column {column!r}, {row_ref(i, labels, noun='patient')}: "
                             f"expected {expected}, got {got}")
        out[i] = code
    return out


def _flags(data: pd.DataFrame, column: str, labels: Sequence[str]) -> np.ndarray:
    out = np.zeros(len(data), dtype=bool)
    for i, v in enumerate(data[column]):
        text = "" if pd.isna(v) else str(v).strip().lower()
        if text in _TRUE:
            out[i] = True
        elif text not in _FALSE:
            got = "an empty cell" if pd.isna(v) else repr(v)
            raise InputError(f"column {column!r}, {row_ref(i, labels, noun='patient')}: "
                             f"expected True or False (is the lesion a lymph node?), got {got}")
    return out


def _read(frame: pd.DataFrame, *, patient: str, date: str, lesion: str, kind: str,
          diameter: str, organ: str | None, lymph_node: str | None,
          status: str | None) -> _Lesions:
    cols = [patient, date, lesion, kind, diameter]
    cols += [c for c in (organ, lymph_node, status) if c is not None]
    require_columns(frame, cols, what="lesions")
    ids = id_column(frame, patient)
    labels = ids.astype(str).tolist()
    days = day_numbers(frame, date, labels)
    kinds = _choice(frame, kind, _KINDS, labels, "'target', 'non_target' or 'new'")
    is_target = np.array([k == "target" for k in kinds])
    diam = numeric_column(frame, diameter, labels=labels, noun="patient", minimum=0,
                          allow_missing=True)
    node = _flags(frame, lymph_node, labels) if lymph_node else np.zeros(len(frame), bool)
    nt = np.array([k == "non_target" for k in kinds])
    if status is None:
        if nt.any():
            i = int(np.flatnonzero(nt)[0])
            raise InputError(f"column {kind!r}, {row_ref(i, labels, noun='patient')}: a "
                             "non-target lesion needs status= (a column saying 'present', "
                             "'absent', 'progression' or 'NE' at each assessment)")
        stat: list[str | None] = [None] * len(frame)
    else:
        stat = _choice(frame, status, _STATUS, labels,
                       "'present', 'absent', 'progression' or 'NE' for a non-target lesion",
                       rows=nt)
    lesion_ids = frame[lesion]
    if lesion_ids.isna().any():
        i = int(np.flatnonzero(lesion_ids.isna().to_numpy())[0])
        raise InputError(f"column {lesion!r}, {row_ref(i, labels, noun='patient')}: expected "
                         "a lesion identifier, got an empty cell")
    organs = None
    if organ is not None:
        organs = frame[organ].tolist()
        miss = frame[organ].isna().to_numpy() & is_target
        if miss.any():
            i = int(np.flatnonzero(miss)[0])
            raise InputError(f"column {organ!r}, {row_ref(i, labels, noun='patient')}: expected "
                             "the organ of a target lesion, got an empty cell")
    return _Lesions(ids, labels, days, lesion_ids.to_numpy(), kinds, diam, node, organs, stat)


def _check_baseline(rows: np.ndarray, les: _Lesions, names: Mapping[str, str],
                    criteria: str) -> tuple[np.ndarray, np.ndarray]:
    """One patient's baseline: checked target rows and non-target lesion ids."""
    base_day = les.days[rows].min()
    at_base = rows[les.days[rows] == base_day]
    pid = les.labels[rows[0]]

    def ref(i: int) -> str:
        return row_ref(int(i), les.labels, noun="patient")

    targets = np.array([i for i in at_base if les.kind[i] == "target"], dtype=np.intp)
    if targets.size == 0:
        later = [i for i in rows if les.kind[i] == "target"]
        where = (f"column {names['lesion']!r}, {ref(later[0])}: target lesion "
                 f"{les.lesion[later[0]]!r} has no baseline measurement"
                 if later else f"patient {pid!r}: no target lesion at baseline")
        raise InputError(f"{where}; RECIST 1.1 and mRECIST response from measurements needs "
                         "measurable disease at the baseline assessment (each patient's "
                         "earliest date); code responses by visit and use "
                         "best_overall_response() for patients without it")
    for i in at_base:
        if les.kind[i] == "new":
            raise InputError(f"column {names['kind']!r}, {ref(i)}: a 'new' lesion at the baseline "
                             "assessment; lesions seen at baseline are 'target' or 'non_target'")
        if les.kind[i] == "non_target" and les.status[i] != "present":
            raise InputError(f"column {names['status']!r}, {ref(i)}: expected 'present' for a "
                             f"non-target lesion at baseline, got {les.status[i]!r}")
    for i in targets:
        d = les.diameter[i]
        minimum = MIN_NODE if les.node[i] else MIN_MEASURABLE
        what = ("short axis of a target lymph node" if les.node[i] else
                "viable (enhancing) diameter" if criteria == "mRECIST" else "longest diameter")
        if np.isnan(d) or d < minimum:
            got = "an empty cell" if np.isnan(d) else f"{d:g}"
            raise InputError(f"column {names['diameter']!r}, {ref(i)}: expected a baseline "
                             f"{what} >= {minimum:g} mm for a target lesion, got {got} "
                             "(Eisenhauer 2009, 3.2.1; smaller lesions are non-target)")
    if targets.size > MAX_TARGETS:
        raise InputError(f"column {names['kind']!r}, {ref(targets[MAX_TARGETS])} (patient "
                         f"{pid!r}): {targets.size} target lesions at baseline; RECIST 1.1 "
                         f"allows at most {MAX_TARGETS} (Eisenhauer 2009, 3.3.1): mark the "
                         "others 'non_target'")
    if les.organ is not None:
        seen: dict[object, int] = {}
        for i in targets:
            seen[les.organ[i]] = seen.get(les.organ[i], 0) + 1
            if seen[les.organ[i]] > MAX_PER_ORGAN:
                raise InputError(f"column {names['organ']!r}, {ref(i)}: a third target lesion "
                                 f"in organ {les.organ[i]!r}; RECIST 1.1 allows at most "
                                 f"{MAX_PER_ORGAN} per organ (Eisenhauer 2009, 3.3.1): mark "
                                 "the others 'non_target'")
    non_targets = np.array([les.lesion[i] for i in at_base if les.kind[i] == "non_target"],
                           dtype=object)
    base_ids = {les.lesion[i]: les.kind[i] for i in at_base}
    for i in rows:
        if les.kind[i] == "new" or les.days[i] == base_day:
            continue
        if base_ids.get(les.lesion[i]) != les.kind[i]:
            raise InputError(f"column {names['lesion']!r}, {ref(i)}: {les.kind[i]} lesion "
                             f"{les.lesion[i]!r} has no baseline measurement; a lesion first "
                             "seen after baseline is kind 'new'")
    return targets, non_targets


def _target_response(values: np.ndarray, nodes: np.ndarray, base: float, nadir: float,
                     criteria: str) -> tuple[str, float]:
    """Target-lesion response at one assessment [1]_ 4.3.1-4.3.2, [2]_ Table 2."""
    measured = ~np.isnan(values)
    total = float(values[measured].sum())
    grew = total - nadir
    pd_rel = grew >= PD_CHANGE * nadir - _SLACK * max(nadir, 1.0)
    pd_abs = criteria == "mRECIST" or grew >= PD_ABSOLUTE - _SLACK * max(nadir, 1.0)
    is_pd = pd_rel and pd_abs and grew > 0
    if not measured.all():
        # [1] 4.6: a missing lesion makes the timepoint NE, "unless ... the contribution of
        # the individual missing lesion(s) would not change the assigned time point
        # response" - progression shown by the lesions that were measured.
        return ("PD" if is_pd else "NE"), float("nan")
    if ((values[~nodes] == 0).all() and (values[nodes] < NODE_NORMAL).all()):
        return "CR", total
    if is_pd:
        return "PD", total
    if total - base <= PR_CHANGE * base + _SLACK * base:
        return "PR", total
    return "SD", total


def _non_target_response(statuses: Sequence[str]) -> str:
    """Non-target response [1]_ 4.3.3: all absent CR, any unequivocal progression PD."""
    if not statuses:
        return "none"
    if "progression" in statuses:
        return "PD"
    if all(s == "absent" for s in statuses):
        return "CR"
    if "NE" in statuses:
        return "NE"
    return "non-CR/non-PD"


def _overall(target: str, non_target: str, new: bool) -> str:
    """Overall timepoint response, [1]_ 4.4.1 Table 1 (patients with target disease)."""
    if target == "PD" or non_target == "PD" or new:
        return "PD"
    if target == "CR":
        return "CR" if non_target in ("CR", "none") else "PR"
    return target   # PR, SD or NE: non-target lesions that are not PD do not change it


def assess_response(
    lesions: pd.DataFrame | Mapping[str, object],
    *,
    patient: str,
    date: str,
    lesion: str,
    kind: str,
    diameter: str,
    organ: str | None = None,
    lymph_node: str | None = None,
    status: str | None = None,
    criteria: Criteria = "RECIST1.1",
    start: str | None = None,
    confirm: bool = False,
    confirm_weeks: float = 4.0,
    min_sd_weeks: float | None = None,
) -> ResponseAssessment:
    """Timepoint and best overall response from lesion measurements, RECIST 1.1 or mRECIST.

    Parameters
    ----------
    lesions : DataFrame or dict of columns
        One row per patient, assessment and lesion; never modified. Each patient's
        earliest date is the baseline assessment.
    patient, date, lesion : str
        Columns: patient identifier, assessment date (a date, or a study day number) and
        lesion identifier (the same lesion keeps its identifier across assessments).
    kind : str
        Column saying ``"target"``, ``"non_target"`` or ``"new"`` (a new lesion seen at
        that assessment, taken as unequivocal [1]_ 4.3.4).
    diameter : str
        Column of diameters in mm for target lesions: the longest diameter, or the short
        axis of a lymph node (RECIST 1.1, [1]_ 4.3.2), or the viable, arterially
        enhancing diameter (mRECIST [2]_). 0 when the lesion (or its enhancement) has
        disappeared; empty when not measured. Ignored on other rows.
    organ : str, optional
        Column naming the organ of each target lesion, to check "at most 2 per organ".
    lymph_node : str, optional
        Column of True/False: the target lesion is a lymph node (measured in short axis;
        CR needs every node < 10 mm rather than 0).
    status : str, optional
        Column for non-target lesions: ``"present"``, ``"absent"``, ``"progression"``
        (unequivocal progression, [1]_ 4.3.3) or ``"NE"``. Required when there are
        non-target lesions.
    criteria : {"RECIST1.1", "mRECIST"}, default "RECIST1.1"
        mRECIST drops the 5 mm absolute increase from the definition of PD.
    start : str, optional
        Column with each patient's start of treatment: the baseline must not be after it
        and follow-up assessments must be after it; times (and the minimum SD duration)
        are counted from it. By default from the baseline assessment.
    confirm, confirm_weeks, min_sd_weeks
        Best-response rules; see :func:`oncostat.response.best_overall_response`.

    Returns
    -------
    ResponseAssessment
        ``timepoints`` (sum of diameters, % change from baseline and from the nadir,
        target, non-target and overall response at each follow-up) and ``best`` per
        patient, with ``best_pct_change`` for waterfall plots.

    Raises
    ------
    InputError
        A target lesion without a baseline measurement, no target lesion at baseline,
        more than 5 targets or more than 2 per organ (selection is the reader's
        judgement, so it is not made here), a baseline target below the measurable size
        (10 mm; 15 mm short axis for a node), a non-target lesion first seen after
        baseline, two rows for one lesion and date, or dates out of order against
        ``start``.

    Notes
    -----
    Target response at each follow-up ([1]_ 4.3.1; [2]_ Table 2):

    - CR: every non-nodal target 0 mm, every nodal target < 10 mm short axis.
    - PD: sum >= 1.2 x nadir, the nadir being the smallest earlier sum *including
      baseline*; RECIST 1.1 also needs an absolute increase >= 5 mm.
    - PR: sum <= 0.7 x baseline sum (exactly -30% counts).
    - SD: otherwise. A missing target measurement makes the timepoint NE unless the
      measured lesions already show PD ([1]_ 4.6).

    Non-target lesions are CR when all absent, PD on unequivocal progression, NE when
    one was not evaluated, otherwise non-CR/non-PD ([1]_ 4.3.3); any new lesion is PD
    ([1]_ 4.3.4). Overall response follows Table 1 of [1]_ 4.4.1: target CR with
    non-target non-CR/non-PD or NE is PR. Patients without a follow-up assessment are
    NE.

    References
    ----------
    .. [1] Eisenhauer EA, Therasse P, Bogaerts J, et al. Eur J Cancer. 2009;45:228-247.
    .. [2] Lencioni R, Llovet JM. Semin Liver Dis. 2010;30:52-60.

    Examples
    --------
    One liver metastasis after HIFU: coagulative necrosis leaves the lesion's size
    unchanged (30 mm) while its enhancing part shrinks to 8 mm: SD by RECIST 1.1,
    PR by mRECIST (-73%).

    >>> les = {"id": ["P1", "P1"], "day": [0, 30], "lesion": ["L1", "L1"],
    ...        "kind": ["target", "target"], "longest": [30, 30], "viable": [30, 8]}
    >>> cols = dict(patient="id", date="day", lesion="lesion", kind="kind")
    >>> assess_response(les, diameter="longest", **cols).best["best_response"][0]
    'SD'
    >>> assess_response(les, diameter="viable", criteria="mRECIST", **cols).best["best_response"][0]
    'PR'
    """
    if criteria not in CRITERIA:
        raise InputError(f"criteria: expected 'RECIST1.1' or 'mRECIST', got {criteria!r}")
    check_rules(confirm_weeks, min_sd_weeks)
    frame = as_frame(lesions, what="lesions")
    les = _read(frame, patient=patient, date=date, lesion=lesion, kind=kind, diameter=diameter,
                organ=organ, lymph_node=lymph_node, status=status)
    names = {"lesion": lesion, "kind": kind, "diameter": diameter, "organ": organ or "",
             "status": status or "", "date": date}
    key = pd.DataFrame({"p": les.ids.to_numpy(), "d": les.days, "l": les.lesion})
    dup = key.duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(f"column {lesion!r}, {row_ref(i, les.labels, noun='patient')}: lesion "
                         f"{les.lesion[i]!r} appears twice on {frame[date].iloc[i]}; expected "
                         "one row per patient, date and lesion")
    starts = start_days(frame, start, les.ids, les.labels) if start is not None else None
    groups = key.groupby("p", sort=False).indices
    rows_out = []
    for pid, rows in groups.items():
        rows = np.sort(rows)
        targets, non_targets = _check_baseline(rows, les, names, criteria)
        base_day = les.days[rows].min()
        ref_day = base_day
        if starts is not None:
            ref_day = starts[pid]
            after = rows[les.days[rows] > base_day]
            early = after[les.days[after] <= ref_day]
            if base_day > ref_day or early.size:
                i = int(early[0]) if early.size else int(rows[0])
                raise InputError(
                    f"column {date!r}, {row_ref(i, les.labels, noun='patient')}: dates out of "
                    f"order: {'follow-up' if early.size else 'baseline'} assessment on "
                    f"{frame[date].iloc[i]} against the start of treatment on "
                    f"{frame[start].iloc[i]} (the baseline comes before it, follow-up after)")
        target_ids = les.lesion[targets]
        base_values = les.diameter[targets]
        nodes = les.node[targets]
        base_sum = float(base_values.sum())
        nadir = base_sum
        for day in np.unique(les.days[rows]):
            if day == base_day:
                continue
            at = rows[les.days[rows] == day]
            measured = {les.lesion[i]: les.diameter[i] for i in at if les.kind[i] == "target"}
            values = np.array([measured.get(t, np.nan) for t in target_ids], dtype=float)
            target, total = _target_response(values, nodes, base_sum, nadir, criteria)
            seen = {les.lesion[i]: les.status[i] for i in at if les.kind[i] == "non_target"}
            non_target = _non_target_response([seen.get(t, "NE") for t in non_targets])
            new = any(les.kind[i] == "new" for i in at)
            rows_out.append({
                "patient": les.ids.iloc[at[0]], "date": frame[date].iloc[at[0]],
                "days": float(day - ref_day), "target_sum": total,
                "pct_baseline": 100 * (total - base_sum) / base_sum, "nadir": nadir,
                "pct_nadir": 100 * (total - nadir) / nadir if nadir > 0 else np.nan,
                "target_response": target, "non_target_response": non_target,
                "new_lesion": new, "response": _overall(target, non_target, new)})
            if not np.isnan(total):
                nadir = min(nadir, total)
    columns = ["patient", "date", "days", "target_sum", "pct_baseline", "nadir", "pct_nadir",
               "target_response", "non_target_response", "new_lesion", "response"]
    tp = pd.DataFrame(rows_out, columns=columns)
    best = summarise(tp, list(groups), confirm=confirm, confirm_weeks=confirm_weeks,
                     min_sd_weeks=min_sd_weeks)
    return ResponseAssessment(criteria, confirm, float(confirm_weeks), min_sd_weeks, tp, best)

"""Dual independent screening kept as a ledger: queues, decisions, conflicts, adjudication.

Screening runs in two stages, title/abstract and full text, each by two reviewers working
independently, with a third reviewer adjudicating their conflicts, as Cochrane reviews
and the seed review do [1]_. Every decision is one row of the store's screening ledger
(record, stage, reviewer, include/exclude/maybe, reason, note, time); nothing is
overwritten, and a reviewer deciding the same record twice at a stage is an error.

Work happens without a server: :func:`export_queue` writes a reviewer's queue (CSV or
XLSX) holding only the records that reviewer has not decided and never another
reviewer's decisions (blinding); the reviewer fills the ``decision`` column, for as many
rows as they like, and :func:`import_decisions` reads the filled rows back in one
transaction. Exporting again gives the rest of the queue, so screening can stop and
resume at any point.

How decisions combine (:func:`final_decisions`, :func:`conflicts`):

* at title/abstract a "maybe" counts as include: when in doubt the full text is
  retrieved (Cochrane Handbook, section 4.6.4 [1]_);
* at full text a "maybe" is not a decision: a record with one is a conflict, as is an
  exclusion for which the reviewers give different reasons (PRISMA reports one reason per
  excluded report [2]_);
* a record is decided when two reviewers agree, or when an adjudicator decided its
  conflict; until then it is pending.

References
----------
.. [1] Lefebvre C, Glanville J, Briscoe S, et al. Chapter 4: Searching for and selecting
       studies. In: Higgins JPT, Thomas J, et al. (eds). Cochrane Handbook for Systematic
       Reviews of Interventions, version 6.4. Cochrane; 2023.
.. [2] Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement: an updated
       guideline for reporting systematic reviews. BMJ. 2021;372:n71.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from oncostat._results import ResultMixin, jsonable
from oncostat.errors import InputError
from oncostat.review._migrations import now

if TYPE_CHECKING:
    from oncostat.review.store import ReviewStore

__all__ = ["STAGES", "ScreeningImport", "adjudicate", "check_stage", "conflicts",
           "export_queue", "final_decisions", "import_decisions", "read_table"]

Stage = Literal["title_abstract", "full_text"]
STAGES: tuple[str, ...] = ("title_abstract", "full_text")
"""The screening stages, in order."""
DECISIONS = ("include", "exclude", "maybe")
REVIEWERS_REQUIRED = 2
"""Independent reviewers per record and stage (dual screening)."""
QUEUE_COLUMNS = ("record_id", "title", "authors", "year", "journal", "doi", "pmid",
                 "abstract", "decision", "reason", "note")


def check_stage(stage: str) -> None:
    """Raise :class:`InputError` unless ``stage`` is one of :data:`STAGES`."""
    if stage not in STAGES:
        raise InputError(f"stage: expected 'title_abstract' or 'full_text', got {stage!r}")


def _check_name(what: str, name: str) -> str:
    name = str(name).strip()
    if not name:
        raise InputError(f"{what}: expected a name, got an empty string")
    return name


def _representatives(store: ReviewStore) -> pd.Series:
    latest = store.latest_dedup()
    if latest is None:
        return store.records()["record_id"]
    clusters = latest[0]
    return clusters.loc[clusters["is_representative"], "record_id"].reset_index(drop=True)


def _eligible(store: ReviewStore, stage: Stage) -> set[int]:
    """Records in the stage's queue: de-duplicated records at title/abstract; records
    finally included at title/abstract at full text."""
    ta = set(int(r) for r in _representatives(store))
    if stage == "title_abstract":
        return ta
    final = final_decisions(store, stages=("title_abstract",))
    return set(int(r) for r in final.loc[final["decision"] == "include", "record_id"]) & ta


# -- export --------------------------------------------------------------------------


def export_queue(store: ReviewStore, reviewer: str, stage: Stage,
                 path: str | Path | None = None, *, prioritise: bool = False) -> pd.DataFrame:
    """A reviewer's screening queue: the records they have still to decide at ``stage``.

    The queue never shows another reviewer's decisions, nor whether anyone else has
    decided a record (blinding). Rows already decided by ``reviewer`` are left out, so
    exporting after an import resumes where the reviewer stopped.

    Parameters
    ----------
    store : ReviewStore
    reviewer : str
    stage : {"title_abstract", "full_text"}
    path : str or Path, optional
        Write the queue there: ``.csv`` or ``.xlsx``.
    prioritise : bool, default False
        Title/abstract only: order the queue by relevance learned from the decisions so
        far (:func:`oncostat.review.prioritise.rank_records`), most relevant first, with
        a ``relevance`` column. Needs at least one included and one excluded record.

    Returns
    -------
    DataFrame
        ``record_id, title, authors, year, journal, doi, pmid, abstract`` and empty
        ``decision, reason, note`` columns to fill (``decision``: include, exclude or
        maybe; ``reason`` is required for a full-text exclusion).
    """
    check_stage(stage)
    reviewer = _check_name("reviewer", reviewer)
    if prioritise and stage != "title_abstract":
        raise InputError("prioritise: only the title_abstract queue can be prioritised")
    records = store.records()
    ledger = store.screening_decisions()
    done = set(ledger.loc[(ledger["stage"] == stage) & (ledger["reviewer"] == reviewer),
                          "record_id"].astype(int))
    todo = sorted(_eligible(store, stage) - done)
    queue = records.set_index("record_id").loc[todo].reset_index()
    queue = queue.assign(decision="", reason="", note="")[list(QUEUE_COLUMNS)]
    if prioritise:
        from oncostat.review.prioritise import rank_records

        ranking = rank_records(store)
        queue = queue.merge(ranking[["record_id", "relevance"]], on="record_id", how="left")
        queue = queue.sort_values("relevance", ascending=False, kind="stable")
        queue = queue.reset_index(drop=True)
    if path is not None:
        _write_table(queue, Path(path))
    return queue


def _write_table(frame: pd.DataFrame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        raise InputError(f"{path.name}: expected a .csv or .xlsx file name")


def read_table(path: str | Path | pd.DataFrame) -> tuple[pd.DataFrame, str, str]:
    """Read a CSV or XLSX file as text cells; return ``(frame, file name, sha256)``.

    A DataFrame is taken as is (file ``"<DataFrame>"``); cells become stripped strings
    and missing cells empty strings.
    """
    if isinstance(path, pd.DataFrame):
        frame, name, digest = path.copy(), "<DataFrame>", ""
    else:
        path = Path(path)
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        name = path.name
        suffix = path.suffix.lower()
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        elif suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=str)
        else:
            raise InputError(f"{path.name}: expected a .csv or .xlsx file")
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in frame.columns:
        frame[column] = [("" if v is None or (isinstance(v, float) and v != v) else
                          str(v).strip()) for v in frame[column]]
    return frame, name, digest


# -- import --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScreeningImport(ResultMixin):
    """Result of :func:`import_decisions`: what went into the ledger."""

    file: str
    reviewer: str
    stage: str
    role: str
    n_decided: int
    n_blank: int
    counts: dict[str, int]
    import_id: int | None
    remaining: int

    def __str__(self) -> str:
        what = "adjudications" if self.role == "adjudicator" else "decisions"
        counts = ", ".join(f"{k} {v:,}" for k, v in self.counts.items()) or "none"
        return (f"Imported {self.n_decided:,} {self.stage} {what} by {self.reviewer} from "
                f"{self.file} ({counts}); {self.n_blank:,} blank rows left for later; "
                f"{self.remaining:,} records still to decide")

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{k: v for k, v in self.to_dict().items() if k != "counts"}])

    def to_dict(self) -> dict[str, Any]:
        return jsonable({name: getattr(self, name) for name in self.__slots__})


def import_decisions(store: ReviewStore, path: str | Path | pd.DataFrame, reviewer: str,
                     stage: Stage, *, adjudication: bool = False) -> ScreeningImport:
    """Add a reviewer's (or an adjudicator's) decisions to the ledger, all or nothing.

    Parameters
    ----------
    store : ReviewStore
    path : str, Path or DataFrame
        The filled queue (``.csv`` or ``.xlsx``, as :func:`export_queue` wrote it, or the
        table of :func:`conflicts` for an adjudicator). Needs ``record_id`` (the store's
        id or the record's id in its export file, see :meth:`ReviewStore.id_lookup`) and
        ``decision``; ``reason``, ``note``, ``study`` (the study a full-text include
        reports) and ``decided_at`` (ISO 8601; the import time otherwise) are optional.
        Rows with an empty ``decision`` are skipped: the reviewer has not got to them.
    reviewer : str
    stage : {"title_abstract", "full_text"}
    adjudication : bool, default False
        The rows resolve conflicts: each record must be in conflict at ``stage``, not yet
        adjudicated, and ``reviewer`` must not be one of its screeners; "maybe" is not a
        decision an adjudicator can make.

    Returns
    -------
    ScreeningImport

    Raises
    ------
    InputError
        Naming the file, row and column: an unknown record id, a record not in the
        stage's queue, a decision other than include/exclude/maybe, a full-text exclusion
        without a reason, a record listed twice, a record the reviewer already decided,
        an adjudication without a conflict. Nothing is imported then.
    """
    check_stage(stage)
    reviewer = _check_name("reviewer", reviewer)
    frame, name, digest = read_table(path)
    for column in ("record_id", "decision"):
        if column not in frame.columns:
            raise InputError(f"{name}: column {column!r} is missing; expected record_id, "
                             f"decision and optionally reason, note, study, decided_at")
    known = store.id_lookup()
    eligible = _eligible(store, stage)
    ledger = store.screening_decisions()
    at_stage = ledger[ledger["stage"] == stage]
    mine = dict(zip(at_stage.loc[at_stage["reviewer"] == reviewer, "record_id"].astype(int),
                    at_stage.loc[at_stage["reviewer"] == reviewer, "decision_id"],
                    strict=True))
    open_conflicts = _open_conflicts(at_stage, stage) if adjudication else {}
    role = "adjudicator" if adjudication else "reviewer"
    allowed = ("include", "exclude") if adjudication else DECISIONS
    rows: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    n_blank = 0
    stamp = now()
    for i, cells in enumerate(frame.to_dict(orient="records"), start=1):
        where = f"{name}: row {i}"
        decision = cells["decision"].casefold()
        if not decision:
            n_blank += 1
            continue
        rid = _record_id(cells["record_id"], known, f"{where}, column 'record_id'", store)
        if decision not in allowed:
            raise InputError(f"{where}, column 'decision': expected "
                             f"{' or '.join(map(repr, allowed))}, got {cells['decision']!r}")
        if rid in seen:
            raise InputError(f"{where}: record {rid} appears again (first at row "
                             f"{seen[rid]}); one decision per record")
        seen[rid] = i
        if rid not in eligible:
            why = ("it is not a de-duplicated record (removed as a duplicate)"
                   if stage == "title_abstract" else
                   "it was not included at title_abstract (or is still pending there)")
            raise InputError(f"{where}: record {rid} is not in the {stage} queue: {why}")
        if rid in mine and not adjudication:
            raise InputError(f"{where}: {reviewer} already decided record {rid} at {stage} "
                             f"(decision {mine[rid]}); the ledger keeps the first decision")
        reason = cells.get("reason", "")
        if stage == "full_text" and decision == "exclude" and not reason:
            raise InputError(f"{where}, column 'reason': a full-text exclusion needs a "
                             f"reason (e.g. 'wrong comparator', 'not retrieved')")
        if adjudication:
            _check_adjudication(open_conflicts, at_stage, rid, reviewer, stage, where)
        rows.append({"record_id": rid, "stage": stage, "reviewer": reviewer, "role": role,
                     "decision": decision, "reason": reason, "note": cells.get("note", ""),
                     "study": cells.get("study", ""),
                     "decided_at": _timestamp(cells.get("decided_at", ""), where) or stamp})
    import_id = None
    if rows:
        import_id = store.append_ledger(
            "screening_decisions", rows,
            {"kind": "screening", "file": name, "sha256": digest, "actor": reviewer,
             "settings": {"stage": stage, "role": role}})
    counts = pd.Series([r["decision"] for r in rows], dtype=object).value_counts()
    remaining = len(eligible - set(mine) - set(seen)) if not adjudication else \
        len(open_conflicts) - len(rows)
    return ScreeningImport(name, reviewer, stage, role, len(rows), n_blank,
                           {str(k): int(v) for k, v in counts.items()}, import_id, remaining)


def adjudicate(store: ReviewStore, record_id: int, stage: Stage, adjudicator: str,
               decision: Literal["include", "exclude"], *, reason: str = "",
               note: str = "", study: str = "") -> ScreeningImport:
    """Record a third reviewer's decision on one conflict (see :func:`import_decisions`
    with ``adjudication=True``, which checks it the same way)."""
    row = pd.DataFrame([{"record_id": str(record_id), "decision": decision, "reason": reason,
                         "note": note, "study": study}])
    return import_decisions(store, row, adjudicator, stage, adjudication=True)


def _record_id(value: str, known: dict[str, int], where: str, store: ReviewStore) -> int:
    """A store id or an export id (:meth:`ReviewStore.id_lookup`); spreadsheets turn ids
    into numbers, so "12.0" is record 12."""
    key = re.sub(r"^(\d+)\.0*$", r"\1", value.strip())
    if key not in known:
        raise InputError(f"{where}: {value!r} is not a record of {store.path.name} (expected "
                         f"its store id or its id in the export file)")
    return known[key]


def _timestamp(value: str, where: str) -> str | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        raise InputError(f"{where}, column 'decided_at': expected an ISO 8601 time such "
                         f"as 2024-11-30T14:05:00, got {value!r}") from None


def _check_adjudication(open_conflicts: dict[int, list[str]], at_stage: pd.DataFrame,
                        rid: int, adjudicator: str, stage: str, where: str) -> None:
    if rid not in open_conflicts:
        rows = at_stage[at_stage["record_id"] == rid]
        if (rows["role"] == "adjudicator").any():
            why = "it was already adjudicated"
        elif (rows["role"] == "reviewer").sum() < REVIEWERS_REQUIRED:
            why = (f"only {int((rows['role'] == 'reviewer').sum())} of "
                   f"{REVIEWERS_REQUIRED} reviewers have decided it")
        else:
            why = "the reviewers agree (" + ", ".join(
                f"{r} {d}" for r, d in zip(rows["reviewer"], rows["decision"],
                                           strict=True)) + ")"
        raise InputError(f"{where}: record {rid} has no conflict at {stage} to adjudicate: "
                         f"{why}")
    if adjudicator in open_conflicts[rid]:
        raise InputError(f"{where}: {adjudicator} screened record {rid}; a third reviewer "
                         f"adjudicates")


# -- combining decisions -------------------------------------------------------------


def _norm_reason(reason: str) -> str:
    return re.sub(r"[\s_]+", " ", str(reason)).strip().casefold()


def _combine(rows: pd.DataFrame, stage: str) -> tuple[str, str, str, str]:
    """``(status, decision, reason, study)`` of one record at one stage."""
    adjudicated = rows[rows["role"] == "adjudicator"]
    if len(adjudicated):
        first = adjudicated.iloc[0]
        study = first["study"] or next((s for s in rows["study"] if s), "")
        return "adjudicated", first["decision"], first["reason"], study
    screened = rows[rows["role"] == "reviewer"]
    if len(screened) < REVIEWERS_REQUIRED:
        return "pending", "", "", ""
    decisions = screened["decision"]
    if stage == "title_abstract":
        decisions = decisions.replace("maybe", "include")
    agreed = decisions.nunique() == 1 and decisions.iloc[0] != "maybe"
    if agreed and decisions.iloc[0] == "exclude" and stage == "full_text":
        agreed = screened["reason"].map(_norm_reason).nunique() == 1
    if not agreed:
        return "conflict", "", "", ""
    return ("agreed", decisions.iloc[0], screened["reason"].iloc[0],
            next((s for s in screened["study"] if s), ""))


def _open_conflicts(at_stage: pd.DataFrame, stage: str) -> dict[int, list[str]]:
    """Unresolved conflicts at a stage: record id -> its reviewers."""
    out = {}
    for rid, rows in at_stage.groupby("record_id", sort=True):
        if _combine(rows, stage)[0] == "conflict":
            out[int(rid)] = list(rows.loc[rows["role"] == "reviewer", "reviewer"])
    return out


def final_decisions(store: ReviewStore, *, stages: tuple[str, ...] = STAGES
                    ) -> pd.DataFrame:
    """The outcome of screening per record and stage, from the ledger.

    Returns
    -------
    DataFrame
        ``record_id, stage, status, decision, reason, study`` with ``status`` one of
        ``"agreed"``, ``"adjudicated"``, ``"conflict"`` (awaiting adjudication) and
        ``"pending"`` (fewer than two reviewers have decided); ``decision`` is
        ``"include"`` or ``"exclude"`` once agreed or adjudicated, else empty. Records
        nobody has decided are not listed. :func:`oncostat.review.prisma_counts` reads
        this table.
    """
    ledger = store.screening_decisions()
    rows = []
    for stage in stages:
        at_stage = ledger[ledger["stage"] == stage]
        for rid, group in at_stage.groupby("record_id", sort=True):
            rows.append((int(rid), stage, *_combine(group, stage)))
    return pd.DataFrame(rows, columns=["record_id", "stage", "status", "decision", "reason",
                                       "study"])


def conflicts(store: ReviewStore, stage: Stage, *, unresolved_only: bool = False
              ) -> pd.DataFrame:
    """Records on which the reviewers disagree at ``stage``.

    A conflict is a record whose two (or more) reviewers' decisions differ -- "maybe"
    counting as include at title/abstract, and as a disagreement at full text -- or, at
    full text, an exclusion with different reasons. Only records every reviewer has
    decided appear, so no reviewer sees another's decision before making their own.

    Parameters
    ----------
    unresolved_only : bool, default False
        Leave out conflicts already adjudicated: the table to hand the adjudicator, who
        fills ``decision`` (and ``reason`` at full text) and imports it with
        :func:`import_decisions` (``adjudication=True``).

    Returns
    -------
    DataFrame
        ``record_id``, ``citation`` (first author and year: "Wu 2005"), ``title``,
        ``reviewer_1, decision_1, reason_1, note_1, reviewer_2, ...``,
        then ``adjudicated`` (bool), ``adjudicator``, ``decision``, ``reason``, ``note``
        (the adjudication, empty until made).
    """
    check_stage(stage)
    ledger = store.screening_decisions()
    at_stage = ledger[ledger["stage"] == stage]
    records = store.records().set_index("record_id")
    titles = records["title"]
    citations = {rid: _citation(surname, year) for rid, surname, year in
                 zip(records.index, records["first_author_surname"], records["year"],
                     strict=True)}
    out = []
    for rid, group in at_stage.groupby("record_id", sort=True):
        screened = group[group["role"] == "reviewer"]
        status = _combine(group, stage)[0]
        was_conflict = _combine(screened, stage)[0] == "conflict"
        if not was_conflict or (unresolved_only and status == "adjudicated"):
            continue
        row: dict[str, Any] = {"record_id": int(rid), "citation": citations.get(int(rid), ""),
                               "title": titles.get(int(rid), "")}
        for k, (_, r) in enumerate(screened.iterrows(), start=1):
            row.update({f"reviewer_{k}": r["reviewer"], f"decision_{k}": r["decision"],
                        f"reason_{k}": r["reason"], f"note_{k}": r["note"]})
        adj = group[group["role"] == "adjudicator"]
        row.update(adjudicated=bool(len(adj)),
                   adjudicator=adj["reviewer"].iloc[0] if len(adj) else "",
                   decision=adj["decision"].iloc[0] if len(adj) else "",
                   reason=adj["reason"].iloc[0] if len(adj) else "",
                   note=adj["note"].iloc[0] if len(adj) else "")
        out.append(row)
    columns = ["record_id", "citation", "title", "reviewer_1", "decision_1", "reason_1",
               "note_1", "reviewer_2", "decision_2", "reason_2", "note_2", "adjudicated",
               "adjudicator", "decision", "reason", "note"]
    frame = pd.DataFrame(out)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    extra = [c for c in frame.columns if c not in columns]
    return frame[columns[:11] + extra + columns[11:]]


def _citation(surname: object, year: object) -> str:
    """First author's surname and year ("Wu 2005"); either may be missing."""
    return " ".join(str(v).strip() for v in (surname, year)
                    if not pd.isna(v) and str(v).strip())

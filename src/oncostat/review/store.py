"""The review store: one SQLite file per systematic review.

The store keeps every record as imported (the raw tags or columns, the file, database,
import batch, position and line) beside its normalised fields, and everything later
steps decide about the records (de-duplication runs, reviewers' decisions) as new rows:
nothing is updated or deleted, so every count in a PRISMA diagram can be traced back to
the files [1]_. Each write is one transaction; a failed import leaves the store as it was.

The schema (:mod:`oncostat.review._migrations`) is versioned and migrated on
:meth:`ReviewStore.open`, and uses only SQL that PostgreSQL also runs, so that a
multi-user server can later keep the same model in PostgreSQL.

References
----------
.. [1] Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement: an updated
       guideline for reporting systematic reviews. BMJ. 2021;372:n71.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from oncostat._results import ResultMixin, jsonable
from oncostat.errors import InputError
from oncostat.io.bibliographic import BibRecord, Format, ImportResult, read_records
from oncostat.review._migrations import CURRENT_VERSION, migrate, now
from oncostat.review.records import FIELDS, NORMALISER_VERSION, normalise_fields

__all__ = ["ImportSummary", "ReviewStore", "import_file"]

_APPLICATION = "oncostat review store"
_SEARCH_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_RECORD_COLUMNS = ("record_id", "source_id", "batch_id", "database", "file", "position",
                   "line", *FIELDS)


def _software() -> str:
    from oncostat import __version__

    return f"oncostat {__version__}"


class ReviewStore:
    """A systematic review's records and decisions, in one SQLite file.

    Create a store with :meth:`create`, open an existing one with :meth:`open`; import
    search results with :func:`import_file`. Use as a context manager to close it.

    Examples
    --------
    >>> from oncostat.review import ReviewStore, import_file
    >>> store = ReviewStore.create("hcc-review.db")                        # doctest: +SKIP
    >>> import_file(store, "pubmed.nbib", database="PubMed",
    ...             search_date="2024-11-30")                              # doctest: +SKIP
    >>> store.records()[["record_id", "database", "title", "doi"]]         # doctest: +SKIP
    """

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn

    # -- opening ---------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path) -> ReviewStore:
        """Create a new, empty store at ``path`` (which must not exist)."""
        return cls._create(Path(path), CURRENT_VERSION)

    @classmethod
    def _create(cls, path: Path, version: int) -> ReviewStore:
        if path.exists():
            raise InputError(f"{path}: already exists; open it with ReviewStore.open, or "
                             "choose a new file name")
        if not path.parent.is_dir():
            raise InputError(f"{path}: the folder {path.parent} does not exist")
        store = cls(path, _connect(path))
        try:
            with store._transaction():
                migrate(store._conn, 0, version)
                store._conn.executemany(
                    "INSERT INTO store_info VALUES (?, ?)",
                    [("application", _APPLICATION), ("created_at", now()),
                     ("created_with", _software())])
        except BaseException:
            store.close()
            path.unlink(missing_ok=True)
            raise
        return store

    @classmethod
    def open(cls, path: str | Path) -> ReviewStore:
        """Open an existing store, migrating it to the current schema version.

        Raises
        ------
        InputError
            If ``path`` does not exist, is not an oncostat review store, or was written
            by a newer oncostat.
        """
        path = Path(path)
        if not path.is_file():
            raise InputError(f"{path}: no such review store; create one with "
                             "`oncostat review init`")
        store = cls(path, _connect(path))
        try:
            version = store._version_or_raise()
            if version < CURRENT_VERSION:
                with store._transaction():
                    migrate(store._conn, version)
        except BaseException:
            store.close()
            raise
        return store

    def _version_or_raise(self) -> int:
        try:
            row = self._conn.execute(
                "SELECT value FROM store_info WHERE key = 'application'").fetchone()
            version = self._conn.execute(
                "SELECT MAX(version) FROM schema_migrations").fetchone()[0]
        except sqlite3.DatabaseError:
            row = version = None
        if row is None or row[0] != _APPLICATION or version is None:
            raise InputError(f"{self.path}: not an oncostat review store")
        if version > CURRENT_VERSION:
            raise InputError(f"{self.path}: schema version {version} was written by a newer "
                             f"oncostat (this one reads up to {CURRENT_VERSION}); upgrade "
                             "oncostat")
        return int(version)

    @property
    def schema_version(self) -> int:
        """The last schema migration applied to this store."""
        return int(self._conn.execute("SELECT MAX(version) FROM schema_migrations")
                   .fetchone()[0])

    def close(self) -> None:
        """Close the connection (the file is always consistent on disk)."""
        self._conn.close()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ReviewStore({str(self.path)!r})"

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise InputError(f"{self.path}: cannot write to the review store ({exc}); is "
                             "another program writing to it?") from None
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _next_id(self, table: str, column: str) -> int:
        return int(self._conn.execute(f"SELECT COALESCE(MAX({column}), 0) + 1 FROM {table}")
                   .fetchone()[0])

    # -- records ---------------------------------------------------------------------

    def records(self) -> pd.DataFrame:
        """One row per imported record, in import order.

        Columns: ``record_id`` (store-wide, stable), ``source_id`` (the file's own id),
        ``batch_id``, ``database``, ``file``, ``position`` (1-based in the file), ``line``
        (where the record starts in the file), then the normalised fields of
        :data:`oncostat.review.records.FIELDS`; ``year`` and ``line`` are ``Int64``.
        """
        sql = f"""
            SELECT r.record_id, r.source_id, r.batch_id, b.source_database AS database,
                   b.file, r.position, r.line, {", ".join("f." + c for c in FIELDS)}
            FROM raw_records r
            JOIN import_batches b ON b.batch_id = r.batch_id
            JOIN record_fields f ON f.record_id = r.record_id
             AND f.normaliser_version = (SELECT MAX(g.normaliser_version) FROM record_fields g
                                         WHERE g.record_id = r.record_id)
            ORDER BY r.record_id"""
        frame = pd.DataFrame(self._conn.execute(sql).fetchall(), columns=_RECORD_COLUMNS)
        for column in ("record_id", "batch_id", "position"):
            frame[column] = frame[column].astype("int64")
        for column in ("line", "year"):
            frame[column] = pd.array(frame[column].tolist(), dtype="Int64")
        return frame

    def id_lookup(self) -> dict[str, int]:
        """Every name a record can be given in a decision or extraction file: its store id
        (``"12"``) and its id in the export file (PMID, Web of Science UT, Scopus EID, RIS
        ID), which does not depend on the order of import. A store id wins over an equal
        export id; an export id shared by two records (the same file imported twice)
        names neither."""
        records = self.records()
        lookup: dict[str, int] = {}
        shared: set[str] = set()
        for source, rid in zip(records["source_id"], records["record_id"], strict=True):
            if isinstance(source, str) and source.strip():
                key = source.strip()
                if key in lookup and lookup[key] != rid:
                    shared.add(key)
                lookup[key] = int(rid)
        for key in shared:
            del lookup[key]
        lookup.update({str(r): int(r) for r in records["record_id"]})
        return lookup

    def raw(self, record_id: int) -> dict[str, Any]:
        """The record exactly as imported: tag (or column) to value(s)."""
        row = self._conn.execute("SELECT raw FROM raw_records WHERE record_id = ?",
                                 (int(record_id),)).fetchone()
        if row is None:
            raise InputError(f"{self.path}: no record with record_id {record_id}")
        return json.loads(row[0])

    def batches(self) -> pd.DataFrame:
        """One row per import: ``batch_id, file, sha256, database, search_date,
        imported_at, format, n_records`` and ``dialect, encoding, n_rejected, file_path``."""
        sql = """SELECT batch_id, file, sha256, source_database AS database, search_date,
                        imported_at, format, n_records, dialect, encoding, n_rejected,
                        file_path
                 FROM import_batches ORDER BY batch_id"""
        cursor = self._conn.execute(sql)
        return pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])

    def _import(self, result: ImportResult, database: str, search_date: str | None,
                normalised: list[dict[str, Any]]) -> int:
        with self._transaction() as conn:
            batch_id = self._next_id("import_batches", "batch_id")
            first_id = self._next_id("raw_records", "record_id")
            conn.execute(
                "INSERT INTO import_batches (batch_id, file, file_path, sha256, size_bytes, "
                "source_database, search_date, imported_at, format, dialect, encoding, "
                "n_records, n_rejected, rejected, notes, software) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (batch_id, result.path.name, str(result.path.resolve()), result.sha256,
                 result.path.stat().st_size, database, search_date, now(), result.format,
                 result.dialect, result.encoding, len(result.records), len(result.rejected),
                 json.dumps(result.rejected), json.dumps(result.notes), _software()))
            self._insert_records(batch_id, first_id, result.records, normalised)
        return batch_id

    def _insert_records(self, batch_id: int, first_id: int, records: Sequence[BibRecord],
                        normalised: list[dict[str, Any]]) -> None:
        self._conn.executemany(
            "INSERT INTO raw_records VALUES (?, ?, ?, ?, ?, ?)",
            ((first_id + i, batch_id, r.position, r.line, r.source_id,
              json.dumps(r.raw, ensure_ascii=False)) for i, r in enumerate(records)))
        placeholders = ", ".join("?" * (len(FIELDS) + 2))
        self._conn.executemany(
            f"INSERT INTO record_fields (record_id, normaliser_version, {', '.join(FIELDS)}) "
            f"VALUES ({placeholders})",
            ((first_id + i, NORMALISER_VERSION, *(n[c] for c in FIELDS))
             for i, n in enumerate(normalised)))

    # -- de-duplication --------------------------------------------------------------

    def save_dedup_run(self, clusters: pd.DataFrame, pairs: pd.DataFrame,
                       settings: Mapping[str, Any]) -> int:
        """Save one de-duplication run (earlier runs are kept) and return its ``run_id``.

        Parameters
        ----------
        clusters : DataFrame
            ``record_id, cluster_id, is_representative``, one row per record.
        pairs : DataFrame
            ``record_a, record_b, score, decision, rule``; ``decision`` is
            ``"duplicate"``, ``"distinct"`` or ``"uncertain"``; ``score`` may be missing.
        settings : mapping
            The options of the run, stored as JSON.
        """
        _require(clusters, ("record_id", "cluster_id", "is_representative"), "clusters")
        _require(pairs, ("record_a", "record_b", "score", "decision", "rule"), "pairs")
        bad = ~pairs["decision"].isin(["duplicate", "distinct", "uncertain"])
        if bad.any():
            row = int(bad.to_numpy().argmax()) + 1
            raise InputError(f"pairs: column 'decision', row {row}: expected 'duplicate', "
                             f"'distinct' or 'uncertain', got {pairs['decision'].iloc[row - 1]!r}")
        cluster_rows = [(int(r), int(c), int(bool(p))) for r, c, p in zip(
            clusters["record_id"], clusters["cluster_id"], clusters["is_representative"],
            strict=True)]
        pair_rows = [(int(a), int(b), None if pd.isna(s) else float(s), str(d),
                      None if r is None or (not isinstance(r, str) and pd.isna(r)) else str(r))
                     for a, b, s, d, r in zip(pairs["record_a"], pairs["record_b"],
                                              pairs["score"], pairs["decision"], pairs["rule"],
                                              strict=True)]
        self._check_ids({r for r, _, _ in cluster_rows} |
                        {x for a, b, *_ in pair_rows for x in (a, b)}, "dedup run")
        with self._transaction() as conn:
            run_id = self._next_id("dedup_runs", "run_id")
            conn.execute("INSERT INTO dedup_runs VALUES (?, ?, ?, ?, ?, ?)",
                         (run_id, now(), json.dumps(jsonable(dict(settings))),
                          len(cluster_rows), len({c for _, c, _ in cluster_rows}),
                          _software()))
            conn.executemany("INSERT INTO dedup_clusters VALUES (?, ?, ?, ?)",
                             [(run_id, *row) for row in cluster_rows])
            conn.executemany("INSERT INTO dedup_pairs VALUES (?, ?, ?, ?, ?, ?)",
                             [(run_id, *row) for row in pair_rows])
        return run_id

    def latest_dedup(self) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]] | None:
        """The last saved de-duplication run as ``(clusters, pairs, settings)``, or
        ``None`` if none was saved; ``settings`` also holds ``run_id`` and ``created_at``."""
        row = self._conn.execute("SELECT run_id, created_at, settings FROM dedup_runs "
                                 "ORDER BY run_id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        run_id = row[0]
        clusters = pd.read_sql_query(
            "SELECT record_id, cluster_id, is_representative FROM dedup_clusters "
            "WHERE run_id = ? ORDER BY record_id", self._conn, params=(run_id,))
        clusters["is_representative"] = clusters["is_representative"].astype(bool)
        pairs = pd.read_sql_query(
            "SELECT record_a, record_b, score, decision, rule FROM dedup_pairs "
            "WHERE run_id = ? ORDER BY record_a, record_b", self._conn, params=(run_id,))
        pairs["score"] = pairs["score"].astype(float)
        settings = {**json.loads(row[2]), "run_id": run_id, "created_at": row[1]}
        return clusters, pairs, settings

    def add_manual_decision(self, record_a: int, record_b: int,
                            decision: Literal["duplicate", "distinct"], reviewer: str,
                            note: str = "") -> int:
        """Record a reviewer's decision that two records are (not) duplicates.

        A later decision on the same pair supersedes earlier ones, which are kept.
        Returns the new ``decision_id``.
        """
        if decision not in ("duplicate", "distinct"):
            raise InputError(f"decision: expected 'duplicate' or 'distinct', got {decision!r}")
        if not str(reviewer).strip():
            raise InputError("reviewer: expected the reviewer's name, got an empty string")
        a, b = sorted((int(record_a), int(record_b)))
        if a == b:
            raise InputError(f"record {a} cannot be compared with itself")
        self._check_ids({a, b}, "manual decision")
        with self._transaction() as conn:
            decision_id = self._next_id("manual_dedup_decisions", "decision_id")
            conn.execute("INSERT INTO manual_dedup_decisions VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (decision_id, a, b, decision, str(reviewer).strip(), note, now()))
        return decision_id

    def manual_decisions(self, *, history: bool = False) -> pd.DataFrame:
        """Reviewers' duplicate decisions: ``decision_id, record_a, record_b, decision,
        reviewer, note, decided_at`` (``record_a < record_b``).

        By default only the latest decision on each pair; ``history=True`` gives all.
        """
        latest = "" if history else """WHERE decision_id IN (
            SELECT MAX(decision_id) FROM manual_dedup_decisions GROUP BY record_a, record_b)"""
        return pd.read_sql_query(
            f"SELECT decision_id, record_a, record_b, decision, reviewer, note, decided_at "
            f"FROM manual_dedup_decisions {latest} ORDER BY decision_id", self._conn)

    # -- ledgers: screening, risk of bias, extraction ---------------------------------

    def screening_decisions(self) -> pd.DataFrame:
        """Every screening decision in the ledger, in the order recorded.

        Columns: ``decision_id, record_id, stage, reviewer, role`` (``"reviewer"`` or
        ``"adjudicator"``), ``decision, reason, note, study, decided_at, recorded_at,
        import_id``. This is the unblinded view; reviewers' queues come from
        :func:`oncostat.review.screening.export_queue`.
        """
        return self._ledger("screening_decisions", "decision_id")

    def rob_judgements(self) -> pd.DataFrame:
        """Every risk-of-bias domain judgement, in the order recorded: ``judgement_id,
        study, outcome, tool, tool_version, domain, assessor, role, answers`` (JSON),
        ``proposed, judgement, reason, support, assessed_at, import_id``."""
        return self._ledger("rob_judgements", "judgement_id")

    def extractions(self) -> pd.DataFrame:
        """Every extraction row, in the order recorded: ``extraction_id, study, year,
        record_id, outcome, kind, data`` (JSON), ``subgroups`` (JSON), ``extractor, note,
        extracted_at, import_id``."""
        return self._ledger("extractions", "extraction_id")

    def _ledger(self, table: str, key: str) -> pd.DataFrame:
        cursor = self._conn.execute(f"SELECT * FROM {table} ORDER BY {key}")
        frame = pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])
        for column in ("record_id", "year", "import_id"):
            if column in frame.columns:
                frame[column] = pd.array(frame[column].tolist(), dtype="Int64")
        return frame

    def append_ledger(self, table: Literal["screening_decisions", "rob_judgements",
                                           "extractions"],
                      rows: Sequence[Mapping[str, Any]],
                      source: Mapping[str, Any] | None = None) -> int | None:
        """Append ``rows`` to a ledger table in one transaction; return the import id.

        Rows are dicts of the table's columns except its id, ``recorded_at`` and
        ``import_id``, which the store assigns. With ``source`` (``kind, file, sha256,
        actor, settings``) an import batch is recorded and the rows point to it. Either
        every row is written or, if one fails a constraint, none.
        """
        key = {"screening_decisions": "decision_id", "rob_judgements": "judgement_id",
               "extractions": "extraction_id"}[table]
        with self._transaction() as conn:
            import_id = None
            if source is not None:
                import_id = self._next_id("ledger_imports", "import_id")
                conn.execute("INSERT INTO ledger_imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (import_id, source["kind"], source["file"], source["sha256"],
                              source["actor"], json.dumps(jsonable(dict(source["settings"]))),
                              len(rows), now(), _software()))
            first = self._next_id(table, key)
            stamp = now()
            for i, row in enumerate(rows):
                values = {key: first + i, **row, "import_id": import_id}
                if table == "screening_decisions":
                    values["recorded_at"] = stamp
                columns = ", ".join(values)
                conn.execute(f"INSERT INTO {table} ({columns}) VALUES "
                             f"({', '.join('?' * len(values))})", tuple(values.values()))
        return import_id

    def _check_ids(self, ids: set[int], what: str) -> None:
        known = {r for (r,) in self._conn.execute("SELECT record_id FROM raw_records")}
        unknown = sorted(ids - known)
        if unknown:
            raise InputError(f"{what}: record_id {unknown[0]} is not in {self.path.name}"
                             + (f" ({len(unknown)} unknown ids)" if len(unknown) > 1 else ""))


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{what}: column {missing[0]!r} is missing; expected "
                         f"{', '.join(columns)}")


# -- import ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportSummary(ResultMixin):
    """Result of :func:`import_file`; see its docstring.

    ``n_read`` counts the records stored; ``rejected`` lists the records that were not,
    as ``(line, reason)``; ``notes`` the defects of the file that were tolerated.
    """

    file: str
    database: str
    format: str
    batch_id: int
    n_read: int
    n_with_doi: int
    n_with_pmid: int
    n_with_abstract: int
    rejected: tuple[tuple[int | None, str], ...] = ()
    dialect: str = "standard"
    encoding: str = "utf-8"
    search_date: str | None = None
    notes: tuple[str, ...] = field(default=(), repr=False)

    def __str__(self) -> str:
        searched = f"; searched {self.search_date}" if self.search_date else ""
        dialect = "" if self.dialect in ("standard", "generic") else f" {self.dialect}"
        lines = [f"Imported {self.file} as {self.database} (batch {self.batch_id}; "
                 f"{self.format}{dialect}, {self.encoding}{searched})",
                 f"  {self.n_read:,} records read: {self.n_with_doi:,} with DOI, "
                 f"{self.n_with_pmid:,} with PMID, {self.n_with_abstract:,} with abstract"]
        if self.rejected:
            lines.append(f"  {len(self.rejected):,} rejected:")
            lines += [f"    line {line}: {reason}" if line else f"    {reason}"
                      for line, reason in self.rejected]
        lines += [f"  Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row of counts."""
        return pd.DataFrame([{k: v for k, v in self.to_dict().items()
                              if k not in ("rejected", "notes")}])

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary; ``rejected`` as a list of ``{"line", "reason"}``."""
        return jsonable({
            "file": self.file, "database": self.database, "format": self.format,
            "dialect": self.dialect, "encoding": self.encoding,
            "search_date": self.search_date, "batch_id": self.batch_id,
            "n_read": self.n_read, "n_with_doi": self.n_with_doi,
            "n_with_pmid": self.n_with_pmid, "n_with_abstract": self.n_with_abstract,
            "n_rejected": len(self.rejected),
            "rejected": [{"line": line, "reason": reason} for line, reason in self.rejected],
            "notes": list(self.notes)})


def import_file(store: ReviewStore, path: str | Path, database: str = "PubMed",
                search_date: str | date | None = None, format: Format | None = None,
                *, encoding: str | None = None) -> ImportSummary:
    """Import one search export into the review store as a new batch.

    The file is read and checked completely before anything is written; then the batch
    and its records go in as one transaction, so a failed import leaves the store as it
    was.

    Parameters
    ----------
    store : ReviewStore
    path : str or Path
        The export (RIS, MEDLINE, BibTeX, EndNote XML, Web of Science, CSV; see
        :mod:`oncostat.io.bibliographic`).
    database : str, default "PubMed"
        The database searched ("PubMed", "Web of Science", "Scopus", "Embase", ...), as
        the PRISMA diagram will name it.
    search_date : str or date, optional
        When the search was run, ``YYYY-MM-DD`` (or ``YYYY-MM``, ``YYYY``).
    format : {"ris", "medline", "bibtex", "endnote_xml", "wos", "csv"}, optional
        Detected from the file's content when omitted.
    encoding : str, optional
        Detected when omitted.

    Returns
    -------
    ImportSummary

    Raises
    ------
    InputError
        The file cannot be read or parsed (the message names the file and line), the
        arguments are invalid, or the same file (same SHA-256) was already imported.
    """
    database = str(database).strip()
    if not database:
        raise InputError("database: expected the name of the database searched, e.g. "
                         "'PubMed', got an empty string")
    if isinstance(search_date, date):
        search_date = search_date.isoformat()
    if search_date is not None and not _SEARCH_DATE.match(str(search_date)):
        raise InputError(f"search_date: expected YYYY-MM-DD, got {search_date!r}")
    result = read_records(path, format, encoding=encoding)
    earlier = store._conn.execute(
        "SELECT batch_id, source_database FROM import_batches WHERE sha256 = ?",
        (result.sha256,)).fetchone()
    if earlier is not None:
        raise InputError(f"{result.path.name}: this file was already imported as batch "
                         f"{earlier[0]} ({earlier[1]}); importing it again would count its "
                         "records twice")
    normalised = [normalise_fields(r.fields) for r in result.records]
    batch_id = store._import(result, database, search_date, normalised)
    return ImportSummary(
        file=result.path.name, database=database, format=result.format, batch_id=batch_id,
        n_read=len(normalised),
        n_with_doi=sum(n["doi"] is not None for n in normalised),
        n_with_pmid=sum(n["pmid"] is not None for n in normalised),
        n_with_abstract=sum(n["abstract"] is not None for n in normalised),
        rejected=result.rejected, dialect=result.dialect, encoding=result.encoding,
        search_date=search_date, notes=result.notes)

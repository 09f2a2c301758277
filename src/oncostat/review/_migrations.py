"""The review store's schema, as an ordered list of migrations.

A store records each migration it has applied in ``schema_migrations`` (version, name,
time); :func:`migrate` applies the missing ones in order, inside the caller's
transaction. A new table or column for a later feature (screening decisions, risk of
bias, extraction) is a new entry at the end; an entry, once released, is never edited.

The SQL is kept to what PostgreSQL also runs: ``INTEGER``, ``TEXT`` and ``REAL`` columns,
ISO 8601 timestamps as ``TEXT``, JSON documents as ``TEXT``, identifiers assigned by the
store (no ``AUTOINCREMENT``), foreign keys declared. Rows are only ever inserted: a new
de-duplication run or a changed decision is a new row, never an update.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

__all__ = ["CURRENT_VERSION", "MIGRATIONS", "migrate"]

_V1 = """
CREATE TABLE store_info (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE import_batches (
    batch_id        INTEGER PRIMARY KEY,
    file            TEXT NOT NULL,
    file_path       TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    size_bytes      INTEGER NOT NULL,
    source_database TEXT NOT NULL,
    search_date     TEXT,
    imported_at     TEXT NOT NULL,
    format          TEXT NOT NULL,
    dialect         TEXT NOT NULL,
    encoding        TEXT NOT NULL,
    n_records       INTEGER NOT NULL,
    n_rejected      INTEGER NOT NULL,
    rejected        TEXT NOT NULL,
    notes           TEXT NOT NULL,
    software        TEXT NOT NULL
);
CREATE TABLE raw_records (
    record_id INTEGER PRIMARY KEY,
    batch_id  INTEGER NOT NULL REFERENCES import_batches (batch_id),
    position  INTEGER NOT NULL,
    line      INTEGER,
    source_id TEXT,
    raw       TEXT NOT NULL,
    UNIQUE (batch_id, position)
);
CREATE TABLE record_fields (
    record_id            INTEGER NOT NULL REFERENCES raw_records (record_id),
    normaliser_version   INTEGER NOT NULL,
    title                TEXT,
    authors              TEXT,
    first_author_surname TEXT,
    year                 INTEGER,
    journal              TEXT,
    volume               TEXT,
    issue                TEXT,
    pages                TEXT,
    first_page           TEXT,
    doi                  TEXT,
    pmid                 TEXT,
    isbn                 TEXT,
    abstract             TEXT,
    type                 TEXT,
    PRIMARY KEY (record_id, normaliser_version)
);
CREATE INDEX record_fields_doi ON record_fields (doi);
CREATE INDEX record_fields_pmid ON record_fields (pmid);
"""

_V2 = """
CREATE TABLE dedup_runs (
    run_id     INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    settings   TEXT NOT NULL,
    n_records  INTEGER NOT NULL,
    n_clusters INTEGER NOT NULL,
    software   TEXT NOT NULL
);
CREATE TABLE dedup_clusters (
    run_id            INTEGER NOT NULL REFERENCES dedup_runs (run_id),
    record_id         INTEGER NOT NULL REFERENCES raw_records (record_id),
    cluster_id        INTEGER NOT NULL,
    is_representative INTEGER NOT NULL CHECK (is_representative IN (0, 1)),
    PRIMARY KEY (run_id, record_id)
);
CREATE TABLE dedup_pairs (
    run_id   INTEGER NOT NULL REFERENCES dedup_runs (run_id),
    record_a INTEGER NOT NULL REFERENCES raw_records (record_id),
    record_b INTEGER NOT NULL REFERENCES raw_records (record_id),
    score    REAL,
    decision TEXT NOT NULL CHECK (decision IN ('duplicate', 'distinct', 'uncertain')),
    rule     TEXT,
    PRIMARY KEY (run_id, record_a, record_b)
);
CREATE TABLE manual_dedup_decisions (
    decision_id INTEGER PRIMARY KEY,
    record_a    INTEGER NOT NULL REFERENCES raw_records (record_id),
    record_b    INTEGER NOT NULL REFERENCES raw_records (record_id),
    decision    TEXT NOT NULL CHECK (decision IN ('duplicate', 'distinct')),
    reviewer    TEXT NOT NULL,
    note        TEXT NOT NULL,
    decided_at  TEXT NOT NULL
);
CREATE INDEX manual_dedup_decisions_pair ON manual_dedup_decisions (record_a, record_b);
"""

_V3 = """
CREATE TABLE ledger_imports (
    import_id   INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('screening', 'rob', 'extraction')),
    file        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    settings    TEXT NOT NULL,
    n_rows      INTEGER NOT NULL,
    imported_at TEXT NOT NULL,
    software    TEXT NOT NULL
);
CREATE TABLE screening_decisions (
    decision_id INTEGER PRIMARY KEY,
    record_id   INTEGER NOT NULL REFERENCES raw_records (record_id),
    stage       TEXT NOT NULL CHECK (stage IN ('title_abstract', 'full_text')),
    reviewer    TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('reviewer', 'adjudicator')),
    decision    TEXT NOT NULL CHECK (decision IN ('include', 'exclude', 'maybe')),
    reason      TEXT NOT NULL,
    note        TEXT NOT NULL,
    study       TEXT NOT NULL,
    decided_at  TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    import_id   INTEGER REFERENCES ledger_imports (import_id),
    UNIQUE (record_id, stage, reviewer)
);
CREATE UNIQUE INDEX screening_one_adjudication ON screening_decisions (record_id, stage)
    WHERE role = 'adjudicator';
CREATE TABLE rob_judgements (
    judgement_id INTEGER PRIMARY KEY,
    study        TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    tool         TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    domain       TEXT NOT NULL,
    assessor     TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('assessor', 'consensus')),
    answers      TEXT NOT NULL,
    proposed     TEXT,
    judgement    TEXT NOT NULL,
    reason       TEXT NOT NULL,
    support      TEXT NOT NULL,
    assessed_at  TEXT NOT NULL,
    import_id    INTEGER REFERENCES ledger_imports (import_id),
    UNIQUE (study, outcome, tool, domain, assessor)
);
CREATE UNIQUE INDEX rob_one_consensus ON rob_judgements (study, outcome, tool, domain)
    WHERE role = 'consensus';
CREATE TABLE extractions (
    extraction_id INTEGER PRIMARY KEY,
    study         TEXT NOT NULL,
    year          INTEGER,
    record_id     INTEGER REFERENCES raw_records (record_id),
    outcome       TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('binary', 'continuous', 'generic')),
    data          TEXT NOT NULL,
    subgroups     TEXT NOT NULL,
    extractor     TEXT NOT NULL,
    note          TEXT NOT NULL,
    extracted_at  TEXT NOT NULL,
    import_id     INTEGER REFERENCES ledger_imports (import_id)
);
CREATE INDEX extractions_outcome ON extractions (outcome, study)
"""

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "import batches, raw records and normalised fields", _V1),
    (2, "de-duplication runs and manual duplicate decisions", _V2),
    (3, "ledgers: screening decisions, risk-of-bias judgements, extractions", _V3),
)
"""``(version, name, SQL)`` in order; the store's schema version is the last applied."""

CURRENT_VERSION = MIGRATIONS[-1][0]


def migrate(conn: sqlite3.Connection, current: int, target: int = CURRENT_VERSION) -> None:
    """Apply migrations ``current + 1 .. target`` on ``conn`` (inside the caller's
    transaction), recording each in ``schema_migrations``."""
    if current == 0:
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                     "name TEXT NOT NULL, applied_at TEXT NOT NULL)")
    for version, name, sql in MIGRATIONS:
        if current < version <= target:
            for statement in sql.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                         (version, name, now()))


def now() -> str:
    """Current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")

"""The review store: creation, migrations, imports, transactions and the dedup tables."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pandas as pd
import pytest

from oncostat.errors import InputError
from oncostat.review import ImportSummary, ReviewStore, import_file
from oncostat.review._migrations import CURRENT_VERSION
from tests.conftest import SHARED

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bibliographic"
ASYSD = SHARED / "validation" / "dedup" / "asysd_diabetes" / "labelled_test_set.csv"


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    with ReviewStore.create(tmp_path / "review.db") as s:
        yield s


def _counts(store: ReviewStore) -> tuple[int, ...]:
    tables = ("import_batches", "raw_records", "record_fields", "dedup_runs",
              "dedup_clusters", "dedup_pairs", "manual_dedup_decisions")
    return tuple(store._conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                 for t in tables)


def test_create_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "hcc.db"
    ReviewStore.create(path).close()
    with ReviewStore.open(path) as store:
        assert store.schema_version == CURRENT_VERSION == 3
        assert store.records().empty and store.batches().empty
        assert store.latest_dedup() is None
        fk = store._conn.execute("PRAGMA foreign_keys").fetchone()[0]
        assert fk == 1
    with pytest.raises(InputError, match=r"hcc.db: already exists"):
        ReviewStore.create(path)


def test_open_refuses_what_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothing.db: no such review store; create one"):
        ReviewStore.open(tmp_path / "nothing.db")
    text = tmp_path / "notes.db"
    text.write_text("not a database at all, just some text " * 50)
    with pytest.raises(InputError, match=r"notes.db: not an oncostat review store"):
        ReviewStore.open(text)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x INTEGER)").connection.close()
    with pytest.raises(InputError, match=r"other.db: not an oncostat review store"):
        ReviewStore.open(other)


def test_open_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    ReviewStore.create(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', '2030-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match=r"schema version 99 was written by a newer oncostat"):
        ReviewStore.open(path)


def test_v1_store_is_migrated_on_open_and_keeps_its_records(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with ReviewStore._create(path, 1) as old:
        assert old.schema_version == 1
        import_file(old, FIXTURES / "pubmed_hcc.nbib", database="PubMed")
        before = old.records()
        tables = {r[0] for r in old._conn.execute("SELECT name FROM sqlite_master")}
        assert "dedup_runs" not in tables
    with ReviewStore.open(path) as store:
        assert store.schema_version == CURRENT_VERSION
        versions = store._conn.execute(
            "SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
        assert [v for v, _ in versions] == [1, 2, 3]
        pd.testing.assert_frame_equal(store.records(), before)
        store.add_manual_decision(1, 2, "distinct", reviewer="AB")
        assert len(store.manual_decisions()) == 1


def test_import_summary_and_records(store: ReviewStore) -> None:
    summary = import_file(store, FIXTURES / "pubmed_hcc.nbib", database="PubMed",
                          search_date="2024-11-30")
    assert isinstance(summary, ImportSummary)
    assert (summary.file, summary.database, summary.format, summary.batch_id) == (
        "pubmed_hcc.nbib", "PubMed", "medline", 1)
    assert (summary.n_read, summary.n_with_doi, summary.n_with_pmid,
            summary.n_with_abstract) == (5, 4, 5, 3)
    assert summary.rejected == ()
    assert str(summary) == (
        "Imported pubmed_hcc.nbib as PubMed (batch 1; medline, utf-8; searched 2024-11-30)\n"
        "  5 records read: 4 with DOI, 5 with PMID, 3 with abstract")
    payload = summary.to_dict()
    assert json.loads(json.dumps(payload)) == payload
    assert payload["n_rejected"] == 0 and payload["search_date"] == "2024-11-30"
    with pytest.raises(AttributeError):
        summary.n_read = 3  # type: ignore[misc]

    second = import_file(store, FIXTURES / "endnote_defects.ris", database="Web of Science")
    assert second.batch_id == 2 and second.n_read == 4
    assert second.rejected == ((44, "record has no title, no author, no DOI and no PMID"),)
    text = str(second)
    assert "  1 rejected:\n    line 44: record has no title" in text
    assert "  Note: line 47: the last record has no ER; it was kept" in text

    records = store.records()
    assert list(records.columns) == [
        "record_id", "source_id", "batch_id", "database", "file", "position", "line",
        "title", "authors", "first_author_surname", "year", "journal", "volume", "issue",
        "pages", "first_page", "doi", "pmid", "isbn", "abstract", "type"]
    assert list(records.record_id) == list(range(1, 10))
    assert str(records.year.dtype) == "Int64" and str(records.line.dtype) == "Int64"
    assert list(records.batch_id) == [1] * 5 + [2] * 4
    assert list(records.position[5:]) == [1, 2, 3, 5]
    row = records.iloc[5]
    assert (row.database, row.file, row.line, row.source_id) == (
        "Web of Science", "endnote_defects.ris", 1, "17")
    assert row.doi == "10.1111/jgh.14876"
    raw = store.raw(6)
    assert raw["AU"] == ["Tanaka, Hiroshi", "Sato, K.", "Kim, Min-Jung"]
    assert raw["DO"] == ["DOI: 10.1111/JGH.14876"]            # as exported
    with pytest.raises(InputError, match=r"no record with record_id 99"):
        store.raw(99)

    batches = store.batches()
    assert list(batches.columns[:8]) == ["batch_id", "file", "sha256", "database",
                                         "search_date", "imported_at", "format", "n_records"]
    assert list(batches.n_records) == [5, 4]
    # pandas 2 gives None for a missing string, pandas 3 NaN
    assert batches.search_date.iloc[0] == "2024-11-30" and pd.isna(batches.search_date.iloc[1])
    assert batches.encoding.tolist() == ["utf-8", "utf-8-sig"]


def test_every_fixture_imports(store: ReviewStore) -> None:
    names = ["pubmed_hcc.nbib", "ovid_embase.ris", "endnote_defects.ris", "scopus.bib",
             "endnote_library.xml", "wos_savedrecs.txt", "scopus.csv", "wos_tab.txt",
             "embase.csv", "generic_semicolon.csv"]
    total = sum(import_file(store, FIXTURES / n, database="x").n_read for n in names)
    records = store.records()
    assert len(records) == total == 35
    assert records.record_id.is_unique and records.doi.dropna().str.islower().all()


def test_same_file_twice_is_refused(store: ReviewStore) -> None:
    import_file(store, FIXTURES / "scopus.csv", database="Scopus")
    with pytest.raises(InputError, match=r"scopus.csv: this file was already imported as "
                                         r"batch 1 \(Scopus\)"):
        import_file(store, FIXTURES / "scopus.csv", database="Scopus")


def test_bad_arguments(store: ReviewStore) -> None:
    with pytest.raises(InputError, match=r"search_date: expected YYYY-MM-DD, got '30/11/2024'"):
        import_file(store, FIXTURES / "scopus.csv", database="Scopus", search_date="30/11/2024")
    with pytest.raises(InputError, match=r"database: expected the name"):
        import_file(store, FIXTURES / "scopus.csv", database=" ")


@pytest.mark.parametrize(("name", "message"), [
    ("truncated.ris", r"truncated.ris, line 54: the file ends in mid-line"),
    ("broken.bib", r"broken.bib, line 7: BibTeX syntax error"),
    ("unknown.txt", r"unknown.txt, line 1: unknown format"),
])
def test_failed_import_leaves_the_store_unchanged(store: ReviewStore, name: str,
                                                   message: str) -> None:
    import_file(store, FIXTURES / "pubmed_hcc.nbib", database="PubMed")
    before = _counts(store)
    with pytest.raises(InputError, match=message):
        import_file(store, FIXTURES / name, database="Embase")
    assert _counts(store) == before


def test_failure_while_writing_rolls_back(store: ReviewStore,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import_file(store, FIXTURES / "pubmed_hcc.nbib", database="PubMed")
    before, records = _counts(store), store.records()
    original = ReviewStore._insert_records

    def fail_after_raw_rows(self: ReviewStore, *args: object) -> None:
        original(self, *args)            # the batch and all its rows are written ...
        raise sqlite3.OperationalError("disk I/O error")   # ... then the disk fails

    monkeypatch.setattr(ReviewStore, "_insert_records", fail_after_raw_rows)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        import_file(store, FIXTURES / "scopus.csv", database="Scopus")
    assert _counts(store) == before
    pd.testing.assert_frame_equal(store.records(), records)
    monkeypatch.undo()
    assert import_file(store, FIXTURES / "scopus.csv", database="Scopus").batch_id == 2


def test_dedup_runs_are_kept(store: ReviewStore) -> None:
    import_file(store, FIXTURES / "pubmed_hcc.nbib", database="PubMed")
    import_file(store, FIXTURES / "wos_savedrecs.txt", database="Web of Science")
    clusters = pd.DataFrame({"record_id": range(1, 9),
                             "cluster_id": [1, 2, 3, 4, 5, 1, 6, 7],
                             "is_representative": [True] * 5 + [False, True, True]})
    pairs = pd.DataFrame({"record_a": [1, 2], "record_b": [6, 7], "score": [0.98, float("nan")],
                          "decision": ["duplicate", "uncertain"], "rule": ["doi", None]})
    first = store.save_dedup_run(clusters, pairs, {"policy": "earliest", "threshold": 0.9})
    clusters2 = clusters.assign(cluster_id=[1, 2, 3, 4, 5, 1, 2, 7],
                                is_representative=[True] * 5 + [False, False, True])
    second = store.save_dedup_run(clusters2, pairs.assign(decision=["duplicate", "duplicate"]),
                                  {"policy": "earliest"})
    assert (first, second) == (1, 2)
    got_clusters, got_pairs, settings = store.latest_dedup()
    pd.testing.assert_frame_equal(got_clusters, clusters2.astype({"cluster_id": "int64"}),
                                  check_dtype=False)
    assert got_pairs.decision.tolist() == ["duplicate", "duplicate"]
    assert got_pairs.score.iloc[0] == 0.98 and pd.isna(got_pairs.score.iloc[1])
    assert got_pairs.rule.iloc[0] == "doi" and pd.isna(got_pairs.rule.iloc[1])
    assert settings["policy"] == "earliest" and settings["run_id"] == 2
    assert store._conn.execute("SELECT COUNT(*) FROM dedup_clusters").fetchone()[0] == 16


def test_dedup_run_bad_input_writes_nothing(store: ReviewStore) -> None:
    import_file(store, FIXTURES / "pubmed_hcc.nbib", database="PubMed")
    before = _counts(store)
    clusters = pd.DataFrame({"record_id": [1, 2], "cluster_id": [1, 1],
                             "is_representative": [True, False]})
    pairs = pd.DataFrame({"record_a": [1], "record_b": [2], "score": [0.9],
                          "decision": ["maybe"], "rule": ["title"]})
    with pytest.raises(InputError, match=r"column 'decision', row 1: expected 'duplicate'"):
        store.save_dedup_run(clusters, pairs, {})
    with pytest.raises(InputError, match=r"dedup run: record_id 42 is not in review.db"):
        store.save_dedup_run(clusters.assign(record_id=[1, 42]),
                             pairs.assign(decision="duplicate"), {})
    with pytest.raises(InputError, match=r"clusters: column 'cluster_id' is missing"):
        store.save_dedup_run(clusters.drop(columns="cluster_id"), pairs, {})
    assert _counts(store) == before


def test_manual_decisions_latest_wins_history_kept(store: ReviewStore) -> None:
    import_file(store, FIXTURES / "pubmed_hcc.nbib", database="PubMed")
    store.add_manual_decision(2, 1, "duplicate", reviewer="AB", note="same trial")
    store.add_manual_decision(1, 2, "distinct", reviewer="CD", note="different cohorts")
    store.add_manual_decision(3, 4, "duplicate", reviewer="AB")
    current = store.manual_decisions()
    assert current[["record_a", "record_b", "decision", "reviewer"]].values.tolist() == [
        [1, 2, "distinct", "CD"], [3, 4, "duplicate", "AB"]]
    history = store.manual_decisions(history=True)
    assert history.decision.tolist() == ["duplicate", "distinct", "duplicate"]
    assert list(history.columns) == ["decision_id", "record_a", "record_b", "decision",
                                     "reviewer", "note", "decided_at"]
    with pytest.raises(InputError, match=r"expected 'duplicate' or 'distinct', got 'same'"):
        store.add_manual_decision(1, 2, "same", reviewer="AB")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"record 3 cannot be compared with itself"):
        store.add_manual_decision(3, 3, "distinct", reviewer="AB")
    with pytest.raises(InputError, match=r"reviewer: expected the reviewer's name"):
        store.add_manual_decision(1, 3, "distinct", reviewer="")
    with pytest.raises(InputError, match=r"manual decision: record_id 77 is not in"):
        store.add_manual_decision(1, 77, "distinct", reviewer="AB")


@pytest.mark.skipif(not ASYSD.is_file(), reason=f"the ASySD benchmark set is not at {ASYSD} "
                    "(../shared is absent)")
def test_asysd_benchmark_file_in_cp1252(store: ReviewStore) -> None:
    summary = import_file(store, ASYSD, database="ASySD diabetes")
    assert (summary.format, summary.encoding, summary.dialect) == ("csv", "cp1252", "generic")
    assert summary.n_read == 1845 and summary.rejected == ()
    records = store.records()
    first = records.iloc[0]
    assert (first.source_id, first.authors, first.year) == ("1", "Adeli, K; Lewis, GF", 2008)
    assert (first.issue, first.pages, first.doi) == ("3", "221-228", "10.1097/mol.0b013e3282ffaf82")
    by_id = records.set_index("source_id")
    assert by_id.loc["699", "doi"] == "10.1097/mol.0b013e3282ffaf82"   # http://dx.doi.org/
    assert records.abstract.str.contains("©", regex=False).any()       # 0xA9 in cp1252
    assert store.raw(1)["label"] == "In_database"


@pytest.mark.slow
def test_fifty_thousand_records_import_in_seconds(store: ReviewStore, tmp_path: Path) -> None:
    path = tmp_path / "big.ris"
    path.write_text("".join(
        f"TY  - JOUR\nID  - {i}\nAU  - Surname{i % 977}, John A.\nAU  - Doe, J.\n"
        f"TI  - Record {i} on focused ultrasound and radiotherapy for liver cancer\n"
        f"T2  - Journal of Things\nPY  - {1990 + i % 34}\nVL  - {i % 50}\nSP  - {i % 900}\n"
        f"EP  - {i % 900 + 9}\nDO  - https://doi.org/10.1000/ABC.{i}\n"
        f"AB  - Background: {i}. Methods: we did it. Results: it worked.\nER  - \n\n"
        for i in range(50_000)))
    start = time.perf_counter()
    summary = import_file(store, path, database="Embase")
    elapsed = time.perf_counter() - start
    assert summary.n_read == 50_000 and summary.n_with_doi == 50_000
    assert len(store.records()) == 50_000
    assert elapsed < 60, f"importing 50,000 records took {elapsed:.1f} s"

"""Screening ledger: queues, blinding, imports, conflicts, adjudication, PRISMA."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from oncostat.errors import InputError
from oncostat.review import ReviewStore, import_file
from oncostat.review.prisma import prisma_counts
from oncostat.review.screening import (
    adjudicate,
    conflicts,
    export_queue,
    final_decisions,
    import_decisions,
)

TA, FT = "title_abstract", "full_text"


def _fill(queue: pd.DataFrame, decisions: dict[int, str], **extra: dict[int, str]
          ) -> pd.DataFrame:
    out = queue.copy()
    out["decision"] = out["record_id"].map(decisions).fillna("")
    for column, values in extra.items():
        out[column] = out["record_id"].map(values).fillna("")
    return out


A_TA = {r: "include" if r in (1, 2, 5, 9) else "exclude" for r in range(1, 13)}
B_TA = {r: "include" if r in (1, 2, 6) else "exclude" for r in range(1, 13)} | {5: "maybe"}


def _both_ta(store: ReviewStore) -> None:
    import_decisions(store, _fill(export_queue(store, "A", TA), A_TA), "A", TA)
    import_decisions(store, _fill(export_queue(store, "B", TA), B_TA), "B", TA)


def test_export_import_round_trip_csv_and_xlsx(store: ReviewStore, tmp_path: Path) -> None:
    path = tmp_path / "queue_A.csv"
    queue = export_queue(store, "A", TA, path)
    assert list(queue["record_id"]) == list(range(1, 13))
    assert {"title", "abstract", "decision", "reason", "note"} <= set(queue.columns)
    filled = pd.read_csv(path, dtype=str, keep_default_na=False)
    filled.loc[:4, "decision"] = "exclude"          # screened 5 of 12, then stopped
    filled.to_csv(path, index=False)
    res = import_decisions(store, path, "A", TA)
    assert (res.n_decided, res.n_blank, res.remaining) == (5, 7, 7)
    # Resumable: the next export holds only the 7 records A has still to decide.
    xlsx = tmp_path / "queue_A.xlsx"
    rest = export_queue(store, "A", TA, xlsx)
    assert list(rest["record_id"]) == list(range(6, 13))
    sheet = pd.read_excel(xlsx, dtype=str)
    sheet["decision"] = "include"
    sheet.to_excel(xlsx, index=False)
    assert import_decisions(store, xlsx, "A", TA).n_decided == 7
    ledger = store.screening_decisions()
    assert len(ledger) == 12 and set(ledger["reviewer"]) == {"A"}
    assert ledger["import_id"].tolist() == [1] * 5 + [2] * 7


def test_blinding_queue_never_shows_other_reviewers(store: ReviewStore) -> None:
    import_decisions(store, _fill(export_queue(store, "A", TA), A_TA), "A", TA)
    queue_b = export_queue(store, "B", TA)
    # B sees all 12 records, with empty decision columns and nothing of A's.
    assert len(queue_b) == 12
    assert (queue_b[["decision", "reason", "note"]] == "").all().all()
    assert not any("A" == str(v) for v in queue_b.to_numpy().ravel())
    assert list(queue_b.columns) == ["record_id", "title", "authors", "year", "journal",
                                     "doi", "pmid", "abstract", "decision", "reason", "note"]
    # Until B decides, there is nothing to compare: no conflicts are shown.
    assert conflicts(store, TA).empty


def test_ledger_is_append_only_and_a_second_decision_is_an_error(store: ReviewStore) -> None:
    import_decisions(store, _fill(export_queue(store, "A", TA), A_TA), "A", TA)
    again = pd.DataFrame({"record_id": ["3", "4"], "decision": ["exclude", "include"]})
    with pytest.raises(InputError, match=r"<DataFrame>: row 1: A already decided record 3 "
                                         r"at title_abstract"):
        import_decisions(store, again, "A", TA)
    assert store.screening_decisions()["decision"].tolist() == list(A_TA.values())
    # The database refuses an overwrite or a second row too.
    with pytest.raises(sqlite3.IntegrityError):
        store.append_ledger("screening_decisions", [{
            "record_id": 4, "stage": TA, "reviewer": "A", "role": "reviewer",
            "decision": "include", "reason": "", "note": "", "study": "",
            "decided_at": "2024-12-01T00:00:00"}])


@pytest.mark.parametrize(("rows", "message"), [
    ({"record_id": ["1", "99"], "decision": ["include", "exclude"]},
     r"<DataFrame>: row 2, column 'record_id': '99' is not a record of review.db"),
    ({"record_id": ["1", "x1"], "decision": ["include", "exclude"]},
     r"row 2, column 'record_id': 'x1' is not a record"),
    ({"record_id": ["1", "2"], "decision": ["include", "yes"]},
     r"row 2, column 'decision': expected 'include' or 'exclude' or 'maybe', got 'yes'"),
    ({"record_id": ["1", "2", "1"], "decision": ["include", "exclude", "exclude"]},
     r"row 3: record 1 appears again \(first at row 1\)"),
])
def test_bad_decision_files_name_the_row_and_import_nothing(store: ReviewStore, rows,
                                                              message) -> None:
    with pytest.raises(InputError, match=message):
        import_decisions(store, pd.DataFrame(rows), "A", TA)
    assert store.screening_decisions().empty
    assert store._conn.execute("SELECT COUNT(*) FROM ledger_imports").fetchone()[0] == 0


def test_missing_column_and_bad_stage(store: ReviewStore) -> None:
    with pytest.raises(InputError, match=r"column 'decision' is missing"):
        import_decisions(store, pd.DataFrame({"record_id": ["1"]}), "A", TA)
    with pytest.raises(InputError, match=r"stage: expected 'title_abstract' or 'full_text'"):
        export_queue(store, "A", "abstract")  # type: ignore[arg-type]


def test_conflicts_and_adjudication(store: ReviewStore) -> None:
    _both_ta(store)
    table = conflicts(store, TA)
    # A includes 9, B excludes; B includes 6, A excludes; 5 is include vs maybe (agreement
    # at title/abstract: maybe goes on to full text).
    assert table["record_id"].tolist() == [6, 9]
    assert table["citation"].tolist() == ["Author6 2016", "Author9 2019"]
    assert table.loc[0, ["reviewer_1", "decision_1", "reviewer_2", "decision_2"]].tolist() == \
        ["A", "exclude", "B", "include"]
    assert not table["adjudicated"].any()
    with pytest.raises(InputError, match=r"<DataFrame>: row 1: record 1 has no conflict at "
                                         r"title_abstract to adjudicate: the reviewers agree "
                                         r"\(A include, B include\)"):
        adjudicate(store, 1, TA, "C", "include")
    with pytest.raises(InputError, match=r"row 1: A screened record 6; a third reviewer"):
        adjudicate(store, 6, TA, "A", "include")
    with pytest.raises(InputError, match=r"row 1, column 'decision': expected 'include' or "
                                         r"'exclude', got 'maybe'"):
        adjudicate(store, 6, TA, "C", "maybe")  # type: ignore[arg-type]
    todo = conflicts(store, TA, unresolved_only=True)
    todo["decision"] = ["include", "exclude"]
    res = import_decisions(store, todo, "C", TA, adjudication=True)
    assert (res.role, res.n_decided, res.remaining) == ("adjudicator", 2, 0)
    assert conflicts(store, TA, unresolved_only=True).empty
    assert conflicts(store, TA)["decision"].tolist() == ["include", "exclude"]
    with pytest.raises(InputError, match=r"record 6 has no conflict .* already adjudicated"):
        adjudicate(store, 6, TA, "D", "exclude")
    final = final_decisions(store).set_index("record_id")
    assert final.loc[6, ["status", "decision"]].tolist() == ["adjudicated", "include"]
    assert final.loc[5, ["status", "decision"]].tolist() == ["agreed", "include"]
    assert set(final["status"]) == {"agreed", "adjudicated"}


def test_adjudication_before_both_decided_is_an_error(store: ReviewStore) -> None:
    import_decisions(store, _fill(export_queue(store, "A", TA), A_TA), "A", TA)
    with pytest.raises(InputError, match=r"record 9 has no conflict at title_abstract to "
                                         r"adjudicate: only 1 of 2 reviewers have decided"):
        adjudicate(store, 9, TA, "C", "include")


def _through_full_text(store: ReviewStore) -> None:
    _both_ta(store)
    adjudicate(store, 6, TA, "C", "include")
    adjudicate(store, 9, TA, "C", "exclude")
    # Full-text queue: records 1, 2, 5, 6 (included at title/abstract).
    assert export_queue(store, "A", FT)["record_id"].tolist() == [1, 2, 5, 6]
    reasons = {5: "wrong comparator", 6: "not retrieved"}
    a = {1: "include", 2: "include", 5: "exclude", 6: "exclude"}
    import_decisions(store, _fill(export_queue(store, "A", FT), a, reason=reasons,
                                  study={1: "Ke 2011", 2: "Ke 2011"}), "A", FT)
    b = {1: "include", 2: "maybe", 5: "exclude", 6: "exclude"}
    import_decisions(store, _fill(export_queue(store, "B", FT), b,
                                  reason={5: "Wrong  comparator", 6: "not retrieved"}), "B", FT)


def test_full_text_stage_and_prisma_from_the_ledger(store: ReviewStore) -> None:
    _through_full_text(store)
    # At full text "maybe" is a conflict.
    assert conflicts(store, FT)["record_id"].tolist() == [2]
    adjudicate(store, 2, FT, "C", "include", study="Ke 2011")
    counts = prisma_counts(store)
    assert (counts.screened, counts.screen_excluded, counts.sought) == (12, 8, 4)
    assert (counts.not_retrieved, counts.assessed) == (1, 3)
    assert counts.excluded_reasons == {"wrong comparator": 1}
    # Records 1 and 2 are two reports of one study.
    assert (counts.reports_included, counts.studies_included) == (2, 1)


def test_full_text_exclusion_needs_a_reason_and_a_ta_include(store: ReviewStore) -> None:
    _both_ta(store)
    adjudicate(store, 6, TA, "C", "include")
    adjudicate(store, 9, TA, "C", "exclude")
    with pytest.raises(InputError, match=r"row 1, column 'reason': a full-text exclusion "
                                         r"needs a reason"):
        import_decisions(store, pd.DataFrame({"record_id": ["1"], "decision": ["exclude"]}),
                         "A", FT)
    with pytest.raises(InputError, match=r"row 1: record 3 is not in the full_text queue: it "
                                         r"was not included at title_abstract"):
        import_decisions(store, pd.DataFrame({"record_id": ["3"], "decision": ["include"]}),
                         "A", FT)


def test_different_exclusion_reasons_are_a_conflict(store: ReviewStore) -> None:
    _through_full_text(store)
    store_conflicts = conflicts(store, FT)
    assert 5 not in store_conflicts["record_id"].tolist()   # same reason, case and spaces aside
    assert final_decisions(store).query("stage == 'full_text' and record_id == 5")[
        "reason"].tolist() == ["wrong comparator"]


def test_prisma_counts_csv_path_still_wins_when_given(store: ReviewStore) -> None:
    _both_ta(store)
    csv = pd.DataFrame({"record_id": [str(r) for r in range(1, 13)], "stage": TA,
                        "decision": ["include"] + ["exclude"] * 11})
    assert prisma_counts(store, screening=csv).sought == 1
    # With pending conflicts the ledger cannot give the screening boxes yet.
    with pytest.raises(InputError, match=r"Records screened.*no title_abstract decision"):
        prisma_counts(store)


def test_decided_at_is_kept_and_checked(store: ReviewStore) -> None:
    rows = pd.DataFrame({"record_id": ["1", "2"], "decision": ["include", "exclude"],
                         "decided_at": ["2024-11-30T10:00:00", ""]})
    import_decisions(store, rows, "A", TA)
    assert store.screening_decisions()["decided_at"].iloc[0] == "2024-11-30T10:00:00"
    bad = pd.DataFrame({"record_id": ["3"], "decision": ["include"], "decided_at": ["today"]})
    with pytest.raises(InputError, match=r"row 1, column 'decided_at': expected an ISO 8601"):
        import_decisions(store, bad, "A", TA)


def test_records_can_be_named_by_their_export_id(tmp_path: Path) -> None:
    # IDs as a reference manager writes them: "3" equals store id 3 of another record,
    # "dup" is shared by two records (the same file imported twice would do this).
    ris = "".join(f"TY  - JOUR\nID  - {rid}\nTI  - Topic {i}\nPY  - 2020\nER  - \n\n"
                  for i, rid in enumerate(["PM100", "3", "dup", "dup"], start=1))
    (tmp_path / "ids.ris").write_text(ris, encoding="utf-8")
    with ReviewStore.create(tmp_path / "r.db") as s:
        import_file(s, tmp_path / "ids.ris", database="Other")
        lookup = s.id_lookup()
        assert lookup["PM100"] == 1 and lookup["3"] == 3 and "dup" not in lookup
        res = import_decisions(s, pd.DataFrame({"record_id": ["PM100", "3.0"],
                                                "decision": ["include", "exclude"]}), "A", TA)
        assert res.n_decided == 2
        assert sorted(s.screening_decisions()["record_id"]) == [1, 3]
        with pytest.raises(InputError, match=r"row 1, column 'record_id': 'dup' is not a "
                                             r"record of r.db \(expected its store id or its "
                                             r"id in the export file\)"):
            import_decisions(s, pd.DataFrame({"record_id": ["dup"], "decision": ["exclude"]}),
                             "B", TA)

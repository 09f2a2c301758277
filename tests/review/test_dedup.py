"""De-duplication rules, representative policies and manual decisions."""

from __future__ import annotations

import pandas as pd
import pytest

from oncostat.errors import InputError
from oncostat.review import normalise as nz
from oncostat.review.dedup import find_duplicates

TITLE = "Intestinal lipoprotein overproduction in insulin-resistant states"


def _records(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    frame.insert(0, "record_id", range(1, len(frame) + 1))
    return frame


def _same(result, a: int, b: int) -> bool:
    c = result.clusters.set_index("record_id")["cluster_id"]
    return bool(c[a] == c[b])


def test_normalised_keys_make_database_variants_equal():
    assert nz.doi_key("http://dx.doi.org/10.1097/MOL.0b013e3282ffaf82") == \
        nz.doi_key("10.1097/mol.0b013e3282ffaf82")
    assert nz.first_page("221-8") == nz.first_page("221-228") == "221"
    assert nz.last_page("221-8") == "228"
    assert nz.author_surnames("Adeli K.Lewis G. F.") == ("adeli", "lewis")
    assert nz.author_surnames("Adeli, K.; Lewis, G. F.") == ("adeli", "lewis")
    assert nz.author_surnames("Almås, Ingvild and Cappelen, Alexander W") == \
        ("almas", "cappelen")
    assert nz.journal_key("Journal of Pharmacological Sciences")[0] == "pharmacological"
    assert nz.title_keys("Crowdwork [Arbeiten in der Crowd: Perspektiven]")[1] == \
        "arbeiten in der crowd perspektiven"


def test_same_doi_is_a_duplicate_whatever_the_other_fields():
    res = find_duplicates(_records(
        {"title": TITLE, "doi": "10.1097/MOL.0b013e3282ffaf82", "year": 2008},
        {"title": TITLE.upper(), "doi": "https://doi.org/10.1097/mol.0b013e3282ffaf82",
         "year": 2009}))
    assert res.n_duplicates == 1
    assert res.pairs["rule"].tolist() == ["doi"]


def test_same_pmid_is_a_duplicate():
    res = find_duplicates(_records({"title": TITLE, "pmid": "18460911"},
                                   {"title": TITLE + ".", "pmid": "18460911"}))
    assert res.pairs["rule"].tolist() == ["pmid"]
    assert res.n_clusters == 1


def test_shared_supplement_doi_with_different_titles_is_not_a_duplicate():
    res = find_duplicates(_records(
        {"title": "Investigating the role of GLP-1 on reverse cholesterol transport",
         "doi": "10.1007/s00125-018-4693-0", "pages": "S557"},
        {"title": "Liraglutide alters immune populations during regression of atherosclerosis",
         "doi": "10.1007/s00125-018-4693-0", "pages": "S528"}))
    assert res.n_duplicates == 0


def test_fuzzy_title_authors_year_without_identifiers():
    res = find_duplicates(_records(
        {"title": TITLE, "authors": "Adeli K.Lewis G. F.", "year": 2008, "pages": "221-8",
         "journal": "Curr Opin Lipidol"},
        {"title": "Intestinal lipoprotien overproduction in insulin resistant states.",
         "authors": "Adeli, Khosrow; Lewis, Gary F.", "year": 2008, "pages": "221-228",
         "journal": "Current Opinion in Lipidology"}))
    assert res.n_duplicates == 1
    assert res.pairs["decision"].tolist() == ["duplicate"]


def test_erratum_and_reply_are_not_duplicates_of_the_article():
    base = {"authors": "Schneider, S; Sunyaev, A", "year": 2018,
            "journal": "Journal of Information Technology"}
    res = find_duplicates(_records(
        {**base, "title": "How do requirements evolve over time? A case study"},
        {**base, "title": "Erratum to: How do requirements evolve over time? A case study"},
        {**base, "title": "Reply: How do requirements evolve over time? A case study"}))
    assert res.n_duplicates == 0
    assert not res.review_queue.shape[0]


def test_conference_paper_and_later_journal_article_are_distinct():
    title = "Making the most of virtual expertise in telemedicine and telehealth environments"
    res = find_duplicates(_records(
        {"title": title, "authors": "Standing, C; Gururajan, R", "year": 2011,
         "journal": "Symposium on Dependable Autonomic and Secure Computing",
         "type": "inproceedings", "doi": "10.1109/DASC.2011.166"},
        {"title": title, "authors": "Standing, C; Gururajan, R", "year": 2014,
         "journal": "Journal of Organizational Computing and Electronic Commerce",
         "type": "article", "doi": "10.1080/10919392.2014.896714"}))
    assert res.n_duplicates == 0


def test_same_title_in_different_issues_is_distinct():
    base = {"title": "Editorial introduction", "authors": "Zwass, V",
            "journal": "Journal of Management Information Systems", "volume": "22"}
    res = find_duplicates(_records({**base, "year": 2005, "issue": "1", "pages": "5-6"},
                                   {**base, "year": 2005, "issue": "2", "pages": "5-7"}))
    assert res.n_duplicates == 0


def test_similar_but_unproven_pair_goes_to_the_review_queue():
    res = find_duplicates(_records(
        {"title": "Call for bids to improve matching efficiency: evidence from labor markets",
         "authors": "Guo, X; Gong, J", "year": 2017, "type": "inproceedings",
         "journal": "Hawaii International Conference on System Sciences"},
        {"title": "Call for bids to improve matching efficiency: evidence from labor markets",
         "authors": "Guo, X; Gong, J", "year": 2018, "type": "article",
         "journal": "Information Systems Research"}))
    assert res.n_duplicates == 0
    queue = res.review_queue
    assert queue[["record_a", "record_b"]].values.tolist() == [[1, 2]]
    assert queue["rule"].iat[0] == "venue_conflict"


def _chain() -> pd.DataFrame:
    # 1-2 share a DOI; 2-3 share title, authors and year: one cluster through 2
    return _records(
        {"title": TITLE, "authors": "Adeli, K; Lewis, GF", "year": 2008, "doi": "10.1097/ab.c1"},
        {"title": TITLE, "authors": "Adeli, K; Lewis, GF", "year": 2008, "doi": "10.1097/AB.C1"},
        {"title": TITLE + ".", "authors": "Adeli, K; Lewis, GF", "year": 2008})


def test_manual_distinct_splits_a_cluster_and_is_replayed():
    assert find_duplicates(_chain()).n_clusters == 1
    manual = pd.DataFrame({"record_a": [1], "record_b": [3], "decision": ["distinct"]})
    res = find_duplicates(_chain(), manual=manual)
    assert res.n_clusters == 2
    assert _same(res, 1, 2) and not _same(res, 1, 3)
    manual_rows = res.pairs[res.pairs["rule"] == "manual"]
    assert manual_rows[["record_a", "record_b", "decision"]].values.tolist() == \
        [[1, 3, "distinct"]]


def test_manual_duplicate_merges_records_no_rule_would():
    recs = _records({"title": "Effects of HIFU on hepatocellular carcinoma", "year": 2011},
                    {"title": "High-intensity focused ultrasound in liver cancer",
                     "year": 2011})
    assert find_duplicates(recs).n_clusters == 2
    manual = pd.DataFrame({"record_a": [2], "record_b": [1], "decision": ["duplicate"]})
    assert find_duplicates(recs, manual=manual).n_clusters == 1


def test_contradictory_manual_decisions_are_an_error():
    manual = pd.DataFrame({"record_a": [1, 2, 1], "record_b": [2, 3, 3],
                           "decision": ["duplicate", "duplicate", "distinct"]})
    with pytest.raises(InputError, match="records 1 and 3 are marked distinct"):
        find_duplicates(_chain(), manual=manual)


def test_representative_policies():
    recs = _chain().assign(database=["Scopus", "PubMed", "Web of Science"],
                           abstract=[None, None, "An abstract."],
                           batch_id=[2, 3, 1], position=[1, 1, 1])
    def rep(**kw):
        c = find_duplicates(recs, **kw).clusters
        return c.loc[c["is_representative"], "record_id"].tolist()
    assert rep(policy="most_complete") == [3]     # has an abstract; the others tie
    assert rep(policy="earliest") == [3]          # batch 1
    assert rep(policy="source_priority", source_priority=["PubMed", "Scopus"]) == [2]
    assert rep(policy="source_priority", source_priority=["Scopus"]) == [1]


def test_result_reads_and_serialises():
    res = find_duplicates(_chain().assign(source_id=["a", "b", None]))
    assert str(res).startswith("De-duplication of 3 records (representative: most complete)")
    assert "1 unique records; 2 duplicates" in str(res)
    d = res.to_dict()
    assert d["n_duplicates"] == 2 and d["duplicate_pairs_by_rule"]["doi"] == 1
    assert res.cluster_table()["record_id"].tolist() == ["a", "b", 3]
    assert len(res.to_frame()) == 3


def test_bad_input_names_the_column_and_row():
    with pytest.raises(InputError, match="column 'record_id', row 2: id 1 occurs twice"):
        find_duplicates(pd.DataFrame({"record_id": [1, 1], "title": ["a", "b"]}))
    with pytest.raises(InputError, match="policy 'source_priority' needs source_priority"):
        find_duplicates(_chain(), policy="source_priority")
    with pytest.raises(InputError, match="unknown name 'titel'"):
        find_duplicates(_chain(), thresholds={"titel": 0.9})
    manual = pd.DataFrame({"record_a": [1], "record_b": [9], "decision": ["duplicate"]})
    with pytest.raises(InputError, match="record 9 is not among the records"):
        find_duplicates(_chain(), manual=manual)


def test_input_is_not_modified():
    recs = _chain()
    before = recs.copy()
    find_duplicates(recs)
    pd.testing.assert_frame_equal(recs, before)


RIS = """TY  - JOUR
AU  - Adeli, K.
AU  - Lewis, G. F.
TI  - Intestinal lipoprotein overproduction in insulin-resistant states
JO  - Curr Opin Lipidol
PY  - 2008
VL  - 19
SP  - 221
EP  - 228
DO  - 10.1097/MOL.0b013e3282ffaf82
ER  -

TY  - JOUR
AU  - Kajikuri, J.
TI  - Effects of vildagliptin on endothelium-dependent relaxation in rabbit vein graft
JO  - J Pharmacol Sci
PY  - 2015
VL  - 128
SP  - S124
ER  -
"""

RIS_2 = RIS.replace("10.1097/MOL.0b013e3282ffaf82", "http://dx.doi.org/10.1097/mol.0b013e3282ffaf82"
                    ).replace("Kajikuri, J.", "Kajikuri, Junko").replace(
    "Effects of vildagliptin on", "Effects of vildagliptin on the")


def test_dedup_reads_the_store_saves_the_run_and_replays_manual_decisions(tmp_path):
    from oncostat.review import ReviewStore, import_file
    from oncostat.review.dedup import deduplicate

    (tmp_path / "pubmed.ris").write_text(RIS, encoding="utf-8")
    (tmp_path / "embase.ris").write_text(RIS_2, encoding="utf-8")
    store = ReviewStore.create(tmp_path / "review.db")
    import_file(store, tmp_path / "pubmed.ris", database="PubMed")
    import_file(store, tmp_path / "embase.ris", database="Embase")
    res = deduplicate(store)
    assert (res.n_records, res.n_clusters) == (4, 2)
    clusters, _, settings = store.latest_dedup()
    assert settings["run_id"] == res.run_id and settings["policy"] == "most_complete"
    assert clusters["is_representative"].sum() == 2
    store.add_manual_decision(2, 4, "distinct", reviewer="AB", note="different abstracts")
    again = deduplicate(store)
    assert again.n_clusters == 3
    assert store.latest_dedup()[2]["n_manual"] == 1
    store.close()

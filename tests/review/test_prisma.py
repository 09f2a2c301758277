"""PRISMA 2020 counts and flow diagram."""

from __future__ import annotations

import json
from collections.abc import Iterator

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from oncostat.errors import InputError
from oncostat.plot.prisma import prisma_diagram
from oncostat.review.prisma import PrismaCounts, prisma_counts

# The seed review (HCC, ultrasound-guided intervention + RT): PubMed 30, Web of Science
# 2,706, Scopus 1,972, and 34 from reviews of the literature and ClinicalTrials.gov; 4,271
# records after merging and de-duplication ("Literature search results", p. 3).
SEED = {"PubMed": 30, "Web of Science": 2706, "Scopus": 1972,
        "ClinicalTrials.gov and reference lists": 34}


@pytest.fixture(autouse=True)
def _close() -> Iterator[None]:
    yield
    plt.close("all")


class FakeStore:
    """The three store methods prisma_counts reads."""

    def __init__(self, sizes: dict[str, int], n_unique: int | None) -> None:
        self._batches = pd.DataFrame({"batch_id": range(1, len(sizes) + 1),
                                      "database": list(sizes),
                                      "n_records": list(sizes.values())})
        db = [name for name, n in sizes.items() for _ in range(n)]
        self._records = pd.DataFrame({"record_id": range(1, len(db) + 1), "database": db,
                                      "source_id": [f"S{k}" for k in range(1, len(db) + 1)]})
        self._n_unique = n_unique

    def batches(self) -> pd.DataFrame:
        return self._batches

    def records(self) -> pd.DataFrame:
        return self._records

    def latest_dedup(self):
        if self._n_unique is None:
            return None
        ids = self._records["record_id"]
        # Records beyond n_unique are copies of the first n_unique (every cluster has a
        # representative, as in a real store).
        clusters = pd.DataFrame({"record_id": ids, "cluster_id": (ids - 1) % self._n_unique + 1,
                                 "is_representative": ids <= self._n_unique})
        return clusters, pd.DataFrame(), {}


def test_seed_identification_counts():
    c = prisma_counts(FakeStore(SEED, n_unique=4271))
    assert c.databases == {"PubMed": 30, "Web of Science": 2706, "Scopus": 1972}
    assert c.registers == {"ClinicalTrials.gov and reference lists": 34}
    assert c.identified == 4742
    assert c.duplicates_removed == 471
    assert c.screened == 4271
    assert c.sought is None
    assert "Records identified: 4,742" in str(c)
    assert json.loads(json.dumps(c.to_dict()))["duplicates_removed"] == 471


def test_decision_on_a_duplicate_counts_for_its_cluster():
    # Record 12 is a copy of record 2 (10 unique of 12): deciding on 12 instead of 2
    # (as after re-running dedup with another representative policy) is the same decision.
    screening = _screening()
    screening.loc[(screening["record_id"] == 2), "record_id"] = 12
    c = prisma_counts(FakeStore({"PubMed": 12}, n_unique=10), screening=screening)
    assert (c.screened, c.studies_included) == (10, 2)


def test_no_dedup_run_removes_nothing():
    c = prisma_counts(FakeStore({"PubMed": 10}, n_unique=None))
    assert (c.duplicates_removed, c.screened) == (0, 10)


def _screening() -> pd.DataFrame:
    rows = [(r, "title_abstract", "exclude" if r > 6 else "include", "") for r in range(1, 11)]
    rows += [(1, "full_text", "include", ""), (2, "full_text", "include", ""),
             (3, "full_text", "exclude", "Not a randomised trial"),
             (4, "full_text", "exclude", "Not a randomised trial"),
             (5, "full_text", "exclude", "No outcome data"),
             (6, "full_text", "exclude", "not retrieved")]
    return pd.DataFrame(rows, columns=["record_id", "stage", "decision", "reason"])


def test_screening_decisions_fill_every_box(tmp_path):
    path = tmp_path / "screening.csv"
    frame = _screening().assign(study=["", "", "", "", "", "", "", "", "", "",
                                       "Trial A", "Trial A", "", "", "", ""])
    frame.to_csv(path, index=False)
    store = FakeStore({"PubMed": 8, "Scopus": 4}, n_unique=10)
    c = prisma_counts(store, screening=path, studies_in_meta_analysis=1)
    assert (c.screened, c.screen_excluded, c.sought) == (10, 4, 6)
    assert (c.not_retrieved, c.assessed) == (1, 5)
    assert c.excluded_reasons == {"Not a randomised trial": 2, "No outcome data": 1}
    assert (c.studies_included, c.reports_included) == (1, 2)
    # the file's own ids work too
    ids = _screening().assign(record_id=lambda f: "S" + f["record_id"].astype(str))
    assert prisma_counts(store, screening=ids).assessed == 5


def test_screening_that_misses_records_names_the_box():
    store = FakeStore({"PubMed": 12}, n_unique=11)
    with pytest.raises(InputError, match="PRISMA box 'Records screened': 11 records after "
                                         "de-duplication, but 1 has no title_abstract"):
        prisma_counts(store, screening=_screening())
    bad = _screening().iloc[:-1]
    with pytest.raises(InputError, match="'Reports assessed for eligibility': 1 reports "
                                         "sought have no full_text decision"):
        prisma_counts(FakeStore({"PubMed": 10}, n_unique=10), screening=bad)


@pytest.mark.parametrize(("changes", "box"), [
    ({"screened": 4000}, "Records screened"),
    ({"sought": 70}, "Reports sought for retrieval"),
    ({"assessed": 60}, "Reports assessed for eligibility"),
    ({"reports_included": 6, "studies_included": 6}, "Reports of included studies"),
    ({"studies_included": 9}, "Studies included in review"),
    ({"studies_in_meta_analysis": 7}, "Studies included in meta-analysis"),
    ({"duplicates_removed": -1}, "Duplicate records removed"),
])
def test_counts_that_do_not_add_up_name_the_box(changes, box):
    with pytest.raises(InputError, match=f"PRISMA box '{box}'"):
        _full(**changes)


def _full(**changes) -> PrismaCounts:
    counts = dict(databases={k: v for k, v in SEED.items() if "Clinical" not in k},
                  registers={"ClinicalTrials.gov and reference lists": 34},
                  duplicates_removed=471, screened=4271, screen_excluded=4200, sought=71,
                  not_retrieved=3, assessed=68,
                  excluded_reasons={"Not a randomised trial": 40,
                                    "No ultrasound-guided intervention": 15,
                                    "Outcomes not reported": 8},
                  studies_included=5, reports_included=5, studies_in_meta_analysis=5)
    counts.update(changes)
    return PrismaCounts(**counts)


def _texts(fig) -> dict[str, str]:
    return {t.get_gid(): t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid()}


def test_diagram_has_the_prisma_2020_box_texts(artifacts):
    fig = prisma_diagram(_full())
    texts = _texts(fig)
    assert texts["text:head"] == "Identification of studies via databases and registers"
    assert texts["text:identified"].splitlines()[:3] == [
        "Records identified from:", "Databases (n = 4,708)", "    PubMed (n = 30)"]
    assert "Registers (n = 34)" in texts["text:identified"]
    assert texts["text:removed"].splitlines() == [
        "Records removed before screening:", "    Duplicate records removed (n = 471)",
        "    Records marked as ineligible by automation tools (n = 0)",
        "    Records removed for other reasons (n = 0)"]
    assert texts["text:screened"] == "Records screened\n(n = 4,271)"
    assert texts["text:screen_excluded"] == "Records excluded\n(n = 4,200)"
    assert texts["text:sought"] == "Reports sought for retrieval\n(n = 71)"
    assert texts["text:not_retrieved"] == "Reports not retrieved\n(n = 3)"
    assert texts["text:assessed"] == "Reports assessed for eligibility\n(n = 68)"
    assert texts["text:excluded"].splitlines()[0] == "Reports excluded:"
    assert "    Not a randomised trial (n = 40)" in texts["text:excluded"]
    assert texts["text:included"] == ("Studies included in review (n = 5)\n"
                                      "Reports of included studies (n = 5)")
    assert texts["text:meta_analysis"] == "Studies included in meta-analysis\n(n = 5)"
    assert {texts[f"text:stage:{s}"] for s in ("Identification", "Screening", "Included")} \
        == {"Identification", "Screening", "Included"}
    fig.savefig(artifacts / "prisma_seed.png", dpi=120)


def test_diagram_before_screening_shows_identification_only(artifacts):
    fig = prisma_counts(FakeStore(SEED, n_unique=4271)).plot()
    texts = _texts(fig)
    assert texts["text:screened"] == "Records screened\n(n = 4,271)"
    assert "text:sought" not in texts and "text:stage:Included" not in texts
    fig.savefig(artifacts / "prisma_seed_identification.png", dpi=120)


def test_updated_review_and_other_methods_variants(artifacts):
    c = _full(previous_studies=4, previous_reports=6, studies_in_meta_analysis=9,
              other_sources={"Citation searching": 12, "Websites": 3}, other_sought=15,
              other_not_retrieved=1, other_assessed=14,
              other_excluded_reasons={"Not a randomised trial": 14})
    fig = prisma_diagram(c, per_database=False)
    texts = _texts(fig)
    assert texts["text:head"] == "Identification of new studies via databases and registers"
    assert texts["text:head_previous"] == "Previous studies"
    assert texts["text:total"] == ("Total studies included in review (n = 9)\n"
                                   "Reports of total included studies (n = 11)")
    assert texts["text:included"].startswith("New studies included in review (n = 5)")
    assert texts["text:head_other"] == "Identification of studies via other methods"
    assert "    Citation searching (n = 12)" in texts["text:other_identified"]
    assert "PubMed" not in texts["text:identified"]
    fig.savefig(artifacts / "prisma_updated_other.png", dpi=120)


def test_boxes_do_not_overlap():
    fig = prisma_diagram(_full())
    ax = fig.axes[0]
    boxes = [p.get_extents() for p in ax.patches if str(p.get_gid()).startswith("box:")]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b) or a.x1 == b.x0 or a.y1 == b.y0

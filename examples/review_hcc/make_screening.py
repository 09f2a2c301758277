"""Build screening.csv for the review_hcc example from the de-duplicated store.

The PRISMA counts need one title/abstract decision for every record left after
de-duplication (the representative of each cluster), keyed by an id that the store knows.
This script imports the four exports into a scratch store in the documented order
(PubMed, Web of Science, Scopus, other sources), de-duplicates with the default settings,
and gives each representative its decision by matching its title against the table
below. Records not in the table were excluded on title and abstract.

``record_id`` in the output is the record's id in its export file (PMID, Web of Science
UT, Scopus EID, the RIS ID), which ``oncostat review prisma`` accepts as well as the
store's own ids and which does not depend on the import order. ``study`` groups reports
of the same study; ``title`` is only for the reader.

    python examples/review_hcc/make_screening.py          # rewrites screening.csv
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from oncostat.review import ReviewStore, deduplicate, import_file
from oncostat.review.normalise import normalise_text

HERE = Path(__file__).resolve().parent
IMPORTS = [("pubmed.nbib", "PubMed"), ("wos_savedrecs.txt", "Web of Science"),
           ("scopus.csv", "Scopus"), ("other_sources.ris", "Other sources")]
SEARCH_DATE = "2024-11-20"

# Records included at title/abstract: (start of the title, full-text decision, reason, study).
# A reason of "not retrieved" marks a report sought but not obtained.
FULL_TEXT = [
    ("Three-dimensional conformal radiotherapy combined with high-intensity focused "
     "ultrasound versus surgical resection", "include", "", "Ke 2011"),
    ("Ultrasound-guided radiofrequency ablation followed by three-dimensional conformal "
     "radiotherapy", "include", "", "Ding 2016"),
    ("High-intensity focused ultrasound combined with three-dimensional conformal "
     "radiotherapy for unresectable", "include", "", "Li 2014"),
    ("High-intensity focused ultrasound plus three-dimensional conformal radiotherapy versus "
     "stereotactic body radiotherapy for hepatocellular carcinoma: a randomized controlled",
     "include", "", "Wang 2018"),
    ("Intensity-modulated radiotherapy with or without high-intensity focused ultrasound",
     "include", "", "Zhou 2015"),
    # the trial's registration: a second report of Zhou 2015
    ("Intensity-Modulated Radiotherapy With or Without HIFU", "include", "", "Zhou 2015"),
    ("Ultrasound-guided microwave ablation combined with radiotherapy", "exclude",
     "Not a randomised trial", ""),
    ("High-intensity focused ultrasound and conformal radiotherapy for hepatocellular "
     "carcinoma with portal vein", "exclude", "Not a randomised trial", ""),
    ("Radiofrequency ablation plus stereotactic body radiotherapy versus radiofrequency "
     "ablation alone", "exclude", "No ultrasound-guided intervention", ""),
    ("High-intensity focused ultrasound combined with transarterial chemoembolization and "
     "radiotherapy", "exclude", "Multiple combination therapies", ""),
    ("HIFU Followed by Stereotactic Body Radiotherapy", "exclude",
     "Ongoing trial, no results", ""),
    ("Clinical observation of high intensity focused ultrasound combined with radiotherapy",
     "exclude", "not retrieved", ""),
    ("[High-intensity focused ultrasound combined with radiotherapy in the treatment of "
     "primary liver cancer", "exclude", "not retrieved", ""),
]


def build_store(path: Path) -> ReviewStore:
    store = ReviewStore.create(path)
    for name, database in IMPORTS:
        summary = import_file(store, HERE / name, database, search_date=SEARCH_DATE)
        if summary.rejected:
            raise SystemExit(f"{name}: {len(summary.rejected)} record(s) rejected")
    deduplicate(store)
    return store


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = build_store(Path(tmp) / "review.db")
        records = store.records()
        clusters = store.latest_dedup()[0]
        store.close()
    reps = records[records["record_id"].isin(
        clusters.loc[clusters["is_representative"], "record_id"])]
    keys = [(normalise_text(prefix), ft, reason, study)
            for prefix, ft, reason, study in FULL_TEXT]
    rows, matched = [], {k[0]: 0 for k in keys}
    for rec in reps.sort_values("record_id").itertuples():
        title = normalise_text(rec.title)
        rid = rec.source_id if isinstance(rec.source_id, str) and rec.source_id \
            else str(rec.record_id)
        hit = [k for k in keys if title.startswith(k[0])]
        if len(hit) > 1:
            raise SystemExit(f"record {rid}: title matches {len(hit)} entries of FULL_TEXT")
        if not hit:
            rows.append((rid, "title_abstract", "exclude", "", "", rec.title))
            continue
        prefix, ft, reason, study = hit[0]
        matched[prefix] += 1
        rows.append((rid, "title_abstract", "include", "", study, rec.title))
        rows.append((rid, "full_text", ft, reason, study, rec.title))
    unmatched = [p for p, n in matched.items() if n != 1]
    if unmatched:
        raise SystemExit(f"FULL_TEXT entries not matched by exactly one record: {unmatched}")
    rows.sort(key=lambda r: (r[1] != "title_abstract", r[2] != "include", r[4], r[0]))
    with open(HERE / "screening.csv", "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["record_id", "stage", "decision", "reason", "study", "title"])
        out.writerows(rows)
    n_ta = sum(r[1] == "title_abstract" for r in rows)
    n_inc = sum(r[1] == "title_abstract" and r[2] == "include" for r in rows)
    print(f"screening.csv: {n_ta} records screened, {n_ta - n_inc} excluded on title/abstract, "
          f"{n_inc} full texts sought")


if __name__ == "__main__":
    main()

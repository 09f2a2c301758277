"""Report section for the search and selection of studies: imports, de-duplication and
the PRISMA 2020 flow diagram, every count taken from the review store."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from oncostat.report.builder import Report
from oncostat.review.dedup import DedupResult
from oncostat.review.prisma import PrismaCounts
from oncostat.review.store import ImportSummary

__all__ = ["add_review_section", "import_table"]

REFERENCES = [
    "Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement. BMJ. "
    "2021;372:n71.",
    "Hair K, Bahor Z, Macleod M, Liao J, Sena ES. The Automated Systematic Search "
    "Deduplicator (ASySD). BMC Biol. 2023;21:189.",
]


def import_table(imports: Sequence[ImportSummary]) -> pd.DataFrame:
    """One row per imported file: database, format, records, with DOI/PMID/abstract."""
    return pd.DataFrame([{
        "Database": s.database, "File": s.file, "Format": s.format,
        "Search date": s.search_date or "", "Records": s.n_read, "With DOI": s.n_with_doi,
        "With PMID": s.n_with_pmid, "With abstract": s.n_with_abstract,
        "Rejected": len(s.rejected)} for s in imports])


def add_review_section(report: Report, title: str, imports: Sequence[ImportSummary],
                       dedup: DedupResult, counts: PrismaCounts, *,
                       description: str = "") -> None:
    """Import table, de-duplication summary, PRISMA diagram and its counts."""
    sec = report.section(title)
    if description:
        sec.add_text(description)
    sec.add_table(import_table(imports), "Search exports imported into the review store.",
                  name="imports")
    rules = dedup.pairs.loc[dedup.pairs["decision"] == "duplicate", "rule"].value_counts()
    by_rule = ", ".join(f"{rule} {n}" for rule, n in rules.items())
    sec.add_text(f"De-duplication kept every record and grouped {dedup.n_records} records "
                 f"into {dedup.n_clusters} clusters ({dedup.n_duplicates} duplicates; "
                 f"duplicate pairs by rule: {by_rule or 'none'}; "
                 f"{len(dedup.review_queue)} uncertain pairs left for manual review).")
    sec.add_figure(counts.plot(), "PRISMA 2020 flow diagram; every count is derived from the "
                   "review store.", name="prisma")
    text = ("Records from every source were imported into one review store, keeping each raw "
            "record with its file, database and position. Duplicates were found by "
            "normalised DOI and PMID, then by blocked fuzzy comparison of title, authors, "
            "year, journal, volume and pages with explicit rules, and kept as clusters with "
            "one representative each. The flow of records follows the PRISMA 2020 statement.")
    sec.add_methods(text, REFERENCES)

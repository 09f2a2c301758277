"""Report section for the search and selection of studies: imports, de-duplication, the
PRISMA 2020 flow diagram (every count taken from the review store), the reviewers'
agreement and conflicts, and the risk-of-bias figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from oncostat.report.builder import Report, Section
from oncostat.review.agreement import Agreement
from oncostat.review.dedup import DedupResult
from oncostat.review.prisma import PrismaCounts
from oncostat.review.screening import ScreeningImport
from oncostat.review.store import ImportSummary

__all__ = ["add_review_section", "agreement_table", "import_table"]

STAGE_NAMES = {"title_abstract": "Title and abstract", "full_text": "Full text"}
SCREENING_REFERENCES = [
    "Lefebvre C, Glanville J, Briscoe S, et al. Chapter 4: Searching for and selecting "
    "studies. In: Cochrane Handbook for Systematic Reviews of Interventions, version 6.4. "
    "Cochrane; 2023.",
    "Cohen J. A coefficient of agreement for nominal scales. Educ Psychol Meas. "
    "1960;20:37-46.",
    "Byrt T, Bishop J, Carlin JB. Bias, prevalence and kappa. J Clin Epidemiol. "
    "1993;46:423-9.",
]
ROB_REFERENCES = {
    "rob1": "Higgins JPT, Altman DG, Gøtzsche PC, et al. The Cochrane Collaboration's tool "
            "for assessing risk of bias in randomised trials. BMJ. 2011;343:d5928.",
    "rob2": "Sterne JAC, Savović J, Page MJ, et al. RoB 2: a revised tool for assessing "
            "risk of bias in randomised trials. BMJ. 2019;366:l4898.",
    "robins_i": "Sterne JAC, Hernán MA, Reeves BC, et al. ROBINS-I: a tool for assessing "
                "risk of bias in non-randomised studies of interventions. BMJ. "
                "2016;355:i4919.",
}
ROBVIS = ("McGuinness LA, Higgins JPT. Risk-of-bias VISualization (robvis). Res Synth "
          "Methods. 2021;12:55-61.")

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


def agreement_table(agreement: Mapping[str, Agreement],
                    conflicts: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per screening stage: reviewers, records both decided, the 2 x 2 counts,
    Cohen's kappa with its CI, PABAK, conflicts and how many were adjudicated."""
    rows = []
    for stage, a in agreement.items():
        disputes = conflicts.get(stage, pd.DataFrame({"adjudicated": []}))
        rows.append({
            "Stage": STAGE_NAMES.get(stage, stage), "Reviewers": " and ".join(a.raters),
            "Records": a.n, "Observed agreement": f"{a.po:.1%}",
            "Expected agreement": f"{a.pe:.1%}",
            "Cohen's kappa (95% CI)" if a.confidence_level == 0.95 else "Cohen's kappa (CI)":
                f"{a.kappa:.2f} ({a.ci_low:.2f} to {a.ci_high:.2f})",
            "PABAK": f"{a.pabak:.2f}", "Conflicts": len(disputes),
            "Adjudicated": int(disputes["adjudicated"].sum())})
    return pd.DataFrame(rows)


def _conflict_table(conflicts: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for stage, table in conflicts.items():
        for _, c in table.iterrows():
            decisions = "; ".join(
                f"{c[f'reviewer_{k}']}: {c[f'decision_{k}']}"
                + (f" ({c[f'reason_{k}']})" if c.get(f"reason_{k}") else "")
                for k in (1, 2) if f"reviewer_{k}" in c and isinstance(c[f"reviewer_{k}"], str))
            final = (f"{c['adjudicator']}: {c['decision']}" + (f" ({c['reason']})"
                     if c["reason"] else "")) if c["adjudicated"] else "pending"
            record = f"#{c['record_id']}"
            if c.get("citation"):
                record = f"{c['citation']} ({record})"
            rows.append({"Stage": STAGE_NAMES.get(stage, stage), "Record": record,
                         "Title": _shorten(str(c["title"]), 70), "Reviewers": decisions,
                         "Adjudication": final})
    return pd.DataFrame(rows)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def _add_screening(sec: Section, agreement: Mapping[str, Agreement],
                   conflicts: Mapping[str, pd.DataFrame],
                   screening: Sequence[ScreeningImport]) -> None:
    reviewers = sorted({s.reviewer for s in screening if s.role == "reviewer"})
    adjudicators = sorted({s.reviewer for s in screening if s.role == "adjudicator"})
    sec.add_table(agreement_table(agreement, conflicts),
                  "Agreement between the two reviewers' independent decisions, per stage "
                  "(Cohen's kappa with its asymptotic CI; PABAK, the prevalence- and "
                  "bias-adjusted kappa).", name="screening_agreement")
    table = _conflict_table(conflicts)
    if not table.empty:
        sec.add_table(table, "Screening conflicts and their adjudication.",
                      name="screening_conflicts")
    maybe = next(iter(agreement.values())).maybe if agreement else "include"
    sec.add_methods(
        f"Records were screened independently by {' and '.join(reviewers)}, first on title "
        f"and abstract, then on full text; conflicts were resolved by "
        f"{' and '.join(adjudicators) or 'discussion'}. Every decision is a row of the "
        f"review store's ledger. At title/abstract a 'maybe' counted as include (the full "
        f"text was sought); at full text a 'maybe', or an exclusion for a different reason, "
        f"was a conflict. Agreement is Cohen's kappa with its asymptotic CI and PABAK, "
        f"with 'maybe' counted as {maybe if maybe != 'separate' else 'its own category'}.",
        SCREENING_REFERENCES)


def _add_rob(sec: Section, rob: pd.DataFrame, tool: str) -> None:
    from oncostat.plot.rob import rob_summary, rob_traffic_light
    from oncostat.review.rob import rob_tool

    spec = rob_tool(tool)  # type: ignore[arg-type]
    sec.add_figure(rob_traffic_light(rob), f"Risk of bias ({spec.name}): judgement per "
                   "study and domain, settled by two assessors and their consensus.",
                   name="rob_traffic_light")
    sec.add_figure(rob_summary(rob), "Risk of bias: proportion of studies at each "
                   "judgement per domain (unweighted).", name="rob_summary")
    sec.add_methods(f"Two assessors judged risk of bias independently with the {spec.name} "
                    f"({spec.version}); disagreements were settled by consensus, and both "
                    f"assessments and the consensus are kept in the ledger. "
                    f"{spec.overall_note} Figures are drawn as robvis draws "
                    f"them.", [ROB_REFERENCES[tool], ROBVIS])


def add_review_section(report: Report, title: str, imports: Sequence[ImportSummary],
                       dedup: DedupResult, counts: PrismaCounts, *,
                       description: str = "",
                       agreement: Mapping[str, Agreement] | None = None,
                       conflicts: Mapping[str, pd.DataFrame] | None = None,
                       screening: Sequence[ScreeningImport] = (),
                       rob: pd.DataFrame | None = None, rob_tool: str | None = None) -> None:
    """Import table, de-duplication summary, PRISMA diagram and its counts; with a
    screening ledger, the reviewers' agreement and conflicts; with settled risk-of-bias
    judgements, the traffic-light and summary plots."""
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
    if agreement:
        _add_screening(sec, agreement, conflicts or {}, screening)
    if rob is not None and rob_tool is not None:
        _add_rob(sec, rob, rob_tool)

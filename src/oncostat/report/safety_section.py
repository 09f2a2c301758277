"""Report section for safety: adverse events by arm (any grade, grade >= 3, by CTCAE
version), Fisher p-values, the dot plot and methods text."""

from __future__ import annotations

import pandas as pd

from oncostat.report.builder import Report
from oncostat.response.rates import percent
from oncostat.safety.adverse_events import AdverseEventTable

__all__ = ["REFERENCES", "add_safety_section", "safety_table"]

REFERENCES = {
    "4.0": "National Cancer Institute. Common Terminology Criteria for Adverse Events (CTCAE) "
           "version 4.0. Bethesda: US Department of Health and Human Services; 2009.",
    "4.03": "National Cancer Institute. Common Terminology Criteria for Adverse Events "
            "(CTCAE) version 4.03. Bethesda: US Department of Health and Human Services; 2010.",
    "5.0": "National Cancer Institute. Common Terminology Criteria for Adverse Events (CTCAE) "
           "version 5.0. Bethesda: US Department of Health and Human Services; 2017.",
    "Fisher": "Fisher RA. On the interpretation of chi-square from contingency tables, and "
              "the calculation of P. J R Stat Soc. 1922;85:87-94.",
    "Amit": "Amit O, Heiberger RM, Lane PW. Graphical approaches to the analysis of safety "
            "data from clinical trials. Pharm Stat. 2008;7:20-35.",
}


def _p(p: float) -> str:
    return "" if pd.isna(p) else ("< 0.001" if p < 0.001 else f"{p:.3f}")


def safety_table(ae: AdverseEventTable) -> pd.DataFrame:
    """One row per term: per arm any grade and grade >= 3 as n (%), then Fisher p-values."""
    cells = ae.table.set_index(["term", "arm"])
    rows = []
    for t in ae.tests.itertuples(index=False):
        row: dict[str, str] = {"Adverse event": t.term}
        for a, n in zip(ae.arms, ae.n, strict=True):
            r = cells.loc[(t.term, a)]
            row[f"{a} (n = {n}): any grade"] = f"{int(r.any_n)} ({percent(r.any_pct / 100)})"
            row[f"{a} (n = {n}): grade \u2265 3"] = (f"{int(r.grade3_n)} "
                                                     f"({percent(r.grade3_pct / 100)})")
        if len(ae.arms) > 1:
            row["P, any grade"] = _p(t.any_pvalue)
            row["P, grade \u2265 3"] = _p(t.grade3_pvalue)
        rows.append(row)
    return pd.DataFrame(rows)


def add_safety_section(report: Report, title: str, ae_table: AdverseEventTable, *,
                       description: str = "", max_terms: int | None = 25) -> None:
    """Adverse-event table, dot plot of incidence by arm, methods citing the CTCAE version."""
    sec = report.section(title)
    if description:
        sec.add_text(description)
    related = "treatment-related " if ae_table.related_only else ""
    sec.add_table(safety_table(ae_table), f"{title}: patients with {related}adverse events by "
                  f"arm, highest grade per patient (CTCAE v{ae_table.ctcae_version}), n (%).",
                  name=f"adverse events {title}")
    sec.add_figure(ae_table.plot(max_terms=max_terms), f"{title}: incidence of each adverse "
                   "event by arm; open circles any grade, filled circles grade \u2265 3.",
                   name=f"ae dotplot {title}")
    text = (f"Adverse events were graded by the NCI Common Terminology Criteria for Adverse "
            f"Events (CTCAE) version {ae_table.ctcae_version}. Each patient is counted once "
            "per term at the highest grade recorded, and once overall; percentages are of "
            "all patients of the arm, including those without events. ")
    if ae_table.related_only:
        text += ("Only events possibly, probably or definitely related to treatment are "
                 "counted. ")
    if len(ae_table.arms) > 1:
        text += ("Arms were compared per term with Fisher's exact test (two-sided) for any "
                 "grade and for grade 3 or higher; p-values agree with R's fisher.test. ")
    text += "The dot plot follows Amit et al."
    sec.add_methods(text, [REFERENCES[ae_table.ctcae_version], REFERENCES["Fisher"],
                           REFERENCES["Amit"]])

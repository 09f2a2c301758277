"""Report section for tumour response: best overall response and ORR/DCR per arm with exact
intervals, Fisher comparisons, waterfall, spider and swimmer plots, and methods text."""

from __future__ import annotations

import pandas as pd

from oncostat.report.builder import Report
from oncostat.response.best_response import RESPONSES, ResponseAssessment
from oncostat.response.rates import ResponseRates, percent

__all__ = ["REFERENCES", "add_response_section", "rates_table"]

REFERENCES = {
    "RECIST": "Eisenhauer EA, Therasse P, Bogaerts J, et al. New response evaluation criteria "
              "in solid tumours: revised RECIST guideline (version 1.1). Eur J Cancer. "
              "2009;45:228-247.",
    "mRECIST": "Lencioni R, Llovet JM. Modified RECIST (mRECIST) assessment for "
               "hepatocellular carcinoma. Semin Liver Dis. 2010;30:52-60.",
    "CP": "Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in "
          "the case of the binomial. Biometrika. 1934;26:404-413.",
    "Fisher": "Fisher RA. On the interpretation of chi-square from contingency tables, and "
              "the calculation of P. J R Stat Soc. 1922;85:87-94.",
}


def rates_table(rates: ResponseRates) -> pd.DataFrame:
    """One row per arm: n, each best response n (%), ORR and DCR with exact CIs."""
    level = f"{100 * rates.confidence_level:g}% CI"
    rows = []
    for r in rates.table.itertuples(index=False):
        row = {"Arm": str(r.arm), "Criteria": r.criteria, "Patients": int(r.n)}
        for code in RESPONSES:
            k = int(getattr(r, code))
            row[code] = f"{k} ({percent(k / r.n)})"
        for ep in ("orr", "dcr"):
            row[f"{ep.upper()}, % ({level})"] = (
                f"{percent(getattr(r, ep))} ({percent(getattr(r, ep + '_ci_low'))} to "
                f"{percent(getattr(r, ep + '_ci_high'))})")
        rows.append(row)
    return pd.DataFrame(rows)


def _comparisons_table(rates: ResponseRates) -> pd.DataFrame:
    c = rates.comparisons
    return pd.DataFrame({
        "Endpoint": c["endpoint"],
        "Comparison": [("all arms" if a == "all" else f"{a} vs {ref}")
                       for a, ref in zip(c["arm"], c["reference"], strict=True)],
        "Difference, %": ["" if pd.isna(d) else f"{100 * d:.1f}" for d in c["difference"]],
        "P (Fisher)": ["< 0.001" if p < 0.001 else f"{p:.3f}" for p in c["pvalue"]]})


def add_response_section(report: Report, title: str, rates: ResponseRates,
                         assessment: ResponseAssessment | None = None, *,
                         description: str = "") -> None:
    """Best-response table, ORR/DCR with Clopper-Pearson CIs, Fisher tests, figures, methods.

    ``assessment`` (from :func:`oncostat.response.assess_response`) adds the spider and
    swimmer plots of its patients; the waterfall plot per arm is drawn from ``rates``
    whenever it was computed from lesion measurements.
    """
    sec = report.section(title)
    if description:
        sec.add_text(description)
    sec.add_table(rates_table(rates), f"{title}: best overall response, objective response "
                  "rate (ORR: CR + PR) and disease control rate (DCR: CR + PR + SD) by arm, "
                  "n (%).", name=f"response {title}")
    if len(rates.comparisons):
        sec.add_table(_comparisons_table(rates), f"{title}: comparison of arms, Fisher's "
                      "exact test (two-sided).", name=f"response tests {title}")
    measured = [a for a in rates.assessments if "pct_baseline" in a.timepoints]
    if measured:
        sec.add_figure(rates.plot(), f"{title}: best percentage change in the sum of target "
                       "lesion diameters per patient, coloured by best overall response; "
                       "dashed lines at +20% and -30%.", name=f"waterfall {title}")
    if assessment is not None and "pct_baseline" in assessment.timepoints:
        sec.add_figure(assessment.plot("spider"), f"{title}: percentage change from baseline "
                       f"over time ({assessment.criteria}).", name=f"spider {title}")
    if assessment is not None:
        sec.add_figure(assessment.plot("swimmer"), f"{title}: time on study with response "
                       f"assessments ({assessment.criteria}).", name=f"swimmer {title}")
    criteria = {a.criteria for a in rates.assessments}
    if assessment is not None:
        criteria.add(assessment.criteria)
    confirm = [a for a in (*rates.assessments, assessment) if a is not None and a.confirm]
    text = ("Tumour response was assessed by RECIST version 1.1 (sum of the longest diameters "
            "of up to five target lesions, at most two per organ, short axis for lymph nodes; "
            "PR a decrease of at least 30% from baseline, PD an increase of at least 20% and "
            "5 mm from the smallest sum on study, or a new lesion, or unequivocal progression "
            "of non-target disease)")
    refs = [REFERENCES["RECIST"]]
    if "mRECIST" in criteria:
        text += (" or by mRECIST, measuring the viable, arterially enhancing part of each "
                 "target lesion")
        refs.append(REFERENCES["mRECIST"])
    text += ". "
    if confirm:
        text += (f"Complete and partial responses were confirmed by a repeat assessment at "
                 f"least {confirm[0].confirm_weeks:g} weeks later. ")
    text += ("The objective response rate (CR or PR as best overall response) and the disease "
             "control rate (CR, PR or SD) are given over all patients of each arm, "
             "non-evaluable patients included, with exact Clopper-Pearson "
             f"{100 * rates.confidence_level:g}% confidence intervals; arms were compared "
             "with Fisher's exact test. Intervals and p-values agree with R's binom.test and "
             "fisher.test.")
    sec.add_methods(text, [*refs, REFERENCES["CP"], REFERENCES["Fisher"]])

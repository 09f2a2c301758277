"""Report section for one time-to-event endpoint: KM figure with risk table, medians with
CIs, survival at chosen times, RMST, log-rank and Cox hazard ratios, and methods text."""

from __future__ import annotations

import math

import pandas as pd

from oncostat.report.builder import Report
from oncostat.survival.summary import SurvivalSummary

__all__ = ["add_survival_section", "median_table"]

REFERENCES = {
    "KM": "Kaplan EL, Meier P. J Am Stat Assoc. 1958;53:457-481.",
    "BC": "Brookmeyer R, Crowley J. Biometrics. 1982;38:29-41.",
    "LR": "Mantel N. Cancer Chemother Rep. 1966;50:163-170.",
    "Cox": "Cox DR. J R Stat Soc B. 1972;34:187-220.",
    "Efron": "Efron B. J Am Stat Assoc. 1977;72:557-565.",
    "RMST": "Royston P, Parmar MKB. BMC Med Res Methodol. 2013;13:152.",
    "survival": "Therneau TM. A Package for Survival Analysis in R (survival). 2023.",
}


def _num(x: float, fmt: str = "{:.1f}") -> str:
    return "NR" if x is None or not math.isfinite(x) else fmt.format(x)


def median_table(summary: SurvivalSummary) -> pd.DataFrame:
    """One row per arm: n, events, median (95% CI) with "NR" where not reached, RMST."""
    rows = []
    for m, r in zip(summary.km.medians.itertuples(index=False),
                    summary.rmst.table.itertuples(index=False), strict=True):
        median = _num(m.median) if m.reached else "Not reached"
        rows.append({"Arm": str(m.group), "Patients": int(m.n), "Events": int(m.events),
                     "Median (95% CI)": f"{median} ({_num(m.ci_low)} to {_num(m.ci_high)})",
                     f"RMST to {summary.rmst.tau:g} (95% CI)":
                         f"{r.rmst:.1f} ({r.ci_low:.1f} to {r.ci_high:.1f})"})
    return pd.DataFrame(rows)


def _at_times_table(summary: SurvivalSummary) -> pd.DataFrame:
    a = summary.at_times

    def fmt(x: float) -> str:  # R leaves the interval undefined where S is 0 (or 1)
        return "NA" if not math.isfinite(x) else f"{x:.3f}"

    return pd.DataFrame({"Arm": a["group"].astype(str), "Time": a["time"].map("{:g}".format),
                         "At risk": a["n_risk"].astype(int),
                         "Survival (95% CI)": [f"{fmt(s)} ({fmt(lo)} to {fmt(hi)})"
                                               for s, lo, hi in zip(a["surv"], a["ci_low"],
                                                                    a["ci_high"], strict=True)]})


def _cox_table(summary: SurvivalSummary) -> pd.DataFrame:
    t = summary.cox.to_frame()
    return pd.DataFrame({"Term": t["term"], "HR (95% CI)": [
        f"{h:.2f} ({lo:.2f} to {hi:.2f})" for h, lo, hi in
        zip(t["hr"], t["hr_ci_low"], t["hr_ci_high"], strict=True)],
        "z": t["z"].map(lambda v: f"{v:.2f}"),
        "P": t["p"].map(lambda v: "< 0.001" if v < 0.001 else f"{v:.3f}")})


def add_survival_section(report: Report, title: str, summary: SurvivalSummary, *,
                         description: str = "", xlabel: str = "Months") -> None:
    """KM figure, median/RMST table, survival at times, log-rank and Cox results."""
    sec = report.section(title)
    if description:
        sec.add_text(description)
    sec.add_figure(summary.plot(xlabel=xlabel),
                   f"{title}: Kaplan-Meier curves with numbers at risk.", name=f"km {title}")
    sec.add_table(median_table(summary), f"{title}: median and restricted mean survival.",
                  name=f"medians {title}")
    not_reached = summary.km.medians.loc[~summary.km.medians["reached"], "group"].tolist()
    if not_reached:
        sec.add_text("Median not reached (NR) in " + ", ".join(map(str, not_reached)) +
                     ": the Kaplan-Meier curve stays above 50%. The median of the observed "
                     "follow-up times is not an estimate of median survival.")
    if len(summary.at_times):
        sec.add_table(_at_times_table(summary), f"{title}: survival at chosen times.",
                      name=f"landmarks {title}")
    if summary.logrank is not None:
        lr = summary.logrank
        sec.add_text(f"Log-rank test: chi-squared = {lr.statistic:.2f} on {lr.df} df, "
                     f"p = {lr.pvalue:.3g}.")
    if summary.cox is not None:
        sec.add_table(_cox_table(summary), f"{title}: Cox proportional hazards model "
                      f"({summary.cox.ties} ties).", name=f"cox {title}")
    text = ("Survival was estimated by the Kaplan-Meier method with Greenwood variances and "
            f"'{summary.km.conf_type}'-transformed pointwise intervals; median CIs follow "
            "Brookmeyer and Crowley. Arms were compared with the log-rank test and hazard "
            "ratios from a Cox model; restricted mean survival time is reported to a common "
            "horizon. All numbers agree with R's survival package.")
    sec.add_methods(text, [REFERENCES[k] for k in ("KM", "BC", "LR", "Cox", "Efron", "RMST",
                                                    "survival")])

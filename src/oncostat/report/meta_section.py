"""Report sections for meta-analyses: forest and funnel plots, pooled, subgroup,
leave-one-out and cumulative tables, and a methods paragraph with its references."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from oncostat.meta.analysis import PooledEstimate
from oncostat.meta.subgroup import SubgroupAnalysis
from oncostat.meta.summary import MetaSummary
from oncostat.report.builder import Report

__all__ = ["add_meta_section", "methods_text", "pooled_table", "subgroup_table"]

REFERENCES = {
    "MH": "Mantel N, Haenszel W. J Natl Cancer Inst. 1959;22:719-748.",
    "RBG": "Robins J, Breslow N, Greenland S. Biometrics. 1986;42:311-323.",
    "Peto": "Yusuf S, Peto R, Lewis J, et al. Prog Cardiovasc Dis. 1985;27:335-371.",
    "DL": "DerSimonian R, Laird N. Control Clin Trials. 1986;7:177-188.",
    "REML": "Viechtbauer W. J Educ Behav Stat. 2005;30:261-293.",
    "HK": "Hartung J, Knapp G. Stat Med. 2001;20:3875-3889.",
    "I2": "Higgins JPT, Thompson SG. Stat Med. 2002;21:1539-1558.",
    "QP": "Viechtbauer W. Stat Med. 2007;26:37-52.",
    "RevMan": "Deeks JJ, Higgins JPT. Statistical algorithms in Review Manager 5. 2010.",
    "metafor": "Viechtbauer W. J Stat Softw. 2010;36(3):1-48.",
    "Egger": "Egger M, Davey Smith G, Schneider M, Minder C. BMJ. 1997;315:629-634.",
    "TF": "Duval S, Tweedie R. Biometrics. 2000;56:455-463.",
}


def _ci(est: float, lo: float, hi: float) -> str:
    if not math.isfinite(est):
        return "Not estimable"
    return f"{est:.2f} [{lo:.2f}, {hi:.2f}]"


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "/"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _row(res: PooledEstimate) -> dict[str, Any]:
    h = res.heterogeneity
    return {
        "Studies": res.k,
        f"{res.measure} [95% CI]": _ci(res.estimate, res.ci_low, res.ci_high),
        "z (P)": f"{abs(res.statistic):.2f} ({_p(res.pvalue)})",
        "Chi²": "/" if h.df < 1 else f"{h.q:.2f}",
        "df (P)": "/" if h.df < 1 else f"{h.df} ({_p(h.pvalue)})",
        "I² (%)": "/" if not math.isfinite(h.i2) else f"{100 * h.i2:.0f}",
        "Tau²": "" if not math.isfinite(h.tau2) else f"{h.tau2:.3f}",
    }


def pooled_table(summaries: dict[str, MetaSummary]) -> pd.DataFrame:
    """One row per outcome: k, estimate [CI], z (P), heterogeneity, model."""
    table = pd.DataFrame([{"Outcome": name, **_row(s.pooled), "Model": s.pooled.label}
                          for name, s in summaries.items()])
    return table.drop(columns="Outcome") if list(summaries) == [""] else table


def subgroup_table(sub: SubgroupAnalysis) -> pd.DataFrame:
    """One row per subgroup and the overall row, formatted as :func:`pooled_table`."""
    rows = [{"Subgroup": level, **_row(res)} for level, res in sub.subgroups.items()]
    rows.append({"Subgroup": "Overall", **_row(sub.overall)})
    return pd.DataFrame(rows)


def _sequential_table(summary: MetaSummary, which: str) -> pd.DataFrame:
    part = summary.leave_one_out if which == "leave-one-out" else summary.cumulative
    assert part is not None
    m = summary.pooled.measure
    key = "Omitted study" if which == "leave-one-out" else "Adding"
    rows = []
    for _, r in part.to_frame().iterrows():
        rows.append({key: r.study, "k": r.k, f"{m} [95% CI]": _ci(r.estimate, r.ci_low,
                                                                    r.ci_high),
                     "Chi²": "/" if r.df < 1 else f"{r.q:.2f}",
                     "df (P)": "/" if r.df < 1 else f"{int(r.df)} ({_p(r.q_pvalue)})",
                     "I² (%)": "/" if pd.isna(r.i2) else f"{100 * r.i2:.0f}",
                     "z (P)": f"{abs(r.statistic):.2f} ({_p(r.pvalue)})"})
    return pd.DataFrame(rows)


def methods_text(summary: MetaSummary) -> tuple[str, list[str]]:
    """A methods paragraph generated from the analysis settings, with references."""
    s = summary.pooled.spec
    refs = [REFERENCES["metafor"]]
    method = {"MH": "the Mantel-Haenszel method", "Peto": "Peto's one-step method",
              "IV": "the inverse-variance method"}[s.method]
    text = f"Study results were pooled as {s.measure} with {method}"
    refs.append(REFERENCES[s.method] if s.method != "IV" else REFERENCES["metafor"])
    if s.model == "random":
        est = {"DL": "DerSimonian-Laird", "REML": "restricted maximum likelihood"}.get(
            s.tau2_method, s.tau2_method)
        text += f" under a random-effects model (tau² by the {est} estimator"
        refs.append(REFERENCES["DL" if s.tau2_method == "DL" else "REML"])
        if s.hakn:
            text += ", Hartung-Knapp adjusted confidence interval"
            refs.append(REFERENCES["HK"])
        text += ")"
    else:
        text += " under a fixed-effect model"
    text += (". Heterogeneity was assessed with Cochran's Q and quantified with I² "
             "(with its confidence interval)")
    refs.append(REFERENCES["I2"])
    if s.model == "random":
        text += "; the confidence interval of tau² is the Q-profile interval"
        refs.append(REFERENCES["QP"])
    if s.revman:
        text += (". Computations follow Review Manager 5's published algorithms (0.5 added to "
                 "all cells of studies with a zero cell; double-zero studies excluded for "
                 "ratio measures)")
        refs.append(REFERENCES["RevMan"])
    if summary.small_study is not None:
        text += ". Small-study effects were examined with funnel plots, Egger's regression "
        text += "test and trim-and-fill"
        refs += [REFERENCES["Egger"], REFERENCES["TF"]]
    text += (f". All intervals are {100 * s.confidence_level:g}%; analyses were run with "
             "oncostat, whose estimates are tested against R's metafor.")
    return text, list(dict.fromkeys(refs))


def add_meta_section(report: Report, title: str, summaries: dict[str, MetaSummary], *,
                     description: str = "", rob: pd.DataFrame | None = None,
                     favours: tuple[str, str] = ("Favours treatment", "Favours control"),
                     prediction: bool = False) -> None:
    """Add one section: pooled table, then per outcome its figures and tables."""
    from oncostat.plot.forest import forest

    sec = report.section(title)
    if description:
        sec.add_text(description)
    first = next(iter(summaries.values()))
    sec.add_table(pooled_table(summaries), f"{title}: pooled estimates.",
                  name="pooled")
    for name, s in summaries.items():
        label = name or title
        if len(summaries) > 1 or name:
            sec.add_heading(label)
        target: Any = s.subgroups or s.pooled
        kwargs: dict[str, Any] = {"labels": favours}
        if rob is not None:
            kwargs["rob"] = rob
        if prediction and s.pooled.model == "random":
            kwargs["prediction"] = True
        sec.add_figure(forest(target, **kwargs), f"Forest plot: {label} ({s.pooled.label}).",
                       name=f"forest {label}")
        if s.subgroups is not None:
            sec.add_table(subgroup_table(s.subgroups), f"{label}: subgroups by "
                          f"{s.subgroups.by!r}. {s.subgroups.difference}.",
                          name=f"subgroups {label}")
        if s.leave_one_out is not None:
            sec.add_table(_sequential_table(s, "leave-one-out"),
                          f"{label}: sensitivity analysis omitting one study at a time.",
                          name=f"leave_one_out {label}")
        if s.cumulative is not None:
            sec.add_table(_sequential_table(s, "cumulative"),
                          f"{label}: cumulative meta-analysis.",
                          name=f"cumulative {label}")
        if s.influence is not None:
            sec.add_table(s.influence.to_frame(), f"{label}: influence diagnostics.",
                          name=f"influence {label}", float_format="{:.3f}")
        if s.small_study is not None:
            from oncostat.plot.funnel import funnel

            sec.add_table(s.small_study.to_frame(), f"{label}: tests for small-study effects "
                          "(Egger, Begg, Peters) and trim-and-fill.",
                          name=f"small_study {label}", float_format="{:.3f}")
            sec.add_figure(funnel(s.pooled, trimfill=getattr(s.small_study, "trim_and_fill", None)),
                           f"Contour-enhanced funnel plot: {label}.",
                           name=f"funnel {label}")
    text, refs = methods_text(first)
    sec.add_methods(text, refs)

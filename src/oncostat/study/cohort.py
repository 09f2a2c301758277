"""Run the ``[cohort]`` part of a study file: eligibility flow, Table 1 before and after
matching, propensity-score matching with balance, survival endpoints on the matched
cohort, tumour response and adverse events; then the report sections for each.

Everything is computed before anything is written (the runner writes the report last).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from oncostat._validate import require_columns
from oncostat.errors import InputError
from oncostat.io.tables import read_table
from oncostat.report.builder import Report
from oncostat.study.spec import CohortSpec

__all__ = ["CohortRun", "add_cohort_sections", "run_cohort"]


@dataclass(frozen=True)
class CohortRun:
    """Every result of a cohort study, in report order."""

    spec: CohortSpec
    files: tuple[Path, ...]
    flow: Any = None
    baseline: Any = None          # Table1Comparison (or Table1Result without matching)
    match: Any = None             # MatchResult
    balance: Any = None           # BalanceTable
    endpoints: tuple[tuple[Any, Any], ...] = ()   # (EndpointSpec, SurvivalSummary)
    response: Any = None          # (ResponseAssessment, ResponseRates)
    safety: Any = None            # AdverseEventTable
    analysed: pd.DataFrame = field(default=None, repr=False)  # type: ignore[assignment]


def _check_arms(data: pd.DataFrame, spec: CohortSpec, source: str) -> None:
    require_columns(data, [spec.id, spec.arm], what=source)
    arms = data[spec.arm].astype("string")
    undeclared = arms.notna() & ~arms.isin(spec.arms)
    if undeclared.any():
        i = int(undeclared.to_numpy().argmax())
        raise InputError(f"{source}: column {spec.arm!r}, row {i + 1} (patient "
                         f"{data[spec.id].iloc[i]!r}): arm {arms.iloc[i]!r} is not declared in "
                         f"the study file; declared arms are {spec.arms}")
    missing = [a for a in spec.arms if not (arms == a).any()]
    if missing:
        raise InputError(f"{source}: column {spec.arm!r}: declared arm {missing[0]!r} has no "
                         "patients")


def run_cohort(spec: CohortSpec, folder: Path) -> CohortRun:
    """Compute every analysis the ``[cohort]`` table asks for."""
    from oncostat.cohort import side_by_side, table1
    from oncostat.survival import cox_ph, survival_summary

    files = [folder / spec.data]
    data = read_table(folder / spec.data)
    _check_arms(data, spec, spec.data)
    data = data.assign(**{spec.arm: pd.Categorical(data[spec.arm].astype(str),
                                                   categories=spec.arms)})
    run = CohortRun(spec, ())

    if spec.eligibility is not None:
        from oncostat.cohort.flow import eligibility_flow

        files.append(folder / spec.eligibility.data)
        screening = read_table(folder / spec.eligibility.data)
        flow = eligibility_flow(screening, spec.eligibility.steps, arm=spec.arm,
                                arms=spec.arms, source=spec.eligibility.data)
        run = dataclasses.replace(run, flow=flow)

    analysed = data
    if spec.matching is not None:
        from oncostat.matching import match

        m = spec.matching
        result = match(data, treatment=spec.arm, focal=spec.focal, covariates=m.covariates,
                       ratio=m.ratio, caliper=m.caliper, caliper_scale=m.caliper_scale,
                       order=m.order, seed=m.seed, id=spec.id, reference=m.reference or None)
        analysed = result.matched
        run = dataclasses.replace(run, match=result, balance=result.balance())

    if spec.baseline is not None:
        b = spec.baseline
        options = {"group": spec.arm, "variables": b.variables,
                   "categorical": b.categorical or None, "nonnormal": b.nonnormal or None,
                   "tests": b.tests or "auto", "labels": b.labels or None}
        before = table1(data, title="Baseline characteristics", **options)
        baseline = before
        if spec.matching is not None:
            after = table1(analysed, title="After matching", **options)
            baseline = side_by_side(before, after)
        run = dataclasses.replace(run, baseline=baseline)

    endpoints = []
    for ep in spec.endpoints:
        summary = survival_summary(analysed, time=ep.time, event=ep.event, group=spec.arm,
                                   reference=spec.focal, times=ep.times or None, id=spec.id)
        if spec.matching is not None:
            # Matched sets share prognosis: HRs from a Cox model stratified by set, with
            # robust (sandwich) SEs clustered on the set.
            stratified = cox_ph(analysed.assign(**{spec.arm: analysed[spec.arm].astype(str)}),
                                time=ep.time, event=ep.event, covariates=[spec.arm],
                                strata="set_id", cluster="set_id",
                                reference={spec.arm: spec.focal})
            summary = dataclasses.replace(summary, cox=stratified)
        endpoints.append((ep, summary))
    run = dataclasses.replace(run, endpoints=tuple(endpoints))

    if spec.response is not None:
        files.append(folder / spec.response.data)
        run = dataclasses.replace(run, response=_response(spec, folder, analysed))
    if spec.safety is not None:
        files.append(folder / spec.safety.data)
        run = dataclasses.replace(run, safety=_safety(spec, folder, analysed))
    return dataclasses.replace(run, files=tuple(files), analysed=analysed)


def _response(spec: CohortSpec, folder: Path, analysed: pd.DataFrame) -> tuple[Any, Any]:
    """Best overall response per patient (each arm by its declared criteria), then ORR/DCR
    of the analysed patients (those never assessed count as NE)."""
    from oncostat.response import assess_response, response_rates

    r = spec.response
    assert r is not None
    lesions = read_table(folder / r.data)
    require_columns(lesions, [spec.id], what=r.data)
    arm_of = dict(zip(analysed[spec.id], analysed[spec.arm].astype(str), strict=True))
    lesions = lesions[lesions[spec.id].isin(arm_of)]
    # Nodes are measured on the short axis and are normal below 10 mm (RECIST 1.1, 4.3).
    lesions = lesions.assign(_lymph_node=lesions[r.organ] == r.lymph_node_organ)
    if r.start is not None:
        require_columns(analysed, [r.start], what=spec.data)
        lesions = lesions.merge(analysed[[spec.id, r.start]], on=spec.id, how="left")
    assessments = []
    for criteria in dict.fromkeys(r.criteria.values()):
        arms = [a for a, c in r.criteria.items() if c == criteria]
        rows = lesions[lesions[spec.id].map(arm_of).isin(arms)].reset_index(drop=True)
        if len(rows):
            mrecist = criteria == "mRECIST"
            status = r.viable_status if mrecist else r.status
            assessments.append(assess_response(
                rows, patient=spec.id, date=r.date, lesion=r.lesion, kind=r.kind,
                organ=r.organ, criteria=criteria, lymph_node="_lymph_node",
                diameter=r.viable if mrecist else r.diameter, start=r.start,
                status=status if status in rows.columns else None,
                confirm=r.confirm, min_sd_weeks=r.min_sd_weeks))
    patients = analysed[[spec.id, spec.arm]].assign(**{spec.arm: analysed[spec.arm].astype(str)})
    rates = response_rates(assessments, arm=spec.arm, patients=patients, patient=spec.id,
                           reference=spec.focal)
    return (assessments[0] if len(assessments) == 1 else tuple(assessments)), rates


def _safety(spec: CohortSpec, folder: Path, analysed: pd.DataFrame) -> Any:
    """Adverse events of the analysed patients (patients without events in the denominator)."""
    from oncostat.safety import adverse_event_table

    s = spec.safety
    assert s is not None
    events = read_table(folder / s.data)
    require_columns(events, [spec.id], what=s.data)
    events = events[events[spec.id].isin(set(analysed[spec.id]))].reset_index(drop=True)
    patients = analysed[[spec.id, spec.arm]].assign(**{spec.arm: analysed[spec.arm].astype(str)})
    return adverse_event_table(events, patients, patient=spec.id, term=s.term, grade=s.grade,
                               arm=spec.arm, ctcae_version=s.ctcae_version)


def add_cohort_sections(report: Report, run: CohortRun) -> None:
    """Add the Results sections of a cohort study, in the order a paper prints them."""
    from oncostat.report.survival_section import add_survival_section

    spec = run.spec
    if run.flow is not None:
        sec = report.section("Study population")
        sec.add_figure(run.flow.plot(), "Flow of patients through the eligibility criteria.",
                       name="flow")
        sec.add_text(str(run.flow).replace("\n", "; "))
    if run.baseline is not None:
        sec = report.section("Baseline characteristics")
        sec.add_table(run.baseline.to_frame(), run.baseline.title if hasattr(
            run.baseline, "title") else "Baseline characteristics by arm.", name="table1")
        notes = run.baseline.footnotes() if hasattr(run.baseline, "footnotes") else []
        for note in notes:
            sec.add_text(str(note))
    if run.match is not None:
        from oncostat.plot.ps import match_flow

        m = run.match
        sec = report.section("Propensity-score matching")
        sec.add_text(str(m).replace("\n", "; "))
        excluded = {a: m.n_before[a] - m.n_matched[a] for a in m.n_before}
        sec.add_figure(match_flow(m.n_before, m.n_matched, excluded),
                       "Patients before matching, excluded, and in matched sets.",
                       name="match flow")
        sec.add_figure(run.balance.plot(), "Standardised mean differences before and after "
                       "matching (love plot); dashed line at 0.1.", name="love plot")
        sec.add_methods(
            f"Propensity scores were estimated by logistic regression on "
            f"{', '.join(spec.matching.covariates)}. Patients of the {spec.focal} arm were "
            f"matched by greedy nearest-neighbour matching without replacement, "
            f"{':'.join(['1', *map(str, m.ratio.values())])}, within a caliper of "
            f"{spec.matching.caliper} standard deviations of the "
            f"{'logit of the ' if spec.matching.caliper_scale == 'logit' else ''}propensity "
            "score; one model per comparison, sets sharing the focal patient. Balance: "
            "standardised mean differences with the focal arm's SD.",
            ["Rosenbaum PR, Rubin DB. Biometrika. 1983;70:41-55.",
             "Austin PC. Pharm Stat. 2011;10:150-161.",
             "Ho DE, Imai K, King G, Stuart EA. J Stat Softw. 2011;42(8):1-28."])
    for ep, summary in run.endpoints:
        add_survival_section(report, ep.name, summary, description=ep.definition,
                             xlabel=ep.unit)
    if run.response is not None:
        from oncostat.report.response_section import add_response_section

        assessment, rates = run.response
        # Arms assessed by different criteria: the rates' own figure shows every arm.
        single = None if isinstance(assessment, tuple) else assessment
        add_response_section(report, "Tumour response", rates, assessment=single)
    if run.safety is not None:
        from oncostat.report.safety_section import add_safety_section

        add_safety_section(report, "Adverse events", run.safety)

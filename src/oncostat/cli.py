"""The ``oncostat`` command line: parse, call the public API, print or write.

Every command prints ``str(result)``, or one JSON object with ``--json``. An
:class:`~oncostat.errors.OncostatError` is printed as one line on stderr with exit
status 1; usage errors exit with status 2.
"""

from __future__ import annotations

import json
import sys
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from oncostat.errors import InputError, OncostatError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="oncostat: publication-ready evidence on oncology treatments.")


class Measure(StrEnum):
    OR = "OR"
    RR = "RR"
    RD = "RD"
    MD = "MD"
    SMD = "SMD"
    GEN = "GEN"


class Method(StrEnum):
    MH = "MH"
    Peto = "Peto"
    IV = "IV"


class Model(StrEnum):
    fixed = "fixed"
    random = "random"


class Tau2(StrEnum):
    DL = "DL"
    REML = "REML"
    ML = "ML"
    PM = "PM"
    SJ = "SJ"
    HE = "HE"
    HS = "HS"
    EB = "EB"


def _print_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, allow_nan=False))


def _column_options(pairs: list[str] | None) -> dict[str, str]:
    """``--column events_treat=tpos`` pairs into keyword arguments."""
    out: dict[str, str] = {}
    for item in pairs or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError(f"--column: expected ROLE=NAME (e.g. events_treat=tpos), got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _with_suffix(path: Path, name: str, many: bool) -> Path:
    return path.with_name(f"{path.stem}_{name}{path.suffix}") if many else path


@app.command()
def meta(
    file: Annotated[Path, typer.Argument(help="Study table: CSV, TSV, XLSX or Parquet.")],
    measure: Annotated[Measure, typer.Option(help="Effect measure.")] = Measure.OR,
    method: Annotated[Method, typer.Option(help="Pooling method.")] = Method.MH,
    model: Annotated[Model, typer.Option(help="Fixed or random effects.")] = Model.fixed,
    tau2: Annotated[Tau2, typer.Option(help="tau² estimator (random effects).")] = Tau2.DL,
    hakn: Annotated[bool, typer.Option(help="Hartung-Knapp adjustment.")] = False,
    revman: Annotated[bool | None, typer.Option(
        "--revman/--metafor", help="RevMan 5 or metafor conventions [default: RevMan for MH]",
        show_default=False)] = None,
    ratio: Annotated[bool, typer.Option(help="GEN estimates are ratios (HR, OR, ...).")] = False,
    subgroup: Annotated[str | None, typer.Option(help="Column with subgroups.")] = None,
    outcome: Annotated[str | None, typer.Option(
        help="Column naming the outcome: one analysis per outcome.")] = None,
    leave_one_out: Annotated[bool, typer.Option("--leave-one-out")] = False,
    cumulative: Annotated[bool, typer.Option(help="Cumulative analysis by year.")] = False,
    influence: Annotated[bool, typer.Option(help="Influence diagnostics.")] = False,
    small_study: Annotated[bool, typer.Option(
        "--small-study", help="Egger, Begg and Peters tests, trim-and-fill.")] = False,
    column: Annotated[list[str] | None, typer.Option(
        help="Column for a role, e.g. --column events_treat=tpos (repeatable).")] = None,
    level: Annotated[float, typer.Option(help="Confidence level.")] = 0.95,
    forest: Annotated[Path | None, typer.Option(help="Forest plot file (PNG/SVG/PDF).")] = None,
    funnel: Annotated[Path | None, typer.Option(help="Funnel plot file (PNG/SVG/PDF).")] = None,
    report: Annotated[Path | None, typer.Option(help="Self-contained HTML report.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Meta-analysis of a study table (RevMan- and metafor-grade numbers)."""
    from oncostat.io.tables import read_table
    from oncostat.meta.summary import summarise, summarise_by

    options: dict[str, Any] = {
        "measure": measure.value, "method": method.value, "model": model.value,
        "tau2_method": tau2.value, "hakn": hakn, "revman": revman, "ratio": ratio,
        "confidence_level": level, "subgroup": subgroup, "leave_one_out": leave_one_out,
        "cumulative": cumulative, "influence": influence,
        "small_study": small_study or funnel is not None, **_column_options(column)}
    data = read_table(file)
    results = (summarise_by(data, outcome=outcome, **options) if outcome
               else {"": summarise(data, **options)})
    many = len(results) > 1
    # Render every figure before writing any file, so a failure writes nothing.
    figures: list[tuple[Any, Path]] = []
    if forest or funnel:
        from oncostat.plot.forest import forest as forest_plot
        from oncostat.plot.funnel import funnel as funnel_plot

        for name, s in results.items():
            if forest:
                figures.append((forest_plot(s.subgroups or s.pooled),
                                _with_suffix(forest, name, many)))
            if funnel:
                tf = getattr(s.small_study, "trim_and_fill", None)
                figures.append((funnel_plot(s.pooled, trimfill=tf),
                                _with_suffix(funnel, name, many)))
    if report:
        from oncostat.report.builder import Report
        from oncostat.report.meta_section import add_meta_section

        doc = Report(f"Meta-analysis of {file.name}")
        doc.add_input(file)
        add_meta_section(doc, file.stem, results)
        html = doc.render()
    import matplotlib.pyplot as plt

    for fig, path in figures:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=200, bbox_inches="tight")
        plt.close(fig)
    if report:
        from oncostat.report.builder import write_atomic

        write_atomic(report, html.encode("utf-8"))
    if as_json:
        payloads = {name: s.to_dict() for name, s in results.items()}
        _print_json(payloads if outcome else payloads[""])
    else:
        typer.echo("\n\n".join(str(s) for s in results.values()))


class Ties(StrEnum):
    efron = "efron"
    breslow = "breslow"
    exact = "exact"


class ConfType(StrEnum):
    log = "log"
    log_log = "log-log"
    plain = "plain"
    logit = "logit"
    arcsin = "arcsin"


def _names(text: str | None) -> list[str] | None:
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


def _numbers(text: str | None, option: str) -> list[float] | None:
    if not text:
        return None
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"{option}: expected numbers separated by commas, got {text!r}") from None


@app.command()
def survival(
    file: Annotated[Path, typer.Argument(help="Patient table: CSV, TSV, XLSX or Parquet.")],
    time: Annotated[str, typer.Option(help="Column with follow-up time.")],
    event: Annotated[str, typer.Option(help="Column with the event (1) / censored (0) code.")],
    group: Annotated[str | None, typer.Option(help="Column with the arm.")] = None,
    reference: Annotated[str | None, typer.Option(help="Reference arm for HR/RMST.")] = None,
    covariates: Annotated[str | None, typer.Option(help="Cox covariates: a,b,c.")] = None,
    strata: Annotated[str | None, typer.Option(help="Stratify log-rank and Cox.")] = None,
    cluster: Annotated[str | None, typer.Option(help="Cluster-robust SE (e.g. set id).")] = None,
    ties: Annotated[Ties, typer.Option(help="Cox ties method.")] = Ties.efron,
    conf_type: Annotated[ConfType, typer.Option(help="KM interval transform.")] = ConfType.log,
    times: Annotated[str | None, typer.Option(help="Report survival at: 12,24,36.")] = None,
    tau: Annotated[float | None, typer.Option(help="RMST truncation time.")] = None,
    plot: Annotated[Path | None, typer.Option(help="KM plot file (PNG/SVG/PDF).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Kaplan-Meier, log-rank, RMST and Cox model for one endpoint (R survival's numbers)."""
    from oncostat.io.tables import read_table
    from oncostat.survival import survival_summary

    data = read_table(file)
    if reference is not None and group is not None and group in data.columns:
        # Arms read from a file may be numbers; match the reference to the column's type.
        reference = next((g for g in data[group].dropna().unique() if str(g) == reference),
                         reference)
    res = survival_summary(data, time=time, event=event, group=group, reference=reference,
                           covariates=_names(covariates), strata=_names(strata),
                           cluster=cluster, ties=ties.value, conf_type=conf_type.value,
                           times=_numbers(times, "--times"), tau=tau)
    if plot is not None:
        fig = res.plot(times=_numbers(times, "--times"))
        plot.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(plot, dpi=200, bbox_inches="tight")
    if as_json:
        _print_json(res.to_dict())
    else:
        typer.echo(str(res))


class CaliperScale(StrEnum):
    logit = "logit"
    ps = "ps"


class CaliperSd(StrEnum):
    all = "all"
    pooled = "pooled"


class Order(StrEnum):
    largest = "largest"
    smallest = "smallest"
    data = "data"
    random = "random"


class MatchMethod(StrEnum):
    nearest = "nearest"
    optimal = "optimal"
    vector = "vector"


class PsMethod(StrEnum):
    logistic = "logistic"
    probit = "probit"
    l1 = "l1"
    l2 = "l2"


def _caliper(text: str) -> float | None:
    """``0.2`` (SD units) or ``none`` (no caliper, MatchIt's default)."""
    if text.strip().lower() in ("none", "off"):
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"--caliper: expected a number of SD units (0.2) or 'none', "
                         f"got {text!r}") from None


def _ratio(text: str) -> int | dict[str, int]:
    """``2`` or ``BSC=2,PC=2``."""
    try:
        if "=" not in text:
            return int(text)
        return {k.strip(): int(v) for k, v in (p.split("=", 1) for p in text.split(","))}
    except ValueError:
        raise InputError(f"--ratio: expected a whole number (2) or ARM=N pairs (BSC=2,PC=2), "
                         f"got {text!r}") from None


@app.command("match")
def match_command(
    file: Annotated[Path, typer.Argument(help="Patient table: CSV, TSV, XLSX or Parquet.")],
    treatment: Annotated[str, typer.Option(help="Column with the arm.")],
    focal: Annotated[str, typer.Option(help="Arm whose patients receive matches.")],
    covariates: Annotated[str, typer.Option(help="Propensity-model covariates: a,b,c.")],
    ratio: Annotated[str, typer.Option(help="Matches per focal patient: 2 or BSC=2,PC=2.")] =
        "1",
    caliper: Annotated[str, typer.Option(
        help="Caliper in SD units, or 'none' for no caliper.")] = "0.2",
    caliper_scale: Annotated[CaliperScale, typer.Option(help="Caliper scale.")] =
        CaliperScale.logit,
    caliper_sd: Annotated[CaliperSd, typer.Option(help="SD over all units or pooled.")] =
        CaliperSd.all,
    order: Annotated[Order, typer.Option(help="Matching order.")] = Order.largest,
    seed: Annotated[int | None, typer.Option(help="Seed for --order random.")] = None,
    exact: Annotated[str | None, typer.Option(help="Exact-match columns: a,b.")] = None,
    method: Annotated[MatchMethod, typer.Option(help="Matching method.")] =
        MatchMethod.nearest,
    replace: Annotated[bool, typer.Option(help="Match with replacement.")] = False,
    mahalanobis: Annotated[str | None, typer.Option(
        help="Match on the Mahalanobis distance of these columns within the caliper: a,b.")
        ] = None,
    ps_method: Annotated[PsMethod, typer.Option(help="Propensity model.")] =
        PsMethod.logistic,
    keep_incomplete: Annotated[bool, typer.Option(
        help="Keep focal patients without a match from every arm (3+ arms).")] = False,
    id: Annotated[str | None, typer.Option(help="Column of patient ids.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the matched data (CSV).")] = None,
    love: Annotated[Path | None, typer.Option(help="Love plot file (PNG/SVG/PDF).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Propensity-score matching, two or more arms (MatchIt's pairs where it has them)."""
    from oncostat.io.tables import read_table
    from oncostat.matching import match
    from oncostat.report.builder import write_atomic

    data = read_table(file)
    res = match(data, treatment=treatment, focal=focal, covariates=_names(covariates) or [],
                ratio=_ratio(ratio), caliper=_caliper(caliper),
                caliper_scale=caliper_scale.value, caliper_sd=caliper_sd.value,
                order=order.value, seed=seed, exact=_names(exact), method=method.value,
                replace=replace, mahalanobis=_names(mahalanobis), ps_method=ps_method.value,
                keep_incomplete=keep_incomplete, id=id)
    balance = res.balance()
    if love is not None:
        fig = balance.plot()
        love.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(love, dpi=200, bbox_inches="tight")
    if out is not None:
        write_atomic(out, res.matched.to_csv(index=False).encode("utf-8"))
    if as_json:
        payload = res.to_dict()
        payload["balance"] = [
            {"covariate": r.term, "arm": str(r.arm_b), "comparison": f"{r.arm_a} vs {r.arm_b}",
             "smd_before": r.smd_before, "smd_after": r.smd_after,
             "vr_before": r.var_ratio_before, "vr_after": r.var_ratio_after}
            for r in balance.table.itertuples(index=False)]
        from oncostat._results import jsonable

        _print_json(jsonable(payload))
    else:
        typer.echo(f"{res}\n\n{balance}")


class Test(StrEnum):
    auto = "auto"
    chisq = "chisq"
    chisq_yates = "chisq-yates"
    fisher = "fisher"
    t = "t"
    welch = "welch"
    anova = "anova"
    wilcoxon = "wilcoxon"
    kruskal = "kruskal"


@app.command()
def table1(
    file: Annotated[Path, typer.Argument(help="Patient table: CSV, TSV, XLSX or Parquet.")],
    group: Annotated[str, typer.Option(help="Column with the arm.")],
    variables: Annotated[str | None, typer.Option("--vars", help="Rows: a,b,c.")] = None,
    categorical: Annotated[str | None, typer.Option(help="Force categorical: a,b.")] = None,
    nonnormal: Annotated[str | None, typer.Option(
        help="Median (IQR) + rank test: a,b | all | auto.")] = None,
    test: Annotated[Test, typer.Option(help="Test for every variable of its kind.")] = Test.auto,
    smd: Annotated[bool, typer.Option("--smd/--no-smd", help="SMD column.")] = True,
    out: Annotated[Path | None, typer.Option(help="Write .docx, .xlsx or .csv.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Baseline table by arm with tests and SMDs (Table 1)."""
    from oncostat.cohort import table1 as make_table1
    from oncostat.io.tables import read_table

    writers = {".docx": "to_docx", ".xlsx": "to_xlsx", ".csv": "to_csv"}
    if out is not None and out.suffix.lower() not in writers:
        raise InputError(f"--out: expected a .docx, .xlsx or .csv file, got {out.name!r}")
    keep = nonnormal if nonnormal in ("all", "auto") else _names(nonnormal)
    res = make_table1(read_table(file), group=group, variables=_names(variables),
                      categorical=_names(categorical), nonnormal=keep, tests=test.value,
                      smd=smd)
    if out is not None:
        getattr(res, writers[out.suffix.lower()])(out)
    if as_json:
        _print_json(res.to_dict())
    else:
        typer.echo(str(res))


@app.command()
def run(
    study: Annotated[list[Path], typer.Argument(help="Study file(s) (TOML).")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out"),
) -> None:
    """Run study files; write the HTML report, tables and figures; print the report paths."""
    from oncostat.study.runner import run_study

    for path in study:
        typer.echo(run_study(path, out))


review_app = typer.Typer(no_args_is_help=True,
                         help="Systematic-review store: import, de-duplicate, PRISMA.")
app.add_typer(review_app, name="review")


class Policy(StrEnum):
    most_complete = "most_complete"
    source_priority = "source_priority"
    earliest = "earliest"


@review_app.command("init")
def review_init(store: Annotated[Path, typer.Argument(help="New review store (SQLite).")]
                ) -> None:
    """Create an empty review store."""
    from oncostat.review import ReviewStore

    with ReviewStore.create(store) as s:
        typer.echo(f"Created review store {store} (schema version {s.schema_version})")


@review_app.command("import")
def review_import(
    store: Annotated[Path, typer.Argument(help="Review store.")],
    files: Annotated[list[Path], typer.Argument(help="Export files (RIS, nbib, BibTeX, ...).")],
    database: Annotated[str, typer.Option(help="Database searched, e.g. PubMed.")],
    search_date: Annotated[str | None, typer.Option(help="Date of the search.")] = None,
    format: Annotated[str | None, typer.Option(help="Force a format (default: detect).")] = None,
    encoding: Annotated[str | None, typer.Option(help="Force an encoding.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Import search exports; each file is one transaction (a failed file changes nothing)."""
    from oncostat.review import ReviewStore, import_file

    with ReviewStore.open(store) as s:
        results = [import_file(s, f, database=database, search_date=search_date,
                               format=format, encoding=encoding) for f in files]
    if as_json:
        _print_json([r.to_dict() for r in results])
    else:
        typer.echo("\n".join(str(r) for r in results))


@review_app.command("dedup")
def review_dedup(
    store: Annotated[Path, typer.Argument(help="Review store.")],
    policy: Annotated[Policy, typer.Option(help="Representative of each cluster.")] =
        Policy.most_complete,
    source_priority: Annotated[str | None, typer.Option(
        help="Databases in order of preference: PubMed,Embase.")] = None,
    clusters_out: Annotated[Path | None, typer.Option(
        help="Write record_id,cluster_id for every record.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Cluster duplicate records (nothing is deleted); manual decisions are replayed."""
    from oncostat.report.builder import write_atomic
    from oncostat.review import ReviewStore, deduplicate

    with ReviewStore.open(store) as s:
        res = deduplicate(s, policy=policy.value, source_priority=_names(source_priority))
    if clusters_out is not None:
        write_atomic(clusters_out, res.cluster_table().to_csv(index=False).encode("utf-8"))
    if as_json:
        _print_json(res.to_dict())
    else:
        typer.echo(str(res))


@review_app.command("prisma")
def review_prisma(
    store: Annotated[Path, typer.Argument(help="Review store.")],
    screening: Annotated[Path | None, typer.Option(
        help="CSV of decisions: record_id, stage, decision, reason.")] = None,
    meta_analysis: Annotated[int | None, typer.Option(
        help="Studies included in the meta-analysis.")] = None,
    per_database: Annotated[bool, typer.Option(help="One line per database.")] = True,
    out: Annotated[list[Path] | None, typer.Option(help="Diagram file(s): SVG, PNG, PDF.")] =
        None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """PRISMA 2020 flow diagram, every count derived from the store."""
    from oncostat.review import ReviewStore, prisma_counts

    with ReviewStore.open(store) as s:
        counts = prisma_counts(s, screening=screening, studies_in_meta_analysis=meta_analysis)
    if out:
        fig = counts.plot(per_database=per_database)
        for path in out:
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, dpi=200)
    if as_json:
        _print_json(counts.to_dict())
    else:
        typer.echo(str(counts))


screen_app = typer.Typer(no_args_is_help=True, help="Dual screening: queues, decisions, "
                         "conflicts, adjudication, agreement.")
review_app.add_typer(screen_app, name="screen")
rob_app = typer.Typer(no_args_is_help=True, help="Risk of bias: RoB 1, RoB 2, ROBINS-I.")
review_app.add_typer(rob_app, name="rob")
extract_app = typer.Typer(no_args_is_help=True, help="Extraction and hand-off to meta.")
review_app.add_typer(extract_app, name="extract")


class Stage(StrEnum):
    title_abstract = "title_abstract"
    full_text = "full_text"


class Maybe(StrEnum):
    include = "include"
    exclude = "exclude"
    separate = "separate"


class RobTool(StrEnum):
    rob1 = "rob1"
    rob2 = "rob2"
    robins_i = "robins_i"


StorePath = Annotated[Path, typer.Argument(help="Review store.")]
StageOpt = Annotated[Stage, typer.Option(help="Screening stage.")]


@screen_app.command("export")
def screen_export(store: StorePath, reviewer: Annotated[str, typer.Option()], stage: StageOpt,
                  out: Annotated[Path, typer.Option("--out", "-o", help="CSV or XLSX.")],
                  prioritise: Annotated[bool, typer.Option(
                      help="Order by relevance learned from decisions so far.")] = False
                  ) -> None:
    """Write a reviewer's queue (blinded: no other reviewer's decisions)."""
    from oncostat.review import ReviewStore
    from oncostat.review.screening import export_queue

    with ReviewStore.open(store) as s:
        queue = export_queue(s, reviewer, stage.value, out, prioritise=prioritise)
    typer.echo(f"{len(queue)} records to screen written to {out}")


@screen_app.command("import")
def screen_import(store: StorePath, file: Annotated[Path, typer.Argument()],
                  reviewer: Annotated[str, typer.Option()], stage: StageOpt,
                  adjudication: Annotated[bool, typer.Option(
                      help="The file holds a third reviewer's adjudications.")] = False
                  ) -> None:
    """Import decisions (one transaction: a bad row imports nothing)."""
    from oncostat.review import ReviewStore
    from oncostat.review.screening import import_decisions

    with ReviewStore.open(store) as s:
        typer.echo(import_decisions(s, file, reviewer, stage.value, adjudication=adjudication))


@screen_app.command("conflicts")
def screen_conflicts(store: StorePath, stage: StageOpt,
                     out: Annotated[Path | None, typer.Option("--out", "-o")] = None,
                     unresolved: Annotated[bool, typer.Option(help="Only unresolved.")] = False
                     ) -> None:
    """List records on which the reviewers disagree (the adjudicator's sheet)."""
    from oncostat.report.builder import write_atomic
    from oncostat.review import ReviewStore
    from oncostat.review.screening import conflicts

    with ReviewStore.open(store) as s:
        table = conflicts(s, stage.value, unresolved_only=unresolved)
    if out is not None:
        write_atomic(out, table.to_csv(index=False).encode("utf-8"))
    typer.echo(table.to_string(index=False) if len(table) else "No conflicts.")


@screen_app.command("agreement")
def screen_agreement(store: StorePath, stage: StageOpt,
                     maybe: Annotated[Maybe, typer.Option(help="How 'maybe' counts.")] =
                     Maybe.include,
                     as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Cohen's kappa with CI and PABAK between the two reviewers."""
    from oncostat.review import ReviewStore
    from oncostat.review.agreement import agreement

    with ReviewStore.open(store) as s:
        res = agreement(s, stage.value, maybe=maybe.value)
    if as_json:
        _print_json(res.to_dict())
    else:
        typer.echo(str(res))


@rob_app.command("import")
def rob_import(store: StorePath, file: Annotated[Path, typer.Argument()],
               assessor: Annotated[str, typer.Option()],
               tool: Annotated[RobTool, typer.Option()] = RobTool.rob1,
               consensus: Annotated[bool, typer.Option(help="Consensus judgements.")] = False
               ) -> None:
    """Import an assessor's judgements (or answers, for RoB 2) for every study."""
    from oncostat.review import ReviewStore
    from oncostat.review.rob import import_rob

    with ReviewStore.open(store) as s:
        n = import_rob(s, file, assessor, tool.value, consensus=consensus)
    typer.echo(f"{n} judgements imported")


@rob_app.command("table")
def rob_table(store: StorePath, tool: Annotated[RobTool, typer.Option()] = RobTool.rob1,
              out: Annotated[Path | None, typer.Option("--out", "-o")] = None,
              traffic_light: Annotated[Path | None, typer.Option()] = None,
              summary: Annotated[Path | None, typer.Option()] = None,
              palette: Annotated[str, typer.Option(help="cochrane or colourblind.")] =
              "cochrane") -> None:
    """Settled judgements per study and domain; traffic-light and summary plots."""
    from oncostat.plot.rob import rob_summary, rob_traffic_light
    from oncostat.report.builder import write_atomic
    from oncostat.review import ReviewStore
    from oncostat.review.rob import consensus_rob

    with ReviewStore.open(store) as s:
        table = consensus_rob(s, tool.value)
    for path, draw in ((traffic_light, rob_traffic_light), (summary, rob_summary)):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            draw(table, palette=palette).savefig(path, dpi=200, bbox_inches="tight")
    if out is not None:
        write_atomic(out, table.to_csv().encode("utf-8"))
    typer.echo(table.to_string())


@extract_app.command("import")
def extract_import(store: StorePath, file: Annotated[Path, typer.Argument()],
                   extractor: Annotated[str, typer.Option()]) -> None:
    """Import an extraction form (one row per study, report and outcome)."""
    from oncostat.review import ReviewStore
    from oncostat.review.extraction import import_extraction

    with ReviewStore.open(store) as s:
        n = import_extraction(s, file, extractor)
    typer.echo(f"{n} extraction rows imported")


@extract_app.command("export")
def extract_export(store: StorePath, outcome: Annotated[str, typer.Option()],
                   out: Annotated[Path, typer.Option("--out", "-o")],
                   rob_tool: Annotated[RobTool | None, typer.Option()] = RobTool.rob1) -> None:
    """Write the study-level table that `oncostat meta` reads (with RoB columns)."""
    from oncostat.report.builder import write_atomic
    from oncostat.review import ReviewStore
    from oncostat.review.extraction import export_meta_table

    with ReviewStore.open(store) as s:
        table = export_meta_table(s, outcome, rob_tool=rob_tool.value if rob_tool else None)
    write_atomic(out, table.to_csv(index=False).encode("utf-8"))
    typer.echo(f"{len(table)} studies written to {out}")


def main(argv: list[str] | None = None) -> int:
    """Console entry point: OncostatError -> one line on stderr, exit 1; usage -> exit 2."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.formatwarning = _one_line_warning  # type: ignore[assignment]
            app(args=argv, standalone_mode=False)
    except OncostatError as exc:
        typer.echo(f"{type(exc).__name__}: {exc}", err=True)
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        return 1
    except typer.TyperException as exc:  # usage errors (exit 2) print their own help text
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            typer.echo(str(exc), err=True)
        return exc.exit_code
    return 0


def _one_line_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any
                      ) -> str:
    return f"{category.__name__}: {message}\n"


def entry() -> None:
    """``[project.scripts]`` target."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()

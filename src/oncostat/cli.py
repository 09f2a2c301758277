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
    for fig, path in figures:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=200, bbox_inches="tight")
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
    caliper: Annotated[float | None, typer.Option(help="Caliper in SD units.")] = 0.2,
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
                ratio=_ratio(ratio), caliper=caliper, caliper_scale=caliper_scale.value,
                caliper_sd=caliper_sd.value, order=order.value, seed=seed,
                exact=_names(exact), method=method.value, replace=replace, id=id)
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

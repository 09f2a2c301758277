"""The ``oncostat`` command line: parse, call the public API, print or write.

Every command prints ``str(result)``, or one JSON object with ``--json``. An
:class:`~oncostat.errors.OncostatError` is printed as one line on stderr with exit
status 1; usage errors exit with status 2.
"""

from __future__ import annotations

import json
import sys
import warnings
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from oncostat.errors import OncostatError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="oncostat: publication-ready evidence on oncology treatments.")


class MeasureOpt(str, Enum):
    OR = "OR"
    RR = "RR"
    RD = "RD"
    MD = "MD"
    SMD = "SMD"
    GEN = "GEN"


class MethodOpt(str, Enum):
    MH = "MH"
    Peto = "Peto"
    IV = "IV"


class ModelOpt(str, Enum):
    fixed = "fixed"
    random = "random"


class Tau2Opt(str, Enum):
    DL = "DL"
    REML = "REML"
    ML = "ML"
    PM = "PM"
    SJ = "SJ"
    HE = "HE"
    HS = "HS"
    EB = "EB"


def _emit(payload: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(payload, indent=2, allow_nan=False))
    else:
        typer.echo(payload)


def _column_options(spec: list[str] | None) -> dict[str, str]:
    """``--column events_treat=tpos`` pairs into keyword arguments."""
    from oncostat.errors import InputError

    out: dict[str, str] = {}
    for item in spec or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise InputError(f"--column: expected ROLE=NAME (e.g. events_treat=tpos), got {item!r}")
        out[key.strip()] = value.strip()
    return out


@app.command()
def meta(
    file: Annotated[Path, typer.Argument(help="Study table: CSV, TSV, XLSX or Parquet.")],
    measure: Annotated[MeasureOpt, typer.Option(help="Effect measure.")] = MeasureOpt.OR,
    method: Annotated[MethodOpt, typer.Option(help="Pooling method.")] = MethodOpt.MH,
    model: Annotated[ModelOpt, typer.Option(help="Fixed or random effects.")] = ModelOpt.fixed,
    tau2: Annotated[Tau2Opt, typer.Option(help="tau² estimator (random effects).")] = Tau2Opt.DL,
    hakn: Annotated[bool, typer.Option(help="Hartung-Knapp adjustment.")] = False,
    revman: Annotated[bool | None, typer.Option(
        "--revman/--metafor", help="RevMan 5 or metafor conventions [default: RevMan for MH]"
    )] = None,
    ratio: Annotated[bool, typer.Option(help="GEN estimates are ratios (HR, OR...).")] = False,
    subgroup: Annotated[str | None, typer.Option(help="Column with subgroups.")] = None,
    outcome: Annotated[str | None, typer.Option(
        help="Column naming the outcome; one analysis per outcome.")] = None,
    leave_one_out: Annotated[bool, typer.Option("--leave-one-out")] = False,
    cumulative: Annotated[bool, typer.Option(help="Cumulative analysis by year.")] = False,
    influence: Annotated[bool, typer.Option(help="Influence diagnostics.")] = False,
    small_study: Annotated[bool, typer.Option(
        "--small-study", help="Egger, Begg, Peters tests and trim-and-fill.")] = False,
    column: Annotated[list[str] | None, typer.Option(
        help="Column name for a role, e.g. --column events_treat=tpos (repeatable).")] = None,
    level: Annotated[float, typer.Option(help="Confidence level.")] = 0.95,
    forest: Annotated[Path | None, typer.Option(help="Write the forest plot (PNG/SVG/PDF).")] = None,
    funnel: Annotated[Path | None, typer.Option(help="Write the funnel plot.")] = None,
    report: Annotated[Path | None, typer.Option(help="Write a self-contained HTML report.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Meta-analysis of a study table (RevMan- and metafor-grade numbers)."""
    from oncostat.io.tables import read_table
    from oncostat.report.meta_section import MetaRequest, run_meta

    request = MetaRequest(
        options={"measure": measure.value, "method": method.value, "model": model.value,
                 "tau2_method": tau2.value, "hakn": hakn, "revman": revman, "ratio": ratio,
                 "confidence_level": level, **_column_options(column)},
        subgroup=subgroup, outcome=outcome, leave_one_out=leave_one_out,
        cumulative=cumulative, influence=influence, small_study=small_study)
    data = read_table(file)
    outcome_results = run_meta(data, request)
    if forest or funnel or report:
        from oncostat.report.meta_section import write_meta_outputs

        write_meta_outputs(outcome_results, request, source=file, forest=forest,
                           funnel=funnel, report=report)
    if as_json:
        payload = {name: res.to_dict() for name, res in outcome_results.items()}
        _emit(payload if outcome else next(iter(payload.values())), True)
    else:
        _emit("\n\n".join(str(r) for r in outcome_results.values()), False)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the reports.")] = Path("out"),
) -> None:
    """Run the bundled examples end to end and print the reports' paths."""
    from oncostat.examples import run_examples

    for path in run_examples(out):
        typer.echo(path)


def main(argv: list[str] | None = None) -> int:
    """Console entry point: OncostatError -> one line on stderr, exit 1."""
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
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return 0


def _one_line_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any
                      ) -> str:
    return f"{category.__name__}: {message}\n"


def run() -> None:
    """``[project.scripts]`` target."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()

"""Execute a study file: run every analysis, then write the report, tables and figures.

All analyses run before anything is written, so bad data stops the run with nothing on
disk; the report itself is written atomically.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from oncostat._validate import require_columns
from oncostat.errors import InputError
from oncostat.io.tables import read_table
from oncostat.meta.summary import MetaSummary, summarise, summarise_by
from oncostat.report.builder import Report
from oncostat.study.spec import MetaSpecFile, load_study

__all__ = ["run_study"]


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[str], None]]:
    """A rich progress bar on a terminal; silent otherwise."""
    if not sys.stderr.isatty():
        yield lambda _desc: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda desc: bar.update(task, advance=1, description=desc)


def _run_meta(spec: MetaSpecFile, folder: Path) -> dict[str, MetaSummary]:
    data = read_table(folder / spec.data)
    opts = spec.options()
    if spec.outcome is None:
        return {"": summarise(data, **opts)}
    results = summarise_by(data, outcome=spec.outcome, **opts)
    if spec.outcomes is not None:
        missing = [o for o in spec.outcomes if o not in results]
        if missing:
            raise InputError(f"{spec.data}: column {spec.outcome!r} has no rows for outcome "
                             f"{missing[0]!r}; it has {', '.join(map(repr, results))}")
        results = {o: results[o] for o in spec.outcomes}
    return results


def _read_rob(path: Path) -> pd.DataFrame:
    """Risk-of-bias table: one row per study, one column per domain (``year`` is ignored).

    Domain names written as identifiers (``allocation_concealment``) are shown as words.
    """
    table = read_table(path)
    require_columns(table, ["study"], what=str(path))
    table = table.drop(columns=[c for c in ("year",) if c in table.columns]).set_index("study")
    return table.rename(columns=lambda c: str(c).replace("_", " ").capitalize())


def run_study(path: str | Path, out: str | Path) -> Path:
    """Run the study file at ``path``; write ``<out>/<stem>.html`` plus tables and figures.

    Returns the report's path.
    """
    from oncostat.report.meta_section import add_meta_section

    study, folder = load_study(path)
    stem = Path(path).stem if Path(path).stem != "study" else Path(path).parent.name
    out = Path(out)
    computed = []
    with _progress(len(study.meta), f"Running {stem}") as step:
        for spec in study.meta:
            rob = _read_rob(folder / spec.rob) if spec.rob else None
            computed.append((spec, _run_meta(spec, folder), rob))
            step(spec.name)
    report = Report(study.title, study.subtitle)
    report.add_input(path)
    for spec, summaries, rob in computed:
        report.add_input(folder / spec.data)
        add_meta_section(report, spec.name, summaries, description=spec.description, rob=rob,
                         favours=spec.favours, prediction=spec.prediction)
    target = report.write(out / f"{stem}.html")
    report.export_tables(out / f"{stem}_tables")
    figures = out / f"{stem}_figures"
    figures.mkdir(parents=True, exist_ok=True)
    for name, fig in report.figures.items():
        for ext in ("png", "svg", "pdf"):
            fig.savefig(figures / f"{name}.{ext}", dpi=200, bbox_inches="tight")
    return target

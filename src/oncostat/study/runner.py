"""Execute a study file: run every analysis, then write the report, tables and figures.

All analyses run before anything is written, so bad data stops the run with nothing on
disk; the report itself is written atomically.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from oncostat._validate import require_columns
from oncostat.errors import InputError
from oncostat.io.tables import read_table
from oncostat.meta.summary import MetaSummary, summarise, summarise_by
from oncostat.report.builder import Report, software_versions, write_atomic
from oncostat.study.cohort import add_cohort_sections, run_cohort
from oncostat.study.spec import MetaSpecFile, ReviewSpecFile, load_study

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


def _run_meta(spec: MetaSpecFile, folder: Path, review: _ReviewRun | None
              ) -> dict[str, MetaSummary]:
    opts = spec.options()
    if spec.review_outcome is not None:
        assert review is not None  # load_study checked it
        from oncostat.review.extraction import drop_high_risk

        table = review.tables[spec.review_outcome]
        results = {spec.review_outcome: summarise(table, **opts)}
        if spec.exclude_high_risk:
            kept = drop_high_risk(table)
            label = f"{spec.review_outcome}, excluding studies at high risk of bias"
            if kept.empty:
                raise InputError(f"meta {spec.name!r}: exclude_high_risk: every study of "
                                 f"{spec.review_outcome!r} is at high risk of bias")
            results[label] = summarise(kept, **opts)
        return results
    data = read_table(folder / spec.data)
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


@dataclass(frozen=True, slots=True)
class _ReviewRun:
    spec: ReviewSpecFile
    imports: list[Any]
    dedup: Any
    counts: Any
    screening: list[Any]  # ScreeningImport per [[review.decisions]] file
    agreement: dict[str, Any]  # stage -> Agreement of the two reviewers
    conflicts: dict[str, pd.DataFrame]  # stage -> conflicts and their adjudication
    rob: pd.DataFrame | None  # settled judgements, study x domain (+ Overall)
    tables: dict[str, pd.DataFrame]  # outcome -> export_meta_table
    store: bytes  # the SQLite file, written beside the report


def _run_review(spec: ReviewSpecFile, folder: Path, outcomes: list[str]) -> _ReviewRun:
    """Import, de-duplicate, screen, assess and extract in a fresh store built in a
    temporary folder; ``outcomes`` are exported for the meta-analyses."""
    from oncostat.review import ReviewStore, deduplicate, import_file, prisma_counts
    from oncostat.review.agreement import agreement
    from oncostat.review.extraction import export_meta_table, import_extraction
    from oncostat.review.rob import consensus_rob, import_rob
    from oncostat.review.screening import conflicts, import_decisions

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "review.db"
        with ReviewStore.create(db) as store:
            imports = [import_file(store, folder / src.file, database=src.database,
                                   search_date=src.search_date, format=src.format)
                       for src in spec.sources]
            result = deduplicate(store, policy=spec.policy)
            screened = [import_decisions(store, folder / d.file, d.reviewer, d.stage,
                                         adjudication=d.adjudication) for d in spec.decisions]
            stages = list(dict.fromkeys(d.stage for d in spec.decisions if not d.adjudication))
            agreements = {stage: agreement(store, stage, maybe=spec.maybe) for stage in stages}
            disputes = {stage: conflicts(store, stage) for stage in stages}
            for r in spec.rob:
                import_rob(store, folder / r.file, r.assessor, r.tool, consensus=r.consensus)
            tool = spec.rob[0].tool if spec.rob else None
            rob = consensus_rob(store, tool) if tool else None
            for e in spec.extraction:
                import_extraction(store, folder / e.file, e.extractor)
            tables = {o: export_meta_table(store, o, rob_tool=tool) for o in outcomes}
            screening = folder / spec.screening if spec.screening else None
            counts = prisma_counts(store, screening=screening,
                                   studies_in_meta_analysis=spec.meta_analysis)
        return _ReviewRun(spec, imports, result, counts, screened, agreements, disputes, rob,
                          tables, db.read_bytes())


def _meta_rob(spec: MetaSpecFile, folder: Path, review: _ReviewRun | None
              ) -> pd.DataFrame | None:
    """The forest plot's risk-of-bias columns: from the review's settled judgements for a
    ``review_outcome``, else from the ``rob`` table."""
    if spec.review_outcome is not None and review is not None and review.rob is not None:
        from oncostat.review.extraction import rob_columns

        return rob_columns(review.tables[spec.review_outcome])
    return _read_rob(folder / spec.rob) if spec.rob else None


def run_study(path: str | Path, out: str | Path) -> Path:
    """Run the study file at ``path``; write ``<out>/<stem>.html``, its tables and figures,
    ``<stem>_manifest.json`` (software versions, input SHA-256, settings incl. seeds) and
    ``<stem>_review.db`` (the review store) when the study has a ``[review]``.

    Returns the report's path.
    """
    from oncostat.report.meta_section import add_meta_section

    study, folder = load_study(path)
    stem = Path(path).stem if Path(path).stem != "study" else Path(path).parent.name
    out = Path(out)
    cohort = run_cohort(study.cohort, folder) if study.cohort else None
    outcomes = list(dict.fromkeys(m.review_outcome for m in study.meta if m.review_outcome))
    review = _run_review(study.review, folder, outcomes) if study.review else None
    computed = []
    with _progress(len(study.meta), f"Running {stem}") as step:
        for spec in study.meta:
            computed.append((spec, _run_meta(spec, folder, review), _meta_rob(spec, folder,
                                                                               review)))
            step(spec.name)

    report = Report(study.title, study.subtitle)
    report.add_input(path)
    if cohort is not None:
        for file in cohort.files:
            report.add_input(file)
        add_cohort_sections(report, cohort)
    if review is not None:
        from oncostat.report.review_section import add_review_section

        rs = review.spec
        for rel in ([src.file for src in rs.sources] + [rs.screening] +
                    [e.file for e in (*rs.decisions, *rs.rob, *rs.extraction)]):
            if rel is not None:
                report.add_input(folder / rel)
        add_review_section(report, rs.name, review.imports, review.dedup, review.counts,
                           description=rs.description, agreement=review.agreement,
                           conflicts=review.conflicts, screening=review.screening,
                           rob=review.rob, rob_tool=rs.rob[0].tool if rs.rob else None)
    for spec, summaries, rob in computed:
        if spec.data is not None:
            report.add_input(folder / spec.data)
        add_meta_section(report, spec.name, summaries, description=spec.description, rob=rob,
                         favours=spec.favours, prediction=spec.prediction)

    target = report.write(out / f"{stem}.html")
    write_atomic(out / f"{stem}_manifest.json", json.dumps(
        {"study": str(path), "software": software_versions(), "inputs": report.inputs,
         "settings": study.model_dump(mode="json")}, indent=2).encode("utf-8"))
    if review is not None:
        write_atomic(out / f"{stem}_review.db", review.store)
    report.export_tables(out / f"{stem}_tables")
    figures = out / f"{stem}_figures"
    figures.mkdir(parents=True, exist_ok=True)
    import matplotlib.pyplot as plt

    for name, fig in report.figures.items():
        for ext in ("png", "svg", "pdf"):
            fig.savefig(figures / f"{name}.{ext}", dpi=200, bbox_inches="tight")
        plt.close(fig)
    return target

"""Data extraction per study, report and outcome, and the hand-off to ``oncostat meta``.

An extraction row holds one outcome of one study, as reported in one report (a record of
the store): events and totals per arm (binary), mean, SD and n per arm (continuous), or
an estimate with its CI or SE (generic inverse variance), in the column names that
:func:`oncostat.meta.meta_analysis` reads [1]_. Other columns of the extraction file
(subgroups such as HCC stage or radiotherapy technique) are kept with the row. Rows are
appended; a later row for the same study and outcome supersedes earlier ones, which stay
in the ledger.

:func:`export_meta_table` joins the latest rows of one outcome with the settled
risk-of-bias judgements (:func:`oncostat.review.rob.consensus_rob`), so that a forest
plot can show the RoB columns and a sensitivity analysis can drop high-risk studies.

References
----------
.. [1] Li T, Higgins JPT, Deeks JJ. Chapter 5: Collecting data. In: Higgins JPT, Thomas J,
       et al. (eds). Cochrane Handbook for Systematic Reviews of Interventions, version
       6.4. Cochrane; 2023.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

import pandas as pd

from oncostat.errors import InputError
from oncostat.review._migrations import now
from oncostat.review.rob import OVERALL, ToolName, consensus_rob
from oncostat.review.screening import read_table

if TYPE_CHECKING:
    from pathlib import Path

    from oncostat.review.store import ReviewStore

__all__ = ["ROB_PREFIX", "drop_high_risk", "export_meta_table", "import_extraction",
           "record_extraction", "rob_columns"]

KINDS: dict[str, tuple[str, ...]] = {
    "binary": ("events_treat", "total_treat", "events_ctrl", "total_ctrl"),
    "continuous": ("mean_treat", "sd_treat", "n_treat", "mean_ctrl", "sd_ctrl", "n_ctrl"),
    "generic": ("estimate", "ci_low", "ci_high", "yi", "sei"),
}
_META = ("study", "year", "outcome", "record_id", "note")
ROB_PREFIX = "RoB: "
"""Prefix of the risk-of-bias columns of :func:`export_meta_table`."""


def _number(value: str, where: str, column: str, *, integer: bool = False) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or (integer and (number < 0 or number != int(number))):
        raise InputError(f"{where}, column {column!r}: expected "
                         f"{'a count >= 0' if integer else 'a number'}, got {value!r}")
    return number


def _arm_data(cells: dict[str, str], where: str) -> tuple[str, dict[str, float]]:
    filled = {k for k, cols in KINDS.items() if any(cells.get(c, "") for c in cols)}
    if len(filled) != 1:
        raise InputError(f"{where}: expected the data of one kind: events and totals "
                         f"({', '.join(KINDS['binary'])}), means "
                         f"({', '.join(KINDS['continuous'])}) or an estimate (estimate, ci_low, "
                         f"ci_high, or yi, sei); got "
                         f"{' and '.join(sorted(filled)) or 'none'}")
    kind = filled.pop()
    need = KINDS[kind]
    if kind == "generic":
        need = ("yi", "sei") if cells.get("yi", "") else ("estimate", "ci_low", "ci_high")
    data = {}
    for column in need:
        if not cells.get(column, ""):
            raise InputError(f"{where}, column {column!r}: empty; {kind} data need "
                             f"{', '.join(need)}")
        data[column] = _number(cells[column], where, column,
                               integer=column.startswith(("events", "total", "n_")))
    if kind == "binary":
        for arm in ("treat", "ctrl"):
            if data[f"events_{arm}"] > data[f"total_{arm}"]:
                raise InputError(f"{where}, column 'events_{arm}': {cells[f'events_{arm}']} "
                                 f"events out of {cells[f'total_{arm}']}")
    if kind == "continuous":
        for column in ("sd_treat", "sd_ctrl"):
            if data[column] <= 0:
                raise InputError(f"{where}, column {column!r}: expected an SD > 0, got "
                                 f"{cells[column]!r}")
    if kind == "generic" and "ci_low" in data and not \
            data["ci_low"] <= data["estimate"] <= data["ci_high"]:
        raise InputError(f"{where}: expected ci_low <= estimate <= ci_high, got "
                         f"{cells['ci_low']}, {cells['estimate']}, {cells['ci_high']}")
    return kind, data


def import_extraction(store: ReviewStore, path: str | Path | pd.DataFrame,
                      extractor: str) -> int:
    """Add extraction rows (CSV, XLSX or DataFrame) to the ledger, all or nothing.

    Parameters
    ----------
    store : ReviewStore
    path : str, Path or DataFrame
        One row per study and outcome: ``study``, ``outcome``, optional ``year``,
        ``record_id`` (the report: a store id or the record's id in its export file),
        ``note``, the data of one kind
        (``events_treat, total_treat, events_ctrl, total_ctrl``; ``mean_treat, sd_treat,
        n_treat, mean_ctrl, sd_ctrl, n_ctrl``; ``estimate, ci_low, ci_high`` or ``yi,
        sei``), and any other columns (subgroups), kept as text.
    extractor : str

    Returns
    -------
    int
        The ledger import id.

    Raises
    ------
    InputError
        Naming the row and column: a missing study or outcome, an unknown record, data of
        no or several kinds, a count that is not a whole number >= 0, more events than
        participants, an SD <= 0, an estimate outside its CI.
    """
    extractor = str(extractor).strip()
    if not extractor:
        raise InputError("extractor: expected a name, got an empty string")
    frame, name, digest = read_table(path)
    for column in ("study", "outcome"):
        if column not in frame.columns:
            raise InputError(f"{name}: column {column!r} is missing; expected study, "
                             f"outcome and the data columns")
    known = store.id_lookup()
    data_columns = {c for cols in KINDS.values() for c in cols}
    subgroup_columns = [c for c in frame.columns if c not in data_columns and c not in _META]
    rows = []
    stamp = now()
    for i, cells in enumerate(frame.to_dict(orient="records"), start=1):
        where = f"{name}: row {i}"
        for column in ("study", "outcome"):
            if not cells[column]:
                raise InputError(f"{where}, column {column!r}: empty")
        kind, data = _arm_data(cells, where)
        year = cells.get("year", "")
        record = cells.get("record_id", "")
        if record and record not in known:
            raise InputError(f"{where}, column 'record_id': {record!r} is not a record of "
                             f"{store.path.name} (expected its store id or its id in the "
                             f"export file)")
        rows.append({"study": cells["study"],
                     "year": int(_number(year, where, "year", integer=True)) if year else None,
                     "record_id": known[record] if record else None,
                     "outcome": cells["outcome"], "kind": kind, "data": json.dumps(data),
                     "subgroups": json.dumps({c: cells[c] for c in subgroup_columns}),
                     "extractor": extractor, "note": cells.get("note", ""),
                     "extracted_at": stamp})
    return store.append_ledger("extractions", rows,
                               {"kind": "extraction", "file": name, "sha256": digest,
                                "actor": extractor, "settings": {}}) or 0


def record_extraction(store: ReviewStore, study: str, outcome: str, extractor: str, *,
                      year: int | None = None, record_id: int | None = None,
                      note: str = "", subgroups: dict[str, str] | None = None,
                      **data: float) -> int:
    """Record one study's outcome data (keyword arguments in the column names of
    :func:`import_extraction`), through the same checks."""
    row = {"study": study, "outcome": outcome, "year": "" if year is None else str(year),
           "record_id": "" if record_id is None else str(record_id), "note": note,
           **{k: str(v) for k, v in data.items()}, **(subgroups or {})}
    return import_extraction(store, pd.DataFrame([row]), extractor)


def export_meta_table(store: ReviewStore, outcome: str, *,
                      rob_tool: ToolName | None = "rob1") -> pd.DataFrame:
    """The study-level table of one outcome, as :func:`oncostat.meta.meta_analysis` reads.

    Parameters
    ----------
    store : ReviewStore
    outcome : str
    rob_tool : {"rob1", "rob2", "robins_i"} or None, default "rob1"
        Add the settled judgements of this tool (for ``outcome``, falling back to the
        study-level ones), one column per domain plus Overall, named ``"RoB: <domain>"``;
        None adds none.

    Returns
    -------
    DataFrame
        ``study, year``, the data columns of the outcome's kind, the subgroup columns,
        ``record_id``, then the RoB columns; studies in order of first extraction.
        :func:`rob_columns` turns the RoB columns into the ``rob`` table of
        :func:`oncostat.plot.forest`.

    Raises
    ------
    InputError
        No extraction for ``outcome``, or studies of different kinds.
    """
    ledger = store.extractions()
    rows = ledger[ledger["outcome"] == outcome]
    if rows.empty:
        known = ", ".join(map(repr, dict.fromkeys(ledger["outcome"]))) or "none"
        raise InputError(f"outcome: no extraction for {outcome!r} (extracted: {known})")
    order = list(dict.fromkeys(rows["study"]))
    latest = rows.groupby("study", sort=False).tail(1).set_index("study").loc[order]
    kinds = set(latest["kind"])
    if len(kinds) > 1:
        raise InputError(f"outcome {outcome!r}: studies were extracted as "
                         f"{' and '.join(sorted(kinds))}; one meta-analysis needs one kind")
    data = pd.DataFrame([json.loads(d) for d in latest["data"]], index=latest.index)
    for column in data.columns:
        if column.startswith(("events", "total", "n_")):
            data[column] = data[column].astype("int64")
    subgroups = pd.DataFrame([json.loads(s) for s in latest["subgroups"]], index=latest.index)
    table = pd.concat([latest[["year"]], data, subgroups, latest[["record_id"]]], axis=1)
    table = table.reset_index()
    if rob_tool is not None:
        rob = consensus_rob(store, rob_tool, outcome=outcome)
        rob.columns = [ROB_PREFIX + c for c in rob.columns]
        table = table.merge(rob, left_on="study", right_index=True, how="left")
    return table


def rob_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The ``"RoB: ..."`` columns of :func:`export_meta_table`, indexed by study, with the
    prefix dropped: the ``rob`` argument of :func:`oncostat.plot.forest`. Empty cells
    (unsettled judgements) draw nothing."""
    columns = [c for c in table.columns if str(c).startswith(ROB_PREFIX)]
    if not columns:
        raise InputError("table: no 'RoB: ...' columns; export it with rob_tool=...")
    out = table.set_index("study")[columns]
    out.columns = [c[len(ROB_PREFIX):] for c in columns]
    return out.astype(object).where(out.notna(), None)


def drop_high_risk(table: pd.DataFrame, *, column: str = ROB_PREFIX + OVERALL) -> pd.DataFrame:
    """The studies of ``table`` whose ``column`` (by default the overall judgement) is not
    high (or serious/critical): the usual sensitivity analysis."""
    if column not in table.columns:
        raise InputError(f"table: column {column!r} is missing; export it with rob_tool=...")
    return table[~table[column].isin(["high", "serious", "critical"])].reset_index(drop=True)

"""Reading and checking the study-level table that every meta-analysis starts from.

Columns are found by conventional names (``study``, ``year``, ``events_treat``,
``total_treat``, ``events_ctrl``, ``total_ctrl``; ``mean_treat``, ``sd_treat``,
``n_treat``, ``mean_ctrl``, ``sd_ctrl``, ``n_ctrl``; ``yi`` + ``sei`` or ``estimate`` +
``ci_low`` + ``ci_high``) unless named. Bad cells raise :class:`InputError` naming the
study, row and column; a study with a missing value is left out with a warning.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from oncostat._validate import as_frame, numeric_column, require_columns, row_ref
from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.meta.effect_sizes import BinaryTable, ContinuousTable

__all__ = ["Columns", "StudyData", "read_studies"]

Kind = Literal["binary", "continuous", "generic"]
Measure = Literal["OR", "RR", "RD", "MD", "SMD", "GEN"]
MEASURE_KIND: dict[str, Kind] = {"OR": "binary", "RR": "binary", "RD": "binary",
                                 "MD": "continuous", "SMD": "continuous", "GEN": "generic"}


@dataclass(frozen=True, slots=True)
class Columns:
    """Names of the input columns; the defaults are the conventional names."""

    study: str = "study"
    year: str = "year"
    events_treat: str = "events_treat"
    total_treat: str = "total_treat"
    events_ctrl: str = "events_ctrl"
    total_ctrl: str = "total_ctrl"
    mean_treat: str = "mean_treat"
    sd_treat: str = "sd_treat"
    n_treat: str = "n_treat"
    mean_ctrl: str = "mean_ctrl"
    sd_ctrl: str = "sd_ctrl"
    n_ctrl: str = "n_ctrl"
    yi: str = "yi"
    sei: str = "sei"
    estimate: str = "estimate"
    ci_low: str = "ci_low"
    ci_high: str = "ci_high"


@dataclass(frozen=True, slots=True)
class StudyData:
    """Validated studies: labels, arm-level data in canonical names, and what was left out.

    ``frame`` keeps the canonical columns (``study``, ``year`` and the arm-level data)
    plus any other columns of the input, for subgroups and figures.
    """

    kind: Kind
    labels: np.ndarray
    frame: pd.DataFrame = field(repr=False)
    binary: BinaryTable | None = field(default=None, repr=False)
    continuous: ContinuousTable | None = field(default=None, repr=False)
    yi: np.ndarray | None = field(default=None, repr=False)
    vi: np.ndarray | None = field(default=None, repr=False)
    omitted: tuple[str, ...] = ()

    @property
    def k(self) -> int:
        return len(self.labels)

    def subset(self, mask: np.ndarray) -> StudyData:
        """The studies where ``mask`` is true (a boolean array over ``labels``)."""
        mask = np.asarray(mask, dtype=bool)
        return StudyData(
            kind=self.kind,
            labels=self.labels[mask],
            frame=self.frame.loc[mask].reset_index(drop=True),
            binary=None if self.binary is None else self.binary.subset(mask),
            continuous=None if self.continuous is None else self.continuous.subset(mask),
            yi=None if self.yi is None else self.yi[mask],
            vi=None if self.vi is None else self.vi[mask],
            omitted=self.omitted,
        )


def _labels(df: pd.DataFrame, column: str) -> np.ndarray:
    if column in df.columns:
        labels = df[column].to_numpy(dtype=object, copy=True)
        labels[pd.isna(labels)] = ""
    else:
        labels = np.array([f"Study {i + 1}" for i in range(len(df))], dtype=object)
    return labels


def read_studies(
    data: pd.DataFrame,
    *,
    measure: Measure,
    columns: Columns = Columns(),
    ratio: bool = False,
    input_confidence_level: float = 0.95,
) -> StudyData:
    """Validate ``data`` for ``measure`` and return it as :class:`StudyData`.

    For ``measure="GEN"`` either ``yi`` + ``sei`` or ``estimate`` + ``ci_low`` +
    ``ci_high`` must be present; with ``ratio=True`` the estimate and CI are on the ratio
    scale and are log-transformed, and the SE is recovered from the CI width at
    ``input_confidence_level``.
    """
    df = as_frame(data, what="study table")
    if len(df) == 0:
        raise InputError("study table: expected at least one study, got an empty table")
    if measure not in MEASURE_KIND:
        raise InputError(f"measure: expected one of {', '.join(MEASURE_KIND)}, got {measure!r}")
    kind = MEASURE_KIND[measure]
    labels = _labels(df, columns.study)

    def col(name: str, **kw: object) -> np.ndarray:
        return numeric_column(df, name, labels=labels, allow_missing=True, **kw)

    if kind == "binary":
        names = [columns.events_treat, columns.total_treat, columns.events_ctrl, columns.total_ctrl]
        require_columns(df, names, what=f"study table for measure {measure}")
        e1, n1, e2, n2 = (col(c, integer=True, minimum=0) for c in names)
        values = {"events_treat": e1, "total_treat": n1, "events_ctrl": e2, "total_ctrl": n2}
    elif kind == "continuous":
        names = [columns.mean_treat, columns.sd_treat, columns.n_treat,
                 columns.mean_ctrl, columns.sd_ctrl, columns.n_ctrl]
        require_columns(df, names, what=f"study table for measure {measure}")
        m1, m2 = col(columns.mean_treat), col(columns.mean_ctrl)
        sd1 = col(columns.sd_treat, minimum=0, strict=True)
        sd2 = col(columns.sd_ctrl, minimum=0, strict=True)
        c1 = col(columns.n_treat, integer=True, minimum=1)
        c2 = col(columns.n_ctrl, integer=True, minimum=1)
        values = {"mean_treat": m1, "sd_treat": sd1, "n_treat": c1,
                  "mean_ctrl": m2, "sd_ctrl": sd2, "n_ctrl": c2}
    else:
        values = _generic_values(df, columns, labels, ratio=ratio,
                                 confidence_level=input_confidence_level)

    missing = np.zeros(len(df), dtype=bool)
    for v in values.values():
        missing |= np.isnan(v)
    if kind == "binary":
        _check_events(values, columns, labels, missing)
    if kind == "continuous" and measure == "SMD":
        small = ~missing & (values["n_treat"] + values["n_ctrl"] < 3)
        if small.any():
            i = int(np.flatnonzero(small)[0])
            raise InputError(f"columns {columns.n_treat!r} and {columns.n_ctrl!r}, "
                             f"{row_ref(i, labels)}: SMD needs at least 3 participants in all")

    omitted: tuple[str, ...] = ()
    if missing.any():
        rows = np.flatnonzero(missing)
        omitted = tuple(str(labels[i]) for i in rows)
        shown = ", ".join(row_ref(int(i), labels) for i in rows[:5])
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        warnings.warn(f"{len(rows)} {'study' if len(rows) == 1 else 'studies'} with missing "
                      f"values left out of the analysis: {shown}{more}",
                      DegenerateDataWarning, stacklevel=3)
    keep = ~missing
    if not keep.any():
        raise InputError("study table: every study has a missing value; nothing to analyse")

    everyone = bool(keep.all())
    source = set(_source_names(kind, columns))
    frame_columns: dict[str, object] = {"study": labels[keep]}
    for c in df.columns:
        if c not in source:
            col = df[c].to_numpy()
            frame_columns[str(c)] = col if everyone else col[keep]
    if columns.year in df.columns and columns.year != "year":
        frame_columns["year"] = frame_columns[columns.year]
    for name, v in values.items():
        frame_columns[name] = v if everyone else v[keep]
    frame = pd.DataFrame(frame_columns, copy=False)

    if kind == "binary":
        e1, n1, e2, n2 = (values[k][keep] for k in
                          ("events_treat", "total_treat", "events_ctrl", "total_ctrl"))
        return StudyData(kind, labels[keep], frame,
                         binary=BinaryTable(e1, n1 - e1, e2, n2 - e2), omitted=omitted)
    if kind == "continuous":
        return StudyData(kind, labels[keep], frame, continuous=ContinuousTable(
            *(values[k][keep] for k in ("mean_treat", "sd_treat", "n_treat",
                                         "mean_ctrl", "sd_ctrl", "n_ctrl"))), omitted=omitted)
    return StudyData(kind, labels[keep], frame, yi=values["yi"][keep],
                     vi=values["sei"][keep] ** 2, omitted=omitted)


def _source_names(kind: Kind, columns: Columns) -> list[str]:
    if kind == "binary":
        return [columns.study, columns.events_treat, columns.total_treat,
                columns.events_ctrl, columns.total_ctrl]
    if kind == "continuous":
        return [columns.study, columns.mean_treat, columns.sd_treat, columns.n_treat,
                columns.mean_ctrl, columns.sd_ctrl, columns.n_ctrl]
    return [columns.study, columns.yi, columns.sei, columns.estimate, columns.ci_low,
            columns.ci_high]


def _check_events(values: dict[str, np.ndarray], columns: Columns, labels: np.ndarray,
                  missing: np.ndarray) -> None:
    for events, total, ev_name, tot_name in (
        (values["events_treat"], values["total_treat"], columns.events_treat, columns.total_treat),
        (values["events_ctrl"], values["total_ctrl"], columns.events_ctrl, columns.total_ctrl),
    ):
        zero = ~missing & (total == 0)
        if zero.any():
            i = int(np.flatnonzero(zero)[0])
            raise InputError(f"column {tot_name!r}, {row_ref(i, labels)}: expected a total "
                             "of at least 1 participant, got 0")
        over = ~missing & (events > total)
        if over.any():
            i = int(np.flatnonzero(over)[0])
            raise InputError(f"column {ev_name!r}, {row_ref(i, labels)}: expected events <= "
                             f"{tot_name!r} ({total[i]:g}), got {events[i]:g}")


def _generic_values(df: pd.DataFrame, columns: Columns, labels: np.ndarray, *, ratio: bool,
                    confidence_level: float) -> dict[str, np.ndarray]:
    if columns.yi in df.columns and columns.sei in df.columns:
        yi = numeric_column(df, columns.yi, labels=labels, allow_missing=True)
        sei = numeric_column(df, columns.sei, labels=labels, allow_missing=True,
                             minimum=0, strict=True)
        return {"yi": yi, "sei": sei}
    names = [columns.estimate, columns.ci_low, columns.ci_high]
    if not all(c in df.columns for c in names):
        have = ", ".join(repr(str(c)) for c in df.columns)
        raise InputError(f"study table for measure GEN: expected columns {columns.yi!r} and "
                         f"{columns.sei!r}, or {columns.estimate!r}, {columns.ci_low!r} and "
                         f"{columns.ci_high!r}; the table has {have}")
    bound = 0.0 if ratio else None
    est, lo, hi = (numeric_column(df, c, labels=labels, allow_missing=True, minimum=bound,
                                  strict=ratio) for c in names)
    ok = ~(np.isnan(est) | np.isnan(lo) | np.isnan(hi))
    outside = ok & ((lo > est) | (est > hi) | (lo >= hi))
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise InputError(f"columns {columns.ci_low!r}, {columns.estimate!r}, {columns.ci_high!r}, "
                         f"{row_ref(i, labels)}: expected ci_low < estimate < ci_high, got "
                         f"{lo[i]:g}, {est[i]:g}, {hi[i]:g}")
    if ratio:
        est, lo, hi = np.log(est), np.log(lo), np.log(hi)
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    return {"yi": est, "sei": (hi - lo) / (2 * z)}

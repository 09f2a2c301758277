"""Input checks that run before numpy sees the data.

Every failure raises :class:`~oncostat.errors.InputError` naming the column, the row
(counted from 1 over data rows) and, where the table has one, the row's label
(study or patient), and saying what was expected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from oncostat.errors import InputError

__all__ = ["as_frame", "day_numbers", "numeric_column", "require_columns", "row_ref"]


def as_frame(data: object, *, what: str = "data") -> pd.DataFrame:
    """Return ``data`` as a DataFrame (never the caller's object, so nothing mutates it)."""
    if isinstance(data, pd.DataFrame):
        return data.reset_index(drop=True).copy(deep=False)
    if isinstance(data, dict):
        try:
            return pd.DataFrame(data)
        except ValueError as exc:
            raise InputError(f"{what}: columns of a dict must have equal lengths ({exc})") from None
    raise InputError(f"{what}: expected a pandas DataFrame or a dict of columns, "
                     f"got {type(data).__name__}")


def require_columns(data: pd.DataFrame, columns: Iterable[str], *, what: str = "data") -> None:
    """Raise if any of ``columns`` is missing, listing the columns that do exist."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        have = ", ".join(repr(str(c)) for c in data.columns)
        names = ", ".join(repr(c) for c in missing)
        raise InputError(f"{what}: column{'s' if len(missing) > 1 else ''} {names} not found; "
                         f"the table has {have}")


def row_ref(i: int, labels: Sequence[object] | None = None, *, noun: str = "study") -> str:
    """``row 3 (study 'Ke 2011')`` for the zero-based position ``i``."""
    ref = f"row {i + 1}"
    if labels is not None:
        ref += f" ({noun} {str(labels[i])!r})"
    return ref


def numeric_column(
    data: pd.DataFrame,
    column: str,
    *,
    labels: Sequence[object] | None = None,
    noun: str = "study",
    integer: bool = False,
    minimum: float | None = None,
    strict: bool = False,
    allow_missing: bool = False,
) -> np.ndarray:
    """Return ``data[column]`` as float64, checking every cell.

    Parameters
    ----------
    integer : bool
        Require whole numbers (counts).
    minimum : float, optional
        Lower bound; ``strict=True`` makes it exclusive (e.g. SD > 0).
    allow_missing : bool
        Return NaN for empty cells instead of raising; the caller decides what to do.
    """
    require_columns(data, [column])
    raw = data[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    missing = raw.isna().to_numpy()
    bad_text = np.isnan(values) & ~missing
    if bad_text.any():
        i = int(np.flatnonzero(bad_text)[0])
        raise InputError(f"column {column!r}, {row_ref(i, labels, noun=noun)}: expected a number, "
                         f"got {raw.iloc[i]!r}")
    if missing.any() and not allow_missing:
        i = int(np.flatnonzero(missing)[0])
        raise InputError(f"column {column!r}, {row_ref(i, labels, noun=noun)}: expected a number, "
                         "got an empty cell")
    finite = ~np.isnan(values)
    if np.isinf(values).any():
        i = int(np.flatnonzero(np.isinf(values))[0])
        raise InputError(f"column {column!r}, {row_ref(i, labels, noun=noun)}: expected a finite "
                         f"number, got {values[i]}")
    kind = "a whole number" if integer else "a number"
    if integer:
        frac = finite & (values != np.round(values))
        if frac.any():
            i = int(np.flatnonzero(frac)[0])
            where = row_ref(i, labels, noun=noun)
            raise InputError(f"column {column!r}, {where}: expected {kind}, got {values[i]}")
    if minimum is not None:
        with np.errstate(invalid="ignore"):
            low = finite & ((values <= minimum) if strict else (values < minimum))
        if low.any():
            i = int(np.flatnonzero(low)[0])
            op = ">" if strict else ">="
            raise InputError(f"column {column!r}, {row_ref(i, labels, noun=noun)}: expected {kind} "
                             f"{op} {minimum:g}, got {values[i]:g}")
    return values


_DAY_NS = 86_400e9


def day_numbers(data: pd.DataFrame, column: str, labels: Sequence[object] | None = None, *,
                noun: str = "patient") -> np.ndarray:
    """Dates as float days since 1970-01-01: numbers are taken as (study) days already,
    anything else is parsed as a date; an unparseable or empty cell raises."""
    require_columns(data, [column])
    raw = data[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return numeric_column(data, column, labels=labels, noun=noun)
    parsed = pd.to_datetime(raw, errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        got = "an empty cell" if pd.isna(raw.iloc[i]) else repr(raw.iloc[i])
        raise InputError(f"column {column!r}, {row_ref(i, labels, noun=noun)}: expected a "
                         f"date (or a study day number), got {got}")
    return parsed.to_numpy(dtype="datetime64[ns]").astype(np.int64) / _DAY_NS

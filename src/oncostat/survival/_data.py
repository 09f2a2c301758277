"""Survival input: time, event, group and strata columns checked and turned into arrays.

Every check runs before numpy sees the data and raises :class:`~oncostat.errors.InputError`
naming the column, the row (counted from 1) and, with ``id=``, the patient. The arrays are
then tabulated once into risk sets (:func:`risk_sets`): one sort of the times, then
``bincount`` per group, so every estimator costs O(n log n) time and O(n) memory.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oncostat._validate import as_frame, numeric_column, require_columns, row_ref
from oncostat.errors import DegenerateDataWarning, InputError

__all__ = ["RiskSets", "SurvivalData", "risk_sets", "survival_data"]


@dataclass(frozen=True, slots=True)
class SurvivalData:
    """Checked survival input: float times >= 0, 0/1 events, integer group and strata codes."""

    time: np.ndarray
    event: np.ndarray
    group: np.ndarray            # codes 0..k-1 into ``group_labels`` (all 0 without a group)
    group_labels: tuple[object, ...]
    strata: np.ndarray           # codes 0..s-1 into ``strata_labels`` (all 0 without strata)
    strata_labels: tuple[object, ...]
    group_name: str | None = None
    strata_name: str | None = None

    @property
    def n(self) -> int:
        return len(self.time)

    @property
    def n_groups(self) -> int:
        return len(self.group_labels)

    def subset(self, mask: np.ndarray) -> SurvivalData:
        """The rows in ``mask``, with group codes renumbered over the groups still present."""
        present = np.unique(self.group[mask])
        recode = np.full(self.n_groups, -1, dtype=np.intp)
        recode[present] = np.arange(len(present))
        return SurvivalData(self.time[mask], self.event[mask], recode[self.group[mask]],
                            tuple(self.group_labels[i] for i in present), self.strata[mask],
                            self.strata_labels, self.group_name, self.strata_name)


def survival_data(
    data: pd.DataFrame | Mapping[str, object],
    *,
    time: str,
    event: str,
    group: str | None = None,
    strata: str | Sequence[str] | None = None,
    event_codes: Mapping[object, int] | None = None,
    id: str | None = None,
) -> SurvivalData:
    """Check the columns of a survival table and return them as arrays.

    Parameters
    ----------
    data : DataFrame or dict of columns
        One row per patient; never modified.
    time : str
        Follow-up time (>= 0, no missing values), in any unit.
    event : str
        Event indicator: 1 (or True) for an event, 0 (or False) for censored; other codes
        need ``event_codes``.
    group : str, optional
        Arm or group column; groups are ordered as the categories of a pandas
        ``Categorical`` column, otherwise sorted (as R orders factor levels).
    strata : str or list of str, optional
        Stratification column(s), combined as R's ``strata(a, b)`` does.
    event_codes : mapping, optional
        Declared meaning of each code in ``event``, e.g. ``{2: 1, 1: 0}`` for R's ``lung``
        (``Surv(time, status == 2)``); every code present must be a key.
    id : str, optional
        Patient identifier, used only to name the patient in error messages.
    """
    frame = as_frame(data)
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    needed = [time, event, *([group] if group else []), *strata_cols, *([id] if id else [])]
    require_columns(frame, needed)
    labels = frame[id].tolist() if id else None
    t = numeric_column(frame, time, labels=labels, noun="patient", minimum=0.0) + 0.0
    e = _event_column(frame, event, event_codes, labels)
    if group is not None:
        g, glabels = _codes(frame, group, labels)
    else:
        g, glabels = np.zeros(len(t), dtype=np.intp), ("all",)
    if strata_cols:
        s, slabels = _strata_codes(frame, strata_cols, labels)
    else:
        s, slabels = np.zeros(len(t), dtype=np.intp), ("all",)
    if len(t) == 0:
        raise InputError(f"column {time!r}: expected at least one patient, the table is empty")
    out = SurvivalData(t, e, g, glabels, s, slabels, group,
                       ", ".join(strata_cols) if strata_cols else None)
    if group is not None:
        sizes = np.bincount(g, minlength=len(glabels))
        ones = [str(glabels[i]) for i in np.flatnonzero(sizes == 1)]
        if ones:
            warnings.warn(f"column {group!r}: group{'s' if len(ones) > 1 else ''} "
                          f"{', '.join(repr(o) for o in ones)} "
                          f"{'have' if len(ones) > 1 else 'has'} one patient; the curve is a "
                          "single step and its confidence interval is undefined (NaN)",
                          DegenerateDataWarning, stacklevel=3)
    return out



def _event_column(frame: pd.DataFrame, column: str, codes: Mapping[object, int] | None,
                  labels: list[object] | None) -> np.ndarray:
    raw = frame[column]
    missing = raw.isna().to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise InputError(f"column {column!r}, {row_ref(i, labels, noun='patient')}: expected an "
                         "event code, got an empty cell")
    if codes is not None:
        bad_values = [k for k, v in codes.items() if v not in (0, 1)]
        if bad_values:
            raise InputError(f"event_codes: every code must map to 0 (censored) or 1 (event); "
                             f"code {bad_values[0]!r} maps to {codes[bad_values[0]]!r}")
        mapped = raw.map(dict(codes))
        unknown = mapped.isna().to_numpy()
        if unknown.any():
            i = int(np.flatnonzero(unknown)[0])
            raise InputError(f"column {column!r}, {row_ref(i, labels, noun='patient')}: event code "
                             f"{_plain(raw.iloc[i])!r} is not in event_codes {dict(codes)!r}")
        return mapped.to_numpy(dtype=np.int8)
    if raw.dtype == bool:
        return raw.to_numpy(dtype=np.int8)
    if pd.api.types.is_integer_dtype(raw.dtype):
        values = raw.to_numpy()
        bad = (values != 0) & (values != 1)
        if not bad.any():
            return values.astype(np.int8)
    values = numeric_column(frame, column, labels=labels, noun="patient")
    bad = (values != 0) & (values != 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"column {column!r}, {row_ref(i, labels, noun='patient')}: expected an "
                         f"event code 0 (censored) or 1 (event), got {_plain(raw.iloc[i])!r}; "
                         "declare other codes with event_codes, e.g. event_codes={2: 1, 1: 0}")
    return values.astype(np.int8)


def _plain(value: object) -> object:
    """A numpy scalar as the Python value it prints as (``2``, not ``np.int64(2)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _codes(frame: pd.DataFrame, column: str,
           labels: list[object] | None) -> tuple[np.ndarray, tuple[object, ...]]:
    raw = frame[column]
    missing = raw.isna().to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise InputError(f"column {column!r}, {row_ref(i, labels, noun='patient')}: expected a "
                         "group, got an empty cell")
    if isinstance(raw.dtype, pd.CategoricalDtype):
        codes = raw.cat.codes.to_numpy().astype(np.intp)
        cats = raw.cat.categories
        used = np.flatnonzero(np.bincount(codes, minlength=len(cats)))
        recode = np.full(len(cats), -1, dtype=np.intp)
        recode[used] = np.arange(len(used))
        return recode[codes], tuple(cats[used])
    if pd.api.types.is_integer_dtype(raw.dtype) and len(raw):
        # Small non-negative integer codes (arms 0, 1, 2): a lookup table beats hashing.
        values = raw.to_numpy()
        low, high = int(values.min()), int(values.max())
        if low >= 0 and high < 1_000_000:
            present = np.flatnonzero(np.bincount(values, minlength=high + 1))
            lookup = np.zeros(high + 1, dtype=np.intp)
            lookup[present] = np.arange(len(present))
            return lookup[values], tuple(present.tolist())
    codes, uniques = pd.factorize(raw, sort=True)
    return codes.astype(np.intp), tuple(uniques)


def _strata_codes(frame: pd.DataFrame, columns: list[str],
                  labels: list[object] | None) -> tuple[np.ndarray, tuple[object, ...]]:
    codes = np.zeros(len(frame), dtype=np.intp)
    names: list[tuple[object, ...]] = [()]
    for col in columns:
        c, lev = _codes(frame, col, labels)
        codes = codes * len(lev) + c
        names = [(*n, v) for n in names for v in lev]
    used, codes = np.unique(codes, return_inverse=True)
    slabels = tuple(", ".join(str(v) for v in names[i]) for i in used)
    return codes.astype(np.intp), slabels


@dataclass(frozen=True, slots=True)
class RiskSets:
    """Counts per group at each distinct time of one stratum.

    ``time`` has the T distinct times in increasing order; ``n_event``, ``n_exit`` (events
    plus censored) and ``n_risk`` (time >= t) are arrays of shape (groups, T).
    """

    time: np.ndarray
    n_event: np.ndarray
    n_exit: np.ndarray
    n_risk: np.ndarray


def risk_sets(time: np.ndarray, event: np.ndarray, group: np.ndarray, n_groups: int) -> RiskSets:
    """Tabulate risk sets with one sort and two ``bincount`` calls (O(n) memory)."""
    # Times are finite and >= 0 (and +0.0 after the ``+ 0.0`` in survival_data), so their
    # IEEE bit patterns sort as integers in the same order, and integer argsort is faster.
    order = np.argsort(time.view(np.int64))
    ts = time[order]
    new = np.empty(len(ts), dtype=bool)
    new[:1] = True
    np.not_equal(ts[1:], ts[:-1], out=new[1:])
    index = np.cumsum(new) - 1
    n_times = int(index[-1]) + 1 if len(index) else 0
    if n_groups > 1:
        index += group[order] * n_times
    size = n_groups * n_times
    n_exit = np.bincount(index, minlength=size).reshape(n_groups, n_times).astype(float)
    n_event = np.bincount(index[event[order] == 1],
                          minlength=size).reshape(n_groups, n_times).astype(float)
    # At risk at t: the group's size minus those who left before t (a forward cumsum).
    n_risk = n_exit.sum(axis=1, keepdims=True) - np.cumsum(n_exit, axis=1) + n_exit
    return RiskSets(ts[new], n_event, n_exit, n_risk)

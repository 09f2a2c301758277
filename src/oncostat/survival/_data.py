"""Survival input: time, event, group and strata columns checked and turned into arrays.

Every check runs before numpy sees the data and raises :class:`~oncostat.errors.InputError`
naming the column, the row (counted from 1) and, with ``id=``, the patient. The arrays are
then tabulated into risk sets, per group for Kaplan-Meier (:func:`group_risk_sets`) and at
the event times for the log-rank family (:func:`event_risk_sets`): one ``np.sort`` of
integer keys packing time, event and group, then O(n) counting, so every estimator costs
O(n log n) time and O(n) memory.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oncostat._validate import as_frame, numeric_column, require_columns, row_ref
from oncostat.errors import DegenerateDataWarning, InputError

__all__ = ["EventRiskSets", "GroupRiskSets", "SurvivalData", "event_risk_sets",
           "group_risk_sets", "survival_data"]


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
    # A DataFrame is only read, by position, so it is neither copied nor re-indexed.
    frame = data if isinstance(data, pd.DataFrame) else as_frame(data)
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    needed = [time, event, *([group] if group else []), *strata_cols, *([id] if id else [])]
    require_columns(frame, needed)
    labels = frame[id].tolist() if id else None
    t = _time_column(frame, time, labels)
    e = _event_column(frame, event, event_codes, labels)
    sizes = None
    if group is not None:
        g, glabels, sizes = _codes(frame, group, labels)
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
        if sizes is None:
            sizes = np.bincount(g, minlength=len(glabels))
        ones = [str(glabels[i]) for i in np.flatnonzero(sizes == 1)]
        if ones:
            warnings.warn(f"column {group!r}: group{'s' if len(ones) > 1 else ''} "
                          f"{', '.join(repr(o) for o in ones)} "
                          f"{'have' if len(ones) > 1 else 'has'} one patient; the curve is a "
                          "single step and its confidence interval is undefined (NaN)",
                          DegenerateDataWarning, stacklevel=3)
    return out



def _time_column(frame: pd.DataFrame, column: str, labels: list[object] | None) -> np.ndarray:
    """Times as float64 >= +0.0 (adding 0.0 turns -0.0 into +0.0), never the caller's array."""
    raw = frame[column]
    if isinstance(raw.dtype, np.dtype) and raw.dtype.kind in "fiu" and len(raw):
        # Fast path: min and max are NaN if any value is, so they check for NaN, infinity
        # and negative times at once; anything else goes through numeric_column, which
        # finds and names the offending row.
        values = raw.to_numpy(dtype=np.float64)
        if values.min() >= 0 and values.max() < np.inf:
            return values + 0.0
    return numeric_column(frame, column, labels=labels, noun="patient", minimum=0.0) + 0.0


def _event_column(frame: pd.DataFrame, column: str, codes: Mapping[object, int] | None,
                  labels: list[object] | None) -> np.ndarray:
    raw = frame[column]
    if (codes is None and isinstance(raw.dtype, np.dtype) and raw.dtype.kind in "iuf"
            and len(raw)):
        # Fast path for 0/1 codes (the checks below name the row of anything else).
        values = raw.to_numpy()
        if raw.dtype.kind == "f":
            if np.all((values == 0) | (values == 1)):
                return values.astype(np.int8)
        elif values.min() >= 0 and values.max() <= 1:
            return values.astype(np.int8)
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


def _codes(frame: pd.DataFrame, column: str, labels: list[object] | None
           ) -> tuple[np.ndarray, tuple[object, ...], np.ndarray | None]:
    """Codes 0..k-1 of a column, its k values, and the count of each when known."""
    raw = frame[column]
    if isinstance(raw.dtype, np.dtype) and raw.dtype.kind in "iu":
        missing = np.zeros(1, dtype=bool)          # numpy integers cannot be missing
    else:
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
        return recode[codes], tuple(cats[used]), None
    if pd.api.types.is_integer_dtype(raw.dtype) and len(raw):
        # Small non-negative integer codes (arms 0, 1, 2): a lookup table beats hashing.
        values = raw.to_numpy()
        low, high = int(values.min()), int(values.max())
        if low >= 0 and high < 1_000_000:
            sizes = np.bincount(values, minlength=high + 1)
            present = np.flatnonzero(sizes)
            if len(present) == high + 1:   # codes 0..k-1 all present: already the codes
                return values.astype(np.intp), tuple(present.tolist()), sizes
            lookup = np.zeros(high + 1, dtype=np.intp)
            lookup[present] = np.arange(len(present))
            return lookup[values], tuple(present.tolist()), sizes[present]
    codes, uniques = pd.factorize(raw, sort=True)
    return codes.astype(np.intp), tuple(uniques), None


def _strata_codes(frame: pd.DataFrame, columns: list[str],
                  labels: list[object] | None) -> tuple[np.ndarray, tuple[object, ...]]:
    codes = np.zeros(len(frame), dtype=np.intp)
    names: list[tuple[object, ...]] = [()]
    for col in columns:
        c, lev, _ = _codes(frame, col, labels)
        codes = codes * len(lev) + c
        names = [(*n, v) for n in names for v in lev]
    used, codes = np.unique(codes, return_inverse=True)
    slabels = tuple(", ".join(str(v) for v in names[i]) for i in used)
    return codes.astype(np.intp), slabels


def _time_codes(time: np.ndarray, max_width: int
                ) -> tuple[np.ndarray, int, Callable[[np.ndarray, np.ndarray], None]]:
    """Order-preserving integer codes of the times, their bit width, and codes -> times.

    Finite times >= +0.0 (``survival_data`` adds 0.0, turning -0.0 into +0.0) have IEEE bit
    patterns that sort as integers in the same order as the floats. Less the smallest
    positive pattern they span about 2**52 per factor of 2 between the smallest and largest
    positive time, so under 2**58 for any follow-up data, which leaves the low bits of an
    int64 free for group and event labels: one ``np.sort`` of packed keys then replaces an
    ``argsort`` and the gathers after it (three times faster at 10^6 rows). Codes wider
    than ``max_width`` bits are replaced by dense ranks, from an ``argsort``. The decoder
    writes the times of its codes into a float array.
    """
    bits = time.view(np.int64)
    low, high = int(bits.min()), int(bits.max())
    zero_code = low == 0 and high > 0
    # Zero times take code 0 and the positive times codes from 1.
    base = int(bits.min(where=bits > 0, initial=high)) - 1 if zero_code else low
    width = (high - base).bit_length()
    if width <= max_width:
        codes = bits - base
        if zero_code:
            np.maximum(codes, 0, out=codes)

        def decode(c: np.ndarray, out: np.ndarray) -> None:
            zero = c == 0 if zero_code else None     # (``out`` may be ``c``)
            np.add(c, base, out=out.view(np.int64))
            if zero is not None:
                out[zero] = 0.0

        return codes, width, decode
    order = np.argsort(bits)
    sorted_bits = bits[order]
    new = np.empty(len(bits), dtype=bool)
    new[:1] = True
    np.not_equal(sorted_bits[1:], sorted_bits[:-1], out=new[1:])
    unique = sorted_bits[new].view(np.float64)
    codes = np.empty(len(bits), dtype=np.int64)
    codes[order] = np.cumsum(new) - 1
    return (codes, max(len(unique) - 1, 0).bit_length(),
            lambda c, out: np.take(unique, c.copy(), out=out, mode="clip"))


@dataclass(frozen=True, slots=True)
class GroupRiskSets:
    """Each group's counts at each distinct time of its own, in increasing order.

    Rows of ``table`` (float, the groups one after another in its columns, group ``g`` in
    columns ``bounds[g]:bounds[g + 1]``): ``TIME``, ``N_RISK`` (the group's patients with
    time >= t), ``N_EVENT`` (events at t), ``N_EXIT`` (events plus censored at t), then
    rows left for the caller. One array, so that its pages are few and large.
    """

    table: np.ndarray
    bounds: np.ndarray

    TIME, N_RISK, N_EVENT, N_EXIT = range(4)


def group_risk_sets(time: np.ndarray, event: np.ndarray, group: np.ndarray,
                    n_groups: int, *, extra_rows: int = 0) -> GroupRiskSets:
    """Risk sets of each group from one sort of keys (group, time, event): O(n) after it."""
    codes, width, decode = _time_codes(time, 62 - (n_groups - 1).bit_length())
    key = codes
    key <<= 1
    key |= event
    n = len(key)
    scratch = np.empty(n, dtype=np.int64)
    if n_groups > 1:
        key |= np.left_shift(group, width + 1, out=scratch)
    key.sort()
    new = np.empty(n, dtype=bool)
    new[:1] = True
    # Keys of one time (and group) differ at most in the event bit: their xor is 0 or 1.
    np.greater(np.bitwise_xor(key[1:], key[:-1], out=scratch[:-1]), 1, out=new[1:])
    starts = np.flatnonzero(new)
    table = np.empty((4 + extra_rows, len(starts)))
    # Rows of each group: the keys are sorted by group first.
    row_bounds = np.searchsorted(key, np.arange(n_groups + 1) << (width + 1))
    bounds = np.searchsorted(starts, row_bounds)
    # Events: differences of a cumulative count read before each time's first row.
    cum_event = np.cumsum(np.bitwise_and(key, 1, out=scratch), out=scratch)
    before = np.take(cum_event, starts - 1, mode="wrap")
    before[:1] = 0
    np.subtract(before[1:], before[:-1], out=table[GroupRiskSets.N_EVENT, :-1])
    table[GroupRiskSets.N_EVENT, -1:] = cum_event[-1] - before[-1:]
    np.subtract(starts[1:], starts[:-1], out=table[GroupRiskSets.N_EXIT, :-1])
    table[GroupRiskSets.N_EXIT, -1:] = n - starts[-1:]
    # Time codes are decoded in place, in the table's row of times.
    times = table[GroupRiskSets.TIME].view(np.int64)
    np.right_shift(np.take(key, starts, out=times, mode="clip"), 1, out=times)
    for g in range(n_groups):
        cols = slice(bounds[g], bounds[g + 1])
        np.subtract(row_bounds[g + 1], starts[cols], out=table[GroupRiskSets.N_RISK, cols])
        times[cols] -= g << width
    decode(times, table[GroupRiskSets.TIME])
    return GroupRiskSets(table, bounds)


@dataclass(frozen=True, slots=True)
class EventRiskSets:
    """Numbers at risk and events at the distinct event times of one stratum, in blocks.

    ``observed`` holds the events per group. :meth:`blocks` gives, a block of event times
    at a time, the pooled numbers at risk ``n`` and events ``d`` (exact integers, as
    floats), the groups x times numbers at risk and, when asked for, events: groups x D
    arrays are never formed whole (at 10^6 patients their pages cost more than the
    arithmetic on them).
    """

    n_rows: int
    starts: np.ndarray           # sorted row of the first event of each event time
    ends: np.ndarray             # and of its last event
    sizes: np.ndarray            # patients per group
    words: list[tuple[range, np.ndarray]]   # groups counted by each cumulative count
    width: int                   # bits per group in a count
    observed: np.ndarray

    def blocks(self, group_events: bool = False, size: int = 1 << 15
               ) -> Iterator[tuple[slice, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]]:
        """``(times, n, d, n_risk, n_event)`` for each block of ``size`` event times."""
        k = len(self.sizes)
        mask = (1 << self.width) - 1
        for a in range(0, len(self.starts), size):
            times = slice(a, min(a + size, len(self.starts)))
            starts, ends = self.starts[times], self.ends[times]
            n = np.subtract(self.n_rows, starts, dtype=float)
            d = np.subtract(ends, starts, dtype=float)
            d += 1.0
            n_risk = np.empty((k, len(starts)))
            n_event = np.empty((k, len(starts))) if group_events else None
            if not self.words:
                n_risk[0] = n
                if n_event is not None:
                    n_event[0] = d
            for groups, cum in self.words:
                # Counts before each event time's first row (none before row 0).
                before = np.take(cum, starts - 1, mode="wrap")
                if a == 0:
                    before[:1] *= starts[:1] > 0
                upto = np.take(cum, ends) - before if n_event is not None else None
                field = np.empty_like(before)
                for i, g in enumerate(groups):
                    np.right_shift(before, self.width * i, out=field)
                    np.subtract(self.sizes[g], np.bitwise_and(field, mask, out=field),
                                out=n_risk[g])
                    if n_event is not None:
                        n_event[g] = (upto >> (self.width * i)) & mask
            yield times, n, d, n_risk, n_event


def event_risk_sets(time: np.ndarray, event: np.ndarray, group: np.ndarray,
                    n_groups: int) -> EventRiskSets:
    """Risk sets at the event times from one sort of keys (time, censored, group).

    Within a time the sort puts the events first, so the first row of each event time
    starts its risk set and its events follow it. The numbers at risk in each group are
    its size less a cumulative count of its rows, read before each event time's first
    row: one ``cumsum`` counts several groups at once, each in its own bit field of an
    int64 (a field of ``n.bit_length()`` bits cannot overflow). O(n + groups x D) time
    and O(n) memory.
    """
    group_bits = (n_groups - 1).bit_length()
    shift = group_bits + 1
    key = _time_codes(time, 63 - shift)[0]
    key <<= 1
    key |= event
    key ^= 1                      # the censored flag, so that events sort first
    key <<= group_bits
    if n_groups > 1:
        key |= group
    key.sort()
    n = len(key)
    # Large temporaries cost page faults: one scratch array is reused throughout.
    scratch = np.right_shift(key, shift)
    new = np.empty(n, dtype=bool)
    new[:1] = True
    np.not_equal(scratch[1:], scratch[:-1], out=new[1:])
    low = np.bitwise_and(key, (1 << shift) - 1, out=key)        # censored flag, group
    is_event = np.less(low, 1 << group_bits)
    counts = np.bincount(low, minlength=2 << group_bits)     # per (censored flag, group)
    new &= is_event
    starts = np.flatnonzero(new)
    # The last event of an event time is followed by a censored row, by the first row of
    # the next event time, or by nothing.
    last = np.empty(n, dtype=bool)
    np.greater_equal(new[1:], is_event[1:], out=last[:-1])
    last[:-1] &= is_event[:-1]
    last[-1:] = is_event[-1:]
    ends = np.flatnonzero(last)
    sizes = counts[:n_groups] + counts[1 << group_bits:(1 << group_bits) + n_groups]
    width = n.bit_length()
    words = []
    if n_groups > 1:
        codes = np.bitwise_and(low, (1 << group_bits) - 1, out=low)
        per_word = 63 // width
        for first in range(0, n_groups, per_word):
            groups = range(first, min(first + per_word, n_groups))
            one = np.zeros(1 << group_bits, dtype=np.int64)
            for i, g in enumerate(groups):
                one[g] = 1 << (width * i)
            # (mode "clip": take with ``out`` is buffered, 3 times slower, in mode "raise")
            cum = scratch if first == 0 else np.empty(n, dtype=np.int64)
            np.cumsum(np.take(one, codes, out=cum, mode="clip"), out=cum)
            words.append((groups, cum))
    return EventRiskSets(n, starts, ends, sizes, words, width,
                         counts[:n_groups].astype(float))

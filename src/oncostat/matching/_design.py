"""Model matrices for propensity models: checked covariates, categorical terms, arms and ids.

Categorical covariates (text, ``bool`` excepted, pandas ``Categorical``, or any column named
in ``reference``) are expanded into one indicator per level other than the reference level,
named ``column[level]`` as in :func:`oncostat.survival.cox_ph`. The levels and references are
kept, so a fitted model builds the same columns for new patients.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oncostat._validate import numeric_column, require_columns, row_ref
from oncostat.errors import InputError

__all__ = ["Arms", "Terms", "build_terms", "numeric_covariate", "patient_ids", "read_arms"]


def _is_categorical(s: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))


def _levels(s: pd.Series) -> list[object]:
    present = s.dropna()
    if isinstance(s.dtype, pd.CategoricalDtype):
        seen = set(present.unique())
        return [lv for lv in s.cat.categories if lv in seen]
    try:
        return sorted(present.unique())
    except TypeError:  # mixed types: order by their text
        return sorted(present.unique(), key=str)


def _find_level(levels: Sequence[object], value: object) -> object | None:
    hit = [lv for lv in levels if lv == value or str(lv) == str(value)]
    return hit[0] if hit else None


@dataclass(frozen=True, slots=True)
class Terms:
    """How covariates become model-matrix columns (reusable on new data).

    ``levels`` maps each categorical covariate to ``(reference, other levels...)``.
    """

    covariates: tuple[str, ...]
    levels: Mapping[str, tuple[object, ...]]
    columns: tuple[str, ...]

    def matrix(self, data: pd.DataFrame, *, labels: Sequence[object] | None = None
               ) -> np.ndarray:
        """Model matrix without intercept (p x n, one covariate column per row).

        Raises :class:`InputError` for a missing or non-numeric cell, and for a level of a
        categorical covariate the model has not seen.
        """
        require_columns(data, self.covariates)
        n = len(data)
        out = np.empty((len(self.columns), n))
        j = 0
        for c in self.covariates:
            s = data[c]
            if c in self.levels:
                missing = s.isna().to_numpy()
                if missing.any():
                    i = int(np.flatnonzero(missing)[0])
                    raise InputError(f"column {c!r}, {row_ref(i, labels, noun='patient')}: "
                                     "expected a value, got an empty cell; propensity models "
                                     "need complete covariates (impute or drop the rows first, "
                                     "as MatchIt requires)")
                ref, *others = self.levels[c]
                arr = s.to_numpy()
                known = np.isin(arr.astype(object), np.array([ref, *others], dtype=object))
                if not known.all():
                    i = int(np.flatnonzero(~known)[0])
                    seen = ", ".join(repr(str(v)) for v in [ref, *others])
                    raise InputError(f"column {c!r}, {row_ref(i, labels, noun='patient')}: "
                                     f"level {arr[i]!r} was not in the data the model was "
                                     f"fitted to ({seen})")
                for lv in others:
                    out[j] = arr == lv
                    j += 1
            else:
                out[j] = numeric_covariate(data, c, labels)
                j += 1
        return out


def numeric_covariate(data: pd.DataFrame, column: str, labels: Sequence[object] | None
                      ) -> np.ndarray:
    """A complete numeric covariate; a fast path for clean float columns (10^6 rows)."""
    s = data[column]
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        if np.isfinite(v).all():
            return v
    v = numeric_column(data, column, labels=labels, noun="patient", allow_missing=True)
    if np.isnan(v).any():
        i = int(np.flatnonzero(np.isnan(v))[0])
        raise InputError(f"column {column!r}, {row_ref(i, labels, noun='patient')}: expected a "
                         "number, got an empty cell; propensity models need complete "
                         "covariates (impute or drop the rows first, as MatchIt requires)")
    return v


def build_terms(data: pd.DataFrame, covariates: Sequence[str],
                reference: Mapping[str, object] | None) -> Terms:
    """Decide the model-matrix columns of ``covariates`` (levels and reference levels)."""
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    if not covariates:
        raise InputError("covariates: expected at least one covariate column")
    if len(set(covariates)) < len(covariates):
        raise InputError(f"covariates: a column is listed twice in {covariates}")
    reference = dict(reference or {})
    extra = [c for c in reference if c not in covariates]
    if extra:
        raise InputError(f"reference: {extra[0]!r} is not one of the covariates {covariates}")
    require_columns(data, covariates)
    levels: dict[str, tuple[object, ...]] = {}
    columns: list[str] = []
    for c in covariates:
        s = data[c]
        if c in reference or _is_categorical(s):
            lv = _levels(s)
            if len(lv) < 2:
                got = f"all have {lv[0]!r}" if lv else "are all empty"
                raise InputError(f"column {c!r}: a categorical covariate needs at least two "
                                 f"levels; the rows {got}; remove it from the covariates")
            ref = lv[0]
            if c in reference:
                ref = _find_level(lv, reference[c])
                if ref is None:
                    raise InputError(f"reference: level {reference[c]!r} of column {c!r} not "
                                     f"found; its levels are "
                                     f"{', '.join(repr(str(v)) for v in lv)}")
            others = tuple(v for v in lv if v != ref)
            levels[c] = (ref, *others)
            columns += [f"{c}[{v}]" for v in others]
        else:
            columns.append(c)
    return Terms(tuple(covariates), levels, tuple(columns))


@dataclass(frozen=True, slots=True)
class Arms:
    """The treatment column read as arm codes: ``code[i]`` indexes ``names``; focal first."""

    column: str
    names: tuple[object, ...]
    code: np.ndarray

    @property
    def focal(self) -> object:
        return self.names[0]

    def counts(self) -> dict[str, int]:
        n = np.bincount(self.code, minlength=len(self.names))
        return {str(a): int(k) for a, k in zip(self.names, n, strict=True)}


def read_arms(data: pd.DataFrame, treatment: str, focal: object | None,
              labels: Sequence[object] | None, arms: Sequence[object] | None = None) -> Arms:
    """Arm codes with the focal arm first; the others in sorted order (or as ``arms`` lists).

    ``focal`` defaults to ``1`` (or ``True``) when the arms are 0/1, as MatchIt's treated.
    """
    require_columns(data, [treatment])
    s = data[treatment]
    missing = s.isna().to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise InputError(f"column {treatment!r}, {row_ref(i, labels, noun='patient')}: "
                         "expected an arm, got an empty cell")
    present = _levels(s)
    if focal is None:
        focal = _find_level(present, 1)
        if focal is None or len(present) != 2:
            raise InputError(f"focal: name the arm that is matched to the others (levels of "
                             f"{treatment!r}: {', '.join(repr(str(v)) for v in present)})")
    f = _find_level(present, focal)
    if f is None:
        raise InputError(f"focal: arm {focal!r} has no patients in column {treatment!r}; its "
                         f"levels are {', '.join(repr(str(v)) for v in present)}")
    if arms is None:
        others = [v for v in present if v != f]
    else:
        others = []
        for a in arms:
            hit = _find_level(present, a)
            if hit is None:
                raise InputError(f"ratio: arm {a!r} has no patients in column {treatment!r}; "
                                 f"its levels are {', '.join(repr(str(v)) for v in present)}")
            others.append(hit)
    if not others:
        raise InputError(f"column {treatment!r}: every patient is in arm {f!r}; matching "
                         "needs a second arm")
    names = (f, *others)
    values = s.to_numpy()
    code = np.full(len(s), -1, dtype=np.int64)
    for k, a in enumerate(names):
        code[values == a] = k
    return Arms(treatment, names, code)


def patient_ids(data: pd.DataFrame, id: str | None) -> np.ndarray:
    """Patient ids: column ``id``, else a column named ``id``, else row numbers from 1."""
    if id is not None:
        require_columns(data, [id])
        ids = data[id].to_numpy()
    elif "id" in data.columns:
        ids = data["id"].to_numpy()
    else:
        return np.arange(1, len(data) + 1)
    if pd.isna(ids).any():
        i = int(np.flatnonzero(pd.isna(ids))[0])
        raise InputError(f"column {id or 'id'!r}, {row_ref(i)}: expected a patient id, got an "
                         "empty cell")
    dup = pd.Series(ids).duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(f"column {id or 'id'!r}, {row_ref(i)}: patient id {ids[i]!r} appears "
                         "more than once; ids must be unique")
    return ids

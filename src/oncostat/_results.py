"""Conventions shared by every result object.

Results are frozen dataclasses that mix in :class:`ResultMixin`, which derives the
notebook view from ``to_frame()``. ``to_dict()`` must be JSON-safe: use :func:`jsonable`
to convert numpy scalars, NaN and DataFrames.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ResultMixin", "format_p", "jsonable"]


class ResultMixin:
    """Notebook display for result objects that define ``to_frame()`` and ``__str__``."""

    __slots__ = ()

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - always overridden
        raise NotImplementedError

    def _repr_html_(self) -> str:
        title = str(self).splitlines()[0] if str(self) else type(self).__name__
        return f"<p><b>{_escape(title)}</b></p>" + self.to_frame().to_html(
            float_format=lambda v: f"{v:.4g}", na_rep="")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def jsonable(value: Any) -> Any:
    """Convert ``value`` to plain JSON types: NaN and infinities become ``None``."""
    if isinstance(value, pd.DataFrame):
        return [jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return jsonable(value.to_dict())
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, Sequence):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "to_dict"):
        return jsonable(value.to_dict())
    return value


def format_p(p: float, *, digits: int = 3) -> str:
    """Format a p-value as journals print it: ``p = 0.034``, ``p < 0.001``."""
    if p is None or not math.isfinite(p):
        return "p = NA"
    threshold = 10.0 ** (-digits)
    if p < threshold:
        return f"p < {threshold:.{digits}f}"
    return f"p = {p:.{digits}f}"

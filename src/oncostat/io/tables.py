"""Reading analysis tables (CSV, TSV, Excel, Parquet) with clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from oncostat.errors import InputError

__all__ = ["read_table"]

_READERS = {".csv": "csv", ".tsv": "tsv", ".txt": "tsv", ".xlsx": "excel", ".xls": "excel",
            ".parquet": "parquet"}


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a data file by its extension; raise :class:`InputError` on any failure.

    Text files are read as UTF-8 (with or without BOM) and fall back to cp1252.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    kind = _READERS.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"{path}: unknown table format {path.suffix!r}; expected one of "
                         f"{', '.join(sorted(_READERS))}")
    try:
        if kind in ("csv", "tsv"):
            sep = "," if kind == "csv" else "\t"
            try:
                return pd.read_csv(path, sep=sep, encoding="utf-8-sig")
            except UnicodeDecodeError:
                return pd.read_csv(path, sep=sep, encoding="cp1252")
        if kind == "excel":
            return pd.read_excel(path)
        return pd.read_parquet(path)
    except InputError:
        raise
    except ImportError as exc:
        raise InputError(f"{path}: reading {kind} files needs an extra package ({exc})") from None
    except Exception as exc:  # pandas raises many types; the user needs the file and cause
        raise InputError(f"{path}: could not be read as {kind}: {exc}") from None

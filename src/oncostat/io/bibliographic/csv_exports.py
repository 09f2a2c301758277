"""Delimited exports: Scopus CSV, Web of Science tab-delimited, Embase CSV, and any CSV
whose columns have recognisable names.

Columns are matched by name, case-insensitively and ignoring punctuation, against the
headers each database writes: Scopus ("Authors", "Title", "Source title", "Page start",
"PubMed ID", "EID") [1]_, Web of Science tab-delimited field tags ("AU", "TI", "SO", "BP",
"DI", "PM", "UT") [2]_, Embase ("Author Names", "Medline PMID", "Embase Accession ID"),
and plain names (id, title, author(s), year, journal, volume, number/issue, pages, doi,
pmid, abstract). The delimiter (comma, tab or semicolon) is taken from the header line.

References
----------
.. [1] Elsevier. Scopus: What fields are exported? Scopus support center, 2024.
.. [2] Clarivate. Web of Science Core Collection field tags (tab-delimited export).
"""

from __future__ import annotations

import csv
import io
import re

from oncostat.errors import InputError
from oncostat.io.bibliographic._common import NO_CONTENT, BibRecord, ParseOutput, has_content

__all__ = ["ALIASES", "looks_like_header", "parse"]

ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "article title", "document title", "primary title", "ti"),
    "authors": ("authors", "author", "author names", "author s", "au", "author full names",
                "af"),
    "year": ("year", "publication year", "pubyear", "py", "year published"),
    "journal": ("journal", "source title", "journal title", "journal name",
                "publication title", "secondary title", "so"),
    "volume": ("volume", "vl", "vol"),
    "issue": ("issue", "number", "is", "no"),
    "pages": ("pages", "page", "pg", "page range"),
    "start_page": ("page start", "first page", "start page", "bp"),
    "end_page": ("page end", "last page", "end page", "ep"),
    "doi": ("doi", "di"),
    "pmid": ("pmid", "pubmed id", "medline pmid", "pm", "pubmed"),
    "isbn": ("isbn", "issn", "sn", "bn", "eissn", "ei"),
    "abstract": ("abstract", "ab"),
    "type": ("document type", "type", "publication type", "dt", "pt", "reference type"),
    "source_id": ("id", "record id", "recordid", "eid", "ut", "ut unique wos id",
                  "embase accession id", "accession number", "pui", "key"),
}
_WOS_TAGS = {"pt", "au", "ti", "so", "ut"}
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# "Smith J.", "van der Berg H.-P.": Scopus' old "Surname Initials." author style.
_SCOPUS_NAME = re.compile(r"^[^,]+\s(?:[A-Z][a-z]?\.[\s-]*)+$")
# "Adeli K.Lewis G. F.": authors glued together by some EndNote exports.
_GLUED = re.compile(r"(?<=[A-Z]\.)(?=[A-Z][a-z])")


def _key(header: str) -> str:
    return _NON_ALNUM.sub(" ", header.lower().removeprefix("\ufeff")).strip()


def looks_like_header(line: str) -> bool:
    """Whether ``line`` is a delimited header naming at least a title column."""
    delimiter = _delimiter(line)
    keys = {_key(h) for h in next(csv.reader([line], delimiter=delimiter))}
    return bool(keys & set(ALIASES["title"]))


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in ("\t", ",", ";")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def parse(text: str, name: str) -> ParseOutput:
    """Read the rows of a delimited export.

    Parameters
    ----------
    text : str
        The decoded file, ``\\n`` line ends.
    name : str
        File name for messages.

    Returns
    -------
    ParseOutput
        One record per row (``line`` is the row's first line in the file); rows with the
        wrong number of fields or no content are rejected.

    Raises
    ------
    InputError
        If the header names no title column.
    """
    header_line = text.split("\n", 1)[0]
    delimiter = _delimiter(header_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{name}: the file is empty") from None
    keys = [_key(h) for h in header]
    columns = _columns(keys)
    if "title" not in columns:
        shown = ", ".join(repr(h) for h in header[:8])
        raise InputError(f"{name}, line 1: no title column among the headers ({shown}); "
                         "expected columns such as title, authors, year, journal, doi")
    out = ParseOutput(dialect=_dialect(set(keys)))
    position = 0
    line = reader.line_num + 1
    for row in reader:
        first_line, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        position += 1
        if len(row) != len(header):
            out.rejected.append((first_line, f"expected {len(header)} fields, found "
                                             f"{len(row)}"))
            continue
        raw = dict(zip(header, row, strict=True))
        fields: dict[str, object] = {}
        for field, index in columns.items():
            value = row[index].strip()
            fields[field] = value or None
        source_id = fields.pop("source_id", None)
        fields["authors"] = split_authors(row[columns["authors"]]) if "authors" in columns \
            else []
        if not has_content(fields):
            out.rejected.append((first_line, NO_CONTENT))
            continue
        out.records.append(BibRecord(position=position, line=first_line, raw=raw,
                                     fields=fields, source_id=source_id))  # type: ignore[arg-type]
    return out


def _columns(keys: list[str]) -> dict[str, int]:
    columns = {}
    for field, aliases in ALIASES.items():
        for alias in aliases:
            if alias in keys:
                columns[field] = keys.index(alias)
                break
    return columns


def _dialect(keys: set[str]) -> str:
    if "eid" in keys:
        return "Scopus"
    if _WOS_TAGS <= keys:
        return "Web of Science"
    if keys & {"embase accession id", "embase link", "pui"}:
        return "Embase"
    return "generic"


def split_authors(cell: str) -> list[str]:
    """Split an author cell: ``;``-separated (Scopus since 2023, Web of Science, Embase),
    Scopus' older ``"Smith J., Doe A."``, ``" and "`` (BibTeX style) or glued
    ``"Adeli K.Lewis G. F."``."""
    cell = cell.strip()
    if not cell:
        return []
    if ";" in cell:
        return [a.strip() for a in cell.split(";") if a.strip()]
    if "|" in cell:
        return [a.strip() for a in cell.split("|") if a.strip()]
    parts = [p.strip() for p in cell.split(", ")]
    if len(parts) > 1 and all(_SCOPUS_NAME.match(p) for p in parts):
        return parts
    if " and " in cell:
        return [a.strip() for a in cell.split(" and ") if a.strip()]
    return [a.strip() for a in _GLUED.split(cell) if a.strip()]

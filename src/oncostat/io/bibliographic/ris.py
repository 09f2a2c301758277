"""RIS (Research Information Systems) export files.

Each line is a two-character tag, two spaces, a hyphen, a space and the value
(``AU  - Smith, John``); a record runs from ``TY`` to ``ER``. The tags follow the RIS
specification [1]_ with the variants written by EndNote, Zotero, Ovid (``T1`` title,
``JF`` full journal name, ``N2`` abstract, ``Y1`` date), Embase.com and Scopus.

This reader is tolerant where exporters are sloppy: text outside records is skipped,
a non-tag line inside a record continues the previous value (wrapped abstracts), tags may
repeat (every value is kept), a record that starts before the previous one ended is
closed there, and a final record without ``ER`` is kept when the file ends cleanly. A file
that stops in the middle of a line inside a record is refused as truncated.

``rispy`` is not used: it drops line numbers, which the import summary and the error
messages need, and silently drops a final record without ``ER``.

References
----------
.. [1] Research Information Systems. RIS Format Specifications. Carlsbad, CA: Research
       Information Systems; 2011 (the tag list distributed with Reference Manager 12 and
       EndNote, "RIS Format Specifications", refman.com).
"""

from __future__ import annotations

import re

from oncostat.errors import InputError
from oncostat.io.bibliographic._common import (
    NO_CONTENT,
    BibRecord,
    ParseOutput,
    first,
    has_content,
    joined,
)

__all__ = ["parse"]

_TAG = re.compile(r"([A-Z][A-Z0-9])  -(?: (.*)|\s*)$")
_DOI_IN_TEXT = re.compile(r"(?:doi\.org/|^doi:?\s*|^)(10\.\d{4,9}/\S+)", re.IGNORECASE)
_PUBMED_URL = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)(\d+)")


def parse(text: str, name: str) -> ParseOutput:
    """Read the records of a RIS file.

    Parameters
    ----------
    text : str
        The decoded file, ``\\n`` line ends.
    name : str
        File name for messages.

    Returns
    -------
    ParseOutput
        Records with their first line, rejected records (no title, author or identifier)
        and notes about tolerated defects.

    Raises
    ------
    InputError
        If the file has no ``TY`` line at all, or ends inside a record in mid-line.
    """
    out = ParseOutput()
    lines = text.split("\n")
    ends_cleanly = text.endswith("\n")
    if ends_cleanly:
        lines.pop()
    raw: dict[str, list[str]] | None = None
    start = 0
    last: list[str] | None = None
    stray: list[int] = []
    position = 0

    def close(end_note: str | None = None) -> None:
        nonlocal raw, position
        position += 1
        if end_note:
            out.notes.append(end_note)
        _emit(out, raw or {}, position, start)
        raw = None

    for number, line in enumerate(lines, start=1):
        match = _TAG.match(line)
        if match is None:
            if not line.strip():
                continue
            if raw is not None and last is not None:
                last[-1] = f"{last[-1]} {line.strip()}".strip()
            else:
                stray.append(number)
            continue
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag == "ER":
            if raw is None:
                stray.append(number)
            else:
                close()
            continue
        if tag == "TY" and raw is not None:
            close(f"line {number}: a record started before the record at line {start} "
                  "ended (no ER); that record was closed there")
        if raw is None:
            if tag != "TY":
                out.notes.append(f"line {number}: a record starts without TY; it was read "
                                 "from there")
            raw, start = {}, number
        last = raw.setdefault(tag, [])
        last.append(value)
    if raw is not None:
        if not ends_cleanly:
            raise InputError(f"{name}, line {len(lines)}: the file ends in mid-line inside the "
                             f"record that starts at line {start} (no ER); the file looks "
                             "truncated, export it again")
        close(f"line {start}: the last record has no ER; it was kept")
    if stray:
        out.notes.append(f"{len(stray)} line(s) outside records were skipped "
                         f"(first at line {stray[0]})")
    if position == 0:
        raise InputError(f"{name}, line 1: no RIS record found (expected a line "
                         "'TY  - JOUR' starting each record)")
    return out


def _emit(out: ParseOutput, raw: dict[str, list[str]], position: int, line: int) -> None:
    fields = _fields(raw)
    if not has_content(fields):
        out.rejected.append((line, NO_CONTENT))
        return
    provider = (first(raw, "DB", "DP") or "").lower()
    if out.dialect == "standard" and ("ovid" in provider or ("T1" in raw and "JF" in raw)):
        out.dialect = "Ovid"
    elif out.dialect == "standard" and "embase" in provider:
        out.dialect = "Embase"
    out.records.append(BibRecord(position=position, line=line, raw=raw, fields=fields,
                                 source_id=first(raw, "ID", "AN")))


def _fields(raw: dict[str, list[str]]) -> dict[str, object]:
    authors = [v for tag in ("AU", "A1") for v in raw.get(tag, ()) if v.strip()]
    return {
        "title": first(raw, "TI", "T1", "CT", "BT"),
        "authors": authors,
        "year": first(raw, "PY", "Y1", "DA", "Y2"),
        "journal": first(raw, "JF", "T2", "JO", "JA", "J2", "J1"),
        "volume": first(raw, "VL"),
        "issue": first(raw, "IS", "CP"),
        "start_page": first(raw, "SP"),
        "end_page": first(raw, "EP"),
        "doi": _doi(raw),
        "pmid": _pmid(raw),
        "isbn": first(raw, "SN"),
        "abstract": joined(raw, "AB", "N2"),
        "type": first(raw, "TY"),
    }


def _doi(raw: dict[str, list[str]]) -> str | None:
    explicit = first(raw, "DO")
    if explicit:
        return explicit
    for tag in ("M3", "UR", "L2", "L3", "N1"):
        for value in raw.get(tag, ()):
            match = _DOI_IN_TEXT.search(value.strip())
            if match:
                return match.group(1)
    return None


def _pmid(raw: dict[str, list[str]]) -> str | None:
    """PMID: Ovid MEDLINE and PubMed-derived files put it in ``AN``; links name it too."""
    provider = " ".join(raw.get("DB", []) + raw.get("DP", [])).lower()
    accession = first(raw, "AN")
    if accession and ("medline" in provider or "pubmed" in provider) and accession.isdigit():
        return accession
    for tag in ("UR", "L2", "N1", "M2", "C5"):
        for value in raw.get(tag, ()):
            match = _PUBMED_URL.search(value)
            if match:
                return match.group(1)
    return None

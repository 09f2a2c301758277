"""PubMed / MEDLINE export files (``.nbib``, ``pubmed-*.txt``).

Tags are up to four letters padded to four characters, then ``- `` (``PMID- 31234567``,
``FAU - Smith, John``); continuation lines start with six spaces; records are separated
by a blank line [1]_. Each record is parsed by Biopython's ``Bio.Medline`` [2]_, which
joins wrapped lines and repeated ``AB`` paragraphs (structured abstracts) with a space;
this module splits the file into records first so that each keeps its line number.

References
----------
.. [1] National Library of Medicine. MEDLINE/PubMed Data Element (Field) Descriptions.
       Bethesda, MD: NLM; https://www.nlm.nih.gov/bsd/mms/medlineelements.html
.. [2] Cock PJA, et al. Biopython: freely available Python tools for computational
       molecular biology and bioinformatics. Bioinformatics. 2009;25:1422-1423.
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
)

__all__ = ["parse"]

_TAG = re.compile(r"[A-Z][A-Z0-9]{0,3} *- ")
_DOI = re.compile(r"(\S+)\s*\[doi\]")


def parse(text: str, name: str) -> ParseOutput:
    """Read the records of a MEDLINE-format file.

    Parameters
    ----------
    text : str
        The decoded file, ``\\n`` line ends.
    name : str
        File name for messages.

    Returns
    -------
    ParseOutput
        Records (``source_id`` is the PMID), rejected records and notes.

    Raises
    ------
    InputError
        If no record starts with ``PMID-``.
    """
    from Bio import Medline

    out = ParseOutput()
    chunk: list[str] = []
    start = 0
    position = 0
    stray: list[int] = []
    lines = text.split("\n")
    lines.append("")
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not chunk:
                if not _TAG.match(line):
                    stray.append(number)
                    continue
                start = number
            chunk.append(line.rstrip() + "\n")
            continue
        if not chunk:
            continue
        position += 1
        raw = dict(Medline.read(chunk))
        chunk = []
        fields = _fields(raw)
        if not has_content(fields):
            out.rejected.append((start, NO_CONTENT))
            continue
        out.records.append(BibRecord(position=position, line=start, raw=raw, fields=fields,
                                     source_id=_text(raw.get("PMID"))))
    if stray:
        out.notes.append(f"{len(stray)} line(s) outside records were skipped "
                         f"(first at line {stray[0]})")
    if position == 0:
        raise InputError(f"{name}, line 1: no MEDLINE record found (expected records "
                         "starting 'PMID- ')")
    return out


def _text(value: str | list[str] | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = " ".join(v.strip() for v in value)
    return value.strip() or None


def _fields(raw: dict[str, str | list[str]]) -> dict[str, object]:
    lists = {k: ([v] if isinstance(v, str) else list(v)) for k, v in raw.items()}
    doi = None
    for value in lists.get("AID", []) + lists.get("LID", []):
        match = _DOI.search(value)
        if match:
            doi = match.group(1)
            break
    authors = lists.get("AU") or lists.get("FAU") or []
    return {
        "title": _text(raw.get("TI")) or _text(raw.get("BTI")),
        "authors": [a for a in authors if a.strip()] + lists.get("CN", []),
        "year": first(lists, "DP", "DEP"),
        "journal": first(lists, "JT", "TA"),
        "volume": first(lists, "VI"),
        "issue": first(lists, "IP"),
        "pages": first(lists, "PG"),
        "doi": doi,
        "pmid": first(lists, "PMID"),
        "isbn": _text(raw.get("IS")) or first(lists, "ISBN"),
        "abstract": _text(raw.get("AB")),
        "type": first(lists, "PT"),
    }

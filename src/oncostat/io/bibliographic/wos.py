"""Web of Science plain-text ("tagged") export files (``savedrecs.txt``).

A file starts ``FN Clarivate Analytics Web of Science`` / ``VR 1.0`` and ends ``EF``; each
line is a two-character field tag, a space and the value, continuation lines start with
three spaces, and a record ends with ``ER`` [1]_. In list fields (authors ``AU``/``AF``,
addresses, cited references) each line is one value; in text fields (``TI``, ``AB``,
``SO``) continuation lines wrap the value and are joined with a space.

References
----------
.. [1] Clarivate. Web of Science Core Collection field tags. Philadelphia, PA: Clarivate;
       https://webofscience.help.clarivate.com/en-us/Content/export-records.htm
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

_TAG = re.compile(r"([A-Z][A-Z0-9])(?: (.*)|\s*)$")
_LIST_TAGS = frozenset({"AU", "AF", "BA", "BF", "BE", "CA", "GP", "C1", "C3", "CR", "EM",
                        "RI", "OI", "FU", "SP"})
_FILE_TAGS = frozenset({"FN", "VR", "EF"})


def parse(text: str, name: str) -> ParseOutput:
    """Read the records of a Web of Science tagged export.

    Parameters
    ----------
    text : str
        The decoded file, ``\\n`` line ends.
    name : str
        File name for messages.

    Returns
    -------
    ParseOutput
        Records (``source_id`` is the accession number ``UT``), rejected records, notes.

    Raises
    ------
    InputError
        If no record is found, or the file ends in mid-line inside a record.
    """
    out = ParseOutput()
    lines = text.split("\n")
    ends_cleanly = text.endswith("\n")
    if ends_cleanly:
        lines.pop()
    raw: dict[str, list[str]] | None = None
    last_tag = ""
    start = 0
    position = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if line.startswith("   ") or line.startswith("\t"):
            if raw is not None and last_tag:
                values = raw[last_tag]
                if last_tag in _LIST_TAGS:
                    values.append(line.strip())
                else:
                    values[-1] = f"{values[-1]} {line.strip()}".strip()
            continue
        match = _TAG.match(line)
        if match is None:
            continue
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag in _FILE_TAGS:
            continue
        if tag == "ER":
            if raw is not None:
                position += 1
                _emit(out, raw, position, start)
                raw = None
            continue
        if raw is None:
            raw, start = {}, number
        raw.setdefault(tag, []).append(value)
        last_tag = tag
    if raw is not None:
        if not ends_cleanly:
            raise InputError(f"{name}, line {len(lines)}: the file ends in mid-line inside the "
                             f"record that starts at line {start} (no ER); the file looks "
                             "truncated, export it again")
        position += 1
        out.notes.append(f"line {start}: the last record has no ER; it was kept")
        _emit(out, raw, position, start)
    if position == 0:
        raise InputError(f"{name}, line 1: no Web of Science record found (expected "
                         "records starting 'PT J' and ending 'ER')")
    return out


def _emit(out: ParseOutput, raw: dict[str, list[str]], position: int, line: int) -> None:
    fields = {
        "title": first(raw, "TI"),
        "authors": raw.get("AU") or raw.get("AF") or [],
        "year": first(raw, "PY", "EA", "PD"),
        "journal": first(raw, "SO", "SE", "J9", "JI"),
        "volume": first(raw, "VL"),
        "issue": first(raw, "IS"),
        "start_page": first(raw, "BP"),
        "end_page": first(raw, "EP"),
        "doi": first(raw, "DI"),
        "pmid": first(raw, "PM"),
        "isbn": first(raw, "SN", "EI", "BN"),
        "abstract": joined(raw, "AB"),
        "type": first(raw, "DT", "PT"),
    }
    if not has_content(fields):
        out.rejected.append((line, NO_CONTENT))
        return
    out.records.append(BibRecord(position=position, line=line, raw=raw, fields=fields,
                                 source_id=first(raw, "UT")))

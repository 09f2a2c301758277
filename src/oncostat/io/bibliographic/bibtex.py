"""BibTeX files (``.bib``), as exported by Scopus, Web of Science, Zotero and JabRef.

Entries are ``@type{key, field = {value}, ...}`` [1]_; they are read with
``bibtexparser`` (version 2), LaTeX escapes (``{\\"o}``, ``\\&``) decoded to Unicode and
enclosing braces removed. Names follow BibTeX's rules ("von Last, Jr, First" or
"First von Last", joined by ``and``) and are rewritten as "von Last, First".

References
----------
.. [1] Patashnik O. BibTeXing. 1988 (the ``btxdoc`` documentation distributed with
       BibTeX), sections 2 and 4 on entry and name formats.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from oncostat.errors import InputError
from oncostat.io.bibliographic._common import NO_CONTENT, BibRecord, ParseOutput, has_content

__all__ = ["parse"]

_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_PMID = re.compile(r"\d{1,9}")
_CORPORATE = re.compile(r"\b(?:group|collaborat\w*|committee|consortium|investigators|"
                        r"organi[sz]ation|society|association|network|council|institute)\b",
                        re.IGNORECASE)


class _Quiet(logging.Filter):
    """bibtexparser logs syntax errors itself; this reader raises them instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return False


def parse(text: str, name: str) -> ParseOutput:
    """Read the entries of a BibTeX file.

    Parameters
    ----------
    text : str
        The decoded file.
    name : str
        File name for messages.

    Returns
    -------
    ParseOutput
        One record per entry (``source_id`` is the citation key); ``@string``,
        ``@preamble`` and ``@comment`` blocks are not records.

    Raises
    ------
    InputError
        On a syntax error, with the line where the broken entry starts.
    """
    import bibtexparser
    from bibtexparser.middlewares import LatexDecodingMiddleware

    splitter_log = logging.getLogger("bibtexparser.splitter")
    quiet = _Quiet()
    splitter_log.addFilter(quiet)
    try:
        library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    finally:
        splitter_log.removeFilter(quiet)
    out = ParseOutput()
    for block in library.failed_blocks:
        ignored = getattr(block, "ignore_error_block", None)
        head = block.raw.strip().split("\n", 1)[0][:60]
        if type(block).__name__ == "DuplicateFieldKeyBlock" and ignored is not None:
            keys = ", ".join(sorted(block.duplicate_keys))
            out.notes.append(f"line {block.start_line + 1}: entry {head!r} repeats the "
                             f"field(s) {keys}; the first value of each was kept")
            continue
        error = block.error
        reason = getattr(error, "abort_reason", None) or str(error) or type(error).__name__
        raise InputError(f"{name}, line {block.start_line + 1}: BibTeX syntax error in the "
                         f"entry starting {head!r}: {reason}")
    entries = sorted([*library.entries, *_repaired(library)], key=lambda e: e.start_line)
    for position, entry in enumerate(entries, start=1):
        raw: dict[str, Any] = {"ENTRYTYPE": entry.entry_type, "ID": entry.key}
        for f in entry.fields:
            raw.setdefault(f.key.lower(), str(f.value))
        fields = _fields(raw)
        line = entry.start_line + 1
        if not has_content(fields):
            out.rejected.append((line, NO_CONTENT))
            continue
        out.records.append(BibRecord(position=position, line=line, raw=raw, fields=fields,
                                     source_id=entry.key or None))
    if not entries:
        raise InputError(f"{name}, line 1: no BibTeX entry found (expected '@article{{key, "
                         "...}')")
    return out


def _repaired(library: Any) -> list[Any]:
    """Entries with a repeated field, put through the parse stack they missed."""
    from bibtexparser import Library
    from bibtexparser.middlewares import LatexDecodingMiddleware
    from bibtexparser.middlewares.parsestack import default_parse_stack

    blocks = [b.ignore_error_block for b in library.failed_blocks]
    if not blocks:
        return []
    repaired = Library([*library.strings, *blocks])
    for middleware in [*default_parse_stack(), LatexDecodingMiddleware()]:
        repaired = middleware.transform(repaired)
    return list(repaired.entries)


def _names(value: str | None) -> list[str]:
    from bibtexparser.middlewares.names import parse_single_name_into_parts

    if not value:
        return []
    names = []
    for part in _AND.split(value.strip()):
        part = part.strip()
        if not part:
            continue
        if "," not in part and _CORPORATE.search(part):  # {World Health Organization}
            names.append(part)
            continue
        try:
            parts = parse_single_name_into_parts(part)
        except Exception:  # bibtexparser raises several types; keep the name as written
            names.append(part)
            continue
        last = " ".join(parts.von + parts.last)
        given = " ".join(parts.first)
        names.append(f"{last}, {given}" if given else last)
    return names


def _fields(raw: dict[str, Any]) -> dict[str, object]:
    def get(*keys: str) -> str | None:
        for key in keys:
            value = raw.get(key)
            if value and str(value).strip():
                return " ".join(str(value).replace("{", "").replace("}", "").split())
        return None

    pmid = get("pmid")
    if pmid is None and (get("eprinttype") or "").lower() == "pubmed":
        pmid = get("eprint")
    if pmid is None:
        note = get("note") or ""
        if "pmid" in note.lower():
            match = _PMID.search(note[note.lower().index("pmid"):])
            pmid = match.group(0) if match else None
    return {
        "title": get("title"),
        "authors": _names(raw.get("author")) or _names(raw.get("editor")),
        "year": get("year", "date"),
        "journal": get("journal", "journaltitle", "booktitle", "series"),
        "volume": get("volume"),
        "issue": get("number", "issue"),
        "pages": get("pages"),
        "doi": get("doi"),
        "pmid": pmid,
        "isbn": get("isbn", "issn"),
        "abstract": get("abstract"),
        "type": raw.get("ENTRYTYPE"),
    }

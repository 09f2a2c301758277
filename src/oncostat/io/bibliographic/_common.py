"""What every bibliographic reader returns: records with their raw fields and line numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["NO_CONTENT", "BibRecord", "ParseOutput", "first", "has_content", "joined"]


@dataclass(frozen=True, slots=True)
class BibRecord:
    """One record as read from an export file.

    Attributes
    ----------
    position : int
        1-based order of the record in the file, counting rejected records too, so a
        record keeps its position whatever happens to its neighbours.
    line : int or None
        Line of the file where the record starts (1-based), when the format has lines.
    raw : dict
        The record exactly as exported: tag or column name to value (a list of strings
        for tagged formats, where a tag may repeat).
    fields : dict
        The format's fields mapped to oncostat's names (``title``, ``authors`` as a list,
        ``year``, ``journal``, ``volume``, ``issue``, ``start_page``, ``end_page``,
        ``pages``, ``doi``, ``pmid``, ``isbn``, ``abstract``, ``type``), not yet cleaned;
        :func:`oncostat.review.records.normalise_fields` cleans them.
    source_id : str or None
        The file's own identifier for the record (RIS ``ID``, MEDLINE ``PMID``, Web of
        Science ``UT``, a BibTeX key, an EndNote record number, a CSV id column).
    """

    position: int
    line: int | None
    raw: dict[str, Any] = field(repr=False)
    fields: dict[str, Any] = field(repr=False)
    source_id: str | None = None


@dataclass(slots=True)
class ParseOutput:
    """What a format module's ``parse`` hands back to :func:`read_records`."""

    records: list[BibRecord] = field(default_factory=list)
    rejected: list[tuple[int | None, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dialect: str = "standard"


def first(raw: dict[str, list[str]], *tags: str) -> str | None:
    """First non-empty value among ``tags``, tried in order."""
    for tag in tags:
        for value in raw.get(tag, ()):
            if value and value.strip():
                return value.strip()
    return None


def joined(raw: dict[str, list[str]], *tags: str) -> str | None:
    """All values of the first tag that has any, joined by a space (wrapped or repeated
    text fields such as abstracts split into sections)."""
    for tag in tags:
        values = [v.strip() for v in raw.get(tag, ()) if v and v.strip()]
        if values:
            return " ".join(values)
    return None


def has_content(fields: dict[str, Any]) -> bool:
    """A record worth keeping names a title, an author or an identifier."""
    return bool(fields.get("title") or fields.get("authors") or fields.get("doi")
                or fields.get("pmid"))


NO_CONTENT = "record has no title, no author, no DOI and no PMID"

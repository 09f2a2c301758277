"""EndNote XML export files (File > Export > XML in EndNote).

The document is ``<xml><records><record>...</record></records></xml>``; each record
holds ``rec-number``, ``ref-type name="Journal Article"``, ``contributors/authors/author``,
``titles/title``, ``titles/secondary-title`` (the journal), ``periodical/full-title``,
``pages``, ``volume``, ``number``, ``dates/year``, ``isbn``, ``accession-num``,
``electronic-resource-num`` (the DOI), ``abstract`` and ``remote-database-name``, with
the text wrapped in ``<style>`` runs [1]_. The raw record keeps every element's text under
its path inside ``record`` (``"titles/title"``), style runs concatenated.

Parsed with the standard library's expat so that each record keeps its line number.

References
----------
.. [1] Clarivate. EndNote XML document type definition (``RSXML.dtd``, distributed with
       EndNote); EndNote 21 help, "Exporting to XML".
"""

from __future__ import annotations

import re
from xml.parsers import expat

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

_PUBMED = re.compile(r"pubmed|medline", re.IGNORECASE)
_PUBMED_URL = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)(\d+)")


def parse(text: str, name: str) -> ParseOutput:
    """Read the records of an EndNote XML file.

    Parameters
    ----------
    text : str
        The decoded file.
    name : str
        File name for messages.

    Returns
    -------
    ParseOutput
        Records (``source_id`` is ``rec-number``), rejected records and notes.

    Raises
    ------
    InputError
        If the XML is malformed (with expat's line) or holds no ``<record>``.
    """
    out = ParseOutput()
    parser = expat.ParserCreate()
    stack: list[str] = []
    buffers: list[list[str]] = []
    raw: dict[str, list[str]] | None = None
    attrs: dict[str, str] = {}
    depth = 0
    start = 0
    position = 0

    def start_element(tag: str, attributes: dict[str, str]) -> None:
        nonlocal raw, start, depth, attrs
        if tag == "record" and raw is None:
            raw, start, depth, attrs = {}, parser.CurrentLineNumber, len(stack), {}
            stack.append(tag)
            return
        stack.append(tag)
        if raw is not None and tag != "style":
            buffers.append([])
            if "name" in attributes:
                attrs[_path(stack, depth)] = attributes["name"]

    def end_element(tag: str) -> None:
        nonlocal raw, position
        if tag == "record" and raw is not None and len(stack) == depth + 1:
            stack.pop()
            position += 1
            _emit(out, raw, attrs, position, start)
            raw = None
            return
        if raw is not None and tag != "style":
            value = " ".join("".join(buffers.pop()).split())
            if value:
                raw.setdefault(_path(stack, depth), []).append(value)
        stack.pop()

    def characters(data: str) -> None:
        if raw is not None and buffers:
            buffers[-1].append(data)

    parser.StartElementHandler = start_element
    parser.EndElementHandler = end_element
    parser.CharacterDataHandler = characters
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise InputError(f"{name}, line {exc.lineno}: not well-formed XML "
                         f"({expat.ErrorString(exc.code)}, column {exc.offset + 1}); the file "
                         "may be truncated, export it again") from None
    if position == 0:
        raise InputError(f"{name}, line 1: no <record> element found; expected an EndNote "
                         "XML export (<xml><records><record>...)")
    return out


def _path(stack: list[str], depth: int) -> str:
    return "/".join(t for t in stack[depth + 1:] if t != "style")


def _emit(out: ParseOutput, raw: dict[str, list[str]], attrs: dict[str, str], position: int,
          line: int) -> None:
    if "ref-type" in attrs:
        raw["ref-type@name"] = [attrs["ref-type"]]
    pmid = None
    accession = first(raw, "accession-num")
    provider = " ".join(raw.get("remote-database-name", []) +
                        raw.get("remote-database-provider", []))
    if accession and accession.isdigit() and _PUBMED.search(provider):
        pmid = accession
    for url in raw.get("urls/related-urls/url", []) + raw.get("urls/web-urls/url", []):
        match = _PUBMED_URL.search(url)
        if pmid is None and match:
            pmid = match.group(1)
    fields = {
        "title": first(raw, "titles/title"),
        "authors": raw.get("contributors/authors/author", []),
        "year": first(raw, "dates/year", "dates/pub-dates/date"),
        "journal": first(raw, "periodical/full-title", "titles/secondary-title",
                         "titles/full-title", "periodical/abbr-1", "alt-periodical/full-title"),
        "volume": first(raw, "volume"),
        "issue": first(raw, "number", "issue"),
        "pages": first(raw, "pages"),
        "doi": first(raw, "electronic-resource-num"),
        "pmid": pmid,
        "isbn": first(raw, "isbn"),
        "abstract": joined(raw, "abstract"),
        "type": first(raw, "ref-type@name", "ref-type"),
    }
    if not has_content(fields):
        out.rejected.append((line, NO_CONTENT))
        return
    out.records.append(BibRecord(position=position, line=line, raw=raw, fields=fields,
                                 source_id=first(raw, "rec-number")))

"""Readers for bibliographic database exports.

:func:`read_records` reads one export file (format detected from its content) into
:class:`BibRecord` objects that keep the raw record, its position and first line. The
formats, one module each:

========================  ===========  ==============================================
format                    module       written by
========================  ===========  ==============================================
``"ris"``                 ris          EndNote, Zotero, Ovid (MEDLINE, Embase), Embase.com
``"medline"``             medline      PubMed (``.nbib``, "PubMed" format)
``"bibtex"``              bibtex       Scopus, Web of Science, Zotero, JabRef
``"endnote_xml"``         endnote_xml  EndNote (File > Export > XML)
``"wos"``                 wos          Web of Science plain text (tagged)
``"csv"``                 csv_exports  Scopus CSV, Web of Science tab-delimited,
                                       Embase CSV, any CSV with named columns
========================  ===========  ==============================================
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from oncostat.errors import InputError
from oncostat.io.bibliographic._common import BibRecord, ParseOutput

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMATS", "BibRecord", "Format", "ImportResult", "detect_format", "read_records"]

Format = Literal["ris", "medline", "bibtex", "endnote_xml", "wos", "csv"]
FORMATS: tuple[str, ...] = get_args(Format)
_MODULES = {"ris": "ris", "medline": "medline", "bibtex": "bibtex",
            "endnote_xml": "endnote_xml", "wos": "wos", "csv": "csv_exports"}
_RIS_TY = re.compile(r"^TY  - ", re.MULTILINE)
_MEDLINE = re.compile(r"^PMID- *\d", re.MULTILINE)
_BIBTEX = re.compile(r"^\s*@[A-Za-z]+\s*[{(]", re.MULTILINE)
_WOS = re.compile(r"^(?:FN |PT [A-Z]\s*$)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """Records read from one export file by :func:`read_records`.

    Attributes
    ----------
    path : Path
        The file read.
    format : str
        One of :data:`FORMATS`.
    dialect : str
        The exporter's variant when it matters: ``"Ovid"`` or ``"Embase"`` RIS, ``"Scopus"``,
        ``"Web of Science"``, ``"Embase"`` or ``"generic"`` CSV; else ``"standard"``.
    encoding : str
        The codec the text was decoded with.
    sha256 : str
        Hash of the file's bytes (to recognise a file imported twice).
    records : tuple of BibRecord
        Records kept, in file order.
    rejected : tuple of (line, reason)
        Records not kept, with the line where each starts (``None`` when unknown).
    notes : tuple of str
        Defects tolerated on the way (stray lines, a missing final ``ER``).
    """

    path: Path
    format: str
    dialect: str
    encoding: str
    sha256: str
    records: tuple[BibRecord, ...] = field(repr=False)
    rejected: tuple[tuple[int | None, str], ...] = ()
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Normalised fields, one row per record, as the review store keeps them."""
        import pandas as pd

        from oncostat.review.records import normalise_fields

        rows = [{"position": r.position, "line": r.line, "source_id": r.source_id,
                 **normalise_fields(r.fields)} for r in self.records]
        frame = pd.DataFrame(rows)
        if "year" in frame.columns:
            frame["year"] = frame["year"].astype("Int64")
        return frame


def detect_format(text: str, name: str = "<text>") -> Format:
    """Tell an export's format from its first 200 lines.

    Parameters
    ----------
    text : str
        The decoded file.
    name : str
        File name for messages.

    Raises
    ------
    InputError
        When no format fits; the message shows the first line.
    """
    head = "\n".join(text.lstrip("\ufeff").split("\n", 200)[:200])
    stripped = head.lstrip()
    if stripped.startswith("<"):
        if "<record" in head or "<records" in head:
            return "endnote_xml"
        raise InputError(f"{name}, line 1: XML but not an EndNote XML export (no <records>); "
                         "PubMed XML is not read, export PubMed results as MEDLINE (.nbib)")
    if _RIS_TY.search(head):
        return "ris"
    if _MEDLINE.search(head):
        return "medline"
    if _WOS.search(head):
        return "wos"
    if _BIBTEX.search(head):
        return "bibtex"
    from oncostat.io.bibliographic.csv_exports import looks_like_header

    first_line = stripped.split("\n", 1)[0]
    if looks_like_header(first_line):
        return "csv"
    raise InputError(f"{name}, line 1: unknown format (the file starts {first_line[:60]!r}); "
                     "expected RIS ('TY  - '), MEDLINE ('PMID- '), BibTeX ('@article{'), "
                     "EndNote XML, Web of Science ('FN '/'PT J') or a CSV with a title column")


def read_records(path: str | Path, format: Format | None = None, *,
                 encoding: str | None = None) -> ImportResult:
    """Read the records of a bibliographic export file.

    Parameters
    ----------
    path : str or Path
        The export file.
    format : {"ris", "medline", "bibtex", "endnote_xml", "wos", "csv"}, optional
        Detected from the content when omitted (see :func:`detect_format`).
    encoding : str, optional
        The file's encoding; detected when omitted (a byte-order mark, UTF-8, else the
        best guess, typically Windows-1252).

    Returns
    -------
    ImportResult

    Raises
    ------
    InputError
        The file cannot be read, is empty, its format is unknown, it cannot be decoded,
        or it is malformed beyond repair (a truncated RIS, a BibTeX syntax error, broken
        XML); the message names the file and the line.

    Examples
    --------
    >>> from oncostat.io.bibliographic import read_records
    >>> result = read_records("pubmed_hcc.nbib")          # doctest: +SKIP
    >>> result.format, len(result.records)                # doctest: +SKIP
    ('medline', 30)
    """
    import importlib

    from oncostat.io.bibliographic._encoding import decode

    path = Path(path)
    name = path.name
    if format is not None and format not in FORMATS:
        raise InputError(f"{name}: unknown format {format!r}; expected one of "
                         f"{', '.join(FORMATS)}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if not data.strip():
        raise InputError(f"{name}: the file is empty")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(f"{name}: a spreadsheet or archive, not a text export; save it as "
                         "CSV (UTF-8) or export RIS instead")
    text, used = decode(data, name, encoding)
    fmt = format or detect_format(text, name)
    module = importlib.import_module(f"oncostat.io.bibliographic.{_MODULES[fmt]}")
    out: ParseOutput = module.parse(text, name)
    return ImportResult(path=path, format=fmt, dialect=out.dialect, encoding=used,
                        sha256=hashlib.sha256(data).hexdigest(), records=tuple(out.records),
                        rejected=tuple(out.rejected), notes=tuple(out.notes))

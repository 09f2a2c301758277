"""Normalised bibliographic fields, derived from what each database exported.

The store keeps every record twice: raw, exactly as imported, and normalised by
:func:`normalise_fields` into one vocabulary (title, ``"Surname, Initials"`` authors, an
integer year, a bare lower-case DOI, expanded page ranges), so that records from PubMed,
Web of Science, Scopus and Embase can be listed, counted and compared side by side.
Matching keys for de-duplication (accents folded, punctuation dropped) are a further
step, in :mod:`oncostat.review.normalise`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

__all__ = [
    "FIELDS",
    "NORMALISER_VERSION",
    "normalise_author",
    "normalise_doi",
    "normalise_fields",
    "normalise_issn_isbn",
    "normalise_pages",
    "normalise_pmid",
    "parse_year",
]

NORMALISER_VERSION = 1
"""Bumped when :func:`normalise_fields` changes what it returns for the same input."""

FIELDS: tuple[str, ...] = ("title", "authors", "first_author_surname", "year", "journal",
                           "volume", "issue", "pages", "first_page", "doi", "pmid", "isbn",
                           "abstract", "type")
"""Normalised fields, in the order of :meth:`ReviewStore.records` columns."""

_DOI = re.compile(r"10\.\d{4,9}/[^\s\"<>]+", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_PMID = re.compile(r"^(?:pmid:?\s*)?(\d{1,9})$", re.IGNORECASE)
_INITIALS_TOKEN = re.compile(r"^(?:[A-Z]{1,3}|(?:[A-Z]\.-?)+[A-Z]?)$")
_GIVEN_SPLIT = re.compile(r"[\s.\-]+")
_PAGES = re.compile(r"^([A-Za-z]{0,2})(\d+)\s*-+\s*([A-Za-z]{0,2})(\d+)$")
_CORPORATE = re.compile(r"\b(?:group|collaborat\w*|committee|consortium|investigators|"
                        r"organi[sz]ation|society|association|network|team|trial|study|"
                        r"council|institute|centre|center|working|panel)\b", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
# Scopus writes "[No abstract available]" and "[No author name available]" for nothing.
_PLACEHOLDER = re.compile(r"^\[no [^\]]* available\]$|^anonymous$|^anon$", re.IGNORECASE)
_STANDARD_NUMBER = re.compile(r"(?<![\dXx-])(\d[\d-]{6,15}[\dXx])(?![\dXx-])")


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = _SPACE.sub(" ", str(value)).strip()
    if not text or _PLACEHOLDER.match(text):
        return None
    return text


def normalise_issn_isbn(value: Any) -> str | None:
    """ISSNs as ``NNNN-NNNC`` and ISBNs as digits, ``"; "``-joined without repeats:
    ``"1664-3224 (Electronic) 1664-3224 (Linking)"`` gives ``"1664-3224"``."""
    text = _clean(value)
    if text is None:
        return None
    numbers: list[str] = []
    for token in _STANDARD_NUMBER.findall(text):
        digits = token.replace("-", "").upper()
        if len(digits) == 8:
            number = f"{digits[:4]}-{digits[4:]}"
        elif len(digits) in (10, 13):
            number = digits
        else:
            continue
        if number not in numbers:
            numbers.append(number)
    return "; ".join(numbers) if numbers else text


def normalise_doi(value: Any) -> str | None:
    """A DOI in lower case without resolver prefix: ``https://doi.org/10.1097/MOL.0b0``
    and ``doi:10.1097/mol.0b0`` both give ``10.1097/mol.0b0``.

    DOIs are case-insensitive (DOI Handbook, section 2.4), so lower case is lossless.
    """
    text = _clean(value)
    if text is None:
        return None
    match = _DOI.search(unquote(text))
    if match is None:
        return None
    doi = match.group(0).lower().rstrip(".,;")
    if doi.endswith(")") and doi.count("(") < doi.count(")"):
        doi = doi[:-1]
    return doi


def normalise_pmid(value: Any) -> str | None:
    """PubMed identifier as digits (``"PMID: 31234567"`` gives ``"31234567"``)."""
    text = _clean(value)
    if text is None:
        return None
    match = _PMID.match(text)
    if match is None:
        return None
    return match.group(1).lstrip("0") or None


def parse_year(value: Any) -> int | None:
    """First plausible year (1500-2099) in a date: ``"2019/03/05/"``, ``"2019 Mar 5"``."""
    text = _clean(value)
    if text is None:
        return None
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None


def normalise_pages(pages: Any = None, start: Any = None,
                    end: Any = None) -> tuple[str | None, str | None]:
    """Page range and first page; MEDLINE's abbreviated ``"221-8"`` becomes ``"221-228"``.

    Parameters
    ----------
    pages : str, optional
        A range as one field (``PG``, BibTeX ``pages``, ``"221--228"``).
    start, end : str, optional
        First and last page as separate fields (RIS ``SP``/``EP``, Web of Science
        ``BP``/``EP``); used when ``pages`` is missing.
    """
    text = _clean(pages)
    if text is None:
        first, last = _clean(start), _clean(end)
        if first is None:
            return None, None
        if "-" in first and last is None:
            text = first
        else:
            text = f"{first}-{last}" if last and last != first else first
    text = text.replace("\u2013", "-").replace("\u2014", "-")
    match = _PAGES.match(text)
    if match is None:
        return text, text.split("-")[0].strip() or None
    prefix1, a, prefix2, b = match.groups()
    if not prefix2 and len(b) < len(a):
        b = a[: len(a) - len(b)] + b
    return f"{prefix1}{a}-{prefix2 or prefix1}{b}", f"{prefix1}{a}"


def normalise_author(name: str) -> tuple[str, str]:
    """Surname and initials of one author name, as ``("Smith", "JA")``.

    Reads "Smith, John A." (RIS, Web of Science ``AF``, EndNote), "Smith JA" (MEDLINE
    ``AU``), "Smith J.A." and "Gan L. M." (Scopus, Embase), and "John A. Smith"; a
    corporate author ("WHO Collaborative Group") is kept whole as the surname.
    """
    text = _clean(str(name).replace(",", ", ")) or ""
    text = text.strip(" ,;")
    if not text:
        return "", ""
    if "," in text:
        surname, _, given = text.partition(",")
        given = given.split(",")[0]  # "Smith, John, Jr." - the suffix is not an initial
        return surname.strip(), _initials(given)
    tokens = text.split(" ")
    k = len(tokens)
    while k > 1 and _INITIALS_TOKEN.match(tokens[k - 1]):
        k -= 1
    if k < len(tokens):
        return " ".join(tokens[:k]), _initials(" ".join(tokens[k:]))
    if 2 <= len(tokens) <= 4 and not _CORPORATE.search(text) and all(
            t[:1].isupper() for t in tokens):
        surname_start = len(tokens) - 1
        while surname_start > 1 and tokens[surname_start - 1].lower() in _PARTICLES:
            surname_start -= 1
        return " ".join(tokens[surname_start:]), _initials(" ".join(tokens[:surname_start]))
    return text, ""


_PARTICLES = frozenset({"van", "von", "der", "den", "de", "del", "della", "di", "da", "du",
                        "la", "le", "dos", "das", "ten", "ter"})


def _initials(given: str) -> str:
    given = given.strip()
    if re.fullmatch(r"[A-Z]{1,3}", given):  # MEDLINE "JA" is already initials
        return given
    return "".join(p[0].upper() for p in _GIVEN_SPLIT.split(given) if p and p[0].isalpha())


def _authors(names: Sequence[str]) -> tuple[str | None, str | None]:
    formatted, first_surname = [], None
    for name in names:
        surname, initials = normalise_author(str(name))
        if not surname:
            continue
        if first_surname is None:
            first_surname = surname
        formatted.append(f"{surname}, {initials}" if initials else surname)
    return ("; ".join(formatted) or None), first_surname


def normalise_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise the fields a reader extracted from one record.

    Parameters
    ----------
    fields : mapping
        ``title``, ``authors`` (list of names), ``year``, ``journal``, ``volume``,
        ``issue``, ``pages`` or ``start_page``/``end_page``, ``doi``, ``pmid``, ``isbn``
        (ISSNs and ISBNs), ``abstract``, ``type``; missing keys are missing values, and
        so are placeholders such as Scopus' ``"[No abstract available]"``.

    Returns
    -------
    dict
        The keys of :data:`FIELDS`: strings with whitespace collapsed (``None`` when
        empty), ``authors`` joined by ``"; "`` as ``"Surname, Initials"``, ``year`` an
        int or ``None``, ``doi`` bare lower case, ``pmid`` digits.

    Examples
    --------
    >>> out = normalise_fields({"title": " Intestinal  lipoprotein overproduction ",
    ...                         "authors": ["Adeli K.", "Lewis G. F."], "year": "2008///",
    ...                         "pages": "221-8", "doi": "http://dx.doi.org/10.1097/MOL.0B0"})
    >>> out["authors"], out["year"], out["pages"], out["doi"]
    ('Adeli, K; Lewis, GF', 2008, '221-228', '10.1097/mol.0b0')
    """
    authors = fields.get("authors") or []
    if isinstance(authors, str):
        authors = [authors]
    joined, first_surname = _authors(authors)
    pages, first_page = normalise_pages(fields.get("pages"), fields.get("start_page"),
                                        fields.get("end_page"))
    return {
        "title": _clean(fields.get("title")),
        "authors": joined,
        "first_author_surname": first_surname,
        "year": parse_year(fields.get("year")),
        "journal": _clean(fields.get("journal")),
        "volume": _clean(fields.get("volume")),
        "issue": _clean(fields.get("issue")),
        "pages": pages,
        "first_page": first_page,
        "doi": normalise_doi(fields.get("doi")),
        "pmid": normalise_pmid(fields.get("pmid")),
        "isbn": normalise_issn_isbn(fields.get("isbn")),
        "abstract": _clean(fields.get("abstract")),
        "type": _clean(fields.get("type")),
    }

"""Matching keys for bibliographic records: titles, authors, DOIs, pages, ISSNs and journals.

Each function takes one raw field as exported by a database (any of ``None``, NaN or a
string) and returns the form that :func:`oncostat.review.dedup.find_duplicates` compares:
lower case, accents folded, punctuation dropped. The same paper is written differently
by different databases -- "Adeli K.Lewis G. F." (Embase via EndNote), "Adeli, K.; Lewis,
G. F." (RIS), "Abendroth, Anja-Kristin and Reimann, Mareike" (BibTeX); "221-8" and
"221-228"; "http://dx.doi.org/10.1097/MOL.0b013e..." and "10.1097/mol.0b013e..." -- and
these keys make such variants equal, as the pre-processing of ASySD does [1]_.

References
----------
.. [1] Hair K, Bahor Z, Macleod M, Liao J, Sena ES. The Automated Systematic Search
       Deduplicator (ASySD): a rapid, open-source, interoperable tool to remove duplicate
       citations in biomedical systematic reviews. BMC Biol. 2023;21:189.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pandas as pd

__all__ = [
    "author_surnames",
    "author_words",
    "doi_key",
    "first_page",
    "issn_keys",
    "journal_key",
    "last_page",
    "normalise_text",
    "notice_kind",
    "title_keys",
    "volume_key",
    "year_key",
]

_TAG = re.compile(r"<[^>]+>")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_DOI = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)
_BRACKETED = re.compile(r"\[([^\]]{10,})\]\s*\.?\s*$")
_PAGE = re.compile(r"[A-Za-z]{0,2}\d+")
_ISSN = re.compile(r"\b(\d{4})-?(\d{3}[\dXx])\b")
_ISBN = re.compile(r"\b(97[89][\d-]{10,14}|\d[\d-]{8,11}[\dXx])\b")
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")
# A concatenated author list as some EndNote exports write it: "Adeli K.Lewis G. F.".
_GLUED = re.compile(r"(?<=[A-Z]\.)(?=[A-Z][a-z])")
_NOTICES = {
    "correction": r"erratum|errata|correction|corrigendum|corrigenda",
    "retraction": r"retraction|retracted|expression of concern",
    "reply": r"reply|response|author s reply|authors reply|in reply",
    "comment": r"comment|commentary on|letter|re",
}
_NOTICE = re.compile("|".join(f"^(?P<{k}>(?:{v}))\\b" for k, v in _NOTICES.items()))


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def normalise_text(value: Any) -> str:
    """Lower case, accents folded to ASCII, HTML tags and punctuation replaced by spaces.

    ``"Almås, Ingvild"`` becomes ``"almas ingvild"``; a missing value becomes ``""``.
    """
    if _missing(value):
        return ""
    text = _TAG.sub("", str(value))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return _NON_ALNUM.sub(" ", text.replace("'", "")).strip()


def title_keys(title: Any) -> tuple[str, str]:
    """The normalised title and, when the title ends in a bracketed original-language title
    (Scopus writes "Crowdwork: ... [Arbeiten in der Crowd: ...]"), that title; else ``""``.
    """
    if _missing(title):
        return "", ""
    text = str(title)
    match = _BRACKETED.search(text)
    if match is None:
        return normalise_text(text), ""
    main = normalise_text(text[: match.start()])
    return main, normalise_text(match.group(1))


def notice_kind(title_key: str) -> str:
    """``"correction"``, ``"retraction"``, ``"reply"`` or ``"comment"`` when a normalised
    title is that of a notice about another paper ("Erratum to: ..."), else ``""``."""
    match = _NOTICE.match(title_key)
    return match.lastgroup or "" if match else ""


def doi_key(doi: Any) -> str:
    """The DOI alone, lower case (DOIs are case-insensitive): no resolver URL, no ``doi:``."""
    if _missing(doi):
        return ""
    match = _DOI.search(str(doi))
    if match is None:
        return ""
    return match.group(0).rstrip(".,;)").casefold()


def first_page(pages: Any) -> str:
    """The first page, upper case: ``"221-8"`` gives ``"221"``, ``"e1002"`` gives ``"E1002"``."""
    if _missing(pages):
        return ""
    match = _PAGE.search(str(pages))
    return match.group(0).upper().lstrip("0") if match else ""


def last_page(pages: Any) -> str:
    """The last page, expanded: ``"221-8"`` gives ``"228"``; ``""`` for a single page."""
    if _missing(pages):
        return ""
    found = _PAGE.findall(str(pages))
    if len(found) < 2:
        return ""
    first, last = found[0].upper(), found[1].upper()
    if last.isdigit() and first.isdigit() and len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return last


def volume_key(volume: Any) -> str:
    """The volume number: ``"38 (Supplement 1)"`` and ``"Volume 38"`` give ``"38"``."""
    if _missing(volume):
        return ""
    match = re.search(r"\d+", str(volume))
    return match.group(0).lstrip("0") if match else ""


def year_key(year: Any) -> int | None:
    """The four-digit year as an int, or ``None``."""
    if _missing(year):
        return None
    match = re.search(r"(1[5-9]|20)\d\d", str(year))
    return int(match.group(0)) if match else None


def issn_keys(value: Any) -> frozenset[str]:
    """ISSNs and ISBNs in a field (databases put either in ``isbn``), digits only."""
    if _missing(value):
        return frozenset()
    text = str(value)
    keys = {a + b.upper() for a, b in _ISSN.findall(text)}
    keys.update(m.replace("-", "").upper() for m in _ISBN.findall(text))
    return frozenset(keys)


_STOP = frozenset({"the", "of", "and", "in", "for", "on", "a", "an", "de", "la", "journal",
                   "j"})


def journal_key(journal: Any) -> tuple[str, ...]:
    """Journal title words without stop words: "Current Opinion in Lipidology" gives
    ``("current", "opinion", "lipidology")``, comparable with "Curr Opin Lipidol" by prefix.
    Conference notes after a full stop ("Microcirculation. Conference: ...") are dropped.
    """
    if _missing(journal):
        return ()
    text = str(journal)
    head = text.split(". ")[0] if ". Conference" in text else text
    return tuple(w for w in normalise_text(head).split() if w not in _STOP)


def author_surnames(authors: Any) -> tuple[str, ...]:
    """Normalised surnames of a list of authors, in order.

    Understands ``"Surname, Initials; ..."`` (the store's form), BibTeX's ``" and "``
    separator, PubMed's ``"Surname II"`` and the glued ``"Adeli K.Lewis G. F."``;
    a name without comma and without initials is taken as "Given Surname".
    """
    if _missing(authors):
        return ()
    text = str(authors).strip()
    if ";" in text:
        names = text.split(";")
    elif " and " in text:
        names = text.split(" and ")
    elif "," in text and not _GLUED.search(text):
        # "Surname A, Surname B" (Vancouver) or a single "Surname, Given".
        parts = [p.strip() for p in text.split(",")]
        vancouver = all(_INITIALS.match(p.split()[-1]) for p in parts if p.split())
        names = parts if vancouver and len(parts) > 1 else [text]
    else:
        names = _GLUED.split(text)
    out = []
    for name in names:
        surname = _surname(name.strip())
        if surname:
            out.append(surname)
    return tuple(out)


def author_words(authors: Any) -> tuple[str, ...]:
    """Every normalised word of two letters or more in an author list, surnames and given
    names alike, for lists whose parts an export confused."""
    return tuple(w for w in normalise_text(authors).split() if len(w) > 1 and w != "and")


def _surname(name: str) -> str:
    if not name:
        return ""
    if "," in name:
        return normalise_text(name.split(",")[0])
    tokens = name.replace(".", ". ").split()
    initial = [bool(_INITIALS.match(t)) for t in tokens]
    if not any(initial):
        return normalise_text(tokens[-1])
    if initial[0] and not all(initial):
        # "G. F. Lewis"
        return normalise_text(" ".join(t for t, i in zip(tokens, initial, strict=True) if not i))
    # "Lewis G. F.", "El Hachmane M."
    end = next((k for k, i in enumerate(initial) if i), len(tokens))
    return normalise_text(" ".join(tokens[:end]))

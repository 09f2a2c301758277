"""Decoding export files whose encoding nobody wrote down.

Databases export UTF-8 (Scopus, PubMed, Web of Science since 2018, often with a byte-order
mark), older Web of Science tab-delimited files are UTF-16, and files that passed through
EndNote or Excel on Windows are usually Windows-1252 (the ASySD benchmark set is one).
"""

from __future__ import annotations

import codecs

from oncostat.errors import InputError

__all__ = ["decode"]

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def decode(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode ``data`` (the content of file ``name``) and say which encoding was used.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        The file's name, for messages.
    encoding : str, optional
        Force this encoding (any Python codec name). By default a byte-order mark decides;
        else strict UTF-8; else the best guess of ``charset_normalizer``, reported as
        ``cp1252`` when Windows-1252 reads the bytes the same way.

    Returns
    -------
    text, encoding : str, str
        The text with ``\\r\\n`` and ``\\r`` line ends turned into ``\\n``, and the codec.

    Raises
    ------
    InputError
        With the line of the first byte that cannot be decoded.
    """
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"{name}: unknown encoding {encoding!r}") from None
        return _strict(data, name, encoding), encoding
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _strict(data, name, codec), codec
    try:
        return _newlines(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if b"\x00" in data[:4096]:
        raise InputError(f"{name}: not a text file (it holds NUL bytes); export the records "
                         "as RIS, MEDLINE, BibTeX, EndNote XML or CSV")
    from charset_normalizer import from_bytes

    guess = from_bytes(data).best()
    if guess is None:
        line = data[:utf8_error.start].count(b"\n") + 1
        raise InputError(f"{name}, line {line}: byte 0x{data[utf8_error.start]:02X} is not "
                         "UTF-8 and no other encoding reads the file; re-export it as "
                         "UTF-8 or give the encoding")
    codec = guess.encoding
    try:
        if data.decode("cp1252") == str(guess):
            codec = "cp1252"
    except UnicodeDecodeError:
        pass
    return _strict(data, name, codec), codec


def _strict(data: bytes, name: str, codec: str) -> str:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(f"{name}, line {line}: byte 0x{data[exc.start]:02X} is not valid "
                         f"{codec}; give the file's encoding or re-export it as UTF-8"
                         ) from None
    return _newlines(text.removeprefix("\ufeff"))


def _newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text

"""Each export format read from a realistic fixture, field by field, and bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from oncostat.errors import InputError
from oncostat.io.bibliographic import detect_format, read_records

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bibliographic"


def frame(name: str, **kwargs: object) -> pd.DataFrame:
    return read_records(FIXTURES / name, **kwargs).to_frame().set_index("position")


def test_medline_nbib_joins_wrapped_lines_and_structured_abstracts() -> None:
    result = read_records(FIXTURES / "pubmed_hcc.nbib")
    assert (result.format, result.encoding, result.rejected) == ("medline", "utf-8", ())
    df = result.to_frame().set_index("position")
    assert len(df) == 5
    first = df.loc[1]
    assert first.title == ("High-intensity focused ultrasound combined with transarterial "
                           "chemoembolization for unresectable hepatocellular carcinoma: a "
                           "randomized controlled trial.")
    assert first.authors == "Zhang, W; Li, HM; van der Berg, P"
    assert first.first_author_surname == "Zhang"
    assert (first.year, first.journal, first.volume) == (2022, "Frontiers in oncology", "12")
    assert (first.pages, first.first_page) == ("1021-1029", "1021")  # "1021-9" expanded
    assert (first.doi, first.pmid, first.isbn) == ("10.3389/fonc.2022.1021456", "36104512",
                                                   "1664-3224")
    assert first.abstract.startswith("BACKGROUND: The benefit of adding high-intensity")
    assert "uncertain. METHODS: Patients with Barcelona" in first.abstract
    assert "\n" not in first.abstract and "  " not in first.abstract
    # Three AB paragraphs of one record are one abstract, in order.
    assert df.loc[2].abstract == (
        "Purpose: To compare stereotactic body radiotherapy (SBRT) with repeated TACE. "
        "Methods: Retrospective cohort of 214 patients treated between 2012 and 2019. "
        "Results: Two-year local control was 89% after SBRT and 57% after TACE.")
    assert df.loc[2].authors == "Müller, J; Øster, AS"
    assert df.loc[3].authors == "Chen, X; Chinese Liver Cancer Study Group"
    assert pd.isna(df.loc[3].doi) and pd.isna(df.loc[3].volume)
    assert df.loc[4].pages == "e0249312" and df.loc[4].type == "Published Erratum"
    assert df.loc[5].doi == "10.1016/j.ijrobp.2019.08.061"  # the [doi] AID, not the [pii]
    assert df.loc[5].pages == "2233-2240"
    assert list(df.line) == [2, 45, 69, 86, 103]
    assert list(df.source_id) == ["36104512", "35987120", "34412233", "33900117", "31877654"]


def test_ovid_embase_ris_dialect() -> None:
    result = read_records(FIXTURES / "ovid_embase.ris")
    assert (result.format, result.dialect) == ("ris", "Ovid")
    assert result.notes == ("5 line(s) outside records were skipped (first at line 1)",)
    df = result.to_frame().set_index("position")
    first = df.loc[1]
    assert first.title.startswith("Ultrasound-guided radiofrequency ablation")  # T1
    assert first.authors == "Wang, Y; Liu, QX; Schmidt, K"                     # A1 x3
    assert first.journal == "Journal of Hepatocellular Carcinoma"                # JF over JA
    assert first.abstract.startswith("Objective: To assess")                     # N2
    assert (first.year, first.pages, first.isbn) == (2021, "1021-1030", "2253-5969")
    assert first.doi == "10.2147/jhc.s321234"            # DO with https://dx.doi.org/
    assert pd.isna(first.pmid)                           # an Embase AN is not a PMID
    assert first.source_id == "2031456789"
    medline = df.loc[2]
    assert (medline.pmid, medline.doi) == ("35987120", "10.1002/hep.32456")  # AN, M3
    assert df.loc[3].type == "CONF" and df.loc[3].issue == "Supplement 2"
    assert df.loc[3].pages == "S812" and pd.isna(df.loc[3].doi)
    assert df.loc[4].authors == "Smith, JA; de la Cruz, M"
    assert list(df.line) == [7, 29, 48, 64]


def test_ris_defects_bom_crlf_stray_lines_repeats_missing_er() -> None:
    result = read_records(FIXTURES / "endnote_defects.ris")
    assert result.encoding == "utf-8-sig"
    assert result.rejected == ((44, "record has no title, no author, no DOI and no PMID"),)
    assert result.notes == (
        "line 44: a record started before the record at line 35 ended (no ER); that record "
        "was closed there",
        "line 47: the last record has no ER; it was kept",
        "1 line(s) outside records were skipped (first at line 22)")
    df = result.to_frame().set_index("position")
    assert list(df.index) == [1, 2, 3, 5]           # position 4 was the empty record
    first = df.loc[1]
    assert first.title == ("Combined HIFU and external beam radiotherapy for hepatocellular "
                           "carcinoma: a phase II study")          # wrapped over two lines
    assert first.authors == "Tanaka, H; Sato, K; Kim, MJ"
    assert first.abstract == (
        "Background and Aim: Whether HIFU improves the effect of radiotherapy is unknown. "
        "Methods: Forty-two patients received HIFU followed by 50 Gy in 25 fractions. "
        "Results: The objective response rate was 64.3%.")
    assert (first.doi, first.pages, first.journal) == (
        "10.1111/jgh.14876", "455-463", "Journal of Gastroenterology and Hepatology")
    repeated = df.loc[2]
    assert repeated.title == "Quality of life after HIFU for liver tumours"  # first TI
    assert repeated.authors == "Ahmed, S; Ahmed, S"                          # both AU kept
    assert repeated.pmid == "29456123"                                       # from the URL
    assert df.loc[3].doi == "10.1016/j.radonc.2018.11.012"                   # from UR
    assert df.loc[3].authors == "García-López, JM" and df.loc[3].year == 2019
    assert df.loc[5].doi == "10.1007/s00066-021-01790-7"
    raw = result.records[1].raw
    assert raw["TI"] == ["Quality of life after HIFU for liver tumours",
                         "Quality of life after HIFU for liver tumours (corrected title)"]


def test_bibtex_scopus_export() -> None:
    result = read_records(FIXTURES / "scopus.bib")
    assert result.format == "bibtex"
    assert result.notes == ("line 49: entry '@article{tanaka2020,' repeats the field(s) year; "
                            "the first value of each was kept",)
    df = result.to_frame().set_index("source_id")
    assert list(df.index) == ["Zhang2022102345", "Muller2022101234", "nguyen2019",
                              "tanaka2020", "who2019"]
    zhang = df.loc["Zhang2022102345"]
    assert zhang.title.endswith("carcinoma: A randomized controlled trial")  # {A} unbraced
    assert (zhang.pages, zhang.pmid, zhang.line) == ("1021-1029", "36104512", 4)
    assert zhang.abstract.startswith("Background: The benefit of adding HIFU to TACE")
    assert df.loc["Muller2022101234"].authors == "Müller, J; Øster, AS"      # LaTeX decoded
    nguyen = df.loc["nguyen2019"]
    assert nguyen.authors == "Nguyen, TL; O'Brien, S"                        # First Last
    assert nguyen.journal == "International Journal of Radiation Oncology & Biology & Physics"
    assert (nguyen.doi, nguyen.pmid) == ("10.1016/j.ijrobp.2019.08.061", "31877654")
    tanaka = df.loc["tanaka2020"]
    assert (tanaka.journal, tanaka.year) == ("Journal of Gastroenterology and Hepatology", 2020)
    assert df.loc["who2019"].authors == "World Health Organization"
    assert df.loc["who2019"].isbn == "9789240000001" and df.loc["who2019"].type == "book"


def test_endnote_xml_style_runs_and_identifiers() -> None:
    result = read_records(FIXTURES / "endnote_library.xml")
    assert result.format == "endnote_xml"
    assert result.rejected == ((5, "record has no title, no author, no DOI and no PMID"),)
    df = result.to_frame().set_index("source_id")
    zhang = df.loc["101"]
    assert zhang.title == ("High-intensity focused ultrasound combined with transarterial "
                           "chemoembolization for unresectable hepatocellular carcinoma")
    assert (zhang.authors, zhang.journal, zhang.pages) == (
        "Zhang, W; Li, HM", "Frontiers in Oncology", "1021-1029")
    assert (zhang.pmid, zhang.doi, zhang.type) == ("36104512", "10.3389/fonc.2022.1021456",
                                                   "Journal Article")
    garcia = df.loc["102"]
    assert pd.isna(garcia.pmid)                          # a WOS accession is not a PMID
    assert garcia.doi == "10.1016/j.radonc.2018.11.012"
    assert garcia.abstract.endswith("48.2 Gy & no grade 4 toxicity occurred.")
    chapter = df.loc["103"]
    assert (chapter.type, chapter.pmid, chapter.journal) == (
        "Book Section", "28123456", "Interventional Oncology")
    assert chapter.authors == "Rossi, M"                 # secondary authors are editors
    raw = result.records[0].raw
    assert raw["contributors/authors/author"] == ["Zhang, W.", "Li, H. M."]


def test_wos_tagged_plain_text() -> None:
    result = read_records(FIXTURES / "wos_savedrecs.txt")
    assert (result.format, result.encoding) == ("wos", "utf-8-sig")
    df = result.to_frame().set_index("source_id")
    zhang = df.loc["WOS:000856712300001"]
    assert zhang.title == ("High-intensity focused ultrasound combined with transarterial "
                           "chemoembolization for unresectable hepatocellular carcinoma: a "
                           "randomized controlled trial")
    assert zhang.authors == "Zhang, W; Li, HM; van der Berg, P"  # one AU per line
    assert (zhang.journal, zhang.pmid, zhang.line) == ("FRONTIERS IN ONCOLOGY", "36104512", 3)
    assert pd.isna(zhang.pages)                                  # article number, no pages
    assert zhang.abstract.startswith("Background: The benefit of adding HIFU to TACE is "
                                     "uncertain. Methods: Patients")
    assert df.loc["WOS:000458123400031"].pages == "210-216"
    assert df.loc["WOS:000661234500001"].issue == "12"
    assert result.records[0].raw["C1"][1].startswith("[van der Berg, Pieter] Leiden Univ")


def test_scopus_csv_rejects_short_row_and_reads_multiline_abstract() -> None:
    result = read_records(FIXTURES / "scopus.csv")
    assert (result.format, result.dialect, result.encoding) == ("csv", "Scopus", "utf-8-sig")
    assert result.rejected == ((5, "expected 24 fields, found 4"),)
    df = result.to_frame().set_index("position")
    assert list(df.index) == [1, 2, 4, 5]
    assert list(df.line) == [2, 4, 6, 7]                # row 1 spans lines 2-3
    zhang = df.loc[1]
    assert zhang.authors == "Zhang, W; Li, HM; van der Berg, P"  # "Zhang W., Li H.-M., ..."
    assert zhang.abstract == ("Background: The benefit of adding HIFU to TACE is uncertain. "
                              "Methods: Patients were randomly assigned to TACE plus HIFU or "
                              "TACE alone.")
    assert (zhang.source_id, zhang.isbn, zhang.pmid) == ("2-s2.0-85138012345", "2234-943X",
                                                         "36104512")
    assert df.loc[2].pages == "1152-1161" and df.loc[2].authors == "Müller, J; Øster, AS"
    assert pd.isna(df.loc[4].abstract)                  # "[No abstract available]"
    assert pd.isna(df.loc[5].authors)                   # "[No author name available]"


def test_wos_tab_delimited_utf16() -> None:
    result = read_records(FIXTURES / "wos_tab.txt")
    assert (result.format, result.dialect, result.encoding) == ("csv", "Web of Science",
                                                                "utf-16")
    df = result.to_frame().set_index("source_id")
    tanaka = df.loc["WOS:000512345600012"]
    assert tanaka.authors == "Tanaka, H; Sato, K; Kim, MJ"
    assert (tanaka.pages, tanaka.pmid, tanaka.doi) == ("455-463", "32011234",
                                                       "10.1111/jgh.14876")
    assert tanaka.isbn == "0815-9319"


def test_embase_csv_in_cp1252() -> None:
    result = read_records(FIXTURES / "embase.csv")
    assert (result.dialect, result.encoding) == ("Embase", "cp1252")
    df = result.to_frame().set_index("source_id")
    french = df.loc["2008123456"]
    assert french.title == ("Radiothérapie stéréotaxique du carcinome hépatocellulaire après "
                            "chimioembolisation")
    assert french.authors == "Lefèvre, C; Dupré, A; Jørgensen, M"
    assert (french.journal, french.issue, french.pmid) == ("Cancer/Radiothérapie", "6-7",
                                                          "33012345")
    assert df.loc["2019876543"].authors == "Smith, JA; de la Cruz, M"


def test_generic_semicolon_csv_with_named_columns() -> None:
    result = read_records(FIXTURES / "generic_semicolon.csv")
    assert (result.format, result.dialect) == ("csv", "generic")
    assert result.rejected == ((4, "record has no title, no author, no DOI and no PMID"),)
    df = result.to_frame().set_index("source_id")
    assert df.loc["R1"].authors == "Smith, J; Doe, A"
    assert df.loc["R1"].doi == "10.1186/s40349-023-00123-4"
    assert (df.loc["R2"].pmid, df.loc["R2"].issue) == ("34412233", "1")


@pytest.mark.parametrize(("name", "expected"), [
    ("pubmed_hcc.nbib", "medline"), ("ovid_embase.ris", "ris"), ("scopus.bib", "bibtex"),
    ("endnote_library.xml", "endnote_xml"), ("wos_savedrecs.txt", "wos"),
    ("scopus.csv", "csv"), ("embase.csv", "csv")])
def test_format_detected_from_content(name: str, expected: str) -> None:
    assert read_records(FIXTURES / name).format == expected


def test_explicit_format_overrides_detection() -> None:
    with pytest.raises(InputError, match=r"scopus.csv, line 1: no RIS record found"):
        read_records(FIXTURES / "scopus.csv", format="ris")


# -- bad input -----------------------------------------------------------------------------


def test_truncated_ris() -> None:
    with pytest.raises(InputError, match=r"truncated.ris, line 54: the file ends in mid-line "
                                         r"inside the record that starts at line 48"):
        read_records(FIXTURES / "truncated.ris")


def test_bibtex_syntax_error_names_the_entry_line() -> None:
    with pytest.raises(InputError, match=r"broken.bib, line 7: BibTeX syntax error in the entry "
                                         r"starting '@article\{broken2021,'"):
        read_records(FIXTURES / "broken.bib")


def test_unknown_format() -> None:
    with pytest.raises(InputError, match=r"unknown.txt, line 1: unknown format \(the file "
                                         r"starts 'Search results exported"):
        read_records(FIXTURES / "unknown.txt")


def test_unknown_format_name() -> None:
    with pytest.raises(InputError, match=r"unknown format 'endnote'; expected one of ris"):
        read_records(FIXTURES / "ovid_embase.ris", format="endnote")  # type: ignore[arg-type]


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing.ris: cannot read the file"):
        read_records(tmp_path / "missing.ris")
    with pytest.raises(InputError, match=r"cannot read the file"):
        read_records(tmp_path)


def test_empty_and_binary_files(tmp_path: Path) -> None:
    (tmp_path / "empty.ris").write_text("\n \n")
    with pytest.raises(InputError, match=r"empty.ris: the file is empty"):
        read_records(tmp_path / "empty.ris")
    (tmp_path / "results.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(InputError, match=r"results.xlsx: a spreadsheet or archive"):
        read_records(tmp_path / "results.xlsx")


def test_encoding_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.ris"
    path.write_bytes("TY  - JOUR\nTI  - Radiothérapie\nER  - \n".encode("cp1252"))
    with pytest.raises(InputError, match=r"latin.ris, line 2: byte 0xE9 is not valid utf-8"):
        read_records(path, encoding="utf-8")
    assert read_records(path).to_frame().title[0] == "Radiothérapie"   # detected


def test_pubmed_xml_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "pubmed.xml"
    path.write_text('<?xml version="1.0"?>\n<PubmedArticleSet></PubmedArticleSet>\n')
    with pytest.raises(InputError, match=r"pubmed.xml, line 1: XML but not an EndNote XML"):
        read_records(path)


def test_broken_endnote_xml(tmp_path: Path) -> None:
    text = (FIXTURES / "endnote_library.xml").read_text()
    path = tmp_path / "cut.xml"
    path.write_text(text[: text.index("<record><rec-number>103")] + "<record><titles>")
    with pytest.raises(InputError, match=r"cut.xml, line 4: not well-formed XML"):
        read_records(path)


def test_detect_format_on_text() -> None:
    assert detect_format("PMID- 1\nTI  - x\n") == "medline"
    assert detect_format("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\n") == "wos"
    assert detect_format("title,author,year\nx,y,2020\n") == "csv"

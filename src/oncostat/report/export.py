"""Write a manuscript table as Word (DOCX), Excel (XLSX), CSV or HTML.

A :class:`PublicationTable` is the table as a journal prints it: a numbered title above,
one or two header rows, text cells (with optional superscript footnote markers), indented
sub-rows, and footnotes below. The Word version follows the usual author instructions
(e.g. the ICMJE recommendations and BMC's): a real Word table, not tabs or an image, with
three horizontal rules (above and below the header, below the body), no vertical lines, one
font throughout, footnote markers as superscript letters. Every file is written atomically.

References
----------
.. [1] International Committee of Medical Journal Editors. Recommendations for the conduct,
       reporting, editing, and publication of scholarly work in medical journals. 2024;
       section IV.A.3.g (tables).
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from oncostat.report.builder import write_atomic

__all__ = ["PublicationTable", "table_html", "write_csv", "write_docx", "write_xlsx"]

_FONT = "Times New Roman"
_FONT_SIZE = 10
_NOTE_SIZE = 9


@dataclass(frozen=True, slots=True)
class PublicationTable:
    """A table laid out for a manuscript.

    ``cells[i][j]`` is the text of body row ``i``, column ``j``; ``markers[i][j]`` its
    superscript footnote marker (``""`` for none); ``indent[i]`` the indentation level of the
    row's first cell (levels of a categorical variable are indented once). ``groups`` is an
    optional spanning header above ``columns``: ``(label, number of columns)`` pairs covering
    every column, ``""`` for none.
    """

    title: str
    columns: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]
    markers: tuple[tuple[str, ...], ...]
    indent: tuple[int, ...]
    footnotes: tuple[str, ...] = ()
    groups: tuple[tuple[str, int], ...] = ()
    frame: pd.DataFrame | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        width = len(self.columns)
        if any(len(r) != width for r in self.cells) or len(self.markers) != len(self.cells):
            raise ValueError("every row needs one cell and one marker per column")
        if self.groups and sum(span for _, span in self.groups) != width:
            raise ValueError("column groups must span every column")


def write_docx(table: PublicationTable, path: str | Path, *, landscape: bool | None = None
               ) -> Path:
    """Write ``table`` as a Word document holding one three-rule table.

    ``landscape`` defaults to True when the table has more than six columns.
    """
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    path = Path(path)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = _FONT
    style.font.size = Pt(_FONT_SIZE)
    section = doc.sections[0]
    if landscape if landscape is not None else len(table.columns) > 6:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width

    title = doc.add_paragraph()
    run = title.add_run(table.title)
    run.bold = True

    n_head = 2 if table.groups else 1
    grid = doc.add_table(rows=n_head + len(table.cells), cols=len(table.columns))
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = True
    if table.groups:
        start = 0
        for label, span in table.groups:
            cell = grid.cell(0, start)
            if span > 1:
                cell = cell.merge(grid.cell(0, start + span - 1))
            _write_cell(cell, label, "", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
            if label:
                _borders(cell, bottom=True)
            start += span
    header = n_head - 1
    for j, name in enumerate(table.columns):
        align = WD_ALIGN_PARAGRAPH.LEFT if j == 0 else WD_ALIGN_PARAGRAPH.CENTER
        _write_cell(grid.cell(header, j), name, "", bold=True, align=align)
    for i, (row, marks) in enumerate(zip(table.cells, table.markers, strict=True)):
        for j, (text, mark) in enumerate(zip(row, marks, strict=True)):
            align = WD_ALIGN_PARAGRAPH.LEFT if j == 0 else WD_ALIGN_PARAGRAPH.CENTER
            indent = table.indent[i] if j == 0 else 0
            _write_cell(grid.cell(n_head + i, j), text, mark, align=align, indent=indent)
    last = n_head + len(table.cells) - 1
    for j in range(len(table.columns)):
        _borders(grid.cell(0, j), top=True)
        _borders(grid.cell(header, j), bottom=True)
        _borders(grid.cell(last, j), bottom=True)
    for note in table.footnotes:
        para = doc.add_paragraph()
        para.paragraph_format.space_after = Pt(0)
        _add_marked_text(para, note, size=_NOTE_SIZE)
    buf = io.BytesIO()
    doc.save(buf)
    write_atomic(path, buf.getvalue())
    return path


def _write_cell(cell, text: str, mark: str, *, bold: bool = False, align=None,  # type: ignore[no-untyped-def]
                indent: int = 0) -> None:
    from docx.shared import Pt

    para = cell.paragraphs[0]
    para.paragraph_format.space_after = Pt(0)
    para.paragraph_format.space_before = Pt(0)
    if align is not None:
        para.alignment = align
    if indent:
        para.paragraph_format.left_indent = Pt(10 * indent)
    run = para.add_run(text)
    run.bold = bold
    if mark:
        sup = para.add_run(mark)
        sup.font.superscript = True


def _add_marked_text(para, note: str, *, size: float) -> None:  # type: ignore[no-untyped-def]
    """A footnote ``"a Pearson's ..."``: a leading one-letter marker becomes superscript."""
    from docx.shared import Pt

    head, sep, rest = note.partition(" ")
    if sep and len(head) == 1 and head.isalpha():
        run = para.add_run(head)
        run.font.superscript = True
        run.font.size = Pt(size)
        note = rest
    para.add_run(note).font.size = Pt(size)


def _borders(cell, *, top: bool = False, bottom: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Single 0.75 pt rules on a cell's top and/or bottom edge (Word's ``w:tcBorders``)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    for edge, on in (("top", top), ("bottom", bottom)):
        if not on or borders.find(qn(f"w:{edge}")) is not None:
            continue
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "6")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)


def write_xlsx(table: PublicationTable, path: str | Path, *, sheet: str = "Table") -> Path:
    """Write ``table`` to one worksheet: title, header, body, footnotes below.

    When ``table.frame`` is set (the machine-readable version, e.g. with a ``Test`` column
    instead of footnote markers) it is written instead of the marked cells, so the sheet can
    be filtered and sorted.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    path = Path(path)
    frame = table.frame if table.frame is not None else _marked_frame(table)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    ws.cell(row=1, column=1, value=table.title).font = Font(bold=True)
    rule = Side(style="thin")
    head_row = 3
    for j, name in enumerate(frame.columns, start=1):
        c = ws.cell(row=head_row, column=j, value=str(name))
        c.font = Font(bold=True)
        c.border = Border(top=rule, bottom=rule)
        c.alignment = Alignment(horizontal="left" if j == 1 else "center")
    n = len(frame)
    for i, row in enumerate(frame.itertuples(index=False), start=head_row + 1):
        for j, value in enumerate(row, start=1):
            c = ws.cell(row=i, column=j, value=None if pd.isna(value) else value)
            indent = table.indent[i - head_row - 1] if j == 1 and n == len(table.indent) else 0
            c.alignment = Alignment(horizontal="left" if j == 1 else "center", indent=indent)
            if i == head_row + n:
                c.border = Border(bottom=rule)
    for k, note in enumerate(table.footnotes):
        ws.cell(row=head_row + n + 2 + k, column=1, value=note).font = Font(size=9)
    ws.column_dimensions["A"].width = max(12, min(60, max(
        (len(str(v)) for v in frame.iloc[:, 0]), default=12) + 4))
    for j in range(2, len(frame.columns) + 1):
        letter = ws.cell(row=head_row, column=j).column_letter
        ws.column_dimensions[letter].width = max(12, len(str(frame.columns[j - 1])) + 2)
    buf = io.BytesIO()
    wb.save(buf)
    write_atomic(path, buf.getvalue())
    return path


def write_csv(table: PublicationTable | pd.DataFrame, path: str | Path) -> Path:
    """Write the table's body (``frame`` when set) as UTF-8 CSV, without title or notes."""
    path = Path(path)
    if isinstance(table, PublicationTable):
        frame = table.frame if table.frame is not None else _marked_frame(table)
    else:
        frame = table
    write_atomic(path, frame.to_csv(index=False).encode("utf-8"))
    return path


def _marked_frame(table: PublicationTable) -> pd.DataFrame:
    cells = [["  " * table.indent[i] + row[0] + marks[0],
              *(t + m for t, m in zip(row[1:], marks[1:], strict=True))]
             for i, (row, marks) in enumerate(zip(table.cells, table.markers, strict=True))]
    columns: Sequence[str] = table.columns
    if table.groups:
        labels = [g for g, span in table.groups for _ in range(span)]
        columns = [f"{g}: {c}" if g else c for g, c in zip(labels, table.columns, strict=True)]
    return pd.DataFrame(cells, columns=list(columns))


def table_html(table: PublicationTable) -> str:
    """The table as an HTML ``<table>`` with caption, superscript markers and footnotes."""
    esc = html.escape
    head = ""
    if table.groups:
        head += "<tr>" + "".join(
            f'<th colspan="{span}">{esc(label)}</th>' for label, span in table.groups) + "</tr>"
    head += "<tr>" + "".join(f"<th>{esc(c)}</th>" for c in table.columns) + "</tr>"
    body = []
    for i, (row, marks) in enumerate(zip(table.cells, table.markers, strict=True)):
        tds = []
        for j, (text, mark) in enumerate(zip(row, marks, strict=True)):
            sup = f"<sup>{esc(mark)}</sup>" if mark else ""
            style = (f' style="padding-left:{1.2 * table.indent[i]:.1f}em"'
                     if j == 0 and table.indent[i] else "")
            tds.append(f"<td{style}>{esc(text)}{sup}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    notes = "".join(f"<p class=\"table-note\">{esc(n)}</p>" for n in table.footnotes)
    return (f"<table><caption>{esc(table.title)}</caption><thead>{head}</thead>"
            f"<tbody>{''.join(body)}</tbody></table>{notes}")

"""Assemble a self-contained HTML report: numbered tables and figures, methods, provenance.

Figures are embedded as inline SVG, so the file opens offline with nothing beside it.
Every area of oncostat contributes sections through the same :class:`Section` calls.
The file is written to a temporary name and renamed, so a failed run never leaves a
half-written report.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
import io
import os
import platform
import re
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Report", "Section", "write_atomic"]

_PACKAGES = ("oncostat", "numpy", "scipy", "pandas", "statsmodels", "matplotlib")


@dataclass
class _Block:
    kind: str  # "text", "table", "figure", "methods"
    content: Any
    caption: str = ""
    number: int = 0


@dataclass
class Section:
    """A titled part of a report; add text, tables, figures and method notes in order."""

    title: str
    report: Report = field(repr=False)
    blocks: list[_Block] = field(default_factory=list)

    def add_heading(self, text: str) -> Section:
        self.blocks.append(_Block("heading", text))
        return self

    def add_text(self, text: str) -> Section:
        self.blocks.append(_Block("text", text))
        return self

    def add_table(self, table: pd.DataFrame, caption: str, *, name: str | None = None,
                  float_format: str = "{:.2f}") -> Section:
        """Add a numbered table; exported as ``table<number>_<name>``."""
        number = len(self.report.tables) + 1
        self.report.tables[_file_stem("table", number, name)] = table
        shown = table.copy()
        for col in shown.columns:
            if pd.api.types.is_float_dtype(shown[col]):
                shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else float_format.format(v))
        self.blocks.append(_Block("table", shown, caption, number))
        return self

    def add_figure(self, figure: Any, caption: str, *, name: str | None = None) -> Section:
        """Add a numbered matplotlib figure (embedded as SVG; saved as ``figure<n>_<name>``)."""
        number = len(self.report.figures) + 1
        self.report.figures[_file_stem("figure", number, name)] = figure
        self.blocks.append(_Block("figure", _svg(figure), caption, number))
        return self

    def add_methods(self, text: str, references: list[str] | tuple[str, ...] = ()) -> Section:
        """A methods paragraph with its numbered references."""
        self.blocks.append(_Block("methods", (text, list(references))))
        return self


@dataclass
class Report:
    """An HTML report under construction; :meth:`write` renders it."""

    title: str
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)

    def section(self, title: str) -> Section:
        sec = Section(title, self)
        self.sections.append(sec)
        return sec

    def add_input(self, path: str | Path) -> None:
        """Record an input file's SHA-256 so a reader can check they have the same data."""
        path = Path(path)
        self.inputs[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()

    def render(self) -> str:
        from jinja2 import Environment, PackageLoader, select_autoescape

        env = Environment(loader=PackageLoader("oncostat", "report/templates"),
                          autoescape=select_autoescape(["html"]))
        env.filters["table_html"] = _table_html
        template = env.get_template("report.html")
        css = (Path(__file__).parent / "templates" / "report.css").read_text(encoding="utf-8")
        return template.render(report=self, css=css, versions=software_versions(),
                               generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))

    def write(self, path: str | Path) -> Path:
        """Render and write atomically; returns the path."""
        path = Path(path)
        write_atomic(path, self.render().encode("utf-8"))
        return path

    def export_tables(self, folder: str | Path, formats: tuple[str, ...] = ("csv", "xlsx")
                      ) -> list[Path]:
        """Write every table at full precision as CSV and/or one XLSX workbook."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        if "csv" in formats:
            for stem, table in self.tables.items():
                target = folder / f"{stem}.csv"
                write_atomic(target, table.to_csv(index=False).encode("utf-8"))
                written.append(target)
        if "xlsx" in formats and self.tables:
            target = folder / "tables.xlsx"
            buf = io.BytesIO()
            with pd.ExcelWriter(buf, engine="openpyxl") as xl:
                for stem, table in self.tables.items():
                    table.to_excel(xl, sheet_name=stem[:31], index=False)
            write_atomic(target, buf.getvalue())
            written.append(target)
        return written


def write_atomic(path: Path, payload: bytes) -> None:
    """Write ``payload`` to a temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates the file 0600; give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _file_stem(kind: str, number: int, name: str | None) -> str:
    """``figure3_forest_pr``: numbered, so unique; the name makes it findable."""
    if not name:
        return f"{kind}{number}"
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40]
    return f"{kind}{number}_{slug}"


def software_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _svg(figure: Any) -> str:
    buf = io.StringIO()
    figure.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    # Drop the XML prolog and DOCTYPE so the SVG can sit inline in HTML.
    return re.sub(r"^.*?(<svg)", r"\1", text, count=1, flags=re.S)


def _table_html(table: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    rows = []
    for _, row in table.iterrows():
        cells = "".join(f"<td>{'' if pd.isna(v) else html.escape(str(v))}</td>" for v in row)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

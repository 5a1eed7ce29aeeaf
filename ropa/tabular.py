"""Results as titled sections of rows, so that one description renders as rich tables, Markdown or JSON.

The analyses (flows, impact, vendors, diff, notice) each return an object with ``sections()`` and ``as_dict()``;
the commands only choose the rendering. Keeping the rows in one place means the table a person reads and the
Markdown pasted into a document never disagree.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Protocol

from rich.console import Console
from rich.table import Table

from ropa import safe

NOT_DOCUMENTED = "Not documented"
"""What a document shows for a fact the record leaves out."""


@dataclass
class Section:
    """One titled table; ``text`` is a paragraph shown before the rows (or alone when there are no columns). An
    untitled section (``title`` empty) is the lead paragraph under the document's own title, with no heading."""

    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    text: str = ""
    empty: str = "None."


class Result(Protocol):
    def sections(self) -> list[Section]: ...

    def as_dict(self) -> dict: ...


def to_json(result: Result) -> str:
    return safe.dumps(result.as_dict(), indent=2) + "\n"


def to_markdown(result: Result, title: str | None = None) -> str:
    """GitHub-flavoured Markdown: a heading per section, a pipe table per set of rows."""
    parts = [f"# {safe.markdown(title)}\n"] if title else []
    for section in result.sections():
        if section.title:
            parts.append(f"## {safe.markdown(section.title)}\n")
        if section.text:  # each line of the text its own paragraph (safe.markdown makes one line of each)
            parts.append("\n\n".join(safe.markdown(line) for line in section.text.splitlines() if line.strip()) + "\n")
        if section.columns:
            if section.rows:
                parts.append(_markdown_table(section.columns, section.rows))
            else:
                parts.append(safe.markdown(section.empty) + "\n")
    return "\n".join(parts)


def print_tables(result: Result, console: Console, title: str | None = None) -> None:
    """Each section as a rich table (or a paragraph) on the console; record text is never read as markup."""
    if title:
        console.print(safe.terminal(title, style="bold"))
    for section in result.sections():
        if section.columns and section.rows:
            table = Table(title=safe.terminal(section.title), title_justify="left", show_lines=False)
            for column in section.columns:
                table.add_column(safe.terminal(column), overflow="fold")
            for row in section.rows:
                table.add_row(*(safe.terminal(cell) for cell in row))
            if section.text:
                console.print(safe.terminal(section.text))
            console.print(table)
        else:
            if section.title:
                console.print(safe.terminal(section.title, style="bold"))
            if section.text:
                console.print(safe.terminal(section.text))
            if section.columns:
                console.print(safe.terminal(section.empty))
        console.print()


def to_text(result: Result, title: str | None = None, width: int = 160) -> str:
    """The rich tables as plain text, for writing the table format to a file."""
    console = safe.SafeConsole(width=width, file=io.StringIO(), force_terminal=False, color_system=None)
    print_tables(result, console, title)
    return console.file.getvalue()


def _markdown_table(columns: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _cell(value: str) -> str:
    """A table cell: each line escaped, the lines joined by <br>."""
    return "<br>".join(safe.markdown(line) for line in str(value).splitlines()) if value else ""


def to_xlsx(columns: list[str], rows: list[list[str]], title: str = "answer") -> bytes:
    """One table as an XLSX workbook: a bold header row, a filter, and cells that are text, never formulas."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from ropa.workbook import put_text

    book = Workbook()
    sheet = book.active
    sheet.title = "".join(c for c in safe.visible(title) if c not in "[]:*?/\\")[:31] or "answer"
    for column, header in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=column)
        put_text(cell, safe.visible(header))
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            put_text(sheet.cell(row=number, column=column), safe.visible(value or ""))
    sheet.freeze_panes = "A2"
    if columns:
        from openpyxl.utils import get_column_letter

        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows) + 1, 2)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

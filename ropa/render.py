"""Render stage: the register documents as a static HTML site, Markdown, an XLSX workbook and PDF, atomically.

Templates (``reports/<document>/document.{html,md}.j2``) get their data only from ``ropa.register`` objects; fixed
phrases come from the message catalogues (``reports/messages/<lang>.json``) and the spreadsheet layouts from
``reports/workbook/layouts.json``. HTML autoescapes every value; Markdown escapes every value for both Markdown and
HTML; spreadsheet cells never become formulas. The data-flow diagrams are the one exception, passed through as they
are: SVG whose text Graphviz escaped, and Mermaid text whose labels ropa.diagrams escaped. Output is written into a
fresh folder beside the target and swapped in at the end, so an error halfway leaves the previous output as it was.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import multiprocessing
import os
import re
import shutil
import signal
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from markupsafe import Markup

from ropa import __version__, chromium, resources, safe
from ropa.errors import RopaError
from ropa.export import staged_folder
from ropa.flows import build_flow_graph
from ropa.load import RecordGraph
from ropa.progress import QUIET, Progress
from ropa.periods import format_date
from ropa.register import (CONTROLLER_FIELDS, LANGUAGES, OPTIONAL_FIELDS, PROCESSOR_FIELDS, Answers, DiagramImage, Field,
                           Gap, Messages, Record, Source, build_record, draw)
from ropa.validate import SEVERITIES, Finding

FORMATS = ("html", "md", "xlsx", "pdf")
PDF_ENGINES = ("chromium", "weasyprint")

HEADER_KEYS = ("name", "address", "contact", "dpo", "representative", "authority", "company_number", "country", "group",
               "security", "rights", "transfers")
PROVIDER_COLUMNS = ("name", "role", "services", "data", "location", "headquarters", "transfer_basis", "agreement",
                    "authorisation")
CONTROLLERS_INLINE = 12
"""A service acting for more controllers than this links to the controllers' index instead of listing them."""

WORKBOOK_NAME = "register.xlsx"


@dataclass(frozen=True)
class Document:
    """One document of the record: its kind, its file name (without extension), its template folder and data."""

    kind: str
    stem: str
    template: str
    data: dict


def file_stem(kind: str, slug: str = "") -> str:
    """The file name of a document, the same in every format and language (links between documents rely on it)."""
    return {"group": "index", "controller": f"controller-{slug}", "processor": f"processor-{slug}",
            "overview": f"processors-{slug}"}[kind]


def documents(record: Record) -> list[Document]:
    """Every document of the record: the group overview, and per organisation its registers and processor overview."""
    found = [Document("group", file_stem("group"), "group-overview", {"group": record.group, "organisation": None})]
    for register in record.controller_registers:
        found.append(Document("controller", file_stem("controller", register.organisation.slug), "controller-register",
                              {"register": register, "organisation": register.organisation}))
    for register in record.processor_registers:
        found.append(Document("processor", file_stem("processor", register.organisation.slug), "processor-register",
                              {"register": register, "organisation": register.organisation}))
    for overview in record.overviews:
        found.append(Document("overview", file_stem("overview", overview.organisation.slug), "processor-overview",
                              {"overview": overview, "organisation": overview.organisation}))
    return found


# --- Per-document helpers the templates call --------------------------------------------------------------------

class Notes:
    """Numbered source notes of one document; each distinct set of sources gets one number."""

    def __init__(self):
        self.numbers: dict[tuple[str, ...], int] = {}
        self.sources: dict[int, Sequence[Source]] = {}

    def __call__(self, sources: Sequence[Source]) -> int | None:
        if not sources:
            return None
        key = tuple(source.key for source in sources)
        if key not in self.numbers:
            number = len(self.numbers) + 1
            self.numbers[key] = number
            self.sources[number] = sources
        return self.numbers[key]

    def items(self):
        return sorted(self.sources.items())


class GapLinks:
    """The findings one document links to, so that its list of open gaps holds every link target."""

    def __init__(self):
        self.linked: dict[str, Gap] = {}

    def link(self, gap: Gap) -> str:
        self.linked.setdefault(gap.anchor, gap)
        return gap.anchor

    def missing_from(self, shown: Sequence[Gap]) -> list[Gap]:
        anchors = {gap.anchor for gap in shown}
        return [gap for anchor, gap in self.linked.items() if anchor not in anchors]


def tooltip(sources: Sequence[Source]) -> str:
    return "\n".join(source.text for source in sources)


def markdown_text(value):
    """Finalize for Markdown: plain strings are escaped for Markdown and HTML and kept on one line."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return Markup(safe.markdown(value))


def html_text(value):
    """Finalize for HTML: control characters in plain strings made visible (autoescape does the rest)."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return safe.visible(value)


def _is_safe_url(value: str) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def diagram_svg(image: DiagramImage) -> Markup:
    """The diagram's <svg> element, unescaped: dot escapes every label it writes (&, <, > and quotes), so the
    markup is dot's own, and ropa.diagrams.inline_svg leaves out the prolog, DOCTYPE and comments."""
    return Markup(image.svg)


def mermaid_block(image: DiagramImage) -> Markup:
    """A fenced mermaid block. Mermaid labels hold no line break and no backtick (ropa.diagrams.mermaid_string), so
    no line of the diagram can close the fence; Markdown's escaping would garble the Mermaid syntax."""
    return Markup(f"```mermaid\n{image.mermaid}```")


@lru_cache(maxsize=None)
def environment(markdown: bool = False) -> Environment:
    """The Jinja environment: autoescape on, unknown names are errors, and Markdown's own escaping for .md."""
    env = Environment(
        loader=FileSystemLoader(str(resources.reports_dir())),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        finalize=markdown_text if markdown else html_text,
    )
    env.filters["letter_id"] = lambda letter: "other" if letter == "#" else letter
    env.filters["day"] = _day
    env.tests["safe_url"] = _is_safe_url
    return env


@pass_context
def _day(context, day) -> str:
    """``{{ as_of | day }}``: a date in words of the page's language (its catalogue ``t``), for a sentence."""
    return format_date(day, context["t"])


def _context(record: Record, document: Document, t: Messages, extension: str, paper: bool) -> dict:
    notes, gaps = Notes(), GapLinks()
    kinds = {}
    for register in record.controller_registers:
        kinds.setdefault(register.organisation.slug, []).append("controller")
    for register in record.processor_registers:
        kinds.setdefault(register.organisation.slug, []).append("processor")

    def href(kind: str, slug: str = "") -> str:
        return file_stem(kind, slug) + extension

    return {
        **document.data,
        "lang": record.lang,
        "as_of": record.as_of,
        "current": document.kind,
        "paper": paper,
        "version": __version__,
        "t": t,
        # a group's index, or one organisation's: "group" only where the record holds several organisations
        "index_title": t("doc.group_overview" if len(record.organisations) > 1 else "doc.record_overview"),
        "href": href,
        "documents_of": lambda organisation: [*kinds.get(organisation.slug, []), "overview"],
        "notes": notes,
        "tooltip": tooltip,
        "link_gap": gaps.link,
        "linked_gaps": gaps.missing_from,
        "severities": SEVERITIES,
        "header_keys": HEADER_KEYS,
        "controller_fields": CONTROLLER_FIELDS,
        "optional_fields": OPTIONAL_FIELDS,
        "processor_fields": PROCESSOR_FIELDS,
        "provider_columns": PROVIDER_COLUMNS,
        "controllers_inline": CONTROLLERS_INLINE,
        "diagram_svg": diagram_svg,
        "mermaid_block": mermaid_block,
    }


def document_diagrams(document: Document, paper: bool = False) -> list[DiagramImage]:
    """The diagrams a register document shows: of the whole register, and of each activity (not on paper)."""
    register = document.data.get("register")
    if register is None:
        return []
    entries = [] if paper else register.entries
    return [image for image in [register.diagram, *(entry.diagram for entry in entries)] if image]


def render_text(record: Record, document: Document, fmt: str, *, link_extension: str | None = None,
                paper: bool = False, stylesheet: bool = True, extra: dict | None = None) -> str:
    """One document as HTML or Markdown text; links to other documents end in ``link_extension``. ``paper`` leaves
    out what a printed page cannot show (the per-activity diagrams that are collapsed on screen); without
    ``stylesheet`` the HTML has no link to style.css (the PDF printer is given it directly). ``extra`` adds names to
    the templates' context (``web``: the bar of ``ropa serve`` around the document)."""
    suffix = {"html": "html", "md": "md"}[fmt]
    if fmt == "html":
        draw(document_diagrams(document, paper))  # the document's diagrams in one dot run; a no-op once drawn
    env = environment(markdown=fmt == "md")
    template = env.get_template(f"{document.template}/document.{suffix}.j2")
    t = Messages(record.lang)
    return template.render({**_context(record, document, t, link_extension or f".{suffix}", paper),
                            "stylesheet": "style.css" if stylesheet else None, **(extra or {})})


# --- Formats --------------------------------------------------------------------------------------------------

def _write_texts(record: Record, folder: Path, fmt: str) -> list[Path]:
    """Every document as a text file of the format (html or md), index first."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for document in documents(record):
        path = folder / f"{document.stem}.{fmt}"
        path.write_text(render_text(record, document, fmt), encoding="utf-8")
        written.append(path)
    return written


def write_html(record: Record, folder: Path) -> list[Path]:
    """The static site: one page per document, index.html first, and the stylesheet (screen and print)."""
    written = _write_texts(record, folder, "html")
    shutil.copyfile(resources.reports_dir() / "common" / "style.css", folder / "style.css")
    return [*written, folder / "style.css"]


def write_markdown(record: Record, folder: Path) -> list[Path]:
    """The same documents in Markdown, for repositories and wikis."""
    return _write_texts(record, folder, "md")


def write_pdf(record: Record, folder: Path, stems: Iterable[str] | None = None,
              engine: str | None = None) -> list[Path]:
    """One PDF per document (or per document named in ``stems``), printed from the same HTML with the print stylesheet;
    links between documents point to the other PDFs."""
    wanted = set(stems) if stems is not None else None
    chosen = [document for document in documents(record) if wanted is None or document.stem in wanted]
    if choose_pdf_engine(engine) == "chromium":
        return print_with_chromium([(record, document, folder) for document in chosen])
    weasyprint = _weasyprint()
    folder.mkdir(parents=True, exist_ok=True)
    stylesheet = weasyprint.CSS(filename=str(resources.reports_dir() / "common" / "style.css"))
    written = []
    for document in chosen:
        html = render_text(record, document, "html", link_extension=".pdf", paper=True, stylesheet=False)
        path = folder / f"{document.stem}.pdf"
        # No base URL: links between the documents stay relative (controller-x.pdf#entry), so they work wherever
        # the PDFs are copied and do not reveal where ropa is installed.
        weasyprint.HTML(string=html, base_url=None).write_pdf(str(path), stylesheets=[stylesheet])
        written.append(path)
    return written


def choose_pdf_engine(engine: str | None = None) -> str:
    """The PDF engine to use: Chromium when it is installed (a record in seconds), WeasyPrint otherwise (pure Python,
    several times slower); ``engine`` chooses one."""
    if engine is None:
        return "chromium" if chromium.find_binary() else "weasyprint"
    if engine not in PDF_ENGINES:
        raise RopaError(f"unknown PDF engine '{engine}'; choose from {','.join(PDF_ENGINES)}")
    return engine


@contextmanager
def pdf_printer(formats: Sequence[str], engine: str | None = None) -> Iterator[chromium.Chromium | None]:
    """The browser that prints the PDFs, started at once: it starts in its own processes while this one builds the
    documents. None when no PDF is to be printed with Chromium."""
    if "pdf" not in formats or choose_pdf_engine(engine) != "chromium":
        yield None
        return
    with chromium.Chromium() as browser:
        yield browser


PRINT_ORDER = ("controller", "group", "processor", "overview")
"""The order in which the PDFs are printed: the long registers first, the short overviews last, so that the build
does not end with one tab printing a long register while the other has nothing left to print."""


def print_with_chromium(jobs: Sequence[tuple[Record, Document, Path]], progress: Progress = QUIET,
                        browser: chromium.Chromium | None = None) -> list[Path]:
    """Print each (record, document, folder) with one browser (``browser``, else one started here), two documents at
    a time, each rendered just before the browser needs it. The stylesheet is put beside the PDFs while they are
    printed, so that the documents' links to each other stay relative."""
    folders = list(dict.fromkeys(folder for _, _, folder in jobs))
    pdfs = [folder / f"{document.stem}.pdf" for _, document, folder in jobs]

    def rendered():
        for (record, document, _), pdf in zip(jobs, pdfs):
            yield render_text(record, document, "html", link_extension=".pdf", paper=True), pdf

    try:
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(resources.reports_dir() / "common" / "style.css", folder / "style.css")
        try:
            with nullcontext(browser) if browser is not None else chromium.Chromium() as printer:
                printer.print_pdfs(rendered(), tabs=2, done=lambda pdf: progress.advance())
        except (RuntimeError, TimeoutError) as error:
            raise RopaError(f"Chromium could not print the PDF documents: {error}") from None
    finally:
        for folder in folders:
            (folder / "style.css").unlink(missing_ok=True)
    return pdfs


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as error:
        raise RopaError(
            "PDF output needs Chromium (apt-get install chromium) or WeasyPrint and the Pango library "
            f"(pip install weasyprint; apt-get install libpango-1.0-0 libpangoft2-1.0-0): {error}"
        ) from None
    return weasyprint


def write_xlsx(record: Record, path: Path) -> list[Path]:
    """One workbook: every activity in the generic Art. 30 layout and in the layout of each register template of
    the authorities of the record's controllers (``Record.layouts``), processors, controllers of processors,
    findings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Workbook(record).save(path)
    return [path]


class Workbook:
    """The XLSX workbook. Every sheet has a frozen, filtered header row and set widths; a cell's sources are its
    comment (the tooltip), and "Not documented" links to the finding's row on the findings sheet."""

    def __init__(self, record: Record):
        import openpyxl
        from openpyxl.styles import Alignment, Font

        # One style for every cell, assigned once: openpyxl looks each assigned style up by its hash and equality,
        # which made styling half of the workbook's time; later cells copy the first one's style (see _put).
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.wrapped = None
        self.link_font = Font(color="1F5F8B", underline="single", italic=True)
        self.record = record
        self.t = Messages(record.lang)
        self.layouts = json.loads((resources.reports_dir() / "workbook" / "layouts.json").read_text(encoding="utf-8"))
        self.book = openpyxl.Workbook()
        self.book.remove(self.book.active)
        self.findings_title = _sheet_title(self.t("sheet.findings"))
        self.finding_rows: dict[str, int] = {}
        gaps = [gap for severity in SEVERITIES for gap in record.group.gaps[severity]] + record.group.waived
        for row, gap in enumerate(gaps, start=2):
            self.finding_rows.setdefault(gap.anchor, row)
        self.gaps = gaps

    def save(self, path: Path) -> None:
        entries = self._entries()
        self._layout_sheet("sheet.art30", self.layouts["art30"], entries)
        for name in self.record.layouts:
            roles = self.record.layout_roles.get(name)   # a template of one role's record lists that role's activities
            self._layout_sheet(f"sheet.{name}", self.layouts[name],
                               [pair for pair in entries if roles is None or pair[1].role in roles])
        self._processors_sheet()
        self._controllers_sheet()
        self._findings_sheet()
        self.book.save(str(path))

    def _entries(self):
        rows = []
        for register in self.record.controller_registers + self.record.processor_registers:
            for entry in register.entries:
                rows.append((register.organisation, entry))
        return sorted(rows, key=lambda pair: (pair[0].name.text.casefold(), pair[1].role, pair[1].label.text.casefold()))

    # -- cells

    def _cell_of(self, spec: str, organisation, entry) -> tuple[str, Sequence[Source], Gap | None]:
        kind, _, name = spec.partition(".")
        if kind == "organisation" and name == "name":
            return organisation.name.text, organisation.name.sources, None
        if kind == "organisation":
            return self._field(organisation.fields[name])
        if spec == "entry.label":
            return entry.label.text, entry.label.sources, None
        if spec == "entry.role":
            return self.t(f"role.{entry.role}"), (), None
        if spec == "entry.condition":
            return entry.condition or self.t("gap.not_documented"), (), None
        if kind == "field":
            return self._field(entry.fields[name])
        if spec == "none":
            return self.t("gap.not_documented"), (), None
        raise RopaError(f"unknown column value '{spec}' in reports/workbook/layouts.json")

    def _field(self, field: Field) -> tuple[str, Sequence[Source], Gap | None]:
        if not field.values and not field.gaps and field.key in OPTIONAL_FIELDS:
            return "", (), None
        if field.values:
            text = field.plain + (f" ({field.note})" if field.note else "")
            return text, field_sources(field), None
        text = self.t("gap.not_documented") + (f" ({field.note})" if field.note else "")
        return text, (), field.gap

    def _put(self, sheet, row: int, column: int, text: str, sources: Sequence[Source] = (), gap: Gap | None = None):
        from openpyxl.comments import Comment
        from openpyxl.worksheet.hyperlink import Hyperlink

        cell = sheet.cell(row=row, column=column, value=safe.visible(text) if isinstance(text, str) else text)
        if cell.data_type == "f":
            cell.data_type = "s"  # data is text, never a formula
        if self.wrapped is None:
            cell.alignment = self.wrap
            self.wrapped = cell._style  # the cell's style ids, which openpyxl copies the same way to copy a style
        else:
            cell._style = copy.copy(self.wrapped)
        if sources:
            comment = Comment(safe.visible(tooltip(sources))[:30000], "ropa")
            comment.width, comment.height = 420, min(60 + 40 * len(sources), 600)
            cell.comment = comment
        if gap is not None and gap.anchor in self.finding_rows:
            cell.hyperlink = Hyperlink(ref=cell.coordinate,
                                       location=f"'{self.findings_title}'!A{self.finding_rows[gap.anchor]}")
            cell.font = self.link_font

    def _sheet(self, title_key: str, headers: Sequence[str], widths: Sequence[int], frozen: str):
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        sheet = self.book.create_sheet(_sheet_title(self.t(title_key)))
        for column, (header, width) in enumerate(zip(headers, widths), start=1):
            cell = sheet.cell(row=1, column=column, value=safe.visible(header))
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="E4E9F0")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            sheet.column_dimensions[get_column_letter(column)].width = width
        sheet.freeze_panes = frozen
        return sheet

    def _finish(self, sheet, columns: int) -> None:
        from openpyxl.utils import get_column_letter

        sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{max(sheet.max_row, 2)}"

    # -- sheets

    def _layout_sheet(self, title_key: str, layout: list[dict], entries) -> None:
        """One row per activity; the columns up to the activity's name stay in view."""
        from openpyxl.utils import get_column_letter

        name = next(i for i, c in enumerate(layout, start=1) if c["value"] == "entry.label")
        sheet = self._sheet(title_key, [self.t(c["header"]) for c in layout], [c["width"] for c in layout],
                            f"{get_column_letter(name + 1)}2")
        for row, (organisation, entry) in enumerate(entries, start=2):
            for column, spec in enumerate(layout, start=1):
                if entry.role in spec.get("roles", (entry.role,)):
                    self._put(sheet, row, column, *self._cell_of(spec["value"], organisation, entry))
        self._finish(sheet, len(layout))

    def _processors_sheet(self) -> None:
        keys = ("organisation", *PROVIDER_COLUMNS, "condition", "date_of_list")
        headers = [self.t("xlsx.organisation"), *(self.t(f"provider.{k}") for k in PROVIDER_COLUMNS),
                   self.t("xlsx.condition"), self.t("xlsx.date_of_list")]
        sheet = self._sheet("sheet.processors", headers, [22, 24, 18, 40, 40, 30, 18, 36, 30, 30, 30, 14], "C2")
        row = 1
        for overview in self.record.overviews:
            for provider in overview.providers:
                row += 1
                self._put(sheet, row, 1, overview.organisation.name.text, overview.organisation.name.sources)
                self._put(sheet, row, 2, provider.name.text, provider.name.sources)
                for column, key in enumerate(PROVIDER_COLUMNS[1:], start=3):
                    self._put(sheet, row, column, *self._field(provider.fields[key]))
                self._put(sheet, row, len(keys) - 1, provider.condition)
                self._put(sheet, row, len(keys), overview.as_of.isoformat())
        self._finish(sheet, len(keys))

    def _controllers_sheet(self) -> None:
        headers = [self.t("xlsx.processor"), self.t("xlsx.controller"), self.t("column.contact"), self.t("column.dpo"),
                   self.t("column.representative"), self.t("column.services")]
        sheet = self._sheet("sheet.controllers", headers, [24, 34, 40, 30, 24, 50], "C2")
        row = 1
        for register in self.record.processor_registers:
            for controller in register.controllers:
                row += 1
                self._put(sheet, row, 1, register.organisation.name.text)
                self._put(sheet, row, 2, controller.name.text, controller.name.sources)
                for column, key in enumerate(("contact", "dpo", "representative"), start=3):
                    self._put(sheet, row, column, *self._field(controller.fields[key]))
                self._put(sheet, row, 6, "; ".join(service.label.text for service in controller.services))
        self._finish(sheet, len(headers))

    def _findings_sheet(self) -> None:
        headers = [self.t("xlsx.anchor"), self.t("gap.severity"), self.t("gap.organisation"), self.t("gap.item"),
                   self.t("gap.field"), self.t("gap.article"), self.t("xlsx.message"), self.t("xlsx.fix"), self.t("xlsx.waiver")]
        sheet = self._sheet("sheet.findings", headers, [22, 14, 24, 34, 24, 18, 60, 60, 30], "B2")
        for row, gap in enumerate(self.gaps, start=2):
            values = [gap.anchor, self.t(f"severity.{gap.severity}"), gap.entity_label or self.t("gap.no_organisation"),
                      gap.subject, gap.field, gap.article, gap.message, gap.fix, gap.waiver_note]
            for column, text in enumerate(values, start=1):
                self._put(sheet, row, column, text)
        self._finish(sheet, len(headers))


def _sheet_title(text: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", " ", safe.visible(text))[:31].strip()


def write_format(record: Record, folder: Path, fmt: str, pdf_engine: str | None = None) -> list[Path]:
    """Every document of the record in one format, below ``folder`` (html/, md/, xlsx/ or pdf/)."""
    if fmt == "html":
        return write_html(record, folder / "html")
    if fmt == "md":
        return write_markdown(record, folder / "md")
    if fmt == "xlsx":
        return write_xlsx(record, folder / "xlsx" / WORKBOOK_NAME)
    return write_pdf(record, folder / "pdf", engine=pdf_engine)


def parse_formats(text: str | Iterable[str]) -> list[str]:
    """``"html,md"`` → ["html", "md"], in the canonical order; unknown formats are a RopaError."""
    items = [part.strip().lower() for part in (text.split(",") if isinstance(text, str) else text) if part.strip()]
    unknown = [item for item in items if item not in FORMATS]
    if unknown or not items:
        raise RopaError(f"unknown format '{','.join(unknown) or text}'; choose from {','.join(FORMATS)}")
    return [fmt for fmt in FORMATS if fmt in items]


def parse_languages(text: str | Iterable[str]) -> list[str]:
    items = [part.strip().lower() for part in (text.split(",") if isinstance(text, str) else text) if part.strip()]
    unknown = [item for item in items if item not in LANGUAGES]
    if unknown or not items:
        raise RopaError(f"unknown language '{','.join(unknown) or text}'; choose from {','.join(LANGUAGES)}")
    return [lang for lang in LANGUAGES if lang in items]


SLOWEST_FIRST = ("pdf", "xlsx", "html", "md")
"""The order in which the parts of a build start, so that the long ones do not end up last on a core alone."""

_PARTS: tuple | None = None
"""What a forked worker renders from: the records and folders of the build in progress (set only while it runs)."""


def write_documents(records: dict[str, Record], folders: dict[str, Path], formats: Sequence[str], *,
                    pdf_engine: str | None = None, progress: Progress = QUIET,
                    browser: chromium.Chromium | None = None) -> list[Path]:
    """Every document of each language's record in the given formats, below that language's folder.

    The diagrams are drawn once per language (the languages' dot runs side by side), before anything is written,
    for both the HTML and the PDF. Chromium (``browser``, else one started here) prints every PDF from this process,
    two pages at a time, while, on a machine with more than one core, forked worker processes write the other
    formats, one (language, format) part each; the workers inherit the records instead of rebuilding them.
    """
    global _PARTS
    chosen = parse_formats(formats)
    if {"html", "pdf"} & set(chosen):
        draw(*(record.diagrams for record in records.values()))
    printed = "pdf" in chosen and choose_pdf_engine(pdf_engine) == "chromium"
    parts = [(lang, fmt) for fmt in SLOWEST_FIRST if fmt in chosen and not (fmt == "pdf" and printed)
             for lang in records]
    pdf_jobs = [(record, document, folders[lang] / "pdf") for kind in PRINT_ORDER for lang, record in records.items()
                for document in documents(record) if document.kind == kind] if printed else []
    progress.stage("progress.rendering", total=len(parts) + len(pdf_jobs))
    done: dict[tuple[str, str], list[Path]] = {}
    workers = min(len(parts), os.cpu_count() or 1)
    if workers > 1:
        _prepare(chosen)
    _PARTS = (records, folders, pdf_engine, browser)
    try:
        with _pool(workers) as run:
            results = run(_write_part, parts)
            if printed:
                files = print_with_chromium(pdf_jobs, progress, browser)
                for lang, record in records.items():  # each language's PDFs in the order of its documents
                    printed_here = {path.stem: path for path in files if path.parent == folders[lang] / "pdf"}
                    done[(lang, "pdf")] = [printed_here[document.stem] for document in documents(record)]
            for part, files in results:
                done[part] = files
                progress.advance()
    finally:
        _PARTS = None
    return [path for lang in records for fmt in chosen for path in done[(lang, fmt)]]


def _prepare(formats: Sequence[str]) -> None:
    """Compile the formats' templates and import the workbook writer once, before the workers fork: each worker
    would otherwise do it again for itself."""
    for fmt in {"html", "md"} & set(formats) | ({"html"} if "pdf" in formats else set()):
        env = environment(markdown=fmt == "md")
        for name in env.list_templates(filter_func=lambda name: name.endswith(f".{fmt}.j2")):
            if not name.startswith("init/"):  # the templates of `ropa init`, which are not documents
                env.get_template(name)
    if "xlsx" in formats:
        import openpyxl  # noqa: F401


@contextmanager
def _pool(workers: int):
    """``run(function, items)``: an iterator of the results, in forked worker processes where there are cores to
    spare (in the order they finish), in this process otherwise. Leaving stops the workers."""
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield lambda function, items: map(function, items)
        return
    with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_start) as pool:
        yield lambda function, items: pool.imap_unordered(function, items)


def _write_part(part: tuple[str, str]) -> tuple[tuple[str, str], list[Path]]:
    records, folders, pdf_engine, _ = _PARTS
    lang, fmt = part
    return part, write_format(records[lang], folders[lang], fmt, pdf_engine)


def _worker_start() -> None:
    """Ctrl-C reaches the whole process group; the parent alone handles it (and stops the workers). Only the parent
    talks to the browser, so a worker closes its copy of the browser's pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    browser = _PARTS[3] if _PARTS is not None else None
    if browser is not None:
        browser.close_pipe_copy()


# --- Atomic output --------------------------------------------------------------------------------------------

# --- Entry points ---------------------------------------------------------------------------------------------

@dataclass
class RenderResult:
    folder: Path
    files: list[Path]
    languages: list[str]
    formats: list[str]


def render(graph: RecordGraph, out: Path, *, formats: Iterable[str] = FORMATS, lang: str = "en",
           findings: Sequence[Finding] = (), as_of: dt.date | None = None, pdf_engine: str | None = None,
           progress: Progress = QUIET) -> RenderResult:
    """Render every document in one language into ``out`` (replaced whole, atomically)."""
    chosen = parse_formats(formats)
    with pdf_printer(chosen, pdf_engine) as browser:
        record = build_record(graph, lang=lang, findings=findings, as_of=as_of)
        with staged_folder(out) as staging:
            files = write_documents({lang: record}, {lang: staging}, chosen, pdf_engine=pdf_engine, progress=progress,
                                    browser=browser)
    return RenderResult(folder=Path(out), files=[Path(out) / f.relative_to(staging) for f in files],
                        languages=[lang], formats=chosen)


def build(graph: RecordGraph, out: Path, *, formats: Iterable[str] = FORMATS, languages: Iterable[str] = LANGUAGES,
          findings: Sequence[Finding] = (), as_of: dt.date | None = None, pdf_engine: str | None = None,
          progress: Progress = QUIET) -> RenderResult:
    """Render everything: each language in its own folder (``out/en``, ``out/nl``, ...) and an index page."""
    chosen = parse_formats(formats)
    langs = parse_languages(languages)
    date = as_of or dt.date.today()
    progress.stage("progress.building")
    with pdf_printer(chosen, pdf_engine) as browser:
        flows, answers = build_flow_graph(graph, date), Answers(graph)  # the same in every language
        records = {lang: build_record(graph, lang=lang, findings=findings, as_of=date, flows=flows, answers=answers)
                   for lang in langs}
        with staged_folder(out) as staging:
            files = write_documents(records, {lang: staging / lang for lang in langs}, chosen, pdf_engine=pdf_engine,
                                    progress=progress, browser=browser)
            index = staging / "index.html"
            index.write_text(build_index(langs, chosen), encoding="utf-8")
            files.append(index)
    return RenderResult(folder=Path(out), files=[Path(out) / f.relative_to(staging) for f in files],
                        languages=langs, formats=chosen)


def build_index(languages: Sequence[str], formats: Sequence[str]) -> str:
    """The page at the top of a build: a link per language to its documents."""
    template = environment().get_template("common/build-index.html.j2")
    entries = []
    for lang in languages:
        t = Messages(lang)
        links = []
        if "html" in formats:
            links.append((f"{lang}/html/index.html", "HTML"))
        if "md" in formats:
            links.append((f"{lang}/md/index.md", "Markdown"))
        if "xlsx" in formats:
            links.append((f"{lang}/xlsx/{WORKBOOK_NAME}", "XLSX"))
        if "pdf" in formats:
            links.append((f"{lang}/pdf/index.pdf", "PDF"))
        entries.append({"lang": lang, "t": t, "links": links})
    stylesheet = f"{languages[0]}/html/style.css" if "html" in formats else None
    return template.render(entries=entries, stylesheet=stylesheet)


def field_sources(field: Field) -> tuple[Source, ...]:
    """Every source of a field's values, once each, in a stable order."""
    seen: dict[str, Source] = {}
    for value in field.values:
        for source in value.sources:
            seen.setdefault(source.key, source)
    return tuple(seen.values())


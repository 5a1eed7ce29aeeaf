"""The documents: every Art. 30 heading and the right values per activity, gaps linked to findings, sources on values,
Dutch without English, no broken links, escaped data, atomic output, and a processor register for thousands of
controllers. Expected values come from SPARQL written here, not from ropa.register."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import os
import re
import shutil
import threading
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from rich.console import Console
from typer.testing import CliRunner

import ropa
from ropa import diagrams, register
from ropa import render as render_module
from ropa.cli import app
from ropa.diagrams import mermaid_string
from ropa.errors import RopaError
from ropa.progress import QUIET, display
from ropa.plain import PlainWords
from ropa.register import CONTROLLER_FIELDS, LANGUAGES, OPTIONAL_FIELDS, PROCESSOR_FIELDS, slugify
from ropa.render import build, render
from ropa.validate import validate

REPOSITORY = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 11, 28)
XSS = '<script>alert(1)</script> and "><img src=x onerror=alert(1)>'
CATALOGUES = {lang: json.loads((REPOSITORY / "reports" / "messages" / f"{lang}.json").read_text(encoding="utf-8"))
              for lang in LANGUAGES}
LAYOUTS = json.loads((REPOSITORY / "reports" / "workbook" / "layouts.json").read_text(encoding="utf-8"))


# --- Fixtures ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def findings(bundled):
    return validate(bundled, as_of=AS_OF).findings


@pytest.fixture(scope="module")
def english(bundled, findings, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("render") / "en"
    render(bundled, out, formats=["html", "md", "xlsx"], lang="en", findings=findings, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def dutch(bundled, findings, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("render") / "nl"
    render(bundled, out, formats=["html", "md", "xlsx"], lang="nl", findings=findings, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def french(bundled, findings, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("render") / "fr"
    render(bundled, out, formats=["xlsx"], lang="fr", findings=findings, as_of=AS_OF)
    return out


def activities(graph) -> list[dict]:
    return graph.select("""
        SELECT ?a ?e ?role WHERE { ?a a dpv:Process ; ropa:recordedBy ?e ; ropa:role ?role } ORDER BY ?a""")


def page_of(folder: Path, activity: dict, ext: str = "html") -> Path:
    kind = "processor" if activity["role"].endswith("ProcessorRole") else "controller"
    return folder / ext / f"{kind}-{slugify(local(activity['e']))}.{ext}"


def local(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def section(page_html: str, anchor: str) -> str:
    """The HTML of one entry: from its id to the next entry (or the open gaps)."""
    start = page_html.index(f'id="{anchor}"')
    ends = [i for i in (page_html.find('<section class="entry"', start + 1), page_html.find('id="gaps"', start + 1)) if i > 0]
    return page_html[start:min(ends)]


def text_of(fragment: str) -> str:
    """Visible text of an HTML fragment, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def english_labels(graph, iri: str) -> set[str]:
    rows = graph.select(f"""
        SELECT ?l WHERE {{ <{iri}> rdfs:label|skos:prefLabel|dpv:hasName ?l FILTER(LANG(?l) IN ("en", "")) }}""")
    return {row["l"] for row in rows}


# --- Every activity, every heading, the right values ---------------------------------------------------------------

def test_every_activity_has_every_article_30_heading_in_html(bundled, english):
    t = CATALOGUES["en"]
    rows = activities(bundled)
    assert len(rows) >= 40
    for activity in rows:
        page = page_of(english, activity).read_text(encoding="utf-8")
        body = text_of(section(page, "a-" + slugify(local(activity["a"]))))
        processor = activity["role"].endswith("ProcessorRole")
        for key in (PROCESSOR_FIELDS if processor else CONTROLLER_FIELDS):
            if key in OPTIONAL_FIELDS:  # no joint controllers in the bundled record: the row is left out
                assert t[f"field.{key}"] not in body, (activity["a"], key)
                continue
            assert t[f"field.{key}"] in body, (activity["a"], key)
            assert t[f"article.{key}"] in body, (activity["a"], key)
        letters = "abcd" if processor else "abcdefg"
        for letter in letters:
            assert f"Art. 30({2 if processor else 1})({letter})" in body or f"30(2)({letter})" in body, (activity["a"], letter)


def _facts(graph, entity: str) -> list[tuple[str, str, set[str]]]:
    """(activity, field, acceptable texts) for the facts of every activity of the entity, straight from the graph."""
    facts = []
    queries = {
        "purposes": "dpv:hasPurpose", "data_subjects": "dpv:hasDataSubject", "personal_data": "dpv:hasPersonalData",
        "recipients": "dpv:hasRecipient", "legal_basis": "dpv:hasLegalBasis", "data_source": "dpv:hasDataSource",
    }
    for field, prop in queries.items():
        for row in graph.select(f"""
                SELECT ?a ?o WHERE {{ ?a ropa:recordedBy <{entity}> ; ropa:role ropa:ControllerRole ; {prop} ?o FILTER(isIRI(?o)) }}"""):
            labels = english_labels(graph, row["o"])
            if field == "legal_basis":
                labels = {label for label in labels if not label.startswith("Art ")}  # DPV's own terse labels
            facts.append((row["a"], field, labels))
    return facts


def test_spot_check_facts_of_every_entity_in_html_and_xlsx(bundled, english):
    workbook = openpyxl.load_workbook(english / "xlsx" / "register.xlsx")
    gba = workbook["GBA"]   # the Belgian authority's layout: the bundled record's controllers are in Belgium
    headers = [cell.value for cell in gba[1]]
    rows_by_label = {(row[0], row[5]): row for row in gba.iter_rows(min_row=2, values_only=True)}
    columns = {spec["value"]: headers.index(CATALOGUES["en"][spec["header"]]) for spec in LAYOUTS["gba"]}
    entities = [row["e"] for row in bundled.select("SELECT DISTINCT ?e WHERE { ?a ropa:recordedBy ?e }")]
    assert len(entities) == 5
    for entity in entities:
        facts = _facts(bundled, entity)
        assert len(facts) >= 10, entity
        organisation = bundled.select(f"""
            SELECT ?n WHERE {{ {{ <{entity}> dpv:hasName ?n }} UNION {{ <{entity}> rdfs:label ?n FILTER(LANG(?n) = "en") }} }}""")
        pages = {}
        for activity, field, labels in facts:
            assert labels, (activity, field)
            kind_page = english / "html" / f"controller-{slugify(local(entity))}.html"
            pages.setdefault(kind_page, kind_page.read_text(encoding="utf-8"))
            body = text_of(section(pages[kind_page], "a-" + slugify(local(activity))))
            assert any(label in body for label in labels), (activity, field, labels)
            label = bundled.select(f'SELECT ?l WHERE {{ <{activity}> rdfs:label ?l FILTER(LANG(?l) = "en") }}')[0]["l"]
            row = next(rows_by_label[(o["n"], label)] for o in organisation if (o["n"], label) in rows_by_label)
            cell = row[columns[f"field.{field}"]]
            assert any(l in cell for l in labels), (activity, field, cell)
        page = (english / "html" / f"processors-{slugify(local(entity))}.html").read_text(encoding="utf-8")
        assert any(o["n"] in text_of(page) for o in organisation)


def test_retention_is_shown_per_data_category(english):
    page = text_of((english / "html" / "controller-destiny-nv.html").read_text(encoding="utf-8"))
    assert "2 years after the end of the agreement for Email Address, Name, Telephone Number" in page
    assert "10 years for Network data, Telecom location data, Traffic data, Usage data" in page
    assert "28 days" in page


def test_xlsx_has_the_art30_sheet_and_the_layout_of_the_controllers_authority(english, french):
    """The bundled record's controllers are Belgian: the generic Art. 30 sheet and the GBA/APD model, not the UK
    ICO template (data/reference/register-templates.ttl)."""
    workbook = openpyxl.load_workbook(english / "xlsx" / "register.xlsx")
    assert workbook.sheetnames[:2] == ["Art. 30 register", "GBA"] and "ICO" not in workbook.sheetnames
    for name, layout in (("Art. 30 register", LAYOUTS["art30"]), ("GBA", LAYOUTS["gba"])):
        sheet = workbook[name]
        assert [cell.value for cell in sheet[1]] == [CATALOGUES["en"][c["header"]] for c in layout]
        assert sheet.freeze_panes is not None and sheet.freeze_panes.endswith("2")
        assert sheet.auto_filter.ref.startswith("A1:")
        for index, column in enumerate(layout, start=1):
            letter = openpyxl.utils.get_column_letter(index)
            assert sheet.column_dimensions[letter].width == column["width"]
        assert sheet.max_row >= 49
    assert "Findings" in workbook.sheetnames and "Processors" in workbook.sheetnames
    french_book = openpyxl.load_workbook(french / "xlsx" / "register.xlsx")
    assert french_book.sheetnames[:2] == ["Registre art. 30", "APD"]
    gba = french_book["APD"]
    assert [cell.value for cell in gba[1]] == [CATALOGUES["fr"][c["header"]] for c in LAYOUTS["gba"]]


def test_not_documented_cells_link_to_their_finding_row(english):
    workbook = openpyxl.load_workbook(english / "xlsx" / "register.xlsx")
    art30, findings = workbook["Art. 30 register"], workbook["Findings"]
    linked = [cell for row in art30.iter_rows(min_row=2) for cell in row if cell.hyperlink is not None]
    assert linked
    for cell in linked:
        assert cell.value.startswith("Not documented")
        sheet, target = cell.hyperlink.location.split("!")
        assert sheet.strip("'") == "Findings"
        assert findings[target].value.startswith("finding-")


# --- Gaps and sources -----------------------------------------------------------------------------------------------

def test_not_documented_links_to_the_validation_finding(bundled, english, findings):
    missing = bundled.select("""
        SELECT ?a ?e WHERE { ?a ropa:role ropa:ControllerRole ; ropa:recordedBy ?e ; dpv:hasPurpose ?p
                             FILTER NOT EXISTS { ?a dpv:hasLegalBasis ?b } } GROUP BY ?a ?e""")
    assert len(missing) >= 10
    plain = PlainWords(bundled, "en")
    lawful = {f.focus: plain(f) for f in findings if f.check == "rs:LawfulBasis"}
    for row in missing:
        page = (english / "html" / f"controller-{slugify(local(row['e']))}.html").read_text(encoding="utf-8")
        entry = section(page, "a-" + slugify(local(row["a"])))
        basis = entry[entry.index('class="field-legal_basis"'):]
        link = re.search(r'<a class="not-documented[^"]*" href="#(finding-[0-9a-f]+)"', basis[:basis.index("</tr>")])
        assert link, row["a"]
        target = page[page.index(f'id="{link.group(1)}"'):]
        assert html.escape(lawful[row["a"]].message, quote=False) in target[:target.index("</tr>")]


def test_every_empty_field_reads_not_documented(english):
    for path in (english / "html").glob("controller-*.html"):
        page = path.read_text(encoding="utf-8")
        for cell in re.findall(r"<td>(.*?)</td>", page, flags=re.S):
            assert text_of(cell).strip(), (path.name, cell)


def test_values_from_statements_carry_their_quote(bundled, english):
    statements = bundled.select("""
        SELECT ?a ?e ?o ?quote ?file ?title WHERE {
          ?st a rdf:Statement ; rdf:subject ?a ; rdf:predicate dpv:hasPersonalData ; rdf:object ?o ; ropa:source ?q .
          ?a ropa:role ropa:ControllerRole ; ropa:recordedBy ?e .
          ?q ropa:quote ?quote ; ropa:inDocument ?d . ?d ropa:fileName ?file ; rdfs:label ?title FILTER(LANG(?title) = "en") }""")
    assert len(statements) >= 30
    checked = 0
    for row in statements:
        page = (english / "html" / f"controller-{slugify(local(row['e']))}.html").read_text(encoding="utf-8")
        entry = section(page, "a-" + slugify(local(row["a"])))
        for label in english_labels(bundled, row["o"]):
            found = re.search(re.escape(html.escape(label)) + r'<sup class="src"><a href="#(note-\d+)" title="([^"]*)"', entry)
            if found:
                note = page[page.index(f'id="{found.group(1)}"'):]
                note = text_of(note[:note.index("</li>")])
                assert row["quote"] in note and row["title"] in note   # the document's title, not its file name
                assert row["file"] not in note
                assert row["quote"] in html.unescape(found.group(2))
                checked += 1
                break
    assert checked >= 30


# --- Languages ------------------------------------------------------------------------------------------------------

class TextNodes(HTMLParser):
    """Every non-empty text node of a page, stripped."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []

    def handle_data(self, data):
        if data.strip():
            self.texts.append(" ".join(data.split()))


def phrase_patterns(english: dict, other: dict) -> list[re.Pattern]:
    """The English fixed phrases that differ in the other language, as whole-text patterns ({x} matches anything)."""
    patterns = []
    for key, phrase in english.items():
        parts = re.split(r"\{\w+\}", phrase)
        if other.get(key) == phrase or len(re.findall(r"[A-Za-z]", "".join(parts))) < 6:
            continue  # the same word in both languages, or too little fixed text ("for {x}") to tell from data
        patterns.append(re.compile("^" + ".+".join(re.escape(p) for p in parts) + "$"))
    return patterns


def test_dutch_output_contains_no_english_fixed_phrase(english, dutch):
    patterns = phrase_patterns(CATALOGUES["en"], CATALOGUES["nl"])
    assert len(patterns) > 150
    # One pattern of them all: a text is matched once, not once per phrase (the same answer, many times faster).
    english_phrase = re.compile("|".join(f"(?:{p.pattern})" for p in patterns))

    def leaks(folder: Path) -> list[str]:
        found = []
        for path in sorted((folder / "html").glob("*.html")):
            parser = TextNodes()
            parser.feed(path.read_text(encoding="utf-8"))
            for text in parser.texts:
                if english_phrase.match(text.strip(" :·—()")):
                    found.append(f"{path.name}: {text}")
        for path in sorted((folder / "md").glob("*.md")):
            for line in path.read_text(encoding="utf-8").splitlines():
                for cell in re.split(r"\s*\|\s*|^#+\s*|\*", line):
                    stripped = html.unescape(re.sub(r"\\(.)", r"\1", cell)).strip(" :·—")
                    if english_phrase.match(stripped):
                        found.append(f"{path.name}: {stripped}")
        workbook = openpyxl.load_workbook(folder / "xlsx" / "register.xlsx")
        for sheet in workbook.worksheets:
            found += [f"{sheet.title}: {c.value}" for c in sheet[1] if english_phrase.match(str(c.value))]
            found += [sheet.title] if english_phrase.match(sheet.title) else []
        return found

    assert leaks(english), "the check must see the English phrases in the English output"
    assert leaks(dutch) == []


def test_dutch_documents_show_dutch_labels_with_english_fallback(dutch):
    page = text_of((dutch / "html" / "controller-destiny-nv.html").read_text(encoding="utf-8"))
    assert "Contactgegevens van klanten" in page            # the activity's @nl label
    assert "Naam" in page and "Telefoonnummer" in page    # DPV concepts with ropa's @nl labels
    assert "Niet gedocumenteerd" in page
    danish = text_of((dutch / "html" / "controller-dstny-dk.html").read_text(encoding="utf-8"))
    assert "Customer contact persons: delivering and informing about ordered services" in danish  # only @en exists


def test_catalogues_have_the_same_phrases():
    assert set(CATALOGUES) == {"en", "nl", "fr", "de"}   # every shipped language has its catalogue
    for lang in LANGUAGES:
        assert set(CATALOGUES[lang]) == set(CATALOGUES["en"]), (lang, set(CATALOGUES[lang]) ^ set(CATALOGUES["en"]))
        for key, phrase in CATALOGUES["en"].items():
            assert sorted(re.findall(r"\{\w+\}", phrase)) == sorted(re.findall(r"\{\w+\}", CATALOGUES[lang][key])), (lang, key)
            if not key.startswith(("grammar.", "article.")):   # plain words: no prefixed name, no ISO duration
                assert not re.search(r"\b(?:dpv|pd|ropa|eu-gdpr|loc|xsd):[A-Za-z]|\bP\d+[YMWD]\b", CATALOGUES[lang][key]), (lang, key)


# --- Links ----------------------------------------------------------------------------------------------------------

class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        for name in ("href", "src"):
            if attributes.get(name):
                self.hrefs.append(attributes[name])


def broken_links(folder: Path) -> list[str]:
    pages = {}
    for path in folder.rglob("*.html"):
        parser = Links()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = parser
    broken = []
    for path, parser in pages.items():
        for href in parser.hrefs:
            if re.match(r"^[a-z]+:", href):
                continue
            target, _, fragment = href.partition("#")
            file = (path.parent / target).resolve() if target else path
            if not file.exists():
                broken.append(f"{path.name}: {href}")
            elif fragment and (file not in pages or fragment not in pages[file].ids):
                broken.append(f"{path.name}: {href}")
    return broken


def test_html_site_has_no_broken_internal_links(english, dutch):
    assert len(list((english / "html").glob("*.html"))) == 15
    assert broken_links(english) == []
    assert broken_links(dutch) == []


def test_markdown_anchors_resolve(english):
    for path in (english / "md").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        ids = set(re.findall(r'<a id="([^"]+)"></a>', text))
        for target, fragment in re.findall(r"\]\(([^)#]*)#([^)]+)\)", text):
            other = (path.parent / target) if target else path
            assert other.exists(), (path.name, target)
            assert fragment in (ids if not target else set(re.findall(r'<a id="([^"]+)"></a>', other.read_text(encoding="utf-8")))), (path.name, target, fragment)


# --- Escaping -----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A copy of the bundled data where one activity's label is an HTML injection attempt and another's a formula."""
    folder = tmp_path_factory.mktemp("hostile")
    for path in (REPOSITORY / "data" / "destiny").glob("*.ttl"):
        shutil.copy(path, folder / path.name)
    source = folder / "000-destiny-nv.ttl"
    text = source.read_text(encoding="utf-8")
    escaped = XSS.replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace('rdfs:label "Customer contact data"@en', f'rdfs:label "{escaped}"@en', 1)
    text = text.replace('rdfs:label "Financial administration"@en', 'rdfs:label "=HYPERLINK(\\"http://example.invalid\\",\\"x\\")"@en', 1)
    source.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def hostile_output(hostile, tmp_path_factory) -> Path:
    graph = ropa.load([hostile])
    out = tmp_path_factory.mktemp("hostile-out") / "out"
    render(graph, out, formats=["html", "md", "xlsx"], lang="en", findings=validate(graph, as_of=AS_OF).findings, as_of=AS_OF)
    return out


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data):
        self.text.append(data)


def test_hostile_label_is_text_in_every_html_page(hostile_output):
    shown = 0
    for path in (hostile_output / "html").glob("*.html"):
        parser = Tags()
        parser.feed(path.read_text(encoding="utf-8"))
        assert "script" not in parser.tags and "img" not in parser.tags, path.name
        assert not any(name.startswith("on") for name in parser.attributes), path.name
        shown += XSS in "".join(parser.text)
    assert shown >= 2  # the register and the group overview's index of activities


def test_hostile_label_is_text_in_markdown_and_xlsx(hostile_output):
    shown = 0
    for path in (hostile_output / "md").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert "<script" not in text and "<img" not in text, path.name
        shown += "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert shown >= 2
    workbook = openpyxl.load_workbook(hostile_output / "xlsx" / "register.xlsx")
    cells = [cell for row in workbook["Art. 30 register"].iter_rows() for cell in row]
    assert any(cell.value == XSS for cell in cells)
    formula = [cell for cell in cells if isinstance(cell.value, str) and cell.value.startswith("=HYPERLINK")]
    assert formula and all(cell.data_type == "s" for cell in formula)


# --- Atomic output ----------------------------------------------------------------------------------------------

def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_an_error_halfway_leaves_the_previous_output_untouched(bundled, findings, tmp_path, monkeypatch):
    out = tmp_path / "out"
    render(bundled, out, formats=["html"], lang="en", findings=findings, as_of=AS_OF)
    before = snapshot(out)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full halfway")

    monkeypatch.setattr("ropa.render.write_markdown", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        render(bundled, out, formats=["html", "md"], lang="nl", findings=findings, as_of=AS_OF)
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_folder_ropa_did_not_write_is_never_replaced(bundled, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(RopaError, match="not written by ropa"):
        render(bundled, out, formats=["html"], as_of=AS_OF)
    assert (out / "notes.txt").read_text() == "keep me"


# --- Data-flow diagrams -----------------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"
DSTNY_CONTROLLERS = ["destiny-nv", "ozmo", "d-soft", "proximus-ict"]


def providers_of(graph, entity: str) -> set[str]:
    """The English labels of the processors, sub-processors and service providers an organisation's controller
    activities use: named on the organisation or on one of those activities."""
    rows = graph.select(f"""
        SELECT DISTINCT ?label WHERE {{
          {{ dst:{entity} ropa:hasSubProcessor|ropa:engagesProcessor|ropa:usesServiceProvider ?p }}
          UNION {{
            ?a ropa:recordedBy dst:{entity} ; ropa:role ropa:ControllerRole ;
               dpv:hasDataProcessor|ropa:usesServiceProvider|ropa:hasSubProcessor|ropa:engagesProcessor ?p .
            FILTER(?p != dst:{entity})
          }}
          ?p rdfs:label ?label FILTER(LANG(?label) = "en")
        }}""")
    return {" ".join(row["label"].split()) for row in rows}


def flows_svg(page_html: str) -> ET.Element:
    """The register's diagram, parsed as XML (which fails on a malformed SVG)."""
    match = re.search(r'<section class="flows" id="data-flows">.*?(<svg\b.*?</svg>)', page_html, re.DOTALL)
    assert match, "no data-flow diagram"
    return ET.fromstring(match.group(1))


def svg_words(svg: ET.Element) -> str:
    return " ".join(" ".join(t.text.split()) for t in svg.iter(SVG + "text") if t.text)


def flows_mermaid(markdown: str) -> str:
    match = re.search(r"## [^\n]+\n\n```mermaid\n(.*?)```", markdown, re.DOTALL)
    assert match, "no mermaid block"
    return " ".join(match.group(1).replace("<br/>", " ").split())


def test_controller_register_html_draws_every_processor_of_the_controller(bundled, english):
    for entity in DSTNY_CONTROLLERS:
        expected = providers_of(bundled, entity)
        assert expected, entity
        page = (english / "html" / f"controller-{entity}.html").read_text(encoding="utf-8")
        svg = flows_svg(page)
        assert svg.tag == SVG + "svg"
        drawn = svg_words(svg)
        assert {label for label in expected if label not in drawn} == set(), entity
    assert len(providers_of(bundled, "destiny-nv")) == 14


def test_controller_register_markdown_has_a_mermaid_block_naming_every_processor(bundled, english):
    for entity in DSTNY_CONTROLLERS:
        markdown = (english / "md" / f"controller-{entity}.md").read_text(encoding="utf-8")
        block = flows_mermaid(markdown[markdown.index("## Data flows"):])
        assert block.startswith("--- title: 'Data flows of") and "flowchart LR" in block
        assert {label for label in providers_of(bundled, entity) if mermaid_string(label) not in block} == set(), entity


def test_each_activity_of_a_controller_register_has_its_own_diagram(bundled, english):
    page = (english / "html" / "controller-destiny-nv.html").read_text(encoding="utf-8")
    rows = [r for r in activities(bundled) if r["e"].endswith("/destiny-nv") and r["role"].endswith("ControllerRole")]
    assert len(rows) == 15
    for row in rows:
        entry = section(page, "a-" + slugify(local(row["a"])))
        [svg] = re.findall(r'<details class="diagram">.*?(<svg\b.*?</svg>)', entry, re.DOTALL)
        [label] = english_labels(bundled, row["a"])
        assert " ".join(label.split()) in svg_words(ET.fromstring(svg))
    markdown = (english / "md" / "controller-destiny-nv.md").read_text(encoding="utf-8")
    assert markdown.count("```mermaid\n") == len(rows) + 1


def test_processor_register_shows_the_processors_diagram(english):
    page = (english / "html" / "processor-destiny-nv.html").read_text(encoding="utf-8")
    drawn = svg_words(flows_svg(page))
    assert "Processing on behalf of customers in the course of providing services or products" in drawn
    assert "Sub-processors of Destiny NV (Dstny)" in drawn
    assert '<a href="#data-flows">' in page


def test_dutch_diagrams_are_drawn_in_dutch(dutch):
    drawn = svg_words(flows_svg((dutch / "html" / "controller-destiny-nv.html").read_text(encoding="utf-8")))
    assert "Betrokkenen" in drawn and "Subverwerkers van Destiny NV (Dstny)" in drawn
    assert "Data subjects" not in drawn and "Sub-processors" not in drawn
    markdown = (dutch / "md" / "controller-destiny-nv.md").read_text(encoding="utf-8")
    assert "Gegevensstromen van Destiny NV (Dstny)" in flows_mermaid(markdown[markdown.index("## Gegevensstromen"):])


HOSTILE_NAMES = """
@prefix ex: <https://example.org/evil/> .
@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:corp a dpv:LegalEntity , dpv:DataController ; rdfs:label "Evil & Co <script>alert(1)</script>"@en ;
    dpv:hasName "Evil & Co <script>alert(1)</script>" .
ex:payroll a dpv:Process ; rdfs:label "Payroll & <script>alert(2)</script>"@en ; ropa:recordedBy ex:corp ;
    ropa:role ropa:ControllerRole ; dpv:hasDataController ex:corp ; dpv:hasDataSubject dpv:Employee ;
    dpv:hasPersonalData pd:Salary ; ropa:usesServiceProvider ex:host .
ex:host a ropa:ServiceProvider ; rdfs:label "Host \\"x\\" &amp; <img src=x onerror=alert(3)>"@en ;
    ropa:headquarteredIn loc:US .
"""


def test_hostile_names_are_escaped_inside_the_embedded_diagram(tmp_path):
    (tmp_path / "evil.ttl").write_text(HOSTILE_NAMES, encoding="utf-8")
    out = tmp_path / "out"
    render(ropa.load([tmp_path / "evil.ttl"]), out, formats=["html", "md"], as_of=AS_OF)
    page = (out / "html" / "controller-corp.html").read_text(encoding="utf-8")
    parser = Tags()
    parser.feed(page)
    assert "svg" in parser.tags
    assert "script" not in parser.tags and "img" not in parser.tags
    assert not any(name.startswith("on") for name in parser.attributes)
    raw = re.search(r'id="data-flows">.*?(<svg\b.*?</svg>)', page, re.DOTALL).group(1)
    assert "Evil &amp; Co &lt;script&gt;alert(1)&lt;/script&gt;" in raw
    drawn = svg_words(ET.fromstring(raw))
    for name in ("Evil & Co <script>alert(1)</script>", "Payroll & <script>alert(2)</script>",
                 'Host "x" &amp; <img src=x onerror=alert(3)>'):
        assert name in drawn
    markdown = (out / "md" / "controller-corp.md").read_text(encoding="utf-8")
    assert "<script" not in markdown and "<img" not in markdown
    block = flows_mermaid(markdown[markdown.index("## Data flows"):])
    assert "Evil & Co #lt;script#gt;alert(1)#lt;/script#gt;" in block


def test_missing_graphviz_stops_html_with_a_clear_error_and_leaves_markdown_working(bundled, tmp_path, monkeypatch):
    monkeypatch.setattr(diagrams, "DOT", "ropa-no-such-dot-program")
    with pytest.raises(RopaError, match="Graphviz 'ropa-no-such-dot-program' is not installed: install it"):
        render(bundled, tmp_path / "html", formats=["html"], as_of=AS_OF)
    assert not (tmp_path / "html").exists()
    render(bundled, tmp_path / "md", formats=["md"], as_of=AS_OF)
    assert "```mermaid" in (tmp_path / "md" / "md" / "controller-destiny-nv.md").read_text(encoding="utf-8")
    result = CliRunner().invoke(app, ["render", "--out", str(tmp_path / "cli"), "--format", "html"])
    assert result.exit_code == 2 and "install it" in result.output and "Traceback" not in result.output


def test_a_diagram_too_large_to_read_is_not_drawn(bundled, tmp_path, monkeypatch):
    monkeypatch.setattr(register, "DIAGRAM_MAX_NODES", 30)
    out = tmp_path / "out"
    render(bundled, out, formats=["html", "md"], as_of=AS_OF)
    page = (out / "html" / "controller-destiny-nv.html").read_text(encoding="utf-8")
    flows = page[page.index('id="data-flows"'):page.index('<section class="entry"')]
    [count] = re.findall(r"Not drawn: (\d+) parties, activities and places", text_of(flows))
    assert int(count) > 30 and "<svg" not in flows
    assert page.count("<svg") == 15  # each activity's own diagram is small enough
    assert "<svg" in (out / "html" / "controller-ozmo.html").read_text(encoding="utf-8")
    markdown = (out / "md" / "controller-destiny-nv.md").read_text(encoding="utf-8")
    assert f"Not drawn: {count} parties" in markdown and markdown.count("```mermaid") == 15


# --- Commands ---------------------------------------------------------------------------------------------------

def test_ropa_render_and_build_commands(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["render", "--out", str(tmp_path / "r"), "--format", "html,md", "--lang", "nl",
                                 "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r" / "html" / "index.html").exists() and (tmp_path / "r" / "md" / "index.md").exists()
    result = runner.invoke(app, ["build", "--out", str(tmp_path / "b"), "--format", "html,xlsx", "--lang", "en,fr",
                                 "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert "validated:" in result.output
    for lang in ("en", "fr"):
        assert (tmp_path / "b" / lang / "html" / "index.html").exists()
        assert (tmp_path / "b" / lang / "xlsx" / "register.xlsx").exists()
    assert broken_links(tmp_path / "b") == []
    result = runner.invoke(app, ["render", "--out", str(tmp_path / "x"), "--format", "docx"])
    assert result.exit_code == 2 and "unknown format" in result.output


def test_worker_processes_write_the_documents_one_process_writes(tmp_path, monkeypatch):
    """A record that is not Destiny, built in parallel and then in one process: the same files, byte for byte
    (the workbook's zip holds a timestamp, so its sheets are compared cell by cell)."""
    (tmp_path / "data").mkdir()
    write_processor_with_customers(tmp_path / "data", customers=40, services=3)
    graph = ropa.load([tmp_path / "data"])
    report = validate(graph, as_of=AS_OF)
    parallel = build(graph, tmp_path / "parallel", formats=["html", "md", "xlsx"], languages=["en", "nl"],
                     findings=report.findings, as_of=AS_OF)
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    single = build(graph, tmp_path / "single", formats=["html", "md", "xlsx"], languages=["en", "nl"],
                   findings=report.findings, as_of=AS_OF)
    names = [path.relative_to(tmp_path / "parallel") for path in parallel.files]
    assert names == [path.relative_to(tmp_path / "single") for path in single.files]
    assert len(names) > 10
    for name in names:
        one, other = tmp_path / "parallel" / name, tmp_path / "single" / name
        if name.suffix == ".xlsx":
            assert workbook_cells(one) == workbook_cells(other)
        else:
            assert one.read_bytes() == other.read_bytes(), name


def test_a_build_draws_each_language_in_its_own_dot_run_side_by_side(wolkenwerk, tmp_path, monkeypatch):
    """Not Destiny: the German SaaS example. Each language's diagrams are drawn in one dot run, the runs side by side
    (in threads of their own), and every diagram of every page is drawn."""
    runs = []
    draw_svg = register.draw_svg

    def counted(sources):
        runs.append((threading.get_ident(), len(sources)))
        return draw_svg(sources)

    monkeypatch.setattr(register, "draw_svg", counted)
    report = validate(wolkenwerk, as_of=AS_OF)
    result = build(wolkenwerk, tmp_path / "out", formats=["html"], languages=["en", "nl", "fr"],
                   findings=report.findings, as_of=AS_OF)
    assert len(runs) == 3 and len({thread for thread, _ in runs}) == 3
    assert len({count for _, count in runs}) == 1 and runs[0][1] > 1  # the same diagrams in every language
    pages = [path.read_text(encoding="utf-8") for path in result.files if path.suffix == ".html"]
    assert sum(page.count("<svg") for page in pages) == sum(count for _, count in runs)


def test_templates_are_compiled_once_before_the_workers_fork(wolkenwerk, tmp_path, monkeypatch):
    """Every template is compiled in the process that starts the workers (which inherit them), none in a worker."""
    import jinja2

    compiled = tmp_path / "compiled"
    compile_ = jinja2.Environment.compile

    def noted(self, source, name=None, filename=None, *args, **kwargs):
        with compiled.open("a", encoding="utf-8") as note:
            note.write(f"{os.getpid()} {name}\n")
        return compile_(self, source, name, filename, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", noted)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    render_module.environment.cache_clear()
    try:
        build(wolkenwerk, tmp_path / "out", formats=["html", "md"], languages=["en", "nl"], as_of=AS_OF)
    finally:
        render_module.environment.cache_clear()
    lines = compiled.read_text(encoding="utf-8").splitlines()
    assert {line.split()[0] for line in lines} == {str(os.getpid())}
    assert {"controller-register/document.html.j2", "controller-register/document.md.j2"} <= \
        {line.split()[1] for line in lines}


def test_the_languages_of_a_build_share_one_graph_s_answers(wolkenwerk, monkeypatch):
    """A second language asks the graph (almost) nothing the first did not, and its record is the one it would
    have built alone."""
    report = validate(wolkenwerk, as_of=AS_OF)
    alone = register.build_record(wolkenwerk, lang="nl", findings=report.findings, as_of=AS_OF)
    asked = []
    rows = register._rows
    monkeypatch.setattr(register, "_rows", lambda graph, sparql: asked.append(sparql) or rows(graph, sparql))
    answers = register.Answers(wolkenwerk)
    register.build_record(wolkenwerk, lang="en", findings=report.findings, as_of=AS_OF, answers=answers)
    first = len(asked)
    shared = register.build_record(wolkenwerk, lang="nl", findings=report.findings, as_of=AS_OF, answers=answers)
    assert first > 20 and len(asked) - first <= first // 4
    assert shared == alone


def workbook_cells(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def process_id(_item) -> int:
    return os.getpid()


def test_parts_run_in_worker_processes_and_a_failing_part_stops_the_build(bundled, findings, tmp_path, monkeypatch):
    with render_module._pool(2) as run:
        assert os.getpid() not in set(run(process_id, range(4)))

    def fail(*args, **kwargs):
        raise RuntimeError("disk full in a worker")

    monkeypatch.setattr("ropa.render.write_xlsx", fail)
    with pytest.raises(RuntimeError, match="disk full in a worker"):
        build(bundled, tmp_path / "out", formats=["html", "xlsx"], languages=["en"], findings=findings, as_of=AS_OF)
    assert list(tmp_path.iterdir()) == []


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_and_quiet_in_ci(bundled, findings, tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    screen = Terminal()
    with display(Console(file=screen, force_terminal=True, width=100)) as progress:
        build(bundled, tmp_path / "out", formats=["html", "md"], languages=["en"], findings=findings, as_of=AS_OF,
              progress=progress)
    assert "building the documents" in screen.getvalue() and "rendering" in screen.getvalue()
    assert "2/2" in screen.getvalue()
    monkeypatch.setenv("CI", "true")
    with display(Console(file=Terminal(), force_terminal=True)) as progress:
        assert progress is QUIET
    monkeypatch.delenv("CI")
    with display(Console(file=io.StringIO())) as progress:
        assert progress is QUIET


# --- Scale ------------------------------------------------------------------------------------------------------

def write_processor_with_customers(folder: Path, customers: int, services: int) -> None:
    """A hosting company acting for thousands of customer controllers: the layout a processor register must hold."""
    lines = ["@prefix ex: <https://example.org/scale/> .", "@prefix ropa: <https://w3id.org/ropa/vocab#> .",
             "@prefix dpv: <https://w3id.org/dpv#> .", "@prefix pd: <https://w3id.org/dpv/pd#> .",
             "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
             'ex:host a dpv:LegalEntity , dpv:DataProcessor ; dpv:hasName "Host NV" ; dpv:hasAddress "Kade 1, Gent" .']
    for number in range(customers):
        lines.append(f'ex:c{number} a dpv:DataController ; dpv:hasName "{chr(65 + number % 26)}customer {number}" ; '
                     f'ropa:email "privacy@c{number}.example" .')
    for service in range(services):
        served = " , ".join(f"ex:c{n}" for n in range(customers) if n % services == service or n % 7 == service % 7)
        lines.append(f'ex:s{service} a dpv:Process ; rdfs:label "Hosting service {service}"@en ; ropa:recordedBy ex:host ; '
                     f"ropa:role ropa:ProcessorRole ; dpv:hasDataProcessor ex:host ; ropa:actsOnBehalfOf {served} ; "
                     "dpv:hasProcessing dpv:Store ; dpv:hasPersonalData pd:Name .")
    (folder / "scale.ttl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_processor_register_holds_thousands_of_controllers(tmp_path):
    write_processor_with_customers(tmp_path, customers=3000, services=30)
    graph = ropa.load([tmp_path])
    out = tmp_path / "out"
    render(graph, out, formats=["html", "md", "xlsx"], as_of=AS_OF)
    pages = sorted(p.name for p in (out / "html").glob("*.html"))
    assert pages == ["index.html", "processor-host.html", "processors-host.html"]  # no page per controller
    page = (out / "html" / "processor-host.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr id="(c-[^"]+)">', page)
    assert len(rows) == len(set(rows)) == 3000            # each controller once, in one index
    assert len(re.findall(r'<h3 id="letter-[A-Z]">', page)) == 26
    assert page.count("3000") >= 1
    assert len(re.findall(r'href="#controllers">\d+ controllers: see the index of controllers', page)) == 30
    assert len(page) < 3000 * 2500                          # a few kilobytes per controller, not per cell
    workbook = openpyxl.load_workbook(out / "xlsx" / "register.xlsx", read_only=True)
    assert workbook["Controllers (Art. 30(2))"].max_row == 3001
    assert broken_links(out) == []


def test_synthetic_group_renders(tmp_path):
    synthetic = pytest.importorskip("ropa.synthetic")
    summary = synthetic.generate(8000, tmp_path / "data", seed=11, defect_rate=0.05)
    graph = ropa.load([tmp_path / "data"])
    report = validate(graph, as_of=AS_OF)
    out = tmp_path / "out"
    render(graph, out, formats=["html", "xlsx"], findings=report.findings, as_of=AS_OF)
    index = (out / "html" / "index.html").read_text(encoding="utf-8")
    assert index.count('<tr id="finding-') == len({f.id for f in report.findings})
    processor = (out / "html" / "processor-nimbus.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<tr id="c-', processor)) == summary["customer_controllers"]
    assert broken_links(out) == []


def markdown_at_dates(tmp_path) -> dict[str, dict[str, str]]:
    """The Markdown documents of the validity fixture rendered at two dates: date -> file name -> text."""
    fixture = Path(__file__).parent / "fixtures" / "flows" / "validity.ttl"
    runner = CliRunner()
    pages = {}
    for date in ("2024-06-01", "2026-06-01"):
        out = tmp_path / date
        result = runner.invoke(app, ["render", str(fixture), "--out", str(out), "--format", "md", "--as-of", date])
        assert result.exit_code == 0, result.output
        pages[date] = {p.name: p.read_text(encoding="utf-8") for p in sorted((out / "md").glob("*.md"))}
    return pages


def test_render_as_of_shows_the_register_as_it_stood_on_that_date(tmp_path):
    """Activities carry validity dates: a register rendered at a date leaves out what was not valid then."""
    pages = {date: "\n".join(text for name, text in files.items() if name != "index.md")
             for date, files in markdown_at_dates(tmp_path).items()}
    assert "2024 campaign" in pages["2024-06-01"] and "New service" not in pages["2024-06-01"]
    assert "2024 campaign" not in pages["2026-06-01"] and "New service" in pages["2026-06-01"]


def test_diagrams_show_the_register_as_it_stood_on_that_date(tmp_path):
    drawn = {date: " ".join(re.findall(r"```mermaid\n(.*?)```", "\n".join(files.values()), re.DOTALL))
             for date, files in markdown_at_dates(tmp_path).items()}
    assert "Legacy Host" in drawn["2024-06-01"] and "Cloud Host" not in drawn["2024-06-01"]
    assert "Cloud Host" in drawn["2026-06-01"] and "Legacy Host" not in drawn["2026-06-01"]
    assert "2024 campaign" in drawn["2024-06-01"] and "New service" in drawn["2026-06-01"]

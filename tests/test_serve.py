"""``ropa serve`` through Starlette's TestClient: the pages, their languages and links, findings and their filters,
questions as forms with downloads, search, diagrams, reload on change, the read-only SPARQL endpoint, the token,
the security headers and escaping. On the bundled record and on the hospital and SaaS examples."""

from __future__ import annotations

import csv
from html import unescape as html_unescape
from html.parser import HTMLParser
import datetime as dt
import io
import json
import re
import shutil
import time
import warnings
from pathlib import Path
from urllib.parse import quote, urlencode

import openpyxl
import pyoxigraph as ox
import pytest
import rdflib
from typer.testing import CliRunner

from ropa import query as library
from ropa import web
from ropa.cli import app as cli_app
from ropa.load import load
from ropa.register import Messages
from ropa.resources import LANGUAGES, data_dir

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

AS_OF = dt.date(2026, 11, 28)
WAIVERS = data_dir() / "destiny" / "waivers.toml"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SECRET = "a-long-enough-test-token-0123456789"


@pytest.fixture(scope="module")
def destiny():
    return TestClient(web.create_app(as_of=AS_OF, waivers=WAIVERS))


@pytest.fixture(scope="module")
def hospital_client():
    return TestClient(web.create_app([EXAMPLES / "chi-belleval"], as_of=AS_OF))


@pytest.fixture(scope="module")
def saas_client():
    return TestClient(web.create_app([EXAMPLES / "wolkenwerk"], as_of=AS_OF))


def links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


# --- The register ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "nl", "fr"])
def test_every_document_of_the_overview_is_served_in_each_language(destiny, lang):
    t = Messages(lang)
    index = destiny.get(f"/{lang}/")
    assert index.status_code == 200
    assert f'<html lang="{lang}">' in index.text
    assert t("heading.entities") in index.text
    stems = sorted({link for link in links(index.text) if re.fullmatch(r"(controller|processor|processors)-[\w-]+\.html", link)})
    assert len(stems) >= 10   # five organisations: registers and processor overviews
    for stem in stems:
        page = destiny.get(f"/{lang}/{stem}")
        assert page.status_code == 200, stem
        assert 'href="style.css"' in page.text and destiny.get(f"/{lang}/style.css").status_code == 200


def test_the_language_switch_leads_to_the_same_page_in_another_language(destiny):
    page = destiny.get("/en/controller-destiny-nv.html")
    for lang in ("nl", "fr"):
        assert f'href="/{lang}/controller-destiny-nv.html"' in page.text
    dutch = destiny.get("/nl/controller-destiny-nv.html")
    assert Messages("nl")("doc.controller") in dutch.text and Messages("en")("doc.controller") not in dutch.text
    # a query string survives the switch
    findings = destiny.get("/en/findings?severity=warning")
    assert 'href="/fr/findings?severity=warning"' in findings.text


def test_the_register_is_the_same_document_as_the_html_build(destiny):
    """The served page is the template of `ropa build`, with the application's bar added around it and the register's
    filters and pager above its activities: a register of one page is built from its page's queries alike."""
    from ropa.register import build_record
    from ropa.render import documents, render_text
    from ropa.timeline import as_of
    from ropa.validate import validate, with_waivers
    from ropa.waivers import load_waivers

    graph = as_of(load(), AS_OF)   # as `ropa build --as-of` does
    report = with_waivers(validate(graph, as_of=AS_OF), load_waivers(WAIVERS))
    record = build_record(graph, lang="fr", findings=report.findings, as_of=AS_OF)
    document = next(d for d in documents(record) if d.stem == "processor-ozmo")
    built = render_text(record, document, "html")
    served = destiny.get("/fr/processor-ozmo.html").text
    main = re.compile(r"<main>.*</main>", re.S)
    drawn = re.compile(r"<svg.*?</svg>", re.S)   # Graphviz may lay out the same diagram differently run to run
    pages = re.compile(r'\n<section class="register-pages".*?</section>\n', re.S)   # the application's filters and pager
    assert pages.search(served) and not pages.search(built)
    assert pages.sub("", drawn.sub("", main.search(served).group(0))) == drawn.sub("", main.search(built).group(0))
    assert len(drawn.findall(served)) == len(drawn.findall(built)) > 0
    assert 'class="web-bar"' in served and 'class="web-bar"' not in built
    assert "Content-Security-Policy" in built and 'http-equiv="Content-Security-Policy"' not in served


def test_a_second_record_is_served_too(hospital_client, saas_client):
    page = hospital_client.get("/fr/")
    assert page.status_code == 200 and "Belleval" in page.text
    assert "Wolkenwerk" in saas_client.get("/en/").text


# --- Reload on change -------------------------------------------------------------------------------------------

def test_a_changed_file_shows_on_the_next_page_load_and_an_error_until_it_is_fixed(tmp_path):
    folder = tmp_path / "record"
    shutil.copytree(EXAMPLES / "wolkenwerk", folder)
    record = next(folder.glob("*.ttl"))
    original = record.read_text(encoding="utf-8")
    client = TestClient(web.create_app([folder], as_of=AS_OF))
    label = re.search(r'a dpv:Process ;\s+rdfs:label "([^"]+)"@en', original).group(1)   # in the activity index
    assert label in client.get("/en/").text

    record.write_text(original.replace(f'"{label}"@en', '"Renamed while serving"@en', 1), encoding="utf-8")
    page = client.get("/en/")
    assert "Renamed while serving" in page.text

    record.write_text(original + "\nthis is not turtle\n", encoding="utf-8")
    broken = client.get("/en/findings")
    assert broken.status_code == 500
    assert record.name in broken.text and "Traceback" not in broken.text

    record.write_text(original, encoding="utf-8")
    assert client.get("/en/").status_code == 200 and label in client.get("/en/").text


def test_a_new_file_in_the_folder_is_loaded(tmp_path):
    folder = tmp_path / "record"
    shutil.copytree(EXAMPLES / "chi-belleval", folder)
    client = TestClient(web.create_app([folder], as_of=AS_OF))
    assert "Zebra unit of the test" not in client.get("/en/search?q=zebra").text
    prefixes = "\n".join(line for line in (folder / "record.ttl").read_text(encoding="utf-8").splitlines()
                         if line.startswith("@prefix"))
    time.sleep(0.01)
    (folder / "more.ttl").write_text(prefixes + '\n<https://example.org/zebra> a dpv:LegalEntity ; '
                                     'rdfs:label "Zebra unit of the test"@en .\n', encoding="utf-8")
    assert "Zebra unit of the test" in client.get("/en/search?q=zebra").text


# --- Findings ---------------------------------------------------------------------------------------------------

def finding_rows(html: str) -> list[str]:
    body = re.search(r'<table class="gaps-table findings-table" id="findings">.*?<tbody>(.*?)</tbody>', html, re.S)
    return re.findall(r"<tr class=.*?</tr>", body.group(1), re.S) if body else []


def test_findings_filter_by_severity_organisation_article_and_check(destiny):
    everything = destiny.get("/en/findings").text
    assert len(finding_rows(everything)) > 10
    warnings_only = finding_rows(destiny.get("/en/findings?severity=warning").text)
    assert warnings_only and all('class="sev-warning' in row for row in warnings_only)
    organisation = quote("https://w3id.org/ropa/destiny/ozmo")
    ozmo = destiny.get(f"/en/findings?organisation={organisation}").text
    assert finding_rows(ozmo) and all("<td>OZMO" in row for row in finding_rows(ozmo))
    article = re.search(r'<option value="(Art\. 30[^"]*)"', everything).group(1)
    for row in finding_rows(destiny.get(f"/en/findings?article={quote(article)}").text):
        assert f"<td>{article}</td>" in row
    check = re.search(r'<select name="check">.*?<option value="([^"]+)"', everything, re.S).group(1)
    assert finding_rows(destiny.get(f"/en/findings?check={quote(check)}").text)


def test_waived_findings_are_shown_as_waived(destiny):
    waived = finding_rows(destiny.get("/en/findings?status=waived").text)
    assert waived and all("waived" in row and Messages("en")("gap.waived") in row for row in waived)
    open_ = finding_rows(destiny.get("/en/findings?status=open").text)
    assert open_ and not any('class="badge waived"' in row for row in open_)


def test_a_finding_links_to_its_activity_and_shows_its_source_and_fix(destiny):
    html = destiny.get("/en/findings?status=open").text
    linked = re.findall(r'<a href="(/en/go\?activity=[^"]+)">', html)
    assert linked
    for link in linked[:5]:
        place = destiny.get(link.replace("&amp;", "&"), follow_redirects=False).headers["location"]
        document, anchor = re.fullmatch(r"/en/((?:controller|processor)-[\w-]+\.html)#([\w-]+)", place).groups()
        assert f'id="{anchor}"' in destiny.get(f"/en/{document}").text
    assert "<q>" in html and "<cite>" in html          # the quote of the statement the finding is about
    assert f'<span>{Messages("en")("gap.fix")}</span>:' in html
    overview = re.search(r'href="/en/index\.html#([\w-]+)"', html).group(1)
    assert f'id="{overview}"' in destiny.get("/en/").text


def test_findings_speak_the_page_language(destiny):
    dutch = destiny.get("/nl/findings").text
    assert Messages("nl")("web.findings.lead") in dutch
    catalogue = json.loads((data_dir().parent / "reports" / "messages" / "nl.json").read_text(encoding="utf-8"))
    messages = [v for k, v in catalogue.items() if k.startswith("check.") and k.endswith(".fix") and "{" not in v]
    assert any(message.replace("'", "&#39;") in dutch for message in messages)


def test_findings_of_a_workbook_record_cite_the_spreadsheet_cell(tmp_path):
    from ropa.workbook import write_import

    folder = tmp_path / "school"
    write_import(EXAMPLES / "school-nl" / "kastanjelaar.xlsx", folder)
    html = TestClient(web.create_app([folder], as_of=AS_OF)).get("/nl/findings").text
    assert re.search(r"§ [A-Za-z ]+![A-Z]+\d+</cite>", html)


# --- Questions --------------------------------------------------------------------------------------------------

def test_every_library_question_has_a_form(destiny):
    listing = destiny.get("/en/questions").text
    for question in library.library():
        assert f'href="/en/question/{question.name}"' in listing
        form = destiny.get(f"/en/question/{question.name}").text
        for param in question.params:
            assert f'name="{param.name}"' in form
        assert "<summary>" in form and "SELECT" in form   # the SPARQL shown beside the form


def test_inputs_are_typed_pickers_dates_and_languages(destiny):
    form = destiny.get("/nl/question/activities-of-controller").text
    picker = re.search(r'<select id="param-controller".*?</select>', form, re.S).group(0)
    assert '<option value="&lt;https://w3id.org/ropa/destiny/ozmo&gt;"' in picker and ">OZMO" in picker
    assert '<option value="any"' in picker
    languages = re.search(r'<select id="param-lang".*?</select>', form, re.S).group(0)
    assert '<option value="nl" selected>' in languages
    dated = destiny.get("/en/question/transfers-without-valid-basis").text
    assert re.search(r'<input id="param-as_of" type="date" name="as_of" value="\d{4}-\d{2}-\d{2}"', dated)
    category = destiny.get("/fr/question/recipients-of-data-category").text
    assert re.search(r'<select id="param-category"[^>]*required>', category)
    assert re.search(r'<input id="param-min_entities" type="number"', destiny.get("/en/question/shared-processors").text)


def table_rows(html: str) -> list[list[str]]:
    body = re.search(r'<table class="answer-table sortable" id="answer-table">.*?<tbody>(.*?)</tbody>', html, re.S)
    return [re.findall(r"<td>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>.*?</tr>", body.group(1), re.S)] if body else []


def test_an_answer_is_the_library_answer_with_its_downloads(destiny):
    controller = "<https://w3id.org/ropa/destiny/destiny-nv>"
    url = f"/nl/question/activities-of-controller?_run=1&controller={quote(controller)}&lang=nl"
    html = destiny.get(url).text
    expected = library.run(library.get("activities-of-controller"), load(), params={"controller": controller}, lang="nl")
    rows = table_rows(html)
    assert len(rows) == min(len(expected.rows), web.PAGE_SIZE) > 0
    assert [cell.replace("&#39;", "'") for cell in rows[0]] == [expected.records()[0][c] for c in expected.shown()]
    assert library.header("activityLabel", "nl") in html
    assert "&lt;https://w3id.org/ropa/destiny/destiny-nv&gt;" in html   # the bound SPARQL shown

    download = destiny.get(url + "&_download=csv")
    assert download.headers["content-type"].startswith("text/csv")
    assert download.text == expected.render("csv")
    sheet = destiny.get(url + "&_download=xlsx")
    book = openpyxl.load_workbook(io.BytesIO(sheet.content))
    values = list(book.active.values)
    assert values[0][0] == library.header("controllerLabel", "nl") and len(values) == len(expected.rows) + 1


@pytest.mark.parametrize("name", ["pyproject.toml", "README.md", "consent-activities.rq", "%2e%2e%2fpyproject.toml"])
def test_a_question_name_is_never_read_as_a_file(destiny, name):
    page = destiny.get(f"/en/question/{name}")
    assert page.status_code == 404 and "ropa-kg" not in page.text and "hatchling" not in page.text


def _alert(html: str) -> str:
    return re.search(r'role="alert">([^<]*)<', html).group(1)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_wrong_parameter_is_a_message_on_the_form_in_the_page_language(destiny, lang):
    t = Messages(lang)
    html = destiny.get(f"/{lang}/question/shared-processors?_run=1&min_entities=many").text
    expected = t("error.param.wrong", param=t("web.param.min_entities"), expected=t("error.expected.integer"),
                 value="many")
    assert html_unescape(_alert(html)) == expected and "answer-table" not in html
    late = destiny.get(f"/{lang}/question/activities-changed-since?_run=1&since=yesterday").text
    assert t("error.expected.date") in _alert(late)


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_an_unknown_vendor_is_said_in_the_page_language(saas_client, lang):
    t = Messages(lang)
    html = saas_client.get(f"/{lang}/impact?vendor=" + quote("Nimbuss")).text   # a name close to one in the record
    said = html_unescape(_alert(html))
    assert said.startswith(t("error.name.close", what=t("error.what.vendor"), text="Nimbuss", close="").split("{")[0][:20])
    assert "Nimbus" in said and "in the record" not in said
    nobody = html_unescape(_alert(saas_client.get(f"/{lang}/impact?vendor=" + quote("zzzz-nobody-zzzz")).text))
    assert nobody == t("error.name.unknown", what=t("error.what.vendor"), text="zzzz-nobody-zzzz")


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_who_must_be_notified_of_a_breach_is_said_in_the_page_language(saas_client, lang):
    t = Messages(lang)
    html = saas_client.get(f"/{lang}/impact?vendor=" + quote("Nimbus")).text
    table = re.search(r'<table class="index" id="impact-notifications">.*?</table>', html, re.S).group(0)
    cells = [html_unescape(c) for c in re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", table)]
    assert t("impact.heading.notify") in html_unescape(html)
    assert {t("impact.col.who"), t("impact.when.in_time"), t("impact.when.72_hours"), t.cite("Art. 33(1)")} <= set(cells)
    assert t.cite("Art. 33(1)") == {"nl": "art. 33, lid 1", "fr": "art. 33, par. 1", "de": "Art. 33 Abs. 1"}[lang]
    patterns = english_only_phrases(lang)
    assert [c for c in cells if any(p.match(c) for p in patterns)] == []
    english = saas_client.get("/en/impact?vendor=" + quote("Nimbus")).text
    assert Messages("en")("impact.when.72_hours") in html_unescape(english)


def _problems(html: str) -> list[str]:
    return [html_unescape(line) for line in re.findall(r"<li><code>(.*?)</code></li>", html)]


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_a_record_that_does_not_load_is_said_in_the_page_language(tmp_path, lang):
    t = Messages(lang)
    folder = tmp_path / "record"
    shutil.copytree(EXAMPLES / "wolkenwerk", folder)
    record = next(folder.glob("*.ttl"))
    original = record.read_text(encoding="utf-8")
    client = TestClient(web.create_app([folder], as_of=AS_OF))
    record.write_text(original + "\nthis is not turtle\n", encoding="utf-8")
    [line] = _problems(client.get(f"/{lang}/findings").text)
    lines = original.count("\n") + 2
    assert line.startswith(f"{record}:{lines}:") and t("error.load.syntax", detail="").rstrip() in line
    assert "cannot" not in line
    # two unknown terms: each on its own line, with its line number and the nearest term, in the page's language
    record.write_text(original.replace("a dpv:Process", "a dpv:Proces", 1).replace("dpv:hasPurpose", "dpv:hasPurpse", 1),
                      encoding="utf-8")
    page = client.get(f"/{lang}/findings")
    assert page.status_code == 500
    said = _problems(page.text)
    assert said == [f"{record}:{original[:original.index('a dpv:Process')].count(chr(10)) + 1}: "
                    + t("error.load.unknown_term_close", term="dpv:Proces", close="dpv:Process"),
                    f"{record}:{original[:original.index('dpv:hasPurpose')].count(chr(10)) + 1}: "
                    + t("error.load.unknown_term_close", term="dpv:hasPurpse", close="dpv:hasPurpose")]
    english = _problems(client.get("/en/findings").text)
    assert english[0].endswith("Did you mean dpv:Process?") and said[0] != english[0]


@pytest.mark.parametrize("lang", ["nl", "de"])
def test_the_sparql_editor_says_its_errors_in_the_page_language(destiny, lang):
    t = Messages(lang)
    cases = {
        "SELECT ?x WHERE { ?x ?y }": t("error.sparql.syntax", detail="").rstrip(),
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }": t("error.sparql.update", keyword="INSERT"),
        "SELECT * WHERE { SERVICE <https://example.org/sparql> { ?a ?b ?c } }": t("error.sparql.service"),
        "ASK { ?a ?b ?c }": t("web.editor.select_only"),
    }
    for text, expected in cases.items():
        said = html_unescape(_alert(destiny.get(f"/{lang}/sparql", params={"query": text}).text))
        assert said.startswith(expected), (text, said)
        assert not said.startswith(("the ", "only ", "The ")), said
    # the endpoint and the command line keep the English
    refused = destiny.get("/sparql", params={"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
    assert refused.status_code == 403 and "updates are refused" in refused.text


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_a_missing_organisation_suggests_the_record_s_own(hospital_client, lang):
    t = Messages(lang)
    said = html_unescape(_alert(hospital_client.get(f"/{lang}/question/activities-of-controller?_run=1").text))
    assert said.startswith(t("web.param.controller")) and t("web.any") in said
    form = hospital_client.get(f"/{lang}/question/activities-of-controller").text
    offered = [html_unescape(text) for text in re.findall(r'<option value="&lt;[^"]*&gt;"[^>]*>([^<]*)</option>', form)]
    assert offered and offered[0] in said and "IRI" not in said and "--param" not in said
    category = html_unescape(_alert(hospital_client.get(f"/{lang}/question/countries-of-data-category?_run=1").text))
    assert category.startswith(t("web.param.category")) and t("web.any") in category


def test_an_answer_without_a_language_chosen_speaks_the_page_language(destiny):
    """Retention is said in the page's words, with the event in the same language (not '10 Jahre nach the end')."""
    download = destiny.get("/de/question/retention-longer-than?_run=1&_download=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
    kept = {row[3] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "10 Jahre nach dem Ende der Vertragsbeziehung" in kept and not any("P10Y" in k or " the " in k for k in kept)
    english = destiny.get("/en/question/retention-longer-than?_run=1&lang=en&_download=csv").text
    assert "10 years after the end of the contractual relationship" in english


def test_every_error_key_the_library_raises_is_in_the_catalogues():
    """An error an officer can meet names its phrase in the catalogues; the command line keeps the English."""
    from ropa.errors import RopaError

    source = "".join(path.read_text(encoding="utf-8") for path in (Path(web.__file__).parent).glob("*.py"))
    keys = set(re.findall(r'key="(error\.[\w.]+)"', source))
    keys |= {f"error.expected.{kind}" for kind in re.findall(r'raise wrong\(.*, "(\w+)"\)', source)}
    keys |= {f"error.what.{what}" for what in ("vendor", "organisation", "country", "activity", "transfer_instrument")}
    assert len(keys) >= 15
    for lang in LANGUAGES:
        assert {k for k in keys if not Messages(lang).has(k) or k not in Messages.catalogue(lang)} == set(), lang
    error = RopaError("query q: parameter since must be a date", key="error.param.wrong",
                      values={"param": "key:web.param.since", "value": "x", "expected": "key:error.expected.date"})
    assert str(error) == "query q: parameter since must be a date"            # the CLI's English
    assert error.said(Messages("de")) == Messages("de")("error.param.wrong", param=Messages("de")("web.param.since"),
                                                        value="x", expected=Messages("de")("error.expected.date"))
    assert RopaError("plain").said(Messages("fr")) == "plain"


def test_questions_on_the_hospital_record(hospital_client):
    form = hospital_client.get("/fr/question/processors-of-entity").text
    assert "Belleval" in re.search(r'<select id="param-entity".*?</select>', form, re.S).group(0)
    answer = hospital_client.get("/fr/question/processors-of-entity?_run=1&entity=any&lang=fr").text
    assert len(table_rows(answer)) > 0


# --- The SPARQL editor and search -------------------------------------------------------------------------------

def test_the_editor_answers_a_select_and_refuses_an_update(destiny):
    text = "SELECT ?a ?label WHERE { ?a a dpv:Process ; rdfs:label ?label FILTER(LANG(?label) = 'en') } ORDER BY ?label"
    html = destiny.get("/en/sparql?query=" + quote(text)).text
    assert len(table_rows(html)) > 10
    csv_text = destiny.get("/en/sparql?_download=csv&query=" + quote(text)).text
    assert csv_text.splitlines()[0] == "a,label"
    named = destiny.get("/en/sparql?query=" + quote('SELECT ?boolean WHERE { BIND("yes" AS ?boolean) }')).text
    assert table_rows(named) == [["yes"]]
    for other in ("ASK { ?s ?p ?o }", "CONSTRUCT WHERE { ?s a dpv:Process }"):
        assert Messages("en")("web.editor.select_only") in destiny.get("/en/sparql?query=" + quote(other)).text
    refused = destiny.get("/en/sparql?query=" + quote("DELETE WHERE { ?s ?p ?o }")).text
    assert html_unescape(_alert(refused)) == Messages("en")("error.sparql.update", keyword="DELETE")
    assert "SERVICE" in destiny.get("/en/sparql?query=" + quote("SELECT * { SERVICE <http://example.org/> { ?s ?p ?o } }")).text


def test_search_finds_labels_in_three_languages(destiny, hospital_client, saas_client):
    activity = r'<a href="(/en/go\?activity=[^"]+)">'
    for text in ("klant", "customer"):   # Dutch and English labels of the bundled record
        link = re.search(activity, destiny.get(f"/en/search?q={text}").text).group(1)
        place = destiny.get(link, follow_redirects=False).headers["location"]
        assert re.fullmatch(r"/en/(controller|processor)-[\w-]+\.html#a-[\w-]+", place), text
    # French only: shown under its English label on the English page
    found = hospital_client.get("/en/search?q=" + quote("informatisé")).text
    assert re.search(activity.replace(">", r">Electronic patient record<"), found)
    organisation = re.search(r'<a href="(/en/go\?organisation=[^"]+)">', hospital_client.get("/en/search?q=belleval").text)
    assert hospital_client.get(organisation.group(1), follow_redirects=False).headers["location"].startswith("/en/processors-")
    assert hospital_client.get("/en/go?activity=" + quote("https://example.org/nothing")).status_code == 404
    categories = destiny.get("/fr/search?q=adresse").text
    assert Messages("fr")("web.search.kind_category") in categories
    assert "question/recipients-of-data-category?" in categories
    vendors = saas_client.get("/en/search?q=nimbus").text
    assert Messages("en")("web.search.kind_vendor") in vendors and "/en/impact?vendor=" in vendors


# --- Diagrams and impact ----------------------------------------------------------------------------------------

def test_diagrams_per_register_and_activity_and_the_impact_of_a_vendor(destiny, saas_client):
    listing = destiny.get("/en/diagrams").text
    targets = re.findall(r'href="(/en/diagram/[^"]+)"', listing)
    assert any("?activity=" in target for target in targets)
    for target in targets[:3]:
        page = destiny.get(target.replace("&amp;", "&"))
        assert page.status_code == 200 and "<svg" in page.text
    vendor = re.search(r'<option value="(&lt;[^"]+&gt;)"', listing).group(1).replace("&lt;", "<").replace("&gt;", ">")
    impact = saas_client.get("/en/impact?vendor=" + quote(re.search(
        r'<option value="(&lt;[^"]+&gt;)"', saas_client.get("/en/diagrams").text).group(1).replace("&lt;", "<").replace("&gt;", ">")))
    assert impact.status_code == 200 and 'id="impact-activities"' in impact.text
    assert 'id="impact-activities"' in destiny.get("/nl/impact?vendor=" + quote(vendor)).text
    assert 'role="alert"' in destiny.get("/en/impact?vendor=" + quote("<https://example.org/nobody>")).text


# --- The SPARQL endpoint ----------------------------------------------------------------------------------------

SELECT = "SELECT ?a ?label WHERE { ?a a dpv:Process ; rdfs:label ?label } ORDER BY ?a ?label"


def test_the_endpoint_answers_get_and_post_in_the_standard_formats(destiny):
    by_get = destiny.get("/sparql", params={"query": SELECT}, headers={"Accept": "application/sparql-results+json"})
    assert by_get.headers["content-type"].startswith("application/sparql-results+json")
    rows = by_get.json()["results"]["bindings"]
    assert len(rows) > 40 and rows[0]["a"]["type"] == "uri" and "xml:lang" in rows[0]["label"]
    by_form = destiny.post("/sparql", data={"query": SELECT})
    assert by_form.json() == by_get.json()
    direct = destiny.post("/sparql", content=SELECT, headers={"Content-Type": "application/sparql-query"})
    assert direct.json() == by_get.json()

    xml = destiny.get("/sparql", params={"query": SELECT}, headers={"Accept": "application/sparql-results+xml"})
    parsed = list(ox.parse_query_results(xml.content, format=ox.QueryResultsFormat.XML))
    assert len(parsed) == len(rows)
    tsv = destiny.get("/sparql", params={"query": SELECT, "format": "tsv"})
    assert len(list(ox.parse_query_results(tsv.content, format=ox.QueryResultsFormat.TSV))) == len(rows)
    table = list(csv.reader(io.StringIO(destiny.get("/sparql", params={"query": SELECT}, headers={"Accept": "text/csv"}).text)))
    assert table[0] == ["a", "label"] and len(table) == len(rows) + 1
    ask = destiny.get("/sparql", params={"query": "ASK { ?a a dpv:Process }"}).json()
    assert ask == {"head": {}, "boolean": True}


def test_the_endpoint_answers_construct_as_turtle_and_n_triples(destiny):
    construct = "CONSTRUCT { ?a rdfs:label ?l } WHERE { ?a a dpv:Process ; rdfs:label ?l }"
    turtle = destiny.get("/sparql", params={"query": construct}, headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=turtle.text, format="turtle")
    triples = destiny.get("/sparql", params={"query": construct, "format": "ntriples"})
    assert len(graph) == len(rdflib.Graph().parse(data=triples.text, format="nt")) > 40


def test_the_endpoint_is_read_only(destiny):
    update = "INSERT DATA { <https://example.org/a> <https://example.org/b> <https://example.org/c> }"
    assert destiny.post("/sparql", data={"update": update}).status_code == 403
    assert destiny.post("/sparql", content=update, headers={"Content-Type": "application/sparql-update"}).status_code == 403
    assert destiny.get("/sparql", params={"query": update}).status_code == 403
    assert destiny.get("/sparql", params={"query": "LOAD <file:///etc/passwd>"}).status_code == 403
    assert destiny.get("/sparql", params={"query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"}).status_code == 403
    assert destiny.get("/sparql", params={"query": "SELECT * WHERE {"}).status_code == 400
    assert destiny.get("/sparql").status_code == 400
    from_file = destiny.get("/sparql", params={"query": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"})
    assert from_file.status_code == 200 and from_file.json()["results"]["bindings"] == []   # a graph name, never read
    huge = "SELECT * WHERE { ?s ?p ?o }" + " " * web.MAX_QUERY_BYTES
    assert destiny.post("/sparql", content=huge, headers={"Content-Type": "application/sparql-query"}).status_code == 413
    check = "ASK { <https://example.org/a> ?p ?o }"
    assert destiny.get("/sparql", params={"query": check}).json()["boolean"] is False


def test_the_endpoint_stops_a_long_query_and_cuts_a_long_answer():
    client = TestClient(web.create_app([EXAMPLES / "chi-belleval"], timeout=0.5, max_rows=7))
    started = time.monotonic()
    slow = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"})
    assert slow.status_code == 503 and "0.5 seconds" in slow.text
    assert time.monotonic() - started < 10
    cut = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert len(cut.json()["results"]["bindings"]) == 7 and cut.headers["x-ropa-truncated"] == "true"


def test_the_endpoint_limits_the_default_graph_when_asked(hospital_client):
    record = next(f for f in load([EXAMPLES / "chi-belleval"]).files if f.kind == "data").graph.value
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    union = int(hospital_client.get("/sparql", params={"query": count}).json()["results"]["bindings"][0]["n"]["value"])
    only = hospital_client.get("/sparql", params={"query": count, "default-graph-uri": record})
    assert 0 < int(only.json()["results"]["bindings"][0]["n"]["value"]) < union


# --- Safety -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/en/", "/en/findings", "/en/question/consent-activities", "/en/sparql", "/sparql?query=ASK{}",
                                  "/static/app.js", "/en/nothing.html", "/en/diagrams"])
def test_every_response_has_the_security_headers(destiny, path):
    response = destiny.get(path)
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    if response.headers["content-type"].startswith("text/html"):
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text)   # no inline script anywhere
        assert not re.search(r"\son[a-z]+=", response.text)                   # no inline event handler


def test_a_token_is_needed_for_every_request_when_set():
    client = TestClient(web.create_app([EXAMPLES / "chi-belleval"], token=SECRET))
    for path in ("/en/", "/sparql?query=ASK{}", "/static/app.js", "/en/findings"):
        refused = client.get(path)
        assert refused.status_code == 401 and "Belleval" not in refused.text
        assert refused.headers["x-content-type-options"] == "nosniff"
    assert client.get("/en/", headers={"Authorization": "Bearer wrong-token-of-some-length"}).status_code == 401
    assert client.get("/en/", headers={"Authorization": f"Bearer {SECRET}"}).status_code == 200
    assert client.get("/en/?token=wrong", follow_redirects=False).status_code == 401
    opened = client.get(f"/en/findings?severity=warning&token={SECRET}", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/en/findings?severity=warning"
    assert "httponly" in opened.headers["set-cookie"].lower() and "samesite=strict" in opened.headers["set-cookie"].lower()
    assert client.get("/en/").status_code == 200   # the cookie now carries the token
    elsewhere = client.get(f"http://testserver//attacker.example/x?token={SECRET}", follow_redirects=False)
    assert elsewhere.headers["location"] == "/attacker.example/x"


def test_only_a_named_origin_may_read_the_endpoint_from_its_pages():
    allowed, other = "https://yasgui.example.org", "https://attacker.example"
    client = TestClient(web.create_app([EXAMPLES / "chi-belleval"], origins=[allowed], token=SECRET))
    preflight = client.options("/sparql", headers={"Origin": allowed, "Access-Control-Request-Method": "POST",
                                                   "Access-Control-Request-Headers": "authorization"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == allowed
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    asked = client.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": allowed, "Authorization": f"Bearer {SECRET}"})
    assert asked.status_code == 200 and asked.headers["access-control-allow-origin"] == allowed
    assert client.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": allowed}).status_code == 401
    elsewhere = client.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": other, "Authorization": f"Bearer {SECRET}"})
    assert "access-control-allow-origin" not in elsewhere.headers
    assert client.options("/sparql", headers={"Origin": other}).status_code in (401, 405)
    page = client.get("/en/", headers={"Origin": allowed, "Authorization": f"Bearer {SECRET}"})
    assert "access-control-allow-origin" not in page.headers
    with pytest.raises(Exception, match="not an origin"):
        web.check_origins(["*"])
    assert web.check_origins([allowed]) == [allowed]


def test_binding_another_address_needs_a_token():
    with pytest.raises(Exception, match="--token"):
        web.check_bind("0.0.0.0", None)
    web.check_bind("127.0.0.1", None)
    web.check_bind("0.0.0.0", SECRET)
    with pytest.raises(Exception, match="16 characters"):
        web.check_bind("0.0.0.0", "short")
    result = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--token" in result.output and "Traceback" not in result.output


def test_a_port_in_use_is_a_one_line_error():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli_app, ["serve", str(EXAMPLES / "chi-belleval"), "--port", str(port)])
    assert result.exit_code == 2 and f"port {port}" in result.output and "--port" in result.output
    assert "serving" not in result.output and "Traceback" not in result.output


def test_a_page_from_another_host_name_is_refused():
    client = TestClient(web.create_app([EXAMPLES / "chi-belleval"], hosts=web.allowed_hosts(None)),
                        base_url="http://127.0.0.1:8000")
    assert client.get("/en/").status_code == 200
    assert client.get("/en/", headers={"Host": "attacker.example"}).status_code == 400


def test_a_record_that_does_not_load_is_an_error_before_serving(tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix dpv: <https://w3id.org/dpv#> .\n<a:b> a dpv:Proces .\n", encoding="utf-8")
    import socket

    with socket.socket() as probe:   # a free port: 8000 may be taken by another program on this machine
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(cli_app, ["serve", str(broken), "--port", str(port)])
    assert result.exit_code == 2 and "broken.ttl" in result.output and "Traceback" not in result.output


HOSTILE = '<script>alert("label")</script><img src=x onerror=alert(2)>'


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    text = (EXAMPLES / "chi-belleval" / "record.ttl").read_text(encoding="utf-8")
    label = re.search(r'rdfs:label "([^"]+)"@fr', text).group(1)
    escaped = HOSTILE.replace('"', '\\"')
    (folder / "record.ttl").write_text(text.replace(f'"{label}"@fr', f'"{escaped}"@fr').replace(
        f'"{label}"@en', f'"{escaped}"@en'), encoding="utf-8")
    return TestClient(web.create_app([folder], as_of=AS_OF))


@pytest.mark.parametrize("path", ["/fr/", "/fr/findings", "/fr/search?q=script", "/fr/question/processors-of-entity",
                                  "/fr/question/activities-of-controller?_run=1&controller=any",
                                  "/fr/sparql?query=" + quote("SELECT ?l WHERE { ?x rdfs:label ?l }"), "/fr/diagrams"])
def test_a_label_with_markup_stays_text(hostile_client, path):
    html = hostile_client.get(path).text
    assert "<script>alert" not in html and "<img src=x" not in html


def test_a_label_with_markup_is_shown_escaped(hostile_client):
    html = hostile_client.get("/fr/search?q=script").text
    assert "&lt;script&gt;alert(&#34;label&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html


# --- The catalogues ---------------------------------------------------------------------------------------------

def test_every_phrase_of_the_pages_is_in_the_three_catalogues():
    reports = data_dir().parent / "reports"
    used = set()
    for path in [*(reports / "web").glob("*.j2"), Path(web.__file__)]:
        used |= set(re.findall(r"""t\(\s*["'](web\.[\w.-]+)["']""", path.read_text(encoding="utf-8")))
    catalogues = {lang: json.loads((reports / "messages" / f"{lang}.json").read_text(encoding="utf-8"))
                  for lang in LANGUAGES}
    assert len(used) > 40
    for lang, catalogue in catalogues.items():
        for key in used:   # a key ending in "." or "_" is completed in the template (web.nav.<section>)
            if key.endswith((".", "_")):
                assert any(k.startswith(key) for k in catalogue), (lang, key)
            else:
                assert key in catalogue, (lang, key)
        web_keys = {k for k in catalogues["en"] if k.startswith("web.")}
        assert web_keys <= set(catalogue), (lang, sorted(web_keys - set(catalogue))[:5])


# --- A large record ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from ropa.synthetic import generate

    folder = tmp_path_factory.mktemp("synthetic-serve")
    generate(20_000, folder)
    return folder, TestClient(web.create_app([folder], as_of=AS_OF))


def test_a_long_answer_comes_in_pages_that_together_hold_every_row(synthetic):
    folder, client = synthetic
    expected = library.run(library.get("activities-of-controller"), load([folder]), params={"controller": "any"})
    assert len(expected.rows) > 3 * web.PAGE_SIZE
    url = "/en/question/activities-of-controller?_run=1&controller=any&lang=en"
    first = client.get(url).text
    assert len(table_rows(first)) == web.PAGE_SIZE and 'rel="next"' in first and 'rel="prev"' not in first
    pages = -(-len(expected.rows) // web.PAGE_SIZE)
    seen = []
    for number in range(1, pages + 1):
        seen += [row[1] for row in table_rows(client.get(f"{url}&_page={number}").text)]
    last = client.get(f"{url}&_page={pages}").text
    assert 'rel="next"' not in last and 'rel="prev"' in last
    assert sorted(cell.replace("&#39;", "'").replace("&amp;", "&") for cell in seen) == \
        sorted(r["activityLabel"] for r in expected.records())
    assert table_rows(client.get(f"{url}&_page=9999").text) == table_rows(last)   # past the end: the last page
    assert len(client.get(url + "&_download=csv").text.splitlines()) == len(expected.rows) + 1   # downloads hold all


def _entries(html: str) -> list[str]:
    return re.findall(r'<section class="entry" id="([\w-]+)">', html)


def _largest_register(folder) -> tuple[str, str, int]:
    """The organisation, role and size of the longest register of a record, counted by SPARQL."""
    rows = load([folder]).select("""SELECT ?e ?role (COUNT(DISTINCT ?a) AS ?n) WHERE {
        ?a a dpv:Process ; ropa:recordedBy ?e . OPTIONAL { ?a ropa:role ?r }
        BIND(IF(BOUND(?r) && ?r = ropa:ProcessorRole, "processor", "controller") AS ?role) }
        GROUP BY ?e ?role ORDER BY DESC(?n)""")
    return rows[0]["e"], rows[0]["role"], int(rows[0]["n"])


def test_a_long_register_comes_in_pages_each_built_from_its_own_activities(synthetic, monkeypatch):
    folder, client = synthetic
    entity, role, count = _largest_register(folder)
    assert count > web.REGISTER_PAGE_SIZE
    slug = re.split(r"[#/]", entity)[-1]
    asked = []
    original = web.build_page

    def spy(graph, scope, *args, **kwargs):
        asked.append(scope.activities)
        return original(graph, scope, *args, **kwargs)

    monkeypatch.setattr(web, "build_page", spy)
    url = f"/en/{role}-{slug}.html"
    first, second = client.get(url).text, client.get(url + "?_page=2").text
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert first.count('rel="next"') == 2 and 'class="register-pager-bottom"' in first   # above and below
    assert f"1–{web.REGISTER_PAGE_SIZE} of {count}" in first and f"{web.REGISTER_PAGE_SIZE + 1}–" in second
    one, two = _entries(first), _entries(second)
    assert len(one) == web.REGISTER_PAGE_SIZE and len(two) == min(count - web.REGISTER_PAGE_SIZE, web.REGISTER_PAGE_SIZE)
    assert not set(one) & set(two)
    # each page was built from queries about its own activities, not the register's
    assert [len(a) for a in asked] == [len(one), len(two)] and not set(asked[0]) & set(asked[1])
    every = []
    for number in range(1, -(-count // web.REGISTER_PAGE_SIZE) + 1):
        every += _entries(client.get(f"{url}?_page={number}").text)
    assert len(every) == len(set(every)) == count
    # an activity on the second page is linked to that page
    activity = next(a for a in asked[1])
    place = client.get("/en/go?" + urlencode({"activity": activity}), follow_redirects=False).headers["location"]
    assert place.startswith(f"/en/{role}-{slug}.html?_page=2#") and place.split("#")[1] in two


def test_the_server_keeps_the_answers_about_the_whole_record_not_those_of_each_page(synthetic):
    folder, client = synthetic
    entity, role, count = _largest_register(folder)
    slug = re.split(r"[#/]", entity)[-1]
    for number in (1, 2):
        assert client.get(f"/en/{role}-{slug}.html?_page={number}").status_code == 200
    answers = client.app.state.served.current().answers
    assert any("ropa:quote" in sparql for sparql in answers.answered)   # the record's sources: asked once for all
    assert not [sparql for sparql in answers.answered if web._NODE_VALUES.search(sparql)]
    assert 0 < len(answers.recent) <= web.RECENT_ANSWERS   # a page's own: only those of the last pages read


def test_a_register_is_filtered_by_name_and_controller(synthetic):
    folder, client = synthetic
    entity, role, count = _largest_register(folder)
    slug = re.split(r"[#/]", entity)[-1]
    graph = load([folder])
    prop = "ropa:actsOnBehalfOf" if role == "processor" else "dpv:hasDataController"
    pairs = graph.select(f"SELECT ?e ?a ?label ?c ?name WHERE {{ ?a ropa:recordedBy ?e ; rdfs:label ?label ; {prop} ?c . "
                         "?c dpv:hasName|rdfs:label ?name }", {"e": ox.NamedNode(entity)})
    word = pairs[0]["label"].split()[-1]
    named = {r["a"] for r in pairs if word.casefold() in r["label"].casefold()}
    html = client.get(f"/en/{role}-{slug}.html?" + urlencode({"q": word})).text
    assert f"of {len(named)}" in html and len(_entries(html)) == min(len(named), web.REGISTER_PAGE_SIZE) > 0
    controller = pairs[0]["name"]
    served = {r["a"] for r in pairs if controller.casefold() in r["name"].casefold()}
    html = client.get(f"/en/{role}-{slug}.html?" + urlencode({"controller": controller})).text
    assert f"of {len(served)}" in html and 0 < len(served) < count
    nothing = client.get(f"/nl/{role}-{slug}.html?q=no-such-activity-anywhere").text
    assert Messages("nl")("web.register.none") in nothing and not _entries(nothing)


def test_a_large_record_has_an_overview_of_counts_with_links(synthetic):
    folder, client = synthetic
    html = client.get("/en/").text
    outline_count = len(load([folder]).select("SELECT DISTINCT ?a WHERE { ?a a dpv:Process ; ropa:recordedBy ?e }"))
    assert outline_count > web.FULL_OVERVIEW_UP_TO
    assert f"holds {outline_count} processing activities" in html
    assert 'id="activities"' not in html   # no row per activity
    assert len(re.findall(r'href="/en/controller-[\w-]+\.html"', html)) >= 30
    providers = re.findall(r'href="/en/impact\?vendor=[^"]+">', html)
    assert 0 < len(providers) <= web.TOP_PROVIDERS
    assert client.get(re.search(r'href="(/en/impact\?vendor=[^"]+)"', html).group(1).replace("&amp;", "&")).status_code == 200
    assert client.get(re.search(r'href="(/en/processors-[\w-]+\.html)"', html).group(1)).status_code == 200


def test_a_register_too_long_to_draw_is_explained_with_a_way_to_one_activity(synthetic, monkeypatch):
    folder, client = synthetic
    entity, role, count = _largest_register(folder)
    slug = re.split(r"[#/]", entity)[-1]
    monkeypatch.setattr(web, "REGISTER_DIAGRAM_UP_TO", 10)
    monkeypatch.setattr(web, "ACTIVITY_DIAGRAMS_UP_TO", 10)   # the listing links a register this long to its pages
    for lang in ("en", "de"):
        refused = client.get(f"/{lang}/diagram/{role}/{slug}").text
        assert 'id="diagram-refused"' in refused and "<svg" not in refused
        name = re.search(r'<h1><span class="doc-kind">([^<]+)</span>', refused).group(1)
        explained = re.search(r'<p class="diagram-omitted" id="diagram-refused">([^<]+)</p>', refused).group(1)
        assert explained == Messages(lang)("web.diagrams.too_many", name=name, count=count, up_to=10).replace("'", "&#39;")
        assert f'href="/{lang}/{role}-{slug}.html"' in refused
        narrower = re.findall(rf'<li><a href="(/{lang}/diagram/{role}/{slug}\?activity=[\w-]+)">', refused)
        assert len(narrower) == web.REGISTER_PAGE_SIZE   # the diagrams of the register's first activities
    assert "<svg" in client.get(narrower[0]).text
    register = client.get(f"/en/{role}-{slug}.html?_page=2").text
    link = re.search(r'<p class="diagram-link"><a href="([^"]+)"', register).group(1).replace("&amp;", "&")
    drawn = client.get(link)
    assert drawn.status_code == 200 and "<svg" in drawn.text
    listing = client.get("/en/diagrams").text
    assert f'href="/en/{role}-{slug}.html"' in listing   # a long register's activities are reached from its pages


def test_a_register_built_page_by_page_is_the_register_of_ropa_build(saas_client):
    """The pages' builder gives the objects `ropa build` writes: on the bundled record and on another one."""
    from ropa.flows import build_flow_graph
    from ropa.register import Answers, build_page, build_provider_overview, build_record, outline
    from ropa.validate import validate

    for paths in (None, [EXAMPLES / "wolkenwerk"]):
        graph = load(paths)
        report = validate(graph, as_of=AS_OF)
        flows = build_flow_graph(graph, AS_OF)
        record = build_record(graph, lang="fr", findings=report.findings, as_of=AS_OF, flows=flows)
        answers = Answers(graph)
        shape = outline(graph, "fr", answers)
        compared = 0
        for role, registers in (("controller", record.controller_registers), ("processor", record.processor_registers)):
            for register in registers:
                entity = register.organisation.iri
                activities = [a for a, _ in shape.of(entity, role)]
                assert activities == [entry.iri for entry in register.entries]
                page = build_page(graph, shape.scope(entity, role, activities), role, lang="fr",
                                  findings=report.findings, as_of=AS_OF, flows=flows, answers=answers, diagrams=True)
                assert page == register
                compared += 1
        for overview in record.overviews:
            entity = overview.organisation.iri
            every = [a for role in ("controller", "processor") for a, _ in shape.of(entity, role)]
            assert build_provider_overview(graph, shape.scope(entity, "controller", every), lang="fr",
                                           findings=report.findings, as_of=AS_OF, flows=flows, answers=answers) == overview
        assert compared >= 2


def test_findings_come_in_pages(destiny):
    html = destiny.get("/en/findings").text
    total = int(re.search(r"–\d+ of (\d+)", html).group(1))
    assert total > web.PAGE_SIZE
    first, second = finding_rows(html), finding_rows(destiny.get("/en/findings?_page=2").text)
    assert len(first) == web.PAGE_SIZE and len(second) == min(web.PAGE_SIZE, total - web.PAGE_SIZE)
    assert not set(first) & set(second)


def test_a_changed_waiver_file_shows_on_the_next_page_load(tmp_path):
    waivers = tmp_path / "waivers.toml"
    shutil.copyfile(WAIVERS, waivers)
    client = TestClient(web.create_app(as_of=AS_OF, waivers=waivers))
    assert finding_rows(client.get("/en/findings?status=waived").text)
    waivers.write_text("# every waiver withdrawn\n", encoding="utf-8")
    assert not finding_rows(client.get("/en/findings?status=waived").text)


def test_a_question_on_the_findings_counts_them_as_the_command_line_does(destiny):
    """open-gaps-per-entity reuses the served validation (waivers applied) instead of validating again."""
    from ropa.timeline import as_of
    from ropa.waivers import load_waivers

    html = destiny.get(f"/en/question/open-gaps-per-entity?_run=1&as_of={AS_OF.isoformat()}&lang=en").text
    expected = library.run(library.get("open-gaps-per-entity"), as_of(load(), AS_OF), as_of=AS_OF, lang="en",
                           waivers=load_waivers(WAIVERS))
    assert [[cell.replace("&#39;", "'") for cell in row] for row in table_rows(html)] == \
        [[r[c] for c in expected.shown()] for r in expected.records()]
    assert any(cell != "0" for row in table_rows(html) for cell in row[1:4])   # violations, warnings, infos


def test_a_long_register_leaves_the_activity_diagrams_to_the_diagrams_page(destiny, monkeypatch):
    full = destiny.get("/en/controller-destiny-nv.html").text
    monkeypatch.setattr(web, "ACTIVITY_DIAGRAMS_UP_TO", 3)
    short = destiny.get("/en/controller-destiny-nv.html").text
    assert full.count("<svg") > short.count("<svg") and short.count("<svg") <= 1
    assert len(re.findall(r'<section class="entry', full)) == len(re.findall(r'<section class="entry', short)) > 3


# --- Plain words for people ----------------------------------------------------------------------------------------

class _TextNodes(HTMLParser):
    """The text a person reads on a page, without the SPARQL shown to engineers (pre, code, textarea)."""

    SKIPPED = {"pre", "code", "textarea", "script", "style"}

    def __init__(self, lang: str):
        super().__init__()
        self.lang = lang
        self.texts: list[str] = []
        self.skipping = 0
        self.open: list[bool] = []

    def handle_starttag(self, tag, attrs):
        # text marked as another language (the names of the languages in the switch) is not the page's words
        other = tag in self.SKIPPED or dict(attrs).get("lang", self.lang) != self.lang
        if tag not in ("meta", "link", "input", "br", "img"):
            self.open.append(other)
        self.skipping += other

    def handle_endtag(self, tag):
        if tag not in ("meta", "link", "input", "br", "img") and self.open:
            self.skipping -= self.open.pop()

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.texts.append(" ".join(data.split()))


def page_texts(html: str, lang: str) -> list[str]:
    parser = _TextNodes(lang)
    parser.feed(html)
    return parser.texts


def english_only_phrases(lang: str) -> list[re.Pattern]:
    """The English phrases of the catalogue that are no phrase of the language ({x} matches anything)."""
    english, other = Messages.catalogue("en"), Messages.catalogue(lang)
    words = set(other.values())
    patterns = []
    for key, phrase in english.items():
        parts = re.split(r"\{\w+\}", phrase)
        if phrase in words or len(re.findall(r"[A-Za-z]", "".join(parts))) < 6:
            continue
        patterns.append(re.compile("^" + ".+".join(re.escape(p) for p in parts) + "$"))
    return patterns


@pytest.mark.parametrize("lang", ["nl", "fr"])   # the languages the hospital record labels its things in
def test_the_pages_speak_the_language_without_iris_or_prefixed_names(hospital_client, lang):
    curie = re.compile(r"\b(?:dpv|pd|loc|eu-gdpr|legal-[a-z]{2}|ropa|rs|chb|xsd|rdfs|skos):[A-Za-z]")
    patterns = english_only_phrases(lang)
    vendor = re.search(r'<option value="(&lt;[^"]+&gt;)"', hospital_client.get(f"/{lang}/diagrams").text).group(1)
    pages = [f"/{lang}/findings", f"/{lang}/questions", f"/{lang}/question/activities-of-controller",
             f"/{lang}/question/transfers-without-valid-basis", f"/{lang}/search?q=patient", f"/{lang}/diagrams",
             f"/{lang}/impact?vendor=" + quote(vendor.replace("&lt;", "<").replace("&gt;", ">")),
             f"/{lang}/sparql"]
    for path in pages:
        texts = page_texts(hospital_client.get(path).text, lang)
        assert texts, path
        assert not [t for t in texts if re.search(r"https?://|urn:", t) or curie.search(t)], path
        assert not [t for t in texts if any(p.match(t) for p in patterns)], path
    english = page_texts(hospital_client.get("/en/findings").text, "en")
    assert [t for t in english if any(p.match(t) for p in patterns)], "the check must see English"


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_the_pages_of_a_large_record_speak_the_language(synthetic, lang, monkeypatch):
    """The overview of counts, a register's pages and filters, and a diagram too long to draw: no English phrase
    of the catalogues (the synthetic record's own labels are English, and are not phrases)."""
    folder, client = synthetic
    entity, role, count = _largest_register(folder)
    slug = re.split(r"[#/]", entity)[-1]
    monkeypatch.setattr(web, "REGISTER_DIAGRAM_UP_TO", 10)
    patterns = english_only_phrases(lang)
    own = {row["l"] for row in load([folder]).select(
        "SELECT DISTINCT ?l WHERE { ?x rdfs:label|dpv:hasName ?l FILTER(STRSTARTS(STR(?x), 'https://w3id.org/ropa/synthetic/')) }")}
    for path in (f"/{lang}/", f"/{lang}/{role}-{slug}.html?_page=2", f"/{lang}/{role}-{slug}.html?q=zzz-nothing",
                 f"/{lang}/diagram/{role}/{slug}", f"/{lang}/diagrams"):
        texts = [t for t in page_texts(client.get(path).text, lang) if t not in own]
        assert texts, path
        assert not [t for t in texts if any(p.match(t) for p in patterns)], path
    english = page_texts(client.get("/en/").text, "en")
    assert [t for t in english if any(p.match(t) for p in patterns)], "the check must see English"


def test_a_question_added_to_the_library_gets_its_form(destiny, add_question):
    add_question("activities-in-a-country.rq",
        "# title: Activities whose data are kept in a country\n"
        "# answers: Which activities keep data in a given country?\n"
        "# article: GDPR Art. 30(1)(e)\n"
        "# param: country (IRI, default: any) the country, e.g. loc:BE\n"
        "# param: lang (language, default: en) language of the labels\n"
        "SELECT DISTINCT ?activity ?activityLabel WHERE {\n"
        "  ?activity a dpv:Process ; ropa:recordedBy ?org . ?org dpv:hasCountry $country .\n"
        "  ?activity rdfs:label ?activityLabel FILTER(LANG(?activityLabel) = $lang)\n"
        "} ORDER BY ?activityLabel ?activity\n")
    assert 'href="/nl/question/activities-in-a-country"' in destiny.get("/nl/questions").text
    form = destiny.get("/nl/question/activities-in-a-country").text
    picker = re.search(r'<select id="param-country".*?</select>', form, re.S).group(0)
    assert ">België</option>" in picker and Messages("nl")("web.param.country") in form
    belgium = re.search(r'<option value="([^"]+)">België</option>', picker).group(1).replace("&lt;", "<").replace("&gt;", ">")
    answer = destiny.get(f"/nl/question/activities-in-a-country?_run=1&country={quote(belgium)}&lang=nl").text
    assert len(table_rows(answer)) > 5


# --- Search: the labels found by predicate ----------------------------------------------------------------------

_SEARCH_BY_FILTER = web._SEARCH.replace(
    "VALUES ?p {{ rdfs:label skos:prefLabel dpv:hasName }}", "").replace(
    "?x ?p ?label\n", "?x ?p ?label FILTER(?p IN (rdfs:label, skos:prefLabel, dpv:hasName))\n")
"""Search as it was written before (every triple read, the label properties kept by a filter): the reference."""


@pytest.fixture(scope="module")
def synthetic_10k(tmp_path_factory):
    from ropa.synthetic import generate

    folder = tmp_path_factory.mktemp("search-synthetic")
    generate(10_000, folder)
    return load([folder])


@pytest.mark.parametrize("record", ["bundled", "synthetic"])
@pytest.mark.parametrize("text", ["payroll", "a", "Zorg"])
def test_search_finds_what_the_filter_on_every_triple_found(record, text, bundled, synthetic_10k):
    graph = synthetic_10k if record == "synthetic" else bundled
    assert _SEARCH_BY_FILTER != web._SEARCH and "FILTER(?p IN" in _SEARCH_BY_FILTER
    graphs = " ".join(f"<{g.value}>" for g in graph.graphs("data"))

    def hits(template):
        sparql = template.format(data=web._DATA.format(graphs=graphs), text=ox.Literal(text),
                                 languages=", ".join(f'"{lang}"' for lang in LANGUAGES))
        return sorted((row["x"].value, row["kind"].value) for row in graph.query(sparql))

    found = hits(web._SEARCH)
    assert found == hits(_SEARCH_BY_FILTER)
    if text == "a":
        assert len(found) > 10

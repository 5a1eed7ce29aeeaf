"""The library questions in people's words: each question's title, description and article line in every language
of the catalogues, cited as the language cites, on the question pages of ``ropa serve`` and in ``ropa queries``."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import warnings
from html import unescape

import pyoxigraph as ox
import pytest
from rich.console import Console
from typer.testing import CliRunner

from ropa import query as library
from ropa import web
from ropa.load import load
from ropa.cli import app
from ropa.commands.query import library_table
from ropa.messages import Messages
from ropa.resources import LANGUAGES

from conftest import example_dir

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

MACHINE_CITATION = re.compile(r"Art\.\s*\d+(?:-\d+)?(?:\(\d+\))*(?:\([a-z]\))*(?:-\([a-z]\))?")
ENGINEERS_WORDS = re.compile(r"https?://|urn:|\b(?:dpv|pd|loc|eu-gdpr|legal-[a-z]{2}|ropa|rs|ref|dct|rdf|rdfs|skos|xsd)"
                             r":[A-Za-z]|\b[a-z]+[A-Z][A-Za-z]*\b|\bP\d+[YMD]\b")
"""A prefixed name, an IRI, a camel-cased variable name (withinOneMonth) or an ISO duration: not for people."""


@pytest.fixture(scope="module")
def hospital_pages():
    return TestClient(web.create_app([example_dir("chi-belleval")]))


def test_every_question_has_its_words_in_every_language():
    english = Messages.catalogue("en")
    for query in library.library():
        cited = sorted(MACHINE_CITATION.findall(english[f"query.{query.name}.article"]))
        cited_by_header = re.sub(r"\([^()]{3,}\)", "", query.article)   # its citations, not their explanations
        header_articles = set(re.findall(r"Art\.\s*(\d+)", cited_by_header))
        assert header_articles, query.name
        assert header_articles <= {re.match(r"Art\.\s*(\d+)", c).group(1) for c in cited}, query.name
        for lang in LANGUAGES:
            phrases = Messages.catalogue(lang)
            for field in ("title", "answers", "article"):
                text = phrases.get(f"query.{query.name}.{field}")
                assert text and not ENGINEERS_WORDS.search(text), (lang, query.name, field, text)
                if lang != "en":
                    assert text != english[f"query.{query.name}.{field}"], (lang, query.name, field)
            # the same articles in every language, written in machine form for Messages.cite
            assert sorted(MACHINE_CITATION.findall(phrases[f"query.{query.name}.article"])) == cited, (lang, query.name)


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_citations_are_said_as_the_language_cites(lang):
    say = Messages(lang)
    for query in library.library():
        for text in (library.description(query, lang), library.article(query, lang)):
            assert not MACHINE_CITATION.search(text) or lang == "de", (query.name, text)  # German keeps "Art. 30"
            assert not re.search(r"\(\d+\)", text), (query.name, text)                   # no "(1)" paragraphs left
    recipients = library.get("recipients-of-data-category")
    assert say.cite("Art. 30(1)(d)") in library.article(recipients, lang)
    assert library.article(recipients, "en").startswith("GDPR Art. 30(1)(d) (recipients)")


@pytest.mark.parametrize("lang, regulation", [("nl", "AVG"), ("de", "DSGVO")])
def test_a_question_page_describes_the_question_in_the_page_language(hospital_pages, lang, regulation):
    query = library.get("joint-controllers")
    page = unescape(hospital_pages.get(f"/{lang}/question/joint-controllers").text)
    assert f'<p class="answers" lang="{lang}">{library.description(query, lang)}</p>' in page
    assert f'<p class="article" lang="{lang}">{regulation} {Messages(lang).cite("Art. 26")}' in page
    assert Messages(lang).cite("Art. 26(2)") in page
    assert query.answers not in page and "GDPR" not in page
    listing = unescape(hospital_pages.get(f"/{lang}/questions").text)
    assert library.article(library.get("transfers-outside-eea"), lang) in listing
    assert "GDPR" not in listing


def test_a_question_the_catalogues_do_not_describe_keeps_its_header_words(hospital_pages, add_question):
    add_question("activities-named.rq",
        "# title: Activities by name\n"
        "# answers: Which activities does the record name?\n"
        "# article: GDPR Art. 30(1)(b)\n"
        "# param: lang (language, default: en) language of the labels\n"
        "SELECT ?activity WHERE { ?activity a dpv:Process } ORDER BY ?activity\n")
    page = hospital_pages.get("/fr/question/activities-named").text
    assert '<p class="answers" lang="en">Which activities does the record name?</p>' in page
    assert '<p class="article" lang="en">GDPR Art. 30(1)(b)</p>' in page


def test_ropa_queries_speaks_the_language_asked_for():
    runner = CliRunner()
    dutch = runner.invoke(app, ["queries", "--lang", "nl"])
    assert dutch.exit_code == 0, dutch.output
    assert "Vragen van de bibliotheek" in dutch.output and "verplicht" in dutch.output
    assert "dpv:" not in dutch.output and "Query library" not in dutch.output
    engineers = runner.invoke(app, ["queries"])
    assert "Query library" in engineers.output and "dct:modified" in engineers.output
    query = library.get("consent-activities")
    wide = Console(file=io.StringIO(), width=1000)
    wide.print(library_table([query], Messages("de")))
    shown = wide.file.getvalue()
    assert library.description(query, "de") in shown and library.article(query, "de") in shown
    assert "Art. 6 Abs. 1 lit. a" in shown and "Einwilligung" in shown
    described = [q for q in json.loads(runner.invoke(app, ["queries", "--format", "json"]).stdout)
                 if q["name"] == "consent-activities"]
    assert described[0]["descriptions"]["fr"] == library.description(query, "fr")
    assert described[0]["answers"] == query.answers


@pytest.mark.parametrize("lang, word", [("fr", "lignes?"), ("de", "Zeilen?")])
def test_ropa_query_counts_its_rows_in_the_language_asked_for(lang, word):
    result = CliRunner().invoke(app, ["query", "joint-controllers", str(example_dir("chi-belleval")), "--lang", lang])
    assert result.exit_code == 0, result.output
    rows = len(library.run(library.get("joint-controllers"), load([example_dir("chi-belleval")])).rows)
    assert rows > 0
    assert re.search(rf"^{rows} {word}$", result.output, re.M), result.output
    assert " rows" not in result.output


def test_every_parameter_of_the_library_is_named_in_every_language():
    names = {param.name for query in library.library() for param in query.params}
    for lang in LANGUAGES:
        phrases = Messages.catalogue(lang)
        assert not [name for name in names if not phrases.get(f"web.param.{name}")], lang


@pytest.fixture(scope="module")
def saas_pages():
    return TestClient(web.create_app([example_dir("wolkenwerk")]))


def options(page: str, name: str) -> dict[str, str]:
    picker = re.search(rf'<select id="param-{name}".*?</select>', page, re.S)
    assert picker, name
    return {unescape(label): unescape(value) for value, label in re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)<', picker.group(0))}


@pytest.mark.parametrize("lang", ["nl", "de"])
def test_instruments_and_mechanisms_are_chosen_from_lists_in_the_page_language(saas_pages, lang):
    from ropa.register import Labels

    labels = Labels(load([example_dir("wolkenwerk")]), lang)
    page = saas_pages.get(f"/{lang}/question/instrument-what-if").text
    instruments = options(page, "instrument")
    framework = labels["https://w3id.org/ropa/vocab#Adequacy-EU-US-DPF"]
    assert framework in instruments and labels["https://w3id.org/ropa/vocab#SCC-2021-914-EU"] in instruments
    assert labels["https://w3id.org/dpv/legal/eu#Adequacy-EU-JP"] in instruments   # counts for Japan, unnamed
    assert Messages(lang)("web.param.instrument") in page
    answer = saas_pages.get(f"/{lang}/question/instrument-what-if",
                            params={"_run": "1", "instrument": instruments[framework]}).text
    assert '<p class="problem"' not in answer and "<tbody>" in answer
    kinds = options(saas_pages.get(f"/{lang}/question/transfers-per-mechanism").text, "mechanism")
    scc = labels["https://w3id.org/ropa/vocab#MechanismSCC"]
    assert scc in kinds and not scc.startswith("Standard contractual")


@pytest.mark.parametrize("lang, default, asked", [("fr", "5 ans", "18 mois"), ("nl", "5 jaar", "18 maanden")])
def test_a_period_is_shown_and_asked_in_words(hospital_pages, lang, default, asked):
    page = hospital_pages.get(f"/{lang}/question/retention-longer-than").text
    assert f'name="period" value="{default}"' in page and 'value="P5Y"' not in page
    answer = hospital_pages.get(f"/{lang}/question/retention-longer-than", params={"_run": "1", "period": asked}).text
    assert '<p class="problem"' not in answer
    expected = library.run(library.get("retention-longer-than"), load([example_dir("chi-belleval")]),
                           params={"period": "P18M"})
    assert len(re.findall(r"<tr>\s*<td", answer)) == len(expected.rows) > 0
    said = CliRunner().invoke(app, ["query", "retention-longer-than", str(example_dir("chi-belleval")),
                                    "--param", f"period={asked}", "--format", "json"])
    assert said.exit_code == 0, said.output
    assert len(json.loads(said.stdout)["rows"]) == len(expected.rows)


def _labels_in(graph, iri: str, lang: str) -> set[str]:
    """The labels a term has in a language (rdfs:label for the record's and ropa's terms, skos:prefLabel for DPV's
    and for the translations ropa ships)."""
    rows = graph.select("""SELECT ?term ?lang ?label WHERE { ?term rdfs:label|skos:prefLabel ?label FILTER(LANG(?label) = ?lang) }""",
                        {"term": ox.NamedNode(iri), "lang": ox.Literal(lang)})
    return {row["label"] for row in rows}


@pytest.mark.parametrize("example, lang", [("classe-ouverte", "fr"), ("loonhuis-schelde", "nl"), ("wolkenwerk", "de")])
def test_every_question_shows_a_term_in_the_asked_language_where_it_has_a_label_there(example, lang):
    """A relation, an instrument, a country or a right with a label in the language asked for shows that label, not
    the English one: DPV's terms carry their translations as skos:prefLabel."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = load([example_dir(example)])
    wrong = []
    for query in library.library():
        params = {p.name: "any" for p in query.params if p.required and p.type == "IRI"}
        if any(p.required and p.type != "IRI" for p in query.params):
            continue   # a question about one source document's file name
        results = library.run(query, graph, params=params, lang=lang, as_of=dt.date(2026, 11, 30))
        for row in results.rows:
            for column, term in zip(results.columns, row):
                if isinstance(term, ox.NamedNode) and f"{column}Label" in results.columns:
                    wanted = _labels_in(graph, term.value, lang)
                    shown = row[results.columns.index(f"{column}Label")]
                    if wanted and (shown is None or shown.value not in wanted) and column not in LABELLED_IN_SENTENCES:
                        wrong.append((query.name, column, term.value, shown.value if shown else None))
    assert not wrong, wrong[:10]


LABELLED_IN_SENTENCES = {"retentionEvent", "keptEvent"}
"""Events are named as a sentence names them ("la fin du contrat"), from the catalogue, not by their bare label."""

"""The query library's answers do not change when its questions are made faster: rows sorted in Python are the
rows the store sorts, on the bundled record, two example records and a synthetic one (ropa.synthetic, 10k)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

import ropa
from ropa import query as library
from ropa import resources
from ropa.cli import app
from ropa.messages import Messages
from ropa.synthetic import generate
from typer.testing import CliRunner

from conftest import example_dir

runner = CliRunner()

AS_OF = dt.date(2026, 1, 1)
QUESTIONS = [q for q in library.library() if "findings" not in q.needs]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic-10k")
    generate(10_000, folder)
    return ropa.load([folder])


@pytest.fixture(scope="module")
def records(bundled, hospital, wolkenwerk, synthetic):
    return {"destiny": bundled, "chi-belleval": hospital, "wolkenwerk": wolkenwerk, "synthetic-10k": synthetic}


def every(query) -> dict[str, str]:
    """Each required parameter at any: the question asked of every controller, category or instrument."""
    return {p.name: "any" for p in query.params if p.required and p.type == "IRI"}


def store_sorted(monkeypatch, query, graph, params):
    """The answer with the store doing the sorting (the ORDER BY left in the query)."""
    with monkeypatch.context() as patch:
        patch.setattr(library, "split_order", lambda sparql: None)
        return library.run(query, graph, params=params, as_of=AS_OF)


@pytest.mark.parametrize("record", ["destiny", "chi-belleval", "wolkenwerk", "synthetic-10k"])
def test_rows_sorted_in_python_are_the_rows_the_store_sorts(records, record, monkeypatch):
    graph = records[record]
    sorted_here = 0
    questions = [(q, every(q)) for q in QUESTIONS if not any(p.required and p.type != "IRI" for p in q.params)]
    if record == "destiny":   # the questions that need a source document's name, or the validation findings
        questions += [(q, dict(q.example)) for q in library.library() if q.name in ("activities-from-seed",
                                                                                    "open-gaps-per-entity")]
    for query, params in questions:
        fast = library.run(query, graph, params=params, as_of=AS_OF)
        slow = store_sorted(monkeypatch, query, graph, params)
        assert fast.columns == slow.columns, query.name
        assert fast.rows == slow.rows, f"{query.name} on {record}: the rows differ or come in another order"
        sorted_here += len(fast.rows) > 1
    assert sorted_here >= 10   # the comparison is not one of empty answers


def test_every_library_question_ends_with_an_order_python_can_take_over(records):
    """Each question's final ORDER BY is of projected variables whose values sort_rows orders like the store."""
    graph = records["synthetic-10k"]
    for query in QUESTIONS:
        bindings = library.bind(query, {**every(query), **({"seed": "x"} if query.param("seed") else {})},
                                as_of=AS_OF)
        split = library.split_order(library.prepare(query, bindings))
        assert split is not None, f"{query.name}: its ORDER BY is not one of plain variables at the end"
        body, keys = split
        with library.verdicts_graph(graph, AS_OF):
            solutions = graph.query(body)
            columns = [v.value for v in solutions.variables]
            assert all(key in columns for key, _ in keys), f"{query.name}: it sorts by a column it does not show"
            rows = [tuple(s) for s in solutions]
        assert library.sort_rows(rows, [(columns.index(k), d) for k, d in keys]) is not None, query.name


@pytest.mark.parametrize("text, keys", [
    ("SELECT ?a WHERE { ?a ?b ?c } ORDER BY DESC(?a) ?b # a comment\n", [("a", True), ("b", False)]),
    ("SELECT ?a WHERE { ?a ?b ?c } order by asc(?a) $b", [("a", False), ("b", False)]),
    ("SELECT ?a WHERE { ?a ?b ?c } ORDER BY ?a LIMIT 3", None),                   # a LIMIT after it
    ("SELECT ?a WHERE { { SELECT ?a WHERE { ?a ?b ?c } ORDER BY ?a } }", None),   # only inside a sub-select
    ('SELECT ?a WHERE { ?a ?b "ORDER BY ?x" }', None),                            # inside a string
    ("SELECT ?a WHERE { ?a ?b ?c } ORDER BY STR(?a)", None),                      # an expression
])
def test_only_a_final_order_of_plain_variables_is_taken_over(text, keys):
    split = library.split_order(text)
    assert (split[1] if split else None) == keys
    if split:
        assert "ORDER" not in split[0].upper().split("}")[-1]


def test_sort_rows_follows_sparql_order_of_terms():
    iri, other = ox.NamedNode("https://example.org/b"), ox.NamedNode("https://example.org/a")
    plain, dutch, english = ox.Literal("Zorg"), ox.Literal("Zorg", language="nl"), ox.Literal("Apen", language="en")
    rows = [(plain,), (iri,), (None,), (dutch,), (english,), (other,), (ox.BlankNode("x"),)]
    ordered = library.sort_rows(rows, [(0, False)])
    # unbound, blank node, IRIs by text, then literals by text, datatype (rdf:langString before xsd:string), language
    assert ordered == [(None,), (ox.BlankNode("x"),), (other,), (iri,), (english,), (dutch,), (plain,)]
    numbers = [(ox.Literal("10", datatype=ox.NamedNode(library.XSD + "integer")),),
               (ox.Literal("9", datatype=ox.NamedNode(library.XSD + "integer")),)]
    assert library.sort_rows(numbers, [(0, True)]) == numbers          # 10 before 9 when descending: by value
    mixed = [(ox.Literal("9", datatype=ox.NamedNode(library.XSD + "integer")),), (ox.Literal("x"),)]
    assert library.sort_rows(mixed, [(0, False)]) is None               # kinds Oxigraph orders its own way


def test_sort_rows_agrees_with_the_store_on_mixed_labels():
    """Labels in several languages and plain strings, as a label column holds them, sorted by the store and here."""
    store = ox.Store()
    values = ['"b"@nl', '"b"@en', '"b"', '"a"@fr', '"é"', '"B"', '"b"^^<http://www.w3.org/2001/XMLSchema#string>',
              '<https://example.org/x>', '"10"^^<http://www.w3.org/2001/XMLSchema#integer>']
    text = "SELECT ?v WHERE { VALUES ?v { %s } }" % " ".join(values[:-1])
    by_store = [tuple(s) for s in store.query(text + " ORDER BY ?v")]
    here = library.sort_rows([tuple(s) for s in store.query(text)], [(0, False)])
    assert here == by_store
    assert library.sort_rows([tuple(s) for s in store.query(text)], [(0, True)]) == \
        [tuple(s) for s in store.query(text + " ORDER BY DESC(?v)")]


BEFORE = Path(__file__).resolve().parent / "data" / "queries-before"
"""The texts of the questions as they were before they were rewritten for speed: their answers are the reference."""


def busiest(graph, query) -> list[dict[str, str]]:
    """The parameters to compare with: every value at once (any), and the value the record uses most."""
    runs = [every(query)]
    for param in (p for p in query.params if p.required and p.type == "IRI"):
        rows = graph.select(BUSIEST[param.name])
        if rows:
            runs.append({**every(query), param.name: f"<{rows[0]['value']}>"})
    return runs


BUSIEST = {
    "controller": "SELECT ?value WHERE { ?a ropa:role ropa:ControllerRole ; dpv:hasDataController ?value } "
                  "GROUP BY ?value ORDER BY DESC(COUNT(?a)) ?value LIMIT 1",
    "category": "SELECT ?value WHERE { ?a a dpv:Process ; dpv:hasPersonalData ?value } "
                "GROUP BY ?value ORDER BY DESC(COUNT(?a)) ?value LIMIT 1",
    "instrument": "SELECT ?value WHERE { ?t a dpv:CrossBorderTransfer ; dpv:hasLegalBasis ?value } "
                  "GROUP BY ?value ORDER BY DESC(COUNT(?t)) ?value LIMIT 1",
}


def as_before(results) -> list[dict[str, str]]:
    """The rows in the English display of the earlier texts, which wrote a destination outside a region whose
    country is not named as one phrase ("not named, outside" and the region) where now a code column says so (and
    said nothing of a country reached by remote access, which the column notes too)."""
    rows = []
    outside = Messages("en")("query.code.outside-not-named")
    for row in results.records(iris=True):
        if "destinationNote" in row:
            note = row.pop("destinationNote")
            if note == outside:
                row["destinationLabel"] = f"not named, outside {row['destinationLabel']}"
        rows.append(row)
    return rows


@pytest.mark.parametrize("name", sorted(p.stem for p in BEFORE.glob("*.rq")))
@pytest.mark.parametrize("record", ["destiny", "chi-belleval", "wolkenwerk", "synthetic-10k"])
def test_a_rewritten_question_answers_as_before(records, record, name):
    graph = records[record]
    before = library.parse_query((BEFORE / f"{name}.rq").read_text(encoding="utf-8"), name)
    after = library.get(name)
    compared = 0
    for params in busiest(graph, after):
        for lang in ("en", "nl"):
            old = library.run(before, graph, params=params, as_of=AS_OF, lang=lang)
            new = library.run(after, graph, params=params, as_of=AS_OF, lang=lang)
            assert [c for c in new.columns if c != "destinationNote"] == old.columns
            assert as_before(new) == old.records(iris=True), f"{name} {params} {lang} on {record}"
            compared += len(new.rows)
    if record == "synthetic-10k":
        assert compared > 0


# --- Codes instead of English words in the answers ------------------------------------------------------------

CODED = [q for q in library.library() if q.codes]
MIXED = {"withdrawal"}
"""Code columns that hold a recorded text where there is one (the means of withdrawing consent)."""
ENGLISH = json.loads((resources.reports_dir() / "messages" / "en.json").read_text(encoding="utf-8"))


def test_questions_with_status_columns_declare_them_as_codes():
    assert {q.name for q in CODED} >= {"instrument-what-if", "countries-of-data-category", "processors-of-entity",
                                       "dpia-needed", "automated-decisions", "vulnerable-data-subjects"}
    for query in CODED:
        for column, prefix in query.codes.items():
            assert f"?{column}" in query.body, f"{query.name}: no column {column}"


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
@pytest.mark.parametrize("record", ["chi-belleval", "wolkenwerk"])
def test_coded_answers_speak_the_language_asked_and_json_keeps_the_codes(records, record, lang):
    graph = records[record]
    seen = 0
    for query in CODED:
        results = library.run(query, graph, params=every(query), as_of=AS_OF, lang=lang)
        cells = results.records(lang=lang)
        csv_rows = list(csv.DictReader(io.StringIO(results.render("csv", lang=lang))))
        payload = json.loads(results.render("json"))
        for column, prefix in query.codes.items():
            codes = [row[column] or "" for row in payload["rows"]]
            assert [r[column] for r in csv_rows] == [c[column] for c in cells]
            if any(v.startswith(column) for v in results.value_columns()):
                # words with values from the row (a date, a period in words, an event): no placeholder left, and
                # none reads as the English words
                english_cells = results.records(lang="en")
                assert all("{" not in c[column] for c in cells), query.name
                assert all(c[column] != e[column] for c, e in zip(cells, english_cells) if e[column]), query.name
                seen += len(cells)
                continue
            assert [c[column] for c in cells] == [library.code_text(code, lang, prefix) for code in codes]
            for code in {c for c in codes if c}:
                localised, english = library.code_text(code, lang, prefix), library.code_text(code, "en", prefix)
                known = all(f"{prefix}.{token}" in ENGLISH for token in code.split())
                if (column.endswith("Label") or column in MIXED) and not known:
                    continue   # a column of labels or recorded texts with a code where none is: this row has one
                assert known, f"{query.name}: no words for {code}"
                assert localised != english, f"{query.name} {lang}: '{english}'"
                seen += 1
    assert seen > 5


def test_the_what_if_in_dutch_on_the_terminal_and_in_markdown(wolkenwerk):
    from rich.console import Console

    from ropa.commands.query import rich_table

    args = ["query", "instrument-what-if", str(example_dir("wolkenwerk")), "--lang", "nl",
            "--param", "instrument=ropa:Adequacy-EU-US-DPF", "--as-of", AS_OF.isoformat()]
    markdown = runner.invoke(app, [*args, "--format", "md"])
    assert markdown.exit_code == 0, markdown.output
    console = Console(width=2000, record=True)
    results = library.run(library.get("instrument-what-if"), wolkenwerk, as_of=AS_OF, lang="nl",
                          params={"instrument": "ropa:Adequacy-EU-US-DPF"})
    console.print(rich_table(results, False, "nl"))
    for shown in (markdown.stdout, console.export_text()):
        assert "verliest zijn grondslag voor doorgifte" in shown and "geldig" in shown
        for english in ("loses its transfer basis", "keeps a valid basis", "already not valid", "loses-basis",
                        "standard contractual clauses"):
            assert english not in shown


def test_the_pages_and_downloads_of_ropa_serve_give_codes_in_the_page_language():
    from starlette.testclient import TestClient

    from ropa import web

    client = TestClient(web.create_app([example_dir("chi-belleval")], as_of=AS_OF))
    page = client.get("/fr/question/processors-of-entity?_run=1&entity=any&lang=fr").text
    table = "".join(re.findall(r"<table.*?</table>", page, re.S))   # the answer, not the SPARQL beside it
    assert "documenté" in table
    assert "not-documented" not in table and "not documented" not in table
    csv_text = client.get("/fr/question/processors-of-entity?_run=1&entity=any&lang=fr&_download=csv").text
    agreement = [row["agreement"] for row in csv.DictReader(io.StringIO(csv_text))]
    assert agreement and set(agreement) <= {"documenté", "requis, non documenté", "non documenté"}


GAPS = """
my:org a dpv:LegalEntity ; rdfs:label "Orgaan"@nl .
my:a1 a dpv:Process ; ropa:recordedBy my:org ; rdfs:label "Verwerking"@nl ; dpv:hasPersonalData my:Deep, pd:Name ;
    dpv:hasRecipient my:r1, my:org ; dpv:hasDataProcessor my:p1 .
my:a2 a dpv:Process ; ropa:recordedBy my:unlabelled ; rdfs:label "Second"@en ; dpv:hasPersonalData my:Mid ;
    dpv:hasRecipient my:r2 .
my:Mid skos:broader pd:EmailAddress ; rdfs:label "Mid"@en .
my:Deep skos:broader my:Mid ; skos:prefLabel "Tief"@de .
my:r1 rdfs:label "Empfänger"@de .
my:r2 dpv:hasName "Receiver Two" .
"""
"""Labels missing in the language asked, or missing altogether; a category two levels below the one asked; an
activity with a category outside it; an activity that names its own organisation as recipient."""


@pytest.mark.parametrize("lang", ["en", "de", "nl"])
def test_recipients_label_each_value_as_before_where_labels_are_missing(tmp_path, lang):
    from records import prefixes
    (tmp_path / "gaps.ttl").write_text(prefixes("https://example.org/gaps/") + GAPS, encoding="utf-8")
    graph = ropa.load([tmp_path])
    before = library.parse_query((BEFORE / "recipients-of-data-category.rq").read_text(encoding="utf-8"), "before")
    for category in ("pd:EmailAddress", "any"):
        old = library.run(before, graph, params={"category": category}, lang=lang)
        new = library.run(library.get("recipients-of-data-category"), graph, params={"category": category}, lang=lang)
        assert new.rows == old.rows, (category, lang)
    values = [{c: t.value for c, t in zip(new.columns, row)} for row in new.rows]   # as the store gives them
    rows = {(r["receiver"].rsplit("/", 1)[-1], r["activity"].rsplit("/", 1)[-1]): r for r in values}
    assert set(rows) == {("r1", "a1"), ("p1", "a1"), ("r2", "a2")}   # not the organisation naming itself
    deep, email = rows["r1", "a1"], rows["r2", "a2"]
    assert deep["receiverLabel"] == ("Empfänger" if lang == "de" else "https://example.org/gaps/r1")
    assert deep["activityLabel"] == ("Verwerking" if lang == "nl" else "https://example.org/gaps/a1")
    assert deep["entityLabel"] == ("Orgaan" if lang == "nl" else "https://example.org/gaps/org")
    assert "Tief" in deep["dataLabel"] if lang == "de" else "https://example.org/gaps/Deep" in deep["dataLabel"]
    assert "https://w3id.org/dpv/pd#Name" in deep["data"]   # any: the activity's other category too
    assert email["receiverLabel"] == "Receiver Two" and email["entityLabel"] == "https://example.org/gaps/unlabelled"
    assert email["activityLabel"] == "Second" and email["dataLabel"] == "Mid"


def test_rows_read_as_text_are_the_terms_pyoxigraph_gives():
    """read_solutions reads the store's TSV: every kind of value comes back as the same term, unbound as None."""
    store = ox.Store()
    values = ['"tab\\there"', '"line\\nbreak \\"quoted\\" back\\\\slash"', '"Zoë"@fr', '"x"@en-GB', '"1"^^xsd:integer',
              '"01"^^xsd:integer', '"1.50"^^xsd:decimal', '"1.0E3"^^xsd:double', '"true"^^xsd:boolean',
              '"2026-01-01"^^xsd:date', '"odd"^^<https://example.org/type>', '<https://example.org/é?a=b#c>', '""',
              '" "', '"-"', '"_:b"']
    text = ("PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> SELECT ?v ?w ?b WHERE { VALUES ?v { %s UNDEF } "
            "OPTIONAL { FILTER(false) BIND(1 AS ?w) } BIND(BNODE(\"n\") AS ?b) }" % " ".join(values))
    expected = [tuple(s) for s in store.query(text)]
    texts, terms = library.read_solutions(store.query(text))
    rows = list(zip(*[iter([terms[t] for t in texts])] * 3))
    assert [row[:2] for row in rows] == [row[:2] for row in expected]
    assert all(isinstance(row[2], ox.BlankNode) for row in rows)
    assert None in [row[0] for row in rows] and all(row[1] is None for row in rows)
    assert library.select_embedded(ropa.load([]), "SELECT * WHERE { }").rows == [()]   # a row without columns

"""German (--lang de) as data files only: the catalogue reports/messages/de.json, German labels of the DPV concepts,
countries and ropa's vocabulary and reference data, and "de" in ropa.resources.LANGUAGES. Tested on Wolkenwerk GmbH
(examples/wolkenwerk), the German SaaS company whose readers and authority are German."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from rdflib.compare import isomorphic
from typer.testing import CliRunner

import ropa
from ropa.cli import app
from ropa.periods import Period, parse_period
from ropa.register import Labels, Messages
from ropa.render import render
from ropa.resources import LANGUAGES
from ropa.validate import validate
from ropa.workbook import article30_facts, export_workbook, write_import, write_template
from test_examples import CURIE, IRI, ISO_DURATION, document_texts, english_patterns, used_concepts

AS_OF = dt.date(2026, 11, 30)
runner = CliRunner()


@pytest.fixture(scope="module")
def german_documents(wolkenwerk, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wolkenwerk-de")
    findings = validate(wolkenwerk, as_of=AS_OF).findings
    render(wolkenwerk, folder, formats=("html", "md", "xlsx"), lang="de", findings=findings, as_of=AS_OF)
    return folder


def test_german_documents_have_no_english_fixed_phrase_or_label(wolkenwerk, german_documents, tmp_path):
    texts = document_texts(german_documents)
    patterns = english_patterns("de")
    assert len(patterns) > 300
    assert [t for t in texts if any(p.match(t) for p in patterns)] == []
    concepts = used_concepts(wolkenwerk)
    assert len(concepts) > 15
    translated = {row["c"] for row in wolkenwerk.select(
        "SELECT DISTINCT ?c WHERE { ?c skos:prefLabel|rdfs:label ?l FILTER(LANG(?l) = 'de') }")}
    assert concepts - translated == set()
    english, german = Labels(wolkenwerk, "en"), Labels(wolkenwerk, "de")
    assert not {english[c] for c in concepts if english[c] != german[c]} & set(texts)
    assert {"Verzeichnis von Verarbeitungstätigkeiten (Art. 30 Abs. 1)", "Fristen für die Löschung",
            "Gesundheitsakte", "Vereinigte Staaten"} <= set(texts)
    # the check sees English: the English documents of the same record match the patterns
    english_folder = tmp_path / "en"
    render(wolkenwerk, english_folder, formats=("md",), lang="en", as_of=AS_OF)
    english_texts = [line for path in (english_folder / "md").glob("*.md") for line in path.read_text().splitlines()]
    assert any(p.match(t.strip("# ")) for t in english_texts for p in patterns)


def test_german_documents_show_no_iri_curie_or_iso_duration(german_documents):
    for text in document_texts(german_documents):
        assert not IRI.search(text) and not CURIE.search(text) and not ISO_DURATION.search(text), text


def test_german_phrases_take_the_dative_and_its_contractions(bundled):
    t, labels = Messages("de"), Labels(bundled, "de")
    until = t("retention.until_event", event=labels.definite("https://w3id.org/ropa/vocab#DisputeSettled"))
    assert until == "Bis zur endgültigen Beilegung des Rechtsstreits"
    eea = t("transfer.outside_region", region=labels.definite("https://w3id.org/dpv/loc#EEA", t("grammar.article")))
    assert eea == "Ein Land, das nicht zum Europäischen Wirtschaftsraum (EWR) gehört (nicht genannt)"
    stated = t("value.no_transfer_outside", region=labels.definite("https://w3id.org/dpv/loc#EEA", t("grammar.article")))
    assert stated == "Keine Übermittlung aus dem Europäischen Wirtschaftsraum (EWR) hinaus (angegeben)"


def test_a_language_is_its_data_files_and_the_one_list():
    """No Python module names a shipped language but ropa.resources.LANGUAGES, so none branches on one: adding a
    language is its catalogue, its label columns and the one list (the words of periods come from the catalogues)."""
    package = Path(ropa.__file__).parent
    listed = re.compile(r"""["'](?:nl|fr|de)["']""")
    for path in package.rglob("*.py"):
        # the one list; the namespaces of the member states' authorities; the synthetic record's own content
        if "_bundled" in path.parts or path.name in ("resources.py", "namespaces.py", "synthetic.py"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            assert not listed.search(code), f"{path.name}:{number}: {line.strip()}"


@pytest.mark.parametrize("text, expected", [
    ("2 Jahre", Period("fixed", duration="P2Y")),
    ("zwei Jahre und 6 Monate", Period("fixed", duration="P2Y6M")),
    ("2 Jahre nach Ende der Vereinbarung", Period("event", duration="P2Y", event="urn:end")),
    ("bis zum Ende der Vereinbarung", Period("event", event="urn:end")),
    ("30 Tage bis 12 Monate", Period("range", low="P30D", high="P12M")),
    ("Gesetzlich festgelegt: Frist der Abgabenordnung", Period("statutory", text="Frist der Abgabenordnung")),
])
def test_german_retention_periods(text, expected):
    events = {"ende der vereinbarung": "urn:end"}
    assert parse_period(text, lambda name: events.get(name.casefold()), [Messages(lang) for lang in LANGUAGES]) == expected


def test_german_workbook_round_trip(wolkenwerk, tmp_path):
    book = export_workbook(wolkenwerk, tmp_path / "wolkenwerk.xlsx", lang="de")
    imported = ropa.load([write_import(book, tmp_path / "imported").parent])
    original = article30_facts(wolkenwerk, "de")
    assert len(original) > 100
    assert isomorphic(original, article30_facts(imported, "de"))
    import openpyxl

    sheets = openpyxl.load_workbook(book).sheetnames
    assert "Tätigkeiten" in sheets and "Activities" not in sheets
    template = write_template(tmp_path / "vorlage.xlsx", lang="de")
    assert "Anleitung" in openpyxl.load_workbook(template).sheetnames


def test_every_command_takes_german(wolkenwerk, tmp_path):
    path = str(Path(__file__).resolve().parent.parent / "examples" / "wolkenwerk")
    result = runner.invoke(app, ["validate", path, "--as-of", AS_OF.isoformat(), "--lang", "de"])
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines()[-1].startswith("Verstöße: ")
    result = runner.invoke(app, ["query", "recipients-of-data-category", path, "--param", "category=pd:HealthRecord",
                                 "--lang", "de", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "Gesundheitsakte" in result.output and "Health Record" not in result.output
    result = runner.invoke(app, ["terms", "Einwilligung", "--lang", "de", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert any(found["labels"].get("de") == "Einwilligung" for found in json.loads(result.output))
    result = runner.invoke(app, ["build", path, "-o", str(tmp_path / "build"), "--lang", "de", "--format", "md",
                                 "--as-of", AS_OF.isoformat()])
    assert result.exit_code in (0, 1), result.output
    assert "Verzeichnis von Verarbeitungstätigkeiten" in "".join(
        p.read_text(encoding="utf-8") for p in (tmp_path / "build").rglob("*.md"))
    result = runner.invoke(app, ["template", "-o", str(tmp_path / "t.xlsx"), "--lang", "de"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["init", str(tmp_path / "neu"), "--org", "Beispiel GmbH", "--country", "DE", "--lang", "de"])
    assert result.exit_code == 0, result.output
    record = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "neu").rglob("*.ttl"))
    assert "Lohn- und Gehaltsabrechnung" in record
    authority = ropa.load([tmp_path / "neu"]).select(
        "SELECT ?l WHERE { ?o dpv:hasAuthority ?a . ?a skos:prefLabel|rdfs:label ?l FILTER(LANG(?l) = 'de') }")
    assert any("Bundesbeauftragte" in row["l"] for row in authority)


def test_no_two_concepts_of_a_kind_share_a_german_label_unless_english_does():
    """A German label names one concept, so a workbook cell or `ropa terms` in German finds the one meant."""
    from collections import defaultdict

    from ropa.terms import vocabulary

    english, german = defaultdict(set), defaultdict(set)
    for term in vocabulary().terms():
        english[term.kind, term.label("en").casefold()].add(term.curie)
        if "de" in term.labels:
            german[term.kind, term.labels["de"].casefold()].add(term.curie)
    assert len(german) > 900
    shared = {key: terms for key, terms in german.items()
              if len(terms) > 1 and not any(terms <= same for same in english.values())}
    assert shared == {}


def test_a_german_organisation_reads_german_law_and_its_authority_in_german(tmp_path):
    from ropa.plain import PlainWords

    record = tmp_path / "record.ttl"
    record.write_text("""
        @prefix ex: <https://example.org/lohn/> . @prefix ropa: <https://w3id.org/ropa/vocab#> .
        @prefix dpv: <https://w3id.org/dpv#> . @prefix loc: <https://w3id.org/dpv/loc#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ex:firma a dpv:LegalEntity ; rdfs:label "Lohnbüro Beispiel GmbH"@de ; dpv:hasName "Lohnbüro Beispiel GmbH" ;
            dpv:hasCountry loc:DE .
        ex:lohn a dpv:Process ; rdfs:label "Lohnabrechnung"@de ; ropa:recordedBy ex:firma ;
            ropa:role ropa:ControllerRole ; dpv:hasDataController ex:firma ;
            dpv:hasPersonalData ropa:GermanTaxIdentificationNumber .
    """, encoding="utf-8")
    graph = ropa.load([record])
    findings = validate(graph, as_of=AS_OF).findings
    words = PlainWords(graph, "de")
    [number] = [f for f in findings if f.check == "rs:NationalIdentificationNumber"]
    message = words(number).message
    assert "Steuerliche Identifikationsnummer (Steuer-ID)" in message and "Abgabenordnung (AO), § 139b" in message
    [authority] = [f for f in findings if f.check == "rs:RecordKeeper-authority"]
    assert "Bundesbeauftragte für den Datenschutz und die Informationsfreiheit (BfDI)" in words(authority).fix

"""Every command on a record that is not the bundled data: the French public hospital of examples/chi-belleval, whose
governing bodies control the activities the hospital records, with Art. 9, 10 and 87 data, its own prefixes and
processors outside the EEA. Findings must cite French law and the French authority; documents in every shipped
language must speak plain words in their language."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.namespace import SH
from typer.testing import CliRunner

import ropa
from ropa import national
from ropa import query as library
from ropa.cli import app
from ropa.plain import PlainWords
from ropa.register import LANGUAGES, Labels, Messages
from ropa.render import render
from ropa.validate import load_shapes, shape_files, validate

AS_OF = dt.date(2026, 11, 30)
CHB = "https://example.org/chi-belleval/"
LOC = "https://w3id.org/dpv/loc#"
runner = CliRunner()
REPOSITORY = Path(__file__).resolve().parent.parent

IRI = re.compile(r"https?://|urn:")
CURIE = re.compile(r"\b(?:dpv|pd|loc|tech|eu-gdpr|legal-[a-z]{2}|ropa|rs|ref|dst|chb|chbv|xsd|rdf|rdfs|skos):[A-Za-z]")
ISO_DURATION = re.compile(r"\bP(?:\d+[YMWD])+(?:T\d+[HMS])?\b|\bPT\d+[HMS]\b")


@pytest.fixture(scope="module")
def findings(hospital):
    return validate(hospital, as_of=AS_OF).findings


def by_check(findings, check: str):
    return [f for f in findings if f.check == check]


# --- Queries ----------------------------------------------------------------------------------------------------

def test_every_query_answers_by_its_defaults_or_asks_for_its_parameter(hospital):
    answered = {}
    for query in library.library():
        required = [p for p in query.params if p.required]
        if required:
            with pytest.raises(ropa.RopaError, match=f"needs .*: give it with --param {required[0].name}=") as asked:
                library.run(query, hospital, as_of=AS_OF)
            assert "dst:" not in str(asked.value)   # no example taken from another record
            params = {p.name: "any" if p.type == "IRI" else "registre" for p in required}
            library.run(query, hospital, params=params, as_of=AS_OF)
            continue
        answered[query.name] = len(library.run(query, hospital, as_of=AS_OF).rows)
    # the record's gaps and facts are found without telling the queries anything about it
    for name in ("activities-without-retention", "consent-activities", "national-id-and-special-category",
                 "transfers-outside-eea", "processors-of-entity", "retention-per-category", "breach-impact",
                 "open-gaps-per-entity"):
        assert answered[name] > 0, name


def test_activities_of_a_governing_body_not_of_the_record_keeper(hospital):
    def activities(controller):
        results = library.run(library.get("activities-of-controller"), hospital, params={"controller": controller})
        return {row[results.columns.index("activity")].value for row in results.rows}

    assert activities("chb:directoire") == {CHB + "recherche-clinique", CHB + "recrutement"}
    assert activities("chb:conseil-surveillance") == {CHB + "conseil-membres"}
    assert activities("chb:chi-belleval") == set()   # it keeps the record, but controls nothing itself


def test_the_record_s_own_prefixes_are_accepted(hospital):
    full = library.run(library.get("breach-impact"), hospital, params={"processor": f"<{CHB}sms-cloud>"})
    short = library.run(library.get("breach-impact"), hospital, params={"processor": "chb:sms-cloud"})
    assert short.rows == full.rows and short.rows
    with pytest.raises(ropa.RopaError, match="must be an IRI"):
        library.run(library.get("breach-impact"), ropa.load(), params={"processor": "chb:sms-cloud"})


def test_a_sub_processor_linked_the_dpv_way_receives_the_data(hospital):
    results = library.run(library.get("recipients-of-data-category"), hospital, params={"category": "pd:TelephoneNumber"})
    receivers = {row[results.columns.index("receiver")].value for row in results.rows}
    assert {CHB + "rdv-facile", CHB + "sms-cloud"} <= receivers


# --- National rules ---------------------------------------------------------------------------------------------

def test_art_87_cites_french_law_in_every_language(hospital, findings):
    [finding] = by_check(findings, "rs:NationalIdentificationNumber")
    assert "78-17" in finding.message and "1983" not in finding.message and "Belg" not in finding.message
    for lang in LANGUAGES:
        plain = PlainWords(hospital, lang)(finding)
        assert "78-17" in plain.message and "2019-341" in plain.message, lang
        assert "1983" not in plain.message and "Belg" not in plain.message, lang



def test_the_health_and_research_conditions_name_no_law_and_are_reported(hospital, findings):
    """The hospital's header lists it: Art. 9(2)(h) for the patient record and the appointments, Art. 9(2)(j) for the
    research, and no law behind either; the French words name the condition by its French label."""
    reported = {(f.focus.removeprefix(CHB), f.value.rsplit("#", 1)[-1]) for f in by_check(findings, "rs:SpecialCategoryLaw")}
    assert reported == {("dossier-patient", "A9-2-h"), ("rendez-vous", "A9-2-h"), ("recherche-clinique", "A9-2-j")}
    research = next(f for f in by_check(findings, "rs:SpecialCategoryLaw") if f.value.endswith("A9-2-j"))
    assert "Art. 89(1)" in research.message
    french = PlainWords(hospital, "fr")(research)
    assert "art. 89, par. 1" in french.article and "recherche" in french.message.lower() and "eu-gdpr" not in french.message

def test_the_authority_hint_names_the_authority_of_the_organisation_s_country(hospital, findings):
    [finding] = by_check(findings, "rs:RecordKeeper-authority")
    assert "DPA-BE" not in finding.fix
    assert "CNIL" in PlainWords(hospital, "en")(finding).fix
    assert "Commission nationale de l'informatique et des libertés" in PlainWords(hospital, "fr")(finding).fix


def test_a_country_without_rules_gets_a_neutral_message_never_another_country_s_law(tmp_path):
    record = tmp_path / "record.ttl"
    record.write_text("""
        @prefix ex: <https://example.org/wien/> . @prefix ropa: <https://w3id.org/ropa/vocab#> .
        @prefix dpv: <https://w3id.org/dpv#> . @prefix loc: <https://w3id.org/dpv/loc#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ex:office a dpv:LegalEntity ; rdfs:label "Amt Wien"@en ; dpv:hasName "Amt Wien" ; dpv:hasCountry loc:AT .
        ex:registry a dpv:Process ; rdfs:label "Registry"@en ; ropa:recordedBy ex:office ;
            ropa:role ropa:ControllerRole ; dpv:hasDataController ex:office ;
            dpv:hasPersonalData ropa:NationalIdentificationNumber .
    """, encoding="utf-8")
    graph = ropa.load([record])
    report = validate(graph, as_of=AS_OF)
    [finding] = by_check(report.findings, "rs:NationalIdentificationNumber")
    laws = [row["law"] for row in graph.select("SELECT ?law WHERE { ?r ropa:governingLaw ?law }")]
    for lang in LANGUAGES:
        message = PlainWords(graph, lang)(finding).message
        assert not any(law in message for law in laws), (lang, message)
        assert Messages(lang)("national.no_rule") in message
    assert not any(law in finding.message for law in laws)
    [authority] = by_check(report.findings, "rs:RecordKeeper-authority")
    assert "Datenschutzbehörde" in PlainWords(graph, "nl")(authority).fix


def test_every_eea_state_has_its_supervisory_authority_in_three_languages(hospital):
    states = [row["c"] for row in hospital.select(
        "SELECT ?c WHERE { ?c ropa:eeaMember true FILTER NOT EXISTS { ?c a dpv:SupraNationalUnion } }")]
    assert len(states) == 30
    labels = {lang: Labels(hospital, lang) for lang in LANGUAGES}
    for state in states:
        authority = national.authority_for(hospital, state)
        assert authority and authority.endswith("#DPA-" + state.rsplit("#", 1)[1]), state
        assert len({labels[lang][authority] for lang in LANGUAGES}) >= 2, authority   # translated, not only English


@pytest.mark.parametrize("code", ["BE", "NL", "DK", "DE", "FR", "LU", "IE"])
def test_national_identification_rules_with_law_and_source(hospital, code):
    rules = {lang: national.identification_rules(hospital, LOC + code, lang) for lang in LANGUAGES}
    assert rules["en"], code
    for lang, found in rules.items():
        assert all(rule.law and rule.summary for rule in found)
        assert len({rule.law for rule in found}) == len(found)
    assert {r.law for r in rules["nl"]} != {r.law for r in rules["en"]} or code == "DE"
    sources = hospital.select(f"""SELECT ?url WHERE {{ ?rule dpv:hasJurisdiction loc:{code} ;
        a ropa:NationalIdentificationRule ; ropa:source/ropa:url ?url }}""")
    assert sources and all(row["url"].startswith("https://") for row in sources)


# --- Plain words ------------------------------------------------------------------------------------------------

def reporting_shapes() -> list[str]:
    """The local names of the shapes that report findings (they or their constraints carry a message)."""
    shapes = load_shapes(shape_files())
    names = set()
    for shape in set(shapes.subjects(SH.message, None)) | set(shapes.subjects(SH.sparql, None)):
        if isinstance(shape, rdflib.URIRef):
            names.add(str(shape).rsplit("#", 1)[1])
    return sorted(names)


def test_every_shape_has_its_plain_words_in_every_language():
    shapes = reporting_shapes()
    assert len(shapes) >= 30
    for lang in LANGUAGES:
        catalogue = Messages.catalogue(lang)
        for shape in shapes:
            for part in ("field", "message", "fix"):
                text = catalogue.get(f"check.{shape}.{part}")
                assert text, (lang, shape, part)
                assert not IRI.search(text) and not CURIE.search(text) and not ISO_DURATION.search(text), (lang, shape, part)


def test_validate_speaks_the_language_asked_for(hospital_path):
    result = runner.invoke(app, ["validate", str(hospital_path), "--as-of", AS_OF.isoformat(), "--lang", "fr"])
    assert result.exit_code in (0, 1), result.output   # 1: the example's addresses use the reserved .example domain
    assert "Gravité" in result.output and "Avertissement" in result.output and "CNIL" in result.output
    assert not CURIE.search(result.output) and "Fix:" not in result.output
    summary = result.output.strip().splitlines()[-1]
    assert summary.startswith("Infractions : ") and "violation" not in summary and "as of" not in summary
    engineers = runner.invoke(app, ["validate", str(hospital_path), "--as-of", AS_OF.isoformat(), "--format", "json"])
    assert "dpv:hasAuthority" in engineers.output   # JSON keeps the engineering words


# --- Documents --------------------------------------------------------------------------------------------------

class TextNodes(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "svg"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script", "svg"):
            self.skip -= 1

    def handle_data(self, data):
        if data.strip() and not self.skip:
            self.texts.append(" ".join(data.split()))


def document_texts(folder: Path) -> list[str]:
    """Every text a person reads: HTML text nodes, Markdown cells and lines (without link targets), workbook cells."""
    texts = []
    for path in sorted((folder / "html").glob("*.html")):
        parser = TextNodes()
        parser.feed(path.read_text(encoding="utf-8"))
        texts += parser.texts
    for path in sorted((folder / "md").glob("*.md")):
        text = re.sub(r"\]\([^)]*\)", "]", path.read_text(encoding="utf-8"))
        for line in text.splitlines():
            texts += [html.unescape(re.sub(r"\\(.)", r"\1", cell)).strip(" :·—*") for cell in re.split(r"\s*\|\s*", line)]
    workbook = openpyxl.load_workbook(folder / "xlsx" / "register.xlsx")
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            texts += [str(cell.value) for cell in row if cell.value is not None and not str(cell.value).startswith("finding-")]
    return [t for t in texts if t]


@pytest.fixture(scope="module")
def documents(hospital, findings, tmp_path_factory) -> dict[str, Path]:
    out = {}
    for lang in LANGUAGES:
        folder = tmp_path_factory.mktemp(f"hospital-{lang}")
        render(hospital, folder, formats=("html", "md", "xlsx"), lang=lang, findings=findings, as_of=AS_OF)
        out[lang] = folder
    return out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_documents_show_no_iri_curie_or_iso_duration(documents, lang):
    for text in document_texts(documents[lang]):
        assert not IRI.search(text), text
        assert not CURIE.search(text), text
        assert not ISO_DURATION.search(text), text


def english_patterns(lang: str) -> list[re.Pattern]:
    """The English fixed phrases of the catalogue that the language says otherwise ({x} matches anything)."""
    english, other = Messages.catalogue("en"), Messages.catalogue(lang)
    patterns = []
    for key, phrase in english.items():
        parts = re.split(r"\{\w+\}", phrase)
        if key.startswith("grammar.") or phrase == other.get(key) or len(re.findall(r"[A-Za-z]", "".join(parts))) < 6:
            continue
        patterns.append(re.compile("^" + ".+".join(re.escape(p) for p in parts) + "$"))
    return patterns


def used_concepts(graph) -> set[str]:
    rows = graph.select("""SELECT DISTINCT ?c WHERE {
        ?a ropa:recordedBy ?e . ?a dpv:hasPurpose|dpv:hasPersonalData|dpv:hasDataSubject|dpv:hasLegalBasis|dpv:hasDataSource ?c
        FILTER(STRSTARTS(STR(?c), "https://w3id.org/dpv")) }""")
    rows += graph.select("""SELECT DISTINCT ?c WHERE { ?e dpv:hasTechnicalOrganisationalMeasure|dpv:hasCountry|dpv:hasRight ?c }""")
    return {row["c"] for row in rows}


@pytest.mark.parametrize("lang", ["nl", "fr"])   # the languages the record names its own things in (German: test_german)
def test_dutch_and_french_documents_have_no_english_fixed_phrase_or_label(hospital, documents, lang):
    texts = document_texts(documents[lang])
    patterns = english_patterns(lang)
    assert len(patterns) > 150
    assert [t for t in texts if any(p.match(t) for p in patterns)] == []
    english, other = Labels(hospital, "en"), Labels(hospital, lang)
    concepts = used_concepts(hospital)
    assert len(concepts) > 30
    translated = {row["c"] for row in hospital.select(
        f"SELECT DISTINCT ?c WHERE {{ ?c skos:prefLabel|rdfs:label ?l FILTER(LANG(?l) = '{lang}') }}")}
    assert concepts - translated == set()
    shown = set(texts)
    assert not {english[c] for c in concepts if english[c] != other[c]} & shown
    assert [t for t in document_texts(documents["en"]) if any(p.match(t) for p in patterns)], "the check must see English"


def test_french_register_cites_french_law_and_the_cnil(documents):
    page = " ".join(document_texts(documents["fr"]))
    assert "Loi n° 78-17" in page and "CNIL" in page
    assert "1983" not in page and "Autorité de protection des données (APD)" not in page


# --- The other commands -----------------------------------------------------------------------------------------

def test_flows_reach_france_through_the_governing_bodies(hospital_path):
    result = runner.invoke(app, ["flows", str(hospital_path), "--to-country", "FR", "--as-of", AS_OF.isoformat(),
                                 "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "Executive board of Belleval hospital" in result.output and "Armor Santé Hébergement" in result.output
    outside = runner.invoke(app, ["flows", str(hospital_path), "--outside-eea", "--as-of", AS_OF.isoformat(), "--format", "json"])
    places = {flow["path"][-1]["label"] for flow in json.loads(outside.output)["flows"]}
    assert {"United States", "India"} <= places


def test_impact_of_a_sub_processor_names_its_activity_controller_and_keeper(hospital_path):
    result = runner.invoke(app, ["impact", "chb:sms-cloud", str(hospital_path), "--as-of", AS_OF.isoformat(),
                                 "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "1 activity of 1 controller" in result.output
    [row] = [line for line in result.output.splitlines() if line.startswith("| Online appointments")]
    assert "| Belleval Intermunicipal Hospital |" in row and "Director general of Belleval hospital" in row
    assert not IRI.search(result.output)


def test_vendors_count_the_sub_processor(hospital_path):
    result = runner.invoke(app, ["vendors", str(hospital_path), "--as-of", AS_OF.isoformat(), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "SMS Cloud Inc." in result.output


@pytest.mark.parametrize("who, title", [("chb:directoire", "Executive board of Belleval hospital"),
                                        ("chb:chi-belleval", "Belleval Intermunicipal Hospital")])
def test_diagram_of_a_body_or_the_organisation_is_titled_by_its_name(hospital_path, who, title):
    result = runner.invoke(app, ["diagram", str(hospital_path), "--controller", who, "--format", "mermaid"])
    assert result.exit_code == 0, result.output
    assert f"title: 'Data flows of {title}'" in result.output
    assert not IRI.search(result.output)


def test_info_export_and_diff_run_on_the_example(hospital_path, tmp_path):
    assert runner.invoke(app, ["info", str(hospital_path)]).exit_code == 0
    exported = tmp_path / "all.ttl"
    assert runner.invoke(app, ["export", str(hospital_path), "-o", str(exported)]).exit_code == 0
    assert "chi-belleval" in exported.read_text(encoding="utf-8")
    changed = tmp_path / "record.ttl"
    changed.write_text((hospital_path / "record.ttl").read_text(encoding="utf-8").replace('"P30D"', '"P60D"'), encoding="utf-8")
    result = runner.invoke(app, ["diff", str(hospital_path / "record.ttl"), str(changed)])
    assert result.exit_code in (0, 1), result.output
    assert "Thirty days" in result.output and "30 days" in result.output and "60 days" in result.output
    assert not ISO_DURATION.search(result.output)


# --- Grammar of generated phrases ----------------------------------------------------------------------------------

def test_phrases_take_the_article_of_the_label_in_each_language(bundled):
    dispute, eea = "https://w3id.org/ropa/vocab#DisputeSettled", "https://w3id.org/dpv/loc#EEA"
    nl, fr, en = (Messages(lang) for lang in ("nl", "fr", "en"))
    assert nl("retention.until_event", event=Labels(bundled, "nl").definite(dispute)) == \
        "Tot de definitieve beslechting van het geschil"
    assert fr("retention.until_event", event=Labels(bundled, "fr").definite(dispute)) == \
        "Jusqu'au règlement définitif du litige"   # à + le contracts
    assert en("transfer.outside_region", region=Labels(bundled, "en").definite(eea, en("grammar.article"))) == \
        "A country outside the European Economic Area (EEA) (not named)"
    # a label without its own article: English adds one, but never a second
    labels = Labels(bundled, "en")
    labels.cache["urn:x:one"], labels.cache["urn:x:two"] = "The last order", "last order"
    assert labels.definite("urn:x:one", "the") == "The last order"
    assert labels.definite("urn:x:two", "the") == "the last order"


@pytest.mark.parametrize("lang, wrong", [("en", r"\bthe the\b"), ("nl", r"\b(?:de het|het de|het het|de de)\b"),
                                         ("fr", r"\b(?:à le|à les|de le|de les)\b")])
def test_documents_have_no_doubled_or_uncontracted_article(documents, lang, wrong):
    assert [t for t in document_texts(documents[lang]) if re.search(wrong, t, flags=re.IGNORECASE)] == []


def test_the_index_names_each_activity_s_controller_under_one_organisation_s_title(documents):
    index = (documents["en"] / "md" / "index.md").read_text(encoding="utf-8")
    assert index.startswith("# Overview of the record") and "Group overview" not in index
    [row] = [line for line in index.splitlines() if "[Staff recruitment]" in line]
    assert row.rstrip().endswith("| Executive board of Belleval hospital |")


def test_the_processor_list_of_a_controller_leaves_out_what_does_not_apply(documents):
    overview = (documents["en"] / "md" / "processors-chi-belleval.md").read_text(encoding="utf-8")
    assert "Date of the source statement" not in overview and "Controller's authorisation" not in overview
    assert "SMS Cloud Inc. | Sub-processor" in overview


def test_organisation_wide_measures_are_shown_once(documents):
    register = (documents["en"] / "md" / "controller-chi-belleval.md").read_text(encoding="utf-8")
    assert register.count("Multi-Factor Authentication") == 1
    assert register.count("(#organisation)") == 6   # each of the six activities points to them


def test_annotations_point_at_the_file_that_describes_the_node(tmp_path):
    from ropa.validation_output import locate
    prefixes = """@prefix ex: <https://example.org/acme/> . @prefix ropa: <https://w3id.org/ropa/vocab#> .
        @prefix dpv: <https://w3id.org/dpv#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix loc: <https://w3id.org/dpv/loc#> ."""
    facts = 'ex:acme dpv:hasCountry loc:NL ; ropa:email "privacy@acme.example" ; dpv:hasAddress "Straat 1, Utrecht" .'
    (tmp_path / "public-facts.ttl").write_text(prefixes + "\n" + facts + "\n", encoding="utf-8")
    (tmp_path / "acme.ttl").write_text(prefixes + """
        ex:acme a dpv:LegalEntity ; rdfs:label "Acme"@en ; dpv:hasName "Acme" .
        ex:payroll a dpv:Process ; rdfs:label "Payroll"@en ; ropa:recordedBy ex:acme ; ropa:role ropa:ControllerRole .
        """, encoding="utf-8")
    graph = ropa.load([tmp_path])
    report = validate(graph, as_of=AS_OF)
    [authority] = by_check(report.findings, "rs:RecordKeeper-authority")
    assert locate(graph, report.findings)[authority.focus][0].endswith("acme.ttl")
    assert "(AP)" in PlainWords(graph, "en")(authority).fix and "Netherlands" in PlainWords(graph, "en")(authority).fix

def test_plain_findings_cite_sources_by_their_title(bundled):
    report = validate(bundled, as_of=AS_OF)
    quoted = [f for f in report.findings if f.source is not None]
    assert quoted and all(f.source.file.endswith(".txt") for f in quoted)   # engineers get the file
    for finding in PlainWords(bundled, "nl").all(quoted):
        assert not finding.source.file.endswith(".txt"), finding.source.file


def test_template_columns_read_the_graph(tmp_path):
    from ropa.register import build_record
    record = tmp_path / "record.ttl"
    record.write_text("""
        @prefix ex: <https://example.org/shop/> . @prefix ropa: <https://w3id.org/ropa/vocab#> .
        @prefix dpv: <https://w3id.org/dpv#> . @prefix eu-gdpr: <https://w3id.org/dpv/legal/eu/gdpr#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ex:shop a dpv:LegalEntity ; rdfs:label "Shop"@en ; dpv:hasName "Shop" ;
            dpv:hasTechnicalOrganisationalMeasure dpv:DataBreachRecord .
        ex:scoring a dpv:Process ; rdfs:label "Credit scoring"@en ; ropa:recordedBy ex:shop ;
            ropa:role ropa:ControllerRole ; dpv:hasDataController ex:shop ;
            dpv:hasLegalBasis eu-gdpr:A6-1-f ; dpv:hasProcessing dpv:Profiling ;
            dpv:hasImpactAssessment ex:balancing , ex:dpia .
        ex:balancing a dpv:LegitimateInterestAssessment ; rdfs:label "Balancing test of the scoring"@en .
        ex:dpia a dpv:DPIA ; rdfs:label "DPIA of the scoring"@en .
    """, encoding="utf-8")
    graph = ropa.load([record])
    [register] = build_record(graph, lang="en", as_of=AS_OF).controller_registers
    [entry] = register.entries
    shown = {key: entry.fields[key].plain for key in ("dpia", "lia", "legitimate_interests", "consent_record",
                                                         "automated", "breach", "processing_operations")}
    assert shown["dpia"] == "DPIA of the scoring"                      # not the balancing test
    assert shown["lia"] == "Balancing test of the scoring"
    assert "Art. 6(1)(f)" in shown["legitimate_interests"]
    assert shown["consent_record"] == "Not applicable"                 # no consent basis
    assert "Profiling" in shown["automated"] and "Profiling" in shown["processing_operations"]
    assert shown["breach"] == "Data Breach Record"                     # stated for the whole organisation


def test_notice_of_a_sub_processor_linked_the_dpv_way_goes_to_the_controller(hospital_path, tmp_path):
    new = tmp_path / "record.ttl"
    new.write_text((hospital_path / "record.ttl").read_text(encoding="utf-8").replace(
        "    dpv:hasDataProcessor chb:sms-cloud .",
        "    dpv:hasDataProcessor chb:sms-cloud , chb:mail-relay .\n"
        'chb:mail-relay a ropa:ServiceProvider , dpv:DataProcessor ; rdfs:label "Mail Relay GmbH"@en ; '
        "ropa:dataLocation loc:DE ."), encoding="utf-8")
    changes = runner.invoke(app, ["diff", str(hospital_path / "record.ttl"), str(new), "--format", "json"])
    assert '"sub-processor"' in changes.output and "Mail Relay GmbH" in changes.output
    result = runner.invoke(app, ["notice", str(hospital_path / "record.ttl"), str(new), "--processor", "chb:rdv-facile",
                                 "--effective", "2027-01-01", "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "To: Director general of Belleval hospital" in result.output
    assert "Online appointments and text-message reminders" in result.output


# --- Every example record ---------------------------------------------------------------------------------------

EXAMPLE_LANGUAGES = {"chi-belleval": "fr", "school-nl": "nl", "wolkenwerk": "de", "awv-muehlviertel": "de",
                     "boutique-lu": "fr", "loonhuis-schelde": "nl", "classe-ouverte": "fr", "talentbridge-ie": "en"}
"""Each example of examples/ and the language its documents are checked in (a new example is added here)."""


def _example_graph(name: str, tmp_path: Path):
    folder = REPOSITORY / "examples" / name
    books = sorted(folder.glob("*.xlsx"))
    if books:
        result = runner.invoke(app, ["import", str(books[0]), "-o", str(tmp_path / "imported")])
        assert result.exit_code == 0, result.output
        return ropa.load([tmp_path / "imported"])
    return ropa.load([folder])


def test_every_example_is_listed():
    assert {p.name for p in (REPOSITORY / "examples").iterdir() if p.is_dir()} == set(EXAMPLE_LANGUAGES)


@pytest.mark.parametrize("name", sorted(EXAMPLE_LANGUAGES))
def test_every_example_loads_validates_and_speaks_its_language(name, tmp_path):
    """Each example imports or loads, validates with findings that name an article, and renders its register in its
    language without an IRI, a prefixed name or an ISO duration for a person to read."""
    graph = _example_graph(name, tmp_path)
    findings = validate(graph, as_of=AS_OF).findings
    assert findings and all(f.article for f in findings)
    lang = EXAMPLE_LANGUAGES[name]
    out = tmp_path / "out"
    render(graph, out, formats=["md"], lang=lang, findings=findings)
    for page in (out / "md").glob("*.md"):
        text = re.sub(r"```mermaid.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
        text = re.sub(r"\]\([^)]*\)", "]", text)   # link targets are for the browser
        assert not CURIE.search(text), (page.name, CURIE.search(text).group(0))
        assert not ISO_DURATION.search(text), (page.name, ISO_DURATION.search(text).group(0))


def test_the_examples_of_another_member_state_cite_its_authority_and_law(tmp_path):
    """The Austrian association's findings and the Luxembourg shop's record name their own country's authority, and
    the public body is told it must designate a DPO (Art. 37(1)(a))."""
    austrian = _example_graph("awv-muehlviertel", tmp_path / "at")
    checks = {f.check: f for f in validate(austrian, as_of=AS_OF).findings}
    assert checks["rs:PublicAuthority-dpo"].severity == "violation" and "rs:RecordKeeper-dpo" not in checks
    assert "rs:PublicAuthorityLegitimateInterests" in checks
    shop = _example_graph("boutique-lu", tmp_path / "lu")
    authorities = shop.select("SELECT DISTINCT ?a WHERE { [] ropa:recordedBy ?o . ?o dpv:hasAuthority ?a }")
    assert [str(row["a"]).strip("<>") for row in authorities] == ["https://w3id.org/dpv/legal/lu#DPA-LU"]
    customers = shop.select("SELECT ?p WHERE { ?p dpv:hasDataSubject dpv:Customer }")
    assert len(customers) == 3
    cctv = {f.check for f in validate(shop, as_of=AS_OF).findings if f.activity_label == "Vidéosurveillance de l'entrepôt"}
    assert {"rs:ImpactAssessment", "rs:LegitimateInterestAssessment"} <= cctv   # the context column names the monitoring


# --- The e-learning company (examples/classe-ouverte) ------------------------------------------------------------

def test_the_elearning_companys_turtle_is_its_workbook_imported(tmp_path):
    """classe-ouverte.ttl is what ropa import makes of classe-ouverte.xlsx (build_workbook.py writes both)."""
    folder = REPOSITORY / "examples" / "classe-ouverte"
    result = runner.invoke(app, ["import", str(folder / "classe-ouverte.xlsx"), "-o", str(tmp_path / "imported")])
    assert result.exit_code == 0, result.output
    imported = rdflib.Graph().parse(tmp_path / "imported" / "classe-ouverte.ttl")
    committed = rdflib.Graph().parse(folder / "classe-ouverte.ttl")
    assert isomorphic(imported, committed)


def test_the_elearning_company_has_the_gaps_its_readme_lists_under_french_and_irish_authorities():
    graph = ropa.load([REPOSITORY / "examples" / "classe-ouverte"])
    base = "https://classe-ouverte-sas.example/record/"
    findings = validate(graph, as_of=AS_OF).findings
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.check] = counts.get(finding.check, 0) + 1
    readme = (REPOSITORY / "examples" / "classe-ouverte" / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `(rs:[\w-]+)`(?: \((\d+)\))? \|", readme, flags=re.MULTILINE))
    assert counts == {check: int(n or 1) for check, n in listed.items()}
    analytics = {f.check for f in findings if f.focus == base + "analyse-de-la-progression-et-recommandations-personnalisees"}
    assert {"rs:ChildConsent", "rs:ImpactAssessment", "rs:ConsentWithdrawal"} <= analytics
    authorities = {row["o"].strip("<>"): row["a"].strip("<>") for row in graph.select(
        "SELECT DISTINCT ?o ?a WHERE { [] ropa:recordedBy ?o . ?o dpv:hasAuthority ?a }")}
    assert authorities == {base + "organisation": "https://w3id.org/dpv/legal/fr#DPA-FR",
                           base + "classe-ouverte-ireland": "https://w3id.org/dpv/legal/ie#DPA-IE"}
    children = library.run(library.get("vulnerable-data-subjects"), graph, lang="fr", as_of=AS_OF)
    ages = {row[children.columns.index("activityLabel")].value: row[children.columns.index("ageOfConsent")]
            for row in children.rows if row[children.columns.index("child")].value == "yes"}
    assert {int(age.value) for age in ages.values()} == {15}
    assert "Analyse de la progression et recommandations personnalisées" in ages


def test_the_elearning_company_loses_its_video_provider_basis_if_the_dpf_falls():
    result = runner.invoke(app, ["flows", str(REPOSITORY / "examples" / "classe-ouverte"), "--assume-invalid", "DPF",
                                 "--from", "2026-12-01", "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    answer = json.loads(result.output)
    text = json.dumps(answer, ensure_ascii=False)
    assert "Classes virtuelles" in text and "VisioMeet Inc." in text



def test_the_schools_named_by_acts_on_behalf_of_are_the_controllers_to_inform_if_the_dpf_falls():
    """A processor's record names its customers with ropa:actsOnBehalfOf: the what-if (command and question) lists
    them as the controllers of the service and as those to inform under Art. 28(2)."""
    folder = REPOSITORY / "examples" / "classe-ouverte"
    result = runner.invoke(app, ["flows", str(folder), "--assume-invalid", "DPF", "--from", "2026-12-01",
                                 "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    answer = json.loads(result.output)
    notified = {c["label"] for entry in answer["notify"] for c in entry["controllers"]}
    assert notified == {"Collège Jean Moulin"}
    graph = ropa.load([folder])
    whatif = library.run(library.get("instrument-what-if"), graph,
                         params={"instrument": "ropa:Adequacy-EU-US-DPF"}, lang="fr", as_of=dt.date(2026, 12, 1))
    rows = [dict(zip(whatif.columns, row)) for row in whatif.rows]
    platform = [r for r in rows if "Plateforme pour les établissements scolaires" in r["activitiesLabel"].value]
    assert platform and all(r["notify"].value == "Collège Jean Moulin" for r in platform)


def test_the_elearning_companys_french_workbook_names_customers_in_french(tmp_path):
    """"Client" in French is dpv:Customer (in English dpv:Client): the export writes the French label, not a prefixed
    name, and the import reads it back as the customer."""
    book = tmp_path / "classe-ouverte.xlsx"
    result = runner.invoke(app, ["export", str(REPOSITORY / "examples" / "classe-ouverte"), "--format", "xlsx",
                                 "--lang", "fr", "-o", str(book)])
    assert result.exit_code == 0, result.output
    cells = [str(c.value) for ws in openpyxl.load_workbook(book).worksheets for row in ws.iter_rows() for c in row
             if c.value is not None]
    assert not [c for c in cells if re.search(r"\bdpv:Customer\b", c)]
    assert any("Client" in c.split("\n") for c in cells)
    result = runner.invoke(app, ["import", str(book), "-o", str(tmp_path / "imported")])
    assert result.exit_code == 0, result.output
    imported = rdflib.Graph().parse(tmp_path / "imported" / "classe-ouverte.ttl")
    customers = set(imported.subjects(rdflib.URIRef("https://w3id.org/dpv#hasDataSubject"),
                                          rdflib.URIRef("https://w3id.org/dpv#Customer")))
    assert len(customers) >= 2


def test_the_support_desk_based_in_india_imports_the_transfer_to_india_it_reaches_the_data_from():
    """A row's transfer to a country where no provider of the row keeps the data goes to the provider based there:
    the support desk keeps the data in France and reaches them from India (remote access, Art. 44)."""
    graph = ropa.load([REPOSITORY / "examples" / "classe-ouverte"])
    rows = graph.select("""SELECT DISTINCT ?importer WHERE {
        ?transfer dpv:hasThirdCountry <https://w3id.org/dpv/loc#IN> ; dpv:hasDataImporter ?importer }""")
    assert {row["importer"] for row in rows} == {"https://classe-ouverte-sas.example/record/helpdesk-bangalore-pvt-ltd"}

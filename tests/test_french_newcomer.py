"""What a French-speaking officer of a new kind of organisation (an e-learning company in France with children among
its users, a subsidiary in Ireland, providers in the United States and India) met when starting a record: the
citations and the Art. 27 field of the registers, the age of a child's consent (Art. 8(1)), transfers per mechanism
with clauses named in general terms, the starter files, the vocabulary in French and the language of the browser.
Each test builds its record here."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from typer.testing import CliRunner

import ropa
from ropa import query as library
from ropa import register, web
from ropa.cli import app
from ropa.plain import PlainWords
from ropa.render import render
from ropa.commands.terms import term_rows
from ropa.terms import vocabulary
from ropa.validate import validate

from records import prefixes

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

AS_OF = dt.date(2026, 11, 30)
BASE = "https://example.org/apprendre/"

RECORD = prefixes(BASE) + """
my:apprendre a dpv:Organisation , dpv:LegalEntity , dpv:DataController ;
    rdfs:label "Apprendre Ensemble SAS"@fr ; dpv:hasName "Apprendre Ensemble SAS" ;
    dpv:hasCountry loc:FR ; ropa:email "vie-privee@apprendre-ensemble.fr" .

my:irlande a dpv:Organisation , dpv:LegalEntity , dpv:DataController ;
    rdfs:label "Apprendre Ensemble Ireland Ltd"@en ; dpv:hasName "Apprendre Ensemble Ireland Ltd" ;
    dpv:hasCountry loc:IE ; ropa:email "privacy@apprendre-ensemble.ie" .

my:outremer a dpv:Organisation , dpv:LegalEntity , dpv:DataController ;
    rdfs:label "Learning Together Inc."@en ; dpv:hasName "Learning Together Inc." ;
    dpv:hasCountry loc:US ; ropa:email "privacy@learning-together.example.com" .

my:progression a dpv:Process ;
    rdfs:label "Suivi de la progression des élèves"@fr ;
    ropa:recordedBy my:apprendre ; ropa:role ropa:ControllerRole ; dpv:hasDataController my:apprendre ;
    dpv:hasPurpose dpv:ServicePersonalisation ;
    dpv:hasLegalBasis eu-gdpr:A6-1-a ;
    dpv:hasDataSubject dpv:Child ;
    dpv:hasPersonalData pd:Age ;
    ropa:hasTransfer my:vers-les-etats-unis .

my:vers-les-etats-unis a dpv:CrossBorderTransfer ;
    rdfs:label "Vers les États-Unis"@fr ;
    dpv:hasDataExporter my:apprendre ;
    dpv:hasThirdCountry loc:US ;
    dpv:hasLegalBasis eu-gdpr:StandardContractualClauses .

my:support a dpv:Process ;
    rdfs:label "Assistance"@fr ;
    ropa:recordedBy my:apprendre ; ropa:role ropa:ControllerRole ; dpv:hasDataController my:apprendre ;
    dpv:hasPurpose dpv:CustomerCare ; dpv:hasLegalBasis eu-gdpr:A6-1-b ;
    dpv:hasDataSubject dpv:Customer ; dpv:hasPersonalData pd:Name ;
    ropa:hasTransfer my:vers-l-inde .

my:vers-l-inde a dpv:CrossBorderTransfer ;
    rdfs:label "Vers l'Inde"@fr ;
    dpv:hasDataExporter my:apprendre ;
    dpv:hasThirdCountry loc:IN ;
    dpv:hasLegalBasis eu-gdpr:DataTransferTool .

my:cours-irlande a dpv:Process ;
    rdfs:label "Online classes for Irish schools"@en ;
    ropa:recordedBy my:irlande ; ropa:role ropa:ControllerRole ; dpv:hasDataController my:irlande ;
    dpv:hasPurpose dpv:ServiceProvision ; dpv:hasLegalBasis eu-gdpr:A6-1-a ;
    dpv:hasDataSubject dpv:Child ; dpv:hasPersonalData pd:Name .

my:cours-parents a dpv:Process ;
    rdfs:label "Cours du soir avec l'accord des parents"@fr ;
    ropa:recordedBy my:apprendre ; ropa:role ropa:ControllerRole ; dpv:hasDataController my:apprendre ;
    dpv:hasPurpose dpv:ServiceProvision , dpv:AgeVerification ; dpv:hasLegalBasis eu-gdpr:A6-1-a ;
    dpv:hasDataSubject dpv:Child , dpv:ParentOfDataSubject ; dpv:hasPersonalData pd:Name , pd:Age .

my:cours-us a dpv:Process ;
    rdfs:label "Online classes in the United States"@en ;
    ropa:recordedBy my:outremer ; ropa:role ropa:ControllerRole ; dpv:hasDataController my:outremer ;
    dpv:hasPurpose dpv:ServiceProvision ; dpv:hasLegalBasis eu-gdpr:A6-1-a ;
    dpv:hasDataSubject dpv:Child ; dpv:hasPersonalData pd:Name .
"""


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    folder = tmp_path_factory.mktemp("apprendre")
    (folder / "record.ttl").write_text(RECORD, encoding="utf-8")
    return ropa.load([folder])


@pytest.fixture(scope="module")
def french(record):
    return register.build_record(record, lang="fr", findings=validate(record, as_of=AS_OF).findings, as_of=AS_OF)


def _register(built, iri):
    return next(r for r in built.controller_registers if r.organisation.iri == iri)


def _entry(built, iri):
    return next(e for r in built.controller_registers for e in r.entries if e.iri == iri)


# --- Registers ----------------------------------------------------------------------------------------------------

def test_a_french_register_cites_the_article_of_a_legal_basis_and_a_transfer_tool_as_french_does(french):
    consent = _entry(french, BASE + "progression").fields["legal_basis"].values[0]
    assert consent.detail == "art. 6, par. 1, point a)"
    transfer = _entry(french, BASE + "progression").fields["transfers"].values[0]
    assert "Art. 46(" not in transfer.detail and "Art. 6(" not in transfer.detail


def test_french_diagram_titles_need_no_elision(record, tmp_path):
    """"Flux de données de Assistance" is not French; a colon suits every name, vowel or not."""
    render(record, tmp_path, formats=["md"], lang="fr", findings=validate(record, as_of=AS_OF).findings, as_of=AS_OF)
    text = "".join(page.read_text(encoding="utf-8") for page in (tmp_path / "md").glob("*.md"))
    assert "title: 'Flux de données : Assistance'" in text
    assert "Flux de données de Assistance" not in text


def test_an_organisation_established_in_the_eea_needs_no_representative_one_outside_does(french):
    for organisation in (BASE + "apprendre", BASE + "irlande"):
        values = _register(french, organisation).organisation.fields["representative"].values
        assert [v.text for v in values] == [register.Messages("fr")("value.no_representative_needed")]
        assert "art. 27" in values[0].text
    assert _register(french, BASE + "outremer").organisation.fields["representative"].values == []


def test_a_childs_consent_needs_the_parents_and_an_age_check_on_record(record):
    findings = [f for f in validate(record, as_of=AS_OF).findings if f.check == "rs:ChildConsent"]
    assert {f.focus for f in findings} == {BASE + "progression", BASE + "cours-irlande", BASE + "cours-us"}
    assert all(f.severity == "warning" and f.article == "Art. 8(1)" for f in findings)
    assert {f.value for f in findings} == {"https://w3id.org/dpv#Child"}
    # the support desk rests on a contract; the evening classes name the parents and check ages


def test_each_provider_that_contradicts_no_transfer_outside_the_eea_is_named(tmp_path):
    """Two US providers and a statement that no data leave the EEA: two findings, each saying which provider."""
    (tmp_path / "record.ttl").write_text(prefixes(BASE) + """
my:apprendre a dpv:Organisation , dpv:LegalEntity , dpv:DataController ;
    rdfs:label "Apprendre Ensemble SAS"@fr ; dpv:hasCountry loc:FR ; ropa:statesNoTransferOutside loc:EEA .
my:visio a dpv:DataProcessor , ropa:ServiceProvider ; rdfs:label "VisioMeet Inc."@en ; ropa:dataLocation loc:US .
my:stats a dpv:DataProcessor , ropa:ServiceProvider ; rdfs:label "StatsWise Inc."@en ; ropa:dataLocation loc:US .
my:cours a dpv:Process ; rdfs:label "Classes virtuelles"@fr ; ropa:recordedBy my:apprendre ;
    ropa:role ropa:ControllerRole ; dpv:hasDataController my:apprendre ; dpv:hasDataProcessor my:visio , my:stats .
""", encoding="utf-8")
    graph = ropa.load([tmp_path])
    findings = [f for f in validate(graph, as_of=AS_OF).findings if f.check == "rs:NoTransferContradiction"]
    messages = sorted(PlainWords(graph, "fr")(f).message for f in findings)
    assert len(messages) == 2
    assert "son prestataire StatsWise Inc. les conserve" in messages[0]
    assert "son prestataire VisioMeet Inc. les conserve" in messages[1]


# --- Questions ----------------------------------------------------------------------------------------------------

def test_each_transfer_is_listed_under_one_mechanism_even_with_clauses_named_in_general_terms(record):
    results = library.run(library.get("transfers-per-mechanism"), record, as_of=AS_OF)
    rows = [dict(zip(results.columns, row)) for row in results.rows]
    kinds = {}
    for row in rows:
        kinds.setdefault(row["transfer"].value, []).append(row["mechanism"].value)
    ropa_ns = "https://w3id.org/ropa/vocab#"
    assert kinds[BASE + "vers-les-etats-unis"] == [ropa_ns + "MechanismSCC"]
    assert kinds[BASE + "vers-l-inde"] == [ropa_ns + "MechanismOtherSafeguard"]   # a tool of no known kind


def test_children_come_with_the_age_of_consent_their_organisations_member_state_sets(record):
    results = library.run(library.get("vulnerable-data-subjects"), record, lang="fr", as_of=AS_OF)
    rows = {row[results.columns.index("activity")].value: dict(zip(results.columns, row)) for row in results.rows}
    france = rows[BASE + "progression"]
    assert int(france["ageOfConsent"].value) == 15
    assert "Loi n° 78-17" in france["ageOfConsentLaw"].value and "art. 45" in france["ageOfConsentLaw"].value
    assert int(rows[BASE + "cours-irlande"]["ageOfConsent"].value) == 16
    assert rows[BASE + "cours-us"]["ageOfConsent"] is None   # no member state: no age, never another state's
    table = results.render("md", lang="fr")
    assert "Âge du consentement de l'enfant seul" in table and "| 15 |" in table


def test_the_library_in_french_names_parameter_types_and_durations_in_words():
    from ropa.commands.query import library_table
    table = library_table([library.get("retention-longer-than")], register.Messages("fr"))
    params = str(table.columns[3]._cells[0])
    assert "period (durée, par défaut 5 ans)" in params and "lang (langue, par défaut en)" in params
    assert "P5Y" not in params and "duration" not in params
    english = str(library_table([library.get("retention-longer-than")]).columns[3]._cells[0])
    assert "period (duration, default P5Y)" in english   # engineers read it beside the SPARQL
    result = CliRunner().invoke(app, ["query", "retention-longer-than", "--param", "period=5 ans", "--format", "json"])
    assert result.exit_code == 0, result.output   # what the list says, the command takes


# --- Starting out -------------------------------------------------------------------------------------------------

def test_a_french_starter_record_declares_the_french_authority_and_no_other_countrys(tmp_path):
    result = CliRunner().invoke(app, ["init", str(tmp_path / "registre"), "--org", "Apprendre Ensemble SAS",
                                      "--country", "FR", "--lang", "fr"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "registre" / "organisation.ttl").read_text(encoding="utf-8")
    assert "@prefix legal-fr:" in text and "dpv:hasAuthority legal-fr:DPA-FR" in text
    for other in ("legal-be:", "legal-nl:", "legal-dk:"):
        assert other not in text
    assert CliRunner().invoke(app, ["validate", str(tmp_path / "registre")]).exit_code == 1   # loads: gaps only


def test_french_words_find_learners_and_processing_operations():
    vocab = vocabulary()
    assert vocab.search("élève", lang="fr")[0].curie == "dpv:Student"
    assert vocab.search("apprenant", kind="subject", lang="fr")[0].curie == "dpv:Student"
    for curie in ("dpv:Acquire", "dpv:Aggregate", "dpv:Delete", "dpv:TrackingByThirdParty", "eu-gdpr:Profiling"):
        term = vocab.resolve(curie)
        assert set(term.labels) >= {"en", "nl", "fr", "de"}, curie
        assert term.label("fr") != term.label("en"), curie


def test_ropa_terms_speaks_the_language_asked_for():
    found = vocabulary().search("2021/914", lang="fr")
    title, headers, rows = term_rows(found, "fr")
    assert title == "1 terme" and headers[:3] == ["à écrire", "libellé", "sorte"]
    assert rows == [("ropa:SCC-2021-914-EU", "Clauses contractuelles types (UE) 2021/914", "base de transfert",
                     "eu-gdpr:A46-2-c, eu-gdpr:SCCByCommission", "art. 46, par. 2, point c)", "depuis le 27 juin 2021")]
    title, headers, rows = term_rows(found, None)   # without --lang: English, the machine citation
    assert headers[0] == "write" and rows[0][2:] == ("transfer-basis", "eu-gdpr:A46-2-c, eu-gdpr:SCCByCommission",
                                                      "Art. 46(2)(c)", "2021-06-27 ..")
    result = CliRunner().invoke(app, ["terms", "2021/914", "--lang", "fr"])
    assert result.exit_code == 0 and "base de transfert" in result.output and "transfer-basis" not in result.output
    missing = CliRunner().invoke(app, ["terms", "visioconférence", "--lang", "fr"])
    assert missing.exit_code == 1
    assert "aucun terme ne correspond à 'visioconférence'" in missing.output
    assert "no term matches" not in missing.output


@pytest.mark.parametrize(("accept", "lang"), [
    ("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "fr"),
    ("de-AT, en;q=0.5", "de"),
    ("es-ES,es;q=0.9,nl;q=0.8", "nl"),
    ("en;q=0.2, fr;q=0.9", "fr"),
    ("es-ES", "en"),
    ("", "en"),
    ("fr;q=0", "en"),
])
def test_the_browser_language_chooses_the_pages(accept, lang):
    assert web.preferred_language(accept) == lang


def test_a_french_browser_lands_on_the_french_pages(tmp_path):
    (tmp_path / "record.ttl").write_text(RECORD, encoding="utf-8")
    client = TestClient(web.create_app([tmp_path], as_of=AS_OF))
    response = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/fr/"
    assert client.get("/", follow_redirects=False).headers["location"] == "/en/"

"""The national reference data (data/reference/*.ttl) are facts from public sources, each with its source, and the
code that reads them reads what was added.

Every entry of a reference file names its source (ropa:source), or, where the file traces fact by fact (the
authorities' contact details), every fact of it is an rdf:Statement with its source; every source is a public one
with an address. The DPIA lists of the supervisory authorities (Art. 35(4)) are whole and numbered, and the question
dpia-needed finds the CNIL's types on a record of a French organisation built here (not the bundled Destiny data).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import rdflib
from rdflib import RDF, RDFS, SKOS, BNode, Literal, URIRef

import ropa
from ropa import query as library
from ropa import resources
from ropa.namespaces import PREFIXES

ROPA = rdflib.Namespace(PREFIXES["ropa"])
DPV = rdflib.Namespace(PREFIXES["dpv"])
LOC = rdflib.Namespace(PREFIXES["loc"])
REF = rdflib.Namespace("https://w3id.org/ropa/reference/")
NOT_FACTS = {RDF.type, RDFS.label, RDFS.comment, SKOS.prefLabel}
AS_OF = dt.date(2026, 1, 1)
AT = "https://example.org/atelier/"

# A French organisation's record (a fictional joinery workshop with a school-canteen service), written for these
# tests: one activity for each type of the CNIL's list a record's terms can show that the hospital example does not
# have, and one (payroll) that is of none.
ATELIER = """@prefix dpv: <https://w3id.org/dpv#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
@prefix legal-fr: <https://w3id.org/dpv/legal/fr#> .
@prefix legal-ie: <https://w3id.org/dpv/legal/ie#> .
@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix at: <https://example.org/atelier/> .

at:atelier a dpv:Organisation , dpv:LegalEntity , dpv:DataController ;
    rdfs:label "Atelier Bois du Rhône"@fr , "Atelier Bois du Rhône"@en ;
    dpv:hasName "Atelier Bois du Rhône SAS" ; dpv:hasCountry loc:FR ; dpv:hasAuthority legal-fr:DPA-FR .

at:talents a dpv:Process ; rdfs:label "Revue des talents"@fr , "Talent review"@en ; ropa:recordedBy at:atelier ;
    dpv:hasPurpose dpv:HumanResourceManagement ; dpv:hasProcessing dpv:Profiling ;
    dpv:hasDataSubject dpv:Employee ; dpv:hasPersonalData pd:Name .

at:postes a dpv:Process ; rdfs:label "Suivi des postes de travail"@fr , "Workstation monitoring"@en ; ropa:recordedBy at:atelier ;
    dpv:hasPurpose dpv:PersonnelMonitoring ; dpv:hasContext dpv:SystematicMonitoring ;
    dpv:hasDataSubject dpv:Employee ; dpv:hasPersonalData pd:Name .

at:prospects a dpv:Process ; rdfs:label "Ciblage des prospects"@fr , "Prospect targeting"@en ; ropa:recordedBy at:atelier ;
    dpv:hasPurpose dpv:Marketing ; dpv:hasProcessing dpv:Profiling ; dpv:hasDataSource dpv:ThirdPartyDataSource ;
    dpv:hasDataSubject ropa:Prospect ; dpv:hasPersonalData pd:Name , pd:EmailAddress .

at:cantine a dpv:Process ; rdfs:label "Accès à la cantine scolaire"@fr , "School canteen access"@en ; ropa:recordedBy at:atelier ;
    dpv:hasPurpose dpv:IdentityVerification ; dpv:hasDataSubject dpv:Child ; dpv:hasPersonalData pd:Fingerprint .

at:paie a dpv:Process ; rdfs:label "Paie"@fr , "Payroll"@en ; ropa:recordedBy at:atelier ;
    dpv:hasPurpose dpv:HumanResourceManagement ; dpv:hasDataSubject dpv:Employee ; dpv:hasPersonalData pd:Name , pd:Salary .
"""


def reference_graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in resources.reference_files():
        graph.parse(path)
    return graph


def unsourced(graph: rdflib.Graph) -> list[tuple]:
    """The (subject, predicate, object) facts of the reference data no source backs: a subject is backed by its own
    ropa:source, or fact by fact by an rdf:Statement with a ropa:source."""
    missing = []
    for subject in {s for s in graph.subjects() if isinstance(s, URIRef)}:
        if (subject, RDF.type, ROPA.PublicSource) in graph or (subject, ROPA.source, None) in graph:
            continue
        for predicate, value in graph.predicate_objects(subject):
            if predicate in NOT_FACTS:
                continue
            traced = any((st, RDF.predicate, predicate) in graph and (st, RDF.object, value) in graph
                         and (st, ROPA.source, None) in graph for st in graph.subjects(RDF.subject, subject))
            if not traced:
                missing.append((subject, predicate, value))
    return missing


def sources_without_address(graph: rdflib.Graph) -> list:
    """The sources named that are not a ropa:PublicSource with an http(s) address."""
    return [source for source in set(graph.objects(None, ROPA.source))
            if (source, RDF.type, ROPA.PublicSource) not in graph
            or not any(str(url).startswith(("https://", "http://")) for url in graph.objects(source, ROPA.url))]


def test_every_fact_of_the_reference_data_has_a_public_source():
    graph = reference_graph()
    assert len(resources.reference_files()) >= 9 and len(graph) > 1000
    assert unsourced(graph) == []
    assert sources_without_address(graph) == []


def test_the_source_check_reports_an_entry_or_a_fact_without_source():
    """The two checks above on a small graph: an entry with no source, an untraced fact beside a traced one, a
    source without address; each is reported, and nothing else."""
    graph = rdflib.Graph()
    traced, bare, entry, source = REF["t-authority"], REF["t-bare"], REF["t-entry"], REF["t-src"]
    graph.add((source, RDF.type, ROPA.PublicSource))
    graph.add((entry, RDF.type, ROPA.DpiaListEntry))
    graph.add((entry, RDFS.label, Literal("an entry", lang="en")))
    graph.add((entry, ROPA.article, Literal("Art. 35(4)")))
    graph.add((traced, DPV.hasName, Literal("Named")))
    graph.add((traced, ROPA.telephone, Literal("+00 0")))
    statement = BNode()
    for p, o in ((RDF.type, RDF.Statement), (RDF.subject, traced), (RDF.predicate, DPV.hasName),
                 (RDF.object, Literal("Named")), (ROPA.source, source)):
        graph.add((statement, p, o))
    graph.add((bare, RDFS.label, Literal("only a label", lang="en")))
    assert set(unsourced(graph)) == {(entry, ROPA.article, Literal("Art. 35(4)")),
                                     (traced, ROPA.telephone, Literal("+00 0"))}
    assert sources_without_address(graph) == [source]
    graph.add((source, ROPA.url, Literal("https://example.org/source")))
    graph.add((entry, ROPA.source, source))
    assert unsourced(graph) == [(traced, ROPA.telephone, Literal("+00 0"))] and sources_without_address(graph) == []


# --- The supervisory authorities (contact details) ---------------------------------------------------------------

@pytest.mark.parametrize(("authority", "address"), [
    ("https://w3id.org/dpv/legal/fr#DPA-FR", "3 Place de Fontenoy, TSA 80715, 75334 Paris Cedex 07"),
    ("https://w3id.org/dpv/legal/ie#DPA-IE", "21 Fitzwilliam Square South, Dublin 2, D02RD28")])
def test_the_french_and_irish_authorities_have_a_postal_address_from_a_public_source(authority, address):
    graph = reference_graph()
    subject = URIRef(authority)
    assert address in {str(a) for a in graph.objects(subject, DPV.hasAddress)}
    assert any((st, RDF.object, Literal(address, lang=lang)) in graph and (st, ROPA.source, None) in graph
               for st in graph.subjects(RDF.subject, subject) for lang in ("fr", "en"))


def test_a_register_names_the_address_of_the_organisations_authority(tmp_path):
    """The register's authority row reads the reference data: the French record's register gives the CNIL's address;
    the same record with its authority changed to the Irish one gives the DPC's, and no longer the CNIL's."""
    from ropa.register import build_record   # noqa: PLC0415 (only this test builds a register)

    def authority_row(text: str) -> str:
        (tmp_path / "atelier.ttl").write_text(text, encoding="utf-8")
        record = build_record(ropa.load([tmp_path / "atelier.ttl"]), lang="fr", as_of=AS_OF)
        [register] = record.controller_registers
        return register.organisation.fields["authority"].plain

    french = authority_row(ATELIER)
    assert "3 Place de Fontenoy, TSA 80715, 75334 Paris Cedex 07" in french
    irish = authority_row(ATELIER.replace("legal-fr:DPA-FR", "legal-ie:DPA-IE").replace("loc:FR", "loc:IE"))
    assert "21 Fitzwilliam Square South, Dublin 2, D02RD28" in irish and "Fontenoy" not in irish


# --- The DPIA lists (Art. 35(4)) -------------------------------------------------------------------------------

def list_entries(graph: rdflib.Graph, country: str) -> dict[int, URIRef]:
    entries = {}
    for entry in graph.subjects(DPV.hasJurisdiction, LOC[country]):
        if (entry, RDF.type, ROPA.DpiaListEntry) not in graph:
            continue
        number = re.fullmatch(r"Art\. 35\(4\), (?:CNIL list, type|AP list, category) (\d+)", str(graph.value(entry, ROPA.article)))
        assert number, entry
        entries[int(number.group(1))] = entry
    return entries


def test_the_cnil_list_is_whole_numbered_and_worded_in_its_own_words():
    graph = reference_graph()
    entries = list_entries(graph, "FR")
    assert sorted(entries) == list(range(1, 15))   # délibération n° 2018-327: fourteen types
    french = {n: str(next(l for l in graph.objects(e, RDFS.label) if l.language == "fr")) for n, e in entries.items()}
    assert french[1].startswith("traitements de données de santé mis en œuvre par les établissements de santé")
    assert french[11].startswith("traitements de données biométriques aux fins d'identifier une personne physique de manière unique")
    assert french[14].startswith("traitements de données de localisation à large échelle")
    assert all(text.endswith("(liste de la CNIL)") for text in french.values())
    conditioned = {n for n, e in entries.items() if (e, ROPA.dpiaCondition, None) in graph}
    assert conditioned == {1, 2, 3, 4, 10, 11, 14}
    assert sorted(list_entries(graph, "NL")) == [12, 13]


def dpia_rows(text: str, tmp_path, lang: str = "en") -> dict[str, dict]:
    (tmp_path / "atelier.ttl").write_text(text, encoding="utf-8")
    results = library.run(library.get("dpia-needed"), ropa.load([tmp_path / "atelier.ttl"]), lang=lang, as_of=AS_OF)
    rows = [dict(zip(results.columns, (t.value if t is not None else None for t in row))) for row in results.rows]
    return {row["activity"].removeprefix(AT): row for row in rows}


def test_dpia_needed_finds_the_cnil_types_on_a_french_organisations_record(tmp_path):
    """Each activity of the workshop is of one type of the CNIL's list (Art. 35(4)): dpia-needed lists it, with that
    type among its reasons, in English and in French; payroll is of none and meets at most one WP248 criterion."""
    expected = {"talents": "profiles of persons built to manage human resources (CNIL list)",
                "postes": "constant monitoring of employees' activity (CNIL list)",
                "prospects": "profiling using data from external sources (CNIL list)",
                "cantine": "biometric data to identify persons uniquely, among whom are vulnerable persons (pupils, the elderly, patients, asylum seekers, etc.) (CNIL list)"}
    rows = dpia_rows(ATELIER, tmp_path)
    assert set(rows) == set(expected)
    for activity, reason in expected.items():
        reasons = rows[activity]["reasons"].split("; ")
        assert reason in reasons, (activity, reasons)
        assert rows[activity]["dpia"] == "not-recorded"
    assert "profiling using data from external sources (CNIL list)" not in rows["talents"]["reasons"]
    french = dpia_rows(ATELIER, tmp_path, lang="fr")
    assert "traitements de profilage faisant appel à des données provenant de sources externes (liste de la CNIL)" \
        in french["prospects"]["reasons"].split("; ")


def test_the_cnil_types_apply_to_a_french_organisation_only(tmp_path):
    """The same record kept by a Belgian organisation: no type of the French list is a reason; what remains is what
    two WP248 criteria give (employees are vulnerable data subjects, with profiling or monitoring; the canteen's
    biometric data of children), and the prospects' profiling, one criterion, is no longer listed."""
    rows = dpia_rows(ATELIER.replace("dpv:hasCountry loc:FR", "dpv:hasCountry loc:BE"), tmp_path)
    assert not any("CNIL" in row["reasons"] for row in rows.values())
    assert set(rows) == {"talents", "postes", "cantine"}


def test_profiling_with_the_data_subjects_own_data_is_not_the_type_on_external_sources(tmp_path):
    rows = dpia_rows(ATELIER.replace("dpv:ThirdPartyDataSource", "dpv:DataSubjectDataSource"), tmp_path)
    assert "prospects" not in rows

"""The questions officers ask beyond the first fifteen, and "what if this transfer instrument fell?".

Each question is answered on the bundled Destiny record and on a second example record (the French hospital of
examples/chi-belleval, the German SaaS company of examples/wolkenwerk). Where the answer can be read from the files
with rdflib and plain Python, it is (an independent reading, not the query checking itself); on the small example
records the expected rows are the ones the record's facts give, worked out by hand from the Turtle.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF, SKOS
from typer.testing import CliRunner

import ropa
from ropa import query as library
from ropa import resources
from ropa.cli import app
from ropa.namespaces import PREFIXES
from ropa.whatif import assume_invalid, exposure

AS_OF = dt.date(2026, 1, 1)
DPV = rdflib.Namespace(PREFIXES["dpv"])
PD = rdflib.Namespace(PREFIXES["pd"])
ROPA = rdflib.Namespace(PREFIXES["ropa"])
GDPR = rdflib.Namespace(PREFIXES["eu-gdpr"])
DST = rdflib.Namespace(PREFIXES["dst"])
CHB = "https://example.org/chi-belleval/"
WW = "https://example.org/wolkenwerk/"
runner = CliRunner()

DPF_EXTRA = """@prefix dst: <https://w3id.org/ropa/destiny/> .
@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
dst:microsoft ropa:certifiedUnder ropa:Adequacy-EU-US-DPF .
dst:microsoft-transfer a dpv:CrossBorderTransfer ; dpv:hasDataExporter dst:destiny-nv ; dpv:hasDataImporter dst:microsoft ;
    dpv:hasThirdCountry loc:US ; dpv:hasLegalBasis ropa:Adequacy-EU-US-DPF .
dst:destiny-nv ropa:hasTransfer dst:microsoft-transfer .
"""
"""A copy of the bundled record where one US sub-processor of Dstny (Microsoft, certified under the Data Privacy
Framework) receives a transfer resting on the framework, documented for all Dstny's processing."""


@pytest.fixture(scope="module")
def files() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in resources.vocabulary_files() + resources.reference_files() + resources.bundled_data_files():
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def dpf_copy(tmp_path_factory) -> list[Path]:
    extra = tmp_path_factory.mktemp("dpf") / "dpf.ttl"
    extra.write_text(DPF_EXTRA, encoding="utf-8")
    return resources.bundled_data_files() + [extra]


def run(name, graph, **options) -> list[dict]:
    results = library.run(library.get(name), graph, **options)
    return [dict(zip(results.columns, (t.value if t is not None else None for t in row))) for row in results.rows]


def narrower(graph: rdflib.Graph, *concepts) -> set:
    return set().union(*(set(graph.transitive_subjects(SKOS.broader, c)) for c in concepts))


# --- The library as a whole -------------------------------------------------------------------------------------

def test_at_least_25_questions_each_with_article_titles_and_headers_in_every_language(bundled):
    queries = library.library()
    assert len(queries) >= 25
    for lang in ("en", "nl", "fr"):   # German phrases of the library are added with the German catalogue
        catalogue = json.loads((resources.reports_dir() / "messages" / f"{lang}.json").read_text(encoding="utf-8"))
        for query in queries:
            assert "Art." in query.article, query.name
            assert catalogue.get(f"query.{query.name}.title"), (lang, query.name)
            if lang == "en":
                assert catalogue[f"query.{query.name}.title"] == query.title, query.name
            params = {p.name: "any" for p in query.params if p.required}
            results = library.run(query, bundled, params=params, as_of=AS_OF)
            for column in results.columns:
                base = column.removesuffix("Label") or column
                assert catalogue.get(f"query.column.{base}"), (lang, query.name, column)


def test_headers_are_readable_in_the_language_asked_for(hospital):
    results = library.run(library.get("joint-controllers"), hospital, lang="nl")
    table = results.render("md", lang="nl").splitlines()[0]
    assert table == "| Organisatie | Verwerking | Verwerkingsverantwoordelijken | Regeling |"
    assert results.render("md", lang="fr", iris=True).splitlines()[0].startswith("| Organisation (IRI) | Organisation |")
    assert results.render("csv").splitlines()[0] == "entityLabel,activityLabel,controllersLabel,arrangementLabel"
    listed = json.loads(runner.invoke(app, ["queries", "--format", "json"]).stdout)
    [joint] = [q for q in listed if q["name"] == "joint-controllers"]
    assert joint["titles"]["fr"] == "Responsables conjoints du traitement et leur accord"


# --- Children and vulnerable data subjects (Art. 8, recital 75) ---------------------------------------------------

def test_vulnerable_data_subjects_on_the_bundled_record(bundled, files):
    rows = run("vulnerable-data-subjects", bundled)
    vulnerable = narrower(files, DPV.VulnerableHuman, DPV.Employee, DPV.Patient)
    expected = {(str(a), str(s)) for a, s in files.subject_objects(DPV.hasDataSubject) if s in vulnerable}
    assert expected and {(r["activity"], r["subject"]) for r in rows} == expected
    assert {r["child"] for r in rows} == {"no"}   # no statement names children


def test_children_among_the_hospital_s_patients(hospital):
    rows = run("vulnerable-data-subjects", hospital)
    children = [r for r in rows if r["child"] == "yes"]
    assert [(r["activity"], r["subject"]) for r in children] == [(CHB + "dossier-patient", PREFIXES["dpv"] + "Child")]
    assert rows[0]["child"] == "yes"   # children first
    consent = {r["activity"]: r["consent"] for r in rows}
    assert consent[CHB + "rendez-vous"] == "yes" and consent[CHB + "dossier-patient"] == "no"


# --- Automated decisions and profiling (Art. 22) --------------------------------------------------------------------

def test_profiling_on_the_bundled_record(bundled, files):
    rows = run("automated-decisions", bundled)
    signs = narrower(files, DPV.AutomatedDecisionMaking, DPV.EvaluationScoring, DPV.Profiling, PD.Profile)
    expected = {(str(a), str(v)) for p in (DPV.hasContext, DPV.hasProcessing, DPV.hasPersonalData)
                for a, v in files.subject_objects(p) if v in signs}
    assert {(r["activity"], r["sign"]) for r in rows} == expected
    [cookies] = rows
    assert cookies["activity"] == str(DST["dstny-be-website-nonfunctional-cookies"])
    assert cookies["decision"] == "profiling-or-scoring"
    assert (DST["destiny-nv"], DPV.hasRight, GDPR.A22) not in files and cookies["rightStated"] == "no"


def test_automated_appointments_and_profiling_for_research_at_the_hospital(hospital):
    rows = {r["activity"]: r for r in run("automated-decisions", hospital)}
    assert set(rows) == {CHB + "rendez-vous", CHB + "recherche-clinique"}
    assert rows[CHB + "rendez-vous"]["decision"] == "automated-decision"
    assert rows[CHB + "recherche-clinique"]["decision"] == "profiling-or-scoring"


# --- DPIA (Art. 35(3), the authorities' lists) ---------------------------------------------------------------------

def test_dpia_needed_at_the_hospital_by_the_french_list_and_two_criteria(hospital):
    rows = {r["activity"]: r for r in run("dpia-needed", hospital)}
    assert set(rows) == {CHB + "dossier-patient", CHB + "recherche-clinique", CHB + "rendez-vous"}
    assert rows[CHB + "recherche-clinique"]["dpia"] == "recorded"
    assert rows[CHB + "recherche-clinique"]["assessment"] == CHB + "aipd-recherche"
    assert rows[CHB + "dossier-patient"]["dpia"] == "not-recorded"
    health = "health data processed by a health or medico-social establishment for the care of persons (CNIL list)"
    genetic = "genetic data of vulnerable persons (patients, employees, children, etc.) (CNIL list)"
    for row in rows.values():   # the list of the French authority applies to a French hospital, and comes first
        reasons = row["reasons"].split("; ")
        listed = [r for r in reasons if r.endswith("(CNIL list)")]
        assert health in listed and reasons[:len(listed)] == listed
    # the research on patients' genetic data is also the list's type 2 (the CNIL's own example: research on patients)
    assert genetic in rows[CHB + "recherche-clinique"]["reasons"].split("; ")
    assert genetic not in rows[CHB + "dossier-patient"]["reasons"]
    assert "automated decision-making" in rows[CHB + "rendez-vous"]["reasons"]


def test_dpia_criteria_on_the_bundled_record(bundled, files):
    assert run("dpia-needed", bundled) == []   # no statement meets two criteria or a list of its country
    rows = run("dpia-needed", bundled, params={"min_criteria": "1"})
    concepts = {}
    for criterion in files.subjects(RDF.type, ROPA.DpiaCriterion):
        for condition in files.objects(criterion, ROPA.dpiaCondition):
            for concept in files.objects(condition, ROPA.anyOf):
                concepts.setdefault(criterion, set()).update(narrower(files, concept))
    expected = set()
    for activity, in files.query("SELECT ?a WHERE { ?a a <%s> FILTER NOT EXISTS { ?a <%s> <%s> } }"
                                 % (DPV.Process, ROPA.role, ROPA.ProcessorRole)):
        values = {v for p in (DPV.hasPersonalData, DPV.hasDataSubject, DPV.hasPurpose, DPV.hasProcessing,
                              DPV.hasContext, DPV.hasScale) for v in files.objects(activity, p)}
        if any(values & c for c in concepts.values()):
            expected.add(str(activity))
    assert expected and {r["activity"] for r in rows} == expected
    assert not any("CNIL" in r["reasons"] or "Autoriteit" in r["reasons"] for r in rows)   # not their countries


def test_every_dpia_criterion_and_list_entry_is_named_in_every_language(files):
    items = set(files.subjects(RDF.type, ROPA.DpiaCriterion)) | set(files.subjects(RDF.type, ROPA.DpiaListEntry))
    assert items
    for item in items:
        languages = {label.language for label in files.objects(item, rdflib.RDFS.label)}
        assert set(resources.LANGUAGES) <= languages, (item, languages)


CLUB = """@prefix dpv: <https://w3id.org/dpv#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix club: <https://example.org/club/> .

club:fietsclub a dpv:Organisation ; rdfs:label "Fietsclub De Spaak" ; dpv:hasCountry loc:NL .
club:ledenadministratie a dpv:Process ; rdfs:label "Ledenadministratie" ; ropa:recordedBy club:fietsclub ;
    dpv:hasPersonalData pd:PhysicalAddress , pd:HomeLocation ; dpv:hasScale dpv:LargeScaleProcessing .
club:ritregistratie a dpv:Process ; rdfs:label "Ritregistratie" ; ropa:recordedBy club:fietsclub ;
    dpv:hasPersonalData pd:GPSCoordinate ; dpv:hasScale dpv:LargeScaleProcessing .
"""


def test_a_postal_address_is_no_location_data_for_the_dpia_lists(tmp_path):
    """DPV files a postal address and a home under pd:Location; the Dutch list's location entry (Art. 35(4)) and
    WP248's sensitive-data criterion mean where a person is or goes, as the DPIA check of validate reads it."""
    (tmp_path / "club.ttl").write_text(CLUB, encoding="utf-8")
    graph = ropa.load([tmp_path / "club.ttl"])
    rows = {r["activity"]: r for r in run("dpia-needed", graph, params={"min_criteria": "1"})}
    tracking = rows["https://example.org/club/ritregistratie"]["reasons"]
    assert "Autoriteit Persoonsgegevens" in tracking and "sensitive data" in tracking
    members = rows["https://example.org/club/ledenadministratie"]["reasons"]   # large scale is one criterion
    assert "Autoriteit Persoonsgegevens" not in members and "sensitive data" not in members
    assert "large scale" in members


# --- Agreements (Art. 28(3)-(4)) -----------------------------------------------------------------------------------

def test_processors_without_agreement_on_the_bundled_record(bundled, files):
    rows = run("processors-without-agreement", bundled)
    destiny = DST["destiny-nv"]
    subs = {str(s) for s in files.objects(destiny, ROPA.hasSubProcessor) if (s, ROPA.hasAgreement, None) not in files}
    assert {r["provider"] for r in rows if r["role"] == "sub-processor"} == subs
    assert all(r["agreement"] == "required-not-documented" for r in rows if r["provider"] in subs)
    processors = {(str(files.value(a, ROPA.recordedBy)), str(p)) for a, p in files.subject_objects(DPV.hasDataProcessor)
                  if (a, RDF.type, DPV.Process) in files and (a, ROPA.role, ROPA.ProcessorRole) not in files
                  and p != files.value(a, ROPA.recordedBy)
                  and (p, ROPA.hasAgreement, None) not in files}
    assert {(r["entity"], r["provider"]) for r in rows if r["role"] == "processor"} == processors


def test_sub_processors_without_agreement_in_the_examples(hospital, wolkenwerk):
    assert [(r["provider"], r["role"]) for r in run("processors-without-agreement", hospital)] == [
        (CHB + "sms-cloud", "sub-processor")]   # linked the DPV way, behind the booking service
    rows = run("processors-without-agreement", wolkenwerk)
    assert {r["provider"] for r in rows} == {WW + "logquell", WW + "nimbus", WW + "postwind", WW + "wolkenwerk-inc"}
    assert {r["activities"] for r in rows} == {"3"}   # the three processor services each entry serves


# --- Legal bases ------------------------------------------------------------------------------------------------------

def test_activities_per_legal_basis(bundled, files, wolkenwerk):
    rows = run("activities-per-legal-basis", bundled)
    counts = {}
    for activity, basis in files.subject_objects(DPV.hasLegalBasis):
        if (activity, RDF.type, DPV.Process) in files:
            counts.setdefault((str(basis), str(files.value(activity, ROPA.recordedBy))), set()).add(activity)
    assert {(r["basis"], r["entity"]): int(r["activities"]) for r in rows} == {k: len(v) for k, v in counts.items()}
    interests = run("activities-per-legal-basis", bundled, params={"basis": "eu-gdpr:A6-1-f"})
    wanted = {str(b) for b in narrower(files, GDPR["A6-1-f"])}
    assert {(r["basis"], r["entity"]) for r in interests} == {k for k in counts if k[0] in wanted}
    assert all(r["article"] == "Art. 6(1)(f)" for r in interests)
    contract = run("activities-per-legal-basis", wolkenwerk, params={"basis": "eu-gdpr:A6-1-b"})
    assert [(r["activities"], r["activitiesLabel"]) for r in contract] == [("2", "Customer accounts and invoicing; Recruitment")]


# --- Transfers per mechanism ---------------------------------------------------------------------------------------

def test_transfers_per_mechanism(bundled, wolkenwerk):
    rows = run("transfers-per-mechanism", bundled, as_of=AS_OF)
    assert {(r["mechanism"], r["basisStatus"]) for r in rows} == {
        (PREFIXES["ropa"] + "MechanismCertifiedFramework", "invalid"), (PREFIXES["ropa"] + "MechanismSCC", "valid")}
    assert {r["exporter"] for r in rows} == {str(DST["dstny-dk"])}
    rows = run("transfers-per-mechanism", wolkenwerk, as_of=AS_OF)
    kinds = {(r["transfer"], r["destination"]): r["mechanism"].rsplit("#", 1)[1] for r in rows}
    loc = PREFIXES["loc"]
    assert kinds == {
        (WW + "xfer-payments", loc + "US"): "MechanismCertifiedFramework",
        (WW + "eng-coinrail", loc + "US"): "MechanismCertifiedFramework",
        (WW + "xfer-applications", loc + "US"): "MechanismDerogation",
        (WW + "xfer-support", loc + "US"): "MechanismSCC",
        (WW + "eng-nimbus-us", loc + "US"): "MechanismSCC",
        (WW + "eng-logquell", loc + "US"): "MechanismSCC",
        (WW + "eng-parent-support", loc + "US"): "MechanismSCC",
        (WW + "eng-nimbus-jp", loc + "JP"): "MechanismAdequacy",
    }
    only = run("transfers-per-mechanism", wolkenwerk, as_of=AS_OF, params={"mechanism": "ropa:MechanismDerogation"})
    assert [(r["importer"], r["destination"]) for r in only] == [(WW + "wolkenwerk-inc", loc + "US")]


# --- Countries a data category reaches -----------------------------------------------------------------------------

def test_countries_of_a_data_category(hospital, wolkenwerk, bundled):
    loc = PREFIXES["loc"]
    rows = run("countries-of-data-category", hospital, params={"category": "pd:Name"})
    assert {(r["country"], r["via"]) for r in rows} == {(loc + "US", "direct"), (loc + "US", "through-sub-processor"),
                                                        (loc + "FR", "direct")}
    [sms] = [r for r in rows if r["via"] == "through-sub-processor"]
    assert sms["partiesLabel"] == "SMS Cloud Inc." and sms["evidence"] == "headquarters-possible"
    rows = run("countries-of-data-category", wolkenwerk, params={"category": "pd:Name"})
    assert {r["country"] for r in rows} == {loc + "US", loc + "JP", loc + "DE", loc + "IE"}
    assert not any("Logquell" in r["partiesLabel"] for r in rows)   # its entry receives IP addresses and browser data
    logs = run("countries-of-data-category", wolkenwerk, params={"category": "pd:IPAddress"})
    assert any("Logquell" in r["partiesLabel"] for r in logs)
    rows = run("countries-of-data-category", bundled, params={"category": "pd:Name"})
    us = {p for r in rows if r["country"] == loc + "US" for p in r["partiesLabel"].split(", ")}
    assert "Microsoft" in us and {r["inEEA"] for r in rows if r["country"] == loc + "US"} == {"no"}


# --- Rights and response times (Art. 12(3)) ------------------------------------------------------------------------

def test_rights_and_response_times(bundled, hospital):
    rows = {r["entity"]: r for r in run("rights-and-response-times", bundled)}
    assert rows[str(DST.ozmo)]["responseTime"] == "P1M" and rows[str(DST.ozmo)]["withinOneMonth"] == "yes"
    assert rows[str(DST["destiny-nv"])]["withinOneMonth"] == "not-stated"
    assert rows[str(DST["destiny-nv"])]["asStated"].startswith("within the legally stipulated deadline")
    assert str(GDPR.A22) in rows[str(DST["proximus-ict"])]["rights"]
    [chb] = run("rights-and-response-times", hospital)
    assert (chb["responseTime"], chb["extendedResponseTime"], chb["withinOneMonth"]) == ("P1M", "P3M", "yes")


# --- Retention longer than a period --------------------------------------------------------------------------------

def test_retention_longer_than_a_period(bundled, wolkenwerk):
    assert [(r["activity"], r["kept"], r["keptPeriod"]) for r in run("retention-longer-than", wolkenwerk,
                                                                      params={"period": "P1Y"})] == [
        (WW + "customer-accounts", "fixed", "P10Y")]
    shorter = run("retention-longer-than", wolkenwerk, params={"period": "P3M"})
    assert (WW + "recruitment", "after_event", "P6M", str(ROPA.PurposeAchieved)) in {
        (r["activity"], r["kept"], r["keptPeriod"], r["keptEvent"]) for r in shorter}
    assert WW + "formfluss-eu" not in {r["activity"] for r in shorter}   # 30 days is shorter than three months
    rows = run("retention-longer-than", bundled)
    assert rows and all(r["longer"] in ("yes", "no-end-stated") for r in rows)
    assert ("all-processing", "no_end") in {(r["activityLabel"], r["kept"]) for r in rows}
    assert not any(r["keptPeriod"] == "P6M" for r in rows)   # OZMO's six months are not longer than five years
    with pytest.raises(ropa.RopaError, match="period must be a period in ISO 8601 form"):
        run("retention-longer-than", bundled, params={"period": "a while"})
    assert run("retention-longer-than", bundled, params={"period": "5 years"}) == rows   # words read as P5Y


# --- Joint controllers (Art. 26) -----------------------------------------------------------------------------------

def test_joint_controllers(bundled, files, hospital):
    assert (None, DPV.hasJointDataControllers, None) not in files and run("joint-controllers", bundled) == []
    [row] = run("joint-controllers", hospital)
    assert row["activity"] == CHB + "recherche-clinique"
    assert set(row["controllers"].split(", ")) == {CHB + "directoire", CHB + "universite"}
    assert row["arrangement"] == CHB + "convention-recherche"


# --- What if an instrument fell ------------------------------------------------------------------------------------

def test_no_recorded_flow_rests_on_the_dpf_in_the_bundled_record(bundled):
    result = assume_invalid(bundled, "DPF", AS_OF)
    assert result.instrument == PREFIXES["ropa"] + "Adequacy-EU-US-DPF"
    assert result.exposures == []
    assert run("instrument-what-if", bundled, as_of=AS_OF, params={"instrument": "ropa:Adequacy-EU-US-DPF"}) == []
    out = runner.invoke(app, ["flows", "--assume-invalid", "ropa:Adequacy-EU-US-DPF", "--from", AS_OF.isoformat()])
    assert out.exit_code == 0 and "No recorded flow rests on EU-US Data Privacy Framework" in out.stdout


def test_the_privacy_shield_what_if_names_the_dstny_dk_transfer(bundled):
    result = assume_invalid(bundled, "Privacy Shield", AS_OF)
    assert result.exposures and {e.activity.recorder for e in result.exposures} == {str(DST["dstny-dk"])}
    assert all(not e.instrument_valid and not e.loses for e in result.exposures)   # ended in 2020; the clauses carry them
    [row] = run("instrument-what-if", bundled, as_of=AS_OF, params={"instrument": "ropa:PrivacyShield"})
    assert row["transfer"] == str(DST["xfer-dstny-dk-subcontractors"])
    assert row["exporter"] == str(DST["dstny-dk"])
    assert row["instrumentStatus"] == "already-not-valid" and row["remainingLabel"]
    # before Schrems II the shield was in force, but gave no basis to a transfer to unnamed countries either
    early = assume_invalid(bundled, "ropa:PrivacyShield", dt.date(2019, 1, 1))
    assert early.exposures and not early.losing()


def test_the_dpf_what_if_on_a_copy_where_a_us_sub_processor_rests_on_it(dpf_copy):
    graph = ropa.load(dpf_copy)
    result = assume_invalid(graph, "DPF", AS_OF)
    losing = result.losing()
    assert losing and {e.party for e in losing} == {str(DST.microsoft)}
    activities = {r["a"] for r in graph.select("SELECT ?a WHERE { ?a ropa:recordedBy dst:destiny-nv ; a dpv:Process }")}
    assert {e.activity.iri for e in losing} == activities   # the transfer is documented for all Dstny's processing
    assert str(DST["destiny-nv"]) in result.controllers(losing)
    assert all(e.fallbacks[0] == "whatif.fallback.scc" for e in losing)
    notify = result.notify()
    assert set(notify) == {str(DST["destiny-nv"])}   # as processor, Dstny informs its customers (Art. 28(2))
    assert set(notify[str(DST["destiny-nv"])]) == {str(DST["dstny-be-customer-controllers"])}
    # the library question names the same transfer, its activities and controllers
    [row] = run("instrument-what-if", graph, as_of=AS_OF, params={"instrument": "ropa:Adequacy-EU-US-DPF"})
    assert row["consequence"] == "loses-basis" and row["importer"] == str(DST.microsoft)
    assert len(row["activitiesLabel"].split("; ")) == len(activities)
    assert "Destiny NV (Dstny)" in row["controllersLabel"] and row["notify"]
    # the command, in JSON and Markdown
    paths = [str(p) for p in dpf_copy]
    out = runner.invoke(app, ["flows", *paths, "--assume-invalid", "DPF", "--from", AS_OF.isoformat(), "-f", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["losing"]["flows"] == len(losing) and data["losing"]["vendors"] == [{"id": "dst:microsoft", "label": "Microsoft"}]
    out = runner.invoke(app, ["flows", *paths, "--assume-invalid", "DPF", "--from", AS_OF.isoformat(), "-f", "md"])
    assert "## Flows that would lose their transfer basis" in out.stdout and "| Microsoft |" in out.stdout


def test_the_dpf_what_if_at_the_german_company_before_and_after_the_framework(wolkenwerk):
    result = assume_invalid(wolkenwerk, "ropa:Adequacy-EU-US-DPF", AS_OF)
    assert {(e.activity.iri, e.party) for e in result.losing()} == {(WW + "customer-accounts", WW + "coinrail")}
    rows = run("instrument-what-if", wolkenwerk, as_of=AS_OF, params={"instrument": "ropa:Adequacy-EU-US-DPF"})
    assert {r["transfer"] for r in rows} == {WW + "xfer-payments", WW + "eng-coinrail"}
    assert {r["activitiesLabel"] for r in rows} == {"Customer accounts and invoicing"}
    # the clauses fall: the support by the parent company may rest on binding corporate rules of the group
    clauses = assume_invalid(wolkenwerk, "ropa:SCC-2021-914-EU", AS_OF)
    support = [e for e in clauses.losing() if e.party == WW + "wolkenwerk-inc"]
    assert support and all("whatif.fallback.bcr" in e.fallbacks and "whatif.fallback.scc" not in e.fallbacks
                           for e in support)
    assert set(clauses.notify()) == {WW + "wolkenwerk"}   # a processor for its customers' forms
    occasional = assume_invalid(wolkenwerk, "eu-gdpr:A49-1-a", AS_OF).losing()
    assert occasional and all("whatif.fallback.derogation" in e.fallbacks for e in occasional)


def test_exposure_per_instrument_counts_what_each_carries(wolkenwerk):
    from ropa.flows import flow_graph

    found = {x.instrument: x for x in exposure(flow_graph(wolkenwerk, AS_OF))}
    dpf = found[PREFIXES["ropa"] + "Adequacy-EU-US-DPF"]
    assert (dpf.flows, dpf.activities, dpf.losing) == (1, 1, 1)
    assert found[PREFIXES["legal-eu"] + "Adequacy-EU-JP"].losing == found[PREFIXES["legal-eu"] + "Adequacy-EU-JP"].flows


@pytest.mark.parametrize("args, message", [
    (["flows", "--assume-invalid", "no such thing"], "no transfer instrument named 'no such thing'"),
    (["flows", "--from", "2026-01-01"], "--from is the day an instrument ends"),
    (["flows", "--assume-invalid", "DPF", "--outside-eea"], "--assume-invalid looks at every flow"),
    (["flows", "--assume-invalid", "DPF", "--from", "01/13/2026"], "--from"),
])
def test_what_if_mistakes_are_one_line_and_exit_2(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


# --- People read words in their language, programs read codes -------------------------------------------------------

def md_rows(results, lang: str) -> list[str]:
    return results.render("md", lang=lang).splitlines()[2:]


def test_transfer_reasons_are_said_in_the_reader_s_language(bundled, wolkenwerk):
    results = library.run(library.get("transfers-outside-eea"), bundled, as_of=AS_OF, lang="nl")
    [shield] = [line for line in md_rows(results, "nl") if "Privacyschild" in line]
    assert "| ongeldig | geldig | geen geldige grondslag meer na 2020-07-16 |" in shield
    assert "passende waarborg (art. 46)" in results.render("md", lang="nl")
    german = library.run(library.get("transfers-outside-eea"), bundled, as_of=AS_OF, lang="de").render("csv", lang="de")
    assert "keine gültige Grundlage mehr nach dem 2020-07-16" in german and "no valid basis" not in german
    rows = json.loads(results.render("json"))["rows"]   # JSON keeps the codes and the date apart
    assert {(r["basisStatus"], r["reason"], r["reasonDate"]) for r in rows} == {
        ("invalid", "ended", "2020-07-16"), ("valid", "safeguard", None)}
    before_dpf = library.run(library.get("transfers-without-valid-basis"), wolkenwerk, as_of=dt.date(2023, 7, 9), lang="fr")
    [card] = md_rows(before_dpf, "fr")
    assert "| non valide | non valide | pas valable avant le 2023-07-10 |" in card


@pytest.mark.filterwarnings("ignore:the record describes no processing activity")
def test_a_transfer_with_no_basis_says_so_in_words(tmp_path):
    record = tmp_path / "nobasis.ttl"
    record.write_text("""@prefix ex: <https://example.org/nobasis/> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:shop a dpv:LegalEntity ; rdfs:label "Winkel"@nl .
ex:host a dpv:LegalEntity ; rdfs:label "Host"@nl .
ex:t a dpv:CrossBorderTransfer ; rdfs:label "Naar de host"@nl ; dpv:hasDataExporter ex:shop ; dpv:hasDataImporter ex:host ;
    dpv:hasThirdCountry loc:BR .
""", encoding="utf-8")
    results = library.run(library.get("transfers-without-valid-basis"), ropa.load([record]), as_of=AS_OF, lang="nl")
    assert [(r["status"], r["reason"]) for r in results.records(lang="nl")] == [("onbekend", "geen grondslag gedocumenteerd")]
    assert json.loads(results.render("json"))["rows"][0]["reason"] == "none"


def test_retention_is_said_in_words_never_as_an_iso_duration(bundled, wolkenwerk, hospital):
    shorter = library.run(library.get("retention-longer-than"), wolkenwerk, params={"period": "P3M"}, lang="de")
    kept = {r["activityLabel"]: r["kept"] for r in shorter.records(lang="de")}
    assert kept["Bewerbungsverfahren"] == "6 Monate nach der Erreichung des Zwecks"
    dutch = library.run(library.get("retention-longer-than"), wolkenwerk, params={"period": "P3M"}, lang="nl")
    assert "6 maanden na het bereiken van het doel" in dutch.render("md", lang="nl")
    assert "10 jaar" in {r["kept"] for r in dutch.records(lang="nl")}
    [recruitment] = [r for r in json.loads(shorter.render("json"))["rows"] if r["kept"] == "after_event"]
    assert recruitment["keptPeriod"] == "P6M"   # JSON keeps the code and the ISO 8601 duration
    bundled_nl = library.run(library.get("retention-longer-than"), bundled, lang="nl").records(lang="nl")
    assert ("(alle verwerkingen)", "geen einde vermeld") in {(r["activityLabel"], r["kept"]) for r in bundled_nl}
    assert "10 jaar na het einde van de contractuele relatie" in {r["kept"] for r in bundled_nl}
    per_category = library.run(library.get("retention-per-category"), bundled, params={"entity": "dst:ozmo"}, lang="fr")
    assert {"6 mois", "Entre 30 jours et 1 an", "aucune fin indiquée"} <= {r["retention"] for r in per_category.records(lang="fr")}
    french = library.run(library.get("retention-per-category"), hospital, lang="fr").records(lang="fr")
    assert "20 ans" in {r["retention"] for r in french}
    rights = library.run(library.get("rights-and-response-times"), hospital, lang="nl").records(lang="nl")
    assert (rights[0]["responseTime"], rights[0]["extendedResponseTime"]) == ("1 maand", "3 maanden")


ISO_DURATION = re.compile(r"(?<![\w/])P\d+[YMWD]\b")


@pytest.fixture(scope="module")
def school(school_workbook, tmp_path_factory):
    """The Dutch school's workbook as a record: its labels are Dutch only."""
    from ropa.workbook import write_import

    folder = tmp_path_factory.mktemp("school")
    write_import(school_workbook, folder)
    return ropa.load([folder])


def test_a_record_labelled_in_its_own_language_only_is_named_by_those_labels(school):
    rows = library.run(library.get("activities-per-legal-basis"), school, lang="fr").records(lang="fr")
    activities = "; ".join(r["activitiesLabel"] for r in rows)
    assert "Nieuwsbrief aan ouders" in activities and "://" not in activities   # not the IRI, nor English
    assert {r["entityLabel"] for r in rows} == {"Openbare basisschool De Kastanjelaar"}
    assert {r["basisLabel"] for r in rows} >= {"Consentement"}   # the vocabulary speaks French


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_no_question_shows_people_an_iri_an_iso_duration_or_an_english_code(bundled, hospital, school, lang):
    english = library._catalogue("en")
    phrases = library._catalogue(lang)
    untranslated = {text for key, text in english.items() if key.startswith(("query.code.", "basis.reason.", "retention."))
                    and phrases.get(key) != text and "{" not in text}
    for graph in (bundled, hospital, school):
        for query in library.library():
            params = {p.name: "any" for p in query.params if p.required}
            results = library.run(query, graph, params=params, as_of=AS_OF, lang=lang)
            for record in results.records(lang=lang):
                for column, text in record.items():
                    assert "://" not in text, (query.name, column, text)
                    assert not ISO_DURATION.search(text), (query.name, column, text)
                    assert text not in untranslated, (query.name, column, text)

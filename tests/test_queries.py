"""The query library: every question answered correctly on the bundled data, parameters bound safely, the same
answers embedded and on a real Oxigraph server, and a cookbook that never goes stale.

Expected answers are worked out from the data files themselves: rdflib parses them and plain Python walks the
triples (no SPARQL), so a query is checked against an independent reading of the record, not against itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import RDF, RDFS, SKOS
from typer.testing import CliRunner

import ropa
from ropa import query as library
from ropa import resources
from ropa.cli import app
from ropa.cookbook import COOKBOOK_AS_OF, cookbook
from ropa.namespaces import PREFIXES
from servers import free_port, stop, wait_until_answering

REPOSITORY = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 1, 1)
INJECTIONS = ('x" } ; DROP ALL ; #', "<http://evil> . ?s ?p ?o")
runner = CliRunner()

DPV = rdflib.Namespace(PREFIXES["dpv"])
ROPA = rdflib.Namespace(PREFIXES["ropa"])
GDPR = rdflib.Namespace(PREFIXES["eu-gdpr"])
DST = rdflib.Namespace(PREFIXES["dst"])
DCT = rdflib.Namespace(PREFIXES["dct"])


# --- An independent reading of the data files ----------------------------------------------------------------

@pytest.fixture(scope="session")
def files() -> rdflib.Graph:
    """The bundled record as rdflib reads it from the files: data, reference data and vocabulary."""
    graph = rdflib.Graph()
    for path in resources.vocabulary_files() + resources.reference_files() + resources.bundled_data_files():
        graph.parse(path, format="turtle")
    return graph


def narrower(graph: rdflib.Graph, concept) -> set:
    """The concept and everything below it (skos:broader walked upwards from each node)."""
    return set(graph.transitive_subjects(SKOS.broader, concept))


def activities(graph: rdflib.Graph) -> set:
    return set(graph.subjects(RDF.type, DPV.Process))


def recorded_by(graph: rdflib.Graph, activity):
    return graph.value(activity, ROPA.recordedBy)


def english(graph: rdflib.Graph, node) -> str:
    """The node's rdfs:label in English."""
    return next(str(label) for label in graph.objects(node, RDFS.label) if label.language == "en")


def column(results: library.Results, name: str) -> list[str | None]:
    index = results.columns.index(name)
    return [row[index].value if row[index] is not None else None for row in results.rows]


def records(results: library.Results) -> list[dict[str, str | None]]:
    return [dict(zip(results.columns, (t.value if t is not None else None for t in row))) for row in results.rows]


def run(name: str, graph, **options) -> library.Results:
    return library.run(library.get(name), graph, **options)


# --- The library ----------------------------------------------------------------------------------------------

def test_every_query_has_a_readable_header_naming_its_article():
    queries = library.library()
    assert len(queries) >= 14
    for query in queries:
        assert query.title and query.answers, query.name
        assert "Art." in query.article, query.name
        assert query.param("lang") is not None, query.name
        assert set(query.example) <= {p.name for p in query.params}, query.name
        for param in query.params:
            uses = f"${param.name}" in query.body
            assert uses or (param.name == "as_of" and "findings" in query.needs), f"{query.name}: ${param.name} unused"
            assert not param.required or param.name in query.example, f"{query.name}: no example for {param.name}"


def test_a_header_declares_parameters_with_type_and_default():
    query = library.parse_query(
        "# title: T\n# answers: A question\n#   over two lines.\n# article: Art. 30\n"
        "# param: since (date, default: 2024-01-01) the first day\n# needs: findings\n# example: since=2025-01-01\n"
        "SELECT * WHERE { ?s ?p ?o }\n",
        "probe",
    )
    assert query.answers == "A question over two lines."
    assert query.params == (library.Param("since", "date", "2024-01-01", "the first day"),)
    assert query.needs == ("findings",)
    assert query.example == {"since": "2025-01-01"}
    with pytest.raises(ropa.RopaError, match="bad parameter declaration"):
        library.parse_query("# param: x (colour, default: red)\nSELECT * WHERE {}", "bad")


def test_a_required_parameter_must_be_given(bundled):
    query = library.parse_query("# param: who (IRI, required) the party\n# example: who=dst:ozmo\n"
                                "SELECT ?a WHERE { ?a ropa:recordedBy $who }", "probe")
    assert query.params[0].required and query.params[0].default is None
    with pytest.raises(ropa.RopaError, match="needs the party: give it with --param who=dst:ozmo, or --param who=any"):
        library.bind(query)
    assert library.bind(query, {"who": "any"}) == {"who": None}
    result = runner.invoke(app, ["query", "activities-of-controller"])
    assert result.exit_code == 2 and "needs the controller: give it with --param controller=" in result.stderr
    # what is missing in words, with the record's own controllers to choose from
    assert "the record's controllers: " in result.stderr and "dst:ozmo (OZMO by Destiny)" in result.stderr
    saas = runner.invoke(app, ["query", "activities-of-controller", str(REPOSITORY / "examples" / "wolkenwerk")])
    assert saas.exit_code == 2 and "--param controller=ww:" in saas.stderr
    assert "ww:wolkenwerk (Wolkenwerk GmbH)" in saas.stderr and "dst:" not in saas.stderr
    listed = json.loads(runner.invoke(app, ["queries", "--format", "json"]).stdout)
    [controller] = [p for q in listed if q["name"] == "activities-of-controller" for p in q["params"]
                    if p["name"] == "controller"]
    assert controller["required"] is True


def test_the_queries_ship_inside_the_package():
    assert library.QUERY_DIR == Path(library.__file__).resolve().parent / "queries"
    assert {q.path.parent for q in library.library()} == {library.QUERY_DIR}


# --- Each question answered on the bundled data ---------------------------------------------------------------

def test_activities_of_controller(bundled, files):
    results = run("activities-of-controller", bundled, params={"controller": "any"})
    expected = {(str(recorded_by(files, a)), str(a)) for a in activities(files)
                if (a, ROPA.role, ROPA.ControllerRole) in files}
    assert set(zip(column(results, "controller"), column(results, "activity"))) == expected
    for row in records(results):
        activity = rdflib.URIRef(row["activity"])
        purposes = {str(p) for p in files.objects(activity, DPV.hasPurpose)}
        bases = {str(b) for b in files.objects(activity, DPV.hasLegalBasis)}
        assert set(filter(None, (row["purposes"] or "").split(", "))) == purposes
        assert set(filter(None, (row["legalBases"] or "").split(", "))) == bases
    [recruitment] = [r for r in records(results) if r["activity"] == str(DST["proximus-recruitment"])]
    assert recruitment["controllerLabel"] == english(files, DST["proximus-ict"])
    assert recruitment["legalBasesLabel"] == "Legitimate interests of the controller"  # rdfs:label@en of the basis


def test_activities_of_one_controller_in_dutch(bundled, files):
    results = run("activities-of-controller", bundled, params={"controller": "dst:ozmo"}, lang="nl")
    expected = {str(a) for a in files.subjects(ROPA.recordedBy, DST.ozmo)
                if (a, ROPA.role, ROPA.ControllerRole) in files}
    assert set(column(results, "activity")) == expected
    dutch = {str(a): str(label) for a in files.subjects(ROPA.recordedBy, DST.ozmo)
             for label in files.objects(a, RDFS.label) if label.language == "nl"}
    for row in records(results):
        assert row["activityLabel"] == dutch.get(row["activity"], row["activityLabel"])
    assert any(row["activityLabel"] in dutch.values() for row in records(results))


def receivers(files: rdflib.Graph, activity) -> set[str]:
    """Who receives an activity's data, read from the files (see recipients-of-data-category.rq)."""
    entity = recorded_by(files, activity)
    found = set()
    for relation in (DPV.hasRecipient, DPV.hasDataProcessor, ROPA.usesServiceProvider, ROPA.engagesProcessor,
                     ROPA.hasSubProcessor):
        found |= set(files.objects(activity, relation))
    for relation in (ROPA.usesServiceProvider, ROPA.engagesProcessor, ROPA.hasSubProcessor):
        found |= set(files.objects(entity, relation))
    for relation in (DPV.hasDataProcessor, ROPA.engagesProcessor, ROPA.hasSubProcessor):
        for processor in files.objects(activity, relation):
            found |= set(files.transitive_objects(processor, ROPA.hasSubProcessor)) - {processor}
    return {str(r) for r in found - {entity}}


def test_recipients_of_traffic_data(bundled, files):
    results = run("recipients-of-data-category", bundled, params={"category": "ropa:TrafficData"})
    traffic = narrower(files, ROPA.TrafficData)
    concerned = {a for a in activities(files) if set(files.objects(a, DPV.hasPersonalData)) & traffic}
    expected = {(r, str(a)) for a in concerned for r in receivers(files, a)}
    assert set(zip(column(results, "receiver"), column(results, "activity"))) == expected
    microsoft = [r for r in records(results) if r["receiver"] == str(DST.microsoft)]
    assert microsoft and all(r["relation"] == str(ROPA.hasSubProcessor) for r in microsoft)
    assert all(r["entity"] == str(DST["destiny-nv"]) for r in microsoft)


def test_recipients_of_call_detail_records(bundled, files):
    results = run("recipients-of-data-category", bundled, params={"category": "ropa:CallDetailRecord"})
    cdr = narrower(files, ROPA.CallDetailRecord)
    concerned = {str(a) for a in activities(files) if set(files.objects(a, DPV.hasPersonalData)) & cdr}
    assert set(column(results, "activity")) == concerned
    [ozmo] = [r for r in records(results) if r["receiver"] == str(DST["ozmo-third-party-servers"])]
    assert "Call detail record (CDR)" in ozmo["dataLabel"]


def test_transfers_outside_the_eea_with_their_basis_judged_at_a_date(bundled, files):
    results = run("transfers-outside-eea", bundled, as_of=AS_OF)
    transfers = set(files.subjects(RDF.type, DPV.CrossBorderTransfer))
    expected = {(str(t), str(b)) for t in transfers for b in files.objects(t, DPV.hasLegalBasis)}
    assert set(zip(column(results, "transfer"), column(results, "basis"))) == expected
    judged = {row["basis"]: (row["basisStatus"], row["reason"], row["reasonDate"]) for row in records(results)}
    until = files.value(ROPA.PrivacyShield, ROPA.validUntil).toPython()
    assert until < AS_OF
    # codes, not English: the reader's language words them (basis.reason.ended: "no valid basis after {date}")
    assert judged[str(ROPA.PrivacyShield)] == ("invalid", "ended", until.isoformat())
    assert judged[str(GDPR["A46-2-c"])] == ("valid", "safeguard", None)
    # one verdict per transfer: the clauses carry it beside the invalidated Privacy Shield
    assert {row["status"] for row in records(results)} == {"valid"}
    before = run("transfers-outside-eea", bundled, as_of=files.value(ROPA.PrivacyShield, ROPA.validFrom).toPython()
                 - dt.timedelta(days=1))
    starts = files.value(ROPA.PrivacyShield, ROPA.validFrom).toPython().isoformat()
    assert {r["basis"]: (r["basisStatus"], r["reason"], r["reasonDate"]) for r in records(before)}[str(ROPA.PrivacyShield)] \
        == ("invalid", "not_yet", starts)


def test_transfers_without_a_valid_basis_are_the_rows_whose_verdict_is_not_valid(bundled, wolkenwerk):
    every = records(run("transfers-outside-eea", bundled, as_of=AS_OF))
    problems = records(run("transfers-without-valid-basis", bundled, as_of=AS_OF))
    assert problems == [r for r in every if r["status"] != "valid"]
    assert problems == []  # Dstny DK's transfer rests on the standard contractual clauses, valid on that day
    # Wolkenwerk's card payments rest on the Data Privacy Framework only: no basis before it took effect.
    before_dpf = records(run("transfers-without-valid-basis", wolkenwerk, as_of=dt.date(2023, 7, 9)))
    assert [(r["transferLabel"], r["status"]) for r in before_dpf] == [
        ("Payment card details to Coinrail in the United States", "invalid")]
    assert records(run("transfers-without-valid-basis", wolkenwerk, as_of=dt.date(2023, 7, 10))) == []


def test_activities_relying_on_consent(bundled, files):
    results = run("consent-activities", bundled)
    consent = narrower(files, GDPR["A6-1-a"])
    expected = {(str(a), str(b)) for a in activities(files) for b in files.objects(a, DPV.hasLegalBasis) if b in consent}
    assert set(zip(column(results, "activity"), column(results, "basis"))) == expected
    [proximus] = [r for r in records(results) if r["activity"] == str(DST["proximus-direct-marketing"])]
    assert proximus["withdrawal"] == str(files.value(DST["proximus-direct-marketing"], ROPA.withdrawalMeans))


def test_legitimate_interests_without_an_assessment(bundled, files):
    results = run("legitimate-interest-without-assessment", bundled)
    interests = narrower(files, GDPR["A6-1-f"])
    expected = set()
    for a in activities(files):
        if (a, ROPA.role, ROPA.ControllerRole) not in files:
            continue
        assessed = any((m, RDF.type, DPV.LegitimateInterestAssessment) in files
                       for p in (DPV.hasImpactAssessment, DPV.hasOrganisationalMeasure) for m in files.objects(a, p))
        expected |= {str(a) for b in files.objects(a, DPV.hasLegalBasis) if b in interests and not assessed}
    assert set(column(results, "activity")) == expected
    assert str(DST["proximus-security-fraud"]) in expected


def test_retention_per_category(bundled, files):
    results = run("retention-per-category", bundled)
    rows = {(r["entity"], r["data"], r["retention"], r["retentionPeriod"]) for r in records(results)}
    checked = 0
    for activity in activities(files):
        for rule in files.objects(activity, DPV.hasStorageCondition):
            value = files.value(files.value(rule, DPV.hasDuration), RDF.value)
            if value is None:
                continue
            applies = set(files.objects(rule, ROPA.appliesToData))
            for data in files.objects(activity, DPV.hasPersonalData):
                if not applies or any(data in narrower(files, a) for a in applies):
                    assert (str(recorded_by(files, activity)), str(data), "fixed", str(value)) in rows
                    checked += 1
    assert checked > 20
    [cdr] = [r for r in records(results) if r["entity"] == str(DST.ozmo) and r["data"] == str(ROPA.CallDetailRecord)
             and r["retentionPeriod"] == "P6M"]
    assert cdr["rules"] == english(files, DST["ret-ozmo-cdr-financial"])
    organisation_wide = {(r["entity"], r["retention"]) for r in records(results) if r["data"] == str(DPV.PersonalData)}
    assert (str(DST["destiny-nv"]), "no_end") in organisation_wide   # no period (dpv:IndeterminateDuration)


def test_activities_with_no_retention(bundled, files):
    results = run("activities-without-retention", bundled)
    expected = {str(a) for a in activities(files) if (a, DPV.hasStorageCondition, None) not in files}
    assert set(column(results, "activity")) == expected
    [row] = [r for r in records(results) if r["activity"] == str(DST["dstny-be-newsletter"])]
    assert english(files, DST["ret-dstny-be-not-longer-than-necessary"]) in row["organisationRetention"]


def test_national_identification_numbers_and_special_categories(bundled, files):
    results = run("national-id-and-special-category", bundled)
    sensitive = narrower(files, ROPA.NationalIdentificationNumber)
    for special in files.subjects(RDF.type, DPV.SpecialCategoryPersonalData):
        sensitive |= narrower(files, special)
    processed = {(str(recorded_by(files, a)), str(d), "processed") for a in activities(files)
                 for d in files.objects(a, DPV.hasPersonalData) if d in sensitive}
    stated = {(str(e), str(d), "stated-not-processed") for e, d in files.subject_objects(ROPA.statesNotProcessed)
              if d in sensitive}
    assert set(zip(column(results, "entity"), column(results, "data"), column(results, "status"))) == processed | stated
    assert (str(DST["proximus-ict"]), str(ROPA.BelgianNationalRegisterNumber), "processed") in processed


def test_processors_of_an_entity_with_location_and_agreement(bundled, files):
    results = run("processors-of-entity", bundled, params={"entity": "dst:destiny-nv"})
    destiny = DST["destiny-nv"]
    expected = {str(p) for p in files.objects(destiny, ROPA.hasSubProcessor)}
    for activity in files.subjects(ROPA.recordedBy, destiny):
        for relation in (DPV.hasDataProcessor, ROPA.usesServiceProvider, ROPA.engagesProcessor, ROPA.hasSubProcessor):
            expected |= {str(p) for p in files.objects(activity, relation) if p != destiny}
    assert set(column(results, "provider")) == expected
    [microsoft] = [r for r in records(results) if r["provider"] == str(DST.microsoft)]
    assert microsoft["headquarters"] == str(files.value(DST.microsoft, ROPA.headquarteredIn))
    assert microsoft["headquartersInEEA"] == "no"
    assert (DST.microsoft, ROPA.agreementRequired, rdflib.Literal(True)) in files
    assert (DST.microsoft, ROPA.hasAgreement, None) not in files
    assert microsoft["agreement"] == "required-not-documented"
    assert microsoft["authorisation"] == "not-documented"


def test_shared_processors(bundled, tmp_path):
    assert run("shared-processors", bundled).rows == []  # each statement names its own providers
    extra = tmp_path / "shared.ttl"
    extra.write_text("@prefix dst: <https://w3id.org/ropa/destiny/> .\n@prefix ropa: <https://w3id.org/ropa/vocab#> .\n"
                     "dst:ozmo ropa:engagesProcessor dst:microsoft .\n", encoding="utf-8")
    graph = ropa.load(resources.bundled_data_files() + [extra])
    [row] = records(run("shared-processors", graph))
    assert row["provider"] == str(DST.microsoft)
    assert row["organisations"] == "2"
    assert row["entitiesLabel"] == "Destiny NV (Dstny), OZMO by Destiny"
    assert len(run("shared-processors", bundled, params={"min_entities": "1"}).rows) > 10


def test_data_subjects_affected_by_a_processor_breach(bundled, files):
    results = run("breach-impact", bundled, params={"processor": "dst:microsoft"})
    destiny = DST["destiny-nv"]   # Microsoft is a sub-processor Destiny NV names for all its processing
    counts = Counter(str(s) for a in files.subjects(ROPA.recordedBy, destiny) for s in set(files.objects(a, DPV.hasDataSubject)))
    assert {(r["entity"], r["subject"], int(r["activities"])) for r in records(results)} == {
        (str(destiny), subject, n) for subject, n in counts.items()}


def test_activities_changed_since(bundled, files):
    results = run("activities-changed-since", bundled, params={"since": "2024-01-01"})
    changed = {d for d in files.subjects(DCT.modified, None) if files.value(d, DCT.modified).toPython() >= dt.date(2024, 1, 1)}
    expected = {str(a) for a in activities(files)
                if any(files.value(q, ROPA.inDocument) in changed for q in files.objects(a, ROPA.source))}
    assert expected and set(column(results, "activity")) == expected
    assert set(column(results, "changed")) == {str(files.value(DST["doc-004"], DCT.modified))}
    assert run("activities-changed-since", bundled, params={"since": "2030-01-01"}).rows == []


def test_activities_changed_by_validity_dates():
    fixture = REPOSITORY / "tests" / "fixtures" / "flows" / "validity.ttl"
    dated = rdflib.Graph().parse(fixture, format="turtle")
    since = dt.date(2025, 1, 1)
    days = defaultdict(set)   # every date an activity, one of its links or one of its organisation's links changes
    for activity in activities(dated):
        for prop in (ROPA.validFrom, ROPA.validUntil):
            days[activity] |= {d.toPython() for d in dated.objects(activity, prop)}
            for subject in (activity, recorded_by(dated, activity)):
                for fact in dated.subjects(RDF.subject, subject):
                    days[activity] |= {d.toPython() for d in dated.objects(fact, prop)}
    expected = {str(a): max(d).isoformat() for a, d in days.items() if d and max(d) >= since}
    results = run("activities-changed-since", ropa.load([fixture]), params={"since": since.isoformat()})
    assert {r["activity"]: r["changed"] for r in records(results)} == expected
    assert expected["https://example.org/globex/new-service"] == "2026-01-01"


def test_activities_from_a_seed(bundled, files):
    results = run("activities-from-seed", bundled, params={"seed": "003"})
    [document] = [d for d, name in files.subject_objects(ROPA.fileName) if str(name).startswith("003")]
    quotes = set(files.subjects(ROPA.inDocument, document))
    support = defaultdict(set)
    for a in activities(files):
        support[a] |= set(files.objects(a, ROPA.source)) & quotes
        for fact in files.subjects(RDF.subject, a):
            support[a] |= set(files.objects(fact, ROPA.source)) & quotes
    expected = {str(a): len(q) for a, q in support.items() if q}
    assert {r["activity"]: int(r["quotes"]) for r in records(results)} == expected
    assert set(column(results, "fileName")) == {str(files.value(document, ROPA.fileName))}


def test_open_gaps_per_entity_count_the_validation_findings(bundled):
    from ropa.validate import validate

    results = run("open-gaps-per-entity", bundled, as_of=AS_OF)
    report = validate(bundled, as_of=AS_OF)
    owner = {r["a"]: r["o"] for r in bundled.select("SELECT ?a ?o WHERE { ?a ropa:recordedBy ?o }")}
    expected = Counter((owner.get(f.entity, f.entity), f.severity) for f in report.findings)
    for row in records(results):
        assert row["judgedOn"] == AS_OF.isoformat()
        for severity, name in (("violation", "violations"), ("warning", "warnings"), ("info", "infos")):
            assert int(row[name]) == expected[(row["entity"], severity)]
    assert {r["entity"] for r in records(results)} == {e for e, _ in expected}
    assert not bundled.store.contains_named_graph(library.FINDINGS_GRAPH)  # taken out after the query


# --- Parameters: types, injection, errors ---------------------------------------------------------------------

def quads(graph) -> int:
    return sum(1 for _ in graph.store.quads_for_pattern(None, None, None, None))


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_into_a_string_parameter_is_a_literal(bundled, value):
    before = quads(bundled)
    query = library.get("activities-from-seed")
    sparql = library.prepare(query, library.bind(query, {"seed": value}))
    assert str(ox.Literal(value)) in sparql   # the value sits in the query as one escaped literal
    assert run("activities-from-seed", bundled, params={"seed": value}).rows == []
    assert quads(bundled) == before


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("name, param", [("activities-of-controller", "controller"),
                                         ("recipients-of-data-category", "category")])
def test_injection_into_an_iri_parameter_is_rejected(bundled, name, param, value):
    before = quads(bundled)
    with pytest.raises(ropa.RopaError, match=f"parameter {param} must be an IRI"):
        run(name, bundled, params={param: value})
    assert quads(bundled) == before


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_through_the_command_is_rejected_with_exit_2(value):
    result = runner.invoke(app, ["query", "activities-of-controller", "--param", f"controller={value}"])
    assert result.exit_code == 2
    assert "must be an IRI" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    result = runner.invoke(app, ["query", "activities-of-controller", "--param", "controller=dst:ozmo", "--lang", value])
    assert result.exit_code == 2 and "language tag" in result.stderr


def test_an_iri_parameter_takes_a_prefixed_name_or_a_full_iri(bundled):
    short = run("activities-of-controller", bundled, params={"controller": "dst:ozmo"})
    full = run("activities-of-controller", bundled, params={"controller": f"<{DST.ozmo}>"})
    assert short.rows == full.rows and short.rows
    with pytest.raises(ropa.RopaError, match="since must be a date"):
        run("activities-changed-since", bundled, params={"since": "any"})  # any only for IRI parameters


def test_as_of_queries_the_record_as_it_stood_on_that_date():
    """Activities carry validity dates: --as-of leaves out what was not valid on the date, for every query."""
    fixture = str(Path(__file__).parent / "fixtures" / "flows" / "validity.ttl")
    labels = {}
    for date in ("2024-06-01", "2026-06-01"):
        result = runner.invoke(app, ["query", "activities-of-controller", fixture, "--param", "controller=any",
                                     "--as-of", date, "--format", "json"])
        assert result.exit_code == 0, result.output
        labels[date] = {row["activityLabel"] for row in json.loads(result.stdout)["rows"]}
    assert "2024 campaign" in labels["2024-06-01"]
    assert "2024 campaign" not in labels["2026-06-01"]


@pytest.mark.parametrize("args, message", [
    (["query", "shared-processors", "--param", "min_entities=two"], "parameter min_entities must be an integer, not 'two'"),
    (["query", "activities-changed-since", "--param", "since=13/06/2024"], "parameter since must be a date, YYYY-MM-DD"),
    (["query", "transfers-outside-eea", "--as-of", "yesterday"], "--as-of 'yesterday' is not a date"),
    (["query", "consent-activities", "--param", "colour=red"], "has no parameter 'colour'"),
    (["query", "consent-activites"], "did you mean consent-activities?"),
    (["query", "--sparql", "DROP ALL"], "does not parse"),
    (["query", "--sparql", "SELECT ?s WHERE { ?s ?p }"], "does not parse"),
])
def test_wrong_input_is_one_line_and_exit_2(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


# --- Output -----------------------------------------------------------------------------------------------------

def test_formats_and_iris():
    as_json = json.loads(runner.invoke(app, ["query", "consent-activities", "--format", "json"]).stdout)
    assert as_json["columns"] == ["entityLabel", "activityLabel", "basisLabel", "withdrawal", "withdrawalScope"]
    with_iris = json.loads(runner.invoke(app, ["query", "consent-activities", "--format", "json", "--iris"]).stdout)
    assert with_iris["columns"][:2] == ["entity", "entityLabel"]
    assert with_iris["rows"][0]["entity"].startswith("https://w3id.org/ropa/destiny/")
    csv_text = runner.invoke(app, ["query", "consent-activities", "--format", "csv"]).stdout
    assert csv_text.splitlines()[0] == "entityLabel,activityLabel,basisLabel,withdrawal,withdrawalScope"
    assert len(csv_text.splitlines()) == len(as_json["rows"]) + 1
    table = runner.invoke(app, ["query", "consent-activities"])
    assert table.exit_code == 0 and "Recruitment reserve" in table.stdout


def test_markdown_escapes_table_syntax():
    results = library.Results(["a", "b"], [(ox.Literal("x | y"), ox.Literal("<b>*z*</b>\nnext"))])
    line = results.render("md").splitlines()[2]
    assert line == r"| x \| y | &lt;b&gt;\*z\*&lt;/b&gt; next |"


def test_adhoc_sparql_with_ropa_prefixes(bundled):
    result = runner.invoke(app, ["query", "--sparql", "SELECT (COUNT(?a) AS ?n) WHERE { ?a a dpv:Process }", "-f", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["rows"] == [{"n": len(activities_of(bundled))}]


def activities_of(graph) -> list[str]:
    return [r["a"] for r in graph.select("SELECT DISTINCT ?a WHERE { ?a a dpv:Process }")]


def test_queries_lists_the_library():
    listed = json.loads(runner.invoke(app, ["queries", "--format", "json"]).stdout)
    assert [q["name"] for q in listed] == [q.name for q in library.library()]
    transfers = next(q for q in listed if q["name"] == "transfers-outside-eea")
    assert transfers["params"][0] == {"name": "as_of", "type": "date", "default": "today",
                                      "description": "the date at which each transfer is judged", "required": False}
    assert "transfers-outside-eea" in runner.invoke(app, ["queries"]).stdout


# --- The cookbook ----------------------------------------------------------------------------------------------

def test_the_committed_cookbook_is_current():
    committed = (REPOSITORY / "docs" / "cookbook.md").read_text(encoding="utf-8")
    assert committed == cookbook(as_of=COOKBOOK_AS_OF), "regenerate it: ropa cookbook -o docs/cookbook.md"


def test_the_cookbook_has_every_question_its_sparql_and_the_model():
    page = (REPOSITORY / "docs" / "cookbook.md").read_text(encoding="utf-8")
    assert "```mermaid" in page
    for query in library.library():
        assert f"ropa query {query.name}" in page
        assert query.body in page


# --- A real SPARQL server ----------------------------------------------------------------------------------------

def oxigraph_command() -> str | None:
    beside = Path(sys.executable).with_name("oxigraph")
    return str(beside) if beside.exists() else shutil.which("oxigraph")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An Oxigraph server on a free loopback port, ready to answer, stopped (and its data removed) afterwards."""
    command = oxigraph_command()
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("the oxigraph server is missing: pip install '.[test]'")
        pytest.skip("the oxigraph server is not installed (pip install '.[test]')")
    folder = tmp_path_factory.mktemp("oxigraph")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen([command, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"],
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_answering(process, f"{base}/query?query=ASK%7B%7D", folder / "server.log", timeout=30)
        yield base
    finally:
        stop(process, log)


GRAPH = "urn:ropa:test-record"


@pytest.fixture(scope="module")
def pushed(server, bundled):
    count = library.push(bundled, f"{server}/store", GRAPH, as_of=AS_OF)
    assert count > len(bundled)   # the record and its findings
    return server


def remote_count(server: str) -> int:
    results = library.select_remote("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", f"{server}/query")
    return int(results.rows[0][0].value)


@pytest.mark.parametrize("name", [q.name for q in library.library()])
def test_embedded_and_remote_answers_are_equal(pushed, bundled, name):
    query = library.get(name)
    options = {"as_of": AS_OF} if query.param("as_of") else {}
    options["params"] = {p.name: "any" for p in query.params if p.required}   # the broadest question
    embedded = library.run(query, bundled, **options)
    remote = library.run(query, endpoint=f"{pushed}/query", graph_iri=GRAPH, **options)
    assert remote.columns == embedded.columns
    assert remote.rows == embedded.rows   # row for row, term for term


def test_push_replaces_the_graph_in_one_request(pushed, bundled):
    count = remote_count(pushed)
    library.push(bundled, f"{pushed}/store", GRAPH, as_of=AS_OF)
    assert remote_count(pushed) == count


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_on_the_server_is_a_literal(pushed, value):
    before = remote_count(pushed)
    results = library.run(library.get("activities-from-seed"), params={"seed": value},
                          endpoint=f"{pushed}/query", graph_iri=GRAPH)
    assert results.rows == []
    assert remote_count(pushed) == before


def test_push_and_query_commands(pushed, tmp_path):
    result = runner.invoke(app, ["push", "--endpoint", f"{pushed}/store", "--graph", "urn:ropa:cli",
                                 "--as-of", AS_OF.isoformat(), "--no-findings"])
    assert result.exit_code == 0, result.output
    assert "pushed" in result.stderr
    result = runner.invoke(app, ["query", "transfers-outside-eea", "--as-of", AS_OF.isoformat(),
                                 "--endpoint", f"{pushed}/query", "--graph", "urn:ropa:cli", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert {r["status"] for r in rows} == {"valid"}  # the verdicts pushed with the record
    assert [r["basisLabel"] for r in rows if r["basisStatus"] != "valid"] == ["EU-U.S. Privacy Shield (invalidated)"]


def test_a_failing_endpoint_is_exit_2(pushed):
    result = runner.invoke(app, ["query", "consent-activities", "--endpoint", f"{pushed}/no-such-service"])
    assert result.exit_code == 2
    assert "answered HTTP 404" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_unreachable_endpoint_is_exit_2():
    closed = f"http://127.0.0.1:{free_port()}"
    for args in (["query", "consent-activities", "--endpoint", f"{closed}/query"],
                 ["push", "--endpoint", f"{closed}/store", "--graph", GRAPH, "--no-findings"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "cannot reach the endpoint" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1

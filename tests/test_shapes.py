"""The SHACL shapes: every check fails its fixture and passes the corrected one, the fast engine agrees with pyshacl,
and the bundled Destiny record reports the gaps its statements really have, each tied to its statement.

Fixtures live in tests/fixtures/shapes/: ``<Check>.fail.ttl`` (declares the focus node the check must report in a
``# focus: ex:...`` comment) and ``<Check>.pass.ttl`` (the same record with that one gap corrected). Other files there
(``<Check>.<case>.ttl``) are dated cases used by the as-of tests.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF, SH

import ropa
from ropa.validate import Finding, Report, load_shapes, shape_files, validate

AS_OF = dt.date(2026, 11, 28)
REPOSITORY = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"
DESTINY = REPOSITORY / "data" / "destiny"

RS = "https://w3id.org/ropa/shapes#"
EX = "https://example.org/"
DST = "https://w3id.org/ropa/destiny/"
DPV = "https://w3id.org/dpv#"
ROPA = "https://w3id.org/ropa/vocab#"

SEED_OF = {
    "destiny-nv": "000_fcc4f35d8b18e59c.txt",
    "dstny-dk": "001_c72aaf9619230fd6.txt",
    "ozmo": "002_cd5c2f5dbbc666e9.txt",
    "proximus-ict": "003_a5bcf5d453a98a8f.txt",
    "d-soft": "004_e41584eb31da3dfd.txt",
}


# --- The checks, discovered from the shapes graph -------------------------------------------------------------

SHAPES = load_shapes(shape_files())

# Shape parameters that select focus nodes or annotate results: a shape with nothing but these (a node shape that
# only groups property shapes) produces no results itself. Any other sh: parameter is a constraint.
_NOT_CONSTRAINTS = {
    SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target, SH.property, SH.path,
    SH.severity, SH.message, SH.name, SH.description, SH.order, SH.group, SH.deactivated, SH.prefixes, SH.declare,
}
_SEVERITIES = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}


def _checking_shapes(graph: rdflib.Graph) -> dict[str, rdflib.term.Node]:
    """Every active shape with a constraint of its own, by the name its findings carry (rs:<local name>)."""
    shapes = set(graph.subjects(RDF.type, SH.NodeShape)) | set(graph.subjects(RDF.type, SH.PropertyShape))
    shapes |= set(graph.objects(None, SH.property))
    found = {}
    for shape in shapes:
        if (shape, SH.deactivated, rdflib.Literal(True)) in graph:
            continue
        parameters = {p for p in graph.predicates(shape, None) if str(p).startswith(str(SH))}
        if not parameters - _NOT_CONSTRAINTS:
            continue
        name = str(shape).removeprefix(RS) if isinstance(shape, rdflib.URIRef) and str(shape).startswith(RS) else None
        found[name or f"<unnamed shape {shape.n3()}>"] = shape
    return found


CHECKS = _checking_shapes(SHAPES)


def expected_severity(check: str) -> str:
    """The shape's own sh:severity; SHACL 2.1.5: sh:Violation when unspecified (never inherited from a parent shape)."""
    return _SEVERITIES[SHAPES.value(CHECKS[check], SH.severity) or SH.Violation]


def declared_focus(path: Path) -> str:
    match = re.search(r"^# focus: ex:(\S+)$", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert match, f"{path.name} does not declare its focus node ('# focus: ex:...')"
    return EX + match.group(1)


@lru_cache(maxsize=None)
def fixture_report(name: str, as_of: dt.date = AS_OF) -> Report:
    return validate(ropa.load([FIXTURES / name]), as_of=as_of, engine="fast")


def of_check(report: Report, check: str) -> list[Finding]:
    return [f for f in report.findings if f.check == check]


def test_the_shapes_define_checks():
    assert len(CHECKS) >= 30
    unnamed = sorted(name for name in CHECKS if name.startswith("<"))
    assert not unnamed, f"shapes with constraints need an rs: IRI so findings can name them: {unnamed}"


def test_every_check_has_a_fixture_pair_and_every_fixture_a_check():
    missing = sorted(
        f"{check}.{kind}.ttl" for check in CHECKS for kind in ("fail", "pass") if not (FIXTURES / f"{check}.{kind}.ttl").is_file()
    )
    assert not missing, f"shapes without fixtures in {FIXTURES.relative_to(REPOSITORY)}: {missing}"
    orphans = sorted(p.name for p in FIXTURES.glob("*.ttl") if p.name.split(".")[0] not in CHECKS)
    assert not orphans, f"fixtures for checks that no shape defines: {orphans}"


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_failing_fixture_reports_its_check(check):
    path = FIXTURES / f"{check}.fail.ttl"
    assert path.is_file(), f"rs:{check} has no failing fixture {path.name}"
    focus = declared_focus(path)
    found = of_check(fixture_report(path.name), f"rs:{check}")
    assert found, f"{path.name} does not report rs:{check}"
    assert {f.focus for f in found} == {focus}
    assert {f.severity for f in found} == {expected_severity(check)}
    for finding in found:
        assert finding.message and "{?" not in finding.message and finding.article, finding


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_passing_fixture_does_not_report_its_check(check):
    path = FIXTURES / f"{check}.pass.ttl"
    assert path.is_file(), f"rs:{check} has no passing fixture {path.name}"
    assert of_check(fixture_report(path.name), f"rs:{check}") == []


# --- The fast engine agrees with pyshacl ----------------------------------------------------------------------

def _keys(report: Report) -> set[tuple]:
    return {f.key() for f in report.findings}


@pytest.fixture(scope="session")
def merged_fixtures(tmp_path_factory):
    """Every fixture in one graph, each in its own namespace (ex: -> https://example.org/<file stem>/).

    The fixtures share no node, so one pyshacl run over all of them answers for each one (pyshacl takes ~0.3 s per
    run, whatever the size of the data); test_merged_fixtures_report_what_each_fixture_reports checks that merging
    changes nothing.
    """
    folder = tmp_path_factory.mktemp("fixtures")
    for path in sorted(FIXTURES.glob("*.ttl")):
        text = path.read_text(encoding="utf-8")
        declaration = f"@prefix ex: <{EX}> ."
        assert text.count(declaration) == 1 and text.count(EX) == 1, f"{path.name}: use the ex: prefix for all data"
        (folder / path.name).write_text(text.replace(declaration, f"@prefix ex: <{EX}{path.stem}/> ."), encoding="utf-8")
    graph = ropa.load([folder])
    return {engine: validate(graph, as_of=AS_OF, engine=engine) for engine in ("fast", "pyshacl")}


def _by_fixture(report: Report) -> dict[str, set[tuple]]:
    grouped: dict[str, set[tuple]] = defaultdict(set)
    for focus, path, severity, check, value in _keys(report):
        assert focus.startswith(EX), focus
        stem, _, local = focus.removeprefix(EX).partition("/")
        value = value.replace(f"{EX}{stem}/", EX)
        grouped[stem].add((EX + local, path, severity, check, value))
    return grouped


def test_merged_fixtures_report_what_each_fixture_reports(merged_fixtures):
    merged = _by_fixture(merged_fixtures["fast"])
    for path in sorted(FIXTURES.glob("*.ttl")):
        assert merged.get(path.stem, set()) == _keys(fixture_report(path.name)), path.name


def test_engines_agree_on_every_fixture(merged_fixtures):
    assert merged_fixtures["fast"].engine == "fast" and merged_fixtures["pyshacl"].engine == "pyshacl"
    fast, reference = _by_fixture(merged_fixtures["fast"]), _by_fixture(merged_fixtures["pyshacl"])
    for path in sorted(FIXTURES.glob("*.ttl")):
        only_fast = fast.get(path.stem, set()) - reference.get(path.stem, set())
        only_pyshacl = reference.get(path.stem, set()) - fast.get(path.stem, set())
        assert not only_fast and not only_pyshacl, f"{path.name}: fast only {only_fast}; pyshacl only {only_pyshacl}"


@pytest.fixture(scope="session")
def bundled_report(bundled) -> Report:
    return validate(bundled, as_of=AS_OF, engine="fast")


@pytest.fixture(scope="session")
def bundled_reference_report(bundled) -> Report:
    """pyshacl on the bundled data (~9 s): once per session."""
    return validate(bundled, as_of=AS_OF, engine="pyshacl")


def test_engines_agree_on_the_bundled_data(bundled_report, bundled_reference_report):
    assert bundled_reference_report.engine == "pyshacl"
    fast, reference = _keys(bundled_report), _keys(bundled_reference_report)
    assert fast == reference, f"fast only: {sorted(fast - reference)}; pyshacl only: {sorted(reference - fast)}"
    assert len(fast) > 100


# --- The real gaps of the Destiny statements, each tied to its statement --------------------------------------

def _ask(graph, query: str) -> bool:
    return bool(graph.query(query))


def assert_from_seed(finding: Finding, entity: str) -> None:
    """The finding quotes the sentence its focus node was taken from, in the entity's own statement."""
    assert finding.source is not None, f"{finding.focus} has no source quote"
    assert finding.source.file == SEED_OF[entity], (finding.focus, finding.source)
    assert finding.source.quote and finding.source.section


def traced_quotes(graph, subject: str, predicate: str, value: str) -> list[dict]:
    """The quotes (and their seed files) that trace one fact of the record (an rdf:Statement with ropa:source)."""
    return graph.select(
        f"""SELECT ?quote ?file WHERE {{ ?st rdf:subject <{subject}> ; rdf:predicate <{predicate}> ; rdf:object <{value}> ;
                 ropa:source ?q . ?q ropa:quote ?quote ; ropa:inDocument/ropa:fileName ?file }}"""
    )


def test_dstny_dk_relies_on_the_invalidated_privacy_shield(bundled, bundled_report):
    found = of_check(bundled_report, "rs:InvalidatedTransferInstrument")
    assert [(f.focus, f.path, f.value) for f in found] == [
        (DST + "xfer-dstny-dk-subcontractors", DPV + "hasLegalBasis", ROPA + "PrivacyShield")
    ]
    finding = found[0]
    assert finding.severity == "violation"
    assert "Privacy Shield" in finding.message and "2020-07-16" in finding.message and str(AS_OF) in finding.message
    assert finding.entity == DST + "dstny-dk"
    assert _ask(bundled, f"ASK {{ dst:dstny-dk ropa:hasTransfer <{finding.focus}> }}")
    assert_from_seed(finding, "dstny-dk")
    quotes = traced_quotes(bundled, finding.focus, finding.path, finding.value)
    assert any("EU-U.S. Privacy Shield" in q["quote"] and q["file"] == SEED_OF["dstny-dk"] for q in quotes), quotes


def test_proximus_dpo_address_is_malformed(bundled, bundled_report):
    found = of_check(bundled_report, "rs:EmailAddress-form")
    assert [(f.focus, f.path, f.value) for f in found] == [
        (DST + "proximus-dpo", ROPA + "email", "dpo@proximus-ICT nv / sa.be")
    ]
    assert found[0].severity == "violation" and found[0].entity == DST + "proximus-ict"
    assert _ask(bundled, "ASK { dst:proximus-ict dpv:hasDataProtectionOfficer dst:proximus-dpo }")
    assert_from_seed(found[0], "proximus-ict")


def test_ozmo_purposes_have_no_legal_basis(bundled, bundled_report):
    ozmo = {
        r["a"] for r in bundled.select(
            "SELECT DISTINCT ?a WHERE { ?a ropa:recordedBy dst:ozmo ; ropa:role ropa:ControllerRole ; dpv:hasPurpose ?p }"
        )
    }
    assert len(ozmo) >= 5
    found = {f.focus: f for f in of_check(bundled_report, "rs:LawfulBasis")}
    assert ozmo <= set(found), f"OZMO activities without rs:LawfulBasis: {sorted(ozmo - set(found))}"
    for activity in ozmo:
        assert found[activity].severity == "violation" and found[activity].path == DPV + "hasLegalBasis"
        assert (found[activity].entity, found[activity].activity) == (DST + "ozmo", activity)
        assert_from_seed(found[activity], "ozmo")


def test_proximus_keeps_data_as_long_as_necessary_without_a_period(bundled, bundled_report):
    proximus = {
        r["a"] for r in bundled.select(
            "SELECT DISTINCT ?a WHERE { ?a ropa:recordedBy dst:proximus-ict ; ropa:role ropa:ControllerRole ; dpv:hasStorageCondition ?s }"
        )
    }
    assert len(proximus) >= 10
    assert _ask(bundled, "ASK { dst:ret-proximus-general dpv:hasDuration/rdf:type dpv:IndeterminateDuration }")
    found = {f.focus: f for f in of_check(bundled_report, "rs:RetentionWithoutPeriod")}
    assert proximus <= set(found), f"Proximus activities not reported: {sorted(proximus - set(found))}"
    for activity in proximus:
        assert found[activity].severity == "warning" and found[activity].entity == DST + "proximus-ict"
        assert_from_seed(found[activity], "proximus-ict")


NON_EEA_SUB_PROCESSORS = {
    "microsoft", "salesforce", "mitel", "equinix", "palo-alto", "symantec", "aruba-networks", "hubspot", "mimecast",
    "cisco",
}


def test_dstny_sub_processors_outside_the_eea_are_possible_undocumented_transfers(bundled, bundled_report):
    found = {f.focus: f for f in of_check(bundled_report, "rs:UndocumentedTransfer")}
    assert set(found) == {DST + name for name in NON_EEA_SUB_PROCESSORS}
    for name in ("wolters-kluwer", "jobtoolz", "teneo"):
        assert DST + name not in found
    microsoft = found[DST + "microsoft"]
    assert microsoft.severity == "warning" and "United States" in microsoft.message
    for focus, finding in found.items():
        assert finding.entity == DST + "destiny-nv"
        assert _ask(bundled, f"ASK {{ dst:destiny-nv ropa:hasSubProcessor <{focus}> }}")
        assert_from_seed(finding, "destiny-nv")


def test_proximus_collects_candidates_national_register_number(bundled, bundled_report):
    found = of_check(bundled_report, "rs:NationalIdentificationNumber")
    assert [(f.focus, f.path, f.value) for f in found] == [
        (DST + "proximus-recruitment", DPV + "hasPersonalData", ROPA + "BelgianNationalRegisterNumber")
    ]
    assert found[0].severity == "warning" and "Belgian national register number" in found[0].message
    assert found[0].entity == DST + "proximus-ict"
    assert _ask(bundled, "ASK { dst:proximus-recruitment ropa:recordedBy dst:proximus-ict ; dpv:hasDataSubject dpv:JobApplicant }")
    assert_from_seed(found[0], "proximus-ict")
    quotes = traced_quotes(bundled, found[0].focus, found[0].path, found[0].value)
    assert quotes and all(q["file"] == SEED_OF["proximus-ict"] for q in quotes)
    assert any("rijksregisternummer" in q["quote"] for q in quotes), quotes


def test_proximus_newsletter_marketing_rests_on_the_contract(bundled, bundled_report):
    found = [f for f in of_check(bundled_report, "rs:MarketingOnContract") if f.focus == DST + "proximus-newsletter"]
    assert {f.value for f in found} == {DPV + "Marketing", DPV + "Advertising"}
    for finding in found:
        assert finding.severity == "warning" and finding.path == DPV + "hasLegalBasis"
        assert (finding.entity, finding.activity) == (DST + "proximus-ict", DST + "proximus-newsletter")
        assert_from_seed(finding, "proximus-ict")
        quotes = traced_quotes(bundled, finding.focus, DPV + "hasLegalBasis",
                               "https://w3id.org/dpv/legal/eu/gdpr#A6-1-b-contract-performance")
        assert quotes and all(q["file"] == SEED_OF["proximus-ict"] for q in quotes)
    # Section 13's direct marketing, on consent, is not reported.
    assert DST + "proximus-direct-marketing" not in {f.focus for f in of_check(bundled_report, "rs:MarketingOnContract")}


def test_d_soft_uses_technical_processors_without_a_documented_agreement(bundled, bundled_report):
    found = of_check(bundled_report, "rs:ControllerProcessorAgreement")
    assert [(f.focus, f.path, f.value) for f in found] == [
        (DST + "dsoft-controller-processing", DPV + "hasDataProcessor", DST + "dsoft-recipient-technical-processors")
    ]
    assert found[0].severity == "violation" and found[0].article == "Art. 28(3)"
    assert (found[0].entity, found[0].activity) == (DST + "d-soft", DST + "dsoft-controller-processing")
    assert "Technical processors" in found[0].message
    assert_from_seed(found[0], "d-soft")
    # The statement makes the agreements a condition ("mits ..."), it does not say they are signed.
    quotes = bundled.select(
        """SELECT ?quote WHERE { ?st rdf:subject dst:dsoft-recipient-technical-processors ; rdf:predicate ropa:agreementRequired ;
             ropa:source/ropa:quote ?quote }""")
    assert quotes and all("verwerkersovereenkomsten" in q["quote"] for q in quotes)
    assert not _ask(bundled, "ASK { dst:dsoft-recipient-technical-processors ropa:hasAgreement ?a }")
    # No other controller's activity uses a processor: Dstny's sub-processors serve its processing for customers.
    assert {f.entity for f in found} == {DST + "d-soft"}


def test_no_destiny_statement_names_the_law_behind_its_legal_obligations(bundled, bundled_report):
    """Art. 6(3): the statements rest activities on "legal obligations", "applicable legislation" or "fiscale en
    sociaalrechtelijke verplichtingen" without naming a law, so every such activity stays a visible gap, traced to
    the statement that gives the basis; none is a violation (the processing may be lawful; the record cannot show it)."""
    obliged = {r["a"] for r in bundled.select(
        """SELECT DISTINCT ?a WHERE { ?a ropa:role ropa:ControllerRole ; dpv:hasLegalBasis ?b .
             { ?b skos:broader* eu-gdpr:A6-1-c } UNION { ?b skos:broader* eu-gdpr:A6-1-e } }""")}
    assert len(obliged) >= 10
    assert not bundled.select("SELECT ?a WHERE { ?a ropa:legalBasisLaw ?law }")
    found = {f.focus: f for f in of_check(bundled_report, "rs:LegalBasisLaw")}
    assert set(found) == obliged
    for activity, finding in found.items():
        assert finding.severity == "warning" and finding.article == "Art. 6(3)" and finding.path == ROPA + "legalBasisLaw"
        assert finding.activity == activity and finding.entity.removeprefix(DST) in SEED_OF, finding.entity
        assert_from_seed(finding, finding.entity.removeprefix(DST))


def test_findings_name_the_organisation_they_belong_to(bundled_report):
    expected = {
        ("rs:RecordKeeper-authority", DST + "ozmo"): (DST + "ozmo", None),
        ("rs:RecordKeeper-contact", DST + "proximus-ict"): (DST + "proximus-ict", None),
        ("rs:LawfulBasis", DST + "ozmo-cdr"): (DST + "ozmo", DST + "ozmo-cdr"),
        ("rs:UndocumentedTransfer", DST + "microsoft"): (DST + "destiny-nv", None),
        ("rs:EmailAddress-form", DST + "proximus-dpo"): (DST + "proximus-ict", None),
        ("rs:NationalIdentificationNumber", DST + "proximus-recruitment"): (DST + "proximus-ict", DST + "proximus-recruitment"),
    }
    named = {(f.check, f.focus): (f.entity, f.activity) for f in bundled_report.findings if (f.check, f.focus) in expected}
    assert named == expected


# --- A corrected copy of each gap passes ----------------------------------------------------------------------

ACTIVITIES_OF = """SELECT ?x WHERE { ?x ropa:recordedBy dst:%s }"""

CORRECTIONS = {
    "privacy-shield-replaced-by-2021-sccs": (
        "001-dstny-dk.ttl", [("ropa:PrivacyShield", "ropa:SCC-2021-914-EU", 2)],
        "rs:InvalidatedTransferInstrument", {DST + "xfer-dstny-dk-subcontractors"},
    ),
    "dpo-address-corrected": (
        "003-proximus-ict.ttl", [('ropa:email "dpo@proximus-ICT nv / sa.be"', 'ropa:email "dpo@proximus-ict.be"', 1)],
        "rs:EmailAddress-form", {DST + "proximus-dpo"},
    ),
    "ozmo-cdr-on-contract": (
        "002-ozmo.ttl", [("dst:ozmo-cdr a dpv:Process ;", "dst:ozmo-cdr a dpv:Process ;\n    dpv:hasLegalBasis eu-gdpr:A6-1-b ;", 1)],
        "rs:LawfulBasis", {DST + "ozmo-cdr"},
    ),
    "proximus-retention-five-years": (
        "003-proximus-ict.ttl",
        [("[ a dpv:IndeterminateDuration ;", '[ a dpv:TemporalDuration ; rdf:value "P5Y"^^xsd:duration ;', 1)],
        "rs:RetentionWithoutPeriod", "proximus-ict",
    ),
    "microsoft-data-in-belgium": (
        "000-destiny-nv.ttl",
        [("dst:microsoft a ropa:ServiceProvider , dpv:DataProcessor ;",
          "dst:microsoft a ropa:ServiceProvider , dpv:DataProcessor ;\n    ropa:dataLocation loc:BE ;\n"
          "    ropa:hasEstablishment [ dpv:hasCountry loc:IE ] ;", 1)],   # in the EEA, so no access from the US
        "rs:UndocumentedTransfer", {DST + "microsoft"},
    ),
    "no-national-register-number": (
        "003-proximus-ict.ttl",
        [("pd:ProfessionalEvaluation , ropa:BelgianNationalRegisterNumber , ", "pd:ProfessionalEvaluation , ", 1),
         ('[] a rdf:Statement ; rdf:subject dst:proximus-recruitment ; rdf:predicate dpv:hasPersonalData ; '
          'rdf:object ropa:BelgianNationalRegisterNumber ; ropa:statedAs "rijksregisternummer"@nl ; '
          'ropa:source dst:q-003-candidate-payroll .\n', "", 1)],
        "rs:NationalIdentificationNumber", {DST + "proximus-recruitment"},
    ),
    "d-soft-technical-processors-signed": (
        "004-d-soft.ttl",
        [("    ropa:agreementRequired true ;\n", "    ropa:agreementRequired true ;\n    ropa:hasAgreement dst:dsoft-technical-processing-agreement ;\n", 1)],
        "rs:ControllerProcessorAgreement", {DST + "dsoft-controller-processing"},
    ),
    "proximus-accounting-law-named": (
        "003-proximus-ict.ttl",
        [("dst:proximus-legal-obligations a dpv:Process ;",
          'dst:proximus-legal-obligations a dpv:Process ;\n    ropa:legalBasisLaw "Wetboek van economisch recht, art. III.86"@nl ;', 1)],
        "rs:LegalBasisLaw", {DST + "proximus-legal-obligations"},
    ),
    "newsletter-on-consent": (
        "003-proximus-ict.ttl",
        [("    dpv:hasLegalBasis eu-gdpr:A6-1-b-contract-performance ;\n    dpv:hasDataSource dpv:DataSubjectDataSource ;\n"
          '    ropa:purposeDescription "Je de mogelijkheid geven om in te schrijven op newsletters',
          "    dpv:hasLegalBasis eu-gdpr:A6-1-a ;\n    dpv:hasDataSource dpv:DataSubjectDataSource ;\n"
          '    ropa:purposeDescription "Je de mogelijkheid geven om in te schrijven op newsletters', 1),
         ("rdf:subject dst:proximus-newsletter ; rdf:predicate dpv:hasLegalBasis ; rdf:object eu-gdpr:A6-1-b-contract-performance",
          "rdf:subject dst:proximus-newsletter ; rdf:predicate dpv:hasLegalBasis ; rdf:object eu-gdpr:A6-1-a", 1)],
        "rs:MarketingOnContract", {DST + "proximus-newsletter"},
    ),
}


@pytest.mark.parametrize("case", sorted(CORRECTIONS))
def test_a_corrected_copy_of_each_gap_passes(case, tmp_path, bundled, bundled_report):
    file_name, edits, check, focuses = CORRECTIONS[case]
    for path in DESTINY.glob("*.ttl"):
        shutil.copy(path, tmp_path / path.name)
    target = tmp_path / file_name
    text = target.read_text(encoding="utf-8")
    for old, new, count in edits:
        assert text.count(old) == count, f"{file_name}: expected {count} x {old!r}"
        text = text.replace(old, new)
    target.write_text(text, encoding="utf-8")
    if isinstance(focuses, str):  # every activity of an organisation
        focuses = {r["x"] for r in bundled.select(ACTIVITIES_OF % focuses)}

    corrected = validate(ropa.load([tmp_path]), as_of=AS_OF, engine="fast")

    gone = {f.key() for f in bundled_report.findings if f.check == check and f.focus in focuses}
    assert gone, f"{case}: the gap is not reported on the bundled data"
    assert not [f for f in corrected.findings if f.check == check and f.focus in focuses]
    # The correction removes exactly that gap: every other finding stays as it was.
    assert _keys(corrected) == _keys(bundled_report) - gone


# --- The evaluation date matters ------------------------------------------------------------------------------

@pytest.mark.parametrize(("as_of", "reported"), [
    (dt.date(2020, 7, 1), False), (dt.date(2020, 7, 16), False), (dt.date(2020, 7, 17), True),
])
def test_privacy_shield_is_a_gap_only_after_2020_07_16(bundled, as_of, reported):
    report = validate(bundled, as_of=as_of, engine="fast")
    found = [f for f in of_check(report, "rs:InvalidatedTransferInstrument") if f.focus == DST + "xfer-dstny-dk-subcontractors"]
    assert bool(found) is reported
    if reported:
        assert "2020-07-16" in found[0].message and str(as_of) in found[0].message


TRANSFER = EX + "acme-transfer"


@pytest.mark.parametrize(("as_of", "reported"), [(dt.date(2022, 12, 27), False), (dt.date(2022, 12, 28), True)])
def test_repealed_2010_sccs_are_a_basis_until_2022_12_27(as_of, reported):
    report = fixture_report("InvalidatedTransferInstrument.scc-2010-87-eu.ttl", as_of)
    on_transfer = {f.check for f in report.findings if f.focus == TRANSFER}
    if reported:
        assert on_transfer == {"rs:InvalidatedTransferInstrument", "rs:TransferBasis"}
        invalid = of_check(report, "rs:InvalidatedTransferInstrument")[0]
        assert invalid.value == ROPA + "SCC-2010-87-EU" and "2022-12-27" in invalid.message
    else:
        assert on_transfer == set()


@pytest.mark.parametrize(("as_of", "reported"), [(dt.date(2015, 10, 6), False), (dt.date(2015, 10, 7), True)])
def test_safe_harbour_is_invalid_after_2015_10_06(as_of, reported):
    report = fixture_report("InvalidatedTransferInstrument.safe-harbour.ttl", as_of)
    found = [f for f in of_check(report, "rs:InvalidatedTransferInstrument") if f.focus == TRANSFER]
    assert bool(found) is reported
    if reported:
        assert found[0].value == ROPA + "SafeHarbour" and "2015-10-06" in found[0].message

"""What the fixture pairs do not show: nothing escapes the checks, the cases around each new check, the retention
policy file, and the plain words of every new check in the three catalogues. Every record here is built in the test
(not the Destiny data), and both engines must report the same findings on it."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ropa
from ropa.cli import app
from ropa.errors import RopaError
from ropa.resources import LANGUAGES
from ropa.retention_policy import load_retention_policy
from ropa.namespaces import shorten
from ropa.validate import Report, validate

AS_OF = dt.date(2026, 11, 28)
REPOSITORY = Path(__file__).resolve().parent.parent
EX = "https://example.org/"
DPV = "https://w3id.org/dpv#"
ROPA = "https://w3id.org/ropa/vocab#"
runner = CliRunner()

PREFIXES = """@prefix ex: <https://example.org/> .
@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
@prefix eu-gdpr: <https://w3id.org/dpv/legal/eu/gdpr#> .
@prefix legal-be: <https://w3id.org/dpv/legal/be#> .
@prefix ref: <https://w3id.org/ropa/reference/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

# A clean record of a small Belgian shop: it has no finding at all (test_the_shop_is_clean).
SHOP = """
ex:shop a dpv:LegalEntity , dpv:DataController ;
    dpv:hasName "Shop BV" ; rdfs:label "Shop BV"@en ;
    ropa:email "privacy@shop.be" ;
    dpv:hasAuthority legal-be:DPA-BE ;
    dpv:hasDataProtectionOfficer ex:shop-dpo ;
    dpv:hasTechnicalOrganisationalMeasure dpv:AccessControlMethod ;
    ropa:statesNoTransferOutside loc:EEA .

ex:shop-dpo a dpv:DataProtectionOfficer ; rdfs:label "DPO of Shop BV"@en ; ropa:email "dpo@shop.be" .

ex:shop-staff a dpv:Recipient ; rdfs:label "Shop staff"@en .

ex:shop-retention a dpv:StorageDuration ;
    dpv:hasDuration [ a dpv:TemporalDuration ; rdf:value "P1Y"^^xsd:duration ] .

ex:shop-orders a dpv:Process ;
    rdfs:label "Orders"@en ;
    ropa:recordedBy ex:shop ;
    ropa:role ropa:ControllerRole ;
    dpv:hasDataController ex:shop ;
    dpv:hasPurpose dpv:ServiceProvision ;
    dpv:hasLegalBasis eu-gdpr:A6-1-b ;
    dpv:hasDataSubject dpv:Customer ;
    dpv:hasPersonalData pd:Name , pd:EmailAddress ;
    dpv:hasRecipient ex:shop-staff ;
    dpv:hasStorageCondition ex:shop-retention .
"""


def edited(text: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def check_both(tmp_path: Path, body: str, **options) -> Report:
    """Validate a record with both engines; they must agree. Returns the fast engine's report."""
    path = tmp_path / "record.ttl"
    path.write_text(PREFIXES + body, encoding="utf-8")
    graph = ropa.load([path])
    fast = validate(graph, as_of=AS_OF, engine="fast", **options)
    reference = validate(graph, as_of=AS_OF, engine="pyshacl", **options)
    assert {f.key() for f in fast.findings} == {f.key() for f in reference.findings}
    return fast


def found(report: Report, check: str) -> set[tuple[str, str | None]]:
    return {(f.focus.removeprefix(EX), f.value) for f in report.findings if f.check == check}


def test_the_shop_is_clean(tmp_path):
    assert check_both(tmp_path, SHOP).findings == []


# --- Nothing escapes (issue: an activity without role or record keeper fell outside every check) -------------

def test_an_activity_without_role_is_reported_and_still_checked(tmp_path):
    record = edited(SHOP, ("    ropa:role ropa:ControllerRole ;\n", ""), ("    dpv:hasPurpose dpv:ServiceProvision ;\n", ""))
    report = check_both(tmp_path, record)
    assert found(report, "rs:Activity-role") == {("shop-orders", None)}
    # The missing purpose it had is not hidden by the missing role.
    assert found(report, "rs:ControllerActivity-purpose") == {("shop-orders", None)}
    assert {f.entity for f in report.findings} == {EX + "shop"}


def test_an_activity_without_record_keeper_is_reported_and_keeps_its_organisation(tmp_path):
    record = edited(SHOP, ("    ropa:recordedBy ex:shop ;\n", ""), ("    dpv:hasLegalBasis eu-gdpr:A6-1-b ;\n", ""))
    report = check_both(tmp_path, record)
    assert found(report, "rs:Activity-recordKeeper") == {("shop-orders", None)}
    lawful = [f for f in report.findings if f.check == "rs:LawfulBasis"]
    assert [(f.focus, f.entity, f.activity) for f in lawful] == [(EX + "shop-orders", EX + "shop", EX + "shop-orders")]


def test_a_processor_activity_without_role_is_not_mistaken_for_a_clean_one(tmp_path):
    """Every dpv:Process is checked, whatever else it is typed as."""
    record = SHOP + """
ex:shop-loose a dpv:Process ; rdfs:label "Something we do"@en ."""
    report = check_both(tmp_path, record)
    on_loose = {f.check for f in report.findings if f.focus == EX + "shop-loose"}
    assert {"rs:Activity-role", "rs:Activity-recordKeeper", "rs:ControllerActivity-controller",
            "rs:ControllerActivity-purpose", "rs:SecurityMeasures"} <= on_loose


def test_a_controller_given_as_a_string_fails_at_least_one_controller(tmp_path):
    record = edited(SHOP, ("dpv:hasDataController ex:shop ;", 'dpv:hasDataController "Shop BV" ;'))
    report = check_both(tmp_path, record)
    assert found(report, "rs:ControllerActivity-controller") == {("shop-orders", "Shop BV")}


def test_a_string_next_to_a_real_controller_is_still_reported(tmp_path):
    record = edited(SHOP, ("dpv:hasDataController ex:shop ;", 'dpv:hasDataController ex:shop , "Shop" ;'))
    assert found(check_both(tmp_path, record), "rs:ControllerActivity-controller") == {("shop-orders", "Shop")}


def test_a_joint_controller_is_checked_for_name_and_contact_but_the_record_keeper_only_once(tmp_path):
    record = edited(SHOP, ("dpv:hasDataController ex:shop ;", "dpv:hasDataController ex:shop , ex:partner ;")) + """
ex:partner a dpv:LegalEntity ; rdfs:label "Partner"@en ."""
    report = check_both(tmp_path, record)
    assert found(report, "rs:Controller-name") == {("partner", None)}
    assert found(report, "rs:Controller-contact") == {("partner", None)}


# --- Art. 22(2) ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("basis", "reported"), [
    ("eu-gdpr:A6-1-f-controller", True),   # legitimate interests: no ground of Art. 22(2)
    ("eu-gdpr:A6-1-a-non-explicit-consent", True),   # consent, but not explicit (Art. 22(2)(c))
    ("eu-gdpr:A6-1-c", True),   # a legal obligation whose law is not named (Art. 22(2)(b))
    ('eu-gdpr:A6-1-c ;\n    ropa:legalBasisLaw "Employment Equality Acts 1998 to 2015"@en', False),
    ("eu-gdpr:A6-1-b-enter-into-contract", False),   # steps before entering into a contract (Art. 22(2)(a))
    ("eu-gdpr:A6-1-a-explicit-consent", False),
])
def test_automated_decisions_rest_on_a_ground_of_art_22_2(tmp_path, basis, reported):
    record = edited(SHOP, ("dpv:hasLegalBasis eu-gdpr:A6-1-b ;",
                           f"dpv:hasLegalBasis {basis} ;\n    dpv:hasContext dpv:AutomatedDecisionMaking ;"))
    expected = {("shop-orders", "https://w3id.org/dpv#AutomatedDecisionMaking")} if reported else set()
    assert found(check_both(tmp_path, record), "rs:AutomatedDecisionGround") == expected


def test_scoring_reviewed_by_a_person_is_no_automated_decision(tmp_path):
    record = edited(SHOP, ("dpv:hasLegalBasis eu-gdpr:A6-1-b ;",
                           "dpv:hasLegalBasis eu-gdpr:A6-1-f-controller ;\n    dpv:hasContext dpv:EvaluationScoring ;"))
    assert found(check_both(tmp_path, record), "rs:AutomatedDecisionGround") == set()


# --- Art. 28(3), the controller's side ---------------------------------------------------------------------------

PROCESSOR = """
ex:mailer a dpv:LegalEntity , dpv:DataProcessor ; dpv:hasName "Mailer GmbH" ; ropa:email "privacy@mailer.de" .
"""


@pytest.mark.parametrize(("link", "agreement", "reported"), [
    ("dpv:hasDataProcessor ex:mailer", "", True),
    ("ropa:engagesProcessor ex:mailer", "", True),
    ("dpv:hasDataProcessor ex:mailer", "ex:mailer ropa:hasAgreement ex:dpa . ex:dpa a dpv:ControllerProcessorAgreement .", False),
    ("dpv:hasDataProcessor ex:mailer",
     "ex:shop-orders ropa:hasAgreement ex:dpa . ex:dpa a dpv:ControllerProcessorAgreement ; dpv:hasDataProcessor ex:mailer .", False),
    ("dpv:hasDataProcessor ex:shop", "", False),  # the organisation itself is no processor it needs a contract with
])
def test_processors_of_a_controller_need_an_agreement(tmp_path, link, agreement, reported):
    record = edited(SHOP, ("    dpv:hasStorageCondition ex:shop-retention .", f"    dpv:hasStorageCondition ex:shop-retention ;\n    {link} .")) \
        + PROCESSOR + agreement
    expected = {("shop-orders", EX + "mailer")} if reported else set()
    assert found(check_both(tmp_path, record), "rs:ControllerProcessorAgreement") == expected


# --- Art. 10 -------------------------------------------------------------------------------------------------------

def test_criminal_data_of_the_organisations_own_concept_need_an_authorisation(tmp_path):
    """A concept the record defines, typed as Art. 10 data, is caught like the DPV ones (pd:Criminal and narrower)."""
    concept = """
ex:CertificateOfGoodConduct a skos:Concept , dpv:PersonalData , ropa:CriminalOffencePersonalData ;
    rdfs:label "Extract from the criminal record"@en ."""
    record = edited(SHOP, ("pd:Name , pd:EmailAddress ;", "pd:Name , pd:EmailAddress , ex:CertificateOfGoodConduct , pd:CriminalPardon ;"))
    report = check_both(tmp_path, record + concept)
    assert found(report, "rs:CriminalOffenceData") == {
        ("shop-orders", EX + "CertificateOfGoodConduct"), ("shop-orders", "https://w3id.org/dpv/pd#CriminalPardon")}
    assert any("Extract from the criminal record" in f.message for f in report.findings)
    authorised = edited(record, ("    ropa:role ropa:ControllerRole ;", "    ropa:role ropa:ControllerRole ;\n    ropa:criminalDataAuthorisation ref:law-be-2018-07-30-art-10 ;"))
    assert found(check_both(tmp_path, authorised + concept), "rs:CriminalOffenceData") == set()


@pytest.mark.parametrize(("country", "law"), [
    ("loc:BE", "Law of 30 July 2018"), ("loc:NL", "UAVG"), ("loc:DE", None),
    # Ireland has two provisions: the finding names both, once
    ("loc:IE", "Data Protection Act 2018, section 55; National Vetting Bureau (Children and Vulnerable Persons) Acts 2012 to 2016."),
])
def test_the_art_10_finding_names_the_provision_of_the_organisations_country(tmp_path, country, law):
    record = edited(SHOP, ('ropa:email "privacy@shop.be" ;', f'ropa:email "privacy@shop.be" ; dpv:hasCountry {country} ;'),
                    ("pd:Name , pd:EmailAddress ;", "pd:Name , pd:CriminalConviction ;"))
    [finding] = [f for f in check_both(tmp_path, record).findings if f.check == "rs:CriminalOffenceData"]
    if law:
        assert law in finding.message
    else:  # no provision in the reference data for that country: no other country's law is named
        assert "see:" not in finding.message and "{?" not in finding.message


def test_art_10_laws_in_the_reference_data_name_their_country_and_source(bundled):
    rows = bundled.select(
        """SELECT ?law ?country ?url WHERE { ?law a ropa:LegalProvision ; ropa:usesGdprArticle "Art. 10" ;
             dpv:hasJurisdiction ?country ; ropa:source/ropa:url ?url }""")
    countries = {r["country"].rsplit("#", 1)[-1] for r in rows}
    assert {"BE", "NL", "DK", "FR"} <= countries
    assert all(r["url"].startswith("https://") for r in rows)


# --- Public authorities and legitimate interests (Art. 6(1), second subparagraph) -----------------------------------

@pytest.mark.parametrize(("kind", "reported"), [
    ("dpv:PublicSectorBody", True), ("dpv:Authority", True), ("dpv:GovernmentalOrganisation", True), ("dpv:Organisation", False)])
def test_legitimate_interests_of_a_public_authority(tmp_path, kind, reported):
    record = edited(SHOP, ("ex:shop a dpv:LegalEntity , dpv:DataController ;", f"ex:shop a dpv:LegalEntity , dpv:DataController , {kind} ;"),
                    ("dpv:hasLegalBasis eu-gdpr:A6-1-b ;", "dpv:hasLegalBasis eu-gdpr:A6-1-f-controller ;\n    dpv:hasImpactAssessment ex:lia ;")) \
        + "ex:lia a dpv:LegitimateInterestAssessment .\n"
    expected = {("shop-orders", EX + "shop")} if reported else set()
    assert found(check_both(tmp_path, record), "rs:PublicAuthorityLegitimateInterests") == expected


# --- The law behind a legal obligation or a public task (Art. 6(3)) -------------------------------------------------

@pytest.mark.parametrize(("basis", "law", "role", "reported"), [
    ("eu-gdpr:A6-1-c", "", "ropa:ControllerRole", True),
    ("eu-gdpr:A6-1-e", "", "ropa:ControllerRole", True),
    ("eu-gdpr:A6-1-e-public-interest", "", "ropa:ControllerRole", True),     # DPV's finer concept of point (e)
    ("eu-gdpr:A6-1-e-official-authority , eu-gdpr:A6-1-c", "", "ropa:ControllerRole", True),  # one finding for both
    ("eu-gdpr:A6-1-c", 'ropa:legalBasisLaw "Wetboek van economisch recht, art. III.86"@nl ;', "ropa:ControllerRole", False),
    ("eu-gdpr:A6-1-c", "ropa:legalBasisLaw ex:vat-code ;", "ropa:ControllerRole", False),   # the law as a node
    ("eu-gdpr:A6-1-b", "", "ropa:ControllerRole", False),
    ("eu-gdpr:A6-1-c", "", "ropa:ProcessorRole", False),   # a processor's record (Art. 30(2)) states no legal basis
])
def test_a_legal_obligation_or_public_task_names_its_law(tmp_path, basis, law, role, reported):
    record = edited(SHOP, ("dpv:hasLegalBasis eu-gdpr:A6-1-b ;", f"dpv:hasLegalBasis {basis} ;\n    {law}"),
                    ("    ropa:role ropa:ControllerRole ;", f"    ropa:role {role} ;")) + """
ex:vat-code a ropa:LegalProvision ; rdfs:label "Wetboek van de belasting over de toegevoegde waarde, art. 60"@nl ."""
    report = check_both(tmp_path, record)
    findings = [f for f in report.findings if f.check == "rs:LegalBasisLaw"]
    assert [(f.focus, f.path, f.severity, f.article) for f in findings] == (
        [(EX + "shop-orders", ROPA + "legalBasisLaw", "warning", "Art. 6(3)")] if reported else [])


def test_the_store_reruns_the_art_6_3_check_for_the_activity_a_law_or_a_basis_is_given_to(tmp_path):
    """validate --store: naming the law, then changing the basis to a public task in another file, each re-run finds
    what a full run finds."""
    import gc

    from ropa.store import validate_with_store

    folder = tmp_path / "record"
    folder.mkdir()
    record = edited(SHOP, ("dpv:hasLegalBasis eu-gdpr:A6-1-b ;", "dpv:hasLegalBasis eu-gdpr:A6-1-c ;"))
    (folder / "record.ttl").write_text(PREFIXES + record, encoding="utf-8")
    second = PREFIXES + """ex:shop-register a dpv:Process ; rdfs:label "Visitor register"@en ; ropa:recordedBy ex:shop ;
    ropa:role ropa:ControllerRole ; dpv:hasDataController ex:shop ; dpv:hasPurpose dpv:EnforceSecurity ;
    dpv:hasLegalBasis eu-gdpr:A6-1-b ; dpv:hasDataSubject dpv:Visitor ; dpv:hasPersonalData pd:Name ;
    dpv:hasRecipient ex:shop-staff ; dpv:hasStorageCondition ex:shop-retention .
"""
    (folder / "register.ttl").write_text(second, encoding="utf-8")

    def both() -> set:
        gc.collect()
        _, stored, _ = validate_with_store([folder], tmp_path / "store", as_of=AS_OF)
        full = validate(ropa.load([folder]), as_of=AS_OF)
        assert {f.key() for f in stored.findings} == {f.key() for f in full.findings}
        return {f.focus.removeprefix(EX) for f in stored.findings if f.check == "rs:LegalBasisLaw"}

    assert both() == {"shop-orders"}
    (folder / "record.ttl").write_text(PREFIXES + edited(record, (
        "dpv:hasLegalBasis eu-gdpr:A6-1-c ;", 'dpv:hasLegalBasis eu-gdpr:A6-1-c ;\n    ropa:legalBasisLaw "Wetboek van economisch recht, art. III.86"@nl ;')),
        encoding="utf-8")
    assert both() == set()
    (folder / "register.ttl").write_text(second.replace("eu-gdpr:A6-1-b", "eu-gdpr:A6-1-e-public-interest"), encoding="utf-8")
    assert both() == {"shop-register"}


def test_the_law_of_an_obligation_stands_beside_the_basis_in_the_register(tmp_path):
    """The register shows the law with the legal basis (an auditor reads both together); without it, the legal basis
    field carries the finding."""
    from ropa.register import build_record

    named = edited(SHOP, ("dpv:hasLegalBasis eu-gdpr:A6-1-b ;",
                          'dpv:hasLegalBasis eu-gdpr:A6-1-c ;\n    ropa:legalBasisLaw "Wetboek van economisch recht, art. III.86"@nl ;'))
    (tmp_path / "named").mkdir()
    (tmp_path / "named" / "record.ttl").write_text(PREFIXES + named, encoding="utf-8")
    graph = ropa.load([tmp_path / "named"])
    record = build_record(graph, lang="nl", findings=validate(graph, as_of=AS_OF).findings)
    [entry] = record.controller_registers[0].entries
    field = entry.fields["legal_basis"]
    assert [(v.text, v.detail) for v in field.values if "III.86" in v.text] == [
        ("Wetboek van economisch recht, art. III.86", "art. 6, lid 3")]
    assert not field.gaps

    missing = edited(SHOP, ("dpv:hasLegalBasis eu-gdpr:A6-1-b ;", "dpv:hasLegalBasis eu-gdpr:A6-1-c ;"))
    (tmp_path / "missing").mkdir()
    (tmp_path / "missing" / "record.ttl").write_text(PREFIXES + missing, encoding="utf-8")
    graph = ropa.load([tmp_path / "missing"])
    record = build_record(graph, lang="de", findings=validate(graph, as_of=AS_OF).findings)
    [entry] = record.controller_registers[0].entries
    assert [g.check for g in entry.fields["legal_basis"].gaps] == ["rs:LegalBasisLaw"]


# --- The law behind an Art. 9(2) condition (Art. 9(2)(b), (g)-(j)) ----------------------------------------------------

SICK_LEAVE_LAW = 'ropa:specialCategoryLaw "Wet van 3 juli 1978 betreffende de arbeidsovereenkomsten, art. 31"@nl ;'


def with_condition(conditions: str, extra: str = "", role: str = "ropa:ControllerRole") -> str:
    """The shop's orders turned into sick-leave administration: health data of staff on the given Art. 9(2) conditions."""
    return edited(SHOP, ("dpv:hasLegalBasis eu-gdpr:A6-1-b ;", f"dpv:hasLegalBasis eu-gdpr:A6-1-b , {conditions} ;\n    {extra}"),
                  ("dpv:hasPersonalData pd:Name , pd:EmailAddress ;",
                   "dpv:hasPersonalData pd:Name , pd:Health ;\n    dpv:hasImpactAssessment ex:dpia ;"),
                  ("    ropa:role ropa:ControllerRole ;", f"    ropa:role {role} ;")) + """
ex:dpia a dpv:DPIA ; rdfs:label "DPIA"@en .
ex:sick-leave-act a ropa:LegalProvision ; rdfs:label "Wet van 3 juli 1978 betreffende de arbeidsovereenkomsten, art. 31"@nl .
ex:OccupationalMedicine a skos:Concept ; skos:broader eu-gdpr:A9-2-h ; rdfs:label "Occupational medicine"@en .
"""


GDPR = "https://w3id.org/dpv/legal/eu/gdpr#"


@pytest.mark.parametrize(("conditions", "extra", "role", "reported"), [
    ("eu-gdpr:A9-2-b", "", "ropa:ControllerRole", {"A9-2-b"}),
    ("eu-gdpr:A9-2-g", "", "ropa:ControllerRole", {"A9-2-g"}),
    ("eu-gdpr:A9-2-h", "", "ropa:ControllerRole", {"A9-2-h"}),
    ("eu-gdpr:A9-2-i", "", "ropa:ControllerRole", {"A9-2-i"}),
    ("eu-gdpr:A9-2-j", "", "ropa:ControllerRole", {"A9-2-j"}),
    ("eu-gdpr:A9-2-b , eu-gdpr:A9-2-h", "", "ropa:ControllerRole", {"A9-2-b", "A9-2-h"}),   # one finding per condition
    ("ex:OccupationalMedicine", "", "ropa:ControllerRole", {"OccupationalMedicine"}),       # the record's finer concept of (h)
    # the law behind the Art. 6 basis (Art. 6(3)) does not answer for the condition
    ("eu-gdpr:A9-2-b", 'ropa:legalBasisLaw "Wet van 12 april 1965 betreffende de bescherming van het loon"@nl ;',
     "ropa:ControllerRole", {"A9-2-b"}),
    ("eu-gdpr:A9-2-b", SICK_LEAVE_LAW, "ropa:ControllerRole", set()),
    ("eu-gdpr:A9-2-h", "ropa:specialCategoryLaw ex:sick-leave-act ;", "ropa:ControllerRole", set()),   # the law as a node
    ("eu-gdpr:A9-2-a", "", "ropa:ControllerRole", set()),   # explicit consent rests on no law
    ("eu-gdpr:A9-2-c , eu-gdpr:A9-2-d , eu-gdpr:A9-2-e , eu-gdpr:A9-2-f", "", "ropa:ControllerRole", set()),
    ("eu-gdpr:A9-2-b", "", "ropa:ProcessorRole", set()),   # a processor's record (Art. 30(2)) states no condition
])
def test_a_condition_of_art_9_2_that_rests_on_law_names_it(tmp_path, conditions, extra, role, reported):
    report = check_both(tmp_path, with_condition(conditions, extra, role))
    findings = [f for f in report.findings if f.check == "rs:SpecialCategoryLaw"]
    assert {f.value.rsplit("#", 1)[-1].removeprefix(EX) for f in findings} == reported
    for finding in findings:
        assert (finding.focus, finding.path, finding.severity) == (EX + "shop-orders", ROPA + "specialCategoryLaw", "warning")
        assert finding.article == "Art. 9(2)(b), Art. 9(2)(g)-(j), Art. 9(3), Art. 89(1)"
        point = "(h)" if finding.value == EX + "OccupationalMedicine" else f"({finding.value[-1]})"
        assert f"Art. 9(2){point}" in finding.message and "{?" not in finding.message
    assert ("Art. 9(3)" in " ".join(f.message for f in findings)) == any("h" in v or "Occupational" in v for v in reported)


def test_the_condition_s_law_is_said_in_plain_words_with_the_condition_s_label(tmp_path):
    from ropa.plain import PlainWords

    path = tmp_path / "record.ttl"
    path.write_text(PREFIXES + with_condition("eu-gdpr:A9-2-j"), encoding="utf-8")
    graph = ropa.load([path])
    [finding] = [f for f in validate(graph, as_of=AS_OF).findings if f.check == "rs:SpecialCategoryLaw"]
    said = {lang: PlainWords(graph, lang)(finding) for lang in LANGUAGES}
    assert "Archivering in het algemeen belang" in said["nl"].message and "eu-gdpr" not in said["nl"].message
    assert "art. 9, lid 2, g) tot en met j)" in said["nl"].article and "art. 89, lid 1" in said["nl"].article
    assert "Art. 89 Abs. 1" in said["de"].article
    assert len({s.message for s in said.values()}) == len(LANGUAGES)


def test_the_law_of_a_condition_stands_beside_the_condition_in_the_register(tmp_path):
    """The register shows the law with the Art. 9(2) condition; without it, the condition's field carries the finding
    (and the legal basis field does not)."""
    from ropa.register import build_record

    def entry(record: str, name: str, lang: str):
        (tmp_path / name).mkdir()
        (tmp_path / name / "record.ttl").write_text(PREFIXES + record, encoding="utf-8")
        graph = ropa.load([tmp_path / name])
        built = build_record(graph, lang=lang, findings=validate(graph, as_of=AS_OF).findings)
        [found] = built.controller_registers[0].entries
        return found

    named = entry(with_condition("eu-gdpr:A9-2-b", SICK_LEAVE_LAW), "named", "nl")
    field = named.fields["special_condition"]
    assert [(v.text, v.detail) for v in field.values if "1978" in v.text] == [
        ("Wet van 3 juli 1978 betreffende de arbeidsovereenkomsten, art. 31", "art. 9, lid 2")]
    assert not field.gaps
    missing = entry(with_condition("eu-gdpr:A9-2-b"), "missing", "fr")
    assert [g.check for g in missing.fields["special_condition"].gaps] == ["rs:SpecialCategoryLaw"]
    assert "rs:SpecialCategoryLaw" not in [g.check for g in missing.fields["legal_basis"].gaps]


def test_the_store_reruns_the_condition_s_check_when_its_law_is_named(tmp_path):
    """validate --store: naming the law of the condition, then adding a second condition, each re-run finds what a full
    run finds."""
    import gc

    from ropa.store import validate_with_store

    folder = tmp_path / "record"
    folder.mkdir()

    def both(record: str) -> set:
        (folder / "record.ttl").write_text(PREFIXES + record, encoding="utf-8")
        gc.collect()
        _, stored, _ = validate_with_store([folder], tmp_path / "store", as_of=AS_OF)
        full = validate(ropa.load([folder]), as_of=AS_OF)
        assert {f.key() for f in stored.findings} == {f.key() for f in full.findings}
        return {f.value.rsplit("#", 1)[-1] for f in stored.findings if f.check == "rs:SpecialCategoryLaw"}

    assert both(with_condition("eu-gdpr:A9-2-b")) == {"A9-2-b"}
    assert both(with_condition("eu-gdpr:A9-2-b", SICK_LEAVE_LAW)) == set()
    # the law is named per activity: a second condition on the same activity is taken as resting on it too
    assert both(with_condition("eu-gdpr:A9-2-b , eu-gdpr:A9-2-i", SICK_LEAVE_LAW)) == set()
    assert both(with_condition("eu-gdpr:A9-2-i")) == {"A9-2-i"}


# --- E-mail addresses in every contact field -------------------------------------------------------------------------

@pytest.mark.parametrize(("triple", "reported"), [
    ('ex:shop ropa:privacyContact "privacy@shop .be" .', True),
    ('ex:shop dpv:hasContact "mail privacy@shop" .', True),
    ('ex:shop dpv:hasAddress "privacy@@shop.be" .', True),
    ("ex:shop ropa:email <mailto:privacy@shop..be> .", True),
    ('ex:shop ropa:email "privacy at shop.be" .', True),  # an e-mail field must hold an address
    ('ex:shop ropa:privacyContact "privacy@shop.be" .', False),
    ("ex:shop ropa:email <mailto:privacy@shop.be> .", False),
    ('ex:shop ropa:website "https://shop.be/@team"^^xsd:anyURI .', False),  # a web address, not an e-mail address
    ('ex:shop ropa:privacyContact "Shop BV, Privacy, Kerkstraat 1, 9000 Gent" .', False),  # a postal contact
])
def test_every_contact_field_holding_an_email_address_is_checked(tmp_path, triple, reported):
    report = check_both(tmp_path, SHOP + triple + "\n")
    assert {f.focus for f in report.findings if f.check == "rs:EmailAddress-form"} == ({EX + "shop"} if reported else set())


# --- Retention that cannot be right -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("duration", "says"), [
    ('rdf:value "-P1Y"^^xsd:duration', "a negative period"),
    ('rdf:value "P0D"^^xsd:duration', "a zero period"),
    ('rdf:value "PT0S"^^xsd:duration', "a zero period"),
    ('ropa:maximumDuration "P0Y"^^xsd:duration', "a zero maximum"),
    ('ropa:minimumDuration "P400D"^^xsd:duration ; ropa:maximumDuration "P1Y"^^xsd:duration', "the minimum (P400D) is longer"),
    ('ropa:minimumDuration "P13M"^^xsd:duration ; ropa:maximumDuration "P1Y"^^xsd:duration', "is longer than the maximum (P1Y)"),
    ('ropa:minimumDuration "PT25H"^^xsd:duration ; ropa:maximumDuration "P1D"^^xsd:duration', "the minimum"),
    ('ropa:untilEvent ropa:AgreementEnd ; ropa:afterEvent "-P1M"^^xsd:duration', "a negative after"),
])
def test_impossible_retention_is_reported(tmp_path, duration, says):
    record = edited(SHOP, ('[ a dpv:TemporalDuration ; rdf:value "P1Y"^^xsd:duration ]', f"[ a dpv:TemporalDuration ; {duration} ]"))
    report = check_both(tmp_path, record)
    assert found(report, "rs:RetentionPeriodImpossible") == {("shop-orders", EX + "shop-retention")}
    [finding] = [f for f in report.findings if f.check == "rs:RetentionPeriodImpossible"]
    assert says in finding.message and finding.severity == "warning", finding.message


def test_impossible_retention_on_a_blank_storage_condition(tmp_path):
    record = edited(SHOP, ("dpv:hasStorageCondition ex:shop-retention .",
                           'dpv:hasStorageCondition [ a dpv:StorageDuration ; dpv:hasDuration [ rdf:value "-P2Y"^^xsd:duration ] ] .'))
    assert {f.focus for f in check_both(tmp_path, record).findings if f.check == "rs:RetentionPeriodImpossible"} == {EX + "shop-orders"}


@pytest.mark.parametrize("duration", [
    'ropa:minimumDuration "P30D"^^xsd:duration ; ropa:maximumDuration "P1Y"^^xsd:duration',
    'ropa:minimumDuration "P12M"^^xsd:duration ; ropa:maximumDuration "P1Y"^^xsd:duration',  # the same length
    'ropa:minimumDuration "P365D"^^xsd:duration ; ropa:maximumDuration "P1Y"^^xsd:duration',  # a year is 365.2425 days
    'ropa:untilEvent ropa:DisputeSettled ; ropa:afterEvent "P0D"^^xsd:duration',  # until the event: zero is right
    'rdf:value "PT12H"^^xsd:duration',
])
def test_possible_retention_is_not_reported(tmp_path, duration):
    record = edited(SHOP, ('[ a dpv:TemporalDuration ; rdf:value "P1Y"^^xsd:duration ]', f"[ a dpv:TemporalDuration ; {duration} ]"))
    assert found(check_both(tmp_path, record), "rs:RetentionPeriodImpossible") == set()


# --- The organisation's retention policy (Art. 5(1)(e)) ---------------------------------------------------------------

POLICY = """# Shop BV retention policy
[[ceiling]]
data_subject = "dpv:Customer"
maximum = "P2Y"
reason = "Retention policy 2026, section 2"

[[ceiling]]
personal_data = "pd:Contact"
maximum = "P6M"
"""


def policy_file(tmp_path: Path, text: str = POLICY) -> Path:
    path = tmp_path / "retention.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_policy_ceilings_per_data_subject_and_per_data_category(tmp_path):
    policy = load_retention_policy(policy_file(tmp_path))
    assert [(c.kind, c.maximum, c.line) for c in policy.ceilings] == [("data_subject", "P2Y", 2), ("personal_data", "P6M", 7)]
    # One year: within the customers' two years, but above the six months for contact data (pd:EmailAddress is
    # narrower than pd:Contact; the storage condition names no data, so it applies to all the activity's data).
    report = check_both(tmp_path, SHOP, retention_policy=policy)
    assert found(report, "rs:RetentionAbovePolicy") == {("shop-orders", "https://w3id.org/dpv/pd#Contact")}
    [finding] = [f for f in report.findings if f.check == "rs:RetentionAbovePolicy"]
    assert finding.severity == "warning" and finding.article == "Art. 5(1)(e)" and "P6M" in finding.message
    # Three years: above both ceilings.
    longer = edited(SHOP, ('rdf:value "P1Y"', 'rdf:value "P3Y"'))
    assert found(check_both(tmp_path, longer, retention_policy=policy), "rs:RetentionAbovePolicy") == {
        ("shop-orders", DPV + "Customer"), ("shop-orders", "https://w3id.org/dpv/pd#Contact")}
    # A storage condition for named data only is compared for those data.
    named = edited(SHOP, ('rdf:value "P1Y"^^xsd:duration ] .', 'rdf:value "P1Y"^^xsd:duration ] ;\n    ropa:appliesToData pd:Name .'))
    assert found(check_both(tmp_path, named, retention_policy=policy), "rs:RetentionAbovePolicy") == set()


def test_without_a_policy_nothing_is_compared(tmp_path):
    longer = edited(SHOP, ('rdf:value "P1Y"', 'rdf:value "P30Y"'))
    assert found(check_both(tmp_path, longer), "rs:RetentionAbovePolicy") == set()


def test_the_policy_option_of_validate(tmp_path):
    record = tmp_path / "shop.ttl"
    record.write_text(PREFIXES + SHOP, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(record), "--as-of", str(AS_OF), "--format", "json",
                                 "--retention-policy", str(policy_file(tmp_path)), "--fail-on", "warning"])
    assert result.exit_code == 1, result.output
    checks = [f["check"] for f in json.loads(result.stdout)["findings"]]
    assert checks == ["rs:RetentionAbovePolicy"]
    assert runner.invoke(app, ["validate", str(record), "--as-of", str(AS_OF), "--fail-on", "warning"]).exit_code == 0


@pytest.mark.parametrize(("text", "where", "says"), [
    ('[[ceiling]]\ndata_subject = "dpv:Customer\nmaximum = "P2Y"\n', ":2:", "malformed retention policy file"),
    ('[[ceiling]]\ndata_subject = "dpv:Customer"\n', ":1:", "without 'maximum'"),
    ('[[ceiling]]\ndata_subject = "dpv:Customer"\nmaximum = "2 years"\n', ":1:", "ISO 8601 duration"),
    ('[[ceiling]]\ndata_subject = "dpv:Customer"\nmaximum = "P0D"\n', ":1:", "longer than zero"),
    ('\n[[ceiling]]\ndata_subject = "dpv:JobAplicant"\nmaximum = "P2Y"\n', ":2:", "did you mean dpv:JobApplicant?"),
    ('[[ceiling]]\npersonal_data = "pd:EmailAdress"\nmaximum = "P2Y"\n', ":1:", "did you mean pd:EmailAddress?"),
    ('[[ceiling]]\nsubject = "dpv:Customer"\nmaximum = "P2Y"\n', ":1:", "unknown ceiling field 'subject'"),
    ('[[ceiling]]\ndata_subject = "dpv:Customer"\npersonal_data = "pd:Name"\nmaximum = "P2Y"\n', ":1:", "exactly one"),
    ('[[ceiling]]\ndata_subject = "foo:Customer"\nmaximum = "P2Y"\n', ":1:", "unknown prefix"),
    ('[policy]\nmaximum = "P2Y"\n', ":1:", "unknown section 'policy'"),
])
def test_a_bad_policy_file_is_one_line_with_file_and_line(tmp_path, text, where, says):
    path = policy_file(tmp_path, text)
    result = runner.invoke(app, ["validate", "--retention-policy", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0].startswith(f"ropa: error: {path}{where}") and says in lines[0], lines[0]


def test_a_missing_policy_file_is_a_user_error(tmp_path):
    with pytest.raises(RopaError, match="no such retention policy file"):
        load_retention_policy(tmp_path / "nowhere.toml")


# --- Plain words for people, in every shipped language -------------------------------------------------------------

NEW_CHECKS = ("Activity-role", "Activity-recordKeeper", "Controller-name", "Controller-contact", "ControllerProcessorAgreement",
              "CriminalOffenceData", "PublicAuthorityLegitimateInterests", "RetentionPeriodImpossible", "RetentionAbovePolicy",
              "LegalBasisLaw", "SpecialCategoryLaw", "AutomatedDecisionGround")
_ENGINEERING = re.compile(r"\b(?:dpv|pd|ropa|eu-gdpr|loc|rs|xsd):[A-Za-z]|https?://|\bP\d+[YMDW]\b|\bPT\d")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_new_check_speaks_plain_words_in_each_language(lang):
    catalogue = json.loads((REPOSITORY / "reports" / "messages" / f"{lang}.json").read_text(encoding="utf-8"))
    english = json.loads((REPOSITORY / "reports" / "messages" / "en.json").read_text(encoding="utf-8"))
    for check in NEW_CHECKS:
        for part in ("field", "message", "fix"):
            phrase = catalogue.get(f"check.{check}.{part}")
            assert phrase, f"{lang}: no check.{check}.{part}"
            assert not _ENGINEERING.search(phrase), f"{lang}: check.{check}.{part} is not plain: {phrase}"
            if lang != "en" and part != "field":
                assert phrase != english[f"check.{check}.{part}"], f"{lang}: check.{check}.{part} is not translated"
    # Every check key of the catalogue names a shape that exists.
    from test_shapes import CHECKS
    named = {key.split(".")[1] for key in catalogue if key.startswith("check.")}
    assert named <= set(CHECKS) | {"EmailAddress"}, sorted(named - set(CHECKS))


def test_a_target_that_excludes_nodes_reads_them_out_with_minus_and_finds_what_servers_find(tmp_path):
    """The embedded form of a target whose FILTER NOT EXISTS share only ?this runs them as MINUS (once for the
    record); the form servers get keeps FILTER NOT EXISTS. Both give the same focus nodes: a controller an activity
    names is checked, the organisation keeping a record and a group of customer controllers are not."""
    from ropa.validate import compile_shapes, evaluation_context, load_shapes, run_queries, shape_files

    record = PREFIXES + """
ex:keeper a dpv:LegalEntity . ex:unnamed a dpv:LegalEntity . ex:named a dpv:LegalEntity ; dpv:hasName "Named NV" .
ex:customers a ropa:CustomerControllers .
ex:a a dpv:Process ; ropa:recordedBy ex:keeper ;
    dpv:hasDataController ex:keeper , ex:unnamed , ex:named , ex:customers .
"""
    path = tmp_path / "record.ttl"
    path.write_text(record, encoding="utf-8")
    graph = ropa.load([path])
    check = next(c for c in compile_shapes(load_shapes(shape_files()))
                 if c.shape == "https://w3id.org/ropa/shapes#Controller-name")
    assert "MINUS" in check.target and "FILTER NOT EXISTS" not in check.target
    assert "MINUS" not in check.flat_target and "FILTER NOT EXISTS" in check.flat_target
    with evaluation_context(graph, AS_OF):
        embedded = {r.focus for r in run_queries(graph, [check])}
        flat = {r.focus for r in run_queries(graph, [replace(check, query=check.flat_query)])}
    assert embedded == flat == {EX + "unnamed"}


def _shop_with_two_gaps(tmp_path):
    """A shop's record with two incomplete activities: one with a role and a purpose only, one with its data only."""
    record = PREFIXES + SHOP + """
ex:gaps a dpv:Process ; ropa:recordedBy ex:shop ; ropa:role ropa:ControllerRole ; dpv:hasPurpose dpv:Marketing .
ex:unstated a dpv:Process ; ropa:recordedBy ex:shop ; dpv:hasPersonalData pd:EmailAddress .
"""
    path = tmp_path / "record.ttl"
    path.write_text(record, encoding="utf-8")
    return ropa.load([path])


def test_checks_sharing_a_target_find_what_each_finds_alone_and_leave_nothing_behind(tmp_path):
    """The activities a controller records are found once for the checks that share that target (written to the
    store for the run and read back by each); the findings are those of each check run on its own, and the store
    holds nothing of it afterwards."""
    from ropa.validate import (FOCUS_GRAPH, compile_shapes, evaluation_context, load_shapes, run_queries,
                               shape_files, shared_focus_nodes)

    graph = _shop_with_two_gaps(tmp_path)
    checks = compile_shapes(load_shapes(shape_files()))
    sharing = [c for c in checks if c.shape.endswith(("#ControllerActivity-purpose", "#LawfulBasis",
                                                      "#ControllerActivity-data"))]
    assert len({c.target for c in sharing}) == 1 and len(sharing) >= 3
    with evaluation_context(graph, AS_OF):
        with shared_focus_nodes(graph, sharing) as queries:
            assert set(queries) == {sharing[0].target}
            assert graph.query(f"ASK {{ GRAPH <{FOCUS_GRAPH.value}> {{ ?s ?p <{EX}gaps> }} }}")
        together = {(r.shape, r.focus) for r in run_queries(graph, sharing)}
        alone = {(r.shape, r.focus) for c in sharing for r in run_queries(graph, [c])}
    assert together == alone
    assert {focus for _, focus in together} >= {EX + "gaps", EX + "unstated"}
    assert FOCUS_GRAPH not in set(graph.store.named_graphs())


def test_checks_run_at_once_give_what_they_give_one_at_a_time_and_the_first_failure_in_order(tmp_path):
    """On a loaded record the checks run several at a time: the results are those of one check after another, in
    the same order, and a check whose SPARQL fails is reported as the first such check in their order, whatever
    the number of threads."""
    from ropa.validate import compile_shapes, evaluation_context, load_shapes, run_queries, shape_files

    graph = _shop_with_two_gaps(tmp_path)
    checks = compile_shapes(load_shapes(shape_files()))
    with evaluation_context(graph, AS_OF):
        alone = run_queries(graph, checks, workers=1)
        assert len({r.shape for r in alone}) >= 3
        for workers in (2, 4):
            assert run_queries(graph, checks, workers=workers) == alone
        broken = list(checks)
        for index in (5, len(checks) - 1):
            broken[index] = replace(checks[index], query=checks[index].query + " }")
        for workers in (1, 2, 4):
            with pytest.raises(RopaError, match="its SPARQL does not parse") as caught:
                run_queries(graph, broken, workers=workers)
            assert caught.value.message.startswith(f"shape {shorten(checks[5].shape)}:")


def test_a_value_of_the_wrong_class_is_found_by_the_minus_form_as_by_the_test_per_value(tmp_path):
    """A sh:class constraint finds the instances of the class once for the record (MINUS on ?value, which the
    pattern before binds); the query as written tests each value. Both, and pyshacl, report the same values: a
    purpose given as data, a literal and a blank node, not a data category or one narrower."""
    from ropa.validate import compile_shapes, evaluation_context, load_shapes, run_queries, shape_files

    record = PREFIXES + SHOP + """
ex:mixed a dpv:Process ; ropa:recordedBy ex:shop ; ropa:role ropa:ControllerRole ;
    dpv:hasPersonalData pd:EmailAddress , pd:HealthRecord , dpv:Marketing , "names" , [ rdfs:label "a list" ] .
"""
    path = tmp_path / "record.ttl"
    path.write_text(record, encoding="utf-8")
    graph = ropa.load([path])
    check = next(c for c in compile_shapes(load_shapes(shape_files()))
                 if c.shape.endswith("#ControllerActivity-dataKind"))
    assert "MINUS { ?value" in check.query and "FILTER NOT EXISTS { ?value" in check.written
    with evaluation_context(graph, AS_OF):
        minus = sorted((r.focus, r.value or "") for r in run_queries(graph, [check]))
        per_value = replace(check, query=check.written, bound=("this",))
        written = sorted((r.focus, r.value or "") for r in run_queries(graph, [per_value]))
    assert "MINUS { ?value" not in per_value.query
    assert minus == written
    named = {(EX + "mixed", DPV + "Marketing"), (EX + "mixed", "names")}
    assert len(minus) == 3 and named < set(minus)
    reference = {(f.focus, f.value or "") for f in validate(graph, as_of=AS_OF, engine="pyshacl").findings
                 if f.check == "rs:ControllerActivity-dataKind"}
    assert named < reference
    assert len(reference) == 3

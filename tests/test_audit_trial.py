"""An auditor's trial of a processor's record: every gap of examples/loonhuis-schelde (its README lists them) is
reported, correcting one removes exactly its finding, and the checks added for them hold on other records too (the
hospital, the SaaS company, the Austrian public body, records built here)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ropa
from ropa import diagrams
from ropa import query as library
from ropa.cli import app
from ropa.plain import PlainWords
from ropa.render import render
from ropa.validate import validate
from records import prefixes

AS_OF = dt.date(2026, 11, 30)
REPOSITORY = Path(__file__).resolve().parent.parent
LH = "https://loonhuis-schelde.example/record/"
runner = CliRunner()

# Each gap of the README as (check, focus): the record reports these and nothing else.
GAPS = {
    ("rs:LargeScaleDpo", "organisation"), ("rs:RecordKeeper-dpo", "organisation"),                          # 1
    ("rs:RemoteAccessTransfer", "bangalore-code-labs"),                                                     # 2
    ("rs:SubProcessorAuthorisation", "helpwise"), ("rs:SubProcessorAgreement", "helpwise"),                 # 3
    ("rs:NoTransferContradiction", "organisation"),
    ("rs:TechnicalMeasuresForSensitiveData", "payroll-service"),                                            # 4
    ("rs:TechnicalMeasuresForSensitiveData", "absence-service"),
    ("rs:TechnicalMeasuresForSensitiveData", "access-badges"),
    ("rs:TechnicalMeasuresForSensitiveData", "staff-absence"),
    ("rs:SpecialCategoryCondition", "staff-absence"),                                                       # 5
    ("rs:NationalIdentificationNumber", "access-badges"),                                                   # 6
    ("rs:RetentionWithoutPeriod", "newsletter"),                                                            # 7
    ("rs:RecipientInThirdCountry", "schelde-holdings"),                                                     # 8
    ("rs:SubProcessorAuthorisationPerController", "bangalore-code-labs"),                                   # 9
}


def gaps(graph) -> set[tuple[str, str]]:
    return {(f.check, f.focus.removeprefix(LH)) for f in validate(graph, as_of=AS_OF).findings}


def corrected_copy(source: Path, tmp_path: Path, edits: dict[str, list[tuple[str, str]]]) -> Path:
    """A copy of a record's folder with each (old, new) replacement made once in the file it names."""
    folder = tmp_path / source.name
    shutil.copytree(source, folder)
    for name, replacements in edits.items():
        path = folder / name
        text = path.read_text(encoding="utf-8")
        for old, new in replacements:
            assert text.count(old) == 1, (name, old)
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    return folder


# --- The example record ---------------------------------------------------------------------------------------

def test_each_known_gap_is_reported_and_nothing_else(payroll):
    assert gaps(payroll) == GAPS


def test_the_readme_names_the_check_of_each_gap(payroll_path):
    readme = (payroll_path / "README.md").read_text(encoding="utf-8")
    for check, _ in GAPS:
        assert f"`{check}`" in readme, check


def test_fast_engine_and_pyshacl_agree_on_the_record(payroll):
    fast = {f.key() for f in validate(payroll, as_of=AS_OF, engine="fast").findings}
    reference = {f.key() for f in validate(payroll, as_of=AS_OF, engine="pyshacl").findings}
    assert fast == reference and len(fast) >= len(GAPS)


DPO = "\nmy:dpo a dpv:DataProtectionOfficer ;\n    rdfs:label \"DPO\"@nl ;\n    ropa:email \"dpo@loonhuis-schelde.be\" .\n"
SUBPROCESSORS = "    ropa:hasSubProcessor my:kempen-cloud ;\n    ropa:hasTransfer my:helpwise-transfer ;"

PARENT_TRANSFER = ("my:staff-payroll-retention a", "my:parent-transfer a dpv:CrossBorderTransfer ;\n"
                   "    dpv:hasDataExporter my:organisation ; dpv:hasDataImporter my:schelde-holdings ;\n"
                   "    dpv:hasThirdCountry loc:US ; dpv:hasLegalBasis ropa:SCC-2021-914-EU .\n\n"
                   "my:staff-payroll-retention a")
"""The payroll data's transfer to the US parent, documented with its basis."""

SICK_LEAVE_BASIS = '    dpv:hasLegalBasis eu-gdpr:A6-1-c ;\n    ropa:legalBasisLaw "Wet van 3 juli 1978'
"""The sick leave of the company's own staff: a legal obligation, and no Art. 9(2) condition (gap 5)."""

CORRECTIONS = {
    "a DPO is designated": (
        {"organisation.ttl": [("    dpv:hasAuthority legal-be:DPA-BE ;",
                               "    dpv:hasAuthority legal-be:DPA-BE ;\n    dpv:hasDataProtectionOfficer my:dpo ;"),
                              ("my:privacy-policy a", DPO + "\nmy:privacy-policy a")]},
        {("rs:LargeScaleDpo", "organisation"), ("rs:RecordKeeper-dpo", "organisation")},
    ),
    "the remote access is documented as a transfer": (
        {"services.ttl": [(SUBPROCESSORS, SUBPROCESSORS.replace("my:helpwise-transfer", "my:helpwise-transfer , my:india-transfer")),
                          ("my:eng-bangalore a", "my:india-transfer a dpv:CrossBorderTransfer ;\n"
                           "    dpv:hasDataExporter my:organisation ; dpv:hasDataImporter my:bangalore-code-labs ;\n"
                           "    dpv:hasThirdCountry loc:IN ; dpv:hasLegalBasis ropa:SCC-2021-914-EU .\n\nmy:eng-bangalore a")]},
        {("rs:RemoteAccessTransfer", "bangalore-code-labs")},
    ),
    "the support tool is an authorised sub-processor": (
        {"services.ttl": [("    dpv:hasDataProcessor my:helpwise ;\n", ""),
                          ("    ropa:hasSubProcessor my:kempen-cloud ;\n    ropa:hasTransfer",
                           "    ropa:hasSubProcessor my:kempen-cloud , my:helpwise ;\n    ropa:hasTransfer"),
                          ("    ropa:certifiedUnder ropa:Adequacy-EU-US-DPF .",
                           "    ropa:certifiedUnder ropa:Adequacy-EU-US-DPF ;\n"
                           "    ropa:authorisedBy my:van-damme , my:ter-linde , my:de-kroon ;\n"
                           "    ropa:hasAgreement my:kempen-cloud-agreement .")]},
        {("rs:SubProcessorAuthorisation", "helpwise"), ("rs:SubProcessorAgreement", "helpwise")},
    ),
    "every employer authorised the Indian team": (
        {"services.ttl": [("    ropa:authorisedBy my:van-damme , my:ter-linde ;\n    ropa:hasAgreement my:bangalore-agreement",
                           "    ropa:authorisedBy my:van-damme , my:ter-linde , my:de-kroon ;\n    ropa:hasAgreement my:bangalore-agreement")]},
        {("rs:SubProcessorAuthorisationPerController", "bangalore-code-labs")},
    ),
    "the Indian team is authorised in the standard agreement (general written authorisation)": (
        {"services.ttl": [("    ropa:authorisedBy my:van-damme , my:ter-linde ;\n    ropa:hasAgreement my:bangalore-agreement",
                           "    ropa:authorisedBy my:van-damme , my:ter-linde , my:standard-terms ;\n    ropa:hasAgreement my:bangalore-agreement"),
                          ("my:bangalore-agreement a", "my:standard-terms a dpv:ControllerProcessorAgreement ;\n"
                           "    rdfs:label \"Algemene voorwaarden, art. 9: algemene toestemming voor subverwerkers\"@nl .\n\n"
                           "my:bangalore-agreement a")]},
        {("rs:SubProcessorAuthorisationPerController", "bangalore-code-labs")},
    ),
    "technical measures are recorded": (
        {"organisation.ttl": [("dpv:StaffTraining , dpv:Policy", "dpv:EncryptionAtRest , dpv:AccessControlMethod , dpv:StaffTraining , dpv:Policy")]},
        {("rs:TechnicalMeasuresForSensitiveData", activity)
         for activity in ("payroll-service", "absence-service", "access-badges", "staff-absence")},
    ),
    "the transfer to the parent is documented": (
        {"activities.ttl": [("    dpv:hasImpactAssessment my:dpia-payroll ;\n    ropa:statesNoTransferOutside loc:EEA ;",
                             "    dpv:hasImpactAssessment my:dpia-payroll ;\n    ropa:hasTransfer my:parent-transfer ;"),
                            PARENT_TRANSFER]},
        {("rs:RecipientInThirdCountry", "schelde-holdings")},
    ),
    "the transfer to the parent is documented, but the activity still says none": (
        {"activities.ttl": [("    dpv:hasImpactAssessment my:dpia-payroll ;",
                             "    dpv:hasImpactAssessment my:dpia-payroll ;\n    ropa:hasTransfer my:parent-transfer ;"),
                            PARENT_TRANSFER]},
        {("rs:RecipientInThirdCountry", "schelde-holdings")},
        {("rs:NoTransferStatementContradicted", "staff-payroll")},
    ),
    "the staff's health data rest on Art. 9(2)(b), with the law the condition rests on": (
        {"activities.ttl": [(SICK_LEAVE_BASIS, SICK_LEAVE_BASIS.replace(
            "eu-gdpr:A6-1-c ;", 'eu-gdpr:A6-1-c , eu-gdpr:A9-2-b ;\n'
            '    ropa:specialCategoryLaw "Wet van 3 juli 1978 betreffende de arbeidsovereenkomsten, art. 31"@nl ;'))]},
        {("rs:SpecialCategoryCondition", "staff-absence")},
    ),
    "the staff's health data rest on Art. 9(2)(b), but the record names no law for it": (
        {"activities.ttl": [(SICK_LEAVE_BASIS, SICK_LEAVE_BASIS.replace("eu-gdpr:A6-1-c ;", "eu-gdpr:A6-1-c , eu-gdpr:A9-2-b ;"))]},
        {("rs:SpecialCategoryCondition", "staff-absence")},
        {("rs:SpecialCategoryLaw", "staff-absence")},
    ),
}


@pytest.mark.parametrize("case", sorted(CORRECTIONS))
def test_correcting_a_gap_removes_exactly_its_findings(case, payroll_path, tmp_path):
    edits, removed, *brought = CORRECTIONS[case]
    assert removed <= GAPS
    assert gaps(ropa.load([corrected_copy(payroll_path, tmp_path, edits)])) == (GAPS - removed) | (brought[0] if brought else set())


def test_the_new_gaps_are_told_in_dutch_with_their_values(payroll, payroll_path):
    plain = {f.check: f for f in PlainWords(payroll, "nl").all(validate(payroll, as_of=AS_OF).findings)}
    assert plain["rs:RemoteAccessTransfer"].message.startswith("De dienstverlener is gevestigd in een derde land (India)")
    assert plain["rs:RecipientInThirdCountry"].message.startswith("De ontvanger bevindt zich in een derde land (Verenigde Staten)")
    assert "kernactiviteit" in plain["rs:LargeScaleDpo"].message and plain["rs:LargeScaleDpo"].article.startswith("art. 37, lid 1")
    assert "vermeldt een technische beveiligingsmaatregel, alleen organisatorische" in plain["rs:TechnicalMeasuresForSensitiveData"].message
    result = runner.invoke(app, ["validate", str(payroll_path), "--lang", "nl", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 1 and "Overtredingen: 6, Waarschuwingen: 11, Opmerkingen: 1" in result.output


def test_the_questions_list_the_sub_processor_named_on_the_service(payroll):
    missing = library.run(library.get("processors-without-agreement"), payroll, as_of=AS_OF, lang="nl")
    providers = {r["providerLabel"]: r for r in missing.records(lang="nl")}
    assert set(providers) == {"Helpwise Inc."} and providers["Helpwise Inc."]["role"] == "subverwerker"
    processors = library.run(library.get("processors-of-entity"), payroll, as_of=AS_OF, lang="nl")
    helpwise = next(r for r in processors.records(lang="nl") if r["providerLabel"] == "Helpwise Inc.")
    assert helpwise["relationLabel"] == "heeft verwerker"             # DPV's property, in Dutch
    assert helpwise["authorisation"] == "niet gedocumenteerd"         # judged as a sub-processor's


def test_the_dutch_processor_register_names_the_operations_in_dutch(payroll, tmp_path):
    render(payroll, tmp_path, formats=["md"], lang="nl", findings=validate(payroll, as_of=AS_OF).findings)
    page = (tmp_path / "md" / "processor-organisation.md").read_text(encoding="utf-8")
    rows = " ".join(line for line in page.splitlines() if line.startswith("| Categorieën van verwerkingen"))
    assert "Opslaan" in rows and "Gebruiken" in rows and "Delen" in rows
    assert not re.search(r"\b(Store|Use|Share)\b", rows), rows


# --- The same checks on other records -------------------------------------------------------------------------

def test_remote_access_on_the_saas_company(tmp_path):
    """Wolkenwerk's US log service moved to Ireland without a transfer mechanism: access from the US remains."""
    folder = corrected_copy(REPOSITORY / "examples" / "wolkenwerk", tmp_path, {"wolkenwerk.ttl": [(
        "    ropa:dataLocation loc:US ;\n    ropa:transferMechanism ropa:SCC-2021-914-EU ;\n    ropa:engagementScope ropa:AllProcessorServices ;\n    ropa:receivesData pd:IPAddress",
        "    ropa:dataLocation loc:IE ;\n    ropa:engagementScope ropa:AllProcessorServices ;\n    ropa:receivesData pd:IPAddress")]})
    found = [f for f in validate(ropa.load([folder]), as_of=AS_OF).findings if f.check == "rs:RemoteAccessTransfer"]
    assert [(f.focus.rsplit("/", 1)[-1], f.value) for f in found] == [("logquell", "https://w3id.org/dpv/loc#US")]


def test_remote_access_is_not_reported_for_a_provider_established_in_the_eea(bundled, tmp_path):
    """On the bundled record: Microsoft given a data location in Belgium is still based in the US; an establishment
    of it in the EEA answers the question."""
    source = REPOSITORY / "data" / "destiny"
    anchor = "dst:microsoft a ropa:ServiceProvider , dpv:DataProcessor ;"
    located = corrected_copy(source, tmp_path / "located", {"000-destiny-nv.ttl": [(anchor, anchor + "\n    ropa:dataLocation loc:BE ;")]})
    established = corrected_copy(source, tmp_path / "established", {"000-destiny-nv.ttl": [(
        anchor, anchor + "\n    ropa:dataLocation loc:BE ;\n    ropa:hasEstablishment [ dpv:hasCountry loc:IE ] ;")]})
    before = [f.focus for f in validate(bundled, as_of=AS_OF).findings if f.check == "rs:RemoteAccessTransfer"]
    after = [f.focus for f in validate(ropa.load([located]), as_of=AS_OF).findings if f.check == "rs:RemoteAccessTransfer"]
    fixed = [f.focus for f in validate(ropa.load([established]), as_of=AS_OF).findings if f.check == "rs:RemoteAccessTransfer"]
    assert before == [] and after == ["https://w3id.org/ropa/destiny/microsoft"] and fixed == []


HOSPITAL_MEASURES = ("dpv:hasTechnicalOrganisationalMeasure dpv:AccessControlMethod , dpv:EncryptionAtRest , dpv:EncryptionInTransfer ,\n"
                     "        dpv:StaffTraining , dpv:DataBackupProtocols , dpv:MultiFactorAuthentication ;")


def test_security_measures_on_the_hospital(hospital_path, tmp_path):
    """The hospital's measures cut to training only: its health and social security number activities lack a technical
    one; cut to 'appropriate measures': every activity's measures are named only in general terms."""
    organisational = corrected_copy(hospital_path, tmp_path / "a", {"record.ttl": [(
        HOSPITAL_MEASURES, "dpv:hasTechnicalOrganisationalMeasure dpv:StaffTraining ;")]})
    general = corrected_copy(hospital_path, tmp_path / "b", {"record.ttl": [(
        HOSPITAL_MEASURES, 'dpv:hasTechnicalOrganisationalMeasure dpv:TechnicalOrganisationalMeasure , "mesures appropriées"@fr ;')]})
    graph = ropa.load([hospital_path])
    activities = {str(r["a"]).strip("<>") for r in graph.select("SELECT ?a WHERE { ?a a dpv:Process }")}
    original = {f.check for f in validate(graph, as_of=AS_OF).findings}
    assert not original & {"rs:TechnicalMeasuresForSensitiveData", "rs:SecurityMeasuresVague"}
    technical = {f.focus for f in validate(ropa.load([organisational]), as_of=AS_OF).findings
                 if f.check == "rs:TechnicalMeasuresForSensitiveData"}
    assert technical and technical < activities
    vague = [f for f in validate(ropa.load([general]), as_of=AS_OF).findings if f.check == "rs:SecurityMeasuresVague"]
    assert {f.focus for f in vague} == {a for a in activities if not _has_own_measure(graph, a)}
    assert {f.value for f in vague} == {"https://w3id.org/dpv#TechnicalOrganisationalMeasure", "mesures appropriées"}


def _has_own_measure(graph, activity: str) -> bool:
    return bool(graph.select(f"SELECT ?m WHERE {{ <{activity}> dpv:hasTechnicalOrganisationalMeasure|dpv:hasTechnicalMeasure|"
                             f"dpv:hasOrganisationalMeasure|dpv:hasPhysicalMeasure ?m }}"))


def test_large_scale_dpo_on_the_hospital_but_not_on_a_public_body(hospital_path, tmp_path):
    """Without its DPO, the hospital's large-scale research on health data needs one (Art. 37(1)(c)); the Austrian
    public body, already told by rs:PublicAuthority-dpo (Art. 37(1)(a)), is not told twice."""
    hospital = corrected_copy(hospital_path, tmp_path / "chb", {"record.ttl": [
        ("    dpv:hasDataProtectionOfficer chb:dpo ;\n    dpv:hasTechnicalOrganisationalMeasure",
         "    dpv:hasTechnicalOrganisationalMeasure"),
        ("    dpv:hasPersonalData pd:BirthDate , pd:HealthRecord , pd:Genetic ;",
         "    dpv:hasPersonalData pd:BirthDate , pd:HealthRecord , pd:Genetic ;\n    dpv:hasScale dpv:LargeScaleProcessing ;")]})
    found = [f for f in validate(ropa.load([hospital]), as_of=AS_OF).findings if f.check == "rs:LargeScaleDpo"]
    assert [(f.focus, f.severity) for f in found] == [("https://example.org/chi-belleval/chi-belleval", "warning")]
    austrian = REPOSITORY / "examples" / "awv-muehlviertel"
    text = (austrian / "record.ttl").read_text(encoding="utf-8")
    activity = re.search(r"^(\S+) a dpv:Process ;", text, flags=re.MULTILINE).group(1)
    body = corrected_copy(austrian, tmp_path / "awv", {"record.ttl": [(
        f"{activity} a dpv:Process ;", f"{activity} a dpv:Process ;\n    dpv:hasScale dpv:LargeScaleProcessing ;")]})
    checks = {f.check for f in validate(ropa.load([body]), as_of=AS_OF).findings}
    assert "rs:PublicAuthority-dpo" in checks and "rs:LargeScaleDpo" not in checks


SERVICE = prefixes("https://example.org/callco/") + """
my:callco a dpv:LegalEntity , dpv:DataProcessor ; dpv:hasName "CallCo NV" ; ropa:email "privacy@callco.be" ;
    dpv:hasAuthority legal-be:DPA-BE ; dpv:hasTechnicalOrganisationalMeasure dpv:AccessControlMethod ;
    ropa:statesNoTransferOutside loc:EEA .
my:client a dpv:LegalEntity , dpv:DataController ; dpv:hasName "Client BV" ; ropa:email "privacy@client.be" .
my:client-dpa a dpv:ControllerProcessorAgreement .
my:telephony a dpv:Process ; rdfs:label "Hosted telephony"@en ; ropa:recordedBy my:callco ; ropa:role ropa:ProcessorRole ;
    dpv:hasDataProcessor my:callco , my:hostco ; dpv:hasDataController my:client ; ropa:actsOnBehalfOf my:client ;
    ropa:hasAgreement my:client-dpa ; dpv:hasProcessing dpv:Store ; dpv:hasDataSubject dpv:Employee ;
    dpv:hasPersonalData pd:Name .
my:hostco a ropa:ServiceProvider , dpv:DataProcessor ; dpv:hasName "HostCo NV" ; ropa:headquarteredIn loc:BE ;
    ropa:dataLocation loc:BE{hostco} .
my:hostco-agreement a dpv:SubProcessorAgreement .
"""


@pytest.mark.parametrize("engine", ["fast", "pyshacl"])
def test_a_processor_named_on_a_processor_service_is_checked_as_a_sub_processor(engine, tmp_path):
    """Named the DPV way (dpv:hasDataProcessor on the service, beside the organisation itself), HostCo needs the
    client's authorisation and an agreement like any sub-processor (Art. 28(2), 28(4)); the organisation does not."""
    def checks(hostco: str) -> set[tuple[str, str]]:
        path = tmp_path / f"{len(hostco)}.ttl"
        path.write_text(SERVICE.replace("{hostco}", hostco), encoding="utf-8")
        return {(f.check, f.focus.rsplit("/", 1)[-1]) for f in validate(ropa.load([path]), as_of=AS_OF, engine=engine).findings
                if f.check.startswith("rs:SubProcessor")}

    assert checks("") == {("rs:SubProcessorAuthorisation", "hostco"), ("rs:SubProcessorAgreement", "hostco")}
    assert checks(" ;\n    ropa:authorisedBy my:client ; ropa:hasAgreement my:hostco-agreement") == set()


@pytest.mark.parametrize("engine", ["fast", "pyshacl"])
def test_a_controller_named_only_as_the_one_on_whose_behalf_is_checked(engine, tmp_path):
    """Art. 30(2)(a): the controller a processor acts for needs its name and contact details even when the record links
    it only with ropa:actsOnBehalfOf (the link rs:ProcessorActivity-controller asks for)."""
    path = tmp_path / "service.ttl"
    path.write_text(SERVICE.replace("{hostco}", " ;\n    ropa:authorisedBy my:client ; ropa:hasAgreement my:hostco-agreement")
                    .replace(" dpv:hasDataController my:client ;", "")
                    .replace('my:client a dpv:LegalEntity , dpv:DataController ; dpv:hasName "Client BV" ; ropa:email "privacy@client.be" .',
                             'my:client a dpv:LegalEntity , dpv:DataController ; rdfs:label "Client BV"@en .'), encoding="utf-8")
    found = {(f.check, f.focus.rsplit("/", 1)[-1]) for f in validate(ropa.load([path]), as_of=AS_OF, engine=engine).findings}
    assert {("rs:Controller-name", "client"), ("rs:Controller-contact", "client")} <= found


def test_a_recipient_established_in_the_eea_receives_no_transfer(tmp_path):
    record = prefixes("https://example.org/bonus/") + """
my:org a dpv:Organisation ; dpv:hasName "Org NV" ; ropa:email "privacy@org.be" ; dpv:hasCountry loc:BE ;
    dpv:hasAuthority legal-be:DPA-BE ; dpv:hasTechnicalOrganisationalMeasure dpv:EncryptionAtRest ;
    ropa:statesNoTransferOutside loc:EEA .
my:bonus a dpv:Process ; rdfs:label "Bonuses"@en ; ropa:recordedBy my:org ; ropa:role ropa:ControllerRole ;
    dpv:hasDataController my:org ; dpv:hasPurpose dpv:HumanResourceManagement ; dpv:hasLegalBasis eu-gdpr:A6-1-b ;
    dpv:hasDataSubject dpv:Employee ; dpv:hasPersonalData pd:Salary ; dpv:hasRecipient my:parent ;
    dpv:hasStorageCondition [ a dpv:StorageDuration ; dpv:hasDuration [ a dpv:TemporalDuration ; rdf:value "P1Y"^^xsd:duration ] ] .
my:parent a dpv:Recipient , dpv:Organisation ; dpv:hasName "Parent Inc." ; ropa:headquarteredIn loc:US{more} .
"""
    def checks(more: str) -> set[str]:
        path = tmp_path / f"{len(more)}.ttl"
        path.write_text(record.replace("{more}", more), encoding="utf-8")
        return {f.check for f in validate(ropa.load([path]), as_of=AS_OF).findings}

    assert "rs:RecipientInThirdCountry" in checks("")
    assert "rs:RecipientInThirdCountry" not in checks(" ;\n    ropa:hasEstablishment [ dpv:hasCountry loc:NL ]")
    assert "rs:RecipientInThirdCountry" in checks(" ;\n    ropa:hasEstablishment [ dpv:hasCountry loc:NL ] ; dpv:hasLocation loc:US")
    # The transfer documented: the recipient is accounted for; the organisation's statement that no data leave the
    # EEA covers only the activities that document no transfer, but the activity's own statement is contradicted.
    transfer = (" .\nmy:bonus ropa:hasTransfer [ a dpv:CrossBorderTransfer ; dpv:hasDataExporter my:org ; "
                "dpv:hasDataImporter my:parent ; dpv:hasThirdCountry loc:US ; dpv:hasLegalBasis ropa:SCC-2021-914-EU ]")
    documented = checks(transfer)
    assert not documented & {"rs:RecipientInThirdCountry", "rs:NoTransferStatementContradicted"}
    assert "rs:NoTransferStatementContradicted" in checks(transfer + " ; ropa:statesNoTransferOutside loc:EEA")


# --- Odd input ------------------------------------------------------------------------------------------------

def test_a_huge_name_does_not_stop_the_diagrams(tmp_path):
    """Graphviz refuses a quoted string over 16,384 characters: a diagram cuts a name long before that."""
    quoted = diagrams.dot_string("Loonhuis " * 5000)
    assert len(quoted) < 1000 and quoted.endswith('\u2026"')
    if shutil.which(diagrams.DOT) is None:
        return
    record = tmp_path / "record"
    record.mkdir()
    (record / "a.ttl").write_text(prefixes("https://example.org/huge/") + f"""
my:org a dpv:Organisation ; dpv:hasName "{'Loonhuis ' * 5000}" ; ropa:email "privacy@org.be" .
my:a a dpv:Process ; rdfs:label "Loonadministratie"@nl ; ropa:recordedBy my:org ; ropa:role ropa:ControllerRole ;
    dpv:hasDataController my:org ; dpv:hasPurpose dpv:HumanResourceManagement ; dpv:hasPersonalData pd:Name .
""", encoding="utf-8")
    result = runner.invoke(app, ["build", str(record), "--lang", "nl", "--format", "html", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "out").rglob("*.html"))



@pytest.mark.parametrize("content", ["", "@prefix dpv: <https://w3id.org/dpv#> .\n"])
def test_a_diagram_of_an_empty_record_says_there_is_nothing_to_draw(content, tmp_path):
    """An empty file, or one with only prefixes: one line that says so, exit code 2, no file written."""
    (tmp_path / "record").mkdir()
    (tmp_path / "record" / "a.ttl").write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["diagram", str(tmp_path / "record"), "-o", str(tmp_path / "flows.svg")])
    assert result.exit_code == 2 and "nothing to draw" in result.output and "several organisations" not in result.output
    assert "Traceback" not in result.output and not (tmp_path / "flows.svg").exists()

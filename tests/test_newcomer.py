"""What a new user of another member state meets first: an Austrian practice's record in German, an Irish shop's
workbook filled by hand, a Luxembourg processor's sub-processors, a Flemish youth centre's Dutch workbook with a
newsletter service in the United States. Each test builds its own small record."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

import ropa
from ropa.cli import app
from ropa.register import build_record
from ropa.terms import vocabulary
from ropa.transfers import verdicts
from ropa.validate import validate
from ropa.workbook import write_template
from records import prefixes

runner = CliRunner()

PREFIXES = prefixes("https://praxis.example/record/")

PRACTICE = PREFIXES + """
my:practice a dpv:Organisation , dpv:DataController ; dpv:hasName "Ordination Donaublick GmbH" ;
    rdfs:label "Ordination Donaublick GmbH"@de ; dpv:hasCountry loc:AT ; ropa:email "datenschutz@donaublick.at" ;
    dpv:hasAuthority legal-at:DPA-AT ; dpv:hasTechnicalOrganisationalMeasure dpv:Encryption .

# An activity that keeps its data in the EEA, in an organisation that transfers elsewhere for another activity.
my:patients a dpv:Process ; rdfs:label "Patientendokumentation"@de ;
    ropa:recordedBy my:practice ; ropa:role ropa:ControllerRole ; dpv:hasDataController my:practice ;
    dpv:hasPurpose dpv:ServiceProvision ; dpv:hasLegalBasis eu-gdpr:A6-1-c ;
    dpv:hasDataSubject dpv:Patient ; dpv:hasPersonalData pd:Name ; ropa:noRecipients true ;
    ropa:statesNoTransferOutside loc:EEA ;
    dpv:hasStorageCondition [ a dpv:StorageDuration ; dpv:hasDuration [ a dpv:TemporalDuration ; rdf:value "P10Y"^^xsd:duration ] ] .

my:reminders a dpv:Process ; rdfs:label "Terminerinnerungen"@de ;
    ropa:recordedBy my:practice ; ropa:role ropa:ControllerRole ; dpv:hasDataController my:practice ;
    dpv:hasPurpose dpv:CommunicationForCustomerCare ; dpv:hasLegalBasis eu-gdpr:A6-1-a ;
    ropa:withdrawalMeans "STOP"@de ;
    dpv:hasDataSubject dpv:Patient ; dpv:hasPersonalData pd:TelephoneNumber ; ropa:noRecipients true ;
    dpv:hasDataProcessor my:sms ; ropa:hasTransfer my:sms-transfer ;
    dpv:hasStorageCondition [ a dpv:StorageDuration ; dpv:hasDuration [ a dpv:TemporalDuration ; rdf:value "P30D"^^xsd:duration ] ] .

my:sms a ropa:ServiceProvider , dpv:DataProcessor ; dpv:hasName "Textly Inc." ; ropa:headquarteredIn loc:US ;
    ropa:dataLocation loc:US ; ropa:hasAgreement [ a dpv:ControllerProcessorAgreement ] .
my:sms-transfer a dpv:CrossBorderTransfer ; dpv:hasDataExporter my:practice ; dpv:hasDataImporter my:sms ;
    dpv:hasThirdCountry loc:US ; dpv:hasLegalBasis eu-gdpr:StandardContractualClauses .
"""


@pytest.fixture(scope="module")
def practice(tmp_path_factory):
    folder = tmp_path_factory.mktemp("praxis")
    (folder / "record.ttl").write_text(PRACTICE, encoding="utf-8")
    return ropa.load([folder])


def test_an_activity_that_states_no_transfer_shows_it_in_the_register(practice):
    """Art. 30(1)(e): the statement on the activity is what the register shows, not "Not documented"."""
    record = build_record(practice, lang="de", findings=validate(practice).findings)
    entries = {e.label.text: e for r in record.controller_registers for e in r.entries}
    transfers = entries["Patientendokumentation"].fields["transfers"]
    assert [v.text for v in transfers.values] == ["Keine Übermittlung aus dem Europäischen Wirtschaftsraum (EWR) hinaus (angegeben)"]
    assert not transfers.note  # stated for this activity, not for all processing
    assert "Vereinigte Staaten" in entries["Terminerinnerungen"].fields["transfers"].values[0].text


def test_standard_contractual_clauses_without_their_decision_are_an_art46_safeguard(practice):
    """The DPV concept the workbook offers for "Standard Contractual Clauses" is a Chapter V basis (Art. 46(2)(c)
    or (d)), not "no basis"."""
    found = [v for v in verdicts(practice, dt.date(2026, 11, 30)) if v.place.endswith("#US")]
    assert found and all(v.status == "valid" for v in found), found
    assert not [f for f in validate(practice).findings if f.check == "rs:TransferBasis"]


def test_the_german_social_insurance_number_is_labelled_as_german():
    """An Austrian looking for "Sozialversicherungsnummer" must not take the German number for the Austrian one."""
    term = vocabulary().get("https://w3id.org/ropa/vocab#GermanSocialInsuranceNumber")
    assert term.label("de").startswith("Deutsche ")
    found = vocabulary().search("Sozialversicherungsnummer", lang="de")
    assert all(t.label("de") != "Sozialversicherungsnummer" for t in found)


def _filled_template(path: Path) -> Path:
    write_template(path)
    book = openpyxl.load_workbook(path)

    def put(sheet: str, row: int, values: dict[str, str]) -> None:
        headers = [c.value for c in book[sheet][1]]
        for header, value in values.items():
            book[sheet].cell(row=row, column=headers.index(header) + 1, value=value)

    put("Organisation", 2, {"Name": "Shamrock Shop Ltd", "E-mail": "privacy@shamrockshop.ie", "Country": "Ireland"})
    put("Activities", 2, {"Organisation keeping the record": "Shamrock Shop Ltd", "Role": "Controller",
                          "Name": "Online orders", "Purposes": "Customer Care", "Legal basis (Art. 6)": "Performance of a contract",
                          "Data subjects": "Customer", "Personal data": "Name", "No recipients": "yes",
                          "Retention": "7 years after end of contract", "Processors": "Parcel Cloud"})
    put("Processors and recipients", 2, {"Name": "Parcel Cloud", "Type": "Processor", "Country": "Ireland"})
    book.save(path)
    return path


def test_a_workbook_with_only_the_name_column_names_the_organisation(tmp_path):
    """Art. 30(1)(a): the name a spreadsheet user writes in 'Name' is the organisation's name; leaving 'Registered
    name' empty must not raise "no name", and the workbook written back does not repeat it."""
    path = _filled_template(tmp_path / "shop.xlsx")
    out = tmp_path / "shop"
    result = runner.invoke(app, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    graph = ropa.load([out])
    names = {r["name"] for r in graph.select("SELECT ?name WHERE { ?x dpv:hasName ?name }")}
    assert {"Shamrock Shop Ltd", "Parcel Cloud"} <= names
    checks = {f.check for f in validate(graph).findings}
    assert "rs:RecordKeeper-name" not in checks
    back = tmp_path / "back.xlsx"
    result = runner.invoke(app, ["export", str(out), "--format", "xlsx", "--layout", "ropa", "-o", str(back)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(back)["Organisation"]
    headers = [c.value for c in sheet[1]]
    row = [c.value for c in sheet[2]]
    assert row[headers.index("Name")] == "Shamrock Shop Ltd"
    assert row[headers.index("Registered name")] in (None, "")


LUX = PREFIXES + """
@prefix legal-eu: <https://w3id.org/dpv/legal/eu#> .
my:host a dpv:Organisation , dpv:DataProcessor ; dpv:hasName "Nuage Ardennes SA" ; dpv:hasCountry loc:LU ;
    ropa:email "dpo@nuage-ardennes.lu" .
my:client a dpv:DataController , dpv:Organisation ; dpv:hasName "Client SA" ; rdfs:label "Client SA"@fr .
my:hosting a dpv:Process ; rdfs:label "Hébergement"@fr ; ropa:recordedBy my:host ; ropa:role ropa:ProcessorRole ;
    dpv:hasDataProcessor my:host ; dpv:hasDataController my:client ; ropa:actsOnBehalfOf my:client ;
    dpv:hasPurpose dpv:ServiceProvision ; dpv:hasDataSubject dpv:User ; dpv:hasPersonalData pd:Name ;
    ropa:hasSubProcessor my:backup-ch %s .
my:backup-ch a ropa:ServiceProvider , dpv:DataProcessor ; dpv:hasName "Alpensicher AG" ; ropa:headquarteredIn loc:CH ;
    ropa:dataLocation loc:CH .
my:tickets-us a ropa:ServiceProvider , dpv:DataProcessor ; dpv:hasName "Smart Tickets Inc." ; ropa:headquarteredIn loc:US ;
    ropa:dataLocation loc:US .
my:t-us a dpv:CrossBorderTransfer ; dpv:hasDataExporter my:host ; dpv:hasDataImporter my:tickets-us ;
    dpv:hasThirdCountry loc:US ; dpv:hasLegalBasis ropa:SCC-2021-914-EU .
"""


def test_notice_speaks_the_controllers_language_and_names_the_basis(tmp_path):
    """Art. 28(2): a Luxembourg processor writes to its customers in French; the new sub-processor's transfer basis
    is named, not only judged; each contact is a line of its own."""
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir(), new.mkdir()
    (old / "r.ttl").write_text(LUX % "", encoding="utf-8")
    (new / "r.ttl").write_text(LUX % ", my:tickets-us ; ropa:hasTransfer my:t-us", encoding="utf-8")
    out = tmp_path / "avis.md"
    result = runner.invoke(app, ["notice", str(old), str(new), "--processor", "my:host", "--effective", "2099-01-15",
                                 "--lang", "fr", "--format", "md", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "## Comment émettre des objections" in text and "## How to object" not in text
    assert "| ajouté | Smart Tickets Inc. | Hébergement | États-Unis | États-Unis |" in text
    assert "valide (Clauses contractuelles types (UE) 2021/914)" in text
    assert re.search(r"\n\ncourriel\s: dpo@nuage-ardennes\.lu\n", text)   # punctuated as French is
    assert "Not documented" not in text and "\\-" not in text


def test_a_label_without_its_abbreviation_or_the_abbreviation_alone_names_the_term():
    """What people type in a workbook: "Data Protection Commission" for "Data Protection Commission (DPC)"."""
    vocab = vocabulary()
    assert vocab.resolve("Data Protection Commission").curie == "legal-ie:DPA-IE"
    assert vocab.resolve("PPSN").curie == "ropa:IrishPersonalPublicServiceNumber"
    assert vocab.resolve("Standard Contractual Clauses").curie == "eu-gdpr:StandardContractualClauses"


def _irish_workbook(path: Path, edits: dict[tuple[str, str], str]) -> Path:
    _filled_template(path)
    book = openpyxl.load_workbook(path)
    for (sheet, header), value in edits.items():
        headers = [c.value for c in book[sheet][1]]
        book[sheet].cell(row=2, column=headers.index(header) + 1, value=value)
    book.save(path)
    return path


def test_an_art6_basis_typed_as_one_word_suggests_the_bases_that_hold_it(tmp_path):
    path = _irish_workbook(tmp_path / "shop.xlsx", {("Activities", "Legal basis (Art. 6)"): "Contract"})
    result = runner.invoke(app, ["import", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "unknown term 'Contract' for 'Legal basis (Art. 6)'; did you mean 'Performance of a contract'" in result.output


def test_a_processor_certified_under_the_data_privacy_framework_can_be_written_in_the_workbook(tmp_path):
    """Art. 45(3): the EU-US Data Privacy Framework covers only certified importers; a spreadsheet says so in its
    own column, and the workbook written back keeps it."""
    path = _irish_workbook(tmp_path / "shop.xlsx", {
        ("Processors and recipients", "Country"): "United States",
        ("Processors and recipients", "Certified under (Art. 45)"): "EU-US Data Privacy Framework"})
    out = tmp_path / "out"
    result = runner.invoke(app, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    graph = ropa.load([out])
    rows = graph.select("SELECT ?p WHERE { ?p ropa:certifiedUnder ropa:Adequacy-EU-US-DPF ; dpv:hasName 'Parcel Cloud' }")
    assert len(rows) == 1
    back = tmp_path / "back.xlsx"
    assert runner.invoke(app, ["export", str(out), "--format", "xlsx", "-o", str(back)]).exit_code == 0
    sheet = openpyxl.load_workbook(back)["Processors and recipients"]
    headers = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=headers.index("Certified under (Art. 45)") + 1).value == \
        "EU-US Data Privacy Framework (adequacy decision)"


def test_a_record_started_in_german_is_checked_in_german(tmp_path):
    """An Austrian officer's `ropa init --lang de` speaks German in its examples and asks for German findings in its
    README, CI and pre-commit hook; an English record keeps the plain command."""
    from ropa.scaffold import plan

    german = plan("Ordination Donaublick GmbH", "AT", lang="de")
    assert "ropa terms Einwilligung --kind legal-basis" in german["organisation.ttl"]
    assert "toestemming" not in german["organisation.ttl"]
    for name in ("README.md", ".github/workflows/ropa.yml", ".pre-commit-config.yaml"):
        assert "ropa validate . --waivers waivers.toml" in german[name] and "--lang de" in german[name], name
    english = plan("Shamrock Shop Ltd", "IE", lang="en")
    assert "ropa terms consent --kind legal-basis" in english["organisation.ttl"]
    assert all("--lang" not in text for text in english.values())


def test_diagram_command_draws_in_the_record_language(tmp_path):
    """`ropa diagram --lang de` labels subjects, places and verdicts in German, as the German registers do."""
    folder = tmp_path / "praxis"
    folder.mkdir()
    (folder / "record.ttl").write_text(PRACTICE, encoding="utf-8")
    result = runner.invoke(app, ["diagram", str(folder), "--controller", "my:practice", "--format", "mermaid", "--lang", "de"])
    assert result.exit_code == 0, result.output
    assert "Datenflüsse von Ordination Donaublick GmbH" in result.output
    assert '["Betroffene Personen"]' in result.output and '[["Vereinigte Staaten"]]' in result.output
    assert "Data subjects" not in result.output and "United States" not in result.output
    english = runner.invoke(app, ["diagram", str(folder), "--activity", "my:reminders", "--format", "mermaid"])
    assert english.exit_code == 0 and "United States" in english.output


def test_a_transfer_written_as_people_write_it_imports_and_holds(tmp_path):
    """'USA: Standard Contractual Clauses' is the United States under an Art. 46(2)(c) safeguard."""
    path = _irish_workbook(tmp_path / "shop.xlsx", {
        ("Activities", "Transfers outside the EEA (country: basis)"): "USA: Standard Contractual Clauses"})
    out = tmp_path / "out"
    result = runner.invoke(app, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    graph = ropa.load([out])
    rows = graph.select("SELECT ?t WHERE { ?t dpv:hasThirdCountry loc:US ; dpv:hasLegalBasis eu-gdpr:StandardContractualClauses }")
    assert len(rows) == 1
    assert not [f for f in validate(graph).findings if f.check == "rs:TransferBasis"]


def test_an_imported_record_declares_only_the_prefixes_it_uses(tmp_path):
    """An Irish shop's Turtle file does not declare the bundled Destiny namespace or fifty authorities' prefixes."""
    path = _irish_workbook(tmp_path / "shop.xlsx", {})
    out = tmp_path / "out"
    assert runner.invoke(app, ["import", str(path), "-o", str(out)]).exit_code == 0
    text = (out / "shop.ttl").read_text(encoding="utf-8")
    declared = {line.split()[1] for line in text.splitlines() if line.startswith("@prefix")}
    assert {"rec:", "dpv:", "ropa:", "rdf:"} <= declared
    assert "dst:" not in declared and "legal-be:" not in declared and "sh:" not in declared
    assert len(ropa.load([out]).select("SELECT ?a WHERE { ?a a dpv:Process }")) == 1


def test_a_sub_processor_in_the_eea_needs_no_transfer_basis_in_the_processor_overview(tmp_path):
    """Art. 44: data kept in Germany by a Luxembourg processor's sub-processor are no transfer; the overview says so
    instead of "Not documented"; a Swiss one shows its adequacy decision."""
    folder = tmp_path / "lux"
    folder.mkdir()
    extra = """
my:dc-de a ropa:ServiceProvider , dpv:DataProcessor ; dpv:hasName "Rechenzentrum Saar GmbH" ; ropa:headquarteredIn loc:DE ;
    ropa:dataLocation loc:DE .
my:t-ch a dpv:CrossBorderTransfer ; dpv:hasDataExporter my:host ; dpv:hasDataImporter my:backup-ch ;
    dpv:hasThirdCountry loc:CH ; dpv:hasLegalBasis legal-eu:Adequacy-EU-CH .
my:hosting ropa:hasTransfer my:t-ch .
"""
    (folder / "r.ttl").write_text(LUX % ", my:dc-de" + extra, encoding="utf-8")
    graph = ropa.load([folder])
    record = build_record(graph, lang="fr", findings=[])
    providers = {p.name.text: p for o in record.overviews for p in o.providers}
    german = providers["Rechenzentrum Saar GmbH"]
    assert [v.text for v in german.fields["transfer_basis"].values] == ["Pas nécessaire : les données restent dans l'EEE"]
    swiss = providers["Alpensicher AG"]
    assert "Suisse" in swiss.fields["transfer_basis"].values[0].text


def test_diagram_of_a_record_kept_by_one_organisation_needs_no_controller_option(tmp_path):
    folder = tmp_path / "praxis"
    folder.mkdir()
    (folder / "record.ttl").write_text(PRACTICE, encoding="utf-8")
    result = runner.invoke(app, ["diagram", str(folder), "--format", "mermaid"])
    assert result.exit_code == 0, result.output
    assert "Data flows of Ordination Donaublick GmbH" in result.output
    several = runner.invoke(app, ["diagram", "--format", "mermaid"])  # the bundled record: several organisations
    assert several.exit_code == 2 and "several organisations" in several.output


def test_terms_are_found_by_their_article():
    """An officer knows "Art. 9" before the label of the condition."""
    found = [t.curie for t in vocabulary().search("Art. 9(2)", kind="legal-basis")]
    assert "eu-gdpr:A9-2-h" in found and not [c for c in found if c.startswith("eu-gdpr:A6")]

# --- A Flemish youth centre (a non-profit with volunteers, children's data and a US newsletter service) ---------

def _flemish_workbook(path: Path, lang: str = "nl", edits: dict[tuple[str, str], str] | None = None) -> Path:
    """The Dutch template as the youth centre's officer fills it: one newsletter sent through Mailchimp, a US
    service certified under the EU-US Data Privacy Framework, written as the workbook's instructions say."""
    from ropa.register import Messages

    t = Messages(lang)
    write_template(path, lang=lang)
    book = openpyxl.load_workbook(path)

    def put(sheet: str, row: int, values: dict[str, str]) -> None:
        headers = [c.value for c in book[t(sheet)][1]]
        for header, value in values.items():
            book[t(sheet)].cell(row=row, column=headers.index(t(header)) + 1, value=value)

    put("sheet.organisations", 2, {"col.name": "Jeugdhuis De Kreek vzw", "col.email": "privacy@dekreek.be",
                                   "col.country": "België"})
    put("sheet.activities", 2, {"col.organisation": "Jeugdhuis De Kreek vzw", "col.role": "Verwerkingsverantwoordelijke",
                                "col.name": "Nieuwsbrief", "col.purposes": "Direct marketing",
                                "col.legal_basis": "Toestemming", "col.data_subjects": "Lid; Ouder",
                                "col.personal_data": "Naam; E-mailadres", "col.no_recipients": "Ja",
                                "col.processors": "Mailchimp", "col.retention": "2 jaar",
                                "col.transfers": "Verenigde Staten: EU-VS Data Privacy Framework"})
    put("sheet.parties", 2, {"col.name": "Mailchimp", "col.legal_name": "The Rocket Science Group LLC",
                             "col.party_type": "Verwerker", "col.country": "Verenigde Staten",
                             "col.data_location": "Verenigde Staten",
                             "col.certified_under": "EU-VS-kader voor gegevensbescherming (adequaatheidsbesluit)"})
    for (sheet, header), value in (edits or {}).items():
        put(sheet, 2, {header: value})
    book.save(path)
    return path


def test_init_in_dutch_gives_its_next_step_in_dutch_and_a_plain_mail_domain(tmp_path):
    """`ropa init --lang nl` ends with the next step in Dutch, with the command that reports in Dutch; the example
    addresses of 'Jeugdhuis Brûlé vzw' read jeugdhuis-brule-vzw, not jeugdhuis-br-l-vzw."""
    folder = tmp_path / "brule"
    result = runner.invoke(app, ["init", str(folder), "--org", "Jeugdhuis Brûlé vzw", "--country", "BE", "--lang", "nl"])
    assert result.exit_code == 0, result.output
    assert f"volgende stap: vul in wat de bestanden met TO FILL aanduiden en voer dan uit: ropa validate {folder} --lang nl" in result.output
    assert "next:" not in result.output
    assert "privacy@jeugdhuis-brule-vzw.example" in (folder / "organisation.ttl").read_text(encoding="utf-8")


def test_terms_rank_a_whole_word_before_the_same_letters_inside_a_word():
    """'leden' (members) is the purpose 'Beheer van leden en partners', not 'Kredietverleden' (credit history)."""
    found = vocabulary().search("leden", lang="nl")
    assert found[0].curie == "dpv:MemberPartnerManagement"
    assert "pd:CreditRecord" in [t.curie for t in found]


def test_a_transfer_written_in_a_workbook_names_who_sends_and_who_receives_it(tmp_path):
    """Art. 44-45: 'Verenigde Staten: EU-VS Data Privacy Framework' on the newsletter that Mailchimp sends is a transfer
    from the youth centre to Mailchimp; the framework covers Mailchimp because it is certified, so neither the basis
    nor an undocumented transfer to Mailchimp is reported, and the answers name the exporter and the transfer in the
    officer's words rather than an identifier."""
    path = _flemish_workbook(tmp_path / "kreek.xlsx")
    out = tmp_path / "kreek"
    result = runner.invoke(app, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    graph = ropa.load([out])
    rows = graph.select("""SELECT ?exporter ?importer ?label WHERE { ?a rdfs:label "Nieuwsbrief"@nl ; ropa:hasTransfer ?t .
        ?t dpv:hasDataExporter/dpv:hasName ?exporter ; dpv:hasDataImporter/rdfs:label ?importer ; rdfs:label ?label }""")
    assert rows == [{"exporter": "Jeugdhuis De Kreek vzw", "importer": "Mailchimp",
                     "label": "Verenigde Staten: EU-VS Data Privacy Framework"}]
    checks = {f.check for f in validate(graph).findings}
    assert not checks & {"rs:TransferBasis", "rs:RevealedTransfer", "rs:UndocumentedTransfer"}, checks
    answer = runner.invoke(app, ["query", "transfers-outside-eea", str(out), "--lang", "nl", "--format", "json"])
    assert answer.exit_code == 0, answer.output
    assert "Jeugdhuis De Kreek vzw" in answer.output and "/record/transfer-" not in answer.output


def test_a_transfer_to_a_country_no_processor_of_the_row_is_in_names_no_importer(tmp_path):
    """Only a processor of the row that keeps the data in the transfer's country is taken as its importer."""
    path = _flemish_workbook(tmp_path / "kreek.xlsx", edits={("sheet.activities", "col.transfers"): "Japan: Modelcontractbepalingen"})
    out = tmp_path / "kreek"
    assert runner.invoke(app, ["import", str(path), "-o", str(out)]).exit_code == 0
    graph = ropa.load([out])
    assert graph.select("SELECT ?i WHERE { ?t a dpv:CrossBorderTransfer ; dpv:hasDataImporter ?i }") == []
    assert len(graph.select("SELECT ?e WHERE { ?t a dpv:CrossBorderTransfer ; dpv:hasDataExporter ?e }")) == 1


def test_a_did_you_mean_does_not_repeat_a_label_two_terms_share(tmp_path):
    """Two data categories are labelled 'Gezondheidsgegevens' in Dutch; the suggestion names it once."""
    path = _flemish_workbook(tmp_path / "kreek.xlsx", edits={("sheet.activities", "col.personal_data"): "Gezondheid"})
    result = runner.invoke(app, ["import", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    line = next(line for line in result.output.splitlines() if "'Gezondheid'" in line)
    assert line.count("'Gezondheidsgegevens'") == 1 and "bedoelt u" in line


def test_an_unknown_retention_event_lists_the_events_and_examples_in_the_workbooks_language(tmp_path):
    """'2 jaar na einde lidmaatschap': the officer is shown the events ropa knows and examples in Dutch, not English."""
    path = _flemish_workbook(tmp_path / "kreek.xlsx", edits={("sheet.activities", "col.retention"): "2 jaar na einde lidmaatschap"})
    result = runner.invoke(app, ["import", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    line = next(line for line in result.output.splitlines() if "lidmaatschap" in line)
    assert "onbekende gebeurtenis 'einde lidmaatschap'" in line and "'einde van de overeenkomst'" in line
    assert "'10 jaar', '6 maanden'" in line and "years" not in line and "Not fixed" not in line


@pytest.mark.parametrize("lang", ["en", "nl", "fr", "de"])
def test_the_examples_of_the_workbook_instructions_import(tmp_path, lang):
    """What the Instructions sheet tells an officer to write for transfers (step 5) and retention (step 4) is read
    back in that workbook's language (the Dutch example named the framework by a name no term had)."""
    import re

    from ropa.register import Messages

    t = Messages(lang)
    quoted = lambda key: re.findall(r"(?<=[(\s])'([^']+)'(?=[),\s])", t(key))   # not the apostrophe of "d'abord"
    transfer = quoted("template.step5")[0]
    retention = [text for text in quoted("template.step4") if ":" not in text]
    path = tmp_path / "kreek.xlsx"
    write_template(path, lang=lang)
    book = openpyxl.load_workbook(path)
    sheet = book[t("sheet.activities")]
    headers = [c.value for c in sheet[1]]
    for row, period in enumerate(retention, start=2):
        for key, value in (("col.name", f"Activity {row}"), ("col.transfers", transfer), ("col.retention", period)):
            sheet.cell(row=row, column=headers.index(t(key)) + 1, value=value)
    book.save(path)
    result = runner.invoke(app, ["import", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    graph = ropa.load([tmp_path / "out"])
    assert graph.select("SELECT DISTINCT ?b WHERE { ?t dpv:hasThirdCountry loc:US ; dpv:hasLegalBasis ?b }") == [
        {"b": "https://w3id.org/ropa/vocab#Adequacy-EU-US-DPF"}]
    assert len(graph.select("SELECT ?a WHERE { ?a a dpv:Process ; dpv:hasStorageCondition ?s }")) == len(retention) >= 3


KREEK = prefixes("https://dekreek.example/record/") + """

my:organisation a dpv:Organisation , dpv:DataController ; dpv:hasName "Jeugdhuis De Kreek vzw" ;
    rdfs:label "Jeugdhuis De Kreek vzw"@nl ; dpv:hasCountry loc:BE ; ropa:email "privacy@dekreek.be" ;
    dpv:hasAuthority legal-be:DPA-BE ; ropa:statesNoTransferOutside loc:EEA .

# DPV has no volunteer: the youth centre's own category of data subjects.
my:Vrijwilliger a skos:Concept , dpv:HumanSubject ; skos:broader dpv:HumanSubject ;
    skos:prefLabel "Vrijwilliger"@nl , "Volunteer"@en .

my:volunteers a dpv:Process ; rdfs:label "Vrijwilligersbeheer"@nl ; ropa:recordedBy my:organisation ;
    ropa:role ropa:ControllerRole ; dpv:hasDataController my:organisation ; dpv:hasPurpose dpv:MemberPartnerManagement ;
    dpv:hasLegalBasis eu-gdpr:A6-1-c ; dpv:hasDataSubject my:Vrijwilliger , dpv:Participant ;
    dpv:hasPersonalData pd:Name ; ropa:noRecipients true .
"""


def test_a_records_own_category_goes_through_the_workbook_and_back(tmp_path):
    """A category the organisation defines itself (volunteers: DPV has none) is written to the workbook and read
    back as the same concept, so the record can move between Turtle and the spreadsheet (it stopped the import:
    "unknown term '<https://...>'"). A DPV IRI that DPV does not define is still refused."""
    folder = tmp_path / "kreek"
    folder.mkdir()
    (folder / "record.ttl").write_text(KREEK, encoding="utf-8")
    book = tmp_path / "kreek.xlsx"
    assert runner.invoke(app, ["export", str(folder), "--format", "xlsx", "--lang", "nl", "-o", str(book)]).exit_code == 0
    back = tmp_path / "back"
    result = runner.invoke(app, ["import", str(book), "-o", str(back)])
    assert result.exit_code == 0, result.output
    subjects = {r["s"] for r in ropa.load([back]).select("SELECT ?s WHERE { ?a dpv:hasDataSubject ?s }")}
    assert subjects == {"https://dekreek.example/record/Vrijwilliger", "https://w3id.org/dpv#Participant"}
    sheet = openpyxl.load_workbook(book)["Verwerkingen"]
    headers = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=headers.index("Betrokkenen") + 1)
    cell.value = cell.value.replace("record/Vrijwilliger>", "record/Vrijwilliger>\n<https://w3id.org/dpv#Volunteer>")
    cell.parent.parent.save(book)
    refused = runner.invoke(app, ["import", str(book), "-o", str(tmp_path / "again")])
    assert refused.exit_code == 2 and "onbekende term '<https://w3id.org/dpv#Volunteer>'" in refused.output


def test_the_dutch_register_names_the_data_privacy_framework_in_dutch(tmp_path):
    """The youth centre's Dutch register names the basis of its newsletter transfer by its Dutch name, even when the
    officer typed the English one; no English words of the name are left in the document."""
    path = _flemish_workbook(tmp_path / "kreek.xlsx")
    out = tmp_path / "kreek"
    assert runner.invoke(app, ["import", str(path), "-o", str(out)]).exit_code == 0
    build = tmp_path / "build"
    result = runner.invoke(app, ["build", str(out), "--format", "md", "--lang", "nl", "--out", str(build)])
    assert result.exit_code == 0, result.output
    register = next((build / "nl" / "md").glob("controller-*.md")).read_text(encoding="utf-8")
    line = next(line for line in register.splitlines() if line.startswith("| Doorgiften naar derde landen"))
    assert "Verenigde Staten — aan Mailchimp — grondslag: EU-VS-kader voor gegevensbescherming (adequaatheidsbesluit)" in line
    assert "Data Privacy Framework" not in line and "adequacy" not in register


def test_an_activity_row_can_state_that_no_data_leave_the_eea(tmp_path):
    """Art. 30(1)(e): the youth centre's camps keep their data in the EEA while its newsletter goes to the United
    States; the camp's row says so in its own column (the organisation's column would be contradicted by the
    newsletter), the warning that neither transfers nor their absence are recorded goes, and the export keeps it."""
    path = _flemish_workbook(tmp_path / "kreek.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["Verwerkingen"]
    headers = [c.value for c in sheet[1]]
    for header, value in {"Organisatie die het register bijhoudt": "Jeugdhuis De Kreek vzw", "Rol": "Verwerkingsverantwoordelijke",
                          "Naam": "Kampen", "Doeleinden": "Dienstverlening", "Rechtsgrond (art. 6)": "Toestemming",
                          "Betrokkenen": "Kind", "Persoonsgegevens": "Naam", "Geen ontvangers": "Ja", "Bewaartermijn": "1 jaar",
                          "Verklaart geen doorgifte buiten": "Europese Economische Ruimte (EER)"}.items():
        sheet.cell(row=3, column=headers.index(header) + 1, value=value)
    book.save(path)
    out = tmp_path / "kreek"
    result = runner.invoke(app, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    graph = ropa.load([out])
    warned = {f.focus for f in validate(graph).findings if f.check == "rs:ControllerTransfers"}
    camps = graph.select('SELECT ?a WHERE { ?a rdfs:label "Kampen"@nl ; ropa:statesNoTransferOutside loc:EEA }')
    assert len(camps) == 1 and camps[0]["a"] not in warned
    again = tmp_path / "again.xlsx"
    assert runner.invoke(app, ["export", str(out), "--format", "xlsx", "--lang", "nl", "-o", str(again)]).exit_code == 0
    back = openpyxl.load_workbook(again)["Verwerkingen"]
    headers = [c.value for c in back[1]]
    rows = {r[headers.index("Naam")]: r for r in back.iter_rows(min_row=2, values_only=True)}
    assert rows["Kampen"][headers.index("Verklaart geen doorgifte buiten")] == "Europese Economische Ruimte (EER)"


def test_the_law_that_allows_the_national_register_number_can_be_written_in_the_workbook(tmp_path):
    """Art. 87: the youth centre insures its volunteers with their Belgian national register number; the check asks
    for the provision that allows it, and the workbook now has a column where the officer writes it."""
    provision = "Wet van 3 juli 2005 betreffende de rechten van vrijwilligers, art. 6 (verzekering)"
    path = _flemish_workbook(tmp_path / "kreek.xlsx", edits={("sheet.activities", "col.personal_data"): "Naam; Rijksregisternummer"})
    assert runner.invoke(app, ["import", str(path), "-o", str(tmp_path / "without")]).exit_code == 0
    assert "rs:NationalIdentificationNumber" in {f.check for f in validate(ropa.load([tmp_path / "without"])).findings}
    book = openpyxl.load_workbook(path)
    sheet = book["Verwerkingen"]
    headers = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=headers.index("Wettelijke bepaling die het toestaat (art. 87)") + 1, value=provision)
    book.save(path)
    out = tmp_path / "kreek"
    result = runner.invoke(app, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    graph = ropa.load([out])
    assert "rs:NationalIdentificationNumber" not in {f.check for f in validate(graph).findings}
    again = tmp_path / "again.xlsx"
    assert runner.invoke(app, ["export", str(out), "--format", "xlsx", "--lang", "nl", "-o", str(again)]).exit_code == 0
    back = openpyxl.load_workbook(again)["Verwerkingen"]
    headers = [c.value for c in back[1]]
    assert back.cell(row=2, column=headers.index("Wettelijke bepaling die het toestaat (art. 87)") + 1).value == provision


def test_a_non_profit_without_a_dpo_is_shown_how_to_accept_the_finding(tmp_path):
    """Art. 37(1): a small youth centre need not designate a DPO. The finding's fix says how to record that (a waiver
    with the reason), and the waiver written as the starter file's example waives it."""
    path = _flemish_workbook(tmp_path / "kreek.xlsx")
    out = tmp_path / "kreek"
    assert runner.invoke(app, ["import", str(path), "-o", str(out)]).exit_code == 0
    graph = ropa.load([out])
    finding = next(f for f in validate(graph).findings if f.check == "rs:RecordKeeper-dpo")
    from ropa.register import Messages

    assert "bestand met aanvaarde bevindingen" in Messages("nl")("check.RecordKeeper-dpo.fix")
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(f"""[[waiver]]
check = "rs:RecordKeeper-dpo"
entity = "<{finding.entity or finding.focus}>"
accepted_by = "Raad van bestuur"
reason = "Geen functionaris vereist (art. 37, lid 1): geen overheid, geen kerntaak met grootschalige monitoring."
until = 2099-12-31
""", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(out), "--waivers", str(waivers), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    import json

    waived = [f for f in json.loads(result.stdout)["findings"] if f["check"] == "rs:RecordKeeper-dpo"]
    assert waived and all(f.get("waived") for f in waived)


def test_a_newsletter_is_kept_until_the_subscriber_unsubscribes(tmp_path):
    """Art. 5(1)(e), Art. 7(3): 'tot uitschrijving' is the retention of nearly every newsletter; it is read as the
    event 'withdrawal of consent' (it was an unknown event), raises no finding and reads back in Dutch."""
    path = _flemish_workbook(tmp_path / "kreek.xlsx", edits={("sheet.activities", "col.retention"): "tot uitschrijving"})
    out = tmp_path / "kreek"
    result = runner.invoke(app, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    graph = ropa.load([out])
    assert graph.select("SELECT ?d WHERE { ?d ropa:untilEvent ropa:ConsentWithdrawn }")
    assert not {f.check for f in validate(graph).findings} & {"rs:RetentionWithoutPeriod", "rs:ControllerActivity-retention"}
    again = tmp_path / "again.xlsx"
    assert runner.invoke(app, ["export", str(out), "--format", "xlsx", "--lang", "nl", "-o", str(again)]).exit_code == 0
    sheet = openpyxl.load_workbook(again)["Verwerkingen"]
    headers = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=headers.index("Bewaartermijn") + 1).value == "tot intrekking van de toestemming"


def test_standaardcontractbepalingen_is_read_as_the_standard_contractual_clauses():
    """Flemish and Dutch officers write either name for the clauses of Art. 46(2)(c); documents keep one."""
    scc = vocabulary().resolve("Standaardcontractbepalingen", kind="transfer-basis")
    assert scc is not None and scc.curie == "eu-gdpr:StandardContractualClauses"
    assert scc.label("nl") == "Modelcontractbepalingen"
    result = runner.invoke(app, ["terms", "standaardcontractbepalingen", "--kind", "transfer-basis", "--format", "json"])
    assert result.exit_code == 0
    assert [term["curie"] for term in json.loads(result.output)][0] == "eu-gdpr:StandardContractualClauses"


# --- A Luxembourg web shop's French workbook and an Austrian waste association's German Turtle ---------------------

def _french_workbook(path: Path, activities: list[dict], parties: list[dict], organisation: dict) -> Path:
    """The French template filled the way an officer types: French labels under the French headers."""
    write_template(path, lang="fr")
    book = openpyxl.load_workbook(path)
    for title, rows in (("Organisation", [organisation]), ("Traitements", activities),
                        ("Sous-traitants et destinataires", parties)):
        sheet = book[title]
        headers = {c.value: c.column for c in sheet[1]}
        for number, row in enumerate(rows, start=2):
            for header, value in row.items():
                sheet.cell(row=number, column=headers[header], value=value)
    book.save(path)
    return path


SHOP = {"Nom": "Boutique Moselle", "Courriel": "protection.donnees@boutique-moselle.lu", "Pays": "Luxembourg",
        "Autorité de contrôle": "Commission nationale pour la protection des données (CNPD)"}
WEBSHOP = {"Organisation qui tient le registre": "Boutique Moselle", "Rôle": "Responsable du traitement",
           "Nom": "Commandes de la boutique en ligne", "Finalités": "Gestion des commandes des clients",
           "Base juridique (art. 6)": "Exécution d'un contrat", "Personnes concernées": "Client",
           "Données à caractère personnel": "Nom; Adresse électronique; Adresse postale",
           "Aucun destinataire": "oui", "Déclare aucun transfert hors de": "EEE",
           "Durée de conservation": "10 ans aprés la fin du contrat", "Valable à partir du": "01/03/2019"}


def test_a_french_workbook_reads_client_as_customer_not_as_a_service_beneficiary(tmp_path):
    """Art. 30(1)(c): in French "Client" is the customer (dpv:Customer); in English "Client" is dpv:Client
    ("Bénéficiaire de services"). The French workbook read it as the English word, and its drop-down left "Client" out."""
    activity = dict(WEBSHOP, **{"Déclare aucun transfert hors de": "EEE", "Durée de conservation": "10 ans",
                                "Valable à partir du": None, "Données à caractère personnel": "Nom"})
    path = _french_workbook(tmp_path / "registre.xlsx", [activity], [], SHOP)
    subjects = [row[0] for row in openpyxl.load_workbook(path)["Personnes concernées"].iter_rows(values_only=True)]
    assert "Client" in subjects and "Bénéficiaire de services" in subjects
    out = tmp_path / "registre"
    result = runner.invoke(app, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    graph = ropa.load([out])
    subjects = {row["s"] for row in graph.select("SELECT ?s WHERE { ?a a dpv:Process ; dpv:hasDataSubject ?s }")}
    assert {str(s).strip("<>") for s in subjects} == {"https://w3id.org/dpv#Customer"}
    assert vocabulary().resolve("Client", "subject").curie == "dpv:Client"   # an English workbook keeps its word


def test_a_french_officer_s_dates_accents_and_words_are_read(tmp_path):
    """What a French-speaking officer types: a date day first (01/03/2019), a country without its capital accent
    (Etats-Unis), a retention with a wrong accent (aprés), 'Adresse électronique' and 'Adresse postale' (the
    template's own example of step 4). Each stopped the import; each is now read as meant."""
    activity = dict(WEBSHOP, **{"Déclare aucun transfert hors de": "EEE"})
    party = {"Nom": "MailPlanet Inc.", "Type": "Sous-traitant", "Pays": "Etats-Unis", "Contrat de sous-traitance": "oui"}
    activity["Sous-traitants"] = "MailPlanet Inc."
    path = _french_workbook(tmp_path / "registre.xlsx", [activity], [party], SHOP)
    out = tmp_path / "registre"
    result = runner.invoke(app, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    graph = ropa.load([out])
    assert graph.select('SELECT ?a WHERE { ?a ropa:validFrom "2019-03-01"^^xsd:date }')
    assert graph.select("SELECT ?p WHERE { ?p ropa:headquarteredIn|dpv:hasCountry loc:US }")
    assert graph.select('SELECT ?d WHERE { ?d ropa:untilEvent ropa:AgreementEnd ; ropa:afterEvent "P10Y"^^xsd:duration }')
    data = {str(row["d"]).strip("<>") for row in graph.select("SELECT ?d WHERE { ?a a dpv:Process ; dpv:hasPersonalData ?d }")}
    assert data == {"https://w3id.org/dpv/pd#Name", "https://w3id.org/dpv/pd#EmailAddress", "https://w3id.org/dpv/pd#PhysicalAddress"}


@pytest.mark.parametrize("text, day", [("31/12/2026", dt.date(2026, 12, 31)), ("31.12.2026", dt.date(2026, 12, 31)),
                                       ("1-3-2019", dt.date(2019, 3, 1)), ("2026-12-31", dt.date(2026, 12, 31)),
                                       ("31/02/2026", None), ("12/31/2026", None), ("next spring", None)])
def test_dates_are_read_day_first_as_in_every_eea_state(text, day):
    from ropa.workbook import read_date

    assert read_date(text) == day


def test_an_abbreviation_two_authorities_share_is_read_by_the_row_s_country(tmp_path):
    """Luxembourg's and Portugal's authorities are both the CNPD: the import said "unknown term 'CNPD'" with no hint.
    In a Luxembourg row it is Luxembourg's; in a row without a country the error names both, and nothing is written."""
    activity = dict(WEBSHOP, **{"Déclare aucun transfert hors de": "EEE", "Durée de conservation": "10 ans"})
    path = _french_workbook(tmp_path / "registre.xlsx", [activity], [], dict(SHOP, **{"Autorité de contrôle": "CNPD"}))
    out = tmp_path / "registre"
    result = runner.invoke(app, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = ropa.load([out]).select("SELECT DISTINCT ?a WHERE { [] ropa:recordedBy ?o . ?o dpv:hasAuthority ?a }")
    assert [str(row["a"]).strip("<>") for row in rows] == ["https://w3id.org/dpv/legal/lu#DPA-LU"]

    nowhere = dict(SHOP, **{"Autorité de contrôle": "CNPD", "Pays": None})
    path = _french_workbook(tmp_path / "sans-pays.xlsx", [activity], [], nowhere)
    out = tmp_path / "sans-pays"
    result = runner.invoke(app, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 2
    line = next(line for line in result.output.splitlines() if "Organisation!K2" in line)
    assert "Commission nationale pour la protection des données (CNPD)" in line
    assert "Commission nationale portugaise de protection des données (CNPD)" in line
    assert not out.exists()


WASTE = PREFIXES + """
my:verband a dpv:Organisation , dpv:LegalEntity , dpv:DataController , dpv:PublicSectorBody ;
    dpv:hasName "Abfallwirtschaftsverband Mühlviertel" ; rdfs:label "Abfallwirtschaftsverband Mühlviertel"@de ;
    dpv:hasCountry loc:AT ; ropa:email "datenschutz@awv-muehlviertel.at" ; dpv:hasAuthority legal-at:DPA-AT ;
    dpv:hasTechnicalOrganisationalMeasure dpv:Encryption ; ropa:statesNoTransferOutside loc:EEA .
my:gebuehren a dpv:Process ; rdfs:label "Vorschreibung der Abfallgebühren"@de ;
    ropa:recordedBy my:verband ; ropa:role ropa:ControllerRole ; dpv:hasDataController my:verband ;
    dpv:hasPurpose dpv:PaymentManagement ; dpv:hasLegalBasis eu-gdpr:A6-1-e , eu-gdpr:A6-1-c ;
    dpv:hasDataSubject dpv:Citizen ; dpv:hasPersonalData pd:Name , pd:PhysicalAddress ; ropa:noRecipients true ;
    dpv:hasStorageCondition [ a dpv:StorageDuration ; dpv:hasDuration [ a dpv:TemporalDuration ; rdf:value "P7Y"^^xsd:duration ] ] .
"""


def test_a_public_authority_without_a_dpo_is_a_violation_of_art_37(tmp_path):
    """Art. 37(1)(a): a public authority or body shall designate a DPO. A municipal association without one was told,
    as info, that a DPO is to be named "if one is designated" and how to waive the finding: a wrong conclusion."""
    (tmp_path / "verband.ttl").write_text(WASTE, encoding="utf-8")
    findings = validate(ropa.load([tmp_path])).findings
    checks = {f.check: f for f in findings}
    assert "rs:RecordKeeper-dpo" not in checks
    finding = checks["rs:PublicAuthority-dpo"]
    assert finding.severity == "violation" and "37(1)(a)" in finding.article
    result = runner.invoke(app, ["validate", str(tmp_path), "--lang", "de"])
    assert result.exit_code == 1
    assert "Behörde oder öffentliche Stelle" in result.output
    private = WASTE.replace(" , dpv:PublicSectorBody ;", " ;")
    (tmp_path / "verband.ttl").write_text(private, encoding="utf-8")
    checks = {f.check: f.severity for f in validate(ropa.load([tmp_path])).findings}
    assert checks.get("rs:RecordKeeper-dpo") == "info" and "rs:PublicAuthority-dpo" not in checks


def test_a_german_officer_finds_how_to_say_public_body():
    """`ropa terms öffentlich` found nothing: the kinds of organisation had English labels only, so the officer of a
    municipal association could not find dpv:PublicSectorBody in German (nor in French or Dutch)."""
    result = runner.invoke(app, ["terms", "öffentliche Stelle", "--kind", "entity", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["curie"] == "dpv:PublicSectorBody"
    for word, lang in (("organisme public", "fr"), ("openbaar orgaan", "nl")):
        assert vocabulary().resolve(word, "entity", lang=lang).curie == "dpv:PublicSectorBody"


def test_the_french_template_lists_offer_no_english_for_statuses_rights_and_authorities(tmp_path):
    """The drop-downs of the French template showed 'Activity Planned', 'A22 Right to contest decision', 'Lead
    Supervisory Authority' and the German Länder authorities in English."""
    path = write_template(tmp_path / "modele.xlsx", lang="fr")
    book = openpyxl.load_workbook(path)
    shown = {sheet: [row[0] for row in book[sheet].iter_rows(min_row=2, values_only=True)]
             for sheet in ("Statuts", "Droits", "Types de destinataires", "Autorités")}
    english = {"Activity Completed", "Activity Planned", "A22 Right to contest decision", "Data Subject Right",
               "Lead Supervisory Authority", "European Data Protection Board", "The Hessian Commissioner for Data Protection and Freedom of Information"}
    assert not english & {value for values in shown.values() for value in values}
    assert "Activité prévue" in shown["Statuts"]
    assert "Hessischer Beauftragter für Datenschutz und Informationsfreiheit (HBDI)" in shown["Autorités"]


def test_a_german_retention_after_vertragsende_is_read(tmp_path):
    """'7 Jahre nach Vertragsende' is how a German officer writes it; it was an unknown event."""
    from ropa.messages import Messages
    from ropa.periods import parse_period
    from ropa.workbook import Choices, layout

    choices = Choices(layout("ropa"), lang="de")
    period = parse_period("7 Jahre nach Vertragsende", choices.event, [Messages(lang) for lang in ("en", "nl", "fr", "de")])
    assert (period.kind, period.duration, period.event) == ("event", "P7Y", "https://w3id.org/ropa/vocab#AgreementEnd")


def test_a_mistyped_term_in_a_question_is_an_error_not_an_empty_answer(tmp_path):
    """`ropa query recipients-of-data-category --param category=pd:Nme` answered "0 rows": read as "nobody receives
    it". A term neither the vocabulary nor the record knows is now an error naming the nearest term (exit 2); a real
    term the record does not use still answers with no rows."""
    (tmp_path / "verband.ttl").write_text(WASTE, encoding="utf-8")
    result = runner.invoke(app, ["query", "recipients-of-data-category", str(tmp_path), "--param", "category=pd:Nme"])
    assert result.exit_code == 2
    assert "pd:Nme" in result.output and "did you mean pd:Name" in result.output
    result = runner.invoke(app, ["query", "activities-of-controller", str(tmp_path), "--param", "controller=my:verbnd"])
    assert result.exit_code == 2 and "my:verbnd" in result.output
    result = runner.invoke(app, ["query", "recipients-of-data-category", str(tmp_path), "--param", "category=pd:HealthRecord",
                                 "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.output)["rows"] == []


def test_flows_take_a_country_by_its_german_name(tmp_path):
    """`ropa flows --to-country Österreich` said there was no such country and offered 'Autriche', 'Oostenrijk': the
    German country names were not looked at."""
    (tmp_path / "verband.ttl").write_text(WASTE, encoding="utf-8")
    result = runner.invoke(app, ["flows", str(tmp_path), "--to-country", "Österreich", "--lang", "de", "--format", "json"])
    assert result.exit_code == 0, result.output


def test_a_commune_s_workbook_says_it_is_a_public_authority(tmp_path):
    """The workbook had no place to say that the organisation is a public authority, so a commune keeping its record
    in a spreadsheet was never told of Art. 37(1)(a) or Art. 6(1), second subparagraph. The Organisation sheet now
    has its kind; a public body exported from Turtle comes back as one."""
    commune = {"Nom": "Commune de Remich", "Pays": "Luxembourg", "Courriel": "population@remich.lu",
               "Autorité de contrôle": "Commission nationale pour la protection des données (CNPD)",
               "Type d'organisme (une autorité publique : art. 37, par. 1, point a))": "Autorité publique"}
    activity = dict(WEBSHOP, **{"Organisation qui tient le registre": "Commune de Remich", "Nom": "Vidéosurveillance",
                                "Base juridique (art. 6)": "Intérêts légitimes", "Durée de conservation": "30 jours",
                                "Valable à partir du": None})
    path = _french_workbook(tmp_path / "commune.xlsx", [activity], [], commune)
    out = tmp_path / "commune"
    result = runner.invoke(app, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    checks = {f.check for f in validate(ropa.load([out])).findings}
    assert {"rs:PublicAuthority-dpo", "rs:PublicAuthorityLegitimateInterests"} <= checks

    (tmp_path / "verband").mkdir()
    (tmp_path / "verband" / "verband.ttl").write_text(WASTE, encoding="utf-8")
    book = tmp_path / "verband.xlsx"
    assert runner.invoke(app, ["export", str(tmp_path / "verband"), "--format", "xlsx", "--lang", "de", "-o", str(book)]).exit_code == 0
    back = tmp_path / "back"
    assert runner.invoke(app, ["import", str(book), "-o", str(back)]).exit_code == 0
    assert "rs:PublicAuthority-dpo" in {f.check for f in validate(ropa.load([back])).findings}


def test_a_german_record_asked_in_english_shows_names_not_addresses(tmp_path):
    """`ropa query` answers in English unless told otherwise; a record whose labels are all German showed each party
    and activity as its IRI (https://awv-muehlviertel.example/...). A label of another language is better than none."""
    (tmp_path / "verband.ttl").write_text(WASTE, encoding="utf-8")
    result = runner.invoke(app, ["query", "activities-of-controller", str(tmp_path), "--param", "controller=any",
                                 "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "Vorschreibung der Abfallgebühren" in result.output and "Abfallwirtschaftsverband Mühlviertel" in result.output
    assert "://" not in result.output


def test_a_french_register_does_not_mark_its_french_findings_as_english(tmp_path):
    """The findings of an HTML register are in the document's language (the catalogues), but each was marked
    lang="en": a screen reader read the French sentences with English pronunciation."""
    path = _french_workbook(tmp_path / "registre.xlsx", [dict(WEBSHOP, **{"Aucun destinataire": None})], [], SHOP)
    out = tmp_path / "registre"
    assert runner.invoke(app, ["import", str(path), "-o", str(out)]).exit_code == 0
    graph = ropa.load([out])
    from ropa.render import render

    render(graph, tmp_path / "docs", formats=["html"], lang="fr", findings=validate(graph).findings)
    page = next((tmp_path / "docs" / "html").glob("controller-*.html")).read_text(encoding="utf-8")
    assert "Ce traitement ne cite aucun destinataire" in page
    assert '<p lang="en">' not in page and '<span lang="en">' not in page


def test_a_command_takes_a_date_day_first_as_the_workbook_does(hospital_path):
    """An officer who types 31/12/2026 in a workbook types it on the command line too: --as-of reads it as the
    workbook import does, and a day that does not exist is an error naming the option."""
    iso = runner.invoke(app, ["validate", str(hospital_path), "--as-of", "2026-12-31", "--format", "json"])
    day_first = runner.invoke(app, ["validate", str(hospital_path), "--as-of", "31/12/2026", "--format", "json"])
    assert iso.exit_code == day_first.exit_code == 1
    assert json.loads(iso.output) == json.loads(day_first.output)
    wrong = runner.invoke(app, ["validate", str(hospital_path), "--as-of", "31/02/2026"])
    assert wrong.exit_code == 2 and "--as-of '31/02/2026' is not a date" in wrong.output and "Traceback" not in wrong.output


def test_french_findings_put_a_space_before_the_colon(tmp_path):
    """French typography writes "Comment corriger :" (a non-breaking space before the colon) in the register, its
    Markdown and the command's output; English keeps "How to fix:"."""
    path = _french_workbook(tmp_path / "registre.xlsx", [dict(WEBSHOP, **{"Aucun destinataire": None})], [], SHOP)
    out = tmp_path / "registre"
    assert runner.invoke(app, ["import", str(path), "-o", str(out)]).exit_code == 0
    graph = ropa.load([out])
    from ropa.render import render

    findings = validate(graph).findings
    render(graph, tmp_path / "docs", formats=["html", "md"], lang="fr", findings=findings)
    page = next((tmp_path / "docs" / "html").glob("controller-*.html")).read_text(encoding="utf-8")
    markdown = next((tmp_path / "docs" / "md").glob("controller-*.md")).read_text(encoding="utf-8")
    assert "<span>Comment corriger</span>\u00a0: " in page and "Comment corriger\u00a0: " in markdown
    assert "Comment corriger:" not in page + markdown
    result = runner.invoke(app, ["validate", str(out), "--lang", "fr"], terminal_width=200)
    assert "Comment corriger\u00a0:" in result.output
    render(graph, tmp_path / "en", formats=["md"], lang="en", findings=findings)
    assert "How to fix: " in next((tmp_path / "en" / "md").glob("controller-*.md")).read_text(encoding="utf-8")


@pytest.mark.parametrize("written, hint", [("P72H", "PT72H"), ("P1H30M", "PT1H30M"), ("P1Y2W", "P28D")])
def test_a_duration_written_as_people_say_it_is_told_how_to_write_it(tmp_path, written, hint):
    """Seventy-two hours of CCTV footage is "PT72H"; "P72H" was refused without saying why."""
    (tmp_path / "video.ttl").write_text(WASTE.replace('"P7Y"^^xsd:duration', f'"{written}"^^xsd:duration'), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2 and hint in result.output and "Traceback" not in result.output


def test_cctv_is_found_as_systematic_monitoring_in_each_language_and_counts_for_a_dpia(tmp_path):
    """`ropa terms vidéosurveillance` found nothing, so warehouse CCTV was recorded without the context that the DPIA
    criteria look for (WP248 criterion 3). Found in each language, it is, and watching employees by camera is then
    an activity likely to need a DPIA (Art. 35(1))."""
    for word in ("vidéosurveillance", "Videoüberwachung", "camerabewaking", "CCTV"):
        result = runner.invoke(app, ["terms", word, "--format", "json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)[0]["curie"] == "dpv:SystematicMonitoring"
    cctv = WASTE + """
my:video a dpv:Process ; rdfs:label "Videoüberwachung des Altstoffsammelzentrums"@de ;
    ropa:recordedBy my:verband ; ropa:role ropa:ControllerRole ; dpv:hasDataController my:verband ;
    dpv:hasPurpose dpv:EnforceSecurity ; dpv:hasLegalBasis eu-gdpr:A6-1-e ; dpv:hasContext dpv:SystematicMonitoring ;
    dpv:hasDataSubject dpv:Employee , dpv:Visitor ; dpv:hasPersonalData pd:Picture ; ropa:noRecipients true ;
    dpv:hasStorageCondition [ a dpv:StorageDuration ; dpv:hasDuration [ a dpv:TemporalDuration ; rdf:value "PT72H"^^xsd:duration ] ] .
"""
    (tmp_path / "verband.ttl").write_text(cctv, encoding="utf-8")
    findings = validate(ropa.load([tmp_path])).findings
    assert any(f.check == "rs:ImpactAssessment" and f.activity_label.startswith("Videoüberwachung") for f in findings)

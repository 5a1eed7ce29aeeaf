"""rs:NoTransferContradictedByAccess: an organisation or activity that states that no data leave the EEA, while a
provider of its sub-processor list reaches the data from a third country (ropa:accessedFrom). Access from a third
country is a transfer (Art. 44; EDPB Guidelines 05/2021), which the record must list (Art. 30(1)(e)). Tried on the
payroll provider's record (examples/loonhuis-schelde) once its remote access is documented, on records built here,
on a workbook an officer fills in, and on the bundled record, whose findings stay as they were."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

import ropa
from ropa.plain import PlainWords
from ropa.register import LANGUAGES, Messages
from ropa.terms import vocabulary
from ropa.validate import validate
from ropa.workbook import sheet_title, write_import, write_template

from conftest import example_path
from records import prefixes

CHECK = "rs:NoTransferContradictedByAccess"
AS_OF = dt.date(2026, 11, 30)
EX = "https://example.org/access/"


def found(graph, check: str = CHECK, engine: str = "fast") -> set[tuple[str, str]]:
    return {(f.focus, f.value) for f in validate(graph, as_of=AS_OF, engine=engine).findings if f.check == check}


def load_text(tmp_path: Path, text: str):
    folder = tmp_path / "record"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "record.ttl").write_text(text, encoding="utf-8")
    return ropa.load([folder])


# --- the payroll provider's development team in India -------------------------------------------------------------

LH = "https://loonhuis-schelde.example/record/"
ACCESS = ("    ropa:dataLocation loc:BE ;\n    ropa:engagementScope ropa:AllProcessorServices ;",
          "    ropa:dataLocation loc:BE ;\n    ropa:accessedFrom loc:IN ;\n    ropa:transferMechanism ropa:SCC-2021-914-EU ;\n"
          "    ropa:engagementScope ropa:AllProcessorServices ;")


@pytest.fixture(scope="module")
def documented_access(payroll_path, tmp_path_factory):
    """The payroll provider's record with its development team's access from India documented on the engagement,
    while the organisation still states that no data leave the EEA."""
    folder = tmp_path_factory.mktemp("loonhuis") / "loonhuis-schelde"
    shutil.copytree(payroll_path, folder)
    services = folder / "services.ttl"
    text = services.read_text(encoding="utf-8")
    assert text.count(ACCESS[0]) == 1
    services.write_text(text.replace(*ACCESS), encoding="utf-8")
    return ropa.load([folder])


def test_the_payroll_providers_access_from_india_contradicts_its_statement(payroll, documented_access):
    """Documenting the access on the engagement settles rs:RemoteAccessTransfer, and shows that the organisation's
    statement that no data leave the EEA is wrong: the Bangalore team reaches them. The activities that state the same
    are the company's own (as controller), which the engagement (for the processor services) does not serve."""
    assert found(payroll) == set()
    assert found(documented_access) == {(LH + "organisation", LH + "bangalore-code-labs")}
    assert not found(documented_access, "rs:RemoteAccessTransfer")
    assert found(documented_access, engine="pyshacl") == found(documented_access)


def test_the_finding_speaks_plain_words_in_each_language(documented_access):
    finding = next(f for f in validate(documented_access, as_of=AS_OF).findings if f.check == CHECK)
    assert "Art. 44" in finding.message and "Art. 30(1)(e)" in finding.message and "India" in finding.message
    for lang in LANGUAGES:
        plain = PlainWords(documented_access, lang)(finding)
        t = Messages(lang)
        assert plain.message.startswith(t("check.NoTransferContradictedByAccess.message").split("{value}")[0])
        assert "Bangalore Code Labs" in plain.message and "ropa:" not in plain.message and "loc:" not in plain.message
        assert "44" in plain.message and plain.fix == t("check.NoTransferContradictedByAccess.fix")


# --- which engagements reach which statements -------------------------------------------------------------------

RECORD = prefixes(EX) + """
my:org a dpv:LegalEntity , dpv:DataController , dpv:DataProcessor ; rdfs:label "Rekenwerk BV"@en ; dpv:hasCountry loc:NL .
my:billing a dpv:Process ; rdfs:label "Billing"@en ; ropa:recordedBy my:org ; ropa:role ropa:ControllerRole ;
    dpv:hasDataController my:org ; ropa:statesNoTransferOutside loc:EEA .
my:bookkeeping a dpv:Process ; rdfs:label "Bookkeeping for clients"@en ; ropa:recordedBy my:org ;
    ropa:role ropa:ProcessorRole ; ropa:statesNoTransferOutside loc:EEA .
my:desk a dpv:DataProcessor ; rdfs:label "Desk Inc."@en ; ropa:headquarteredIn loc:US .
my:eng a ropa:Engagement ; ropa:engagedBy my:org ; ropa:provider my:desk ;
    ropa:dataLocation loc:NL ; ropa:accessedFrom loc:US ; ropa:transferMechanism ropa:SCC-2021-914-EU {reach} .
"""


@pytest.mark.parametrize("reach, reported", [
    ("; ropa:serves my:billing", {"billing"}),                                # named
    ("; ropa:engagementScope ropa:AllControllerActivities", {"billing"}),      # by the activity's role
    ("; ropa:engagementScope ropa:AllProcessorServices", {"bookkeeping"}),
    ("; ropa:engagementScope ropa:AllActivities", {"billing", "bookkeeping"}),
    ("", {"billing", "bookkeeping"}),                                         # neither: all of them
])
def test_an_activitys_statement_is_contradicted_by_the_engagements_that_serve_it(tmp_path, reach, reported):
    graph = load_text(tmp_path, RECORD.replace("{reach}", reach))
    assert found(graph) == {(EX + name, EX + "desk") for name in reported}
    assert found(graph, engine="pyshacl") == found(graph)


def test_the_organisations_statement_is_contradicted_through_the_activities_that_rely_on_it(tmp_path):
    """The organisation's statement is the default of its activities that document no transfer and state nothing of
    their own: billing, relying on it, is served by the desk, so the organisation's statement is contradicted; once
    billing documents a transfer of its own, the statement no longer speaks for it."""
    text = RECORD.replace("{reach}", "; ropa:serves my:billing").replace(
        "dpv:hasDataController my:org ; ropa:statesNoTransferOutside loc:EEA .", "dpv:hasDataController my:org .").replace(
        'dpv:hasCountry loc:NL .', 'dpv:hasCountry loc:NL ; ropa:statesNoTransferOutside loc:EEA .', 1)
    assert found(load_text(tmp_path / "relies", text)) == {(EX + "org", EX + "desk")}
    own = text + """
my:billing ropa:hasTransfer my:support-transfer .
my:support-transfer a dpv:CrossBorderTransfer ; dpv:hasDataImporter my:desk ; dpv:hasThirdCountry loc:US ;
    ropa:accessedFrom loc:US ; dpv:hasLegalBasis ropa:SCC-2021-914-EU .
"""
    assert found(load_text(tmp_path / "own", own)) == set()


@pytest.mark.parametrize("change", [
    ("ropa:accessedFrom loc:US", "ropa:accessedFrom loc:IE"),                 # access from inside the EEA
    ("ropa:engagedBy my:org", "ropa:engagedBy my:other"),                     # another organisation's engagement
])
def test_access_from_the_eea_or_for_another_organisation_contradicts_nothing(tmp_path, change):
    text = RECORD.replace("{reach}", "").replace(*change) + \
        'my:other a dpv:LegalEntity ; rdfs:label "Other BV"@en .\n'
    assert found(load_text(tmp_path, text)) == set()


def test_data_held_outside_the_eea_are_reported_once_by_the_check_of_data_locations(tmp_path):
    """An engagement that both holds the data in the United States and reaches them from there is
    rs:NoTransferContradiction's (on the organisation); this check leaves it, so one fact is not reported twice."""
    text = RECORD.replace("{reach}", "").replace("ropa:dataLocation loc:NL", "ropa:dataLocation loc:US").replace(
        'dpv:hasCountry loc:NL .', 'dpv:hasCountry loc:NL ; ropa:statesNoTransferOutside loc:EEA .', 1)
    graph = load_text(tmp_path, text)
    assert found(graph) == set()
    assert found(graph, "rs:NoTransferContradiction") == {(EX + "org", EX + "desk")}


def test_a_documented_transfer_that_only_says_where_the_data_are_reached_from_contradicts_the_statement(tmp_path):
    """A transfer documented with the activity's statement that names no third country, only the country the
    importer reaches the data from, is a transfer there all the same (rs:NoTransferStatementContradicted)."""
    text = RECORD.replace("{reach}", "") + """
my:billing ropa:hasTransfer my:support-transfer .
my:support-transfer a dpv:CrossBorderTransfer ; dpv:hasDataImporter my:desk ; ropa:accessedFrom loc:US ;
    dpv:hasLegalBasis ropa:SCC-2021-914-EU .
"""
    graph = load_text(tmp_path, text)
    check = "rs:NoTransferStatementContradicted"
    assert found(graph, check) == {(EX + "billing", "https://w3id.org/dpv/loc#US")}
    assert found(graph, check, engine="pyshacl") == found(graph, check)


# --- from a workbook --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_officers_workbook_that_says_both_is_reported_with_the_cell_of_the_statement(tmp_path, lang):
    """The organisation's row says no data leave the EEA; the providers' sheet says the support desk reaches them
    from India. The finding names the organisation and points to its row."""
    t = Messages(lang)
    terms = vocabulary()
    book = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx", lang=lang))
    where = {}
    for key, row in {
        "sheet.organisations": {t("col.name"): "Hostwerk BV", t("col.no_transfers_outside"): terms.get(
            "https://w3id.org/dpv/loc#EEA").label(lang)},
        "sheet.activities": {t("col.organisation"): "Hostwerk BV", t("col.role"): t("role.controller"),
                             t("col.name"): "Web shop"},
        "sheet.parties": {t("col.name"): "Desk Ltd"},
        "sheet.engagements": {t("col.engaged_by"): "Hostwerk BV", t("col.provider"): "Desk Ltd",
                              t("col.data_location"): terms.get("https://w3id.org/dpv/loc#BE").label(lang),
                              t("col.accessed_from"): terms.get("https://w3id.org/dpv/loc#IN").label(lang)},
    }.items():
        sheet = book[sheet_title(t(key))]
        headers = [c.value for c in sheet[1]]
        for header, value in row.items():
            sheet.cell(row=2, column=headers.index(header) + 1).value = value
            where[header] = f"{sheet.title}!{openpyxl.utils.get_column_letter(headers.index(header) + 1)}2"
    book.save(tmp_path / "hosting.xlsx")
    graph = ropa.load([write_import(tmp_path / "hosting.xlsx", tmp_path / "imported").parent])
    findings = [f for f in validate(graph, as_of=AS_OF).findings if f.check == CHECK]
    assert len(findings) == 1
    assert findings[0].focus.endswith("/hostwerk-bv") and findings[0].source is not None
    assert findings[0].source.section.split("!")[0] == where[t("col.no_transfers_outside")].split("!")[0]


# --- the bundled record -----------------------------------------------------------------------------------------

def test_the_bundled_record_has_no_access_from_a_third_country_and_no_such_finding(bundled):
    assert not bundled.select("SELECT ?s WHERE { ?s ropa:accessedFrom ?c }")
    assert found(bundled) == set()

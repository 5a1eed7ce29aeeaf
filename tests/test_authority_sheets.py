"""The workbook of the documents has the generic Art. 30 sheet and the layout of each register template of the
authorities of the record's controllers (data/reference/register-templates.ttl): the UK ICO template only when a
controller or an establishment is in the United Kingdom, the Belgian GBA/APD model only for a Belgian one. The ICO's
template is a controller's record: an organisation acting in the UK only as a processor does not get it, and its sheet
lists only controller activities."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import ropa
from ropa.national import template_layouts
from ropa.register import Messages
from ropa.render import render
from ropa.workbook import export_workbook, import_workbook
from records import prefixes

PREFIXES = prefixes("https://layouts.example/record/")

ACTIVITY = """
my:payroll a dpv:Process ; rdfs:label "{label}"@{lang} ; ropa:recordedBy my:org ; ropa:role ropa:ControllerRole ;
    dpv:hasDataController my:org ; dpv:hasPurpose dpv:HumanResourceManagement ; dpv:hasLegalBasis eu-gdpr:A6-1-b ;
    dpv:hasDataSubject dpv:Employee ; dpv:hasPersonalData pd:Name ; ropa:noRecipients true ;
    dpv:hasDataProcessor my:vendor .
"""


def record(tmp_path: Path, organisation: str, lang: str, label: str, vendor_country: str = "loc:GB") -> Path:
    """An organisation with one activity and a processor in ``vendor_country`` (a processor is no controller: its
    country brings no authority's sheet)."""
    folder = tmp_path / "record"
    folder.mkdir()
    (folder / "record.ttl").write_text(PREFIXES + organisation + ACTIVITY.format(label=label, lang=lang) + f"""
my:vendor a dpv:DataProcessor , ropa:ServiceProvider ; rdfs:label "Payroll Cloud Ltd"@en ; dpv:hasCountry {vendor_country} .
""", encoding="utf-8")
    return folder


def sheets_of(folder: Path, tmp_path: Path, lang: str) -> list[str]:
    graph = ropa.load([folder])
    render(graph, tmp_path / "out", formats=["xlsx"], lang=lang)
    return openpyxl.load_workbook(tmp_path / "out" / "xlsx" / "register.xlsx").sheetnames


def test_a_dutch_school_gets_the_art30_sheet_and_no_foreign_authoritys_template(tmp_path):
    """The Netherlands' authority publishes no template ropa knows: the generic sheet alone, even with a UK processor."""
    folder = record(tmp_path, """my:org a dpv:Organisation , dpv:DataController ; dpv:hasName "Basisschool De Linde" ;
    dpv:hasCountry loc:NL .""", "nl", "Salarisadministratie")
    t = Messages("nl")
    names = sheets_of(folder, tmp_path, "nl")
    assert names[0] == t("sheet.art30") == "Register art. 30"
    assert t("sheet.ico") not in names and t("sheet.gba") not in names
    sheet = openpyxl.load_workbook(tmp_path / "out" / "xlsx" / "register.xlsx")[names[0]]
    headers = [c.value for c in sheet[1]]
    assert "Doeleinden van de verwerking (art. 30, lid 1, b))" in headers
    assert sheet.cell(row=2, column=headers.index(t("art30.activity")) + 1).value == "Salarisadministratie"
    # a controller's activity leaves the processor's column empty rather than reporting it undocumented
    assert sheet.cell(row=2, column=headers.index(t("art30.on_behalf_of")) + 1).value is None


def test_a_german_company_with_a_uk_establishment_gets_the_ico_template(tmp_path):
    folder = record(tmp_path, """my:org a dpv:Organisation , dpv:DataController ; dpv:hasName "Nordlicht GmbH" ;
    dpv:hasCountry loc:DE ; ropa:hasEstablishment [ a dpv:Organisation ; dpv:hasCountry loc:GB ] .""",
                    "de", "Lohnabrechnung", vendor_country="loc:DE")
    t = Messages("de")
    assert sheets_of(folder, tmp_path, "de")[:2] == [t("sheet.art30"), t("sheet.ico")] == ["Verzeichnis Art. 30", "ICO"]


def test_a_belgian_youth_centre_gets_the_gba_model_in_french_and_dutch(tmp_path):
    folder = record(tmp_path, """my:org a dpv:Organisation , dpv:DataController ; dpv:hasName "Maison de jeunes Le Ruisseau asbl" ;
    dpv:hasCountry loc:BE .""", "fr", "Gestion des animateurs")
    assert template_layouts(ropa.load([folder])) == ["gba"]
    assert sheets_of(folder, tmp_path, "fr")[:2] == ["Registre art. 30", "APD"]
    assert "ICO" not in sheets_of(folder, tmp_path / "nl", "nl")


def test_a_named_authority_without_a_country_gives_its_template(tmp_path):
    folder = record(tmp_path, """@prefix legal-be: <https://w3id.org/dpv/legal/be#> .
my:org a dpv:Organisation , dpv:DataController ; dpv:hasName "Jeugdhuis De Kreek vzw" ; dpv:hasAuthority legal-be:DPA-BE .""",
                    "nl", "Vrijwilligersbeheer")
    assert template_layouts(ropa.load([folder])) == ["gba"]


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_art30_layout_round_trips_through_export_and_import(tmp_path, lang):
    """The generic sheet is a layout of export and import too: the workbook import reads every sheet it writes."""
    folder = record(tmp_path, """my:org a dpv:Organisation , dpv:DataController ; dpv:hasName "Basisschool De Linde" ;
    rdfs:label "Basisschool De Linde"@nl , "Basisschool De Linde"@en ; dpv:hasCountry loc:NL .""", lang, "Payroll")
    book = export_workbook(ropa.load([folder]), tmp_path / "art30.xlsx", lang=lang, layout_name="art30")
    t = Messages(lang)
    assert t("sheet.art30") in openpyxl.load_workbook(book).sheetnames
    triples, _ = import_workbook(book, layout_name="art30")
    facts = {(t.predicate.value.rsplit("#", 1)[-1], t.object.value.rsplit("#", 1)[-1]) for t in triples}
    for expected in [("hasPurpose", "HumanResourceManagement"), ("hasDataSubject", "Employee"), ("hasPersonalData", "Name"),
                     ("role", "ControllerRole")]:
        assert expected in facts


# --- a template of one role's record: the ICO's is a controller's (Art. 30(1)) ------------------------------------------

SERVICE = """
my:hosting a dpv:Process ; rdfs:label "{label}"@en ; ropa:recordedBy my:org ; ropa:role ropa:ProcessorRole ;
    dpv:hasDataProcessor my:org ; ropa:actsOnBehalfOf my:customer ; dpv:hasProcessing dpv:Store ;
    dpv:hasDataSubject dpv:Customer ; dpv:hasPersonalData pd:Name ; ropa:hasAgreement my:dpa .
my:dpa a dpv:ControllerProcessorAgreement ; rdfs:label "Data processing agreement"@en .
my:customer a dpv:Organisation , dpv:DataController ; dpv:hasName "{customer}" ; dpv:hasCountry {customer_country} .
"""


def processor_record(tmp_path: Path, country: str, customer_country: str, *, controller_too: bool = False,
                     name: str = "Thames Hosting Ltd") -> Path:
    folder = tmp_path / "record"
    folder.mkdir()
    body = f"""my:org a dpv:Organisation , dpv:DataProcessor ; dpv:hasName "{name}" ; dpv:hasCountry {country} .
""" + SERVICE.format(label="Managed hosting", customer="Customer plc", customer_country=customer_country)
    if controller_too:
        body += """my:vendor a dpv:DataProcessor ; rdfs:label "Payroll Cloud Ltd"@en ; dpv:hasCountry loc:GB .
""" + ACTIVITY.format(label="Payroll", lang="en")
    (folder / "record.ttl").write_text(PREFIXES + body, encoding="utf-8")
    return folder


def test_a_uk_company_acting_only_as_processor_gets_no_ico_controller_template(tmp_path):
    """Its record is a processor's (Art. 30(2)): the generic sheet holds it; the ICO's controller template would ask
    it for purposes, legal bases and retention it does not decide."""
    folder = processor_record(tmp_path, "loc:GB", "loc:GB")
    assert template_layouts(ropa.load([folder])) == []
    names = sheets_of(folder, tmp_path, "en")
    assert names[0] == Messages("en")("sheet.art30") and "ICO" not in names


def test_a_processor_acting_for_a_uk_controller_gets_no_ico_template_either(tmp_path):
    folder = processor_record(tmp_path, "loc:NL", "loc:GB", name="Grachten Hosting BV")
    assert template_layouts(ropa.load([folder])) == []


def test_a_uk_company_that_is_controller_and_processor_lists_only_its_controller_activities_on_the_ico_sheet(tmp_path):
    folder = processor_record(tmp_path, "loc:GB", "loc:FR", controller_too=True)
    graph = ropa.load([folder])
    assert template_layouts(graph) == ["ico"]
    sheets_of(folder, tmp_path, "en")
    book = openpyxl.load_workbook(tmp_path / "out" / "xlsx" / "register.xlsx")
    t = Messages("en")

    def activities(title: str, header: str) -> list[str]:
        sheet = book[title]
        column = [c.value for c in sheet[1]].index(t(header)) + 1
        return sorted(sheet.cell(row=r, column=column).value for r in range(2, sheet.max_row + 1))

    assert activities(t("sheet.ico"), "ico.business_function") == ["Payroll"]
    assert activities(t("sheet.art30"), "art30.activity") == ["Managed hosting", "Payroll"]


def test_an_activity_without_a_role_counts_as_a_controllers_for_the_ico_template(tmp_path):
    folder = processor_record(tmp_path, "loc:GB", "loc:GB")
    path = folder / "record.ttl"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "my:hosting a dpv:Process ;", 'my:loose a dpv:Process ; rdfs:label "Visitor log"@en ; ropa:recordedBy my:org .\n'
        "my:hosting a dpv:Process ;"), encoding="utf-8")
    assert template_layouts(ropa.load([folder])) == ["ico"]


def test_a_template_that_names_no_role_serves_a_processor_too(tmp_path):
    """The reference data name the role of the ICO's template only; the GBA/APD model names none, so a Belgian
    processor's record still gets it, as before."""
    folder = processor_record(tmp_path, "loc:BE", "loc:BE", name="Hébergement Wallon SA")
    graph = ropa.load([folder])
    assert template_layouts(graph) == ["gba"]
    from ropa.national import template_roles
    assert template_roles(graph) == {"ico": ("controller",)}

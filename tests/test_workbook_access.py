"""The workbook's columns for remote access from a third country (ropa:accessedFrom, EDPB Guidelines 05/2021: making
data accessible from a third country is a transfer under Chapter V): on the sheet of providers engaged, and in a
transfer's cell as "India (remote access): basis"; exported and read back in each language, on the German SaaS
company (examples/wolkenwerk) and the French e-learning company (examples/classe-ouverte)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

import ropa
from ropa.register import LANGUAGES, Messages
from ropa.terms import vocabulary
from ropa.workbook import WorkbookErrors, export_workbook, import_workbook, sheet_title, write_import, write_template

from conftest import column_input_message, example_path, fill_second_row

ROPA, DPV, LOC = "https://w3id.org/ropa/vocab#", "https://w3id.org/dpv#", "https://w3id.org/dpv/loc#"

ENGAGEMENT_ACCESS = """SELECT ?provider ?place WHERE {
    ?e a ropa:Engagement ; ropa:provider/dpv:hasName ?provider ; ropa:accessedFrom ?place }"""
TRANSFER_ACCESS = """SELECT ?place ?country ?basis WHERE {
    ?t a dpv:CrossBorderTransfer ; ropa:accessedFrom ?place ; dpv:hasThirdCountry ?country ; dpv:hasLegalBasis ?basis }"""


def rows(graph, query: str) -> set[tuple[str, ...]]:
    return {tuple(str(v) for v in row.values()) for row in graph.select(query)}


def round_trip(graph, folder: Path, lang: str):
    left_out: Counter = Counter()
    book = export_workbook(graph, folder / "record.xlsx", lang=lang, left_out=left_out)
    return book, ropa.load([write_import(book, folder / "imported").parent]), left_out


def column_values(book: Path, sheet_key: str, header_key: str, lang: str) -> list[str]:
    t = Messages(lang)
    sheet = openpyxl.load_workbook(book)[sheet_title(t(sheet_key))]
    headers = [c.value for c in sheet[1]]
    index = headers.index(t(header_key))
    return [r[index].value for r in sheet.iter_rows(min_row=2) if r[index].value]


@pytest.fixture(scope="module")
def e_learning():
    return ropa.load([example_path("classe-ouverte")])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_support_teams_access_from_the_united_states_goes_through_the_workbook_and_back(wolkenwerk, tmp_path, lang):
    """Wolkenwerk's parent company supports customers from the United States: on its entry of the sub-processor list
    (a column of the providers' sheet, the country in the workbook's words) and on the documented transfer (the
    country followed by the words for remote access); both come back as ropa:accessedFrom."""
    book, imported, left_out = round_trip(wolkenwerk, tmp_path, lang)
    assert ROPA + "accessedFrom" not in left_out
    assert rows(wolkenwerk, ENGAGEMENT_ACCESS) == {("Wolkenwerk Inc.", LOC + "US")}
    assert rows(imported, ENGAGEMENT_ACCESS) == rows(wolkenwerk, ENGAGEMENT_ACCESS)
    assert rows(imported, TRANSFER_ACCESS) == rows(wolkenwerk, TRANSFER_ACCESS) == {
        (LOC + "US", LOC + "US", ROPA + "SCC-2021-914-EU")}
    t = Messages(lang)
    country = vocabulary().get(LOC + "US").label(lang)
    assert column_values(book, "sheet.engagements", "col.accessed_from", lang) == [country]
    transfers = column_values(book, "sheet.organisations", "col.transfers_all", lang) + \
        column_values(book, "sheet.activities", "col.transfers", lang)
    assert any(t("transfer.access", country=country) in cell for cell in transfers), transfers


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_support_desk_in_india_keeps_its_remote_access_through_the_workbook(e_learning, tmp_path, lang):
    """The e-learning company's rows write 'Inde (accès à distance)': both transfers to India say the desk reaches
    the data from there, and so they do after an export and import in any language."""
    before = rows(e_learning, TRANSFER_ACCESS)
    assert {place for place, _, _ in before} == {LOC + "IN"} and len(before) == 2
    _, imported, _ = round_trip(e_learning, tmp_path, lang)
    assert rows(imported, TRANSFER_ACCESS) == before


def test_a_transfer_without_the_words_for_remote_access_has_none(e_learning):
    """Only the transfers whose cell says remote access get ropa:accessedFrom: the transfers to the United States
    (data held there by the video-conferencing and analytics vendors) do not."""
    accessed = rows(e_learning, "SELECT ?t WHERE { ?t ropa:accessedFrom ?c }")
    to_us = rows(e_learning, "SELECT ?t WHERE { ?t a dpv:CrossBorderTransfer ; dpv:hasThirdCountry loc:US }")
    assert to_us and not accessed & to_us


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_country_of_remote_access_typed_wrong_is_named_with_its_cell(tmp_path, lang):
    """A country no list holds, in the providers' column or in a transfer's cell, is one problem each, named by its
    sheet and cell; nothing is written."""
    t = Messages(lang)
    book = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx", lang=lang))
    where = fill_second_row(book, {
        sheet_title(t("sheet.organisations")): {t("col.name"): "Hostwerk BV"},
        sheet_title(t("sheet.activities")): {
            t("col.organisation"): "Hostwerk BV", t("col.role"): t("role.processor"), t("col.name"): "Web hosting",
            t("col.transfers"): t("transfer.line", destination=t("transfer.access", country="Atlantis"),
                                  bases="ropa:SCC-2021-914-EU")},
        sheet_title(t("sheet.parties")): {t("col.name"): "Desk Ltd"},
        sheet_title(t("sheet.engagements")): {t("col.engaged_by"): "Hostwerk BV", t("col.provider"): "Desk Ltd",
                                              t("col.accessed_from"): "Narnia"},
    })
    book.save(tmp_path / "hosting.xlsx")
    with pytest.raises(WorkbookErrors) as raised:
        import_workbook(tmp_path / "hosting.xlsx")
    lines = raised.value.lines()
    assert any(line.startswith(f"hosting.xlsx: {where[t('col.accessed_from')]}: ") and "Narnia" in line
               for line in lines), lines
    assert any(line.startswith(f"hosting.xlsx: {where[t('col.transfers')]}: ") and "Atlantis" in line
               for line in lines), lines
    assert len(lines) == 3
    assert not (tmp_path / "imported").exists()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_remote_access_typed_in_the_template_becomes_a_transfer_judged_as_access(tmp_path, lang):
    """An officer fills in the template: a support desk reaching data hosted in Belgium from India, on the providers'
    sheet with its mechanism. The record says ropa:accessedFrom loc:IN and the transfer verdict marks it as access."""
    from ropa.transfers import verdicts

    t = Messages(lang)
    india = vocabulary().get(LOC + "IN").label(lang)
    belgium = vocabulary().get(LOC + "BE").label(lang)
    book = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx", lang=lang))
    fill_second_row(book, {
        sheet_title(t("sheet.organisations")): {t("col.name"): "Hostwerk BV"},
        sheet_title(t("sheet.activities")): {t("col.organisation"): "Hostwerk BV", t("col.role"): t("role.processor"),
                                             t("col.name"): "Web hosting"},
        sheet_title(t("sheet.parties")): {t("col.name"): "Desk Ltd"},
        sheet_title(t("sheet.engagements")): {t("col.engaged_by"): "Hostwerk BV", t("col.provider"): "Desk Ltd",
                                              t("col.data_location"): belgium, t("col.accessed_from"): india,
                                              t("col.transfer_mechanism"): "ropa:SCC-2021-914-EU"},
    })
    book.save(tmp_path / "hosting.xlsx")
    graph = ropa.load([write_import(tmp_path / "hosting.xlsx", tmp_path / "imported").parent])
    assert rows(graph, ENGAGEMENT_ACCESS) == {("Desk Ltd", LOC + "IN")}
    judged = {(v.place, v.access, v.status) for v in verdicts(graph, dt.date(2026, 11, 30))}
    assert (LOC + "IN", True, "valid") in judged and (LOC + "BE", False, "not required") in judged


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_template_explains_the_remote_access_column(tmp_path, lang):
    """The column's cells show what it asks (an input message naming Art. 44) and drop down the countries."""
    t = Messages(lang)
    book = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx", lang=lang))
    sheet = book[sheet_title(t("sheet.engagements"))]
    validation = column_input_message(sheet, t("col.accessed_from"))
    assert validation.prompt == t("template.accessed_from_help") and "44" in validation.prompt
    assert validation.showInputMessage and len(validation.prompt) <= 255   # the most an input message of Excel shows
    listed = book[validation.formula1.split("!")[0].strip("'")]
    countries = {row[0].value for row in listed.iter_rows(min_row=2)}
    assert vocabulary().get(LOC + "IN").label(lang) in countries

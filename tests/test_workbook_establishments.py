"""The workbook's columns for an organisation's establishments (ropa:hasEstablishment: its seats and branches, each
listed with its country, address and company number) and for a comment on an activity (rdfs:comment, as the records
write it), exported and read back in each language on the French e-learning company, the French hospital and a
record built here."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import openpyxl
import pytest

import ropa
from ropa.register import LANGUAGES, Messages
from ropa.workbook import WorkbookErrors, export_workbook, import_workbook, sheet_title, write_import, write_template

from conftest import column_input_message, example_path, fill_second_row
from records import prefixes

ESTABLISHMENTS = """SELECT ?organisation ?name ?country ?address ?number WHERE {
    ?o ropa:hasEstablishment ?e ; dpv:hasName ?organisation .
    ?e rdfs:label ?name .
    OPTIONAL { ?e dpv:hasCountry ?country } OPTIONAL { ?e dpv:hasAddress ?address } OPTIONAL { ?e ropa:companyNumber ?number } }"""
COMMENTS = """SELECT ?activity ?comment WHERE { ?a a dpv:Process ; rdfs:label ?activity ; rdfs:comment ?comment }"""


def rows(graph, query: str) -> set[tuple[str, ...]]:
    return {tuple(str(v) if v is not None else "" for v in row.values()) for row in graph.select(query)}


def round_trip(graph, folder: Path, lang: str):
    left_out: Counter = Counter()
    book = export_workbook(graph, folder / "record.xlsx", lang=lang, left_out=left_out)
    return book, ropa.load([write_import(book, folder / "imported").parent]), left_out


@pytest.fixture(scope="module")
def e_learning():
    return ropa.load([example_path("classe-ouverte")])


RETAIL = prefixes("https://example.org/retail/") + """
my:shop a dpv:LegalEntity , dpv:DataController ; rdfs:label "Fietsen Peeters"@en ; dpv:hasName "Fietsen Peeters BV" ;
    dpv:hasCountry loc:BE ; ropa:hasEstablishment my:shop-gent , my:shop-breda .
my:shop-gent a ropa:Establishment ; rdfs:label "Fietsen Peeters Gent"@en ; dpv:hasCountry loc:BE ;
    dpv:hasAddress "Korenmarkt 1, 9000 Gent" ; ropa:companyNumber "0123.456.789" .
my:shop-breda a ropa:Establishment ; rdfs:label "Fietsen Peeters Breda"@en ; dpv:hasCountry loc:NL ;
    dpv:hasAddress "Grote Markt 2, 4811 XR Breda" ; ropa:companyNumber "KvK 12345678" .
my:repairs a dpv:Process ; rdfs:label "Repair orders"@en ; ropa:recordedBy my:shop ; ropa:role ropa:ControllerRole ;
    dpv:hasPurpose dpv:ServiceProvision ; dpv:hasLegalBasis eu-gdpr:A6-1-b ; dpv:hasDataSubject dpv:Customer ;
    dpv:hasPersonalData pd:Name , pd:TelephoneNumber ;
    rdfs:comment "Customers are called when the bicycle is ready." ,
        "Paper repair tickets are kept in the workshop.\\nThey are shredded after a year." .
"""


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    folder = tmp_path_factory.mktemp("retail")
    (folder / "record.ttl").write_text(RETAIL, encoding="utf-8")
    return ropa.load([folder])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_e_learning_companys_paris_branch_and_comments_go_through_the_workbook_and_back(e_learning, tmp_path, lang):
    """Classe Ouverte names its Paris branch in the organisation's row, listed with its country, address and company
    number; its learning analytics carry a comment of two paragraphs, which stay two comments."""
    establishments = rows(e_learning, ESTABLISHMENTS)
    assert establishments == {("Classe Ouverte SAS", "Classe Ouverte – agence de Paris", "https://w3id.org/dpv/loc#FR",
                               "42 rue de la Roquette, 75011 Paris", "SIRET 912 345 678 00031")}
    comments = rows(e_learning, COMMENTS)
    assert len(comments) == 2 and len({activity for activity, _ in comments}) == 1
    _, imported, left_out = round_trip(e_learning, tmp_path, lang)
    assert rows(imported, ESTABLISHMENTS) == establishments
    assert rows(imported, COMMENTS) == comments
    assert not {"https://w3id.org/ropa/vocab#hasEstablishment", "http://www.w3.org/2000/01/rdf-schema#comment"} & set(left_out)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_hospitals_second_site_goes_through_the_workbook_and_back(hospital, tmp_path, lang):
    """The hospital's Montclair site (a dpv:Organisation with an address) is named in the hospital's row and listed
    with the parties; it comes back as the same establishment, under its name in the workbook's language."""
    query = """SELECT ?address WHERE { ?o ropa:hasEstablishment ?e . ?e dpv:hasAddress ?address }"""
    assert rows(hospital, query) == {("3 rue du Moulin, 49100 Montclair",)}
    book, imported, _ = round_trip(hospital, tmp_path, lang)
    assert rows(imported, query) == rows(hospital, query)
    t = Messages(lang)
    sheet = openpyxl.load_workbook(book)[sheet_title(t("sheet.organisations"))]
    headers = [c.value for c in sheet[1]]
    cells = [r[headers.index(t("col.establishments"))].value for r in sheet.iter_rows(min_row=2)]
    assert any(cell and "Montclair" in cell for cell in cells), cells


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_shops_two_branches_and_its_comments_go_through_the_workbook_and_back(retail, tmp_path, lang):
    """A bicycle shop with a branch in Belgium and one in the Netherlands, each with its company number, and a repair
    activity with two comments, one of two lines: both branches and both comments, lines kept, come back."""
    book, imported, left_out = round_trip(retail, tmp_path, lang)
    assert not left_out, left_out
    assert rows(imported, ESTABLISHMENTS) == rows(retail, ESTABLISHMENTS) and len(rows(retail, ESTABLISHMENTS)) == 2
    assert rows(imported, COMMENTS) == rows(retail, COMMENTS) and len(rows(retail, COMMENTS)) == 2
    assert rows(imported, "SELECT ?e WHERE { ?e a ropa:Establishment }") and \
        len(rows(imported, "SELECT ?e WHERE { ?e a ropa:Establishment }")) == 2
    t = Messages(lang)
    parties = openpyxl.load_workbook(book)[sheet_title(t("sheet.parties"))]
    headers = [c.value for c in parties[1]]
    kinds = {r[headers.index(t("col.party_type"))].value for r in parties.iter_rows(min_row=2)}
    assert t("type.establishment") in kinds


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_establishment_not_listed_is_named_with_its_cell(tmp_path, lang):
    """An establishment the parties' sheet does not list is a problem of its cell, with the names near it."""
    t = Messages(lang)
    book = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx", lang=lang))
    where = fill_second_row(book, {
        sheet_title(t("sheet.organisations")): {t("col.name"): "Fietsen Peeters", t("col.establishments"): "Fietsen Peeters Bredaa"},
        sheet_title(t("sheet.activities")): {t("col.organisation"): "Fietsen Peeters", t("col.role"): t("role.controller"),
                                             t("col.name"): "Repair orders", t("col.comment"): "Called when ready."},
        sheet_title(t("sheet.parties")): {t("col.name"): "Fietsen Peeters Breda", t("col.party_type"): t("type.establishment")},
    })
    book.save(tmp_path / "shop.xlsx")
    with pytest.raises(WorkbookErrors) as raised:
        import_workbook(tmp_path / "shop.xlsx")
    lines = raised.value.lines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"shop.xlsx: {where[t('col.establishments')]}: ")
    assert "Fietsen Peeters Bredaa" in lines[0] and lines[0].count("Fietsen Peeters Breda") == 2   # the name and the one near it


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_template_has_the_new_columns_in_the_workbooks_language(tmp_path, lang):
    """The organisations' sheet has the establishments' column, whose cells say what it asks and drop down the
    parties' names; the activities' sheet has the comment column; the kinds of party offer 'Establishment'."""
    t = Messages(lang)
    book = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx", lang=lang))
    organisations = book[sheet_title(t("sheet.organisations"))]
    validation = column_input_message(organisations, t("col.establishments"))
    assert validation.prompt == t("template.establishments_help") and validation.showInputMessage
    assert len(validation.prompt) <= 255   # the most an input message of Excel shows
    assert sheet_title(t("sheet.parties")) in validation.formula1
    assert t("col.comment") in [c.value for c in book[sheet_title(t("sheet.activities"))][1]]
    kinds = {row[0].value for sheet in book.worksheets for row in sheet.iter_rows(min_row=2, max_col=1)}
    assert t("type.establishment") in kinds

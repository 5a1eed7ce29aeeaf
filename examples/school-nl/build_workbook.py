#!/usr/bin/env python
"""Build kastanjelaar.xlsx: the record of a fictional Dutch primary school, filled in as its privacy officer would.

The cell values below were written by hand, as data; this script only puts them into a fresh Dutch template
(``ropa template --lang nl``) so that the workbook keeps the drop-down lists. It is kept so the workbook can be
rebuilt when the template changes; the committed .xlsx is the example. Gaps are deliberate and realistic: no
retention for the school photos, no Art. 9 condition for the pupil-support health notes, no processing agreement
recorded with the photographer, a parent-contribution activity whose legal basis nobody filled in.

Usage: python examples/school-nl/build_workbook.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from ropa.workbook import write_template  # noqa: E402

WORKBOOK = HERE / "kastanjelaar.xlsx"
NAMESPACE = "https://w3id.org/ropa/example/kastanjelaar/"

ORGANISATION = [{
    "Naam": "Openbare basisschool De Kastanjelaar",
    "Statutaire naam": "Stichting Openbaar Primair Onderwijs Heuvelrug-Oost",
    "Adres": "Kastanjelaan 14, 3701 AB Zeist",
    "E-mail": "privacy@kastanjelaar.example",
    "Telefoon": "030 699 1200",
    "Land": "Nederland",
    "Toezichthoudende autoriteit": "Autoriteit Persoonsgegevens (AP)",
    "Functionaris voor gegevensbescherming": "FG Heuvelrug-Oost",
    "Beveiligingsmaatregelen voor alle verwerkingen": "Toegangscontrolemethode; Back-upprotocollen; Wachtwoordbeheer\nOpleiding in beveiliging",
}]

ACTIVITIES = [
    {
        "Organisatie die het register bijhoudt": "Openbare basisschool De Kastanjelaar",
        "Rol": "Verwerkingsverantwoordelijke",
        "Naam": "Leerlingenadministratie",
        "Doeleinden": "Registratiebeheer; Communicatiebeheer",
        "Doeleinden in eigen woorden": "inschrijving, bekostiging en uitschrijving van leerlingen; contact met ouders",
        "Rechtsgrond (art. 6)": "Wettelijke verplichting",
        "Betrokkenen": "Student\nParent(s) of Data Subject",
        "Persoonsgegevens": "Naam; Adres; Geboortedatum; Nationaal identificatienummer; Telefoonnummer; E-mailadres",
        "Persoonsgegevens in eigen woorden": "NAW-gegevens, BSN (onderwijsnummer), gegevens van ouders/verzorgers",
        "Ontvangers": "DUO\nLeerplichtambtenaar gemeente Zeist",
        "Verwerkers": "EduAdmin Cloud BV",
        "Bewaartermijn": "5 jaar na einde van de contractuele relatie",
        "Bron van de gegevens": "Betrokkene als bron",
        "Status": "Lopende activiteit",
    },
    {
        "Organisatie die het register bijhoudt": "Openbare basisschool De Kastanjelaar",
        "Rol": "Verwerkingsverantwoordelijke",
        "Naam": "Leerlingvolgsysteem en zorgdossier",
        "Doeleinden": "Registratiebeheer",
        "Doeleinden in eigen woorden": "volgen van de ontwikkeling van leerlingen, extra ondersteuning (dyslexie, medische aandachtspunten)",
        "Rechtsgrond (art. 6)": "Taak van algemeen belang",
        "Betrokkenen": "Student",
        "Persoonsgegevens": "Naam; Geboortedatum; Health",
        "Persoonsgegevens in eigen woorden": "toetsresultaten, observaties, verslagen van het zorgteam, medische aandachtspunten",
        "Verwerkers": "EduAdmin Cloud BV",
        "Bewaartermijn": "2 jaar na einde van de contractuele relatie",
        "Beveiligingsmaatregelen": "Versleuteling; Toegangscontrolemethode",
    },
    {
        "Organisatie die het register bijhoudt": "Openbare basisschool De Kastanjelaar",
        "Rol": "Verwerkingsverantwoordelijke",
        "Naam": "Schoolfoto's en foto's op de website",
        "Doeleinden": "Communicatiebeheer",
        "Doeleinden in eigen woorden": "jaarlijkse schoolfoto; foto's van activiteiten op website en in de nieuwsbrief",
        "Rechtsgrond (art. 6)": "Toestemming",
        "Betrokkenen": "Student",
        "Persoonsgegevens": "Foto; Naam",
        "Ontvangers": "Fotostudio Zonnebloem",
        "Verwerkers": "Fotostudio Zonnebloem",
    },
    {
        "Organisatie die het register bijhoudt": "Openbare basisschool De Kastanjelaar",
        "Rol": "Verwerkingsverantwoordelijke",
        "Naam": "Nieuwsbrief aan ouders",
        "Doeleinden": "Communicatiebeheer",
        "Rechtsgrond (art. 6)": "Gerechtvaardigd belang",
        "Betrokkenen": "Parent(s) of Data Subject",
        "Persoonsgegevens": "Naam; E-mailadres",
        "Verwerkers": "Mailwolk Inc.",
        "Doorgiften buiten de EER (land: grondslag)": "Verenigde Staten: EU-VS Data Privacy Framework (adequaatheidsbesluit)",
        "Bewaartermijn": "tot einde van de contractuele relatie",
    },
    {
        "Organisatie die het register bijhoudt": "Openbare basisschool De Kastanjelaar",
        "Rol": "Verwerkingsverantwoordelijke",
        "Naam": "Vrijwillige ouderbijdrage en schoolreis",
        "Doeleinden": "Betalingsbeheer",
        "Betrokkenen": "Parent(s) of Data Subject",
        "Persoonsgegevens": "Naam; Bankrekening; E-mailadres",
        "Bewaartermijn": "7 jaar",
    },
    {
        "Organisatie die het register bijhoudt": "Openbare basisschool De Kastanjelaar",
        "Rol": "Verwerkingsverantwoordelijke",
        "Naam": "Personeelsadministratie en salaris",
        "Doeleinden": "Personnel Management; Betalingsbeheer",
        "Rechtsgrond (art. 6)": "Uitvoering van een overeenkomst\nWettelijke verplichting",
        "Betrokkenen": "Werknemer",
        "Persoonsgegevens": "Naam; Adres; Geboortedatum; Nationaal identificatienummer; Bankrekening; Loon",
        "Verwerkers": "Salarisbureau Utrechtse Heuvelrug BV",
        "Bewaartermijn": "7 jaar na einde van de contractuele relatie",
        "Beveiligingsmaatregelen": "Toegangscontrolemethode",
    },
    {
        "Organisatie die het register bijhoudt": "Openbare basisschool De Kastanjelaar",
        "Rol": "Verwerkingsverantwoordelijke",
        "Naam": "Sollicitaties",
        "Doeleinden": "Werving en selectie",
        "Rechtsgrond (art. 6)": "Maatregelen op verzoek van de betrokkene vóór de sluiting van een overeenkomst",
        "Betrokkenen": "Sollicitant",
        "Persoonsgegevens": "Naam; E-mailadres; Telefoonnummer; Curriculum vitae (cv)",
        "Bewaartermijn": "4 weken na einde van de selectie (kandidaat niet geselecteerd)",
        "Geldig vanaf": "2024-08-01",
    },
]

PARTIES = [
    {"Naam": "FG Heuvelrug-Oost", "Soort": "Functionaris voor gegevensbescherming", "E-mail": "fg@heuvelrug-oost.example"},
    {"Naam": "EduAdmin Cloud BV", "Soort": "Verwerker", "Land": "Nederland", "Locatie van de gegevens": "Nederland",
     "Overeenkomst vereist": "ja", "Verwerkersovereenkomst": "Verwerkersovereenkomst model 4.0 (2023)",
     "Certificering en maatregelen": "Versleuteling"},
    {"Naam": "Fotostudio Zonnebloem", "Soort": "Verwerker", "Land": "Nederland", "Overeenkomst vereist": "ja"},
    {"Naam": "Mailwolk Inc.", "Soort": "Verwerker", "Land": "Verenigde Staten", "Hoofdkantoor": "Verenigde Staten",
     "Locatie van de gegevens": "Verenigde Staten", "Verwerkersovereenkomst": "Data processing addendum Mailwolk"},
    {"Naam": "Salarisbureau Utrechtse Heuvelrug BV", "Soort": "Verwerker", "Land": "Nederland",
     "Verwerkersovereenkomst": "Verwerkersovereenkomst salarisadministratie"},
    {"Naam": "DUO", "Statutaire naam": "Dienst Uitvoering Onderwijs", "Soort": "Ontvanger", "Land": "Nederland"},
    {"Naam": "Leerplichtambtenaar gemeente Zeist", "Soort": "Ontvanger", "Land": "Nederland"},
]


def fill(sheet, rows: list[dict[str, str]]) -> None:
    columns = {cell.value: cell.column for cell in sheet[1]}
    for number, row in enumerate(rows, start=2):
        for header, value in row.items():
            if value:
                sheet.cell(row=number, column=columns[header], value=value)


def main() -> None:
    write_template(WORKBOOK, lang="nl", namespace=NAMESPACE)
    book = openpyxl.load_workbook(WORKBOOK)
    fill(book["Organisatie"], ORGANISATION)
    fill(book["Verwerkingen"], ACTIVITIES)
    fill(book["Verwerkers en ontvangers"], PARTIES)
    book.save(WORKBOOK)
    print(f"wrote {WORKBOOK}")


if __name__ == "__main__":
    main()

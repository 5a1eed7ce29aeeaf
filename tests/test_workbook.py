"""The record kept in a spreadsheet: template, import with the cell of every fact, export, and both round trips."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from rdflib.compare import isomorphic
from typer.testing import CliRunner

import ropa
from ropa.cli import app
from ropa.namespaces import PREFIXES as NAMESPACES
from ropa.periods import Period, duration_of, parse_period
from ropa.register import LANGUAGES, Messages
from ropa.validate import validate
from ropa.workbook import (WorkbookErrors, article30_facts, export_workbook, import_workbook, read_workbook, sheet_title,
                           left_out_note, write_import, write_template)

from records import prefixes

runner = CliRunner()

SMALL_RECORD = """
@prefix ex: <https://example.org/library/> .
@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
@prefix eu-gdpr: <https://w3id.org/dpv/legal/eu/gdpr#> .
@prefix legal-nl: <https://w3id.org/dpv/legal/nl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

ex:library a dpv:LegalEntity , dpv:DataController ; rdfs:label "Stadsbibliotheek Zwolle"@en ;
    dpv:hasAddress "Diezerstraat 80, Zwolle" ; ropa:email "privacy@example.org" ; dpv:hasCountry loc:NL ;
    dpv:hasAuthority legal-nl:DPA-NL ; dpv:hasDataProtectionOfficer ex:dpo ;
    ropa:hasSubProcessor ex:mailer .
ex:dpo a dpv:DataProtectionOfficer ; rdfs:label "=HYPERLINK(\\"http://evil.example\\")"@en ; ropa:email "fg@example.org" .
ex:mailer a dpv:DataProcessor , ropa:ServiceProvider ; rdfs:label "Mailhuis BV"@en ; ropa:headquarteredIn loc:US ;
    dpv:hasLocation loc:IE ; ropa:agreementRequired true .
ex:town a dpv:DataController , dpv:LegalEntity ; rdfs:label "Gemeente Zwolle"@en .
ex:loans a dpv:Process ; rdfs:label "Loans and reminders"@en ; ropa:recordedBy ex:library ; ropa:role ropa:ControllerRole ;
    dpv:hasDataController ex:library ;
    dpv:hasJointDataControllers [ a dpv:JointDataControllers ; dpv:hasDataController ex:library , ex:town ;
        ropa:hasAgreement [ a dpv:JointDataControllersAgreement ; rdfs:label "Convenant bibliotheek en gemeente"@en ] ] ;
    dpv:hasPurpose dpv:ServiceProvision ; ropa:purposeDescription "lending books; sending reminders" ;
    dpv:hasLegalBasis eu-gdpr:A6-1-b ; dpv:hasDataSubject dpv:Customer ; dpv:hasPersonalData pd:Name , pd:EmailAddress ;
    dpv:hasDataProcessor ex:mailer ; dpv:hasRecipient ex:mailer ;
    ropa:hasTransfer [ a dpv:CrossBorderTransfer ; dpv:hasThirdCountry loc:US ; dpv:hasLegalBasis eu-gdpr:A46-2-c ] ;
    dpv:hasStorageCondition [ a dpv:StorageDuration ; ropa:appliesToData pd:Name ;
        dpv:hasDuration [ a dpv:UntilEventDuration ; ropa:untilEvent ropa:AgreementEnd ; ropa:afterEvent "P2Y"^^xsd:duration ] ] ,
      [ a dpv:StorageDuration ; dpv:hasDuration [ a dpv:TemporalDuration ; rdf:value "P6M"^^xsd:duration ] ] ;
    ropa:validFrom "2024-01-01"^^xsd:date .
"""


@pytest.fixture(scope="module")
def small_record(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("small")
    (folder / "record.ttl").write_text(SMALL_RECORD, encoding="utf-8")
    return folder


def cells(path: Path) -> dict[str, set[tuple]]:
    """Per sheet, the rows as sets of (header, values) — order-free, so two writes of one record compare equal."""
    result = {}
    for sheet in read_workbook(path):
        headers = {c: str(v.value) for (r, c), v in sheet.cells.items() if r == 1}
        rows = {}
        for (r, c), v in sheet.cells.items():
            if r > 1 and c in headers:
                text = v.value.date().isoformat() if isinstance(v.value, dt.datetime) else str(v.value)
                values = frozenset(re.split(r"\s*(?:\n|;)\s*", text))
                rows.setdefault(r, set()).add((headers[c], values))
        result[sheet.name] = {frozenset(row) for row in rows.values()}
    return result


def load_folder(folder: Path):
    return ropa.load([folder])


# --- periods -------------------------------------------------------------------------------------------------------

def events(text: str) -> str | None:
    return {"einde contract": "urn:end", "end of contract": "urn:end", "fin du contrat": "urn:end"}.get(text.casefold())


@pytest.mark.parametrize("text, expected", [
    ("10 years", Period("fixed", duration="P10Y")),
    ("6 mois", Period("fixed", duration="P6M")),
    ("1 jaar en 6 maanden", Period("fixed", duration="P1Y6M")),
    ("P2Y", Period("fixed", duration="P2Y")),
    ("2 jaar na einde contract", Period("event", duration="P2Y", event="urn:end")),
    ("3 ans après la fin du contrat", Period("event", duration="P3Y", event="urn:end")),
    ("until end of contract", Period("event", event="urn:end")),
    ("30 days to 12 months", Period("range", low="P30D", high="P12M")),
    ("Niet vast: zolang nodig", Period("indeterminate", text="zolang nodig")),
    ("Fixée par la loi : délai légal", Period("statutory", text="délai légal")),
])
def test_periods_in_three_languages(text, expected):
    catalogues = [Messages(lang) for lang in LANGUAGES]
    assert parse_period(text, events, catalogues) == expected


def test_unreadable_period_is_refused():
    assert duration_of("a while") is None
    with pytest.raises(ValueError, match="cannot read"):
        parse_period("as long as needed", events, [Messages("en")])


# --- round trips -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "nl", "de"])
def test_bundled_record_round_trip_keeps_the_article30_facts(bundled, tmp_path, lang):
    book = export_workbook(bundled, tmp_path / "destiny.xlsx", lang=lang)
    target = write_import(book, tmp_path / "imported")
    imported = load_folder(target.parent)
    original = article30_facts(bundled, lang)
    assert len(original) > 1000
    assert isomorphic(original, article30_facts(imported, lang))


def test_a_data_location_written_as_ropa_dataLocation_is_carried_by_the_workbook(hospital, tmp_path):
    """The authoring guide writes a processor's data location as ropa:dataLocation; the workbook's data location
    column carries it (as dpv:hasLocation on import) instead of counting it as left out."""
    from collections import Counter
    left_out: Counter = Counter()
    book = export_workbook(hospital, tmp_path / "hospital.xlsx", lang="fr", left_out=left_out)
    assert "https://w3id.org/ropa/vocab#dataLocation" not in left_out
    imported = load_folder(write_import(book, tmp_path / "imported").parent)
    places = {(r["p"], r["c"]) for r in imported.select(
        "SELECT ?p ?c WHERE { ?p a dpv:DataProcessor ; dpv:hasLocation ?c }")}
    wanted = {(r["p"], r["c"]) for r in hospital.select(
        "SELECT ?p ?c WHERE { ?p a dpv:DataProcessor ; ropa:dataLocation ?c }")}
    assert {c for _, c in wanted} >= {"https://w3id.org/dpv/loc#US", "https://w3id.org/dpv/loc#IN"}
    assert {c for _, c in places} == {c for _, c in wanted}


def test_a_value_no_cell_can_hold_is_said_to_be_left_out(hospital_path, tmp_path):
    """The hospital gives a fax number (ropa:fax), which no column holds: the export counts it as left out and the
    command says so in plain words of the workbook's language, rather than leaving it out without a word; its
    establishment and its own DPIA node now have a column and are not named."""
    from collections import Counter
    folder = tmp_path / "hospital"
    shutil.copytree(hospital_path, folder)
    record = folder / "record.ttl"
    text = record.read_text(encoding="utf-8")
    assert text.count("    ropa:hasEstablishment chb:site-montclair ;") == 1
    record.write_text(text.replace("    ropa:hasEstablishment chb:site-montclair ;",
                                   '    ropa:hasEstablishment chb:site-montclair ;\n    ropa:fax "+33 2 00 00 00 01" ;'),
                      encoding="utf-8")
    left_out: Counter = Counter()
    export_workbook(ropa.load([folder]), tmp_path / "hospital.xlsx", left_out=left_out)
    assert dict(left_out) == {"https://w3id.org/ropa/vocab#fax": 1}
    for lang in LANGUAGES:
        result = runner.invoke(app, ["export", str(folder), "--format", "xlsx", "--lang", lang,
                                     "-o", str(tmp_path / "cli.xlsx")])
        assert result.exit_code == 0, result.output
        t = Messages(lang)
        said = f"ropa: {t('status.kind.note')}: {left_out_note(Counter(left_out), lang)}"   # in the workbook's language
        assert said in " ".join(result.output.split()), result.output
        assert t("property.ropa:hasEstablishment") not in result.output


def test_bundled_record_round_trip_keeps_the_cell_values(bundled, tmp_path):
    first = export_workbook(bundled, tmp_path / "first.xlsx")
    write_import(first, tmp_path / "imported")
    second = export_workbook(load_folder(tmp_path / "imported"), tmp_path / "second.xlsx")
    before, after = cells(first), cells(second)
    assert before["Activities"] and before == after


def test_small_record_round_trips_both_ways(small_record, tmp_path):
    graph = ropa.load([small_record])
    book = export_workbook(graph, tmp_path / "library.xlsx", lang="nl")
    imported_folder = write_import(book, tmp_path / "imported").parent
    imported = load_folder(imported_folder)
    assert isomorphic(article30_facts(graph, "nl"), article30_facts(imported, "nl"))
    again = export_workbook(imported, tmp_path / "again.xlsx", lang="nl")
    assert cells(book) == cells(again)
    sheet = openpyxl.load_workbook(book)["Verwerkingen"]
    headers = [c.value for c in sheet[1]]
    row = {h: c.value for h, c in zip(headers, sheet[2])}
    assert row["Bewaartermijn"].splitlines() == ["6 maanden", "Naam: 2 jaar na einde van de overeenkomst"]
    assert row["Doorgiften buiten de EER (land: grondslag)"].startswith("Verenigde Staten: ")
    assert set(row["Gezamenlijke verwerkingsverantwoordelijken (art. 26)"].splitlines()) == {"Gemeente Zwolle", "Stadsbibliotheek Zwolle"}
    assert row["Regeling gezamenlijke verwerkingsverantwoordelijken (art. 26)"] == "Convenant bibliotheek en gemeente"


def test_record_made_by_init_round_trips_both_ways(tmp_path):
    result = runner.invoke(app, ["init", str(tmp_path / "record"), "--org", "Fietsenmakerij Jansen", "--country", "NL", "--lang", "nl"])
    assert result.exit_code == 0, result.output
    graph = ropa.load([tmp_path / "record"])
    assert graph.select("SELECT ?o WHERE { ?o ropa:statesNoTransferOutside ?r }")
    result = runner.invoke(app, ["export", str(tmp_path / "record"), "--format", "xlsx", "--lang", "nl", "-o", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["import", str(tmp_path / "r.xlsx"), "-o", str(tmp_path / "imported")])
    assert result.exit_code == 0, result.output
    imported = load_folder(tmp_path / "imported")
    assert isomorphic(article30_facts(graph, "nl"), article30_facts(imported, "nl"))
    again = export_workbook(imported, tmp_path / "again.xlsx", lang="nl")
    assert cells(tmp_path / "r.xlsx") == cells(again)


def test_every_imported_fact_cites_its_cell(small_record, tmp_path):
    book = export_workbook(ropa.load([small_record]), tmp_path / "library.xlsx")
    imported = load_folder(write_import(book, tmp_path / "imported").parent)
    rows = imported.select("""
        SELECT ?p ?o ?cell ?quote WHERE {
          ?a a dpv:Process ; ?p ?o . FILTER(?p != rdf:type)
          OPTIONAL { ?s a rdf:Statement ; rdf:subject ?a ; rdf:predicate ?p ; rdf:object ?o ;
                        ropa:source [ ropa:section ?cell ; ropa:quote ?quote ; ropa:inDocument/ropa:fileName ?file ] }
        }""")
    facts = [r for r in rows if r["p"] != "https://w3id.org/ropa/vocab#source"]
    assert facts and all(r["cell"] for r in facts), [r for r in facts if not r["cell"]]
    assert all(re.fullmatch(r"Activities![A-Z]+2", r["cell"]) for r in facts)
    purpose = next(r for r in facts if r["p"].endswith("hasPurpose"))
    assert purpose["quote"] == "Service Provision"


def test_findings_point_to_the_cell(small_record, tmp_path):
    book = export_workbook(ropa.load([small_record]), tmp_path / "library.xlsx")
    folder = write_import(book, tmp_path / "imported").parent
    result = runner.invoke(app, ["validate", str(folder), "--format", "json"])
    assert result.exit_code == 1
    assert re.search(r"Activities![A-Z]+2", result.stdout)


# --- template and export ---------------------------------------------------------------------------------------------

def test_template_has_instructions_sheets_lists_and_drop_downs(tmp_path):
    path = write_template(tmp_path / "record.xlsx", lang="fr")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:4] == ["Instructions", "Organisation", "Traitements", "Sous-traitants et destinataires"]
    activities = book["Traitements"]
    headers = [c.value for c in activities[1]]
    for header in ("Finalités", "Base juridique (art. 6)", "Condition pour les catégories particulières (art. 9)",
                   "Responsables conjoints (art. 26)", "Transferts hors EEE (pays : base)", "Durée de conservation",
                   "Mesures de sécurité", "Analyse d'impact (AIPD)", "Source des données"):
        assert header in headers
    purposes = f"{chr(ord('A') + headers.index('Finalités'))}2"
    validation = next(v for v in activities.data_validations.dataValidation if purposes in v.sqref)
    sheet_name = validation.formula1.split("!")[0].strip("'")
    values = [c.value for c in book[sheet_name]["A"][1:]]
    assert "Marketing direct" in values or "Prospection" in values or len(values) > 50
    assert "Fourniture de services" in values


def test_empty_template_imports_to_no_activities_and_its_ico_form_has_ico_headers(tmp_path):
    template = write_template(tmp_path / "ico.xlsx", layout_name="ico")
    headers = [c.value for c in openpyxl.load_workbook(template)["ICO"][1]] if "ICO" in openpyxl.load_workbook(template).sheetnames else None
    book = openpyxl.load_workbook(template)
    sheet = book[book.sheetnames[2]]
    headers = [c.value for c in sheet[1]]
    t = Messages("en")
    assert headers[:3] == [t("ico.organisation"), t("ico.role"), t("ico.business_function")]
    triples, _ = import_workbook(template, layout_name="ico")
    assert not any(str(t.object.value).endswith("#Process") for t in triples)


def test_formulas_are_written_as_text(small_record, tmp_path):
    book = export_workbook(ropa.load([small_record]), tmp_path / "library.xlsx")
    sheet = openpyxl.load_workbook(book)["Processors and recipients"]
    cell = next(c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=HYPERLINK"))
    assert cell.data_type == "s" and cell.quotePrefix
    imported = load_folder(write_import(book, tmp_path / "imported").parent)
    assert imported.select('SELECT ?d WHERE { ?d rdfs:label ?l FILTER(STRSTARTS(?l, "=HYPERLINK")) }')


def test_export_command_writes_the_bundled_record_as_a_workbook(tmp_path):
    result = runner.invoke(app, ["export", "--format", "xlsx", "--layout", "ropa", "-o", str(tmp_path / "d.xlsx")])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "d.xlsx")
    assert book["Activities"].max_row > 40
    note = next(line for line in result.output.splitlines() if line.startswith("ropa: note: the workbook has no column"))
    assert "comments (18)" in note and "rights" not in note and "purpose" not in note   # activities' comments have a column
    assert not re.search(r"\b[a-z-]+:[A-Za-z]", note.removeprefix("ropa: note:")), note   # no prefixed name
    result = runner.invoke(app, ["export", "--format", "xlsx"])
    assert result.exit_code == 2 and "--output" in result.output


# --- reading other files, errors -------------------------------------------------------------------------------------

def test_csv_of_activities_imports(tmp_path):
    path = tmp_path / "activities.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Organisatie die het register bijhoudt", "Rol", "Naam", "Doeleinden", "Persoonsgegevens", "Bewaartermijn", "Geldig vanaf"])
        writer.writerow(["Vereniging De Hoek", "Verwerkingsverantwoordelijke", "Ledenadministratie", "Klantenbeheer\nCommunicatiebeheer",
                         "Naam; E-mailadres", "2 jaar na einde contract", "2023-05-01"])
    result = runner.invoke(app, ["import", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    graph = load_folder(tmp_path / "out")
    rows = graph.select("SELECT ?p ?l WHERE { ?a a dpv:Process ; dpv:hasPurpose ?p ; rdfs:label ?l }")
    assert {r["l"] for r in rows} == {"Ledenadministratie"} and len(rows) == 2
    assert graph.select('SELECT ?d WHERE { ?a ropa:validFrom "2023-05-01"^^xsd:date ; dpv:hasStorageCondition/dpv:hasDuration [ ropa:untilEvent ropa:ContractualRelationshipEnd ; ropa:afterEvent "P2Y"^^xsd:duration ] }')


def test_every_problem_of_a_file_is_reported_and_nothing_written(tmp_path):
    path = write_template(tmp_path / "broken.xlsx")
    book = openpyxl.load_workbook(path)
    organisation = book["Organisation"]
    country = next(c.column_letter for c in organisation[1] if c.value == "Country")
    organisation["B2"] = "Acme"
    organisation[f"{country}2"] = "Belgum"
    sheet = book["Activities"]
    headers = {c.value: c.column_letter for c in sheet[1]}
    sheet[f"{headers['Organisation keeping the record']}3"] = "Acme"
    sheet[f"{headers['Role']}3"] = "Controller"
    sheet[f"{headers['Name']}3"] = "Newsletter"
    sheet[f"{headers['Purposes']}3"] = "Marketting"
    sheet[f"{headers['Valid from']}3"] = "next spring"
    sheet[f"{headers['Personal data']}3"] = "=A1"
    sheet[f"{headers['Transfers outside the EEA (country: basis)']}3"] = "Untied States: Standard Contractual Clauses (SCC)"
    sheet[f"{headers['Organisation keeping the record']}4"] = "Acme"
    sheet.merge_cells(f"{headers['Purpose in your words'] if 'Purpose in your words' in headers else headers['Purposes in your words']}4:"
                      f"{headers['Purposes in your words']}5")
    sheet[f"{headers['Purposes in your words']}4"] = "both rows"
    sheet[f"{headers['Role']}1"] = None
    book.save(path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 2
    text = result.output
    assert "broken.xlsx: Activities!1:1: missing required column 'Role'" in text
    assert f"broken.xlsx: Organisation!{country}2: unknown term 'Belgum'" in text and "Belgium" in text
    purposes, data = headers["Purposes"], headers["Personal data"]
    assert re.search(rf"Activities!{purposes}3: unknown term 'Marketting' for 'Purposes'; did you mean .*'Marketing'", text)
    assert re.search(r"Activities![A-Z]+3: cannot read the date 'next spring'", text)
    assert re.search(rf"Activities!{data}3: a formula \(=A1\) where a value is expected", text)
    assert re.search(r"Activities![A-Z]+3: unknown country 'Untied States'; did you mean 'United States'", text)
    assert re.search(r"Activities![A-Z]+4:[A-Z]+5: merged cells", text)
    assert f"Activities!{headers['Role']}3: 'Controller' stands in a column without a header" in text
    assert "8 problems in broken.xlsx; nothing was written" in text
    assert not out.exists()


def test_unknown_party_and_column_are_named(tmp_path):
    path = write_template(tmp_path / "parties.xlsx")
    book = openpyxl.load_workbook(path)
    book["Organisation"]["B2"] = "Acme"
    sheet = book["Activities"]
    headers = {c.value: c.column_letter for c in sheet[1]}
    for header, value in (("Organisation keeping the record", "Acme"), ("Role", "Controller"), ("Name", "Payroll"),
                          ("Processors", "Payrol Services")):
        sheet[f"{headers[header]}2"] = value
    sheet.cell(row=1, column=sheet.max_column + 1, value="Purpose (free)")
    sheet.cell(row=2, column=sheet.max_column, value="x")
    book["Processors and recipients"]["B2"] = "Payroll Services"
    book.save(path)
    with pytest.raises(WorkbookErrors) as raised:
        import_workbook(path)
    messages = [p.message for p in raised.value.problems]
    assert any("unknown party 'Payrol Services'" in m and "'Payroll Services'" in m for m in messages)
    assert any(m.startswith("unknown column 'Purpose (free)'") for m in messages)


# --- the hand-filled example workbook ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def school(school_workbook, tmp_path_factory):
    """The example workbook imported, loaded and validated once."""
    from ropa.validate import validate

    folder = tmp_path_factory.mktemp("school")
    write_import(school_workbook, folder)
    graph = ropa.load([folder])
    return folder, graph, validate(graph, as_of=dt.date(2026, 11, 30))


def test_school_workbook_imports_every_activity(school):
    _, graph, _ = school
    labels = {r["l"] for r in graph.select("SELECT ?l WHERE { ?a a dpv:Process ; rdfs:label ?l }")}
    assert labels == {"Leerlingenadministratie", "Leerlingvolgsysteem en zorgdossier", "Schoolfoto's en foto's op de website",
                      "Nieuwsbrief aan ouders", "Vrijwillige ouderbijdrage en schoolreis", "Personeelsadministratie en salaris",
                      "Sollicitaties"}
    assert graph.select("""SELECT ?a WHERE { ?a rdfs:label "Sollicitaties"@nl ; dpv:hasStorageCondition/dpv:hasDuration
        [ ropa:untilEvent ropa:ApplicationRejected ; ropa:afterEvent "P28D"^^xsd:duration ] }""")


def test_school_workbook_findings_are_its_real_gaps(school):
    _, _, report = school
    found = {(f.check.split(":")[-1], (f.activity_label or f.focus_label or "")) for f in report.findings}
    for gap in [("SpecialCategoryCondition", "Leerlingvolgsysteem en zorgdossier"),      # health notes, no Art. 9 condition
                ("ImpactAssessment", "Leerlingvolgsysteem en zorgdossier"),              # no DPIA recorded
                ("LawfulBasis", "Vrijwillige ouderbijdrage en schoolreis"),              # legal basis left empty
                ("ControllerActivity-retention", "Schoolfoto's en foto's op de website"),  # no retention
                ("ConsentWithdrawal", "Schoolfoto's en foto's op de website"),
                ("LegalBasisLaw", "Leerlingenadministratie"),                             # a legal obligation, no law named
                ("LegalBasisLaw", "Leerlingvolgsysteem en zorgdossier")]:                 # a public task, no law named
        assert gap in found, (gap, sorted(found))
    # "tot einde van de contractuele relatie" is erasure at that event, as the authoring guide's "until an event"
    assert ("RetentionWithoutPeriod", "Nieuwsbrief aan ouders") not in found
    assert any(f.check.endswith("TransferBasis") for f in report.findings)  # DPF, importer not certified
    violations = {f.activity_label for f in report.findings if f.severity == "violation"}
    assert "Leerlingenadministratie" not in violations
    cited = [f.source for f in report.findings]
    assert all(s is not None and s.file == "kastanjelaar.xlsx" and re.fullmatch(r"(Verwerkingen|Organisatie|Verwerkers en ontvangers)![A-Z]+\d+", s.section)
               for s in cited), cited


def test_school_workbook_renders_in_dutch(school, tmp_path):
    from ropa.render import render

    folder, graph, report = school
    render(graph, tmp_path / "docs", formats=["md", "xlsx"], lang="nl", findings=report.findings)
    text = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "docs").rglob("*.md"))
    assert "Leerlingvolgsysteem en zorgdossier" in text and "Autoriteit Persoonsgegevens" in text


def test_school_workbook_exports_back_to_the_same_cells(school_workbook, school, tmp_path):
    _, graph, _ = school
    again = export_workbook(graph, tmp_path / "again.xlsx", lang="nl")
    from ropa.terms import vocabulary

    vocab = vocabulary()

    def label(text):
        return term.label("nl") if (term := vocab.resolve(text)) is not None else text

    def dutch(values):   # a concept the workbook names by another label (a transfer's basis too) is exported under its Dutch one
        if not isinstance(values, frozenset):
            return values
        return frozenset(label(v) if ": " not in v else ": ".join((v.split(": ", 1)[0], label(v.split(": ", 1)[1])))
                         for v in values)

    without_keys = lambda rows: {frozenset((h, dutch(v)) for h, v in row if h != "Sleutel") for row in rows}  # noqa: E731
    before, after = cells(school_workbook), cells(again)
    for sheet in ("Organisatie", "Verwerkingen", "Verwerkers en ontvangers"):
        assert without_keys(before[sheet]) == without_keys(after[sheet]), sheet


def _ods(path: Path, name: str, rows: list[list[str]]) -> Path:
    """A minimal OpenDocument spreadsheet (one sheet of text cells), as an office suite saves one."""
    import zipfile
    from xml.sax.saxutils import escape

    cells = "".join("<table:table-row>" + "".join(
        f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>' for value in row)
        + "</table:table-row>" for row in rows)
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               f'<office:spreadsheet><table:table table:name="{name}">{cells}</table:table></office:spreadsheet>'
               '</office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_ods_workbook_imports_and_reports_unknown_terms(tmp_path):
    header = ["Organisation keeping the record", "Role", "Name", "Purposes", "Retention"]
    good = _ods(tmp_path / "club.ods", "Activities", [header, ["Roklubben Ørsted", "Controller", "Members", "Customer Management", "3 years"]])
    triples, _ = import_workbook(good)
    values = {(t.predicate.value.rsplit("#", 1)[-1], t.object.value) for t in triples}
    assert ("hasPurpose", "https://w3id.org/dpv#CustomerManagement") in values
    assert ("value", "P3Y") in values
    bad = _ods(tmp_path / "bad.ods", "Activities", [header, ["Roklubben Ørsted", "Controller", "Members", "Membership", "3 yeers"]])
    with pytest.raises(WorkbookErrors) as raised:
        import_workbook(bad)
    lines = str(raised.value).splitlines()
    assert lines[0].startswith("bad.ods: Activities!D2: unknown term 'Membership'")
    assert lines[1].startswith("bad.ods: Activities!E2: cannot read the retention period '3 yeers'")


def test_ico_layout_round_trips_the_columns_it_has(small_record, tmp_path):
    graph = ropa.load([small_record])
    book = export_workbook(graph, tmp_path / "ico.xlsx", layout_name="ico")
    sheet = openpyxl.load_workbook(book)["ICO"]
    assert sheet["A1"].value == Messages("en")("ico.organisation") and sheet["C2"].value == "Loans and reminders"
    triples, _ = import_workbook(book, layout_name="ico")
    facts = {(t.predicate.value.rsplit("#", 1)[-1], t.object.value.rsplit("#", 1)[-1]) for t in triples}
    for expected in [("hasPurpose", "ServiceProvision"), ("hasLegalBasis", "A6-1-b"), ("hasDataSubject", "Customer"),
                     ("hasPersonalData", "EmailAddress"), ("hasThirdCountry", "US"), ("untilEvent", "AgreementEnd")]:
        assert expected in facts


def test_party_columns_drop_down_the_names_of_their_sheet(tmp_path):
    book = openpyxl.load_workbook(write_template(tmp_path / "record.xlsx"))
    activities = book["Activities"]
    headers = {c.value: c.column_letter for c in activities[1]}
    formulas = {v.formula1 for v in activities.data_validations.dataValidation
                if f"{headers['Processors']}2" in v.sqref or f"{headers['Organisation keeping the record']}2" in v.sqref}
    assert formulas == {"'Processors and recipients'!$B$2:$B$200", "'Organisation'!$B$2:$B$200"}


def test_template_command_writes_the_gba_layout_in_dutch(tmp_path):
    result = runner.invoke(app, ["template", "-o", str(tmp_path / "gba.xlsx"), "--lang", "nl", "--layout", "gba"])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "gba.xlsx")
    t = Messages("nl")
    sheet = book[book.sheetnames[2]]
    assert sheet.title == t("sheet.gba")[:31].strip()
    assert [c.value for c in sheet[1]][:2] == [t("gba.controller"), t("gba.contact")]
    result = runner.invoke(app, ["template", "-o", str(tmp_path / "x.xlsx"), "--layout", "cnil"])
    assert result.exit_code == 2


CRIMINAL = (prefixes("https://example.org/security/") + f"@prefix ref: <{NAMESPACES['ref']}> .\n" + """
my:org a dpv:Organisation , dpv:DataController ; dpv:hasName "{name}" ; rdfs:label "{name}"@en ;
    dpv:hasCountry loc:{country} ; ropa:email "privacy@security.example" .
my:screening a dpv:Process ; rdfs:label "Screening of guards"@en ; ropa:recordedBy my:org ; ropa:role ropa:ControllerRole ;
    dpv:hasDataController my:org ; dpv:hasPurpose dpv:RecruitmentApplicantCriminalBackgroundCheck ;
    dpv:hasLegalBasis eu-gdpr:A6-1-c ; dpv:hasDataSubject dpv:JobApplicant ; dpv:hasPersonalData pd:Name , pd:CriminalConviction ;
    ropa:criminalDataAuthorisation {law} ; ropa:noRecipients true .
""")


@pytest.mark.parametrize("lang, country, law, label", [
    ("nl", "BE", "ref:law-be-2018-07-30-art-10", "Wet van 30 juli 2018 betreffende de bescherming van natuurlijke personen"),
    ("fr", "FR", "ref:law-fr-78-17-art-46", "Loi n° 78-17"),
    ("de", "NL", "ref:law-nl-uavg-art-31-33", "Ausführungsgesetz zur DSGVO (UAVG)"),
])
def test_the_law_that_allows_criminal_data_goes_through_the_workbook_and_back(tmp_path, lang, country, law, label):
    """Art. 10: the provision an activity cites for criminal-offence data has its column, headed in the workbook's
    language, shows the provision by its name there, and is read back as the same provision: the check stays quiet."""
    folder = tmp_path / "record"
    folder.mkdir()
    (folder / "record.ttl").write_text(CRIMINAL.replace("{name}", "Veilig & Zeker").replace("{country}", country)
                                       .replace("{law}", law), encoding="utf-8")
    graph = ropa.load([folder])
    assert "rs:CriminalOffenceData" not in {f.check for f in validate(graph).findings}
    book = export_workbook(graph, tmp_path / "record.xlsx", lang=lang)
    t = Messages(lang)
    sheet = openpyxl.load_workbook(book)[t("sheet.activities")]
    headers = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=headers.index(t("col.criminal_authorisation")) + 1).value
    assert label in cell and "ref:" not in cell
    back = tmp_path / "back"
    result = runner.invoke(app, ["import", str(book), "-o", str(back)])
    assert result.exit_code == 0, result.output
    imported = ropa.load([back])
    assert imported.select("SELECT ?law WHERE { ?a ropa:criminalDataAuthorisation ?law }") == [
        {"law": law.replace("ref:", "https://w3id.org/ropa/reference/")}]
    assert "rs:CriminalOffenceData" not in {f.check for f in validate(imported).findings}
    without = tmp_path / "without.xlsx"
    sheet.cell(row=2, column=headers.index(t("col.criminal_authorisation")) + 1).value = None
    sheet.parent.save(without)
    assert runner.invoke(app, ["import", str(without), "-o", str(tmp_path / "bare")]).exit_code == 0
    assert "rs:CriminalOffenceData" in {f.check for f in validate(ropa.load([tmp_path / "bare"])).findings}


# --- the law behind a legal obligation or public task (Art. 6(3)) -------------------------------------------------------

COMMUNE = """
@prefix ex: <https://example.org/commune/> .
@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
@prefix eu-gdpr: <https://w3id.org/dpv/legal/eu/gdpr#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

ex:commune a dpv:LegalEntity , dpv:DataController , dpv:PublicSectorBody ; rdfs:label "Commune de Wiltz"@fr ;
    dpv:hasCountry loc:LU ; ropa:email "dpo@wiltz.example" .
ex:register a dpv:Process ; rdfs:label "Registre de la population"@fr ; ropa:recordedBy ex:commune ;
    ropa:role ropa:ControllerRole ; dpv:hasDataController ex:commune ; dpv:hasPurpose dpv:PublicRelations ; dpv:hasLegalBasis eu-gdpr:A6-1-e ;
    ropa:legalBasisLaw "Loi du 19 juin 2013 relative à l'identification des personnes physiques, art. 3"@fr ;
    dpv:hasDataSubject dpv:Citizen ; dpv:hasPersonalData pd:Name , pd:PhysicalAddress ; ropa:noRecipients true .
ex:payroll a dpv:Process ; rdfs:label "Paie du personnel communal"@fr ; ropa:recordedBy ex:commune ;
    ropa:role ropa:ControllerRole ; dpv:hasDataController ex:commune ; dpv:hasPurpose dpv:PersonnelPayment ; dpv:hasLegalBasis eu-gdpr:A6-1-c ;
    dpv:hasDataSubject dpv:Employee ; dpv:hasPersonalData pd:Name , pd:Salary ; ropa:noRecipients true .
"""


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_law_behind_an_obligation_goes_through_the_workbook_and_back(tmp_path, lang):
    """A commune names the law behind its population register, not behind its payroll: the column, headed in the
    workbook's language, carries the law out and back, cited to its cell, and the payroll's gap stays a gap."""
    folder = tmp_path / "record"
    folder.mkdir()
    (folder / "record.ttl").write_text(COMMUNE, encoding="utf-8")
    graph = ropa.load([folder])
    law = "Loi du 19 juin 2013 relative à l'identification des personnes physiques, art. 3"
    book = export_workbook(graph, tmp_path / "commune.xlsx", lang=lang)
    t = Messages(lang)
    sheet = openpyxl.load_workbook(book)[t("sheet.activities")]
    headers = [c.value for c in sheet[1]]
    assert t.cite("Art. 6(3)") in t("col.legal_basis_law")
    column = headers.index(t("col.legal_basis_law")) + 1
    assert {sheet.cell(row=r, column=column).value for r in range(2, sheet.max_row + 1)} - {None} == {law}
    imported = load_folder(write_import(book, tmp_path / "imported").parent)
    assert isomorphic(article30_facts(graph, lang), article30_facts(imported, lang))
    rows = imported.select("""SELECT ?label ?law ?cell WHERE { ?a rdfs:label ?label ; ropa:legalBasisLaw ?law .
        ?st rdf:subject ?a ; rdf:predicate ropa:legalBasisLaw ; ropa:source/ropa:section ?cell }""")
    assert [(r["label"], r["law"]) for r in rows] == [("Registre de la population", law)]
    assert rows[0]["cell"].startswith(f"{sheet.title}!")
    for record in (graph, imported):
        assert {f.activity_label for f in validate(record).findings if f.check == "rs:LegalBasisLaw"} == {
            "Paie du personnel communal"}


def test_a_law_given_as_a_node_is_said_to_be_left_out_of_the_text_column(tmp_path):
    """The workbook writes the law as text; a record that names it by a node (a ropa:LegalProvision of its own) keeps
    it in the Turtle files, and the export says so instead of leaving the cell empty without a word."""
    from collections import Counter

    folder = tmp_path / "record"
    folder.mkdir()
    (folder / "record.ttl").write_text(COMMUNE.replace(
        'ropa:legalBasisLaw "Loi du 19 juin 2013 relative à l\'identification des personnes physiques, art. 3"@fr ;',
        "ropa:legalBasisLaw ex:loi-2013 ;") + 'ex:loi-2013 a ropa:LegalProvision ; rdfs:label "Loi du 19 juin 2013"@fr .\n',
        encoding="utf-8")
    left_out: Counter = Counter()
    export_workbook(ropa.load([folder]), tmp_path / "commune.xlsx", lang="fr", left_out=left_out)
    assert left_out["https://w3id.org/ropa/vocab#legalBasisLaw"] == 1
    assert "https://w3id.org/ropa/vocab#purposeDescription" not in left_out


def test_the_austrian_waste_association_names_the_law_of_its_fees_only():
    """examples/awv-muehlviertel: the record names the law behind its fees (its own comment cited it before); its
    office work and payroll rest on a public task and a legal obligation whose law it does not name."""
    from conftest import example_path

    graph = ropa.load([example_path("awv-muehlviertel")])
    assert graph.select("SELECT ?a WHERE { ?a ropa:legalBasisLaw ?law }") == [
        {"a": "https://awv-muehlviertel.example/verzeichnis/gebuehren"}]
    found = {f.focus.rsplit("/", 1)[-1] for f in validate(graph).findings if f.check == "rs:LegalBasisLaw"}
    assert found == {"buero", "personal"}


# --- response times (Art. 12(3)) and a party's own processors ------------------------------------------------------------

ROUND_TRIP = ("https://w3id.org/ropa/vocab#responseTime", "https://w3id.org/ropa/vocab#extendedResponseTime",
              "https://w3id.org/dpv#hasDataProcessor")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_response_times_and_a_partys_own_processors_go_through_the_workbook_and_back(hospital, tmp_path, lang):
    """The French hospital answers requests within a month (three with the extension) and its booking service's
    provider uses a text-message gateway of its own (dpv:hasDataProcessor on the provider): the workbook carries both,
    in words of its language, and reads them back to the same triples; the export no longer counts them left out."""
    from collections import Counter

    left_out: Counter = Counter()
    book = export_workbook(hospital, tmp_path / "hospital.xlsx", lang=lang, left_out=left_out)
    assert not set(ROUND_TRIP) & set(left_out), left_out
    t = Messages(lang)
    workbook = openpyxl.load_workbook(book)
    organisations = workbook[t("sheet.organisations")]
    headers = [c.value for c in organisations[1]]
    row = {h: c.value for h, c in zip(headers, organisations[2])}
    assert row[t("col.response_time")] == f"1 {t('unit.month.one')}"
    assert row[t("col.extended_response_time")] == f"3 {t('unit.month.other')}"
    parties = workbook[sheet_title(t("sheet.parties"))]
    headers = [c.value for c in parties[1]]
    rows = [{h: c.value for h, c in zip(headers, r)} for r in parties.iter_rows(min_row=2)]
    assert [r[t("col.party_processors")] for r in rows if r[t("col.name")] == "RDV Facile"] == ["SMS Cloud Inc."]
    imported = load_folder(write_import(book, tmp_path / "imported").parent)
    for prop in ROUND_TRIP:
        query = f"SELECT ?s ?o WHERE {{ ?s <{prop}> ?o }}"
        assert sorted(map(str, imported.select(query))) == sorted(map(str, hospital.select(query))), prop
    assert imported.select("SELECT ?d WHERE { ?s ropa:responseTime ?d FILTER(DATATYPE(?d) = xsd:duration) }")
    # every Art. 30 fact comes back, the research's own DPIA node included
    assert isomorphic(article30_facts(hospital, lang), article30_facts(imported, lang))


def test_the_export_note_no_longer_names_response_times_or_a_partys_processors(hospital_path, tmp_path):
    result = runner.invoke(app, ["export", str(hospital_path), "--format", "xlsx", "-o", str(tmp_path / "h.xlsx")])
    assert result.exit_code == 0, result.output
    for name in ("ropa:responseTime", "ropa:extendedResponseTime", "dpv:hasDataProcessor", "response time", "processor"):
        assert name not in result.output


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_template_helps_with_periods_and_names_the_parties_for_own_processors(tmp_path, lang):
    book = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx", lang=lang))
    t = Messages(lang)
    sheet = book[t("sheet.organisations")]
    headers = [c.value for c in sheet[1]]
    for key in ("col.response_time", "col.extended_response_time"):
        letter = openpyxl.utils.get_column_letter(headers.index(t(key)) + 1)
        [validation] = [v for v in sheet.data_validations.dataValidation if f"{letter}2" in str(v.sqref).split(":")[0]]
        assert validation.prompt == t("template.duration_help") and validation.showInputMessage
        assert not validation.showErrorMessage   # suggestions: another period may be typed
        title = validation.formula1.split("!")[0].strip("'")
        assert title == t("list.duration")
        offered = [c.value for c in book[title]["A"][1:]]
        assert f"1 {t('unit.month.one')}" in offered and all(not re.match(r"^P\d", v) for v in offered)
    parties = book[sheet_title(t("sheet.parties"))]
    headers = [c.value for c in parties[1]]
    letter = openpyxl.utils.get_column_letter(headers.index(t("col.party_processors")) + 1)
    [validation] = [v for v in parties.data_validations.dataValidation if f"{letter}2" in str(v.sqref).split(":")[0]]
    assert validation.formula1.startswith(f"'{sheet_title(t('sheet.parties'))}'!")


def test_a_period_or_a_processor_the_import_cannot_read_is_named_with_its_cell(tmp_path):
    t = Messages("en")
    organisations = {t("col.name"): "Roklubben Ørsted", t("col.response_time"): "a month or so",
                     t("col.extended_response_time"): "2 months; 3 months"}
    activities = {t("col.organisation"): "Roklubben Ørsted", t("col.role"): t("role.controller"), t("col.name"): "Members"}
    parties = {t("col.name"): "Cloud A/S", t("col.party_processors"): "Nowhere Ltd"}
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, row in ((t("sheet.organisations"), organisations), (t("sheet.activities"), activities),
                       (sheet_title(t("sheet.parties")), parties)):
        sheet = book.create_sheet(title)
        sheet.append(list(row))
        sheet.append(list(row.values()))
    book.save(tmp_path / "club.xlsx")
    with pytest.raises(WorkbookErrors) as raised:
        import_workbook(tmp_path / "club.xlsx")
    lines = raised.value.lines()
    assert "club.xlsx: Organisation!B2: cannot read the period 'a month or so'; write for example '1 month' or '30 days'" in lines
    assert "club.xlsx: Organisation!C2: one value expected, found 2: '2 months; 3 months'" in lines
    assert any(line.startswith(f"club.xlsx: {sheet_title(t('sheet.parties'))}!B2: unknown party 'Nowhere Ltd'") for line in lines)
    assert not (tmp_path / "imported").exists()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_list_sheet_of_the_template_is_titled_in_the_workbooks_language(tmp_path, lang):
    """The drop-down lists' sheets are named from the catalogue: no internal list name (criminal_authorisation,
    types~authority) and no second list with a number after a title another list took."""
    t = Messages(lang)
    book = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx", lang=lang))
    titles = {sheet_title(t(key)) for key in t.phrases if key.startswith("list.")}
    from ropa.workbook import layout

    lists = book.sheetnames[1 + len(layout("ropa").sheets):]   # after the instructions and the sheets to fill in
    assert len(lists) > 15 and set(lists) <= titles, set(lists) - titles


# --- headers written before citations followed each language's style ----------------------------------------------------

def test_a_german_workbook_with_the_old_citation_in_its_headers_keeps_those_columns(tmp_path):
    """A German workbook filled in when its headers cited "Art. 7(3)" and "Art. 37(1)(a)" (before citations were
    written "Art. 7 Abs. 3"): import recognises both old headers instead of reporting unknown columns and losing the
    means of withdrawal and the kind of organisation."""
    t = Messages("de")
    book = openpyxl.load_workbook(write_template(tmp_path / "vorlage.xlsx", lang="de"))
    old = {"col.withdrawal_means": "Wie die Einwilligung widerrufen wird (Art. 7(3))",
           "col.org_type": "Art der Organisation (eine Behörde: Art. 37(1)(a))"}
    assert all(t(key) != text for key, text in old.items())   # the headers did change
    values = {
        t("sheet.organisations"): {t("col.name"): "Gemeinde Lassnitz", t("col.country"): "Österreich",
                                   old["col.org_type"]: t("type.authority")},
        t("sheet.activities"): {t("col.organisation"): "Gemeinde Lassnitz", t("col.role"): t("role.controller"),
                                t("col.name"): "Newsletter", t("col.legal_basis"): "Einwilligung",
                                old["col.withdrawal_means"]: "Abmeldelink in jedem Newsletter"},
    }
    for title, row in values.items():
        sheet = book[title]
        headers = [c.value for c in sheet[1]]
        for key, text in old.items():   # the header as the old template wrote it
            if t(key) in headers:
                sheet.cell(row=1, column=headers.index(t(key)) + 1).value = text
        headers = [c.value for c in sheet[1]]
        for header, value in row.items():
            sheet.cell(row=2, column=headers.index(header) + 1).value = value
    book.save(tmp_path / "alt.xlsx")
    triples, _ = import_workbook(tmp_path / "alt.xlsx")
    facts = {(x.predicate.value.rsplit("#", 1)[-1], x.object.value) for x in triples}
    assert ("withdrawalMeans", "Abmeldelink in jedem Newsletter") in facts
    assert ("type", "https://w3id.org/dpv#Authority") in facts


def test_every_former_header_belongs_to_a_column_and_is_no_current_phrase():
    from ropa.workbook import layout

    spec = layout("ropa")
    headers = {c.header for s in spec.sheets for c in s.columns}
    current = {Messages(lang)(key) for key in headers for lang in LANGUAGES}
    assert spec.former and set(spec.former) <= headers
    assert not {text for texts in spec.former.values() for text in texts} & current


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_austrian_record_goes_through_the_workbook_and_back(tmp_path, lang):
    """examples/awv-muehlviertel: a provider known only by its registered name (no label) is named by its key, and a
    data location that is a region (the EU) is offered beside the countries, so the export imports again, to the
    same Art. 30 facts, its law of Art. 6(3) included."""
    from conftest import example_path

    graph = ropa.load([example_path("awv-muehlviertel")])
    book = export_workbook(graph, tmp_path / "awv.xlsx", lang=lang)
    imported = load_folder(write_import(book, tmp_path / "imported").parent)
    assert isomorphic(article30_facts(graph, lang), article30_facts(imported, lang))
    assert imported.select('SELECT ?p WHERE { ?p dpv:hasName "Microsoft Ireland Operations Limited" ; dpv:hasLocation loc:EU }')
    assert imported.select('SELECT ?a WHERE { ?a ropa:legalBasisLaw "Oö. Abfallwirtschaftsgesetz 2009" }')

"""The workbook's columns for what officers once had to write in Turtle: a sub-processor's authorisation by each
controller (Art. 28(2)), an activity's scale and its DPIA (Art. 35), a party's parent company and group; every record
of examples/ and the bundled one through export and import in each language; sheet names and headers in the
workbook's language; the export's note in plain words."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from typer.testing import CliRunner

import ropa
from ropa.cli import app
from ropa.register import LANGUAGES, Messages
from ropa.validate import validate
from ropa.workbook import (LAYOUTS, WorkbookErrors, article30_facts, export_workbook, import_workbook, layout,
                           sheet_title, write_import, write_template)

from conftest import EXAMPLES, example_path, fill_second_row
from records import prefixes

runner = CliRunner()
ROPA, DPV = "https://w3id.org/ropa/vocab#", "https://w3id.org/dpv#"
NEW_PROPERTIES = {ROPA + "authorisedBy", DPV + "hasScale", DPV + "hasImpactAssessment", ROPA + "parentCompany",
                  ROPA + "isPartOfGroup", ROPA + "responseTimeAsStated", ROPA + "hasSubProcessor", ROPA + "telephone",
                  ROPA + "headquarteredIn", DPV + "hasLocation", DPV + "hasProcess", ROPA + "shortName",
                  "http://www.w3.org/2004/02/skos/core#altLabel", ROPA + "statesNotProcessed", ROPA + "Engagement"}
TURTLE_RECORDS = [None, "awv-muehlviertel", "chi-belleval", "classe-ouverte", "loonhuis-schelde", "wolkenwerk"]
WORKBOOK_RECORDS = ["school-nl/kastanjelaar.xlsx", "boutique-lu/boutique-moselle.xlsx", "classe-ouverte/classe-ouverte.xlsx"]


def round_trip(graph, folder: Path, lang: str):
    """Export the record as a workbook in ``lang``, import it, and return (workbook, imported graph, left out)."""
    left_out: Counter = Counter()
    book = export_workbook(graph, folder / "record.xlsx", lang=lang, left_out=left_out)
    imported = ropa.load([write_import(book, folder / "imported").parent])
    return book, imported, left_out


def assert_same_facts(original, imported, lang: str) -> None:
    before, after = article30_facts(original, lang), article30_facts(imported, lang)
    if not isomorphic(before, after):
        _, lost, gained = graph_diff(to_isomorphic(before), to_isomorphic(after))
        pytest.fail(f"lost {sorted(lost)[:5]}, gained {sorted(gained)[:5]}")


# --- every record, every language ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def records(bundled, tmp_path_factory):
    """The bundled record, every Turtle record of examples/ and the records the example workbooks import to."""
    graphs = {None: bundled}
    for name in TURTLE_RECORDS[1:]:
        graphs[name] = ropa.load([example_path(name)])
    for name in WORKBOOK_RECORDS:
        folder = tmp_path_factory.mktemp(name.split("/")[0])
        graphs[name] = ropa.load([write_import(EXAMPLES / name, folder).parent])
    return graphs


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", TURTLE_RECORDS + WORKBOOK_RECORDS)
def test_every_record_goes_through_the_workbook_and_back(records, tmp_path, name, lang):
    """Export then import keeps every fact the columns cover (Art. 30 and the columns added for the checks), and the
    export leaves none of the newly carried properties out."""
    graph = records[name]
    _, imported, left_out = round_trip(graph, tmp_path, lang)
    assert_same_facts(graph, imported, lang)
    assert not NEW_PROPERTIES & set(left_out), left_out


# --- the payroll provider: authorisations, scale, DPIAs, parent company ------------------------------------------------

AUTHORISED = """SELECT ?sub ?by WHERE { ?s ropa:authorisedBy ?b ; rdfs:label ?sub . ?b rdfs:label ?by }"""
SCALES = """SELECT ?a ?scale WHERE { ?a dpv:hasScale ?scale }"""
ASSESSMENTS = """SELECT ?a ?kind ?title WHERE { ?a dpv:hasImpactAssessment ?d . ?d a ?kind ; rdfs:label ?title }"""
PARENTS = """SELECT ?org ?parent WHERE { ?o ropa:parentCompany ?p ; rdfs:label ?org . ?p rdfs:label ?parent }"""
SUB_PROCESSORS = """SELECT ?a ?sub WHERE { ?a a dpv:Process ; ropa:hasSubProcessor ?s . ?s rdfs:label ?sub }"""


def rows(graph, query: str) -> set[tuple[str, ...]]:
    return {tuple(str(v) for v in row.values()) for row in graph.select(query)}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_payroll_providers_authorisations_scale_and_assessments_come_back(payroll, tmp_path, lang):
    """examples/loonhuis-schelde, a record that is not Destiny: which employer authorised which sub-processor, the
    large scale of its services, its DPIAs and balancing test, its parent company and its services' sub-processors are
    cells of the workbook in every language and the same triples after import; the checks that read them (Art. 28(2),
    Art. 35, Art. 37(1)) report the same."""
    book, imported, left_out = round_trip(payroll, tmp_path, lang)
    for query in (AUTHORISED, SCALES, ASSESSMENTS, PARENTS, SUB_PROCESSORS):
        assert rows(payroll, query), query
        assert rows(imported, query) == rows(payroll, query), query
    assert rows(imported, AUTHORISED) >= {("Kempen Cloud NV", "Brouwerij De Kroon BV"),
                                          ("Bangalore Code Labs Pvt Ltd", "Bouwbedrijf Van Damme NV")}
    assert not left_out, left_out   # the provider engaged for all its services (an engagement) has its row too

    t = Messages(lang)
    workbook = openpyxl.load_workbook(book)
    parties = workbook[sheet_title(t("sheet.parties"))]
    headers = [c.value for c in parties[1]]
    named = {r[headers.index(t("col.name"))].value: r[headers.index(t("col.authorised_by"))].value
             for r in parties.iter_rows(min_row=2)}
    assert named["Kempen Cloud NV"].splitlines() == sorted(by for sub, by in rows(payroll, AUTHORISED)
                                                           if sub == "Kempen Cloud NV")
    assert len(named["Kempen Cloud NV"].splitlines()) == 3
    activities = workbook[t("sheet.activities")]
    headers = [c.value for c in activities[1]]
    scales = {c.value for c in next(activities.iter_cols(min_col=headers.index(t("col.scale")) + 1, min_row=2,
                                                          max_col=headers.index(t("col.scale")) + 1))} - {None}
    large = ropa.terms.vocabulary().get(DPV + "LargeScaleProcessing").label(lang)
    assert scales == {large}

    def findings(graph, checks):
        return {(f.check, f.focus) for f in validate(graph).findings if f.check in checks}

    checks = {"rs:LargeScaleDpo", "rs:ImpactAssessment", "rs:SubProcessorAuthorisation",
              "rs:SubProcessorAuthorisationPerController", "rs:SubProcessorAgreement"}
    assert findings(imported, checks) == findings(payroll, checks)
    # gap 9 of the example: the provider engaged for every service is not authorised by the newest employer
    assert ("rs:SubProcessorAuthorisationPerController", "https://loonhuis-schelde.example/record/bangalore-code-labs") \
        in findings(imported, checks)


# --- a sub-processor list: engagements ---------------------------------------------------------------------------------------

ENGAGEMENTS = """SELECT ?provider ?service ?where ?mechanism ?scope ?serves ?data ?from WHERE {
    ?e a ropa:Engagement ; ropa:engagedBy ?by ; ropa:provider ?p ; ropa:servicePerformed ?service .
    ?p rdfs:label ?provider .
    OPTIONAL { ?e ropa:dataLocation ?where } OPTIONAL { ?e ropa:transferMechanism ?mechanism }
    OPTIONAL { ?e ropa:engagementScope ?scope } OPTIONAL { ?e ropa:serves ?serves }
    OPTIONAL { ?e ropa:receivesData ?data } OPTIONAL { ?e ropa:validFrom ?from } }"""


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_sub_processor_list_goes_through_its_sheet_and_back(wolkenwerk, tmp_path, lang):
    """examples/wolkenwerk keeps its sub-processor list as engagements (a provider, what it does, where, under which
    transfer mechanism, for which services or for all of them, which data, from when): each is a row of the sheet of
    providers engaged, its scope in the workbook's words, and comes back as the same ropa:Engagement."""
    book, imported, left_out = round_trip(wolkenwerk, tmp_path, lang)
    assert not left_out, left_out
    before = rows(wolkenwerk, ENGAGEMENTS)
    assert len({r[0] for r in before}) >= 5 and any(r[4].endswith("AllProcessorServices") for r in before)
    assert rows(imported, ENGAGEMENTS) == before
    t = Messages(lang)
    sheet = openpyxl.load_workbook(book)[sheet_title(t("sheet.engagements"))]
    headers = [c.value for c in sheet[1]]
    scopes = {r[headers.index(t("col.scope"))].value for r in sheet.iter_rows(min_row=2)} - {None}
    assert scopes == {t("scope.processor"), t("scope.controller")}


def test_an_unknown_activity_or_scope_of_an_engagement_is_named_with_its_cell(tmp_path):
    t = Messages("en")
    book = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx", lang="en"))
    values = {
        t("sheet.organisations"): [{t("col.name"): "Hostwerk BV"}],
        t("sheet.activities"): [{t("col.organisation"): "Hostwerk BV", t("col.role"): t("role.processor"),
                                 t("col.name"): "Web hosting"}],
        sheet_title(t("sheet.parties")): [{t("col.name"): "Backupkluis BV"}],
        sheet_title(t("sheet.engagements")): [
            {t("col.engaged_by"): "Hostwerk BV", t("col.provider"): "Backupkluis BV", t("col.serves"): "Web hostin"},
            {t("col.engaged_by"): "Hostwerk BV", t("col.provider"): "Backupkluis BV", t("col.scope"): "everything"},
            {t("col.engaged_by"): "Hostwerk BV", t("col.provider"): "Backupkluis BV", t("col.scope"): t("scope.processor"),
             t("col.serves"): "Web hosting"}],
    }
    for title, sheet_rows in values.items():
        sheet = book[title]
        headers = [c.value for c in sheet[1]]
        for number, row in enumerate(sheet_rows, start=2):
            for header, value in row.items():
                sheet.cell(row=number, column=headers.index(header) + 1).value = value
    book.save(tmp_path / "hosting.xlsx")
    with pytest.raises(WorkbookErrors) as raised:
        import_workbook(tmp_path / "hosting.xlsx")
    lines = raised.value.lines()
    title = sheet_title(t("sheet.engagements"))
    assert f"hosting.xlsx: {title}!E2: unknown activity 'Web hostin': not on the sheet 'Activities'; did you mean 'Web hosting'?" in lines
    assert any(line.startswith(f"hosting.xlsx: {title}!F3: unknown scope 'everything'; write 'all activities'") for line in lines)
    assert len(lines) == 3


# --- an agreement that authorises sub-processors -------------------------------------------------------------------------

SERVICE = prefixes("https://example.org/hosting/") + """
my:host a dpv:LegalEntity , dpv:DataProcessor ; rdfs:label "Hostwerk BV"@en ; dpv:hasCountry loc:NL .
my:bakery a dpv:DataController , dpv:LegalEntity ; rdfs:label "Bakkerij Ooms"@en ; dpv:hasCountry loc:NL .
my:florist a dpv:DataController , dpv:LegalEntity ; rdfs:label "Bloemist Maas"@en ; dpv:hasCountry loc:NL .
my:webshops a dpv:Process ; rdfs:label "Hosting of web shops"@en ; ropa:recordedBy my:host ;
    ropa:role ropa:ProcessorRole ; dpv:hasDataController my:bakery , my:florist ;
    ropa:actsOnBehalfOf my:bakery , my:florist ; dpv:hasDataProcessor my:host ;
    dpv:hasPersonalData pd:Name , pd:EmailAddress ; dpv:hasDataSubject dpv:Customer ;
    ropa:hasAgreement my:terms ; ropa:hasSubProcessor my:backup , my:mailer ;
    dpv:hasScale dpv:LargeScaleOfDataSubjects ; ropa:statesNoTransferOutside loc:EEA .
my:terms a dpv:ControllerProcessorAgreement ; rdfs:label "Hosting terms, clause 9: sub-processors"@en .
my:backup a dpv:DataProcessor , dpv:DataSubProcessor ; rdfs:label "Backupkluis BV"@en ; dpv:hasCountry loc:NL ;
    ropa:authorisedBy my:terms ; ropa:hasAgreement my:backup-agreement .
my:backup-agreement a dpv:SubProcessorAgreement ; rdfs:label "Backup agreement 2024"@en .
my:mailer a dpv:DataProcessor , dpv:DataSubProcessor ; rdfs:label "Mailpost BV"@en ; dpv:hasCountry loc:NL ;
    ropa:authorisedBy my:bakery ; ropa:hasAgreement my:mailer-agreement ; ropa:isPartOfGroup my:post-group ;
    ropa:parentCompany my:post-holding .
my:mailer-agreement a dpv:SubProcessorAgreement ; rdfs:label "Mail agreement 2023"@en .
my:post-holding a dpv:LegalEntity ; rdfs:label "Post Holding NV"@en ; dpv:hasCountry loc:NL .
my:post-group a ropa:CorporateGroup ; rdfs:label "Post Groep"@en .
"""


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_general_written_authorisation_goes_through_the_workbook_as_an_agreement(tmp_path, lang):
    """A hosting company's terms authorise sub-processors in general (Art. 28(2)): the backup provider, authorised by
    the terms, is written 'Agreement: ...' in the workbook's words and comes back authorised by the agreement the
    service holds; the mailer, authorised by one of the two controllers, is still reported for the other. Its group
    and parent company come back too."""
    folder = tmp_path / "record"
    folder.mkdir()
    (folder / "record.ttl").write_text(SERVICE, encoding="utf-8")
    graph = ropa.load([folder])
    book, imported, left_out = round_trip(graph, tmp_path, lang)
    assert not left_out, left_out
    assert_same_facts(graph, imported, lang)
    t = Messages(lang)
    parties = openpyxl.load_workbook(book)[sheet_title(t("sheet.parties"))]
    headers = [c.value for c in parties[1]]
    cells = {r[headers.index(t("col.name"))].value: {h: c.value for h, c in zip(headers, r)} for r in parties.iter_rows(min_row=2)}
    assert cells["Backupkluis BV"][t("col.authorised_by")] == t("value.authorising_agreement",
                                                                 name="Hosting terms, clause 9: sub-processors")
    assert cells["Mailpost BV"][t("col.group")] == "Post Groep"
    assert cells["Mailpost BV"][t("col.parent_company")] == "Post Holding NV"
    # the authorising agreement is the one the service holds, so it covers both controllers
    assert imported.select("SELECT ?s WHERE { ?s ropa:authorisedBy ?a . ?p ropa:hasAgreement ?a ; a dpv:Process }")

    def reported(record):
        return {(f.check, f.focus.rsplit("/", 1)[-1].split("#")[-1]) for f in validate(record).findings
                if f.check.startswith("rs:SubProcessorAuthorisation")}

    assert reported(graph) == {("rs:SubProcessorAuthorisationPerController", "mailer")}
    assert {check for check, _ in reported(imported)} == {"rs:SubProcessorAuthorisationPerController"}
    assert imported.select('SELECT ?g WHERE { ?m ropa:isPartOfGroup ?g . ?g a ropa:CorporateGroup ; rdfs:label "Post Groep"@%s }' % lang)


def test_one_group_named_by_two_organisations_is_one_node_after_import(bundled, tmp_path):
    """The bundled record's two Danish companies belong to one group: the workbook names it on both rows and import
    makes one ropa:CorporateGroup of it, as the Chapter V what-if reads a group (same group, same node)."""
    _, imported, _ = round_trip(bundled, tmp_path, "en")
    groups = imported.select("SELECT DISTINCT ?g WHERE { ?o ropa:isPartOfGroup ?g }")
    members = imported.select("SELECT DISTINCT ?o WHERE { ?o ropa:isPartOfGroup ?g }")
    assert len(groups) == 1 and len(members) == 2


# --- mistakes in the new columns -----------------------------------------------------------------------------------------

def test_a_mistake_in_the_new_columns_is_named_with_its_sheet_and_cell(tmp_path):
    t = Messages("en")
    book = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx", lang="en"))
    values = {
        t("sheet.organisations"): {t("col.name"): "Hostwerk BV", t("col.parent_company"): "Hostwerk Holding"},
        t("sheet.activities"): {t("col.organisation"): "Hostwerk BV", t("col.role"): t("role.processor"),
                                t("col.name"): "Web hosting", t("col.scale"): "Enormous",
                                t("col.dpia_done"): "DPIA web hosting, March 2025"},
        sheet_title(t("sheet.parties")): {t("col.name"): "Backupkluis BV", t("col.authorised_by"): "Bakery Ooms"},
    }
    where = fill_second_row(book, values)
    book.save(tmp_path / "hosting.xlsx")
    with pytest.raises(WorkbookErrors) as raised:
        import_workbook(tmp_path / "hosting.xlsx")
    lines = raised.value.lines()
    assert any(line.startswith(f"hosting.xlsx: {where[t('col.scale')]}: unknown term 'Enormous' for "
                               f"'{t('col.scale')}'") for line in lines), lines
    assert any(line.startswith(f"hosting.xlsx: {where[t('col.authorised_by')]}: unknown party 'Bakery Ooms'")
               for line in lines), lines
    assert any(line.startswith(f"hosting.xlsx: {where[t('col.parent_company')]}: unknown party 'Hostwerk Holding'")
               for line in lines), lines
    assert len(lines) == 4   # three problems and the count; the DPIA's title is a title, not a mistake


# --- what a person reads ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_new_columns_have_headers_and_a_scale_list_in_the_workbooks_language(tmp_path, lang):
    t = Messages(lang)
    book = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx", lang=lang))
    headers = {sheet: [c.value for c in book[sheet][1]] for sheet in
               (t("sheet.organisations"), t("sheet.activities"), sheet_title(t("sheet.parties")))}
    for key in ("col.parent_company", "col.group", "col.response_time_stated", "col.headquarters"):
        assert t(key) in headers[t("sheet.organisations")], key
    for key in ("col.scale", "col.dpia_done", "col.lia_done", "col.sub_processors", "col.data_location"):
        assert t(key) in headers[t("sheet.activities")], key
    for key in ("col.authorised_by", "col.parent_company", "col.group", "col.telephone"):
        assert t(key) in headers[sheet_title(t("sheet.parties"))], key
    scales = [c.value for c in book[sheet_title(t("list.scale"))]["A"][1:]]
    vocabulary = ropa.terms.vocabulary()
    expected = {vocabulary.get(DPV + name).label(lang) for name in (
        "SmallScaleProcessing", "MediumScaleProcessing", "LargeScaleProcessing", "SmallScaleOfDataSubjects",
        "MediumScaleOfDataSubjects", "LargeScaleOfDataSubjects", "HugeScaleOfDataSubjects")}
    assert set(scales) == expected
    if lang != "en":   # each label in the workbook's language, not DPV's English
        english = {vocabulary.get(DPV + "LargeScaleOfDataSubjects").label("en")}
        assert not english & set(scales)


@pytest.mark.parametrize("layout_name", LAYOUTS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_sheet_name_and_header_of_an_exported_workbook_is_a_phrase_of_its_language(payroll, tmp_path, layout_name, lang):
    """No internal name (types~authority, criminal_authorisation, col.scale) reaches an officer: each sheet is titled
    by a phrase of the catalogue of the workbook's language, and each header of the sheets to fill in is the phrase
    of its column."""
    t = Messages(lang)
    book = openpyxl.load_workbook(export_workbook(payroll, tmp_path / "r.xlsx", lang=lang, layout_name=layout_name))
    titles = {sheet_title(t(key)) for key in t.phrases if key.startswith(("sheet.", "list."))}
    assert set(book.sheetnames) <= titles, set(book.sheetnames) - titles
    spec = layout(layout_name)
    for sheet_spec in spec.sheets:
        written = [c.value for c in book[sheet_title(t(sheet_spec.title))][1]]
        assert written == [t(column.header) for column in sheet_spec.columns]
        assert not [h for h in written if re.fullmatch(r"[a-z_.~]+", h)]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_export_note_speaks_plain_words(tmp_path, lang):
    """The note of what stays in the Turtle files names no prefixed name, and ropa:responseTimeAsStated is no longer
    in it: it has a column."""
    result = runner.invoke(app, ["export", "--format", "xlsx", "--lang", lang, "-o", str(tmp_path / "d.xlsx")])
    assert result.exit_code == 0, result.output
    t = Messages(lang)
    note = " ".join(result.output.split()).partition(f"ropa: {t('status.kind.note')}: ")[2]
    assert note.startswith(t("export.left_out", what="").split("{")[0].split(" ")[0]) and note
    assert not re.search(r"\b(rdfs|dpv|ropa|dct|skos):", note), note
    assert t("property.rdfs:comment") in note
    for words in ("response time as stated", "responseTimeAsStated", "isPartOfGroup"):
        assert words not in note


def test_an_assessment_of_no_listed_kind_is_named_in_plain_words(tmp_path):
    """A record's own assessment typed only dpv:ImpactAssessment (neither a DPIA nor a balancing test) has no column:
    the export counts it and says so in words, and its DPIA beside it goes through."""
    folder = tmp_path / "record"
    folder.mkdir()
    (folder / "record.ttl").write_text(SERVICE + """
my:webshops dpv:hasImpactAssessment my:review , my:dpia .
my:review a dpv:ImpactAssessment ; rdfs:label "Yearly review"@en .
my:dpia a dpv:DPIA ; rdfs:label "DPIA web shops, 2025"@en .
""", encoding="utf-8")
    graph = ropa.load([folder])
    _, imported, left_out = round_trip(graph, tmp_path, "en")
    assert dict(left_out) == {DPV + "hasImpactAssessment": 1}
    assert imported.select('SELECT ?a WHERE { ?a dpv:hasImpactAssessment [ a dpv:DPIA ; rdfs:label "DPIA web shops, 2025"@en ] }')
    result = runner.invoke(app, ["export", str(folder), "--format", "xlsx", "--lang", "de", "-o", str(tmp_path / "d.xlsx")])
    assert result.exit_code == 0, result.output
    t = Messages("de")
    what = t("export.left_out_item", name=t("property.dpv:hasImpactAssessment"), count=1)
    assert t("export.left_out", what=what) in " ".join(result.output.split())


def test_an_umbrella_activity_names_the_activities_it_groups_by_name(bundled, tmp_path):
    """The bundled record's processing of the Danish company groups four activities (dpv:hasProcess): the workbook
    names them in the umbrella's row and import links the same activities again."""
    book, imported, _ = round_trip(bundled, tmp_path, "nl")
    query = "SELECT ?a ?b WHERE { ?a dpv:hasProcess ?b }"
    assert len(rows(bundled, query)) == 9 and rows(imported, query) == rows(bundled, query)
    t = Messages("nl")
    sheet = openpyxl.load_workbook(book)[t("sheet.activities")]
    headers = [c.value for c in sheet[1]]
    grouped = [r[headers.index(t("col.includes"))].value for r in sheet.iter_rows(min_row=2)]
    assert sum(1 for cell in grouped if cell) == 2

"""`ropa init --public-authority`: a public authority or body's record, whose data protection officer (Art. 37(1)(a))
stays a visible gap until someone is named, in the language of the starter files."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import ropa
from ropa.cli import app
from ropa.messages import Messages
from ropa.scaffold import init
from ropa.validate import validate

ORGANISATION = "https://{slug}.example/record/organisation"


def findings_of(folder) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in validate(ropa.load([folder])).findings:
        found.setdefault(finding.check, set()).add(finding.value or finding.focus)
    return found


@pytest.mark.parametrize("lang, org, country", [("de", "Marktgemeinde Sankt Florian", "AT"),
                                                ("fr", "Commune de Belleval", "BE")])
def test_a_public_authority_is_written_as_one_and_its_missing_officer_is_reported(tmp_path, lang, org, country):
    folder = tmp_path / "record"
    result = CliRunner().invoke(app, ["init", str(folder), "--org", org, "--country", country, "--lang", lang,
                                      "--public-authority"])
    assert result.exit_code == 0, result.output
    graph = ropa.load([folder])
    [row] = graph.select("SELECT ?o WHERE { ?o a dpv:PublicSectorBody ; dpv:hasName ?n }")
    slug = org.lower().replace(" ", "-")
    assert row["o"] == ORGANISATION.format(slug=slug)
    assert not graph.select("SELECT ?d WHERE { ?o dpv:hasDataProtectionOfficer ?d }")
    # the officer's description is there, in the record's language, and says no one is designated yet
    say = Messages(lang)
    assert say("init.wrote", path=folder / "organisation.ttl") in result.output and "wrote" not in result.output
    [dpo] = graph.select("SELECT ?l WHERE { ?d a dpv:DataProtectionOfficer ; rdfs:label ?l }")
    assert dpo["l"] == say("init.dpo_unknown", name=org)
    text = (folder / "organisation.ttl").read_text(encoding="utf-8")
    assert say("init.note.public_authority", name=org, kind="dpv:PublicSectorBody")[:60] in " ".join(
        line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    # its findings: the example contact address, and the officer a public body must designate
    assert findings_of(folder) == {"rs:PlaceholderEmail": {f"privacy@{slug}.example"},
                                   "rs:PublicAuthority-dpo": {ORGANISATION.format(slug=slug)},
                                   "rs:LegalBasisLaw": {ORGANISATION.format(slug=slug).replace("organisation", "payroll")}}
    shown = CliRunner().invoke(app, ["validate", str(folder), "--lang", lang, "--format", "github"])
    assert shown.exit_code == 1 and say("check.PublicAuthority-dpo.message") in shown.output


def test_the_gap_stays_until_the_officer_is_named_and_linked(tmp_path):
    folder = tmp_path / "record"
    init(folder, "Gemeente Kreekdorp", "NL", lang="nl", public_authority=True)
    activities = folder / "activities.ttl"   # the law behind the payroll's legal obligation (Art. 6(3)) filled in
    activities.write_text(activities.read_text(encoding="utf-8").replace(
        "eu-gdpr:A6-1-c ;", 'eu-gdpr:A6-1-c ;\n    ropa:legalBasisLaw "Wet op de loonbelasting 1964"@nl ;', 1), encoding="utf-8")
    path = folder / "organisation.ttl"
    original = path.read_text(encoding="utf-8")
    real = original.replace("@gemeente-kreekdorp.example", "@kreekdorp.nl").replace(
        ": nog niet aangewezen", "").replace("Functionaris voor gegevensbescherming van Gemeente Kreekdorp", "J. de Vries")
    # the officer named, the address written, the link still commented out: the gap is still reported
    path.write_text(real.replace('#   ropa:email "dpo@', '    ropa:email "dpo@'), encoding="utf-8")
    assert set(findings_of(folder)) == {"rs:PublicAuthority-dpo"}
    # linked without an address: the officer is there, but cannot be reached
    path.write_text(real.replace("#   dpv:hasDataProtectionOfficer", "    dpv:hasDataProtectionOfficer"), encoding="utf-8")
    assert set(findings_of(folder)) == {"rs:DataProtectionOfficer"}
    # both lines taken in: a clean record
    path.write_text(real.replace("#   dpv:hasDataProtectionOfficer", "    dpv:hasDataProtectionOfficer")
                    .replace('#   ropa:email "dpo@', '    ropa:email "dpo@'), encoding="utf-8")
    assert findings_of(folder) == {}
    graph = ropa.load([folder])
    assert graph.select('SELECT ?d WHERE { ?o dpv:hasDataProtectionOfficer ?d . ?d rdfs:label "J. de Vries"@nl ; '
                        'ropa:email "dpo@kreekdorp.nl" }')


def test_without_the_option_the_organisation_is_no_public_body(tmp_path):
    init(tmp_path / "r", "Acme BV", "NL", lang="de", role="both")
    graph = ropa.load([tmp_path / "r"])
    assert not graph.select("SELECT ?o WHERE { ?o a dpv:PublicSectorBody }")
    assert graph.select("SELECT ?d WHERE { ?o dpv:hasDataProtectionOfficer ?d }")
    assert "rs:PublicAuthority-dpo" not in findings_of(tmp_path / "r")


def test_the_public_authority_keeps_its_kind_and_its_gap_through_a_workbook(tmp_path):
    init(tmp_path / "record", "Stadt Steinach", "DE", lang="de", public_authority=True)
    result = CliRunner().invoke(app, ["export", str(tmp_path / "record"), "--format", "xlsx", "--lang", "de",
                                      "-o", str(tmp_path / "record.xlsx")])
    assert result.exit_code == 0, result.output
    import openpyxl

    sheet = openpyxl.load_workbook(tmp_path / "record.xlsx")[Messages("de")("sheet.organisations")]
    assert Messages("de")("type.authority") in [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    result = CliRunner().invoke(app, ["import", str(tmp_path / "record.xlsx"), "-o", str(tmp_path / "back")])
    assert result.exit_code == 0, result.output
    assert set(findings_of(tmp_path / "back")) == {"rs:PlaceholderEmail", "rs:PublicAuthority-dpo", "rs:LegalBasisLaw"}

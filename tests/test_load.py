"""Loading that users can trust: clear one-line errors with file and line, exit code 2, nothing dropped."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ropa
from ropa.cli import app
from ropa.errors import RopaError, RopaErrors

runner = CliRunner()

PREFIXES = """@prefix dpv: <https://w3id.org/dpv#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix ex: <https://example.org/> .
"""

GOOD = PREFIXES + """
ex:payroll a dpv:Process ;
    dpv:hasPurpose dpv:HumanResourceManagement ;
    dpv:hasPersonalData pd:Salary , pd:BankAccount .
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(*args: str):
    return runner.invoke(app, list(args))


def test_good_file_loads_with_vocabulary_and_every_triple(tmp_path):
    graph = ropa.load([write(tmp_path, "good.ttl", GOOD)])
    data = [f for f in graph.files if f.kind == "data"]
    assert [f.path.name for f in data] == ["good.ttl"]
    rows = graph.select("SELECT ?d WHERE { <https://example.org/payroll> dpv:hasPersonalData ?d } ORDER BY ?d")
    assert [r["d"] for r in rows] == ["https://w3id.org/dpv/pd#BankAccount", "https://w3id.org/dpv/pd#Salary"]
    # The vocabulary came along: the purpose is known to be a purpose through skos:broader*.
    assert graph.query("ASK { dpv:HumanResourceManagement skos:broader+ dpv:Purpose }")


def test_malformed_turtle_names_file_and_line(tmp_path):
    bad = write(tmp_path, "broken.ttl", PREFIXES + '\nex:a a dpv:Process ;\n    dpv:hasPurpose "unterminated .\n')
    with pytest.raises(RopaError) as caught:
        ropa.load([bad])
    assert caught.value.path.endswith("broken.ttl")
    assert caught.value.line == 7


def test_unknown_dpv_term_names_term_file_line_and_nearest(tmp_path):
    typo = write(tmp_path, "typo.ttl", GOOD.replace("dpv:hasPurpose dpv:HumanResourceManagement", "dpv:hasPurpose dpv:HumanResourceManagment"))
    with pytest.raises(RopaError) as caught:
        ropa.load([typo])
    message = str(caught.value)
    assert "dpv:HumanResourceManagment" in message
    assert "did you mean dpv:HumanResourceManagement?" in message
    assert caught.value.line == 7
    assert caught.value.path.endswith("typo.ttl")


def test_unknown_ropa_term_is_caught_too(tmp_path):
    typo = write(tmp_path, "ropa-typo.ttl", GOOD + "ex:payroll ropa:recordedby ex:acme .\n")
    with pytest.raises(RopaError, match=r"ropa:recordedby.*did you mean ropa:recordedBy\?"):
        ropa.load([typo])


def test_unknown_term_written_as_full_iri_is_located(tmp_path):
    text = GOOD + "ex:payroll <https://w3id.org/dpv/pd#EmailAdress> ex:x .\n"
    with pytest.raises(RopaError) as caught:
        ropa.load([write(tmp_path, "full.ttl", text)])
    assert "pd:EmailAdress" in str(caught.value) and "pd:EmailAddress" in str(caught.value)
    assert caught.value.line == 9



def test_unknown_terms_in_every_position_and_syntax_are_each_reported_with_file_and_line(tmp_path):
    """Unknown terms as subject, predicate and object, in Turtle and in N-Triples, are all reported (one error
    each, with its file and line); text inside a literal that looks like a DPV IRI is no term."""
    turtle = GOOD + (
        "dpv:Payrol a dpv:Purpose .\n"                                        # subject, line 9
        "ex:payroll ropa:hasFoo ex:x .\n"                                     # predicate, line 10
        'ex:payroll ex:note "see <https://w3id.org/dpv#NotATerm> and dpv:Nope" .\n'   # literal text: no term
        "ex:payroll dpv:hasDataSubject <https://w3id.org/dpv#Employe> .\n"   # object as a full IRI, line 12
    )
    ntriples = ('<https://example.org/x> <https://w3id.org/dpv#hasPurpose> <https://w3id.org/dpv#Marketting> .\n'
                '<https://example.org/x> <https://example.org/p> "<https://w3id.org/dpv#AlsoNotATerm>" .\n')
    with pytest.raises(RopaError) as caught:
        ropa.load([write(tmp_path, "many.ttl", turtle), write(tmp_path, "more.nt", ntriples)])
    problems = {(Path(e.path).name, e.line, re.match(r"unknown term (\S+): ", e.message).group(1))
                for e in caught.value.problems}
    assert problems == {("many.ttl", 9, "dpv:Payrol"), ("many.ttl", 10, "ropa:hasFoo"),
                        ("many.ttl", 12, "dpv:Employe"), ("more.nt", 1, "dpv:Marketting")}

def test_unknown_prefix_names_file_and_line(tmp_path):
    text = GOOD + "ex:payroll dpv:hasDataSubject dvp:Employee .\n"
    with pytest.raises(RopaError) as caught:
        ropa.load([write(tmp_path, "prefix.ttl", text)])
    assert "dvp:" in str(caught.value)
    assert caught.value.line == 9


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("broken.ttl", PREFIXES + "ex:a ex:b .\n", "broken.ttl:5"),
        ("typo.ttl", GOOD.replace("pd:Salary", "pd:Salery"), "did you mean pd:Salary?"),
        ("prefix.ttl", GOOD + "ex:a ex:b foo:c .\n", "foo:"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path, name, text, expected):
    path = write(tmp_path, name, text)
    result = subprocess.run([sys.executable, "-m", "ropa", "info", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ropa: error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_ill_typed_literal_names_file_and_line(tmp_path):
    text = PREFIXES + '@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\nex:r ex:period "P4W"^^xsd:duration .\n'
    with pytest.raises(RopaError) as caught:
        ropa.load([write(tmp_path, "period.ttl", text)])
    assert '"P4W"^^xsd:duration' in str(caught.value)
    assert caught.value.line == 6



def test_typed_literals_are_checked_in_every_file_and_syntax_and_text_that_looks_like_one_is_not(tmp_path):
    """Valid values of every checked datatype load (some in a non-canonical form); a string whose text looks like
    an ill-typed literal is a string; an ill-typed date in an N-Triples file is reported with its file and line."""
    xsd = "http://www.w3.org/2001/XMLSchema#"
    good = PREFIXES + f"""@prefix xsd: <{xsd}> .
ex:r a dpv:Process ; ex:period "P1Y2M"^^xsd:duration ; ex:day "2024-02-29"^^xsd:date ; ex:at "2024-01-01T10:00:00Z"^^xsd:dateTime ;
    ex:flag "1"^^xsd:boolean ; ex:count "007"^^xsd:integer ; ex:share "+1.50"^^xsd:decimal ;
    ex:note "written as \\"P4W\\"^^xsd:duration, or \\"2023-02-30\\"^^<{xsd}date>" ; ex:tab "a\\tb" .
"""
    graph = ropa.load([write(tmp_path, "good.ttl", good)])
    assert graph.query('ASK { ?r <https://example.org/note> ?n FILTER(CONTAINS(?n, "P4W")) }')
    bad = ('<https://example.org/r> <https://example.org/note> "a \\"quoted\\" text" .\n'
           f'<https://example.org/r> <https://example.org/day> "2023-02-30"^^<{xsd}date> .\n')
    with pytest.raises(RopaError) as caught:
        ropa.load([write(tmp_path, "good.ttl", good), write(tmp_path, "dates.nt", bad)])
    assert '"2023-02-30"^^xsd:date' in str(caught.value)
    assert caught.value.path.endswith("dates.nt") and caught.value.line == 2

def test_errors_keep_their_order_while_files_are_checked_as_the_next_one_is_parsed(tmp_path):
    """A file is checked while the next one is parsed: a file that does not parse is still the error reported
    before an ill-typed literal of an earlier file, and an ill-typed literal before an unknown term of an earlier
    file; every unknown term of every file is reported together, and the files load in the order given."""
    xsd = '@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n'
    ill_typed = write(tmp_path, "b-period.ttl", PREFIXES + xsd + 'ex:r ex:period "P4W"^^xsd:duration .\n')
    broken = write(tmp_path, "c-broken.ttl", PREFIXES + 'ex:a a dpv:Process ;\n    dpv:hasPurpose "unterminated .\n')
    unknown = write(tmp_path, "a-unknown.ttl", PREFIXES + "ex:a a dpv:Proces .\n")
    later_unknown = write(tmp_path, "d-unknown.ttl", PREFIXES + "ex:d dpv:hasPurpos dpv:Marketing .\n")
    with pytest.raises(RopaError) as caught:
        ropa.load([unknown, ill_typed, broken])
    assert caught.value.path.endswith("c-broken.ttl") and caught.value.line == 6
    with pytest.raises(RopaError) as caught:
        ropa.load([unknown, ill_typed, later_unknown])
    assert caught.value.path.endswith("b-period.ttl") and '"P4W"^^xsd:duration' in str(caught.value)
    with pytest.raises(RopaErrors) as caught:
        ropa.load([unknown, write(tmp_path, "e-good.ttl", GOOD), later_unknown])
    assert [(Path(e.path).name, e.line) for e in caught.value.problems] == [("a-unknown.ttl", 5), ("d-unknown.ttl", 5)]
    graph = ropa.load([write(tmp_path, "e-good.ttl", GOOD), write(tmp_path, "f-good.ttl", GOOD.replace("payroll", "hiring"))])
    assert [f.path.name for f in graph.files if f.kind == "data"] == ["e-good.ttl", "f-good.ttl"]
    assert [f.kind for f in graph.files] == sorted((f.kind for f in graph.files), key=("vocabulary", "reference", "data").index)
    assert len(graph.select("SELECT ?a WHERE { ?a a dpv:Process }")) == 2


def test_missing_path_and_unsupported_file_are_clear_errors(tmp_path):
    result = run_cli("info", str(tmp_path / "nope.ttl"))
    assert result.exit_code == 2
    assert "no such file or folder" in result.output
    csv = write(tmp_path, "register.csv", "a,b\n")
    result = run_cli("info", str(csv))
    assert result.exit_code == 2
    assert "unsupported file type '.csv'" in result.output


def test_folder_is_read_recursively(tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "one.ttl", GOOD)
    write(tmp_path, "two.ttl", PREFIXES + "ex:hr a dpv:Process ; dpv:hasPurpose dpv:PersonnelHiring .\n")
    graph = ropa.load([tmp_path])
    assert sorted(f.path.name for f in graph.files if f.kind == "data") == ["one.ttl", "two.ttl"]
    assert len(graph.select("SELECT ?a WHERE { ?a a dpv:Process }")) == 2


def test_info_json_counts_per_file(tmp_path):
    path = write(tmp_path, "good.ttl", GOOD)
    result = run_cli("info", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    data = [f for f in summary["files"] if f["kind"] == "data"]
    assert data == [{"path": data[0]["path"], "kind": "data", "triples": 4, "entities": 0, "activities": 1, "processors": 0}]


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld"])
def test_export_round_trips_every_triple(tmp_path, fmt):
    source = write(tmp_path, "good.ttl", GOOD)
    target = tmp_path / f"merged.{fmt}"
    result = run_cli("export", str(source), "--format", fmt, "-o", str(target))
    assert result.exit_code == 0, result.output
    original = ropa.load([source])
    reread = ropa.load([target], vocabulary=False, reference=False)
    assert len(reread) == len(original)
    assert reread.query("ASK { <https://example.org/payroll> dpv:hasPersonalData pd:Salary }")


def test_export_failure_leaves_previous_file_untouched(tmp_path):
    target = tmp_path / "merged.ttl"
    target.write_text("previous content", encoding="utf-8")
    broken = write(tmp_path, "broken.ttl", PREFIXES + "ex:a ex:b .\n")
    result = run_cli("export", str(broken), "-o", str(target))
    assert result.exit_code == 2
    assert target.read_text(encoding="utf-8") == "previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.ttl", "merged.ttl"]


def test_a_source_that_points_at_no_quote_is_an_error(tmp_path):
    text = GOOD + """
ex:q-payroll a ropa:Quote ; ropa:quote "We pay our staff." .
ex:payroll ropa:source ex:q-payroll .
ex:other a dpv:Process ;
    ropa:source ex:q-missing .
"""
    bad = write(tmp_path, "dangling.ttl", text)
    with pytest.raises(RopaError, match="ex:q-missing|q-missing") as caught:
        ropa.load([bad])
    assert caught.value.path.endswith("dangling.ttl")
    assert caught.value.line == text.splitlines().index("    ropa:source ex:q-missing .") + 1
    fixed = tmp_path / "fixed"
    fixed.mkdir()
    ropa.load([write(fixed, "fine.ttl", text.replace("ex:q-missing", "ex:q-payroll"))])


@pytest.mark.parametrize("extra", ["", "ex:r ex:name \"Zoë\" .\n"])   # ASCII text, and text that is not
def test_declared_prefixes_are_read_from_every_line_that_declares_one(extra):
    from ropa.namespaces import declared_prefixes

    text = ("@prefix a: <https://a.example/> . @prefix skipped: <https://not-at-line-start/> .\n"
            "  PREFIX b: <https://b.example/>\n\n   @PREFIX c: <https://c.example/> .\n# @prefix comment: <x>\n"
            "prefix : <https://empty.example/>\n@prefix a: <https://a-again.example/> .\n"
            'ex:r ex:note "prefix in a literal" .\n' + extra + "Prefix d: <https://d.example/>\r\n")
    assert declared_prefixes(text) == {"a": "https://a.example/", "b": "https://b.example/", "c": "https://c.example/",
                                       "": "https://empty.example/", "d": "https://d.example/"}


def test_a_folder_holding_only_a_workbook_points_to_the_import(tmp_path):
    folder = tmp_path / "our record"
    folder.mkdir()
    shutil.copy(Path(__file__).resolve().parent.parent / "examples" / "school-nl" / "kastanjelaar.xlsx", folder)
    with pytest.raises(RopaError) as raised:
        ropa.load([folder])
    assert "ropa import" in str(raised.value) and "'" + str(folder / "kastanjelaar.xlsx") + "'" in str(raised.value)

"""Hostile and careless use of every command: one test per class of problem, with the payloads named for it.

No traceback, no side effect, no silent loss: a user's mistake or a hostile input is one line on stderr and exit
code 2; what an output shows of a record never acts on its reader.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

import ropa
from hostile import (RESULTS, answering, assert_csv_neutral, assert_markdown_neutral, assert_mermaid_neutral,
                     assert_no_raw_controls, mermaid_blocks, serving, write_record)
from ropa import safe
from ropa.cli import app
from ropa.errors import RopaError
from ropa.export import blank_node_depth, write_atomically
from ropa.query import Param, local_only, parse_value
from ropa.waivers import load_waivers

pytestmark = pytest.mark.filterwarnings("ignore::ropa.errors.RopaWarning")   # records without activities, on purpose
runner = CliRunner()
REPOSITORY = Path(__file__).resolve().parent.parent
HOSTILE = "https://example.org/hostile/"


def invoke(*args: str, code: int | tuple[int, ...] = 0):
    """Run ropa in-process; the command must end with one of the exit codes and never with an exception."""
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"ropa {' '.join(map(str, args))} raised {result.exception!r}"
    assert result.exit_code in ((code,) if isinstance(code, int) else code), (args, result.output)
    assert "Traceback" not in result.output
    return result


def one_line_error(result, *fragments: str) -> str:
    """The one error line on stderr (progress lines such as 'validated: ...' may precede it), with the fragments."""
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("ropa: error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile")
    return {"new": write_record(root / "new"), "old": write_record(root / "old", with_sub_processor=False),
            "root": root}


# --- 1. Side effects through arguments ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("repo")
    write_record(folder / "record")
    git = ["git", "-C", str(folder), "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "record"], check=True)
    return folder


@pytest.mark.parametrize("revision", ["--output=VICTIM", "--output=VICTIM:record", "-oVICTIM", "--exec=touch VICTIM",
                                      "HEAD --output=VICTIM", "", " "])
@pytest.mark.parametrize("command", ["diff", "notice"])
def test_a_revision_is_never_read_as_an_option(repository, monkeypatch, revision, command):
    monkeypatch.chdir(repository)
    victim = repository / "VICTIM"
    victim.write_text("keep\n")
    extra = ["--processor", HOSTILE + "org"] if command == "notice" else []
    for args in (["--git", revision, "record"], [f"{revision}:record", "record"]):
        result = invoke(command, *args, *extra, code=2)
        if "No such option" not in result.stderr:   # else the command line itself was refused
            one_line_error(result)
        assert victim.read_text() == "keep\n", args
    assert sorted(p.name for p in repository.iterdir()) == [".git", "VICTIM", "record"]


def test_a_valid_revision_still_works(repository, monkeypatch):
    monkeypatch.chdir(repository)
    result = invoke("diff", "--git", "HEAD", "record")
    assert "No change" in result.stdout


# --- 2. No network from a local query ----------------------------------------------------------------------------

class Recorder(BaseHTTPRequestHandler):
    """A server on the loopback interface that notes every request it gets."""

    hits: list[str] = []

    def do_GET(self):
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture()
def recorder():
    Recorder.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql", Recorder.hits
    server.shutdown()


SERVICE_QUERIES = [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ # a comment\n  SeRvIcE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE <file:///etc/passwd> {{ ?s ?p ?o }} }}",
]


@pytest.mark.parametrize("template", SERVICE_QUERIES)
def test_service_is_refused_in_ad_hoc_queries_and_query_files(recorder, tmp_path, template):
    url, hits = recorder
    sparql = template.format(url=url)
    record = write_record(tmp_path)
    result = invoke("query", "--sparql", sparql, str(record), code=2)
    one_line_error(result, "SERVICE", "--allow-service")
    rq = tmp_path / "remote.rq"
    rq.write_text("# title: reaches out\n" + sparql + "\n")
    result = invoke("query", str(rq), str(record), code=2)
    one_line_error(result, "remote.rq", "SERVICE")
    assert hits == []


def test_service_in_a_custom_shape_is_refused_in_both_engines(recorder, tmp_path):
    url, hits = recorder
    shapes = tmp_path / "remote.ttl"
    shapes.write_text(f"""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix ex: <https://example.org/shapes/> .
ex:Remote a sh:NodeShape ; sh:targetClass dpv:Process ;
  sh:sparql [ sh:message "remote" ; sh:select \"\"\"SELECT $this WHERE {{ SERVICE <{url}> {{ $this ?p ?o }} }}\"\"\" ] .
""")
    record = write_record(tmp_path / "record")
    for engine in ("fast", "pyshacl"):
        result = invoke("validate", str(record), "--shapes", str(shapes), "--engine", engine, code=2)
        one_line_error(result, "shape <https://example.org/shapes/Remote> (sh:select)", "SERVICE")
    assert hits == []


@pytest.mark.parametrize("select", ["SELECT $this WHERE { $this ?p }", "ASK {}", "CONSTRUCT WHERE { ?s ?p ?o }",
                                    'SELECT $this WHERE { $this ?p ?o FILTER(xsd:integer("x") > 1) }'])
def test_a_custom_shape_with_odd_sparql_is_one_line_in_both_engines(tmp_path, select):
    shapes = tmp_path / "odd.ttl"
    shapes.write_text(f"""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix ex: <https://example.org/shapes/> .
ex:Odd a sh:NodeShape ; sh:targetClass dpv:Process ; sh:sparql [ sh:message "m" ; sh:select {json.dumps(select)} ] .
""")
    record = write_record(tmp_path / "record")
    for engine in ("fast", "pyshacl"):
        result = invoke("validate", str(record), "--shapes", str(shapes), "--engine", engine, code=(0, 1, 2))
        if result.exit_code == 2:
            one_line_error(result)


def test_words_that_only_look_like_service_are_not_refused():
    for sparql in ('SELECT ?service WHERE { ?service a "SERVICE" } # SERVICE <http://x>',
                   "PREFIX ex: <https://example.org/SERVICE/> SELECT * WHERE { ?s ex:SERVICE ?o ; ex:a ex:Service }"):
        local_only(sparql)


def test_allow_service_lets_the_user_opt_in(tmp_path):
    record = write_record(tmp_path)
    result = invoke("query", "--allow-service", "--sparql", "SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }",
                    str(record), code=2)
    one_line_error(result, "the query failed")   # it was tried, and its failure is still one line


# --- 3. Resource exhaustion in input -----------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="https://example.org/x"><rdfs:label>&lol9;</rdfs:label></rdf:Description>
</rdf:RDF>
"""


def test_rdf_xml_entity_declarations_are_refused_before_parsing(tmp_path):
    path = tmp_path / "laughs.rdf"
    path.write_text(BILLION_LAUGHS)
    result = invoke("info", str(path), code=2)
    one_line_error(result, "laughs.rdf:3", "entities")


def nested_blank_nodes(depth: int) -> str:
    return ("@prefix ex: <https://example.org/deep/> .\nex:a ex:p " + "[ ex:p " * depth + "ex:b" + " ]" * depth + " .\n")


def test_deeply_nested_blank_nodes_are_refused_by_json_ld_export_only(tmp_path):
    path = tmp_path / "deep.ttl"
    path.write_text(nested_blank_nodes(1000))
    assert blank_node_depth(ropa.load([path], vocabulary=False, reference=False)) == 1000
    result = invoke("export", str(path), "-f", "jsonld", "-o", str(tmp_path / "out.jsonld"), code=2)
    one_line_error(result, "1000 deep", "ttl")
    assert not (tmp_path / "out.jsonld").exists()
    invoke("export", str(path), "-f", "ttl", "-o", str(tmp_path / "out.ttl"))
    shallow = tmp_path / "shallow.ttl"
    shallow.write_text(nested_blank_nodes(60))
    invoke("export", str(shallow), "-f", "jsonld", "-o", str(tmp_path / "ok.jsonld"))
    json.loads((tmp_path / "ok.jsonld").read_text())


def test_a_blank_node_cycle_has_a_finite_depth(tmp_path):
    path = tmp_path / "cycle.nt"
    path.write_text("_:a <https://example.org/p> _:b .\n_:b <https://example.org/p> _:a .\n")
    assert blank_node_depth(ropa.load([path], vocabulary=False, reference=False)) == 2


@pytest.mark.parametrize("value, expected", [("9" * 5000, "at most 4096 characters"), ("9" * 19, "at most 18 digits"),
                                             ("-" + "9" * 200, "at most 18 digits")])
def test_oversized_parameters_are_one_line(value, expected):
    with pytest.raises(RopaError, match=expected):
        parse_value(Param("n", "integer", "1"), value)
    result = invoke("query", "shared-processors", "--param", f"min_entities={value}", code=2)
    one_line_error(result, expected)


def test_an_oversized_answer_is_refused(tmp_path):
    class Huge(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))  # a socket closed unread resets
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            try:
                for _ in range(64):
                    self.wfile.write(b" " * 65536)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    with serving(Huge) as url:
        from ropa import remote
        with pytest.raises(RopaError, match="more than 1 MB"):
            remote.request(url, data=b"x", method="POST", max_bytes=1024 * 1024)


def test_an_answer_declared_too_large_is_refused_before_reading():
    with serving(answering(200, b"{}", length=600 * 1024 * 1024)) as url:
        result = invoke("query", "--sparql", "SELECT ?s WHERE { ?s ?p ?o }", "--endpoint", url, code=2)
    one_line_error(result, "more than 512 MB")


# --- 4. Output that attacks its reader ---------------------------------------------------------------------------

def test_neutralisers_per_format():
    assert safe.visible("a\x1b[2Jb\u202ec\n\td") == "a\\x1b[2Jb\\u202ec\n\td"
    assert safe.one_line("a\nb\u200bc") == "a\\nb\\u200bc"
    for formula in ("=1+1", "+1+1", "-1+1", "@SUM(1)", "\t=1", "\r=1"):
        assert safe.csv_cell(formula).startswith("'")
    assert safe.csv_cell("-12.5") == "-12.5" and safe.csv_cell("a=b") == "a=b"
    assert "\x9b" not in safe.dumps({"k": "a\x9bb"}) and json.loads(safe.dumps({"k": "a\x9bb"})) == {"k": "a\x9bb"}
    assert "%%" not in safe.mermaid('%%{init: {"theme": "dark"}}%%') and "\n" not in safe.mermaid("a\nb\u2028c")
    assert safe.markdown("# x | [y](z) <b>") == "\\# x \\| \\[y\\](z) &lt;b&gt;"
    assert safe.terminal("[/]").plain == "[/]"


TERMINAL_COMMANDS = [
    ["info", "{new}"],
    ["validate", "{new}"],
    ["query", "activities-of-controller", "{new}", "--param", "controller=any"],
    ["query", "--sparql", "SELECT ?l WHERE { ?s rdfs:label ?l }", "{new}"],
    ["flows", "{new}"],
    ["impact", HOSTILE + "vendor", "{new}"],
    ["vendors", "{new}"],
    ["diff", "{old}", "{new}"],
    ["notice", "{old}", "{new}", "--processor", HOSTILE + "org"],
    ["diagram", "{new}", "--controller", HOSTILE + "org", "--format", "mermaid"],
]


def fill(args: list[str], hostile: dict[str, Path]) -> list[str]:
    return [a.replace("{new}", str(hostile["new"])).replace("{old}", str(hostile["old"])) for a in args]


@pytest.mark.parametrize("args", TERMINAL_COMMANDS, ids=lambda a: a[0] + ("-" + a[1] if a[1].startswith("-") else ""))
def test_terminal_output_shows_payloads_as_text(hostile, args):
    result = invoke(*fill(args, hostile), code=(0, 1))
    assert_no_raw_controls(result.stdout + result.stderr, args[0])
    assert "MarkupError" not in result.output


@pytest.mark.parametrize("fmt", ["json", "md"])
@pytest.mark.parametrize("args", TERMINAL_COMMANDS[2:-1], ids=lambda a: a[0] + ("-" + a[1] if a[1].startswith("-") else ""))
def test_json_and_markdown_outputs_are_neutral(hostile, args, fmt):
    result = invoke(*fill(args, hostile), "--format", fmt, code=(0, 1))
    assert_no_raw_controls(result.stdout, f"{args[0]} {fmt}")
    if fmt == "json":
        json.loads(result.stdout)
    else:
        assert_markdown_neutral(result.stdout, args[0])


def test_csv_cells_never_become_formulas(hostile):
    written = ""
    for args in (["query", "activities-of-controller", str(hostile["new"]), "--param", "controller=any"],
                 ["query", "--sparql", "SELECT ?l ?s WHERE { ?s rdfs:label ?l }", str(hostile["new"]), "--iris"]):
        result = invoke(*args, "--format", "csv")
        assert_no_raw_controls(result.stdout, "csv")
        assert_csv_neutral(result.stdout, "csv")
        written += result.stdout
    for start in ("'=HYPERLINK", "'+1+cmd", "'-2+3", "'@SUM", "'\t=1+1", "'\\r=1+1"):
        assert start in written, start


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "sarif", "github"])
def test_validation_reports_are_neutral(hostile, tmp_path, fmt):
    target = tmp_path / f"report.{fmt}"
    invoke("validate", str(hostile["new"]), "--format", fmt, "-o", str(target), code=1)
    text = target.read_text(encoding="utf-8")
    assert_no_raw_controls(text, fmt)
    if fmt == "junit":
        root = ET.fromstring(text.encode("utf-8"))
        assert any("HYPERLINK" in (case.get("classname") or "") for case in root.iter("testcase"))
    if fmt in ("json", "sarif"):
        json.loads(text)
    if fmt == "github":
        assert all(line.startswith(("::", "ropa validate:")) for line in text.splitlines())


def test_diagrams_are_neutral(hostile, tmp_path):
    invoke("diagram", str(hostile["new"]), "--controller", HOSTILE + "org", "-f", "mermaid", "-o", str(tmp_path / "d.mmd"))
    text = (tmp_path / "d.mmd").read_text(encoding="utf-8")
    assert_no_raw_controls(text, "mermaid")
    assert_mermaid_neutral(text, "mermaid")
    invoke("diagram", str(hostile["new"]), "--controller", HOSTILE + "org", "-f", "svg", "-o", str(tmp_path / "d.svg"))
    svg = (tmp_path / "d.svg").read_text(encoding="utf-8")
    assert_no_raw_controls(svg, "svg")
    ET.fromstring(svg.encode("utf-8"))


@pytest.fixture(scope="module")
def rendered(hostile) -> Path:
    out = hostile["root"] / "site"
    invoke("render", str(hostile["new"]), "-o", str(out), "--format", "html,md,xlsx")
    return out


def test_documents_are_neutral_in_html_markdown_and_xlsx(rendered):
    pages = sorted(rendered.rglob("*.html")) + sorted(rendered.rglob("*.md"))
    assert len(pages) >= 4
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert_no_raw_controls(text, page.name)
        if page.suffix == ".md":
            assert_markdown_neutral(text, page.name)
    assert any(mermaid_blocks(p.read_text(encoding="utf-8")) for p in pages if p.suffix == ".md")
    book = openpyxl.load_workbook(rendered / "xlsx" / "register.xlsx")
    texts = [cell.value for sheet in book for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert any("HYPERLINK" in t for t in texts)
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
                if isinstance(cell.value, str):
                    assert_no_raw_controls(cell.value, f"{sheet.title}!{cell.coordinate}")


def test_links_between_html_and_markdown_documents_are_relative(rendered):
    import re

    for page in sorted(rendered.rglob("*.html")) + sorted(rendered.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        targets = re.findall(r'(?:href|src)="([^"]*)"', text) + re.findall(r"\]\(([^)\s]*)\)", text)
        local = [t for t in targets if not t.startswith(("https://", "http://", "#", "mailto:"))]
        assert local, page.name
        for target in local:
            assert not target.startswith(("file:", "/")) and str(REPOSITORY) not in target, (page.name, target)


# --- 5. Files silently left out or wrongly accepted --------------------------------------------------------------

def test_a_symlinked_subfolder_is_reported_not_skipped(tmp_path):
    write_record(tmp_path / "elsewhere")
    record = tmp_path / "record"
    write_record(record)
    (record / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    result = invoke("info", str(record), code=2)
    one_line_error(result, "linked", "symbolic link")


def test_an_unreadable_subfolder_is_reported_not_skipped(tmp_path, monkeypatch):
    record = tmp_path / "record"
    write_record(record)
    (record / "locked").mkdir()
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = invoke("info", str(record), code=2)
    one_line_error(result, "locked", "Permission denied", "nothing below it was loaded")


def test_what_a_library_logs_is_one_line_not_a_traceback(tmp_path):
    odd = tmp_path / "odd.ttl"
    odd.write_text('@prefix ex: <https://example.org/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n'
                   'ex:a ex:n "x1"^^xsd:int .\n')
    result = invoke("export", str(odd), "-f", "jsonld", "-o", str(tmp_path / "odd.jsonld"))
    assert "Traceback" not in result.stderr
    assert "ropa: warning: rdflib.term: Failed to convert Literal lexical form to value" in result.stderr


def test_an_empty_file_and_a_record_without_activities_warn(tmp_path):
    empty = tmp_path / "empty.ttl"
    empty.write_text("")
    result = invoke("validate", str(empty))
    assert "empty.ttl: the file holds no triples" in result.stderr
    assert "no processing activity" in result.stderr
    with pytest.warns(ropa.errors.RopaWarning, match="no processing activity"):
        ropa.load([empty])


def test_a_byte_order_mark_is_accepted(tmp_path):
    for name in ("bom.ttl", "bom.nt", "bom.jsonld"):
        path = tmp_path / name
        if name.endswith(".jsonld"):
            body = '{"@id": "https://example.org/a", "https://example.org/p": "x"}'
        else:
            body = "<https://example.org/a> <https://example.org/p> \"x\" .\n"
        path.write_bytes(b"\xef\xbb\xbf" + body.encode())
        graph = ropa.load([path], vocabulary=False, reference=False)
        assert len(graph) == 1, name


def test_invisible_characters_in_messages_are_shown_escaped(tmp_path):
    path = tmp_path / "odd\u200bname\x1b.ttl"
    path.write_text("@prefix ex: <https://example.org/> .\nex:a ex:p \u202e .\n")
    result = invoke("info", str(path), code=2)
    line = one_line_error(result)
    assert "\\u200b" in line and "\\x1b" in line
    assert_no_raw_controls(result.stderr, "stderr")


# --- 6. Output paths ---------------------------------------------------------------------------------------------

def writing_commands(hostile, target: Path) -> list[list[str]]:
    new, old = str(hostile["new"]), str(hostile["old"])
    return [
        ["export", new, "-o", str(target / "x.ttl")],
        ["validate", new, "-o", str(target / "x.txt")],
        ["flows", new, "-o", str(target / "x.txt")],
        ["impact", HOSTILE + "vendor", new, "-o", str(target / "x.txt")],
        ["vendors", new, "-o", str(target / "x.txt")],
        ["diagram", new, "--controller", HOSTILE + "org", "-o", str(target / "x.svg")],
        ["diff", old, new, "-o", str(target / "x.txt")],
        ["notice", old, new, "--processor", HOSTILE + "org", "-o", str(target / "x.txt")],
        ["cookbook", "-o", str(target / "x.md")],
        ["render", new, "-f", "md", "-o", str(target / "site")],
        ["build", new, "-f", "md", "-l", "en", "-o", str(target / "site")],
    ]


def test_every_writing_command_reports_a_read_only_folder_in_one_line(hostile, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        for args in writing_commands(hostile, locked):
            result = invoke(*args, code=2)
            one_line_error(result, "read-only")
            assert list(locked.iterdir()) == [], args
    finally:
        locked.chmod(0o755)


def test_a_read_only_file_is_not_replaced(hostile, tmp_path):
    target = tmp_path / "x.txt"
    target.write_text("someone else's\n")
    target.chmod(0o444)
    result = invoke("vendors", str(hostile["new"]), "-o", str(target), code=2)
    one_line_error(result, "read-only")
    assert target.read_text() == "someone else's\n"


def test_single_file_outputs_respect_the_umask(hostile, tmp_path):
    previous = os.umask(0o027)
    try:
        write_atomically(tmp_path / "a.txt", b"x")
        os.umask(0o022)
        invoke("vendors", str(hostile["new"]), "-o", str(tmp_path / "b.txt"))
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "b.txt").stat().st_mode) == 0o644


def test_a_full_disk_is_one_line(hostile, tmp_path, monkeypatch):
    import ropa.export

    class Full:
        def __init__(self, descriptor, mode):
            os.close(descriptor)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write(self, data):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(ropa.export.os, "fdopen", Full)
    result = invoke("vendors", str(hostile["new"]), "-o", str(tmp_path / "x.txt"), code=2)
    one_line_error(result, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_a_named_pipe_is_written_in_place_and_stays_a_pipe(hostile, tmp_path):
    """-o /dev/null, /dev/stdout or a named pipe: a rename over it would leave a plain file where the device was."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    invoke("vendors", str(hostile["new"]), "-f", "json", "-o", str(pipe))
    reader.join(timeout=60)
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert json.loads(received[0]) == json.loads(invoke("vendors", str(hostile["new"]), "-f", "json").stdout)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]   # no temporary file left beside it


def test_a_link_to_a_file_stays_a_link(hostile, tmp_path):
    (tmp_path / "shared").mkdir()
    real = tmp_path / "shared" / "vendors.json"
    real.write_text("old\n")
    link = tmp_path / "vendors.json"
    link.symlink_to(real)
    invoke("vendors", str(hostile["new"]), "-f", "json", "-o", str(link))
    assert link.is_symlink() and json.loads(real.read_text())
    assert sorted(p.name for p in (tmp_path / "shared").iterdir()) == ["vendors.json"]


def test_a_pipe_given_as_the_record_is_named_as_such(tmp_path):
    pipe = tmp_path / "record.ttl"
    os.mkfifo(pipe)
    one_line_error(invoke("validate", str(pipe), code=2), "record.ttl", "neither a file nor a folder")


def test_a_json_ld_context_by_address_is_not_fetched(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    record = tmp_path / "record.jsonld"
    record.write_text(json.dumps({"@context": f"http://127.0.0.1:{port}/context.jsonld",
                                  "@id": "https://example.org/a", "name": "A"}))
    try:
        one_line_error(invoke("validate", str(record), code=2), "record.jsonld", "@context", "network")
        with pytest.raises(TimeoutError):
            listener.accept()[0].close()   # nobody knocked
    finally:
        listener.close()


def test_a_full_standard_output_is_one_line():
    result = subprocess.run([sys.executable, "-m", "ropa", "queries"], stdout=open("/dev/full", "w"),
                            stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == "ropa: error: cannot write: No space left on device"


def as_from_a_shell() -> None:
    """A child's signals as a shell leaves them: none blocked or ignored (a test run before may leave its worker's so)."""
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)


def test_sigterm_during_build_cleans_up_like_sigint(hostile, tmp_path):
    for signum in (signal.SIGTERM, signal.SIGINT):
        out = tmp_path / f"build-{signum}"
        process = subprocess.Popen([sys.executable, "-m", "ropa", "build", str(hostile["new"]), "-o", str(out),
                                    "-f", "html,md,xlsx"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   preexec_fn=as_from_a_shell)
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(f".{out.name}.rendering-*")) and process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert process.poll() is None, "the build finished before it could be interrupted"
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=120)
        assert process.returncode != 0 and "Traceback" not in stderr, stderr
        assert list(tmp_path.glob(f".{out.name}*")) == [] and not out.exists(), signum


def test_concurrent_builds_into_one_folder_both_succeed_and_leave_one_folder(hostile, tmp_path):
    out = tmp_path / "site"
    command = [sys.executable, "-m", "ropa", "render", str(hostile["new"]), "-o", str(out), "-f", "md"]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert (out / "md" / "index.md").is_file() and (out / ".ropa-output").is_file()


# --- 7. Servers that misbehave -----------------------------------------------------------------------------------

@pytest.mark.parametrize("status, body, length, expected", [
    (200, RESULTS[:40], None, "did not answer with SPARQL JSON results"),
    (200, b"<html>not json</html>", None, "did not answer with SPARQL JSON results"),
    (200, b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": 42}]}}', None, "did not answer with SPARQL JSON"),
    (200, b"\xff\xfe\x00garbage", None, "did not answer with SPARQL JSON results"),
    (200, RESULTS[:20], 5000, "cut off"),
    (500, b"Internal failure\nsecond line", None, "answered HTTP 500"),
    (404, b"", None, "answered HTTP 404"),
])
def test_a_broken_answer_is_one_line(status, body, length, expected):
    with serving(answering(status, body, length=length)) as url:
        result = invoke("query", "--sparql", "SELECT ?s WHERE { ?s ?p ?o }", "--endpoint", url, "--timeout", "10", code=2)
    one_line_error(result, expected)


def test_a_trickling_server_meets_the_total_deadline():
    with serving(answering(200, RESULTS, trickle=0.3)) as url:
        started = time.monotonic()
        result = invoke("query", "--sparql", "SELECT ?s WHERE { ?s ?p ?o }", "--endpoint", url, "--timeout", "1.5", code=2)
        assert time.monotonic() - started < 6
    one_line_error(result, "within 1.5 seconds", "--timeout")


def test_push_has_a_deadline_too(tmp_path):
    record = write_record(tmp_path)
    with serving(answering(204, b"", trickle=0.0)) as url:
        invoke("push", str(record), "--endpoint", url, "--graph", "urn:test", "--no-findings")
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        started = time.monotonic()
        result = invoke("push", str(record), "--endpoint", f"http://127.0.0.1:{silent.getsockname()[1]}/store",
                        "--graph", "urn:test", "--no-findings", "--timeout", "1", code=2)
        assert time.monotonic() - started < 6
        one_line_error(result, "within 1 seconds")
    finally:
        silent.close()


@pytest.mark.parametrize("url", ["http://[::1/query", "http://exa mple.org/q", "http://example.org/q\r\nX-Evil: 1",
                                 "ftp://example.org/q", "http://127.0.0.1:99999/q", "http:///q", "", "127.0.0.1:7878"])
def test_an_invalid_endpoint_url_is_one_line(url, tmp_path):
    result = invoke("query", "--sparql", "SELECT * WHERE { ?s ?p ?o }", "--endpoint", url, code=2)
    one_line_error(result, "endpoint")
    record = write_record(tmp_path)
    result = invoke("push", str(record), "--endpoint", url, "--graph", "urn:test", "--no-findings", code=2)
    one_line_error(result, "endpoint")


def test_a_refused_connection_is_one_line():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    result = invoke("query", "--sparql", "SELECT * WHERE { ?s ?p ?o }", "--endpoint", f"http://127.0.0.1:{port}/q", code=2)
    one_line_error(result, "cannot reach")


# --- 8. Dates and names that make no sense -----------------------------------------------------------------------

def test_a_notice_cannot_take_effect_before_it_is_issued(hostile):
    for effective in ("0001-01-01", (dt.date.today() - dt.timedelta(days=1)).isoformat()):
        result = invoke("notice", str(hostile["old"]), str(hostile["new"]), "--processor", HOSTILE + "org",
                        "--effective", effective, code=2)
        one_line_error(result, "before the notice is issued")


@pytest.mark.parametrize("command", [["impact", ""], ["impact", "   "], ["diagram", "--controller", ""],
                                     ["diagram", "--activity", " "], ["notice", "{old}", "{new}", "--processor", ""],
                                     ["flows", "--to-country", ""]])
def test_an_empty_name_is_refused(hostile, command):
    args = fill(command, hostile)
    if command[0] != "notice":
        args.append(str(hostile["new"]))
    result = invoke(*args, code=2)
    one_line_error(result, "empty name" if command[0] != "diagram" else "")


def test_impact_refuses_a_party_that_is_no_vendor(hostile):
    result = invoke("impact", HOSTILE + "customers", str(hostile["new"]), code=2)
    one_line_error(result, "is not a vendor")
    invoke("impact", HOSTILE + "vendor", str(hostile["new"]))


@pytest.mark.parametrize("content, expected", [
    ("ceiling = [1, 2, 3]", "not a table"),
    ("ceiling = 3", "array of tables"),
    ('[[ceiling]]\ndata_subject = 1\nmaximum = "P1Y"', "'data_subject' must be"),
    ('[[ceiling]]\ndata_subject = "dpv:Customer"\nmaximum = 2027-01-01', "'maximum' must be"),
])
def test_retention_policy_files_with_wrong_types_are_one_line(tmp_path, content, expected):
    from ropa.retention_policy import load_retention_policy

    path = tmp_path / "policy.toml"
    path.write_text(content)
    with pytest.raises(RopaError, match=expected):
        load_retention_policy(path)
    result = invoke("validate", str(write_record(tmp_path / "r")), "--retention-policy", str(path), code=2)
    one_line_error(result, "policy.toml", expected.strip("'"))


@pytest.mark.parametrize("content, expected", [
    ("waiver = [1, 2, 3]", "not a table"),
    ('waiver = ["a"]', "not a table"),
    ("waiver = [[1], [2]]", "not a table"),
    ("waiver = 3", "array of tables"),
    ('[[waiver]]\ncheck = 1\naccepted_by = "x"\nreason = "y"\nuntil = 2027-01-01\nfocus = "dst:x"', "'check' must be"),
    ('[[waiver]]\ncheck = "rs:X"\naccepted_by = "x"\nreason = "y"\nuntil = "2027-01-01"\nfocus = "dst:x"', "'until' must be a date"),
    ('[[waiver]]\ncheck = "rs:X"\naccepted_by = "x"\nreason = "y"\nuntil = 2027-01-01\nfocus = ["dst:x"]', "'focus' must be"),
])
def test_waiver_files_with_wrong_types_are_one_line(tmp_path, content, expected):
    path = tmp_path / "waivers.toml"
    path.write_text(content)
    with pytest.raises(RopaError, match=expected):
        load_waivers(path)
    result = invoke("validate", str(write_record(tmp_path / "r")), "--waivers", str(path), code=2)
    one_line_error(result, "waivers.toml", expected.strip("'"))


# --- 9. Links inside PDFs ------------------------------------------------------------------------------------------

def pdf_links(path: Path) -> set[str]:
    """Every link target (/URI) of a PDF, in plain or compressed streams."""
    import re
    import zlib

    content = path.read_bytes()
    found = set(re.findall(rb"/URI\s*\((.*?)\)", content))
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, flags=re.S):
        try:
            found.update(re.findall(rb"/URI\s*\((.*?)\)", zlib.decompress(stream.group(1))))
        except zlib.error:
            continue
    return {link.decode("latin-1") for link in found}


def test_links_between_pdfs_are_relative_and_leak_no_path(hostile, tmp_path):
    pytest.importorskip("weasyprint")
    out = tmp_path / "pdf-site"
    invoke("render", str(hostile["new"]), "-o", str(out), "-f", "pdf")
    pdfs = sorted((out / "pdf").glob("*.pdf"))
    links = set().union(*(pdf_links(p) for p in pdfs))
    assert any(link.startswith("controller-") for link in links), links
    for link in links:
        assert not link.startswith("file:") and str(REPOSITORY) not in link and "/" not in link.split("#")[0], link
    if shutil.which("pdftotext"):   # the payloads print as text in the PDFs too
        for pdf in pdfs:
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
            assert_no_raw_controls(text, pdf.name)


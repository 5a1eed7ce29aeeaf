"""Fuzzing: random and mutated input to the loader, query parameters, waiver files and the options of every command.

Whatever the input, ropa answers or refuses in one line: the library raises nothing but RopaError, a command ends
with exit code 0, 1 or 2, never with a traceback, and writes nothing outside its output path. The commands are
read from the Typer app, so a command added later is fuzzed too.

CI runs a bounded number of examples (the ``ci`` profile, well under a minute in all). For a longer run:

    ROPA_FUZZ=long pytest tests/test_fuzz.py              # 2,000 examples per test
    ROPA_FUZZ_EXAMPLES=300 pytest tests/test_fuzz.py      # any number

In the command fuzz, PDF printing is replaced by a stand-in that writes empty files (WeasyPrint takes seconds per
document; the PDF tests in test_render_tools.py and test_hardening.py print real ones).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import types
import typing
import warnings
from pathlib import Path

import pytest
import typer.main
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import ropa
from hostile import CONTROL, FORMULAS, MARKUP, MERMAID, RESULTS, answering, payload, serving, write_record
from ropa import query as library
from ropa.cli import app
from ropa.errors import RopaError, RopaWarning
from ropa.export import serialise
from ropa.inventory import inventory
from ropa.retention_policy import load_retention_policy
from ropa.validate import validate, with_waivers
from ropa.waivers import load_waivers

REPOSITORY = Path(__file__).resolve().parent.parent

settings.register_profile("ci", max_examples=int(os.environ.get("ROPA_FUZZ_EXAMPLES", 25)), deadline=None,
                          database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                 HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.register_profile("long", parent=settings.get_profile("ci"),
                          max_examples=int(os.environ.get("ROPA_FUZZ_EXAMPLES", 2000)))
FUZZ = settings(settings.get_profile(os.environ.get("ROPA_FUZZ", "ci")))
"""The settings of every fuzz test: the profile named by ROPA_FUZZ (ci by default)."""

runner = CliRunner()


# --- Inputs ------------------------------------------------------------------------------------------------------

TURTLE = (REPOSITORY / "tests" / "fixtures" / "flows" / "validity.ttl").read_bytes()
SEEDS = {
    ".ttl": TURTLE,
    ".nt": b'<https://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "A"@en .\n'
           b'<https://example.org/a> <https://w3id.org/ropa/vocab#validFrom> "2024-01-01"^^<http://www.w3.org/2001/XMLSchema#date> .\n'
           b'_:b <https://example.org/p> <https://example.org/a> .\n',
    ".jsonld": json.dumps({
        "@context": {"dpv": "https://w3id.org/dpv#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
        "@graph": [{"@id": "https://example.org/act", "@type": "dpv:Process", "rdfs:label": {"@value": "Act", "@language": "en"},
                    "dpv:hasPersonalData": {"@id": "https://w3id.org/dpv/pd#Name"}}]}).encode(),
    ".rdf": b'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
            b'  xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" xmlns:dpv="https://w3id.org/dpv#">\n'
            b'  <dpv:Process rdf:about="https://example.org/act"><rdfs:label xml:lang="en">Act</rdfs:label></dpv:Process>\n'
            b'</rdf:RDF>\n',
}
TOKENS = [b'"', b"'", b"<", b">", b"\\", b"\\u0000", b"\\U0010FFFF", b"@prefix", b"PREFIX x: <y>", b"[", b"]", b"{", b"}",
          b"(", b")", b";", b",", b".", b"_:b", b"a", b"^^xsd:date", b'"P4W"^^xsd:duration', b'"x"^^xsd:integer', b'"x1"^^xsd:int', b'"abc"^^xsd:gYear',
          b"dpv:Nonexistent", b"ropa:nothing", b"<!ENTITY e 'x'>", b"<!DOCTYPE r [", b"&e;", b"\xef\xbb\xbf", b"\x00",
          b"\xff\xfe", b"\r\n", b'"""', b"@base <file:///etc/> .", b'"@context": "http://127.0.0.1:9/ctx"',
          b"owl:imports <http://127.0.0.1:9/x>", b"\x1b[2J", b"[ ex:p " * 30, CONTROL.encode(), MERMAID.encode()]


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    """The seed with a few deletions, insertions of tokens or bytes, duplications and swaps."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(data)))
        operation = draw(st.sampled_from(["delete", "insert", "duplicate", "truncate"]))
        if operation == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif operation == "insert":
            data[at:at] = draw(st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=12)))
        elif operation == "duplicate":
            data[at:at] = data[at:at + draw(st.integers(1, 80))]
        else:
            del data[at:]
    return bytes(data)


def rdf_files():
    return st.sampled_from(sorted(SEEDS)).flatmap(
        lambda suffix: st.tuples(st.just(suffix), st.one_of(mutated(SEEDS[suffix]), st.binary(max_size=400))))


@FUZZ
@given(files=st.lists(rdf_files(), min_size=1, max_size=3))
def test_loader_raises_nothing_but_ropa_errors(tmp_path_factory, files):
    folder = tmp_path_factory.mktemp("load")
    paths = []
    for index, (suffix, content) in enumerate(files):
        paths.append(folder / f"f{index}{suffix}")
        paths[-1].write_bytes(content)
    before = snapshot(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RopaWarning)
        try:
            graph = ropa.load(paths)
        except RopaError:
            graph = None
    if graph is not None:
        inventory(graph)
        for fmt in ("nt", "jsonld"):
            try:
                serialise(graph, fmt)
            except RopaError:
                pass
    assert snapshot(folder) == before, "loading wrote or changed a file"


# --- Query parameters --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def record(tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RopaWarning)
        return ropa.load([write_record(tmp_path_factory.mktemp("record"))])


INTERESTING = ["", " ", "any", "today", "0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "-1", "0", "9" * 30,
               "1e309", "nan", "NaN", "inf", "en", "nl", "fr", "xx-YY-zz", "dpv:Customer", "pd:Name", "loc:US", "US",
               "<https://example.org/hostile/org>", "https://example.org/hostile/vendor", "<http://x> . ?s ?p ?o",
               'x" } ; DROP ALL ; #', "<>", "<file:///etc/passwd>", "unknown:thing", ":", "dpv:", "$lang", "?x",
               "--output=VICTIM", "-o", "HEAD", "HEAD~1:.", "HEAD:record", "HEAD^{tree}", "@{-1}", "../..", "/", "\\", "%s%n", "{}", "[/]", *FORMULAS,
               CONTROL, MERMAID, MARKUP, payload(0), "x" * 5000, "\u202e\u200b", "\ud7ff", "ß", "日本"]
texts = st.one_of(st.sampled_from(INTERESTING), st.text(max_size=40))


@FUZZ
@given(name=st.sampled_from([q.name for q in library.library()]), data=st.data())
def test_query_parameters_are_bound_or_refused(record, name, data):
    chosen = library.get(name)
    names = [p.name for p in chosen.params] + ["nope"]
    params = data.draw(st.dictionaries(st.sampled_from(names), texts, max_size=3))
    lang = data.draw(st.none() | texts)
    as_of = data.draw(st.none() | st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)))
    try:
        results = library.run(chosen, record, params=params, lang=lang, as_of=as_of)
    except RopaError:
        event("refused")
        return
    event("answered")
    for fmt in library.FORMATS:
        results.render(fmt, iris=data.draw(st.booleans()))


# --- Custom shapes ----------------------------------------------------------------------------------------------

SHAPES = (REPOSITORY / "shapes" / "controller.ttl").read_bytes()
SELECTS = ["SELECT $this WHERE { $this ?p ?o }", "SELECT $this WHERE { $this ?p }", "ASK {}", "CONSTRUCT WHERE { ?s ?p ?o }",
           "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "SELECT $this ?value WHERE { $this ?p ?value FILTER(xsd:integer(?value) > 1) }",
           "SELECT $this WHERE { SERVICE <http://127.0.0.1:9/> { $this ?p ?o } }", "DROP ALL", "", "SELECT"]


@st.composite
def shapes_files(draw) -> bytes:
    """The bundled controller shapes mutated, or with an extra SPARQL constraint."""
    if draw(st.booleans()):
        return draw(mutated(SHAPES))
    select = draw(st.one_of(st.sampled_from(SELECTS), st.text(max_size=60)))
    return SHAPES + ("\nrs:Extra a sh:NodeShape ; sh:targetClass dpv:Process ; sh:sparql [ sh:message "
                     + json.dumps(draw(texts)) + " ; sh:select " + json.dumps(select) + " ] .\n").encode()


@FUZZ
@given(content=shapes_files(), engine=st.sampled_from(["fast", "fast", "fast", "pyshacl"]))
def test_custom_shapes_validate_or_are_refused(tmp_path_factory, record, content, engine):
    path = tmp_path_factory.mktemp("shapes") / "shapes.ttl"
    path.write_bytes(content)
    try:
        validate(record, shapes=[path], engine=engine)
    except RopaError:
        event("refused")
        return
    event("validated")


# --- Waiver files -----------------------------------------------------------------------------------------------

def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if value == value and abs(value) != float("inf") else "nan"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))


scalars = st.one_of(texts, st.integers(), st.floats(), st.booleans(), st.dates(), st.datetimes())
values = st.recursive(scalars, lambda inner: st.lists(inner, min_size=1, max_size=3)
                      | st.dictionaries(st.text(max_size=5), inner, min_size=1, max_size=3), max_leaves=6)
fields = st.sampled_from(["check", "focus", "entity", "path", "accepted_by", "reason", "until", "other"])
good = {"check": "rs:LawfulBasis", "focus": "https://example.org/hostile/act", "accepted_by": "DPO", "reason": "why",
        "until": dt.date(2030, 1, 1)}


@st.composite
def waiver_files(draw) -> str:
    kind = draw(st.sampled_from(["tables", "inline", "text"]))
    if kind == "text":
        return draw(st.text(max_size=300))
    entries = draw(st.lists(st.fixed_dictionaries({}, optional={k: st.just(v) for k, v in good.items()})
                            .flatmap(lambda base: st.dictionaries(fields, values, max_size=3).map(lambda extra: {**base, **extra})),
                            max_size=3))
    if kind == "inline":
        return "waiver = " + toml_value(draw(st.one_of(st.just(entries), values)))
    return "\n".join("[[waiver]]\n" + "\n".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in e.items()) for e in entries)


@pytest.fixture(scope="module")
def report(record):
    return validate(record)


@FUZZ
@given(content=waiver_files())
def test_waiver_files_load_or_are_refused(tmp_path_factory, report, content):
    path = tmp_path_factory.mktemp("waivers") / "waivers.toml"
    path.write_text(content, encoding="utf-8", errors="surrogatepass")
    policy = path.with_name("policy.toml")   # a retention policy is a TOML file of tables too
    policy.write_text(content.replace("waiver", "ceiling").replace("focus", "data_subject").replace("until", "maximum"),
                      encoding="utf-8", errors="surrogatepass")
    try:
        load_retention_policy(policy)
    except RopaError:
        pass
    try:
        accepted = load_waivers(path)
    except RopaError:
        return
    judged = with_waivers(report, accepted)
    accepted.unused(judged.findings)
    for finding in judged.findings:
        accepted.expired_for(finding, dt.date(9999, 12, 31))


# --- The options of every command -------------------------------------------------------------------------------

OUTPUT_NAMES = ("out", "output", "folder", "target", "dest", "destination", "directory", "into")


def commands() -> dict:
    return typer.main.get_command(app).commands


def annotation(param):
    """The Python type of a command parameter, without Optional and list."""
    hint = param.type_descriptor.annotation if hasattr(param, "type_descriptor") else str
    many = False
    while True:
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        elif origin is typing.Annotated:
            hint = typing.get_args(hint)[0]
        elif origin in (list, tuple, set):
            hint, many = typing.get_args(hint)[0], True
        else:
            return hint, many


class Ground:
    """The files a fuzzed command can be given: inputs (never to be changed) and places for outputs."""

    def __init__(self, root: Path, endpoint: str, closed: str):
        self.root = root
        self.inputs = root / "in"
        record = write_record(self.inputs / "record")
        older = write_record(self.inputs / "older", with_sub_processor=False)
        (self.inputs / "waivers.toml").write_text('[[waiver]]\ncheck = "rs:LawfulBasis"\nfocus = "https://example.org/hostile/act"\n'
                                                  'accepted_by = "DPO"\nreason = "accepted"\nuntil = 2030-01-01\n')
        (self.inputs / "question.rq").write_text("# title: labels\nSELECT ?l WHERE { ?s rdfs:label ?l } LIMIT 3\n")
        (self.inputs / "broken.ttl").write_text("@prefix ex: <https://example.org/> .\nex:a ex:b .\n")
        (self.inputs / "empty.ttl").write_text("")
        (self.inputs / "odd-literals.ttl").write_text('@prefix ex: <https://example.org/> .\n'
                                                      '@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n'
                                                      'ex:a ex:n "x1"^^xsd:int ; ex:y "abc"^^xsd:gYear .\n')
        (self.inputs / "notes.txt").write_text("not RDF\n")
        shutil.copy(REPOSITORY / "shapes" / "controller.ttl", self.inputs / "shapes.ttl")
        git = ["git", "-C", str(self.inputs), "-c", "user.email=t@example.org", "-c", "user.name=t"]
        for step in (["init", "-q"], ["add", "."], ["commit", "-qm", "inputs"]):   # so that --git REV reaches git
            subprocess.run(git + step, check=True, capture_output=True)
        self.paths = [str(p) for p in (record, record.parent, older.parent, self.inputs / "waivers.toml",
                                       self.inputs / "question.rq", self.inputs / "broken.ttl", self.inputs / "empty.ttl", self.inputs / "odd-literals.ttl",
                                       self.inputs / "notes.txt", self.inputs / "shapes.ttl", self.inputs / "missing.ttl",
                                       self.inputs)]
        self.record = str(record)
        self.endpoints = [endpoint, closed, "http://[::1/q", "http://a b/", "ftp://x/", "http://127.0.0.1:0/", "not a url"]

    def strategy(self, param, command: str):
        """Values for one parameter, by its type and name."""
        hint, many = annotation(param)
        name = param.name or ""
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            single = st.one_of(st.sampled_from([member.value for member in hint]), texts)
        elif hint is bool:
            single = st.just(None)
        elif hint in (int, float):
            single = st.one_of(st.sampled_from(["0", "-1", "0.001", "1", "2.5", "1e309", "nan", "x", ""]),
                               st.floats(allow_nan=False).map(repr))
        elif name in OUTPUT_NAMES or any(name.endswith("_" + n) for n in OUTPUT_NAMES):
            single = st.sampled_from(["out/a.txt", "out/site", "out/missing/x", "out", "out/", "out/.hidden",
                                      "out/odd\u202ename\x1b.md"])
        elif name == "endpoint":
            single = st.sampled_from(self.endpoints)
        elif hint is Path or name in ("paths", "old", "new", "shapes", "waivers"):
            single = st.one_of(st.sampled_from(self.paths), texts)
        else:
            single = texts
        return st.lists(single, min_size=1, max_size=2) if many else single.map(lambda v: [v])


@pytest.fixture(scope="module")
def ground(tmp_path_factory):
    sock = socket.socket()   # nothing listens on a port taken from a socket that is closed again
    sock.bind(("127.0.0.1", 0))
    closed_url = f"http://127.0.0.1:{sock.getsockname()[1]}/q"
    sock.close()
    with serving(answering(200, RESULTS)) as endpoint:
        yield Ground(tmp_path_factory.mktemp("ground"), endpoint, closed_url)


@st.composite
def invocations(draw, ground: Ground) -> tuple[str, list[str]]:
    """A command and a command line for it: arguments and a random subset of its options, in random order."""
    name = draw(st.sampled_from(sorted(commands())))
    command = commands()[name]
    args: list[str] = []
    options: list[list[str]] = []
    for param in command.params:
        if getattr(param, "param_type_name", "") == "argument":
            if param.name == "paths":
                values = [ground.record] + draw(st.lists(st.sampled_from(ground.paths), max_size=1))
            elif not param.required and draw(st.booleans()):
                continue
            else:
                values = draw(ground.strategy(param, name))
            args += [str(v) for v in values]
        elif param.required or draw(st.integers(0, 3)) == 0:
            if getattr(param, "is_flag", False):
                options.append([draw(st.sampled_from(param.opts + param.secondary_opts))])
            else:
                for value in draw(ground.strategy(param, name)):
                    options.append([draw(st.sampled_from(param.opts)), str(value)])
    order = draw(st.permutations(options)) if options else []
    line = [name] + [part for option in order for part in option] + (["--", *args] if args else [])
    return name, line


def snapshot(folder: Path) -> dict[str, str]:
    """Every file below a folder with a hash of its content."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def allowed_outputs(command) -> set[str]:
    """Where a command may write in its working folder: out/ and the defaults of its output options."""
    allowed = {"out"}
    for param in command.params:
        if (param.name or "") in OUTPUT_NAMES and param.default not in (None, ""):
            allowed.add(Path(str(param.default)).parts[0])
    return allowed


@pytest.fixture()
def fake_pdf(monkeypatch):
    import ropa.render

    def write_pdf(record, folder, stems=None, engine=None):
        folder.mkdir(parents=True, exist_ok=True)
        written = [folder / f"{d.stem}.pdf" for d in ropa.render.documents(record)
                   if stems is None or d.stem in set(stems)]
        for path in written:
            path.write_bytes(b"")
        return written

    choose = ropa.render.choose_pdf_engine
    # The engine option is still checked; every PDF then goes through the stand-in writer, not the browser.
    monkeypatch.setattr(ropa.render, "choose_pdf_engine", lambda engine=None: choose(engine) and "weasyprint")
    monkeypatch.setattr(ropa.render, "write_pdf", write_pdf)


@pytest.fixture()
def no_server(monkeypatch):
    """`ropa serve` with options the fuzzer drew that are all valid would serve until interrupted: the server is not
    started (its options are still checked before it would be)."""
    import ropa.web

    monkeypatch.setattr(ropa.web, "run", lambda application, host="127.0.0.1", port=8000: None)


@pytest.fixture(scope="module")
def repository_state():
    """The bundled files ropa reads must be unchanged, and no new file may appear in the checkout."""
    def state():
        untracked = subprocess.run(["git", "-C", str(REPOSITORY), "ls-files", "--others", "--exclude-standard"],
                                   capture_output=True, text=True).stdout
        return untracked, {folder: snapshot(REPOSITORY / folder) for folder in ("data", "ontology", "shapes", "reports")}
    before = state()
    yield
    assert state() == before, "the fuzzed commands changed the checkout"


@FUZZ
@given(data=st.data())
def test_every_command_exits_0_1_or_2_without_traceback_or_stray_file(ground, fake_pdf, no_server, repository_state, data):
    name, line = data.draw(invocations(ground))
    inputs = snapshot(ground.inputs)
    work = Path(tempfile.mkdtemp(prefix="fuzz-", dir=ground.root))
    previous = Path.cwd()
    os.chdir(work)
    try:
        result = runner.invoke(app, line)
    finally:
        os.chdir(previous)
    event(f"{name}: exit {result.exit_code}")   # shown by --hypothesis-show-statistics
    try:
        assert result.exit_code in (0, 1, 2), (line, result.exit_code, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (line, repr(result.exception))
        assert "Traceback" not in result.output, (line, result.output)
        stray = {p.relative_to(work).parts[0] for p in work.rglob("*")} - allowed_outputs(commands()[name])
        assert not stray, (line, stray)
        assert snapshot(ground.inputs) == inputs, (line, "an input file changed")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_the_fuzzed_commands_are_every_command_of_the_app():
    """The command fuzz reads the commands from the Typer app: a command added later is fuzzed without a change."""
    names = set(commands())
    assert {"info", "export", "validate", "query", "push", "render", "build", "diff", "notice"} <= names
    registered = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert names == registered

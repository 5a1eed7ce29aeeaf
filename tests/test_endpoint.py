"""`ropa validate --endpoint URL --graph IRI`: the compiled checks on SPARQL 1.1 servers report exactly the findings
of the embedded run, on the bundled record and on an example record.

Two independent servers, each started here on a free loopback port: Oxigraph's own server (written to with
`ropa push`, as the query tests do) and rdflib behind rdflib-endpoint (which reads the same triples from a file).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

import ropa
from ropa import query as library
from ropa.cli import app
from ropa.errors import RopaError
from ropa.validate import validate, validate_endpoint
from findings import comparable
from servers import free_port, stop, wait_until_answering
from test_queries import server  # noqa: F401  (the Oxigraph server fixture of the query tests)

AS_OF = dt.date(2026, 11, 28)
RECORDS = {"bundled": None, "wolkenwerk": ["examples/wolkenwerk"]}
REPOSITORY = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def records():
    return {name: ropa.load([REPOSITORY / p for p in paths] if paths else None) for name, paths in RECORDS.items()}


@pytest.fixture(scope="module")
def embedded(records):
    return {name: validate(graph, as_of=AS_OF) for name, graph in records.items()}


@pytest.fixture(scope="module")
def oxigraph(server, records):  # noqa: F811
    """Each record pushed into a named graph of its own on the Oxigraph server."""
    for name, graph in records.items():
        library.push(graph, f"{server}/store", f"urn:ropa:{name}", as_of=AS_OF)
    return f"{server}/query"


@pytest.fixture(scope="module")
def rdflib_servers(records, tmp_path_factory):
    """One rdflib-endpoint server per record (it answers on the union of the graphs it holds), each loaded from
    an N-Quads file of exactly the triples `ropa push` would send, in the named graph."""
    command = shutil.which("rdflib-endpoint") or str(Path(sys.executable).with_name("rdflib-endpoint"))
    if not Path(command).exists():
        if os.environ.get("CI"):
            pytest.fail("rdflib-endpoint is missing: pip install '.[test]'")
        pytest.skip("rdflib-endpoint is not installed (pip install '.[test]')")
    folder = tmp_path_factory.mktemp("rdflib-endpoint")
    started: dict[str, str] = {}
    processes = []
    try:
        for name, graph in records.items():
            quads = folder / f"{name}.nq"
            target = ox.NamedNode(f"urn:ropa:{name}")
            triples = library.pushed_triples(graph, as_of=AS_OF)
            quads.write_bytes(ox.serialize((ox.Quad(t.subject, t.predicate, t.object, target) for t in triples),
                                           format=ox.RdfFormat.N_QUADS))
            port = free_port()
            log = folder / f"{name}.log"
            handle = log.open("wb")
            process = subprocess.Popen([command, "serve", str(quads), "--host", "127.0.0.1", "--port", str(port)],
                                       stdout=handle, stderr=subprocess.STDOUT)
            processes.append((process, handle))
            started[name] = f"http://127.0.0.1:{port}/"
            wait_until_answering(process, started[name] + "?query=ASK%7B%7D", log, timeout=120)
        yield started
    finally:
        for process, handle in processes:
            stop(process, handle)


@pytest.mark.parametrize("name", list(RECORDS))
def test_oxigraph_server_reports_the_embedded_findings(oxigraph, embedded, name):
    remote = validate_endpoint(oxigraph, f"urn:ropa:{name}")
    assert remote.as_of == AS_OF
    assert embedded[name].findings, "the record has findings to compare"
    assert comparable(remote) == comparable(embedded[name])


@pytest.mark.parametrize("name", list(RECORDS))
def test_rdflib_endpoint_reports_the_embedded_findings(rdflib_servers, embedded, name):
    remote = validate_endpoint(rdflib_servers[name], f"urn:ropa:{name}", as_of=AS_OF)
    assert comparable(remote) == comparable(embedded[name])


def test_the_command_on_a_server(oxigraph, embedded, tmp_path):
    out = tmp_path / "findings.json"
    result = runner.invoke(app, ["validate", "--endpoint", oxigraph, "--graph", "urn:ropa:wolkenwerk", "--format",
                                 "json", "-o", str(out), "--fail-on", "info"])
    assert result.exit_code == 1, result.output
    found = json.loads(out.read_text())["findings"]
    assert sorted((f["check"], f["focus"], f["path"] or "") for f in found) == \
        sorted((f.check, f.focus, f.path or "") for f in embedded["wolkenwerk"].findings)


def test_a_graph_without_its_evaluation_date_is_refused(oxigraph):
    with pytest.raises(RopaError, match="no evaluation date.*ropa push --as-of"):
        validate_endpoint(oxigraph, "urn:ropa:nothing-here")


def test_another_date_than_the_pushed_verdicts_is_refused(oxigraph):
    with pytest.raises(RopaError, match="judged at 2026-11-28, not at 2026-01-01"):
        validate_endpoint(oxigraph, "urn:ropa:bundled", as_of=dt.date(2026, 1, 1))


@pytest.mark.parametrize("args, message", [
    (["--endpoint", "http://127.0.0.1:1/query", "data"], "give no data PATHS"),
    (["--graph", "urn:ropa:x"], "use it with --endpoint"),
    (["--endpoint", "http://127.0.0.1:1/query", "--engine", "pyshacl"], "compiled checks"),
    (["--endpoint", "not a url"], "is not a URL"),
    (["--endpoint", "http://127.0.0.1:1/query", "--graph", "no iri"], "not an absolute IRI"),
])
def test_options_a_server_run_cannot_take(args, message):
    result = runner.invoke(app, ["validate", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_server_that_is_not_there():
    result = runner.invoke(app, ["validate", "--endpoint", f"http://127.0.0.1:{free_port()}/query", "--graph",
                                 "urn:ropa:x", "--timeout", "5"])
    assert result.exit_code == 2
    assert "cannot reach" in result.stderr

"""The synthetic group record: it loads, has the size asked for, every planted defect is reported, and the fast
engine agrees with a plain pyshacl run on it (the reference the fast engine is built to match).

The plain run is pyshacl as a user would call it, on one rdflib graph of data + vocabulary + reference data, not
ropa's own pyshacl engine: if both ropa engines shared a mistake (say, in how the store is presented to pyshacl),
comparing them with each other would not show it. Plain pyshacl re-runs each SPARQL constraint per focus node, and
rdflib parses the query's text again on each run, so that comparison runs on the smallest record that still exercises
every shape (each shape has focus nodes in it and each planted kind of defect is reported; a test holds the size to
that), and with each query text parsed once (``sparql_parsed_once``). The graphs and reports are built once per
module.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF, SH

from ropa import load, resources
from ropa.namespaces import PREFIXES, shorten
from ropa.synthetic import DEFECT_CHECKS, DEFECT_KINDS, generate
from ropa.validate import validate

AS_OF = dt.date(2026, 11, 28)
SIZE = 10_000
AGREEMENT_SIZE = 1_000
"""The smallest round size at which every shape has a focus node and every planted kind of defect occurs (at 700
triples three kinds are missing, at 500 whole shapes have no focus node)."""
_SEVERITIES = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic-10k")
    return folder, generate(SIZE, folder)


@pytest.fixture(scope="module")
def fast_report(generated):
    folder, _ = generated
    return validate(load([folder]), as_of=AS_OF)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The record the plain pyshacl run is compared on: its summary, loaded graph and fast report."""
    folder = tmp_path_factory.mktemp("synthetic-small")
    summary = generate(AGREEMENT_SIZE, folder)
    graph = load([folder])
    return summary, graph, validate(graph, as_of=AS_OF)


def focus_node_counts(graph) -> dict[str, int]:
    """How many focus nodes each targeted shape has in the graph (SHACL 2.1.3 targets, as the fast engine binds them)."""
    from ropa import validate as engine

    shapes = engine.load_shapes(engine.shape_files())
    counts = {}
    # as during a run: the transfer verdicts a validation adds are the focus nodes of rs:TransferBasis
    with engine.evaluation_context(graph, AS_OF):
        for shape in set(shapes.subjects(RDF.type, SH.NodeShape)):
            pattern = engine._target_pattern(shapes, shape)
            if pattern is not None:
                rows = graph.select(engine._prologue(shapes, shape) + f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
                counts[shorten(str(shape))] = int(rows[0]["n"])
    return counts


NOT_GENERATED = {"rs:JointControllersArrangement", "rs:PublicAuthorityLegitimateInterests", "rs:PublicAuthorityDpo",
                 "rs:RetentionAbovePolicy"}
"""Shapes whose subject the synthetic record does not contain yet (joint controllers, public authorities, a retention
policy): the engines are compared on them through their shape fixtures only (tests/test_shapes.py)."""


def test_the_agreement_record_exercises_every_shape(small):
    summary, graph, report = small
    counts = focus_node_counts(graph)
    assert len(counts) >= 20
    assert NOT_GENERATED <= counts.keys()
    assert [shape for shape, count in counts.items() if count == 0 and shape not in NOT_GENERATED] == []
    assert all(summary["defects"][kind] >= 1 for kind in DEFECT_KINDS)
    assert set(DEFECT_CHECKS.values()) <= {f.check for f in report.findings}


def _data_triples(graph) -> int:
    values = " ".join(f"<{g.value}>" for g in graph.graphs("data"))
    rows = graph.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} }}")
    return int(rows[0]["n"])


def _node(term) -> str:
    """A node as both engines can be compared on: IRIs as they are, blank nodes (whose labels differ) as one token."""
    return "_:" if isinstance(term, rdflib.BNode) or str(term).startswith("_:") else str(term)


def test_generates_31_files_that_load_at_about_the_requested_size(generated):
    folder, summary = generated
    assert len(summary["files"]) == 31 and summary["organisations"] == 31
    graph = load([folder])
    triples = _data_triples(graph)
    assert triples == summary["triples"]
    assert abs(triples - SIZE) <= 0.15 * SIZE
    assert summary["processor_activities"] > 0 and summary["controller_activities"] > summary["processor_activities"]


def test_processor_holds_about_a_third_with_many_customer_controllers(generated):
    folder, summary = generated
    processor_file = next(f for f in summary["files"] if "nimbus" in f)
    graph = load([processor_file], reference=False)
    share = _data_triples(graph) / summary["triples"]
    assert 0.25 <= share <= 0.45
    rows = graph.select("""SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {
        ?a ropa:role ropa:ProcessorRole ; ropa:actsOnBehalfOf ?c .
        ?c a dpv:DataController ; dpv:hasName ?name ; dpv:hasAddress ?address ; ropa:email ?email }""")
    assert int(rows[0]["n"]) == summary["customer_controllers"] >= 100


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    first = generate(3_000, tmp_path / "a", seed=11)
    second = generate(3_000, tmp_path / "b", seed=11)
    third = generate(3_000, tmp_path / "c", seed=12)

    def read(summary):
        return [Path(f).read_text(encoding="utf-8") for f in summary["files"]]

    assert read(first) == read(second)
    assert read(first) != read(third)


def test_a_clean_record_has_no_findings(tmp_path):
    generate(SIZE, tmp_path, defect_rate=0.0)
    report = validate(load([tmp_path]), as_of=AS_OF)
    assert [(f.check, f.focus) for f in report.findings] == []


def test_every_planted_defect_is_reported_by_the_fast_engine(generated, fast_report):
    _, summary = generated
    assert all(summary["defects"][kind] >= 1 for kind in DEFECT_KINDS)
    reported = {(f.check, f.focus) for f in fast_report.findings}
    missing = [p for p in summary["planted"] if (p["check"], p["focus"]) not in reported]
    assert missing == []
    checks = {f.check for f in fast_report.findings}
    assert set(DEFECT_CHECKS.values()) <= checks
    # Nothing but the planted defects (a Privacy Shield transfer also has no valid basis: rs:TransferBasis).
    assert checks <= set(DEFECT_CHECKS.values()) | {"rs:TransferBasis"}


@pytest.fixture()
def sparql_parsed_once(monkeypatch):
    """rdflib's SPARQL processor with each query text parsed once and the prepared query reused (what rdflib's
    ``prepareQuery`` is for): the same answers. pyshacl asks a constraint's query once per focus node, and parsing the
    same text again was most of the plain run (about 30 of 35 s at 1,000 triples)."""
    from rdflib.plugins.sparql import processor

    prepared: dict[tuple, object] = {}
    query = processor.SPARQLProcessor.query

    def parsed_once(self, text, initBindings=None, initNs=None, base=None, DEBUG=False):
        if isinstance(text, str):
            key = (text, base, tuple(sorted((initNs or {}).items())))
            if key not in prepared:
                prepared[key] = processor.prepareQuery(text, initNs, base)
            text = prepared[key]
        return query(self, text, initBindings, initNs, base, DEBUG)

    monkeypatch.setattr(processor.SPARQLProcessor, "query", parsed_once)
    return prepared


def test_fast_engine_and_plain_pyshacl_agree(small, sparql_parsed_once):
    """Same focus nodes, paths, severities (and shapes) as pyshacl.validate on one rdflib graph of the same files."""
    import pyshacl

    summary, _, fast_report = small
    data = rdflib.Graph()
    for path in [*map(str, summary["files"]), *resources.vocabulary_files(), *resources.reference_files()]:
        data.parse(str(path), format="turtle")
    ropa_ns = rdflib.Namespace(PREFIXES["ropa"])
    run = rdflib.URIRef("urn:ropa:evaluation:run")
    data.add((run, RDF.type, ropa_ns.Evaluation))
    data.add((run, ropa_ns.asOfDate, rdflib.Literal(AS_OF.isoformat(), datatype=rdflib.XSD.date)))
    shapes = rdflib.Graph()
    for path in sorted(resources.shapes_dir().glob("*.ttl")):
        shapes.parse(str(path), format="turtle")

    _, results, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True)

    plain = set()
    for result in results.subjects(RDF.type, SH.ValidationResult):
        path = results.value(result, SH.resultPath)
        shape = results.value(result, SH.sourceShape)
        plain.add((
            _node(results.value(result, SH.focusNode)),
            str(path) if isinstance(path, rdflib.URIRef) else "",
            _SEVERITIES[results.value(result, SH.resultSeverity)],
            shorten(str(shape)) if isinstance(shape, rdflib.URIRef) else "_:",
        ))
    fast = {(_node(f.focus), f.path or "", f.severity, f.check if not f.check.startswith("_:") else "_:")
            for f in fast_report.findings}
    assert fast == plain
    assert len(plain) >= len(DEFECT_KINDS)
    assert len(sparql_parsed_once) >= 20  # pyshacl's SPARQL constraints did run through rdflib

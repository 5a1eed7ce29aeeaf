"""Data-flow diagrams: Graphviz SVG that is well-formed and names every node, Mermaid text, readable grouping."""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ropa
from ropa import diagrams
from ropa.cli import app
from ropa.diagrams import build_diagram, diagram, dot_string, inline_svg, mermaid_string, to_dot, to_mermaid, to_svg
from ropa.errors import RopaError
from ropa.flows import flow_graph
from ropa.namespaces import PREFIXES
from ropa.register import Messages

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "flows"
SVG = "{http://www.w3.org/2000/svg}"
runner = CliRunner()
ENTITY_NAMES = """
@prefix ex: <https://example.org/entity/> .
@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:corp a dpv:LegalEntity , dpv:DataController ; rdfs:label "Tom &lt;b&gt; &amp; Jerry &#60;"@en .
ex:payroll a dpv:Process ; rdfs:label "Payroll"@en ; ropa:recordedBy ex:corp ; ropa:role ropa:ControllerRole ;
    dpv:hasDataController ex:corp .
"""


@pytest.fixture(scope="module")
def dot_installed():
    if shutil.which(diagrams.DOT) is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz dot is missing in CI (apt-get install -y graphviz)")
        pytest.skip("Graphviz dot is not installed")


@pytest.fixture(scope="module")
def dstny(bundled):
    return diagram(bundled, controller="dst:destiny-nv")


def dstny_node_labels(graph) -> set[str]:
    """Every node of Destiny NV's graph, read from the data: its activities, their data subjects, the controllers,
    its (sub)processors and the countries it and they are in."""
    query = """
        SELECT DISTINCT ?label WHERE {
          ?activity ropa:recordedBy dst:destiny-nv .
          {
            ?activity rdfs:label ?label
          } UNION {
            ?activity dpv:hasDataSubject/skos:prefLabel ?label
          } UNION {
            ?activity dpv:hasDataController/rdfs:label ?label
          } UNION {
            dst:destiny-nv ropa:hasSubProcessor/rdfs:label ?label
          } UNION {
            dst:destiny-nv (dpv:hasCountry|ropa:hasSubProcessor/ropa:headquarteredIn)/rdfs:label ?label
          }
          FILTER(LANG(?label) = "en")
        }"""
    return {row["label"] for row in graph.select(query)}


def svg_text(svg: str) -> str:
    root = ET.fromstring(svg)  # raises on malformed XML
    return " ".join(" ".join(t.text.split()) for t in root.iter(SVG + "text") if t.text)


def test_dstny_svg_is_well_formed_and_names_every_node(bundled, dstny, dot_installed):
    text = svg_text(to_svg(dstny))
    expected = dstny_node_labels(bundled)
    assert len(expected) > 30  # 16 activities, 14 sub-processors, subjects, controllers, countries
    missing = {label for label in expected if " ".join(label.split()) not in text}
    assert not missing


def test_dstny_diagram_groups_the_fourteen_sub_processors(dstny):
    [group] = [c for c in dstny.clusters if c.label == "Sub-processors of Destiny NV (Dstny)"]
    members = {dstny.nodes[m][0] for child in group.children for m in child.members}
    assert len(members) == 14
    entity = next(n for n, (label, kind) in dstny.nodes.items() if label == "Destiny NV (Dstny)")
    into_group = [e for e in dstny.edges if e.source == entity and e.target_cluster == group.id]
    assert len(into_group) == 1 and into_group[0].label  # one edge, labelled with the data categories
    providers = {n for child in group.children for n in child.members}
    assert not [e for e in dstny.edges if e.source == entity and e.target in providers and not e.target_cluster]
    us = next(c for c in group.children if c.label == "United States")
    assert len(us.members) == 8
    assert [e.label for e in dstny.edges if e.source_cluster == us.id] == ["unknown"]


def test_mermaid_names_every_node_and_nests_subgraphs(bundled, dstny):
    text = to_mermaid(dstny)
    assert "\nflowchart LR\n" in text
    lines = [line.strip() for line in text.splitlines()]
    assert sum(line.startswith("subgraph ") for line in lines) == sum(line == "end" for line in lines)
    flat = text.replace("<br/>", " ")
    for label in dstny_node_labels(bundled):
        assert mermaid_string(label) in flat


def test_awkward_labels_are_escaped(dot_installed):
    graph = ropa.load([FIXTURES / "awkward-labels.ttl"])
    drawn = diagram(graph, activity="Payroll")
    text = svg_text(to_svg(drawn))
    for label in ['Corp "Quoted" & Sons <Ltd> \\ #1', "Host %s & <b>bold</b>", "United States"]:
        assert label in text
    assert "Payroll {2025} [draft] ->" in text
    mermaid = to_mermaid(drawn)
    assert "Corp #quot;Quoted#quot; & Sons #lt;Ltd#gt; \\ #35;1" in mermaid
    assert '"Quoted"' not in mermaid and "<Ltd>" not in mermaid


def test_dot_string_escapes_quotes_backslashes_ampersands_and_line_breaks():
    assert dot_string('a "b" \\ c\nd & e') == '"a \\"b\\" \\\\ c\\nd &amp; e"'
    drawn = diagram(ropa.load([FIXTURES / "awkward-labels.ttl"]), controller="https://example.org/awkward/corp")
    # Wrapped after the backslash: an escaped backslash, then DOT's centred line break.
    assert 'label="Corp \\"Quoted\\" &amp; Sons <Ltd> \\\\\\n#1"' in to_dot(drawn)


def test_a_name_that_looks_like_an_entity_is_drawn_as_written(tmp_path, dot_installed):
    (tmp_path / "entity.ttl").write_text(ENTITY_NAMES, encoding="utf-8")
    drawn = diagram(ropa.load([tmp_path / "entity.ttl"]), activity="Payroll")
    text = svg_text(to_svg(drawn))
    assert "Tom &lt;b&gt; &amp; Jerry &#60;" in text and "Tom <b>" not in text


def test_many_diagrams_are_drawn_in_one_dot_run_in_order(bundled, dot_installed, monkeypatch):
    fg = flow_graph(bundled)
    drawn = [diagram(bundled, controller=party, flows=fg) for party in ("dst:destiny-nv", "dst:ozmo", "dst:d-soft")]
    runs = []
    real_run = diagrams.subprocess.run

    def counted(*args, **kwargs):
        runs.append(args)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(diagrams.subprocess, "run", counted)
    documents = diagrams.draw_svg([to_dot(d) for d in drawn])
    assert len(runs) == 1
    assert [ET.fromstring(doc).find(f"{SVG}g/{SVG}title").text for doc in documents] == [d.title for d in drawn]


def test_diagram_draws_from_a_flow_graph_it_is_given(bundled, monkeypatch):
    fg = flow_graph(bundled)
    monkeypatch.setattr(diagrams, "flow_graph", lambda *args: pytest.fail("the flow graph was built again"))
    assert "Destiny NV (Dstny)" in diagram(bundled, controller="dst:destiny-nv", flows=fg).node_labels()


def test_inline_svg_is_an_element_without_prolog_comments_or_ids(dstny, dot_installed):
    document = to_svg(dstny)
    assert document.startswith("<?xml") and "<!DOCTYPE" in document and ' id="node1"' in document
    inline = inline_svg(document)
    assert inline.startswith("<svg") and inline.rstrip().endswith("</svg>")
    assert "<!--" not in inline and " id=" not in inline and "<title>" not in inline
    assert svg_text(inline) == svg_text(document)


def test_diagrams_speak_the_language_they_are_given(bundled):
    fg = flow_graph(bundled)
    keeper = PREFIXES["dst"] + "destiny-nv"
    activities = [a for a, info in fg.activities.items() if info.recorder == keeper]
    dutch = build_diagram(fg, activities, "Gegevensstromen", phrase=Messages("nl"))
    assert {"Betrokkenen", "Subverwerkers van Destiny NV (Dstny)", "Plaatsen"} <= {c.label for c in dutch.clusters}
    assert {e.label for e in dutch.edges if e.status} == {"onbekend", "geldig", "niet vereist"}
    english = build_diagram(fg, activities, "Data flows")
    assert {"Data subjects", "Sub-processors of Destiny NV (Dstny)", "Places"} <= {c.label for c in english.clusters}


def test_english_phrases_are_those_of_the_message_catalogue():
    catalogue = Messages.catalogue("en")
    assert {key: catalogue.get(key) for key in diagrams.PHRASES} == diagrams.PHRASES


@pytest.mark.parametrize("text", ["a\n```\nb", "a\r```b", "a\r\n```", "a\u2028```", "```mermaid", "x\x85y"])
def test_mermaid_labels_cannot_end_a_line_or_open_a_fence(text):
    escaped = mermaid_string(text)
    assert "`" not in escaped and len(escaped.splitlines()) == 1


def test_mermaid_title_is_a_quoted_yaml_string():
    drawn = diagrams.Diagram(title="Data flows of A: B's", nodes={"n0": ("A", "organisation")}, clusters=[], edges=[])
    assert to_mermaid(drawn).splitlines()[1] == "title: 'Data flows of A: B''s'"


def test_missing_dot_is_a_clear_error(dstny, monkeypatch):
    monkeypatch.setattr(diagrams, "DOT", "ropa-no-such-dot-program")
    with pytest.raises(RopaError, match="not installed"):
        to_svg(dstny)


def test_diagram_needs_a_controller_or_an_activity(bundled):
    with pytest.raises(RopaError, match="either a controller"):
        diagram(bundled)
    with pytest.raises(RopaError, match="keeps no activity"):
        diagram(bundled, controller="dst:microsoft")


def test_diagram_command_writes_svg_and_mermaid(tmp_path, dot_installed):
    svg = tmp_path / "dstny.svg"
    result = runner.invoke(app, ["diagram", "--controller", "Destiny NV (Dstny)", "-o", str(svg)])
    assert result.exit_code == 0, result.output
    ET.fromstring(svg.read_text(encoding="utf-8"))
    mermaid = tmp_path / "dk.mmd"
    result = runner.invoke(app, ["diagram", "--activity", "dst:dstny-dk-telephony", "--format", "mermaid", "-o", str(mermaid)])
    assert result.exit_code == 0, result.output
    assert "Outside the European Economic Area (EEA)" in mermaid.read_text(encoding="utf-8").replace("<br/>", " ")
    result = runner.invoke(app, ["diagram"])
    assert result.exit_code == 2 and "either a controller" in result.stderr

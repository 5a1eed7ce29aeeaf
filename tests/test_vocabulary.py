"""The shipped vocabulary: every DPV IRI used exists in DPV 2.3 with the same hierarchy, and the subset is current."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pyoxigraph as ox
import pytest

from ropa import resources
from ropa.namespaces import DPV_BASE

REPOSITORY = Path(__file__).resolve().parent.parent
SKOS_BROADER = "http://www.w3.org/2004/02/skos/core#broader"


def dpv_reference_dir() -> Path:
    folder = Path(os.environ.get("ROPA_DPV_DIR", REPOSITORY.parent / "shared" / "reference" / "dpv-2.3"))
    if not (folder / "dpv.ttl").is_file():
        if os.environ.get("CI"):
            pytest.fail("the DPV 2.3 reference files (../shared/reference/dpv-2.3) are missing in CI")
        pytest.skip("the DPV 2.3 reference files are not beside this checkout; set ROPA_DPV_DIR")
    return folder


@pytest.fixture(scope="module")
def reference_dpv() -> ox.Store:
    store = ox.Store()
    for path in sorted(dpv_reference_dir().glob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    return store


def _broader(store: ox.Store, graph=None) -> dict[str, set[str]]:
    links: dict[str, set[str]] = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode(SKOS_BROADER), None, graph):
        if isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(DPV_BASE):
            links.setdefault(quad.subject.value, set()).add(quad.object.value)
    return links


def test_every_dpv_term_in_the_subset_exists_in_dpv_with_the_same_broader(bundled, reference_dpv):
    subset = [f.graph for f in bundled.files if f.path.name == "dpv-subset.ttl"]
    assert subset, "ontology/dpv-subset.ttl is not shipped"
    shipped = _broader(bundled.store, subset[0])
    reference = _broader(reference_dpv)
    assert len(shipped) > 1000
    for term, parents in shipped.items():
        assert term in reference, f"{term} is not a DPV 2.3 term"
        assert parents == reference[term], f"{term}: skos:broader differs from DPV 2.3"


def test_every_dpv_iri_the_bundled_graph_uses_exists_in_dpv(bundled, reference_dpv):
    defined = {s["t"].value for s in reference_dpv.query("SELECT DISTINCT ?t WHERE { ?t ?p ?o FILTER(isIRI(?t)) }")}
    used = bundled.select(
        f"""SELECT DISTINCT ?t WHERE {{ {{ ?s ?p ?t }} UNION {{ ?t ?p ?o }} UNION {{ ?s ?t ?o }}
            FILTER(isIRI(?t) && STRSTARTS(STR(?t), "{DPV_BASE}")) }}"""
    )
    assert len(used) > 100
    missing = sorted(r["t"] for r in used if r["t"] not in defined)
    assert missing == []


def test_the_subset_is_rebuilt_identically_from_dpv(tmp_path):
    """The committed subset is what the build script makes from the DPV files and the project's current files."""
    spec = importlib.util.spec_from_file_location("build_dpv_subset", REPOSITORY / "ontology" / "build_dpv_subset.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    rebuilt = builder.build(dpv_reference_dir())
    committed = (REPOSITORY / "ontology" / "dpv-subset.ttl").read_text(encoding="utf-8")
    assert rebuilt == committed, "ontology/dpv-subset.ttl is stale: run python ontology/build_dpv_subset.py"


def test_w3c_notice_ships_beside_the_subset():
    notice = resources.ontology_dir() / "DPV-LICENSE.md"
    assert "W3C Software and Document" in notice.read_text(encoding="utf-8")
    head = (resources.ontology_dir() / "dpv-subset.ttl").read_text(encoding="utf-8")[:800]
    assert "World Wide Web Consortium" in head and "software-license-2023" in head


def test_every_ropa_concept_has_english_and_dutch_labels(bundled):
    rows = bundled.select(
        """SELECT ?c WHERE { GRAPH ?g { ?c rdfs:label ?l } FILTER(STRSTARTS(STR(?c), STR(ropa:)))
           FILTER NOT EXISTS { ?c rdfs:label ?nl FILTER(LANG(?nl) = "nl") } }"""
    )
    assert rows == []
    rows = bundled.select(
        """SELECT ?c WHERE { ?c a ?type FILTER(STRSTARTS(STR(?c), STR(ropa:)))
           FILTER NOT EXISTS { ?c rdfs:label ?en FILTER(LANG(?en) = "en") } }"""
    )
    assert rows == []


def test_ropa_concepts_reach_a_dpv_top_concept(bundled):
    """Every ropa concept placed in a DPV hierarchy reaches DPV through skos:broader*, so checks can walk it."""
    rows = bundled.select(
        """SELECT ?c WHERE { ?c a skos:Concept ; skos:broader ?b FILTER(STRSTARTS(STR(?c), STR(ropa:)))
           FILTER NOT EXISTS { ?c skos:broader+ ?top FILTER(STRSTARTS(STR(?top), "https://w3id.org/dpv")) } }"""
    )
    assert rows == []


def test_every_concept_the_data_uses_has_a_dutch_label(bundled):
    """Documents show concepts in Dutch: every DPV or ropa concept a data file points to has an @nl label."""
    data_graphs = " ".join(f"<{g.value}>" for g in bundled.graphs("data"))
    rows = bundled.select(
        f"""SELECT DISTINCT ?c WHERE {{
              VALUES ?g {{ {data_graphs} }}
              GRAPH ?g {{ ?s ?p ?c }} FILTER(?p NOT IN (rdf:subject, rdf:predicate))
              FILTER(isIRI(?c) && (STRSTARTS(STR(?c), "https://w3id.org/dpv") || STRSTARTS(STR(?c), STR(ropa:))))
              FILTER NOT EXISTS {{ ?c rdfs:label|skos:prefLabel ?nl FILTER(LANG(?nl) = "nl") }} }}"""
    )
    assert [r["c"] for r in rows] == []

"""The one IRI expander (ropa.namespaces.expand) that the loader, the query library, flows, the vocabulary, the
workbook and the TOML files share, and its error for people (expand_or_fail)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from hostile import CONTROL, MERMAID
from ropa.errors import RopaError
from ropa.load import load
from ropa.namespaces import PREFIXES, expand, expand_or_fail

DPV = PREFIXES["dpv"]
ACME = {**PREFIXES, "acme": "https://example.org/acme#", "": "https://example.org/base#"}


@pytest.mark.parametrize("text, iri", [
    ("dpv:Purpose", DPV + "Purpose"),
    ("  pd:EmailAddress \n", PREFIXES["pd"] + "EmailAddress"),
    ("legal-be:GBA-APD", PREFIXES["legal-be"] + "GBA-APD"),
    ("dpv:", DPV),
    ("<https://example.org/x#y>", "https://example.org/x#y"),
    ("https://example.org/x#y", "https://example.org/x#y"),
    ("urn:uuid:0e1a0000-0000-4000-8000-000000000000", "urn:uuid:0e1a0000-0000-4000-8000-000000000000"),
])
def test_good_names_and_iris(text, iri):
    assert expand(text) == iri
    assert expand_or_fail(text) == iri


def test_a_records_own_prefixes_count_only_when_given():
    assert expand("acme:Volunteer") is None
    assert expand("acme:Volunteer", ACME) == "https://example.org/acme#Volunteer"
    assert expand(":Volunteer", ACME) == "https://example.org/base#Volunteer"


def test_the_record_graph_expands_with_the_prefixes_its_files_declare(tmp_path):
    (tmp_path / "own.ttl").write_text("@prefix jeugd: <https://example.org/jeugd#> .\n"
                                      "@prefix dpv: <https://w3id.org/dpv#> .\n"
                                      "jeugd:kamp a dpv:Process .\n", encoding="utf-8")
    graph = load([tmp_path / "own.ttl"])
    assert graph.expand("jeugd:kamp") == "https://example.org/jeugd#kamp"
    assert graph.expand("dpv:Process") == DPV + "Process"
    assert graph.expand("kamp") is None


@pytest.mark.parametrize("text", [
    "Consent", "", "   ", "nope:Purpose", "dpv:a b", "dpv:a>", "dpv:x\x00y", "<a> <b>", "<https://x.org/a> . <b>",
    "<relative>", '<https://x.org/"a>', "https://x.org/a b", "dpv:{x}", "dpv://evil.example/", CONTROL, MERMAID,
    "x" * 5000,
])
def test_hostile_or_meaningless_text_names_no_iri(text):
    """Nothing that could break out of an IRI term, or that no prefix declares, comes back."""
    assert expand(text) is None
    assert expand(text, ACME) is None


def test_what_comes_back_is_always_a_valid_rdf_term():
    for text in ("dpv:Purpose", "<https://x.org/a>", "https://x.org/a?b=c#d", "urn:x:y", "acme:%C3%A9t%C3%A9"):
        ox.NamedNode(expand(text, ACME))


def test_an_unknown_prefix_is_named_with_the_nearest_known_one():
    with pytest.raises(RopaError) as raised:
        expand_or_fail("dvp:Consent", path="waivers.toml", line=7)
    assert str(raised.value) == "waivers.toml:7: unknown prefix 'dvp:' in 'dvp:Consent' (did you mean dpv:?)"


def test_an_unknown_prefix_with_nothing_near_lists_the_known_ones():
    with pytest.raises(RopaError, match=r"unknown prefix 'foo:' in 'foo:Customer' \(known prefixes: .*\bdpv\b"):
        expand_or_fail("foo:Customer")


def test_text_that_is_no_name_is_quoted_and_long_text_cut():
    with pytest.raises(RopaError, match="'Toestemming' is not a prefixed name"):
        expand_or_fail("Toestemming")
    with pytest.raises(RopaError) as raised:
        expand_or_fail("y" * 5000)
    assert "(5000 characters)" in str(raised.value) and len(str(raised.value)) < 200

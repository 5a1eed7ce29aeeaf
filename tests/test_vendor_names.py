"""Vendors in flows, impact and vendors by the name officers know (the record's label, a trading name), with the
registered name (dpv:hasName) after it where that is another name; JSON has both fields."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

import ropa
from ropa import resources
from ropa.cli import app
from ropa.register import Labels
from records import prefixes

runner = CliRunner()

KREEK = prefixes("https://dekreek.example/record/") + """

my:organisation a dpv:Organisation , dpv:DataController ; dpv:hasName "Jeugdhuis De Kreek vzw" ;
    rdfs:label "Jeugdhuis De Kreek vzw"@nl ; dpv:hasCountry loc:BE ; ropa:email "privacy@dekreek.be" .
# As the workbook import writes it: the Name column in the workbook's language, the Registered name untagged.
my:mailchimp a dpv:DataProcessor , ropa:ServiceProvider ; rdfs:label "Mailchimp"@nl ;
    dpv:hasName "The Rocket Science Group LLC" ; dpv:hasCountry loc:US ; ropa:dataLocation loc:US .
my:newsletter a dpv:Process ; rdfs:label "Nieuwsbrief"@nl ; ropa:recordedBy my:organisation ; ropa:role ropa:ControllerRole ;
    dpv:hasDataController my:organisation ; dpv:hasPurpose dpv:DirectMarketing ; dpv:hasLegalBasis eu-gdpr:A6-1-a ;
    dpv:hasDataSubject dpv:Member ; dpv:hasPersonalData pd:EmailAddress ; ropa:noRecipients true ;
    dpv:hasDataProcessor my:mailchimp .
"""

BOTH = "Mailchimp (The Rocket Science Group LLC)"


@pytest.fixture(scope="module")
def kreek(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kreek")
    (folder / "record.ttl").write_text(KREEK, encoding="utf-8")
    return folder


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output
    return result.output


@pytest.mark.parametrize("lang", ["nl", "en", "fr", "de"])
def test_impact_names_the_vendor_as_the_record_does_with_its_registered_name(kreek, lang):
    table = run("impact", "Mailchimp", str(kreek), "--lang", lang)
    markdown = run("impact", "Mailchimp", str(kreek), "--lang", lang, "--format", "md")
    assert BOTH in markdown.splitlines()[0]       # the title
    assert "Mailchimp (The Rocket" in table
    assert "The Rocket Science Group LLC" not in markdown.replace(BOTH, "")   # never the registered name alone


def test_flows_and_vendors_name_the_vendor_the_same_way(kreek):
    assert f"Jeugdhuis De Kreek vzw → {BOTH}" in run("flows", str(kreek), "--lang", "fr", "--format", "md")
    assert f"Jeugdhuis De Kreek vzw → {BOTH}" in run("flows", str(kreek), "--format", "md")
    vendors = run("vendors", str(kreek), "--lang", "nl", "--format", "md")
    assert f"| {BOTH} |" in vendors


def test_json_keeps_both_names_in_their_own_fields(kreek):
    for command in (["impact", "Mailchimp"], ["vendors"], ["flows"]):
        data = json.loads(run(*command, str(kreek), "--format", "json"))
        text = json.dumps(data)
        assert '"label": "Mailchimp"' in text and '"registered_name": "The Rocket Science Group LLC"' in text, command
        assert BOTH not in text
    assert json.loads(run("impact", "The Rocket Science Group LLC", str(kreek), "--format", "json"))["vendor"] == {
        "id": "<https://dekreek.example/record/mailchimp>", "label": "Mailchimp",
        "registered_name": "The Rocket Science Group LLC"}


def test_the_documents_name_the_provider_as_the_record_does_in_every_language(kreek):
    """The registers use the same rule: the label given in any language before the registered name."""
    graph = ropa.load([kreek])
    assert {lang: Labels(graph, lang)["https://dekreek.example/record/mailchimp"] for lang in ("en", "nl", "fr", "de")} == {
        lang: "Mailchimp" for lang in ("en", "nl", "fr", "de")}


def test_the_impact_page_names_the_vendor_with_its_registered_name(kreek):
    from starlette.testclient import TestClient

    from ropa import web

    client = TestClient(web.create_app([kreek]))
    page = client.get("/nl/impact?vendor=" + quote("Mailchimp")).text
    assert BOTH in page


def test_a_bundled_vendor_given_its_registered_name_is_shown_with_both(tmp_path):
    extra = tmp_path / "registered.ttl"
    extra.write_text("""@prefix dst: <https://w3id.org/ropa/destiny/> .
@prefix dpv: <https://w3id.org/dpv#> .
dst:hubspot dpv:hasName "HubSpot, Inc." .
""", encoding="utf-8")
    bundled = str(resources.data_dir() / "destiny")
    assert "HubSpot (HubSpot, Inc.)" in run("impact", "HubSpot", bundled, str(extra), "--lang", "nl", "--format", "md")
    assert "HubSpot, Inc." not in run("impact", "HubSpot", bundled, "--lang", "nl", "--format", "md")
    vendor = json.loads(run("impact", "HubSpot", bundled, str(extra), "--format", "json"))["vendor"]
    assert vendor["label"] == "HubSpot" and vendor["registered_name"] == "HubSpot, Inc."

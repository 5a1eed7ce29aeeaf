"""docs/authoring.md cannot rot: every Turtle example loads and validates, and a new organisation's record built from
`ropa init` and the guide's examples alone validates clean and renders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ropa
from ropa.render import render
from ropa.scaffold import init
from ropa.validate import validate

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "authoring.md"
BLOCKS = re.findall(r"^```turtle\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
PREFIXES, ORGANISATION, EXAMPLES = BLOCKS[0], BLOCKS[1], BLOCKS[2:]


def expected(block: str) -> set[str]:
    """The findings a block shows on purpose, from its '# expect: rs:Check' lines."""
    return set(re.findall(r"^# expect: (rs:\S+)$", block, flags=re.MULTILINE))


def write(folder: Path, name: str, block: str) -> Path:
    path = folder / name
    path.write_text(PREFIXES + "\n" + block, encoding="utf-8")
    return path


def test_the_guide_has_an_example_for_each_construct():
    assert PREFIXES.lstrip().startswith("@prefix") and "my:organisation" in ORGANISATION
    text = "\n".join(EXAMPLES)
    for construct in ("ropa:ControllerRole", "ropa:ProcessorRole", "ropa:hasSubProcessor", "ropa:authorisedBy",
                      "dpv:SubProcessorAgreement", "legal-eu:Adequacy-EU-JP", "ropa:certifiedUnder",
                      "ropa:SCC-2021-914-EU", "eu-gdpr:BindingCorporateRules", "eu-gdpr:A49-1-b",
                      "rdf:value", "ropa:untilEvent", "ropa:maximumDuration", "dpv:IndeterminateDuration",
                      "ropa:StatutoryDuration", "ropa:noRecipients true", "ropa:statesNoTransferOutside",
                      "dpv:hasRepresentative", "dpv:hasJointDataControllers", "dpv:JointDataControllersAgreement",
                      "ropa:validUntil", "dpv:PublicSectorBody", "ropa:Quote", "ropa:PublicSource", "ropa:SourceDocument", "rdf:Statement",
                      "ropa:specialCategoryLaw", "ropa:legalBasisLaw"):
        assert construct in text, f"no example of {construct}"
    assert "dpv:hasDataProtectionOfficer" in ORGANISATION


@pytest.mark.parametrize("number", range(len(EXAMPLES)))
def test_each_example_loads_and_validates(tmp_path, number):
    block = EXAMPLES[number]
    write(tmp_path, "organisation.ttl", ORGANISATION)
    write(tmp_path, "example.ttl", block)
    report = validate(ropa.load([tmp_path]))
    found = {f.check for f in report.findings}
    assert found == expected(block), f"example {number + 1}:\n{block[:300]}\nfindings: {[str(f.message) for f in report.findings]}"


def test_the_organisation_alone_is_clean(tmp_path):
    write(tmp_path, "organisation.ttl", ORGANISATION)
    graph = ropa.load([tmp_path])
    assert graph.select("SELECT ?o WHERE { ?o dpv:hasName \"Acme BV\" ; ropa:email ?e }")
    assert validate(graph).findings == []


def test_a_new_record_from_init_and_the_guide_validates_clean_and_renders_in_dutch(tmp_path):
    folder = tmp_path / "acme"
    init(folder, "Acme BV", "NL", lang="nl")
    activities = folder / "activities.ttl"   # the law behind the payroll's obligations, where the file says TO FILL
    activities.write_text(activities.read_text(encoding="utf-8").replace(
        "dpv:hasLegalBasis eu-gdpr:A6-1-b , eu-gdpr:A6-1-c ;",
        'dpv:hasLegalBasis eu-gdpr:A6-1-b , eu-gdpr:A6-1-c ;\n    ropa:legalBasisLaw "Wet op de loonbelasting 1964"@nl ;'), encoding="utf-8")
    # the guide's organisation is the scaffold's with the placeholders filled in
    write(folder, "organisation.ttl", ORGANISATION)
    for number, block in enumerate(EXAMPLES):
        if not expected(block):
            write(folder, f"guide-{number:02d}.ttl", block)
    graph = ropa.load([folder])
    report = validate(graph)
    assert report.findings == [], [f"{f.check}: {f.message}" for f in report.findings]
    out = tmp_path / "out"
    result = render(graph, out, formats=["html", "md"], lang="nl", findings=report.findings)
    assert result.files
    register = (out / "md" / "controller-organisation.md").read_text(encoding="utf-8")
    for text in ("Salarisadministratie", "Klantenservice", "Bakkerij De Korf VOF", "Japan", "Gezamenlijke"):
        assert text in register, text
    page = (out / "html" / "controller-organisation.html").read_text(encoding="utf-8")
    assert "Spaarprogramma met Bakkerij De Korf" in page and 'lang="nl"' in page

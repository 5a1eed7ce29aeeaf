"""GDPR citations for people in each language's customary style (Messages.cite), from the machine form the shapes
and the JSON and SARIF outputs keep ("Art. 30(1)(a)")."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import ropa
from ropa.cli import app
from ropa.register import Messages, build_record
from ropa.validate import validate
from records import prefixes

runner = CliRunner()


@pytest.mark.parametrize("lang, article, cited", [
    ("en", "Art. 30(1)(a)", "Art. 30(1)(a)"),
    ("nl", "Art. 30(1)(a)", "art. 30, lid 1, a)"),
    ("fr", "Art. 30(1)(a)", "art. 30, par. 1, point a)"),
    ("de", "Art. 30(1)(a)", "Art. 30 Abs. 1 lit. a"),
    ("nl", "Art. 30(1), Art. 30(2)", "art. 30, lid 1; art. 30, lid 2"),
    ("de", "Art. 6(1), second subparagraph", "Art. 6 Abs. 1 UAbs. 2"),
    ("fr", "Art. 6(1), second subparagraph", "art. 6, par. 1, deuxième alinéa"),
    ("nl", "Art. 44-49, Art. 30(1)(e)", "art. 44-49; art. 30, lid 1, e)"),
    ("de", "Art. 10", "Art. 10"),
    ("nl", "Art. 10", "art. 10"),
])
def test_a_citation_in_each_languages_style(lang, article, cited):
    assert Messages(lang).cite(article) == cited


def test_every_article_a_shape_names_is_read_in_every_language():
    """Each ropa:article of the shapes is a citation the function understands: none is left in machine form."""
    import re

    from ropa.validate import shape_files

    articles = {m for f in shape_files() for m in re.findall(r'ropa:article "([^"]+)"', f.read_text(encoding="utf-8"))}
    assert len(articles) > 30
    for article in articles:
        for lang in ("nl", "fr", "de"):
            assert "(" not in Messages(lang).cite(article), (lang, article)


KREEK = prefixes("https://dekreek.example/record/") + """

my:organisation a dpv:Organisation , dpv:DataController ; dpv:hasName "Jeugdhuis De Kreek vzw" ;
    dpv:hasCountry loc:BE ; ropa:email "privacy@dekreek.be" .
my:camps a dpv:Process ; rdfs:label "Kampen"@nl ; ropa:recordedBy my:organisation ; ropa:role ropa:ControllerRole ;
    dpv:hasDataController my:organisation ; dpv:hasDataSubject dpv:Child ; dpv:hasPersonalData pd:Name .
"""


@pytest.fixture(scope="module")
def kreek(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kreek")
    (folder / "record.ttl").write_text(KREEK, encoding="utf-8")
    return folder


def test_dutch_findings_cite_as_the_documents_titles_do(kreek, tmp_path):
    """The youth centre's Dutch register says 'art. 30, lid 1' in its title and now in its findings too; the JSON
    output keeps the machine form."""
    graph = ropa.load([kreek])
    findings = validate(graph).findings
    purposes = next(f for f in findings if f.article == "Art. 30(1)(b)")
    record = build_record(graph, lang="nl", findings=findings)
    articles = {gap.article for gap in record.controller_registers[0].gaps}
    assert "art. 30, lid 1, b)" in articles and not any("(" in a for a in articles)
    result = runner.invoke(app, ["validate", str(kreek), "--lang", "nl"])
    assert "art. 30, lid" in result.output and "Art. 30(1)" not in result.output   # the table wraps the citation
    machine = runner.invoke(app, ["validate", str(kreek), "--lang", "nl", "--format", "json"])
    assert purposes.check in machine.stdout
    assert {f["article"] for f in json.loads(machine.stdout)["findings"]} >= {"Art. 30(1)(b)"}
    build = tmp_path / "build"
    assert runner.invoke(app, ["build", str(kreek), "--format", "md", "--lang", "nl", "--out", str(build)]).exit_code in (0, 1)
    register = next((build / "nl" / "md").glob("controller-*.md")).read_text(encoding="utf-8")
    assert "(art. 30, lid 1)" in register and "art. 30, lid 1, b)" in register and "Art. 30(1)" not in register


def test_french_findings_of_the_bundled_record_cite_in_french(bundled):
    record = build_record(bundled, lang="fr", findings=validate(bundled).findings)
    articles = {gap.article for register in record.controller_registers for gap in register.gaps}
    assert "art. 30, par. 1, point f)" in articles
    assert not [a for a in articles if "(" in a]

"""The vocabulary lookup: kinds from the graph, labels in three languages, articles and dates from reference data."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import ropa
from ropa.cli import app
from ropa.errors import RopaError
from ropa.terms import KINDS, vocabulary


@pytest.fixture(scope="module")
def vocab():
    return vocabulary()


def test_every_kind_has_terms_and_kinds_follow_the_hierarchy(vocab):
    for kind in KINDS:
        assert vocab.terms(kind), f"no term of kind {kind}"
    assert vocab.resolve("dpv:ServiceProvision").kind == "purpose"
    assert vocab.resolve("pd:EmailAddress").kind == "data"
    assert vocab.resolve("dpv:Customer").kind == "subject"
    assert vocab.resolve("dpv:DataProcessor").kind == "recipient"
    assert vocab.resolve("dpv:Encryption").kind == "measure"
    assert vocab.resolve("eu-gdpr:A6-1-b").kind == "legal-basis"
    assert vocab.resolve("eu-gdpr:A49-1-a").kind == "transfer-basis"
    assert vocab.resolve("loc:JP").kind == "country"
    assert vocab.resolve("ropa:ContractualRelationshipEnd").kind == "event"
    # ropa's own concepts hang under DPV's and get the kind of their broader concept
    assert vocab.resolve("ropa:CallDetailRecord").kind == "data"
    assert "ropa:SCC-2021-914-EU" in {t.curie for t in vocab.terms("transfer-basis")}
    assert "eu-gdpr:A6-1-b" not in {t.curie for t in vocab.terms("purpose")}


def test_resolve_by_label_in_any_language_prefixed_name_or_iri(vocab):
    assert vocab.resolve("Nederland").curie == "loc:NL"
    assert vocab.resolve("pays-bas").curie == "loc:NL"
    assert vocab.resolve("https://w3id.org/dpv/loc#NL").curie == "loc:NL"
    assert vocab.resolve("<https://w3id.org/dpv/loc#NL>").curie == "loc:NL"
    assert vocab.resolve("Toestemming", kind="legal-basis").curie == "eu-gdpr:A6-1-a"
    assert vocab.resolve("Nederland", kind="purpose") is None
    assert vocab.resolve("no such thing at all") is None
    assert vocab.resolve("") is None


def test_article_and_validity_come_from_reference_data(vocab):
    scc = vocab.resolve("ropa:SCC-2021-914-EU")
    assert scc.article == "Art. 46(2)(c)"
    assert scc.valid_from == dt.date(2021, 6, 27) and scc.valid_until is None
    shield = vocab.resolve("ropa:PrivacyShield")
    assert shield.valid_until == dt.date(2020, 7, 16)
    assert vocab.resolve("legal-eu:Adequacy-EU-JP").article == "Art. 45(3)"  # inherited from its broader concept
    assert vocab.resolve("eu-gdpr:A9-2-h").article == "Art. 9(2)(h)"
    assert vocab.resolve("eu-gdpr:BindingCorporateRules").article == "Art. 47"


def test_labels_fall_back_to_english(vocab):
    term = vocab.resolve("loc:NL")
    assert (term.label("nl"), term.label("fr"), term.label("en")) == ("Nederland", "Pays-Bas", "Netherlands")
    only_english = next(t for t in vocab.terms() if set(t.labels) == {"en"})   # every purpose has nl and fr labels
    assert only_english.label("fr") == only_english.labels["en"]


def test_search_ranks_exact_then_prefix_and_filters_by_kind_and_language(vocab):
    hits = vocab.search("marketing", kind="purpose")
    assert hits[0].curie == "dpv:Marketing"
    assert all(t in vocab.terms("purpose") for t in hits)
    assert vocab.search("toestemming", kind="legal-basis")[0].curie == "eu-gdpr:A6-1-a"
    assert vocab.search("toestemming", lang="en") == []
    assert [t.curie for t in vocab.search("Pays-Bas", lang="fr")] == ["loc:NL"]
    events = {t.curie for t in vocab.terms("event")}
    assert {t.curie for t in vocab.search("", kind="event")} == events
    assert {"ropa:AgreementEnd", "ropa:ContractualRelationshipEnd", "ropa:SessionEnd"} <= events


def test_suggest_crosses_namespaces(vocab):
    assert vocab.suggest("https://w3id.org/dpv/pd#NationalIdentificationNumber")[0].curie == "ropa:NationalIdentificationNumber"
    assert vocab.suggest("dpv:ServiceProvisoin")[0].curie == "dpv:ServiceProvision"
    assert vocab.suggest("dpv:hasPurpos")[0].curie == "dpv:hasPurpose"
    assert len(vocab.suggest("dpv:Marketting", n=2)) == 2
    assert vocab.suggest("zzzzqqqq") == []


def test_unknown_kind_is_a_user_error(vocab):
    with pytest.raises(RopaError, match="unknown kind"):
        vocab.terms("colour")


def test_resolve_takes_a_prefixed_name_or_an_iri_in_either_form(vocab):
    purpose = "https://w3id.org/dpv#Purpose"
    assert {vocab.resolve(t).iri for t in ("dpv:Purpose", f"<{purpose}>", purpose)} == {purpose}
    assert vocab.resolve("nope:Purpose") is None


def test_a_records_own_concepts_are_terms_of_their_kind(tmp_path):
    (tmp_path / "own.ttl").write_text(
        """@prefix dpv: <https://w3id.org/dpv#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <https://example.org/acme#> .
ex:LoyaltyProgramme a skos:Concept ; skos:broader dpv:CustomerRelationshipManagement ;
    skos:prefLabel "Loyalty programme"@en , "Spaarprogramma"@nl .
ex:activity a dpv:Process ; dpv:hasPurpose ex:LoyaltyProgramme .
""",
        encoding="utf-8",
    )
    own = vocabulary(ropa.load([tmp_path]))
    term = own.resolve("Spaarprogramma")
    assert term.kind == "purpose" and term.iri == "https://example.org/acme#LoyaltyProgramme"
    assert own.get("https://example.org/acme#activity") is None  # an individual of the record is not a term
    assert vocabulary().resolve("Spaarprogramma") is None


# The command and the loader's "did you mean" use the same lookup.

RECORD = """@prefix dpv: <https://w3id.org/dpv#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
@prefix ex: <https://example.org/acme#> .

ex:hr a dpv:Process ;
    dpv:hasPurpose dpv:HumanResourceManagment ;
    dpv:hasPersonalData pd:NationalIdentificationNumber , pd:Salary , pd:Email .
"""


def test_terms_command_table_and_json():
    runner = CliRunner()
    result = runner.invoke(app, ["terms", "toestemming", "--kind", "legal-basis", "--format", "json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found[0]["curie"] == "eu-gdpr:A6-1-a" and found[0]["article"] == "Art. 6(1)(a)"
    assert found[0]["labels"]["fr"] == "Consentement"
    result = runner.invoke(app, ["terms", "2021/914", "--lang", "nl"])
    assert result.exit_code == 0
    assert "ropa:SCC-2021-914-EU" in result.output and "Modelcontractbepalingen" in result.output
    assert "27 juni 2021" in result.output and "art. 46, lid 2, c)" in result.output   # as Dutch cites and dates
    result = runner.invoke(app, ["terms", "no such words here"])
    assert result.exit_code == 1
    result = runner.invoke(app, ["terms", "--kind", "colour"])
    assert result.exit_code == 2


def test_loader_reports_every_unknown_term_of_a_run_with_file_line_and_suggestion(tmp_path):
    (tmp_path / "a.ttl").write_text(RECORD, encoding="utf-8")
    (tmp_path / "b.ttl").write_text(RECORD.replace("ex:hr", "ex:payroll").replace("pd:Salary", "pd:Salery"), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "ropa", "validate", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith("ropa: error: ") for line in lines)
    assert len(lines) == 7, result.stderr  # three in a.ttl, four in b.ttl
    assert any("a.ttl:6: unknown term dpv:HumanResourceManagment" in l and "did you mean dpv:HumanResourceManagement?" in l for l in lines)
    assert any("a.ttl:7: unknown term pd:NationalIdentificationNumber" in l and "did you mean ropa:NationalIdentificationNumber?" in l for l in lines)
    assert any("b.ttl:7: unknown term pd:Salery" in l and "did you mean pd:Salary?" in l for l in lines)
    # a concept is suggested where a concept is written, though a property of the same name exists (ropa:email);
    # and "pd:Email:" stays text (rich would print an emoji for ":Email:")
    assert any("a.ttl:7: unknown term pd:Email:" in l and "did you mean pd:EmailAddress?" in l for l in lines)
    with pytest.raises(RopaError) as caught:
        ropa.load([tmp_path])
    assert len(caught.value.lines()) == 7
    assert caught.value.path.endswith("a.ttl") and caught.value.line == 6

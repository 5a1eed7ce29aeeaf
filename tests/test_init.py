"""`ropa init`: a new organisation's record validates at once with findings only about its placeholders."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ropa
from ropa.cli import app
from ropa.errors import RopaError
from ropa.scaffold import countries, init, turtle_literal
from ropa.validate import validate

PLACEHOLDER_CHECKS = {"rs:PlaceholderEmail"}
TO_FILL_CHECKS = PLACEHOLDER_CHECKS | {"rs:LegalBasisLaw"}
"""A controller's record also names, once filled in, the law behind the example's legal obligation (Art. 6(3))."""
LAW = 'dpv:hasLegalBasis eu-gdpr:A6-1-b , eu-gdpr:A6-1-c ;\n    ropa:legalBasisLaw "Wet op de loonbelasting 1964"@nl ;'


def fill_in_the_law(folder: Path) -> None:
    """What an officer writes where the starter file says TO FILL for the law of the payroll's obligations."""
    path = folder / "activities.ttl"
    text = path.read_text(encoding="utf-8")
    assert text.count("dpv:hasLegalBasis eu-gdpr:A6-1-b , eu-gdpr:A6-1-c ;") == 1 and "ropa:legalBasisLaw" in text
    path.write_text(text.replace("dpv:hasLegalBasis eu-gdpr:A6-1-b , eu-gdpr:A6-1-c ;", LAW), encoding="utf-8")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ropa", *args], capture_output=True, text=True, cwd=cwd)


def test_new_dutch_record_validates_with_only_placeholder_findings(tmp_path):
    result = run("init", str(tmp_path / "acme"), "--org", "Acme BV", "--country", "NL", "--lang", "nl")
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "acme"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        ".github/workflows/ropa.yml", ".pre-commit-config.yaml", "README.md", "activities.ttl", "organisation.ttl",
        "waivers.toml",
    ]
    graph = ropa.load([folder])
    report = validate(graph)
    assert {f.check for f in report.findings} == TO_FILL_CHECKS
    assert {f.value for f in report.findings if f.check in PLACEHOLDER_CHECKS} == {"privacy@acme-bv.example", "dpo@acme-bv.example"}
    assert [f.activity_label for f in report.findings if f.check == "rs:LegalBasisLaw"] == ["Salarisadministratie"]
    # the labels are in the chosen language, the authority and the country come from reference data
    assert bool(graph.query('ASK { ?a rdfs:label "Salarisadministratie"@nl ; ropa:role ropa:ControllerRole }'))
    rows = graph.select("SELECT ?o ?c ?a WHERE { ?o dpv:hasName \"Acme BV\" ; dpv:hasCountry ?c ; dpv:hasAuthority ?a }")
    assert rows == [{"o": "https://acme-bv.example/record/organisation", "c": "https://w3id.org/dpv/loc#NL",
                     "a": "https://w3id.org/dpv/legal/nl#DPA-NL"}]
    labels = {r["l"] for r in graph.select("SELECT ?l WHERE { ?a a dpv:Process ; rdfs:label ?l }")}
    assert labels == {"Salarisadministratie"}
    # the empty waiver file is a valid one
    assert run("validate", str(folder), "--waivers", str(folder / "waivers.toml")).returncode == 1


def test_every_art_30_1_field_of_the_example_activity_is_filled(tmp_path):
    init(tmp_path / "r", "Acme BV", "NL")
    graph = ropa.load([tmp_path / "r"])
    for prop in ("dpv:hasDataController", "dpv:hasPurpose", "dpv:hasDataSubject", "dpv:hasPersonalData",
                 "dpv:hasRecipient", "dpv:hasStorageCondition", "dpv:hasLegalBasis"):
        assert graph.select(f"SELECT ?v WHERE {{ ?a a dpv:Process ; {prop} ?v }}"), prop
    text = (tmp_path / "r" / "activities.ttl").read_text(encoding="utf-8")
    for paragraph in ("(a)", "(b)", "(c)", "(d)", "(e)", "(f)", "(g)"):
        assert f"# {paragraph}" in text, f"no comment for Art. 30(1){paragraph}"


def test_filling_the_placeholders_makes_the_record_clean_and_the_pre_commit_hook_runs_it(tmp_path):
    folder = tmp_path / "acme"
    init(folder, "Acme BV", "NL", lang="fr", role="both")
    hook = (folder / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert "repo: local" in hook and "language: system" in hook
    entry = shlex.split(re.search(r"entry: (.+)", hook).group(1))
    assert entry[0] == "ropa"
    assert run(*entry[1:], cwd=folder).returncode == 1  # the placeholders are findings
    for path in folder.glob("*.ttl"):
        text = path.read_text(encoding="utf-8")
        text = text.replace("@acme-bv.example", "@acme.nl").replace("privacy@customer.example", "privacy@customer.nl")
        path.write_text(text, encoding="utf-8")
    fill_in_the_law(folder)
    result = run(*entry[1:], cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr


def test_processor_role_writes_a_service_and_no_controller_activity(tmp_path):
    init(tmp_path / "p", "Hosting SA", "BE", lang="fr", role="processor")
    assert (tmp_path / "p" / "services.ttl").is_file() and not (tmp_path / "p" / "activities.ttl").exists()
    graph = ropa.load([tmp_path / "p"])
    assert graph.select("SELECT ?s WHERE { ?s ropa:role ropa:ProcessorRole ; ropa:actsOnBehalfOf ?c ; ropa:hasAgreement ?a }")
    assert not graph.select("SELECT ?s WHERE { ?s ropa:role ropa:ControllerRole }")
    assert {f.check for f in validate(graph).findings} == PLACEHOLDER_CHECKS


def test_a_country_without_a_known_authority_asks_for_it(tmp_path):
    init(tmp_path / "us", "Widgets Inc", "us")
    report = validate(ropa.load([tmp_path / "us"]))
    assert {f.check for f in report.findings} == TO_FILL_CHECKS | {"rs:RecordKeeper-authority"}
    assert "TO FILL: your supervisory authority" in (tmp_path / "us" / "organisation.ttl").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--org", "  ", "--country", "NL"], "--org is empty"),
        (["--org", "Acme", "--country", "XX"], "unknown country code 'XX'"),
        (["--org", "Acme", "--country", "Nederland"], "did you mean NL?"),
        (["--org", "Acme", "--country", "NL", "--lang", "xx"], "--lang"),
        (["--org", "Acme\x07BV", "--country", "NL"], "control character"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, args, expected):
    result = run("init", str(tmp_path / "new"), *args)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "new").exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_non_empty_folder_is_refused_unless_forced_and_replaced_files_are_named(tmp_path):
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    (folder / "README.md").write_text("old readme", encoding="utf-8")
    result = run("init", str(folder), "--org", "Acme BV", "--country", "NL")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "not empty" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "notes.txt"]
    result = run("init", str(folder), "--org", "Acme BV", "--country", "NL", "--force")
    assert result.returncode == 0
    assert f"replaced {folder / 'README.md'}" in result.stderr
    assert f"wrote {folder / 'organisation.ttl'}" in result.stderr
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (folder / "README.md").read_text(encoding="utf-8") != "old readme"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left behind


def test_a_failure_while_writing_leaves_nothing(tmp_path, monkeypatch):
    real = Path.write_text
    calls = []

    def failing(self, *args, **kwargs):
        calls.append(self)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", failing)
    with pytest.raises(RopaError, match="No space left"):
        init(tmp_path / "acme", "Acme BV", "NL")
    assert list(tmp_path.iterdir()) == []


def test_names_are_escaped_in_turtle_and_markdown(tmp_path):
    name = 'Quote "&" Back\\slash <b>BV</b>'
    init(tmp_path / "q", name, "BE", lang="nl")
    graph = ropa.load([tmp_path / "q"])
    assert graph.select("SELECT ?n WHERE { ?o a dpv:Organisation ; dpv:hasName ?n }") == [{"n": name}]
    readme = (tmp_path / "q" / "README.md").read_text(encoding="utf-8")
    assert "<b>" not in readme
    assert turtle_literal('a"b', "nl") == '"a\\"b"@nl'


def test_countries_come_from_reference_data():
    known = countries()
    assert {"NL", "BE", "DE", "IS", "NO", "LI", "US"} <= set(known)
    assert known["NL"].authority == "legal-nl:DPA-NL" and known["DE"].label == "Germany"


def test_init_through_the_cli_runner_reports_next_step(tmp_path):
    result = CliRunner().invoke(app, ["init", str(tmp_path / "x"), "--org", "X BV", "--country", "be", "--lang", "fr"])
    assert result.exit_code == 0
    assert "ropa validate" in result.output


ENGLISH_WORDS = {"the", "and", "with", "your", "this", "each", "which", "that", "from", "every", "here", "its", "what",
                 "when", "record", "example", "delete", "fill", "add"}
"""Words of English prose that none of Dutch, French or German uses."""


def comment_lines(text: str) -> list[str]:
    """The text of each comment of a starter file (whole-line comments and those after Turtle or YAML code)."""
    found = []
    for line in text.splitlines():
        code, hash_, comment = line.partition("#")
        if hash_ and '"' not in code and "<" not in code:   # not a '#' inside a string or an IRI
            found.append(comment.strip())
    return found


def prose(comment: str) -> list[str]:
    """The words of a comment, without what is the same in every language: the TO FILL marker, `quoted commands`,
    prefixed names, TOML or YAML keys before '=' and file names."""
    comment = re.sub(r"TO FILL|\[\[\w+\]\]|`[^`]*`|\S+:\S+|^\w+ = .*|\S+\.(?:md|toml|ttl|yml|whl)\b|\S*/\S*", " ", comment)
    return re.findall(r"[^\W\d_]+", comment.lower())


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
@pytest.mark.parametrize("role", ["controller", "processor"])
def test_starter_files_have_no_english_comment(lang, role):
    """Every comment of `ropa init --lang nl|fr|de` is in that language: none is a line of the English files and
    none holds an English word; the country is named in the language too."""
    from ropa.scaffold import COMMENT_WIDTH, plan

    english = plan("Jeugdhuis De Branding vzw", "BE", lang="en", role=role)
    translated = plan("Jeugdhuis De Branding vzw", "BE", lang=lang, role=role)
    assert english.keys() == translated.keys()
    for name, text in translated.items():
        if name == "README.md":
            continue   # Markdown: its '#' is a heading (test_newcomer checks the README's language)
        english_prose = {c for c in comment_lines(english[name]) if prose(c)}
        for comment in comment_lines(text):
            assert comment not in english_prose, (lang, name, comment)
            assert not ENGLISH_WORDS & set(prose(comment)), (lang, name, comment)
        assert all(len(line) <= COMMENT_WIDTH for line in text.splitlines() if line.lstrip().startswith("#")), name
    country = {"nl": "België", "fr": "Belgique", "de": "Belgien"}[lang]
    assert f"loc:BE ;   # {country}" in translated["organisation.ttl"]


def test_the_english_check_finds_english_comments():
    """The check above would see an English comment (it is not blind to the words it looks for)."""
    from ropa.scaffold import plan

    english = plan("Acme BV", "NL", lang="en", role="both")
    flagged = [c for text in english.values() for c in comment_lines(text) if ENGLISH_WORDS & set(prose(c))]
    assert len(flagged) > 20


@pytest.mark.parametrize("lang", ["en", "nl", "fr", "de"])
def test_the_starter_says_how_to_name_the_law_of_an_art_9_condition(tmp_path, lang):
    """The payroll example has no special categories, so nothing is to fill; the comment beside its data says which
    Art. 9(2) conditions rest on a law and how to name it, in the record's language; followed, it is clean."""
    from ropa.register import Messages

    init(tmp_path / "r", "Acme BV", "DE", lang=lang)
    text = (tmp_path / "r" / "activities.ttl").read_text(encoding="utf-8")
    comment = " ".join(line.strip().lstrip("#").strip() for line in text.splitlines() if line.strip().startswith("#"))
    assert 'ropa:specialCategoryLaw "…"' in comment and "eu-gdpr:A9-2-b" in comment
    assert Messages(lang).cite("Art. 9(2)") in comment
    followed = text.replace("pd:Salary ;", 'pd:Salary , pd:TradeUnionMembership ;').replace(
        "eu-gdpr:A6-1-b , eu-gdpr:A6-1-c ;", "eu-gdpr:A6-1-b , eu-gdpr:A6-1-c , eu-gdpr:A9-2-b ;")
    (tmp_path / "r" / "activities.ttl").write_text(followed, encoding="utf-8")
    found = {f.check for f in validate(ropa.load([tmp_path / "r"])).findings}
    assert "rs:SpecialCategoryLaw" in found
    (tmp_path / "r" / "activities.ttl").write_text(followed.replace(
        "eu-gdpr:A9-2-b ;", 'eu-gdpr:A9-2-b ;\n    ropa:specialCategoryLaw "Tarifvertrag über den Einzug der Gewerkschaftsbeiträge"@de ;'), encoding="utf-8")
    assert "rs:SpecialCategoryLaw" not in {f.check for f in validate(ropa.load([tmp_path / "r"])).findings}

"""``ropa validate --lang`` for CI: the GitHub annotations and the JUnit details say their labels, the summary and
a waiver in the language asked for (the findings are already in its plain words), on a record that is not the
bundled one; without --lang they keep the engineering English."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from ropa.cli import app
from ropa.messages import Messages

from conftest import example_dir

AS_OF = "2026-11-28"


def validate(*args: str) -> str:
    result = CliRunner().invoke(app, ["validate", str(example_dir("wolkenwerk")), "--as-of", AS_OF, *args])
    assert result.exit_code == 1, result.output
    return result.stdout


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_github_annotations_speak_the_language_asked_for(lang):
    say = Messages(lang)
    lines = validate("--format", "github", "--lang", lang).splitlines()
    annotations = [line for line in lines if line.startswith("::")]
    fix = f" {say('gap.fix')}{say('punct.colon')} "
    assert annotations and all(fix in line for line in annotations)
    assert not [line for line in annotations if " Fix: " in line]
    assert lines[-1].startswith(f"ropa validate: {say('severity.violation.plural')}")
    english = validate("--format", "github").splitlines()
    assert " Fix: " in english[0] and "violations" in english[-1]


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_junit_details_and_waivers_speak_the_language_asked_for(lang, tmp_path):
    say = Messages(lang)
    waivers = tmp_path / "waivers.toml"
    waivers.write_text('[[waiver]]\ncheck = "rs:PlaceholderEmail"\nfocus = "https://example.org/wolkenwerk/dpo"\n'
                       'accepted_by = "Datenschutz-Team"\nreason = "The address is being set up."\nuntil = 2027-06-30\n',
                       encoding="utf-8")
    suite = ET.fromstring(validate("--format", "junit", "--lang", lang, "--waivers", str(waivers)))
    failures = suite.findall(".//failure")
    assert failures and all(f"\n{say('gap.fix')}{say('punct.colon')} " in f.text for f in failures)
    assert all(f"\n{say('gap.article')}{say('punct.colon')} " in f.text for f in failures)
    assert not [f for f in failures if "\nFix: " in f.text]
    [skipped] = suite.findall(".//skipped")
    assert skipped.get("message") == say("validate.waived_by", by="Datenschutz-Team", until="2027-06-30")

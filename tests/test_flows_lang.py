"""`ropa flows --lang`, `ropa impact --lang` and `ropa vendors --lang`: the paths, the what-if of an instrument, a
vendor's impact (with who must be notified of a breach) and the vendors' concentration in the table and Markdown
of each language, JSON the same in all. Tested on the German SaaS company
(examples/wolkenwerk), not on the bundled record."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ropa.cli import app
from ropa.register import Messages
from test_examples import english_patterns

runner = CliRunner()
WOLKENWERK = Path(__file__).resolve().parent.parent / "examples" / "wolkenwerk"
COMMANDS = {
    "flows": ["flows", str(WOLKENWERK), "--outside-eea", "--as-of", "2026-11-28"],
    "what-if": ["flows", str(WOLKENWERK), "--assume-invalid", "DPF", "--from", "2026-11-28"],
    "impact": ["impact", "Nimbus", str(WOLKENWERK), "--as-of", "2026-11-28"],
    "vendors": ["vendors", str(WOLKENWERK), "--as-of", "2026-11-28"],
}


def run(command: str, fmt: str, lang: str) -> str:
    result = runner.invoke(app, [*COMMANDS[command], "--format", fmt, "--lang", lang])
    assert result.exit_code == 0, result.output
    return result.output


def texts(output: str) -> list[str]:
    """What a person reads: each line, each table cell, and each part of a cell between semicolons."""
    found = []
    for line in output.splitlines():
        for cell in re.split(r"\s*[|│┃]\s*", line):
            cell = html.unescape(re.sub(r"\\(.)", r"\1", cell)).strip(" #-:·")
            found += [cell, *(part.strip() for part in cell.split("; "))]
    return [text for text in found if text]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_english_check_sees_the_english_output(command):
    patterns = english_patterns("de")
    assert [t for t in texts(run(command, "md", "en")) if any(p.match(t) for p in patterns)]


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("fmt", ["md", "table"])
def test_flows_speak_the_language_asked(command, lang, fmt):
    output = run(command, fmt, lang)
    patterns = english_patterns(lang)
    shown = texts(output)
    if fmt == "table":   # a table wraps its cells: a lone word may be the end of a record's own label
        shown = [t for t in shown if " " in t]
    assert [t for t in shown if any(p.match(t) for p in patterns)] == []
    t = Messages(lang)
    heading = {"flows": "flows.heading", "what-if": "whatif.heading.losing", "impact": "impact.heading.notify",
               "vendors": "vendors.heading"}[command]
    assert t(heading) in output


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_json_is_the_same_in_every_language(command):
    english = run(command, "json", "en")
    assert all(run(command, "json", lang) == english for lang in ("nl", "fr", "de"))


def test_breach_notification_rows_in_the_language():
    t = Messages("fr")
    output = run("impact", "md", "fr")
    for key in ("impact.when.in_time", "impact.when.72_hours", "impact.who.customer_authorities",
                "impact.by.each_customer", "impact.contact.per_customer"):
        assert t(key).replace("'", "\\'") in output or t(key) in html.unescape(output), key
    assert "art. 33, par. 2" in output and "art. 34, par. 1" in output and "Art. 33(2)" not in output

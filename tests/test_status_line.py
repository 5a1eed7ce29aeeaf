"""The status line of ``ropa build`` and ``ropa render`` (the stages while building, the counts of findings and the
files written at the end) in the language of the build, on records that are not the bundled one."""

from __future__ import annotations

import io
import re

from rich.console import Console
from typer.testing import CliRunner

import ropa
from ropa.cli import app
from ropa.commands.render import status_language
from ropa.messages import Messages
from ropa.progress import display
from ropa.render import build
from ropa.validate import validate

from conftest import REPOSITORY, example_dir

AS_OF = "2026-11-28"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def status(args: list[str]) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_build_says_its_status_in_the_first_language_named(tmp_path):
    record = str(example_dir("wolkenwerk"))
    dutch = status(["build", record, "--out", str(tmp_path / "nl"), "--format", "md", "--lang", "nl,en",
                    "--as-of", AS_OF])
    assert re.search(r"^gecontroleerd: Overtredingen: \d+, Waarschuwingen: \d+, Opmerkingen: \d+ — op 28 november 2026$",
                     dutch, re.M), dutch
    assert re.search(r"^\d+ bestanden geschreven \(md; en,nl\) in ", dutch, re.M), dutch
    assert "validated" not in dutch and "wrote" not in dutch
    german = status(["build", record, "--out", str(tmp_path / "de"), "--format", "md", "--lang", "de,fr",
                     "--as-of", AS_OF])
    assert re.search(r"^geprüft: Verstöße: \d+, Warnungen: \d+, Hinweise: \d+ — Stand 28\. November 2026$", german, re.M), german
    assert re.search(r"^\d+ Dateien geschrieben \(md; fr,de\) in ", german, re.M), german
    assert "Infractions" not in german and "fichiers" not in german
    assert status_language(" FR, nl") == "fr"


def test_render_says_its_status_in_its_language(tmp_path):
    french = status(["render", str(example_dir("awv-muehlviertel")), "--out", str(tmp_path / "fr"), "--format", "md",
                     "--lang", "fr", "--as-of", AS_OF])
    assert re.search(r"^\d+ fichiers écrits \(md ; fr\) dans ", french, re.M), french
    assert "wrote" not in french


def test_progress_stages_on_a_terminal_in_the_build_language(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    graph = ropa.load([example_dir("awv-muehlviertel")])
    findings = validate(graph).findings
    screen = Terminal()
    with display(Console(file=screen, force_terminal=True, width=120), Messages("fr")) as progress:
        build(graph, tmp_path / "out", formats=["md"], languages=["fr", "de"], findings=findings, progress=progress)
    shown = screen.getvalue()
    assert "préparation des documents" in shown and "écriture des documents" in shown and "2/2" in shown
    assert "building" not in shown and "rendering" not in shown


def test_every_stage_is_a_catalogue_key_said_in_each_language():
    """A stage given as English text instead of a key would fail here, and so would a key left in English."""
    sources = "".join(path.read_text(encoding="utf-8") for path in (REPOSITORY / "ropa").rglob("*.py"))
    keys = set(re.findall(r"progress\.stage\(\"([^\"]+)\"", sources))
    assert {"progress.loading", "progress.validating", "progress.building", "progress.rendering"} <= keys
    english = Messages("en")
    for lang in ("nl", "fr", "de"):
        said = Messages(lang)
        for key in keys:
            assert key in said.phrases and said(key) != english(key), (lang, key)

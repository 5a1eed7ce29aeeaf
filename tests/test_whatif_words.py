"""The what-if of a transfer instrument as people read it (text and Markdown) on the French e-learning company's
record: one heading per thing said."""

from __future__ import annotations

import re

import pytest

import ropa
from ropa.messages import Messages
from ropa.tabular import to_markdown, to_text
from ropa.whatif import assume_invalid

from conftest import example_dir

DAY = "2026-01-01"


@pytest.fixture(scope="module")
def what_if():
    import datetime as dt

    graph = ropa.load([example_dir("classe-ouverte")])
    return assume_invalid(graph, "eu-gdpr:StandardContractualClauses", dt.date.fromisoformat(DAY), lang="fr")


@pytest.mark.parametrize("render", [to_text, to_markdown])
def test_each_heading_appears_once(what_if, render):
    text = render(what_if, what_if.title())
    lines = [line.strip("# ").strip() for line in text.splitlines() if line.strip()]
    assert lines[0] == what_if.title()
    headings = [line for line in lines if line.startswith("Et si")]
    assert headings == [what_if.title()], headings
    t = Messages("fr")
    for key in ("whatif.heading.losing", "whatif.heading.kept", "whatif.heading.notify"):
        assert sum(1 for line in lines if line == t(key) or line.startswith(t(key) + " ")) == 1, key
    assert lines[1].startswith("Flux reposant")   # the summary follows the title directly

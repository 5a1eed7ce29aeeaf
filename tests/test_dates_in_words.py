"""Dates inside the sentences of documents for people read in words of the document's language ("1er janvier 2026",
"1 januari 2026"), on the French e-learning company's and the Flemish payroll provider's records; JSON keeps ISO."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

import ropa
from ropa.diff import make_notice
from ropa.flows import concentration, flows
from ropa.messages import Messages
from ropa.periods import format_date
from ropa.render import render
from ropa.tabular import to_json, to_markdown, to_text
from ropa.validate import validate
from ropa.whatif import assume_invalid

from conftest import example_dir, payroll_before_and_after

DAY = dt.date(2026, 1, 1)
ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@pytest.mark.parametrize("lang, words", [("en", "1 January 2026"), ("nl", "1 januari 2026"),
                                         ("fr", "1er janvier 2026"), ("de", "1. Januar 2026")])
def test_a_date_in_the_words_of_each_language(lang, words):
    t = Messages(lang)
    assert format_date(DAY, t) == words
    assert format_date("2026-03-15", t).startswith("15") and "2026" in format_date("2026-03-15", t)
    assert format_date("spring 2024", t) == "spring 2024"   # a date as a statement words it stays as written


def without_machine_dates(text: str) -> str:
    """The text without the ISO dates machines read (an HTML <time datetime="...">)."""
    return re.sub(r'datetime="[^"]*"', "", text)


@pytest.mark.parametrize("name, lang, words", [("classe-ouverte", "fr", "1er janvier 2026"),
                                               ("loonhuis-schelde", "nl", "1 januari 2026")])
def test_registers_and_overviews_say_their_date_in_words(tmp_path, name, lang, words):
    graph = ropa.load([example_dir(name)])
    report = validate(graph, as_of=DAY)
    render(graph, tmp_path / "out", formats=["md", "html"], lang=lang, findings=report.findings, as_of=DAY)
    documents = sorted((tmp_path / "out").rglob("*.*"))
    assert documents
    for document in documents:
        text = without_machine_dates(document.read_text(encoding="utf-8"))
        assert ISO.findall(text) == [], document.name
    assert any(words in d.read_text(encoding="utf-8") for d in documents)


@pytest.mark.parametrize("name, lang, words", [("classe-ouverte", "fr", "1er janvier 2026"),
                                               ("loonhuis-schelde", "nl", "1 januari 2026")])
def test_analyses_say_their_date_in_words(name, lang, words):
    graph = ropa.load([example_dir(name)])
    instrument = {"classe-ouverte": "eu-gdpr:StandardContractualClauses", "loonhuis-schelde": "DPF"}[name]
    what_if = assume_invalid(graph, instrument, DAY, lang=lang)
    for result, title in [(what_if, what_if.title()), (flows(graph, as_of=DAY, lang=lang), None),
                          (concentration(graph, as_of=DAY, lang=lang), None)]:
        for text in (to_text(result, title), to_markdown(result, title)):
            assert ISO.findall(text) == [] and words in text
    assert json.loads(to_json(what_if))["assumed_invalid_from"] == DAY.isoformat()   # JSON keeps ISO


def test_the_sub_processor_notice_says_its_dates_in_words(tmp_path):
    old, new = payroll_before_and_after(tmp_path)
    notice = make_notice(old, new, "my:organisation", dt.date(2026, 3, 1),
                         issued=dt.date(2026, 1, 15), lang="nl")
    text = to_markdown(notice)
    assert ISO.findall(text) == []
    assert "15 januari 2026" in text and "1 maart 2026" in text
    assert json.loads(to_json(notice))["effective"] == "2026-03-01"


def test_the_vocabulary_listing_says_validity_in_words_when_a_language_is_asked():
    from ropa.commands.terms import term_rows
    from ropa.terms import vocabulary

    shield = [vocabulary().resolve("ropa:PrivacyShield")]
    assert term_rows(shield, "fr")[2][0][-1] == "du 12 juillet 2016 au 16 juillet 2020"
    assert "2016-07-12" in term_rows(shield, None)[2][0][-1]   # the English listing keeps its ISO dates

"""The fixed phrases of ropa's documents, pages and messages, one catalogue per language
(``reports/messages/<lang>.json``), for every module that speaks to people."""

from __future__ import annotations

import json
import re
from functools import lru_cache

from ropa import resources
from ropa.errors import RopaError
from ropa.resources import LANGUAGES


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """A language's catalogue as read once from its file (shared: never change it)."""
    path = resources.reports_dir() / "messages" / f"{lang}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RopaError(f"cannot read the message catalogue: {error}", path=str(path)) from None


class Messages:
    """The fixed phrases of the documents in one language, read from ``reports/messages/<lang>.json``.

    Phrases live in data files so that translators never touch Python; a phrase missing from a language falls
    back to English, and an unknown key is an error (a typo in a template must not print an empty heading).
    """

    def __init__(self, lang: str):
        if lang not in LANGUAGES:
            raise RopaError(f"unknown language '{lang}'; choose one of {', '.join(LANGUAGES)}")
        self.lang = lang
        self.phrases = catalogue(lang)
        self.english = catalogue("en")

    @staticmethod
    def catalogue(lang: str) -> dict[str, str]:
        return catalogue(lang)

    def has(self, key: str) -> bool:
        return key in self.phrases or key in self.english

    def __call__(self, key: str, **values) -> str:
        phrase = self.phrases.get(key, self.english.get(key))
        if phrase is None:
            raise RopaError(f"no phrase '{key}' in the message catalogue")
        return self.contract(phrase.format(**values)) if values else phrase

    def contract(self, text: str) -> str:
        """The language's contractions where a value meets the phrase (French "jusqu'à le" → "jusqu'au"), from the
        catalogue's ``grammar.contractions`` ("à le=au;..."), never another language's."""
        for rule in filter(None, self.phrases.get("grammar.contractions", "").split(";")):
            long, _, short = rule.partition("=")
            text = re.sub(rf"\b{re.escape(long)}\b", short, text)
        return text

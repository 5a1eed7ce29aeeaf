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


_CITATION = re.compile(r"(?:Art\.\s*)?(?P<number>\d+(?:-\d+)?)(?P<paragraphs>(?:\(\d+\))*)(?P<points>(?:\([a-z]\))*)"
                       r"(?:-\((?P<last>[a-z])\))?")
"""A citation in machine form: article (or a range of articles), paragraphs, points, and a last point of a range."""


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

    def cite(self, article: str) -> str:
        """A GDPR citation in the language's customary style, from the machine form the shapes, checks and JSON
        use: "Art. 30(1)(a)" reads "art. 30, lid 1, a)" in Dutch, "art. 30, par. 1, point a)" in French and
        "Art. 30 Abs. 1 lit. a" in German (the catalogue's ``cite.*`` patterns). Several citations ("Art. 28(2),
        Art. 28(4)" or "Art. 28(2), 28(4)") are joined by ``cite.separator``; text of another form is kept as it is."""
        cited: list[str] = []
        for part in re.split(r",\s*(?=Art\.|\d|second subparagraph)", article.strip()):
            if part == "second subparagraph" and cited:
                cited[-1] += self("cite.second_subparagraph")
                continue
            match = _CITATION.fullmatch(part)
            if match is None:
                cited.append(part)
                continue
            number, paragraphs, points, last = match.group("number", "paragraphs", "points", "last")
            text = self("cite.article", number=number)
            for paragraph in re.findall(r"\((\d+)\)", paragraphs or ""):
                text += self("cite.paragraph", number=paragraph)
            letters = re.findall(r"\(([a-z])\)", points or "")
            for letter in letters[:-1] if last else letters:
                text += self("cite.point", letter=letter)
            if last:
                text += self("cite.points", first=letters[-1], last=last)
            cited.append(text)
        return self("cite.separator").join(cited)

    def contract(self, text: str) -> str:
        """The language's contractions where a value meets the phrase (French "jusqu'à le" → "jusqu'au"), from the
        catalogue's ``grammar.contractions`` ("à le=au;..."), never another language's."""
        for rule in filter(None, self.phrases.get("grammar.contractions", "").split(";")):
            long, _, short = rule.partition("=")
            text = re.sub(rf"\b{re.escape(long)}\b", short, text)
        return text

"""Retention periods as people write them, in any shipped language, and back.

``parse_period("2 jaar na einde contract", events)`` gives a :class:`Period` (an ISO 8601 duration, a range, an
event and the period after it, or a period that is not fixed or set by law); ``format_period`` writes a Period in
the words of a document's language, so that parsing what it wrote gives the same Period. The unit words, number
words and linking words ("after", "na", "après") are read from each catalogue's ``grammar.*`` keys, so a language
is added with its catalogue; every phrase a person reads comes from the message catalogue.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from ropa.messages import Messages
from ropa.resources import LANGUAGES
from ropa.terms import unaccented

_DESIGNATORS = {"year": "Y", "month": "M", "week": "W", "day": "D"}


def _words(key: str) -> list[str]:
    """The words a catalogue key lists (space-separated), from every shipped language, casefolded, each also without
    its accents ("apres" for "après")."""
    words = [word.casefold() for lang in LANGUAGES for word in Messages(lang)(key).split()]
    return list(dict.fromkeys([*words, *map(unaccented, words)]))


def _either(words) -> str:
    """A regular expression for any of the words, longest first; an elided article ("l'") needs no space after."""
    ordered = sorted(set(words), key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w) + (r"\s*" if w[-1] in "'’" else r"\s+") for w in ordered) + ")"


UNITS: dict[str, str] = {word: designator for unit, designator in _DESIGNATORS.items()
                         for word in _words(f"grammar.unit_words.{unit}")}
"""Unit word (of any shipped language, singular or plural) -> ISO 8601 designator."""

_WORD_NUMBERS = {word: int(number) for pair in _words("grammar.number_words")
                 for word, _, number in [pair.partition("=")]}
_AND = "|".join(re.escape(w) for w in sorted(set(_words("grammar.and"))))
_ARTICLES = _either(_words("grammar.articles"))
_ISO = re.compile(r"^P(?=\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$", re.IGNORECASE)
_AMOUNT = re.compile(r"(\d+)\s*([^\W\d_]+)", re.UNICODE)
_NUMBER_WORDS = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, _WORD_NUMBERS)) + r")(?!\w)")
_AFTER = re.compile(r"\s+(?:" + "|".join(map(re.escape, set(_words("grammar.after")))) + r")\s+" + _ARTICLES + "?",
                    re.IGNORECASE)
_UNTIL = re.compile(r"^" + _either(_words("grammar.until")) + _ARTICLES + "?", re.IGNORECASE)
_RANGE = re.compile(r"^(?:" + _either(_words("grammar.between")) + r")?(.+?)\s+(?:"
                    + "|".join(map(re.escape, set(_words("grammar.range_to")))) + r"|-|–)\s+(.+)$", re.IGNORECASE)
_ORDER = "YMWD"


@dataclass(frozen=True)
class Period:
    """One retention period. ``kind``: fixed (``duration``), range (``low``/``high``), event (``event`` IRI and the
    ``duration`` after it, "P0D" when deleted at the event), indeterminate or statutory (``text`` as stated)."""

    kind: str
    duration: str = ""
    low: str = ""
    high: str = ""
    event: str = ""
    text: str = ""


class PeriodError(ValueError):
    """The text is not a period ropa can read; the message says what to write instead. ``key`` names the catalogue's
    phrase for it (``import.problem.<key>``, filled with ``text``), so that a workbook's error speaks its language."""

    def __init__(self, message: str, key: str = "retention", text: str = ""):
        super().__init__(message)
        self.key = key
        self.text = text


@lru_cache(maxsize=4096)
def duration_of(text: str) -> str | None:
    """An ISO 8601 duration for "10 years", "6 mois", "1 jaar en 6 maanden", "P2Y" or "two years"; None otherwise."""
    words = text.strip().casefold()
    if not words:
        return None
    iso = _ISO.match(words)
    if iso:
        return _duration(dict(zip(_ORDER, (int(n) if n else None for n in iso.groups()))))
    words = _NUMBER_WORDS.sub(lambda match: str(_WORD_NUMBERS[match.group(0)]), words)
    amounts: dict[str, int] = {}
    rest = words
    for match in _AMOUNT.finditer(words):
        unit = UNITS.get(match.group(2))
        if unit is None or unit in amounts:
            return None
        amounts[unit] = int(match.group(1))
        rest = rest.replace(match.group(0), " ", 1)
    if not amounts or re.sub(rf"\b(?:{_AND})\b|[,+&]", " ", rest).strip():
        return None
    return _duration(amounts)


def _duration(amounts: dict[str, int | None]) -> str:
    """An xsd:duration: it has no weeks, so weeks count as seven days."""
    amounts = {unit: n for unit, n in amounts.items() if n is not None}
    if "W" in amounts:
        amounts["D"] = amounts.get("D", 0) + 7 * amounts.pop("W")
    return "P" + "".join(f"{amounts[u]}{u}" for u in "YMD" if u in amounts)


def parse_period(text: str, event_of: Callable[[str], str | None], t_all: list[Messages]) -> Period:
    """The Period a person wrote. ``event_of`` names the event IRI for a phrase (None if unknown); ``t_all`` are the
    catalogues whose "not fixed" and "set by law" prefixes are recognised."""
    stripped = text.strip()
    for kind, prefix in _prefixes(tuple(t.lang for t in t_all)):
        if stripped.casefold().startswith(prefix):
            stated = stripped[len(prefix):].strip()
            return Period(kind, text=stated or stripped)
    duration = duration_of(stripped)
    if duration:
        return Period("fixed", duration=duration)
    until = _UNTIL.match(stripped)
    if until:
        return Period("event", event=_event(stripped[until.end():], event_of))
    after = _AFTER.search(stripped)
    if after:
        duration = duration_of(stripped[:after.start()])
        if duration is None:
            part = stripped[:after.start()].strip()
            raise PeriodError(f"cannot read the period '{part}'", "period_part", part)
        return Period("event", duration=duration, event=_event(stripped[after.end():], event_of))
    ranged = _RANGE.match(stripped)
    if ranged:
        low, high = duration_of(ranged.group(1)), duration_of(ranged.group(2))
        if low and high:
            return Period("range", low=low, high=high)
    plain = unaccented(stripped)
    if plain != stripped:   # an accent typed wrong or left out: "10 ans aprés la fin du contrat"
        try:
            return parse_period(plain, event_of, t_all)
        except PeriodError:
            pass
    raise PeriodError(f"cannot read the retention period '{stripped}'", "retention", stripped)


@lru_cache(maxsize=None)
def _prefixes(languages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The "not fixed" and "set by law" prefixes of the catalogues, casefolded."""
    return tuple((kind, Messages(lang)(f"period.{kind}", text="").strip().casefold())
                 for lang in languages for kind in ("indeterminate", "statutory"))


def _event(text: str, event_of: Callable[[str], str | None]) -> str:
    name = text.strip().rstrip(".")
    iri = event_of(name)
    if iri is None:
        raise PeriodError(f"unknown event '{name}'", "unknown_event", name)
    return iri


_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.0+)?S)?)?$")


def format_duration(text: str, t: Messages) -> str:
    """An xsd:duration in words ("P2Y" → "2 years", "PT0S" → "immediately"), as the catalogue spells the units."""
    match = _DURATION.match(text)
    if not match or text in ("P", "PT") or text.endswith("T"):
        return text
    parts = []
    for amount, unit in zip(match.groups(), ("year", "month", "week", "day", "hour", "minute", "second")):
        if amount is not None and int(amount):
            number = int(amount)
            parts.append(f"{number} {t(f'unit.{unit}.' + ('one' if number == 1 else 'other'))}")
    return " ".join(parts) if parts else t("unit.zero")


def format_duration_words(duration: str, t: Messages) -> str:
    """"P1Y6M" → "1 year 6 months" in the catalogue's units."""
    match = _ISO.match(duration)
    if not match:
        return duration
    years, months, weeks, days = match.groups()
    if days and not weeks and int(days) % 7 == 0 and int(days) >= 7:
        match = _ISO.match(f"P{years + 'Y' if years else ''}{months + 'M' if months else ''}{int(days) // 7}W")
    parts = []
    for amount, unit in zip(match.groups(), ("year", "month", "week", "day")):
        if amount is not None:
            number = int(amount)
            parts.append(f"{number} {t(f'unit.{unit}.' + ('one' if number == 1 else 'other'))}")
    return " ".join(parts) or duration


def format_period(period: Period, t: Messages, event_label: Callable[[str], str]) -> str:
    """The Period in words; ``parse_period`` reads it back to the same Period."""
    if period.kind == "fixed":
        return format_duration_words(period.duration, t)
    if period.kind == "range":
        return t("period.range", low=format_duration_words(period.low, t), high=format_duration_words(period.high, t))
    if period.kind == "event":
        event = event_label(period.event)
        if period.duration in ("", "P0D"):
            return t("period.until", event=event)
        return t("period.after", period=format_duration_words(period.duration, t), event=event)
    return t(f"period.{period.kind}", text=period.text)


def format_date(day: dt.date | dt.datetime | str, t: Messages) -> str:
    """A date in the words of the catalogue's language, for a sentence a person reads ("1 January 2026",
    "1er janvier 2026", "1 januari 2026", "1. Januar 2026"); JSON and SARIF keep ISO dates. A text that is not an ISO
    date (a date as a statement words it) is returned as it is."""
    if isinstance(day, str):
        text = day.strip()
        try:
            day = dt.date.fromisoformat(text[:10]) if _ISO_DAY.fullmatch(text) else None
        except ValueError:
            day = None
        if day is None:
            return text
    if isinstance(day, dt.datetime):
        day = day.date()
    months = t("date.months").split()
    number = t("date.first_day") if day.day == 1 else str(day.day)
    return t("date.pattern", day=number, month=months[day.month - 1], year=day.year)


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}(?:T[\d:.+\-Z]*)?")


_DAY_FIRST = re.compile(r"(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{4})")


def read_date(text: str) -> dt.date | None:
    """A date as a person types it, in a workbook's cell or a command's option: ISO (2026-12-31), or day first as officers in every EEA state write it (31/12/2026,
    31.12.2026, 31-12-2026); None when it is neither or no such day exists."""
    text = text.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    match = _DAY_FIRST.fullmatch(text)
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None

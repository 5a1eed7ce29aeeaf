"""``ropa terms``: find the prefixed name to write for a purpose, a data category, a legal basis, a country, ..."""

import json
from enum import Enum
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from ropa.commands import Language, OutputFormat
from ropa.messages import Messages
from ropa.namespaces import shorten
from ropa.periods import format_date
from ropa.terms import KINDS, vocabulary

Kind = Enum("Kind", {kind: kind for kind in KINDS}, type=str)


def register(app: typer.Typer) -> None:
    from ropa.cli import console, errors, user_errors

    @app.command("terms")
    def terms(
        text: Annotated[Optional[str], typer.Argument(help="Words of a label (en, nl, fr or de) or a prefixed name; every term of the kind when omitted.", show_default=False)] = None,
        kind: Annotated[Optional[Kind], typer.Option("--kind", "-k", help="Only terms of this kind.", show_default=False)] = None,
        lang: Annotated[Optional[Language], typer.Option("--lang", "-l", help="Search and show labels in this language (any language is searched when omitted; labels shown in English).", show_default=False)] = None,
        output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Table for people, JSON for machines.")] = OutputFormat.table,
    ) -> None:
        """Search the shipped vocabulary (DPV 2.3 subset, ropa terms, reference data) by label or prefixed name.

        Shows the prefixed name to write in Turtle, the label, the broader concept and, for legal bases and transfer
        instruments, the GDPR article and the validity dates. Exit 1 when nothing matches.
        """
        with user_errors(lang.value if lang else None):
            found = vocabulary().search(text or "", kind.value if kind else None, lang.value if lang else None)
        if output_format is OutputFormat.json:
            typer.echo(json.dumps([t.as_dict() for t in found], indent=2, ensure_ascii=False))
        elif found:
            title, headers, rows = term_rows(found, lang.value if lang else None)
            table = Table(title=title, title_justify="left")
            for header in headers:
                table.add_column(header, overflow="fold")
            for cells in rows:
                table.add_row(*(Text(cell) for cell in cells))  # Text: no markup or emoji codes (":email:") read
            console.print(table, markup=False, highlight=False, emoji=False)
        if not found:
            say = Messages(lang.value if lang else "en")
            what = f"'{text}'" if text else say("terms.none_filter")
            errors.print(f"ropa: {say('terms.none', what=what)}", highlight=False, markup=False, emoji=False)
            raise typer.Exit(1)


def term_rows(found: list, lang: str | None) -> tuple[str, list[str], list[tuple[str, ...]]]:
    """The table of found terms for people: title, headers and cells in ``lang`` (English when None, with the
    articles in their machine form); the prefixed names stay as they are written in Turtle."""
    say = Messages(lang or "en")
    title = say("terms.title_one") if len(found) == 1 else say("terms.title", count=len(found))
    headers = [say(f"terms.column.{column}") for column in ("write", "label", "kind", "broader", "article", "valid")]
    rows = [(term.curie, term.label(lang or "en"), say(f"terms.kind.{term.kind}"),
             ", ".join(shorten(b) for b in term.broader[:3]),
             say.cite(term.article) if term.article and lang else term.article or "", _validity(term, say, bool(lang)))
            for term in found]
    return title, headers, rows


def _validity(term, say: Messages, in_words: bool = False) -> str:
    """When a legal basis or instrument is valid, in the words of the language; the dates in words too when a
    language is asked for (else ISO, as the English listing has always shown them)."""
    day = (lambda d: format_date(d, say)) if in_words else (lambda d: d)   # noqa: E731
    if term.valid_from and term.valid_until:
        return say("terms.valid", start=day(term.valid_from), end=day(term.valid_until))
    if term.valid_from:
        return say("terms.valid_from", start=day(term.valid_from))
    if term.valid_until:
        return say("terms.valid_until", end=day(term.valid_until))
    return ""

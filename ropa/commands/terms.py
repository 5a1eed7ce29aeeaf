"""``ropa terms``: find the prefixed name to write for a purpose, a data category, a legal basis, a country, ..."""

import json
from enum import Enum
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from ropa.commands import Language, OutputFormat
from ropa.namespaces import shorten
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
        with user_errors():
            found = vocabulary().search(text or "", kind.value if kind else None, lang.value if lang else None)
        if output_format is OutputFormat.json:
            typer.echo(json.dumps([t.as_dict() for t in found], indent=2, ensure_ascii=False))
        elif found:
            shown = lang.value if lang else "en"
            table = Table(title=f"{len(found)} term{'s' if len(found) != 1 else ''}", title_justify="left")
            for column in ("write", "label", "kind", "broader", "article", "valid"):
                table.add_column(column, overflow="fold")
            for term in found:
                valid = ""
                if term.valid_from or term.valid_until:
                    valid = f"{term.valid_from or ''} .. {term.valid_until or ''}".strip()
                cells = (term.curie, term.label(shown), term.kind, ", ".join(shorten(b) for b in term.broader[:3]),
                         term.article or "", valid)
                table.add_row(*(Text(cell) for cell in cells))  # Text: no markup or emoji codes (":email:") read
            console.print(table, markup=False, highlight=False, emoji=False)
        if not found:
            what = f"'{text}'" if text else "the filter"
            errors.print(f"ropa: no term matches {what}; try fewer words, another language or no --kind", highlight=False, markup=False, emoji=False)
            raise typer.Exit(1)

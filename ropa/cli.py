"""The ``ropa`` command: a thin layer of typed options over the library; every command's work is a library call."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from ropa.errors import RopaError
from ropa.export import export as export_graph
from ropa.export import serialise
from ropa.inventory import inventory
from ropa.load import load

app = typer.Typer(
    name="ropa",
    help="Keep a GDPR Article 30 Record of Processing Activities as a knowledge graph (W3C DPV 2.3).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(width=None if sys.stdout.isatty() else 140)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

PathsArgument = Annotated[
    Optional[list[Path]],
    typer.Argument(help="Data files or folders (Turtle, N-Triples, JSON-LD); the bundled Destiny data when omitted.", show_default=False),
]


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


class ExportFormat(str, Enum):
    ttl = "ttl"
    jsonld = "jsonld"
    nt = "nt"


@contextmanager
def user_errors():
    """Turn a RopaError into one line on stderr and exit code 2."""
    try:
        yield
    except RopaError as error:
        errors.print(f"ropa: error: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


@app.command()
def info(
    paths: PathsArgument = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Table for people, JSON for machines.")] = OutputFormat.table,
) -> None:
    """Show what was loaded, per file: triples, legal entities, processing activities, processors."""
    with user_errors():
        summary = inventory(load(paths or None))
    if output_format is OutputFormat.json:
        typer.echo(json.dumps(summary.as_dict(), indent=2))
        return
    table = Table(title="Loaded", title_justify="left")
    table.add_column("file")
    table.add_column("kind")
    for column in ("triples", "entities", "activities", "processors"):
        table.add_column(column, justify="right")
    for row in [*summary.files, summary.total]:
        table.add_row(row.path, row.kind, str(row.triples), str(row.entities), str(row.activities), str(row.processors),
                      end_section=row is summary.files[-1])
    console.print(table)


@app.command()
def export(
    paths: PathsArgument = None,
    export_format: Annotated[ExportFormat, typer.Option("--format", "-f", help="Serialisation of the merged graph.")] = ExportFormat.ttl,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write; standard output when omitted.")] = None,
) -> None:
    """Write the merged graph (data + vocabulary + reference data) as one file."""
    with user_errors():
        graph = load(paths or None)
        if output is None:
            sys.stdout.buffer.write(serialise(graph, export_format.value))
            return
        count = export_graph(graph, export_format.value, output)
    errors.print(f"wrote {count} triples to {output}", highlight=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

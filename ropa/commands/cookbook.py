"""``ropa cookbook``: write the Markdown page of the query library with its answers on the bundled data."""

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    # Imported here: ropa.cli imports this module while it is being set up.
    from ropa.cli import parse_date, status, user_errors
    from ropa.cookbook import COOKBOOK_AS_OF, cookbook as build, write_cookbook

    @app.command("cookbook")
    def cookbook(
        output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write (docs/cookbook.md); standard output when omitted.")] = None,
        as_of: Annotated[Optional[str], typer.Option("--as-of", help=f"Judge the answers at this date (YYYY-MM-DD); {COOKBOOK_AS_OF} by default, so the page is stable.")] = None,
    ) -> None:
        """Generate the cookbook: each library question, its SPARQL and its answer on the bundled data."""
        with user_errors():
            date = parse_date(as_of, "--as-of") or COOKBOOK_AS_OF
            if output is None:
                sys.stdout.write(build(as_of=date))
                return
            write_cookbook(output, as_of=date)
        status("status.wrote", file=output)   # the cookbook is in English

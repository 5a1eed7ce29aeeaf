"""``ropa template`` and ``ropa import``: the record kept in a spreadsheet (``ropa export --format xlsx`` writes it)."""

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ropa.commands import Language


class Layout(str, Enum):
    ropa = "ropa"
    art30 = "art30"
    ico = "ico"
    gba = "gba"


LayoutOption = Annotated[Layout, typer.Option("--layout", help="Columns: ropa (every field ropa reads), art30 (the fields of Art. 30 only), ico (UK ICO template) or gba (Belgian GBA/APD model).")]


def register(app: typer.Typer) -> None:
    from ropa.cli import status, user_errors

    @app.command("template")
    def template_command(
        output: Annotated[Path, typer.Option("--output", "-o", help="The .xlsx file to write.")] = Path("record.xlsx"),
        lang: Annotated[Language, typer.Option("--lang", "-l", help="Language of the headers, instructions and drop-down lists.")] = Language.en,
        layout: LayoutOption = Layout.ropa,
    ) -> None:
        """Write an empty workbook to fill in: instructions, organisation, activities, processors and the lists of terms."""
        from ropa.workbook import write_template  # imported when used: other commands need no spreadsheet code

        with user_errors(lang.value):
            write_template(output, lang=lang.value, layout_name=layout.value)
        status("status.wrote", lang.value, file=output)

    @app.command("import")
    def import_command(
        workbook: Annotated[Path, typer.Argument(help="The .xlsx, .ods or .csv file to read.", show_default=False)],
        output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write the Turtle file into.")] = Path("record"),
        layout: LayoutOption = Layout.ropa,
        namespace: Annotated[Optional[str], typer.Option("--namespace", help="Base IRI of the record's own names (ending in / or #); the workbook's, else one made from its name.")] = None,
    ) -> None:
        """Read a workbook into Turtle that `ropa validate` accepts; every fact cites its cell. Every problem of the file is
        listed at once (sheet!cell, what was found, the nearest valid term) and nothing is written (exit 2)."""
        from ropa.workbook import write_import

        found: dict = {}
        with user_errors():
            target = write_import(workbook, output, layout_name=layout.value, namespace=namespace, found=found)
        status("status.wrote", found.get("lang"), file=target)   # in the workbook's language

"""``ropa init``: start the record of a new organisation; the work is in ``ropa.scaffold``."""

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ropa.commands import Language
from ropa.scaffold import ROLES

Role = Enum("Role", {role: role for role in ROLES}, type=str)


def register(app: typer.Typer) -> None:
    from ropa.cli import errors, user_errors

    @app.command("init")
    def init_command(
        folder: Annotated[Path, typer.Argument(help="Folder to create (or an empty one) for the new record.", show_default=False)],
        org: Annotated[str, typer.Option("--org", help="The organisation's registered name.", show_default=False)],
        country: Annotated[str, typer.Option("--country", help="Two-letter code of the country of its main establishment (NL, BE, DE, ...).", show_default=False)],
        lang: Annotated[Language, typer.Option("--lang", "-l", help="Language of the labels in the record.")] = Language.en,
        role: Annotated[Role, typer.Option("--role", help="Controller (Art. 30(1)), processor (Art. 30(2)) or both.")] = Role.controller,
        public_authority: Annotated[bool, typer.Option("--public-authority", help="The organisation is a public authority or body: it must designate a data protection officer (Art. 37(1)(a)), left to fill in.")] = False,
        force: Annotated[bool, typer.Option("--force", help="Write into a folder that is not empty; files of the same name are replaced, and listed.")] = False,
    ) -> None:
        """Write a small, valid record for a new organisation: fill in what it marks TO FILL, then ropa validate FOLDER."""
        from ropa.scaffold import init

        with user_errors(lang.value):
            result = init(folder, org, country, lang=lang.value, role=role.value, public_authority=public_authority,
                          force=force)
        from ropa.messages import Messages

        say = Messages(lang.value)   # the status in the language of the record's files
        for path in result.written:
            said = say("init.replaced" if path in result.replaced else "init.wrote", path=path)
            errors.print(said, highlight=False, markup=False, emoji=False)
        command = f"ropa validate {folder}" + (f" --lang {lang.value}" if lang.value != "en" else "")
        errors.print(say("init.next", command=command), highlight=False, markup=False, emoji=False)

"""Commands of the later stages (query, analyse, render), one module per stage.

Each module defines ``register(app)``, which adds its commands to the ``ropa`` Typer app; ``ropa.cli`` calls it for
every module in this package. Commands stay thin: parse options, call the library, print the result.
"""

from enum import Enum

from ropa.resources import LANGUAGES


class OutputFormat(str, Enum):
    """A listing's format, shared by the commands that list: a table for people, JSON for machines."""

    table = "table"
    json = "json"


Language = Enum("Language", {lang: lang for lang in LANGUAGES}, type=str)
"""A --lang option's choices: the languages ropa ships."""

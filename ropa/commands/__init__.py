"""Commands of the later stages (query, analyse, render), one module per stage.

Each module defines ``register(app)``, which adds its commands to the ``ropa`` Typer app; ``ropa.cli`` calls it for
every module in this package. Commands stay thin: parse options, call the library, print the result.
"""

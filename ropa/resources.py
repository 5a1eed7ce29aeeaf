"""Where the bundled vocabulary, reference data, Destiny graph, shapes and templates live.

In an installed wheel they sit inside the package (``ropa/_bundled``); in a source checkout they are the
top-level folders of the repository. Both layouts resolve through this one module.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent

LANGUAGES = ("en", "nl", "fr", "de")
"""The languages ropa ships a message catalogue (reports/messages/) and concept labels for."""


def root() -> Path:
    """The folder holding ``ontology/``, ``data/``, ``shapes/`` and ``reports/``."""
    bundled = _PACKAGE / "_bundled"
    if (bundled / "ontology").is_dir():
        return bundled
    return _PACKAGE.parent


def ontology_dir() -> Path:
    return root() / "ontology"


def data_dir() -> Path:
    return root() / "data"


def shapes_dir() -> Path:
    return root() / "shapes"


def reports_dir() -> Path:
    return root() / "reports"


def vocabulary_files() -> list[Path]:
    """The shipped vocabulary: the DPV 2.3 subset, the ropa extension and translated labels."""
    return sorted(ontology_dir().glob("*.ttl"))


def reference_files() -> list[Path]:
    """Countries, adequacy decisions, supervisory authorities, legal-basis labels."""
    return sorted((data_dir() / "reference").glob("*.ttl"))


def bundled_data_files() -> list[Path]:
    """The Destiny knowledge graph used when no paths are given."""
    return sorted((data_dir() / "destiny").glob("*.ttl"))

"""The Turtle prefixes small records written by tests start with, in one place (IRIs from ropa.namespaces)."""

from __future__ import annotations

from ropa.namespaces import PREFIXES as NAMESPACES

PREFIXES = "".join(f"@prefix {name}: <{NAMESPACES[name]}> .\n" for name in (
    "ropa", "dpv", "pd", "loc", "eu-gdpr", "legal-eu", "legal-be", "legal-at", "skos", "rdf", "rdfs", "xsd"))


def prefixes(base: str) -> str:
    """The prefixes of a record whose own names (``my:``) live under ``base``."""
    return f"@prefix my: <{base}> .\n{PREFIXES}"

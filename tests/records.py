"""The Turtle prefixes small records written by tests start with, in one place."""

from __future__ import annotations

PREFIXES = """@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
@prefix eu-gdpr: <https://w3id.org/dpv/legal/eu/gdpr#> .
@prefix legal-eu: <https://w3id.org/dpv/legal/eu#> .
@prefix legal-be: <https://w3id.org/dpv/legal/be#> .
@prefix legal-at: <https://w3id.org/dpv/legal/at#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def prefixes(base: str) -> str:
    """The prefixes of a record whose own names (``my:``) live under ``base``."""
    return f"@prefix my: <{base}> .\n{PREFIXES}"

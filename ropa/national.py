"""National rules per member state, read from reference data: the supervisory authority of a country (DPV's legal
extensions), the rules on national identification numbers (data/reference/national-rules.ttl) and the register
templates of the authorities (data/reference/register-templates.ttl).

The country is the organisation's own (``dpv:hasCountry``) or that of one of its establishments; an establishment
that states no country is the organisation's. Nothing here names a country: a country without reference data gets
no rule, and callers say so neutrally.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode

from ropa.load import RecordGraph
from ropa.namespaces import PREFIXES

_COUNTRIES = """
SELECT DISTINCT ?entity ?country WHERE {
  { ?entity dpv:hasCountry ?country } UNION { ?entity ropa:hasEstablishment/dpv:hasCountry ?country }
} ORDER BY ?country"""

_AUTHORITIES = """
SELECT ?country ?authority WHERE {
  ?authority skos:broader* eu-gdpr:DataProtectionAuthority ; dpv:hasJurisdiction ?country .
  FILTER(?authority != eu-gdpr:DataProtectionAuthority)
  FILTER NOT EXISTS { ?authority dpv:hasJurisdiction loc:EU }   # the EDPB and EDPS are no national authority
} ORDER BY ?authority"""

_RULES = """
SELECT ?country ?lang ?rule ?number ?law ?summary WHERE {
  ?rule a ropa:NationalIdentificationRule ; dpv:hasJurisdiction ?country ; ropa:identificationNumber ?number .
  OPTIONAL { ?rule ropa:governingLaw ?law FILTER(LANG(?law) = ?lang) }
  OPTIONAL { ?rule ropa:ruleSummary ?summary FILTER(LANG(?summary) = ?lang) }
} ORDER BY ?rule"""


_TEMPLATE_LAYOUTS = """
SELECT DISTINCT ?layout WHERE {
  ?template a ropa:RegisterTemplate ; ropa:workbookLayout ?layout .
  FILTER EXISTS {
    { ?template dpv:hasJurisdiction ?country .
      { ?controller dpv:hasCountry ?country } UNION { ?controller ropa:hasEstablishment/dpv:hasCountry ?country } }
    UNION { ?template dpv:hasAuthority ?authority . ?controller dpv:hasAuthority ?authority }
    { ?activity dpv:hasDataController ?controller } UNION { ?activity ropa:actsOnBehalfOf ?controller }
    UNION { ?activity ropa:recordedBy ?controller }
    # a template of one role's record (the ICO's is a controller's) comes only with activities of that role; an
    # activity without a role is checked, and so counted, as a controller's
    FILTER(NOT EXISTS { ?template ropa:modelsRecordOf ?any }
           || EXISTS { ?template ropa:modelsRecordOf ?role . ?activity ropa:role ?role }
           || (NOT EXISTS { ?activity ropa:role ?stated } && EXISTS { ?template ropa:modelsRecordOf ropa:ControllerRole }))
  }
} ORDER BY ?layout"""

_TEMPLATE_ROLES = """
SELECT ?layout ?role WHERE {
  ?template a ropa:RegisterTemplate ; ropa:workbookLayout ?layout ; ropa:modelsRecordOf ?role .
} ORDER BY ?layout ?role"""

_ROLE_KEYS = {PREFIXES["ropa"] + "ControllerRole": "controller", PREFIXES["ropa"] + "ProcessorRole": "processor"}


@dataclass(frozen=True)
class IdentificationRule:
    """How one country governs one kind of national identification number (Art. 87), in one language."""

    iri: str
    country: str
    number: str
    law: str
    summary: str


def countries_of(graph: RecordGraph, entity: str) -> list[str]:
    """The countries of an organisation: its own and its establishments' (dpv:hasCountry), as IRIs."""
    return [row["country"] for row in graph.select(_COUNTRIES, {"entity": NamedNode(entity)})]


def authority_for(graph: RecordGraph, country: str) -> str | None:
    """The supervisory authority whose jurisdiction is exactly this country (DPV's legal-XX:DPA-XX), if any."""
    rows = graph.select(_AUTHORITIES, {"country": NamedNode(country)})
    return rows[0]["authority"] if rows else None


def template_layouts(graph) -> list[str]:
    """The workbook layouts of the register templates of the authorities the record answers to: those of the
    countries (or named authorities) of every controller of an activity, every controller a processor acts for and
    every organisation keeping the record, with their establishments. ``graph``: a RecordGraph, or the Answers
    of one that a build shares between its languages."""
    return [row["layout"] for row in graph.select(_TEMPLATE_LAYOUTS)]


def template_roles(graph) -> dict[str, tuple[str, ...]]:
    """Layout -> the roles ("controller", "processor") whose activities its template's sheet lists, for the templates
    that model one role's record (ropa:modelsRecordOf); a layout not named lists every activity."""
    roles: dict[str, list[str]] = {}
    for row in graph.select(_TEMPLATE_ROLES):
        if row["role"] in _ROLE_KEYS:
            roles.setdefault(row["layout"], []).append(_ROLE_KEYS[row["role"]])
    return {layout: tuple(keys) for layout, keys in roles.items()}


def identification_rules(graph: RecordGraph, country: str, lang: str = "en") -> list[IdentificationRule]:
    """The national identification-number rules of a country, with law and summary in ``lang`` (else English)."""
    def fetch(language: str) -> dict[str, dict]:
        rows = graph.select(_RULES, {"country": NamedNode(country), "lang": Literal(language)})
        return {row["rule"]: row for row in rows}

    wanted, english = fetch(lang), fetch("en")
    return [IdentificationRule(iri=iri, country=country, number=row["number"],
                               law=row["law"] or english[iri]["law"] or "",
                               summary=row["summary"] or english[iri]["summary"] or "")
            for iri, row in wanted.items()]

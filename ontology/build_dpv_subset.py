"""Build ontology/dpv-subset.ttl: the part of the W3C Data Privacy Vocabulary 2.3 that ropa ships.

Usage: python ontology/build_dpv_subset.py [DPV_DIR]   (default: ../shared/reference/dpv-2.3 beside the repository)

The subset holds, for every DPV term it keeps: its types, its skos:broader links (closed upwards to the top
concept, so "is this a purpose?" can walk skos:broader*), its English preferred label, its sub-property links and,
for adequacy decisions, their jurisdiction. Definitions are left out. It keeps:
  - every DPV term used by the project's own files (ontology, data, shapes, queries, templates), and
  - the whole branches a record keeper picks from when adding an activity: purposes, data subjects, personal
    data, legal bases, technical and organisational measures, processing operations, durations, entities,
    rights, data sources, recipients, statuses, scales, impact assessments, countries and supranational unions,
    the supervisory authorities of every EEA state and the United Kingdom (with their homepage and jurisdiction),
    and every DPV core property.
The loader rejects any DPV IRI that is not in the subset, so a typo is caught at load time.

The output is sorted and formatted by this script so that rebuilding gives a byte-identical file.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pyoxigraph as ox

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DPV_DIR = REPO.parent / "shared" / "reference" / "dpv-2.3"
OUTPUT = REPO / "ontology" / "dpv-subset.ttl"
NATIONAL = ["at", "be", "bg", "cy", "cz", "de", "dk", "ee", "es", "fi", "fr", "gb", "gr", "hr", "hu", "ie", "is", "it",
            "li", "lt", "lu", "lv", "mt", "nl", "no", "pl", "pt", "ro", "se", "si", "sk"]
"""The EEA states and the United Kingdom: DPV's legal extension of each names its supervisory authorities."""
DPV_FILES = ["dpv.ttl", "pd.ttl", "loc.ttl", "tech.ttl", "eu-gdpr.ttl", "legal-eu.ttl"] + [f"legal-{c}.ttl" for c in NATIONAL]

PREFIXES = {
    "dpv": "https://w3id.org/dpv#",
    "pd": "https://w3id.org/dpv/pd#",
    "loc": "https://w3id.org/dpv/loc#",
    "tech": "https://w3id.org/dpv/tech#",
    "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
    "legal-eu": "https://w3id.org/dpv/legal/eu#",
    **{f"legal-{c}": f"https://w3id.org/dpv/legal/{c}#" for c in NATIONAL},
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
DPV_BASE = "https://w3id.org/dpv"

BRANCHES = [
    "dpv:Purpose", "dpv:HumanSubject", "dpv:PersonalData", "dpv:LegalBasis", "dpv:TechnicalOrganisationalMeasure",
    "dpv:Processing", "dpv:Duration", "dpv:LegalEntity", "dpv:DataSubjectRight", "dpv:DataSource", "dpv:Recipient",
    "dpv:Status", "dpv:Scale", "dpv:ImpactAssessment", "dpv:ProcessingContext", "eu-gdpr:DataTransferTool",
    "eu-gdpr:DataProtectionAuthority",
]
"""Top concepts whose whole branch (skos:broader*) ships."""

CORE = [
    "dpv:Process", "dpv:ROPA", "dpv:Service", "dpv:PersonalDataHandling", "dpv:CrossBorderTransfer",
    "dpv:DataController", "dpv:DataProcessor", "dpv:DataSubProcessor", "dpv:JointDataControllers",
    "dpv:ControllerProcessorAgreement", "dpv:SubProcessorAgreement", "dpv:DataProcessingAgreement",
    "dpv:DataProtectionOfficer", "dpv:Representative", "dpv:DataProtectionAuthority", "dpv:DataExporter",
    "dpv:DataImporter", "dpv:ThirdParty", "dpv:SpecialCategoryPersonalData", "dpv:DPIA",
    "dpv:LegitimateInterestAssessment", "dpv:DataTransferImpactAssessment", "dpv:StorageCondition",
    "dpv:StorageDuration", "dpv:StorageLocation", "dpv:StorageDeletion", "dpv:ActivityOngoing", "dpv:ActivityHalted",
    "dpv:ActivityProposed", "dpv:ActivityCompleted", "dpv:Country", "dpv:SupraNationalUnion",
]
"""Core classes a record uses directly, kept even when no project file mentions them yet."""

KEPT_PREDICATES = ["rdf:type", "skos:broader", "skos:prefLabel", "rdfs:subPropertyOf", "dpv:hasJurisdiction", "foaf:homepage"]

NOTICE = """\
# A subset of the W3C Data Privacy Vocabulary (DPV) 2.3, built by ontology/build_dpv_subset.py.
#
# This file includes material copied from or derived from the Data Privacy Vocabulary (DPV) 2.3,
# https://w3id.org/dpv . Copyright (c) 2024 World Wide Web Consortium. https://www.w3.org/copyright/software-license-2023/
# Changes: only types, skos:broader, English preferred labels, sub-property links and jurisdictions of the terms
# listed in the build script's docstring are kept; definitions and all other statements are left out.
# The full notice is in ontology/DPV-LICENSE.md.
"""


def expand(name: str) -> str:
    prefix, local = name.split(":", 1)
    return PREFIXES[prefix] + local


def project_terms() -> set[str]:
    """Every DPV IRI the project's own files mention, as full IRIs."""
    terms: set[str] = set()
    patterns = ["ontology/*.ttl", "data/**/*.ttl", "shapes/**/*.ttl", "ropa/**/*.rq", "reports/**/*", "docs/**/*.md"]
    files = [p for pattern in patterns for p in REPO.glob(pattern) if p.is_file() and p.name != OUTPUT.name]
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        declared = dict(re.findall(r"(?:@prefix|PREFIX)\s+([\w-]*):\s*<([^>]*)>", text, flags=re.IGNORECASE))
        namespaces = {**PREFIXES, **declared}
        for prefix, local in re.findall(r"(?<![\w/#<-])([a-z][\w-]*):([A-Za-z][\w-]*)", text):
            namespace = namespaces.get(prefix)
            if namespace and namespace.startswith(DPV_BASE):
                terms.add(namespace + local)
        terms.update(re.findall(r"<(https://w3id\.org/dpv[^>\s]*)>", text))
    return terms


def build(dpv_dir: Path) -> str:
    store = ox.Store()
    for name in DPV_FILES:
        store.load(path=str(dpv_dir / name), format=ox.RdfFormat.TURTLE)
    defined = {s["t"].value for s in store.query("SELECT DISTINCT ?t WHERE { ?t ?p ?o FILTER(isIRI(?t)) }")}

    keep = {t for t in project_terms() if t in defined}
    skos_broader = PREFIXES["skos"] + "broader"
    keep.update(expand(name) for name in CORE)
    for top in BRANCHES:
        keep.add(expand(top))
        for s in store.query(f"SELECT ?x WHERE {{ ?x <{skos_broader}>+ <{expand(top)}> }}"):
            keep.add(s["x"].value)
    for s in store.query(
        "PREFIX dpv: <https://w3id.org/dpv#> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
        "SELECT ?x WHERE { { ?x a dpv:Country } UNION { ?x a dpv:SupraNationalUnion } UNION "
        "{ ?x a rdf:Property FILTER(STRSTARTS(STR(?x), 'https://w3id.org/dpv#')) } }"
    ):
        keep.add(s["x"].value)
    keep = {t for t in keep if t.startswith(DPV_BASE)}

    # Close upwards: every broader concept and every DPV type of a kept term is kept too.
    pending = list(keep)
    while pending:
        term = pending.pop()
        for s in store.query(
            f"SELECT ?o WHERE {{ <{term}> ?p ?o FILTER(?p IN (<{skos_broader}>, <{expand('rdf:type')}>, "
            f"<{expand('rdfs:subPropertyOf')}>)) FILTER(isIRI(?o)) }}"
        ):
            other = s["o"].value
            if other.startswith(DPV_BASE) and other in defined and other not in keep:
                keep.add(other)
                pending.append(other)

    blocks = []
    for term in sorted(keep):
        lines = []
        for predicate in KEPT_PREDICATES:
            objects = []
            for s in store.query(f"SELECT ?o WHERE {{ <{term}> <{expand(predicate)}> ?o }}"):
                value = s["o"]
                if isinstance(value, ox.NamedNode):
                    if value.value.startswith(DPV_BASE) and value.value not in keep:
                        continue
                    objects.append(curie(value.value))
                elif isinstance(value, ox.Literal) and value.language == "en":
                    objects.append(turtle_string(value.value) + "@en")
                elif isinstance(value, ox.Literal) and value.datatype.value == expand("xsd:anyURI"):
                    objects.append(turtle_string(value.value) + "^^xsd:anyURI")
            if objects:
                lines.append(f"    {predicate} {' , '.join(sorted(set(objects)))}")
        if lines:
            blocks.append(f"{curie(term)}\n" + " ;\n".join(lines) + " .\n")
    header = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())
    return NOTICE + "\n" + header + "\n" + "\n".join(blocks)


def curie(iri: str) -> str:
    best = max((p for p, ns in PREFIXES.items() if iri.startswith(ns)), key=lambda p: len(PREFIXES[p]), default=None)
    if best:
        local = iri[len(PREFIXES[best]):]
        if re.fullmatch(r"[A-Za-z0-9_][\w-]*", local) and not local.endswith("-"):
            return f"{best}:{local}"
    return f"<{iri}>"


def turtle_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> None:
    dpv_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DPV_DIR
    if not (dpv_dir / "dpv.ttl").is_file():
        sys.exit(f"error: {dpv_dir}: no dpv.ttl here; pass the folder of the DPV 2.3 Turtle files")
    OUTPUT.write_text(build(dpv_dir), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()

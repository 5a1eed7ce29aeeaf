"""What was loaded: per file, how many triples, legal entities, processing activities and processors.

Counts come from SPARQL over each file's named graph, so they describe exactly what each file contributes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ropa.load import RecordGraph
from ropa.namespaces import PREFIXES

_COUNTS = {
    "triples": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "entities": """SELECT ?g (COUNT(DISTINCT ?e) AS ?n) WHERE { GRAPH ?g {
        ?e a ?type VALUES ?type { dpv:LegalEntity dpv:Organisation dpv:DataController dpv:DataProcessor ropa:ServiceProvider } } }
        GROUP BY ?g""",
    "activities": "SELECT ?g (COUNT(DISTINCT ?a) AS ?n) WHERE { GRAPH ?g { ?a a dpv:Process } } GROUP BY ?g",
    "processors": """SELECT ?g (COUNT(DISTINCT ?e) AS ?n) WHERE { GRAPH ?g {
        { ?e a dpv:DataProcessor } UNION { ?e a ropa:ServiceProvider } UNION { ?e a dpv:DataSubProcessor } } }
        GROUP BY ?g""",
}


@dataclass
class FileSummary:
    """The counts for one loaded file."""

    path: str
    kind: str
    triples: int = 0
    entities: int = 0
    activities: int = 0
    processors: int = 0


@dataclass
class Inventory:
    """Per-file counts plus the totals of the merged graph (distinct across files)."""

    files: list[FileSummary]
    total: FileSummary

    def as_dict(self) -> dict:
        return {"files": [asdict(f) for f in self.files], "total": asdict(self.total)}


def inventory(graph: RecordGraph) -> Inventory:
    """Count what each file of the graph contributes, and the distinct totals of the union."""
    summaries = {f.graph.value: FileSummary(path=f.display_path, kind=f.kind) for f in graph.files}
    for field, query in _COUNTS.items():
        for row in graph.store.query(query, prefixes=PREFIXES):
            summary = summaries.get(row["g"].value)
            if summary is not None:
                setattr(summary, field, int(row["n"].value))
    total = FileSummary(path="total (distinct)", kind="all", triples=len(graph))
    for field, query in _COUNTS.items():
        if field == "triples":
            continue
        union = query.replace("GRAPH ?g {", "{").replace("SELECT ?g ", "SELECT ").replace("GROUP BY ?g", "")
        row = next(iter(graph.query(union)))
        setattr(total, field, int(row["n"].value))
    return Inventory(files=list(summaries.values()), total=total)


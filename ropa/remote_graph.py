"""A named graph on a SPARQL 1.1 server, read the way validation reads a loaded record.

``ropa validate --endpoint URL --graph IRI`` runs the compiled checks (ropa.validate) on a server: each check is
one SELECT sent with the SPARQL protocol (``ropa.query.select_remote``, the client ``ropa query --endpoint`` uses),
the named graph given as the default graph (``default-graph-uri``). The labels, organisations and source quotes of
the findings are looked up on the server too, with the same queries as on a loaded record.

What a run adds to a loaded record for its duration (the evaluation date and the verdict on each transfer at that
date, ropa.transfers) cannot be added to a server that only answers queries: ``ropa push`` writes both into the
graph, so a graph written by ``ropa push --as-of DATE`` is validated at DATE.
"""

from __future__ import annotations

import datetime as dt

from ropa import remote
from ropa.errors import RopaError
from ropa.namespaces import sparql_prefixes

DEFAULT_TIMEOUT = 300.0
"""Seconds each request of a validation run may take (one check on a large record can take a while)."""

_EVALUATION = "SELECT DISTINCT ?asOf WHERE { ?evaluation a ropa:Evaluation ; ropa:asOfDate ?asOf }"


class EndpointGraph:
    """The named graph ``graph_iri`` at the query endpoint ``endpoint``: ``query`` and ``select`` as on a
    ``RecordGraph`` (ropa's prefixes declared), ``solutions`` for a query that declares its own prefixes."""

    def __init__(self, endpoint: str, graph_iri: str | None, *, timeout: float = DEFAULT_TIMEOUT):
        remote.check_url(endpoint)
        if graph_iri is not None:
            from ropa.query import _graph_iri

            _graph_iri(graph_iri)   # an absolute IRI, or a one-line error
        self.endpoint = endpoint
        self.graph_iri = graph_iri
        self.timeout = timeout

    def solutions(self, sparql: str, *, name: str = "query") -> tuple[list[str], list[dict]]:
        """The variable names and the rows (name -> RDF term, unbound names left out) of a SELECT."""
        from ropa.query import select_remote

        results = select_remote(sparql, self.endpoint, graph_iri=self.graph_iri, timeout=self.timeout, name=name)
        rows = [{c: v for c, v in zip(results.columns, row) if v is not None} for row in results.rows]
        return results.columns, rows

    def query(self, sparql: str) -> list[dict]:
        """A SELECT's rows as dicts of variable name to RDF term, ropa's prefixes declared."""
        return self.solutions(sparql_prefixes() + sparql)[1]

    def select(self, sparql: str) -> list[dict[str, str | None]]:
        """A SELECT's rows as dicts of variable name to the term's value (None where unbound), as RecordGraph.select."""
        names, rows = self.solutions(sparql_prefixes() + sparql)
        return [{n: (row[n].value if n in row else None) for n in names} for row in rows]

    def evaluation_date(self) -> dt.date:
        """The date the graph's transfer verdicts were judged at (its ropa:Evaluation node, written by push)."""
        dates = sorted({row["asOf"] for row in self.select(_EVALUATION) if row["asOf"]})
        where = f"graph <{self.graph_iri}> at {self.endpoint}" if self.graph_iri else f"the endpoint {self.endpoint}"
        if not dates:
            raise RopaError(f"{where} holds no evaluation date (ropa:Evaluation) and no transfer verdicts: write the "
                            "record there with `ropa push --as-of DATE`, which adds both, then validate it")
        if len(dates) > 1:
            raise RopaError(f"{where} holds more than one evaluation date ({', '.join(dates)}): replace the graph "
                            "with one `ropa push --as-of DATE`")
        try:
            return dt.date.fromisoformat(dates[0])
        except ValueError:
            raise RopaError(f"{where}: its evaluation date '{dates[0]}' is not a date") from None

"""The register as it stood on a date: activities and links outside their validity dates are left out.

Validity dates use the same properties as transfer instruments, ``ropa:validFrom`` and ``ropa:validUntil``
(xsd:date, both days included):

* on an activity (``a dpv:Process``) or an engagement (``a ropa:Engagement``): it is left out, with every triple about it or pointing to it and
  the rdf:Statements that trace its facts;
* on the rdf:Statement that traces a link (e.g. ``dst:destiny-nv ropa:hasSubProcessor dst:microsoft``): the
  linked triple is left out, unless another statement tracing the same triple has dates that include the day
  (a provider engaged twice). The statement itself stays, as history.

Work happens on a copy of the Oxigraph store with SPARQL UPDATE, so the caller's graph is never changed; a
register with nothing out of date on the day is returned as it is (copying a million triples takes seconds).
"""

from __future__ import annotations

import datetime as dt

import pyoxigraph as ox

from ropa.load import RecordGraph
from ropa.namespaces import sparql_prefixes

_OUT_OF_DATE = """
    {{ GRAPH ?gFrom {{ {node} ropa:validFrom ?from }} FILTER(?from > {day}) }}
    UNION {{ GRAPH ?gUntil {{ {node} ropa:validUntil ?until }} FILTER(?until < {day}) }}"""

_STALE_ACTIVITY = """
    {{ SELECT DISTINCT ?activity WHERE {{
        {{ GRAPH ?gType {{ ?activity a dpv:Process }} }} UNION {{ GRAPH ?gType {{ ?activity a ropa:Engagement }} }}
        {out_of_date}
    }} }}"""

_STALE_LINK = """
    {{ SELECT DISTINCT ?s ?p ?o WHERE {{
        GRAPH ?gStatement {{ ?statement rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o }}
        {out_of_date}
        FILTER NOT EXISTS {{
          GRAPH ?gOther {{ ?other rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o }}
          {{ GRAPH ?gDated {{ ?other ropa:validFrom ?anyFrom }} }} UNION {{ GRAPH ?gDated {{ ?other ropa:validUntil ?anyUntil }} }}
          FILTER NOT EXISTS {{ GRAPH ?gOtherFrom {{ ?other ropa:validFrom ?otherFrom }} FILTER(?otherFrom > {day}) }}
          FILTER NOT EXISTS {{ GRAPH ?gOtherUntil {{ ?other ropa:validUntil ?otherUntil }} FILTER(?otherUntil < {day}) }}
        }}
    }} }}"""


def as_of(graph: RecordGraph, date: dt.date) -> RecordGraph:
    """A copy of the graph without the activities and links that are not valid on ``date``.

    When nothing is out of date on that day the graph itself is returned, uncopied: treat the result as read-only.
    """
    day = f'"{date.isoformat()}"^^xsd:date'
    stale_activity = _STALE_ACTIVITY.format(out_of_date=_OUT_OF_DATE.format(node="?activity", day=day))
    stale_link = _STALE_LINK.format(out_of_date=_OUT_OF_DATE.format(node="?statement", day=day), day=day)
    prefixes = sparql_prefixes()
    if not graph.store.query(prefixes + f"ASK {{ {{ {stale_activity} }} UNION {{ {stale_link} }} }}"):
        return graph
    store = ox.Store()
    store.extend(graph.store.quads_for_pattern(None, None, None, None))
    # Links first: a statement about a link must still be readable when its activity goes.
    store.update(prefixes + f"DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ {stale_link} GRAPH ?g {{ ?s ?p ?o }} }}")
    store.update(prefixes + f"""DELETE {{ GRAPH ?g {{ ?statement ?p ?o }} }} WHERE {{
        {stale_activity} GRAPH ?gs {{ ?statement rdf:subject ?activity }} GRAPH ?g {{ ?statement ?p ?o }} }}""")
    # Triples pointing to the activity before its own, which hold the dates that select it.
    store.update(prefixes + f"DELETE {{ GRAPH ?g {{ ?s ?p ?activity }} }} WHERE {{ {stale_activity} GRAPH ?g {{ ?s ?p ?activity }} }}")
    store.update(prefixes + f"DELETE {{ GRAPH ?g {{ ?activity ?p ?o }} }} WHERE {{ {stale_activity} GRAPH ?g {{ ?activity ?p ?o }} }}")
    return RecordGraph(store=store, files=list(graph.files))

"""A read-only SPARQL 1.1 Protocol endpoint over a loaded record, with a deadline and a result-size limit.

``ropa serve`` answers ``/sparql`` with this, so that other tools (YASGUI, spreadsheet and BI tools, another
``ropa query --endpoint``) can ask the record. Only queries are answered: an update (INSERT, DELETE, LOAD, CLEAR,
...) is refused, and so is a query that calls SERVICE (it would reach another server or a file). Each query runs in
a forked copy of the process: the copy sees the record as it is, cannot change it, and is killed when the deadline
passes, which a query running inside the server's own process could not be (Oxigraph has no query timeout). At
most ``max_rows`` solutions (or triples) are returned; a longer answer is cut and says so in a response header.

Result formats: SPARQL JSON, SPARQL XML, CSV and TSV for SELECT and ASK; Turtle and N-Triples for CONSTRUCT and
DESCRIBE; chosen from a ``format`` parameter or the Accept header.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from ropa import safe
from ropa.errors import RopaError
from ropa.load import RecordGraph
from ropa.namespaces import PREFIXES
from ropa.query import local_only

XSD_STRING = PREFIXES["xsd"] + "string"

SOLUTION_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS = {"turtle": "text/turtle", "ntriples": "application/n-triples"}
_ALIASES = {
    "application/sparql-results+json": "json", "application/json": "json", "text/json": "json", "srj": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml", "srx": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
    "text/turtle": "turtle", "application/x-turtle": "turtle", "ttl": "turtle",
    "application/n-triples": "ntriples", "text/plain": "ntriples", "nt": "ntriples", "n-triples": "ntriples",
}

DEFAULT_TIMEOUT = 10.0
"""Seconds a query of the endpoint may run."""
DEFAULT_MAX_ROWS = 10_000
"""Solutions (or triples) an answer holds at most."""

_UPDATE = re.compile(r"(?<![\w:?$.-])(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)(?![\w:.-])",
                     re.IGNORECASE)
_CODE = re.compile(r'\#[^\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                   r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>')


_FROM = re.compile(r"(?<![\w:?$.-])FROM(?![\w:.-])", re.IGNORECASE)


class Refused(RopaError):
    """A request the endpoint does not serve (an update, SERVICE): HTTP 403 or 400."""


class TimedOut(RopaError):
    """The query ran past its deadline: HTTP 503."""


@dataclass
class Answer:
    """A query's answer, serialised: the bytes, their media type, and whether the rows were cut at the limit."""

    body: bytes
    media_type: str
    truncated: bool = False
    count: int = 0
    form: str = "solutions"
    """solutions (SELECT), boolean (ASK) or graph (CONSTRUCT, DESCRIBE)."""


def refuse_updates(sparql: str) -> None:
    """An update is refused before anything runs (the endpoint is read-only); SERVICE likewise."""
    code = _CODE.sub(" ", sparql)
    keyword = _UPDATE.search(code)
    if keyword and not re.search(r"(?<![\w:?$.-])(SELECT|CONSTRUCT|ASK|DESCRIBE)(?![\w:.-])", code, re.IGNORECASE):
        raise Refused(f"the endpoint is read-only: {keyword.group(1).upper()} is an update, and updates are refused",
                      key="error.sparql.update", values={"keyword": keyword.group(1).upper()})
    try:
        local_only(sparql, "query")
    except RopaError as error:
        raise Refused(str(error).replace(" (--allow-service permits it)", ""), key="error.sparql.service") from None


def choose(requested: str | None, accept: str | None, kind: str) -> str:
    """The result format: the ``format`` parameter when given, else the first acceptable type of the Accept
    header, else SPARQL JSON (solutions) or Turtle (triples). An unknown ``format`` is a RopaError."""
    allowed = GRAPH_FORMATS if kind == "graph" else SOLUTION_FORMATS
    if requested:
        name = _ALIASES.get(requested.strip().lower(), requested.strip().lower())
        if name not in allowed:
            raise Refused(f"format '{requested}' does not apply here; choose {', '.join(allowed)}")
        return name
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        name = _ALIASES.get(media)
        if name in allowed:
            return name
    return "turtle" if kind == "graph" else "json"


def execute(graph: RecordGraph, sparql: str, *, fmt: str | None = None, accept: str | None = None,
            max_rows: int = DEFAULT_MAX_ROWS, default_graphs: Sequence[str] = (),
            named_graphs: Sequence[str] = ()) -> Answer:
    """Run one query on the record, in this process, and serialise its answer (see ``answer`` for the deadline).

    Without ``default_graphs`` (or a FROM in the query) the default graph is the union of the record's files (as
    ``ropa query`` sees it); ropa's prefixes are declared. A query that does not parse is a RopaError.
    """
    refuse_updates(sparql)
    options = {"prefixes": PREFIXES}
    if default_graphs:
        options["default_graph"] = [ox.NamedNode(iri) for iri in default_graphs]
    elif not _FROM.search(_CODE.sub(" ", sparql)):   # a query's own FROM names its dataset (graphs, never files)
        options["use_default_graph_as_union"] = True
    if named_graphs:
        options["named_graphs"] = [ox.NamedNode(iri) for iri in named_graphs]
    try:
        result = graph.store.query(sparql, **options)
        if isinstance(result, ox.QuerySolutions):
            name = choose(fmt, accept, "solutions")
            variables = [v.value for v in result.variables]
            rows, truncated = _take(result, max_rows)
            return Answer(solutions(variables, rows, name), SOLUTION_FORMATS[name], truncated, len(rows))
        if isinstance(result, ox.QueryBoolean):
            name = choose(fmt, accept, "solutions")
            return Answer(boolean(bool(result), name), SOLUTION_FORMATS[name], False, 1, form="boolean")
        name = choose(fmt, accept, "graph")
        triples, truncated = _take(result, max_rows)
        rdf_format = ox.RdfFormat.TURTLE if name == "turtle" else ox.RdfFormat.N_TRIPLES
        body = ox.serialize(triples, format=rdf_format, prefixes=PREFIXES if name == "turtle" else None) or b""
        return Answer(body, GRAPH_FORMATS[name], truncated, len(triples), form="graph")
    except SyntaxError as error:
        detail = safe.one_line(str(error))
        raise RopaError(f"the SPARQL does not parse: {detail}", key="error.sparql.syntax", values={"detail": detail}) from None
    except (OSError, RuntimeError, ValueError) as error:
        detail = safe.one_line(str(error))[:500]
        raise RopaError(f"the query failed: {detail}", key="error.sparql.failed", values={"detail": detail}) from None


def _take(results, limit: int) -> tuple[list, bool]:
    taken = []
    for item in results:
        if len(taken) == limit:
            return taken, True
        taken.append(item if not isinstance(item, ox.QuerySolution) else tuple(item))
    return taken, False


def answer(graph: RecordGraph, sparql: str, *, timeout: float = DEFAULT_TIMEOUT, extra: Sequence[ox.Quad] = (),
           **options) -> Answer:
    """``execute`` in a forked copy of this process, killed after ``timeout`` seconds (TimedOut).

    ``extra``: quads the query sees besides the record (the findings and transfer verdicts, in the named graphs
    ``ropa push`` sends them in); they are added to the copy's store only. Where the platform cannot fork, the
    query runs here, without a deadline, and the extra quads are taken out again afterwards.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        graphs = {quad.graph_name for quad in extra}
        graph.store.extend(extra)
        try:
            return execute(graph, sparql, **options)
        finally:
            for name in graphs:
                graph.store.remove_graph(name)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_child, args=(sender, graph, sparql, extra, options), daemon=True)
    worker.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise TimedOut(f"the query ran longer than {timeout:g} seconds and was stopped", key="error.sparql.timeout",
                           values={"seconds": f"{timeout:g}"})
        kind, payload = receiver.recv()
    except EOFError:
        raise RopaError("the query stopped without an answer", key="error.sparql.stopped") from None
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join()
        receiver.close()
    if kind == "answer":
        return payload
    message, key, values = payload
    raise (Refused if kind == "refused" else RopaError)(message, key=key, values=values)


def _child(sender, graph: RecordGraph, sparql: str, extra: Sequence[ox.Quad], options: dict) -> None:
    try:
        graph.store.extend(extra)   # this copy's store only
        sender.send(("answer", execute(graph, sparql, **options)))
    except Refused as error:   # with its catalogue phrase, for a page in another language
        sender.send(("refused", (str(error), error.key, error.values)))
    except RopaError as error:
        sender.send(("error", (str(error), error.key, error.values)))
    except BaseException as error:  # noqa: BLE001 (the parent reports it; the copy must not print a traceback)
        sender.send(("error", (f"the query failed: {type(error).__name__}", "error.sparql.failed",
                               {"detail": type(error).__name__})))
    finally:
        sender.close()


# --- Serialisations ---------------------------------------------------------------------------------------------

def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        found = {"type": "literal", "value": term.value}
        if term.language:
            found["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            found["datatype"] = term.datatype.value
        return found
    return {"type": "triple", "value": str(term)}


def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(safe.visible(term.value))}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            attribute = f" xml:lang={quoteattr(term.language)}"
        elif term.datatype.value != XSD_STRING:
            attribute = f" datatype={quoteattr(term.datatype.value)}"
        else:
            attribute = ""
        return f"<literal{attribute}>{escape(safe.visible(term.value))}</literal>"
    return f"<literal>{escape(safe.visible(str(term)))}</literal>"


def _plain(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value if isinstance(term, (ox.NamedNode, ox.Literal)) else str(term)


def solutions(variables: list[str], rows: list[tuple], fmt: str) -> bytes:
    """SELECT solutions in one of SOLUTION_FORMATS (None in a row: the variable is unbound)."""
    if fmt == "json":
        bindings = [{v: _json_term(t) for v, t in zip(variables, row) if t is not None} for row in rows]
        return safe.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}).encode("utf-8")
    if fmt == "xml":
        out = ['<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
               "<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in variables) + "</head>", "<results>"]
        for row in rows:
            out.append("<result>" + "".join(f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                                            for v, t in zip(variables, row) if t is not None) + "</result>")
        out.append("</results>\n</sparql>\n")
        return "\n".join(out).encode("utf-8")
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(variables)
        writer.writerows([safe.csv_cell(_plain(t)) for t in row] for row in rows)
        return text.getvalue().encode("utf-8")
    if fmt == "tsv":   # terms in their N-Triples form, which escapes tabs and line breaks
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise RopaError(f"unknown result format '{fmt}'")


def boolean(value: bool, fmt: str) -> bytes:
    """An ASK answer in one of SOLUTION_FORMATS (CSV and TSV: the word, as most servers write it)."""
    word = "true" if value else "false"
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode("utf-8")
    if fmt == "xml":
        return (f'<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{word}</boolean></sparql>\n").encode("utf-8")
    return f"{word}\n".encode("utf-8")

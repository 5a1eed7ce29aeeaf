"""Validate stage: check the record against the SHACL shapes and return findings a compliance officer can act on.

Two engines give the same results:

* ``fast`` (default) runs each shape once over all its focus nodes, as one SPARQL query on the Oxigraph store.
  Shapes use a small part of SHACL (targets, sh:minCount, sh:maxCount, sh:class, sh:datatype, sh:nodeKind, sh:pattern,
  sh:hasValue, sh:or of such property shapes, and SPARQL-based constraints); a query per shape replaces
  pyshacl's query per focus node, which is what makes a million triples fit in seconds.
* ``pyshacl`` runs pyshacl on the same Oxigraph store. It serves any shape outside that subset (the fast engine
  hands the whole run to it then) and is the reference the fast engine is tested against.

The evaluation date (``as_of``) is added to the graph as a ``ropa:Evaluation`` node for the duration of the run, so
that shapes about transfer instruments and waivers can compare dates in SPARQL, together with the verdict on each
transfer at that date (``ropa.transfers``, the one definition of a valid transfer basis) for the transfer shapes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

from ropa import resources
from ropa.remote_graph import EndpointGraph
from ropa.errors import RopaError
from ropa.load import RecordGraph, display_path
from ropa.namespaces import PREFIXES, ROPA, shorten
from ropa.retention_policy import RetentionPolicy

SEVERITIES = ("violation", "warning", "info")
"""From most to least severe; Violation = the GDPR says must, Warning = where possible/applicable, Info = good practice."""

EVALUATION_GRAPH = ox.NamedNode("urn:ropa:evaluation")
ROPA_NS = rdflib.Namespace(ROPA)
_SEVERITY_NAMES = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}


@dataclass(frozen=True)
class Source:
    """Where the focus node's facts were taken from."""

    file: str
    section: str
    quote: str


@dataclass(frozen=True)
class Finding:
    """One result of validation, with what a person needs to understand and fix it."""

    check: str
    severity: str
    focus: str
    message: str
    path: str | None = None
    value: str | None = None
    field: str = ""
    article: str = ""
    fix: str = ""
    focus_label: str = ""
    entity: str | None = None
    entity_label: str = ""
    activity: str | None = None
    activity_label: str = ""
    source: Source | None = None
    waiver: object | None = None

    @property
    def id(self) -> str:
        """A stable identifier for waivers: the check, the focus node and (when there is one) the path."""
        parts = [self.check, shorten(self.focus)]
        if self.path:
            parts.append(shorten(self.path))
        return " ".join(parts)

    @property
    def waived(self) -> bool:
        return self.waiver is not None

    def key(self) -> tuple:
        """What two engines must agree on: focus node, path, severity, check and value."""
        return (self.focus, self.path or "", self.severity, self.check, self.value or "")


@dataclass
class Report:
    """All findings of one run, most severe first, with the date they were judged at."""

    findings: list[Finding]
    as_of: dt.date
    engine: str
    shapes: list[str] = field(default_factory=list)

    def counts(self, *, include_waived: bool = False) -> dict[str, int]:
        counts = {severity: 0 for severity in SEVERITIES}
        for finding in self.findings:
            if include_waived or not finding.waived:
                counts[finding.severity] += 1
        counts["waived"] = sum(1 for f in self.findings if f.waived)
        return counts

    def fails(self, threshold: str) -> bool:
        """True when an unwaived finding is at or above the threshold severity."""
        limit = SEVERITIES.index(threshold)
        return any(not f.waived and SEVERITIES.index(f.severity) <= limit for f in self.findings)


# --- Shapes ---------------------------------------------------------------------------------------------------

def shape_files(paths: Iterable[str | Path] | None = None) -> list[Path]:
    """The shapes files to use: the bundled ones, or the files and folders given."""
    if paths is None:
        return sorted(resources.shapes_dir().glob("*.ttl"))
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(path.glob("*.ttl")))
        elif path.is_file():
            files.append(path)
        else:
            raise RopaError("no such shapes file or folder", path=str(path))
    if not files:
        raise RopaError("no shapes (*.ttl) found", path=", ".join(str(p) for p in paths))
    return files


def load_shapes(files: Sequence[Path]) -> rdflib.Graph:
    """Parse the shapes into one rdflib graph; a broken file is a RopaError with its line."""
    graph = rdflib.Graph()
    for path in files:
        try:
            # Oxigraph reports the line and column of a syntax error; rdflib then builds the graph pyshacl needs.
            for _ in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
                pass
            graph.parse(str(path), format="turtle")
        except SyntaxError as error:
            message = re.sub(r"^Parser error [^:]*: ", "", error.msg or str(error))
            raise RopaError(f"broken shapes file: {message}", path=display_path(path), line=error.lineno) from None
        except (OSError, UnicodeDecodeError) as error:
            raise RopaError(f"cannot read shapes file: {error}", path=display_path(path)) from None
    return graph


# --- Running --------------------------------------------------------------------------------------------------

def validate(
    graph: RecordGraph,
    *,
    as_of: dt.date | None = None,
    shapes: Iterable[str | Path] | None = None,
    engine: str = "fast",
    retention_policy: RetentionPolicy | None = None,
    allow_service: bool = False,
) -> Report:
    """Validate the graph against the shapes at the evaluation date (today by default), and against the
    organisation's retention policy when one is given. A shape's SPARQL may not call SERVICE unless
    ``allow_service``: validation reads the record, not the network or the file system."""
    as_of = as_of or dt.date.today()
    files = shape_files(shapes)
    shapes_graph = load_shapes(files)
    check_local_sparql(shapes_graph, allow_service=allow_service)
    if engine not in ("fast", "pyshacl"):
        raise RopaError(f"unknown engine '{engine}'; choose fast or pyshacl")
    compiled = compile_shapes(shapes_graph) if engine == "fast" else None
    used = "fast" if compiled is not None else "pyshacl"
    with evaluation_context(graph, as_of, retention_policy):
        raw = run_queries(graph, compiled) if compiled is not None else run_pyshacl(graph, shapes_graph)
    findings = describe(graph, shapes_graph, raw)
    return Report(findings=findings, as_of=as_of, engine=used, shapes=[display_path(p) for p in files])


def validate_endpoint(
    endpoint: str,
    graph_iri: str | None,
    *,
    as_of: dt.date | None = None,
    shapes: Iterable[str | Path] | None = None,
    timeout: float | None = None,
    allow_service: bool = False,
) -> Report:
    """Validate the named graph ``graph_iri`` on a SPARQL 1.1 server with the compiled checks, one SELECT each.

    The graph must hold what ``ropa push`` writes besides the record: the evaluation date and the transfer verdicts
    at that date (``as_of``, when given, must be that date). The findings are those of an embedded run of the same
    record at that date (docs/servers.md lists the servers this is tested on).
    """
    from ropa.remote_graph import DEFAULT_TIMEOUT

    files = shape_files(shapes)
    shapes_graph = load_shapes(files)
    check_local_sparql(shapes_graph, allow_service=allow_service)
    compiled = compile_shapes(shapes_graph)
    if compiled is None:
        raise RopaError("the shapes use SHACL that ropa does not compile to SPARQL; --endpoint runs compiled checks "
                        "only (validate a loaded record with --engine pyshacl instead)")
    graph = EndpointGraph(endpoint, graph_iri, timeout=timeout or DEFAULT_TIMEOUT)
    judged = graph.evaluation_date()
    if as_of is not None and as_of != judged:
        raise RopaError(f"the graph's transfer verdicts were judged at {judged.isoformat()}, not at {as_of.isoformat()}: "
                        f"validate at that date, or push the record again with --as-of {as_of.isoformat()}")
    findings = describe(graph, shapes_graph, run_queries(graph, compiled))
    return Report(findings=findings, as_of=judged, engine="fast", shapes=[display_path(p) for p in files])


def check_local_sparql(shapes: rdflib.Graph, *, allow_service: bool = False) -> None:
    """Every SPARQL text of the shapes (constraints, targets, functions) is refused if it calls SERVICE."""
    from ropa.query import local_only

    for predicate in (SH.select, SH.ask, SH.construct, SH.update):
        for node, text in shapes.subject_objects(predicate):
            owner = next((s for s in shapes.subjects(None, node) if isinstance(s, rdflib.URIRef)), node)
            local_only(str(text), f"shape {shorten(_name(owner))} ({shorten(str(predicate))})", allow_service=allow_service)


class evaluation_context:
    """Add the ropa:Evaluation node (the as-of date), the transfer verdicts at that date and the retention policy's
    ceilings (ropa:RetentionCeiling) to the store for one run, and take them out afterwards."""

    def __init__(self, graph: RecordGraph, as_of: dt.date, retention_policy: RetentionPolicy | None = None, *,
                 verdicts: bool = True):
        self.graph = graph
        self.store = graph.store
        self.as_of = as_of
        self.ceilings = retention_policy.ceilings if retention_policy is not None else ()
        self.verdicts = verdicts
        """False: the caller writes the verdicts into EVALUATION_GRAPH itself (``ropa validate --store`` reuses
        those of its last run when no changed triple can alter them)."""

    def __enter__(self):
        from ropa.transfers import load_verdicts

        # One verdict per transfer (ropa.transfers), written before the run so that the shapes read it.
        if self.verdicts:
            load_verdicts(self.graph, self.as_of, EVALUATION_GRAPH, bases=False)
        node = ox.NamedNode("urn:ropa:evaluation:run")
        self.store.add(ox.Quad(node, ox.NamedNode(str(RDF.type)), ox.NamedNode(ROPA + "Evaluation"), EVALUATION_GRAPH))
        self.store.add(
            ox.Quad(node, ox.NamedNode(ROPA + "asOfDate"),
                    ox.Literal(self.as_of.isoformat(), datatype=ox.NamedNode(PREFIXES["xsd"] + "date")), EVALUATION_GRAPH)
        )
        for number, ceiling in enumerate(self.ceilings, start=1):
            node = ox.NamedNode(f"urn:ropa:evaluation:ceiling:{number}")
            for predicate, value in (
                (str(RDF.type), ox.NamedNode(ROPA + "RetentionCeiling")),
                (ceiling.property, ox.NamedNode(ceiling.concept)),
                (ROPA + "maximumDuration", ox.Literal(ceiling.maximum, datatype=ox.NamedNode(PREFIXES["xsd"] + "duration"))),
            ):
                self.store.add(ox.Quad(node, ox.NamedNode(predicate), value, EVALUATION_GRAPH))
        return self

    def __exit__(self, *exc):
        self.store.clear_graph(EVALUATION_GRAPH)
        self.store.remove_graph(EVALUATION_GRAPH)
        return False


@dataclass(frozen=True)
class RawResult:
    """A result as an engine reports it, before labels and sources are looked up."""

    shape: str
    constraint: str
    severity: str
    focus: str
    path: str | None
    value: str | None
    message: str


# --- Fast engine: one SPARQL query per shape ------------------------------------------------------------------

@dataclass(frozen=True)
class CompiledCheck:
    """A shape (or one constraint of it) as a SPARQL query whose rows are results."""

    shape: str
    constraint: str
    severity: str
    query: str
    path: str | None
    message: str
    target: str = ""
    """The focus-node pattern inside ``query``: a DISTINCT sub-select (binding ?this once per focus node)."""
    flat_target: str = ""
    """The same focus nodes as one flat group pattern (a UNION of the targets), possibly repeated."""
    written: str = field(default="", compare=False, repr=False)
    """The query before its FILTER NOT EXISTS were written as MINUS, for a run with ?this bound to one focus node:
    the DISTINCT target then binds it once (the flat one repeats it for every link into it: 5 s for a provider two
    thousand activities name, at a million triples) and a FILTER NOT EXISTS reads that node's triples, where a
    MINUS reads the whole record."""
    bound: tuple[str, ...] = field(default=("this",), compare=False, repr=False)
    """Variables every solution of the query's WHERE clause binds before its FILTER NOT EXISTS (?this, and ?value
    where a triple pattern at the top binds it): a FILTER NOT EXISTS that shares only these is run as MINUS."""

    def __post_init__(self):
        object.__setattr__(self, "written", self.query)
        object.__setattr__(self, "query", _as_minus(self.query, self.bound))

    @property
    def flat_query(self) -> str:
        """The query with the flat focus-node pattern: what servers get (some evaluate FILTER NOT EXISTS after a
        nested sub-select wrongly) and what the incremental run reads and restricts. Its rows are the same, possibly
        repeated (the projections are DISTINCT where it matters: findings are kept once)."""
        return self.query.replace(self.target, self.flat_target) if self.target else self.query


_ANNOTATIONS = {
    RDF.type, RDFS.label, RDFS.comment, SH.name, SH.description, SH.message, SH.severity, SH.order, SH.group,
    ROPA_NS.article, ROPA_NS.fixHint,
}
_NODE_KEYS = _ANNOTATIONS | {SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target,
                             SH.property, SH.sparql, SH["or"], SH.deactivated}
_PROPERTY_KEYS = _ANNOTATIONS | {SH.path, SH.minCount, SH.maxCount, SH["class"], SH.datatype, SH.nodeKind, SH.pattern,
                                 SH.flags, SH.hasValue, SH.deactivated}
_NODE_KINDS = {
    SH.IRI: "isIRI(?value)", SH.BlankNode: "isBlank(?value)", SH.Literal: "isLiteral(?value)",
    SH.BlankNodeOrIRI: "!isLiteral(?value)", SH.BlankNodeOrLiteral: "!isIRI(?value)", SH.IRIOrLiteral: "!isBlank(?value)",
}


class _Unsupported(Exception):
    """A shape uses SHACL the fast engine does not translate: the run goes to pyshacl."""


def compile_shapes(shapes: rdflib.Graph) -> list[CompiledCheck] | None:
    """Translate every shape into SPARQL, or None when any shape is outside the supported subset."""
    try:
        checks: list[CompiledCheck] = []
        for shape in sorted(set(shapes.subjects(RDF.type, SH.NodeShape)), key=str):
            if (shape, SH.deactivated, rdflib.Literal(True)) in shapes:
                continue
            checks.extend(_compile_node_shape(shapes, shape))
        return checks
    except _Unsupported:
        return None


def _compile_node_shape(g: rdflib.Graph, shape) -> list[CompiledCheck]:
    _require_keys(g, shape, _NODE_KEYS)
    flat = _target_pattern(g, shape)
    if flat is None:
        return []
    target = f"{{ {_distinct_focus_nodes(flat)} }}"
    severity = _severity(g, shape)
    prologue = _prologue(g, shape)
    checks: list[CompiledCheck] = []
    for prop in g.objects(shape, SH.property):
        if (prop, SH.deactivated, rdflib.Literal(True)) in g:
            continue
        checks.extend(_compile_property_shape(g, shape, prop, target, flat, prologue))
    alternatives = list(g.objects(shape, SH["or"]))
    for alternative in alternatives:
        conditions = []
        for member in Collection(g, alternative):
            _require_keys(g, member, _PROPERTY_KEYS)
            conditions.append(_property_holds(g, member))
        query = f"{prologue}SELECT DISTINCT ?this WHERE {{ {target} FILTER(!({' || '.join(conditions)})) }}"
        checks.append(CompiledCheck(_name(shape), _name(alternative), severity, query, None, _message(g, shape), target,
                                    flat))
    for constraint in g.objects(shape, SH.sparql):
        select = g.value(constraint, SH.select)
        if select is None:
            raise _Unsupported()
        query = _join_target(str(select), target, _prologue(g, constraint) or prologue)
        message = _message(g, constraint) or _message(g, shape)
        checks.append(CompiledCheck(_name(shape), _name(constraint), severity, query, None, message, target, flat))
    return checks


def _distinct_focus_nodes(flat: str) -> str:
    """The focus nodes of a flat target pattern as a DISTINCT sub-select, for the embedded store. A target of one
    part has its FILTER NOT EXISTS that share only ?this written as MINUS (as checks have, see _as_minus): the
    controllers an activity names were tested one link at a time (0.26 s at a million triples, 0.1 s as MINUS)."""
    single = re.fullmatch(r"\{ (\{.*\}) \}", flat, flags=re.DOTALL)
    if single is not None and " UNION " not in flat:
        return _as_minus(f"SELECT DISTINCT ?this WHERE {single.group(1)}")
    return f"SELECT DISTINCT ?this WHERE {flat}"


def _compile_property_shape(g, shape, prop, target: str, flat: str, prologue: str) -> list[CompiledCheck]:
    _require_keys(g, prop, _PROPERTY_KEYS)
    path_iri = g.value(prop, SH.path)
    path = _path(g, path_iri)
    severity = _severity(g, prop)  # a property shape is a shape: without sh:severity it reports violations
    message = _message(g, prop) or _message(g, shape)
    name = _name(prop)
    path_name = str(path_iri) if isinstance(path_iri, rdflib.URIRef) else None
    checks = []

    def add(body: str, projection: str = "?this", bound: tuple[str, ...] = ("this",)) -> None:
        query = f"{prologue}SELECT DISTINCT {projection} WHERE {{ {target} {body} }}"
        checks.append(CompiledCheck(name, name, severity, query, path_name, message, target, flat, bound=bound))

    minimum = g.value(prop, SH.minCount)
    if minimum is not None:
        count = int(minimum)
        if count == 1:
            add(f"FILTER NOT EXISTS {{ ?this {path} ?any }}")
        elif count > 1:
            add(f"{{ SELECT ?this (COUNT(DISTINCT ?any) AS ?n) WHERE {{ {target} OPTIONAL {{ ?this {path} ?any }} }} "
                f"GROUP BY ?this }} FILTER(?n < {count})")
    maximum = g.value(prop, SH.maxCount)
    if maximum is not None:
        add(f"{{ SELECT ?this (COUNT(DISTINCT ?any) AS ?n) WHERE {{ {target} ?this {path} ?any }} GROUP BY ?this }} "
            f"FILTER(?n > {int(maximum)})")
    for cls in g.objects(prop, SH["class"]):
        # ?value is bound by the pattern before: the instances of the class are found once for the record (MINUS)
        # instead of walking the class hierarchy up from every value (83,000 at a million triples: 0.25 s, 0.12 s).
        add(f"?this {path} ?value FILTER NOT EXISTS {{ ?value rdf:type/rdfs:subClassOf* <{cls}> }}", "?this ?value",
            bound=("this", "value"))
    for datatype in g.objects(prop, SH.datatype):
        add(f"?this {path} ?value FILTER(!isLiteral(?value) || DATATYPE(?value) != <{datatype}>)", "?this ?value")
    for kind in g.objects(prop, SH.nodeKind):
        if kind not in _NODE_KINDS:
            raise _Unsupported()
        add(f"?this {path} ?value FILTER(!({_NODE_KINDS[kind]}))", "?this ?value")
    for pattern in g.objects(prop, SH.pattern):
        flags = g.value(prop, SH.flags)
        regex = f"REGEX(STR(?value), {_literal(str(pattern))}" + (f", {_literal(str(flags))})" if flags else ")")
        add(f"?this {path} ?value FILTER(isBlank(?value) || !{regex})", "?this ?value")
    for value in g.objects(prop, SH.hasValue):
        add(f"FILTER NOT EXISTS {{ ?this {path} {_term(value)} }}")
    return checks


def _property_holds(g, member) -> str:
    """A SPARQL condition that is true when the focus node satisfies a property shape of sh:minCount/sh:hasValue."""
    path = _path(g, g.value(member, SH.path))
    allowed = {RDF.type, SH.path, SH.minCount, SH.hasValue}
    if set(g.predicates(member, None)) - allowed:
        raise _Unsupported()
    conditions = []
    minimum = g.value(member, SH.minCount)
    if minimum is not None and int(minimum) > 1:
        raise _Unsupported()
    if minimum is not None and int(minimum) == 1:
        conditions.append(f"EXISTS {{ ?this {path} ?any }}")
    for value in g.objects(member, SH.hasValue):
        conditions.append(f"EXISTS {{ ?this {path} {_term(value)} }}")
    return "(" + " && ".join(conditions or ["true"]) + ")"


def _target_pattern(g, shape) -> str | None:
    """A group pattern binding ?this to every focus node of the shape (SHACL 2.1.3), or None when it has no target."""
    parts = []
    for cls in g.objects(shape, SH.targetClass):
        parts.append(f"{{ ?this rdf:type/rdfs:subClassOf* <{cls}> }}")
    for node in g.objects(shape, SH.targetNode):
        parts.append(f"{{ VALUES ?this {{ {_term(node)} }} }}")
    for predicate in g.objects(shape, SH.targetSubjectsOf):
        parts.append(f"{{ ?this <{predicate}> [] }}")
    for predicate in g.objects(shape, SH.targetObjectsOf):
        parts.append(f"{{ [] <{predicate}> ?this }}")
    for target in g.objects(shape, SH.target):
        select = g.value(target, SH.select)
        if select is None or (target, RDF.type, SH.SPARQLTarget) not in g:
            raise _Unsupported()
        parts.append(f"{{ {_strip_select(str(select))} }}")
    if not parts:
        return None
    return "{ " + " UNION ".join(parts) + " }"


_SIMPLE_TARGET = re.compile(r"^\s*SELECT\s+(?:DISTINCT\s+)?[?$]this\s+WHERE\s*\{(?P<body>.*)\}\s*$",
                            re.IGNORECASE | re.DOTALL)
_VARIABLES = re.compile(
    r"(?P<skip>#[^\n]*"                                    # a comment
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'                     # long strings
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'                               # short strings
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>)'                        # an IRI
    r"|[?$](?P<name>[A-Za-z_]\w*)"                         # a variable
)


def _strip_select(select: str) -> str:
    """A SPARQL-based target as a flat group pattern: the body of ``SELECT ?this WHERE { ... }`` with its other
    variables renamed apart, so that they cannot meet the constraint's; any other SELECT stays a subquery.

    Flat, because some servers evaluate FILTER NOT EXISTS wrongly after a nested sub-select (docs/servers.md);
    the outer queries are DISTINCT, so the repeated focus nodes a flat pattern may give change no finding.
    """
    match = _SIMPLE_TARGET.match(select)
    if match is None or re.search(r"\b(SELECT|GROUP\s+BY|ORDER\s+BY|LIMIT|OFFSET|HAVING)\b",
                                  _VARIABLES.sub(lambda m: " " if m.group("skip") else m.group(0), match.group("body")),
                                  re.IGNORECASE):
        return select.strip()

    def rename(found: re.Match) -> str:
        name = found.group("name")
        if name is None or name == "this":
            return found.group(0)
        return f"?{name}_target"

    return _VARIABLES.sub(rename, match.group("body")).strip()


_NOT_EXISTS = re.compile(r"FILTER\s+NOT\s+EXISTS\s*\{", re.IGNORECASE)


def _as_minus(query: str, bound: Sequence[str] = ("this",)) -> str:
    """The query with each FILTER NOT EXISTS at the top of its WHERE clause that shares no variable but ?this (or
    others of ``bound``, which every solution binds before it) with the rest of the query written as MINUS, which
    means the same then (a solution is removed exactly when the group matches for its values of those variables),
    and which Oxigraph evaluates once for the record instead of once per focus node (LawfulBasis: 13 times faster at
    100k triples). Shapes cannot say MINUS themselves (SHACL 5.3.1.1). A shape
    whose candidates are few and whose NOT EXISTS group reads much of the record writes ``FILTER(NOT EXISTS {...})``,
    which stays a test per solution."""
    where = re.search(r"\bWHERE\s*\{", query, flags=re.IGNORECASE)
    if where is None:
        return query
    spans = []   # (start of FILTER, end after its closing brace) at depth 1
    depth, position = 1, where.end()
    tokens = _VARIABLES   # comments, strings and IRIs are skipped whole
    while position < len(query) and depth > 0:
        char = query[position]
        token = tokens.match(query, position)
        if token is not None and token.group("skip"):
            position = token.end()
            continue
        if depth == 1 and (found := _NOT_EXISTS.match(query, position)):
            end = _closing(query, found.end())
            if end is None:
                return query
            spans.append((position, found.end(), end))
            position = end
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        position += 1
    outside = "".join(query[b:a] for (_, _, b), (a, _, _) in zip([(0, 0, 0), *spans], [*spans, (len(query), 0, 0)]))
    for start, body, end in reversed(spans):
        inside = query[body:end - 1]
        rest = outside   # the other NOT EXISTS groups are scopes of their own
        shared = _variables(inside) & _variables(rest)
        if shared and shared <= set(bound):
            query = query[:start] + "MINUS {" + inside + "}" + query[end:]
    return query


def _closing(query: str, position: int) -> int | None:
    """The index after the brace that closes the group opened just before ``position``."""
    depth = 1
    while position < len(query):
        token = _VARIABLES.match(query, position)
        if token is not None and token.group("skip"):
            position = token.end()
            continue
        depth += {"{": 1, "}": -1}.get(query[position], 0)
        position += 1
        if depth == 0:
            return position
    return None


def _variables(text: str) -> set[str]:
    return {m.group("name") for m in _VARIABLES.finditer(text) if m.group("name")}


def _join_target(select: str, target: str, prologue: str) -> str:
    """Put the target pattern first in the constraint's WHERE clause, so $this is bound for every focus node."""
    match = re.search(r"\bWHERE\s*\{", select, flags=re.IGNORECASE)
    if match is None:
        raise _Unsupported()
    return prologue + select[: match.end()] + " " + target + " " + select[match.end():]


def _path(g, path) -> str:
    """A SHACL property path (IRI, sequence, inverse, alternative, zero/one-or-more) as a SPARQL path."""
    if isinstance(path, rdflib.URIRef):
        return f"<{path}>"
    if path is None:
        raise _Unsupported()
    if (path, RDF.first, None) in g:
        return "(" + "/".join(_path(g, step) for step in Collection(g, path)) + ")"
    inverse = g.value(path, SH.inversePath)
    if inverse is not None:
        return f"^{_path(g, inverse)}"
    alternatives = g.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_path(g, step) for step in Collection(g, alternatives)) + ")"
    for predicate, suffix in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = g.value(path, predicate)
        if inner is not None:
            return f"({_path(g, inner)}){suffix}"
    raise _Unsupported()


def _prologue(g, node) -> str:
    """PREFIX declarations: rdf/rdfs for the generated patterns, plus the shape's sh:prefixes declarations."""
    lines = {"rdf": str(RDF), "rdfs": str(RDFS)}
    for ontology in g.objects(node, SH.prefixes):
        for declaration in g.objects(ontology, SH.declare):
            prefix, namespace = g.value(declaration, SH.prefix), g.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                lines[str(prefix)] = str(namespace)
    for target in g.objects(node, SH.target):
        for ontology in g.objects(target, SH.prefixes):
            for declaration in g.objects(ontology, SH.declare):
                lines[str(g.value(declaration, SH.prefix))] = str(g.value(declaration, SH.namespace))
    return "".join(f"PREFIX {prefix}: <{namespace}>\n" for prefix, namespace in sorted(lines.items()))


def _require_keys(g, node, allowed) -> None:
    if set(g.predicates(node, None)) - allowed:
        raise _Unsupported()


def _severity(g, node) -> str:
    return _SEVERITY_NAMES.get(g.value(node, SH.severity), "violation")


def _message(g, node) -> str:
    messages = list(g.objects(node, SH.message))
    for message in messages:
        if isinstance(message, rdflib.Literal) and message.language in (None, "en"):
            return str(message)
    return str(messages[0]) if messages else ""


def _name(node) -> str:
    return str(node) if isinstance(node, rdflib.URIRef) else f"_:{node}"


def _term(node) -> str:
    if isinstance(node, rdflib.URIRef):
        return f"<{node}>"
    if isinstance(node, rdflib.Literal):
        return node.n3()
    raise _Unsupported()


def _literal(text: str) -> str:
    return rdflib.Literal(text).n3()


def run_queries(graph: RecordGraph | EndpointGraph, checks: list[CompiledCheck], *,
                this: ox.NamedNode | ox.BlankNode | None = None, workers: int = 1) -> list[RawResult]:
    """Run each compiled check over the union of all graphs (or on a server's graph); each row is one result.
    With ``this`` (embedded store only), the check's query as written runs for that one focus node, bound to ?this.
    On a loaded record the checks may run ``workers`` at a time (Oxigraph evaluates a query without holding Python's
    global lock); the results are in the order of the checks whatever the number. One at a time is the default: at a
    million triples two threads took 2 s more CPU (12.5 s against 10.5 s) and no less time on a quiet 2-core machine."""
    results: list[RawResult] = []
    if this is not None:
        rows = [(check, _check_rows(graph, check, this=this)) for check in checks]
    else:
        workers = max(1, workers)
        with shared_focus_nodes(graph, checks, workers=workers) as queries:
            answers = _each(lambda check: _check_rows(graph, check, target=queries.get(check.target)), checks, workers)
        rows = list(zip(checks, answers))
    for check, answer in rows:
        for values in answer:
            focus = values.get("this")
            if focus is None:
                continue
            focus_name = focus.value if isinstance(focus, ox.NamedNode) else f"_:{focus.value}"
            path = values.get("path")
            value = values.get("value")
            results.append(RawResult(
                shape=check.shape,
                constraint=check.constraint,
                severity=check.severity,
                focus=focus_name,
                path=path.value if path is not None else check.path,
                value=value.value if value is not None else None,
                message=_fill(check.message, values),
            ))
    return results


def _each(function: Callable, items: Sequence, workers: int) -> list:
    """``[function(item) for item in items]``, evaluated by ``workers`` threads; the first failure in the order of
    the items is raised (as a loop would raise it), and the items not yet started are dropped."""
    if workers <= 1 or len(items) < 2:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ropa-check") as pool:
        futures = [pool.submit(function, item) for item in items]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise


FOCUS_GRAPH = ox.NamedNode("urn:ropa:evaluation:focus")
"""The focus nodes of the targets several checks share, for the duration of one run (see shared_focus_nodes)."""
_FOCUS_OF = ox.NamedNode("urn:ropa:evaluation:focusOf")
_PROLOGUE = re.compile(r"(?:\s*PREFIX[^\n]*\n)*", re.IGNORECASE)


class shared_focus_nodes:
    """Evaluate once each target that several of the checks share and whose pattern filters its candidates (the
    activities a controller records: 19 checks), and write its focus nodes to FOCUS_GRAPH for the run; entering
    gives, per such target, the pattern that reads them back. Evaluated again by every check, that target cost more
    than a tenth of a second each at a million triples; read back, a few milliseconds.

    Only on a loaded record (a server's graph is read, never written); the nodes are taken out again on exit. Like
    the transfer verdicts, they are triples in the union graph while the checks run: a shape that reads every link
    into a node (?s ?p $this) sees them too.
    """

    def __init__(self, graph: RecordGraph | EndpointGraph, checks: Sequence[CompiledCheck], *, workers: int = 1):
        self.store = graph.store if isinstance(graph, RecordGraph) else None
        self.workers = workers
        uses: dict[str, int] = {}
        for check in checks:
            if check.target and "FILTER" in check.flat_target:
                uses[check.target] = uses.get(check.target, 0) + 1
        shared = {target for target, count in uses.items() if count > 1} if self.store is not None else set()
        self.prologues = {}   # per shared target, the PREFIX declarations of a check that has it
        for check in checks:
            if check.target in shared:
                self.prologues.setdefault(check.target, _PROLOGUE.match(check.query).group(0))

    def __enter__(self) -> dict[str, str]:
        queries: dict[str, str] = {}
        targets = list(self.prologues.items())
        for number, ((target, _), focus_nodes) in enumerate(zip(targets, _each(self._focus_nodes, targets, self.workers)),
                                                            start=1):
            if focus_nodes is None:
                continue   # each check then runs its own target, and reports what is wrong with it
            node = ox.NamedNode(f"urn:ropa:evaluation:target:{number}")
            self.store.extend([ox.Quad(node, _FOCUS_OF, this, FOCUS_GRAPH) for this in focus_nodes])
            queries[target] = f"{{ SELECT ?this WHERE {{ <{node.value}> <{_FOCUS_OF.value}> ?this }} }}"
        return queries

    def _focus_nodes(self, item: tuple[str, str]) -> list | None:
        """The focus nodes of one shared target (None when its query fails)."""
        target, prologue = item
        select = target.strip()[1:-1]   # the DISTINCT sub-select without its braces
        try:
            return [row["this"] for row in self.store.query(prologue + select, use_default_graph_as_union=True)]
        except (SyntaxError, OSError, RuntimeError, ValueError):
            return None

    def __exit__(self, *exc) -> bool:
        if self.prologues:
            self.store.clear_graph(FOCUS_GRAPH)
            self.store.remove_graph(FOCUS_GRAPH)
        return False


def _check_rows(graph: RecordGraph | EndpointGraph, check: CompiledCheck, target: str | None = None,
                this: ox.NamedNode | ox.BlankNode | None = None) -> list[dict]:
    """Every row of a check's answer as a dict of its bound variables (read here: solutions are computed lazily);
    with ``target``, the check reads its focus nodes from that pattern instead of its own target; with ``this``, its
    query as written (``CompiledCheck.written``) runs for that one focus node."""
    if isinstance(graph, EndpointGraph):
        try:
            return graph.solutions(check.flat_query, name=f"shape {shorten(check.shape)}")[1]
        except RopaError as error:
            raise RopaError(f"{error.message}{_SERVER_HINT}") from None
    try:
        if this is not None:
            solutions = graph.store.query(check.written, use_default_graph_as_union=True,
                                          substitutions={ox.Variable("this"): this})
        else:
            query = check.query.replace(check.target, target) if target else check.query
            solutions = graph.store.query(query, use_default_graph_as_union=True)
        if not isinstance(solutions, ox.QuerySolutions):
            raise RopaError(f"shape {shorten(check.shape)}: its sh:select must be a SELECT query")
        names = [v.value for v in solutions.variables]
        return [{name: term for name, term in zip(names, row) if term is not None} for row in solutions]
    except SyntaxError as error:
        raise RopaError(f"shape {shorten(check.shape)}: its SPARQL does not parse: {_first_line(error)}") from None
    except (OSError, RuntimeError, ValueError) as error:
        raise RopaError(f"shape {shorten(check.shape)}: its SPARQL failed: {_first_line(error)}") from None


_SERVER_HINT = " (docs/servers.md lists the servers known to answer every check)"


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:300] if lines else type(error).__name__


def _fill(message: str, values: dict) -> str:
    """Replace {?var} and {$var} in a message with the row's values (SHACL 5.3.2)."""
    def substitute(match: re.Match) -> str:
        term = values.get(match.group(1))
        return term.value if term is not None else match.group(0)

    return re.sub(r"\{[?$](\w+)\}", substitute, message)


# --- pyshacl engine -------------------------------------------------------------------------------------------

def run_pyshacl(graph: RecordGraph, shapes: rdflib.Graph) -> list[RawResult]:
    """Run pyshacl on the Oxigraph store (union of all graphs), with the constant-time truth test."""
    import pyshacl

    data = _oxigraph_data_graph(graph.store)
    # inplace: without it pyshacl copies the data graph into a plain wrapper (dropping the truth-test fix); with
    # inference "none" and the shapes run here (no sh:rule) nothing is written to the store.
    try:
        conforms, results_graph, text = pyshacl.validate(
            data, shacl_graph=shapes, inference="none", advanced=True, inplace=True, allow_warnings=True,
            allow_infos=True)
    except Exception as error:   # pyshacl running shapes it cannot use (a broken or odd sh:select, ...)
        raise RopaError(f"pyshacl cannot use the shapes: {type(error).__name__}: {_first_line(error)}") from None
    if not isinstance(results_graph, rdflib.Graph):
        raise RopaError(f"the shapes cannot be used: {str(text).strip().splitlines()[0]}")
    return results_from_report(results_graph)


def _oxigraph_data_graph(store: ox.Store):
    """pyshacl's Oxigraph data graph, whose truth test does not count every quad.

    pyshacl evaluates ``datagraph or shapes_graph`` when it builds each result; on its Oxigraph graph that truth
    test calls ``__len__``, a full count of the store, so each result costs a scan (see docs/pyshacl-truth-test.md).
    """
    from pyshacl.graph_abstraction import OxigraphDataGraph

    class _ConstantTruthDataGraph(OxigraphDataGraph):
        def __bool__(self) -> bool:
            return True

    data = _ConstantTruthDataGraph(store)
    data.default_union = True
    return data


def results_from_report(results_graph: rdflib.Graph) -> list[RawResult]:
    """The results of a SHACL validation report graph."""
    results = []
    for result in results_graph.subjects(RDF.type, SH.ValidationResult):
        path = results_graph.value(result, SH.resultPath)
        value = results_graph.value(result, SH.value)
        focus = results_graph.value(result, SH.focusNode)
        messages = [str(m) for m in results_graph.objects(result, SH.resultMessage)]
        results.append(RawResult(
            shape=_name(results_graph.value(result, SH.sourceShape)),
            constraint=_name(results_graph.value(result, SH.sourceConstraint) or results_graph.value(result, SH.sourceShape)),
            severity=_SEVERITY_NAMES.get(results_graph.value(result, SH.resultSeverity), "violation"),
            focus=_name(focus),
            path=str(path) if isinstance(path, rdflib.URIRef) else None,
            value=str(value) if value is not None and value != focus else None,
            message=messages[0] if messages else "",
        ))
    return results


# --- From results to findings ---------------------------------------------------------------------------------

_LABELS = """SELECT ?node ?label WHERE { VALUES ?node { %s } ?node rdfs:label|dpv:hasName|skos:prefLabel ?label }"""
_ENTITIES = """
SELECT DISTINCT ?node ?entity ?activity WHERE {
  # The nodes are bound inside every branch: a branch is evaluated on its own, and a path with both ends open
  # (the sub-processor chain) would walk from every activity of the record.
  { VALUES ?node { NODES } ?node ropa:recordedBy ?entity BIND(?node AS ?activity) }
  UNION {  # an activity that does not say whose record it is: the organisation it names in its role
    VALUES ?node { NODES }
    ?node a dpv:Process FILTER NOT EXISTS { ?node ropa:recordedBy ?keeper FILTER(isIRI(?keeper)) }
    { ?node ropa:role ropa:ProcessorRole ; dpv:hasDataProcessor ?entity }
    UNION { ?node dpv:hasDataController ?entity FILTER NOT EXISTS { ?node ropa:role ropa:ProcessorRole } }
    BIND(?node AS ?activity) }
  UNION { VALUES ?node { NODES } ?any ropa:recordedBy ?node BIND(?node AS ?entity) }
  UNION { VALUES ?node { NODES } ?entity dpv:hasDataProtectionOfficer|ropa:hasEstablishment ?node }
  UNION { VALUES ?node { NODES } ?entity ropa:usesServiceProvider|ropa:engagesProcessor|ropa:hasSubProcessor ?node
          FILTER NOT EXISTS { ?entity a dpv:Process } }
  UNION { VALUES ?node { NODES }   # a provider an activity names, or a sub-processor down its chain
          ?node ^(dpv:hasDataProcessor|ropa:hasSubProcessor)*/^(dpv:hasDataProcessor|ropa:usesServiceProvider|ropa:engagesProcessor|ropa:hasSubProcessor) ?used .
          ?used ropa:recordedBy ?entity
          FILTER(?node != ?entity) }
  UNION { VALUES ?node { NODES } ?engagement ropa:provider ?node ; ropa:engagedBy ?entity }
  UNION { VALUES ?node { NODES } ?node ropa:engagedBy ?entity }
  UNION { VALUES ?node { NODES } ?entity ropa:hasTransfer ?node FILTER NOT EXISTS { ?entity a dpv:Process } }
  UNION { VALUES ?node { NODES } ?activity ropa:hasTransfer ?node . ?activity ropa:recordedBy ?entity }
  FILTER(isIRI(?entity))
}"""
_SOURCES = """
SELECT ?node ?q ?quote ?section ?file WHERE {
  VALUES ?node { %s }
  ?node ropa:source ?q . ?q ropa:quote ?quote ; ropa:section ?section ; ropa:inDocument/ropa:fileName ?file
}"""


def finding_context(graph: RecordGraph, focuses: Sequence[str]) -> tuple[dict[str, tuple[str, str | None]],
                                                                           dict[str, Source]]:
    """Per focus node (IRIs): the entity and activity its findings are attributed to, and the source quote."""
    entity_of: dict[str, tuple[str, str | None]] = {}
    sources: dict[str, Source] = {}
    for chunk in _chunks(focuses):
        # Sorted on every column, so that a node of several activities is attributed alike on every engine.
        for row in sorted(graph.select(_ENTITIES.replace("NODES", chunk)),
                          key=lambda r: (r["activity"] is None, r["entity"] or "", r["activity"] or "")):
            if row["entity"] is not None:
                entity_of.setdefault(row["node"], (row["entity"], row["activity"]))
        for row in sorted(graph.select(_SOURCES % chunk), key=lambda r: r["q"]):
            sources.setdefault(row["node"], Source(file=row["file"], section=row["section"], quote=row["quote"]))
    return entity_of, sources


def describe(graph: RecordGraph, shapes: rdflib.Graph, raw: list[RawResult], context: tuple | None = None
             ) -> list[Finding]:
    """Turn raw results into findings: labels, the entity and activity, the article, the fix, the source quote.
    ``context``: (entity_of, sources, labels) as ``finding_context`` and ``english_labels`` give them for every focus
    node (``ropa validate --store`` keeps them between runs)."""
    if context is None:
        focuses = sorted({r.focus for r in raw if not r.focus.startswith("_:")})
        entity_of, sources = finding_context(graph, focuses)
        named = sorted(set(focuses) | {iri for pair in entity_of.values() for iri in pair if iri})
        labels = english_labels(graph, named)
    else:
        entity_of, sources, labels = context
    findings = {}
    annotated: dict[tuple[str, str], dict[str, str]] = {}
    for result in raw:
        entity, activity = entity_of.get(result.focus, (None, None))
        key = (result.shape, result.constraint)
        if key not in annotated:
            annotated[key] = _annotations(shapes, result)
        annotations = annotated[key]
        finding = Finding(
            check=shorten(result.shape),
            severity=result.severity,
            focus=result.focus,
            message=result.message or annotations.get("message", ""),
            path=result.path,
            value=result.value,
            field=annotations.get("field", ""),
            article=annotations.get("article", ""),
            fix=annotations.get("fix", ""),
            focus_label=labels.get(result.focus, shorten(result.focus)),
            entity=entity,
            entity_label=labels.get(entity, "") if entity else "",
            activity=activity,
            activity_label=labels.get(activity, "") if activity else "",
            source=sources.get(result.focus),
        )
        findings.setdefault(finding.key(), finding)
    return sorted(findings.values(), key=lambda f: (SEVERITIES.index(f.severity), f.entity_label, f.activity_label, f.check, f.focus))


def english_labels(graph: RecordGraph, iris: Sequence[str]) -> dict[str, str]:
    """A display label per IRI: an English label, else one without language, else the first one."""
    ranked: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(iris):
        for row in graph.query(_LABELS % chunk):
            label = row["label"]
            rank = 0 if label.language == "en" else 1 if not label.language else 2
            node = row["node"].value
            if node not in ranked or (rank, label.value) < ranked[node]:
                ranked[node] = (rank, label.value)
    return {node: label for node, (_, label) in ranked.items()}


def _chunks(iris: Sequence[str], size: int = 500):
    """VALUES blocks of at most ``size`` IRIs."""
    for start in range(0, len(iris), size):
        yield " ".join(f"<{iri}>" for iri in iris[start:start + size])


def _annotations(shapes: rdflib.Graph, result: RawResult) -> dict[str, str]:
    """sh:name, ropa:article and ropa:fixHint of the constraint, falling back to its shape."""
    out: dict[str, str] = {}
    shape = rdflib.URIRef(result.shape) if not result.shape.startswith("_:") else rdflib.BNode(result.shape[2:])
    constraint = rdflib.URIRef(result.constraint) if not result.constraint.startswith("_:") else rdflib.BNode(result.constraint[2:])
    if (constraint, None, None) not in shapes:
        # pyshacl may report a blank-node constraint under another identifier: a shape has one sh:sparql here.
        constraints = list(shapes.objects(shape, SH.sparql))
        constraint = constraints[0] if len(constraints) == 1 else shape
    nodes = [constraint, shape]
    for node in nodes:
        for key, predicate in (("field", SH.name), ("article", ROPA_NS.article), ("fix", ROPA_NS.fixHint), ("message", SH.message)):
            if key not in out:
                value = _english(shapes, node, predicate)
                if value:
                    out[key] = value
    return out


def _english(g: rdflib.Graph, node, predicate) -> str:
    values = list(g.objects(node, predicate))
    for value in values:
        if isinstance(value, rdflib.Literal) and value.language in (None, "en"):
            return str(value)
    return str(values[0]) if values else ""


def with_waivers(report: Report, waivers) -> Report:
    """The report with each finding matched to a waiver in force on the report's date."""
    findings = [replace(f, waiver=waivers.match(f, report.as_of)) for f in report.findings]
    return replace(report, findings=findings)

"""Query stage: the questions a compliance officer asks of the record, as a library of SPARQL files.

Each question is one ``ropa/queries/NAME.rq`` file. Its leading ``#`` lines are a header a person can read and ropa
can parse (see ``parse_query``): title, what it answers, the GDPR article it serves, and its parameters with type
and default. Because the header is made of SPARQL comments, every file is also a valid query on its own.

Parameters are bound as RDF terms, never as user text: a value is parsed by its declared type (an IRI, a date, a
string, an integer, a language tag) into a pyoxigraph term, and each ``$name`` in the query is replaced by that
term's N-Triples serialisation, written by pyoxigraph (quotes escaped, IRIs validated). This is the SEP-0007
substitution that pyoxigraph applies natively, done on the text so that the same query runs unchanged on any
SPARQL 1.1 server, and so that it reaches subqueries and nested filters, where neither pyoxigraph's substitutions
(projection only) nor a VALUES block at the top (bottom-up evaluation) would. An IRI parameter left at ``any``
stays a variable and matches everything.

The same query runs embedded, on the Oxigraph store of a loaded record, or remotely on a SPARQL 1.1 endpoint
(``endpoint=``) after ``push`` has put the record into a named graph with one Graph Store Protocol request.
Validation findings are not part of the record: a query whose header says ``# needs: findings`` gets them in a
named graph (SHACL validation results) that ropa adds for the run, and ``push`` sends them along with the record.
Likewise ``# needs: verdicts``: the verdict on each transfer at the query's as_of date (ropa.transfers, the one
definition validate and flows use), as ropa:TransferVerdict nodes.

Conventions of the library, which its tests rely on: a column ``?x`` that holds IRIs has a companion ``?xLabel``
(in ``$lang``, else English, else the IRI); every query ends with an ORDER BY that fixes the order of all rows, so
that embedded and remote answers compare row for row and the cookbook does not change between machines; label
lookups sit inside the group that binds their variable (an OPTIONAL on an unbound variable matches everything); a
status or kind is a language-neutral code (``loses-basis``) in a column the header lists under ``# codes:``, which
``Results.records`` gives in the reader's words from the catalogues and JSON keeps as it is; a code's phrase may name
values (``{date}``, ``{period}``, ``{event}``), filled from the row's columns named after the code column
(``reasonDate``, ``keptPeriod``, ``keptEvent``), which people read only inside the words and JSON keeps apart; a
period (an ISO 8601 duration) is said in words wherever people read it, never as ``P3Y``.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import gc
import io
import re
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ropa import remote, resources, safe
from ropa.errors import RopaError
from ropa.load import RecordGraph
from ropa.messages import Messages, catalogue
from ropa.namespaces import PREFIXES, ROPA, expand, local_words, shorten, sparql_prefixes
from ropa.periods import format_duration
from ropa.transfers import verdict_triples, verdicts_graph

QUERY_DIR = Path(__file__).resolve().parent / "queries"
"""The library: one .rq file per question, shipped inside the package."""

PARAM_TYPES = ("IRI", "date", "string", "integer", "language", "duration")
CODE_PREFIX = "query.code"
"""Where the catalogues hold the words for a question's codes (``query.code.loses-basis``), unless its header names
another prefix for the column."""
FORMATS = ("table", "csv", "json", "md")
FINDINGS_GRAPH = ox.NamedNode("urn:ropa:findings")
"""The named graph holding validation findings while a query that needs them runs (and in a pushed graph)."""

XSD = PREFIXES["xsd"]
SH = PREFIXES["sh"]
_RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")


# --- The library and its headers ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    """A query parameter as its header declares it: ``# param: name (type, default: value) description``, or
    ``(type, required)`` for one the question cannot be asked without (its default is then None)."""

    name: str
    type: str
    default: str | None
    description: str = ""

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class Query:
    """A library question: its SPARQL (header included) and what the header says about it."""

    name: str
    sparql: str
    title: str = ""
    answers: str = ""
    article: str = ""
    params: tuple[Param, ...] = ()
    needs: tuple[str, ...] = ()
    example: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def body(self) -> str:
        """The SPARQL without the header comment lines (for the cookbook)."""
        lines = self.sparql.splitlines()
        while lines and (lines[0].startswith("#") or not lines[0].strip()):
            lines.pop(0)
        return "\n".join(lines).rstrip() + "\n"

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "answers": self.answers,
            "article": self.article,
            "params": [{**vars(p), "required": p.required} for p in self.params],
            "needs": list(self.needs),
            "example": dict(self.example),
            "codes": dict(self.codes),
            "titles": {lang: title(self, lang) for lang in resources.LANGUAGES},
        }


_HEADER_FIELD = re.compile(r"^#\s?(title|answers|article|param|needs|example|codes):\s*(.*)$")
_CONTINUATION = re.compile(r"^#\s{2,}(\S.*)$")
_PARAM = re.compile(r"^(\w+)\s*\(\s*(\w+)\s*,\s*(?:default:?\s*([^)]*?)|required)\s*\)\s*(.*)$")


def parse_query(text: str, name: str, path: Path | None = None) -> Query:
    """Read the header of a query file: ``# key: value`` lines, continued by lines indented two spaces.

    Keys: title, answers, article, needs (comma-separated: ``findings``, ``verdicts``), example (``key=value ...``, the
    parameters the cookbook shows it with), codes (comma-separated columns whose values are codes, each rendered
    in the reader's language from the catalogue key ``query.code.CODE``, or ``PREFIX.CODE`` for ``column=PREFIX``)
    and param, one per parameter: ``# param: name (type, default: value) description`` or ``# param: name (type,
    required) description``, type one of PARAM_TYPES. A file without a header is an ad-hoc query without parameters.
    """
    fields: dict[str, list[str]] = {"title": [], "answers": [], "article": [], "needs": [], "example": [], "codes": []}
    params: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if match := _HEADER_FIELD.match(line):
            key, value = match.groups()
            current = [value.strip()]
            if key == "param":
                params.append(current)
            else:
                fields[key] = current
        elif (match := _CONTINUATION.match(line)) and current is not None:
            current.append(match.group(1).strip())
        else:
            current = None
    declared = []
    for parts in params:
        spec = " ".join(parts)
        match = _PARAM.match(spec)
        if not match or match.group(2) not in PARAM_TYPES:
            raise RopaError(f"query {name}: bad parameter declaration '{spec}': write "
                            f"'# param: name (type, default: value) description' or '# param: name (type, required) description' "
                            f"with type one of {', '.join(PARAM_TYPES)}",
                            path=str(path) if path else None)
        declared.append(Param(*match.groups()))
    needs = tuple(n.strip() for n in " ".join(fields["needs"]).split(",") if n.strip())
    example = dict(pair.split("=", 1) for pair in " ".join(fields["example"]).split() if "=" in pair)
    codes = {}
    for item in (i.strip() for i in " ".join(fields["codes"]).split(",") if i.strip()):
        column, _, prefix = item.partition("=")
        codes[column.strip()] = prefix.strip() or CODE_PREFIX
    return Query(
        name=name, sparql=text, path=path, params=tuple(declared), needs=needs, example=example, codes=codes,
        title=" ".join(fields["title"]), answers=" ".join(fields["answers"]), article=" ".join(fields["article"]),
    )


def library() -> list[Query]:
    """Every question of the library, by name."""
    return [_read(path) for path in sorted(QUERY_DIR.glob("*.rq"))]


def get(name_or_file: str | Path) -> Query:
    """A library query by name (``transfers-outside-eea``), or a .rq file with an optional header."""
    path = Path(name_or_file)
    if path.suffix == ".rq" or path.is_file():
        if not path.is_file():
            raise RopaError("no such query file", path=str(path))
        return _read(path)
    library_path = QUERY_DIR / f"{name_or_file}.rq"
    if library_path.is_file():
        return _read(library_path)
    names = [p.stem for p in sorted(QUERY_DIR.glob("*.rq"))]
    close = difflib.get_close_matches(str(name_or_file), names, n=1)
    hint = f" (did you mean {close[0]}?)" if close else "; `ropa queries` lists them"
    raise RopaError(f"no query named '{name_or_file}' in the library{hint}")


def adhoc(sparql: str) -> Query:
    """An ad-hoc query given as text: no header, no parameters."""
    return Query(name="ad-hoc", sparql=sparql)


def _read(path: Path) -> Query:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RopaError(f"cannot read query file: {error}", path=str(path)) from None
    return parse_query(text, path.stem, path)


# --- Binding parameters as RDF terms --------------------------------------------------------------------------

Term = ox.NamedNode | ox.Literal

MAX_PARAM_LENGTH = 4096
"""The longest parameter value accepted (an IRI, a name): anything longer is a mistake or an attack."""
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_DURATION = re.compile(r"^P(?=\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?$")


def bind(query: Query, values: Mapping[str, str] | None = None, *, as_of: dt.date | None = None,
         lang: str | None = None, prefixes: Mapping[str, str] | None = None,
         graph: RecordGraph | None = None) -> dict[str, Term | None]:
    """The RDF term of every parameter: the value given (text, checked against the declared type) or the default.

    ``as_of`` and ``lang`` set the parameters of those names (the --as-of and --lang options); a query without a
    ``lang`` parameter cannot take --lang, one without ``as_of`` ignores the date (the record itself is then dated).
    None stands for an IRI parameter left at ``any``. A required parameter not given is a RopaError that says
    how to give it (an IRI parameter may be given as ``any``). ``prefixes`` (the record's, see
    ``RecordGraph.prefixes``) are the names a prefixed IRI may use besides ropa's own; with ``graph``, the example
    a missing parameter's message suggests is the header's only when the record holds it.
    """
    given = dict(values or {})
    for option, name, value in (("--as-of", "as_of", as_of), ("--lang", "lang", lang)):
        if value is None:
            continue
        if query.param(name) is None:
            if name == "as_of":
                continue   # the date still applies: the command queries the record as it stood then
            raise RopaError(f"query {query.name} has no {name} parameter, so {option} does not apply to it")
        given[name] = value.isoformat() if isinstance(value, dt.date) else value
    unknown = sorted(set(given) - {p.name for p in query.params})
    if unknown:
        known = ", ".join(p.name for p in query.params) or "none"
        raise RopaError(f"query {query.name} has no parameter '{unknown[0]}' (its parameters: {known})")
    missing = [p for p in query.params if p.required and p.name not in given]
    if missing:
        raise _missing(query, missing[0], graph, prefixes)
    bound = {p.name: parse_value(p, given.get(p.name, p.default), query.name, prefixes) for p in query.params}
    if graph is not None:
        for p in query.params:
            if p.type == "IRI" and bound[p.name] is not None:
                _known_or_fail(graph, bound[p.name].value, p, query.name, given.get(p.name, p.default))
    return bound


def _known_or_fail(graph: RecordGraph, iri: str, param: Param, query_name: str, text: str) -> None:
    """A term that neither the vocabulary nor the record knows is a typo (pd:Nme): its answer would be an empty table
    that reads as "no one receives it", so it is an error naming the nearest terms instead."""
    from ropa.terms import vocabulary

    terms = vocabulary()
    if iri in terms or _in_record(graph, iri):
        return
    shared = [t.iri[: len(t.iri) - len(t.iri.rsplit("#", 1)[-1])] for t in terms.terms() if "#" in t.iri]
    close = [t.curie for t in terms.suggest(iri)] if any(iri.startswith(ns) for ns in set(shared)) else []
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise RopaError(f"query {query_name}: parameter {param.name}: nothing in the vocabulary or the record is called {text}{hint}",
                    key="error.param.unknown", values={"param": f"key:web.param.{param.name}", "value": text})


ORGANISATION_PARAMS = ("controller", "entity", "organisation", "exporter")
"""Parameters that name one of the record's organisations: a question missing one lists them."""
_KEEPERS = """SELECT DISTINCT ?entity ?label WHERE {
    { SELECT DISTINCT ?entity WHERE { ?activity $link ?entity } }
    OPTIONAL { ?entity rdfs:label ?english FILTER(LANG(?english) = "en") }
    OPTIONAL { ?entity dpv:hasName ?name }
    BIND(COALESCE(?english, ?name, STR(?entity)) AS ?label)
} ORDER BY ?label ?entity LIMIT 12"""


def _missing(query: Query, param: Param, graph: RecordGraph | None, prefixes: Mapping[str, str] | None) -> RopaError:
    """The error for a required parameter not given: what is missing in words (the start of the header's
    description, "the controller"), how to give it, and for an organisation the record's own organisations."""
    what = re.split(r";|, e\.g\.|, such as", param.description)[0].strip() or f"its {param.name} parameter"
    every = f", or --param {param.name}=any for every one" if param.type == "IRI" else ""
    example = query.example.get(param.name, "VALUE")
    listed = ""
    if graph is not None and param.type == "IRI":
        own = _keepers(graph, prefixes, param.name == "controller") if param.name in ORGANISATION_PARAMS else []
        if own:
            example = own[0][0]
            kind = "controllers" if param.name == "controller" else "organisations"
            listed = f"; the record's {kind}: " + ", ".join(f"{name} ({label})" for name, label in own)
        elif not _in_record(graph, expand(example, prefixes)):
            example = "IRI"   # the header's example belongs to another record
    return RopaError(f"query {query.name} needs {what}: give it with --param {param.name}={example}{every}{listed}",
                     key="error.param.missing", values={"param": f"key:web.param.{param.name}", "name": param.name})


def _keepers(graph: RecordGraph, prefixes: Mapping[str, str] | None, controller: bool = False) -> list[tuple[str, str]]:
    """The organisations that keep the record, or the controllers it names (the first twelve by name), each as a name
    to type and its label."""
    found = []
    for row in graph.select(sparql_prefixes() + _KEEPERS.replace("$link", "dpv:hasDataController" if controller
                                                                  else "ropa:recordedBy")):
        found.append((_typed_name(row["entity"], prefixes or PREFIXES), row["label"]))
    return found


def _typed_name(iri: str, prefixes: Mapping[str, str]) -> str:
    """The shortest prefixed name for an IRI under the given prefixes, else the IRI in angle brackets."""
    best = max(((p, base) for p, base in prefixes.items() if base and iri.startswith(base)
                and re.fullmatch(r"[\w.-]*", iri[len(base):])), key=lambda pb: len(pb[1]), default=None)
    return f"{best[0]}:{iri[len(best[1]):]}" if best else f"<{iri}>"


def _in_record(graph: RecordGraph, iri: str | None) -> bool:
    """Whether the record's data files say anything about the IRI."""
    if iri is None:
        return False
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return False
    return any(True for _ in graph.store.quads_for_pattern(node, None, None)) or \
        any(True for _ in graph.store.quads_for_pattern(None, None, node))


def parse_value(param: Param, text: str, query_name: str = "query", prefixes: Mapping[str, str] | None = None) -> Term | None:
    """One parameter value as an RDF term of its declared type; a RopaError names the parameter otherwise."""
    text = str(text).strip()

    def wrong(expected: str, kind: str) -> RopaError:
        """The error, in English and as the catalogue's error.param.wrong with error.expected.KIND."""
        shown = text if len(text) <= 80 else text[:60] + f"... ({len(text)} characters)"
        return RopaError(f"query {query_name}: parameter {param.name} must be {expected}, not '{shown}'",
                         key="error.param.wrong", values={"param": f"key:web.param.{param.name}", "value": shown,
                                                          "expected": f"key:error.expected.{kind}",
                                                          "length": MAX_PARAM_LENGTH})

    if len(text) > MAX_PARAM_LENGTH:
        raise wrong(f"at most {MAX_PARAM_LENGTH} characters long", "length")

    if param.type == "IRI":
        if text == "any" and (param.default == "any" or param.required):
            return None
        iri = expand(text, prefixes)
        if iri is None:
            raise wrong("an IRI: a prefixed name such as pd:Name or a full IRI in angle brackets, <https://...>", "iri")
        try:
            return ox.NamedNode(iri)
        except ValueError:
            raise wrong("a valid IRI", "valid_iri") from None
    if param.type == "date":
        if text == "today":
            return _date(dt.date.today())
        try:
            if _DATE.match(text):
                return _date(dt.date.fromisoformat(text))
        except ValueError:
            pass
        raise wrong("a date, YYYY-MM-DD", "date")
    if param.type == "integer":
        if not _INTEGER.match(text):
            raise wrong("an integer", "integer")
        if len(text.lstrip("+-")) > 18:
            raise wrong("an integer of at most 18 digits", "digits")
        return ox.Literal(str(int(text)), datatype=ox.NamedNode(XSD + "integer"))
    if param.type == "duration":
        if not _DURATION.match(text.upper()):
            raise wrong("a period in ISO 8601 form such as P5Y (five years), P6M or P30D", "duration")
        return ox.Literal(text.upper(), datatype=ox.NamedNode(XSD + "duration"))
    if param.type == "language":
        if not _LANGUAGE.match(text):
            raise wrong("a language tag such as en, nl or fr", "language")
        return ox.Literal(text.lower())
    return ox.Literal(text)


def _date(value: dt.date) -> ox.Literal:
    return ox.Literal(value.isoformat(), datatype=ox.NamedNode(XSD + "date"))


_TOKENS = re.compile(
    r'(?P<skip>\#[^\n]*'                                  # a comment
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'                     # long strings
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'                               # short strings
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>)'                        # an IRI
    r"|\$(?P<name>[A-Za-z_]\w*)"                          # a $parameter
)


def substitute(sparql: str, bindings: Mapping[str, Term | None]) -> str:
    """The query with each ``$name`` of a bound parameter replaced by its term, serialised by pyoxigraph.

    Comments, strings and IRIs are skipped, so a ``$`` inside them is left alone; unbound (``any``) parameters
    and ``?variables`` stay variables.
    """
    def replace(match: re.Match) -> str:
        name = match.group("name")
        term = bindings.get(name) if name else None
        return str(term) if term is not None else match.group(0)

    return _TOKENS.sub(replace, sparql)


_SERVICE = re.compile(r"(?<![\w:?$.-])SERVICE(?![\w:.-])", re.IGNORECASE)


def local_only(sparql: str, where: str = "query", *, allow_service: bool = False) -> None:
    """Refuse a query that would call another server or read a file (SERVICE), unless the user allowed it.

    The keyword is looked for in the query's text outside comments, strings and IRIs, where a SERVICE clause
    can stand (a prefixed name such as ex:Service or a ?service variable is not one).
    """
    if allow_service:
        return
    code = _TOKENS.sub(lambda match: " " if match.group("skip") else match.group(0), sparql)
    if _SERVICE.search(code):
        raise RopaError(f"{where}: the query calls SERVICE, which would reach another server or a file; ropa runs "
                        f"queries on the record only (--allow-service permits it)")


def prepare(query: Query, bindings: Mapping[str, Term | None]) -> str:
    """The text sent to a store: ropa's PREFIX lines, then the query with its parameters bound."""
    return sparql_prefixes() + substitute(query.sparql, bindings)


# --- Results --------------------------------------------------------------------------------------------------

@dataclass
class Results:
    """A SELECT query's answer: column names and rows of RDF terms (None where a variable is unbound).

    A column ``x`` that has a companion ``xLabel`` holds IRIs; it is shown only when IRIs are asked for.
    """

    columns: list[str]
    rows: list[tuple[ox.NamedNode | ox.BlankNode | ox.Literal | None, ...]] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)
    """The columns holding codes (a status, a kind: language-neutral words such as ``loses-basis``), each with the
    catalogue prefix of its phrases; set from the question's header by ``run``."""
    graph: RecordGraph | None = field(default=None, repr=False, compare=False)
    """The record answered from (embedded): where a node has a label in neither the language asked nor English, the
    people's view names it by a label in another language (the record's own) rather than by its IRI."""

    def value_columns(self) -> set[str]:
        """The columns that fill the words of a code column's phrases: named after the code column and a placeholder
        of its phrases (``reasonDate`` fills ``{date}`` of the ``reason`` column's words, ``keptEvent`` and its label
        ``keptEventLabel`` fill ``{event}``), not themselves codes. People read them inside the code's words; JSON keeps them apart."""
        return {c for c in self.columns for code in self.codes if c not in self.codes
                and c.startswith(code) and len(c) > len(code) and c[len(code)].isupper() and c != f"{code}Label"}

    def shown(self, iris: bool = False, *, values: bool = False) -> list[str]:
        """The columns to display: labels always, IRI columns with a label companion only when ``iris``; the columns
        that fill a code's words (``value_columns``) only when ``iris`` or ``values`` (JSON)."""
        hidden = set() if iris or values else self.value_columns()
        return [c for c in self.columns if c not in hidden and (iris or f"{c}Label" not in self.columns)]

    def records(self, iris: bool = False, *, short: bool = False, lang: str = "en") -> list[dict[str, str]]:
        """Rows as dicts of display text for people (IRIs as prefixed names when ``short``): codes in the words of
        ``lang`` with the values of their row, a period (xsd:duration) in words ("3 jaar", never "P3Y"), and an
        unlabelled node's local name where its label column (or a list of labels) would show its IRI."""
        columns = self.shown(iris)
        index = [self.columns.index(c) for c in columns]
        say = Messages(lang if lang in resources.LANGUAGES else "en")
        words = {c: _code_words(self.codes[c], say, self._placeholders(c)) for c in columns if c in self.codes}
        values = self.value_columns()
        lists = {c for c in columns if c.endswith("Label")}   # labels, or lists of labels, of nodes
        unlabelled = {c: self.columns.index(c[:-len("Label")]) for c in columns
                      if c.endswith("Label") and c[:-len("Label")] in self.columns}
        records = []
        for row in self.rows:
            record = {}
            for c, i in zip(columns, index):
                if c in unlabelled and _is_own_iri(row[unlabelled[c]], row[i]):
                    record[c] = self.name(row[unlabelled[c]].value)
                elif c in words:
                    record[c] = words[c](row)
                elif c in values:
                    record[c] = _value_text(row[i], None, say)
                elif c in unlabelled or c in lists:
                    record[c] = _IRI.sub(lambda m: self.name(m.group(0)), _people_text(row[i], short, say))
                else:
                    record[c] = _people_text(row[i], short, say)
            records.append(record)
        return records

    def name(self, iri: str) -> str:
        """A node for people when its label column fell back to its IRI: any label the record gives it (rdfs:label,
        then skos:prefLabel, then dpv:hasName; untagged first, then by language), else the IRI's local name in
        words."""
        known = self.__dict__.setdefault("_names", {})
        if iri not in known:
            found = None
            if self.graph is not None:
                try:
                    node = ox.NamedNode(iri)
                except ValueError:
                    node = None
                labels = [] if node is None else [
                    (rank, q.object.language or "", q.object.value) for rank, p in enumerate(_NAME_PROPERTIES)
                    for q in self.graph.store.quads_for_pattern(node, p, None) if isinstance(q.object, ox.Literal)]
                found = min(labels)[2] if labels else None
            known[iri] = found or local_words(iri)
        return known[iri]

    def _placeholders(self, code: str) -> tuple[int, dict[str, tuple[int, int | None]]]:
        """The index of a code column and, for each placeholder its values fill, the index of the value column and of
        its label companion (None without one)."""
        found = {}
        for column in self.value_columns():
            if column.startswith(code) and not column.endswith("Label"):
                name = column[len(code)].lower() + column[len(code) + 1:]
                label = f"{column}Label"
                found[name] = (self.columns.index(column), self.columns.index(label) if label in self.columns else None)
        return self.columns.index(code), found

    def headers(self, iris: bool = False, lang: str = "en") -> dict[str, str]:
        """The readable header of each shown column, in ``lang`` (see ``header``)."""
        return {c: header(c, lang, iri=f"{c}Label" in self.columns) for c in self.shown(iris)}

    def render(self, fmt: str = "table", *, iris: bool = False, lang: str = "en") -> str:
        """The results as text: an aligned table, CSV, JSON or a Markdown table. Tables for people (table, md) head
        their columns with readable headers in ``lang``; CSV and JSON keep the variable names, for programs. Codes
        are given in the words of ``lang`` except in JSON, which keeps the codes."""
        if fmt == "csv":
            out = io.StringIO()
            columns = self.shown(iris)
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow([safe.csv_cell(c) for c in columns])
            writer.writerows([safe.csv_cell(r[c]) for c in columns] for r in self.records(iris, lang=lang))
            return out.getvalue()
        if fmt == "json":
            columns = self.shown(iris, values=True)
            index = [self.columns.index(c) for c in columns]
            rows = [{c: _json_value(row[i]) for c, i in zip(columns, index)} for row in self.rows]
            return safe.dumps({"columns": columns, "rows": rows}, indent=2) + "\n"
        if fmt in ("md", "table"):
            named = self.headers(iris, lang)
            rows = [{named[c]: v for c, v in r.items()} for r in self.records(iris, short=True, lang=lang)]
            return (markdown_table if fmt == "md" else text_table)(list(named.values()), rows)
        raise RopaError(f"unknown format '{fmt}'; choose {', '.join(FORMATS)}")


def _catalogue(lang: str) -> dict[str, str]:
    """The catalogue of a language ropa speaks; none for another (a label language such as es): English then."""
    return catalogue(lang) if lang in resources.LANGUAGES else {}


def header(column: str, lang: str = "en", *, iri: bool = False) -> str:
    """The readable header of a result column, from the message catalogue (``query.column.NAME``, NAME the column
    without its ``Label`` suffix), in ``lang`` or else English; an IRI column (one with a label companion) is marked
    as such. A column the catalogue does not name keeps its variable name (an ad-hoc query's)."""
    base = column[:-len("Label")] if column.endswith("Label") and len(column) > len("Label") else column
    phrases, english = _catalogue(lang), _catalogue("en")
    text = phrases.get(f"query.column.{base}") or english.get(f"query.column.{base}")
    if text is None:
        return column
    if iri:
        marked = phrases.get("query.column.iri") or english.get("query.column.iri", "{column}")
        return marked.format(column=text)
    return text


def code_text(code: str, lang: str = "en", prefix: str = CODE_PREFIX, values: Mapping[str, str] | None = None) -> str:
    """The words for a code (``loses-basis``) in ``lang``, else English; a cell may hold several codes separated by
    spaces, given joined by semicolons. ``values`` fill the placeholders of a phrase (``{date}``), with the
    language's contractions. A value that is not a known code is given as it is."""
    say = Messages(lang if lang in resources.LANGUAGES else "en")
    words = []
    for token in code.split():
        phrase = say.phrases.get(f"{prefix}.{token}") or say.english.get(f"{prefix}.{token}")
        if phrase is None:
            return code
        words.append(say.contract(phrase.format_map(_Placeholders(values or {}))) if "{" in phrase else phrase)
    return "; ".join(words)


class _Placeholders(dict):
    """A phrase's values; a placeholder no column fills is left as it is written."""

    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def _code_words(prefix: str, say: Messages, placeholders: tuple[int, dict[str, tuple[int, int | None]]]):
    """A function from a row to the words of its code column, in the language of ``say``, the placeholders of the
    phrase filled from the row's value columns (each distinct code and values looked up once)."""
    index, values = placeholders
    known: dict[tuple, str] = {}

    def words(row) -> str:
        text = _text(row[index], False)
        filled = {name: _value_text(row[i], row[label] if label is not None else None, say)
                  for name, (i, label) in values.items()}
        key = (text, tuple(sorted(filled.items())))
        if key not in known:
            known[key] = code_text(text, say.lang, prefix, filled)
        return known[key]

    return words


def _value_text(term, label, say: Messages) -> str:
    """A value inside a code's words: the label of an IRI, a period (an ISO 8601 duration, typed or as text) in
    words, else the text."""
    if label is not None:
        return label.value if not _is_own_iri(term, label) else local_words(term.value)
    return format_duration(_text(term, False), say) if isinstance(term, ox.Literal) else _text(term, False)


_NAME_PROPERTIES = [ox.NamedNode(PREFIXES["rdfs"] + "label"), ox.NamedNode(PREFIXES["skos"] + "prefLabel"),
                    ox.NamedNode(PREFIXES["dpv"] + "hasName")]
_IRI = re.compile(r"\b(?:https?|urn):[^\s;,<>\"{}|^`]+")
"""An IRI inside a list of labels (a node nobody labelled in the language asked, nor in English)."""


def _is_own_iri(term, label) -> bool:
    """Whether a label column merely repeats the IRI of its companion (nobody labelled the node)."""
    return isinstance(term, ox.NamedNode) and isinstance(label, ox.Literal) and label.value == term.value


_XSD_DURATION = XSD + "duration"


def _people_text(term, short: bool, say: Messages) -> str:
    """A cell for people: a period (xsd:duration) in the words of the language, any other term as its text."""
    if isinstance(term, ox.Literal) and term.datatype.value == _XSD_DURATION:
        return format_duration(term.value, say)
    return _text(term, short)


def title(query: Query, lang: str = "en") -> str:
    """The question's title in ``lang`` (``query.NAME.title`` in the catalogue), else the header's English title."""
    return _catalogue(lang).get(f"query.{query.name}.title") or query.title


def _text(term, short: bool) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return shorten(term.value) if short else term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def _json_value(term):
    """Numbers and booleans as JSON numbers and booleans; every other term as its text."""
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if datatype in (XSD + "integer", XSD + "long", XSD + "int"):
            return int(term.value)
        if datatype == XSD + "boolean":
            return term.value in ("true", "1")
    return _text(term, short=False) if term is not None else None


markdown_cell = safe.markdown
"""A value safe in a Markdown table cell (see ropa.safe.markdown)."""


def markdown_table(columns: Sequence[str], records: Sequence[Mapping[str, str]]) -> str:
    if not columns:
        return "(no columns)\n"
    lines = ["| " + " | ".join(markdown_cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(markdown_cell(r[c]) for c in columns) + " |" for r in records]
    return "\n".join(lines) + "\n"


def text_table(columns: Sequence[str], records: Sequence[Mapping[str, str]]) -> str:
    """A plain aligned table with a count line (the CLI prints a rich table instead)."""
    records = [{c: safe.one_line(r[c]) for c in columns} for r in records]
    widths = {c: max([len(c)] + [len(r[c]) for r in records]) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns).rstrip(), "  ".join("-" * widths[c] for c in columns)]
    lines += ["  ".join(r[c].replace("\n", " ").ljust(widths[c]) for c in columns).rstrip() for r in records]
    lines.append(f"({len(records)} row{'s' if len(records) != 1 else ''})")
    return "\n".join(lines) + "\n"


# --- Running: embedded and remote -----------------------------------------------------------------------------

def run(
    query: Query,
    graph: RecordGraph | None = None,
    *,
    params: Mapping[str, str] | None = None,
    as_of: dt.date | None = None,
    lang: str | None = None,
    endpoint: str | None = None,
    graph_iri: str | None = None,
    waivers=None,
    timeout: float = remote.DEFAULT_TIMEOUT,
    allow_service: bool = False,
    report=None,
) -> Results:
    """Answer a query on a loaded record (embedded) or on a SPARQL 1.1 endpoint (``endpoint``, optionally limited
    to the named graph ``graph_iri`` that ``push`` wrote).

    A query that needs findings validates the record at its ``as_of`` date first (embedded); on an endpoint it
    reads the findings that ``push`` sent. On a loaded record a query may not call SERVICE unless
    ``allow_service`` (a local question must not reach the network or the file system). ``report``: the record's
    validation (with ``waivers`` applied), which a query that needs findings uses when it judges at that date.
    """
    bindings = bind(query, params, as_of=as_of, lang=lang, prefixes=graph.prefixes if graph is not None else None,
                    graph=graph)
    sparql = prepare(query, bindings)
    if endpoint is not None:
        results = select_remote(sparql, endpoint, graph_iri=graph_iri, timeout=timeout, name=query.name)
        results.codes = dict(query.codes)
        return results
    local_only(query.sparql, str(query.path) if query.path else query.name, allow_service=allow_service)
    if graph is None:
        raise RopaError("no graph to query: load a record or give an endpoint")
    judged = dt.date.fromisoformat(bindings["as_of"].value) if bindings.get("as_of") is not None else None
    with ExitStack() as stack:
        if "findings" in query.needs:
            reusable = report if report is not None and report.as_of == (judged or dt.date.today()) else None
            stack.enter_context(findings_graph(graph, as_of=judged, waivers=waivers, report=reusable))
        if "verdicts" in query.needs:
            stack.enter_context(verdicts_graph(graph, judged or dt.date.today()))
        results = select_embedded(graph, sparql, name=query.name)
    results.codes = dict(query.codes)
    results.graph = graph
    return results


def select_embedded(graph: RecordGraph, sparql: str, *, name: str = "query") -> Results:
    """Run a SELECT on the union of the loaded files; a query that does not parse is a RopaError.

    A query that ends with an ORDER BY of projected variables is run without it and its rows are sorted here, in
    the order Oxigraph gives them (see ``sort_rows``): Oxigraph 0.5 compares the terms of every pair of rows afresh,
    reading each from its dictionary, which took 0.3 s for 14,000 rows at a million triples; Python sorts them in
    about a quarter of that. When a column holds values that ``sort_rows`` does not order as Oxigraph does, the
    query runs with its ORDER BY. The rows are read as ``read_solutions`` reads them.
    """
    try:
        split = split_order(sparql)
        if split is not None:
            body, keys = split
            solutions = graph.query(body)
            if isinstance(solutions, ox.QuerySolutions):
                columns = [v.value for v in solutions.variables]
                if columns and all(key in columns for key, _ in keys):
                    texts, terms = read_solutions(solutions)
                    width = len(columns)
                    order = _sort_order([texts[i::width] for i in range(width)],
                                        [(columns.index(key), descending) for key, descending in keys],
                                        terms.__getitem__)
                    if order is not None:
                        rows = _term_rows(texts, width, terms)
                        return Results(columns, [rows[i] for i in order])
        return _results(graph.query(sparql), name)   # solutions are computed while they are read
    except SyntaxError as error:
        raise RopaError(f"{name}: the SPARQL does not parse: {safe.one_line(str(error))}") from None
    except (OSError, RuntimeError, ValueError) as error:
        raise RopaError(f"{name}: the query failed: {safe.one_line(str(error))[:500]}") from None


_TSV = ox.QueryResultsFormat.TSV


def read_solutions(solutions: ox.QuerySolutions) -> tuple[list[str], Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal | None]]:
    """A SELECT's solutions as the text of each value, row after row (a row of n columns is n items), and the term
    each distinct text stands for ("" for unbound).

    pyoxigraph makes a new Python object for every value of every row (about 1.3 µs each: 0.65 s for the 50,000
    rows of ten columns of a question asked of every category at a million triples); written by the store as
    SPARQL TSV, whose values are N-Triples terms that the store's own reader reads back unchanged, each distinct
    value becomes an object once and the rows share them.
    """
    text = solutions.serialize(format=_TSV).decode("utf-8")
    body = text[text.index("\n") + 1:]
    if not body:
        return [], {"": None}
    with _no_collection():   # many short-lived containers, no cycles among them
        texts = body[:-1].replace("\n", "\t").split("\t")
        distinct = set(texts)
        distinct.discard("")
        listed = list(distinct)
        parsed = ox.parse_query_results(("?v\n" + "\n".join(listed) + "\n").encode("utf-8"), format=_TSV)
        terms: dict[str, ox.NamedNode | ox.BlankNode | ox.Literal | None] = {
            value: solution[0] for value, solution in zip(listed, parsed)}
    terms[""] = None
    return texts, terms


def _term_rows(texts: list[str], width: int, terms: Mapping) -> list[tuple]:
    """The rows of terms of ``read_solutions``' texts."""
    with _no_collection():
        return list(zip(*[iter(list(map(terms.__getitem__, texts)))] * width)) if width else []


@contextmanager
def _no_collection() -> Iterator[None]:
    """The cyclic garbage collector paused while rows are built: it would walk the growing lists again and again
    (a fifth of the time of reading 50,000 rows)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
_ORDER_KEY = re.compile(r"\s*(?:(ASC|DESC)\s*\(\s*[?$]([A-Za-z_]\w*)\s*\)|[?$]([A-Za-z_]\w*))", re.IGNORECASE)


def split_order(sparql: str) -> tuple[str, list[tuple[str, bool]]] | None:
    """The query without the ORDER BY that ends it, and its keys as (variable, descending); None unless the query
    ends with an ORDER BY of plain variables (ASC(?x), DESC(?x) or ?x), with no LIMIT or OFFSET after it."""
    masked = _TOKENS.sub(lambda m: " " * len(m.group(0)) if m.group("skip") else m.group(0), sparql)
    found = list(_ORDER_BY.finditer(masked))
    if not found or "}" in masked[found[-1].end():]:
        return None
    tail, position, keys = masked[found[-1].end():], 0, []
    while match := _ORDER_KEY.match(tail, position):
        keys.append((match.group(2) or match.group(3), (match.group(1) or "").upper() == "DESC"))
        position = match.end()
    if not keys or tail[position:].strip():
        return None
    return sparql[:found[-1].start()], keys


_LANG_STRING = PREFIXES["rdf"] + "langString"
_INTEGER_TYPES = {XSD + "integer"}


def _literal_family(term: ox.Literal) -> str | None:
    """The kind of a literal as Oxigraph's ORDER BY compares it, for the kinds ``sort_rows`` orders alike."""
    datatype = term.datatype.value
    if datatype in (XSD + "string", _LANG_STRING):
        return "string"
    if datatype in _INTEGER_TYPES and _INTEGER.match(term.value):
        return "integer"
    if datatype == XSD + "boolean" and term.value in ("true", "false", "1", "0"):
        return "boolean"
    if datatype == XSD + "date" and _DATE.match(term.value):
        return "date"
    return None


def _literal_key(term: ox.Literal, family: str):
    if family == "string":   # Oxigraph: the value, then the datatype's IRI, then the language tag
        return (term.value, term.datatype.value, term.language or "")
    if family == "integer":
        return int(term.value)
    if family == "boolean":
        return term.value in ("true", "1")
    return term.value   # a date as YYYY-MM-DD, without time zone: its text sorts as the dates do


def sort_rows(rows: list[tuple], keys: Sequence[tuple[int, bool]]) -> list[tuple] | None:
    """The rows sorted as Oxigraph's ORDER BY sorts them (each key a column index and whether it is descending).

    SPARQL's order of terms: unbound first, then blank nodes, IRIs and literals; IRIs by their text; plain and
    language-tagged strings by their text, then datatype and language (Oxigraph's order for strings it cannot
    compare, which agrees with its comparison of those it can); integers, booleans and dates by value. A column
    whose literals are of another kind, or of several kinds, gives None: the caller lets the store sort.
    """
    if not rows:
        return []
    order = _sort_order([[row[i] for row in rows] for i in range(len(rows[0]))], keys, lambda term: term)
    return None if order is None else [rows[i] for i in order]


def _sort_order(columns: list[list], keys: Sequence[tuple[int, bool]], term) -> list[int] | None:
    """The row numbers in the order of ``sort_rows``, from the values of each column; ``term`` gives the RDF term
    (or None) a value stands for."""
    passes: list[tuple[bool, list]] = []   # runs of keys in one direction, each sorted in one pass
    for index, descending in keys:
        known = _Keys(term)
        column = list(map(known.__getitem__, columns[index]))   # each distinct value worked out once
        if len(known.families) > 1 or None in known.families:
            return None
        if passes and passes[-1][0] == descending:
            passes[-1][1].append(column)
        else:
            passes.append((descending, [column]))
    order = list(range(len(columns[0]) if columns else 0))
    for descending, keyed in reversed(passes):   # stable sorts of the row numbers, the last keys first
        order.sort(key=list(zip(*keyed)).__getitem__, reverse=descending)
    return order


class _Keys(dict):
    """The sort keys of the values of one column, each worked out when first met (reading a term's text from
    pyoxigraph costs more than looking it up), and the kinds of literal met (``_literal_family``); ``term`` gives
    the RDF term a value stands for."""

    def __init__(self, term):
        super().__init__()
        self.term = term
        self.families: set[str | None] = set()

    def __missing__(self, value):
        term = self.term(value)
        if term is None:
            found = (0, "")
        elif isinstance(term, ox.NamedNode):
            found = (2, term.value)
        elif isinstance(term, ox.BlankNode):
            found = (1, term.value)
        else:
            family = _literal_family(term)
            self.families.add(family)
            found = (3, _literal_key(term, family)) if family else (3, "")
        self[value] = found
        return found


def _results(solutions, name: str) -> Results:
    if not isinstance(solutions, ox.QuerySolutions):
        raise RopaError(f"{name}: only SELECT queries are supported here")
    columns = [v.value for v in solutions.variables]
    if not columns:   # rows without values: nothing to read but their number
        return Results(columns, [() for _ in solutions])
    texts, terms = read_solutions(solutions)
    return Results(columns, _term_rows(texts, len(columns), terms))


def select_remote(sparql: str, endpoint: str, *, graph_iri: str | None = None, timeout: float = remote.DEFAULT_TIMEOUT,
                  name: str = "query") -> Results:
    """Run a SELECT on a SPARQL 1.1 endpoint (protocol: POST form, JSON results); ``graph_iri`` becomes the
    default graph (``default-graph-uri``), so the query sees exactly the graph that was pushed."""
    form = [("query", sparql)] + ([("default-graph-uri", graph_iri)] if graph_iri else [])
    body = remote.request(
        endpoint,
        data=urllib.parse.urlencode(form).encode("utf-8"),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"},
        method="POST", timeout=timeout,
    )
    try:   # the results are parsed lazily: a broken answer shows while reading the rows
        return _results(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON), name)
    except (SyntaxError, ValueError, UnicodeDecodeError) as error:
        raise RopaError(f"{name}: the endpoint {endpoint} did not answer with SPARQL JSON results: "
                        f"{safe.one_line(str(error))[:300]}") from None


def push(graph: RecordGraph, endpoint: str, graph_iri: str, *, findings: bool = True, as_of: dt.date | None = None,
         waivers=None, timeout: float = 300.0) -> int:
    """Replace the named graph ``graph_iri`` at a Graph Store Protocol endpoint with the record, in one PUT.

    The whole merged graph is sent (data, reference data and vocabulary, which queries need for labels and the
    DPV hierarchy), with the verdict on each transfer at ``as_of`` (ropa.transfers) and the validation findings at
    ``as_of`` unless ``findings`` is False. Returns the number of triples sent.
    """
    target = _graph_iri(graph_iri)
    remote.check_url(endpoint)
    triples = pushed_triples(graph, findings=findings, as_of=as_of, waivers=waivers)
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    separator = "&" if "?" in endpoint else "?"
    remote.request(endpoint + separator + urllib.parse.urlencode({"graph": target.value}), data=body,
                   headers={"Content-Type": "application/n-triples"}, method="PUT", timeout=timeout)
    return len(triples)


def pushed_triples(graph: RecordGraph, *, findings: bool = True, as_of: dt.date | None = None,
                   waivers=None) -> list[ox.Triple]:
    """What ``push`` sends: the merged graph, the findings at ``as_of`` (unless ``findings`` is False), the verdict
    on each transfer at ``as_of`` and the ropa:Evaluation node with that date, which ``ropa validate --endpoint``
    reads as the evaluation date of the graph."""
    as_of = as_of or dt.date.today()
    triples = list(graph.triples())
    if findings:
        triples += findings_triples(graph, as_of=as_of, waivers=waivers)   # with the ropa:Evaluation node
    else:
        triples += _evaluation_triples(as_of)
    triples += verdict_triples(graph, as_of)
    return triples


def _evaluation_triples(as_of: dt.date) -> list[ox.Triple]:
    run_node = ox.NamedNode("urn:ropa:findings:evaluation")
    return [ox.Triple(run_node, _RDF_TYPE, ox.NamedNode(ROPA + "Evaluation")),
            ox.Triple(run_node, ox.NamedNode(ROPA + "asOfDate"), _date(as_of))]


def _graph_iri(text: str) -> ox.NamedNode:
    try:
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text):
            return ox.NamedNode(text)
    except ValueError:
        pass
    raise RopaError(f"graph '{text}' is not an absolute IRI (e.g. urn:ropa:record or https://example.org/ropa)")


# --- Findings as a named graph --------------------------------------------------------------------------------

_SEVERITY_TERMS = {"violation": "Violation", "warning": "Warning", "info": "Info"}


def findings_triples(graph: RecordGraph, *, as_of: dt.date | None = None, waivers=None, report=None) -> list[ox.Triple]:
    """The open findings of validating the record at ``as_of``, as SHACL validation results.

    Each result has sh:focusNode, sh:resultSeverity, sh:sourceShape, sh:resultPath and sh:resultMessage as a SHACL
    report would, plus dpv:hasEntity: the organisation whose record it concerns (as ``ropa validate`` attributes
    it). Waived findings are left out. A ropa:Evaluation node carries the date (ropa:asOfDate). ``report``: the
    findings of a validation already run (with its waivers), instead of validating again.
    """
    from ropa.validate import validate, with_waivers

    if report is None:
        report = validate(graph, as_of=as_of)
        if waivers is not None:
            report = with_waivers(report, waivers)
    triples = _evaluation_triples(report.as_of)
    for finding in report.findings:
        if finding.waived:
            continue
        node = ox.BlankNode()
        facts = [
            (_RDF_TYPE, ox.NamedNode(SH + "ValidationResult")),
            (ox.NamedNode(SH + "resultSeverity"), ox.NamedNode(SH + _SEVERITY_TERMS[finding.severity])),
            (ox.NamedNode(SH + "resultMessage"), ox.Literal(finding.message, language="en")),
        ]
        if not finding.focus.startswith("_:"):
            facts.append((ox.NamedNode(SH + "focusNode"), ox.NamedNode(finding.focus)))
        shape = expand(finding.check)
        if shape:
            facts.append((ox.NamedNode(SH + "sourceShape"), ox.NamedNode(shape)))
        if finding.path:
            facts.append((ox.NamedNode(SH + "resultPath"), ox.NamedNode(finding.path)))
        if finding.entity:
            facts.append((ox.NamedNode(PREFIXES["dpv"] + "hasEntity"), ox.NamedNode(finding.entity)))
        triples += [ox.Triple(node, p, o) for p, o in facts]
    return triples


@contextmanager
def findings_graph(graph: RecordGraph, *, as_of: dt.date | None = None, waivers=None, report=None) -> Iterator[None]:
    """Put the findings at ``as_of`` into the store for the duration of a query, and take them out afterwards
    (left in, their ropa:Evaluation node would confuse the next validation run). ``report``: a validation already
    run at that date, with its waivers, used instead of validating again."""
    graph.store.extend(ox.Quad(t.subject, t.predicate, t.object, FINDINGS_GRAPH)
                       for t in findings_triples(graph, as_of=as_of, waivers=waivers, report=report))
    try:
        yield
    finally:
        graph.store.remove_graph(FINDINGS_GRAPH)

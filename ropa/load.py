"""Load stage: read RDF files into one Oxigraph store, each file in its own named graph.

Oxigraph is the store because validation and queries must scale to a million triples (it parses and answers
SPARQL one to two orders of magnitude faster than rdflib's in-memory graph). Each file keeps its own named graph
so that every triple can be traced back to the file it came from; queries see the union of all graphs.

Loading is strict, because a record that silently lost a triple cannot be trusted: a syntax error, an
undeclared prefix, or a term in a DPV or ropa namespace that the shipped vocabulary does not define stops the
load with a RopaError naming the file, the line and the nearest known term (every unknown term at once).
"""

from __future__ import annotations

import errno
import os
import re
import shlex
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ropa import resources
from ropa.errors import RopaError, RopaErrors, RopaWarning
from ropa.namespaces import DPV_BASE, PREFIXES, ROPA, declared_prefixes, expand, shorten

FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}
"""File endings ropa reads, and their RDF syntax."""

CHECKED_NAMESPACES = (DPV_BASE, ROPA)
"""IRIs under these bases must be defined by the shipped vocabulary."""

KINDS = ("data", "reference", "vocabulary")


@dataclass(frozen=True)
class LoadedFile:
    """One file in the store: where it came from, which named graph holds it, and what kind of file it is."""

    path: Path
    graph: ox.NamedNode
    kind: str

    @property
    def display_path(self) -> str:
        return display_path(self.path)


@dataclass
class RecordGraph:
    """The merged knowledge graph: data, reference data and vocabulary, queryable as one union graph."""

    store: ox.Store
    files: list[LoadedFile] = field(default_factory=list)
    prefixes: dict[str, str] = field(default_factory=lambda: dict(PREFIXES))
    """ropa's prefixes plus every prefix the loaded Turtle files declare (a user's ``acme:``), for names people type."""

    def expand(self, text: str) -> str | None:
        """``namespaces.expand`` with the record's prefixes: a full IRI, or None when the text names none."""
        return expand(text, self.prefixes)

    def graphs(self, *kinds: str) -> list[ox.NamedNode]:
        """The named graphs of the files of the given kinds (all files when no kind is given)."""
        return [f.graph for f in self.files if not kinds or f.kind in kinds]

    def query(self, sparql: str, bindings: Mapping[str, ox.NamedNode | ox.Literal | ox.BlankNode] | None = None):
        """Run SPARQL over the union of all loaded files; ``bindings`` are bound as RDF terms, never pasted.

        Bound variables must appear in the SELECT projection (Oxigraph substitutes them as in SPARQL SEP-0007).
        """
        substitutions = {ox.Variable(name): term for name, term in (bindings or {}).items()}
        return self.store.query(
            sparql,
            prefixes=PREFIXES,
            use_default_graph_as_union=True,
            substitutions=substitutions or None,
        )

    def select(self, sparql: str, bindings: Mapping[str, ox.NamedNode | ox.Literal | ox.BlankNode] | None = None) -> list[dict[str, str | None]]:
        """A SELECT query's rows as dicts of variable name to the term's value (IRI or lexical form; None if unbound)."""
        solutions = self.query(sparql, bindings)
        names = [variable.value for variable in solutions.variables]
        # A solution iterates over its values in the order of the variables (None when unbound): one call per row.
        return [{name: (term.value if term is not None else None) for name, term in zip(names, s)} for s in solutions]

    def triples(self) -> Iterator[ox.Triple]:
        """Every distinct triple of the union graph."""
        for solution in self.store.query(
            "SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
        ):
            yield ox.Triple(solution["s"], solution["p"], solution["o"])

    def __len__(self) -> int:
        """The number of distinct triples in the union graph."""
        result = self.store.query(
            "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
        )
        return int(next(iter(result))["n"].value)

    def to_rdflib(self):
        """The union graph as an rdflib Graph, with ropa's prefixes bound (for serialisers and graph building)."""
        import rdflib

        graph = rdflib.Graph()
        for prefix, iri in PREFIXES.items():
            graph.bind(prefix, iri, override=True, replace=True)
        for triple in self.triples():
            graph.add((_to_rdflib(triple.subject), _to_rdflib(triple.predicate), _to_rdflib(triple.object)))
        return graph


def load(
    paths: Iterable[str | Path] | None = None,
    *,
    vocabulary: bool = True,
    reference: bool = True,
    check_terms: bool = True,
) -> RecordGraph:
    """Load data files (or the bundled Destiny data when ``paths`` is None) with the vocabulary and reference data.

    Folders are read recursively for the file endings in FORMATS. Raises RopaError on any problem with the input.
    """
    graph = RecordGraph(store=ox.Store())
    terms = check_terms and vocabulary
    known: set[str] | None = None
    unknown: dict[str, set[str]] = {}
    ill_typed: RopaError | None = None
    # Each file is checked (check_written) while the next one is parsed; a file that does not parse is still the
    # first error, before an ill-typed literal of an earlier file, as when the checks followed the whole load.
    # Closed on the way out (an interrupt, an error of this loop): the files not yet started are not loaded.
    with closing(_loaded_in_order(graph.store, planned_files(paths, vocabulary=vocabulary, reference=reference))) as files:
        for loaded in files:
            graph.files.append(loaded)
            if loaded.kind == "data" and FORMATS[loaded.path.suffix.lower()] == ox.RdfFormat.TURTLE:
                for name, iri in declared_prefixes(loaded.path.read_text(encoding="utf-8", errors="replace")).items():
                    graph.prefixes.setdefault(name, iri)   # ropa's own names keep their meaning
            if ill_typed is not None:
                continue
            if terms and known is None and loaded.kind != "vocabulary":
                known = defined_terms(graph)   # the vocabulary files come first
            try:
                found = _check_file(graph, loaded, terms=terms, known=known or set())
            except RopaError as error:
                ill_typed = error
                continue
            if found is not None:
                unknown[loaded.graph.value] = found
    if ill_typed is not None:
        raise ill_typed
    _raise_unknown_terms(graph, unknown)
    if reference:
        check_sources(graph)
    warn_if_empty(graph)
    return graph


def planned_files(paths: Iterable[str | Path] | None = None, *, vocabulary: bool = True,
                  reference: bool = True) -> list[tuple[Path, str]]:
    """The files a load reads, each with its kind: the vocabulary, the reference data, then the data files (the
    bundled Destiny data when ``paths`` is None)."""
    data_files = resources.bundled_data_files() if paths is None else expand_paths(paths)
    planned: list[tuple[Path, str]] = []
    if vocabulary:
        planned += [(p, "vocabulary") for p in resources.vocabulary_files()]
    if reference:
        planned += [(p, "reference") for p in resources.reference_files()]
    seen = {p.resolve() for p, _ in planned}
    planned += [(p, "data") for p in data_files if p.resolve() not in seen]
    return planned


def check_sources(graph: RecordGraph) -> None:
    """Fail on a ropa:source that points at nothing: no quote, public source or any node the record describes
    (a mistyped quote name would otherwise leave the fact untraced, silently)."""
    query = """
        SELECT ?g ?target WHERE {
          GRAPH ?g { ?s ropa:source ?target }
          FILTER(isIRI(?target))
          FILTER NOT EXISTS { GRAPH ?any { ?target ?p ?o } }
        } LIMIT 1"""
    for solution in graph.store.query(query, prefixes=PREFIXES):
        loaded = next(f for f in graph.files if f.graph == solution["g"])
        target = solution["target"].value
        line = find_line(loaded.path, target)
        raise RopaError(f"ropa:source points at {shorten(target)}, which the record does not define (no such quote "
                        "or source)", path=loaded.display_path, line=line or None,
                        key="error.load.source_missing", values={"target": shorten(target)})


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, plus every RDF file below each folder named, in a stable order.

    Nothing below a folder is left out silently: a subfolder that cannot be read, or a symbolic link to a folder
    (which ropa does not follow, so that a link cannot loop or reach outside), is a RopaError.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(_walk(path))
            if not found:
                workbooks = sorted(p.name for p in path.iterdir() if p.suffix.lower() in WORKBOOKS and p.is_file())
                if workbooks:   # a record kept as a workbook: the next step is its import
                    command = f"ropa import {shlex.quote(str(path / workbooks[0]))}"
                    raise RopaError(f"no RDF files here, but a workbook ({workbooks[0]}): turn it into Turtle first "
                                    f"with: {command}", path=str(path), key="error.load.workbook_only",
                                    values={"workbook": workbooks[0], "command": command})
                raise RopaError(f"no RDF files ({', '.join(sorted(FORMATS))}) in this folder", path=str(path),
                                key="error.load.no_rdf", values={"formats": ", ".join(sorted(FORMATS))})
            files.extend(found)
        elif path.is_file():
            if path.suffix.lower() not in FORMATS:
                raise RopaError(
                    f"unsupported file type '{path.suffix}'; ropa reads {', '.join(sorted(FORMATS))}", path=str(path),
                    key="error.load.file_type", values={"suffix": path.suffix, "formats": ", ".join(sorted(FORMATS))})
            files.append(path)
        elif path.exists():
            raise RopaError("neither a file nor a folder (a device, a pipe or a socket); ropa reads RDF files",
                            path=str(path), key="error.load.not_a_file")
        else:
            raise RopaError("no such file or folder", path=str(path), key="error.load.no_file")
    return files


WORKBOOKS = (".xlsx", ".ods", ".csv")
"""The files `ropa import` reads: a folder holding only these is a record not yet imported."""


def _walk(folder: Path) -> Iterator[Path]:
    """The RDF files below a folder (hidden files and folders included, as a record may keep them)."""
    def refuse(error: OSError) -> None:
        denied = error.errno in (errno.EACCES, errno.EPERM)
        raise RopaError(f"cannot read this folder: {error.strerror}; nothing below it was loaded",
                        path=str(error.filename or folder),
                        key="error.load.folder_denied" if denied else "error.load.unreadable_folder",
                        values={"detail": error.strerror})

    for top, folders, names in os.walk(folder, onerror=refuse):
        for name in folders:
            if os.path.islink(os.path.join(top, name)):
                raise RopaError("a symbolic link to a folder: ropa does not follow links inside a folder; "
                                "name the folder it points to as a PATH of its own", path=os.path.join(top, name),
                                key="error.load.folder_link")
        for name in names:
            candidate = Path(top) / name
            if candidate.suffix.lower() in FORMATS and candidate.is_file():
                yield candidate


def warn_if_empty(graph: RecordGraph) -> None:
    """Warn (a RopaWarning) about a data file without a triple, and a record without a processing activity:
    checks on them find nothing, which must not read as a clean record."""
    data = [f for f in graph.files if f.kind == "data"]
    if not data:
        return
    values = " ".join(f"<{f.graph.value}>" for f in data)
    empty = {solution["g"].value for solution in graph.store.query(
        f"SELECT ?g WHERE {{ VALUES ?g {{ {values} }} FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} }} }}")}
    for loaded in data:
        if loaded.graph.value in empty:
            warnings.warn(RopaWarning(f"{loaded.display_path}: the file holds no triples"), stacklevel=3)
    activities = graph.store.query(f"ASK {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?a a <{PREFIXES['dpv']}Process> }} }}")
    if not activities:
        warnings.warn(RopaWarning("the record describes no processing activity (dpv:Process): "
                                  "there is nothing to check or report"), stacklevel=3)


def display_path(path: Path) -> str:
    """A path relative to the working directory or the bundle when possible, for messages and tables."""
    resolved = path.resolve()
    for base in (resources.root(), Path.cwd()):
        try:
            return str(resolved.relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


_PARSER_LOCATION = re.compile(r"^Parser error (?:at line \d+ between columns \d+ and \d+|between line .*? and line \d+ column \d+|at .*?): ")


_BOM = b"\xef\xbb\xbf"


def _loaded_in_order(store: ox.Store, planned: list[tuple[Path, str]]) -> Iterator[LoadedFile]:
    """Load the planned files into the store in their order, in a second thread that goes on to the next file while
    the caller checks the one given (Oxigraph parses without holding Python's global lock: at a million triples the
    checks of check_written take a third of the parsing time); a file that cannot be loaded raises its error in
    its place. Files not yet started when the caller stops are not loaded."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ropa-load") as pool:
        futures = [pool.submit(load_file, store, path, kind) for path, kind in planned]
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def load_file(store: ox.Store, path: Path, kind: str, *, bulk: bool = False) -> LoadedFile:
    """Load one file into its named graph; ``bulk`` uses Oxigraph's bulk loader (no transaction: for an on-disk
    store that a failed load leaves to be rebuilt, several times faster there)."""
    graph_name = ox.NamedNode(path.resolve().as_uri())
    shown = display_path(path)
    rdf_format = FORMATS[path.suffix.lower()]
    load = store.bulk_load if bulk else store.load
    with _reading(shown):
        content = _checked_content(path, rdf_format, shown)
        if content is None:
            load(path=str(path), format=rdf_format, to_graph=graph_name)
        else:
            load(content, format=rdf_format, to_graph=graph_name)
    return LoadedFile(path=path, graph=graph_name, kind=kind)


def read_triples(path: Path) -> list[ox.Triple]:
    """The triples of one file, read as a load reads it (same checks and messages; blank nodes get new names), for
    ``ropa validate --store``, which writes only the difference to the file's stored graph."""
    shown = display_path(path)
    rdf_format = FORMATS[path.suffix.lower()]
    with _reading(shown):
        content = _checked_content(path, rdf_format, shown)
        parsed = ox.parse(content, rdf_format, rename_blank_nodes=True) if content is not None else \
            ox.parse(path=str(path), format=rdf_format, rename_blank_nodes=True)
        return [ox.Triple(q.subject, q.predicate, q.object) for q in parsed]


@contextmanager
def _reading(shown: str):
    """A file's syntax and reading errors as RopaErrors naming the file (and line)."""
    try:
        yield
    except SyntaxError as error:
        message = _PARSER_LOCATION.sub("", error.msg or str(error))
        if "remote context" in message:   # the parser's words for a JSON-LD @context given by its address
            raise RopaError("the JSON-LD @context is given by its address, and ropa fetches nothing from the network; "
                            "put the context in the file", path=shown, line=error.lineno,
                            key="error.load.remote_context") from None
        raise RopaError(message, path=shown, line=error.lineno, column=error.offset, key="error.load.syntax",
                        values={"detail": message}) from None
    except UnicodeDecodeError as error:
        raise RopaError(f"not UTF-8 text ({error.reason} at byte {error.start})", path=shown,
                        key="error.load.not_utf8", values={"byte": error.start}) from None
    except (OSError, ValueError) as error:
        raise RopaError(f"cannot read: {error}", path=shown, key="error.load.unreadable",
                        values={"detail": str(error)}) from None


_ENTITY = re.compile(rb"<!ENTITY")


def _checked_content(path: Path, rdf_format: ox.RdfFormat, shown: str) -> bytes | None:
    """The file's bytes when they need a change before parsing (a UTF-8 byte order mark, which the parser would
    refuse, is dropped), else None. RDF/XML that declares entities is refused: nested entities (billion laughs)
    expand without bound, and RDF has no use for them."""
    if rdf_format != ox.RdfFormat.RDF_XML:
        with open(path, "rb") as handle:
            if handle.read(3) != _BOM:
                return None
        return path.read_bytes()[3:]
    content = path.read_bytes()
    found = _ENTITY.search(content)
    if found:
        line = content.count(b"\n", 0, found.start()) + 1
        raise RopaError("RDF/XML with a DOCTYPE that declares entities (<!ENTITY ...>): refused, as entities can expand "
                        "without bound; write the values out", path=shown, line=line, key="error.load.entities")
    return content[3:] if content.startswith(_BOM) else content


def _raise_unknown_terms(graph: RecordGraph, unknown: Mapping[str, set[str]]) -> None:
    """One RopaError per unknown term (by graph name), in file order, each with its line and the nearest term."""
    checked = [f for f in graph.files if f.kind != "vocabulary"]
    if not any(unknown.values()):
        return
    problems = []
    for loaded in checked:
        located = sorted((find_line(loaded.path, t), t) for t in unknown.get(loaded.graph.value, ()))
        for line, term in located:
            message = f"unknown term {shorten(term)}: not defined by the DPV 2.3 subset or the ropa vocabulary"
            as_property = graph.store.query(f"ASK {{ GRAPH <{loaded.graph.value}> {{ ?s <{term}> ?o }} }}")
            suggestion = nearest_term(term, as_property=bool(as_property))
            if suggestion:
                message += f" (did you mean {suggestion}?)"
            problems.append(RopaError(message, path=loaded.display_path, line=line or None,
                                      key="error.load.unknown_term_close" if suggestion else "error.load.unknown_term",
                                      values={"term": shorten(term), "close": suggestion or ""}))
    raise RopaErrors(problems)


_NAMESPACE_IRI = re.compile(rb"<((?:%s)[^>]*)>" % b"|".join(re.escape(base.encode()) for base in CHECKED_NAMESPACES))
_USED = "ASK { GRAPH ?g { { ?t ?p ?o } UNION { ?s ?t ?o } UNION { ?s ?p ?t } } }"


def unknown_terms(store: ox.Store, graph_name: ox.NamedNode, known: set[str], text: bytes) -> set[str]:
    """The IRIs under CHECKED_NAMESPACES that a named graph uses (as subject, predicate or object) and that are not
    in ``known``, given the graph written out as N-Triples (``text``).

    Read from the N-Triples, where every IRI stands between angle brackets, in one pass of a regular expression:
    three SPARQL scans of the graph (one per position) with a string filter on every term cost twice as much at a
    million triples. A literal's text may look like such an IRI, so each unknown one is confirmed as a term of the
    graph.
    """
    unknown = set()
    for match in set(_NAMESPACE_IRI.findall(text)):
        iri = match.decode("utf-8")
        if iri in known:
            continue
        try:
            term = ox.NamedNode(iri)
        except ValueError:   # not an IRI: text inside a literal
            continue
        if store.query(_USED, substitutions={ox.Variable("g"): graph_name, ox.Variable("t"): term}):
            unknown.add(iri)
    return unknown

_CHECKED_DATATYPES = ("duration", "date", "dateTime", "boolean", "integer", "decimal")


def check_written(graph: RecordGraph, *, terms: bool = True, files: list[LoadedFile] | None = None,
                  known: set[str] | None = None, written: dict[str, bytes] | None = None) -> None:
    """Fail on the first ill-typed literal (e.g. "P4W"^^xsd:duration), which every later check would misread, then
    (with ``terms``) on every IRI in a DPV or ropa namespace that the vocabulary files do not define (a typo catcher,
    each reported once per file with its line and the nearest known term): in every file, or in the given ``files``
    only, each written out once. ``known``: the vocabulary's terms (``defined_terms``), when the caller read them.
    ``written``: per file (its graph's IRI), the N-Triples to check in place of the whole file (``ropa validate
    --store`` checks the triples a change added)."""
    if known is None:
        known = defined_terms(graph) if terms else set()
    unknown = {}
    for loaded in graph.files if files is None else files:
        found = _check_file(graph, loaded, terms=terms, known=known,
                            text=written[loaded.graph.value] if written is not None else None)
        if found is not None:
            unknown[loaded.graph.value] = found
    _raise_unknown_terms(graph, unknown)


def _check_file(graph: RecordGraph, loaded: LoadedFile, *, terms: bool, known: set[str],
                text: bytes | None = None) -> set[str] | None:
    """check_written for one file (its N-Triples ``text``, else the file's graph written out): raises on its first
    ill-typed literal or triple term and gives its unknown terms (None when its terms are not checked)."""
    if text is None:
        text = _written(graph, loaded)
    _check_typed_literals(graph, loaded, text)
    _check_triple_terms(graph, loaded, text)
    if terms and loaded.kind != "vocabulary":
        return unknown_terms(graph.store, loaded.graph, known, text)
    return None


def _written(graph: RecordGraph, loaded: LoadedFile) -> bytes:
    """A file's graph as N-Triples: every IRI between angle brackets, every literal quoted, one triple a line."""
    return graph.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=loaded.graph)


_XSD = PREFIXES["xsd"]
_TYPED_LITERAL = re.compile(rb'"((?:[^"\\\n]|\\.)*)"\^\^<' + re.escape(_XSD.encode())
                            + rb"(" + b"|".join(d.encode() for d in _CHECKED_DATATYPES) + rb")>")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_ESCAPED = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_VALID = "SELECT ?o ?valid WHERE { BIND(<%s>(STR(?o)) AS ?valid) }"


def _check_typed_literals(graph: RecordGraph, loaded: LoadedFile, text: bytes) -> None:
    """Fail on the first ill-typed literal of a file, given as N-Triples: its literals of the checked datatypes are
    found in the text (in N-Triples a quote inside a literal is escaped, so each match is one literal), and each
    distinct one is cast as SPARQL casts it. A SPARQL filter on every triple of the record cost three times as much."""
    for raw, datatype in sorted(set(_TYPED_LITERAL.findall(text))):
        lexical = _unescape(raw.decode("utf-8"))
        iri = _XSD + datatype.decode()
        literal = ox.Literal(lexical, datatype=ox.NamedNode(iri))
        answer = next(iter(graph.store.query(_VALID % iri, substitutions={ox.Variable("o"): literal})))
        if answer["valid"] is None:
            shown = shorten(iri)
            raise RopaError(f'ill-typed literal "{lexical}"^^{shown}: not a valid {shown} value{_hint(lexical, iri)}', path=loaded.display_path,
                            line=_find_text_line(loaded.path, f'"{lexical}"') or None, key="error.load.ill_typed",
                            values={"value": lexical, "type": shown})


_TRIPLE_TERM = b"<<("
_TRIPLE_TERM_SYNTAX = re.compile(r"<<|\{\|")
_HAS_TRIPLE_TERM = "ASK { GRAPH ?g { ?s ?p ?o FILTER(isTRIPLE(?o)) } }"
TRIPLE_TERMS_REFUSED = ("RDF 1.2 triple terms (<<( ... )>>, or a reifier << ... >> or an annotation {| ... |}, which "
                        "write one) are not supported: describe the statement with rdf:Statement (rdf:subject, "
                        "rdf:predicate, rdf:object), as ropa:source quotes do")


def _check_triple_terms(graph: RecordGraph, loaded: LoadedFile, text: bytes) -> None:
    """Fail on an RDF 1.2 triple term in a file, given as N-Triples: the checks, exports and workbooks have no place for
    one, so it is refused here, naming the file and line, rather than later without them (JSON-LD export). The text
    only tells where to look (a literal may hold the same characters); the graph confirms it."""
    if _TRIPLE_TERM not in text:
        return
    if not graph.store.query(_HAS_TRIPLE_TERM, substitutions={ox.Variable("g"): loaded.graph}):
        return
    raise RopaError(TRIPLE_TERMS_REFUSED, path=loaded.display_path, line=_find_line_matching(loaded.path, _TRIPLE_TERM_SYNTAX) or None,
                    key="error.load.triple_term")


def _find_line_matching(path: Path, pattern: re.Pattern) -> int:
    """The first line of a file (not a comment) that the pattern matches (0 if none or unreadable)."""
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.lstrip().startswith("#") and pattern.search(line):
                return number
    except (OSError, UnicodeDecodeError):
        pass
    return 0


def _hint(lexical: str, datatype: str) -> str:
    """What was likely meant by a duration written without its T ("P72H" for 72 hours is "PT72H") or with weeks
    beside other units, which xsd:duration has no place for."""
    if datatype != _XSD + "duration":
        return ""
    text = lexical.strip()
    if re.fullmatch(r"P(?:\d+[HMS])+", text):
        return f" (hours, minutes and seconds come after a T: PT{text[1:]})"
    if "W" in lexical:
        return " (weeks cannot be combined with other units: write the days, P28D for four weeks)"
    return ""


def _unescape(text: str) -> str:
    """The lexical form of an N-Triples string (its escapes undone)."""
    if "\\" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)) if m.group(3) is None else _ESCAPED.get(m.group(3), m.group(0)), text)


def _find_text_line(path: Path, needle: str) -> int:
    """The first line of a file containing the text (0 if none or unreadable)."""
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if needle in line:
                return number
    except (OSError, UnicodeDecodeError):
        pass
    return 0


def defined_terms(graph: RecordGraph) -> set[str]:
    """Every IRI the vocabulary files describe: the terms a record may use in a DPV or ropa namespace."""
    vocab = " ".join(f"<{g.value}>" for g in graph.graphs("vocabulary"))
    if not vocab:
        return set()
    query = f"SELECT DISTINCT ?t WHERE {{ VALUES ?g {{ {vocab} }} GRAPH ?g {{ ?t ?p ?o }} FILTER(isIRI(?t)) }}"
    return {solution["t"].value for solution in graph.store.query(query)}


def nearest_term(term: str, *, as_property: bool = False) -> str | None:
    """The prefixed name of the known term closest to an unknown one, in any namespace (for "did you mean"): a
    property for a term used as a predicate, else a concept or class."""
    from ropa.terms import vocabulary

    close = vocabulary().suggest(term, n=5)
    fitting = [t for t in close if (t.kind == "property") == as_property] or close
    return fitting[0].curie if fitting else None


_PREFIX_DECL = re.compile(r"(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*|)\s*:\s*<([^>]*)>", re.IGNORECASE)


def find_line(path: Path, term: str) -> int:
    """The first line of the file that mentions the term, as a full IRI or a prefixed name (0 if not found)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 0
    forms = [f"<{term}>", f'"{term}"']
    for prefix, namespace in _PREFIX_DECL.findall(text):
        if term.startswith(namespace) and len(term) > len(namespace):
            forms.append(f"{prefix}:{term[len(namespace):]}")
    patterns = [re.compile(re.escape(form) + (r"(?![\w-])" if not form.endswith((">", '"')) else "")) for form in forms]
    lines = text.splitlines()
    # Prefer the line where the term opens a description (its subject line), then any mention.
    for anchored in (True, False):
        for number, line in enumerate(lines, start=1):
            if line.lstrip().startswith(("@prefix", "PREFIX", "#")):
                continue
            if any((p.match(line) if anchored else p.search(line)) for p in patterns):
                return number
    return 0


def _to_rdflib(term):
    import rdflib

    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise RopaError(TRIPLE_TERMS_REFUSED, key="error.load.triple_term")   # a graph that did not come through load()

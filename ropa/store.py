"""Incremental validation for CI: ``ropa validate --store DIR`` keeps the loaded record on disk between runs.

DIR holds an Oxigraph store (one named graph per file, as ``ropa.load`` builds in memory), the raw results of the
last run per compiled check, and ``manifest.json``: per file its content hash, kind and prefixes, and what the
results were computed with (evaluation date, shapes, retention policy). A run reloads only the files whose content
changed, then re-runs each check only where the change can alter its results:

* The changed triples are those of a changed file's graph before and after the reload (all of them for an added or
  removed file); the changed nodes are their subjects and objects.
* A check whose query reads nothing further than one triple from its focus node (every triple pattern, in the
  query, its EXISTS filters and its path steps, touches ?this; walking up rdfs:subClassOf, rdfs:subPropertyOf or
  skos:broader does not count, as those come from the vocabulary) can only change its results for a focus node
  that is a changed node. Its cached results for the changed nodes are dropped and the check is run for them
  alone.
* Any other check (a longer path, a pattern that does not reach ?this, the transfer verdicts or evaluation date
  of the run, a sub-select) is run in full. So is every check after a change to the vocabulary, the reference
  data, the shapes, the retention policy or the evaluation date.

The manifest is removed before the store is touched and written again, atomically, once the store and the cached
results agree: a run that is interrupted leaves no manifest, and the next run rebuilds the store from the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDFS, SKOS
from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.algebra import triples as block_triples
from rdflib.plugins.sparql.parserutils import CompValue

from ropa.errors import RopaError
from ropa.export import write_atomically
from ropa.load import (FORMATS, LoadedFile, RecordGraph, _load_file, check_literals, check_sources,
                       check_vocabulary_terms, display_path, planned_files, warn_if_empty)
from ropa.namespaces import declared_prefixes
from ropa.retention_policy import RetentionPolicy
from ropa.validate import (EVALUATION_GRAPH, CompiledCheck, RawResult, Report, check_local_sparql, compile_shapes,
                           describe, evaluation_context, load_shapes, run_queries, shape_files)

FORMAT = 1
"""The layout of DIR; a store of another layout is rebuilt."""
MANIFEST = "manifest.json"
RESULTS = "results.json"
EVALUATION = "evaluation.nt"
OXIGRAPH = "oxigraph"

_SCHEMA = {RDFS.subClassOf, RDFS.subPropertyOf, SKOS.broader}
"""Predicates only the vocabulary and reference data state: a change to them is a change to those files."""

@dataclass
class Run:
    """What an incremental run did, for the command's summary and the benchmark."""

    reloaded: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed_nodes: int = 0
    full: bool = False
    full_checks: int = 0
    partial_checks: int = 0
    reused_checks: int = 0
    reason: str = ""


def validate_with_store(
    paths: Iterable[str | Path] | None,
    folder: str | Path,
    *,
    as_of: dt.date | None = None,
    shapes: Iterable[str | Path] | None = None,
    retention_policy: RetentionPolicy | None = None,
    allow_service: bool = False,
) -> tuple[RecordGraph, Report, Run]:
    """Validate the record kept in ``folder`` after bringing it up to date with the files; the findings are those
    of ``validate(load(paths))``."""
    as_of = as_of or dt.date.today()
    folder = Path(folder)
    shape_paths = shape_files(shapes)
    shapes_graph = load_shapes(shape_paths)
    check_local_sparql(shapes_graph, allow_service=allow_service)
    checks = compile_shapes(shapes_graph)
    if checks is None:
        raise RopaError("the shapes use SHACL that ropa does not compile to SPARQL; --store runs compiled checks only")
    planned = planned_files(paths)
    for path, _ in planned:
        if path.suffix.lower() not in FORMATS:
            raise RopaError(f"unsupported file type '{path.suffix}'", path=str(path))
    manifest, cached = _read(folder)
    store = _open(folder)
    try:
        return _run(store, folder, planned, checks, shapes_graph, shape_paths, manifest, cached, as_of,
                    retention_policy)
    except RopaError as error:
        # The store is closed when the last reference to it goes: not through the traceback of a user's error
        # (a library caller may open the store again at once).
        store = None   # noqa: F841
        raise error.with_traceback(None) from None


def _run(store, folder, planned, checks, shapes_graph, shape_paths, manifest, cached, as_of, retention_policy):
    settings = {
        "format": FORMAT,
        "as_of": as_of.isoformat(),
        "shapes": _digest(p.read_bytes() for p in shape_paths),
        "checks": _digest(c.query.encode() for c in checks),
        "policy": _digest([json.dumps([asdict(c) for c in retention_policy.ceilings], sort_keys=True).encode()])
        if retention_policy is not None else "",
    }
    run = Run()
    if manifest is None or manifest.get("format") != FORMAT:
        run.full, run.reason = True, "a new store" if manifest is None else "a store of another layout"
        manifest = {"files": {}}
        _clear(store)
    else:
        changed = [key for key in ("as_of", "shapes", "checks", "policy") if manifest.get(key) != settings[key]]
        if changed:
            run.full, run.reason = True, f"another {', '.join(changed)}"
    _remove(folder / MANIFEST)   # from here until the new manifest is written, the store is not to be trusted
    graph, changed_files, changed_nodes, touched_schema = _update(store, planned, manifest["files"], run)
    if touched_schema and not run.full:
        run.full, run.reason = True, "a change to the vocabulary or reference data"
    run.changed_nodes = len(changed_nodes)
    check_literals(graph, changed_files if not run.full else None)
    check_vocabulary_terms(_view(graph, changed_files) if not run.full else graph)
    check_sources(graph)
    warn_if_empty(graph)
    results: dict[str, list[dict]] = {}
    locality: dict[str, bool] = dict(manifest.get("local", {}))
    with evaluation_context(graph, as_of, retention_policy):
        # What the run adds (the evaluation date, the transfer verdicts, the policy's ceilings) is compared with
        # what the last run added, like a file: its changed nodes are changed nodes too.
        added = _triples(store, EVALUATION_GRAPH)
        changed_nodes |= _nodes(added ^ _saved_evaluation(folder)) if not run.full else set()
        for check in checks:
            key = _check_key(check)
            previous = cached.get(key) if not run.full else None
            local = previous is not None and _local(check, locality)
            if local and not changed_nodes:
                run.reused_checks += 1
                results[key] = previous
                continue
            if local:
                run.partial_checks += 1
                blanks = any(n.startswith("_:") for n in changed_nodes)   # then every blank focus is run again
                kept = [r for r in previous if r["focus"] not in changed_nodes
                        and not (blanks and r["focus"].startswith("_:"))]
                fresh = _run_for(graph, check, changed_nodes)
                results[key] = kept + [asdict(r) for r in fresh]
            else:
                run.full_checks += 1
                results[key] = [asdict(r) for r in run_queries(graph, [check])]
    raw = [RawResult(**r) for rows in results.values() for r in rows]
    report = Report(findings=describe(graph, shapes_graph, raw), as_of=as_of, engine="fast",
                    shapes=[display_path(p) for p in shape_paths])
    files = {f.graph.value: {"path": str(f.path.resolve()), "kind": f.kind, "sha256": _hash(f.path),
                             "prefixes": _prefixes(f)} for f in graph.files}
    write_atomically(folder / EVALUATION, ox.serialize([ox.Triple(*t) for t in added], format=ox.RdfFormat.N_TRIPLES))
    write_atomically(folder / RESULTS, json.dumps(results).encode("utf-8"))
    write_atomically(folder / MANIFEST, json.dumps({**settings, "files": files, "local": locality}, indent=1).encode("utf-8"))
    return graph, report, run


# --- The store on disk ------------------------------------------------------------------------------------------

def _read(folder: Path) -> tuple[dict | None, dict]:
    """The manifest and the cached results, or (None, {}) for a new folder; a folder that holds something else is
    refused rather than overwritten."""
    if folder.exists() and not folder.is_dir():
        raise RopaError("--store must name a folder; this is a file", path=str(folder))
    if not folder.exists():
        return None, {}
    manifest_path, results_path = folder / MANIFEST, folder / RESULTS
    if not manifest_path.exists():
        strangers = sorted(p.name for p in folder.iterdir() if p.name not in (OXIGRAPH, RESULTS, MANIFEST, EVALUATION)
                           and not any(p.name.startswith(f".{n}.") for n in (MANIFEST, RESULTS, EVALUATION)))
        if strangers:
            raise RopaError(f"--store: the folder holds other files ({', '.join(strangers[:3])}); name an empty "
                            "or a new folder", path=str(folder))
        return None, {}   # new, or left by an interrupted run: rebuilt
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        cached = json.loads(results_path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict) or not isinstance(cached, dict):
            raise ValueError("unexpected content")
    except (OSError, ValueError) as error:
        raise RopaError(f"--store: the store's manifest or results cannot be read ({error}); remove the folder to "
                        "rebuild it", path=str(folder)) from None
    return manifest, cached


def _open(folder: Path) -> ox.Store:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return ox.Store(str(folder / OXIGRAPH))
    except (OSError, RuntimeError) as error:   # RocksDB reports damage as a RuntimeError
        text = str(error).splitlines()[0] if str(error) else type(error).__name__
        if "lock" in text.lower():
            raise RopaError("--store: the store is in use by another run (its lock is held); wait for that run or "
                            "use another folder", path=str(folder)) from None
        raise RopaError(f"--store: the store cannot be opened ({text[:200]}); remove the folder to rebuild it",
                        path=str(folder)) from None


def _clear(store: ox.Store) -> None:
    store.clear()


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        raise RopaError(f"--store: cannot update the store: {error.strerror}", path=str(path.parent)) from None


def _update(store: ox.Store, planned: list[tuple[Path, str]], known: dict[str, dict], run: Run):
    """Reload the changed files; return the record, the files reloaded, the changed nodes (as finding focus names)
    and whether the vocabulary or reference data changed."""
    graph = RecordGraph(store=store)
    store.remove_graph(EVALUATION_GRAPH) if EVALUATION_GRAPH in set(store.named_graphs()) else None
    changed_files: list[LoadedFile] = []
    nodes: set[str] = set()
    schema = False
    wanted = set()
    for path, kind in planned:
        name = ox.NamedNode(path.resolve().as_uri())
        wanted.add(name.value)
        entry = known.get(name.value)
        digest = _hash(path)
        if entry is not None and entry.get("sha256") == digest and entry.get("kind") == kind:
            graph.files.append(LoadedFile(path=path, graph=name, kind=kind))
            for prefix, iri in entry.get("prefixes", {}).items():
                graph.prefixes.setdefault(prefix, iri)
            continue
        diff = not run.full   # a full run needs no changed nodes: every check runs
        before = _triples(store, name) if diff and entry is not None else set()
        store.remove_graph(name) if entry is not None else None
        loaded = _load_file(store, path, kind)
        after = _triples(store, name) if diff else set()
        graph.files.append(loaded)
        changed_files.append(loaded)
        run.reloaded.append(display_path(path))
        schema |= kind != "data"
        nodes |= _nodes(before ^ after)
        for prefix, iri in _prefixes(loaded).items():
            graph.prefixes.setdefault(prefix, iri)
    for name, entry in known.items():
        if name not in wanted:
            gone = ox.NamedNode(name)
            nodes |= _nodes(_triples(store, gone))
            store.remove_graph(gone)
            run.removed.append(entry.get("path", name))
            schema |= entry.get("kind") != "data"
    return graph, changed_files, nodes, schema


def _saved_evaluation(folder: Path) -> set[tuple]:
    try:
        return {(t.subject, t.predicate, t.object)
                for t in ox.parse(path=str(folder / EVALUATION), format=ox.RdfFormat.N_TRIPLES)}
    except (OSError, SyntaxError):
        return set()


def _triples(store: ox.Store, name: ox.NamedNode) -> set[tuple]:
    return {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, name)}


def _nodes(triples: set[tuple]) -> set[str]:
    """The subjects and objects of the triples, named as a finding names its focus node."""
    found = set()
    for s, _, o in triples:
        for term in (s, o):
            if isinstance(term, ox.NamedNode):
                found.add(term.value)
            elif isinstance(term, ox.BlankNode):
                found.add(f"_:{term.value}")
    return found


def _prefixes(loaded: LoadedFile) -> dict[str, str]:
    if loaded.kind != "data" or FORMATS[loaded.path.suffix.lower()] != ox.RdfFormat.TURTLE:
        return {}
    return declared_prefixes(loaded.path.read_text(encoding="utf-8", errors="replace"))


def _view(graph: RecordGraph, files: list[LoadedFile]) -> RecordGraph:
    """The record with the vocabulary and only the given files, for the checks of a load that look at files."""
    return RecordGraph(store=graph.store, files=[f for f in graph.files if f.kind == "vocabulary"] + files,
                       prefixes=graph.prefixes)


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        raise RopaError(f"cannot read: {error.strerror}", path=display_path(path)) from None
    return digest.hexdigest()


def _digest(parts: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def _check_key(check: CompiledCheck) -> str:
    return hashlib.sha256(f"{check.shape}\n{check.constraint}\n{check.query}".encode()).hexdigest()[:24]


# --- Which focus nodes a change can affect ----------------------------------------------------------------------

def _local(check: CompiledCheck, known: dict[str, bool]) -> bool:
    """True when every triple the check's query reads is one step from ?this (see the module's docstring); the
    answer is kept in the manifest, as reading a query with rdflib's parser takes a while."""
    key = _check_key(check)
    if key not in known:
        reach = _reach(check.flat_query)
        known[key] = reach is not None and reach <= 1 and bool(check.target)
    return known[key]


def _reach(query: str) -> int | None:
    """The largest number of steps from ?this to a triple the query reads, or None when it is not bounded (a
    pattern not joined to ?this, an unbounded path over the record, a sub-select, a term only a run adds)."""
    try:
        algebra = prepareQuery(query).algebra
    except Exception:   # a query rdflib cannot read is not analysed: run in full
        return None
    found: list[tuple] = []
    projects: list[str] = []
    _collect(algebra, found, projects)
    if len(projects) != 1:
        return None
    this = rdflib.Variable("this")
    edges = []
    for number, (s, p, o) in enumerate(found):
        steps = _steps(p)
        if steps is None:
            return None
        # A constant (an IRI or literal) joins nothing: each occurrence is a node of its own.
        ends = [t if isinstance(t, (rdflib.Variable, rdflib.BNode)) else ("const", number, side)
                for side, t in enumerate((s, o))]
        edges.append((ends[0], ends[1], steps))
    distance = {this: 0}
    for _ in range(len(edges) + 1):   # relax until stable (small graphs)
        for a, b, steps in edges:
            for x, y in ((a, b), (b, a)):
                if x in distance and distance[x] + steps < distance.get(y, 1 << 30):
                    distance[y] = distance[x] + steps
    reach = 0
    for a, b, steps in edges:
        near = min(distance.get(a, 1 << 30), distance.get(b, 1 << 30))
        if near >= 1 << 30:
            return None
        reach = max(reach, near + steps)
    return reach


def _collect(node, found: list, projects: list) -> None:
    """Gather every triple pattern of the algebra (BGPs, and the untranslated groups of EXISTS filters), and count
    its projections (more than one is a sub-select, whose variables are another scope)."""
    if isinstance(node, CompValue):
        if node.name in ("Project", "SubSelect"):
            projects.append(node.name)
        if node.name == "BGP":
            found.extend(node.triples)
        elif node.name == "TriplesBlock":
            found.extend(block_triples(node.triples))
        for value in node.values():
            _collect(value, found, projects)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _collect(value, found, projects)


def _steps(path) -> int | None:
    """Triples a path walks from one end to the other (0 for the vocabulary's hierarchies), None if unbounded."""
    if isinstance(path, (rdflib.URIRef, rdflib.Variable)):
        return 0 if path in _SCHEMA else 1
    if isinstance(path, SequencePath):
        parts = [_steps(p) for p in path.args]
        return None if None in parts else sum(parts)
    if isinstance(path, AlternativePath):
        parts = [_steps(p) for p in path.args]
        return None if None in parts else max(parts)
    if isinstance(path, InvPath):
        return _steps(path.arg)
    if isinstance(path, MulPath):
        inner = _steps(path.path)
        if inner == 0:
            return 0
        return inner if path.mod == "?" else None
    return None


def _run_for(graph: RecordGraph, check: CompiledCheck, nodes: set[str]) -> list[RawResult]:
    """The check's results for the given focus nodes (IRIs in VALUES blocks) and, when some of them are blank
    nodes (which query text cannot name, and which get new names when their file is reloaded), for every blank
    focus node."""
    iris = sorted(n for n in nodes if not n.startswith("_:"))
    blanks = len(iris) < len(nodes)
    results: list[RawResult] = []
    for start in range(0, max(len(iris), 1), 2000):
        values = " ".join(f"<{iri}>" for iri in iris[start:start + 2000])
        focus = f"{{ VALUES ?this {{ {values} }} }}"
        if blanks and start == 0:
            focus = f"{{ {focus} UNION {{ {check.target} FILTER(isBlank(?this)) }} }}"   # distinct ones
        restricted = check.flat_query.replace(check.flat_target, f"{focus} {check.flat_target}", 1)
        results += run_queries(graph, [_with_query(check, restricted)])
    return results


def _with_query(check: CompiledCheck, query: str) -> CompiledCheck:
    return replace(check, query=query)

"""Incremental validation for CI: ``ropa validate --store DIR`` keeps the loaded record on disk between runs.

DIR holds an Oxigraph store (one named graph per file, as ``ropa.load`` builds in memory, plus the transfer
verdicts of the last run in a graph of their own), a snapshot of each data file's stored graph (``graphs/``), the
raw results of the last run per compiled check (``results.json``, each with its focus node), what the findings say
of each focus node besides the check (``context.json``: entity, activity, source, labels) and ``manifest.json``: per
file its size, modification time, content hash, kind, prefixes and snapshot digest; what the results were computed
with (evaluation date, shapes, retention policy); the facts the verdicts were judged with; and each check's
analysis. A run costs in proportion to the change:

* A file whose size and modification time are those recorded is not read; any other file is hashed, and read again
  only when its content changed. It is compared with its snapshot, its stored graph then gets only the triples that
  differ (``_write_difference``), and only the triples it gained are checked for ill-typed literals and unknown
  terms.
* Those triples, removed and added, are the changed triples. Each check is re-run only for the focus nodes they can
  affect (see "Which focus nodes a change can affect" below), its cached results for those nodes replaced; a check
  none of whose patterns a changed triple matches keeps its results; a check whose affected nodes cannot be bounded
  is run in full.
* The transfer verdicts are judged again the same way, for the transfers a changed triple can affect, or all of
  them when the facts the rule uses changed (read again only for the instruments a changed triple can affect); the
  verdicts that changed are changed triples too. The context of the findings is read again the same way.
* Every check runs in full after a change to the vocabulary, the reference data, the shapes, the retention policy or
  the evaluation date, and on a new or rebuilt store (which is loaded with the bulk loader).

The manifest is removed before the store is touched and written again, atomically, once the store and the cached
results agree: a run that is interrupted leaves no manifest, and the next run rebuilds the store from the files.
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
import hashlib
import heapq
import json
import os
import re
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath

from ropa.errors import RopaError
from ropa.export import write_atomically
from ropa.load import (CHECKED_NAMESPACES, FORMATS, LoadedFile, RecordGraph, check_sources, check_written,
                       defined_terms, display_path, load_file, planned_files, read_triples, warn_if_empty)
from ropa.namespaces import PREFIXES, ROPA, declared_prefixes, shorten
from ropa.retention_policy import RetentionPolicy
from ropa.validate import (_ENTITIES, _LABELS, _SOURCES, _VARIABLES, EVALUATION_GRAPH, CompiledCheck, RawResult, Report,
                           Source, _closing, check_local_sparql, compile_shapes, describe, english_labels,
                           evaluation_context, finding_context, load_shapes, run_queries, shape_files)

FORMAT = 3
"""The layout of DIR; a store of another layout is rebuilt."""
MANIFEST = "manifest.json"
RESULTS = "results.json"
CONTEXT = "context.json"
SNAPSHOTS = "graphs"
"""Per data file, its stored graph as N-Triples (blank nodes as the store names them): read when the file changed,
several times faster than reading the graph back from the store."""
EVALUATION = "evaluation.nt"
OXIGRAPH = "oxigraph"
_RACY_NS = 2_000_000_000
"""A file modified this close to (or after) the start of the run that recorded it is hashed whatever its size and
time say: an edit in the same clock tick as that run's look leaves both unchanged."""


@dataclass
class Run:
    """What an incremental run did, for the command's summary and the benchmark."""

    reloaded: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed_triples: int = 0
    changed_nodes: int = 0
    full: bool = False
    full_checks: int = 0
    ran_in_full: list[str] = field(default_factory=list)
    """The shapes (prefixed names) of the checks run in full on a partial run."""
    partial_checks: int = 0
    reused_checks: int = 0
    rerun_nodes: int = 0
    verdicts_computed: bool = False
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
    if len({_check_key(c) for c in checks}) < len(checks):
        raise RopaError("--store: two compiled checks are the same; remove the repeated constraint from the shapes")
    planned = planned_files(paths)
    for path, _ in planned:
        if path.suffix.lower() not in FORMATS:
            raise RopaError(f"unsupported file type '{path.suffix}'", path=str(path))
    manifest, cached = _read(folder)
    analyses = _analyses(checks, {key: value for key, value in (manifest or {}).get("analysis", {}).items()
                                  if key.startswith(f"{_ANALYSIS}-")})
    store = _open(folder)
    # The run makes and drops many small tuples (triples, rows) and no garbage cycles worth collecting: collections
    # of the older objects (the shapes graph among them) took a quarter of a one-file change's CPU time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(store, folder, planned, checks, shapes_graph, shape_paths, manifest, cached, as_of,
                    retention_policy, analyses)
    except RopaError as error:
        # The store is closed when the last reference to it goes: not through the traceback of a user's error
        # (a library caller may open the store again at once).
        store = None   # noqa: F841
        raise error.with_traceback(None) from None
    finally:
        if collecting:
            gc.enable()


def _analyses(checks: list[CompiledCheck], known: dict[str, dict]) -> dict[str, dict]:
    """The analysis of every check and of the verdicts' queries, reading those the manifest lacks in a thread of
    its own: rdflib's query parser keeps frames alive in what it caches, and with them every caller's locals (a
    store among them would stay open)."""
    def read() -> dict[str, dict]:
        for check in checks:
            _analysis(check, known)
        _verdict_analysis(known)
        _context_analysis(known)
        return known

    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(read).result()


def _run(store, folder, planned, checks, shapes_graph, shape_paths, manifest, cached, as_of, retention_policy,
         analyses):
    started = time.time_ns()
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
    else:
        changed = [key for key in ("as_of", "shapes", "checks", "policy") if manifest.get(key) != settings[key]]
        if changed:
            run.full, run.reason = True, f"another {', '.join(changed)}"
    _remove(folder / MANIFEST)   # from here until the new manifest is written, the store is not to be trusted
    disk = store
    if run.full:
        # A full run validates in memory, as a run without the store does, and then writes the store from memory
        # in one bulk (Oxigraph answers the checks several times faster from memory than from disk).
        store = ox.Store()
        graph, changed_files, changed, files, added = _update(store, folder, planned, {"files": {}}, run)
    else:
        graph, changed_files, changed, files, added = _update(store, folder, planned, manifest, run)
    run.changed_triples = len(changed)
    if run.full:
        check_written(graph)
    else:   # the unchanged files were checked when they were loaded; of the others, what the change added
        named = _checked_terms(changed)
        if named - _defined(graph, named):   # the file checked in full, for the load's message
            check_written(graph, files=changed_files, known=defined_terms(graph))
        check_written(graph, files=changed_files, terms=False, written=added)
    check_sources(graph)
    warn_if_empty(graph)
    results: dict[str, list[dict]] = {}
    walker = _Walker(store, changed)
    with evaluation_context(graph, as_of, retention_policy, verdicts=False):
        # The transfer verdicts stay in the store, in a graph of their own; when a changed triple can alter them,
        # they are computed again and only their changes written, which are changed triples too.
        changed |= _update_verdicts(graph, as_of, run, manifest, changed, analyses, walker)
        walker = _Walker(store, changed)   # the verdicts that changed too
        run.changed_nodes = len(_nodes(changed))
        for check in checks:
            key = _check_key(check)
            previous = cached.get(key) if not run.full else None
            if previous is not None:   # a blank constraint is named anew by each parse of the shapes
                previous = [{**r, "constraint": check.constraint} for r in previous]
            focus = _affected(check, _analysis(check, analyses), changed, walker) if previous is not None else None
            if focus is None:
                run.full_checks += 1
                if not run.full:
                    run.ran_in_full.append(shorten(check.shape))
                results[key] = [asdict(r) for r in run_queries(graph, [check])]
                continue
            # A blank focus node of a reloaded file has another name now: its old results go, and the new node,
            # all of whose triples are added ones, is among the affected nodes when it has any result.
            gone = {r["focus"] for r in previous if r["focus"].startswith("_:") and not _exists(store, r["focus"])}
            if not focus and not gone:
                run.reused_checks += 1
                results[key] = previous
                continue
            names = {_name(n) for n in focus}
            run.partial_checks += 1
            run.rerun_nodes += len(names)
            kept = [r for r in previous if r["focus"] not in names and r["focus"] not in gone]
            results[key] = kept + [asdict(r) for r in _run_for(graph, check, focus)]
    raw = [RawResult(**r) for rows in results.values() for r in rows]
    context, kept = _context(graph, raw, None if run.full else _kept(folder / CONTEXT), changed, walker, analyses)
    report = Report(findings=describe(graph, shapes_graph, raw, context), as_of=as_of, engine="fast",
                    shapes=[display_path(p) for p in shape_paths])
    if disk is not store:
        disk.clear()
        quads = iter(store)
        while chunk := list(islice(quads, 100_000)):   # in one go, the bulk loader holds a copy of the record
            disk.bulk_extend(chunk)
    disk.flush()
    if run.full:
        for loaded in graph.files:
            entry = files[loaded.graph.value]
            if entry["kind"] == "data":
                entry["snapshot"] = _write_snapshot(folder, loaded.graph,
                                                    store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=loaded.graph))
    write_atomically(folder / RESULTS, json.dumps(results).encode("utf-8"))
    write_atomically(folder / CONTEXT, json.dumps(kept).encode("utf-8"))
    write_atomically(folder / MANIFEST, json.dumps({**settings, "started": started, "files": files,
                                                    "facts": manifest.get("facts"), "analysis": analyses},
                                                   indent=1).encode("utf-8"))
    return graph, report, run


def _context(graph: RecordGraph, raw: list[RawResult], kept: dict | None, changed: set[tuple], walker: _Walker,
             analyses: dict) -> tuple[tuple, dict]:
    """What the findings say of each focus node besides the check (the entity and activity they are attributed to,
    the source quote, the labels), as ``describe`` takes it, and as JSON to keep for the next run. Only what a
    changed triple can alter is read again: the entity, activity and source of the focus nodes it can reach through
    the queries that find them (as a check's focus nodes are found), and the labels of the nodes it labels (reading
    them all took 0.3 to 0.4 s at a million triples)."""
    focuses = sorted({r.focus for r in raw if not r.focus.startswith("_:")})
    analysis = _context_analysis(analyses)
    entities: dict = {}
    sources: dict = {}
    labels: dict = {}
    labelled = {t[0] for _, t in _hits(analysis["labels"], changed)}
    if kept is not None:
        stale: set | None = set()
        for part in ("entities", "sources"):
            found = _affected(None, analysis[part], changed, walker)
            stale = None if found is None or stale is None else stale | {_name(n) for n in found}
        if stale is not None and all(isinstance(n, ox.NamedNode) for n in labelled):
            entities = {f: v for f, v in kept["entities"].items() if f not in stale}
            sources = {f: v for f, v in kept["sources"].items() if f not in stale}
            relabelled = {n.value for n in labelled}
            labels = {iri: v for iri, v in kept["labels"].items() if iri not in relabelled}
    missing = [f for f in focuses if f not in entities]
    entity_of, found = finding_context(graph, missing)
    for focus in missing:
        entities[focus] = list(entity_of[focus]) if focus in entity_of else None
        sources[focus] = [found[focus].file, found[focus].section, found[focus].quote] if focus in found else None
    named = sorted(set(focuses) | {iri for f in focuses for iri in entities[f] or () if iri})
    unread = [iri for iri in named if iri not in labels]
    read = english_labels(graph, unread)
    labels.update({iri: read.get(iri) for iri in unread})
    kept = {"entities": {f: entities[f] for f in focuses}, "sources": {f: sources[f] for f in focuses},
            "labels": {iri: labels[iri] for iri in named}}
    context = ({f: tuple(v) for f, v in kept["entities"].items() if v},
               {f: Source(*v) for f, v in kept["sources"].items() if v},
               {iri: label for iri, label in kept["labels"].items() if label is not None})
    return context, kept


def _context_analysis(analyses: dict) -> dict:
    """The analyses of the queries ``describe`` reads a focus node's entity, activity and source with (the node in
    the place of ?this) and the patterns of the query for labels."""
    prologue = "".join(f"PREFIX {prefix}: <{iri}>\n" for prefix, iri in PREFIXES.items())

    def rooted(text: str) -> str:
        text = re.sub(r"VALUES \?node \{ (?:NODES|%s) \}", "", text)
        return prologue + re.sub(r"\?node\b", "?this", text)

    texts = [rooted(_ENTITIES), rooted(_SOURCES), rooted(_LABELS)]
    key = f"{_ANALYSIS}-context-" + _digest(t.encode() for t in texts)[:24]
    if key not in analyses:
        labels = _analyse(texts[2])["patterns"] or [[["var", "s"], ["any", "p"], ["var", "o"]]]
        analyses[key] = {"entities": _analyse(texts[0]), "sources": _analyse(texts[1]), "labels": labels}
    return analyses[key]


def _kept(path: Path) -> dict | None:
    """What the last run kept in a JSON file, or None (the run then reads it all again)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


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
        strangers = sorted(p.name for p in folder.iterdir()
                           if p.name not in (OXIGRAPH, RESULTS, MANIFEST, EVALUATION, CONTEXT, SNAPSHOTS)
                           and not any(p.name.startswith(f".{n}.") for n in (MANIFEST, RESULTS, EVALUATION, CONTEXT)))
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


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        raise RopaError(f"--store: cannot update the store: {error.strerror}", path=str(path.parent)) from None


def _update(store: ox.Store, folder: Path, planned: list[tuple[Path, str]], manifest: dict, run: Run):
    """Reload the changed files; return the record, the files reloaded, the changed triples (none on a full run,
    which needs none) and the manifest's new entries per file. A change to the vocabulary or reference data makes
    the run a full one."""
    known: dict[str, dict] = manifest["files"]
    graph = RecordGraph(store=store)
    if EVALUATION_GRAPH in set(store.named_graphs()):
        store.remove_graph(EVALUATION_GRAPH)
    changed_files: list[LoadedFile] = []
    changed: set[tuple] = set()
    files: dict[str, dict] = {}
    added: dict[str, bytes] = {}   # per file reloaded on a partial run, the triples added to it, as N-Triples
    for path, kind in planned:
        name = ox.NamedNode(path.resolve().as_uri())
        entry = known.get(name.value)
        stat = _stat(path)
        if entry is not None and entry.get("kind") == kind and _unchanged(entry, stat, path, manifest):
            graph.files.append(LoadedFile(path=path, graph=name, kind=kind))
            for prefix, iri in entry.get("prefixes", {}).items():
                graph.prefixes.setdefault(prefix, iri)
            files[name.value] = {**entry, "size": stat.st_size, "mtime": stat.st_mtime_ns}
            continue
        if kind != "data" and not run.full:
            run.full, run.reason = True, "a change to the vocabulary or reference data"
        if run.full:
            if entry is not None:
                store.remove_graph(name)
            loaded = load_file(store, path, kind, bulk=True)
        else:
            fresh = read_triples(path)   # a file that does not parse leaves its stored graph as it was
            stored = _stored(store, folder, name, entry) if entry is not None else set()
            difference, wanted = _write_difference(store, name, stored, fresh)
            changed |= difference
            added[name.value] = ox.serialize([ox.Triple(*t) for t in difference & wanted],
                                             format=ox.RdfFormat.N_TRIPLES)
            loaded = LoadedFile(path=path, graph=name, kind=kind)
        graph.files.append(loaded)
        changed_files.append(loaded)
        run.reloaded.append(display_path(path))
        prefixes = _prefixes(loaded)
        for prefix, iri in prefixes.items():
            graph.prefixes.setdefault(prefix, iri)
        files[name.value] = {"path": str(path.resolve()), "kind": kind, "sha256": _hash(path), "size": stat.st_size,
                             "mtime": stat.st_mtime_ns, "prefixes": prefixes}
        if not run.full:
            files[name.value]["snapshot"] = _write_snapshot(
                folder, name, ox.serialize([ox.Triple(*t) for t in wanted], format=ox.RdfFormat.N_TRIPLES))
    for name, entry in known.items():
        if name not in files:
            gone = ox.NamedNode(name)
            if not run.full:
                changed |= _triples(store, gone)
            store.remove_graph(gone)
            _snapshot_path(folder, gone).unlink(missing_ok=True)
            run.removed.append(entry.get("path", name))
            if entry.get("kind") != "data" and not run.full:
                run.full, run.reason = True, "a change to the vocabulary or reference data"
    return graph, changed_files, (set() if run.full else changed), files, added


def _write_difference(store: ox.Store, name: ox.NamedNode, stored: set[tuple], fresh: list[ox.Triple]
                      ) -> tuple[set[tuple], set[tuple]]:
    """Bring a file's stored graph to its fresh triples by removing and adding only what differs, and return that
    difference and the graph's triples now. The fresh blank nodes take the stored names of the blank nodes they
    match (see ``_same_blanks``): a file whose blank nodes were read anew is not a change of all of them."""
    same = _same_blanks(stored, fresh)
    wanted = {(same.get(t.subject, t.subject), t.predicate, same.get(t.object, t.object)) for t in fresh}
    gone, added = stored - wanted, wanted - stored
    for s, p, o in gone:
        store.remove(ox.Quad(s, p, o, name))
    store.extend(ox.Quad(s, p, o, name) for s, p, o in added)
    return gone | added, wanted


def _snapshot_path(folder: Path, name: ox.NamedNode) -> Path:
    return folder / SNAPSHOTS / (hashlib.sha256(name.value.encode()).hexdigest()[:32] + ".nt")


def _write_snapshot(folder: Path, name: ox.NamedNode, text: bytes) -> str:
    """Keep a file's stored graph as N-Triples; return the digest the manifest keeps to recognise it."""
    try:
        (folder / SNAPSHOTS).mkdir(exist_ok=True)
    except OSError as error:
        raise RopaError(f"--store: cannot update the store: {error.strerror}", path=str(folder)) from None
    write_atomically(_snapshot_path(folder, name), text)
    return hashlib.sha256(text).hexdigest()


def _stored(store: ox.Store, folder: Path, name: ox.NamedNode, entry: dict) -> set[tuple]:
    """A file's stored graph: from its snapshot when that is the one the manifest names, else from the store."""
    try:
        text = _snapshot_path(folder, name).read_bytes()
    except OSError:
        text = None
    if text is None or hashlib.sha256(text).hexdigest() != entry.get("snapshot"):
        return _triples(store, name)
    return {(q.subject, q.predicate, q.object) for q in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)}


def _same_blanks(stored: set[tuple], fresh: list[ox.Triple]) -> dict:
    """Fresh blank nodes paired with stored ones that sit alike in their graph: the same label after three rounds of
    labelling each blank node by its triples (its neighbours' labels in place of blank neighbours). Blank nodes of
    one label are paired in any order: any pairing gives the same graph, up to the names of its blank nodes."""
    def labels(triples) -> dict:
        blank = [t for t in triples if isinstance(t[0], ox.BlankNode) or isinstance(t[2], ox.BlankNode)]
        label = {n: "" for s, _, o in blank for n in (s, o) if isinstance(n, ox.BlankNode)}
        for _ in range(3):
            parts: dict = {n: [] for n in label}
            for s, p, o in blank:
                if s in label:
                    parts[s].append(("out", p.value, label.get(o, str(o))))
                if o in label:
                    parts[o].append(("in", p.value, label.get(s, str(s))))
            label = {n: hashlib.sha1(repr(sorted(v)).encode()).hexdigest() for n, v in parts.items()}
        return label

    old, new = labels(stored), labels([(t.subject, t.predicate, t.object) for t in fresh])
    by_label: dict[str, list] = {}
    for node, label in sorted(old.items(), key=lambda item: item[0].value):
        by_label.setdefault(label, []).append(node)
    pairs = {}
    for node, label in sorted(new.items(), key=lambda item: item[0].value):
        if by_label.get(label):
            pairs[node] = by_label[label].pop()
    return pairs


def _defined(graph: RecordGraph, terms: set[str]) -> set[str]:
    """Those of the terms that the vocabulary files describe (asked of each term: reading every term the vocabulary
    defines took 0.07 s)."""
    vocabulary = " ".join(f"<{g.value}>" for g in graph.graphs("vocabulary"))
    if not terms or not vocabulary:
        return set()
    asked = " ".join(f"<{t}>" for t in sorted(terms))
    query = f"SELECT DISTINCT ?t WHERE {{ VALUES ?g {{ {vocabulary} }} VALUES ?t {{ {asked} }} GRAPH ?g {{ ?t ?p ?o }} }}"
    return {solution["t"].value for solution in graph.store.query(query)}


def _checked_terms(changed: set[tuple]) -> set[str]:
    """The terms of a DPV or ropa namespace the changed triples name (each must be one the vocabulary defines)."""
    return {t.value for triple in changed for t in triple
            if isinstance(t, ox.NamedNode) and t.value.startswith(CHECKED_NAMESPACES)}


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except OSError as error:
        raise RopaError(f"cannot read: {error.strerror}", path=display_path(path)) from None


def _unchanged(entry: dict, stat: os.stat_result, path: Path, manifest: dict) -> bool:
    """Whether a file holds what was loaded: by its size and modification time when the last run saw them settled,
    else by its content's hash."""
    if (entry.get("size") == stat.st_size and entry.get("mtime") == stat.st_mtime_ns
            and stat.st_mtime_ns < manifest.get("started", 0) - _RACY_NS):
        return True
    return entry.get("sha256") == _hash(path)


def _update_verdicts(graph: RecordGraph, as_of: dt.date, run: Run, manifest: dict, changed: set[tuple],
                     analyses: dict, walker: _Walker) -> set[tuple]:
    """Bring the VERDICTS graph up to date and return the triples that changed there.

    The verdicts are judged again for the links whose rows of ``ropa.transfers``' subjects query a changed triple can
    alter (found like a check's focus nodes, the subject in the place of ?this), all of them when the facts the rule
    uses (instruments, places, certifications, labels) changed, and none when no changed triple matches a pattern
    of those queries. The facts are kept in the manifest and read again only where a changed triple can alter them
    (reading every instrument the record's transfers name took 0.2 to 0.4 s at a million triples)."""
    from ropa.transfers import facts

    store = graph.store
    analysis = _verdict_analysis(analyses)
    kept = _facts_of(manifest.get("facts"))
    known = None
    subjects: set | None = None   # None: every link
    if not run.full and kept is not None and VERDICTS in set(store.named_graphs()):
        subjects = set()
        if any(_hits(analysis[part], changed) for part in ("instruments-patterns", "places", "certified", "labels")):
            known = _facts_after(graph, kept, changed, analysis, walker) or facts(graph)
            if _facts_json(known) != manifest.get("facts"):
                subjects = None
        else:
            known = kept
        if subjects is not None:
            found = _affected(None, analysis["subjects"], changed, walker)
            if found is None:
                subjects = None
            else:
                subjects = {n for n in found if not isinstance(n, ox.Literal)}
                if not subjects:
                    return set()
    known = known or facts(graph)
    manifest["facts"] = _facts_json(known)
    run.verdicts_computed = True
    return _write_verdicts(graph, as_of, known, subjects)


def _facts_after(graph: RecordGraph, kept, changed: set[tuple], analysis: dict, walker: _Walker):
    """The facts of the last run brought up to date: the instruments a changed triple can alter (found like a check's
    focus nodes, the instrument in the place of ?this) read again, and their labels; the places and certifications
    read again when a changed triple matches their query. None when the instruments cannot be bounded."""
    from ropa.transfers import read_certified, read_instruments, read_labels, read_places

    bases = _affected(None, analysis["instruments"], changed, walker)
    labelled = [t[0] for _, t in _hits(analysis["labels"], changed)]
    if bases is None or not all(isinstance(n, ox.NamedNode) for n in [*bases, *labelled]):
        return None
    if _hits(analysis["places"], changed):
        kept.eea = read_places(graph)
    if _hits(analysis["certified"], changed):
        kept.certified = read_certified(graph)
    names = {n.value for n in bases}
    for iri in names:
        kept.instruments.pop(iri, None)
    kept.instruments.update(read_instruments(graph, sorted(names)))
    relabel = names | {n.value for n in labelled}
    for iri in relabel:
        kept.labels.pop(iri, None)
    kept.labels.update(read_labels(graph, sorted(relabel & set(kept.instruments))))
    return kept


def _facts_json(known) -> dict:
    """The verdicts' facts as JSON, for the manifest."""
    return {"instruments": {iri: [i.kind, i.starts.isoformat() if i.starts else None,
                                  i.ends.isoformat() if i.ends else None, sorted(i.covers), i.certified_only]
                            for iri, i in sorted(known.instruments.items())},
            "eea": dict(sorted(known.eea.items())),
            "certified": {party: sorted(frameworks) for party, frameworks in sorted(known.certified.items())},
            "labels": dict(sorted(known.labels.items()))}


def _facts_of(data):
    """The facts kept in the manifest (None when there are none)."""
    from ropa.transfers import Facts, Instrument

    if not isinstance(data, dict):
        return None
    day = lambda text: dt.date.fromisoformat(text) if text else None   # noqa: E731
    return Facts(instruments={iri: Instrument(kind, day(starts), day(ends), set(covers), only)
                              for iri, (kind, starts, ends, covers, only) in data["instruments"].items()},
                 eea=dict(data["eea"]), certified={p: set(f) for p, f in data["certified"].items()},
                 labels=dict(data["labels"]))


def _write_verdicts(graph: RecordGraph, as_of: dt.date, known, subjects: set | None) -> set[tuple]:
    """Write the verdicts (of the subjects' links only, when given) into the VERDICTS graph, each named by what it
    judges (so that a new transfer renames no other), and return the triples that changed."""
    from ropa.transfers import verdicts_ntriples

    text, apart = verdicts_ntriples(graph, as_of, bases=False, known=known,
                                    subjects=sorted(subjects, key=_name) if subjects is not None else None)
    parsed = [(t.subject, t.predicate, t.object) for t in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)]
    parsed += [(t.subject, t.predicate, t.object) for t in apart]
    judged: dict = {}
    for s, p, o in parsed:
        if p.value in (_VERDICT_FOR, _DESTINATION):
            judged.setdefault(s, {})[p.value] = _nt(o)
    names = {node: ox.NamedNode("urn:ropa:verdict:" + hashlib.sha256(
        f"{parts.get(_VERDICT_FOR)} {parts.get(_DESTINATION)}".encode()).hexdigest()[:32]) for node, parts in judged.items()}
    fresh = {(names.get(s, s), p, names.get(o, o) if isinstance(o, ox.NamedNode) else o) for s, p, o in parsed}
    store = graph.store
    if subjects is None:
        old = _triples(store, VERDICTS)
    else:
        nodes = {q.subject for subject in subjects
                 for q in store.quads_for_pattern(None, ox.NamedNode(_VERDICT_FOR), subject, VERDICTS)}
        old = {(q.subject, q.predicate, q.object) for node in nodes for q in store.quads_for_pattern(node, None, None, VERDICTS)}
    for s, p, o in old - fresh:
        store.remove(ox.Quad(s, p, o, VERDICTS))
    store.extend(ox.Quad(s, p, o, VERDICTS) for s, p, o in fresh - old)
    return old ^ fresh


VERDICTS = ox.NamedNode("urn:ropa:store:verdicts")
"""The named graph of the transfer verdicts the checks read (``ropa.validate`` adds them for a run; the store keeps
them)."""
_VERDICT_FOR = ROPA + "verdictFor"
_DESTINATION = ROPA + "destination"


def _verdict_analysis(analyses: dict) -> dict:
    """The analyses of the verdicts' queries: the subjects query (its ?subject as the root), the instruments query
    (its ?basis as the root), and the patterns of the queries for the places, certifications and labels (kept with
    the checks' analyses; a query that cannot be analysed matches every triple)."""
    from ropa.transfers import verdict_queries

    prologue = "".join(f"PREFIX {prefix}: <{iri}>\n" for prefix, iri in PREFIXES.items())
    subjects, (instruments, places, certified, labels) = verdict_queries()
    subjects = prologue + re.sub(r"\?subject\b", "?this", subjects)
    instruments = prologue + re.sub(r"\?basis\b", "?this", instruments)
    texts = [prologue + text for text in (places, certified, labels)]
    key = f"{_ANALYSIS}-verdicts-" + _digest(t.encode() for t in [subjects, instruments, *texts])[:24]
    if key not in analyses:
        def patterns(text: str) -> list:
            analysed = _analyse(text)["patterns"]
            return analysed if analysed is not None else [[["var", "s"], ["any", "p"], ["var", "o"]]]

        read = _analyse(instruments)
        analyses[key] = {"subjects": _analyse(subjects), "instruments": read, "places": patterns(texts[0]),
                         "certified": patterns(texts[1]), "labels": patterns(texts[2]),
                         "instruments-patterns": read["patterns"] or patterns("")}
    return analyses[key]


def _triples(store: ox.Store, name: ox.NamedNode) -> set[tuple]:
    return {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, name)}


def _nodes(triples: set[tuple]) -> set:
    """The subjects and objects of the triples."""
    return {term for s, _, o in triples for term in (s, o)}


def _name(term) -> str:
    """A node named as a finding names its focus node."""
    return term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def _prefixes(loaded: LoadedFile) -> dict[str, str]:
    if loaded.kind != "data" or FORMATS[loaded.path.suffix.lower()] != ox.RdfFormat.TURTLE:
        return {}
    return declared_prefixes(loaded.path.read_text(encoding="utf-8", errors="replace"))


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
    """A name for the check that stays the same across runs (a blank constraint's name does not)."""
    stable = check.constraint if not check.constraint.startswith("_:") else ""
    text = "\n".join([check.shape, stable, check.severity, check.path or "", check.message, check.query])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


_ONE_BY_ONE = 300
"""Up to this many focus nodes, a check is run once per node with ?this bound (a few milliseconds each); more go
in VALUES blocks, which Oxigraph joins after evaluating the rest of some queries for the whole record."""


def _run_for(graph: RecordGraph, check: CompiledCheck, nodes: set) -> list[RawResult]:
    """The check's results for the given focus nodes."""
    if len(nodes) <= _ONE_BY_ONE:
        one = copy.copy(check)   # not dataclasses.replace: the check would take its query as written again
        object.__setattr__(one, "written", _lateral(check.written))
        return [r for node in sorted(nodes, key=_name) for r in run_queries(graph, [one], this=node)]
    iris = sorted(n.value for n in nodes if isinstance(n, ox.NamedNode))
    others = {_name(n) for n in nodes if not isinstance(n, ox.NamedNode)}
    results: list[RawResult] = []
    for start in range(0, len(iris), 2000):
        values = " ".join(f"<{iri}>" for iri in iris[start:start + 2000])
        restricted = check.flat_query.replace(check.flat_target, f"{{ VALUES ?this {{ {values} }} }} {check.flat_target}", 1)
        results += run_queries(graph, [replace(check, query=restricted)])
    if others:   # blank nodes, which query text cannot name: the check runs for every such focus node
        restricted = check.flat_query.replace(check.flat_target, f"{check.flat_target} FILTER(!isIRI(?this))", 1)
        results += [r for r in run_queries(graph, [replace(check, query=restricted)]) if r.focus in others]
    return results


_OPTIONAL = re.compile(r"(?<![\w$?])OPTIONAL\s*\{", re.IGNORECASE)


def _lateral(query: str) -> str:
    """The query with each OPTIONAL group written ``LATERAL { OPTIONAL { ... } }`` (SEP-0006, which Oxigraph reads),
    for a run with ?this bound: the group is then read for each solution of that focus node, where Oxigraph may
    plan to read it for the whole record and join (rs:RetentionAbovePolicy read every English label of the record
    for one activity: 0.3 s at a million triples). The rows are the same: a solution's variables bound in the group
    are those a left join would match, and its FILTER sees the solution's variables either way."""
    parts, position, start = [], 0, 0
    while position < len(query):
        token = _VARIABLES.match(query, position)
        if token is not None:   # comments, strings, IRIs and variables are skipped whole
            position = token.end()
            continue
        found = _OPTIONAL.match(query, position)
        end = _closing(query, found.end()) if found else None
        if end is None:
            position += 1
            continue
        parts += [query[start:position], "LATERAL { OPTIONAL {", _lateral(query[found.end():end - 1]), "} }"]
        position = start = end
    return "".join(parts) + query[start:]


def _exists(store: ox.Store, name: str) -> bool:
    """Whether the store still holds the blank node of a finding (True when the name is not a blank node's)."""
    try:
        node = ox.BlankNode(name[2:])
    except ValueError:
        return True
    return any(True for _ in store.quads_for_pattern(node, None, None)) or \
        any(True for _ in store.quads_for_pattern(None, None, node))


# --- Which focus nodes a change can affect ----------------------------------------------------------------------
#
# A check's query (its flat form: target and constraint in one WHERE clause) is read as triple patterns in groups:
# a pattern's *contexts* are the sets of patterns every solution that reads it matches too (its own group, the groups
# it is joined with, the group a FILTER EXISTS, OPTIONAL or MINUS hangs off; one set per choice of UNION branch).
# Within a context the patterns form a graph whose nodes are variables (a pattern links its subject and object, and
# a variable predicate to its subject); as every pattern of the context is matched, any route in that graph from the
# pattern to ?this is walked by the solution, cycles or not. A changed triple (added or removed) can alter the
# results of focus node f only if it matches a pattern of a solution for f: so the focus nodes to re-run are found
# backwards, from each changed triple that matches a pattern along the cheapest route of each of its contexts to
# ?this, each step along a pattern's path read backwards. The walk reads the updated store together with the
# changed triples, which holds every solution of the store before the change and after it. A pattern that cannot
# reach ?this in one of its contexts (the evaluation date, say) forces a full run of the check when a changed triple
# matches it, and so does a query the analysis cannot read.

_ANALYSIS = 5
"""The version of the analysis below: analyses kept by another version are made again."""

_LIMIT = 20000
"""More focus nodes than this to re-run: the check is run in full (faster than so long a VALUES list)."""

_ALTERNATIVES = 32
"""More contexts than this for a pattern (UNIONs joined with UNIONs): the patterns common to all of them are used."""


class _Unbounded(Exception):
    """The affected focus nodes of a check cannot be bounded cheaply: it is run in full."""


def _analysis(check: CompiledCheck, known: dict[str, dict]) -> dict:
    """The check's patterns and the routes from each to ?this (see above), kept in the manifest: reading a query
    with rdflib's parser takes a while. ``routes[i]`` is None when pattern i cannot be bounded."""
    key = f"{_ANALYSIS}-{_check_key(check)}"
    if key not in known:
        known[key] = _analyse(check.flat_query) if check.target else {"patterns": None, "routes": None}
    return known[key]


def _analyse(query: str) -> dict:
    try:
        from rdflib.plugins.sparql import prepareQuery   # here: its grammar takes a tenth of a second to import

        algebra = prepareQuery(query).algebra
        reader = _Groups()
        group = reader.read(algebra)
    except Exception:   # a query rdflib cannot read, or a part not analysed here: run in full
        return {"patterns": None, "routes": None}
    contexts: list[list[frozenset]] = [[] for _ in reader.patterns]
    reader.visit(group, [frozenset()], contexts)
    patterns = reader.patterns
    return {"patterns": patterns, "routes": [_routes(patterns, index, contexts[index]) for index in range(len(patterns))]}


class _Groups:
    """A query's algebra as nested groups of its triple patterns: ("p", index) a pattern, ("all", parts) parts
    matched together, ("any", parts) one of them (UNION), ("side", main, extras) a main group with groups read
    against its solutions that it does not need (OPTIONAL, FILTER EXISTS, MINUS), ("open", part) a part none of whose
    patterns a solution outside it needs (an aggregate). A variable of a sub-select that the sub-select does not
    project is another variable than one of the same name outside it: it is renamed apart."""

    def __init__(self):
        from rdflib.plugins.sparql.algebra import translateGroupGraphPattern
        from rdflib.plugins.sparql.parserutils import CompValue

        self.CompValue, self.translate = CompValue, translateGroupGraphPattern
        self.patterns: list[list] = []
        self.projects = 0
        self.assigned: set[str] = set()   # variables a BIND or a sub-select's expression binds

    def read(self, node, scope=lambda name: name):
        name = node.name
        if name == "BGP":
            return ("all", [self._pattern(t, scope) for t in node.triples])
        if name in ("Join", "Union"):
            return ("all" if name == "Join" else "any", [self.read(node.p1, scope), self.read(node.p2, scope)])
        if name == "LeftJoin":
            optional = self.read(node.p2, scope)
            return ("side", self.read(node.p1, scope), [("side", optional, self._exists(node.get("expr"), scope))],
                    optional)
        if name == "Minus":
            return ("side", self.read(node.p1, scope), [self.read(node.p2, scope)])
        if name == "Extend":
            self.assigned.add(scope(str(node.var)))
        if name in ("Filter", "Extend"):
            return ("side", self.read(node.p, scope), self._exists(node.expr, scope))
        if name in ("Project", "SubSelect"):
            self.projects += 1
            if self.projects > 1:   # a sub-select
                kept = {str(v) for v in node.get("PV") or ()}
                number, outer = self.projects, scope
                scope = lambda variable: outer(variable) if variable in kept else f"{variable}@{number}"  # noqa: E731
            return self.read(node.p, scope)
        if name in ("SelectQuery", "Distinct", "Reduced", "Slice", "OrderBy", "ToMultiSet"):
            return self.read(node.p, scope) if isinstance(node.p, self.CompValue) else ("all", [])   # VALUES
        if name in ("Group", "AggregateJoin"):
            return ("open", self.read(node.p, scope))
        if name == "values":
            self.assigned |= {scope(str(variable)) for row in node.res for variable in row}
            return ("all", [])
        raise ValueError(f"not analysed: {name}")

    def _pattern(self, triple, scope):
        s, p, o = triple
        path = _path_of(rdflib.Variable(scope(str(p))) if isinstance(p, rdflib.Variable) else p)
        if path is None:
            raise ValueError("a path not analysed")
        ends = [_end(rdflib.Variable(scope(str(t))) if isinstance(t, rdflib.Variable) else t) for t in (s, o)]
        self.patterns.append([ends[0], path, ends[1]])
        return ("p", len(self.patterns) - 1)

    def _exists(self, expression, scope, guard: frozenset = frozenset()) -> list:
        """The groups of the EXISTS and NOT EXISTS inside an expression. One on the right of ``!BOUND(?v) || ...``
        is read only for solutions that bind ?v: it comes as ("guarded", variables, group)."""
        found = []
        if isinstance(expression, self.CompValue):
            if expression.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
                graph = expression.graph
                if not getattr(graph, "translated", False):
                    graph = self.translate(graph)
                group = self.read(graph, scope)
                return [("guarded", guard, group) if guard else group]
            if expression.name == "ConditionalOrExpression":
                first = expression.expr
                if (isinstance(first, self.CompValue) and first.name == "UnaryNot"
                        and isinstance(first.expr, self.CompValue)
                        and first.expr.name == "Builtin_BOUND" and isinstance(first.expr.arg, rdflib.Variable)):
                    guard = guard | {scope(str(first.expr.arg))}
                    return [part for value in expression.other or () for part in self._exists(value, scope, guard)]
            for value in expression.values():
                found += self._exists(value, scope, guard)
        elif isinstance(expression, (list, tuple)):
            for value in expression:
                found += self._exists(value, scope, guard)
        return found

    def required(self, group) -> list[frozenset]:
        """The sets of patterns a solution of the group matches, one per choice of UNION branch."""
        kind = group[0]
        if kind == "p":
            return [frozenset([group[1]])]
        if kind == "all":
            return _product([self.required(part) for part in group[1]])
        if kind == "any":
            return _bounded([alternative for part in group[1] for alternative in self.required(part)])
        if kind == "side":
            return self.required(group[1])
        return [frozenset()]   # open, guarded

    def visit(self, group, context: list[frozenset], contexts: list[list[frozenset]]) -> None:
        """Give each pattern the contexts it is read in (``context``: what the surroundings match)."""
        kind = group[0]
        if kind == "p":
            contexts[group[1]].extend(c | {group[1]} for c in context)
        elif kind == "all":
            parts = group[1]
            needs = [self.required(part) for part in parts]
            for number, part in enumerate(parts):
                self.visit(part, _product([context, *needs[:number], *needs[number + 1:]]), contexts)
        elif kind == "any":
            for part in group[1]:
                self.visit(part, context, contexts)
        elif kind == "side":
            self.visit(group[1], context, contexts)
            within = _product([context, self.required(group[1])])
            for extra in group[2]:
                if extra[0] == "guarded":
                    self.visit(extra[2], self._bound(group[1], extra[1], within), contexts)
                else:
                    self.visit(extra, within, contexts)
        elif kind in ("guarded", "open"):
            self.visit(group[-1], context, contexts)

    def _bound(self, main, variables: frozenset, within: list[frozenset]) -> list[frozenset]:
        """The contexts of a group read only when ``variables`` are bound: a variable that only an OPTIONAL of
        ``main`` binds is bound when that OPTIONAL matched, so its patterns are matched too."""
        optionals = []
        spine = [main]
        while spine:
            part = spine.pop()
            if part[0] == "side":
                spine.append(part[1])
                if len(part) > 3:
                    optionals.append(part[3])
            elif part[0] == "all":
                spine.extend(part[1])
        for variable in variables:
            binding = [o for o in optionals if variable in self._variables(o)]
            elsewhere = self._variables(main, skip=binding)
            if binding and variable not in elsewhere and variable not in self.assigned:
                return _bounded([c for o in binding for c in _product([within, self.required(o)])])
        return within

    def _variables(self, group, skip=()) -> set[str]:
        """The variables the patterns of a group bind (not those of its EXISTS groups), leaving out ``skip``."""
        if any(group is s for s in skip):
            return set()
        kind = group[0]
        if kind == "p":
            s, path, o = self.patterns[group[1]]
            return {e[1] for e in (s, o) if e[0] == "var"} | ({path[1]} if path[0] == "any" else set())
        if kind in ("all", "any"):
            return set().union(*(self._variables(part, skip) for part in group[1]))
        if kind == "side":
            found = self._variables(group[1], skip)
            for extra in group[2]:
                if extra[0] == "side" and len(group) > 3:   # the OPTIONAL of a LeftJoin
                    found |= self._variables(extra[1], skip)
            return found
        if kind == "guarded":
            return set()
        return self._variables(group[1], skip)


def _product(choices: list[list[frozenset]]) -> list[frozenset]:
    result = [frozenset()]
    for options in choices:
        result = _bounded([a | b for a in result for b in options])
    return result


def _bounded(alternatives: list[frozenset]) -> list[frozenset]:
    """The alternatives, or (too many) the one set of the patterns they all hold, which every solution matches."""
    unique = list(dict.fromkeys(alternatives))
    return unique if len(unique) <= _ALTERNATIVES else [frozenset.intersection(*unique)]


def _end(term) -> list:
    """A pattern's end: a variable (blank nodes in a query are variables) or a constant in N-Triples."""
    if isinstance(term, rdflib.Variable):
        return ["var", str(term)]
    if isinstance(term, rdflib.BNode):
        return ["var", f"_:{term}"]
    return ["const", term.n3()]


def _path_of(path) -> list | None:
    """A SPARQL property path as nested lists, inverses pushed down to single predicates; None if not read."""
    if isinstance(path, rdflib.Variable):
        return ["any", str(path)]
    if isinstance(path, rdflib.URIRef):
        return ["iri", str(path)]
    if isinstance(path, SequencePath):
        parts = [_path_of(p) for p in path.args]
        return None if None in parts else ["seq", parts]
    if isinstance(path, AlternativePath):
        parts = [_path_of(p) for p in path.args]
        return None if None in parts else ["alt", parts]
    if isinstance(path, InvPath):
        inner = _path_of(path.arg)
        return None if inner is None else _inverse(inner)
    if isinstance(path, MulPath):
        inner = _path_of(path.path)
        return None if inner is None else ["mul", inner, path.mod]
    return None   # a negated property set: not analysed


def _inverse(path: list) -> list:
    kind = path[0]
    if kind in ("iri", "any"):
        return ["inv", path]
    if kind == "inv":
        return path[1]
    if kind == "seq":
        return ["seq", [_inverse(p) for p in reversed(path[1])]]
    if kind == "alt":
        return ["alt", [_inverse(p) for p in path[1]]]
    return ["mul", _inverse(path[1]), path[2]]


def _routes(patterns: list, index: int, contexts: list[frozenset]) -> list | None:
    """Per context of the pattern, the cheapest route from one of its ends to ?this: [end, steps], ``end`` the
    pattern's end the route starts at ("s", "o", or "p" for a variable predicate) and ``steps`` the paths to walk
    back, one per variable on the way; None when some context does not join the pattern to ?this."""
    routes = []
    for context in contexts:
        links: dict[str, list[tuple[str, list]]] = {}   # variable -> (another variable, the path to it)
        for number in sorted(context):
            s, path, o = patterns[number]
            if s[0] == "var" and o[0] == "var" and s[1] != o[1]:
                links.setdefault(s[1], []).append((o[1], path))
                links.setdefault(o[1], []).append((s[1], _inverse(path)))
            if path[0] == "any" and s[0] == "var" and path[1] != s[1]:
                links.setdefault(s[1], []).append((path[1], ["pred"]))
                links.setdefault(path[1], []).append((s[1], ["subject-of"]))
        # Cheapest routes to ?this: from each variable, the first step back and what remains (Dijkstra from ?this).
        cost: dict[str, int] = {"this": 0}
        towards: dict[str, tuple[str, list]] = {}
        frontier = [(0, "this")]
        while frontier:
            spent, variable = heapq.heappop(frontier)
            if spent > cost[variable]:
                continue
            for other, path in links.get(variable, ()):
                # ``path`` leads from ``variable`` to ``other``: walked back, from other's nodes to variable's
                price = spent + _price(path)
                if price < cost.get(other, price + 1):
                    cost[other] = price
                    towards[other] = (variable, path)
                    heapq.heappush(frontier, (price, other))
        s, path, o = patterns[index]
        ends = [(end, variable[1]) for end, variable in (("s", s), ("o", o)) if variable[0] == "var"]
        if path[0] == "any":
            ends.append(("p", path[1]))
        ends = [(cost[variable], end, variable) for end, variable in ends if variable in cost]
        if not ends:
            return None
        _, end, variable = min(ends)
        steps = []
        while variable != "this":
            variable, step = towards[variable]
            steps.append(step)
        route = [end, steps, _fits(patterns, index, context)]
        if route not in routes:
            routes.append(route)
    return routes or None


def _fits(patterns: list, index: int, context: frozenset) -> list:
    """What a changed triple read by a pattern of one predicate must fit to be read in this context: the patterns of
    the context that give one of its ends a constant (``?ceiling a ropa:RetentionCeiling``), as [end, "out" or "in",
    predicate, IRI]. A solution matches them all: a triple whose ends do not fit them is read by none."""
    s, path, o = patterns[index]
    if path[0] != "iri":
        return []
    fits = []
    for number in sorted(context - {index}):
        a, other, b = patterns[number]
        if other[0] != "iri":
            continue
        for end, variable in (("s", s), ("o", o)):
            if variable[0] != "var":
                continue
            if a == variable and b[0] == "const" and b[1].startswith("<"):
                fits.append([end, "out", other[1], b[1][1:-1]])
            if b == variable and a[0] == "const" and a[1].startswith("<"):
                fits.append([end, "in", other[1], a[1][1:-1]])
    return fits


def _price(path: list) -> int:
    """How much walking a path back may read: a repeated or any-predicate step costs more than one predicate."""
    kind = path[0]
    if kind in ("iri", "inv"):
        return 1
    if kind in ("any", "pred", "subject-of"):
        return 20
    if kind in ("seq", "alt"):
        return sum(_price(p) for p in path[1])
    return 10 + _price(path[1])


def _hits(patterns: list, changed: set[tuple]) -> list[tuple[int, tuple]]:
    """Each changed triple with the index of each pattern that can read it."""
    by_predicate: dict[str, list[int]] = {}
    for index, pattern in enumerate(patterns):
        for predicate in _predicates(pattern[1]):
            by_predicate.setdefault(predicate, []).append(index)
    anything = by_predicate.get("*", [])
    return [(index, triple) for triple in changed for index in by_predicate.get(triple[1].value, []) + anything
            if _matches(patterns[index], triple)]


def _matches(pattern: list, triple: tuple) -> bool:
    """Whether a changed triple can be read by the pattern: its predicate is on the pattern's path, and for a
    single-predicate pattern its constant ends are the triple's."""
    s, path, o = pattern
    if not _predicates_hit(path, triple[1]):
        return False
    if path[0] == "iri":
        return (s[0] == "var" or s[1] == _nt(triple[0])) and (o[0] == "var" or o[1] == _nt(triple[2]))
    if path[0] == "inv" and path[1][0] == "iri":
        return (s[0] == "var" or s[1] == _nt(triple[2])) and (o[0] == "var" or o[1] == _nt(triple[0]))
    return True


def _predicates_hit(path: list, predicate: ox.NamedNode) -> bool:
    kind = path[0]
    if kind == "iri":
        return path[1] == predicate.value
    if kind == "any":
        return True
    if kind == "inv":
        return _predicates_hit(path[1], predicate)
    if kind in ("seq", "alt"):
        return any(_predicates_hit(p, predicate) for p in path[1])
    return _predicates_hit(path[1], predicate)


def _predicates(path: list) -> set[str]:
    """The predicates on a path ("*" for a variable one)."""
    kind = path[0]
    if kind == "iri":
        return {path[1]}
    if kind == "any":
        return {"*"}
    if kind in ("seq", "alt"):
        return set().union(*(_predicates(p) for p in path[1]))
    return _predicates(path[1])


def _nt(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return rdflib.Literal(term.value, lang=term.language,
                          datatype=None if term.language else rdflib.URIRef(term.datatype.value)).n3()


class _Walker:
    """Property paths read backwards in the store together with the changed triples (so that a route walked by a
    solution before the change is walked too): ``back(path, nodes)`` is every node from which the path leads to
    one of ``nodes`` (in any named graph: the checks read the union)."""

    def __init__(self, store: ox.Store, changed: set[tuple]):
        self.store = store
        self.into: dict = {}   # object -> [(subject, predicate)] of the changed triples
        self.out: dict = {}    # subject -> [(predicate, object)]
        self.using: dict = {}  # predicate -> [subject]
        for s, p, o in changed:
            self.into.setdefault(o, []).append((s, p))
            self.out.setdefault(s, []).append((p, o))
            self.using.setdefault(p, []).append(s)

    def holds(self, triple: tuple, fit: list) -> bool:
        """Whether an end of the triple fits a constant pattern (see ``_fits``), before or after the change."""
        end, direction, predicate, constant = fit
        node = triple[0] if end == "s" else triple[2]
        predicate, constant = ox.NamedNode(predicate), ox.NamedNode(constant)
        if direction == "out":
            return not isinstance(node, ox.Literal) and (
                any(True for _ in self.store.quads_for_pattern(node, predicate, constant))
                or (predicate, constant) in self.out.get(node, ()))
        return any(True for _ in self.store.quads_for_pattern(constant, predicate, node)) or \
            (constant, predicate) in self.into.get(node, ())

    def _subjects(self, predicate, node) -> set:
        found = {q.subject for q in self.store.quads_for_pattern(None, predicate, node)}
        return found | {s for s, p in self.into.get(node, ()) if predicate is None or p == predicate}

    def _objects(self, node, predicate) -> set:
        found = {q.object for q in self.store.quads_for_pattern(node, predicate, None)}
        return found | {o for p, o in self.out.get(node, ()) if predicate is None or p == predicate}

    def back(self, path: list, nodes: set) -> set:
        kind = path[0]
        if not nodes:
            return set()
        if kind in ("iri", "any"):
            predicate = ox.NamedNode(path[1]) if kind == "iri" else None
            return set().union(*(self._subjects(predicate, n) for n in nodes))
        if kind == "inv":
            predicate = ox.NamedNode(path[1][1]) if path[1][0] == "iri" else None
            return set().union(*(self._objects(n, predicate) for n in nodes if not isinstance(n, ox.Literal)))
        if kind == "pred":   # from the predicates a variable took to the subjects using them
            return {q.subject for n in nodes if isinstance(n, ox.NamedNode)
                    for q in self.store.quads_for_pattern(None, n, None)} | \
                {s for n in nodes for s in self.using.get(n, ())}
        if kind == "subject-of":   # from subjects to the predicates they use
            return {q.predicate for n in nodes if not isinstance(n, ox.Literal)
                    for q in self.store.quads_for_pattern(n, None, None)} | \
                {p for n in nodes for p, _ in self.out.get(n, ())}
        if kind == "seq":
            for part in reversed(path[1]):
                nodes = self.back(part, nodes)
            return nodes
        if kind == "alt":
            return set().union(*(self.back(part, nodes) for part in path[1]))
        # mul: zero steps (for * and ?) and then any number of steps back
        found = set(nodes) if path[2] in ("*", "?") else set()
        frontier = self.back(path[1], nodes)
        while frontier - found:
            frontier -= found
            found |= frontier
            if path[2] == "?" or len(found) > _LIMIT:
                break
            frontier = self.back(path[1], frontier)
        if len(found) > _LIMIT:
            raise _Unbounded()
        return found

    def leading_to(self, path: list, triple: tuple) -> set:
        """The nodes from which the path's first steps lead to the triple read at one of its steps: the node at
        the step's near end, walked back over the steps before it."""
        kind = path[0]
        s, p, o = triple
        if kind == "iri":
            return {s} if path[1] == p.value else set()
        if kind == "any":
            return {s}
        if kind == "inv":
            return {o} if _predicates_hit(path[1], p) else set()
        if kind in ("pred", "subject-of"):
            return set()
        if kind == "seq":
            found, before = set(), []
            for part in path[1]:
                if _predicates_hit(part, p):
                    found |= self.back(["seq", before], self.leading_to(part, triple)) if before else \
                        self.leading_to(part, triple)
                before.append(part)
            return found
        if kind == "alt":
            return set().union(*(self.leading_to(part, triple) for part in path[1]))
        inner = self.leading_to(path[1], triple)
        return self.back(["mul", path[1], "*"], inner) if inner else set()


def _affected(check: CompiledCheck | None, analysis: dict, changed: set[tuple], walker: _Walker) -> set | None:
    """The focus nodes whose results the changed triples can alter: an empty set when no changed triple matches a
    pattern of the check, None when the check must run in full."""
    patterns, routes = analysis["patterns"], analysis["routes"]
    if patterns is None:
        return None
    hits: dict[int, list[tuple]] = {}
    for index, triple in _hits(patterns, changed):
        hits.setdefault(index, []).append(triple)
    found: set = set()
    try:
        for index, triples in hits.items():
            if routes[index] is None:
                return None   # a pattern not joined to ?this reads a changed triple
            _, path, _ = patterns[index]
            for end, steps, fits in routes[index]:
                read = [t for t in triples if all(walker.holds(t, fit) for fit in fits)]
                if end == "p":
                    nodes = {triple[1] for triple in read}
                else:
                    walked = path if end == "s" else _inverse(path)
                    nodes = set().union(*(walker.leading_to(walked, triple) for triple in read))
                for step in steps:
                    nodes = walker.back(step, nodes)
                    if len(nodes) > _LIMIT:
                        return None
                found |= nodes
                if len(found) > _LIMIT:
                    return None
        return found
    except _Unbounded:
        return None

"""Writing outputs: the merged graph as Turtle, N-Triples or JSON-LD, and every file or folder ropa writes.

All output goes through ``write_atomically`` (one file) or ``staged_folder`` (a folder of documents): written
beside the target and renamed into place, so an error, Ctrl-C or SIGTERM never leaves a half-written output; the
target's folder is checked first, so a read-only folder, a read-only file or a full disk is one line, not a
traceback; new files get the permissions the umask gives.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from ropa import safe
from ropa.errors import RopaError
from ropa.load import RecordGraph
from ropa.namespaces import PREFIXES

EXPORT_FORMATS = ("ttl", "jsonld", "nt")
MARKER = ".ropa-output"
"""A file in every output folder: only a folder carrying it (or an empty one) is ever replaced."""


def serialise(graph: RecordGraph, fmt: str) -> bytes:
    """The union graph in the given format. Oxigraph writes Turtle and N-Triples; rdflib writes compact JSON-LD."""
    if fmt in ("ttl", "nt"):
        written = ox.serialize(graph.triples(), format=ox.RdfFormat.TURTLE if fmt == "ttl" else ox.RdfFormat.N_TRIPLES,
                               prefixes=PREFIXES if fmt == "ttl" else None)
        return safe.rdf(written.decode("utf-8")).encode("utf-8")
    if fmt == "jsonld":
        depth = blank_node_depth(graph)
        if depth > MAX_JSONLD_DEPTH:
            raise RopaError(f"blank nodes nest {depth} deep in the record; JSON-LD export nests at most {MAX_JSONLD_DEPTH} "
                            f"levels: export as ttl or nt, or give the nested nodes IRIs")
        text = graph.to_rdflib().serialize(format="json-ld", context=dict(PREFIXES), auto_compact=True)
        return safe.dumps(json.loads(text), indent=1).encode("utf-8")
    raise RopaError(f"unknown export format '{fmt}'; choose one of {', '.join(EXPORT_FORMATS)}")


MAX_JSONLD_DEPTH = 100
"""JSON-LD nests a blank node inside its parent; deeper than this, the serialiser would exhaust Python's stack."""


def blank_node_depth(graph: RecordGraph) -> int:
    """The longest chain of blank nodes, each the object of the one before (a cycle counts once round)."""
    children: dict[str, set[str]] = {}
    for row in graph.store.query("SELECT DISTINCT ?s ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isBlank(?s) && isBlank(?o)) }"):
        children.setdefault(row["s"].value, set()).add(row["o"].value)
    depth: dict[str, int] = {}
    for root in children:
        if root in depth:
            continue
        stack = [(root, iter(children.get(root, ())))]
        on_path = {root}
        while stack:
            node, pending = stack[-1]
            child = next(pending, None)
            if child is None:
                stack.pop()
                on_path.discard(node)
                depth[node] = 1 + max((depth.get(c, 0) for c in children.get(node, ()) if c not in on_path), default=0)
            elif child not in depth and child not in on_path:
                stack.append((child, iter(children.get(child, ()))))
                on_path.add(child)
    return max(depth.values(), default=0)


def write_atomically(path: Path, content: bytes) -> None:
    """Write to a temporary file beside the target and rename it into place: never a half-written file.

    The file gets the mode a new file gets (0666 less the umask). A problem with the place (a folder that does not
    exist or cannot be written, a read-only file in the way, a full disk) is a RopaError naming it. A symbolic link
    stays a link: the file it points to is replaced. A device or a pipe (/dev/null, /dev/stdout, a named pipe) is
    written in place, as a shell redirection writes it: a rename would put a plain file where the device was.
    """
    target = Path(path)
    if is_device_or_pipe(target):
        write_in_place(target, content)
        return
    if target.is_symlink():
        target = target.resolve()
    folder = target.parent
    check_writable(target)
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    except OSError as error:
        raise RopaError(f"cannot write into this folder: {error.strerror}", path=str(folder)) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.chmod(temporary, 0o666 & ~current_umask())
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise RopaError(f"cannot write: {error.strerror}", path=str(target)) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def is_device_or_pipe(target: Path) -> bool:
    """Whether the path (followed through links) is something other than a file or a folder: a character or block
    device, a named pipe or a socket."""
    try:
        mode = Path(target).stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def write_in_place(target: Path, content: bytes) -> None:
    """Write to a device or a pipe directly (there is no half-written file to avoid); a refusal, such as a full
    device, is a RopaError naming it."""
    try:
        with open(target, "wb") as handle:
            handle.write(content)
    except OSError as error:
        raise RopaError(f"cannot write: {error.strerror}", path=str(target)) from None


def check_writable(target: Path) -> None:
    """Refuse an output path ropa must not write: a missing folder, a folder in the way, or a file the user may not
    change (read-only, perhaps another user's), which a rename would otherwise replace silently."""
    target = Path(target)
    check_folder(target.parent)
    if target.is_dir():
        raise RopaError("the output path is a folder; give a file name", path=str(target))
    if target.exists():
        mode = target.stat().st_mode
        if not mode & stat.S_IWUSR or not os.access(target, os.W_OK):
            raise RopaError("the file exists and is read-only; ropa does not replace it (make it writable or remove it)",
                            path=str(target))


def check_folder(folder: Path) -> None:
    """The folder to write into must exist and be writable (a folder without write permission is read-only for
    ropa even when the superuser runs it)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RopaError("the folder to write into does not exist", path=str(folder))
    if not folder.stat().st_mode & stat.S_IWUSR or not os.access(folder, os.W_OK | os.X_OK):
        raise RopaError("the folder is read-only; ropa cannot write into it", path=str(folder))


def current_umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def export(graph: RecordGraph, fmt: str, output: Path) -> int:
    """Serialise the graph to ``output``; returns the number of distinct triples written."""
    write_atomically(output, serialise(graph, fmt))
    return len(graph)


@contextmanager
def staged_folder(target: Path):
    """A fresh folder beside ``target`` to write into; on success it replaces ``target`` whole, on error (or a
    signal) it goes.

    Only an empty folder or one that ropa wrote before (it holds the MARKER file) is ever replaced, so a mistyped
    ``--out .`` cannot wipe a working tree. The swap holds a lock on the parent folder, so two runs writing the same
    folder at once replace it one after the other.
    """
    target = Path(target)
    parent = target.parent
    _check_replaceable(target)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RopaError(f"cannot create the folder: {error.strerror}", path=str(parent)) from None
    check_folder(parent)
    # A signal between creating the folder and entering the cleanup below would leave it behind: signals wait
    # (blocked) until the cleanup is in place.
    interrupting = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, interrupting)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.rendering-", dir=parent))
    except OSError as error:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        raise RopaError(f"cannot write into this folder: {error.strerror}", path=str(parent)) from None
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        yield staging
        (staging / MARKER).write_text("Written by ropa render; replaced whole on the next run.\n", encoding="utf-8")
        os.chmod(staging, 0o777 & ~current_umask())
        with folder_lock(parent):
            _check_replaceable(target)   # another run may have written it meanwhile
            if target.exists():
                retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.previous-", dir=parent))
                retired.rmdir()
                os.replace(target, retired)
                os.replace(staging, target)
                shutil.rmtree(retired, ignore_errors=True)
            else:
                os.replace(staging, target)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise RopaError(f"cannot write: {error.strerror or error}", path=str(error.filename or target)) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _check_replaceable(target: Path) -> None:
    if target.exists() or target.is_symlink():
        if target.is_symlink():
            raise RopaError("the output path is a symbolic link; give the folder itself", path=str(target))
        if not target.is_dir():
            raise RopaError("the output path exists and is not a folder", path=str(target))
        try:
            foreign = any(target.iterdir()) and not (target / MARKER).exists()
        except OSError as error:
            raise RopaError(f"cannot read the output folder: {error.strerror}", path=str(target)) from None
        if foreign:
            raise RopaError("the output folder is not empty and was not written by ropa; choose a new or empty folder",
                            path=str(target))


@contextmanager
def folder_lock(folder: Path):
    """An exclusive lock on a folder (flock on the folder itself: no lock file is left behind)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)

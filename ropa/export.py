"""Write the merged graph (data, vocabulary, reference data) as Turtle, N-Triples or JSON-LD, atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pyoxigraph as ox

from ropa.errors import RopaError
from ropa.load import RecordGraph
from ropa.namespaces import PREFIXES

EXPORT_FORMATS = ("ttl", "jsonld", "nt")


def serialise(graph: RecordGraph, fmt: str) -> bytes:
    """The union graph in the given format. Oxigraph writes Turtle and N-Triples; rdflib writes compact JSON-LD."""
    if fmt == "ttl":
        return ox.serialize(graph.triples(), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    if fmt == "nt":
        return ox.serialize(graph.triples(), format=ox.RdfFormat.N_TRIPLES)
    if fmt == "jsonld":
        text = graph.to_rdflib().serialize(format="json-ld", context=dict(PREFIXES), auto_compact=True)
        return json.dumps(json.loads(text), ensure_ascii=False, indent=1).encode("utf-8")
    raise RopaError(f"unknown export format '{fmt}'; choose one of {', '.join(EXPORT_FORMATS)}")


def write_atomically(path: Path, content: bytes) -> None:
    """Write to a temporary file beside the target and rename it into place: never a half-written file."""
    target = Path(path)
    if target.parent and not target.parent.exists():
        raise RopaError("the folder to write into does not exist", path=str(target.parent))
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or Path("."))
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise RopaError(f"cannot write: {error.strerror}", path=str(target)) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export(graph: RecordGraph, fmt: str, output: Path) -> int:
    """Serialise the graph to ``output``; returns the number of distinct triples written."""
    write_atomically(output, serialise(graph, fmt))
    return len(graph)

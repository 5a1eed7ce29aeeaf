"""The namespaces ropa reads and writes, in one place."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from ropa.errors import RopaError

PREFIXES: dict[str, str] = {
    "dpv": "https://w3id.org/dpv#",
    "pd": "https://w3id.org/dpv/pd#",
    "loc": "https://w3id.org/dpv/loc#",
    "tech": "https://w3id.org/dpv/tech#",
    "risk": "https://w3id.org/dpv/risk#",
    "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
    "legal-eu": "https://w3id.org/dpv/legal/eu#",
    # DPV's legal extension of every EEA state and the United Kingdom (supervisory authorities, laws)
    **{f"legal-{code}": f"https://w3id.org/dpv/legal/{code}#" for code in (
        "at", "be", "bg", "cy", "cz", "de", "dk", "ee", "es", "fi", "fr", "gb", "gr", "hr", "hu", "ie", "is", "it",
        "li", "lt", "lu", "lv", "mt", "nl", "no", "pl", "pt", "ro", "se", "si", "sk")},
    "ropa": "https://w3id.org/ropa/vocab#",
    "ref": "https://w3id.org/ropa/reference/",
    "dst": "https://w3id.org/ropa/destiny/",
    "rs": "https://w3id.org/ropa/shapes#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "sh": "http://www.w3.org/ns/shacl#",
    "foaf": "http://xmlns.com/foaf/0.1/",
}

DPV_BASE = "https://w3id.org/dpv"
"""Every IRI under this base belongs to DPV (dpv, pd, loc, tech, risk, legal/...): the loader checks them."""

ROPA = PREFIXES["ropa"]


def sparql_prefixes() -> str:
    """PREFIX lines for every known namespace, to put in front of a query."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def shorten(iri: str) -> str:
    """A prefixed name for an IRI in a known namespace, else the IRI in angle brackets."""
    best = ""
    for prefix, base in PREFIXES.items():
        if iri.startswith(base) and len(base) > len(PREFIXES.get(best, "")):
            best = prefix
    if best:
        return f"{best}:{iri[len(PREFIXES[best]):]}"
    return f"<{iri}>"


_DECLARATION = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>\s]*)>", re.IGNORECASE | re.MULTILINE)


def declared_prefixes(text: str) -> dict[str, str]:
    """The prefixes a Turtle (or SPARQL) text declares, in order; the first declaration of a name wins."""
    found: dict[str, str] = {}
    if not text.isascii():
        for name, iri in _DECLARATION.findall(text):
            found.setdefault(name or "", iri)
        return found
    # Only the lines that mention "prefix" are tried (lowering ASCII text keeps every position): trying every line
    # of a record of a million triples took a quarter of a second.
    lowered = text.lower()
    position = lowered.find("prefix")
    while position != -1:
        match = _DECLARATION.match(text, text.rfind("\n", 0, position) + 1)
        if match is not None:
            found.setdefault(match.group(1) or "", match.group(2))
        position = lowered.find("prefix", position + 1)
    return found


_PREFIXED = re.compile(r"^([A-Za-z][\w.-]*)?:([^\x00-\x20<>\"{}|\\^`]*)$")
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|\\^`]+$")


def expand(text: str, prefixes: Mapping[str, str] | None = None) -> str | None:
    """The full IRI a person or a file means by ``text``, or None when it names none.

    ``text`` is an IRI in angle brackets (``<https://...>``), a bare IRI (``https://...``, ``urn:...``) or a
    prefixed name (``dpv:Purpose``) whose prefix is one of ``prefixes`` (ropa's own when None; a loaded record's
    ``RecordGraph.prefixes`` adds those its files declare, such as ``acme:``). Characters no IRI may hold (spaces,
    quotes, angle brackets, braces) make it None, so that what comes back is safe to use as an RDF term.
    """
    known = PREFIXES if prefixes is None else prefixes
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        inner = text[1:-1]
        return inner if _ABSOLUTE.match(inner) else None
    match = _PREFIXED.match(text)
    if match and (match.group(1) or "") in known and not match.group(2).startswith("//"):
        return known[match.group(1) or ""] + match.group(2)
    scheme = text.partition(":")[0]
    if _ABSOLUTE.match(text) and scheme not in known and ("://" in text or scheme == "urn"):
        return text
    return None


def expand_or_fail(text: str, prefixes: Mapping[str, str] | None = None, *, path: str | None = None,
                   line: int | None = None) -> str:
    """``expand``, or a RopaError that names the text (and file and line) and the nearest known prefix."""
    iri = expand(text, prefixes)
    if iri is not None:
        return iri
    known = PREFIXES if prefixes is None else prefixes
    shown = text.strip() if len(text.strip()) <= 80 else text.strip()[:60] + f"... ({len(text.strip())} characters)"
    match = _PREFIXED.match(text.strip())
    if match and (match.group(1) or "") not in known:
        prefix = match.group(1) or ""
        close = difflib.get_close_matches(prefix, [p for p in known if p], n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(c + ':' for c in close)}?" if close else \
            f"known prefixes: {', '.join(sorted(p for p in known if not p.startswith('legal-')))}, legal-XX"
        raise RopaError(f"unknown prefix '{prefix}:' in '{shown}' ({hint})", path=path, line=line)
    raise RopaError(f"'{shown}' is not a prefixed name such as dpv:Purpose or an IRI such as <https://...>",
                    path=path, line=line)


def local_words(iri: str) -> str:
    """A readable name for an IRI nobody labelled: its local part with word breaks ("transfert-telemed" →
    "transfert telemed"), so that a document never shows the IRI itself."""
    local = re.split(r"[#/]", iri.rstrip("/#"))[-1]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", local).replace("-", " ").strip() or iri

"""An organisation's own retention policy: ceilings per category of data subjects or of personal data.

GDPR Art. 5(1)(e) (storage limitation) asks that data be kept no longer than necessary; an organisation sets what
that means for it in a retention policy. ``ropa validate --retention-policy FILE`` checks the record against it and
reports, as warnings, activities that keep data longer (shape rs:RetentionAbovePolicy). The file is TOML::

    [[ceiling]]
    data_subject = "dpv:JobApplicant"      # a category of data subjects (and every narrower one) ...
    maximum = "P2Y"                        # the longest retention allowed, an ISO 8601 duration (P6M, P2Y, P30D)
    reason = "HR retention policy 2025, section 4"     # optional: where the rule comes from

    [[ceiling]]
    personal_data = "pd:CallLog"           # ... or a category of personal data
    maximum = "P6M"

The ceilings are added to the store for the validation run only, as ``ropa:RetentionCeiling`` nodes in the
evaluation graph (see ropa.validate.evaluation_context), so both engines check them with the same SPARQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ropa.errors import RopaError
from ropa.tomlfile import read_tables
from ropa.load import RecordGraph
from ropa.namespaces import PREFIXES, expand_or_fail, shorten
from ropa.terms import vocabulary

KINDS = {"data_subject": "appliesToDataSubject", "personal_data": "appliesToData"}
KNOWN = set(KINDS) | {"maximum", "reason"}
_DURATION = re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


@dataclass(frozen=True)
class Ceiling:
    """The longest an organisation keeps data about one category of people or of data."""

    kind: str  # "data_subject" or "personal_data"
    concept: str  # full IRI
    maximum: str  # ISO 8601 duration, positive
    reason: str = ""
    line: int = 0

    @property
    def property(self) -> str:
        return PREFIXES["ropa"] + KINDS[self.kind]


@dataclass(frozen=True)
class RetentionPolicy:
    ceilings: tuple[Ceiling, ...]
    path: str = ""

    def check_terms(self, graph: RecordGraph) -> None:
        """Every concept a ceiling names must be known to the record's vocabulary (a typo would silence the rule)."""
        if not self.ceilings:
            return
        values = " ".join(f"<{c.concept}>" for c in self.ceilings)
        known = {row["c"] for row in graph.select(f"SELECT DISTINCT ?c WHERE {{ VALUES ?c {{ {values} }} ?c ?p ?o }}")}
        for ceiling in self.ceilings:
            if ceiling.concept not in known:
                message = f"unknown term {shorten(ceiling.concept)} in '{ceiling.kind}'"
                kind = "subject" if ceiling.kind == "data_subject" else "data"
                suggestions = vocabulary(graph).suggest(ceiling.concept, kind=kind, n=1)
                if suggestions:
                    message += f" (did you mean {suggestions[0].curie}?)"
                raise RopaError(message, path=self.path, line=ceiling.line or None)


NO_POLICY = RetentionPolicy(ceilings=())


def load_retention_policy(path: str | Path) -> RetentionPolicy:
    """Read a retention policy file; any mistake is a RopaError naming the file, the line and what is wrong."""
    shown = str(path)
    ceilings = [_ceiling(entry, shown, line) for entry, line in read_tables(path, "ceiling", "retention policy file")]
    return RetentionPolicy(ceilings=tuple(ceilings), path=shown)


def _ceiling(entry: dict, path: str, line: int | None) -> Ceiling:
    unknown = sorted(set(entry) - KNOWN)
    if unknown:
        raise RopaError(f"unknown ceiling field '{unknown[0]}' (known: {', '.join(sorted(KNOWN))})", path=path, line=line)
    kinds = [kind for kind in KINDS if kind in entry]
    if len(kinds) != 1:
        raise RopaError("a ceiling names exactly one of 'data_subject' or 'personal_data'", path=path, line=line)
    kind = kinds[0]
    for key in (kind, "maximum", "reason"):
        if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
            raise RopaError(f"'{key}' must be a non-empty text", path=path, line=line)
    if "maximum" not in entry:
        raise RopaError("a ceiling without 'maximum' (the longest retention allowed, e.g. \"P2Y\")", path=path, line=line)
    maximum = entry["maximum"].strip()
    if not _DURATION.match(maximum) or not re.search(r"[1-9]", maximum):
        raise RopaError(f"'maximum' must be a period longer than zero written as an ISO 8601 duration "
                        f"(P2Y, P6M, P30D), not {maximum!r}", path=path, line=line)
    return Ceiling(kind=kind, concept=expand_or_fail(entry[kind], path=path, line=line), maximum=maximum,
                   reason=entry.get("reason", "").strip(), line=line or 0)

"""Waivers: findings an organisation has accepted, with who accepted them, why, and until when.

A waiver file is TOML with one ``[[waiver]]`` table per accepted finding::

    [[waiver]]
    check = "rs:UndocumentedTransfer"      # required: the shape, as `ropa validate` names it
    focus = "dst:microsoft"                # the item the finding is about (prefixed name or full IRI) ...
    entity = "dst:destiny-nv"              # ... and/or every such finding of one organisation
    path = "ropa:headquarteredIn"          # optional: only findings on this property
    accepted_by = "J. Peeters, DPO"        # required
    reason = "Data stay in the EU region under the DPA of 2024-03-01."   # required
    until = 2027-06-30                     # required: the waiver lapses after this date

A waived finding is still reported, marked as waived; once ``until`` has passed the finding counts again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ropa.errors import RopaError
from ropa.tomlfile import read_tables
from ropa.namespaces import expand_or_fail, shorten

REQUIRED = ("check", "accepted_by", "reason", "until")
KNOWN = set(REQUIRED) | {"focus", "entity", "path"}


@dataclass(frozen=True)
class Waiver:
    """One accepted finding (or group of findings) and the terms of its acceptance."""

    check: str
    accepted_by: str
    reason: str
    until: dt.date
    focus: str | None = None
    entity: str | None = None
    path: str | None = None
    line: int = 0

    def covers(self, finding) -> bool:
        """Whether the waiver names this finding (whatever the date)."""
        if finding.check != self.check:
            return False
        if self.focus is not None and finding.focus != self.focus:
            return False
        if self.entity is not None and finding.entity != self.entity:
            return False
        if self.path is not None and finding.path != self.path:
            return False
        return True

    def in_force(self, on: dt.date) -> bool:
        return on <= self.until


@dataclass
class Waivers:
    """The waivers of one file; ``match`` finds the waiver in force for a finding."""

    items: list[Waiver]
    path: str = ""

    def match(self, finding, on: dt.date) -> Waiver | None:
        for waiver in self.items:
            if waiver.covers(finding) and waiver.in_force(on):
                return waiver
        return None

    def expired_for(self, finding, on: dt.date) -> Waiver | None:
        """A waiver that covered the finding but has lapsed: the finding is back."""
        for waiver in self.items:
            if waiver.covers(finding) and not waiver.in_force(on):
                return waiver
        return None

    def unused(self, findings) -> list[Waiver]:
        """Waivers that match no finding any more: the gap was fixed, the waiver can go."""
        return [w for w in self.items if not any(w.covers(f) for f in findings)]


NO_WAIVERS = Waivers(items=[])


def load_waivers(path: str | Path) -> Waivers:
    """Read a waiver file; any mistake is a RopaError naming the file, the line and what is wrong."""
    shown = str(path)
    items = [_waiver(entry, shown, line) for entry, line in read_tables(path, "waiver", "waiver file")]
    return Waivers(items=items, path=shown)


def _waiver(entry: dict, path: str, line: int | None) -> Waiver:
    missing = [key for key in REQUIRED if key not in entry]
    if missing:
        raise RopaError(f"waiver without {', '.join(missing)}", path=path, line=line, key="error.waiver.missing",
                        values={"fields": ", ".join(missing)})
    unknown = sorted(set(entry) - KNOWN)
    if unknown:
        raise RopaError(f"unknown waiver field '{unknown[0]}' (known: {', '.join(sorted(KNOWN))})", path=path, line=line,
                        key="error.waiver.unknown_field", values={"field": unknown[0], "known": ", ".join(sorted(KNOWN))})
    until = entry["until"]
    if isinstance(until, dt.datetime) or not isinstance(until, dt.date):
        raise RopaError(f"'until' must be a date like 2027-06-30, not {until!r}", path=path, line=line,
                        key="error.waiver.until", values={"value": str(until)})
    for key in ("check", "accepted_by", "reason", "focus", "entity", "path"):
        if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
            raise RopaError(f"'{key}' must be a non-empty text", path=path, line=line, key="error.waiver.empty",
                            values={"field": key})
    if "focus" not in entry and "entity" not in entry:
        raise RopaError("a waiver names the finding's 'focus' or its 'entity' (or both)", path=path, line=line,
                        key="error.waiver.no_target")
    return Waiver(
        check=shorten(expand_or_fail(entry["check"], path=path, line=line)),
        accepted_by=entry["accepted_by"].strip(),
        reason=entry["reason"].strip(),
        until=until,
        focus=expand_or_fail(entry["focus"], path=path, line=line) if "focus" in entry else None,
        entity=expand_or_fail(entry["entity"], path=path, line=line) if "entity" in entry else None,
        path=expand_or_fail(entry["path"], path=path, line=line) if "path" in entry else None,
        line=line or 0,
    )

"""Findings compared across runs that load the record apart (with and without the store, on a server): every field
of every finding, a blank node's name aside, which each load of a file gives anew."""

from __future__ import annotations

import dataclasses
import json
import re

BLANK = re.compile(r"^[0-9a-f]{32}$")
"""How Oxigraph names a blank node a parser met (a finding's value gives the name without "_:")."""


def comparable(report) -> list[str]:
    """The report's findings as sorted JSON rows, with "_:" for a blank focus node or value."""
    rows = []
    for finding in report.findings:
        row = dataclasses.asdict(finding)
        if row["focus"].startswith("_:"):
            row["focus"] = "_:"
        if row["value"] and BLANK.match(row["value"]):
            row["value"] = "_:"
        rows.append(json.dumps(row, sort_keys=True, default=str))
    return sorted(rows)

"""Findings compared across runs that load the record apart (with and without the store, on a server): every field
of every finding, a blank node's name aside, which each load of a file gives anew."""

from __future__ import annotations

import dataclasses
import json
import re

BLANK = re.compile(r"^[0-9a-f]{32}$")
"""How Oxigraph names a blank node a parser met (a finding's value gives the name without "_:")."""

BLANK_IN_LABEL = re.compile(r"_:[0-9a-f]{32}")
"""A blank node's name inside a label: an unlabelled blank focus node is labelled by its name."""


def comparable(report) -> list[str]:
    """The report's findings as sorted JSON rows, with "_:" for a blank focus node or value (and for its name where
    it stands as the focus node's label)."""
    rows = []
    for finding in report.findings:
        row = dataclasses.asdict(finding)
        if row["focus"].startswith("_:"):
            row["focus"] = "_:"
        if row["value"] and BLANK.match(row["value"]):
            row["value"] = "_:"
        row["focus_label"] = BLANK_IN_LABEL.sub("_:", row["focus_label"])
        rows.append(json.dumps(row, sort_keys=True, default=str))
    return sorted(rows)

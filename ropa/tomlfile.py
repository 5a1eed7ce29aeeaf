"""TOML files of ``[[name]]`` tables (waivers, retention policies): read, parsed and shape-checked in one place.

Every mistake is a RopaError naming the file and, where it can be found, the line: a file that cannot be read, TOML
that does not parse, a section that is not ``[[name]]``, ``name`` that is not an array of tables, or an entry of
that array that is not a table (``waiver = [1, 2, 3]``).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ropa.errors import RopaError


def read_tables(path: str | Path, name: str, what: str) -> list[tuple[dict, int | None]]:
    """The ``[[name]]`` tables of a TOML file with the line each starts on; ``what`` names the file in messages
    ("waiver file")."""
    path = Path(path)
    shown = str(path)
    said = {"what": f"key:error.toml.what.{name}"}   # the kind of file, in the words of a page's language
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RopaError(f"no such {what}", path=shown, key="error.toml.missing", values=said) from None
    except (OSError, UnicodeDecodeError) as error:
        raise RopaError(f"cannot read {what}: {error}", path=shown, key="error.toml.unreadable",
                        values={**said, "detail": str(error)}) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = int(found.group(1)) if found else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise RopaError(f"malformed {what}: {message}", path=shown, line=line, key="error.toml.malformed",
                        values={**said, "detail": message}) from None
    unknown = sorted(set(document) - {name})
    if unknown:
        raise RopaError(f"unknown section '{unknown[0]}'; a {what} holds [[{name}]] tables", path=shown,
                        line=line_of(text, unknown[0]), key="error.toml.unknown_section",
                        values={**said, "section": unknown[0], "name": name})
    entries = document.get(name, [])
    if not isinstance(entries, list):
        raise RopaError(f"'{name}' must be an array of tables: write [[{name}]]", path=shown, line=line_of(text, name),
                        key="error.toml.not_tables", values={"name": name})
    headers = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip().startswith(f"[[{name}]]")]
    tables = []
    for index, entry in enumerate(entries):
        line = headers[index] if index < len(headers) else line_of(text, name)
        if not isinstance(entry, dict):
            raise RopaError(f"'{name}' holds {entry!r}, not a table: write each as a [[{name}]] table", path=shown,
                            line=line, key="error.toml.not_table", values={"name": name, "entry": repr(entry)})
        tables.append((entry, line))
    return tables


def line_of(text: str, word: str) -> int | None:
    """The first line that mentions the word (None if none does)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if word in line:
            return number
    return None

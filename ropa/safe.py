"""Text from a record is data, never instructions to whoever reads the output: one neutraliser per kind of output.

A label in a record can hold anything a file can: an escape sequence that clears a terminal or sets its window
title, a character XML forbids, a formula a spreadsheet would run, a Mermaid directive, Markdown or rich markup.
Every writer passes data through the neutraliser of its format here, so that the rule lives in one place:

* ``visible``: control and invisible format characters (ESC, BEL, NUL, bidirectional overrides, zero-width
  spaces, ...) become visible escapes such as ``\\x1b`` or ``\\u202e``; line breaks and tabs stay. Terminal
  text, XML (JUnit), XLSX cells and HTML use it: the result is legal XML 1.0 and harmless on a terminal.
* ``one_line``: the same, and line breaks escaped too: for one-line messages (errors, warnings).
* ``terminal``: a rich Text (never markup) of the visible text; ``SafeConsole`` does the same for plain strings.
* ``csv_cell``: the visible text, with a leading ``'`` when a spreadsheet would read it as a formula (OWASP).
* ``rdf``: Turtle and N-Triples with every control or invisible character as a ``\\uXXXX`` escape.
* ``dumps``: JSON with every control or invisible character written as a ``\\uXXXX`` escape.
* ``markdown``: one line, Markdown punctuation backslash-escaped and HTML's ``& < >`` as entities.
* ``mermaid``: text for inside a Mermaid label's double quotes: entity codes for its syntax, and for ``%`` so that
  no ``%%{init: ...}%%`` directive can be formed; no line break, so no label can close a fenced block.
"""

from __future__ import annotations

import json
import re

from markupsafe import escape
from rich.console import Console
from rich.text import Text

# C0 controls except tab and line feed, DEL and the C1 controls, the Unicode format characters (soft hyphen,
# bidirectional marks and overrides, zero-width space, word joiner, invisible operators, BOM, tags), the line and
# paragraph separators, lone surrogates, and the non-characters U+FFFE and U+FFFF (illegal in XML). The zero-width
# (non-)joiners, which some scripts and emoji need, are kept in documents and shown escaped only in messages.
_INVISIBLE = ("\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff"
              "\ufff9-\ufffb\ufffe\uffff\ud800-\udfff\U000e0000-\U000e007f")
_HIDDEN = re.compile(f"[{_INVISIBLE}]")
_HIDDEN_OR_BREAK = re.compile(f"[{_INVISIBLE}\u200c\u200d\t\n]")


def _escape(match: re.Match) -> str:
    code = ord(match.group(0))
    if code == 0x0A:
        return "\\n"
    if code == 0x09:
        return "\\t"
    if code == 0x0D:
        return "\\r"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """The text with every control or invisible character written as a visible escape; tabs and newlines kept."""
    text = str(text)
    return _HIDDEN.sub(_escape, text) if _HIDDEN.search(text) else text


def one_line(text: str) -> str:
    """Like ``visible``, and tabs and line breaks escaped too: the text stays on one line."""
    text = str(text)
    return _HIDDEN_OR_BREAK.sub(_escape, text) if _HIDDEN_OR_BREAK.search(text) else text


def terminal(text: str, style: str = "") -> Text:
    """Record text for a rich console: visible, and never read as markup."""
    return Text(visible(text), style=style)


class SafeConsole(Console):
    """A rich console for which every plain string is text, not markup, with its control characters visible.

    Table titles and cells given as ``str`` go through ``render_str``; record data given as Text must be built
    with ``terminal``.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("markup", False)
        kwargs.setdefault("emoji", False)
        kwargs.setdefault("highlight", False)
        super().__init__(*args, **kwargs)

    def render_str(self, text: str, **kwargs) -> Text:
        return super().render_str(visible(text), **kwargs)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: a value starting with = + - @ tab or CR gets a leading ' (OWASP
    CSV injection), unless it is a plain number; control characters are made visible."""
    text = str(text)
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        text = "'" + text
    return visible(text)


def _json_escape(match: re.Match) -> str:
    code = ord(match.group(0))
    if code >= 0x10000:
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def dumps(value, **options) -> str:
    """JSON text (UTF-8 kept readable) in which no control or invisible character appears raw."""
    text = json.dumps(value, ensure_ascii=False, **options)
    return _HIDDEN.sub(_json_escape, text) if _HIDDEN.search(text) else text


def rdf(text: str) -> str:
    """Turtle or N-Triples in which no control or invisible character appears raw: each is a \\uXXXX escape,
    which means the same character inside a literal or an IRI (the only places they can stand)."""
    def escape_rdf(match: re.Match) -> str:
        code = ord(match.group(0))
        return f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}"

    return _HIDDEN.sub(escape_rdf, text) if _HIDDEN.search(text) else text


_BREAKABLE_SPACE = re.compile(r"[^\S\u00a0\u202f]+")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]{}|~]|^[#>+-]|(?<=^\d)[.)]|(?<=^\d\d)[.)])")


def markdown(text: str) -> str:
    """Text for a Markdown paragraph or table cell: one line, Markdown punctuation escaped, ``& < >`` as HTML
    entities (quotes need none: data never lands in an HTML attribute of a Markdown document). A heading, quote
    or list marker is escaped only at the start, the one place where it acts. A no-break space is kept (French puts
    one before a colon)."""
    flat = _BREAKABLE_SPACE.sub(" ", visible(str(text).replace("\r", " "))).strip(" ")
    return str(escape(_MARKDOWN_SPECIAL.sub(r"\\\1", flat))).replace("&#39;", "'").replace("&#34;", '"')


def mermaid(text: str) -> str:
    """Text for inside Mermaid's double quotes: entity codes for the characters Mermaid reads as syntax (quotes,
    angle brackets, ``#``, backticks, ``%``); every kind of line break as <br/>."""
    escaped = visible(text).replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    escaped = escaped.replace("`", "#96;").replace("%", "#37;")
    return "<br/>".join(escaped.splitlines())

"""Hostile input for the hardening and fuzz tests: labels carrying payloads of the four kinds that attack a reader
(a spreadsheet formula, terminal control sequences, a Mermaid directive that also tries to close its block, rich
markup), a small record that carries them into every output, and checks that an output is neutral."""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FORMULAS = ('=HYPERLINK("http://evil.example/","click")', "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+9)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1")
CONTROL = "\x1b]0;owned\x07\x1b[2J\x9b31m\u202eevil\x00"
MERMAID = '%%{init: {"theme": "dark"}}%%\n```\nflowchart LR'
MARKUP = "[/] [bold red]x[/bold red] [link=file:///etc/passwd]y[/link]"
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\u202e", "\x00")
"""Characters that must never reach an output raw."""


def payload(index: int) -> str:
    """A label with all four kinds of payload, starting with one of the formula characters."""
    return f"{FORMULAS[index % len(FORMULAS)]} {CONTROL} {MERMAID} {MARKUP}"


def turtle_string(text: str) -> str:
    """A Turtle long-string-free literal: quotes and backslashes escaped, every non-printable as \\uXXXX."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif not ch.isprintable() or ch in "\u202e":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


PREFIXES = """@prefix ex: <https://example.org/hostile/> .
@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


def record_text(*, with_sub_processor: bool = True) -> str:
    """A controller that is also a processor, one activity, one US vendor and one sub-processor: every label a
    payload. Without ``with_sub_processor`` the sub-processor link is missing (the older version for diff/notice)."""
    sub = " ;\n    ropa:hasSubProcessor ex:host" if with_sub_processor else ""
    return PREFIXES + f"""
ex:org a dpv:LegalEntity , dpv:DataController , dpv:DataProcessor ;
    rdfs:label {turtle_string(payload(0))}@en ;
    dpv:hasCountry loc:BE{sub} .

ex:customers a ropa:CustomerControllers , dpv:DataController ;
    rdfs:label {turtle_string(payload(3))}@en .

ex:act a dpv:Process ;
    rdfs:label {turtle_string(payload(1))}@en ;
    ropa:recordedBy ex:org ; ropa:role ropa:ControllerRole ; dpv:hasDataController ex:org ;
    dpv:hasDataSubject dpv:Customer ; dpv:hasPersonalData pd:EmailAddress ;
    ropa:usesServiceProvider ex:vendor .

ex:service a dpv:Process ;
    rdfs:label {turtle_string(payload(4))}@en ;
    ropa:recordedBy ex:org ; ropa:role ropa:ProcessorRole ; dpv:hasDataController ex:customers ;
    ropa:actsOnBehalfOf ex:customers ; dpv:hasDataProcessor ex:org ;
    dpv:hasDataSubject dpv:User ; dpv:hasPersonalData pd:Name .

ex:vendor a ropa:ServiceProvider , dpv:DataProcessor ;
    rdfs:label {turtle_string(payload(2))}@en ;
    ropa:headquarteredIn loc:US .

ex:host a ropa:ServiceProvider , dpv:DataProcessor ;
    rdfs:label {turtle_string(payload(5))}@en ;
    ropa:headquarteredIn loc:US .
"""


def write_record(folder: Path, name: str = "hostile.ttl", **options) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(record_text(**options), encoding="utf-8")
    return path


def assert_no_raw_controls(text: str, where: str) -> None:
    found = [repr(ch) for ch in FORBIDDEN if ch in text]
    assert not found, f"{where}: raw {', '.join(found)} in the output"


def assert_csv_neutral(text: str, where: str) -> None:
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) > 1, f"{where}: no rows"
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or re.fullmatch(r"[+-]?\d+(\.\d+)?", cell), \
                f"{where}: formula cell {cell!r}"


def mermaid_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```mermaid\n(.*?)^```$", markdown, flags=re.M | re.S)


def assert_mermaid_neutral(mermaid: str, where: str) -> None:
    assert "%%" not in mermaid, f"{where}: a Mermaid directive or comment marker in a label"
    assert not any(line.lstrip().startswith("```") for line in mermaid.splitlines()), f"{where}: a label closes the block"


def assert_markdown_neutral(markdown: str, where: str) -> None:
    assert_no_raw_controls(markdown, where)
    fences = [line for line in markdown.splitlines() if line.lstrip().startswith("```")]
    assert len(fences) == 2 * len(mermaid_blocks(markdown)), f"{where}: a fence that is not a Mermaid block's"
    for block in mermaid_blocks(markdown):
        assert_mermaid_neutral(block, where)


# --- Servers on the loopback interface ---------------------------------------------------------------------------

class serving:
    """A handler class served on 127.0.0.1 (only the loopback interface) for the length of a with block."""

    def __init__(self, handler):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/endpoint"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def answering(status: int, body: bytes, *, trickle: float = 0.0, length: int | None = None):
    class Handler(BaseHTTPRequestHandler):
        def handle_request(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", "application/sparql-results+json")
            if length is not None:
                self.send_header("Content-Length", str(length))
            self.end_headers()
            try:
                if trickle:
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(trickle)
                else:
                    self.wfile.write(body)
            except OSError:
                pass

        do_POST = do_PUT = do_GET = handle_request

        def log_message(self, *args):
            pass

    return Handler


RESULTS = b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": "https://example.org/a"}}]}}'

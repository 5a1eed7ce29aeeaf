"""The ``ropa`` command: a thin layer of typed options over the library; every command's work is a library call."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import signal
import sys
import warnings
from collections import Counter
from contextlib import contextmanager
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ropa import safe
from ropa.commands import OutputFormat
from ropa.errors import RopaError, RopaWarning
from ropa.export import export as export_graph
from ropa.export import serialise, write_atomically
from ropa.inventory import inventory
from ropa.load import load
from ropa.progress import display
from ropa.plain import PlainWords
from ropa.messages import Messages
from ropa.resources import LANGUAGES
from ropa.retention_policy import load_retention_policy
from ropa.validate import validate as run_validation
from ropa.validate import validate_endpoint, with_waivers
from ropa.validation_output import locate, print_text, to_github, to_json, to_junit, to_sarif
from ropa.waivers import NO_WAIVERS, load_waivers

app = typer.Typer(
    name="ropa",
    help="Keep a GDPR Article 30 Record of Processing Activities as a knowledge graph (W3C DPV 2.3).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = safe.SafeConsole(width=None if sys.stdout.isatty() else 140)
errors = safe.SafeConsole(stderr=True, width=None if sys.stderr.isatty() else 200)
"""Both consoles read every plain string as text, never as rich markup, with its control characters visible."""

PathsArgument = Annotated[
    Optional[list[Path]],
    typer.Argument(help="Data files or folders (Turtle, N-Triples, JSON-LD); the bundled Destiny data when omitted.", show_default=False),
]


class ExportFormat(str, Enum):
    ttl = "ttl"
    jsonld = "jsonld"
    nt = "nt"
    xlsx = "xlsx"


class WorkbookLayout(str, Enum):
    ropa = "ropa"
    art30 = "art30"
    ico = "ico"
    gba = "gba"


def say(message: str, kind: str = "", lang: str | None = None) -> None:
    """One line on stderr (``ropa: error: ...`` with ``kind``, the kind in ``lang``), its invisible characters shown
    escaped."""
    if kind and lang in LANGUAGES:
        kind = Messages(lang)(f"status.kind.{kind}")
    errors.print(safe.one_line(f"ropa: {kind}: {message}" if kind else message), markup=False, highlight=False,
                 soft_wrap=True)


def status(key: str, lang: str | None = None, **values) -> None:
    """A status line (a file written, a server started) in the command's language, from the catalogue."""
    errors.print(Messages(lang or "en")(key, **values), highlight=False, markup=False, soft_wrap=True)


@contextmanager
def user_errors(lang: str | None = None):
    """Turn a RopaError into one line on stderr and exit code 2; warnings of the library, and messages the
    libraries below it log (rdflib, pyshacl, WeasyPrint), become one line each, never a logged traceback.

    With ``lang`` (the command's language), an error that carries a catalogue key is said in that language, and so
    is the word that marks it; an error that knows its own language (a workbook's) speaks that one."""
    handler = _OneLineLog(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", RopaWarning)
            warnings.showwarning = _show_warning   # the library's warnings are English: so is their marker
            yield
    except RopaError as error:
        spoken = getattr(error, "lang", None) or lang
        # an unknown --lang is the error itself; in English the message is said as the library wrote it
        spoken = spoken if spoken in LANGUAGES and spoken != "en" else None
        lines = error.spoken_lines(Messages(spoken)) if spoken else [(line, False) for line in error.lines()]
        for line, in_language in lines:
            say(line, "error", spoken if in_language else None)
        raise typer.Exit(2) from None
    finally:
        root.removeHandler(handler)


class _OneLineLog(logging.Handler):
    """The first line of a logged message as a warning (a library may log a whole traceback with it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            lines = record.getMessage().strip().splitlines()
        except (TypeError, ValueError):
            lines = [str(record.msg)]
        say(f"{record.name}: {lines[0] if lines else record.levelname.lower()}", "warning")


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, RopaWarning):
        say(str(message), "warning")
    else:
        say(f"{category.__name__}: {message}", "warning")


@app.command()
def info(
    paths: PathsArgument = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Table for people, JSON for machines.")] = OutputFormat.table,
) -> None:
    """Show what was loaded, per file: triples, legal entities, processing activities, processors."""
    with user_errors():
        summary = inventory(load(paths or None))
    if output_format is OutputFormat.json:
        typer.echo(safe.dumps(summary.as_dict(), indent=2))
        return
    table = Table(title="Loaded", title_justify="left")
    table.add_column("file")
    table.add_column("kind")
    for column in ("triples", "entities", "activities", "processors"):
        table.add_column(column, justify="right")
    for row in [*summary.files, summary.total]:
        table.add_row(row.path, row.kind, str(row.triples), str(row.entities), str(row.activities), str(row.processors),
                      end_section=row is summary.files[-1])
    console.print(table)


@app.command()
def export(
    paths: PathsArgument = None,
    export_format: Annotated[ExportFormat, typer.Option("--format", "-f", help="Serialisation of the merged graph.")] = ExportFormat.ttl,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write; standard output when omitted.")] = None,
    layout: Annotated[WorkbookLayout, typer.Option("--layout", help="With --format xlsx: the workbook's columns (ropa, art30, ico or gba).")] = WorkbookLayout.ropa,
    lang: Annotated[str, typer.Option("--lang", "-l", help=f"With --format xlsx: language of the workbook ({', '.join(LANGUAGES)}).")] = "en",
) -> None:
    """Write the merged graph (data + vocabulary + reference data) as one file, or the record as a workbook
    (--format xlsx) that `ropa import` reads back."""
    with user_errors(lang if export_format is ExportFormat.xlsx else None):
        graph = load(paths or None)
        if export_format is ExportFormat.xlsx:
            from ropa.workbook import export_workbook, left_out_note

            if output is None:
                raise RopaError("--format xlsx writes a file: give it with --output", key="cli.xlsx_needs_output")
            left_out: Counter = Counter()
            export_workbook(graph, output, lang=lang, layout_name=layout.value, left_out=left_out)
            status("status.wrote", lang, file=output)
            if left_out:
                say(left_out_note(left_out, lang), "note", lang)
            return
        if output is None:
            sys.stdout.buffer.write(serialise(graph, export_format.value))
            return
        count = export_graph(graph, export_format.value, output)
    status("status.wrote_triples", count=count, file=output)


class ValidationFormat(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"
    sarif = "sarif"
    github = "github"


class Severity(str, Enum):
    violation = "violation"
    warning = "warning"
    info = "info"


class Engine(str, Enum):
    fast = "fast"
    pyshacl = "pyshacl"


def parse_date(value: str | None, option: str) -> dt.date | None:
    """An option's date, as YYYY-MM-DD or day first (31/12/2026, 31.12.2026), or a RopaError naming the option."""
    if value is None:
        return None
    from ropa.periods import read_date

    day = read_date(value)
    if day is None:
        raise RopaError(f"{option} '{value}' is not a date: use YYYY-MM-DD or DD/MM/YYYY", key="cli.not_a_date",
                        values={"option": option, "value": value})
    return day


@app.command()
def validate(
    paths: PathsArgument = None,
    output_format: Annotated[ValidationFormat, typer.Option("--format", "-f", help="text for people; json, junit, sarif or github annotations for CI.")] = ValidationFormat.text,
    fail_on: Annotated[Severity, typer.Option("--fail-on", help="Exit 1 when an unwaived finding is at or above this severity.")] = Severity.violation,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Judge the record at this date (YYYY-MM-DD); today by default.")] = None,
    waivers: Annotated[Optional[Path], typer.Option("--waivers", "-w", help="TOML file of accepted findings.")] = None,
    shapes: Annotated[Optional[list[Path]], typer.Option("--shapes", help="Shapes files or folders instead of the bundled shapes.")] = None,
    engine: Annotated[Engine, typer.Option("--engine", help="fast (SPARQL per shape) or pyshacl (the reference).")] = Engine.fast,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report to this file instead of standard output.")] = None,
    allow_service: Annotated[bool, typer.Option("--allow-service", help="Let custom shapes call SERVICE (reach other servers or files).")] = False,
    lang: Annotated[Optional[str], typer.Option("--lang", help=f"Plain words in this language ({', '.join(LANGUAGES)}) for text, JUnit and GitHub output; JSON and SARIF keep the shapes' engineering English.")] = None,
    retention_policy: Annotated[Optional[Path], typer.Option("--retention-policy", help="TOML file of the organisation's retention ceilings per category of data subjects or data (Art. 5(1)(e)).")] = None,
    endpoint: Annotated[Optional[str], typer.Option("--endpoint", help="Run the checks on this SPARQL 1.1 query endpoint, on the graph `ropa push` wrote, instead of loading PATHS.")] = None,
    graph_iri: Annotated[Optional[str], typer.Option("--graph", help="With --endpoint: the named graph to validate (the one `ropa push` wrote).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="With --endpoint: seconds each check may take on the server.", min=0.001, max=86400)] = 300.0,
    store: Annotated[Optional[str], typer.Option("--store", help="Keep the loaded record in this folder between runs: reload only the files that changed and re-run the checks only where the change can alter them.")] = None,
) -> None:
    """Check the record against the Art. 30 and GDPR consistency shapes. Exit 0 clean, 1 findings, 2 input error."""
    with user_errors(lang):
        date = parse_date(as_of, "--as-of")
        accepted = load_waivers(waivers) if waivers else NO_WAIVERS
        messages = Messages(lang) if lang else None
        policy = load_retention_policy(retention_policy) if retention_policy else None
        graph = None
        if endpoint is not None:
            _endpoint_options(paths, engine, policy, lang, output_format)
            if store is not None:
                raise RopaError("--store keeps a loaded record; with --endpoint the server holds it: use one of them")
        elif graph_iri is not None:
            raise RopaError("--graph names a graph on a server: use it with --endpoint")
        if store is not None and engine is not Engine.fast:
            raise RopaError("--store runs the compiled checks (--engine fast)")
        if store is not None and not store.strip():   # a Path would read '' as the current folder
            raise RopaError("--store needs the name of a folder to keep the record in, e.g. --store .ropa-store")
        with display(errors, messages) as progress:
            if endpoint is not None:
                progress.stage("progress.validating_server")
                report = with_waivers(validate_endpoint(endpoint, graph_iri, as_of=date, shapes=shapes, timeout=timeout,
                                                        allow_service=allow_service), accepted)
            elif store is not None:
                from ropa.store import validate_with_store

                progress.stage("progress.updating_store")
                graph, checked, _ = validate_with_store(paths or None, store, as_of=date, shapes=shapes,
                                                        retention_policy=policy, allow_service=allow_service)
                if policy is not None:
                    policy.check_terms(graph)
                report = with_waivers(checked, accepted)
            else:
                progress.stage("progress.loading")
                graph = load(paths or None)
                _leave_to_exit(graph)
                if policy is not None:
                    policy.check_terms(graph)
                progress.stage("progress.validating")
                report = with_waivers(run_validation(graph, as_of=date, shapes=shapes, engine=engine.value,
                                                     retention_policy=policy, allow_service=allow_service), accepted)
        expired = {f.id: w for f in report.findings if not f.waived and (w := accepted.expired_for(f, report.as_of))}
        if messages is not None and output_format in (ValidationFormat.text, ValidationFormat.junit, ValidationFormat.github):
            report = replace(report, findings=PlainWords(graph, lang, messages=messages).all(report.findings))
        if output_format is ValidationFormat.text:
            target = safe.SafeConsole(width=160, file=io.StringIO(), force_terminal=False) if output else console
            print_text(report, target, expired=expired, messages=messages)
            text = target.file.getvalue() if output else None
        elif output_format is ValidationFormat.json:
            text = to_json(report)
        elif output_format is ValidationFormat.junit:
            text = to_junit(report, fail_on.value, messages)
        elif output_format is ValidationFormat.sarif:
            text = to_sarif(report, locate(graph, report.findings) if graph is not None else {})
        else:
            text = to_github(report, locate(graph, report.findings) if graph is not None else {}, messages)
        if text is not None:
            if output:
                write_atomically(output, text.encode("utf-8"))
            else:
                sys.stdout.write(text if text.endswith("\n") else text + "\n")
        for waiver in accepted.unused(report.findings):
            say(Messages(lang or "en")("status.waiver_unused", file=accepted.path, line=waiver.line, check=waiver.check),
                "note", lang)
    if report.fails(fail_on.value):
        raise typer.Exit(1)


def _endpoint_options(paths, engine: Engine, policy, lang: str | None, output_format: ValidationFormat) -> None:
    """Refuse what a validation on a server cannot do, each in one line."""
    if paths:
        raise RopaError("with --endpoint the server's graph is validated: give no data PATHS")
    if engine is not Engine.fast:
        raise RopaError("--endpoint runs the compiled checks (--engine fast); pyshacl needs the record loaded")
    if policy is not None:
        raise RopaError("--retention-policy needs the record loaded: its ceilings are not in the server's graph")
    if lang and output_format in (ValidationFormat.text, ValidationFormat.junit, ValidationFormat.github):
        raise RopaError("--lang needs the record loaded (its labels in that language); with --endpoint the "
                        "findings keep the shapes' English")


def _register_command_modules() -> None:
    """Commands of the later stages live in ropa/commands/, one module per stage, each with register(app)."""
    import importlib
    import pkgutil

    import ropa.commands

    for module in pkgutil.iter_modules(ropa.commands.__path__):
        importlib.import_module(f"ropa.commands.{module.name}").register(app)


_register_command_modules()


_LEFT_TO_EXIT: list | None = None
"""While main() runs a command: in-memory objects the process leaves to the operating system at exit."""


def _leave_to_exit(graph) -> None:
    """Let the process end without freeing this loaded record (in memory, nothing to close): freeing the indexes of a
    million triples took half a second after the report was written. Only when run as the ``ropa`` command."""
    if _LEFT_TO_EXIT is not None:
        _LEFT_TO_EXIT.append(graph)


def _terminate(signum, frame) -> None:
    """SIGTERM (and SIGHUP) unwind like Ctrl-C does, so that every ``finally`` cleans up (staging folders)."""
    raise SystemExit(128 + signum)


def main() -> None:
    global _LEFT_TO_EXIT
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _terminate)
    code = 0
    _LEFT_TO_EXIT = []
    try:
        app()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
        if code > 128:
            say(f"stopped by {signal.Signals(code - 128).name}; nothing was written", "error")
    except OSError as error:   # the environment failed us (a full disk, a closed pipe): one line, never a traceback
        say(f"cannot write{' ' + str(error.filename) if error.filename else ''}: {error.strerror or error}", "error")
        code = 2
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = code or 1
    except OSError as error:
        say(f"cannot write to standard output: {error.strerror or error}", "error")
        code = 2
    # Output that could not be flushed must not be retried (and reported as a traceback) at exit.
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    if _LEFT_TO_EXIT:
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)   # everything is written: the loaded record is not freed piece by piece
    sys.exit(code)


if __name__ == "__main__":
    main()

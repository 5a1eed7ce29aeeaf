"""Query stage commands: ``ropa queries``, ``ropa query`` and ``ropa push``; the work is in ``ropa.query``."""


import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ropa import query as library
from ropa import remote, safe
from ropa.commands import OutputFormat
from ropa.errors import RopaError
from ropa.messages import Messages
from ropa.periods import format_duration_words
from ropa.resources import LANGUAGES


class ResultFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"


def parse_params(pairs: list[str] | None) -> dict[str, str]:
    """``key=value`` options as a dict; a pair without '=' is a RopaError."""
    params: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise RopaError(f"--param '{pair}' is not key=value")
        params[key.strip().replace("-", "_")] = value
    return params


def register(app: typer.Typer) -> None:
    # Imported here: ropa.cli imports this module while it is being set up.
    from ropa.cli import PathsArgument, console, errors, parse_date, status, user_errors
    from ropa.timeline import as_of as record_as_of
    from ropa.load import load
    from ropa.waivers import load_waivers

    @app.command("queries")
    def queries(
        output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Table for people, JSON for machines.")] = OutputFormat.table,
        lang: Annotated[Optional[str], typer.Option("--lang", help=f"Plain words in this language ({', '.join(LANGUAGES)}) for the table; without it, the headers' engineering English. JSON keeps the headers.")] = None,
    ) -> None:
        """List the library of questions: name, what each answers, the GDPR article, its parameters."""
        with user_errors():
            found = library.library()
            say = Messages(lang) if lang is not None else None
        if output_format is OutputFormat.json:
            typer.echo(safe.dumps([q.as_dict() for q in found], indent=2))
            return
        console.print(library_table(found, say))

    @app.command("query")
    def query(
        name: Annotated[Optional[str], typer.Argument(help="A library query (see `ropa queries`) or a .rq file.", show_default=False)] = None,
        paths: PathsArgument = None,
        param: Annotated[Optional[list[str]], typer.Option("--param", "-p", help="A parameter as key=value (repeat for several).")] = None,
        output_format: Annotated[ResultFormat, typer.Option("--format", "-f", help="table, csv, json or md (Markdown).")] = ResultFormat.table,
        lang: Annotated[Optional[str], typer.Option("--lang", help=f"Language of the labels ({', '.join(LANGUAGES)}); English where one is missing.")] = None,
        iris: Annotated[bool, typer.Option("--iris", help="Show the IRI columns beside their labels.")] = False,
        sparql: Annotated[Optional[str], typer.Option("--sparql", help="An ad-hoc SELECT query instead of NAME (ropa's prefixes are declared).")] = None,
        as_of: Annotated[Optional[str], typer.Option("--as-of", help="Query the record as it stood on this date (YYYY-MM-DD): activities and links valid then; also the date queries judge transfers at.")] = None,
        endpoint: Annotated[Optional[str], typer.Option("--endpoint", help="Run on this SPARQL 1.1 query endpoint instead of a loaded record.")] = None,
        graph: Annotated[Optional[str], typer.Option("--graph", help="With --endpoint: query this named graph (the one `ropa push` wrote).")] = None,
        waivers: Annotated[Optional[Path], typer.Option("--waivers", "-w", help="Waivers left out of the findings, for queries that need findings.")] = None,
        timeout: Annotated[float, typer.Option("--timeout", help="With --endpoint: seconds the whole request may take.", min=0.001, max=86400)] = remote.DEFAULT_TIMEOUT,
        allow_service: Annotated[bool, typer.Option("--allow-service", help="Let a query on the record call SERVICE (reach other servers or files).")] = False,
    ) -> None:
        """Answer a question of the library (or a .rq file, or --sparql) on the record or on a SPARQL endpoint."""
        with user_errors(lang):
            if sparql is not None:
                if name is not None:   # without NAME, the first positional argument is a data path
                    paths = [Path(name), *(paths or [])]
                chosen = library.adhoc(sparql)
            elif name is None:
                raise RopaError("give a query NAME (see `ropa queries`), a .rq file, or --sparql 'SELECT ...'")
            else:
                chosen = library.get(name)
            if endpoint is not None and paths:
                raise RopaError("with --endpoint the server's data is queried: give no data PATHS")
            if graph is not None and endpoint is None:
                raise RopaError("--graph names a graph on a server: use it with --endpoint")
            date = parse_date(as_of, "--as-of")
            accepted = load_waivers(waivers) if waivers else None
            record = load(paths or None) if endpoint is None else None
            if record is not None and date is not None:
                record = record_as_of(record, date)   # the record as it stood on that date
            results = library.run(chosen, record, params=parse_params(param), as_of=date, lang=lang,
                                  endpoint=endpoint, graph_iri=graph, waivers=accepted, timeout=timeout,
                                  allow_service=allow_service)
        if output_format is ResultFormat.table:
            console.print(rich_table(results, iris, lang or "en"))
            say = Messages(lang if lang in LANGUAGES else "en")   # a label language ropa does not speak: English
            count = len(results.rows)
            errors.print(say("queries.rows_one") if count == 1 else say("queries.rows", count=count), highlight=False)
        else:
            sys.stdout.write(results.render(output_format.value, iris=iris, lang=lang or "en"))

    @app.command("push")
    def push(
        endpoint: Annotated[str, typer.Option("--endpoint", help="The Graph Store Protocol endpoint (Oxigraph: http://host:7878/store).", show_default=False)],
        graph: Annotated[str, typer.Option("--graph", help="The named graph to replace, e.g. urn:ropa:record.", show_default=False)],
        paths: PathsArgument = None,
        as_of: Annotated[Optional[str], typer.Option("--as-of", help="Date of the validation findings sent along (YYYY-MM-DD); today by default.")] = None,
        findings: Annotated[bool, typer.Option("--findings/--no-findings", help="Send the validation findings, for the open-gaps query.")] = True,
        waivers: Annotated[Optional[Path], typer.Option("--waivers", "-w", help="Waivers left out of the findings sent.")] = None,
        timeout: Annotated[float, typer.Option("--timeout", help="Seconds the whole upload may take.", min=0.001, max=86400)] = 300.0,
    ) -> None:
        """Replace a named graph on a SPARQL server with the record, in one Graph Store Protocol request."""
        with user_errors():
            date = parse_date(as_of, "--as-of")
            accepted = load_waivers(waivers) if waivers else None
            count = library.push(load(paths or None), endpoint, graph, findings=findings, as_of=date, waivers=accepted,
                                 timeout=timeout)
        status("status.pushed", count=count, graph=graph, endpoint=endpoint)


def library_table(found: list[library.Query], say: Messages | None = None) -> Table:
    """The library as a table for the terminal. With ``say`` (a catalogue), for people in its language: the
    titles, plain descriptions and citations of the catalogues, headed in that language; the names and parameters
    stay as the command line takes them. Without, the headers' English, which engineers read beside the SPARQL
    (properties and prefixed-name examples included)."""
    def word(key: str, english: str) -> str:
        return say(key) if say is not None else english

    lang = say.lang if say is not None else None
    table = Table(title=word("queries.title", "Query library (ropa query NAME)"), title_justify="left", show_lines=True)
    for key, english in (("name", "name"), ("question", "question"), ("article", "article"), ("parameters", "parameters")):
        table.add_column(word(f"queries.{key}", english))

    def given(param: library.Param) -> str:
        if param.required:
            return word("queries.required", "required")
        if say is None:
            return f"default {param.default}"
        # a duration in words ("5 ans", which --param also takes), never the ISO form
        default = format_duration_words(param.default, say) if param.type == "duration" else param.default
        return say("queries.default", value=default)

    for q in found:
        params = "\n".join(f"{p.name} ({word(f'queries.type.{p.type}', p.type)}, {given(p)})" for p in q.params)
        question = safe.terminal(library.title(q, lang) if lang else q.title, style="bold")
        question.append_text(safe.terminal("\n" + (library.description(q, lang) if lang else q.answers)))
        table.add_row(safe.terminal(q.name), question, safe.terminal(library.article(q, lang) if lang else q.article),
                      safe.terminal(params))
    return table


def rich_table(results: library.Results, iris: bool, lang: str = "en") -> Table:
    """The results as a rich table for the terminal (IRIs as prefixed names), headed in ``lang``."""
    columns = results.shown(iris)
    headers = results.headers(iris, lang)
    table = Table(show_lines=False)
    for column in columns:
        table.add_column(safe.terminal(headers[column]), overflow="fold")
    for record in results.records(iris, short=True, lang=lang):
        table.add_row(*(safe.terminal(record[c]) for c in columns))
    return table

"""Commands of the analyse stage: data flows, vendor impact and concentration, diagrams, change tracking.

Every command reads PATHS like the others (the bundled data by default), prints a table, JSON or Markdown
(``--format``), writes a file atomically with ``-o``, and turns a RopaError into one line and exit code 2.
"""


from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ropa import resources
from ropa.commands import Language
from ropa.errors import RopaError
from ropa.export import write_atomically
from ropa.tabular import Result, print_tables, to_json, to_markdown, to_text


class ReportFormat(str, Enum):
    table = "table"
    json = "json"
    md = "md"


class DiagramFormat(str, Enum):
    svg = "svg"
    mermaid = "mermaid"


FormatOption = Annotated[ReportFormat, typer.Option("--format", "-f", help="table for people, json for machines, md for documents.")]
OutputOption = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of standard output.")]
AsOfOption = Annotated[Optional[str], typer.Option("--as-of", help="The register as it stood on this date (YYYY-MM-DD); today by default.")]
LangOption = Annotated[Language, typer.Option("--lang", "-l", help="Language of the table and Markdown (JSON is the same in every language).")]
GitOption = Annotated[Optional[str], typer.Option("--git", help="Compare PATH as it was at this git revision with PATH now.")]


def register(app: typer.Typer) -> None:
    # ropa.cli imports this module while it registers commands, so its helpers are imported here, not at the top.
    from ropa import cli
    from ropa.diagrams import diagram as make_diagram
    from ropa.diagrams import to_mermaid, to_svg
    from ropa.diff import diff as make_diff
    from ropa.diff import notice as make_notice
    from ropa.flows import concentration, flows, impact
    from ropa.load import load
    from ropa.whatif import assume_invalid as what_if

    def emit(result: Result, output_format: ReportFormat, output: Path | None, title: str | None = None,
             lang: str = "en") -> None:
        if output_format is ReportFormat.table and output is None:
            print_tables(result, cli.console, title)
            return
        text = {ReportFormat.table: lambda: to_text(result, title), ReportFormat.json: lambda: to_json(result),
                ReportFormat.md: lambda: to_markdown(result, title)}[output_format]()
        write(text, output, lang)

    def write(text: str, output: Path | None, lang: str = "en") -> None:
        if output is None:
            typer.echo(text, nl=not text.endswith("\n"))
        else:
            write_atomically(output, text.encode("utf-8"))
            cli.status("status.wrote", lang, file=output)

    @app.command("flows")
    def flows_command(
        paths: cli.PathsArgument = None,
        to_country: Annotated[Optional[str], typer.Option("--to-country", help="Only paths to this country (US, loc:US or a name).")] = None,
        outside_eea: Annotated[bool, typer.Option("--outside-eea", help="Only paths to places outside the EEA.")] = False,
        assume_invalid: Annotated[Optional[str], typer.Option("--assume-invalid", help="What if this transfer instrument ended (ropa:Adequacy-EU-US-DPF, DPF, Privacy Shield, an adequacy decision, any recorded instrument): the flows that would lose their basis, their fallbacks, whom to inform.")] = None,
        from_date: Annotated[Optional[str], typer.Option("--from", help="With --assume-invalid: the day the instrument ends (YYYY-MM-DD); --as-of or today by default.")] = None,
        as_of: AsOfOption = None,
        output_format: FormatOption = ReportFormat.table,
        output: OutputOption = None,
        lang: LangOption = Language.en,
    ) -> None:
        """Every path by which an activity's data can reach a country, with the weakest link's transfer basis; with
        --assume-invalid, what would lose its basis if a transfer instrument ended."""
        with cli.user_errors(lang.value):
            if to_country and outside_eea:
                raise RopaError("choose --to-country or --outside-eea, not both", key="cli.country_or_outside")
            if from_date is not None and assume_invalid is None:
                raise RopaError("--from is the day an instrument ends: use it with --assume-invalid",
                                key="cli.from_needs_instrument")
            if assume_invalid is not None:
                if to_country or outside_eea:
                    raise RopaError("--assume-invalid looks at every flow to a third country: leave out --to-country and "
                                    "--outside-eea", key="cli.instrument_every_flow")
                day = cli.parse_date(from_date, "--from") or cli.parse_date(as_of, "--as-of")
                result = what_if(load(paths or None), assume_invalid, day, lang=lang.value)
                emit(result, output_format, output, result.title(), lang.value)
                return
            report = flows(load(paths or None), to_country=to_country, outside_eea=outside_eea,
                           as_of=cli.parse_date(as_of, "--as-of"), lang=lang.value)
            emit(report, output_format, output, report.title(), lang.value)

    @app.command("impact")
    def impact_command(
        vendor: Annotated[str, typer.Argument(help="The vendor: prefixed name (dst:microsoft), IRI or name.", show_default=False)],
        paths: cli.PathsArgument = None,
        as_of: AsOfOption = None,
        output_format: FormatOption = ReportFormat.table,
        output: OutputOption = None,
        lang: LangOption = Language.en,
    ) -> None:
        """What a breach or replacement of this vendor touches, and who must be notified (Art. 28(2), 33, 34)."""
        with cli.user_errors(lang.value):
            result = impact(load(paths or None), vendor, as_of=cli.parse_date(as_of, "--as-of"), lang=lang.value)
            emit(result, output_format, output, result.title(), lang.value)

    @app.command("vendors")
    def vendors_command(
        paths: cli.PathsArgument = None,
        as_of: AsOfOption = None,
        output_format: FormatOption = ReportFormat.table,
        output: OutputOption = None,
        lang: LangOption = Language.en,
    ) -> None:
        """Vendors ranked by how many activities and entities depend on them; single points of failure."""
        with cli.user_errors(lang.value):
            emit(concentration(load(paths or None), as_of=cli.parse_date(as_of, "--as-of"), lang=lang.value),
                 output_format, output, lang=lang.value)

    @app.command("diagram")
    def diagram_command(
        paths: cli.PathsArgument = None,
        controller: Annotated[Optional[str], typer.Option("--controller", help="Every activity this organisation keeps or controls.")] = None,
        activity: Annotated[Optional[str], typer.Option("--activity", help="One activity (prefixed name, IRI or name).")] = None,
        diagram_format: Annotated[DiagramFormat, typer.Option("--format", "-f", help="svg (Graphviz) or mermaid (for Markdown).")] = DiagramFormat.svg,
        lang: Annotated[Language, typer.Option("--lang", "-l", help="Language of the labels and words of the diagram.")] = Language.en,
        as_of: AsOfOption = None,
        output: OutputOption = None,
    ) -> None:
        """A data-flow diagram of one controller or one activity, as SVG or Mermaid."""
        with cli.user_errors(lang.value):
            drawn = make_diagram(load(paths or None), controller=controller, activity=activity,
                                 as_of=cli.parse_date(as_of, "--as-of"), lang=lang.value)
            write(to_svg(drawn) if diagram_format is DiagramFormat.svg else to_mermaid(drawn), output, lang.value)

    def sides(old: str | None, new: str | None, git: str | None) -> tuple[str, str]:
        """OLD and NEW, or with --git REV: REV:PATH and PATH (the bundled data folder by default)."""
        if git:
            if old and new:
                raise RopaError("with --git give at most one PATH: it is compared with itself at the revision",
                                key="cli.git_one_path")
            path = old or new or str(resources.data_dir() / "destiny")
            return f"{git}:{path}", path
        if not (old and new):
            raise RopaError("give OLD and NEW (files, folders or REV:path), or --git REV", key="cli.old_and_new")
        return old, new

    @app.command("diff")
    def diff_command(
        old: Annotated[Optional[str], typer.Argument(help="The earlier version: file, folder or REV:path.", show_default=False)] = None,
        new: Annotated[Optional[str], typer.Argument(help="The later version: file, folder or REV:path.", show_default=False)] = None,
        git: GitOption = None,
        output_format: FormatOption = ReportFormat.table,
        output: OutputOption = None,
        lang: LangOption = Language.en,
    ) -> None:
        """Activities, processors, sub-processors, transfers, retention and legal bases added, removed or changed."""
        with cli.user_errors(lang.value):
            result = make_diff(*sides(old, new, git), lang=lang.value)
            emit(result, output_format, output, result.title(), lang.value)

    @app.command("notice")
    def notice_command(
        processor: Annotated[str, typer.Option("--processor", help="The processor whose sub-processors change.", show_default=False)],
        old: Annotated[Optional[str], typer.Argument(help="The current version: file, folder or REV:path.", show_default=False)] = None,
        new: Annotated[Optional[str], typer.Argument(help="The intended version: file, folder or REV:path.", show_default=False)] = None,
        effective: Annotated[Optional[str], typer.Option("--effective", help="When the change takes effect (YYYY-MM-DD); today + 30 days by default.")] = None,
        lang: Annotated[Language, typer.Option("--lang", "-l", help="Language of the notice, the controllers' language.")] = Language.en,
        git: GitOption = None,
        output_format: FormatOption = ReportFormat.table,
        output: OutputOption = None,
    ) -> None:
        """The sub-processor change notice a processor owes its controllers (Art. 28(2)): what, from when, how to object."""
        with cli.user_errors(lang.value):
            result = make_notice(*sides(old, new, git), processor, cli.parse_date(effective, "--effective"), lang=lang.value)
            emit(result, output_format, output, lang=lang.value)

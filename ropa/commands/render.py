"""``ropa render`` and ``ropa build``: the Art. 30 registers and processor overviews as HTML, Markdown, XLSX and PDF."""


from pathlib import Path
from typing import Annotated, Optional

import typer


def status_language(text: str) -> str:
    """The one language of the status line (the stages while building, the findings' counts and the files written at
    the end). A build writes several languages, but the line is read by the one person who ran it, so it speaks the
    language they named first: ``--lang nl,fr`` is a Dutch speaker's build of a bilingual record, ``--lang fr,nl`` a
    French speaker's. The default list starts with English, the language of the command's help and of its errors
    about options. (The build itself puts its languages in ropa's own order, so the first is taken from the
    option's text, which ``parse_languages`` has checked.)"""
    return next(part.strip().lower() for part in text.split(",") if part.strip())


def register(app: typer.Typer) -> None:
    # Imported here, not at module level: ropa.cli imports this module while it is still being defined.
    from ropa.cli import PathsArgument, errors, parse_date, user_errors
    from ropa.load import load
    from ropa.messages import Messages
    from ropa.progress import display
    from ropa.register import LANGUAGES
    from ropa.timeline import as_of as record_as_of
    from ropa.render import FORMATS, PDF_ENGINES, build, choose_pdf_engine, parse_formats, parse_languages, render
    from ropa.validate import validate, with_waivers
    from ropa.validation_output import summary_line
    from ropa.waivers import NO_WAIVERS, load_waivers

    formats_help = f"Comma-separated: {','.join(FORMATS)}."
    AsOf = Annotated[Optional[str], typer.Option("--as-of", help="Show the register as it stood on this date (YYYY-MM-DD): activities and links valid then, judged then; today by default.")]
    Waivers = Annotated[Optional[Path], typer.Option("--waivers", "-w", help="TOML file of accepted findings: shown as waived, not as open gaps.")]
    PdfEngine = Annotated[Optional[str], typer.Option("--pdf-engine", help=f"{'|'.join(PDF_ENGINES)}: Chromium (fast) when it is installed, WeasyPrint otherwise.")]

    def dated_record(paths, as_of, waivers, progress):
        """The record as it stood on the date (all of it without one), and its findings with the waivers applied."""
        progress.stage("progress.loading")
        graph = load(paths or None)
        if as_of is not None:
            graph = record_as_of(graph, as_of)
        accepted = load_waivers(waivers) if waivers else NO_WAIVERS
        progress.stage("progress.validating")
        return graph, with_waivers(validate(graph, as_of=as_of), accepted)

    @app.command("render")
    def render_command(
        paths: PathsArgument = None,
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write (replaced whole, atomically).")] = Path("out"),
        formats: Annotated[str, typer.Option("--format", "-f", help=formats_help)] = ",".join(FORMATS),
        lang: Annotated[str, typer.Option("--lang", "-l", help=f"Language of the documents: {'|'.join(LANGUAGES)}.")] = "en",
        as_of: AsOf = None,
        waivers: Waivers = None,
        pdf_engine: PdfEngine = None,
    ) -> None:
        """Render the Art. 30(1) and 30(2) registers, processor overviews and group overview in one language."""
        with user_errors():
            language = parse_languages(lang)
            if len(language) != 1:
                raise_one_language()
        said = Messages(language[0])
        with user_errors(language[0]), display(errors, said) as progress:
            date = parse_date(as_of, "--as-of")
            chosen = parse_formats(formats)
            if pdf_engine is not None:
                choose_pdf_engine(pdf_engine)
            graph, report = dated_record(paths, date, waivers, progress)
            result = render(graph, out, formats=chosen, lang=language[0], findings=report.findings, as_of=report.as_of,
                            pdf_engine=pdf_engine, progress=progress)
        errors.print(said("build.wrote", count=len(result.files), formats=",".join(result.formats), languages=language[0],
                          folder=out), highlight=False)

    def raise_one_language():
        from ropa.errors import RopaError

        raise RopaError("--lang takes one language; ropa build renders all of them", key="cli.one_language")

    @app.command("build")
    def build_command(
        paths: PathsArgument = None,
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write (replaced whole, atomically).")] = Path("build"),
        formats: Annotated[str, typer.Option("--format", "-f", help=formats_help)] = ",".join(FORMATS),
        langs: Annotated[str, typer.Option("--lang", "-l", help=f"Comma-separated languages: {','.join(LANGUAGES)}.")] = ",".join(LANGUAGES),
        as_of: AsOf = None,
        waivers: Waivers = None,
        pdf_engine: PdfEngine = None,
    ) -> None:
        """Validate, then render every document in every format and language into one folder (build/ by default)."""
        with user_errors():
            languages = parse_languages(langs)
        said = Messages(status_language(langs))
        with user_errors(said.lang), display(errors, said) as progress:
            date = parse_date(as_of, "--as-of")
            chosen = parse_formats(formats)
            if pdf_engine is not None:
                choose_pdf_engine(pdf_engine)
            graph, report = dated_record(paths, date, waivers, progress)
            errors.print(said("build.validated", summary=summary_line(report, said)), highlight=False)
            result = build(graph, out, formats=chosen, languages=languages, findings=report.findings, as_of=report.as_of,
                           pdf_engine=pdf_engine, progress=progress)
        errors.print(said("build.wrote", count=len(result.files), formats=",".join(result.formats),
                          languages=",".join(result.languages), folder=out), highlight=False)

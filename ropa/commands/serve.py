"""``ropa serve``: the record in a browser (ropa.web), with a read-only SPARQL endpoint."""


from pathlib import Path
from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    # Imported here: ropa.cli imports this module while it is being set up.
    from ropa.cli import PathsArgument, parse_date, status, user_errors

    @app.command("serve")
    def serve(
        paths: PathsArgument = None,
        host: Annotated[str, typer.Option("--host", help="Address to listen on; another than this machine's needs --token.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)] = 8000,
        as_of: Annotated[Optional[str], typer.Option("--as-of", help="Show the record as it stood on this date (YYYY-MM-DD), judged then; today by default.")] = None,
        waivers: Annotated[Optional[Path], typer.Option("--waivers", "-w", help="TOML file of accepted findings: shown as waived.")] = None,
        token: Annotated[Optional[str], typer.Option("--token", envvar="ROPA_TOKEN", help="A secret every request must carry (Authorization: Bearer, or ?token= once); required with another --host.")] = None,
        timeout: Annotated[float, typer.Option("--timeout", help="Seconds a SPARQL query may run.", min=0.1, max=3600)] = 10.0,
        max_rows: Annotated[int, typer.Option("--max-rows", help="Rows a SPARQL answer holds at most.", min=1)] = 10_000,
        allow_origin: Annotated[Optional[list[str]], typer.Option("--allow-origin", help="A site whose pages may query /sparql from the browser (e.g. https://yasgui.example.org); repeat for several.")] = None,
    ) -> None:
        """Serve the record in a browser: registers, findings, questions as forms, search, diagrams, and a
        read-only SPARQL endpoint at /sparql. Reloads when a data file changes."""
        from ropa import web

        with user_errors():
            date = parse_date(as_of, "--as-of")
            web.check_bind(host, token)
            web.check_port(host, port)
            application = web.create_app(paths or None, as_of=date, waivers=waivers, token=token,
                                         hosts=web.allowed_hosts(token), timeout=timeout, max_rows=max_rows,
                                         origins=web.check_origins(allow_origin or []))
        shown = f"[{host}]" if ":" in host else host
        status("status.serving", url=f"http://{shown}:{port}/")
        web.run(application, host, port)

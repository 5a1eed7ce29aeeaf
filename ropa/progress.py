"""Progress of the long commands: a line on a terminal, nothing in CI or when standard error is not a terminal.

One display per command, in stages (loading, validating, rendering 12 parts ...); library functions take a
``Progress`` and report to it, and the quiet default costs nothing. A stage is named by its catalogue key
(``progress.rendering``), so that the line reads in the language of the command's output. The display refreshes
only when a stage starts or a part is done, so no thread runs beside the work (rendering forks worker processes,
which a running refresh thread would make unsafe).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


class Progress:
    """Where work reports its stages and finished parts. This base class shows nothing."""

    def stage(self, key: str, total: int | None = None) -> None:
        """A new stage of the work (its ``progress.*`` catalogue key), with the number of parts it has when known."""

    def advance(self, parts: int = 1) -> None:
        """Parts of the current stage are done."""


QUIET = Progress()


def wanted(stream=None) -> bool:
    """Show progress only to a person: on a terminal, and not in CI (where the ``CI`` variable is set)."""
    stream = stream or sys.stderr
    return bool(stream.isatty()) and not os.environ.get("CI")


class _Terminal(Progress):
    def __init__(self, bar, messages):
        self.bar = bar
        self.messages = messages
        self.task = None

    def stage(self, key: str, total: int | None = None) -> None:
        if self.task is not None:
            self.bar.update(self.task, visible=False)
        self.task = self.bar.add_task(self.messages(key), total=total, parts="" if total is None else f"0/{total}")
        self.bar.refresh()

    def advance(self, parts: int = 1) -> None:
        if self.task is not None:
            self.bar.advance(self.task, parts)
            task = self.bar.tasks[-1]
            self.bar.update(self.task, parts=f"{int(task.completed)}/{int(task.total)}" if task.total else "")
            self.bar.refresh()


@contextmanager
def display(console=None, messages=None) -> Iterator[Progress]:
    """A progress display on standard error for the duration of a command, or ``QUIET`` where none is wanted. The
    line goes when the command ends, leaving the terminal to the command's own output. Its stages are said in the
    language of ``messages`` (a ``Messages``; English without one)."""
    if not wanted(console.file if console is not None else None):
        yield QUIET
        return
    from ropa.messages import Messages
    from rich.console import Console
    from rich.progress import BarColumn, Progress as Bar, TextColumn, TimeElapsedColumn

    bar = Bar(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[parts]}"), TimeElapsedColumn(),
              console=console or Console(stderr=True), transient=True, auto_refresh=False)
    with bar:
        yield _Terminal(bar, messages or Messages("en"))

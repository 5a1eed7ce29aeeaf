"""Errors a user can cause and fix: the CLI prints them as one line and exits 2, never as a traceback."""


class RopaError(Exception):
    """A user's input is wrong (a file, a term, an option): the message names what and where."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, column: int | None = None):
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path
            if self.line:
                where += f":{self.line}"
                if self.column:
                    where += f":{self.column}"
            where += ": "
        return where + self.message

    def lines(self) -> list[str]:
        """The problems to print, one line each."""
        return [str(self)]


class RopaErrors(RopaError):
    """Several problems found in one pass (every unknown term of a run), so that the user can fix them all at once.

    It reads as its first problem (path, line, message); ``problems`` holds them all, and the CLI prints each.
    """

    def __init__(self, problems: list[RopaError]):
        self.problems = list(problems)
        first = self.problems[0]
        super().__init__(first.message, path=first.path, line=first.line, column=first.column)

    def __str__(self) -> str:
        return "\n".join(RopaError.__str__(p) for p in getattr(self, "problems", [])) or super().__str__()

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class RopaWarning(UserWarning):
    """Something in the input is probably a mistake but not an error (an empty file, a record with no activity):
    the CLI shows it as one line on stderr and goes on."""

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


class RopaWarning(UserWarning):
    """Something in the input is probably a mistake but not an error (an empty file, a record with no activity):
    the CLI shows it as one line on stderr and goes on."""

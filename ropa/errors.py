"""Errors a user can cause and fix: the CLI prints them as one line and exits 2, never as a traceback."""


class RopaError(Exception):
    """A user's input is wrong (a file, a term, an option): the message names what and where.

    The message is English, for the command line and logs. An error an officer can meet in ``ropa serve`` also
    carries ``key``, a phrase of the message catalogues (reports/messages), and the ``values`` that fill it, so that
    a page shows it in its own language (``said``)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, column: int | None = None,
                 key: str | None = None, values: dict[str, object] | None = None):
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.key = key
        self.values = dict(values or {})
        super().__init__(str(self))

    def said(self, phrase) -> str:
        """The error in a catalogue's language: ``phrase`` is a catalogue (ropa.register.Messages: called with a key
        and values, ``has(key)``); a value that is itself a catalogue key (``key:...``) is said in it too, with the
        same values. Without a key, or one the catalogue lacks, the English message."""
        if not self.key or not phrase.has(self.key):
            return str(self)
        def say(value):
            if not (isinstance(value, str) and value.startswith("key:")):
                return value
            key = value[len("key:"):]   # a phrase the catalogue lacks reads as the key's last part, in words
            return phrase(key, **self.values) if phrase.has(key) else key.rsplit(".", 1)[-1].replace("_", " ")

        values = {name: say(value) for name, value in self.values.items()}
        return self.where() + phrase(self.key, **values)

    def said_lines(self, phrase) -> list[str]:
        """Each problem in a catalogue's language (see ``said``), one line each."""
        return [self.said(phrase)]

    def spoken_lines(self, phrase) -> list[tuple[str, bool]]:
        """Each problem as ``said_lines`` says it, and whether it is in the catalogue's language (False: the English
        message, for an error no catalogue phrase says yet), so that the words around it match."""
        return [(self.said(phrase), bool(self.key and phrase.has(self.key)))]

    def where(self) -> str:
        """The place of the problem as a prefix: ``file:line:column: ``, or nothing."""
        if not self.path:
            return ""
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return where + ": "

    def __str__(self) -> str:
        return self.where() + self.message

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

    def said_lines(self, phrase) -> list[str]:
        return [p.said(phrase) for p in self.problems]

    def spoken_lines(self, phrase) -> list[tuple[str, bool]]:
        return [line for p in self.problems for line in p.spoken_lines(phrase)]


class RopaWarning(UserWarning):
    """Something in the input is probably a mistake but not an error (an empty file, a record with no activity):
    the CLI shows it as one line on stderr and goes on."""

"""One exception family for every mistake a person can act on.

Every error carries where it happened (file, line, entry id, field) and builds
its own Polish message from that, so the CLI prints it as is and exits 2.
"""

from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Problem(NamedTuple):
    """One finding about a user's file: where it is and what is wrong (in Polish); a typed
    ``NamedTuple`` (immutable, cheap to define at every start)."""

    message: str
    path: Path | None = None
    line: int | None = None
    entry: str | None = None
    field: str | None = None
    severity: Severity = Severity.ERROR

    def location(self) -> str:
        """``plik.toml(12)`` style prefix, as compilers and remind(1) print it."""
        if self.path is None:
            return ""
        return f"{self.path}({self.line})" if self.line else str(self.path)

    def __str__(self) -> str:
        parts = []
        loc = self.location()
        if loc:
            parts.append(loc)
        if self.entry:
            parts.append(f"wpis „{self.entry}”")
        if self.field:
            parts.append(f"pole „{self.field}”")
        prefix = ", ".join(parts)
        label = "ostrzeżenie: " if self.severity is Severity.WARNING else ""
        text = f"{prefix}: {label}{self.message}" if prefix else f"{label}{self.message}"
        return visible(text)


def visible(text: str) -> str:
    """``text`` with control characters (NUL, ESC, CR, LF, …) shown as ``\\x1b`` escapes and
    text that is not valid UTF-8 (``surrogateescape``) as U+FFFD, so that a message
    about a hostile value can neither drive the terminal nor fail to print."""
    out = []
    for char in text:
        code = ord(char)
        if code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029):
            out.append(f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(char)
    return "".join(out)


class TerminarzError(Exception):
    """Base of every error caused by the user's input; the CLI maps it to exit code 2."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        entry: str | None = None,
        field: str | None = None,
    ) -> None:
        self.problem = Problem(message=message, path=path, line=line, entry=entry, field=field)
        super().__init__(str(self.problem))

    @property
    def path(self) -> Path | None:
        return self.problem.path


class ValidationError(TerminarzError):
    """All problems found in one or more files, reported together."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        errors = [p for p in problems if p.severity is Severity.ERROR]
        first = errors[0] if errors else problems[0]
        super().__init__(
            first.message, path=first.path, line=first.line, entry=first.entry, field=first.field
        )
        self.problems = tuple(problems)
        self.args = ("\n".join(str(p) for p in problems),)

    def __str__(self) -> str:
        return str(self.args[0])


class UsageError(TerminarzError):
    """A wrong command-line value (a date, a level, an id)."""


class CalendarRangeError(TerminarzError):
    """A date outside the years the working-day calendar supports."""


def raise_if_errors(problems: Iterable[Problem]) -> None:
    """Raise :class:`ValidationError` when any of ``problems`` is an error."""
    found = list(problems)
    if any(p.severity is Severity.ERROR for p in found):
        raise ValidationError(found)

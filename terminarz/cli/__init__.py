"""The ``terminarz`` command: a thin shell over the library, one module per command group.

It may import every layer; it keeps only arguments, printing and exit codes, and with the
scheduler it is the only place that reads the clock (Europe/Warsaw).

This is the one error boundary: a :class:`~terminarz.errors.TerminarzError` (the
user's mistake) becomes a Polish message on stderr and exit code 2. So do the classes
of mistakes that surface as Python errors deep inside: a date beyond the years
``datetime`` can hold (``OverflowError``, "year … is out of range"), a NUL byte in a
path, text that is not UTF-8 (an argument or an environment variable decoded with
``surrogateescape``). An input/output failure — standard output closed, a full disk
(``/dev/full``), a file that cannot be written — is a Polish message and exit code 1.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from terminarz.cli.common import EXIT_USAGE, Context, PolishParser
from terminarz.errors import TerminarzError

EXIT_IO = 1

DESCRIPTION = """\
terminarz — terminy sprawozdań i dyżury w polskiej administracji publicznej.

Oblicza terminy obowiązków sprawozdawczych na kalendarzu polskich dni roboczych
i tłumaczy, skąd się wzięły.
"""

EXAMPLES = """\
Przykłady:
  terminarz due                                  co jest do zrobienia w tym miesiącu
  terminarz due --month 2026-01 --level ops      terminy ośrodka pomocy społecznej
  terminarz explain mpips-02.zal@rup/2025        dlaczego ten termin wypada tego dnia
  terminarz workdays --month 2025-12             dni robocze i święta grudnia 2025 r.
  terminarz catalogue                            wszystkie obowiązki z podstawą prawną
  terminarz check                                sprawdzenie plików katalogów
  terminarz who mpips-03@ops/2026 --config terminarz.toml   kto odpowiada i dlaczego
  terminarz request mpips-03@ops/2026 --unit dokip          pismo z prośbą o dane (II.4)
  terminarz feed --config terminarz.toml --out kalendarze   kalendarze .ics do subskrypcji
  terminarz serve --config terminarz.toml                   serwer HTTP z kalendarzami
  terminarz remind --config terminarz.toml                  przypomnienia e-mail (cron)
  terminarz done mpips-03@ops/2026 --by kier-dokip          sprawozdanie wysłane
  terminarz --version                                       wersja programu
"""


MODULES = ("core", "duties", "feeds", "remind", "status")
"""The modules of ``terminarz.cli`` that register commands, in the order of the help."""

COMMANDS = {
    "due": "core", "explain": "core", "workdays": "core", "catalogue": "core", "check": "core",
    "who": "duties", "request": "duties",
    "feed": "feeds", "serve": "feeds", "feed-url": "feeds", "login-url": "feeds",
    "remind": "remind", "log": "remind", "done": "remind", "undone": "remind",
    "daemon": "remind",
    "status": "status",
}  # fmt: skip
"""Which module registers each command: a run imports only its command's module (a test
checks this table against what the modules register)."""


def build_parser(command: str | None = None) -> PolishParser:
    """The whole parser, or with ``command`` one that builds only that sub-command's parser
    from only that command's module (what a run pays for: importing every command's module,
    and argparse makes each option with a look-up of the terminal's size). An unknown
    ``command`` gives the whole parser, whose error lists them all."""
    parser = PolishParser(prog="terminarz", description=DESCRIPTION, epilog=EXAMPLES)
    sub: Any = parser.add_subparsers(
        title="polecenia", dest="command", metavar="POLECENIE", parser_class=PolishParser
    )
    modules: tuple[str, ...] = MODULES
    if command is not None:
        if command not in COMMANDS:
            return build_parser()
        sub = _OneCommand(sub, command)
        modules = (COMMANDS[command],)
    for name in modules:
        __import__(f"terminarz.cli.{name}", fromlist=["register"]).register(sub)
    if isinstance(sub, _OneCommand) and not sub.built:
        return build_parser()
    return parser


class _OneCommand:
    """The sub-parsers action as the ``register`` functions see it when one command runs:
    that command's parser is built, every other one is a :class:`_Unbuilt`."""

    def __init__(self, sub: Any, command: str) -> None:
        self.sub = sub
        self.command = command
        self.built = False

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if self.command != name and self.command not in kwargs.get("aliases", ()):
            return _Unbuilt()
        self.built = True
        return self.sub.add_parser(name, **kwargs)


class _Unbuilt:
    """A sub-command's parser that is not being run: what is added to it is dropped."""

    def __getattr__(self, name: str) -> Callable[..., _Unbuilt]:
        return self._drop

    def _drop(self, *args: Any, **kwargs: Any) -> _Unbuilt:
        return self


def _command(arguments: Sequence[str]) -> str | None:
    """The sub-command's name: the first argument, when it is not an option (``--help``
    and a missing command need the whole parser)."""
    return arguments[0] if arguments and not arguments[0].startswith("-") else None


def main(argv: Sequence[str] | None = None) -> int:
    _guard_standard_streams()
    arguments = list(sys.argv[1:] if argv is None else argv)
    problem = _text_problem(arguments)
    if problem is not None:
        _say(f"terminarz: błąd: {problem}\n")
        return EXIT_USAGE
    if arguments == ["--version"]:  # before any parser is built: nothing else is needed
        return _version()
    parser = build_parser(_command(arguments))
    try:
        args = parser.parse_args(arguments)
        if getattr(args, "handler", None) is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        ctx = Context(args=args)
        code: int = args.handler(ctx)
        sys.stdout.flush()
    except TerminarzError as exc:
        _say(f"terminarz: błąd: {exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        _say("terminarz: przerwano\n")
        return 130
    except (OverflowError, ValueError, UnicodeError) as exc:
        message = _value_message(exc)
        if message is None:
            raise
        _say(f"terminarz: błąd: {message}\n")
        return EXIT_USAGE
    except OSError as exc:
        _silence_stdout()
        _say(f"terminarz: błąd: {_io_message(exc)}\n")
        return EXIT_IO
    return code


def _version() -> int:
    """``terminarz 0.1.0``: the installed distribution's version (``importlib.metadata`` is
    imported only here), else the package's own when it runs from a source tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("terminarz")
    except PackageNotFoundError:
        from terminarz import __version__ as number
    sys.stdout.write(f"terminarz {number}\n")
    sys.stdout.flush()
    return 0


class _ClosedOutput:
    """Standard output when the process was started with it closed (``>&-``): writing
    fails with EBADF, which the boundary reports; a command that writes nothing works."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))


def _guard_standard_streams() -> None:
    """Keep descriptors 0–2 taken (by ``/dev/null``) when the process was started with
    them closed, so that no database or feed file opened later becomes "standard output"."""
    closed = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed.append(fd)
    for fd in closed:
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    if 1 in closed or sys.stdout is None:
        sys.stdout = _ClosedOutput()  # type: ignore[assignment,unused-ignore]
    if 2 in closed or sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


def _say(text: str) -> None:
    """Write to stderr, whatever state it is in (full, closed, an odd encoding)."""
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError, UnicodeError):
        pass


def _silence_stdout() -> None:
    """After a failed write to stdout: point it at /dev/null so that Python's own final
    flush does not print a second error (the recipe of the ``signal`` module docs)."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


def _text_problem(arguments: Sequence[str]) -> str | None:
    """A command-line argument or a ``TERMINARZ_*`` variable that is not UTF-8 text."""
    for position, value in enumerate(arguments, start=1):
        if _undecodable(value):
            shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            return (
                f"argument nr {position} („{shown}”) nie jest poprawnym tekstem UTF-8; "
                "należy poprawić kodowanie znaków"
            )
    for name, value in sorted(os.environ.items()):
        if name.startswith("TERMINARZ_") and _undecodable(value):
            return (
                f"zmienna środowiskowa {name} nie jest poprawnym tekstem UTF-8; "
                "należy poprawić kodowanie znaków"
            )
    return None


def _undecodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


_OUT_OF_RANGE = ("out of range", "too large", "overflow", "must be in")


def _value_message(exc: BaseException) -> str | None:
    """The Polish message for a class of error a user's input can cause, or None."""
    text = str(exc)
    if isinstance(exc, UnicodeError):
        return (
            "tekst nie jest poprawnym UTF-8 (argument, zmienna środowiskowa albo plik); "
            "należy poprawić kodowanie znaków"
        )
    if "null byte" in text or "null character" in text:
        return "ścieżka albo wartość zawiera niedozwolony znak NUL"
    if isinstance(exc, OverflowError) or any(words in text.lower() for words in _OUT_OF_RANGE):
        return (
            "data wykracza poza obsługiwany zakres (np. rok 9999); należy podać datę z lat "
            "1900–2199"
        )
    return None


_STRERROR = {
    errno.ENOSPC: "brak miejsca na urządzeniu",
    errno.EBADF: "wyjście jest zamknięte",
    errno.EIO: "błąd wejścia/wyjścia urządzenia",
    errno.EROFS: "system plików jest tylko do odczytu",
    errno.EACCES: "brak uprawnień",
    errno.EPERM: "operacja niedozwolona",
    errno.ENOENT: "nie ma takiego pliku ani katalogu",
    errno.ENOTDIR: "to nie jest katalog",
    errno.EISDIR: "to jest katalog",
    errno.EDQUOT: "przekroczony limit miejsca na dysku",
    errno.EFBIG: "plik jest zbyt duży",
}


def _io_message(exc: OSError) -> str:
    reason = _STRERROR.get(exc.errno or 0) or exc.strerror or str(exc)
    if exc.filename is not None:
        return f"{exc.filename}: nie można zapisać ani odczytać ({reason})"
    if exc.errno in (errno.ENOSPC, errno.EBADF, errno.EIO, errno.EFBIG, errno.EDQUOT):
        return f"nie można zapisać wyniku na standardowe wyjście ({reason})"
    return f"błąd wejścia/wyjścia ({reason})"


if __name__ == "__main__":
    raise SystemExit(main())

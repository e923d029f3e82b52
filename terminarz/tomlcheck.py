"""Reading a user's TOML file and checking its values, collecting every problem.

Shared by the catalogue and organisation loaders: ``tomllib`` gives no line
numbers for values, so :class:`LineIndex` finds the line of a table entry or a
key by scanning the text, and :class:`Checker` records a Polish problem for
every wrong value instead of stopping at the first.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from terminarz.errors import Problem, Severity, TerminarzError

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from typing import Any

# Patterns as text: ``re`` compiles each on first use (and keeps it), not at every start.
_HEADER = r"^\s*\[\[?\s*([A-Za-z0-9_.\-\"]+)\s*\]\]?"
_TOML_LINE = r"at line (\d+)"
MAX_FILE_BYTES = 2_000_000


def read_limited(
    path: Path, limit: int, *, what: str = "plik", what_of: str = "pliku"
) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Refuses what is not a regular file (a device such as ``/dev/zero``, a FIFO, a socket,
    a directory) before reading a byte, and enforces ``limit`` while reading, so neither
    an endless device nor a huge (sparse) file is read whole. Opening never blocks (a
    FIFO without a writer). Every failure is a :class:`TerminarzError` naming the file;
    ``what`` names the kind of file in the message ("plik", "kalendarz nieobecności"),
    ``what_of`` is its genitive ("pliku", "kalendarza nieobecności").
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except ValueError:  # an embedded NUL byte
        raise TerminarzError(
            f"ścieżka {what_of} zawiera niedozwolony znak NUL", path=_printable_path(path)
        ) from None
    except FileNotFoundError:
        raise TerminarzError(f"{what} nie istnieje", path=path) from None
    except IsADirectoryError:
        raise TerminarzError("to jest katalog, a nie plik", path=path) from None
    except OSError as exc:
        raise TerminarzError(f"nie można odczytać {what_of} ({exc.strerror})", path=path) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise TerminarzError("to jest katalog, a nie plik", path=path)
        if not stat.S_ISREG(info.st_mode):
            raise TerminarzError(
                f"{what} nie jest zwykłym plikiem (to urządzenie, potok albo gniazdo); "
                "podaj zwykły plik",
                path=path,
            )
        if info.st_size > limit:
            raise TerminarzError(
                f"{what} jest zbyt duży ({info.st_size} bajtów; najwyżej {limit})", path=path
            )
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # grew while being read
            raise TerminarzError(f"{what} jest zbyt duży (ponad {limit} bajtów)", path=path)
        return b"".join(chunks)
    except OSError as exc:
        raise TerminarzError(f"nie można odczytać {what_of} ({exc.strerror})", path=path) from None
    finally:
        os.close(fd)


def email_problem(value: str) -> str | None:
    """Why ``value`` is not a plain address ``local@domain.tld`` (Polish), or None if it is.

    The one address parser of terminarz: ``check`` (people, inputs, ``[smtp] sender``)
    and the mail code (every ``From``, ``To`` and ``Cc``) both use it, so an address that
    passes ``check`` is one the mail code accepts. Only ASCII dot-atom local parts:
    no quoted strings (``"a>b"@example.org``), no control characters.
    """
    if "\n" in value or "\r" in value:
        return "adres e-mail nie może zawierać znaku końca wiersza"
    if (bad := control_character(value)) is not None:
        return f"adres e-mail nie może zawierać znaku sterującego (U+{ord(bad):04X})"
    if not value.isascii():
        return (f"„{value}” nie jest adresem e-mail ze znaków ASCII (domenę z polskimi "
                "literami wpisz w postaci xn--…)")  # fmt: skip
    if len(value) > 254:
        return f"adres e-mail jest zbyt długi ({len(value)} znaków; najwyżej 254)"
    text = value.strip()
    if text != value or any(c.isspace() for c in text):
        return f"„{value}” nie jest adresem e-mail (zawiera spacje)"
    if text.count("@") != 1:
        return f"„{value}” nie jest adresem e-mail (oczekiwano postaci nazwa@domena.pl)"
    if text.index("@") <= 64 and re.fullmatch(_PLAIN_ADDRESS, text):
        # A dot-atom before "@" and dot-separated labels of letters, digits and hyphens
        # after it: every check below passes, and ``email.headerregistry`` (about 20 ms
        # to import on a command's start) is needed only for what does not look like this.
        return None
    from email.errors import HeaderParseError
    from email.headerregistry import Address

    try:
        address = Address(addr_spec=text)
    except (HeaderParseError, ValueError, IndexError, TypeError):
        return f"„{value}” nie jest adresem e-mail (oczekiwano postaci nazwa@domena.pl)"
    if not re.fullmatch(_DOT_ATOM, text.rpartition("@")[0]) or len(text.rpartition("@")[0]) > 64:
        return (f"„{value}” nie jest adresem e-mail (niedozwolone znaki przed „@”, np. "
                "cudzysłów, nawias ostry albo przecinek)")  # fmt: skip
    domain = address.domain
    if not address.username or "." not in domain or domain.startswith(".") or domain.endswith("."):
        return f"„{value}” nie jest adresem e-mail (domena musi zawierać kropkę, np. example.org)"
    if any(not (part and re.fullmatch(r"[A-Za-z0-9-]+", part)) for part in domain.split(".")):
        return f"„{value}” nie jest adresem e-mail (niepoprawna domena „{domain}”)"
    return None


def split_mailbox(value: str) -> tuple[str, str]:
    """(display name, address) of ``Name <local@domain>`` or ``local@domain``.

    Raises ``ValueError`` with a Polish message when ``value`` is not exactly one such
    mailbox (control characters, several addresses, an address :func:`email_problem`
    refuses). Used for ``[smtp] sender`` by ``check`` and by the mail code alike.
    """
    if (bad := control_character(value)) is not None:
        raise ValueError(f"nadawca nie może zawierać znaku sterującego (U+{ord(bad):04X})")
    if email_problem(value) is None:  # a bare address, what getaddresses gives for it
        return "", value
    from email.utils import getaddresses

    pairs = getaddresses([value])
    if len(pairs) != 1 or not pairs[0][1]:
        raise ValueError(f"„{value}” nie jest jednym adresem nadawcy (np. Terminarz "
                         "<terminarz@example.org>)")  # fmt: skip
    name, address = pairs[0]
    problem = email_problem(address)
    if problem is not None:
        raise ValueError(problem)
    return name, address


_DOT_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_PLAIN_ADDRESS = _DOT_ATOM + r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"


_CONTROL = "[\x00-\x1f\x7f-\x9f\u2028\u2029]"


def control_character(text: str) -> str | None:
    """The first control character of ``text`` (C0 including TAB, CR, LF, DEL, C1, and
    the Unicode line and paragraph separators), or None. Such characters have no place
    in a one-line value — a name, an address, a path — and could change a mail header."""
    m = re.search(_CONTROL, text)
    return m.group(0) if m else None


def _printable_path(path: Path) -> Path:
    return Path(str(path).replace("\0", "\\0"))


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Parse ``path``; raise :class:`TerminarzError` naming the file and line on failure."""
    return parse_toml(path, read_limited(path, MAX_FILE_BYTES))


def parse_toml(path: Path, raw: bytes) -> tuple[dict[str, Any], str]:
    """Parse ``raw``, the bytes read from ``path``, as :func:`read_toml` does (``tomllib`` is
    imported here: a command served by the compiled catalogues never parses TOML)."""
    import tomllib

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TerminarzError(
            "plik nie jest zapisany w kodowaniu UTF-8 (niepoprawny bajt "
            f"0x{raw[exc.start]:02x}); zapisz go jako UTF-8",
            path=path,
            line=line,
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(_TOML_LINE, str(exc))
        line = int(m.group(1)) if m else max(len(text.splitlines()), 1)  # "at end of document"
        raise TerminarzError(
            f"błąd składni TOML: {toml_error_in_polish(str(exc))}", path=path, line=line
        ) from None
    except RecursionError:
        raise TerminarzError("błąd składni TOML: zbyt głębokie zagnieżdżenie", path=path) from None
    return data, text


# tomllib's messages (CPython 3.11–3.13), longest prefixes first where they overlap.
_TOML_MESSAGES = (
    ("Cannot declare", "klucz lub sekcja zadeklarowana dwa razy"),
    ("Cannot mutate immutable namespace", "nie można zmieniać tabeli zapisanej w jednej linii"),
    ("Cannot overwrite a value", "wartość tego klucza została już podana"),
    ("Cannot redefine namespace", "nie można ponownie zdefiniować sekcji"),
    ("Duplicate inline table key", "klucz powtórzony w tabeli w jednej linii"),
    ("Escaped character is not a Unicode scalar value", "niepoprawny znak Unicode w sekwencji \\u"),
    ("Expected '=' after a key", "po kluczu brakuje znaku „=”"),
    ("Expected ']' at the end of a table", "brak „]” na końcu nagłówka sekcji"),
    ("Expected ']]' at the end of an array", "brak „]]” na końcu nagłówka listy wpisów"),
    ("Expected", "nieoczekiwany znak"),
    ("Found invalid character", "niepoprawny znak"),
    ("Illegal character", "niedozwolony znak (np. koniec wiersza wewnątrz tekstu w cudzysłowie)"),
    ("Invalid date or datetime", "niepoprawna data"),
    ("Invalid hex value", "niepoprawna wartość szesnastkowa"),
    ("Invalid initial character for a key part", "niepoprawny początek klucza"),
    ("Invalid statement", "niepoprawny wiersz (oczekiwano: klucz = wartość albo [sekcja])"),
    ("Invalid value", "niepoprawna wartość (tekst trzeba ująć w cudzysłów)"),
    ("Unclosed array", "niezamknięta lista — brak „]”"),
    ("Unclosed inline table", "niezamknięta tabela — brak „}”"),
    ("Unescaped '\\' in a string", "w tekście ukośnik „\\” trzeba zapisać jako „\\\\”"),
    ("Unterminated string", "niezamknięty tekst — brak cudzysłowu zamykającego"),
)
_TOML_POSITION = r"\s*\(at line (\d+), column (\d+)\)|\s*\(at end of document\)"


def toml_error_in_polish(message: str) -> str:
    """tomllib's English message in Polish, with the column; the original kept in brackets."""
    position = re.search(_TOML_POSITION, message)
    bare = re.sub(_TOML_POSITION, "", message).strip()
    where = ""
    if position and position.group(2):
        where = f" (kolumna {position.group(2)})"
    elif position:
        where = " (na końcu pliku)"
    for english, polish in _TOML_MESSAGES:
        if bare.startswith(english):
            return f"{polish}{where} [{bare}]"
    return f"{bare}{where}"


class LineIndex:
    """Finds the line of ``[table]``, of the i-th ``[[array]]`` entry and of a key in it."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        self._headers: list[tuple[int, str, bool]] = []  # (line number, name, is array)
        for number, line in enumerate(self._lines, start=1):
            m = re.match(_HEADER, line)
            if m and not line.lstrip().startswith("#"):
                self._headers.append((number, m.group(1).strip('"'), line.lstrip()[:2] == "[["))

    def table(self, name: str, index: int | None = None) -> int | None:
        """Line of ``[name]`` or of the ``index``-th ``[[name]]`` (0-based)."""
        seen = 0
        for number, header, is_array in self._headers:
            if header != name:
                continue
            if index is None and not is_array:
                return number
            if index is not None and is_array:
                if seen == index:
                    return number
                seen += 1
        return None

    def key(self, table: str | None, index: int | None, key: str) -> int | None:
        """Line of ``key = …`` inside a table entry (top level for ``table=None``).

        Falls back to the entry's header line when the key is not written there; at
        top level, to the ``[key]`` or first ``[[key]]`` header that defines it.
        """
        start = 0 if table is None else self.table(table, index)
        if start is None:
            return None
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for number in range(start + 1, len(self._lines) + 1):
            line = self._lines[number - 1]
            if re.match(_HEADER, line):
                break
            if pattern.match(line):
                return number
        if table is None:
            return self.table(key) or self.table(key, 0)
        return start or None


class Checker:
    """Collects problems for one file; the ``get_*`` helpers return None on a wrong value."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = LineIndex(text)
        self.problems: list[Problem] = []

    def add(
        self,
        message: str,
        *,
        table: str | None = None,
        index: int | None = None,
        entry: str | None = None,
        field: str | None = None,
        severity: Severity = Severity.ERROR,
        line: int | None = None,
    ) -> None:
        if line is None:
            if field is not None:
                line = self.lines.key(table, index, field.split(".")[0])
            elif table is not None:
                line = self.lines.table(table, index)
        self.problems.append(
            Problem(
                message=message, path=self.path, line=line, entry=entry, field=field,
                severity=severity,
            )
        )  # fmt: skip

    @property
    def has_errors(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.problems)

    def unknown_keys(
        self,
        data: Mapping[str, Any],
        allowed: Iterable[str],
        *,
        table: str | None = None,
        index: int | None = None,
        entry: str | None = None,
        prefix: str = "",
    ) -> None:
        known = set(allowed)
        for key in data:
            if key not in known:
                hint = ", ".join(sorted(known))
                self.add(
                    f"nieznany klucz „{prefix}{key}” (dozwolone: {hint})",
                    table=table, index=index, entry=entry, field=f"{prefix}{key}",
                )  # fmt: skip

    def table(self, data: Mapping[str, Any], key: str, *, required: bool = False) -> dict[str, Any]:
        value = data.get(key)
        if value is None:
            if required:
                self.add(f"brak wymaganej sekcji [{key}]")
            return {}
        if not isinstance(value, dict):
            self.add(f"„{key}” musi być sekcją [{key}]", field=key)
            return {}
        return value

    def array_of_tables(self, data: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.add(f"„{key}” musi być listą wpisów [[{key}]]", field=key)
            return []
        return value

    def string(
        self,
        data: Mapping[str, Any],
        key: str,
        *,
        required: bool = False,
        where: Where,
        single_line: bool = False,
        max_length: int = 10_000,
    ) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.add(f"brak wymaganego pola „{key}”", **where.at(key))
            return None
        if not isinstance(value, str):
            self.add(f"„{key}” musi być tekstem, a jest: {describe(value)}", **where.at(key))
            return None
        if required and not value.strip():
            self.add(f"„{key}” nie może być puste", **where.at(key))
            return None
        if single_line and ("\n" in value or "\r" in value):
            self.add(f"„{key}” nie może zawierać znaku końca wiersza", **where.at(key))
            return None
        if single_line and (bad := control_character(value)) is not None:
            self.add(f"„{key}” zawiera niedozwolony znak sterujący (U+{ord(bad):04X}); usuń go",
                     **where.at(key))  # fmt: skip
            return None
        if len(value) > max_length:
            self.add(f"„{key}” jest zbyt długie ({len(value)} znaków)", **where.at(key))
            return None
        return value

    def integer(
        self,
        data: Mapping[str, Any],
        key: str,
        *,
        where: Where,
        low: int,
        high: int,
        required: bool = False,
    ) -> int | None:
        value = data.get(key)
        if value is None:
            if required:
                self.add(f"brak wymaganego pola „{key}”", **where.at(key))
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(
                f"„{key}” musi być liczbą całkowitą, a jest: {describe(value)}", **where.at(key)
            )
            return None
        if not low <= value <= high:
            self.add(f"„{key}” musi być liczbą od {low} do {high}, a jest {value}", **where.at(key))
            return None
        return value

    def boolean(self, data: Mapping[str, Any], key: str, *, where: Where) -> bool | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.add(f"„{key}” musi mieć wartość true albo false", **where.at(key))
            return None
        return value

    def day(
        self, data: Mapping[str, Any], key: str, *, where: Where, required: bool = False
    ) -> date | None:
        """A date written as a TOML date (2026-01-31) or a string "2026-01-31"."""
        value = data.get(key)
        if value is None:
            if required:
                self.add(f"brak wymaganego pola „{key}”", **where.at(key))
            return None
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.add(
            f"„{key}” musi być datą w postaci RRRR-MM-DD, a jest: {describe(value)}",
            **where.at(key),
        )
        return None

    def string_list(
        self, data: Mapping[str, Any], key: str, *, where: Where, required: bool = False
    ) -> list[str] | None:
        value = data.get(key)
        if value is None:
            if required:
                self.add(f"brak wymaganego pola „{key}”", **where.at(key))
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(f"„{key}” musi być listą tekstów, np. [\"a\", \"b\"]", **where.at(key))
            return None
        return list(value)


class Where:
    """Where in the file a group of values sits: a table entry and its id."""

    def __init__(self, table: str | None, index: int | None = None, entry: str | None = None):
        self.table = table
        self.index = index
        self.entry = entry

    def at(self, field: str) -> dict[str, Any]:
        return {"table": self.table, "index": self.index, "entry": self.entry, "field": field}


def describe(value: object) -> str:
    """A short Polish description of a wrong value for error messages."""
    if isinstance(value, bool):
        return "wartość logiczna"
    if isinstance(value, int):
        return f"liczba {value}"
    if isinstance(value, float):
        return f"liczba {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "…"
        return f"tekst „{shown}”"
    if isinstance(value, list):
        return "lista"
    if isinstance(value, dict):
        return "sekcja"
    if isinstance(value, date):
        return f"data {value}"
    return type(value).__name__

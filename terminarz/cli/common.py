"""What every command shares: the Polish argument parser, shared options, the context.

Only the CLI reads the clock (in Europe/Warsaw) and the terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from terminarz.errors import UsageError
from terminarz.law.catalogue import CatalogueSet, load_catalogues
from terminarz.law.holidays_pl import default_source
from terminarz.law.periods import Period, PeriodKind
from terminarz.law.workdays import WorkingCalendar
from terminarz.paths import bundled_catalogues, holiday_table_path
from terminarz.polish import month_text, parse_date
from terminarz.records import Record

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any, NoReturn, TextIO

    from terminarz.org.organisation import Organisation
    from terminarz.org.plan import Setup
    from terminarz.store import Location
    from terminarz.store.base import Confirmation, Store

TIMEZONE = "Europe/Warsaw"
EXIT_USAGE = 2

_TRANSLATIONS = (
    ("the following arguments are required", "brakuje wymaganych argumentów"),
    ("unrecognized arguments", "nieznane argumenty"),
    ("invalid choice", "niepoprawna wartość"),
    ("choose from", "do wyboru"),
    ("expected one argument", "oczekiwano jednej wartości"),
    ("not allowed with argument", "nie można łączyć z argumentem"),
    ("ambiguous option", "niejednoznaczna opcja"),
    ("could match", "pasuje do"),
    ("invalid int value", "niepoprawna liczba całkowita"),
    ("invalid float value", "niepoprawna liczba"),
    ("invalid Path value", "niepoprawna ścieżka"),
    ("invalid", "niepoprawna wartość"),
)


def terminal_columns() -> int:
    """The terminal's width as :func:`shutil.get_terminal_size` gives it (``COLUMNS``, else
    the terminal of standard output, else 80), without importing ``shutil`` (with ``bz2``
    and ``lzma``) on every start: argparse asks for it with each option it adds."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class PolishHelpFormatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:  # fmt: skip
        super().__init__(prog, indent_increment, max_help_position,
                         terminal_columns() - 2 if width is None else width)  # fmt: skip

    def add_usage(
        self,
        usage: str | None,
        actions: Any,
        groups: Any,
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, "użycie: " if prefix is None else prefix)


class PolishParser(argparse.ArgumentParser):
    """``argparse`` speaking Polish: usage, headings and its own error messages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", PolishHelpFormatter)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "argumenty"
        self._optionals.title = "opcje"
        self.add_argument("-h", "--help", action="help",
                          help="wyświetla tę pomoc i kończy działanie")

    def error(self, message: str) -> NoReturn:
        for english, polish in _TRANSLATIONS:
            message = message.replace(english, polish)
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: błąd: {message}\n")


# -- values given on the command line -------------------------------------------------


FIRST_YEAR, LAST_YEAR = 1900, 2199
"""Dates given on the command line must fall in these years (the arithmetic around them —
a month back, two years ahead — stays far from the limits of ``datetime.date``)."""


def parse_day(text: str, *, option: str = "--today") -> date:
    """A date given as ``30.11.2026`` or ``2026-11-30`` (:func:`terminarz.polish.parse_date`)."""
    day = parse_date(text)
    if day is None:
        raise UsageError(
            f"{option}: „{text}” nie jest datą; należy ją podać jako DD.MM.RRRR albo "
            "RRRR-MM-DD, np. 30.11.2026 lub 2026-11-30"
        )
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise UsageError(
            f"{option}: data {day.isoformat()} jest poza obsługiwanym zakresem "
            f"(lata {FIRST_YEAR}–{LAST_YEAR})"
        )
    return day


def parse_month(text: str, *, option: str = "--month") -> Period:
    """A month given as ``11.2026`` or ``2026-11``."""
    given = month_text(text)
    try:
        period = Period.parse(given) if given is not None else None
    except ValueError:
        period = None
    if period is None or period.kind is not PeriodKind.MONTH:
        raise UsageError(
            f"{option}: „{text}” nie jest miesiącem; należy go podać jako MM.RRRR albo RRRR-MM, "
            "np. 11.2026 lub 2026-11"
        )
    if not FIRST_YEAR <= period.year <= LAST_YEAR:
        raise UsageError(
            f"{option}: miesiąc {text} jest poza obsługiwanym zakresem "
            f"(lata {FIRST_YEAR}–{LAST_YEAR})"
        )
    return period


def warsaw_today() -> date:
    """Today's date in Europe/Warsaw — the one place the CLI reads the clock.

    Read through the C library's time-zone database (the system's, the one ``zoneinfo``
    reads first too), which costs nothing to load; ``zoneinfo`` (with ``sysconfig``, about
    3 ms at every start) only where the C library has no such zone."""
    day = _c_library_today()
    if day is not None:
        return day
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(TIMEZONE)).date()


def _c_library_today() -> date | None:
    """Today's date in Europe/Warsaw by ``time.localtime`` with ``TZ`` set for the call and
    restored after it; None when the C library does not know the zone (it then silently
    counts from UTC under another name: only CET/CEST is Warsaw's)."""
    import time

    saved = os.environ.get("TZ")
    os.environ["TZ"] = TIMEZONE
    try:
        time.tzset()
        if tuple(time.tzname) != ("CET", "CEST"):
            return None
        now = time.localtime()
        return date(now.tm_year, now.tm_mon, now.tm_mday)
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


# -- shared options ---------------------------------------------------------------------


def add_today(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--today",
        metavar="DATA",
        help="dzień, który uznać za dzisiejszy: DD.MM.RRRR albo RRRR-MM-DD (domyślnie "
        "dzisiejsza data w Europe/Warsaw)",
    )


def catalogue_path(text: str) -> Path:
    """``--catalogue``: a bundled name (``mpips-1992``) or a path to a file."""
    from terminarz.paths import calendars_dir

    if text.endswith(".toml") or "/" in text or "\\" in text:
        return Path(text).expanduser()
    return calendars_dir() / f"{text}.toml"


def add_catalogue(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalogue",
        metavar="KATALOG",
        action="append",
        type=catalogue_path,
        help="katalog obowiązków: nazwa wbudowanego (np. mpips-1992) albo ścieżka pliku; można "
        "podać kilka razy (domyślnie katalogi wbudowane aktów obowiązujących w pytanym okresie)",
    )


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", metavar="PLIK", type=Path,
        help="plik organizacji (domyślnie zmienna TERMINARZ_CONFIG, potem ./terminarz.toml; "
        "bez niego — same katalogi wbudowane)",
    )  # fmt: skip


def find_config(given: Path | None) -> Path | None:
    """``--config``, then ``$TERMINARZ_CONFIG``, then ``./terminarz.toml`` if it exists."""
    if given is not None:
        return given
    env = os.environ.get("TERMINARZ_CONFIG")
    if env:
        return Path(env)
    local = Path("terminarz.toml")
    return local if local.is_file() else None


def add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=("table", "json"), default="table",
        help="postać wyniku: table (tabela, domyślnie) albo json",
    )  # fmt: skip


# -- the context a command works in ---------------------------------------------------------


class Context:
    """The parsed arguments plus everything loaded on demand from them."""

    def __init__(self, *, args: argparse.Namespace, out: TextIO | None = None) -> None:
        self.args = args
        self.out: TextIO = sys.stdout if out is None else out
        self._catalogues: CatalogueSet | None = None
        self._calendar: WorkingCalendar | None = None
        self._setup: Setup | None = None
        self._today: date | None = None

    @property
    def today(self) -> date:
        """``--today``, else the day in Warsaw when first asked: one day for the whole run,
        even one that goes past midnight."""
        if self._today is None:
            given = getattr(self.args, "today", None)
            self._today = parse_day(given) if given else warsaw_today()
        return self._today

    def catalogue_paths(self) -> list[Path]:
        given = getattr(self.args, "catalogue", None)
        return list(given) if given else bundled_catalogues()

    @property
    def catalogues(self) -> CatalogueSet:
        """``--catalogue`` files; else, for a command taking ``--config`` with an organisation
        file in use, that file's catalogues; else the bundled ones."""
        if self._catalogues is None:
            given = getattr(self.args, "catalogue", None)
            if not given and hasattr(self.args, "config") and self.config is not None:
                self._catalogues = self.setup.catalogues
            else:
                self._catalogues = load_catalogues(self.catalogue_paths())
        return self._catalogues

    @property
    def calendar(self) -> WorkingCalendar:
        """The statutory working-day calendar."""
        if self._calendar is None:
            self._calendar = WorkingCalendar(default_source(holiday_table_path()))
        return self._calendar

    @property
    def config(self) -> Path | None:
        """The organisation file in use (see :func:`find_config`), or None."""
        return find_config(getattr(self.args, "config", None))

    @property
    def setup(self) -> Setup:
        """The organisation (if any), its catalogues and calendars, loaded once."""
        if self._setup is None:
            from terminarz.notify.absence_cache import AbsenceCache
            from terminarz.notify.remote import RemoteCatalogues
            from terminarz.org.plan import load_setup

            given = getattr(self.args, "catalogue", None)
            explicit = getattr(self.args, "state", None)
            cache = AbsenceCache(lambda org: organisation_location(explicit, org), _utc_now)
            remote = RemoteCatalogues(locate=lambda org: organisation_location(explicit, org),
                                      clock=_utc_now,
                                      refresh=bool(getattr(self.args, "refresh", False)))
            try:
                self._setup = load_setup(
                    self.config, catalogue_paths=list(given) if given else None,
                    today=self.today, statutory=self.calendar, absence_parse=cache.parse,
                    remote=remote,
                )  # fmt: skip
            finally:
                cache.close()
                remote.close()
            for line in remote.warnings:
                sys.stderr.write(f"terminarz: ostrzeżenie: {line}\n")
            for url in remote.fetched:
                sys.stderr.write(f"terminarz: pobrano nową wersję harmonogramu {url}\n")
            self._setup = with_store_records(self, self._setup)
            for warning in self._setup.warnings:
                sys.stderr.write(f"terminarz: {warning}\n")
        return self._setup

    @property
    def style(self) -> Style:
        return Style.for_stream(self.out)


# -- terminal output ------------------------------------------------------------------------


class Style(Record):
    """ANSI emphasis, off when ``NO_COLOR`` is set or the output is not a terminal."""

    enabled: bool

    @classmethod
    def for_stream(cls, stream: TextIO) -> Style:
        if os.environ.get("NO_COLOR") is not None and os.environ.get("NO_COLOR") != "":
            return cls(False)
        isatty = getattr(stream, "isatty", None)
        return cls(bool(isatty and isatty()) and os.environ.get("TERM") != "dumb")

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def red(self, text: str) -> str:
        return self._wrap("31", text)

    def yellow(self, text: str) -> str:
        return self._wrap("33", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> list[str]:
    """Left-aligned columns separated by two spaces; the header underlined with dashes."""
    widths = [len(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def dump_json(value: object, out: TextIO) -> None:
    """``value`` as JSON, built in memory and written at once (one write, whatever the
    buffering of ``out``: ``PYTHONUNBUFFERED=1`` costs nothing). A list is written one
    element per line, each compact — it is fast (the C encoder), and a line is one row for
    ``grep`` and ``diff``; anything else is indented. Only the content is the contract."""
    import json

    if isinstance(value, list):
        write_json_rows(list(map(json_encoder(), value)), out)
    else:
        out.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def write_json_rows(rows: Sequence[str], out: TextIO) -> None:
    """A JSON list whose elements are already encoded (``rows``), one per line, at once."""
    out.write("".join(("[\n", ",\n".join(rows), "\n]\n")) if rows else "[]\n")


def write_json_rows_utf8(rows: Sequence[bytes], out: TextIO) -> None:
    """:func:`write_json_rows` for rows already in UTF-8: written as bytes to the stream's
    buffer when it writes UTF-8 (no text to encode: a century of rows is megabytes), else
    as text."""
    import codecs

    data = b"".join((b"[\n", b",\n".join(rows), b"\n]\n")) if rows else b"[]\n"
    buffer = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None)
    if buffer is not None and encoding and codecs.lookup(encoding).name == "utf-8":
        out.flush()
        buffer.write(data)
        buffer.flush()
    else:
        out.write(data.decode("utf-8"))


def json_encoder() -> Callable[[object], str]:
    """Compact JSON of one value, ``ensure_ascii=False``. One C encoder serves every element
    of a list: ``JSONEncoder.encode`` would build a new one per element, costing as much as
    the encoding itself for small objects."""
    import json
    from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]

    if c_make_encoder is None:  # an interpreter without the C accelerator
        return json.JSONEncoder(ensure_ascii=False).encode

    def unknown(value: object) -> object:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    encoder = c_make_encoder(None, unknown, encode_basestring, None, ": ", ", ", False, False,
                             True)  # fmt: skip
    join = "".join
    return lambda value: join(encoder(value, 0))


def json_string() -> Callable[[str], str]:
    """A string as JSON text (``ensure_ascii=False``): ``json``'s own C function, which its
    encoder uses for every string."""
    from json.encoder import encode_basestring

    return encode_basestring


def store_location(ctx: Context | None, setup: Setup | None) -> Location:
    """Which store this command uses: ``--state`` > ``TERMINARZ_STATE_URL`` > ``[state] url``
    > ``[state] path`` > the user's data directory (:func:`terminarz.store.locate`)."""
    from terminarz.store import locate

    organisation = setup.organisation if setup is not None else None
    explicit = getattr(ctx.args, "state", None) if ctx is not None else None
    if organisation is None:
        return locate(explicit=explicit, environ=os.environ)
    return organisation_location(explicit, organisation)


def organisation_location(explicit: str | None, organisation: Organisation) -> Location:
    """The store of ``organisation`` by the one rule (``explicit`` is ``--state``)."""
    from terminarz.store import locate

    state = organisation.settings.state
    return locate(explicit=explicit, environ=os.environ, url=state.url, path=state.path,
                  config=organisation.path)  # fmt: skip


def _utc_now() -> datetime:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def organisation_id(setup: Setup | None) -> str:
    """The organisation every stored row is keyed by ("" without an organisation file)."""
    organisation = setup.organisation if setup is not None else None
    return organisation.id if organisation is not None else ""


def open_store(ctx: Context | None, setup: Setup | None, *, threads: bool = False) -> Store:
    """The store of this command (see :func:`store_location`), opened for the organisation."""
    from terminarz.store import open_store as open_location

    return open_location(store_location(ctx, setup), organisation_id(setup), threads=threads)


def read_confirmations(ctx: Context | None, setup: Setup | None) -> dict[str, Confirmation]:
    """The confirmations of the command's store; {} when there is no store yet (it is not
    created just to be read, and then nothing of the database layer is imported)."""
    from terminarz.store import exists

    location = store_location(ctx, setup)
    if not exists(location):
        return {}
    with open_store(ctx, setup) as store:
        return store.confirmations()


def add_orgs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--orgs", metavar="KATALOG|PLIK", type=Path,
        help="wiele instytucji w jednym wdrożeniu: katalog z plikami organizacji (*.toml) "
        "albo plik z listą ścieżek (po jednej w wierszu, # zaczyna komentarz)",
    )  # fmt: skip


def organisation_files(source: Path) -> list[Path]:
    """The organisation files of ``--orgs``: a folder's ``*.toml`` (sorted), or the paths
    listed in a file (relative to it). A Polish error when there are none or one is missing."""
    if source.is_dir():
        found = sorted(p for p in source.glob("*.toml") if p.is_file())
        if not found:
            raise UsageError(f"--orgs: w katalogu {source} nie ma plików organizacji (*.toml)")
        return found
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--orgs: nie można odczytać {source}: {exc}") from None
    files: list[Path] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        path = Path(entry).expanduser()
        path = path if path.is_absolute() else source.parent / path
        if not path.is_file():
            raise UsageError(f"{source}({number}): nie ma pliku organizacji {path}")
        files.append(path)
    if not files:
        raise UsageError(f"--orgs: lista {source} nie wymienia żadnego pliku organizacji")
    return files


def with_store_records(ctx: Context, setup: Setup) -> Setup:
    """``setup`` with what people recorded through the pages (kept in the store): absences,
    designations, announced dates; unchanged when there is no store yet (none is created
    to be read)."""
    from terminarz.store import exists

    if setup.organisation is None or not exists(store_location(ctx, setup)):
        return setup
    from datetime import timedelta

    from terminarz.notify.recorded import recorded_setup

    with open_store(ctx, setup) as store:
        return recorded_setup(setup, store, since=ctx.today - timedelta(days=400))


def require_organisation(ctx: Context, command: str) -> Setup:
    """The setup of a command that needs an organisation file; a Polish error without one."""
    setup = ctx.setup
    if setup.organisation is None:
        raise UsageError(
            f"„terminarz {command}” potrzebuje pliku organizacji: należy podać --config PLIK, "
            "ustawić zmienną TERMINARZ_CONFIG albo umieścić terminarz.toml w bieżącym katalogu"
        )
    return setup


def require_person(ctx: Context, command: str) -> tuple[Setup, Organisation, str]:
    """The setup, its organisation and ``ctx.args.person``, which must be one of its people."""
    setup = require_organisation(ctx, command)
    organisation = setup.organisation
    assert organisation is not None
    person_id: str = ctx.args.person
    if organisation.person(person_id) is None:
        known = ", ".join(p.id for p in organisation.people) or "—"
        raise UsageError(f"nieznana osoba „{person_id}”; osoby w pliku organizacji: {known}")
    return setup, organisation, person_id

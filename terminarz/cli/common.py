"""What every command shares: the Polish argument parser, shared options, the context.

Only the CLI reads the clock (in Europe/Warsaw) and the terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from terminarz.errors import UsageError
from terminarz.law.catalogue import CatalogueSet, load_catalogues
from terminarz.law.holidays_pl import default_source
from terminarz.law.periods import Period, PeriodKind
from terminarz.law.workdays import WorkingCalendar
from terminarz.paths import bundled_catalogues, holiday_table_path

if TYPE_CHECKING:
    from terminarz.org.plan import Setup
    from terminarz.settings import Settings

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


class PolishHelpFormatter(argparse.RawDescriptionHelpFormatter):
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
        self.add_argument("-h", "--help", action="help", help="pokaż tę pomoc i zakończ")

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
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{option}: „{text}” nie jest datą; podaj ją w postaci RRRR-MM-DD, np. 2026-02-02"
        ) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise UsageError(
            f"{option}: data {day.isoformat()} jest poza obsługiwanym zakresem "
            f"(lata {FIRST_YEAR}–{LAST_YEAR})"
        )
    return day


def parse_month(text: str, *, option: str = "--month") -> Period:
    try:
        period = Period.parse(text)
    except ValueError:
        period = None
    if period is None or period.kind is not PeriodKind.MONTH:
        raise UsageError(
            f"{option}: „{text}” nie jest miesiącem; podaj go jako RRRR-MM, np. 2026-01"
        )
    if not FIRST_YEAR <= period.year <= LAST_YEAR:
        raise UsageError(
            f"{option}: miesiąc {text} jest poza obsługiwanym zakresem "
            f"(lata {FIRST_YEAR}–{LAST_YEAR})"
        )
    return period


def warsaw_today() -> date:
    """Today's date in Europe/Warsaw — the one place the CLI reads the clock."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(TIMEZONE)).date()


# -- shared options ---------------------------------------------------------------------


def add_today(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--today",
        metavar="RRRR-MM-DD",
        help="dzień, który uznać za dzisiejszy (domyślnie dzisiejsza data w Europe/Warsaw)",
    )


def add_catalogue(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalogue",
        metavar="PLIK",
        action="append",
        type=Path,
        help="plik katalogu obowiązków (można podać kilka razy; domyślnie katalogi wbudowane)",
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


@dataclass(kw_only=True)
class Context:
    """The parsed arguments plus everything loaded on demand from them."""

    args: argparse.Namespace
    out: TextIO = field(default_factory=lambda: sys.stdout)
    _catalogues: CatalogueSet | None = None
    _calendar: WorkingCalendar | None = None
    _setup: Setup | None = None

    @property
    def today(self) -> date:
        given = getattr(self.args, "today", None)
        return parse_day(given) if given else warsaw_today()

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
            from terminarz.org.plan import load_setup

            given = getattr(self.args, "catalogue", None)
            self._setup = load_setup(
                self.config, catalogue_paths=list(given) if given else None,
                today=self.today, statutory=self.calendar,
            )  # fmt: skip
            for warning in self._setup.warnings:
                sys.stderr.write(f"terminarz: {warning}\n")
        return self._setup

    @property
    def style(self) -> Style:
        return Style.for_stream(self.out)


# -- terminal output ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Style:
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
    import json

    json.dump(value, out, ensure_ascii=False, indent=2)
    out.write("\n")


def settings_state_path(settings: Settings) -> Path:
    """``[state] path`` of the organisation's settings, else the user's data directory."""
    from terminarz.store.state import default_state_path

    return settings.state.path or default_state_path()


def state_path_of(setup: Setup) -> Path:
    """Where the state of ``setup``'s organisation is kept (without ``--state``)."""
    organisation = setup.organisation
    if organisation is None:
        from terminarz.store.state import default_state_path

        return default_state_path()
    return settings_state_path(organisation.settings)

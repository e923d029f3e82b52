"""Polish statutory public holidays (ustawa z dnia 18 stycznia 1951 r. o dniach wolnych od pracy).

The source of truth is the ``holidays`` library (country ``PL``), which carries
the law's history: Epiphany only from 2011, Christmas Eve from 2025, the one-off
12 November 2018. Importing it and building its table is slow for a command
started by cron many times a day, so ``calendars/holidays-pl.json`` holds the
same table generated from the installed library (``python -m
terminarz.law.holidays_pl --write``). The table is used only when it was generated
by the very version of ``holidays`` that is installed; otherwise the library is
asked directly. A test checks the table against the library year by year.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from typing import Protocol

FIRST_YEAR = 1990
LAST_YEAR = 2100


if TYPE_CHECKING:  # a protocol for the type checker only: no class to make at every start

    class HolidaySource(Protocol):
        """Anything that names the statutory holidays of a year (date → Polish name)."""

        def year(self, year: int) -> Mapping[date, str]: ...


class LibraryHolidays:
    """Holidays straight from the ``holidays`` library, built per year on first use."""

    def __init__(self) -> None:
        self._years: dict[int, dict[date, str]] = {}

    def year(self, year: int) -> Mapping[date, str]:
        cached = self._years.get(year)
        if cached is None:
            import holidays  # heavy: only when the generated table cannot be used

            table = holidays.country_holidays("PL", years=year, language="pl")
            cached = {day: str(name) for day, name in sorted(table.items())}
            self._years[year] = cached
        return cached


class TableHolidays:
    """Holidays read from a table generated from the library (see module docstring).

    Kept compact — each year's holidays as its ordinal days and their names, each name one
    shared string — and turned into a year's ``{date: name}`` the first time that year is
    asked for: a command about one month makes three or four years' dates, not the 1,400
    of 1990–2100. Compact, the compiled table unpickles a few hundred objects: the days as
    small integers, each of the few distinct names once (pickle refers to a string it has
    already read), not 1,500 (day, name) pairs with a name each."""

    def __init__(self, years: Mapping[int, tuple[tuple[int, ...], tuple[str, ...]]], *,
                 version: str) -> None:  # fmt: skip
        self._compact = years
        self._years: dict[int, Mapping[date, str]] = {}
        self.version = version

    def year(self, year: int) -> Mapping[date, str]:
        found = self._years.get(year)
        if found is None:
            days, names = self._compact.get(year, ((), ()))
            pairs = zip(days, names, strict=True)
            found = self._years[year] = {date.fromordinal(day): name for day, name in pairs}
        return found

    @classmethod
    def load(cls, path: Path) -> TableHolidays:
        """The table at ``path``; the bundled one through the compiled cache (see
        :mod:`terminarz.law.compiled`), like the catalogues beside it."""
        from terminarz.law import compiled

        data = path.read_bytes()
        stat = os.stat(path)
        kept = compiled.read(path, data, stat, compiled.code_version())
        if kept is not None:
            years, version = kept
            return cls(years, version=version)
        import json  # only when the compiled table cannot be used

        raw = json.loads(data.decode("utf-8"))
        shared: dict[str, str] = {}  # one string object per distinct name
        years = {
            int(y): (tuple(date.fromisoformat(d).toordinal() for d in days),
                     tuple(shared.setdefault(n, n) for n in days.values()))
            for y, days in raw["years"].items()
        }  # fmt: skip
        compiled.write(path, data, stat, compiled.code_version(),
                       (years, raw["holidays_version"]))  # fmt: skip
        return cls(years, version=raw["holidays_version"])


def holidays_installed(version: str) -> bool:
    """Whether ``holidays`` ``version`` is the one installed: its ``holidays-<version>.dist-info``
    folder lies beside the first ``holidays`` on ``sys.path``.

    Cheaper than ``importlib.metadata`` by tens of milliseconds, and than listing the
    folders of ``sys.path``: a ``stat`` of each until ``holidays`` is found, then one more.
    """
    for entry in sys.path:
        folder = entry or "."
        if os.path.exists(os.path.join(folder, "holidays")):
            return os.path.isdir(os.path.join(folder, f"holidays-{version}.dist-info"))
    return False


def table_version(path: Path) -> str | None:
    """The ``holidays`` version a generated table was made with (None when unreadable)."""
    try:
        with path.open(encoding="utf-8") as fh:
            head = fh.read(200)
    except OSError:
        return None
    marker = '"holidays_version": "'
    start = head.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return head[start : head.find('"', start)]


def default_source(table: Path | None) -> HolidaySource:
    """The generated table when it matches the installed library, else the library."""
    if table is not None and table.is_file():
        version = table_version(table)
        if version is not None and holidays_installed(version):
            return TableHolidays.load(table)
    return LibraryHolidays()


def generate_table(first: int = FIRST_YEAR, last: int = LAST_YEAR) -> str:
    """The JSON text of the table for ``first``..``last`` from the installed library."""
    import json
    from importlib.metadata import version

    lib = LibraryHolidays()
    years = {
        str(y): {d.isoformat(): n for d, n in lib.year(y).items()} for y in range(first, last + 1)
    }
    doc = {"holidays_version": version("holidays"), "country": "PL", "years": years}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m terminarz.law.holidays_pl --write [PATH]`` regenerates the table."""
    from terminarz.paths import holiday_table_path

    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "--write":
        print("użycie: python -m terminarz.law.holidays_pl --write [ŚCIEŻKA]", file=sys.stderr)
        return 2
    target = Path(args[1]) if len(args) > 1 else holiday_table_path()
    target.write_text(generate_table(), encoding="utf-8")
    print(f"zapisano {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

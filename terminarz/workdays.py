"""The Polish working-day calendar (dni robocze).

A working day is Monday to Friday and not a statutory public holiday. An
institution may add its own days off and extra working days; statutory
deadlines are always computed on the statutory calendar (without them), while
planning and reminders use the institution's.

Each year is computed once per calendar object as a sorted array of working-day
ordinals; every query is then a binary search, never a walk day by day.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from terminarz.errors import CalendarRangeError
from terminarz.holidays_pl import FIRST_YEAR, LAST_YEAR, HolidaySource
from terminarz.polish import WEEKDAYS


class DayKind(StrEnum):
    WORKING = "working"
    SATURDAY = "saturday"
    SUNDAY = "sunday"
    HOLIDAY = "holiday"
    DAY_OFF = "day-off"  # the institution's own day off


@dataclass(frozen=True, slots=True, kw_only=True)
class DayInfo:
    """Why a day is, or is not, a working day."""

    day: date
    kind: DayKind
    holiday: str | None = None
    day_off: str | None = None

    @property
    def working(self) -> bool:
        return self.kind is DayKind.WORKING

    def reason(self) -> str:
        """Polish reason: ``sobota``, ``święto: Nowy Rok``, ``niedziela i święto: …``."""
        weekend = self.day.weekday() >= 5
        if self.holiday:
            if weekend:
                return f"{WEEKDAYS[self.day.weekday()]} i święto: {self.holiday}"
            return f"święto: {self.holiday}"
        if self.day_off is not None:
            return f"dzień wolny w instytucji: {self.day_off}"
        if weekend:
            return WEEKDAYS[self.day.weekday()]
        return "dzień roboczy"


class WorkingCalendar:
    """Working days for the years 1990–2100; outside them every query raises.

    ``days_off`` (date → reason) and ``working_days`` are the institution's own
    changes; a calendar built without them is the statutory one.
    """

    first_year = FIRST_YEAR
    last_year = LAST_YEAR

    def __init__(
        self,
        holidays: HolidaySource,
        *,
        days_off: Mapping[date, str] | None = None,
        working_days: Iterable[date] = (),
    ) -> None:
        self._holidays = holidays
        self._days_off = dict(days_off or {})
        self._extra_working = frozenset(working_days)
        # year -> (sorted working-day ordinals, index of each month's first one; 13 entries)
        self._years: dict[int, tuple[list[int], list[int]]] = {}

    @property
    def holidays(self) -> HolidaySource:
        return self._holidays

    @property
    def is_statutory(self) -> bool:
        return not self._days_off and not self._extra_working

    def with_institution(
        self, *, days_off: Mapping[date, str], working_days: Iterable[date] = ()
    ) -> WorkingCalendar:
        """The same statutory holidays plus an institution's own days off and working days."""
        return WorkingCalendar(self._holidays, days_off=days_off, working_days=working_days)

    def statutory(self) -> WorkingCalendar:
        """This calendar without the institution's changes."""
        return self if self.is_statutory else WorkingCalendar(self._holidays)

    # -- single days -------------------------------------------------------------

    def _check_year(self, year: int) -> None:
        if not self.first_year <= year <= self.last_year:
            raise CalendarRangeError(
                f"kalendarz dni roboczych obejmuje lata {self.first_year}–{self.last_year}; "
                f"rok {year} jest poza tym zakresem"
            )

    def day_info(self, day: date) -> DayInfo:
        self._check_year(day.year)
        holiday = self._holidays.year(day.year).get(day)
        if day in self._extra_working and holiday is None:
            return DayInfo(day=day, kind=DayKind.WORKING)
        if holiday is not None:
            return DayInfo(day=day, kind=DayKind.HOLIDAY, holiday=holiday)
        if day in self._days_off:
            return DayInfo(day=day, kind=DayKind.DAY_OFF, day_off=self._days_off[day])
        weekday = day.weekday()
        if weekday == 5:
            return DayInfo(day=day, kind=DayKind.SATURDAY)
        if weekday == 6:
            return DayInfo(day=day, kind=DayKind.SUNDAY)
        return DayInfo(day=day, kind=DayKind.WORKING)

    def is_working_day(self, day: date) -> bool:
        days = self._year(day.year)
        i = bisect_left(days, day.toordinal())
        return i < len(days) and days[i] == day.toordinal()

    # -- per-year memo -------------------------------------------------------------

    def _year(self, year: int) -> list[int]:
        return self._memo(year)[0]

    def _memo(self, year: int) -> tuple[list[int], list[int]]:
        memo = self._years.get(year)
        if memo is None:
            self._check_year(year)
            holidays = {day.toordinal() for day in self._holidays.year(year)}
            start = date(year, 1, 1).toordinal()
            end = date(year, 12, 31).toordinal()
            # (ordinal + 6) % 7 is the weekday: ordinal 1 (1 January 1) was a Monday.
            if self.is_statutory:
                days = [o for o in range(start, end + 1) if (o + 6) % 7 < 5 and o not in holidays]
            else:
                off = {day.toordinal() for day in self._days_off}
                extra = {day.toordinal() for day in self._extra_working}
                days = [
                    o
                    for o in range(start, end + 1)
                    if o not in holidays and (o in extra or ((o + 6) % 7 < 5 and o not in off))
                ]
            starts = [bisect_left(days, date(year, m, 1).toordinal()) for m in range(1, 13)]
            memo = (days, [*starts, len(days)])
            self._years[year] = memo
        return memo

    # -- queries -----------------------------------------------------------------

    def month_working_days(self, year: int, month: int) -> list[date]:
        days, starts = self._memo(year)
        return [date.fromordinal(o) for o in days[starts[month - 1] : starts[month]]]

    def nth_working_day(self, year: int, month: int, n: int) -> date:
        """The n-th working day (n ≥ 1) of a month.

        Raises ``ValueError`` when the month has fewer than n working days (every
        month has at least 17, so this only happens for n > 17).
        """
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        days, starts = self._memo(year)
        i = starts[month - 1] + n - 1
        if i >= starts[month]:
            raise ValueError(f"{year}-{month:02d} has fewer than {n} working days")
        return date.fromordinal(days[i])

    def on_or_after(self, day: date) -> date:
        """``day`` if it is a working day, else the next working day (may be next year)."""
        year = day.year
        days = self._year(year)
        i = bisect_left(days, day.toordinal())
        while i >= len(days):
            year += 1
            days = self._year(year)
            i = 0
        return date.fromordinal(days[i])

    def on_or_before(self, day: date) -> date:
        """``day`` if it is a working day, else the previous working day (may be last year)."""
        year = day.year
        days = self._year(year)
        i = bisect_right(days, day.toordinal()) - 1
        while i < 0:
            year -= 1
            days = self._year(year)
            i = len(days) - 1
        return date.fromordinal(days[i])

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return self.on_or_after(day + timedelta(days=1))

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before ``day``."""
        return self.on_or_before(day - timedelta(days=1))

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (n > 0) or before it (n < 0); ``day`` for n = 0.

        ``day`` itself need not be a working day: ``add_working_days(saturday, 1)``
        is the following Monday (if that is a working day).
        """
        if n == 0:
            return day
        year = day.year
        days = self._year(year)
        if n > 0:
            i = bisect_right(days, day.toordinal()) + n - 1
            while i >= len(days):
                i -= len(days)
                year += 1
                days = self._year(year)
        else:
            i = bisect_left(days, day.toordinal()) + n
            while i < 0:
                year -= 1
                days = self._year(year)
                i += len(days)
        return date.fromordinal(days[i])

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in the closed range [start, end] (0 if end < start)."""
        if end < start:
            return 0
        total = 0
        for year in range(start.year, end.year + 1):
            days = self._year(year)
            lo = bisect_left(days, start.toordinal()) if year == start.year else 0
            hi = bisect_right(days, end.toordinal()) if year == end.year else len(days)
            total += hi - lo
        return total


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - timedelta(days=1)


def month_days(year: int, month: int) -> list[date]:
    """Every calendar day of a month."""
    first = date(year, month, 1)
    return [first + timedelta(days=i) for i in range(_month_end(year, month).day)]

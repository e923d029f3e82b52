"""The Polish working-day calendar (dni robocze).

A working day is Monday to Friday and not a statutory public holiday. An
institution may add its own days off and extra working days; statutory
deadlines are always computed on the statutory calendar (without them), while
planning and reminders use the institution's.

Each year is computed once per calendar object, as the sorted day numbers of
each month's working days; every query is then an index or a binary search,
never a walk day by day. :meth:`WorkingCalendar.nth_working_days` answers a
whole run of months in one call, for :func:`terminarz.law.rules.expand`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from enum import StrEnum
from itertools import accumulate, compress

from terminarz.errors import CalendarRangeError
from terminarz.law.holidays_pl import FIRST_YEAR, LAST_YEAR
from terminarz.polish import WEEKDAYS
from terminarz.records import Record

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from terminarz.law.holidays_pl import HolidaySource

# Monday to Sunday: 1 for the days of the week that are working days unless a holiday.
_WEEK = bytes((1, 1, 1, 1, 1, 0, 0))
# The day of the year (0-based) on which each month begins, and the year's length, in a
# common and in a leap year.
_MONTH_BOUNDS = tuple(
    tuple(accumulate((31, 28 + leap, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), initial=0))
    for leap in (0, 1)
)
# From 1 January to the first of each month, in a common and in a leap year.
_TO_MONTH = tuple(tuple(timedelta(days=d) for d in bounds[:12]) for bounds in _MONTH_BOUNDS)
_DAY_NUMBERS = range(1, 32)
# Day d of a month is its first day + _SINCE_FIRST[d]: adding a timedelta makes a date at
# about a third of the cost of date(year, month, d).
_SINCE_FIRST = (timedelta(0), *(timedelta(days=d - 1) for d in _DAY_NUMBERS))


class DayKind(StrEnum):
    WORKING = "working"
    SATURDAY = "saturday"
    SUNDAY = "sunday"
    HOLIDAY = "holiday"
    DAY_OFF = "day-off"  # the institution's own day off


class DayInfo(Record):
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
        # running month -> (its first day, its working days' numbers), a year at a time
        self._days = _WorkingDays(holidays, self._days_off, self._extra_working)

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

    def day_info(self, day: date) -> DayInfo:
        _check_year(day.year)
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
        _, days = self._days[_running_month(day)]
        i = bisect_left(days, day.day)
        return i < len(days) and days[i] == day.day

    # -- queries -----------------------------------------------------------------

    def _month(self, year: int, month: int) -> _Month:
        if not 1 <= month <= 12:
            raise ValueError(f"month must be 1–12, got {month}")
        return self._days[year * 12 + month - 1]

    def month_working_days(self, year: int, month: int) -> list[date]:
        first, days = self._month(year, month)
        return [first + _SINCE_FIRST[d] for d in days]

    def month_working_day_numbers(self, year: int, month: int) -> tuple[int, ...]:
        """The days of the month (1–31) that are working days, in order: what
        :meth:`month_working_days` gives, as numbers, without making a date for each."""
        return self._month(year, month)[1]

    def nth_working_day(self, year: int, month: int, n: int) -> date:
        """The n-th working day (n ≥ 1) of a month.

        Raises ``ValueError`` when the month has fewer than n working days (every
        month has at least 17, so this only happens for n > 17).
        """
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        first, days = self._month(year, month)
        if n > len(days):
            raise ValueError(f"{year}-{month:02d} has fewer than {n} working days")
        return first + _SINCE_FIRST[days[n - 1]]

    def nth_working_days(self, n: int, months: Sequence[int]) -> list[date]:
        """The n-th working day (n ≥ 1) of each month, for a whole run of months at once.

        ``months`` are running numbers, ``year * 12 + month - 1``; the result is
        in their order. Raises as :meth:`nth_working_day` does, and then returns
        nothing for any month: ``ValueError`` when some month has fewer than n
        working days, ``CalendarRangeError`` when some month lies outside
        1990–2100.
        """
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        by_month, i = self._days, n - 1
        try:
            return [
                first + _SINCE_FIRST[days[i]] for first, days in map(by_month.__getitem__, months)
            ]
        except IndexError:
            year, month = divmod(next(m for m in months if len(by_month[m][1]) < n), 12)
            raise ValueError(f"{year}-{month + 1:02d} has fewer than {n} working days") from None

    def on_or_after(self, day: date) -> date:
        """``day`` if it is a working day, else the next working day (may be next year)."""
        month = _running_month(day)
        first, days = self._days[month]
        i = bisect_left(days, day.day)
        if i < len(days) and days[i] == day.day:
            return day
        while i == len(days):  # after the month's last working day: a later month's first
            month += 1
            first, days = self._days[month]
            i = 0
        return first + _SINCE_FIRST[days[i]]

    def on_or_before(self, day: date) -> date:
        """``day`` if it is a working day, else the previous working day (may be last year)."""
        month = _running_month(day)
        first, days = self._days[month]
        i = bisect_right(days, day.day) - 1
        while i < 0:  # before the month's first working day: an earlier month's last
            month -= 1
            first, days = self._days[month]
            i = len(days) - 1
        return first + _SINCE_FIRST[days[i]]

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
        month = _running_month(day)
        first, days = self._days[month]
        if n > 0:
            i = bisect_right(days, day.day) + n - 1
            while i >= len(days):
                i -= len(days)
                month += 1
                first, days = self._days[month]
        else:
            i = bisect_left(days, day.day) + n
            while i < 0:
                month -= 1
                first, days = self._days[month]
                i += len(days)
        return first + _SINCE_FIRST[days[i]]

    def working_days_left(self, today: date, day: date) -> int:
        """Signed working days from ``today`` to ``day``, the way reminders count them: after
        today up to and including ``day`` (positive), 0 on it, and for a past ``day`` minus
        those after it up to and including today."""
        if day >= today:
            return self.working_days_between(today + timedelta(days=1), day)
        return -self.working_days_between(day + timedelta(days=1), today)

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in the closed range [start, end] (0 if end < start)."""
        if end < start:
            return 0
        first, last = _running_month(start), _running_month(end)
        total = sum(len(self._days[month][1]) for month in range(first, last + 1))
        _, days = self._days[first]
        total -= bisect_left(days, start.day)  # the month's working days before start
        _, days = self._days[last]
        return total - (len(days) - bisect_right(days, end.day))  # and those after end


# A month: its first day, and the day numbers (1–31) of its working days in order.
_Month = tuple[date, tuple[int, ...]]


class _WorkingDays(dict[int, _Month]):
    """Each month's working days, by running month (``year * 12 + month - 1``).

    Looking up a month for the first time computes its whole year; a year
    outside 1990–2100 raises ``CalendarRangeError``. Months with the same
    pattern of working days (most months without a holiday are alike: seven
    weekdays to start on, four lengths) share one tuple of day numbers.
    """

    def __init__(
        self, holidays: HolidaySource, days_off: Mapping[date, str], extra: frozenset[date]
    ) -> None:
        super().__init__()
        self._holidays = holidays
        self._days_off = days_off
        self._extra = extra
        self._patterns: dict[bytes, tuple[int, ...]] = {}  # a month's bytes -> its days

    def __missing__(self, month: int) -> _Month:
        year = month // 12
        _check_year(year)
        new_year = date(year, 1, 1)
        start = new_year.toordinal()
        # One byte per day of the year, 1 for a working day: Monday to Friday
        # ((ordinal + 6) % 7 is the weekday: ordinal 1, 1 January 1, was a Monday),
        # then the institution's days off and extra working days, then the statutory
        # holidays, which nothing overrides.
        weekday = (start + 6) % 7
        working = bytearray((_WEEK[weekday:] + _WEEK[:weekday]) * 53)
        for changes, value in (
            (self._days_off, 0),
            (self._extra, 1),
            (self._holidays.year(year), 0),
        ):
            for day in changes:
                if day.year == year:
                    working[day.toordinal() - start] = value
        mask = bytes(working)
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        bounds = _MONTH_BOUNDS[leap]
        for m in range(12):
            pattern = mask[bounds[m] : bounds[m + 1]]
            days = self._patterns.get(pattern)
            if days is None:
                days = self._patterns[pattern] = tuple(compress(_DAY_NUMBERS, pattern))
            self[year * 12 + m] = (new_year + _TO_MONTH[leap][m], days)
        return self[month]


def _running_month(day: date) -> int:
    return day.year * 12 + day.month - 1


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CalendarRangeError(
            f"kalendarz dni roboczych obejmuje lata {FIRST_YEAR}–{LAST_YEAR}; "
            f"rok {year} jest poza tym zakresem"
        )


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - timedelta(days=1)


def month_days(year: int, month: int) -> list[date]:
    """Every calendar day of a month."""
    first = date(year, month, 1)
    return [first + timedelta(days=i) for i in range(_month_end(year, month).day)]

"""The working-day calendar, checked against dates worked out by hand.

Every expectation below was counted on a printed calendar; the holidays come from
the ustawa o dniach wolnych od pracy and its history: Epiphany (6 Jan) is a
holiday only from 2011, Christmas Eve (24 Dec) from 2025, and 12 November 2018
was a one-off holiday for the centenary of independence. Easter Monday and
Corpus Christi (Easter + 60 days) move with Easter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from terminarz.errors import CalendarRangeError, TerminarzError
from terminarz.law.workdays import DayKind, WorkingCalendar, month_days

D = date

# -- nth_working_day ------------------------------------------------------------------------

NTH = [
    pytest.param(2026, 1, 1, D(2026, 1, 2), id="2026-01 1st: 1 Jan (Thu) New Year, so Fri 2 Jan"),
    pytest.param(2026, 1, 2, D(2026, 1, 5), id="2026-01 2nd: 3-4 Jan weekend, so Mon 5 Jan"),
    pytest.param(2026, 1, 3, D(2026, 1, 7), id="2026-01 3rd: Tue 6 Jan Epiphany skipped, Wed 7"),
    pytest.param(2010, 1, 3, D(2010, 1, 6), id="2010-01 3rd: 6 Jan (Wed) still a working day"),
    pytest.param(2011, 1, 4, D(2011, 1, 7), id="2011-01 4th: 6 Jan (Thu) Epiphany, first year"),
    pytest.param(1993, 1, 3, D(1993, 1, 6), id="1993-01 3rd: 1 Jan Fri, weekend, 4,5,6 Jan"),
    pytest.param(2021, 5, 1, D(2021, 5, 4), id="2021-05 1st: 1 May Sat, 2 Sun, 3 May Mon holiday"),
    pytest.param(2024, 5, 2, D(2024, 5, 6), id="2024-05 2nd: 1 May Wed, 2 Thu, 3 May Fri, weekend"),
    pytest.param(2024, 4, 1, D(2024, 4, 2), id="2024-04 1st: Mon 1 Apr Easter Monday"),
    pytest.param(2026, 4, 4, D(2026, 4, 7), id="2026-04 4th: 1-3 Apr, Mon 6 Apr Easter Monday"),
    pytest.param(2026, 6, 4, D(2026, 6, 5), id="2026-06 4th: Thu 4 Jun Corpus Christi"),
    pytest.param(2018, 11, 7, D(2018, 11, 13), id="2018-11 7th: 11 Nov Sun and one-off 12 Nov"),
    pytest.param(2017, 11, 7, D(2017, 11, 10), id="2017-11 7th: only 1 Nov (Wed) off"),
    pytest.param(2026, 2, 20, D(2026, 2, 27), id="2026-02 20th: last of 20 working days"),
]


@pytest.mark.parametrize(("year", "month", "n", "expected"), NTH)
def test_nth_working_day(calendar: WorkingCalendar, year: int, month: int, n: int, expected: date):
    assert calendar.nth_working_day(year, month, n) == expected


@pytest.mark.parametrize("n", [0, -1, 21], ids=["n=0", "n=-1", "n=21 beyond Feb 2026's 20"])
def test_nth_working_day_out_of_month(calendar: WorkingCalendar, n: int):
    with pytest.raises(ValueError):
        calendar.nth_working_day(2026, 2, n)


# -- on_or_after / on_or_before / next / previous ----------------------------------------------

ON_OR_AFTER = [
    pytest.param(D(2026, 1, 7), D(2026, 1, 7), id="working Wed stays"),
    pytest.param(D(2026, 1, 1), D(2026, 1, 2), id="New Year Thu -> Fri 2 Jan"),
    pytest.param(D(2026, 1, 3), D(2026, 1, 5), id="Sat -> Mon"),
    pytest.param(D(2011, 1, 6), D(2011, 1, 7), id="Epiphany 2011 Thu -> Fri"),
    pytest.param(D(2010, 1, 6), D(2010, 1, 6), id="6 Jan 2010 Wed was working"),
    pytest.param(D(2025, 12, 24), D(2025, 12, 29), id="24 Dec 2025 holiday, 25-26, weekend"),
    pytest.param(D(2024, 12, 24), D(2024, 12, 24), id="24 Dec 2024 Tue still working"),
    pytest.param(D(2022, 12, 31), D(2023, 1, 2), id="Sat 31 Dec 2022 -> Mon 2 Jan 2023"),
    pytest.param(D(2018, 11, 10), D(2018, 11, 13), id="Sat 10 Nov 2018 -> Tue 13 (11, 12 off)"),
]


@pytest.mark.parametrize(("day", "expected"), ON_OR_AFTER)
def test_on_or_after(calendar: WorkingCalendar, day: date, expected: date):
    assert calendar.on_or_after(day) == expected


ON_OR_BEFORE = [
    pytest.param(D(2026, 1, 7), D(2026, 1, 7), id="working Wed stays"),
    pytest.param(D(2026, 1, 1), D(2025, 12, 31), id="New Year -> Wed 31 Dec previous year"),
    pytest.param(D(2026, 1, 6), D(2026, 1, 5), id="Epiphany Tue -> Mon 5 Jan"),
    pytest.param(D(2011, 1, 2), D(2010, 12, 31), id="Sun 2 Jan 2011 -> Fri 31 Dec 2010"),
    pytest.param(D(2025, 12, 28), D(2025, 12, 23), id="Sun 28 Dec 2025 -> Tue 23 (24-26 off)"),
    pytest.param(D(2024, 12, 26), D(2024, 12, 24), id="26 Dec 2024 -> Tue 24 (working then)"),
    pytest.param(D(2026, 5, 3), D(2026, 4, 30), id="Sun 3 May 2026 -> Thu 30 Apr (1 May off)"),
]


@pytest.mark.parametrize(("day", "expected"), ON_OR_BEFORE)
def test_on_or_before(calendar: WorkingCalendar, day: date, expected: date):
    assert calendar.on_or_before(day) == expected


NEXT_PREVIOUS = [
    # day, next working day, previous working day
    pytest.param(D(2026, 1, 2), D(2026, 1, 5), D(2025, 12, 31), id="Fri 2 Jan 2026"),
    pytest.param(D(2026, 1, 7), D(2026, 1, 8), D(2026, 1, 5), id="Wed 7 Jan 2026 (Tue 6 off)"),
    pytest.param(D(2018, 11, 9), D(2018, 11, 13), D(2018, 11, 8), id="Fri 9 Nov 2018"),
    pytest.param(D(2025, 12, 23), D(2025, 12, 29), D(2025, 12, 22), id="Tue 23 Dec 2025"),
    pytest.param(D(2024, 12, 23), D(2024, 12, 24), D(2024, 12, 20), id="Mon 23 Dec 2024"),
    pytest.param(D(2024, 3, 29), D(2024, 4, 2), D(2024, 3, 28), id="Fri 29 Mar 2024 (Easter)"),
]


@pytest.mark.parametrize(("day", "nxt", "prev"), NEXT_PREVIOUS)
def test_next_and_previous_working_day(
    calendar: WorkingCalendar, day: date, nxt: date, prev: date
):
    assert calendar.next_working_day(day) == nxt
    assert calendar.previous_working_day(day) == prev


# -- add_working_days -------------------------------------------------------------------------

ADD = [
    pytest.param(D(2026, 1, 7), 0, D(2026, 1, 7), id="n=0 is the day itself"),
    pytest.param(D(2026, 1, 3), 0, D(2026, 1, 3), id="n=0 on a Saturday is still that Saturday"),
    pytest.param(D(2026, 1, 3), 1, D(2026, 1, 5), id="Sat +1 -> Mon"),
    pytest.param(D(2026, 1, 3), -1, D(2026, 1, 2), id="Sat -1 -> Fri"),
    pytest.param(D(2026, 1, 5), 1, D(2026, 1, 7), id="Mon 5 Jan +1 skips Epiphany"),
    pytest.param(D(2025, 12, 23), 1, D(2025, 12, 29), id="23 Dec 2025 +1 over 24-28 Dec"),
    pytest.param(D(2025, 12, 23), 3, D(2025, 12, 31), id="23 Dec 2025 +3 -> 31 Dec"),
    pytest.param(D(2025, 12, 23), 4, D(2026, 1, 2), id="23 Dec 2025 +4 across New Year"),
    pytest.param(D(2025, 12, 31), 2, D(2026, 1, 5), id="31 Dec 2025 +2 -> 2 Jan, 5 Jan"),
    pytest.param(D(2026, 1, 2), -1, D(2025, 12, 31), id="2 Jan 2026 -1 back over New Year"),
    pytest.param(D(2026, 1, 7), -3, D(2025, 12, 31), id="7 Jan 2026 -3: 5, 2 Jan, 31 Dec"),
    pytest.param(D(2024, 12, 23), 1, D(2024, 12, 24), id="23 Dec 2024 +1 -> 24 Dec (working)"),
    pytest.param(D(2010, 12, 31), 4, D(2011, 1, 7), id="31 Dec 2010 +4: 3,4,5 Jan, 7 Jan"),
    pytest.param(D(2018, 11, 9), 1, D(2018, 11, 13), id="Fri 9 Nov 2018 +1 over 10-12 Nov"),
]


@pytest.mark.parametrize(("day", "n", "expected"), ADD)
def test_add_working_days(calendar: WorkingCalendar, day: date, n: int, expected: date):
    assert calendar.add_working_days(day, n) == expected


def test_add_working_days_over_several_years(calendar: WorkingCalendar):
    # 31 Dec 2025 and 31 Dec 2026 (Wed, Thu) are both working days, so counting all of
    # 2026's working days forwards from the one lands on the other, and back again.
    per_year = calendar.working_days_between(D(2026, 1, 1), D(2026, 12, 31))
    assert calendar.add_working_days(D(2025, 12, 31), per_year) == D(2026, 12, 31)
    assert calendar.add_working_days(D(2026, 12, 31), -per_year) == D(2025, 12, 31)


# -- working_days_between / month_working_days ------------------------------------------------

BETWEEN = [
    pytest.param(D(2026, 1, 1), D(2026, 1, 31), 20, id="Jan 2026: 2, 5, 7-9, then 3 full weeks"),
    pytest.param(D(2010, 1, 1), D(2010, 1, 31), 20, id="Jan 2010: 4 full weeks from Mon 4 Jan"),
    pytest.param(D(2011, 1, 1), D(2011, 1, 31), 20, id="Jan 2011: 3-7 minus Epiphany, 3 weeks, 31"),
    pytest.param(D(2025, 12, 1), D(2026, 1, 31), 40, id="Dec 2025 + Jan 2026 across year end"),
    pytest.param(D(2026, 1, 3), D(2026, 1, 3), 0, id="a Saturday alone"),
    pytest.param(D(2026, 1, 7), D(2026, 1, 7), 1, id="a working day alone"),
    pytest.param(D(2026, 1, 7), D(2026, 1, 5), 0, id="end before start"),
    pytest.param(D(2024, 12, 23), D(2024, 12, 27), 3, id="23-27 Dec 2024: 23, 24, 27"),
    pytest.param(D(2025, 12, 22), D(2025, 12, 26), 2, id="22-26 Dec 2025: 22, 23 only"),
]


@pytest.mark.parametrize(("start", "end", "expected"), BETWEEN)
def test_working_days_between(calendar: WorkingCalendar, start: date, end: date, expected: int):
    assert calendar.working_days_between(start, end) == expected


def _weekdays(year: int, month: int, days: list[int]) -> list[date]:
    return [D(year, month, d) for d in days]


MONTHS = [
    pytest.param(
        2018, 11, [2, 5, 6, 7, 8, 9, 13, 14, 15, 16, 19, 20, 21, 22, 23, 26, 27, 28, 29, 30],
        id="Nov 2018: 1 Nov Thu, 11 Nov Sun, 12 Nov one-off",
    ),
    pytest.param(
        2024, 12, [2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 23, 24, 27, 30, 31],
        id="Dec 2024: 24 Dec still working",
    ),
    pytest.param(
        2025, 12, [1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 15, 16, 17, 18, 19, 22, 23, 29, 30, 31],
        id="Dec 2025: 24 Dec a holiday for the first time",
    ),
    pytest.param(
        2026, 5, [4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 18, 19, 20, 21, 22, 25, 26, 27, 28, 29],
        id="May 2026: 1 May Fri, 3 May Sun (no day in lieu)",
    ),
    pytest.param(
        2026, 6, [1, 2, 3, 5, 8, 9, 10, 11, 12, 15, 16, 17, 18, 19, 22, 23, 24, 25, 26, 29, 30],
        id="Jun 2026: Corpus Christi Thu 4 Jun",
    ),
]


@pytest.mark.parametrize(("year", "month", "days"), MONTHS)
def test_month_working_days(calendar: WorkingCalendar, year: int, month: int, days: list[int]):
    assert calendar.month_working_days(year, month) == _weekdays(year, month, days)


def test_month_days_lists_every_calendar_day():
    assert month_days(2024, 2)[-1] == D(2024, 2, 29)
    assert len(month_days(2026, 2)) == 28
    assert len(month_days(2026, 12)) == 31


# -- day_info: why a day is not a working day --------------------------------------------------

INFO = [
    pytest.param(D(2026, 1, 1), DayKind.HOLIDAY, "święto: Nowy Rok", id="New Year Thu"),
    pytest.param(D(2026, 1, 6), DayKind.HOLIDAY, "święto: Święto Trzech Króli", id="Epiphany 2026"),
    pytest.param(D(2010, 1, 6), DayKind.WORKING, "dzień roboczy", id="6 Jan 2010 working"),
    pytest.param(D(2026, 1, 3), DayKind.SATURDAY, "sobota", id="Saturday"),
    pytest.param(D(2026, 1, 4), DayKind.SUNDAY, "niedziela", id="Sunday"),
    pytest.param(
        D(2026, 5, 3), DayKind.HOLIDAY, "niedziela i święto: Święto Narodowe Trzeciego Maja",
        id="3 May 2026 on a Sunday",
    ),
    pytest.param(
        D(2021, 5, 1), DayKind.HOLIDAY, "sobota i święto: Święto Państwowe",
        id="1 May 2021 on a Saturday",
    ),
    pytest.param(
        D(2018, 11, 12), DayKind.HOLIDAY,
        "święto: Narodowe Święto Niepodległości - 100-lecie", id="one-off 12 Nov 2018",
    ),
    pytest.param(D(2019, 11, 12), DayKind.WORKING, "dzień roboczy", id="12 Nov 2019 working"),
    pytest.param(
        D(2025, 12, 24), DayKind.HOLIDAY, "święto: Wigilia Bożego Narodzenia",
        id="24 Dec 2025 holiday",
    ),
    pytest.param(D(2024, 12, 24), DayKind.WORKING, "dzień roboczy", id="24 Dec 2024 working"),
    pytest.param(
        D(2026, 4, 6), DayKind.HOLIDAY, "święto: Poniedziałek Wielkanocny", id="Easter Mon 2026"
    ),
    pytest.param(D(2026, 6, 4), DayKind.HOLIDAY, "święto: Dzień Bożego Ciała", id="Corpus Christi"),
]  # fmt: skip


@pytest.mark.parametrize(("day", "kind", "reason"), INFO)
def test_day_info(calendar: WorkingCalendar, day: date, kind: DayKind, reason: str):
    info = calendar.day_info(day)
    assert info.kind is kind
    assert info.reason() == reason
    assert info.working is (kind is DayKind.WORKING)
    assert calendar.is_working_day(day) is info.working


# -- an institution's own days off and working days ----------------------------------------------

# 10 January 2026 is a Saturday; an office may give 2 January off in exchange
# and work that Saturday instead.
GIVEN_BACK = {D(2026, 1, 2): "za święto 1 stycznia"}
WORKED_SATURDAY = [D(2026, 1, 10)]


@pytest.fixture(scope="module")
def office(calendar: WorkingCalendar) -> WorkingCalendar:
    return calendar.with_institution(days_off=GIVEN_BACK, working_days=WORKED_SATURDAY)


def test_institution_day_off(office: WorkingCalendar, calendar: WorkingCalendar):
    info = office.day_info(D(2026, 1, 2))
    assert info.kind is DayKind.DAY_OFF
    assert info.reason() == "dzień wolny w instytucji: za święto 1 stycznia"
    assert not office.is_working_day(D(2026, 1, 2))
    assert calendar.is_working_day(D(2026, 1, 2)), "the statutory calendar is untouched"


def test_institution_working_saturday(office: WorkingCalendar):
    assert office.day_info(D(2026, 1, 10)).kind is DayKind.WORKING
    # January 2026 for the office: 5, 7, 8, 9, 10 (Sat), 12 ...
    assert office.month_working_days(2026, 1)[:6] == _weekdays(2026, 1, [5, 7, 8, 9, 10, 12])
    assert office.nth_working_day(2026, 1, 1) == D(2026, 1, 5)
    assert office.add_working_days(D(2026, 1, 9), 1) == D(2026, 1, 10)
    assert office.working_days_between(D(2026, 1, 1), D(2026, 1, 31)) == 20  # one off, one on


def test_institution_cannot_work_a_statutory_holiday(calendar: WorkingCalendar):
    office = calendar.with_institution(days_off={}, working_days=[D(2026, 1, 6)])
    assert office.day_info(D(2026, 1, 6)).kind is DayKind.HOLIDAY
    assert not office.is_working_day(D(2026, 1, 6))


def test_statutory_view_drops_institution_changes(
    office: WorkingCalendar, calendar: WorkingCalendar
):
    assert calendar.is_statutory
    assert not office.is_statutory
    assert office.statutory().is_statutory
    assert office.statutory().nth_working_day(2026, 1, 1) == D(2026, 1, 2)
    assert calendar.statutory() is calendar


# -- the supported range 1990–2100 ----------------------------------------------------------------

OUT_OF_RANGE = [
    pytest.param(lambda c: c.day_info(D(1989, 12, 31)), id="day_info 1989"),
    pytest.param(lambda c: c.is_working_day(D(2101, 1, 2)), id="is_working_day 2101"),
    pytest.param(lambda c: c.nth_working_day(2101, 1, 1), id="nth_working_day 2101"),
    pytest.param(lambda c: c.month_working_days(1989, 12), id="month_working_days 1989"),
    pytest.param(lambda c: c.next_working_day(D(2100, 12, 31)), id="next after 31 Dec 2100"),
    pytest.param(lambda c: c.on_or_before(D(1990, 1, 1)), id="on_or_before New Year 1990"),
    pytest.param(lambda c: c.add_working_days(D(2100, 12, 31), 1), id="add past 2100"),
    pytest.param(lambda c: c.add_working_days(D(1990, 1, 2), -1), id="subtract before 1990"),
    pytest.param(lambda c: c.working_days_between(D(2100, 6, 1), D(2101, 1, 5)), id="range 2101"),
]


@pytest.mark.parametrize("call", OUT_OF_RANGE)
def test_outside_supported_years(
    calendar: WorkingCalendar, call: Callable[[WorkingCalendar], object]
):
    with pytest.raises(CalendarRangeError, match=r"obejmuje lata 1990–2100; rok (1989|2101)"):
        call(calendar)


def test_range_error_is_a_user_error():
    assert issubclass(CalendarRangeError, TerminarzError)


def test_edges_of_supported_years(calendar: WorkingCalendar):
    # 1 Jan 1990 was a Monday and New Year: the first working day is Tue 2 Jan.
    assert calendar.nth_working_day(1990, 1, 1) == D(1990, 1, 2)
    # 31 Dec 2100 is a Friday, a working day.
    assert calendar.on_or_after(D(2100, 12, 31)) == D(2100, 12, 31)


@pytest.mark.parametrize(
    ("today", "day", "left"),
    [
        # Mon 22 June → Wed 15 July 2026: 23–26 June (4), 29 June–3 July (5), 6–10 July (5),
        # 13–15 July (3)
        (D(2026, 6, 22), D(2026, 7, 15), 17),
        (D(2026, 7, 15), D(2026, 7, 15), 0),
        # Sat 30 Jan 2027 → Mon 1 Feb: only the Monday counts
        (D(2027, 1, 30), D(2027, 2, 1), 1),
        # Thu 5 Nov → Mon 30 Nov 2026, backwards: 6 Nov (1), 9, 10, 12, 13 (11 Nov a
        # holiday; 5), 16–20 (10), 23–27 (15), 30 (16)
        (D(2026, 11, 30), D(2026, 11, 5), -16),
        # Mon 28 Dec 2026 → Fri 15 Jan 2027: 29–31 Dec (3), 4, 5, 7, 8 Jan (1 and 6 Jan
        # holidays; 7), 11–15 (12)
        (D(2026, 12, 28), D(2027, 1, 15), 12),
    ],
)  # fmt: skip
def test_working_days_left_is_signed_and_hand_counted(
    calendar: WorkingCalendar, today: date, day: date, left: int
) -> None:
    assert calendar.working_days_left(today, day) == left

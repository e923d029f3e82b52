"""The bulk calendar query and the shortcuts that make expand() fast, checked by hand.

Weekdays from a printed calendar: 1 January 2026 is a Thursday, 1 February and
1 March 2026 are Sundays, 1 May 2026 is a Friday, 1 January 1990 a Monday and
1 December 2100 a Wednesday (so 31 December 2100 is a Friday).
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from terminarz.errors import CalendarRangeError
from terminarz.law.periods import Period, PeriodKind
from terminarz.law.rules import (
    Act,
    Citation,
    Deadline,
    DeadlineKind,
    IfNonWorking,
    Obligation,
    Occurrence,
    expand,
)
from terminarz.law.workdays import WorkingCalendar

D = date


def month(year: int, number: int) -> int:
    """The running month number the bulk query takes."""
    return year * 12 + number - 1


# -- WorkingCalendar.nth_working_days --------------------------------------------------------------

BULK = [
    pytest.param(
        3, [month(2026, 1), month(2026, 2), month(2026, 3)],
        [D(2026, 1, 7), D(2026, 2, 4), D(2026, 3, 4)],
        id="3rd of Jan-Mar 2026: Epiphany Tue 6 Jan skipped; Feb and Mar start on Sunday",
    ),
    pytest.param(
        4, [month(2026, 5), month(2011, 1), month(2025, 12)],
        [D(2026, 5, 7), D(2011, 1, 7), D(2025, 12, 4)],
        id="4th, months out of order: 1 and 3 May off; Epiphany 2011; Mon 1 Dec 2025",
    ),
    pytest.param(1, [], [], id="no months, no dates"),
]  # fmt: skip


@pytest.mark.parametrize(("n", "months", "expected"), BULK)
def test_nth_working_days(
    calendar: WorkingCalendar, n: int, months: list[int], expected: list[date]
):
    assert calendar.nth_working_days(n, months) == expected


def test_nth_working_days_agrees_with_nth_working_day_everywhere(calendar: WorkingCalendar):
    months = range(month(1990, 1), month(2100, 12) + 1)
    for n in (1, 7, 17):
        bulk = calendar.nth_working_days(n, months)
        assert bulk == [calendar.nth_working_day(m // 12, m % 12 + 1, n) for m in months]


def test_nth_working_days_on_a_fresh_calendar(calendar: WorkingCalendar):
    fresh = WorkingCalendar(calendar.holidays)  # no year computed yet
    assert fresh.nth_working_days(2, range(month(2026, 1), month(2026, 3))) == [
        D(2026, 1, 5),
        D(2026, 2, 3),
    ]


@pytest.mark.parametrize(
    ("n", "months", "error", "match"),
    [
        (0, [month(2026, 1)], ValueError, "at least 1"),
        (21, [month(2025, 10), month(2026, 1)], ValueError, "2026-01 has fewer than 21"),
        (1, [month(2100, 12), month(2101, 1)], CalendarRangeError, "rok 2101"),
        (1, [month(1989, 12)], CalendarRangeError, "rok 1989"),
    ],
    ids=["n=0", "n=21: October 2025 has 23 working days, January 2026 20", "2101", "1989"],
)
def test_nth_working_days_errors(
    calendar: WorkingCalendar, n: int, months: list[int], error: type[Exception], match: str
):
    with pytest.raises(error, match=match):
        calendar.nth_working_days(n, months)


# -- a month without a single working day --------------------------------------------------------

# An office closed for the whole of February 2026 (every weekday given off).
CLOSED = {
    D(2026, 2, 1) + timedelta(days=i): "zamknięte"
    for i in range(28)
    if (D(2026, 2, 1) + timedelta(days=i)).weekday() < 5
}


@pytest.fixture(scope="module")
def closed(calendar: WorkingCalendar) -> WorkingCalendar:
    return calendar.with_institution(days_off=CLOSED)


def test_a_month_without_working_days(closed: WorkingCalendar):
    assert closed.month_working_days(2026, 2) == []
    with pytest.raises(ValueError, match="2026-02 has fewer than 1"):
        closed.nth_working_day(2026, 2, 1)
    with pytest.raises(ValueError, match="2026-02 has fewer than 1"):
        closed.nth_working_days(1, [month(2026, 1), month(2026, 2)])
    assert closed.on_or_after(D(2026, 1, 31)) == D(2026, 3, 2)  # Sat -> Mon 2 Mar
    assert closed.on_or_before(D(2026, 3, 1)) == D(2026, 1, 30)  # Sun -> Fri 30 Jan
    assert closed.add_working_days(D(2026, 1, 30), 1) == D(2026, 3, 2)
    assert closed.add_working_days(D(2026, 3, 2), -1) == D(2026, 1, 30)
    # Mon 26 - Fri 30 Jan and Mon 2 - Fri 6 Mar: five each.
    assert closed.working_days_between(D(2026, 1, 26), D(2026, 3, 6)) == 10


# -- expand(): the edges of the supported years and the objects it makes ---------------------------


def obligation(day: int, rule: IfNonWorking) -> Obligation:
    """A monthly obligation due on ``day`` of the next month, moved by ``rule``."""
    return Obligation(
        id="test@ops", act=Act(id="test", title="test", short="test"), form="T", part=None,
        title="test", level="ops", recipients=("wup",), period_kind=PeriodKind.MONTH,
        deadline=Deadline(kind=DeadlineKind.FIXED, day=day, if_non_working=rule),
        basis=Citation(act="test"),
    )  # fmt: skip


def test_expand_drops_a_shift_before_1990(calendar: WorkingCalendar):
    # 1 Jan 1990 (for December 1989) is New Year: "previous" would be 31 Dec 1989.
    got = expand([obligation(1, IfNonWorking.PREVIOUS)], calendar, D(1990, 1, 1), D(1990, 3, 31))
    assert [(o.id, o.nominal, o.due) for o in got] == [
        ("test@ops/1990-01", D(1990, 2, 1), D(1990, 2, 1)),  # a Thursday
        ("test@ops/1990-02", D(1990, 3, 1), D(1990, 3, 1)),  # a Thursday
        ("test@ops/1990-03", D(1990, 4, 1), D(1990, 3, 30)),  # Sun 1 Apr -> Fri 30 Mar
    ]


def test_expand_drops_a_shift_after_2100(calendar: WorkingCalendar):
    # An office off on Fri 31 Dec 2100: "next" would be in 2101.
    office = calendar.with_institution(days_off={D(2100, 12, 31): "test"})
    got = expand([obligation(31, IfNonWorking.NEXT)], office, D(2100, 11, 1), D(2100, 12, 31))
    assert [(o.id, o.nominal, o.due) for o in got] == [
        # Sun 31 Oct, Mon 1 Nov All Saints' Day -> Tue 2 Nov.
        ("test@ops/2100-09", D(2100, 10, 31), D(2100, 11, 2)),
        ("test@ops/2100-10", D(2100, 11, 30), D(2100, 11, 30)),  # a Tuesday, 31 clamped to 30
    ]


def test_expanded_objects_are_ordinary_immutable_records(calendar: WorkingCalendar):
    ob = obligation(15, IfNonWorking.NEXT)
    [occ] = expand([ob], calendar, D(2026, 2, 1), D(2026, 2, 28))
    # 15 Feb 2026 is a Sunday, so Mon 16 Feb.
    made = Occurrence(
        obligation=ob, period=Period.parse("2026-01"), nominal=D(2026, 2, 15), due=D(2026, 2, 16)
    )
    assert occ == made
    assert hash(occ) == hash(made)
    assert repr(occ) == repr(made)
    assert occ.override is None
    assert occ.period == Period(year=2026, index=1, kind=PeriodKind.MONTH)
    assert hash(occ.period) == hash(Period.parse("2026-01"))
    with pytest.raises(AttributeError):
        occ.due = D(2026, 2, 17)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        occ.period.index = 2  # type: ignore[misc]
    assert occ._replace(due=D(2026, 2, 17)).due == D(2026, 2, 17)


def test_expand_shares_one_period_object_per_period(calendar: WorkingCalendar):
    a = obligation(15, IfNonWorking.NEXT)
    b = a._replace(id="test-2@ops")
    got = expand([a, b], calendar, D(2026, 1, 1), D(2026, 12, 31))
    assert len(got) == 24
    by_period: dict[str, list[Occurrence]] = {}
    for occ in got:
        by_period.setdefault(str(occ.period), []).append(occ)
    assert all(x.period is y.period for x, y in by_period.values())

"""Properties of the working-day calendar and of due dates, over random dates 1991–2099."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from terminarz.law.catalogue import CatalogueSet
from terminarz.law.periods import Period, PeriodKind
from terminarz.law.rules import (
    Act,
    Citation,
    Deadline,
    DeadlineKind,
    IfNonWorking,
    Obligation,
    nominal_and_due,
)
from terminarz.law.workdays import WorkingCalendar

# Modest example counts keep the suite fast; the tables elsewhere carry the edge cases.
FAST = settings(max_examples=150, deadline=None)

days = st.dates(min_value=date(1991, 1, 1), max_value=date(2099, 12, 31))
months = st.tuples(st.integers(1991, 2099), st.integers(1, 12))


def _period(kind: PeriodKind, year: int, index: int) -> Period:
    return Period(year=year, index=(index - 1) % kind.per_year + 1, kind=kind)


periods = st.builds(
    _period, st.sampled_from(list(PeriodKind)), st.integers(1991, 2098), st.integers(1, 12)
)


def _obligation(deadline: Deadline, kind: PeriodKind) -> Obligation:
    act = Act(id="prop", title="Akt", short="aktu")
    return Obligation(
        id="prop@ops", act=act, form="P", part=None, title="P", level="ops", recipients=(),
        period_kind=kind, deadline=deadline, basis=Citation(act="aktu", paragraph="1"),
    )  # fmt: skip


fixed_deadlines = st.builds(
    lambda day, k, shift: Deadline(
        kind=DeadlineKind.FIXED, day=day, months_after=k, if_non_working=shift
    ),
    st.integers(1, 31),
    st.integers(1, 12),
    st.sampled_from(list(IfNonWorking)),
)


@FAST
@given(day=days)
def test_next_never_earlier_and_previous_never_later(calendar: WorkingCalendar, day: date):
    after = calendar.on_or_after(day)
    before = calendar.on_or_before(day)
    assert before <= day <= after
    assert calendar.is_working_day(after) and calendar.is_working_day(before)
    # Nothing working is skipped on the way.
    assert calendar.working_days_between(day, after - timedelta(days=1)) == 0
    assert calendar.working_days_between(before + timedelta(days=1), day) == 0
    if calendar.is_working_day(day):
        assert before == day == after


@FAST
@given(month=months, data=st.data())
def test_nth_working_day_has_n_minus_one_before_it(
    calendar: WorkingCalendar, month: tuple[int, int], data: st.DataObject
):
    year, m = month
    count = len(calendar.month_working_days(year, m))
    assert count >= 17, "every month has at least 17 working days"
    n = data.draw(st.integers(1, count), label="n")
    nth = calendar.nth_working_day(year, m, n)
    assert (nth.year, nth.month) == (year, m)
    assert calendar.is_working_day(nth)
    assert calendar.working_days_between(date(year, m, 1), nth - timedelta(days=1)) == n - 1


@FAST
@given(day=st.dates(min_value=date(1991, 6, 1), max_value=date(2099, 6, 30)),
       n=st.integers(-250, 250))  # at most about a year, so 1990-2100 is never left
def test_add_working_days_round_trips_from_a_working_day(
    calendar: WorkingCalendar, day: date, n: int
):
    start = calendar.on_or_after(day)
    there = calendar.add_working_days(start, n)
    assert calendar.add_working_days(there, -n) == start
    if n:
        assert calendar.is_working_day(there)
        lo, hi = sorted((start, there))
        assert calendar.working_days_between(lo, hi) == abs(n) + 1


@FAST
@given(deadline=fixed_deadlines, period=periods)
def test_fixed_deadlines_shift_as_their_rule_says(
    calendar: WorkingCalendar, deadline: Deadline, period: Period
):
    nominal, due = nominal_and_due(_obligation(deadline, period.kind), period, calendar)
    year, month = period.month_after(deadline.months_after)
    assert (nominal.year, nominal.month) == (year, month)
    assert nominal.day == min(deadline.day or 0, monthrange(year, month)[1])  # clamped
    if deadline.if_non_working is IfNonWorking.NEXT:
        assert calendar.is_working_day(due) and due >= nominal
        assert calendar.working_days_between(nominal, due - timedelta(days=1)) == 0
    elif deadline.if_non_working is IfNonWorking.PREVIOUS:
        assert calendar.is_working_day(due) and due <= nominal
        assert calendar.working_days_between(due + timedelta(days=1), nominal) == 0
    else:
        assert due == nominal


@FAST
@given(period=periods, data=st.data())
def test_every_catalogue_due_date_is_a_working_day(
    catalogues: CatalogueSet, calendar: WorkingCalendar, period: Period, data: st.DataObject
):
    dated = [o for o in catalogues.obligations if o.deadline is not None]
    obligation = data.draw(st.sampled_from(dated), label="obligation")
    p = _period(obligation.period_kind, period.year, period.index)
    nominal, due = nominal_and_due(obligation, p, calendar)
    assert calendar.is_working_day(due)
    assert due >= nominal
    assert due > p.last_day, "a report is due after its period ends"

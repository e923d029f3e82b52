"""``due --format json`` writes its rows as text put together per occurrence (the keys of an
obligation, a period and a date encoded once): the content of every row is exactly the
dictionary :meth:`OccurrenceRows.json` describes, key for key and in the same order, for
every kind of occurrence — shifted, overridden, announced, from a repealed act, with and
without the working days left."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from terminarz.cli.duetable import DaysLeft, OccurrenceRows
from terminarz.law.catalogue import CatalogueSet
from terminarz.law.rules import Override, expand
from terminarz.law.workdays import WorkingCalendar

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize("with_left", [True, False], ids=["days-left", "no-calendar"])
def test_every_row_of_every_catalogue_is_its_dictionary(
    all_catalogues: CatalogueSet, calendar: WorkingCalendar, with_left: bool
) -> None:
    plain = expand(all_catalogues.obligations, calendar, date(2026, 1, 1), date(2026, 12, 31))
    overrides = dict(all_catalogues.overrides)
    for occ in plain[::50]:  # a date announced for one occurrence, a day before the rule's
        overrides[occ.id] = Override(occurrence_id=occ.id, due=occ.due - timedelta(days=1),
                                     basis='komunikat „MRPiPS” nr 1\\2 "pilne"')  # fmt: skip
    found = expand(all_catalogues.obligations, calendar, date(1992, 1, 1), date(2100, 12, 31),
                   overrides, all_catalogues.announced)  # fmt: skip
    left = DaysLeft(calendar, TODAY) if with_left else None
    rows = OccurrenceRows(all_catalogues, TODAY, left)
    kinds = {"shifted": 0, "override": 0, "announced": 0, "repealed": 0, "plain": 0}
    extras = [{"planning_date": None, "confirmed": None},
              {"planning_date": "2027-01-29", "confirmed": {"by": "kier-dsps", "at":
               "2027-02-01T09:00:00+01:00", "note": "wysłano \"CAS\"\n"}}]  # fmt: skip
    for number, occ in enumerate(found):
        extra = extras[number % 2]
        wanted = rows.json(occ)
        text = rows.row(occ, extra).decode()
        got = json.loads(text)
        assert got == {**wanted, **extra}, occ.id
        varying = [k for k in wanted if k not in rows._of(occ.obligation)[0]]
        assert list(got) == [*varying, *extra, *rows._of(occ.obligation)[0]], occ.id
        kinds["shifted"] += wanted["shifted"] is True
        kinds["override"] += wanted["override"] is not None
        kinds["announced"] += wanted["announced"] is True
        kinds["repealed"] += wanted["repealed_act"] is True
        kinds["plain"] += not (wanted["shifted"] or wanted["override"] or wanted["announced"])
    assert all(kinds.values()), kinds  # every kind of row was compared
    assert len(found) > 8052  # the 1992 act's century and today's acts


def test_a_row_is_the_same_text_whatever_came_before(
    all_catalogues: CatalogueSet, calendar: WorkingCalendar
) -> None:
    """What is kept between rows (periods, dates, grades) changes no row: a row written by
    a fresh writer is the row written after thousands of others."""
    found = expand(all_catalogues.obligations, calendar, date(2025, 1, 1), date(2027, 12, 31),
                   all_catalogues.overrides, all_catalogues.announced)  # fmt: skip
    extra = {"planning_date": None, "confirmed": None}
    shared = OccurrenceRows(all_catalogues, TODAY, DaysLeft(calendar, TODAY))
    together = [shared.row(o, extra).decode() for o in found]
    alone = [OccurrenceRows(all_catalogues, TODAY, DaysLeft(calendar, TODAY)).row(o, extra).decode()
             for o in found]  # fmt: skip
    assert together == alone


def test_rows_in_utf8_are_written_as_bytes_or_as_text() -> None:
    """A UTF-8 stream gets the bytes on its buffer (after what it holds as text); any other
    stream — one without a buffer, or another encoding — gets the same JSON as text."""
    import io

    from terminarz.cli.common import write_json_rows_utf8

    rows = ['{"a": "zażółć"}'.encode(), b'{"b": null}']
    wanted = '[\n{"a": "zażółć"},\n{"b": null}\n]\n'
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="UTF8")
    stream.write("przed\n")
    write_json_rows_utf8(rows, stream)
    assert raw.getvalue().decode("utf-8") == "przed\n" + wanted
    text = io.StringIO()
    write_json_rows_utf8(rows, text)
    assert text.getvalue() == wanted
    other = io.TextIOWrapper(io.BytesIO(), encoding="utf-16")
    write_json_rows_utf8(rows, other)
    other.flush()
    assert other.buffer.getvalue().decode("utf-16") == wanted  # type: ignore[attr-defined]
    empty = io.StringIO()
    write_json_rows_utf8([], empty)
    assert empty.getvalue() == "[]\n"


def test_days_left_counted_at_once_are_those_counted_one_by_one(
    calendar: WorkingCalendar,
) -> None:
    """``DaysLeft.many`` (one step per month) gives what ``working`` gives date by date — on
    working days and days off, the 1st of a month on a working day and on a holiday, past
    and future, and null outside the calendar's years; hand-checked anchors too."""
    days = [date(1990, 1, 1) + timedelta(days=n) for n in range(0, 40_500, 7)]
    days += [date(2026, 1, 1), date(2026, 1, 2), date(2026, 11, 1), date(2026, 11, 2),
             date(2026, 11, 30), date(2026, 12, 1), date(2027, 1, 18), date(1989, 12, 31),
             date(2101, 1, 1)]  # fmt: skip
    one_by_one = DaysLeft(calendar, TODAY)
    wanted = {day: one_by_one.working(day) for day in days}
    assert DaysLeft(calendar, TODAY).many(reversed(days)) == wanted
    # From Monday 30 Nov 2026, counted by hand: Tuesday 1 Dec is 1 working day away.
    # Monday 18 Jan 2027 is 31: December has 23 weekdays, of them Thursday 24 (Wigilia, a
    # holiday from 2025) and Friday 25 are off — 21; January up to the 18th: Friday 1 and
    # Wednesday 6 are holidays — 4–8 (4), 11–15 (5), 18 (1) — 10.
    assert wanted[date(2026, 12, 1)] == 1
    assert wanted[date(2027, 1, 18)] == 31
    assert wanted[date(2026, 11, 30)] == 0
    assert wanted[date(1989, 12, 31)] is None and wanted[date(2101, 1, 1)] is None

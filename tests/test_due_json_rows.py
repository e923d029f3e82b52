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
        text = rows.text(occ, extra)
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
    together = [shared.text(o, extra) for o in found]
    alone = [OccurrenceRows(all_catalogues, TODAY, DaysLeft(calendar, TODAY)).text(o, extra)
             for o in found]  # fmt: skip
    assert together == alone

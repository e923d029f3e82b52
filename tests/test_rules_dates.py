"""Due dates of real catalogue occurrences, worked out by hand.

How each expected date was found: print the month (``cal``) for the weekdays,
mark the statutory holidays of that year from the law (ustawa o dniach wolnych
od pracy: Epiphany from 2011, Christmas Eve from 2025, 12 November 2018 once;
Easter Monday and Corpus Christi from that year's Easter), then count the
working days or move a fixed date to the next working day (art. 115 KC per
analogiam, ``if_non_working = "next"``). The reason is in each case id.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from terminarz.law.catalogue import CatalogueSet, load_catalogues
from terminarz.law.explain import short_explanation, trail_lines
from terminarz.law.periods import Period
from terminarz.law.rules import (
    IfNonWorking,
    expand,
    occurrence,
    occurrence_id,
    split_occurrence_id,
    trail,
)
from terminarz.law.workdays import DayKind, WorkingCalendar

D = date


def case(occ_id: str, due: date, reason: str, nominal: date | None = None) -> object:
    """One hand-checked occurrence; ``nominal`` only when a fixed date was shifted."""
    return pytest.param(occ_id, due, nominal or due, id=f"{occ_id} {due}: {reason}")


CATALOGUE_CASES = [
    # -- January 2026: Thu 1 Jan New Year, Fri 2 Jan 1st, 3-4 weekend, Mon 5 2nd, Tue 6 Epiphany,
    #    Wed 7 3rd, Thu 8 4th, Fri 9 5th, Mon 12 6th, Tue 13 7th working day.
    case("mpips-01.dzial-1@rup/2025-12", D(2026, 1, 5), "1 Jan holiday, 2 Jan 1st, 3-4 weekend"),
    case("mpips-01.dzial-2@rup/2025-Q4", D(2026, 1, 5), "2nd working day of January"),
    case("mpips-01.dzial-1@wup/2025-12", D(2026, 1, 7), "3rd: Tue 6 Jan Epiphany skipped"),
    case("mpips-01.dzial-2@wup/2025-Q4", D(2026, 1, 7), "3rd working day, after Epiphany"),
    case("mpips-01.zal-1@rup/2025-Q4", D(2026, 1, 9), "5th: 2, 5, 7, 8, 9 Jan"),
    case("mpips-01.zal-2@rup/2025-H2", D(2026, 1, 9), "5th working day of January"),
    case("mpips-02@rup/2025-12", D(2026, 1, 9), "5th working day of January"),
    case("mpips-01.zal-1@wup/2025-Q4", D(2026, 1, 12), "6th: weekend 10-11 Jan"),
    case("mpips-01.zal-2@wup/2025-H2", D(2026, 1, 12), "6th working day of January"),
    case("mpips-02@wup/2025-12", D(2026, 1, 13), "7th working day of January"),
    case("mpips-02.zal@rup/2025", D(2026, 1, 19), "18 Jan is a Sunday", D(2026, 1, 18)),
    case("mpips-03@ops/2025", D(2026, 1, 30), "30 Jan is a Friday, no shift"),
    case("mpips-02.zal@wup/2025", D(2026, 2, 2), "31 Jan is a Saturday", D(2026, 1, 31)),
    case("mpips-03@wzps/2025", D(2026, 2, 16), "15 Feb is a Sunday", D(2026, 2, 15)),
    # -- January 2010 vs 2011: Epiphany is a holiday only from 2011.
    case("mpips-01.dzial-1@wup/2009-12", D(2010, 1, 6), "3rd: 4, 5, 6 Jan (6 Jan working)"),
    case("mpips-01.dzial-1@wup/2010-12", D(2011, 1, 5), "3rd: 1-2 Jan weekend, 3, 4, 5 Jan"),
    case("mpips-02@rup/2009-12", D(2010, 1, 8), "5th: 4-8 Jan, Epiphany not yet a holiday"),
    case("mpips-02@rup/2010-12", D(2011, 1, 10), "5th: 3, 4, 5, 7, 10 Jan, 6 Jan Epiphany"),
    case("mpips-01.zal-1@wup/2009-Q4", D(2010, 1, 11), "6th: 4-8, 11 Jan"),
    case("mpips-01.zal-1@wup/2010-Q4", D(2011, 1, 11), "6th: 3, 4, 5, 7, 10, 11 Jan"),
    case("mpips-03@ops/2009", D(2010, 2, 1), "30 Jan 2010 is a Saturday", D(2010, 1, 30)),
    case("mpips-02.zal@wup/2009", D(2010, 2, 1), "31 Jan 2010 is a Sunday", D(2010, 1, 31)),
    case("mpips-03@ops/2010", D(2011, 1, 31), "30 Jan 2011 is a Sunday", D(2011, 1, 30)),
    case("mpips-02.zal@wup/2010", D(2011, 1, 31), "31 Jan 2011 is a Monday, no shift"),
    # -- 1992/1993: the first periods (§ 7: from the data for January 1992).
    case("mpips-01.dzial-1@rup/1992-01", D(1992, 2, 4), "first month; 1-2 Feb weekend, 3, 4 Feb"),
    case("mpips-02@wup/1992-01", D(1992, 2, 11), "7th: 3-7, 10, 11 Feb 1992"),
    case("mpips-01.dzial-2@rup/1992-Q1", D(1992, 4, 2), "first quarter; 1, 2 Apr 1992"),
    case("mpips-01.zal-2@rup/1992-H1", D(1992, 7, 7), "first half; 5th: 1-3, 6, 7 Jul 1992"),
    case("mpips-03a@ops/1992-H1", D(1992, 7, 15), "15 Jul 1992 is a Wednesday"),
    case("mpips-03a@wzps/1992-H1", D(1992, 7, 27), "25 Jul 1992 is a Saturday", D(1992, 7, 25)),
    case("mpips-01.dzial-1@rup/1992-12", D(1993, 1, 5), "1 Jan 1993 Fri, weekend, 4, 5 Jan"),
    case("mpips-02@wup/1992-12", D(1993, 1, 12), "7th: 4-8, 11, 12 Jan; 6 Jan working"),
    case("mpips-02.zal@rup/1992", D(1993, 1, 18), "18 Jan 1993 is a Monday"),
    case("mpips-03@ops/1992", D(1993, 2, 1), "30 Jan 1993 is a Saturday", D(1993, 1, 30)),
    case("mpips-02.zal@wup/1992", D(1993, 2, 1), "31 Jan 1993 is a Sunday", D(1993, 1, 31)),
    case("mpips-03@wzps/1992", D(1993, 2, 15), "15 Feb 1993 is a Monday"),
    # -- May: 1 May (Święto Państwowe) and 3 May (Konstytucja) around weekends.
    case("mpips-01.dzial-1@rup/2026-04", D(2026, 5, 5), "1 May Fri, 2 Sat, 3 May Sun; 4, 5 May"),
    case("mpips-02@rup/2026-04", D(2026, 5, 8), "5th: 4-8 May 2026"),
    case("mpips-01.dzial-1@rup/2025-04", D(2025, 5, 5), "1 May Thu, 2 Fri 1st, 3 May Sat, 5 Mon"),
    case("mpips-01.dzial-1@wup/2021-04", D(2021, 5, 6), "1 Sat, 2 Sun, 3 May Mon; 4, 5, 6 May"),
    case("mpips-02@wup/2024-04", D(2024, 5, 13), "1 May Wed, 3 May Fri; 2, 6-10, 13 May"),
    # -- Easter Monday in early April.
    case("mpips-01.dzial-1@rup/2024-03", D(2024, 4, 3), "Easter Monday 1 Apr 2024; 2, 3 Apr"),
    case("mpips-01.dzial-2@wup/2024-Q1", D(2024, 4, 4), "3rd: 2, 3, 4 Apr 2024"),
    case("mpips-01.zal-1@rup/2026-Q1", D(2026, 4, 8), "Easter Monday 6 Apr; 1-3, 7, 8 Apr"),
    case("mpips-02@wup/2026-03", D(2026, 4, 10), "7th: 1-3, 7-10 Apr 2026"),
    case("mpips-01.dzial-1@wup/2018-03", D(2018, 4, 5), "Easter 1 Apr, Mon 2 Apr; 3, 4, 5 Apr"),
    case("mpips-01.zal-1@rup/2021-Q1", D(2021, 4, 8), "Easter Monday 5 Apr; 1, 2, 6, 7, 8 Apr"),
    # -- Corpus Christi (Easter + 60 days, a Thursday).
    case("mpips-02@rup/2026-05", D(2026, 6, 8), "Corpus Christi 4 Jun; 1-3, 5, 8 Jun"),
    case("mpips-02@wup/2026-05", D(2026, 6, 10), "7th: 1-3, 5, 8-10 Jun 2026"),
    case("mpips-01.dzial-1@wup/2021-05", D(2021, 6, 4), "Corpus Christi 3 Jun; 1, 2, 4 Jun"),
    case("mpips-02@rup/2021-05", D(2021, 6, 8), "5th: 1, 2, 4, 7, 8 Jun 2021"),
    # -- November: 1 and 11 Nov, and the one-off 12 Nov 2018.
    case("mpips-02@wup/2018-10", D(2018, 11, 13), "7th: 11 Nov Sun, one-off 12 Nov 2018"),
    case("mpips-02@rup/2018-10", D(2018, 11, 8), "5th: 1 Nov Thu; 2, 5-8 Nov"),
    case("mpips-01.dzial-1@rup/2018-10", D(2018, 11, 5), "1 Nov Thu, 2 Fri, weekend, 5 Mon"),
    case("mpips-02@wup/2017-10", D(2017, 11, 10), "7th: 1 Nov Wed only; 2, 3, 6-10 Nov"),
    case("mpips-02@wup/2019-10", D(2019, 11, 13), "7th: 1 Nov Fri, 11 Nov Mon; 12, 13 Nov"),
    case("mpips-02@wup/2025-10", D(2025, 11, 12), "7th: 1 Nov Sat, 11 Nov Tue; 12 Nov"),
    case("mpips-02@wup/2026-10", D(2026, 11, 10), "7th: 1 Nov Sun; 2-6, 9, 10 Nov"),
    # -- Fixed dates on a Saturday or a Sunday move to the next working day.
    case("mpips-02.zal@rup/2024", D(2025, 1, 20), "18 Jan 2025 is a Saturday", D(2025, 1, 18)),
    case("mpips-02.zal@rup/2026", D(2027, 1, 18), "18 Jan 2027 is a Monday"),
    case("mpips-03@ops/2026", D(2027, 2, 1), "30 Jan 2027 is a Saturday", D(2027, 1, 30)),
    case("mpips-03@ops/2021", D(2022, 1, 31), "30 Jan 2022 is a Sunday", D(2022, 1, 30)),
    case("mpips-02.zal@wup/2026", D(2027, 2, 1), "31 Jan 2027 is a Sunday", D(2027, 1, 31)),
    case("mpips-02.zal@wup/2020", D(2021, 2, 1), "31 Jan 2021 is a Sunday", D(2021, 1, 31)),
    case("mpips-03@wzps/2024", D(2025, 2, 17), "15 Feb 2025 is a Saturday", D(2025, 2, 15)),
    case("mpips-03@wzps/2023", D(2024, 2, 15), "15 Feb 2024 is a Thursday"),
    case("mpips-03a@ops/2023-H1", D(2023, 7, 17), "15 Jul 2023 is a Saturday", D(2023, 7, 15)),
    case("mpips-03a@ops/2018-H1", D(2018, 7, 16), "15 Jul 2018 is a Sunday", D(2018, 7, 15)),
    case("mpips-03a@ops/2026-H1", D(2026, 7, 15), "15 Jul 2026 is a Wednesday"),
    case("mpips-03a@wzps/2026-H1", D(2026, 7, 27), "25 Jul 2026 is a Saturday", D(2026, 7, 25)),
    case("mpips-03a@wzps/2020-H1", D(2020, 7, 27), "25 Jul 2020 is a Saturday", D(2020, 7, 25)),
    case("mpips-03a@wzps/2025-H1", D(2025, 7, 25), "25 Jul 2025 is a Friday"),
    # -- Half-year annexes in July.
    case("mpips-01.zal-2@rup/2026-H1", D(2026, 7, 7), "5th: 1-3, 6, 7 Jul 2026"),
    case("mpips-01.zal-2@wup/2025-H1", D(2025, 7, 8), "6th: 1-4, 7, 8 Jul 2025"),
]


@pytest.mark.parametrize(("occ_id", "due", "nominal"), CATALOGUE_CASES)
def test_catalogue_due_dates(
    catalogues: CatalogueSet, calendar: WorkingCalendar, occ_id: str, due: date, nominal: date
):
    obligation_id, period = split_occurrence_id(occ_id)
    obligation = catalogues.obligation(obligation_id)
    assert obligation is not None
    assert obligation.applies_to(period)
    occ = occurrence(obligation, period, calendar)
    assert occ.id == occ_id
    assert (occ.due, occ.nominal) == (due, nominal)
    assert calendar.is_working_day(occ.due)
    # expand() finds the same occurrence on its due day.
    found = [o for o in expand([obligation], calendar, due, due) if o.id == occ_id]
    assert [o.due for o in found] == [due]


def test_case_table_is_large_enough():
    assert len(CATALOGUE_CASES) + len(FIXED_CASES) >= 40


# -- a test catalogue for what the 1992 catalogue never hits: holidays and other shifts --------

TEST_CATALOGUE = """\
[act]
id = "test"
title = "Akt testowy"
short = "aktu testowego"
valid_from = "2000-01"

[parties]
ops = "ośrodek pomocy społecznej"
wzps = "wojewódzki zespół pomocy społecznej"

[[obligations]]
id = "dzien-6@ops"
form = "TEST-06"
title = "6. dzień miesiąca"
level = "ops"
recipients = ["wzps"]
period = "month"
deadline = { kind = "fixed", day = 6 }
basis = { paragraph = "1" }
valid_from = "1992-01"

[[obligations]]
id = "dzien-11@ops"
form = "TEST-11"
title = "11. dzień miesiąca"
level = "ops"
recipients = ["wzps"]
period = "month"
deadline = { kind = "fixed", day = 11, if_non_working = "next", shift_basis = "test" }
basis = { paragraph = "2" }

[[obligations]]
id = "wigilia@ops"
form = "TEST-24"
title = "24 grudnia"
level = "ops"
recipients = ["wzps"]
period = "month"
periods = [11]
deadline = { kind = "fixed", day = 24 }
basis = { paragraph = "3" }

[[obligations]]
id = "wigilia-wczesniej@ops"
form = "TEST-24P"
title = "24 grudnia, a gdy wolny — wcześniej"
level = "ops"
recipients = ["wzps"]
period = "month"
periods = [11]
deadline = { kind = "fixed", day = 24, if_non_working = "previous" }
basis = { paragraph = "3" }

[[obligations]]
id = "wigilia-bez-zmian@ops"
form = "TEST-24K"
title = "24 grudnia bez przesunięcia"
level = "ops"
recipients = ["wzps"]
period = "month"
periods = [11]
deadline = { kind = "fixed", day = 24, if_non_working = "keep" }
basis = { paragraph = "3" }

[[obligations]]
id = "koniec-miesiaca@ops"
form = "TEST-30"
title = "30. dzień miesiąca (w lutym — ostatni)"
level = "ops"
recipients = ["wzps"]
period = "month"
deadline = { kind = "fixed", day = 30 }
basis = { paragraph = "4" }

[[obligations]]
id = "nowy-rok@ops"
form = "TEST-01"
title = "1 stycznia, a gdy wolny — wcześniej"
level = "ops"
recipients = ["wzps"]
period = "year"
deadline = { kind = "fixed", day = 1, if_non_working = "previous" }
basis = { paragraph = "5" }

[[obligations]]
id = "luty@ops"
form = "TEST-N3"
title = "3. dzień roboczy drugiego miesiąca po kwartale"
level = "ops"
recipients = ["wzps"]
period = "quarter"
deadline = { kind = "nth_working_day", n = 3, months_after = 2 }
basis = { paragraph = "6" }

[[obligations]]
id = "kwartal@ops"
form = "TEST-Q"
title = "Kwartalne, obowiązujące od lutego do listopada 2025 r."
level = "ops"
recipients = ["wzps"]
period = "quarter"
deadline = { kind = "nth_working_day", n = 1 }
basis = { paragraph = "7" }
valid_from = "2025-02"
valid_to = "2025-11"

[[overrides]]
occurrence = "dzien-6@ops/2025-12"
due = 2026-01-20
basis = "komunikat ministra z dnia 2 stycznia 2026 r."

[[overrides]]
occurrence = "dzien-11@ops/2025-12"
due = "2026-03-16"
basis = "komunikat ministra z dnia 5 stycznia 2026 r."
"""


@pytest.fixture(scope="module")
def test_catalogue(tmp_path_factory: pytest.TempPathFactory) -> CatalogueSet:
    path: Path = tmp_path_factory.mktemp("catalogue") / "test.toml"
    path.write_text(TEST_CATALOGUE, encoding="utf-8")
    return load_catalogues([path])


FIXED_CASES = [
    case("dzien-6@ops/2010-12", D(2011, 1, 7), "Epiphany 2011 Thu -> Fri", D(2011, 1, 6)),
    case("dzien-6@ops/2009-12", D(2010, 1, 6), "6 Jan 2010 Wed, not yet a holiday"),
    case("dzien-6@ops/2026-12", D(2027, 1, 7), "Epiphany 2027 Wed -> Thu", D(2027, 1, 6)),
    case("dzien-6@ops/1992-12", D(1993, 1, 6), "6 Jan 1993 Wed, a working day"),
    case("dzien-11@ops/2018-10", D(2018, 11, 13), "11 Nov Sun, 12 Nov one-off", D(2018, 11, 11)),
    case("dzien-11@ops/2025-10", D(2025, 11, 12), "11 Nov 2025 Tue holiday", D(2025, 11, 11)),
    case("dzien-11@ops/2019-10", D(2019, 11, 12), "11 Nov 2019 Mon holiday", D(2019, 11, 11)),
    case("wigilia@ops/2025-11", D(2025, 12, 29), "24-26 Dec holidays, weekend", D(2025, 12, 24)),
    case("wigilia@ops/2024-11", D(2024, 12, 24), "24 Dec 2024 Tue still working"),
    case("wigilia-wczesniej@ops/2025-11", D(2025, 12, 23), "previous: Tue 23", D(2025, 12, 24)),
    case("wigilia-bez-zmian@ops/2025-11", D(2025, 12, 24), "keep: stays on the holiday"),
    case("koniec-miesiaca@ops/2026-01", D(2026, 3, 2), "30 Feb -> Sat 28 -> Mon", D(2026, 2, 28)),
    case("koniec-miesiaca@ops/2024-01", D(2024, 2, 29), "30 Feb -> 29 Feb 2024, a Thursday"),
    case("koniec-miesiaca@ops/2026-03", D(2026, 4, 30), "30 Apr 2026 Thursday"),
    case("nowy-rok@ops/2025", D(2025, 12, 31), "previous: Wed 31 Dec", D(2026, 1, 1)),
    case("nowy-rok@ops/2022", D(2022, 12, 30), "previous: Sun, Sat -> Fri", D(2023, 1, 1)),
    case("luty@ops/2025-Q4", D(2026, 2, 4), "3rd working day of Feb 2026: 2, 3, 4"),
    case("luty@ops/2026-Q1", D(2026, 5, 6), "3rd of May 2026: 4, 5, 6 (1 and 3 May off)"),
]  # fmt: skip


@pytest.mark.parametrize(("occ_id", "due", "nominal"), FIXED_CASES)
def test_shift_rules(
    test_catalogue: CatalogueSet, calendar: WorkingCalendar, occ_id: str, due: date, nominal: date
):
    obligation_id, period = split_occurrence_id(occ_id)
    obligation = test_catalogue.obligation(obligation_id)
    assert obligation is not None
    occ = occurrence(obligation, period, calendar)
    assert (occ.due, occ.nominal) == (due, nominal)


# -- overrides --------------------------------------------------------------------------------


def test_override_wins_and_keeps_the_rule_date(
    test_catalogue: CatalogueSet, calendar: WorkingCalendar
):
    overrides = test_catalogue.overrides
    ob = test_catalogue.obligation("dzien-6@ops")
    assert ob is not None
    occ = occurrence(ob, Period.parse("2025-12"), calendar, overrides)
    assert occ.due == D(2026, 1, 20)
    assert occ.nominal == D(2026, 1, 6)
    assert occ.override is not None
    lines = trail_lines(trail(occ, calendar))
    assert "Termin wynikający z reguły: środa, 7 stycznia 2026 r." in lines
    assert (
        "Termin zmieniony na: wtorek, 20 stycznia 2026 r. — podstawa: komunikat ministra "
        "z dnia 2 stycznia 2026 r." in lines
    )
    assert lines[-1] == "Termin: wtorek, 20 stycznia 2026 r."
    assert short_explanation(occ, trail(occ, calendar)).endswith(
        "; termin zmieniony na wt 20 sty 2026: komunikat ministra z dnia 2 stycznia 2026 r."
    )
    # Without the overrides the rule's date stands.
    assert occurrence(ob, Period.parse("2025-12"), calendar).due == D(2026, 1, 7)


def test_expand_places_overridden_occurrences_on_their_new_date(
    test_catalogue: CatalogueSet, calendar: WorkingCalendar
):
    obligations = test_catalogue.obligations
    overrides = test_catalogue.overrides

    def ids(start: date, end: date) -> list[str]:
        return [o.id for o in expand(obligations, calendar, start, end, overrides)]

    assert "dzien-6@ops/2025-12" not in ids(D(2026, 1, 7), D(2026, 1, 7))
    assert "dzien-6@ops/2025-12" in ids(D(2026, 1, 20), D(2026, 1, 20))
    # An override two months after the rule's month is still found.
    assert "dzien-11@ops/2025-12" in ids(D(2026, 3, 1), D(2026, 3, 31))
    assert "dzien-11@ops/2025-12" not in ids(D(2026, 1, 1), D(2026, 1, 31))


# -- expand -----------------------------------------------------------------------------------


def test_validity_limits_whole_periods(test_catalogue: CatalogueSet, calendar: WorkingCalendar):
    # Valid from February to November 2025: Q1 starts before it, Q4 ends after it.
    ob = test_catalogue.obligation("kwartal@ops")
    assert ob is not None
    got = expand([ob], calendar, D(2024, 1, 1), D(2027, 12, 31))
    # 1 Jul 2025 is a Tuesday, 1 Oct 2025 a Wednesday: both are the 1st working day.
    assert [(o.id, o.due) for o in got] == [
        ("kwartal@ops/2025-Q2", D(2025, 7, 1)),
        ("kwartal@ops/2025-Q3", D(2025, 10, 1)),
    ]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (D(2025, 1, 1), D(2027, 12, 31)),
        (D(2026, 1, 6), D(2026, 2, 16)),
        (D(2025, 12, 24), D(2026, 1, 7)),
        (D(2026, 3, 16), D(2026, 3, 16)),
        (D(2025, 12, 1), D(2025, 12, 31)),
    ],
    ids=["three years", "6 Jan to 16 Feb", "over New Year", "one day with an override",
         "December 2025: 1 Jan 2026 moved back to 31 Dec"],
)
def test_expand_agrees_with_occurrences_one_by_one(
    catalogues: CatalogueSet,
    test_catalogue: CatalogueSet,
    calendar: WorkingCalendar,
    start: date,
    end: date,
):
    """expand() walks periods as numbers; the slow way asks every period of the years."""
    for cats in (catalogues, test_catalogue):
        expected = []
        for ob in cats.obligations:
            if ob.deadline is None:
                continue
            for year in range(start.year - 2, end.year + 1):
                for index in range(1, ob.period_kind.per_year + 1):
                    period = Period(year=year, index=index, kind=ob.period_kind)
                    if ob.applies_to(period):
                        occ = occurrence(ob, period, calendar, cats.overrides)
                        if start <= occ.due <= end:
                            expected.append(occ)
        expected.sort(key=lambda o: (o.due, o.id))
        assert expand(cats.obligations, calendar, start, end, cats.overrides) == expected
    if start == D(2025, 12, 1):
        assert "nowy-rok@ops/2025" in [o.id for o in expected]

JANUARY_2026 = [
    ("mpips-01.dzial-1@rup/2025-12", D(2026, 1, 5)),
    ("mpips-01.dzial-2@rup/2025-Q4", D(2026, 1, 5)),
    ("mpips-01.dzial-1@wup/2025-12", D(2026, 1, 7)),
    ("mpips-01.dzial-2@wup/2025-Q4", D(2026, 1, 7)),
    ("mpips-01.zal-1@rup/2025-Q4", D(2026, 1, 9)),
    ("mpips-01.zal-2@rup/2025-H2", D(2026, 1, 9)),
    ("mpips-02@rup/2025-12", D(2026, 1, 9)),
    ("mpips-01.zal-1@wup/2025-Q4", D(2026, 1, 12)),
    ("mpips-01.zal-2@wup/2025-H2", D(2026, 1, 12)),
    ("mpips-02@wup/2025-12", D(2026, 1, 13)),
    ("mpips-02.zal@rup/2025", D(2026, 1, 19)),
    ("mpips-03@ops/2025", D(2026, 1, 30)),
]
FEBRUARY_2026 = [
    ("mpips-02.zal@wup/2025", D(2026, 2, 2)),  # 31 Jan Sat -> Mon 2 Feb
    ("mpips-01.dzial-1@rup/2026-01", D(2026, 2, 3)),  # 2, 3 Feb
    ("mpips-01.dzial-1@wup/2026-01", D(2026, 2, 4)),
    ("mpips-02@rup/2026-01", D(2026, 2, 6)),  # 2-6 Feb
    ("mpips-02@wup/2026-01", D(2026, 2, 10)),  # 2-6, 9, 10 Feb
    ("mpips-03@wzps/2025", D(2026, 2, 16)),  # 15 Feb Sun -> Mon 16
]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 1, 1), D(2026, 1, 31), JANUARY_2026),
        (D(2026, 2, 1), D(2026, 2, 28), FEBRUARY_2026),
        (D(1992, 1, 1), D(1992, 1, 31), []),
        (D(2101, 1, 1), D(2101, 12, 31), []),
    ],
    ids=[
        "January 2026: twelve deadlines",
        "February 2026: monthly ones plus the two shifted annual ones",
        "January 1992: nothing yet, the act applies from the January 1992 data",
        "2101: beyond the calendar, empty rather than an error",
    ],
)
def test_expand_month(
    catalogues: CatalogueSet,
    calendar: WorkingCalendar,
    start: date,
    end: date,
    expected: list[tuple[str, date]],
):
    got = expand(catalogues.obligations, calendar, start, end, catalogues.overrides)
    assert [(o.id, o.due) for o in got] == expected


def test_expand_is_sorted_by_due_then_id(catalogues: CatalogueSet, calendar: WorkingCalendar):
    got = expand(catalogues.obligations, calendar, D(2025, 1, 1), D(2026, 12, 31))
    assert [(o.due, o.id) for o in got] == sorted((o.due, o.id) for o in got)
    assert len(got) == 2 * 74  # see test_snapshots for the per-year arithmetic


def test_expand_last_supported_month(catalogues: CatalogueSet, calendar: WorkingCalendar):
    got = expand(catalogues.obligations, calendar, D(2100, 12, 1), D(2100, 12, 31))
    # December 2100: 1 Dec is a Wednesday; 2nd, 3rd, 5th and 7th working days.
    assert [(o.id, o.due) for o in got] == [
        ("mpips-01.dzial-1@rup/2100-11", D(2100, 12, 2)),
        ("mpips-01.dzial-1@wup/2100-11", D(2100, 12, 3)),
        ("mpips-02@rup/2100-11", D(2100, 12, 7)),
        ("mpips-02@wup/2100-11", D(2100, 12, 9)),
    ]


def test_undated_obligation_has_no_occurrences(catalogues: CatalogueSet, calendar: WorkingCalendar):
    undated = [o for o in catalogues.obligations if o.deadline is None]
    assert {o.id for o in undated} == {"mpips-01.zbiorcze@wup", "mpips-01.zbiorcze@rup"}
    assert expand(undated, calendar, D(1992, 1, 1), D(2100, 12, 31)) == []
    with pytest.raises(ValueError):
        occurrence(undated[0], Period.parse("2025-10"), calendar)


# -- the trail ------------------------------------------------------------------------------


def test_trail_counts_and_skips_days(catalogues: CatalogueSet, calendar: WorkingCalendar):
    ob = catalogues.obligation("mpips-01.dzial-1@rup")
    assert ob is not None
    occ = occurrence(ob, Period.parse("2025-12"), calendar)
    t = trail(occ, calendar)
    assert t.month == (2026, 1)
    assert t.shift is None
    assert [(s.info.day.day, s.info.kind, s.count) for s in t.days] == [
        (1, DayKind.HOLIDAY, None),
        (2, DayKind.WORKING, 1),
        (3, DayKind.SATURDAY, None),
        (4, DayKind.SUNDAY, None),
        (5, DayKind.WORKING, 2),
    ]
    assert t.days[0].info.holiday == "Nowy Rok"
    assert short_explanation(occ, t) == "2. dzień roboczy miesiąca po okresie (01.2026)."


def test_trail_of_a_shifted_fixed_date(catalogues: CatalogueSet, calendar: WorkingCalendar):
    ob = catalogues.obligation("mpips-02.zal@rup")
    assert ob is not None
    occ = occurrence(ob, Period.parse("2025"), calendar)
    t = trail(occ, calendar)
    assert t.shifted and t.shift is IfNonWorking.NEXT
    assert [(s.info.day, s.info.kind) for s in t.days] == [
        (D(2026, 1, 18), DayKind.SUNDAY),
        (D(2026, 1, 19), DayKind.WORKING),
    ]
    assert t.shift_basis.startswith("art. 115 Kodeksu cywilnego")
    lines = trail_lines(t)
    assert "Data nominalna: niedziela, 18 stycznia 2026 r. — dzień wolny (niedziela)" in lines
    assert "Przesunięcie na najbliższy następny dzień roboczy:" in lines
    assert lines[-1] == "Termin: poniedziałek, 19 stycznia 2026 r."
    assert short_explanation(occ, t) == (
        "18. dzień miesiąca po okresie, a gdy to dzień wolny — najbliższy następny dzień "
        "roboczy; data nominalna niedz 18 sty 2026 (niedziela) przesunięta na pon 19 sty 2026."
    )


def test_trail_of_previous_and_keep(test_catalogue: CatalogueSet, calendar: WorkingCalendar):
    prev = test_catalogue.obligation("wigilia-wczesniej@ops")
    keep = test_catalogue.obligation("wigilia-bez-zmian@ops")
    assert prev is not None and keep is not None
    t = trail(occurrence(prev, Period.parse("2025-11"), calendar), calendar)
    assert [s.info.day for s in t.days] == [D(2025, 12, 24), D(2025, 12, 23)]
    assert "Przesunięcie na najbliższy poprzedni dzień roboczy:" in trail_lines(t)
    t = trail(occurrence(keep, Period.parse("2025-11"), calendar), calendar)
    assert not t.shifted
    assert trail_lines(t)[1] == (
        "Data nominalna: środa, 24 grudnia 2025 r. — święto: Wigilia Bożego Narodzenia; "
        "reguła nie przesuwa terminu"
    )


# -- ids ------------------------------------------------------------------------------------


def test_occurrence_ids_round_trip():
    assert occurrence_id("mpips-03@ops", Period.parse("2025")) == "mpips-03@ops/2025"
    assert split_occurrence_id("mpips-01.dzial-1@rup/2026-10") == (
        "mpips-01.dzial-1@rup",
        Period.parse("2026-10"),
    )


@pytest.mark.parametrize(
    "text", ["mpips-03@ops", "/2025", "mpips-03@ops/2025-13", "mpips-03@ops/"],
    ids=["no period", "no obligation", "bad month", "empty period"],
)  # fmt: skip
def test_bad_occurrence_ids(text: str):
    with pytest.raises(ValueError):
        split_occurrence_id(text)


def test_applies_to(catalogues: CatalogueSet):
    ob03a = catalogues.obligation("mpips-03a@ops")
    ob01 = catalogues.obligation("mpips-01.dzial-1@rup")
    assert ob03a is not None and ob01 is not None
    assert ob03a.applies_to(Period.parse("2025-H1"))
    assert not ob03a.applies_to(Period.parse("2025-H2")), "only the first half-year"
    assert not ob03a.applies_to(Period.parse("2025")), "wrong kind of period"
    assert ob01.applies_to(Period.parse("1992-01"))
    assert not ob01.applies_to(Period.parse("1991-12")), "§ 7: from the January 1992 data"

"""Reporting periods: parsing, printing, boundaries and Polish words."""

from __future__ import annotations

from datetime import date

import pytest

from terminarz.law.periods import Period, PeriodKind, iter_periods

PARSE = [
    # text, kind, index, first day, last day, words
    pytest.param("2026-10", PeriodKind.MONTH, 10, date(2026, 10, 1), date(2026, 10, 31),
                 "za październik 2026 r.", id="month"),
    pytest.param("2024-02", PeriodKind.MONTH, 2, date(2024, 2, 1), date(2024, 2, 29),
                 "za luty 2024 r.", id="February of a leap year"),
    pytest.param("2026-12", PeriodKind.MONTH, 12, date(2026, 12, 1), date(2026, 12, 31),
                 "za grudzień 2026 r.", id="December: the year ends"),
    pytest.param("2100-02", PeriodKind.MONTH, 2, date(2100, 2, 1), date(2100, 2, 28),
                 "za luty 2100 r.", id="February of 2100, not a leap year"),
    pytest.param("2026-Q3", PeriodKind.QUARTER, 3, date(2026, 7, 1), date(2026, 9, 30),
                 "za III kwartał 2026 r.", id="quarter"),
    pytest.param("2025-Q4", PeriodKind.QUARTER, 4, date(2025, 10, 1), date(2025, 12, 31),
                 "za IV kwartał 2025 r.", id="last quarter"),
    pytest.param("2026-H1", PeriodKind.HALF_YEAR, 1, date(2026, 1, 1), date(2026, 6, 30),
                 "za I półrocze 2026 r.", id="first half-year"),
    pytest.param("2025-H2", PeriodKind.HALF_YEAR, 2, date(2025, 7, 1), date(2025, 12, 31),
                 "za II półrocze 2025 r.", id="second half-year"),
    pytest.param("1992", PeriodKind.YEAR, 1, date(1992, 1, 1), date(1992, 12, 31),
                 "za 1992 r.", id="year"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind", "index", "first", "last", "words"), PARSE)
def test_parse_print_and_bounds(
    text: str, kind: PeriodKind, index: int, first: date, last: date, words: str
):
    period = Period.parse(text)
    assert (period.kind, period.index, period.year) == (kind, index, int(text[:4]))
    assert str(period) == text
    assert (period.first_day, period.last_day) == (first, last)
    assert period.for_words() == words


@pytest.mark.parametrize(
    "text",
    ["2026-13", "2026-00", "2026-Q5", "2026-Q0", "2026-H3", "26-01", "2026-1", "2026/01", "", "x",
     "2026-", "2026-Q", "2026-q3", "2026-h1", "2026-100", "2026-10-01", "12026", "2026 -10",
     "2026-1a", "-2026"],
)  # fmt: skip
def test_parse_rejects(text: str):
    with pytest.raises(ValueError):
        Period.parse(text)


def test_index_is_checked():
    with pytest.raises(ValueError):
        Period(year=2026, index=5, kind=PeriodKind.QUARTER)


NEXT_AND_MONTH_AFTER = [
    # period, next period, month after (k=1), month after (k=2)
    pytest.param("2025-12", "2026-01", (2026, 1), (2026, 2), id="December rolls the year"),
    pytest.param("2026-Q1", "2026-Q2", (2026, 4), (2026, 5), id="Q1 -> April"),
    pytest.param("2025-Q4", "2026-Q1", (2026, 1), (2026, 2), id="Q4 -> January"),
    pytest.param("2026-H1", "2026-H2", (2026, 7), (2026, 8), id="H1 -> July"),
    pytest.param("2025-H2", "2026-H1", (2026, 1), (2026, 2), id="H2 -> January"),
    pytest.param("2025", "2026", (2026, 1), (2026, 2), id="year -> January, February"),
]


@pytest.mark.parametrize(("text", "nxt", "after1", "after2"), NEXT_AND_MONTH_AFTER)
def test_next_and_month_after(
    text: str, nxt: str, after1: tuple[int, int], after2: tuple[int, int]
):
    period = Period.parse(text)
    assert str(period.next()) == nxt
    assert period.next().ordinal() == period.ordinal() + 1
    assert period.month_after(1) == after1
    assert period.month_after(2) == after2


def test_month_after_twelve_months():
    assert Period.parse("2026-03").month_after(12) == (2027, 3)


@pytest.mark.parametrize(
    ("kind", "day", "expected"),
    [
        (PeriodKind.MONTH, date(2026, 10, 31), "2026-10"),
        (PeriodKind.QUARTER, date(2026, 10, 1), "2026-Q4"),
        (PeriodKind.QUARTER, date(2026, 6, 30), "2026-Q2"),
        (PeriodKind.HALF_YEAR, date(2026, 7, 1), "2026-H2"),
        (PeriodKind.YEAR, date(2026, 7, 1), "2026"),
    ],
    ids=["month", "quarter start", "quarter end", "half start", "year"],
)
def test_containing(kind: PeriodKind, day: date, expected: str):
    assert str(Period.containing(kind, day)) == expected


def test_iter_periods_inclusive():
    got = [str(p) for p in iter_periods(Period.parse("2025-Q3"), Period.parse("2026-Q2"))]
    assert got == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert list(iter_periods(Period.parse("2026"), Period.parse("2025"))) == []


def test_kind_properties():
    assert [k.per_year for k in PeriodKind] == [12, 4, 2, 1]
    assert [k.polish for k in PeriodKind] == ["miesiąc", "kwartał", "półrocze", "rok"]


def test_parse_reads_what_the_period_pattern_matches():
    """Parsing by string methods accepts exactly what the pattern
    ``^(\\d{4})(?:-(?:(\\d{2})|Q([1-4])|H([12])))?$`` matches (after stripping blanks), with
    the same fields: every combination of a few pieces, Unicode digits included."""
    import itertools
    import re

    pattern = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])|H([12])))?$")
    pieces = ["", "2026", "202", "\u0662\u0660\u0662\u0666", "-", "Q", "H", "q", "0", "1", "3",
              "5", "12", "13", " ", "x"]  # fmt: skip
    for parts in itertools.product(pieces, repeat=3):
        text = "".join(parts)
        m = pattern.match(text.strip())
        if m is None or (m[2] is not None and not 1 <= int(m[2]) <= 12):
            with pytest.raises(ValueError):
                Period.parse(text)
            continue
        index = int(m[2] or m[3] or m[4] or 1)
        kind = (PeriodKind.MONTH if m[2] else PeriodKind.QUARTER if m[3]
                else PeriodKind.HALF_YEAR if m[4] else PeriodKind.YEAR)  # fmt: skip
        assert Period.parse(text) == Period(year=int(m[1]), index=index, kind=kind), text

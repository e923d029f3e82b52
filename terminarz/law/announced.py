"""Dates announced per period: the window they usually fall in, and the periods still without one.

A period of an ``announced`` obligation with no known date is never given a
guessed date. It is listed as an :class:`UndatedOccurrence` with the *window*
in which the known years' dates fell: the earliest and the latest number of
days after the period's end among every known date of that obligation (so
20 January and 9 February of the next year, for a yearly report with those two
known dates). Without a known date the window is unknown.

An announced date is the deadline as announced: when it falls on a Saturday,
Sunday or holiday it stays there, and :func:`planning_day` gives the previous
working day to plan for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from pathlib import Path

from terminarz.errors import CalendarRangeError
from terminarz.law.periods import Period
from terminarz.law.rules import AnnouncedDate, Obligation, Occurrence, occurrence_id
from terminarz.law.workdays import WorkingCalendar
from terminarz.records import Record

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from terminarz.errors import Problem
    from terminarz.law.catalogue import Catalogue

FIND_DATE_LEAD = 10  # working days before the window opens: the "ustal termin" task


class Window(Record):
    """Days after a period's end in which the known dates fell (inclusive)."""

    first: int
    last: int
    known: int  # how many known dates it was learnt from

    def for_period(self, period: Period) -> tuple[date, date]:
        end = period.last_day
        return end + timedelta(days=self.first), end + timedelta(days=self.last)


class UndatedOccurrence(Record):
    """A period of an announced obligation whose date is not known yet (``due`` is None)."""

    obligation: Obligation
    period: Period
    window: tuple[date, date] | None

    due: None = None

    @property
    def id(self) -> str:
        return occurrence_id(self.obligation.id, self.period)

    @property
    def expected(self) -> date:
        """The first day the date is expected: the window's start, else the day after the
        period ends (when no year is known)."""
        if self.window is not None:
            return self.window[0]
        return self.period.last_day + timedelta(days=1)

    def window_words(self) -> str:
        """``zwykle 20.01–09.02.2027 r.`` or a note that no earlier date is known."""
        if self.window is None:
            return "brak terminów z lat poprzednich"
        first, last = self.window
        if first == last:
            return f"zwykle {first:%d.%m.%Y} r."
        return f"zwykle {first:%d.%m}–{last:%d.%m.%Y} r."


def known_periods(announced: Mapping[str, AnnouncedDate]
                  ) -> dict[str, list[tuple[Period, AnnouncedDate]]]:  # fmt: skip
    """Every announced date with its period, by obligation id (each key parsed once)."""
    known: dict[str, list[tuple[Period, AnnouncedDate]]] = {}
    for key, found in announced.items():
        obligation_id, _, period_text = key.rpartition("/")
        known.setdefault(obligation_id, []).append((Period.parse(period_text), found))
    return known


def learn_windows(
    obligations: Iterable[Obligation], announced: Mapping[str, AnnouncedDate],
    known: Mapping[str, list[tuple[Period, AnnouncedDate]]] | None = None,
) -> dict[str, Window]:  # fmt: skip
    """The window of every obligation with at least one known date, by obligation id
    (``known``: :func:`known_periods` of ``announced``, when already made)."""
    wanted = {o.id for o in obligations}
    windows = {}
    for oid, dates in (known_periods(announced) if known is None else known).items():
        if oid in wanted:
            days = [(found.due - period.last_day).days for period, found in dates]
            windows[oid] = Window(first=min(days), last=max(days), known=len(days))
    return windows


def first_listed(
    obligation: Obligation, known: Mapping[str, list[tuple[Period, AnnouncedDate]]]
) -> Period | None:
    """The first period listed while undated: ``undated_from``, else the first known one
    (``known``: :func:`known_periods` of the announced dates).

    Periods before it are not tracked by the catalogue (no guess is made about them).
    """
    if obligation.undated_from is not None:
        return obligation.undated_from
    dates = known.get(obligation.id)
    return min(period for period, _ in dates) if dates else None


def undated(
    obligations: Iterable[Obligation],
    start: date,
    end: date,
    announced: Mapping[str, AnnouncedDate],
) -> list[UndatedOccurrence]:
    """Periods without a date whose window (else the day after the period) meets [start, end].

    Only ``announced`` obligations count; each period must apply (validity,
    ``periods``) and lie at or after :func:`first_listed`. Sorted by the expected
    day, then id.
    """
    chosen = [o for o in obligations if o.announced]
    known = known_periods(announced)
    windows = learn_windows(chosen, announced, known)
    result = []
    for obligation in chosen:
        first = first_listed(obligation, known)
        if first is None:
            continue
        window = windows.get(obligation.id)
        reach = window.last if window is not None else 1
        period = Period.containing(obligation.period_kind, first.first_day)
        last = Period.containing(obligation.period_kind, end)
        if start.toordinal() > reach:  # a period ending over `reach` days before start is out
            period = max(period, Period.containing(obligation.period_kind,
                                                   start - timedelta(days=reach)))  # fmt: skip
        while period <= last:
            if period.last_day + timedelta(days=reach) >= start and obligation.applies_to(period):
                key = occurrence_id(obligation.id, period)
                span = window.for_period(period) if window is not None else None
                lo, hi = span if span is not None else (period.last_day + timedelta(days=1),) * 2
                if key not in announced and lo <= end and hi >= start:
                    result.append(UndatedOccurrence(obligation=obligation, period=period,
                                                    window=span))  # fmt: skip
            period = period.next()
    result.sort(key=lambda u: (u.expected, u.id))
    return result


def find_date_day(item: UndatedOccurrence, calendar: WorkingCalendar) -> date | None:
    """The day of the ``#termin`` task: :data:`FIND_DATE_LEAD` working days before the
    window opens (without a window, before the day after the period ends); None
    outside the calendar's years."""
    try:
        return calendar.add_working_days(item.expected, -FIND_DATE_LEAD)
    except CalendarRangeError:
        return None


def planning_day(occ: Occurrence, calendar: WorkingCalendar) -> date | None:
    """For an announced date on a day off: the previous working day; else None."""
    if occ.announced is None:
        return None
    try:
        if calendar.is_working_day(occ.due):
            return None
        return calendar.previous_working_day(occ.due)
    except CalendarRangeError:
        return None


def missing_dates(
    catalogues: list[Catalogue], today: date, wanted: set[str] | None = None
) -> list[Problem]:
    """A warning for every period whose date is expected within a year of ``today`` and not
    known yet (``wanted``: only these obligation ids)."""
    from terminarz.errors import Problem, Severity
    from terminarz.law.catalogue import CatalogueSet

    merged = CatalogueSet(catalogues=tuple(catalogues))
    chosen = [o for o in merged.obligations if wanted is None or o.id in wanted]
    where = {o.id: c.path for c in catalogues for o in c.obligations}
    found = undated(chosen, today, today + timedelta(days=365), merged.announced)
    texts: dict[Path, list[str]] = {}

    def line_of(oid: str) -> int | None:
        path = where.get(oid)
        if path is None:
            return None
        lines = texts.setdefault(path, path.read_text(encoding="utf-8").splitlines())
        needle = f'id = "{oid}"'
        return next((i for i, text in enumerate(lines, 1) if text.strip() == needle), None)

    return [
        Problem(
            message=f"brak terminu za okres {u.period} ({u.window_words()}) — ogłoszony termin "
            "należy wpisać w [[announced]] (katalog, harmonogram wojewody albo plik terminów "
            "instytucji)",
            path=where.get(u.obligation.id), line=line_of(u.obligation.id), entry=u.id,
            field="announced", severity=Severity.WARNING,
        )
        for u in found
    ]  # fmt: skip

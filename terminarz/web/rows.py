"""What the pages show, as plain values (no Flask): roles, rows, tables, the month grid, CSV.

Everything is computed from a :class:`~terminarz.org.plan.Setup` that already holds
what people recorded in the store (:func:`terminarz.notify.recorded.recorded_setup`),
the store's confirmations and ``today`` — so the pages agree with ``due``, ``who``,
the feeds and the mails.
"""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from terminarz.errors import CalendarRangeError
from terminarz.law.workdays import WorkingCalendar
from terminarz.org.datarequests import Task, TaskKind
from terminarz.org.organisation import Organisation
from terminarz.org.plan import PendingOccurrence, PlannedOccurrence, Setup
from terminarz.polish import (
    MONTHS_NOMINATIVE,
    WEEKDAYS_SHORT,
    date_words,
    days_left_words,
    long_date,
    short_date,
)
from terminarz.store.base import Confirmation

WARSAW = ZoneInfo("Europe/Warsaw")
AHEAD_DAYS = 60  # "Moje terminy": the next 60 days
BACK_DAYS = 90  # overdue and recently confirmed look this far back
TABLE_DAYS = 42  # "Dział" / "Ośrodek": the coming six weeks


def stamp_words(text: str) -> str:
    """A stored moment (ISO 8601) as ``22 czerwca 2026 r., 09:30`` in Europe/Warsaw."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(WARSAW)
    return f"{date_words(moment.date())}, {moment:%H:%M}"


# -- who acts on what --------------------------------------------------------------------


def directors(organisation: Organisation) -> frozenset[str]:
    """The fallbacks of the duties: they designate (II.5) and see the whole institution."""
    return frozenset(d.fallback for d in organisation.duties)


def headed_units(organisation: Organisation, person: str) -> list[str]:
    return [u.id for u in organisation.units if u.head == person]


def may_see_person(organisation: Organisation, me: str, other: str) -> bool:
    """Oneself; a unit's head their unit's people; a director everyone."""
    if me == other:
        return True
    if me in directors(organisation):
        return True
    found = organisation.person(other)
    return found is not None and found.unit in headed_units(organisation, me)


def may_act(organisation: Organisation, me: str, item: PlannedOccurrence | PendingOccurrence,
            task: Task | None = None) -> bool:  # fmt: skip
    """Whether ``me`` may confirm (or undo) the report ``item`` or its ``task`` — or enter the
    announced date of a report still without one."""
    owners = task.owners if task is not None else item.owners
    if me in owners or me in directors(organisation):
        return True
    return any(may_see_person(organisation, me, o) for o in owners)


def role_words(item: PlannedOccurrence | PendingOccurrence, person: str) -> str:
    """How ``person`` is responsible for the report: primary, substitute, designated, fallback."""
    res = item.resolution
    if res is None:
        return ""
    if person in res.responsible:
        if res.designation is not None:
            return "osoba wyznaczona"
        if res.tier:
            return f"zastępstwo (grupa {res.tier + 1})"
        return "odpowiedzialność podstawowa"
    if res.needs_designation and person == res.fallback:
        return "wyznaczenie osoby — nikt nie jest dostępny"
    return ""


def task_role_words(task: Task) -> str:
    if task.kind is TaskKind.DELIVER:
        return f"dostarczenie danych ({task.unit_name})"
    return f"prośba o dane do: {task.unit_name}"


def why_words(item: PlannedOccurrence, organisation: Organisation) -> str:
    """The ``who`` trail in short: why these people."""
    res = item.resolution
    if res is None:
        return "brak przydziału w pliku organizacji"
    if res.designation is not None:
        return f"wyznaczenie: {res.designation.basis}"
    if res.needs_designation:
        away = ", ".join(organisation.person_name(p) for p in res.unavailable)
        return f"wszystkie grupy nieobecne ({away}) — wymaga wyznaczenia"
    if res.substitute:
        away = ", ".join(organisation.person_name(p) for p in res.unavailable)
        return f"zastępstwo — nieobecni: {away}"
    return "grupa podstawowa"


def status_words(item_id: str, due: date, today: date,
                 confirmations: Mapping[str, Confirmation], *,
                 needs_designation: bool = False) -> tuple[str, str]:  # fmt: skip
    """``(key, words)``: confirmed, late, needs designation or open."""
    if item_id in confirmations:
        return "done", "✔ potwierdzone"
    if needs_designation:
        return "designate", "wymaga wyznaczenia"
    if due < today:
        return "late", "po terminie"
    return "open", "oczekuje"


# -- rows of "Moje terminy" ----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskLine:
    id: str
    words: str
    date: str
    mine: bool
    done: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One thing to do: a report (``task`` None) or an internal task of one."""

    id: str
    title: str
    period: str
    due: date
    due_words: str
    days: str
    basis: str
    role: str
    confirmation: Confirmation | None
    button: str
    planning: str = ""
    tasks: tuple[TaskLine, ...] = ()
    is_task: bool = False
    designate: bool = False  # nobody is available and this person designates (II.5)

    @property
    def anchor(self) -> str:
        return "r-" + "".join(c if c.isalnum() else "-" for c in self.id)


def left_words(calendar: WorkingCalendar | None, today: date, day: date) -> str:
    """How far ``day`` is, as everywhere else (``due``, feeds): working days, calendar days
    in brackets — ``za 10 dni rob. (14 dni)``; calendar days only without a calendar."""
    working = None
    if calendar is not None:
        try:
            working = calendar.working_days_left(today, day)
        except CalendarRangeError:
            working = None
    return days_left_words(working, (day - today).days)


def _title(item: PlannedOccurrence) -> str:
    ob = item.occurrence.obligation
    return f"{ob.label} — {ob.title}"


def report_row(item: PlannedOccurrence, person: str, today: date,
               confirmations: Mapping[str, Confirmation],
               calendar: WorkingCalendar | None = None) -> Row:  # fmt: skip
    due = item.due
    return Row(
        id=item.id, title=_title(item), period=item.occurrence.period.words(), due=due,
        due_words=long_date(due), days=left_words(calendar, today, due),
        basis=str(item.occurrence.obligation.basis), role=role_words(item, person),
        confirmation=confirmations.get(item.id), button="Potwierdź wysłanie",
        planning=long_date(item.planning_date) if item.planning_date else "",
        designate=bool(item.resolution and item.resolution.needs_designation
                       and item.resolution.fallback == person),
        tasks=tuple(
            TaskLine(id=t.id, words=t.summary(), date=long_date(t.working_date),
                     mine=person in t.owners, done=t.id in confirmations)
            for t in item.tasks
        ),
    )  # fmt: skip


def task_row(item: PlannedOccurrence, task: Task, today: date,
             confirmations: Mapping[str, Confirmation],
             calendar: WorkingCalendar | None = None) -> Row:  # fmt: skip
    return Row(
        id=task.id, title=f"{task.summary()}", period=item.occurrence.period.words(),
        due=task.due, due_words=long_date(task.working_date),
        days=left_words(calendar, today, task.working_date),
        basis=task.data, role=task_role_words(task), confirmation=confirmations.get(task.id),
        button="Dane dostarczone" if task.kind is TaskKind.DELIVER else "Prośba wysłana",
        is_task=True,
    )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class UndatedRow:
    """A report whose date is announced per period and not known yet (never guessed)."""

    id: str
    title: str
    period: str
    window: str  # when the known years' dates fell: "zwykle 20.07–23.07.2026 r."
    basis: str
    role: str
    find_by: str = ""  # the day of the "#termin" task: find the date out by then
    days: str = ""

    @property
    def anchor(self) -> str:
        return "u-" + "".join(c if c.isalnum() else "-" for c in self.id)


def undated_rows(items: Iterable[PendingOccurrence], person: str, today: date,
                 calendar: WorkingCalendar | None = None) -> list[UndatedRow]:  # fmt: skip
    """``person``'s reports still without a date (responsible for them or for finding the
    date out), in the order of the day their date is expected."""
    rows = []
    for item in items:
        if person not in item.people():
            continue
        waiting, task = item.undated, item.task
        ob = waiting.obligation
        rows.append(UndatedRow(
            id=item.id, title=f"{ob.label} — {ob.title}", period=waiting.period.words(),
            window=waiting.window_words(), basis=str(ob.basis),
            role=role_words(item, person) or "ustalenie terminu",
            find_by=long_date(task.working_date) if task is not None else "",
            days=left_words(calendar, today, task.working_date) if task is not None else "",
        ))  # fmt: skip
    return rows


@dataclass(frozen=True, slots=True, kw_only=True)
class MyDeadlines:
    overdue: list[Row] = field(default_factory=list)
    upcoming: list[Row] = field(default_factory=list)
    confirmed: list[Row] = field(default_factory=list)
    undated: list[UndatedRow] = field(default_factory=list)


def my_deadlines(items: Iterable[PlannedOccurrence], person: str, today: date,
                 confirmations: Mapping[str, Confirmation],
                 calendar: WorkingCalendar | None = None) -> MyDeadlines:  # fmt: skip
    """``person``'s reports and tasks: overdue, the next 60 days, recently confirmed."""
    result = MyDeadlines()
    start, end = today - timedelta(days=BACK_DAYS), today + timedelta(days=AHEAD_DAYS)
    rows: list[Row] = []
    for item in items:
        if person in item.owners and start <= item.due <= end:
            rows.append(report_row(item, person, today, confirmations, calendar))
        for task in item.tasks:
            if person in task.owners and start <= task.due <= end and person not in item.owners:
                rows.append(task_row(item, task, today, confirmations, calendar))
    rows.sort(key=lambda r: (r.due, r.id))
    for row in rows:
        if row.confirmation is not None:
            (result.upcoming if row.due >= today else result.confirmed).append(row)
        elif row.due < today:
            result.overdue.append(row)
        else:
            result.upcoming.append(row)
    result.confirmed.reverse()
    return result


# -- "Dział" and "Ośrodek" ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TableRow:
    id: str
    due: date
    due_words: str
    title: str
    period: str
    who: str
    why: str
    status_key: str
    status: str

    def csv_values(self) -> list[str]:
        return [self.due.isoformat(), self.id, self.title, self.period, self.who, self.why,
                self.status]  # fmt: skip


CSV_HEADER = ["termin", "wystąpienie", "sprawozdanie", "okres", "kto", "dlaczego", "stan"]


def table_rows(items: Iterable[PlannedOccurrence], organisation: Organisation, today: date,
               confirmations: Mapping[str, Confirmation]) -> list[TableRow]:  # fmt: skip
    rows = []
    for item in items:
        res = item.resolution
        key, words = status_words(item.id, item.due, today, confirmations,
                                  needs_designation=bool(res and res.needs_designation))
        who = ", ".join(organisation.person_name(p) for p in item.owners) or "—"
        rows.append(TableRow(
            id=item.id, due=item.due, due_words=short_date(item.due), title=_title(item),
            period=item.occurrence.period.words(), who=who,
            why=why_words(item, organisation), status_key=key, status=words,
        ))  # fmt: skip
        for task in item.tasks:
            if not task.owners:
                continue
            key, words = status_words(task.id, task.due, today, confirmations)
            rows.append(TableRow(
                id=task.id, due=task.due, due_words=short_date(task.working_date),
                title=task.summary(), period=item.occurrence.period.words(),
                who=", ".join(organisation.person_name(p) for p in task.owners),
                why=task_role_words(task), status_key=key, status=words,
            ))  # fmt: skip
    rows.sort(key=lambda r: (r.due, r.id))
    return rows


def csv_text(rows: Sequence[TableRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(row.csv_values())
    return out.getvalue()


# -- the month -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Day:
    day: date
    in_month: bool
    today: bool
    working: bool
    note: str  # holiday or day off
    entries: tuple[str, ...]

    @property
    def weekday(self) -> str:
        return WEEKDAYS_SHORT[self.day.weekday()]


@dataclass(frozen=True, slots=True, kw_only=True)
class Month:
    year: int
    month: int
    title: str
    weeks: tuple[tuple[Day, ...], ...]
    previous: str
    next: str


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def parse_month(text: str | None, today: date) -> tuple[int, int]:
    if text:
        try:
            year, month = (int(x) for x in text.split("-"))
            if 1991 <= year <= 2099 and 1 <= month <= 12:
                return year, month
        except ValueError:
            pass
    return today.year, today.month


def month_grid(setup: Setup, items: Iterable[PlannedOccurrence], year: int, month: int, *,
               today: date, people: frozenset[str] | None) -> Month:  # fmt: skip
    """The weeks of a month (Monday first) with what is due each day; ``people`` limits the
    entries to what they act on (None: everything)."""
    by_day: dict[date, list[str]] = {}
    for item in items:
        if people is None or people & set(item.owners):
            words = f"{_title(item)} ({item.occurrence.period.words()})"
            by_day.setdefault(item.due, []).append(words)
        for task in item.tasks:
            if people is None or people & set(task.owners):
                by_day.setdefault(task.working_date, []).append(task.summary())
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        days = []
        for day in week:
            info = setup.institution.day_info(day)
            note = info.holiday or info.day_off or ""
            days.append(Day(day=day, in_month=day.month == month, today=day == today,
                            working=info.working, note=note,
                            entries=tuple(by_day.get(day, ()))))  # fmt: skip
        weeks.append(tuple(days))
    prev_y, prev_m = (year, month - 1) if month > 1 else (year - 1, 12)
    next_y, next_m = (year, month + 1) if month < 12 else (year + 1, 1)
    return Month(year=year, month=month, title=f"{MONTHS_NOMINATIVE[month - 1]} {year}",
                 weeks=tuple(weeks), previous=month_key(prev_y, prev_m),
                 next=month_key(next_y, next_m))  # fmt: skip


def month_span(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    return first - timedelta(days=7), last + timedelta(days=7)

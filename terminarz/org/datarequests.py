"""Data requests (II.4): the internal tasks before a report.

The written request itself (pismo) is rendered by :mod:`terminarz.notify.letters`.

When a report needs data held by another unit or an outside body, the person
handling the report asks for it in writing and sets a delivery deadline. For
every input of a duty and every occurrence there are two dated tasks:

* ``<occurrence-id>#prosba:<unit>`` — send the written request, ``request_days``
  working days before the due date; owners: the people responsible for the report
  *on that day* (the duty resolved for that one working day of the institution: the
  regular owner when at work that day, else the substitute tier, a designated
  person or the fallback);
* ``<occurrence-id>#dane:<unit>`` — deliver the data, ``deliver_days`` working
  days before the due date; owner: the unit's head (an outside body has no
  owner here, only its ``email``).

Nobody asks themselves for data (the substitution of II.4): when a person of the
delivering unit is among those responsible for the report on its due date (its
people substitute, or it is the report's own unit), neither task exists — the data
are part of that unit's work; when a person of the delivering unit is responsible on
the request day only, there is no request (it would go to its own unit) and the
delivery stays. What is left out is kept as a :class:`NoTask` with the reason, so
``who`` can say why.

A period of an announced obligation without a date yet has one task instead,
``<occurrence-id>#termin`` — find out the date ("ustal termin"), ten working
days before the window in which the date usually falls opens; owners: the
people responsible on that day.

Days are counted on the statutory calendar, like the deadline itself; when a
task's date is an institution day off, it carries a planning date — the
previous day the institution works.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from terminarz.errors import CalendarRangeError
from terminarz.law.announced import UndatedOccurrence, find_date_day
from terminarz.law.rules import Occurrence
from terminarz.law.workdays import WorkingCalendar
from terminarz.org.organisation import Duty, Input, Organisation
from terminarz.polish import short_date
from terminarz.records import Record

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from terminarz.org.duties import Resolution


class TaskKind(StrEnum):
    REQUEST = "request"  # send the written request for data
    DELIVER = "deliver"  # deliver the data
    FIND_DATE = "find_date"  # find out the date of an announced deadline ("ustal termin")

    @property
    def tag(self) -> str:
        """The part of the task id: ``prosba``, ``dane`` or ``termin``."""
        return _TAGS[self]

    @property
    def polish(self) -> str:
        return _POLISH[self]


_TAGS = {TaskKind.REQUEST: "prosba", TaskKind.DELIVER: "dane", TaskKind.FIND_DATE: "termin"}
_POLISH = {
    TaskKind.REQUEST: "wysłanie prośby o dane",
    TaskKind.DELIVER: "dostarczenie danych",
    TaskKind.FIND_DATE: "ustalenie terminu",
}


class Task(Record):
    """One internal, dated task derived from an occurrence and an input of its duty."""

    id: str
    kind: TaskKind
    occurrence_id: str
    unit: str  # the input's id: an internal unit id or an outside body's id
    unit_name: str
    data: str
    due: date
    planning_date: date | None
    owners: tuple[str, ...]
    email: str | None = None  # the outside body's address
    external: bool = False
    why: str = ""  # who acts and why, in Polish (the request: who is responsible that day)

    @property
    def working_date(self) -> date:
        """The day to act on: the planning date when the institution is closed on ``due``."""
        return self.planning_date or self.due

    def summary(self) -> str:
        """Polish one-liner: ``Prośba o dane do: Dział … (mpips-03@ops/2026)``."""
        if self.kind is TaskKind.REQUEST:
            return f"Wysłać pisemną prośbę o dane do: {self.unit_name} ({self.occurrence_id})"
        if self.kind is TaskKind.FIND_DATE:
            return (f"Ustalić termin sprawozdania ({self.occurrence_id}) — data nie została "
                    f"jeszcze ogłoszona; {self.data}")  # fmt: skip
        return f"Dostarczyć dane: {self.unit_name} → {self.occurrence_id}"


class NoTask(Record):
    """A task of II.4 left out because its unit would ask or supply itself, and why."""

    id: str
    kind: TaskKind
    unit: str
    unit_name: str
    reason: str  # Polish, for ``who`` and ``explain``


def task_id(occurrence_id: str, kind: TaskKind, unit: str) -> str:
    if kind is TaskKind.FIND_DATE:
        return f"{occurrence_id}#{kind.tag}"
    return f"{occurrence_id}#{kind.tag}:{unit}"


def split_task_id(text: str) -> tuple[str, TaskKind, str]:
    """``mpips-03@ops/2025#dane:dokip`` → (occurrence id, kind, unit); ``ValueError`` otherwise.

    ``mrips-03-r@ops/2026#termin`` (find the date) has no unit: it comes back as "".
    """
    occurrence_id, sep, rest = text.partition("#")
    if sep and occurrence_id and rest == TaskKind.FIND_DATE.tag:
        return occurrence_id, TaskKind.FIND_DATE, ""
    tag, sep2, unit = rest.partition(":")
    kinds = {k.tag: k for k in TaskKind if k is not TaskKind.FIND_DATE}
    if not sep or not sep2 or tag not in kinds or not unit or not occurrence_id:
        raise ValueError(f"not a task id: {text!r}")
    return occurrence_id, kinds[tag], unit


def planning_date(day: date, institution: WorkingCalendar) -> date | None:
    """The previous day the institution works, when it does not work on ``day``; else None."""
    try:
        if institution.is_working_day(day):
            return None
        return institution.previous_working_day(day)
    except CalendarRangeError:
        return None


def find_date_task(
    item: UndatedOccurrence,
    owners: tuple[str, ...],
    statutory: WorkingCalendar,
    institution: WorkingCalendar,
) -> Task | None:
    """The ``<occurrence>#termin`` task: find out the date, :data:`FIND_DATE_LEAD` working
    days before the window in which it usually falls opens; None outside 1990–2100."""
    due = find_date_day(item, statutory)
    if due is None:
        return None
    return Task(
        id=task_id(item.id, TaskKind.FIND_DATE, ""), kind=TaskKind.FIND_DATE,
        occurrence_id=item.id, unit="", unit_name="", data=item.window_words(), due=due,
        planning_date=planning_date(due, institution), owners=owners,
    )  # fmt: skip


def input_name(item: Input, organisation: Organisation) -> str:
    if item.unit is not None:
        unit = organisation.unit(item.unit)
        return unit.name if unit else item.unit
    return item.name


def request_resolution(
    occurrence: Occurrence,
    duty: Duty,
    organisation: Organisation,
    institution: WorkingCalendar,
    day: date,
    *,
    today: date,
) -> Resolution:
    """Who sends a written request due on ``day``: ``duty`` resolved for that one working day
    of the institution (the previous one it works when closed on ``day``) — the regular owner
    when at work that day, else the next tier, a designation covering the day, or the
    fallback."""
    from terminarz.org.duties import resolve

    stand_in = Occurrence(obligation=occurrence.obligation, period=occurrence.period,
                          nominal=day, due=day)  # fmt: skip
    return resolve(stand_in, duty._replace(prepare_days=1), organisation,
                   institution, today=today)  # fmt: skip


def units_of(people: tuple[str, ...], organisation: Organisation) -> set[str]:
    """The units of ``people`` (a person not in the file has none)."""
    found = (organisation.person(p) for p in people)
    return {person.unit for person in found if person is not None}


def tasks_for(
    occurrence: Occurrence,
    duty: Duty,
    resolution: Resolution | None,
    organisation: Organisation,
    statutory: WorkingCalendar,
    institution: WorkingCalendar,
    *,
    today: date,
) -> tuple[tuple[Task, ...], tuple[NoTask, ...]]:
    """The request and delivery tasks of every input of ``duty``, in input order, and the
    tasks left out because a unit would ask or supply itself (see the module docstring).

    ``resolution`` is who handles the report (on its due date); the request's owners are
    resolved for the request's own day.
    """
    tasks: list[Task] = []
    left_out: list[NoTask] = []
    doing = units_of(resolution.responsible, organisation) if resolution is not None else set()
    for item in duty.inputs:
        name = input_name(item, organisation)
        if item.unit is not None and item.unit in doing:
            assert resolution is not None
            how = f" ({resolution.status})" if resolution.status else ""
            reason = (f"dane ma {name} — ten dział prowadzi sprawozdanie{how}, więc nie prosi "
                      "sam siebie o dane ani ich sobie nie dostarcza; dane są częścią jego "
                      "pracy")  # fmt: skip
            left_out += [NoTask(id=task_id(occurrence.id, kind, item.id), kind=kind,
                                unit=item.id, unit_name=name, reason=reason)
                         for kind in (TaskKind.REQUEST, TaskKind.DELIVER)]  # fmt: skip
            continue
        head: tuple[str, ...] = ()
        if item.unit is not None:
            unit = organisation.unit(item.unit)
            head = (unit.head,) if unit is not None and unit.head else ()
        for kind, days in ((TaskKind.REQUEST, item.request_days),
                           (TaskKind.DELIVER, item.deliver_days)):  # fmt: skip
            try:
                due = statutory.add_working_days(occurrence.due, -days)
            except CalendarRangeError:
                continue  # before 1990: no task
            planning = planning_date(due, institution)
            owners, why = head, ""
            if kind is TaskKind.REQUEST:
                sender = request_resolution(occurrence, duty, organisation, institution,
                                            planning or due, today=today)  # fmt: skip
                owners, why = sender.owners, _sender_words(sender, organisation, planning or due)
                if item.unit is not None and item.unit in units_of(sender.responsible,
                                                                   organisation):
                    left_out.append(NoTask(
                        id=task_id(occurrence.id, kind, item.id), kind=kind, unit=item.id,
                        unit_name=name,
                        reason=f"w dniu wysłania prośby ({short_date(planning or due)}) "
                        f"sprawozdanie prowadzi {name} — ten sam dział, który dostarcza dane, "
                        "więc prośby do samego siebie nie ma; zostaje dostarczenie danych",
                    ))  # fmt: skip
                    continue
            tasks.append(Task(
                id=task_id(occurrence.id, kind, item.id), kind=kind,
                occurrence_id=occurrence.id, unit=item.id, unit_name=name, data=item.data,
                due=due, planning_date=planning, owners=owners,
                email=item.email, external=item.external, why=why,
            ))  # fmt: skip
    return tuple(tasks), tuple(left_out)


def _sender_words(sender: Resolution, organisation: Organisation, day: date) -> str:
    """Who sends the request and why: ``prośbę wysyła osoba odpowiedzialna w dniu jej wysłania
    (pt 9 kwi 2027), grupa podstawowa: …``."""
    who = ", ".join(f"{organisation.person_name(p)} ({p})" for p in sender.owners)
    when = f"({short_date(day)})"
    if sender.needs_designation:
        return (f"w dniu wysłania prośby {when} nikt z grup nie jest w pracy — prośbę wysyła "
                f"osoba wyznaczająca zastępstwo na podstawie {organisation.designation_basis}: "
                f"{who}")  # fmt: skip
    if sender.designation is not None:
        how = "wyznaczenie"
    elif sender.substitute:
        how = f"zastępstwo — grupa zastępcza nr {sender.tier}"
    else:
        how = "grupa podstawowa"
    one = ("osoba odpowiedzialna" if len(sender.owners) == 1
           else "jedna z osób odpowiedzialnych")  # fmt: skip
    return f"prośbę wysyła {one} w dniu jej wysłania {when}, {how}: {who}"

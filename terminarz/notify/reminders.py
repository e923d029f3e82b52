"""Which reminder mails are due on a day: pure decisions over the plan and the ledger.

Every occurrence has a *timeline* of steps on the institution's working days,
counted back from the day it must be done (the due date, or its planning date
when the institution is closed on the due date):

* ``T-10``, ``T-5``, ``T-2``, ``T-0`` — the duty's ``reminders`` offsets: a
  reminder to the responsible people, or, when nobody is available, a
  "needs designation" mail to the fallback (II.5);
* ``T+1``, ``T+1+N``, … — overdue escalation from the first working day after
  the due date, every N (``[reminders] overdue_every``) working days until the
  report is confirmed: to the responsible people and, above them, the head of
  their unit (or the fallback when they are the head themselves).

On a day, each (occurrence, recipient) gets the **latest** step whose day has
come, unless that key is already in the ledger. So a run on a step's day sends
that step; a second run the same day sends nothing; after a gap of several
days only the most recent missed step is sent (catch-up) — never a flood of
stale ones; a person who becomes responsible halfway (a substitute) gets the
current step at once.

Beside the timeline:

* a handover notice (``tier-N``) to the people of a substitute tier, with the
  unavailable people of the earlier tiers in copy, once per occurrence and
  tier, from the first step's day on; a director's designation (II.5) sends the
  designated person one notice (``designated``);
* data-request tasks (II.4): ``request`` to the report's owners on the day the
  written request must go out, ``deliver`` to the delivering unit's head two
  working days before the delivery deadline and on it; both only until the
  report's own day. Outside bodies get no automatic mail — the written request
  (``terminarz request``) is how they are asked.

Confirmed occurrences get nothing. Occurrences due before the ledger's
*epoch* (the first day reminders ran from this state database) get no overdue
escalation: they predate the reminders.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from terminarz.law.workdays import WorkingCalendar
from terminarz.org.datarequests import Task, TaskKind
from terminarz.org.organisation import Organisation
from terminarz.org.plan import PendingOccurrence, PlannedOccurrence

DELIVER_OFFSETS = (2, 0)
REQUEST_OFFSETS = (0,)
TIMELINE = "termin"

Key = tuple[str, str, str, str]  # (occurrence_id, kind, step, recipient)


class MailKind(StrEnum):
    REMINDER = "reminder"
    HANDOVER = "handover"
    DESIGNATION = "designation"
    REQUEST = "request"
    DELIVER = "deliver"
    OVERDUE = "overdue"
    FIND_DATE = "find-date"
    SUMMONS = "summons"  # an upper level's summons of a late report (notify.reporting)

    @property
    def polish(self) -> str:
        return _KIND_POLISH[self]


_KIND_POLISH = {
    MailKind.REMINDER: "przypomnienie",
    MailKind.HANDOVER: "zastępstwo",
    MailKind.DESIGNATION: "wymaga wyznaczenia",
    MailKind.REQUEST: "prośba o dane",
    MailKind.DELIVER: "dostarczenie danych",
    MailKind.OVERDUE: "po terminie",
    MailKind.FIND_DATE: "ustalenie terminu",
    MailKind.SUMMONS: "wezwanie",
}
_KIND_ORDER = {kind: i for i, kind in enumerate(MailKind)}


@dataclass(frozen=True, slots=True, kw_only=True)
class DueMail:
    """One mail the day calls for.

    ``day`` is the step's own day (earlier than the run's day for a catch-up);
    ``series`` groups the keys of which only the newest pending one is worth
    sending (the timeline of one recipient, one tier's handover, one task).
    """

    planned: PlannedOccurrence
    kind: MailKind
    step: str
    recipient: str
    day: date
    series: str
    cc: tuple[str, ...] = ()
    task: Task | None = None

    @property
    def occurrence_id(self) -> str:
        return self.planned.id

    @property
    def key(self) -> Key:
        return (self.planned.id, self.kind.value, self.step, self.recipient)


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    day: date
    label: str
    overdue: bool


def anchor(item: PlannedOccurrence) -> date:
    """The day the report must be done by: the planning date when the institution is closed."""
    return item.planning_date or item.due


def timeline(
    item: PlannedOccurrence,
    calendar: WorkingCalendar,
    *,
    today: date,
    overdue_every: int,
) -> list[Step]:
    """The reminder steps (from the duty's offsets) and the overdue steps up to ``today``.

    Reminder steps lie ``n`` working days of the institution before the
    anchor; a step before the institution's first working day of the calendar
    range cannot occur. Overdue steps start on the first working day after the
    due date and repeat every ``overdue_every`` working days.
    """
    assert item.duty is not None
    end = anchor(item)
    steps = [
        Step(day=calendar.add_working_days(end, -n) if n else end, label=f"T-{n}", overdue=False)
        for n in sorted(set(item.duty.reminders), reverse=True)
    ]
    first = calendar.next_working_day(item.due)
    day, after = first, 1
    while day <= today:
        steps.append(Step(day=day, label=f"T+{after}", overdue=True))
        day = calendar.add_working_days(day, overdue_every)
        after += overdue_every
    return steps


def latest(steps: Iterable[Step], today: date) -> Step | None:
    """The newest step whose day has come (ties: the later in the list)."""
    found: Step | None = None
    for step in steps:
        if step.day <= today and (found is None or step.day >= found.day):
            found = step
    return found


def escalation(item: PlannedOccurrence, organisation: Organisation) -> tuple[str, ...]:
    """Who is told above the responsible people when a report is late: the head of each
    one's unit, or the fallback for a head (or anyone without a unit head)."""
    assert item.resolution is not None
    responsible = item.resolution.owners
    found: dict[str, None] = {}
    for pid in responsible:
        person = organisation.person(pid)
        unit = organisation.unit(person.unit) if person is not None else None
        head = unit.head if unit is not None else None
        found.setdefault(head if head and head != pid else item.resolution.fallback, None)
    return tuple(p for p in found if p not in responsible)


def decide(
    items: Iterable[PlannedOccurrence],
    *,
    organisation: Organisation,
    calendar: WorkingCalendar,
    today: date,
    ledger: Container[Key],
    confirmed: Container[str],
    overdue_every: int,
    epoch: date,
    rounds: Mapping[str, int] | None = None,
) -> list[DueMail]:
    """Every mail due on ``today`` that is not in ``ledger`` yet, in a stable order.

    ``calendar`` is the institution's working calendar; ``confirmed`` the ids of
    occurrences marked as submitted. Occurrences without a duty get no mail.
    ``rounds`` counts the returns for correction of an occurrence (by its recipient, with
    a new date): its timeline starts again, its steps labelled ``T-5/z1`` and so on.
    """
    found: list[DueMail] = []
    for item in items:
        if item.duty is None or item.resolution is None or item.id in confirmed:
            continue
        found.extend(_for_occurrence(item, organisation, calendar, today, ledger, overdue_every,
                                     epoch, (rounds or {}).get(item.id, 0)))  # fmt: skip
    found.sort(key=lambda m: (m.planned.due, m.planned.id, _KIND_ORDER[m.kind], m.step,
                              m.recipient))  # fmt: skip
    return found


def _for_occurrence(
    item: PlannedOccurrence,
    organisation: Organisation,
    calendar: WorkingCalendar,
    today: date,
    ledger: Container[Key],
    overdue_every: int,
    epoch: date,
    round_: int = 0,
) -> list[DueMail]:
    resolution = item.resolution
    assert resolution is not None
    if item.due < epoch:
        return []  # overdue before the reminders started: not this job's business
    steps = timeline(item, calendar, today=today, overdue_every=overdue_every)
    started = bool(steps) and today >= steps[0].day
    out: list[DueMail] = []

    def add(kind: MailKind, step: str, recipient: str, day: date, series: str,
            cc: tuple[str, ...] = (), task: Task | None = None) -> None:  # fmt: skip
        mail = DueMail(planned=item, kind=kind, step=step, recipient=recipient, day=day,
                       series=series, cc=cc, task=task)  # fmt: skip
        if mail.key not in ledger:
            out.append(mail)

    # The timeline: reminders (or "needs designation") before, escalation after the due date.
    step = latest(steps, today) if started else None
    if step is not None:
        owners = resolution.owners
        if step.overdue:
            kind = MailKind.OVERDUE
            recipients = owners + escalation(item, organisation)
        else:
            kind = MailKind.DESIGNATION if resolution.needs_designation else MailKind.REMINDER
            recipients = owners
        label = f"{step.label}/z{round_}" if round_ else step.label
        for person in recipients:
            add(kind, label, person, step.day, TIMELINE)

    # A substitute tier (or a designated person) took over: tell them once.
    if not started:
        pass
    elif resolution.substitute and resolution.tier is not None:
        label = f"tier-{resolution.tier}"
        cc = tuple(p for p in resolution.unavailable if p not in resolution.responsible)
        for person in resolution.responsible:
            add(MailKind.HANDOVER, label, person, steps[0].day, f"handover:{label}", cc)
    elif resolution.designation is not None:
        for person in resolution.responsible:
            add(MailKind.HANDOVER, "designated", person, steps[0].day, "handover:designated")

    # Data requests (II.4), until the report's own day.
    if today <= anchor(item):
        for task in item.tasks:
            if not task.owners:
                continue  # an outside body: asked by the written request, not by this job
            kind = MailKind.REQUEST if task.kind is TaskKind.REQUEST else MailKind.DELIVER
            offsets = REQUEST_OFFSETS if task.kind is TaskKind.REQUEST else DELIVER_OFFSETS
            day0 = task.working_date
            task_steps = [
                Step(day=calendar.add_working_days(day0, -n) if n else day0,
                     label=f"{task.unit}:T-{n}", overdue=False)
                for n in offsets
            ]  # fmt: skip
            task_step = latest(task_steps, today)
            if task_step is None:
                continue
            for person in task.owners:
                add(kind, task_step.label, person, task_step.day, f"{kind.value}:{task.unit}",
                    task=task)  # fmt: skip
    return out


def lead_days(organisation: Organisation) -> int:
    """The most working days before a due date that any mail may be due (reminders, tasks)."""
    most = 0
    for duty in organisation.duties:
        most = max(most, *duty.reminders, 0)
        for item in duty.inputs:
            most = max(most, item.request_days, item.deliver_days + max(DELIVER_OFFSETS))
    return most


# -- finding out an announced date (#termin) ----------------------------------------------

FIND_DATE_OFFSETS = (2, 0)  # working days before the #termin task's day


@dataclass(frozen=True, slots=True, kw_only=True)
class FindDateMail:
    """"Ustal termin": the date of a report the programme or the ministry announces each
    period is not known yet; its #termin task's owners are asked to find it out."""

    pending: PendingOccurrence
    step: str
    recipient: str
    day: date

    kind = MailKind.FIND_DATE
    series = "find-date"

    @property
    def occurrence_id(self) -> str:
        task = self.pending.task
        assert task is not None
        return task.id

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.occurrence_id, self.kind.value, self.step, self.recipient)


def decide_find_date(
    items: Iterable[PendingOccurrence],
    *,
    calendar: WorkingCalendar,
    today: date,
    ledger: Container[tuple[str, str, str, str]],
    confirmed: Container[str],
) -> list[FindDateMail]:
    """The #termin mails due ``today``: the latest step (two working days before the task's
    day, then on it) each owner has not had; nothing once the task is confirmed (``done
    '<id>#termin'``) or the date is known (the period is then no longer pending)."""
    out: list[FindDateMail] = []
    for item in items:
        task = item.task
        if task is None or not task.owners or task.id in confirmed:
            continue
        steps = [(calendar.add_working_days(task.working_date, -n) if n else task.working_date,
                  f"T-{n}") for n in FIND_DATE_OFFSETS]  # fmt: skip
        reached = [(day, label) for day, label in steps if day <= today]
        if not reached:
            continue
        day, label = reached[-1]
        for person in task.owners:
            mail = FindDateMail(pending=item, step=label, recipient=person, day=day)
            if mail.key not in ledger:
                out.append(mail)
    return out

"""Which reminder mails are due on a day: pure decisions over the plan and the ledger.

Every occurrence has a *timeline* of steps on the institution's working days,
counted back from the day it must be done (the due date, or its planning date
when the institution is closed on the due date):

* ``T-10``, ``T-5``, ``T-2``, ``T-0`` — the duty's ``reminders`` offsets: a
  reminder to the responsible people, or, when nobody is available, a
  "needs designation" mail to the fallback (II.5);
* ``T+1``, ``T+1+N``, … — overdue escalation from the first working day after
  the due date, then ``overdue_max`` repeats every N (``[reminders] overdue_every``)
  working days: to the responsible people and, above them, the head of their unit
  (or the fallback when they are the head themselves);
* ``M+1``, ``M+2``, … — after the last repeat, once a month (the same day of the
  month as the last repeat, or the next working day) to the fallback only, while
  the day is at most ``overdue_until`` calendar days after the due date. Then
  nothing: an escalation that never ends teaches people to ignore it.

On a day, each (occurrence, recipient) gets the **latest** step whose day has
come, unless that key is already in the ledger. So a run on a step's day sends
that step; a second run the same day sends nothing; after a gap of several
days only the most recent missed step is sent (catch-up) — never a flood of
stale ones; a person who becomes responsible halfway (a substitute) gets the
current step at once.

Beside the timeline:

* a handover notice (``tier-N``): one message to all the people of a substitute
  tier together, with the unavailable people of the earlier tiers in copy, once
  per occurrence and tier, from the first step's day until the due date (after
  it the overdue mail says who took over); a director's designation (II.5) sends
  the designated person one notice (``designated``). The ledger keeps the key of
  each person of the tier (the message's and its deliveries'), so a tier told one
  by one before is not told again;
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

from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
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
    to: tuple[str, ...] = ()  # several addressees of one message (a tier's handover)
    cc: tuple[str, ...] = ()
    task: Task | None = None
    next_day: date | None = None  # overdue: this recipient's next step (None: the last)

    @property
    def addressees(self) -> tuple[str, ...]:
        """Whom the message is addressed to (``recipient`` first)."""
        return self.to or (self.recipient,)

    @property
    def occurrence_id(self) -> str:
        return self.planned.id

    @property
    def key(self) -> Key:
        return (self.planned.id, self.kind.value, self.step, self.recipient)

    @property
    def keys(self) -> tuple[Key, ...]:
        """The key of every addressee: what the ledger holds once the message is claimed."""
        return tuple((self.planned.id, self.kind.value, self.step, p) for p in self.addressees)


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    day: date
    label: str
    overdue: bool
    monthly: bool = False  # the fallback's monthly overdue step


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalation:
    """``[reminders]`` overdue_every (working days), overdue_max (repeats after the first
    overdue mail), overdue_until (calendar days after the due date)."""

    every: int = 5
    repeats: int = 4
    until: int = 90


def anchor(item: PlannedOccurrence) -> date:
    """The day the report must be done by: the planning date when the institution is closed."""
    return item.planning_date or item.due


def timeline(
    item: PlannedOccurrence,
    calendar: WorkingCalendar,
    *,
    today: date,
    overdue_every: int,
    overdue_max: int = 4,
    overdue_until: int = 90,
) -> list[Step]:
    """The reminder steps (from the duty's offsets) and the overdue steps up to ``today``.

    Reminder steps lie ``n`` working days of the institution before the
    anchor; a step before the institution's first working day of the calendar
    range cannot occur. Overdue steps: see :func:`overdue_steps`.
    """
    assert item.duty is not None
    end = anchor(item)
    steps = [
        Step(day=calendar.add_working_days(end, -n) if n else end, label=f"T-{n}", overdue=False)
        for n in sorted(set(item.duty.reminders), reverse=True)
    ]
    policy = Escalation(every=overdue_every, repeats=overdue_max, until=overdue_until)
    steps += [s for s in overdue_steps(item.due, calendar, policy) if s.day <= today]
    return steps


def overdue_steps(due: date, calendar: WorkingCalendar, policy: Escalation) -> list[Step]:
    """Every overdue step of a report due on ``due``, a finite list.

    ``T+1`` is the first working day after ``due``; ``T+1+k·every`` for k = 1 …
    ``repeats`` follow; ``M+k`` lie k calendar months after the last of those
    (31 January + 1 month = 28 February), moved to the next working day. No step
    lies more than ``until`` calendar days after ``due`` (a step moved past that
    limit by days off is dropped).
    """
    limit = due + timedelta(days=policy.until)
    steps: list[Step] = []
    day, after = calendar.next_working_day(due), 1
    for _ in range(policy.repeats + 1):
        if day > limit:
            return steps
        steps.append(Step(day=day, label=f"T+{after}", overdue=True))
        day = calendar.add_working_days(day, policy.every)
        after += policy.every
    last = steps[-1].day
    months = 1
    while (day := calendar.on_or_after(_months_after(last, months))) <= limit:
        steps.append(Step(day=day, label=f"M+{months}", overdue=True, monthly=True))
        months += 1
    return steps


def latest(steps: Iterable[Step], today: date) -> Step | None:
    """The newest step whose day has come (ties: the later in the list)."""
    found: Step | None = None
    for step in steps:
        if step.day <= today and (found is None or step.day >= found.day):
            found = step
    return found


def escalation(item: PlannedOccurrence, organisation: Organisation,
               day: date | None = None) -> tuple[str, ...]:
    """Who is told above the responsible people when a report is late: the head of each
    one's unit, or the fallback for a head (or anyone without a unit head) — and the
    fallback, too, for a head who is away on ``day``."""
    assert item.resolution is not None
    responsible = item.resolution.owners
    fallback = item.resolution.fallback
    away = {a.person for a in (*organisation.absences, *item.resolution.absent)
            if day is not None and a.covers(day)}  # fmt: skip
    found: dict[str, None] = {}
    for pid in responsible:
        person = organisation.person(pid)
        unit = organisation.unit(person.unit) if person is not None else None
        head = unit.head if unit is not None else None
        found.setdefault(head if head and head != pid and head not in away else fallback, None)
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
    overdue_max: int = 4,
    overdue_until: int = 90,
) -> list[DueMail]:
    """Every mail due on ``today`` that is not in ``ledger`` yet, in a stable order.

    ``calendar`` is the institution's working calendar; ``confirmed`` the ids of
    occurrences marked as submitted. Occurrences without a duty get no mail.
    """
    policy = Escalation(every=overdue_every, repeats=overdue_max, until=overdue_until)
    found: list[DueMail] = []
    for item in items:
        if item.duty is None or item.resolution is None or item.id in confirmed:
            continue
        found.extend(_for_occurrence(item, organisation, calendar, today, ledger, policy,
                                     epoch))  # fmt: skip
    found.sort(key=lambda m: (m.planned.due, m.planned.id, _KIND_ORDER[m.kind], m.step,
                              m.recipient))  # fmt: skip
    return found


def _for_occurrence(
    item: PlannedOccurrence,
    organisation: Organisation,
    calendar: WorkingCalendar,
    today: date,
    ledger: Container[Key],
    policy: Escalation,
    epoch: date,
) -> list[DueMail]:
    resolution = item.resolution
    assert resolution is not None
    if item.due < epoch:
        return []  # overdue before the reminders started: not this job's business
    assert item.duty is not None
    end = anchor(item)
    steps = [
        Step(day=calendar.add_working_days(end, -n) if n else end, label=f"T-{n}", overdue=False)
        for n in sorted(set(item.duty.reminders), reverse=True)
    ]
    after = overdue_steps(item.due, calendar, policy) if today > item.due else []
    steps += [s for s in after if s.day <= today]
    started = bool(steps) and today >= steps[0].day
    out: list[DueMail] = []

    def add(kind: MailKind, step: str, recipient: str, day: date, series: str,
            cc: tuple[str, ...] = (), task: Task | None = None,
            next_day: date | None = None) -> None:  # fmt: skip
        mail = DueMail(planned=item, kind=kind, step=step, recipient=recipient, day=day,
                       series=series, cc=cc, task=task, next_day=next_day)  # fmt: skip
        if mail.key not in ledger:
            out.append(mail)

    # The timeline: reminders (or "needs designation") before, escalation after the due date.
    step = latest(steps, today) if started else None
    if step is not None:
        owners = resolution.owners
        if step.overdue:
            kind = MailKind.OVERDUE
            above = escalation(item, organisation, step.day)
            for person in _overdue_audience(step, owners + above, resolution.fallback):
                later = (s for s in after if s.day > step.day
                         and person in _overdue_audience(s, owners + above, resolution.fallback))
                add(kind, step.label, person, step.day, TIMELINE,
                    next_day=next((s.day for s in later), None))  # fmt: skip
        else:
            kind = MailKind.DESIGNATION if resolution.needs_designation else MailKind.REMINDER
            for person in owners:
                add(kind, step.label, person, step.day, TIMELINE)

    # A substitute tier (or a designated person) took over: tell them once, in one message,
    # and only while it can still be done in time (after that the overdue mail says it).
    label = None
    if not started or today > item.due:
        pass
    elif resolution.substitute and resolution.tier is not None:
        label = f"tier-{resolution.tier}"
    elif resolution.designation is not None:
        label = "designated"
    if label is not None:
        told = [p for p in resolution.responsible
                if (item.id, MailKind.HANDOVER.value, label, p) not in ledger]  # fmt: skip
        cc = tuple(p for p in resolution.unavailable if p not in resolution.responsible)
        if told:
            out.append(DueMail(planned=item, kind=MailKind.HANDOVER, step=label,
                               recipient=told[0], to=tuple(told), day=steps[0].day,
                               series=f"handover:{label}",
                               cc=cc if label != "designated" else ()))  # fmt: skip

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


def step_words(step: str) -> str:
    """A stored step key as a clerk reads it (the keys themselves stay as stored):
    ``T-10`` → "10 dni roboczych przed terminem", ``T-0`` → "w dniu terminu",
    ``T+6`` → "6 dni roboczych po terminie", ``M+2`` → "po terminie — przypomnienie
    miesięczne nr 2", ``tier-1`` → "przekazanie — grupa zastępcza nr 1",
    ``designated`` → "wyznaczenie osoby", ``dokip:T-2`` → "2 dni robocze przed
    terminem zadania"; anything else is shown as it is."""
    from terminarz.polish import working_days_words

    _, colon, rest = step.rpartition(":")
    of = " zadania" if colon else ""
    key = rest if colon else step
    if key == "designated":
        return "wyznaczenie osoby"
    if key.startswith("tier-") and key[5:].isdigit():
        return f"przekazanie — grupa zastępcza nr {int(key[5:])}"
    if key[:2] in ("T-", "T+", "M+") and key[2:].isdigit():
        n = int(key[2:])
        if key.startswith("M+"):
            return f"po terminie — przypomnienie miesięczne nr {n}"
        if n == 0:
            return f"w dniu terminu{of}"
        side = "przed terminem" if key.startswith("T-") else "po terminie"  # instr. / loc.
        return f"{working_days_words(n)} {side}{of}"
    return step


def _months_after(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, or the month's last day (31 January
    + 1 month = 28 February)."""
    import calendar

    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _overdue_audience(step: Step, people: tuple[str, ...], fallback: str) -> tuple[str, ...]:
    """Who gets an overdue step: everyone concerned, or the fallback alone on a monthly one."""
    return (fallback,) if step.monthly else people


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
    period is not known yet; its #termin task's owners are asked to find it out, all of
    them in one message (``to``; ``recipient`` is the first)."""

    pending: PendingOccurrence
    step: str
    recipient: str
    day: date
    to: tuple[str, ...] = ()

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

    @property
    def addressees(self) -> tuple[str, ...]:
        return self.to or (self.recipient,)

    @property
    def keys(self) -> tuple[Key, ...]:
        return tuple((self.occurrence_id, self.kind.value, self.step, p) for p in self.addressees)


def decide_find_date(
    items: Iterable[PendingOccurrence],
    *,
    calendar: WorkingCalendar,
    today: date,
    ledger: Container[tuple[str, str, str, str]],
    confirmed: Container[str],
) -> list[FindDateMail]:
    """The #termin mails due ``today``: the latest step (two working days before the task's
    day, then on it), one message to the owners who have not had it (a key per owner in
    the ledger, as before); nothing once the task is confirmed (``done '<id>#termin'``)
    or the date is known (the period is then no longer pending)."""
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
        told = [p for p in task.owners
                if (task.id, MailKind.FIND_DATE.value, label, p) not in ledger]  # fmt: skip
        if told:
            out.append(FindDateMail(pending=item, step=label, recipient=told[0], day=day,
                                    to=tuple(told)))  # fmt: skip
    return out

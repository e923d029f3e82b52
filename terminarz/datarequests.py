"""Data requests (II.4): the internal tasks before a report, and the written request (pismo).

When a report needs data held by another unit or an outside body, the person
handling the report asks for it in writing and sets a delivery deadline. For
every input of a duty and every occurrence there are two dated tasks:

* ``<occurrence-id>#prosba:<unit>`` — send the written request, ``request_days``
  working days before the due date; owners: the report's responsible people;
* ``<occurrence-id>#dane:<unit>`` — deliver the data, ``deliver_days`` working
  days before the due date; owner: the unit's head (an outside body has no
  owner here, only its ``email``).

Days are counted on the statutory calendar, like the deadline itself; when a
task's date is an institution day off, it carries a planning date — the
previous day the institution works.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from terminarz.errors import CalendarRangeError
from terminarz.organisation import Duty, Input, Organisation
from terminarz.rules import Occurrence
from terminarz.workdays import WorkingCalendar

if TYPE_CHECKING:
    from terminarz.duties import Resolution
    from terminarz.plan import PlannedOccurrence


class TaskKind(StrEnum):
    REQUEST = "request"  # send the written request for data
    DELIVER = "deliver"  # deliver the data

    @property
    def tag(self) -> str:
        """The part of the task id: ``prosba`` or ``dane``."""
        return "prosba" if self is TaskKind.REQUEST else "dane"

    @property
    def polish(self) -> str:
        return "wysłanie prośby o dane" if self is TaskKind.REQUEST else "dostarczenie danych"


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
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

    @property
    def working_date(self) -> date:
        """The day to act on: the planning date when the institution is closed on ``due``."""
        return self.planning_date or self.due

    def summary(self) -> str:
        """Polish one-liner: ``Prośba o dane do: Dział … (mpips-03@ops/2026)``."""
        if self.kind is TaskKind.REQUEST:
            return f"Wysłać pisemną prośbę o dane do: {self.unit_name} ({self.occurrence_id})"
        return f"Dostarczyć dane: {self.unit_name} → {self.occurrence_id}"


def task_id(occurrence_id: str, kind: TaskKind, unit: str) -> str:
    return f"{occurrence_id}#{kind.tag}:{unit}"


def split_task_id(text: str) -> tuple[str, TaskKind, str]:
    """``mpips-03@ops/2025#dane:dokip`` → (occurrence id, kind, unit); ``ValueError`` otherwise."""
    occurrence_id, sep, rest = text.partition("#")
    tag, sep2, unit = rest.partition(":")
    kinds = {k.tag: k for k in TaskKind}
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


def input_name(item: Input, organisation: Organisation) -> str:
    if item.unit is not None:
        unit = organisation.unit(item.unit)
        return unit.name if unit else item.unit
    return item.name


def tasks_for(
    occurrence: Occurrence,
    duty: Duty,
    resolution: Resolution | None,
    organisation: Organisation,
    statutory: WorkingCalendar,
    institution: WorkingCalendar,
) -> tuple[Task, ...]:
    """The request and delivery tasks of every input of ``duty``, in input order."""
    tasks = []
    requesters = resolution.owners if resolution is not None else ()
    for item in duty.inputs:
        name = input_name(item, organisation)
        head: tuple[str, ...] = ()
        if item.unit is not None:
            unit = organisation.unit(item.unit)
            head = (unit.head,) if unit is not None and unit.head else ()
        for kind, days, owners in (
            (TaskKind.REQUEST, item.request_days, requesters),
            (TaskKind.DELIVER, item.deliver_days, head),
        ):
            try:
                due = statutory.add_working_days(occurrence.due, -days)
            except CalendarRangeError:
                continue  # before 1990: no task
            tasks.append(Task(
                id=task_id(occurrence.id, kind, item.id), kind=kind,
                occurrence_id=occurrence.id, unit=item.id, unit_name=name, data=item.data,
                due=due, planning_date=planning_date(due, institution), owners=owners,
                email=item.email, external=item.external,
            ))  # fmt: skip
    return tuple(tasks)


# -- the written request (pismo) ----------------------------------------------------------


class LetterFormat(StrEnum):
    TEXT = "text"
    HTML = "html"


TEMPLATES = {LetterFormat.TEXT: "pismo.txt.j2", LetterFormat.HTML: "pismo.html.j2"}


def letter_context(
    planned: PlannedOccurrence,
    unit: str,
    organisation: Organisation,
    *,
    today: date,
    recipients: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the pismo templates use; raises ``KeyError`` for an input the duty lacks.

    ``recipients`` maps party ids of the catalogue to their names (``wzps`` → …).
    """
    from terminarz.polish import date_words, long_date

    duty = planned.duty
    if duty is None:
        raise KeyError(unit)
    item = next((i for i in duty.inputs if i.id == unit), None)
    if item is None:
        raise KeyError(unit)
    deliver = next(t for t in planned.tasks if t.unit == unit and t.kind is TaskKind.DELIVER)
    request = next(t for t in planned.tasks if t.unit == unit and t.kind is TaskKind.REQUEST)
    occ = planned.occurrence
    ob = occ.obligation
    resolution = planned.resolution
    signers = resolution.owners if resolution is not None else (duty.fallback,)
    signatory = organisation.person(signers[0]) if signers else None
    addressee_unit = organisation.unit(item.unit) if item.unit else None
    head_id = addressee_unit.head if addressee_unit is not None else None
    head = organisation.person(head_id) if head_id else None
    names = dict(recipients or {})
    deadline = deliver.working_date
    name = input_name(item, organisation)
    if item.external:
        lines = [name, *([item.email] if item.email else [])]
    else:
        role = head.role if head and head.role else f"Kierownik: {name}"
        lines = [role] if name.casefold() in role.casefold() else [role, name]
    signatory_role = signatory.role if signatory else ""
    if signatory and signatory_role.casefold() == signatory.name.casefold():
        signatory_role = ""
    return {
        "organisation": organisation.name,
        "city": organisation.city,
        "date": date_words(today),
        "addressee": {
            "name": name,
            "lines": lines,
            "head": head.name if head else "",
            "head_role": head.role if head else "",
            "email": item.email or (head.email if head else ""),
            "external": item.external,
        },
        "data": item.data,
        "report": {
            "id": occ.id,
            "label": ob.label,
            "title": ob.title,
            "period": occ.period.for_words(),
            "due": long_date(occ.due),
            "due_words": date_words(occ.due),
            "recipients": ", ".join(names.get(r, r) for r in ob.recipients),
            "basis": str(ob.basis),
        },
        "deadline": long_date(deadline),
        "deadline_moved": deliver.planning_date is not None,
        "deadline_nominal": date_words(deliver.due),
        "request_date": long_date(request.working_date),
        "duty_basis": duty.basis,
        "request_basis": organisation.request_basis,
        "procedure": organisation.procedure,
        "signatory": {
            "name": signatory.name if signatory else "",
            "role": signatory_role,
            "email": signatory.email if signatory else "",
            "unit": _unit_name(organisation, signatory.unit) if signatory else "",
        },
        "substitute": bool(resolution and resolution.substitute),
    }


def _unit_name(organisation: Organisation, unit_id: str) -> str:
    unit = organisation.unit(unit_id)
    return unit.name if unit else unit_id


def render_letter(
    context: Mapping[str, Any], fmt: LetterFormat | str = LetterFormat.TEXT,
    *, templates: Path | None = None,
) -> str:  # fmt: skip
    """Render the pismo (text, or HTML for printing) with Jinja2 and ``StrictUndefined``.

    HTML is autoescaped; a variable missing from ``context`` raises
    ``jinja2.UndefinedError`` instead of printing an empty gap.
    """
    env = template_environment(templates)
    text: str = env.get_template(TEMPLATES[LetterFormat(fmt)]).render(**context)
    return text


def template_environment(templates: Path | None = None) -> Any:
    """A Jinja2 environment over ``templates/`` (StrictUndefined, autoescape for *.html.j2)."""
    import jinja2

    from terminarz.paths import templates_dir

    folder = templates or templates_dir()
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        autoescape=lambda name: bool(name and name.endswith((".html.j2", ".html"))),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_request(
    planned: PlannedOccurrence,
    unit: str,
    organisation: Organisation,
    *,
    today: date,
    fmt: LetterFormat | str = LetterFormat.TEXT,
    recipients: Mapping[str, str] | None = None,
    templates: Path | None = None,
) -> str:
    """The written request for data from ``unit`` for ``planned`` (text or HTML)."""
    context = letter_context(planned, unit, organisation, today=today, recipients=recipients)
    return render_letter(context, fmt, templates=templates)

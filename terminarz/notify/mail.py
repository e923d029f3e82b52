"""Reminder mails: the template context, Jinja2 rendering and the ``email`` message.

Each kind of mail (:class:`~terminarz.notify.reminders.MailKind`) has a pair of
templates in ``templates/mail/``: ``<kind>.txt.j2`` (which also sets the
subject with ``{% set subject %}``) and ``<kind>.html.j2``. The environment is
strict: an undefined variable or attribute raises (``StrictUndefined``), and
HTML is autoescaped — so a template mistake fails in the tests, not at 6 a.m.

The message is ``multipart/mixed``: a ``multipart/alternative`` (text, HTML)
and the occurrence as an attached ``.ics`` event. Its ``Message-ID`` is derived
from (organisation, occurrence, kind, step, recipient), so a resend is
recognisably the same mail; every mail of one occurrence carries the same
``References`` so that mail programs thread them. ``Auto-Submitted:
auto-generated`` (RFC 3834) and ``X-Auto-Response-Suppress: All`` keep
out-of-office replies away.
"""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.generator import BytesGenerator
from email.policy import Compat32
from pathlib import Path
from typing import TYPE_CHECKING, Any

from terminarz.errors import TerminarzError
from terminarz.law.explain import short_explanation
from terminarz.law.rules import Occurrence, trail
from terminarz.links import LinkClaim, expiry, link_url
from terminarz.notify.feeds import event_summary
from terminarz.notify.reminders import (
    DueMail,
    Escalation,
    FindDateMail,
    MailKind,
    overdue_steps,
    step_words,
)
from terminarz.org.datarequests import Task, TaskKind
from terminarz.org.organisation import Organisation, Person
from terminarz.org.plan import PlannedOccurrence, Setup
from terminarz.polish import (
    date_words,
    days_phrase,
    for_date,
    long_date,
    on_date,
    short_date,
    until_date,
    working_days_words,
)

if TYPE_CHECKING:
    from jinja2 import Environment

PRODID = "-//terminarz//Przypomnienia//PL"
_NAMESPACE = uuid.UUID("0b5a3c1e-7d1f-4b7e-9a61-2f4c8e0d5a90")


# -- the template context -------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonView:
    id: str
    name: str
    email: str
    role: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AwaitedView:
    """Data another unit delivers for the report (II.4)."""

    unit: str
    data: str
    deadline: str
    past: bool
    external: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskView:
    kind: str  # request | deliver
    unit_id: str
    unit: str
    data: str
    due: str
    due_short: str
    remaining: str
    planning: str | None
    request_due: str
    deliver_due: str
    external: bool
    email: str | None
    due_on: str = ""  # "w poniedziałek, 11 stycznia 2027 r." (the working date)
    deliver_for: str = ""  # "na czwartek, 21 stycznia 2027 r."


@dataclass(frozen=True, slots=True, kw_only=True)
class MailView:
    """Everything a mail template may use; every field is always present."""

    kind: str
    step: str
    organisation: str
    recipient: PersonView
    cc: tuple[PersonView, ...]
    occurrence_id: str
    form: str
    title: str
    period: str
    for_period: str
    level: str
    report_to: str
    due: str
    due_short: str
    remaining: str
    working_days: int
    planning: str | None
    rule: str
    basis: str
    basis_quote: str
    duty_name: str
    duty_basis: str
    responsible: tuple[PersonView, ...]
    substitutes: tuple[PersonView, ...]  # the later tiers, who take over if these are away
    substitute: bool
    tier: str | None
    tier_to: str | None = None  # after "przechodzi na" (accusative): "grupę zastępczą nr 1"
    designation_basis: str | None
    needs_designation: bool
    unavailable: tuple[PersonView, ...]
    absences: tuple[str, ...]
    fallback: PersonView
    reasons: tuple[str, ...]
    awaited: tuple[AwaitedView, ...]
    task: TaskView | None
    step_day: str
    late: bool
    overdue_every: str
    next_overdue: str | None
    confirm_url: str | None
    confirm_expires: str | None
    done_command: str
    source_mark: str | None = None  # "termin wg komunikatu — do sprawdzenia" below the act
    source_text: str | None = None  # the announcement or the rule's source, in one line
    # Several addressees of one message (a tier's handover): ``to`` holds them all.
    to: tuple[PersonView, ...] = ()
    several: bool = False
    kind_words: str = ""  # "przypomnienie", "zastępstwo", … (the footer)
    step_words: str = ""  # "10 dni roboczych przed terminem" (the footer; keys stay stored)
    contact: str | None = None  # "Kierownik Działu … <adres>": whom to write if not theirs
    # The organisation's own procedure, after "na podstawie" (genitive).
    request_basis: str = "wewnętrznej procedury obsługi sprawozdań"
    designation_rule: str = "wewnętrznej procedury obsługi sprawozdań"
    monthly: bool = False  # the fallback's monthly overdue mail
    then_monthly: bool = False  # overdue: the last to this reader; the fallback is told monthly
    last_overdue: str | None = None  # "w czwartek, 15 kwietnia 2027 r.": the last overdue mail
    due_on: str = ""  # "we wtorek, 2 lutego 2027 r." (inside a sentence)
    planning_on: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Composed:
    """A mail ready for the ledger and the server: ``envelope`` holds the ``To`` addresses
    (the first ``to_count``, ``address`` first), then the copies."""

    message: bytes
    message_id: str
    subject: str
    address: str
    envelope: tuple[str, ...]
    to_count: int = 1


class MailRenderer:
    """The Jinja2 environment of ``templates/mail`` (built once, reused for every mail)."""

    def __init__(self, templates: Path | None = None) -> None:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

        from terminarz.paths import templates_dir
        from terminarz.templating import bytecode_cache

        folder = (templates or templates_dir()) / "mail"
        self.env: Environment = Environment(
            loader=FileSystemLoader(str(folder)),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # One renderer serves a whole run: templates are loaded once and kept in a plain
            # dict (no stat() per use, no LRU bookkeeping; the folder holds a few dozen files).
            auto_reload=False,
            cache_size=-1,
            bytecode_cache=bytecode_cache("mail"),  # compiled once, not in every process
        )
        # "… 2027 r." ends a sentence by itself: never "r.."
        self.env.filters["full_stop"] = _full_stop

    def render(self, kind: MailKind, view: MailView) -> Rendered:
        return self.render_view(kind, view)

    def render_view(self, kind: MailKind, view: object) -> Rendered:
        """Render the text and HTML templates of ``kind`` with ``m`` = ``view``."""
        text_module = self.env.get_template(f"{kind.value}.txt.j2").make_module({"m": view})
        subject = " ".join(str(getattr(text_module, "subject", "")).split())
        if not subject:
            raise ValueError(f"template {kind.value}.txt.j2 sets no subject")
        html = self.env.get_template(f"{kind.value}.html.j2").render(m=view, subject=subject)
        return Rendered(subject=subject, text=str(text_module).strip() + "\n", html=html)


# -- building the view ----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Links:
    """How confirmation links are made: base URL ("" — ``[server] base_url`` not set — or
    secret None: no links), validity."""

    base_url: str
    secret: bytes | None
    days: int


class MailComposer:
    """Turns a :class:`DueMail` into a complete message for one organisation."""

    def __init__(
        self,
        renderer: MailRenderer,
        setup: Setup,
        *,
        sender: str,
        links: Links,
        overdue_every: int,
    ) -> None:
        if setup.organisation is None:
            raise ValueError("mails need an organisation")
        self._renderer = renderer
        self._setup = setup
        self._org: Organisation = setup.organisation
        self._sender = sender
        self._from = _parse_sender(sender)  # parsed once: parseaddr is slow enough to matter
        self._domain = _domain(sender)
        self._links = links
        self._overdue_every = overdue_every
        self._parties = setup.catalogues.parties
        self._people: dict[str, Person] = {p.id: p for p in self._org.people}
        # per occurrence, shared by every recipient's mail (the composer lives for one run)
        self._rules: dict[str, str] = {}
        self._events: dict[tuple[str, datetime], bytes] = {}

    # -- people ----------------------------------------------------------------------

    def person(self, person_id: str) -> PersonView:
        p = self._people.get(person_id)
        if p is None:
            return PersonView(id=person_id, name=person_id, email="", role="")
        return PersonView(id=p.id, name=p.name, email=p.email, role=p.role)

    def _party(self, party_id: str) -> str:
        party = self._parties.get(party_id)
        return party.name if party else party_id

    # -- view ------------------------------------------------------------------------

    def view(self, mail: DueMail, *, today: date) -> MailView:
        item = mail.planned
        occ = item.occurrence
        obligation = occ.obligation
        resolution = item.resolution
        duty = item.duty
        assert resolution is not None and duty is not None
        calendar = self._setup.institution
        # "za N dni roboczych" counts to the statutory due date; the planning date (when the
        # institution is closed that day) is told separately.
        left = self._setup.statutory.working_days_left(today, item.due)
        tier = tier_to = None
        if resolution.tier is not None and resolution.tier > 0:
            tier = f"grupa zastępcza nr {resolution.tier}"
            tier_to = f"grupę zastępczą nr {resolution.tier}"
        addressees = mail.addressees
        several = len(addressees) > 1
        next_overdue = last_overdue = None
        monthly = then_monthly = False
        if mail.kind is MailKind.OVERDUE:
            rem = self._org.settings.reminders
            policy = Escalation(every=self._overdue_every, repeats=rem.overdue_max,
                                until=rem.overdue_until)  # fmt: skip
            steps = overdue_steps(item.due, calendar, policy)
            monthly = mail.step.startswith("M+")
            then_monthly = (mail.next_day is None and mail.recipient != resolution.fallback
                            and any(s.monthly and s.day > mail.day for s in steps))  # fmt: skip
            next_overdue = on_date(mail.next_day) if mail.next_day is not None else None
            if steps:
                last_overdue = on_date(steps[-1].day)
        confirm_url = confirm_expires = None
        if (self._links.secret is not None and self._links.base_url and not several
                and mail.kind is not MailKind.DELIVER):  # fmt: skip
            until = expiry(today, self._links.days)
            claim = LinkClaim(occurrence_id=item.id, person_id=mail.recipient, expires=until)
            confirm_url = link_url(self._links.base_url, self._links.secret, claim)
            confirm_expires = until_date(until)
        contact = self.contact(addressees, resolution.fallback)
        return MailView(
            kind=mail.kind.value,
            step=mail.step,
            organisation=self._org.name,
            recipient=self.person(mail.recipient),
            cc=tuple(self.person(p) for p in mail.cc),
            occurrence_id=item.id,
            form=obligation.label,
            title=obligation.title,
            period=occ.period.words(),
            for_period=occ.period.for_words(),
            level=self._party(obligation.level),
            report_to=", ".join(self._party(r) for r in obligation.recipients) or "—",
            due=long_date(item.due),
            due_short=short_date(item.due),
            remaining=_remaining(left),
            working_days=left,
            planning=long_date(item.planning_date) if item.planning_date else None,
            rule=self._rule(item),
            basis=str(obligation.basis),
            basis_quote=obligation.basis.quote,
            duty_name=duty.name,
            duty_basis=duty.basis,
            responsible=tuple(self.person(p) for p in resolution.responsible),
            substitutes=tuple(self.person(p) for p in _later_tiers(duty.tiers, resolution)),
            substitute=resolution.substitute,
            tier=tier,
            tier_to=tier_to,
            designation_basis=resolution.designation.basis if resolution.designation else None,
            needs_designation=resolution.needs_designation,
            unavailable=tuple(self.person(p) for p in resolution.unavailable),
            absences=tuple(self._absence_lines(item)),
            fallback=self.person(resolution.fallback),
            reasons=resolution.plain_reasons or resolution.reasons,
            awaited=tuple(self._awaited(item, today)),
            task=self._task(mail.task, item, today) if mail.task is not None else None,
            step_day=on_date(mail.day),
            late=mail.day < today,
            overdue_every=_every_words(self._overdue_every),
            next_overdue=next_overdue,
            confirm_url=confirm_url,
            confirm_expires=confirm_expires,
            done_command=f"terminarz done {item.id} --by {mail.recipient}",
            source_mark=occ.grade.mark or None,
            source_text=_source_text(occ),
            to=tuple(self.person(p) for p in addressees),
            several=several,
            kind_words=mail.kind.polish,
            step_words=_footer_step(mail.kind, mail.step),
            contact=_mailbox_words(contact) if contact else None,
            request_basis=self._org.request_basis,
            designation_rule=self._org.designation_basis,
            monthly=monthly,
            then_monthly=then_monthly,
            last_overdue=last_overdue,
            due_on=on_date(item.due),
            planning_on=on_date(item.planning_date) if item.planning_date else None,
        )

    def contact(self, addressees: Sequence[str], fallback: str) -> tuple[str, str] | None:
        """Whom a reader writes to when the mail is not theirs: ``[reminders] contact``, else
        the head of the (first) addressee's unit, else the fallback — never an addressee."""
        configured = self._org.settings.reminders.contact
        if configured:
            return _parse_sender(configured)
        candidates = []
        for person_id in addressees:
            person = self._people.get(person_id)
            unit = self._org.unit(person.unit) if person is not None and person.unit else None
            if unit is not None and unit.head:
                candidates.append(unit.head)
        candidates.append(fallback)
        for candidate in candidates:
            person = self._people.get(candidate)
            if candidate not in addressees and person is not None and person.email:
                return (person.name, person.email)
        return None

    def _rule(self, item: PlannedOccurrence) -> str:
        found = self._rules.get(item.id)
        if found is None:
            occ = item.occurrence
            found = self._rules[item.id] = short_explanation(occ, trail(occ, self._setup.statutory))
        return found

    def _event(self, view: MailView, item: PlannedOccurrence, now: datetime) -> bytes:
        """The attached event of an occurrence (the same for every recipient)."""
        key = (item.id, now)
        found = self._events.get(key)
        if found is None:
            ob = item.occurrence.obligation
            description = [
                f"{view.title} ({view.occurrence_id})",
                f"Termin: {view.due}" + (f"; planowo: {view.planning}" if view.planning else ""),
                f"Podstawa: {view.basis}",
                "Odpowiada: " + (", ".join(p.name for p in view.responsible) or "—"),
            ]
            found = self._events[key] = event_ics(
                uid=event_uid(self._org.id, item.id),
                due=item.due,
                summary=event_summary(ob.label, ob.level, ob.recipients, view.for_period),
                description="\n".join(description),
                stamp=now,
            )
        return found

    def _absence_lines(self, item: PlannedOccurrence) -> list[str]:
        assert item.resolution is not None
        lines = []
        for a in sorted(item.resolution.absent, key=lambda a: (a.start, a.person)):
            span = (f"{short_date(a.start)}" if a.start == a.end
                    else f"od {short_date(a.start)} do {short_date(a.end)}")  # fmt: skip
            # no category (urlop, zwolnienie …): colleagues read this (RODO)
            lines.append(f"{self.person(a.person).name}: {span}")
        return lines

    def _awaited(self, item: PlannedOccurrence, today: date) -> list[AwaitedView]:
        return [
            AwaitedView(
                unit=t.unit_name, data=t.data, deadline=long_date(t.working_date),
                past=t.working_date < today, external=t.external,
            )
            for t in item.tasks
            if t.kind is TaskKind.DELIVER
        ]

    def _task(self, task: Task, item: PlannedOccurrence, today: date) -> TaskView:
        pair = {t.kind: t for t in item.tasks if t.unit == task.unit}
        request = pair.get(TaskKind.REQUEST, task)
        deliver = pair.get(TaskKind.DELIVER, task)
        left = self._setup.statutory.working_days_left(today, task.due)
        return TaskView(
            kind=task.kind.value,
            unit_id=task.unit,
            unit=task.unit_name,
            data=task.data,
            due=long_date(task.due),
            due_short=short_date(task.working_date),
            remaining=_remaining(left),
            planning=long_date(task.planning_date) if task.planning_date else None,
            request_due=long_date(request.working_date),
            deliver_due=long_date(deliver.working_date),
            external=task.external,
            email=task.email,
            due_on=on_date(task.working_date),
            deliver_for=for_date(deliver.working_date),
        )

    # -- the message ------------------------------------------------------------------

    def compose(self, mail: DueMail, *, today: date, now: datetime) -> Composed:
        """Render ``mail`` and build its message; ``now`` (aware) is its ``Date``."""
        view = self.view(mail, today=today)
        rendered = self._renderer.render(mail.kind, view)
        recipient = view.recipient
        if not recipient.email:
            raise ValueError(f"person {recipient.id} has no e-mail address")
        to = [recipient, *(p for p in view.to[1:] if p.email and p.email != recipient.email)]
        addresses = {p.email for p in to}
        cc = tuple(p for p in view.cc if p.email and p.email not in addresses)
        contact = self.contact(mail.addressees, mail.planned.resolution.fallback
                               if mail.planned.resolution is not None else "")  # fmt: skip
        org = self._org.id
        message_id = _message_id(org, mail.key, self._domain)
        item = mail.planned
        ics = self._event(view, item, now)
        message = build_message(
            rendered=rendered,
            sender=self._from,
            to=[(p.name, p.email) for p in to],
            cc=[(p.name, p.email) for p in cc],
            reply_to=contact,
            message_id=message_id,
            thread_id=_message_id(org, (item.id, "thread", "", ""), self._domain),
            date=now,
            ics=ics,
            ics_name=f"{_slug(item.id)}.ics",
        )
        return Composed(
            message=message, message_id=message_id, subject=rendered.subject,
            address=recipient.email,
            envelope=(*(p.email for p in to), *(p.email for p in cc)), to_count=len(to),
        )  # fmt: skip


    def compose_find_date(self, mail: FindDateMail, *, today: date, now: datetime) -> Composed:
        """The "ustal termin" mail of a report whose date has not been announced yet."""
        item = mail.pending
        task = item.task
        assert task is not None
        undated = item.undated
        obligation = undated.obligation
        recipient = self.person(mail.recipient)
        if not recipient.email:
            raise ValueError(f"person {recipient.id} has no e-mail address")
        to = [recipient, *(p for p in map(self.person, mail.addressees[1:])
                           if p.email and p.email != recipient.email)]  # fmt: skip
        several = len(to) > 1
        left = self._setup.statutory.working_days_left(today, task.working_date)
        fallback = item.duty.fallback if item.duty is not None else ""
        contact = self.contact(mail.addressees, fallback)
        view = FindDateView(
            kind=mail.kind.value, step=mail.step, organisation=self._org.name,
            recipient=recipient, occurrence_id=undated.id, task_id=task.id,
            form=obligation.label, title=obligation.title,
            for_period=undated.period.for_words(),
            report_to=", ".join(self._party(r) for r in obligation.recipients) or "—",
            window=undated.window_words(), task_due=on_date(task.working_date),
            task_due_words=date_words(task.working_date),
            remaining=_remaining(left), basis=str(obligation.basis),
            late=mail.day < today, step_day=on_date(mail.day),
            done_command=(f"terminarz done '{task.id}'" if several
                          else f"terminarz done '{task.id}' --by {mail.recipient}"),
            contact=_mailbox_words(contact) if contact else None,
            to=tuple(to), several=several,
        )  # fmt: skip
        rendered = self._renderer.render_view(mail.kind, view)
        org = self._org.id
        message_id = _message_id(org, mail.key, self._domain)
        message = build_message(
            rendered=rendered, sender=self._from, to=[(p.name, p.email) for p in to],
            reply_to=contact, message_id=message_id,
            thread_id=_message_id(org, (undated.id, "thread", "", ""), self._domain), date=now,
        )  # fmt: skip
        return Composed(message=message, message_id=message_id, subject=rendered.subject,
                        address=recipient.email, envelope=tuple(p.email for p in to),
                        to_count=len(to))  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class FindDateView:
    """What the find-date templates may use."""

    kind: str
    step: str
    organisation: str
    recipient: PersonView
    occurrence_id: str
    task_id: str
    form: str
    title: str
    for_period: str
    report_to: str
    window: str
    task_due: str
    task_due_words: str  # "5 stycznia 2027 r.", after "do" (no weekday to decline)
    remaining: str
    basis: str
    late: bool
    step_day: str
    done_command: str
    contact: str | None = None
    to: tuple[PersonView, ...] = ()  # every addressee (``recipient`` first)
    several: bool = False


def _later_tiers(tiers: tuple[tuple[str, ...], ...], resolution: Any) -> list[str]:
    """Members of the tiers after the one in charge (none under a designation or II.5)."""
    if resolution.designation is not None or resolution.needs_designation:
        return []
    start = (resolution.tier or 0) + 1
    seen = set(resolution.responsible)
    found = []
    for tier in tiers[start:]:
        for person in tier:
            if person not in seen:
                seen.add(person)
                found.append(person)
    return found


def _every_words(n: int) -> str:
    """``co 2 dni robocze``, ``co 1 dzień roboczy``, ``co 5 dni roboczych``"""
    return f"co {working_days_words(n)}"


def _footer_step(kind: MailKind, step: str) -> str:
    """What the footer says the mail is: "przypomnienie 10 dni roboczych przed terminem",
    "6 dni roboczych po terminie", "przekazanie — grupa zastępcza nr 1", "prośba o dane —
    w dniu terminu zadania" (the stored keys stay as they are)."""
    words = step_words(step)
    if kind is MailKind.REMINDER:
        return f"przypomnienie {words}"
    if kind in (MailKind.OVERDUE, MailKind.HANDOVER):
        return words
    return f"{kind.polish} — {words}"


def _full_stop(text: object) -> str:
    """``text`` ending a sentence: a full stop added unless it ends with one already."""
    value = str(text).rstrip()
    return value if value.endswith(".") else f"{value}."


def _mailbox_words(mailbox: tuple[str, str]) -> str:
    """``Kierownik Działu … <adres>``, or the bare address."""
    name, address = mailbox
    return f"{name} <{address}>" if name else address


def _source_text(occ: Occurrence) -> str | None:
    """Where the date was read, for a date that does not come from the text of an act."""
    found = occ.announced
    if found is not None:
        basis = f"{found.basis}; " if found.basis else ""
        return f"{basis}„{found.text}” ({found.grade.polish})"
    source = occ.obligation.source
    if source is not None and source.grade.needs_check:
        return f"{source.grade.polish}: {', '.join(source.where)}"
    return None


def _remaining(days: int) -> str:
    return days_phrase(days, working=True)


# -- message and event ----------------------------------------------------------------


def make_message_id(organisation: str, key: Sequence[str], sender: str) -> str:
    """``<32 hex digits@sender's domain>``, the same for the same key, different across orgs."""
    return _message_id(organisation, key, _domain(sender))


def _message_id(organisation: str, key: Sequence[str], domain: str) -> str:
    digest = hashlib.sha256("\x1f".join((organisation, *key)).encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def event_uid(organisation: str, occurrence_id: str) -> str:
    return f"{uuid.uuid5(_NAMESPACE, f'{organisation}|{occurrence_id}')}@terminarz"


def _domain(sender: str) -> str:
    address = _parse_sender(sender)[1]
    domain = address.rpartition("@")[2]
    return domain.strip("<> ") or "terminarz.invalid"


@functools.lru_cache(maxsize=1024)  # one sender per institution, parsed for every mail
def _parse_sender(sender: str) -> tuple[str, str]:
    """(display name, address) of a ``From`` value such as ``Terminarz <t@example.org>``,
    by the same parser ``check`` uses (:func:`terminarz.tomlcheck.split_mailbox`)."""
    from terminarz.tomlcheck import split_mailbox

    try:
        return split_mailbox(sender)
    except ValueError as exc:
        raise TerminarzError(f"nadawca poczty ([smtp] sender): {exc}") from None


def _slug(text: str) -> str:
    out = "".join(c if c.isascii() and c.isalnum() else "-" for c in text.lower())
    return "-".join(p for p in out.split("-") if p) or "termin"


def event_ics(*, uid: str, due: date, summary: str, description: str, stamp: datetime) -> bytes:
    """A ``METHOD:PUBLISH`` calendar with one all-day, transparent event on ``due``."""
    from icalendar import Calendar, Event

    event = Event.new(
        uid=uid,
        stamp=stamp.astimezone(UTC),
        start=due,
        end=due + timedelta(days=1),
        summary=summary,
        description=description,
    )
    event.add("TRANSP", "TRANSPARENT")
    # The calendar's own UID (RFC 7986) derived from the event's: icalendar's default, a
    # random one, made the same mail other bytes each time it was built.
    calendar = Calendar.new(prodid=PRODID, method="PUBLISH", subcomponents=[event],
                            uid=uuid.uuid5(_NAMESPACE, f"calendar|{uid}"))  # fmt: skip
    return bytes(calendar.to_ical())


def build_message(
    *,
    rendered: Rendered,
    sender: str | tuple[str, str],
    to: tuple[str, str] | Sequence[tuple[str, str]],
    cc: Sequence[tuple[str, str]] = (),
    reply_to: tuple[str, str] | None = None,
    message_id: str,
    thread_id: str | None = None,
    date: datetime,
    ics: bytes | None = None,
    ics_name: str = "termin.ics",
    extra_headers: Mapping[str, str] | None = None,
) -> bytes:
    """The complete message (CRLF line ends, 7-bit clean) as the server receives it.

    Built with the ``email`` package's MIME classes: ``multipart/alternative``
    (text, HTML), inside ``multipart/mixed`` with the ``.ics`` when one is
    given; bodies UTF-8 in base64 (so no MIME boundary can occur in them), and
    boundaries derived from the Message-ID, so the same mail is the same bytes.
    ``sender`` is a ``From`` value or an already parsed (display name, address).

    The header values are encoded here — a non-ASCII subject as RFC 2047
    encoded words of at most 75 characters, a display name by
    ``email.utils.formataddr`` — and folded at 78 characters; the generator
    writes them as they are (:class:`_Prefolded`). Left to itself it parses and
    refolds every header of every part through ``email.header.Header``, which
    made it the largest single cost of a national night (``bench/bench_remind.py``).
    """
    from email.charset import BASE64, Charset
    from email.mime.multipart import MIMEMultipart
    from email.mime.nonmultipart import MIMENonMultipart
    from email.utils import format_datetime

    utf8 = Charset("utf-8")
    utf8.header_encoding = BASE64
    seed = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:24]
    alternative = MIMEMultipart("alternative", boundary=f"=_alt_{seed}")
    for subtype, text in (("plain", rendered.text), ("html", rendered.html)):
        part = MIMENonMultipart("text", subtype, charset="utf-8")
        alternative.attach(_base64(part, _crlf(text).encode("utf-8")))
    msg = alternative
    if ics is not None:
        msg = MIMEMultipart("mixed", boundary=f"=_mix_{seed}")
        msg.attach(alternative)
        event = _base64(MIMENonMultipart("text", "calendar", method="PUBLISH", charset="utf-8"),
                        ics)  # fmt: skip
        event.add_header("Content-Disposition", "attachment", filename=ics_name)
        msg.attach(event)
        del alternative["MIME-Version"]  # only the top-level header carries it (RFC 2045 § 4)
    sender_name, sender_addr = _parse_sender(sender) if isinstance(sender, str) else sender
    # one (name, address) or several
    addressees: list[tuple[str, str]] = (
        [(str(to[0]), str(to[1]))] if isinstance(to[0], str) else [tuple(p) for p in to]  # type: ignore[misc]
    )

    headers = [
        ("From", _address(sender_name or "terminarz", sender_addr, utf8)),
        ("To", ", ".join(_address(name, addr, utf8) for name, addr in addressees)),
        ("Cc", ", ".join(_address(name, addr, utf8) for name, addr in cc)),
        ("Reply-To", _address(*reply_to, utf8) if reply_to else ""),
        ("Subject", _unstructured(rendered.subject)),
        ("Date", format_datetime(date)),
        ("Message-ID", message_id),
        ("References", thread_id or ""),
        ("Auto-Submitted", "auto-generated"),
        ("X-Auto-Response-Suppress", "All"),
        ("Content-Language", "pl"),
        *((name, _unstructured(value)) for name, value in (extra_headers or {}).items()),
    ]
    for name, value in headers:
        if value:
            msg[name] = _folded(name, value)
    return _flatten(msg)


class _Prefolded(Compat32):
    """``compat32`` with CRLF, writing each header value exactly as given: those of
    :func:`build_message` are encoded and folded already, and the MIME classes' own
    (``Content-Type`` with its parameters and the like) are short ASCII."""

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        return f"{name}: {value}{self.linesep}"


_PREFOLDED = _Prefolded(linesep="\r\n")


class _Generator(BytesGenerator):
    """The ``email`` package's generator, writing each body in one piece: the stock one
    splits a body at its line ends and writes every line and every line end on its own —
    about 270 writes for one reminder, a third of the cost of building it. The bytes are
    the same (``tests/test_mail_message.py`` compares them with ``as_bytes``)."""

    def _write_lines(self, lines: str) -> None:
        if lines and "\r" not in lines:  # the bodies here: base64 with "\n" line ends
            self.write(lines.replace("\n", self._NL))  # type: ignore[attr-defined]
        else:
            super()._write_lines(lines)  # type: ignore[misc]


def _flatten(msg: Any) -> bytes:
    """``msg.as_bytes(policy=_PREFOLDED)``, by :class:`_Generator`."""
    import io

    out = io.BytesIO()
    _Generator(out, mangle_from_=False, policy=_PREFOLDED).flatten(msg)
    return out.getvalue()


def _base64(part: Any, payload: bytes) -> Any:
    """``part`` (a fresh ``MIMENonMultipart``) with ``payload`` as its body in base64."""
    del part["MIME-Version"]
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(_base64_lines(payload))
    return part


def _base64_lines(payload: bytes) -> str:
    """``base64.encodebytes(payload)`` as text (lines of 76 characters, each ending in "\\n"),
    encoded in one call instead of one per 57 bytes: half the time for a mail's body."""
    import base64

    if not payload:
        return ""
    text = base64.b64encode(payload).decode("ascii")
    return "\n".join([text[i : i + 76] for i in range(0, len(text), 76)]) + "\n"


def _crlf(text: str) -> str:
    """Canonical line ends for a text body (RFC 2046 § 4.1.1) before it is base64-encoded."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


# base64 of 42 bytes is 56 characters: an encoded word of 68 (RFC 2047: at most 75), so
# that "Subject: " and the first word fit in a line of 78
_WORD_BYTES = 42


def _encoded_words(text: str) -> str:
    """``text`` as RFC 2047 encoded words (UTF-8, base64), split between characters, never
    inside one, and separated by spaces (which decoders drop between encoded words of
    unstructured text such as the subject)."""
    import base64

    data = text.encode("utf-8")
    words = []
    start = 0
    while start < len(data):
        end = min(start + _WORD_BYTES, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte
            end -= 1
        words.append(f"=?utf-8?b?{base64.b64encode(data[start:end]).decode('ascii')}?=")
        start = end
    return " ".join(words)


# Longest run of ASCII without a space kept as it is in a header (a longer one is encoded,
# so that it can be folded); 78 is RFC 5322's recommended line length, 998 its limit.
_LONGEST_WORD = 60
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _header_text(value: str) -> str:
    """``value`` with every control character (NUL, ESC, CR, LF, VT, …) a space and white
    space collapsed: nothing a person typed can end a header line or drive a terminal."""
    return " ".join(_CONTROLS.sub(" ", value).split())


def _needs_encoding(text: str) -> bool:
    """Non-ASCII, text a decoder would take for an RFC 2047 encoded word (``=?…?=``, which
    could decode to CR/LF), or a word too long to fold."""
    return (not text.isascii() or "=?" in text
            or any(len(word) > _LONGEST_WORD for word in text.split(" ")))  # fmt: skip


def _unstructured(value: str) -> str:
    """Unstructured header text, white space collapsed: ASCII as it is, else encoded words."""
    value = _header_text(value)
    return _encoded_words(value) if _needs_encoding(value) else value


def _address(name: str, addr: str, charset: Any) -> str:
    """``Name <addr>``: an ASCII name quoted when it must be, any other as encoded words.

    The address passes the parser ``check`` uses (:func:`terminarz.tomlcheck.email_problem`).
    A name that fits is one encoded word (Python's own parser — and so the tests — would
    put a space between two adjacent encoded words of a display name); a longer one is
    several words of at most 75 characters, which the header folding puts on lines of
    their own, so no line passes 78 characters (RFC 5322: at most 998).
    """
    from email.utils import formataddr

    problem = _address_problem(addr)
    if problem is not None:
        raise TerminarzError(f"adres e-mail odbiorcy albo nadawcy: {problem}")
    name = _header_text(name)
    if not _needs_encoding(name):
        return formataddr((name, addr))
    single = formataddr((name, addr), charset=charset) if not name.isascii() else ""
    if single and "=?" not in name and len(single) - len(addr) - 3 <= 75:
        return single
    return f"{_phrase(name)} <{addr}>"


@functools.lru_cache(maxsize=4096)  # the same few addresses in every mail of a night
def _address_problem(addr: str) -> str | None:
    from terminarz.tomlcheck import email_problem

    return email_problem(addr)


_SPECIALS = set('()<>@,;:\\".[]')


def _phrase(name: str) -> str:
    """A display name as RFC 5322 words: plain ASCII words as atoms, every run of words
    that must be encoded (non-ASCII, specials, ``=?``, overlong) as encoded words of at
    most 75 characters — so the header folds between words, and the white space between
    an atom and an encoded word keeps its meaning for every decoder."""
    out: list[str] = []
    run: list[str] = []
    for word in name.split(" "):
        plain = (word.isascii() and "=?" not in word and len(word) <= _LONGEST_WORD
                 and not (set(word) & _SPECIALS))  # fmt: skip
        if plain:
            if run:
                out.append(_encoded_words(" ".join(run)))
                run = []
            out.append(word)
        else:
            run.append(word)
    if run:
        out.append(_encoded_words(" ".join(run)))
    return " ".join(out)


def _folded(name: str, value: str, width: int = 78) -> str:
    """``value`` folded (CRLF and a space, before a space) where ``Name: value`` would
    pass ``width`` characters; a single word longer than that stays whole."""
    line = f"{name}:"
    lines = []
    for token in value.split(" "):
        if len(line) + 1 + len(token) > width and line.strip() and not line.endswith(":"):
            lines.append(line)
            line = ""
        line += " " + token
    lines.append(line)
    return "\r\n".join(lines)[len(name) + 2 :]

"""The upper level's view of its reporters: who has sent, who is late, who has nobody.

An organisation at an upper level (a voivode's department, level ``uw``) names the
institutions that report to it in ``[organisation] reporters`` (ids or glob patterns of
the organisations of the deployment). For every obligation of a reporter whose
recipients include one of the upper level's levels, and every period asked for, a
:class:`ReportStatus` says what happened to that institution's report:

* ``przyjęto`` — the upper level recorded receipt (:class:`~terminarz.store.base.Receipt`);
* ``wysłano`` — the sender confirmed sending (``terminarz done`` or the page), when and by whom;
* ``do poprawy`` — returned for correction with a new date: open again for the sender;
* ``po terminie`` — not confirmed and its date has passed, by so many working days;
* ``przed terminem`` — not due yet.

Who is responsible is the reporter's own duty resolution, with its absences and what its
people recorded (``zastępstwo``, ``wymaga wyznaczenia``). Receipts and returns are kept in
the *sender's* rows of the store, so its own ``due``, nightly run and pages see them; the
upper level reads them from there. ``wezwanie`` (summons) is one mail to the responsible
people of every late report at once, claimed in the sender's mail ledger under the key
(occurrence, ``summons``, the day, ``responsible``): never twice on the same day.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from terminarz.errors import Problem, UsageError, ValidationError
from terminarz.law.periods import Period
from terminarz.law.rules import Obligation
from terminarz.notify.reminders import MailKind
from terminarz.org.organisation import Organisation
from terminarz.org.plan import PlannedOccurrence, Setup, find_occurrence, planned
from terminarz.polish import date_words, plural, short_date
from terminarz.store.base import (
    Claim,
    Confirmation,
    DeliveryStatus,
    Receipt,
    ReceiptAction,
    Recipient,
    Store,
    latest_receipts,
)

if TYPE_CHECKING:
    from terminarz.law.workdays import WorkingCalendar
    from terminarz.notify.feeds import FeedSet
    from terminarz.notify.mail import MailRenderer
    from terminarz.notify.mailer import Mailer
    from terminarz.store import Location
    from terminarz.store.publication import FeedItem

_GLOB = re.compile(r"[*?\[]")
SUMMONS = MailKind.SUMMONS.value  # the ledger's kind of a summons (a key: never changes)
WINDOW_BACK = timedelta(days=45)  # without --period: occurrences due this far back …
WINDOW_AHEAD = timedelta(days=31)  # … and this far ahead of today


class State(StrEnum):
    """Where one institution's report stands, as the upper level sees it (Polish values)."""

    LATE = "po terminie"
    RETURNED = "do poprawy"
    WAITING = "przed terminem"
    SENT = "wysłano"
    RECEIVED = "przyjęto"


_ORDER = {state: i for i, state in enumerate(State)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Reporter:
    """One reporting institution: its plan inputs and what its store holds."""

    setup: Setup  # with what its people recorded (absences, designations, returns)
    confirmations: Mapping[str, Confirmation]
    receipts: Sequence[Receipt]

    @property
    def organisation(self) -> Organisation:
        assert self.setup.organisation is not None
        return self.setup.organisation


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportStatus:
    """One institution's report for one period."""

    organisation: str
    organisation_name: str
    item: PlannedOccurrence
    state: State
    late_days: int  # working days after the date: until today, or until it was sent
    confirmation: Confirmation | None
    receipt: Receipt | None  # the newest receipt or return
    returned_due: date | None  # the date set by the newest return, if any
    upper_occurrence: str | None  # the upper level's own occurrence this report feeds

    @property
    def occurrence_id(self) -> str:
        return self.item.id

    @property
    def group(self) -> tuple[str, str]:
        """(obligation id, period) — the rows of one table section."""
        return (self.item.occurrence.obligation.id, str(self.item.occurrence.period))

    @property
    def is_in(self) -> bool:
        """Sent (and not returned since) or received."""
        return self.state in (State.SENT, State.RECEIVED)

    @property
    def is_late(self) -> bool:
        return self.state in (State.LATE, State.RETURNED) and self.late_days > 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Inputs:
    """How many of an upper-level occurrence's inputs are in: ``wpłynęło 12 z 150``."""

    obligation: Obligation  # the reporters' obligation (sr@ops)
    period: Period
    due: date  # the reporters' date (the earliest when they differ)
    total: int
    arrived: int  # sent or received
    received: int
    late: int
    returned: int
    substitutes: int
    need_designation: int
    upper_occurrence: str | None = None  # sr@uw/2026-Q4
    upper_due: date | None = None

    @property
    def key(self) -> str:
        return f"{self.obligation.id}/{self.period}"

    def counts_text(self) -> str:
        """``wpłynęło 12 z 150; po terminie 3`` (and returns, when there are any)."""
        text = f"wpłynęło {self.arrived} z {self.total}; po terminie {self.late}"
        if self.received:
            text += f"; przyjęto {self.received}"
        if self.returned:
            text += f"; do poprawy {self.returned}"
        return text


@dataclass(frozen=True, slots=True, kw_only=True)
class Overview:
    """Everything ``terminarz status`` shows: the rows, and the counts per obligation and
    period with the upper level's own occurrence they feed."""

    upper: Organisation
    today: date
    rows: tuple[ReportStatus, ...]
    inputs: tuple[Inputs, ...] = field(default=())


# -- the deployment ------------------------------------------------------------------------


def select_reporters(upper: Organisation, deployment: Iterable[Organisation]) -> list[Organisation]:
    """The organisations of ``deployment`` named by ``upper``'s ``reporters`` (the upper level
    itself left out), in id order. An id that names no organisation, patterns that together
    match none, and an upper level without ``reporters`` are Polish errors naming the file,
    its line and the field; a pattern matching none of a partial deployment is not."""
    candidates = sorted((o for o in deployment if o.id != upper.id), key=lambda o: o.id)
    line = _reporters_line(upper)
    if not upper.reporters:
        raise ValidationError([Problem(
            message="organizacja nie wymienia jednostek, które składają jej sprawozdania: "
            "dodaj w [organisation] pole reporters, np. reporters = [\"gops-*\"]",
            path=upper.path, line=line, entry=upper.id, field="reporters")])  # fmt: skip
    chosen = [o for o in candidates
              if any(fnmatch.fnmatchcase(o.id, p) for p in upper.reporters)]  # fmt: skip
    known = ", ".join(o.id for o in candidates[:5]) or "—"
    # An id that names no organisation is a mistake; a pattern may match none of a partial
    # deployment, as long as some organisation is matched at all.
    unknown = [p for p in upper.reporters if not _GLOB.search(p)
               and not any(o.id == p for o in candidates)] if chosen else list(upper.reporters)
    if unknown:
        raise ValidationError([Problem(
            message=f"„{p}” nie pasuje do żadnej organizacji wdrożenia (są m.in.: {known}); "
            "należy sprawdzić identyfikatory w plikach organizacji (--orgs)",
            path=upper.path, line=line, entry=upper.id, field="reporters") for p in unknown])
    return chosen


def _reporters_line(upper: Organisation) -> int | None:
    if upper.path is None:
        return None
    from terminarz.tomlcheck import LineIndex

    try:
        text = upper.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    index = LineIndex(text)
    return index.key("organisation", None, "reporters") or index.table("organisation")


def received_obligations(upper: Organisation, setup: Setup) -> list[Obligation]:
    """The obligations of a reporter's plan whose recipients include one of ``upper``'s levels."""
    levels = set(upper.levels)
    return [o for o in setup.obligations
            if levels.intersection(o.recipients) and o.deadline is not None]  # fmt: skip


def stem(obligation_id: str) -> str:
    """``sr@ops`` → ``sr``: an upper level's own report on the same form is ``sr@uw``."""
    return obligation_id.partition("@")[0]


# -- the status ------------------------------------------------------------------------------


def report_status(
    upper: Organisation,
    reporter: Reporter,
    item: PlannedOccurrence,
    *,
    today: date,
    upper_occurrence: str | None = None,
) -> ReportStatus:
    """Where ``reporter``'s report ``item`` stands on ``today``."""
    calendar = reporter.setup.statutory
    confirmation = reporter.confirmations.get(item.id)
    mine = [r for r in reporter.receipts if r.occurrence_id == item.id]
    latest = latest_receipts(mine).get(item.id)
    returns = [r for r in mine if r.action is ReceiptAction.RETURNED]
    returned_due = returns[-1].day if returns else None
    due = item.due  # a return's new date is already the occurrence's (an override)
    if latest is not None and latest.action is ReceiptAction.RECEIVED:
        state = State.RECEIVED
    elif confirmation is not None:
        state = State.SENT
    elif latest is not None and latest.action is ReceiptAction.RETURNED:
        state = State.RETURNED
    elif today > due:
        state = State.LATE
    else:
        state = State.WAITING
    if state in (State.SENT, State.RECEIVED):
        # sent on the day it was confirmed — or received, if that was earlier
        days = [d for d in (_day(confirmation.at) if confirmation is not None else None,
                            latest.day if state is State.RECEIVED and latest else None) if d]
        sent = min(days) if days else None
        late = calendar.working_days_between(due + timedelta(days=1), sent) if sent else 0
    else:
        late = calendar.working_days_between(due + timedelta(days=1), today)
    org = reporter.organisation
    return ReportStatus(
        organisation=org.id, organisation_name=org.name, item=item, state=state,
        late_days=late, confirmation=confirmation, receipt=latest, returned_due=returned_due,
        upper_occurrence=upper_occurrence,
    )  # fmt: skip


def overview(
    upper_setup: Setup,
    reporters: Sequence[Reporter],
    *,
    today: date,
    obligation: str | None = None,
    period: Period | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Overview:
    """The status of every reporter's report the upper level receives.

    ``obligation`` (an id or a glob, e.g. ``sr@ops`` or ``sr@*``) and ``period`` narrow it;
    without ``period``, the occurrences due in [``start``, ``end``], by default from 45 days
    before ``today`` to 31 days after. An announced report whose date is not known yet has no
    row (nothing can be late).
    """
    upper = upper_setup.organisation
    assert upper is not None
    rows: list[ReportStatus] = []
    start, end = start or today - WINDOW_BACK, end or today + WINDOW_AHEAD
    for reporter in reporters:
        for item in _occurrences(upper, reporter.setup, today=today, obligation=obligation,
                                 period=period, start=start, end=end):  # fmt: skip
            own = _upper_occurrence(upper_setup, item)
            rows.append(report_status(upper, reporter, item, today=today, upper_occurrence=own))
    rows.sort(key=lambda r: (r.item.occurrence.obligation.id, str(r.item.occurrence.period),
                             _ORDER[r.state], -r.late_days, r.organisation))  # fmt: skip
    return Overview(upper=upper, today=today, rows=tuple(rows),
                    inputs=tuple(_inputs(upper_setup, rows)))  # fmt: skip


def _occurrences(
    upper: Organisation, setup: Setup, *, today: date, obligation: str | None,
    period: Period | None, start: date, end: date,
) -> list[PlannedOccurrence]:  # fmt: skip
    from terminarz.org.plan import plan

    chosen = [o for o in received_obligations(upper, setup)
              if obligation is None or fnmatch.fnmatchcase(o.id, obligation)]  # fmt: skip
    if period is None:
        return plan(setup, start, end, today=today, obligations=chosen)
    found = []
    for ob in chosen:
        if not ob.applies_to(period):
            continue
        occurrence_id = f"{ob.id}/{period}"
        if ob.announced and occurrence_id not in setup.catalogues.announced:
            continue
        found.append(planned(setup, find_occurrence(setup, occurrence_id), today=today))
    return found


def _upper_occurrence(upper_setup: Setup, item: PlannedOccurrence) -> str | None:
    """The upper level's own occurrence fed by ``item``: the same form (the id before ``@``)
    at one of its levels, for the same period (``sr@ops/2026-Q4`` → ``sr@uw/2026-Q4``)."""
    upper = upper_setup.organisation
    assert upper is not None
    occ = item.occurrence
    for level in upper.levels:
        own = upper_setup.catalogues.obligation(f"{stem(occ.obligation.id)}@{level}")
        if own is not None and own in upper_setup.obligations and own.applies_to(occ.period):
            return f"{own.id}/{occ.period}"
    return None


def _inputs(upper_setup: Setup, rows: Sequence[ReportStatus]) -> list[Inputs]:
    groups: dict[tuple[str, str], list[ReportStatus]] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    found = []
    for members in groups.values():
        first = members[0]
        own = first.upper_occurrence
        upper_due = _upper_due(upper_setup, own)
        found.append(Inputs(
            obligation=first.item.occurrence.obligation, period=first.item.occurrence.period,
            due=min(r.item.due for r in members), total=len(members),
            arrived=sum(r.is_in for r in members),
            received=sum(r.state is State.RECEIVED for r in members),
            late=sum(r.is_late for r in members),
            returned=sum(r.state is State.RETURNED for r in members),
            substitutes=sum(bool(r.item.resolution and r.item.resolution.substitute)
                            for r in members),
            need_designation=sum(bool(r.item.resolution and r.item.resolution.needs_designation)
                                 for r in members),
            upper_occurrence=own, upper_due=upper_due,
        ))  # fmt: skip
    found.sort(key=lambda i: (i.due, i.key))
    return found


def _upper_due(upper_setup: Setup, occurrence_id: str | None) -> date | None:
    if occurrence_id is None:
        return None
    try:
        return find_occurrence(upper_setup, occurrence_id).due
    except UsageError:
        return None  # an announced date not known yet


def _day(stamp: str) -> date | None:
    try:
        return date.fromisoformat(stamp[:10])
    except ValueError:
        return None


# -- what a row says -----------------------------------------------------------------------


def responsible_text(row: ReportStatus, organisation: Organisation) -> str:
    """``Jan Nowak (zastępstwo)``, ``wymaga wyznaczenia — Dyrektor``; "—" without a duty."""
    resolution = row.item.resolution
    if resolution is None:
        return "— (brak przypisanego obowiązku)"
    if resolution.needs_designation:
        return f"wymaga wyznaczenia — {organisation.person_name(resolution.fallback)}"
    names = ", ".join(organisation.person_name(p) for p in resolution.responsible)
    if resolution.designation is not None:
        return f"{names} (wyznaczenie)"
    return f"{names} (zastępstwo)" if resolution.substitute else names


def state_text(row: ReportStatus) -> str:
    """The state with its details: when and by whom, how late, the new date."""
    if row.state is State.RECEIVED and row.receipt is not None:
        text = f"przyjęto {short_date(row.receipt.day)} ({row.receipt.recorded_by})"
    elif row.state is State.SENT and row.confirmation is not None:
        sent = _day(row.confirmation.at)
        when = short_date(sent) if sent else row.confirmation.at
        text = f"wysłano {when}" + (f" ({row.confirmation.by})" if row.confirmation.by else "")
    elif row.state is State.RETURNED and row.returned_due is not None:
        text = f"do poprawy do {short_date(row.returned_due)}"
    else:
        return f"po terminie: {_working_days(row.late_days)}" if row.late_days else row.state.value
    if row.late_days:
        text += f"; {late_phrase(row.late_days)}"
    return text


def _working_days(days: int) -> str:
    return f"{days} {plural(days, 'dzień roboczy', 'dni robocze', 'dni roboczych')}"


def late_phrase(days: int) -> str:
    """``3 dni robocze po terminie``."""
    return f"{_working_days(days)} po terminie"


def row_json(row: ReportStatus) -> dict[str, Any]:
    """One row for ``--format json`` (keys are a contract)."""
    resolution = row.item.resolution
    occ = row.item.occurrence
    return {
        "organisation": row.organisation,
        "organisation_name": row.organisation_name,
        "occurrence": row.occurrence_id,
        "obligation": occ.obligation.id,
        "form": occ.obligation.label,
        "period": str(occ.period),
        "due": row.item.due.isoformat(),
        "state": row.state.value,
        "late_working_days": row.late_days,
        "confirmed_at": row.confirmation.at if row.confirmation else None,
        "confirmed_by": row.confirmation.by if row.confirmation else None,
        "received_at": row.receipt.day.isoformat()
        if row.receipt and row.receipt.action is ReceiptAction.RECEIVED else None,
        "received_by": row.receipt.recorded_by
        if row.receipt and row.receipt.action is ReceiptAction.RECEIVED else None,
        "returned_due": row.returned_due.isoformat() if row.returned_due else None,
        "responsible": list(resolution.responsible) if resolution else [],
        "substitute": bool(resolution and resolution.substitute),
        "needs_designation": bool(resolution and resolution.needs_designation),
        "fallback": resolution.fallback if resolution else None,
        "upper_occurrence": row.upper_occurrence,
    }  # fmt: skip


def inputs_json(found: Inputs) -> dict[str, Any]:
    return {
        "obligation": found.obligation.id, "period": str(found.period),
        "due": found.due.isoformat(), "total": found.total, "arrived": found.arrived,
        "received": found.received, "late": found.late, "returned": found.returned,
        "substitutes": found.substitutes, "needs_designation": found.need_designation,
        "upper_occurrence": found.upper_occurrence,
        "upper_due": found.upper_due.isoformat() if found.upper_due else None,
        "text": found.counts_text(),
    }  # fmt: skip


CSV_HEADER = ("organizacja", "nazwa", "wystąpienie", "sprawozdanie", "okres", "termin", "stan",
              "dni_robocze_po_terminie", "wysłano", "wysłał", "przyjęto", "przyjął",
              "nowy_termin", "odpowiada", "zastępstwo", "wymaga_wyznaczenia")  # fmt: skip


def csv_rows(rows: Iterable[ReportStatus], reporters: Mapping[str, Organisation]
             ) -> list[list[str]]:  # fmt: skip
    """The table as CSV rows (the header is :data:`CSV_HEADER`)."""
    out = []
    for row in rows:
        data = row_json(row)
        org = reporters[row.organisation]
        out.append([
            row.organisation, row.organisation_name, row.occurrence_id, data["form"],
            data["period"], data["due"], row.state.value, str(row.late_days),
            data["confirmed_at"] or "", data["confirmed_by"] or "", data["received_at"] or "",
            data["received_by"] or "", data["returned_due"] or "", responsible_text(row, org),
            "tak" if data["substitute"] else "nie", "tak" if data["needs_designation"] else "nie",
        ])  # fmt: skip
    return out


def feed_counts(found: Overview) -> tuple[dict[str, str], list[FeedItem]]:
    """What the upper level's people's feeds carry: the counts line of each of its own
    occurrences (``sr@uw/2026-Q4`` → ``wpłynęło 12 z 150; po terminie 3``), and one event per
    reporters' deadline (keyed ``sprawozdawcy:sr@ops/2026-Q4``) with the same counts."""
    from terminarz.store.publication import FeedItem

    counts: dict[str, str] = {}
    items = []
    for inputs in found.inputs:
        text = inputs.counts_text()
        if inputs.upper_occurrence is not None:
            previous = counts.get(inputs.upper_occurrence)
            counts[inputs.upper_occurrence] = f"{previous}; {text}" if previous else text
        ob = inputs.obligation
        lines = [f"Sprawozdania jednostek: {ob.label} ({ob.title}) {inputs.period.for_words()}",
                 f"Termin jednostek: {date_words(inputs.due)}", f"Stan: {text}"]  # fmt: skip
        if inputs.substitutes or inputs.need_designation:
            lines.append(f"Zastępstwo: {inputs.substitutes}; wymaga wyznaczenia: "
                         f"{inputs.need_designation}")  # fmt: skip
        if inputs.upper_occurrence is not None:
            own = date_words(inputs.upper_due) if inputs.upper_due else "nieustalony"
            lines.append(f"Termin własny ({inputs.upper_occurrence}): {own}")
        lines.append(f"Identyfikator: sprawozdawcy:{inputs.key} (szczegóły: terminarz status "
                     f"--obligation {ob.id} --period {inputs.period})")  # fmt: skip
        items.append(FeedItem(
            key=f"sprawozdawcy:{inputs.key}", due=inputs.due,
            summary=f"Sprawozdania jednostek: {ob.label} {inputs.period.for_words()} — {text}",
            description="\n".join(lines), categories=("sprawozdawcy",),
        ))  # fmt: skip
    return counts, items


# -- receipt, return, summons ----------------------------------------------------------------


def check_received(upper: Organisation, reporter: Reporter, occurrence_id: str) -> str:
    """``occurrence_id`` as a report of ``reporter`` that ``upper`` receives; a Polish error
    otherwise."""
    occ = find_occurrence(reporter.setup, occurrence_id)
    if occ.obligation not in received_obligations(upper, reporter.setup):
        raise UsageError(
            f"{occ.id}: tego sprawozdania {reporter.organisation.id} nie składa do "
            f"{upper.id} (odbiorcy: {', '.join(occ.obligation.recipients)})"
        )
    return occ.id


def receive(upper: Organisation, reporter: Reporter, store: Store, occurrence_id: str, *,
            day: date, today: date, by: str, now: datetime) -> Receipt:  # fmt: skip
    """Record "przyjęto" in the sender's store. A report received but never confirmed by its
    sender is confirmed at the same time (it has evidently been sent: its reminders stop)."""
    occurrence_id = check_received(upper, reporter, occurrence_id)
    if day > today:
        raise UsageError(f"--date: dzień przyjęcia {day:%d.%m.%Y} r. jest późniejszy niż "
                         f"dzisiejsza data ({today:%d.%m.%Y} r.)")  # fmt: skip
    receipt = store.record_receipt(occurrence_id, action=ReceiptAction.RECEIVED, day=day,
                                   upper=upper.id, by=by, at=now)  # fmt: skip
    if store.confirmation(occurrence_id) is None:  # confirmed as of the day it was received
        at = now if now.date() == day else datetime.combine(day, time(12), tzinfo=now.tzinfo)
        store.confirm(occurrence_id, by=by, at=at,
                      note=f"potwierdzone przyjęciem przez {upper.id}")  # fmt: skip
    return receipt


def return_report(upper: Organisation, reporter: Reporter, store: Store, occurrence_id: str,
                  *, new_due: date, today: date, by: str, now: datetime,
                  note: str | None = None) -> Receipt:  # fmt: skip
    """Record "do poprawy": the sender's confirmation is withdrawn (logged) and the report is
    due again on ``new_due``, which must not be before ``today``."""
    occurrence_id = check_received(upper, reporter, occurrence_id)
    if new_due < today:
        raise UsageError(f"--new-date: nowy termin {new_due:%d.%m.%Y} r. jest wcześniejszy niż "
                         f"dzisiejsza data ({today:%d.%m.%Y} r.)")  # fmt: skip
    return store.record_receipt(occurrence_id, action=ReceiptAction.RETURNED, day=new_due,
                                upper=upper.id, by=by, at=now, note=note)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class SummonsView:
    """The template context of a summons (``templates/mail/summons.*.j2``)."""

    upper: str
    organisation: str
    recipients: tuple[str, ...]
    form: str
    title: str
    for_period: str
    due: str
    late: str
    occurrence_id: str
    returned_due: str | None
    day: str
    contact: str | None = None  # "Name <address>" at the upper level to write back to


@dataclass(kw_only=True)
class SummonsResult:
    sent: list[str] = field(default_factory=list)  # "org: occurrence"
    already: list[str] = field(default_factory=list)  # summoned earlier the same day
    failed: list[str] = field(default_factory=list)
    nobody: list[str] = field(default_factory=list)  # no address to write to


def summons_claim(upper: Organisation, row: ReportStatus, organisation: Organisation, *,
                  renderer: MailRenderer, sender: str, today: date, now: datetime,
                  reply_to: tuple[str, str] | None = None) -> Claim | None:  # fmt: skip
    """The summons of one late report to its responsible people (or the fallback asked to
    designate), as a claim for the sender's ledger; None when nobody has an address."""
    from terminarz.notify.mail import build_message, make_message_id

    people = [organisation.person(p) for p in row.item.owners]
    addressed = [p for p in people if p is not None and p.email]
    if not addressed:
        return None
    occ = row.item.occurrence
    view = SummonsView(
        upper=upper.name, organisation=organisation.name,
        recipients=tuple(p.name for p in addressed), form=occ.obligation.label,
        title=occ.obligation.title, for_period=occ.period.for_words(),
        due=date_words(row.item.due), late=late_phrase(row.late_days),
        occurrence_id=occ.id, returned_due=date_words(row.returned_due)
        if row.returned_due else None, day=date_words(today),
        contact=f"{reply_to[0]} <{reply_to[1]}>" if reply_to else None,
    )  # fmt: skip
    rendered = renderer.render_view(MailKind.SUMMONS, view)
    key = (occ.id, SUMMONS, today.isoformat(), "responsible")
    message_id = make_message_id(organisation.id, key, sender)
    first = addressed[0]
    message = build_message(
        rendered=rendered, sender=sender, to=(first.name, first.email),
        cc=[(p.name, p.email) for p in addressed[1:]], message_id=message_id, date=now,
        reply_to=reply_to,
    )  # fmt: skip
    return Claim(
        occurrence_id=occ.id, kind=SUMMONS, step=today.isoformat(), recipient="responsible",
        series=SUMMONS, address=first.email, envelope=tuple(p.email for p in addressed),
        message_id=message_id, subject=rendered.subject, day=today, message=message,
        recipients=tuple(Recipient(address=p.email, person=p.id, role="to" if i == 0 else "cc")
                         for i, p in enumerate(addressed)),
    )  # fmt: skip


def summon(
    upper: Organisation,
    late: Sequence[tuple[ReportStatus, Organisation]],
    stores: Callable[[Organisation], Store],
    *,
    mailer: Mailer,
    renderer: MailRenderer,
    sender: str,
    today: date,
    now: datetime,
    by: str,
    reply_to: tuple[str, str] | None = None,
) -> SummonsResult:
    """Send one summons per late report (``late``: rows with their organisations), each
    claimed in its sender's ledger first — a second call the same day sends nothing.
    ``reply_to`` (name, address) is whom the institutions write back to."""
    from email.utils import parseaddr

    from terminarz.notify.mailer import MailError

    result = SummonsResult()
    envelope_from = parseaddr(sender)[1] or sender
    for row, organisation in late:
        label = f"{organisation.id}: {row.occurrence_id}"
        claim = summons_claim(upper, row, organisation, renderer=renderer, sender=sender,
                              today=today, now=now, reply_to=reply_to)  # fmt: skip
        if claim is None:
            result.nobody.append(label)
            continue
        with stores(organisation) as store:
            if not store.claim([claim], at=now):
                result.already.append(label)
                continue
            store.audit(action="summons", subject=row.occurrence_id, actor=by, at=now,
                        detail=f"wezwanie od {upper.id} do: {', '.join(claim.envelope)}")
            record = next(r for r in store.history(occurrence_id=row.occurrence_id)
                          if r.key == claim.key)  # fmt: skip
            by_address = {d.address: d for d in record.deliveries
                          if d.status is DeliveryStatus.PENDING}  # fmt: skip
            try:
                sent = mailer.send(claim.message, sender=envelope_from,
                                   recipients=list(by_address))  # fmt: skip
            except MailError as exc:
                store.mark_failed([d.id for d in by_address.values()], str(exc),
                                  permanent=not exc.temporary)  # fmt: skip
                result.failed.append(f"{label}: {exc}")
                continue
            if sent.accepted:
                store.mark_sent([by_address[a].id for a in sent.accepted], at=now)
            for address, error in sent.refused.items():
                store.mark_failed([by_address[address].id], str(error),
                                  permanent=not error.temporary)  # fmt: skip
            for address, error in sent.unknown.items():
                store.mark_unknown([by_address[address].id], str(error))
            (result.sent if sent.accepted else result.failed).append(label)
    return result


def load_reporters(
    files: Sequence[Path],
    upper: Organisation,
    *,
    today: date,
    load: Callable[[Path], Setup],
    stores: Callable[[Organisation], Store | None],
) -> list[Reporter]:
    """The reporters of ``upper`` among the organisation ``files`` of the deployment.

    ``load`` reads one file into a setup; ``stores`` opens an organisation's store (None when
    it has none yet: nothing recorded, nothing confirmed).
    """
    from terminarz.notify.recorded import recorded_setup

    setups = [load(path) for path in files]
    by_id: dict[str, Setup] = {}
    for loaded in setups:
        org = loaded.organisation
        if org is None:
            continue
        twin = by_id.setdefault(org.id, loaded).organisation
        if twin is not None and twin is not org:
            raise ValidationError([Problem(
                message=f"identyfikator organizacji „{org.id}” jest też w pliku {twin.path}; "
                "w jednym wdrożeniu każda organizacja musi mieć własny identyfikator",
                path=org.path, entry=org.id, field="id")])  # fmt: skip
    chosen = select_reporters(upper, [s.organisation for s in setups
                                      if s.organisation is not None])  # fmt: skip
    found = []
    for organisation in chosen:
        setup = by_id[organisation.id]
        store = stores(organisation)
        if store is None:
            found.append(Reporter(setup=setup, confirmations={}, receipts=()))
            continue
        with store:
            setup = recorded_setup(setup, store, since=today - timedelta(days=400))
            found.append(Reporter(setup=setup, confirmations=store.confirmations(),
                                  receipts=tuple(store.receipts())))  # fmt: skip
    return found


# -- the deployment from its files and stores ----------------------------------------------------


def open_deployment(
    files: Sequence[Path],
    upper: Organisation,
    *,
    today: date,
    load: Callable[[Path], Setup],
    locate: Callable[[Organisation], Location],
) -> list[Reporter]:
    """:func:`load_reporters` over organisation files (``load`` reads one), each store at
    ``locate(organisation)`` — one connection per distinct location, shared by the
    organisations kept there (a deployment's PostgreSQL: one connection, not 150); a store
    not there yet is not created."""
    from contextlib import ExitStack

    from terminarz.store import exists, open_store

    with ExitStack() as opened:
        shared: dict[tuple[str, str], Store] = {}

        def stores(organisation: Organisation) -> Store | None:
            location = locate(organisation)
            key = (location.scheme, location.target)
            root = shared.get(key)
            if root is None:
                if not exists(location):
                    return None
                root = shared[key] = opened.enter_context(open_store(location, organisation.id))
            return root.for_organisation(organisation.id)

        return load_reporters(files, upper, today=today, load=load, stores=stores)


def with_feed_counts(setup: Setup, reporters: Sequence[Reporter], feed_set: FeedSet,
                     today: date) -> FeedSet:  # fmt: skip
    """``feed_set`` with the counts of the reports due from 45 days back (older periods may
    predate the deployment: their counts would only be noise) to the end of its horizon."""
    from terminarz.notify.feeds import with_reporting_counts

    found = overview(setup, reporters, today=today, start=today - WINDOW_BACK, end=feed_set.end)
    counts, extra = feed_counts(found)
    return with_reporting_counts(feed_set, counts, extra)


def feeds_with_counts(
    files: Sequence[Path],
    *,
    statutory: WorkingCalendar,
    locate: Callable[[Organisation], Location],
) -> Callable[[Setup, FeedSet, date], FeedSet]:
    """For ``serve --orgs``: what adds an upper level's reporters' counts to its feeds each
    time they are built (the deployment's files and stores are read then)."""
    from terminarz.org.plan import CatalogueCache, load_setup

    cache = CatalogueCache()

    def decorate(setup: Setup, feed_set: FeedSet, today: date) -> FeedSet:
        upper = setup.organisation
        if upper is None or not upper.reporters:
            return feed_set

        def load(path: Path) -> Setup:
            return load_setup(path, today=today, statutory=statutory, catalogue_cache=cache)

        reporters = open_deployment(files, upper, today=today, load=load, locate=locate)
        return with_feed_counts(setup, reporters, feed_set, today)

    return decorate

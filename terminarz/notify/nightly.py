"""One night of reminders for one organisation: decide, claim, send, mark.

:func:`run_night` is what ``terminarz remind`` and the daemon run. The order
of its steps is what makes a mail never lost and never sent twice:

1. decide the mails due today that are not in the ledger yet
   (:func:`terminarz.notify.reminders.decide`) and render each one completely;
2. claim them — insert each message with its bytes and one ``pending`` delivery
   per envelope address, in one transaction (which, on the first run from a
   store, also records the epoch: the day reminders started);
3. send every message with open deliveries, oldest first — those just claimed
   and those left by an earlier run (a temporary refusal, or a process killed
   between claim and send) — each address marked ``sent`` as soon as the server
   accepted it, ``failed`` when refused for good, ``unknown`` when the message
   was transmitted but never acknowledged (resent at most once, by a later run).

The caller holds the store's run lock (:meth:`terminarz.store.base.Store.run_lock`)
around the whole of it, so two runs never work on one store at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from functools import partial

from terminarz.notify.mail import Composed, MailComposer
from terminarz.notify.mailer import Mailer, MailError, ServerUnavailable
from terminarz.notify.recorded import recorded_setup
from terminarz.notify.reminders import DueMail, FindDateMail, decide, decide_find_date, lead_days
from terminarz.org.plan import Setup, pending_tasks, plan
from terminarz.store.base import (
    Claim,
    MailRecord,
    MailStatus,
    Recipient,
    Store,
    StoreError,
    return_rounds,
)

Clock = Callable[[], datetime]
OVERDUE_LOOKBACK = timedelta(days=400)  # how far back unconfirmed reports are still escalated


@dataclass(frozen=True, slots=True, kw_only=True)
class Decided:
    """A mail decided on a dry run: what it is and how it renders."""

    mail: DueMail | FindDateMail
    composed: Composed


@dataclass(frozen=True, slots=True, kw_only=True)
class NightResult:
    """What one run did for one organisation."""

    organisation: str
    day: date
    decided: tuple[Decided, ...] = ()
    claimed: int = 0
    sent: int = 0
    resent: int = 0  # pending mails from an earlier run, sent now
    cancelled: int = 0
    pending: tuple[str, ...] = ()  # why mails were left for the next run
    failed: tuple[str, ...] = ()  # permanent refusals
    unknown: tuple[str, ...] = ()  # transmitted, never acknowledged (resent once later)
    unrecorded: tuple[str, ...] = ()  # sent, but the store could not record it (may repeat)
    unavailable: str | None = None  # the server could not be reached

    @property
    def ok(self) -> bool:
        return (not self.pending and not self.failed and not self.unknown
                and not self.unrecorded and self.unavailable is None)  # fmt: skip


@dataclass(kw_only=True)
class _Tally:
    sent: int = 0
    resent: int = 0
    cancelled: int = 0
    pending: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)
    unavailable: str | None = None


def due_mails(setup: Setup, ledger: Store, *, today: date, epoch: date,
              overdue_every: int, overdue_max: int = 4,
              overdue_until: int = 90) -> list[DueMail]:  # fmt: skip
    """The mails ``today`` calls for that the ledger does not hold yet."""
    organisation = setup.organisation
    assert organisation is not None
    calendar = setup.institution
    start = max(epoch, today - OVERDUE_LOOKBACK)
    # Steps lie up to `lead` working days of the institution before the due date (or its
    # planning date, which may be a few days earlier): a week more covers both.
    end = calendar.add_working_days(today, lead_days(organisation) + 1) + timedelta(days=7)
    items = plan(setup, start, end, today=today)
    confirmed = ledger.confirmations()
    keys = ledger.keys(item.id for item in items)
    return decide(
        items, organisation=organisation, calendar=calendar, today=today, ledger=keys,
        confirmed=confirmed, overdue_every=overdue_every, epoch=epoch, overdue_max=overdue_max,
        overdue_until=overdue_until, rounds=return_rounds(ledger.receipts()),
    )  # fmt: skip


def find_date_mails(setup: Setup, ledger: Store, *, today: date,
                    epoch: date) -> list[FindDateMail]:  # fmt: skip
    """The "ustal termin" mails ``today`` calls for (reports whose date is not announced
    yet), that the ledger does not hold yet."""
    organisation = setup.organisation
    assert organisation is not None
    start = max(epoch, today - timedelta(days=31))
    end = today + timedelta(days=14)  # a step lies two working days before its task
    items = pending_tasks(setup, start, end, today=today)
    if not items:
        return []
    keys = ledger.keys(p.task.id for p in items if p.task is not None)
    return decide_find_date(items, calendar=setup.institution, today=today, ledger=keys,
                            confirmed=ledger.confirmations())  # fmt: skip


def run_night(
    setup: Setup,
    *,
    today: date,
    clock: Clock,
    ledger: Store,
    composer: MailComposer,
    mailer: Mailer | None,
    sender: str,
    dry_run: bool = False,
) -> NightResult:
    """Decide, claim and send the mails of ``today``; with ``dry_run`` only decide and render.

    ``mailer`` may be None only for a dry run. Template errors and other bugs
    raise before anything is claimed.
    """
    organisation = setup.organisation
    if organisation is None:
        raise ValueError("reminders need an organisation")
    setup = recorded_setup(setup, ledger, since=today - OVERDUE_LOOKBACK)
    policy = organisation.settings.reminders
    escalation = {"overdue_every": policy.overdue_every, "overdue_max": policy.overdue_max,
                  "overdue_until": policy.overdue_until}  # fmt: skip
    if dry_run:
        epoch = ledger.epoch() or today
        mails = due_mails(setup, ledger, today=today, epoch=epoch, **escalation)
        finding = find_date_mails(setup, ledger, today=today, epoch=epoch)
        now = clock()
        decided = tuple(
            Decided(mail=m, composed=composer.compose(m, today=today, now=now)) for m in mails
        ) + tuple(Decided(mail=f, composed=composer.compose_find_date(f, today=today, now=now))
                  for f in finding)  # fmt: skip
        return NightResult(organisation=organisation.id, day=today, decided=decided)
    if mailer is None:
        raise ValueError("a mailer is needed unless dry_run")

    recorded = ledger.epoch()
    epoch = recorded or today
    mails = due_mails(setup, ledger, today=today, epoch=epoch, **escalation)
    finding = find_date_mails(setup, ledger, today=today, epoch=epoch)
    now = clock()
    claims = [_claim(m, composer.compose(m, today=today, now=now), today, setup)
              for m in mails]  # fmt: skip
    claims += [_claim(f, composer.compose_find_date(f, today=today, now=now), today, setup)
               for f in finding]  # fmt: skip
    # The store must take a write before any mail goes out, not fail after the first send:
    # the claim's transaction is that write (new messages, or the epoch on a first night);
    # with neither, a write of its own.
    if not claims and recorded:
        ledger.check_writable()
    claimed = set(ledger.claim(claims, at=now, epoch=None if recorded else today))

    tally = _Tally()
    confirmed = ledger.confirmations()
    envelope_from = parseaddr(sender)[1] or sender
    # The caller holds this organisation's run lock (released when its holder dies, even on
    # another machine), so every open delivery is this run's to send: a run that died before
    # marking its mails leaves them to the next (at most one repeat, with the same Message-ID).
    for record in _newest_per_series(ledger, ledger.pending(), tally):
        if record.occurrence_id in confirmed:
            ledger.cancel(record.id, "sprawozdanie potwierdzone")
            tally.cancelled += 1
            continue
        deliveries = record.open_deliveries()
        if tally.unavailable is not None:
            tally.pending.append(f"{_label(record)}: {tally.unavailable}")
            continue
        by_address = {d.address: d for d in deliveries}
        try:
            result = mailer.send(ledger.message(record.id), sender=envelope_from,
                                 recipients=list(by_address))  # fmt: skip
        except ServerUnavailable as exc:
            ledger.mark_failed([d.id for d in deliveries], str(exc), permanent=False)
            tally.unavailable = str(exc)
            tally.pending.append(f"{_label(record)}: {exc}")
            continue
        except MailError as exc:
            ledger.mark_failed([d.id for d in deliveries], str(exc), permanent=not exc.temporary)
            (tally.pending if exc.temporary else tally.failed).append(f"{_label(record)}: {exc}")
            continue
        try:
            if result.accepted:
                _recorded(partial(ledger.mark_sent, [by_address[a].id for a in result.accepted],
                                  at=clock()))  # fmt: skip
                if record.id in claimed:
                    tally.sent += 1
                else:
                    tally.resent += 1
            for address, error in result.refused.items():
                _recorded(partial(ledger.mark_failed, [by_address[address].id], str(error),
                                  permanent=not error.temporary))  # fmt: skip
                line = f"{_label(record)} ({address}): {error}"
                (tally.pending if error.temporary else tally.failed).append(line)
            for address, error in result.unknown.items():
                _recorded(partial(ledger.mark_unknown, [by_address[address].id], str(error)))
                tally.unknown.append(f"{_label(record)} ({address}): {error}")
        except StoreError as exc:
            # Sent, but the store will not say so: the next run may send it again (same
            # Message-ID). Nothing more goes out until the store can be written.
            tally.unrecorded.append(f"{_label(record)}: {exc}")
            break
    return NightResult(
        organisation=organisation.id, day=today, claimed=len(claimed), sent=tally.sent,
        resent=tally.resent, cancelled=tally.cancelled, pending=tuple(tally.pending),
        failed=tuple(tally.failed), unknown=tuple(tally.unknown),
        unrecorded=tuple(tally.unrecorded), unavailable=tally.unavailable,
    )  # fmt: skip


def _recorded(write: Callable[[], None], attempts: int = 3, pause: float = 0.5) -> None:
    """A write after a send, retried (a full disk may free up, a lock may pass); the last
    :class:`StoreError` is raised."""
    import time

    for attempt in range(attempts):
        try:
            write()
            return
        except StoreError:
            if attempt + 1 == attempts:
                raise
            time.sleep(pause)


def _claim(mail: DueMail | FindDateMail, composed: Composed, today: date,
           setup: Setup) -> Claim:  # fmt: skip
    """The message and its deliveries: each addressee (``To``) and each copy (``Cc``) with
    the person it goes to, so that ``log`` and the store know who got what — and the
    ledger holds every addressee's key, as if each had had a message of their own."""
    organisation = setup.organisation
    people: dict[str, str] = {}
    addressees = getattr(mail, "addressees", (mail.recipient,))
    for person_id in (*addressees, *getattr(mail, "cc", ())):
        person = organisation.person(person_id) if organisation is not None else None
        if person is not None and person.email:
            people.setdefault(person.email, person_id)
    recipients = tuple(
        Recipient(address=address, person=mail.recipient, role="to") if i == 0
        else Recipient(address=address, person=people.get(address),
                       role="to" if i < composed.to_count else "cc")
        for i, address in enumerate(composed.envelope)
    )  # fmt: skip
    return Claim(
        occurrence_id=mail.occurrence_id, kind=mail.kind.value, step=mail.step,
        recipient=mail.recipient, series=mail.series, address=composed.address,
        envelope=composed.envelope, message_id=composed.message_id, subject=composed.subject,
        day=today, message=composed.message, recipients=recipients,
    )  # fmt: skip


def _newest_per_series(
    ledger: Store, pending: list[MailRecord], tally: _Tally
) -> list[MailRecord]:
    """Pending mails to send: of several in one series for one recipient (a reminder that
    failed yesterday and today's), only the newest — the older one is cancelled."""
    newest: dict[tuple[str, str, str], MailRecord] = {}
    for record in pending:
        group = (record.occurrence_id, record.recipient, record.series)
        current = newest.get(group)
        if current is None or (record.day, record.id) > (current.day, current.id):
            newest[group] = record
    keep = {r.id for r in newest.values()}
    out = []
    for record in pending:
        if record.id in keep:
            out.append(record)
        else:
            group = (record.occurrence_id, record.recipient, record.series)
            ledger.cancel(record.id, f"zastąpione nowszym: {newest[group].step}")
            tally.cancelled += 1
    return out


def _label(record: MailRecord) -> str:
    return f"{record.occurrence_id} {record.kind} {record.step} → {record.address}"


__all__ = ["Decided", "MailStatus", "NightResult", "due_mails", "run_night"]

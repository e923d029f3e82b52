"""The store interface: everything terminarz keeps between runs, behind one abstract class.

A :class:`Store` is opened for one organisation (its id is part of every key) at
one location (a SQLite file today; another backend is one more module in this
package, registered in :data:`terminarz.store.BACKENDS`). The layers above use
only this interface and the records defined here; none of them talks to a
database.

What is kept:

* the mail ledger — *messages* (occurrence, kind, step, audience, Message-ID, the
  exact bytes) and their *deliveries*, one per envelope address, each with its
  own status (:class:`DeliveryStatus`), attempts, last error and a lease for the
  worker that holds it; the stored ``kind``/``step`` values are keys and never
  change (Polish wording is for display only);
* confirmations of reports and of internal tasks, with their log;
* the publication memory of feeds (:mod:`terminarz.store.publication`);
* what people record through the web — absences, designations (II.5), announced
  dates entered by hand — each write with an entry in the audit log, where
  nothing is deleted (a withdrawal is a new entry);
* sign-in tokens and sessions (only their digests are stored);
* cached copies of remote catalogues, and derived data worth keeping between
  commands (parsed absence calendars, keyed by the file's path, size and time);
* what an upper level recorded about a report it receives (:class:`Receipt`): received
  ("przyjęto"), or returned for correction ("do poprawy") with a new date — kept in the
  sending organisation's rows, so its own commands see it.

Every write is its own transaction, so a process killed at any point leaves a
consistent store.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from enum import StrEnum
from types import TracebackType

from terminarz.errors import TerminarzError
from terminarz.records import Record

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from terminarz.store.feedstate import FeedState
    from terminarz.store.publication import PublicationMemory

Key = tuple[str, str, str, str]  # (occurrence_id, kind, step, recipient) of a delivery


class StoreError(TerminarzError):
    """The store cannot be opened, read or written (a Polish message naming it)."""


class RunLocked(TerminarzError):
    """Another run holds the lock of the same store."""


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # claimed, not yet accepted (or refused for now: tried again)
    SENT = "sent"  # the server accepted it for this address
    FAILED = "failed"  # refused for good (5xx)
    UNKNOWN = "unknown"  # the message was transmitted but the server never answered
    CANCELLED = "cancelled"  # no longer makes sense (confirmed, or overtaken)

    @property
    def polish(self) -> str:
        return _STATUS_POLISH[self]


_STATUS_POLISH = {
    DeliveryStatus.PENDING: "oczekuje",
    DeliveryStatus.SENT: "wysłano",
    DeliveryStatus.FAILED: "odrzucono",
    DeliveryStatus.UNKNOWN: "nie wiadomo, czy doręczono",
    DeliveryStatus.CANCELLED: "anulowano",
}

MailStatus = DeliveryStatus  # the name ``terminarz log`` and older code know


class Recipient(Record):
    """One envelope address of a message: who it is (a person id, when known) and the role."""

    address: str
    person: str | None = None
    role: str = "to"  # to | cc


class Claim(Record):
    """A message about to be sent: its key, where it goes and its complete bytes.

    ``recipient`` is the audience the message was decided for (a person id, or a
    group key); ``recipients`` are its envelope addresses, one delivery each.
    """

    occurrence_id: str
    kind: str
    step: str
    recipient: str
    series: str
    address: str
    envelope: tuple[str, ...]
    message_id: str
    subject: str
    day: date
    message: bytes
    recipients: tuple[Recipient, ...] = ()

    @property
    def key(self) -> Key:
        return (self.occurrence_id, self.kind, self.step, self.recipient)

    def deliveries(self) -> tuple[Recipient, ...]:
        """The envelope as deliveries: ``recipients`` when given, else one per address
        (the first is the decided recipient, the others copies)."""
        if self.recipients:
            return self.recipients
        return tuple(
            Recipient(address=a, person=self.recipient if i == 0 else None,
                      role="to" if i == 0 else "cc")
            for i, a in enumerate(self.envelope)
        )  # fmt: skip


class Delivery(Record):
    """One address of one message, as the ledger holds it."""

    id: int
    address: str
    person: str | None
    role: str
    status: DeliveryStatus
    attempts: int
    error: str | None
    sent_at: str | None
    unknown_resent: bool = False


class MailRecord(Record):
    """One message of the ledger with its deliveries (without the bytes: see
    :meth:`Store.message`). ``status`` sums the deliveries up."""

    id: int
    occurrence_id: str
    kind: str
    step: str
    recipient: str
    series: str
    address: str
    envelope: tuple[str, ...]
    message_id: str
    subject: str
    day: date
    status: DeliveryStatus
    claimed_at: str
    sent_at: str | None
    attempts: int
    error: str | None
    deliveries: tuple[Delivery, ...] = ()

    @property
    def key(self) -> Key:
        return (self.occurrence_id, self.kind, self.step, self.recipient)

    def open_deliveries(self) -> tuple[Delivery, ...]:
        """The deliveries a run should attempt: pending ones, and unknown ones not yet
        resent once."""
        return tuple(
            d for d in self.deliveries
            if d.status is DeliveryStatus.PENDING
            or (d.status is DeliveryStatus.UNKNOWN and not d.unknown_resent)
        )  # fmt: skip


def summary_status(deliveries: Sequence[Delivery]) -> DeliveryStatus:
    """A message's status from its deliveries: pending while any is open, else the worst."""
    statuses = {d.status for d in deliveries}
    for status in (DeliveryStatus.PENDING, DeliveryStatus.UNKNOWN, DeliveryStatus.FAILED,
                   DeliveryStatus.SENT):  # fmt: skip
        if status in statuses:
            return status
    return DeliveryStatus.CANCELLED


class Confirmation(Record):
    """A report (or an internal task: ``…#dane:fk``) confirmed as done."""

    occurrence_id: str
    confirmed_by: str | None
    confirmed_at: str
    note: str | None

    @property
    def by(self) -> str | None:
        return self.confirmed_by

    @property
    def at(self) -> str:
        return self.confirmed_at


class ConfirmationEvent(Record):
    occurrence_id: str
    action: str  # done | undone
    person: str | None
    at: str
    note: str | None


class AbsenceCategory(StrEnum):
    LEAVE = "urlop"
    SICK = "zwolnienie"
    TRIP = "delegacja"
    OTHER = "inna"


class RecordedAbsence(Record):
    """An absence a person (or their head) recorded; no free text (RODO)."""

    id: int
    person: str
    start: date
    end: date
    category: AbsenceCategory
    recorded_by: str
    recorded_at: str


class RecordedDesignation(Record):
    """A designation under II.5: ``person`` handles ``occurrence_id`` (or every occurrence
    due in ``start``–``end``), on ``basis``."""

    id: int
    person: str
    occurrence_id: str | None
    start: date | None
    end: date | None
    basis: str
    designated_by: str
    recorded_at: str


class RecordedDate(Record):
    """An announced deadline entered by hand, with where it was read."""

    id: int
    occurrence_id: str
    due: date
    source: str
    recorded_by: str
    recorded_at: str


class AuditEntry(Record):
    id: int
    at: str
    actor: str | None
    action: str
    subject: str
    detail: str


class ReceiptAction(StrEnum):
    RECEIVED = "received"  # przyjęto
    RETURNED = "returned"  # do poprawy: open again for the sender, with a new date

    @property
    def polish(self) -> str:
        return "przyjęto" if self is ReceiptAction.RECEIVED else "do poprawy"


class Receipt(Record):
    """What the receiving (upper-level) organisation ``upper`` recorded about a report of
    the store's organisation: ``day`` is the day it was received, or for a return the new
    date the corrected report is due."""

    id: int
    occurrence_id: str
    action: ReceiptAction
    day: date
    upper: str
    recorded_by: str
    recorded_at: str
    note: str | None = None


def latest_receipts(receipts: Iterable[Receipt]) -> dict[str, Receipt]:
    """The newest entry per occurrence (``receipts`` in the order they were recorded)."""
    return {r.occurrence_id: r for r in receipts}


def return_rounds(receipts: Iterable[Receipt]) -> dict[str, int]:
    """How many times each occurrence was returned for correction (only those returned)."""
    rounds: dict[str, int] = {}
    for receipt in receipts:
        if receipt.action is ReceiptAction.RETURNED:
            rounds[receipt.occurrence_id] = rounds.get(receipt.occurrence_id, 0) + 1
    return rounds


def last_returns(receipts: Iterable[Receipt]) -> dict[str, Receipt]:
    """The newest return per occurrence: its ``day`` is the date the report is now due."""
    return {r.occurrence_id: r for r in receipts if r.action is ReceiptAction.RETURNED}


class CachedCatalogue(Record):
    """The last good copy of a catalogue published at ``url``, with its HTTP validators."""

    url: str
    body: bytes
    etag: str | None
    last_modified: str | None
    fetched_at: str  # when this copy was fetched
    checked_at: str  # when the address last answered (a 304 counts)


class Store(abc.ABC):
    """Everything kept between runs for one organisation (see the module's docstring).

    Implementations raise :class:`StoreError` (Polish, naming the store) for a
    store that cannot be used, and :class:`RunLocked` from :meth:`run_lock`.
    """

    organisation: str
    location: str  # what ``--verbose`` prints: a path or a URL without its password

    # -- lifecycle -------------------------------------------------------------------------

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @abc.abstractmethod
    def for_organisation(self, organisation: str) -> Store:
        """The same store for another organisation, on this store's connection (reading a
        whole deployment without a connection per organisation). Closing it leaves this
        store open; it must not outlive this store nor be used from another thread."""

    @abc.abstractmethod
    def run_lock(self, *, timeout: float) -> AbstractContextManager[None]:
        """Hold the nightly run's lock of this store, waiting up to ``timeout`` seconds."""

    @abc.abstractmethod
    def check_writable(self) -> None:
        """Raise :class:`StoreError` unless a write would succeed now (before any mail)."""

    @abc.abstractmethod
    def version(self) -> object:
        """A value that changes whenever another connection commits (for caches)."""

    # -- the epoch: the first day reminders were sent from this store -----------------------

    @abc.abstractmethod
    def epoch(self) -> date | None: ...

    @abc.abstractmethod
    def start_epoch(self, today: date) -> date:
        """Record ``today`` as the epoch unless one is recorded; return the epoch."""

    # -- the mail ledger -------------------------------------------------------------------

    @abc.abstractmethod
    def keys(self, occurrence_ids: Iterable[str]) -> frozenset[Key]:
        """Every decided key (any status) of these occurrences: the messages' and their
        deliveries' (a person reached through a message of another audience counts)."""

    @abc.abstractmethod
    def claim(
        self, claims: Sequence[Claim], *, at: datetime, epoch: date | None = None
    ) -> list[int]:
        """Insert the messages and their deliveries as pending in one transaction; the ids of
        the new messages. A key already held is skipped; ``epoch`` is recorded with them."""

    @abc.abstractmethod
    def pending(self, *, worker: str = "", now: datetime | None = None,
                lease_seconds: float = 0) -> list[MailRecord]:  # fmt: skip
        """Messages with open deliveries, oldest first. With ``lease_seconds``, the open
        deliveries are leased to ``worker`` until ``now`` + that many seconds, and those
        leased to another live worker are left out."""

    @abc.abstractmethod
    def message(self, mail_id: int) -> bytes: ...

    @abc.abstractmethod
    def mark_sent(self, delivery_ids: Sequence[int], *, at: datetime) -> None: ...

    @abc.abstractmethod
    def mark_failed(self, delivery_ids: Sequence[int], error: str, *, permanent: bool) -> None:
        """A failed attempt; ``permanent`` ends the deliveries (``failed``)."""

    @abc.abstractmethod
    def mark_unknown(self, delivery_ids: Sequence[int], error: str) -> None:
        """The message was transmitted but not acknowledged: ``unknown``; a first unknown may
        be resent once later, a resend that ends unknown again is final."""

    @abc.abstractmethod
    def cancel(self, mail_id: int, reason: str) -> None:
        """Cancel the open deliveries of a message."""

    @abc.abstractmethod
    def history(
        self, *, occurrence_id: str | None = None, person: str | None = None
    ) -> list[MailRecord]:
        """Messages, oldest first (``person``: messages with a delivery to them)."""

    # -- confirmations ---------------------------------------------------------------------

    @abc.abstractmethod
    def confirmations(self) -> dict[str, Confirmation]: ...

    @abc.abstractmethod
    def confirmation(self, occurrence_id: str) -> Confirmation | None: ...

    @abc.abstractmethod
    def confirm(
        self, occurrence_id: str, *, by: str | None, at: datetime, note: str | None = None
    ) -> Confirmation:
        """Record it as done (a second confirmation keeps the first); pending mails of the
        occurrence are cancelled in the same transaction."""

    @abc.abstractmethod
    def unconfirm(self, occurrence_id: str, *, by: str | None, at: datetime,
                  note: str | None = None) -> Confirmation | None:  # fmt: skip
        """Withdraw a confirmation; the one withdrawn (None when there was none)."""

    @abc.abstractmethod
    def confirmation_log(self, occurrence_id: str | None = None) -> list[ConfirmationEvent]: ...

    # -- feeds -----------------------------------------------------------------------------

    @abc.abstractmethod
    def publication(self) -> PublicationMemory:
        """The publication memory of this organisation's feeds."""

    # -- what people record (each write is audited) ------------------------------------------

    @abc.abstractmethod
    def add_absence(self, *, person: str, start: date, end: date, category: AbsenceCategory,
                    by: str, at: datetime) -> RecordedAbsence: ...  # fmt: skip

    @abc.abstractmethod
    def withdraw_absence(self, absence_id: int, *, by: str, at: datetime) -> bool: ...

    @abc.abstractmethod
    def absences(self, *, ending_on_or_after: date | None = None) -> list[RecordedAbsence]:
        """Absences in force (not withdrawn), by start."""

    @abc.abstractmethod
    def purge_absences(self, *, ended_before: date, at: datetime) -> int:
        """Remove absences that ended before ``ended_before`` (retention); audited."""

    @abc.abstractmethod
    def add_designation(self, *, person: str, occurrence_id: str | None, start: date | None,
                        end: date | None, basis: str, by: str,
                        at: datetime) -> RecordedDesignation: ...  # fmt: skip

    @abc.abstractmethod
    def withdraw_designation(self, designation_id: int, *, by: str, at: datetime) -> bool: ...

    @abc.abstractmethod
    def designations(self) -> list[RecordedDesignation]: ...

    @abc.abstractmethod
    def set_announced_date(self, *, occurrence_id: str, due: date, source: str, by: str,
                           at: datetime) -> RecordedDate: ...  # fmt: skip

    @abc.abstractmethod
    def announced_dates(self) -> dict[str, RecordedDate]:
        """The newest entry per occurrence."""

    @abc.abstractmethod
    def audit(self, *, action: str, subject: str, detail: str = "", actor: str | None,
              at: datetime) -> None: ...  # fmt: skip

    @abc.abstractmethod
    def audit_log(self, *, subject: str | None = None, limit: int | None = None
                  ) -> list[AuditEntry]: ...  # fmt: skip

    # -- receipts by the upper level ------------------------------------------------------

    @abc.abstractmethod
    def record_receipt(self, occurrence_id: str, *, action: ReceiptAction, day: date,
                       upper: str, by: str, at: datetime,
                       note: str | None = None) -> Receipt:  # fmt: skip
        """Record that ``upper`` received the report (``day``: when) or returned it for
        correction (``day``: the new date). A return also withdraws the sender's confirmation
        (logged as ``undone`` with the reason), in the same transaction; both are audited."""

    @abc.abstractmethod
    def receipts(self) -> list[Receipt]:
        """Every receipt and return of this organisation's reports, oldest first."""

    # -- sign-in ---------------------------------------------------------------------------

    @abc.abstractmethod
    def add_login_token(self, digest: str, *, person: str, expires: datetime,
                        at: datetime) -> None: ...  # fmt: skip

    @abc.abstractmethod
    def use_login_token(self, digest: str, *, at: datetime) -> str | None:
        """The person of an unused, unexpired token, marking it used (once only)."""

    @abc.abstractmethod
    def open_session(self, digest: str, *, person: str, expires: datetime,
                     at: datetime) -> None: ...  # fmt: skip

    @abc.abstractmethod
    def session(self, digest: str, *, at: datetime, extend_to: datetime | None = None
                ) -> str | None:  # fmt: skip
        """The person of a live session; ``extend_to`` slides its expiry."""

    @abc.abstractmethod
    def close_session(self, digest: str, *, at: datetime) -> None: ...

    # -- derived data (caches) -------------------------------------------------------------

    @abc.abstractmethod
    def cached(self, key: str) -> bytes | None:
        """What was stored under ``key`` by :meth:`cache` (e.g. a parsed absence calendar
        keyed by its path, size and modification time), or None."""

    @abc.abstractmethod
    def cache(self, key: str, value: bytes, *, at: datetime) -> None:
        """Store ``value`` under ``key``, replacing what was there."""

    # -- remote catalogues -----------------------------------------------------------------

    @abc.abstractmethod
    def cached_catalogue(self, url: str) -> CachedCatalogue | None: ...

    @abc.abstractmethod
    def store_catalogue(self, copy: CachedCatalogue) -> None: ...

    # -- the night's work of an organisation (several workers on one store) --------------------
    # Several ``remind --orgs`` workers (processes, machines) may share a night. The holder of an
    # organisation's run lock is the one worker at work on it — the lock is its lease, ended by
    # the database or the system when the holder dies — and records here, before letting the
    # lock go, that it finished the night; the others then pass over the organisation without
    # loading or planning it again.

    @abc.abstractmethod
    def night_mark(self) -> NightMark | None:
        """Who last finished a night's work of this organisation, and when (None: never).
        Read under :meth:`run_lock`."""

    @abc.abstractmethod
    def finish_night(self, mark: NightMark) -> None:
        """Record ``mark`` (replacing the previous one), under :meth:`run_lock`."""

    # -- what the feeds read, compared by another process ---------------------------------------

    @abc.abstractmethod
    def feed_state(self) -> FeedState:
        """A token of everything the feeds read from this store for this organisation, and
        each feed's digest in the publication memory (see :mod:`terminarz.store.feedstate`):
        unlike :meth:`version`, comparable across processes."""


def confirmation_from_row(row: Sequence[object]) -> Confirmation:
    """(occurrence_id, confirmed_by, confirmed_at, note) as a backend reads it."""
    return Confirmation(occurrence_id=str(row[0]), confirmed_by=optional_text(row[1]),
                        confirmed_at=str(row[2]), note=optional_text(row[3]))  # fmt: skip


def receipt_from_row(row: Sequence[object]) -> Receipt:
    """(id, occurrence_id, action, day, upper, recorded_by, recorded_at, note)."""
    (id_, occ, action, day, upper, by, at, note) = row
    return Receipt(id=int(str(id_)), occurrence_id=str(occ), action=ReceiptAction(str(action)),
                   day=date.fromisoformat(str(day)), upper=str(upper), recorded_by=str(by),
                   recorded_at=str(at), note=optional_text(note))  # fmt: skip


def receipt_note(action: ReceiptAction, upper: str, day: date, note: str | None) -> str:
    """The text of the audit and confirmation-log entries of a receipt (Polish)."""
    if action is ReceiptAction.RECEIVED:
        text = f"przyjęto przez {upper} dnia {day:%d.%m.%Y} r."
    else:
        text = f"zwrócono do poprawy przez {upper}; nowy termin {day:%d.%m.%Y} r."
    return f"{text} — {note}" if note else text


def optional_text(value: object) -> str | None:
    """A nullable text column."""
    return None if value is None else str(value)


def delivery_from_row(row: Sequence[object]) -> Delivery:
    """A ``delivery`` row (id, address, person, role, status, attempts, error, sent_at,
    unknown_resent) as a backend reads it."""
    (id_, address, person, role, status, attempts, error, sent_at, unknown_resent) = row
    return Delivery(
        id=int(str(id_)), address=str(address), person=optional_text(person), role=str(role),
        status=DeliveryStatus(str(status)), attempts=int(str(attempts)), error=optional_text(error),
        sent_at=optional_text(sent_at), unknown_resent=bool(unknown_resent),
    )  # fmt: skip


def record_from_row(row: Sequence[object], deliveries: Sequence[Delivery]) -> MailRecord:
    """A ``message`` row with its deliveries; its status and figures sum the deliveries up."""
    (id_, occ, kind, step, recipient, series, address, message_id, subject, day,
     claimed_at) = row  # fmt: skip
    sent = [d.sent_at for d in deliveries if d.sent_at]
    errors = [d.error for d in deliveries if d.error]
    return MailRecord(
        id=int(str(id_)), occurrence_id=str(occ), kind=str(kind), step=str(step),
        recipient=str(recipient), series=str(series), address=str(address),
        envelope=tuple(d.address for d in deliveries), message_id=str(message_id),
        subject=str(subject), day=date.fromisoformat(str(day)),
        status=summary_status(deliveries), claimed_at=str(claimed_at),
        sent_at=max(sent) if sent else None,
        attempts=max((d.attempts for d in deliveries), default=0),
        error=errors[-1] if errors else None, deliveries=tuple(deliveries),
    )  # fmt: skip


Opener = Callable[[str, str], Store]  # (location, organisation) → Store


def batched(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- the night's work of an organisation -----------------------------------------------------

NIGHT_KEY = "night"  # its key in ``org_meta``, where each backend keeps the last mark


class NightMark(Record):
    """A night's work of one organisation, finished by ``worker`` at ``finished_at``."""

    night: date
    worker: str
    finished_at: datetime

    def done_since(self, night: date, started: datetime) -> bool:
        """Whether another worker of the same night finished it (after ``started``, when the
        asking worker began): a later run — a retry, a run after a change — works it again."""
        if (self.finished_at.tzinfo is None) != (started.tzinfo is None):
            return False  # clocks that cannot be compared: worked again, nothing is lost
        return self.night == night and self.finished_at > started

    def encode(self) -> str:
        return f"{self.night.isoformat()} {self.finished_at.isoformat()} {self.worker}"

    @classmethod
    def decode(cls, value: str) -> NightMark | None:
        """A stored mark (None for one this version cannot read: the night is worked again)."""
        try:
            night, finished, worker = value.split(" ", 2)
            return cls(night=date.fromisoformat(night), worker=worker,
                       finished_at=datetime.fromisoformat(finished))  # fmt: skip
        except ValueError:
            return None

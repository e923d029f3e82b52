"""The mail ledger and the confirmations, over the state database.

Every reminder mail has one row, keyed by (occurrence, kind, step, recipient).
The nightly job *claims* a mail (inserts it as ``pending``, with the exact
bytes it will send) before talking to the server, and marks it ``sent`` once
the server accepted it. So:

* a key that is in the ledger is never decided again — no mail twice;
* a row still ``pending`` at the start of a run is one whose send failed or
  whose process died between claim and send — the run sends it again, the same
  bytes with the same Message-ID, so nothing is lost;
* ``failed`` is a permanent refusal (5xx) and ``cancelled`` a pending mail that
  no longer makes sense (the report was confirmed, or a newer reminder of the
  same series replaced it) — both stay visible in ``terminarz log``.

Only one run at a time may send: the caller holds :func:`run_lock` around the
whole claim-and-send cycle.

Confirmations (``terminarz done`` / ``undone`` and the confirmation link) live
in the ``confirmation`` table; each change is also appended to
``confirmation_log``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType

from terminarz.errors import TerminarzError

EPOCH_KEY = "epoch"


class MailStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def polish(self) -> str:
        return _STATUS_POLISH[self]


_STATUS_POLISH = {
    MailStatus.PENDING: "oczekuje",
    MailStatus.SENT: "wysłano",
    MailStatus.FAILED: "odrzucono",
    MailStatus.CANCELLED: "anulowano",
}

Key = tuple[str, str, str, str]  # (occurrence_id, kind, step, recipient)


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """A mail about to be sent: its key, where it goes and its complete bytes."""

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

    @property
    def key(self) -> Key:
        return (self.occurrence_id, self.kind, self.step, self.recipient)


@dataclass(frozen=True, slots=True, kw_only=True)
class MailRecord:
    """One ledger row (without the message bytes; see :meth:`Ledger.message`)."""

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
    status: MailStatus
    claimed_at: str
    sent_at: str | None
    attempts: int
    error: str | None

    @property
    def key(self) -> Key:
        return (self.occurrence_id, self.kind, self.step, self.recipient)


@dataclass(frozen=True, slots=True, kw_only=True)
class Confirmation:
    occurrence_id: str
    confirmed_by: str | None
    confirmed_at: str
    note: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmationEvent:
    occurrence_id: str
    action: str  # done | undone
    person: str | None
    at: str
    note: str | None


_MAIL_COLUMNS = (
    "id, occurrence_id, kind, step, recipient, series, address, envelope, message_id, "
    "subject, day, status, claimed_at, sent_at, attempts, error"
)


class Ledger:
    """The mail ledger and confirmations of one state database (an open connection).

    Every write is its own short transaction (the connection is in autocommit
    mode), so a process killed at any point leaves a consistent ledger.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        # WAL + NORMAL: a commit survives the process being killed (what the ledger must
        # withstand); only a power cut may lose the last commits, which are then resent.
        conn.execute("PRAGMA synchronous=NORMAL")

    @classmethod
    def open(cls, path: Path) -> Ledger:
        from terminarz.store.state import connect

        return cls(connect(path))

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # -- the epoch: the first day reminders were sent from this database -------------------

    def epoch(self) -> date | None:
        row = self._conn.execute(
            "SELECT value FROM mail_meta WHERE key = ?", (EPOCH_KEY,)
        ).fetchone()
        return date.fromisoformat(row[0]) if row else None

    def start_epoch(self, today: date) -> date:
        """Record ``today`` as the epoch unless one is recorded; return the epoch.

        Occurrences due before the epoch predate the reminders: they get no
        overdue escalation (otherwise the first run would mail about every
        unconfirmed report of past years).
        """
        found = self.epoch()
        if found is not None:
            return found
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO mail_meta (key, value) VALUES (?, ?)",
                (EPOCH_KEY, today.isoformat()),
            )
        found = self.epoch()
        assert found is not None
        return found

    # -- mails ---------------------------------------------------------------------------

    def keys(self, occurrence_ids: Iterable[str]) -> frozenset[Key]:
        """Every ledger key (any status) of these occurrences."""
        ids = sorted(set(occurrence_ids))
        found: set[Key] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                self._conn.execute(
                    "SELECT occurrence_id, kind, step, recipient FROM mail "
                    f"WHERE occurrence_id IN ({marks})",
                    chunk,
                )
            )
        return frozenset(found)

    def claim(
        self, claims: Sequence[Claim], *, at: datetime, epoch: date | None = None
    ) -> list[int]:
        """Insert the mails as pending in one transaction; return the ids of the new rows.

        A key already in the ledger is skipped (another run claimed it first).
        ``epoch``, when given, is recorded in the same transaction unless an epoch
        is recorded already (as :meth:`start_epoch` does, one commit fewer).
        """
        ids: list[int] = []
        if not claims and epoch is None:
            return ids
        with self._transaction() as conn:
            if epoch is not None:
                conn.execute(
                    "INSERT OR IGNORE INTO mail_meta (key, value) VALUES (?, ?)",
                    (EPOCH_KEY, epoch.isoformat()),
                )
            for c in claims:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO mail (occurrence_id, kind, step, recipient, series, "
                    "address, envelope, message_id, subject, day, status, claimed_at, message) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                    (
                        c.occurrence_id, c.kind, c.step, c.recipient, c.series, c.address,
                        "\n".join(c.envelope), c.message_id, c.subject, c.day.isoformat(),
                        at.isoformat(timespec="seconds"), c.message,
                    ),
                )  # fmt: skip
                if cur.rowcount == 1 and cur.lastrowid is not None:
                    ids.append(cur.lastrowid)
        return ids

    def pending(self) -> list[MailRecord]:
        """Every mail claimed but not yet accepted by the server, oldest first."""
        rows = self._conn.execute(
            f"SELECT {_MAIL_COLUMNS} FROM mail WHERE status = 'pending' ORDER BY id"
        ).fetchall()
        return [_record(r) for r in rows]

    def message(self, mail_id: int) -> bytes:
        row = self._conn.execute("SELECT message FROM mail WHERE id = ?", (mail_id,)).fetchone()
        if row is None:
            raise KeyError(mail_id)
        return bytes(row[0])

    def mark_sent(self, mail_id: int, *, at: datetime) -> None:
        self._conn.execute(
            "UPDATE mail SET status = 'sent', sent_at = ?, attempts = attempts + 1, error = NULL "
            "WHERE id = ? AND status = 'pending'",
            (at.isoformat(timespec="seconds"), mail_id),
        )

    def mark_failed(self, mail_id: int, error: str, *, permanent: bool) -> None:
        """Record a failed attempt; a permanent refusal ends the mail (``failed``)."""
        self._conn.execute(
            "UPDATE mail SET status = ?, attempts = attempts + 1, error = ? "
            "WHERE id = ? AND status = 'pending'",
            ("failed" if permanent else "pending", error, mail_id),
        )

    def cancel(self, mail_id: int, reason: str) -> None:
        self._conn.execute(
            "UPDATE mail SET status = 'cancelled', error = ? WHERE id = ? AND status = 'pending'",
            (reason, mail_id),
        )

    def history(
        self, *, occurrence_id: str | None = None, person: str | None = None
    ) -> list[MailRecord]:
        """Ledger rows, oldest first; ``occurrence_id`` also matches its tasks (``…#dane:x``)."""
        where: list[str] = []
        params: list[str] = []
        if occurrence_id is not None:
            where.append("occurrence_id = ?")
            params.append(occurrence_id)
        if person is not None:
            where.append("recipient = ?")
            params.append(person)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._conn.execute(
            f"SELECT {_MAIL_COLUMNS} FROM mail{clause} ORDER BY claimed_at, id", params
        ).fetchall()
        return [_record(r) for r in rows]

    # -- confirmations -------------------------------------------------------------------

    def confirmations(self) -> dict[str, Confirmation]:
        rows = self._conn.execute(
            "SELECT occurrence_id, confirmed_by, confirmed_at, note FROM confirmation"
        ).fetchall()
        return {r[0]: Confirmation(occurrence_id=r[0], confirmed_by=r[1], confirmed_at=r[2],
                                   note=r[3]) for r in rows}  # fmt: skip

    def confirmation(self, occurrence_id: str) -> Confirmation | None:
        row = self._conn.execute(
            "SELECT occurrence_id, confirmed_by, confirmed_at, note FROM confirmation "
            "WHERE occurrence_id = ?",
            (occurrence_id,),
        ).fetchone()
        if row is None:
            return None
        return Confirmation(occurrence_id=row[0], confirmed_by=row[1], confirmed_at=row[2],
                            note=row[3])  # fmt: skip

    def confirm(
        self, occurrence_id: str, *, by: str | None, at: datetime, note: str | None = None
    ) -> Confirmation:
        """Record the report as submitted; a second confirmation keeps the first one.

        Returns the confirmation in force (the earlier one when there was one).
        Pending mails of the occurrence are cancelled in the same transaction.
        """
        stamp = at.isoformat(timespec="seconds")
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO confirmation (occurrence_id, confirmed_by, confirmed_at, "
                "note) VALUES (?, ?, ?, ?)",
                (occurrence_id, by, stamp, note),
            )
            if cur.rowcount == 1:
                conn.execute(
                    "INSERT INTO confirmation_log (occurrence_id, action, person, at, note) "
                    "VALUES (?, 'done', ?, ?, ?)",
                    (occurrence_id, by, stamp, note),
                )
                conn.execute(
                    "UPDATE mail SET status = 'cancelled', error = ? "
                    "WHERE occurrence_id = ? AND status = 'pending'",
                    ("sprawozdanie potwierdzone", occurrence_id),
                )
        found = self.confirmation(occurrence_id)
        assert found is not None
        return found

    def unconfirm(self, occurrence_id: str, *, by: str | None, at: datetime,
                  note: str | None = None) -> Confirmation | None:  # fmt: skip
        """Withdraw a confirmation; returns the one withdrawn (None if there was none)."""
        before = self.confirmation(occurrence_id)
        if before is None:
            return None
        stamp = at.isoformat(timespec="seconds")
        with self._transaction() as conn:
            conn.execute("DELETE FROM confirmation WHERE occurrence_id = ?", (occurrence_id,))
            conn.execute(
                "INSERT INTO confirmation_log (occurrence_id, action, person, at, note) "
                "VALUES (?, 'undone', ?, ?, ?)",
                (occurrence_id, by, stamp, note),
            )
        return before

    def confirmation_log(self, occurrence_id: str | None = None) -> list[ConfirmationEvent]:
        clause, params = ("WHERE occurrence_id = ?", [occurrence_id]) if occurrence_id else ("", [])
        rows = self._conn.execute(
            "SELECT occurrence_id, action, person, at, note FROM confirmation_log "
            f"{clause} ORDER BY id",
            params,
        ).fetchall()
        return [ConfirmationEvent(occurrence_id=r[0], action=r[1], person=r[2], at=r[3], note=r[4])
                for r in rows]  # fmt: skip


def read_confirmations(state_path: Path) -> dict[str, Confirmation]:
    """The confirmations in a state database, for ``due`` and the like; {} when there is no
    database yet (it is not created just to be read)."""
    if not state_path.exists():
        return {}
    with Ledger.open(state_path) as ledger:
        return ledger.confirmations()


def confirmation_words(confirmation: Confirmation, names: Callable[[str], str] = str) -> str:
    """``✔ wysłano 2027-01-29 (Anna Nowak)`` — how a confirmed occurrence is shown in tables."""
    day = confirmation.confirmed_at[:10]
    who = f" ({names(confirmation.confirmed_by)})" if confirmation.confirmed_by else ""
    return f"✔ wysłano {day}{who}"


def _record(row: Sequence[object]) -> MailRecord:
    (id_, occ, kind, step, recipient, series, address, envelope, message_id, subject, day,
     status, claimed_at, sent_at, attempts, error) = row  # fmt: skip
    return MailRecord(
        id=int(str(id_)),
        occurrence_id=str(occ),
        kind=str(kind),
        step=str(step),
        recipient=str(recipient),
        series=str(series),
        address=str(address),
        envelope=tuple(str(envelope).split("\n")),
        message_id=str(message_id),
        subject=str(subject),
        day=date.fromisoformat(str(day)),
        status=MailStatus(str(status)),
        claimed_at=str(claimed_at),
        sent_at=None if sent_at is None else str(sent_at),
        attempts=int(str(attempts)),
        error=None if error is None else str(error),
    )


# -- the run lock -------------------------------------------------------------------------


def lock_path(state_path: Path) -> Path:
    return state_path.with_name(state_path.name + ".lock")


@contextmanager
def run_lock(state_path: Path, *, timeout: float) -> Iterator[None]:
    """Hold the nightly job's lock for this state database, waiting up to ``timeout`` s.

    Raises :class:`RunLocked` when another run still holds it after ``timeout``.
    The lock is an OS-level file lock (``filelock``): it is released when the
    holder exits, even when it is killed, so a crashed run never blocks the next.
    """
    from filelock import FileLock, Timeout

    path = lock_path(state_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise RunLocked(
            f"inny przebieg „terminarz remind” nadal pracuje na tej bazie stanu (blokada {path} "
            f"zajęta dłużej niż {timeout:g} s); nic nie wysłano — spróbuj ponownie później",
            path=state_path,
        ) from None
    try:
        yield
    finally:
        lock.release()


class RunLocked(TerminarzError):
    """Another run holds the lock of the same state database."""

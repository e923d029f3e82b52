"""The PostgreSQL backend of the store: one database shared by many institutions and machines.

Chosen by a ``postgresql://`` location (``--state``, ``TERMINARZ_STATE_URL`` or
``[state] url``); the driver (psycopg 3) is imported only then. The schema is the
SQLite one (every row keyed by organisation, messages and deliveries apart) in
PostgreSQL's dialect, created and migrated on first use under an advisory lock, its
version kept in ``terminarz_schema``. Several machines may work on one database:

* the nightly run's lock is a session advisory lock per organisation (released
  when the holder's connection ends, even when its machine dies);
* deliveries can be leased to a worker (``pending(worker=…, lease_seconds=…)``) with
  ``FOR UPDATE SKIP LOCKED``, so two workers never take the same delivery and a
  dead worker's deliveries are taken over once its lease has run out;
* the publication memory of feeds writes each generation in one transaction
  serialised per organisation, so every server answers with the same bytes;
* :meth:`PostgresStore.version` is a counter bumped by every change another
  process must notice (a confirmation, an absence, a designation).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from terminarz.store.base import (
    NIGHT_KEY,
    AbsenceCategory,
    AuditEntry,
    CachedCatalogue,
    Claim,
    Confirmation,
    ConfirmationEvent,
    Delivery,
    Key,
    MailRecord,
    NightMark,
    Receipt,
    ReceiptAction,
    RecordedAbsence,
    RecordedDate,
    RecordedDesignation,
    RunLocked,
    Store,
    StoreError,
    batched,
    confirmation_from_row,
    delivery_from_row,
    receipt_from_row,
    receipt_note,
    record_from_row,
)

if TYPE_CHECKING:
    import psycopg

    from terminarz.store import Location
    from terminarz.store.feedstate import FeedState
    from terminarz.store.publication import PublicationMemory

EPOCH_KEY = "epoch"
_LOCK_SPACE = 0x7E12  # the first key of the advisory locks this backend takes

SCHEMA: tuple[str, ...] = (
    # 1: the whole schema of SQLite's version 5, in PostgreSQL's dialect.
    """
    CREATE TABLE org_meta (
        organisation TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (organisation, key));
    CREATE TABLE org_change (organisation TEXT PRIMARY KEY, counter BIGINT NOT NULL);
    CREATE TABLE message (
        id BIGSERIAL PRIMARY KEY, organisation TEXT NOT NULL, occurrence_id TEXT NOT NULL,
        kind TEXT NOT NULL, step TEXT NOT NULL, recipient TEXT NOT NULL, series TEXT NOT NULL,
        address TEXT NOT NULL, message_id TEXT NOT NULL, subject TEXT NOT NULL,
        day TEXT NOT NULL, claimed_at TEXT NOT NULL, body BYTEA NOT NULL,
        UNIQUE (organisation, occurrence_id, kind, step, recipient));
    CREATE INDEX message_occurrence ON message (organisation, occurrence_id);
    CREATE TABLE delivery (
        id BIGSERIAL PRIMARY KEY, message BIGINT NOT NULL REFERENCES message (id),
        organisation TEXT NOT NULL, occurrence_id TEXT NOT NULL, kind TEXT NOT NULL,
        step TEXT NOT NULL, address TEXT NOT NULL, person TEXT,
        role TEXT NOT NULL CHECK (role IN ('to', 'cc')),
        status TEXT NOT NULL
            CHECK (status IN ('pending', 'sent', 'failed', 'unknown', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0, error TEXT, sent_at TEXT,
        unknown_resent BOOLEAN NOT NULL DEFAULT FALSE, lease_owner TEXT, lease_until TEXT,
        UNIQUE (message, address));
    CREATE INDEX delivery_open ON delivery (organisation, status)
        WHERE status IN ('pending', 'unknown');
    CREATE INDEX delivery_key ON delivery (organisation, occurrence_id, kind, step, person);
    CREATE TABLE confirmation (
        organisation TEXT NOT NULL, occurrence_id TEXT NOT NULL, confirmed_by TEXT,
        confirmed_at TEXT NOT NULL, note TEXT, PRIMARY KEY (organisation, occurrence_id));
    CREATE TABLE confirmation_log (
        id BIGSERIAL PRIMARY KEY, organisation TEXT NOT NULL, occurrence_id TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('done', 'undone')), person TEXT,
        at TEXT NOT NULL, note TEXT);
    CREATE TABLE feed_event (
        organisation TEXT NOT NULL, scope TEXT NOT NULL, item TEXT NOT NULL, due TEXT NOT NULL,
        summary TEXT NOT NULL, description TEXT NOT NULL, categories TEXT NOT NULL,
        responsible TEXT NOT NULL, fingerprint TEXT NOT NULL, sequence INTEGER NOT NULL,
        created TEXT NOT NULL, modified TEXT NOT NULL, cancelled INTEGER NOT NULL DEFAULT 0,
        ical_key TEXT, ical BYTEA, PRIMARY KEY (organisation, scope, item));
    CREATE TABLE feed (
        organisation TEXT NOT NULL, scope TEXT NOT NULL, digest TEXT NOT NULL,
        modified TEXT NOT NULL, PRIMARY KEY (organisation, scope));
    CREATE TABLE absence (
        id BIGSERIAL PRIMARY KEY, organisation TEXT NOT NULL, person TEXT NOT NULL,
        start TEXT NOT NULL, "end" TEXT NOT NULL, category TEXT NOT NULL,
        recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL, withdrawn_at TEXT);
    CREATE INDEX absence_org ON absence (organisation, "end");
    CREATE TABLE designation (
        id BIGSERIAL PRIMARY KEY, organisation TEXT NOT NULL, person TEXT NOT NULL,
        occurrence_id TEXT, start TEXT, "end" TEXT, basis TEXT NOT NULL,
        designated_by TEXT NOT NULL, recorded_at TEXT NOT NULL, withdrawn_at TEXT);
    CREATE TABLE announced_date (
        id BIGSERIAL PRIMARY KEY, organisation TEXT NOT NULL, occurrence_id TEXT NOT NULL,
        due TEXT NOT NULL, source TEXT NOT NULL, recorded_by TEXT NOT NULL,
        recorded_at TEXT NOT NULL);
    CREATE TABLE audit (
        id BIGSERIAL PRIMARY KEY, organisation TEXT NOT NULL, at TEXT NOT NULL, actor TEXT,
        action TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL);
    CREATE INDEX audit_subject ON audit (organisation, subject);
    CREATE TABLE login_token (
        digest TEXT PRIMARY KEY, organisation TEXT NOT NULL, person TEXT NOT NULL,
        created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT);
    CREATE TABLE session (
        digest TEXT PRIMARY KEY, organisation TEXT NOT NULL, person TEXT NOT NULL,
        created_at TEXT NOT NULL, expires_at TEXT NOT NULL, closed_at TEXT);
    CREATE TABLE remote_catalogue (
        organisation TEXT NOT NULL, url TEXT NOT NULL, body BYTEA NOT NULL, etag TEXT,
        last_modified TEXT, fetched_at TEXT NOT NULL, checked_at TEXT NOT NULL,
        PRIMARY KEY (organisation, url));
    """,
    # 2: derived data kept between commands (parsed absence calendars).
    """
    CREATE TABLE derived (
        organisation TEXT NOT NULL, key TEXT NOT NULL, value BYTEA NOT NULL,
        stored_at TEXT NOT NULL, PRIMARY KEY (organisation, key));
    """,
    # 3 (SQLite's 7): what an upper level recorded about the reports it receives.
    """
    CREATE TABLE receipt (
        id BIGSERIAL PRIMARY KEY, organisation TEXT NOT NULL, occurrence_id TEXT NOT NULL,
        action TEXT NOT NULL, day TEXT NOT NULL, upper TEXT NOT NULL,
        recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL, note TEXT);
    CREATE INDEX receipt_org ON receipt (organisation, occurrence_id);
    """,
)

_MESSAGE_COLUMNS = (
    "m.id, m.occurrence_id, m.kind, m.step, m.recipient, m.series, m.address, m.message_id, "
    "m.subject, m.day, m.claimed_at"
)
_DELIVERY_COLUMNS = (
    "d.message, d.id, d.address, d.person, d.role, d.status, d.attempts, d.error, d.sent_at, "
    "d.unknown_resent"
)
_OPEN = "(d.status = 'pending' OR (d.status = 'unknown' AND NOT d.unknown_resent))"


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class _Executor:
    """psycopg behind the ``?`` placeholders the shared SQL (the publication memory) uses."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        cur = self._conn.execute(sql.replace("?", "%s"), tuple(params))
        return cur.fetchall() if cur.description is not None else []

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._conn.cursor() as cur:
            cur.executemany(sql.replace("?", "%s"), [tuple(r) for r in rows])


class PostgresStore(Store):
    """The store in a PostgreSQL database, for one organisation."""

    _owner: PostgresStore | None = None  # set on a store sharing another's connection

    def __init__(self, url: str, organisation: str, *, display: str | None = None) -> None:
        import psycopg

        self.organisation = organisation
        self.location = display or url
        self._url = url
        try:
            self._conn: psycopg.Connection[Any] = psycopg.connect(
                url, autocommit=True, connect_timeout=30, application_name="terminarz"
            )
        except psycopg.Error as exc:
            raise StoreError(f"nie można połączyć się z bazą stanu {self.location}: "
                             f"{_reason(exc)}") from None  # fmt: skip
        try:
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    # -- plumbing --------------------------------------------------------------------------

    def _migrate(self) -> None:
        import psycopg

        try:
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (_LOCK_SPACE,))
                self._conn.execute(
                    "CREATE TABLE IF NOT EXISTS terminarz_schema (version INTEGER NOT NULL)"
                )
                row = self._conn.execute("SELECT max(version) FROM terminarz_schema").fetchone()
                version = int(row[0]) if row and row[0] is not None else 0
                if version > len(SCHEMA):
                    raise StoreError(
                        f"baza stanu {self.location} ma wersję schematu {version}, a ta wersja "
                        f"terminarza zna najwyżej {len(SCHEMA)}; należy zaktualizować terminarz"
                    )
                for number in range(version + 1, len(SCHEMA) + 1):
                    for statement in (s.strip() for s in SCHEMA[number - 1].split(";")):
                        if statement:
                            self._conn.execute(statement)
                    self._conn.execute("INSERT INTO terminarz_schema (version) VALUES (%s)",
                                       (number,))  # fmt: skip
        except psycopg.Error as exc:
            raise StoreError(f"nie udało się przygotować bazy stanu {self.location}: "
                             f"{_reason(exc)}") from None  # fmt: skip

    @contextmanager
    def _tx(self) -> Iterator[_Executor]:
        import psycopg

        try:
            with self._conn.transaction():
                yield _Executor(self._conn)
        except psycopg.Error as exc:
            raise StoreError(f"błąd bazy stanu {self.location}: {_reason(exc)}") from None

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        import psycopg

        try:
            return _Executor(self._conn).execute(sql, params)
        except psycopg.Error as exc:
            raise StoreError(f"błąd bazy stanu {self.location}: {_reason(exc)}") from None

    def _changed(self, tx: _Executor) -> None:
        tx.execute(
            "INSERT INTO org_change (organisation, counter) VALUES (?, 1) ON CONFLICT "
            "(organisation) DO UPDATE SET counter = org_change.counter + 1",
            (self.organisation,),
        )

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        if self._owner is None:
            self._conn.close()

    def for_organisation(self, organisation: str) -> PostgresStore:
        other = object.__new__(PostgresStore)
        other.organisation, other.location, other._url = organisation, self.location, self._url
        other._conn = self._conn
        other._owner = self  # the connection is this store's: closing ``other`` keeps it
        return other

    @contextmanager
    def run_lock(self, *, timeout: float) -> Iterator[None]:
        key = self._lock_key("run")
        deadline = time.monotonic() + timeout
        while True:
            row = self._query("SELECT pg_try_advisory_lock(?, ?)", (_LOCK_SPACE, key))
            if row[0][0]:
                break
            if time.monotonic() >= deadline:
                raise RunLocked(
                    f"inny przebieg „terminarz remind” nadal pracuje dla organizacji "
                    f"{self.organisation} w bazie {self.location} (dłużej niż {timeout:g} s); "
                    "nic nie wysłano — należy spróbować ponownie później"
                )
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        try:
            yield
        finally:
            self._query("SELECT pg_advisory_unlock(?, ?)", (_LOCK_SPACE, key))

    def _lock_key(self, purpose: str) -> int:
        row = self._query("SELECT hashtext(?)", (f"{purpose}:{self.organisation}",))
        return int(row[0][0])

    def check_writable(self) -> None:
        import os

        with self._tx() as tx:
            tx.execute(
                "INSERT INTO org_meta (organisation, key, value) VALUES (?, 'writable', ?) "
                "ON CONFLICT (organisation, key) DO UPDATE SET value = excluded.value",
                (self.organisation, os.urandom(8).hex()),
            )

    def version(self) -> object:
        row = self._query("SELECT counter FROM org_change WHERE organisation = ?",
                          (self.organisation,))  # fmt: skip
        return int(row[0][0]) if row else 0

    def transaction(self) -> AbstractContextManager[_Executor]:
        """One transaction serialised per organisation (the publication memory's Database)."""
        return self._feed_tx()

    @contextmanager
    def _feed_tx(self) -> Iterator[_Executor]:
        with self._tx() as tx:
            tx.execute("SELECT pg_advisory_xact_lock(?, hashtext(?))",
                       (_LOCK_SPACE, f"feeds:{self.organisation}"))  # fmt: skip
            yield tx

    # -- the epoch -------------------------------------------------------------------------

    def epoch(self) -> date | None:
        row = self._query("SELECT value FROM org_meta WHERE organisation = ? AND key = ?",
                          (self.organisation, EPOCH_KEY))  # fmt: skip
        return date.fromisoformat(row[0][0]) if row else None

    def start_epoch(self, today: date) -> date:
        with self._tx() as tx:
            self._record_epoch(tx, today)
        found = self.epoch()
        assert found is not None
        return found

    def _record_epoch(self, tx: _Executor, day: date) -> None:
        tx.execute("INSERT INTO org_meta (organisation, key, value) VALUES (?, ?, ?) "
                   "ON CONFLICT DO NOTHING", (self.organisation, EPOCH_KEY, day.isoformat()))

    # -- the mail ledger -------------------------------------------------------------------

    def keys(self, occurrence_ids: Iterable[str]) -> frozenset[Key]:
        ids = sorted(set(occurrence_ids))
        found: set[Key] = set()
        for chunk in batched(ids):
            found.update(tuple(r) for r in self._query(
                "SELECT occurrence_id, kind, step, recipient FROM message "
                "WHERE organisation = ? AND occurrence_id = ANY(?)",
                (self.organisation, list(chunk)),
            ))  # fmt: skip
            found.update(tuple(r) for r in self._query(
                "SELECT occurrence_id, kind, step, person FROM delivery WHERE organisation = ? "
                "AND role = 'to' AND person IS NOT NULL AND occurrence_id = ANY(?)",
                (self.organisation, list(chunk)),
            ))  # fmt: skip
        return frozenset(found)

    def claim(
        self, claims: Sequence[Claim], *, at: datetime, epoch: date | None = None
    ) -> list[int]:
        ids: list[int] = []
        if not claims and epoch is None:
            return ids
        org = self.organisation
        with self._tx() as tx:
            if epoch is not None:
                self._record_epoch(tx, epoch)
            for c in claims:
                row = tx.execute(
                    "INSERT INTO message (organisation, occurrence_id, kind, step, recipient, "
                    "series, address, message_id, subject, day, claimed_at, body) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING "
                    "RETURNING id",
                    (org, c.occurrence_id, c.kind, c.step, c.recipient, c.series, c.address,
                     c.message_id, c.subject, c.day.isoformat(), _stamp(at), c.message),
                )  # fmt: skip
                if not row:
                    continue
                mail_id = int(row[0][0])
                ids.append(mail_id)
                tx.executemany(
                    "INSERT INTO delivery (message, organisation, occurrence_id, kind, step, "
                    "address, person, role, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending') "
                    "ON CONFLICT DO NOTHING",
                    [(mail_id, org, c.occurrence_id, c.kind, c.step, r.address, r.person, r.role)
                     for r in c.deliveries()],
                )  # fmt: skip
        return ids

    def pending(self, *, worker: str = "", now: datetime | None = None,
                lease_seconds: float = 0) -> list[MailRecord]:  # fmt: skip
        org = self.organisation
        if lease_seconds and now is not None:
            until = _stamp(now + timedelta(seconds=lease_seconds))
            with self._tx() as tx:
                rows = tx.execute(
                    f"SELECT d.id FROM delivery d WHERE d.organisation = ? AND {_OPEN} AND "
                    "(d.lease_owner IS NULL OR d.lease_owner = ? OR d.lease_until < ?) "
                    "FOR UPDATE SKIP LOCKED",
                    (org, worker, _stamp(now)),
                )
                taken = [int(r[0]) for r in rows]
                if taken:
                    tx.execute("UPDATE delivery SET lease_owner = ?, lease_until = ? "
                               "WHERE id = ANY(?)", (worker, until, taken))  # fmt: skip
            if not taken:
                return []
            ids = [int(r[0]) for r in self._query(
                "SELECT DISTINCT message FROM delivery WHERE id = ANY(?) ORDER BY message",
                (taken,),
            )]  # fmt: skip
        else:
            ids = [int(r[0]) for r in self._query(
                f"SELECT DISTINCT d.message FROM delivery d WHERE d.organisation = ? AND {_OPEN} "
                "ORDER BY d.message", (org,),
            )]  # fmt: skip
        return self._records(ids)

    def _records(self, ids: Sequence[int]) -> list[MailRecord]:
        if not ids:
            return []
        deliveries: dict[int, list[Delivery]] = {}
        for row in self._query(
            f"SELECT {_DELIVERY_COLUMNS} FROM delivery d WHERE d.message = ANY(?) ORDER BY d.id",
            (list(ids),),
        ):  # fmt: skip
            deliveries.setdefault(int(row[0]), []).append(delivery_from_row(row[1:]))
        records = [record_from_row(row, deliveries.get(int(row[0]), [])) for row in self._query(
            f"SELECT {_MESSAGE_COLUMNS} FROM message m WHERE m.id = ANY(?)", (list(ids),),
        )]  # fmt: skip
        records.sort(key=lambda r: (r.claimed_at, r.id))
        return records

    def message(self, mail_id: int) -> bytes:
        row = self._query("SELECT body FROM message WHERE id = ? AND organisation = ?",
                          (mail_id, self.organisation))  # fmt: skip
        if not row:
            raise KeyError(mail_id)
        return bytes(row[0][0])

    def _update(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self._tx() as tx:
                tx.executemany(sql, rows)

    def mark_sent(self, delivery_ids: Sequence[int], *, at: datetime) -> None:
        self._update(
            "UPDATE delivery SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
            "error = NULL, lease_owner = NULL, lease_until = NULL "
            "WHERE id = ? AND status IN ('pending', 'unknown')",
            [(_stamp(at), i) for i in delivery_ids],
        )

    def mark_failed(self, delivery_ids: Sequence[int], error: str, *, permanent: bool) -> None:
        self._update(
            "UPDATE delivery SET status = CASE WHEN ? THEN 'failed' ELSE status END, "
            "attempts = attempts + 1, error = ?, lease_owner = NULL, lease_until = NULL "
            "WHERE id = ? AND status IN ('pending', 'unknown')",
            [(permanent, error, i) for i in delivery_ids],
        )

    def mark_unknown(self, delivery_ids: Sequence[int], error: str) -> None:
        self._update(
            "UPDATE delivery SET unknown_resent = (status = 'unknown'), status = 'unknown', "
            "attempts = attempts + 1, error = ?, lease_owner = NULL, lease_until = NULL "
            "WHERE id = ? AND status IN ('pending', 'unknown')",
            [(error, i) for i in delivery_ids],
        )

    def cancel(self, mail_id: int, reason: str) -> None:
        self._update(
            "UPDATE delivery d SET status = 'cancelled', error = ?, lease_owner = NULL, "
            f"lease_until = NULL WHERE d.message = ? AND d.organisation = ? AND {_OPEN}",
            [(reason, mail_id, self.organisation)],
        )

    def history(
        self, *, occurrence_id: str | None = None, person: str | None = None
    ) -> list[MailRecord]:
        where = ["m.organisation = ?"]
        params: list[Any] = [self.organisation]
        if occurrence_id is not None:
            where.append("m.occurrence_id = ?")
            params.append(occurrence_id)
        if person is not None:
            where.append("(m.recipient = ? OR EXISTS (SELECT 1 FROM delivery d WHERE "
                         "d.message = m.id AND d.person = ?))")  # fmt: skip
            params += [person, person]
        ids = [int(r[0]) for r in self._query(
            f"SELECT m.id FROM message m WHERE {' AND '.join(where)}", params)]  # fmt: skip
        return self._records(ids)

    # -- confirmations ---------------------------------------------------------------------

    def confirmations(self) -> dict[str, Confirmation]:
        rows = self._query("SELECT occurrence_id, confirmed_by, confirmed_at, note FROM "
                           "confirmation WHERE organisation = ?", (self.organisation,))
        return {r[0]: confirmation_from_row(r) for r in rows}

    def confirmation(self, occurrence_id: str) -> Confirmation | None:
        rows = self._query("SELECT occurrence_id, confirmed_by, confirmed_at, note FROM "
                           "confirmation WHERE organisation = ? AND occurrence_id = ?",
                           (self.organisation, occurrence_id))  # fmt: skip
        return confirmation_from_row(rows[0]) if rows else None

    def confirm(
        self, occurrence_id: str, *, by: str | None, at: datetime, note: str | None = None
    ) -> Confirmation:
        org, stamp = self.organisation, _stamp(at)
        with self._tx() as tx:
            new = tx.execute(
                "INSERT INTO confirmation (organisation, occurrence_id, confirmed_by, "
                "confirmed_at, note) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING "
                "RETURNING occurrence_id",
                (org, occurrence_id, by, stamp, note),
            )
            if new:
                tx.execute("INSERT INTO confirmation_log (organisation, occurrence_id, action, "
                           "person, at, note) VALUES (?, ?, 'done', ?, ?, ?)",
                           (org, occurrence_id, by, stamp, note))  # fmt: skip
                tx.execute(f"UPDATE delivery d SET status = 'cancelled', error = ? WHERE "
                           f"d.organisation = ? AND d.occurrence_id = ? AND {_OPEN}",
                           ("sprawozdanie potwierdzone", org, occurrence_id))  # fmt: skip
                self._changed(tx)
        found = self.confirmation(occurrence_id)
        assert found is not None
        return found

    def unconfirm(self, occurrence_id: str, *, by: str | None, at: datetime,
                  note: str | None = None) -> Confirmation | None:  # fmt: skip
        before = self.confirmation(occurrence_id)
        if before is None:
            return None
        with self._tx() as tx:
            tx.execute("DELETE FROM confirmation WHERE organisation = ? AND occurrence_id = ?",
                       (self.organisation, occurrence_id))  # fmt: skip
            tx.execute("INSERT INTO confirmation_log (organisation, occurrence_id, action, person, "
                       "at, note) VALUES (?, ?, 'undone', ?, ?, ?)",
                       (self.organisation, occurrence_id, by, _stamp(at), note))  # fmt: skip
            self._changed(tx)
        return before

    def confirmation_log(self, occurrence_id: str | None = None) -> list[ConfirmationEvent]:
        clause, params = "WHERE organisation = ?", [self.organisation]
        if occurrence_id:
            clause += " AND occurrence_id = ?"
            params.append(occurrence_id)
        rows = self._query(f"SELECT occurrence_id, action, person, at, note FROM "
                           f"confirmation_log {clause} ORDER BY id", params)  # fmt: skip
        return [ConfirmationEvent(occurrence_id=r[0], action=r[1], person=r[2], at=r[3], note=r[4])
                for r in rows]  # fmt: skip

    # -- feeds -----------------------------------------------------------------------------

    def publication(self) -> PublicationMemory:
        from terminarz.store.publication import PublicationMemory

        return PublicationMemory(self, self.organisation)

    # -- what people record ------------------------------------------------------------------

    def _audit(self, tx: _Executor, *, action: str, subject: str, detail: str,
               actor: str | None, at: datetime) -> None:  # fmt: skip
        tx.execute("INSERT INTO audit (organisation, at, actor, action, subject, detail) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   (self.organisation, _stamp(at), actor, action, subject, detail))  # fmt: skip

    def record_receipt(self, occurrence_id: str, *, action: ReceiptAction, day: date,
                       upper: str, by: str, at: datetime,
                       note: str | None = None) -> Receipt:  # fmt: skip
        stamp, org = _stamp(at), self.organisation
        text = receipt_note(action, upper, day, note)
        with self._tx() as tx:
            row = tx.execute(
                "INSERT INTO receipt (organisation, occurrence_id, action, day, upper, "
                "recorded_by, recorded_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (org, occurrence_id, action.value, day.isoformat(), upper, by, stamp, note),
            )
            if action is ReceiptAction.RETURNED:
                withdrawn = tx.execute(
                    "DELETE FROM confirmation WHERE organisation = ? AND occurrence_id = ? "
                    "RETURNING occurrence_id", (org, occurrence_id),
                )  # fmt: skip
                if withdrawn:
                    tx.execute(
                        "INSERT INTO confirmation_log (organisation, occurrence_id, action, "
                        "person, at, note) VALUES (?, ?, 'undone', ?, ?, ?)",
                        (org, occurrence_id, by, stamp, text),
                    )
            self._audit(tx, action=f"receipt-{action.value}", subject=occurrence_id, actor=by,
                        at=at, detail=text)  # fmt: skip
            self._changed(tx)
        return Receipt(id=int(row[0][0]), occurrence_id=occurrence_id, action=action, day=day,
                       upper=upper, recorded_by=by, recorded_at=stamp, note=note)  # fmt: skip

    def receipts(self) -> list[Receipt]:
        rows = self._query(
            "SELECT id, occurrence_id, action, day, upper, recorded_by, recorded_at, note "
            "FROM receipt WHERE organisation = ? ORDER BY id", (self.organisation,),
        )  # fmt: skip
        return [receipt_from_row(r) for r in rows]

    def add_absence(self, *, person: str, start: date, end: date, category: AbsenceCategory,
                    by: str, at: datetime) -> RecordedAbsence:  # fmt: skip
        with self._tx() as tx:
            row = tx.execute(
                'INSERT INTO absence (organisation, person, start, "end", category, recorded_by, '
                "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (self.organisation, person, start.isoformat(), end.isoformat(), category.value,
                 by, _stamp(at)),
            )  # fmt: skip
            self._audit(tx, action="absence", subject=person, actor=by, at=at,
                        detail=f"{start.isoformat()}–{end.isoformat()} ({category.value})")
            self._changed(tx)
        return RecordedAbsence(id=int(row[0][0]), person=person, start=start, end=end,
                               category=category, recorded_by=by, recorded_at=_stamp(at))

    def withdraw_absence(self, absence_id: int, *, by: str, at: datetime) -> bool:
        with self._tx() as tx:
            rows = tx.execute(
                'UPDATE absence SET withdrawn_at = ? WHERE id = ? AND organisation = ? AND '
                'withdrawn_at IS NULL RETURNING person, start, "end"',
                (_stamp(at), absence_id, self.organisation),
            )
            if not rows:
                return False
            person, start, end = rows[0]
            self._audit(tx, action="absence-withdrawn", subject=person, actor=by, at=at,
                        detail=f"{start}–{end}")
            self._changed(tx)
        return True

    def absences(self, *, ending_on_or_after: date | None = None) -> list[RecordedAbsence]:
        since = (ending_on_or_after or date.min).isoformat()
        rows = self._query(
            'SELECT id, person, start, "end", category, recorded_by, recorded_at FROM absence '
            'WHERE organisation = ? AND withdrawn_at IS NULL AND "end" >= ? ORDER BY start, id',
            (self.organisation, since),
        )
        return [RecordedAbsence(id=int(r[0]), person=r[1], start=date.fromisoformat(r[2]),
                                end=date.fromisoformat(r[3]), category=AbsenceCategory(r[4]),
                                recorded_by=r[5], recorded_at=r[6]) for r in rows]  # fmt: skip

    def purge_absences(self, *, ended_before: date, at: datetime) -> int:
        with self._tx() as tx:
            rows = tx.execute('DELETE FROM absence WHERE organisation = ? AND "end" < ? '
                              "RETURNING id", (self.organisation, ended_before.isoformat()))
            if rows:
                self._audit(tx, action="absence-purged", subject="", actor=None, at=at,
                            detail=f"{len(rows)} przed {ended_before.isoformat()}")
        return len(rows)

    def add_designation(self, *, person: str, occurrence_id: str | None, start: date | None,
                        end: date | None, basis: str, by: str,
                        at: datetime) -> RecordedDesignation:  # fmt: skip
        with self._tx() as tx:
            row = tx.execute(
                'INSERT INTO designation (organisation, person, occurrence_id, start, "end", '
                "basis, designated_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (self.organisation, person, occurrence_id, start and start.isoformat(),
                 end and end.isoformat(), basis, by, _stamp(at)),
            )  # fmt: skip
            self._audit(tx, action="designation", subject=occurrence_id or f"{start}–{end}",
                        actor=by, at=at, detail=f"{person}: {basis}")  # fmt: skip
            self._changed(tx)
        return RecordedDesignation(id=int(row[0][0]), person=person, occurrence_id=occurrence_id,
                                   start=start, end=end, basis=basis, designated_by=by,
                                   recorded_at=_stamp(at))  # fmt: skip

    def withdraw_designation(self, designation_id: int, *, by: str, at: datetime) -> bool:
        with self._tx() as tx:
            rows = tx.execute(
                "UPDATE designation SET withdrawn_at = ? WHERE id = ? AND organisation = ? AND "
                "withdrawn_at IS NULL RETURNING person, occurrence_id",
                (_stamp(at), designation_id, self.organisation),
            )
            if not rows:
                return False
            self._audit(tx, action="designation-withdrawn", subject=rows[0][1] or "", actor=by,
                        at=at, detail=rows[0][0])  # fmt: skip
            self._changed(tx)
        return True

    def designations(self) -> list[RecordedDesignation]:
        rows = self._query(
            'SELECT id, person, occurrence_id, start, "end", basis, designated_by, recorded_at '
            "FROM designation WHERE organisation = ? AND withdrawn_at IS NULL ORDER BY id",
            (self.organisation,),
        )
        return [RecordedDesignation(
            id=int(r[0]), person=r[1], occurrence_id=r[2],
            start=date.fromisoformat(r[3]) if r[3] else None,
            end=date.fromisoformat(r[4]) if r[4] else None,
            basis=r[5], designated_by=r[6], recorded_at=r[7],
        ) for r in rows]  # fmt: skip

    def set_announced_date(self, *, occurrence_id: str, due: date, source: str, by: str,
                           at: datetime) -> RecordedDate:  # fmt: skip
        with self._tx() as tx:
            row = tx.execute(
                "INSERT INTO announced_date (organisation, occurrence_id, due, source, "
                "recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (self.organisation, occurrence_id, due.isoformat(), source, by, _stamp(at)),
            )
            self._audit(tx, action="announced-date", subject=occurrence_id, actor=by, at=at,
                        detail=f"{due.isoformat()}: {source}")
            self._changed(tx)
        return RecordedDate(id=int(row[0][0]), occurrence_id=occurrence_id, due=due,
                            source=source, recorded_by=by, recorded_at=_stamp(at))

    def announced_dates(self) -> dict[str, RecordedDate]:
        rows = self._query("SELECT id, occurrence_id, due, source, recorded_by, recorded_at FROM "
                           "announced_date WHERE organisation = ? ORDER BY id",
                           (self.organisation,))  # fmt: skip
        return {r[1]: RecordedDate(id=int(r[0]), occurrence_id=r[1], due=date.fromisoformat(r[2]),
                                   source=r[3], recorded_by=r[4], recorded_at=r[5])
                for r in rows}  # fmt: skip

    def audit(self, *, action: str, subject: str, detail: str = "", actor: str | None,
              at: datetime) -> None:  # fmt: skip
        with self._tx() as tx:
            self._audit(tx, action=action, subject=subject, detail=detail, actor=actor, at=at)

    def audit_log(self, *, subject: str | None = None, limit: int | None = None
                  ) -> list[AuditEntry]:  # fmt: skip
        clause, params = "WHERE organisation = ?", [self.organisation]
        if subject is not None:
            clause += " AND subject = ?"
            params.append(subject)
        tail = f" LIMIT {int(limit)}" if limit else ""
        rows = self._query(f"SELECT id, at, actor, action, subject, detail FROM audit {clause} "
                           f"ORDER BY id DESC{tail}", params)  # fmt: skip
        return [AuditEntry(id=int(r[0]), at=r[1], actor=r[2], action=r[3], subject=r[4],
                           detail=r[5]) for r in reversed(rows)]  # fmt: skip

    # -- sign-in ---------------------------------------------------------------------------

    def add_login_token(self, digest: str, *, person: str, expires: datetime,
                        at: datetime) -> None:  # fmt: skip
        with self._tx() as tx:
            tx.execute("INSERT INTO login_token (digest, organisation, person, created_at, "
                       "expires_at) VALUES (?, ?, ?, ?, ?)",
                       (digest, self.organisation, person, _stamp(at), _stamp(expires)))

    def use_login_token(self, digest: str, *, at: datetime) -> str | None:
        with self._tx() as tx:
            rows = tx.execute(
                "SELECT person, expires_at FROM login_token WHERE digest = ? AND organisation = ? "
                "AND used_at IS NULL FOR UPDATE", (digest, self.organisation),
            )  # fmt: skip
            if not rows or datetime.fromisoformat(rows[0][1]) < at:
                return None
            tx.execute("UPDATE login_token SET used_at = ? WHERE digest = ?", (_stamp(at), digest))
            self._audit(tx, action="sign-in", subject=rows[0][0], detail="", actor=rows[0][0],
                        at=at)  # fmt: skip
        return str(rows[0][0])

    def open_session(self, digest: str, *, person: str, expires: datetime,
                     at: datetime) -> None:  # fmt: skip
        with self._tx() as tx:
            tx.execute("INSERT INTO session (digest, organisation, person, created_at, expires_at) "
                       "VALUES (?, ?, ?, ?, ?)",
                       (digest, self.organisation, person, _stamp(at), _stamp(expires)))

    def session(self, digest: str, *, at: datetime, extend_to: datetime | None = None
                ) -> str | None:  # fmt: skip
        rows = self._query("SELECT person, expires_at FROM session WHERE digest = ? AND "
                           "organisation = ? AND closed_at IS NULL",
                           (digest, self.organisation))  # fmt: skip
        if not rows or datetime.fromisoformat(rows[0][1]) < at:
            return None
        if extend_to is not None:
            self._update("UPDATE session SET expires_at = ? WHERE digest = ?",
                         [(_stamp(extend_to), digest)])  # fmt: skip
        return str(rows[0][0])

    def close_session(self, digest: str, *, at: datetime) -> None:
        self._update("UPDATE session SET closed_at = ? WHERE digest = ? AND organisation = ?",
                     [(_stamp(at), digest, self.organisation)])  # fmt: skip

    # -- derived data ------------------------------------------------------------------------

    def cached(self, key: str) -> bytes | None:
        rows = self._query("SELECT value FROM derived WHERE organisation = ? AND key = ?",
                           (self.organisation, key))  # fmt: skip
        return bytes(rows[0][0]) if rows else None

    def cache(self, key: str, value: bytes, *, at: datetime) -> None:
        prefix = key.split("\x1f", 1)[0] + "\x1f"  # one entry per subject (e.g. per file)
        with self._tx() as tx:
            tx.execute("DELETE FROM derived WHERE organisation = ? AND left(key, ?) = ?",
                       (self.organisation, len(prefix), prefix))  # fmt: skip
            tx.execute("INSERT INTO derived (organisation, key, value, stored_at) VALUES "
                       "(?, ?, ?, ?) ON CONFLICT (organisation, key) DO UPDATE SET "
                       "value = excluded.value, stored_at = excluded.stored_at",
                       (self.organisation, key, value, _stamp(at)))  # fmt: skip

    # -- remote catalogues -----------------------------------------------------------------

    def cached_catalogue(self, url: str) -> CachedCatalogue | None:
        rows = self._query("SELECT url, body, etag, last_modified, fetched_at, checked_at FROM "
                           "remote_catalogue WHERE organisation = ? AND url = ?",
                           (self.organisation, url))  # fmt: skip
        if not rows:
            return None
        r = rows[0]
        return CachedCatalogue(url=r[0], body=bytes(r[1]), etag=r[2], last_modified=r[3],
                               fetched_at=r[4], checked_at=r[5])  # fmt: skip

    def store_catalogue(self, copy: CachedCatalogue) -> None:
        self._update(
            "INSERT INTO remote_catalogue (organisation, url, body, etag, last_modified, "
            "fetched_at, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (organisation, url) "
            "DO UPDATE SET body = excluded.body, etag = excluded.etag, "
            "last_modified = excluded.last_modified, fetched_at = excluded.fetched_at, "
            "checked_at = excluded.checked_at",
            [(self.organisation, copy.url, copy.body, copy.etag, copy.last_modified,
              copy.fetched_at, copy.checked_at)],
        )  # fmt: skip

    # -- the night's work (see :meth:`terminarz.store.base.Store.night_mark`) ---------------

    def night_mark(self) -> NightMark | None:
        # Read by the run lock's holder: the server is asked to probe the connection, so that
        # the lock of a machine that vanished (a power cut: its socket never closed) is freed
        # within about a minute and its organisations taken over by the other workers.
        rows = self._query(
            "SELECT (SELECT value FROM org_meta WHERE organisation = ? AND key = ?), "
            "set_config('tcp_keepalives_idle', '30', false), "
            "set_config('tcp_keepalives_interval', '10', false), "
            "set_config('tcp_keepalives_count', '3', false)",
            (self.organisation, NIGHT_KEY),
        )  # fmt: skip
        value = rows[0][0] if rows else None
        return None if value is None else NightMark.decode(str(value))

    def finish_night(self, mark: NightMark) -> None:
        self._update("INSERT INTO org_meta (organisation, key, value) VALUES (?, ?, ?) "
                     "ON CONFLICT (organisation, key) DO UPDATE SET value = excluded.value",
                     [(self.organisation, NIGHT_KEY, mark.encode())])  # fmt: skip

    # -- what the feeds read (see :meth:`terminarz.store.base.Store.feed_state`) ----------------

    def feed_state(self) -> FeedState:
        from terminarz.store.feedstate import read

        return read(self._query, self.organisation)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def open_store(location: Location, organisation: str, *, threads: bool = False) -> PostgresStore:
    """The backend's entry point for :func:`terminarz.store.open_store`."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise StoreError(
            f"baza stanu {location.display()} ({location.origin}) to PostgreSQL, a sterownik "
            "psycopg nie jest zainstalowany: pip install 'terminarz[postgresql]'"
        ) from None
    return PostgresStore(location.target, organisation, display=location.display())

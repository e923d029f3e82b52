"""The SQLite backend of the store: one file (WAL) with a versioned schema.

The schema is a list of migrations applied in order; ``PRAGMA user_version``
records how many ran. A migration is added by appending to :data:`MIGRATIONS` —
never by editing one that has shipped. Migration 5 gave every row its
organisation and split the mail ledger into messages and deliveries; rows that
existed before it carry the organisation ``?`` until the first organisation
that opens the file adopts them (a state file used to belong to one
organisation), so no sent mark and no confirmation is lost.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import date, datetime
from pathlib import Path

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

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from terminarz.store import Location
    from terminarz.store.feedstate import FeedState
    from terminarz.store.publication import PublicationMemory

LEGACY = "?"  # the organisation of rows written before organisations were recorded
EPOCH_KEY = "epoch"

Migration = str | Callable[[sqlite3.Connection], None]


def _split_ledger(conn: sqlite3.Connection) -> None:
    """Migration 5, in Python: the old ``mail`` rows become messages with one delivery per
    envelope address (the first is the decided recipient), keeping every status."""
    for statement in _statements(_MIGRATION_5_SQL):
        conn.execute(statement)
    rows = conn.execute(
        "SELECT id, occurrence_id, kind, step, recipient, series, address, envelope, "
        "message_id, subject, day, status, claimed_at, sent_at, attempts, error, message "
        "FROM mail ORDER BY id"
    ).fetchall()
    for (id_, occ, kind, step, recipient, series, address, envelope, message_id, subject, day,
         status, claimed_at, sent_at, attempts, error, body) in rows:  # fmt: skip
        conn.execute(
            "INSERT INTO message (id, organisation, occurrence_id, kind, step, recipient, series, "
            "address, message_id, subject, day, claimed_at, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (id_, LEGACY, occ, kind, step, recipient, series, address, message_id, subject, day,
             claimed_at, body),
        )  # fmt: skip
        for i, addr in enumerate(a for a in str(envelope).split("\n") if a):
            conn.execute(
                "INSERT OR IGNORE INTO delivery (message, organisation, occurrence_id, kind, "
                "step, address, person, role, status, attempts, error, sent_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (id_, LEGACY, occ, kind, step, addr, recipient if i == 0 else None,
                 "to" if i == 0 else "cc", status, attempts, error, sent_at),
            )  # fmt: skip
    conn.execute("DROP TABLE mail")
    legacy = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM message) OR EXISTS (SELECT 1 FROM confirmation) "
        "OR EXISTS (SELECT 1 FROM feed_event) OR EXISTS (SELECT 1 FROM org_meta)"
    ).fetchone()[0]
    if legacy:
        conn.execute(
            "INSERT OR REPLACE INTO org_meta (organisation, key, value) VALUES (?, 'legacy', '1')",
            (LEGACY,),
        )


_MIGRATION_5_SQL = """
CREATE TABLE org_meta (
    organisation TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (organisation, key)
);
INSERT INTO org_meta (organisation, key, value) SELECT '?', key, value FROM mail_meta;
DROP TABLE mail_meta;
CREATE TABLE message (
    id INTEGER PRIMARY KEY,
    organisation TEXT NOT NULL,
    occurrence_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    step TEXT NOT NULL,
    recipient TEXT NOT NULL,
    series TEXT NOT NULL,
    address TEXT NOT NULL,
    message_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    day TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    body BLOB NOT NULL,
    UNIQUE (organisation, occurrence_id, kind, step, recipient)
);
CREATE TABLE delivery (
    id INTEGER PRIMARY KEY,
    message INTEGER NOT NULL REFERENCES message (id),
    organisation TEXT NOT NULL,
    occurrence_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    step TEXT NOT NULL,
    address TEXT NOT NULL,
    person TEXT,
    role TEXT NOT NULL CHECK (role IN ('to', 'cc')),
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'sent', 'failed', 'unknown', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    sent_at TEXT,
    unknown_resent INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until TEXT,
    UNIQUE (message, address)
);
CREATE INDEX delivery_open ON delivery (organisation, status)
    WHERE status IN ('pending', 'unknown');
CREATE INDEX delivery_key ON delivery (organisation, occurrence_id, kind, step, person);
CREATE INDEX message_occurrence ON message (organisation, occurrence_id);
CREATE TABLE confirmation_v5 (
    organisation TEXT NOT NULL,
    occurrence_id TEXT NOT NULL,
    confirmed_by TEXT,
    confirmed_at TEXT NOT NULL,
    note TEXT,
    PRIMARY KEY (organisation, occurrence_id)
);
INSERT INTO confirmation_v5 SELECT '?', occurrence_id, confirmed_by, confirmed_at, note
    FROM confirmation;
DROP TABLE confirmation;
ALTER TABLE confirmation_v5 RENAME TO confirmation;
ALTER TABLE confirmation_log ADD COLUMN organisation TEXT NOT NULL DEFAULT '?';
CREATE TABLE feed_event_v5 (
    organisation TEXT NOT NULL,
    scope TEXT NOT NULL,
    item TEXT NOT NULL,
    due TEXT NOT NULL,
    summary TEXT NOT NULL,
    description TEXT NOT NULL,
    categories TEXT NOT NULL,
    responsible TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    created TEXT NOT NULL,
    modified TEXT NOT NULL,
    cancelled INTEGER NOT NULL DEFAULT 0,
    ical_key TEXT,
    ical BLOB,
    PRIMARY KEY (organisation, scope, item)
);
INSERT INTO feed_event_v5 SELECT '?', scope, item, due, summary, description, categories,
    responsible, fingerprint, sequence, created, modified, cancelled, ical_key, ical
    FROM feed_event;
DROP TABLE feed_event;
ALTER TABLE feed_event_v5 RENAME TO feed_event;
CREATE TABLE feed_v5 (
    organisation TEXT NOT NULL,
    scope TEXT NOT NULL,
    digest TEXT NOT NULL,
    modified TEXT NOT NULL,
    PRIMARY KEY (organisation, scope)
);
INSERT INTO feed_v5 SELECT '?', scope, digest, modified FROM feed;
DROP TABLE feed;
ALTER TABLE feed_v5 RENAME TO feed;
CREATE TABLE absence (
    id INTEGER PRIMARY KEY,
    organisation TEXT NOT NULL,
    person TEXT NOT NULL,
    start TEXT NOT NULL,
    "end" TEXT NOT NULL,
    category TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    withdrawn_at TEXT
);
CREATE INDEX absence_org ON absence (organisation, "end");
CREATE TABLE designation (
    id INTEGER PRIMARY KEY,
    organisation TEXT NOT NULL,
    person TEXT NOT NULL,
    occurrence_id TEXT,
    start TEXT,
    "end" TEXT,
    basis TEXT NOT NULL,
    designated_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    withdrawn_at TEXT
);
CREATE TABLE announced_date (
    id INTEGER PRIMARY KEY,
    organisation TEXT NOT NULL,
    occurrence_id TEXT NOT NULL,
    due TEXT NOT NULL,
    source TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    organisation TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit (organisation, subject);
CREATE TABLE login_token (
    digest TEXT PRIMARY KEY,
    organisation TEXT NOT NULL,
    person TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE TABLE session (
    digest TEXT PRIMARY KEY,
    organisation TEXT NOT NULL,
    person TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE TABLE remote_catalogue (
    organisation TEXT NOT NULL,
    url TEXT NOT NULL,
    body BLOB NOT NULL,
    etag TEXT,
    last_modified TEXT,
    fetched_at TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    PRIMARY KEY (organisation, url)
);
"""

# Each entry is one migration; its position (1-based) is the schema version.
MIGRATIONS: tuple[Migration, ...] = (
    # 1: confirmations — an occurrence marked as submitted (terminarz done / undone).
    """
    CREATE TABLE confirmation (
        occurrence_id TEXT PRIMARY KEY,
        confirmed_by TEXT,
        confirmed_at TEXT NOT NULL,
        note TEXT
    );
    CREATE TABLE confirmation_log (
        id INTEGER PRIMARY KEY,
        occurrence_id TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('done', 'undone')),
        person TEXT,
        at TEXT NOT NULL,
        note TEXT
    );
    """,
    # 2: the mail ledger (release 0.1: one row per mail and recipient).
    """
    CREATE TABLE mail (
        id INTEGER PRIMARY KEY,
        occurrence_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        step TEXT NOT NULL,
        recipient TEXT NOT NULL,
        series TEXT NOT NULL,
        address TEXT NOT NULL,
        envelope TEXT NOT NULL,
        message_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        day TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
        claimed_at TEXT NOT NULL,
        sent_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        message BLOB NOT NULL,
        UNIQUE (occurrence_id, kind, step, recipient)
    );
    CREATE INDEX mail_pending ON mail (status) WHERE status = 'pending';
    CREATE INDEX mail_recipient ON mail (recipient);
    CREATE TABLE mail_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 3: the publication memory of feeds.
    """
    CREATE TABLE feed_event (
        scope TEXT NOT NULL,
        item TEXT NOT NULL,
        due TEXT NOT NULL,
        summary TEXT NOT NULL,
        description TEXT NOT NULL,
        categories TEXT NOT NULL,
        responsible TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        created TEXT NOT NULL,
        modified TEXT NOT NULL,
        cancelled INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (scope, item)
    );
    CREATE TABLE feed (
        scope TEXT PRIMARY KEY,
        digest TEXT NOT NULL,
        modified TEXT NOT NULL
    );
    """,
    # 4: each published event's iCalendar bytes as last rendered.
    """
    ALTER TABLE feed_event ADD COLUMN ical_key TEXT;
    ALTER TABLE feed_event ADD COLUMN ical BLOB;
    """,
    # 5: the organisation in every key; messages and deliveries apart; what people record,
    # the audit log, sign-in, remote catalogues.
    _split_ledger,
    # 6: derived data kept between commands (parsed absence calendars).
    """
    CREATE TABLE derived (
        organisation TEXT NOT NULL,
        key TEXT NOT NULL,
        value BLOB NOT NULL,
        stored_at TEXT NOT NULL,
        PRIMARY KEY (organisation, key)
    );
    """,
    # 7: what an upper level recorded about the reports it receives (przyjęto, do poprawy).
    """
    CREATE TABLE receipt (
        id INTEGER PRIMARY KEY,
        organisation TEXT NOT NULL,
        occurrence_id TEXT NOT NULL,
        action TEXT NOT NULL,
        day TEXT NOT NULL,
        upper TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        note TEXT
    );
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


def connect(path: Path, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) the database and bring its schema up to date.

    Raises :class:`StoreError` when the file cannot be opened, is not a state
    database, or was written by a newer terminarz (a schema version it does not know).
    """
    if "\x00" in str(path):
        raise StoreError("ścieżka bazy stanu zawiera znak NUL", path=None)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            path, timeout=30, isolation_level=None, check_same_thread=check_same_thread
        )
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"nie można otworzyć bazy stanu: {exc}", path=path) from None
    try:
        _enter_wal(conn)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        migrate(conn, path)
    except sqlite3.OperationalError as exc:  # cannot be opened or written: say why
        conn.close()
        raise StoreError(f"nie można otworzyć bazy stanu: {_sqlite_reason(exc, path)}",
                         path=path) from None  # fmt: skip
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"plik nie jest poprawną bazą stanu SQLite: {exc}", path=path) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _enter_wal(conn: sqlite3.Connection, patience: float = 30.0) -> None:
    """Switch the file to write-ahead logging. On a new file another connection may be
    switching it at the same moment; SQLite then answers "database is locked" at once,
    without waiting as the busy timeout says (measured: 10 of 300 new files opened by four
    threads together), so this waits and tries again for as long as the busy timeout."""
    import time

    deadline = time.monotonic() + patience
    pause = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def migrate(conn: sqlite3.Connection, path: Path | None = None) -> int:
    """Apply the migrations not yet applied, each in its own transaction; return the version.

    A migration that fails is rolled back whole: the file stays at the version before it.
    """
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise StoreError(
            f"baza stanu ma wersję schematu {version}, a ta wersja terminarza zna najwyżej "
            f"{len(MIGRATIONS)}; należy zaktualizować terminarz",
            path=path,
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if current >= number:  # another process migrated meanwhile
                conn.execute("COMMIT")
                continue
            step = MIGRATIONS[number - 1]
            if callable(step):
                step(conn)
            else:
                for statement in _statements(step):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise StoreError(
                f"nie udało się przenieść bazy stanu do wersji schematu {number} ({exc}); "
                f"baza pozostała w wersji {number - 1}, nic nie utracono",
                path=path,
            ) from None
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def lock_path(state_path: Path, organisation: str = "") -> Path:
    """The run lock of one organisation, next to the real file (a symlink to the same database
    shares its lock; organisations sharing one file each have their own)."""
    import hashlib
    import re

    real = state_path.resolve()
    if not organisation:
        return real.with_name(real.name + ".lock")
    name = organisation if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", organisation) \
        else hashlib.sha256(organisation.encode()).hexdigest()[:16]  # fmt: skip
    return real.with_name(f"{real.name}.{name}.lock")


class SQLiteStore(Store):
    """The store in one SQLite file, for one organisation (see :mod:`terminarz.store.base`)."""

    _owner: SQLiteStore | None = None  # set on a store sharing another's connection

    def __init__(self, path: Path, organisation: str, *, check_same_thread: bool = True) -> None:
        self.path = path
        self.organisation = organisation
        self.location = str(path)
        self._conn = connect(path, check_same_thread=check_same_thread)
        # WAL + NORMAL: a commit survives the process being killed; only a power cut may lose
        # the last commits, which are then resent (same bytes, same Message-ID).
        self._conn.execute("PRAGMA synchronous=NORMAL")
        try:
            self._adopt_legacy()
        except sqlite3.Error as exc:
            self._conn.close()
            raise StoreError(f"nie można zapisać bazy stanu: {exc}", path=path) from None

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        if self._owner is None:
            self._conn.close()

    def for_organisation(self, organisation: str) -> SQLiteStore:
        other = object.__new__(SQLiteStore)
        other.path, other.organisation, other.location = self.path, organisation, self.location
        other._conn = self._conn
        other._owner = self  # the connection is this store's: closing ``other`` keeps it
        return other

    @contextmanager
    def run_lock(self, *, timeout: float) -> Iterator[None]:
        from filelock import FileLock, Timeout

        path = lock_path(self.path, self.organisation)
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path), timeout=timeout)
        try:
            lock.acquire()
        except Timeout:
            raise RunLocked(
                f"inny przebieg „terminarz remind” nadal pracuje na tej bazie stanu (blokada "
                f"{path} zajęta dłużej niż {timeout:g} s); nic nie wysłano — należy spróbować "
                "ponownie później",
                path=self.path,
            ) from None
        try:
            yield
        finally:
            lock.release()

    def check_writable(self) -> None:
        try:
            with self._transaction() as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO org_meta (organisation, key, value) "
                    "VALUES (?, 'writable', ?)",
                    (self.organisation, os.urandom(8).hex()),
                )
        except StoreError as exc:
            raise StoreError(f"{exc.problem.message}; nic nie wysłano",
                             path=self.path) from None

    def version(self) -> object:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a database that cannot be written (read-only, disk full,
        locked too long) becomes a :class:`StoreError` naming the file, with nothing half done."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._conn.in_transaction:
                with suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
            raise StoreError(f"nie można zapisać bazy stanu: {_sqlite_reason(exc, self.path)}",
                             path=self.path) from None

    def _adopt_legacy(self) -> None:
        """Give rows from before migration 5 to the first organisation that opens the file."""
        if self.organisation == LEGACY:
            return
        found = self._conn.execute(
            "SELECT 1 FROM org_meta WHERE organisation = ? AND key = 'legacy'", (LEGACY,)
        ).fetchone()
        if found is None:
            return
        with self._transaction() as conn:
            conn.execute("DELETE FROM org_meta WHERE organisation = ? AND key = 'legacy'",
                         (LEGACY,))  # fmt: skip
            for table in ("org_meta", "message", "delivery", "confirmation", "confirmation_log",
                          "feed_event", "feed"):  # fmt: skip
                conn.execute(
                    f"UPDATE OR IGNORE {table} SET organisation = ? WHERE organisation = ?",
                    (self.organisation, LEGACY),
                )
            conn.execute(
                "INSERT INTO audit (organisation, at, actor, action, subject, detail) "
                "VALUES (?, datetime('now'), NULL, 'adopt', '', ?)",
                (self.organisation, "stan zapisany przed wersją schematu 5 przypisano "
                 "tej organizacji"),
            )  # fmt: skip

    # -- the epoch -------------------------------------------------------------------------

    def epoch(self) -> date | None:
        row = self._conn.execute(
            "SELECT value FROM org_meta WHERE organisation = ? AND key = ?",
            (self.organisation, EPOCH_KEY),
        ).fetchone()
        return date.fromisoformat(row[0]) if row else None

    def start_epoch(self, today: date) -> date:
        found = self.epoch()
        if found is not None:
            return found
        with self._transaction() as conn:
            self._record_epoch(conn, today)
        found = self.epoch()
        assert found is not None
        return found

    def _record_epoch(self, conn: sqlite3.Connection, day: date) -> None:
        conn.execute(
            "INSERT OR IGNORE INTO org_meta (organisation, key, value) VALUES (?, ?, ?)",
            (self.organisation, EPOCH_KEY, day.isoformat()),
        )

    # -- the mail ledger -------------------------------------------------------------------

    def keys(self, occurrence_ids: Iterable[str]) -> frozenset[Key]:
        ids = sorted(set(occurrence_ids))
        found: set[Key] = set()
        for chunk in batched(ids):
            marks = ",".join("?" * len(chunk))
            found.update(self._conn.execute(
                "SELECT occurrence_id, kind, step, recipient FROM message "
                f"WHERE organisation = ? AND occurrence_id IN ({marks})",
                (self.organisation, *chunk),
            ))  # fmt: skip
            found.update(self._conn.execute(
                "SELECT occurrence_id, kind, step, person FROM delivery WHERE organisation = ? "
                f"AND role = 'to' AND person IS NOT NULL AND occurrence_id IN ({marks})",
                (self.organisation, *chunk),
            ))  # fmt: skip
        return frozenset(found)

    def claim(
        self, claims: Sequence[Claim], *, at: datetime, epoch: date | None = None
    ) -> list[int]:
        ids: list[int] = []
        if not claims and epoch is None:
            return ids
        org = self.organisation
        with self._transaction() as conn:
            if epoch is not None:
                self._record_epoch(conn, epoch)
            for c in claims:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO message (organisation, occurrence_id, kind, step, "
                    "recipient, series, address, message_id, subject, day, claimed_at, body) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (org, c.occurrence_id, c.kind, c.step, c.recipient, c.series, c.address,
                     c.message_id, c.subject, c.day.isoformat(), _stamp(at), c.message),
                )  # fmt: skip
                if cur.rowcount != 1 or cur.lastrowid is None:
                    continue
                ids.append(cur.lastrowid)
                conn.executemany(
                    "INSERT OR IGNORE INTO delivery (message, organisation, occurrence_id, kind, "
                    "step, address, person, role, status) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                    [(cur.lastrowid, org, c.occurrence_id, c.kind, c.step, r.address, r.person,
                      r.role) for r in c.deliveries()],
                )  # fmt: skip
        return ids

    def pending(self, *, worker: str = "", now: datetime | None = None,
                lease_seconds: float = 0) -> list[MailRecord]:  # fmt: skip
        org = self.organisation
        if lease_seconds and now is not None:
            from datetime import timedelta

            until = _stamp(now + timedelta(seconds=lease_seconds))
            with self._transaction() as conn:
                conn.execute(
                    "UPDATE delivery SET lease_owner = ?, lease_until = ? "
                    "WHERE organisation = ? AND (status = 'pending' OR (status = 'unknown' "
                    "AND unknown_resent = 0)) AND (lease_owner IS NULL OR lease_owner = ? "
                    "OR lease_until < ?)",
                    (worker, until, org, worker, _stamp(now)),
                )
            held = " AND d.lease_owner = ?"
            params: tuple[object, ...] = (org, worker)
        else:
            held, params = "", (org,)
        ids = [r[0] for r in self._conn.execute(
            "SELECT DISTINCT d.message FROM delivery d WHERE d.organisation = ? AND "
            "(d.status = 'pending' OR (d.status = 'unknown' AND d.unknown_resent = 0))"
            f"{held} ORDER BY d.message", params,
        )]  # fmt: skip
        return self._records(ids)

    def _records(self, ids: Sequence[int]) -> list[MailRecord]:
        records: list[MailRecord] = []
        for chunk in batched([str(i) for i in ids]):
            marks = ",".join("?" * len(chunk))
            deliveries: dict[int, list[Delivery]] = {}
            for row in self._conn.execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM delivery d WHERE d.message IN ({marks}) "
                "ORDER BY d.id", chunk,
            ):  # fmt: skip
                deliveries.setdefault(int(row[0]), []).append(delivery_from_row(row[1:]))
            for row in self._conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM message m WHERE m.id IN ({marks}) "
                "ORDER BY m.claimed_at, m.id", chunk,
            ):  # fmt: skip
                records.append(record_from_row(row, deliveries.get(int(row[0]), [])))
        records.sort(key=lambda r: (r.claimed_at, r.id))
        return records

    def message(self, mail_id: int) -> bytes:
        row = self._conn.execute(
            "SELECT body FROM message WHERE id = ? AND organisation = ?",
            (mail_id, self.organisation),
        ).fetchone()
        if row is None:
            raise KeyError(mail_id)
        return bytes(row[0])

    def _update(self, sql: str, rows: Sequence[tuple[object, ...]]) -> None:
        if not rows:
            return
        with self._transaction() as conn:
            conn.executemany(sql, rows)

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
            [(int(permanent), error, i) for i in delivery_ids],
        )

    def mark_unknown(self, delivery_ids: Sequence[int], error: str) -> None:
        self._update(
            "UPDATE delivery SET unknown_resent = CASE WHEN status = 'unknown' THEN 1 "
            "ELSE 0 END, status = 'unknown', attempts = attempts + 1, error = ?, "
            "lease_owner = NULL, lease_until = NULL "
            "WHERE id = ? AND status IN ('pending', 'unknown')",
            [(error, i) for i in delivery_ids],
        )

    def cancel(self, mail_id: int, reason: str) -> None:
        self._update(
            "UPDATE delivery SET status = 'cancelled', error = ?, lease_owner = NULL, "
            "lease_until = NULL WHERE message = ? AND organisation = ? AND "
            "(status = 'pending' OR (status = 'unknown' AND unknown_resent = 0))",
            [(reason, mail_id, self.organisation)],
        )

    def history(
        self, *, occurrence_id: str | None = None, person: str | None = None
    ) -> list[MailRecord]:
        where = ["m.organisation = ?"]
        params: list[object] = [self.organisation]
        if occurrence_id is not None:
            where.append("m.occurrence_id = ?")
            params.append(occurrence_id)
        if person is not None:
            where.append("(m.recipient = ? OR EXISTS (SELECT 1 FROM delivery d WHERE "
                         "d.message = m.id AND d.person = ?))")  # fmt: skip
            params += [person, person]
        ids = [r[0] for r in self._conn.execute(
            f"SELECT m.id FROM message m WHERE {' AND '.join(where)}", params
        )]  # fmt: skip
        return self._records(ids)

    # -- confirmations -------------------------------------------------------------------

    def confirmations(self) -> dict[str, Confirmation]:
        rows = self._conn.execute(
            "SELECT occurrence_id, confirmed_by, confirmed_at, note FROM confirmation "
            "WHERE organisation = ?", (self.organisation,),
        ).fetchall()  # fmt: skip
        return {r[0]: confirmation_from_row(r) for r in rows}

    def confirmation(self, occurrence_id: str) -> Confirmation | None:
        row = self._conn.execute(
            "SELECT occurrence_id, confirmed_by, confirmed_at, note FROM confirmation "
            "WHERE organisation = ? AND occurrence_id = ?",
            (self.organisation, occurrence_id),
        ).fetchone()
        return None if row is None else confirmation_from_row(row)

    def confirm(
        self, occurrence_id: str, *, by: str | None, at: datetime, note: str | None = None
    ) -> Confirmation:
        stamp = _stamp(at)
        org = self.organisation
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO confirmation (organisation, occurrence_id, confirmed_by, "
                "confirmed_at, note) VALUES (?, ?, ?, ?, ?)",
                (org, occurrence_id, by, stamp, note),
            )
            if cur.rowcount == 1:
                conn.execute(
                    "INSERT INTO confirmation_log (organisation, occurrence_id, action, person, "
                    "at, note) VALUES (?, ?, 'done', ?, ?, ?)",
                    (org, occurrence_id, by, stamp, note),
                )
                conn.execute(
                    "UPDATE delivery SET status = 'cancelled', error = ? WHERE organisation = ? "
                    "AND occurrence_id = ? AND (status = 'pending' OR (status = 'unknown' AND "
                    "unknown_resent = 0))",
                    ("sprawozdanie potwierdzone", org, occurrence_id),
                )
        found = self.confirmation(occurrence_id)
        assert found is not None
        return found

    def unconfirm(self, occurrence_id: str, *, by: str | None, at: datetime,
                  note: str | None = None) -> Confirmation | None:  # fmt: skip
        before = self.confirmation(occurrence_id)
        if before is None:
            return None
        with self._transaction() as conn:
            conn.execute("DELETE FROM confirmation WHERE organisation = ? AND occurrence_id = ?",
                         (self.organisation, occurrence_id))  # fmt: skip
            conn.execute(
                "INSERT INTO confirmation_log (organisation, occurrence_id, action, person, at, "
                "note) VALUES (?, ?, 'undone', ?, ?, ?)",
                (self.organisation, occurrence_id, by, _stamp(at), note),
            )
        return before

    def confirmation_log(self, occurrence_id: str | None = None) -> list[ConfirmationEvent]:
        clause, params = "WHERE organisation = ?", [self.organisation]
        if occurrence_id:
            clause += " AND occurrence_id = ?"
            params.append(occurrence_id)
        rows = self._conn.execute(
            f"SELECT occurrence_id, action, person, at, note FROM confirmation_log {clause} "
            "ORDER BY id", params,
        ).fetchall()  # fmt: skip
        return [ConfirmationEvent(occurrence_id=r[0], action=r[1], person=r[2], at=r[3], note=r[4])
                for r in rows]  # fmt: skip

    # -- feeds -----------------------------------------------------------------------------

    def publication(self) -> PublicationMemory:
        from terminarz.store.publication import PublicationMemory

        return PublicationMemory(self, self.organisation)

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction (the publication memory's :class:`Database`)."""
        return self._transaction()

    # -- what people record ------------------------------------------------------------------

    def _audit(self, conn: sqlite3.Connection, *, action: str, subject: str, detail: str,
               actor: str | None, at: datetime) -> None:  # fmt: skip
        conn.execute(
            "INSERT INTO audit (organisation, at, actor, action, subject, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (self.organisation, _stamp(at), actor, action, subject, detail),
        )

    def record_receipt(self, occurrence_id: str, *, action: ReceiptAction, day: date,
                       upper: str, by: str, at: datetime,
                       note: str | None = None) -> Receipt:  # fmt: skip
        stamp, org = _stamp(at), self.organisation
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT INTO receipt (organisation, occurrence_id, action, day, upper, "
                "recorded_by, recorded_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (org, occurrence_id, action.value, day.isoformat(), upper, by, stamp, note),
            )
            if action is ReceiptAction.RETURNED:
                withdrawn = conn.execute(
                    "DELETE FROM confirmation WHERE organisation = ? AND occurrence_id = ?",
                    (org, occurrence_id),
                )
                if withdrawn.rowcount:
                    conn.execute(
                        "INSERT INTO confirmation_log (organisation, occurrence_id, action, "
                        "person, at, note) VALUES (?, ?, 'undone', ?, ?, ?)",
                        (org, occurrence_id, by, stamp, receipt_note(action, upper, day, note)),
                    )  # fmt: skip
            self._audit(conn, action=f"receipt-{action.value}", subject=occurrence_id,
                        actor=by, at=at, detail=receipt_note(action, upper, day, note))
        assert cur.lastrowid is not None
        return Receipt(id=cur.lastrowid, occurrence_id=occurrence_id, action=action, day=day,
                       upper=upper, recorded_by=by, recorded_at=stamp, note=note)  # fmt: skip

    def receipts(self) -> list[Receipt]:
        rows = self._conn.execute(
            "SELECT id, occurrence_id, action, day, upper, recorded_by, recorded_at, note "
            "FROM receipt WHERE organisation = ? ORDER BY id", (self.organisation,),
        ).fetchall()  # fmt: skip
        return [receipt_from_row(r) for r in rows]

    def add_absence(self, *, person: str, start: date, end: date, category: AbsenceCategory,
                    by: str, at: datetime) -> RecordedAbsence:  # fmt: skip
        with self._transaction() as conn:
            cur = conn.execute(
                'INSERT INTO absence (organisation, person, start, "end", category, recorded_by, '
                "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (self.organisation, person, start.isoformat(), end.isoformat(), category.value,
                 by, _stamp(at)),
            )  # fmt: skip
            self._audit(conn, action="absence", subject=person, actor=by, at=at,
                        detail=f"{start.isoformat()}–{end.isoformat()} ({category.value})")
        assert cur.lastrowid is not None
        return RecordedAbsence(id=cur.lastrowid, person=person, start=start, end=end,
                               category=category, recorded_by=by, recorded_at=_stamp(at))

    def withdraw_absence(self, absence_id: int, *, by: str, at: datetime) -> bool:
        with self._transaction() as conn:
            row = conn.execute(
                'SELECT person, start, "end" FROM absence WHERE id = ? AND organisation = ? '
                "AND withdrawn_at IS NULL", (absence_id, self.organisation),
            ).fetchone()  # fmt: skip
            if row is None:
                return False
            conn.execute("UPDATE absence SET withdrawn_at = ? WHERE id = ?",
                         (_stamp(at), absence_id))  # fmt: skip
            self._audit(conn, action="absence-withdrawn", subject=row[0], actor=by, at=at,
                        detail=f"{row[1]}–{row[2]}")
        return True

    def absences(self, *, ending_on_or_after: date | None = None) -> list[RecordedAbsence]:
        since = (ending_on_or_after or date.min).isoformat()
        rows = self._conn.execute(
            'SELECT id, person, start, "end", category, recorded_by, recorded_at FROM absence '
            'WHERE organisation = ? AND withdrawn_at IS NULL AND "end" >= ? ORDER BY start, id',
            (self.organisation, since),
        ).fetchall()
        return [RecordedAbsence(id=r[0], person=r[1], start=date.fromisoformat(r[2]),
                                end=date.fromisoformat(r[3]), category=AbsenceCategory(r[4]),
                                recorded_by=r[5], recorded_at=r[6]) for r in rows]  # fmt: skip

    def purge_absences(self, *, ended_before: date, at: datetime) -> int:
        with self._transaction() as conn:
            cur = conn.execute('DELETE FROM absence WHERE organisation = ? AND "end" < ?',
                               (self.organisation, ended_before.isoformat()))  # fmt: skip
            if cur.rowcount:
                self._audit(conn, action="absence-purged", subject="", actor=None, at=at,
                            detail=f"{cur.rowcount} przed {ended_before.isoformat()}")
        return cur.rowcount

    def add_designation(self, *, person: str, occurrence_id: str | None, start: date | None,
                        end: date | None, basis: str, by: str,
                        at: datetime) -> RecordedDesignation:  # fmt: skip
        with self._transaction() as conn:
            cur = conn.execute(
                'INSERT INTO designation (organisation, person, occurrence_id, start, "end", '
                "basis, designated_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (self.organisation, person, occurrence_id, start and start.isoformat(),
                 end and end.isoformat(), basis, by, _stamp(at)),
            )  # fmt: skip
            what = occurrence_id or f"{start}–{end}"
            self._audit(conn, action="designation", subject=what, actor=by, at=at,
                        detail=f"{person}: {basis}")
        assert cur.lastrowid is not None
        return RecordedDesignation(id=cur.lastrowid, person=person, occurrence_id=occurrence_id,
                                   start=start, end=end, basis=basis, designated_by=by,
                                   recorded_at=_stamp(at))  # fmt: skip

    def withdraw_designation(self, designation_id: int, *, by: str, at: datetime) -> bool:
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT person, occurrence_id FROM designation WHERE id = ? AND organisation = ? "
                "AND withdrawn_at IS NULL", (designation_id, self.organisation),
            ).fetchone()  # fmt: skip
            if row is None:
                return False
            conn.execute("UPDATE designation SET withdrawn_at = ? WHERE id = ?",
                         (_stamp(at), designation_id))  # fmt: skip
            self._audit(conn, action="designation-withdrawn", subject=row[1] or "", actor=by,
                        at=at, detail=row[0])  # fmt: skip
        return True

    def designations(self) -> list[RecordedDesignation]:
        rows = self._conn.execute(
            'SELECT id, person, occurrence_id, start, "end", basis, designated_by, recorded_at '
            "FROM designation WHERE organisation = ? AND withdrawn_at IS NULL ORDER BY id",
            (self.organisation,),
        ).fetchall()
        return [RecordedDesignation(
            id=r[0], person=r[1], occurrence_id=r[2],
            start=date.fromisoformat(r[3]) if r[3] else None,
            end=date.fromisoformat(r[4]) if r[4] else None,
            basis=r[5], designated_by=r[6], recorded_at=r[7],
        ) for r in rows]  # fmt: skip

    def set_announced_date(self, *, occurrence_id: str, due: date, source: str, by: str,
                           at: datetime) -> RecordedDate:  # fmt: skip
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT INTO announced_date (organisation, occurrence_id, due, source, "
                "recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
                (self.organisation, occurrence_id, due.isoformat(), source, by, _stamp(at)),
            )
            self._audit(conn, action="announced-date", subject=occurrence_id, actor=by, at=at,
                        detail=f"{due.isoformat()}: {source}")
        assert cur.lastrowid is not None
        return RecordedDate(id=cur.lastrowid, occurrence_id=occurrence_id, due=due,
                            source=source, recorded_by=by, recorded_at=_stamp(at))

    def announced_dates(self) -> dict[str, RecordedDate]:
        rows = self._conn.execute(
            "SELECT id, occurrence_id, due, source, recorded_by, recorded_at FROM announced_date "
            "WHERE organisation = ? ORDER BY id", (self.organisation,),
        ).fetchall()  # fmt: skip
        return {r[1]: RecordedDate(id=r[0], occurrence_id=r[1], due=date.fromisoformat(r[2]),
                                   source=r[3], recorded_by=r[4], recorded_at=r[5])
                for r in rows}  # fmt: skip

    def audit(self, *, action: str, subject: str, detail: str = "", actor: str | None,
              at: datetime) -> None:  # fmt: skip
        with self._transaction() as conn:
            self._audit(conn, action=action, subject=subject, detail=detail, actor=actor, at=at)

    def audit_log(self, *, subject: str | None = None, limit: int | None = None
                  ) -> list[AuditEntry]:  # fmt: skip
        clause, params = "WHERE organisation = ?", [self.organisation]
        if subject is not None:
            clause += " AND subject = ?"
            params.append(subject)
        tail = f" LIMIT {int(limit)}" if limit else ""
        rows = self._conn.execute(
            f"SELECT id, at, actor, action, subject, detail FROM audit {clause} "
            f"ORDER BY id DESC{tail}", params,
        ).fetchall()  # fmt: skip
        return [AuditEntry(id=r[0], at=r[1], actor=r[2], action=r[3], subject=r[4], detail=r[5])
                for r in reversed(rows)]  # fmt: skip

    # -- sign-in ---------------------------------------------------------------------------

    def add_login_token(self, digest: str, *, person: str, expires: datetime,
                        at: datetime) -> None:  # fmt: skip
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO login_token (digest, organisation, person, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (digest, self.organisation, person, _stamp(at), _stamp(expires)),
            )

    def use_login_token(self, digest: str, *, at: datetime) -> str | None:
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT person, expires_at FROM login_token WHERE digest = ? AND organisation = ? "
                "AND used_at IS NULL", (digest, self.organisation),
            ).fetchone()  # fmt: skip
            if row is None or datetime.fromisoformat(row[1]) < at:
                return None
            conn.execute("UPDATE login_token SET used_at = ? WHERE digest = ?",
                         (_stamp(at), digest))  # fmt: skip
            self._audit(conn, action="sign-in", subject=row[0], detail="", actor=row[0], at=at)
        return str(row[0])

    def open_session(self, digest: str, *, person: str, expires: datetime,
                     at: datetime) -> None:  # fmt: skip
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO session (digest, organisation, person, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (digest, self.organisation, person, _stamp(at), _stamp(expires)),
            )

    def session(self, digest: str, *, at: datetime, extend_to: datetime | None = None
                ) -> str | None:  # fmt: skip
        row = self._conn.execute(
            "SELECT person, expires_at FROM session WHERE digest = ? AND organisation = ? "
            "AND closed_at IS NULL", (digest, self.organisation),
        ).fetchone()  # fmt: skip
        if row is None or datetime.fromisoformat(row[1]) < at:
            return None
        if extend_to is not None:
            self._update("UPDATE session SET expires_at = ? WHERE digest = ?",
                         [(_stamp(extend_to), digest)])  # fmt: skip
        return str(row[0])

    def close_session(self, digest: str, *, at: datetime) -> None:
        self._update("UPDATE session SET closed_at = ? WHERE digest = ? AND organisation = ?",
                     [(_stamp(at), digest, self.organisation)])  # fmt: skip

    # -- derived data ------------------------------------------------------------------------

    def cached(self, key: str) -> bytes | None:
        row = self._conn.execute("SELECT value FROM derived WHERE organisation = ? AND key = ?",
                                 (self.organisation, key)).fetchone()  # fmt: skip
        return None if row is None else bytes(row[0])

    def cache(self, key: str, value: bytes, *, at: datetime) -> None:
        prefix = key.split("\x1f", 1)[0] + "\x1f"  # one entry per subject (e.g. per file)
        with self._transaction() as conn:
            conn.execute("DELETE FROM derived WHERE organisation = ? AND substr(key, 1, ?) = ?",
                         (self.organisation, len(prefix), prefix))  # fmt: skip
            conn.execute("INSERT OR REPLACE INTO derived (organisation, key, value, stored_at) "
                         "VALUES (?, ?, ?, ?)", (self.organisation, key, value, _stamp(at)))

    # -- remote catalogues -----------------------------------------------------------------

    def cached_catalogue(self, url: str) -> CachedCatalogue | None:
        row = self._conn.execute(
            "SELECT url, body, etag, last_modified, fetched_at, checked_at FROM remote_catalogue "
            "WHERE organisation = ? AND url = ?", (self.organisation, url),
        ).fetchone()  # fmt: skip
        if row is None:
            return None
        return CachedCatalogue(url=row[0], body=bytes(row[1]), etag=row[2], last_modified=row[3],
                               fetched_at=row[4], checked_at=row[5])  # fmt: skip

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
        row = self._conn.execute("SELECT value FROM org_meta WHERE organisation = ? AND key = ?",
                                 (self.organisation, NIGHT_KEY)).fetchone()  # fmt: skip
        return None if row is None else NightMark.decode(str(row[0]))

    def finish_night(self, mark: NightMark) -> None:
        self._update("INSERT OR REPLACE INTO org_meta (organisation, key, value) VALUES (?, ?, ?)",
                     [(self.organisation, NIGHT_KEY, mark.encode())])  # fmt: skip

    # -- what the feeds read (see :meth:`terminarz.store.base.Store.feed_state`) ----------------

    def feed_state(self) -> FeedState:
        from terminarz.store.feedstate import read

        return read(lambda sql, params: self._conn.execute(sql, params).fetchall(),
                    self.organisation)


def _sqlite_reason(exc: sqlite3.Error, path: Path | None = None) -> str:
    """SQLite's reason in Polish where it is one a user can act on (SQLite reports a full
    disk during a write of the journal as a plain I/O error: the free space tells which)."""
    text = str(exc)
    if "full" in text or ("I/O error" in text and path is not None and _no_space(path)):
        return f"brak miejsca na dysku ({text})"
    if "readonly" in text or "read-only" in text:
        return f"plik albo system plików jest tylko do odczytu ({text})"
    if "unable to open" in text:
        return f"brak dostępu do pliku albo system plików tylko do odczytu ({text})"
    if "locked" in text:
        return f"baza jest zbyt długo zajęta przez inny proces ({text})"
    return text


def _no_space(path: Path) -> bool:
    try:
        stats = os.statvfs(path.parent)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < 1024 * 1024


def open_store(location: Location, organisation: str, *, threads: bool = False) -> SQLiteStore:
    """The backend's entry point for :func:`terminarz.store.open_store`."""
    return SQLiteStore(Path(location.target), organisation, check_same_thread=not threads)

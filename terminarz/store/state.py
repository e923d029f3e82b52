"""The state database: one SQLite file (WAL) with a versioned schema.

It remembers what must never be lost: which feed events were published with
which content (feeds), which mails were claimed and sent (reminders), which
occurrences were confirmed as submitted and by whom. The schema is a list of
migrations applied in order; ``PRAGMA user_version`` records how many ran.
Modules add their tables by appending a migration — never by editing one that
has shipped.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from terminarz.errors import TerminarzError

# Each entry is one migration script; its position (1-based) is the schema version.
MIGRATIONS: tuple[str, ...] = (
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
    # 2: the mail ledger (terminarz remind) — one row per (occurrence, kind, step, recipient),
    # claimed ('pending') before sending, 'sent' once the server accepted it; the exact bytes
    # are kept so that a resend is the same mail with the same Message-ID.
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
    # 3: the publication memory of feeds (terminarz.store.publication) — what each feed (scope)
    # last published per item, with its SEQUENCE and stamps; cancelled items stay.
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
    # 4: each published event's iCalendar bytes as last rendered (terminarz.notify.feeds), with the
    # key of everything they were made from: a new process re-renders only changed events.
    """
    ALTER TABLE feed_event ADD COLUMN ical_key TEXT;
    ALTER TABLE feed_event ADD COLUMN ical BLOB;
    """,
)


def default_state_path() -> Path:
    """``<user data dir>/terminarz/state.sqlite3`` (platformdirs)."""
    from platformdirs import user_data_path

    return user_data_path("terminarz", appauthor=False) / "state.sqlite3"


def connect(path: Path, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) the state database and bring its schema up to date.

    ``check_same_thread=False`` lets one connection serve several threads (the feed
    server, which guards it with a lock).

    Raises :class:`TerminarzError` when the file cannot be opened or was written by a
    newer terminarz (a schema version this one does not know).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            path, timeout=30, isolation_level=None, check_same_thread=check_same_thread
        )
    except (OSError, sqlite3.Error) as exc:
        raise TerminarzError(f"nie można otworzyć bazy stanu: {exc}", path=path) from None
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        migrate(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise TerminarzError(
            f"plik nie jest poprawną bazą stanu SQLite: {exc}", path=path
        ) from None
    return conn


def migrate(conn: sqlite3.Connection, path: Path | None = None) -> int:
    """Apply the migrations not yet applied, each in its own transaction; return the version."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise TerminarzError(
            f"baza stanu ma wersję schematu {version}, a ta wersja terminarza zna najwyżej "
            f"{len(MIGRATIONS)}; zaktualizuj terminarz",
            path=path,
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if current >= number:  # another process migrated meanwhile
                conn.execute("COMMIT")
                continue
            for statement in _statements(MIGRATIONS[number - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]

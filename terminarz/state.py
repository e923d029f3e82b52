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
)


def default_state_path() -> Path:
    """``<user data dir>/terminarz/state.sqlite3`` (platformdirs)."""
    from platformdirs import user_data_path

    return user_data_path("terminarz", appauthor=False) / "state.sqlite3"


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the state database and bring its schema up to date.

    Raises :class:`TerminarzError` when the file cannot be opened or was written by a
    newer terminarz (a schema version this one does not know).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise TerminarzError(f"nie można otworzyć bazy stanu: {exc}", path=path) from None
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        migrate(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise TerminarzError(f"plik nie jest poprawną bazą stanu SQLite: {exc}", path=path) from None
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

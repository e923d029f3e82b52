"""What the feeds read from the state store, in a form another process can compare.

:meth:`~terminarz.store.base.Store.version` serves a cache inside one process (SQLite's
``data_version`` is per connection). ``terminarz feed`` into an unchanged state
(:mod:`terminarz.notify.fingerprint`) must learn in a new process, before loading
anything, whether what the feeds show changed in the store since the last generation.
Two things are read for one organisation (:class:`FeedState`):

* ``inputs`` — a token of what the feeds are made of: confirmations (every ``done`` and
  ``undone``, and a report returned for correction, adds a row to the confirmation log);
  what people recorded through the pages or the CLI — absences, designations, announced
  dates, receipts, their withdrawals and purges (each write adds a row to the audit log);
  the kept copies of remote catalogues (address, when fetched, size). Neither log is ever
  deleted from and their ids only grow (``BIGSERIAL``; SQLite's rowids of tables never
  deleted from), so the count and the largest id change with every write. Generating
  feeds writes none of these tables, so a generation does not change its own token.
* ``published`` — each feed's digest in the publication memory (``<namespace>|<scope>``),
  rewritten by every generation that changed the feed — this command's or a server's.

The backends answer :meth:`~terminarz.store.base.Store.feed_state` with :func:`read`;
:func:`peek` reads a SQLite file without the store's classes or migrations (and without
creating it), which keeps the fast path to a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from terminarz.store import Location

Query = Callable[[str, Sequence[object]], Iterable[Sequence[object]]]
"""A backend's statement with ``?`` placeholders, returning its rows."""

_INPUTS = (
    "SELECT count(*), coalesce(max(id), 0) FROM confirmation_log WHERE organisation = ?",
    "SELECT count(*), coalesce(max(id), 0) FROM audit WHERE organisation = ?",
    "SELECT url, fetched_at, length(body) FROM remote_catalogue WHERE organisation = ? "
    "ORDER BY url",
)
_PUBLISHED = "SELECT scope, digest FROM feed WHERE organisation = ?"


class FeedState(NamedTuple):
    """The store's part of a feed generation's inputs (see the module's docstring)."""

    inputs: str
    published: Mapping[str, str]


def read(query: Query, organisation: str) -> FeedState:
    """The :class:`FeedState` of ``organisation``, by the backend's ``query``."""
    rows = [
        "\x1f".join(str(value) for value in row)
        for sql in _INPUTS
        for row in query(sql, (organisation,))
    ]
    published = {str(scope): str(digest) for scope, digest in query(_PUBLISHED, (organisation,))}
    return FeedState(inputs="\x1e".join(rows), published=published)


def peek(location: Location, organisation: str) -> FeedState | None:
    """The :class:`FeedState` at ``location``, or None when it cannot be read as it is (no
    file yet, an older schema, a server that does not answer): the caller then generates."""
    if location.scheme != "sqlite":
        from terminarz.errors import TerminarzError
        from terminarz.store import open_store

        try:
            with open_store(location, organisation) as store:
                return store.feed_state()
        except TerminarzError:
            return None
    import sqlite3

    path = Path(location.target).absolute()
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=30,
                               isolation_level=None)  # fmt: skip
    except sqlite3.Error:
        return None
    try:
        conn.execute("BEGIN")  # one snapshot for every query
        return read(lambda sql, params: conn.execute(sql, params).fetchall(), organisation)
    except sqlite3.Error:
        return None
    finally:
        conn.close()

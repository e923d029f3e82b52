"""Memory of what each feed published, kept in the state database.

Subscribers' calendar programs update an event only when its ``SEQUENCE``
grows, and drop an event only when it comes back ``STATUS:CANCELLED``; an event
that silently disappears from a feed stays forever in some clients. So for
every feed (its *scope*) and every item in it, the memory keeps what was last
published — due date, summary, description, categories, the responsible people
— with a fingerprint, the sequence number, and when it was first published and
last changed.

:meth:`PublicationMemory.publish` compares a new generation with that memory:

* a new item gets sequence 0, created = modified = ``now``;
* an item whose fingerprint changed (date, summary, description, responsible
  people, categories or alarm) gets sequence + 1 and modified = ``now``;
* an item that disappeared while its remembered due date is inside the
  horizon is kept as cancelled (sequence + 1, modified = ``now``) and published
  as ``STATUS:CANCELLED`` for as long as that date stays inside the horizon;
  one that comes back is reinstated with sequence + 1;
* an unchanged item keeps its sequence and stamps, so two generations of the
  same input give the same bytes — the stamps come from here, not from the clock.

Nothing is written when nothing changed. All scopes of one generation are
updated in one ``BEGIN IMMEDIATE`` transaction, so two generators running at
the same time (the server and a cron job) never both bump one event.

Next to each record the memory keeps the event's iCalendar bytes as last
rendered (:class:`Rendering`), with a key of everything they were made from;
:mod:`terminarz.notify.feeds` reuses them while the key matches, so a new process
(a nightly ``terminarz feed``, a restarted server) serialises only the events
that changed. A rendering is a cache: the key travels with its bytes, so bytes
written by a concurrent generator are never mistaken for another version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Protocol

_SEP = "\x1f"


class Executor(Protocol):
    """What a backend's transaction offers: statements with ``?`` placeholders."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Iterable[Any]: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> Any: ...


class Database(Protocol):
    """A backend's connection, as the publication memory uses it: one transaction at a time,
    serialised against other writers of the same organisation's feeds."""

    def transaction(self) -> AbstractContextManager[Executor]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedItem:
    """What one event of a feed says, before the publication memory stamps it.

    ``key`` is the occurrence id (``mpips-03@ops/2025``) or the task id
    (``mpips-03@ops/2025#dane:dokip``); ``alarm_minutes`` is how long before the
    start of the due day the display alarm fires (None: no alarm).
    """

    key: str
    due: date
    summary: str
    description: str
    categories: tuple[str, ...] = ()
    responsible: tuple[str, ...] = ()
    alarm_minutes: int | None = None

    def fingerprint(self) -> str:
        parts = (
            self.due.isoformat(),
            self.summary,
            self.description,
            _SEP.join(self.categories),
            _SEP.join(self.responsible),
            "" if self.alarm_minutes is None else str(self.alarm_minutes),
        )
        return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishedEvent:
    """A feed item with its publication history."""

    item: FeedItem
    sequence: int
    created: datetime
    modified: datetime
    cancelled: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Rendering:
    """An event's iCalendar bytes as last rendered, and the key of what they were made from."""

    key: str
    body: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishedFeed:
    """One scope's events, sorted by due date then key, and when the feed last changed.

    ``renderings`` holds, by item key, the bytes stored for the scope's events
    (whatever version they are: the renderer compares the key).
    """

    scope: str
    events: tuple[PublishedEvent, ...]
    renderings: Mapping[str, Rendering] = field(default_factory=dict, compare=False, repr=False)

    @property
    def modified(self) -> datetime | None:
        return max((e.modified for e in self.events), default=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Row:
    due: date
    summary: str
    description: str
    categories: tuple[str, ...]
    responsible: tuple[str, ...]
    fingerprint: str
    sequence: int
    created: datetime
    modified: datetime
    cancelled: bool


class PublicationMemory:
    """The ``feed_event`` and ``feed`` tables of the state database.

    The schema is in :mod:`terminarz.store.sqlite`; every row carries the organisation.
    """

    def __init__(self, db: Database, organisation: str = "") -> None:
        self._db = db
        self._org = organisation

    def publish(
        self,
        feeds: Mapping[str, Sequence[FeedItem]],
        *,
        start: date,
        end: date,
        now: datetime,
    ) -> dict[str, PublishedFeed]:
        """Stamp every scope's items against the memory and record the changes.

        ``start``/``end`` is the horizon: remembered items outside it are neither
        published nor cancelled. ``now`` (aware) is used only for what changed.
        """
        stamp = _utc(now)
        result: dict[str, PublishedFeed] = {}
        with self._db.transaction() as conn:
            for scope, items in feeds.items():
                rows, renderings = self._rows(conn, scope)
                events, writes = _merge(items, rows, start=start, end=end, now=stamp)
                if writes:
                    conn.executemany(
                        _UPSERT, [(self._org, scope, key, *_columns(r)) for key, r in writes]
                    )
                result[scope] = PublishedFeed(scope=scope, events=tuple(events),
                                              renderings=renderings)  # fmt: skip
        return result

    def feeds_modified(self, digests: Mapping[str, str], *, now: datetime) -> dict[str, datetime]:
        """When each feed's bytes last changed: ``now`` where the digest differs from the last one.

        Used for the HTTP ``Last-Modified`` header; an event dropping off the end
        of the horizon changes the bytes without changing any event.
        """
        stamp = _utc(now)
        result: dict[str, datetime] = {}
        with self._db.transaction() as conn:
            known = {
                scope: (digest, modified)
                for scope, digest, modified in conn.execute(
                    "SELECT scope, digest, modified FROM feed WHERE organisation = ?", (self._org,)
                )
            }
            changed = []
            for scope, digest in digests.items():
                old = known.get(scope)
                if old is not None and old[0] == digest:
                    result[scope] = _parse_stamp(old[1])
                else:
                    result[scope] = stamp
                    changed.append((self._org, scope, digest, _format_stamp(stamp)))
            if changed:
                conn.executemany(
                    "INSERT INTO feed (organisation, scope, digest, modified) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (organisation, scope) DO UPDATE SET digest = excluded.digest, "
                    "modified = excluded.modified",
                    changed,
                )
        return result

    def store_renderings(self, renderings: Mapping[str, Mapping[str, Rendering]]) -> None:
        """Keep each event's bytes (scope → item key → rendering) with its publication record."""
        rows = [
            (r.key, r.body, self._org, scope, item)
            for scope, by_item in renderings.items()
            for item, r in by_item.items()
        ]
        if not rows:
            return
        with self._db.transaction() as conn:
            conn.executemany(
                "UPDATE feed_event SET ical_key = ?, ical = ? "
                "WHERE organisation = ? AND scope = ? AND item = ?",
                rows,
            )

    def scopes(self) -> list[str]:
        query = "SELECT DISTINCT scope FROM feed_event WHERE organisation = ? ORDER BY 1"
        with self._db.transaction() as conn:
            return [r[0] for r in conn.execute(query, (self._org,))]

    def _rows(self, conn: Executor, scope: str) -> tuple[dict[str, _Row], dict[str, Rendering]]:
        cursor = conn.execute(
            "SELECT item, due, summary, description, categories, responsible, fingerprint, "
            "sequence, created, modified, cancelled, ical_key, ical FROM feed_event "
            "WHERE organisation = ? AND scope = ?",
            (self._org, scope),
        )
        rows: dict[str, _Row] = {}
        renderings: dict[str, Rendering] = {}
        for (item, due, summary, description, categories, responsible, fingerprint,
             sequence, created, modified, cancelled, ical_key, ical) in cursor:  # fmt: skip
            rows[item] = _Row(
                due=date.fromisoformat(due), summary=summary, description=description,
                categories=_split(categories), responsible=_split(responsible),
                fingerprint=fingerprint, sequence=int(sequence), created=_parse_stamp(created),
                modified=_parse_stamp(modified), cancelled=bool(cancelled),
            )  # fmt: skip
            if ical_key is not None and ical is not None:
                renderings[item] = Rendering(key=ical_key, body=bytes(ical))
        return rows, renderings


def _merge(
    items: Iterable[FeedItem],
    rows: Mapping[str, _Row],
    *,
    start: date,
    end: date,
    now: datetime,
) -> tuple[list[PublishedEvent], list[tuple[str, _Row]]]:
    events: list[PublishedEvent] = []
    writes: list[tuple[str, _Row]] = []
    seen: set[str] = set()
    for item in items:
        if item.key in seen:
            raise ValueError(f"duplicate feed item {item.key!r}")
        seen.add(item.key)
        fingerprint = item.fingerprint()
        row = rows.get(item.key)
        if row is None:
            row = _row(item, fingerprint, sequence=0, created=now, modified=now)
            writes.append((item.key, row))
        elif row.fingerprint != fingerprint or row.cancelled:
            row = _row(item, fingerprint, sequence=row.sequence + 1, created=row.created,
                       modified=now)  # fmt: skip
            writes.append((item.key, row))
        events.append(
            PublishedEvent(item=item, sequence=row.sequence, created=row.created,
                           modified=row.modified)
        )
    for key, row in rows.items():
        if key in seen or not start <= row.due <= end:
            continue
        if not row.cancelled:
            row = replace(row, sequence=row.sequence + 1, modified=now, cancelled=True)
            writes.append((key, row))
        item = FeedItem(
            key=key, due=row.due, summary=row.summary, description=row.description,
            categories=row.categories, responsible=row.responsible,
        )  # fmt: skip
        events.append(
            PublishedEvent(item=item, sequence=row.sequence, created=row.created,
                           modified=row.modified, cancelled=True)
        )
    events.sort(key=lambda e: (e.item.due, e.item.key))
    return events, writes


def _row(
    item: FeedItem, fingerprint: str, *, sequence: int, created: datetime, modified: datetime
) -> _Row:
    return _Row(
        due=item.due, summary=item.summary, description=item.description,
        categories=item.categories, responsible=item.responsible, fingerprint=fingerprint,
        sequence=sequence, created=created, modified=modified, cancelled=False,
    )  # fmt: skip


_UPSERT = """
INSERT INTO feed_event (organisation, scope, item, due, summary, description, categories,
                        responsible, fingerprint, sequence, created, modified, cancelled)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (organisation, scope, item) DO UPDATE SET
    due = excluded.due, summary = excluded.summary, description = excluded.description,
    categories = excluded.categories, responsible = excluded.responsible,
    fingerprint = excluded.fingerprint, sequence = excluded.sequence,
    modified = excluded.modified, cancelled = excluded.cancelled
"""


def _columns(row: _Row) -> tuple[str, str, str, str, str, str, int, str, str, int]:
    return (
        row.due.isoformat(), row.summary, row.description, _SEP.join(row.categories),
        _SEP.join(row.responsible), row.fingerprint, row.sequence, _format_stamp(row.created),
        _format_stamp(row.modified), int(row.cancelled),
    )  # fmt: skip


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split(_SEP)) if text else ()


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("publication time must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0)


def _format_stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_stamp(text: str) -> datetime:
    """The inverse of :func:`_format_stamp` (``fromisoformat`` reads ``Z`` since Python 3.11)."""
    if len(text) != 20 or not text.endswith("Z"):
        raise ValueError(f"not a UTC stamp: {text!r}")
    return datetime.fromisoformat(text)

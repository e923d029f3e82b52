"""Parsed absence calendars kept in the store, so a command does not parse the HR calendar again.

A local iCalendar source is parsed once per version: the entry is keyed by the file's path,
size, modification time and the CRC-32 of its bytes, the recurrence window widened to whole
years, and the format of the entry; any change of the file parses it again (even one that
keeps its size and time), and so does a window reaching a new year. Sources behind a URL
are not cached here. The store is opened only when an entry is needed, and only if it
exists already (a command that only reads does not create a database to cache in); without
one — a user who only reads, with ``due --config``, before any ``feed`` or ``remind`` made
the store — the entry is kept in the user's cache folder instead
(``$XDG_CACHE_HOME/terminarz/absences/``, one file per calendar, readable by its owner
alone: absences are personal data).
"""

from __future__ import annotations

import marshal
import os
import zlib
from collections.abc import Callable
from datetime import date, datetime

from terminarz.org.organisation import Absence, AbsenceSource, Organisation

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from pathlib import Path

    from terminarz.store import Location
    from terminarz.store.base import Store

FORMAT = "2"  # of the cached value: bump when Absence, the parsing or the encoding changes
SEP = "\x1f"


def year_window(window: tuple[date, date]) -> tuple[date, date]:
    """``window`` widened to whole years (stable while the window's years stay the same, so
    the entry serves every command until the file changes)."""
    return date(window[0].year, 1, 1), date(window[1].year, 12, 31)


def key_of(
    source: AbsenceSource, window: tuple[date, date] | None, raw: bytes = b""
) -> str | None:
    """The entry's key, or None for a source that is not a local file. ``raw`` (the bytes
    read) adds their CRC-32: a file rewritten with the same size and time is parsed again."""
    if source.is_url:
        return None
    path = source.location()
    try:
        stat = os.stat(path)
    except OSError:
        return None
    span = f"{window[0].isoformat()}..{window[1].isoformat()}" if window else "-"
    detail = f"{source.match.value}|{source.reason}"
    return f"absences:{os.path.realpath(path)}{SEP}{stat.st_size}:{stat.st_mtime_ns}:{span}:" \
           f"{detail}:{FORMAT}:{zlib.crc32(raw):08x}"  # fmt: skip


def encode(absences: list[Absence]) -> bytes:
    """The absences as plain values (``marshal``: nothing to import, unlike ``json``, on
    every ``--config`` command), behind the CRC-32 of those bytes."""
    data = marshal.dumps([(a.person, a.start.toordinal(), a.end.toordinal(), a.reason, a.source)
                          for a in absences])  # fmt: skip
    return b"%08x" % zlib.crc32(data) + data


def decode(value: bytes) -> list[Absence] | None:
    """What :func:`encode` kept, or None when the bytes are not such an entry (damaged,
    another format): the calendar is parsed again then."""
    data = value[8:]
    if value[:8] != b"%08x" % zlib.crc32(data):
        return None
    try:
        rows = marshal.loads(data)
        return [Absence(person=p, start=date.fromordinal(s), end=date.fromordinal(e),
                        reason=r, source=src) for p, s, e, r, src in rows]  # fmt: skip
    except (ValueError, TypeError, EOFError):
        return None


class AbsenceCache:
    """The ``parse`` of :func:`terminarz.org.absences.load_source_absences`, through the store.

    ``locate`` says where an organisation's store is; ``clock`` stamps the entries.
    """

    def __init__(self, locate: Callable[[Organisation], Location],
                 clock: Callable[[], datetime]) -> None:  # fmt: skip
        self._locate = locate
        self._clock = clock
        self._store: Store | None = None
        self._opened = False
        self.hits = 0
        self.misses = 0

    def parse(self, raw: bytes, source: AbsenceSource, organisation: Organisation, *,
              window: tuple[date, date] | None = None) -> list[Absence]:  # fmt: skip
        from terminarz.org.absences import parse_absences

        wide = year_window(window) if window else None
        key = key_of(source, wide, raw)
        if key is None:  # behind an address: parsed every time
            self.misses += 1
            return _within(parse_absences(raw, source, organisation, window=wide), window)
        store = self._open(organisation)
        found = store.cached(key) if store is not None else read_kept(key)
        kept = decode(found) if found is not None else None
        if kept is not None:
            self.hits += 1
            return _within(kept, window)
        self.misses += 1
        absences = parse_absences(raw, source, organisation, window=wide)
        if store is not None:
            from contextlib import suppress

            from terminarz.store.base import StoreError

            with suppress(StoreError):  # an unwritable cache costs only a parse
                store.cache(key, encode(absences), at=self._clock())
        else:
            keep(key, encode(absences))
        return _within(absences, window)

    def _open(self, organisation: Organisation) -> Store | None:
        if not self._opened:
            self._opened = True
            from terminarz.store import exists, open_store
            from terminarz.store.base import StoreError

            location = self._locate(organisation)
            if exists(location):
                try:
                    self._store = open_store(location, organisation.id)
                except StoreError:
                    self._store = None
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def kept_path(key: str) -> Path | None:
    """The file that keeps the entry of ``key``'s calendar without a store (one per
    calendar: a newer entry replaces the older); None when no cache folder can be named."""
    from terminarz.paths import user_cache_folder

    folder = user_cache_folder("absences")
    if folder is None:
        return None
    subject = key.split(SEP, 1)[0].encode("utf-8", "surrogateescape")
    return folder / f"{zlib.crc32(subject):08x}.bin"


def read_kept(key: str) -> bytes | None:
    """The value kept in the user's cache folder under exactly ``key``, or None."""
    path = kept_path(key)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = key.encode("utf-8", "surrogateescape")
    size = b"%08x" % len(head)
    if data[:8] != size or data[8 : 8 + len(head)] != head:
        return None
    return data[8 + len(head) :]


def keep(key: str, value: bytes) -> None:
    """Keep ``value`` under ``key`` in the user's cache folder, readable by its owner alone;
    a folder that cannot be written costs only the next command's parse."""
    from terminarz.files import replace_file

    path = kept_path(key)
    if path is None:
        return
    head = key.encode("utf-8", "surrogateescape")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        replace_file(path, b"%08x" % len(head) + head + value, mode=0o600)
    except OSError:
        return


def _within(absences: list[Absence], window: tuple[date, date] | None) -> list[Absence]:
    if window is None:
        return absences
    start, end = window
    return [a for a in absences if a.end >= start and a.start <= end]

"""``terminarz feed`` into an unchanged state: learn that nothing changed before loading anything.

A generation of feeds depends on the organisation file and every file it names
(catalogues, local absence calendars, the kept copies of remote catalogues), the bundled
catalogues and the holiday table, terminarz itself (its version and modules) and the
libraries that shape the result (holidays, icalendar, recurring-ical-events), the day (the
horizon and the plan are counted from today in Europe/Warsaw), the command's options and
the environment that chooses the store, what the state store holds for the organisation
(:mod:`terminarz.store.feedstate`) — and the files as written. After a generation the
command keeps a :class:`Record` of all of them in the user's cache folder (one small file
per output folder and command line, replaced atomically); the next run compares it with the
world — a ``stat`` of each output, a CRC of each input file, one read of the store — and
when everything matches it repeats the last report (no file changed) without importing
icalendar or jinja2, parsing a catalogue or rendering anything. Any difference, a missing
or unreadable record, or one from another format means a full generation, exactly as
without this module.

Every input is read *before* the generation reads it — each file's stamp, the store's
token — so a change made while a generation runs is seen by the next run. Which files a
generation reads is known only once the organisation file is loaded; the files and the
store of the previous record are stamped beforehand. A generation that read a file not
stamped beforehand (the first run, a newly named catalogue) or used another store keeps an
*incomplete* record: never trusted, it only says what to stamp next time, so the next run
generates again and keeps a complete one. No record at all is kept for a setup with
warnings (a source skipped, a remote schedule not yet fetched — they are printed by every
run), an absence calendar behind an address (it may change at any time) or a store
address carrying a password (it would be written to the cache).
"""

from __future__ import annotations

import contextlib
import functools
import marshal
import os
import sys
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from terminarz.org.plan import Setup
    from terminarz.store import Location
    from terminarz.store.feedstate import FeedState

FORMAT = 1  # of the record: bump when what it holds changes
LIBRARIES = ("holidays", "icalendar", "recurring_ical_events")
"""Libraries whose version can change what a generation writes."""
MISSING = "-"  # the stamp of a file that is not there


class Record(NamedTuple):
    """What one generation depended on, kept in the cache folder (``marshal``, plain values).

    ``files``: (path, :func:`stamp`) of every input file; ``published``: (publication
    memory key, the first 32 hex digits of the feed's SHA-256) of every feed written;
    ``outputs``: (path, :func:`output_stamp`) of every file written; ``lines``: the report
    (its last line ends with the count of changed files). ``complete`` is False when some
    input was not stamped before the generation read it: such a record is never trusted.
    """

    key: str
    complete: bool
    code: str
    day: str
    scheme: str
    target: str
    organisation: str
    state: str
    files: tuple[tuple[str, str], ...]
    published: tuple[tuple[str, str], ...]
    outputs: tuple[tuple[str, str], ...]
    lines: tuple[str, ...]


# -- stamps --------------------------------------------------------------------------------


def stamp(path: str) -> str:
    """A file's size, modification time and CRC-32 of its bytes (``-`` when it is missing);
    for a folder, the CRC of its sorted entry names (a catalogue added or removed)."""
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            data = fh.read()
    except IsADirectoryError:
        try:
            names = sorted(os.listdir(path))
        except OSError:
            return MISSING
        return f"dir:{zlib.crc32(chr(0).join(names).encode('utf-8', 'surrogateescape')):08x}"
    except OSError:
        return MISSING
    return f"{st.st_size}:{st.st_mtime_ns}:{zlib.crc32(data):08x}"


def output_stamp(path: str) -> str:
    """A written file's size and modification time (``-`` when it is missing)."""
    try:
        st = os.stat(path)
    except OSError:
        return MISSING
    return f"{st.st_size}:{st.st_mtime_ns}"


@functools.cache
def code_version() -> str:
    """terminarz's and Python's versions, the size and time of every module of the package
    (:func:`terminarz.law.compiled.module_stamps`), and where and when :data:`LIBRARIES`
    were installed; taken once per process (the code that runs is the one loaded at its
    start), not once per institution of ``feed --orgs``."""
    import terminarz
    from terminarz.law.compiled import module_stamps

    return "\x1f".join([terminarz.__version__, sys.version, *module_stamps(),
                        *libraries(LIBRARIES)])  # fmt: skip


def libraries(names: Iterable[str]) -> list[str]:
    """Where each of the modules ``names`` is installed, with the size and time of its file
    (a new version is new files): found by the import system's finders, whose listing of
    the installation's folder is already cached — neither imported nor looked up in
    ``importlib.metadata``."""
    found = []
    for name in names:
        spec = None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(name, None) if find is not None else None
            if spec is not None:
                break
        origin = getattr(spec, "origin", None)
        found.append(f"{name}:{origin}:{output_stamp(origin) if origin else MISSING}")
    return found


# -- the record on disk ------------------------------------------------------------------


def record_path(key: str) -> Path:
    from terminarz.paths import user_cache_path

    name = f"{zlib.crc32(key.encode('utf-8', 'surrogateescape')):08x}.marshal"
    return user_cache_path() / "feeds" / name


def load(key: str) -> Record | None:
    """The record kept for ``key`` (None: none, unreadable, another format or another key
    sharing the file name)."""
    try:
        raw = record_path(key).read_bytes()
        value = marshal.loads(raw)
        if not isinstance(value, tuple) or value[0] != FORMAT:
            return None
        record = Record(*value[1:])
    except (OSError, ValueError, EOFError, TypeError, IndexError):
        return None
    return record if record.key == key and _well_formed(record) else None


def _well_formed(record: Record) -> bool:
    """Whether every field has the type :meth:`Check.unchanged` relies on (a damaged file
    that still decodes is simply not used)."""
    texts = (record.key, record.code, record.day, record.scheme, record.target,
             record.organisation, record.state)  # fmt: skip
    pairs = (*record.files, *record.published, *record.outputs)
    return (
        isinstance(record.complete, bool)
        and all(isinstance(t, str) for t in texts)
        and all(isinstance(t, tuple) for t in (record.files, record.published, record.outputs))
        and all(isinstance(p, tuple) and len(p) == 2 and all(isinstance(v, str) for v in p)
                for p in pairs)
        and isinstance(record.lines, tuple) and len(record.lines) > 0
        and all(isinstance(line, str) for line in record.lines)
    )  # fmt: skip


def save(record: Record) -> None:
    """Keep ``record`` (a temporary file renamed over the old one); a cache folder that
    cannot be written costs only the next run's speed."""
    from terminarz.files import replace_file

    try:
        replace_file(record_path(record.key), marshal.dumps((FORMAT, *record)))
    except OSError:
        forget(record.key)


def forget(key: str) -> None:
    with contextlib.suppress(OSError):
        record_path(key).unlink()


# -- one run -------------------------------------------------------------------------------


class Check:
    """One ``feed`` run's record: :meth:`unchanged` decides the fast path; otherwise
    :meth:`before_generation` stamps what the previous record names and
    :meth:`after_generation` keeps a new record."""

    def __init__(self, key: str, *, day: str, config: Path | None) -> None:
        self.key = key
        self.day = day
        self.config = None if config is None else str(config.absolute())
        self.previous = load(key)
        self._before: dict[str, str] = {}
        self._state: FeedState | None = None

    def unchanged(self) -> list[str] | None:
        """The report to print when nothing changed since the previous run (the same lines,
        no file changed), or None: generate. Cheapest comparisons first; the store last."""
        record = self.previous
        if record is None or not record.complete or record.day != self.day:
            return None
        if any(output_stamp(path) != was for path, was in record.outputs):
            return None
        if any(stamp(path) != was for path, was in record.files):
            return None
        if record.code != code_version():
            return None
        state = _peek(record.scheme, record.target, record.organisation)
        if state is None or state.inputs != record.state:
            return None
        if any(state.published.get(memory, "")[:32] != digest
               for memory, digest in record.published):  # fmt: skip
            return None
        *lines, last = record.lines
        return [*lines, f"{last.rpartition(': ')[0]}: 0"]

    def before_generation(self) -> None:
        """Stamp the files and read the store the previous record names (and the
        organisation file), before the generation reads any of them."""
        record = self.previous
        paths = {path for path, _ in record.files} if record is not None else set()
        if self.config is not None:
            paths.add(self.config)
        self._before = {path: stamp(path) for path in paths}
        if record is not None:
            self._state = _peek(record.scheme, record.target, record.organisation)

    def after_generation(
        self,
        setup: Setup,
        *,
        location: Location,
        published: Mapping[str, str],
        outputs: Iterable[str],
        lines: Sequence[str],
    ) -> None:
        """Keep the record of the generation just done: ``published`` maps each feed's key
        in the publication memory to its digest (hex), ``outputs`` are the files written,
        ``lines`` the report printed with ``--verbose``."""
        organisation = setup.organisation.id if setup.organisation is not None else ""
        files = input_files(setup, self.config)
        if files is None or location.display() != location.target:
            forget(self.key)
            return
        record = self.previous
        stamps = [(path, stamp(path)) for path in files]
        complete = (
            self._state is not None and record is not None
            and (record.scheme, record.target, record.organisation)
            == (location.scheme, location.target, organisation)
            and all(self._before.get(path) == now for path, now in stamps)
        )  # fmt: skip
        save(Record(
            key=self.key, complete=complete, code=code_version(), day=self.day,
            scheme=location.scheme, target=location.target, organisation=organisation,
            state=self._state.inputs if self._state is not None else "",
            files=tuple(stamps),
            published=tuple(sorted((key, digest[:32]) for key, digest in published.items())),
            outputs=tuple(sorted((path, output_stamp(path)) for path in outputs)),
            lines=tuple(lines),
        ))  # fmt: skip


def input_files(setup: Setup, config: str | None) -> list[str] | None:
    """Every file a generation of ``setup`` reads (absolute, sorted), or None when one of its
    inputs cannot be stamped (an absence calendar behind an address) or it has warnings."""
    from terminarz.paths import bundled_catalogues, calendars_dir, holiday_table_path

    if setup.warnings:
        return None
    files: list[Path | str] = [holiday_table_path(), calendars_dir(), *bundled_catalogues()]
    files += [c.path for c in setup.catalogues.catalogues]
    organisation = setup.organisation
    if organisation is not None:
        files += organisation.catalogue_paths
        for source in organisation.absence_sources:
            if source.is_url:
                return None
            files.append(source.location())
    if config is not None:
        files.append(config)
    return sorted({str(Path(f).absolute()) for f in files})


def _peek(scheme: str, target: str, organisation: str) -> FeedState | None:
    from terminarz.store import Location
    from terminarz.store.feedstate import peek

    return peek(Location(scheme=scheme, target=target, origin=""), organisation)

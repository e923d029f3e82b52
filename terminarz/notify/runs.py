"""The nightly run for many organisation files at once: threads, worker processes,
one SMTP connection per worker reused while the files name the same server.

Each organisation is handled by one worker under its own run lock
(:meth:`terminarz.store.base.Store.run_lock`) and :func:`terminarz.notify.nightly.run_night`;
the CLI prints the outcomes and turns them into the exit code. Workers sharing a night (threads,
processes, machines on one database) claim each organisation by its run lock and mark it done
in the store (:meth:`terminarz.store.base.Store.finish_night`) before letting it go, so each
organisation is loaded and planned by one worker; the others pass over it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from terminarz.errors import TerminarzError

if TYPE_CHECKING:
    from terminarz.law.workdays import WorkingCalendar
    from terminarz.notify.mail import MailRenderer
    from terminarz.notify.mailer import Mailer
    from terminarz.notify.nightly import NightResult
    from terminarz.org.organisation import Organisation
    from terminarz.org.plan import CatalogueCache, Setup
    from terminarz.settings import SmtpSettings
    from terminarz.store import Location
    from terminarz.store.base import Store

Clock = Callable[[], datetime]


class Status(IntEnum):
    """How one organisation's run ended; ordered, so the worst of a night is the maximum
    (the CLI turns it into the exit code: 0, 1, 2, 75)."""

    SENT = 0  # everything due went out (or a dry run)
    NOT_SENT = 1  # something is still pending or was refused
    MISTAKE = 2  # the organisation file or its settings are wrong
    LOCKED = 75  # another run holds this state database's lock


@dataclass(kw_only=True)
class Outcome:
    """What one organisation's run produced, reported in file order by the caller."""

    result: NightResult | None = None
    error: str | None = None
    status: Status = Status.SENT
    warnings: tuple[str, ...] = ()
    elsewhere: str | None = None  # done tonight by another worker: what ``--verbose`` says


@dataclass(frozen=True, slots=True, kw_only=True)
class Night:
    """A worker sharing a night with others: its name (host and process) in the store's marks,
    and when it began — an organisation another worker finished since then is passed over."""

    worker: str
    started: datetime

    @classmethod
    def begin(cls, clock: Clock) -> Night:
        import socket

        return cls(worker=f"{socket.gethostname()}:{os.getpid()}", started=clock())


MIN_FILES_PER_PROCESS = 50  # with fewer, starting a worker process costs more than it saves


def run_many(
    configs: list[Path],
    *,
    today: date,
    clock: Clock,
    dry_run: bool = False,
    environ: Any = None,
    statutory: WorkingCalendar | None = None,
    renderer: MailRenderer | None = None,
    jobs: int | None = None,
    processes: int | None = None,
) -> Iterable[Outcome]:
    """Run the nightly job for each organisation file; each file's :class:`Outcome`, in order.

    With several files, ``jobs`` workers (default: up to 4) take the files in
    turn, each with its own SMTP connection, reused while files name the same
    server: one organisation's mails go out while the next one's are being
    prepared. Each organisation is handled by one worker under its own run
    lock, so concurrency never changes what is sent. A file with a mistake is
    reported and the others still run (:attr:`Status.MISTAKE`). ``clock`` gives the
    time stamps of the ledger (a module-level function: worker processes receive it). The mail
    templates are compiled and each distinct set of catalogues is read once
    per process.

    The workers are threads; with many files (a national night: at least
    :data:`MIN_FILES_PER_PROCESS` per process) they are spread over one worker
    process per CPU core, up to ``jobs`` — Python runs one thread at a time
    per process, and loading, planning and rendering an organisation keep a
    thread busier than sending its mails. ``processes`` overrides that choice
    (1: threads only). Outcomes are printed in file order either way; a dry
    run, and ``statutory`` and ``renderer`` when given, stay in this process.
    Worker processes are forked from this process when it runs no other thread
    (Linux), else started from a fork server, which imports the main module
    again: a script calling this must keep its work under
    ``if __name__ == "__main__":`` (the ``terminarz`` command does).
    """
    environ = os.environ if environ is None else environ
    workers = max(1, min(jobs if jobs is not None else 4, len(configs)))
    # With several files, other workers may share the night (another process, another
    # machine on a shared database): an organisation one of them finished is passed over.
    night = Night.begin(clock) if len(configs) > 1 and not dry_run else None
    count = 1
    if not dry_run and statutory is None and renderer is None:
        count = _process_count(len(configs), workers, processes)
    if count > 1:
        outcomes: Iterable[Outcome] = _in_processes(
            configs, count, today=today, clock=clock, environ=dict(environ),
            threads=-(-workers // count), night=night,
        )
    else:
        outcomes = _outcomes(configs, today=today, clock=clock, dry_run=dry_run,
                             environ=environ, statutory=statutory, renderer=renderer,
                             workers=workers, night=night)  # fmt: skip
    return outcomes


def _outcomes(
    configs: list[Path],
    *,
    today: date,
    clock: Clock,
    dry_run: bool,
    environ: Any,
    statutory: WorkingCalendar | None,
    renderer: MailRenderer | None,
    workers: int,
    night: Night | None = None,
) -> Iterator[Outcome]:
    """Each file's outcome, in file order, from ``workers`` threads of this process."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from terminarz.notify.mail import MailRenderer
    from terminarz.org.plan import CatalogueCache, default_statutory

    statutory = statutory or default_statutory()
    renderer = renderer or MailRenderer()
    catalogues = CatalogueCache()  # the files mostly name the same catalogues: read each once
    local = threading.local()
    opened: list[Mailer] = []
    opened_lock = threading.Lock()

    # With several files, an organisation whose lock another worker holds (another process,
    # another machine on a shared database) is passed over at first and taken up again at the
    # end, waiting for the lock as usual: mostly to find it done by that worker, or to take
    # over what a worker that died left (its lock ends with it).
    first_wait: float | None = 0 if night is not None else None

    def work(config: Path, wait: float | None = first_wait) -> Outcome:
        mailer: Mailer | None = getattr(local, "mailer", None)
        outcome, mailer = _run_config(config, today=today, clock=clock, dry_run=dry_run,
                                      mailer=mailer, renderer=renderer, environ=environ,
                                      statutory=statutory, catalogues=catalogues,
                                      lock_wait=wait, night=night)  # fmt: skip
        if mailer is not None and mailer is not getattr(local, "mailer", None):
            local.mailer = mailer
            with opened_lock:
                opened.append(mailer)
        return outcome

    def again(item: tuple[Path, Outcome]) -> Outcome:
        config, outcome = item
        return work(config, None) if outcome.status is Status.LOCKED else outcome

    try:
        if night is None:
            if workers == 1:
                yield from map(work, configs)
            else:
                with ThreadPoolExecutor(max_workers=workers,
                                        thread_name_prefix="remind") as pool:  # fmt: skip
                    yield from pool.map(work, configs)
        else:
            passed = _walk(configs, work, workers)
            if workers == 1:
                yield from list(map(again, zip(configs, passed, strict=True)))
            else:
                with ThreadPoolExecutor(max_workers=workers,
                                        thread_name_prefix="remind") as pool:  # fmt: skip
                    yield from pool.map(again, zip(configs, passed, strict=True))
    finally:
        for mailer in opened:
            mailer.close()


def _walk(configs: list[Path], work: Callable[[Path], Outcome], threads: int) -> list[Outcome]:
    """Each file's first outcome, in file order, from ``threads`` threads walking the files
    in the order of a :class:`Walk`."""
    from concurrent.futures import ThreadPoolExecutor

    walk = Walk(len(configs))
    outcomes: list[Outcome | None] = [None] * len(configs)

    def walker() -> None:
        while (index := walk.take()) is not None:
            outcome = outcomes[index] = work(configs[index])
            if outcome.status is Status.LOCKED:
                walk.collided()

    if threads == 1:
        walker()
    else:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="remind") as pool:
            for future in [pool.submit(walker) for _ in range(threads)]:
                future.result()
    assert all(outcome is not None for outcome in outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


class Walk:
    """The order in which a worker sharing a night takes its files (thread-safe).

    Workers do not know of each other, and mostly start at the same file. Taking the files
    in order, a worker that meets one another worker holds would follow that worker file by
    file, the two passing each other at every step; instead it jumps to the middle of the
    longest stretch of files it has not taken yet — where no worker is likely to be — and
    goes on from there. Two workers thus split the files in halves, then the rest again in
    halves, and each meets the other's files only where their stretches join.
    """

    def __init__(self, count: int) -> None:
        import threading

        self._taken = [False] * count
        self._next = 0
        self._lock = threading.Lock()

    def take(self) -> int | None:
        """The next file's index (going on from the last one taken, around to the start),
        or None when every file was taken."""
        with self._lock:
            count = len(self._taken)
            for step in range(count):
                index = (self._next + step) % count
                if not self._taken[index]:
                    self._taken[index] = True
                    self._next = index + 1
                    return index
            return None

    def collided(self) -> None:
        """Another worker holds the file just taken: go on from the middle of the longest
        stretch of files not taken yet."""
        with self._lock:
            best_start, best_length, start = 0, 0, None
            for index, taken in enumerate([*self._taken, True]):
                if not taken and start is None:
                    start = index
                elif taken and start is not None:
                    if index - start > best_length:
                        best_start, best_length = start, index - start
                    start = None
            if best_length:
                self._next = best_start + best_length // 2


def _process_count(files: int, workers: int, requested: int | None) -> int:
    if requested is not None:
        return max(1, min(requested, files))
    return max(1, min(os.cpu_count() or 1, workers, files // MIN_FILES_PER_PROCESS))


def _in_processes(
    configs: list[Path], count: int, *, today: date, clock: Clock, environ: dict[str, str],
    threads: int, night: Night | None = None,
) -> list[Outcome]:
    """Every file's outcome, in file order, from ``count`` worker processes that take
    every ``count``-th file each (so a run of similar files splits evenly)."""
    from concurrent.futures import ProcessPoolExecutor

    shares = [configs[i::count] for i in range(count)]
    with ProcessPoolExecutor(max_workers=count, mp_context=_process_context()) as pool:
        futures = [pool.submit(_share, share, today, clock, environ, threads, night)
                   for share in shares]  # fmt: skip
        results = [future.result() for future in futures]
    return [results[k % count][k // count] for k in range(len(configs))]


def _share(configs: list[Path], today: date, clock: Clock, environ: dict[str, str],
           threads: int, night: Night | None = None) -> list[Outcome]:  # fmt: skip
    """One worker process's files (see :func:`run_many`)."""
    return list(_outcomes(configs, today=today, clock=clock, dry_run=False, environ=environ,
                          statutory=None, renderer=None, workers=threads,
                          night=night))  # fmt: skip


def _process_context() -> Any:
    """How worker processes start. On Linux, while this process runs no other thread (as
    ``terminarz remind`` does), ``fork``: the workers are copies of this process, which
    imports what they need first — no second interpreter importing it all again (a fork
    server, about 0.3 s of CPU per run). With other threads running (the scheduler of
    ``terminarz daemon``, a test's mail server), forking could copy a lock another thread
    holds: ``forkserver`` then (its server process imports the reminder modules once and
    forks each worker from itself), else ``spawn``."""
    import importlib
    import multiprocessing
    import sys
    import threading

    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "linux" and "fork" in methods and threading.active_count() == 1:
        for module in _PRELOAD:
            importlib.import_module(module)
        return multiprocessing.get_context("fork")
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


# What every worker process imports for its first organisation (imported once, before the
# workers start, instead of once per worker: icalendar alone takes about 30 ms).
_PRELOAD = [
    "jinja2", "icalendar", "filelock", "email.mime.multipart", "email.mime.nonmultipart",
    "terminarz.notify.nightly", "terminarz.notify.runs", "terminarz.notify.absence_cache",
    "terminarz.notify.remote", "terminarz.store.sqlite", "terminarz.tokens",
]  # fmt: skip


def _run_config(
    config: Path,
    *,
    today: date,
    clock: Clock,
    dry_run: bool,
    mailer: Mailer | None,
    renderer: MailRenderer,
    environ: Any,
    statutory: WorkingCalendar,
    catalogues: CatalogueCache,
    lock_wait: float | None = None,
    night: Night | None = None,
) -> tuple[Outcome, Mailer | None]:
    from terminarz.store import locate
    from terminarz.store.base import RunLocked, StoreError

    def location(organisation: Organisation) -> Location:
        state = organisation.settings.state
        return locate(environ=environ, url=state.url, path=state.path, config=organisation.path)

    notes: list[str] = []

    def load(*, dry_run: bool, lock_wait: float | None = None, held: Store | None = None,
             organisation: Organisation | None = None) -> tuple[Outcome, Mailer | None]:
        """Load the file and run its night (in ``held``, opened and locked, when given)."""
        from terminarz.notify.absence_cache import AbsenceCache
        from terminarz.notify.remote import RemoteCatalogues
        from terminarz.org.plan import load_setup

        cache = AbsenceCache(location, clock)
        remote = RemoteCatalogues(locate=location, clock=clock, refresh=not dry_run)
        try:
            setup = load_setup(config, today=today, statutory=statutory,
                               catalogue_cache=catalogues, absence_parse=cache.parse,
                               remote=remote, organisation=organisation)  # fmt: skip
        finally:
            cache.close()
            remote.close()
            notes.extend(f"ostrzeżenie: {line}" for line in remote.warnings)
        notes.extend(str(w) for w in setup.warnings)
        if setup.organisation is None:
            raise TerminarzError("przypomnienia wymagają pliku organizacji (--config)")
        result, used = _remind_one(setup, today=today, clock=clock, dry_run=dry_run,
                                   mailer=mailer, renderer=renderer, environ=environ,
                                   notes=notes, lock_wait=lock_wait, held=held)  # fmt: skip
        status = Status.SENT if dry_run or result.ok else Status.NOT_SENT
        return Outcome(result=result, status=status, warnings=tuple(notes)), used

    try:
        if night is None:
            return load(dry_run=dry_run, lock_wait=lock_wait)
        return _claim_and_remind(config, load, today=today, clock=clock, location=location,
                                 notes=notes, lock_wait=lock_wait, night=night)  # fmt: skip
    except RunLocked as exc:
        return Outcome(error=str(exc), status=Status.LOCKED, warnings=tuple(notes)), mailer
    except StoreError as exc:  # an I/O failure of the store, not a mistake in the file
        message = str(exc) if "wysłano" in str(exc) else f"{exc}; nic nie wysłano"
        return Outcome(error=f"błąd: {message}", status=Status.NOT_SENT,
                       warnings=tuple(notes)), mailer  # fmt: skip
    except TerminarzError as exc:
        return Outcome(error=f"błąd: {exc}", status=Status.MISTAKE, warnings=tuple(notes)), mailer


def _claim_and_remind(
    config: Path,
    load: Callable[..., tuple[Outcome, Mailer | None]],
    *,
    today: date,
    clock: Clock,
    location: Callable[[Organisation], Location],
    notes: list[str],
    lock_wait: float | None,
    night: Night,
) -> tuple[Outcome, Mailer | None]:
    """One organisation of a shared night: its run lock is taken (``lock_wait`` seconds at
    most) before anything is loaded; an organisation another worker finished since this one
    began is passed over; otherwise it is worked and marked done before the lock is let go."""
    from terminarz.org.organisation import load_organisation
    from terminarz.store import open_store
    from terminarz.store.base import NightMark, StoreError

    organisation = load_organisation(config)
    wait = organisation.settings.reminders.lock_timeout if lock_wait is None else lock_wait
    with open_store(location(organisation), organisation.id) as held, held.run_lock(timeout=wait):
        mark = held.night_mark()
        if mark is not None and mark.done_since(today, night.started):
            line = (f"terminarz remind {today.isoformat()} ({organisation.id}): tę organizację "
                    f"obsłużył już inny przebieg ({mark.worker})")  # fmt: skip
            return Outcome(elsewhere=line), None
        try:
            outcome, mailer = load(dry_run=False, held=held, organisation=organisation)
        except StoreError:
            raise  # the store failed: the organisation is left to the next worker or run
        except TerminarzError as exc:  # a mistake in the file: reported once, by this worker
            outcome, mailer = Outcome(error=f"błąd: {exc}", status=Status.MISTAKE,
                                      warnings=tuple(notes)), None  # fmt: skip
        held.finish_night(NightMark(night=today, worker=night.worker, finished_at=clock()))
    return outcome, mailer


def _remind_one(
    setup: Setup,
    *,
    today: date,
    clock: Clock,
    dry_run: bool,
    mailer: Mailer | None,
    renderer: MailRenderer,
    environ: Any,
    notes: list[str],
    lock_wait: float | None = None,
    held: Store | None = None,
) -> tuple[NightResult, Mailer | None]:
    from terminarz.links import site_url
    from terminarz.notify.mail import Links, MailComposer
    from terminarz.notify.mailer import (
        Mailer,
        RetryPolicy,
        effective_smtp,
        same_server,
        smtp_password,
    )
    from terminarz.notify.nightly import run_night
    from terminarz.store import locate, open_store
    from terminarz.tokens import read_secret, site_secret

    organisation = setup.organisation
    assert organisation is not None
    settings = organisation.settings
    smtp: SmtpSettings = effective_smtp(settings.smtp, environ)
    shared = settings.server.shared  # one of many institutions: /o/<id>/… and its own keys
    try:
        secret: bytes | None = site_secret(read_secret(settings.server.secret_env, environ),
                                           organisation.id, shared=shared)  # fmt: skip
    except TerminarzError as exc:
        secret = None
        notes.append(f"ostrzeżenie: {exc} — wiadomości wyjdą bez linku potwierdzenia")
    composer = MailComposer(
        renderer, setup, sender=smtp.sender,
        links=Links(base_url=site_url(settings.server.base_url, organisation.id, shared=shared),
                    secret=secret,
                    days=settings.server.link_days),
        overdue_every=settings.reminders.overdue_every,
    )  # fmt: skip
    location = locate(environ=environ, url=settings.state.url, path=settings.state.path,
                      config=organisation.path)  # fmt: skip
    if dry_run:
        with open_store(location, organisation.id) as ledger:
            result = run_night(setup, today=today, clock=clock, ledger=ledger,
                               composer=composer, mailer=None, sender=smtp.sender,
                               dry_run=True)  # fmt: skip
        return result, mailer
    password = smtp_password(smtp, environ)
    if (mailer is None or not same_server(mailer.settings, smtp) or mailer.password != password
            or mailer.settings.retry_delays != smtp.retry_delays):  # fmt: skip
        if mailer is not None:
            mailer.close()
        mailer = Mailer(settings=smtp, password=password,
                        retry=RetryPolicy(delays=tuple(float(d) for d in smtp.retry_delays)))
    if held is not None:  # opened and locked by the caller (a shared night)
        result = run_night(setup, today=today, clock=clock, ledger=held, composer=composer,
                           mailer=mailer, sender=smtp.sender)  # fmt: skip
        return result, mailer
    wait = settings.reminders.lock_timeout if lock_wait is None else lock_wait
    with open_store(location, organisation.id) as ledger, ledger.run_lock(timeout=wait):
        result = run_night(setup, today=today, clock=clock, ledger=ledger, composer=composer,
                           mailer=mailer, sender=smtp.sender)  # fmt: skip
    return result, mailer

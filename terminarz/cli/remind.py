"""Reminder commands: ``remind`` (the nightly job), ``log``, ``done``, ``undone``, ``daemon``.

Thin shells over :mod:`terminarz.nightly`, :mod:`terminarz.ledger` and
:mod:`terminarz.scheduler`; heavy modules (jinja2, email, smtplib,
apscheduler) are imported inside the handlers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from terminarz.cli.common import (
    EXIT_USAGE,
    TIMEZONE,
    Context,
    add_config,
    add_format,
    add_today,
    dump_json,
    find_config,
    parse_day,
    table,
    warsaw_today,
)
from terminarz.cli.feeds import add_state
from terminarz.errors import TerminarzError, UsageError

if TYPE_CHECKING:
    from terminarz.ledger import Ledger
    from terminarz.mail import MailRenderer
    from terminarz.mailer import Mailer
    from terminarz.nightly import NightResult
    from terminarz.plan import CatalogueCache, Setup
    from terminarz.settings import SmtpSettings
    from terminarz.workdays import WorkingCalendar

NO_CONFIG = "podaj plik organizacji: --config PLIK (albo zmienną TERMINARZ_CONFIG)"
EXIT_NOT_SENT = 1
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the lock; cron may simply try again


def warsaw_now() -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(TIMEZONE))


def ctx_state_path(ctx: Context) -> Path:
    """``--state``, else ``[state] path`` of the organisation file, else the user's data dir."""
    given: Path | None = getattr(ctx.args, "state", None)
    return given or state_path_of(ctx.setup)


def state_path_of(setup: Setup) -> Path:
    from terminarz.state import default_state_path

    organisation = setup.organisation
    if organisation is not None and organisation.settings.state.path is not None:
        return organisation.settings.state.path
    return default_state_path()


# -- remind -----------------------------------------------------------------------------

REMIND_EXAMPLES = """\
Przykłady:
  terminarz remind --config /etc/terminarz/osrodek.toml              przebieg nocny (cron)
  terminarz remind --config osrodek.toml --dry-run --today 2027-01-18  co zostałoby wysłane
  terminarz remind --config osrodek.toml --today 2027-01-18 --verbose  powtórz pominięty dzień

Kody wyjścia: 0 — wszystko wysłane; 1 — część poczty nie wyszła (zostaje do następnego
przebiegu albo została odrzucona, szczegóły na stderr i w „terminarz log”); 2 — błąd
w konfiguracji lub argumentach; 75 — trwa inny przebieg na tej samej bazie stanu.
Zmienne środowiskowe TERMINARZ_SMTP_HOST, _PORT, _SECURITY, _USERNAME, _SENDER
zastępują ustawienia z sekcji [smtp].
"""


def register_remind(sub: Any) -> None:
    p = sub.add_parser(
        "remind", help="przebieg nocny: wyślij przypomnienia e-mail należne na dziś",
        description="Wysyła przypomnienia należne na dany dzień (domyślnie dziś w Europe/Warsaw):\n"
        "przed terminem, o zastępstwie, o potrzebie wyznaczenia (II.5), o danych do zamówienia\n"
        "i dostarczenia (II.4) oraz po terminie. Każda wiadomość jest zapisywana w bazie stanu\n"
        "przed wysłaniem, więc nie wychodzi dwa razy i nie ginie. Bez --verbose nic nie\n"
        "wypisuje, gdy wszystko się udało.",
        epilog=REMIND_EXAMPLES,
    )  # fmt: skip
    p.add_argument("--config", dest="configs", metavar="PLIK", type=Path, action="append",
                   help="plik organizacji (można podać kilka razy; domyślnie TERMINARZ_CONFIG, "
                   "potem ./terminarz.toml)")  # fmt: skip
    add_today(p)
    p.add_argument("--dry-run", action="store_true",
                   help="tylko pokaż, co zostałoby wysłane; nic nie wysyłaj ani nie zapisuj"
                   )  # fmt: skip
    p.add_argument("--jobs", type=int, metavar="N",
                   help="przy wielu plikach: ile organizacji obsługiwać naraz, każda przez "
                   "własne połączenie SMTP (domyślnie 4; przy wielu plikach rozdzielane też "
                   "między procesy, po jednym na rdzeń)")  # fmt: skip
    p.add_argument("--verbose", "-v", action="store_true",
                   help="wypisz jednowierszowe podsumowanie przebiegu")  # fmt: skip
    p.set_defaults(handler=cmd_remind)


def cmd_remind(ctx: Context) -> int:
    args = ctx.args
    configs: list[Path] = list(args.configs or [])
    if not configs:
        found = find_config(None)
        if found is None:
            raise UsageError(NO_CONFIG)
        configs = [found]
    today = parse_day(args.today) if args.today else warsaw_today()
    if args.jobs is not None and not 1 <= args.jobs <= 64:
        raise UsageError(f"--jobs: {args.jobs} — podaj liczbę od 1 do 64")
    return remind_many(configs, today=today, dry_run=args.dry_run, verbose=args.verbose,
                       out=ctx.out, environ=os.environ, jobs=args.jobs)  # fmt: skip


@dataclass(kw_only=True)
class _Outcome:
    """What one organisation's run produced, printed in file order by the main thread."""

    result: NightResult | None = None
    error: str | None = None
    code: int = 0
    warnings: tuple[str, ...] = ()


MIN_FILES_PER_PROCESS = 50  # with fewer, starting a worker process costs more than it saves


def remind_many(
    configs: list[Path],
    *,
    today: date,
    dry_run: bool = False,
    verbose: bool = False,
    out: Any = None,
    environ: Any = None,
    statutory: WorkingCalendar | None = None,
    renderer: MailRenderer | None = None,
    jobs: int | None = None,
    processes: int | None = None,
) -> int:
    """Run the nightly job for each organisation file and return the exit code.

    With several files, ``jobs`` workers (default: up to 4) take the files in
    turn, each with its own SMTP connection, reused while files name the same
    server: one organisation's mails go out while the next one's are being
    prepared. Each organisation is handled by one worker under its own run
    lock, so concurrency never changes what is sent. A file with a mistake is
    reported and the others still run (exit code 2 at the end). The mail
    templates are compiled and each distinct set of catalogues is read once
    per process.

    The workers are threads; with many files (a national night: at least
    :data:`MIN_FILES_PER_PROCESS` per process) they are spread over one worker
    process per CPU core, up to ``jobs`` — Python runs one thread at a time
    per process, and loading, planning and rendering an organisation keep a
    thread busier than sending its mails. ``processes`` overrides that choice
    (1: threads only). Outcomes are printed in file order either way; a dry
    run, and ``statutory`` and ``renderer`` when given, stay in this process.
    Worker processes start from a fork server, which imports the main module
    again: a script calling this must keep its work under
    ``if __name__ == "__main__":`` (the ``terminarz`` command does).
    """
    out = out or sys.stdout
    environ = os.environ if environ is None else environ
    workers = max(1, min(jobs if jobs is not None else 4, len(configs)))
    count = 1
    if not dry_run and statutory is None and renderer is None:
        count = _process_count(len(configs), workers, processes)
    if count > 1:
        outcomes: Iterable[_Outcome] = _in_processes(
            configs, count, today=today, environ=dict(environ), threads=-(-workers // count)
        )
    else:
        outcomes = _outcomes(configs, today=today, dry_run=dry_run, environ=environ,
                             statutory=statutory, renderer=renderer, workers=workers)  # fmt: skip
    return _report(outcomes, out=out, dry_run=dry_run, verbose=verbose)


def _outcomes(
    configs: list[Path],
    *,
    today: date,
    dry_run: bool,
    environ: Any,
    statutory: WorkingCalendar | None,
    renderer: MailRenderer | None,
    workers: int,
) -> Iterator[_Outcome]:
    """Each file's outcome, in file order, from ``workers`` threads of this process."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from terminarz.mail import MailRenderer
    from terminarz.plan import CatalogueCache, default_statutory

    statutory = statutory or default_statutory()
    renderer = renderer or MailRenderer()
    catalogues = CatalogueCache()  # the files mostly name the same catalogues: read each once
    local = threading.local()
    opened: list[Mailer] = []
    opened_lock = threading.Lock()

    def work(config: Path) -> _Outcome:
        mailer: Mailer | None = getattr(local, "mailer", None)
        outcome, mailer = _run_config(config, today=today, dry_run=dry_run, mailer=mailer,
                                      renderer=renderer, environ=environ,
                                      statutory=statutory, catalogues=catalogues)  # fmt: skip
        if mailer is not None and mailer is not getattr(local, "mailer", None):
            local.mailer = mailer
            with opened_lock:
                opened.append(mailer)
        return outcome

    try:
        if workers == 1:
            yield from map(work, configs)
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="remind") as pool:
                yield from pool.map(work, configs)
    finally:
        for mailer in opened:
            mailer.close()


def _process_count(files: int, workers: int, requested: int | None) -> int:
    if requested is not None:
        return max(1, min(requested, files))
    return max(1, min(os.cpu_count() or 1, workers, files // MIN_FILES_PER_PROCESS))


def _in_processes(
    configs: list[Path], count: int, *, today: date, environ: dict[str, str], threads: int
) -> list[_Outcome]:
    """Every file's outcome, in file order, from ``count`` worker processes that take
    every ``count``-th file each (so a run of similar files splits evenly)."""
    from concurrent.futures import ProcessPoolExecutor

    shares = [configs[i::count] for i in range(count)]
    with ProcessPoolExecutor(max_workers=count, mp_context=_process_context()) as pool:
        futures = [pool.submit(_share, share, today, environ, threads) for share in shares]
        results = [future.result() for future in futures]
    return [results[k % count][k // count] for k in range(len(configs))]


def _share(configs: list[Path], today: date, environ: dict[str, str],
           threads: int) -> list[_Outcome]:  # fmt: skip
    """One worker process's files (see :func:`remind_many`)."""
    return list(_outcomes(configs, today=today, dry_run=False, environ=environ, statutory=None,
                          renderer=None, workers=threads))  # fmt: skip


def _process_context() -> Any:
    """``forkserver`` (safe with threads running, unlike ``fork``; the server process
    imports the reminder modules once and forks each worker from itself), else ``spawn``."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["jinja2", "terminarz.nightly", "terminarz.cli.remind"])
    return context


def _run_config(
    config: Path,
    *,
    today: date,
    dry_run: bool,
    mailer: Mailer | None,
    renderer: MailRenderer,
    environ: Any,
    statutory: WorkingCalendar,
    catalogues: CatalogueCache,
) -> tuple[_Outcome, Mailer | None]:
    from terminarz.ledger import RunLocked
    from terminarz.plan import load_setup

    notes: list[str] = []
    try:
        setup = load_setup(config, today=today, statutory=statutory,
                           catalogue_cache=catalogues)  # fmt: skip
        notes.extend(str(w) for w in setup.warnings)
        if setup.organisation is None:
            raise UsageError("przypomnienia wymagają pliku organizacji (--config)")
        result, mailer = _remind_one(setup, today=today, dry_run=dry_run, mailer=mailer,
                                     renderer=renderer, environ=environ,
                                     notes=notes)  # fmt: skip
    except RunLocked as exc:
        return _Outcome(error=str(exc), code=EXIT_LOCKED, warnings=tuple(notes)), mailer
    except TerminarzError as exc:
        return _Outcome(error=f"błąd: {exc}", code=EXIT_USAGE, warnings=tuple(notes)), mailer
    code = 0 if dry_run or result.ok else EXIT_NOT_SENT
    return _Outcome(result=result, code=code, warnings=tuple(notes)), mailer


def _report(outcomes: Iterable[_Outcome], *, out: Any, dry_run: bool, verbose: bool) -> int:
    code = 0
    for outcome in outcomes:
        for warning in outcome.warnings:
            sys.stderr.write(f"terminarz: {warning}\n")
        code = max(code, outcome.code)
        result = outcome.result
        if result is None:
            sys.stderr.write(f"terminarz: {outcome.error}\n")
            continue
        if dry_run:
            _print_dry_run(result, out)
            continue
        if verbose:
            out.write(_summary(result) + "\n")
        for line in (*result.failed, *result.pending):
            sys.stderr.write(f"terminarz: nie wysłano: {line}\n")
    return code


def _remind_one(
    setup: Setup,
    *,
    today: date,
    dry_run: bool,
    mailer: Mailer | None,
    renderer: MailRenderer,
    environ: Any,
    notes: list[str],
) -> tuple[NightResult, Mailer | None]:
    from terminarz.ledger import Ledger, run_lock
    from terminarz.mail import Links, MailComposer
    from terminarz.mailer import (
        Mailer,
        RetryPolicy,
        effective_smtp,
        same_server,
        smtp_password,
    )
    from terminarz.nightly import run_night
    from terminarz.tokens import read_secret

    organisation = setup.organisation
    assert organisation is not None
    settings = organisation.settings
    smtp: SmtpSettings = effective_smtp(settings.smtp, environ)
    try:
        secret: bytes | None = read_secret(settings.server.secret_env, environ)
    except TerminarzError as exc:
        secret = None
        notes.append(f"ostrzeżenie: {exc} — wiadomości wyjdą bez linku potwierdzenia")
    composer = MailComposer(
        renderer, setup, sender=smtp.sender,
        links=Links(base_url=settings.server.base_url, secret=secret,
                    days=settings.server.link_days),
        overdue_every=settings.reminders.overdue_every,
    )  # fmt: skip
    state_path = state_path_of(setup)
    if dry_run:
        with Ledger.open(state_path) as ledger:
            result = run_night(setup, today=today, clock=warsaw_now, ledger=ledger,
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
    with run_lock(state_path, timeout=settings.reminders.lock_timeout), \
            Ledger.open(state_path) as ledger:  # fmt: skip
        result = run_night(setup, today=today, clock=warsaw_now, ledger=ledger,
                           composer=composer, mailer=mailer, sender=smtp.sender)  # fmt: skip
    return result, mailer


def _summary(result: NightResult) -> str:
    parts = [f"wysłano {result.sent}"]
    if result.resent:
        parts.append(f"ponowiono {result.resent}")
    if result.cancelled:
        parts.append(f"anulowano {result.cancelled}")
    if result.pending:
        parts.append(f"czeka na następny przebieg {len(result.pending)}")
    if result.failed:
        parts.append(f"odrzucono {len(result.failed)}")
    return f"terminarz remind {result.day.isoformat()} ({result.organisation}): " + ", ".join(parts)


def _print_dry_run(result: NightResult, out: Any) -> None:
    from terminarz.polish import short_date

    out.write(f"{result.organisation}, {short_date(result.day)} — próba (nic nie wysłano)\n")
    if not result.decided:
        out.write("Brak wiadomości do wysłania.\n")
        return
    rows = [
        [d.mail.kind.polish, d.mail.step, d.mail.recipient, d.composed.address,
         d.mail.occurrence_id, d.composed.subject]
        for d in result.decided
    ]  # fmt: skip
    header = ["Rodzaj", "Krok", "Osoba", "Adres", "Wystąpienie", "Temat"]
    for line in table(rows, header):
        out.write(line + "\n")


# -- log --------------------------------------------------------------------------------

LOG_EXAMPLES = """\
Przykłady:
  terminarz log --config osrodek.toml                           cała historia poczty
  terminarz log --config osrodek.toml --occurrence mpips-03@ops/2026
  terminarz log --config osrodek.toml --person kier-dokip --format json
"""


def register_log(sub: Any) -> None:
    p = sub.add_parser(
        "log", help="co i kiedy wysłano do kogo (dziennik poczty)",
        description="Dziennik wiadomości z bazy stanu: kiedy, do kogo, jaki rodzaj i krok, stan\n"
        "(wysłano, oczekuje, odrzucono, anulowano); z --occurrence także potwierdzenia.",
        epilog=LOG_EXAMPLES,
    )  # fmt: skip
    add_config(p)
    add_state(p)
    p.add_argument("--occurrence", metavar="ID",
                   help="tylko to wystąpienie, np. mpips-03@ops/2026")  # fmt: skip
    p.add_argument("--person", metavar="OSOBA",
                   help="tylko wiadomości do tej osoby (identyfikator)")  # fmt: skip
    add_format(p)
    p.set_defaults(handler=cmd_log)


def cmd_log(ctx: Context) -> int:
    from terminarz.ledger import Ledger

    args = ctx.args
    setup = ctx.setup
    state_path = ctx_state_path(ctx)
    if args.person and setup.organisation is not None and \
            setup.organisation.person(args.person) is None:  # fmt: skip
        raise UsageError(f"--person: nieznana osoba „{args.person}” w pliku organizacji")
    if not state_path.exists():
        records, events = [], []
    else:
        with Ledger.open(state_path) as ledger:
            records = ledger.history(occurrence_id=args.occurrence, person=args.person)
            events = ledger.confirmation_log(args.occurrence) if args.occurrence else []
    if args.format == "json":
        dump_json({
            "mails": [{
                "occurrence": r.occurrence_id, "kind": r.kind, "step": r.step,
                "person": r.recipient, "address": r.address, "cc": list(r.envelope[1:]),
                "status": r.status.value, "day": r.day.isoformat(), "claimed_at": r.claimed_at,
                "sent_at": r.sent_at, "attempts": r.attempts, "error": r.error,
                "subject": r.subject, "message_id": r.message_id,
            } for r in records],
            "confirmations": [{
                "occurrence": e.occurrence_id, "action": e.action, "person": e.person,
                "at": e.at, "note": e.note,
            } for e in events],
        }, ctx.out)  # fmt: skip
        return 0
    out = ctx.out
    if not records:
        out.write("Brak wiadomości w dzienniku.\n")
    else:
        from terminarz.reminders import MailKind

        kinds = {k.value: k.polish for k in MailKind}
        rows = [
            [_stamp(r.sent_at or r.claimed_at), r.status.polish, r.recipient, r.address,
             kinds.get(r.kind, r.kind), r.step, r.occurrence_id]
            for r in records
        ]  # fmt: skip
        header = ["Kiedy", "Stan", "Osoba", "Adres", "Rodzaj", "Krok", "Wystąpienie"]
        for line in table(rows, header):
            out.write(line + "\n")
        problems = [r for r in records if r.error]
        for r in problems:
            out.write(f"  {r.occurrence_id} {r.kind} {r.step} → {r.address}: {r.error}\n")
    for e in events:
        what = "potwierdzono" if e.action == "done" else "cofnięto potwierdzenie"
        who = f" — {e.person}" if e.person else ""
        note = f" ({e.note})" if e.note else ""
        out.write(f"{_stamp(e.at)}  {what}{who}{note}\n")
    return 0


def _stamp(text: str) -> str:
    """``2027-01-18 06:00`` in Warsaw time."""
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(TIMEZONE))
    return f"{moment:%Y-%m-%d %H:%M}"


# -- done / undone ------------------------------------------------------------------------


def register_done(sub: Any) -> None:
    p = sub.add_parser(
        "done", help="zapisz, że sprawozdanie wysłano (przypomnienia ustają)",
        description="Zapisuje w bazie stanu, że sprawozdanie zostało wysłane: kto i kiedy.\n"
        "Potwierdzone wystąpienie nie dostaje już przypomnień, a w „due” i kalendarzach\n"
        "jest oznaczone jako wysłane (✔).",
        epilog="Przykład:\n"
        "  terminarz done mpips-03@ops/2026 --by kier-dokip --config osrodek.toml",
    )  # fmt: skip
    p.add_argument("occurrence", metavar="WYSTĄPIENIE", help="identyfikator, np. mpips-03@ops/2026")
    p.add_argument("--by", metavar="OSOBA", help="kto wysłał (identyfikator osoby)")
    p.add_argument("--note", metavar="TEKST", help="uwagi, np. numer sprawozdania w systemie")
    add_config(p)
    add_state(p)
    p.set_defaults(handler=cmd_done)


def register_undone(sub: Any) -> None:
    p = sub.add_parser(
        "undone", help="cofnij potwierdzenie wysłania sprawozdania",
        description="Usuwa potwierdzenie (np. zapisane przez pomyłkę); przypomnienia wracają\n"
        "od najbliższego przebiegu.",
        epilog="Przykład:\n  terminarz undone mpips-03@ops/2026 --config osrodek.toml",
    )  # fmt: skip
    p.add_argument("occurrence", metavar="WYSTĄPIENIE", help="identyfikator, np. mpips-03@ops/2026")
    p.add_argument("--by", metavar="OSOBA", help="kto cofa (identyfikator osoby)")
    add_config(p)
    add_state(p)
    p.set_defaults(handler=cmd_undone)


def _checked(ctx: Context) -> tuple[Setup, str, str | None]:
    from terminarz.plan import find_occurrence

    setup = ctx.setup
    occ = find_occurrence(setup, ctx.args.occurrence)
    by = ctx.args.by
    if by is not None and setup.organisation is not None and setup.organisation.person(by) is None:
        raise UsageError(f"--by: nieznana osoba „{by}” w pliku organizacji")
    return setup, occ.id, by


def _open(ctx: Context) -> Ledger:
    from terminarz.ledger import Ledger

    return Ledger.open(ctx_state_path(ctx))


def cmd_done(ctx: Context) -> int:
    setup, occurrence_id, by = _checked(ctx)
    note = " ".join(ctx.args.note.split()) if ctx.args.note else None
    with _open(ctx) as ledger:
        before = ledger.confirmation(occurrence_id)
        found = ledger.confirm(occurrence_id, by=by, at=warsaw_now(), note=note)
    who = _who(setup, found.confirmed_by)
    if before is not None:
        ctx.out.write(f"{occurrence_id}: już potwierdzone{who} ({_stamp(found.confirmed_at)}); "
                      "nic nie zmieniono\n")  # fmt: skip
    else:
        ctx.out.write(f"✔ {occurrence_id}: potwierdzono wysłanie{who} "
                      f"({_stamp(found.confirmed_at)}); przypomnienia ustają\n")  # fmt: skip
    return 0


def cmd_undone(ctx: Context) -> int:
    setup, occurrence_id, by = _checked(ctx)
    with _open(ctx) as ledger:
        removed = ledger.unconfirm(occurrence_id, by=by, at=warsaw_now())
    if removed is None:
        ctx.out.write(f"{occurrence_id}: nie było potwierdzone; nic nie zmieniono\n")
    else:
        ctx.out.write(f"{occurrence_id}: cofnięto potwierdzenie{_who(setup, removed.confirmed_by)} "
                      f"z {_stamp(removed.confirmed_at)}; przypomnienia wracają\n")  # fmt: skip
    return 0


def _who(setup: Setup, person: str | None) -> str:
    if not person:
        return ""
    organisation = setup.organisation
    name = organisation.person_name(person) if organisation is not None else person
    return f" przez: {name} ({person})" if name != person else f" przez: {person}"


# -- daemon -------------------------------------------------------------------------------


def register_daemon(sub: Any) -> None:
    p = sub.add_parser(
        "daemon", help="tryb usługi: przebieg nocny według harmonogramu (zamiast crona)",
        description="Działa w tle (np. jako usługa systemd) i o porze z [reminders] schedule\n"
        "(domyślnie 0 6 * * *, czas Europe/Warsaw) uruchamia to samo co „terminarz remind”.\n"
        "Kończy pracę czysto po SIGTERM.",
        epilog="Przykłady:\n  terminarz daemon --config /etc/terminarz/osrodek.toml\n"
        "  terminarz daemon --config /etc/terminarz/osrodek.toml --feeds /var/www/kalendarze",
    )  # fmt: skip
    add_config(p)
    p.add_argument("--feeds", metavar="KATALOG", type=Path,
                   help="po każdym przebiegu odśwież też kalendarze .ics w tym katalogu "
                   "(jak „terminarz feed --out KATALOG”)")  # fmt: skip
    p.set_defaults(handler=cmd_daemon)


def cmd_daemon(ctx: Context) -> int:
    import logging

    from terminarz.plan import load_setup
    from terminarz.scheduler import run_daemon
    from terminarz.scheduler import today as warsaw_day

    config = ctx.config
    if config is None:
        raise UsageError(NO_CONFIG)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")  # fmt: skip
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    setup = load_setup(config, today=warsaw_day())  # checks the file before the first run
    organisation = setup.organisation
    if organisation is None:
        raise UsageError("przypomnienia wymagają pliku organizacji (--config)")
    log = logging.getLogger("terminarz.daemon")

    feeds_dir: Path | None = ctx.args.feeds

    def nightly(day: date) -> None:
        try:
            code = remind_many([config], today=day, verbose=True, out=_LogStream(log))
        except TerminarzError as exc:
            log.error("przebieg za %s: %s", day.isoformat(), exc)
            code = 2
        if feeds_dir is not None:
            code = max(code, _regenerate_feeds(config, feeds_dir, day, log))
        log.info("przebieg za %s zakończony (kod %d)", day.isoformat(), code)

    run_daemon(nightly, schedule=organisation.settings.reminders.schedule)
    return 0


class _LogStream:
    """A text stream that sends each written line to a logger (the daemon's summary)."""

    def __init__(self, log: Any) -> None:
        self._log = log

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                self._log.info("%s", line)
        return len(text)

    def flush(self) -> None:
        pass


def _regenerate_feeds(config: Path, folder: Path, day: date, log: Any) -> int:
    """``terminarz feed --config … --out folder --today day``, its output logged."""
    import contextlib
    import io

    from terminarz.cli import main

    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        code = main(["feed", "--config", str(config), "--out", str(folder),
                     "--today", day.isoformat()])  # fmt: skip
    lines = captured.getvalue().strip().splitlines()
    if code == 0:
        log.info("kalendarze: %s", lines[-1] if lines else folder)
    else:
        log.error("kalendarze: nie odświeżono (kod %d)", code)
    return code


def register(sub: Any) -> None:
    register_remind(sub)
    register_log(sub)
    register_done(sub)
    register_undone(sub)
    register_daemon(sub)

"""Reminder commands: ``remind`` (the nightly job), ``log``, ``done``, ``undone``, ``daemon``.

Thin shells over :mod:`terminarz.notify.nightly`, :mod:`terminarz.store` and
:mod:`terminarz.notify.scheduler`; heavy modules (jinja2, email, smtplib,
apscheduler) are imported inside the handlers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from terminarz.cli.common import (
    EXIT_USAGE,
    TIMEZONE,
    Context,
    add_config,
    add_format,
    add_orgs,
    add_today,
    dump_json,
    find_config,
    open_store,
    organisation_files,
    parse_day,
    store_location,
    table,
    warsaw_today,
)
from terminarz.cli.feeds import add_state, midnight, write_feeds
from terminarz.errors import TerminarzError, UsageError

if TYPE_CHECKING:
    from terminarz.law.workdays import WorkingCalendar
    from terminarz.notify.mail import MailRenderer
    from terminarz.notify.nightly import NightResult
    from terminarz.notify.runs import Outcome
    from terminarz.org.plan import Setup
    from terminarz.store.base import Store

NO_CONFIG = "należy podać plik organizacji: --config PLIK (albo zmienną TERMINARZ_CONFIG)"


def warsaw_now() -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(TIMEZONE))


def add_verbose(parser: Any) -> None:
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="wypisuje na stderr, której bazy stanu użyto i dlaczego")  # fmt: skip


# -- remind -----------------------------------------------------------------------------

REMIND_EXAMPLES = """\
Przykłady:
  terminarz remind --config /etc/terminarz/osrodek.toml              przebieg nocny (cron)
  terminarz remind --config osrodek.toml --dry-run --today 2027-01-18  co zostałoby wysłane
  terminarz remind --config osrodek.toml --today 2027-01-18 --verbose  powtórzenie pominiętego dnia

Kody wyjścia: 0 — wszystko wysłane; 1 — część poczty nie wyszła (zostaje do następnego
przebiegu albo została odrzucona, szczegóły na stderr i w „terminarz log”); 2 — błąd
w konfiguracji lub argumentach; 75 — trwa inny przebieg na tej samej bazie stanu.
Zmienne środowiskowe TERMINARZ_SMTP_HOST, _PORT, _SECURITY, _USERNAME, _SENDER
zastępują ustawienia z sekcji [smtp].
"""


def register_remind(sub: Any) -> None:
    p = sub.add_parser(
        "remind", help="przebieg nocny: wysyła przypomnienia e-mail należne na dziś",
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
    add_orgs(p)
    add_today(p)
    p.add_argument("--dry-run", action="store_true",
                   help="tylko pokazuje, co zostałoby wysłane; niczego nie wysyła ani nie zapisuje"
                   )  # fmt: skip
    p.add_argument("--jobs", type=int, metavar="N",
                   help="przy wielu plikach: ile organizacji obsługiwać naraz, każda przez "
                   "własne połączenie SMTP (domyślnie 4; przy wielu plikach rozdzielane też "
                   "między procesy, po jednym na rdzeń)")  # fmt: skip
    p.add_argument("--verbose", "-v", action="store_true",
                   help="wypisuje jednowierszowe podsumowanie przebiegu, a na bieżąco (na "
                   "standardowe wyjście błędów) każdą ponowną próbę połączenia z serwerem "
                   "poczty lub wysłania")  # fmt: skip
    p.set_defaults(handler=cmd_remind)


def cmd_remind(ctx: Context) -> int:
    args = ctx.args
    configs: list[Path] = list(args.configs or [])
    if args.orgs is not None:
        configs += organisation_files(args.orgs)
    if not configs:
        found = find_config(None)
        if found is None:
            raise UsageError(NO_CONFIG)
        configs = [found]
    today = parse_day(args.today) if args.today else warsaw_today()
    if args.jobs is not None and not 1 <= args.jobs <= 64:
        raise UsageError(f"--jobs: {args.jobs} — należy podać liczbę od 1 do 64")
    with show_retries(args.verbose):
        return remind_many(configs, today=today, dry_run=args.dry_run, verbose=args.verbose,
                           out=ctx.out, environ=os.environ, jobs=args.jobs)  # fmt: skip


@contextmanager
def show_retries(verbose: bool) -> Iterator[None]:
    """With ``--verbose``: each retry of a mail server on stderr as it happens
    (``terminarz: ... — ponowna próba 2 z 3 za 10 s``). Retries in worker processes
    (many organisation files) are not shown; their outcome is, at the end."""
    if not verbose:
        yield
        return
    import logging

    from terminarz.notify.mailer import RETRY_LOG

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("terminarz: %(message)s"))
    level = RETRY_LOG.level
    RETRY_LOG.addHandler(handler)
    RETRY_LOG.setLevel(logging.INFO)
    try:
        yield
    finally:
        RETRY_LOG.removeHandler(handler)
        RETRY_LOG.setLevel(level)


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
    """Run the nightly job for each organisation file, print what happened, return the exit
    code (see :func:`terminarz.notify.runs.run_many`)."""
    from terminarz.notify.runs import run_many

    outcomes = run_many(configs, today=today, clock=warsaw_now, dry_run=dry_run,
                        environ=os.environ if environ is None else environ,
                        statutory=statutory, renderer=renderer, jobs=jobs,
                        processes=processes)  # fmt: skip
    return _report(outcomes, out=out or sys.stdout, dry_run=dry_run, verbose=verbose)


def _report(outcomes: Iterable[Outcome], *, out: Any, dry_run: bool, verbose: bool) -> int:
    """Print each organisation's outcome; the exit code is the worst status of the night."""
    code = 0
    for outcome in outcomes:
        for warning in outcome.warnings:
            sys.stderr.write(f"terminarz: {warning}\n")
        code = max(code, int(outcome.status))
        result = outcome.result
        if result is None:
            if outcome.elsewhere is not None:  # another worker of the night did it
                if verbose:
                    out.write(outcome.elsewhere + "\n")
                continue
            sys.stderr.write(f"terminarz: {outcome.error}\n")
            continue
        if dry_run:
            _print_dry_run(result, out)
            continue
        if verbose:
            out.write(_summary(result) + "\n")
        for line in (*result.failed, *result.pending):
            sys.stderr.write(f"terminarz: nie wysłano: {line}\n")
        for line in result.unrecorded:
            sys.stderr.write(f"terminarz: wysłano, ale nie zapisano w bazie stanu (może zostać "
                             f"wysłana ponownie, z tym samym Message-ID): {line}\n")  # fmt: skip
        for line in result.unknown:
            sys.stderr.write(f"terminarz: serwer nie potwierdził (zostanie ponowione raz): "
                             f"{line}\n")  # fmt: skip
    return code


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
    if result.unknown:
        parts.append(f"bez potwierdzenia serwera {len(result.unknown)}")
    return f"terminarz remind {result.day.isoformat()} ({result.organisation}): " + ", ".join(parts)


def _step(step: str) -> str:
    """A stored step key in Polish for the tables; a task's unit stays in front of it
    (``dfk:T-2`` → "dfk: 2 dni robocze przed terminem zadania")."""
    from terminarz.notify.reminders import step_words

    unit, colon, _ = step.rpartition(":")
    return f"{unit}: {step_words(step)}" if colon else step_words(step)


def _print_dry_run(result: NightResult, out: Any) -> None:
    from terminarz.polish import short_date

    out.write(f"{result.organisation}, {short_date(result.day)} — próba (nic nie wysłano)\n")
    if not result.decided:
        out.write("Brak wiadomości do wysłania.\n")
        return
    rows = [
        [d.mail.kind.polish, _step(d.mail.step), d.mail.recipient, d.composed.address,
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
    add_verbose(p)
    p.add_argument("--occurrence", metavar="ID",
                   help="tylko to wystąpienie, np. mpips-03@ops/2026")  # fmt: skip
    p.add_argument("--person", metavar="OSOBA",
                   help="tylko wiadomości do tej osoby (identyfikator)")  # fmt: skip
    add_format(p)
    p.set_defaults(handler=cmd_log)


def cmd_log(ctx: Context) -> int:
    from terminarz.store import exists

    args = ctx.args
    setup = ctx.setup
    location = store_location(ctx, setup)
    if args.verbose:
        sys.stderr.write(f"terminarz: baza stanu: {location.display()} ({location.origin})\n")
    if args.person and setup.organisation is not None and \
            setup.organisation.person(args.person) is None:  # fmt: skip
        raise UsageError(f"--person: nieznana osoba „{args.person}” w pliku organizacji")
    if not exists(location):
        records, events = [], []
    else:
        with open_store(ctx, setup) as ledger:
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
                "deliveries": [{
                    "address": d.address, "person": d.person, "role": d.role,
                    "status": d.status.value, "attempts": d.attempts, "error": d.error,
                    "sent_at": d.sent_at, "resent_after_unknown": d.unknown_resent,
                } for d in r.deliveries],
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
        from terminarz.notify.reminders import MailKind

        kinds = {k.value: k.polish for k in MailKind}
        rows = [
            [_stamp(d.sent_at or r.claimed_at), d.status.polish,
             d.person or ("(do wiadomości)" if d.role == "cc" else r.recipient), d.address,
             kinds.get(r.kind, r.kind), r.occurrence_id, _step(r.step)]
            for r in records for d in r.deliveries
            if args.person is None or d.person == args.person
        ]  # fmt: skip
        header = ["Kiedy", "Stan", "Osoba", "Adres", "Rodzaj", "Wystąpienie", "Krok"]
        for line in table(rows, header):
            out.write(line + "\n")
        for r in records:
            for d in r.deliveries:
                if d.error:
                    note = ""
                    if d.status.value == "unknown":
                        note = (" — ponowiono raz, więcej prób nie będzie" if d.unknown_resent
                                else " — zostanie wysłana ponownie raz, z tym samym Message-ID")
                    out.write(f"  {r.occurrence_id} {kinds.get(r.kind, r.kind)} "
                              f"({_step(r.step)}) → {d.address}: "
                              f"{d.error}{note}\n")  # fmt: skip
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
        "done", help="zapisuje, że sprawozdanie wysłano (przypomnienia ustają)",
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
    add_today(p)
    add_verbose(p)
    p.set_defaults(handler=cmd_done)


def register_undone(sub: Any) -> None:
    p = sub.add_parser(
        "undone", help="cofa potwierdzenie wysłania sprawozdania",
        description="Usuwa potwierdzenie (np. zapisane przez pomyłkę); przypomnienia wracają\n"
        "od najbliższego przebiegu.",
        epilog="Przykład:\n  terminarz undone mpips-03@ops/2026 --config osrodek.toml",
    )  # fmt: skip
    p.add_argument("occurrence", metavar="WYSTĄPIENIE", help="identyfikator, np. mpips-03@ops/2026")
    p.add_argument("--by", metavar="OSOBA", help="kto cofa (identyfikator osoby)")
    add_config(p)
    add_state(p)
    add_today(p)
    add_verbose(p)
    p.set_defaults(handler=cmd_undone)


NO_ORGANISATION = (
    "„terminarz {command}” zapisuje w bazie stanu organizacji, a nie znaleziono pliku "
    "organizacji: należy podać --config PLIK, ustawić zmienną TERMINARZ_CONFIG albo umieścić "
    "terminarz.toml w bieżącym katalogu (wtedy potwierdzenie trafia tam, skąd czyta przebieg "
    "nocny); bez organizacji — tylko ze wskazaną wprost bazą stanu: --state PLIK|URL"
)


class Target(NamedTuple):
    """What ``done``/``undone`` names: the id, and who is responsible for it (``who``'s
    resolution; empty without an organisation)."""

    id: str
    owners: tuple[str, ...] = ()


def _setup_for_confirmation(ctx: Context, command: str) -> Setup:
    """The setup; a Polish error when there is no organisation file and no ``--state``."""
    setup = ctx.setup
    if setup.organisation is None and not ctx.args.state:
        raise UsageError(NO_ORGANISATION.format(command=command))
    by = ctx.args.by
    if by is not None and setup.organisation is not None and setup.organisation.person(by) is None:
        known = ", ".join(p.id for p in setup.organisation.people) or "—"
        raise UsageError(f"--by: nieznana osoba „{by}”; osoby w pliku organizacji: {known}")
    return setup


def _target(ctx: Context, setup: Setup) -> Target:
    """The occurrence or internal task (``<id>#dane:<unit>``, ``#prosba:<unit>``, ``#termin``)
    named on the command line, checked to exist for this organisation: one of its
    obligations, a period due at most a year after ``--today``, a task its plan has.
    A Polish :class:`UsageError` naming the id otherwise."""
    from terminarz.org.datarequests import TaskKind, split_task_id
    from terminarz.org.plan import find_occurrence, planned

    text = ctx.args.occurrence.strip()
    today = ctx.today
    if "#" not in text:
        _check_belongs(setup, text, text)
        occ = find_occurrence(setup, text)
        _check_horizon(text, occ.due, today)
        item = planned(setup, occ, today=today)
        return Target(id=occ.id, owners=item.owners)
    try:
        base, kind, unit = split_task_id(text)
    except ValueError:
        raise UsageError(f"„{text}” nie jest identyfikatorem zadania (np. "
                         "mpips-03@ops/2026#dane:dokip albo …#termin)") from None
    if kind is TaskKind.FIND_DATE:
        return _find_date_target(ctx, setup, text, base)
    _check_belongs(setup, text, base)
    occ = find_occurrence(setup, base)
    _check_horizon(text, occ.due, today)
    item = planned(setup, occ, today=today)
    if setup.organisation is None:
        return Target(id=text)
    for task in item.tasks:
        if task.id == text:
            return Target(id=text, owners=tuple(dict.fromkeys(task.owners + item.owners)))
    for skipped in item.left_out:
        if skipped.id == text:
            raise UsageError(f"„{text}”: takiego zadania nie ma — {skipped.reason}; "
                             f"szczegóły: terminarz who {base}")  # fmt: skip
    inputs = [i.id for i in item.duty.inputs] if item.duty is not None else []
    known = ", ".join(inputs) or "obowiązek nie wymienia żadnych („inputs”)"
    raise UsageError(f"„{text}”: {occ.id} nie ma danych od „{unit}”; dostawcy danych: {known}")


def _find_date_target(ctx: Context, setup: Setup, text: str, base: str) -> Target:
    """``<id>#termin``: a period of an announced obligation (with or without its date yet)."""
    from terminarz.cli.duetable import undated_item
    from terminarz.org.plan import find_occurrence, pending

    _check_belongs(setup, text, base)
    waiting = undated_item(ctx, base)
    if waiting is None:
        occ = find_occurrence(setup, base)  # a Polish error for an unknown id
        if not occ.obligation.announced:
            raise UsageError(f"„{text}”: termin obowiązku {occ.obligation.id} wynika z aktu, "
                             "więc nie ma zadania ustalenia terminu (#termin)")  # fmt: skip
        _check_horizon(text, occ.due, ctx.today)
        return Target(id=text)
    _check_horizon(text, waiting.expected, ctx.today, expected=True)
    item = pending(setup, waiting, today=ctx.today)
    return Target(id=text, owners=tuple(sorted(item.people())))


def _check_belongs(setup: Setup, text: str, occurrence_id: str) -> None:
    """Refuse an obligation of the catalogues that is not the organisation's (another level,
    or left out by its ``obligations``); an id that does not parse or names no obligation is
    left to :func:`terminarz.org.plan.find_occurrence` to report."""
    from terminarz.law.rules import split_occurrence_id

    organisation = setup.organisation
    try:
        obligation_id, _ = split_occurrence_id(occurrence_id)
    except ValueError:
        return
    obligation = setup.catalogues.obligation(obligation_id)
    if organisation is None or obligation is None or \
            any(o.id == obligation_id for o in setup.obligations):  # fmt: skip
        return
    level = obligation.level
    raise UsageError(
        f"„{text}”: organizacja {organisation.id} nie ma obowiązku {obligation_id} (poziom "
        f"{level}; jej poziomy: {', '.join(organisation.levels)}) — nie ma czego potwierdzać"
    )


def _check_horizon(text: str, due: date, today: date, *, expected: bool = False) -> None:
    """Refuse a period due more than a year after ``today`` (a typo in the year, usually)."""
    from terminarz.polish import date_words

    try:
        limit = today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        limit = today.replace(year=today.year + 1, day=28)
    if due > limit:
        what = "spodziewany termin" if expected else "termin"
        raise UsageError(
            f"„{text}”: {what} ({date_words(due)}) przypada ponad rok po dniu dzisiejszym "
            f"({date_words(today)}); potwierdzić można wystąpienie z terminem nie późniejszym "
            f"niż {date_words(limit)} — należy sprawdzić rok w identyfikatorze"
        )


def _warn_by(setup: Setup, target: Target, by: str | None) -> None:
    """A warning (not an error) when ``--by`` is not among those responsible for ``target``."""
    organisation = setup.organisation
    if by is None or organisation is None or not target.owners or by in target.owners:
        return
    owners = ", ".join(f"{organisation.person_name(p)} ({p})" for p in target.owners)
    sys.stderr.write(f"terminarz: ostrzeżenie: {organisation.person_name(by)} ({by}) nie jest "
                     f"wśród osób odpowiedzialnych za {target.id} (odpowiada: {owners}); "
                     "potwierdzenie zapisano\n")  # fmt: skip


def _open(ctx: Context) -> Store:
    location = store_location(ctx, ctx.setup)
    if ctx.args.verbose:
        sys.stderr.write(f"terminarz: baza stanu: {location.display()} ({location.origin})\n")
    if ctx.setup.organisation is None:
        sys.stderr.write("terminarz: uwaga: bez pliku organizacji potwierdzenie widzą tylko "
                         "polecenia uruchamiane bez --config z tą samą bazą stanu; przebieg "
                         "nocny organizacji go nie widzi\n")  # fmt: skip
    return open_store(ctx, ctx.setup)


def cmd_done(ctx: Context) -> int:
    setup = _setup_for_confirmation(ctx, "done")
    target = _target(ctx, setup)
    by = ctx.args.by
    note = " ".join(ctx.args.note.split()) if ctx.args.note else None
    with _open(ctx) as ledger:
        before = ledger.confirmation(target.id)
        found = ledger.confirm(target.id, by=by, at=warsaw_now(), note=note)
    if before is None:
        _warn_by(setup, target, by)
    who = _who(setup, found.confirmed_by)
    if before is not None:
        ctx.out.write(f"{target.id}: już potwierdzone{who} ({_stamp(found.confirmed_at)}); "
                      "nic nie zmieniono\n")  # fmt: skip
    else:
        what = "wykonanie zadania" if "#" in target.id else "wysłanie"
        ctx.out.write(f"✔ {target.id}: potwierdzono {what}{who} "
                      f"({_stamp(found.confirmed_at)}); przypomnienia ustają\n")  # fmt: skip
    return 0


def cmd_undone(ctx: Context) -> int:
    """Withdraw a confirmation. An id that fails the checks of ``done`` (e.g. one confirmed
    by an older release) can still be withdrawn when the store holds its confirmation."""
    from terminarz.store import exists

    setup = _setup_for_confirmation(ctx, "undone")
    text = ctx.args.occurrence.strip()
    try:
        occurrence_id = _target(ctx, setup).id
    except UsageError:
        if not exists(store_location(ctx, setup)):
            raise
        with open_store(ctx, setup) as ledger:
            if ledger.confirmation(text) is None:
                raise
        occurrence_id = text
    with _open(ctx) as ledger:
        removed = ledger.unconfirm(occurrence_id, by=ctx.args.by, at=warsaw_now())
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
                   help="po każdym przebiegu odświeża też kalendarze .ics w tym katalogu "
                   "(jak „terminarz feed --out KATALOG”)")  # fmt: skip
    p.set_defaults(handler=cmd_daemon)


def cmd_daemon(ctx: Context) -> int:
    import logging

    from terminarz.notify.scheduler import run_daemon
    from terminarz.notify.scheduler import today as warsaw_day
    from terminarz.org.plan import load_setup

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
    """What ``terminarz feed --config … --out folder --today day`` does, its report logged."""
    from terminarz.org.plan import load_setup

    try:
        setup = load_setup(config, today=day)
        with open_store(None, setup) as store:
            lines = write_feeds(setup, folder, today=day, now=midnight(day),
                                store=store)  # fmt: skip
    except (TerminarzError, OSError) as exc:
        log.error("kalendarze: nie odświeżono (%s)", exc)
        return EXIT_USAGE if isinstance(exc, TerminarzError) else 1
    log.info("kalendarze: %s", lines[-1] if lines else folder)
    return 0


def register(sub: Any) -> None:
    register_remind(sub)
    register_log(sub)
    register_done(sub)
    register_undone(sub)
    register_daemon(sub)

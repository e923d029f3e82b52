"""``terminarz status``: the upper level's view of the institutions reporting to it, and
its actions — receipt ("przyjęto"), return ("do poprawy") and summons ("wezwanie").

The logic is :mod:`terminarz.notify.reporting`; this module reads the arguments, loads the
deployment (``--orgs``), prints and sets the exit code. Nothing heavy is imported until the
command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from terminarz.cli.common import (
    Context,
    add_config,
    add_orgs,
    add_today,
    dump_json,
    organisation_files,
    organisation_location,
    parse_day,
    require_organisation,
    table,
)
from terminarz.errors import UsageError

if TYPE_CHECKING:
    from datetime import datetime

    from terminarz.notify.feeds import FeedSet
    from terminarz.notify.reporting import Overview, Reporter
    from terminarz.org.organisation import Organisation
    from terminarz.org.plan import Setup
    from terminarz.store.base import Store

EXAMPLES = """\
Przykłady:
  terminarz status --config uw.toml --orgs gminy/ --today 2027-01-20
  terminarz status --config uw.toml --orgs gminy/ --obligation 'sr@ops' --period 2026-Q4
  terminarz status --config uw.toml --orgs gminy/ --format csv > sprawozdawcy.csv
  terminarz status --config uw.toml --orgs gminy/ --receive gops-001 sr@ops/2026-Q4 --by insp-osr
  terminarz status --config uw.toml --orgs gminy/ --return gops-002 sr@ops/2026-Q4 \\
      --new-date 2027-01-27 --note "błędna kwota w wierszu 12" --by insp-osr
  terminarz status --config uw.toml --orgs gminy/ --summon --by kier-osr
"""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "status", help="sprawozdawcy: kto wysłał, kto spóźnia się, przyjęcie, zwrot, wezwanie",
        description="Widok jednostki wyższego szczebla (np. wydziału urzędu wojewódzkiego): "
        "dla każdego sprawozdania, które składają jej jednostki z [organisation] reporters, "
        "i każdego okresu — które jednostki potwierdziły wysłanie (kiedy, kto), którym termin "
        "jeszcze nie minął, które są po terminie (o ile dni roboczych), gdzie działa "
        "zastępstwo albo potrzebne jest wyznaczenie; ile wpłynęło do własnego terminu "
        "(„wpłynęło 12 z 150”). Opcje --receive, --return i --summon zapisują przyjęcie, "
        "zwrot do poprawy i wysyłają wezwanie.",
        epilog=EXAMPLES,
    )  # fmt: skip
    add_config(p)
    add_orgs(p)
    p.add_argument("--state", metavar="PLIK|URL",
                   help="baza stanu wdrożenia (jak w „terminarz done”)")  # fmt: skip
    p.add_argument("--obligation", metavar="ID",
                   help="tylko ten obowiązek jednostek (identyfikator albo wzorzec, np. sr@ops)")
    p.add_argument("--period", metavar="OKRES",
                   help="tylko ten okres (2026-10, 2026-Q4, 2026-H2, 2026); domyślnie terminy "
                   "od 45 dni wstecz do 31 dni naprzód")  # fmt: skip
    p.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="postać wyniku: table (domyślnie), json albo csv")  # fmt: skip
    action = p.add_mutually_exclusive_group()
    action.add_argument("--receive", nargs=2, metavar=("ORGANIZACJA", "WYSTĄPIENIE"),
                        help="zapisuje przyjęcie sprawozdania („przyjęto”)")  # fmt: skip
    action.add_argument("--return", dest="return_", nargs=2,
                        metavar=("ORGANIZACJA", "WYSTĄPIENIE"),
                        help="zwróć sprawozdanie do poprawy („do poprawy”) z nowym terminem "
                        "--new-date; przypomnienia jednostki ruszają od nowa")  # fmt: skip
    action.add_argument("--summon", action="store_true",
                        help="wysyła jedno wezwanie do osób odpowiedzialnych za każde "
                        "sprawozdanie po terminie (najwyżej raz dziennie)")  # fmt: skip
    p.add_argument("--date", metavar="RRRR-MM-DD", help="dzień przyjęcia (domyślnie dziś)")
    p.add_argument("--new-date", metavar="RRRR-MM-DD", help="nowy termin poprawionego "
                   "sprawozdania (przy --return)")  # fmt: skip
    p.add_argument("--note", metavar="TEKST", help="uwaga do przyjęcia albo zwrotu")
    p.add_argument("--feeds", metavar="KATALOG", type=Path,
                   help="zapisuje też kalendarze .ics jednostki wyższego szczebla (jak „terminarz "
                   "feed --out”) z liczbami sprawozdań w wydarzeniach, np. „wpłynęło 12 z 150; "
                   "po terminie 3”")  # fmt: skip
    p.add_argument("--by", metavar="OSOBA",
                   help="kto w jednostce wyższego szczebla to zapisuje (identyfikator osoby)")
    add_today(p)
    p.set_defaults(handler=cmd_status)


def cmd_status(ctx: Context) -> int:
    from terminarz.law.periods import Period

    args = ctx.args
    setup = require_organisation(ctx, "status")
    upper = setup.organisation
    assert upper is not None
    by = _actor(upper, args.by)
    if args.orgs is None:
        raise UsageError("„terminarz status” potrzebuje plików organizacji wdrożenia: należy podać "
                         "--orgs KATALOG albo --orgs PLIK-Z-LISTĄ")  # fmt: skip
    if args.new_date and not args.return_:
        raise UsageError("--new-date ma znaczenie tylko z --return")
    if args.return_ and not args.new_date:
        raise UsageError("--return wymaga nowego terminu: --new-date RRRR-MM-DD")
    period = None
    if args.period:
        try:
            period = Period.parse(args.period)
        except ValueError:
            raise UsageError(f"--period: „{args.period}” nie jest okresem; należy podać "
                             "np. 2026-10, 2026-Q4, 2026-H2 albo 2026") from None  # fmt: skip
    today = ctx.today
    reporters = load_deployment(ctx, upper, organisation_files(args.orgs))
    if args.receive or args.return_:
        return _record(ctx, upper, reporters, by)
    from terminarz.notify.reporting import overview

    found = overview(setup, reporters, today=today, obligation=args.obligation, period=period)
    if args.summon:
        return _summon(ctx, upper, setup, found, reporters, by)
    if args.feeds is not None:
        _write_feeds(ctx, setup, reporters)
    names = {r.organisation.id: r.organisation for r in reporters}
    if args.format == "json":
        from terminarz.notify.reporting import inputs_json, row_json

        dump_json({"organisation": upper.id, "today": today.isoformat(),
                   "inputs": [inputs_json(i) for i in found.inputs],
                   "reports": [row_json(r) for r in found.rows]}, ctx.out)  # fmt: skip
    elif args.format == "csv":
        write_csv(found, names, ctx.out)
    else:
        ctx.out.write("\n".join(status_lines(found, names)) + "\n")
    return 0


def _actor(upper: Organisation, person: str | None) -> str:
    """``uw-przyklad/insp-osr``: who records, as the sender's log shows it."""
    if person is None:
        return upper.id
    if upper.person(person) is None:
        known = ", ".join(p.id for p in upper.people) or "—"
        raise UsageError(f"--by: nieznana osoba „{person}”; osoby w pliku organizacji: {known}")
    return f"{upper.id}/{person}"


def load_deployment(ctx: Context, upper: Organisation, files: list[Path]) -> list[Reporter]:
    """The reporters of ``upper`` among ``files``, each with what its store holds."""
    from terminarz.notify.reporting import open_deployment
    from terminarz.org.plan import CatalogueCache, load_setup

    cache = CatalogueCache()

    def load(path: Path) -> Setup:
        return load_setup(path, today=ctx.today, statutory=ctx.calendar, catalogue_cache=cache)

    return open_deployment(files, upper, today=ctx.today, load=load,
                           locate=lambda org: organisation_location(ctx.args.state, org))


def _open(ctx: Context, organisation: Organisation) -> Store:
    from terminarz.store import open_store

    return open_store(organisation_location(ctx.args.state, organisation), organisation.id)


def _find(reporters: list[Reporter], organisation_id: str) -> Reporter:
    for reporter in reporters:
        if reporter.organisation.id == organisation_id:
            return reporter
    known = ", ".join(r.organisation.id for r in reporters[:8])
    raise UsageError(f"„{organisation_id}” nie jest jednostką składającą sprawozdania tej "
                     f"organizacji (reporters); są m.in.: {known}")  # fmt: skip


def _record(ctx: Context, upper: Organisation, reporters: list[Reporter], by: str) -> int:
    from terminarz.notify.reporting import receive, return_report
    from terminarz.polish import long_date

    args = ctx.args
    org_id, occurrence_id = args.receive or args.return_
    reporter = _find(reporters, org_id)
    note = " ".join(args.note.split()) if args.note else None
    now = _now()
    with _open(ctx, reporter.organisation) as store:
        if args.receive:
            day = parse_day(args.date, option="--date") if args.date else ctx.today
            found = receive(upper, reporter, store, occurrence_id, day=day, today=ctx.today,
                            by=by, now=now)  # fmt: skip
            ctx.out.write(f"✔ {org_id}: {found.occurrence_id} — przyjęto {long_date(day)} "
                          f"({by})\n")  # fmt: skip
        else:
            new_due = parse_day(args.new_date, option="--new-date")
            found = return_report(upper, reporter, store, occurrence_id, new_due=new_due,
                                  today=ctx.today, by=by, now=now, note=note)  # fmt: skip
            ctx.out.write(f"{org_id}: {found.occurrence_id} — zwrócono do poprawy; nowy termin "
                          f"{long_date(new_due)}; przypomnienia jednostki ruszają od nowa\n")
    with _open(ctx, upper) as own:
        own.audit(action=f"receipt-{found.action.value}", subject=f"{org_id}:{occurrence_id}",
                  detail=found.note or "", actor=by, at=now)  # fmt: skip
    return 0


def _summon(ctx: Context, upper: Organisation, setup: Setup, found: Overview,
            reporters: list[Reporter], by: str) -> int:  # fmt: skip
    import os

    from terminarz.notify.mail import MailRenderer
    from terminarz.notify.mailer import Mailer, RetryPolicy, effective_smtp, smtp_password
    from terminarz.notify.reporting import summon

    organisations = {r.organisation.id: r.organisation for r in reporters}
    late = [(row, organisations[row.organisation]) for row in found.rows if row.is_late]
    if not late:
        ctx.out.write("Żadne sprawozdanie nie jest po terminie; nie wysłano wezwań\n")
        return 0
    smtp = effective_smtp(upper.settings.smtp, os.environ)
    now = _now()
    with Mailer(settings=smtp, password=smtp_password(smtp, os.environ),
                retry=RetryPolicy(delays=tuple(float(d) for d in smtp.retry_delays))) as mailer:
        result = summon(upper, late, lambda org: _open(ctx, org), mailer=mailer,
                        renderer=MailRenderer(), sender=smtp.sender, today=ctx.today, now=now,
                        by=by, reply_to=_reply_to(upper, ctx.args.by))  # fmt: skip
    with _open(ctx, upper) as own:
        own.audit(action="summons", subject="", actor=by, at=now,
                  detail=f"wysłano {len(result.sent)}, wcześniej dziś {len(result.already)}, "
                  f"niewysłane {len(result.failed)}")  # fmt: skip
    for label in result.sent:
        ctx.out.write(f"✉ wezwanie: {label}\n")
    for label in result.already:
        ctx.out.write(f"= {label}: wezwanie wysłano już dziś; nie powtórzono\n")
    for label in result.nobody:
        ctx.out.write(f"! {label}: nikt z osób odpowiedzialnych nie ma adresu e-mail\n")
    for label in result.failed:
        sys.stderr.write(f"terminarz: nie wysłano wezwania: {label}\n")
    ctx.out.write(f"Wezwania: wysłano {len(result.sent)}, już wysłane dziś "
                  f"{len(result.already)}, niewysłane {len(result.failed)}\n")  # fmt: skip
    return 1 if result.failed else 0


def _reply_to(upper: Organisation, person_id: str | None) -> tuple[str, str] | None:
    """Whom the summoned write back to: ``[reminders] contact``, else the person of ``--by``."""
    from terminarz.tomlcheck import split_mailbox

    contact = upper.settings.reminders.contact
    if contact:
        return split_mailbox(contact)
    person = upper.person(person_id) if person_id else None
    return (person.name, person.email) if person is not None and person.email else None


def _write_feeds(ctx: Context, setup: Setup, reporters: list[Reporter]) -> None:
    """The upper level's feeds (every scope, as ``feed --out`` writes them) with its
    reporters' counts; the report of it goes to stderr."""
    from terminarz.cli.common import open_store
    from terminarz.cli.feeds import clock_now, write_feeds
    from terminarz.notify.reporting import with_feed_counts

    def decorate(feed_set: FeedSet) -> FeedSet:
        return with_feed_counts(setup, reporters, feed_set, ctx.today)

    with open_store(ctx, setup) as store:
        lines = write_feeds(setup, ctx.args.feeds, today=ctx.today, now=clock_now(ctx),
                            store=store, decorate=decorate)  # fmt: skip
    sys.stderr.write("".join(f"terminarz: {line.strip()}\n" for line in lines[-1:]))


def _now() -> datetime:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from terminarz.cli.common import TIMEZONE

    return datetime.now(ZoneInfo(TIMEZONE))


def status_lines(found: Overview, names: dict[str, Organisation]) -> list[str]:
    """The table output: per obligation and period, the counts and a row per institution."""
    from terminarz.notify.reporting import responsible_text, state_text
    from terminarz.polish import short_date

    lines = [f"Sprawozdawcy: {found.upper.name}  (dziś: {short_date(found.today)})", ""]
    if not found.rows:
        lines.append("Brak sprawozdań jednostek w pytanym okresie.")
        return lines
    for inputs in found.inputs:
        rows = [r for r in found.rows if r.group == (inputs.obligation.id, str(inputs.period))]
        ob = inputs.obligation
        lines.append(f"{inputs.key} — {ob.label} {inputs.period.for_words()}, termin "
                     f"{short_date(inputs.due)}")  # fmt: skip
        summary = f"  {inputs.counts_text()}"
        if inputs.upper_occurrence:
            due = short_date(inputs.upper_due) if inputs.upper_due else "termin nieustalony"
            summary += f" — do terminu własnego {inputs.upper_occurrence}: {due}"
        lines.append(summary)
        if inputs.substitutes or inputs.need_designation:
            lines.append(f"  zastępstwo: {inputs.substitutes}; wymaga wyznaczenia: "
                         f"{inputs.need_designation}")  # fmt: skip
        lines.append("")
        cells = [[r.organisation, state_text(r), responsible_text(r, names[r.organisation]),
                  r.occurrence_id] for r in rows]  # fmt: skip
        lines += ["  " + line for line in
                  table(cells, ["Jednostka", "Stan", "Odpowiada", "Id"])]  # fmt: skip
        lines.append("")
    total = len(found.rows)
    late = sum(r.is_late for r in found.rows)
    arrived = sum(r.is_in for r in found.rows)
    lines.append(f"Razem: wpłynęło {arrived} z {total}; po terminie {late}")
    return lines


def write_csv(found: Overview, names: dict[str, Organisation], out: Any) -> None:
    import csv

    from terminarz.notify.reporting import CSV_HEADER, csv_rows

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(found.rows, names))

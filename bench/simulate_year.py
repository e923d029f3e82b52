"""A year of nightly reminders for the example welfare centre, night by night.

The example organisation (``calendars/examples/osrodek-pomocy.toml``, with its
absences and the leave calendar ``urlopy.ics``) is copied into a folder with its
own SQLite state file, one more designation by the director (II.5) and the mail
server given; then every night from ``first`` to ``last`` runs exactly what
``terminarz remind`` runs (:func:`terminarz.notify.nightly.run_night`, ``today``
injected, a real SMTP connection). Each report is confirmed on its due date in the
evening, except those in ``late`` (confirmed on a later day) and ``never`` (never
confirmed: their escalation has to end by itself).

``tests/test_year.py`` runs it against the test SMTP server and checks every mail;
run on its own, it starts a local SMTP server and prints one month::

    .venv/bin/python bench/simulate_year.py --month 2027-01
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from zoneinfo import ZoneInfo

from terminarz.paths import calendars_dir

EXAMPLE = calendars_dir() / "examples" / "osrodek-pomocy.toml"
WARSAW = ZoneInfo("Europe/Warsaw")

# The test's own additions: a second designation by the director (II.5) …
DESIGNATION = """
[[designations]]
person = "prac-dsr"
target = "sr@ops/2027-Q3"
from = 2027-10-01
to = 2027-10-15
basis = "pkt II.5 Zasad — upoważnienie Dyrektora z 30.09.2027 r. (symulacja)"
"""
# … two reports confirmed late, one never confirmed.
LATE = {"fa@ops/2027-Q1": (date(2027, 5, 6), "kier-dsr"),
        "ozps@ops/2026": (date(2027, 5, 24), "kier-dsps")}  # fmt: skip
NEVER = frozenset({"wrispz@ops/2026-H2"})

Fetch = Callable[[], list[tuple[tuple[str, ...], bytes]]]  # (envelope recipients, bytes)


@dataclass(frozen=True, slots=True, kw_only=True)
class Sent:
    """One message as the server received it, with what the ledger says it was."""

    day: date
    occurrence_id: str
    kind: str
    step: str
    to: tuple[str, ...]  # person ids
    cc: tuple[str, ...]
    envelope: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        return str(body.get_content()) if body is not None else ""

    @property
    def html(self) -> str:
        body = self.message.get_body(("html",))
        return str(body.get_content()) if body is not None else ""

    def addresses(self, header: str) -> tuple[str, ...]:
        return tuple(a for _, a in getaddresses([str(v) for v in self.message.get_all(header, [])]))


def prepare(folder: Path, *, host: str, port: int) -> Path:
    """The example's copy in ``folder``: its own state file, this mail server, no waiting
    between retries, the extra designation. Returns the organisation file."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("urlopy.ics", "terminy-osrodka.toml"):
        shutil.copy(EXAMPLE.parent / name, folder / name)
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('host = "localhost"\nport = 25',
                        f'host = "{host}"\nport = {port}\nretry_delays = [0]')  # fmt: skip
    assert f"port = {port}" in text
    target = folder / "osrodek.toml"
    target.write_text(f'{text}\n[state]\npath = "state.sqlite3"\n{DESIGNATION}', encoding="utf-8")
    return target


def nights(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def simulate(config: Path, first: date, last: date, fetch: Fetch, *,
             late: Mapping[str, tuple[date, str]] = LATE,
             never: frozenset[str] = NEVER) -> list[Sent]:  # fmt: skip
    """Every night from ``first`` to ``last``; the mails received, oldest first."""
    from terminarz.notify.mail import Links, MailComposer, MailRenderer
    from terminarz.notify.mailer import Mailer, RetryPolicy
    from terminarz.notify.nightly import run_night
    from terminarz.org.plan import load_setup, plan
    from terminarz.store import locate, open_store

    setup = load_setup(config, today=first)
    organisation = setup.organisation
    assert organisation is not None
    settings = organisation.settings
    composer = MailComposer(MailRenderer(), setup, sender=settings.smtp.sender,
                            links=Links(base_url="", secret=None, days=30),
                            overdue_every=settings.reminders.overdue_every)  # fmt: skip
    mailer = Mailer(settings=settings.smtp, retry=RetryPolicy(delays=(0.0,)))
    due = {p.id: p.due for p in plan(setup, first - timedelta(days=120), last, today=first)}
    location = locate(environ={}, path=settings.state.path, config=config)
    received: list[tuple[date, tuple[str, ...], bytes]] = []
    with open_store(location, organisation.id) as ledger:
        for day in nights(first, last):
            clock = lambda day=day: datetime(day.year, day.month, day.day, 6, tzinfo=WARSAW)  # noqa: E731
            result = run_night(setup, today=day, clock=clock, ledger=ledger, composer=composer,
                               mailer=mailer, sender=settings.smtp.sender)  # fmt: skip
            if not result.ok:
                raise RuntimeError(f"{day}: {result}")
            received += [(day, envelope, data) for envelope, data in fetch()]
            evening = datetime(day.year, day.month, day.day, 18, tzinfo=WARSAW)
            for occurrence_id, when in due.items():
                confirm_on, by = late.get(occurrence_id, (when, None))
                if confirm_on == day and occurrence_id not in never:
                    ledger.confirm(occurrence_id, by=by, at=evening)
        records = {r.message_id: r for r in ledger.history()}
    mailer.close()
    out = []
    for day, envelope, data in received:
        message = message_from_bytes(data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        record = records[str(message["Message-ID"])]
        to = tuple(d.person or d.address for d in record.deliveries if d.role == "to")
        cc = tuple(d.person or d.address for d in record.deliveries if d.role == "cc")
        out.append(Sent(day=day, occurrence_id=record.occurrence_id, kind=record.kind,
                        step=record.step, to=to, cc=cc, envelope=envelope,
                        message=message))  # fmt: skip
    return out


def month_table(sent: list[Sent], year: int, month: int) -> str:
    """One line per mail of the month: day, what, about which report, to whom (and copies)."""
    from collections import Counter

    from terminarz.notify.reminders import MailKind, step_words
    from terminarz.polish import MONTHS_NOMINATIVE, plural, short_date

    rows = [s for s in sent if (s.day.year, s.day.month) == (year, month)]
    people = Counter(p for s in rows for p in (*s.to, *s.cc))
    kinds = Counter(MailKind(s.kind).polish for s in rows)
    deliveries = sum(len(s.envelope) for s in rows)

    def count(n: int, one: str, few: str, many: str) -> str:
        return f"{n} {plural(n, one, few, many)}"

    lines = [f"{MONTHS_NOMINATIVE[month - 1].capitalize()} {year}: "
             f"{count(len(rows), 'wiadomość', 'wiadomości', 'wiadomości')} "
             f"({count(deliveries, 'doręczenie', 'doręczenia', 'doręczeń')}) do "
             f"{count(len(people), 'osoby', 'osób', 'osób')}",
             "Dlaczego: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()),
             "Komu:     " + ", ".join(f"{p} {n}" for p, n in people.most_common()), ""]
    for s in rows:
        kind = MailKind(s.kind).polish
        copies = f"; do wiadomości: {', '.join(s.cc)}" if s.cc else ""
        step = f"termin:{s.step}" if s.kind == MailKind.FIND_DATE else s.step  # the task's day
        lines.append(f"{short_date(s.day):<16} {kind:<19} {s.occurrence_id:<32} "
                     f"{step_words(step)} → {', '.join(s.to)}{copies}")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import tempfile

    from aiosmtpd.controller import Controller

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default="2027-01", help="miesiąc do wypisania, np. 2027-01")
    parser.add_argument("--year", action="store_true", help="cały rok (do grudnia) i liczby "
                        "wiadomości w każdym miesiącu")
    args = parser.parse_args(argv)
    year, month = (int(p) for p in args.month.split("-"))
    inbox: list[tuple[tuple[str, ...], bytes]] = []

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            inbox.append((tuple(envelope.rcpt_tos), bytes(envelope.original_content)))  # type: ignore[attr-defined]
            return "250 OK"

    import socket

    with socket.socket() as probe:  # a free loopback port for the server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = prepare(Path(folder), host="127.0.0.1", port=controller.port)

            def fetch() -> list[tuple[tuple[str, ...], bytes]]:
                taken = list(inbox)
                inbox.clear()
                return taken

            first = date(year, month, 1)
            last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
            if args.year:
                last = date(year, 12, 31)
            sent = simulate(config, date(year, 1, 1), last, fetch)
    finally:
        controller.stop()
    print(month_table([s for s in sent if s.day >= first], year, month))
    if args.year:
        print(f"\n{year_line(sent)}")
    return 0


def year_line(sent: list[Sent]) -> str:
    """``Rok: 223 wiadomości — sty 56, lut 14, …`` (a month's count, each month)."""
    from collections import Counter

    from terminarz.polish import MONTHS_SHORT

    per_month = Counter(s.day.month for s in sent)
    months = ", ".join(f"{MONTHS_SHORT[m - 1]} {per_month[m]}" for m in sorted(per_month))
    return f"Rok: {len(sent)} wiadomości — {months}"


if __name__ == "__main__":
    sys.exit(main())

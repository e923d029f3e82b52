"""A month of nightly ``terminarz remind`` runs over the example organisation.

Real components: the command itself (in-process ``main``), the SQLite state
file, and an aiosmtpd server on a free loopback port. The expected mails are
hand-counted in ``test_reminders.py``'s docstring: the DOKiP group stands in
for the absent DŚPS group for MPiPS-03 for 2026 (due Monday 1 February 2027).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import open_state
from test_mail_sink import SinkServer, smtp_sink
from test_reminders import NOBODY, OCC, copy_example

from terminarz.cli import main
from terminarz.store.base import MailStatus

SECRET = "sekret-testowy-0123456789abcdef"
DOKIP = ("kier-dokip", "prac-dokip")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[SinkServer]:
    with smtp_sink() as running:
        for name, value in running.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("TERMINARZ_SECRET", SECRET)
        yield running


def remind(config: Path, day: date, *extra: str) -> int:
    return main(["remind", "--config", str(config), "--today", day.isoformat(), *extra])


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def sent_rows(config: Path) -> list[tuple[str, str, str, str]]:
    """(day, kind, step, recipient) of every ledger row, checking each was sent."""
    with open_state(config.parent / "state.sqlite3") as ledger:
        rows = ledger.history()
    assert {r.status for r in rows} <= {MailStatus.SENT}
    return sorted((r.day.isoformat(), r.kind, r.step, r.recipient) for r in rows)


MONTH = sorted(
    [("2027-01-11", "request", "dokip:T-0", p) for p in DOKIP]
    + [("2027-01-18", "reminder", "T-10", p) for p in DOKIP]
    + [("2027-01-18", "handover", "tier-1", "kier-dokip")]  # one message to both
    + [("2027-01-19", "deliver", "dokip:T-2", "kier-dokip"),
       ("2027-01-21", "deliver", "dokip:T-0", "kier-dokip")]
    + [("2027-01-25", "reminder", "T-5", p) for p in DOKIP]
    + [("2027-01-28", "reminder", "T-2", p) for p in DOKIP]
    + [("2027-02-01", "reminder", "T-0", p) for p in DOKIP]
    + [("2027-02-02", "overdue", "T+1", p) for p in ("dyrektor", *DOKIP)]
)  # the next overdue step, T+6, is Tuesday 9 February (every 5 working days)  # fmt: skip


def test_a_month_of_nights_sends_exactly_the_expected_mails(
    tmp_path: Path, server: SinkServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = copy_example(tmp_path)
    per_day: dict[str, int] = {}
    for day in days(date(2027, 1, 4), date(2027, 2, 5)):
        assert remind(config, day) == 0
        per_day[day.isoformat()] = len(server.sink.take())
    assert sent_rows(config) == MONTH
    # mails left on the very day they were due, none on the others
    expected_days: dict[str, int] = {}
    for day_text, *_ in MONTH:
        expected_days[day_text] = expected_days.get(day_text, 0) + 1
    assert {d: n for d, n in per_day.items() if n} == expected_days
    received = server.sink.kept
    assert len(received) == len(MONTH)
    assert len({r.message_id for r in received}) == len(MONTH)  # no mail twice
    handovers = [r.message for r in received if r.message["Subject"].startswith("Zastępstwo")]
    assert [(a.display_name, a.addr_spec) for m in handovers for a in m["To"].addresses] == [
        ("Kierownik Działu Organizacji, Kadr i Płac", "kierownik.dokip@example.org"),
        ("Pracownik DOKiP wyznaczony przez kierownika działu", "kadry@example.org"),
    ]  # fmt: skip
    for message in handovers:  # not theirs? the director (the head of DOKiP is an addressee)
        assert [a.addr_spec for a in message["Reply-To"].addresses] == ["dyrektor@example.org"]
        assert "prosimy o kontakt: Dyrektor Ośrodka <dyrektor@example.org>" in (
            message.get_body(("plain",)).get_content())
    for message in handovers:  # the absent DŚPS group in copy
        assert {a.addr_spec for a in message["Cc"].addresses} == {
            "kierownik.dsps@example.org", "zastepca.dsps@example.org",
            "sprawozdania.dsps@example.org",
        }  # fmt: skip
    assert capsys.readouterr().out == ""  # quiet on success


def test_the_same_day_twice_sends_nothing_new(tmp_path: Path, server: SinkServer) -> None:
    config = copy_example(tmp_path)
    assert remind(config, date(2027, 1, 18)) == 0
    first = server.sink.take()
    assert len(first) == 5  # request (catch-up) and T-10 to each of DOKiP, one handover
    assert remind(config, date(2027, 1, 18)) == 0
    assert server.sink.take() == []


def test_a_gap_sends_one_catch_up_per_occurrence_and_recipient(
    tmp_path: Path, server: SinkServer
) -> None:
    config = copy_example(tmp_path)
    for day in days(date(2027, 1, 18), date(2027, 1, 21)):
        assert remind(config, day) == 0
    server.sink.take()
    # no runs from Friday 22 to Tuesday 26 January: T-5 (Monday 25) was missed
    assert remind(config, date(2027, 1, 27)) == 0
    got = server.sink.take()
    assert sorted(str(r.message["To"].addresses[0].addr_spec) for r in got) == [
        "kadry@example.org", "kierownik.dokip@example.org"]
    assert all(r.message["Subject"].startswith("Przypomnienie: MPiPS-03 za 2026 r.") for r in got)
    text = got[0].message.get_body(("plain",))
    assert text is not None
    assert "miała zostać wysłana w poniedziałek, 25 stycznia 2027 r." in text.get_content()
    # a longer gap over T-2, T-0 and T+1: only the newest step (T+1) goes out
    assert remind(config, date(2027, 2, 4)) == 0
    rows = [r for r in sent_rows(config) if r[0] == "2027-02-04"]
    assert rows == [("2027-02-04", "overdue", "T+1", p) for p in ("dyrektor", *DOKIP)]
    assert len(server.sink.take()) == 3


def test_done_stops_reminders_and_undone_brings_them_back(
    tmp_path: Path, server: SinkServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = copy_example(tmp_path)
    assert remind(config, date(2027, 1, 18)) == 0
    server.sink.take()
    assert main(["done", OCC, "--by", "kier-dokip", "--note", "wysłano w CAS",
                 "--config", str(config)]) == 0  # fmt: skip
    assert "potwierdzono wysłanie" in capsys.readouterr().out
    for day in days(date(2027, 1, 19), date(2027, 2, 8)):
        assert remind(config, day) == 0
    assert server.sink.take() == []
    assert main(["undone", OCC, "--config", str(config)]) == 0
    assert remind(config, date(2027, 2, 9)) == 0
    # back on the timeline at its newest step: T+6 is Tuesday 9 February
    assert sorted(r.message["To"].addresses[0].addr_spec for r in server.sink.take()) == [
        "dyrektor@example.org", "kadry@example.org", "kierownik.dokip@example.org"]


def test_nobody_available_mails_the_fallback(tmp_path: Path, server: SinkServer) -> None:
    config = copy_example(tmp_path, NOBODY)
    for day in days(date(2027, 1, 18), date(2027, 1, 25)):
        assert remind(config, day) == 0
    assert [r for r in sent_rows(config) if r[1] == "designation"] == [
        ("2027-01-18", "designation", "T-10", "dyrektor"),
        ("2027-01-25", "designation", "T-5", "dyrektor"),
    ]
    subjects = [r.message["Subject"] for r in server.sink.take()]
    assert "Wymaga wyznaczenia osoby: MPiPS-03 za 2026 r. — nikt nie jest dostępny, " \
           "termin pon 1 lut 2027" in subjects  # fmt: skip


def test_log_shows_what_was_sent_to_whom(
    tmp_path: Path, server: SinkServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = copy_example(tmp_path)
    assert remind(config, date(2027, 1, 18)) == 0
    capsys.readouterr()
    assert main(["log", "--config", str(config), "--person", "prac-dokip"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["Kiedy", "Stan", "Osoba", "Adres", "Rodzaj", "Krok", "Wystąpienie"]
    body = [line.split() for line in out[2:]]
    assert sorted((row[2], row[3], row[4], row[5]) for row in body) == [
        ("wysłano", "prac-dokip", "kadry@example.org", "prośba"),
        ("wysłano", "prac-dokip", "kadry@example.org", "przypomnienie"),
        ("wysłano", "prac-dokip", "kadry@example.org", "zastępstwo"),
    ]
    assert main(["log", "--config", str(config), "--occurrence", OCC, "--format", "json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert len(data["mails"]) == 5
    assert {m["status"] for m in data["mails"]} == {"sent"}

"""The "ustal termin" mails of today's example centre, against a real SMTP server.

MRiPS-03 (R) for 2026 has no announced date; its #termin task falls on Tuesday 5 January
2027 (ten working days before the usual window opens; 1 January and 6 January are holidays,
2–3 January a weekend). Hand-counted: T-2 = Thursday 31 December 2026, T-0 = 5 January.
The DŚPS group (kier-dsps, zast-dsps, prac-dsps) owns it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_mail_sink import Received, smtp_sink

from terminarz.cli import main
from terminarz.paths import calendars_dir

TASK = "mrips-03-r@ops/2026#termin"


@pytest.fixture
def centre(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    examples = calendars_dir() / "examples"
    for name in ("osrodek-pomocy.toml", "terminy-osrodka.toml", "urlopy.ics"):
        shutil.copy(examples / name, tmp_path / name)
    config = tmp_path / "osrodek-pomocy.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[state]\npath = "s.sqlite3"\n',
                      encoding="utf-8")  # fmt: skip
    monkeypatch.setenv("TERMINARZ_SECRET", "sekret-testowy-0123456789abcdef")
    yield config


def night(config: Path, day: str, server_env: dict[str, str],
          monkeypatch: pytest.MonkeyPatch) -> int:  # fmt: skip
    for key, value in server_env.items():
        monkeypatch.setenv(key, value)
    return main(["remind", "--config", str(config), "--today", day])


def about_the_task(received: list[Received]) -> list[Received]:
    return [r for r in received if TASK in r.message.get_body(("plain",)).get_content()]


def test_the_owners_are_asked_to_find_the_date_twice_then_never_after_done(
    centre: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_sink() as server:
        assert night(centre, "2026-12-30", server.env(), monkeypatch) in (0, 1)
        assert about_the_task(server.sink.take()) == []  # before T-2
        assert night(centre, "2026-12-31", server.env(), monkeypatch) in (0, 1)
        first = about_the_task(server.sink.take())
        assert night(centre, "2026-12-31", server.env(), monkeypatch) in (0, 1)
        assert about_the_task(server.sink.take()) == []  # never twice
        assert night(centre, "2027-01-05", server.env(), monkeypatch) in (0, 1)
        second = about_the_task(server.sink.take())
        assert main(["done", TASK, "--config", str(centre), "--by", "kier-dsps"]) == 0
        assert night(centre, "2027-01-07", server.env(), monkeypatch) in (0, 1)
        assert about_the_task(server.sink.take()) == []
    addresses = sorted(a for r in first for a in r.rcpt_tos)
    assert len(first) == 1 and len(addresses) == 3  # the three people of DŚPS, one message
    assert sorted(a for r in second for a in r.rcpt_tos) == addresses
    mail = first[0].message
    assert sorted(a.addr_spec for a in mail["To"].addresses) == addresses
    assert str(mail["Subject"]) == ("Proszę ustalić termin: MRiPS-03 (R) za 2026 r. — do "
                                    "5 stycznia 2027 r.")  # fmt: skip
    text = mail.get_body(("plain",)).get_content()
    assert "nie został jeszcze ogłoszony" in text and "Terminarz nie zgaduje" in text
    lines = text.replace("\r\n", "\n").splitlines()
    assert "Na podstawie lat poprzednich: zwykle 20.01–09.02.2027 r." in lines
    assert "r.." not in text
    assert "najpóźniej we wtorek, 5 stycznia 2027 r. (za 2 dni robocze)" in text
    assert "Wiadomość kierujemy wspólnie do: Kierownik Działu Świadczeń Pomocy Społecznej" in text


def test_a_date_entered_meanwhile_ends_the_find_date_mails(
    centre: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from terminarz.store.sqlite import SQLiteStore

    with SQLiteStore(centre.parent / "s.sqlite3", "mopr-przyklad") as store:
        store.set_announced_date(occurrence_id="mrips-03-r@ops/2026", due=date(2027, 2, 10),
                                 source="pismo WPS z 28 grudnia 2026 r.", by="kier-dsps",
                                 at=datetime(2026, 12, 28, 9, tzinfo=ZoneInfo("Europe/Warsaw")))
    with smtp_sink() as server:
        assert night(centre, "2026-12-31", server.env(), monkeypatch) in (0, 1)
        assert about_the_task(server.sink.take()) == []

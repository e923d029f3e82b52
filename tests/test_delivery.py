"""Delivery tracked per recipient, against a real SMTP server (aiosmtpd on loopback).

The example centre on Monday 18 January 2027: six mails, two of them handover notices to
four addresses each (the substitute, and the three absent people of DŚPS in copy).
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import open_state
from test_mail_sink import Received, smtp_sink
from test_reminders import copy_example

from terminarz.cli import main
from terminarz.store import ENV_URL, Location, locate, open_store
from terminarz.store.base import DeliveryStatus

SECRET = "sekret-testowy-0123456789abcdef"
LEGACY = Path(__file__).resolve().parent / "data" / "state-0.1.0.sqlite3"


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TERMINARZ_SECRET", SECRET)
    yield


def night(config: Path, day: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> int:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return main(["remind", "--config", str(config), "--today", day])


def pairs(received: list[Received]) -> Counter[tuple[str, str]]:
    """(Message-ID, address) of every copy the server took."""
    return Counter((r.message_id, address) for r in received for address in r.rcpt_tos)


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request: pytest.FixtureRequest, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Location:  # fmt: skip
    """Where the nights keep their state: the file of the organisation, or a PostgreSQL
    database named by ``TERMINARZ_STATE_URL`` (the same run, another backend)."""
    if request.param == "sqlite":
        return locate(path=tmp_path / "state.sqlite3")
    url = request.getfixturevalue("postgres_url")
    monkeypatch.setenv(ENV_URL, url)
    return locate(explicit=url)


def test_a_temporary_refusal_of_one_recipient_is_delivered_next_run_and_nobody_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    state: Location,
) -> None:  # fmt: skip
    config = copy_example(tmp_path)
    refused = "zastepca.dsps@example.org"  # in copy of the handover notice (one message)
    with smtp_sink(refuse_rcpt=lambda a: "451 4.2.1 skrzynka chwilowo niedostępna"
                   if a == refused else None) as server:  # fmt: skip
        assert night(config, "2027-01-18", monkeypatch, server.env()) == 1
        first = server.sink.take()
    err = capsys.readouterr().err
    assert f"({refused})" in err and "451" in err
    handovers = [r for r in first if len(r.rcpt_tos) == 4]
    assert len(first) == 5 and len(handovers) == 1  # the four others got it
    assert all(refused not in r.rcpt_tos for r in first)
    with open_store(state, "mopr-przyklad") as store:
        waiting = [d for r in store.pending() for d in r.open_deliveries()]
        assert [(d.address, d.role, d.status) for d in waiting] == [
            (refused, "cc", DeliveryStatus.PENDING)]
    with smtp_sink() as server:
        assert night(config, "2027-01-18", monkeypatch, server.env()) == 0
        second = server.sink.take()
        assert night(config, "2027-01-18", monkeypatch, server.env()) == 0
        assert server.sink.take() == []  # nothing left, nothing again
    assert [r.rcpt_tos for r in second] == [(refused,)]
    assert (tmp_path / "state.sqlite3").exists() == (state.scheme == "sqlite")
    assert {r.message_id for r in second} == {r.message_id for r in handovers}  # same mails
    every = pairs(first) + pairs(second)
    assert max(every.values()) == 1 and len(every) == 4 + 5  # every address, once


def test_a_permanent_refusal_of_one_recipient_ends_only_that_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = copy_example(tmp_path)
    refused = "sprawozdania.dsps@example.org"
    with smtp_sink(refuse_rcpt=lambda a: "550 5.1.1 nie ma takiej skrzynki"
                   if a == refused else None) as server:  # fmt: skip
        assert night(config, "2027-01-18", monkeypatch, server.env()) == 1
        assert len(server.sink.take()) == 5
    with open_state(tmp_path / "state.sqlite3") as store:
        assert store.pending() == []
        failed = [(d.address, d.error) for r in store.history() for d in r.deliveries
                  if d.status is DeliveryStatus.FAILED]  # fmt: skip
    assert len(failed) == 1 and all(a == refused and "550" in (e or "") for a, e in failed)


def test_an_unanswered_end_of_data_is_resent_once_later_and_said_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = copy_example(tmp_path, "\n[reminders]\nlock_timeout = 60\n")
    text = config.read_text(encoding="utf-8").replace("retry_delays = [0, 0]",
                                                      "retry_delays = [0, 0]\ntimeout = 1")
    config.write_text(text, encoding="utf-8")
    with smtp_sink(answer_after=2.5) as server:  # keeps each mail, answers after the timeout
        assert night(config, "2027-01-18", monkeypatch, server.env()) == 1
        first = server.sink.take()
    assert len(first) == 5  # each transmitted once: no resend within the run
    assert "serwer nie potwierdził" in capsys.readouterr().err
    assert main(["log", "--config", str(config)]) == 0
    log = capsys.readouterr().out
    assert "nie wiadomo, czy doręczono" in log
    assert "zostanie wysłana ponownie raz, z tym samym Message-ID" in log
    with smtp_sink() as server:
        assert night(config, "2027-01-18", monkeypatch, server.env()) == 0
        second = server.sink.take()
        assert night(config, "2027-01-19", monkeypatch, server.env()) == 0
        third = server.sink.take()
    assert sorted(r.message_id for r in second) == sorted(r.message_id for r in first)
    copies = Counter(r.message_id for r in first + second + third)
    assert max(copies.values()) == 2  # at most one repeat, with the same Message-ID


def test_a_state_file_of_release_0_1_0_sends_nothing_twice_after_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file: night of 18 January 2027 sent six mails; `done mpips-03@ops/2025`; night of
    25 January left three mails pending (server down). See tests/test_store.py."""
    config = copy_example(tmp_path)
    shutil.copy(LEGACY, tmp_path / "state.sqlite3")
    import sqlite3

    with sqlite3.connect(tmp_path / "state.sqlite3") as raw:
        sent = {r[0] for r in raw.execute("SELECT message_id FROM mail WHERE status = 'sent'")}
        pending = {r[0] for r in raw.execute(
            "SELECT message_id FROM mail WHERE status = 'pending'")}  # fmt: skip
    raw.close()
    assert len(sent) == 6 and len(pending) == 3
    with smtp_sink() as server:
        assert night(config, "2027-01-25", monkeypatch, server.env()) == 0
        again = server.sink.take()
        assert night(config, "2027-01-18", monkeypatch, server.env()) == 0
        assert night(config, "2027-01-25", monkeypatch, server.env()) == 0
        assert server.sink.take() == []  # both nights are done
    assert sorted(r.message_id for r in again) == sorted(pending)  # the three left, once each
    assert not sent & {r.message_id for r in again}
    with open_state(tmp_path / "state.sqlite3") as store:
        assert store.confirmation("mpips-03@ops/2025") is not None

"""SMTP sending: environment overrides, retries with backoff, temporary vs permanent refusals.

Against a real aiosmtpd server on a free loopback port; ``sleep`` is recorded
instead of waited.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_mail_sink import free_port, smtp_sink

from terminarz.errors import TerminarzError
from terminarz.notify.mailer import (
    Mailer,
    RetryPolicy,
    ServerUnavailable,
    effective_smtp,
    smtp_password,
)
from terminarz.settings import SmtpSettings

MESSAGE = (b"From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n"
           b"Message-ID: <m1@x>\r\n\r\nt\r\n")
BASE = SmtpSettings(
    host="smtp.example.org", port=587, security="starttls", username="jan",
    password_env="SMTP_HASLO", sender="terminarz@example.org", timeout=5,
)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, BASE),
        ({"TERMINARZ_SMTP_HOST": "127.0.0.1"}, BASE._replace(host="127.0.0.1")),
        ({"TERMINARZ_SMTP_PORT": "2525"}, BASE._replace(port=2525)),
        ({"TERMINARZ_SMTP_SECURITY": "tls"}, BASE._replace(security="tls")),
        ({"TERMINARZ_SMTP_USERNAME": "anna"}, BASE._replace(username="anna")),
        ({"TERMINARZ_SMTP_USERNAME": ""}, BASE._replace(username=None)),
        ({"TERMINARZ_SMTP_SENDER": "ops@example.org"}, BASE._replace(sender="ops@example.org")),
    ],
    ids=["none", "host", "port", "security", "username", "no-username", "sender"],
)
def test_environment_overrides_the_file(env: dict[str, str], expected: SmtpSettings) -> None:
    assert effective_smtp(BASE, env) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TERMINARZ_SMTP_PORT": "smtp"}, "TERMINARZ_SMTP_PORT: „smtp” nie jest numerem portu"),
        ({"TERMINARZ_SMTP_PORT": "70000"}, "TERMINARZ_SMTP_PORT: „70000” nie jest numerem portu"),
        ({"TERMINARZ_SMTP_SECURITY": "ssl"}, "dozwolone wartości: none, starttls, tls"),
        ({"TERMINARZ_SMTP_SENDER": "terminarz"}, "„terminarz” nie jest adresem e-mail"),
        ({"TERMINARZ_SMTP_HOST": " "}, "zmienna TERMINARZ_SMTP_HOST jest pusta"),
    ],
    ids=["port-not-number", "port-too-big", "security", "sender", "empty-host"],
)
def test_wrong_override_names_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(TerminarzError, match=message):
        effective_smtp(BASE, env)


def test_password_only_from_the_named_variable() -> None:
    assert smtp_password(BASE, {"SMTP_HASLO": "tajne"}) == "tajne"
    assert smtp_password(BASE._replace(password_env=None), {"SMTP_HASLO": "tajne"}) is None
    with pytest.raises(TerminarzError, match="zmienna środowiskowa SMTP_HASLO"):
        smtp_password(BASE, {})


def mailer_for(port: int, sleeps: list[float], delays: tuple[float, ...] = (1.0, 5.0)) -> Mailer:
    settings = SmtpSettings(host="127.0.0.1", port=port, timeout=5)
    return Mailer(settings=settings, retry=RetryPolicy(delays=delays), sleep=sleeps.append)


def test_sends_several_mails_over_one_connection() -> None:
    sleeps: list[float] = []
    with smtp_sink() as server, mailer_for(server.port, sleeps) as mailer:
        for _ in range(3):
            mailer.send(MESSAGE, sender="a@example.org", recipients=["b@example.org"])
        connection = mailer.connection()
        mailer.send(MESSAGE, sender="a@example.org", recipients=["b@example.org", "c@example.org"])
        assert mailer.connection() is connection
        got = server.sink.take()
    assert [r.rcpt_tos for r in got][-1] == ("b@example.org", "c@example.org")
    assert len(got) == 4 and sleeps == []


def test_temporary_refusal_is_retried_with_backoff() -> None:
    calls: list[Any] = []

    def busy_twice(envelope: Any) -> str | None:
        calls.append(envelope)
        return "451 4.7.1 greylisted, try later" if len(calls) <= 2 else None

    sleeps: list[float] = []
    with smtp_sink(refuse=busy_twice) as server, mailer_for(server.port, sleeps) as mailer:
        mailer.send(MESSAGE, sender="a@example.org", recipients=["b@example.org"])
        assert len(server.sink.take()) == 1
    assert sleeps == [1.0, 5.0] and len(calls) == 3


def test_temporary_refusal_that_persists_stays_temporary() -> None:
    sleeps: list[float] = []
    with smtp_sink(refuse=lambda e: "452 4.3.1 out of storage") as server, \
            mailer_for(server.port, sleeps) as mailer:  # fmt: skip
        result = mailer.send(MESSAGE, sender="a@example.org", recipients=["b@example.org"])
    assert result.accepted == () and not result.unknown
    error = result.refused["b@example.org"]
    assert "452" in str(error) and error.temporary and sleeps == [1.0, 5.0]


def test_permanent_refusal_is_not_retried() -> None:
    sleeps: list[float] = []
    with smtp_sink(refuse=lambda e: "550 5.1.1 no such mailbox") as server, \
            mailer_for(server.port, sleeps) as mailer:  # fmt: skip
        result = mailer.send(MESSAGE, sender="a@example.org", recipients=["b@example.org"])
    error = result.refused["b@example.org"]
    assert "550 5.1.1 no such mailbox" in str(error)
    assert not error.temporary and sleeps == [] and result.accepted == ()


def test_server_down_is_unavailable_after_the_retries() -> None:
    sleeps: list[float] = []
    with mailer_for(free_port(), sleeps) as mailer, \
            pytest.raises(ServerUnavailable, match="połączenie odrzucone"):  # fmt: skip
        mailer.send(MESSAGE, sender="a@example.org", recipients=["b@example.org"])
    assert sleeps == [1.0, 5.0]


def test_a_dropped_connection_is_reopened() -> None:
    sleeps: list[float] = []
    port = free_port()
    with smtp_sink(port=port) as server:
        mailer = mailer_for(port, sleeps)
        mailer.send(MESSAGE, sender="a@example.org", recipients=["b@example.org"])
        assert len(server.sink.take()) == 1
    with smtp_sink(port=port) as server:  # the server restarted: the old connection is dead
        mailer.send(MESSAGE, sender="a@example.org", recipients=["b@example.org"])
        assert len(server.sink.take()) == 1
        mailer.close()
    assert sleeps == [1.0]

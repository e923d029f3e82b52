"""The failure paths of sending, against real components: TLS and STARTTLS with a certificate
the system trusts, a refused login, a server closing with 421, a refused sender, a report
confirmed while its mail waited, two names of one state file, and runs that really overlap
— with a check that the overlap test fails when the lock is taken away.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import open_state
from test_mail_sink import free_port, smtp_sink
from test_reminders import OCC, copy_example

from terminarz.cli import main
from terminarz.store.base import DeliveryStatus

SECRET = "sekret-testowy-0123456789abcdef"


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TERMINARZ_SECRET", SECRET)
    yield


def night(config: Path, day: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> int:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return main(["remind", "--config", str(config), "--today", day])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    """A server certificate for 127.0.0.1 from a test authority, and that authority's file
    (trusted by the client through ``SSL_CERT_FILE``, as an office's own CA would be)."""
    import trustme

    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server)
    bundle = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    return server, bundle


def with_smtp(config: Path, section: str) -> None:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("retry_delays = [0, 0]", "retry_delays = [0, 0]\n" + section),
                      encoding="utf-8")  # fmt: skip


class Accept:
    def __init__(self) -> None:
        self.logins: list[tuple[str, str]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 data: Any) -> Any:  # fmt: skip
        from aiosmtpd.smtp import AuthResult, LoginPassword

        assert isinstance(data, LoginPassword)
        login = (data.login.decode(), data.password.decode())
        self.logins.append(login)
        return AuthResult(success=login == ("terminarz@example.org", "tajne-haslo"), handled=False)


@pytest.mark.parametrize("mode", ["tls", "starttls"])
def test_tls_and_starttls_with_a_login(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    certificate: tuple[ssl.SSLContext, Path],
) -> None:  # fmt: skip
    context, bundle = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("SMTP_HASLO", "tajne-haslo")
    config = copy_example(tmp_path)
    with_smtp(config, 'username = "terminarz@example.org"\npassword_env = "SMTP_HASLO"')
    accept = Accept()
    options: dict[str, Any] = {"authenticator": accept, "auth_require_tls": mode == "starttls"}
    options["ssl_context" if mode == "tls" else "tls_context"] = context
    if mode == "starttls":
        options["require_starttls"] = True
    with smtp_sink(**options) as server:
        env = {**server.env(), "TERMINARZ_SMTP_SECURITY": mode}
        assert night(config, "2027-01-18", monkeypatch, env) == 0
        assert len(server.sink.take()) == 5
    assert set(accept.logins) == {("terminarz@example.org", "tajne-haslo")}


def test_a_certificate_nobody_trusts_is_refused_for_good(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    certificate: tuple[ssl.SSLContext, Path],
) -> None:  # fmt: skip
    context, _ = certificate
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    config = copy_example(tmp_path)
    with smtp_sink(ssl_context=context) as server:
        env = {**server.env(), "TERMINARZ_SMTP_SECURITY": "tls"}
        assert night(config, "2027-01-18", monkeypatch, env) == 1
    err = capsys.readouterr().err
    assert "błąd TLS" in err and "Traceback" not in err
    with open_state(tmp_path / "state.sqlite3") as store:
        assert {d.status for r in store.history() for d in r.deliveries} == {
            DeliveryStatus.FAILED}


def test_a_refused_login_sends_nothing_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    certificate: tuple[ssl.SSLContext, Path],
) -> None:  # fmt: skip
    context, bundle = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("SMTP_HASLO", "zle-haslo")
    config = copy_example(tmp_path)
    with_smtp(config, 'username = "terminarz@example.org"\npassword_env = "SMTP_HASLO"')
    with smtp_sink(ssl_context=context, authenticator=Accept(), auth_require_tls=False) as server:
        env = {**server.env(), "TERMINARZ_SMTP_SECURITY": "tls"}
        assert night(config, "2027-01-18", monkeypatch, env) == 1
        assert server.sink.take() == []
    err = capsys.readouterr().err
    assert "odrzucił logowanie użytkownika terminarz@example.org" in err


def test_a_421_closing_server_and_a_refused_sender(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = copy_example(tmp_path)
    with smtp_sink(refuse=lambda e: "421 4.3.2 zamykam połączenie") as server:
        assert night(config, "2027-01-18", monkeypatch, server.env()) == 1
    assert "421" in capsys.readouterr().err
    with open_state(tmp_path / "state.sqlite3") as store:  # kept for the next run
        assert {d.status for r in store.pending() for d in r.deliveries} == {
            DeliveryStatus.PENDING}
    with smtp_sink(refuse=lambda e: "550 5.7.1 nadawca odrzucony") as server:
        assert night(config, "2027-01-18", monkeypatch, server.env()) == 1
    assert "550 5.7.1" in capsys.readouterr().err
    with smtp_sink() as server:  # refused for good: never sent again
        assert night(config, "2027-01-18", monkeypatch, server.env()) == 0
        assert server.sink.take() == []


def test_a_waiting_mail_of_a_report_confirmed_meanwhile_is_cancelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = copy_example(tmp_path)
    down = {"TERMINARZ_SMTP_HOST": "127.0.0.1", "TERMINARZ_SMTP_PORT": str(free_port()),
            "TERMINARZ_SMTP_SECURITY": "none"}  # fmt: skip
    assert night(config, "2027-01-18", monkeypatch, down) == 1
    assert main(["done", OCC, "--config", str(config), "--by", "kier-dokip"]) == 0
    with smtp_sink() as server:
        assert night(config, "2027-01-18", monkeypatch, server.env()) == 0
        got = server.sink.take()
    assert all(OCC not in r.message["Subject"] for r in got)
    with open_state(tmp_path / "state.sqlite3") as store:
        statuses = {d.status for r in store.history(occurrence_id=OCC) for d in r.deliveries}
    assert statuses == {DeliveryStatus.CANCELLED}


def test_two_names_of_one_state_file_share_its_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = copy_example(tmp_path / "a")
    second = copy_example(tmp_path / "b")
    (tmp_path / "b" / "state.sqlite3").symlink_to(tmp_path / "a" / "state.sqlite3")
    with smtp_sink(answer_after=0.05) as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        code = main(["remind", "--config", str(first), "--config", str(second),
                     "--today", "2027-01-18", "--jobs", "2"])  # fmt: skip
        got = server.sink.take()
    assert code == 0
    assert len(got) == 5 and len({r.message_id for r in got}) == 5


NO_LOCK = textwrap.dedent("""\
    # Planted by the test: the run lock taken away, to show the overlap test can fail.
    import contextlib
    from terminarz.store import sqlite
    sqlite.SQLiteStore.run_lock = lambda self, *, timeout: contextlib.nullcontext()
""")


def overlapping_runs(config: Path, exe: Path, env: dict[str, str]) -> list[str]:
    """Three runs started together against a slow server (each mail takes 0.3 s), so they
    overlap for certain; every Message-ID the server received."""
    with smtp_sink(answer_after=0.3) as server:
        command = [str(exe), "remind", "--config", str(config), "--today", "2027-01-18"]
        runs = [subprocess.Popen(command, env={**env, **server.env()}, stderr=subprocess.PIPE)
                for _ in range(3)]  # fmt: skip
        for run in runs:
            run.communicate(timeout=120)
        return [r.message_id for r in server.sink.take()]


def test_overlapping_runs_send_each_mail_once_and_would_not_without_the_lock(
    tmp_path: Path, terminarz_exe: Path
) -> None:
    env = {**os.environ, "TERMINARZ_SECRET": SECRET}
    locked = overlapping_runs(copy_example(tmp_path / "z-blokada"), terminarz_exe, env)
    assert len(locked) == 5 and len(set(locked)) == 5
    planted = tmp_path / "bez-blokady"
    planted.mkdir()
    (planted / "sitecustomize.py").write_text(NO_LOCK, encoding="utf-8")
    unlocked = overlapping_runs(copy_example(tmp_path / "bez"), terminarz_exe,
                                {**env, "PYTHONPATH": str(planted)})  # fmt: skip
    assert len(set(unlocked)) == 5 and len(unlocked) > 5  # the same mails, sent twice

"""The mail ledger: never twice, never lost — through server outages, crashes and races.

Real SQLite state files, a real aiosmtpd server on a free loopback port, and
real ``terminarz`` processes where a crash or a race is the point.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import RunCli, open_state
from test_mail_sink import SinkServer, free_port, smtp_sink
from test_reminders import OCC, copy_example

from terminarz.cli import main
from terminarz.store.base import Claim, MailStatus, RunLocked

AT = datetime(2027, 1, 18, 6, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
SECRET = "sekret-testowy-0123456789abcdef"
FAST = "\n[reminders]\nlock_timeout = 60\n"


def claim(step: str = "T-10", recipient: str = "kier-dokip", day: date = date(2027, 1, 18),
          series: str = "termin") -> Claim:  # fmt: skip
    return Claim(
        occurrence_id=OCC, kind="reminder", step=step, recipient=recipient, series=series,
        address=f"{recipient}@example.org", envelope=(f"{recipient}@example.org",),
        message_id=f"<{step}.{recipient}@example.org>", subject=f"Przypomnienie {step}",
        day=day, message=f"Subject: {step}\r\n\r\ntreść\r\n".encode(),
    )  # fmt: skip


# -- the ledger itself --------------------------------------------------------------------


def test_a_key_is_claimed_once(tmp_path: Path) -> None:
    with open_state(tmp_path / "s.sqlite3") as ledger:
        first = ledger.claim([claim(), claim(recipient="prac-dokip")], at=AT)
        again = ledger.claim([claim()], at=AT)
        assert len(first) == 2 and again == []
        assert [r.recipient for r in ledger.pending()] == ["kier-dokip", "prac-dokip"]
        kier, prac = (r.deliveries[0].id for r in ledger.pending())
        ledger.mark_sent([kier], at=AT)
        ledger.mark_failed([prac], "550 brak skrzynki", permanent=True)
        assert ledger.pending() == []
        rows = {r.recipient: r for r in ledger.history()}
        assert rows["kier-dokip"].status is MailStatus.SENT and rows["kier-dokip"].attempts == 1
        assert rows["prac-dokip"].status is MailStatus.FAILED
        assert rows["prac-dokip"].error == "550 brak skrzynki"
        assert ledger.message(first[0]) == b"Subject: T-10\r\n\r\ntre\xc5\x9b\xc4\x87\r\n"
        assert ledger.keys([OCC]) == {(OCC, "reminder", "T-10", "kier-dokip"),
                                      (OCC, "reminder", "T-10", "prac-dokip")}  # fmt: skip


def test_a_temporary_failure_stays_pending(tmp_path: Path) -> None:
    with open_state(tmp_path / "s.sqlite3") as ledger:
        ledger.claim([claim()], at=AT)
        ledger.mark_failed([ledger.pending()[0].deliveries[0].id], "451 później",
                           permanent=False)  # fmt: skip
        (record,) = ledger.pending()
        assert record.attempts == 1 and record.error == "451 później"


def test_the_epoch_is_recorded_once(tmp_path: Path) -> None:
    with open_state(tmp_path / "s.sqlite3") as ledger:
        assert ledger.epoch() is None
        assert ledger.start_epoch(date(2027, 1, 4)) == date(2027, 1, 4)
        assert ledger.start_epoch(date(2027, 2, 1)) == date(2027, 1, 4)


def test_confirm_undo_and_log(tmp_path: Path) -> None:
    with open_state(tmp_path / "s.sqlite3") as ledger:
        ledger.claim([claim()], at=AT)
        done = ledger.confirm(OCC, by="kier-dokip", at=AT, note="CAS nr 17")
        assert (done.confirmed_by, done.confirmed_at, done.note) == (
            "kier-dokip", "2027-01-18T06:00:00+01:00", "CAS nr 17")
        assert ledger.pending() == []  # the waiting reminder is cancelled with it
        assert ledger.history()[0].status is MailStatus.CANCELLED
        again = ledger.confirm(OCC, by="prac-dokip", at=AT)
        assert again.confirmed_by == "kier-dokip"  # the first confirmation stands
        assert ledger.unconfirm(OCC, by="admin-di", at=AT) == done
        assert ledger.confirmation(OCC) is None
        assert ledger.unconfirm(OCC, by="admin-di", at=AT) is None
        assert [(e.action, e.person) for e in ledger.confirmation_log(OCC)] == [
            ("done", "kier-dokip"), ("undone", "admin-di")]


def test_the_lock_is_exclusive(tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite3"
    with open_state(state) as one, open_state(state) as two:
        with one.run_lock(timeout=1), pytest.raises(RunLocked, match="inny przebieg"), \
                two.run_lock(timeout=0.2):  # fmt: skip
            pass
        with two.run_lock(timeout=0.2):  # released again
            pass


# -- whole runs ---------------------------------------------------------------------------


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.setenv("TERMINARZ_SECRET", SECRET)
    yield {"TERMINARZ_SECRET": SECRET}


def remind(config: Path, day: str) -> int:
    return main(["remind", "--config", str(config), "--today", day])


def rows(config: Path) -> list[Any]:
    with open_state(config.parent / "state.sqlite3") as ledger:
        return ledger.history()


def test_server_down_loses_nothing_and_sends_once_when_back(
    tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    config = copy_example(tmp_path, FAST)
    monkeypatch.setenv("TERMINARZ_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TERMINARZ_SMTP_PORT", str(free_port()))
    assert remind(config, "2027-01-18") == 1
    err = capsys.readouterr().err
    assert "nie wysłano" in err and "połączenie odrzucone" in err
    assert {r.status for r in rows(config)} == {MailStatus.PENDING}
    assert len(rows(config)) == 5  # the handover is one message to both of DOKiP
    with smtp_sink() as server:
        monkeypatch.setenv("TERMINARZ_SMTP_PORT", str(server.port))
        assert remind(config, "2027-01-18") == 0
        assert remind(config, "2027-01-18") == 0
        got = server.sink.take()
    assert sorted(r.message_id for r in got) == sorted(r.message_id for r in rows(config))
    assert {r.status for r in rows(config)} == {MailStatus.SENT}


def test_a_failed_reminder_is_replaced_by_the_newer_one(
    tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = copy_example(tmp_path, FAST)
    monkeypatch.setenv("TERMINARZ_SMTP_HOST", "127.0.0.1")
    with smtp_sink() as server:
        monkeypatch.setenv("TERMINARZ_SMTP_PORT", str(server.port))
        assert remind(config, "2027-01-18") == 0
        server.sink.take()
    monkeypatch.setenv("TERMINARZ_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("TERMINARZ_SMTP_SECURITY", "none")
    assert remind(config, "2027-01-25") == 1  # T-5 and the delivery reminder stay pending
    with smtp_sink() as server:
        monkeypatch.setenv("TERMINARZ_SMTP_PORT", str(server.port))
        assert remind(config, "2027-01-28") == 0  # T-2 is due now: T-5 is not worth sending
        subjects = sorted(r.message["Subject"] for r in server.sink.take())
    assert subjects == [
        "Dane do dostarczenia do czw 21 sty 2027: MPiPS-03 za 2026 r.",  # alone in its series
        "Przypomnienie: MPiPS-03 za 2026 r. — termin pon 1 lut 2027 (za 2 dni robocze)",
        "Przypomnienie: MPiPS-03 za 2026 r. — termin pon 1 lut 2027 (za 2 dni robocze)",
    ]
    statuses = {(r.step, r.recipient): r.status for r in rows(config) if r.kind != "handover"}
    assert statuses[("T-5", "kier-dokip")] is MailStatus.CANCELLED
    assert statuses[("T-5", "prac-dokip")] is MailStatus.CANCELLED
    assert statuses[("dokip:T-0", "kier-dokip")] is MailStatus.SENT
    assert statuses[("T-2", "prac-dokip")] is MailStatus.SENT


CRASH = textwrap.dedent("""
    import os, sys
    import terminarz.notify.mailer as mailer
    original = mailer.Mailer.send
    calls = []
    def send(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            os._exit(9)  # killed between claiming the third mail and sending it
        return original(self, *args, **kwargs)
    mailer.Mailer.send = send
    from terminarz.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_killed_between_claim_and_send_resends_once_with_the_same_id(
    tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = copy_example(tmp_path, FAST)
    with smtp_sink() as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        process_env = {**os.environ, **env, **server.env()}
        crashed = subprocess.run(
            [sys.executable, "-c", CRASH, "remind", "--config", str(config), "--today",
             "2027-01-18"], env=process_env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert crashed.returncode == 9, crashed.stderr
        before = server.sink.take()
        assert len(before) == 2
        waiting = [r for r in rows(config) if r.status is MailStatus.PENDING]
        assert len(waiting) == 3  # claimed, never confirmed as sent
        assert remind(config, "2027-01-18") == 0
        after = server.sink.take()
        assert remind(config, "2027-01-18") == 0
        assert server.sink.take() == []
    assert sorted(r.message_id for r in after) == sorted(r.message_id for r in waiting)
    assert {r.message_id for r in before}.isdisjoint({r.message_id for r in after})
    assert {r.status for r in rows(config)} == {MailStatus.SENT}


def test_two_runs_at_once_never_both_send(
    tmp_path: Path, env: dict[str, str], terminarz_exe: Path
) -> None:
    config = copy_example(tmp_path, FAST)

    def slow(envelope: Any) -> str | None:
        time.sleep(0.05)  # make the runs overlap
        return None

    with smtp_sink(refuse=slow) as server:
        process_env = {**os.environ, **env, **server.env()}
        command = [str(terminarz_exe), "remind", "--config", str(config), "--today", "2027-01-18"]
        runs = [subprocess.Popen(command, env=process_env, stderr=subprocess.PIPE, text=True)
                for _ in range(3)]
        codes = [p.wait(timeout=60) for p in runs]
        for p in runs:
            assert p.stderr is not None
            p.stderr.close()
        got = server.sink.take()
    assert codes == [0, 0, 0]
    assert len(got) == 5 and len({r.message_id for r in got}) == 5


def test_a_run_that_cannot_get_the_lock_says_so(
    tmp_path: Path, env: dict[str, str], run_cli: RunCli
) -> None:
    config = copy_example(tmp_path, "\n[reminders]\nlock_timeout = 1\n")
    with smtp_sink() as server, open_state(tmp_path / "state.sqlite3") as held, \
            held.run_lock(timeout=1):  # fmt: skip
        result = run_cli("remind", "--config", str(config), "--today", "2027-01-18",
                         env={**env, **server.env()})  # fmt: skip
        assert server.sink.take() == []
    assert result.returncode == 75
    assert "inny przebieg „terminarz remind” nadal pracuje" in result.stderr


def test_dry_run_sends_and_records_nothing(
    tmp_path: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    config = copy_example(tmp_path, FAST)
    monkeypatch.setenv("TERMINARZ_SMTP_PORT", str(free_port()))  # nothing listens: not used
    assert main(["remind", "--config", str(config), "--today", "2027-01-18", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "próba (nic nie wysłano)" in out
    assert out.count("mpips-03@ops/2026") == 5
    assert rows(config) == []


def test_server_sink_helper_env_is_complete(tmp_path: Path) -> None:
    with smtp_sink() as server:
        assert isinstance(server, SinkServer)
        assert set(server.env()) == {"TERMINARZ_SMTP_HOST", "TERMINARZ_SMTP_PORT",
                                     "TERMINARZ_SMTP_SECURITY"}  # fmt: skip


def test_due_shows_a_confirmed_occurrence(tmp_path: Path, run_cli: RunCli) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path)}  # the default state database, without --config
    done = run_cli("done", "mpips-03@ops/2025", "--by", "anna", "--note", "CAS", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("✔ mpips-03@ops/2025: potwierdzono wysłanie przez: anna")
    due = run_cli("due", "--catalogue", "mpips-1992", "--month", "2026-01", "--level", "ops",
                  "--today", "2026-01-20", env=env)
    (line,) = [row for row in due.stdout.splitlines() if "mpips-03@ops/2025" in row]
    assert "✔ wysłano 20" in line and "(anna)" in line
    undone = run_cli("undone", "mpips-03@ops/2025", env=env)
    assert "cofnięto potwierdzenie" in undone.stdout
    due = run_cli("due", "--catalogue", "mpips-1992", "--month", "2026-01", "--level", "ops",
                  "--today", "2026-01-20", env=env)
    assert "✔" not in due.stdout

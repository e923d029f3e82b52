"""Many institutions in one PostgreSQL database, and several nightly workers on it.

300 welfare centres (each its own organisation file, all sharing one database through
``TERMINARZ_STATE_URL``) on Monday 18 January 2027. One ``terminarz remind --orgs`` alone
gives the expected mails; two and three such processes started together on a fresh database
must deliver exactly the same mails — every one once — and a worker killed in the middle of
the night leaves its work to the others (at most one repeat, with the same Message-ID).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from test_mail_sink import Received, SinkServer, smtp_sink

DAY = "2027-01-18"
INSTITUTIONS = 300

ORG = """\
[organisation]
id = "ops-{n:03d}"
name = "Ośrodek Pomocy Społecznej nr {n}"
levels = ["ops"]
catalogues = ["mpips-1992"]

[[units]]
id = "dyrekcja"
name = "Dyrekcja"
head = "dyrektor"

[[units]]
id = "sps"
name = "Dział Pomocy Społecznej"
head = "kier"

[[people]]
id = "dyrektor"
name = "Dyrektor Ośrodka nr {n}"
email = "dyrektor@ops{n}.example.org"
unit = "dyrekcja"

[[people]]
id = "kier"
name = "Anna Kowalska"
email = "a.kowalska@ops{n}.example.org"
unit = "sps"
system_access = true

[[people]]
id = "prac"
name = "Józef Nowak"
email = "j.nowak@ops{n}.example.org"
unit = "sps"
system_access = true

[[duties]]
id = "pomoc-spoleczna"
obligations = ["mpips-03@ops"]
tiers = [["kier"], ["prac"]]
fallback = "dyrektor"
basis = "pkt I.4 zasad obsługi sprawozdań"
{absence}
[smtp]
sender = "terminarz@ops{n}.example.org"
retry_delays = [0]

[reminders]
lock_timeout = 120
"""

AWAY = """
[[absences]]
person = "kier"
from = 2027-01-11
to = 2027-02-12
reason = "urlop"
"""


def institutions(folder: Path) -> Path:
    folder.mkdir()
    for n in range(1, INSTITUTIONS + 1):
        text = ORG.format(n=n, absence=AWAY if n % 3 == 0 else "")
        (folder / f"ops-{n:03d}.toml").write_text(text, encoding="utf-8")
    return folder


def environment(server: SinkServer, url: str) -> dict[str, str]:
    env = {**os.environ, **server.env(), "TERMINARZ_STATE_URL": url}
    env.pop("TERMINARZ_SECRET", None)
    return env


def copies(received: list[Received]) -> Counter[tuple[str, str]]:
    return Counter((r.message_id, a) for r in received for a in r.rcpt_tos)


def workers(count: int, exe: Path, orgs: Path, env: dict[str, str]) -> list[int]:
    command = [str(exe), "remind", "--orgs", str(orgs), "--today", DAY, "--jobs", "2"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE) for _ in range(count)]  # fmt: skip
    codes = []
    for run in runs:
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err.decode()
        codes.append(run.returncode)
    return codes


@pytest.fixture(scope="module")
def orgs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return institutions(tmp_path_factory.mktemp("wdrozenie") / "orgs")


@pytest.fixture(scope="module")
def expected(orgs: Path, postgres_server: str, terminarz_exe: Path) -> Counter[tuple[str, str]]:
    import psycopg

    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE alone")
    with smtp_sink() as server:
        workers(1, terminarz_exe, orgs, environment(server, f"{postgres_server}/alone"))
        got = copies(server.sink.take())
    assert len(got) >= INSTITUTIONS and max(got.values()) == 1
    return got


@pytest.mark.parametrize("count", [2, 3])
def test_several_workers_share_a_night_and_send_nothing_twice(
    count: int, orgs: Path, postgres_url: str, terminarz_exe: Path,
    expected: Counter[tuple[str, str]],
) -> None:  # fmt: skip
    with smtp_sink() as server:
        workers(count, terminarz_exe, orgs, environment(server, postgres_url))
        got = copies(server.sink.take())
        workers(1, terminarz_exe, orgs, environment(server, postgres_url))  # the night is done
        assert server.sink.take() == []
    assert got == expected


def test_a_worker_killed_mid_night_leaves_its_work_to_the_others(
    orgs: Path, postgres_url: str, terminarz_exe: Path, expected: Counter[tuple[str, str]]
) -> None:
    def slow(envelope: object) -> None:
        time.sleep(0.01)  # so that the kill lands in the middle of the night

    with smtp_sink(refuse=slow) as server:  # type: ignore[arg-type]
        env = environment(server, postgres_url)
        command = [str(terminarz_exe), "remind", "--orgs", str(orgs), "--today", DAY]
        victim = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)  # fmt: skip
        before = killed_mid_night(victim, server, len(expected))
        workers(2, terminarz_exe, orgs, env)
        after = server.sink.take()
    delivered_with_one_repeat_at_most(copies(before) + copies(after), expected)


def killed_mid_night(victim: subprocess.Popen[bytes], server: SinkServer,
                     expected: int) -> list[Received]:  # fmt: skip
    """Kill ``victim`` once a third of the ``expected`` mails arrived; what had arrived."""
    deadline = time.monotonic() + 120
    while len(server.sink.received) < expected // 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    before = server.sink.take()
    assert 0 < len(copies(before)) < expected  # killed in the middle
    return before


def delivered_with_one_repeat_at_most(got: Counter[tuple[str, str]],
                                      expected: Counter[tuple[str, str]]) -> None:  # fmt: skip
    assert set(got) == set(expected)  # everything delivered
    repeats = {key: n for key, n in got.items() if n > 1}
    assert len(repeats) <= 1 and all(n == 2 for n in repeats.values())  # at most one repeat

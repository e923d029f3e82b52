"""Workers sharing a night claim the institutions: each is loaded and planned by one of them.

100 welfare centres (the organisation files of ``test_shared_state``) in one store — one
SQLite file, or one PostgreSQL database — on Monday 18 January 2027. Two or three
``terminarz remind --orgs … --verbose`` processes started together print one summary line for
each institution they worked and one "obsłużył już inny przebieg" line for each institution
another worker had finished: across the workers every institution is worked exactly once and
every expected mail arrives once. A worker killed mid-night leaves the institution it held to
the others (its run lock ends with it): at most one repeat, with the same Message-ID.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from test_mail_sink import SinkServer, smtp_sink
from test_shared_state import (
    AWAY,
    DAY,
    ORG,
    copies,
    delivered_with_one_repeat_at_most,
    environment,
    killed_mid_night,
)

from terminarz.notify.runs import Walk
from terminarz.store import locate, open_store
from terminarz.store.base import NightMark

INSTITUTIONS = 100
IDS = {f"ops-{n:03d}" for n in range(1, INSTITUTIONS + 1)}
WORKED = re.compile(rf"^terminarz remind {DAY} \((ops-\d+)\): wysłano ", re.MULTILINE)
PASSED = re.compile(rf"^terminarz remind {DAY} \((ops-\d+)\): tę organizację obsłużył już "
                    r"inny przebieg \(.+:\d+\)$", re.MULTILINE)  # fmt: skip


@pytest.fixture(scope="module")
def orgs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("noc") / "orgs"
    folder.mkdir()
    for n in range(1, INSTITUTIONS + 1):
        text = ORG.format(n=n, absence=AWAY if n % 3 == 0 else "")
        (folder / f"ops-{n:03d}.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "wspolna.sqlite3")
    return str(request.getfixturevalue("postgres_url"))


def start(exe: Path, orgs: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [str(exe), "remind", "--orgs", str(orgs), "--today", DAY, "--jobs", "2",
               "--verbose"]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def night(count: int, exe: Path, orgs: Path, env: dict[str, str],
          server: SinkServer | None = None) -> list[str]:  # fmt: skip
    """Start ``count`` workers together; each one's standard output.

    Workers started together share a night only when each began before another finished
    an institution (a worker that begins later works the night again, as a retry does). On
    a loaded machine one process may start a second after another, so with ``server`` the
    mail server holds every message until each worker has begun: until each has started its
    worker processes, which it does after taking the night's start time."""
    runs: list[subprocess.Popen[bytes]] = []
    if server is not None:
        server.sink.hold = lambda: len(runs) == count and all(map(began, runs))
    runs.extend(start(exe, orgs, env) for _ in range(count))
    outputs = []
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err.decode()
        outputs.append(out.decode())
    return outputs


def began(run: subprocess.Popen[bytes]) -> bool:
    """Whether ``run`` has a child process (the pool of worker processes, started after the
    night's start time is taken), from Linux's ``/proc``; an ended run has begun."""
    if run.poll() is not None:
        return True
    try:
        children = Path(f"/proc/{run.pid}/task/{run.pid}/children").read_text()
    except OSError:
        return True  # no way to tell: do not hold the mail
    return bool(children.split())


def worked(outputs: list[str]) -> Counter[str]:
    return Counter(org for out in outputs for org in WORKED.findall(out))


@pytest.fixture(scope="module")
def expected(orgs: Path, tmp_path_factory: pytest.TempPathFactory,
             terminarz_exe: Path) -> Counter[tuple[str, str]]:  # fmt: skip
    alone = tmp_path_factory.mktemp("sama") / "stan.sqlite3"
    with smtp_sink() as server:
        (out,) = night(1, terminarz_exe, orgs, environment(server, str(alone)))
        got = copies(server.sink.take())
    assert worked([out]) == Counter(IDS)  # a worker alone works every institution
    assert len(got) >= INSTITUTIONS and max(got.values()) == 1
    return got


@pytest.mark.parametrize("count", [2, 3])
def test_each_institution_is_worked_by_one_worker_and_every_mail_sent_once(
    count: int, state: str, orgs: Path, terminarz_exe: Path,
    expected: Counter[tuple[str, str]],
) -> None:  # fmt: skip
    with smtp_sink() as server:
        env = environment(server, state)
        outputs = night(count, terminarz_exe, orgs, env, server)
        got = copies(server.sink.take())
        assert got == expected  # every expected mail, each once
        assert worked(outputs) == Counter(IDS)  # each institution loaded and planned once
        for out in outputs:  # each worker accounts for every institution: worked or passed
            mine, passed = WORKED.findall(out), PASSED.findall(out)
            assert sorted(mine + passed) == sorted(IDS)
        # A later run (a retry, a run after a change) works the night again; nothing is due.
        server.sink.hold = None
        (again,) = night(1, terminarz_exe, orgs, env)
        assert worked([again]) == Counter(IDS) and PASSED.findall(again) == []
        assert server.sink.take() == []


def test_a_worker_killed_mid_night_leaves_its_institution_to_the_others(
    state: str, orgs: Path, terminarz_exe: Path, expected: Counter[tuple[str, str]]
) -> None:
    def slow(envelope: object) -> None:
        time.sleep(0.01)  # so that the kill lands in the middle of an institution

    with smtp_sink(refuse=slow) as server:  # type: ignore[arg-type]
        env = environment(server, state)
        before = killed_mid_night(start(terminarz_exe, orgs, env), server, len(expected))
        outputs = night(2, terminarz_exe, orgs, env, server)
        after = server.sink.take()
    delivered_with_one_repeat_at_most(copies(before) + copies(after), expected)
    survivors = worked(outputs)
    assert max(survivors.values()) == 1  # nothing worked twice by the survivors
    # What the victim finished before it died is passed over, not planned again; the rest
    # (the institution it was killed in included) is worked by one survivor.
    finished = IDS - set(survivors)
    assert finished
    for out in outputs:
        passed = PASSED.findall(out)
        assert finished <= set(passed) and sorted(WORKED.findall(out) + passed) == sorted(IDS)
    assert {m for m, _ in copies(after)} <= {m for m, _ in expected}


WARSAW = timezone(timedelta(hours=1))


def test_the_night_mark_is_kept_per_organisation_and_replaced(state: str) -> None:
    where = locate(environ={"TERMINARZ_STATE_URL": state}, url=None, path=None, config=None)
    night = date(2027, 1, 18)
    began = datetime(2027, 1, 18, 2, 0, 0, 500, tzinfo=WARSAW)
    with open_store(where, "ops-001") as a, open_store(where, "ops-002") as b:
        assert a.night_mark() is None
        mark = NightMark(night=night, worker="host-a:101",
                         finished_at=datetime(2027, 1, 18, 2, 0, 3, 250, tzinfo=WARSAW))
        with a.run_lock(timeout=0):
            a.finish_night(mark)
        assert a.night_mark() == mark and b.night_mark() is None
        # Finished after another worker began: that worker passes it over …
        assert mark.done_since(night, began)
        # … but not a run begun after it finished, nor another night's run.
        assert not mark.done_since(night, datetime(2027, 1, 18, 2, 0, 4, tzinfo=WARSAW))
        assert not mark.done_since(date(2027, 1, 19), began)
        later = NightMark(night=date(2027, 1, 19), worker="host-b:202",
                          finished_at=datetime(2027, 1, 19, 2, 1, tzinfo=WARSAW))
        a.finish_night(later)
        assert a.night_mark() == later


def test_a_mark_this_version_cannot_read_means_the_night_is_worked_again() -> None:
    assert NightMark.decode("2027-01-18") is None
    assert NightMark.decode("wczoraj 02:00 host:1") is None
    mark = NightMark.decode("2027-01-18 2027-01-18T02:00:03+01:00 host a:7")
    assert mark == NightMark(night=date(2027, 1, 18), worker="host a:7",
                             finished_at=datetime(2027, 1, 18, 2, 0, 3, tzinfo=WARSAW))
    # A naive stamp cannot be compared with an aware start: worked again, nothing lost.
    naive = NightMark(night=date(2027, 1, 18), worker="w:1",
                      finished_at=datetime(2027, 1, 18, 3, 0))  # fmt: skip
    assert not naive.done_since(date(2027, 1, 18), datetime(2027, 1, 18, 2, 0, tzinfo=WARSAW))


def test_a_walk_takes_every_file_once_and_jumps_away_from_another_worker() -> None:
    walk = Walk(10)
    assert [walk.take(), walk.take()] == [0, 1]
    walk.collided()  # untaken 2–9: go on from its middle, 6
    assert [walk.take(), walk.take()] == [6, 7]
    walk.collided()  # untaken 2–5 (4 files) and 8–9 (2): the middle of 2–5 is 4
    assert [walk.take(), walk.take(), walk.take()] == [4, 5, 8]
    walk.collided()  # untaken 2–3 and 9: the middle of 2–3 is 3
    assert [walk.take(), walk.take(), walk.take(), walk.take()] == [3, 9, 2, None]
    walk.collided()  # nothing left: nothing changes
    assert walk.take() is None


def test_a_shared_night_reads_each_organisation_file_once(
    orgs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim loads an institution's file to find its store and lock it; its night uses
    that result instead of reading and checking the file again (the same mails go out)."""
    from terminarz.notify.runs import run_many
    from terminarz.org import organisation as module

    read: Counter[Path] = Counter()
    original = module.check_organisation

    def counted(path: Path) -> object:
        read[path] += 1
        return original(path)

    monkeypatch.setattr(module, "check_organisation", counted)
    configs = sorted(orgs.glob("ops-00[1-4].toml"))
    with smtp_sink() as server:
        for name, value in environment(server, str(tmp_path / "stan.sqlite3")).items():
            monkeypatch.setenv(name, value)
        outcomes = list(run_many(configs, today=date.fromisoformat(DAY), jobs=1, processes=1,
                                 clock=lambda: datetime(2027, 1, 18, 5, 0)))  # fmt: skip
        sent = server.sink.take()
    assert all(o.result is not None and o.result.ok for o in outcomes)
    assert sum(o.result.sent for o in outcomes if o.result is not None) == len(sent) > 0
    assert read == Counter({config: 1 for config in configs})

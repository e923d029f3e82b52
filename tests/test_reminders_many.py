"""``terminarz remind --config a --config b …``: many organisations in one run (the national
night of ``bench/bench_remind.py``), their catalogues read once, in worker threads and, for
many files, worker processes — each organisation's mails exactly once, outcomes in file order."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from conftest import open_state
from test_mail_sink import smtp_sink
from test_reminders import copy_example

from terminarz.cli import main
from terminarz.cli.remind import remind_many
from terminarz.store.base import MailStatus

SECRET = "sekret-testowy-0123456789abcdef"
SUMMARY = "terminarz remind 2027-01-18 (mopr-przyklad): wysłano 3"  # the example, that day


def organisations(tmp_path: Path) -> tuple[list[Path], Path]:
    """Three copies of the example organisation and, second, a file with a TOML error."""
    first, second, third = (copy_example(tmp_path / name) for name in ("a", "b", "c"))
    broken = tmp_path / "zly" / "org.toml"
    broken.parent.mkdir()
    broken.write_text("[organisation\n", encoding="utf-8")
    return [first, broken, second, third], broken


def assert_each_sent_once(configs: list[Path], broken: Path, received: int) -> None:
    assert received == 9  # three messages for each of the three good files
    for config in configs:
        if config == broken:
            assert not (config.parent / "state.sqlite3").exists()
            continue
        with open_state(config.parent / "state.sqlite3") as ledger:
            history = ledger.history()
        assert len(history) == 3 and {r.status for r in history} == {MailStatus.SENT}


def test_a_broken_file_stops_only_itself_and_the_others_are_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TERMINARZ_SECRET", SECRET)
    configs, broken = organisations(tmp_path)
    with smtp_sink() as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        argv = ["remind", "--today", "2027-01-18", "--jobs", "2", "--verbose"]
        code = main(argv + [arg for config in configs for arg in ("--config", str(config))])
        received = len(server.sink.take())
    assert code == 2  # the broken file; the others were still sent
    out, err = capsys.readouterr()
    assert out.splitlines() == [SUMMARY] * 3  # one line per good file, in the order given
    (line,) = err.splitlines()
    assert line.startswith(f"terminarz: błąd: {broken}(1): błąd składni TOML")
    assert_each_sent_once(configs, broken, received)


@pytest.mark.parametrize("threads", [1, 2], ids=["one-thread-each", "two-threads-each"])
def test_worker_processes_send_the_same_and_report_in_file_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], threads: int
) -> None:
    configs, broken = organisations(tmp_path)
    out = io.StringIO()
    with smtp_sink() as server:
        environ = {"TERMINARZ_SECRET": SECRET, **server.env()}
        code = remind_many(configs, today=date(2027, 1, 18), verbose=True, out=out,
                           environ=environ, jobs=2 * threads, processes=2)  # fmt: skip
        received = len(server.sink.take())
    assert code == 2
    assert out.getvalue().splitlines() == [SUMMARY] * 3
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"terminarz: błąd: {broken}(1): błąd składni TOML")
    assert_each_sent_once(configs, broken, received)


CHILD = """
import sys
from datetime import date
from multiprocessing import forkserver
from pathlib import Path
from terminarz.cli.remind import remind_many
code = remind_many([Path(p) for p in sys.argv[1:]], today=date(2027, 1, 18), verbose=True,
                   out=sys.stdout, jobs=2, processes=2)
print("fork server:", forkserver._forkserver._forkserver_pid is not None)
sys.exit(code)
"""


def test_a_process_without_other_threads_forks_its_workers(tmp_path: Path) -> None:
    """``terminarz remind`` runs no other thread: its worker processes are forked from it (no
    fork server importing everything again) and send and report as any others."""
    import os
    import subprocess
    import sys

    configs, broken = organisations(tmp_path)
    with smtp_sink() as server:  # its thread runs here, not in the child
        env = {**os.environ, "TERMINARZ_SECRET": SECRET, **server.env()}
        done = subprocess.run([sys.executable, "-c", CHILD, *map(str, configs)], env=env,
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        received = len(server.sink.take())
    assert done.returncode == 2, done.stderr
    assert done.stdout.splitlines() == [SUMMARY] * 3 + ["fork server: False"]
    assert_each_sent_once(configs, broken, received)


@pytest.mark.parametrize(("files", "jobs", "requested", "cores", "expected"), [
    (1, 4, None, 8, 1),
    (99, 4, None, 2, 1),  # under 50 files a process: threads only
    (100, 4, None, 2, 2),
    (2500, 4, None, 2, 2),  # one process per core
    (2500, 4, None, 16, 4),  # at most one per worker
    (2500, 1, None, 16, 1),  # --jobs 1: one at a time, here
    (3, 4, 2, 1, 2),  # asked for
    (3, 4, 8, 1, 3),  # never more than files
], ids=["one-file", "few-files", "two-cores", "national", "many-cores", "jobs-1",
        "requested", "requested-capped"])  # fmt: skip
def test_how_many_worker_processes(
    monkeypatch: pytest.MonkeyPatch, files: int, jobs: int, requested: int | None, cores: int,
    expected: int,
) -> None:  # fmt: skip
    from terminarz.notify import runs

    monkeypatch.setattr(runs.os, "cpu_count", lambda: cores)
    assert runs._process_count(files, jobs, requested) == expected

"""Benchmark: a national night on PostgreSQL — one and two nightly workers sharing one database.

The institutions are those of ``bench/bench_remind.py`` (default 2,500 welfare
centres, each its own organisation file; the same day, Monday 18 January 2027), and
its mail server (aiosmtpd in a process of its own, counting what it receives). Each
night runs ``terminarz remind --orgs DIR --today 2027-01-18 --jobs 1`` as real
processes: one worker, then two started together (on this 2-core machine they stand
in for two machines; ``--jobs 1`` keeps each worker to one process, one thread and
one SMTP connection, as a small machine would run it). Four nights, each on a fresh
state:

* SQLite — every institution its own state file (the default set-up), 1 and 2 workers;
* PostgreSQL — one database for every institution (``TERMINARZ_STATE_URL``), 1 and 2
  workers. The server is started by the benchmark from the machine's binaries (as the
  ``postgres`` user when run as root), with ``synchronous_commit=off`` — what SQLite's
  ``synchronous=NORMAL`` in WAL mode promises too: a crash of the machine may lose the
  last commits, never consistency.

After each night the very same messages (read back from the ledger) are sent raw
with ``smtplib`` through as many connections as the night had workers — the cost of
the mail itself, like for like — and the benchmark prints mails per second, the ratio
to those raw sends, PostgreSQL's ratio to SQLite with as many workers, the CPU per mail,
and how many institutions each worker loaded and planned (from its ``--verbose`` lines:
workers sharing a night claim the institutions, so each is planned by one of them).

It exits non-zero only when a night is wrong: a worker failed, a mail in the ledger
is not sent, the server received another number of messages than the ledgers hold
(a repeat or a loss), or two nights decided different mails. Speed targets are not
checked here (the 1.5× target of ``bench_remind.py`` is SQLite's).

Usage::

    .venv/bin/python bench/bench_national.py              # 2,500 institutions
    .venv/bin/python bench/bench_national.py --orgs 200   # a quick look
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]

from bench_remind import DAY, SINK, Message, cpu_seconds, generate, send_raw  # noqa: E402
from pg_server import postgres_binaries, running_postgres  # noqa: E402

from terminarz.store.base import MailStatus, Store  # noqa: E402

Opener = Callable[[Path, str], Store]  # (organisation file, organisation id) → its store
WORKED = re.compile(rf"^terminarz remind {DAY} \(ops-\d+\): wysłano ", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Night:
    backend: str
    workers: int
    seconds: float
    mails: int
    raw_seconds: float
    decided: Counter[tuple[str, str]]  # (organisation, Message-ID) of every mail sent
    worker_cpu: float  # CPU seconds of the remind processes (user + system)
    database_cpu: float  # CPU seconds of the PostgreSQL server (0 for SQLite: in the workers)
    worked: tuple[int, ...]  # institutions each worker loaded and planned (--verbose lines)

    @property
    def rate(self) -> float:
        return self.mails / self.seconds

    @property
    def raw_rate(self) -> float:
        return self.mails / self.raw_seconds


class Sink:
    """bench_remind's mail server in its own process: its port and how many it received."""

    def __init__(self) -> None:
        self._process = subprocess.Popen([sys.executable, "-c", SINK], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert self._process.stdout is not None
        self.port = int(self._process.stdout.readline())

    def received(self) -> int:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write("count\n")
        self._process.stdin.flush()
        return int(self._process.stdout.readline())

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)


def night(backend: str, workers: int, folder: Path, configs: list[Path], sink: Sink,
          env: dict[str, str], opener: Opener, database: int | None = None) -> Night:  # fmt: skip
    """``workers`` remind processes started together over ``folder``; then the raw sends.
    ``database`` is the PostgreSQL server's process (its CPU is counted with its backends)."""
    import resource

    command = [sys.executable, "-m", "terminarz", "remind", "--orgs", str(folder),
               "--today", DAY, "--jobs", "1", "--verbose"]  # fmt: skip
    before = sink.received()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    database_before = cpu_seconds(database) if database is not None else 0.0
    started = time.perf_counter()
    runs = [subprocess.Popen(command, env=env, cwd=folder, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE) for _ in range(workers)]  # fmt: skip
    outputs = [run.communicate(timeout=3600) for run in runs]
    errors = [err for _, err in outputs]
    # Each institution a worker loaded and planned has its summary line ("… wysłano N");
    # one another worker had finished, a line of its own.
    worked = tuple(len(WORKED.findall(out.decode())) for out, _ in outputs)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    database_cpu = cpu_seconds(database) - database_before if database is not None else 0.0
    for run, err in zip(runs, errors, strict=True):
        if run.returncode != 0:
            fail(f"{backend}, {workers} worker(s): remind exited {run.returncode}: "
                 f"{err.decode(errors='replace')[-2000:]}")  # fmt: skip
    received = sink.received() - before
    messages: list[Message] = []
    decided: Counter[tuple[str, str]] = Counter()
    for config in configs:
        org = organisation_id(config)
        with opener(config, org) as ledger:
            for record in ledger.history():
                if record.status is not MailStatus.SENT:
                    fail(f"{backend}, {workers}: {org} {record.message_id} is "
                         f"{record.status.value}, not sent")  # fmt: skip
                decided[(org, record.message_id)] += 1
                sender = f"terminarz@ops{int(org[4:])}.example.org"
                messages.append((sender, record.envelope, ledger.message(record.id)))
    if received != len(messages):
        fail(f"{backend}, {workers}: the server received {received} messages, the ledgers "
             f"hold {len(messages)} (a repeat or a loss)")  # fmt: skip
    raw_before = sink.received()
    raw_seconds = send_raw(sink.port, messages, workers)
    if sink.received() - raw_before != len(messages):
        fail("the raw sends did not all arrive")
    return Night(backend=backend, workers=workers, seconds=seconds, mails=len(messages),
                 raw_seconds=raw_seconds, decided=decided, worker_cpu=worker_cpu,
                 database_cpu=database_cpu, worked=worked)  # fmt: skip


def organisation_id(config: Path) -> str:
    return f"ops-{int(config.stem[4:]):05d}"


def fail(message: str) -> None:
    print(f"bench_national: WRONG: {message}", file=sys.stderr)
    raise SystemExit(1)


def sqlite_nights(folder: Path, configs: list[Path], sink: Sink, counts: list[int],
                  env: dict[str, str]) -> list[Night]:  # fmt: skip
    from terminarz.store.sqlite import SQLiteStore, connect

    def state(config: Path) -> Path:
        return config.parent / f"state-{config.stem[4:]}.sqlite3"

    def opener(config: Path, org: str) -> Store:
        return SQLiteStore(state(config), org)

    nights = []
    for workers in counts:
        for leftover in folder.glob("state-*"):
            leftover.unlink()
        for config in configs:  # created and migrated before the night, like bench_remind
            connect(state(config)).close()
        nights.append(night("SQLite", workers, folder, configs, sink, env, opener))
    return nights


def postgres_nights(folder: Path, configs: list[Path], sink: Sink, counts: list[int],
                    env: dict[str, str]) -> list[Night]:  # fmt: skip
    import psycopg

    from terminarz.store.postgresql import PostgresStore

    binaries = postgres_binaries()
    if binaries is None:
        fail("PostgreSQL is not installed (Debian package postgresql)")
    assert binaries is not None
    nights = []
    with running_postgres(binaries, "synchronous_commit=off", "max_connections=100") as server:
        for workers in counts:
            name = f"night{workers}"
            with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
            url = f"{server}/{name}"
            PostgresStore(url, "").close()  # schema created before the night

            def opener(config: Path, org: str, url: str = url) -> Store:
                return PostgresStore(url, org)

            nights.append(night("PostgreSQL", workers, folder, configs, sink,
                                {**env, "TERMINARZ_STATE_URL": url}, opener,
                                postmaster(server)))  # fmt: skip
    return nights


def postmaster(url: str) -> int:
    """The process id of the PostgreSQL server listening on ``url``'s port."""
    port = url.rsplit(":", 1)[1].split("/", 1)[0]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                words = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if words[0].endswith(b"/postgres") and f" -p {port} ".encode() in b" ".join(words):
                return int(entry.name)
    fail(f"no PostgreSQL server process for port {port}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=2500)
    args = parser.parse_args()
    counts = [1, 2]
    load = os.getloadavg()  # the machine is shared: how busy it was is part of the figures
    sink = Sink()
    env = {k: v for k, v in os.environ.items() if k != "TERMINARZ_STATE_URL"}
    env["TERMINARZ_SECRET"] = os.environ.get("TERMINARZ_SECRET", "bench-secret-0123456789abcdef")
    try:
        with tempfile.TemporaryDirectory(prefix="terminarz-national-") as tmp:
            folder = Path(tmp)
            configs = generate(folder, args.orgs, sink.port)
            sqlite = sqlite_nights(folder, configs, sink, counts, env)
            postgres = postgres_nights(folder, configs, sink, counts, env)
    finally:
        sink.close()
    first = sqlite[0].decided
    for done in (*sqlite, *postgres):
        if done.decided != first:
            fail(f"{done.backend} with {done.workers} worker(s) sent other mails than SQLite "
                 "with one")  # fmt: skip
        if max(done.decided.values()) != 1:
            fail(f"{done.backend} with {done.workers}: a Message-ID twice in the ledger")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"load average at the start {load[0]:.1f}, at the end {os.getloadavg()[0]:.1f}")
    print(f"institutions: {args.orgs}; mails per night: {sqlite[0].mails} "
          f"({sqlite[0].mails / args.orgs:.1f} per institution), each exactly once")
    print(f"{'night':<24}{'seconds':>9}{'mails/s':>10}{'raw mails/s':>13}{'t/raw':>8}"
          f"{'t/SQLite':>10}{'CPU ms/mail: workers':>22}{'database':>10}"
          f"{'  institutions planned per worker'}")  # fmt: skip
    for done in (*sqlite, *postgres):
        base = next(s for s in sqlite if s.workers == done.workers)
        label = f"{done.backend}, {done.workers} worker{'s' if done.workers > 1 else ''}"
        print(f"{label:<24}{done.seconds:>9.1f}{done.rate:>10.0f}{done.raw_rate:>13.0f}"
              f"{done.seconds / done.raw_seconds:>7.2f}x{done.seconds / base.seconds:>9.2f}x"
              f"{done.worker_cpu / done.mails * 1000:>22.2f}"
              f"{done.database_cpu / done.mails * 1000:>10.2f}"
              f"  {' + '.join(str(n) for n in done.worked)}")
    for backend in (sqlite, postgres):
        one, two = backend[0], backend[1]
        print(f"{one.backend}, 2 workers vs 1: {one.seconds / two.seconds:.2f}x the mails per "
              f"second, {two.worker_cpu / one.worker_cpu:.2f}x the workers' CPU")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: a national-scale night of ``terminarz remind``.

Generates N organisation files (default 2,500; each a welfare centre with
four units, seven people, one duty with a substitute tier and a data input
from another unit; every tenth with its primary group on leave, so the
substitutes get handover notices), then runs ``terminarz remind`` for one day
(Monday 18 January 2027: the T-10 reminder of MPiPS-03 for 2026 and the day
its data must be requested) over all of them — ``terminarz remind --config f1
--config f2 … --today 2027-01-18``, started as a new process as cron starts it (its
imports and the worker processes it starts are timed) — against an aiosmtpd server on a
loopback port, running in its own process like a real mail server.

Against the same server, it sends the very same messages (read back from the
ledgers) with plain ``smtplib`` — the raw cost of the mail itself — once over
one connection, and once over as many connections as ``remind`` has workers
(``--jobs``, default 4), each message once per side. The target is remind at
most 1.5× the raw sends.

The development machine is shared and its speed drifts by tens of per cent
within a minute, so the night is run in ``--rounds`` slices (default 5) and
each slice of ``remind`` is followed at once by the raw sends of the same
mails: both sides see the same drift, and the ratio is taken over the sums.
Each slice is a separate ``terminarz remind`` call, so the run pays the
start-up (worker processes, templates compiled, catalogue read, SMTP
connections opened) once per slice instead of once — against remind, never
in its favour. The CPU lines count this process and its children (the
workers) apart from the server, and the server.

The state databases are created (empty, migrated) before the timed run;
creating them is timed separately and printed. So every organisation is on
its first night of reminders (the epoch and the lock file are written
during the run; the WAL files are created and removed on every night).

Usage::

    .venv/bin/python bench/bench_remind.py            # 2,500 organisations
    .venv/bin/python bench/bench_remind.py --orgs 200  # a quick look
"""

from __future__ import annotations

import argparse
import os
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("TERMINARZ_SECRET", "bench-secret-0123456789abcdef")  # links are signed
DAY = "2027-01-18"

SINK = r"""
import sys, threading
from aiosmtpd.controller import Controller

class Counter:
    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()
    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 2.0.0 OK"

class Loopback(Controller):
    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

handler = Counter()
controller = Loopback(handler, hostname="127.0.0.1", port=0)
controller.start()
print(controller.port, flush=True)
for line in sys.stdin:
    if line.strip() == "count":
        print(handler.count, flush=True)
controller.stop()
"""

ORG = """\
[organisation]
id = "ops-{n:05d}"
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
head = "kier-sps"

[[units]]
id = "kadry"
name = "Dział Kadr"
head = "kier-kadr"

[[units]]
id = "fk"
name = "Dział Finansowo-Księgowy"
head = "kier-fk"

[[people]]
id = "dyrektor"
name = "Dyrektor Ośrodka nr {n}"
email = "dyrektor@ops{n}.example.org"
unit = "dyrekcja"

[[people]]
id = "kier-sps"
name = "Anna Kowalska"
email = "a.kowalska@ops{n}.example.org"
unit = "sps"
system_access = true

[[people]]
id = "prac-sps"
name = "Józef Nowak"
email = "j.nowak@ops{n}.example.org"
unit = "sps"
system_access = true

[[people]]
id = "kier-kadr"
name = "Małgorzata Wiśniewska"
email = "m.wisniewska@ops{n}.example.org"
unit = "kadry"
system_access = true

[[people]]
id = "prac-kadr"
name = "Łukasz Zieliński"
email = "l.zielinski@ops{n}.example.org"
unit = "kadry"
system_access = true

[[people]]
id = "kier-fk"
name = "Grażyna Wójcik"
email = "g.wojcik@ops{n}.example.org"
unit = "fk"

[[people]]
id = "prac-fk"
name = "Piotr Kamiński"
email = "p.kaminski@ops{n}.example.org"
unit = "fk"

[[duties]]
id = "pomoc-spoleczna"
obligations = ["mpips-03@ops", "mpips-03a@ops"]
tiers = [["kier-sps", "prac-sps"], ["kier-kadr", "prac-kadr"]]
fallback = "dyrektor"
basis = "pkt I.4 zasad obsługi sprawozdań"
inputs = [
    {{ unit = "fk", data = "wydatki na świadczenia", request_days = 10, deliver_days = 5 }},
]
{absences}
[state]
path = "state-{n:05d}.sqlite3"

[smtp]
host = "127.0.0.1"
port = {port}
sender = "terminarz@ops{n}.example.org"
"""

LEAVE = """
[[absences]]
person = "kier-sps"
from = 2027-01-11
to = 2027-02-12
reason = "urlop wypoczynkowy"

[[absences]]
person = "prac-sps"
from = 2027-01-25
to = 2027-02-05
reason = "zwolnienie lekarskie"
"""

TARGET = 1.5  # remind at most this many times the raw sends over as many connections


Message = tuple[str, tuple[str, ...], bytes]  # envelope sender, recipients, bytes


def generate(folder: Path, count: int, port: int) -> list[Path]:
    paths = []
    for n in range(1, count + 1):
        path = folder / f"ops-{n:05d}.toml"
        path.write_text(ORG.format(n=n, port=port, absences=LEAVE if n % 10 == 0 else ""),
                        encoding="utf-8")  # fmt: skip
        paths.append(path)
    return paths


def cpu_seconds(pid: int | None = None, *, besides: int = 0) -> float:
    """User + system CPU seconds of process ``pid``, with its children (Linux /proc; 0
    elsewhere). Without ``pid``: this process and every child but ``besides`` (the mail
    server), including worker processes that ``remind`` started through a fork server."""
    if pid is not None:
        fields = _stat(pid)
        return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK") if fields else 0.0
    times = os.times()
    total = times.user + times.system + times.children_user + times.children_system
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != besides:
            fields = _stat(int(entry.name))
            if fields and int(fields[1]) == os.getpid():
                total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def _stat(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name: [0] state, [1] parent, [11:15]
    utime, stime, and the same for its waited-for children."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return []


def send_raw(port: int, messages: list[Message], connections: int) -> float:
    """Send ``messages`` with plain smtplib over ``connections`` parallel connections
    (dealt round-robin); return the seconds taken."""

    def one(share: list[Message]) -> None:
        with smtplib.SMTP("127.0.0.1", port) as client:
            for sender, recipients, raw in share:
                client.sendmail(sender, list(recipients), raw)

    shares = [messages[i::connections] for i in range(connections)]
    threads = [threading.Thread(target=one, args=(share,)) for share in shares if share]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=2500)
    parser.add_argument("--jobs", type=int, default=4,
                        help="terminarz remind --jobs, and the raw side's parallel connections")
    parser.add_argument("--rounds", type=int, default=5,
                        help="slices of remind, each followed by its raw sends (default 5)")
    args = parser.parse_args()

    from datetime import date

    from terminarz.org.plan import CatalogueCache, default_statutory, load_setup
    from terminarz.store.base import MailStatus
    from terminarz.store.sqlite import SQLiteStore, connect

    sink = subprocess.Popen([sys.executable, "-c", SINK], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert sink.stdout is not None and sink.stdin is not None
    port = int(sink.stdout.readline())

    def received() -> int:
        assert sink.stdin is not None and sink.stdout is not None
        sink.stdin.write("count\n")
        sink.stdin.flush()
        return int(sink.stdout.readline())

    def state(config: Path) -> Path:
        return config.parent / f"state-{config.stem[4:]}.sqlite3"

    rounds: list[tuple[float, float, float]] = []  # (remind, raw over 1, raw over jobs)
    cpu = {"remind": 0.0, "remind server": 0.0, "raw": 0.0, "raw server": 0.0}  # CPU seconds
    n = 0
    with tempfile.TemporaryDirectory(prefix="terminarz-bench-") as tmp:
        configs = generate(Path(tmp), args.orgs, port)

        started = time.perf_counter()
        for config in configs:
            connect(state(config)).close()
        create_time = time.perf_counter() - started

        # for the breakdown: loading alone (organisation file, catalogues read once, calendars)
        statutory = default_statutory()
        cache = CatalogueCache()
        started = time.perf_counter()
        for config in configs:
            load_setup(config, today=date.fromisoformat(DAY), statutory=statutory,
                       catalogue_cache=cache)  # fmt: skip
        load_time = time.perf_counter() - started

        size = -(-len(configs) // max(1, args.rounds))
        for first in range(0, len(configs), size):
            part = configs[first : first + size]
            argv = ["remind", "--today", DAY, "--jobs", str(args.jobs)]
            for config in part:
                argv += ["--config", str(config)]
            before = received()
            ours, server = cpu_seconds(besides=sink.pid), cpu_seconds(sink.pid)
            started = time.perf_counter()  # a new process, as cron starts it: imports paid
            done = subprocess.run([sys.executable, "-m", "terminarz", *argv],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
            remind_time = time.perf_counter() - started
            cpu["remind"] += cpu_seconds(besides=sink.pid) - ours
            cpu["remind server"] += cpu_seconds(sink.pid) - server
            if done.returncode != 0:
                print(done.stderr.decode(errors="replace"), file=sys.stderr)
                raise SystemExit(f"remind exited with {done.returncode}")
            messages: list[Message] = []
            for config in part:
                with SQLiteStore(state(config), f"ops-{int(config.stem[4:]):05d}") as ledger:
                    for record in ledger.history():
                        assert record.status is MailStatus.SENT
                        sender = f"terminarz@ops{int(config.stem[4:])}.example.org"
                        messages.append((sender, record.envelope, ledger.message(record.id)))
            assert received() - before == len(messages), (received() - before, len(messages))
            ours, server = cpu_seconds(besides=sink.pid), cpu_seconds(sink.pid)
            one = send_raw(port, messages, 1)
            cpu["raw"] += cpu_seconds(besides=sink.pid) - ours
            cpu["raw server"] += cpu_seconds(sink.pid) - server
            parallel = send_raw(port, messages, args.jobs)
            assert received() - before == 3 * len(messages)
            rounds.append((remind_time, one, parallel))
            n += len(messages)

    sink.stdin.close()
    sink.wait(timeout=30)
    remind_time, one, parallel = (sum(r[i] for r in rounds) for i in range(3))
    print(f"organisations:              {args.orgs} in {len(rounds)} rounds, --jobs {args.jobs}")
    print(f"mails sent:                 {n} ({n / args.orgs:.1f} per organisation)")
    print(f"state databases created:    {create_time:.2f} s (before the night, not timed below)")
    print(f"terminarz remind (one day): {remind_time:.2f} s ({remind_time / n * 1000:.2f} ms/mail)")
    print(f"raw sends, one connection:  {one:.2f} s ({one / n * 1000:.2f} ms/mail)")
    print(f"raw sends, {args.jobs} connections:  {parallel:.2f} s "
          f"({parallel / n * 1000:.2f} ms/mail)")  # fmt: skip
    print(f"ratio remind / raw (1 conn): {remind_time / one:.2f}x (for comparison); rounds: "
          + " ".join(f"{r[0] / r[1]:.2f}" for r in rounds))
    ratio = remind_time / parallel  # like for like: as many connections as remind's workers
    print(f"ratio remind / raw ({args.jobs} conn): {ratio:.2f}x (target <= {TARGET:g}x); rounds: "
          + " ".join(f"{r[0] / r[2]:.2f}" for r in rounds))
    print(f"CPU per mail, remind:        terminarz {cpu['remind'] / n * 1000:.2f} ms, "
          f"server {cpu['remind server'] / n * 1000:.2f} ms")
    print(f"CPU per mail, raw (1 conn):  smtplib {cpu['raw'] / n * 1000:.2f} ms, "
          f"server {cpu['raw server'] / n * 1000:.2f} ms")
    print(f"loading the organisation files alone (one thread): {load_time:.2f} s "
          f"({load_time / args.orgs * 1000:.2f} ms/organisation)")
    print("target met" if ratio <= TARGET else "TARGET MISSED")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())

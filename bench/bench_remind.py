"""Benchmark: a national-scale night of ``terminarz remind``.

Generates N organisation files (default 2,500; each a welfare centre with
four units, seven people, one duty with a substitute tier and a data input
from another unit; every tenth with its primary group on leave, so the
substitutes get handover notices), then runs ``terminarz remind`` for one day
(Monday 18 January 2027: the T-10 reminder of MPiPS-03 for 2026 and the day
its data must be requested) over all of them — ``terminarz remind --config f1
--config f2 … --today 2027-01-18``, started as a new process as cron starts it (its
imports and the worker processes it starts are timed) — against an aiosmtpd server on a
loopback port, running in its own process like a real mail server. The processes start in
the benchmark's temporary folder: ``python -m terminarz`` started in the repository's root
would import the checkout beside it instead of the installed package (as it did until the
fourth round of issue 15).

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
in its favour. The CPU lines count this process and its children apart from
the server — ``remind`` and its worker processes, whose fork server outlives
``remind`` for a moment and is waited for here (this process becomes the
"subreaper" of its descendants, Linux only) — and the server.

Then, on ``--parts`` fresh organisations (default 200; 0: none; their files read once
before, as the timed night's are by the loading above — a file's checked result is kept in
the user's cache folder, so only the first night after an edit parses it), the night runs
once more inside this process with one worker, each part of the work timed in
CPU (thread time) by wrapping the functions that do it: loading the
organisation file, planning, composing (the view, the templates, the
iCalendar attachment, the MIME message), the ledger (opening, the run lock,
the transactions, the queries, closing), ``smtplib``, and the rest. It prints
CPU per mail by part next to the raw side's (``smtplib`` and the server) — where
the time goes on both sides.

With ``--instructions N`` (and ``valgrind`` installed) a night of N and one of 3N more fresh
organisations are each worked once more by a new process with one worker under callgrind:
the instructions a mail costs (the difference between the two, over the difference in
mails) and those a run costs besides (imports, templates, catalogues) — counts the
machine's load does not move, unlike every time above.

The state databases are created (empty, migrated) before the timed run;
creating them is timed separately and printed. So every organisation is on
its first night of reminders (the epoch and the lock file are written
during the run; the WAL files are created and removed on every night).

Usage::

    .venv/bin/python bench/bench_remind.py            # 2,500 organisations
    .venv/bin/python bench/bench_remind.py --orgs 200  # a quick look
    .venv/bin/python bench/bench_remind.py --orgs 300 --parts 300  # and where the time goes
    .venv/bin/python bench/bench_remind.py --orgs 200 --instructions 40  # and instructions
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
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


def become_subreaper() -> bool:
    """Make orphaned descendants (``remind``'s fork server, which reaps the worker
    processes and outlives ``remind`` for a moment) children of this process, so that
    :func:`reap` can wait for them and their CPU joins ``os.times()``'s children (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(36, 1, 0, 0, 0) == 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap(*, besides: int, timeout: float = 10.0) -> None:
    """Wait for every child of this process but ``besides`` (the mail server): the
    orphans :func:`become_subreaper` adopted."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
        children = [pid for pid in pids if pid != besides
                    and (fields := _stat(pid)) and int(fields[1]) == os.getpid()]  # fmt: skip
        if not children:
            return
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


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
    parser.add_argument("--instructions", type=int, default=0, metavar="N",
                        help="also count the instructions of a night of N and of 3N fresh "
                        "organisations, one worker (valgrind; 0: not, the default)")
    parser.add_argument("--parts", type=int, default=200, metavar="N",
                        help="CPU per mail by part, on N fresh organisations (0: skip)")
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (apt install valgrind)")
    become_subreaper()

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
            done = subprocess.run([sys.executable, "-m", "terminarz", *argv], cwd=tmp,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  check=False)  # fmt: skip
            remind_time = time.perf_counter() - started
            reap(besides=sink.pid)  # remind's fork server, with its workers' CPU
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

        parts = breakdown(Path(tmp) / "parts", min(args.parts, args.orgs), port, sink.pid)
        counted = [night_instructions(Path(tmp) / f"count-{n}", n, port)
                   for n in (args.instructions, 3 * args.instructions)
                   if args.instructions > 0]  # fmt: skip

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
    # remind cannot take less wall time than its CPU (its own and the server's) spread over
    # every core, nor less than the server's CPU alone (one process): the ratio that CPU
    # allows even if every core were busy all night with nothing else running
    cores = os.cpu_count() or 1
    least = max(cpu["remind server"], (cpu["remind"] + cpu["remind server"]) / cores)
    print(f"least ratio this CPU allows:  {least / parallel:.2f}x ({cores} cores, every one "
          f"busy with the night alone)")
    print(f"loading the organisation files alone (one thread): {load_time:.2f} s "
          f"({load_time / args.orgs * 1000:.2f} ms/organisation)")
    if parts:
        print_breakdown(parts, raw_client=cpu["raw"] / n, raw_server=cpu["raw server"] / n)
    if counted:
        (small, few), (large, many) = counted
        print(f"instructions (callgrind, one worker, a new process): {few / 1e6:,.0f} M for "
              f"{small} mails, {many / 1e6:,.0f} M for {large}: "
              f"{(many - few) / (large - small) / 1e6:.2f} M a mail and "
              f"{(few - small * (many - few) / (large - small)) / 1e6:,.0f} M a run besides "
              "(the imports, the templates, the catalogues)")
    print("target met" if ratio <= TARGET else "TARGET MISSED")
    return 0 if ratio <= TARGET else 1


PARTS = {  # (module, attribute) wrapped → the part its CPU counts to (the innermost wins)
    ("terminarz.org.organisation", "load_organisation"): "load",
    ("terminarz.org.plan", "load_organisation"): "load",
    ("terminarz.org.plan", "load_setup"): "load",
    ("terminarz.notify.nightly", "recorded_setup"): "plan",
    ("terminarz.notify.nightly", "due_mails"): "plan",
    ("terminarz.notify.nightly", "find_date_mails"): "plan",
    ("terminarz.notify.mail", "MailComposer.compose"): "compose: the rest",
    ("terminarz.notify.mail", "MailComposer.view"): "compose: view",
    ("terminarz.notify.mail", "MailRenderer.render_view"): "compose: templates",
    ("terminarz.notify.mail", "event_ics"): "compose: iCalendar",
    ("terminarz.notify.mail", "build_message"): "compose: MIME",
    ("terminarz.notify.mailer", "Mailer.send"): "smtplib",
    ("terminarz.notify.mailer", "Mailer.close"): "smtplib",
    ("terminarz.store.sqlite", "SQLiteStore.__init__"): "ledger: open",
    ("terminarz.store.sqlite", "SQLiteStore.close"): "ledger: close",
    ("filelock", "FileLock.acquire"): "ledger: run lock",
    ("filelock", "FileLock.release"): "ledger: run lock",
    **{("terminarz.store.sqlite", f"SQLiteStore.{name}"): "ledger: write transactions"
       for name in ("check_writable", "claim", "mark_sent", "mark_failed", "finish_night")},
    **{("terminarz.store.sqlite", f"SQLiteStore.{name}"): "ledger: queries"
       for name in ("epoch", "keys", "pending", "message", "confirmations", "receipts",
                    "night_mark", "absences", "designations", "announced_dates")},
}  # fmt: skip


NIGHT = """
import sys
from datetime import date, datetime
from pathlib import Path

from terminarz.notify.runs import run_many

configs = sorted(Path(sys.argv[1]).glob("*.toml"))
outcomes = list(run_many(configs, today=date.fromisoformat(sys.argv[2]), jobs=1, processes=1,
                         clock=lambda: datetime(2027, 1, 18, 5, 0)))
assert all(o.result is not None and o.result.ok for o in outcomes)
print(sum(o.result.sent for o in outcomes if o.result is not None))
"""


def night_instructions(folder: Path, count: int, port: int) -> tuple[int, int]:
    """Mails sent and instructions executed (callgrind, hash seed fixed) by a new process
    working the night of ``count`` fresh organisations (their files read once before, and
    a night of other files worked once before, so that the compiled catalogues and
    templates exist, as on any night but the very first) with one worker."""
    import re

    from terminarz.org.organisation import load_organisation
    from terminarz.store.sqlite import connect

    env = dict(os.environ, PYTHONHASHSEED="0")
    for name in ("warm", "night"):
        where = folder / name
        where.mkdir(parents=True)
        for config in generate(where, count if name == "night" else 2, port):
            connect(where / f"state-{config.stem[4:]}.sqlite3").close()
            load_organisation(config)
        command = [sys.executable, "-c", NIGHT, str(where), DAY]
        if name == "warm":  # (cwd: not the checkout — the installed terminarz is measured)
            subprocess.run(command, env=env, cwd=where, check=True, stdout=subprocess.DEVNULL)
            continue
        done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                               *command], env=env, cwd=where, capture_output=True, text=True,
                              check=True)  # fmt: skip
        found = re.search(r"Collected : (\d+)", done.stderr)
        if found is None:
            raise SystemExit("no instruction count from valgrind")
        return int(done.stdout.split()[-1]), int(found.group(1))
    raise AssertionError("unreachable")


def breakdown(folder: Path, count: int, port: int, server: int) -> dict[str, float] | None:
    """CPU seconds per part (see :data:`PARTS`) of one night of ``count`` fresh
    organisations, one worker in this process; ``mails`` and ``server`` (the server's CPU
    seconds) among them."""
    if count <= 0:
        return None
    import functools
    import importlib
    from collections import defaultdict
    from datetime import date, datetime

    from terminarz.notify.runs import run_many
    from terminarz.store.sqlite import connect

    folder.mkdir()
    configs = generate(folder, count, port)
    from terminarz.org.organisation import load_organisation

    for config in configs:
        connect(folder / f"state-{config.stem[4:]}.sqlite3").close()
        load_organisation(config)  # read once before, as the timed night's files are above
    spent: dict[str, float] = defaultdict(float)
    stack = ["other"]
    mark = [0.0]

    def wrap(function: Callable[..., object], part: str) -> Callable[..., object]:
        @functools.wraps(function)
        def timed(*args: object, **kwargs: object) -> object:
            now = time.thread_time()
            spent[stack[-1]] += now - mark[0]
            stack.append(part)
            mark[0] = now
            try:
                return function(*args, **kwargs)
            finally:
                now = time.thread_time()
                spent[stack.pop()] += now - mark[0]
                mark[0] = now

        return timed

    undo = []
    for (module_name, name), part in PARTS.items():
        owner: object = importlib.import_module(module_name)
        *path, attribute = name.split(".")
        for step in path:
            owner = getattr(owner, step)
        original = getattr(owner, attribute)
        setattr(owner, attribute, wrap(original, part))
        undo.append((owner, attribute, original))
    before = cpu_seconds(server)
    try:
        mark[0] = time.thread_time()
        outcomes = list(run_many(configs, today=date.fromisoformat(DAY), jobs=1, processes=1,
                                 clock=lambda: datetime(2027, 1, 18, 5, 0)))  # fmt: skip
        spent[stack[-1]] += time.thread_time() - mark[0]
    finally:
        for owner, attribute, original in reversed(undo):
            setattr(owner, attribute, original)
    if any(o.result is None or not o.result.ok for o in outcomes):
        raise SystemExit("the night measured by parts did not send everything")
    spent["server"] = cpu_seconds(server) - before
    spent["mails"] = sum(o.result.sent for o in outcomes if o.result is not None)
    spent["organisations"] = count
    return spent


def print_breakdown(spent: dict[str, float], *, raw_client: float, raw_server: float) -> None:
    mails, orgs = spent.pop("mails"), spent.pop("organisations")
    server = spent.pop("server")
    ours = sum(spent.values())
    print(f"CPU per mail by part (one worker in this process, {orgs:g} organisations, "
          f"{mails:g} mails, {mails / orgs:.1f} per organisation):")  # fmt: skip
    for part in sorted(spent, key=lambda p: (p.split(":")[0], -spent[p])):
        print(f"  {part:30s} {spent[part] / mails * 1000:5.2f} ms "
              f"({spent[part] / orgs * 1000:5.2f} ms per organisation)")  # fmt: skip
    print(f"  {'terminarz, in all':30s} {ours / mails * 1000:5.2f} ms; the server "
          f"{server / mails * 1000:.2f} ms")  # fmt: skip
    print(f"  raw side, for comparison:      smtplib {raw_client * 1000:.2f} ms, "
          f"the server {raw_server * 1000:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())

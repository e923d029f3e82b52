"""Benchmark: a national-scale night of ``terminarz remind``.

Generates N organisation files (default 2,500; each a welfare centre with
four units, seven people, one duty with a substitute tier and a data input
from another unit; every tenth with its primary group on leave, so the
substitutes get handover notices), then runs ``terminarz remind`` for one day
(Monday 18 January 2027: the T-10 reminder of MPiPS-03 for 2026 and the day
its data must be requested) over all of them in one process — exactly
``terminarz remind --config f1 --config f2 … --today 2027-01-18`` — against an
aiosmtpd server on a loopback port, running in its own process like a real
mail server.

Then, in the same run and against the same server, it sends the very same
messages (read back from the ledgers) over one SMTP connection with plain
``smtplib`` — the raw cost of the mail itself — and prints both times and
their ratio. Target: at most 1.5×.

The state databases are created (empty, migrated) before the timed run, as
they would exist on any night but the first; creating them is timed
separately and printed.

Usage::

    .venv/bin/python bench/bench_remind.py            # 2,500 organisations
    .venv/bin/python bench/bench_remind.py --orgs 200  # a quick look
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import smtplib
import subprocess
import sys
import tempfile
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


def generate(folder: Path, count: int, port: int) -> list[Path]:
    paths = []
    for n in range(1, count + 1):
        path = folder / f"ops-{n:05d}.toml"
        path.write_text(ORG.format(n=n, port=port, absences=LEAVE if n % 10 == 0 else ""),
                        encoding="utf-8")  # fmt: skip
        paths.append(path)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=2500)
    parser.add_argument("--jobs", type=int, default=None,
                        help="terminarz remind --jobs (default: its own default, 4)")
    args = parser.parse_args()

    from terminarz.cli import main as terminarz
    from terminarz.ledger import Ledger, MailStatus
    from terminarz.state import connect

    sink = subprocess.Popen([sys.executable, "-c", SINK], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert sink.stdout is not None and sink.stdin is not None
    port = int(sink.stdout.readline())

    def received() -> int:
        assert sink.stdin is not None and sink.stdout is not None
        sink.stdin.write("count\n")
        sink.stdin.flush()
        return int(sink.stdout.readline())

    with tempfile.TemporaryDirectory(prefix="terminarz-bench-") as tmp:
        folder = Path(tmp)
        configs = generate(folder, args.orgs, port)

        started = time.perf_counter()
        for config in configs:
            connect(folder / f"state-{config.stem[4:]}.sqlite3").close()
        create_time = time.perf_counter() - started

        # for the breakdown: loading and planning alone (TOML, catalogue, calendars)
        from datetime import date

        from terminarz.plan import default_statutory, load_setup

        statutory = default_statutory()
        started = time.perf_counter()
        for config in configs:
            load_setup(config, today=date.fromisoformat(DAY), statutory=statutory)
        load_time = time.perf_counter() - started

        argv = ["remind", "--today", DAY]
        if args.jobs is not None:
            argv += ["--jobs", str(args.jobs)]
        for config in configs:
            argv += ["--config", str(config)]
        started = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()) as err:
            code = terminarz(argv)
        remind_time = time.perf_counter() - started
        if code != 0:
            print(err.getvalue(), file=sys.stderr)
            raise SystemExit(f"remind exited with {code}")
        sent_by_remind = received()

        messages: list[tuple[str, tuple[str, ...], bytes]] = []
        for config in configs:
            with Ledger.open(folder / f"state-{config.stem[4:]}.sqlite3") as ledger:
                for record in ledger.history():
                    assert record.status is MailStatus.SENT
                    sender = f"terminarz@ops{int(config.stem[4:])}.example.org"
                    messages.append((sender, record.envelope, ledger.message(record.id)))
        assert len(messages) == sent_by_remind, (len(messages), sent_by_remind)

        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as client:
            for sender, recipients, raw in messages:
                client.sendmail(sender, list(recipients), raw)
        raw_time = time.perf_counter() - started
        assert received() == 2 * sent_by_remind

    sink.stdin.close()
    sink.wait(timeout=30)
    n = len(messages)
    print(f"organisations:              {args.orgs}")
    print(f"mails sent:                 {n} ({n / args.orgs:.1f} per organisation)")
    print(f"state databases created:    {create_time:.2f} s (before the night, not timed below)")
    print(f"terminarz remind (one day): {remind_time:.2f} s ({remind_time / n * 1000:.2f} ms/mail)")
    print(f"raw sends of the same mail: {raw_time:.2f} s ({raw_time / n * 1000:.2f} ms/mail)")
    print(f"ratio remind / raw:         {remind_time / raw_time:.2f}x (target <= 1.5x)")
    print(f"  of which loading the organisation files (measured apart, one thread): "
          f"{load_time:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

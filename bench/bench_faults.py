"""Fault scenarios of the nightly run: what is expected, what arrived, what arrived twice.

Each scenario takes the example welfare centre (``calendars/examples/osrodek-1992.toml``)
on Monday 18 January 2027 — six mails to eight addresses (two handover notices go to a
substitute with the absent people in copy) — into a fresh folder, runs real
``terminarz remind`` processes against a real SMTP server on loopback (aiosmtpd) under the
fault, then a normal run, and counts (Message-ID, address) pairs:

* ``oczekiwane``  — the pairs a clean night delivers;
* ``doręczone``   — how many of those arrived at least once;
* ``podwójne``    — pairs that arrived more than once (allowed only after a kill or an
  unanswered end of DATA: at most one repeat, with the same Message-ID).

Scenarios: per-recipient 4xx, slow end-of-DATA, kill mid-run, three runs at once, a
read-only and a full state store (a tmpfs mounted here; skipped where mounting is not
allowed), an endless RRULE in the absence calendar. ``--slow-defaults`` also times one night
with the default settings (timeout 30 s, retries after 2, 10 and 30 s) against a server
that accepts connections but never answers — several minutes by design.

Run from the repository root after the README's test command::

    .venv/bin/python bench/bench_faults.py [--slow-defaults]

Exit code 0 when every scenario delivered everything and duplicated nothing it may not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "calendars" / "examples" / "osrodek-1992.toml"
DAY = "2027-01-18"
SECRET = "sekret-testowy-0123456789abcdef"
Pairs = Counter[tuple[str, str]]


@dataclass
class Sink:
    refuse_rcpt: Callable[[str], str | None] | None = None
    answer_after: float = 0.0
    silent: bool = False
    got: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:  # fmt: skip
        if self.refuse_rcpt is not None:
            reply = self.refuse_rcpt(address)
            if reply is not None:
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = bytes(envelope.original_content or envelope.content)
        message_id = str(message_from_bytes(data, policy=policy.default)["Message-ID"])
        with self.lock:
            self.got.append((message_id, tuple(envelope.rcpt_tos)))
        if self.answer_after:
            await asyncio.sleep(self.answer_after)
        return "250 2.0.0 OK"

    def pairs(self) -> Pairs:
        with self.lock:
            return Counter((m, a) for m, rcpts in self.got for a in rcpts)


class Loopback(Controller):  # type: ignore[misc]
    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@contextlib.contextmanager
def smtp(sink: Sink) -> Iterator[int]:
    controller = Loopback(sink, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield int(controller.port)
    finally:
        controller.stop()


def terminarz() -> str:
    found = shutil.which("terminarz", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("no `terminarz` next to this interpreter: run the README's install")
    return found


def organisation(folder: Path, *, smtp_extra: str = "", state: str = "state.sqlite3",
                 extra: str = "") -> Path:  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLE.parent / "urlopy.ics", folder / "urlopy.ics")
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        'sender = "terminarz@example.org"',
        f'sender = "terminarz@example.org"\nretry_delays = [0, 0]\n{smtp_extra}')
    config = folder / "org.toml"
    config.write_text(f'{text}\n[state]\npath = "{state}"\n{extra}', encoding="utf-8")
    return config


def remind(config: Path, port: int, **popen: Any) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TERMINARZ_SECRET": SECRET, "TERMINARZ_SMTP_HOST": "127.0.0.1",
           "TERMINARZ_SMTP_PORT": str(port), "TERMINARZ_SMTP_SECURITY": "none"}
    return subprocess.Popen([terminarz(), "remind", "--config", str(config), "--today", DAY],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            **popen)  # fmt: skip


def run(config: Path, port: int) -> int:
    process = remind(config, port)
    process.communicate(timeout=600)
    return process.returncode


@dataclass
class Outcome:
    name: str
    expected: int
    delivered: int
    duplicated: int
    allowed_repeats: int  # how many pairs may arrive twice in this scenario
    note: str = ""
    skipped: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.skipped) or (self.delivered == self.expected
                                      and self.duplicated <= self.allowed_repeats)


def measure(name: str, expected: Pairs, got: Pairs, allowed: int, note: str = "") -> Outcome:
    delivered = sum(1 for key in expected if got[key] > 0)
    duplicated = sum(1 for count in got.values() if count > 1)
    if any(count > 2 for count in got.values()):
        allowed = -1  # more than one repeat is never allowed
    return Outcome(name, len(expected), delivered, duplicated, allowed, note)


def clean_night(base: Path) -> Pairs:
    sink = Sink()
    with smtp(sink) as port:
        assert run(organisation(base / "czysta"), port) == 0
    return sink.pairs()


def per_recipient(base: Path, expected: Pairs) -> Outcome:
    refused = "zastepca.dsps@example.org"
    config = organisation(base / "4xx")
    sink = Sink(refuse_rcpt=lambda a: "451 4.2.1 chwilowo niedostępna" if a == refused else None)
    with smtp(sink) as port:
        first = run(config, port)
        sink.refuse_rcpt = None
        second = run(config, port)
    return measure("odmowa 4xx jednego adresata", expected, sink.pairs(), 0,
                   f"kody wyjścia {first}, {second}")


def slow_end_of_data(base: Path, expected: Pairs) -> Outcome:
    config = organisation(base / "wolny", smtp_extra="timeout = 1")
    sink = Sink(answer_after=2.5)
    with smtp(sink) as port:
        first = run(config, port)
        sink.answer_after = 0
        second = run(config, port)
        third = run(config, port)
    return measure("brak odpowiedzi po DATA", expected, sink.pairs(), len(expected),
                   f"kody wyjścia {first}, {second}, {third}")


def killed(base: Path, expected: Pairs) -> Outcome:
    config = organisation(base / "zabity")
    sink = Sink(answer_after=0.5)
    with smtp(sink) as port:
        process = remind(config, port)
        deadline = time.monotonic() + 60
        while not sink.got and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.25)  # inside the second mail's end of DATA
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        before = len(sink.got)
        sink.answer_after = 0
        second = run(config, port)
    return measure("przebieg zabity w trakcie", expected, sink.pairs(), 1,
                   f"zabity po odebraniu {before} wiadomości przez serwer; kod wyjścia "
                   f"potem {second}")


def at_once(base: Path, expected: Pairs) -> Outcome:
    config = organisation(base / "naraz")
    sink = Sink(answer_after=0.2)  # the three runs overlap for certain
    with smtp(sink) as port:
        processes = [remind(config, port) for _ in range(3)]
        codes = [p.wait(timeout=120) for p in processes]
    return measure("trzy przebiegi naraz", expected, sink.pairs(), 0, f"kody wyjścia {codes}")


@contextlib.contextmanager
def small_disk(folder: Path) -> Iterator[Path | None]:
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                             capture_output=True)  # fmt: skip
    try:
        yield folder if mounted.returncode == 0 else None
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def store_fault(base: Path, expected: Pairs, kind: str) -> Outcome:
    name = "baza stanu tylko do odczytu" if kind == "ro" else "pełny dysk bazy stanu"
    with small_disk(base / f"dysk-{kind}") as disk:
        if disk is None:
            return Outcome(name, len(expected), 0, 0, 0, skipped="nie można zamontować tmpfs")
        config = organisation(base / f"org-{kind}", state=str(disk / "state.sqlite3"))
        sink = Sink()
        with smtp(sink) as port:
            # the night starts on a working store, so the fault hits an existing database
            prepared = Sink()
            with smtp(prepared) as other:
                remind(config, other).communicate(timeout=120)
            codes = []
            filler = disk / "wypelniacz"
            if kind == "ro":
                subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
            else:
                with open(filler, "wb") as f, contextlib.suppress(OSError):
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
            codes.append(run(config, port))
            during = sink.pairs()
            if kind == "ro":
                subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
            else:
                filler.unlink()
            codes.append(run(config, port))
        got = prepared.pairs() + sink.pairs()
    return measure(name, expected, got, 0,
                   f"w czasie awarii wysłano {sum(during.values())}; kody wyjścia {codes}")


ENDLESS = """BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//PL\r\nBEGIN:VEVENT\r
UID:bez-konca@example.org\r\nDTSTART;VALUE=DATE:20270104\r\nDTEND;VALUE=DATE:20270105\r
SUMMARY:Urlop\r\nRRULE:FREQ=MINUTELY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"""


def endless_rrule(base: Path, expected: Pairs) -> Outcome:
    folder = base / "rrule"
    config = organisation(folder)
    (folder / "urlopy.ics").write_text(ENDLESS, encoding="utf-8")
    sink = Sink()
    started = time.monotonic()
    with smtp(sink) as port:
        process = remind(config, port)
        _, err = process.communicate(timeout=120)
    seconds = time.monotonic() - started
    got = sink.pairs()
    outcome = Outcome("nieskończona reguła RRULE w kalendarzu nieobecności", 0,
                      sum(got.values()), 0, 0,
                      f"{seconds:.1f} s, kod wyjścia {process.returncode}: "
                      f"{err.decode(errors='replace').strip().splitlines()[-1][-110:]}")
    if process.returncode != 2 or seconds > 30:
        outcome.allowed_repeats = -1
    return outcome


def slow_defaults(base: Path) -> str:
    """One night with the default timeout and retries against a server that never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # accepts connections, never says a word
    port = listener.getsockname()[1]
    folder = base / "domyslne"
    folder.mkdir()
    shutil.copy(EXAMPLE.parent / "urlopy.ics", folder / "urlopy.ics")
    config = folder / "org.toml"
    config.write_text(EXAMPLE.read_text(encoding="utf-8") + '\n[state]\npath = "s.sqlite3"\n',
                      encoding="utf-8")  # fmt: skip
    started = time.monotonic()
    code = run(config, port)
    listener.close()
    return (f"domyślne ustawienia (timeout 30 s, ponowienia po 2, 10, 30 s), serwer milczy: "
            f"{time.monotonic() - started:.0f} s, kod wyjścia {code}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slow-defaults", action="store_true",
                        help="also time the default settings against a silent server (minutes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="terminarz-awarie-") as tmp:
        base = Path(tmp)
        expected = clean_night(base)
        outcomes = [per_recipient(base, expected), slow_end_of_data(base, expected),
                    killed(base, expected), at_once(base, expected),
                    store_fault(base, expected, "ro"), store_fault(base, expected, "full"),
                    endless_rrule(base, expected)]  # fmt: skip
        print(f"{'scenariusz':<52} {'oczekiwane':>10} {'doręczone':>10} {'podwójne':>9}")
        for o in outcomes:
            if o.skipped:
                print(f"{o.name:<52} {'—':>10} {'—':>10} {'—':>9}  pominięto: {o.skipped}")
                continue
            mark = "" if o.ok else "  ← NIEZGODNE"
            print(f"{o.name:<52} {o.expected:>10} {o.delivered:>10} {o.duplicated:>9}{mark}")
            if o.note:
                print(f"    {o.note}")
        if args.slow_defaults:
            print(slow_defaults(base))
    failed = [o.name for o in outcomes if not o.ok]
    if failed:
        print("NIEZGODNE: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

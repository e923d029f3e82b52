"""Fuzz the catalogue and organisation loaders with malformed files (hypothesis).

Every case starts from a valid file (the bundled catalogue or an example
organisation) and applies one to three mutations: broken TOML, wrong value
types, missing and unknown keys, impossible dates, dangling ids, huge values,
non-UTF-8 bytes, random text — and the input classes of issue 12: special files
in place of the file or of its absence calendar (``/dev/zero``, ``/dev/urandom``,
a FIFO, a 4 GB sparse file, a directory, a symlink to a device), endless
recurrences in the absence calendar (``FREQ=SECONDLY``, ``INTERVAL=0``, ``BYxxx``
lists, starts in year 1 or 9999), year overflow (``valid_to = "9999-Q4"``,
overrides in 9999, dates near ``date.max``) and control characters (NUL, ESC,
CR, LF, VT, DEL, C1, U+2028) in names, addresses and the mail sender. The
loader must either accept the file or raise a ``TerminarzError`` whose message
names the file — never another exception. A loaded organisation is also
cross-checked against its catalogues and planned for a year, which must not
raise anything but a ``TerminarzError`` either, and a mail to every person is
built (no control character may reach a header, no
line may pass 998 octets). Each case runs under a 30-second alarm: a hang is a
failure.

Run (at least 1,000 cases; prints how many were tried and how many failed)::

    .venv/bin/python bench/fuzz_loaders.py --cases 1000

Exit code 0 when nothing failed, 1 otherwise. ``tests/test_fuzz_loaders.py``
runs a sample of the same cases in the test suite.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from terminarz.errors import TerminarzError  # noqa: E402
from terminarz.law.catalogue import load_catalogues  # noqa: E402
from terminarz.org.organisation import cross_check, load_organisation  # noqa: E402
from terminarz.org.plan import load_setup, plan  # noqa: E402

CALENDARS = ROOT / "calendars"
BASES = {
    "catalogue": [CALENDARS / "mpips-1992.toml"],
    "organisation": [CALENDARS / "examples" / "osrodek-1992.toml",
                     CALENDARS / "examples" / "urzad-pracy.toml"],
}  # fmt: skip
SIDE_FILES = [CALENDARS / "examples" / "urlopy.ics"]  # what the example organisation reads

_KEY_LINE = re.compile(rb"^\s*([A-Za-z0-9_\-\"]+)\s*=\s*(.*)$")
_HEADER = re.compile(rb"^\s*\[")
_DATE = re.compile(rb"\d{4}-\d{2}-\d{2}")
_STRING = re.compile(rb'"[^"\n]*"')

WRONG_VALUES = [
    b"42", b"-1", b"0", b"true", b"false", b'"tekst"', b'""', b"3.14", b"inf", b"nan", b"[]",
    b'[1, "a"]', b"[[1], [2]]", b"{ a = 1 }", b"{}", b"1979-05-27T07:32:00Z", b"07:32:00",
    b"2026-01-31", b'["kier-dsps"]', b'[["nikt"]]', b"[true]", b'"\\n"', b'"a\\r\\nBcc: x@y.pl"',
    b'"mpips-03@ops/2026-13"', b'"*"', b'"../../etc/passwd"', b'"http://"',
]  # fmt: skip
IMPOSSIBLE_DATES = [
    b"2026-02-30", b"2026-13-01", b"2026-00-10", b"0001-01-01", b"9999-12-31", b"1989-12-31",
    b'"2026-02-29"', b'"31.01.2026"', b"2101-01-01", b"2026-1-1",
]  # fmt: skip
HUGE = [
    b"9" * 30, b"-" + b"9" * 25, b"1e308", b'"' + b"a" * 120_000 + b'"', b"[" * 400 + b"]" * 400,
    b"[" + b"1, " * 20_000 + b"1]", b"0x7fffffffffffffff", b'"' + "ż".encode() * 30_000 + b'"',
]  # fmt: skip
JUNK = [b"[", b"]", b"[[", b"=", b'"', b"'''", b"{", b"}", b"\n[[", b"= =", b"\x00", b"\\u",
        b"\n[organisation]\n", b"\n[[obligations]]\n", b"#", b",", b"\t", b"\r"]  # fmt: skip
NON_UTF8 = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xa1", b"\xe9t\xe9", b"\xed\xa0\x80"]
IDS = [b'"nikt"', b'"dsps2"', b'"mpips-99@ops"', b'"mpips-03@ops/1800"', b'"KIER DSPS"', b'""']


@dataclass(frozen=True, slots=True)
class Case:
    kind: str  # "catalogue" or "organisation"
    base: str
    mutations: tuple[str, ...]
    data: bytes
    special: str | None = None  # the file itself is a special file (see SPECIAL)
    side: bytes | None = None  # the absence calendar's contents, when mutated
    side_special: str | None = None  # the absence calendar is a special file


SPECIAL = ["/dev/zero", "/dev/urandom", "/dev/null", "fifo", "sparse", "directory",
           "symlink-zero"]  # fmt: skip
ENDLESS_RULES = [
    "FREQ=SECONDLY", "FREQ=MINUTELY", "FREQ=HOURLY", "FREQ=DAILY;INTERVAL=0",
    "FREQ=WEEKLY;INTERVAL=-1", "FREQ=SECONDLY;INTERVAL=0", "FREQ=DAILY;COUNT=999999999",
    "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12;BYMINUTE=0,15,30,45",
    "FREQ=DAILY;BYSECOND=" + ",".join(str(i) for i in range(60)),
    "FREQ=YEARLY;BYYEARDAY=1,2,3,4,5,6,7,8,9,10;BYWEEKNO=1,2,3", "FREQ=DAILY;UNTIL=99991231",
    "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2", "FREQ=DAILY;INTERVAL=999999999", "FREQ=BOGUS",
    "FREQ=DAILY;UNTIL=00010101", "", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYSETPOS=-1",
]  # fmt: skip
ENDLESS_STARTS = ["20260101T080000Z", "00010101T000000Z", "99991231T235959Z", "19000101",
                  "20260101", "18991231", "99990101", "20261124T000000"]  # fmt: skip
CONTROL_CHARS = ["\\u0000", "\\u001b", "\\u000b", "\\u000c", "\\u007f", "\\u0085",
                 "\\u2028", "\\r", "\\n", "\\t", "\\u001b[31m",
                 "\\r\\nBcc: x@evil.example"]  # fmt: skip
OVERFLOW = [
    b'\nvalid_to = "9999-Q4"\n', b'\nvalid_from = "0001-01"\n', b'\nvalid_to = "9999"\n',
    b'\n[[overrides]]\noccurrence = "mpips-03@ops/9999"\ndue = 9999-12-31\nbasis = "x"\n',
    b'\n[[overrides]]\noccurrence = "mpips-03@ops/2026"\ndue = 9999-12-31\nbasis = "x"\n',
    b'\n[[overrides]]\noccurrence = "mpips-03@ops/2026"\ndue = 2207-01-29\nbasis = "x"\n',
    b'\n[[overrides]]\noccurrence = "mpips-03@ops/0001"\ndue = 0001-01-01\nbasis = "x"\n',
    b'\n[[absences]]\nperson = "kier-dsps"\nfrom = 0001-01-01\nto = 9999-12-31\n',
    b'\n[[absences]]\nperson = "kier-dsps"\nfrom = 9999-12-31\nto = 9999-12-31\n',
    b'\n[[designations]]\nperson = "kier-dsps"\ntarget = "mpips-03@ops/9999"\n'
    b'from = 9999-12-30\nto = 9999-12-31\nbasis = "x"\n',
]  # fmt: skip


@st.composite
def malformed(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(sorted(BASES)))
    base = draw(st.sampled_from(BASES[kind]))
    data = base.read_bytes()
    names = []
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(MUTATIONS)))
        data = MUTATIONS[name](draw, data)
        names.append(name)
    special = side = side_special = None
    new_class = draw(st.integers(0, 9))
    if new_class <= 2 and draw(st.booleans()):  # the new input class alone, on a valid file
        data, names = base.read_bytes(), []
    if new_class == 0:  # one case in ten: a special file
        name = draw(st.sampled_from(SPECIAL))
        if kind == "organisation" and draw(st.booleans()):
            side_special = name
            names.append(f"special-absence-source:{name}")
        else:
            special = name
            names.append(f"special-file:{name}")
    elif kind == "organisation" and new_class in (1, 2):
        side = endless_calendar(draw)
        names.append("endless-recurrence")
    return Case(kind=kind, base=base.name, mutations=tuple(names), data=data, special=special,
                side=side, side_special=side_special)


def endless_calendar(draw: st.DrawFn) -> bytes:
    """An absence calendar with one to three hostile recurring events."""
    events = []
    for index in range(draw(st.integers(1, 3))):
        rule = draw(st.sampled_from(ENDLESS_RULES))
        start = draw(st.sampled_from(ENDLESS_STARTS))
        value = ";VALUE=DATE:" if len(start) == 8 else ":"
        events.append(
            f"BEGIN:VEVENT\r\nUID:e{index}@fuzz\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART{value}{start}\r\n" + (f"RRULE:{rule}\r\n" if rule else "")
            + f"SUMMARY:kier-dsps {draw(st.sampled_from(['urlop', 'x' * 300, 'ż']))}\r\n"
            "END:VEVENT\r\n"
        )
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fuzz//PL\r\n" + "".join(events)
            + "END:VCALENDAR\r\n").encode()  # fmt: skip


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _key_lines(lines: list[bytes]) -> list[int]:
    return [i for i, line in enumerate(lines) if _KEY_LINE.match(line)] or [0]


def broken_toml(draw: st.DrawFn, data: bytes) -> bytes:
    if draw(st.booleans()):
        return data[: draw(st.integers(0, len(data)))]
    at = draw(st.integers(0, len(data)))
    return data[:at] + draw(st.sampled_from(JUNK)) + data[at:]


def wrong_type(draw: st.DrawFn, data: bytes) -> bytes:
    lines = _lines(data)
    i = draw(st.sampled_from(_key_lines(lines)))
    m = _KEY_LINE.match(lines[i])
    if m:
        lines[i] = m.group(1) + b" = " + draw(st.sampled_from(WRONG_VALUES))
    return b"\n".join(lines)


def missing_key(draw: st.DrawFn, data: bytes) -> bytes:
    lines = _lines(data)
    candidates = _key_lines(lines) + [i for i, line in enumerate(lines) if _HEADER.match(line)]
    del lines[draw(st.sampled_from(candidates))]
    return b"\n".join(lines)


def unknown_key(draw: st.DrawFn, data: bytes) -> bytes:
    lines = _lines(data)
    headers = [i for i, line in enumerate(lines) if _HEADER.match(line)] or [0]
    i = draw(st.sampled_from(headers))
    extra = draw(st.sampled_from([b"nieznany_klucz = 1", b'telefon = "123"', b"\n[[cos]]\na = 1",
                                  b"\n[inne]\n", b'"id" = "duplikat"']))  # fmt: skip
    lines.insert(i + 1, extra)
    return b"\n".join(lines)


def impossible_date(draw: st.DrawFn, data: bytes) -> bytes:
    found = list(_DATE.finditer(data))
    replacement = draw(st.sampled_from(IMPOSSIBLE_DATES))
    if not found:
        return data + b"\nvalid_from = " + replacement
    m = draw(st.sampled_from(found))
    return data[: m.start()] + replacement + data[m.end() :]


def dangling_id(draw: st.DrawFn, data: bytes) -> bytes:
    found = list(_STRING.finditer(data))
    if not found:
        return data
    m = draw(st.sampled_from(found))
    return data[: m.start()] + draw(st.sampled_from(IDS)) + data[m.end() :]


def huge_value(draw: st.DrawFn, data: bytes) -> bytes:
    lines = _lines(data)
    i = draw(st.sampled_from(_key_lines(lines)))
    m = _KEY_LINE.match(lines[i])
    if m:
        lines[i] = m.group(1) + b" = " + draw(st.sampled_from(HUGE))
    if draw(st.booleans()):  # many entries of one table
        lines.append(b"\n[[people]]\nid = \"p\"\n" * draw(st.integers(2, 300)))
    return b"\n".join(lines)


def non_utf8(draw: st.DrawFn, data: bytes) -> bytes:
    if draw(st.booleans()):
        encoding = draw(st.sampled_from(["cp1250", "iso-8859-2", "utf-16"]))
        return data.decode("utf-8", "replace").encode(encoding, "replace")
    at = draw(st.integers(0, len(data)))
    return data[:at] + draw(st.sampled_from(NON_UTF8)) + data[at:]


def random_text(draw: st.DrawFn, data: bytes) -> bytes:
    at = draw(st.integers(0, len(data)))
    return data[:at] + draw(st.text(max_size=40)).encode("utf-8", "surrogatepass") + data[at:]


def year_overflow(draw: st.DrawFn, data: bytes) -> bytes:
    if draw(st.booleans()):
        return data + draw(st.sampled_from(OVERFLOW))
    found = list(_DATE.finditer(data))
    if not found:
        return data + draw(st.sampled_from(OVERFLOW))
    m = draw(st.sampled_from(found))
    extreme = draw(st.sampled_from([b"9999-12-31", b"0001-01-01", b"9999-12-30", b"2199-12-31"]))
    return data[: m.start()] + extreme + data[m.end() :]


def control_characters(draw: st.DrawFn, data: bytes) -> bytes:
    """A control character inside a quoted string: a name, an address, the sender, a path."""
    found = list(_STRING.finditer(data))
    char = draw(st.sampled_from(CONTROL_CHARS)).encode()
    if draw(st.integers(0, 4)) == 0:
        found = []  # also: the sender, which the examples may not have
    if not found:
        return data + b'\n[smtp]\nsender = "Terminarz' + char + b' <t@example.org>"\n'
    m = draw(st.sampled_from(found))
    inside = draw(st.integers(m.start() + 1, m.end() - 1))
    return data[:inside] + char + data[inside:]


MUTATIONS = {
    "broken-toml": broken_toml, "wrong-type": wrong_type, "missing-key": missing_key,
    "unknown-key": unknown_key, "impossible-date": impossible_date, "dangling-id": dangling_id,
    "huge-value": huge_value, "non-utf8": non_utf8, "random-text": random_text,
    "year-overflow": year_overflow, "control-characters": control_characters,
}  # fmt: skip


def _make_special(name: str, path: Path) -> None:
    """Put the special file ``name`` (see :data:`SPECIAL`) at ``path``."""
    import os

    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    if name.startswith("/dev/"):
        path.symlink_to(name)
    elif name == "symlink-zero":
        path.symlink_to("/dev/zero")
    elif name == "fifo":
        os.mkfifo(path)
    elif name == "sparse":
        with path.open("wb") as handle:
            handle.truncate(4 * 1024**3)
    elif name == "directory":
        path.mkdir()


def _clear(path: Path) -> None:
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


class Hang(Exception):
    """A case ran longer than its alarm."""


def _headers_problem(organisation: object) -> str | None:
    """Build a mail to every person; a control character in a header or a line over 998
    octets is a problem (a ``TerminarzError`` is an acceptable refusal)."""
    from terminarz.notify.mail import Rendered, build_message

    people = getattr(organisation, "people", ())
    sender = getattr(getattr(organisation, "settings", None), "smtp", None)
    for person in people:
        try:
            raw = build_message(
                rendered=Rendered(subject=f"Przypomnienie {person.name}", text="t\n",
                                  html="<p>t</p>"),
                sender=sender.sender if sender is not None else "t@example.org",
                to=(person.name, person.email), cc=[(person.name, person.email)],
                message_id="<fuzz@example.org>", date=_NOW,
            )  # fmt: skip
        except TerminarzError:
            continue
        head = raw.split(b"\r\n\r\n", 1)[0]
        for line in head.split(b"\r\n"):
            if len(line) > 998 or any((b < 0x20 and b != 0x09) or b == 0x7F for b in line):
                return f"header line {line[:80]!r}… ({len(line)} octets)"
    return None



def check_case(case: Case, folder: Path) -> tuple[str, str | None]:
    """Run the loaders on ``case``: (outcome, None) when they behaved, else (outcome, what
    went wrong). Outcomes: ``loaded``, ``rejected`` (a TerminarzError), ``failed``.

    An organisation may name another catalogue file; an error in that file may name
    it instead of the organisation file.
    """
    import signal

    path = folder / f"{case.kind}.toml"
    _clear(path)
    if case.special is not None:
        _make_special(case.special, path)
    else:
        path.write_bytes(case.data)
    for side in SIDE_FILES:
        _clear(folder / side.name)
        if case.side_special is not None:
            _make_special(case.side_special, folder / side.name)
        elif case.side is not None:
            (folder / side.name).write_bytes(case.side)
        else:
            shutil.copy(side, folder / side.name)
    named = [str(path)]

    def alarm(signum: int, frame: object) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(ALARM_SECONDS)
    try:
        return _check(case, path, named)
    except Hang:
        return "failed", f"hang: still running after {ALARM_SECONDS} s"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


ALARM_SECONDS = 30
_NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def _check(case: Case, path: Path, named: list[str]) -> tuple[str, str | None]:
    try:
        if case.kind == "catalogue":
            load_catalogues([path])
        else:
            organisation = load_organisation(path)
            named += [str(p) for p in organisation.catalogue_paths]
            catalogues = load_catalogues(list(organisation.catalogue_paths))
            cross_check(organisation, catalogues.obligations, catalogues.levels)
            if all(not s.is_url for s in organisation.absence_sources):
                setup = load_setup(path, today=date(2026, 11, 24))
                plan(setup, date(2026, 1, 1), date(2027, 12, 31), today=date(2026, 11, 24))
            problem = _headers_problem(organisation)
            if problem is not None:
                return "failed", problem
    except Hang:
        raise
    except TerminarzError as exc:
        if not any(name in str(exc) for name in named):
            return "failed", f"TerminarzError without the file name: {exc}"
        return "rejected", None
    except Exception:
        return "failed", "another exception:\n" + traceback.format_exc(limit=6)
    return "loaded", None


@dataclass(frozen=True, slots=True)
class Report:
    tried: int
    failures: list[tuple[Case, str]]
    mutations: Counter[str]
    outcomes: Counter[str]


def run(cases: int, seed: int | None = None) -> Report:
    """Try ``cases`` malformed files (hypothesis, generation only, no shrinking)."""
    tried = 0
    failures: list[tuple[Case, str]] = []
    used: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="terminarz-fuzz-") as tmp:
        folder = Path(tmp)

        @settings(
            max_examples=cases, phases=[Phase.generate], database=None, deadline=None,
            suppress_health_check=list(HealthCheck), derandomize=seed is None,
        )  # fmt: skip
        @given(malformed())
        def one(case: Case) -> None:
            nonlocal tried
            tried += 1
            used.update(case.mutations)
            outcome, problem = check_case(case, folder)
            outcomes[f"{case.kind} {outcome}"] += 1
            if problem is not None:
                failures.append((case, problem))

        if seed is not None:
            from hypothesis import seed as with_seed

            one = with_seed(seed)(one)
        one()
    return Report(tried=tried, failures=failures, mutations=used, outcomes=outcomes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000, help="how many files (default 1000)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: fixed)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    report = run(args.cases, args.seed)
    elapsed = time.perf_counter() - start
    tried, failures = report.tried, report.failures
    print(f"tried: {tried}  failed: {len(failures)}  time: {elapsed:.1f} s "
          f"({1000 * elapsed / max(tried, 1):.1f} ms per case)")  # fmt: skip
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items())))
    print("mutations: " + ", ".join(f"{k} {v}" for k, v in sorted(report.mutations.items())))
    for case, problem in failures[:5]:
        print(f"\n--- {case.kind} from {case.base}, mutations {', '.join(case.mutations)}")
        print(problem)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

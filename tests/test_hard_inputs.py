"""Inputs that never end or are not files: special files as configuration, catalogue or
absence source, endless recurrences, oversized downloads, malformed source addresses.

Every case runs the real console script (or the real loader) against real files, FIFOs,
devices and a real HTTP server on loopback, under a timeout: a hang fails the test.
"""

from __future__ import annotations

import http.server
import os
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import RunCli
from test_duties_absences import ics, write_org

from terminarz.errors import Severity, TerminarzError
from terminarz.org.absences import MAX_INSTANCES, load_source_absences, read_source_bytes
from terminarz.org.organisation import AbsenceSource, load_organisation
from terminarz.tomlcheck import read_limited

SPECIAL = ["/dev/zero", "/dev/urandom"]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "potok.toml"
    os.mkfifo(path)
    return path


@pytest.fixture
def sparse(tmp_path: Path) -> Path:
    path = tmp_path / "ogromny.toml"
    with path.open("wb") as handle:
        handle.truncate(4 * 1024**3)  # 4 GB of holes
    return path


def _special(name: str, fifo: Path, sparse: Path) -> str:
    return {"fifo": str(fifo), "sparse": str(sparse)}.get(name, name)


@pytest.mark.parametrize("kind", [*SPECIAL, "fifo", "sparse"])
@pytest.mark.parametrize("option", ["--config", "--catalogue"])
def test_special_file_as_config_or_catalogue(
    run_cli: RunCli, kind: str, option: str, fifo: Path, sparse: Path
):
    target = _special(kind, fifo, sparse)
    started = time.monotonic()
    result = run_cli("due", "--month", "2026-01", option, target, timeout=30)
    assert time.monotonic() - started < 20
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert target in result.stderr
    assert ("nie jest zwykłym plikiem" in result.stderr) or ("zbyt duży" in result.stderr)


@pytest.mark.parametrize("kind", [*SPECIAL, "fifo", "sparse"])
def test_special_file_as_absence_source(tmp_path: Path, kind: str, fifo: Path, sparse: Path):
    target = _special(kind, fifo, sparse)
    source = AbsenceSource(source=target, base=tmp_path)
    started = time.monotonic()
    with pytest.raises(TerminarzError) as info:
        read_source_bytes(source)
    assert time.monotonic() - started < 5
    assert target in str(info.value)
    assert "kalendarz nieobecności" in str(info.value)


def test_read_limit_enforced_while_reading(tmp_path: Path):
    path = tmp_path / "a.toml"
    path.write_bytes(b"x" * 101)
    with pytest.raises(TerminarzError, match="zbyt duży"):
        read_limited(path, 100)
    assert read_limited(path, 101) == b"x" * 101
    with pytest.raises(TerminarzError, match="znak NUL"):
        read_limited(Path(str(tmp_path) + "/a\0b.toml"), 100)


ENDLESS = [
    "FREQ=MINUTELY",
    "FREQ=SECONDLY",
    "FREQ=HOURLY;INTERVAL=1",
    "FREQ=DAILY;INTERVAL=0",
    "FREQ=SECONDLY;INTERVAL=0",
    "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11;BYMINUTE=0,1,2,3,4,5,6,7,8,9",
]


@pytest.mark.parametrize("rule", ENDLESS)
def test_endless_recurrence_is_an_error_naming_file_and_event(
    tmp_path: Path, run_cli: RunCli, rule: str
):
    (tmp_path / "hr.ics").write_bytes(ics(
        "DTSTART:20200101T080000Z\r\nDTEND:20200101T090000Z\r\n"
        f"SUMMARY:Szkolenie a1\r\nRRULE:{rule}"
    ))  # fmt: skip
    config = write_org(tmp_path, '\n[[absence_sources]]\nsource = "hr.ics"\n')
    started = time.monotonic()
    result = run_cli("who", "mpips-03@ops/2026", "--config", str(config),
                     "--today", "2026-11-24", timeout=30)  # fmt: skip
    assert time.monotonic() - started < 20
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert str(tmp_path / "hr.ics") in result.stderr
    assert "„Szkolenie a1” (UID e0@example.org)" in result.stderr

    # on_error = "skip": a warning, and the command answers.
    config = write_org(tmp_path, '\n[[absence_sources]]\nsource = "hr.ics"\non_error = "skip"\n')
    result = run_cli("who", "mpips-03@ops/2026", "--config", str(config),
                     "--today", "2026-11-24", timeout=30)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "ostrzeżenie" in result.stderr and "pominięto to źródło" in result.stderr
    assert "Szkolenie a1" in result.stderr
    result = run_cli("check", "--config", str(config), timeout=30)
    assert "Traceback" not in result.stderr
    assert "pominięto to źródło" in result.stdout + result.stderr


def test_too_many_instances_are_capped(tmp_path: Path):
    events = [
        f"DTSTART;VALUE=DATE:20260101\r\nRRULE:FREQ=DAILY\r\nSUMMARY:Dyżur a1 {i}"
        for i in range(MAX_INSTANCES // 300 + 1)
    ]
    (tmp_path / "hr.ics").write_bytes(ics(*events))
    config = write_org(tmp_path, '\n[[absence_sources]]\nsource = "hr.ics"\non_error = "skip"\n')
    organisation = load_organisation(config)
    started = time.monotonic()
    absences, problems = load_source_absences(
        organisation, window=(date(2026, 1, 1), date(2026, 12, 31))
    )
    assert time.monotonic() - started < 20
    assert absences == []
    assert [p.severity for p in problems] == [Severity.WARNING]
    assert f"ponad {MAX_INSTANCES} wystąpień" in problems[0].message
    assert "Dyżur a1" in problems[0].message


class _Endless(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        if self.path == "/naglowek.ics":
            self.send_header("Content-Length", str(10**12))
        self.end_headers()
        try:
            chunk = b"X" * 65536
            for _ in range(2000):  # 130 MB at most, far over the limit
                self.wfile.write(chunk)
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endless_http() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Endless)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("name", ["strumien.ics", "naglowek.ics"])
def test_download_limit_enforced_while_reading(endless_http: str, name: str):
    source = AbsenceSource(source=f"{endless_http}/{name}", timeout=10)
    with pytest.raises(TerminarzError, match="zbyt duży"):
        read_source_bytes(source)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://[::1", "niezamknięty nawias"),
        ("http://[::1/x.ics", "niezamknięty nawias"),
        ("http://localhost:abc/x.ics", "portu"),
        ("http://localhost:99999/x.ics", "portu"),
        ("http:///x.ics", "nazwy serwera"),
    ],
)
def test_malformed_source_url_is_a_check_error(
    tmp_path: Path, run_cli: RunCli, url: str, expected: str
):
    config = write_org(tmp_path, f'\n[[absence_sources]]\nsource = "{url}"\n')
    for args in (("check", "--config", str(config)),
                 ("due", "--config", str(config), "--month", "2026-01")):  # fmt: skip
        result = run_cli(*args)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert expected in result.stdout + result.stderr


def test_special_absence_source_via_cli_names_the_entry(tmp_path: Path, run_cli: RunCli):
    config = write_org(tmp_path, '\n[[absence_sources]]\nsource = "/dev/zero"\n')
    result = run_cli("due", "--config", str(config), "--month", "2026-01", timeout=30)
    assert result.returncode == 2
    assert "/dev/zero" in result.stderr and "nie jest zwykłym plikiem" in result.stderr
    assert f"{config}(" in result.stderr


def test_prefilter_drops_only_events_clearly_outside_the_window(monkeypatch: pytest.MonkeyPatch):
    """The text scan before parsing changes nothing but the speed: the absences found are
    the same as without it, for events inside, around and far outside the window."""
    from test_duties_absences import ORG, spans

    import terminarz.org.absences as absences

    events = [
        "DTSTART;VALUE=DATE:20270118\r\nDTEND;VALUE=DATE:20270206\r\nSUMMARY:anna urlop",
        "DTSTART;VALUE=DATE:20200118\r\nDTEND;VALUE=DATE:20200206\r\nSUMMARY:anna dawno",
        "DTSTART;VALUE=DATE:20351231\r\nSUMMARY:anna kiedyś",
        "DTSTART;TZID=Europe/Warsaw:20261231T230000\r\nDTEND;TZID=Europe/Warsaw:20270101T0100"
        "00\r\nSUMMARY:jan noc",
        "DTSTART:20261231T230000Z\r\nDTEND:20261231T235900Z\r\nSUMMARY:jan utc",
        "dtstart;value=date:20270301\r\ndtend;value=date:20270302\r\nsummary:ewa małe litery",
        "DTSTART;VALUE=DATE:20261201\r\nDURATION:P40D\r\nSUMMARY:ewa długo",
        "DTSTART;VALUE=DATE:20150105\r\nDTEND;VALUE=DATE:20150106\r\n"
        "RRULE:FREQ=WEEKLY;BYDAY=MO\r\nSUMMARY:jan co tydzień",
        "DTSTART;VALUE=DATE:20270110\r\nDTEND;VALUE=DATE:20200101\r\nSUMMARY:anna odwrotnie",
        "DTSTART;VALUE=DATE:20261229\r\nDTEND;VALUE=DATE:20270102\r\nSUMMARY:Anna Nowak\r\n"
        " -Kowalska (zawinięty wiersz)",
        "DTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261231\r\nSUMMARY:ewa tuż przed",
    ]
    raw = ics(*events)
    window = (date(2027, 1, 1), date(2027, 3, 31))
    filtered = spans(raw, window=window)
    assert len(absences.drop_events_outside(raw, window)) < len(raw)
    monkeypatch.setattr(absences, "drop_events_outside", lambda raw, window: raw)
    assert spans(raw, window=window) == filtered
    assert ORG.people and filtered

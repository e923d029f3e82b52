"""The feed server on a free loopback port, queried with a real HTTP client (``http.client``)."""

from __future__ import annotations

import http.client
import logging
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream

from terminarz.store.sqlite import SQLiteStore
from terminarz.tokens import feed_token
from terminarz.web.server import (
    FeedService,
    RedactingFilter,
    Response,
    Route,
    Router,
    RunningServer,
    build_app,
    http_date,
    mount,
)

SECRET = b"test-secret-0123456789-abcdef"
NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 in Warsaw

ORG = """\
[organisation]
id = "ops-test"
name = "Ośrodek Pomocy Społecznej w Testowie"
levels = ["ops"]
catalogues = ["mpips-1992"]

[[units]]
id = "dps"
name = "Dział Pomocy Społecznej"
head = "anna"

[[people]]
id = "anna"
name = "Anna Żółkiewska"
email = "anna@example.org"
unit = "dps"
system_access = true

[[people]]
id = "jan"
name = "Jan Łęcki"
email = "jan@example.org"
unit = "dps"
system_access = true

[[duties]]
obligations = ["mpips-03*@ops"]
tiers = [["anna"], ["jan"]]
fallback = "jan"
basis = "zarządzenie wewnętrzne nr 1/2026"
{absences}
[feeds]
public = {public}

[server]
base_url = "https://terminy.example.org"
secret_env = "TEST_FEED_SECRET"
"""

ANNA_AWAY = """
[[absences]]
person = "anna"
from = 2027-01-20
to = 2027-02-10
reason = "urlop"
"""


def write_org(path: Path, *, public: bool = True, absences: str = "") -> Path:
    path.write_text(ORG.format(public=str(public).lower(), absences=absences), encoding="utf-8")
    return path


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Served:
    server: RunningServer
    service: FeedService
    clock: Clock
    config: Path
    state: Path

    def request(self, method: str, target: str, headers: dict[str, str] | None = None) -> Reply:
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=10)
        try:
            conn.request(method, target, headers=headers or {})
            response = conn.getresponse()
            body = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
        finally:
            conn.close()

    def get(self, target: str, **headers: str) -> Reply:
        return self.request("GET", target, {k.replace("_", "-"): v for k, v in headers.items()})


def start(tmp_path: Path, *, public: bool = True, extra: tuple[Route, ...] = ()) -> Served:
    config = write_org(tmp_path / "organizacja.toml", public=public)
    clock = Clock()
    state_path = tmp_path / "state" / "state.sqlite3"
    store = SQLiteStore(state_path, "ops-test", check_same_thread=False)
    service = FeedService(config=config, store=store, clock=clock, secret=SECRET)
    server = RunningServer(build_app(service, extra_routes=extra))
    return Served(server=server, service=service, clock=clock, config=config, state=state_path)


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[Served]:
    running = start(tmp_path)
    yield running
    running.server.stop()
    running.service.close()


def anna() -> str:
    return f"/feeds/p/{feed_token(SECRET, 'anna')}.ics"


def summaries(body: bytes) -> list[str]:
    return [str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")]


# -- 200, 304, HEAD, 405, 404 ------------------------------------------------------------------


def test_a_feed_comes_with_calendar_type_and_validators(served: Served) -> None:
    reply = served.get("/feeds/all.ics")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/calendar; charset=utf-8"
    assert re.fullmatch(r'"[0-9a-f]{32}"', reply.headers["etag"])  # strong: no W/
    assert reply.headers["last-modified"] == "Tue, 24 Nov 2026 07:00:00 GMT"
    assert int(reply.headers["content-length"]) == len(reply.body)
    strict = IcsCalendarStream.calendar_from_ics(reply.body.decode("utf-8"))
    # Horizon 24 Nov 2025 – 24 Nov 2028: MPiPS-03 for 2025–2027, MPiPS-03a for 2026–2028 H1.
    assert [e.dtstart.isoformat() for e in strict.events] == [
        "2026-01-30", "2026-07-15", "2027-02-01", "2027-07-15", "2028-01-31", "2028-07-17",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"If-None-Match": "{etag}"}, 304),
        ({"If-None-Match": "W/{etag}"}, 304),
        ({"If-None-Match": '"other", {etag}'}, 304),
        ({"If-None-Match": "*"}, 304),
        ({"If-None-Match": '"other"'}, 200),
        ({"If-Modified-Since": "Tue, 24 Nov 2026 07:00:00 GMT"}, 304),
        ({"If-Modified-Since": "Wed, 25 Nov 2026 07:00:00 GMT"}, 304),
        ({"If-Modified-Since": "Tue, 24 Nov 2026 06:59:59 GMT"}, 200),
        ({"If-Modified-Since": "not a date"}, 200),
        ({"If-None-Match": '"other"', "If-Modified-Since": "Wed, 25 Nov 2026 07:00:00 GMT"}, 200),
    ],
    ids=["etag", "weak-etag", "etag-in-list", "star", "other-etag", "same-date", "later-date",
         "earlier-date", "bad-date", "etag-wins-over-date"],
)
def test_conditional_requests(served: Served, headers: dict[str, str], status: int) -> None:
    first = served.get("/feeds/level/ops.ics")
    generations = served.service.generations
    sent = {k: v.format(etag=first.headers["etag"]) for k, v in headers.items()}
    reply = served.request("GET", "/feeds/level/ops.ics", sent)
    assert reply.status == status
    assert reply.headers["etag"] == first.headers["etag"]
    if status == 304:
        assert reply.body == b""
        assert "content-type" not in reply.headers
    else:
        assert reply.body == first.body
    assert served.service.generations == generations  # answered from the cache


def test_head_gives_the_headers_without_the_body(served: Served) -> None:
    get = served.get(anna())
    head = served.request("HEAD", anna())
    assert head.status == 200 and head.body == b""
    for name in ("content-type", "content-length", "etag", "last-modified", "cache-control"):
        assert head.headers[name] == get.headers[name], name
    assert head.headers["cache-control"] == "private, no-cache"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"])
def test_other_methods_get_405(served: Served, method: str) -> None:
    for target in ("/feeds/all.ics", anna(), "/"):
        reply = served.request(method, target)
        assert reply.status == 405, target
        assert reply.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    "target",
    [
        "/feeds/level/rup.ics", "/feeds/unit/nie-ma.ics", "/feeds/person/anna.ics",
        "/feeds/p/anna.ics", "/feeds/p/.ics", "/feeds/", "/feeds", "/feeds/all.ics/",
        "/feeds/all", "/favicon.ics", "/index.html", "/feeds/level/ops.ICS",
    ],
    ids=lambda t: t.strip("/").replace("/", "_") or "root",
)
def test_anything_else_is_404(served: Served, target: str) -> None:
    reply = served.get(target)
    assert reply.status == 404
    assert reply.body == b"Nie znaleziono.\n"


def test_unknown_and_guessed_tokens_get_404(served: Served) -> None:
    real = feed_token(SECRET, "anna")
    guesses = [
        "a" * 32,
        real[:-1] + ("a" if real[-1] != "a" else "b"),  # one character off
        real.upper(),
        real[:31],
        real + "a",
        feed_token(b"another-secret-0123456789", "anna"),  # rotated secret
        feed_token(SECRET, "dyrektor"),  # nobody of that id
    ]
    for guess in guesses:
        assert served.get(f"/feeds/p/{guess}.ics").status == 404, guess
    assert served.get(f"/feeds/p/{real}.ics").status == 200


def test_a_persons_feed_holds_their_duties(served: Served) -> None:
    mine = served.get(anna())
    assert mine.status == 200
    assert len(summaries(mine.body)) == 6
    assert "X-WR-CALNAME:Ośrodek Pomocy Społecznej w Testowie — Anna Żółkiewska" in (
        mine.body.decode().replace("\r\n ", "")
    )
    jan = served.get(f"/feeds/p/{feed_token(SECRET, 'jan')}.ics")
    assert jan.status == 200 and summaries(jan.body) == []


# -- path traversal -------------------------------------------------------------------------------

TRAVERSALS = [
    "/feeds/../../../../../../etc/passwd",
    "/feeds/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/feeds/level/..%2f..%2f..%2fsecret.txt",
    "/feeds/level/%2e%2e%2f%2e%2e%2fsecret.ics",
    "/feeds/level/%2E%2E.ics",
    "/feeds/p/..%2F..%2Fsecret.ics",
    "/%2e%2e/secret.txt",
    "/..%5c..%5csecret.txt",
    "//etc/passwd",
    "/feeds//etc/passwd",
    "/feeds/level/%2fetc%2fpasswd.ics",
    "http://127.0.0.1/etc/passwd",
    "/feeds/all.ics/../../secret.txt",
]


@pytest.fixture()
def opened() -> Iterator[list[str]]:
    """Every file opened (audit events ``open``, ``os.listdir``, ``os.scandir``) while active."""
    seen: list[str] = []
    active = [True]

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if active[0] and event in ("open", "os.listdir", "os.scandir") and args:
            seen.append(str(args[0]))

    sys.addaudithook(hook)  # hooks cannot be removed; this one goes quiet after the test
    yield seen
    active[0] = False


@pytest.mark.parametrize("target", TRAVERSALS, ids=range(len(TRAVERSALS)))
def test_path_traversal_reads_nothing(
    served: Served, tmp_path: Path, opened: list[str], target: str
) -> None:
    (tmp_path / "secret.txt").write_text("TAJNE-DANE", encoding="utf-8")
    (tmp_path / "secret.ics").write_text("TAJNE-DANE", encoding="utf-8")
    served.get("/feeds/all.ics")  # warm the cache, so any file opened below is the request's
    opened.clear()
    reply = served.get(target)
    assert reply.status in (400, 404), target
    assert b"TAJNE" not in reply.body and b"root:" not in reply.body
    assert opened == [], f"{target} opened {opened}"
    served.get("/")  # control: the first index page reads its template, and the hook sees it
    assert any(path.endswith("index.html.j2") for path in opened)


# -- regeneration ---------------------------------------------------------------------------------


def test_a_confirmation_regenerates_the_feed(served: Served) -> None:
    first = served.get(anna())
    generations = served.service.generations
    with SQLiteStore(served.state, "ops-test") as other:  # another process: `terminarz done`
        other.confirm("mpips-03@ops/2025", by="anna",
                      at=datetime(2026, 1, 29, 9, 0, tzinfo=ZoneInfo("Europe/Warsaw")))
    reply = served.get(anna(), If_None_Match=first.headers["etag"])
    assert reply.status == 200
    assert reply.headers["etag"] != first.headers["etag"]
    assert "✔ MPiPS-03: ops → wzps za 2025 r." in summaries(reply.body)
    assert served.service.generations == generations + 1
    again = served.get(anna(), If_None_Match=reply.headers["etag"])
    assert again.status == 304 and served.service.generations == generations + 1


def test_the_next_day_regenerates(served: Served) -> None:
    first = served.get("/feeds/level/ops.ics")
    generations = served.service.generations
    served.clock.now += timedelta(days=1)
    reply = served.get("/feeds/level/ops.ics", If_None_Match=first.headers["etag"])
    assert served.service.generations == generations + 1
    assert reply.status == 304  # regenerated, and nothing in the feed changed


def test_an_edited_organisation_file_moves_the_duty(served: Served) -> None:
    before = served.get(anna())
    assert before.status == 200
    write_org(served.config, absences=ANNA_AWAY)
    os.utime(served.config, ns=(1, served.config.stat().st_mtime_ns + 10**9))
    served.clock.now += timedelta(hours=1)
    after = served.get(anna(), If_None_Match=before.headers["etag"])
    assert after.status == 200
    cal = icalendar.Calendar.from_ical(after.body)
    moved = [e for e in cal.walk("VEVENT") if "mpips-03@ops/2026 " in str(e["DESCRIPTION"])]
    assert len(moved) == 1
    assert str(moved[0]["STATUS"]) == "CANCELLED" and moved[0]["SEQUENCE"] == 1
    jan = served.get(f"/feeds/p/{feed_token(SECRET, 'jan')}.ics")
    assert summaries(jan.body) == ["MPiPS-03: ops → wzps za 2026 r. — zastępstwo"]


def test_a_broken_edit_keeps_the_last_good_feeds(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    good = served.get("/feeds/all.ics")
    served.config.write_text("[organisation\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="terminarz.web.server"):
        reply = served.get("/feeds/all.ics")
    assert reply.status == 200 and reply.body == good.body
    assert any("błąd składni TOML" in r.getMessage() for r in caplog.records)


def test_public_feeds_can_be_switched_off(tmp_path: Path) -> None:
    running = start(tmp_path, public=False)
    try:
        for target in ("/feeds/all.ics", "/feeds/level/ops.ics", "/feeds/unit/dps.ics"):
            assert running.get(target).status == 404, target
        assert running.get(anna()).status == 200
        index = running.get("/").body.decode()
        assert "Kalendarze ogólne nie są publikowane na tym serwerze." in index
        assert "/feeds/all.ics" not in index
    finally:
        running.server.stop()
        running.service.close()


# -- the index page -------------------------------------------------------------------------------


def test_the_index_lists_public_feeds_and_next_deadlines(served: Served) -> None:
    reply = served.get("/")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    page = reply.body.decode("utf-8")
    assert "Kalendarze terminów sprawozdawczych — Ośrodek Pomocy Społecznej w Testowie" in page
    assert 'href="webcal://terminy.example.org/feeds/all.ics"' in page
    assert 'href="https://terminy.example.org/feeds/level/ops.ics"' in page
    assert 'href="webcal://terminy.example.org/feeds/unit/dps.ics"' in page
    assert "Stan na wtorek, 24 listopada 2026 r." in page
    assert "pon 1 lut 2027 — MPiPS-03: ops → wzps za 2026 r." in page
    assert page.count("czw 15 lip 2027 — MPiPS-03a: ops → wzps za I półrocze 2027 r.") == 3
    assert feed_token(SECRET, "anna") not in page and "/feeds/p/" not in page
    assert served.get("/", If_None_Match=reply.headers["etag"]).status == 304


# -- logs and extra routes ---------------------------------------------------------------------


def test_tokens_never_reach_the_logs(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    token = feed_token(SECRET, "anna")
    with caplog.at_level(logging.DEBUG):
        served.get(anna())
        served.get(f"/feeds/p/{token[:-2]}xy.ics")
        served.get(f"/feeds/p/{token}")  # without .ics: a 404 outside any route
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert token not in text and token[:-2] not in text
    assert "GET /feeds/p/… 200" in text
    assert "GET /feeds/p/… 404" in text


def test_waitress_log_lines_are_redacted(served: Served) -> None:
    token = feed_token(SECRET, "anna")
    record = logging.LogRecord("waitress", logging.ERROR, __file__, 1,
                               "Exception while serving %s", (f"/feeds/p/{token}.ics",),
                               None)  # fmt: skip
    assert RedactingFilter(Router([])).filter(record)
    assert record.getMessage() == "Exception while serving /feeds/p/…"


def test_another_application_can_be_mounted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[tuple[str, str]] = []

    def confirm(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        calls.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    def broken(request: Any, match: Any) -> Response:
        raise RuntimeError("boom")

    extra = (mount("/confirm/", confirm),
             Route(pattern=re.compile(r"/broken/(?P<x>.*)"), handler=broken))  # fmt: skip
    running = start(tmp_path, extra=extra)
    try:
        with caplog.at_level(logging.INFO, logger="terminarz.web.server"):
            assert running.request("POST", "/confirm/sekretny-link").body == b"ok"
            assert running.get("/broken/sekret").status == 500
        assert calls == [("POST", "/confirm/sekretny-link")]
        text = "\n".join(r.getMessage() for r in caplog.records)
        assert "POST /confirm/… 200" in text and "sekretny-link" not in text
        assert running.get("/confirm/a/b").status == 404
    finally:
        running.server.stop()
        running.service.close()


# -- the command -------------------------------------------------------------------------------


def test_terminarz_serve_runs_and_stops_on_sigterm(tmp_path: Path, terminarz_exe: Path) -> None:
    config = write_org(tmp_path / "organizacja.toml")
    env = {k: v for k, v in os.environ.items() if k != "TEST_FEED_SECRET"}
    env["TEST_FEED_SECRET"] = SECRET.decode()
    process = subprocess.Popen(
        [str(terminarz_exe), "serve", "--config", str(config), "--port", "0",
         "--state", str(tmp_path / "state.sqlite3")],
        stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        match = re.search(r"działa: http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        conn = http.client.HTTPConnection("127.0.0.1", int(match.group(1)), timeout=10)
        conn.request("GET", anna())
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200 and b"BEGIN:VCALENDAR" in body
        conn.request("GET", "/confirm/not-a-signed-link")  # mounted: terminarz.web.confirm
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.status == 403
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        rest = process.stderr.read()
        assert feed_token(SECRET, "anna") not in line + rest
        assert "GET /feeds/p/… 200" in rest and "GET /confirm/… 403" in rest
        assert "not-a-signed-link" not in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_http_date() -> None:
    assert http_date(datetime(2026, 11, 24, 8, 0, tzinfo=UTC)) == "Tue, 24 Nov 2026 08:00:00 GMT"

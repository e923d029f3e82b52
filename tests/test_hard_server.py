"""The HTTP server under hostile or careless use, against a real waitress on loopback:
idle connections, tokens in non-canonical paths, links without ``base_url``, and the
shutdown order of :class:`RunningServer` under load."""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_server import ORG, SECRET, Clock, write_org

from terminarz.store.sqlite import SQLiteStore
from terminarz.tokens import feed_token
from terminarz.web.server import (
    SERVER_LIMITS,
    FeedService,
    RedactingFilter,
    Router,
    RunningServer,
    build_app,
    normalise_for_log,
)


def _service(tmp_path: Path, org_text: str | None = None) -> FeedService:
    config = tmp_path / "organizacja.toml"
    if org_text is None:
        write_org(config)
    else:
        config.write_text(org_text, encoding="utf-8")
    store = SQLiteStore(tmp_path / "state.sqlite3", "ops-test", check_same_thread=False)
    return FeedService(config=config, store=store, clock=Clock(), secret=SECRET)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    service = _service(tmp_path)
    running = RunningServer(build_app(service))
    try:
        yield running
    finally:
        running.stop()
        service.close()


def _get(host: str, port: int, target: str, timeout: float = 10) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# -- idle connections ----------------------------------------------------------------------


def test_idle_connections_do_not_starve_a_new_request(server: RunningServer) -> None:
    """150 clients that open a connection and never finish their headers: the 151st
    client is still served at once (waitress's default connection_limit of 100 made it
    wait for the idle ones to time out)."""
    idle: list[socket.socket] = []
    try:
        for _ in range(150):
            sock = socket.create_connection((server.host, server.port), timeout=5)
            sock.sendall(b"GET /feeds/all.ics HTTP/1.1\r\nHost: x\r\n")  # never ends
            idle.append(sock)
        time.sleep(0.5)  # let the server accept them all
        started = time.monotonic()
        status, body = _get(server.host, server.port, "/feeds/all.ics", timeout=10)
        assert status == 200 and b"BEGIN:VCALENDAR" in body
        assert time.monotonic() - started < 5
    finally:
        for sock in idle:
            sock.close()


def test_idle_connections_are_closed_after_the_channel_timeout(tmp_path: Path) -> None:
    service = _service(tmp_path)
    running = RunningServer(build_app(service), channel_timeout=1, cleanup_interval=1)
    try:
        sock = socket.create_connection((running.host, running.port), timeout=10)
        sock.sendall(b"GET / HTTP/1.1\r\n")
        started = time.monotonic()
        assert sock.recv(1024) == b""  # closed by the server, not by our timeout
        assert time.monotonic() - started < 8
        sock.close()
    finally:
        running.stop()
        service.close()


def test_limits_are_set() -> None:
    assert SERVER_LIMITS["connection_limit"] >= 300
    assert SERVER_LIMITS["channel_timeout"] <= 30


# -- tokens in logs ------------------------------------------------------------------------


TOKEN = feed_token(SECRET, "anna")
SPELLINGS = [
    f"/feeds//p/{TOKEN}.ics",
    f"//feeds/p/{TOKEN}.ics",
    f"/feeds/p//{TOKEN}.ics",
    f"/feeds/./p/{TOKEN}.ics",
    f"/feeds/x/../p/{TOKEN}.ics",
    f"/feeds%2Fp%2F{TOKEN}.ics",
    f"/feeds%252Fp%252F{TOKEN}.ics",
    f"/FEEDS/P/{TOKEN}.ics",
    f"/feeds/p/{TOKEN.upper()}.ics",
    f"/feeds/p/{TOKEN}",
    f"/feeds/p/{TOKEN}.ics/extra",
    f"/feeds/unit/{TOKEN}.ics",
    f"/{TOKEN}",
    f"/feeds/p/{TOKEN[:5]}%20{TOKEN[5:]}.ics",
]


@pytest.mark.parametrize("target", SPELLINGS)
def test_tokens_are_redacted_however_written(
    server: RunningServer, caplog: pytest.LogCaptureFixture, target: str
) -> None:
    with caplog.at_level(logging.DEBUG):
        _get(server.host, server.port, target)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET" in text
    for secret in (TOKEN, TOKEN.upper(), TOKEN[5:]):
        assert secret not in text, text


@pytest.mark.parametrize("target", SPELLINGS)
def test_waitress_messages_are_redacted_however_written(target: str) -> None:
    record = logging.LogRecord("waitress", logging.ERROR, __file__, 1,
                               "Exception while serving %s", (target,), None)  # fmt: skip
    RedactingFilter(Router([])).filter(record)
    assert TOKEN not in record.getMessage() and TOKEN.upper() not in record.getMessage()


def test_public_paths_stay_readable_in_logs() -> None:
    router = Router([])
    assert router.loggable("/feeds/level/ops.ics") == "/feeds/level/ops.ics"
    assert router.loggable("/feeds/unit/dps.ics") == "/feeds/unit/dps.ics"
    assert normalise_for_log("/a//b/./c%2Fd") == "/a/b/c/d"


# -- base_url ------------------------------------------------------------------------------


NO_BASE = ORG.replace('base_url = "https://terminy.example.org"\n', "")


def test_index_links_use_the_bound_loopback_address(tmp_path: Path) -> None:
    service = _service(tmp_path, NO_BASE.format(public="true", absences=""))
    running = RunningServer(build_app(service))
    try:
        status, body = _get(running.host, running.port, "/")
        assert status == 200
        page = body.decode()
        assert f"http://127.0.0.1:{running.port}/feeds/all.ics" in page
        assert "127.0.0.1:8080" not in page
        # A client's Host header never makes the links.
        conn = http.client.HTTPConnection(running.host, running.port, timeout=10)
        conn.request("GET", "/", headers={"Host": "zly.example.org"})
        page = conn.getresponse().read().decode()
        conn.close()
        assert "zly.example.org" not in page
    finally:
        running.stop()
        service.close()


def _serve(exe: Path, config: Path, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TEST_FEED_SECRET": SECRET.decode()}
    return subprocess.Popen(
        [str(exe), "serve", "--config", str(config), "--state", str(tmp_path / "s.sqlite3"),
         *args],
        stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env,
    )  # fmt: skip


def test_serve_on_a_lan_address_without_base_url_refuses(tmp_path: Path, terminarz_exe: Path):
    config = tmp_path / "organizacja.toml"
    config.write_text(NO_BASE.format(public="true", absences=""), encoding="utf-8")
    process = _serve(terminarz_exe, config, tmp_path, "--host", "0.0.0.0", "--port", "0")
    try:
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 2
    assert "base_url" in err and "[server]" in err and "0.0.0.0" in err
    assert "\\x0a" not in err and err.count("\n") == 1
    assert "Traceback" not in err


def test_serve_on_loopback_without_base_url_uses_the_bound_port(
    tmp_path: Path, terminarz_exe: Path
):
    config = tmp_path / "organizacja.toml"
    config.write_text(NO_BASE.format(public="true", absences=""), encoding="utf-8")
    process = _serve(terminarz_exe, config, tmp_path, "--host", "127.0.0.1", "--port", "0")
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        match = re.search(r"działa: http://127\.0\.0\.1:(\d+)/ \(adres publiczny: "
                          r"http://127\.0\.0\.1:(\d+)/", line)  # fmt: skip
        assert match and match.group(1) == match.group(2), line
        _status, body = _get("127.0.0.1", int(match.group(1)), "/")
        assert f"http://127.0.0.1:{match.group(1)}/feeds/all.ics" in body.decode()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_feed_url_without_base_url(tmp_path: Path, run_cli) -> None:
    config = tmp_path / "organizacja.toml"
    config.write_text(NO_BASE.format(public="true", absences="")
                      + 'host = "192.0.2.10"\n', encoding="utf-8")  # fmt: skip
    result = run_cli("feed-url", "anna", "--config", str(config),
                     env={"TEST_FEED_SECRET": SECRET.decode()})  # fmt: skip
    assert result.returncode == 2 and "base_url" in result.stderr
    config.write_text(NO_BASE.format(public="true", absences=""), encoding="utf-8")
    result = run_cli("feed-url", "anna", "--config", str(config),
                     env={"TEST_FEED_SECRET": SECRET.decode()})  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.startswith(f"http://127.0.0.1:8080/feeds/p/{TOKEN}.ics")


# -- shutdown under load -------------------------------------------------------------------


def test_start_stop_loop_under_load(tmp_path: Path) -> None:
    """Starts and stops while clients keep requesting: stop() never fails (EBADF) and no
    server thread dies with an exception."""
    service = _service(tmp_path)
    app = build_app(service)
    errors: list[BaseException] = []
    previous_hook = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            errors.append(args.exc_value)

    threading.excepthook = hook
    try:
        for _ in range(60):
            running = RunningServer(app, threads=4)
            stop_load = threading.Event()

            def load(host: str = running.host, port: int = running.port,
                     done: threading.Event = stop_load) -> None:  # fmt: skip
                while not done.is_set():
                    with contextlib.suppress(OSError, http.client.HTTPException):
                        _get(host, port, "/feeds/all.ics", timeout=2)

            clients = [threading.Thread(target=load, daemon=True) for _ in range(6)]
            for client in clients:
                client.start()
            time.sleep(0.05)
            running.stop()  # raises OSError(EBADF) with the old shutdown order
            stop_load.set()
            for client in clients:
                client.join(5)
            assert not running._thread.is_alive()
    finally:
        threading.excepthook = previous_hook
        service.close()
    assert errors == []


def test_no_line_can_be_forged_into_the_log(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        _get(server.host, server.port, "/x%0d%0aGET%20/feeds/all.ics%20200%1b[31m")
    lines = [r.getMessage() for r in caplog.records if r.name == "terminarz.web.server"]
    assert lines and all("\n" not in line and "\r" not in line and "\x1b" not in line
                         for line in lines)  # fmt: skip
    assert any("\\x0d\\x0a" in line for line in lines)

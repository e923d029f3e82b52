"""A voivode publishes its schedule once; the gmina's terminarz follows it.

A real HTTP server on loopback serves the schedule with an ETag. Only ``catalogue
--refresh`` and ``remind`` fetch it; ``due`` reads the kept copy. Hand-checked: the letter
gives 10 February 2027 (a Wednesday) for MRiPS-03 (R) for 2026, then a correction gives
12 February (a Friday).
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from terminarz.cli import main
from terminarz.paths import calendars_dir

OCC = "mrips-03-r@ops/2026"

SCHEDULE = """\
[schedule]
id = "uw-przyklad-2027"
title = "Harmonogram przekazywania sprawozdań w 2027 r."
issuer = "Wojewoda — Wydział Polityki Społecznej"
grade = "regional"
where = "pismo WPS z 8 stycznia 2027 r."
verified = 2027-01-08

[[announced]]
obligation = "mrips-03-r@ops"
period = "2026"
date = {date}
text = "MRiPS-03 za 2026 r. do {words}"
"""


@dataclass
class Published:
    body: bytes
    etag: str
    requests: list[str] = field(default_factory=list)  # "200" or "304" per request


@pytest.fixture
def voivode() -> Iterator[tuple[str, Published]]:
    published = Published(body=SCHEDULE.format(date="2027-02-10", words="10 lutego 2027 r.")
                          .encode(), etag='"v1"')  # fmt: skip

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/harmonogram.toml":
                self.send_error(404)
                return
            if self.headers.get("If-None-Match") == published.etag:
                published.requests.append("304")
                self.send_response(304)
                self.end_headers()
                return
            published.requests.append("200")
            self.send_response(200)
            self.send_header("Content-Type", "application/toml; charset=utf-8")
            self.send_header("ETag", published.etag)
            self.send_header("Content-Length", str(len(published.body)))
            self.end_headers()
            self.wfile.write(published.body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/harmonogram.toml", published
    finally:
        server.shutdown()
        server.server_close()


def organisation(folder: Path, url: str) -> Path:
    examples = calendars_dir() / "examples"
    for name in ("osrodek-pomocy.toml", "terminy-osrodka.toml", "urlopy.ics"):
        shutil.copy(examples / name, folder / name)
    config = folder / "osrodek-pomocy.toml"
    text = config.read_text(encoding="utf-8").replace(
        '"terminy-osrodka.toml",', f'"terminy-osrodka.toml", "{url}",')
    assert url in text
    config.write_text(text + '\n[state]\npath = "state.sqlite3"\n', encoding="utf-8")
    return config


def due_of(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str | None, str]:
    assert main(["due", "--config", str(config), "--today", "2027-01-11", "--from",
                 "2027-01-01", "--to", "2027-03-31", "--format", "json"]) == 0  # fmt: skip
    captured = capsys.readouterr()
    rows = {r["id"]: r for r in json.loads(captured.out) if "id" in r}
    return rows[OCC]["due"], captured.err


def test_a_published_schedule_is_fetched_kept_revalidated_and_never_breaks_anything(
    tmp_path: Path, voivode: tuple[str, Published], capsys: pytest.CaptureFixture[str]
) -> None:
    url, published = voivode
    config = organisation(tmp_path, url)

    due, err = due_of(config, capsys)  # nothing fetched yet: no date, and it says why
    assert due is None and "nie został jeszcze pobrany" in err and published.requests == []

    assert main(["catalogue", "--refresh", "--config", str(config)]) == 0
    assert f"pobrano nową wersję harmonogramu {url}" in capsys.readouterr().err
    due, err = due_of(config, capsys)
    assert due == "2027-02-10" and err == "" and published.requests == ["200"]  # due: no fetch

    assert main(["catalogue", "--refresh", "--config", str(config)]) == 0
    capsys.readouterr()
    assert published.requests == ["200", "304"]  # unchanged: a 304

    published.body, published.etag = b"[schedule]\nid = \"zepsuty\"\n[[announced]\n", '"v2"'
    assert main(["catalogue", "--refresh", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert "nowa wersja odrzucona" in err and "nadal obowiązuje kopia pobrana" in err
    assert due_of(config, capsys)[0] == "2027-02-10"  # the last good copy

    published.body = SCHEDULE.format(date="2027-02-12", words="12 lutego 2027 r.").encode()
    published.etag = '"v3"'
    assert main(["catalogue", "--refresh", "--config", str(config)]) == 0
    capsys.readouterr()
    assert due_of(config, capsys)[0] == "2027-02-12"
    assert main(["explain", OCC, "--config", str(config), "--today", "2027-01-11"]) == 0
    assert "MRiPS-03 za 2026 r. do 12 lutego 2027 r." in capsys.readouterr().out


def test_an_unreachable_address_keeps_the_last_good_copy_with_a_warning(
    tmp_path: Path, voivode: tuple[str, Published], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = voivode
    config = organisation(tmp_path, url)
    assert main(["catalogue", "--refresh", "--config", str(config)]) == 0
    capsys.readouterr()
    down = url.replace("/harmonogram.toml", "/nie-ma.toml")
    text = config.read_text(encoding="utf-8").replace(url, down)
    config.write_text(text, encoding="utf-8")
    assert main(["catalogue", "--refresh", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert "serwer odpowiedział 404" in err and "nie ma jeszcze żadnej kopii" in err
    config.write_text(text.replace(down, url), encoding="utf-8")
    published_port = url.split(":")[2].split("/")[0]
    dead = url.replace(published_port, "9")  # nothing listens on the discard port
    config.write_text(text.replace(down, dead), encoding="utf-8")
    assert main(["catalogue", "--refresh", "--config", str(config)]) == 0
    assert "adres niedostępny" in capsys.readouterr().err
    config.write_text(text.replace(down, url), encoding="utf-8")
    assert due_of(config, capsys)[0] == "2027-02-10"


def test_a_published_schedule_must_use_https_beyond_this_machine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = organisation(tmp_path, "http://uw.example.gov.pl/harmonogram.toml")
    assert main(["check", "--config", str(config)]) == 2
    assert "musi mieć adres https://" in capsys.readouterr().err


def test_the_nightly_run_fetches_and_due_never_does(
    tmp_path: Path, voivode: tuple[str, Published], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from test_mail_sink import smtp_sink

    url, published = voivode
    config = organisation(tmp_path, url)
    due_of(config, capsys)
    assert published.requests == []
    with smtp_sink() as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        assert main(["remind", "--config", str(config), "--today", "2027-01-11"]) in (0, 1)
    assert published.requests == ["200"]
    capsys.readouterr()
    assert due_of(config, capsys)[0] == "2027-02-10"
    assert published.requests == ["200"]


def test_serve_publishes_the_catalogues_it_uses_at_a_stable_address(tmp_path: Path) -> None:
    """What a voivode's server uses, others may follow: ``/katalogi/<name>.toml``."""
    from test_server import start

    served = start(tmp_path)  # an organisation naming the bundled mpips-1992
    try:
        first = served.get("/katalogi/mpips-1992.toml")
        assert first.status == 200
        assert first.body == (calendars_dir() / "mpips-1992.toml").read_bytes()
        assert first.headers["content-type"].startswith("application/toml")
        again = served.get("/katalogi/mpips-1992.toml", If_None_Match=first.headers["etag"])
        assert again.status == 304
        assert served.get("/katalogi/nie-ma-takiego.toml").status == 404
        assert served.get("/katalogi/..%2Fsecret.toml").status == 404
    finally:
        served.server.stop()
        served.service.close()

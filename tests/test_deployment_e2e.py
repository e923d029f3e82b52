"""The whole shared deployment at once (issue "Shared state on PostgreSQL", done when): two
welfare centres of today's example and a voivode's department in one PostgreSQL database,
two nightly ``remind`` workers at the same time, two ``serve`` processes, and the voivode's
``status``.

The centres are ``calendars/examples/osrodek-pomocy.toml`` under two ids (``mopr-przyklad``,
``mopr-drugi``), the voivode ``calendars/examples/urzad-wojewodzki.toml`` (reporters
``mopr-*``), every file marked ``[server] shared = true``, listed in one list file. Rzeczowo-
finansowe ŚR for IV quarter 2026 (``sr@ops/2026-Q4``) is due Friday 15 January 2027 (§ 2
ust. 1 of the 2015 act: the 15th after the quarter). The first centre confirms it on 14
January; the second does not. On Wednesday 20 January 2027 the second is late by 3 working
days (18, 19, 20 January), which the voivode's ``status`` shows as "wpłynęło 1 z 2; po
terminie 1".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from terminarz.paths import calendars_dir
from terminarz.store import Location, open_store
from tests.test_deployment import SECRET, Server, servers, start_server
from tests.test_mail_sink import smtp_sink

EXAMPLES = calendars_dir() / "examples"
CENTRES = ("mopr-przyklad", "mopr-drugi")
OCC = "sr@ops/2026-Q4"
SHARED = '\n[server]\nshared = true\nbase_url = "https://terminy.example.gov.pl"\n'


def write_deployment(folder: Path) -> tuple[Path, dict[str, Path]]:
    """Each institution in a folder of its own (its absences calendar and dates file beside
    it), and the list file naming them."""
    files: dict[str, Path] = {}
    for org_id in CENTRES:
        home = folder / org_id
        home.mkdir(parents=True)
        for name in ("urlopy.ics", "terminy-osrodka.toml"):
            shutil.copy(EXAMPLES / name, home / name)
        text = (EXAMPLES / "osrodek-pomocy.toml").read_text(encoding="utf-8")
        text = text.replace('id = "mopr-przyklad"', f'id = "{org_id}"', 1)
        files[org_id] = home / "org.toml"
        files[org_id].write_text(text + SHARED, encoding="utf-8")
    home = folder / "uw"
    home.mkdir()
    text = (EXAMPLES / "urzad-wojewodzki.toml").read_text(encoding="utf-8")
    files["uw"] = home / "org.toml"
    mail = ('\n[smtp]\nhost = "localhost"\n'
            'sender = "Wydział Polityki Społecznej <wps@uw.example.org>"\n')
    files["uw"].write_text(text + SHARED + mail, encoding="utf-8")
    listing = folder / "instytucje.txt"
    listing.write_text("".join(f"{p}\n" for p in files.values()), encoding="utf-8")
    return listing, files


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "terminarz", *args], env=env, text=True,
                          encoding="utf-8", capture_output=True, timeout=300)  # fmt: skip


def test_two_workers_two_servers_and_the_voivode_s_status(
    tmp_path: Path, postgres_url: str, servers: list[Server]
) -> None:
    listing, files = write_deployment(tmp_path)
    env = {**os.environ, "TERMINARZ_SECRET": SECRET, "TERMINARZ_STATE_URL": postgres_url,
           "NO_COLOR": "1"}  # fmt: skip
    # the night of 5 January 2027 (T-8 of sr@ops and fa@ops, data requests, #termin tasks …)
    # by two workers started together
    with smtp_sink() as server:
        night = {**env, **server.env()}
        workers = [subprocess.Popen([sys.executable, "-m", "terminarz", "remind", "--orgs",
                                     str(listing), "--today", "2027-01-05"], env=night,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for _ in range(2)]  # fmt: skip
        for worker in workers:
            out, err = worker.communicate(timeout=300)
            assert worker.returncode == 0, out + err
        received = server.sink.take()
    assert received, "the night sent nothing"
    copies = Counter((r.message_id, a) for r in received for a in r.rcpt_tos)
    assert max(copies.values()) == 1  # nothing twice
    sent_ids = {r.message_id for r in received}
    stored = set()
    for org_id in CENTRES:
        location = Location(scheme="postgresql", target=postgres_url, origin="test")
        with open_store(location, org_id) as store:
            history = store.history()
            assert store.pending() == []  # nothing left behind
        assert len(history) >= 5, org_id  # each centre has its night (reminders, requests …)
        stored |= {r.message_id for r in history}
        assert {r.status.value for r in history} == {"sent"}
    assert stored == sent_ids  # everything recorded was sent, and only that

    # the first centre confirms, the second does not
    done = run(env, "done", OCC, "--config", str(files["mopr-przyklad"]), "--by", "prac-dsr",
               "--today", "2027-01-14")  # fmt: skip
    assert done.returncode == 0, done.stderr
    status = run(env, "status", "--config", str(files["uw"]), "--orgs", str(listing),
                 "--obligation", "sr@ops", "--period", "2026-Q4", "--format", "json",
                 "--today", "2027-01-20")  # fmt: skip
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    (found,) = [i for i in data["inputs"] if i["obligation"] == "sr@ops"]
    assert (found["total"], found["arrived"], found["late"]) == (2, 1, 1)
    rows = {r["organisation"]: r for r in data["reports"] if r["occurrence"] == OCC}
    assert rows["mopr-przyklad"]["state"] == "wysłano"
    assert (rows["mopr-drugi"]["state"], rows["mopr-drugi"]["late_working_days"]) == (
        "po terminie", 3)

    # two servers over the same database answer alike for the voivode's people
    first = start_server(env, tmp_path / "serve-1.log", "--orgs", str(listing))
    servers.append(first)
    second = start_server(env, tmp_path / "serve-2.log", "--orgs", str(listing))
    servers.append(second)
    answers = [s.get("/o/uw-przyklad/feeds/all.ics") for s in (first, second)]
    assert [a[0] for a in answers] == [200, 200]
    assert answers[0][1]["ETag"] == answers[1][1]["ETag"] and answers[0][2] == answers[1][2]
    etag = answers[0][1]["ETag"]
    assert [s.get("/o/uw-przyklad/feeds/all.ics", {"If-None-Match": etag})[0]
            for s in (second, first)] == [304, 304]  # fmt: skip


__all__ = ["servers"]  # the fixture, imported for this module's test

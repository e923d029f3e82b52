"""One deployment for many institutions: ``feed --orgs``, ``serve --orgs``, and two servers.

Two institutions — the bundled example (``mopr-przyklad``) and a copy of it with
another id (``mops-drugi``), so both have a person ``kier-dsps`` — in one state
store, served by real ``terminarz serve`` processes on free loopback ports and asked
with a real HTTP client (urllib). On Monday 22 June 2026 MPiPS-03a for the first half
of 2026 (due 15 July 2026) is kier-dsps's in both.

Proved here: each institution's addresses carry ``/o/<id>/`` and nothing of one —
feed token, sign-in link, session cookie, confirmation link — opens anything of the
other, even with one secret for both; a single institution served with ``--config``
keeps its old addresses; two servers on one store (SQLite file, PostgreSQL) answer
with the same bytes, ETags and 304s, and both notice a confirmation made elsewhere.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from email.message import Message
from pathlib import Path

import pytest

from terminarz.links import LinkClaim, make_token
from terminarz.store.sqlite import SQLiteStore
from terminarz.tokens import feed_token, site_secret
from tests.test_reminders import copy_example

SECRET = "sekret-wdrozenia-0123456789abcdef"
TODAY = "2026-06-22"
OCC = "mpips-03a@ops/2026-H1"
A, B = "mopr-przyklad", "mops-drugi"
SHARED = "\n[server]\nshared = true\n"


def institution(folder: Path, org_id: str, *, shared: bool = True) -> Path:
    """The example organisation in ``folder`` under ``org_id`` (same people, same duties)."""
    config = copy_example(folder, SHARED if shared else "")
    text = config.read_text(encoding="utf-8")
    if org_id != A:
        text = text.replace(f'id = "{A}"', f'id = "{org_id}"', 1)
        text = text.replace("w Przykładowie", "w Drugowie", 1)
    config.write_text(text, encoding="utf-8")
    return config


def deployment(tmp_path: Path) -> Path:
    """A list file naming both institutions (each in its own folder)."""
    listing = tmp_path / "instytucje.txt"
    listing.write_text(f"# wdrożenie testowe\n{institution(tmp_path / A, A)}\n"
                       f"{institution(tmp_path / B, B)}\n", encoding="utf-8")  # fmt: skip
    return listing


def environment(state: str) -> dict[str, str]:
    env = {**os.environ, "TERMINARZ_SECRET": SECRET, "NO_COLOR": "1"}
    env["TERMINARZ_STATE_URL"] = state
    return env


def terminarz(env: dict[str, str], *args: str) -> str:
    run = subprocess.run([sys.executable, "-m", "terminarz", *args], env=env,
                         capture_output=True, text=True, encoding="utf-8",
                         timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return run.stdout


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url.strip().splitlines()[0])


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers to look at, not to follow."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
        """Status, headers (any letter case) and body; redirects are not followed."""
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.build_opener(NoRedirect()).open(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()


def start_server(env: dict[str, str], log: Path, *args: str) -> Server:
    with log.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen([sys.executable, "-m", "terminarz", "serve", "--port", "0",
                                    "--today", TODAY, *args], stderr=sink, env=env)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"działa: (http://127\.0\.0\.1:\d+)/", log.read_text("utf-8"))
        if found:
            return Server(url=found.group(1), process=process, log=log)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"serve nie wystartował: {log.read_text('utf-8')}")


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.process.terminate()
        server.process.wait(timeout=15)


# -- feed --orgs --------------------------------------------------------------------------------


def test_feed_orgs_writes_every_institution_into_its_own_folder(tmp_path: Path) -> None:
    folder = tmp_path / "instytucje"
    folder.mkdir()
    for org_id in (A, B):  # a folder of organisation files
        config = institution(tmp_path / org_id, org_id)
        config.rename(folder / f"{org_id}.toml")
        for extra in (tmp_path / org_id).iterdir():
            if not (folder / extra.name).exists():
                extra.rename(folder / extra.name)
    env = environment(str(tmp_path / "wspolna.sqlite3"))
    out = tmp_path / "kalendarze"
    printed = terminarz(env, "feed", "--orgs", str(folder), "--out", str(out), "--today", TODAY)
    assert f"{A}:" in printed and f"{B}:" in printed
    for org_id, place in ((A, "Przykładowie"), (B, "Drugowie")):
        assert (out / org_id / "all.ics").is_file()
        person = (out / org_id / "person" / "kier-dsps.ics").read_text("utf-8")
        assert "MPiPS-03a" in person
        unit = (out / org_id / "unit" / "dsps.ics").read_text("utf-8")
        assert place in unit  # each institution's own name in its feeds
    for org_id in (A, B):  # one store, the publication memory kept per institution
        with SQLiteStore(tmp_path / "wspolna.sqlite3", org_id) as store:
            assert store.publication().scopes() == [f"{org_id}|all", f"{org_id}|level/ops",
                                                    *store.publication().scopes()[2:]]
            assert f"{org_id}|person/kier-dsps" in store.publication().scopes()


def test_feed_orgs_reports_a_broken_file_and_writes_the_others(tmp_path: Path) -> None:
    listing = deployment(tmp_path)
    broken = tmp_path / "zepsuta.toml"
    broken.write_text('[organisation]\nid = "zepsuta"\nlevels = ["nie-ma"]\n', encoding="utf-8")
    listing.write_text(listing.read_text("utf-8") + f"{broken}\n", encoding="utf-8")
    env = environment(str(tmp_path / "wspolna.sqlite3"))
    run = subprocess.run([sys.executable, "-m", "terminarz", "feed", "--orgs", str(listing),
                          "--out", str(tmp_path / "out"), "--today", TODAY], env=env,
                         capture_output=True, text=True, encoding="utf-8",
                         timeout=120)  # fmt: skip
    assert run.returncode == 2
    assert str(broken) in run.stderr and "Traceback" not in run.stderr
    assert (tmp_path / "out" / A / "all.ics").is_file()
    assert (tmp_path / "out" / B / "all.ics").is_file()


# -- serve --orgs: addresses and isolation -------------------------------------------------------


def signed_in_opener() -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                       NoRedirect()), jar  # fmt: skip


def sign_in(server: Server, path: str) -> tuple[int, str, http.cookiejar.CookieJar]:
    """GET the sign-in link (a button), POST its form; the status, Location and the cookies."""
    opener, jar = signed_in_opener()
    with opener.open(server.url + path, timeout=30) as response:
        page = response.read().decode("utf-8")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, page
    data = urllib.parse.urlencode({"csrf_token": token.group(1)}).encode()
    try:
        with opener.open(server.url + path, data=data, timeout=30) as response:
            return response.status, "", jar
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", ""), jar


def test_serve_orgs_keeps_institutions_apart(tmp_path: Path, servers: list[Server]) -> None:
    listing = deployment(tmp_path)
    state = tmp_path / "wspolna.sqlite3"
    env = environment(str(state))
    server = start_server(env, tmp_path / "serve.log", "--orgs", str(listing))
    servers.append(server)
    config = {org: tmp_path / org / "org.toml" for org in (A, B)}

    status, _, front = server.get("/")
    assert status == 200
    assert f'href="/o/{A}/"'.encode() in front and f'href="/o/{B}/"'.encode() in front
    assert server.get("/o/nie-ma-takiej/")[0] == 404
    status, headers, _ = server.get(f"/o/{A}/feeds/all.ics")
    assert status == 200 and headers["Content-Type"].startswith("text/calendar")

    # personal feeds: the address carries the institution, the keys are the institution's own
    urls = {org: terminarz(env, "feed-url", "kier-dsps", "--config", str(config[org]))
            for org in (A, B)}  # fmt: skip
    paths = {org: path_of(urls[org]) for org in (A, B)}
    assert paths[A].startswith(f"/o/{A}/feeds/p/") and paths[B].startswith(f"/o/{B}/feeds/p/")
    token_a = paths[A].rsplit("/", 1)[1]
    assert token_a != paths[B].rsplit("/", 1)[1]
    assert token_a != f"{feed_token(SECRET.encode(), 'kier-dsps')}.ics"  # not the bare secret's
    assert server.get(paths[A])[0] == 200 and b"MPiPS-03a" in server.get(paths[A])[2]
    assert server.get(f"/o/{B}/feeds/p/{token_a}")[0] == 404  # A's key opens nothing in B
    assert server.get(f"/feeds/p/{token_a}")[0] == 404  # nor outside the institutions

    # sign-in: A's link signs in at A only; A's session is nobody at B
    link = path_of(terminarz(env, "login-url", "kier-dsps", "--config", str(config[A]),
                             "--today", TODAY))  # fmt: skip
    assert link.startswith(f"/o/{A}/app/zaloguj/")
    crossed = link.replace(f"/o/{A}/", f"/o/{B}/", 1)
    status, _, _ = sign_in(server, crossed)
    assert status == 403  # refused at B (another key, another store)
    status, location, jar = sign_in(server, link)  # still unused at A
    assert status == 303 and location.endswith(f"/o/{A}/app/"), (status, location)
    cookies = {c.name: c for c in jar}
    session = cookies["terminarz_sesja"]
    assert session.path == f"/o/{A}/app"
    home = server.get(f"/o/{A}/app/", {"Cookie": f"terminarz_sesja={session.value}"})
    assert home[0] == 200 and "Moje terminy" in home[2].decode("utf-8")
    other = server.get(f"/o/{B}/app/", {"Cookie": f"terminarz_sesja={session.value}"})
    assert other[0] in (302, 303) and "/logowanie" in other[1]["Location"]
    assert f"/o/{B}/app/" in other[1]["Location"]

    # a confirmation link of A (as its reminder mail makes it) confirms nothing in B
    key = site_secret(SECRET.encode(), A, shared=True)
    token = make_token(key, LinkClaim(occurrence_id=OCC, person_id="kier-dsps",
                                      expires=date(2026, 7, 30)))  # fmt: skip
    post = urllib.request.Request(f"{server.url}/o/{B}/confirm/{token}", data=b"note=",
                                  method="POST")  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(post, timeout=30)
    assert refused.value.code == 403
    post = urllib.request.Request(f"{server.url}/o/{A}/confirm/{token}", data=b"note=",
                                  method="POST")  # fmt: skip
    with urllib.request.urlopen(post, timeout=30) as response:
        assert response.status == 200
    with SQLiteStore(state, A) as store:
        assert store.confirmation(OCC) is not None
    with SQLiteStore(state, B) as store:
        assert store.confirmation(OCC) is None
    log = server.log.read_text("utf-8")
    assert token_a not in log and token not in log and link.rsplit("/", 1)[1] not in log


def test_serve_orgs_refuses_a_file_not_marked_shared(tmp_path: Path) -> None:
    listing = tmp_path / "lista.txt"
    listing.write_text(f"{institution(tmp_path / A, A, shared=False)}\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "terminarz", "serve", "--orgs", str(listing),
                          "--port", "0"], env=environment(str(tmp_path / "s.sqlite3")),
                         capture_output=True, text=True, encoding="utf-8",
                         timeout=60)  # fmt: skip
    assert run.returncode == 2
    assert "shared = true" in run.stderr and "Traceback" not in run.stderr


def test_a_single_institution_keeps_its_old_addresses(tmp_path: Path,
                                                      servers: list[Server]) -> None:  # fmt: skip
    config = institution(tmp_path / A, A, shared=False)
    env = environment(str(tmp_path / "stan.sqlite3"))
    server = start_server(env, tmp_path / "serve.log", "--config", str(config))
    servers.append(server)
    path = path_of(terminarz(env, "feed-url", "kier-dsps", "--config", str(config)))
    assert path == f"/feeds/p/{feed_token(SECRET.encode(), 'kier-dsps')}.ics"
    assert server.get(path)[0] == 200
    assert server.get("/feeds/all.ics")[0] == 200
    assert server.get(f"/o/{A}/feeds/all.ics")[0] == 404
    link = path_of(terminarz(env, "login-url", "kier-dsps", "--config", str(config),
                             "--today", TODAY))  # fmt: skip
    assert link.startswith("/app/zaloguj/")
    status, location, _ = sign_in(server, link)
    assert status == 303 and location.endswith("/app/")


# -- two servers on one store ---------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_state(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "wspolna.sqlite3")
    return str(request.getfixturevalue("postgres_url"))


def test_two_servers_answer_alike_and_notice_changes(tmp_path: Path, shared_state: str,
                                                     servers: list[Server]) -> None:  # fmt: skip
    listing = deployment(tmp_path)
    env = environment(shared_state)
    config = tmp_path / A / "org.toml"
    terminarz(env, "check", "--config", str(config), "--today", TODAY)  # the store migrated once
    first = start_server(env, tmp_path / "serve-1.log", "--orgs", str(listing))
    servers.append(first)
    second = start_server(env, tmp_path / "serve-2.log", "--orgs", str(listing))
    servers.append(second)
    personal = path_of(terminarz(env, "feed-url", "kier-dsps", "--config", str(config)))
    feeds = [personal, f"/o/{A}/feeds/unit/dsps.ics", f"/o/{B}/feeds/all.ics"]

    def both(path: str, headers: dict[str, str] | None = None) -> list[tuple[int, str, bytes]]:
        answers = []
        for server in (first, second):
            status, got, body = server.get(path, headers)
            answers.append((status, got.get("ETag", ""), body))
            assert status == 304 or got["ETag"], path
        return answers

    before = {}
    for path in feeds:
        (s1, etag1, body1), (s2, etag2, body2) = both(path)
        assert s1 == s2 == 200
        assert etag1 == etag2 and body1 == body2, path
        before[path] = etag1
        # the other server's ETag gets 304 from this one, and the other way round
        assert [a[0] for a in both(path, {"If-None-Match": etag1})] == [304, 304]
    assert "✔" not in first.get(personal)[2].decode("utf-8")

    terminarz(env, "done", OCC, "--config", str(config))  # recorded by neither server
    after = both(personal)
    assert after[0][0] == after[1][0] == 200
    assert after[0][1] == after[1][1] != before[personal]
    assert after[0][2] == after[1][2] and "✔" in after[0][2].decode("utf-8")
    assert [a[0] for a in both(personal, {"If-None-Match": before[personal]})] == [200, 200]
    assert [a[0] for a in both(personal, {"If-None-Match": after[0][1]})] == [304, 304]
    # B's feeds did not change with A's confirmation
    assert [a[1] for a in both(f"/o/{B}/feeds/all.ics")] == [before[f"/o/{B}/feeds/all.ics"]] * 2


# -- the reminder mail's confirmation link ------------------------------------------------------


def test_reminder_links_of_a_shared_institution_carry_its_id(tmp_path: Path) -> None:
    """``remind --orgs`` over institutions marked shared: each mail's confirmation link is
    ``<base_url>/o/<id>/confirm/…``, signed with that institution's own key."""
    from email import message_from_bytes
    from email.policy import default

    from test_mail_sink import smtp_sink
    from test_shared_state import DAY, ORG

    from terminarz.links import LinkRefused, read_token

    folder = tmp_path / "orgs"
    folder.mkdir()
    for n in (1, 2):
        text = ORG.format(n=n, absence="")
        text += '\n[server]\nshared = true\nbase_url = "https://terminy.example.org"\n'
        (folder / f"ops-{n:03d}.toml").write_text(text, encoding="utf-8")
    with smtp_sink() as server:
        env = {**environment(str(tmp_path / "stan.sqlite3")), **server.env()}
        terminarz(env, "remind", "--orgs", str(folder), "--today", DAY)
        received = server.sink.take()
    links: dict[str, list[str]] = {}
    for mail in received:
        parsed = message_from_bytes(mail.data, policy=default)
        body = parsed.get_body(preferencelist=("plain",))
        assert body is not None
        found = re.findall(r"https://terminy\.example\.org(/o/[^/]+/)confirm/(\S+)",
                           body.get_content())  # fmt: skip
        for prefix, token in found:
            links.setdefault(prefix, []).append(token)
    assert set(links) == {"/o/ops-001/", "/o/ops-002/"}
    day = date.fromisoformat(DAY)
    for prefix, tokens in links.items():
        org_id = prefix.split("/")[2]
        other = "ops-002" if org_id == "ops-001" else "ops-001"
        for token in tokens:
            read_token(site_secret(SECRET.encode(), org_id, shared=True), token, today=day)
            for wrong in (SECRET.encode(), site_secret(SECRET.encode(), other, shared=True)):
                with pytest.raises(LinkRefused):
                    read_token(wrong, token, today=day)


# -- the router of many institutions --------------------------------------------------------------


def test_site_router_builds_on_first_use_and_closes_what_it_drops() -> None:
    """At most ``keep`` institutions' applications are kept; one dropped while a request
    still uses it is closed only when that request ends; an unknown id is 404."""
    import threading
    from http import HTTPStatus

    from terminarz.web.server import Request, Response, Route, Router
    from terminarz.web.sites import Site, SiteRouter

    built: list[str] = []
    closed: list[str] = []
    entered, release = threading.Event(), threading.Event()

    def build(org: str) -> Site:
        def hello(request: Request, match: re.Match[str]) -> Response:
            if org == "wolna":
                entered.set()
                release.wait(10)
            script = request.environ["SCRIPT_NAME"]
            return Response(status=HTTPStatus.OK, body=f"{org} {script}".encode())

        built.append(org)
        app = Router([Route(pattern=re.compile(r"/"), handler=hello)], log_requests=False)
        return Site(app=app, close=lambda: closed.append(org))

    sites = SiteRouter(build, ["a", "b", "wolna"], keep=1)

    def get(path: str) -> tuple[str, bytes]:
        answer: list[str] = []
        body = sites({"PATH_INFO": path, "REQUEST_METHOD": "GET", "SCRIPT_NAME": ""},
                     lambda status, headers, *exc: answer.append(status))  # fmt: skip
        return answer[0], b"".join(body)

    assert get("/o/a/") == ("200 OK", b"a /o/a")
    assert get("/o/a/") == ("200 OK", b"a /o/a") and built == ["a"]  # kept
    assert get("/o/a")[0].startswith("301")
    assert get("/o/c/")[0].startswith("404") and get("/o/../")[0].startswith("404")
    assert get("/o/b/")[1] == b"b /o/b" and closed == ["a"]  # keep=1: a dropped, closed
    slow = threading.Thread(target=get, args=("/o/wolna/",))
    slow.start()
    assert entered.wait(10)
    assert get("/o/a/")[1] == b"a /o/a"  # built again; drops "wolna", which is still in use
    assert "wolna" not in closed
    release.set()
    slow.join(10)
    assert closed == ["a", "b", "wolna"]  # closed once its request ended
    sites.close()
    assert closed == ["a", "b", "wolna", "a"]

"""The web pages (``terminarz.web.app``) through Flask/Werkzeug's test client, mounted at /app.

The organisation is the bundled example on Monday 22 June 2026: MPiPS-03a for the
first half of 2026 is due on Wednesday 15 July 2026 and belongs to the DŚPS group
(kier-dsps, zast-dsps, prac-dsps); its data comes from DOKiP, whose head
(kier-dokip) must deliver it on Monday 6 July. The director designates (II.5).
The clock is a parameter, so links and sessions expire when the test says so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client, TestResponse

from terminarz.errors import TerminarzError
from terminarz.org.organisation import load_organisation
from terminarz.store import Location, locate, open_store
from terminarz.store.base import AbsenceCategory
from terminarz.tokens import feed_token
from terminarz.web.app import WebConfig, create_app
from terminarz.web.signin import issue_login_link
from tests.test_reminders import copy_example

SECRET = b"sekret-testowy-0123456789abcdef"
OCC = "mpips-03a@ops/2026-H1"
DELIVERY = f"{OCC}#dane:dokip"
START = datetime(2026, 6, 22, 7, 30, tzinfo=UTC)  # Monday 22 June 2026, 9:30 in Warsaw


@dataclass
class Site:
    config: Path
    location: Location
    now: list[datetime]
    client_for: Callable[[], Client]

    def link(self, person: str, *, at: datetime | None = None) -> str:
        with open_store(self.location, "mopr-przyklad") as store:
            url = issue_login_link(store, secret=SECRET, base_url="http://localhost",
                                   person_id=person, now=at or self.now[0])  # fmt: skip
        return url.removeprefix("http://localhost")

    def signed_in(self, person: str) -> Client:
        client = self.client_for()
        path = self.link(person)
        response = client.post(path, data={"csrf_token": csrf(client.get(path))})
        assert response.status_code == 303, response.text
        return client


def csrf(response: TestResponse) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert found, response.text
    return found.group(1)


def make_site(tmp_path: Path, extra: str = "", *, environ: dict[str, str] | None = None) -> Site:
    config = copy_example(tmp_path / "org", extra)
    organisation = load_organisation(config)
    location = locate(path=organisation.settings.state.path, config=config)
    now = [START]
    app = create_app(WebConfig(config=config, location=location, secret=SECRET,
                               clock=lambda: now[0], environ=environ or {}))  # fmt: skip

    def client_for() -> Client:
        return Client(DispatcherMiddleware(NotFound(), {"/app": app}))

    return Site(config=config, location=location, now=now, client_for=client_for)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return make_site(tmp_path)


def post(client: Client, path: str, data: dict[str, str], *,
         page: str | None = None) -> TestResponse:  # fmt: skip
    token = csrf(client.get(page or path))
    return client.post(path, data={"csrf_token": token, **data})


# -- signing in -------------------------------------------------------------------------------


def test_the_link_shows_a_button_and_only_its_post_signs_in(site: Site) -> None:
    client = site.client_for()
    path = site.link("kier-dsps")
    shown = client.get(path)
    assert shown.status_code == 200 and "Zaloguj" in shown.text
    assert client.get("/app/").status_code == 302  # the GET signed nobody in
    signed = client.post(path, data={"csrf_token": csrf(shown)})
    assert signed.status_code == 303
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/app" in cookie
    assert "Secure" not in cookie  # base_url is http here
    home = client.get("/app/")
    assert home.status_code == 200 and "Moje terminy" in home.text
    assert "Kierownik Działu Świadczeń Pomocy Społecznej" in home.text


def test_a_used_link_is_refused(site: Site) -> None:
    path = site.link("kier-dsps")
    first = site.client_for()
    first.post(path, data={"csrf_token": csrf(first.get(path))})
    second = site.client_for()
    again = second.post(path, data={"csrf_token": csrf(second.get(path))})
    assert again.status_code == 403 and "nieważny" in again.text
    assert second.get("/app/").status_code == 302


def test_an_expired_link_is_refused(site: Site) -> None:
    path = site.link("kier-dsps")
    client = site.client_for()
    token = csrf(client.get(path))
    site.now[0] = START + timedelta(minutes=15, seconds=1)
    refused = client.post(path, data={"csrf_token": token})
    assert refused.status_code == 403
    assert client.get("/app/").status_code == 302


@pytest.mark.parametrize("token", [
    "feed", "altered", "nonsense",
], ids=["personal-feed-token", "altered-signature", "nonsense"])
def test_other_tokens_never_sign_in(site: Site, token: str) -> None:
    if token == "feed":
        value = feed_token(SECRET, "kier-dsps")
    elif token == "altered":
        good = site.link("kier-dsps").rsplit("/", 1)[1]
        value = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    else:
        value = "x.y"
    client = site.client_for()
    path = f"/app/zaloguj/{value}"
    assert client.post(path, data={"csrf_token": csrf(client.get(path))}).status_code == 403
    assert client.get("/app/").status_code == 302


def test_signing_out_ends_the_session(site: Site) -> None:
    client = site.signed_in("kier-dsps")
    assert post(client, "/app/wyloguj", {}, page="/app/").status_code == 303
    assert client.get("/app/").status_code == 302


def test_the_session_slides_and_ends_after_idle_time(site: Site) -> None:
    client = site.signed_in("kier-dsps")
    site.now[0] = START + timedelta(hours=7)
    assert client.get("/app/").status_code == 200  # moves the end 8 hours on
    site.now[0] = START + timedelta(hours=14)
    assert client.get("/app/").status_code == 200
    site.now[0] = START + timedelta(hours=23)
    assert client.get("/app/").status_code == 302


def test_a_post_without_the_csrf_token_is_refused(site: Site) -> None:
    client = site.signed_in("kier-dsps")
    for path, data in (("/app/potwierdz", {"id": OCC}),
                       ("/app/nieobecnosci", {"start": "2026-07-01", "end": "2026-07-02",
                                              "category": "urlop"}),
                       ("/app/wyloguj", {})):  # fmt: skip
        refused = client.post(path, data=data)
        assert refused.status_code == 400, path
        assert "CSRF" in refused.text
    with open_store(site.location, "mopr-przyklad") as store:
        assert store.confirmations() == {}
        assert store.absences() == []


def test_single_sign_on_from_a_trusted_proxy_only(tmp_path: Path) -> None:
    extra = ('[server]\ntrusted_user_header = "X-Remote-User"\n'
             'trusted_proxies = ["127.0.0.1"]\n')  # fmt: skip
    site = make_site(tmp_path, extra)
    config = site.config.read_text(encoding="utf-8").replace(
        'id = "kier-dsps"\n', 'id = "kier-dsps"\nlogin = "jkowalska"\n')
    site.config.write_text(config, encoding="utf-8")
    client = site.client_for()
    trusted = client.get("/app/", headers={"X-Remote-User": "JKowalska"},
                         environ_base={"REMOTE_ADDR": "127.0.0.1"})  # fmt: skip
    assert trusted.status_code == 200 and "Moje terminy" in trusted.text
    untrusted = client.get("/app/", headers={"X-Remote-User": "jkowalska"},
                           environ_base={"REMOTE_ADDR": "10.1.2.3"})  # fmt: skip
    assert untrusted.status_code == 302


@pytest.mark.parametrize(("extra", "message"), [
    ('[server]\ntrusted_user_header = "X-Remote-User"\n', "wymaga listy „trusted_proxies”"),
    ('[server]\ntrusted_user_header = "X Remote"\ntrusted_proxies = ["10.0.0.1"]\n',
     "nazwą nagłówka HTTP"),
    ('[server]\ntrusted_proxies = ["serwer-proxy"]\n', "nie jest adresem IP ani siecią"),
    ('[server]\nabsence_retention = 0\n', "absence_retention"),
], ids=["header-without-proxies", "bad-header", "bad-proxy", "retention"])
def test_server_settings_are_checked_in_polish(tmp_path: Path, extra: str, message: str) -> None:
    config = copy_example(tmp_path / "org", extra)
    with pytest.raises(TerminarzError, match=re.escape(message)):
        load_organisation(config)


def test_behind_https_the_cookie_is_secure(tmp_path: Path) -> None:
    site = make_site(tmp_path, '[server]\nbase_url = "https://terminarz.example.org"\n')
    client = site.client_for()
    path = site.link("kier-dsps")
    signed = client.post(path, data={"csrf_token": csrf(client.get(path))})
    assert "Secure" in signed.headers["Set-Cookie"]


# -- roles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("person", "path", "status"), [
    ("prac-dsps", "/app/osoba/kier-dsps", 403),
    ("prac-dsps", "/app/osoba/prac-dsps", 200),
    ("kier-dsps", "/app/osoba/prac-dsps", 200),
    ("kier-dokip", "/app/osoba/kier-dsps", 403),
    ("dyrektor", "/app/osoba/kier-dsps", 200),
    ("prac-dsps", "/app/dzial", 403),
    ("kier-dsps", "/app/dzial", 200),
    ("kier-dsps", "/app/dzial?dzial=dokip", 403),
    ("kier-dsps", "/app/osrodek", 403),
    ("dyrektor", "/app/osrodek", 200),
    ("kier-dsps", "/app/wyznaczenie", 403),
    ("dyrektor", "/app/wyznaczenie", 200),
    ("prac-dsps", "/app/miesiac?zakres=osrodek", 200),
], ids=lambda v: str(v))
def test_who_may_see_which_page(site: Site, person: str, path: str, status: int) -> None:
    assert site.signed_in(person).get(path).status_code == status


def test_the_home_page_lists_roles_tasks_and_buttons(site: Site) -> None:
    page = site.signed_in("kier-dsps").get("/app/").text
    assert "MPiPS-03a" in page and "I półrocze 2026 r." in page
    # Monday 22 June → Wednesday 15 July: 23 calendar days; working days 23–26 June (4),
    # 29 June–3 July (5), 6–10 July (5), 13–15 July (3) = 17, as `due` shows them
    assert "środa, 15 lipca 2026 r." in page and "za 17 dni rob. (23 dni)" in page
    assert "odpowiedzialność podstawowa" in page
    assert "Potwierdź wysłanie" in page
    assert "Dostarczyć dane: Dział Organizacji, Kadr i Płac" in page
    delivery = site.signed_in("kier-dokip").get("/app/").text
    assert "Dane dostarczone" in delivery and "poniedziałek, 6 lipca 2026 r." in delivery


def test_confirm_and_undo_are_recorded_and_audited(site: Site) -> None:
    client = site.signed_in("kier-dsps")
    done = post(client, "/app/potwierdz", {"id": OCC, "action": "done"}, page="/app/")
    assert done.status_code == 303
    page = client.get("/app/").text
    assert "✔ potwierdzone" in page and "Cofnij" in page
    with open_store(site.location, "mopr-przyklad") as store:
        confirmation = store.confirmation(OCC)
        assert confirmation is not None and confirmation.by == "kier-dsps"
    assert post(client, "/app/potwierdz", {"id": OCC, "action": "undo"},
                page="/app/").status_code == 303  # fmt: skip
    with open_store(site.location, "mopr-przyklad") as store:
        assert store.confirmation(OCC) is None
        actions = [e.action for e in store.audit_log()]
    assert actions[-2:] == ["confirmed", "unconfirmed"]
    history = client.get("/app/historia").text
    assert "potwierdzono wysłanie" in history and "cofnięto potwierdzenie" in history


def test_the_delivery_task_is_confirmed_under_its_own_id(site: Site) -> None:
    client = site.signed_in("kier-dokip")
    assert post(client, "/app/potwierdz", {"id": DELIVERY}, page="/app/").status_code == 303
    with open_store(site.location, "mopr-przyklad") as store:
        assert set(store.confirmations()) == {DELIVERY}


@pytest.mark.parametrize(("person", "target"), [
    ("prac-dokip", OCC), ("kier-dsps", DELIVERY), ("kier-dokip", OCC),
], ids=["clerk-of-another-unit", "not-the-delivering-head", "head-of-another-unit"])
def test_acting_for_someone_else_is_refused(site: Site, person: str, target: str) -> None:
    client = site.signed_in(person)
    assert post(client, "/app/potwierdz", {"id": target}, page="/app/").status_code == 403


def test_a_head_records_absences_and_the_substitute_tier_takes_over(site: Site) -> None:
    before = site.signed_in("kier-dokip").get("/app/").text
    assert "Potwierdź wysłanie" not in before  # only the delivery task is theirs
    head = site.signed_in("kier-dsps")
    for person in ("kier-dsps", "zast-dsps", "prac-dsps"):
        saved = post(head, "/app/nieobecnosci", {"person": person, "start": "2026-07-08",
                                                  "end": "2026-07-20", "category": "urlop"})
        assert saved.status_code == 303
    after = site.signed_in("kier-dokip").get("/app/").text
    assert "zastępstwo (grupa 2)" in after and "Potwierdź wysłanie" in after
    assert "Potwierdź wysłanie" not in head.get("/app/").text  # no longer theirs


def test_colleagues_see_only_that_someone_is_away(site: Site) -> None:
    head = site.signed_in("kier-dsps")
    post(head, "/app/nieobecnosci", {"person": "zast-dsps", "start": "2026-07-01",
                                     "end": "2026-07-03", "category": "zwolnienie"})
    assert "zwolnienie lekarskie" in head.get("/app/nieobecnosci").text
    page = site.signed_in("prac-dsps").get("/app/nieobecnosci").text
    colleague = page.split("Zapisane w terminarzu")[1]
    assert "nieobecny/nieobecna" in colleague and "zwolnienie" not in colleague
    assert "Wycofaj" not in colleague


def test_a_clerk_cannot_record_for_someone_else(site: Site) -> None:
    clerk = site.signed_in("prac-dsps")
    refused = post(clerk, "/app/nieobecnosci", {"person": "kier-dsps", "start": "2026-07-01",
                                                "end": "2026-07-03", "category": "urlop"})
    assert refused.status_code == 403


@pytest.mark.parametrize(("start", "end", "category", "message"), [
    ("2026-07-03", "2026-07-01", "urlop", "nie może być wcześniejsza"),
    ("", "2026-07-01", "urlop", "Proszę podać daty"),
    ("2026-07-01", "2026-07-03", "choroba: grypa", "Proszę wybrać rodzaj"),
], ids=["reversed", "missing", "free-text-category"])
def test_a_bad_absence_is_explained(site: Site, start: str, end: str, category: str,
                                    message: str) -> None:  # fmt: skip
    clerk = site.signed_in("prac-dsps")
    answer = post(clerk, "/app/nieobecnosci", {"start": start, "end": end, "category": category})
    assert answer.status_code == 400 and message in answer.text


def test_old_absences_are_purged_after_the_retention(tmp_path: Path) -> None:
    site = make_site(tmp_path, "[server]\nabsence_retention = 30\n")
    with open_store(site.location, "mopr-przyklad") as store:
        store.add_absence(person="prac-dsps", start=date(2026, 4, 1), end=date(2026, 4, 3),
                          category=AbsenceCategory.LEAVE, by="prac-dsps", at=START)
        store.add_absence(person="prac-dsps", start=date(2026, 6, 1), end=date(2026, 6, 3),
                          category=AbsenceCategory.LEAVE, by="prac-dsps", at=START)
    site.signed_in("prac-dsps").get("/app/nieobecnosci")
    with open_store(site.location, "mopr-przyklad") as store:
        assert [a.start for a in store.absences()] == [date(2026, 6, 1)]


def test_the_director_designates_and_the_person_sees_it(site: Site) -> None:
    director = site.signed_in("dyrektor")
    saved = post(director, "/app/wyznaczenie", {"occurrence": OCC, "person": "prac-dokip",
                                                "basis": "pkt II.5 Zasad — polecenie z 22.06.2026"})
    assert saved.status_code == 303
    page = site.signed_in("prac-dokip").get("/app/").text
    assert "osoba wyznaczona" in page
    missing = post(director, "/app/wyznaczenie", {"occurrence": OCC, "person": "prac-dokip",
                                                  "basis": ""})
    assert missing.status_code == 400 and "Proszę podać podstawę" in missing.text


def test_the_tables_and_their_csv(site: Site) -> None:
    director = site.signed_in("dyrektor")
    page = director.get("/app/osrodek").text
    assert "MPiPS-03a" in page and "grupa podstawowa" in page and "oczekuje" in page
    exported = director.get("/app/osrodek.csv")
    assert exported.headers["Content-Type"].startswith("text/csv")
    lines = exported.text.lstrip("\ufeff").splitlines()
    assert lines[0] == "termin;wystąpienie;sprawozdanie;okres;kto;dlaczego;stan"
    assert any(line.startswith(f"2026-07-15;{OCC};") for line in lines)


def test_the_month_marks_holidays_and_days_off(site: Site) -> None:
    page = site.signed_in("kier-dsps").get("/app/miesiac?m=2026-08").text
    assert "sierpień 2026" in page
    assert "Wniebowzięcie" in page
    assert "dzień wolny za święto 15 sierpnia" in page
    july = site.signed_in("kier-dsps").get("/app/miesiac?m=2026-07").text
    assert "MPiPS-03a" in july and 'href="/app/miesiac?m=2026-06' in july


def test_an_announced_date_is_stored(site: Site) -> None:
    client = site.signed_in("kier-dsps")
    saved = post(client, "/app/termin", {"occurrence": OCC, "due": "2026-07-10",
                                         "source": "pismo wojewody z 1.06.2026"})
    assert saved.status_code == 303
    with open_store(site.location, "mopr-przyklad") as store:
        assert store.announced_dates()[OCC].due == date(2026, 7, 10)
    other = site.signed_in("prac-dokip")
    refused = post(other, "/app/termin", {"occurrence": OCC, "due": "2026-07-10",
                                          "source": "x"})
    assert refused.status_code == 403


def test_the_accessibility_statement_is_public(site: Site) -> None:
    page = site.client_for().get("/app/deklaracja-dostepnosci")
    assert page.status_code == 200
    assert "Deklaracja dostępności" in page.text and "WCAG 2.1" in page.text
    assert "Miejski Ośrodek Pomocy Rodzinie w Przykładowie" in page.text
    assert 'lang="pl"' in page.text


def test_due_starts_without_flask(tmp_path: Path) -> None:
    import subprocess
    import sys

    config = copy_example(tmp_path / "org")
    code = ("import sys; from terminarz.cli import main; "
            f"main(['due', '--config', {str(config)!r}, '--today', '2026-06-22']); "
            "sys.exit(1 if {'flask', 'werkzeug', 'flask_wtf'} & set(sys.modules) else 0)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr


def test_due_and_who_show_what_the_pages_recorded(site: Site) -> None:
    from terminarz.cli import main

    with open_store(site.location, "mopr-przyklad") as store:
        store.add_designation(person="prac-dokip", occurrence_id=OCC, start=None, end=None,
                              basis="pkt II.5 — polecenie", by="dyrektor", at=START)
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["who", OCC, "--config", str(site.config), "--today", "2026-06-22"])
        main(["due", "--config", str(site.config), "--today", "2026-06-22", "--month", "2026-07"])
    text = out.getvalue()
    assert "pkt II.5 — polecenie" in text and "prac-dokip (wyznaczenie)" in text


def test_a_link_is_mailed_to_the_address_in_the_file_only(tmp_path: Path) -> None:
    from email import message_from_bytes
    from email.message import EmailMessage
    from email.policy import default

    from tests.test_mail_sink import smtp_sink

    with smtp_sink() as server:
        site = make_site(tmp_path, environ=server.env())
        client = site.client_for()
        for address in ("Kierownik.DSPS@example.org", "ktos@example.com"):
            answer = post(client, "/app/logowanie", {"email": address})
            assert answer.status_code == 200 and "Proszę sprawdzić pocztę" in answer.text
        received = server.sink.take()
        for _ in range(50):  # the sink keeps a message just after answering
            if received:
                break
            time.sleep(0.05)
            received = server.sink.take()
    assert [r.rcpt_tos for r in received] == [("kierownik.dsps@example.org",)]
    mail = message_from_bytes(received[0].data, policy=default)
    assert isinstance(mail, EmailMessage)
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    url = re.search(r"http://\S+/app/zaloguj/\S+", body.get_content())
    assert url, body.get_content()
    path = url.group(0).split("8080", 1)[1]
    signed = client.post(path, data={"csrf_token": csrf(client.get(path))})
    assert signed.status_code == 303
    assert "Kierownik Działu Świadczeń" in client.get("/app/").text


def test_the_director_designates_for_a_date_range(site: Site) -> None:
    director = site.signed_in("dyrektor")
    saved = post(director, "/app/wyznaczenie", {
        "mode": "range", "obligation": "mpips-03a@ops", "person": "prac-dokip",
        "start": "2026-07-01", "end": "2026-07-31", "basis": "pkt II.5 — urlopy w DŚPS"})
    assert saved.status_code == 303
    assert "od 1 lipca 2026 r. do 31 lipca 2026 r." in director.get("/app/wyznaczenie").text
    assert "osoba wyznaczona" in site.signed_in("prac-dokip").get("/app/").text
    reversed_range = post(director, "/app/wyznaczenie", {
        "mode": "range", "obligation": "mpips-03a@ops", "person": "prac-dokip",
        "start": "2026-07-31", "end": "2026-07-01", "basis": "x"})
    assert reversed_range.status_code == 400 and "Proszę podać okres" in reversed_range.text


def test_the_director_is_asked_to_designate_when_nobody_is_available(site: Site) -> None:
    with open_store(site.location, "mopr-przyklad") as store:
        for person in ("kier-dsps", "zast-dsps", "prac-dsps", "kier-dokip", "prac-dokip"):
            store.add_absence(person=person, start=date(2026, 7, 6), end=date(2026, 7, 20),
                              category=AbsenceCategory.LEAVE, by=person, at=START)
    page = site.signed_in("dyrektor").get("/app/").text
    assert "wyznaczenie osoby — nikt nie jest dostępny" in page
    assert 'href="/app/wyznaczenie"' in page
    table = site.signed_in("dyrektor").get("/app/osrodek").text
    assert "wymaga wyznaczenia" in table

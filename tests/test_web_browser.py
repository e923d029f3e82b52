"""The pages in a real browser: Debian's chromium driven by Playwright, against ``terminarz serve``.

The server is the real command on a free loopback port (``--port 0``), for the bundled
example organisation on Monday 22 June 2026 (``--today``): MPiPS-03a for the first
half of 2026 is due on 15 July 2026 and is the DŚPS group's (kier-dsps first).
Sign-in links come from ``terminarz login-url``. Every page is checked with axe-core
(``tests/vendor/axe.min.js``, MPL-2.0) for serious or critical WCAG 2.1 A/AA
violations and photographed into the test's temporary folder.

With ``CI=true`` these tests must run (no browser is a failure); elsewhere they are
skipped with the reason when chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.test_reminders import copy_example

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SECRET = "sekret-testowy-0123456789abcdef"
TODAY = "2026-06-22"
OCC = "mpips-03a@ops/2026-H1"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"brak przeglądarki {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "brak pakietu playwright (pip install playwright)"
    return None


MISSING = _browser_missing()
if MISSING and IN_CI:
    raise RuntimeError(f"CI=true, a testy przeglądarkowe nie mogą się uruchomić: {MISSING}")
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"testy przeglądarkowe: {MISSING}")


@dataclass
class Served:
    url: str
    config: Path
    env: dict[str, str]
    log: Path
    shots: Path

    def terminarz(self, *args: str) -> str:
        run = subprocess.run([sys.executable, "-m", "terminarz", *args, "--config",
                              str(self.config)], env=self.env, capture_output=True, text=True,
                             encoding="utf-8", timeout=60)  # fmt: skip
        assert run.returncode == 0, run.stderr
        return run.stdout

    def login_path(self, person: str, *, today: str = TODAY) -> str:
        url = self.terminarz("login-url", person, "--today", today).strip()
        return re.sub(r"^https?://[^/]+", "", url)


@contextmanager
def serving(folder: Path, config: Path, *extra: str, today: str = TODAY) -> Iterator[Served]:
    """``terminarz serve --config config`` (with ``extra`` arguments) on a free loopback port,
    its log and screenshots in ``folder``; stopped on leaving."""
    env = {**os.environ, "TERMINARZ_SECRET": SECRET, "NO_COLOR": "1"}
    env.pop("TERMINARZ_STATE_URL", None)
    log = folder / "serve.log"
    with log.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "terminarz", "serve", "--config", str(config), "--port", "0",
             "--today", today, *extra], stderr=sink, env=env,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        match = None
        while match is None and time.monotonic() < deadline:
            match = re.search(r"działa: (http://127\.0\.0\.1:\d+)/", log.read_text("utf-8"))
            assert process.poll() is None, log.read_text("utf-8")
            time.sleep(0.05)
        assert match, log.read_text("utf-8")
        shots = folder / "screenshots"
        shots.mkdir()
        yield Served(url=match.group(1), config=config, env=env, log=log, shots=shots)
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("web")
    with serving(folder, copy_example(folder / "org")) as found:
        yield found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser: Any, *, phone: bool = False) -> Any:
    size = {"width": 390, "height": 844} if phone else {"width": 1200, "height": 900}
    # bypass_csp: the pages forbid scripts; axe-core is injected by the test only
    context = browser.new_context(viewport=size, bypass_csp=True, locale="pl-PL")
    return context.new_page()


def check(page: Any, served: Served, name: str) -> None:
    """No serious or critical axe-core violation; a full-page screenshot saved."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    bad = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]  # fmt: skip
    page.screenshot(path=str(served.shots / f"{name}.png"), full_page=True)
    assert bad == [], f"{name}: {bad}"
    assert page.locator("html").get_attribute("lang") == "pl"


def sign_in(browser: Any, served: Served, person: str, *, phone: bool = False) -> Any:
    page = new_page(browser, phone=phone)
    page.goto(served.url + served.login_path(person))
    page.get_by_role("button", name="Zaloguj").click()
    page.wait_for_url(re.compile(r"/app/$"))
    return page


def feed_text(served: Served, person: str) -> str:
    url = served.terminarz("feed-url", person).splitlines()[0]
    path = re.sub(r"^https?://[^/]+", "", url)
    with urllib.request.urlopen(served.url + path, timeout=10) as response:
        return str(response.read().decode("utf-8"))


def test_a_clerk_a_head_and_the_director_do_their_month(browser: Any, served: Served) -> None:
    # -- the head of DŚPS signs in with a one-time link and sees the deadline
    link = served.login_path("kier-dsps")
    page = new_page(browser)
    page.goto(served.url + link)
    check(page, served, "logowanie")
    page.get_by_role("button", name="Zaloguj").click()
    page.wait_for_url(re.compile(r"/app/$"))
    assert page.get_by_role("heading", name="Moje terminy").is_visible()
    card = page.locator("article", has_text="MPiPS-03a")
    assert "środa, 15 lipca 2026 r." in card.inner_text()
    assert "odpowiedzialność podstawowa" in card.inner_text()
    check(page, served, "moje-terminy")

    # -- confirm: ✔ on the page, in `due` and in the personal feed; then undo
    card.get_by_role("button", name=re.compile("^Potwierdź wysłanie")).click()
    card = page.locator("article", has_text="MPiPS-03a")
    assert "✔ potwierdzone" in card.inner_text()
    check(page, served, "moje-terminy-potwierdzone")
    assert "✔ wysłano 2026-06-22" in served.terminarz("due", "--today", TODAY, "--month",
                                                       "2026-07")  # fmt: skip
    assert "✔" in feed_text(served, "kier-dsps")
    card.get_by_role("button", name=re.compile("^Cofnij")).click()
    card = page.locator("article", has_text="MPiPS-03a")
    assert "✔" not in card.inner_text()
    assert "✔" not in served.terminarz("due", "--today", TODAY, "--month", "2026-07")

    # -- the other pages of a head
    page.get_by_role("link", name="Miesiąc").click()
    page.get_by_role("link", name="następny miesiąc →").click()
    assert "lipiec 2026" in page.inner_text("h1")
    check(page, served, "miesiac")
    page.get_by_role("link", name="Dział", exact=True).click()
    assert "MPiPS-03a" in page.inner_text("table")
    check(page, served, "dzial")
    page.get_by_role("link", name="Termin do ustalenia").click()
    check(page, served, "termin")

    # -- the head records leave for the whole DŚPS group: the report passes to DOKiP
    substitute = sign_in(browser, served, "kier-dokip")
    assert not substitute.get_by_role("button", name=re.compile("^Potwierdź wysłanie")).count()
    page.get_by_role("link", name="Nieobecności").click()
    for person in ("Kierownik Działu Świadczeń", "Zastępca Kierownika", "Pracownik DŚPS"):
        page.get_by_label("Osoba").select_option(_option(page, person))
        page.get_by_label("Od (pierwszy dzień nieobecności)").fill("2026-07-08")
        page.get_by_label("Do (ostatni dzień nieobecności)").fill("2026-07-20")
        page.get_by_label("Rodzaj").select_option("urlop")
        page.get_by_role("button", name="Zapisz nieobecność").click()
    assert page.locator("table").first.inner_text().count("urlop") == 3
    check(page, served, "nieobecnosci")
    substitute.reload()
    card = substitute.locator("article", has_text="MPiPS-03a")
    assert "zastępstwo (grupa 2)" in card.inner_text()
    assert card.get_by_role("button", name=re.compile("^Potwierdź wysłanie")).count() == 1
    who = served.terminarz("who", OCC, "--today", TODAY)
    assert "kier-dokip" in who and "zastępstwo" in who.lower()
    assert "MPiPS-03a" in feed_text(served, "kier-dokip")  # the feed follows the handover

    # -- the director designates a person (II.5); `who` shows it
    director = sign_in(browser, served, "dyrektor")
    director.get_by_role("link", name="Ośrodek").click()
    assert "MPiPS-03a" in director.inner_text("table")
    check(director, served, "osrodek")
    director.get_by_role("link", name="Wyznaczenie (II.5)").click()
    director.get_by_label("Sprawozdanie", exact=True).select_option(OCC)
    director.get_by_label("Osoba wyznaczona", exact=True).select_option("prac-dokip")
    basis = director.get_by_label("Podstawa wyznaczenia", exact=True)
    basis.fill("pkt II.5 Zasad — polecenie z 22.06.2026")
    director.get_by_role("button", name="Wyznacz", exact=True).click()
    assert "polecenie z 22.06.2026" in director.inner_text("main")
    check(director, served, "wyznaczenie")
    assert "wyznaczenie" in served.terminarz("who", OCC, "--today", TODAY).lower()
    director.get_by_role("link", name="Historia").click()
    assert "wyznaczono osobę" in director.inner_text("table")
    check(director, served, "historia")
    director.get_by_role("link", name="Deklaracja dostępności").click()
    check(director, served, "deklaracja-dostepnosci")

    # -- on a phone
    phone = sign_in(browser, served, "prac-dokip", phone=True)
    assert "osoba wyznaczona" in phone.inner_text("main")
    check(phone, served, "moje-terminy-telefon")

    # -- the log never shows a sign-in token
    assert link.rsplit("/", 1)[1] not in served.log.read_text("utf-8")
    assert "/app/zaloguj/…" in served.log.read_text("utf-8")


def _option(page: Any, start: str) -> str:
    for option in page.get_by_label("Osoba").locator("option").all():
        if option.inner_text().startswith(start):
            return str(option.get_attribute("value"))
    raise AssertionError(start)


def test_what_the_server_refuses(browser: Any, served: Served) -> None:
    # a used link
    path = served.login_path("kier-dsps")
    first = new_page(browser)
    first.goto(served.url + path)
    first.get_by_role("button", name="Zaloguj").click()
    first.wait_for_url(re.compile(r"/app/$"))
    again = new_page(browser)
    again.goto(served.url + path)
    again.get_by_role("button", name="Zaloguj").click()
    assert "Link logowania jest nieważny" in again.inner_text("h1")
    check(again, served, "link-niewazny")

    # an expired link: made the day before, valid for 15 minutes
    stale = new_page(browser)
    stale.goto(served.url + served.login_path("kier-dsps", today="2026-06-21"))
    stale.get_by_role("button", name="Zaloguj").click()
    assert "nieważny" in stale.inner_text("h1")

    # a POST without the CSRF token, with a valid session cookie
    response = first.context.request.post(served.url + "/app/potwierdz", form={"id": OCC})
    assert response.status == 400
    response = first.context.request.post(served.url + "/app/nieobecnosci", form={
        "start": "2026-07-01", "end": "2026-07-02", "category": "urlop"})
    assert response.status == 400

    # another person's page
    clerk = sign_in(browser, served, "prac-dokip")
    answer = clerk.goto(served.url + "/app/osoba/kier-dsps")
    assert answer is not None and answer.status == 403
    assert "Brak dostępu" in clerk.inner_text("h1")
    check(clerk, served, "brak-dostepu")
    assert clerk.goto(served.url + "/app/osrodek").status == 403

    # the personal feed's token does not sign in
    token = feed_text_path(served, "prac-dokip").rsplit("/", 1)[1].removesuffix(".ics")
    outsider = new_page(browser)
    outsider.goto(served.url + "/app/zaloguj/" + token)
    outsider.get_by_role("button", name="Zaloguj").click()
    assert "nieważny" in outsider.inner_text("h1")


def feed_text_path(served: Served, person: str) -> str:
    url = served.terminarz("feed-url", person).splitlines()[0]
    return re.sub(r"^https?://[^/]+", "", url)


PENDING = "mrips-03-p@ops/2026-H1"  # announced each year; usually 20–23 July (cas-pomoc-spoleczna)


@pytest.fixture(scope="module")
def served_today(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The example organisation of today's law (calendars/examples/osrodek-pomocy.toml)."""
    from terminarz.paths import calendars_dir

    folder = tmp_path_factory.mktemp("web-dzis")
    examples = calendars_dir() / "examples"
    org = folder / "org"
    org.mkdir()
    for name in ("urlopy.ics", "terminy-osrodka.toml"):
        shutil.copy(examples / name, org / name)
    config = org / "osrodek.toml"
    text = (examples / "osrodek-pomocy.toml").read_text(encoding="utf-8")
    config.write_text(f'{text}\n[state]\npath = "state.sqlite3"\n', encoding="utf-8")
    with serving(folder, config) as running:
        yield running


def test_dates_still_to_be_announced_and_entering_one(browser: Any,
                                                      served_today: Served) -> None:  # fmt: skip
    """Moje terminy lists the reports whose date is not announced yet, with the usual window
    and the day to find it out by; entering the date on "Termin do ustalenia" moves the
    report into the dated list (and `due`)."""
    served = served_today
    page = sign_in(browser, served, "kier-dsps")
    assert page.get_by_role("heading", name="Terminy do ustalenia").is_visible()
    anchor = "".join(c if c.isalnum() else "-" for c in PENDING)
    card = page.locator(f"#u-{anchor}")
    text = card.inner_text()
    assert "MRiPS-03 (P)" in text and "I półrocze 2026 r." in text
    assert "nie został jeszcze ogłoszony — zwykle 20.07–23.07.2026 r." in text
    assert "poniedziałek, 6 lipca 2026 r." in text  # 10 working days before 20 July
    assert page.locator(f"#r-{anchor}").count() == 0  # not among the dated ones
    check(page, served, "moje-terminy-do-ustalenia")

    card.get_by_role("link", name="Wpisanie ogłoszonego terminu").click()
    assert page.get_by_label("Sprawozdanie", exact=True).input_value() == PENDING
    check(page, served, "termin-do-ustalenia")
    page.get_by_label("Ogłoszony termin").fill("2026-07-22")
    page.get_by_label("Źródło (np. pismo wojewody z dnia …)").fill(
        "pismo wojewody z dnia 15 czerwca 2026 r.")
    page.get_by_role("button", name="Zapisz termin").click()
    assert "pismo wojewody z dnia 15 czerwca 2026 r." in page.inner_text("main")

    page.get_by_role("link", name="Moje terminy").click()
    assert page.locator(f"#u-{anchor}").count() == 0
    dated = page.locator(f"#r-{anchor}")
    assert "środa, 22 lipca 2026 r." in dated.inner_text()
    assert dated.get_by_role("button", name=re.compile("^Potwierdź wysłanie")).count() == 1
    check(page, served, "moje-terminy-po-wpisaniu")
    due = served.terminarz("due", "--today", TODAY, "--month", "2026-07")
    table, _, rest = due.partition("Terminy do ustalenia")
    assert PENDING in table and PENDING not in rest.partition("Zadania wewnętrzne")[0]
    assert "śr 22 lip 2026" in next(line for line in table.splitlines() if PENDING in line)

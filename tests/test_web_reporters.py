"""The page "Sprawozdawcy" in a real browser, against ``terminarz serve --orgs`` of a voivode
and three gminas on Wednesday 20 January 2027: sr@ops/2026-Q4 was due on Friday 15 January;
gops-001 sent it on the 14th, gops-002 and gops-003 did not (3 working days late).

Receipt and return through the forms (with their CSRF tokens), the effect in the sender's store
and in ``terminarz status``, the CSV export, a POST without a token refused; axe-core finds no
serious or critical violation and a screenshot is saved under the test's folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from terminarz.store import Location, open_store
from tests import test_web_browser
from tests.test_status import OCC, TODAY, three_gminas
from tests.test_web_browser import MISSING, Served, check, feed_text, new_page, serving

browser = test_web_browser.browser  # the module's Chromium, shared fixture
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"testy przeglądarkowe: {MISSING}")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Location]]:
    folder = tmp_path_factory.mktemp("sprawozdawcy")
    upper, state, gminy = three_gminas(folder)
    with serving(folder, upper, "--orgs", gminy, today=TODAY) as served:
        yield served, state


def test_the_voivode_receives_and_returns_reports(
    browser: Any, deployment: tuple[Served, Location]
) -> None:
    served, state = deployment
    page = new_page(browser)
    page.goto(served.url + served.login_path("insp-osr", today=TODAY))
    page.get_by_role("button", name="Zaloguj").click()
    page.wait_for_url(re.compile(r"/app/$"))
    page.get_by_role("link", name="Sprawozdawcy").click()
    assert page.get_by_role("heading", name="Sprawozdawcy", exact=True).is_visible()
    main = page.inner_text("main")
    assert "Rzeczowo-finansowe ŚR za IV kwartał 2026 r. — termin pt 15 sty 2027" in main
    assert "wpłynęło 1 z 3; po terminie 2" in main
    assert "termin własny sr@uw/2026-Q4: pt 5 lut 2027" in main
    row = page.locator("tr", has_text="gops-002")
    assert "po terminie: 3 dni robocze" in row.inner_text()
    check(page, served, "sprawozdawcy")
    phone = new_page(browser, phone=True)
    phone.goto(served.url + served.login_path("kier-osr", today=TODAY))
    phone.get_by_role("button", name="Zaloguj").click()
    phone.wait_for_url(re.compile(r"/app/$"))
    phone.goto(served.url + "/app/sprawozdawcy")
    check(phone, served, "sprawozdawcy-telefon")

    # receipt of gops-001's report
    page.get_by_role("button", name="Przyjęto: Gminny Ośrodek Pomocy Społecznej nr 001").click()
    page.wait_for_url(re.compile(r"/app/sprawozdawcy"))
    assert "przyjęto śr 20 sty 2027 (uw-przyklad/insp-osr)" in page.locator(
        "tr", has_text="gops-001").inner_text()
    assert "wpłynęło 1 z 3; po terminie 2; przyjęto 1" in page.inner_text("main")

    # return it for correction by 27 January: open again for the sender
    row = page.locator("tr", has_text="gops-001")
    row.get_by_label("Nowy termin").fill("2027-01-27")
    row.get_by_label("Uwaga (co poprawić)").fill("błędna kwota w wierszu 12")
    row.get_by_role("button", name=re.compile("^Do poprawy")).click()
    page.wait_for_url(re.compile(r"/app/sprawozdawcy"))
    assert "do poprawy do śr 27 sty 2027" in page.locator("tr", has_text="gops-001").inner_text()
    assert "wpłynęło 0 z 3; po terminie 2; do poprawy 1" in page.inner_text("main")
    check(page, served, "sprawozdawcy-po-zwrocie")
    with open_store(state, "gops-001") as store:
        assert store.confirmation(OCC) is None
        assert [r.action.value for r in store.receipts()] == ["received", "returned"]
        assert store.receipts()[-1].note == "błędna kwota w wierszu 12"
    status = json.loads(served.terminarz("status", "--orgs", str(served.config.parent / "gminy"),
                                         "--today", TODAY, "--format", "json"))  # fmt: skip
    assert {r["organisation"]: r["state"] for r in status["reports"]}["gops-001"] == "do poprawy"

    # a return to a past date is refused with a message, nothing recorded
    row = page.locator("tr", has_text="gops-001")
    page.get_by_role("button", name="Przyjęto: Gminny Ośrodek Pomocy Społecznej nr 002").click()
    row = page.locator("tr", has_text="gops-002")
    row.get_by_label("Nowy termin").evaluate("e => { e.removeAttribute('min'); }")
    row.get_by_label("Nowy termin").fill("2027-01-04")
    row.get_by_role("button", name=re.compile("^Do poprawy")).click()
    assert "jest wcześniejszy niż dzisiejsza data" in page.get_by_role("alert").inner_text()
    with open_store(state, "gops-002") as store:
        assert [r.action.value for r in store.receipts()] == ["received"]

    # the CSV export; a POST without the CSRF token is refused
    export = page.request.get(served.url + "/app/sprawozdawcy.csv")
    assert export.status == 200
    lines = export.text().lstrip("\ufeff").splitlines()
    assert lines[0].startswith("organizacja;nazwa;wystąpienie;sprawozdanie;okres;termin;stan")
    assert len(lines) == 4 and any(";do poprawy;" in line for line in lines)
    forged = page.request.post(served.url + "/app/sprawozdawcy", form={
        "akcja": "przyjecie", "organizacja": "gops-003", "wystapienie": OCC})
    assert forged.status == 400
    with open_store(state, "gops-003") as store:
        assert store.receipts() == []

    # the inspector's personal feed carries the counts (serve --orgs reads the deployment)
    from icalendar import Calendar

    calendar = Calendar.from_ical(feed_text(served, "insp-osr"))
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert ("Sprawozdania jednostek: Rzeczowo-finansowe ŚR za IV kwartał 2026 r. — wpłynęło 1 "
            "z 3; po terminie 1; przyjęto 1; do poprawy 1") in summaries


def test_the_page_is_for_upper_levels_only(tmp_path: Path) -> None:
    """A welfare centre's people get 403 (the example organisation names no reporters), and
    their menu has no "Sprawozdawcy"."""
    from tests.test_web import make_site

    client = make_site(tmp_path).signed_in("dyrektor")
    assert "Sprawozdawcy" not in client.get("/app/").text
    assert client.get("/app/sprawozdawcy").status_code == 403
    assert client.get("/app/sprawozdawcy.csv").status_code == 403

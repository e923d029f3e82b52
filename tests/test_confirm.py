"""Confirmation links: signed, bound to occurrence and person, expiring; GET shows, POST confirms.

The page is served by a real waitress server on a free loopback port, through
the same router ``terminarz serve`` uses, and queried with a real HTTP client.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import open_state
from test_reminders import OCC, copy_example

from terminarz.law.workdays import WorkingCalendar
from terminarz.links import LinkClaim, LinkProblem, LinkRefused, link_url, make_token, read_token
from terminarz.org.plan import load_setup
from terminarz.store import locate
from terminarz.web.confirm import ConfirmApp, confirm_app
from terminarz.web.server import Router, RunningServer, mount

SECRET = b"sekret-testowy-0123456789abcdef"
CLAIM = LinkClaim(occurrence_id=OCC, person_id="kier-dokip", expires=date(2027, 2, 17))
WARSAW = ZoneInfo("Europe/Warsaw")


# -- tokens -------------------------------------------------------------------------------


def test_a_token_reads_back() -> None:
    token = make_token(SECRET, CLAIM)
    assert "/" not in token and "@" not in token  # safe in a URL path
    assert read_token(SECRET, token, today=date(2027, 1, 18)) == CLAIM
    assert read_token(SECRET, token, today=date(2027, 2, 17)) == CLAIM  # the last valid day


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: _flip(t, 3),  # the occurrence
        lambda t: _flip(t, t.index(".") - 3),  # the end of the payload (the expiry date)
        lambda t: _flip(t, len(t) - 2),  # the signature
        lambda t: t.split(".")[0],  # no signature
        lambda t: t + ".x",
        lambda t: make_token(SECRET, LinkClaim(occurrence_id=OCC, person_id="prac-dokip",
                                               expires=CLAIM.expires)).split(".")[0]
        + "." + t.split(".")[1],  # another person's payload with this signature
        lambda t: make_token(b"inny-sekret-0123456789abcdef", CLAIM),
        lambda t: "",
        lambda t: "%%%.%%%",
    ],
    ids=["occurrence", "expiry", "signature", "no-signature", "extra-part", "swapped-person",
         "other-secret", "empty", "garbage"],
)  # fmt: skip
def test_a_tampered_token_is_refused(tamper: object) -> None:
    token = tamper(make_token(SECRET, CLAIM))  # type: ignore[operator]
    with pytest.raises(LinkRefused) as info:
        read_token(SECRET, token, today=date(2027, 1, 18))
    assert info.value.problem is LinkProblem.INVALID


def test_an_expired_token_is_refused_as_expired() -> None:
    with pytest.raises(LinkRefused) as info:
        read_token(SECRET, make_token(SECRET, CLAIM), today=date(2027, 2, 18))
    assert info.value.problem is LinkProblem.EXPIRED and info.value.claim == CLAIM


# -- the page over HTTP ---------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2027, 1, 20, 10, 30, tzinfo=WARSAW)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def served(tmp_path: Path, calendar: WorkingCalendar) -> Iterator[tuple[str, Path, Clock]]:
    config = copy_example(tmp_path)
    setup = load_setup(config, today=date(2027, 1, 20), statutory=calendar)
    state = tmp_path / "state.sqlite3"
    clock = Clock()
    app = confirm_app(setup, location=locate(explicit=str(state)), secret=SECRET, clock=clock)
    assert isinstance(app, ConfirmApp)
    with RunningServer(Router([mount("/confirm/", app)])) as server:
        yield server.url, state, clock


def fetch(url: str, *, method: str = "GET", data: dict[str, str] | None = None
          ) -> tuple[int, str, dict[str, str]]:  # fmt: skip
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8"), dict(error.headers)


def confirmed(state: Path) -> tuple[str | None, str, str | None] | None:
    with open_state(state) as ledger:
        found = ledger.confirmation(OCC)
    return None if found is None else (found.confirmed_by, found.confirmed_at, found.note)


def test_get_shows_a_button_and_changes_nothing(served: tuple[str, Path, Clock]) -> None:
    base, state, _ = served
    url = link_url(base, SECRET, CLAIM)
    for _ in range(3):  # a mail scanner may fetch a link several times
        status, page, headers = fetch(url)
        assert status == 200
        assert '<form method="post">' in page
        assert "Potwierdzam wysłanie sprawozdania" in page
        assert "MPiPS-03 — Sprawozdanie roczne" in page
        assert "poniedziałek, 1 lutego 2027 r." in page
        assert "Kierownik Działu Organizacji, Kadr i Płac" in page
        assert headers["Cache-Control"] == "no-store"
        assert headers["Referrer-Policy"] == "no-referrer"
    status, page, _ = fetch(url, method="HEAD")
    assert status == 200 and page == ""
    assert confirmed(state) is None


def test_post_confirms_once(served: tuple[str, Path, Clock]) -> None:
    base, state, clock = served
    url = link_url(base, SECRET, CLAIM)
    status, page, _ = fetch(url, method="POST", data={"note": "wysłano w CAS,  nr 17"})
    assert status == 200 and "✔ Sprawozdanie potwierdzone" in page
    assert "Przypomnienia o tym sprawozdaniu nie będą już wysyłane" in page
    assert confirmed(state) == ("kier-dokip", "2027-01-20T10:30:00+01:00", "wysłano w CAS, nr 17")
    clock.now += timedelta(hours=1)
    other = LinkClaim(occurrence_id=OCC, person_id="prac-dokip", expires=CLAIM.expires)
    status, page, _ = fetch(link_url(base, SECRET, other), method="POST")
    assert status == 200 and "zostało już wcześniej potwierdzone" in page
    assert confirmed(state) == ("kier-dokip", "2027-01-20T10:30:00+01:00", "wysłano w CAS, nr 17")
    status, page, _ = fetch(url)
    assert "Potwierdził(a)" in page and "środa, 20 stycznia 2027 r., godz. 10:30" in page
    assert "<form" not in page


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/confirm/" + make_token(SECRET, CLAIM)[:-2] + "xx", 403, "Nieprawidłowy link"),
        ("/confirm/" + make_token(b"inny-sekret-0123456789abcdef", CLAIM), 403,
         "Nieprawidłowy link"),
        ("/confirm/" + make_token(SECRET, LinkClaim(occurrence_id=OCC, person_id="kier-dokip",
                                                    expires=date(2027, 1, 19))),
         410, "Link wygasł"),
        ("/confirm/", 403, "Nieprawidłowy link"),
    ],
    ids=["tampered", "other-secret", "expired", "no-token"],
)  # fmt: skip
def test_bad_links_are_refused_for_get_and_post(
    served: tuple[str, Path, Clock], path: str, status: int, text: str
) -> None:
    base, state, _ = served
    for method in ("GET", "POST"):
        got, page, _ = fetch(base + path, method=method, data={} if method == "POST" else None)
        assert (got, text in page) == (status, True)
    assert confirmed(state) is None


def test_other_methods_are_not_allowed(served: tuple[str, Path, Clock]) -> None:
    base, state, _ = served
    status, _, headers = fetch(link_url(base, SECRET, CLAIM), method="PUT")
    assert status == 405 and headers["Allow"] == "GET, HEAD, POST"
    assert confirmed(state) is None


def test_a_link_confirmation_stops_the_reminders(
    served: tuple[str, Path, Clock], calendar: WorkingCalendar
) -> None:
    from terminarz.notify.reminders import decide
    from terminarz.org.plan import plan

    base, state, _ = served
    assert fetch(link_url(base, SECRET, CLAIM), method="POST")[0] == 200
    setup = load_setup(state.parent / "org.toml", today=date(2027, 2, 2), statutory=calendar)
    assert setup.organisation is not None
    with open_state(state) as ledger:
        confirmations = ledger.confirmations()
    items = plan(setup, date(2027, 1, 1), date(2027, 2, 28), today=date(2027, 2, 2))
    assert decide(items, organisation=setup.organisation, calendar=setup.institution,
                  today=date(2027, 2, 2), ledger=frozenset(), confirmed=confirmations,
                  overdue_every=2, epoch=date(2027, 1, 1)) == []  # fmt: skip

"""Absences from iCalendar sources: all-day, timed, multi-day and recurring events, matching
people, failures — and the resolution that follows from them.

Sources are real files in ``tmp_path`` and a real HTTP server on a loopback port.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from terminarz.errors import Severity, TerminarzError
from terminarz.org.absences import load_source_absences, parse_absences
from terminarz.org.organisation import (
    AbsenceSource,
    OnError,
    Organisation,
    Person,
    SourceMatch,
    load_organisation,
)
from terminarz.org.plan import load_setup, plan_one

D = date
PEOPLE = (
    Person(id="anna", name="Anna Nowak", email="anna.nowak@example.org", unit="u"),
    Person(id="jan", name="Jan Kowalski", email="jan@example.org", unit="u"),
    Person(id="ewa", name="Ewa Nowak-Kowalska", email="ewa@example.org", unit="u"),
)
ORG = Organisation(id="t", name="T", levels=("ops",), people=PEOPLE)


def ics(*events: str) -> bytes:
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:e{i}@example.org\r\nDTSTAMP:20260101T000000Z\r\n{e.strip()}\r\n"
        "END:VEVENT\r\n"
        for i, e in enumerate(events)
    )
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//PL\r\n{body}END:VCALENDAR\r\n"
            ).encode()  # fmt: skip


def spans(raw: bytes, match: SourceMatch = SourceMatch.ANY, window=None) -> list[tuple]:
    source = AbsenceSource(source="hr.ics", match=match, base=Path("/nonexistent"))
    return [(a.person, a.start, a.end, a.reason)
            for a in parse_absences(raw, source, ORG, window=window)]  # fmt: skip


EVENTS = [
    pytest.param(
        "DTSTART;VALUE=DATE:20270118\r\nDTEND;VALUE=DATE:20270206\r\nSUMMARY:Urlop\r\n"
        "ATTENDEE;CN=Anna:mailto:Anna.Nowak@example.org",
        [("anna", D(2027, 1, 18), D(2027, 2, 5), "Urlop")], id="all-day-multi-day-attendee",
    ),
    pytest.param(
        "DTSTART;VALUE=DATE:20270118\r\nSUMMARY:Urlop — jan",
        [("jan", D(2027, 1, 18), D(2027, 1, 18), "Urlop — jan")],
        id="all-day-no-dtend-id-in-summary",
    ),
    pytest.param(
        "DTSTART;TZID=Europe/Warsaw:20270128T090000\r\n"
        "DTEND;TZID=Europe/Warsaw:20270128T130000\r\nSUMMARY:Jan Kowalski — lekarz",
        [("jan", D(2027, 1, 28), D(2027, 1, 28), "Jan Kowalski — lekarz")], id="timed-same-day",
    ),
    pytest.param(
        "DTSTART:20270131T233000Z\r\nDTEND:20270201T010000Z\r\nSUMMARY:jan: dyżur",
        [("jan", D(2027, 2, 1), D(2027, 2, 1), "jan: dyżur")],
        id="utc-late-evening-is-next-day-in-warsaw",
    ),
    pytest.param(
        "DTSTART;TZID=Europe/Warsaw:20270128T080000\r\n"
        "DTEND;TZID=Europe/Warsaw:20270130T000000\r\nSUMMARY:jan delegacja",
        [("jan", D(2027, 1, 28), D(2027, 1, 29), "jan delegacja")], id="timed-ending-at-midnight",
    ),
    pytest.param(
        "DTSTART;VALUE=DATE:20270118\r\nDURATION:P3D\r\nSUMMARY:anna",
        [("anna", D(2027, 1, 18), D(2027, 1, 20), "anna")], id="duration",
    ),
    pytest.param(
        "DTSTART;VALUE=DATE:20270118\r\nDTEND;VALUE=DATE:20270119\r\n"
        "SUMMARY:Ewa Nowak-Kowalska urlop",
        [("ewa", D(2027, 1, 18), D(2027, 1, 18), "Ewa Nowak-Kowalska urlop")],
        id="longer-name-wins-over-contained-name",
    ),
    pytest.param(
        "DTSTART;VALUE=DATE:20270118\r\nSUMMARY:Urlop jan\r\nSTATUS:CANCELLED", [],
        id="cancelled-ignored",
    ),
    pytest.param(
        "DTSTART;VALUE=DATE:20270118\r\nSUMMARY:jan — praca zdalna\r\nTRANSP:TRANSPARENT", [],
        id="transparent-ignored",
    ),
    pytest.param(
        "DTSTART;VALUE=DATE:20270118\r\nSUMMARY:Urlop Piotra", [], id="nobody-named",
    ),
    pytest.param(
        "DTSTART;VALUE=DATE:20270118\r\nSUMMARY:janina — urlop", [],
        id="id-matches-whole-word-only",
    ),
]


@pytest.mark.parametrize(("event", "expected"), EVENTS)
def test_event_kinds(event: str, expected: list[tuple]):
    assert spans(ics(event)) == expected


def test_recurring_weekly_with_exdate():
    raw = ics(
        "DTSTART;TZID=Europe/Warsaw:20270105T080000\r\n"
        "DTEND;TZID=Europe/Warsaw:20270105T160000\r\n"
        "RRULE:FREQ=WEEKLY;BYDAY=TU,FR;COUNT=6\r\n"
        "EXDATE;TZID=Europe/Warsaw:20270112T080000\r\nSUMMARY:jan — studia"
    )
    days = [s[1] for s in spans(raw)]
    # Tue 5, Fri 8, (Tue 12 excluded), Fri 15, Tue 19, Fri 22 January 2027
    assert days == [D(2027, 1, 5), D(2027, 1, 8), D(2027, 1, 15), D(2027, 1, 19), D(2027, 1, 22)]


def test_recurring_without_end_is_bounded_by_window():
    raw = ics("DTSTART;VALUE=DATE:20260105\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\nSUMMARY:jan")
    found = spans(raw, window=(D(2027, 1, 1), D(2027, 1, 31)))
    assert [s[1] for s in found] == [D(2027, 1, 4), D(2027, 1, 11), D(2027, 1, 18), D(2027, 1, 25)]


def test_match_attendee_only_ignores_summary():
    raw = ics("DTSTART;VALUE=DATE:20270118\r\nSUMMARY:jan urlop")
    assert spans(raw, SourceMatch.ATTENDEE) == []
    raw = ics(
        "DTSTART;VALUE=DATE:20270118\r\nSUMMARY:jan\r\nATTENDEE:mailto:anna.nowak@example.org"
    )
    assert [s[0] for s in spans(raw, SourceMatch.SUMMARY)] == ["jan"]
    assert [s[0] for s in spans(raw, SourceMatch.ANY)] == ["anna"]


@pytest.mark.parametrize(
    "raw",
    [b"to nie jest kalendarz", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", b"\xff\xfe\x00garbage"],
    ids=["text", "truncated", "binary"],
)
def test_broken_source_names_the_file(tmp_path: Path, raw: bytes):
    path = tmp_path / "urlopy.ics"
    path.write_bytes(raw)
    source = AbsenceSource(source="urlopy.ics", base=tmp_path)
    with pytest.raises(TerminarzError) as info:
        parse_absences(raw, source, ORG)
    assert str(path) in str(info.value)
    assert "iCalendar" in str(info.value)


ORG_FILE = """\
[organisation]
id = "t"
name = "Ośrodek"
levels = ["ops"]
catalogues = ["mpips-1992"]

[[units]]
id = "dsps"
name = "Dział"
head = "a1"

[[people]]
id = "a1"
name = "Kierownik"
email = "a1@example.org"
unit = "dsps"
system_access = true

[[people]]
id = "b1"
name = "Zastępca"
email = "b1@example.org"
unit = "dsps"
system_access = true

[[people]]
id = "f"
name = "Dyrektor"
email = "f@example.org"
unit = "dsps"

[[duties]]
obligations = ["mpips-03*@ops"]
tiers = [["a1"], ["b1"]]
fallback = "f"
basis = "pkt I.4"
"""


def write_org(tmp_path: Path, sources: str) -> Path:
    path = tmp_path / "org.toml"
    path.write_text(ORG_FILE + sources, encoding="utf-8")
    return path


def test_recurring_absence_hands_duty_to_substitute(tmp_path: Path):
    """a1 is at a course every Thursday, Friday and Monday of January–February 2027:
    the whole window of mpips-03@ops/2026 (28, 29 January, 1 February) — b1 takes over."""
    (tmp_path / "hr.ics").write_bytes(ics(
        "DTSTART;VALUE=DATE:20270104\r\nDTEND;VALUE=DATE:20270105\r\n"
        "RRULE:FREQ=WEEKLY;BYDAY=MO,TH,FR;UNTIL=20270228\r\n"
        "SUMMARY:Kurs\r\nATTENDEE:mailto:a1@example.org"
    ))  # fmt: skip
    config = write_org(tmp_path, '\n[[absence_sources]]\nsource = "hr.ics"\n')
    setup = load_setup(config, today=D(2026, 11, 24))
    item = plan_one(setup, "mpips-03@ops/2026", today=D(2026, 11, 24))
    assert item.resolution is not None
    assert item.resolution.responsible == ("b1",)
    assert item.resolution.substitute
    assert "  Kierownik (a1) — nieobecność: czw 28 sty 2027 (Kurs; źródło: hr.ics), pt 29 sty " \
        "2027 (Kurs; źródło: hr.ics), pon 1 lut 2027 (Kurs; źródło: hr.ics)" \
        in item.resolution.reasons
    # mpips-03a@ops/2027-H1 (15 July 2027) is after the course: a1 is responsible.
    later = plan_one(setup, "mpips-03a@ops/2027-H1", today=D(2026, 11, 24))
    assert later.resolution is not None and later.resolution.responsible == ("a1",)


def test_failing_source_stops_or_is_skipped(tmp_path: Path):
    config = write_org(tmp_path, '\n[[absence_sources]]\nsource = "brak.ics"\n')
    with pytest.raises(TerminarzError) as info:
        load_setup(config, today=D(2026, 11, 24))
    assert str(tmp_path / "brak.ics") in str(info.value)
    assert "kalendarz nieobecności nie istnieje" in str(info.value)

    (tmp_path / "ok.ics").write_bytes(ics(
        "DTSTART;VALUE=DATE:20270118\r\nDTEND;VALUE=DATE:20270206\r\nSUMMARY:a1 urlop"
    ))  # fmt: skip
    config = write_org(
        tmp_path,
        '\n[[absence_sources]]\nsource = "brak.ics"\non_error = "skip"\n'
        '\n[[absence_sources]]\nsource = "ok.ics"\n',
    )
    setup = load_setup(config, today=D(2026, 11, 24))
    assert [w.severity for w in setup.warnings] == [Severity.WARNING]
    assert "pominięto to źródło" in str(setup.warnings[0])
    assert setup.organisation is not None
    assert [(a.person, a.start) for a in setup.organisation.absences] == [("a1", D(2027, 1, 18))]


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        if self.path == "/urlopy.ics":
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("Content-Length", str(len(self.body)))
            self.end_headers()
            self.wfile.write(self.body)
        else:
            self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_ics() -> Iterator[str]:
    _Handler.body = ics(
        "DTSTART;VALUE=DATE:20270118\r\nDTEND;VALUE=DATE:20270206\r\n"
        "SUMMARY:Urlop\r\nATTENDEE:mailto:a1@example.org"
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_http_source(tmp_path: Path, http_ics: str):
    config = write_org(tmp_path, f'\n[[absence_sources]]\nsource = "{http_ics}/urlopy.ics"\n')
    organisation = load_organisation(config)
    absences, problems = load_source_absences(organisation, window=(D(2027, 1, 1), D(2027, 3, 1)))
    assert problems == []
    assert [(a.person, a.start, a.end, a.source) for a in absences] == [
        ("a1", D(2027, 1, 18), D(2027, 2, 5), f"{http_ics}/urlopy.ics")
    ]
    config = write_org(tmp_path, f'\n[[absence_sources]]\nsource = "{http_ics}/nie-ma.ics"\n'
                       'on_error = "skip"\ntimeout = 5\n')  # fmt: skip
    _, problems = load_source_absences(load_organisation(config))
    assert len(problems) == 1
    assert f"nie można pobrać kalendarza nieobecności {http_ics}/nie-ma.ics: HTTP 404" in str(
        problems[0]
    )


def test_on_error_values_are_checked(tmp_path: Path):
    config = write_org(tmp_path, '\n[[absence_sources]]\nsource = "x.ics"\non_error = "ignore"\n')
    with pytest.raises(TerminarzError) as info:
        load_organisation(config)
    assert "„on_error” = tekst „ignore” — dozwolone wartości: „fail”, „skip”" in str(info.value)
    assert OnError("skip") is OnError.SKIP

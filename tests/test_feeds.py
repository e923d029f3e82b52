"""Calendar feeds: content, iCalendar form, stability and the publication memory.

Every feed is parsed back by ``icalendar`` and by the independent ``ical``
parser; dates are checked against hand-computed due dates of the 1992 catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream

from terminarz.errors import TerminarzError
from terminarz.law.rules import expand
from terminarz.law.workdays import WorkingCalendar
from terminarz.notify.feeds import (
    FeedRenderer,
    FeedSet,
    RenderedFeed,
    feed_set_for,
    generate,
    horizon,
    render_feed,
    shift_months,
)
from terminarz.org.plan import Setup, load_setup, plan, plan_tasks
from terminarz.paths import calendars_dir
from terminarz.settings import FeedSettings
from terminarz.store.publication import PublishedFeed
from terminarz.store.sqlite import SQLiteStore

TODAY = date(2026, 2, 2)
NOW = datetime(2026, 2, 2, 7, 30, tzinfo=UTC)
LATER = datetime(2026, 2, 2, 15, 0, tzinfo=UTC)
EXAMPLE = calendars_dir() / "examples" / "osrodek-1992.toml"
EXAMPLE_TODAY = date(2026, 11, 24)


# -- helpers ------------------------------------------------------------------------------------


@pytest.fixture()
def conn(tmp_path: Path) -> Iterator[SQLiteStore]:
    connection = SQLiteStore(tmp_path / "state.sqlite3", "")
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def catalogue_setup() -> Setup:
    return load_setup(None, catalogue_paths=[calendars_dir() / "mpips-1992.toml"])


@pytest.fixture(scope="module")
def example_setup() -> Setup:
    return load_setup(EXAMPLE, today=EXAMPLE_TODAY)


def run(
    setup: Setup, conn: SQLiteStore, *, today: date = TODAY, now: datetime = NOW
) -> dict[str, RenderedFeed]:
    feed_set = feed_set_for(setup, today=today, confirmations=conn.confirmations())
    return generate(feed_set, conn.publication(), now=now)


def unfolded(body: bytes) -> list[str]:
    """Content lines of a feed, unfolded (RFC 5545 §3.1)."""
    text = body.decode("utf-8")
    assert text.endswith("\r\n")
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def events_by_key(body: bytes) -> dict[str, icalendar.Event]:
    """Events of a feed by the item key shown in their description (``Identyfikator: …``)."""
    found = {}
    for event in icalendar.Calendar.from_ical(body).walk("VEVENT"):
        match = re.search(r"Identyfikator: (\S+)", str(event["DESCRIPTION"]))
        assert match, event["DESCRIPTION"]
        found[match.group(1)] = event
    return found


def catalogue_with(tmp_path: Path, *, drop: str | None = None, extra: str = "") -> Path:
    """A copy of the bundled catalogue, without the obligation ``drop``, plus ``extra`` TOML."""
    text = (calendars_dir() / "mpips-1992.toml").read_text(encoding="utf-8")
    if drop is not None:
        blocks = text.split("[[obligations]]")
        kept = [b for b in blocks if f'id = "{drop}"' not in b]
        assert len(kept) == len(blocks) - 1
        text = "[[obligations]]".join(kept)
    path = tmp_path / "katalog.toml"
    path.write_text(text + "\n" + extra, encoding="utf-8")
    return path


# -- the iCalendar form ---------------------------------------------------------------------------


def test_every_catalogue_feed_parses_and_matches_the_engine(
    catalogue_setup: Setup, conn: SQLiteStore, calendar: WorkingCalendar
) -> None:
    feeds = run(catalogue_setup, conn)
    assert sorted(feeds) == ["all", "level/ops", "level/rup", "level/wup", "level/wzps"]
    start, end = horizon(TODAY, FeedSettings())
    assert (start, end) == (date(2025, 2, 2), date(2028, 2, 2))
    catalogues = catalogue_setup.catalogues
    for key, feed in feeds.items():
        obligations = [o for o in catalogues.obligations
                       if key == "all" or o.level == key.removeprefix("level/")]  # fmt: skip
        expected = {o.id: o.due for o in expand(obligations, calendar, start, end,
                                                catalogues.overrides)}  # fmt: skip
        cal = icalendar.Calendar.from_ical(feed.body)
        events = list(cal.walk("VEVENT"))
        strict = IcsCalendarStream.calendar_from_ics(feed.body.decode("utf-8"))
        assert len(events) == len(strict.events) == len(expected) > 0, key
        assert len({str(e["UID"]) for e in events}) == len(events), f"{key}: UIDs repeat"
        by_key = events_by_key(feed.body)
        assert {k: e.start for k, e in by_key.items()} == expected
        for event in strict.events:
            assert type(event.dtstart) is date and event.dtend == event.dtstart + timedelta(days=1)
            assert event.transparency == "TRANSPARENT"
            assert event.sequence == 0


def test_ops_dates_are_the_hand_computed_ones(
    catalogue_setup: Setup, conn: SQLiteStore
) -> None:
    feed = run(catalogue_setup, conn)["level/ops"]
    starts = [line for line in unfolded(feed.body) if line.startswith("DTSTART")]
    # MPiPS-03 by 30 January (2027-01-30 is a Saturday, 2028-01-30 a Sunday → Monday);
    # MPiPS-03a by 15 July, first half only. Horizon 2 Feb 2025 – 2 Feb 2028.
    assert starts == [
        "DTSTART;VALUE=DATE:20250715",
        "DTSTART;VALUE=DATE:20260130",
        "DTSTART;VALUE=DATE:20260715",
        "DTSTART;VALUE=DATE:20270201",
        "DTSTART;VALUE=DATE:20270715",
        "DTSTART;VALUE=DATE:20280131",
    ]
    ends = [line for line in unfolded(feed.body) if line.startswith("DTEND")]
    assert ends[1] == "DTEND;VALUE=DATE:20260131"  # exclusive: the day after


def test_lines_are_folded_crlf_and_utf8(catalogue_setup: Setup, conn: SQLiteStore) -> None:
    body = run(catalogue_setup, conn)["all"].body
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert b"\r" not in body.replace(b"\r\n", b"")
    physical = body.split(b"\r\n")[:-1]
    assert max(len(line) for line in physical) <= 75
    assert any(len(line) > 70 for line in physical)  # long descriptions were folded
    for line in physical:
        line.decode("utf-8")  # a fold never splits a multi-byte character


def test_polish_text_survives_both_parsers(
    catalogue_setup: Setup, conn: SQLiteStore
) -> None:
    body = run(catalogue_setup, conn)["level/ops"].body
    strict = IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))
    first = strict.events[0]
    assert first.summary == "MPiPS-03a: ops → wzps za I półrocze 2025 r."
    assert first.description is not None
    assert "Sprawozdanie półroczne z udzielonych świadczeń pomocy społecznej" in first.description
    assert "Termin: wtorek, 15 lipca 2025 r." in first.description
    assert "Podstawa: § 3 ust. 3 zarządzenia nr 4 MPiPS" in first.description
    assert first.categories == ["MPiPS-03a", "ops"]
    loose = events_by_key(body)["mpips-03a@ops/2025-H1"]
    assert str(loose["SUMMARY"]) == first.summary
    assert str(loose["DESCRIPTION"]) == first.description


def test_calendar_properties_appear_once_with_correct_values(
    catalogue_setup: Setup, conn: SQLiteStore
) -> None:
    lines = unfolded(run(catalogue_setup, conn)["level/rup"].body)
    header = lines[: lines.index("BEGIN:VEVENT")]
    names = [re.split("[;:]", line, maxsplit=1)[0] for line in header]
    assert len(names) == len(set(names)), "a calendar property repeats"
    for expected in (
        "VERSION:2.0",
        "PRODID:-//terminarz//Terminy sprawozdawcze//PL",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "NAME:Terminy sprawozdawcze — rejonowy urząd pracy (rup)",
        "X-WR-CALNAME:Terminy sprawozdawcze — rejonowy urząd pracy (rup)",
        "REFRESH-INTERVAL;VALUE=DURATION:PT12H",
        "X-PUBLISHED-TTL:PT12H",
    ):
        assert expected in header
    assert any(line.startswith("UID:") for line in header)
    strict = IcsCalendarStream.calendar_from_ics("\r\n".join(lines) + "\r\n")
    assert strict.method == "PUBLISH"
    assert strict.refresh_interval == timedelta(hours=12)


def test_icalendar_still_gets_refresh_interval_and_ttl_wrong_by_default() -> None:
    """Canary: why feeds.py sets both properties by hand. If this fails, icalendar was fixed."""
    cal = icalendar.Calendar.new(refresh_interval=timedelta(hours=12), uid="x", prodid="-//t//")
    cal.add("X-PUBLISHED-TTL", timedelta(hours=12))
    lines = unfolded(cal.to_ical())
    assert "REFRESH-INTERVAL:PT12H" in lines  # RFC 7986 requires ;VALUE=DURATION
    assert "X-PUBLISHED-TTL:12:00:00" in lines  # not a duration at all


def test_events_are_all_day_transparent_with_a_display_alarm(
    catalogue_setup: Setup, conn: SQLiteStore
) -> None:
    body = run(catalogue_setup, conn)["level/ops"].body
    event = events_by_key(body)["mpips-03@ops/2025"]
    assert event.decoded("DTSTART") == date(2026, 1, 30)
    assert event.decoded("DTEND") == date(2026, 1, 31)
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTAMP") == NOW
    assert event.decoded("LAST-MODIFIED") == NOW
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    # [feeds] alarm_days = 2: 09:00 two days before the due day = 39 hours before it starts.
    assert alarm.decoded("TRIGGER") == -timedelta(hours=39)


def test_an_empty_feed_is_still_a_valid_calendar(conn: SQLiteStore) -> None:
    setup = load_setup(EXAMPLE, today=EXAMPLE_TODAY)
    feeds = run(setup, conn, today=EXAMPLE_TODAY)
    empty = feeds["person/dyrektor"]
    assert empty.events == ()
    strict = IcsCalendarStream.calendar_from_ics(empty.body.decode("utf-8"))
    assert strict.events == []
    assert "X-WR-CALNAME:Miejski Ośrodek Pomocy Rodzinie w Przykładowie — Dyrektor Ośrodka" in (
        unfolded(empty.body)
    )


# -- stability and the publication memory ----------------------------------------------------------


def test_regeneration_gives_identical_bytes(
    catalogue_setup: Setup, conn: SQLiteStore, tmp_path: Path
) -> None:
    first = run(catalogue_setup, conn, now=NOW)
    again = run(catalogue_setup, conn, now=LATER)  # later clock, nothing changed
    assert {k: f.body for k, f in first.items()} == {k: f.body for k, f in again.items()}
    assert {k: f.etag for k, f in first.items()} == {k: f.etag for k, f in again.items()}
    other = SQLiteStore(tmp_path / "other.sqlite3", "")
    try:
        fresh = run(catalogue_setup, other, now=NOW)  # another database, same input and time
    finally:
        other.close()
    assert {k: f.body for k, f in fresh.items()} == {k: f.body for k, f in first.items()}


def test_uids_depend_only_on_the_occurrence_and_the_feed(
    catalogue_setup: Setup, conn: SQLiteStore
) -> None:
    feeds = run(catalogue_setup, conn)
    in_all = events_by_key(feeds["all"].body)["mpips-03@ops/2025"]["UID"]
    in_level = events_by_key(feeds["level/ops"].body)["mpips-03@ops/2025"]["UID"]
    assert in_all != in_level  # a client subscribed to both must not merge them
    shifted = run(catalogue_setup, conn, today=date(2026, 6, 1), now=LATER)
    assert events_by_key(shifted["all"].body)["mpips-03@ops/2025"]["UID"] == in_all


def test_an_override_raises_only_that_events_sequence(
    conn: SQLiteStore, tmp_path: Path
) -> None:
    before = load_setup(None, catalogue_paths=[catalogue_with(tmp_path)])
    first = run(before, conn, now=NOW)
    moved = catalogue_with(tmp_path, extra=(
        '[[overrides]]\noccurrence = "mpips-03@ops/2026"\ndue = 2027-02-03\n'
        'basis = "komunikat ministerstwa (test)"\n'
    ))  # fmt: skip
    second = run(load_setup(None, catalogue_paths=[moved]), conn, now=LATER)
    for key in ("all", "level/ops"):
        old, new = events_by_key(first[key].body), events_by_key(second[key].body)
        assert old.keys() == new.keys()
        changed = {k for k in new if new[k]["SEQUENCE"] != old[k]["SEQUENCE"]}
        assert changed == {"mpips-03@ops/2026"}, key
        event = new["mpips-03@ops/2026"]
        assert event["SEQUENCE"] == 1
        assert event.decoded("DTSTART") == date(2027, 2, 3)
        assert event.decoded("LAST-MODIFIED") == event.decoded("DTSTAMP") == LATER
        assert "komunikat ministerstwa (test)" in str(event["DESCRIPTION"])
        untouched = new["mpips-03@ops/2025"]
        assert untouched.decoded("DTSTAMP") == NOW
    assert first["level/rup"].body == second["level/rup"].body


def test_a_removed_obligation_stays_as_cancelled(conn: SQLiteStore, tmp_path: Path) -> None:
    run(load_setup(None, catalogue_paths=[catalogue_with(tmp_path)]), conn, now=NOW)
    without = load_setup(None, catalogue_paths=[catalogue_with(tmp_path, drop="mpips-03a@ops")])
    second = run(without, conn, now=LATER)
    ops = events_by_key(second["level/ops"].body)
    cancelled = {k for k, e in ops.items() if str(e.get("STATUS")) == "CANCELLED"}
    assert cancelled == {"mpips-03a@ops/2025-H1", "mpips-03a@ops/2026-H1", "mpips-03a@ops/2027-H1"}
    event = ops["mpips-03a@ops/2026-H1"]
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == date(2026, 7, 15)  # the date last published
    assert str(event["SUMMARY"]).startswith("Nieaktualne: MPiPS-03a")
    assert not event.walk("VALARM")
    assert all(ops[k]["SEQUENCE"] == 0 for k in ops.keys() - cancelled)
    strict = IcsCalendarStream.calendar_from_ics(second["level/ops"].body.decode("utf-8"))
    assert sum(e.status == "CANCELLED" for e in strict.events) == 3
    third = run(without, conn, now=LATER + timedelta(hours=5))
    assert third["level/ops"].body == second["level/ops"].body  # cancelled once, not again
    back = run(load_setup(None, catalogue_paths=[catalogue_with(tmp_path)]), conn,
               now=LATER + timedelta(hours=6))  # fmt: skip
    restored = events_by_key(back["level/ops"].body)["mpips-03a@ops/2026-H1"]
    assert str(restored["STATUS"]) == "CONFIRMED" and restored["SEQUENCE"] == 2


def test_cancelled_events_leave_when_their_date_leaves_the_horizon(
    conn: SQLiteStore, tmp_path: Path
) -> None:
    run(load_setup(None, catalogue_paths=[catalogue_with(tmp_path)]), conn, now=NOW)
    without = load_setup(None, catalogue_paths=[catalogue_with(tmp_path, drop="mpips-03a@ops")])
    later = run(without, conn, today=date(2026, 8, 1), now=LATER)  # horizon from 2025-08-01
    keys = events_by_key(later["level/ops"].body)
    assert "mpips-03a@ops/2025-H1" not in keys  # due 2025-07-15, now outside
    assert str(keys["mpips-03a@ops/2026-H1"]["STATUS"]) == "CANCELLED"


def test_a_confirmation_marks_the_event(conn: SQLiteStore) -> None:
    setup = load_setup(EXAMPLE, today=EXAMPLE_TODAY)
    first = run(setup, conn, today=EXAMPLE_TODAY, now=NOW)
    conn.confirm("mpips-03@ops/2025", by="kier-dsps", note="nr 123/2026",
                 at=datetime(2026, 1, 28, 10, 15, tzinfo=ZoneInfo("Europe/Warsaw")))
    second = run(setup, conn, today=EXAMPLE_TODAY, now=LATER)
    event = events_by_key(second["person/kier-dsps"].body)["mpips-03@ops/2025"]
    assert str(event["SUMMARY"]) == "✔ MPiPS-03: ops → wzps za 2025 r."
    expected = ("Wysłano: potwierdził(a) Kierownik Działu Świadczeń Pomocy Społecznej, "
                "28 stycznia 2026 r., godz. 10:15. Uwagi: nr 123/2026")  # fmt: skip
    assert expected in str(event["DESCRIPTION"])
    assert event["SEQUENCE"] == 1 and not event.walk("VALARM")
    old = events_by_key(first["person/kier-dsps"].body)
    new = events_by_key(second["person/kier-dsps"].body)
    bumped = {k for k in new if new[k]["SEQUENCE"] != old[k]["SEQUENCE"]}
    # The report and its two data tasks (the tasks are done once the report is sent).
    assert bumped == {"mpips-03@ops/2025", "mpips-03@ops/2025#prosba:dokip"}


def test_the_reusing_renderer_gives_the_same_bytes(
    catalogue_setup: Setup, conn: SQLiteStore, tmp_path: Path
) -> None:
    renderer = FeedRenderer()
    memory = conn.publication()
    changed = load_setup(None, catalogue_paths=[catalogue_with(tmp_path, drop="mpips-03@ops")])
    for setup, now in ((catalogue_setup, NOW), (changed, LATER)):
        feed_set: FeedSet = feed_set_for(setup, today=TODAY)
        rendered = generate(feed_set, memory, now=now, renderer=renderer)
        for key, feed in rendered.items():
            scope = feed_set.scope(key)
            assert scope is not None
            plain = render_feed(scope, PublishedFeed(scope=key, events=feed.events),
                                namespace=feed_set.namespace, name=feed_set.name)  # fmt: skip
            assert plain == feed.body, key


# -- an organisation's feeds -----------------------------------------------------------------------


def test_organisation_feeds_hold_every_occurrence_and_task(
    example_setup: Setup, conn: SQLiteStore
) -> None:
    feeds = run(example_setup, conn, today=EXAMPLE_TODAY)
    assert sorted(k for k in feeds if not k.startswith("person/")) == [
        "all", "level/ops", "unit/di", "unit/dokip", "unit/dsps", "unit/dsr", "unit/dyrekcja",
    ]  # fmt: skip
    assert example_setup.organisation is not None
    people = {p.id for p in example_setup.organisation.people}
    assert {k.removeprefix("person/") for k in feeds if k.startswith("person/")} == people
    start, end = horizon(EXAMPLE_TODAY, FeedSettings())
    occurrences = plan(example_setup, start, end, today=EXAMPLE_TODAY)
    tasks = plan_tasks(example_setup, start, end, today=EXAMPLE_TODAY)
    keys = events_by_key(feeds["all"].body)
    assert set(keys) == {p.id for p in occurrences} | {t.id for _, t in tasks}
    for key, feed in feeds.items():
        strict = IcsCalendarStream.calendar_from_ics(feed.body.decode("utf-8"))
        assert len(strict.events) == len(feed.events), key


def test_a_substitute_gets_the_occurrence_in_their_feed(
    example_setup: Setup, conn: SQLiteStore
) -> None:
    """The example's absences (18 Jan – 12 Feb 2027) hand MPiPS-03 for 2026 to DOKiP."""
    feeds = run(example_setup, conn, today=EXAMPLE_TODAY)
    primary = events_by_key(feeds["person/kier-dsps"].body)
    substitute = events_by_key(feeds["person/kier-dokip"].body)
    assert "mpips-03@ops/2025" in primary and "mpips-03@ops/2026" not in primary
    event = substitute["mpips-03@ops/2026"]
    assert str(event["SUMMARY"]) == "MPiPS-03: ops → wzps za 2026 r. — zastępstwo"
    assert event.decoded("DTSTART") == date(2027, 2, 1)
    description = str(event["DESCRIPTION"])
    expected = ("Odpowiada: Kierownik Działu Organizacji, Kadr i Płac, Pracownik DOKiP "
                "wyznaczony przez kierownika działu — zastępstwo (grupa zastępcza nr 1)")
    assert expected in description
    assert "Nieobecni w okresie przygotowania: Kierownik Działu Świadczeń Pomocy" in description
    delivery = substitute["mpips-03@ops/2025#dane:dokip"]  # the head of DOKiP delivers data
    assert str(delivery["SUMMARY"]).startswith("Dostarczenie danych do MPiPS-03 za 2025 r.")
    assert "mpips-03@ops/2026" in events_by_key(feeds["unit/dokip"].body)
    header = unfolded(feeds["unit/dokip"].body)
    title = "Miejski Ośrodek Pomocy Rodzinie w Przykładowie — Dział Organizacji, Kadr i Płac"
    assert "NAME:" + title.replace(",", "\\,") in header  # TEXT, escaped (RFC 7986)
    assert "X-WR-CALNAME:" + title in header  # read raw by every client
    strict = IcsCalendarStream.calendar_from_ics(feeds["unit/dokip"].body.decode("utf-8"))
    assert strict.name == [title]
    assert events_by_key(feeds["person/dyrektor"].body) == {}


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 2, 2), -12, date(2025, 2, 2)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 12, 5), 1, date(2027, 1, 5)),
        (date(2026, 1, 31), 24, date(2028, 1, 31)),
    ],
    ids=["year-back", "31-into-february", "leap-day", "over-new-year", "two-years"],
)
def test_shift_months(day: date, months: int, expected: date) -> None:
    assert shift_months(day, months) == expected



def test_a_level_id_unfit_for_a_file_name_is_a_polish_error(tmp_path: Path) -> None:
    text = (calendars_dir() / "mpips-1992.toml").read_text(encoding="utf-8")
    text = text.replace('ops = "ośrodek', '"ośrodek gminny" = "ośrodek', 1)
    text = text.replace('level = "ops"', 'level = "ośrodek gminny"')
    path = tmp_path / "katalog.toml"
    path.write_text(text, encoding="utf-8")
    setup = load_setup(None, catalogue_paths=[path])
    with pytest.raises(TerminarzError, match="identyfikator poziomu „ośrodek gminny” nie nadaje"):
        feed_set_for(setup, today=TODAY)


def test_short_name_titles_the_calendars_and_titles_say_who_submits(
    conn: SQLiteStore, tmp_path: Path
) -> None:
    """``[feeds] short_name`` names the calendars; an event title is "form: level →
    recipients period"; the UIDs are those subscribed calendars already hold (derived from
    the organisation, the feed and the occurrence only), so nothing is duplicated."""
    import uuid

    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "[feeds]\n", '[feeds]\nshort_name = "MOPR Przykładowo"\n')
    assert 'short_name = "MOPR Przykładowo"' in text
    for name in ("urlopy.ics",):
        (tmp_path / name).write_bytes((EXAMPLE.parent / name).read_bytes())
    config = tmp_path / "org.toml"
    config.write_text(text, encoding="utf-8")
    setup = load_setup(config, today=EXAMPLE_TODAY)
    feeds = run(setup, conn, today=EXAMPLE_TODAY)
    header = unfolded(feeds["unit/dokip"].body)
    assert "X-WR-CALNAME:MOPR Przykładowo — Dział Organizacji, Kadr i Płac" in header
    event = events_by_key(feeds["unit/dokip"].body)["mpips-03@ops/2026"]
    assert str(event["SUMMARY"]) == "MPiPS-03: ops → wzps za 2026 r. — zastępstwo"
    namespace = uuid.UUID("6f1f4a52-52a7-4d3c-9d0e-7e6a8c2b9f10")  # as published before
    expected = uuid.uuid5(namespace, "mopr-przyklad|unit/dokip|mpips-03@ops/2026")
    assert str(event["UID"]) == f"{expected}@terminarz"

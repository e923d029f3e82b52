"""Each event's iCalendar bytes kept in the state database and reused by a new process.

The stored bytes are tampered with (a mark put into SUMMARY) to see which events
a later generation takes from the database and which it has ``icalendar``
render again; with the marks removed, every feed must be exactly what
``render_feed`` (plain ``icalendar``, nothing reused) writes.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import icalendar
import pytest
from test_feeds import catalogue_with

from terminarz.notify import feeds
from terminarz.notify.feeds import (
    FeedRenderer,
    FeedSet,
    RenderedFeed,
    feed_set_for,
    generate,
    render_feed,
)
from terminarz.org.plan import Setup, load_setup
from terminarz.paths import calendars_dir
from terminarz.store import sqlite
from terminarz.store.publication import PublishedFeed
from terminarz.store.sqlite import SQLiteStore

RunCli = Callable[..., subprocess.CompletedProcess[str]]

TODAY = date(2026, 2, 2)
NOW = datetime(2026, 2, 2, 7, 30, tzinfo=UTC)
LATER = datetime(2026, 2, 2, 15, 0, tzinfo=UTC)
EXAMPLE = calendars_dir() / "examples" / "osrodek-1992.toml"
EXAMPLE_TODAY = date(2026, 11, 24)
MARK = b"ZAPISANE "
IDENTIFIER = re.compile(r"Identyfikator: (\S+)")


@pytest.fixture()
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "state.sqlite3"


@pytest.fixture(scope="module")
def catalogue_setup() -> Setup:
    return load_setup(None, catalogue_paths=[calendars_dir() / "mpips-1992.toml"])


def generation(
    path: Path, setup: Setup, *, today: date = TODAY, now: datetime = NOW
) -> tuple[FeedSet, dict[str, RenderedFeed]]:
    """One generation as a new process runs it: its own connection and renderer."""
    with SQLiteStore(path, "") as store:
        feed_set = feed_set_for(setup, today=today, confirmations=store.confirmations())
        return feed_set, generate(feed_set, store.publication(), now=now,
                                  renderer=FeedRenderer())  # fmt: skip


def assert_plain_icalendar(feed_set: FeedSet, rendered: dict[str, RenderedFeed]) -> None:
    """Every feed (marks removed) is byte for byte what plain icalendar writes."""
    for key, feed in rendered.items():
        scope = feed_set.scope(key)
        assert scope is not None
        plain = render_feed(scope, PublishedFeed(scope=key, events=feed.events),
                            namespace=feed_set.namespace, name=feed_set.name)  # fmt: skip
        assert feed.body.replace(MARK, b"") == plain, key


def stored(path: Path) -> dict[tuple[str, str], tuple[str | None, bytes | None]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT scope, item, ical_key, ical FROM feed_event").fetchall()
    conn.close()
    return {(scope, item): (key, body) for scope, item, key, body in rows}


def mark_every_stored_event(path: Path) -> None:
    conn = sqlite3.connect(path)
    with conn:
        rows = conn.execute("SELECT scope, item, ical FROM feed_event").fetchall()
        for scope, item, body in rows:
            assert body.count(b"\r\nSUMMARY:") == 1
            conn.execute("UPDATE feed_event SET ical = ? WHERE scope = ? AND item = ?",
                         (body.replace(b"\r\nSUMMARY:", b"\r\nSUMMARY:" + MARK), scope, item))
    conn.close()


def marked_keys(body: bytes) -> tuple[set[str], set[str]]:
    """Item keys of the events taken from the database (marked) and of those rendered now."""
    marked: set[str] = set()
    fresh: set[str] = set()
    for event in icalendar.Calendar.from_ical(body).walk("VEVENT"):
        found = IDENTIFIER.search(str(event["DESCRIPTION"]))
        assert found is not None
        (marked if str(event["SUMMARY"]).startswith("ZAPISANE ") else fresh).add(found[1])
    return marked, fresh


# -- the tests ---------------------------------------------------------------------------------


def test_the_first_generation_stores_every_event_as_icalendar_writes_it(
    state_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example organisation: most events are in several feeds (all, level, unit, person)."""
    rendered_events = 0
    real_event = feeds._event

    def counting(*args: object, **kwargs: object) -> object:
        nonlocal rendered_events
        rendered_events += 1
        return real_event(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(feeds, "_event", counting)
    setup = load_setup(EXAMPLE, today=EXAMPLE_TODAY)
    feed_set, rendered = generation(state_path, setup, today=EXAMPLE_TODAY)
    rendered_by_generation = rendered_events
    assert_plain_icalendar(feed_set, rendered)
    rows = stored(state_path)
    published = sum(len(feed.events) for feed in rendered.values())
    # all 14, level/ops 6, unit/dsps 10, unit/dokip 6, kier-dsps/zast-dsps/prac-dsps 8 each,
    # kier-dokip 5, prac-dokip 2
    assert len(rows) == published == 14 + 6 + 10 + 6 + 3 * 8 + 5 + 2
    # 6 reports in the 36 months (MPiPS-03 for 2025–2027, MPiPS-03a for 2026–2028-H1), four
    # of them with a request for data and its delivery: 14 events, each rendered once, and
    # the two probe events; DOKiP prepares MPiPS-03 for 2026 (substitution) and MPiPS-03a for
    # 2027-H1 (designation) itself, so those two have no data tasks, and DŚPS's unit feed
    # shows them as handed over (two more renderings: their titles differ there).
    assert len(rendered["all"].events) == 14
    assert rendered_by_generation == 14 + 2 + 2
    for key, feed in rendered.items():
        for event in feed.events:
            ical_key, body = rows[(f"{feed_set.namespace}|{key}", event.item.key)]
            assert ical_key is not None and body is not None
            assert body in feed.body and body.startswith(b"BEGIN:VEVENT\r\n")


def test_a_new_process_takes_unchanged_events_from_the_database(
    run_cli: RunCli, tmp_path: Path, state_path: Path
) -> None:
    out = tmp_path / "out"
    args = ("feed", "--config", str(EXAMPLE), "--out", str(out), "--state", str(state_path),
            "--today", "2026-11-24")  # fmt: skip
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    before = {p: p.read_bytes() for p in out.rglob("*.ics")}
    assert len(before) == 18  # feed files: all, level, 6 units, 10 people
    mark_every_stored_event(state_path)
    again = run_cli(*args)
    assert again.returncode == 0, again.stderr
    for path, body in before.items():
        now = path.read_bytes()
        assert not marked_keys(now)[1], path
        assert now.replace(MARK, b"") == body, path
    assert len(marked_keys((out / "all.ics").read_bytes())[0]) == 14


@pytest.mark.parametrize(
    "change",
    ["confirmation", "obligation-removed", "icalendar-version", "rendering-format"],
    ids=["confirmation", "obligation-removed", "icalendar-version", "rendering-format"],
)
def test_what_changed_is_rendered_again(
    change: str,
    catalogue_setup: Setup,
    state_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Content, SEQUENCE, stamps or status changed — or how events are written — re-renders."""
    _, first = generation(state_path, catalogue_setup)
    every = {e.item.key for e in first["all"].events}
    mark_every_stored_event(state_path)
    setup = catalogue_setup
    if change == "confirmation":
        with SQLiteStore(state_path, "") as store:
            store.confirm("mpips-03@ops/2025", by=None, at=datetime.fromisoformat(
                "2026-01-28T10:15:00+01:00"))
        expected = {"mpips-03@ops/2025"}
    elif change == "obligation-removed":
        path = catalogue_with(tmp_path, drop="mpips-03@ops")
        setup = load_setup(None, catalogue_paths=[path])
        expected = {k for k in every if k.startswith("mpips-03@ops/")}
        # Due 30 Jan 2026, 1 Feb 2027, 31 Jan 2028: inside 2 Feb 2025 – 2 Feb 2028.
        assert expected == {"mpips-03@ops/2025", "mpips-03@ops/2026", "mpips-03@ops/2027"}
    elif change == "icalendar-version":
        monkeypatch.setattr(icalendar, "__version__", icalendar.__version__ + ".post1")
        expected = every
    else:
        monkeypatch.setattr(feeds, "RENDERING_FORMAT", feeds.RENDERING_FORMAT + "-next")
        expected = every
    feed_set, second = generation(state_path, setup, now=LATER)
    assert_plain_icalendar(feed_set, second)
    marked, fresh = marked_keys(second["all"].body)
    assert fresh == expected
    assert marked == every - expected
    for key, feed in second.items():  # the re-rendered bytes replaced the stored ones
        for event in feed.events:
            body = stored(state_path)[(f"{feed_set.namespace}|{key}", event.item.key)][1]
            assert body is not None and (MARK in body) == (event.item.key not in expected)


def test_events_stored_before_the_migration_are_rendered_once(
    catalogue_setup: Setup, state_path: Path
) -> None:
    """A database from before migration 4: its events have no bytes yet."""
    conn = sqlite3.connect(state_path)
    for script in sqlite.MIGRATIONS[:3]:
        assert isinstance(script, str)
        for statement in sqlite._statements(script):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    conn.execute(
        "INSERT INTO feed_event (scope, item, due, summary, description, categories, "
        "responsible, fingerprint, sequence, created, modified) VALUES ('katalog|all', "
        "'x@ops/2020', '2020-01-01', 'Stare', 'Opis', '', '', 'f', 0, '2020-01-01T00:00:00Z', "
        "'2020-01-01T00:00:00Z')"
    )
    conn.commit()
    conn.close()
    feed_set, first = generation(state_path, catalogue_setup)
    assert_plain_icalendar(feed_set, first)
    rows = stored(state_path)
    assert rows[("katalog|all", "x@ops/2020")] == (None, None)  # outside the horizon
    assert all(body is not None for (_, item), (_, body) in rows.items() if item != "x@ops/2020")
    _, second = generation(state_path, catalogue_setup, now=LATER)
    assert {k: f.body for k, f in second.items()} == {k: f.body for k, f in first.items()}


@pytest.fixture()
def conn(state_path: Path) -> Iterator[SQLiteStore]:
    connection = SQLiteStore(state_path, "")
    yield connection
    connection.close()


def test_the_same_renderer_gives_the_same_bytes_in_one_process(
    catalogue_setup: Setup, conn: SQLiteStore
) -> None:
    """A server keeps one renderer and one connection: generations stay byte-identical."""
    renderer = FeedRenderer()
    memory = conn.publication()
    feed_set = feed_set_for(catalogue_setup, today=TODAY)
    first = generate(feed_set, memory, now=NOW, renderer=renderer)
    second = generate(feed_set, memory, now=LATER, renderer=renderer)
    assert {k: f.body for k, f in second.items()} == {k: f.body for k, f in first.items()}
    assert_plain_icalendar(feed_set, second)

"""The store interface on its SQLite backend: one rule to find it, the organisation in every
key, messages and deliveries apart, what people record, sign-in, remote catalogues, and
migrations that lose nothing (a real state file made by release 0.1.0).
"""

from __future__ import annotations

import ast
import contextlib
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from terminarz.errors import TerminarzError
from terminarz.store import ENV_URL, Location, locate, open_store
from terminarz.store.base import (
    AbsenceCategory,
    CachedCatalogue,
    Claim,
    DeliveryStatus,
    ReceiptAction,
    Recipient,
    Store,
    StoreError,
    return_rounds,
)
from terminarz.store.sqlite import MIGRATIONS, SQLiteStore

AT = datetime(2027, 1, 18, 6, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
PACKAGE = Path(__file__).resolve().parent.parent / "terminarz"
LEGACY = Path(__file__).resolve().parent / "data" / "state-0.1.0.sqlite3"


MakeStore = Callable[[str], Store]


@pytest.fixture(params=["sqlite", "postgresql"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeStore]:
    """Opens stores of one database for an organisation, on each backend in turn
    (PostgreSQL: a real server started by the tests, a new database per test)."""
    opened: list[Store] = []
    if request.param == "sqlite":
        def make(organisation: str) -> Store:
            opened.append(SQLiteStore(tmp_path / "s.sqlite3", organisation))
            return opened[-1]
    else:
        from terminarz.store.postgresql import PostgresStore

        url = request.getfixturevalue("postgres_url")

        def make(organisation: str) -> Store:
            opened.append(PostgresStore(url, organisation))
            return opened[-1]
    yield make
    for store in opened:
        store.close()


def message(step: str = "T-10", recipient: str = "kier", *, cc: tuple[str, ...] = ()) -> Claim:
    envelope = (f"{recipient}@example.org", *(f"{c}@example.org" for c in cc))
    return Claim(
        occurrence_id="sr@ops/2026-Q4", kind="handover", step=step, recipient=recipient,
        series="tier", address=envelope[0], envelope=envelope,
        message_id=f"<{step}.{recipient}@example.org>", subject=step, day=AT.date(),
        message=b"Subject: x\r\n\r\nx\r\n",
        recipients=tuple(Recipient(address=a, person=a.split("@")[0], role="to" if i == 0
                                   else "cc") for i, a in enumerate(envelope)),
    )  # fmt: skip


# -- which store -----------------------------------------------------------------------------


def test_one_rule_chooses_the_store(tmp_path: Path) -> None:
    config = tmp_path / "org.toml"
    env = {ENV_URL: "sqlite:///var/lib/terminarz/wspolna.sqlite3"}
    full = dict(explicit=str(tmp_path / "cli.sqlite3"), environ=env,
                url="sqlite://z-pliku.sqlite3", path=tmp_path / "p.sqlite3", config=config)
    assert locate(**full).path == tmp_path / "cli.sqlite3"  # type: ignore[arg-type]
    assert locate(**full).origin == "opcja --state"  # type: ignore[arg-type]
    del full["explicit"]
    assert locate(**full).path == Path("/var/lib/terminarz/wspolna.sqlite3")  # type: ignore[arg-type]
    full["environ"] = {}
    url = locate(**full)  # type: ignore[arg-type]
    assert url.path == tmp_path / "z-pliku.sqlite3"
    assert url.origin == f"[state] url w pliku {config}"
    del full["url"]
    assert locate(**full).path == tmp_path / "p.sqlite3"  # type: ignore[arg-type]
    del full["path"]
    default = locate(**full)  # type: ignore[arg-type]
    assert default.path is not None and default.path.name == "state.sqlite3"
    assert default.origin == "domyślny katalog danych użytkownika"


def test_a_server_url_is_shown_without_its_password() -> None:
    location = locate(explicit="postgresql://terminarz:tajne@db.example.org/terminarz")
    assert location.display() == "postgresql://terminarz:***@db.example.org/terminarz"
    with pytest.raises(StoreError, match="nie można połączyć się z bazą stanu") as info:
        open_store(location, "ops")  # no such server here: a message, and no password in it
    assert "tajne" not in str(info.value) and "terminarz:***@db.example.org" in str(info.value)
    with pytest.raises(TerminarzError, match="nieznany rodzaj bazy stanu „mysql://”"):
        locate(explicit="mysql://localhost/x")


def test_no_module_outside_the_store_talks_to_the_database() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == "sqlite3" or n.startswith(("sqlite3.", "psycopg")) for n in names):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


# -- the organisation in every key ------------------------------------------------------------


def test_two_organisations_share_a_file_and_nothing_else(make_store: MakeStore) -> None:
    with make_store("ops-a") as a, make_store("ops-b") as b:
        a.claim([message()], at=AT, epoch=date(2027, 1, 4))
        a.confirm("sr@ops/2026-Q3", by="kier", at=AT)
        a.publication().feeds_modified({"all": "d1"}, now=AT)
        assert b.keys(["sr@ops/2026-Q4"]) == frozenset() and b.pending() == []
        assert b.confirmations() == {} and b.epoch() is None
        assert b.publication().feeds_modified({"all": "d1"}, now=AT + timedelta(hours=1)) == {
            "all": (AT + timedelta(hours=1)).astimezone(ZoneInfo("UTC"))}
        b.claim([message()], at=AT)  # the same key in another organisation is its own message
        assert len(a.pending()) == 1 and len(b.pending()) == 1
        assert a.confirmation("sr@ops/2026-Q3") is not None
        assert b.confirmation("sr@ops/2026-Q3") is None


# -- messages and deliveries -------------------------------------------------------------------


def test_a_message_to_three_people_is_one_message_with_three_deliveries(
    make_store: MakeStore,
) -> None:
    with make_store("ops") as store:
        (mail_id,) = store.claim([message(cc=("zast", "dyr"))], at=AT)
        assert store.claim([message(cc=("zast", "dyr"))], at=AT) == []  # never twice
        (record,) = store.pending()
        assert record.id == mail_id and record.envelope == (
            "kier@example.org", "zast@example.org", "dyr@example.org")
        kier, zast, dyr = record.deliveries
        store.mark_sent([kier.id, dyr.id], at=AT)
        store.mark_failed([zast.id], "451 4.3.0 później", permanent=False)
        (record,) = store.pending()  # still open, for zast only
        assert [d.address for d in record.open_deliveries()] == ["zast@example.org"]
        assert record.status is DeliveryStatus.PENDING
        store.mark_sent([zast.id], at=AT + timedelta(days=1))
        assert store.pending() == []
        (done,) = store.history()
        assert done.status is DeliveryStatus.SENT
        assert [(d.status, d.attempts) for d in done.deliveries] == [
            (DeliveryStatus.SENT, 1), (DeliveryStatus.SENT, 2), (DeliveryStatus.SENT, 1)]
        assert store.keys(["sr@ops/2026-Q4"]) == {("sr@ops/2026-Q4", "handover", "T-10", "kier")}
        assert store.history(person="dyr") == [done]


def test_an_unanswered_message_is_resent_at_most_once(make_store: MakeStore) -> None:
    with make_store("ops") as store:
        store.claim([message()], at=AT)
        (delivery,) = store.pending()[0].deliveries
        store.mark_unknown([delivery.id], "brak odpowiedzi po DATA")
        (record,) = store.pending()  # a later run may resend it once
        assert record.status is DeliveryStatus.UNKNOWN
        store.mark_unknown([delivery.id], "znowu brak odpowiedzi")
        assert store.pending() == []  # resent once: no more
        (final,) = store.history()[0].deliveries
        assert final.status is DeliveryStatus.UNKNOWN and final.unknown_resent
        assert final.attempts == 2


def test_leases_keep_two_workers_off_one_delivery(make_store: MakeStore) -> None:
    with make_store("ops") as one, make_store("ops") as two:
        one.claim([message("T-10"), message("T-5", "zast")], at=AT)
        mine = one.pending(worker="a", now=AT, lease_seconds=600)
        assert len(mine) == 2
        assert two.pending(worker="b", now=AT + timedelta(minutes=5), lease_seconds=600) == []
        taken_over = two.pending(worker="b", now=AT + timedelta(minutes=11), lease_seconds=600)
        assert len(taken_over) == 2  # the first worker's lease ran out


def test_a_confirmation_cancels_open_deliveries(make_store: MakeStore) -> None:
    with make_store("ops") as store:
        store.claim([message(cc=("zast",))], at=AT)
        store.confirm("sr@ops/2026-Q4", by="kier", at=AT, note="CAS 12")
        assert store.pending() == []
        assert {d.status for d in store.history()[0].deliveries} == {DeliveryStatus.CANCELLED}


def test_a_store_for_another_organisation_shares_the_connection(make_store: MakeStore) -> None:
    occ = "sr@ops/2026-Q4"
    with make_store("gops-1") as store, make_store("gops-2") as other:
        other.confirm(occ, by="kier", at=AT)
        sibling = store.for_organisation("gops-2")
        with sibling:
            assert sibling.organisation == "gops-2"
            assert list(sibling.confirmations()) == [occ]
            sibling.record_receipt(occ, action=ReceiptAction.RECEIVED, day=date(2027, 1, 18),
                                   upper="uw", by="uw/insp", at=AT)  # fmt: skip
        # closing it left the connection open, and each wrote its own rows
        assert store.confirmations() == {}
        assert store.receipts() == []
        assert [r.upper for r in other.receipts()] == ["uw"]


def test_a_return_withdraws_the_confirmation_and_a_receipt_does_not(
    make_store: MakeStore,
) -> None:
    occ = "sr@ops/2026-Q4"
    with make_store("gops-1") as store, make_store("gops-2") as other:
        store.confirm(occ, by="kier", at=AT)
        received = store.record_receipt(occ, action=ReceiptAction.RECEIVED, day=date(2027, 1, 18),
                                        upper="uw", by="uw/insp", at=AT)  # fmt: skip
        assert store.confirmation(occ) is not None
        returned = store.record_receipt(occ, action=ReceiptAction.RETURNED, day=date(2027, 1, 27),
                                        upper="uw", by="uw/insp", at=AT, note="wiersz 12")
        assert store.confirmation(occ) is None
        assert [(e.action, e.person) for e in store.confirmation_log(occ)] == [
            ("done", "kier"), ("undone", "uw/insp")]
        assert store.confirmation_log(occ)[1].note == (
            "zwrócono do poprawy przez uw; nowy termin 27.01.2027 r. — wiersz 12")
        assert store.receipts() == [received, returned]
        assert returned.day == date(2027, 1, 27) and returned.note == "wiersz 12"
        assert return_rounds(store.receipts()) == {occ: 1}
        assert [e.action for e in store.audit_log(subject=occ)] == ["receipt-received",
                                                                    "receipt-returned"]
        assert other.receipts() == []  # kept per organisation


# -- what people record ----------------------------------------------------------------------------


def test_absences_are_recorded_withdrawn_purged_and_audited(make_store: MakeStore) -> None:
    with make_store("ops") as store:
        leave = store.add_absence(person="kier", start=date(2027, 1, 11), end=date(2027, 1, 22),
                                  category=AbsenceCategory.LEAVE, by="kier", at=AT)  # fmt: skip
        trip = store.add_absence(person="zast", start=date(2026, 3, 2), end=date(2026, 3, 3),
                                 category=AbsenceCategory.TRIP, by="kier", at=AT)  # fmt: skip
        assert [a.id for a in store.absences()] == [trip.id, leave.id]
        assert [a.id for a in store.absences(ending_on_or_after=date(2027, 1, 1))] == [leave.id]
        assert store.withdraw_absence(leave.id, by="kier", at=AT)
        assert not store.withdraw_absence(leave.id, by="kier", at=AT)
        assert store.purge_absences(ended_before=date(2026, 6, 1), at=AT) == 1
        assert store.absences() == []
        actions = [(e.action, e.subject) for e in store.audit_log()]
        assert actions == [("absence", "kier"), ("absence", "zast"),
                           ("absence-withdrawn", "kier"), ("absence-purged", "")]  # fmt: skip


def test_designations_and_announced_dates(make_store: MakeStore) -> None:
    with make_store("ops") as store:
        made = store.add_designation(person="prac", occurrence_id="sr@ops/2026-Q4", start=None,
                                     end=None, basis="pkt II.5 — polecenie Dyrektora", by="dyr",
                                     at=AT)  # fmt: skip
        assert store.designations() == [made]
        assert store.withdraw_designation(made.id, by="dyr", at=AT)
        assert store.designations() == []
        store.set_announced_date(occurrence_id="mrips-03-r@ops/2026", due=date(2027, 2, 10),
                                 source="pismo WPS z 5 stycznia 2027 r.", by="kier", at=AT)
        store.set_announced_date(occurrence_id="mrips-03-r@ops/2026", due=date(2027, 2, 12),
                                 source="pismo WPS z 8 stycznia 2027 r. (korekta)", by="kier",
                                 at=AT + timedelta(days=3))  # fmt: skip
        newest = store.announced_dates()["mrips-03-r@ops/2026"]
        assert newest.due == date(2027, 2, 12) and "korekta" in newest.source
        assert [e.action for e in store.audit_log(subject="mrips-03-r@ops/2026")] == [
            "announced-date", "announced-date"]


def test_sign_in_tokens_are_single_use_and_expire(make_store: MakeStore) -> None:
    with make_store("ops") as store:
        store.add_login_token("d1", person="kier", expires=AT + timedelta(minutes=15), at=AT)
        store.add_login_token("d2", person="kier", expires=AT + timedelta(minutes=15), at=AT)
        assert store.use_login_token("d1", at=AT + timedelta(minutes=1)) == "kier"
        assert store.use_login_token("d1", at=AT + timedelta(minutes=2)) is None  # used
        assert store.use_login_token("d2", at=AT + timedelta(minutes=16)) is None  # expired
        store.open_session("s1", person="kier", expires=AT + timedelta(hours=1), at=AT)
        later = AT + timedelta(minutes=50)
        assert store.session("s1", at=later, extend_to=later + timedelta(hours=1)) == "kier"
        assert store.session("s1", at=AT + timedelta(minutes=90)) == "kier"  # slid
        store.close_session("s1", at=AT + timedelta(minutes=91))
        assert store.session("s1", at=AT + timedelta(minutes=92)) is None
    with make_store("inna") as other:
        assert other.use_login_token("d2", at=AT) is None  # never across organisations


def test_remote_catalogues_keep_the_last_good_copy(make_store: MakeStore) -> None:
    url = "https://uw.example.gov.pl/terminarz/harmonogram.toml"
    with make_store("ops") as store:
        assert store.cached_catalogue(url) is None
        first = CachedCatalogue(url=url, body=b"[act]\n", etag='"v1"', last_modified=None,
                                fetched_at="2027-01-04T06:00:00+01:00",
                                checked_at="2027-01-04T06:00:00+01:00")  # fmt: skip
        store.store_catalogue(first)
        assert store.cached_catalogue(url) == first
        newer = first._replace(body=b"[act]\nid = 'x'\n", etag='"v2"',
                        fetched_at="2027-01-05T06:00:00+01:00",
                        checked_at="2027-01-05T06:00:00+01:00")  # fmt: skip
        store.store_catalogue(newer)
        assert store.cached_catalogue(url) == newer
    with make_store("inna") as other:
        assert other.cached_catalogue(url) is None


# -- migrations ------------------------------------------------------------------------------


def test_a_state_file_of_release_0_1_0_migrates_with_nothing_lost(tmp_path: Path) -> None:
    """Made by release 0.1.0 (commit a35d5a6) for the example centre: the night of
    18 January 2027 (six mails sent), ``done mpips-03@ops/2025``, and the night of 25 January
    with the mail server down (three mails pending)."""
    path = tmp_path / "state.sqlite3"
    shutil.copy(LEGACY, path)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 4
        old = {r[0]: r[1] for r in raw.execute(
            "SELECT occurrence_id || ' ' || kind || ' ' || step || ' ' || recipient, status "
            "FROM mail")}  # fmt: skip
        old_confirmed = raw.execute("SELECT occurrence_id FROM confirmation").fetchall()
    raw.close()
    with SQLiteStore(path, "mopr-przyklad") as store:
        new = {f"{r.occurrence_id} {r.kind} {r.step} {r.recipient}": r.status.value
               for r in store.history()}  # fmt: skip
        assert new == old and old
        assert sorted(store.confirmations()) == sorted(r[0] for r in old_confirmed)
        assert store.epoch() is not None
        assert [e.action for e in store.audit_log()] == ["adopt"]
    with SQLiteStore(path, "inna-organizacja") as other:
        assert other.history() == [] and other.confirmations() == {}


def test_many_workers_open_one_new_file_at_once(tmp_path: Path) -> None:
    """``remind --orgs`` opens one new state file from several threads at the same moment.
    SQLite answers the switch to write-ahead logging with "database is locked" at once,
    ignoring the busy timeout (it failed one night in CI; before the fix 10 of 300 new
    files opened by four threads failed): every opening must wait its turn instead."""
    import threading

    from terminarz.store.sqlite import connect

    failures: list[BaseException] = []

    def open_once(path: Path, start: threading.Barrier) -> None:
        start.wait()
        try:
            connect(path, check_same_thread=False).close()
        except BaseException as exc:  # collected for the assertion below
            failures.append(exc)

    for attempt in range(60):
        path = tmp_path / f"stan-{attempt}.sqlite3"
        start = threading.Barrier(4)
        threads = [threading.Thread(target=open_once, args=(path, start)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
    assert failures == []


def test_a_newer_schema_and_a_corrupt_file_are_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as raw:
        raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    raw.close()
    with pytest.raises(StoreError, match="należy zaktualizować terminarz"):
        SQLiteStore(newer, "ops")
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"to nie jest baza danych" * 100)
    with pytest.raises(StoreError, match="nie jest poprawną bazą stanu"):
        SQLiteStore(corrupt, "ops")


def test_a_failed_migration_is_rolled_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.sqlite3"
    shutil.copy(LEGACY, path)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("dysk pełny (symulacja)")

    from terminarz.store import sqlite as backend

    monkeypatch.setattr(backend, "MIGRATIONS", (*MIGRATIONS[:4], broken))
    with pytest.raises(StoreError, match="dysk pełny"):
        SQLiteStore(path, "ops")
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 4
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
    raw.close()
    assert "half_done" not in tables and "mail" in tables


def test_the_store_is_the_interface(tmp_path: Path) -> None:
    store = open_store(Location(scheme="sqlite", target=str(tmp_path / "x.sqlite3"),
                                origin="test"), "ops")  # fmt: skip
    with store:
        assert isinstance(store, Store) and store.location == str(tmp_path / "x.sqlite3")
        store.check_writable()
        version = store.version()
        with SQLiteStore(tmp_path / "x.sqlite3", "ops") as other:
            other.confirm("a@ops/2026", by=None, at=AT)
        assert store.version() != version


# -- the commands use the same rule ------------------------------------------------------------


def test_done_and_log_say_which_store_they_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_reminders import copy_example

    from terminarz.cli import main

    config = copy_example(tmp_path)
    shared = tmp_path / "wspolna.sqlite3"
    monkeypatch.setenv(ENV_URL, f"sqlite://{shared}")
    assert main(["done", "mpips-03@ops/2026", "--config", str(config), "--by", "kier-dokip",
                 "--verbose"]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert f"baza stanu: {shared} (zmienna {ENV_URL})" in err
    with SQLiteStore(shared, "mopr-przyklad") as store:  # not [state] path of the file
        assert store.confirmation("mpips-03@ops/2026") is not None
    assert not (tmp_path / "state.sqlite3").exists()
    explicit = tmp_path / "jawna.sqlite3"
    assert main(["log", "--config", str(config), "--state", str(explicit), "-v"]) == 0
    assert f"baza stanu: {explicit} (opcja --state)" in capsys.readouterr().err
    monkeypatch.delenv(ENV_URL)
    assert main(["undone", "mpips-03@ops/2026", "--config", str(config), "-v"]) == 0
    assert f"(\x5bstate] path w pliku {config})" in capsys.readouterr().err


def test_an_absence_recorded_in_the_store_hands_the_report_over(tmp_path: Path) -> None:
    """The example: the DŚPS group (tier 0 of MPiPS-03) is away according to the file, so
    DOKiP substitutes; with kier-dokip and prac-dokip recorded as away through the web,
    nobody is left and the director must designate (II.5) — then a designation recorded
    there decides."""
    from test_reminders import copy_example

    from terminarz.notify.recorded import recorded_setup
    from terminarz.org.plan import load_setup, plan_one

    config = copy_example(tmp_path)
    today = date(2027, 1, 4)
    setup = load_setup(config, today=today)
    before = plan_one(setup, "mpips-03@ops/2026", today=today).resolution
    assert before is not None and before.responsible == ("kier-dokip", "prac-dokip")
    with SQLiteStore(tmp_path / "state.sqlite3", "mopr-przyklad") as store:
        for person in ("kier-dokip", "prac-dokip"):
            store.add_absence(person=person, start=date(2027, 1, 4), end=date(2027, 2, 12),
                              category=AbsenceCategory.LEAVE, by=person, at=AT)  # fmt: skip
        after = plan_one(recorded_setup(setup, store), "mpips-03@ops/2026", today=today)
        assert after.resolution is not None and after.resolution.needs_designation
        store.add_designation(person="prac-dsr", occurrence_id="mpips-03@ops/2026", start=None,
                              end=None, basis="pkt II.5 — polecenie Dyrektora", by="dyrektor",
                              at=AT)  # fmt: skip
        designated = plan_one(recorded_setup(setup, store), "mpips-03@ops/2026", today=today)
        assert designated.resolution is not None
        assert designated.resolution.responsible == ("prac-dsr",)


def test_a_parsed_absence_calendar_is_kept_until_the_file_changes(tmp_path: Path) -> None:
    """The example's HR calendar (urlopy.ics) is parsed once; the next command reads the
    stored result without importing the iCalendar libraries; an edit parses it again."""
    import subprocess
    import sys

    from test_reminders import copy_example

    from terminarz.notify.absence_cache import AbsenceCache
    from terminarz.org.plan import load_setup

    config = copy_example(tmp_path)
    SQLiteStore(tmp_path / "state.sqlite3", "mopr-przyklad").close()  # the store exists

    def load(today: date) -> tuple[AbsenceCache, list[object]]:
        cache = AbsenceCache(lambda org: locate(path=tmp_path / "state.sqlite3"), lambda: AT)
        setup = load_setup(config, today=today, absence_parse=cache.parse)
        cache.close()
        assert setup.organisation is not None
        return cache, sorted(map(repr, setup.organisation.absences))

    first, absences = load(date(2027, 1, 4))
    assert (first.hits, first.misses) == (0, 1) and absences
    again, same = load(date(2027, 1, 20))  # the same month: the stored result
    assert (again.hits, again.misses) == (1, 0) and same == absences
    probe = ("import sys; from terminarz.cli import main; "
             f"main(['due', '--config', {str(config)!r}, '--today', '2027-01-20']); "
             "print('ICAL', 'icalendar' in sys.modules, file=sys.stderr)")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "NO_COLOR": "1"})  # fmt: skip
    assert "ICAL False" in run.stderr, run.stderr
    ics = tmp_path / "urlopy.ics"
    ics.write_text(ics.read_text(encoding="utf-8").replace("\r\nEND:VCALENDAR",
                                                          "\r\nEND:VCALENDAR\r\n"),
                   encoding="utf-8")  # fmt: skip
    edited, _ = load(date(2027, 1, 20))
    assert (edited.hits, edited.misses) == (0, 1)


def test_a_kept_absence_entry_round_trips_and_a_damaged_one_is_parsed_again(
    tmp_path: Path,
) -> None:
    from test_reminders import copy_example

    from terminarz.notify.absence_cache import AbsenceCache, decode, encode
    from terminarz.org.organisation import Absence
    from terminarz.org.plan import load_setup

    kept = [Absence(person="kier-dsps", start=date(2027, 1, 18), end=date(2027, 2, 5),
                    reason="urlop wypoczynkowy", source="urlopy.ics"),
            Absence(person="zast-dsps", start=date(1999, 12, 31), end=date(2000, 1, 1))]
    assert decode(encode(kept)) == kept and decode(encode([])) == []
    for damaged in (encode(kept)[:-3], b"0" + encode(kept)[1:], b"", b"not an entry"):
        assert decode(damaged) is None
    config = copy_example(tmp_path)
    with SQLiteStore(tmp_path / "state.sqlite3", "mopr-przyklad") as store:
        def load() -> AbsenceCache:
            cache = AbsenceCache(lambda org: locate(path=tmp_path / "state.sqlite3"), lambda: AT)
            load_setup(config, today=date(2027, 1, 4), absence_parse=cache.parse)
            cache.close()
            return cache

        assert (load().misses, load().hits) == (1, 1)
        with contextlib.closing(sqlite3.connect(tmp_path / "state.sqlite3")) as raw:
            (key,) = [k for (k,) in raw.execute("SELECT key FROM derived")
                      if k.startswith("absences:")]  # fmt: skip
        value = store.cached(key)
        assert value is not None
        store.cache(key, value[:-5], at=AT)  # damaged: parsed again, and kept anew
        assert (load().hits, load().hits) == (0, 1)


def test_without_a_store_the_parsed_calendar_is_kept_in_the_users_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user who only reads (``due --config`` before any ``feed`` or ``remind``) has no
    store: the parsed HR calendar is kept in the cache folder, readable by the owner alone,
    and read back until the file changes; no database is created."""
    import stat
    import subprocess
    import sys

    from test_reminders import copy_example

    from terminarz.notify.absence_cache import AbsenceCache
    from terminarz.org.plan import load_setup

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    config = copy_example(tmp_path)
    nowhere = tmp_path / "brak" / "state.sqlite3"

    def load() -> tuple[AbsenceCache, list[str]]:
        cache = AbsenceCache(lambda org: locate(path=nowhere), lambda: AT)
        setup = load_setup(config, today=date(2027, 1, 4), absence_parse=cache.parse)
        cache.close()
        assert setup.organisation is not None
        return cache, sorted(map(repr, setup.organisation.absences))

    first, absences = load()
    assert (first.hits, first.misses) == (0, 1) and absences
    (kept,) = (tmp_path / "cache" / "terminarz" / "absences").iterdir()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    again, same = load()
    assert (again.hits, again.misses) == (1, 0) and same == absences
    assert not nowhere.exists() and not nowhere.parent.exists()
    probe = ("import sys; from terminarz.cli import main; "
             f"main(['due', '--config', {str(config)!r}, '--today', '2027-01-04']); "
             "print('ICAL', 'icalendar' in sys.modules, file=sys.stderr)")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "NO_COLOR": "1",
                                          ENV_URL: str(nowhere)})  # fmt: skip
    assert "ICAL False" in run.stderr, run.stderr
    kept.write_bytes(kept.read_bytes()[:-4])  # damaged: parsed again and kept anew
    assert load()[0].misses == 1 and load()[0].hits == 1
    ics = tmp_path / "urlopy.ics"
    ics.write_text(ics.read_text(encoding="utf-8").replace("\r\nEND:VCALENDAR",
                                                          "\r\nEND:VCALENDAR\r\n"),
                   encoding="utf-8")  # fmt: skip
    assert load()[0].misses == 1


def test_a_date_entered_on_the_pages_dates_the_report_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """MRiPS-03 (R) for 2026 has no announced date in any file; the responsible person
    enters the voivode's letter on the pages (the store): `due` dates it, `explain` cites
    the letter and where it was entered."""
    import json

    from terminarz.cli import main
    from terminarz.paths import calendars_dir

    state = tmp_path / "wspolna.sqlite3"
    monkeypatch.setenv(ENV_URL, str(state))
    config = str(calendars_dir() / "examples" / "osrodek-pomocy.toml")
    occurrence = "mrips-03-r@ops/2026"
    args = ["due", "--config", config, "--today", "2027-01-05", "--from", "2027-01-01",
            "--to", "2027-03-31", "--format", "json"]  # fmt: skip
    SQLiteStore(state, "mopr-przyklad").close()
    assert main(args) == 0
    before = {x["id"]: x for x in json.loads(capsys.readouterr().out) if "id" in x}
    assert before[occurrence]["due"] is None and before[occurrence]["announced"] is False
    with SQLiteStore(state, "mopr-przyklad") as store:
        store.set_announced_date(occurrence_id=occurrence, due=date(2027, 2, 12),
                                 source="pismo WPS z 8 stycznia 2027 r., znak WPS-II.1.2027",
                                 by="kier-dsps", at=AT)  # fmt: skip
    assert main(args) == 0
    after = {x["id"]: x for x in json.loads(capsys.readouterr().out) if "id" in x}
    assert after[occurrence]["due"] == "2027-02-12" and after[occurrence]["announced"] is True
    assert main(["explain", occurrence, "--config", config, "--today", "2027-01-05"]) == 0
    text = capsys.readouterr().out
    assert "Termin: piątek, 12 lutego 2027 r." in text
    assert "pismo WPS z 8 stycznia 2027 r., znak WPS-II.1.2027" in text
    assert "Zapisano w: stronie terminarza — wpisał(a) kier-dsps dnia 18.01.2027 r." in text

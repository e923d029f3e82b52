"""``terminarz feed`` into an unchanged state answers without loading or rendering anything,
and every kind of change to what the feeds are made of makes it generate again.

Real files (a copy of the example organisation with its schedule and HR calendar), a real
SQLite state, the real command in a new process. Whether a run generated is seen from the
outside: a generation renders with icalendar, the fast path never imports it. The
expectations come from the example's data: the head of DŚPS is on leave from 18 January to
5 February 2027 (``urlopy.ics``), which covers the preparation of WRiSPZ-G for the second
half of 2026, so that report is handled by the rest of the first tier (deputy, employee).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from terminarz.store import Location
from terminarz.store.base import AbsenceCategory, CachedCatalogue, ReceiptAction
from terminarz.store.feedstate import peek

EXAMPLES = Path(__file__).resolve().parent.parent / "calendars" / "examples"
ORG = "mopr-przyklad"
WRISPZ = "WRiSPZ-G: ops → uw za II półrocze 2026 r."
PROBE = (
    "import sys\n"
    "from terminarz.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "loaded = [m for m in ('icalendar', 'jinja2', 'recurring_ical_events') if m in sys.modules]\n"
    "sys.stderr.write('wczytano: ' + ','.join(loaded) + '\\n')\n"
    "raise SystemExit(code)\n"
)


class Run(NamedTuple):
    lines: list[str]
    rendered: bool  # icalendar was imported: the feeds were generated
    loaded: str  # which of icalendar, jinja2, recurring_ical_events the run imported


class Deployment:
    """A copy of the example organisation, its state file and output folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.org = root / "org"
        self.org.mkdir()
        for name in ("osrodek-pomocy.toml", "terminy-osrodka.toml", "urlopy.ics"):
            shutil.copy2(EXAMPLES / name, self.org / name)
        self.config = self.org / "osrodek-pomocy.toml"
        self.state: Path | str = root / "stan.sqlite3"  # or a PostgreSQL address
        self.out = root / "kalendarze"
        self.env = {**os.environ, "XDG_CACHE_HOME": str(root / "cache")}  # its own records

    def args(self, today: str = "2026-11-30") -> list[str]:
        return ["--config", str(self.config), "--state", str(self.state), "--out", str(self.out),
                "--today", today, "--verbose"]  # fmt: skip

    def feed(self, *extra: str, today: str = "2026-11-30") -> Run:
        result = subprocess.run(
            [sys.executable, "-c", PROBE, "feed", *self.args(today), *extra],
            capture_output=True, text=True, encoding="utf-8", check=False, cwd=self.root,
            env=self.env,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        loaded = [line for line in result.stderr.splitlines() if line.startswith("wczytano: ")]
        assert len(loaded) == 1, result.stderr
        modules = loaded[0].removeprefix("wczytano: ")
        return Run(lines=result.stdout.splitlines(), rendered="icalendar" in modules,
                   loaded=modules)  # fmt: skip

    def events(self, feed: str) -> dict[str, tuple[str, str]]:
        """The feed's events: occurrence or task id → (summary, first day)."""
        text = (self.out / feed).read_bytes().decode("utf-8").replace("\r\n ", "")
        found = {}
        for event in text.split("BEGIN:VEVENT")[1:]:
            own = event.split("BEGIN:VALARM")[0]  # the alarm has a DESCRIPTION of its own
            fields = dict(line.split(":", 1) for line in own.split("\r\n") if ":" in line)
            key = fields["DESCRIPTION"].rsplit("Identyfikator: ", 1)[1].split(" ", 1)[0]
            found[key] = (fields["SUMMARY"], fields["DTSTART;VALUE=DATE"])
        return found

    def summaries(self, feed: str) -> set[str]:
        return {summary for summary, _ in self.events(feed).values()}


def same_size_edit(path: Path, *changes: tuple[str, str]) -> None:
    """Replace each ``old`` by its ``new`` (of the same length) and give the file back its
    times: only the content says that it changed."""
    before = path.stat()
    data = path.read_bytes()
    for old, new in changes:
        assert len(old.encode()) == len(new.encode()) and data.count(old.encode()) == 1
        data = data.replace(old.encode(), new.encode())
    path.write_bytes(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)


@pytest.fixture
def deployment(tmp_path: Path) -> Deployment:
    """Generated twice (the first run's record is incomplete: it says what to stamp before
    the second), then found unchanged by the third run."""
    site = Deployment(tmp_path)
    first = site.feed()
    assert first.rendered and first.lines[-1].endswith("zmienionych plików: 20")
    second = site.feed()
    assert second.rendered and second.lines[-1].endswith("zmienionych plików: 0")
    third = site.feed()
    assert not third.rendered
    assert third.lines == second.lines
    return site


def test_an_unchanged_state_is_answered_without_icalendar_jinja2_or_recurrences(
    deployment: Deployment,
) -> None:
    before = {p: p.read_bytes() for p in deployment.out.rglob("*.ics")}
    again = deployment.feed()
    assert (again.rendered, again.loaded) == (False, "")
    assert "  person/kier-dsps.ics — 66 wydarzeń" in again.lines
    assert again.lines[-1] == (f"20 kalendarzy w {deployment.out} (horyzont 30.11.2025–30.11.2028);"
                               " zmienionych plików: 0")  # fmt: skip
    assert {p: p.read_bytes() for p in deployment.out.rglob("*.ics")} == before
    assert WRISPZ not in deployment.summaries("person/kier-dsps.ics")  # on leave (urlopy.ics)
    assert WRISPZ in deployment.summaries("person/zast-dsps.ics")


def test_an_edited_absence_calendar_is_read_again(deployment: Deployment) -> None:
    # the leave moves a year later: same size, same modification time, other content
    same_size_edit(deployment.org / "urlopy.ics", (":20270118", ":20280118"),
                   (":20270206", ":20280206"))  # fmt: skip
    changed = deployment.feed()
    assert changed.rendered
    assert WRISPZ in deployment.summaries("person/kier-dsps.ics")  # no longer away
    assert not deployment.feed().rendered


def test_an_edited_organisation_file_is_read_again(deployment: Deployment) -> None:
    same_size_edit(deployment.config, ("months_ahead = 24", "months_ahead = 12"))
    changed = deployment.feed()
    assert changed.rendered
    assert "(horyzont 30.11.2025–30.11.2027)" in changed.lines[-1]
    assert not deployment.feed().rendered


def test_a_date_entered_in_the_organisations_schedule_is_published(
    deployment: Deployment,
) -> None:
    with (deployment.org / "terminy-osrodka.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[[announced]]\noccurrence = "mrips-03-r@ops/2026"\ndate = 2027-02-26\n'
                 'basis = "pismo WPS z 20.11.2026 r."\ntext = "do 26 lutego 2027 r."\n')
    assert deployment.events("all.ics")["mrips-03-r@ops/2026#termin"][1] == "20270105"
    changed = deployment.feed()
    assert changed.rendered
    events = deployment.events("all.ics")
    assert events["mrips-03-r@ops/2026"] == (
        "MRiPS-03 (R): ops → uw za 2026 r. (termin wg pisma otrzymanego przez instytucję)",
        "20270226",
    )
    assert events["mrips-03-r@ops/2026#termin"][0].startswith("Nieaktualne: Ustalić termin")
    assert not deployment.feed().rendered


def test_a_confirmation_by_done_is_published(
    deployment: Deployment, run_cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    summary = deployment.events("person/kier-dsps.ics")["ozps-powiat@ops/2025"][0]
    assert not summary.startswith("✔")
    done = run_cli("done", "ozps-powiat@ops/2025", "--by", "kier-dsps", "--config",
                   str(deployment.config), "--state", str(deployment.state))  # fmt: skip
    assert done.returncode == 0, done.stderr
    changed = deployment.feed()
    assert changed.rendered
    assert deployment.events("person/kier-dsps.ics")["ozps-powiat@ops/2025"][0] == f"✔ {summary}"
    assert not deployment.feed().rendered


def test_an_absence_recorded_on_the_pages_is_published(deployment: Deployment) -> None:
    from conftest import open_state

    with open_state(deployment.state, ORG) as store:
        store.add_absence(person="zast-dsps", start=date(2027, 1, 18), end=date(2027, 2, 5),
                          category=AbsenceCategory.LEAVE, by="kier-dsps",
                          at=datetime(2026, 11, 30, 9, tzinfo=UTC))  # fmt: skip
    changed = deployment.feed()
    assert changed.rendered
    # the deputy is away too: the employee of DŚPS alone handles the report
    assert f"Nieaktualne: {WRISPZ}" in deployment.summaries("person/zast-dsps.ics")
    assert WRISPZ in deployment.summaries("person/prac-dsps.ics")
    assert not deployment.feed().rendered


@pytest.mark.parametrize("damage", ["deleted", "edited"])
def test_a_deleted_or_edited_output_is_written_again(deployment: Deployment, damage: str) -> None:
    target = deployment.out / "person" / "prac-di.ics"
    original = target.read_bytes()
    if damage == "deleted":
        target.unlink()
    else:
        target.write_bytes(original.replace(b"PUBLISH", b"REQUEST"))
    changed = deployment.feed()
    assert changed.rendered
    assert changed.lines[-1].endswith("zmienionych plików: 1")
    assert target.read_bytes() == original
    assert not deployment.feed().rendered


def test_a_damaged_record_means_a_generation(deployment: Deployment) -> None:
    import marshal

    records = list((deployment.root / "cache" / "terminarz" / "feeds").glob("*.marshal"))
    assert len(records) == 1
    for damage in (b"\x00uszkodzony", marshal.dumps((1, "inny")),
                   marshal.dumps((1, *["x"] * 12))):  # fmt: skip
        records[0].write_bytes(damage)
        again = deployment.feed()
        assert again.rendered and again.lines[-1].endswith("zmienionych plików: 0")
        assert deployment.feed().rendered  # the first record after damage is incomplete
        assert not deployment.feed().rendered


def test_the_next_day_generates_again(deployment: Deployment) -> None:
    changed = deployment.feed(today="2026-12-01")
    assert changed.rendered
    assert "(horyzont 01.12.2025–01.12.2028)" in changed.lines[-1]
    assert not deployment.feed(today="2026-12-01").rendered
    assert deployment.feed(today="2026-11-30").rendered  # the record is of one day


def test_another_generation_into_the_same_memory_is_noticed(deployment: Deployment) -> None:
    """A generation elsewhere (another folder, another horizon) rewrites the publication
    memory's digests; the next run here generates — and finds its own files unchanged."""
    before = {p: p.read_bytes() for p in deployment.out.rglob("*.ics")}
    other = subprocess.run(
        [sys.executable, "-m", "terminarz", "feed", "--config", str(deployment.config),
         "--state", str(deployment.state), "--out", str(deployment.root / "inne"),
         "--today", "2026-11-30", "--from", "2026-11-30", "--to", "2026-12-31"],
        capture_output=True, text=True, encoding="utf-8", check=False, env=deployment.env,
    )  # fmt: skip
    assert other.returncode == 0, other.stderr
    changed = deployment.feed()
    assert changed.rendered
    assert changed.lines[-1].endswith("zmienionych plików: 0")
    assert {p: p.read_bytes() for p in deployment.out.rglob("*.ics")} == before


def test_an_edited_catalogue_given_on_the_command_line_is_read_again(tmp_path: Path) -> None:
    """Without an organisation file: the catalogue of ``--catalogue`` is an input too. OZPS
    for 2025 is due on 30 April 2026, a Thursday; moved to the 29th, a Wednesday."""
    from terminarz.paths import calendars_dir

    site = Deployment(tmp_path)
    catalogue = tmp_path / "ups.toml"
    shutil.copy2(calendars_dir() / "ups-2004.toml", catalogue)
    args = ["--out", str(site.out), "--state", str(site.state), "--today", "2026-11-30",
            "--catalogue", str(catalogue), "--verbose"]  # fmt: skip

    def feed() -> bool:
        result = subprocess.run([sys.executable, "-c", PROBE, "feed", *args], capture_output=True,
                                text=True, encoding="utf-8", check=False, env=site.env)
        assert result.returncode == 0, result.stderr
        return "wczytano: icalendar" in result.stderr

    assert [feed(), feed(), feed()] == [True, True, False]
    assert site.events("level/ops.ics")["ozps@ops/2025"][1] == "20260430"
    head = 'recipients = ["rg"]\nperiod = "year"\ndeadline = { kind = "fixed", day = '
    same_size_edit(catalogue, (f"{head}30", f"{head}29"))  # OZPS of the gmina only
    assert feed()
    assert site.events("level/ops.ics")["ozps@ops/2025"][1] == "20260429"
    assert not feed()


def test_the_fast_path_on_a_postgresql_state(
    tmp_path: Path, postgres_url: str, run_cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    site = Deployment(tmp_path)
    site.state = postgres_url  # no password in the address: the record may keep it
    assert [site.feed().rendered for _ in range(3)] == [True, True, False]
    done = run_cli("done", "ozps-powiat@ops/2025", "--by", "kier-dsps", "--config",
                   str(site.config), "--state", postgres_url)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert site.feed().rendered
    assert site.events("person/kier-dsps.ics")["ozps-powiat@ops/2025"][0].startswith("✔ ")
    assert not site.feed().rendered


def test_a_setup_with_warnings_always_generates(tmp_path: Path) -> None:
    """A schedule named by address and not yet fetched is a warning every run must print."""
    site = Deployment(tmp_path)
    text = site.config.read_text(encoding="utf-8")
    site.config.write_text(text.replace('"terminy-osrodka.toml",\n', '"terminy-osrodka.toml", '
                                        '"https://example.org/harmonogram.toml",\n', 1),
                           encoding="utf-8")  # fmt: skip
    for _ in range(3):
        result = subprocess.run(
            [sys.executable, "-c", PROBE, "feed", *site.args()],
            capture_output=True, text=True, encoding="utf-8", check=False, env=site.env,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "harmonogram https://example.org/harmonogram.toml nie został jeszcze pobrany" \
            in result.stderr  # fmt: skip
        assert "wczytano: icalendar" in result.stderr


# -- feed --orgs: each institution answered from its own record ---------------------------


class Deployments:
    """Two institutions — the example and a copy under another id, each in its own folder,
    named in a list file — one shared state file, one output folder with a subfolder per
    institution."""

    def __init__(self, root: Path) -> None:
        self.root = root
        text = (EXAMPLES / "osrodek-pomocy.toml").read_text(encoding="utf-8")
        for name, org in (("a", ORG), ("b", "mops-drugi")):
            (root / name).mkdir()
            for other in ("terminy-osrodka.toml", "urlopy.ics"):
                shutil.copy2(EXAMPLES / other, root / name / other)
            (root / name / f"{name}.toml").write_text(
                text.replace(f'id = "{ORG}"', f'id = "{org}"', 1), encoding="utf-8"
            )
        self.listing = root / "instytucje.txt"
        self.listing.write_text(f"{root / 'a' / 'a.toml'}\n{root / 'b' / 'b.toml'}\n",
                                encoding="utf-8")  # fmt: skip
        self.out = root / "kalendarze"
        self.cache = root / "cache"
        self.env = {**os.environ, "XDG_CACHE_HOME": str(self.cache),
                    "TERMINARZ_STATE_URL": str(root / "wspolna.sqlite3")}  # fmt: skip

    def feed(self, *, code: int = 0) -> tuple[Run, str]:
        result = subprocess.run(
            [sys.executable, "-c", PROBE, "feed", "--orgs", str(self.listing), "--out",
             str(self.out), "--today", "2026-11-30"],
            capture_output=True, text=True, encoding="utf-8", check=False, env=self.env,
        )  # fmt: skip
        assert result.returncode == code, result.stderr
        modules = result.stderr.splitlines()[-1].removeprefix("wczytano: ")
        return Run(lines=result.stdout.splitlines(), rendered="icalendar" in modules,
                   loaded=modules), result.stderr  # fmt: skip

    def records(self) -> dict[Path, int]:
        return {p: p.stat().st_mtime_ns for p in self.cache.rglob("*") if "feeds" in p.parts
                and p.is_file()}  # fmt: skip


def changed(lines: list[str]) -> dict[str, str]:
    """Each institution's count of changed files, from ``feed --orgs``'s report."""
    found, org = {}, ""
    for line in lines:
        if line.endswith(":") and not line.startswith(" "):
            org = line[:-1]
        elif "zmienionych plików: " in line:
            found[org] = line.rpartition(": ")[2]
    return found


def test_feed_orgs_answers_unchanged_institutions_from_their_records(tmp_path: Path) -> None:
    site = Deployments(tmp_path)
    first, _ = site.feed()
    assert changed(first.lines) == {ORG: "20", "mops-drugi": "20"}
    second, _ = site.feed()  # the first records were incomplete: generated again
    assert second.rendered and changed(second.lines) == {ORG: "0", "mops-drugi": "0"}
    third, _ = site.feed()
    assert (third.rendered, third.loaded) == (False, "")  # neither file loaded
    assert third.lines == second.lines
    # One institution renames a unit: only its feeds are generated (and its record kept
    # again); the other is answered from its record, which stays as it was.
    before = site.records()
    text = (site.root / "b" / "b.toml").read_text(encoding="utf-8")
    (site.root / "b" / "b.toml").write_text(
        text.replace("Dział Świadczeń Pomocy Społecznej", "Dział Pomocy Społecznej", 1),
        encoding="utf-8",
    )  # fmt: skip
    fourth, _ = site.feed()
    assert fourth.rendered and changed(fourth.lines)[ORG] == "0"
    assert changed(fourth.lines)["mops-drugi"] != "0"
    rewritten = [p for p, t in site.records().items() if before.get(p) != t]
    assert len(rewritten) == 1 and len(before) == 2
    unit = (site.out / "mops-drugi" / "unit" / "dsps.ics").read_bytes().decode("utf-8")
    assert "Dział Pomocy Społecznej" in unit.replace("\r\n ", "")  # unfolded


def test_feed_orgs_refuses_a_repeated_id_even_of_an_unchanged_institution(
    tmp_path: Path,
) -> None:
    site = Deployments(tmp_path)
    for _ in range(3):
        site.feed()
    shutil.copy2(site.root / "a" / "a.toml", site.root / "a" / "c.toml")  # the example's id
    with site.listing.open("a", encoding="utf-8") as listing:
        listing.write(f"{site.root / 'a' / 'c.toml'}\n")
    run, errors = site.feed(code=2)
    assert f"identyfikator {ORG} ma już" in errors and "c.toml" in errors
    assert changed(run.lines) == {ORG: "0", "mops-drugi": "0"}


# -- the store's part, on both backends ---------------------------------------------------


AT = datetime(2026, 11, 30, 10, tzinfo=UTC)


def _copy(fetched: str, body: bytes) -> CachedCatalogue:
    return CachedCatalogue(url="https://example.org/h.toml", body=body, etag=None,
                           last_modified=None, fetched_at=fetched, checked_at=fetched)


WRITES: list[tuple[str, Callable[[Any], object]]] = [
    ("done", lambda s: s.confirm("sr@ops/2026-Q3", by="kier-dsr", at=AT)),
    ("undone", lambda s: s.unconfirm("sr@ops/2026-Q3", by="kier-dsr", at=AT)),
    ("absence", lambda s: s.add_absence(
        person="kier-dsr", start=date(2027, 1, 4), end=date(2027, 1, 8),
        category=AbsenceCategory.SICK, by="kier-dsr", at=AT)),
    ("absence withdrawn", lambda s: s.withdraw_absence(s.absences()[0].id, by="kier-dsr",
                                                       at=AT)),
    ("designation", lambda s: s.add_designation(
        person="prac-dsr", occurrence_id="sr@ops/2026-Q4", start=None, end=None,
        basis="pkt II.5", by="dyrektor", at=AT)),
    ("designation withdrawn", lambda s: s.withdraw_designation(s.designations()[0].id,
                                                               by="dyrektor", at=AT)),
    ("announced date", lambda s: s.set_announced_date(
        occurrence_id="mrips-03-r@ops/2026", due=date(2027, 2, 26), source="pismo",
        by="kier-dsps", at=AT)),
    ("returned for correction", lambda s: s.record_receipt(
        "sr@ops/2026-Q3", action=ReceiptAction.RETURNED, day=date(2026, 12, 4),
        upper="uw-katowice", by="inspektor", at=AT)),
    ("old absence", lambda s: s.add_absence(
        person="zast-dsr", start=date(2020, 1, 6), end=date(2020, 1, 10),
        category=AbsenceCategory.LEAVE, by="zast-dsr", at=AT)),
    ("purge", lambda s: s.purge_absences(ended_before=date(2021, 1, 1), at=AT)),
    ("remote catalogue", lambda s: s.store_catalogue(
        _copy("2026-11-30T10:00:00+00:00", b"[schedule]\n"))),
    ("its new copy", lambda s: s.store_catalogue(
        _copy("2026-11-30T11:00:00+00:00", b"[schedule]\n# 2\n"))),
]  # fmt: skip


def _check_feed_state(store: object, read_again: Callable[[], object]) -> None:
    from terminarz.store.base import Store
    from terminarz.store.publication import FeedItem

    assert isinstance(store, Store)
    states = [store.feed_state()]
    assert read_again() == states[0]
    for name, write in WRITES:
        write(store)
        states.append(store.feed_state())
        assert states[-1].inputs != states[-2].inputs, name
        assert read_again() == states[-1], name
    assert len({s.inputs for s in states}) == len(states)  # never back to an earlier token
    # a generation changes the published digests, never the inputs token
    memory = store.publication()
    item = FeedItem(key="sr@ops/2026-Q4", due=date(2027, 1, 15), summary="SR", description="d")
    memory.publish({f"{ORG}|all": [item]}, start=date(2026, 1, 1), end=date(2027, 12, 31),
                   now=datetime(2026, 11, 30, tzinfo=UTC))  # fmt: skip
    memory.feeds_modified({f"{ORG}|all": "a" * 64}, now=datetime(2026, 11, 30, tzinfo=UTC))
    after = store.feed_state()
    assert after.inputs == states[-1].inputs
    assert after.published == {f"{ORG}|all": "a" * 64}
    assert read_again() == after
    # another organisation of the same database is another token
    other = store.for_organisation("inna")
    assert other.feed_state().inputs != after.inputs


def test_the_store_state_changes_with_every_write_the_feeds_read_sqlite(tmp_path: Path) -> None:
    from conftest import open_state

    path = tmp_path / "stan.sqlite3"
    location = Location(scheme="sqlite", target=str(path), origin="test")
    assert peek(location, ORG) is None  # no file: not created just to be read
    assert not path.exists()
    with open_state(path, ORG) as store:
        _check_feed_state(store, lambda: peek(location, ORG))


def test_the_store_state_changes_with_every_write_the_feeds_read_postgresql(
    postgres_url: str,
) -> None:
    from terminarz.store import parse
    from terminarz.store.postgresql import PostgresStore

    location = parse(postgres_url, origin="test")
    with PostgresStore(postgres_url, ORG) as store:
        _check_feed_state(store, lambda: peek(location, ORG))


def test_an_older_state_file_cannot_be_peeked(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "stary.sqlite3"
    sqlite3.connect(path).close()  # an empty database: none of the tables
    assert peek(Location(scheme="sqlite", target=str(path), origin="test"), ORG) is None

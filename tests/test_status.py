"""``terminarz status``: the upper level's view of 150 gminas and one voivode, on SQLite and on
PostgreSQL; receipt ("przyjęto"), return ("do poprawy") and summons ("wezwanie").

The deployment is generated in the test's folder from one template. The counts are worked out
by hand from the calendar: sr@ops/2026-Q4 is due on Friday 15 January 2027 (the 15th, a
working day); "today" is Wednesday 20 January 2027, so an unconfirmed report is 3 working days
late (18, 19, 20 January) and one confirmed on Tuesday 19 January was sent 2 working days late.
The voivode's own sr@uw/2026-Q4 is due on Friday 5 February 2027 (5th of the 2nd month).
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from terminarz.store import Location, open_store, parse
from terminarz.store.base import ReceiptAction, Store
from tests.test_mail_sink import smtp_sink

ROOT = Path(__file__).resolve().parent.parent
WARSAW = ZoneInfo("Europe/Warsaw")
TODAY = "2027-01-20"
OCC = "sr@ops/2026-Q4"

GMINA = """\
[organisation]
id = "gops-{n}"
name = "Gminny Ośrodek Pomocy Społecznej nr {n}"
levels = ["ops"]
catalogues = ["sr-2015"]
obligations = ["sr@ops"]

[state]
path = "../stan.sqlite3"

[smtp]
host = "127.0.0.1"
port = 25
sender = "terminarz@gops-{n}.example.org"

[[units]]
id = "sw"
name = "Dział Świadczeń"
head = "kier"

[[people]]
id = "kier"
name = "Kierownik GOPS nr {n}"
email = "kier@gops-{n}.example.org"
unit = "sw"
system_access = true

[[people]]
id = "prac"
name = "Pracownik GOPS nr {n}"
email = "prac@gops-{n}.example.org"
unit = "sw"
system_access = true

[[people]]
id = "wojt"
name = "Wójt gminy nr {n}"
email = "wojt@gops-{n}.example.org"
unit = "sw"

[[duties]]
id = "sr"
obligations = ["sr@ops"]
tiers = [["kier"], ["prac"]]
fallback = "wojt"
basis = "zarządzenie kierownika GOPS (przykład)"
{absences}"""

KIER_AWAY = """
[[absences]]
person = "kier"
from = 2027-01-04
to = 2027-01-29
reason = "urlop"
"""
PRAC_AWAY = """
[[absences]]
person = "prac"
from = 2027-01-04
to = 2027-01-29
reason = "zwolnienie"
"""


def write_deployment(folder: Path, count: int = 150, *, reporters: str = '["gops-*"]') -> Path:
    """``count`` gminas in ``folder/gminy`` (101–120: the head away, so the worker substitutes;
    121–125: both away, so the wójt must designate) and the voivode in ``folder/uw.toml``;
    returns the voivode's file."""
    gminy = folder / "gminy"
    gminy.mkdir()
    for i in range(1, count + 1):
        absences = (KIER_AWAY if 101 <= i <= 125 else "") + (PRAC_AWAY if 121 <= i <= 125 else "")
        text = GMINA.replace("{n}", f"{i:03d}").replace("{absences}", absences)
        (gminy / f"gops-{i:03d}.toml").write_text(text, encoding="utf-8")
    example = (ROOT / "calendars/examples/urzad-wojewodzki.toml").read_text(encoding="utf-8")
    example = example.replace(
        'catalogues = ["sr-2015", "fa-2017", "wrispz-2019", "cas-pomoc-spoleczna", '
        '"zbiory-centralne"]', 'catalogues = ["sr-2015", "fa-2017"]',
    ).replace('reporters = ["mopr-*", "gops-*"]', f"reporters = {reporters}")
    assert f"reporters = {reporters}" in example
    example += ('\n[state]\npath = "stan.sqlite3"\n\n[smtp]\nhost = "127.0.0.1"\nport = 25\n'
                'sender = "Wydział Polityki Społecznej <wps@uw.example.org>"\n')  # fmt: skip
    upper = folder / "uw.toml"
    upper.write_text(example, encoding="utf-8")
    return upper


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=WARSAW)


def record_mix(opener: Callable[[str], Store]) -> None:
    """001–040 sent on time, 041–050 sent late (19 January), 051–060 sent and received by the
    voivode; 061–150 nothing."""
    for i in range(1, 61):
        org = f"gops-{i:03d}"
        with opener(org) as store:
            sent = "2027-01-19" if 41 <= i <= 50 else "2027-01-14"
            store.confirm(OCC, by="kier", at=at(sent))
            if i >= 51:
                store.record_receipt(OCC, action=ReceiptAction.RECEIVED, day=date(2027, 1, 18),
                                     upper="uw-przyklad", by="uw-przyklad/insp-osr",
                                     at=at("2027-01-18"))  # fmt: skip


def three_gminas(folder: Path) -> tuple[Path, Location, str]:
    """Three gminas on SQLite, gops-001 sent on time: the voivode's file, the store, the folder."""
    upper = write_deployment(folder, 3)
    state = Location(scheme="sqlite", target=str(folder / "stan.sqlite3"), origin="test")
    with open_store(state, "gops-001") as store:
        store.confirm(OCC, by="kier", at=at("2027-01-14"))
    return upper, state, str(folder / "gminy")


def status_json(run_cli: Callable[..., object], upper: Path, *extra: str) -> dict[str, object]:
    result = run_cli("status", "--config", str(upper), "--orgs", str(upper.parent / "gminy"),
                     "--today", TODAY, "--format", "json", *extra)  # fmt: skip
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    data: dict[str, object] = json.loads(result.stdout)  # type: ignore[attr-defined]
    return data


def check_mixed_counts(data: dict[str, object]) -> None:
    inputs = data["inputs"]
    assert isinstance(inputs, list) and len(inputs) == 1
    found = inputs[0]
    assert (found["obligation"], found["period"], found["due"]) == ("sr@ops", "2026-Q4",
                                                                     "2027-01-15")
    assert found["total"] == 150
    assert found["arrived"] == 60  # 40 on time + 10 late + 10 received
    assert found["received"] == 10
    assert found["late"] == 90  # 061–150
    assert found["returned"] == 0
    assert found["substitutes"] == 20  # 101–120
    assert found["needs_designation"] == 5  # 121–125
    assert found["upper_occurrence"] == "sr@uw/2026-Q4"
    assert found["upper_due"] == "2027-02-05"
    assert found["text"] == "wpłynęło 60 z 150; po terminie 90; przyjęto 10"
    rows = {r["organisation"]: r for r in data["reports"]}  # type: ignore[attr-defined]
    assert len(rows) == 150
    assert rows["gops-001"]["state"] == "wysłano" and rows["gops-001"]["late_working_days"] == 0
    assert rows["gops-001"]["confirmed_by"] == "kier"
    assert rows["gops-001"]["confirmed_at"].startswith("2027-01-14")
    assert rows["gops-045"]["state"] == "wysłano" and rows["gops-045"]["late_working_days"] == 2
    assert rows["gops-055"]["state"] == "przyjęto"
    assert rows["gops-055"]["received_at"] == "2027-01-18"
    assert rows["gops-055"]["received_by"] == "uw-przyklad/insp-osr"
    assert rows["gops-070"]["state"] == "po terminie"
    assert rows["gops-070"]["late_working_days"] == 3
    assert rows["gops-070"]["responsible"] == ["kier"]
    assert rows["gops-110"]["responsible"] == ["prac"] and rows["gops-110"]["substitute"]
    assert rows["gops-123"]["responsible"] == [] and rows["gops-123"]["needs_designation"]
    assert rows["gops-123"]["fallback"] == "wojt"
    states = [r["state"] for r in data["reports"]]  # type: ignore[attr-defined]
    assert states.count("po terminie") == 90
    assert states.count("wysłano") == 50
    assert states.count("przyjęto") == 10


def test_status_of_150_gminas_on_sqlite(tmp_path: Path, run_cli: Callable[..., object]) -> None:
    upper = write_deployment(tmp_path)
    state = tmp_path / "stan.sqlite3"
    record_mix(lambda org: open_store(Location(scheme="sqlite", target=str(state),
                                               origin="test"), org))  # fmt: skip
    started = time.perf_counter()
    check_mixed_counts(status_json(run_cli, upper))
    print(f"\nterminarz status, 150 gmin na SQLite: {time.perf_counter() - started:.2f} s")

    table = run_cli("status", "--config", str(upper), "--orgs", str(tmp_path / "gminy"),
                    "--today", TODAY)  # type: ignore[attr-defined]
    assert table.returncode == 0, table.stderr  # type: ignore[attr-defined]
    text = table.stdout  # type: ignore[attr-defined]
    assert "wpłynęło 60 z 150; po terminie 90; przyjęto 10 — do terminu własnego " \
           "sr@uw/2026-Q4: pt 5 lut 2027" in text
    assert "zastępstwo: 20; wymaga wyznaczenia: 5" in text
    assert "po terminie: 3 dni robocze" in text
    assert "Pracownik GOPS nr 110 (zastępstwo)" in text
    assert "wymaga wyznaczenia — Wójt gminy nr 123" in text
    assert "wysłano czw 14 sty 2027 (kier)" in text
    assert "wysłano wt 19 sty 2027 (kier); 2 dni robocze po terminie" in text

    exported = run_cli("status", "--config", str(upper), "--orgs", str(tmp_path / "gminy"),
                       "--today", TODAY, "--format", "csv")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(exported.stdout)))  # type: ignore[attr-defined]
    assert rows[0][:7] == ["organizacja", "nazwa", "wystąpienie", "sprawozdanie", "okres",
                           "termin", "stan"]  # fmt: skip
    assert len(rows) == 151
    late = [r for r in rows[1:] if r[6] == "po terminie"]
    assert len(late) == 90 and {r[7] for r in late} == {"3"}


def test_status_of_150_gminas_on_postgresql(
    tmp_path: Path, run_cli: Callable[..., object], postgres_url: str
) -> None:
    upper = write_deployment(tmp_path)
    location = parse(postgres_url, origin="test")
    record_mix(lambda org: open_store(location, org))
    started = time.perf_counter()
    check_mixed_counts(status_json(run_cli, upper, "--state", postgres_url))
    print(f"\nterminarz status, 150 gmin na PostgreSQL: {time.perf_counter() - started:.2f} s")
    # a return recorded through PostgreSQL reopens the report for its sender
    result = run_cli("status", "--config", str(upper), "--orgs", str(tmp_path / "gminy"),
                     "--today", TODAY, "--state", postgres_url, "--return", "gops-041", OCC,
                     "--new-date", "2027-01-27")  # type: ignore[attr-defined]
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    data = status_json(run_cli, upper, "--state", postgres_url)
    found = data["inputs"][0]  # type: ignore[index]
    assert (found["arrived"], found["returned"], found["late"]) == (59, 1, 90)
    with open_store(location, "gops-041") as store:
        assert store.confirmation(OCC) is None


def test_return_reopens_the_report_for_its_sender(
    tmp_path: Path, run_cli: Callable[..., object]
) -> None:
    upper, state, gminy = three_gminas(tmp_path)
    result = run_cli("status", "--config", str(upper), "--orgs", gminy, "--today", TODAY,
                     "--return", "gops-001", OCC, "--new-date", "2027-01-27", "--by", "insp-osr",
                     "--note", "błędna kwota w wierszu 12")  # type: ignore[attr-defined]
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    assert "zwrócono do poprawy; nowy termin środa, 27 stycznia 2027 r." in result.stdout  # type: ignore[attr-defined]

    with open_store(state, "gops-001") as store:
        assert store.confirmation(OCC) is None  # its confirmation no longer stops reminders
        log = store.confirmation_log(OCC)
        assert [e.action for e in log] == ["done", "undone"]
        assert log[1].person == "uw-przyklad/insp-osr"
        assert "zwrócono do poprawy przez uw-przyklad; nowy termin 27.01.2027 r." in log[1].note
        audit = store.audit_log(subject=OCC)
        assert [e.action for e in audit] == ["receipt-returned"]
    with open_store(state, "uw-przyklad") as own:
        assert [e.action for e in own.audit_log()] == ["receipt-returned"]

    # the sender's `due` shows the new date and why; its nightly run reminds toward it again
    due = run_cli("due", "--config", f"{gminy}/gops-001.toml", "--month", "2027-01", "--today",
                  TODAY, "--format", "json")  # type: ignore[attr-defined]
    item = next(i for i in json.loads(due.stdout) if i["id"] == OCC)  # type: ignore[attr-defined]
    assert item["due"] == "2027-01-27"
    assert "zwrócono do poprawy przez uw-przyklad" in item["override"]["basis"]
    dry = run_cli("remind", "--config", f"{gminy}/gops-001.toml", "--today", TODAY, "--dry-run")
    # 27 January is a Wednesday; five working days before it is Wednesday 20 January
    assert "5 dni roboczych przed terminem (po zwrocie do poprawy nr 1)" in dry.stdout, \
        dry.stdout + dry.stderr  # type: ignore[attr-defined]

    # the voivode sees it as returned, not late; the new confirmation makes it "wysłano" again
    rows = {r["organisation"]: r for r in status_json(run_cli, upper)["reports"]}  # type: ignore[attr-defined]
    assert rows["gops-001"]["state"] == "do poprawy"
    assert rows["gops-001"]["returned_due"] == "2027-01-27"
    assert rows["gops-001"]["due"] == "2027-01-27"
    assert rows["gops-001"]["late_working_days"] == 0
    with open_store(state, "gops-001") as store:
        store.confirm(OCC, by="kier", at=at("2027-01-21"))
    later = status_json(run_cli, upper)
    assert {r["organisation"]: r for r in later["reports"]}["gops-001"]["state"] == "wysłano"  # type: ignore[attr-defined]

    # and receipt closes it; a receipt of an unconfirmed report confirms it for the sender
    received = run_cli("status", "--config", str(upper), "--orgs", gminy, "--today", TODAY,
                       "--receive", "gops-002", OCC, "--date", "2027-01-19")  # type: ignore[attr-defined]
    assert received.returncode == 0, received.stderr  # type: ignore[attr-defined]
    with open_store(state, "gops-002") as store:
        confirmation = store.confirmation(OCC)
        assert confirmation is not None and confirmation.by == "uw-przyklad"
        assert [r.action for r in store.receipts()] == [ReceiptAction.RECEIVED]
    rows = {r["organisation"]: r for r in status_json(run_cli, upper)["reports"]}  # type: ignore[attr-defined]
    assert rows["gops-002"]["state"] == "przyjęto"
    assert rows["gops-002"]["received_at"] == "2027-01-19"
    assert rows["gops-002"]["confirmed_at"].startswith("2027-01-19")  # as of its receipt
    assert rows["gops-002"]["late_working_days"] == 2  # Monday 18 and Tuesday 19 January


def test_summons_goes_once_a_day_to_every_late_institution(
    tmp_path: Path, run_cli: Callable[..., object]
) -> None:
    upper, state, gminy = three_gminas(tmp_path)
    with smtp_sink() as server:
        first = run_cli("status", "--config", str(upper), "--orgs", gminy, "--today", TODAY,
                        "--summon", "--by", "kier-osr", env=server.env())  # type: ignore[attr-defined]
        assert first.returncode == 0, first.stderr  # type: ignore[attr-defined]
        assert "Wezwania: wysłano 2, już wysłane dziś 0, niewysłane 0" in first.stdout  # type: ignore[attr-defined]
        mails = server.sink.take()
        again = run_cli("status", "--config", str(upper), "--orgs", gminy, "--today", TODAY,
                        "--summon", env=server.env())  # type: ignore[attr-defined]
        assert "Wezwania: wysłano 0, już wysłane dziś 2" in again.stdout  # type: ignore[attr-defined]
        assert server.sink.take() == []
    assert sorted(m.rcpt_tos for m in mails) == [("kier@gops-002.example.org",),
                                                  ("kier@gops-003.example.org",)]  # fmt: skip
    message = message_from_bytes(mails[0].data)
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject.startswith("WEZWANIE: Rzeczowo-finansowe ŚR za IV kwartał 2026 r.")
    assert "3 dni robocze po terminie" in subject
    assert "wps@uw.example.org" in message["From"]
    # answers go to the person who summoned (--by kier-osr)
    assert "kierownik.swiadczenia@example.org" in message["Reply-To"]
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode("utf-8")
    assert "wzywa do niezwłocznego przekazania sprawozdania" in body
    assert "Termin upłynął 15 stycznia 2027 r." in body
    assert ("W sprawie wezwania prosimy pisać na adres: Kierownik Oddziału Świadczeń Rodzinnych "
            "<kierownik.swiadczenia@example.org>.") in body
    with open_store(state, "gops-002") as store:
        history = store.history(occurrence_id=OCC)
        assert [(r.kind, r.step, r.status.value) for r in history] == [
            ("summons", TODAY, "sent")]
        assert [e.action for e in store.audit_log(subject=OCC)] == ["summons"]
        assert store.audit_log(subject=OCC)[0].actor == "uw-przyklad/kier-osr"
    log = run_cli("log", "--occurrence", OCC, "--config", f"{gminy}/gops-002.toml")  # type: ignore[attr-defined]
    assert "wezwanie" in log.stdout and "summons" not in log.stdout  # type: ignore[attr-defined]


def test_reporters_are_checked_with_file_line_and_field(
    tmp_path: Path, run_cli: Callable[..., object]
) -> None:
    upper = write_deployment(tmp_path, 2, reporters='["gops-*", "mops-*", "gops-003"]')
    result = run_cli("status", "--config", str(upper), "--orgs", str(tmp_path / "gminy"),
                     "--today", TODAY)  # type: ignore[attr-defined]
    assert result.returncode == 2
    line = next(i for i, t in enumerate(upper.read_text().splitlines(), 1)
                if t.startswith("reporters"))  # fmt: skip
    assert f"uw.toml({line})" in result.stderr  # type: ignore[attr-defined]
    assert "pole „reporters”" in result.stderr  # type: ignore[attr-defined]
    # an id that names nobody is a mistake; a pattern matching none of them is not
    assert "„gops-003” nie pasuje do żadnej organizacji wdrożenia" in result.stderr  # type: ignore[attr-defined]
    assert "mops-*" not in result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]

    upper.write_text(upper.read_text().replace('"gops-003"', '"Gops Ą"'), encoding="utf-8")
    bad = run_cli("check", "--config", str(upper), "--today", TODAY)  # type: ignore[attr-defined]
    assert bad.returncode == 2
    assert "„Gops Ą” nie jest identyfikatorem organizacji ani wzorcem" in bad.stderr  # type: ignore[attr-defined]

    upper.write_text(upper.read_text().replace('"Gops Ą"', '"gops-0*"'), encoding="utf-8")
    no_orgs = run_cli("status", "--config", str(upper), "--today", TODAY)  # type: ignore[attr-defined]
    assert no_orgs.returncode == 2 and "--orgs" in no_orgs.stderr  # type: ignore[attr-defined]
    twin = tmp_path / "gminy" / "gops-twin.toml"
    twin.write_text((tmp_path / "gminy" / "gops-001.toml").read_text(), encoding="utf-8")
    twice = run_cli("status", "--config", str(upper), "--orgs", str(tmp_path / "gminy"),
                    "--today", TODAY)  # type: ignore[attr-defined]
    assert twice.returncode == 2
    assert "identyfikator organizacji „gops-001” jest też w pliku" in twice.stderr  # type: ignore[attr-defined]
    twin.unlink()
    upper.write_text(re.sub(r"(?m)^reporters = .*$", "", upper.read_text()), encoding="utf-8")
    early = run_cli("status", "--config", str(upper), "--orgs", str(tmp_path / "gminy"),
                    "--today", TODAY)  # type: ignore[attr-defined]
    assert early.returncode == 2 and "pole „reporters”" in early.stderr  # type: ignore[attr-defined]


@pytest.mark.parametrize(("args", "message"), [
    (["--return", "gops-001", OCC, "--new-date", "2027-01-19"], "jest wcześniejszy niż"),
    (["--return", "gops-001", OCC], "--return wymaga nowego terminu"),
    (["--receive", "gops-001", OCC, "--date", "2027-01-21"], "jest późniejszy niż dzisiejsza"),
    (["--receive", "gops-009", OCC], "nie jest jednostką składającą"),
    (["--receive", "gops-001", "sr@uw/2026-Q4"], "nie składa do uw-przyklad"),
    (["--receive", "gops-001", OCC, "--by", "nikt"], "--by: nieznana osoba"),
    (["--period", "2026-Q5"], "--period"),
], ids=["return-to-the-past", "return-without-date", "received-tomorrow", "unknown-reporter",
        "not-its-report", "unknown-person", "bad-period"])  # fmt: skip
def test_mistakes_are_polish_errors(tmp_path: Path, run_cli: Callable[..., object],
                                    args: list[str], message: str) -> None:  # fmt: skip
    upper = write_deployment(tmp_path, 2)
    result = run_cli("status", "--config", str(upper), "--orgs", str(tmp_path / "gminy"),
                     "--today", TODAY, *args)  # type: ignore[attr-defined]
    assert result.returncode == 2, result.stdout  # type: ignore[attr-defined]
    assert message in result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]


def test_the_voivode_s_feeds_carry_the_counts(tmp_path: Path,
                                              run_cli: Callable[..., object]) -> None:  # fmt: skip
    from icalendar import Calendar

    upper, _, gminy = three_gminas(tmp_path)
    out = tmp_path / "kalendarze"
    result = run_cli("status", "--config", str(upper), "--orgs", gminy, "--today", TODAY,
                     "--feeds", str(out))  # type: ignore[attr-defined]
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    calendar = Calendar.from_ical((out / "person" / "insp-osr.ics").read_bytes())
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    own = next(e for e in events.values()
               if "Identyfikator: sr@uw/2026-Q4 (" in str(e["DESCRIPTION"]))  # fmt: skip
    assert "Sprawozdania jednostek: wpłynęło 1 z 3; po terminie 2" in str(own["DESCRIPTION"])
    inputs = next(e for e in events.values()
                  if str(e["SUMMARY"]).startswith("Sprawozdania jednostek: Rzeczowo-finansowe ŚR "
                                                  "za IV kwartał 2026 r."))  # fmt: skip
    assert str(inputs["SUMMARY"]).endswith("za IV kwartał 2026 r. — wpłynęło 1 z 3; po terminie 2")
    assert inputs.decoded("DTSTART") == date(2027, 1, 15)
    assert "Termin własny (sr@uw/2026-Q4): 5 lutego 2027 r." in str(inputs["DESCRIPTION"])
    # every person of the voivode's office has them; the unit and level feeds do not
    director = (out / "person" / "dyrektor-wps.ics").read_text(encoding="utf-8")
    assert "Sprawozdania jednostek: Rzeczowo-finansowe" in director.replace("\r\n ", "")
    assert "Sprawozdania jednostek: Rzeczowo" not in (out / "all.ics").read_text(
        encoding="utf-8").replace("\r\n ", "")


def test_after_a_return_the_sender_is_reminded_again_toward_the_new_date(
    tmp_path: Path, run_cli: Callable[..., object]
) -> None:
    upper, state, gminy = three_gminas(tmp_path)
    config = f"{gminy}/gops-002.toml"
    with smtp_sink() as server:
        # Friday 8 January 2027 is five working days before Friday 15 January: T-5
        first = run_cli("remind", "--config", config, "--today", "2027-01-08", env=server.env())
        assert first.returncode == 0, first.stderr  # type: ignore[attr-defined]
        before = server.sink.take()
        assert [m.rcpt_tos for m in before] == [("kier@gops-002.example.org",)]
        with open_store(state, "gops-002") as store:
            store.confirm(OCC, by="kier", at=at("2027-01-14"))
        returned = run_cli("status", "--config", str(upper), "--orgs", gminy, "--today", TODAY,
                           "--return", "gops-002", OCC, "--new-date", "2027-01-27")
        assert returned.returncode == 0, returned.stderr  # type: ignore[attr-defined]
        # Wednesday 20 January is five working days before Wednesday 27 January: T-5 again,
        # a new message (a new key, so a new Message-ID), and only once
        again = run_cli("remind", "--config", config, "--today", TODAY, env=server.env())
        assert again.returncode == 0, again.stderr  # type: ignore[attr-defined]
        after = server.sink.take()
        repeat = run_cli("remind", "--config", config, "--today", TODAY, env=server.env())
        assert repeat.returncode == 0 and server.sink.take() == []  # type: ignore[attr-defined]
    assert [m.rcpt_tos for m in after] == [("kier@gops-002.example.org",)]
    old, new = message_from_bytes(before[0].data), message_from_bytes(after[0].data)
    assert old["Message-ID"] != new["Message-ID"]
    subject = str(make_header(decode_header(new["Subject"])))
    assert "termin śr 27 sty 2027" in subject, subject
    with open_store(state, "gops-002") as store:
        steps = [(r.kind, r.step) for r in store.history(occurrence_id=OCC)]
    assert steps == [("reminder", "T-5"), ("reminder", "T-5/z1")]


@pytest.mark.parametrize(("key", "words"), [
    ("T-5/z1", "5 dni roboczych przed terminem (po zwrocie do poprawy nr 1)"),
    ("T-0/z1", "w dniu terminu (po zwrocie do poprawy nr 1)"),
    ("T+6/z2", "6 dni roboczych po terminie (po zwrocie do poprawy nr 2)"),
    ("T-5", "5 dni roboczych przed terminem"),
], ids=["before", "on-the-day", "late-second-return", "no-return"])  # fmt: skip
def test_step_keys_after_a_return_read_in_polish(key: str, words: str) -> None:
    from terminarz.notify.reminders import step_words

    assert step_words(key) == words


def test_served_counts_follow_a_gmina_s_confirmation_within_the_refresh(
    tmp_path: Path, calendar: object
) -> None:
    """``serve --orgs``: the voivode's feeds are cached by his own inputs, which a gmina's
    confirmation does not touch when its rows live elsewhere; the counts are rebuilt at the
    latest after REPORTING_REFRESH seconds."""
    from terminarz.cli.common import organisation_files
    from terminarz.notify.reporting import feeds_with_counts
    from terminarz.web.server import REPORTING_REFRESH, FeedService

    upper, state, gminy = three_gminas(tmp_path)
    now = [datetime(2027, 1, 20, 8, 0, tzinfo=ZoneInfo("Europe/Warsaw"))]
    decorate = feeds_with_counts(organisation_files(Path(gminy)), statutory=calendar,  # type: ignore[arg-type]
                                 locate=lambda org: state)  # fmt: skip
    own = Location(scheme="sqlite", target=str(tmp_path / "wojewoda.sqlite3"), origin="test")
    service = FeedService(config=upper, store=open_store(own, "uw-przyklad"),  # not the gminas'
                          clock=lambda: now[0], secret=None, decorate=decorate)  # fmt: skip

    def counts() -> str:
        feed = service.feed("person/insp-osr")
        assert feed is not None
        text = feed.body.decode().replace("\r\n ", "").replace("\\;", ";")
        found = re.search(r"wpłynęło \d+ z 3; po terminie \d+", text)
        assert found is not None
        return found.group(0)

    try:
        assert counts() == "wpłynęło 1 z 3; po terminie 2"
        with open_store(state, "gops-002") as store:
            store.confirm(OCC, by="kier", at=at("2027-01-20"))
        assert counts() == "wpłynęło 1 z 3; po terminie 2"  # cached: nothing of its own changed
        now[0] = now[0].replace(second=0) + timedelta(seconds=REPORTING_REFRESH)
        assert counts() == "wpłynęło 2 z 3; po terminie 1"
    finally:
        service.close()

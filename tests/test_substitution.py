"""Substitution and data requests (II.4): who sends the request, when no request or delivery
exists because a unit would ask itself, and the head of a unit who keeps seeing a report
handed over to another unit.

The organisation is ``tests/data/ops-substitution.toml``: OZPS for 2026 (ozps@ops/2026) is
due on Friday 30 April 2027 (no holiday in April 2027; Easter Monday is 29 March). The DŚPS
group (kier-dsps, zast-dsps) prepares it, the DOKiP group (kier-dokip, prac-dokip)
substitutes, the director designates (II.5). DOKiP and the finance unit (DFK) deliver data,
each asked 15 and delivering 7 working days before the due date.

Hand-counted working days back from Friday 30 April 2027: 29 Thu (1), 28 Wed (2), 27 Tue (3),
26 Mon (4), 23 Fri (5), 22 (6), 21 Wed (7), 20, 19, 16, 15, 14, 13, 12 (14), 9 Fri (15).
So: the request goes out on Friday 9 April, the data are due on Wednesday 21 April, and the
preparation window (3 days) is 28, 29 and 30 April.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import RunCli

from terminarz.law.workdays import WorkingCalendar
from terminarz.notify.feeds import feed_set_for
from terminarz.notify.letters import letter_context, render_letter
from terminarz.org.plan import PlannedOccurrence, load_setup, plan_one

DATA = Path(__file__).resolve().parent / "data" / "ops-substitution.toml"
OCC = "ozps@ops/2026"
TODAY = date(2027, 3, 1)
DSPS = ("kier-dsps", "zast-dsps")
DOKIP = ("kier-dokip", "prac-dokip")


def absent(person: str, start: str, end: str) -> str:
    return f'\n[[absences]]\nperson = "{person}"\nfrom = {start}\nto = {end}\nreason = "urlop"\n'


def organisation(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "org.toml"
    target.write_text(DATA.read_text(encoding="utf-8")
                      + f'\n[state]\npath = "stan.sqlite3"\n{extra}', encoding="utf-8")
    return target


ON_DUE_DATE = absent("kier-dsps", "2027-04-26", "2027-05-07") + absent(
    "zast-dsps", "2027-04-26", "2027-05-07")
ON_REQUEST_DAY = absent("kier-dsps", "2027-04-06", "2027-04-13") + absent(
    "zast-dsps", "2027-04-08", "2027-04-09")
DOKIP_AWAY = absent("kier-dokip", "2027-04-26", "2027-05-07") + absent(
    "prac-dokip", "2027-04-26", "2027-05-07")
DESIGNATED = """
[[designations]]
person = "prac-dokip"
target = "ozps@ops/2026"
from = 2027-04-26
to = 2027-04-30
basis = "pkt II.5 — upoważnienie Dyrektora z 23.04.2027"
"""

# absences → owners of each task, tasks left out, the handover's words (None: none)
CASES = [
    pytest.param(
        "",
        {"#prosba:dokip": DSPS, "#dane:dokip": ("kier-dokip",), "#prosba:dfk": DSPS,
         "#dane:dfk": ("ksiegowa",)},
        [], None, id="everyone-at-work",
    ),
    pytest.param(
        ON_DUE_DATE,
        # DOKiP prepares the report and holds its data: no request, no delivery; the DFK
        # request goes out on 9 April from the DŚPS group, at work that day
        {"#prosba:dfk": DSPS, "#dane:dfk": ("ksiegowa",)},
        ["#prosba:dokip", "#dane:dokip"],
        "przekazane: zastępstwo — Dział Organizacji, Kadr i Płac",
        id="owner-at-work-on-request-day-absent-on-due-date-substitute-unit-holds-the-data",
    ),
    pytest.param(
        ON_REQUEST_DAY,
        # on 9 April the DOKiP group stands in: it sends the DFK request and does not ask
        # itself; its delivery to the DŚPS group (back by the due date) stays
        {"#dane:dokip": ("kier-dokip",), "#prosba:dfk": DOKIP, "#dane:dfk": ("ksiegowa",)},
        ["#prosba:dokip"], None, id="owner-absent-on-request-day",
    ),
    pytest.param(
        absent("kier-dsps", "2027-04-09", "2027-04-09"),
        {"#prosba:dokip": ("zast-dsps",), "#dane:dokip": ("kier-dokip",),
         "#prosba:dfk": ("zast-dsps",), "#dane:dfk": ("ksiegowa",)},
        [], None, id="one-owner-away-on-request-day-the-other-sends",
    ),
    pytest.param(
        ON_DUE_DATE + DOKIP_AWAY,
        # nobody on the due date: the director designates; nobody of DOKiP handles it, so
        # DOKiP is asked (by the DŚPS group, at work on 9 April) and delivers
        {"#prosba:dokip": DSPS, "#dane:dokip": ("kier-dokip",), "#prosba:dfk": DSPS,
         "#dane:dfk": ("ksiegowa",)},
        [], "przekazane: wymaga wyznaczenia — Dyrekcja", id="nobody-on-due-date",
    ),
    pytest.param(
        DESIGNATED,
        {"#prosba:dfk": DSPS, "#dane:dfk": ("ksiegowa",)},
        ["#prosba:dokip", "#dane:dokip"],
        "przekazane: wyznaczenie — Dział Organizacji, Kadr i Płac",
        id="designated-person-of-the-delivering-unit",
    ),
]


def planned(tmp_path: Path, calendar: WorkingCalendar, extra: str) -> PlannedOccurrence:
    setup = load_setup(organisation(tmp_path, extra), today=TODAY, statutory=calendar)
    return plan_one(setup, OCC, today=TODAY)


@pytest.mark.parametrize(("extra", "owners", "left_out", "handed"), CASES)
def test_who_asks_whom_for_data(
    tmp_path: Path, calendar: WorkingCalendar, extra: str,
    owners: dict[str, tuple[str, ...]], left_out: list[str], handed: str | None,
) -> None:  # fmt: skip
    item = planned(tmp_path, calendar, extra)
    assert item.due == date(2027, 4, 30)
    assert {t.id.removeprefix(OCC): t.owners for t in item.tasks} == owners
    assert [n.id.removeprefix(OCC) for n in item.left_out] == left_out
    assert (item.handed_over.words if item.handed_over else None) == handed
    days = {t.id.removeprefix(OCC): t.due for t in item.tasks}
    for key, day in days.items():
        assert day == (date(2027, 4, 9) if "prosba" in key else date(2027, 4, 21))


def test_the_handover_names_units_and_people(tmp_path: Path, calendar: WorkingCalendar) -> None:
    item = planned(tmp_path, calendar, ON_DUE_DATE)
    found = item.handed_over
    assert found is not None
    assert (found.from_units, found.to_units, found.to_people, found.kind) == (
        ("dsps",), ("dokip",), DOKIP, "zastępstwo")
    assert item.handed_over_from("dsps") is found
    assert item.handed_over_from("dokip") is None  # the unit that has it now
    # a colleague of the same unit substituting is no handover between units
    assert planned(tmp_path / "b", calendar, absent("kier-dsps", "2027-04-26", "2027-05-07")
                   ).handed_over is None  # fmt: skip


def test_the_letter_is_signed_by_whoever_sends_it(
    tmp_path: Path, calendar: WorkingCalendar
) -> None:
    item = planned(tmp_path, calendar, ON_REQUEST_DAY)
    setup = load_setup(organisation(tmp_path, ON_REQUEST_DAY), today=TODAY, statutory=calendar)
    assert setup.organisation is not None
    context = letter_context(item, "dfk", setup.organisation, today=date(2027, 4, 9))
    assert context["signatory"]["name"] == "Celina Wrona"  # kier-dokip, standing in on 9 April
    assert context["substitute"] is True
    # …but the data go to the DŚPS group, back at work and preparing the report in late April
    assert context["deliver_to"] == {"plural": True, "names": "Anna Nowak, Beata Lis",
                                     "emails": "anna.nowak@example.org, beata.lis@example.org"}
    with pytest.raises(KeyError):  # DOKiP would ask itself
        letter_context(item, "dokip", setup.organisation, today=date(2027, 4, 9))
    usual = planned(tmp_path / "b", calendar, "")
    context = letter_context(usual, "dfk", setup.organisation, today=date(2027, 4, 9))
    assert (context["signatory"]["name"], context["substitute"]) == ("Anna Nowak", False)
    text = render_letter(context)
    assert "Dane proszę przekazać osobom sporządzającym sprawozdanie (Anna Nowak, Beata" in text


def test_the_unit_feed_keeps_a_handed_over_report_marked(
    tmp_path: Path, calendar: WorkingCalendar
) -> None:
    setup = load_setup(organisation(tmp_path, ON_DUE_DATE), today=TODAY, statutory=calendar)
    feeds = feed_set_for(setup, today=TODAY, start=date(2027, 4, 1), end=date(2027, 5, 31))
    (own,) = [i for i in feeds.items["unit/dsps"] if i.key == OCC]
    assert own.summary.endswith(" — przekazane: zastępstwo — Dział Organizacji, Kadr i Płac")
    assert "zastępstwo — przekazane" not in own.summary
    assert own.alarm_minutes is None  # the unit is told, not asked to act
    assert "Sprawozdanie działu przekazane: zastępstwo — Dział Organizacji, Kadr i Płac" \
        in own.description  # fmt: skip
    assert own.description.splitlines()[-1].startswith("Identyfikator: ozps@ops/2026")
    (theirs,) = [i for i in feeds.items["unit/dokip"] if i.key == OCC]
    assert theirs.summary.endswith(" — zastępstwo") and theirs.alarm_minutes is not None
    # nothing to deliver to itself: DOKiP's feed has no data task for this report
    assert [i.key for i in feeds.items["unit/dokip"] if "#" in i.key] == []
    assert [i.key for i in feeds.items["person/kier-dsps"] if i.key.startswith(OCC)] == [
        f"{OCC}#prosba:dfk"]  # the DŚPS head sends the DFK request on 9 April


# -- the CLI ----------------------------------------------------------------------------------


def test_who_says_why_there_is_no_request(tmp_path: Path, run_cli: RunCli) -> None:
    config = organisation(tmp_path, ON_DUE_DATE)
    result = run_cli("who", OCC, "--config", str(config), "--today", TODAY.isoformat())
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert ("Dział Świadczeń Pomocy Społecznej — sprawozdanie przekazane: zastępstwo — Dział "
            "Organizacji, Kadr i Płac; kierownik działu nadal je widzi („due --unit”, kalendarz "
            "działu)") in lines  # fmt: skip
    assert (f"  Bez zadań {OCC}#prosba:dokip, {OCC}#dane:dokip: dane ma Dział Organizacji, Kadr "
            "i Płac — ten dział prowadzi sprawozdanie (zastępstwo), więc nie prosi sam siebie o "
            "dane ani ich sobie nie dostarcza; dane są częścią jego pracy.") in lines  # fmt: skip
    assert ("    (prośbę wysyła jedna z osób odpowiedzialnych w dniu jej wysłania (pt 9 kwi 2027), "
            "grupa podstawowa: Anna Nowak (kier-dsps), Beata Lis (zast-dsps))") \
        in lines  # fmt: skip
    alone = run_cli("who", OCC, "--config", str(organisation(tmp_path / "b", ON_REQUEST_DAY)),
                    "--today", TODAY.isoformat()).stdout.splitlines()  # fmt: skip
    assert ("    (prośbę wysyła jedna z osób odpowiedzialnych w dniu jej wysłania (pt 9 kwi 2027), "
            "zastępstwo — grupa zastępcza nr 1: Celina Wrona (kier-dokip), Dariusz Sowa "
            "(prac-dokip))") in alone  # fmt: skip
    deputy = run_cli("who", OCC, "--config", str(organisation(
        tmp_path / "c", absent("kier-dsps", "2027-04-09", "2027-04-09"))),
        "--today", TODAY.isoformat()).stdout.splitlines()  # fmt: skip
    assert ("    (prośbę wysyła osoba odpowiedzialna w dniu jej wysłania (pt 9 kwi 2027), grupa "
            "podstawowa: Beata Lis (zast-dsps))") in deputy  # fmt: skip
    explain = run_cli("explain", OCC, "--config", str(config), "--today", TODAY.isoformat())
    assert f"Bez zadań {OCC}#prosba:dokip, {OCC}#dane:dokip: dane ma Dział Organizacji, Kadr " \
        "i Płac" in explain.stdout  # fmt: skip


@pytest.mark.parametrize("extra", [ON_DUE_DATE, ON_REQUEST_DAY],
                         ids=["dokip-prepares-the-report", "dokip-stands-in-on-request-day"])
def test_no_letter_to_oneself(tmp_path: Path, run_cli: RunCli, extra: str) -> None:
    config = organisation(tmp_path, extra)
    result = run_cli("request", OCC, "--unit", "dokip", "--config", str(config),
                     "--today", "2027-04-09")  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{OCC}: pisma do „dokip” nie ma — " in result.stderr
    letter = run_cli("request", OCC, "--unit", "dfk", "--config", str(config),
                     "--today", "2027-04-09")  # fmt: skip
    assert letter.returncode == 0, letter.stderr
    signer = "Anna Nowak" if extra == ON_DUE_DATE else "Celina Wrona"
    assert signer in letter.stdout


def test_due_for_the_unit_shows_what_it_handed_over(tmp_path: Path, run_cli: RunCli) -> None:
    config = organisation(tmp_path, ON_DUE_DATE)
    result = run_cli("due", "--config", str(config), "--unit", "dsps", "--month", "2027-04",
                     "--today", TODAY.isoformat())  # fmt: skip
    assert result.returncode == 0, result.stderr
    (row,) = [line for line in result.stdout.splitlines() if line.endswith(OCC)]
    assert "przekazane: zastępstwo — Dział Organizacji, Kadr i Płac (kier-dokip, prac-dokip)" \
        in row  # fmt: skip
    import json

    data = json.loads(run_cli("due", "--config", str(config), "--unit", "dsps", "--month",
                              "2027-04", "--today", TODAY.isoformat(), "--format", "json").stdout)
    (item,) = [d for d in data if d["id"] == OCC]
    assert item["handed_over"]["from"] == ["dsps"] and item["handed_over"]["to"] == ["dokip"]
    # the unit that has it now sees it as its own
    theirs = run_cli("due", "--config", str(config), "--unit", "dokip", "--month", "2027-04",
                     "--today", TODAY.isoformat())  # fmt: skip
    (row,) = [line for line in theirs.stdout.splitlines() if line.endswith(OCC)]
    assert "kier-dokip, prac-dokip (zastępstwo)" in row and "przekazane" not in row


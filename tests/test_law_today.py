"""Today's catalogues: hand-checked dates, announced dates, local dates, the default set.

Every date below was worked out by hand from a printed calendar (weekday, the
statutory holiday) and the quoted rule of the catalogue; none depends on the
real date.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from terminarz.errors import ValidationError
from terminarz.law.announced import find_date_day, learn_windows, planning_day, undated
from terminarz.law.catalogue import CatalogueSet, in_force, load_catalogues
from terminarz.law.periods import Period
from terminarz.law.rules import Act, Grade, expand, occurrence
from terminarz.law.workdays import WorkingCalendar
from terminarz.org.datarequests import TaskKind, split_task_id
from terminarz.paths import calendars_dir

RunCli = Callable[..., subprocess.CompletedProcess[str]]
EXAMPLE = calendars_dir() / "examples" / "osrodek-pomocy.toml"
VOIVODE = calendars_dir() / "examples" / "urzad-wojewodzki.toml"
LUBLIN = calendars_dir() / "examples" / "harmonogram-uw-lublin-2021.toml"
CAS = calendars_dir() / "cas-pomoc-spoleczna.toml"
TODAY = ("--today", "2026-11-30")


def ok(run_cli: RunCli, *args: str) -> str:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


# -- rules of the acts: hand-checked tables ---------------------------------------------------

RULE_CASES = [
    # (occurrence, nominal, due) — the why is in the id
    ("sr@ops/2021-Q4", "2022-01-15", "2022-01-17"),  # 15 Jan 2022 Saturday → Monday
    ("sr@ops/2023-Q3", "2023-10-15", "2023-10-16"),  # 15 Oct 2023 Sunday → Monday
    ("sr@ops/2047-Q1", "2047-04-15", "2047-04-16"),  # 15 Apr 2047 Easter Monday → Tuesday
    ("sr@ops/2026-Q4", "2027-01-15", "2027-01-15"),  # Friday: no shift
    ("fa@ops/2021-Q4", "2022-01-15", "2022-01-17"),  # the same rule for the alimony fund
    ("fa@ops/2047-Q1", "2047-04-15", "2047-04-16"),
    ("sr@uw/2021-Q4", "2022-02-05", "2022-02-07"),  # 5th of the 2nd month, a Saturday
    ("fa@uw/2021-Q4", "2022-02-05", "2022-02-07"),
    ("wrispz@ops/2021-H1", "2021-07-31", "2021-08-02"),  # 31 July 2021 Saturday
    ("wrispz@ops/2022-H1", "2022-07-31", "2022-08-01"),  # 31 July 2022 Sunday
    ("wrispz@ops/2020-H2", "2021-01-31", "2021-02-01"),  # 31 January 2021 Sunday
    ("wrispz@ops/2025-H2", "2026-01-31", "2026-02-02"),  # 31 January 2026 Saturday
    ("wrispz@uw/2022-H1", "2022-08-20", "2022-08-22"),  # 20 August 2022 Saturday
    ("wrispz@uw/2026-H2", "2027-02-20", "2027-02-22"),  # 20 February 2027 Saturday
    ("ozps@ops/2021", "2022-04-30", "2022-05-02"),  # Sat 30 Apr, Sun 1 May (holiday) → Mon 2 May
    ("ozps@ops/2022", "2023-04-30", "2023-05-02"),  # Sun 30 Apr, Mon 1 May holiday → Tue 2 May
    ("ozps@ops/2027", "2028-04-30", "2028-05-02"),  # Sun 30 Apr, Mon 1 May holiday → Tue 2 May
    ("ozps@ops/2026", "2027-04-30", "2027-04-30"),  # Friday before 1 and 3 May: no shift
    ("ozps-powiat@ops/2032", "2033-04-30", "2033-05-02"),  # Sat 30 Apr 2033 → Mon 2 May
]


@pytest.mark.parametrize(("occ_id", "nominal", "due"), RULE_CASES,
                         ids=[c[0] for c in RULE_CASES])  # fmt: skip
def test_rule_dates(all_catalogues: CatalogueSet, calendar: WorkingCalendar, occ_id: str,
                    nominal: str, due: str) -> None:  # fmt: skip
    obligation_id, _, period = occ_id.partition("/")
    obligation = all_catalogues.obligation(obligation_id)
    assert obligation is not None
    occ = occurrence(obligation, Period.parse(period), calendar)
    assert (occ.nominal.isoformat(), occ.due.isoformat()) == (nominal, due)
    assert calendar.is_working_day(occ.due)


def test_no_rule_reaches_3_may_from_30_april(all_catalogues: CatalogueSet,
                                             calendar: WorkingCalendar) -> None:  # fmt: skip
    """2 May is never a statutory holiday, so the next working day after 30 April is at
    most 2 May (or the Monday after, when 2 May is a weekend) — never 3 May."""
    obligation = all_catalogues.obligation("ozps@ops")
    assert obligation is not None
    for year in range(2013, 2100):
        due = occurrence(obligation, Period.parse(str(year)), calendar).due
        assert due != date(year + 1, 5, 3)
        assert due.month in (4, 5) and (due.month == 4 or due.day <= 4)


def test_every_new_obligation_has_a_source(all_catalogues: CatalogueSet) -> None:
    for catalogue in all_catalogues.catalogues:
        if catalogue.act.id == "mpips-1992":
            continue
        for obligation in catalogue.obligations:
            assert obligation.source is not None, obligation.id
            assert obligation.source.where and obligation.source.verified == date(2026, 11, 30)


REQUIRED_IDS = {
    "sr@ops", "sr@uw", "fa@ops", "wrispz@ops", "wrispz@uw", "ozps@ops", "sprawozdanie-ops@ops",
    "mrips-03-p@ops", "mrips-03-r@ops", "mrips-03-p@uw", "mrips-03-r@uw", "mrips-05@ops",
    "mrips-06@ops", "posilek@ops", "skl-zdr-p@ops", "skl-zdr-r@ops", "skl-emrent-p@ops",
    "skl-emrent-r@ops", "przemoc@ops", "zbior-centralny.ps@ops", "zbior-centralny.sr@ops",
    "zbior-centralny.fa@ops",
}  # fmt: skip


def test_the_required_ids_exist_with_their_periods(all_catalogues: CatalogueSet) -> None:
    ids = {o.id for o in all_catalogues.obligations}
    assert ids >= REQUIRED_IDS
    half = all_catalogues.obligation("mrips-03-p@ops")
    year = all_catalogues.obligation("mrips-03-r@ops")
    assert half is not None and year is not None
    assert (str(half.period_kind), half.periods) == ("half-year", (1,))
    assert (str(year.period_kind), year.periods) == ("year", ())
    fa = all_catalogues.obligation("fa@ops")
    assert fa is not None and fa.grade is Grade.REGIONAL  # the 2017 § text was not read
    for oid in ("sr@ops", "wrispz@ops", "ozps@ops"):
        found = all_catalogues.obligation(oid)
        assert found is not None and found.grade is Grade.ACT


# -- announced dates ---------------------------------------------------------------------------


def test_an_announced_saturday_keeps_its_date_with_a_planning_date(
    all_catalogues: CatalogueSet, calendar: WorkingCalendar
) -> None:
    ob = all_catalogues.obligation("posilek@ops")
    assert ob is not None
    occ = occurrence(ob, Period.parse("2023"), calendar, announced=all_catalogues.announced)
    assert occ.due == date(2024, 1, 20)  # a Saturday: not moved to Monday
    assert occ.grade is Grade.NOTICE and occ.announced is not None
    assert planning_day(occ, calendar) == date(2024, 1, 19)
    ob5 = all_catalogues.obligation("mrips-05@ops")
    assert ob5 is not None
    occ5 = occurrence(ob5, Period.parse("2019"), calendar, announced=all_catalogues.announced)
    assert (occ5.due, planning_day(occ5, calendar)) == (date(2020, 2, 15), date(2020, 2, 14))
    working = occurrence(ob5, Period.parse("2023"), calendar, announced=all_catalogues.announced)
    assert (working.due, planning_day(working, calendar)) == (date(2024, 2, 9), None)


def test_a_period_without_a_date_stays_without(
    all_catalogues: CatalogueSet, calendar: WorkingCalendar
) -> None:
    ob = all_catalogues.obligation("mrips-03-r@ops")
    assert ob is not None
    with pytest.raises(ValueError, match="no announced date"):
        occurrence(ob, Period.parse("2024"), calendar, announced=all_catalogues.announced)
    found = expand([ob], calendar, date(1990, 1, 1), date(2100, 12, 31),
                   announced=all_catalogues.announced)  # fmt: skip
    assert [o.id for o in found] == ["mrips-03-r@ops/2012", "mrips-03-r@ops/2014",
                                     "mrips-03-r@ops/2019", "mrips-03-r@ops/2023"]  # fmt: skip
    waiting = undated([ob], date(2025, 1, 1), date(2025, 12, 31), all_catalogues.announced)
    assert [(u.id, u.due, u.window) for u in waiting] == [
        ("mrips-03-r@ops/2024", None, (date(2025, 1, 20), date(2025, 2, 9)))
    ]


def test_no_announced_occurrence_without_a_source(
    all_catalogues: CatalogueSet, calendar: WorkingCalendar
) -> None:
    announced = [o for o in all_catalogues.obligations if o.announced]
    found = expand(announced, calendar, date(1990, 1, 1), date(2100, 12, 31),
                   all_catalogues.overrides, all_catalogues.announced)  # fmt: skip
    assert found, "the catalogues list known dates"
    for occ in found:
        assert occ.announced is not None and occ.announced.text
        assert occ.id in all_catalogues.announced


WINDOWS = [
    ("mrips-03-p@ops", 20, 23),  # 20–23 July
    ("mrips-03-r@ops", 20, 40),  # 20 January – 9 February
    ("mrips-05@ops", 40, 46),  # 9–15 February
    ("skl-zdr-p@ops", 10, 15),  # 10–15 July
    ("posilek@ops", 20, 20),
]


@pytest.mark.parametrize(("oid", "first", "last"), WINDOWS, ids=[w[0] for w in WINDOWS])
def test_windows_learnt_from_the_known_years(all_catalogues: CatalogueSet, oid: str,
                                             first: int, last: int) -> None:  # fmt: skip
    ob = all_catalogues.obligation(oid)
    assert ob is not None
    window = learn_windows([ob], all_catalogues.announced)[oid]
    assert (window.first, window.last) == (first, last)


def test_find_date_task_is_ten_working_days_before_the_window(
    all_catalogues: CatalogueSet, calendar: WorkingCalendar
) -> None:
    ob = all_catalogues.obligation("mrips-03-r@ops")
    assert ob is not None
    (item,) = undated([ob], date(2027, 1, 1), date(2027, 1, 31), all_catalogues.announced)
    # The window opens Wed 20 Jan 2027; back ten working days: 19, 18, 15, 14, 13, 12, 11,
    # 8, 7 (6 January, Epiphany, is skipped), 5 January.
    assert find_date_day(item, calendar) == date(2027, 1, 5)
    assert split_task_id("mrips-03-r@ops/2026#termin") == ("mrips-03-r@ops/2026",
                                                           TaskKind.FIND_DATE, "")  # fmt: skip


# -- the institution's own dates and a voivode's schedule -----------------------------------

LOCAL = """\
[schedule]
id = "moje-terminy"
title = "Terminy otrzymane przez ośrodek"
issuer = "Ośrodek testowy"
grade = "institution"

[[announced]]
occurrence = "mrips-03-r@ops/2026"
date = 2027-02-05
basis = "pismo WPS z 10 stycznia 2027 r., znak WPS-II.431.1.2027"
text = "Sprawozdanie MRiPS-03 (R) za 2026 r. należy przekazać do 5 lutego 2027 r."

[[announced]]
obligation = "mrips-03-r@ops"
period = "2023"
date = 2024-02-07
basis = "pismo WPS z 15 stycznia 2024 r., znak WPS-II.431.2.2024"
text = "do 7 lutego 2024 r."
"""


def test_a_local_date_wins_and_is_cited(tmp_path: Path, calendar: WorkingCalendar) -> None:
    local = tmp_path / "terminy.toml"
    local.write_text(LOCAL, encoding="utf-8")
    catalogues = load_catalogues([CAS, local])
    found = catalogues.announced["mrips-03-r@ops/2026"]
    assert (found.due, found.grade, found.local) == (date(2027, 2, 5), Grade.INSTITUTION, True)
    over = catalogues.announced["mrips-03-r@ops/2023"]
    assert over.due == date(2024, 2, 7)
    assert over.replaced is not None and over.replaced.due == date(2024, 2, 9)
    ob = catalogues.obligation("mrips-03-r@ops")
    assert ob is not None
    assert undated([ob], date(2027, 1, 1), date(2027, 12, 31), catalogues.announced) == []


def test_explain_cites_the_local_date(tmp_path: Path, run_cli: RunCli) -> None:
    local = tmp_path / "terminy.toml"
    local.write_text(LOCAL, encoding="utf-8")
    out = ok(run_cli, "explain", "mrips-03-r@ops/2023", "--catalogue", "cas-pomoc-spoleczna",
             "--catalogue", str(local), *TODAY)  # fmt: skip
    assert "Podstawa: pismo WPS z 15 stycznia 2024 r., znak WPS-II.431.2.2024" in out
    assert "Zastępuje termin z katalogu: 09.02.2024 r." in out
    assert "Termin: środa, 7 lutego 2024 r. — termin wg pisma otrzymanego przez instytucję" in out


def test_the_example_voivode_schedule_gives_dates(calendar: WorkingCalendar) -> None:
    catalogues = load_catalogues([CAS, calendars_dir() / "zbiory-centralne.toml", LUBLIN])
    ps = catalogues.announced["zbior-centralny.ps@ops/2021-Q2"]
    assert (ps.due, ps.grade) == (date(2021, 7, 31), Grade.REGIONAL)  # a Saturday, kept
    ob = catalogues.obligation("zbior-centralny.ps@ops")
    assert ob is not None
    occ = occurrence(ob, Period.parse("2021-Q2"), calendar, announced=catalogues.announced)
    assert (occ.due, planning_day(occ, calendar)) == (date(2021, 7, 31), date(2021, 7, 30))


SCHEDULE_HEAD = """\
[schedule]
id = "zly"
title = "Harmonogram"
issuer = "Wojewoda"
grade = "regional"
"""

SCHEDULE_MISTAKES = [
    pytest.param(SCHEDULE_HEAD + '\n[[obligations]]\nid = "x@ops"\n',
                 r"harmonogram.*nie definiuje ich", id="a schedule defines an obligation"),
    pytest.param(SCHEDULE_HEAD + '\n[[announced]]\nobligation = "nie-ma@ops"\nperiod = "2026"\n'
                 'date = 2027-01-20\ntext = "x"\n', r"nieznany obowiązek „nie-ma@ops”",
                 id="unknown obligation"),
    pytest.param(SCHEDULE_HEAD + '\n[[announced]]\noccurrence = "sr@ops/2026-Q4"\n'
                 'date = 2027-01-20\ntext = "x"\n', r"ma termin określony regułą",
                 id="a dated rule is not redefined"),
    pytest.param(SCHEDULE_HEAD.replace('"regional"', '"institution"')
                 + '\n[[announced]]\noccurrence = "mrips-03-r@ops/2026"\ndate = 2027-01-20\n'
                 'text = "x"\n', r"wymaga podstawy „basis”", id="institution date without basis"),
    pytest.param(SCHEDULE_HEAD + '\n[[announced]]\noccurrence = "mrips-03-r@ops/2026-H1"\n'
                 'date = 2027-01-20\ntext = "x"\n', r"nie ma wystąpienia za okres 2026-H1",
                 id="wrong period kind"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), SCHEDULE_MISTAKES)
def test_schedule_mistakes_name_file_line_entry_field(tmp_path: Path, text: str,
                                                      message: str) -> None:  # fmt: skip
    path = tmp_path / "harmonogram.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_catalogues([CAS, calendars_dir() / "sr-2015.toml", path])
    problems = [p for p in info.value.problems if p.path == path]
    assert problems, info.value.problems
    assert any(re.search(message, str(p)) for p in problems), problems
    assert all(p.line is not None for p in problems)


def test_two_catalogues_giving_different_dates_is_an_error(tmp_path: Path) -> None:
    other = tmp_path / "inny.toml"
    other.write_text(CAS.read_text(encoding="utf-8").replace(
        'id = "cas-pomoc-spoleczna"', 'id = "inny"').split("# -- MRiPS-03")[0]
        + '[[announced]]\noccurrence = "posilek@ops/2023"\ndate = 2024-01-22\ngrade = "notice"\n'
        'text = "x"\n', encoding="utf-8")  # fmt: skip
    with pytest.raises(ValidationError, match="inny termin dla tego samego wystąpienia"):
        load_catalogues([CAS, other])


def test_check_names_the_catalogue_line_for_an_unknown_source_grade(tmp_path: Path) -> None:
    text = (calendars_dir() / "sr-2015.toml").read_text(encoding="utf-8")
    bad = tmp_path / "sr.toml"
    bad.write_text(text.replace('source = { grade = "act"', 'source = { grade = "plotka"', 1),
                   encoding="utf-8")  # fmt: skip
    with pytest.raises(ValidationError) as info:
        load_catalogues([bad])
    (problem,) = info.value.problems
    assert problem.entry == "sr@ops" and problem.field == "source.grade"
    assert problem.line == text.splitlines().index(
        next(line for line in text.splitlines() if line.startswith("source = {"))) + 1
    assert "dozwolone wartości" in problem.message


# -- the default set and repealed acts ------------------------------------------------------


def test_a_repealed_act_is_not_in_the_default_set(all_catalogues: CatalogueSet) -> None:
    acts = {c.act.id for c in in_force(all_catalogues, date(2027, 1, 1), date(2027, 1, 31))
            .catalogues}  # fmt: skip
    assert "mpips-1992" not in acts
    assert {"sr-2015", "fa-2017", "wrispz-2019", "ups-2004", "cas-pomoc-spoleczna",
            "zbiory-centralne"} <= acts  # fmt: skip
    repealed = Act(id="a", title="a", short="a", repealed=date(2020, 1, 1))
    assert repealed.in_force_during(date(2019, 1, 1), date(2019, 12, 31))
    assert not repealed.in_force_during(date(2020, 1, 1), date(2020, 12, 31))
    assert repealed.repealed_by(date(2020, 1, 1)) and not repealed.repealed_by(date(2019, 12, 31))
    unknown = Act(id="b", title="b", short="b", repeal_unknown=True,
                  status_verified=date(2026, 11, 30))  # fmt: skip
    assert not unknown.in_force_during(date(1995, 1, 1), date(1995, 1, 31))
    assert not unknown.repealed_by(date(2026, 11, 30)) and unknown.repealed_by(date(2026, 12, 1))


def test_due_without_a_catalogue_shows_today_s_acts(run_cli: RunCli) -> None:
    data = json.loads(ok(run_cli, "due", "--month", "2027-01", "--format", "json", *TODAY))
    ids = [d["id"] for d in data]
    assert not any(i.startswith("mpips-") for i in ids)
    assert "sr@ops/2026-Q4" in ids and "mrips-03-r@ops/2026" in ids
    dated = [d for d in data if d["due"] is not None]
    waiting = [d for d in data if d["due"] is None]
    assert data == dated + waiting, "undated rows come after the dated ones"
    row = next(d for d in waiting if d["id"] == "mrips-03-r@ops/2026")
    assert row["announced"] is False and row["window"] == {"from": "2027-01-20",
                                                           "to": "2027-02-09"}  # fmt: skip
    fa = next(d for d in dated if d["id"] == "fa@ops/2026-Q4")
    assert (fa["grade"], fa["check"], fa["source_mark"]) == (
        "regional", True, "termin wg strony urzędu wojewódzkiego — do sprawdzenia")


def test_a_repealed_act_is_used_when_named_and_marked(run_cli: RunCli) -> None:
    data = json.loads(ok(run_cli, "due", "--catalogue", "mpips-1992", "--from", "2026-11-01",
                         "--to", "2027-01-31", "--format", "json", *TODAY))  # fmt: skip
    before = [d for d in data if d["due"] <= "2026-11-30"]
    after = [d for d in data if d["due"] > "2026-11-30"]
    assert before and after
    assert not any(d["repealed_act"] for d in before)
    assert all(d["repealed_act"] for d in after)
    table = ok(run_cli, "due", "--catalogue", "mpips-1992", "--month", "2027-01", *TODAY)
    assert "z aktu, który utracił moc" in table


def test_explain_and_catalogue_find_ids_in_any_bundled_catalogue(run_cli: RunCli) -> None:
    out = ok(run_cli, "explain", "mpips-02.zal@rup/2025", *TODAY)
    assert "Termin: poniedziałek, 19 stycznia 2026 r." in out
    assert "Utrata mocy: akt utracił moc (data nieustalona" in out
    listing = ok(run_cli, "catalogue", *TODAY)
    assert "mpips-02.zal@rup" in listing and "sr@ops" in listing
    assert "Utrata mocy: akt utracił moc (data nieustalona" in listing
    undated_out = ok(run_cli, "explain", "mrips-03-r@ops/2026", *TODAY)
    assert "Termin: nieustalony — data nie została jeszcze ogłoszona" in undated_out
    assert "Kiedy zwykle: zwykle 20.01–09.02.2027 r." in undated_out
    assert "Źródło: program badań statystycznych statystyki publicznej, sprawdzono 30.11.2026 r." \
        in undated_out


def test_explain_prints_the_announced_source_and_planning_date(run_cli: RunCli) -> None:
    out = ok(run_cli, "explain", "posilek@ops/2023", *TODAY)
    assert "Termin ogłoszony: 20.01.2024 r. — źródło: komunikat ministerstwa" in out
    assert "data planowania: piątek, 19 stycznia 2024 r." in out
    assert "Termin: sobota, 20 stycznia 2024 r. — termin wg komunikatu — do sprawdzenia" in out


def test_due_table_marks_dates_below_the_act(run_cli: RunCli) -> None:
    out = ok(run_cli, "due", "--month", "2024-01", *TODAY)
    posilek = next(line for line in out.splitlines() if "posilek@ops/2023" in line)
    assert "sob 20 sty 2024 (planowo pt 19 sty 2024)" in posilek
    assert "termin wg komunikatu — do sprawdzenia" in posilek
    assert "Terminy do ustalenia" in out


# -- check ----------------------------------------------------------------------------------


def test_check_warns_about_the_coming_year_without_dates(run_cli: RunCli) -> None:
    result = run_cli("check", *TODAY)
    assert result.returncode == 0, result.stderr
    assert "wpis „mrips-03-r@ops/2026”, pole „announced”: ostrzeżenie: brak terminu za okres " \
        "2026 (zwykle 20.01–09.02.2027 r.)" in result.stderr
    assert "cas-pomoc-spoleczna.toml(" in result.stderr
    earlier = run_cli("check", "--today", "2023-03-01")
    assert "mrips-03-p@ops/2023-H1" not in earlier.stderr  # the programme gave that date


def test_the_example_centre_matches_every_duty(run_cli: RunCli) -> None:
    for config in (EXAMPLE, VOIVODE):
        result = run_cli("check", "--config", str(config), *TODAY)
        assert result.returncode == 0, result.stderr
        assert "nie pasuje do żadnego obowiązku" not in result.stderr
        assert "Poprawne: organizacja" in result.stdout


def test_due_config_lists_the_find_date_task(run_cli: RunCli, tmp_path: Path) -> None:
    data = json.loads(ok(run_cli, "due", "--config", str(EXAMPLE), "--month", "2027-01",
                         "--format", "json", *TODAY))  # fmt: skip
    row = next(d for d in data if d["id"] == "mrips-03-r@ops/2026")
    assert row["due"] is None and row["announced"] is False
    (task,) = row["tasks"]
    assert (task["id"], task["kind"], task["due"]) == (
        "mrips-03-r@ops/2026#termin", "find_date", "2027-01-05")
    assert task["owners"] == ["kier-dsps", "zast-dsps", "prac-dsps"]
    table = ok(run_cli, "due", "--config", str(EXAMPLE), "--month", "2027-01", *TODAY)
    assert "Ustalenie terminów (daty jeszcze nieogłoszone)" in table
    assert "[mrips-03-r@ops/2026#termin]" in table
    # The family-benefit duty (I.5) and the central data sets (I.6) have work now.
    assert "sr@ops/2026-Q4" in table and "zbior-centralny.ps@ops/2026-Q4" in table


def test_feeds_carry_the_find_date_task_as_a_task() -> None:
    from terminarz.notify.feeds import feed_set_for
    from terminarz.org.plan import load_setup

    setup = load_setup(EXAMPLE, today=date(2026, 11, 30))
    feeds = feed_set_for(setup, today=date(2026, 11, 30))
    items = {i.key: i for i in feeds.items["all"]}
    task = items["mrips-03-r@ops/2026#termin"]
    assert task.due == date(2027, 1, 5)
    assert "ustalenie terminu" in task.categories
    assert task.summary.startswith("Ustalić termin: MRiPS-03 (R)")
    assert "to nie jest termin sprawozdania" in task.description
    person = {i.key for i in feeds.items["person/kier-dsps"]}
    assert "mrips-03-r@ops/2026#termin" in person
    fa = next(i for k, i in items.items() if k == "fa@ops/2026-Q4")
    assert "(termin wg strony urzędu wojewódzkiego — do sprawdzenia)" in fa.summary


def test_a_reminder_mail_marks_a_date_below_the_act(tmp_path: Path,
                                                    calendar: WorkingCalendar) -> None:  # fmt: skip
    from datetime import datetime, timedelta
    from email import message_from_bytes, policy
    from zoneinfo import ZoneInfo

    from terminarz.notify.mail import Links, MailComposer, MailRenderer
    from terminarz.notify.reminders import MailKind, decide
    from terminarz.org.plan import load_setup, plan

    today = date(2027, 1, 4)
    setup = load_setup(EXAMPLE, today=today, statutory=calendar)
    assert setup.organisation is not None
    items = plan(setup, today - timedelta(days=30), today + timedelta(days=60), today=today)
    mails = decide(items, organisation=setup.organisation, calendar=setup.institution,
                   today=today, ledger=frozenset(), confirmed=frozenset(), overdue_every=2,
                   epoch=date(2027, 1, 1))  # fmt: skip
    mail = next(m for m in mails if m.occurrence_id == "fa@ops/2026-Q4"
                and m.kind is MailKind.REMINDER)  # fmt: skip
    composer = MailComposer(MailRenderer(), setup, sender="Terminarz <terminarz@example.org>",
                            links=Links(base_url="https://t.example.org", secret=None, days=30),
                            overdue_every=2)  # fmt: skip
    now = datetime(2027, 1, 4, 6, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    raw = composer.compose(mail, today=today, now=now).message
    msg = message_from_bytes(raw, policy=policy.default)
    body = msg.get_body(("plain",))  # type: ignore[attr-defined]
    text = body.get_content()
    assert "Uwaga:        termin wg strony urzędu wojewódzkiego — do sprawdzenia" in text
    assert "Źródło:       strona urzędu wojewódzkiego lub ROPS: http://www.pomoc.lodzkie.eu" in text


def test_who_and_explain_for_a_period_without_a_date(run_cli: RunCli) -> None:
    who = ok(run_cli, "who", "mrips-03-r@ops/2026", "--config", str(EXAMPLE), *TODAY)
    assert "Termin: nieustalony — data nie została jeszcze ogłoszona" in who
    assert "Ustalić termin: wt 5 sty 2027" in who
    data = json.loads(ok(run_cli, "who", "mrips-03-r@ops/2026", "--config", str(EXAMPLE),
                         "--format", "json", *TODAY))  # fmt: skip
    assert data["due"] is None and data["tasks"][0]["id"] == "mrips-03-r@ops/2026#termin"
    out = ok(run_cli, "explain", "mrips-03-r@ops/2026", "--config", str(EXAMPLE), *TODAY)
    assert "Ustalić termin: wt 5 sty 2027" in out
    dated = ok(run_cli, "who", "posilek@ops/2023", "--config", str(EXAMPLE), "--today",
               "2024-01-10")  # fmt: skip
    assert "Termin: sobota, 20 stycznia 2024 r. — termin wg komunikatu — do sprawdzenia" in dated
    assert "Data planowania: piątek, 19 stycznia 2024 r." in dated


def test_a_schedule_file_alone_is_checked_against_the_bundled_catalogues(
    run_cli: RunCli,
) -> None:
    result = run_cli("check", str(LUBLIN), *TODAY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Poprawne: 1 plik")


def test_catalogue_json_carries_source_grade_and_announced_dates(run_cli: RunCli) -> None:
    data = {o["id"]: o for o in json.loads(ok(run_cli, "catalogue", "--format", "json", *TODAY))}
    assert data["sr@ops"]["grade"] == "act" and data["sr@ops"]["act_in_force"] == "unconfirmed"
    assert data["wrispz@ops"]["act_in_force"] == "conflicting"
    assert data["mpips-03@ops"]["act_repealed"] == "unknown"
    posilek = data["posilek@ops"]
    assert (posilek["grade"], posilek["check"]) == ("notice", True)
    assert [a["period"] for a in posilek["announced"]] == ["2019", "2023"]
    assert data["sr@ops"]["announced"] is None


def test_the_default_due_does_not_read_a_repealed_act(tmp_path: Path) -> None:
    from terminarz.law.catalogue import may_be_in_force

    jan = (date(2027, 1, 1), date(2027, 1, 31))
    assert not may_be_in_force(calendars_dir() / "mpips-1992.toml", *jan)
    assert may_be_in_force(calendars_dir() / "sr-2015.toml", *jan)
    assert not may_be_in_force(calendars_dir() / "sr-2015.toml", date(2010, 1, 1),
                               date(2010, 12, 31))  # fmt: skip
    assert may_be_in_force(LUBLIN, *jan)  # a schedule: always read
    act = tmp_path / "akt.toml"
    act.write_text('[act]\nid = "a"\nrepealed = 2020-01-01\n\n[parties]\n', encoding="utf-8")
    assert not may_be_in_force(act, date(2021, 1, 1), date(2021, 1, 31))
    assert may_be_in_force(act, date(2019, 12, 1), date(2019, 12, 31))
    broken = tmp_path / "zly.toml"
    broken.write_text("[act]\nid = \n", encoding="utf-8")
    assert may_be_in_force(broken, *jan)  # the full load reports the mistake


def test_the_institution_s_date_wins_over_a_voivode_s_schedule(tmp_path: Path) -> None:
    local = tmp_path / "terminy.toml"
    local.write_text(LOCAL.replace('"mrips-03-r@ops/2026"', '"mrips-03-p@ops/2021-H1"')
                     .replace("date = 2027-02-05", "date = 2021-07-22"), encoding="utf-8")
    catalogues = load_catalogues([CAS, calendars_dir() / "zbiory-centralne.toml", LUBLIN, local])
    found = catalogues.announced["mrips-03-p@ops/2021-H1"]
    assert (found.due, found.local) == (date(2021, 7, 22), True)
    assert found.replaced is not None and found.replaced.due == date(2021, 7, 23)
    again = load_catalogues([local, LUBLIN, CAS, calendars_dir() / "zbiory-centralne.toml"])
    assert again.announced["mrips-03-p@ops/2021-H1"].due == date(2021, 7, 22)  # any order

"""The CLI as a person uses it: what ``due`` shows by default, ``--next``, tables that fit the
terminal, Polish date forms, days left counted the same way everywhere, internal tasks in the
JSON, ``--version``, a silent ``feed`` and the retries ``remind --verbose`` shows.

Every run passes ``--today``; the dates below were counted by hand on a calendar.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from test_cli_core import ok, run_in_terminal
from test_mail_sink import free_port, smtp_sink
from test_reminders import copy_example

from terminarz.cli.common import dump_json
from terminarz.cli.duetable import DaysLeft, OccurrenceRows
from terminarz.law.catalogue import CatalogueSet
from terminarz.law.workdays import WorkingCalendar
from terminarz.paths import calendars_dir
from terminarz.polish import days_left_words, month_text, parse_date

RunCli = Callable[..., subprocess.CompletedProcess[str]]

CAT = ("--catalogue", "mpips-1992")
EXAMPLE = str(calendars_dir() / "examples" / "osrodek-pomocy.toml")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def due_ids(run_cli: RunCli, *args: str) -> list[str]:
    return [d["id"] for d in json.loads(ok(run_cli, "due", *CAT, *args, "--format", "json"))]


# -- what "due" answers by default ----------------------------------------------------------

# December 2026 begins on a Tuesday: MPiPS-01 Dział 1 of rup is due on the 2nd working day
# (Wed 2nd), of wup on the 3rd (Thu 3rd); MPiPS-02 of rup on the 5th (Mon 7th), of wup on the
# 7th (Wed 9th). November's are due on 3, 4, 6 and 10 November.
NOVEMBER = ["mpips-01.dzial-1@rup/2026-10", "mpips-01.dzial-1@wup/2026-10",
            "mpips-02@rup/2026-10", "mpips-02@wup/2026-10"]  # fmt: skip
DECEMBER = ["mpips-01.dzial-1@rup/2026-11", "mpips-01.dzial-1@wup/2026-11",
            "mpips-02@rup/2026-11", "mpips-02@wup/2026-11"]  # fmt: skip


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2026-11-20", NOVEMBER),  # 10 days left after today: the month alone
        ("2026-11-21", NOVEMBER + DECEMBER[:2]),  # 9 days left: up to Sat 5 December
        ("2026-11-25", NOVEMBER + DECEMBER),  # up to Wed 9 December
        ("2026-11-30", NOVEMBER + DECEMBER),  # up to Mon 14 December
    ],
    ids=["20 Nov: November", "21 Nov: to 5 Dec", "25 Nov: to 9 Dec", "30 Nov: to 14 Dec"],
)
def test_due_shows_the_next_14_days_when_the_month_ends_soon(
    run_cli: RunCli, today: str, expected: list[str]
):
    assert due_ids(run_cli, "--today", today) == expected


def test_due_at_the_end_of_the_calendar_stops_at_its_last_day(run_cli: RunCli):
    data = json.loads(ok(run_cli, "due", *CAT, "--today", "2100-12-25", "--format", "json"))
    assert data and all(d["due"].startswith("2100-12") for d in data)
    result = run_cli("due", *CAT, "--today", "2100-12-25", "--next", "14")
    assert result.returncode == 2
    assert "--next: kalendarz dni roboczych obejmuje lata 1990–2100" in result.stderr


def test_due_heading_says_how_far_it_looks(run_cli: RunCli):
    out = ok(run_cli, "due", *CAT, "--today", "2026-11-25")
    assert out.splitlines()[0] == (
        "Terminy: listopad 2026 r. i dalej do śr 9 gru 2026  (dziś: śr 25 lis 2026)"
    )
    out = ok(run_cli, "due", *CAT, "--today", "2026-11-20")
    assert out.splitlines()[0] == "Terminy: listopad 2026 r.  (dziś: pt 20 lis 2026)"
    # A month asked for is that month only, however close its end.
    assert due_ids(run_cli, "--month", "2026-11", "--today", "2026-11-25") == NOVEMBER


@pytest.mark.parametrize(
    ("days", "expected", "heading"),
    [
        ("14", DECEMBER, "Terminy na najbliższe 14 dni (do śr 9 gru 2026)"),
        ("7", DECEMBER[:1], "Terminy na najbliższe 7 dni (do śr 2 gru 2026)"),
        ("1", [], "Terminy na najbliższy dzień (do czw 26 lis 2026)"),
        ("0", [], "Terminy na dziś"),
    ],
    ids=["14 days", "7 days", "1 day", "today"],
)
def test_due_next_days(run_cli: RunCli, days: str, expected: list[str], heading: str):
    # From Wednesday 25 November: +7 is Wed 2 December (inclusive), +14 Wed 9 December.
    assert due_ids(run_cli, "--next", days, "--today", "2026-11-25") == expected
    first = ok(run_cli, "due", *CAT, "--next", days, "--today", "2026-11-25").splitlines()[0]
    assert first == f"{heading}  (dziś: śr 25 lis 2026)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--next", "5", "--month", "2026-11"), "jedną formę naraz"),
        (("--next", "5", "--from", "2026-11-01", "--to", "2026-11-30"), "jedną formę naraz"),
        (("--next", "-1"), "--next: -1 — należy podać liczbę dni od 0 do 3660"),
        (("--next", "tydzień"), "niepoprawna liczba całkowita"),
    ],
    ids=["with --month", "with --from", "negative", "not a number"],
)
def test_due_next_mistakes(run_cli: RunCli, args: tuple[str, ...], message: str):
    result = run_cli("due", *CAT, *args, "--today", "2026-11-25")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# -- dates in the Polish form -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30.11.2026", date(2026, 11, 30)),
        ("1.2.2026", date(2026, 2, 1)),
        ("01.02.2026", date(2026, 2, 1)),
        ("2026-11-30", date(2026, 11, 30)),
        (" 29.02.2028 ", date(2028, 2, 29)),
        ("29.02.2026", None),  # 2026 is not a leap year
        ("31.11.2026", None),
        ("30.13.2026", None),
        ("30/11/2026", None),
        ("30.11.26", None),
        ("jutro", None),
        ("123.11.2026", None),
        ("30.111.2026", None),
        ("30.11.20261", None),
        ("30..2026", None),
        ("3a.11.2026", None),
        ("30.11.2026.", None),
        ("2026-11-30\n", date(2026, 11, 30)),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: date | None):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("11.2026", "2026-11"), ("1.2027", "2027-01"), ("2026-11", "2026-11"), ("2026.11", None),
     ("11-2026", None), ("listopad", None), (" 01.2026 ", "2026-01"), (" 2026-01\n", "2026-01"),
     ("123.2026", None), ("11.20261", None), ("11.202", None), (".2026", None),
     ("1.2.2026", None), ("2026-011", None), ("2026-1", None), ("2026-1a", None),
     ("20261-01", None), ("a1.2026", None), ("", None)],
)  # fmt: skip
def test_month_text(text: str, expected: str | None):
    assert month_text(text) == expected


def test_every_date_option_takes_both_forms(run_cli: RunCli, tmp_path: Path):
    iso = ok(run_cli, "due", *CAT, "--from", "2026-11-01", "--to", "2026-12-09",
             "--today", "2026-11-25", "--format", "json")  # fmt: skip
    dotted = ok(run_cli, "due", *CAT, "--from", "1.11.2026", "--to", "09.12.2026",
                "--today", "25.11.2026", "--format", "json")  # fmt: skip
    assert json.loads(dotted) == json.loads(iso)
    assert len(json.loads(iso)) == 8
    month = ok(run_cli, "due", *CAT, "--month", "11.2026", "--today", "25.11.2026")
    assert month == ok(run_cli, "due", *CAT, "--month", "2026-11", "--today", "2026-11-25")
    assert month.startswith("Terminy: listopad 2026 r.  (dziś: śr 25 lis 2026)")
    workdays = json.loads(ok(run_cli, "workdays", "--month", "02.2026", "--format", "json"))
    assert (workdays["month"], workdays["working_days"]) == ("2026-02", 20)
    explain = json.loads(ok(run_cli, "explain", "mpips-03@ops/2025", "--today", "10.01.2026",
                            "--format", "json"))  # fmt: skip
    assert explain["days_left"] == 20  # Sat 10 January → Fri 30 January 2026


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("due", "--month", "13.2026"), "--month: „13.2026” nie jest miesiącem; należy go "
         "podać jako MM.RRRR albo RRRR-MM, np. 11.2026 lub 2026-11"),
        (("due", "--from", "31.11.2026", "--to", "1.12.2026"), "--from: „31.11.2026” nie jest "
         "datą; należy ją podać jako DD.MM.RRRR albo RRRR-MM-DD, np. 30.11.2026 lub 2026-11-30"),
        (("due", "--today", "30.11.26"), "--today: „30.11.26” nie jest datą"),
        (("workdays", "--month", "listopad"), "--month: „listopad” nie jest miesiącem"),
        (("due", "--from", "1.1.1899", "--to", "1.1.2026"), "--from: data 1899-01-01 jest "
         "poza obsługiwanym zakresem"),
    ],
    ids=["month 13", "31 November", "two-digit year", "month in words", "year 1899"],
)
def test_bad_dates_are_polish_usage_errors(run_cli: RunCli, args: tuple[str, ...], message: str):
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"terminarz: błąd: {message}")
    assert "Traceback" not in result.stderr


# -- days left --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "due", "working", "words"),
    [
        # Sat 10 Jan 2026 (6 January is Epiphany): Mon 12th is the first working day ahead.
        ("2026-01-10", "2026-01-12", 1, "za 1 dzień rob. (2 dni)"),
        ("2026-01-10", "2026-01-13", 2, "za 2 dni rob. (3 dni)"),
        ("2026-01-10", "2026-01-30", 15, "za 15 dni rob. (20 dni)"),
        ("2026-01-10", "2026-02-10", 22, "za 22 dni rob. (31 dni)"),
        ("2026-01-10", "2026-01-11", 0, "za 0 dni rob. (1 dzień)"),  # a Sunday
        ("2026-01-10", "2026-01-10", 0, "dziś"),
        ("2026-01-10", "2026-01-09", 0, "0 dni rob. temu (1 dzień)"),  # Friday; today Saturday
        ("2026-01-10", "2026-01-05", -3, "3 dni rob. temu (5 dni)"),  # 7, 8, 9 (6th: holiday)
        # Over the New Year: 22, 23, 29, 30, 31 December, 2, 5, 7 January (24 December is a
        # holiday from 2025, and so are 25, 26 December, 1 and 6 January).
        ("2025-12-20", "2026-01-07", 8, "za 8 dni rob. (18 dni)"),
        ("2026-01-07", "2025-12-20", -8, "8 dni rob. temu (18 dni)"),
        ("2026-11-24", "2027-01-08", 29, "za 29 dni rob. (45 dni)"),
        ("2026-01-10", "2026-01-22", 9, "za 9 dni rob. (12 dni)"),
        ("2026-01-10", "2026-01-23", 10, "za 10 dni rob. (13 dni)"),
    ],
)
def test_days_left(calendar: WorkingCalendar, today: str, due: str, working: int, words: str):
    left = DaysLeft(calendar, date.fromisoformat(today))
    assert left.working(date.fromisoformat(due)) == working
    assert left.words(date.fromisoformat(due)) == words


def test_days_left_agrees_with_counting_day_by_day(calendar: WorkingCalendar):
    """Per month sums against a walk over every day (1,500 days around several New Years)."""
    from datetime import timedelta

    for today in (date(2026, 1, 10), date(2025, 12, 24), date(1992, 2, 29)):
        left = DaysLeft(calendar, today)
        for offset in range(-400, 400, 7):
            day = today + timedelta(days=offset)
            first, last, sign = (today, day, 1) if day >= today else (day, today, -1)
            walked = sum(calendar.is_working_day(first + timedelta(days=k))
                         for k in range(1, (last - first).days + 1))  # fmt: skip
            assert left.working(day) == sign * walked, (today, day)


def test_days_left_outside_the_calendar(calendar: WorkingCalendar):
    left = DaysLeft(calendar, date(2026, 1, 10))
    assert left.working(date(2150, 1, 1)) is None
    assert left.words(date(2026, 1, 30)) == "za 15 dni rob. (20 dni)"  # still counted after it
    assert days_left_words(None, 14) == "za 14 dni"
    assert days_left_words(None, -1) == "1 dzień temu"


def test_due_json_gains_working_days_left(run_cli: RunCli):
    data = json.loads(ok(run_cli, "due", *CAT, "--month", "2026-01", "--today", "2026-01-10",
                         "--format", "json"))  # fmt: skip
    left = {d["id"]: (d["working_days_left"], d["days_left"]) for d in data}
    assert left["mpips-01.dzial-1@rup/2025-12"] == (-3, -5)
    assert left["mpips-01.zal-2@rup/2025-H2"] == (0, -1)
    assert left["mpips-01.zal-1@wup/2025-Q4"] == (1, 2)
    assert left["mpips-03@ops/2025"] == (15, 20)
    assert all(d["task"] is False for d in data)


# -- the JSON holds what the table shows ------------------------------------------------------


def test_due_json_lists_internal_tasks_as_their_own_objects(run_cli: RunCli):
    args = ("due", "--config", EXAMPLE, "--month", "2027-01", "--today", "2026-11-24")
    table = ok(run_cli, *args)
    data = json.loads(ok(run_cli, *args, "--format", "json"))
    tasks = [d for d in data if d["task"] is True]
    others = [d for d in data if d["task"] is False]
    assert len(tasks) + len(others) == len(data)
    # The table's count line: "2 terminy, 10 do ustalenia, 10 zadań".
    assert table.splitlines()[-1] == "2 terminy, 10 do ustalenia, 10 zadań"
    assert (sum(1 for d in others if d["due"]), sum(1 for d in others if not d["due"]),
            len(tasks)) == (2, 10, 10)  # fmt: skip
    for task in tasks:
        assert task["id"] in table  # every task the table lists, by its id
        assert task["id"].startswith(task["occurrence"] + "#")
    by_id = {t["id"]: t for t in tasks}
    deliver = by_id["fa@ops/2026-Q4#dane:dfk"]
    assert (deliver["kind"], deliver["due"], deliver["unit"], deliver["owners"]) == (
        "deliver", "2027-01-08", "dfk", ["gl-ksiegowa"])
    # 24 Nov → Fri 8 Jan 2027: 45 days; working: 25–27, 30 Nov (4), December without 24–26
    # (21), 4, 5, 7, 8 January (4; 1 and 6 January are holidays).
    assert (deliver["days_left"], deliver["working_days_left"]) == (45, 29)
    assert deliver["confirmed"] is None
    finding = by_id["mrips-03-r@ops/2026#termin"]
    assert (finding["kind"], finding["occurrence"]) == ("find_date", "mrips-03-r@ops/2026")
    # The occurrences keep every key they had.
    keys = {"id", "obligation", "form", "part", "title", "level", "recipients", "period", "due",
            "nominal", "days_left", "basis", "act", "grade", "responsible", "tasks",
            "confirmed", "planning_date"}  # fmt: skip
    assert all(keys <= d.keys() for d in others)


def test_json_rows_as_text_hold_the_same_content(
    all_catalogues: CatalogueSet, calendar: WorkingCalendar
):
    """The fast text of a row (the obligation's keys encoded once) parses to the row itself:
    every bundled occurrence 1990–2100, announced dates and a date moved by an override too."""
    from terminarz.law.rules import Override, expand

    today = date(2026, 11, 25)
    overrides = dict(all_catalogues.overrides)
    overrides["mpips-02@wup/2018-10"] = Override(
        occurrence_id="mpips-02@wup/2018-10", due=date(2018, 11, 14), basis="pismo „test” nr 1"
    )
    found = expand(all_catalogues.obligations, calendar, date(1990, 1, 1), date(2100, 12, 31),
                   overrides, all_catalogues.announced)  # fmt: skip
    rows = OccurrenceRows(all_catalogues, today, DaysLeft(calendar, today))
    extra = {"planning_date": None, "confirmed": {"by": "anna", "at": "2026-11-25", "note": "ż"}}
    for occ in found:
        assert json.loads(rows.row(occ, extra).decode()) == rows.json(occ) | extra, occ.id
    assert any(o.announced for o in found) and any(o.override for o in found)
    assert all(json.loads(rows.row(o, {})) == rows.json(o) for o in found[::50])  # no extra
    assert len({rows.row(o, {}).decode() for o in found}) == len(found)


def test_dump_json_writes_once(capsys: pytest.CaptureFixture[str]):
    class Counting(io.StringIO):
        writes = 0

        def write(self, text: str) -> int:
            self.writes += 1
            return super().write(text)

    value = [{"id": f"x/{i}", "ą": [i, None, True, "ż\"\n"]} for i in range(1000)]
    for given in (value, {"days": value}, []):
        out = Counting()
        dump_json(given, out)
        assert out.writes == 1
        assert json.loads(out.getvalue()) == given
        assert out.getvalue().endswith("\n")
    out = Counting()
    dump_json(value, out)
    assert out.getvalue().count("\n") == 1002  # "[", one line per element, "]"
    assert "ą" in out.getvalue()  # not escaped


def test_json_is_the_same_unbuffered(run_cli: RunCli):
    args = ("due", *CAT, "--from", "2026-01-01", "--to", "2027-12-31", "--format", "json",
            "--today", "2026-11-25")  # fmt: skip
    assert ok(run_cli, *args, env={"PYTHONUNBUFFERED": "1"}) == ok(
        run_cli, *args, env={"PYTHONUNBUFFERED": ""})


# -- tables fit the terminal ------------------------------------------------------------------


def widest(text: str) -> int:
    return max(len(ANSI.sub("", line)) for line in text.splitlines())


@pytest.mark.parametrize(
    "args",
    [
        (*CAT, "--month", "2026-01", "--today", "2026-01-10"),
        ("--month", "2026-02", "--today", "2026-01-10"),
        ("--today", "2026-11-25"),
        ("--config", EXAMPLE, "--month", "2027-01", "--today", "2026-11-24"),
        ("--config", EXAMPLE, "--next", "60", "--today", "2026-11-24"),
    ],
    ids=["1992 catalogue", "today's acts", "month end", "organisation", "organisation, 60 days"],
)
def test_due_fits_80_columns(run_cli: RunCli, args: tuple[str, ...]):
    wide = ok(run_cli, "due", *args, "--wide", env={"COLUMNS": "80"})
    assert widest(wide) > 80
    out = ok(run_cli, "due", *args, env={"COLUMNS": "80"})
    assert widest(out) <= 80
    header = next(line for line in out.splitlines() if line.startswith("Termin "))
    assert header.split()[0] == "Termin" and "Sprawozdanie" in header and header.endswith("Id")
    assert "Pominięte kolumny: " in out and "--wide" in out
    # Every id of the wide table is still there, whole.
    ids = re.findall(r"\S+@\S+/\S+", wide)
    assert ids and all(i in out for i in ids)


@pytest.mark.parametrize("args", [(), ("--catalogue", "mpips-1992"), ("--level", "ops")],
                         ids=["bundled", "1992", "ops"])  # fmt: skip
def test_catalogue_fits_80_columns(run_cli: RunCli, args: tuple[str, ...]):
    wide = ok(run_cli, "catalogue", *args, "--wide", env={"COLUMNS": "80"})
    out = ok(run_cli, "catalogue", *args, env={"COLUMNS": "80"})
    assert widest(wide) > 80 >= widest(out)
    header = next(line for line in out.splitlines() if line.startswith("Id "))
    assert "Sprawozdanie" in header and "Termin" in header
    ids = re.findall(r"^(\S+@\S+)\s", wide, flags=re.MULTILINE)
    assert ids and all(re.search(rf"^{re.escape(i)}\s", out, flags=re.MULTILINE) for i in ids)
    assert ok(run_cli, "catalogue", *args, env={"COLUMNS": ""}) == wide


def test_due_table_wraps_rather_than_drops_when_it_can(run_cli: RunCli):
    args = ("due", *CAT, "--month", "2026-01", "--today", "2026-01-10")
    out = ok(run_cli, *args, env={"COLUMNS": "100"})
    assert widest(out) <= 100
    lines = out.splitlines()
    assert "Pozostało" in lines[2]
    # The 12 rows: a row may take two lines, the second holding the wrapped cells only.
    assert sum(1 for line in lines if re.search(r"@\S+/\d{4}", line)) == 12


def test_due_without_a_terminal_keeps_every_column(run_cli: RunCli):
    out = ok(run_cli, "due", *CAT, "--month", "2026-01", "--today", "2026-01-10",
             env={"COLUMNS": ""})  # fmt: skip
    assert "Kto → komu" in out and "Okres" in out and "Pominięt" not in out


def test_due_on_a_terminal_fits_its_width(terminarz_exe: Path):
    args = ["due", "--config", EXAMPLE, "--month", "2027-01", "--today", "2026-11-24"]
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR")}
    env["TERM"] = "xterm"
    narrow = run_in_terminal(terminarz_exe, args, env, columns=80)
    assert "Termin" in narrow and widest(narrow) <= 80
    broad = run_in_terminal(terminarz_exe, args, env, columns=250)
    assert widest(broad) > 80 and "Kto → komu" in broad


# -- --version, feed, remind --verbose ---------------------------------------------------------


def test_version(run_cli: RunCli):
    from importlib.metadata import version

    result = run_cli("--version")
    assert (result.returncode, result.stdout, result.stderr) == (
        0, f"terminarz {version('terminarz')}\n", "")
    assert re.fullmatch(r"terminarz \d+\.\d+\.\d+\n", result.stdout)
    assert "--version" in run_cli("--help").stdout


def test_remind_verbose_shows_each_retry_as_it_happens(run_cli: RunCli, tmp_path: Path):
    config = copy_example(tmp_path)  # retry_delays = [0, 0]: three attempts
    refused = "zastepca.dsps@example.org"
    env = {"TERMINARZ_SECRET": "sekret-testowy-0123456789abcdef"}
    with smtp_sink(refuse_rcpt=lambda a: "451 4.2.1 skrzynka chwilowo niedostępna"
                   if a == refused else None) as server:  # fmt: skip
        result = run_cli("remind", "--config", str(config), "--today", "2027-01-18",
                         "--verbose", env=env | server.env())  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    retries = [line for line in lines if "ponowna próba" in line]
    not_sent = [line for line in lines if line.startswith("terminarz: nie wysłano: ")]
    # The handover notice copies the refused address: tried three times, so retried twice,
    # each retry shown before the failure is reported.
    assert not_sent and len(retries) == 2 * len(not_sent), result.stderr
    assert lines.index(retries[-1]) < lines.index(not_sent[0])
    assert all(r.startswith("terminarz: serwer odrzucił adresata zastepca.dsps@example.org: "
                            "451 4.2.1") for r in retries)  # fmt: skip
    assert [r.rsplit("ponowna próba ", 1)[1] for r in retries[:2]] == [
        "2 z 3 za 0 s", "3 z 3 za 0 s"]
    assert result.stdout.startswith("terminarz remind 2027-01-18 (mopr-przyklad): wysłano ")
    # Without --verbose the retries are not shown (the failure is, as before).
    quiet_config = copy_example(tmp_path / "quiet")
    with smtp_sink(refuse_rcpt=lambda a: "451 4.2.1 skrzynka chwilowo niedostępna"
                   if a == refused else None) as server:  # fmt: skip
        quiet = run_cli("remind", "--config", str(quiet_config), "--today", "2027-01-18",
                        env=env | server.env())  # fmt: skip
    assert quiet.returncode == 1
    assert "ponowna próba" not in quiet.stderr and quiet.stdout == ""
    assert f"({refused})" in quiet.stderr


def test_remind_verbose_shows_connection_retries(run_cli: RunCli, tmp_path: Path):
    config = copy_example(tmp_path)
    env = {"TERMINARZ_SECRET": "sekret-testowy-0123456789abcdef",
           "TERMINARZ_SMTP_HOST": "127.0.0.1", "TERMINARZ_SMTP_PORT": str(free_port()),
           "TERMINARZ_SMTP_SECURITY": "none"}  # fmt: skip
    result = run_cli("remind", "--config", str(config), "--today", "2027-01-18", "--verbose",
                     env=env)  # fmt: skip
    assert result.returncode != 0
    retries = [line for line in result.stderr.splitlines() if "ponowna próba" in line]
    assert retries, result.stderr
    assert "nie można połączyć się z serwerem poczty 127.0.0.1" in retries[0]
    assert retries[0].endswith("ponowna próba 2 z 3 za 0 s")


def test_a_run_reads_the_clock_once_and_keeps_its_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every part of one command counts from the same day, even past midnight."""
    import argparse
    from datetime import date

    from terminarz.cli import common

    days = iter([date(2026, 12, 31), date(2027, 1, 1)])
    monkeypatch.setattr(common, "warsaw_today", lambda: next(days))
    ctx = common.Context(args=argparse.Namespace(today=None))
    assert [ctx.today, ctx.today, ctx.today] == [date(2026, 12, 31)] * 3
    given = common.Context(args=argparse.Namespace(today="15.01.2027"))
    assert given.today == date(2027, 1, 15)

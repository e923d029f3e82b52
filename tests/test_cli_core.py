"""The real ``terminarz`` console script: due, explain, workdays, catalogue, check, and mistakes.

Every run passes ``--today`` so nothing depends on the real date.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

RunCli = Callable[..., subprocess.CompletedProcess[str]]

TODAY = ("--today", "2026-01-10")  # a Saturday
CAT = ("--catalogue", "mpips-1992")  # named: a repealed act is used only when named
CATALOGUE_1992 = Path(__file__).parent.parent / "calendars" / "mpips-1992.toml"
ANSI = re.compile(r"\x1b\[")


def ok(run_cli: RunCli, *args: str, env: dict[str, str] | None = None) -> str:
    result = run_cli(*args, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


# -- due ---------------------------------------------------------------------------------------


def test_due_month_table(run_cli: RunCli):
    out = ok(run_cli, "due", *CAT, "--month", "2026-01", *TODAY)
    lines = out.splitlines()
    assert lines[0] == "Terminy: styczeń 2026 r.  (dziś: sob 10 sty 2026)"
    rows = {line.split()[-1]: line for line in lines if "@" in line}
    # id -> (date with weekday, working days left (calendar days; hand-counted: 6 January is
    # a holiday, 10 January a Saturday), form and part, level -> recipients, period in words)
    expected = {
        "mpips-01.dzial-1@rup/2025-12":
            ("pon 5 sty 2026", "3 dni rob. temu (5 dni)", "MPiPS-01 Dział 1", "rup → wup",
             "za grudzień 2025 r."),
        "mpips-01.dzial-2@rup/2025-Q4":
            ("pon 5 sty 2026", "3 dni rob. temu (5 dni)", "MPiPS-01 Dział 2", "rup → wup",
             "za IV kwartał 2025 r."),
        "mpips-01.dzial-1@wup/2025-12":
            ("śr 7 sty 2026", "2 dni rob. temu (3 dni)", "MPiPS-01 Dział 1", "wup → wus",
             "za grudzień 2025 r."),
        "mpips-01.zal-2@rup/2025-H2":
            ("pt 9 sty 2026", "0 dni rob. temu (1 dzień)", "MPiPS-01 Załącznik 2", "rup → wup",
             "za II półrocze 2025 r."),
        "mpips-01.zal-1@wup/2025-Q4":
            ("pon 12 sty 2026", "za 1 dzień rob. (2 dni)", "MPiPS-01 Załącznik 1", "wup → wus",
             "za IV kwartał 2025 r."),
        "mpips-02@wup/2025-12":
            ("wt 13 sty 2026", "za 2 dni rob. (3 dni)", "MPiPS-02", "wup → mpips-dz",
             "za grudzień 2025 r."),
        "mpips-02.zal@rup/2025":
            ("pon 19 sty 2026 *", "za 6 dni rob. (9 dni)", "MPiPS-02 Załącznik", "rup → wup",
             "za 2025 r."),
        "mpips-03@ops/2025":
            ("pt 30 sty 2026", "za 15 dni rob. (20 dni)", "MPiPS-03", "ops → wzps", "za 2025 r."),
    }  # fmt: skip
    assert len(rows) == 12
    for occ_id, cells in expected.items():
        line = rows[occ_id]
        assert re.match(r"\s+".join(re.escape(c) for c in cells), line), line
    # The shifted date is marked and the footnote explains the mark.
    assert "* termin przesunięty z dnia wolnego" in out
    assert "12 terminów" in out
    assert not ANSI.search(out), "no colour when the output is not a terminal"


def test_due_filters_by_level_and_form(run_cli: RunCli):
    data = json.loads(ok(run_cli, "due", *CAT, "--month", "2026-01", "--level", "ops", "--format",
                         "json", *TODAY))  # fmt: skip
    assert [d["id"] for d in data] == ["mpips-03@ops/2025"]
    data = json.loads(ok(run_cli, "due", *CAT, "--month", "2026-01", "--form", "mpips-02",
                         "--level", "wup", "--format", "json", *TODAY))  # fmt: skip
    assert [d["id"] for d in data] == ["mpips-02@wup/2025-12"]


def test_due_empty_month(run_cli: RunCli):
    out = ok(run_cli, "due", *CAT, "--month", "1992-01", *TODAY)
    assert "Brak terminów w tym okresie." in out


# -- the whole range, checked against a naive day-by-day reference -----------------------------


def naive_due(obligation: dict[str, object], period: str, is_holiday: object) -> tuple[str, str]:
    """Due and nominal date walking day by day over ``holidays`` membership (no library code)."""
    deadline = obligation["deadline"]
    assert isinstance(deadline, dict)
    year = int(period[:4])
    last_month = {"month": lambda: int(period[5:]), "quarter": lambda: int(period[6]) * 3,
                  "half-year": lambda: int(period[6]) * 6, "year": lambda: 12}[
        str(obligation["period"])]()  # fmt: skip
    total = year * 12 + last_month - 1 + int(deadline["months_after"])
    y, m = divmod(total, 12)
    m += 1

    def working(d: date) -> bool:
        return d.weekday() < 5 and not is_holiday(d)  # type: ignore[operator]

    if deadline["kind"] == "nth_working_day":
        d, count = date(y, m, 1), 0
        while True:
            count += working(d)
            if count == deadline["n"]:
                return d.isoformat(), d.isoformat()
            d += timedelta(days=1)
    nominal = date(y, m, int(str(deadline["day"])))
    d = nominal
    while not working(d):
        d += timedelta(days=1)
    return d.isoformat(), nominal.isoformat()


def test_due_whole_range_json(run_cli: RunCli):
    import holidays

    out = ok(run_cli, "due", *CAT, "--from", "1992-01-01", "--to", "2100-12-31", "--format", "json",
             *TODAY)  # fmt: skip
    data = json.loads(out)
    catalogue = {o["id"]: o for o in json.loads(ok(run_cli, "catalogue", *CAT, "--format", "json"))}
    # Per obligation: months 1992-01..2100-11 (1307; 2100-12 is due in 2101), quarters
    # 1992-Q1..2100-Q3 (435), half-years 1992-H1..2100-H1 (217), first halves only 1992..2100
    # (109), years 1992..2099 (108; 2100 is due in 2101).
    per_kind = {"month": 1307, "quarter": 435, "half-year": 217, "year": 108}
    counts = Counter(d["obligation"] for d in data)
    dated = {oid: o for oid, o in catalogue.items() if o["deadline"] is not None}
    assert len(dated) == 16
    for oid, ob in dated.items():
        expected = 109 if ob["periods"] == [1] else per_kind[ob["period"]]
        assert counts[oid] == expected, oid
    assert len(data) == 4 * 1307 + 4 * 435 + 2 * 217 + 2 * 109 + 4 * 108 == 8052
    assert [(d["due"], d["id"]) for d in data] == sorted((d["due"], d["id"]) for d in data)
    required = {"id", "obligation", "form", "part", "level", "recipients", "period", "due",
                "nominal", "basis"}  # fmt: skip
    assert all(required <= d.keys() for d in data)
    assert len({d["id"] for d in data}) == len(data)
    # Every date equals a naive walk over the `holidays` library itself.
    pl = holidays.country_holidays("PL", years=range(1992, 2101))
    wrong = [
        (d["id"], d["due"], expected)
        for d in data
        if (d["due"], d["nominal"])
        != (expected := naive_due(catalogue[d["obligation"]], d["period"], pl.__contains__))
    ]
    assert not wrong, wrong[:10]
    by_id = {d["id"]: d for d in data}
    first = by_id["mpips-01.dzial-1@rup/1992-01"]
    assert (first["due"], first["level"], first["recipients"]) == ("1992-02-04", "rup", ["wup"])
    assert first["basis"].startswith("§ 3 ust. 1 pkt 1 zarządzenia nr 4 MPiPS")
    assert by_id["mpips-02@wup/2018-10"]["due"] == "2018-11-13"


# -- explain -----------------------------------------------------------------------------------


def test_explain_counted_and_skipped_days(run_cli: RunCli):
    out = ok(run_cli, "explain", "mpips-02@wup/2018-10", *TODAY)
    lines = out.splitlines()
    assert lines[0] == "mpips-02@wup/2018-10"
    for expected in [
        "Okres: za październik 2018 r. (01.10.2018–31.10.2018)",
        "Podstawa: § 3 ust. 4 pkt 3 zarządzenia nr 4 MPiPS z dnia 11 lutego 1992 r. "
        "(Dz.Urz.MPiPS.1992.2.3)",
        "Reguła: 7. dzień roboczy miesiąca po okresie",
        "  czw 1 lis 2018 — pominięty: święto: Uroczystość Wszystkich Świętych",
        "  pt 2 lis 2018 — 1. dzień roboczy",
        "  sob 3 lis 2018 — pominięty: sobota",
        "  pt 9 lis 2018 — 6. dzień roboczy",
        "  niedz 11 lis 2018 — pominięty: niedziela i święto: Narodowe Święto Niepodległości",
        "  pon 12 lis 2018 — pominięty: święto: Narodowe Święto Niepodległości - 100-lecie",
        "  wt 13 lis 2018 — 7. dzień roboczy",
        "Termin: wtorek, 13 listopada 2018 r.",
    ]:
        assert expected in lines
    quote = "  „sprawozdanie miesięczne na formularzu MPiPS-02"
    assert any(line.startswith(quote) for line in lines)


def test_explain_shift_and_its_basis(run_cli: RunCli):
    lines = ok(run_cli, "explain", "mpips-03@wzps/2025", *TODAY).splitlines()
    assert "Kto → komu: wojewódzki zespół pomocy społecznej (wzps) → Departament Pomocy " \
        "Społecznej Ministerstwa Pracy i Polityki Socjalnej (mpips-dps), wojewódzki urząd " \
        "statystyczny (wus)" in lines
    for expected in [
        "Reguła: 15. dzień 2. miesiąca po okresie, a gdy to dzień wolny — najbliższy następny "
        "dzień roboczy",
        "Data nominalna: niedziela, 15 lutego 2026 r. — dzień wolny (niedziela)",
        "Przesunięcie na najbliższy następny dzień roboczy:",
        "  niedz 15 lut 2026 — pominięty: niedziela",
        "  pon 16 lut 2026 — dzień roboczy",
        "Termin: poniedziałek, 16 lutego 2026 r.",
    ]:
        assert expected in lines
    basis = "Podstawa przesunięcia: art. 115 Kodeksu cywilnego"
    assert any(line.startswith(basis) for line in lines)


def test_explain_json(run_cli: RunCli):
    data = json.loads(ok(run_cli, "explain", "mpips-01.dzial-1@rup/2025-12", "--format", "json",
                         *TODAY))  # fmt: skip
    assert data["due"] == "2026-01-05"
    assert [(t["date"], t["count"], t["reason"]) for t in data["trail"]] == [
        ("2026-01-01", None, "święto: Nowy Rok"),
        ("2026-01-02", 1, None),
        ("2026-01-03", None, "sobota"),
        ("2026-01-04", None, "niedziela"),
        ("2026-01-05", 2, None),
    ]


def test_explain_undated_obligation(run_cli: RunCli):
    lines = ok(run_cli, "explain", "mpips-01.zbiorcze@wup", *TODAY).splitlines()
    assert lines[0] == "mpips-01.zbiorcze@wup"
    for expected in [
        "Kto → komu: wojewódzki urząd pracy (wup) → —",
        "Obowiązuje: od okresu 1992-07, bez daty końcowej",
        "Termin: bez własnego terminu",
        "Podstawa: § 3 ust. 4 pkt 2 zarządzenia nr 4 MPiPS z dnia 11 lutego 1992 r. "
        "(Dz.Urz.MPiPS.1992.2.3)",
    ]:
        assert expected in lines


# -- workdays, catalogue, check ----------------------------------------------------------------


def test_workdays_november_2018(run_cli: RunCli):
    out = ok(run_cli, "workdays", "--month", "2018-11", *TODAY)
    lines = out.splitlines()
    assert lines[0] == "Listopad 2018 r. — 20 dni roboczych"
    assert "  pon    wt    śr   czw    pt   sob niedz" in lines
    assert "                     1*    2     3·    4·" in lines
    assert "  12*   13    14    15    16    17·   18·" in lines
    assert lines[-3:] == [
        "  czw 1 lis 2018 — święto: Uroczystość Wszystkich Świętych",
        "  niedz 11 lis 2018 — niedziela i święto: Narodowe Święto Niepodległości",
        "  pon 12 lis 2018 — święto: Narodowe Święto Niepodległości - 100-lecie",
    ]
    data = json.loads(ok(run_cli, "workdays", "--month", "2018-11", "--format", "json", *TODAY))
    assert data["working_days"] == 20
    assert [d["date"] for d in data["days"] if d["holiday"]] == [
        "2018-11-01", "2018-11-11", "2018-11-12",
    ]  # fmt: skip


def test_catalogue_table_and_json(run_cli: RunCli):
    out = ok(run_cli, "catalogue", *CAT, *TODAY)
    assert out.startswith("Zarządzenie nr 4 Ministra Pracy i Polityki Socjalnej z dnia 11 lutego")
    rows = [line for line in out.splitlines() if line.startswith("mpips-")]
    assert len(rows) == 18
    zbiorcze = next(r for r in rows if r.startswith("mpips-01.zbiorcze@wup"))
    assert "bez własnego terminu" in zbiorcze and "§ 3 ust. 4 pkt 2" in zbiorcze
    assert "od 1992-07" in zbiorcze
    assert "Przepisy bez własnych terminów (proweniencja):" in out
    assert "  § 6: Od dnia 1 stycznia 1993 r." in out
    data = json.loads(ok(run_cli, "catalogue", *CAT, "--format", "json", *TODAY))
    assert len(data) == 18
    ob = next(o for o in data if o["id"] == "mpips-03a@ops")
    assert (ob["period"], ob["periods"], ob["basis"], ob["valid_from"]) == (
        "half-year", [1], "§ 3 ust. 3 zarządzenia nr 4 MPiPS z dnia 11 lutego 1992 r.", "1992-01",
    )  # fmt: skip
    assert ob["deadline"]["day"] == 15 and ob["deadline"]["if_non_working"] == "next"


def test_check_clean(run_cli: RunCli):
    result = run_cli("check", str(CATALOGUE_1992), *TODAY)
    assert result.returncode == 0
    assert result.stdout.startswith("Poprawne: 1 plik, 18 obowiązków")
    assert result.stderr == ""


def test_check_lists_every_error(run_cli: RunCli, tmp_path: Path):
    good = Path(__file__).parent.parent / "calendars" / "mpips-1992.toml"
    text = good.read_text(encoding="utf-8")
    text = text.replace('deadline = { kind = "nth_working_day", n = 2 }',
                        'deadline = { kind = "nth_working_day", n = 40 }', 1)  # fmt: skip
    text = text.replace('level = "ops"', 'level = "gops"', 1)
    text = text.replace('period = "year"', 'period = "annual"', 1)
    bad = tmp_path / "zly.toml"
    bad.write_text(text, encoding="utf-8")
    result = run_cli("check", str(bad), *TODAY)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith(str(bad))]
    assert len(errors) == 3
    assert "wpis „mpips-01.dzial-1@rup”, pole „deadline.n”" in errors[0]
    assert "3 błędy — po poprawieniu należy ponownie uruchomić terminarz check" in result.stderr


# -- mistakes: Polish, one paragraph, exit 2, never a traceback --------------------------------

MISTAKES = [
    pytest.param(("due", "--from", "2026-01-01", "--to", "2101-01-01"),
                 r"--to: kalendarz dni roboczych obejmuje lata 1990–2100; 2101 r\. jest poza",
                 id="range beyond 2100"),
    pytest.param(("due", "--month", "1989-12"),
                 r"--month: kalendarz dni roboczych obejmuje lata 1990–2100; 1989 r\. jest poza",
                 id="month before 1990"),
    pytest.param(("due", "--month", "2026-13"), r"--month: „2026-13” nie jest miesiącem",
                 id="bad month"),
    pytest.param(("due", "--from", "2026-02-30", "--to", "2026-03-31"),
                 r"--from: „2026-02-30” nie jest datą; należy ją podać jako DD.MM.RRRR "
                 r"albo RRRR-MM-DD",
                 id="bad date"),
    pytest.param(("due", "--month", "2026-01", "--today", "jutro"),
                 r"--today: „jutro” nie jest datą", id="bad --today"),
    pytest.param(("due", "--from", "2026-03-01", "--to", "2026-02-01"),
                 r"--to \(2026-02-01\) jest wcześniej niż --from", id="range backwards"),
    pytest.param(("due", "--from", "2026-03-01"), r"--from i --to trzeba podać razem",
                 id="from without to"),
    pytest.param(("due", *CAT, "--level", "gops"),
                 r"--level: nieznany poziom „gops”; znane poziomy: ops, rup, wup, wzps",
                 id="unknown level"),
    pytest.param(("due", *CAT, "--form", "MPiPS-99"),
                 r"--form: nieznany formularz „MPiPS-99”; znane formularze: MPiPS-01",
                 id="unknown form"),
    pytest.param(("explain", "mpips-99@ops/2025"),
                 r"nieznany obowiązek „mpips-99@ops”; listę pokazuje: terminarz catalogue",
                 id="unknown occurrence id"),
    pytest.param(("explain", "mpips-03a@ops/2025-H2"),
                 r"obowiązek „mpips-03a@ops” nie ma wystąpienia za okres 2025-H2",
                 id="period that does not apply"),
    pytest.param(("explain", "mpips-01.dzial-1@rup/1991-12"),
                 r"nie ma wystąpienia za okres 1991-12 .*od okresu 1992-01",
                 id="period before the act applies"),
    pytest.param(("explain", "mpips-03@ops/2025-Q5"), r"„mpips-03@ops/2025-Q5” nie jest "
                 r"identyfikatorem wystąpienia", id="malformed occurrence id"),
    pytest.param(("explain", "mpips-01.zbiorcze@wup/2025-10"),
                 r"obowiązek „mpips-01.zbiorcze@wup” nie ma własnego terminu",
                 id="period of an undated obligation"),
    pytest.param(("workdays", "--month", "2101-01"),
                 r"kalendarz dni roboczych obejmuje lata 1990–2100; rok 2101", id="year 2101"),
    pytest.param(("due", "--catalogue", "/nie/ma/takiego.toml"),
                 r"/nie/ma/takiego.toml: plik nie istnieje", id="missing catalogue file"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), MISTAKES)
def test_user_mistakes(run_cli: RunCli, args: tuple[str, ...], message: str):
    if "--today" not in args:
        args = (*args, *TODAY)
    result = run_cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    text = result.stderr.strip()
    assert text.startswith("terminarz: błąd: ")
    assert "\n" not in text, "one paragraph"
    assert re.search(message, text), text


@pytest.mark.parametrize(
    "args",
    [("due", "--format", "xml"), ("due", "--bogus"), ("explain",)],
    ids=["bad choice", "unknown option", "missing argument"],
)
def test_argument_errors_in_polish(run_cli: RunCli, args: tuple[str, ...]):
    result = run_cli(*args, *TODAY)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("użycie: terminarz")
    assert "błąd: " in result.stderr
    assert not re.search(r"\b(error|usage|invalid|required)\b", result.stderr)


# -- colour ------------------------------------------------------------------------------------


def run_in_terminal(exe: Path, args: list[str], env: dict[str, str], columns: int = 0) -> str:
    """Run with stdout on a pseudo-terminal (``columns`` wide, when given); return what the
    terminal received."""
    main, secondary = pty.openpty()
    if columns:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    try:
        proc = subprocess.Popen(
            [str(exe), *args], stdout=secondary, stderr=subprocess.PIPE, env=env
        )
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO once the child has closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=60)
    finally:
        os.close(main)
    return b"".join(chunks).decode("utf-8")


@pytest.mark.parametrize(("no_color", "coloured"), [(None, True), ("1", False)],
                         ids=["terminal: colour", "terminal with NO_COLOR: none"])  # fmt: skip
def test_colour_only_on_a_terminal_without_no_color(
    terminarz_exe: Path, no_color: str | None, coloured: bool
):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm"
    if no_color is not None:
        env["NO_COLOR"] = no_color
    out = run_in_terminal(terminarz_exe, ["due", *CAT, "--month", "2026-01", *TODAY], env)
    assert "Terminy: styczeń 2026 r." in out
    assert bool(ANSI.search(out)) is coloured

"""The real ``terminarz`` console script with an organisation file: due, who, request, check,
explain — on the example organisations and on small files written by the tests.

Every run passes ``--today`` so nothing depends on the real date.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from terminarz.paths import calendars_dir

RunCli = Callable[..., subprocess.CompletedProcess[str]]
EXAMPLE = str(calendars_dir() / "examples" / "osrodek-1992.toml")
LABOUR = str(calendars_dir() / "examples" / "urzad-pracy.toml")
NOV = ("--today", "2026-11-24")


def ok(run_cli: RunCli, *args: str, env: dict[str, str] | None = None) -> str:
    result = run_cli(*args, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def fails(run_cli: RunCli, *args: str) -> str:
    result = run_cli(*args)
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    return result.stderr


# -- due ------------------------------------------------------------------------------------


def test_due_shows_substitute_and_why(run_cli: RunCli):
    out = ok(run_cli, "due", "--config", EXAMPLE, "--month", "2027-02", *NOV)
    lines = out.splitlines()
    assert lines[0] == "Terminy: luty 2027 r.  (dziś: wt 24 lis 2026)"
    assert lines[1] == "Miejski Ośrodek Pomocy Rodzinie w Przykładowie"
    row = next(line for line in lines if line.endswith("mpips-03@ops/2026"))
    assert row.split("  ")[0] == "pon 1 lut 2027 *"
    assert "kier-dokip, prac-dokip (zastępstwo)" in row
    why = next(line for line in lines if line.startswith("  mpips-03@ops/2026: zastępstwo"))
    assert why == (
        "  mpips-03@ops/2026: zastępstwo — grupa zastępcza nr 1 (kier-dokip, prac-dokip), bo "
        "cała wcześniejsza grupa jest nieobecna w okresie przygotowania: kier-dsps (pon 18 sty "
        "2027–pt 5 lut 2027 Urlop wypoczynkowy), zast-dsps (pon 25 sty 2027–pt 12 lut 2027 "
        "zwolnienie lekarskie), prac-dsps (śr 27 sty 2027–wt 2 lut 2027 szkolenie wyjazdowe)"
    )
    assert lines[-1] == "1 termin"


def test_due_json_carries_the_resolution(run_cli: RunCli):
    data = json.loads(ok(run_cli, "due", "--config", EXAMPLE, "--month", "2027-02", *NOV,
                         "--format", "json"))  # fmt: skip
    assert len(data) == 1
    item = data[0]
    assert (item["id"], item["due"], item["responsible"], item["tier"], item["substitute"]) == (
        "mpips-03@ops/2026", "2027-02-01", ["kier-dokip", "prac-dokip"], 1, True,
    )  # fmt: skip
    assert item["needs_designation"] is False and item["unassigned"] is False
    assert {a["person"] for a in item["absent"]} == {"kier-dsps", "zast-dsps", "prac-dsps"}
    # DOKiP, which holds the data, prepares the report itself: no request, no delivery (II.4)
    assert item["tasks"] == []
    assert [t["id"] for t in item["tasks_left_out"]] == [
        "mpips-03@ops/2026#prosba:dokip", "mpips-03@ops/2026#dane:dokip",
    ]  # fmt: skip
    assert item["handed_over"] == {
        "from": ["dsps"], "to": ["dokip"], "people": ["kier-dokip", "prac-dokip"],
        "kind": "zastępstwo",
        "words": "przekazane: zastępstwo — Dział Organizacji, Kadr i Płac",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("person", "month", "expected"),
    [
        ("kier-dokip", "2027-02", ["mpips-03@ops/2026"]),
        ("prac-dokip", "2027-02", ["mpips-03@ops/2026"]),
        ("kier-dsps", "2027-02", []),
        ("kier-dsps", "2026-07", ["mpips-03a@ops/2026-H1"]),
        ("dyrektor", "2026-07", []),
    ],
    ids=["substitute-head", "substitute-worker", "absent-primary", "primary", "fallback-idle"],
)
def test_due_for_one_person(run_cli: RunCli, person: str, month: str, expected: list[str]):
    out = ok(run_cli, "due", "--config", EXAMPLE, "--person", person, "--month", month, *NOV)
    found = [line.split()[-1] for line in out.splitlines() if line.endswith(("H1", "2026"))
             and "@" in line]  # fmt: skip
    assert found == expected
    assert f"({person})" in out.splitlines()[1]


def test_due_for_a_unit_lists_its_tasks(run_cli: RunCli):
    # DOKiP substitutes for MPiPS-03 for 2026 and holds its data: nothing to deliver to itself
    out = ok(run_cli, "due", "--config", EXAMPLE, "--unit", "dokip", "--month", "2027-01", *NOV)
    assert "Brak terminów w tym okresie." in out
    assert "mpips-03@ops/2026#dane:dokip" not in out
    assert out.splitlines()[-1] == "0 terminów"
    # in July the report is DŚPS's, and DOKiP delivers its data
    out = ok(run_cli, "due", "--config", EXAMPLE, "--unit", "dokip", "--month", "2026-07", *NOV)
    assert (
        "  pon 6 lip 2026 — Dostarczyć dane: Dział Organizacji, Kadr i Płac → "
        "mpips-03a@ops/2026-H1; odpowiada: Kierownik Działu Organizacji, Kadr i Płac "
        "(kier-dokip)  [mpips-03a@ops/2026-H1#dane:dokip]"
    ) in out.splitlines()


def test_due_planning_date_and_designation(run_cli: RunCli):
    out = ok(run_cli, "due", "--config", EXAMPLE, "--month", "2027-07", "--today", "2027-06-01")
    row = next(line for line in out.splitlines() if line.endswith("mpips-03a@ops/2027-H1"))
    assert row.startswith("czw 15 lip 2027 (planowo śr 14 lip 2027)")
    assert "prac-dokip (wyznaczenie)" in row


@pytest.mark.parametrize(
    ("option", "message"),
    [(("--person", "nikt"), "--person: nieznana osoba „nikt”; osoby: dyrektor, kier-dsps"),
     (("--unit", "dzial"),
      "--unit: nieznany dział „dzial”; działy: dyrekcja, dsps, dsr, dokip, di")],
    ids=["person", "unit"],
)  # fmt: skip
def test_due_unknown_person_or_unit(run_cli: RunCli, option: tuple[str, str], message: str):
    assert message in fails(run_cli, "due", "--config", EXAMPLE, *option, *NOV)


def test_due_person_without_config(run_cli: RunCli, tmp_path: Path):
    result = subprocess.run(
        [*_exe(run_cli), "due", "--person", "x", *NOV], capture_output=True, text=True,
        cwd=tmp_path, env=_env_without_config(), check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--person i --unit wymagają pliku organizacji (--config PLIK)" in result.stderr


# -- small organisation files: nobody available, no duty -----------------------------------

SMALL = """\
[organisation]
id = "maly"
name = "Mały Ośrodek"
levels = ["ops"]
catalogues = ["mpips-1992"]

[[units]]
id = "ops"
name = "Ośrodek"
head = "dyr"

[[people]]
id = "a"
name = "Pracownik A"
email = "a@example.org"
unit = "ops"
system_access = true

[[people]]
id = "dyr"
name = "Dyrektor"
email = "dyr@example.org"
unit = "ops"

[[duties]]
obligations = ["mpips-03@ops"]
tiers = [["a"]]
fallback = "dyr"
basis = "pkt 1"

[[absences]]
person = "a"
from = 2027-01-01
to = 2027-02-28
reason = "urlop macierzyński"
"""


def test_nobody_available_and_unassigned(run_cli: RunCli, tmp_path: Path):
    config = tmp_path / "maly.toml"
    config.write_text(SMALL, encoding="utf-8")
    out = ok(run_cli, "due", "--config", str(config), "--from", "2027-01-01", "--to",
             "2027-07-31", *NOV)  # fmt: skip
    rows = {line.split()[-1]: line for line in out.splitlines() if line.endswith(("2026", "H1"))}
    assert "wymaga wyznaczenia — dyr" in rows["mpips-03@ops/2026"]
    assert "BRAK PRZYPISANIA (brak wpisu w [[duties]])" in rows["mpips-03a@ops/2027-H1"]
    assert ("  mpips-03@ops/2026: wymaga wyznaczenia — nikt z grup nie jest dostępny w okresie "
            "przygotowania (nieobecni: a (pt 1 sty 2027–niedz 28 lut 2027 urlop macierzyński)); "
            "wyznacza: Dyrektor (dyr) na podstawie wewnętrznej procedury obsługi sprawozdań"
            ) in out.splitlines()  # fmt: skip
    who = ok(run_cli, "who", "mpips-03@ops/2026", "--config", str(config), *NOV)
    assert who.splitlines()[-1] == "Odpowiada: nikt — WYMAGA WYZNACZENIA przez: Dyrektor (dyr)"
    # check reports the obligation without a duty as an error
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2
    assert (f"{config}(25), wpis „mpips-03a@ops”: obowiązek „mpips-03a@ops” (MPiPS-03a) nie ma "
            "przypisanych osób: należy go dodać do „obligations” jednego z wpisów [[duties]]"
            ) in result.stderr.splitlines()  # fmt: skip
    assert "1 błąd — po poprawieniu należy ponownie uruchomić terminarz check" in result.stderr


# -- who ------------------------------------------------------------------------------------


def test_who_explains_the_substitution(run_cli: RunCli):
    out = ok(run_cli, "who", "mpips-03@ops/2026", "--config", EXAMPLE, *NOV)
    lines = out.splitlines()
    assert lines[0] == "mpips-03@ops/2026"
    assert lines[2] == "Termin: poniedziałek, 1 lutego 2027 r."
    assert "  2. (zastępcza nr 1) Kierownik Działu Organizacji, Kadr i Płac (kier-dokip), " \
        "Pracownik DOKiP wyznaczony przez kierownika działu (prac-dokip)" in lines
    assert "Wyznacza zastępstwo: Dyrektor Ośrodka (dyrektor)" in lines
    assert ("  Kierownik Działu Świadczeń Pomocy Społecznej (kier-dsps) — nieobecność: od pon 18 "
            "sty 2027 do pt 5 lut 2027 (Urlop wypoczynkowy; źródło: urlopy.ics)") in lines
    assert ("Odpowiada: Kierownik Działu Organizacji, Kadr i Płac (kier-dokip), Pracownik DOKiP "
            "wyznaczony przez kierownika działu (prac-dokip) [zastępstwo]") in lines
    assert "Zadania wewnętrzne:" in lines


def test_who_json(run_cli: RunCli):
    data = json.loads(ok(run_cli, "who", "mpips-03a@ops/2027-H1", "--config", EXAMPLE, *NOV,
                         "--format", "json"))  # fmt: skip
    assert data["planning_date"] == "2027-07-14"
    assert data["designation"]["person"] == "prac-dokip"
    assert data["responsible"] == ["prac-dokip"]


@pytest.mark.parametrize(
    ("args", "message"),
    [(("who", "mpips-03@ops/2026", "--config", EXAMPLE), None),
     (("who", "mpips-09@ops/2026", "--config", EXAMPLE),
      "nieznany obowiązek „mpips-09@ops”; listę pokazuje: terminarz catalogue"),
     (("who", "mpips-03@ops/2026-07", "--config", EXAMPLE),
      "obowiązek „mpips-03@ops” nie ma wystąpienia za okres 2026-07 (okresy: rok)"),
     (("who", "mpips-03@ops", "--config", EXAMPLE),
      "„mpips-03@ops” nie jest identyfikatorem wystąpienia; oczekiwano postaci "
      "<obowiązek>/<okres>, np. mpips-03@ops/2025"),
     (("request", "mpips-03@ops/2026", "--unit", "di", "--config", EXAMPLE),
      "--unit: „di” nie dostarcza danych do mpips-03@ops/2026; dostawcy danych: dokip"),
     (("who", "mpips-03@ops/2026", "--config", "/nie/ma/pliku.toml"),
      "/nie/ma/pliku.toml: plik nie istnieje")],
    ids=["ok", "unknown-obligation", "wrong-period", "not-an-occurrence", "request-unknown-unit",
         "missing-config"],
)  # fmt: skip
def test_who_and_request_mistakes(run_cli: RunCli, args: tuple[str, ...], message: str | None):
    if message is None:
        ok(run_cli, *args, *NOV)
    else:
        assert message in fails(run_cli, *args, *NOV)


def test_who_needs_an_organisation(run_cli: RunCli, tmp_path: Path):
    result = subprocess.run(
        [*_exe(run_cli), "who", "mpips-03@ops/2026", *NOV], capture_output=True, text=True,
        cwd=tmp_path, env=_env_without_config(), check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "„terminarz who” potrzebuje pliku organizacji: należy podać --config PLIK" \
        in result.stderr  # fmt: skip


# -- request ----------------------------------------------------------------------------------


def test_request_prints_a_usable_letter(run_cli: RunCli):
    out = ok(run_cli, "request", "mpips-03a@ops/2026-H1", "--unit", "dokip", "--config", EXAMPLE,
             "--today", "2026-06-15")  # fmt: skip
    flat = " ".join(out.split())
    assert out.startswith("Miejski Ośrodek Pomocy Rodzinie w Przykładowie\n"
                          "Dział Świadczeń Pomocy Społecznej\n"
                          "Przykładowo, dnia 15 czerwca 2026 r.\n")  # fmt: skip
    assert "Kierownik Działu Organizacji, Kadr i Płac\nDział Organizacji, Kadr i Płac\n" in out
    assert "Prośba o przekazanie danych do sprawozdania MPiPS-03a za I półrocze 2026 r." in out
    assert "Na podstawie pkt II.4 Zasad obsługi sprawozdań przekazywanych przez system CAS" in flat
    assert "Termin dostarczenia danych: poniedziałek, 6 lipca 2026 r." in out
    assert "liczba pracowników ośrodka, w tym pracowników socjalnych" in flat
    assert "\nKierownik Działu Świadczeń Pomocy Społecznej\n" in out  # signatory


def test_request_html(run_cli: RunCli):
    out = ok(run_cli, "request", "mpips-03a@ops/2026-H1", "--unit", "dokip", "--config", EXAMPLE,
             "--today", "2026-06-15", "--format", "html")  # fmt: skip
    assert out.startswith("<!DOCTYPE html>")
    assert "<strong>Termin dostarczenia danych: poniedziałek, 6 lipca 2026 r.</strong>" in out
    assert out.rstrip().endswith("</html>")


def test_request_to_an_outside_body(run_cli: RunCli):
    out = ok(run_cli, "request", "mpips-02@rup/2026-01", "--unit", "bank", "--config", LABOUR,
             "--today", "2026-01-30")  # fmt: skip
    assert "Bank prowadzący rachunek Funduszu Pracy\nobsluga.jst@bank.example.org\n" in out
    assert "Na podstawie § 4 zarządzenia nr 12/2025 Dyrektora Urzędu" in " ".join(out.split())


# -- check and explain ----------------------------------------------------------------------


def test_examples_pass_check(run_cli: RunCli):
    result = run_cli("check", "--config", EXAMPLE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Poprawne: organizacja mopr-przyklad: 11 osób, 3 przydziały")
    # The DŚR and IT duties (I.5, I.6) have no reports in the 1992 catalogue: warnings only.
    warnings = result.stderr.splitlines()
    assert all(": ostrzeżenie: wzorzec „" in line for line in warnings)
    assert [line.split("„")[3].split("”")[0] for line in warnings] == [
        "swiadczenia-rodzinne*@ops", "fundusz-alimentacyjny*@ops", "zbior-centralny*@ops",
    ]  # fmt: skip
    result = run_cli("check", "--config", LABOUR)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == ("Poprawne: organizacja up-przyklad: 7 osób, 5 przydziałów "
                             "obowiązków, 14 obowiązków poziomu rup, wup\n")  # fmt: skip


def test_check_reports_every_mistake(run_cli: RunCli, tmp_path: Path):
    text = Path(EXAMPLE).read_text(encoding="utf-8")
    text = (text.replace('email = "kadry@example.org"', 'email = "kadry(at)example.org"')
            .replace('fallback = "dyrektor"                          # pkt II.5',
                     'fallback = "prezes"')
            .replace('target = "mpips-03a@ops/2027-H1"', 'target = "mpips-03a@ops/2027-H2"')
            .replace('source = "urlopy.ics"', 'source = "brak.ics"'))  # fmt: skip
    config = tmp_path / "zly.toml"
    config.write_text(text, encoding="utf-8")
    (tmp_path / "brak.ics").write_text("BEGIN:VCALENDAR\n", encoding="utf-8")
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith(str(config))
              and "ostrzeżenie" not in line]  # fmt: skip
    assert len(errors) == 2, result.stderr  # the file's own errors stop the cross-checks
    assert "„kadry(at)example.org” nie jest adresem e-mail" in errors[0]
    assert "nieznana osoba „prezes”" in errors[1]
    assert "2 błędy — po poprawieniu należy ponownie uruchomić terminarz check" in result.stderr
    # with the file itself fixed, the cross-checks and the absence source are reported
    text = text.replace('"kadry(at)example.org"', '"kadry@example.org"').replace(
        'fallback = "prezes"', 'fallback = "dyrektor"')
    config.write_text(text, encoding="utf-8")
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2
    assert "obowiązek „mpips-03a@ops” nie ma wystąpienia za okres 2027-H2" in result.stderr
    assert f"{tmp_path / 'brak.ics'}: kalendarz nieobecności nie jest poprawnym plikiem " \
        "iCalendar" in result.stderr


def test_explain_shows_the_planning_date(run_cli: RunCli):
    out = ok(run_cli, "explain", "mpips-03a@ops/2027-H1", "--config", EXAMPLE, *NOV)
    assert out.splitlines()[-5:-2] == [
        "Termin: czwartek, 15 lipca 2027 r.",
        "W dniu terminu instytucja nie pracuje (dzień wolny w instytucji: dzień wolny za święto "
        "1 maja 2027 r. przypadające w sobotę (okres rozliczeniowy maj–sierpień)). Termin "
        "ustawowy się nie zmienia;",
        "data planowania: środa, 14 lipca 2027 r. — poprzedni dzień pracy instytucji.",
    ]
    data = json.loads(ok(run_cli, "explain", "mpips-03a@ops/2027-H1", "--config", EXAMPLE, *NOV,
                         "--format", "json"))  # fmt: skip
    assert (data["due"], data["planning_date"]) == ("2027-07-15", "2027-07-14")


# -- where the config comes from ------------------------------------------------------------


def _exe(run_cli: RunCli) -> list[str]:
    import shutil
    import sys

    found = shutil.which("terminarz", path=str(Path(sys.executable).parent))
    assert found
    return [found]


def _env_without_config() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("TERMINARZ_CONFIG", "NO_COLOR")}


def _due(cwd: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [*_exe(None), "due", "--month", "2027-02", *NOV, *args],  # type: ignore[arg-type]
        capture_output=True, text=True, cwd=cwd, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_config_lookup_order(tmp_path: Path):
    env = _env_without_config()
    plain = _due(tmp_path, env)
    assert "Odpowiada" not in plain  # no config: the bundled catalogues alone
    assert "sr@uw/2026-Q4" in plain  # every level, not only the organisation's
    assert "mpips-03@wzps/2026" not in plain  # a repealed act only when named
    small = tmp_path / "terminarz.toml"
    small.write_text(SMALL.replace('name = "Mały Ośrodek"', 'name = "Ośrodek z katalogu"'),
                     encoding="utf-8")  # fmt: skip
    assert "Ośrodek z katalogu" in _due(tmp_path, env).splitlines()[1]  # ./terminarz.toml
    env["TERMINARZ_CONFIG"] = EXAMPLE
    from_env = _due(tmp_path, env)
    assert "Miejski Ośrodek Pomocy Rodzinie w Przykładowie" in from_env.splitlines()[1]
    assert "mpips-03@wzps/2026" not in from_env  # only the organisation's level
    given = _due(tmp_path, env, "--config", str(small))
    assert "Ośrodek z katalogu" in given.splitlines()[1]  # --config wins


OWN_CATALOGUE = """\
[act]
id = "wlasny"
title = "Akt testowy"
short = "aktu testowego"

[parties]
ops = "ośrodek pomocy społecznej"
rada = "rada gminy"

[[obligations]]
id = "ocena@ops"
form = "OZPS"
title = "Ocena zasobów (test)"
level = "ops"
recipients = ["rada"]
period = "year"
deadline = { kind = "fixed", day = 30, months_after = 4 }
basis = { paragraph = "1" }
"""


def test_catalogue_path_relative_to_the_organisation_file(run_cli: RunCli, tmp_path: Path):
    (tmp_path / "katalogi").mkdir()
    (tmp_path / "katalogi" / "wlasny.toml").write_text(OWN_CATALOGUE, encoding="utf-8")
    text = (SMALL.replace('catalogues = ["mpips-1992"]', 'catalogues = ["katalogi/wlasny.toml"]')
            .replace('obligations = ["mpips-03@ops"]', 'obligations = ["ocena@ops"]'))  # fmt: skip
    config = tmp_path / "org.toml"
    config.write_text(text, encoding="utf-8")
    assert run_cli("check", "--config", str(config)).returncode == 0
    out = ok(run_cli, "due", "--config", str(config), "--month", "2026-04", *NOV)
    # 30 April 2026 is a Thursday; "a" is away only in 2027
    assert "czw 30 kwi 2026  " in out and "ocena@ops/2025" in out
    assert "mpips" not in out
    out = ok(run_cli, "explain", "ocena@ops/2025", "--config", str(config), *NOV)
    assert out.splitlines()[-1] == "Termin: czwartek, 30 kwietnia 2026 r."
    assert ok(run_cli, "who", "ocena@ops/2025", "--config", str(config), *NOV).splitlines()[-1] \
        == "Odpowiada: Pracownik A (a)"


def test_due_with_config_shows_confirmed_reports(tmp_path: Path):
    """``done`` then ``due --config``: the report shows as sent (✔, who) and in JSON."""
    env = _env_without_config() | {"XDG_DATA_HOME": str(tmp_path / "data")}
    before = _due(tmp_path, env, "--config", EXAMPLE)
    assert "✔" not in before and "zastępstwo" in before
    done = subprocess.run(
        [*_exe(None), "done", "mpips-03@ops/2026", "--config", EXAMPLE, "--by", "kier-dokip"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    after = _due(tmp_path, env, "--config", EXAMPLE)
    row = next(line for line in after.splitlines() if "mpips-03@ops/2026" in line)
    assert "✔ wysłano" in row and "Kierownik Działu Organizacji, Kadr i Płac" in row
    assert "Dlaczego:" not in after  # a sent report needs no explanation of who must send it
    data = json.loads(_due(tmp_path, env, "--config", EXAMPLE, "--format", "json"))
    assert data[0]["confirmed"]["by"] == "kier-dokip"

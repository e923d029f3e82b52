"""Confirmations cannot miss: ``done``/``undone`` write where the nightly run reads, and refuse
what does not exist for the organisation.

The organisation is ``tests/data/ops-substitution.toml`` (see ``test_substitution.py``):
OZPS for 2026 is due on Friday 30 April 2027, its data requested on Friday 9 April and
delivered by Wednesday 21 April (T-2 of the delivery: Monday 19 April).
OZPS for 2027 is due on 30 April 2028, a Sunday; 1 May (Monday) is a holiday, so the
report is due on Tuesday 2 May 2028 — hand-checked on a 2028 calendar.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RunCli, open_state
from test_substitution import ON_DUE_DATE, organisation

from terminarz.store.sqlite import SQLiteStore

ORG = "ops-test"
OCC = "ozps@ops/2026"
SECRET = "sekret-testowy-0123456789abcdef"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No organisation found by the usual search, and a private data directory."""
    home = tmp_path / "dane"
    return {"XDG_DATA_HOME": str(home), "TERMINARZ_CONFIG": "", "TERMINARZ_STATE_URL": "",
            "TERMINARZ_SECRET": SECRET}  # fmt: skip


def test_without_an_organisation_done_refuses_and_writes_nothing(
    tmp_path: Path, run_cli: RunCli, env: dict[str, str]
) -> None:
    for command in ("done", "undone"):
        result = run_cli(command, "sr@ops/2026-Q3", env=env)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert f"„terminarz {command}” zapisuje w bazie stanu organizacji, a nie znaleziono " \
            "pliku organizacji: należy podać --config PLIK, ustawić zmienną TERMINARZ_CONFIG" \
            in result.stderr  # fmt: skip
        assert "--state PLIK|URL" in result.stderr
    assert not (tmp_path / "dane").exists()  # no default store created


def test_without_an_organisation_a_named_store_is_used(
    tmp_path: Path, run_cli: RunCli, env: dict[str, str]
) -> None:
    state = tmp_path / "wskazana.sqlite3"
    result = run_cli("done", "sr@ops/2026-Q3", "--state", str(state), "--today", "2026-11-30",
                     env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "przebieg nocny organizacji go nie widzi" in result.stderr
    with SQLiteStore(state, "") as store:
        assert set(store.confirmations()) == {"sr@ops/2026-Q3"}
    assert not (tmp_path / "dane").exists()


def test_done_records_where_the_nightly_run_reads(
    tmp_path: Path, run_cli: RunCli, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found through TERMINARZ_CONFIG, from another folder: the store is the file's
    ``[state] path`` (relative to the file), the one ``remind`` uses; the next night sends
    nothing for the confirmed report."""
    config = organisation(tmp_path / "org")
    elsewhere = tmp_path / "gdzie-indziej"
    elsewhere.mkdir()
    with_config = {**env, "TERMINARZ_CONFIG": str(config)}
    night = ("remind", "--today", "2027-04-19", "--dry-run")
    before = run_cli(*night, env=with_config)
    assert before.returncode == 0, before.stderr
    assert "przypomnienie" in before.stdout and "10 dni roboczych przed terminem " in before.stdout
    monkeypatch.chdir(elsewhere)
    done = run_cli("done", OCC, "--by", "kier-dsps", "--today", "2027-04-19", "-v",
                   env=with_config)  # fmt: skip
    assert done.returncode == 0, done.stderr
    state = tmp_path / "org" / "stan.sqlite3"
    assert f"baza stanu: {state} ([state] path w pliku {config})" in done.stderr
    with open_state(state, ORG) as store:
        assert set(store.confirmations()) == {OCC}
    assert not list(elsewhere.iterdir()) and not (tmp_path / "dane").exists()
    after = run_cli(*night, env=with_config)
    assert "Brak wiadomości do wysłania." in after.stdout


def test_the_state_url_wins_for_done_and_the_night_alike(
    tmp_path: Path, run_cli: RunCli, env: dict[str, str]
) -> None:
    config = organisation(tmp_path)
    shared = tmp_path / "wspolna.sqlite3"
    with_url = {**env, "TERMINARZ_STATE_URL": f"sqlite:///{shared}"}
    done = run_cli("done", OCC, "--config", str(config), "--today", "2027-04-19", env=with_url)
    assert done.returncode == 0, done.stderr
    with open_state(shared, ORG) as store:
        assert set(store.confirmations()) == {OCC}
    assert not (tmp_path / "stan.sqlite3").exists()
    night = run_cli("remind", "--config", str(config), "--today", "2027-04-19", "--dry-run",
                    env=with_url)  # fmt: skip
    assert "Brak wiadomości do wysłania." in night.stdout


# id, --today → the Polish error (a fragment)
REFUSED = [
    pytest.param("mrips-03-p@uw/2026", "2027-03-01",
                 "„mrips-03-p@uw/2026”: organizacja ops-test nie ma obowiązku mrips-03-p@uw "
                 "(poziom uw; jej poziomy: ops)", id="another-level"),
    pytest.param("mrips-03-p@ops/2026", "2027-03-01",
                 "organizacja ops-test nie ma obowiązku mrips-03-p@ops", id="not-selected"),
    pytest.param("ozps@ops/2027", "2027-05-01",
                 "„ozps@ops/2027”: termin (2 maja 2028 r.) przypada ponad rok po dniu "
                 "dzisiejszym (1 maja 2027 r.); potwierdzić można wystąpienie z terminem nie "
                 "późniejszym niż 1 maja 2028 r.", id="due-a-year-and-a-day-ahead"),
    pytest.param("ozps@ops/2029", "2026-11-30", "„ozps@ops/2029”: termin (30 kwietnia 2030 r.)",
                 id="year-typo"),
    pytest.param("ozps@ops/2026-Q1", "2027-03-01",
                 "obowiązek „ozps@ops” nie ma wystąpienia za okres 2026-Q1", id="unknown-period"),
    pytest.param("ozps@ops/2026#dane:di", "2027-03-01",
                 "„ozps@ops/2026#dane:di”: ozps@ops/2026 nie ma danych od „di”; dostawcy danych: "
                 "dokip, dfk", id="unknown-task"),
    pytest.param("ozps@ops/2026#termin", "2027-03-01",
                 "termin obowiązku ozps@ops wynika z aktu", id="no-find-date-task"),
]


@pytest.mark.parametrize(("occurrence", "today", "message"), REFUSED)
def test_done_refuses_what_the_organisation_does_not_have(
    tmp_path: Path, run_cli: RunCli, env: dict[str, str], occurrence: str, today: str,
    message: str,
) -> None:  # fmt: skip
    config = organisation(tmp_path)
    result = run_cli("done", occurrence, "--config", str(config), "--today", today, env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in result.stderr
    assert not (tmp_path / "stan.sqlite3").exists()  # nothing written


def test_a_year_ahead_to_the_day_is_accepted(
    tmp_path: Path, run_cli: RunCli, env: dict[str, str]
) -> None:
    config = organisation(tmp_path)
    result = run_cli("done", "ozps@ops/2027", "--config", str(config), "--today", "2027-05-02",
                     env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_a_task_left_out_cannot_be_confirmed(
    tmp_path: Path, run_cli: RunCli, env: dict[str, str]
) -> None:
    config = organisation(tmp_path, ON_DUE_DATE)
    result = run_cli("done", f"{OCC}#dane:dokip", "--config", str(config), "--today",
                     "2027-03-01", env=env)  # fmt: skip
    assert result.returncode == 2
    assert f"„{OCC}#dane:dokip”: takiego zadania nie ma — dane ma Dział Organizacji, Kadr i " \
        "Płac — ten dział prowadzi sprawozdanie (zastępstwo)" in result.stderr  # fmt: skip


@pytest.mark.parametrize(
    ("occurrence", "by", "warned"),
    [(OCC, "kier-dsps", False), (OCC, "zast-dsps", False), (OCC, "kier-dokip", True),
     (f"{OCC}#dane:dfk", "ksiegowa", False), (f"{OCC}#dane:dfk", "kier-dsps", False),
     (f"{OCC}#dane:dfk", "prac-dokip", True)],
    ids=["primary", "primary-deputy", "substitute-not-needed", "task-owner",
         "report-owner-receives-the-data", "stranger-to-the-task"],
)  # fmt: skip
def test_done_warns_when_the_person_is_not_responsible(
    tmp_path: Path, run_cli: RunCli, env: dict[str, str], occurrence: str, by: str,
    warned: bool,
) -> None:  # fmt: skip
    config = organisation(tmp_path)
    result = run_cli("done", occurrence, "--config", str(config), "--by", by, "--today",
                     "2027-03-01", env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert ("ostrzeżenie" in result.stderr) is warned
    if warned:
        assert f"({by}) nie jest wśród osób odpowiedzialnych za {occurrence}" in result.stderr
        assert "potwierdzenie zapisano" in result.stderr
    with open_state(tmp_path / "stan.sqlite3", ORG) as store:
        assert store.confirmations()[occurrence].confirmed_by == by


def test_done_refuses_an_unknown_person(
    tmp_path: Path, run_cli: RunCli, env: dict[str, str]
) -> None:
    config = organisation(tmp_path)
    result = run_cli("done", OCC, "--config", str(config), "--by", "nikt", env=env)
    assert result.returncode == 2
    assert "--by: nieznana osoba „nikt”; osoby w pliku organizacji: dyrektor, kier-dsps" \
        in result.stderr  # fmt: skip
    assert not (tmp_path / "stan.sqlite3").exists()


def test_a_confirmed_task_stops_its_reminders(
    tmp_path: Path, run_cli: RunCli, env: dict[str, str]
) -> None:
    config = organisation(tmp_path)
    night = ("remind", "--config", str(config), "--today", "2027-04-19", "--dry-run")
    before = run_cli(*night, env=env).stdout
    assert "dfk: 2 dni robocze przed terminem zadania    ksiegowa" in before
    assert "dokip: 2 dni robocze przed terminem zadania  kier-dokip" in before
    done = run_cli("done", f"{OCC}#dane:dfk", "--config", str(config), "--by", "ksiegowa",
                   "--today", "2027-04-16", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"✔ {OCC}#dane:dfk: potwierdzono wykonanie zadania przez: "
                                  "Ewa Kos (ksiegowa)")  # fmt: skip
    after = run_cli(*night, env=env).stdout
    assert "ksiegowa" not in after  # the data were delivered: no more mail about them
    # the other unit's delivery is still reminded, and the report itself
    assert "dokip: 2 dni robocze przed terminem zadania  kier-dokip" in after
    assert "10 dni roboczych przed terminem " in after


def test_undone_withdraws_a_confirmation_the_checks_would_now_refuse(
    tmp_path: Path, run_cli: RunCli, env: dict[str, str]
) -> None:
    """A confirmation written by an older release for a far period is not stuck for ever."""
    config = organisation(tmp_path)
    with open_state(tmp_path / "stan.sqlite3", ORG) as store:
        from datetime import UTC, datetime

        store.confirm("ozps@ops/2031", by=None, at=datetime(2026, 1, 5, tzinfo=UTC), note=None)
    result = run_cli("undone", "ozps@ops/2031", "--config", str(config), "--today",
                     "2027-03-01", env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "ozps@ops/2031: cofnięto potwierdzenie" in result.stdout
    again = run_cli("undone", "ozps@ops/2031", "--config", str(config), "--today",
                    "2027-03-01", env=env)  # fmt: skip
    assert again.returncode == 2 and "ponad rok po dniu dzisiejszym" in again.stderr

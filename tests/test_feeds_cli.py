"""The commands ``feed`` and ``feed-url`` as a user runs them, and a real calendar client (khal)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from ical.calendar_stream import IcsCalendarStream
from test_server import SECRET, write_org

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def test_feed_without_config_writes_one_file_per_level(run_cli: RunCli, tmp_path: Path) -> None:
    out = tmp_path / "kalendarze"
    args = ("feed", "--out", str(out), "--state", str(tmp_path / "s.sqlite3"),
            "--today", "2026-02-02", "--catalogue", "mpips-1992", "--verbose")  # fmt: skip
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.ics"))
    assert files == ["all.ics", "level/ops.ics", "level/rup.ics", "level/wup.ics",
                     "level/wzps.ics"]  # fmt: skip
    assert "  level/ops.ics — 6 wydarzeń\n" in result.stdout
    assert result.stdout.endswith(
        "5 kalendarzy w " + str(out) + " (horyzont 02.02.2025–02.02.2028); "
        "zmienionych plików: 5\n"
    )
    ops = IcsCalendarStream.calendar_from_ics((out / "level/ops.ics").read_text(encoding="utf-8"))
    assert [e.dtstart.isoformat() for e in ops.events][:2] == ["2025-07-15", "2026-01-30"]
    before = (out / "all.ics").read_bytes()
    again = run_cli(*args)
    assert again.returncode == 0
    assert again.stdout.endswith("zmienionych plików: 0\n")
    assert (out / "all.ics").read_bytes() == before


def test_feed_is_silent_on_success_without_verbose(run_cli: RunCli, tmp_path: Path) -> None:
    """cron mails whatever a job prints: a successful run prints nothing at all."""
    out = tmp_path / "kalendarze"
    args = ("feed", "--out", str(out), "--state", str(tmp_path / "s.sqlite3"),
            "--today", "30.11.2026", "--catalogue", "mpips-1992")  # fmt: skip
    for _ in range(2):  # the first run writes the files, the second finds them unchanged
        result = run_cli(*args)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert (out / "level/ops.ics").is_file()
    failed = run_cli("feed", "--out", str(out), "--state", str(tmp_path / "s.sqlite3"),
                     "--today", "31.11.2026")  # fmt: skip
    assert failed.returncode == 2
    assert "--today: „31.11.2026” nie jest datą" in failed.stderr


def test_feed_with_an_organisation_writes_units_and_people(run_cli: RunCli, tmp_path: Path) -> None:
    config = write_org(tmp_path / "organizacja.toml")
    out = tmp_path / "out"
    result = run_cli("feed", "--config", str(config), "--out", str(out),
                     "--state", str(tmp_path / "s.sqlite3"), "--today", "2026-11-24",
                     "--from", "2027-01-01", "--to", "2027-12-31", "--verbose")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "  person/anna.ics — 2 wydarzenia\n" in result.stdout
    assert "  person/jan.ics — 0 wydarzeń\n" in result.stdout
    assert "  unit/dps.ics — 2 wydarzenia\n" in result.stdout
    assert "(horyzont 01.01.2027–31.12.2027)" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-01-01"), "--from i --to trzeba podać razem"),
        (("--from", "2026-13-01", "--to", "2026-12-31"), "--from: „2026-13-01” nie jest datą"),
        (("--from", "2026-12-31", "--to", "2026-01-01"), "jest wcześniej niż --from"),
    ],
    ids=["from-alone", "bad-date", "reversed"],
)
def test_feed_rejects_a_bad_horizon(
    run_cli: RunCli, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = run_cli("feed", "--out", str(tmp_path), "--state", str(tmp_path / "s.sqlite3"), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert not list(tmp_path.rglob("*.ics"))


def test_feed_url_prints_https_and_webcal(run_cli: RunCli, tmp_path: Path) -> None:
    config = write_org(tmp_path / "organizacja.toml")
    result = run_cli("feed-url", "anna", "--config", str(config),
                     env={"TEST_FEED_SECRET": SECRET.decode()})  # fmt: skip
    assert result.returncode == 0, result.stderr
    mac = hmac.new(SECRET, b"terminarz-feed:anna", hashlib.sha256).digest()
    token = base64.b32encode(mac[:20]).decode().lower()
    assert result.stdout == (f"https://terminy.example.org/feeds/p/{token}.ics\n"
                             f"webcal://terminy.example.org/feeds/p/{token}.ics\n")  # fmt: skip
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("person", "env", "message"),
    [
        ("anna", {}, "zmienna środowiskowa TEST_FEED_SECRET"),
        ("zofia", {"TEST_FEED_SECRET": SECRET.decode()},
         "nieznana osoba „zofia”; osoby w pliku organizacji: anna, jan"),
    ],
    ids=["no-secret", "unknown-person"],
)
def test_feed_url_errors(
    run_cli: RunCli, tmp_path: Path, person: str, env: dict[str, str], message: str
) -> None:
    config = write_org(tmp_path / "organizacja.toml")
    result = run_cli("feed-url", person, "--config", str(config),
                     env={"TEST_FEED_SECRET": "", **env})  # fmt: skip
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_feed_url_needs_an_organisation(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("feed-url", "anna", env={"TERMINARZ_CONFIG": ""})
    assert result.returncode == 2
    assert "potrzebuje pliku organizacji" in result.stderr


def test_khal_imports_a_feed_and_lists_the_deadline(run_cli: RunCli, tmp_path: Path) -> None:
    """A real calendar program: khal imports level/ops.ics and shows MPiPS-03 on 30 Jan 2026."""
    khal = shutil.which("khal", path=str(Path(sys.executable).parent))
    if khal is None:
        pytest.skip("khal is not installed (pip install -e '.[test]')")
    out = tmp_path / "out"
    assert run_cli("feed", "--out", str(out), "--state", str(tmp_path / "s.sqlite3"),
                   "--today", "2026-02-02", "--catalogue", "mpips-1992").returncode == 0
    (tmp_path / "vdir").mkdir()
    config = tmp_path / "khal.conf"
    config.write_text(
        f"[calendars]\n[[terminy]]\npath = {tmp_path / 'vdir'}\ntype = calendar\n"
        f"[sqlite]\npath = {tmp_path / 'khal.db'}\n"
        "[locale]\nlocal_timezone = Europe/Warsaw\ndefault_timezone = Europe/Warsaw\n"
        "dateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\ntimeformat = %H:%M\n"
        "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
        "[default]\ndefault_calendar = terminy\n",
        encoding="utf-8",
    )
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "LANG": "C.UTF-8", "TZ": "UTC"}  # fmt: skip

    def khal_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([khal, "-c", str(config), *args], capture_output=True, text=True,
                              encoding="utf-8", env=env, timeout=60, check=False)  # fmt: skip

    imported = khal_run("import", "--batch", "-a", "terminy", str(out / "level" / "ops.ics"))
    assert imported.returncode == 0, imported.stderr
    assert len(list((tmp_path / "vdir").glob("*.ics"))) == 6
    listed = khal_run("list", "--format", "{start-date} {title}", "2026-01-29", "2026-01-31")
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if line.startswith("2026")]
    assert lines == ["2026-01-30 MPiPS-03: ops → wzps za 2025 r."]

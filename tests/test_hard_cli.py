"""Tracebacks instead of messages: out-of-range dates, NUL bytes, text that is not UTF-8,
non-numeric ports, standard output closed or on a full disk. Each case runs the real
console script and expects a Polish message and exit code 2 (1 for an I/O failure)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import RunCli
from test_duties_absences import ORG_FILE

from terminarz.errors import Problem, visible

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "calendars" / "examples" / "osrodek-pomocy.toml")


def _clean(result: subprocess.CompletedProcess[str], code: int = 2) -> None:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("terminarz") or "błąd" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("due", "--today", "9999-12-31"),
        ("due", "--today", "0001-01-01"),
        ("due", "--month", "9999-12"),
        ("due", "--from", "0001-01-01", "--to", "9999-12-31"),
        ("workdays", "--month", "9999-12"),
        ("explain", "mpips-03@ops/9999"),
        ("explain", "mpips-01.dzial-1@rup/9999-12"),
        ("who", "mpips-03@ops/9999", "--config", EXAMPLE),
        ("due", "--config", EXAMPLE, "--today", "9999-12-31"),
        ("done", "mpips-03@ops/9999", "--config", EXAMPLE),
        (
            "feed",
            "--out",
            "/tmp/terminarz-nie-powstanie",
            "--from",
            "9999-01-01",
            "--to",
            "9999-12-31",
        ),
        ("remind", "--config", EXAMPLE, "--today", "9999-12-31", "--dry-run"),
    ],
)
def test_out_of_range_dates(run_cli: RunCli, args: tuple[str, ...]):
    result = run_cli(*args)
    _clean(result)
    assert "zakres" in result.stderr


@pytest.mark.parametrize("value", ['"9999-Q4"', '"9999"', '"0001-01"'])
def test_catalogue_valid_to_out_of_range(tmp_path: Path, run_cli: RunCli, value: str):
    text = (ROOT / "calendars" / "mpips-1992.toml").read_text(encoding="utf-8")
    text = text.replace(
        'valid_from = "1992-01"\n', f'valid_from = "1992-01"\nvalid_to = {value}\n', 1
    )
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    for args in (("check", str(path)), ("due", "--catalogue", str(path), "--month", "2026-01")):
        result = run_cli(*args)
        _clean(result)
        assert f"{path}(" in result.stdout + result.stderr
        assert "„valid_to”" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "extra",
    [
        '\n[[absence_sources]]\nsource = "a\\u0000b.ics"\n',
        '\n[state]\npath = "st\\u0000an.sqlite3"\n',
        "\n[organisation_extra]\n",
    ],
)
def test_nul_in_paths(tmp_path: Path, run_cli: RunCli, extra: str):
    config = tmp_path / "org.toml"
    text = (
        ORG_FILE + extra
        if "extra" not in extra
        else ORG_FILE.replace('catalogues = ["mpips-1992"]', 'catalogues = ["mpips\\u00001992"]')
    )
    config.write_text(text, encoding="utf-8")
    for args in (
        ("check", "--config", str(config)),
        ("due", "--config", str(config), "--month", "2026-01"),
        ("remind", "--config", str(config), "--dry-run", "--today", "2026-01-05"),
    ):
        result = run_cli(*args)
        _clean(result)
        assert "\0" not in result.stdout + result.stderr
        assert ("\\x00" in result.stdout + result.stderr) or ("U+0000" in result.stderr)


def _run_bytes(
    exe: Path, args: list[bytes], env: dict[bytes, bytes] | None = None
) -> subprocess.CompletedProcess[bytes]:
    full = {k.encode(): v.encode() for k, v in os.environ.items()}
    full.update(env or {})
    return subprocess.run([bytes(exe), *args], capture_output=True, env=full, timeout=60,
                          check=False)  # fmt: skip


def test_note_not_utf8(terminarz_exe: Path, tmp_path: Path):
    result = _run_bytes(terminarz_exe, [b"done", b"mpips-03@ops/2026", b"--note", b"CAS \xff"],
                        env={b"XDG_DATA_HOME": bytes(tmp_path)})  # fmt: skip
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr
    assert b"nie jest poprawnym tekstem UTF-8" in result.stderr


@pytest.mark.parametrize(
    "name", [b"TERMINARZ_CONFIG", b"TERMINARZ_SMTP_SENDER", b"TERMINARZ_SMTP_HOST"]
)
def test_environment_not_utf8(terminarz_exe: Path, name: bytes):
    result = _run_bytes(terminarz_exe, [b"remind", b"--config", EXAMPLE.encode(), b"--dry-run"],
                        env={name: b"zla\xff-wartosc"})  # fmt: skip
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr
    assert name in result.stderr


def test_non_numeric_ports(run_cli: RunCli):
    result = run_cli("serve", "--port", "abc")
    _clean(result)
    assert "niepoprawna liczba całkowita" in result.stderr
    result = run_cli("remind", "--config", EXAMPLE, "--dry-run",
                     env={"TERMINARZ_SMTP_PORT": "abc"})  # fmt: skip
    _clean(result)
    assert "TERMINARZ_SMTP_PORT" in result.stderr


def test_stdout_closed(terminarz_exe: Path):
    result = subprocess.run(
        [str(terminarz_exe), "due", "--month", "2026-01"], stdout=None, stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1), timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert "Traceback" not in stderr
    assert "standardowe wyjście" in stderr and "zamknięte" in stderr


def test_stdout_closed_writes_nothing_elsewhere(terminarz_exe: Path, tmp_path: Path):
    """With descriptor 1 closed, the state database must not become standard output."""
    result = subprocess.run(
        [str(terminarz_exe), "done", "mpips-03@ops/2026", "--note", "x"],
        stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1), timeout=60, check=False,
        env={**os.environ, "XDG_DATA_HOME": str(tmp_path)},
    )  # fmt: skip
    assert b"Traceback" not in result.stderr
    for db in tmp_path.rglob("*.sqlite3"):
        assert db.read_bytes()[:16] == b"SQLite format 3\0"


def test_stdout_on_full_disk(terminarz_exe: Path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [str(terminarz_exe), "due", "--month", "2026-01"], stdout=full,
            stderr=subprocess.PIPE, timeout=60, check=False,
        )  # fmt: skip
    stderr = result.stderr.decode()
    assert result.returncode == 1
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert "brak miejsca na urządzeniu" in stderr


def test_messages_show_control_characters():
    problem = Problem(message="zły znak", path=Path("a\x1b[31m.toml"), entry="x\0y")
    assert "\x1b" not in str(problem) and "\0" not in str(problem)
    assert "\\x1b[31m" in str(problem)
    assert visible("a\udcffb") == "a\ufffdb"

"""Overrides that would silently remove a deadline: a year typo, a period that does not
exist, a year beyond the calendar — ``check`` and every command refuse them, naming the
file and line; ``who`` names the file an accepted override comes from."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RunCli
from test_duties_absences import write_org

ROOT = Path(__file__).resolve().parent.parent


def catalogue_with(tmp_path: Path, occurrence: str, due: str) -> Path:
    text = (ROOT / "calendars" / "mpips-1992.toml").read_text(encoding="utf-8")
    text += (f'\n[[overrides]]\noccurrence = "{occurrence}"\ndue = {due}\n'
             'basis = "komunikat ministerstwa"\n')  # fmt: skip
    path = tmp_path / "katalog.toml"
    path.write_text(text, encoding="utf-8")
    return path


def override_line(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return max(i for i, line in enumerate(lines, 1) if line.startswith("due = "))


@pytest.mark.parametrize(
    ("occurrence", "due", "expected"),
    [
        ("mpips-03@ops/2026", "2207-01-29", "zbyt odległa"),
        ("mpips-03@ops/2026", "2029-01-29", "zbyt odległa"),
        ("mpips-03@ops/2026", "2025-12-31", "zbyt odległa"),
        ("mpips-03@ops/1985", "1986-01-29", "nie ma wystąpienia"),
        ("mpips-03@ops/2026-Q1", "2026-04-29", "nie ma wystąpienia"),
        ("mpips-03@ops/9999", "9999-12-31", "poza obsługiwanym zakresem"),
        ("mpips-99@ops/2026", "2027-01-29", "nieznany obowiązek"),
    ],
)
def test_check_rejects_suspicious_overrides(
    tmp_path: Path, run_cli: RunCli, occurrence: str, due: str, expected: str
):
    path = catalogue_with(tmp_path, occurrence, due)
    result = run_cli("check", str(path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert expected in result.stderr
    assert f"{path}(" in result.stderr
    # Every other command refuses the catalogue too: the deadline is not silently lost.
    result = run_cli("due", "--catalogue", str(path), "--month", "2027-01")
    assert result.returncode == 2 and expected in result.stderr


def test_year_typo_points_at_the_line(tmp_path: Path, run_cli: RunCli):
    path = catalogue_with(tmp_path, "mpips-03@ops/2026", "2207-01-29")
    result = run_cli("check", str(path))
    assert f"{path}({override_line(path)})" in result.stderr
    assert "pole „due”" in result.stderr


def test_a_sane_override_is_accepted_and_who_names_its_file(tmp_path: Path, run_cli: RunCli):
    path = catalogue_with(tmp_path, "mpips-03@ops/2026", "2027-02-03")
    assert run_cli("check", str(path)).returncode == 0
    config = write_org(tmp_path, "")
    result = run_cli("who", "mpips-03@ops/2026", "--config", str(config), "--catalogue",
                     str(path), "--today", "2026-11-24")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Termin: środa, 3 lutego 2027 r." in result.stdout
    assert f"zapisany w pliku {path}({override_line(path)})" in result.stdout
    assert "komunikat ministerstwa" in result.stdout

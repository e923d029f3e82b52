"""Every systemd unit terminarz ships (``contrib/``) or shows (README) is checked with
``systemd-analyze verify --root`` on a temporary tree, and for what ``verify`` does not
see: a comment after a value (systemd has comments only on lines of their own, so
``EnvironmentFile=/etc/x.env  # …`` names a file that does not exist)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_UNITS = next((p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system"))
                     if (p / "sysinit.target").exists()), None)  # fmt: skip
README_UNIT = re.compile(r"```ini\n# /etc/systemd/system/(?P<name>[\w.-]+)\n(?P<body>.*?)```",
                         re.S)  # fmt: skip
OLD_README_SERVE = """\
[Unit]
Description=terminarz — kalendarze terminów (HTTP)
After=network.target

[Service]
User=terminarz
EnvironmentFile=/etc/terminarz/secret.env   # TERMINARZ_SECRET=…
ExecStart=/opt/terminarz/.venv/bin/terminarz serve --config /etc/terminarz/terminarz.toml
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""


def units() -> list[tuple[str, str]]:
    found = [(p.name, p.read_text(encoding="utf-8"))
             for p in sorted((ROOT / "contrib").iterdir())
             if p.suffix in (".service", ".timer")]  # fmt: skip
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found += [(f"README:{m['name']}", m["body"]) for m in README_UNIT.finditer(readme)]
    return found


def lint(text: str) -> list[str]:
    """What systemd would read differently from what the author meant."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";", "[")):
            continue
        key, _, value = stripped.partition("=")
        if re.search(r"\s[#;]", value):
            problems.append(f"{number}: comment after a value in {key}=")
        if key == "EnvironmentFile" and re.search(r"\s", value.lstrip("-")):
            problems.append(f"{number}: EnvironmentFile= with white space in the path")
    return problems


def test_every_unit_is_shipped() -> None:
    names = [name for name, _ in units()]
    for expected in ("terminarz-serve.service", "terminarz-remind.service",
                     "terminarz-remind.timer", "terminarz-daemon.service",
                     "README:terminarz-serve.service"):  # fmt: skip
        assert expected in names


@pytest.mark.parametrize(("name", "text"), units(), ids=[n for n, _ in units()])
def test_no_comment_after_a_value(name: str, text: str) -> None:
    assert lint(text) == []


def test_the_old_readme_unit_is_caught() -> None:
    assert lint(OLD_README_SERVE) == ["7: comment after a value in EnvironmentFile=",
                                      "7: EnvironmentFile= with white space in the path"]


def _tree(tmp_path: Path, tested: tuple[str, str]) -> Path:
    root = tmp_path / "root"
    assert SYSTEM_UNITS is not None
    shutil.copytree(SYSTEM_UNITS, root / "usr" / "lib" / "systemd" / "system", symlinks=True)
    (root / "etc" / "systemd" / "system").mkdir(parents=True)
    for name, text in [*units(), tested]:  # the unit under test written last
        (root / "etc" / "systemd" / "system" / name.removeprefix("README:")).write_text(
            text, encoding="utf-8"
        )
        for command in re.findall(r"^Exec\w*=[-@:+!]*(\S+)", text, re.M):
            binary = root / command.lstrip("/")
            binary.parent.mkdir(parents=True, exist_ok=True)
            binary.write_text("#!/bin/sh\n", encoding="utf-8")
            binary.chmod(0o755)
    return root


@pytest.mark.parametrize(("name", "text"), units(), ids=[n for n, _ in units()])
def test_systemd_analyze_verify(tmp_path: Path, name: str, text: str) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd): units not "
                    "verified")  # fmt: skip
    if SYSTEM_UNITS is None:
        pytest.skip("no systemd unit directory with sysinit.target to build a root from")
    root = _tree(tmp_path, (name, text))
    unit = name.removeprefix("README:")
    result = subprocess.run(
        [analyze, "verify", "--man=no", f"--root={root}", f"/etc/systemd/system/{unit}"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert [line for line in output.splitlines() if "terminarz" in line] == [], output

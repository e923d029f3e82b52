"""A wheel carries every sub-package, catalogue and template, and finds them once installed.

Builds the wheel as a user's ``pip install .`` would, installs it (without its
dependencies: only the files are checked here) into a fresh virtual environment and
asks that environment's interpreter, away from the checkout, what it has.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, pkgutil, sys
import terminarz
from terminarz import paths
packages = sorted(m.name for m in pkgutil.walk_packages(terminarz.__path__, "terminarz.")
                  if m.ispkg)
modules = sorted(m.name for m in pkgutil.walk_packages(terminarz.__path__, "terminarz."))
print(json.dumps({
    "file": terminarz.__file__,
    "packages": packages,
    "modules": modules,
    "calendars": sorted(p.relative_to(paths.calendars_dir()).as_posix()
                        for p in paths.calendars_dir().rglob("*") if p.is_file()),
    "templates": sorted(p.relative_to(paths.templates_dir()).as_posix()
                        for p in paths.templates_dir().rglob("*") if p.is_file()),
    "typed": (paths._PACKAGE / "py.typed").is_file(),
}))
"""


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)  # fmt: skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a clean copy: no build/ left over from an earlier build
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"),
         str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    wheels = list((work / "dist").glob("terminarz-*.whl"))
    assert len(wheels) == 1
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheels[0])],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    probe = subprocess.run([str(python), "-I", "-c", PROBE], cwd=work, capture_output=True,
                           text=True, timeout=120)  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    result: dict[str, object] = json.loads(probe.stdout)
    result["venv"] = str(env_dir)
    return result


def test_the_installed_package_is_not_the_checkout(installed: dict[str, object]) -> None:
    assert str(installed["file"]).startswith(str(installed["venv"]))
    assert installed["typed"] is True


def test_every_sub_package_and_module_is_in_the_wheel(installed: dict[str, object]) -> None:
    expected = sorted(
        "terminarz." + ".".join(p.relative_to(ROOT / "terminarz").with_suffix("").parts[:-1])
        for p in (ROOT / "terminarz").rglob("__init__.py")
        if p.parent != ROOT / "terminarz"
    )  # fmt: skip
    assert installed["packages"] == expected
    source_modules = sorted(
        "terminarz." + ".".join(p.relative_to(ROOT / "terminarz").with_suffix("").parts)
        for p in (ROOT / "terminarz").rglob("*.py")
        if p.name != "__init__.py"
    )  # fmt: skip
    assert sorted(set(installed["modules"]) - set(expected)) == source_modules  # type: ignore[arg-type]


def test_every_catalogue_and_template_is_installed(installed: dict[str, object]) -> None:
    assert installed["calendars"] == _files(ROOT / "calendars")
    assert installed["templates"] == _files(ROOT / "templates")

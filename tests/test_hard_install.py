"""The bundled data (``calendars/``, ``templates/``) is found in every install mode —
regular (a wheel into a virtual environment), ``pip install --user``, ``--prefix``,
editable — and a missing one is a loud Polish error, never "0 plików" with exit 0."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from terminarz import paths
from terminarz.cli import main
from terminarz.errors import TerminarzError

ROOT = Path(__file__).resolve().parent.parent
BASE_PYTHON = Path(sys.base_prefix) / "bin" / "python3"
PROBE = """
import json
import sys
from terminarz import paths
try:
    root = str(paths.data_root())
    error = None
except Exception as exc:
    root, error = None, f"{type(exc).__name__}: {exc}"
print(json.dumps({"root": root, "error": error,
                  "catalogues": [p.name for p in paths.bundled_catalogues()] if root else [],
                  "sysconfig": "sysconfig" in sys.modules}))
"""


def _probe(python: Path, *, env: dict[str, str] | None = None, cwd: Path,
           flags: tuple[str, ...] = ("-I",)) -> dict[str, object]:  # fmt: skip
    full = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    full.update(env or {})
    result = subprocess.run([str(python), *flags, "-c", PROBE], cwd=cwd, env=full,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("hard-wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    (found,) = work.glob("terminarz-*.whl")
    return found


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment's interpreter: installing into another prefix from the
    test environment's own pip would uninstall the editable terminarz under test."""
    env_dir = tmp_path_factory.mktemp("hard-venv") / "venv"
    venv.create(env_dir, with_pip=True)
    return env_dir / "bin" / "python"


def test_regular_install_into_a_virtual_environment(wheel: Path, fresh_python: Path,
                                                      tmp_path: Path) -> None:  # fmt: skip
    python = fresh_python
    env_dir = python.parent.parent
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=600)  # fmt: skip
    found = _probe(python, cwd=tmp_path)
    assert found["root"] == str((env_dir / "share" / "terminarz").resolve())
    assert "mpips-1992.toml" in found["catalogues"]  # type: ignore[operator]
    assert found["sysconfig"] is False  # a virtual environment's folders, without asking it


def test_user_install(wheel: Path, tmp_path: Path) -> None:
    if not BASE_PYTHON.exists():
        pytest.skip(f"no base interpreter at {BASE_PYTHON} for a --user install")
    userbase = tmp_path / "userbase"
    env = {"PYTHONUSERBASE": str(userbase), "PIP_BREAK_SYSTEM_PACKAGES": "1",
           "HOME": str(tmp_path)}  # fmt: skip
    install = subprocess.run(
        [str(BASE_PYTHON), "-m", "pip", "install", "--user", "--no-deps", "-q",
         "--ignore-installed",
         "--no-warn-script-location", str(wheel)],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if install.returncode != 0 and "pip" in install.stderr and "No module" in install.stderr:
        pytest.skip("the base interpreter has no pip")
    assert install.returncode == 0, install.stderr
    found = _probe(BASE_PYTHON, env=env, cwd=tmp_path, flags=())
    assert found["error"] is None, found
    assert found["root"] == str((userbase / "share" / "terminarz").resolve())
    assert "mpips-1992.toml" in found["catalogues"]  # type: ignore[operator]


def test_prefix_install(wheel: Path, fresh_python: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "pfx"
    subprocess.run(
        [str(fresh_python), "-m", "pip", "install", "--no-deps", "-q", "--ignore-installed",
         "--prefix", str(prefix), "--no-warn-script-location", str(wheel)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    (site,) = prefix.glob("lib/python3*/site-packages")
    found = _probe(fresh_python, env={"PYTHONPATH": str(site)}, cwd=tmp_path,
                   flags=("-S",))  # fmt: skip
    assert found["error"] is None, found
    assert found["root"] == str((prefix / "share" / "terminarz").resolve())


def test_editable_install_uses_the_checkout() -> None:
    assert paths.data_root() == ROOT
    assert (paths.templates_dir() / "mail").is_dir()


def test_missing_data_is_a_loud_error(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "terminarz", tmp_path / "pkg" / "terminarz",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    found = _probe(Path(sys.executable), env={"PYTHONPATH": str(tmp_path / "pkg")},
                   cwd=tmp_path, flags=("-S",))  # fmt: skip
    assert found["root"] is None
    assert "TerminarzError" in str(found["error"])
    assert "nie znaleziono danych terminarza" in str(found["error"])


def test_missing_data_stops_the_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setattr(paths, "candidates", lambda: [tmp_path / "nic"])
    paths.data_root.cache_clear()
    try:
        with pytest.raises(TerminarzError):
            paths.data_root()
        assert main(["due", "--month", "2026-01"]) == 2
        err = capsys.readouterr().err
        assert "nie znaleziono danych terminarza" in err
        assert "0 plików" not in err
    finally:
        monkeypatch.undo()
        paths.data_root.cache_clear()

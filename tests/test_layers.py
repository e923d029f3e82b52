"""The architecture is enforced: layers import downwards only, no import cycles, one clock.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``) and are checked by
import-linter; a planted violation in a copy of the package must make them fail.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "terminarz"
LAYERS = ("law", "org", "store", "notify", "web", "cli")


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the package found in ``project`` (first on the path)."""
    env = dict(os.environ, PYTHONPATH=str(project))
    code = "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-c", code, "--no-cache", str(project / "pyproject.toml")],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_every_layer_is_a_package_saying_what_it_may_import() -> None:
    for layer in LAYERS:
        init = PACKAGE / layer / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init} must say what the layer is and what it may import"
        assert "import" in doc, init


def test_no_module_is_left_at_the_old_flat_paths() -> None:
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert top == ["__init__", "__main__", "crontab", "errors", "files", "links", "paths", "polish",
                   "records", "settings", "templating", "tokens", "tomlcheck"]  # fmt: skip


def test_the_contracts_hold() -> None:
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 kept, 0 broken" in run.stdout


@pytest.mark.parametrize(("module", "planted", "contract"), [
    ("law/periods.py", "import terminarz.org.plan\n", "Higher layers import lower ones"),
    ("store/base.py", "from terminarz.notify import feeds\n", "Higher layers import lower"),
    ("errors.py", "import terminarz.law.rules\n", "Higher layers import lower ones"),
    ("law/rules.py", "import terminarz.law.catalogue\n", "No import cycles"),
], ids=["law-imports-org", "store-imports-notify", "foundation-imports-law", "cycle"])
def test_a_planted_violation_breaks_them(
    tmp_path: Path, module: str, planted: str, contract: str
) -> None:
    shutil.copytree(PACKAGE, tmp_path / "terminarz",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "terminarz" / module
    text = target.read_text(encoding="utf-8")
    head, sep, rest = text.partition("from __future__ import annotations\n")
    target.write_text(head + sep + planted + rest if sep else planted + text, encoding="utf-8")
    run = lint_imports(tmp_path)
    assert run.returncode != 0, run.stdout
    assert str(tmp_path) in run.stdout or "terminarz" in run.stdout
    broken = run.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, run.stdout


CLOCK_CALLS = {("datetime", "now"), ("date", "today"), ("datetime", "today"),
               ("datetime", "utcnow"), ("time", "time")}  # fmt: skip
CLOCK_READERS = {"cli", "notify/scheduler.py"}


def test_only_the_cli_and_the_scheduler_read_the_clock() -> None:
    readers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.split("/")[0] in CLOCK_READERS or rel in CLOCK_READERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and (node.func.value.id, node.func.attr) in CLOCK_CALLS):  # fmt: skip
                readers.append(f"{rel}:{node.lineno}")
    assert readers == []

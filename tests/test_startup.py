"""What keeps start-up short does not change what the command line accepts: a run builds
only its own sub-command's parser, and that parser is the one the whole parser holds."""

from __future__ import annotations

import argparse
import ast
import os
from pathlib import Path

import pytest

from terminarz.cli import build_parser, main


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


FULL = _commands(build_parser())


@pytest.mark.parametrize("name", sorted(FULL), ids=sorted(FULL))
def test_one_command_parser_is_the_same_as_in_the_whole_parser(name: str) -> None:
    alone = _commands(build_parser(name))
    assert list(alone) == [name]
    assert alone[name].format_help() == FULL[name].format_help()
    assert alone[name].get_default("handler") is FULL[name].get_default("handler")


def test_the_table_of_commands_names_the_module_that_registers_each() -> None:
    """A run imports only the module ``COMMANDS`` names for its command: every command of
    the whole parser is in the table, and its handler comes from that module."""
    from terminarz.cli import COMMANDS, MODULES

    assert sorted(COMMANDS) == sorted(FULL)
    assert set(COMMANDS.values()) == set(MODULES)
    for name, parser in FULL.items():
        handler = parser.get_default("handler")
        assert handler.__module__ in (f"terminarz.cli.{COMMANDS[name]}", "terminarz.cli.web"), name


def test_a_command_imports_only_its_own_module() -> None:
    """``due`` in a fresh interpreter: the modules of the other commands are not imported."""
    import subprocess
    import sys

    code = ("import sys; from terminarz.cli import main; main(['due', '--month', '2026-01', "
            "'--today', '2026-01-05']); print(sorted(m for m in sys.modules "
            "if m.startswith('terminarz.cli.')), file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         encoding="utf-8", timeout=120, check=True)  # fmt: skip
    loaded = ast.literal_eval(run.stderr.strip().splitlines()[-1])
    assert "terminarz.cli.core" in loaded
    for other in ("duties", "feeds", "remind", "status", "web"):
        assert f"terminarz.cli.{other}" not in loaded


def test_due_into_a_pipe_imports_and_compiles_nothing_it_does_not_use() -> None:
    """``due --month`` into a pipe: no ``textwrap`` (nothing is wrapped without a terminal),
    no explanation texts, and no regular expression compiled by terminarz (the forms of
    dates, months and periods are read with string methods)."""
    import subprocess
    import sys

    code = ("import os, re, sys; compiled = []\n"
            "real = re._compile\n"
            "def spy(pattern, flags):\n"
            "    caller = sys._getframe(1)\n"
            "    while os.path.basename(os.path.dirname(caller.f_code.co_filename)) == 're':\n"
            "        caller = caller.f_back\n"
            "    if f'{os.sep}terminarz{os.sep}' in caller.f_code.co_filename:\n"
            "        compiled.append(pattern)\n"
            "    return real(pattern, flags)\n"
            "re._compile = spy\n"
            "from terminarz.cli import main\n"
            "main(['due', '--month', '2026-01', '--today', '2026-01-05'])\n"
            "print([m for m in ('textwrap', 'terminarz.law.explain') if m in sys.modules],"
            " compiled, file=sys.stderr)")  # fmt: skip
    environ = {k: v for k, v in os.environ.items() if k != "COLUMNS"}  # no width: a pipe
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         encoding="utf-8", timeout=120, check=True, env=environ)  # fmt: skip
    assert run.stdout.startswith("Terminy: styczeń 2026 r.")
    assert run.stderr.strip().splitlines()[-1] == "[] []"


def test_an_unknown_command_gets_the_whole_parser_and_its_list() -> None:
    assert list(_commands(build_parser("nic"))) == list(FULL)
    assert len(FULL) >= 15


def test_an_unknown_command_is_a_usage_error_naming_the_commands(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["nic"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "'nic'" in err and "'due'" in err and "'remind'" in err


@pytest.mark.parametrize("kind", ["data", "cache"])
@pytest.mark.parametrize(("xdg", "home"), [
    (None, "/home/kasia"), ("/srv/dane", "/home/kasia"), ("", "/home/kasia/"),
    ("wzgledny/katalog", "/home/kasia"), (None, "wzgledny"), ("/srv/dane", None), (None, None),
], ids=["home", "xdg", "empty-xdg", "relative-xdg", "relative-home", "xdg-no-home",
        "neither"])  # fmt: skip
def test_the_user_folders_are_the_ones_platformdirs_gives(
    kind: str, xdg: str | None, home: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data folder (the state) and the cache folder (compiled files, feed records) by
    terminarz's shortcut on Linux and by ``platformdirs``: the same folder, or the same
    error."""
    import platformdirs

    from terminarz import paths

    library_rule = getattr(platformdirs, f"user_{kind}_path")
    ours = getattr(paths, f"user_{kind}_path")
    for name, value in ((f"XDG_{kind.upper()}_HOME", xdg), ("HOME", home)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    try:
        expected = library_rule("terminarz", appauthor=False)
    except RuntimeError as exc:  # no usable home: the library's own error, from either
        with pytest.raises(RuntimeError, match=str(exc)[:20]):
            ours()
        return
    assert ours() == expected


@pytest.mark.parametrize("given", [None, "America/New_York", "UTC"])
def test_today_in_warsaw_from_the_c_library_is_zoneinfos_and_leaves_tz_alone(
    given: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI reads Warsaw's date through the C library's zone database (no ``zoneinfo``
    import); it is the date ``zoneinfo`` gives at that moment, whatever the process's own
    ``TZ``, which is left as it was."""
    import time
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from terminarz.cli.common import _c_library_today, warsaw_today

    if given is None:
        monkeypatch.delenv("TZ", raising=False)
    else:
        monkeypatch.setenv("TZ", given)
    time.tzset()
    names = time.tzname
    before = datetime.now(ZoneInfo("Europe/Warsaw")).date()
    read = _c_library_today()
    after = datetime.now(ZoneInfo("Europe/Warsaw")).date()
    assert read in (before, after)
    assert warsaw_today() in (before, after)
    assert os.environ.get("TZ") == given and time.tzname == names
    monkeypatch.undo()
    time.tzset()


def test_without_the_c_librarys_zone_the_date_comes_from_zoneinfo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty zone folder for the C library (``TZDIR``): it would count from UTC under
    another name, so the CLI asks ``zoneinfo`` (which finds the zone elsewhere)."""
    import time
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from terminarz.cli.common import _c_library_today, warsaw_today

    monkeypatch.setenv("TZDIR", str(tmp_path))
    assert _c_library_today() is None
    before = datetime.now(ZoneInfo("Europe/Warsaw")).date()
    assert warsaw_today() in (before, datetime.now(ZoneInfo("Europe/Warsaw")).date())
    monkeypatch.undo()
    time.tzset()

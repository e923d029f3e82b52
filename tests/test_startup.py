"""What keeps start-up short does not change what the command line accepts: a run builds
only its own sub-command's parser, and that parser is the one the whole parser holds."""

from __future__ import annotations

import argparse

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


@pytest.mark.parametrize(("xdg", "home"), [
    (None, "/home/kasia"), ("/srv/dane", "/home/kasia"), ("", "/home/kasia/"),
    ("wzgledny/katalog", "/home/kasia"), (None, "wzgledny"), ("/srv/dane", None), (None, None),
], ids=["home", "xdg", "empty-xdg", "relative-xdg", "relative-home", "xdg-no-home",
        "neither"])  # fmt: skip
def test_the_user_data_folder_is_the_one_platformdirs_gives(
    xdg: str | None, home: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from platformdirs import user_data_path as library_rule

    from terminarz.paths import user_data_path

    for name, value in (("XDG_DATA_HOME", xdg), ("HOME", home)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    try:
        expected = library_rule("terminarz", appauthor=False)
    except RuntimeError as exc:  # no usable home: the library's own error, from either
        with pytest.raises(RuntimeError, match=str(exc)[:20]):
            user_data_path()
        return
    assert user_data_path() == expected

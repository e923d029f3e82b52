"""The address check gives the same verdict with and without its shortcut for plain
addresses (which spares loading ``email.headerregistry`` at every ``--config`` start), and
loading an organisation file of plain addresses imports no part of the ``email`` package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from terminarz import tomlcheck

EXAMPLE = Path(__file__).resolve().parent.parent / "calendars" / "examples" / "osrodek-pomocy.toml"

# (address, accepted) — checked by hand against the rule of email_problem's docstring
TABLE = [
    ("jan.kowalski@example.org", True),
    ("a@b.pl", True),
    ("a+kadry@mops.gmina.pl", True),
    ("o'brien@example.org", True),
    ("{x}|y~@example.org", True),
    ("a@-b.pl", True),  # a hyphen is a letter of a label here, as in the full parser
    ("x" * 64 + "@a.pl", True),
    ("x" * 65 + "@a.pl", False),  # local part over 64 characters
    ("a..b@x.pl", False),
    (".a@x.pl", False),
    ("a.@x.pl", False),
    ("a@b", False),
    ("a@b.", False),
    ("a@.b", False),
    ("a@b..c", False),
    ('"a"@b.pl', False),
    ("a@[10.0.0.1]", False),
    ("a@b_c.pl", False),
    ("a@@b.pl", False),
    ("a,b@c.pl", False),
    ("Jan <jan@example.org>", False),
    ("jan@przykład.pl", False),
]


def _full(value: str, monkeypatch: pytest.MonkeyPatch) -> str | None:
    with monkeypatch.context() as patch:
        patch.setattr(tomlcheck, "_PLAIN_ADDRESS", r"(?!)")  # never matches: the full parser
        return tomlcheck.email_problem(value)


@pytest.mark.parametrize(("address", "accepted"), TABLE, ids=[a for a, _ in TABLE])
def test_shortcut_and_full_parser_agree(
    address: str, accepted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = tomlcheck.email_problem(address)
    assert (quick is None) is accepted
    assert quick == _full(address, monkeypatch)


@pytest.mark.parametrize("address", [a for a, ok in TABLE if ok])
def test_a_plain_sender_is_its_own_mailbox(address: str) -> None:
    from email.utils import getaddresses

    assert tomlcheck.split_mailbox(address) == ("", address)
    assert getaddresses([address]) == [("", address)]


def test_named_sender_still_goes_through_the_library() -> None:
    assert tomlcheck.split_mailbox("Terminarz MOPS <terminarz@example.org>") == (
        "Terminarz MOPS", "terminarz@example.org")  # fmt: skip
    with pytest.raises(ValueError, match="nie jest jednym adresem"):
        tomlcheck.split_mailbox("a@example.org, b@example.org")


def test_loading_the_example_imports_nothing_of_email() -> None:
    code = (
        "import sys; from pathlib import Path; "
        "from terminarz.org.organisation import load_organisation; "
        f"load_organisation(Path({str(EXAMPLE)!r})); "
        "print(sorted(m for m in sys.modules if m == 'email' or m.startswith('email.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"

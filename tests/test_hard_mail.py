"""Mail headers from hostile or careless values: control characters, names that look like
RFC 2047 encoded words, very long names, addresses the header would not survive. ``check``
and the mail code use one address parser, so what passes one passes the other."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RunCli
from test_duties_absences import ORG_FILE
from test_mail_message import message, parse

from terminarz.errors import TerminarzError
from terminarz.notify.mail import Rendered
from terminarz.org.organisation import check_organisation
from terminarz.tomlcheck import email_problem, split_mailbox

CONTROLS = ["\x00", "\x1b", "\r", "\n", "\x0b", "\x0c", "\x7f", "\x85", "\u2028", "\t"]


def _toml_escape(text: str) -> str:
    return "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in text)


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
@pytest.mark.parametrize(
    ("old", "template"),
    [
        ('name = "Kierownik"', 'name = "Kier{c}ownik"'),
        ('email = "a1@example.org"', 'email = "a1{c}@example.org"'),
        ('name = "Dział"', 'name = "Dzi{c}ał"'),
        ("", '\n[smtp]\nsender = "Terminarz{c} <t@example.org>"\n'),
    ],
    ids=["person-name", "email", "unit-name", "smtp-sender"],
)
def test_check_rejects_control_characters(tmp_path: Path, char: str, old: str, template: str):
    field = template.format(c=_toml_escape(char))
    text = ORG_FILE.replace(old, field, 1) if old else ORG_FILE + field
    path = tmp_path / "org.toml"
    path.write_text(text, encoding="utf-8")
    _, problems = check_organisation(path)
    assert problems, field
    assert any("sterując" in p.message or "końca wiersza" in p.message for p in problems)


@pytest.mark.parametrize(
    "address",
    ['"a>b"@example.org', '"a b"@example.org', "a,b@example.org", "a<b@example.org",
     "ąę@example.org", "a@example.org\x0b", "a\x00@example.org", "a@exa mple.org",
     "x" * 65 + "@example.org"],
)  # fmt: skip
def test_one_parser_for_check_and_mail(address: str):
    assert email_problem(address) is not None
    with pytest.raises(TerminarzError):
        message(to=("Anna", address))
    with pytest.raises(TerminarzError):
        message(cc=[("Anna", address)])


@pytest.mark.parametrize("address", ["a@example.org", "j.k+tag@sub.example.org", "o'neil@x.pl"])
def test_good_addresses_pass_both(address: str):
    assert email_problem(address) is None
    assert parse(message(to=("Anna", address)))["To"].addresses[0].addr_spec == address


def test_quoted_local_part_is_a_check_error(tmp_path: Path, run_cli: RunCli):
    path = tmp_path / "org.toml"
    path.write_text(ORG_FILE.replace('"a1@example.org"', "'\"a>b\"@example.org'", 1),
                    encoding="utf-8")  # fmt: skip
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 2
    assert "a>b" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "sender",
    ["Terminarz\x0b <t@example.org>", "t@example.org, u@example.org", "Terminarz <\"a>b\"@x.pl>",
     "Ośrodek <biuro@ośrodek.pl>", "nie-adres"],
)  # fmt: skip
def test_sender_checked_by_the_same_parser(sender: str):
    with pytest.raises(ValueError):
        split_mailbox(sender)
    with pytest.raises(TerminarzError):
        message(sender=sender)


def test_smtp_sender_with_vertical_tab_is_a_check_error(tmp_path: Path, run_cli: RunCli):
    path = tmp_path / "org.toml"
    path.write_text(ORG_FILE + '\n[smtp]\nsender = "Terminarz\\u000b <t@example.org>"\n',
                    encoding="utf-8")  # fmt: skip
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 2
    assert "„sender”" in result.stdout + result.stderr


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_control_characters_never_reach_a_header(char: str):
    """Defence in depth: a name that skipped ``check`` still cannot carry a control
    character into To, Cc, From or Subject."""
    raw = message(to=(f"Anna{char}Nowak", "an@example.org"),
                  cc=[(f"Jan{char}Bcc: x@evil.example", "jan@example.org")],
                  sender="Terminarz <terminarz@example.org>",
                  rendered=Rendered(subject=f"Temat{char}X-Evil: 1", text="t\n",
                                    html="<p>t</p>"))  # fmt: skip
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        assert not any(b < 0x20 or b == 0x7F for b in line if b != 0x09), line
    msg = parse(raw)
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert "\n" not in str(msg["To"]) and "\x1b" not in str(msg["Cc"])


ENCODED_CRLF = "=?utf-8?b?DQpCY2M6IGV2aWxAZXhhbXBsZS5vcmc=?="  # "\r\nBcc: evil@example.org"


@pytest.mark.parametrize(
    "name",
    [ENCODED_CRLF, f"Anna {ENCODED_CRLF}", "=?utf-8?q?=0D=0ABcc:_evil@example.org?=",
     f"Żaneta {ENCODED_CRLF}"],
)  # fmt: skip
def test_names_that_look_like_encoded_words_stay_literal(name: str):
    raw = message(to=(name, "an@example.org"), cc=[(name, "cc@example.org")],
                  rendered=Rendered(subject=name, text="t\n", html="<p>t</p>"))  # fmt: skip
    msg = parse(raw)
    assert msg["Bcc"] is None
    for header in ("To", "Cc", "Subject"):
        assert "\r" not in str(msg[header]) and "\n" not in str(msg[header])
        assert "evil@example.org" not in str(msg[header]).replace(name, "")
    assert msg["To"].addresses[0].display_name.replace(" ", "") == name.replace(" ", "")


@pytest.mark.parametrize(
    "name",
    [
        "A" * 200,
        "Ż" * 200,
        "😀" * 200,
        " ".join(["Żółkiewska-Wiśniewska"] * 10),
        " ".join(["Kowalski"] * 25),
        "x" * 2000,
    ],
    ids=["ascii-word", "polish-word", "emoji", "polish-words", "ascii-words", "2000"],
)
def test_long_names_fold_within_rfc5322(name: str):
    sender = f"{name} <t@example.org>" if name.isascii() else "t@example.org"
    raw = message(to=(name, "an@example.org"), cc=[(name, "cc@example.org")] * 3,
                  sender=sender)  # fmt: skip
    head = raw.split(b"\r\n\r\n", 1)[0]
    lines = head.split(b"\r\n")
    assert max(len(line) for line in lines) <= 78, max(lines, key=len)
    msg = parse(raw)
    assert msg["To"].addresses[0].addr_spec == "an@example.org"
    assert len(msg["Cc"].addresses) == 3
    shown = msg["To"].addresses[0].display_name
    assert shown.replace(" ", "") == name.replace(" ", "")

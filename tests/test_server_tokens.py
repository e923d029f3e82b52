"""Personal feed tokens: HMAC of the person id under the server secret."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from terminarz.errors import TerminarzError
from terminarz.tokens import TokenIndex, feed_token, read_secret

SECRET = b"0123456789abcdef-secret"


def test_the_token_is_the_hmac_of_the_person_id() -> None:
    mac = hmac.new(SECRET, b"terminarz-feed:anna", hashlib.sha256).digest()
    expected = base64.b32encode(mac[:20]).decode().lower()
    assert feed_token(SECRET, "anna") == expected
    assert len(expected) == 32 and set(expected) <= set("abcdefghijklmnopqrstuvwxyz234567")


def test_tokens_differ_per_person_and_rotate_with_the_secret() -> None:
    assert feed_token(SECRET, "anna") != feed_token(SECRET, "jan")
    assert feed_token(SECRET, "anna") != feed_token(SECRET + b"x", "anna")
    assert feed_token(SECRET, "anna") == feed_token(SECRET, "anna")


def test_the_index_finds_only_real_tokens() -> None:
    index = TokenIndex(SECRET, ["anna", "jan", "anna"])
    assert len(index) == 2
    assert index.lookup(feed_token(SECRET, "jan")) == "jan"
    assert index.lookup(feed_token(SECRET + b"x", "jan")) is None
    assert index.lookup("") is None
    assert index.lookup("ż" * 40) is None


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, r"zmienna środowiskowa FEED_KEY .* nie jest ustawiona"),
        ({"FEED_KEY": ""}, r"nie jest ustawiona"),
        ({"FEED_KEY": "krótki"}, r"FEED_KEY jest za krótka \(7 bajtów\)"),
        ({"FEED_KEY": "abc"}, r"FEED_KEY jest za krótka \(3 bajty\)"),
    ],
    ids=["unset", "empty", "too-short", "three-bytes"],
)
def test_a_missing_or_weak_secret_is_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(TerminarzError, match=message):
        read_secret("FEED_KEY", environ)


def test_a_good_secret_is_read_as_bytes() -> None:
    secret = "zażółć-gęślą-jaźń"
    assert read_secret("FEED_KEY", {"FEED_KEY": secret}) == secret.encode()

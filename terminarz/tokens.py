"""Personal feed tokens: an unguessable secret per person, derived, never stored.

A token is ``HMAC-SHA256(secret, "terminarz-feed:" + person id)``, its first
160 bits written in lower-case base32 (32 characters, safe in a URL path). The
secret comes from an environment variable named in ``[server] secret_env``;
rotating it invalidates every token at once. Nothing is kept in a database, so
a leaked state file reveals no token.

Looking a token up compares it with every person's token using
:func:`hmac.compare_digest` and never stops early, so the time taken does not
depend on how much of a guessed token was right.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping

from terminarz.errors import TerminarzError
from terminarz.polish import plural

MIN_SECRET_BYTES = 16
_DOMAIN = b"terminarz-feed:"
_SITE = b"terminarz-organisation:"


def read_secret(env_name: str, environ: Mapping[str, str]) -> bytes:
    """The server secret from ``environ[env_name]``.

    Raises :class:`TerminarzError` when the variable is unset, empty or shorter
    than 16 bytes (a short secret makes every token guessable offline).
    """
    value = environ.get(env_name, "")
    if not value:
        raise TerminarzError(
            f"zmienna środowiskowa {env_name} (klucz adresów kalendarzy osobistych, "
            "[server] secret_env) nie jest ustawiona; należy ją ustawić na losowy ciąg, np. wynik "
            "polecenia: python3 -c \"import secrets; print(secrets.token_urlsafe(32))\""
        )
    secret = value.encode("utf-8")
    if len(secret) < MIN_SECRET_BYTES:
        raise TerminarzError(
            f"zmienna środowiskowa {env_name} jest za krótka ({len(secret)} "
            f"{plural(len(secret), 'bajt', 'bajty', 'bajtów')}); "
            f"klucz musi mieć co najmniej {MIN_SECRET_BYTES} bajtów"
        )
    return secret


def site_secret(secret: bytes, organisation_id: str, *, shared: bool) -> bytes:
    """The key an organisation's tokens and links are made with.

    For an institution served alone, the server secret itself (its existing
    addresses stay valid). For one of many in one deployment (``[server] shared``), a
    key derived from the secret and the organisation id: one secret may serve every
    institution, and still no feed token, confirmation link, sign-in link or session
    cookie of one is valid in another — even where both have a person ``kier``.
    """
    if not shared:
        return secret
    return hmac.new(secret, _SITE + organisation_id.encode("utf-8"), hashlib.sha256).digest()


def feed_token(secret: bytes, person_id: str) -> str:
    """The token of ``person_id``'s feed: 32 characters of ``[a-z2-7]``."""
    mac = hmac.new(secret, _DOMAIN + person_id.encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(mac[:20]).decode("ascii").lower()


class TokenIndex:
    """Person ids by token, for the server; lookups take the same time hit or miss."""

    def __init__(self, secret: bytes, person_ids: Iterable[str]) -> None:
        self._entries = tuple(
            (_digest(feed_token(secret, pid)), pid) for pid in sorted(set(person_ids))
        )

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, token: str) -> str | None:
        """The person whose token this is, or None; compares against every entry."""
        probe = _digest(token)
        found: str | None = None
        for digest, pid in self._entries:
            if hmac.compare_digest(digest, probe):
                found = pid
        return found


def _digest(token: str) -> bytes:
    # Hashing first gives every comparison the same length, whatever was sent.
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()

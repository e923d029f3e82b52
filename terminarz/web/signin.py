"""One-time sign-in links and sessions of the web pages (no Flask here: ``login-url`` uses it).

A sign-in link is ``<base_url>/app/zaloguj/<token>``. The token carries the person,
the moment it expires and a random nonce, signed with HMAC-SHA256 under a key of
its own derived from the server secret — so neither a feed token
(:mod:`terminarz.tokens`) nor a confirmation link (:mod:`terminarz.links`) can
ever pass for one. The store keeps only the SHA-256 digest of the token and
lets it be used once (:meth:`~terminarz.store.base.Store.use_login_token`);
a forged, altered, expired or already used token signs nobody in.

Sessions are random identifiers kept in the signed Flask session cookie; the
store holds their digests with a sliding expiry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from terminarz.store.base import Store

APP_PREFIX = "/app"
LOGIN_PREFIX = f"{APP_PREFIX}/zaloguj/"
LINK_MINUTES = 15
SESSION_MINUTES = 8 * 60  # sliding: every request moves the end this far ahead
_KEY_LABEL = b"terminarz-login-link"
_SESSION_LABEL = b"terminarz-web-session"
_MAC_BYTES = 20
_MAX_TOKEN = 400


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginClaim:
    person_id: str
    expires: datetime


def _key(secret: bytes) -> bytes:
    return hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()


def cookie_key(secret: bytes) -> bytes:
    """The key that signs the session cookie (Flask's ``SECRET_KEY``), derived on its own."""
    return hmac.new(secret, _SESSION_LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def digest(token: str) -> str:
    """What the store keeps instead of a token or a session id."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def make_login_token(secret: bytes, claim: LoginClaim, *, nonce: str | None = None) -> str:
    stamp = int(claim.expires.timestamp())
    payload = "\n".join((claim.person_id, str(stamp), nonce or secrets.token_urlsafe(16)))
    raw = payload.encode("utf-8")
    mac = hmac.new(_key(secret), raw, hashlib.sha256).digest()[:_MAC_BYTES]
    return f"{_b64(raw)}.{_b64(mac)}"


def read_login_token(secret: bytes, token: str, *, now: datetime) -> LoginClaim | None:
    """The claim of a genuine token that has not expired at ``now``; None otherwise.

    Whether it was used already is for the store to say (:func:`use_login`)."""
    if len(token) > _MAX_TOKEN or token.count(".") != 1:
        return None
    payload_text, mac_text = token.split(".")
    try:
        raw, mac = _unb64(payload_text), _unb64(mac_text)
    except (binascii.Error, ValueError):
        return None
    expected = hmac.new(_key(secret), raw, hashlib.sha256).digest()[:_MAC_BYTES]
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        person_id, stamp, _nonce = raw.decode("utf-8").split("\n")
        expires = datetime.fromtimestamp(int(stamp), UTC)
    except (ValueError, OverflowError):
        return None
    if now >= expires:
        return None
    return LoginClaim(person_id=person_id, expires=expires)


def issue_login_link(store: Store, *, secret: bytes, base_url: str, person_id: str,
                     now: datetime, minutes: int = LINK_MINUTES) -> str:  # fmt: skip
    """A new one-time sign-in link for ``person_id``, valid ``minutes`` from ``now``."""
    expires = now.astimezone(UTC).replace(microsecond=0) + timedelta(minutes=minutes)
    token = make_login_token(secret, LoginClaim(person_id=person_id, expires=expires))
    store.add_login_token(digest(token), person=person_id, expires=expires, at=now)
    return f"{base_url.rstrip('/')}{LOGIN_PREFIX}{token}"


def use_login(store: Store, *, secret: bytes, token: str, now: datetime) -> str | None:
    """The person the token signs in — once; None for anything else."""
    claim = read_login_token(secret, token, now=now)
    if claim is None:
        return None
    person = store.use_login_token(digest(token), at=now)
    return person if person == claim.person_id else None


def start_session(store: Store, *, person_id: str, now: datetime) -> str:
    """A new session id (for the cookie); the store keeps its digest."""
    session_id = secrets.token_urlsafe(32)
    store.open_session(digest(session_id), person=person_id,
                       expires=now + timedelta(minutes=SESSION_MINUTES), at=now)  # fmt: skip
    return session_id


def session_person(store: Store, session_id: str, *, now: datetime) -> str | None:
    """The person of a live session, sliding its expiry; None when it ended."""
    return store.session(digest(session_id), at=now,
                         extend_to=now + timedelta(minutes=SESSION_MINUTES))  # fmt: skip

"""Signed confirmation links: bound to an occurrence and a person, expiring.

A reminder mail carries ``<base_url>/confirm/<token>``. The token is the
occurrence id, the person id and the last day the link is valid, followed by
an HMAC-SHA256 of them under a key derived from the server secret (the
variable named in ``[server] secret_env``). Changing any character of the
token, or rotating the secret, makes it invalid. The mail (``notify``) makes
links, the confirmation page (``web``) reads them; both import this module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import date, timedelta
from enum import StrEnum

from terminarz.records import Record

PREFIX = "/confirm/"
_KEY_LABEL = b"terminarz-confirm-link"
_MAC_BYTES = 18
_MAX_TOKEN = 600


class LinkClaim(Record):
    """What a valid token says: who may confirm which occurrence, until when (inclusive)."""

    occurrence_id: str
    person_id: str
    expires: date


class LinkProblem(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"


class LinkRefused(Exception):
    def __init__(self, problem: LinkProblem, claim: LinkClaim | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.claim = claim


def _key(secret: bytes) -> bytes:
    # A key of its own, so a confirmation token can never be mistaken for a feed token.
    return hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(secret: bytes, claim: LinkClaim) -> str:
    """``<payload>.<mac>``, both base64url without padding (safe in a URL path)."""
    payload = "\n".join((claim.occurrence_id, claim.person_id, claim.expires.isoformat()))
    raw = payload.encode("utf-8")
    mac = hmac.new(_key(secret), raw, hashlib.sha256).digest()[:_MAC_BYTES]
    return f"{_b64(raw)}.{_b64(mac)}"


def read_token(secret: bytes, token: str, *, today: date) -> LinkClaim:
    """The claim of a genuine, unexpired token; :class:`LinkRefused` otherwise.

    The signature is checked (in constant time) before anything in the payload
    is trusted; an expired but genuine token is refused as ``EXPIRED``.
    """
    if len(token) > _MAX_TOKEN or token.count(".") != 1:
        raise LinkRefused(LinkProblem.INVALID)
    payload_text, mac_text = token.split(".")
    try:
        raw = _unb64(payload_text)
        mac = _unb64(mac_text)
    except (binascii.Error, ValueError):
        raise LinkRefused(LinkProblem.INVALID) from None
    expected = hmac.new(_key(secret), raw, hashlib.sha256).digest()[:_MAC_BYTES]
    if not hmac.compare_digest(mac, expected):
        raise LinkRefused(LinkProblem.INVALID)
    try:
        occurrence_id, person_id, expires_text = raw.decode("utf-8").split("\n")
        expires = date.fromisoformat(expires_text)
    except ValueError:
        raise LinkRefused(LinkProblem.INVALID) from None
    claim = LinkClaim(occurrence_id=occurrence_id, person_id=person_id, expires=expires)
    if today > expires:
        raise LinkRefused(LinkProblem.EXPIRED, claim)
    return claim


def link_url(base_url: str, secret: bytes, claim: LinkClaim) -> str:
    return f"{base_url.rstrip('/')}{PREFIX}{make_token(secret, claim)}"


def expiry(today: date, link_days: int) -> date:
    """The last day a link made on ``today`` is valid."""
    return today + timedelta(days=link_days)


SITE_PREFIX = "/o/"


def site_path(organisation_id: str, *, shared: bool) -> str:
    """What follows ``base_url`` in every address of an organisation: nothing for an
    institution served alone (its addresses stay as they were), ``/o/<id>`` for one of many
    in one deployment (``[server] shared = true``, served by ``serve --orgs``)."""
    return f"{SITE_PREFIX}{organisation_id}" if shared else ""


def site_url(base_url: str, organisation_id: str, *, shared: bool) -> str:
    """``base_url`` followed by :func:`site_path` ("" — no address known — stays "")."""
    return base_url.rstrip("/") + site_path(organisation_id, shared=shared) if base_url else ""

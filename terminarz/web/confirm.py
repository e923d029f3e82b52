"""The confirmation page behind a personal link (the tokens: :mod:`terminarz.links`).

Mail scanners (Outlook Safe Links, antivirus gateways) fetch every link in a
mail, so a ``GET`` of the link only shows a page with a button; only the
``POST`` of that page's form records the confirmation. :class:`ConfirmApp` is
the WSGI application ``terminarz serve`` routes ``/confirm/…`` to; it takes the
clock as a parameter, like every library module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from terminarz.links import PREFIX, LinkClaim, LinkProblem, LinkRefused, read_token

if TYPE_CHECKING:
    from jinja2 import Environment

    from terminarz.org.plan import Setup
    from terminarz.store import Location
    from terminarz.store.base import Confirmation

TIMEZONE = ZoneInfo("Europe/Warsaw")
_MAX_BODY = 8192
_MAX_NOTE = 500

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


# -- the page -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject:
    """What the page says about the occurrence (from the plan when it is known)."""

    occurrence_id: str
    title: str
    period: str
    due: str
    person: str


Describe = Callable[[LinkClaim], Subject]


def plain_subject(claim: LinkClaim) -> Subject:
    return Subject(occurrence_id=claim.occurrence_id, title=claim.occurrence_id, period="",
                   due="", person=claim.person_id)  # fmt: skip


def confirm_app(
    setup: Setup, *, location: Location, secret: bytes, clock: Callable[[], datetime]
) -> ConfirmApp:
    """The confirmation application of an organisation, as ``terminarz serve`` mounts it."""
    organisation = setup.organisation
    return ConfirmApp(
        location=location, organisation=setup.organisation.id if setup.organisation else "",
        secret=secret, clock=clock, describe=setup_describer(setup),
        names=organisation.person_name if organisation is not None else str,
    )  # fmt: skip


def setup_describer(setup: Setup) -> Describe:
    """Describe occurrences from the catalogues (title, period, due date) and people's names."""
    from terminarz.errors import TerminarzError
    from terminarz.org.plan import find_occurrence
    from terminarz.polish import long_date

    organisation = setup.organisation

    def describe(claim: LinkClaim) -> Subject:
        person = organisation.person_name(claim.person_id) if organisation else claim.person_id
        try:
            occ = find_occurrence(setup, claim.occurrence_id)
        except TerminarzError:
            return Subject(occurrence_id=claim.occurrence_id, title=claim.occurrence_id,
                           period="", due="", person=person)  # fmt: skip
        return Subject(
            occurrence_id=occ.id,
            title=f"{occ.obligation.label} — {occ.obligation.title}",
            period=occ.period.words(),
            due=long_date(occ.due) + (f" — {occ.grade.mark}" if occ.grade.mark else ""),
            person=person,
        )

    return describe


class ConfirmApp:
    """WSGI application for ``/confirm/<token>``: GET shows a page, only POST confirms.

    ``clock`` returns the current time (aware); the link's day is taken in
    Europe/Warsaw. Each request opens the state database on its own, so one app
    serves the threads of a WSGI server safely.
    """

    def __init__(
        self,
        *,
        location: Location,
        organisation: str = "",
        secret: bytes,
        clock: Callable[[], datetime],
        describe: Describe = plain_subject,
        names: Callable[[str], str] = str,
        templates: Path | None = None,
    ) -> None:
        self._location = location
        self._organisation = organisation
        self._secret = secret
        self._clock = clock
        self._describe = describe
        self._names = names
        self._templates = templates
        self._env: Environment | None = None

    def _environment(self) -> Environment:
        if self._env is None:
            from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

            from terminarz.paths import templates_dir
            from terminarz.templating import bytecode_cache

            self._env = Environment(
                loader=FileSystemLoader(str(self._templates or templates_dir())),
                undefined=StrictUndefined,
                autoescape=select_autoescape(enabled_extensions=("html.j2",)),
                bytecode_cache=bytecode_cache("confirm"),
            )
        return self._env

    def __call__(
        self, environ: Mapping[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", ""))
        if not path.startswith(PREFIX) or "/" in path[len(PREFIX) :]:
            return self._page(start_response, HTTPStatus.NOT_FOUND, "invalid", None, method)
        if method not in ("GET", "HEAD", "POST"):
            return self._respond(
                start_response, HTTPStatus.METHOD_NOT_ALLOWED, b"", method,
                extra=[("Allow", "GET, HEAD, POST")], content_type="text/plain; charset=utf-8",
            )  # fmt: skip
        token = path[len(PREFIX) :]
        now = self._clock().astimezone(TIMEZONE)
        try:
            claim = read_token(self._secret, token, today=now.date())
        except LinkRefused as refused:
            if refused.problem is LinkProblem.EXPIRED and refused.claim is not None:
                subject = self._describe(refused.claim)
                return self._page(start_response, HTTPStatus.GONE, "expired", subject, method,
                                  expires=refused.claim.expires)  # fmt: skip
            return self._page(start_response, HTTPStatus.FORBIDDEN, "invalid", None, method)

        from terminarz.store import open_store

        subject = self._describe(claim)
        found: Confirmation | None
        with open_store(self._location, self._organisation) as ledger:
            if method == "POST":
                note = _read_note(environ)
                existing = ledger.confirmation(claim.occurrence_id)
                found = ledger.confirm(claim.occurrence_id, by=claim.person_id, at=now, note=note)
                state = "already" if existing is not None else "confirmed"
            else:
                found = ledger.confirmation(claim.occurrence_id)
                state = "already" if found is not None else "form"
        return self._page(start_response, HTTPStatus.OK, state, subject, method,
                          confirmation=found, expires=claim.expires)  # fmt: skip

    def _page(
        self,
        start_response: StartResponse,
        status: HTTPStatus,
        state: str,
        subject: Subject | None,
        method: str,
        **context: Any,
    ) -> Iterable[bytes]:
        from terminarz.polish import long_date

        confirmation = context.get("confirmation")
        by = at = ""
        if confirmation is not None:
            by = self._names(confirmation.confirmed_by) if confirmation.confirmed_by else ""
            at = _stamp_words(confirmation.confirmed_at)
        expires = context.get("expires")
        body = self._environment().get_template("confirm.html.j2").render(
            state=state,
            subject=subject,
            confirmed_by=by,
            confirmed_at=at,
            note=(confirmation.note or "") if confirmation is not None else "",
            expires=long_date(expires) if expires is not None else "",
        )
        return self._respond(start_response, status, body.encode("utf-8"), method)

    def _respond(
        self,
        start_response: StartResponse,
        status: HTTPStatus,
        body: bytes,
        method: str,
        *,
        extra: list[tuple[str, str]] | None = None,
        content_type: str = "text/html; charset=utf-8",
    ) -> Iterable[bytes]:
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Robots-Tag", "noindex, nofollow"),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy",
             "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
             "frame-ancestors 'none'"),
            *(extra or []),
        ]  # fmt: skip
        start_response(f"{status.value} {status.phrase}", headers)
        return [b""] if method == "HEAD" else [body]


def _read_note(environ: Mapping[str, Any]) -> str | None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return None
    stream = environ.get("wsgi.input")
    if stream is None:
        return None
    raw = stream.read(min(length, _MAX_BODY))
    fields = parse_qs(raw.decode("utf-8", "replace"))
    note = " ".join(fields.get("note", [""])[0].split())[:_MAX_NOTE]
    return note or None


def _stamp_words(stamp: str) -> str:
    from terminarz.polish import long_date

    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone(TIMEZONE)
    return f"{long_date(moment.date())}, godz. {moment:%H:%M}"

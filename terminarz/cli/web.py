"""``terminarz login-url`` and the pages ``terminarz serve`` mounts under ``/app``.

Flask is imported only by :func:`web_routes`, which only ``serve`` calls.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from terminarz.cli.common import (
    Context,
    add_config,
    add_today,
    open_store,
    organisation_files,
    require_person,
)

if TYPE_CHECKING:
    from terminarz.org.plan import Setup
    from terminarz.store import Location
    from terminarz.web.server import Route

TIMEZONE = "Europe/Warsaw"
# What follows this in a logged path is a sign-in token and is never logged.
LOGIN_PATH = re.compile(r"(?i)(/zaloguj/)[^\s?#\"']*")


def clock_for(ctx: Context) -> Callable[[], datetime]:
    """The real clock; with ``--today``, that day at the current time of day (Europe/Warsaw),
    so links and sessions still expire in real time."""
    given = getattr(ctx.args, "today", None)
    if not given:
        return lambda: datetime.now(UTC)
    from zoneinfo import ZoneInfo

    day = ctx.today
    zone = ZoneInfo(TIMEZONE)

    def clock() -> datetime:
        wall = datetime.now(zone)
        return datetime.combine(day, wall.time(), tzinfo=zone).astimezone(UTC)

    return clock


def web_routes(ctx: Context, setup: Setup, *, location: Location, secret: bytes,
               clock: Callable[[], datetime]) -> tuple[list[Route], Callable[[str, int], None]]:
    """The route giving ``/app`` and everything under it to the Flask pages, and the callback
    that tells them the address the server was bound to (for the links they mail)."""
    from terminarz.web.address import PublicAddress
    from terminarz.web.app import WebConfig, create_app, mountable
    from terminarz.web.server import Route

    assert ctx.config is not None and setup.organisation is not None
    given = getattr(ctx.args, "catalogue", None)
    from terminarz.links import site_path

    server = setup.organisation.settings.server
    address = PublicAddress(configured=server.base_url or "",
                            path=site_path(setup.organisation.id, shared=server.shared))
    orgs = getattr(ctx.args, "orgs", None)  # the deployment, for the Sprawozdawcy page
    deployment = tuple(organisation_files(orgs)) if orgs else ()
    app = create_app(WebConfig(config=ctx.config, location=location, secret=secret,
                               clock=clock, catalogue_paths=given, environ=dict(os.environ),
                               address=address, deployment=deployment))  # fmt: skip
    route = Route(pattern=re.compile(r"/app(?:/.*)?"), app=mountable(app),
                  methods=frozenset({"GET", "HEAD", "POST"}))  # fmt: skip
    return [route], address.bind


# -- login-url --------------------------------------------------------------------------------


def register(sub: Any) -> None:
    p = sub.add_parser(
        "login-url", help="jednorazowy link logowania do stron terminarza",
        description="Wypisuje jednorazowy link logowania osoby do stron terminarza "
        "(/app/). Link jest ważny 15 minut i działa jeden raz; otwarcie go pokazuje przycisk "
        "„Zaloguj”, dopiero jego naciśnięcie loguje. Link zapisuje się w bazie stanu (tylko "
        "jego skrót), więc serwer musi używać tej samej bazy.",
        epilog="Przykład:\n  TERMINARZ_SECRET=… terminarz login-url prac-dokip --config "
        "terminarz.toml\n",
    )  # fmt: skip
    p.add_argument("person", metavar="OSOBA", help="identyfikator osoby z [[people]]")
    add_config(p)
    p.add_argument("--state", metavar="PLIK|URL",
                   help="baza stanu (jak w „terminarz serve”; domyślnie z pliku organizacji)")
    add_today(p)
    p.set_defaults(handler=cmd_login_url)


def cmd_login_url(ctx: Context) -> int:
    from terminarz.links import site_url
    from terminarz.tokens import read_secret, site_secret
    from terminarz.web.signin import issue_login_link

    setup, organisation, person_id = require_person(ctx, "login-url")
    server = organisation.settings.server
    secret = site_secret(read_secret(server.secret_env, os.environ), organisation.id,
                         shared=server.shared)  # fmt: skip
    with open_store(ctx, setup) as store:
        from terminarz.web.server import loopback_base_url

        base = site_url(server.base_url or loopback_base_url(server.host, server.port),
                        organisation.id, shared=server.shared)  # fmt: skip
        url = issue_login_link(store, secret=secret, base_url=base, person_id=person_id,
                               now=clock_for(ctx)())  # fmt: skip
    ctx.out.write(f"{url}\n")
    if url.startswith("http://") and not url.startswith(("http://127.", "http://localhost")):
        sys.stderr.write(
            "terminarz: uwaga: [server] base_url zaczyna się od http:// — link logowania "
            "powinien być podawany przez HTTPS (odwrotne proxy, zob. README)\n"
        )
    return 0

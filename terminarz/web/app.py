"""The pages for the people who do the work (Flask, templates in ``templates/web/``).

:func:`create_app` is the application factory; ``terminarz serve`` mounts what
:func:`mountable` returns under ``/app`` of the feed server (same process, same
waitress). Flask is imported only here and in :mod:`terminarz.web.pages`, never on
the start-up path of ``due``.

Sign-in: a one-time link (:mod:`terminarz.web.signin`) — its GET only shows a
button, its POST uses the link and starts a session — or, behind a single sign-on
proxy, the user name in ``[server] trusted_user_header`` sent from an address in
``[server] trusted_proxies``, mapped by ``[[people]] login``. The session id lives in
Flask's signed cookie (HttpOnly, SameSite=Lax, Secure when ``base_url`` is https)
and its digest in the store, with a sliding expiry. Every form carries a CSRF token
(Flask-WTF). Personal feed tokens sign nobody in.

The clock is a parameter (``clock``); each request opens the store on its own.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask import Flask, g, render_template, request, session
from flask_wtf.csrf import CSRFError, CSRFProtect  # type: ignore[import-untyped]

from terminarz.org.plan import CatalogueCache, Setup, load_setup
from terminarz.web.address import PublicAddress
from terminarz.web.rows import stamp_words
from terminarz.web.signin import APP_PREFIX, cookie_key, session_person

if TYPE_CHECKING:
    from terminarz.store import Location
    from terminarz.store.base import Store

WARSAW = ZoneInfo("Europe/Warsaw")
Clock = Callable[[], datetime]
SECURITY_HEADERS = (
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Robots-Tag", "noindex, nofollow"),
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
     "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
)  # fmt: skip


class SetupCache:
    """The organisation's setup, loaded again only when its file or the date changes."""

    def __init__(self, config: Path, catalogue_paths: list[Path] | None) -> None:
        self._config = config
        self._catalogue_paths = catalogue_paths
        self._catalogues = CatalogueCache()
        self._lock = threading.Lock()
        self._key: tuple[object, ...] | None = None
        self._setup: Setup | None = None

    def get(self, today: date) -> Setup:
        st = self._config.stat()
        key = (today, st.st_mtime_ns, st.st_size)
        with self._lock:
            if self._setup is None or key != self._key:
                self._setup = load_setup(self._config, catalogue_paths=self._catalogue_paths,
                                         today=today, catalogue_cache=self._catalogues)
                self._key = key
            return self._setup


@dataclass(frozen=True, slots=True, kw_only=True)
class WebConfig:
    config: Path
    location: Location
    secret: bytes
    clock: Clock
    catalogue_paths: list[Path] | None = None
    templates: Path | None = None
    environ: Mapping[str, str] = field(default_factory=dict)  # TERMINARZ_SMTP_* for links
    address: PublicAddress | None = None  # set by ``serve`` once it is bound
    deployment: tuple[Path, ...] = ()  # the deployment's organisation files (Sprawozdawcy)


def create_app(web: WebConfig) -> Flask:
    """The Flask application of one organisation file."""
    from terminarz.paths import templates_dir
    from terminarz.templating import bytecode_cache

    folder = web.templates or templates_dir() / "web"
    app = Flask("terminarz.web", template_folder=str(folder), static_folder=None)
    setups = SetupCache(web.config, web.catalogue_paths)
    first = setups.get(web.clock().astimezone(WARSAW).date())
    organisation = first.organisation
    if organisation is None:  # pragma: no cover - load_setup with a file always has one
        raise ValueError("the web pages need an organisation file")
    server = organisation.settings.server
    app.config.update(
        SECRET_KEY=cookie_key(web.secret),
        SESSION_COOKIE_NAME="terminarz_sesja",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=(server.base_url or "").startswith("https://"),
        SESSION_COOKIE_PATH=(web.address.path if web.address is not None else "") + APP_PREFIX,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,  # the Origin/Referer check is left to SameSite + the token
        MAX_CONTENT_LENGTH=64 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.jinja_env.undefined = __import__("jinja2").StrictUndefined
    app.jinja_env.filters["stamp"] = stamp_words
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.bytecode_cache = bytecode_cache("app")  # each institution's app of serve --orgs
    app.extensions["terminarz"] = web
    app.extensions["terminarz.setups"] = setups
    app.extensions["terminarz.organisation_id"] = organisation.id

    @app.before_request
    def open_request() -> None:
        from terminarz.store import open_store

        now = web.clock()
        g.now = now
        g.today = now.astimezone(WARSAW).date()
        g.setup_file = setups.get(g.today)
        g.store = open_store(web.location, organisation.id)
        g.person = _identify(g.store, g.setup_file, now)

    CSRFProtect(app)  # after open_request: its refusal page knows who is signed in

    @app.context_processor
    def common() -> dict[str, Any]:
        from terminarz.polish import long_date
        from terminarz.web.rows import directors, headed_units

        found = g.get("setup_file")
        org = found.organisation if found is not None else organisation
        me = g.get("person")
        today = g.get("today")
        return {
            "organisation": org,
            "me": org.person(me) if me else None,
            "is_head": bool(me and headed_units(org, me)),
            "is_director": bool(me and me in directors(org)),
            "is_upper": bool(me and org.reporters),
            "today_words": long_date(today) if today is not None else "",
        }

    @app.teardown_request
    def close_request(exc: BaseException | None) -> None:
        store: Store | None = g.pop("store", None)
        if store is not None:
            store.close()

    @app.after_request
    def headers(response: Any) -> Any:
        for name, value in SECURITY_HEADERS:
            response.headers.setdefault(name, value)
        return response

    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError) -> tuple[str, int]:
        return render_template("error.html.j2", error_page=True, title="Formularz nieważny",
                               message="Formularz wygasł albo nie pochodzi z tej strony "
                               "(brak ważnego tokenu CSRF). Proszę otworzyć stronę ponownie "
                               "i wysłać formularz jeszcze raz."), 400  # fmt: skip

    @app.errorhandler(403)
    def forbidden(error: Any) -> tuple[str, int]:
        return render_template("error.html.j2", error_page=True, title="Brak dostępu",
                               message="Ta strona albo czynność jest dostępna tylko dla osoby, "
                               "której dotyczy, jej kierownika działu albo dyrektora."), 403

    @app.errorhandler(404)
    def missing(error: Any) -> tuple[str, int]:
        return render_template("error.html.j2", error_page=True, title="Nie znaleziono",
                               message="Nie ma takiej strony ani takiego terminu."), 404

    from terminarz.web.pages import pages
    from terminarz.web.reporters import reporters_page

    app.register_blueprint(pages)
    app.register_blueprint(reporters_page)
    return app


def _identify(store: Store, setup: Setup, now: datetime) -> str | None:
    """The signed-in person: the session, or the single sign-on header from a trusted proxy."""
    organisation = setup.organisation
    assert organisation is not None
    session_id = session.get("sid")
    if isinstance(session_id, str) and session_id:
        person = session_person(store, session_id, now=now)
        if person is not None and organisation.person(person) is not None:
            return person
        session.pop("sid", None)
    server = organisation.settings.server
    if server.trusted_user_header and _trusted(request.remote_addr, server.trusted_proxies):
        login = request.headers.get(server.trusted_user_header, "").strip()
        if login:
            for p in organisation.people:
                if p.login is not None and p.login.casefold() == login.casefold():
                    return p.id
    return None


def _trusted(address: str | None, proxies: Iterable[str]) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for proxy in proxies:
        try:
            if ip in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False


# -- mounting under the feed server -----------------------------------------------------------


def mountable(app: Flask) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    """A WSGI app for :class:`terminarz.web.server.Router` serving ``/app…``: the prefix moves
    from ``PATH_INFO`` to ``SCRIPT_NAME`` so Flask's URLs carry it."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        environ = dict(environ)
        environ["SCRIPT_NAME"] = str(environ.get("SCRIPT_NAME", "")) + APP_PREFIX
        environ["PATH_INFO"] = path[len(APP_PREFIX):] or "/"
        result: Iterable[bytes] = app.wsgi_app(environ, start_response)
        return result

    return wsgi

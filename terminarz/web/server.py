"""The feed server: a small WSGI application served by waitress.

Routes (see :func:`feed_routes`):

* ``/`` — the index page (``templates/index.html.j2``): the public feeds with
  subscription links and the next five deadlines of each;
* ``/feeds/all.ics``, ``/feeds/level/<id>.ics``, ``/feeds/unit/<id>.ics`` — the
  public feeds (``[feeds] public = false`` hides them: 404);
* ``/feeds/p/<token>.ics`` — one person's feed; the token is
  :func:`terminarz.tokens.feed_token` and is never written to a log.

Nothing is read from disk for a request: a path selects a feed from the set
the organisation file defines, or gets 404. Feeds are generated in memory by
:class:`FeedService` and cached until the organisation file, a catalogue, a
local absence calendar, the state database (a confirmation) or the date
changes; a conditional request (``If-None-Match`` / ``If-Modified-Since``) is
answered 304 from the cache without regenerating anything.

:class:`Router` is the WSGI callable: a table of :class:`Route` values, each a
regular expression matched against the whole path with either a handler
(``Request`` → ``Response``; HEAD, 405 and logging are done by the router) or
a whole WSGI application mounted under it (the confirmation pages of
:mod:`terminarz.web.confirm`). Adding a page is adding a ``Route`` to the list
given to the router (``build_app(..., extra_routes=...)``).
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from terminarz.errors import TerminarzError, visible
from terminarz.links import site_path
from terminarz.notify.feeds import (
    FeedRenderer,
    FeedSet,
    RenderedFeed,
    ScopeKind,
    feed_set_for,
)
from terminarz.settings import Settings
from terminarz.store.publication import PublicationMemory
from terminarz.tokens import TokenIndex

if TYPE_CHECKING:
    from jinja2 import Environment

    from terminarz.law.workdays import WorkingCalendar
    from terminarz.org.plan import Setup
    from terminarz.store.base import Store

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Clock = Callable[[], datetime]

WARSAW = ZoneInfo("Europe/Warsaw")
CALENDAR_TYPE = "text/calendar; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}"
# What follows these in a path (or a log message) is a secret and is never logged. They are
# matched against the text after :func:`normalise_for_log` (percent-decoded, slashes
# collapsed, dot segments dropped), in any letter case, and everything after them up to a
# space or a quote is dropped — however the path was written (``/feeds//p/…``, ``%2F``,
# ``/feeds/./p/…``, ``/FEEDS/P/…``).
TOKEN_PATH = re.compile(r"(?i)(/p/)[^\s?#\"']*")
CONFIRM_PATH = re.compile(r"(?i)(/confirm/)[^\s?#\"']*")
# Anything shaped like a token anywhere else (a feed token is 32 characters of base32, a
# confirmation token is longer base64url): a run of 32 or more such characters.
TOKEN_LIKE = re.compile(r"()[A-Za-z0-9_=-]{32,}")
_SECRET_SEGMENT = re.compile(r"(?i)/(?:p|confirm)/")
_SLASHES = re.compile(r"[/\\]{2,}|\\")
_DOT_SEGMENT = re.compile(r"/\.(?=/|$)")
LOG = logging.getLogger("terminarz.web.server")


# -- requests, responses and the router ---------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    method: str
    path: str
    environ: Mapping[str, Any]

    def header(self, name: str) -> str | None:
        value = self.environ.get("HTTP_" + name.upper().replace("-", "_"))
        return None if value is None else str(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    status: HTTPStatus
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


Handler = Callable[[Request, "re.Match[str]"], Response]


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """``pattern`` must match the whole path; exactly one of ``handler`` and ``app`` is set.

    A mounted ``app`` gets the request as is (every method, its own HEAD handling);
    a ``handler`` serves ``methods`` and the router answers HEAD (from GET) and 405.
    """

    pattern: re.Pattern[str]
    handler: Handler | None = None
    app: WsgiApp | None = None
    methods: frozenset[str] = frozenset({"GET", "HEAD"})

    def __post_init__(self) -> None:
        if (self.handler is None) == (self.app is None):
            raise ValueError("a route has either a handler or a mounted app")


def not_found() -> Response:
    return Response(status=HTTPStatus.NOT_FOUND, body=b"Nie znaleziono.\n",
                    headers=(("Content-Type", TEXT_TYPE),))  # fmt: skip


class Router:
    """The WSGI application: dispatch by :class:`Route`, log every request with secrets redacted.

    ``redact`` patterns replace what follows their first group in logged paths
    (personal tokens, confirmation links). A handler that raises gets a 500 and a
    log line without the path's secret.
    """

    def __init__(
        self,
        routes: Sequence[Route],
        *,
        redact: Sequence[re.Pattern[str]] = (TOKEN_PATH, CONFIRM_PATH, TOKEN_LIKE),
        log: logging.Logger = LOG,
        log_requests: bool = True,
    ) -> None:
        self.routes = tuple(routes)
        self._redact = tuple(redact)
        self._log = log
        self._log_requests = log_requests  # off under a router that logs them (serve --orgs)
        self._on_bound: list[Callable[[str, int], None]] = []

    def loggable(self, text: str) -> str:
        """``text`` (a path or a log message) with every secret path segment replaced by ``…``.

        The patterns are matched on the normalised text (:func:`normalise_for_log`); when
        one matches, the normalised text is what is logged, so no spelling of a path —
        doubled slashes, ``%2F``, dot segments, another letter case — keeps a token.
        """
        normal = normalise_for_log(text)
        cleaned = normal
        for pattern in self._redact:
            cleaned = pattern.sub(r"\1…", cleaned)
        return text if cleaned == normal else cleaned

    def loggable_path(self, path: str) -> str:
        """A request path for the log: like :meth:`loggable`, but everything after a
        ``/p/`` or ``/confirm/`` segment is dropped, spaces included, and control
        characters (a decoded ``%0A``, ``%1B``) are shown as ``\\x0a``."""
        normal = normalise_for_log(path)
        cut = _SECRET_SEGMENT.search(normal)
        if cut is not None:
            return visible(normal[: cut.end()] + "…")
        return visible(self.loggable(path))  # no line breaks or escapes forged into the log

    def on_bound(self, callback: Callable[[str, int], None]) -> None:
        """Call ``callback(host, port)`` once the server is listening (see :meth:`bound`)."""
        self._on_bound.append(callback)

    def bound(self, host: str, port: int) -> None:
        """Told by the server which address and port it listens on, before any request."""
        for callback in self._on_bound:
            callback(host, port)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", "") or "/")
        for route in self.routes:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            if route.app is not None:
                return self._mounted(route.app, environ, start_response, method, path)
            if method not in route.methods:
                allowed = ", ".join(sorted(route.methods))
                response = Response(
                    status=HTTPStatus.METHOD_NOT_ALLOWED, body=b"Metoda niedozwolona.\n",
                    headers=(("Content-Type", TEXT_TYPE), ("Allow", allowed)),
                )  # fmt: skip
                return self._send(response, start_response, method, path)
            assert route.handler is not None
            request = Request(method=method, path=path, environ=environ)
            try:
                response = route.handler(request, match)
            except Exception:
                self._log.exception("błąd przy obsłudze %s %s", method, self.loggable_path(path))
                response = Response(
                    status=HTTPStatus.INTERNAL_SERVER_ERROR,
                    body="Błąd serwera — szczegóły w dzienniku serwera.\n".encode(),
                    headers=(("Content-Type", TEXT_TYPE),),
                )  # fmt: skip
            return self._send(response, start_response, method, path)
        return self._send(not_found(), start_response, method, path)

    def _send(
        self, response: Response, start_response: StartResponse, method: str, path: str
    ) -> Iterable[bytes]:
        status = response.status
        headers = list(response.headers)
        if status is not HTTPStatus.NOT_MODIFIED:
            headers.append(("Content-Length", str(len(response.body))))
        start_response(f"{status.value} {status.phrase}", headers)
        if self._log_requests:
            self._log.info("%s %s %d", method, self.loggable_path(path), status.value)
        if method == "HEAD" or status is HTTPStatus.NOT_MODIFIED:
            return [b""]
        return [response.body]

    def _mounted(
        self,
        app: WsgiApp,
        environ: dict[str, Any],
        start_response: StartResponse,
        method: str,
        path: str,
    ) -> Iterable[bytes]:
        if not self._log_requests:
            return app(environ, start_response)

        def logging_start(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            self._log.info("%s %s %s", method, self.loggable_path(path), status.split(" ", 1)[0])
            return start_response(status, headers, *exc)

        return app(environ, logging_start)


def normalise_for_log(text: str) -> str:
    """``text`` percent-decoded (repeatedly: ``%252F``), with runs of slashes (and
    backslashes) made one slash and ``/./`` segments dropped — the form redaction is
    matched against."""
    from urllib.parse import unquote

    for _ in range(4):
        decoded = unquote(text, errors="surrogateescape")
        if decoded == text:
            break
        text = decoded
    previous = None
    while previous != text:
        previous = text
        text = _DOT_SEGMENT.sub("", _SLASHES.sub("/", text))
    return text


# -- conditional requests -------------------------------------------------------------------


def http_date(moment: datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(UTC), usegmt=True)


def etag_matches(header: str, etag: str) -> bool:
    """``If-None-Match``: ``*`` or a list of tags, compared weakly (RFC 9110 §13.1.2)."""
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def not_modified(request: Request, etag: str, modified: datetime) -> bool:
    """Whether a conditional GET/HEAD may get 304; ``If-None-Match`` wins when present."""
    tags = request.header("If-None-Match")
    if tags is not None:
        return etag_matches(tags, etag)
    since = request.header("If-Modified-Since")
    if since is None:
        return False
    try:
        moment = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return modified.replace(microsecond=0) <= moment


def cached_response(
    request: Request,
    body: bytes,
    *,
    etag: str,
    modified: datetime,
    content_type: str,
    private: bool,
    filename: str | None = None,
) -> Response:
    """200 with validators, or 304 when the client's copy is current."""
    headers = [
        ("ETag", etag),
        ("Last-Modified", http_date(modified)),
        ("Cache-Control", "private, no-cache" if private else "no-cache"),
    ]
    if private:
        headers.append(("Referrer-Policy", "no-referrer"))
        headers.append(("X-Robots-Tag", "noindex, nofollow"))
    if not_modified(request, etag, modified):
        return Response(status=HTTPStatus.NOT_MODIFIED, headers=tuple(headers))
    headers.append(("Content-Type", content_type))
    headers.append(("X-Content-Type-Options", "nosniff"))
    if filename is not None:
        headers.append(("Content-Disposition", f'inline; filename="{filename}"'))
    return Response(status=HTTPStatus.OK, body=body, headers=tuple(headers))


# -- the feed service ---------------------------------------------------------------------------


@dataclass(kw_only=True)
class Snapshot:
    """One consistent view of the inputs, and the feeds rendered from it so far."""

    key: tuple[object, ...]
    today: date
    setup: Setup
    settings: Settings
    feed_set: FeedSet
    tokens: TokenIndex | None
    rendered: dict[str, RenderedFeed] = field(default_factory=dict)
    index: tuple[bytes, str] | None = None


REPORTING_REFRESH = 300  # seconds: how stale an upper level's counts of reporters may be


class FeedService:
    """Feeds of one organisation file (or the bundled catalogues), regenerated on change.

    The cache key is the date (in Europe/Warsaw), the size and modification time
    of every file read (organisation file, catalogues, the holiday table, local
    absence calendars) and the store's :meth:`~terminarz.store.base.Store.version` —
    which changes when another connection commits (a confirmation), but not on
    this service's own writes to the publication memory. A request whose key
    matches the snapshot costs a few ``stat`` calls and one pragma.

    When a reload fails (an organisation file saved with a mistake), the error is
    logged and the last good snapshot is served until the inputs change again.
    """

    def __init__(
        self,
        *,
        config: Path | None,
        store: Store,
        clock: Clock,
        secret: bytes | None,
        catalogue_paths: Sequence[Path] | None = None,
        statutory: WorkingCalendar | None = None,
        log: logging.Logger = LOG,
        remote: Callable[[str, Any], Path | None] | None = None,
        decorate: Callable[[Setup, FeedSet, date], FeedSet] | None = None,
    ) -> None:
        self._config = config
        self._decorate = decorate  # adds to the feeds (an upper level's counts of reporters)
        self._remote = remote  # the kept copies of schedules named by address
        self._catalogue_paths = list(catalogue_paths) if catalogue_paths else None
        self._clock = clock
        self._secret = secret
        self._statutory = statutory
        self._log = log
        self._lock = threading.Lock()
        self._store = store  # opened for several threads; this service holds the lock
        self._memory = store.publication()
        self._renderer = FeedRenderer()
        self._watched: tuple[Path, ...] = ()
        self._snapshot: Snapshot | None = None
        self._env: Environment | None = None
        self.generations = 0  # how many feeds were rendered (for tests and the benchmark)
        # Links on the index page when [server] base_url is not set: the loopback address
        # the server is bound to (see loopback_base_url); never the client's Host header.
        self.bound_base_url = ""

    def bind(self, host: str, port: int) -> None:
        """Remember the listening address for links, when ``base_url`` is not set."""
        with self._lock:
            self.bound_base_url = loopback_base_url(host, port)
            if self._snapshot is not None:
                self._snapshot.index = None

    def close(self) -> None:
        with self._lock:
            self._store.close()

    # -- the snapshot ------------------------------------------------------------------------

    def _key(self, today: date) -> tuple[object, ...]:
        stats: list[object] = [today]
        for path in self._watched:
            try:
                st = path.stat()
            except OSError:
                stats.append((str(path), None))
            else:
                stats.append((str(path), st.st_mtime_ns, st.st_size))
        stats.append(self._store.version())
        if self._decorate is not None:
            # the reporters' counts come from other organisations' rows and files, which
            # this key does not watch: rebuilt at least every REPORTING_REFRESH seconds
            stats.append(int(self._clock().timestamp()) // REPORTING_REFRESH)
        return tuple(stats)

    def _current(self) -> Snapshot:
        now = self._clock()
        today = now.astimezone(WARSAW).date()
        key = self._key(today)
        old = self._snapshot
        if old is not None and old.key == key:
            return old
        try:
            fresh = self._load(today)
        except TerminarzError as exc:
            if old is None:
                raise
            self._log.error("nie udało się wczytać konfiguracji, nadal podaję poprzednią: %s", exc)
            old.key = self._key(today)
            return old
        self._snapshot = fresh
        return fresh

    def _load(self, today: date) -> Snapshot:
        from terminarz.org.plan import load_setup
        from terminarz.paths import holiday_table_path

        setup = load_setup(self._config, catalogue_paths=self._catalogue_paths, today=today,
                           statutory=self._statutory, remote=self._remote)  # fmt: skip
        for warning in setup.warnings:
            self._log.warning("%s", warning)
        organisation = setup.organisation
        settings = organisation.settings if organisation is not None else Settings()
        watched = [holiday_table_path(), *(c.path for c in setup.catalogues.catalogues)]
        if self._config is not None:
            watched.insert(0, self._config)
        if organisation is not None:
            watched += [Path(s.location()) for s in organisation.absence_sources if not s.is_url]
        self._watched = tuple(watched)
        key = self._key(today)  # before reading: a commit from now on is seen next time
        if organisation is not None:  # absences and designations recorded on the pages
            from terminarz.notify.recorded import recorded_setup

            back = timedelta(days=31 * (settings.feeds.months_back + 1))
            setup = recorded_setup(setup, self._store, since=today - back)
        feed_set = feed_set_for(setup, today=today, confirmations=self._store.confirmations())
        if self._decorate is not None:
            feed_set = self._decorate(setup, feed_set, today)
        tokens = None
        if self._secret is not None and organisation is not None:
            tokens = TokenIndex(self._secret, (p.id for p in organisation.people))
        return Snapshot(key=key, today=today, setup=setup, settings=settings, feed_set=feed_set,
                        tokens=tokens)  # fmt: skip

    # -- feeds -------------------------------------------------------------------------------

    def feed(self, scope_key: str) -> RenderedFeed | None:
        """The rendered feed of ``scope_key`` (``level/rup``), or None if there is none."""
        with self._lock:
            snap = self._current()
            return self._feed(snap, scope_key)

    def catalogue_file(self, name: str) -> tuple[bytes, datetime] | None:
        """The bytes and modification time of a catalogue or schedule in use, by its file
        name without ``.toml`` — published so that others may follow it at this address."""
        with self._lock:
            snap = self._current()
            for catalogue in snap.setup.catalogues.catalogues:
                if catalogue.path.stem == name:
                    try:
                        body = catalogue.path.read_bytes()
                        stamp = catalogue.path.stat().st_mtime
                    except OSError:
                        return None
                    return body, datetime.fromtimestamp(int(stamp), UTC)
        return None

    def public_feed(self, scope_key: str) -> RenderedFeed | None:
        """Like :meth:`feed`, but None for a person's feed or when public feeds are off."""
        with self._lock:
            snap = self._current()
            if not snap.settings.feeds.public or scope_key.startswith("person/"):
                return None
            return self._feed(snap, scope_key)

    def person_feed(self, token: str) -> RenderedFeed | None:
        """The feed of the person whose token this is; None otherwise (in constant time)."""
        with self._lock:
            snap = self._current()
            if snap.tokens is None:
                return None
            person = snap.tokens.lookup(token)
            return None if person is None else self._feed(snap, f"person/{person}")

    def _feed(self, snap: Snapshot, scope_key: str) -> RenderedFeed | None:
        found = snap.rendered.get(scope_key)
        if found is not None:
            return found
        if snap.feed_set.scope(scope_key) is None:
            return None
        result = _generate_one(snap.feed_set, self._memory, self._renderer, scope_key,
                               now=self._clock())  # fmt: skip
        self.generations += 1
        snap.rendered[scope_key] = result
        return result

    # -- the index page ----------------------------------------------------------------------

    def index(self) -> tuple[bytes, str, date]:
        """The index page's HTML, its ETag and the day it was made for."""
        with self._lock:
            snap = self._current()
            if snap.index is None:
                import hashlib

                body = self._render_index(snap).encode("utf-8")
                snap.index = (body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')
            return (*snap.index, snap.today)

    def _render_index(self, snap: Snapshot) -> str:
        from terminarz.polish import long_date, short_date

        if self._env is None:
            from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

            from terminarz.paths import templates_dir
            from terminarz.templating import bytecode_cache

            self._env = Environment(
                loader=FileSystemLoader(str(templates_dir())),
                undefined=StrictUndefined,
                autoescape=select_autoescape(enabled_extensions=("html.j2",), default=True),
                bytecode_cache=bytecode_cache("pages"),
            )
        base = snap.settings.server.base_url or self.bound_base_url
        if snap.setup.organisation is not None:  # one of many institutions: /o/<id>
            base += site_path(snap.setup.organisation.id, shared=snap.settings.server.shared)
        feeds = []
        if snap.settings.feeds.public:
            for scope in snap.feed_set.scopes:
                if not scope.public:
                    continue
                upcoming = [i for i in snap.feed_set.items.get(scope.key, ())
                            if i.due >= snap.today][:5]  # fmt: skip
                url = f"{base}/feeds/{scope.path}"
                feeds.append({
                    "title": scope.title,
                    "kind": _KIND_WORDS[scope.kind],
                    "url": url,
                    "webcal": webcal(url),
                    "upcoming": [{"date": short_date(i.due), "summary": i.summary}
                                 for i in upcoming],
                })  # fmt: skip
        template = self._env.get_template("index.html.j2")
        return template.render(
            name=snap.feed_set.name, today=long_date(snap.today), feeds=feeds,
            public=snap.settings.feeds.public,
        )  # fmt: skip


_KIND_WORDS = {
    ScopeKind.ALL: "wszystkie terminy",
    ScopeKind.LEVEL: "poziom",
    ScopeKind.UNIT: "dział",
    ScopeKind.PERSON: "osoba",
}


def _generate_one(
    feed_set: FeedSet,
    memory: PublicationMemory,
    renderer: FeedRenderer,
    scope_key: str,
    *,
    now: datetime,
) -> RenderedFeed:
    from terminarz.notify.feeds import generate

    return generate(feed_set, memory, now=now, renderer=renderer, only=[scope_key])[scope_key]


def webcal(url: str) -> str:
    """``https://host/x.ics`` → ``webcal://host/x.ics`` (clients subscribe on this scheme)."""
    return "webcal://" + url.split("://", 1)[1]


# -- routes -------------------------------------------------------------------------------------


def feed_routes(service: FeedService) -> list[Route]:
    """The index page and the feeds."""

    def calendar(request: Request, rendered: RenderedFeed | None, *, private: bool) -> Response:
        if rendered is None:
            return not_found()
        return cached_response(
            request, rendered.body, etag=rendered.etag, modified=rendered.modified,
            content_type=CALENDAR_TYPE, private=private,
            filename=f"{rendered.scope.id or 'all'}.ics" if not private else "terminy.ics",
        )  # fmt: skip

    def index(request: Request, match: re.Match[str]) -> Response:
        body, etag, day = service.index()
        modified = datetime(day.year, day.month, day.day, tzinfo=WARSAW)
        return cached_response(request, body, etag=etag, modified=modified,
                               content_type=HTML_TYPE, private=False)  # fmt: skip

    def everything(request: Request, match: re.Match[str]) -> Response:
        return calendar(request, service.public_feed("all"), private=False)

    def level(request: Request, match: re.Match[str]) -> Response:
        return calendar(request, service.public_feed(f"level/{match['id']}"), private=False)

    def unit(request: Request, match: re.Match[str]) -> Response:
        return calendar(request, service.public_feed(f"unit/{match['id']}"), private=False)

    def person(request: Request, match: re.Match[str]) -> Response:
        return calendar(request, service.person_feed(match["token"]), private=True)

    def catalogue(request: Request, match: re.Match[str]) -> Response:
        found = service.catalogue_file(match["name"])
        if found is None:
            return not_found()
        body, modified = found
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        return cached_response(request, body, etag=etag, modified=modified,
                               content_type="application/toml; charset=utf-8", private=False,
                               filename=f"{match['name']}.toml")  # fmt: skip

    return [
        Route(pattern=re.compile(r"/"), handler=index),
        Route(pattern=re.compile(r"/feeds/all\.ics"), handler=everything),
        Route(pattern=re.compile(rf"/feeds/level/(?P<id>{ID})\.ics"), handler=level),
        Route(pattern=re.compile(rf"/feeds/unit/(?P<id>{ID})\.ics"), handler=unit),
        Route(pattern=re.compile(r"/feeds/p/(?P<token>[A-Za-z0-9_-]{1,128})\.ics"), handler=person),
        Route(pattern=re.compile(rf"/katalogi/(?P<name>{ID})\.toml"), handler=catalogue),
    ]


def build_app(
    service: FeedService,
    *,
    extra_routes: Sequence[Route] = (),
    redact: Sequence[re.Pattern[str]] = (),
    log_requests: bool = True,
) -> Router:
    """The server's WSGI application: the feed routes, then ``extra_routes``; ``redact`` adds
    patterns of secrets to hide in logged paths (e.g. the sign-in links of the pages)."""
    router = Router([*feed_routes(service), *extra_routes],
                    redact=(TOKEN_PATH, CONFIRM_PATH, *redact, TOKEN_LIKE),
                    log_requests=log_requests)  # fmt: skip
    router.on_bound(service.bind)
    return router


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a listening address) is reachable from this machine only."""
    import ipaddress

    if host.strip("[]").lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def loopback_base_url(host: str, port: int) -> str:
    """``http://host:port`` of a loopback listening address ("" for any other address)."""
    if not is_loopback(host):
        return ""
    bare = host.strip("[]")
    shown = f"[{bare}]" if ":" in bare else bare
    return f"http://{shown}:{port}"


def base_url_problem(base_url: str, host: str) -> str | None:
    """Why ``serve`` must not start on ``host`` with this ``[server] base_url`` (Polish).

    Links (the index page, ``feed-url``, confirmation links in mails) need a public
    address. Bound to loopback, the bound address serves; bound to anything else (a LAN
    address, ``0.0.0.0``), only ``base_url`` can say how others reach the server — it is
    never guessed from a client's ``Host`` header.
    """
    if base_url or is_loopback(host):
        return None
    return (
        f"serwer ma nasłuchiwać na adresie {host}, a w pliku organizacji nie ustawiono "
        "[server] base_url — linki do kalendarzy i potwierdzeń byłyby błędne; należy ustawić "
        "w sekcji [server] adres, pod którym inni widzą serwer, np. base_url = "
        "\"https://terminy.example.org\" (albo uruchomić serwer na 127.0.0.1 za odwrotnym proxy)"
    )


def mount(prefix: str, app: WsgiApp, *, methods: Iterable[str] = ("GET", "HEAD", "POST")) -> Route:
    """A route giving every path under ``prefix`` (e.g. ``/confirm/``) to a WSGI ``app``."""
    return Route(pattern=re.compile(re.escape(prefix) + r"[^/]*"), app=app,
                 methods=frozenset(methods))  # fmt: skip


# -- running under waitress -------------------------------------------------------------------


class RedactingFilter(logging.Filter):
    """Removes personal tokens from waitress's own log lines (it logs paths on errors)."""

    def __init__(self, router: Router) -> None:
        super().__init__()
        self._router = router

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._router.loggable(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


class RunningServer:
    """A waitress server on its own thread (tests, the benchmark); :meth:`stop` ends it.

    The thread runs waitress's loop one poll at a time and, once told to stop, closes
    every socket itself — including the trigger pipe — under a lock that :meth:`stop`
    holds while it writes its wake-up byte. So the pipe is never closed before (or
    while) ``stop`` writes to it, whatever wake-up bytes workers left behind: queuing
    ``close_all`` as a trigger callback, as before, let a leftover byte run it first
    and ``stop``'s own write then failed with EBADF (or hit a reused descriptor).
    """

    def __init__(self, app: Router, *, host: str = "127.0.0.1", port: int = 0,
                 threads: int = 4, **limits: Any) -> None:  # fmt: skip
        self._server = _create(app, host=host, port=port, threads=threads, loop_timeout=0.2,
                               **limits)  # fmt: skip
        self._filter = RedactingFilter(app)
        logging.getLogger("waitress").addFilter(self._filter)
        self.host = str(self._server.effective_host)
        self.port = int(self._server.effective_port)
        app.bound(self.host, self.port)
        self._lock = threading.Lock()
        self._stopping = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="terminarz-serve", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        from waitress import wasyncore

        server = self._server
        try:
            while not self._stopping and server._map:
                wasyncore.loop(timeout=server.adj.asyncore_loop_timeout, map=server._map,
                               use_poll=server.adj.asyncore_use_poll, count=1)  # fmt: skip
        finally:
            with self._lock:
                self._closed = True
                wasyncore.close_all(server._map)

    def stop(self) -> None:
        """Let the worker threads finish, then have the server's thread close every socket."""
        server = self._server
        server.task_dispatcher.shutdown()
        with self._lock:
            self._stopping = True
            if not self._closed:
                server.trigger.pull_trigger()  # wake the loop; the pipe is still open
        self._thread.join(timeout=10)
        logging.getLogger("waitress").removeFilter(self._filter)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_forever(
    app: Router,
    *,
    host: str,
    port: int,
    threads: int = 4,
    on_ready: Callable[[str, int], None] | None = None,
) -> None:
    """Serve until interrupted (SIGINT, or SystemExit raised by a signal handler)."""
    server = _create(app, host=host, port=port, threads=threads, loop_timeout=1.0)
    app.bound(str(server.effective_host), int(server.effective_port))
    redacting = RedactingFilter(app)
    waitress_log = logging.getLogger("waitress")
    waitress_log.addFilter(redacting)
    try:
        if on_ready is not None:
            on_ready(str(server.effective_host), int(server.effective_port))
        server.run()  # returns on KeyboardInterrupt / SystemExit after shutting down
    finally:
        waitress_log.removeFilter(redacting)
        server.close()


# Limits of waitress (see its "Arguments to waitress.serve"): idle or slow clients must not
# starve the others. Waitress stops accepting at ``connection_limit`` open connections (its
# default, 100, was reached by ~100 idle sockets whose headers never ended, so the next
# client waited up to ``channel_timeout``, 120 s by default). Connections cost no thread
# until a request is complete, so the limit can be high; an idle or stalled connection is
# closed after ``channel_timeout`` seconds, checked every ``cleanup_interval``. Requests
# are small (a feed path, a confirmation form): headers and bodies are capped. For more
# clients than this, put a reverse proxy in front (README: "Serwer za odwrotnym proxy").
SERVER_LIMITS: dict[str, Any] = {
    "connection_limit": 500,
    "channel_timeout": 15,
    "cleanup_interval": 2,
    "backlog": 1024,
    "max_request_header_size": 16_384,
    "max_request_body_size": 65_536,
}


def _create(
    app: Router, *, host: str, port: int, threads: int, loop_timeout: float, **limits: Any
) -> Any:
    from waitress.server import create_server

    options = {**SERVER_LIMITS, **limits}
    try:
        return create_server(
            app, host=host, port=port, threads=threads, ident="terminarz",
            asyncore_loop_timeout=loop_timeout, clear_untrusted_proxy_headers=True,
            **options,
        )  # fmt: skip
    except OSError as exc:
        raise TerminarzError(
            f"nie można uruchomić serwera na {host}:{port}: {exc.strerror or exc}"
        ) from None


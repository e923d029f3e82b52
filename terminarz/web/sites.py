"""Many institutions served by one process: ``/o/<organisation id>/…`` to that institution's
own application (feeds, confirmation links, pages), each built on first use.

Each institution's application is the one ``serve --config`` runs for it alone
(:class:`Site`), mounted under ``/o/<id>``: its paths move from ``PATH_INFO`` to
``SCRIPT_NAME``, so the links it makes carry the prefix. Nothing is shared between
two institutions' applications but the process: each has its own store (rows keyed
by its id), its own keys (:func:`terminarz.tokens.site_secret`) and its own cookie
path, so a token, a link or a session of one institution is refused by another.

At most ``keep`` applications are kept (least recently used first out); one that is
dropped is closed once the requests using it have finished, and built again when
asked for. An application that cannot be built (its file has a mistake) answers 500
and is tried again on the next request; the error goes to the log.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from terminarz.errors import TerminarzError
from terminarz.links import SITE_PREFIX

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

SITE_PATH = re.compile(re.escape(SITE_PREFIX) + r"(?P<org>[a-z0-9][a-z0-9_.-]{0,99})(?P<rest>/.*)?")
LOG = logging.getLogger("terminarz.web.sites")


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """One institution's application and how to release what it holds (its store)."""

    app: Any  # a terminarz.web.server.Router: WSGI, with ``bound(host, port)``
    close: Callable[[], None]


@dataclass(slots=True)
class _Entry:
    site: Site
    users: int = 0
    retired: bool = False


class SiteRouter:
    """WSGI application for ``/o/<id>/…``; ``build(id)`` makes an institution's :class:`Site`.

    ``ids`` are the institutions served; any other id answers 404.
    """

    def __init__(self, build: Callable[[str], Site], ids: Iterable[str], *, keep: int = 64,
                 log: logging.Logger = LOG) -> None:  # fmt: skip
        self._build = build
        self._ids = frozenset(ids)
        self._keep = max(1, keep)
        self._log = log
        self._lock = threading.Lock()
        self._sites: OrderedDict[str, _Entry] = OrderedDict()
        self._building: dict[str, threading.Lock] = {}
        self._bound: tuple[str, int] | None = None

    @property
    def ids(self) -> frozenset[str]:
        return self._ids

    def bound(self, host: str, port: int) -> None:
        """The listening address, passed on to every application (built now or later)."""
        with self._lock:
            self._bound = (host, port)
            sites = [e.site for e in self._sites.values()]
        for site in sites:
            site.app.bound(host, port)

    def close(self) -> None:
        with self._lock:
            entries = list(self._sites.values())
            self._sites.clear()
        for entry in entries:
            entry.site.close()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        match = SITE_PATH.fullmatch(path)
        if match is None or match["org"] not in self._ids:
            return _plain(start_response, "404 Not Found", "Nie znaleziono.\n")
        org = match["org"]
        if match["rest"] is None:  # /o/<id> → /o/<id>/
            location = str(environ.get("SCRIPT_NAME", "")) + path + "/"
            start_response("301 Moved Permanently", [("Location", location),
                                                     ("Content-Length", "0")])  # fmt: skip
            return [b""]
        try:
            entry = self._acquire(org)
        except TerminarzError as exc:
            self._log.error("nie można wczytać instytucji %s: %s", org, exc)
            return _plain(start_response, "500 Internal Server Error",
                          "Błąd serwera — szczegóły w dzienniku serwera.\n")  # fmt: skip
        inner = dict(environ)
        inner["SCRIPT_NAME"] = str(environ.get("SCRIPT_NAME", "")) + SITE_PREFIX + org
        inner["PATH_INFO"] = match["rest"]
        try:
            body = entry.site.app(inner, start_response)
            try:
                return [b"".join(body)]
            finally:
                closing = getattr(body, "close", None)
                if closing is not None:
                    closing()
        finally:
            self._release(entry)

    # -- the applications kept ----------------------------------------------------------------

    def _acquire(self, org: str) -> _Entry:
        with self._lock:
            found = self._use(org)
            if found is not None:
                return found
            building = self._building.setdefault(org, threading.Lock())
        with building:  # one thread builds an institution's application, the others wait
            with self._lock:
                found = self._use(org)
                if found is not None:
                    return found
            site = self._build(org)
            with self._lock:
                bound = self._bound
            if bound is not None:
                site.app.bound(*bound)
            closing: list[_Entry] = []
            with self._lock:
                entry = _Entry(site=site, users=1)
                self._sites[org] = entry
                self._building.pop(org, None)
                while len(self._sites) > self._keep:
                    _, old = self._sites.popitem(last=False)
                    old.retired = True
                    if old.users == 0:
                        closing.append(old)
        for old in closing:
            old.site.close()
        return entry

    def _use(self, org: str) -> _Entry | None:
        entry = self._sites.get(org)
        if entry is not None:
            entry.users += 1
            self._sites.move_to_end(org)
        return entry

    def _release(self, entry: _Entry) -> None:
        with self._lock:
            entry.users -= 1
            done = entry.retired and entry.users == 0
        if done:
            entry.site.close()


def _plain(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    body = text.encode("utf-8")
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body)))])  # fmt: skip
    return [body]


def index_page(names: Mapping[str, str]) -> bytes:
    """The deployment's front page: every institution with a link to its own page."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    from terminarz.paths import templates_dir
    from terminarz.templating import bytecode_cache

    env = Environment(loader=FileSystemLoader(str(templates_dir())), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html.j2",),
                                                   default=True),
                      bytecode_cache=bytecode_cache("sites"))  # fmt: skip
    listed = sorted(names.items(), key=lambda pair: (pair[1].casefold(), pair[0]))
    html = env.get_template("sites.html.j2").render(
        sites=[{"name": name, "href": f"{SITE_PREFIX}{org}/"} for org, name in listed]
    )
    return html.encode("utf-8")

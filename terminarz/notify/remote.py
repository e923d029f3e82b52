"""Schedules an upper level publishes at an address, followed by every gmina's terminarz.

An organisation names ``https://…`` in ``[organisation] catalogues``: a voivode (or the
ministry) publishes its schedule once. Only ``terminarz remind`` (and the daemon) and
``terminarz catalogue --refresh`` fetch it — with a size and a time limit, and with
``If-None-Match`` / ``If-Modified-Since`` so an unchanged schedule costs a 304 — into the
store, checked like a local file before it replaces the copy kept there. Every other
command (``due`` above all) reads the kept copy and never goes to the network. When the
address cannot be reached, or the new copy is not a valid schedule, the last good copy
stays in use and a warning says since when; nothing breaks.

The kept copy is written to a file under the user's cache directory for the catalogue
loader, named by the address; the store holds the authoritative bytes and validators.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from terminarz.errors import TerminarzError
from terminarz.records import Record

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from terminarz.org.organisation import Organisation
    from terminarz.store import Location
    from terminarz.store.base import CachedCatalogue, Store

MAX_BYTES = 2 * 1024 * 1024
TIMEOUT = 20  # seconds
USER_AGENT = "terminarz (schedules of reports)"  # HTTP headers are Latin-1: ASCII only


class Fetched(Record):
    """One request: ``body`` when the address gave a new copy, ``unchanged`` for a 304,
    ``error`` (Polish) when it could not be read."""

    body: bytes | None = None
    etag: str | None = None
    last_modified: str | None = None
    unchanged: bool = False
    error: str | None = None


def fetch(url: str, cached: CachedCatalogue | None, *, timeout: float = TIMEOUT,
          limit: int = MAX_BYTES) -> Fetched:  # fmt: skip
    """GET ``url`` with the validators of ``cached``; the size limit is enforced while
    reading."""
    import urllib.error
    import urllib.request

    headers = {"User-Agent": USER_AGENT, "Accept": "application/toml, text/plain, */*"}
    if cached is not None and cached.etag:
        headers["If-None-Match"] = cached.etag
    if cached is not None and cached.last_modified:
        headers["If-Modified-Since"] = cached.last_modified
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                return Fetched(error=f"plik jest za duży ({int(declared)} B, limit {limit} B)")
            body = response.read(limit + 1)
            if len(body) > limit:
                return Fetched(error=f"plik jest za duży (ponad {limit} B)")
            return Fetched(body=body, etag=response.headers.get("ETag"),
                           last_modified=response.headers.get("Last-Modified"))  # fmt: skip
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Fetched(unchanged=True)
        return Fetched(error=f"serwer odpowiedział {exc.code} {exc.reason}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            return Fetched(error=f"przekroczono czas oczekiwania ({timeout:g} s)")
        return Fetched(error=f"adres niedostępny ({reason})")


def copy_path(url: str) -> Path:
    """Where the kept copy of ``url`` is written for the catalogue loader."""
    import hashlib  # here, not at the top: every --config command imports this module

    from platformdirs import user_cache_path

    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:20]
    return user_cache_path("terminarz", appauthor=False) / "katalogi" / f"{digest}.toml"


def check_copy(body: bytes, url: str, others: list[Path]) -> str | None:
    """Why ``body`` may not replace the kept copy (Polish), or None: it is checked exactly
    as a local catalogue or schedule file would be, with the organisation's other catalogues
    (a schedule gives dates for their obligations)."""
    import tempfile

    from terminarz.errors import Severity
    from terminarz.law.catalogue import check_catalogues

    with tempfile.TemporaryDirectory(prefix="terminarz-katalog-") as folder:
        path = Path(folder) / "harmonogram.toml"
        path.write_bytes(body)
        try:
            _, problems = check_catalogues([*others, path])
        except TerminarzError as exc:
            return str(exc).replace(str(path), url)
    errors = [p for p in problems if p.severity is Severity.ERROR and p.path == path]
    if errors:
        return "; ".join(str(p).replace(str(path), url) for p in errors[:3])
    return None


class RemoteCatalogues:
    """The ``remote`` of :func:`terminarz.org.plan.load_setup`: the local copy of each
    address, fetched first when ``refresh`` (remind, ``catalogue --refresh``)."""

    def __init__(self, locate: Callable[[Organisation], Location],
                 clock: Callable[[], datetime], refresh: bool = False) -> None:  # fmt: skip
        self.locate = locate
        self.clock = clock
        self.refresh = refresh
        self.warnings: list[str] = []
        self.fetched: list[str] = []  # addresses that gave a new copy
        self._store: Store | None = None

    def __call__(self, url: str, organisation: Organisation) -> Path | None:
        from terminarz.store import exists, open_store

        location = self.locate(organisation)
        if self._store is None:
            if not self.refresh and not exists(location):
                return None
            self._store = open_store(location, organisation.id, threads=True)
        store = self._store
        cached = store.cached_catalogue(url)
        if self.refresh:
            from terminarz.paths import bundled_catalogues

            others = list(organisation.catalogue_paths) or bundled_catalogues()
            cached = self._refresh(store, url, cached, others)
        if cached is None:
            return None
        return materialise(url, cached.body)

    def _refresh(self, store: Store, url: str, cached: CachedCatalogue | None,
                 others: list[Path]) -> CachedCatalogue | None:  # fmt: skip
        from terminarz.store.base import CachedCatalogue

        now = self.clock().isoformat(timespec="seconds")
        got = fetch(url, cached)
        if got.unchanged and cached is not None:
            fresh = cached._replace(checked_at=now)
            store.store_catalogue(fresh)
            return fresh
        problem = got.error
        if problem is None and got.body is not None:
            problem = check_copy(got.body, url, others)
            if problem is None:
                fresh = CachedCatalogue(url=url, body=got.body, etag=got.etag,
                                        last_modified=got.last_modified, fetched_at=now,
                                        checked_at=now)  # fmt: skip
                store.store_catalogue(fresh)
                self.fetched.append(url)
                return fresh
            problem = f"nowa wersja odrzucona: {problem}"
        if cached is not None:
            self.warnings.append(
                f"harmonogram {url}: {problem}; nadal obowiązuje kopia pobrana "
                f"{_when(cached.fetched_at)} (adres odpowiadał ostatnio {_when(cached.checked_at)})"
            )
        else:
            self.warnings.append(f"harmonogram {url}: {problem}; nie ma jeszcze żadnej kopii — "
                                 "jego terminy nie są uwzględnione")  # fmt: skip
        return cached

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def materialise(url: str, body: bytes) -> Path:
    """The kept copy as a file (rewritten only when its bytes changed)."""
    from terminarz.files import update_file

    path = copy_path(url)
    update_file(path, body)
    return path


def _when(stamp: str) -> str:
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return f"{moment:%d.%m.%Y} r., godz. {moment:%H:%M}"

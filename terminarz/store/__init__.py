"""What is kept between runs, behind one interface (:class:`terminarz.store.base.Store`).

It imports only the foundation modules: neither the organisation (``org``) nor how
people are told (``notify``). Only this layer talks to a database; a backend is one
module here (``sqlite``, ``postgresql``), registered in :data:`BACKENDS`, chosen by
:func:`locate`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path

from terminarz.errors import TerminarzError
from terminarz.records import Record

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from terminarz.store.base import Store

ENV_URL = "TERMINARZ_STATE_URL"

# scheme → the module whose ``open_store(location, organisation, **options)`` opens it
BACKENDS: dict[str, str] = {
    "sqlite": "terminarz.store.sqlite",
    "postgresql": "terminarz.store.postgresql",
}


class Location(Record):
    """Where a store is and why that one was chosen (``origin``, in Polish); a typed
    record (:class:`terminarz.records.Record`: immutable, cheap to define at every start)."""

    scheme: str
    target: str  # a path for SQLite, the whole URL for a server
    origin: str

    @property
    def path(self) -> Path | None:
        return Path(self.target) if self.scheme == "sqlite" else None

    def display(self) -> str:
        """The location as shown to people: a path, or a URL without its password."""
        if self.scheme == "sqlite":
            return self.target
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(self.target)
        netloc = parts.netloc
        if parts.password is not None:
            netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))


def parse(value: str, *, origin: str, base: Path | None = None) -> Location:
    """A path (SQLite) or a URL (``sqlite:///…``, ``postgresql://…``) as a :class:`Location`."""
    text = value.strip()
    if not text or "\x00" in text:
        raise TerminarzError(f"{origin}: pusta albo niepoprawna lokalizacja bazy stanu")
    scheme, sep, rest = text.partition("://")
    if not sep or "/" in scheme or not scheme.isascii():
        path = Path(text).expanduser()
        if base is not None and not path.is_absolute():
            path = base / path
        return Location(scheme="sqlite", target=str(path), origin=origin)
    scheme = scheme.lower()
    if scheme == "sqlite":
        path = Path(rest).expanduser()  # sqlite:///abs/path, or sqlite://relative/path
        if not path.is_absolute():
            path = (base or Path.cwd()) / path
        return Location(scheme="sqlite", target=str(path), origin=origin)
    if scheme in ("postgresql", "postgres"):
        return Location(scheme="postgresql", target=text, origin=origin)
    raise TerminarzError(
        f"{origin}: nieznany rodzaj bazy stanu „{scheme}://” (dozwolone: ścieżka pliku SQLite, "
        "sqlite:///ścieżka, postgresql://…)"
    )


def locate(
    *,
    explicit: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    url: str | None = None,
    path: Path | None = None,
    config: Path | None = None,
) -> Location:
    """The one rule every command uses to choose its store.

    ``--state`` (a path or URL) > ``TERMINARZ_STATE_URL`` > ``[state] url`` >
    ``[state] path`` of the organisation file > ``state.sqlite3`` in the user's data
    directory.
    """
    where = f" w pliku {config}" if config is not None else ""
    if explicit is not None and str(explicit):
        return parse(str(explicit), origin="opcja --state")
    env_value = (environ or {}).get(ENV_URL)
    if env_value:
        return parse(env_value, origin=f"zmienna {ENV_URL}")
    if url:
        return parse(url, origin=f"[state] url{where}", base=config.parent if config else None)
    if path is not None:
        return Location(scheme="sqlite", target=str(path), origin=f"[state] path{where}")
    return Location(scheme="sqlite", target=str(default_state_path()),
                    origin="domyślny katalog danych użytkownika")  # fmt: skip


def default_state_path() -> Path:
    """``<user data dir>/terminarz/state.sqlite3`` (platformdirs' rule)."""
    from terminarz.paths import user_data_path

    return user_data_path() / "state.sqlite3"


def open_store(location: Location, organisation: str, *, threads: bool = False) -> Store:
    """Open the store at ``location`` for ``organisation`` (creating and migrating it).

    ``threads=True`` lets one store object serve several threads (the server guards it).
    """
    module_name = BACKENDS.get(location.scheme)
    if module_name is None:
        raise TerminarzError(
            f"baza stanu {location.display()} ({location.origin}): ta instalacja terminarza "
            f"nie obsługuje baz rodzaju „{location.scheme}”"
        )
    module = importlib.import_module(module_name)
    store: Store = module.open_store(location, organisation, threads=threads)
    return store


def exists(location: Location) -> bool:
    """Whether a store is already there (a SQLite file is not created just to be read)."""
    if location.scheme == "sqlite":
        return Path(location.target).exists()
    return True

"""Where the bundled data lives: ``calendars/`` and ``templates/``.

They stay at the repository's root (they are data, not code) and are installed as
``data-files`` under ``<data>/share/terminarz/``, where ``<data>`` is the install
scheme's data directory: the virtual environment or ``/usr/local`` for a regular
install, ``~/.local`` for ``pip install --user``, the ``--prefix`` given. Looked up,
in this order:

1. a source checkout or an editable install — next to the package;
2. the data directory of the install scheme whose library directory holds the package
   (pip puts a distribution's code and data with one scheme): a regular, ``--user`` or
   virtual-environment install, found without reading the distribution's records (for a
   virtual environment or a prefix, whose library is ``<prefix>/lib/pythonX.Y/
   site-packages``, without asking ``sysconfig`` either);
3. the files the installed distribution recorded (``importlib.metadata``): exactly
   where pip put them, whatever the scheme;
4. the data directory of every ``sysconfig`` install scheme (``posix_prefix``,
   ``posix_user``, …) and ``sys.prefix`` / ``sys.base_prefix``.

Each place is looked at only when the ones before it hold no data, so a regular
install's start-up does not pay for ``importlib.metadata``.

When none holds the catalogues, :func:`data_root` raises a Polish
:class:`~terminarz.errors.TerminarzError` naming the places searched — never an
empty catalogue list that would make every command answer "0 plików".
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from terminarz.errors import TerminarzError

_PACKAGE = Path(__file__).resolve().parent
_DISTRIBUTION = "terminarz"
_SHARE = Path("share") / "terminarz"


def _holds_data(folder: Path) -> bool:
    return (folder / "calendars").is_dir() and bool(_named(folder / "calendars", ".toml"))


def _recorded() -> list[Path]:
    """``share/terminarz`` folders among the files the installed distribution recorded."""
    from importlib import metadata

    try:
        files = metadata.distribution(_DISTRIBUTION).files or []
    except metadata.PackageNotFoundError:
        return []
    found: list[Path] = []
    for entry in files:
        parts = entry.parts
        for index in range(len(parts) - 2):
            if parts[index] == "share" and parts[index + 1] == "terminarz":
                root = Path(str(entry.locate())).resolve()
                for _ in range(len(parts) - index - 2):
                    root = root.parent
                if root not in found:
                    found.append(root)
                break
    return found


def _preferred_schemes() -> list[str]:
    """The install schemes pip chooses by default here: for a prefix (a virtual environment,
    a system), for ``--user``, for ``--home``."""
    import sysconfig

    preferred = []
    for key in ("prefix", "user", "home"):
        try:
            preferred.append(sysconfig.get_preferred_scheme(key))  # type: ignore[arg-type,unused-ignore]
        except (KeyError, ValueError, AttributeError):
            continue
    return list(dict.fromkeys(preferred))


def _own_scheme_folders() -> list[Path]:
    """``<data>/share/terminarz`` of the preferred schemes whose ``purelib`` or ``platlib``
    is the folder this package is installed in (one ``get_paths`` per scheme: each call
    copies the interpreter's whole configuration)."""
    import sysconfig

    folders: list[Path] = []
    for name in _preferred_schemes():
        try:
            found = sysconfig.get_paths(name)
        except KeyError:
            continue
        libraries = {found.get("purelib"), found.get("platlib")}
        data = found.get("data")
        if data and any(lib and Path(lib).resolve() == _PACKAGE.parent for lib in libraries):
            folder = Path(data) / _SHARE
            if folder not in folders:
                folders.append(folder)
    return folders


def _scheme_folders() -> list[Path]:
    """``<data>/share/terminarz`` of every install scheme this interpreter knows."""
    import sysconfig

    folders: list[Path] = []
    for name in dict.fromkeys([*_preferred_schemes(), *sysconfig.get_scheme_names()]):
        try:
            data = sysconfig.get_path("data", name)
        except KeyError:
            continue
        if data:
            folder = Path(data) / _SHARE
            if folder not in folders:
                folders.append(folder)
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix):
        folder = Path(prefix) / _SHARE
        if folder not in folders:
            folders.append(folder)
    return folders


def _prefix_folder() -> list[Path]:
    """``<prefix>/share/terminarz`` when the package lies in ``<prefix>``'s own library
    folder, ``<prefix>/lib/pythonX.Y/site-packages``: the ``venv`` and ``posix_prefix``
    install schemes (a virtual environment, a regular install into a prefix), whose data
    folder is the prefix itself. What :func:`_own_scheme_folders` finds for them, without
    importing ``sysconfig`` and expanding its configuration (about 3 ms at every start)."""
    if os.name != "posix":
        return []
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    for prefix in dict.fromkeys((sys.prefix, sys.exec_prefix)):
        library = Path(prefix) / "lib" / version / "site-packages"
        if _PACKAGE.parent in (library, library.resolve()):
            return [Path(prefix) / _SHARE]
    return []


def candidates() -> Iterator[Path]:
    """Every folder searched for ``calendars/`` and ``templates/``, in order; each group
    is computed only when the folders before it have been looked at."""
    yield _PACKAGE.parent
    for group in (_prefix_folder, _own_scheme_folders, _recorded, _scheme_folders):
        yield from group()


@functools.cache
def data_root() -> Path:
    """The folder holding ``calendars/`` (and ``templates/``); a :class:`TerminarzError`
    naming every place searched when none does (a broken installation)."""
    searched: list[Path] = []
    for folder in candidates():
        if folder in searched:
            continue
        searched.append(folder)
        if _holds_data(folder):
            return folder
    shown = ", ".join(str(f) for f in searched)
    raise TerminarzError(
        "nie znaleziono danych terminarza (katalogów calendars/ i templates/) — instalacja "
        f"jest niepełna; szukano w: {shown}. Zainstaluj pakiet ponownie (pip install "
        "terminarz) albo uruchom go z katalogu źródeł"
    )


def calendars_dir() -> Path:
    return data_root() / "calendars"


def templates_dir() -> Path:
    return data_root() / "templates"


def holiday_table_path() -> Path:
    return calendars_dir() / "holidays-pl.json"


def bundled_catalogues() -> list[Path]:
    """Every catalogue file bundled with terminarz, sorted by name."""
    return sorted(_named(calendars_dir(), ".toml"))


def _named(folder: Path, suffix: str) -> list[Path]:
    """The entries of ``folder`` whose name ends with ``suffix``: what ``glob("*.toml")``
    finds (nothing from a folder that cannot be read), without compiling a pattern at every
    start."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [folder / name for name in names if name.endswith(suffix)]


def user_data_path() -> Path:
    """The user's data folder of terminarz: what ``platformdirs.user_data_path("terminarz",
    appauthor=False)`` answers. On Linux with an absolute ``$XDG_DATA_HOME`` or ``$HOME`` the
    library's rule is applied here (``$XDG_DATA_HOME/terminarz``, else
    ``~/.local/share/terminarz``) — importing platformdirs costs more than a short command's
    whole work; every other case (another system, no usable home) asks the library."""
    found = _xdg_folder("XDG_DATA_HOME", "~/.local/share")
    if found is not None:
        return found
    from platformdirs import user_data_path as library_rule

    return library_rule("terminarz", appauthor=False)


def user_cache_path() -> Path:
    """The user's cache folder of terminarz: what ``platformdirs.user_cache_path("terminarz",
    appauthor=False)`` answers, by the same shortcut as :func:`user_data_path` on Linux
    (``$XDG_CACHE_HOME/terminarz``, else ``~/.cache/terminarz``)."""
    found = _xdg_folder("XDG_CACHE_HOME", "~/.cache")
    if found is not None:
        return found
    from platformdirs import user_cache_path as library_rule

    return library_rule("terminarz", appauthor=False)


def user_cache_folder(name: str) -> Path | None:
    """``name`` in the user's cache folder (compiled files, templates, parsed calendars),
    or None when no cache folder can be named (no usable home folder): then nothing is
    kept and everything is made again, never an error."""
    try:
        return user_cache_path() / name
    except Exception:
        return None


def _xdg_folder(variable: str, default: str) -> Path | None:
    """platformdirs' rule on Linux: ``$variable/terminarz`` when it is absolute, else
    ``default/terminarz`` under an absolute ``$HOME``; None where the library must answer."""
    if sys.platform == "linux" and "ANDROID_DATA" not in os.environ:
        base = os.environ.get(variable, "")
        if os.path.isabs(base):
            return Path(base) / "terminarz"
        if os.path.isabs(os.environ.get("HOME", "")):
            return Path(os.path.expanduser(default)) / "terminarz"
    return None

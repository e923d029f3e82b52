"""Catalogue files (and the holiday table) parsed once per version: the compiled cache.

Parsing and checking the TOML files is most of what a short command such as ``terminarz
due`` does. The result of reading one file (its :class:`Catalogue`, the problems found in
it alone and its ``[[announced]]`` entries) is kept, like Python's own bytecode, one entry
per file: for the bundled catalogues in ``calendars/__pycache__/`` beside the holiday
table; for anyone else's files (an institution's own schedule, an organisation file:
:mod:`terminarz.org.organisation` keeps its checked result the same way) in the user's
cache folder, ``$XDG_CACHE_HOME/terminarz/compiled/`` — never beside them.

An entry is used only when everything it was made from is unchanged: the file's path,
size, modification time and content (CRC-32 of its bytes, which are read anyway), the
version of terminarz, of Python and of the pickle format, and the size and modification
time of every module that reads these files (so an edited parser, in a checkout, is not
served stale objects) — in a regular installation, whose modules change only by installing
again, of the distribution's record (its size, time and content: the hash of every
installed file), which pip writes at every install, instead. The entry's own bytes carry a
checksum. A missing, stale, corrupt or unreadable entry is ignored and the file is parsed
again (and the entry rewritten when the folder is writable: a read-only installation
simply parses every time). The checks that need several files (a repeated obligation id,
an announced date for another file's obligation) are run on every load, cached or not. The
generated holiday table beside the catalogues (``holidays-pl.json``) is kept the same way,
as its parsed years.

CRC-32 (``zlib``) rather than ``hashlib``: importing ``hashlib`` costs about 3 ms, more
than reading the entry; the check guards against a changed file, not a hostile one —
whoever can write the cache folder can write the files it caches (the installation's
folder, or the user's own cache).
"""

from __future__ import annotations

import functools
import os
import sys
import zlib
from pathlib import Path

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

FORMAT = 1  # of an entry: bump when its layout changes
MAGIC = b"terminarz-compiled-catalogue\n"
SEP = "\x1f"  # between the fields of the header
FOLDER = "__pycache__"
SOURCES = ("errors.py", "polish.py", "tomlcheck.py", "records.py", "settings.py", "paths.py",
           "law", "org")  # what reading a catalogue or an organisation file runs


def cache_folder(path: Path) -> Path | None:
    """Where the entry of the file at ``path`` is kept: ``calendars/__pycache__`` for a
    bundled catalogue, else the user's cache folder; None when neither can be named."""
    from terminarz.errors import TerminarzError
    from terminarz.paths import calendars_dir, user_cache_folder

    try:
        if path.parent == calendars_dir():
            return path.parent / FOLDER
    except TerminarzError:  # no bundled data at all: only the user's cache is left
        pass
    return user_cache_folder("compiled")


@functools.cache
def code_version() -> str:
    """terminarz's, Python's and pickle's versions and the stamps of the modules that read
    catalogues (:func:`module_stamps`); taken once per process, like the modules themselves."""
    import terminarz

    return "|".join([terminarz.__version__, sys.version, str(PROTOCOL),
                     *module_stamps(SOURCES)])  # fmt: skip


def module_stamps(names: Sequence[str] = (), package: str | None = None) -> list[str]:
    """What tells this version of terminarz's code from another: for a regular installation
    the stamp of its distribution's record (:func:`installation_stamp`), else (a checkout, an
    editable install) ``name:size:modification time`` of terminarz's modules — of those
    ``names`` (a module such as ``errors.py`` or a sub-package such as ``law``), or of every
    module of the package: a module changed in place counts as another version.

    ``package`` is the package's folder (by default the imported package's)."""
    if package is None:
        import terminarz

        package = os.path.dirname(terminarz.__file__)
    installed = installation_stamp(package)
    if installed is not None:
        return [installed]
    if not names:
        names = sorted(entry.name for entry in os.scandir(package)
                       if entry.name.endswith(".py")
                       or (entry.is_dir() and entry.name != "__pycache__"))  # fmt: skip
    stamps = []
    for name in names:
        target = os.path.join(package, name)
        files = ([f"{name}/{n}" for n in sorted(os.listdir(target)) if n.endswith(".py")]
                 if os.path.isdir(target) else [name])  # fmt: skip
        for file in files:
            try:
                stat = os.stat(os.path.join(package, file))
            except OSError:
                continue
            stamps.append(f"{file}:{stat.st_size}:{stat.st_mtime_ns}")
    return stamps


def installation_stamp(package: str) -> str | None:
    """``path:size:modification time:CRC-32`` of ``terminarz-<version>.dist-info/RECORD``
    when it lies beside the package's folder ``package`` — a regular installation (pip, a
    wheel), whose files change only by installing again: the record lists the hash of every
    installed file, and pip writes it anew at every install, the same version reinstalled
    included. None otherwise: a checkout or an editable install (its record lies in
    ``site-packages``, away from the package, whose files are edited in place), or another
    version's record. One small file read instead of a ``stat`` of every module."""
    import terminarz

    record = os.path.join(os.path.dirname(package),
                          f"terminarz-{terminarz.__version__}.dist-info", "RECORD")  # fmt: skip
    try:
        with open(record, "rb") as file:
            stat = os.fstat(file.fileno())
            content = file.read()
    except (OSError, ValueError):
        return None
    return f"{record}:{stat.st_size}:{stat.st_mtime_ns}:{zlib.crc32(content):08x}"


def _header(path: Path, raw: bytes, stat: os.stat_result, version: str) -> bytes:
    """What an entry must start with to be used: compared byte for byte, never parsed."""
    fields = (str(FORMAT), str(path), str(stat.st_size), str(stat.st_mtime_ns),
              str(zlib.crc32(raw)), version)  # fmt: skip
    return SEP.join(fields).encode("utf-8", "surrogateescape") + b"\n"


def _entry_path(folder: Path, path: Path) -> Path:
    if folder.name == FOLDER:  # beside the bundled catalogues: one file of each name
        return folder / f"{path.stem}.{sys.implementation.cache_tag}.pickle"
    where = zlib.crc32(str(path).encode("utf-8", "surrogateescape"))  # files of one name
    return folder / f"{path.stem}-{where:08x}.{sys.implementation.cache_tag}.pickle"


PROTOCOL = 5  # of pickle: part of the version an entry is made for

SUMMARY, VALUE = 0, 1  # the parts of an entry: a small summary (read alone) and the value


def read(path: Path, raw: bytes, stat: os.stat_result, version: str,
         part: int = VALUE) -> Any | None:  # fmt: skip
    """The value (or summary) kept for the file at ``path`` whose bytes are ``raw``, or None
    when there is none that matches them exactly (never an error)."""
    parts = read_parts(path, raw, stat, version)
    return None if parts is None else load(parts[part])


def read_parts(path: Path, raw: bytes, stat: os.stat_result, version: str
               ) -> tuple[bytes, bytes] | None:  # fmt: skip
    """Both parts kept for the file (:data:`SUMMARY` and :data:`VALUE`), each still pickled
    (:func:`load` unpickles one): a caller that needs the summary first and then perhaps the
    value reads the entry once. None as for :func:`read`."""
    folder = cache_folder(path)
    if folder is None:
        return None
    try:
        data = _entry_path(folder, path).read_bytes()
        head = MAGIC + _header(path, raw, stat, version)
        if not data.startswith(head):
            return None
        checksum, _, payload = data[len(head) :].partition(b"\n")
        if int(checksum) != zlib.crc32(payload):
            return None
        summary, value = _loads(payload)
        return summary, value
    except Exception:  # a corrupt entry of any kind is ignored, never trusted
        return None


def load(part: bytes) -> Any | None:
    """One part of an entry (from :func:`read_parts`) unpickled; None when it cannot be."""
    try:
        return _loads(part)
    except Exception:  # a corrupt entry of any kind is ignored, never trusted
        return None


def _loads(data: bytes) -> Any:
    """``pickle.loads`` from the C module itself: reading an entry then costs no import of
    the ``pickle`` module (with ``struct``, ``re`` and the Python unpickler), about 2 ms."""
    try:
        from _pickle import loads
    except ImportError:  # an interpreter without the C accelerator
        from pickle import loads
    return loads(data)


def write(path: Path, raw: bytes, stat: os.stat_result, version: str, value: Any,
          summary: Any = None) -> None:  # fmt: skip
    """Keep ``value`` and its ``summary`` for the file; silently nothing when the folder
    cannot be written."""
    folder = cache_folder(path)
    if folder is None:
        return
    import pickle

    from terminarz.files import replace_file

    payload = pickle.dumps((pickle.dumps(summary, PROTOCOL), pickle.dumps(value, PROTOCOL)),
                           PROTOCOL)  # fmt: skip
    head = MAGIC + _header(path, raw, stat, version)
    data = head + str(zlib.crc32(payload)).encode("ascii") + b"\n" + payload
    try:
        replace_file(_entry_path(folder, path), data)
    except OSError:  # a folder that cannot be written: parsed again next time
        return

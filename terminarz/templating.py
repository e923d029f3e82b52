"""Compiled templates kept between runs: Jinja2's bytecode cache in the user's cache folder.

Compiling is most of what loading a template costs — the eight templates of the reminders
about 60 ms, the same read back from the cache about 3 ms — and every process pays it
again: each ``terminarz remind`` started by cron, each of its worker processes, each
institution's site that ``serve --orgs`` builds. Jinja2's own cache
(:class:`jinja2.FileSystemBytecodeCache`) keeps each template's compiled code in
``$XDG_CACHE_HOME/terminarz/templates/<kind>/`` and uses it only while the template's
source is the same (it compares a hash of it) and Jinja2's bytecode format and Python's
version are the ones it was made with; anything else is compiled again.

``kind`` names one set of environment settings (the mails', the letters', the pages'):
compiled code depends on them (``trim_blocks``, autoescaping), so each kind has its own
folder, and the key of an entry names the kind and Jinja2's version as well. A folder that
cannot be made or written means compiling every time, as before — never an error. Whoever
can write the folder can write the templates themselves (it is the user's own cache, like
:mod:`terminarz.law.compiled`'s).
"""

from __future__ import annotations

import os

from jinja2 import BytecodeCache, FileSystemBytecodeCache
from jinja2.bccache import Bucket


class _UserCache(FileSystemBytecodeCache):
    """Jinja2's file cache, its keys salted with the kind and Jinja2's version, its folder
    made on the first write, and an entry that cannot be read or written ignored."""

    def __init__(self, directory: str, salt: str) -> None:
        super().__init__(directory)
        self._salt = salt

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(f"{self._salt}|{name}", filename)

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # not a folder, unreadable, damaged (Jinja2 lets a cut entry's
            bucket.reset()  # pickle error through): compiled then, and written again

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:  # no cache then: the template was compiled and is used all the same
            pass


def bytecode_cache(kind: str) -> BytecodeCache | None:
    """The cache of compiled templates of ``kind`` (``"mail"``, ``"pages"`` …) for a Jinja2
    environment's ``bytecode_cache``; None when the user's cache folder cannot be named."""
    import jinja2

    from terminarz.paths import user_cache_folder

    folder = user_cache_folder("templates")
    if folder is None:
        return None
    return _UserCache(str(folder / kind), f"{kind}|{jinja2.__version__}")

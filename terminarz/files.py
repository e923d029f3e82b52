"""Files written whole or not at all.

What terminarz writes for others to read while it runs — the published calendar feeds
(a web server hands them out), the compiled cache entries, the record of a feed's inputs,
the kept copies of schedules fetched from an address — is replaced, never rewritten in
place: the bytes go into a new file beside the old one and that file is renamed over it,
so a reader sees the old content or the new, never a part of either, and a failure leaves
the old file as it was.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from pathlib import Path


def update_file(path: Path, data: bytes) -> bool:
    """:func:`replace_file` only when ``path`` does not hold ``data`` already (a file served
    over HTTP keeps its time, and so its validators, while its content stays); whether it
    was written."""
    try:
        with open(path, "rb") as current:
            if current.read() == data:
                return False
    except OSError:  # missing or unreadable: written
        pass
    replace_file(path, data)
    return True


def replace_file(path: Path, data: bytes, *, mode: int = 0o666) -> None:
    """Make ``data`` the content of ``path`` at once (its folder is made when missing).

    The temporary file beside it is named after this process and thread (two threads, or
    two runs, writing one file do not share it) and created with ``mode`` less the umask —
    by default the permissions of any new file (a published feed stays readable by the web
    server); ``0o600`` for what only its owner may read. Raises :class:`OSError`; nothing is
    left behind then, and ``path`` keeps its old content.
    """
    import _thread

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{_thread.get_ident()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with open(descriptor, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        import contextlib

        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise

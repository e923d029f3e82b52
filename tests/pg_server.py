"""A PostgreSQL server started from the machine's binaries (Debian's ``postgresql`` package)
in a temporary folder on a free loopback port, stopped and removed afterwards — for the
tests (``postgres_server`` in conftest.py) and ``bench/bench_national.py``."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_binaries() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl`` of the newest installed version, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@contextmanager
def running_postgres(binaries: Path, *settings: str) -> Iterator[str]:
    """A server's base URL (``postgresql://terminarz@127.0.0.1:PORT``) while it runs.

    ``settings`` are server options (``-c name=value``). As root the server runs as the
    ``postgres`` user, in a folder that user owns (pytest's own folders are closed to it).
    """
    folder = Path(tempfile.mkdtemp(prefix="terminarz-pg-", dir="/tmp"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = folder / "data"

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)

    options = " ".join(f"-c {s}" for s in ("listen_addresses=127.0.0.1", *settings))
    try:
        run(str(binaries / "initdb"), "-D", str(data), "-U", "terminarz", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
        run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
            f"-p {port} -k {folder} {options}", "start")  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            yield f"postgresql://terminarz@127.0.0.1:{port}"
        finally:
            run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)

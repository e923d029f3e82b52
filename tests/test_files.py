"""Files written whole or not at all (:func:`terminarz.files.replace_file`)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from terminarz.files import replace_file, update_file


def test_the_content_is_replaced_and_the_folder_made(tmp_path: Path) -> None:
    target = tmp_path / "kanaly" / "osoby" / "kier-dsps.ics"
    replace_file(target, b"BEGIN:VCALENDAR\r\n")
    replace_file(target, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    assert target.read_bytes() == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    assert os.listdir(target.parent) == ["kier-dsps.ics"]  # no temporary file left


def test_a_new_file_has_the_permissions_of_any_new_file(tmp_path: Path) -> None:
    """A published feed must stay readable by the web server: 0666 less the umask, not the
    0600 of a private temporary file."""
    old = os.umask(0o022)
    try:
        replace_file(tmp_path / "ogolny.ics", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "ogolny.ics").stat().st_mode) == 0o644


def test_a_failed_replace_keeps_the_old_content_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "kanal.ics"
    target.mkdir()  # a folder in the way: the rename fails
    (target / "inny.ics").write_bytes(b"stary")
    with pytest.raises(OSError):
        replace_file(target, b"nowy")
    assert os.listdir(tmp_path) == ["kanal.ics"]
    assert (target / "inny.ics").read_bytes() == b"stary"


def test_threads_writing_one_file_each_leave_a_whole_one(tmp_path: Path) -> None:
    target = tmp_path / "wspolny.bin"
    bodies = [bytes([n]) * 200_000 for n in range(8)]
    start = threading.Barrier(len(bodies))

    def write(body: bytes) -> None:
        start.wait()
        for _ in range(5):
            replace_file(target, body)

    threads = [threading.Thread(target=write, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert target.read_bytes() in bodies
    assert os.listdir(tmp_path) == ["wspolny.bin"]


def test_an_update_writes_only_changed_bytes(tmp_path: Path) -> None:
    """A feed served over HTTP keeps its time (its Last-Modified) while its content stays."""
    target = tmp_path / "ogolny.ics"
    assert update_file(target, b"pierwsza") is True
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    assert update_file(target, b"pierwsza") is False
    assert target.stat().st_mtime_ns == 1_000_000_000
    assert update_file(target, b"druga") is True
    assert target.read_bytes() == b"druga" and os.listdir(tmp_path) == ["ogolny.ics"]

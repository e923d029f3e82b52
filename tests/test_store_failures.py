"""A store that cannot be written: never a traceback, never a mail sent and forgotten.

Tests run as root, where file modes do not stop writes: the state file is put on a small
tmpfs mounted by the test — filled up for "disk full", remounted read-only for "read-only".
Where mounting is not allowed the tests are skipped with the reason.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_mail_sink import smtp_sink
from test_reminders import copy_example

from terminarz.cli import main
from terminarz.store.base import StoreError
from terminarz.store.sqlite import SQLiteStore

SECRET = "sekret-testowy-0123456789abcdef"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs, unmounted after the test."""
    folder = tmp_path / "dysk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                             capture_output=True, text=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"nie można zamontować tmpfs w tym środowisku: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill(folder: Path) -> None:
    """Take every free byte of the file system."""
    with open(folder / "wypelniacz", "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass


def night(config: Path, day: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> int:
    for key, value in {**env, "TERMINARZ_SECRET": SECRET}.items():
        monkeypatch.setenv(key, value)
    return main(["remind", "--config", str(config), "--today", day])


def test_a_full_disk_stops_the_night_before_any_mail(
    small_disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    config = copy_example(tmp_path / "org", state=str(small_disk / "state.sqlite3"))
    with smtp_sink() as server:
        assert night(config, "2027-01-18", server.env(), monkeypatch) == 0
        assert len(server.sink.take()) == 5
        fill(small_disk)
        capsys.readouterr()
        code = night(config, "2027-01-25", server.env(), monkeypatch)
        err = capsys.readouterr().err
        assert code == 1 and server.sink.take() == []  # nothing went out
        assert "brak miejsca na dysku" in err and "nic nie wysłano" in err
        assert "Traceback" not in err
        (small_disk / "wypelniacz").unlink()
        assert night(config, "2027-01-25", server.env(), monkeypatch) == 0
        sent = server.sink.take()
        assert night(config, "2027-01-25", server.env(), monkeypatch) == 0
        assert server.sink.take() == []
    assert len(sent) == len({r.message_id for r in sent}) > 0


def test_a_read_only_store_is_a_message_not_a_traceback(
    small_disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    config = copy_example(tmp_path / "org", state=str(small_disk / "state.sqlite3"))
    with smtp_sink() as server:
        assert night(config, "2027-01-18", server.env(), monkeypatch) == 0
        server.sink.take()
        remount = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)],
                                 capture_output=True, text=True)  # fmt: skip
        assert remount.returncode == 0, remount.stderr
        capsys.readouterr()
        code = night(config, "2027-01-25", server.env(), monkeypatch)
        err = capsys.readouterr().err
        assert code == 1 and server.sink.take() == []
        assert "bazy stanu" in err and "nic nie wysłano" in err and "Traceback" not in err
        assert main(["log", "--config", str(config)]) in (0, 2)
        assert "Traceback" not in capsys.readouterr().err


def test_a_mail_sent_but_not_recorded_is_reported_and_resent_at_most_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The store fails right after the server accepted a mail (the disk filled up between
    the claim and the mark, simulated here): the run says which mail may repeat, exits 1 and
    sends nothing more; the next run sends that mail once more (same Message-ID) and the rest."""
    config = copy_example(tmp_path)
    real = SQLiteStore.mark_sent
    failures = {"left": 3}  # every retry of the first mark fails

    def flaky(self: SQLiteStore, ids: list[int], *, at: object) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise StoreError("nie można zapisać bazy stanu: brak miejsca na dysku")
        real(self, ids, at=at)  # type: ignore[arg-type]

    monkeypatch.setattr("terminarz.notify.nightly._recorded.__defaults__", (3, 0.0))
    with smtp_sink() as server:
        monkeypatch.setattr(SQLiteStore, "mark_sent", flaky)
        capsys.readouterr()
        assert night(config, "2027-01-18", server.env(), monkeypatch) == 1
        err = capsys.readouterr().err
        first = server.sink.take()
        assert len(first) == 1  # the run stopped after the unrecorded one
        assert "wysłano, ale nie zapisano w bazie stanu" in err and "Traceback" not in err
        assert night(config, "2027-01-18", server.env(), monkeypatch) == 0
        second = server.sink.take()
    assert len(second) == 5
    assert first[0].message_id in {r.message_id for r in second}  # the one repeat, same id
    assert len({r.message_id for r in second}) == 5


def test_a_feed_folder_that_cannot_be_written_is_a_message_and_leaves_no_half_file(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = copy_example(tmp_path / "org")
    out = small_disk / "kalendarze"
    fill(small_disk)
    code = main(["feed", "--config", str(config), "--out", str(out), "--today", "2027-01-18"])
    err = capsys.readouterr().err
    assert code == 2 and "nie można zapisać pliku" in err and "Traceback" not in err
    assert not [p for p in small_disk.rglob("*") if p.name.endswith(".tmp")]
    (small_disk / "wypelniacz").unlink()
    blocked = tmp_path / "to-jest-plik"
    blocked.write_text("x", encoding="utf-8")
    assert main(["feed", "--config", str(config), "--out", str(blocked)]) == 2
    assert "nie można zapisać pliku" in capsys.readouterr().err

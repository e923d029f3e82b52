"""The compiled cache of the bundled catalogues gives exactly what parsing the files gives,
and is never used for a file, or by code, that changed since it was written."""

from __future__ import annotations

import os
import shutil
import zlib
from datetime import date
from pathlib import Path

import pytest

from terminarz import paths
from terminarz.law import catalogue as catalogue_module
from terminarz.law import compiled
from terminarz.law.catalogue import check_catalogues, load_catalogues, may_be_in_force

BUNDLED = sorted(p for p in (Path(__file__).resolve().parent.parent / "calendars").glob("*.toml"))
RANGES = [
    (date(1992, 1, 1), date(1992, 1, 31)),
    (date(2010, 1, 1), date(2010, 12, 31)),
    (date(2026, 1, 1), date(2026, 1, 31)),
    (date(1992, 1, 1), date(2100, 12, 31)),
]


@pytest.fixture
def bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled catalogues standing in for the installation's folder."""
    folder = tmp_path / "calendars"
    folder.mkdir()
    for path in BUNDLED:
        shutil.copy2(path, folder / path.name)
    monkeypatch.setattr(paths, "calendars_dir", lambda: folder)
    return folder


def _fresh(files: list[Path], monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    with monkeypatch.context() as m:
        m.setattr(compiled, "cache_folder", lambda path: None)
        return check_catalogues(files)


def refuse_parsing(monkeypatch: pytest.MonkeyPatch, module: object = None) -> None:
    """Make ``module``'s TOML parsing (the catalogues' by default) fail the test: what it
    loads must come from the compiled cache."""

    def refuse(path: Path, raw: bytes) -> None:
        raise AssertionError(f"{path} was parsed, not read from the compiled cache")

    monkeypatch.setattr(module or catalogue_module, "parse_toml", refuse)


@pytest.mark.parametrize("name", [p.name for p in BUNDLED], ids=[p.stem for p in BUNDLED])
def test_the_compiled_catalogue_is_the_parsed_one(
    name: str, bundled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [bundled / name]
    written = check_catalogues(files)
    assert (bundled / compiled.FOLDER).is_dir()
    with monkeypatch.context() as m:
        refuse_parsing(m)
        cached = check_catalogues(files)
    fresh = _fresh(files, monkeypatch)
    assert cached == fresh == written
    assert cached[0][0].path == bundled / name


def test_all_bundled_catalogues_together_from_the_cache(
    bundled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted(bundled.glob("*.toml"))
    load_catalogues(files)
    with monkeypatch.context() as m:
        refuse_parsing(m)
        cached_catalogues, cached_problems = check_catalogues(files)
        for path in files:
            for start, end in RANGES:
                assert may_be_in_force(path, start, end) == _may_be_fresh(path, start, end,
                                                                          monkeypatch)  # fmt: skip
    fresh_catalogues, fresh_problems = _fresh(files, monkeypatch)
    assert cached_catalogues == fresh_catalogues
    assert cached_problems == fresh_problems
    # the line numbers of problems found across files come from the file itself
    assert [p.line for p in cached_problems] == [p.line for p in fresh_problems]  # type: ignore[attr-defined]


def _may_be_fresh(path: Path, start: date, end: date, monkeypatch: pytest.MonkeyPatch) -> bool:
    with monkeypatch.context() as m:
        m.setattr(compiled, "cache_folder", lambda path: None)
        return may_be_in_force(path, start, end)


def test_an_edit_that_keeps_size_and_time_is_seen(bundled: Path) -> None:
    path = bundled / "sr-2015.toml"
    (before,), _ = check_catalogues([path])
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    title = before.obligations[0].title
    changed = title[:-1] + ("X" if title[-1] != "X" else "Y")
    assert len(changed.encode()) == len(title.encode())
    path.write_text(text.replace(title, changed, 1), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    (after,), _ = check_catalogues([path])
    assert after.obligations[0].title == changed


def test_an_edit_with_a_new_time_is_parsed_again(
    bundled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = bundled / "sr-2015.toml"
    check_catalogues([path])
    path.write_text(path.read_text(encoding="utf-8") + "\n# dopisek\n", encoding="utf-8")
    refuse_parsing(monkeypatch)
    with pytest.raises(AssertionError, match="was parsed"):
        check_catalogues([path])


@pytest.mark.parametrize("damage", [
    b"", b"garbage", b"terminarz-compiled-catalogue\n{}\n0\n",
], ids=["empty", "garbage", "wrong-header"])  # fmt: skip
def test_a_corrupt_entry_is_ignored_and_rebuilt(
    damage: bytes, bundled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = bundled / "fa-2017.toml"
    expected = check_catalogues([path])
    (entry,) = (bundled / compiled.FOLDER).glob("fa-2017.*")
    entry.write_bytes(damage)
    assert check_catalogues([path]) == expected
    with monkeypatch.context() as m:
        refuse_parsing(m)
        assert check_catalogues([path]) == expected  # rewritten


def test_a_damaged_payload_is_not_unpickled(bundled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = bundled / "fa-2017.toml"
    expected = check_catalogues([path])
    (entry,) = (bundled / compiled.FOLDER).glob("fa-2017.*")
    data = bytearray(entry.read_bytes())
    data[-10] ^= 0xFF
    entry.write_bytes(bytes(data))
    assert compiled.read(path, path.read_bytes(), path.stat(), compiled.code_version()) is None
    assert check_catalogues([path]) == expected


def test_changed_code_is_not_served_old_objects(
    bundled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = bundled / "fa-2017.toml"
    check_catalogues([path])
    monkeypatch.setattr(compiled, "code_version", lambda: "another version of the parser")
    assert compiled.read(path, path.read_bytes(), path.stat(), compiled.code_version()) is None


def test_files_outside_the_bundled_folder_are_compiled_in_the_users_cache(
    tmp_path: Path, bundled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An institution's own file is compiled too, into the user's cache folder (the tests'
    own ``XDG_CACHE_HOME``), never beside it; two files of one name keep two entries."""
    own = tmp_path / "own" / "sr-2015.toml"
    other = tmp_path / "other" / "sr-2015.toml"
    for path in (own, other):
        path.parent.mkdir()
        shutil.copy2(bundled / "sr-2015.toml", path)
    fresh = _fresh([own], monkeypatch)
    written = check_catalogues([own])
    check_catalogues([other])
    assert not (own.parent / compiled.FOLDER).exists()
    folder = compiled.cache_folder(own)
    assert folder == paths.user_cache_path() / "compiled"
    assert len(list(folder.glob("sr-2015-*.pickle"))) == 2
    with monkeypatch.context() as m:
        refuse_parsing(m)
        cached = check_catalogues([own])
    assert cached == written == fresh
    # An edit keeping size and time (the 15th → the 14th) is seen by the content's checksum.
    stat = own.stat()
    text = own.read_text(encoding="utf-8")
    assert 'kind = "fixed", day = 15 }' in text
    own.write_text(text.replace('kind = "fixed", day = 15 }', 'kind = "fixed", day = 14 }', 1),
                   encoding="utf-8")  # fmt: skip
    os.utime(own, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert own.stat().st_size == stat.st_size
    assert check_catalogues([own]) == _fresh([own], monkeypatch) != written


def test_the_compiled_holiday_table_is_the_parsed_one(bundled: Path) -> None:
    from terminarz.law.holidays_pl import TableHolidays

    table = bundled / "holidays-pl.json"
    shutil.copy2(BUNDLED[0].parent / "holidays-pl.json", table)
    fresh = TableHolidays.load(table)  # parses and compiles
    (entry,) = (bundled / compiled.FOLDER).glob("holidays-pl.*")
    kept = TableHolidays.load(table)
    assert compiled.read(table, table.read_bytes(), table.stat(), compiled.code_version())
    assert kept.version == fresh.version
    assert all(kept.year(y) == fresh.year(y) for y in range(1990, 2101))
    assert kept.year(2025)[date(2025, 12, 24)] == fresh.year(2025)[date(2025, 12, 24)]
    entry.write_bytes(b"garbage")
    again = TableHolidays.load(table)
    assert all(again.year(y) == fresh.year(y) for y in range(1990, 2101))


def _package(site: Path) -> Path:
    """A package folder laid out as terminarz's: modules and a sub-package."""
    package = site / "terminarz"
    (package / "law").mkdir(parents=True)
    (package / "errors.py").write_text("# errors\n", encoding="utf-8")
    (package / "law" / "rules.py").write_text("# rules\n", encoding="utf-8")
    return package


def test_a_regular_installation_is_stamped_by_its_record(tmp_path: Path) -> None:
    """Beside a ``terminarz-<version>.dist-info`` (pip, a wheel): one stamp, the record's,
    which a reinstall (pip writes the record anew) changes."""
    import terminarz

    package = _package(tmp_path / "site-packages")
    info = tmp_path / "site-packages" / f"terminarz-{terminarz.__version__}.dist-info"
    info.mkdir()
    record = info / "RECORD"
    record.write_text("terminarz/errors.py,sha256=AAAA,9\n", encoding="utf-8")
    os.utime(record, ns=(1_000_000_000, 1_000_000_000))
    stamps = compiled.module_stamps(compiled.SOURCES, package=str(package))
    assert stamps == [f"{record}:34:1000000000:{zlib.crc32(record.read_bytes()):08x}"]
    assert compiled.module_stamps(package=str(package)) == stamps
    os.utime(record, ns=(2_000_000_000, 2_000_000_000))  # installed again
    again = compiled.module_stamps(compiled.SOURCES, package=str(package))
    assert again != stamps and again[0].startswith(f"{record}:34:2000000000:")
    # another build with the same size and time: the files' hashes in the record differ
    record.write_text("terminarz/errors.py,sha256=BBBB,9\n", encoding="utf-8")
    os.utime(record, ns=(2_000_000_000, 2_000_000_000))
    assert compiled.module_stamps(compiled.SOURCES, package=str(package)) not in (stamps, again)


@pytest.mark.parametrize("record", [None, "terminarz-0.0.1.dist-info"],
                         ids=["checkout", "another-version"])  # fmt: skip
def test_a_checkout_is_stamped_by_its_modules(record: str | None, tmp_path: Path) -> None:
    """A checkout or an editable install (no record of this version beside the package):
    every module's size and time, so a module edited in place is another version."""
    package = _package(tmp_path / "src")
    if record is not None:
        (tmp_path / "src" / record).mkdir()
        (tmp_path / "src" / record / "RECORD").write_text("", encoding="utf-8")
    for file in (package / "errors.py", package / "law" / "rules.py"):
        os.utime(file, ns=(1_000_000_000, 1_000_000_000))
    stamps = compiled.module_stamps(("errors.py", "law", "missing.py"), package=str(package))
    assert stamps == ["errors.py:9:1000000000", "law/rules.py:8:1000000000"]
    (package / "law" / "rules.py").write_text("# rules!\n", encoding="utf-8")
    os.utime(package / "law" / "rules.py", ns=(1_000_000_000, 1_000_000_000))
    assert compiled.module_stamps(("errors.py", "law"), package=str(package)) == [
        "errors.py:9:1000000000", "law/rules.py:9:1000000000"]
    assert compiled.module_stamps(package=str(package)) == [
        "errors.py:9:1000000000", "law/rules.py:9:1000000000"]


def test_this_checkout_is_stamped_by_its_modules() -> None:
    """The tests run from a checkout (an editable install): no record beside the package."""
    import terminarz

    package = os.path.dirname(terminarz.__file__)
    assert compiled.installation_stamp(package) is None
    assert "law/compiled.py" in "".join(compiled.module_stamps(compiled.SOURCES))


@pytest.mark.parametrize(("start", "end"), RANGES, ids=[f"{s}..{e}" for s, e in RANGES])
def test_loading_during_a_range_reads_each_entry_once(
    start: date, end: date, bundled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``during``: the files :func:`may_be_in_force` keeps, loaded as when only they are
    named — each compiled entry read once (its summary deciding), and fresh files alike."""
    files = sorted(bundled.glob("*.toml"))
    kept = [p for p in files if may_be_in_force(p, start, end)]  # compiles every file
    assert 0 < len(kept) < len(files) or (start, end) == RANGES[-1]
    expected = check_catalogues(kept)
    reads: list[Path] = []
    original = compiled.read_parts

    def counted(path: Path, *args: object) -> object:
        reads.append(path)
        return original(path, *args)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        refuse_parsing(m)
        m.setattr(compiled, "read_parts", counted)
        assert check_catalogues(files, during=(start, end)) == expected
    assert reads == files
    with monkeypatch.context() as m:
        m.setattr(compiled, "cache_folder", lambda path: None)
        assert check_catalogues(files, during=(start, end)) == _fresh(kept, monkeypatch)


def test_loading_during_a_range_compiles_a_new_file_once(
    bundled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file not compiled yet is compiled (by :func:`may_be_in_force`) and then read from its
    entry; a repealed act is left out before its value is loaded."""
    jan = (date(2026, 1, 1), date(2026, 1, 31))
    files = [bundled / "mpips-1992.toml", bundled / "sr-2015.toml"]
    (catalogue,), problems = check_catalogues(files, during=jan)
    assert catalogue.path == bundled / "sr-2015.toml" and problems == []
    assert sorted(p.name.split(".")[0] for p in (bundled / compiled.FOLDER).iterdir()) == [
        "mpips-1992", "sr-2015"]
    with monkeypatch.context() as m:
        refuse_parsing(m)
        assert check_catalogues(files, during=jan) == ([catalogue], [])

"""An organisation file without errors is checked once per version: the result kept in the
user's cache folder is exactly what checking the file gives, and it is not used once the
file, or a catalogue file it names, changed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from test_compiled_catalogues import refuse_parsing

from terminarz.errors import Severity
from terminarz.law import compiled
from terminarz.org import organisation as organisation_module
from terminarz.org.organisation import check_organisation

EXAMPLES = Path(__file__).resolve().parent.parent / "calendars" / "examples"


@pytest.fixture
def centre(tmp_path: Path) -> Path:
    """The example welfare centre with its own schedule file, in a folder of its own."""
    for name in ("osrodek-pomocy.toml", "terminy-osrodka.toml", "urlopy.ics"):
        shutil.copy2(EXAMPLES / name, tmp_path / name)
    return tmp_path / "osrodek-pomocy.toml"


def _parsed(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    with monkeypatch.context() as m:
        m.setattr(compiled, "cache_folder", lambda path: None)
        return check_organisation(path)


def _not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_parsing(monkeypatch, organisation_module)


def test_the_kept_result_is_the_checked_one(centre: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:  # fmt: skip
    fresh = _parsed(centre, monkeypatch)
    first = check_organisation(centre)
    with monkeypatch.context() as m:
        _not_parsed(m)
        kept = check_organisation(centre)
    assert kept == first == fresh
    organisation, problems = kept
    assert organisation is not None and organisation.id == "mopr-przyklad"
    assert all(p.severity is not Severity.ERROR for p in problems)  # type: ignore[attr-defined]


def test_an_edit_keeping_size_and_time_is_checked_again(
    centre: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_organisation(centre)
    stat = centre.stat()
    text = centre.read_text(encoding="utf-8")
    assert "months_ahead = 24" in text
    centre.write_text(text.replace("months_ahead = 24", "months_ahead = 12", 1), encoding="utf-8")
    os.utime(centre, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    organisation, _ = check_organisation(centre)
    assert organisation is not None and organisation.settings.feeds.months_ahead == 12
    assert (organisation, _) == _parsed(centre, monkeypatch)


def test_a_named_catalogue_that_is_gone_is_reported(centre: Path) -> None:
    organisation, problems = check_organisation(centre)
    assert organisation is not None
    (centre.parent / "terminy-osrodka.toml").unlink()
    organisation, problems = check_organisation(centre)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    assert errors and "terminy-osrodka.toml" in str(errors[0])


def test_a_file_with_errors_is_never_kept(centre: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = centre.read_text(encoding="utf-8")
    centre.write_text(text.replace('id = "mopr-przyklad"', 'id = "Zły Identyfikator"', 1),
                      encoding="utf-8")  # fmt: skip
    for _ in range(2):
        _, problems = check_organisation(centre)
        assert any(p.severity is Severity.ERROR for p in problems)
    folder = compiled.cache_folder(centre)
    assert folder is not None and not compiled._entry_path(folder, centre).exists()

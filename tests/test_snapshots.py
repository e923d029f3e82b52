"""Golden snapshots: every occurrence of the bundled catalogue due in 1992, 2011, 2025 and 2026.

A change to a catalogue, to the holiday table or to the date rules shows up
here as a reviewable diff of dates. After reviewing an intended change,
regenerate the files with::

    TERMINARZ_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_snapshots.py

The files were first checked against the hand-worked dates of
``tests/test_rules_dates.py`` (every case due in these years appears with the
same due and nominal date).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from terminarz.law.catalogue import CatalogueSet
from terminarz.law.rules import Occurrence, expand
from terminarz.law.workdays import WorkingCalendar

SNAPSHOTS = Path(__file__).parent / "snapshots"
YEARS = (1992, 2011, 2025, 2026)
UPDATE = os.environ.get("TERMINARZ_UPDATE_SNAPSHOTS") == "1"


def render(year: int, occurrences: list[Occurrence]) -> str:
    """JSON with one occurrence per line, so a changed date is a one-line diff."""
    rows = [
        json.dumps({"id": o.id, "due": o.due.isoformat(), "nominal": o.nominal.isoformat()})
        for o in occurrences
    ]
    body = ",\n    ".join(rows)
    return (
        "{\n"
        f'  "year": {year},\n'
        f'  "count": {len(rows)},\n'
        f'  "occurrences": [\n    {body}\n  ]\n'
        "}\n"
    )


def occurrences_due_in(
    year: int, catalogues: CatalogueSet, calendar: WorkingCalendar
) -> list[Occurrence]:
    return expand(
        catalogues.obligations, calendar, date(year, 1, 1), date(year, 12, 31),
        catalogues.overrides,
    )  # fmt: skip


@pytest.mark.parametrize("year", YEARS)
def test_snapshot(catalogues: CatalogueSet, calendar: WorkingCalendar, year: int):
    path = SNAPSHOTS / f"occurrences-{year}.json"
    text = render(year, occurrences_due_in(year, catalogues, calendar))
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} missing; see this module's docstring to create it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"occurrences due in {year} differ from {path.name}; review the diff and, if intended, "
        "regenerate: TERMINARZ_UPDATE_SNAPSHOTS=1 "
        ".venv/bin/python -m pytest tests/test_snapshots.py"
    )


# How many occurrences fall due in a year, counted from the catalogue by hand:
# 4 monthly obligations (12 months each), 4 quarterly (4 each), 2 half-yearly (2 each),
# 2 first-half-year only (1 each), 4 annual (1 each) = 48 + 16 + 4 + 2 + 4 = 74.
# 1992 is the first year (§ 7: data from January 1992), so only periods of 1992 count:
# months 01-11 (44), quarters Q1-Q3 (12), H1 (2 + 2), no annual one = 60.
COUNTS = {1992: 60, 2011: 74, 2025: 74, 2026: 74}


@pytest.mark.parametrize("year", YEARS)
def test_snapshot_counts(year: int):
    data = json.loads((SNAPSHOTS / f"occurrences-{year}.json").read_text(encoding="utf-8"))
    assert data["count"] == len(data["occurrences"]) == COUNTS[year]
    per_obligation = Counter(o["id"].split("/")[0] for o in data["occurrences"])
    monthly = ("mpips-01.dzial-1@rup", "mpips-02@rup", "mpips-01.dzial-1@wup", "mpips-02@wup")
    assert all(per_obligation[o] == (11 if year == 1992 else 12) for o in monthly)
    assert all(o["due"].startswith(f"{year}-") for o in data["occurrences"])
    keys = [(o["due"], o["id"]) for o in data["occurrences"]]
    assert keys == sorted(keys)


# -- today's catalogues ------------------------------------------------------------------------

TODAY_YEARS = (2021, 2024, 2026, 2027)


def today_catalogues() -> CatalogueSet:
    from terminarz.law.catalogue import load_catalogues
    from terminarz.paths import bundled_catalogues

    return load_catalogues([p for p in bundled_catalogues() if p.name != "mpips-1992.toml"])


@pytest.mark.parametrize("year", TODAY_YEARS)
def test_today_snapshot(calendar: WorkingCalendar, year: int):
    """Every dated occurrence of today's catalogues (rules and announced dates) due in a year;
    a period without an announced date is absent, never guessed."""
    catalogues = today_catalogues()
    path = SNAPSHOTS / f"today-{year}.json"
    occurrences = expand(catalogues.obligations, calendar, date(year, 1, 1), date(year, 12, 31),
                         catalogues.overrides, catalogues.announced)  # fmt: skip
    text = render(year, occurrences)
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} missing; see this module's docstring to create it"
    assert text == path.read_text(encoding="utf-8"), (
        f"occurrences due in {year} differ from {path.name}; review the diff and, if intended, "
        "regenerate: TERMINARZ_UPDATE_SNAPSHOTS=1 "
        ".venv/bin/python -m pytest tests/test_snapshots.py"
    )

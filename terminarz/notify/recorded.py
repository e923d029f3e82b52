"""What people recorded through the web, read from the store into the organisation's plan.

Absences and the director's designations (II.5) entered on the pages live in the store,
not in the organisation file; every command that resolves duties (the nightly run, the
pages, ``due``, ``who``) reads them here and plans with them exactly as with the file's.
"""

from __future__ import annotations

from datetime import date

from terminarz.law.holidays_pl import FIRST_YEAR, LAST_YEAR
from terminarz.law.rules import AnnouncedDate, Grade, Override
from terminarz.org.organisation import Absence, Designation
from terminarz.org.plan import Setup, with_recorded
from terminarz.store.base import (
    Receipt,
    RecordedAbsence,
    RecordedDate,
    RecordedDesignation,
    Store,
    last_returns,
)

SOURCE = "strona terminarza"  # where an absence came from, as shown to people
WHOLE_RANGE = (date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31))


def absence(record: RecordedAbsence) -> Absence:
    return Absence(person=record.person, start=record.start, end=record.end,
                   reason=record.category.value, source=SOURCE)  # fmt: skip


def designation(record: RecordedDesignation) -> Designation | None:
    """The designation as the duty resolution knows it; its ``occurrence_id`` is the target
    (an occurrence, or an obligation for a date range). None without a target."""
    if not record.occurrence_id:
        return None
    start = record.start or WHOLE_RANGE[0]
    end = record.end or WHOLE_RANGE[1]
    return Designation(person=record.person, target=record.occurrence_id, start=start, end=end,
                       basis=record.basis)  # fmt: skip


def announced(record: RecordedDate) -> AnnouncedDate:
    """A date the responsible person entered, as the catalogues cite announced dates."""
    return AnnouncedDate(
        occurrence_id=record.occurrence_id, due=record.due, grade=Grade.INSTITUTION,
        text=record.source, local=True,
        origin=f"stronie terminarza — wpisał(a) {record.recorded_by} dnia "
               f"{_day(record.recorded_at)}",
    )  # fmt: skip


def returned_basis(record: Receipt) -> str:
    """Why a returned report has its new date, as ``explain``, feeds and mails cite it."""
    text = (f"zwrócono do poprawy przez {record.recorded_by} dnia {_day(record.recorded_at)}; "
            "nowy termin wyznaczony przez odbiorcę")  # fmt: skip
    return f"{text} — {record.note}" if record.note else text


def returned(setup: Setup, records: dict[str, Receipt]) -> Setup:
    """``setup`` with the new dates of the reports returned for correction (``records``:
    the newest return per occurrence): an override, or for a report whose date is announced
    each period, a date of the institution's own grade."""
    if not records:
        return setup
    catalogues = setup.catalogues
    overrides, dates = [], []
    for record in records.values():
        obligation = catalogues.obligation(record.occurrence_id.split("/", 1)[0])
        if obligation is None:
            continue
        if obligation.announced:
            dates.append(AnnouncedDate(occurrence_id=record.occurrence_id, due=record.day,
                                       grade=Grade.INSTITUTION, text=returned_basis(record),
                                       local=True,
                                       origin=f"zwrot do poprawy ({record.upper})"))  # fmt: skip
        else:
            overrides.append(Override(occurrence_id=record.occurrence_id, due=record.day,
                                      basis=returned_basis(record)))
    catalogues = catalogues.with_overrides(overrides).with_announced(dates)
    return setup if catalogues is setup.catalogues else setup._replace(catalogues=catalogues)


def recorded_setup(setup: Setup, store: Store, *, since: date | None = None) -> Setup:
    """``setup`` with the absences (ending on or after ``since``), designations and announced
    dates recorded in ``store`` for its organisation, and the new dates of its reports that
    their recipient returned for correction."""
    if setup.organisation is None:
        return setup
    absences = [absence(r) for r in store.absences(ending_on_or_after=since)]
    designations = [d for d in map(designation, store.designations()) if d is not None]
    result = with_recorded(setup, absences=absences, designations=designations)
    dates = [announced(r) for r in store.announced_dates().values()]
    if dates:
        catalogues = result.catalogues.with_announced(dates)
        if catalogues is not result.catalogues:
            result = result._replace(catalogues=catalogues)
    return returned(result, last_returns(store.receipts()))


def _day(stamp: str) -> str:
    try:
        return f"{date.fromisoformat(stamp[:10]):%d.%m.%Y} r."
    except ValueError:
        return stamp

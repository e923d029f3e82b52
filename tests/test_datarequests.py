"""Data requests (II.4): task dates around holidays, planning dates on institution days off,
owners, ids, and the written request rendered from the Jinja2 templates.

The report is MPiPS-03 for 2025 (mpips-03@ops/2025), due Friday 30 January 2026.
Statutory days off before it: 24, 25, 26 December 2025 (Christmas Eve is a
holiday from 2025), 1 January and 6 January 2026.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import jinja2
import pytest

from terminarz.law.catalogue import CatalogueSet
from terminarz.law.workdays import WorkingCalendar
from terminarz.notify.letters import LetterFormat, letter_context, render_letter, render_request
from terminarz.org.datarequests import TaskKind, split_task_id
from terminarz.org.organisation import Duty, Input, Organisation, Person, Unit
from terminarz.org.plan import PlannedOccurrence, Setup, plan, plan_one, plan_tasks

D = date
TODAY = D(2025, 12, 1)
PEOPLE = (
    Person(id="kier", name="Anna Kierownik", email="kier@example.org", unit="dsps",
           role="Kierownik Działu Świadczeń", system_access=True),
    Person(id="kadry", name="Jan Kadrowy", email="kadry@example.org", unit="dokip",
           role="Kierownik Działu Kadr"),
    Person(id="dyr", name="Dyrektor", email="dyr@example.org", unit="dsps"),
)  # fmt: skip
UNITS = (
    Unit(id="dsps", name="Dział Świadczeń", head="kier"),
    Unit(id="dokip", name="Dział Organizacji, Kadr i Płac", head="kadry"),
)


def setup_for(
    catalogues: CatalogueSet,
    calendar: WorkingCalendar,
    inputs: tuple[Input, ...],
    days_off: dict[date, str] | None = None,
) -> Setup:
    duty = Duty(id="ps", obligations=("mpips-03*@ops",), tiers=(("kier",),), fallback="dyr",
                basis="pkt I.4 Zasad", inputs=inputs)  # fmt: skip
    org = Organisation(
        id="t", name="Miejski Ośrodek Pomocy Rodzinie", levels=("ops",), units=UNITS,
        people=PEOPLE, duties=(duty,), days_off=days_off or {}, city="Przykładowo",
        request_basis="pkt II.4 Zasad obsługi sprawozdań",
    )  # fmt: skip
    return Setup(
        organisation=org, catalogues=catalogues, statutory=calendar,
        institution=calendar.with_institution(days_off=org.days_off),
        obligations=tuple(o for o in catalogues.obligations if org.applies(o.id, o.level)),
    )  # fmt: skip


def internal(request_days: int, deliver_days: int) -> Input:
    return Input(id="dokip", unit="dokip", name="", email=None, data="dane o zatrudnieniu",
                 request_days=request_days, deliver_days=deliver_days)  # fmt: skip


# request_days -> the date the written request must go out (hand-counted backwards)
REQUEST_DATES = [
    pytest.param(1, D(2026, 1, 29), id="1-thursday-before"),
    pytest.param(15, D(2026, 1, 9), id="15-three-weeks"),
    pytest.param(18, D(2026, 1, 5), id="18-skips-epiphany-tuesday"),
    pytest.param(19, D(2026, 1, 2), id="19-skips-new-year-and-weekend"),
    pytest.param(20, D(2025, 12, 31), id="20-into-december"),
    pytest.param(23, D(2025, 12, 23), id="23-skips-christmas-eve-and-christmas"),
]


@pytest.mark.parametrize(("days", "expected"), REQUEST_DATES)
def test_request_dates_around_holidays(
    catalogues: CatalogueSet, calendar: WorkingCalendar, days: int, expected: date
):
    setup = setup_for(catalogues, calendar, (internal(days, 0),))
    item = plan_one(setup, "mpips-03@ops/2025", today=TODAY)
    assert item.due == D(2026, 1, 30)
    request, deliver = item.tasks
    assert request.id == "mpips-03@ops/2025#prosba:dokip"
    assert request.kind is TaskKind.REQUEST
    assert request.due == expected
    assert request.planning_date is None
    assert deliver.id == "mpips-03@ops/2025#dane:dokip"
    assert deliver.due == D(2026, 1, 30)  # deliver_days = 0: on the due date itself


def test_owners_and_external_bodies(catalogues: CatalogueSet, calendar: WorkingCalendar):
    bank = Input(id="bank", unit=None, name="Bank", email="bank@example.org", data="wyciąg",
                 request_days=4, deliver_days=2)  # fmt: skip
    setup = setup_for(catalogues, calendar, (internal(15, 7), bank))
    item = plan_one(setup, "mpips-03@ops/2025", today=TODAY)
    by_id = {t.id: t for t in item.tasks}
    assert by_id["mpips-03@ops/2025#prosba:dokip"].owners == ("kier",)
    deliver = by_id["mpips-03@ops/2025#dane:dokip"]
    assert (deliver.owners, deliver.due, deliver.unit_name) == (
        ("kadry",), D(2026, 1, 21), "Dział Organizacji, Kadr i Płac"
    )
    external = by_id["mpips-03@ops/2025#dane:bank"]
    assert (external.owners, external.email, external.external, external.due) == (
        (), "bank@example.org", True, D(2026, 1, 28)
    )
    assert by_id["mpips-03@ops/2025#prosba:bank"].due == D(2026, 1, 26)
    assert split_task_id("mpips-03@ops/2025#dane:bank") == (
        "mpips-03@ops/2025", TaskKind.DELIVER, "bank"
    )
    with pytest.raises(ValueError):
        split_task_id("mpips-03@ops/2025#inne:bank")


# institution days off -> (occurrence planning date, request task planning date)
PLANNING = [
    pytest.param({}, None, None, id="no-days-off"),
    pytest.param({D(2026, 1, 30): "dzień wolny"}, D(2026, 1, 29), None, id="due-date-closed"),
    pytest.param(
        {D(2026, 1, 9): "dzień wolny"}, None, D(2026, 1, 8), id="request-date-closed",
    ),
    pytest.param(
        {D(2026, 1, 9): "a", D(2026, 1, 8): "b", D(2026, 1, 7): "c"}, None, D(2026, 1, 5),
        id="three-days-off-and-epiphany-before-request",
    ),
]


@pytest.mark.parametrize(("days_off", "occurrence_planning", "request_planning"), PLANNING)
def test_planning_dates_on_institution_days_off(
    catalogues: CatalogueSet,
    calendar: WorkingCalendar,
    days_off: dict[date, str],
    occurrence_planning: date | None,
    request_planning: date | None,
):
    setup = setup_for(catalogues, calendar, (internal(15, 7),), days_off)
    item = plan_one(setup, "mpips-03@ops/2025", today=TODAY)
    assert item.due == D(2026, 1, 30)  # the statutory date never moves
    assert item.planning_date == occurrence_planning
    request = item.tasks[0]
    assert request.due == D(2026, 1, 9)
    assert request.planning_date == request_planning
    assert request.working_date == (request_planning or D(2026, 1, 9))


def test_planning_date_after_a_weekend(catalogues: CatalogueSet, calendar: WorkingCalendar):
    """mpips-03@ops/2026 is due Monday 1 February 2027; closed that day → Friday 29 January."""
    setup = setup_for(catalogues, calendar, (), {D(2027, 2, 1): "dzień wolny"})
    item = plan_one(setup, "mpips-03@ops/2026", today=TODAY)
    assert (item.due, item.planning_date) == (D(2027, 2, 1), D(2027, 1, 29))


def test_plan_tasks_includes_tasks_of_later_occurrences(
    catalogues: CatalogueSet, calendar: WorkingCalendar
):
    setup = setup_for(catalogues, calendar, (internal(15, 7),))
    found = plan_tasks(setup, D(2026, 1, 1), D(2026, 1, 31), today=TODAY)
    assert [(t.id, t.due) for _, t in found] == [
        ("mpips-03@ops/2025#prosba:dokip", D(2026, 1, 9)),
        ("mpips-03@ops/2025#dane:dokip", D(2026, 1, 21)),
    ]
    # The occurrence itself is due in January; the tasks of July's MPiPS-03a are not listed.
    assert [p.id for p in plan(setup, D(2026, 1, 1), D(2026, 1, 31), today=TODAY)] == [
        "mpips-03@ops/2025"
    ]


# -- the written request ---------------------------------------------------------------------


@pytest.fixture
def planned(catalogues: CatalogueSet, calendar: WorkingCalendar) -> tuple[PlannedOccurrence, Setup]:
    setup = setup_for(catalogues, calendar, (internal(15, 7),), {D(2026, 1, 21): "dzień wolny"})
    return plan_one(setup, "mpips-03@ops/2025", today=TODAY), setup


def test_letter_text(planned: tuple[PlannedOccurrence, Setup]):
    item, setup = planned
    assert setup.organisation is not None
    text = render_request(item, "dokip", setup.organisation, today=D(2026, 1, 9),
                          recipients={"wzps": "wojewódzki zespół pomocy społecznej"})  # fmt: skip
    flat = " ".join(text.split())
    assert text.startswith("Miejski Ośrodek Pomocy Rodzinie\nDział Świadczeń\n"
                           "Przykładowo, dnia 9 stycznia 2026 r.\n")  # fmt: skip
    assert "Kierownik Działu Kadr\nDział Organizacji, Kadr i Płac\n" in text
    assert "Prośba o przekazanie danych do sprawozdania MPiPS-03 za 2025 r." in text
    assert "Na podstawie pkt II.4 Zasad obsługi sprawozdań uprzejmie proszę" in flat
    # the recipient named in a bracket (nominative), never declined wrongly after "do"
    assert "przekazuje w terminie do dnia 30 stycznia 2026 r. (odbiorca: wojewódzki zespół " \
        "pomocy społecznej; podstawa:" in flat
    assert "dane o zatrudnieniu" in text
    # 21 January is the institution's day off: the letter gives Tuesday 20 January.
    assert "Termin dostarczenia danych: wtorek, 20 stycznia 2026 r." in text
    assert "Termin przypada na ostatni dzień pracy naszej jednostki przed dniem 21 stycznia " \
        "2026 r., który jest u nas dniem wolnym od pracy." in flat
    assert "Anna Kierownik\nKierownik Działu Świadczeń\n" in text
    assert "kier@example.org" in flat
    assert text.rstrip().endswith("Sprawa: mpips-03@ops/2025")


def test_letter_html_is_escaped_and_printable(planned: tuple[PlannedOccurrence, Setup]):
    item, setup = planned
    assert setup.organisation is not None
    context = letter_context(item, "dokip", setup.organisation, today=D(2026, 1, 9))
    context["data"] = "<script>alert('x')</script> & więcej"
    html = render_letter(context, LetterFormat.HTML)
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="pl">' in html
    assert "@page { size: A4" in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; więcej" in html
    assert "<script>" not in html
    assert "Termin dostarczenia danych: wtorek, 20 stycznia 2026 r." in html
    # The text version is not escaped.
    assert "<script>alert('x')</script>" in render_letter(context, LetterFormat.TEXT)


def test_missing_variable_fails_loudly(planned: tuple[PlannedOccurrence, Setup], tmp_path: Path):
    item, setup = planned
    assert setup.organisation is not None
    context = letter_context(item, "dokip", setup.organisation, today=D(2026, 1, 9))
    del context["deadline"]
    for fmt in LetterFormat:
        with pytest.raises(jinja2.UndefinedError):
            render_letter(context, fmt)
    (tmp_path / "pismo.txt.j2").write_text("{{ report.no_such_field }}", encoding="utf-8")
    full = letter_context(item, "dokip", setup.organisation, today=D(2026, 1, 9))
    with pytest.raises(jinja2.UndefinedError):
        render_letter(full, "text", templates=tmp_path)


def test_unknown_input_is_a_key_error(planned: tuple[PlannedOccurrence, Setup]):
    item, setup = planned
    assert setup.organisation is not None
    with pytest.raises(KeyError):
        letter_context(item, "nie-ma", setup.organisation, today=D(2026, 1, 9))

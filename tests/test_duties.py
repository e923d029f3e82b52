"""Duty resolution: who is responsible for one occurrence, as a table of hand-checked cases.

The occurrence is MPiPS-03 for 2026 (mpips-03@ops/2026): due „do dnia 30 stycznia”
2027; 30 and 31 January 2027 are Saturday and Sunday, so it is due Monday
1 February 2027. With prepare_days = 3 the preparation window is Thursday
28 January, Friday 29 January and Monday 1 February 2027.

Tiers: primary [a1, a2], substitute [b1]; fallback f (the director, II.5).
"""

from __future__ import annotations

from datetime import date

import pytest

from terminarz.law.catalogue import CatalogueSet
from terminarz.law.periods import Period
from terminarz.law.rules import Occurrence, occurrence
from terminarz.law.workdays import WorkingCalendar
from terminarz.org.duties import preparation_window, resolve
from terminarz.org.organisation import Absence, Designation, Duty, Organisation, Person, Unit

D = date
FAR = D(2026, 11, 24)  # "today" well before the window
DUTY = Duty(
    id="ps", obligations=("mpips-03@ops",), tiers=(("a1", "a2"), ("b1",)), fallback="f",
    basis="pkt I.4 Zasad", prepare_days=3,
)  # fmt: skip
PEOPLE = tuple(
    Person(id=pid, name=name, email=f"{pid}@example.org", unit="u", system_access=True)
    for pid, name in (
        ("a1", "Kierownik A"), ("a2", "Zastępca A"), ("b1", "Kierownik B"),
        ("d", "Pracownik wyznaczony"), ("f", "Dyrektor"),
    )
)  # fmt: skip


def organisation(
    absences: tuple[Absence, ...] = (),
    designations: tuple[Designation, ...] = (),
    days_off: dict[date, str] | None = None,
) -> Organisation:
    return Organisation(
        id="test", name="Ośrodek testowy", levels=("ops",), units=(Unit(id="u", name="Dział"),),
        people=PEOPLE, duties=(DUTY,), absences=absences, designations=designations,
        days_off=days_off or {},
    )  # fmt: skip


def away(person: str, start: date, end: date, reason: str = "urlop") -> Absence:
    return Absence(person=person, start=start, end=end, reason=reason)


@pytest.fixture(scope="module")
def mpips03(catalogues: CatalogueSet, calendar: WorkingCalendar) -> Occurrence:
    ob = catalogues.obligation("mpips-03@ops")
    assert ob is not None
    occ = occurrence(ob, Period.parse("2026"), calendar)
    assert occ.due == D(2027, 2, 1)
    return occ


def test_preparation_window(calendar: WorkingCalendar):
    assert preparation_window(D(2027, 2, 1), 3, calendar) == (
        D(2027, 1, 28), D(2027, 1, 29), D(2027, 2, 1),
    )  # fmt: skip
    # 6 January 2026 (Epiphany) is skipped; the window never counts weekends.
    assert preparation_window(D(2026, 1, 8), 3, calendar) == (
        D(2026, 1, 5), D(2026, 1, 7), D(2026, 1, 8),
    )  # fmt: skip
    # A due date on a non-working day ends the window on the previous working day.
    assert preparation_window(D(2027, 1, 30), 2, calendar) == (D(2027, 1, 28), D(2027, 1, 29))


# (absences, designations, today) -> (responsible, tier, substitute, needs designation)
CASES = [
    pytest.param((), (), FAR, ("a1", "a2"), 0, False, False, id="primary-present"),
    pytest.param(
        (away("a1", D(2027, 1, 18), D(2027, 2, 5)),), (), FAR,
        ("a2",), 0, False, False, id="one-of-primary-absent",
    ),
    pytest.param(
        (away("a1", D(2027, 1, 18), D(2027, 2, 5)), away("a2", D(2027, 1, 25), D(2027, 2, 12))),
        (), FAR, ("b1",), 1, True, False, id="whole-primary-absent-next-tier",
    ),
    pytest.param(
        (away("a1", D(2027, 1, 18), D(2027, 2, 5)), away("a2", D(2027, 1, 25), D(2027, 2, 12)),
         away("b1", D(2027, 1, 28), D(2027, 2, 1))),
        (), FAR, (), None, False, True, id="all-absent-needs-designation",
    ),
    pytest.param(
        (), (Designation(person="d", target="mpips-03@ops/2026", start=D(2027, 1, 25),
                         end=D(2027, 2, 1), basis="pkt II.5"),),
        FAR, ("d",), None, False, False, id="designation-wins-over-present-primary",
    ),
    pytest.param(
        (away("a1", D(2027, 1, 18), D(2027, 2, 5)), away("a2", D(2027, 1, 25), D(2027, 2, 12)),
         away("b1", D(2027, 1, 28), D(2027, 2, 1))),
        (Designation(person="d", target="mpips-03@ops", start=D(2027, 1, 1),
                     end=D(2027, 1, 31), basis="pkt II.5"),),
        FAR, ("d",), None, False, False, id="designation-for-obligation-overlapping-window",
    ),
    pytest.param(
        (), (Designation(person="d", target="mpips-03@ops/2026", start=D(2027, 2, 2),
                         end=D(2027, 2, 28), basis="pkt II.5"),),
        FAR, ("a1", "a2"), 0, False, False, id="designation-after-window-ignored",
    ),
    pytest.param(
        (), (Designation(person="d", target="mpips-03a@ops/2026-H1", start=D(2027, 1, 1),
                         end=D(2027, 2, 28), basis="pkt II.5"),),
        FAR, ("a1", "a2"), 0, False, False, id="designation-for-other-occurrence-ignored",
    ),
    pytest.param(
        (away("a1", D(2027, 1, 18), D(2027, 1, 28)), away("a2", D(2027, 1, 20), D(2027, 1, 28))),
        (), FAR, ("a1", "a2"), 0, False, False, id="absence-ending-on-first-window-day",
    ),
    pytest.param(
        (away("a1", D(2027, 1, 18), D(2027, 2, 1)), away("a2", D(2027, 1, 20), D(2027, 2, 1))),
        (), FAR, ("b1",), 1, True, False, id="absence-ending-on-due-date",
    ),
    pytest.param(
        (away("a1", D(2027, 1, 29), D(2027, 2, 10)), away("a2", D(2027, 1, 29), D(2027, 2, 10))),
        (), FAR, ("a1", "a2"), 0, False, False, id="absence-starting-inside-window",
    ),
    pytest.param(
        (away("a1", D(2027, 1, 30), D(2027, 1, 31)), away("a2", D(2027, 1, 30), D(2027, 1, 31))),
        (), FAR, ("a1", "a2"), 0, False, False, id="weekend-only-absence",
    ),
    pytest.param(
        (away("a1", D(2027, 1, 29), D(2027, 2, 10)), away("a2", D(2027, 1, 29), D(2027, 2, 10))),
        (), D(2027, 1, 29), ("b1",), 1, True, False, id="today-inside-window-only-rest-counts",
    ),
    pytest.param(
        (away("a1", D(2027, 1, 29), D(2027, 2, 10)), away("a2", D(2027, 1, 29), D(2027, 2, 10))),
        (), D(2027, 3, 1), ("a1", "a2"), 0, False, False, id="after-due-date-whole-window",
    ),
]


@pytest.mark.parametrize(
    ("absences", "designations", "today", "responsible", "tier", "substitute", "needs"), CASES
)
def test_resolution(
    mpips03: Occurrence,
    calendar: WorkingCalendar,
    absences: tuple[Absence, ...],
    designations: tuple[Designation, ...],
    today: date,
    responsible: tuple[str, ...],
    tier: int | None,
    substitute: bool,
    needs: bool,
):
    result = resolve(mpips03, DUTY, organisation(absences, designations), calendar, today=today)
    assert result.responsible == responsible
    assert result.tier == tier
    assert result.substitute is substitute
    assert result.needs_designation is needs
    assert result.fallback == "f"
    assert result.owners == (responsible or ("f",))
    assert (result.designation is not None) is (designations != () and tier is None and not needs)


def test_reasons_say_who_is_absent_when_and_why(mpips03: Occurrence, calendar: WorkingCalendar):
    org = organisation((
        away("a1", D(2027, 1, 18), D(2027, 2, 5), "urlop wypoczynkowy"),
        away("a2", D(2027, 1, 25), D(2027, 2, 12), "zwolnienie lekarskie"),
    ))  # fmt: skip
    result = resolve(mpips03, DUTY, org, calendar, today=FAR)
    assert result.reasons == (
        "Okres przygotowania: 3 dni robocze do terminu (pon 1 lut 2027): czw 28 sty 2027, "
        "pt 29 sty 2027, pon 1 lut 2027.",
        "Grupa podstawowa:",
        "  Kierownik A (a1) — nieobecność: od pon 18 sty 2027 do pt 5 lut 2027 "
        "(urlop wypoczynkowy)",
        "  Zastępca A (a2) — nieobecność: od pon 25 sty 2027 do pt 12 lut 2027 "
        "(zwolnienie lekarskie)",
        "Grupa zastępcza nr 1:",
        "  Kierownik B (b1) — w pracy",
        "Cała grupa podstawowa jest nieobecna w okresie przygotowania — zastępstwo: grupa "
        "zastępcza nr 1 (Kierownik B (b1)).",
    )
    assert result.unavailable == ("a1", "a2")
    assert {a.person for a in result.absent} == {"a1", "a2"}
    assert result.status == "zastępstwo"


def test_reasons_for_partly_absent_and_nobody(mpips03: Occurrence, calendar: WorkingCalendar):
    org = organisation((
        away("a1", D(2027, 1, 29), D(2027, 2, 10), "szkolenie"),
        away("a2", D(2027, 1, 1), D(2027, 3, 1)),
        away("b1", D(2027, 1, 1), D(2027, 3, 1)),
    ))  # fmt: skip
    partly = resolve(mpips03, DUTY, org, calendar, today=FAR)
    assert "  Kierownik A (a1) — w pracy w części okresu (czw 28 sty 2027); nieobecność: od " \
        "pt 29 sty 2027 do śr 10 lut 2027 (szkolenie)" in partly.reasons
    assert partly.responsible == ("a1",)
    nobody = resolve(mpips03, DUTY, org, calendar, today=D(2027, 1, 29))
    assert nobody.needs_designation
    assert nobody.status == "wymaga wyznaczenia"
    assert nobody.reasons[0].endswith("Od dziś liczą się: pt 29 sty 2027, pon 1 lut 2027.")
    assert nobody.reasons[-1] == (
        "Nikt z wyznaczonych osób nie jest dostępny w okresie przygotowania — wymaga "
        "wyznaczenia: Dyrektor (f) wyznacza i upoważnia inną osobę (na podstawie "
        "wewnętrznej procedury obsługi sprawozdań)."
    )


def test_designated_person_absent_is_warned(mpips03: Occurrence, calendar: WorkingCalendar):
    org = organisation(
        (away("d", D(2027, 1, 20), D(2027, 2, 5), "urlop"),),
        (Designation(person="d", target="mpips-03@ops/2026", start=D(2027, 1, 1),
                     end=D(2027, 2, 28), basis="upoważnienie nr 1/2027"),),
    )  # fmt: skip
    result = resolve(mpips03, DUTY, org, calendar, today=FAR)
    assert result.responsible == ("d",)
    assert result.status == "wyznaczenie"
    assert any("upoważnienie nr 1/2027" in r for r in result.reasons)
    assert result.reasons[-1].startswith("Uwaga: osoba wyznaczona jest nieobecna")


def test_occurrence_designation_beats_obligation_designation(
    mpips03: Occurrence, calendar: WorkingCalendar
):
    org = organisation(designations=(
        Designation(person="d", target="mpips-03@ops/2026", start=D(2027, 1, 1),
                    end=D(2027, 2, 28), basis="dla wystąpienia"),
        Designation(person="b1", target="mpips-03@ops", start=D(2027, 1, 20),
                    end=D(2027, 2, 28), basis="dla obowiązku"),
    ))  # fmt: skip
    result = resolve(mpips03, DUTY, org, calendar, today=FAR)
    assert result.designation is not None and result.designation.basis == "dla wystąpienia"


def test_institution_day_off_on_due_date_moves_window(
    mpips03: Occurrence, calendar: WorkingCalendar
):
    """1 February 2027 closed: the window is 27, 28, 29 January; absence on 1 Feb is moot."""
    days_off = {D(2027, 2, 1): "dzień wolny za sobotnie święto"}
    org = organisation(
        (away("a1", D(2027, 2, 1), D(2027, 2, 5)), away("a2", D(2027, 2, 1), D(2027, 2, 5))),
        days_off=days_off,
    )
    institution = calendar.with_institution(days_off=days_off)
    result = resolve(mpips03, DUTY, org, institution, today=FAR)
    assert result.window == (D(2027, 1, 27), D(2027, 1, 28), D(2027, 1, 29))
    assert result.responsible == ("a1", "a2")


def test_prepare_days_one(mpips03: Occurrence, calendar: WorkingCalendar):
    duty = Duty(obligations=DUTY.obligations, tiers=DUTY.tiers, fallback="f", basis="x",
                prepare_days=1)  # fmt: skip
    org = organisation(
        (away("a1", D(2027, 2, 1), D(2027, 2, 1)), away("a2", D(2027, 2, 1), D(2027, 2, 1)))
    )
    result = resolve(mpips03, duty, org, calendar, today=FAR)
    assert result.window == (D(2027, 2, 1),)
    assert result.responsible == ("b1",)


def test_duty_for_first_match_wins():
    first = Duty(obligations=("mpips-01.dzial-1@rup",), tiers=(("a1",),), fallback="f", basis="")
    rest = Duty(obligations=("mpips-01.*@rup",), tiers=(("b1",),), fallback="f", basis="")
    org = Organisation(id="x", name="X", levels=("rup",), people=PEOPLE, duties=(first, rest))
    assert org.duty_for("mpips-01.dzial-1@rup") is first
    assert org.duty_for("mpips-01.zal-1@rup") is rest
    assert org.duty_for("mpips-02@rup") is None

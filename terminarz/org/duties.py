"""Duty resolution: who is responsible for one occurrence, and why (pure; ``today`` passed in).

The preparation window of an occurrence is the last ``prepare_days`` working
days of the institution up to and including the due date (a due date on an
institution day off ends the window on the previous day the institution
works). A person is available when present on at least one day of the
window; a tier is available when any member is. The responsible people are
the available members of the first available tier. A valid designation of
the director (II.5) overrides the tiers. When no tier is available the
occurrence needs a designation and belongs to the duty's fallback.

Once ``today`` lies inside the window, only its remaining days (from today
on) count: a person who was present on Monday but is away from today to the
due date is no longer available, and the duty passes on. Before the window
and after the due date the whole window counts, so the result is stable.
"""

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from terminarz.errors import CalendarRangeError
from terminarz.law.rules import Occurrence
from terminarz.law.workdays import WorkingCalendar
from terminarz.org.organisation import Absence, Designation, Duty, Organisation
from terminarz.polish import plural, short_date


class Resolution(NamedTuple):
    """Who handles an occurrence.

    ``tier`` is the index of the tier that took over (0 = primary), None for a
    designation or when nobody is available. ``absent`` lists every absence
    that overlaps the window of a person looked at; ``unavailable`` the people
    (of the tiers up to the one that took over) away for the whole window.
    """

    responsible: tuple[str, ...]
    tier: int | None
    substitute: bool
    needs_designation: bool
    fallback: str
    designation: Designation | None = None
    absent: tuple[Absence, ...] = ()
    unavailable: tuple[str, ...] = ()
    window: tuple[date, ...] = ()
    reasons: tuple[str, ...] = ()
    # the same trail without the absences' categories and sources, for what colleagues
    # read (mails): "nieobecność: od … do …" only (RODO — a sick leave is health data)
    plain_reasons: tuple[str, ...] = ()

    @property
    def owners(self) -> tuple[str, ...]:
        """The responsible people, or the fallback when a designation is needed."""
        return self.responsible if self.responsible else (self.fallback,)

    @property
    def status(self) -> str:
        """Short Polish status for tables: ``""``, ``zastępstwo``, ``wyznaczenie``, …"""
        if self.needs_designation:
            return "wymaga wyznaczenia"
        if self.designation is not None:
            return "wyznaczenie"
        if self.substitute:
            return "zastępstwo"
        return ""


class Handover(NamedTuple):
    """A report that has left the unit(s) of its primary tier, and who has it now.

    The head of such a unit keeps seeing the report (``due --unit``, the unit's feed and
    mails) marked with :attr:`words`, e.g. ``przekazane: zastępstwo — Dział Organizacji,
    Kadr i Płac``. ``from_units``: the units of the primary tier none of whose people handles
    the report now; ``to_units``/``to_people``: who does (the fallback when a designation is
    needed); ``kind``: ``zastępstwo``, ``wyznaczenie`` or ``wymaga wyznaczenia``.
    """

    from_units: tuple[str, ...]
    to_units: tuple[str, ...]
    to_people: tuple[str, ...]
    kind: str
    words: str


def handover(duty: Duty, resolution: Resolution, organisation: Organisation) -> Handover | None:
    """The :class:`Handover` of a report resolved to ``resolution``; None while a person of
    every unit of the primary tier still handles it (a colleague of the same unit
    substituting is not a handover between units)."""
    if not resolution.status:
        return None
    doing = {_unit_of(organisation, p) for p in resolution.owners}
    home = _ordered(_unit_of(organisation, p) for p in duty.tiers[0]) if duty.tiers else ()
    left = tuple(u for u in home if u not in doing)
    if not left:
        return None
    to_units = _ordered(_unit_of(organisation, p) for p in resolution.owners)
    names = ", ".join(_unit_name(organisation, u) for u in to_units)
    return Handover(from_units=left, to_units=to_units, to_people=resolution.owners,
                    kind=resolution.status, words=f"przekazane: {resolution.status} — {names}")


def _unit_of(organisation: Organisation, person_id: str) -> str:
    person = organisation.person(person_id)
    return person.unit if person is not None else ""


def _unit_name(organisation: Organisation, unit_id: str) -> str:
    unit = organisation.unit(unit_id)
    return unit.name if unit is not None else unit_id or "—"


def _ordered(units: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(u for u in units if u))


def preparation_window(due: date, prepare_days: int, calendar: WorkingCalendar) -> tuple[date, ...]:
    """The last ``prepare_days`` working days of ``calendar`` up to and including ``due``.

    Near the first supported year (1990) the window is cut short rather than raising.
    """
    last = calendar.on_or_before(due)
    days = [last]
    for _ in range(max(prepare_days, 1) - 1):
        try:
            days.append(calendar.previous_working_day(days[-1]))
        except CalendarRangeError:
            break
    return tuple(reversed(days))


def effective_window(window: tuple[date, ...], today: date) -> tuple[date, ...]:
    """The days of ``window`` that still count on ``today`` (see the module docstring)."""
    remaining = tuple(d for d in window if d >= today)
    return remaining if remaining and today > window[0] else window


def resolve(
    occurrence: Occurrence,
    duty: Duty,
    organisation: Organisation,
    calendar: WorkingCalendar,
    *,
    today: date,
) -> Resolution:
    """Resolve ``duty`` for ``occurrence`` on the institution ``calendar``."""
    full = preparation_window(occurrence.due, duty.prepare_days, calendar)
    window = effective_window(full, today)
    reasons = [_window_line(full, window, occurrence.due)]
    plain = list(reasons)

    def say(text: str, without_details: str | None = None) -> None:
        reasons.append(text)
        plain.append(text if without_details is None else without_details)

    if organisation.valid_from is not None and occurrence.due < organisation.valid_from:
        say(f"Uwaga: procedura obowiązuje od {short_date(organisation.valid_from)}, "
                       "a termin jest wcześniejszy.")  # fmt: skip

    absences_by_person: dict[str, list[Absence]] = {}
    for absence in organisation.absences:
        if absence.end >= window[0] and absence.start <= window[-1]:
            absences_by_person.setdefault(absence.person, []).append(absence)

    def present_days(person: str) -> list[date]:
        away = absences_by_person.get(person, [])
        return [d for d in window if not any(a.covers(d) for a in away)]

    absent: list[Absence] = []
    unavailable: list[str] = []

    designation = _designation(occurrence, organisation, window)
    if designation is not None:
        absent_here = absences_by_person.get(designation.person, [])
        say(
            f"Wyznaczenie: {_who(organisation, designation.person)} — od "
            f"{short_date(designation.start)} do {short_date(designation.end)}; podstawa: "
            f"{designation.basis}. Wyznaczenie ma pierwszeństwo przed grupami."
        )
        if not present_days(designation.person):
            say(f"Uwaga: osoba wyznaczona jest nieobecna przez cały okres "
                f"przygotowania ({_absence_words(absent_here)}).",
                f"Uwaga: osoba wyznaczona jest nieobecna przez cały okres "
                f"przygotowania ({_absence_words(absent_here, details=False)}).")  # fmt: skip
        return Resolution(
            responsible=(designation.person,), tier=None, substitute=False,
            needs_designation=False, fallback=duty.fallback, designation=designation,
            absent=tuple(absent_here), window=window, reasons=tuple(reasons),
            plain_reasons=tuple(plain),
        )  # fmt: skip

    for index, tier in enumerate(duty.tiers):
        available = []
        lines: list[tuple[str, str]] = []  # (with the absences' details, without)
        for person in tier:
            own = absences_by_person.get(person, [])
            absent.extend(own)
            days = present_days(person)
            if days:
                available.append(person)
                if own:
                    head = (f"  {_who(organisation, person)} — w pracy w części okresu "
                            f"({', '.join(short_date(d) for d in days)}); nieobecność: ")
                    lines.append((head + _absence_words(own),
                                  head + _absence_words(own, details=False)))
                else:
                    lines.append((f"  {_who(organisation, person)} — w pracy",) * 2)
            else:
                unavailable.append(person)
                head = f"  {_who(organisation, person)} — nieobecność: "
                lines.append((head + _absence_words(own),
                              head + _absence_words(own, details=False)))
        say(f"{_tier_name(index)}:")
        for detailed, without in lines:
            say(detailed, without)
        if available:
            if index == 0:
                say("Odpowiada grupa podstawowa: "
                               f"{_names(organisation, available)}.")  # fmt: skip
            else:
                say(
                    f"Cała grupa {'podstawowa' if index == 1 else 'poprzednia'} jest nieobecna "
                    f"w okresie przygotowania — zastępstwo: {_tier_name(index).lower()} "
                    f"({_names(organisation, available)})."
                )
            return Resolution(
                responsible=tuple(available), tier=index, substitute=index > 0,
                needs_designation=False, fallback=duty.fallback, absent=tuple(absent),
                unavailable=tuple(unavailable), window=window, reasons=tuple(reasons),
                plain_reasons=tuple(plain),
            )  # fmt: skip
    say(
        "Nikt z wyznaczonych osób nie jest dostępny w okresie przygotowania — wymaga "
        f"wyznaczenia: {_who(organisation, duty.fallback)} wyznacza i upoważnia inną osobę "
        f"(na podstawie {organisation.designation_basis})."
    )
    return Resolution(
        responsible=(), tier=None, substitute=False, needs_designation=True,
        fallback=duty.fallback, absent=tuple(absent), unavailable=tuple(unavailable),
        window=window, reasons=tuple(reasons),
        plain_reasons=tuple(plain),
    )  # fmt: skip


def _designation(
    occurrence: Occurrence, organisation: Organisation, window: tuple[date, ...]
) -> Designation | None:
    """The designation in force: for this occurrence before one for the whole obligation,
    then the latest ``start``; it must overlap the window."""
    found: list[tuple[int, date, int, Designation]] = []
    for order, designation in enumerate(organisation.designations):
        if designation.target not in (occurrence.id, occurrence.obligation.id):
            continue
        if designation.end < window[0] or designation.start > window[-1]:
            continue
        found.append((int(designation.for_occurrence), designation.start, order, designation))
    if not found:
        return None
    return max(found, key=lambda f: f[:3])[3]


def _tier_name(index: int) -> str:
    return "Grupa podstawowa" if index == 0 else f"Grupa zastępcza nr {index}"


def _who(organisation: Organisation, person_id: str) -> str:
    person = organisation.person(person_id)
    return f"{person.name} ({person_id})" if person else person_id


def _names(organisation: Organisation, people: list[str]) -> str:
    return ", ".join(_who(organisation, p) for p in people)


def _absence_words(absences: list[Absence], *, details: bool = True) -> str:
    """``od pon 18 sty 2027 do pt 5 lut 2027 (Urlop wypoczynkowy; źródło: urlopy.ics)``;
    without ``details`` only the dates (what colleagues may read)."""
    parts = []
    for absence in sorted(absences, key=lambda a: a.start):
        span = (
            short_date(absence.start)
            if absence.start == absence.end
            else f"od {short_date(absence.start)} do {short_date(absence.end)}"
        )
        if not details:
            parts.append(span)
            continue
        extra = [absence.reason] if absence.reason else []
        if absence.source:
            extra.append(f"źródło: {absence.source}")
        parts.append(f"{span} ({'; '.join(extra)})" if extra else span)
    return ", ".join(parts) if parts else "brak danych"


def _window_line(full: tuple[date, ...], window: tuple[date, ...], due: date) -> str:
    n = len(full)
    days = f"{n} {plural(n, 'dzień roboczy', 'dni robocze', 'dni roboczych')}"
    text = (f"Okres przygotowania: {days} do terminu ({short_date(due)}): "
            f"{', '.join(short_date(d) for d in full)}.")  # fmt: skip
    if window != full:
        text += f" Od dziś liczą się: {', '.join(short_date(d) for d in window)}."
    return text

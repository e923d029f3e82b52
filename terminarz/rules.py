"""Reporting obligations and their occurrences: pure date computation.

An obligation is one line of a legal act (form, part, level, recipients,
period, deadline, citation, validity). An occurrence is one obligation for one
period, with a stable id ``<obligation-id>/<period>`` and its due date. How the
date was reached (the trail) is computed only when asked for, by
:func:`trail`, so expanding a century of occurrences stays cheap.

The deadline vocabulary is closed:

* ``nth_working_day`` — the n-th working day of the k-th month after the
  period ends (k = ``months_after``, default 1);
* ``fixed`` — day d of that month (clamped to the month's last day), moved by
  ``if_non_working``: ``next`` (the next working day), ``previous`` or ``keep``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from terminarz.errors import CalendarRangeError
from terminarz.periods import Period, PeriodKind
from terminarz.workdays import DayInfo, WorkingCalendar


class DeadlineKind(StrEnum):
    NTH_WORKING_DAY = "nth_working_day"
    FIXED = "fixed"


class IfNonWorking(StrEnum):
    NEXT = "next"
    PREVIOUS = "previous"
    KEEP = "keep"


@dataclass(frozen=True, slots=True, kw_only=True)
class Act:
    """The legal act a catalogue encodes."""

    id: str
    title: str
    short: str
    published: str = ""
    status: str = ""
    notes: str = ""
    valid_from: Period | None = None
    valid_to: Period | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Citation:
    """A provision of an act: ``§ 3 ust. 1 pkt 1``, with the quoted text."""

    act: str
    paragraph: str | None = None
    ust: str | None = None
    pkt: str | None = None
    quote: str = ""

    def short(self) -> str:
        parts = []
        if self.paragraph:
            parts.append(f"§ {self.paragraph}")
        if self.ust:
            parts.append(f"ust. {self.ust}")
        if self.pkt:
            parts.append(f"pkt {self.pkt}")
        return " ".join(parts)

    def __str__(self) -> str:
        short = self.short()
        return f"{short} {self.act}" if short else self.act


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadline:
    kind: DeadlineKind
    n: int | None = None  # nth_working_day
    day: int | None = None  # fixed
    months_after: int = 1
    if_non_working: IfNonWorking = IfNonWorking.NEXT
    shift_basis: str = ""

    def words(self) -> str:
        """Polish description of the rule, e.g. ``2. dzień roboczy miesiąca po okresie``."""
        month = "miesiąca po okresie" if self.months_after == 1 else (
            f"{self.months_after}. miesiąca po okresie"
        )
        if self.kind is DeadlineKind.NTH_WORKING_DAY:
            return f"{self.n}. dzień roboczy {month}"
        shift = {
            IfNonWorking.NEXT: "a gdy to dzień wolny — najbliższy następny dzień roboczy",
            IfNonWorking.PREVIOUS: "a gdy to dzień wolny — najbliższy poprzedni dzień roboczy",
            IfNonWorking.KEEP: "bez przesunięcia w dzień wolny",
        }[self.if_non_working]
        return f"{self.day}. dzień {month}, {shift}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Party:
    """A level that submits reports or a body that receives them (rup, wup, wus, …)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Obligation:
    """One reporting obligation; ``deadline`` is None for a duty without a date of its own.

    ``periods`` lists the period indices it applies to (e.g. ``(1,)`` for the
    first half-year only); empty means every period. Validity is inclusive and
    compared by dates, so it may be given as periods of any kind.
    """

    id: str
    act: Act
    form: str
    part: str | None
    title: str
    level: str
    recipients: tuple[str, ...]
    period_kind: PeriodKind
    deadline: Deadline | None
    basis: Citation
    periods: tuple[int, ...] = ()
    valid_from: Period | None = None
    valid_to: Period | None = None
    notes: str = ""

    @property
    def label(self) -> str:
        """``MPiPS-01 Dział 1``"""
        return f"{self.form} {self.part}" if self.part else self.form

    def applies_to(self, period: Period) -> bool:
        if period.kind is not self.period_kind:
            return False
        if self.periods and period.index not in self.periods:
            return False
        if self.valid_from is not None and period.first_day < self.valid_from.first_day:
            return False
        return not (self.valid_to is not None and period.last_day > self.valid_to.last_day)


@dataclass(frozen=True, slots=True, kw_only=True)
class Override:
    """A date announced for one occurrence (e.g. by the ministry for one year); it wins."""

    occurrence_id: str
    due: date
    basis: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Occurrence:
    obligation: Obligation
    period: Period
    nominal: date
    due: date
    override: Override | None = None

    @property
    def id(self) -> str:
        return occurrence_id(self.obligation.id, self.period)


def occurrence_id(obligation_id: str, period: Period) -> str:
    return f"{obligation_id}/{period}"


def split_occurrence_id(text: str) -> tuple[str, Period]:
    """``mpips-01.dzial-1@rup/2026-10`` → (obligation id, period); ``ValueError`` if malformed."""
    obligation, sep, period = text.strip().rpartition("/")
    if not sep or not obligation:
        raise ValueError(f"not an occurrence id: {text!r}")
    return obligation, Period.parse(period)


# -- computation -------------------------------------------------------------------


def nominal_and_due(
    obligation: Obligation, period: Period, calendar: WorkingCalendar
) -> tuple[date, date]:
    """The nominal date and the due date of one period, on ``calendar``.

    For ``nth_working_day`` both are the same day. Raises ``ValueError`` for an
    obligation without a deadline and ``CalendarRangeError`` beyond 1990–2100.
    """
    deadline = obligation.deadline
    if deadline is None:
        raise ValueError(f"{obligation.id} has no deadline")
    year, month = period.month_after(deadline.months_after)
    return _nominal_and_due(deadline, year, month, calendar)


def _nominal_and_due(
    deadline: Deadline, year: int, month: int, calendar: WorkingCalendar
) -> tuple[date, date]:
    if deadline.kind is DeadlineKind.NTH_WORKING_DAY:
        assert deadline.n is not None
        due = calendar.nth_working_day(year, month, deadline.n)
        return due, due
    assert deadline.day is not None
    day = deadline.day
    if day > 28:
        day = min(day, _month_length(year, month))
    nominal = date(year, month, day)
    if deadline.if_non_working is IfNonWorking.NEXT:
        return nominal, calendar.on_or_after(nominal)
    if deadline.if_non_working is IfNonWorking.PREVIOUS:
        return nominal, calendar.on_or_before(nominal)
    return nominal, nominal


def occurrence(
    obligation: Obligation,
    period: Period,
    calendar: WorkingCalendar,
    overrides: Mapping[str, Override] | None = None,
) -> Occurrence:
    nominal, due = nominal_and_due(obligation, period, calendar)
    override = (overrides or {}).get(occurrence_id(obligation.id, period))
    if override is not None:
        due = override.due
    return Occurrence(
        obligation=obligation, period=period, nominal=nominal, due=due, override=override
    )


def expand(
    obligations: Iterable[Obligation],
    calendar: WorkingCalendar,
    start: date,
    end: date,
    overrides: Mapping[str, Override] | None = None,
) -> list[Occurrence]:
    """Every occurrence whose due date lies in [start, end], sorted by due date then id.

    Obligations without a deadline yield nothing; periods whose due month lies
    outside the calendar's years are skipped rather than raising, as is a shift
    past 31 December of the last supported year. An override is found when it
    moves a date by up to three months either way.

    This is the hot path (a century of the catalogue is about 8,000
    occurrences): periods are walked as running numbers, validity is turned
    into a range of them once per obligation, and the sort key is one integer.
    """
    obligations = list(obligations)
    own_overrides: dict[str, dict[str, Override]] = {}
    for key, announced in (overrides or {}).items():
        obligation_id, _, period_text = key.rpartition("/")
        own_overrides.setdefault(obligation_id, {})[period_text] = announced
    # Ids compare as "<obligation id>/<period>"; no obligation id contains "/", and
    # within one obligation the period texts sort chronologically.
    ranked = sorted({o.id for o in obligations}, key=lambda oid: oid + "/")
    rank = {oid: i for i, oid in enumerate(ranked)}
    width = len(rank)
    shared: dict[tuple[PeriodKind, int], Period] = {}
    lowest = calendar.first_year * 12
    highest = calendar.last_year * 12 + 11
    start_month = start.year * 12 + start.month - 1
    end_month = end.year * 12 + end.month - 1
    keyed: list[tuple[int, Occurrence]] = []
    for obligation in obligations:
        deadline = obligation.deadline
        if deadline is None:
            continue
        kind = obligation.period_kind
        months, per_year, k = kind.months, kind.per_year, deadline.months_after
        own = own_overrides.get(obligation.id)
        # Due dates fall in the k-th month after the period, or a few days into the
        # next (or, for "previous", the last) month after a shift; overrides may move
        # them further.
        margin = 3 if own else 1
        # Period number o covers months o*months .. o*months + months - 1 (counted from
        # year 0); its rule's month is o*months + months - 1 + k.
        lo = _ceil_div(max(start_month - margin, lowest) - months + 1 - k, months)
        hi = (min(end_month + margin, highest) - months + 1 - k) // months
        if obligation.valid_from is not None:
            vf = obligation.valid_from
            lo = max(lo, _ceil_div(vf.year * 12 + vf.first_month - 1, months))
        if obligation.valid_to is not None:
            vt = obligation.valid_to
            hi = min(hi, (vt.year * 12 + vt.last_month - months) // months)
        only = frozenset(obligation.periods)
        order = rank[obligation.id]
        for number in range(lo, hi + 1):
            if only and number % per_year + 1 not in only:
                continue
            year, month = divmod(number * months + months - 1 + k, 12)
            month += 1
            try:
                nominal, due = _nominal_and_due(deadline, year, month, calendar)
            except CalendarRangeError:
                continue
            period = shared.get((kind, number))
            if period is None:
                period = Period(year=number // per_year, index=number % per_year + 1, kind=kind)
                shared[(kind, number)] = period
            override = own.get(str(period)) if own else None
            if override is not None:
                due = override.due
            if start <= due <= end:
                occ = Occurrence(
                    obligation=obligation, period=period, nominal=nominal, due=due,
                    override=override,
                )  # fmt: skip
                keyed.append(((due.toordinal() * width + order) << 24 | number, occ))
    keyed.sort(key=_first)
    return [occ for _, occ in keyed]


def _first(item: tuple[int, Occurrence]) -> int:
    return item[0]


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


# -- the trail: how a date was computed ---------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TrailDay:
    """One day looked at: counted as the n-th working day, or skipped for a reason."""

    info: DayInfo
    count: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Trail:
    occurrence: Occurrence
    rule: str
    month: tuple[int, int]
    days: tuple[TrailDay, ...] = field(default_factory=tuple)
    shifted: bool = False
    shift: IfNonWorking | None = None
    shift_basis: str = ""
    computed_due: date | None = None


def trail(occ: Occurrence, calendar: WorkingCalendar) -> Trail:
    """Every day that was counted or skipped to reach ``occ``'s date, for ``explain``."""
    obligation = occ.obligation
    deadline = obligation.deadline
    assert deadline is not None
    year, month = occ.period.month_after(deadline.months_after)
    nominal, computed = nominal_and_due(obligation, occ.period, calendar)
    days: list[TrailDay] = []
    if deadline.kind is DeadlineKind.NTH_WORKING_DAY:
        day = date(year, month, 1)
        count = 0
        while day <= computed:
            info = calendar.day_info(day)
            if info.working:
                count += 1
                days.append(TrailDay(info=info, count=count))
            else:
                days.append(TrailDay(info=info))
            day += timedelta(days=1)
        return Trail(
            occurrence=occ, rule=deadline.words(), month=(year, month), days=tuple(days),
            computed_due=computed,
        )  # fmt: skip
    step = -1 if deadline.if_non_working is IfNonWorking.PREVIOUS else 1
    day = nominal
    while True:
        info = calendar.day_info(day)
        days.append(TrailDay(info=info))
        if info.working or deadline.if_non_working is IfNonWorking.KEEP:
            break
        day += timedelta(days=step)
    return Trail(
        occurrence=occ,
        rule=deadline.words(),
        month=(year, month),
        days=tuple(days),
        shifted=computed != nominal,
        shift=deadline.if_non_working,
        shift_basis=deadline.shift_basis,
        computed_due=computed,
    )

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
  ``if_non_working``: ``next`` (the next working day), ``previous`` or ``keep``;
* ``announced`` — no rule: the programme, the ministry, a voivode or the
  institution announces a date per period (:class:`AnnouncedDate`). Such a date
  is never moved off a Saturday or holiday (see :mod:`terminarz.law.announced`
  for the planning date and for periods still without a date).
"""

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from enum import StrEnum
from itertools import repeat
from operator import attrgetter
from typing import NamedTuple, TypeVar

from terminarz.errors import CalendarRangeError
from terminarz.law.periods import Frozen, Period, PeriodKind
from terminarz.law.workdays import DayInfo, WorkingCalendar

_T = TypeVar("_T")


class DeadlineKind(StrEnum):
    NTH_WORKING_DAY = "nth_working_day"
    FIXED = "fixed"
    ANNOUNCED = "announced"


class Grade(StrEnum):
    """How strong the source of a rule or a date is, strongest first."""

    ACT = "act"  # read in the legal text
    PROGRAMME = "programme"  # the yearly statistics programme (PBSSP)
    NOTICE = "notice"  # a ministry notice (often relayed by a third party)
    REGIONAL = "regional"  # a voivode's or ROPS page
    INSTITUTION = "institution"  # a letter the institution itself received

    @property
    def polish(self) -> str:
        return _GRADE_WORDS[self]

    @property
    def short(self) -> str:
        """One Polish word or two for tables: ``akt``, ``program badań``, ``komunikat``…"""
        return _GRADE_SHORT[self]

    @property
    def needs_check(self) -> bool:
        """Everything below the act is shown "do sprawdzenia"."""
        return self is not Grade.ACT

    @property
    def mark(self) -> str:
        """What a person sees next to a date from this source (empty for an act)."""
        return _GRADE_MARKS[self]


_GRADE_WORDS = {
    Grade.ACT: "akt prawny",
    Grade.PROGRAMME: "program badań statystycznych statystyki publicznej",
    Grade.NOTICE: "komunikat ministerstwa",
    Grade.REGIONAL: "strona urzędu wojewódzkiego lub ROPS",
    Grade.INSTITUTION: "pismo otrzymane przez instytucję",
}
_GRADE_SHORT = {
    Grade.ACT: "akt",
    Grade.PROGRAMME: "program badań",
    Grade.NOTICE: "komunikat",
    Grade.REGIONAL: "strona UW/ROPS",
    Grade.INSTITUTION: "pismo instytucji",
}
_GRADE_MARKS = {
    Grade.ACT: "",
    Grade.PROGRAMME: "termin wg programu badań — do sprawdzenia",
    Grade.NOTICE: "termin wg komunikatu — do sprawdzenia",
    Grade.REGIONAL: "termin wg strony urzędu wojewódzkiego — do sprawdzenia",
    Grade.INSTITUTION: "termin wg pisma otrzymanego przez instytucję",
}


class Source(NamedTuple):
    """Where a rule was read and how strong that is."""

    grade: Grade
    where: tuple[str, ...] = ()
    verified: date | None = None
    text: str = ""
    notes: str = ""

    def lines(self) -> list[str]:
        """Polish lines for ``explain`` and feeds."""
        head = f"Źródło: {self.grade.polish}"
        if self.verified is not None:
            head += f", sprawdzono {self.verified:%d.%m.%Y} r."
        lines = [head]
        if self.text:
            lines.append(f"  „{self.text}”")
        lines += [f"  {w}" for w in self.where]
        if self.notes:
            lines.append(f"  {self.notes}")
        return lines


class IfNonWorking(StrEnum):
    NEXT = "next"
    PREVIOUS = "previous"
    KEEP = "keep"


class Act(NamedTuple):
    """The legal act a catalogue encodes."""

    id: str
    title: str
    short: str
    published: str = ""
    status: str = ""
    notes: str = ""
    valid_from: Period | None = None
    valid_to: Period | None = None
    repealed: date | None = None  # the day it lost force, when known
    repeal_unknown: bool = False  # lost force on a day not known
    status_verified: date | None = None  # when the status above was recorded
    in_force: str = ""  # "", "unconfirmed" or "conflicting": whether it binds today is unsure

    @property
    def in_force_words(self) -> str:
        """Polish words when the act's being in force is not confirmed; else ""."""
        if self.in_force == "unconfirmed":
            return "obowiązywanie aktu niepotwierdzone — do sprawdzenia"
        if self.in_force == "conflicting":
            return "sprzeczne dane o obowiązywaniu aktu — do sprawdzenia"
        return ""

    @property
    def is_repealed(self) -> bool:
        return self.repealed is not None or self.repeal_unknown

    def repealed_by(self, day: date) -> bool:
        """Whether ``day`` lies after the act lost force.

        With an unknown repeal date, the days after its status was recorded
        (``status_verified``) count as after; without that date, every day does.
        """
        first = self.repealed_from()
        return first is not None and day >= first

    def repealed_from(self) -> date | None:
        """The first day :meth:`repealed_by` counts as after the act lost force (None: none
        is): the repeal date; with an unknown one, the day after its status was recorded,
        or the earliest day of all."""
        if self.repealed is not None:
            return self.repealed
        if self.repeal_unknown:
            if self.status_verified is None:
                return date.min
            return self.status_verified + timedelta(days=1)
        return None

    def in_force_during(self, start: date, end: date) -> bool:
        """Whether the act applies to some day of [start, end] (for the default set).

        An act repealed on an unknown day is never in the default set: it is used
        only when named.
        """
        if self.repeal_unknown:
            return False
        if self.repealed is not None and self.repealed <= start:
            return False
        return not (self.valid_from is not None and self.valid_from.first_day > end)

    def repeal_words(self) -> str:
        if self.repealed is not None:
            return f"akt utracił moc z dniem {self.repealed:%d.%m.%Y} r."
        if self.repeal_unknown:
            since = (f"; status odnotowano {self.status_verified:%d.%m.%Y} r."
                     if self.status_verified else "")  # fmt: skip
            return f"akt utracił moc (data nieustalona{since})"
        return ""


class Citation(NamedTuple):
    """A provision of an act: ``§ 3 ust. 1 pkt 1`` or ``art. 16a ust. 4``, with the quote.

    ``text`` describes a basis that is not a provision (e.g. a survey of the
    statistics programme).
    """

    act: str
    paragraph: str | None = None
    ust: str | None = None
    pkt: str | None = None
    quote: str = ""
    article: str | None = None
    text: str = ""

    def short(self) -> str:
        parts = []
        if self.article:
            parts.append(f"art. {self.article}")
        if self.paragraph:
            parts.append(f"§ {self.paragraph}")
        if self.ust:
            parts.append(f"ust. {self.ust}")
        if self.pkt:
            parts.append(f"pkt {self.pkt}")
        return " ".join(parts)

    def __str__(self) -> str:
        short = self.short()
        if not short and self.text:
            return self.text
        return f"{short} {self.act}" if short else self.act


class Deadline(NamedTuple):
    kind: DeadlineKind
    n: int | None = None  # nth_working_day
    day: int | None = None  # fixed
    months_after: int = 1
    if_non_working: IfNonWorking = IfNonWorking.NEXT
    shift_basis: str = ""

    def words(self) -> str:
        """Polish description of the rule, e.g. ``2. dzień roboczy miesiąca po okresie``."""
        if self.kind is DeadlineKind.ANNOUNCED:
            return "termin ogłaszany na każdy okres (bez przesunięcia z dnia wolnego)"
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


class Party(NamedTuple):
    """A level that submits reports or a body that receives them (rup, wup, wus, …)."""

    id: str
    name: str


class Obligation(NamedTuple):
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
    source: Source | None = None
    undated_from: Period | None = None  # announced: first period listed while undated

    @property
    def grade(self) -> Grade:
        """The grade of the rule's source; an obligation without a record is the act's own."""
        return self.source.grade if self.source is not None else Grade.ACT

    @property
    def announced(self) -> bool:
        return self.deadline is not None and self.deadline.kind is DeadlineKind.ANNOUNCED

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


class Override(NamedTuple):
    """A date announced for one occurrence (e.g. by the ministry for one year); it wins."""

    occurrence_id: str
    due: date
    basis: str
    source: str = ""  # where it was written: "catalogue.toml(12)", shown by `who`


class AnnouncedDate(NamedTuple):
    """The date announced for one occurrence of an ``announced`` obligation.

    ``origin`` names the file that recorded it (a catalogue, a voivode's
    schedule or the institution's own file); ``basis`` is the letter or the
    document it was read in (``pismo WPS z … r., znak …``). ``replaced`` is a
    catalogue's date that a schedule or the institution's file overrode.
    """

    occurrence_id: str
    due: date
    grade: Grade
    text: str
    where: str = ""
    basis: str = ""
    notes: str = ""
    origin: str = ""
    local: bool = False
    replaced: "AnnouncedDate | None" = None

    def lines(self) -> list[str]:
        """Polish lines citing the announcement, for ``explain`` and feeds."""
        lines = [f"Termin ogłoszony: {self.due:%d.%m.%Y} r. — źródło: {self.grade.polish}"]
        if self.basis:
            lines.append(f"  Podstawa: {self.basis}")
        lines.append(f"  „{self.text}”")
        if self.where:
            lines.append(f"  {self.where}")
        if self.origin:
            lines.append(f"  Zapisano w: {self.origin}")
        if self.notes:
            lines.append(f"  {self.notes}")
        if self.replaced is not None:
            lines.append(f"  Zastępuje termin z katalogu: {self.replaced.due:%d.%m.%Y} r. "
                         f"({self.replaced.origin})")  # fmt: skip
        return lines


class Occurrence(NamedTuple):
    obligation: Obligation
    period: Period
    nominal: date
    due: date
    override: Override | None = None
    announced: AnnouncedDate | None = None

    @property
    def id(self) -> str:
        return occurrence_id(self.obligation.id, self.period)

    @property
    def grade(self) -> Grade:
        """The grade of this date: the announcement's, else the rule's."""
        return self.announced.grade if self.announced is not None else self.obligation.grade

    @property
    def from_repealed_act(self) -> bool:
        """Due after the act lost force (unknown day: after its status was recorded)."""
        return self.obligation.act.repealed_by(self.due)

    @classmethod
    def _without_override(
        cls,
        obligation: Obligation,
        periods: Sequence[Period],
        nominals: Sequence[date],
        dues: Sequence[date],
    ) -> "list[Occurrence]":
        """One obligation's occurrences for parallel runs of periods and dates, no overrides.

        The same tuples the constructor makes, without its keyword handling, for
        :func:`expand`.
        """
        assert len(periods) == len(nominals) == len(dues)
        rows = zip(repeat(obligation), periods, nominals, dues, repeat(None), repeat(None))
        return list(map(tuple.__new__, repeat(cls), rows))  # what ``cls._make`` does, per row


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
    if deadline.kind is DeadlineKind.ANNOUNCED:
        raise ValueError(f"{obligation.id} has announced dates, not a rule")
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
    nominal = _fixed_day(deadline.day, year, month)
    return nominal, _shift(deadline.if_non_working, calendar)(nominal)


def _fixed_day(day: int, year: int, month: int) -> date:
    """Day ``day`` of a month, or the month's last day when it is shorter."""
    return date(year, month, day if day <= 28 else min(day, _month_length(year, month)))


def _shift(rule: IfNonWorking, calendar: WorkingCalendar) -> Callable[[date], date]:
    """What ``rule`` makes of a fixed date (``CalendarRangeError`` past 1990–2100)."""
    if rule is IfNonWorking.NEXT:
        return calendar.on_or_after
    if rule is IfNonWorking.PREVIOUS:
        return calendar.on_or_before
    return _unchanged


def _unchanged(day: date) -> date:
    return day


def occurrence(
    obligation: Obligation,
    period: Period,
    calendar: WorkingCalendar,
    overrides: Mapping[str, Override] | None = None,
    announced: Mapping[str, AnnouncedDate] | None = None,
) -> Occurrence:
    """One occurrence; ``ValueError`` for an announced obligation whose period has no date."""
    if obligation.announced:
        found = (announced or {}).get(occurrence_id(obligation.id, period))
        if found is None:
            raise ValueError(f"{occurrence_id(obligation.id, period)} has no announced date")
        return Occurrence(obligation=obligation, period=period, nominal=found.due,
                          due=found.due, announced=found)  # fmt: skip
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
    announced: Mapping[str, AnnouncedDate] | None = None,
) -> list[Occurrence]:
    """Every occurrence whose due date lies in [start, end], sorted by due date then id.

    An ``announced`` obligation yields only the periods with a date in ``announced``
    (keyed by occurrence id), on that very date. Obligations without a deadline yield
    nothing; periods whose due month lies
    outside the calendar's years are skipped rather than raising, as is a shift
    out of them (before 1 January of the first supported year or past
    31 December of the last). An override is found when it moves a date by up
    to three months either way. Occurrences of one period share its ``Period``.

    This is the hot path (a century of the catalogue is about 8,000
    occurrences): each obligation's periods are a range of running numbers,
    its n-th working days come from one bulk query of the calendar, the
    occurrences and periods are made without their constructors' keyword handling (see
    :func:`_made_without_init`), and one stable sort by due date orders them.
    """
    own_overrides: dict[str, dict[str, Override]] = {}
    for key, given in (overrides or {}).items():
        obligation_id, _, period_text = key.rpartition("/")
        own_overrides.setdefault(obligation_id, {})[period_text] = given
    shared: dict[PeriodKind, _Periods] = {}
    result: list[Occurrence] = []
    # Ids compare as "<obligation id>/<period>"; no obligation id contains "/", and
    # within one obligation the period texts sort chronologically. The runs are made
    # in that order, so the stable sort by due date keeps each day's ties in id order.
    by_obligation: dict[str, list[AnnouncedDate]] = {}
    for key, found in (announced or {}).items():
        by_obligation.setdefault(key.rpartition("/")[0], []).append(found)
    for obligation in sorted(obligations, key=_id_order):
        if obligation.announced:
            dated = []
            for found in by_obligation.get(obligation.id, ()):
                if start <= found.due <= end:
                    period = split_occurrence_id(found.occurrence_id)[1]
                    dated.append(Occurrence(obligation=obligation, period=period,
                                            nominal=found.due, due=found.due, announced=found))
            result += sorted(dated, key=lambda o: o.period)
        elif obligation.deadline is not None:
            own = own_overrides.get(obligation.id)
            result += _run(obligation, obligation.deadline, calendar, start, end, own, shared)
    result.sort(key=attrgetter("due"))
    return result


def _run(
    obligation: Obligation,
    deadline: Deadline,
    calendar: WorkingCalendar,
    start: date,
    end: date,
    own: Mapping[str, Override] | None,
    shared: "dict[PeriodKind, _Periods]",
) -> list[Occurrence]:
    """One obligation's occurrences due in [start, end] (``own``: its overrides), by period."""
    kind = obligation.period_kind
    months, per_year, k = kind.months, kind.per_year, deadline.months_after
    # Due dates fall in the k-th month after the period, or a few days into the next
    # (or, for "previous", the last) month after a shift; overrides may move them further.
    margin = 3 if own else 1
    # Period number x covers months x*months .. x*months + months - 1 (counted from
    # year 0); its rule counts in month x*months + months - 1 + k.
    lowest = calendar.first_year * 12
    highest = calendar.last_year * 12 + 11
    lo = _ceil_div(max(start.year * 12 + start.month - 1 - margin, lowest) - months + 1 - k, months)
    hi = (min(end.year * 12 + end.month - 1 + margin, highest) - months + 1 - k) // months
    if obligation.valid_from is not None:
        vf = obligation.valid_from
        lo = max(lo, _ceil_div(vf.year * 12 + vf.first_month - 1, months))
    if obligation.valid_to is not None:
        vt = obligation.valid_to
        hi = min(hi, (vt.year * 12 + vt.last_month - months) // months)
    numbers: Sequence[int] = range(lo, hi + 1)
    offset = months - 1 + k  # the rule's month, counted from the period's first month
    rule_months: Sequence[int] = range(lo * months + offset, (hi + 1) * months + offset, months)
    if obligation.periods:
        numbers = [x for x in numbers if x % per_year + 1 in obligation.periods]
        rule_months = [x * months + offset for x in numbers]
    if deadline.kind is DeadlineKind.NTH_WORKING_DAY:
        assert deadline.n is not None
        nominals = dues = calendar.nth_working_days(deadline.n, rule_months)
    else:
        assert deadline.day is not None
        move = _shift(deadline.if_non_working, calendar)
        kept, nominals, dues = [], [], []
        for x, month in zip(numbers, rule_months, strict=True):
            nominal = _fixed_day(deadline.day, month // 12, month % 12 + 1)
            try:
                due = move(nominal)
            except CalendarRangeError:  # moved out of the supported years
                continue
            kept.append(x)
            nominals.append(nominal)
            dues.append(due)
        numbers = kept
    periods = shared.get(kind)
    if periods is None:
        periods = shared[kind] = _Periods(kind)
    if own:
        result = []
        for period, nominal, due in zip(periods.run(numbers), nominals, dues, strict=True):
            override = own.get(str(period))
            if override is not None:
                due = override.due
            if start <= due <= end:
                result.append(Occurrence(
                    obligation=obligation, period=period, nominal=nominal, due=due,
                    override=override,
                ))  # fmt: skip
        return result
    # Without overrides the due dates rise with the period: [start, end] is one slice.
    i, j = bisect_left(dues, start), bisect_right(dues, end)
    run = periods.run(numbers[i:j])
    return Occurrence._without_override(obligation, run, nominals[i:j], dues[i:j])


class _Periods:
    """The periods of one kind, made once per expansion for a span of running numbers.

    The span grows to cover every run asked for. The periods are made without
    ``Period``'s constructor (see :func:`_made_without_init`); its one check, that
    the index fits the kind, holds by construction.
    """

    def __init__(self, kind: PeriodKind) -> None:
        self._kind = kind
        self._first = 0  # the running number of _made[0]
        self._made: list[Period] = []

    def run(self, numbers: Sequence[int]) -> list[Period]:
        """The periods with these running numbers, which must be ascending."""
        if not numbers:
            return []
        lo, hi = numbers[0], numbers[-1]
        if not self._made:
            self._first = lo
        elif lo < self._first:
            self._made[:0] = self._make(range(lo, self._first))
            self._first = lo
        end = self._first + len(self._made)
        if hi >= end:
            self._made += self._make(range(end, hi + 1))
        if isinstance(numbers, range) and numbers.step == 1:
            return self._made[lo - self._first : hi + 1 - self._first]
        return [self._made[x - self._first] for x in numbers]

    def _make(self, numbers: range) -> list[Period]:
        per_year = self._kind.per_year
        return _made_without_init(Period, len(numbers), {
            "year": [x // per_year for x in numbers],
            "index": [x % per_year + 1 for x in numbers],
            "kind": repeat(self._kind),
        })  # fmt: skip


def _made_without_init(
    cls: type[_T], count: int, columns: Mapping[str, Iterable[object]]
) -> list[_T]:
    """``count`` objects of the immutable ``__slots__`` class ``cls`` (a
    :class:`~terminarz.law.periods.Frozen`), given a column of values for every field
    (field name → values, each at least ``count`` long).

    The constructor of such a class assigns each field through
    ``object.__setattr__``, which looks the name up again every time; here every
    slot's member descriptor is fetched once and ``map`` calls its setter for the
    whole column from C. The objects are the ones the constructor would make
    (equal, same hash, still frozen), minus ``__post_init__``: only for values
    known to be valid.
    """
    assert len(columns) == len(cls.__slots__)  # type: ignore[attr-defined]
    made = list(map(object.__new__, repeat(cls, count)))
    slots = cls.__dict__
    for name, values in columns.items():
        # deque(..., maxlen=0) only runs the map: one setter call per object.
        deque(map(slots[name].__set__, made, values), maxlen=0)
    return made


def _id_order(obligation: Obligation) -> str:
    return obligation.id + "/"


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


# -- the trail: how a date was computed ---------------------------------------------


class TrailDay(Frozen):
    """One day looked at: counted as the n-th working day, or skipped for a reason.
    Immutable; equality, hash and repr as of the frozen dataclass it was."""

    __slots__ = ("count", "info")
    info: DayInfo
    count: int | None

    def __init__(self, *, info: DayInfo, count: int | None = None) -> None:
        object.__setattr__(self, "info", info)
        object.__setattr__(self, "count", count)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, TrailDay)
        return (self.info, self.count) == (other.info, other.count)

    def __hash__(self) -> int:
        return hash((self.info, self.count))

    def __repr__(self) -> str:
        return f"TrailDay(info={self.info!r}, count={self.count!r})"


class Trail(NamedTuple):
    occurrence: Occurrence
    rule: str
    month: tuple[int, int]
    days: tuple[TrailDay, ...] = ()
    shifted: bool = False
    shift: IfNonWorking | None = None
    shift_basis: str = ""
    computed_due: date | None = None


def trail(occ: Occurrence, calendar: WorkingCalendar) -> Trail:
    """Every day that was counted or skipped to reach ``occ``'s date, for ``explain``."""
    obligation = occ.obligation
    deadline = obligation.deadline
    assert deadline is not None
    if occ.announced is not None:
        info = calendar.day_info(occ.due)
        rule = f"termin ogłoszony ({occ.announced.grade.polish}), bez przesunięcia z dnia wolnego"
        return Trail(
            occurrence=occ, rule=rule, month=(occ.due.year, occ.due.month),
            days=(TrailDay(info=info),), shift=IfNonWorking.KEEP, computed_due=occ.due,
        )  # fmt: skip
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

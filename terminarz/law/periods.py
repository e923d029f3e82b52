"""Reporting periods (okresy sprawozdawcze): a month, quarter, half-year or year.

They print and parse as ``2026-10``, ``2026-Q3``, ``2026-H1`` and ``2026``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from enum import StrEnum

from terminarz.polish import MONTHS_NOMINATIVE, ROMAN

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from typing import Any


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half-year"
    YEAR = "year"

    @property
    def months(self) -> int:
        return _MONTHS[self]

    @property
    def per_year(self) -> int:
        return 12 // _MONTHS[self]

    @property
    def polish(self) -> str:
        return _POLISH_KIND[self]


_MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.HALF_YEAR: 6, PeriodKind.YEAR: 12}
_ONE_DAY = timedelta(days=1)
_POLISH_KIND = {
    PeriodKind.MONTH: "miesiąc",
    PeriodKind.QUARTER: "kwartał",
    PeriodKind.HALF_YEAR: "półrocze",
    PeriodKind.YEAR: "rok",
}


class Frozen:
    """Base of the law's plain immutable value classes (``__slots__``, set once in
    ``__init__``): assigning or deleting a field raises
    :class:`dataclasses.FrozenInstanceError`, as for the frozen dataclasses they were, and
    they pickle and copy field by field. Defining such a class at every start costs a
    fraction of what the dataclass machinery does (it compiles each generated method).
    A subclass lists its fields in ``__slots__``."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise _frozen(name)

    def __delattr__(self, name: str) -> None:
        raise _frozen(name)

    def __getstate__(self) -> tuple[Any, ...]:
        names: tuple[str, ...] = type(self).__slots__
        return tuple(getattr(self, name) for name in names)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        names: tuple[str, ...] = type(self).__slots__
        for name, value in zip(names, state, strict=True):
            object.__setattr__(self, name, value)


def _frozen(name: str) -> Exception:
    from dataclasses import FrozenInstanceError  # only when the mistake happens

    return FrozenInstanceError(f"cannot assign to field {name!r}")


class Period(Frozen):
    """One period: ``index`` is the month (1–12), quarter (1–4), half (1–2) or 1 for a year.

    Ordering compares year, then index, so only periods of one kind sort meaningfully.
    Immutable; equality, hash, order and repr as of the frozen, ordered dataclass it was.
    """

    __slots__ = ("index", "kind", "year")
    year: int
    index: int
    kind: PeriodKind

    def __init__(self, *, year: int, index: int, kind: PeriodKind) -> None:
        if not 1 <= index <= kind.per_year:
            raise ValueError(f"index {index} out of range for {kind}")
        object.__setattr__(self, "year", year)
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "kind", kind)

    def _key(self) -> tuple[int, int, PeriodKind]:
        return (self.year, self.index, self.kind)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Period)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: Period) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() < other._key()

    def __le__(self, other: Period) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() <= other._key()

    def __gt__(self, other: Period) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() > other._key()

    def __ge__(self, other: Period) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() >= other._key()

    def __repr__(self) -> str:
        return f"Period(year={self.year!r}, index={self.index!r}, kind={self.kind!r})"

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``2026-10``, ``2026-Q3``, ``2026-H1`` or ``2026``; else raise ``ValueError``.

        Digits are what ``\\d`` matches (``str.isdecimal``): read with string methods, as
        ``^(\\d{4})(?:-(?:(\\d{2})|Q([1-4])|H([12])))?$`` would (no pattern compiled at
        every start; a period is parsed for every announced date)."""
        year, dash, rest = text.strip().partition("-")
        if len(year) != 4 or not year.isdecimal() or (dash and len(rest) != 2):
            raise ValueError(f"not a period: {text!r}")
        if not dash:
            return cls(year=int(year), index=1, kind=PeriodKind.YEAR)
        if rest.isdecimal():
            month = int(rest)
            if not 1 <= month <= 12:
                raise ValueError(f"not a month: {text!r}")
            return cls(year=int(year), index=month, kind=PeriodKind.MONTH)
        if rest[0] == "Q" and rest[1] in "1234":
            return cls(year=int(year), index=int(rest[1]), kind=PeriodKind.QUARTER)
        if rest[0] == "H" and rest[1] in "12":
            return cls(year=int(year), index=int(rest[1]), kind=PeriodKind.HALF_YEAR)
        raise ValueError(f"not a period: {text!r}")

    @classmethod
    def containing(cls, kind: PeriodKind, day: date) -> Period:
        return cls(year=day.year, index=(day.month - 1) // kind.months + 1, kind=kind)

    def __str__(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return f"{self.year}-{self.index:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.year}-Q{self.index}"
        if self.kind is PeriodKind.HALF_YEAR:
            return f"{self.year}-H{self.index}"
        return str(self.year)

    @property
    def first_month(self) -> int:
        return (self.index - 1) * self.kind.months + 1

    @property
    def last_month(self) -> int:
        return self.index * self.kind.months

    @property
    def first_day(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def last_day(self) -> date:
        """The day before the next period's first (no period is made for it)."""
        year, month = divmod(self.year * 12 + self.index * _MONTHS[self.kind], 12)
        return date(year, month + 1, 1) - _ONE_DAY

    def next(self) -> Period:
        if self.index < self.kind.per_year:
            return Period(year=self.year, index=self.index + 1, kind=self.kind)
        return Period(year=self.year + 1, index=1, kind=self.kind)

    def ordinal(self) -> int:
        """A running number: consecutive periods of one kind differ by one."""
        return self.year * self.kind.per_year + self.index - 1

    def month_after(self, k: int) -> tuple[int, int]:
        """(year, month) of the k-th month after the period ends (k=1: the next month)."""
        total = self.year * 12 + self.last_month - 1 + k
        return total // 12, total % 12 + 1

    def words(self) -> str:
        """``październik 2026 r.``, ``III kwartał 2026 r.``, ``I półrocze 2026 r.``, ``2026 r.``"""
        if self.kind is PeriodKind.MONTH:
            return f"{MONTHS_NOMINATIVE[self.index - 1]} {self.year} r."
        if self.kind is PeriodKind.YEAR:
            return f"{self.year} r."
        return f"{ROMAN[self.index - 1]} {self.kind.polish} {self.year} r."

    def for_words(self) -> str:
        """``za październik 2026 r.`` — as a period is named on a report."""
        return f"za {self.words()}"


def iter_periods(first: Period, last: Period) -> Iterator[Period]:
    """Every period from ``first`` to ``last`` inclusive (both of one kind)."""
    current = first
    while current <= last:
        yield current
        current = current.next()

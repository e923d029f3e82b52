"""Catalogue files: one TOML file per legal act in ``calendars/``.

A catalogue declares the act (``[act]``), shared defaults (``[defaults]``),
the parties that submit and receive reports (``[parties]``), the obligations
(``[[obligations]]``), per-occurrence date overrides (``[[overrides]]``) and
provisions kept for provenance (``[[provenance]]``). The loader checks every
value and reports all problems of all files at once; unknown keys are errors.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from terminarz.errors import Problem, TerminarzError, raise_if_errors
from terminarz.law.periods import Period, PeriodKind
from terminarz.law.rules import (
    Act,
    Citation,
    Deadline,
    DeadlineKind,
    IfNonWorking,
    Obligation,
    Override,
    Party,
    split_occurrence_id,
)
from terminarz.tomlcheck import Checker, Where, describe, read_toml

_TOP = ("act", "defaults", "parties", "obligations", "overrides", "provenance")
_ACT = ("id", "title", "short", "published", "status", "notes", "valid_from", "valid_to")
_DEFAULTS = ("if_non_working", "shift_basis")
_OBLIGATION = (
    "id", "form", "part", "title", "level", "recipients", "period", "periods", "deadline",
    "basis", "valid_from", "valid_to", "notes",
)  # fmt: skip
_DEADLINE = ("kind", "n", "day", "months_after", "if_non_working", "shift_basis")
_BASIS = ("paragraph", "ust", "pkt", "quote")
_OVERRIDE = ("occurrence", "due", "basis")
_PROVENANCE = ("paragraph", "text", "note")


@dataclass(frozen=True, slots=True, kw_only=True)
class Provision:
    """A provision of the act that sets no deadline but explains the others (e.g. § 6)."""

    paragraph: str
    text: str
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Catalogue:
    path: Path
    act: Act
    parties: tuple[Party, ...]
    obligations: tuple[Obligation, ...]
    overrides: tuple[Override, ...] = ()
    provenance: tuple[Provision, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogueSet:
    """Several catalogues used together; obligation ids are unique across them.

    The merged views (obligations, overrides, parties) are built once, when the set is
    made: a century of occurrences asks for party names thousands of times.
    """

    catalogues: tuple[Catalogue, ...]
    obligations: tuple[Obligation, ...] = field(init=False, repr=False, compare=False)
    overrides: dict[str, Override] = field(init=False, repr=False, compare=False)
    parties: dict[str, Party] = field(init=False, repr=False, compare=False)
    _by_id: dict[str, Obligation] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        obligations = tuple(o for c in self.catalogues for o in c.obligations)
        object.__setattr__(self, "obligations", obligations)
        object.__setattr__(self, "_by_id", {o.id: o for o in obligations})
        object.__setattr__(
            self, "overrides", {o.occurrence_id: o for c in self.catalogues for o in c.overrides}
        )
        object.__setattr__(self, "parties", {p.id: p for c in self.catalogues for p in c.parties})

    @property
    def levels(self) -> list[str]:
        return sorted({o.level for o in self.obligations})

    def obligation(self, obligation_id: str) -> Obligation | None:
        return self._by_id.get(obligation_id)

    def party_name(self, party_id: str) -> str:
        party = self.parties.get(party_id)
        return party.name if party else party_id

    def select(self, patterns: Iterable[str]) -> list[Obligation]:
        """Obligations whose id matches any of the glob ``patterns``."""
        pats = list(patterns)
        return [o for o in self.obligations if any(fnmatch.fnmatchcase(o.id, p) for p in pats)]


def load_catalogues(paths: Sequence[Path]) -> CatalogueSet:
    """Load and check every file; raise :class:`ValidationError` listing every problem."""
    catalogues, problems = check_catalogues(paths)
    raise_if_errors(problems)
    return CatalogueSet(catalogues=tuple(catalogues))


def check_catalogues(paths: Sequence[Path]) -> tuple[list[Catalogue], list[Problem]]:
    """Load what can be loaded and collect every problem (nothing is raised for a bad file)."""
    catalogues: list[Catalogue] = []
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            data, text = read_toml(path)
        except TerminarzError as exc:
            problems.append(exc.problem)
            continue
        checker = Checker(path, text)
        catalogue = _parse(data, checker)
        problems.extend(checker.problems)
        if catalogue is None:
            continue
        for index, obligation in enumerate(catalogue.obligations):
            if obligation.id in seen:
                problems.append(
                    Problem(
                        message="identyfikator obowiązku powtarza się "
                        f"(jest już w {seen[obligation.id]})",
                        path=path, entry=obligation.id, field="id",
                        line=checker.lines.key("obligations", index, "id"),
                    )
                )  # fmt: skip
            seen.setdefault(obligation.id, path)
        catalogues.append(catalogue)
    return catalogues, problems


def _parse(data: dict[str, Any], ck: Checker) -> Catalogue | None:
    ck.unknown_keys(data, _TOP)
    act = _parse_act(ck.table(data, "act", required=True), ck)
    defaults = ck.table(data, "defaults")
    ck.unknown_keys(defaults, _DEFAULTS, table="defaults", prefix="")
    where_defaults = Where("defaults")
    default_shift = _enum(ck, defaults, "if_non_working", IfNonWorking, where_defaults)
    default_basis = ck.string(defaults, "shift_basis", where=where_defaults) or ""

    parties = _parse_parties(ck.table(data, "parties", required=True), ck)
    party_ids = {p.id for p in parties}

    obligations: list[Obligation] = []
    ids: set[str] = set()
    for index, raw in enumerate(ck.array_of_tables(data, "obligations")):
        obligation = _parse_obligation(
            raw, index, ck, act=act, party_ids=party_ids,
            default_shift=default_shift or IfNonWorking.NEXT, default_basis=default_basis,
        )  # fmt: skip
        if obligation is None:
            continue
        if obligation.id in ids:
            ck.add(
                "identyfikator obowiązku powtarza się w tym pliku",
                table="obligations", index=index, entry=obligation.id, field="id",
            )  # fmt: skip
            continue
        ids.add(obligation.id)
        obligations.append(obligation)
    if not ck.array_of_tables(data, "obligations") and "obligations" not in data:
        ck.add("katalog nie zawiera żadnego wpisu [[obligations]]")

    by_id = {o.id: o for o in obligations}
    overrides = [
        o
        for index, raw in enumerate(ck.array_of_tables(data, "overrides"))
        if (o := _parse_override(raw, index, ck, by_id)) is not None
    ]
    provenance = []
    for index, raw in enumerate(ck.array_of_tables(data, "provenance")):
        where = Where("provenance", index)
        ck.unknown_keys(raw, _PROVENANCE, table="provenance", index=index)
        paragraph = ck.string(raw, "paragraph", required=True, where=where)
        text = ck.string(raw, "text", required=True, where=where)
        note = ck.string(raw, "note", where=where) or ""
        if paragraph and text:
            provenance.append(Provision(paragraph=paragraph, text=text, note=note))

    if act is None or ck.has_errors:
        return None
    return Catalogue(
        path=ck.path,
        act=act,
        parties=tuple(parties),
        obligations=tuple(obligations),
        overrides=tuple(overrides),
        provenance=tuple(provenance),
    )


def _parse_act(raw: dict[str, Any], ck: Checker) -> Act | None:
    if not raw:
        return None
    where = Where("act")
    ck.unknown_keys(raw, _ACT, table="act")
    values = {key: ck.string(raw, key, required=key in ("id", "title", "short"), where=where)
              for key in ("id", "title", "short", "published", "status", "notes")}  # fmt: skip
    for key in ("valid_from", "valid_to"):
        _period(ck, raw, key, where)
    if not (values["id"] and values["title"] and values["short"]):
        return None
    return Act(
        id=values["id"], title=values["title"], short=values["short"],
        published=values["published"] or "", status=values["status"] or "",
        notes=values["notes"] or "",
        valid_from=_period(ck, raw, "valid_from", None),
        valid_to=_period(ck, raw, "valid_to", None),
    )  # fmt: skip


def _parse_parties(raw: dict[str, Any], ck: Checker) -> list[Party]:
    parties = []
    for key, value in raw.items():
        if not isinstance(value, str) or not value.strip():
            ck.add(
                f"nazwa strony „{key}” musi być niepustym tekstem, a jest: {describe(value)}",
                table="parties", field=key,
            )  # fmt: skip
            continue
        parties.append(Party(id=key, name=value))
    return parties


def _parse_obligation(
    raw: dict[str, Any],
    index: int,
    ck: Checker,
    *,
    act: Act | None,
    party_ids: set[str],
    default_shift: IfNonWorking,
    default_basis: str,
) -> Obligation | None:
    oid = raw.get("id") if isinstance(raw.get("id"), str) else None
    where = Where("obligations", index, oid)
    ck.unknown_keys(raw, _OBLIGATION, table="obligations", index=index, entry=oid)
    before = len(ck.problems)
    oid = ck.string(raw, "id", required=True, where=where, single_line=True)
    if oid is not None and ("/" in oid or " " in oid):
        ck.add("identyfikator nie może zawierać „/” ani spacji", **where.at("id"))
    form = ck.string(raw, "form", required=True, where=where, single_line=True)
    part = ck.string(raw, "part", where=where, single_line=True)
    title = ck.string(raw, "title", required=True, where=where)
    level = ck.string(raw, "level", required=True, where=where)
    if level is not None and party_ids and level not in party_ids:
        ck.add(f"nieznany poziom „{level}” (nie ma go w sekcji [parties])", **where.at("level"))
    recipients = ck.string_list(raw, "recipients", where=where) or []
    for recipient in recipients:
        if party_ids and recipient not in party_ids:
            ck.add(
                f"nieznany odbiorca „{recipient}” (nie ma go w sekcji [parties])",
                **where.at("recipients"),
            )
    kind = _enum(ck, raw, "period", PeriodKind, where, required=True)
    periods: tuple[int, ...] = ()
    raw_periods = raw.get("periods")
    if raw_periods is not None:
        if not isinstance(raw_periods, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in raw_periods
        ):
            ck.add("„periods” musi być listą numerów okresów, np. [1]", **where.at("periods"))
        elif kind is not None:
            bad = [v for v in raw_periods if not 1 <= v <= kind.per_year]
            if bad or not raw_periods:
                ck.add(
                    f"„periods” dla okresu „{kind}” może zawierać tylko liczby od 1 do "
                    f"{kind.per_year}",
                    **where.at("periods"),
                )
            else:
                periods = tuple(sorted(set(raw_periods)))
    deadline = _parse_deadline(raw.get("deadline"), ck, where, default_shift, default_basis)
    basis = _parse_basis(raw.get("basis"), ck, where, act)
    valid_from = _period(ck, raw, "valid_from", where) or (act.valid_from if act else None)
    valid_to = _period(ck, raw, "valid_to", where) or (act.valid_to if act else None)
    if valid_from and valid_to and valid_to.last_day < valid_from.first_day:
        ck.add("„valid_to” jest wcześniejsze niż „valid_from”", **where.at("valid_to"))
    notes = ck.string(raw, "notes", where=where) or ""
    if len(ck.problems) > before or act is None:
        return None
    assert oid and form and title and level and kind and basis
    return Obligation(
        id=oid, act=act, form=form, part=part, title=title, level=level,
        recipients=tuple(recipients), period_kind=kind, periods=periods, deadline=deadline,
        basis=basis, valid_from=valid_from, valid_to=valid_to, notes=notes,
    )  # fmt: skip


def _parse_deadline(
    raw: Any, ck: Checker, where: Where, default_shift: IfNonWorking, default_basis: str
) -> Deadline | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        ck.add(
            "„deadline” musi być tabelą, np. { kind = \"nth_working_day\", n = 2 }",
            **where.at("deadline"),
        )
        return None
    ck.unknown_keys(raw, _DEADLINE, table=where.table, index=where.index, entry=where.entry,
                    prefix="deadline.")  # fmt: skip
    sub = Where(where.table, where.index, where.entry)
    kind = _enum(ck, raw, "kind", DeadlineKind, sub, required=True, label="deadline.kind")
    months_after = _int(ck, raw, "months_after", sub, 1, 12) or 1
    shift = _enum(ck, raw, "if_non_working", IfNonWorking, sub, label="deadline.if_non_working")
    shift_basis = raw.get("shift_basis", default_basis)
    if not isinstance(shift_basis, str):
        ck.add("„deadline.shift_basis” musi być tekstem", **sub.at("deadline.shift_basis"))
        shift_basis = default_basis
    if kind is DeadlineKind.NTH_WORKING_DAY:
        n = _int(ck, raw, "n", sub, 1, 17, required=True)
        if "day" in raw:
            ck.add("„deadline.day” nie pasuje do kind = \"nth_working_day\" (użyj „n”)",
                   **sub.at("deadline.day"))  # fmt: skip
        if n is None:
            return None
        return Deadline(kind=kind, n=n, months_after=months_after)
    if kind is DeadlineKind.FIXED:
        day = _int(ck, raw, "day", sub, 1, 31, required=True)
        if "n" in raw:
            ck.add("„deadline.n” nie pasuje do kind = \"fixed\" (użyj „day”)",
                   **sub.at("deadline.n"))  # fmt: skip
        if day is None:
            return None
        return Deadline(
            kind=kind, day=day, months_after=months_after,
            if_non_working=shift or default_shift, shift_basis=shift_basis,
        )  # fmt: skip
    return None


def _parse_basis(raw: Any, ck: Checker, where: Where, act: Act | None) -> Citation | None:
    if raw is None:
        ck.add("brak wymaganego pola „basis” (podstawa prawna: § , ust., pkt)", **where.at("basis"))
        return None
    if not isinstance(raw, dict):
        ck.add("„basis” musi być tabelą, np. { paragraph = \"3\", ust = \"1\" }",
               **where.at("basis"))  # fmt: skip
        return None
    ck.unknown_keys(raw, _BASIS, table=where.table, index=where.index, entry=where.entry,
                    prefix="basis.")  # fmt: skip
    values: dict[str, str | None] = {}
    for key in _BASIS:
        value = raw.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is not None and not isinstance(value, str):
            ck.add(f"„basis.{key}” musi być tekstem", **where.at(f"basis.{key}"))
            value = None
        values[key] = value
    if not values["paragraph"]:
        ck.add("podstawa prawna musi wskazywać paragraf („basis.paragraph”)",
               **where.at("basis.paragraph"))  # fmt: skip
        return None
    return Citation(
        act=act.short if act else "",
        paragraph=values["paragraph"], ust=values["ust"], pkt=values["pkt"],
        quote=values["quote"] or "",
    )  # fmt: skip


def _parse_override(
    raw: dict[str, Any], index: int, ck: Checker, obligations: dict[str, Obligation]
) -> Override | None:
    occ_id = raw.get("occurrence") if isinstance(raw.get("occurrence"), str) else None
    where = Where("overrides", index, occ_id)
    ck.unknown_keys(raw, _OVERRIDE, table="overrides", index=index, entry=occ_id)
    occ_id = ck.string(raw, "occurrence", required=True, where=where)
    due = ck.day(raw, "due", required=True, where=where)
    basis = ck.string(raw, "basis", required=True, where=where)
    if occ_id is None:
        return None
    try:
        obligation_id, period = split_occurrence_id(occ_id)
    except ValueError:
        ck.add(
            f"„{occ_id}” nie jest identyfikatorem wystąpienia (np. mpips-03@ops/2025)",
            **where.at("occurrence"),
        )
        return None
    obligation = obligations.get(obligation_id)
    if obligation is None:
        ck.add(f"nieznany obowiązek „{obligation_id}”", **where.at("occurrence"))
        return None
    if obligation.deadline is None or not obligation.applies_to(period):
        ck.add(f"obowiązek „{obligation_id}” nie ma wystąpienia za okres {period}",
               **where.at("occurrence"))  # fmt: skip
        return None
    if not 1900 <= period.year <= 2199:
        ck.add(f"okres {period} jest poza obsługiwanym zakresem (lata 1900–2199)",
               **where.at("occurrence"))  # fmt: skip
        return None
    if due is None or basis is None:
        return None
    earliest = period.first_day
    latest = period.last_day + timedelta(days=OVERRIDE_MONTHS_AFTER * 31)
    if not earliest <= due <= latest:
        ck.add(
            f"data {due.isoformat()} jest zbyt odległa od okresu {period} "
            f"({earliest.isoformat()}–{period.last_day.isoformat()}): termin zmieniony może "
            f"przypadać od początku okresu do {OVERRIDE_MONTHS_AFTER} miesięcy po jego końcu "
            "(pomyłka w roku?)",
            **where.at("due"),
        )
        return None
    line = ck.lines.key("overrides", index, "due")
    source = f"{ck.path}({line})" if line else str(ck.path)
    return Override(occurrence_id=occ_id, due=due, basis=basis, source=source)


OVERRIDE_MONTHS_AFTER = 18
"""An override's date lies between the first day of its period and this many months after
its last day; anything else is a typo (``2207-01-29`` for ``2027-01-29``) that would
silently remove the deadline from ``due``, the feeds and the reminders."""


E = TypeVar("E", PeriodKind, DeadlineKind, IfNonWorking)


def _enum(
    ck: Checker,
    raw: dict[str, Any],
    key: str,
    enum: type[E],
    where: Where,
    *,
    required: bool = False,
    label: str | None = None,
) -> E | None:
    name = label or key
    value = raw.get(key)
    if value is None:
        if required:
            ck.add(f"brak wymaganego pola „{name}”", **where.at(name))
        return None
    allowed = ", ".join(f"„{e.value}”" for e in enum)
    if not isinstance(value, str):
        ck.add(f"„{name}” musi być jednym z: {allowed}", **where.at(name))
        return None
    try:
        return enum(value)
    except ValueError:
        ck.add(f"„{name}” = „{value}” — dozwolone wartości: {allowed}", **where.at(name))
        return None


def _int(
    ck: Checker, raw: dict[str, Any], key: str, where: Where, low: int, high: int,
    *, required: bool = False,
) -> int | None:  # fmt: skip
    name = f"deadline.{key}"
    value = raw.get(key)
    if value is None:
        if required:
            ck.add(f"brak wymaganego pola „{name}”", **where.at(name))
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        ck.add(f"„{name}” musi być liczbą całkowitą, a jest: {describe(value)}", **where.at(name))
        return None
    if not low <= value <= high:
        ck.add(f"„{name}” musi być liczbą od {low} do {high}, a jest {value}", **where.at(name))
        return None
    return value


def _period(ck: Checker, raw: dict[str, Any], key: str, where: Where | None) -> Period | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        try:
            period = Period.parse(value)
        except ValueError:
            pass
        else:
            if 1900 <= period.year <= 2199:
                return period
            if where is not None:
                ck.add(f"„{key}” = {period}: rok poza obsługiwanym zakresem (1900–2199)",
                       **where.at(key))  # fmt: skip
            return None
    if where is not None:
        ck.add(
            f"„{key}” musi być okresem: 2026-10, 2026-Q3, 2026-H1 albo 2026; jest: "
            f"{describe(value)}",
            **where.at(key),
        )
    return None

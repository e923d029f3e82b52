"""Catalogue files: one TOML file per legal act in ``calendars/``.

A catalogue declares the act (``[act]``), shared defaults (``[defaults]``),
the parties that submit and receive reports (``[parties]``), the obligations
(``[[obligations]]``), per-occurrence date overrides (``[[overrides]]``),
provisions kept for provenance (``[[provenance]]``) and the dates announced for
single periods of ``announced`` obligations (``[[announced]]``).

A *schedule* file has ``[schedule]`` instead of ``[act]``: a voivode's
published schedule or the institution's own dates. It lists only
``[[announced]]`` entries, for obligations of other catalogues (by id); it may
not define or redefine obligations. Its dates win over a catalogue's.

The loader checks every value and reports all problems of all files at once;
unknown keys are errors.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path

from terminarz.errors import Problem, TerminarzError, raise_if_errors
from terminarz.law import compiled
from terminarz.law.periods import Frozen, Period, PeriodKind
from terminarz.law.rules import (
    Act,
    AnnouncedDate,
    Citation,
    Deadline,
    DeadlineKind,
    Grade,
    IfNonWorking,
    Obligation,
    Override,
    Party,
    Source,
    occurrence_id,
    split_occurrence_id,
)
from terminarz.records import Record
from terminarz.tomlcheck import (
    MAX_FILE_BYTES,
    Checker,
    LineIndex,
    Where,
    describe,
    parse_toml,
    read_limited,
)

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from typing import Any, TypeVar

_TOP = ("act", "defaults", "parties", "obligations", "overrides", "provenance", "announced")
_SCHEDULE_TOP = ("schedule", "announced")
_ACT = ("id", "title", "short", "published", "status", "notes", "valid_from", "valid_to",
        "repealed", "status_verified", "in_force")  # fmt: skip
_SCHEDULE = ("id", "title", "issuer", "grade", "where", "verified", "basis", "notes")
_DEFAULTS = ("if_non_working", "shift_basis")
_OBLIGATION = (
    "id", "form", "part", "title", "level", "recipients", "period", "periods", "deadline",
    "basis", "valid_from", "valid_to", "notes", "source", "undated_from",
)  # fmt: skip
_DEADLINE = ("kind", "n", "day", "months_after", "if_non_working", "shift_basis")
_BASIS = ("paragraph", "ust", "pkt", "quote", "article", "text", "act")
_SOURCE = ("grade", "where", "verified", "text", "notes")
_ANNOUNCED = ("occurrence", "obligation", "period", "date", "text", "grade", "where", "basis",
              "notes")  # fmt: skip
_OVERRIDE = ("occurrence", "due", "basis")
_PROVENANCE = ("paragraph", "text", "note")


class Provision(Record):
    """A provision of the act that sets no deadline but explains the others (e.g. § 6)."""

    paragraph: str
    text: str
    note: str = ""


class Schedule(Record):
    """A schedule file's header: who published the dates, how strong they are."""

    id: str
    title: str
    issuer: str
    grade: Grade
    where: str = ""
    verified: date | None = None
    notes: str = ""


class Catalogue(Record):
    """One file. For a schedule file ``act`` describes the schedule and ``schedule`` is set."""

    path: Path
    act: Act
    parties: tuple[Party, ...]
    obligations: tuple[Obligation, ...]
    overrides: tuple[Override, ...] = ()
    provenance: tuple[Provision, ...] = ()
    announced: tuple[AnnouncedDate, ...] = ()
    schedule: Schedule | None = None

    @property
    def name(self) -> str:
        """The bundled name of the file (``mpips-1992``)."""
        return self.path.stem


class CatalogueSet(Frozen):
    """Several catalogues used together; obligation ids are unique across them.

    The merged views (obligations, overrides, parties) are built once, when the set is
    made: a century of occurrences asks for party names thousands of times. Immutable;
    equality, hash and repr (by ``catalogues`` alone) as of the frozen dataclass it was.
    """

    __slots__ = ("_by_id", "announced", "catalogues", "obligations", "overrides", "parties")
    catalogues: tuple[Catalogue, ...]
    obligations: tuple[Obligation, ...]
    overrides: dict[str, Override]
    parties: dict[str, Party]
    announced: dict[str, AnnouncedDate]
    _by_id: dict[str, Obligation]

    def __init__(self, *, catalogues: tuple[Catalogue, ...]) -> None:
        obligations = tuple(o for c in catalogues for o in c.obligations)
        for name, value in (
            ("catalogues", catalogues),
            ("announced", merge_announced(catalogues)),
            ("obligations", obligations),
            ("_by_id", {o.id: o for o in obligations}),
            ("overrides", {o.occurrence_id: o for c in catalogues for o in c.overrides}),
            ("parties", {p.id: p for c in catalogues for p in c.parties}),
        ):
            object.__setattr__(self, name, value)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, CatalogueSet)
        return self.catalogues == other.catalogues

    def __hash__(self) -> int:
        return hash((self.catalogues,))

    def __repr__(self) -> str:
        return f"CatalogueSet(catalogues={self.catalogues!r})"

    def with_announced(self, extra: Iterable[AnnouncedDate]) -> CatalogueSet:
        """This set with dates recorded outside the files (by the responsible person, through
        the pages): they win over every file's date for their period, keeping the one they
        replaced. A date for an obligation that is not ``announced`` is left out."""
        added = {a.occurrence_id: a for a in extra
                 if (ob := self._by_id.get(a.occurrence_id.split("/", 1)[0])) is not None
                 and ob.announced}  # fmt: skip
        if not added:
            return self
        merged = dict(self.announced)
        for key, found in added.items():
            merged[key] = found._replace(replaced=self.announced.get(key))
        copy = CatalogueSet(catalogues=self.catalogues)
        object.__setattr__(copy, "announced", merged)
        return copy

    def with_overrides(self, extra: Iterable[Override]) -> CatalogueSet:
        """This set with dates set outside the files (e.g. the new date of a report returned
        for correction by its recipient); they win over a file's override of the same
        occurrence. An announced obligation's date is its announcement: use
        :meth:`with_announced`."""
        added = {o.occurrence_id: o for o in extra}
        if not added:
            return self
        copy = CatalogueSet(catalogues=self.catalogues)
        object.__setattr__(copy, "announced", self.announced)
        object.__setattr__(copy, "overrides", {**self.overrides, **added})
        return copy

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


def _rank(found: AnnouncedDate, schedule: bool) -> int:
    """Which date wins: the institution's own (2) over a schedule's (1) over a catalogue's (0)."""
    return 2 if found.local else 1 if schedule else 0


def merge_announced(catalogues: Iterable[Catalogue]) -> dict[str, AnnouncedDate]:
    """Every announced date by occurrence id. The institution's own date wins over a
    voivode's schedule, which wins over a catalogue; the winner keeps the date it
    replaced (``replaced``). Among equals the first file's date stays (different dates
    among equals are an error of :func:`check_catalogues`)."""
    merged: dict[str, tuple[int, AnnouncedDate]] = {}
    for catalogue in catalogues:
        schedule = catalogue.schedule is not None
        for found in catalogue.announced:
            rank = _rank(found, schedule)
            earlier = merged.get(found.occurrence_id)
            if earlier is None:
                merged[found.occurrence_id] = (rank, found)
            elif rank > earlier[0]:
                merged[found.occurrence_id] = (rank, found._replace(replaced=earlier[1]))
            elif rank < earlier[0] and earlier[1].replaced is None:
                merged[found.occurrence_id] = (earlier[0], earlier[1]._replace(replaced=found))
    return {key: found for key, (_, found) in merged.items()}


def may_be_in_force(path: Path, start: date, end: date) -> bool:
    """Whether the act of the file at ``path`` may be in force on some day of [start, end],
    read from its ``[act]`` table alone (cheap: the default ``due`` skips parsing a repealed
    act). Any doubt — no ``[act]``, a schedule, a value it cannot read — answers True, and
    the full load decides (and reports mistakes)."""
    act = _compiled_act(path)
    if act is not None:
        return act.in_force_during(start, end)
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return True
    lines = text.splitlines()
    try:
        first = lines.index("[act]")
    except ValueError:
        return True
    block = [lines[first]]
    for line in lines[first + 1 :]:
        if line.startswith("["):
            break
        block.append(line)
    try:
        raw = tomllib.loads("\n".join(block)).get("act", {})
    except tomllib.TOMLDecodeError:
        return True
    repealed = raw.get("repealed")
    if repealed == "unknown":
        return False
    if isinstance(repealed, date) and repealed <= start:
        return False
    valid_from = raw.get("valid_from")
    if isinstance(valid_from, str):
        try:
            return Period.parse(valid_from).first_day <= end
        except ValueError:
            return True
    return True


def _compiled_act(path: Path) -> Act | None:
    """The act of a valid bundled catalogue file as the compiled cache keeps it (compiling the
    file when it is not yet); None for any other file."""
    if compiled.cache_folder(path) is None:
        return None
    try:
        stat = os.stat(path)
        raw = read_limited(path, MAX_FILE_BYTES)
    except (OSError, ValueError, TerminarzError):
        return None
    version = compiled.code_version()
    act: Act | None = compiled.read(path, raw, stat, version, compiled.SUMMARY)
    if act is None:  # not compiled yet (the default set never loads a repealed act): now
        check_catalogues([path])
        act = compiled.read(path, raw, stat, version, compiled.SUMMARY)
    return act


def in_force(catalogues: CatalogueSet, start: date, end: date) -> CatalogueSet:
    """The catalogues whose act is in force on some day of [start, end] (the default set
    when none is named); schedule files always stay."""
    kept = tuple(c for c in catalogues.catalogues
                 if c.schedule is not None or c.act.in_force_during(start, end))  # fmt: skip
    if len(kept) == len(catalogues.catalogues):
        return catalogues
    return CatalogueSet(catalogues=kept)


def load_catalogues(paths: Sequence[Path], *,
                    during: tuple[date, date] | None = None) -> CatalogueSet:  # fmt: skip
    """Load and check every file (with ``during``, see :func:`check_catalogues`); raise
    :class:`ValidationError` listing every problem."""
    catalogues, problems = check_catalogues(paths, during=during)
    raise_if_errors(problems)
    return CatalogueSet(catalogues=tuple(catalogues))


class _Entry:
    """An ``[[announced]]`` entry waiting for the check against every loaded obligation.

    A plain class (no dataclass machinery at import, on the ``due`` path); its line is
    looked up only when a problem is reported.
    """

    __slots__ = (
        "_key",
        "_lines",
        "date",
        "index",
        "obligation_id",
        "path",
        "period",
        "schedule",
    )  # fmt: skip

    def __init__(self, *, path: Path, lines: LineIndex, key: str, index: int,
                 obligation_id: str, period: Period, date: AnnouncedDate,
                 schedule: bool) -> None:  # fmt: skip
        self.path, self._lines, self._key, self.index = path, lines, key, index
        self.obligation_id, self.period, self.date, self.schedule = (
            obligation_id, period, date, schedule)

    @property
    def line(self) -> int | None:
        return self._lines.key("announced", self.index, self._key)


def check_catalogues(
    paths: Sequence[Path], *, reference: Sequence[Path] = (),
    during: tuple[date, date] | None = None,
) -> tuple[list[Catalogue], list[Problem]]:  # fmt: skip
    """Load what can be loaded and collect every problem (nothing is raised for a bad file).

    With ``during`` (a first and a last day) a file whose act cannot be in force on any day
    of it (:func:`may_be_in_force`) is left out, as if it were not among ``paths``; a
    compiled file is then read once, its summary deciding before its value is unpickled.

    ``[[announced]]`` entries are checked against the obligations of every file
    (and of the ``reference`` catalogues, which are loaded for that only): the
    obligation must exist, have an ``announced`` deadline and an occurrence for
    the period; two files of the same rank (catalogues; voivodes' schedules; the
    institution's own files) may not give different dates.
    """
    catalogues: list[Catalogue] = []
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    entries: list[_Entry] = []
    version: list[str] = []  # of the code, for the compiled cache: computed once, when needed
    for path in paths:
        try:
            catalogue, found, lines = _read(path, entries, version, during)
        except TerminarzError as exc:
            problems.append(exc.problem)
            continue
        problems.extend(found)
        if catalogue is None:
            continue
        for index, obligation in enumerate(catalogue.obligations):
            if obligation.id in seen:
                problems.append(
                    Problem(
                        message="identyfikator obowiązku powtarza się "
                        f"(jest już w {seen[obligation.id]})",
                        path=path, entry=obligation.id, field="id",
                        line=lines.key("obligations", index, "id"),
                    )
                )  # fmt: skip
            seen.setdefault(obligation.id, path)
        catalogues.append(catalogue)
    known = {o.id: o for c in catalogues for o in c.obligations}
    if reference:
        extra, _ = check_catalogues([p for p in reference if p not in paths])
        for catalogue in extra:
            for obligation in catalogue.obligations:
                known.setdefault(obligation.id, obligation)
    problems += _check_entries(entries, known)
    return catalogues, problems


def _read(path: Path, entries: list[_Entry], version: list[str],
          during: tuple[date, date] | None = None,
          ) -> tuple[Catalogue | None, list[Problem], LineIndex]:  # fmt: skip
    """One file: its catalogue (None when it cannot be used, or when its act is not in force
    ``during``), the problems found in it alone and its line index; its ``[[announced]]``
    entries are added to ``entries``. Taken from the compiled cache when the entry there
    matches the file and the code exactly."""
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        stat = None
    raw = read_limited(path, MAX_FILE_BYTES)
    parts = None
    if stat is not None:  # no cache folder (compiled.cache_folder): no parts, nothing written
        if not version:
            version.append(compiled.code_version())
        parts = compiled.read_parts(path, raw, stat, version[0])
    if during is not None:
        act = compiled.load(parts[compiled.SUMMARY]) if parts is not None else None
        if act is None:  # not compiled yet, or no summary kept: may_be_in_force decides
            if not may_be_in_force(path, *during):
                return None, [], _LazyLines(raw)
            if stat is not None and parts is None:  # compiled by may_be_in_force
                parts = compiled.read_parts(path, raw, stat, version[0])
        elif not act.in_force_during(*during):
            return None, [], _LazyLines(raw)
    if parts is not None:
        kept = compiled.load(parts[compiled.VALUE])
        if kept is not None:
            catalogue, found, kept_entries = kept
            lines = _LazyLines(raw)
            entries.extend(_Entry(path=path, lines=lines, key=key, index=index,
                                  obligation_id=obligation_id, period=period, date=found_date,
                                  schedule=schedule)
                           for key, index, obligation_id, period, found_date, schedule
                           in kept_entries)  # fmt: skip
            return catalogue, found, lines
    data, text = parse_toml(path, raw)
    checker = Checker(path, text)
    first = len(entries)
    catalogue = _parse(data, checker, entries)
    if stat is not None and version:
        own = [(e._key, e.index, e.obligation_id, e.period, e.date, e.schedule)
               for e in entries[first:]]  # fmt: skip
        act = (catalogue.act if catalogue is not None and catalogue.schedule is None
               and not checker.problems else None)  # what may_be_in_force may answer from
        compiled.write(path, raw, stat, version[0], (catalogue, checker.problems, own), act)
    return catalogue, checker.problems, checker.lines


class _LazyLines(LineIndex):
    """The line index of a file read from the compiled cache, built only when a problem
    needs a line number."""

    def __init__(self, raw: bytes) -> None:  # the index itself is built by _build
        self._raw = raw
        self._built = False

    def _build(self) -> None:
        if not self._built:
            LineIndex.__init__(self, self._raw.decode("utf-8"))
            self._built = True

    def table(self, name: str, index: int | None = None) -> int | None:
        self._build()
        return super().table(name, index)

    def key(self, table: str | None, index: int | None, key: str) -> int | None:
        self._build()
        return super().key(table, index, key)


def _check_entries(entries: list[_Entry], known: dict[str, Obligation]) -> list[Problem]:
    problems = []
    given: dict[tuple[str, int], _Entry] = {}
    for entry in entries:
        occ_id = entry.date.occurrence_id

        def problem(message: str, entry: _Entry = entry, occ_id: str = occ_id) -> Problem:
            return Problem(message=message, path=entry.path, line=entry.line, entry=occ_id,
                           field="announced")  # fmt: skip

        obligation = known.get(entry.obligation_id)
        if obligation is None:
            problems.append(problem(f"nieznany obowiązek „{entry.obligation_id}” (nie ma go "
                                    "w żadnym z wczytanych katalogów)"))  # fmt: skip
            continue
        if not obligation.announced:
            problems.append(problem(
                f"obowiązek „{entry.obligation_id}” ma termin określony regułą, nie ogłaszany; "
                "daty ogłoszone można podać tylko dla obowiązków z deadline.kind = "
                "\"announced\" (zmianę terminu pojedynczego okresu zapisuje się w [[overrides]] "
                "katalogu)"))  # fmt: skip
            continue
        if not obligation.applies_to(entry.period):
            problems.append(problem(
                f"obowiązek „{entry.obligation_id}” nie ma wystąpienia za okres {entry.period} "
                f"(okresy: {obligation.period_kind.polish})"))  # fmt: skip
            continue
        if entry.date.due <= entry.period.first_day:
            problems.append(problem(
                f"termin {entry.date.due:%d.%m.%Y} r. nie jest późniejszy niż początek okresu "
                f"{entry.period}"))  # fmt: skip
            continue
        rank = _rank(entry.date, entry.schedule)
        earlier = given.get((occ_id, rank))
        if earlier is not None and earlier.date.due != entry.date.due:
            problems.append(problem(
                f"inny termin dla tego samego wystąpienia podano już w {earlier.path}"
                f"({earlier.line}): {earlier.date.due:%d.%m.%Y} r."))  # fmt: skip
            continue
        given.setdefault((occ_id, rank), entry)
    return problems


def _parse(data: dict[str, Any], ck: Checker, entries: list[_Entry]) -> Catalogue | None:
    if "schedule" in data:
        return _parse_schedule(data, ck, entries)
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

    announced = _parse_announced(data, ck, entries, default_grade=None, default_basis="",
                                 origin=f"katalog {ck.path.name}", schedule=False)  # fmt: skip
    if act is None or ck.has_errors:
        return None
    return Catalogue(
        path=ck.path,
        act=act,
        parties=tuple(parties),
        obligations=tuple(obligations),
        overrides=tuple(overrides),
        provenance=tuple(provenance),
        announced=tuple(announced),
    )


def _parse_schedule(data: dict[str, Any], ck: Checker, entries: list[_Entry]) -> Catalogue | None:
    for key in data:
        if key not in _SCHEDULE_TOP:
            ck.add(f"plik harmonogramu ([schedule]) może zawierać tylko [[announced]] — podaje "
                   f"terminy obowiązków z innych katalogów, nie definiuje ich; usuń „{key}”",
                   field=key)  # fmt: skip
    raw = ck.table(data, "schedule", required=True)
    where = Where("schedule")
    ck.unknown_keys(raw, _SCHEDULE, table="schedule")
    sid = ck.string(raw, "id", required=True, where=where, single_line=True)
    title = ck.string(raw, "title", required=True, where=where)
    issuer = ck.string(raw, "issuer", required=True, where=where)
    grade = _enum(ck, raw, "grade", Grade, where, required=True)
    where_text = ck.string(raw, "where", where=where) or ""
    verified = ck.day(raw, "verified", where=where)
    basis = ck.string(raw, "basis", where=where) or ""
    notes = ck.string(raw, "notes", where=where) or ""
    origin = f"{issuer}: {title} (plik {ck.path.name})" if title and issuer else ""
    announced = _parse_announced(data, ck, entries, default_grade=grade, default_basis=basis,
                                 origin=origin, schedule=True, where_default=where_text)
    if ck.has_errors or not (sid and title and issuer and grade):
        return None
    schedule = Schedule(id=sid, title=title, issuer=issuer, grade=grade, where=where_text,
                        verified=verified, notes=notes)  # fmt: skip
    act = Act(id=sid, title=title, short=title, status=f"harmonogram: {issuer}", notes=notes)
    return Catalogue(path=ck.path, act=act, parties=(), obligations=(),
                     announced=tuple(announced), schedule=schedule)  # fmt: skip


def _parse_announced(
    data: dict[str, Any],
    ck: Checker,
    entries: list[_Entry],
    *,
    default_grade: Grade | None,
    default_basis: str,
    origin: str,
    schedule: bool,
    where_default: str = "",
) -> list[AnnouncedDate]:
    found = []
    for index, raw in enumerate(ck.array_of_tables(data, "announced")):
        given = raw.get("occurrence")
        label = given if isinstance(given, str) else None
        if label is None and isinstance(raw.get("obligation"), str):
            label = f"{raw['obligation']}/{raw.get('period', '?')}"
        where = Where("announced", index, label)
        before = len(ck.problems)
        ck.unknown_keys(raw, _ANNOUNCED, table="announced", index=index, entry=label)
        occ = ck.string(raw, "occurrence", where=where, single_line=True)
        obligation_id = ck.string(raw, "obligation", where=where, single_line=True)
        period: Period | None = None
        if occ is not None:
            if obligation_id is not None or "period" in raw:
                ck.add("podaj albo „occurrence”, albo „obligation” i „period”, nie obie formy",
                       **where.at("occurrence"))  # fmt: skip
            try:
                obligation_id, period = split_occurrence_id(occ)
            except ValueError:
                ck.add(f"„{occ}” nie jest identyfikatorem wystąpienia (np. mrips-03-r@ops/2026)",
                       **where.at("occurrence"))  # fmt: skip
        elif obligation_id is not None:
            period = _period(ck, raw, "period", where)
            if period is None and "period" not in raw:
                ck.add("brak wymaganego pola „period”", **where.at("period"))
        else:
            ck.add("brak pola „occurrence” (albo pól „obligation” i „period”)",
                   **where.at("occurrence"))  # fmt: skip
        due = ck.day(raw, "date", required=True, where=where)
        text = ck.string(raw, "text", required=True, where=where)
        grade = _enum(ck, raw, "grade", Grade, where, required=default_grade is None)
        grade = grade or default_grade
        where_text = ck.string(raw, "where", where=where) or where_default
        basis = ck.string(raw, "basis", where=where) or default_basis
        notes = ck.string(raw, "notes", where=where) or ""
        if grade is Grade.INSTITUTION and not basis:
            ck.add("termin z pisma instytucji wymaga podstawy „basis”, np. „pismo WPS z 10 "
                   "stycznia 2027 r., znak …”", **where.at("basis"))  # fmt: skip
        if len(ck.problems) > before or not (obligation_id and period and due and text and grade):
            continue
        announced = AnnouncedDate(
            occurrence_id=occurrence_id(obligation_id, period), due=due, grade=grade, text=text,
            where=where_text, basis=basis, notes=notes, origin=origin or str(ck.path),
            local=schedule and grade is Grade.INSTITUTION,
        )  # fmt: skip
        entries.append(_Entry(path=ck.path, lines=ck.lines, index=index,
                              key="occurrence" if occ else "obligation",
                              obligation_id=obligation_id, period=period, date=announced,
                              schedule=schedule))  # fmt: skip
        found.append(announced)
    return found


def _parse_act(raw: dict[str, Any], ck: Checker) -> Act | None:
    if not raw:
        return None
    where = Where("act")
    ck.unknown_keys(raw, _ACT, table="act")
    values = {key: ck.string(raw, key, required=key in ("id", "title", "short"), where=where)
              for key in ("id", "title", "short", "published", "status", "notes")}  # fmt: skip
    for key in ("valid_from", "valid_to"):
        _period(ck, raw, key, where)
    repealed: date | None = None
    unknown = False
    value = raw.get("repealed")
    if value == "unknown":
        unknown = True
    elif value is not None:
        repealed = ck.day(raw, "repealed", where=where)
        if repealed is None:
            ck.problems[-1:] = [ck.problems[-1]._replace(message="„repealed” musi być datą "
                                "utraty mocy (RRRR-MM-DD) albo tekstem \"unknown\"")]
    verified = ck.day(raw, "status_verified", where=where)
    in_force = raw.get("in_force", "confirmed")
    if in_force not in ("confirmed", "unconfirmed", "conflicting"):
        ck.add("„in_force” = „confirmed”, „unconfirmed” (obowiązywanie niepotwierdzone) albo "
               "„conflicting” (źródła podają sprzeczny status)", **where.at("in_force"))
        in_force = "confirmed"
    if not (values["id"] and values["title"] and values["short"]):
        return None
    return Act(
        repealed=repealed, repeal_unknown=unknown, status_verified=verified,
        in_force="" if in_force == "confirmed" else str(in_force),
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
    source = _parse_source(raw.get("source"), ck, where)
    undated_from = _period(ck, raw, "undated_from", where)
    if undated_from is not None and (deadline is None or deadline.kind is not
                                     DeadlineKind.ANNOUNCED):  # fmt: skip
        ck.add("„undated_from” dotyczy tylko obowiązków z deadline.kind = \"announced\"",
               **where.at("undated_from"))  # fmt: skip
    if undated_from is not None and kind is not None and undated_from.kind is not kind:
        ck.add(f"„undated_from” musi być okresem rodzaju „{kind}”", **where.at("undated_from"))
    if len(ck.problems) > before or act is None:
        return None
    assert oid and form and title and level and kind and basis
    return Obligation(
        id=oid, act=act, form=form, part=part, title=title, level=level,
        recipients=tuple(recipients), period_kind=kind, periods=periods, deadline=deadline,
        basis=basis, valid_from=valid_from, valid_to=valid_to, notes=notes, source=source,
        undated_from=undated_from,
    )  # fmt: skip


def _parse_source(raw: Any, ck: Checker, where: Where) -> Source | None:
    """``source = { grade = "act", where = [...], verified = 2026-11-30 }``"""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        ck.add("„source” musi być tabelą, np. { grade = \"act\", where = [\"…\"], "
               "verified = 2026-11-30 }", **where.at("source"))  # fmt: skip
        return None
    ck.unknown_keys(raw, _SOURCE, table=where.table, index=where.index, entry=where.entry,
                    prefix="source.")  # fmt: skip
    grade = _enum(ck, raw, "grade", Grade, where, required=True, label="source.grade")
    places = raw.get("where", [])
    if isinstance(places, str):
        places = [places]
    if not isinstance(places, list) or not all(isinstance(p, str) and p.strip() for p in places):
        ck.add("„source.where” musi być adresem albo nazwą dokumentu (tekst) lub listą takich "
               "tekstów", **where.at("source.where"))  # fmt: skip
        places = []
    if not places:
        ck.add("brak pola „source.where” — gdzie odczytano regułę (adres albo dokument)",
               **where.at("source.where"))  # fmt: skip
    verified = raw.get("verified")
    if verified is not None and not (isinstance(verified, date) and not hasattr(verified, "hour")):
        ck.add("„source.verified” musi być datą w postaci RRRR-MM-DD",
               **where.at("source.verified"))  # fmt: skip
        verified = None
    text = raw.get("text", "")
    notes = raw.get("notes", "")
    for key, value in (("text", text), ("notes", notes)):
        if not isinstance(value, str):
            ck.add(f"„source.{key}” musi być tekstem", **where.at(f"source.{key}"))
    if grade is None or not isinstance(text, str) or not isinstance(notes, str):
        return None
    return Source(grade=grade, where=tuple(places), verified=verified, text=text, notes=notes)


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
    if kind is DeadlineKind.ANNOUNCED:
        for key in ("n", "day", "months_after", "if_non_working"):
            if key in raw:
                ck.add(f"„deadline.{key}” nie pasuje do kind = \"announced\": daty ogłoszone "
                       "podaje się we wpisach [[announced]] i nie są przesuwane",
                       **sub.at(f"deadline.{key}"))  # fmt: skip
        return Deadline(kind=kind)
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
    if not (values["paragraph"] or values["article"] or values["text"]):
        ck.add("podstawa prawna musi wskazywać paragraf („basis.paragraph”), artykuł "
               "(„basis.article”) albo opis („basis.text”)",
               **where.at("basis.paragraph"))  # fmt: skip
        return None
    return Citation(
        act=values["act"] or (act.short if act else ""),
        paragraph=values["paragraph"], ust=values["ust"], pkt=values["pkt"],
        quote=values["quote"] or "", article=values["article"], text=values["text"] or "",
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


if TYPE_CHECKING:
    E = TypeVar("E", PeriodKind, DeadlineKind, IfNonWorking, Grade)


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

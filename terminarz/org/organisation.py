"""The organisation file: an institution's units, people, duties, absences and days off.

One TOML file per institution, edited by its IT department and checked like a
catalogue: every problem at once, in Polish, with file, line, entry and field;
unknown keys are errors. Tables:

* ``[organisation]`` — ``id``, ``name``, ``levels``, ``catalogues`` (bundled
  names such as ``mpips-1992`` or paths relative to this file), an optional
  selection ``obligations`` (glob patterns), ``timezone``, and the internal
  order itself: ``procedure``, ``valid_from``, ``supersedes``, ``access_basis``;
* ``[[units]]``, ``[[people]]``, ``[[duties]]`` (with ``inputs``),
  ``[[absences]]``, ``[[absence_sources]]``, ``[[designations]]``;
* ``[calendar]`` — the institution's own ``days_off`` and ``extra_working_days``;
* ``[state]``, ``[feeds]``, ``[server]``, ``[smtp]``, ``[reminders]`` — the
  operational settings, checked by :func:`terminarz.settings.parse_settings`.

The file alone is checked by :func:`check_organisation`; what needs the
catalogues too (obligations without a duty, designations of unknown
occurrences, levels no catalogue knows) by :func:`cross_check`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

from terminarz.errors import Problem, Severity, ValidationError
from terminarz.records import Record
from terminarz.settings import SETTINGS_SECTIONS, Settings, parse_settings
from terminarz.tomlcheck import (
    MAX_FILE_BYTES,
    Checker,
    LineIndex,
    Where,
    describe,
    email_problem,
    parse_toml,
    read_limited,
)

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from typing import Any

_TOP = (
    "organisation", "units", "people", "duties", "absences", "absence_sources",
    "designations", "calendar", *SETTINGS_SECTIONS,
)  # fmt: skip
_ORGANISATION = (
    "id", "name", "levels", "catalogues", "obligations", "timezone", "procedure",
    "valid_from", "supersedes", "access_basis", "request_basis", "designation_basis", "city",
    "reporters",
)  # fmt: skip
_UNIT = ("id", "name", "head")
_PERSON = ("id", "name", "email", "unit", "role", "system_access", "login")
_DUTY = (
    "id", "name", "obligations", "tiers", "fallback", "basis", "prepare_days", "reminders",
    "inputs", "in_system",
)  # fmt: skip
_INPUT = ("unit", "id", "name", "email", "data", "request_days", "deliver_days")
_ABSENCE = ("person", "from", "to", "reason")
_SOURCE = ("source", "match", "reason", "on_error", "timeout")
_DESIGNATION = ("person", "target", "from", "to", "basis")
_CALENDAR = ("days_off", "extra_working_days")
_DAY_OFF = ("date", "reason")

# compiled on first use (re's own cache), which a file read from the compiled cache never makes
_ID = r"^[a-z0-9][a-z0-9_.\-]*$"
_REPORTER = r"^[a-z0-9*?\[][a-z0-9_.\-*?\[\]!]*$"
DEFAULT_ACCESS_BASIS = "pkt I.1 procedury (dostęp do systemu sprawozdawczego)"
# After "na podstawie" (genitive); an institution names its own point of its own procedure.
DEFAULT_REQUEST_BASIS = "wewnętrznej procedury obsługi sprawozdań"
DEFAULT_DESIGNATION_BASIS = "wewnętrznej procedury obsługi sprawozdań"


class SourceMatch(StrEnum):
    """How an event of an absence calendar is tied to a person."""

    ATTENDEE = "attendee"  # an ATTENDEE (or ORGANIZER) e-mail equals the person's e-mail
    SUMMARY = "summary"  # the SUMMARY contains the person's id or full name
    ANY = "any"  # attendee first, then summary


class OnError(StrEnum):
    """What to do when an absence source cannot be read."""

    FAIL = "fail"  # stop with an error (default)
    SKIP = "skip"  # warn and go on with the other sources


class Person(Record):
    id: str
    name: str
    email: str
    unit: str
    role: str = ""
    system_access: bool = False
    login: str | None = None  # the user name single sign-on sends ([server] trusted_user_header)


class Unit(Record):
    id: str
    name: str
    head: str | None = None


class Input(Record):
    """Data another unit (``unit`` set) or an outside body (``email`` set) must deliver (II.4).

    ``id`` is the unit id for an internal unit, or the body's own id; task ids
    and ``terminarz request --unit`` use it. ``request_days`` and
    ``deliver_days`` count working days before the report's due date.
    """

    id: str
    unit: str | None
    name: str
    email: str | None
    data: str
    request_days: int
    deliver_days: int

    @property
    def external(self) -> bool:
        return self.unit is None


class Duty(Record):
    """Who handles a group of obligations: ordered tiers of people and a fallback (II.5).

    ``obligations`` are obligation ids or glob patterns (``mpips-03*@ops``).
    ``tiers[0]`` is the primary group; ``tiers[k]`` takes over only when every
    member of every earlier tier is unavailable.
    """

    obligations: tuple[str, ...]
    tiers: tuple[tuple[str, ...], ...]
    fallback: str
    basis: str
    prepare_days: int = 3
    reminders: tuple[int, ...] = (10, 5, 2, 0)
    inputs: tuple[Input, ...] = ()
    id: str = ""
    name: str = ""
    in_system: bool = True  # sent through the reporting system: its people need access (I.1)

    def matches(self, obligation_id: str) -> bool:
        return any(fnmatch.fnmatchcase(obligation_id, p) for p in self.obligations)

    def members(self) -> tuple[str, ...]:
        """Every person of every tier, in order, without repetition."""
        seen: dict[str, None] = {}
        for tier in self.tiers:
            for person in tier:
                seen.setdefault(person, None)
        return tuple(seen)


class Absence(Record):
    """A person away from ``start`` to ``end`` (both inclusive)."""

    person: str
    start: date
    end: date
    reason: str = ""
    source: str = ""  # "" for the organisation file, else the absence calendar it came from

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


class AbsenceSource(Record):
    """An iCalendar file or http(s) URL (e.g. an HR leave calendar) read for absences."""

    source: str
    match: SourceMatch = SourceMatch.ANY
    reason: str = ""
    on_error: OnError = OnError.FAIL
    timeout: int = 20
    base: Path | None = None  # folder a relative path is taken from

    @property
    def is_url(self) -> bool:
        return self.source.startswith(("http://", "https://"))

    def location(self) -> str:
        if self.is_url or self.base is None:
            return self.source
        return str(self.base / self.source)


class Designation(Record):
    """The director's designation (II.5): ``person`` handles ``target`` from ``start`` to ``end``.

    ``target`` is an obligation id (every occurrence whose preparation falls in
    the dates) or an occurrence id (``mpips-03@ops/2026``).
    """

    person: str
    target: str
    start: date
    end: date
    basis: str

    @property
    def for_occurrence(self) -> bool:
        return "/" in self.target


class Organisation(Record):
    id: str
    name: str
    levels: tuple[str, ...]
    catalogues: tuple[str, ...] = ()
    catalogue_paths: tuple[Path, ...] = ()
    catalogue_urls: tuple[str, ...] = ()  # schedules an upper level publishes (https://)
    selection: tuple[str, ...] = ()
    timezone: str = "Europe/Warsaw"
    units: tuple[Unit, ...] = ()
    people: tuple[Person, ...] = ()
    duties: tuple[Duty, ...] = ()
    absences: tuple[Absence, ...] = ()
    absence_sources: tuple[AbsenceSource, ...] = ()
    designations: tuple[Designation, ...] = ()
    days_off: Mapping[date, str] = MappingProxyType({})  # read-only, like the rest
    extra_working_days: tuple[date, ...] = ()
    valid_from: date | None = None
    supersedes: str = ""
    procedure: str = ""
    access_basis: str = DEFAULT_ACCESS_BASIS
    request_basis: str = DEFAULT_REQUEST_BASIS
    designation_basis: str = DEFAULT_DESIGNATION_BASIS
    city: str = ""
    reporters: tuple[str, ...] = ()  # ids or glob patterns of the organisations reporting here
    settings: Settings = Settings()
    path: Path | None = None

    def person(self, person_id: str) -> Person | None:
        for person in self.people:
            if person.id == person_id:
                return person
        return None

    def unit(self, unit_id: str) -> Unit | None:
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        return None

    def duty_for(self, obligation_id: str) -> Duty | None:
        """The first duty (in file order) with a pattern matching ``obligation_id``."""
        for duty in self.duties:
            if duty.matches(obligation_id):
                return duty
        return None

    def person_name(self, person_id: str) -> str:
        person = self.person(person_id)
        return person.name if person else person_id

    def applies(self, obligation_id: str, level: str) -> bool:
        """Whether an obligation of ``level`` is one this organisation must fulfil."""
        if level not in self.levels:
            return False
        if not self.selection:
            return True
        return any(fnmatch.fnmatchcase(obligation_id, p) for p in self.selection)


# -- e-mail addresses -------------------------------------------------------------------


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable http(s) address (Polish), or None."""
    from urllib.parse import urlsplit

    if any(ord(c) < 0x20 or ord(c) == 0x7F or c.isspace() for c in url):
        return "adres zawiera spacje albo znaki sterujące"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        text = str(exc)
        if "Port" in text or "port" in text:
            return "niepoprawny numer portu w adresie"
        return "niepoprawny adres (np. niezamknięty nawias „[” adresu IPv6)"
    if parts.scheme not in ("http", "https"):
        return "adres musi zaczynać się od http:// albo https://"
    if not parts.hostname:
        return "w adresie brakuje nazwy serwera"
    if port == 0:
        return "niepoprawny numer portu w adresie"
    return None



# -- loading ------------------------------------------------------------------------------


def load_organisation(path: Path) -> Organisation:
    """Load and check ``path``; raise :class:`ValidationError` listing every problem.

    Warnings (e.g. a person on a duty without system access) do not stop loading.
    """
    organisation, problems = check_organisation(path)
    if organisation is None or any(p.severity is Severity.ERROR for p in problems):
        raise ValidationError(problems or [Problem(message="niepoprawny plik", path=path)])
    return organisation


def check_organisation(path: Path) -> tuple[Organisation | None, list[Problem]]:
    """Read and check the file alone; never raises for a bad file (read errors become problems).

    A file without errors is checked once per version, like a catalogue: its result is kept
    in the compiled cache (:mod:`terminarz.law.compiled`, in the user's cache folder) and
    used while the file's bytes, size and time, terminarz's code, the bundled catalogues'
    folder and ``HOME`` are the same and every catalogue file it names still exists."""
    import os

    from terminarz.errors import TerminarzError
    from terminarz.law import compiled

    try:
        raw = read_limited(path, MAX_FILE_BYTES)
    except TerminarzError as exc:
        return None, [exc.problem]
    try:
        stat: os.stat_result | None = os.stat(path)
    except (OSError, ValueError):
        stat = None
    version = ""
    if stat is not None and compiled.cache_folder(path) is not None:
        version = f"{compiled.code_version()}|{_resolution_context()}"
        kept = compiled.read(path, raw, stat, version)
        if kept is not None:
            organisation, problems = kept
            if all(p.is_file() for p in organisation.catalogue_paths):
                return organisation, list(problems)
    try:
        data, text = parse_toml(path, raw)
    except TerminarzError as exc:
        return None, [exc.problem]
    ck = Checker(path, text)
    organisation = _parse(data, ck)
    problems = list(ck.problems)
    clean = not any(p.severity is Severity.ERROR for p in problems)
    if version and stat is not None and organisation is not None and clean:
        compiled.write(path, raw, stat, version, (organisation, tuple(problems)))
    return organisation, problems


def _resolution_context() -> str:
    """What naming a catalogue in the file depends on besides the file: where the bundled
    catalogues are (``mpips-1992`` is looked up there) and the home folder (``~/…``)."""
    import os

    from terminarz.errors import TerminarzError
    from terminarz.paths import calendars_dir

    try:
        bundled = str(calendars_dir())
    except TerminarzError:
        bundled = ""
    return f"{bundled}|{os.environ.get('HOME', '')}"


def _parse(data: dict[str, Any], ck: Checker) -> Organisation | None:
    ck.unknown_keys(data, _TOP)
    base = ck.path.parent
    org_raw = ck.table(data, "organisation", required=True)
    ck.unknown_keys(org_raw, _ORGANISATION, table="organisation")
    w = Where("organisation")
    org_id = ck.string(org_raw, "id", required=True, where=w, single_line=True)
    if org_id is not None and not re.match(_ID, org_id):
        ck.add(_id_message(org_id), **w.at("id"))
    name = ck.string(org_raw, "name", required=True, where=w, single_line=True)
    levels = ck.string_list(org_raw, "levels", required=bool(org_raw), where=w) or []
    if "levels" in org_raw and isinstance(org_raw["levels"], list) and not org_raw["levels"]:
        ck.add("„levels” nie może być pustą listą (np. [\"ops\"])", **w.at("levels"))
    catalogue_refs = ck.string_list(org_raw, "catalogues", where=w) or []
    catalogue_urls = _catalogue_urls(catalogue_refs, ck, w)
    catalogue_paths = _catalogue_paths(
        [r for r in catalogue_refs if r not in catalogue_urls and "://" not in r], base, ck, w)
    selection = ck.string_list(org_raw, "obligations", where=w) or []
    timezone = ck.string(org_raw, "timezone", where=w, single_line=True) or "Europe/Warsaw"
    if not _valid_timezone(timezone):
        ck.add(f"nieznana strefa czasowa „{timezone}” (np. Europe/Warsaw)", **w.at("timezone"))
    procedure = ck.string(org_raw, "procedure", where=w) or ""
    valid_from = ck.day(org_raw, "valid_from", where=w)
    supersedes = ck.string(org_raw, "supersedes", where=w) or ""
    access_basis = ck.string(org_raw, "access_basis", where=w) or DEFAULT_ACCESS_BASIS
    request_basis = ck.string(org_raw, "request_basis", where=w) or DEFAULT_REQUEST_BASIS
    designation_basis = (ck.string(org_raw, "designation_basis", where=w)
                         or DEFAULT_DESIGNATION_BASIS)  # fmt: skip
    city = ck.string(org_raw, "city", where=w, single_line=True) or ""
    reporters = ck.string_list(org_raw, "reporters", where=w) or []
    for pattern in reporters:
        if not re.match(_REPORTER, pattern):
            ck.add(f"„{pattern}” nie jest identyfikatorem organizacji ani wzorcem (małe litery, "
                   "cyfry, „.”, „-”, „_” oraz „*”, „?”, np. \"gops-*\")", **w.at("reporters"))

    people, person_ids = _parse_people(ck, data)
    units = _parse_units(ck, data)
    unit_ids = {u.id for u in units}
    for index, raw in enumerate(ck.array_of_tables(data, "people")):
        unit_id = raw.get("unit")
        pid = raw.get("id") if isinstance(raw.get("id"), str) else None
        if isinstance(unit_id, str) and unit_id not in unit_ids:
            ck.add(f"nieznany dział „{unit_id}” (nie ma go w [[units]])",
                   **Where("people", index, pid).at("unit"))  # fmt: skip
    for index, unit in enumerate(units):
        if unit.head is not None and unit.head not in person_ids:
            ck.add(_unknown_person(unit.head), **Where("units", index, unit.id).at("head"))

    duties = _parse_duties(ck, data, person_ids, unit_ids, access_basis, people)
    absences = _parse_absences(ck, data, person_ids)
    sources = _parse_sources(ck, data, base)
    designations = _parse_designations(ck, data, person_ids)
    days_off, extra = _parse_calendar(ck, data)
    settings = parse_settings(data, ck, base=base)

    if ck.has_errors or org_id is None or name is None:
        return None
    return Organisation(
        id=org_id, name=name, levels=tuple(levels), catalogues=tuple(catalogue_refs),
        catalogue_paths=tuple(catalogue_paths), catalogue_urls=tuple(catalogue_urls),
        selection=tuple(selection), timezone=timezone,
        units=tuple(units), people=tuple(people), duties=tuple(duties),
        absences=tuple(absences), absence_sources=tuple(sources),
        designations=tuple(designations), days_off=days_off, extra_working_days=tuple(extra),
        valid_from=valid_from, supersedes=supersedes, procedure=procedure,
        access_basis=access_basis, request_basis=request_basis,
        designation_basis=designation_basis, city=city, reporters=tuple(reporters),
        settings=settings, path=ck.path,
    )  # fmt: skip


def resolve_catalogue(ref: str, base: Path) -> Path:
    """A bundled catalogue name (``mpips-1992``) or a path relative to ``base``."""
    from terminarz.paths import calendars_dir

    if ref.endswith(".toml") or "/" in ref or "\\" in ref:
        path = Path(ref).expanduser()
        return path if path.is_absolute() else base / path
    return calendars_dir() / f"{ref}.toml"


def _catalogue_urls(refs: list[str], ck: Checker, w: Where) -> list[str]:
    """The schedules published at an address: ``https://`` (``http://`` only on this
    machine, for a test or a proxy on loopback)."""
    from urllib.parse import urlsplit

    urls = []
    for ref in refs:
        if "://" not in ref:
            continue
        problem = url_problem(ref)
        if problem is None:
            parts = urlsplit(ref)
            if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
                problem = "harmonogram publikowany w sieci musi mieć adres https://"
        if problem is not None:
            ck.add(f"katalog „{ref}”: {problem}", **w.at("catalogues"))
            continue
        urls.append(ref)
    return urls


def _catalogue_paths(refs: list[str], base: Path, ck: Checker, w: Where) -> list[Path]:
    paths = []
    for ref in refs:
        if not ref.strip() or "\n" in ref:
            ck.add("nazwa katalogu nie może być pusta ani zawierać końca wiersza",
                   **w.at("catalogues"))  # fmt: skip
            continue
        path = resolve_catalogue(ref, base)
        if not path.is_file():
            ck.add(f"katalog „{ref}” nie istnieje (szukano: {path})", **w.at("catalogues"))
            continue
        paths.append(path)
    return paths


def _valid_timezone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _id_message(value: str) -> str:
    return (f"identyfikator „{value}” może zawierać tylko małe litery łacińskie, cyfry, "
            "„-”, „_” i „.”")  # fmt: skip


def _unknown_person(person_id: str) -> str:
    return f"nieznana osoba „{person_id}” (nie ma jej w [[people]])"


def _entry_id(raw: dict[str, Any], key: str = "id") -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) else None


def _checked_id(
    ck: Checker, raw: dict[str, Any], where: Where, seen: set[str], what: str
) -> str | None:
    value = ck.string(raw, "id", required=True, where=where, single_line=True, max_length=100)
    if value is None:
        return None
    if not re.match(_ID, value):
        ck.add(_id_message(value), **where.at("id"))
        return None
    if value in seen:
        ck.add(f"identyfikator {what} „{value}” powtarza się", **where.at("id"))
        return None
    seen.add(value)
    return value


def _parse_people(ck: Checker, data: dict[str, Any]) -> tuple[list[Person], set[str]]:
    """The valid people, and the ids of every entry (so one bad field does not make every
    reference to that person an error too)."""
    people = []
    seen: set[str] = set()
    emails: dict[str, str] = {}
    logins: dict[str, str] = {}
    for index, raw in enumerate(ck.array_of_tables(data, "people")):
        w = Where("people", index, _entry_id(raw))
        ck.unknown_keys(raw, _PERSON, table="people", index=index, entry=w.entry)
        before = len(ck.problems)
        pid = _checked_id(ck, raw, w, seen, "osoby")
        name = ck.string(raw, "name", required=True, where=w, single_line=True, max_length=200)
        email = ck.string(raw, "email", required=True, where=w, single_line=True, max_length=254)
        if email is not None:
            problem = email_problem(email)
            if problem:
                ck.add(problem, **w.at("email"))
            elif email.casefold() in emails and pid is not None:
                ck.add(f"adres „{email}” ma już osoba „{emails[email.casefold()]}”",
                       severity=Severity.WARNING, **w.at("email"))  # fmt: skip
            elif pid is not None:
                emails[email.casefold()] = pid
        unit = ck.string(raw, "unit", required=True, where=w, single_line=True)
        role = ck.string(raw, "role", where=w, single_line=True, max_length=300) or ""
        access = ck.boolean(raw, "system_access", where=w)
        login = ck.string(raw, "login", where=w, single_line=True, max_length=200)
        if login is not None and login.casefold() in logins:
            ck.add(f"login „{login}” ma już osoba „{logins[login.casefold()]}”", **w.at("login"))
        elif login is not None and pid is not None:
            logins[login.casefold()] = pid
        if len(ck.problems) > before and any(
            p.severity is Severity.ERROR for p in ck.problems[before:]
        ):
            continue
        assert pid and name and email and unit
        people.append(Person(id=pid, name=name, email=email, unit=unit, role=role,
                             system_access=bool(access), login=login or None))  # fmt: skip
    if "people" in data and not people and not ck.has_errors:
        ck.add("brak osób: potrzebny jest co najmniej jeden wpis [[people]]")
    return people, seen


def _parse_units(ck: Checker, data: dict[str, Any]) -> list[Unit]:
    units = []
    seen: set[str] = set()
    for index, raw in enumerate(ck.array_of_tables(data, "units")):
        w = Where("units", index, _entry_id(raw))
        ck.unknown_keys(raw, _UNIT, table="units", index=index, entry=w.entry)
        uid = _checked_id(ck, raw, w, seen, "działu")
        name = ck.string(raw, "name", required=True, where=w, single_line=True, max_length=300)
        head = ck.string(raw, "head", where=w, single_line=True)
        if uid and name:
            units.append(Unit(id=uid, name=name, head=head))
    return units


def _person_list(
    ck: Checker, value: Any, where: Where, field_name: str, person_ids: set[str]
) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        ck.add(f"„{field_name}” musi być niepustą listą identyfikatorów osób",
               **where.at(field_name))  # fmt: skip
        return None
    ok = True
    for pid in value:
        if pid not in person_ids:
            ck.add(_unknown_person(pid), **where.at(field_name))
            ok = False
    if len(set(value)) != len(value):
        ck.add("ta sama osoba występuje w grupie dwukrotnie", **where.at(field_name))
        ok = False
    return tuple(value) if ok else None


def _parse_duties(
    ck: Checker,
    data: dict[str, Any],
    person_ids: set[str],
    unit_ids: set[str],
    access_basis: str,
    people: Sequence[Person],
) -> list[Duty]:
    duties = []
    seen: set[str] = set()
    by_id = {p.id: p for p in people}
    for index, raw in enumerate(ck.array_of_tables(data, "duties")):
        entry = _entry_id(raw)
        w = Where("duties", index, entry or f"obowiązek nr {index + 1}")
        ck.unknown_keys(raw, _DUTY, table="duties", index=index, entry=w.entry)
        before = len(ck.problems)
        duty_id = f"duty-{index + 1}"
        if "id" in raw:
            duty_id = _checked_id(ck, raw, w, seen, "obowiązku") or duty_id
        name = ck.string(raw, "name", where=w, single_line=True) or ""
        patterns = ck.string_list(raw, "obligations", required=True, where=w)
        if patterns is not None and (not patterns or any(not p.strip() for p in patterns)):
            ck.add("„obligations” musi wymieniać co najmniej jeden obowiązek lub wzorzec",
                   **w.at("obligations"))  # fmt: skip
        tiers: list[tuple[str, ...]] = []
        raw_tiers = raw.get("tiers")
        if raw_tiers is None:
            ck.add("brak wymaganego pola „tiers” (grupy osób: [[\"a\", \"b\"], [\"c\"]])",
                   **w.at("tiers"))  # fmt: skip
        elif not isinstance(raw_tiers, list) or not raw_tiers:
            ck.add("„tiers” musi być listą grup osób, np. [[\"kierownik\", \"zastepca\"], "
                   "[\"pracownik\"]]", **w.at("tiers"))  # fmt: skip
        else:
            for tier_raw in raw_tiers:
                tier = _person_list(ck, tier_raw, w, "tiers", person_ids)
                if tier is not None:
                    tiers.append(tier)
        fallback = ck.string(raw, "fallback", required=True, where=w, single_line=True)
        if fallback is not None and fallback not in person_ids:
            ck.add(_unknown_person(fallback), **w.at("fallback"))
        basis = ck.string(raw, "basis", required=True, where=w)
        prepare = ck.integer(raw, "prepare_days", where=w, low=1, high=60)
        reminders = _reminders(ck, raw, w)
        inputs = _parse_inputs(ck, raw, w, unit_ids)
        in_system = ck.boolean(raw, "in_system", where=w)
        if any(p.severity is Severity.ERROR for p in ck.problems[before:]):
            continue
        assert patterns is not None and fallback is not None and basis is not None
        duty = Duty(
            id=duty_id, name=name, obligations=tuple(patterns), tiers=tuple(tiers),
            fallback=fallback, basis=basis, prepare_days=prepare or 3,
            reminders=reminders if reminders is not None else (10, 5, 2, 0),
            inputs=tuple(inputs), in_system=in_system is not False,
        )  # fmt: skip
        for pid in duty.members() if duty.in_system else ():
            person = by_id.get(pid)
            if person is not None and not person.system_access:
                ck.add(
                    f"osoba „{pid}” ({person.name}) jest w grupie odpowiedzialnych, ale nie ma "
                    f"dostępu do systemu sprawozdawczego (system_access = false); dostęp mają "
                    f"tylko osoby wskazane w {access_basis}",
                    severity=Severity.WARNING, **w.at("tiers"),
                )
        duties.append(duty)
    return duties


def _reminders(ck: Checker, raw: dict[str, Any], w: Where) -> tuple[int, ...] | None:
    value = raw.get("reminders")
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        or any(not 0 <= v <= 120 for v in value)
    ):
        ck.add("„reminders” musi być listą liczb dni roboczych od 0 do 120, np. [10, 5, 2, 0]",
               **w.at("reminders"))  # fmt: skip
        return None
    return tuple(sorted(set(value), reverse=True))


def _parse_inputs(ck: Checker, raw: dict[str, Any], w: Where, unit_ids: set[str]) -> list[Input]:
    value = raw.get("inputs")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        ck.add("„inputs” musi być listą tabel, np. [{ unit = \"dokip\", data = \"…\", "
               "request_days = 15, deliver_days = 7 }]", **w.at("inputs"))  # fmt: skip
        return []
    inputs = []
    seen: set[str] = set()
    for position, item in enumerate(value, start=1):
        label = f"inputs[{position}]"
        for key in item:
            if key not in _INPUT:
                ck.add(f"nieznany klucz „{label}.{key}” (dozwolone: {', '.join(sorted(_INPUT))})",
                       **w.at("inputs"))  # fmt: skip
        sub = _SubWhere(w, label, ck.lines)
        before = len(ck.problems)
        unit = ck.string(item, "unit", where=sub, single_line=True)
        ext_id = ck.string(item, "id", where=sub, single_line=True)
        name = ck.string(item, "name", where=sub, single_line=True, max_length=300)
        email = ck.string(item, "email", where=sub, single_line=True, max_length=254)
        data = ck.string(item, "data", required=True, where=sub, max_length=2000)
        request_days = ck.integer(item, "request_days", required=True, where=sub, low=1, high=120)
        deliver_days = ck.integer(item, "deliver_days", required=True, where=sub, low=0, high=120)
        if unit is not None and (ext_id is not None or email is not None):
            ck.add("należy podać albo „unit” (dział), albo „id”, „name” i „email” (podmiot "
                   "zewnętrzny)",
                   **sub.at("unit"))  # fmt: skip
        elif unit is not None and unit not in unit_ids:
            ck.add(f"nieznany dział „{unit}” (nie ma go w [[units]])", **sub.at("unit"))
        elif unit is None:
            if ext_id is None or name is None or email is None:
                ck.add("dane od podmiotu zewnętrznego wymagają pól „id”, „name” i „email”; "
                       "dla działu należy podać „unit”", **sub.at("id"))  # fmt: skip
            elif not re.match(_ID, ext_id):
                ck.add(_id_message(ext_id), **sub.at("id"))
            if email is not None and (problem := email_problem(email)):
                ck.add(problem, **sub.at("email"))
        if (
            request_days is not None and deliver_days is not None
            and deliver_days >= request_days
        ):  # fmt: skip
            ck.add(f"„request_days” ({request_days}) musi być większe niż „deliver_days` "
                   f"({deliver_days}): prośba o dane wychodzi przed terminem ich dostarczenia",
                   **sub.at("request_days"))  # fmt: skip
        key = unit or ext_id
        if key is not None and key in seen:
            ck.add(f"dane od „{key}” są już wymienione w tym obowiązku", **sub.at("unit"))
        if any(p.severity is Severity.ERROR for p in ck.problems[before:]):
            continue
        assert key is not None and data is not None
        assert request_days is not None and deliver_days is not None
        seen.add(key)
        inputs.append(Input(
            id=key, unit=unit, name=name or "", email=email, data=data,
            request_days=request_days, deliver_days=deliver_days,
        ))  # fmt: skip
    return inputs


class _SubWhere(Where):
    """A field inside an inline table of an entry: reported as ``inputs[1].data`` on the
    line of the ``inputs`` key."""

    def __init__(self, parent: Where, prefix: str, lines: LineIndex) -> None:
        super().__init__(parent.table, parent.index, parent.entry)
        self.prefix = prefix
        self.line = lines.key(parent.table, parent.index, prefix.split("[")[0])

    def at(self, field: str) -> dict[str, Any]:
        found = super().at(f"{self.prefix}.{field}")
        found["line"] = self.line
        return found


def _range(ck: Checker, raw: dict[str, Any], w: Where) -> tuple[date | None, date | None]:
    start = ck.day(raw, "from", required=True, where=w)
    end = ck.day(raw, "to", required=True, where=w)
    if start and end and end < start:
        ck.add(f"„to” ({end}) jest wcześniejsze niż „from” ({start})", **w.at("to"))
        return None, None
    for value, key in ((start, "from"), (end, "to")):
        if value is not None and not 1990 <= value.year <= 2100:
            ck.add(f"data {value} jest poza obsługiwanymi latami 1990–2100", **w.at(key))
            return None, None
    return start, end


def _parse_absences(ck: Checker, data: dict[str, Any], person_ids: set[str]) -> list[Absence]:
    absences = []
    for index, raw in enumerate(ck.array_of_tables(data, "absences")):
        w = Where("absences", index, _entry_id(raw, "person"))
        ck.unknown_keys(raw, _ABSENCE, table="absences", index=index, entry=w.entry)
        person = ck.string(raw, "person", required=True, where=w, single_line=True)
        if person is not None and person not in person_ids:
            ck.add(_unknown_person(person), **w.at("person"))
            person = None
        start, end = _range(ck, raw, w)
        reason = ck.string(raw, "reason", where=w, single_line=True, max_length=300) or ""
        if person and start and end:
            absences.append(Absence(person=person, start=start, end=end, reason=reason))
    return absences


def _parse_sources(ck: Checker, data: dict[str, Any], base: Path) -> list[AbsenceSource]:
    sources = []
    for index, raw in enumerate(ck.array_of_tables(data, "absence_sources")):
        w = Where("absence_sources", index, _entry_id(raw, "source"))
        ck.unknown_keys(raw, _SOURCE, table="absence_sources", index=index, entry=w.entry)
        source = ck.string(raw, "source", required=True, where=w, single_line=True)
        match = _enum(ck, raw, "match", SourceMatch, w)
        on_error = _enum(ck, raw, "on_error", OnError, w)
        reason = ck.string(raw, "reason", where=w, single_line=True) or ""
        timeout = ck.integer(raw, "timeout", where=w, low=1, high=300)
        if source is not None and "://" in source and not source.startswith(
            ("http://", "https://")
        ):
            ck.add("źródło nieobecności to ścieżka do pliku .ics albo adres http(s)://",
                   **w.at("source"))  # fmt: skip
            source = None
        elif source is not None and source.startswith(("http://", "https://")):
            if (problem := url_problem(source)) is not None:
                ck.add(f"„{source}”: {problem}", **w.at("source"))
                source = None
        elif source is not None and "\0" in source:
            ck.add("ścieżka zawiera niedozwolony znak NUL", **w.at("source"))
            source = None
        if source:
            sources.append(AbsenceSource(
                source=source, match=match or SourceMatch.ANY, reason=reason,
                on_error=on_error or OnError.FAIL, timeout=timeout or 20, base=base,
            ))  # fmt: skip
    return sources


def _enum(ck: Checker, raw: dict[str, Any], key: str, enum: Any, w: Where) -> Any:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value in {e.value for e in enum}:
        return enum(value)
    allowed = ", ".join(f"„{e.value}”" for e in enum)
    ck.add(f"„{key}” = {describe(value)} — dozwolone wartości: {allowed}", **w.at(key))
    return None


def _parse_designations(
    ck: Checker, data: dict[str, Any], person_ids: set[str]
) -> list[Designation]:
    designations = []
    for index, raw in enumerate(ck.array_of_tables(data, "designations")):
        w = Where("designations", index, _entry_id(raw, "target"))
        ck.unknown_keys(raw, _DESIGNATION, table="designations", index=index, entry=w.entry)
        person = ck.string(raw, "person", required=True, where=w, single_line=True)
        if person is not None and person not in person_ids:
            ck.add(_unknown_person(person), **w.at("person"))
            person = None
        target = ck.string(raw, "target", required=True, where=w, single_line=True)
        start, end = _range(ck, raw, w)
        basis = ck.string(raw, "basis", required=True, where=w)
        if person and target and start and end and basis:
            designations.append(Designation(
                person=person, target=target.strip(), start=start, end=end, basis=basis
            ))
    return designations


def _parse_calendar(ck: Checker, data: dict[str, Any]) -> tuple[dict[date, str], list[date]]:
    raw = ck.table(data, "calendar")
    ck.unknown_keys(raw, _CALENDAR, table="calendar")
    w = Where("calendar")
    days_off: dict[date, str] = {}
    value = raw.get("days_off", [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        ck.add("„days_off” musi być listą, np. [{ date = 2026-11-10, reason = \"…\" }]",
               **w.at("days_off"))  # fmt: skip
        value = []
    for position, item in enumerate(value, start=1):
        sub = _SubWhere(w, f"days_off[{position}]", ck.lines)
        for key in item:
            if key not in _DAY_OFF:
                ck.add(f"nieznany klucz „days_off[{position}].{key}” (dozwolone: date, reason)",
                       **w.at("days_off"))  # fmt: skip
        day = ck.day(item, "date", required=True, where=sub)
        reason = ck.string(item, "reason", required=True, where=sub, single_line=True)
        if day is None or reason is None:
            continue
        if not 1990 <= day.year <= 2100:
            ck.add(f"data {day} jest poza obsługiwanymi latami 1990–2100", **sub.at("date"))
        elif day in days_off:
            ck.add(f"dzień {day} jest już na liście dni wolnych", **sub.at("date"))
        elif day.weekday() >= 5:
            ck.add(f"{day} to {'sobota' if day.weekday() == 5 else 'niedziela'} — i tak dzień "
                   "wolny", severity=Severity.WARNING, **sub.at("date"))  # fmt: skip
        else:
            days_off[day] = reason
    extra: list[date] = []
    value = raw.get("extra_working_days", [])
    if not isinstance(value, list):
        ck.add("„extra_working_days” musi być listą dat", **w.at("extra_working_days"))
        value = []
    for item in value:
        day = ck.day({"extra_working_days": item}, "extra_working_days", where=w)
        if day is None:
            continue
        if not 1990 <= day.year <= 2100:
            ck.add(f"data {day} jest poza obsługiwanymi latami 1990–2100",
                   **w.at("extra_working_days"))  # fmt: skip
        elif day in days_off:
            ck.add(f"dzień {day} jest jednocześnie dniem wolnym i dodatkowym dniem pracy",
                   **w.at("extra_working_days"))  # fmt: skip
        else:
            extra.append(day)
    return days_off, extra


# -- checks that need the catalogues -----------------------------------------------------


def cross_check(
    organisation: Organisation, obligations: Iterable[Any], levels: Iterable[str]
) -> list[Problem]:
    """Problems between the organisation and its catalogues.

    ``obligations`` are every obligation of the catalogues (``Obligation``),
    ``levels`` every level the catalogues know. Reports: unknown levels, an
    applicable obligation without a duty (error; ``due`` shows it unassigned),
    a duty pattern that matches nothing (warning), a designation of an
    unknown obligation or occurrence (error).
    """
    from terminarz.law.rules import split_occurrence_id

    path = organisation.path
    lines = LineIndex(path.read_text(encoding="utf-8")) if path and path.is_file() else None

    def line(table: str | None, index: int | None, key: str) -> int | None:
        return lines.key(table, index, key) if lines else None

    problems: list[Problem] = []
    known_levels = set(levels)
    all_obligations = list(obligations)
    by_id = {o.id: o for o in all_obligations}
    for level in organisation.levels:
        if level not in known_levels:
            problems.append(Problem(
                message=f"nieznany poziom „{level}”; katalogi znają: "
                        f"{', '.join(sorted(known_levels))}",
                path=path, line=line("organisation", None, "levels"), entry=None, field="levels",
            ))  # fmt: skip
    applicable = [o for o in all_obligations if organisation.applies(o.id, o.level)]
    if organisation.selection and not applicable:
        problems.append(Problem(
            message="wybór „obligations” nie obejmuje żadnego obowiązku poziomów "
                    f"{', '.join(organisation.levels)}",
            path=path, line=line("organisation", None, "obligations"), field="obligations",
        ))  # fmt: skip
    for obligation in applicable:
        if organisation.duty_for(obligation.id) is None:
            problems.append(Problem(
                message=f"obowiązek „{obligation.id}” ({obligation.label}) nie ma przypisanych "
                        "osób: należy go dodać do „obligations” jednego z wpisów [[duties]]",
                path=path, line=lines.table("duties", 0) if lines else None,
                entry=obligation.id, field=None,
            ))  # fmt: skip
    for index, duty in enumerate(organisation.duties):
        for pattern in duty.obligations:
            if not any(fnmatch.fnmatchcase(o.id, pattern) for o in applicable):
                problems.append(Problem(
                    message=f"wzorzec „{pattern}” nie pasuje do żadnego obowiązku tej instytucji "
                            "(poziomy: " + ", ".join(organisation.levels) + ") — obowiązek "
                            "nie będzie nikomu przypisany, dopóki katalog go nie zawiera",
                    path=path, line=line("duties", index, "obligations"),
                    entry=duty.id, field="obligations", severity=Severity.WARNING,
                ))  # fmt: skip
    for index, designation in enumerate(organisation.designations):
        message = None
        target = designation.target
        if designation.for_occurrence:
            try:
                obligation_id, period = split_occurrence_id(target)
            except ValueError:
                message = (f"„{target}” nie jest identyfikatorem wystąpienia "
                           "(np. mpips-03@ops/2026)")  # fmt: skip
            else:
                ob = by_id.get(obligation_id)
                if ob is None:
                    message = f"wyznaczenie wskazuje nieznany obowiązek „{obligation_id}”"
                elif ob.deadline is None or not ob.applies_to(period):
                    message = f"obowiązek „{obligation_id}” nie ma wystąpienia za okres {period}"
        elif target not in by_id:
            message = f"wyznaczenie wskazuje nieznany obowiązek „{target}”"
        if message is None:
            ob_id = target.rpartition("/")[0] if designation.for_occurrence else target
            ob = by_id[ob_id]
            if not organisation.applies(ob.id, ob.level):
                message = (f"obowiązek „{ob.id}” (poziom {ob.level}) nie dotyczy tej instytucji "
                           f"(poziomy: {', '.join(organisation.levels)})")  # fmt: skip
        if message:
            problems.append(Problem(
                message=message, path=path, line=line("designations", index, "target"),
                entry=target, field="target",
            ))  # fmt: skip
    return problems

"""The plan: occurrences of an organisation with their duty resolution, tasks and planning dates.

:func:`load_setup` reads the organisation file (if any), its catalogues and
absence sources and builds both calendars; :func:`plan` and :func:`plan_one`
turn occurrences into :class:`PlannedOccurrence` values that the CLI, the
feeds and the reminders all use. Without an organisation file the plan is the
bundled catalogues alone: no duties, no tasks, no planning dates.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path

from terminarz.errors import CalendarRangeError, Problem, Severity, UsageError
from terminarz.law.announced import UndatedOccurrence, find_date_day, undated
from terminarz.law.catalogue import CatalogueSet, in_force, load_catalogues
from terminarz.law.rules import Obligation, Occurrence, expand, occurrence, split_occurrence_id
from terminarz.law.workdays import WorkingCalendar
from terminarz.org.datarequests import NoTask, Task, find_date_task, planning_date, tasks_for
from terminarz.org.duties import Handover, Resolution, handover, resolve
from terminarz.org.organisation import (
    Absence,
    Designation,
    Duty,
    Organisation,
    load_organisation,
)
from terminarz.records import Record


class Setup(Record):
    """Everything a plan needs; ``obligations`` are those the organisation must fulfil
    (its levels and selection), or every obligation of the catalogues without one."""

    organisation: Organisation | None
    catalogues: CatalogueSet
    statutory: WorkingCalendar
    institution: WorkingCalendar
    obligations: tuple[Obligation, ...]
    warnings: tuple[Problem, ...] = ()  # e.g. an absence source skipped (on_error = "skip")
    default_catalogues: bool = False  # every bundled catalogue, none named

    def in_force(self, start: date, end: date) -> "Setup":
        """Without named catalogues: only the bundled acts in force on some day of
        [start, end] (a repealed act is used only when named); else ``self``."""
        if not self.default_catalogues:
            return self
        catalogues = in_force(self.catalogues, start, end)
        if catalogues is self.catalogues:
            return self
        kept = {o.id for o in catalogues.obligations}
        return self._replace(
            catalogues=catalogues,
            obligations=tuple(o for o in self.obligations if o.id in kept),
        )  # fmt: skip


class PlannedOccurrence(Record):
    """An occurrence with its duty, who handles it, its internal tasks and planning date.

    ``planning_date`` is set when the institution does not work on the due date:
    the previous day it works. The statutory due date itself never moves.
    ``left_out``: the II.4 tasks not needed because a unit would ask or supply itself,
    with the reason. ``handed_over``: set when the report has left the unit(s) of its
    primary tier (a substitute tier of another unit, a designation, or nobody available):
    which units it left and who has it now (``handed_over.words``: ``przekazane:
    zastępstwo — Dział …``); see :meth:`handed_over_from`.
    """

    occurrence: Occurrence
    duty: Duty | None
    resolution: Resolution | None
    tasks: tuple[Task, ...] = ()
    planning_date: date | None = None
    left_out: tuple[NoTask, ...] = ()
    handed_over: Handover | None = None

    @property
    def id(self) -> str:
        return self.occurrence.id

    @property
    def due(self) -> date:
        return self.occurrence.due

    @property
    def owners(self) -> tuple[str, ...]:
        """Who acts on the report: the responsible people, else the fallback, else nobody."""
        return self.resolution.owners if self.resolution is not None else ()

    def people(self) -> set[str]:
        """Everyone with something to do here: owners and the owners of its tasks."""
        found = set(self.owners)
        for task in self.tasks:
            found.update(task.owners)
        return found

    def handed_over_from(self, unit: str) -> Handover | None:
        """The handover when this report has left ``unit`` (one of its primary tier's units)
        for another one; None otherwise — what a unit head's views mark instead of dropping."""
        found = self.handed_over
        return found if found is not None and unit in found.from_units else None


class PendingOccurrence(Record):
    """A period of an announced obligation still without a date, with who finds it out.

    ``task`` is the ``#termin`` task (None without an organisation, or outside the
    calendar's years); ``resolution`` is who is responsible on the task's day.
    """

    undated: UndatedOccurrence
    duty: Duty | None = None
    resolution: Resolution | None = None
    task: Task | None = None

    @property
    def id(self) -> str:
        return self.undated.id

    @property
    def owners(self) -> tuple[str, ...]:
        return self.resolution.owners if self.resolution is not None else ()

    def people(self) -> set[str]:
        found = set(self.owners)
        if self.task is not None:
            found.update(self.task.owners)
        return found


def default_statutory() -> WorkingCalendar:
    from terminarz.law.holidays_pl import default_source
    from terminarz.paths import holiday_table_path

    return WorkingCalendar(default_source(holiday_table_path()))


def absence_window(organisation: Organisation, today: date) -> tuple[date, date]:
    """The days absence calendars are expanded over: the feed horizon around ``today``."""
    feeds = organisation.settings.feeds
    today = min(max(today, date(1990, 1, 1)), date(2100, 12, 31))  # no overflow near 9999
    start = today - timedelta(days=31 * (feeds.months_back + 1))
    end = today + timedelta(days=31 * (feeds.months_ahead + 2))
    return max(start, date(1990, 1, 1)), min(end, date(2100, 12, 31))


class CatalogueCache:
    """Catalogue sets already loaded, shared by the organisation files of one run
    (``terminarz remind --config a.toml --config b.toml …``), which mostly name the
    same catalogues: each distinct set of files is read and checked once.

    Keyed by every file's resolved path, modification time and size, so a file
    changed during the run is read again. A file that cannot be read or checked
    is never cached (its error is raised each time). Safe to share between threads.
    """

    def __init__(self) -> None:
        import threading

        self._sets: dict[tuple[tuple[str, int, int], ...], CatalogueSet] = {}
        self._lock = threading.Lock()

    def load(self, paths: Sequence[Path]) -> CatalogueSet:
        try:
            key = tuple(_file_key(path) for path in paths)
        except OSError:
            return load_catalogues(paths)  # reports the missing file in Polish
        with self._lock:
            found = self._sets.get(key)
            if found is None:
                found = self._sets[key] = load_catalogues(paths)
            return found


def _catalogues(paths: Sequence[Path], cache: CatalogueCache | None) -> CatalogueSet:
    return cache.load(paths) if cache is not None else load_catalogues(paths)


def _file_key(path: Path) -> tuple[str, int, int]:
    resolved = path.resolve()
    stat = resolved.stat()
    return str(resolved), stat.st_mtime_ns, stat.st_size


def load_setup(
    config: Path | None,
    *,
    catalogue_paths: list[Path] | None = None,
    today: date | None = None,
    statutory: WorkingCalendar | None = None,
    catalogue_cache: CatalogueCache | None = None,
    absence_parse: Callable[..., list[Absence]] | None = None,
    remote: Callable[[str, Organisation], Path | None] | None = None,
    organisation: Organisation | None = None,
) -> Setup:
    """Load the organisation file ``config`` (or none), its catalogues and absence sources.

    ``catalogue_paths`` (``--catalogue``) replaces the catalogues the file names.
    Recurring absences are expanded around ``today`` (the feed horizon); without
    it, over their own span. A failing absence source raises, unless it says
    ``on_error = "skip"`` — then it is left out and listed in ``warnings``.
    ``catalogue_cache`` lets many calls share catalogues already loaded; ``absence_parse``
    replaces the parsing of absence calendars (a cache of parsed sources kept above);
    ``remote`` gives the local copy of a schedule the organisation names by address (None:
    no copy yet, a warning). ``organisation``: the file ``config`` already loaded by the
    caller (a shared night loads it to find its store), not read a second time.
    """
    from terminarz.paths import bundled_catalogues

    statutory = statutory or default_statutory()
    if config is None:
        catalogues = _catalogues(catalogue_paths or bundled_catalogues(), catalogue_cache)
        return Setup(
            organisation=None, catalogues=catalogues, statutory=statutory,
            institution=statutory, obligations=catalogues.obligations,
            default_catalogues=not catalogue_paths,
        )  # fmt: skip
    if organisation is None or organisation.path != config:
        organisation = load_organisation(config)
    warnings: list[Problem] = []
    copies: list[Path] = []
    if not catalogue_paths:
        for url in organisation.catalogue_urls:
            copy = remote(url, organisation) if remote is not None else None
            if copy is None:
                warnings.append(Problem(
                    message=f"harmonogram {url} nie został jeszcze pobrany (pobiera go "
                    "„terminarz remind” albo „terminarz catalogue --refresh”); jego terminy "
                    "nie są uwzględnione", path=organisation.path, field="catalogues",
                    severity=Severity.WARNING))  # fmt: skip
            else:
                copies.append(copy)
    named = list(organisation.catalogue_paths)
    paths = catalogue_paths or ([*named, *copies] if named else []) or bundled_catalogues()
    if copies and not named and not catalogue_paths:
        paths = [*bundled_catalogues(), *copies]
    catalogues = _catalogues(paths, catalogue_cache)
    if not catalogue_paths and not organisation.catalogue_paths:
        # Nothing named: the bundled acts in force (a repealed act is used only when named).
        day = today or date(2100, 12, 31)
        catalogues = in_force(catalogues, day, day)
    if organisation.absence_sources:
        from terminarz.org.absences import load_source_absences

        window = absence_window(organisation, today) if today is not None else None
        extra, source_warnings = load_source_absences(organisation, window=window,
                                                      parse=absence_parse)  # fmt: skip
        warnings += source_warnings
        organisation = organisation._replace(absences=organisation.absences + tuple(extra))
    institution = statutory.with_institution(
        days_off=organisation.days_off, working_days=organisation.extra_working_days
    )
    obligations = tuple(o for o in catalogues.obligations if organisation.applies(o.id, o.level))
    return Setup(
        organisation=organisation, catalogues=catalogues, statutory=statutory,
        institution=institution, obligations=obligations, warnings=tuple(warnings),
    )  # fmt: skip


def with_recorded(
    setup: Setup,
    *,
    absences: Iterable[Absence] = (),
    designations: Iterable[Designation] = (),
) -> Setup:
    """``setup`` with what people recorded outside the organisation file (through the web,
    kept in the store): their absences and the director's designations (II.5) join those of
    the file, so duty resolution, mails and feeds treat them alike."""
    organisation = setup.organisation
    extra_absences, extra_designations = tuple(absences), tuple(designations)
    if organisation is None or not (extra_absences or extra_designations):
        return setup
    merged = organisation._replace(
        absences=organisation.absences + extra_absences,
        designations=organisation.designations + extra_designations,
    )
    return setup._replace(organisation=merged)


def planned(setup: Setup, occ: Occurrence, *, today: date) -> PlannedOccurrence:
    """Resolve one occurrence: its duty, who handles it, its tasks and planning date."""
    organisation = setup.organisation
    if organisation is None:
        return PlannedOccurrence(occurrence=occ, duty=None, resolution=None)
    duty = organisation.duty_for(occ.obligation.id)
    resolution = (
        resolve(occ, duty, organisation, setup.institution, today=today) if duty else None
    )
    tasks, left_out = (
        tasks_for(occ, duty, resolution, organisation, setup.statutory, setup.institution,
                  today=today)
        if duty else ((), ())
    )  # fmt: skip
    return PlannedOccurrence(
        occurrence=occ, duty=duty, resolution=resolution, tasks=tasks,
        planning_date=planning_date(occ.due, setup.institution), left_out=left_out,
        handed_over=handover(duty, resolution, organisation) if duty and resolution else None,
    )  # fmt: skip


def plan(
    setup: Setup,
    start: date,
    end: date,
    *,
    today: date,
    obligations: Iterable[Obligation] | None = None,
) -> list[PlannedOccurrence]:
    """Every occurrence due in [start, end] (of ``obligations``, default the setup's),
    resolved, sorted by due date then id."""
    chosen = setup.obligations if obligations is None else tuple(obligations)
    occurrences = expand(chosen, setup.statutory, start, end, setup.catalogues.overrides,
                         setup.catalogues.announced)  # fmt: skip
    result = [planned(setup, occ, today=today) for occ in occurrences]
    result.sort(key=lambda p: (p.due, p.id))
    return result


def plan_tasks(
    setup: Setup,
    start: date,
    end: date,
    *,
    today: date,
    obligations: Iterable[Obligation] | None = None,
) -> list[tuple[PlannedOccurrence, Task]]:
    """Every internal task whose date (``Task.due``) lies in [start, end], with its
    occurrence (which may be due later), sorted by date then task id."""
    organisation = setup.organisation
    if organisation is None:
        return []
    chosen = setup.obligations if obligations is None else tuple(obligations)
    longest = max((i.request_days for d in organisation.duties for i in d.inputs), default=0)
    if longest == 0:
        return []
    # Task dates lie at most `longest` working days before the due date.
    try:
        horizon = setup.statutory.add_working_days(end, longest + 1)
    except CalendarRangeError:
        horizon = date(setup.statutory.last_year, 12, 31)
    found = []
    for item in plan(setup, start, horizon, today=today, obligations=chosen):
        for task in item.tasks:
            if start <= task.due <= end:
                found.append((item, task))
    found.sort(key=lambda pair: (pair[1].due, pair[1].id))
    return found


def plan_pending(
    setup: Setup,
    start: date,
    end: date,
    *,
    today: date,
    obligations: Iterable[Obligation] | None = None,
) -> list[PendingOccurrence]:
    """Every period without a date whose usual window meets [start, end], with its
    ``#termin`` task and who is responsible for it (see :func:`terminarz.law.announced.undated`)."""
    chosen = setup.obligations if obligations is None else tuple(obligations)
    found = undated(chosen, start, end, setup.catalogues.announced)
    return [pending(setup, item, today=today) for item in found]


def pending(setup: Setup, item: UndatedOccurrence, *, today: date) -> PendingOccurrence:
    """Who finds out the date of ``item``, and the ``#termin`` task."""
    organisation = setup.organisation
    if organisation is None:
        return PendingOccurrence(undated=item)
    duty = organisation.duty_for(item.obligation.id)
    day = find_date_day(item, setup.statutory)
    if duty is None or day is None:
        return PendingOccurrence(undated=item, duty=duty)
    # Who is responsible is resolved for the task's day, as if it were the deadline.
    stand_in = Occurrence(obligation=item.obligation, period=item.period, nominal=day, due=day)
    resolution = resolve(stand_in, duty, organisation, setup.institution, today=today)
    owners = resolution.owners or (duty.fallback,)
    task = find_date_task(item, owners, setup.statutory, setup.institution)
    return PendingOccurrence(undated=item, duty=duty, resolution=resolution, task=task)


def pending_tasks(
    setup: Setup,
    start: date,
    end: date,
    *,
    today: date,
    obligations: Iterable[Obligation] | None = None,
) -> list[PendingOccurrence]:
    """The periods without a date whose ``#termin`` task falls in [start, end]."""
    from terminarz.law.announced import FIND_DATE_LEAD

    if setup.organisation is None:
        return []
    try:  # the task lies FIND_DATE_LEAD working days before the window opens
        horizon = setup.statutory.add_working_days(end, FIND_DATE_LEAD + 1)
    except CalendarRangeError:
        horizon = date(setup.statutory.last_year, 12, 31)
    return [p for p in plan_pending(setup, start, horizon, today=today, obligations=obligations)
            if p.task is not None and start <= p.task.due <= end]  # fmt: skip


def find_occurrence(setup: Setup, occurrence_id: str) -> Occurrence:
    """The occurrence named by ``occurrence_id``; :class:`UsageError` (Polish) when unknown."""
    text = occurrence_id.strip()
    try:
        obligation_id, period = split_occurrence_id(text)
    except ValueError:
        raise UsageError(
            f"„{occurrence_id}” nie jest identyfikatorem wystąpienia; oczekiwano postaci "
            "<obowiązek>/<okres>, np. mpips-03@ops/2025"
        ) from None
    if not 1900 <= period.year <= 2199:
        raise UsageError(
            f"„{text}”: okres {period} jest poza obsługiwanym zakresem (lata 1900–2199)"
        )
    obligation = setup.catalogues.obligation(obligation_id)
    if obligation is None:
        raise UsageError(
            f"nieznany obowiązek „{obligation_id}”; listę pokazuje: terminarz catalogue"
        )
    if obligation.deadline is None:
        raise UsageError(f"obowiązek „{obligation_id}” nie ma własnego terminu, więc nie ma "
                         "wystąpień")  # fmt: skip
    if not obligation.applies_to(period):
        raise UsageError(
            f"obowiązek „{obligation_id}” nie ma wystąpienia za okres {period} "
            f"(okresy: {obligation.period_kind.polish})"
        )
    if obligation.announced and f"{obligation_id}/{period}" not in setup.catalogues.announced:
        raise UsageError(f"termin wystąpienia „{occurrence_id}” nie został jeszcze ogłoszony; "
                         f"szczegóły: terminarz explain {occurrence_id}")  # fmt: skip
    return occurrence(obligation, period, setup.statutory, setup.catalogues.overrides,
                      setup.catalogues.announced)  # fmt: skip


def plan_one(setup: Setup, occurrence_id: str, *, today: date) -> PlannedOccurrence:
    """One occurrence, resolved; :class:`UsageError` with a Polish message for unknown ids."""
    return planned(setup, find_occurrence(setup, occurrence_id), today=today)


def for_person(items: Sequence[PlannedOccurrence], person: str) -> list[PlannedOccurrence]:
    """The occurrences ``person`` acts on (responsible, as substitute, as fallback, or a task)."""
    return [p for p in items if person in p.people()]


def for_unit(
    items: Sequence[PlannedOccurrence], organisation: Organisation, unit: str
) -> list[PlannedOccurrence]:
    """The occurrences a member of ``unit`` acts on, whose data ``unit`` delivers, or that
    were handed over from ``unit`` to another one (:meth:`PlannedOccurrence.handed_over_from`:
    the head keeps seeing them)."""
    members = {p.id for p in organisation.people if p.unit == unit}
    return [
        p for p in items
        if members & p.people() or any(t.unit == unit for t in p.tasks)
        or p.handed_over_from(unit) is not None
    ]  # fmt: skip

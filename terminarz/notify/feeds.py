"""Calendar feeds: which events each feed holds, and their iCalendar bytes.

A generation has three steps:

1. :func:`catalogue_feed_set` / :func:`organisation_feed_set` decide the feeds
   (*scopes*: ``all``, ``level/<id>``, ``unit/<id>``, ``person/<id>``) and, for
   each, the :class:`~terminarz.store.publication.FeedItem` of every occurrence or
   internal task in the horizon — Polish summary and description, categories,
   the responsible people, the alarm;
2. :class:`~terminarz.store.publication.PublicationMemory` stamps them (sequence,
   created, last change) and adds the cancelled ones;
3. :func:`render_feed` writes the calendar with ``icalendar`` 7 (:class:`FeedRenderer`
   does the same, reusing each unchanged event's bytes kept in the state database).

Every event is all-day on its due date (``DTSTART;VALUE=DATE``, ``DTEND`` the
next day — exclusive), ``TRANSP:TRANSPARENT`` (a deadline does not make anyone
busy), with a UID derived from the feed's scope and the item key only, and a
``DTSTAMP`` equal to the time its content last changed — never the clock — so
two generations of the same input are byte-identical.

``icalendar`` gets two calendar properties wrong by default and they are set
by hand here: ``REFRESH-INTERVAL`` must carry ``VALUE=DURATION`` (RFC 7986 §5.7;
``Calendar.new(refresh_interval=...)`` omits it), and ``X-PUBLISHED-TTL`` added
with a ``timedelta`` comes out as Python's ``12:00:00`` instead of ``PT12H``.
It also writes ``NAME`` (RFC 7986 TEXT) without escaping commas and semicolons,
so ``NAME`` is added as ``vText``.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from terminarz.errors import TerminarzError
from terminarz.law.announced import planning_day
from terminarz.law.catalogue import CatalogueSet
from terminarz.law.explain import citation_lines, parties_line, short_explanation
from terminarz.law.rules import Occurrence, trail
from terminarz.law.workdays import WorkingCalendar
from terminarz.polish import date_words, long_date
from terminarz.store.publication import (
    FeedItem,
    PublicationMemory,
    PublishedEvent,
    PublishedFeed,
    Rendering,
)

if TYPE_CHECKING:
    from icalendar import Calendar, Event

    from terminarz.org.datarequests import Task
    from terminarz.org.organisation import Organisation
    from terminarz.org.plan import PendingOccurrence, PlannedOccurrence, Setup
    from terminarz.settings import FeedSettings
    from terminarz.store.base import Confirmation

PRODID = "-//terminarz//Terminy sprawozdawcze//PL"
REFRESH = timedelta(hours=12)
TIMEZONE = "Europe/Warsaw"
ALARM_HOUR = 9  # the display alarm fires at 09:00, ``alarm_days`` days before the due day
CONFIRMED_MARK = "✔ "
CANCELLED_PREFIX = "Nieaktualne: "
_UID_NAMESPACE = uuid.UUID("6f1f4a52-52a7-4d3c-9d0e-7e6a8c2b9f10")
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class ScopeKind(StrEnum):
    ALL = "all"
    LEVEL = "level"
    UNIT = "unit"
    PERSON = "person"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedScope:
    """One feed: everything, one level, one unit or one person.

    ``key`` names it in the publication memory (``level/rup``); ``path`` is its
    file under ``terminarz feed --out`` (``level/rup.ics``). Ids must be
    :data:`SAFE_ID` — they become file names and URL segments.
    """

    kind: ScopeKind
    id: str = ""
    title: str

    def __post_init__(self) -> None:
        if (self.kind is ScopeKind.ALL) != (self.id == ""):
            raise ValueError("only the 'all' feed has no id")
        if self.id and not SAFE_ID.match(self.id):
            raise ValueError(f"feed id {self.id!r} is not a safe file name")

    @property
    def key(self) -> str:
        return "all" if self.kind is ScopeKind.ALL else f"{self.kind}/{self.id}"

    @property
    def path(self) -> str:
        return f"{self.key}.ics"

    @property
    def public(self) -> bool:
        return self.kind is not ScopeKind.PERSON


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedSet:
    """What one generation publishes: the scopes and each one's items (sorted by due, key)."""

    namespace: str
    name: str
    start: date
    end: date
    scopes: tuple[FeedScope, ...]
    items: Mapping[str, tuple[FeedItem, ...]] = field(default_factory=dict)

    def scope(self, key: str) -> FeedScope | None:
        for scope in self.scopes:
            if scope.key == key:
                return scope
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedFeed:
    """A feed's bytes, what HTTP caching needs, and the events as published (cancelled too)."""

    scope: FeedScope
    body: bytes
    etag: str
    modified: datetime
    events: tuple[PublishedEvent, ...]


# -- the horizon --------------------------------------------------------------------------


def horizon(today: date, settings: FeedSettings) -> tuple[date, date]:
    """``months_back`` before ``today`` to ``months_ahead`` after it (same day, clamped)."""
    return shift_months(today, -settings.months_back), shift_months(today, settings.months_ahead)


def shift_months(day: date, months: int) -> date:
    """``day`` moved by whole months; the 31st becomes the month's last day where needed."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    following = date(year + (month == 11), (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (following - timedelta(days=1)).day))


# -- confirmations (written by ``terminarz done`` and the confirmation page) ---------------------


def confirmation_line(confirmation: Confirmation, names: Mapping[str, str]) -> str:
    """``Wysłano: potwierdził(a) Anna Nowak, 3 lutego 2026 r., godz. 10:15.``"""
    when = confirmation.at
    try:
        moment = datetime.fromisoformat(confirmation.at)
    except ValueError:
        pass
    else:
        if moment.tzinfo is not None:
            from zoneinfo import ZoneInfo

            moment = moment.astimezone(ZoneInfo(TIMEZONE))
            when = f"{date_words(moment.date())}, godz. {moment:%H:%M}"
        else:
            when = date_words(moment.date())
    if confirmation.by:
        line = f"Wysłano: potwierdził(a) {names.get(confirmation.by, confirmation.by)}, {when}."
    else:
        line = f"Wysłano: potwierdzono {when}."
    if confirmation.note:
        line += f" Uwagi: {confirmation.note}"
    return line


# -- items -----------------------------------------------------------------------------------


def alarm_minutes(settings: FeedSettings) -> int:
    """Minutes before the start of the due day: 09:00 ``alarm_days`` days before (may be < 0)."""
    return settings.alarm_days * 24 * 60 - ALARM_HOUR * 60


def event_summary(label: str, level: str, recipients: Sequence[str], period: str = "") -> str:
    """``MPiPS-01 Dział 1: rup → wup za grudzień 2025 r.`` — the report, who submits it and to
    whom (the event title in the feeds and in the event attached to a mail)."""
    head = f"{label}: {level} → {', '.join(recipients) or '—'}"
    return f"{head} {period}" if period else head


def occurrence_summary(occ: Occurrence) -> str:
    """``MPiPS-01 Dział 1: rup → wup za grudzień 2025 r.``, with "(termin wg komunikatu — do
    sprawdzenia)" when the date does not come from the text of an act. The event's UID
    does not depend on it: a changed title updates the event, never duplicates it."""
    ob = occ.obligation
    mark = f" ({occ.grade.mark})" if occ.grade.mark else ""
    return event_summary(ob.label, ob.level, ob.recipients, occ.period.for_words()) + mark


def occurrence_lines(
    occ: Occurrence, catalogues: CatalogueSet, calendar: WorkingCalendar
) -> list[str]:
    """The description of an occurrence: what, who to whom, period, date and why, basis."""
    ob = occ.obligation
    period = occ.period
    mark = f" — {occ.grade.mark}" if occ.grade.mark else ""
    lines = [
        f"{ob.label} — {ob.title}",
        f"Kto → komu: {parties_line(ob, catalogues.parties)}",
        f"Okres: {period.for_words()} ({period.first_day:%d.%m.%Y}–{period.last_day:%d.%m.%Y})",
        f"Termin: {long_date(occ.due)}{mark}",
        f"Jak obliczono: {short_explanation(occ, trail(occ, calendar))}",
        citation_lines(ob)[0],
    ]
    if occ.announced is not None:
        lines += occ.announced.lines()[:3]
        planning = planning_day(occ, calendar)
        if planning is not None:
            lines.append(f"Termin ogłoszony nie jest przesuwany z dnia wolnego; planować na "
                         f"{long_date(planning)}")  # fmt: skip
    elif ob.source is not None and ob.source.grade.needs_check:
        lines.append(f"Źródło: {ob.source.grade.polish} — {', '.join(ob.source.where)}")
    if occ.from_repealed_act:
        lines.append(f"Uwaga: obowiązek z aktu, który utracił moc ({ob.act.repeal_words()})")
    return lines


def id_line(key: str) -> str:
    return f"Identyfikator: {key} (szczegóły: terminarz explain {key.split('#')[0]})"


def occurrence_item(
    item: PlannedOccurrence,
    setup: Setup,
    *,
    alarm: int | None,
    confirmation: Confirmation | None = None,
) -> FeedItem:
    """The event of one occurrence: with the responsible people when there is an organisation."""
    occ = item.occurrence
    organisation = setup.organisation
    lines = occurrence_lines(occ, setup.catalogues, setup.statutory)
    summary = occurrence_summary(occ)
    responsible: tuple[str, ...] = ()
    if organisation is not None:
        lines += responsibility_lines(item, organisation)
        if item.resolution is not None:
            responsible = item.resolution.owners
            if item.resolution.needs_designation:
                summary += " — wymaga wyznaczenia"
            elif item.resolution.substitute:
                summary += " — zastępstwo"
        if item.planning_date is not None:
            lines.append(planning_line(occ.due, item.planning_date, setup))
        for task in item.tasks:
            lines.append(f"{task_title(task, item)}: do {date_words(task.due)}")
    if confirmation is not None:
        summary = CONFIRMED_MARK + summary
        lines.append(confirmation_line(confirmation, _names(organisation)))
        alarm = None
    lines.append(id_line(occ.id))
    return FeedItem(
        key=occ.id, due=occ.due, summary=summary, description="\n".join(lines),
        categories=(occ.obligation.form, occ.obligation.level), responsible=responsible,
        alarm_minutes=alarm,
    )  # fmt: skip


def responsibility_lines(item: PlannedOccurrence, organisation: Organisation) -> list[str]:
    """``Odpowiada: …``, with the substitute tier, the designation or the fallback."""
    resolution = item.resolution
    if item.duty is None or resolution is None:
        return ["Odpowiada: nikt — obowiązek nie ma przypisania w [[duties]] pliku organizacji"]
    fallback = _person(organisation, resolution.fallback)
    if resolution.needs_designation:
        return [f"Odpowiada: wymaga wyznaczenia — nikt z upoważnionych nie jest dostępny; "
                f"{fallback} wyznacza inną osobę (na podstawie "
                f"{organisation.designation_basis})"]  # fmt: skip
    people = ", ".join(_person(organisation, p) for p in resolution.responsible)
    if resolution.designation is not None:
        lines = [f"Odpowiada: {people} — wyznaczenie: {resolution.designation.basis}"]
    elif resolution.substitute:
        lines = [f"Odpowiada: {people} — zastępstwo (grupa zastępcza nr {resolution.tier})"]
    else:
        lines = [f"Odpowiada: {people}"]
    if resolution.unavailable:
        away = ", ".join(_person(organisation, p) for p in resolution.unavailable)
        lines.append(f"Nieobecni w okresie przygotowania: {away}")
    substitutes = [p for tier in item.duty.tiers[(resolution.tier or 0) + 1 :] for p in tier]
    if substitutes and resolution.designation is None:
        lines.append("Zastępstwo: " + ", ".join(_person(organisation, p) for p in substitutes))
    return lines


def planning_line(due: date, planning: date, setup: Setup) -> str:
    reason = setup.institution.day_info(due).reason()
    return (f"Data planowana: {long_date(planning)} — instytucja nie pracuje w dniu terminu "
            f"({reason})")  # fmt: skip


def task_title(task: Task, item: PlannedOccurrence) -> str:
    """``Prośba o dane do MPiPS-03 za 2025 r. (Dział Organizacji, Kadr i Płac)``"""
    from terminarz.org.datarequests import TaskKind

    occ = item.occurrence
    what = "Prośba o dane" if task.kind is TaskKind.REQUEST else "Dostarczenie danych"
    return f"{what} do {occ.obligation.label} {occ.period.for_words()} ({task.unit_name})"


def task_item(
    task: Task,
    item: PlannedOccurrence,
    setup: Setup,
    *,
    alarm: int | None,
    confirmation: Confirmation | None = None,
) -> FeedItem:
    """The event of an internal task (II.4): send the written request, or deliver the data."""
    from terminarz.org.datarequests import TaskKind

    organisation = setup.organisation
    assert organisation is not None
    occ = item.occurrence
    ob = occ.obligation
    owners = ", ".join(_person(organisation, p) for p in task.owners)
    if task.kind is TaskKind.REQUEST:
        what = (f"Wysłać pisemną prośbę o dane ({task.data}) do: {task.unit_name}, "
                f"z terminem dostarczenia")  # fmt: skip
    else:
        what = f"Dostarczyć dane ({task.data}) do sprawozdania {ob.label}"
    lines = [
        what,
        f"Sprawozdanie: {ob.label} — {ob.title}, {occ.period.for_words()}",
        f"Termin sprawozdania: {long_date(occ.due)}",
        f"Termin zadania: {long_date(task.due)}",
        f"Odpowiada: {owners}" if owners else f"Odpowiada: {task.email or task.unit_name}",
        f"Na podstawie {organisation.request_basis}",
    ]
    if task.planning_date is not None:
        lines.append(planning_line(task.due, task.planning_date, setup))
    summary = task_title(task, item)
    if confirmation is not None:
        summary = CONFIRMED_MARK + summary
        lines.append(confirmation_line(confirmation, _names(organisation)))
        alarm = None
    lines.append(id_line(task.id))
    return FeedItem(
        key=task.id, due=task.due, summary=summary, description="\n".join(lines),
        categories=(ob.form, ob.level, "dane"), responsible=task.owners, alarm_minutes=alarm,
    )  # fmt: skip


def find_date_item(
    item: PendingOccurrence,
    setup: Setup,
    *,
    alarm: int | None,
    confirmation: Confirmation | None = None,
) -> FeedItem:
    """The event of a ``#termin`` task: a task (find out the date), not a deadline."""
    task = item.task
    organisation = setup.organisation
    assert task is not None and organisation is not None
    waiting = item.undated
    ob = waiting.obligation
    owners = ", ".join(_person(organisation, p) for p in task.owners)
    summary = "Ustalić termin: " + event_summary(ob.label, ob.level, ob.recipients,
                                                 waiting.period.for_words())  # fmt: skip
    lines = [
        "Zadanie: ustalić termin sprawozdania — data nie została jeszcze ogłoszona "
        "(to nie jest termin sprawozdania).",
        f"Sprawozdanie: {ob.label} — {ob.title}, {waiting.period.for_words()}",
        f"Kiedy zwykle: {waiting.window_words()}",
        f"Termin zadania: {long_date(task.due)}",
        f"Odpowiada: {owners or '—'}",
        f"Źródło reguły: {ob.grade.polish}",
        "Ogłoszony termin należy wpisać w pliku terminów instytucji ([[announced]]).",
    ]
    if task.planning_date is not None:
        lines.append(planning_line(task.due, task.planning_date, setup))
    if confirmation is not None:
        summary = CONFIRMED_MARK + summary
        lines.append(confirmation_line(confirmation, _names(organisation)))
        alarm = None
    lines.append(id_line(task.id))
    return FeedItem(
        key=task.id, due=task.due, summary=summary, description="\n".join(lines),
        categories=(ob.form, ob.level, "ustalenie terminu"), responsible=task.owners,
        alarm_minutes=alarm,
    )  # fmt: skip


def build_feed_set(
    setup: Setup,
    planned: Sequence[PlannedOccurrence],
    *,
    start: date,
    end: date,
    settings: FeedSettings,
    confirmations: Mapping[str, Confirmation] | None = None,
    pending: Sequence[PendingOccurrence] = (),
) -> FeedSet:
    """Every feed of ``setup``: ``all``, one per level, and with an organisation one per unit
    and one per person.

    ``planned`` may reach past ``end`` (so that tasks before a later due date are
    found): occurrences are kept when due in [start, end], tasks when their own
    date is. ``pending`` are periods without a date: their ``#termin`` tasks are
    kept when dated in [start, end]. A person's feed holds what they are responsible
    for (as a substitute, by designation, or as the fallback asked to designate) and
    the tasks they own;
    a unit's feed what its members act on, the data it delivers and its reports handed over
    to another unit (marked, see :func:`handed_over_items`).
    """
    confirmations = confirmations or {}
    organisation = setup.organisation
    alarm = alarm_minutes(settings)
    occurrences: list[tuple[PlannedOccurrence, FeedItem]] = []
    tasks: list[tuple[Task, FeedItem]] = []
    for item in planned:
        occ = item.occurrence
        confirmed = confirmations.get(occ.id)
        if start <= occ.due <= end:
            occurrences.append((item, occurrence_item(item, setup, alarm=alarm,
                                                      confirmation=confirmed)))  # fmt: skip
        for task in item.tasks:
            if start <= task.due <= end:
                done = confirmations.get(task.id) or confirmed
                tasks.append((task, task_item(task, item, setup, alarm=alarm, confirmation=done)))
    for waiting in pending:
        if waiting.task is not None and start <= waiting.task.due <= end:
            done = confirmations.get(waiting.task.id)
            tasks.append((waiting.task, find_date_item(waiting, setup, alarm=alarm,
                                                       confirmation=done)))  # fmt: skip

    by_scope: dict[str, tuple[FeedItem, ...]] = {}
    scopes: list[FeedScope] = []

    def add(scope: FeedScope, items: Iterable[FeedItem]) -> None:
        scopes.append(scope)
        by_scope[scope.key] = sorted_items(items)

    add(FeedScope(kind=ScopeKind.ALL, title="wszystkie terminy"),
        [i for _, i in occurrences] + [i for _, i in tasks])  # fmt: skip
    parties = setup.catalogues.parties
    levels = sorted({o.level for o in setup.obligations})
    for level in levels:
        party = parties.get(level)
        title = f"{party.name} ({level})" if party else level
        add(_scope(ScopeKind.LEVEL, level, title),
            [i for p, i in occurrences if p.occurrence.obligation.level == level])  # fmt: skip
    if organisation is None:
        return FeedSet(
            namespace="katalog", name="Terminy sprawozdawcze", start=start, end=end,
            scopes=tuple(scopes), items=by_scope,
        )  # fmt: skip
    for unit in organisation.units:
        members = {p.id for p in organisation.people if p.unit == unit.id}
        add(_scope(ScopeKind.UNIT, unit.id, unit.name),
            [i for p, i in occurrences if members.intersection(p.owners)]
            + handed_over_items(occurrences, unit.id, members)
            + [i for t, i in tasks if members.intersection(t.owners) or _delivers(t, unit.id)])
    for person in organisation.people:
        add(_scope(ScopeKind.PERSON, person.id, person.name),
            [i for p, i in occurrences if person.id in p.owners]
            + [i for t, i in tasks if person.id in t.owners])  # fmt: skip
    return FeedSet(
        namespace=organisation.id, name=settings.short_name or organisation.name,
        start=start, end=end,
        scopes=tuple(scopes), items=by_scope,
    )  # fmt: skip


# -- a unit's reports handed over to another unit: its head keeps seeing them ------------------


def handed_over_items(
    occurrences: Sequence[tuple[PlannedOccurrence, FeedItem]], unit_id: str, members: set[str]
) -> list[FeedItem]:
    """The events of ``unit_id``'s reports now handled by another unit (a substitute tier, a
    designation, or the fallback asked to designate), for the unit's feed: the title says
    ``przekazane: zastępstwo — Dział …`` instead of the plain status, no alarm (the unit is
    not the one to act)."""
    from dataclasses import replace

    found = []
    for item, event in occurrences:
        handover = item.handed_over_from(unit_id)
        if handover is None or members.intersection(item.owners):
            continue
        summary = event.summary
        for status in (" — zastępstwo", " — wymaga wyznaczenia"):
            summary = summary.removesuffix(status)
        lines = event.description.split("\n")
        lines.insert(len(lines) - 1, f"Sprawozdanie działu {handover.words}; w kalendarzu działu "
                     "pozostaje do wiadomości, bez przypomnienia")  # fmt: skip
        found.append(replace(event, summary=f"{summary} — {handover.words}",
                             description="\n".join(lines), alarm_minutes=None))  # fmt: skip
    return found


def plan_end(setup: Setup, end: date) -> date:
    """How far to plan so that every task dated up to ``end`` is found (its report is later)."""
    organisation = setup.organisation
    if organisation is None:
        return end
    longest = max((i.request_days for d in organisation.duties for i in d.inputs), default=0)
    longest = max([longest, *(i.deliver_days for d in organisation.duties for i in d.inputs)])
    if longest == 0:
        return end
    return min(setup.statutory.add_working_days(end, longest + 1), date(2100, 12, 31))


def feed_set_for(
    setup: Setup,
    *,
    today: date,
    start: date | None = None,
    end: date | None = None,
    confirmations: Mapping[str, Confirmation] | None = None,
) -> FeedSet:
    """Plan ``setup`` over the horizon (default: its ``[feeds]`` settings); build the feeds."""
    from terminarz.org.plan import pending_tasks, plan
    from terminarz.settings import FeedSettings

    settings = setup.organisation.settings.feeds if setup.organisation else FeedSettings()
    default_start, default_end = horizon(today, settings)
    start = start or default_start
    end = end or default_end
    setup = setup.in_force(start, end)
    planned = plan(setup, start, plan_end(setup, end), today=today)
    pending = pending_tasks(setup, start, end, today=today)
    return build_feed_set(setup, planned, start=start, end=end, settings=settings,
                          confirmations=confirmations, pending=pending)  # fmt: skip


def with_reporting_counts(feed_set: FeedSet, counts: Mapping[str, str],
                          extra: Sequence[FeedItem] = ()) -> FeedSet:  # fmt: skip
    """An upper level's feeds with what its reporters sent: each event keyed in ``counts``
    (its own occurrence, ``sr@uw/2026-Q4``) gets the line "Sprawozdania jednostek: wpłynęło
    12 z 150; po terminie 3", and every person's feed gets the ``extra`` events (the
    reporters' deadlines with the same counts)."""
    if not counts and not extra:
        return feed_set
    from dataclasses import replace

    items: dict[str, tuple[FeedItem, ...]] = {}
    for scope in feed_set.scopes:
        found = tuple(
            replace(i, description=f"{i.description}\nSprawozdania jednostek: {counts[i.key]}")
            if i.key in counts else i for i in feed_set.items.get(scope.key, ())
        )  # fmt: skip
        items[scope.key] = sorted_items((*found, *extra)) if scope.kind is ScopeKind.PERSON \
            else found  # fmt: skip
    return replace(feed_set, items=items)


def _scope(kind: ScopeKind, scope_id: str, title: str) -> FeedScope:
    if not SAFE_ID.match(scope_id):
        what = {ScopeKind.LEVEL: "poziomu", ScopeKind.UNIT: "działu"}.get(kind, "osoby")
        raise TerminarzError(
            f"identyfikator {what} „{scope_id}” nie nadaje się na nazwę kalendarza: może "
            "zawierać tylko litery łacińskie, cyfry, „.”, „_” i „-” (najwyżej 100 znaków)"
        )
    return FeedScope(kind=kind, id=scope_id, title=title)


def _delivers(task: Task, unit_id: str) -> bool:
    from terminarz.org.datarequests import TaskKind

    return task.kind is TaskKind.DELIVER and task.unit == unit_id


def _person(organisation: Organisation, person_id: str) -> str:
    return organisation.person_name(person_id)


def _names(organisation: Organisation | None) -> Mapping[str, str]:
    if organisation is None:
        return {}
    return {p.id: p.name for p in organisation.people}


# -- generation ----------------------------------------------------------------------------


def generate(
    feed_set: FeedSet,
    memory: PublicationMemory,
    *,
    now: datetime,
    renderer: FeedRenderer | None = None,
    only: Iterable[str] | None = None,
) -> dict[str, RenderedFeed]:
    """Stamp, render and record every feed (or the scopes keyed in ``only``).

    The memory keeps each feed under ``<namespace>|<scope key>`` (``mopr|person/anna``),
    so the bundled catalogues and organisations can share one state database.
    """
    renderer = renderer or FeedRenderer()
    wanted = set(only) if only is not None else None
    scopes = [s for s in feed_set.scopes if wanted is None or s.key in wanted]
    memory_key = {s.key: f"{feed_set.namespace}|{s.key}" for s in scopes}
    published = memory.publish(
        {memory_key[s.key]: feed_set.items.get(s.key, ()) for s in scopes},
        start=feed_set.start, end=feed_set.end, now=now,
    )  # fmt: skip
    shared: dict[str, tuple[str, bytes]] = {}
    bodies: dict[str, bytes] = {}
    fresh: dict[str, dict[str, Rendering]] = {}
    for s in scopes:
        body, renderings = renderer.render(s, published[memory_key[s.key]],
                                           namespace=feed_set.namespace, name=feed_set.name,
                                           shared=shared)  # fmt: skip
        bodies[s.key] = body
        if renderings:
            fresh[memory_key[s.key]] = renderings
    memory.store_renderings(fresh)
    digests = {key: hashlib.sha256(body).hexdigest() for key, body in bodies.items()}
    modified = memory.feeds_modified({memory_key[k]: d for k, d in digests.items()}, now=now)
    return {
        s.key: RenderedFeed(
            scope=s, body=bodies[s.key], etag=f'"{digests[s.key][:32]}"',
            modified=modified[memory_key[s.key]], events=published[memory_key[s.key]].events,
        )
        for s in scopes
    }


def write_feed_files(rendered: Mapping[str, RenderedFeed], out_dir: Path) -> int:
    """Write each feed to ``out_dir/<scope path>``; return how many files changed.

    A file is replaced atomically (a temporary file renamed over it) and only when
    its bytes differ, so a static web server's validators change only with the content.
    """
    from terminarz.files import update_file

    changed = 0
    for feed in rendered.values():
        target = out_dir / feed.scope.path
        try:
            changed += update_file(target, feed.body)  # nothing half-written is left behind
        except OSError as exc:
            message = f"nie można zapisać pliku: {exc.strerror or exc}"
            raise TerminarzError(message, path=target) from None
    return changed


# -- iCalendar ---------------------------------------------------------------------------------


def event_uid(namespace: str, scope: FeedScope, key: str) -> str:
    """Stable per (feed, item): the same occurrence in two feeds must not collide in a client."""
    return f"{uuid.uuid5(_UID_NAMESPACE, f'{namespace}|{scope.key}|{key}')}@terminarz"


def calendar_uid(namespace: str, scope: FeedScope) -> str:
    return f"{uuid.uuid5(_UID_NAMESPACE, f'{namespace}|{scope.key}')}@terminarz"


def calendar_name(name: str, scope: FeedScope) -> str:
    """``Terminy sprawozdawcze — ośrodek pomocy społecznej w gminie (ops)``"""
    return f"{name} — {scope.title}"


def render_feed(scope: FeedScope, feed: PublishedFeed, *, namespace: str, name: str) -> bytes:
    """The feed as iCalendar bytes (CRLF, lines folded at 75 octets by ``icalendar``)."""
    cal = _calendar(scope, namespace=namespace, name=name)
    for published in feed.events:
        cal.add_component(_event(scope, published, namespace=namespace))
    body: bytes = cal.to_ical()
    return body


class FeedRenderer:
    """:func:`render_feed` reusing each event's bytes kept in the publication memory.

    Serialising an event with ``icalendar`` costs about 0.4 ms, so a server that
    regenerates a feed after one confirmation, or a nightly ``terminarz feed``,
    would redo hundreds of unchanged events. The memory keeps every event's
    bytes with a *rendering key* — a digest of the event's content fingerprint,
    SEQUENCE, CREATED, DTSTAMP/LAST-MODIFIED, status and UID and of
    :meth:`version` (the icalendar version, :data:`RENDERING_FORMAT` and a probe
    rendering) — and ``icalendar`` serialises only events whose key differs.

    Within one generation an event rendered for one feed is reused for another
    feed holding the same item with the same content and stamps: only its UID
    differs, and that content line (rendered by ``icalendar`` for both UIDs,
    never folded) is swapped. The result is always the bytes of
    :func:`render_feed` (a calendar's serialisation is its header, its events'
    serialisations in order, and ``END:VCALENDAR``); tests check it.
    """

    def __init__(self) -> None:
        self._version: str | None = None

    def version(self) -> str:
        """What, besides an event's own data, its bytes depend on (computed once)."""
        if self._version is None:
            self._version = _rendering_version()
        return self._version

    def render(
        self,
        scope: FeedScope,
        feed: PublishedFeed,
        *,
        namespace: str,
        name: str,
        shared: dict[str, tuple[str, bytes]] | None = None,
    ) -> tuple[bytes, dict[str, Rendering]]:
        """The feed's bytes, and the renderings made now (by item key) for the memory to keep.

        ``shared`` (content key → UID and bytes) lets the feeds of one generation
        reuse each other's events; pass the same dict for all of them.
        """
        head: bytes = _calendar(scope, namespace=namespace, name=name).to_ical()
        if not head.endswith(_END):
            raise AssertionError("icalendar did not end the calendar with END:VCALENDAR")
        version = self.version()
        shared = {} if shared is None else shared
        fresh: dict[str, Rendering] = {}
        chunks = []
        for published in feed.events:
            item = published.item
            uid = event_uid(namespace, scope, item.key)
            content = _content_key(version, published)
            key = hashlib.sha256(f"{content}\x1f{uid}".encode()).hexdigest()[:32]
            stored = feed.renderings.get(item.key)
            if stored is not None and stored.key == key:
                chunk = stored.body
            else:
                reused = _reuse(shared.get(content), uid)
                chunk = reused or _event(scope, published, namespace=namespace).to_ical()
                fresh[item.key] = Rendering(key=key, body=chunk)
            shared.setdefault(content, (uid, chunk))
            chunks.append(chunk)
        return head[: -len(_END)] + b"".join(chunks) + _END, fresh


_END = b"END:VCALENDAR\r\n"
RENDERING_FORMAT = "1"
"""Part of every stored rendering's key: bump it when :func:`_event` changes what it writes
(the probe in :func:`_rendering_version` catches most such changes anyway)."""


def _content_key(version: str, published: PublishedEvent) -> str:
    """Everything an event's bytes are made of, except its UID."""
    item = published.item
    return "\x1f".join((
        version, item.key, item.fingerprint(), str(published.sequence),
        published.created.isoformat(), published.modified.isoformat(),
        "cancelled" if published.cancelled else "",
    ))  # fmt: skip


def _rendering_version() -> str:
    """The icalendar version, :data:`RENDERING_FORMAT` and the bytes of two probe events.

    A change in how events are written — a new icalendar, a changed
    :func:`_event` or Polish date format — changes the probe, so every stored
    rendering is redone once.
    """
    import icalendar

    stamp = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    item = FeedItem(key="probe@ops/2026-01", due=date(2026, 2, 27),
                    summary="Próba; zażółć gęślą jaźń, \\ test " + "x" * 60,
                    description="Wiersz 1\nWiersz 2; przecinek, ukośnik \\ " + "ą" * 80,
                    categories=("A,B", "ops"), responsible=("p",), alarm_minutes=2340)  # fmt: skip
    scope = FeedScope(kind=ScopeKind.PERSON, id="probe", title="Próba")
    probe = [
        _event(scope, PublishedEvent(item=item, sequence=3, created=stamp, modified=stamp,
                                     cancelled=cancelled), namespace="probe").to_ical()
        for cancelled in (False, True)
    ]  # fmt: skip
    digest = hashlib.sha256(b"\x1f".join([icalendar.__version__.encode(),
                                          RENDERING_FORMAT.encode(), *probe]))  # fmt: skip
    return digest.hexdigest()[:16]


def _reuse(found: tuple[str, bytes] | None, uid: str) -> bytes | None:
    """``found`` (another feed's event: its UID and bytes) with ``uid`` instead; None if unsafe."""
    if found is None:
        return None
    other, chunk = found
    if other == uid:
        return chunk
    old = b"\r\n" + _uid_line(other) + b"\r\n"
    if chunk.count(old) != 1:
        return None
    return chunk.replace(old, b"\r\n" + _uid_line(uid) + b"\r\n")


def _uid_line(uid: str) -> bytes:
    """The ``UID`` content line of an event, as ``icalendar`` writes it."""
    from icalendar import Event

    event = Event()
    event.uid = uid
    line: bytes = event.content_line("UID", event["UID"]).to_ical()
    return line


def _calendar(scope: FeedScope, *, namespace: str, name: str) -> Calendar:
    from icalendar import Calendar, vDuration, vText

    title = calendar_name(name, scope)
    description = (f"{title}. Terminy obowiązków sprawozdawczych z terminarza. "
                   "Przypomnienia wysyła terminarz pocztą elektroniczną.")  # fmt: skip
    cal = Calendar.new(prodid=PRODID, method="PUBLISH", calscale="GREGORIAN",
                       uid=calendar_uid(namespace, scope))  # fmt: skip
    # NAME and DESCRIPTION are TEXT (RFC 7986): escaped. icalendar treats NAME as an
    # unknown property and would write it raw; X-WR-CALNAME and X-WR-CALDESC stay raw,
    # as every client (and both icalendar and ical) reads them.
    cal.add("NAME", vText(title))
    cal.add("X-WR-CALNAME", title)
    cal.add("DESCRIPTION", vText(description))
    cal.add("X-WR-CALDESC", description)
    # icalendar omits VALUE=DURATION on REFRESH-INTERVAL (RFC 7986 §5.7 requires it) and
    # writes a timedelta X-PUBLISHED-TTL as "12:00:00": both set by hand.
    cal.add("REFRESH-INTERVAL", vDuration(REFRESH, params={"VALUE": "DURATION"}))
    cal.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    cal.add("X-WR-TIMEZONE", TIMEZONE)
    return cal


def _event(scope: FeedScope, published: PublishedEvent, *, namespace: str) -> Event:
    from icalendar import STATUS, TRANSP, Alarm, Event

    item = published.item
    summary = item.summary
    description = item.description
    if published.cancelled:
        summary = CANCELLED_PREFIX + summary
        description = (
            "To wydarzenie nie jest już aktualne w tym kalendarzu: obowiązek usunięto, "
            "przestał obowiązywać albo przeszedł na inną osobę.\n\n" + description
        )
    event = Event.new(
        uid=event_uid(namespace, scope, item.key),
        stamp=published.modified,
        created=published.created,
        last_modified=published.modified,
        sequence=published.sequence,
        start=item.due,
        end=item.due + timedelta(days=1),
        summary=summary,
        description=description,
        categories=list(item.categories),
        transparency=TRANSP.TRANSPARENT,
        status=STATUS.CANCELLED if published.cancelled else STATUS.CONFIRMED,
    )
    if item.alarm_minutes is not None and not published.cancelled:
        event.add_component(
            Alarm.new_display(
                description=f"{item.summary} — termin {date_words(item.due)}",
                trigger=-timedelta(minutes=item.alarm_minutes),
            )
        )
    return event


def sorted_items(items: Iterable[FeedItem]) -> tuple[FeedItem, ...]:
    return tuple(sorted(items, key=lambda i: (i.due, i.key)))

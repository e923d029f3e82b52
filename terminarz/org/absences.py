"""Absences read from iCalendar sources (e.g. an HR leave calendar export).

Every event of a source becomes an :class:`~terminarz.org.organisation.Absence` of
the person it names: by an ``ATTENDEE``/``ORGANIZER`` e-mail, by the person's
id or full name in the ``SUMMARY``, or either (``match``). All-day, timed,
multi-day and recurring events (RRULE, RDATE, EXDATE, via
``recurring-ical-events``) are understood; cancelled and free (``TRANSP:
TRANSPARENT``) events are not absences. A timed event counts for every
calendar day it touches in the organisation's time zone; one ending exactly
at midnight does not touch the next day.

A source that cannot be read or parsed raises :class:`TerminarzError` naming
it; with ``on_error = "skip"`` the caller turns that into a warning and goes
on with the other sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from terminarz.errors import Problem, Severity, TerminarzError
from terminarz.org.organisation import Absence, AbsenceSource, OnError, Organisation, SourceMatch

MAX_SOURCE_BYTES = 20_000_000


def read_source_bytes(source: AbsenceSource) -> bytes:
    """The raw bytes of a file or an http(s) URL; :class:`TerminarzError` on any failure."""
    if source.is_url:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(source.source, headers={"User-Agent": "terminarz"})
        try:
            with urllib.request.urlopen(request, timeout=source.timeout) as response:
                raw: bytes = response.read(MAX_SOURCE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise TerminarzError(
                f"nie można pobrać kalendarza nieobecności {source.source}: HTTP {exc.code}"
            ) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TerminarzError(
                f"nie można pobrać kalendarza nieobecności {source.source}: {reason}"
            ) from None
    else:
        path = Path(source.location())
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise TerminarzError("kalendarz nieobecności nie istnieje", path=path) from None
        except OSError as exc:
            raise TerminarzError(
                f"nie można odczytać kalendarza nieobecności ({exc.strerror})", path=path
            ) from None
    if len(raw) > MAX_SOURCE_BYTES:
        raise TerminarzError(
            f"kalendarz nieobecności {source.location()} jest zbyt duży (ponad {MAX_SOURCE_BYTES} "
            "bajtów)"
        )
    return raw


def parse_absences(
    raw: bytes,
    source: AbsenceSource,
    organisation: Organisation,
    *,
    window: tuple[date, date] | None = None,
) -> list[Absence]:
    """Absences in iCalendar ``raw``; recurring events are expanded within ``window``.

    Without ``window`` the expansion runs from the earliest event start to three
    years after the latest one. Events naming nobody are ignored.
    """
    import icalendar
    import recurring_ical_events  # type: ignore[import-untyped]

    label = source.location()
    path = None if source.is_url else Path(label)
    try:
        calendar = icalendar.Calendar.from_ical(raw)
    except Exception as exc:  # icalendar raises ValueError, KeyError, IndexError, …
        raise TerminarzError(
            f"kalendarz nieobecności nie jest poprawnym plikiem iCalendar ({_short(exc)})",
            path=path,
        ) from None
    if isinstance(calendar, list):  # several VCALENDARs in one file
        calendar = calendar[0]
    zone = _zone(organisation.timezone)
    try:
        if window is None:
            starts = [_day(e.get("DTSTART").dt, zone) for e in calendar.walk("VEVENT")
                      if e.get("DTSTART") is not None]  # fmt: skip
            if not starts:
                return []
            window = (min(starts), max(starts) + timedelta(days=3 * 366))
        # A day of margin on each side: a timed event's UTC date may differ from the local one.
        events = recurring_ical_events.of(calendar).between(
            window[0] - timedelta(days=1), window[1] + timedelta(days=2)
        )
    except Exception as exc:
        raise TerminarzError(
            f"nie można odczytać wydarzeń kalendarza nieobecności ({_short(exc)})", path=path
        ) from None
    people = organisation.people
    by_email = {p.email.casefold(): p.id for p in people}
    absences = []
    for event in events:
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
            continue
        try:
            start, end = _span(event, zone)
        except (AttributeError, TypeError, ValueError):
            continue
        if end < window[0] or start > window[1]:
            continue
        summary = str(event.get("SUMMARY", "")).strip()
        for person in _people_of(event, summary, source.match, by_email, organisation):
            absences.append(Absence(
                person=person, start=start, end=end,
                reason=source.reason or summary or "nieobecność", source=_source_name(source),
            ))  # fmt: skip
    absences.sort(key=lambda a: (a.person, a.start, a.end))
    return absences


def load_source_absences(
    organisation: Organisation, *, window: tuple[date, date] | None = None
) -> tuple[list[Absence], list[Problem]]:
    """Absences of every source; a failing source raises, or is a warning with ``skip``.

    The error names the organisation file and the ``[[absence_sources]]`` entry,
    and its message the source itself (file path or URL).
    """
    absences: list[Absence] = []
    problems: list[Problem] = []
    for index, source in enumerate(organisation.absence_sources):
        try:
            raw = read_source_bytes(source)
            absences.extend(parse_absences(raw, source, organisation, window=window))
        except TerminarzError as exc:
            line = _source_line(organisation, index)
            if source.on_error is OnError.FAIL:
                raise TerminarzError(
                    str(exc), path=organisation.path, line=line, entry=source.source,
                    field="source",
                ) from None  # fmt: skip
            problems.append(Problem(
                message=f"{exc} — pominięto to źródło (on_error = \"skip\")",
                path=organisation.path, line=line, entry=source.source, field="source",
                severity=Severity.WARNING,
            ))  # fmt: skip
    return absences, problems


def _source_line(organisation: Organisation, index: int) -> int | None:
    from terminarz.tomlcheck import LineIndex

    path = organisation.path
    try:
        text = path.read_text(encoding="utf-8") if path is not None else ""
    except (OSError, UnicodeDecodeError):
        return None
    return LineIndex(text).key("absence_sources", index, "source")


def _source_name(source: AbsenceSource) -> str:
    return source.source if source.is_url else Path(source.source).name


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "…"


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _day(value: Any, zone: Any) -> date:
    if isinstance(value, datetime):
        local = value.astimezone(zone) if value.tzinfo is not None else value
        return local.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"not a date: {value!r}")


def _span(event: Any, zone: Any) -> tuple[date, date]:
    """First and last calendar day (inclusive) of an event instance."""
    start_value = event["DTSTART"].dt
    end_prop = event.get("DTEND")
    if end_prop is not None:
        end_value = end_prop.dt
    elif event.get("DURATION") is not None:
        end_value = start_value + event["DURATION"].dt
    else:
        end_value = None
    start = _day(start_value, zone)
    if end_value is None:
        return start, start
    if isinstance(end_value, datetime):
        local = end_value.astimezone(zone) if end_value.tzinfo is not None else end_value
        end = local.date()
        if local.time() == datetime.min.time() and end > start:
            end -= timedelta(days=1)  # ends at midnight: the day before is the last
    else:
        end = end_value - timedelta(days=1)  # DTEND of an all-day event is exclusive
    return start, max(start, end)


def _addresses(event: Any) -> Iterable[str]:
    for key in ("ATTENDEE", "ORGANIZER"):
        value = event.get(key)
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            text = str(item).strip()
            if text.lower().startswith("mailto:"):
                text = text[7:]
            yield text.casefold()


def _people_of(
    event: Any,
    summary: str,
    match: SourceMatch,
    by_email: dict[str, str],
    organisation: Organisation,
) -> list[str]:
    found: list[str] = []
    if match in (SourceMatch.ATTENDEE, SourceMatch.ANY):
        for address in _addresses(event):
            person = by_email.get(address)
            if person is not None and person not in found:
                found.append(person)
    if found or match is SourceMatch.ATTENDEE or not summary:
        return found
    folded = summary.casefold()
    for candidate in organisation.people:
        if candidate.name.casefold() in folded or re.search(
            rf"(?<![\w-]){re.escape(candidate.id.casefold())}(?![\w-])", folded
        ):
            found.append(candidate.id)
    # "Anna Nowak" inside "Anna Nowak-Kowalska": keep only the longer name.
    names = {pid: organisation.person_name(pid).casefold() for pid in found}
    return [p for p in found if not any(p != q and names[p] in names[q] for q in found)]

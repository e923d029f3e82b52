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
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

from terminarz.errors import Problem, Severity, TerminarzError
from terminarz.org.organisation import (
    Absence,
    AbsenceSource,
    OnError,
    Organisation,
    SourceMatch,
    url_problem,
)

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from typing import Any

MAX_SOURCE_BYTES = 20_000_000
"""A source larger than this is refused, counted while reading (a file or a download)."""
MAX_INSTANCES = 20_000
"""At most this many event instances of one source inside the window, recurrences included."""
MAX_WINDOW_DAYS = 12 * 366
"""The longest span recurring events are expanded over when no window is given."""
EARLIEST_RECURRENCE = date(1900, 1, 1)
"""A recurring event starting earlier is refused (its rule would be walked from there)."""
_SUB_DAILY = ("SECONDLY", "MINUTELY", "HOURLY")
_BY_TIME = ("BYSECOND", "BYMINUTE", "BYHOUR")
_DOWNLOAD_CHUNK = 1 << 16

# Seam for a cache of parsed absences (keyed by path, size and modification time) kept by
# the state store: :func:`load_source_absences` takes ``read`` and ``parse`` callables, so
# the store layer can wrap them without this module knowing about it.


def read_source_bytes(source: AbsenceSource) -> bytes:
    """The raw bytes of a file or an http(s) URL; :class:`TerminarzError` on any failure.

    The size limit is enforced while reading, and a local source must be a regular file
    (not ``/dev/zero``, a FIFO, a socket or a directory).
    """
    if source.is_url:
        return _download(source)
    from terminarz.tomlcheck import read_limited

    return read_limited(
        Path(source.location()), MAX_SOURCE_BYTES,
        what="kalendarz nieobecności", what_of="kalendarza nieobecności",
    )  # fmt: skip


def _download(source: AbsenceSource) -> bytes:
    import urllib.error
    import urllib.request

    url = source.source
    problem = url_problem(url)
    if problem is not None:
        raise TerminarzError(f"nie można pobrać kalendarza nieobecności {url}: {problem}")
    request = urllib.request.Request(url, headers={"User-Agent": "terminarz"})
    try:
        with urllib.request.urlopen(request, timeout=source.timeout) as response:
            length = response.headers.get("Content-Length")
            if length is not None and length.strip().isdigit() and int(length) > MAX_SOURCE_BYTES:
                raise TerminarzError(
                    f"kalendarz nieobecności {url} jest zbyt duży ({int(length)} bajtów; "
                    f"najwyżej {MAX_SOURCE_BYTES})"
                )
            chunks: list[bytes] = []
            size = 0
            while size <= MAX_SOURCE_BYTES:
                chunk: bytes = response.read(min(_DOWNLOAD_CHUNK, MAX_SOURCE_BYTES + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except urllib.error.HTTPError as exc:
        raise TerminarzError(
            f"nie można pobrać kalendarza nieobecności {url}: HTTP {exc.code}"
        ) from None
    except (urllib.error.URLError, OSError, ValueError, UnicodeError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TerminarzError(
            f"nie można pobrać kalendarza nieobecności {url}: {_short(reason)}"
        ) from None
    except Exception as exc:  # http.client's own errors (IncompleteRead, LineTooLong, …)
        raise TerminarzError(
            f"nie można pobrać kalendarza nieobecności {url}: {_short(exc)}"
        ) from None
    if size > MAX_SOURCE_BYTES:
        raise TerminarzError(
            f"kalendarz nieobecności {url} jest zbyt duży (ponad {MAX_SOURCE_BYTES} bajtów)"
        )
    return b"".join(chunks)


def parse_absences(
    raw: bytes,
    source: AbsenceSource,
    organisation: Organisation,
    *,
    window: tuple[date, date] | None = None,
) -> list[Absence]:
    """Absences in iCalendar ``raw``; recurring events are expanded within ``window``.

    Without ``window`` the expansion runs from the earliest event start to three
    years after the latest one, but over at most :data:`MAX_WINDOW_DAYS`. Events
    naming nobody are ignored. A recurrence that could not end in reasonable time
    (more often than daily, ``INTERVAL=0``, a start before 1900) or more than
    :data:`MAX_INSTANCES` instances in the window is a :class:`TerminarzError`
    naming the event.
    """
    import icalendar
    import recurring_ical_events  # type: ignore[import-untyped]

    label = source.location()
    path = None if source.is_url else Path(label)
    if window is not None:
        raw = drop_events_outside(raw, window)
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
    where = "" if path is not None else f"{label}: "
    try:
        vevents = list(calendar.walk("VEVENT"))
        for event in vevents:
            problem = _recurrence_problem(event)
            if problem is not None:
                raise TerminarzError(
                    f"{where}wydarzenie {_event_name(event)}: {problem}", path=path
                )
        if window is None:
            starts = [_day(e.get("DTSTART").dt, zone) for e in vevents
                      if e.get("DTSTART") is not None]  # fmt: skip
            if not starts:
                return []
            first = min(starts)
            last = min(max(starts) + timedelta(days=3 * 366), first + timedelta(MAX_WINDOW_DAYS))
            window = (first, last)
        # A day of margin on each side: a timed event's UTC date may differ from the local one.
        query = recurring_ical_events.of(calendar)
        low, high = _margin(window)
        events: list[Any] = []
        for series in query.series:
            for occurrence in series.between(low, high):
                if len(events) >= MAX_INSTANCES:
                    raise TerminarzError(
                        f"{where}wydarzenie {_series_name(series, vevents)}: w okresie "
                        f"{window[0].isoformat()}–{window[1].isoformat()} kalendarz ma ponad "
                        f"{MAX_INSTANCES} wystąpień nieobecności; skróć powtarzanie (RRULE)",
                        path=path,
                    )
                events.append(occurrence.as_component(False))
    except TerminarzError:
        raise
    except Exception as exc:
        raise TerminarzError(
            f"{where}nie można odczytać wydarzeń kalendarza nieobecności ({_short(exc)})",
            path=path,
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
        except (AttributeError, TypeError, ValueError, OverflowError):
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


# Patterns as text: ``re`` compiles each on first use (and keeps it), only when a calendar
# is scanned — not at every start of a command whose calendar is taken from the cache.
_VEVENT = rb"(?si)BEGIN:VEVENT\r?\n.*?END:VEVENT(?:\r?\n)?"
_FOLD = rb"\r?\n[ \t]"
_RECURRING = rb"(?mi)^(?:RRULE|RDATE|EXRULE|RECURRENCE-ID)[;:]"
_DURATION = rb"(?mi)^DURATION[;:]"
_DTSTART = rb"(?mi)^DTSTART[^:\r\n]*:(\d{8})"
_DTEND = rb"(?mi)^DTEND[^:\r\n]*:(\d{8})"


def drop_events_outside(raw: bytes, window: tuple[date, date]) -> bytes:
    """``raw`` without the single (non-recurring) events that lie clearly outside
    ``window`` — by a cheap scan of their text, before the slow iCalendar parse.

    Conservative: an event is dropped only when its ``DTSTART`` and ``DTEND`` dates are
    both readable and both more than three days before the window, or its start is more
    than three days after it (a time zone cannot move a day that far). Recurring events
    (``RRULE``, ``RDATE``, ``RECURRENCE-ID``), events with a ``DURATION`` and anything
    unusual are kept and left to the parser.
    """
    if b"BEGIN:VEVENT" not in raw.upper():
        return raw
    low = (max(window[0], date.min + timedelta(days=3)) - timedelta(days=3)).strftime("%Y%m%d")
    high = (min(window[1], date.max - timedelta(days=3)) + timedelta(days=3)).strftime("%Y%m%d")
    first, last = low.encode().rjust(8, b"0"), high.encode().rjust(8, b"0")

    def keep(match: re.Match[bytes]) -> bytes:
        block = match.group(0)
        if re.search(_RECURRING, block) or re.search(_DURATION, block):
            return block
        start = re.search(_DTSTART, block)
        if start is None:
            return block
        end = re.search(_DTEND, block)
        begins = start.group(1)
        ends = max(begins, end.group(1)) if end is not None else begins
        if ends < first or begins > last:
            return b""
        return block

    return re.sub(_VEVENT, keep, re.sub(_FOLD, b"", raw))


def _margin(window: tuple[date, date]) -> tuple[date, date]:
    """``window`` with a day before and two after, kept inside the years ``date`` can hold."""
    low = window[0] - timedelta(days=1) if window[0] > date.min else window[0]
    high = window[1] + timedelta(days=2) if window[1] < date.max - timedelta(days=2) else date.max
    return low, high


def _recurrence_problem(event: Any) -> str | None:
    """Why the recurrence rules of ``event`` could not be expanded safely (Polish), or None."""
    rules = event.get("RRULE")
    if rules is None:
        return None
    for rule in rules if isinstance(rules, list) else [rules]:
        freq = [str(f).upper() for f in rule.get("FREQ", [])]
        if any(f in _SUB_DAILY for f in freq):
            return (
                f"powtarzanie częstsze niż codzienne (RRULE FREQ={freq[0]}) nie opisuje "
                "nieobecności; dopuszczalne są DAILY, WEEKLY, MONTHLY i YEARLY"
            )
        for interval in rule.get("INTERVAL", []):
            if not isinstance(interval, int) or interval < 1:
                return f"niepoprawny odstęp powtarzania (RRULE INTERVAL={interval}); musi być ≥ 1"
        for key in _BY_TIME:
            if len(rule.get(key, [])) > 1:
                return (
                    f"kilka wystąpień dziennie (RRULE {key}) nie opisuje nieobecności; "
                    "dozwolona jest najwyżej jedna wartość"
                )
    start = event.get("DTSTART")
    if start is not None:
        value = start.dt
        day = value.date() if isinstance(value, datetime) else value
        if isinstance(day, date) and day < EARLIEST_RECURRENCE:
            return (
                f"powtarzane wydarzenie zaczyna się {day.isoformat()}, przed 1900 r.; "
                "należy poprawić datę początku (DTSTART)"
            )
    return None


def _event_name(event: Any) -> str:
    summary = _printable(str(event.get("SUMMARY", "")).strip())
    uid = _printable(str(event.get("UID", "")).strip())
    if summary and uid:
        return f"„{summary}” (UID {uid})"
    if summary or uid:
        return f"„{summary or uid}”"
    start = event.get("DTSTART")
    return f"z {start.to_ical().decode('ascii', 'replace')}" if start is not None else "bez nazwy"


def _series_name(series: Any, vevents: list[Any]) -> str:
    uid = str(getattr(series, "uid", ""))
    for event in vevents:
        if str(event.get("UID", "")) == uid:
            return _event_name(event)
    return f"(UID {_printable(uid)})"


def _printable(text: str) -> str:
    cleaned = "".join(c if c.isprintable() else "\ufffd" for c in text)
    return cleaned if len(cleaned) <= 80 else cleaned[:79] + "…"


def load_source_absences(
    organisation: Organisation,
    *,
    window: tuple[date, date] | None = None,
    read: Callable[[AbsenceSource], bytes] = read_source_bytes,
    parse: Callable[..., list[Absence]] | None = None,
) -> tuple[list[Absence], list[Problem]]:
    """Absences of every source; a failing source raises, or is a warning with ``skip``.

    ``read`` and ``parse`` default to :func:`read_source_bytes` and :func:`parse_absences`;
    they are the seam for a cache of parsed sources kept by a higher layer.

    The error names the organisation file and the ``[[absence_sources]]`` entry,
    and its message the source itself (file path or URL).
    """
    absences: list[Absence] = []
    problems: list[Problem] = []
    for index, source in enumerate(organisation.absence_sources):
        try:
            raw = read(source)
            absences.extend((parse or parse_absences)(raw, source, organisation, window=window))
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

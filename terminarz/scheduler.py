"""The daemon: the nightly job under APScheduler 3.11, in the foreground, until SIGTERM.

``terminarz daemon`` is the alternative to cron: a :class:`BlockingScheduler`
in Europe/Warsaw runs one job on the cron schedule of ``[reminders] schedule``
(default ``0 6 * * *``), with ``coalesce=True`` (runs missed while the machine
slept collapse into one), a generous ``misfire_grace_time`` (a run up to six
hours late still happens) and ``max_instances=1`` (a slow run is never
overlapped by the next). SIGTERM and SIGINT shut the scheduler down; a run in
progress finishes first, so no claimed mail is left behind without need.

This module and the CLI are the only places that read the clock: each run
takes "today" as the date in Europe/Warsaw at the moment it starts.

Cron expressions use crontab's conventions — five fields, minute first, day
of week 0 or 7 = Sunday — or six fields with seconds first. APScheduler 3
numbers weekdays from Monday = 0, so :func:`cron_trigger` translates the
day-of-week field into names before handing it over (``1-5`` stays Monday to
Friday, as in crontab).
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from datetime import date, datetime
from types import FrameType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from terminarz.errors import TerminarzError

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

TIMEZONE = ZoneInfo("Europe/Warsaw")
MISFIRE_GRACE = 6 * 3600
JOB_ID = "terminarz-nightly"
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

log = logging.getLogger("terminarz.daemon")


def now() -> datetime:
    """The current time in Europe/Warsaw."""
    return datetime.now(TIMEZONE)


def today() -> date:
    """Today's date in Europe/Warsaw (at 23:30 UTC it is already tomorrow there)."""
    return now().date()


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field as APScheduler 3 day names: ``1-5`` → ``mon,tue,wed,thu,fri``.

    Numbers follow crontab (0 and 7 are Sunday); names pass through; ``*`` stays.
    Raises ``ValueError`` for anything else.
    """
    if field == "*":
        return field
    days: list[str] = []
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in {part!r}")
        if base == "*":
            numbers = list(range(0, 7, step))
        elif base.isalpha() and not step_text:
            days.append(base.lower())  # a name, or a range of names below
            continue
        elif "-" in base and all(x.isalpha() for x in base.split("-")) and not step_text:
            days.append(base.lower())
            continue
        else:
            first_text, _, last_text = base.partition("-")
            first = int(first_text)
            last = int(last_text) if last_text else first
            if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last):
                raise ValueError(f"day of week out of range in {part!r}")
            numbers = list(range(first, last + 1, step))
        for n in numbers:
            name = _DAYS[n % 7]
            if name not in days:
                days.append(name)
    if not days:
        raise ValueError(f"empty day-of-week field {field!r}")
    return ",".join(days)


def schedule_problem(expression: str) -> str | None:
    """A Polish description of what is wrong with a cron expression's shape, or None.

    Cheap (no APScheduler import), for ``check``; the daemon validates fully.
    """
    fields = expression.split()
    if len(fields) not in (5, 6):
        return (f"„{expression}” nie jest wyrażeniem cron: oczekiwano pięciu pól „minuta godzina "
                "dzień miesiąc dzień-tygodnia” (np. „0 6 * * 1-5”) albo sześciu z sekundami "
                "na początku")  # fmt: skip
    try:
        crontab_weekdays(fields[-1])
    except ValueError:
        return f"„{expression}”: niepoprawny dzień tygodnia „{fields[-1]}” (0–7 albo mon–sun)"
    return None


def cron_trigger(expression: str) -> CronTrigger:
    """The trigger of a crontab expression (5 fields, or 6 with seconds first) in Warsaw time.

    Raises :class:`TerminarzError` naming ``[reminders] schedule`` when it is not valid.
    """
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    try:
        if len(fields) == 5:
            second, (minute, hour, day, month, dow) = "0", fields
        elif len(fields) == 6:
            second, minute, hour, day, month, dow = fields
        else:
            raise ValueError(f"expected 5 or 6 fields, got {len(fields)}")
        return CronTrigger(
            second=second, minute=minute, hour=hour, day=day, month=month,
            day_of_week=crontab_weekdays(dow), timezone=TIMEZONE,
        )  # fmt: skip
    except ValueError as exc:
        raise TerminarzError(
            f"„{expression}” nie jest poprawnym wyrażeniem cron ({exc}); oczekiwano pięciu pól "
            "„minuta godzina dzień miesiąc dzień-tygodnia”, np. „0 6 * * *” albo „30 5 * * 1-5”",
            field="schedule",
            entry="reminders",
        ) from None


def run_daemon(
    job: Callable[[date], Any],
    *,
    schedule: str,
    misfire_grace_time: int = MISFIRE_GRACE,
    install_signals: bool = True,
) -> None:
    """Run ``job(today)`` on ``schedule`` until SIGTERM or SIGINT; blocks.

    An exception in ``job`` is logged and the daemon goes on to the next run
    (the ledger keeps whatever was not sent for it).
    """
    import threading

    from apscheduler.events import (  # type: ignore[import-untyped]
        EVENT_JOB_ERROR,
        EVENT_JOB_MISSED,
        EVENT_SCHEDULER_STARTED,
        SchedulerEvent,
    )
    from apscheduler.schedulers.blocking import (  # type: ignore[import-untyped]
        BlockingScheduler,
    )

    trigger = cron_trigger(schedule)
    scheduler = BlockingScheduler(timezone=TIMEZONE)
    running = threading.Lock()  # held while a run works; shutdown waits for it

    def nightly() -> None:
        with running:
            day = today()
            log.info("przebieg za dzień %s: start", day.isoformat())
            job(day)

    def listener(event: SchedulerEvent) -> None:
        if event.code == EVENT_SCHEDULER_STARTED:
            planned = scheduler.get_job(JOB_ID)
            log.info("demon uruchomiony; harmonogram „%s” (Europe/Warsaw), najbliższy przebieg: %s",
                     schedule, planned.next_run_time if planned else "—")  # fmt: skip
        elif event.code == EVENT_JOB_MISSED:
            log.warning("przebieg zaplanowany na %s pominięty (zbyt duże opóźnienie)",
                        getattr(event, "scheduled_run_time", "?"))  # fmt: skip
        elif getattr(event, "exception", None) is not None:
            log.error("przebieg zakończony błędem: %s", getattr(event, "exception", ""))

    scheduler.add_listener(listener, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_SCHEDULER_STARTED)
    scheduler.add_job(
        nightly, trigger, id=JOB_ID, name="terminarz remind", coalesce=True,
        misfire_grace_time=misfire_grace_time, max_instances=1, replace_existing=True,
    )  # fmt: skip

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("otrzymano sygnał %s — kończę pracę", signal.Signals(signum).name)
        if scheduler.running:
            scheduler.shutdown(wait=False)

    previous: dict[int, Any] = {}
    if install_signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, stop)
    try:
        scheduler.start()  # blocks until shutdown
        with running:  # let a run in progress finish
            pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    log.info("demon zatrzymany")

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

The cron expression is read by :mod:`terminarz.crontab`.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from datetime import date, datetime
from types import FrameType
from typing import Any

from terminarz.crontab import cron_trigger, warsaw

MISFIRE_GRACE = 6 * 3600
JOB_ID = "terminarz-nightly"

log = logging.getLogger("terminarz.daemon")


def now() -> datetime:
    """The current time in Europe/Warsaw."""
    return datetime.now(warsaw())


def today() -> date:
    """Today's date in Europe/Warsaw (at 23:30 UTC it is already tomorrow there)."""
    return now().date()


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
    scheduler = BlockingScheduler(timezone=warsaw())
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

"""Crontab expressions for ``[reminders] schedule``, as APScheduler 3 triggers.

Cron expressions use crontab's conventions — five fields, minute first, day
of week 0 or 7 = Sunday — or six fields with seconds first. APScheduler 3
numbers weekdays from Monday = 0, so :func:`cron_trigger` translates the
day-of-week field into names before handing it over (``1-5`` stays Monday to
Friday, as in crontab). The settings check the shape; the scheduler builds the trigger.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from terminarz.errors import TerminarzError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]


@functools.cache
def warsaw() -> ZoneInfo:
    """Europe/Warsaw, the scheduler's time zone (``zoneinfo`` imported only when a schedule
    runs: checking the expression in ``[reminders] schedule`` needs no zone)."""
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Warsaw")

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


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
            day_of_week=crontab_weekdays(dow), timezone=warsaw(),
        )  # fmt: skip
    except ValueError as exc:
        raise TerminarzError(
            f"„{expression}” nie jest poprawnym wyrażeniem cron ({exc}); oczekiwano pięciu pól "
            "„minuta godzina dzień miesiąc dzień-tygodnia”, np. „0 6 * * *” albo „30 5 * * 1-5”",
            field="schedule",
            entry="reminders",
        ) from None

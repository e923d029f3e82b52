"""Polish words for dates: month and weekday names, date formats, plural forms.

Hand-written on purpose: these few dozen words are fixed by the language, and a
locale-dependent ``strftime`` would give different text on every server.
"""

from __future__ import annotations

from datetime import date

MONTHS_NOMINATIVE = (
    "styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec",
    "lipiec", "sierpień", "wrzesień", "październik", "listopad", "grudzień",
)  # fmt: skip
MONTHS_GENITIVE = (
    "stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca",
    "lipca", "sierpnia", "września", "października", "listopada", "grudnia",
)  # fmt: skip
MONTHS_SHORT = (
    "sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru",
)  # fmt: skip
WEEKDAYS = (
    "poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela",
)  # fmt: skip
WEEKDAYS_SHORT = ("pon", "wt", "śr", "czw", "pt", "sob", "niedz")
ROMAN = ("I", "II", "III", "IV")


def long_date(day: date) -> str:
    """``poniedziałek, 2 lutego 2026 r.``"""
    return f"{WEEKDAYS[day.weekday()]}, {date_words(day)}"


def date_words(day: date) -> str:
    """``2 lutego 2026 r.``"""
    return f"{day.day} {MONTHS_GENITIVE[day.month - 1]} {day.year} r."


def short_date(day: date) -> str:
    """``pon 2 lut 2026`` — the compact form used in tables."""
    return f"{WEEKDAYS_SHORT[day.weekday()]} {day.day} {MONTHS_SHORT[day.month - 1]} {day.year}"


def plural(n: int, one: str, few: str, many: str) -> str:
    """Polish plural: 1 dzień, 2 dni, 5 dni; 1 raz, 22 razy, 25 razy."""
    n = abs(n)
    if n == 1:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def days_phrase(days: int, *, working: bool = False) -> str:
    """``za 3 dni``, ``dziś``, ``2 dni temu``; with ``working`` — ``za 3 dni robocze``."""
    if days == 0:
        return "dziś"
    if working:
        noun = f"{abs(days)} {plural(days, 'dzień roboczy', 'dni robocze', 'dni roboczych')}"
    else:
        noun = f"{abs(days)} {plural(days, 'dzień', 'dni', 'dni')}"
    return f"za {noun}" if days > 0 else f"{noun} temu"


# Weekdays after a preposition: "w poniedziałek" (accusative; "we wtorek" before "w"),
# "do poniedziałku" (genitive). Running text declines the weekday, never the variable.
WEEKDAYS_ACCUSATIVE = (
    "poniedziałek", "wtorek", "środę", "czwartek", "piątek", "sobotę", "niedzielę",
)  # fmt: skip
WEEKDAYS_GENITIVE = (
    "poniedziałku", "wtorku", "środy", "czwartku", "piątku", "soboty", "niedzieli",
)  # fmt: skip


def on_date(day: date) -> str:
    """``w poniedziałek, 11 stycznia 2027 r.``, ``we wtorek, 12 stycznia 2027 r.``,
    ``w środę, 3 marca 2027 r.`` — when something happens, inside a sentence."""
    weekday = day.weekday()
    preposition = "we" if weekday == 1 else "w"
    return f"{preposition} {WEEKDAYS_ACCUSATIVE[weekday]}, {date_words(day)}"


def for_date(day: date) -> str:
    """``na środę, 3 marca 2027 r.`` — a date something is set for."""
    return f"na {WEEKDAYS_ACCUSATIVE[day.weekday()]}, {date_words(day)}"


def until_date(day: date) -> str:
    """``do środy, 3 marca 2027 r.`` — a limit, inside a sentence."""
    return f"do {WEEKDAYS_GENITIVE[day.weekday()]}, {date_words(day)}"


def working_days_words(n: int) -> str:
    """``1 dzień roboczy``, ``2 dni robocze``, ``5 dni roboczych``"""
    return f"{n} {plural(n, 'dzień roboczy', 'dni robocze', 'dni roboczych')}"


def days_left_words(working: int | None, calendar: int) -> str:
    """How far a date is, the same everywhere: working days, calendar days in brackets.

    ``za 10 dni rob. (14 dni)``, ``za 1 dzień rob. (3 dni)``, ``dziś``,
    ``2 dni rob. temu (4 dni)``. ``working`` counts the working days after today up to
    and including the date (before it: the working days after the date up to and
    including today, negative), so a date on a Sunday seen on Saturday is
    ``za 0 dni rob. (1 dzień)``. Without a working-day count (a year outside the
    calendar) only the calendar days are given: ``za 14 dni``.
    """
    if calendar == 0:
        return "dziś"
    if working is None:
        return days_phrase(calendar)
    count = f"{abs(working)} {plural(working, 'dzień rob.', 'dni rob.', 'dni rob.')}"
    span = f"({abs(calendar)} {plural(calendar, 'dzień', 'dni', 'dni')})"
    return f"za {count} {span}" if calendar > 0 else f"{count} temu {span}"


def parse_date(text: str) -> date | None:
    """``30.11.2026`` (also ``1.2.2026``) or ``2026-11-30`` (any ISO 8601 form ``date``
    reads) as a date; None when it is neither, or there is no such day (``31.02.2026``).
    Digits are what ``\\d`` matches (``str.isdecimal``)."""
    text = text.strip()
    parts = text.split(".")
    try:
        if len(parts) == 3:
            day, month, year = parts
            if (1 <= len(day) <= 2 and 1 <= len(month) <= 2 and len(year) == 4
                    and (day + month + year).isdecimal()):  # fmt: skip
                return date(int(year), int(month), int(day))
        return date.fromisoformat(text)
    except ValueError:
        return None


def month_text(text: str) -> str | None:
    """``11.2026`` (also ``1.2026``) as ``2026-11``; ``2026-11`` as it is; else None. Digits
    are what ``\\d`` matches (``str.isdecimal``)."""
    text = text.strip()
    month, dot, year = text.partition(".")
    if dot and 1 <= len(month) <= 2 and len(year) == 4 and (month + year).isdecimal():
        return f"{year}-{int(month):02d}"
    year, dash, month = text.partition("-")
    if dash and len(year) == 4 and len(month) == 2 and (year + month).isdecimal():
        return text
    return None


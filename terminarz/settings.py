"""Operational settings in an organisation file: ``[state]``, ``[feeds]``, ``[server]``,
``[smtp]`` and ``[reminders]``.

The organisation loader hands these tables to :func:`parse_settings`, which
checks them with the same :class:`~terminarz.tomlcheck.Checker` (every problem
at once, unknown keys are errors) and returns typed values with defaults.
Environment overrides (``TERMINARZ_SMTP_*``) are applied by the caller that
sends mail, not here, so that ``check`` reports the file as written.
"""

from __future__ import annotations

from pathlib import Path

from terminarz.records import Record
from terminarz.tomlcheck import Checker, Where

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from typing import Any, TypeVar

SETTINGS_SECTIONS = ("state", "feeds", "server", "smtp", "reminders")
RETRY_DELAYS = (2, 10, 30)


class StateSettings(Record):
    """``[state]``: where the store is — ``url`` (``sqlite:///…``, ``postgresql://…``) wins
    over ``path`` (a SQLite file); neither: the user's data directory."""

    path: Path | None = None
    url: str | None = None


class FeedSettings(Record):
    """``[feeds]``: horizon of generated feeds and what is published without a token;
    ``short_name`` names the calendars ("MOPR Przykładowo — …") instead of the full name."""

    short_name: str | None = None
    months_back: int = 12
    months_ahead: int = 24
    public: bool = True
    alarm_days: int = 2


class ServerSettings(Record):
    """``[server]``: the HTTP server for feeds and confirmation links."""

    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""  # no default: "" means not set (see terminarz.web.server.public_base_url)
    secret_env: str = "TERMINARZ_SECRET"
    link_days: int = 30
    # The web pages: single sign-on behind a proxy, how long recorded absences are kept,
    # and who answers accessibility questions (the Deklaracja dostępności).
    trusted_user_header: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    absence_retention: int = 365
    accessibility_contact: str | None = None
    # One of many institutions served by one deployment (``serve --orgs``): its addresses
    # are ``<base_url>/o/<organisation id>/…`` and its keys are derived from the secret and
    # the id (see terminarz.links.site_path and terminarz.tokens.site_secret).
    shared: bool = False


class SmtpSettings(Record):
    """``[smtp]``: the mail server; the password only by the name of an environment variable."""

    host: str = "localhost"
    port: int = 25
    security: str = "none"  # none | starttls | tls
    username: str | None = None
    password_env: str | None = None
    sender: str = "terminarz@localhost"
    timeout: int = 30
    retry_delays: tuple[int, ...] = RETRY_DELAYS  # seconds before each retry of a failed send


class ReminderSettings(Record):
    """``[reminders]``: the nightly job's schedule and escalation.

    A late report is escalated on the first working day after its due date, then
    ``overdue_max`` times every ``overdue_every`` working days, then once a month to
    the fallback (the director) only, while the day is at most ``overdue_until``
    calendar days after the due date; then nothing. ``contact`` (a mailbox) is whom a
    reader writes to when a mail is not theirs (``Reply-To``); without it, the head of
    the reader's unit.
    """

    schedule: str = "0 6 * * *"
    overdue_every: int = 5
    overdue_max: int = 4
    overdue_until: int = 90
    contact: str | None = None
    lock_timeout: int = 600


class Settings(Record):
    """Every settings table of an organisation file. This and every table are records
    (:class:`terminarz.records.Record`): immutable, the same fields, defaults, equality and
    repr as the frozen dataclasses they were, and cheaper to define at every start (copies
    with changes by ``_replace``). The defaults are shared, immutable instances."""

    state: StateSettings = StateSettings()
    feeds: FeedSettings = FeedSettings()
    server: ServerSettings = ServerSettings()
    smtp: SmtpSettings = SmtpSettings()
    reminders: ReminderSettings = ReminderSettings()


def parse_settings(data: dict[str, Any], ck: Checker, *, base: Path) -> Settings:
    """Read the settings tables of an organisation file; relative paths are taken from ``base``."""
    state_raw = ck.table(data, "state")
    ck.unknown_keys(state_raw, ("path", "url"), table="state")
    state_path = ck.string(state_raw, "path", where=Where("state"), single_line=True)
    state_url = ck.string(state_raw, "url", where=Where("state"), single_line=True)
    state = StateSettings(path=(base / state_path) if state_path else None, url=state_url or None)

    feeds_raw = ck.table(data, "feeds")
    ck.unknown_keys(
        feeds_raw, ("short_name", "months_back", "months_ahead", "public", "alarm_days"),
        table="feeds",
    )
    w = Where("feeds")
    short_name = ck.string(feeds_raw, "short_name", where=w, single_line=True, max_length=60)
    if short_name is not None and not short_name.strip():
        ck.add("krótka nazwa kalendarzy nie może być pusta — proszę podać ją, np. „MOPR "
               "Przykładowo”, albo usunąć ten klucz", **w.at("short_name"))  # fmt: skip
        short_name = None
    feeds = FeedSettings(
        short_name=short_name.strip() if short_name else None,
        months_back=_opt(ck.integer(feeds_raw, "months_back", where=w, low=0, high=120), 12),
        months_ahead=_opt(ck.integer(feeds_raw, "months_ahead", where=w, low=1, high=240), 24),
        public=_opt(ck.boolean(feeds_raw, "public", where=w), True),
        alarm_days=_opt(ck.integer(feeds_raw, "alarm_days", where=w, low=0, high=60), 2),
    )

    server_raw = ck.table(data, "server")
    ck.unknown_keys(server_raw, ("host", "port", "base_url", "secret_env", "link_days",
                                 "trusted_user_header", "trusted_proxies", "absence_retention",
                                 "accessibility_contact", "shared"), table="server")  # fmt: skip
    w = Where("server")
    port = _opt(ck.integer(server_raw, "port", where=w, low=1, high=65535), 8080)
    host = _opt(ck.string(server_raw, "host", where=w, single_line=True), "127.0.0.1")
    base_url = ck.string(server_raw, "base_url", where=w, single_line=True)
    if base_url is not None and (problem := _base_url_problem(base_url)) is not None:
        ck.add(problem, **w.at("base_url"))
        base_url = None
    server = ServerSettings(
        host=host,
        port=port,
        base_url=(base_url or "").rstrip("/"),
        secret_env=_opt(
            ck.string(server_raw, "secret_env", where=w, single_line=True), "TERMINARZ_SECRET"
        ),
        link_days=_opt(ck.integer(server_raw, "link_days", where=w, low=1, high=365), 30),
        trusted_user_header=_user_header(server_raw, ck, w),
        trusted_proxies=_proxies(server_raw, ck, w),
        absence_retention=_opt(
            ck.integer(server_raw, "absence_retention", where=w, low=1, high=3650), 365
        ),
        accessibility_contact=ck.string(server_raw, "accessibility_contact", where=w,
                                        single_line=True, max_length=300),
        shared=_opt(ck.boolean(server_raw, "shared", where=w), False),
    )
    if server.trusted_user_header and not server.trusted_proxies:
        ck.add("„trusted_user_header” wymaga listy „trusted_proxies” (adresy serwerów "
               "pośredniczących, którym wolno podać nazwę użytkownika)",
               **w.at("trusted_user_header"))  # fmt: skip

    smtp_raw = ck.table(data, "smtp")
    ck.unknown_keys(
        smtp_raw,
        ("host", "port", "security", "username", "password_env", "sender", "timeout",
         "retry_delays"),
        table="smtp",
    )
    w = Where("smtp")
    security = _opt(ck.string(smtp_raw, "security", where=w), "none")
    if security not in ("none", "starttls", "tls"):
        ck.add("„security” musi mieć wartość none, starttls albo tls", **w.at("security"))
        security = "none"
    if "password" in smtp_raw:
        ck.add(
            "hasła nie wpisuje się do pliku: podaj w „password_env” nazwę zmiennej "
            "środowiskowej, która je zawiera",
            **w.at("password"),
        )
    sender = ck.string(smtp_raw, "sender", where=w, single_line=True)
    if sender is not None:
        from terminarz.tomlcheck import split_mailbox

        try:
            split_mailbox(sender)
        except ValueError as exc:
            ck.add(str(exc), **w.at("sender"))
            sender = None
    smtp = SmtpSettings(
        host=_opt(ck.string(smtp_raw, "host", where=w, single_line=True), "localhost"),
        port=_opt(ck.integer(smtp_raw, "port", where=w, low=1, high=65535), 25),
        security=security,
        username=ck.string(smtp_raw, "username", where=w, single_line=True),
        password_env=ck.string(smtp_raw, "password_env", where=w, single_line=True),
        sender=_opt(sender, "terminarz@localhost"),
        timeout=_opt(ck.integer(smtp_raw, "timeout", where=w, low=1, high=600), 30),
        retry_delays=_retry_delays(smtp_raw, ck, w),
    )

    rem_raw = ck.table(data, "reminders")
    ck.unknown_keys(rem_raw, ("schedule", "overdue_every", "overdue_max", "overdue_until",
                              "contact", "lock_timeout"), table="reminders")  # fmt: skip
    w = Where("reminders")
    schedule = _opt(ck.string(rem_raw, "schedule", where=w, single_line=True), "0 6 * * *")
    from terminarz.crontab import schedule_problem

    problem = schedule_problem(schedule)
    if problem is not None:
        ck.add(problem, **w.at("schedule"))
    contact = ck.string(rem_raw, "contact", where=w, single_line=True, max_length=300)
    if contact is not None:
        from terminarz.tomlcheck import split_mailbox

        try:
            split_mailbox(contact)
        except ValueError as exc:
            ck.add(f"„contact”: {exc}", **w.at("contact"))
            contact = None
    every = _opt(ck.integer(rem_raw, "overdue_every", where=w, low=1, high=60), 5)
    until = _opt(ck.integer(rem_raw, "overdue_until", where=w, low=1, high=400), 90)
    reminders = ReminderSettings(
        schedule=schedule,
        overdue_every=every,
        overdue_max=_opt(ck.integer(rem_raw, "overdue_max", where=w, low=0, high=50), 4),
        overdue_until=until,
        contact=contact,
        lock_timeout=_opt(ck.integer(rem_raw, "lock_timeout", where=w, low=1, high=86400), 600),
    )
    return Settings(state=state, feeds=feeds, server=server, smtp=smtp, reminders=reminders)


def _base_url_problem(url: str) -> str | None:
    from urllib.parse import urlsplit

    if not url.startswith(("http://", "https://")):
        return "„base_url” musi zaczynać się od http:// albo https://"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises ValueError for a bad port
    except ValueError:
        return "„base_url” nie jest poprawnym adresem (nawias IPv6 albo numer portu)"
    if not parts.hostname:
        return "w „base_url” brakuje nazwy serwera"
    if parts.query or parts.fragment or any(c.isspace() for c in url):
        return "„base_url” nie może zawierać spacji, „?” ani „#”"
    return None


def _retry_delays(raw: dict[str, Any], ck: Checker, w: Where) -> tuple[int, ...]:
    value = raw.get("retry_delays")
    if value is None:
        return RETRY_DELAYS
    if (not isinstance(value, list) or len(value) > 10
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 600
                       for v in value)):  # fmt: skip
        ck.add("„retry_delays” musi być listą (najwyżej 10) liczb sekund od 0 do 600, "
               "np. [2, 10, 30]", **w.at("retry_delays"))  # fmt: skip
        return RETRY_DELAYS
    return tuple(value)


def _user_header(raw: dict[str, Any], ck: Checker, w: Where) -> str | None:
    value = ck.string(raw, "trusted_user_header", where=w, single_line=True, max_length=100)
    if value is None:
        return None
    if not value or not all(c.isascii() and (c.isalnum() or c == "-") for c in value):
        ck.add("„trusted_user_header” musi być nazwą nagłówka HTTP (litery, cyfry i „-”), "
               "np. X-Remote-User", **w.at("trusted_user_header"))  # fmt: skip
        return None
    return value


def _proxies(raw: dict[str, Any], ck: Checker, w: Where) -> tuple[str, ...]:
    import ipaddress

    value = raw.get("trusted_proxies")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        ck.add("„trusted_proxies” musi być listą adresów IP albo sieci, np. "
               "[\"127.0.0.1\", \"10.0.0.0/24\"]", **w.at("trusted_proxies"))  # fmt: skip
        return ()
    good = []
    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            ck.add(f"„trusted_proxies”: „{item}” nie jest adresem IP ani siecią (np. 10.0.0.0/24)",
                   **w.at("trusted_proxies"))  # fmt: skip
            continue
        good.append(item)
    return tuple(good)


if TYPE_CHECKING:
    T = TypeVar("T")


def _opt(value: T | None, default: T) -> T:
    return default if value is None else value

"""Feed commands: ``feed`` (write .ics files), ``serve`` (the HTTP server), ``feed-url``."""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

from terminarz.cli.common import (
    TIMEZONE,
    Context,
    add_catalogue,
    add_config,
    add_today,
    open_store,
    parse_day,
    require_person,
    store_location,
)
from terminarz.errors import UsageError
from terminarz.polish import plural

if TYPE_CHECKING:
    from terminarz.org.plan import Setup
    from terminarz.settings import Settings
    from terminarz.store.base import Store


def settings_of(setup: Setup) -> Settings:
    from terminarz.settings import Settings

    return setup.organisation.settings if setup.organisation is not None else Settings()


def add_state(parser: Any) -> None:
    parser.add_argument(
        "--state", metavar="PLIK|URL",
        help="baza stanu: plik SQLite albo adres (sqlite:///…, postgresql://…); domyślnie "
        "zmienna TERMINARZ_STATE_URL, potem [state] url albo [state] path z pliku organizacji, "
        "a bez nich katalog danych użytkownika",
    )  # fmt: skip


def clock_now(ctx: Context) -> datetime:
    """Now — or, with ``--today``, midnight of that day in Europe/Warsaw (reproducible runs)."""

    given = getattr(ctx.args, "today", None)
    if given:
        return midnight(parse_day(given))
    return datetime.now(UTC)


# -- feed -----------------------------------------------------------------------------------

FEED_EXAMPLES = """\
Przykłady:
  terminarz feed --out kalendarze                 kalendarz każdego poziomu z katalogów
  terminarz feed --config calendars/examples/osrodek-pomocy.toml --out /var/www/terminy
  terminarz feed --config terminarz.toml --out kalendarze --from 2026-01-01 --to 2026-12-31

Pliki: all.ics, level/<poziom>.ics, a z plikiem organizacji także unit/<dział>.ics
i person/<osoba>.ics. Plik jest zapisywany tylko wtedy, gdy jego treść się zmieniła.
"""


def register_feed(sub: Any) -> None:
    p = sub.add_parser(
        "feed", help="zapisz kalendarze (.ics) do katalogu",
        description="Zapisuje kalendarze iCalendar: wszystkie terminy, każdy poziom, a z plikiem "
        "organizacji także każdy dział i każdą osobę (terminy, za które odpowiada, także "
        "w zastępstwie, i jej zadania wewnętrzne). Zmienione wydarzenia dostają wyższy numer "
        "SEQUENCE, a te, które zniknęły, zostają w kalendarzu jako odwołane (STATUS:CANCELLED) "
        "— pamięć publikacji jest w bazie stanu.",
        epilog=FEED_EXAMPLES,
    )  # fmt: skip
    p.add_argument("--out", metavar="KATALOG", type=Path, required=True,
                   help="katalog, do którego zapisać pliki .ics")  # fmt: skip
    p.add_argument("--from", dest="date_from", metavar="DATA",
                   help="początek horyzontu: DD.MM.RRRR albo RRRR-MM-DD (domyślnie 12 miesięcy "
                   "wstecz, [feeds] months_back)")  # fmt: skip
    p.add_argument("--to", dest="date_to", metavar="DATA",
                   help="koniec horyzontu: DD.MM.RRRR albo RRRR-MM-DD (domyślnie 24 miesiące "
                   "naprzód, [feeds] months_ahead)")  # fmt: skip
    p.add_argument("--verbose", "-v", action="store_true",
                   help="wypisz zapisane kalendarze (bez tej opcji polecenie milczy, gdy się "
                   "powiedzie — cron wysyła pocztą wszystko, co wypisano)")  # fmt: skip
    add_config(p)
    add_catalogue(p)
    add_state(p)
    add_today(p)
    p.set_defaults(handler=cmd_feed)


def horizon_args(ctx: Context) -> tuple[date | None, date | None]:
    args = ctx.args
    if bool(args.date_from) != bool(args.date_to):
        raise UsageError("--from i --to trzeba podać razem")
    if not args.date_from:
        return None, None
    start = parse_day(args.date_from, option="--from")
    end = parse_day(args.date_to, option="--to")
    if end < start:
        raise UsageError(f"--to ({end}) jest wcześniej niż --from ({start})")
    return start, end


def cmd_feed(ctx: Context) -> int:
    start, end = horizon_args(ctx)
    setup = ctx.setup
    with open_store(ctx, setup) as store:
        lines = write_feeds(setup, ctx.args.out, today=ctx.today, now=clock_now(ctx),
                            store=store, start=start, end=end)  # fmt: skip
    if ctx.args.verbose:
        ctx.out.write("".join(f"{line}\n" for line in lines))
    return 0


def write_feeds(
    setup: Setup,
    out_dir: Path,
    *,
    today: date,
    now: datetime,
    store: Store,
    start: date | None = None,
    end: date | None = None,
) -> list[str]:
    """Generate every feed of ``setup`` into ``out_dir``; the lines that report it."""
    from terminarz.notify.feeds import feed_set_for, generate, write_feed_files

    feed_set = feed_set_for(setup, today=today, start=start, end=end,
                            confirmations=store.confirmations())  # fmt: skip
    rendered = generate(feed_set, store.publication(), now=now)
    written = write_feed_files(rendered, out_dir)
    lines = []
    for feed in rendered.values():  # report only once every file is written
        cancelled = sum(1 for e in feed.events if e.cancelled)
        n = len(feed.events)
        line = f"  {feed.scope.path} — {n} {plural(n, 'wydarzenie', 'wydarzenia', 'wydarzeń')}"
        if cancelled:
            line += f" (w tym {cancelled} odwołanych)"
        lines.append(line)
    n = len(rendered)
    lines.append(
        f"{n} {plural(n, 'kalendarz', 'kalendarze', 'kalendarzy')} w {out_dir} "
        f"(horyzont {feed_set.start:%d.%m.%Y}–{feed_set.end:%d.%m.%Y}); zmienionych plików: "
        f"{written}"
    )
    return lines


def midnight(day: date) -> datetime:
    """Midnight of ``day`` in Europe/Warsaw, in UTC: the stamp of a run for a given day."""
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(0), tzinfo=ZoneInfo(TIMEZONE)).astimezone(UTC)


# -- serve ----------------------------------------------------------------------------------

SERVE_EXAMPLES = """\
Przykłady:
  terminarz serve --config terminarz.toml
  terminarz serve --config terminarz.toml --host 0.0.0.0 --port 8080

Adresy: /app/  (strony dla pracowników: moje terminy, miesiąc, nieobecności, wyznaczenie;
logowanie linkiem z: terminarz login-url), /  (strona z listą kalendarzy), /feeds/all.ics,
/feeds/level/<poziom>.ics, /feeds/unit/<dział>.ics, /feeds/p/<klucz>.ics (osobisty; adres
podaje: terminarz feed-url).
Klucz kalendarzy osobistych pochodzi ze zmiennej środowiskowej z [server] secret_env
(domyślnie TERMINARZ_SECRET). Za odwrotnym proxy z HTTPS ustaw [server] base_url.
"""


def register_serve(sub: Any) -> None:
    p = sub.add_parser(
        "serve", help="serwer HTTP z kalendarzami do subskrypcji",
        description="Uruchamia serwer HTTP (waitress) podający kalendarze do subskrypcji "
        "i strony potwierdzenia wysłania sprawozdań. Kalendarze są tworzone na nowo, gdy "
        "zmieni się plik organizacji, katalog, baza stanu albo data; w przeciwnym razie "
        "odpowiedź pochodzi z pamięci podręcznej (304, gdy klient ma aktualną wersję).",
        epilog=SERVE_EXAMPLES,
    )  # fmt: skip
    p.add_argument("--host", metavar="ADRES", help="adres nasłuchu (domyślnie [server] host, "
                   "127.0.0.1)")  # fmt: skip
    p.add_argument("--port", metavar="PORT", type=int, help="port (domyślnie [server] port, 8080)")
    add_config(p)
    add_catalogue(p)
    add_state(p)
    add_today(p)
    p.set_defaults(handler=cmd_serve)


def cmd_serve(ctx: Context) -> int:
    import logging
    import signal

    from terminarz.tokens import read_secret
    from terminarz.web.server import (
        FeedService,
        base_url_problem,
        build_app,
        loopback_base_url,
        mount,
        serve_forever,
    )

    setup = ctx.setup  # load once now: a broken file stops here, before listening
    settings = settings_of(setup)
    host = ctx.args.host or settings.server.host
    port = ctx.args.port if ctx.args.port is not None else settings.server.port
    if not 0 <= port <= 65535:
        raise UsageError(f"--port: {port} nie jest numerem portu (0–65535)")
    problem = base_url_problem(settings.server.base_url, host)
    if problem is not None:
        raise UsageError(problem)
    secret: bytes | None = None
    if setup.organisation is not None:
        env_name = settings.server.secret_env
        if os.environ.get(env_name):
            secret = read_secret(env_name, os.environ)
        else:
            sys.stderr.write(
                f"terminarz: uwaga: zmienna {env_name} nie jest ustawiona — kalendarze osobiste "
                "i linki potwierdzeń są wyłączone\n"
            )
    location = store_location(ctx, setup)

    from terminarz.cli.web import LOGIN_PATH, clock_for, web_routes

    clock = clock_for(ctx)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")  # fmt: skip
    given = getattr(ctx.args, "catalogue", None)
    # The service builds its own calendars: they memoise years and it has its own lock.
    from terminarz.cli.common import organisation_location
    from terminarz.notify.remote import RemoteCatalogues

    explicit = getattr(ctx.args, "state", None)
    remote = RemoteCatalogues(locate=lambda org: organisation_location(explicit, org),
                              clock=clock)  # the kept copies; remind fetches them
    service = FeedService(config=ctx.config, store=open_store(ctx, setup, threads=True),
                          clock=clock, secret=secret, catalogue_paths=given,
                          remote=remote)  # fmt: skip
    extra = []
    bind_pages: Callable[[str, int], None] | None = None
    if secret is not None:
        from terminarz.web.confirm import confirm_app

        extra.append(mount("/confirm/", confirm_app(setup, location=location, secret=secret,
                                                     clock=clock)))  # fmt: skip
        if ctx.config is not None:  # the pages (/app/) of the organisation's people
            routes, bind_pages = web_routes(ctx, setup, location=location, secret=secret,
                                            clock=clock)  # fmt: skip
            extra += routes
    app = build_app(service, extra_routes=extra, redact=(LOGIN_PATH,))
    if bind_pages is not None:
        app.on_bound(bind_pages)

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)

    def ready(bound_host: str, bound_port: int) -> None:
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        public = settings.server.base_url or loopback_base_url(bound_host, bound_port)
        sys.stderr.write(
            f"terminarz: serwer kalendarzy działa: http://{shown}:{bound_port}/ "
            f"(adres publiczny: {public}/; Ctrl+C kończy)\n"
        )
        sys.stderr.flush()

    try:
        serve_forever(app, host=host, port=port, on_ready=ready)
    finally:
        service.close()
        remote.close()
    return 0


# -- feed-url -------------------------------------------------------------------------------


def register_feed_url(sub: Any) -> None:
    p = sub.add_parser(
        "feed-url", help="adres kalendarza osobistego osoby (https i webcal://)",
        description="Wypisuje adresy subskrypcji kalendarza osobistego: https (Google, "
        "przeglądarka) i webcal:// (Outlook, Thunderbird, Kalendarz Apple). Adres zawiera "
        "tajny klucz wyliczony z identyfikatora osoby i klucza serwera (zmienna z [server] "
        "secret_env); zmiana klucza serwera unieważnia wszystkie adresy.",
        epilog="Przykład:\n  TERMINARZ_SECRET=… terminarz feed-url kier-dsps --config "
        "terminarz.toml\n",
    )  # fmt: skip
    p.add_argument("person", metavar="OSOBA", help="identyfikator osoby z [[people]]")
    add_config(p)
    p.set_defaults(handler=cmd_feed_url)


def cmd_feed_url(ctx: Context) -> int:
    from terminarz.tokens import feed_token, read_secret
    from terminarz.web.server import webcal

    _, organisation, person_id = require_person(ctx, "feed-url")
    server = organisation.settings.server
    from terminarz.web.server import base_url_problem, loopback_base_url

    problem = base_url_problem(server.base_url, server.host)
    if problem is not None:
        raise UsageError(problem)
    base = server.base_url or loopback_base_url(server.host, server.port)
    secret = read_secret(server.secret_env, os.environ)
    url = f"{base}/feeds/p/{feed_token(secret, person_id)}.ics"
    ctx.out.write(f"{url}\n{webcal(url)}\n")
    if url.startswith("http://"):
        sys.stderr.write(
            "terminarz: uwaga: [server] base_url zaczyna się od http:// — adres z kluczem "
            "powinien być podawany przez HTTPS (odwrotne proxy, zob. README)\n"
        )
    return 0


def register(sub: Any) -> None:
    from terminarz.cli import web

    register_feed(sub)
    register_serve(sub)
    register_feed_url(sub)
    web.register(sub)

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
    add_orgs,
    add_today,
    open_store,
    organisation_files,
    parse_day,
    require_person,
    store_location,
)
from terminarz.errors import UsageError
from terminarz.polish import plural

if TYPE_CHECKING:
    from terminarz.notify.feeds import FeedSet, RenderedFeed
    from terminarz.notify.fingerprint import Check
    from terminarz.org.plan import Setup
    from terminarz.settings import Settings
    from terminarz.store.base import Store
    from terminarz.web.sites import Site


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

  terminarz feed --orgs /etc/terminarz/instytucje --out /var/www/terminy   instytucje: <id>/…

Pliki: all.ics, level/<poziom>.ics, a z plikiem organizacji także unit/<dział>.ics
i person/<osoba>.ics. Plik jest zapisywany tylko wtedy, gdy jego treść się zmieniła.
Gdy od poprzedniego uruchomienia nie zmieniło się nic, z czego powstają kalendarze (plik
organizacji i wskazane w nim pliki, baza stanu, data, opcje), a zapisane pliki są
nienaruszone, polecenie kończy pracę bez ponownego ich tworzenia (zapis tego stanu jest
przechowywany w katalogu pamięci podręcznej użytkownika, np. ~/.cache/terminarz/feeds/).
Z --orgs kalendarze każdej instytucji trafiają do podkatalogu nazwanego jej identyfikatorem.
"""


def register_feed(sub: Any) -> None:
    p = sub.add_parser(
        "feed", help="zapisuje kalendarze (.ics) do katalogu",
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
                   help="wypisuje zapisane kalendarze (bez tej opcji polecenie milczy, gdy się "
                   "powiedzie — cron wysyła pocztą wszystko, co wypisano)")  # fmt: skip
    add_config(p)
    add_orgs(p)
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
    if ctx.args.orgs is not None:
        return feed_many(ctx, organisation_files(ctx.args.orgs))
    from terminarz.notify.fingerprint import Check

    start, end = horizon_args(ctx)
    check = Check(feed_key(ctx, start, end), day=ctx.today.isoformat(), config=ctx.config)
    lines = check.unchanged()  # nothing changed: nothing is loaded, rendered or written
    if lines is None:
        lines = generate_recorded(ctx, ctx.setup, check, ctx.args.out, start=start, end=end)
    if ctx.args.verbose:
        ctx.out.write("".join(f"{line}\n" for line in lines))
    return 0


def generate_recorded(ctx: Context, setup: Setup, check: Check, out_dir: Path, *,
                      start: date | None, end: date | None) -> list[str]:  # fmt: skip
    """Generate ``setup``'s feeds into ``out_dir`` and keep the record of what they were made
    of (:mod:`terminarz.notify.fingerprint`), for the next run to compare; the report."""
    check.before_generation()
    published: dict[str, str] = {}
    outputs: list[str] = []

    def written(feed_set: FeedSet, rendered: dict[str, RenderedFeed]) -> None:
        for key, feed in rendered.items():
            published[f"{feed_set.namespace}|{key}"] = feed.etag.strip('"')
            outputs.append(str((out_dir / feed.scope.path).absolute()))

    with open_store(ctx, setup) as store:
        lines = write_feeds(setup, out_dir, today=ctx.today, now=clock_now(ctx), store=store,
                            start=start, end=end, written=written)  # fmt: skip
    check.after_generation(setup, location=store_location(ctx, setup), published=published,
                           outputs=outputs, lines=lines)  # fmt: skip
    return lines


def feed_key(ctx: Context, start: date | None, end: date | None) -> str:
    """What names one ``feed`` run's record (:mod:`terminarz.notify.fingerprint`): the output
    folder as given (the report names it so), the organisation file, the options, the
    working folder and the environment that choose the catalogues and the store (the day is
    compared apart)."""
    args = ctx.args
    config = ctx.config
    given = args.catalogue or []
    parts = [
        str(args.out), str(config.absolute()) if config is not None else "",
        *(str(Path(c).absolute()) for c in given), "|", args.state or "", str(start), str(end),
        os.getcwd(),
        *(os.environ.get(name, "") for name in ("TERMINARZ_STATE_URL", "XDG_DATA_HOME",
                                                "XDG_CACHE_HOME", "HOME")),
    ]  # fmt: skip
    return "\x00".join(parts)


def feed_many(ctx: Context, configs: list[Path]) -> int:
    """``feed --orgs``: every institution's feeds into ``--out/<organisation id>/``. A file
    with a mistake is reported and the others are still written (exit 2 at the end). An
    institution whose feeds' inputs did not change since its last generation is answered
    from its record, as ``feed --config`` is: its file is not even loaded."""
    from terminarz.errors import TerminarzError
    from terminarz.notify.fingerprint import Check

    start, end = horizon_args(ctx)
    code = 0
    seen: dict[str, Path] = {}
    for config in configs:
        sub = for_config(ctx, config)
        check = Check(feed_key(sub, start, end), day=sub.today.isoformat(), config=config)
        try:
            lines = check.unchanged()
            if lines is not None and check.previous is not None:
                org_id = check.previous.organisation
            else:
                setup = sub.setup
                assert setup.organisation is not None  # load_setup with a file has one
                org_id = setup.organisation.id
            if org_id in seen:
                raise UsageError(f"{config}: identyfikator {org_id} ma już {seen[org_id]}")
            seen[org_id] = config
            if lines is None:
                lines = generate_recorded(sub, setup, check, ctx.args.out / org_id,
                                          start=start, end=end)  # fmt: skip
        except TerminarzError as exc:
            sys.stderr.write(f"terminarz: {config}: {exc}\n")
            code = 2
            continue
        ctx.out.write(f"{org_id}:\n" + "".join(f"{line}\n" for line in lines))
    return code


def write_feeds(
    setup: Setup,
    out_dir: Path,
    *,
    today: date,
    now: datetime,
    store: Store,
    start: date | None = None,
    end: date | None = None,
    decorate: Callable[[FeedSet], FeedSet] | None = None,
    written: Callable[[FeedSet, dict[str, RenderedFeed]], None] | None = None,
) -> list[str]:
    """Generate every feed of ``setup`` into ``out_dir``; the lines that report it.
    ``decorate`` adds to the feeds before they are written (an upper level's counts);
    ``written`` is told the feeds and their rendering (by scope key) once the files are."""
    from terminarz.notify.feeds import feed_set_for, generate, write_feed_files

    feed_set = feed_set_for(setup, today=today, start=start, end=end,
                            confirmations=store.confirmations())  # fmt: skip
    if decorate is not None:
        feed_set = decorate(feed_set)
    rendered = generate(feed_set, store.publication(), now=now)
    changed = write_feed_files(rendered, out_dir)
    if written is not None:
        written(feed_set, rendered)
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
        f"{changed}"
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
  terminarz serve --orgs /etc/terminarz/instytucje        wiele instytucji: /o/<id>/…
  terminarz serve --config uw.toml --orgs /etc/terminarz/instytucje
                                  tylko urząd z --config; --orgs to jego sprawozdawcy

Adresy: /app/  (strony dla pracowników: moje terminy, miesiąc, nieobecności, wyznaczenie;
logowanie linkiem z: terminarz login-url), /  (strona z listą kalendarzy), /feeds/all.ics,
/feeds/level/<poziom>.ics, /feeds/unit/<dział>.ics, /feeds/p/<klucz>.ics (osobisty; adres
podaje: terminarz feed-url).
Klucz kalendarzy osobistych pochodzi ze zmiennej środowiskowej z [server] secret_env
(domyślnie TERMINARZ_SECRET). Za odwrotnym proxy z HTTPS należy ustawić [server] base_url.
Z --orgs (każdy plik z [server] shared = true) każda instytucja ma te same adresy pod
/o/<identyfikator>/ (np. /o/mops-piekary/feeds/p/<klucz>.ics, /o/mops-piekary/app/).
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
    add_orgs(p)  # alone: every institution; with --config: the deployment of its reporters
    add_catalogue(p)
    add_state(p)
    add_today(p)
    p.set_defaults(handler=cmd_serve)


def cmd_serve(ctx: Context) -> int:
    import logging

    from terminarz.cli.web import clock_for

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")  # fmt: skip
    clock = clock_for(ctx)
    if ctx.args.orgs is not None and ctx.args.config is None:
        return serve_many(ctx, organisation_files(ctx.args.orgs), clock=clock)
    setup = ctx.setup  # load once now: a broken file stops here, before listening
    settings = settings_of(setup)
    if setup.organisation is not None and settings.server.shared and ctx.config is not None:
        return serve_many(ctx, [ctx.config], clock=clock)  # its addresses are /o/<id>/…
    host, port = listen_address(ctx, settings)
    from terminarz.web.server import base_url_problem, loopback_base_url

    problem = base_url_problem(settings.server.base_url, host)
    if problem is not None:
        raise UsageError(problem)
    site = build_site(ctx, setup, clock=clock)

    def ready(bound_host: str, bound_port: int) -> None:
        public = settings.server.base_url or loopback_base_url(bound_host, bound_port)
        announce(bound_host, bound_port, f"adres publiczny: {public}/")

    try:
        run_server(site.app, host=host, port=port, on_ready=ready)
    finally:
        site.close()
    return 0


def listen_address(ctx: Context, settings: Settings) -> tuple[str, int]:
    """``--host``/``--port``, else ``[server] host``/``port`` of the (first) organisation file."""
    host = ctx.args.host or settings.server.host
    port = ctx.args.port if ctx.args.port is not None else settings.server.port
    if not 0 <= port <= 65535:
        raise UsageError(f"--port: {port} nie jest numerem portu (0–65535)")
    return host, port


def announce(host: str, port: int, detail: str) -> None:
    shown = f"[{host}]" if ":" in host else host
    sys.stderr.write(f"terminarz: serwer kalendarzy działa: http://{shown}:{port}/ "
                     f"({detail}; Ctrl+C kończy)\n")  # fmt: skip
    sys.stderr.flush()


def run_server(app: Any, *, host: str, port: int,
               on_ready: Callable[[str, int], None]) -> None:  # fmt: skip
    """Serve ``app`` until SIGTERM or Ctrl+C."""
    import signal

    from terminarz.web.server import serve_forever

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    serve_forever(app, host=host, port=port, on_ready=on_ready)


def build_site(ctx: Context, setup: Setup, *, clock: Callable[[], datetime],
               log_requests: bool = True) -> Site:  # fmt: skip
    """One institution's application (feeds, confirmation links, pages) — or, without an
    organisation file, the catalogues' feeds — with its own store and keys."""
    from terminarz.cli.common import organisation_location
    from terminarz.cli.web import LOGIN_PATH, web_routes
    from terminarz.notify.remote import RemoteCatalogues
    from terminarz.tokens import read_secret, site_secret
    from terminarz.web.server import FeedService, Route, build_app, mount
    from terminarz.web.sites import Site

    settings = settings_of(setup)
    organisation = setup.organisation
    secret: bytes | None = None
    if organisation is not None:
        env_name = settings.server.secret_env
        if os.environ.get(env_name):
            secret = site_secret(read_secret(env_name, os.environ), organisation.id,
                                 shared=settings.server.shared)  # fmt: skip
        else:
            sys.stderr.write(
                f"terminarz: uwaga: zmienna {env_name} nie jest ustawiona — kalendarze osobiste "
                f"i linki potwierdzeń {organisation.id} są wyłączone\n"
            )
    location = store_location(ctx, setup)
    given = getattr(ctx.args, "catalogue", None)
    explicit = getattr(ctx.args, "state", None)
    remote = RemoteCatalogues(locate=lambda org: organisation_location(explicit, org),
                              clock=clock)  # the kept copies; remind fetches them
    decorate = None
    if ctx.args.orgs is not None and setup.organisation is not None \
            and setup.organisation.reporters:  # fmt: skip
        from terminarz.notify.reporting import feeds_with_counts

        decorate = feeds_with_counts(
            organisation_files(ctx.args.orgs), statutory=ctx.calendar,
            locate=lambda org: organisation_location(explicit, org))  # fmt: skip
    # The service builds its own calendars: they memoise years and it has its own lock.
    service = FeedService(config=ctx.config, store=open_store(ctx, setup, threads=True),
                          clock=clock, secret=secret, catalogue_paths=given,
                          remote=remote, decorate=decorate)  # fmt: skip
    extra: list[Route] = []
    bind_pages: Callable[[str, int], None] | None = None
    if secret is not None:
        from terminarz.web.confirm import confirm_app

        extra.append(mount("/confirm/", confirm_app(setup, location=location, secret=secret,
                                                     clock=clock)))  # fmt: skip
        if ctx.config is not None:  # the pages (/app/) of the organisation's people
            routes, bind_pages = web_routes(ctx, setup, location=location, secret=secret,
                                            clock=clock)  # fmt: skip
            extra += routes
    app = build_app(service, extra_routes=extra, redact=(LOGIN_PATH,), log_requests=log_requests)
    if bind_pages is not None:
        app.on_bound(bind_pages)

    def close() -> None:
        service.close()
        remote.close()

    return Site(app=app, close=close)


def for_config(ctx: Context, config: Path) -> Context:
    """``ctx`` as if ``--config config`` had been given (one institution of ``--orgs``)."""
    import argparse

    return Context(args=argparse.Namespace(**{**vars(ctx.args), "config": config}), out=ctx.out)


def read_heads(configs: list[Path]) -> dict[str, tuple[Path, str, dict[str, Any]]]:
    """Each file's organisation id → (file, name, its ``[server]`` table), read without
    loading the institution (that happens on its first request). A Polish error for a file
    that cannot be read, has no id, repeats another's id or is not marked as shared."""
    import tomllib

    heads: dict[str, tuple[Path, str, dict[str, Any]]] = {}
    for path in configs:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"{path}: nie można odczytać pliku organizacji: {exc}") from None
        org = data.get("organisation")
        org_id = org.get("id") if isinstance(org, dict) else None
        if not isinstance(org_id, str) or not org_id:
            raise UsageError(f"{path}: brak [organisation] id — w wdrożeniu wielu instytucji "
                             "adresy każdej zawierają jej identyfikator")  # fmt: skip
        server = data.get("server") if isinstance(data.get("server"), dict) else {}
        assert isinstance(server, dict)
        if server.get("shared") is not True:
            raise UsageError(
                f"{path}: instytucja {org_id} ma być jedną z wielu w tym wdrożeniu (--orgs), "
                "a w sekcji [server] nie ustawiono shared = true — bez tego jej linki "
                "(w poczcie, feed-url, login-url) nie zawierałyby /o/<id>/"
            )
        if org_id in heads:
            raise UsageError(f"{path}: identyfikator {org_id} ma już {heads[org_id][0]} — każda "
                             "instytucja wdrożenia musi mieć własny")  # fmt: skip
        name = org.get("name") if isinstance(org, dict) else None
        heads[org_id] = (path, name if isinstance(name, str) else org_id, server)
    return heads


def serve_many(ctx: Context, configs: list[Path], *, clock: Callable[[], datetime]) -> int:
    """Serve every institution of ``configs`` at ``/o/<id>/…`` from this process."""
    import hashlib
    import re

    from terminarz.cli.web import LOGIN_PATH
    from terminarz.web.server import (
        HTML_TYPE,
        Route,
        Router,
        base_url_problem,
        cached_response,
    )
    from terminarz.web.sites import SiteRouter, index_page

    heads = read_heads(configs)
    first = for_config(ctx, configs[0])
    host, port = listen_address(ctx, settings_of(first.setup))  # the first file is checked now
    for path, _, server in heads.values():
        base_url = server.get("base_url")
        problem = base_url_problem(base_url if isinstance(base_url, str) else "", host)
        if problem is not None:
            raise UsageError(f"{path}: {problem}")

    def build(org_id: str) -> Site:
        sub = for_config(ctx, heads[org_id][0])
        return build_site(sub, sub.setup, clock=clock, log_requests=False)

    sites = SiteRouter(build, heads)
    front = index_page({org_id: head[1] for org_id, head in heads.items()})
    etag = '"' + hashlib.sha256(front).hexdigest()[:32] + '"'
    started = clock()

    def index(request: Any, match: Any) -> Any:
        return cached_response(request, front, etag=etag, modified=started,
                               content_type=HTML_TYPE, private=False)  # fmt: skip

    app = Router([Route(pattern=re.compile(r"/"), handler=index),
                  Route(pattern=re.compile(r"/o/.*"), app=sites,
                        methods=frozenset({"GET", "HEAD", "POST"}))],
                 redact=_redactions(LOGIN_PATH))  # fmt: skip
    app.on_bound(sites.bound)
    n = len(heads)
    try:
        run_server(app, host=host, port=port, on_ready=lambda h, p: announce(
            h, p, f"{n} {plural(n, 'instytucja', 'instytucje', 'instytucji')} pod /o/<id>/"))
    finally:
        sites.close()
    return 0


def _redactions(*extra: Any) -> tuple[Any, ...]:
    from terminarz.web.server import CONFIRM_PATH, TOKEN_LIKE, TOKEN_PATH

    return (TOKEN_PATH, CONFIRM_PATH, *extra, TOKEN_LIKE)


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
    from terminarz.links import site_url
    from terminarz.tokens import feed_token, read_secret, site_secret
    from terminarz.web.server import webcal

    _, organisation, person_id = require_person(ctx, "feed-url")
    server = organisation.settings.server
    from terminarz.web.server import base_url_problem, loopback_base_url

    problem = base_url_problem(server.base_url, server.host)
    if problem is not None:
        raise UsageError(problem)
    base = site_url(server.base_url or loopback_base_url(server.host, server.port),
                    organisation.id, shared=server.shared)  # fmt: skip
    secret = site_secret(read_secret(server.secret_env, os.environ), organisation.id,
                         shared=server.shared)  # fmt: skip
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

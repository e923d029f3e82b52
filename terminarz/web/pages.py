"""The pages (one Flask blueprint): sign-in, Moje terminy, Miesiąc, Dział, Ośrodek,
Nieobecności, Wyznaczenie (II.5), Termin do ustalenia, Historia, Deklaracja dostępności.

Every page reads the plan of the organisation file joined with what the store
records (:func:`terminarz.notify.recorded.recorded_setup`); every write goes through
the store and is audited. Another person's page or action answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from terminarz.errors import TerminarzError
from terminarz.notify.recorded import recorded_setup
from terminarz.org.datarequests import Task, split_task_id
from terminarz.org.organisation import Organisation
from terminarz.org.plan import (
    PlannedOccurrence,
    Setup,
    find_occurrence,
    for_unit,
    plan,
    plan_one,
    plan_pending,
)
from terminarz.polish import date_words, long_date
from terminarz.store.base import AbsenceCategory
from terminarz.web import rows
from terminarz.web.signin import digest, start_session, use_login

if TYPE_CHECKING:
    from terminarz.store.base import Store

pages = Blueprint("pages", __name__)
WARSAW = ZoneInfo("Europe/Warsaw")
WEB_NOTE = "przez stronę terminarza"  # the note of a confirmation made on the pages
F = TypeVar("F", bound=Callable[..., Any])

CATEGORY_WORDS = {
    AbsenceCategory.LEAVE: "urlop",
    AbsenceCategory.SICK: "zwolnienie lekarskie",
    AbsenceCategory.TRIP: "delegacja",
    AbsenceCategory.OTHER: "inna nieobecność",
}
ACTION_WORDS = {
    "absence": "zapisano nieobecność",
    "absence-withdrawn": "wycofano nieobecność",
    "absence-purged": "usunięto dawne nieobecności (okres przechowywania)",
    "designation": "wyznaczono osobę",
    "designation-withdrawn": "wycofano wyznaczenie",
    "announced-date": "wpisano ogłoszony termin",
    "sign-in": "zalogowano się",
    "confirmed": "potwierdzono wysłanie",
    "unconfirmed": "cofnięto potwierdzenie",
    "receipt-received": "przyjęto sprawozdanie",
    "receipt-returned": "zwrócono sprawozdanie do poprawy",
    "summons": "wysłano wezwanie",
}


# -- helpers --------------------------------------------------------------------------------------


def signed_in(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.person is None:
            return redirect(url_for("pages.sign_in_help"))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def organisation() -> Organisation:
    org = g.setup_file.organisation
    assert org is not None
    return cast(Organisation, org)


def setup() -> Setup:
    """The setup with what the store records, once per request."""
    found = g.get("setup")
    if found is None:
        since = g.today - timedelta(days=rows.BACK_DAYS + 31)
        found = g.setup = recorded_setup(g.setup_file, g.store, since=since)
    return cast(Setup, found)


def planned(start: date, end: date) -> list[PlannedOccurrence]:
    return plan(setup(), start, end, today=g.today)


def now() -> datetime:
    return cast(datetime, g.now)


def page(template: str, **values: Any) -> str:
    return render_template(template, **values)


def back(default: str) -> Any:
    target = request.form.get("back", "")
    if target.startswith(request.script_root + "/") and "\\" not in target and "//" not in target:
        return redirect(target, code=303)
    return redirect(default, code=303)


def end_session(store: Store, at: datetime) -> None:
    session_id = session.get("sid")
    if isinstance(session_id, str) and session_id:
        store.close_session(digest(session_id), at=at)
    session.clear()


def parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


# -- sign-in --------------------------------------------------------------------------------------


@pages.route("/logowanie", methods=["GET", "POST"])
def sign_in_help() -> str:
    """Ask for a link by mail; the answer is the same for a known and an unknown address."""
    if request.method == "GET":
        return page("signin.html.j2", state="help")
    from flask import current_app

    from terminarz.web.address import public_url
    from terminarz.web.maillink import MailError, person_by_address, send_login_mail
    from terminarz.web.signin import issue_login_link

    web = current_app.extensions["terminarz"]
    org = organisation()
    person = person_by_address(org, request.form.get("email", "")[:254])
    if person is not None:
        url = issue_login_link(g.store, secret=web.secret,
                               base_url=public_url(web.address, org.settings.server),
                               person_id=person.id, now=now())  # fmt: skip
        try:
            send_login_mail(org, person, url, environ=web.environ, now=now())
        except (MailError, OSError) as exc:
            current_app.logger.error("nie wysłano linku logowania do %s: %s", person.id, exc)
    return page("signin.html.j2", state="sent")


@pages.route("/zaloguj/<token>", methods=["GET", "POST"])
def sign_in(token: str) -> Any:
    if request.method == "GET":
        return page("signin.html.j2", state="form", token=token)
    person = use_login(g.store, secret=_secret(), token=token, now=now())
    if person is None or organisation().person(person) is None:
        return page("signin.html.j2", state="refused"), 403
    if g.person is not None:
        end_session(g.store, now())
    session.clear()
    session["sid"] = start_session(g.store, person_id=person, now=now())
    return redirect(url_for("pages.home"), code=303)


def _secret() -> bytes:
    from flask import current_app

    return cast(bytes, current_app.extensions["terminarz"].secret)



@pages.post("/wyloguj")
def sign_out() -> Any:
    end_session(g.store, now())
    return redirect(url_for("pages.sign_in_help"), code=303)


# -- Moje terminy ---------------------------------------------------------------------------------


@pages.get("/")
@signed_in
def home() -> Any:
    return person_page(g.person)


@pages.get("/osoba/<person>")
@signed_in
def person_page(person: str) -> Any:
    org = organisation()
    if org.person(person) is None:
        abort(404)
    if not rows.may_see_person(org, g.person, person):
        abort(403)
    start = g.today - timedelta(days=rows.BACK_DAYS)
    items = planned(start, g.today + timedelta(days=rows.AHEAD_DAYS + 45))
    calendar = setup().institution.statutory()  # as `due` counts the days left
    mine = rows.my_deadlines(items, person, g.today, g.store.confirmations(), calendar)
    waiting = plan_pending(setup(), start, g.today + timedelta(days=rows.AHEAD_DAYS),
                           today=g.today)  # fmt: skip
    mine.undated.extend(rows.undated_rows(waiting, person, g.today, calendar))
    return page("home.html.j2", deadlines=mine, subject=org.person(person),
                own=person == g.person, here=request.script_root + request.path)


@pages.post("/potwierdz")
@signed_in
def confirm() -> Any:
    wanted = request.form.get("id", "").strip()
    action = request.form.get("action", "done")
    item, task = _find(wanted)
    if not rows.may_act(organisation(), g.person, item, task):
        abort(403)
    store = g.store
    if action == "undo":
        withdrawn = store.unconfirm(wanted, by=g.person, at=now(), note=WEB_NOTE)
        if withdrawn is not None:
            store.audit(action="unconfirmed", subject=wanted, actor=g.person, at=now())
    else:
        if store.confirmation(wanted) is None:
            store.confirm(wanted, by=g.person, at=now(), note=WEB_NOTE)
            store.audit(action="confirmed", subject=wanted, actor=g.person, at=now())
    return back(url_for("pages.home"))


def _find(wanted: str) -> tuple[PlannedOccurrence, Task | None]:
    occurrence_id, task_id = wanted, None
    if "#" in wanted:
        try:
            occurrence_id = split_task_id(wanted)[0]
        except ValueError:
            abort(404)
        task_id = wanted
    try:
        item = plan_one(setup(), occurrence_id, today=g.today)
    except TerminarzError:
        abort(404)
    if task_id is None:
        return item, None
    for task in item.tasks:
        if task.id == task_id:
            return item, task
    abort(404)


# -- Miesiąc --------------------------------------------------------------------------------------


@pages.get("/miesiac")
@signed_in
def month() -> str:
    org = organisation()
    year, month_no = rows.parse_month(request.args.get("m"), g.today)
    scope = request.args.get("zakres", "moje")
    choices = [("moje", "moje terminy")]
    units = rows.headed_units(org, g.person)
    person = org.person(g.person)
    if person is not None:
        choices.append(("dzial", "mój dział"))
    if g.person in rows.directors(org):
        choices.append(("osrodek", "cała instytucja"))
    if scope not in dict(choices):
        scope = "moje"
    people: frozenset[str] | None
    if scope == "osrodek":
        people = None
    elif scope == "dzial":
        unit_ids = {*units, person.unit} if person is not None else set(units)
        people = frozenset(p.id for p in org.people if p.unit in unit_ids)
    else:
        people = frozenset({g.person})
    start, end = rows.month_span(year, month_no)
    items = planned(start, end + timedelta(days=45))
    grid = rows.month_grid(setup(), items, year, month_no, today=g.today, people=people)
    return page("month.html.j2", month=grid, scope=scope, choices=choices,
                weekdays=("poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota",
                          "niedziela"))  # fmt: skip


# -- Dział and Ośrodek ----------------------------------------------------------------------------


def _table(unit: str | None) -> list[rows.TableRow]:
    org = organisation()
    items = planned(g.today - timedelta(days=14), g.today + timedelta(days=rows.TABLE_DAYS + 45))
    if unit is not None:
        items = for_unit(items, org, unit)
    end = g.today + timedelta(days=rows.TABLE_DAYS)
    found = rows.table_rows(items, org, g.today, g.store.confirmations())
    return [r for r in found if r.due <= end and (r.due >= g.today or r.status_key != "done")]


def _csv(table: list[rows.TableRow], name: str) -> Response:
    body = "\ufeff" + rows.csv_text(table)  # a BOM: spreadsheets then read it as UTF-8
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _unit_for_head() -> str:
    units = rows.headed_units(organisation(), g.person)
    if not units:
        abort(403)
    wanted = request.args.get("dzial", units[0])
    if wanted not in units:
        abort(403)
    return wanted


@pages.get("/dzial")
@signed_in
def unit_page() -> str:
    unit = _unit_for_head()
    found = organisation().unit(unit)
    return page("table.html.j2", heading=f"Dział: {found.name if found else unit}",
                table=_table(unit), csv=url_for("pages.unit_csv", dzial=unit),
                units=rows.headed_units(organisation(), g.person))  # fmt: skip


@pages.get("/dzial.csv")
@signed_in
def unit_csv() -> Response:
    unit = _unit_for_head()
    return _csv(_table(unit), f"dzial-{unit}-{g.today.isoformat()}.csv")


@pages.get("/osrodek")
@signed_in
def institution_page() -> str:
    if g.person not in rows.directors(organisation()):
        abort(403)
    return page("table.html.j2", heading=f"Instytucja: {organisation().name}",
                table=_table(None), csv=url_for("pages.institution_csv"), units=[])


@pages.get("/osrodek.csv")
@signed_in
def institution_csv() -> Response:
    if g.person not in rows.directors(organisation()):
        abort(403)
    return _csv(_table(None), f"instytucja-{g.today.isoformat()}.csv")


# -- Nieobecności ---------------------------------------------------------------------------------


def _purge_old() -> None:
    days = organisation().settings.server.absence_retention
    g.store.purge_absences(ended_before=g.today - timedelta(days=days), at=now())


def _may_record_for(person: str) -> bool:
    org = organisation()
    found = org.person(person)
    if found is None:
        return False
    return person == g.person or found.unit in rows.headed_units(org, g.person)


@pages.route("/nieobecnosci", methods=["GET", "POST"])
@signed_in
def absences() -> Any:
    org = organisation()
    errors: list[str] = []
    if request.method == "POST":
        person = request.form.get("person", g.person)
        start = parse_day(request.form.get("start"))
        end = parse_day(request.form.get("end"))
        category_text = request.form.get("category", "")
        if not _may_record_for(person):
            abort(403)
        if start is None or end is None:
            errors.append("Proszę podać daty „od” i „do” (dzień, miesiąc, rok).")
        elif end < start:
            errors.append("Data „do” nie może być wcześniejsza niż data „od”.")
        elif (end - start).days > 366:
            errors.append("Nieobecność można zapisać na najwyżej rok; dłuższą należy zapisać "
                          "w częściach.")
        if category_text not in {c.value for c in AbsenceCategory}:
            errors.append("Proszę wybrać rodzaj nieobecności.")
        if not errors:
            assert start is not None and end is not None
            g.store.add_absence(person=person, start=start, end=end,
                                category=AbsenceCategory(category_text), by=g.person, at=now())
            return redirect(url_for("pages.absences"), code=303)
    _purge_old()
    me = org.person(g.person)
    assert me is not None
    heads = rows.headed_units(org, g.person)
    visible_units = {me.unit, *heads}
    recorded = []
    for a in g.store.absences(ending_on_or_after=g.today - timedelta(days=31)):
        who = org.person(a.person)
        if who is None or who.unit not in visible_units:
            continue
        full = a.person == g.person or who.unit in heads
        recorded.append({
            "id": a.id, "name": who.name, "start": date_words(a.start), "end": date_words(a.end),
            "what": CATEGORY_WORDS[a.category] if full else "nieobecny/nieobecna",
            "may_withdraw": full,
        })  # fmt: skip
    from_file = []
    for a in org.absences:
        who = org.person(a.person)
        if who is None or who.unit not in visible_units or a.end < g.today - timedelta(days=31):
            continue
        full = a.person == g.person or who.unit in heads
        from_file.append({
            "name": who.name, "start": date_words(a.start), "end": date_words(a.end),
            "what": (a.reason or "nieobecność") if full else "nieobecny/nieobecna",
            "source": "kalendarz kadr" if a.source else "plik organizacji",
        })  # fmt: skip
    people = [me] + [p for p in org.people if p.unit in heads and p.id != g.person]
    return page("absences.html.j2", recorded=recorded, from_file=from_file, people=people,
                categories=[(c.value, CATEGORY_WORDS[c]) for c in AbsenceCategory],
                errors=errors, form=request.form), (400 if errors else 200)  # fmt: skip


@pages.post("/nieobecnosci/wycofaj")
@signed_in
def withdraw_absence() -> Any:
    try:
        wanted = int(request.form.get("id", ""))
    except ValueError:
        abort(404)
    found = [a for a in g.store.absences() if a.id == wanted]
    if not found:
        abort(404)
    if not _may_record_for(found[0].person):
        abort(403)
    g.store.withdraw_absence(wanted, by=g.person, at=now())
    return redirect(url_for("pages.absences"), code=303)


# -- Wyznaczenie (II.5) ---------------------------------------------------------------------------


def _designatable() -> list[PlannedOccurrence]:
    """Occurrences of the coming weeks whose duty has ``me`` as its fallback."""
    items = planned(g.today - timedelta(days=14), g.today + timedelta(days=rows.TABLE_DAYS + 60))
    return [i for i in items if i.duty is not None and i.duty.fallback == g.person]


@pages.route("/wyznaczenie", methods=["GET", "POST"])
@signed_in
def designate() -> Any:
    org = organisation()
    if g.person not in rows.directors(org):
        abort(403)
    choices = _designatable()
    obligations = [o for o in setup().obligations
                   if (d := org.duty_for(o.id)) is not None and d.fallback == g.person]
    errors: list[str] = []
    if request.method == "POST":
        ranged = request.form.get("mode") == "range"
        target = request.form.get("obligation" if ranged else "occurrence", "")
        person = request.form.get("person", "")
        basis = " ".join(request.form.get("basis", "").split())[:300]
        start = parse_day(request.form.get("start")) if ranged else None
        end = parse_day(request.form.get("end")) if ranged else None
        allowed = {o.id for o in obligations} if ranged else {i.id for i in choices}
        if target not in allowed:
            errors.append("Proszę wybrać sprawozdanie z listy.")
        if org.person(person) is None:
            errors.append("Proszę wybrać osobę z listy.")
        if ranged and (start is None or end is None or end < start):
            errors.append("Proszę podać okres wyznaczenia: datę „od” i nie wcześniejszą "
                          "datę „do”.")
        if not basis:
            errors.append("Proszę podać podstawę wyznaczenia (np. polecenie dyrektora "
                          "z dnia …).")
        if not errors:
            g.store.add_designation(person=person, occurrence_id=target, start=start, end=end,
                                    basis=basis, by=g.person, at=now())  # fmt: skip
            return redirect(url_for("pages.designate"), code=303)
    rows_ = [{
        "id": i.id, "title": f"{i.occurrence.obligation.label} — {i.occurrence.period.words()}",
        "due": long_date(i.due),
        "who": ", ".join(org.person_name(p) for p in i.owners),
        "why": rows.why_words(i, org),
        "needs": bool(i.resolution and i.resolution.needs_designation),
    } for i in choices]  # fmt: skip
    titles = {i.id: f"{i.occurrence.obligation.label} — {i.occurrence.period.words()}"
              for i in choices}
    titles.update({o.id: f"{o.label} ({o.level})" for o in obligations})
    recorded = [{
        "id": d.id, "person": org.person_name(d.person),
        "title": titles.get(d.occurrence_id or "", d.occurrence_id or "") + (
            f", od {date_words(d.start)} do {date_words(d.end)}" if d.start and d.end else ""),
        "target": d.occurrence_id or "",
        "basis": d.basis, "by": org.person_name(d.designated_by),
    } for d in g.store.designations()]  # fmt: skip
    candidates = [p for p in org.people if p.system_access]
    return page("designate.html.j2", items=rows_, recorded=recorded, candidates=candidates,
                obligations=[(o.id, f"{o.label} — {o.title} ({o.level})") for o in obligations],
                errors=errors, form=request.form), (400 if errors else 200)  # fmt: skip


@pages.post("/wyznaczenie/wycofaj")
@signed_in
def withdraw_designation() -> Any:
    if g.person not in rows.directors(organisation()):
        abort(403)
    try:
        wanted = int(request.form.get("id", ""))
    except ValueError:
        abort(404)
    if not g.store.withdraw_designation(wanted, by=g.person, at=now()):
        abort(404)
    return redirect(url_for("pages.designate"), code=303)


# -- Termin do ustalenia --------------------------------------------------------------------------


@pages.route("/termin", methods=["GET", "POST"])
@signed_in
def announced() -> Any:
    """An announced date for an occurrence the person is responsible for (with its source)."""
    org = organisation()
    errors: list[str] = []
    waiting = {p.id: p for p in plan_pending(setup(), g.today - timedelta(days=rows.BACK_DAYS),
                                             g.today + timedelta(days=365), today=g.today)}
    if request.method == "POST":
        wanted = request.form.get("occurrence", "").strip()
        due = parse_day(request.form.get("due"))
        source = " ".join(request.form.get("source", "").split())[:300]
        if "#" in wanted:
            abort(404)
        item = waiting[wanted] if wanted in waiting else _find(wanted)[0]
        if not rows.may_act(org, g.person, item):
            abort(403)
        if due is None:
            errors.append("Proszę podać ogłoszony termin (dzień, miesiąc, rok).")
        if not source:
            errors.append("Proszę podać źródło terminu (np. pismo wojewody z dnia …).")
        if not errors:
            assert due is not None
            g.store.set_announced_date(occurrence_id=wanted, due=due, source=source,
                                       by=g.person, at=now())  # fmt: skip
            return redirect(url_for("pages.announced"), code=303)
    items = planned(g.today - timedelta(days=31), g.today + timedelta(days=365))
    mine = [i for i in items if g.person in i.owners]
    entered = g.store.announced_dates()
    # first the reports still without a date (Moje terminy links here with ?id=…)
    listed = [{
        "id": p.id, "title": f"{p.undated.obligation.label} — {p.undated.period.words()}",
        "due": f"do ustalenia, {p.undated.window_words()}", "entered": "",
    } for p in waiting.values() if g.person in p.people()]  # fmt: skip
    listed += [{
        "id": i.id, "title": f"{i.occurrence.obligation.label} — {i.occurrence.period.words()}",
        "due": long_date(i.due),
        "entered": (f"{long_date(entered[i.id].due)} ({entered[i.id].source})"
                    if i.id in entered else ""),
    } for i in mine]  # fmt: skip
    chosen = request.form.get("occurrence") or request.args.get("id", "")
    return page("announced.html.j2", items=listed, errors=errors, form=request.form,
                chosen=chosen), (400 if errors else 200)  # fmt: skip


# -- Historia -------------------------------------------------------------------------------------


@pages.get("/historia")
@signed_in
def history() -> str:
    """The audit log and the confirmation log (mail links, CLI and pages), newest first."""
    org = organisation()
    everything = g.person in rows.directors(org)
    heads = rows.headed_units(org, g.person)
    mine = {g.person} | {p.id for p in org.people if p.unit in heads}
    found: list[tuple[str, dict[str, str]]] = []
    for e in g.store.audit_log(limit=2000):
        if e.action in ("confirmed", "unconfirmed"):
            continue  # shown from the confirmation log, which also has the mail links'
        if not everything and e.actor not in mine and e.subject not in mine:
            continue
        found.append((e.at, {
            "at": rows.stamp_words(e.at), "who": org.person_name(e.actor) if e.actor else "system",
            "what": ACTION_WORDS.get(e.action, e.action), "subject": _subject(e.subject),
        }))  # fmt: skip
    for c in g.store.confirmation_log():
        if not everything and c.person not in mine:
            continue
        found.append((c.at, {
            "at": rows.stamp_words(c.at), "who": org.person_name(c.person) if c.person else "—",
            "what": ACTION_WORDS["confirmed" if c.action == "done" else "unconfirmed"],
            "subject": _subject(c.occurrence_id) + (f" — {c.note}" if c.note else ""),
        }))  # fmt: skip
    found.sort(key=lambda pair: _moment(pair[0]), reverse=True)
    return page("history.html.j2", entries=[entry for _, entry in found[:300]])


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return datetime.min.replace(tzinfo=WARSAW)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=WARSAW)


def _subject(text: str) -> str:
    """A person's name, a report's label and period, or the text as it is."""
    org = organisation()
    if org.person(text) is not None:
        return org.person_name(text)
    occurrence_id, _, task = text.partition("#")
    try:
        occ = find_occurrence(setup(), occurrence_id)
    except TerminarzError:
        return text
    words = f"{occ.obligation.label} — {occ.period.words()}"
    if not task:
        return words
    kind, _, unit = task.partition(":")
    return f"{words} ({'dostarczenie danych' if kind == 'dane' else 'prośba o dane'}: {unit})"


# -- Deklaracja dostępności -----------------------------------------------------------------------


@pages.get("/deklaracja-dostepnosci")
def accessibility() -> str:
    org = organisation()
    server = org.settings.server
    contact = server.accessibility_contact or org.settings.smtp.sender
    from flask import current_app

    from terminarz.web.address import public_url

    address = public_url(current_app.extensions["terminarz"].address, server)
    return page("accessibility.html.j2", base_url=address, contact=contact)

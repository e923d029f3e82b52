"""Commands about people and duties: ``who`` (the resolution trail) and ``request`` (the pismo).

Also the shared Polish/JSON rendering of a planned occurrence that ``due`` uses
when an organisation file is given.
"""

from __future__ import annotations

from terminarz.cli.common import (
    Context,
    add_catalogue,
    add_config,
    add_today,
    dump_json,
    require_organisation,
)
from terminarz.errors import UsageError
from terminarz.polish import long_date, short_date

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from typing import Any

    from terminarz.law.announced import UndatedOccurrence
    from terminarz.org.datarequests import Task
    from terminarz.org.organisation import Organisation
    from terminarz.org.plan import PendingOccurrence, PlannedOccurrence, Setup


def names(organisation: Organisation, people: tuple[str, ...] | list[str]) -> str:
    """``Kierownik DŚPS (kier-dsps), …`` — or ``—`` for nobody."""
    if not people:
        return "—"
    return ", ".join(f"{organisation.person_name(p)} ({p})" for p in people)


def unit_cell(item: PlannedOccurrence, unit: str) -> str:
    """The ``Odpowiada`` cell of ``due --unit``: a report handed over from ``unit`` says so
    (``przekazane: zastępstwo — Dział …``) with who has it now."""
    found = item.handed_over_from(unit)
    if found is None:
        return responsible_cell(item)
    return f"{found.words} ({', '.join(found.to_people)})"


def responsible_cell(item: PlannedOccurrence) -> str:
    """What ``due`` shows in the ``Odpowiada`` column."""
    resolution = item.resolution
    if item.duty is None or resolution is None:
        return "BRAK PRZYPISANIA (brak wpisu w [[duties]])"
    if resolution.needs_designation:
        return f"wymaga wyznaczenia — {resolution.fallback}"
    text = ", ".join(resolution.responsible)
    status = resolution.status
    return f"{text} ({status})" if status else text


def task_line(task: Task, organisation: Organisation) -> str:
    when = short_date(task.due)
    if task.planning_date is not None:
        when += f" (planowo {short_date(task.planning_date)})"
    owners = names(organisation, task.owners) if task.owners else (task.email or "—")
    return f"{when} — {task.summary()}; odpowiada: {owners}  [{task.id}]"


def task_json(task: Task) -> dict[str, object]:
    return {
        "id": task.id, "kind": str(task.kind), "occurrence": task.occurrence_id,
        "unit": task.unit, "unit_name": task.unit_name, "data": task.data,
        "due": task.due.isoformat(),
        "planning_date": task.planning_date.isoformat() if task.planning_date else None,
        "owners": list(task.owners), "email": task.email, "external": task.external,
        "summary": task.summary(), "why": task.why or None,
    }  # fmt: skip


def left_out_json(item: PlannedOccurrence) -> list[dict[str, object]]:
    """The II.4 tasks not needed (a unit would ask or supply itself), with the reason."""
    return [{"id": n.id, "kind": str(n.kind), "unit": n.unit, "unit_name": n.unit_name,
             "reason": n.reason} for n in item.left_out]  # fmt: skip


def handed_over_json(item: PlannedOccurrence) -> dict[str, object] | None:
    """``handed_over``: the units the report left and who has it now, or None."""
    found = item.handed_over
    if found is None:
        return None
    return {"from": list(found.from_units), "to": list(found.to_units),
            "people": list(found.to_people), "kind": found.kind, "words": found.words}


def left_out_lines(item: PlannedOccurrence) -> list[str]:
    """``Bez zadań <id>, <id>: <reason>.`` for each unit with II.4 tasks not needed."""
    lines = []
    for unit in dict.fromkeys(n.unit for n in item.left_out):
        found = [n for n in item.left_out if n.unit == unit]
        what = "zadania" if len(found) == 1 else "zadań"
        lines.append(f"Bez {what} {', '.join(n.id for n in found)}: {found[0].reason}.")
    return lines


def handed_over_line(item: PlannedOccurrence, organisation: Organisation) -> str | None:
    """``Dział … — sprawozdanie przekazane: zastępstwo — Dział …; …``, or None."""
    found = item.handed_over
    if found is None:
        return None
    left = ", ".join(_unit_name(organisation, u) for u in found.from_units)
    return (f"{left} — sprawozdanie {found.words}; kierownik działu nadal je widzi "
            "(„due --unit”, kalendarz działu)")  # fmt: skip


def _unit_name(organisation: Organisation, unit_id: str) -> str:
    unit = organisation.unit(unit_id)
    return unit.name if unit is not None else unit_id


def planned_json(item: PlannedOccurrence) -> dict[str, object]:
    """The organisation's part of an occurrence for ``--format json``."""
    resolution = item.resolution
    data: dict[str, object] = {
        "planning_date": item.planning_date.isoformat() if item.planning_date else None,
        "duty": item.duty.id if item.duty else None,
        "responsible": list(resolution.responsible) if resolution else [],
        "tier": resolution.tier if resolution else None,
        "substitute": bool(resolution and resolution.substitute),
        "needs_designation": bool(resolution and resolution.needs_designation),
        "unassigned": item.duty is None,
        "fallback": resolution.fallback if resolution else None,
        "designation": (
            {"person": resolution.designation.person, "basis": resolution.designation.basis}
            if resolution and resolution.designation else None
        ),
        "absent": [
            {"person": a.person, "from": a.start.isoformat(), "to": a.end.isoformat(),
             "reason": a.reason, "source": a.source}
            for a in (resolution.absent if resolution else ())
        ],
        "reasons": list(resolution.reasons) if resolution else [],
        "tasks": [task_json(t) for t in item.tasks],
        "tasks_left_out": left_out_json(item),
        "handed_over": handed_over_json(item),
    }  # fmt: skip
    return data


def pending_json(item: PendingOccurrence) -> dict[str, object]:
    """The organisation's part of a period without a date: who finds it out, and the task."""
    resolution = item.resolution
    return {
        "planning_date": None,
        "duty": item.duty.id if item.duty else None,
        "responsible": list(resolution.responsible) if resolution else [],
        "tier": resolution.tier if resolution else None,
        "substitute": bool(resolution and resolution.substitute),
        "needs_designation": bool(resolution and resolution.needs_designation),
        "unassigned": item.duty is None,
        "fallback": resolution.fallback if resolution else None,
        "designation": None,
        "absent": [],
        "reasons": list(resolution.reasons) if resolution else [],
        "tasks": [task_json(item.task)] if item.task is not None else [],
        "tasks_left_out": [],
        "handed_over": None,
    }  # fmt: skip


# -- who -----------------------------------------------------------------------------------


def register_who(sub: Any) -> None:
    p = sub.add_parser(
        "who", help="kto odpowiada za wystąpienie i dlaczego (zastępstwa, nieobecności)",
        description="Ścieżka ustalenia odpowiedzialności za wystąpienie obowiązku: grupy osób, "
        "kto jest nieobecny, kiedy i dlaczego, która grupa przejęła obowiązek, kto wyznacza "
        "zastępstwo, zadania wewnętrzne (prośby o dane i ich dostarczenie) i data planowania.",
        epilog="Przykłady:\n"
        "  terminarz who mpips-03@ops/2026 --config calendars/examples/osrodek-pomocy.toml "
        "--today 2026-11-24\n"
        "  terminarz who mpips-03a@ops/2027-H1 --format json\n",
    )  # fmt: skip
    p.add_argument("id", metavar="ID", help="identyfikator wystąpienia, np. mpips-03@ops/2026")
    add_config(p)
    add_catalogue(p)
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="postać wyniku: text (domyślnie) albo json")  # fmt: skip
    add_today(p)
    p.set_defaults(handler=cmd_who)


def cmd_who(ctx: Context) -> int:
    from terminarz.org.plan import plan_one

    setup = require_organisation(ctx, "who")  # with what the pages recorded (Context.setup)
    organisation = setup.organisation
    assert organisation is not None
    from terminarz.cli.duetable import undated_item

    waiting = undated_item(ctx, ctx.args.id)
    if waiting is not None:
        return who_undated(ctx, waiting, setup)
    item = plan_one(setup, ctx.args.id, today=ctx.today)
    if ctx.args.format == "json":
        data: dict[str, object] = {"id": item.id, "due": item.due.isoformat()}
        data.update(planned_json(item))
        dump_json(data, ctx.out)
        return 0
    ctx.out.write("\n".join(who_lines(item, organisation, ctx)) + "\n")
    return 0


def who_undated(ctx: Context, waiting: UndatedOccurrence, setup: Setup) -> int:
    """``who`` for a period whose date is not announced yet: who finds the date out."""
    from terminarz.cli.duetable import undated_json
    from terminarz.org.plan import pending

    organisation = setup.organisation
    assert organisation is not None
    item = pending(setup, waiting, today=ctx.today)
    if ctx.args.format == "json":
        data = undated_json(waiting, setup.catalogues)
        data.update(pending_json(item))
        dump_json(data, ctx.out)
        return 0
    ob = waiting.obligation
    lines = [ctx.style.bold(waiting.id), f"{ob.label} — {ob.title} {waiting.period.for_words()}",
             "Termin: nieustalony — data nie została jeszcze ogłoszona; terminarz jej nie "
             "zgaduje", f"Kiedy zwykle: {waiting.window_words()}"]  # fmt: skip
    duty = item.duty
    if duty is None:
        lines.append("Nikt nie jest przypisany: obowiązek nie pasuje do żadnego wpisu [[duties]].")
    else:
        label = f"{duty.id} — {duty.name}" if duty.name else duty.id
        lines += ["", f"Obowiązek: {label}", f"Podstawa: {duty.basis}"]
        if item.resolution is not None:
            lines += ["", *item.resolution.reasons]
        if item.task is not None:
            lines += ["", f"Ustalić termin: {task_line(item.task, organisation)}"]
    ctx.out.write("\n".join(lines) + "\n")
    return 0


def who_lines(item: PlannedOccurrence, organisation: Organisation, ctx: Context) -> list[str]:
    occ = item.occurrence
    ob = occ.obligation
    style = ctx.style
    mark = f" — {occ.grade.mark}" if occ.grade.mark else ""
    lines = [style.bold(occ.id), f"{ob.label} — {ob.title} {occ.period.for_words()}",
             f"Termin: {long_date(occ.due)}{mark}"]  # fmt: skip
    if occ.override is not None:
        where = f"; zapisany w pliku {occ.override.source}" if occ.override.source else ""
        lines.append(f"Termin zmieniony (zamiast {long_date(occ.nominal)}): "
                     f"{occ.override.basis}{where}")  # fmt: skip
    if item.planning_date is not None:
        info = ctx.setup.institution.day_info(occ.due)
        lines.append(f"Data planowania: {long_date(item.planning_date)} — w dniu terminu "
                     f"{info.reason()}; termin ustawowy się nie zmienia")  # fmt: skip
    duty = item.duty
    resolution = item.resolution
    if duty is None or resolution is None:
        lines += [
            "",
            style.red("Nikt nie jest przypisany: obowiązek nie pasuje do żadnego wpisu "
                      "[[duties]] w pliku organizacji."),
            "Należy go dodać do „obligations” jednego z obowiązków; terminarz check --config … "
            "wskaże wszystkie takie braki.",
        ]  # fmt: skip
        return lines
    label = f"{duty.id} — {duty.name}" if duty.name else duty.id
    lines += ["", f"Obowiązek: {label}", f"Podstawa: {duty.basis}", "Grupy osób:"]
    for index, tier in enumerate(duty.tiers):
        kind = "podstawowa" if index == 0 else f"zastępcza nr {index}"
        lines.append(f"  {index + 1}. ({kind}) {names(organisation, list(tier))}")
    lines.append(f"Wyznacza zastępstwo: {names(organisation, [duty.fallback])}")
    lines += ["", *resolution.reasons, ""]
    if resolution.needs_designation:
        lines.append(style.red(f"Odpowiada: nikt — WYMAGA WYZNACZENIA przez: "
                               f"{names(organisation, [resolution.fallback])}"))  # fmt: skip
    else:
        status = f" [{resolution.status}]" if resolution.status else ""
        lines.append(style.bold(f"Odpowiada: {names(organisation, list(resolution.responsible))}"
                                f"{status}"))  # fmt: skip
    handed = handed_over_line(item, organisation)
    if handed is not None:
        lines.append(handed)
    if item.tasks or item.left_out:
        lines += ["", "Zadania wewnętrzne:"]
        for task in item.tasks:
            lines.append(f"  {task_line(task, organisation)}")
            if task.why:
                lines.append(f"    ({task.why})")
        lines += [f"  {line}" for line in left_out_lines(item)]
    return lines


# -- request -------------------------------------------------------------------------------


def register_request(sub: Any) -> None:
    p = sub.add_parser(
        "request", help="pismo z prośbą o dane do sprawozdania",
        description="Drukuje pisemną prośbę do działu lub podmiotu zewnętrznego o dane "
        "potrzebne do sprawozdania: adresat, zakres danych, sprawozdanie i okres, termin "
        "dostarczenia z dniem tygodnia, podstawa ([organisation] request_basis) i podpis "
        "osoby odpowiedzialnej. "
        "Szablony: templates/pismo.txt.j2 i templates/pismo.html.j2.",
        epilog="Przykłady:\n"
        "  terminarz request mpips-03@ops/2026 --unit dokip "
        "--config calendars/examples/osrodek-pomocy.toml\n"
        "  terminarz request mpips-03@ops/2026 --unit dokip --format html > pismo.html\n",
    )  # fmt: skip
    p.add_argument("id", metavar="ID", help="identyfikator wystąpienia, np. mpips-03@ops/2026")
    p.add_argument("--unit", required=True, metavar="ID",
                   help="dział lub podmiot dostarczający dane (z „inputs” obowiązku)")  # fmt: skip
    p.add_argument("--format", choices=("text", "html"), default="text",
                   help="text (domyślnie) albo html do wydruku")  # fmt: skip
    add_config(p)
    add_catalogue(p)
    add_today(p)
    p.set_defaults(handler=cmd_request)


def cmd_request(ctx: Context) -> int:
    from terminarz.notify.letters import render_request
    from terminarz.org.plan import plan_one

    setup = require_organisation(ctx, "request")
    organisation = setup.organisation
    assert organisation is not None
    item = plan_one(setup, ctx.args.id, today=ctx.today)
    unit: str = ctx.args.unit
    if item.duty is None:
        raise UsageError(f"obowiązek „{item.occurrence.obligation.id}” nie ma wpisu w [[duties]], "
                         "więc nie ma też danych do zamówienia")  # fmt: skip
    known = [i.id for i in item.duty.inputs]
    if unit not in known:
        hint = ", ".join(known) if known else "obowiązek nie wymienia żadnych („inputs”)"
        raise UsageError(f"--unit: „{unit}” nie dostarcza danych do {item.id}; "
                         f"dostawcy danych: {hint}")  # fmt: skip
    skipped = next((n for n in item.left_out if n.unit == unit and n.kind.value == "request"),
                   None)  # fmt: skip
    if skipped is not None:
        raise UsageError(f"{item.id}: pisma do „{unit}” nie ma — {skipped.reason} "
                         f"(szczegóły: terminarz who {item.id})")  # fmt: skip
    text = render_request(
        item, unit, organisation, today=ctx.today, fmt=ctx.args.format,
        recipients={p.id: p.name for p in setup.catalogues.parties.values()},
    )  # fmt: skip
    ctx.out.write(text)
    return 0


def register(sub: Any) -> None:
    register_who(sub)
    register_request(sub)


# -- due --config ----------------------------------------------------------------------------


def check_person_unit(ctx: Context, setup: Setup) -> tuple[str | None, str | None]:
    """``--person`` / ``--unit``, checked against the organisation."""
    person = getattr(ctx.args, "person", None)
    unit = getattr(ctx.args, "unit", None)
    organisation = setup.organisation
    if (person or unit) and organisation is None:
        raise UsageError("--person i --unit wymagają pliku organizacji (--config PLIK)")
    if organisation is None:
        return None, None
    if person and organisation.person(person) is None:
        known = ", ".join(p.id for p in organisation.people)
        raise UsageError(f"--person: nieznana osoba „{person}”; osoby: {known}")
    if unit and organisation.unit(unit) is None:
        known = ", ".join(u.id for u in organisation.units)
        raise UsageError(f"--unit: nieznany dział „{unit}”; działy: {known}")
    return person, unit


def why_line(item: PlannedOccurrence, organisation: Organisation) -> str | None:
    """One line saying why a substitute, a designation or nobody handles ``item``."""
    resolution = item.resolution
    if item.duty is None or resolution is None:
        return (f"{item.id}: brak przypisania — obowiązek nie pasuje do żadnego wpisu "
                "[[duties]]")  # fmt: skip
    if not (resolution.substitute or resolution.needs_designation or resolution.designation):
        return None
    if resolution.designation is not None:
        d = resolution.designation
        return (f"{item.id}: wyznaczenie — {organisation.person_name(d.person)} "
                f"({d.person}), {d.basis}")  # fmt: skip
    away = []
    for person in resolution.unavailable:
        spans = [a for a in resolution.absent if a.person == person]
        words = "; ".join(
            f"{short_date(a.start)}–{short_date(a.end)}" + (f" {a.reason}" if a.reason else "")
            for a in spans
        )
        away.append(f"{person} ({words})" if words else person)
    absent = ", ".join(away)
    if resolution.needs_designation:
        return (f"{item.id}: wymaga wyznaczenia — nikt z grup nie jest dostępny w okresie "
                f"przygotowania (nieobecni: {absent}); wyznacza: "
                f"{organisation.person_name(resolution.fallback)} ({resolution.fallback}) "
                f"na podstawie {organisation.designation_basis}")  # fmt: skip
    return (f"{item.id}: zastępstwo — grupa zastępcza nr {resolution.tier} "
            f"({', '.join(resolution.responsible)}), bo cała wcześniejsza grupa jest nieobecna "
            f"w okresie przygotowania: {absent}")  # fmt: skip


def due_with_organisation(ctx: Context, start: Any, end: Any) -> int:
    """``terminarz due`` with an organisation file: people, substitutes, tasks, planning dates."""
    from terminarz.cli.common import read_confirmations
    from terminarz.cli.duetable import (
        DaysLeft,
        DueRow,
        confirmed_json,
        filter_obligations,
        occurrence_json,
        task_row_json,
        undated_json,
        write_due_table,
        write_undated,
    )
    from terminarz.cli.layout import table_width, write_notes
    from terminarz.org.plan import (
        for_person,
        for_unit,
        pending_tasks,
        plan,
        plan_pending,
        plan_tasks,
    )
    from terminarz.polish import plural

    args = ctx.args
    today = ctx.today
    setup = ctx.setup  # with what the pages recorded (Context.setup)
    person, unit = check_person_unit(ctx, setup)
    organisation = setup.organisation
    wanted = {o.id for o in filter_obligations(setup.catalogues, args.level, args.form)}
    obligations = [o for o in setup.obligations if o.id in wanted]
    items = plan(setup, start, end, today=today, obligations=obligations)
    tasks = plan_tasks(setup, start, end, today=today, obligations=obligations)
    waiting = plan_pending(setup, start, end, today=today, obligations=obligations)
    finding = pending_tasks(setup, start, end, today=today, obligations=obligations)
    if organisation is not None and person:
        items = for_person(items, person)
        tasks = [(i, t) for i, t in tasks if person in t.owners]
        waiting = [w for w in waiting if person in w.people()]
        finding = [w for w in finding if person in w.people()]
    if organisation is not None and unit:
        items = for_unit(items, organisation, unit)
        members = {p.id for p in organisation.people if p.unit == unit}
        tasks = [(i, t) for i, t in tasks if t.unit == unit or members & set(t.owners)]
        waiting = [w for w in waiting if members & w.people()]
        finding = [w for w in finding if members & w.people()]
    confirmed = read_confirmations(ctx, setup)
    if args.format == "json":
        result = []
        left = DaysLeft(ctx.calendar, today)
        for item in items:
            data = occurrence_json(item.occurrence, setup.catalogues, today, left)
            data.update(planned_json(item))
            data["confirmed"] = confirmed_json(confirmed.get(item.id))
            result.append(data)
        for wait in waiting:
            data = undated_json(wait.undated, setup.catalogues)
            data.update(pending_json(wait))
            data["confirmed"] = None
            result.append(data)
        internal = [t for _, t in tasks] + [w.task for w in finding if w.task is not None]
        result += [task_row_json(t, task_json(t), left, confirmed.get(t.id)) for t in internal]
        dump_json(result, ctx.out)
        return 0
    assert organisation is not None
    style = ctx.style
    out = ctx.out
    width = table_width(ctx)
    scope = organisation.name
    if person:
        scope += f" — {organisation.person_name(person)} ({person})"
    if unit:
        found = organisation.unit(unit)
        scope += f" — {found.name if found else unit}"
    rows = [
        DueRow(
            occurrence=item.occurrence,
            confirmation=confirmed.get(item.id),
            planning_date=item.planning_date,
            responsible=unit_cell(item, unit) if unit else responsible_cell(item),
            urgent=item.resolution is None or item.resolution.needs_designation,
        )
        for item in items
    ]
    write_due_table(ctx, rows, start=start, end=end, scope=scope, names=organisation.person_name)
    whys = [w for item in items if item.id not in confirmed and (w := why_line(item, organisation))]
    if whys:
        out.write("\nDlaczego:\n")
        write_notes(ctx, whys, width, indent="  ")
        out.write("  (pełne wyjaśnienie: terminarz who <id>)\n")
    write_undated(ctx, [w.undated for w in waiting],
                  tasks={w.id: w.task for w in waiting if w.task is not None})  # fmt: skip
    if tasks:
        out.write(f"\n{style.bold('Zadania wewnętrzne')}\n")
        write_notes(ctx, [task_line(task, organisation) for _, task in tasks], width, indent="  ")
    if finding:
        out.write(f"\n{style.bold('Ustalenie terminów (daty jeszcze nieogłoszone)')}\n")
        write_notes(ctx, [task_line(w.task, organisation) for w in finding if w.task is not None],
                    width, indent="  ")  # fmt: skip
    n = len(items)
    out.write(f"\n{n} {plural(n, 'termin', 'terminy', 'terminów')}")
    if waiting:
        out.write(f", {len(waiting)} do ustalenia")
    k = len(tasks) + len(finding)
    if k:
        out.write(f", {k} {plural(k, 'zadanie', 'zadania', 'zadań')}")
    out.write("\n")
    return 0


# -- explain --config -------------------------------------------------------------------------


def planning_lines(ctx: Context, occurrence_id: str) -> tuple[list[str], str | None]:
    """What the organisation adds to ``explain``: the institution's day off on the due date
    with the planning date (ISO, returned too), the handover to another unit and the II.4
    tasks left out because a unit would ask or supply itself."""
    from terminarz.org.plan import plan_one

    setup = ctx.setup
    organisation = setup.organisation
    if organisation is None:
        return [], None
    item = plan_one(setup, occurrence_id, today=ctx.today)
    lines: list[str] = []
    handed = handed_over_line(item, organisation)
    lines += [handed] if handed is not None else []
    lines += left_out_lines(item)
    if item.planning_date is None:
        return ([""] if lines else []) + lines, None
    info = setup.institution.day_info(item.due)
    return [
        f"W dniu terminu instytucja nie pracuje ({info.reason()}). Termin ustawowy się nie "
        "zmienia;",
        f"data planowania: {long_date(item.planning_date)} — poprzedni dzień pracy instytucji.",
        *lines,
    ], item.planning_date.isoformat()


# -- check --config ----------------------------------------------------------------------------


def check_config(ctx: Context, config: Any, paths: list[Any] | None) -> tuple[list[Any], str]:
    """Every problem of the organisation file and of its catalogues; and a summary line."""
    from terminarz.errors import Severity, TerminarzError
    from terminarz.law.catalogue import check_catalogues
    from terminarz.org.absences import load_source_absences
    from terminarz.org.organisation import check_organisation, cross_check
    from terminarz.paths import bundled_catalogues
    from terminarz.polish import plural

    organisation, problems = check_organisation(config)
    if organisation is None:
        return problems, ""
    catalogue_paths = paths or list(organisation.catalogue_paths) or bundled_catalogues()
    catalogues, catalogue_problems = check_catalogues(catalogue_paths)
    if not paths and not organisation.catalogue_paths:
        catalogues = [c for c in catalogues if c.schedule is not None
                      or c.act.in_force_during(ctx.today, ctx.today)]  # fmt: skip
    problems += catalogue_problems
    obligations = [o for c in catalogues for o in c.obligations]
    levels = {o.level for o in obligations}
    problems += cross_check(organisation, obligations, levels)
    try:
        from terminarz.org.plan import absence_window

        window = absence_window(organisation, ctx.today)
        _, warnings = load_source_absences(organisation, window=window)
        problems += warnings
    except TerminarzError as exc:
        problems.append(exc.problem)
    applicable = [o for o in obligations if organisation.applies(o.id, o.level)]
    if not [p for p in problems if p.severity is Severity.ERROR]:
        from terminarz.law.announced import missing_dates

        problems += missing_dates(catalogues, ctx.today, {o.id for o in applicable})
    n_people, n_duties, n_reports = (
        len(organisation.people), len(organisation.duties), len(applicable)
    )
    summary = (
        f"organizacja {organisation.id}: {n_people} {plural(n_people, 'osoba', 'osoby', 'osób')}, "
        f"{n_duties} {plural(n_duties, 'przydział', 'przydziały', 'przydziałów')} obowiązków, "
        f"{n_reports} {plural(n_reports, 'obowiązek', 'obowiązki', 'obowiązków')} "
        f"poziomu {', '.join(organisation.levels)}"
    )
    return problems, summary

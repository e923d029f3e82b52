"""The core commands: ``due``, ``explain``, ``workdays``, ``catalogue``, ``check``."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

from terminarz.cli.common import (
    Context,
    add_catalogue,
    add_config,
    add_format,
    add_today,
    dump_json,
    json_encoder,
    parse_day,
    parse_month,
    read_confirmations,
    write_json_rows_utf8,
)
from terminarz.cli.duetable import (
    DaysLeft,
    DueRow,
    OccurrenceRows,
    confirmed_json,
    filter_obligations,
    occurrence_json,
    undated_item,
    undated_json,
    write_due_table,
    write_undated,
)
from terminarz.cli.layout import dropped_note, fit_table, table_width, write_notes
from terminarz.errors import Severity, UsageError
from terminarz.law.announced import UndatedOccurrence, learn_windows, planning_day, undated
from terminarz.law.catalogue import CatalogueSet, check_catalogues
from terminarz.law.holidays_pl import FIRST_YEAR, LAST_YEAR
from terminarz.law.periods import PeriodKind
from terminarz.law.rules import (
    Obligation,
    Occurrence,
    expand,
    occurrence,
    split_occurrence_id,
    trail,
)
from terminarz.law.workdays import DayKind, month_days
from terminarz.polish import (
    MONTHS_NOMINATIVE,
    WEEKDAYS_SHORT,
    long_date,
    plural,
    short_date,
)

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from typing import Any

    from terminarz.store.base import Confirmation

# -- due --------------------------------------------------------------------------------------

DUE_EXAMPLES = """\
Przykłady:
  terminarz due                               terminy bieżącego miesiąca (pod jego koniec
                                              także najbliższych 14 dni)
  terminarz due --next 30                     terminy od dziś do dziś + 30 dni
  terminarz due --month 2026-01               terminy stycznia 2026 r. (także --month 01.2026)
  terminarz due --from 1.01.2026 --to 31.03.2026 --wide   wszystkie kolumny tabeli
  terminarz due --from 2026-01-01 --to 2026-03-31 --level ops
  terminarz due --form MPiPS-01 --format json
  terminarz due --config calendars/examples/osrodek-pomocy.toml --month 2027-02 --today 2026-11-24
  terminarz due --config terminarz.toml --person kier-dsps
"""


def register_due(sub: Any) -> None:
    p = sub.add_parser(
        "due", help="co jest do zrobienia: terminy w miesiącu lub w przedziale dat",
        description="Wystąpienia obowiązków, których termin przypada w danym miesiącu\n"
        "(domyślnie bieżącym, a gdy do jego końca zostało mniej niż 10 dni — także\n"
        "w najbliższych 14 dniach), w najbliższych N dniach albo w zamkniętym przedziale dat.\n"
        "Pozostało: dni robocze do terminu, w nawiasie dni kalendarzowe. Tabela mieści się\n"
        "w szerokości terminala (COLUMNS); --wide pokazuje wszystkie kolumny.",
        epilog=DUE_EXAMPLES,
    )  # fmt: skip
    p.add_argument("--month", metavar="MIESIĄC",
                   help="miesiąc: MM.RRRR albo RRRR-MM (domyślnie bieżący, a gdy do jego końca "
                   "zostało mniej niż 10 dni — także najbliższe 14 dni)")  # fmt: skip
    p.add_argument("--from", dest="date_from", metavar="DATA",
                   help="początek przedziału: DD.MM.RRRR albo RRRR-MM-DD")  # fmt: skip
    p.add_argument("--to", dest="date_to", metavar="DATA",
                   help="koniec przedziału: DD.MM.RRRR albo RRRR-MM-DD")  # fmt: skip
    p.add_argument("--next", type=int, metavar="N",
                   help="najbliższe N dni kalendarzowych, od dziś do dziś + N")  # fmt: skip
    p.add_argument("--wide", action="store_true",
                   help="wszystkie kolumny tabeli, bez dopasowania do szerokości terminala")
    p.add_argument(
        "--level", action="append", metavar="POZIOM",
        help="tylko ten poziom składający (np. rup, wup, ops, wzps); można powtórzyć",
    )  # fmt: skip
    p.add_argument("--form", action="append", metavar="FORMULARZ",
                   help="tylko ten formularz (np. MPiPS-01); można powtórzyć")  # fmt: skip
    p.add_argument("--person", metavar="ID", help="tylko obowiązki tej osoby, także przejęte "
                   "w zastępstwie (wymaga pliku organizacji)")  # fmt: skip
    p.add_argument("--unit", metavar="ID", help="tylko obowiązki i zadania tego działu "
                   "(wymaga pliku organizacji)")  # fmt: skip
    add_config(p)
    add_catalogue(p)
    add_format(p)
    add_today(p)
    p.set_defaults(handler=cmd_due)


SOON_DAYS = 10  # fewer days than this left in the month: show the next NEXT_DAYS too
NEXT_DAYS = 14
LONGEST_NEXT = 3660


def due_range(args: argparse.Namespace, today: date) -> tuple[date, date]:
    """The closed date range a ``due``-style command asks about.

    Without ``--month``, ``--from``/``--to`` or ``--next``: today's month, and when fewer
    than 10 days of it remain after today, up to 14 days after today (on 25 November:
    1 November to 9 December; never past the calendar's last year). ``--next N``: today
    to N days after today.
    """
    given = [name for name, value in (("--month", args.month), ("--from", args.date_from),
                                      ("--to", args.date_to),
                                      ("--next", getattr(args, "next", None)))
             if value is not None]  # fmt: skip
    if "--month" in given and len(given) > 1:
        raise UsageError("należy podać albo --month, albo --from i --to, albo --next — "
                         "jedną formę naraz")
    if "--next" in given and len(given) > 1:
        raise UsageError("należy podać albo --next, albo --from i --to — jedną formę naraz")
    if args.date_from or args.date_to:
        if not (args.date_from and args.date_to):
            raise UsageError("--from i --to trzeba podać razem")
        start = parse_day(args.date_from, option="--from")
        end = parse_day(args.date_to, option="--to")
        if end < start:
            raise UsageError(f"--to ({end}) jest wcześniej niż --from ({start})")
    elif getattr(args, "next", None) is not None:
        if not 0 <= args.next <= LONGEST_NEXT:
            raise UsageError(f"--next: {args.next} — należy podać liczbę dni "
                             f"od 0 do {LONGEST_NEXT}")
        start, end = today, today + timedelta(days=args.next)
    else:
        month = parse_month(args.month) if args.month else parse_month(f"{today:%Y-%m}")
        start, end = month.first_day, month.last_day
        if not args.month and (end - today).days < SOON_DAYS:  # not past the calendar's end
            end = max(end, min(today + timedelta(days=NEXT_DAYS), date(LAST_YEAR, 12, 31)))
    for option, day in (("--from", start), ("--to", end)):
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise UsageError(
                f"{option if args.date_from else given[0] if given else '--today'}: kalendarz "
                f"dni roboczych obejmuje lata {FIRST_YEAR}–{LAST_YEAR}; {day.year} r. jest poza "
                "tym zakresem"
            )
    return start, end


def cmd_due(ctx: Context) -> int:
    args = ctx.args
    today = ctx.today
    start, end = due_range(args, today)
    if ctx.config is not None or args.person or args.unit:
        from terminarz.cli.duties import due_with_organisation

        return due_with_organisation(ctx, start, end)
    if getattr(args, "catalogue", None):
        catalogues = ctx.catalogues
    else:  # the bundled acts in force in the range; a repealed one is not even read
        from terminarz.law.catalogue import in_force, load_catalogues

        catalogues = in_force(load_catalogues(ctx.catalogue_paths(), during=(start, end)),
                              start, end)  # fmt: skip
    obligations = filter_obligations(catalogues, args.level, args.form)
    occurrences = expand(obligations, ctx.calendar, start, end, catalogues.overrides,
                         catalogues.announced)  # fmt: skip
    waiting = undated(obligations, start, end, catalogues.announced)
    # where terminarz done without --config records; read only when there is a store
    confirmed: dict[str, Confirmation] = read_confirmations(None, None)
    if args.format == "json":
        json_rows = OccurrenceRows(catalogues, today, DaysLeft(ctx.calendar, today))
        encode = json_encoder()
        nothing: dict[str, object] = {"planning_date": None, "confirmed": None}

        def extra(o: Occurrence) -> dict[str, object]:
            confirmation = confirmed.get(o.id) if confirmed else None
            if confirmation is None and o.announced is None:
                return nothing  # one shared dictionary: its JSON is made once
            return {"planning_date": _iso(planning_day(o, ctx.calendar)),
                    "confirmed": confirmed_json(confirmation)}  # fmt: skip

        write_json_rows_utf8(json_rows.rows(occurrences, extra)
                             + [encode(undated_json(u, catalogues) | nothing).encode("utf-8")
                                for u in waiting], ctx.out)  # fmt: skip
        return 0
    rows = [DueRow(occurrence=o, confirmation=confirmed.get(o.id),
                   planning_date=planning_day(o, ctx.calendar)) for o in occurrences]
    write_due_table(ctx, rows, start=start, end=end)
    write_undated(ctx, waiting)
    n = len(occurrences)
    if n:
        ctx.out.write(f"\n{n} {plural(n, 'termin', 'terminy', 'terminów')}")
        k = len(waiting)
        ctx.out.write(f", {k} do ustalenia\n" if k else "\n")
    elif waiting:
        ctx.out.write(f"\n{len(waiting)} do ustalenia\n")
    return 0


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


# -- explain ----------------------------------------------------------------------------------


def register_explain(sub: Any) -> None:
    p = sub.add_parser(
        "explain", help="dlaczego termin wypada tego dnia",
        description="Pokazuje, jak obliczono termin wystąpienia: które dni policzono jako "
        "robocze, które pominięto (święta z nazwy, weekendy), jakie przesunięcie zastosowano "
        "i na jakiej podstawie prawnej.",
        epilog="Przykłady:\n  terminarz explain mpips-01.dzial-1@rup/2025-12\n"
        "  terminarz explain mpips-03@ops/2025\n  terminarz explain mpips-01.zbiorcze@wup\n",
    )  # fmt: skip
    p.add_argument("id", metavar="ID", help="identyfikator wystąpienia (obowiązek/okres) "
                   "albo samego obowiązku")  # fmt: skip
    add_config(p)
    add_catalogue(p)
    add_format(p)
    add_today(p)
    p.set_defaults(handler=cmd_explain)


def find_occurrence(ctx: Context, text: str) -> Occurrence:
    """The occurrence named by ``text``, or a :class:`UsageError` saying what is wrong."""
    from terminarz.law.explain import validity_words

    catalogues = ctx.catalogues
    try:
        obligation_id, period = split_occurrence_id(text)
    except ValueError:
        raise UsageError(
            f"„{text}” nie jest identyfikatorem wystąpienia; oczekiwano postaci "
            "<obowiązek>/<okres>, np. mpips-01.dzial-1@rup/2026-10"
        ) from None
    if not 1900 <= period.year <= 2199:
        raise UsageError(
            f"„{text}”: okres {period} jest poza obsługiwanym zakresem (lata 1900–2199)"
        )
    obligation = catalogues.obligation(obligation_id)
    if obligation is None:
        raise UsageError(
            f"nieznany obowiązek „{obligation_id}”; listę pokazuje: terminarz catalogue"
        )
    if obligation.deadline is None:
        raise UsageError(f"obowiązek „{obligation_id}” nie ma własnego terminu; "
                         f"opis: terminarz explain {obligation_id}")  # fmt: skip
    if not obligation.applies_to(period):
        raise UsageError(
            f"obowiązek „{obligation_id}” nie ma wystąpienia za okres {period} "
            f"(okresy: {obligation.period_kind.polish}, obowiązuje {validity_words(obligation)})"
        )
    return occurrence(obligation, period, ctx.calendar, catalogues.overrides,
                      catalogues.announced)  # fmt: skip


def announced_lines(obligation: Obligation, catalogues: CatalogueSet) -> list[str]:
    """The known dates of an announced obligation, oldest first, and the usual window."""
    prefix = obligation.id + "/"
    known = sorted((k, a) for k, a in catalogues.announced.items() if k.startswith(prefix))
    if not known:
        return ["Terminy ogłoszone: brak znanych terminów"]
    lines = ["Terminy ogłoszone:"]
    for key, found in known:
        lines.append(f"  {key[len(prefix):]}: {long_date(found.due)} — {found.grade.polish}; "
                     f"{found.origin}")  # fmt: skip
    window = learn_windows([obligation], catalogues.announced).get(obligation.id)
    if window is not None:
        lines.append(f"Zwykle {window.first}–{window.last} dni po końcu okresu "
                     f"(z {window.known} znanych terminów)")  # fmt: skip
    return lines


def obligation_lines(obligation: Obligation, catalogues: CatalogueSet) -> list[str]:
    from terminarz.law.explain import citation_lines, parties_line, source_lines, validity_words

    lines = [f"{obligation.label} — {obligation.title}",
             f"Kto → komu: {parties_line(obligation, catalogues.parties)}"]  # fmt: skip
    kind = obligation.period_kind
    if obligation.periods:
        which = ", ".join(f"{i}" for i in obligation.periods)
        lines.append(f"Okresy: {kind.polish} (tylko nr {which})")
    else:
        lines.append(f"Okresy: {kind.polish}")
    lines.append(f"Obowiązuje: {validity_words(obligation)}")
    deadline = obligation.deadline
    lines.append(f"Termin: {deadline.words() if deadline else 'bez własnego terminu'}")
    lines += citation_lines(obligation)
    lines += source_lines(obligation)
    if obligation.announced:
        lines += announced_lines(obligation, catalogues)
    if obligation.notes:
        lines.append(f"Uwagi: {obligation.notes}")
    return lines


def cmd_explain(ctx: Context) -> int:
    from terminarz.law.explain import citation_lines, parties_line, source_lines, trail_lines

    text: str = ctx.args.id
    catalogues = ctx.catalogues
    if "/" not in text:
        obligation = catalogues.obligation(text.strip())
        if obligation is None:
            raise UsageError(f"nieznany obowiązek „{text}”; listę pokazuje: terminarz catalogue")
        if ctx.args.format == "json":
            dump_json(obligation_json(obligation, catalogues), ctx.out)
            return 0
        ctx.out.write(ctx.style.bold(obligation.id) + "\n")
        ctx.out.write("\n".join(obligation_lines(obligation, catalogues)) + "\n")
        return 0
    waiting = undated_item(ctx, text)
    if waiting is not None:
        return explain_undated(ctx, waiting)
    occ = find_occurrence(ctx, text)
    if occ.announced is not None:
        return explain_announced(ctx, occ)
    steps = trail(occ, ctx.calendar)
    planning: list[str] = []
    planning_date = None
    if ctx.config is not None:
        from terminarz.cli.duties import planning_lines

        planning, planning_date = planning_lines(ctx, occ.id)
    if ctx.args.format == "json":
        data = occurrence_json(occ, catalogues, ctx.today, DaysLeft(ctx.calendar, ctx.today))
        data["planning_date"] = planning_date
        data["trail"] = [
            {"date": s.info.day.isoformat(), "working": s.info.working, "count": s.count,
             "reason": None if s.info.working else s.info.reason()}
            for s in steps.days
        ]  # fmt: skip
        data["rule"] = steps.rule
        data["explanation"] = trail_lines(steps)
        dump_json(data, ctx.out)
        return 0
    out = ctx.out
    ob = occ.obligation
    out.write(ctx.style.bold(occ.id) + "\n")
    out.write(f"{ob.label} — {ob.title}\n")
    out.write(f"Kto → komu: {parties_line(ob, catalogues.parties)}\n")
    out.write(f"Okres: {occ.period.for_words()} ({occ.period.first_day:%d.%m.%Y}–"
              f"{occ.period.last_day:%d.%m.%Y})\n")  # fmt: skip
    out.write("\n".join(citation_lines(ob) + source_lines(ob)) + "\n")
    if occ.from_repealed_act:
        out.write(f"Uwaga: termin przypada po utracie mocy aktu ({ob.act.repeal_words()}); "
                  "obowiązek pokazano, bo katalog wskazano wprost.\n")  # fmt: skip
    out.write("\n" + "\n".join(trail_lines(steps) + planning) + "\n")
    return 0


def _header(ctx: Context, ob: Obligation, occ_id: str, period: Any) -> None:
    from terminarz.law.explain import citation_lines, parties_line, source_lines

    out = ctx.out
    out.write(ctx.style.bold(occ_id) + "\n")
    out.write(f"{ob.label} — {ob.title}\n")
    out.write(f"Kto → komu: {parties_line(ob, ctx.catalogues.parties)}\n")
    out.write(f"Okres: {period.for_words()} ({period.first_day:%d.%m.%Y}–"
              f"{period.last_day:%d.%m.%Y})\n")  # fmt: skip
    out.write("\n".join(citation_lines(ob) + source_lines(ob)) + "\n\n")


def explain_announced(ctx: Context, occ: Occurrence) -> int:
    """An announced date: its source, its grade and the planning date when it is a day off."""
    found = occ.announced
    assert found is not None
    planning = planning_day(occ, ctx.calendar)
    org_planning: list[str] = []
    org_date = None
    if ctx.config is not None:
        from terminarz.cli.duties import planning_lines

        org_planning, org_date = planning_lines(ctx, occ.id)
    if ctx.args.format == "json":
        data = occurrence_json(occ, ctx.catalogues, ctx.today, DaysLeft(ctx.calendar, ctx.today))
        data["planning_date"] = org_date or (planning.isoformat() if planning else None)
        data["rule"] = occ.obligation.deadline.words() if occ.obligation.deadline else None
        data["explanation"] = found.lines()
        dump_json(data, ctx.out)
        return 0
    _header(ctx, occ.obligation, occ.id, occ.period)
    lines = found.lines()
    info = ctx.calendar.day_info(occ.due)
    if planning is not None:
        lines.append(f"Termin ogłoszony przypada w dzień wolny ({info.reason()}) i nie jest "
                     "przesuwany;")  # fmt: skip
        lines.append(f"data planowania: {long_date(planning)} — poprzedni dzień roboczy.")
    lines.append(f"Termin: {long_date(occ.due)}"
                 + (f" — {found.grade.mark}" if found.grade.mark else ""))  # fmt: skip
    ctx.out.write("\n".join(lines + org_planning) + "\n")
    return 0


def explain_undated(ctx: Context, item: UndatedOccurrence) -> int:
    """A period whose date is not known: never a guess, the window and the known dates."""
    catalogues = ctx.catalogues
    task_line_text = None
    if ctx.config is not None and ctx.setup.organisation is not None:
        from terminarz.cli.duties import task_line
        from terminarz.org.plan import pending

        found = pending(ctx.setup, item, today=ctx.today)
        if found.task is not None:
            task_line_text = task_line(found.task, ctx.setup.organisation)
    if ctx.args.format == "json":
        data = undated_json(item, catalogues)
        data["explanation"] = announced_lines(item.obligation, catalogues)
        data["task"] = task_line_text
        dump_json(data, ctx.out)
        return 0
    _header(ctx, item.obligation, item.id, item.period)
    lines = ["Termin: nieustalony — data nie została jeszcze ogłoszona; terminarz jej nie "
             "zgaduje.", f"Kiedy zwykle: {item.window_words()}"]  # fmt: skip
    lines += announced_lines(item.obligation, catalogues)
    if task_line_text:
        lines += ["", f"Ustalić termin: {task_line_text}"]
    lines.append("Gdy termin zostanie ogłoszony, należy go wpisać w pliku terminów instytucji "
                 "([[announced]] z podstawą, np. pismem WPS).")  # fmt: skip
    ctx.out.write("\n".join(lines) + "\n")
    return 0


# -- workdays ---------------------------------------------------------------------------------


def register_workdays(sub: Any) -> None:
    p = sub.add_parser(
        "workdays", help="kalendarz miesiąca: dni robocze, święta i weekendy",
        description="Kalendarz miesiąca według ustawy o dniach wolnych od pracy: dni robocze, "
        "święta (z nazwy) i weekendy.",
        epilog="Przykłady:\n  terminarz workdays --month 2026-01\n"
        "  terminarz workdays --month 2018-11 --format json\n",
    )  # fmt: skip
    p.add_argument("--month", metavar="MIESIĄC",
                   help="miesiąc: MM.RRRR albo RRRR-MM (domyślnie bieżący)")
    add_format(p)
    add_today(p)
    p.set_defaults(handler=cmd_workdays)


def cmd_workdays(ctx: Context) -> int:
    month = parse_month(ctx.args.month) if ctx.args.month else parse_month(f"{ctx.today:%Y-%m}")
    cal = ctx.calendar
    infos = [cal.day_info(d) for d in month_days(month.year, month.index)]
    working = [i for i in infos if i.working]
    if ctx.args.format == "json":
        dump_json({
            "month": str(month),
            "working_days": len(working),
            "days": [{"date": i.day.isoformat(), "working": i.working, "kind": str(i.kind),
                      "holiday": i.holiday, "reason": None if i.working else i.reason()}
                     for i in infos],
        }, ctx.out)  # fmt: skip
        return 0
    out = ctx.out
    style = ctx.style
    count = len(working)
    title = f"{MONTHS_NOMINATIVE[month.index - 1].capitalize()} {month.year} r."
    days = plural(count, "dzień roboczy", "dni robocze", "dni roboczych")
    out.write(f"{style.bold(title)} — {count} {days}\n\n")
    out.write(" ".join(f"{w:>5}" for w in WEEKDAYS_SHORT) + "\n")
    cells = ["     "] * infos[0].day.weekday()
    for info in infos:
        mark = " " if info.working else "*" if info.kind is DayKind.HOLIDAY else "·"
        cell = f"{info.day.day:>4}{mark}"
        if info.kind is DayKind.HOLIDAY:
            cell = style.red(cell)
        elif not info.working:
            cell = style.dim(cell)
        cells.append(cell)
    for i in range(0, len(cells), 7):
        out.write(" ".join(cells[i : i + 7]).rstrip() + "\n")
    out.write("\n  * święto   · sobota lub niedziela\n")
    holidays = [i for i in infos if i.kind is DayKind.HOLIDAY]
    if holidays:
        out.write("\nŚwięta:\n")
        for info in holidays:
            out.write(f"  {short_date(info.day)} — {info.reason()}\n")
    return 0


# -- catalogue --------------------------------------------------------------------------------


def register_catalogue(sub: Any) -> None:
    p = sub.add_parser(
        "catalogue", help="obowiązki z podstawą prawną i okresem obowiązywania",
        description="Wszystkie obowiązki z katalogów: formularz, poziom, odbiorcy, okres, "
        "termin, podstawa prawna i okres obowiązywania.",
        epilog="Przykłady:\n  terminarz catalogue\n  terminarz catalogue --level ops\n"
        "  terminarz catalogue --format json\n"
        "  terminarz catalogue --refresh --config osrodek.toml   pobranie harmonogramów "
        "publikowane pod adresem\n",
    )  # fmt: skip
    p.add_argument("--level", action="append", metavar="POZIOM", help="tylko ten poziom")
    p.add_argument("--form", action="append", metavar="FORMULARZ", help="tylko ten formularz")
    add_catalogue(p)
    add_config(p)
    p.add_argument("--refresh", action="store_true",
                   help="pobiera teraz harmonogramy, które plik organizacji wskazuje adresem "
                   "https:// (inne polecenia czytają zachowaną kopię)")  # fmt: skip
    p.add_argument("--state", metavar="PLIK|URL", help="baza stanu (jak w „terminarz done”)")
    p.add_argument("--wide", action="store_true",
                   help="wszystkie kolumny tabeli, bez dopasowania do szerokości terminala")
    add_format(p)
    add_today(p)
    p.set_defaults(handler=cmd_catalogue)


def _source_json(ob: Obligation) -> dict[str, object] | None:
    source = ob.source
    if source is None:
        return None
    return {"grade": str(source.grade), "where": list(source.where), "text": source.text,
            "verified": source.verified.isoformat() if source.verified else None,
            "notes": source.notes}  # fmt: skip


def obligation_json(ob: Obligation, catalogues: CatalogueSet) -> dict[str, object]:
    deadline: dict[str, object] | None = None
    if ob.deadline is not None:
        d = ob.deadline
        deadline = {"kind": str(d.kind), "n": d.n, "day": d.day, "months_after": d.months_after,
                    "if_non_working": str(d.if_non_working) if d.day else None,
                    "words": d.words()}  # fmt: skip
    return {
        "id": ob.id, "form": ob.form, "part": ob.part, "title": ob.title, "level": ob.level,
        "recipients": list(ob.recipients),
        "recipient_names": [catalogues.party_name(r) for r in ob.recipients],
        "period": str(ob.period_kind), "periods": list(ob.periods), "deadline": deadline,
        "basis": str(ob.basis), "quote": ob.basis.quote,
        "valid_from": str(ob.valid_from) if ob.valid_from else None,
        "valid_to": str(ob.valid_to) if ob.valid_to else None,
        "act": ob.act.id, "act_title": ob.act.title, "act_status": ob.act.status,
        "notes": ob.notes,
        "grade": str(ob.grade), "check": ob.grade.needs_check, "source": _source_json(ob),
        "act_in_force": ob.act.in_force or "confirmed",
        "act_repealed": (ob.act.repealed.isoformat() if ob.act.repealed
                         else "unknown" if ob.act.repeal_unknown else None),
        "announced": [
            {"period": k.rpartition("/")[2], "date": a.due.isoformat(), "grade": str(a.grade),
             "text": a.text, "basis": a.basis, "origin": a.origin}
            for k, a in sorted(catalogues.announced.items()) if k.rpartition("/")[0] == ob.id
        ] if ob.announced else None,
    }  # fmt: skip


def cmd_catalogue(ctx: Context) -> int:
    if ctx.args.refresh and ctx.config is None:
        raise UsageError("--refresh: harmonogramy wskazuje plik organizacji — należy podać "
                         "--config PLIK")
    catalogues = ctx.catalogues
    obligations = filter_obligations(catalogues, ctx.args.level, ctx.args.form)
    if ctx.args.format == "json":
        dump_json([obligation_json(o, catalogues) for o in obligations], ctx.out)
        return 0
    out = ctx.out
    width = table_width(ctx)
    wanted = {o.id for o in obligations}
    for catalogue in catalogues.catalogues:
        listed = [o for o in catalogue.obligations if o.id in wanted]
        if not listed:
            continue
        act = catalogue.act
        notes = [f"{act.published} — {act.status}" if act.published else act.status]
        if act.is_repealed:
            notes.append(f"Utrata mocy: {act.repeal_words()} — katalog jest używany tylko "
                         "wtedy, gdy się go wskaże")  # fmt: skip
        if act.in_force_words:
            notes.append(f"Uwaga: {act.in_force_words}")
        if act.notes:
            notes.append(act.notes)
        notes.append(f"Plik: {catalogue.path} (nazwa: {catalogue.name})")
        if width is not None and len(act.title) > width:
            notes.insert(0, act.title)  # wrapped, so not bold: the style spans one line
        else:
            out.write(ctx.style.bold(act.title) + "\n")
        write_notes(ctx, notes, width)
        out.write("\n")
        rows = []
        for ob in listed:
            period = ob.period_kind.polish + (
                f" (tylko {', '.join(map(str, ob.periods))})" if ob.periods else ""
            )
            deadline = ob.deadline.words() if ob.deadline else "bez własnego terminu"
            if ob.announced:
                deadline = "ogłaszany na każdy okres"
            rows.append([
                ob.id, ob.label, f"{ob.level} → {', '.join(ob.recipients) or '—'}", period,
                deadline, ob.basis.short() or "—",
                ob.grade.short + (" — do sprawdzenia" if ob.grade.needs_check else ""),
                f"od {ob.valid_from}" if ob.valid_from else "",
            ])  # fmt: skip
        header = ["Id", "Sprawozdanie", "Kto → komu", "Okres", "Termin", "Podstawa", "Źródło",
                  "Obowiązuje"]  # fmt: skip
        lines, dropped = fit_table(rows, header, width=width, keep=("Id", "Sprawozdanie", "Termin"),
                                   drop=("Obowiązuje", "Źródło", "Podstawa", "Kto → komu",
                                         "Okres"))  # fmt: skip
        out.write("".join(line + "\n" for _, line in lines))
        write_notes(ctx, dropped_note(dropped, width), width)
        if catalogue.provenance:
            out.write("\nPrzepisy bez własnych terminów (proweniencja):\n")
            for provision in catalogue.provenance:
                write_notes(ctx, [f"§ {provision.paragraph}: {provision.text}"], width, "  ")
                if provision.note:
                    write_notes(ctx, [provision.note], width, "      ")
        if catalogue.announced:
            out.write("\nTerminy ogłoszone dla pojedynczych okresów (nieprzesuwane):\n")
            for found in catalogue.announced:
                mark = f" — {found.grade.mark}" if found.grade.mark else ""
                basis = f"; {found.basis}" if found.basis else ""
                write_notes(ctx, [f"{found.occurrence_id}: {long_date(found.due)} "
                                  f"({found.grade.short}){basis}{mark}"], width, "  ")  # fmt: skip
        if catalogue.overrides:
            out.write("\nTerminy zmienione dla pojedynczych okresów:\n")
            for override in catalogue.overrides:
                write_notes(ctx, [f"{override.occurrence_id}: {long_date(override.due)} — "
                                  f"{override.basis}"], width, "  ")  # fmt: skip
        out.write("\n")
    return 0


# -- check ------------------------------------------------------------------------------------


def register_check(sub: Any) -> None:
    p = sub.add_parser(
        "check", help="sprawdzenie plików katalogów (i konfiguracji)",
        description="Sprawdza pliki katalogów: składnię TOML, wymagane i nieznane pola, "
        "wartości, identyfikatory. Wypisuje wszystkie błędy naraz; kod wyjścia 0, gdy "
        "pliki są poprawne, 2 — gdy są błędy.",
        epilog="Przykłady:\n  terminarz check\n  terminarz check calendars/mpips-1992.toml\n"
        "  terminarz check --config calendars/examples/osrodek-pomocy.toml\n",
    )  # fmt: skip
    p.add_argument("paths", nargs="*", type=Path, metavar="PLIK",
                   help="pliki do sprawdzenia (domyślnie katalogi wbudowane)")  # fmt: skip
    add_config(p)
    add_today(p)
    p.set_defaults(handler=cmd_check)


def cmd_check(ctx: Context) -> int:
    if ctx.config is not None:
        from terminarz.cli.duties import check_config

        found, summary = check_config(ctx, ctx.config, ctx.args.paths or None)
        return report_problems(ctx, found, summary=[summary])
    paths: list[Path] = ctx.args.paths or ctx.catalogue_paths()
    from terminarz.paths import bundled_catalogues

    catalogues, problems = check_catalogues(paths, reference=bundled_catalogues())
    if not [p for p in problems if p.severity is Severity.ERROR]:
        from terminarz.law.announced import missing_dates

        problems += missing_dates(catalogues, ctx.today)
    n = sum(len(c.obligations) for c in catalogues)
    return report_problems(ctx, problems, summary=[
        f"{len(paths)} {plural(len(paths), 'plik', 'pliki', 'plików')}, "
        f"{n} {plural(n, 'obowiązek', 'obowiązki', 'obowiązków')}"
    ])  # fmt: skip


def report_problems(ctx: Context, problems: list[Any], *, summary: list[str]) -> int:
    """Print every problem; exit code 2 when any is an error, else 0."""
    import sys

    errors = [p for p in problems if p.severity is Severity.ERROR]
    for problem in problems:
        sys.stderr.write(f"{problem}\n")
    if errors:
        n = len(errors)
        noun = plural(n, "błąd", "błędy", "błędów")
        sys.stderr.write(f"\n{n} {noun} — po poprawieniu należy ponownie uruchomić "
                         "terminarz check\n")
        return 2
    ctx.out.write("Poprawne: " + "; ".join(summary) + "\n")
    return 0


def register(sub: Any) -> None:
    for reg in (register_due, register_explain, register_workdays, register_catalogue,
                register_check):  # fmt: skip
        reg(sub)


__all__ = ["PeriodKind", "register"]

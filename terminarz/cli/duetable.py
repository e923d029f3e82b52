"""The ``due`` table and JSON rows, shared by ``due`` with and without an organisation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from terminarz.cli.common import Context, table
from terminarz.errors import UsageError
from terminarz.law.announced import UndatedOccurrence, learn_windows
from terminarz.law.catalogue import CatalogueSet
from terminarz.law.rules import Grade, Obligation, Occurrence, split_occurrence_id
from terminarz.polish import MONTHS_NOMINATIVE, days_phrase, short_date

if TYPE_CHECKING:
    from terminarz.org.datarequests import Task
    from terminarz.store.base import Confirmation

REPEALED_MARK = "z aktu, który utracił moc"


def source_words(occ: Occurrence) -> str:
    """What the ``due`` table shows about where the date comes from."""
    words = occ.grade.mark or "akt prawny"
    doubt = occ.obligation.act.in_force_words
    if doubt and occ.announced is None:
        words += f"; {doubt.removesuffix(' — do sprawdzenia')}" if occ.grade.mark else f"; {doubt}"
    if occ.from_repealed_act:
        words += f"; {REPEALED_MARK}"
    return words


def source_json(occ: Occurrence) -> dict[str, object]:
    """The keys about the date's source, added to every occurrence row."""
    found = occ.announced
    source = occ.obligation.source
    return {
        "announced": True if found is not None else None,
        "grade": str(occ.grade),
        "check": occ.grade.needs_check,
        "source_mark": occ.grade.mark or None,
        "announcement": (
            {"date": found.due.isoformat(), "grade": str(found.grade), "text": found.text,
             "where": found.where, "basis": found.basis, "origin": found.origin,
             "local": found.local}
            if found is not None else None
        ),
        "source": (
            {"grade": str(source.grade), "where": list(source.where),
             "verified": source.verified.isoformat() if source.verified else None}
            if source is not None else None
        ),
        "repealed_act": occ.from_repealed_act,
        "act_in_force": occ.obligation.act.in_force or "confirmed",
        "window": None,
    }  # fmt: skip


def filter_obligations(
    catalogues: CatalogueSet, levels: list[str] | None, forms: list[str] | None
) -> list[Obligation]:
    obligations = list(catalogues.obligations)
    if levels:
        known = set(catalogues.levels)
        for level in levels:
            if level not in known:
                raise UsageError(
                    f"--level: nieznany poziom „{level}”; znane poziomy: {', '.join(sorted(known))}"
                )
        obligations = [o for o in obligations if o.level in levels]
    if forms:
        wanted = {f.casefold() for f in forms}
        known_forms = {o.form.casefold(): o.form for o in catalogues.obligations}
        for form in forms:
            if form.casefold() not in known_forms:
                raise UsageError(
                    f"--form: nieznany formularz „{form}”; znane formularze: "
                    f"{', '.join(sorted(set(known_forms.values())))}"
                )
        obligations = [o for o in obligations if o.form.casefold() in wanted]
    return obligations


def occurrence_json(occ: Occurrence, catalogues: CatalogueSet, today: date) -> dict[str, object]:
    ob = occ.obligation
    return {
        "id": occ.id,
        "obligation": ob.id,
        "form": ob.form,
        "part": ob.part,
        "title": ob.title,
        "level": ob.level,
        "recipients": list(ob.recipients),
        "recipient_names": [catalogues.party_name(r) for r in ob.recipients],
        "period": str(occ.period),
        "period_words": occ.period.for_words(),
        "due": occ.due.isoformat(),
        "nominal": occ.nominal.isoformat(),
        "shifted": occ.nominal != occ.due and occ.override is None,
        "override": (
            {"due": occ.override.due.isoformat(), "basis": occ.override.basis}
            if occ.override else None
        ),
        "days_left": (occ.due - today).days,
        "basis": str(ob.basis),
        "act": ob.act.id,
    } | source_json(occ)


def undated_json(item: UndatedOccurrence, catalogues: CatalogueSet) -> dict[str, object]:
    """A period without a date, with the same keys as a dated occurrence (``due`` is null)."""
    ob = item.obligation
    window = item.window
    source = ob.source
    return {
        "id": item.id, "obligation": ob.id, "form": ob.form, "part": ob.part, "title": ob.title,
        "level": ob.level, "recipients": list(ob.recipients),
        "recipient_names": [catalogues.party_name(r) for r in ob.recipients],
        "period": str(item.period), "period_words": item.period.for_words(),
        "due": None, "nominal": None, "shifted": False, "override": None, "days_left": None,
        "basis": str(ob.basis), "act": ob.act.id,
        "announced": False, "grade": str(ob.grade), "check": True,
        "source_mark": "termin do ustalenia — nie został jeszcze ogłoszony",
        "announcement": None,
        "source": (
            {"grade": str(source.grade), "where": list(source.where),
             "verified": source.verified.isoformat() if source.verified else None}
            if source is not None else None
        ),
        "repealed_act": ob.act.repealed_by(item.expected),
        "act_in_force": ob.act.in_force or "confirmed",
        "window": ({"from": window[0].isoformat(), "to": window[1].isoformat()}
                   if window is not None else None),
        "window_words": item.window_words(),
    }  # fmt: skip


def confirmed_json(confirmation: Confirmation | None) -> dict[str, object] | None:
    if confirmation is None:
        return None
    return {"by": confirmation.confirmed_by, "at": confirmation.confirmed_at,
            "note": confirmation.note}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class DueRow:
    """One line of the ``due`` table, with or without an organisation's columns."""

    occurrence: Occurrence
    confirmation: Confirmation | None = None
    planning_date: date | None = None
    responsible: str | None = None  # None: no "Odpowiada" column
    urgent: bool = False  # nobody responsible, or a designation needed


def write_due_table(
    ctx: Context,
    rows: list[DueRow],
    *,
    start: date,
    end: date,
    scope: str | None = None,
    names: Callable[[str], str] = str,
) -> None:
    """Heading, the table (overdue red, ≤ 3 days yellow, sent plain) and its footnotes."""
    args = ctx.args
    today = ctx.today
    style = ctx.style
    out = ctx.out
    heading = (
        f"Terminy: {MONTHS_NOMINATIVE[start.month - 1]} {start.year} r."
        if args.month or not (args.date_from or args.date_to)
        else f"Terminy od {short_date(start)} do {short_date(end)}"
    )
    out.write(style.bold(heading) + f"  (dziś: {short_date(today)})\n")
    out.write(f"{scope}\n\n" if scope else "\n")
    if not rows:
        out.write("Brak terminów w tym okresie.\n")
        return
    with_people = any(r.responsible is not None for r in rows)
    with_source = any(r.occurrence.grade is not Grade.ACT or r.occurrence.from_repealed_act
                      or r.occurrence.obligation.act.in_force for r in rows)  # fmt: skip
    cells = []
    for row in rows:
        occ = row.occurrence
        ob = occ.obligation
        when = short_date(occ.due) + ("" if occ.nominal == occ.due and not occ.override else " *")
        if row.planning_date is not None:
            when += f" (planowo {short_date(row.planning_date)})"
        status = (
            confirmation_words(row.confirmation, names) if row.confirmation
            else days_phrase((occ.due - today).days)
        )  # fmt: skip
        cell = [when, status, ob.label, f"{ob.level} → {', '.join(ob.recipients) or '—'}",
                occ.period.for_words()]  # fmt: skip
        if with_source:
            cell.append(source_words(occ))
        if with_people:
            cell.append(row.responsible or "")
        cells.append([*cell, occ.id])
    header = ["Termin", "Pozostało", "Sprawozdanie", "Kto → komu", "Okres"]
    header += ["Źródło terminu"] if with_source else []
    header += ["Odpowiada", "Id"] if with_people else ["Id"]
    for i, line in enumerate(table(cells, header)):
        if i >= 2:
            row = rows[i - 2]
            days = (row.occurrence.due - today).days
            if row.confirmation is None:
                if days < 0 or row.urgent:
                    line = style.red(line)
                elif days <= 3:
                    line = style.yellow(line)
        out.write(line + "\n")
    if any(r.occurrence.nominal != r.occurrence.due or r.occurrence.override for r in rows):
        out.write("\n* termin przesunięty z dnia wolnego albo zmieniony — szczegóły: "
                  "terminarz explain <id>\n")  # fmt: skip
    if any(r.planning_date and r.occurrence.announced is None for r in rows):
        out.write("planowo — termin ustawowy wypada w dzień wolny instytucji; pracę należy "
                  "zaplanować na poprzedni dzień pracy\n")  # fmt: skip
    if any(r.occurrence.announced is not None and r.planning_date for r in rows):
        out.write("termin ogłoszony nie jest przesuwany z dnia wolnego — obowiązuje data "
                  "ogłoszona, a pracę planuje się na poprzedni dzień roboczy\n")  # fmt: skip
    if any(r.occurrence.grade.needs_check for r in rows):
        out.write("do sprawdzenia — termin nie pochodzi z tekstu aktu prawnego, lecz z programu "
                  "badań, komunikatu lub strony urzędu wojewódzkiego; źródło: terminarz explain "
                  "<id>\n")  # fmt: skip
    if any(r.occurrence.from_repealed_act for r in rows):
        out.write(f"{REPEALED_MARK} — obowiązek pochodzi z aktu uchylonego; termin pokazano, "
                  "bo katalog wskazano wprost\n")  # fmt: skip


def write_undated(
    ctx: Context,
    items: list[UndatedOccurrence],
    *,
    tasks: dict[str, Task] | None = None,
) -> None:
    """The section "Terminy do ustalenia": periods whose date was not announced yet."""
    if not items:
        return
    out = ctx.out
    out.write("\n" + ctx.style.bold("Terminy do ustalenia") + " — data nie została jeszcze "
              "ogłoszona (terminarz jej nie zgaduje)\n")  # fmt: skip
    header = ["Okres", "Sprawozdanie", "Kto → komu", "Kiedy zwykle"]
    header += ["Ustalić termin do", "Id"] if tasks is not None else ["Id"]
    cells = []
    for item in items:
        ob = item.obligation
        cell = [item.period.for_words(), ob.label,
                f"{ob.level} → {', '.join(ob.recipients) or '—'}", item.window_words()]  # fmt: skip
        if tasks is not None:
            task = tasks.get(item.id)
            cell.append(short_date(task.due) if task is not None else "—")
        cells.append([*cell, item.id])
    out.write("\n".join(table(cells, header)) + "\n")
    out.write("Kiedy zwykle — przedział dat z lat, dla których termin jest znany; ogłoszony "
              "termin należy wpisać w pliku terminów instytucji ([[announced]])\n")  # fmt: skip


def undated_item(ctx: Context, text: str) -> UndatedOccurrence | None:
    """The period named by ``text`` when its obligation is announced and has no date yet."""
    try:
        obligation_id, period = split_occurrence_id(text)
    except ValueError:
        return None
    catalogues = ctx.catalogues
    obligation = catalogues.obligation(obligation_id)
    if obligation is None or not obligation.announced or not obligation.applies_to(period):
        return None
    if f"{obligation_id}/{period}" in catalogues.announced:
        return None
    windows = learn_windows([obligation], catalogues.announced)
    window = windows.get(obligation.id)
    return UndatedOccurrence(obligation=obligation, period=period,
                             window=window.for_period(period) if window else None)  # fmt: skip


def confirmation_words(confirmation: Confirmation, names: Callable[[str], str] = str) -> str:
    """``✔ wysłano 2027-01-29 (Anna Nowak)`` — how a confirmed occurrence is shown in tables."""
    day = confirmation.confirmed_at[:10]
    who = f" ({names(confirmation.confirmed_by)})" if confirmation.confirmed_by else ""
    return f"✔ wysłano {day}{who}"

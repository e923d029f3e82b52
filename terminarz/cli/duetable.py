"""The ``due`` table and JSON rows, shared by ``due`` with and without an organisation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from terminarz.cli.common import Context, table
from terminarz.errors import UsageError
from terminarz.law.catalogue import CatalogueSet
from terminarz.law.rules import Obligation, Occurrence
from terminarz.polish import MONTHS_NOMINATIVE, days_phrase, short_date

if TYPE_CHECKING:
    from terminarz.store.base import Confirmation


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
    }


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
        if with_people:
            cell.append(row.responsible or "")
        cells.append([*cell, occ.id])
    header = ["Termin", "Pozostało", "Sprawozdanie", "Kto → komu", "Okres"]
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
    if any(r.planning_date for r in rows):
        out.write("planowo — termin ustawowy wypada w dzień wolny instytucji; zaplanuj pracę "
                  "na poprzedni dzień pracy\n")  # fmt: skip


def confirmation_words(confirmation: Confirmation, names: Callable[[str], str] = str) -> str:
    """``✔ wysłano 2027-01-29 (Anna Nowak)`` — how a confirmed occurrence is shown in tables."""
    day = confirmation.confirmed_at[:10]
    who = f" ({names(confirmation.confirmed_by)})" if confirmation.confirmed_by else ""
    return f"✔ wysłano {day}{who}"

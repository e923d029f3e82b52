"""The Polish explanation of a computed date, built from :func:`terminarz.law.rules.trail`.

Used by ``terminarz explain`` (in full) and by feeds and mails (the short form).
"""

from __future__ import annotations

from collections.abc import Mapping

from terminarz.law.rules import IfNonWorking, Obligation, Occurrence, Party, Trail
from terminarz.polish import MONTHS_NOMINATIVE, long_date, short_date


def parties_line(obligation: Obligation, parties: Mapping[str, Party]) -> str:
    """``rejonowy urząd pracy (rup) → wojewódzki urząd pracy (wup)``"""

    def name(pid: str) -> str:
        party = parties.get(pid)
        return f"{party.name} ({pid})" if party else pid

    recipients = ", ".join(name(r) for r in obligation.recipients) or "—"
    return f"{name(obligation.level)} → {recipients}"


def citation_lines(obligation: Obligation) -> list[str]:
    act = obligation.act
    basis = obligation.basis
    own = basis.act == act.short and bool(basis.short())
    lines = [f"Podstawa: {basis} ({act.published})" if act.published and own
             else f"Podstawa: {basis}"]  # fmt: skip
    if obligation.basis.quote:
        lines.append(f"  „{obligation.basis.quote}”")
    if act.status:
        lines.append(f"Status aktu: {act.status}")
    if act.is_repealed:
        lines.append(f"Utrata mocy: {act.repeal_words()}")
    if act.in_force_words:
        lines.append(f"Uwaga: {act.in_force_words}")
    return lines


def source_lines(obligation: Obligation) -> list[str]:
    """Where the rule was read and how strong that is (``Źródło: …``), marked "do sprawdzenia"."""
    source = obligation.source
    if source is None:
        return ["Źródło: tekst aktu prawnego"]
    lines = source.lines()
    if source.grade.needs_check:
        lines.append(f"Uwaga: {source.grade.mark} — reguła nie została odczytana w tekście aktu "
                     "prawnego.")  # fmt: skip
    return lines


def validity_words(obligation: Obligation) -> str:
    start = f"od okresu {obligation.valid_from}" if obligation.valid_from else "od zawsze"
    end = f"do okresu {obligation.valid_to}" if obligation.valid_to else "bez daty końcowej"
    return f"{start}, {end}"


def trail_lines(trail: Trail) -> list[str]:
    """Day-by-day account: which days were counted, which skipped and why, the shift."""
    occ = trail.occurrence
    year, month = trail.month
    lines = [f"Reguła: {trail.rule}"]
    deadline = occ.obligation.deadline
    assert deadline is not None and trail.computed_due is not None
    if trail.shift is None:
        lines.append(f"Liczenie dni roboczych w miesiącu: {MONTHS_NOMINATIVE[month - 1]} {year} r.")
        for step in trail.days:
            if step.count is not None:
                lines.append(f"  {short_date(step.info.day)} — {step.count}. dzień roboczy")
            else:
                lines.append(f"  {short_date(step.info.day)} — pominięty: {step.info.reason()}")
    else:
        first = trail.days[0].info
        if first.working:
            lines.append(
                f"Data nominalna: {long_date(occ.nominal)} — dzień roboczy, bez przesunięcia"
            )
        elif trail.shift is IfNonWorking.KEEP:
            lines.append(
                f"Data nominalna: {long_date(occ.nominal)} — {first.reason()}; reguła nie "
                "przesuwa terminu"
            )
        else:
            direction = "następny" if trail.shift is IfNonWorking.NEXT else "poprzedni"
            nominal = long_date(occ.nominal)
            lines.append(f"Data nominalna: {nominal} — dzień wolny ({first.reason()})")
            lines.append(f"Przesunięcie na najbliższy {direction} dzień roboczy:")
            for step in trail.days:
                info = step.info
                status = "dzień roboczy" if info.working else f"pominięty: {info.reason()}"
                lines.append(f"  {short_date(step.info.day)} — {status}")
            if trail.shift_basis:
                lines.append(f"Podstawa przesunięcia: {trail.shift_basis}")
    computed = trail.computed_due
    if occ.override is not None:
        lines.append(f"Termin wynikający z reguły: {long_date(computed)}")
        lines.append(
            f"Termin zmieniony na: {long_date(occ.override.due)} — podstawa: {occ.override.basis}"
        )
    lines.append(f"Termin: {long_date(occ.due)}")
    return lines


def short_explanation(occ: Occurrence, trail: Trail) -> str:
    """One sentence for a feed or a mail: the rule, the shift and the override if any."""
    text = f"{trail.rule[:1].upper()}{trail.rule[1:]}"
    if trail.shift is None:
        text += f" ({trail.month[1]:02d}.{trail.month[0]})"
    elif trail.shifted:
        reason = trail.days[0].info.reason()
        text += f"; data nominalna {short_date(occ.nominal)} ({reason}) przesunięta"
        text += f" na {short_date(trail.computed_due or occ.due)}"
    if occ.override is not None:
        text += f"; termin zmieniony na {short_date(occ.override.due)}: {occ.override.basis}"
    return text if text.endswith(".") else text + "."

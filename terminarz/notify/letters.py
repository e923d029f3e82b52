"""The written request for data (II.4, the "pismo"), rendered from ``templates/pismo.*.j2``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from terminarz.org.datarequests import TaskKind, input_name
from terminarz.org.organisation import Organisation
from terminarz.org.plan import PlannedOccurrence


class LetterFormat(StrEnum):
    TEXT = "text"
    HTML = "html"


TEMPLATES = {LetterFormat.TEXT: "pismo.txt.j2", LetterFormat.HTML: "pismo.html.j2"}


def letter_context(
    planned: PlannedOccurrence,
    unit: str,
    organisation: Organisation,
    *,
    today: date,
    recipients: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the pismo templates use; raises ``KeyError`` for an input the duty lacks
    or one with no request (its unit would ask itself). Signed by whoever is responsible on
    the day the request goes out.

    ``recipients`` maps party ids of the catalogue to their names (``wzps`` → …).
    """
    from terminarz.polish import date_words, long_date

    duty = planned.duty
    if duty is None:
        raise KeyError(unit)
    item = next((i for i in duty.inputs if i.id == unit), None)
    if item is None:
        raise KeyError(unit)
    deliver = next((t for t in planned.tasks if t.unit == unit and t.kind is TaskKind.DELIVER),
                   None)  # fmt: skip
    request = next((t for t in planned.tasks if t.unit == unit and t.kind is TaskKind.REQUEST),
                   None)  # fmt: skip
    if deliver is None or request is None:
        raise KeyError(unit)  # no letter: the unit would ask itself (planned.left_out says why)
    occ = planned.occurrence
    ob = occ.obligation
    signers = request.owners or (duty.fallback,)  # who is responsible on the request's day
    signatory = organisation.person(signers[0]) if signers else None
    addressee_unit = organisation.unit(item.unit) if item.unit else None
    head_id = addressee_unit.head if addressee_unit is not None else None
    head = organisation.person(head_id) if head_id else None
    names = dict(recipients or {})
    deadline = deliver.working_date
    name = input_name(item, organisation)
    if item.external:
        lines = [name, *([item.email] if item.email else [])]
    else:
        role = head.role if head and head.role else f"Kierownik: {name}"
        lines = [role] if name.casefold() in role.casefold() else [role, name]
    # the data go to whoever prepares the report on the delivery date (a substitute when
    # the owners are away then), not necessarily to the one who signs the request
    resolution = planned.resolution
    preparers = [p for p in (organisation.person(i) for i in (resolution.owners if resolution
                                                               else ())) if p is not None]
    if not preparers and signatory is not None:
        preparers = [signatory]
    signatory_role = signatory.role if signatory else ""
    if signatory and signatory_role.casefold() == signatory.name.casefold():
        signatory_role = ""
    return {
        "organisation": organisation.name,
        "city": organisation.city,
        "date": date_words(today),
        "addressee": {
            "name": name,
            "lines": lines,
            "head": head.name if head else "",
            "head_role": head.role if head else "",
            "email": item.email or (head.email if head else ""),
            "external": item.external,
        },
        "data": item.data,
        "report": {
            "id": occ.id,
            "label": ob.label,
            "title": ob.title,
            "period": occ.period.for_words(),
            "due": long_date(occ.due),
            "due_words": date_words(occ.due),
            "recipients": ", ".join(names.get(r, r) for r in ob.recipients),
            "basis": str(ob.basis) + (f"; {occ.grade.mark}" if occ.grade.mark else ""),
        },
        "deadline": long_date(deadline),
        "deadline_moved": deliver.planning_date is not None,
        "deadline_nominal": date_words(deliver.due),
        "request_date": long_date(request.working_date),
        "duty_basis": duty.basis,
        "request_basis": organisation.request_basis,
        "procedure": organisation.procedure,
        "signatory": {
            "name": signatory.name if signatory else "",
            "role": signatory_role,
            "email": signatory.email if signatory else "",
            "unit": _unit_name(organisation, signatory.unit) if signatory else "",
        },
        "substitute": bool(duty.tiers) and signers[0] not in duty.tiers[0],
        "deliver_to": {
            "plural": len(preparers) > 1,
            "names": ", ".join(p.name for p in preparers),
            "emails": ", ".join(p.email for p in preparers if p.email),
        },
    }


def _unit_name(organisation: Organisation, unit_id: str) -> str:
    unit = organisation.unit(unit_id)
    return unit.name if unit else unit_id


def render_letter(
    context: Mapping[str, Any], fmt: LetterFormat | str = LetterFormat.TEXT,
    *, templates: Path | None = None,
) -> str:  # fmt: skip
    """Render the pismo (text, or HTML for printing) with Jinja2 and ``StrictUndefined``.

    HTML is autoescaped; a variable missing from ``context`` raises
    ``jinja2.UndefinedError`` instead of printing an empty gap.
    """
    env = template_environment(templates)
    text: str = env.get_template(TEMPLATES[LetterFormat(fmt)]).render(**context)
    return text


def template_environment(templates: Path | None = None) -> Any:
    """A Jinja2 environment over ``templates/`` (StrictUndefined, autoescape for *.html.j2)."""
    import jinja2

    from terminarz.paths import templates_dir
    from terminarz.templating import bytecode_cache

    folder = templates or templates_dir()
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        autoescape=lambda name: bool(name and name.endswith((".html.j2", ".html"))),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=bytecode_cache("letters"),
    )


def render_request(
    planned: PlannedOccurrence,
    unit: str,
    organisation: Organisation,
    *,
    today: date,
    fmt: LetterFormat | str = LetterFormat.TEXT,
    recipients: Mapping[str, str] | None = None,
    templates: Path | None = None,
) -> str:
    """The written request for data from ``unit`` for ``planned`` (text or HTML)."""
    context = letter_context(planned, unit, organisation, today=today, recipients=recipients)
    return render_letter(context, fmt, templates=templates)

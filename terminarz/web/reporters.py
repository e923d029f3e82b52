"""The page "Sprawozdawcy" of an upper-level organisation (a blueprint of its own): the
status table of :mod:`terminarz.notify.reporting` with a receipt ("Przyjęto") and a return
("Do poprawy") form per report, and its CSV export.

It is shown to the people of an organisation whose file names ``[organisation] reporters``;
the organisations of the deployment are the files ``serve`` was given (``WebConfig.deployment``).
Each reporter's store is found by the same rule as its nightly run (its ``[state]``,
``TERMINARZ_STATE_URL``), so what is recorded here is what its own ``due`` and reminders see.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, abort, current_app, g, redirect, request, url_for

from terminarz.errors import TerminarzError
from terminarz.law.periods import Period
from terminarz.notify.reporting import (
    Overview,
    Reporter,
    State,
    late_phrase,
    open_deployment,
    overview,
    receive,
    responsible_text,
    return_report,
    state_text,
)
from terminarz.org.organisation import Organisation
from terminarz.org.plan import CatalogueCache, Setup, load_setup
from terminarz.polish import short_date
from terminarz.web.pages import now, organisation, page, parse_day, setup, signed_in

if TYPE_CHECKING:
    from terminarz.store import Location
    from terminarz.store.base import Store

reporters_page = Blueprint("reporters", __name__)
STATE_CLASS = {State.LATE: "bad", State.RETURNED: "warn", State.SENT: "ok", State.RECEIVED: "ok"}


class DeploymentSetups:
    """The deployment's organisation files, read again only when a file or the date changes."""

    def __init__(self, files: tuple[Path, ...]) -> None:
        self.files = files
        self._catalogues = CatalogueCache()
        self._lock = threading.Lock()
        self._kept: dict[Path, tuple[tuple[object, ...], Setup]] = {}

    def load(self, path: Path, today: date) -> Setup:
        stat = path.stat()
        key = (today, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            found = self._kept.get(path)
            if found is None or found[0] != key:
                setup_ = load_setup(path, today=today, catalogue_cache=self._catalogues)
                found = self._kept[path] = (key, setup_)
            return found[1]


def deployment() -> DeploymentSetups:
    found = current_app.extensions.get("terminarz.deployment")
    if found is None:
        files = tuple(current_app.extensions["terminarz"].deployment)
        found = current_app.extensions["terminarz.deployment"] = DeploymentSetups(files)
    assert isinstance(found, DeploymentSetups)
    return found


def reporter_location(org: Organisation) -> Location:
    """A reporter's store, by the rule of its nightly run."""
    from terminarz.store import locate

    environ = current_app.extensions["terminarz"].environ
    state = org.settings.state
    return locate(environ=environ, url=state.url, path=state.path, config=org.path)


def open_reporter_store(org: Organisation) -> Store:
    from terminarz.store import open_store

    return open_store(reporter_location(org), org.id)


def _upper() -> Organisation:
    org = organisation()
    if not org.reporters:
        abort(403)
    return org


def _reporters(upper: Organisation) -> list[Reporter]:
    found = deployment()
    if not found.files:
        return []
    today = g.today
    return open_deployment(list(found.files), upper, today=today,
                           load=lambda path: found.load(path, today),
                           locate=reporter_location)  # fmt: skip


def _period() -> Period | None:
    text = request.values.get("okres", "").strip()
    if not text:
        return None
    try:
        return Period.parse(text)
    except ValueError:
        return None


def _overview(upper: Organisation, reporters: list[Reporter]) -> Overview:
    return overview(setup(), reporters, today=g.today, period=_period())


@reporters_page.get("/sprawozdawcy")
@signed_in
def status_page(errors: list[str] | None = None, status: int = 200) -> Any:
    upper = _upper()
    try:
        reporters = _reporters(upper)
    except TerminarzError as exc:
        return page("reporters.html.j2", groups=[], problem=str(exc), errors=errors or [],
                    period=request.values.get("okres", ""), configured=True), 200
    found = _overview(upper, reporters)
    names = {r.organisation.id: r.organisation for r in reporters}
    groups = []
    for inputs in found.inputs:
        members = [r for r in found.rows if r.group == (inputs.obligation.id, str(inputs.period))]
        groups.append({
            "title": f"{inputs.obligation.label} {inputs.period.for_words()}",
            "id": inputs.key, "due": short_date(inputs.due), "counts": inputs.counts_text(),
            "own": inputs.upper_occurrence,
            "own_due": short_date(inputs.upper_due) if inputs.upper_due else None,
            "substitutes": inputs.substitutes, "designation": inputs.need_designation,
            "rows": [{
                "org": r.organisation, "name": r.organisation_name, "occurrence": r.occurrence_id,
                "state": state_text(r), "css": STATE_CLASS.get(r.state, ""),
                "who": responsible_text(r, names[r.organisation]),
                "late": late_phrase(r.late_days) if r.is_late else "",
                "can_receive": r.state is not State.RECEIVED,
                "can_return": r.state in (State.SENT, State.RECEIVED),
            } for r in members],
        })  # fmt: skip
    return page("reporters.html.j2", groups=groups, problem=None, errors=errors or [],
                period=request.values.get("okres", ""),
                configured=bool(deployment().files), today=g.today.isoformat(),
                proposed=(g.today + timedelta(days=7)).isoformat()), status  # fmt: skip


@reporters_page.get("/sprawozdawcy.csv")
@signed_in
def status_csv() -> Response:
    from terminarz.notify.reporting import CSV_HEADER, csv_rows

    upper = _upper()
    reporters = _reporters(upper)
    found = _overview(upper, reporters)
    names = {r.organisation.id: r.organisation for r in reporters}
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(found.rows, names))
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="sprawozdawcy-{g.today.isoformat()}.csv"'})


@reporters_page.post("/sprawozdawcy")
@signed_in
def record() -> Any:
    """"Przyjęto" (``akcja=przyjecie``) or "Do poprawy" (``akcja=zwrot`` with ``termin``)."""
    upper = _upper()
    action = request.form.get("akcja", "")
    org_id = request.form.get("organizacja", "")
    occurrence_id = request.form.get("wystapienie", "")
    reporters = {r.organisation.id: r for r in _reporters(upper)}
    reporter = reporters.get(org_id)
    errors: list[str] = []
    if reporter is None or action not in ("przyjecie", "zwrot"):
        errors.append("Proszę wybrać sprawozdanie z tabeli.")
        return status_page(errors, 400)
    by = f"{upper.id}/{g.person}"
    note = " ".join(request.form.get("uwaga", "").split())[:300] or None
    try:
        with open_reporter_store(reporter.organisation) as store:
            if action == "przyjecie":
                receive(upper, reporter, store, occurrence_id, day=g.today, today=g.today, by=by,
                        now=now())  # fmt: skip
            else:
                new_due = parse_day(request.form.get("termin"))
                if new_due is None:
                    errors.append("Proszę podać nowy termin poprawionego sprawozdania.")
                    return status_page(errors, 400)
                return_report(upper, reporter, store, occurrence_id, new_due=new_due,
                              today=g.today, by=by, now=now(), note=note)  # fmt: skip
    except TerminarzError as exc:
        errors.append(str(exc))
        return status_page(errors, 400)
    g.store.audit(action=f"receipt-{'received' if action == 'przyjecie' else 'returned'}",
                  subject=f"{org_id}:{occurrence_id}", detail=note or "", actor=g.person,
                  at=now())  # fmt: skip
    target = url_for("reporters.status_page", okres=request.form.get("okres") or None)
    return redirect(target, code=303)

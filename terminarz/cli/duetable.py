"""The ``due`` table and JSON rows, shared by ``due`` with and without an organisation."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from terminarz.cli.common import Context, json_encoder, json_string
from terminarz.cli.layout import GLUE, dropped_note, fit_table, glued, table_width, write_notes
from terminarz.errors import CalendarRangeError, UsageError
from terminarz.law.announced import UndatedOccurrence, learn_windows
from terminarz.law.catalogue import CatalogueSet
from terminarz.law.rules import (
    Grade,
    Obligation,
    Occurrence,
    split_occurrence_id,
)
from terminarz.polish import MONTHS_NOMINATIVE, days_left_words, short_date
from terminarz.records import Record

TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from terminarz.law.periods import Period
    from terminarz.law.rules import AnnouncedDate
    from terminarz.law.workdays import WorkingCalendar
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


def _source_record(ob: Obligation) -> dict[str, object] | None:
    source = ob.source
    if source is None:
        return None
    return {"grade": str(source.grade), "where": list(source.where),
            "verified": source.verified.isoformat() if source.verified else None}  # fmt: skip


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


class DaysLeft:
    """Days from ``today`` to a date, counted once per month on the statutory calendar.

    :meth:`working` is the signed count of working days the way the reminder mails count
    them: after today up to and including the date, or (for a past date) after the date
    up to and including today, negative. None when a year lies outside the calendar.
    """

    def __init__(self, calendar: WorkingCalendar, today: date) -> None:
        self._calendar = calendar
        self.today = today
        self._anchor = _running_month(today)
        self._before: dict[int, int] = {self._anchor: 0}  # working days of earlier months
        self._low = self._high = self._anchor
        self._days: dict[int, tuple[int, ...]] = {}  # a month's working days, as day numbers
        self._seen: dict[date, int | None] = {}
        self._today = self._upto(today)

    def _month(self, month: int) -> tuple[int, ...]:
        days = self._days.get(month)
        if days is None:
            found = self._calendar.month_working_day_numbers(month // 12, month % 12 + 1)
            days = self._days[month] = found
        return days

    def _upto(self, day: date) -> int | None:
        """Working days from the first day of today's month up to ``day`` (signed)."""
        month = _running_month(day)
        try:
            while month > self._high:
                self._before[self._high + 1] = self._before[self._high] + len(
                    self._month(self._high)
                )
                self._high += 1
            while month < self._low:
                self._before[self._low - 1] = self._before[self._low] - len(
                    self._month(self._low - 1)
                )
                self._low -= 1
            return self._before[month] + bisect_right(self._month(month), day.day)
        except CalendarRangeError:
            return None

    def working(self, day: date) -> int | None:
        if day not in self._seen:
            upto = self._upto(day)
            self._seen[day] = (
                None if upto is None or self._today is None else upto - self._today
            )
        return self._seen[day]

    def many(self, days: Iterable[date]) -> dict[date, int | None]:
        """:meth:`working` of many days at once: the months' counts of earlier working days
        are extended once to the first and the last day, then each day is one look-up and
        one search in its month (a century of due dates: one step per month)."""
        ordered = sorted(set(days))
        if not ordered:
            return {}
        today = self._today
        if today is None or self._upto(ordered[0]) is None or self._upto(ordered[-1]) is None:
            found = {day: self.working(day) for day in ordered}  # a day outside the calendar
        else:
            before, months = self._before, self._days
            found = {}
            for day in ordered:
                month = day.year * 12 + day.month - 1
                found[day] = before[month] + bisect_right(months[month], day.day) - today
        self._seen.update(found)
        return found

    def words(self, day: date) -> str:
        """``za 10 dni rob. (14 dni)`` — see :func:`terminarz.polish.days_left_words`."""
        return days_left_words(self.working(day), (day - self.today).days)


def _running_month(day: date) -> int:
    return day.year * 12 + day.month - 1


def occurrence_json(
    occ: Occurrence, catalogues: CatalogueSet, today: date, left: DaysLeft | None = None
) -> dict[str, object]:
    """An occurrence for ``--format json``; ``working_days_left`` is null without ``left``."""
    return OccurrenceRows(catalogues, today, left).json(occ)


class OccurrenceRows:
    """Occurrences as ``--format json`` rows, what belongs to the obligation built once.

    :meth:`json` is the row as a dict. :meth:`text` is the same row as JSON text, written
    for thousands of rows (a century of a catalogue is 8,052): the obligation's keys (names,
    basis, source — most of a row's bytes) are encoded once per obligation, a period's and
    a date's once per period and date, and only what is the occurrence's own is put into
    the row's text — every string through ``json``'s own C string encoder. The content is
    :meth:`json`'s (a test compares them row by row); the occurrence's keys come first, the
    ``extra`` keys next, the obligation's last.
    """

    def __init__(self, catalogues: CatalogueSet, today: date, left: DaysLeft | None) -> None:
        self._catalogues = catalogues
        self._today = today
        self._left = left
        self._constant: dict[str, _Constant] = {}
        self._encode = json_encoder()
        self._string = json_string()
        self._periods: dict[int, tuple[Period, bytes]] = {}
        self._dates: dict[date, tuple[bytes, bytes]] = {}
        self._iso: dict[date, bytes] = {}
        self._last_extra: dict[str, object] | None = None
        self._last_extra_text = b""

    def json(self, occ: Occurrence) -> dict[str, object]:
        return self._varying(occ) | self._of(occ.obligation)[0]

    def rows(self, occurrences: Sequence[Occurrence],
             extra: Callable[[Occurrence], dict[str, object]]) -> list[bytes]:  # fmt: skip
        """:meth:`row` of every occurrence (with ``extra(occurrence)``), the days left to all
        their dates counted at once first."""
        import gc

        if self._left is not None:  # every due date's text and days left, in one pass
            today = self._today.toordinal()
            self._dates.update(
                (day, (day.isoformat().encode("ascii"),
                       (f', "days_left": {day.toordinal() - today}, "working_days_left": '
                        f'{"null" if left is None else left}').encode("ascii")))
                for day, left in self._left.many(o.due for o in occurrences).items()
            )  # fmt: skip
        row = self.row
        # Rows are bytes and tuples, never a reference cycle: the collections their
        # allocations would set off (about 5 % of a century's rows) find nothing.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return [row(o, extra(o)) for o in occurrences]
        finally:
            if collecting:
                gc.enable()

    def row(self, occ: Occurrence, extra: dict[str, object]) -> bytes:
        """The row with ``extra`` keys, as compact JSON in UTF-8 (what is written)."""
        ob, period, nominal, due, override, found = occ  # one unpacking, not six look-ups
        constant = self._constant.get(ob.id) or self._of(ob)
        period_keys = self._periods.get(id(period)) or self._period(period)
        due_keys = self._dates.get(due) or self._date(due)
        repealed_from = constant[4]
        repealed = _IN_FORCE if repealed_from is None or due < repealed_from else _REPEALED
        extra_text = (self._last_extra_text if extra is self._last_extra
                      else self._extra_text(extra))  # fmt: skip
        if override is None and found is None:
            if nominal == due:
                return b"".join((
                    constant[2], period_keys[1], due_keys[0], b'", "nominal": "', due_keys[0],
                    _PLAIN, due_keys[1], constant[3], repealed, extra_text, constant[1],
                ))  # fmt: skip
            return b"".join((
                constant[2], period_keys[1], due_keys[0], b'", "nominal": "',
                self._iso.get(nominal) or self._iso_of(nominal), _SHIFTED, due_keys[1],
                constant[3], repealed, extra_text, constant[1],
            ))  # fmt: skip
        return b"".join((constant[2], period_keys[1], *self._unusual(occ, due_keys), repealed,
                         extra_text, constant[1]))  # fmt: skip

    def _iso_of(self, day: date) -> bytes:
        found = self._iso[day] = day.isoformat().encode("ascii")
        return found

    def _unusual(self, occ: Occurrence, due_keys: tuple[bytes, bytes]) -> tuple[bytes, ...]:
        """The middle of a row with an override or an announced date."""
        encode = self._encode
        override = occ.override
        found = occ.announced
        shifted = occ.nominal != occ.due and override is None
        text = ", ".join((
            f'", "nominal": "{occ.nominal.isoformat()}", "shifted": '
            f"{'true' if shifted else 'false'}",
            '"override": ' + ("null" if override is None else encode(
                {"due": override.due.isoformat(), "basis": override.basis})),
        ))  # fmt: skip
        announced = (self._grade_keys(occ.obligation.grade) if found is None else
                     (', "announced": true, ' + self._grade(found.grade) + ', "announcement": '
                      + encode(_announcement(found))).encode("utf-8"))  # fmt: skip
        return (due_keys[0], text.encode("utf-8"), due_keys[1], announced)

    def _period(self, period: Period) -> tuple[Period, bytes]:
        """The row's JSON from its id's period (without the id's closing quote) to the period's
        keys, made once per period object (kept, so its ``id`` stays its own)."""
        text = str(period)
        string = self._string
        keys = (f'{string(text)[1:]}, "period": {string(text)}, '
                f'"period_words": {string(period.for_words())}, "due": "')  # fmt: skip
        found = self._periods[id(period)] = (period, keys.encode("utf-8"))
        return found

    def _date(self, day: date) -> tuple[bytes, bytes]:
        """A date as text, and the JSON of the days left to it, made once per date."""
        left = self._left.working(day) if self._left is not None else None
        found = self._dates[day] = (
            day.isoformat().encode("ascii"),
            f', "days_left": {(day - self._today).days}, '
            f'"working_days_left": {"null" if left is None else left}'.encode("ascii"),
        )  # fmt: skip
        return found

    def _grade(self, grade: Grade) -> str:
        encode = self._encode
        return encode({"grade": str(grade), "check": grade.needs_check,
                       "source_mark": grade.mark or None})[1:-1]  # fmt: skip

    def _extra_text(self, extra: dict[str, object]) -> bytes:
        """The JSON of the ``extra`` keys between commas (a single comma for none), kept for
        the next row: :meth:`row` reuses it while it is given the same dictionary object (a
        caller's shared "nothing extra")."""
        keys = self._encode(extra)[1:-1]
        text = f", {keys}, ".encode() if keys else b", "
        self._last_extra, self._last_extra_text = extra, text
        return text

    def _of(self, ob: Obligation) -> _Constant:
        """The keys of a row that depend only on its obligation, their JSON (with the row's
        closing brace), the start of a row's JSON up to its id's period, the JSON of the
        keys from ``announced`` to ``announcement`` of a row without an announcement, and the
        first day its act counts as repealed."""
        found = self._constant.get(ob.id)
        if found is None:
            keys: dict[str, object] = {
                "obligation": ob.id, "form": ob.form, "part": ob.part, "title": ob.title,
                "level": ob.level, "recipients": list(ob.recipients),
                "recipient_names": [self._catalogues.party_name(r) for r in ob.recipients],
                "basis": str(ob.basis), "act": ob.act.id, "task": False,
                "source": _source_record(ob), "act_in_force": ob.act.in_force or "confirmed",
                "window": None,
            }  # fmt: skip
            encode = self._encode
            start = '{"id": ' + self._string(f"{ob.id}/")[:-1]
            found = self._constant[ob.id] = (keys, (encode(keys)[1:-1] + "}").encode("utf-8"),
                                             start.encode("utf-8"), self._grade_keys(ob.grade),
                                             ob.act.repealed_from())  # fmt: skip
        return found

    def _grade_keys(self, grade: Grade) -> bytes:
        """The keys of a row without an announcement, from ``announced`` to ``announcement``."""
        return (', "announced": null, ' + self._grade(grade)
                + ', "announcement": null').encode("utf-8")  # fmt: skip

    def _varying(self, occ: Occurrence) -> dict[str, object]:
        found = occ.announced
        override = occ.override
        left = self._left
        grade = occ.grade
        return {
            "id": occ.id,
            "period": str(occ.period),
            "period_words": occ.period.for_words(),
            "due": occ.due.isoformat(),
            "nominal": occ.nominal.isoformat(),
            "shifted": occ.nominal != occ.due and override is None,
            "override": (
                {"due": override.due.isoformat(), "basis": override.basis} if override else None
            ),
            "days_left": (occ.due - self._today).days,
            "working_days_left": left.working(occ.due) if left is not None else None,
            "announced": True if found is not None else None,
            "grade": str(grade),
            "check": grade.needs_check,
            "source_mark": grade.mark or None,
            "announcement": _announcement(found) if found is not None else None,
            "repealed_act": occ.obligation.act.repealed_by(occ.due),
        }  # fmt: skip


_Constant = tuple[dict[str, object], bytes, bytes, bytes, "date | None"]
_PLAIN, _SHIFTED = b'", "shifted": false, "override": null', b'", "shifted": true, "override": null'
_REPEALED, _IN_FORCE = b', "repealed_act": true', b', "repealed_act": false'


def _announcement(found: AnnouncedDate) -> dict[str, object]:
    return {"date": found.due.isoformat(), "grade": str(found.grade), "text": found.text,
            "where": found.where, "basis": found.basis, "origin": found.origin,
            "local": found.local}  # fmt: skip


def undated_json(item: UndatedOccurrence, catalogues: CatalogueSet) -> dict[str, object]:
    """A period without a date, with the same keys as a dated occurrence (``due`` is null)."""
    ob = item.obligation
    window = item.window
    return {
        "id": item.id, "obligation": ob.id, "form": ob.form, "part": ob.part, "title": ob.title,
        "level": ob.level, "recipients": list(ob.recipients),
        "recipient_names": [catalogues.party_name(r) for r in ob.recipients],
        "period": str(item.period), "period_words": item.period.for_words(),
        "due": None, "nominal": None, "shifted": False, "override": None, "days_left": None,
        "working_days_left": None, "basis": str(ob.basis), "act": ob.act.id, "task": False,
        "announced": False, "grade": str(ob.grade), "check": True,
        "source_mark": "termin do ustalenia — nie został jeszcze ogłoszony",
        "announcement": None,
        "source": _source_record(ob),
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


def task_row_json(
    task: Task, keys: dict[str, object], left: DaysLeft, confirmation: Confirmation | None = None
) -> dict[str, object]:
    """An internal task (pkt II.4) as an element of the ``due`` list of its own:
    ``"task": true``, its ``keys`` (those ``who`` shows, with its ``occurrence``), the days
    left and its confirmation."""
    return {"task": True} | keys | {
        "days_left": (task.due - left.today).days,
        "working_days_left": left.working(task.due),
        "confirmed": confirmed_json(confirmation),
    }  # fmt: skip


class DueRow(Record):
    """One line of the ``due`` table, with or without an organisation's columns."""

    occurrence: Occurrence
    confirmation: Confirmation | None = None
    planning_date: date | None = None
    responsible: str | None = None  # None: no "Odpowiada" column
    urgent: bool = False  # nobody responsible, or a designation needed


def range_heading(args: object, start: date, end: date, today: date) -> str:
    """``Terminy: listopad 2026 r.``, with ``i dalej do śr 9 gru 2026`` when the month ends
    soon; ``Terminy od … do …`` for ``--from``/``--to``; ``Terminy na najbliższe 14 dni (do
    …)`` for ``--next``."""
    days = getattr(args, "next", None)
    if days is not None:
        if days == 0:
            return "Terminy na dziś"
        span = "najbliższy dzień" if days == 1 else f"najbliższe {days} dni"
        return f"Terminy na {span} (do {short_date(end)})"
    if getattr(args, "date_from", None) or getattr(args, "date_to", None):
        return f"Terminy od {short_date(start)} do {short_date(end)}"
    month = f"Terminy: {MONTHS_NOMINATIVE[start.month - 1]} {start.year} r."
    if (end.year, end.month) != (start.year, start.month):
        return f"{month} i dalej do {short_date(end)}"
    return month


def write_due_table(
    ctx: Context,
    rows: list[DueRow],
    *,
    start: date,
    end: date,
    scope: str | None = None,
    names: Callable[[str], str] = str,
) -> None:
    """Heading, the table (overdue red, ≤ 3 days yellow, sent plain) and its footnotes,
    fitted into the terminal (:func:`table_width`)."""
    today = ctx.today
    style = ctx.style
    out = ctx.out
    width = table_width(ctx)
    heading = range_heading(ctx.args, start, end, today)
    out.write(style.bold(heading) + f"  (dziś: {short_date(today)})\n")
    if scope:
        write_notes(ctx, [scope], width)
    out.write("\n")
    if not rows:
        out.write("Brak terminów w tym okresie.\n")
        return
    left = DaysLeft(ctx.calendar, today)
    with_people = any(r.responsible is not None for r in rows)
    with_source = any(r.occurrence.grade is not Grade.ACT or r.occurrence.from_repealed_act
                      or r.occurrence.obligation.act.in_force for r in rows)  # fmt: skip
    cells = []
    for row in rows:
        occ = row.occurrence
        ob = occ.obligation
        when = short_date(occ.due) + ("" if occ.nominal == occ.due and not occ.override else " *")
        when = when.replace(" ", GLUE)
        if row.planning_date is not None:
            when += f" (planowo {short_date(row.planning_date)})".replace(" ", GLUE)
        status = (
            confirmation_words(row.confirmation, names) if row.confirmation
            else glued(left.words(occ.due))
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
    lines, dropped = fit_table(cells, header, width=width, keep=("Termin", "Sprawozdanie", "Id"),
                               drop=("Kto → komu", "Okres", "Źródło terminu", "Odpowiada",
                                     "Pozostało"))  # fmt: skip
    for index, line in lines:
        if index >= 0:
            row = rows[index]
            days = (row.occurrence.due - today).days
            if row.confirmation is None:
                if days < 0 or row.urgent:
                    line = style.red(line)
                elif days <= 3:
                    line = style.yellow(line)
        out.write(line + "\n")
    notes = []
    if any(r.occurrence.nominal != r.occurrence.due or r.occurrence.override for r in rows):
        notes.append("* termin przesunięty z dnia wolnego albo zmieniony — szczegóły: "
                     "terminarz explain <id>")  # fmt: skip
    if any(r.planning_date and r.occurrence.announced is None for r in rows):
        notes.append("planowo — termin ustawowy wypada w dzień wolny instytucji; pracę należy "
                     "zaplanować na poprzedni dzień pracy")  # fmt: skip
    if any(r.occurrence.announced is not None and r.planning_date for r in rows):
        notes.append("termin ogłoszony nie jest przesuwany z dnia wolnego — obowiązuje data "
                     "ogłoszona, a pracę planuje się na poprzedni dzień roboczy")  # fmt: skip
    if any(r.occurrence.grade.needs_check for r in rows):
        notes.append("do sprawdzenia — termin nie pochodzi z tekstu aktu prawnego, lecz z "
                     "programu badań, komunikatu lub strony urzędu wojewódzkiego; źródło: "
                     "terminarz explain <id>")  # fmt: skip
    if any(r.occurrence.from_repealed_act for r in rows):
        notes.append(f"{REPEALED_MARK} — obowiązek pochodzi z aktu uchylonego; termin pokazano, "
                     "bo katalog wskazano wprost")  # fmt: skip
    notes.append("Pozostało — dni robocze do terminu, w nawiasie dni kalendarzowe")
    notes += dropped_note(dropped, width)
    out.write("\n")
    write_notes(ctx, notes, width)


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
    width = table_width(ctx)
    out.write("\n" + ctx.style.bold("Terminy do ustalenia") + "\n")
    write_notes(ctx, ["Data nie została jeszcze ogłoszona (terminarz jej nie zgaduje)."], width)
    header = ["Okres", "Sprawozdanie", "Kto → komu", "Kiedy zwykle"]
    header += ["Ustalić termin do", "Id"] if tasks is not None else ["Id"]
    cells = []
    for item in items:
        ob = item.obligation
        cell = [item.period.for_words(), ob.label,
                f"{ob.level} → {', '.join(ob.recipients) or '—'}",
                item.window_words().replace(" r.", GLUE + "r.")]  # fmt: skip
        if tasks is not None:
            task = tasks.get(item.id)
            cell.append(short_date(task.due).replace(" ", GLUE) if task is not None else "—")
        cells.append([*cell, item.id])
    lines, dropped = fit_table(cells, header, width=width,
                               keep=("Sprawozdanie", "Ustalić termin do", "Id"),
                               drop=("Kto → komu", "Okres", "Kiedy zwykle"))  # fmt: skip
    out.write("".join(line + "\n" for _, line in lines))
    write_notes(ctx, ["Kiedy zwykle — przedział dat z lat, dla których termin jest znany; "
                      "ogłoszony termin należy wpisać w pliku terminów instytucji "
                      "([[announced]])", *dropped_note(dropped, width)], width)  # fmt: skip


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

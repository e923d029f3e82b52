"""Reminder mails: every kind renders from its templates and parses back with ``email``.

Subjects are hand-written expectations for the example organisation (see
``test_reminders.py`` for the dates): MPiPS-03 for 2026 is due Monday
1 February 2027; MPiPS-03a for the first half of 2027 is due Thursday 15 July
2027, a day off of the institution, so it is planned for Wednesday 14 July.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import jinja2
import pytest
from test_reminders import DESIGNATED, NOBODY, copy_example

from terminarz.law.workdays import WorkingCalendar
from terminarz.notify.mail import (
    Links,
    MailComposer,
    MailRenderer,
    MailView,
    PersonView,
    build_message,
    make_message_id,
)
from terminarz.notify.reminders import DueMail, MailKind, decide
from terminarz.org.plan import Setup, load_setup, plan
from terminarz.paths import templates_dir

NOW = datetime(2027, 1, 18, 6, 0, 5, tzinfo=ZoneInfo("Europe/Warsaw"))
SECRET = b"sekret-testowy-0123456789abcdef"


@pytest.fixture(scope="module")
def renderer() -> MailRenderer:
    return MailRenderer()


@pytest.fixture(scope="module")
def setups(tmp_path_factory: pytest.TempPathFactory, calendar: WorkingCalendar) -> dict[str, Setup]:
    base = tmp_path_factory.mktemp("mailorgs")
    variants = (("example", ""), ("nobody", NOBODY), ("designated", DESIGNATED))
    return {
        name: load_setup(copy_example(base / name, extra), today=date(2027, 1, 4),
                         statutory=calendar)
        for name, extra in variants
    }


def mails_on(setup: Setup, today: date) -> list[DueMail]:
    assert setup.organisation is not None
    items = plan(setup, today - timedelta(days=60), today + timedelta(days=60), today=today)
    return decide(items, organisation=setup.organisation, calendar=setup.institution,
                  today=today, ledger=frozenset(), confirmed=frozenset(), overdue_every=2,
                  epoch=date(2027, 1, 1))  # fmt: skip


def composer(setup: Setup, renderer: MailRenderer, secret: bytes | None = SECRET) -> MailComposer:
    return MailComposer(renderer, setup, sender="Terminarz MOPR <terminarz@example.org>",
                        links=Links(base_url="https://terminarz.example.org", secret=secret,
                                    days=30),
                        overdue_every=2)  # fmt: skip


CASES = [
    ("example", date(2027, 1, 18), MailKind.REMINDER, "kier-dokip",
     "Przypomnienie: MPiPS-03 za 2026 r. — termin pon 1 lut 2027 (za 10 dni roboczych)"),
    ("example", date(2027, 1, 18), MailKind.HANDOVER, "prac-dokip",
     "Zastępstwo: przejęcie sprawozdania MPiPS-03 za 2026 r., termin pon 1 lut 2027"),
    ("nobody", date(2027, 1, 18), MailKind.DESIGNATION, "dyrektor",
     "Wymaga wyznaczenia osoby: MPiPS-03 za 2026 r. — nikt nie jest dostępny, termin "
     "pon 1 lut 2027"),
    ("designated", date(2027, 1, 18), MailKind.HANDOVER, "prac-dsr",
     "Wyznaczenie do sprawozdania MPiPS-03 za 2026 r., termin pon 1 lut 2027"),
    # nobody available on the due date: DOKiP is asked, on 11 January, by the DŚPS group
    # (in the example DOKiP substitutes and holds the data: no request to itself)
    ("nobody", date(2027, 1, 11), MailKind.REQUEST, "kier-dsps",
     "Prośba o dane do sprawozdania MPiPS-03 za 2026 r.: Dział Organizacji, Kadr i Płac — "
     "wysłać do "
     "pon 11 sty 2027"),
    ("nobody", date(2027, 1, 19), MailKind.DELIVER, "kier-dokip",
     "Dane do dostarczenia do czw 21 sty 2027: MPiPS-03 za 2026 r."),
    ("example", date(2027, 2, 2), MailKind.OVERDUE, "dyrektor",
     "PO TERMINIE: MPiPS-03 za 2026 r. — termin minął pon 1 lut 2027, brak potwierdzenia "
     "wysłania"),
    ("example", date(2027, 7, 14), MailKind.REMINDER, "prac-dokip",
     "Przypomnienie: MPiPS-03a za I półrocze 2027 r. — termin czw 15 lip 2027 "
     "(za 1 dzień roboczy)"),
]  # fmt: skip
IDS = ["reminder", "handover-to-substitute", "needs-designation", "handover-designated",
       "data-request", "data-delivery", "overdue-to-director", "planning-date"]  # fmt: skip


def pick(setups: dict[str, Setup], name: str, today: date, kind: MailKind, person: str) -> DueMail:
    found = [m for m in mails_on(setups[name], today)
             if m.kind is kind and person in m.addressees]  # fmt: skip
    assert len(found) == 1, found
    return found[0]


def parse(raw: bytes) -> EmailMessage:
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize(("org", "today", "kind", "person", "subject"), CASES, ids=IDS)
def test_every_kind_parses_back(
    setups: dict[str, Setup], renderer: MailRenderer, org: str, today: date, kind: MailKind,
    person: str, subject: str,
) -> None:  # fmt: skip
    mail = pick(setups, org, today, kind, person)
    composed = composer(setups[org], renderer).compose(mail, today=today, now=NOW)
    raw = composed.message
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    assert raw.isascii()  # every header and body encoded for 7-bit transport
    msg = parse(raw)
    assert msg["Subject"] == subject
    assert msg["From"].addresses[0].addr_spec == "terminarz@example.org"
    assert msg["To"].addresses[0].addr_spec == composed.address
    assert msg["Date"].datetime == NOW
    assert msg["Message-ID"] == composed.message_id
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg.get_content_type() == "multipart/mixed"
    alternative = next(p for p in msg.iter_parts()
                       if p.get_content_type() == "multipart/alternative")  # fmt: skip
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    text_body, html_body = text.get_content(), html.get_content()
    for body in (text_body, html_body):
        assert "{{" not in body and "{%" not in body
        assert "r.." not in body and "r.</strong>." not in body  # "2027 r." ends a sentence
        assert "Dzień dobry" in body
    due = mail.planned.due
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() in ("mpips-03-ops-2026.ics", "mpips-03a-ops-2027-h1.ics")
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    (event,) = calendar.events
    assert event.start == due and event.end == due + timedelta(days=1)
    assert event["UID"].endswith("@terminarz")
    assert calendar["METHOD"] == "PUBLISH"


def test_reminder_says_what_when_and_how_to_confirm(
    setups: dict[str, Setup], renderer: MailRenderer
) -> None:
    mail = pick(setups, "example", date(2027, 1, 18), MailKind.REMINDER, "kier-dokip")
    text = renderer.render(mail.kind, composer(setups["example"], renderer).view(
        mail, today=date(2027, 1, 18))).text  # fmt: skip
    for expected in (
        "termin sprawozdania MPiPS-03 za 2026 r. mija w poniedziałek, 1 lutego 2027 r. "
        "(za 10 dni roboczych).",
        "Podstawa:     § 3 ust. 2",
        "grupa zastępcza nr 1 (zastępstwo)",
        "Kierownik Działu Świadczeń Pomocy Społecznej: od pon 18 sty 2027 do pt 5 lut 2027",
        "https://terminarz.example.org/confirm/",
        "ważny do środy, 17 lutego 2027 r. włącznie",
    ):
        assert expected in text
    assert "termin dostarczenia" not in text  # DOKiP holds the data: nothing awaited


def test_planning_date_is_told_when_the_institution_is_closed(
    setups: dict[str, Setup], renderer: MailRenderer
) -> None:
    mail = pick(setups, "example", date(2027, 7, 14), MailKind.REMINDER, "prac-dokip")
    text = renderer.render(mail.kind, composer(setups["example"], renderer).view(
        mail, today=date(2027, 7, 14))).text  # fmt: skip
    assert "sprawozdanie trzeba wysłać najpóźniej w środę, 14 lipca 2027 r.\n" in text
    assert "Wyznaczenie:" in text


def test_without_a_secret_the_mail_names_the_command(
    setups: dict[str, Setup], renderer: MailRenderer
) -> None:
    mail = pick(setups, "example", date(2027, 1, 18), MailKind.REMINDER, "kier-dokip")
    view = composer(setups["example"], renderer, secret=None).view(mail, today=date(2027, 1, 18))
    text = renderer.render(mail.kind, view).text
    assert "/confirm/" not in text
    assert "terminarz done mpips-03@ops/2026 --by kier-dokip" in text


def test_message_id_is_derived_from_the_key(
    setups: dict[str, Setup], renderer: MailRenderer
) -> None:
    mail = pick(setups, "example", date(2027, 1, 18), MailKind.REMINDER, "kier-dokip")
    c = composer(setups["example"], renderer)
    first = c.compose(mail, today=date(2027, 1, 18), now=NOW)
    later = c.compose(mail, today=date(2027, 1, 19), now=NOW + timedelta(days=1))
    assert first.message_id == later.message_id
    key = mail.key
    assert make_message_id("mopr-przyklad", key, "terminarz@example.org") == first.message_id
    assert make_message_id("inny-osrodek", key, "terminarz@example.org") != first.message_id
    other = (key[0], key[1], key[2], "prac-dokip")
    assert make_message_id("mopr-przyklad", other, "terminarz@example.org") != first.message_id
    assert parse(first.message)["References"] == parse(later.message)["References"]


def _view(**changes: object) -> MailView:
    person = PersonView(id="x", name="Anna <b>Nowak</b> & syn", email="a@example.org", role="")
    base: dict[str, object] = dict(
        kind="reminder", step="T-5", organisation="Ośrodek", recipient=person, cc=(),
        occurrence_id="mpips-03@ops/2026", form="MPiPS-03", title="Sprawozdanie <roczne>",
        period="2026 r.", for_period="za 2026 r.", level="ops", report_to="wzps",
        due="poniedziałek, 1 lutego 2027 r.", due_short="pon 1 lut 2027",
        remaining="za 5 dni roboczych", working_days=5, planning=None, rule="reguła",
        basis="§ 3", basis_quote="", duty_name="", duty_basis="", responsible=(person,),
        substitutes=(), substitute=False, tier=None, designation_basis=None,
        needs_designation=False, unavailable=(), absences=(), fallback=person, reasons=(),
        awaited=(), task=None,
        step_day="poniedziałek, 25 stycznia 2027 r.", late=False, overdue_every="co 2 dni robocze",
        next_overdue=None, confirm_url="https://x.example/confirm/a?b=1&c=2",
        confirm_expires="1 marca 2027 r.", done_command="terminarz done x",
    )  # fmt: skip
    base.update(changes)
    return MailView(**base)  # type: ignore[arg-type]


def test_html_is_escaped_and_text_is_not(renderer: MailRenderer) -> None:
    rendered = renderer.render(MailKind.REMINDER, _view())
    assert "Anna &lt;b&gt;Nowak&lt;/b&gt; &amp; syn" in rendered.html
    assert "Sprawozdanie &lt;roczne&gt;" in rendered.html
    assert 'href="https://x.example/confirm/a?b=1&amp;c=2"' in rendered.html
    assert "Anna <b>Nowak</b> & syn" in rendered.text


def test_a_missing_variable_fails_loudly(tmp_path: Path) -> None:
    shutil.copytree(templates_dir() / "mail", tmp_path / "mail")
    path = tmp_path / "mail" / "reminder.txt.j2"
    path.write_text(path.read_text(encoding="utf-8") + "{{ m.no_such_field }}\n", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError, match="no_such_field"):
        MailRenderer(tmp_path).render(MailKind.REMINDER, _view())


def test_build_message_encodes_polish_headers() -> None:
    from terminarz.notify.mail import Rendered

    raw = build_message(
        rendered=Rendered(subject="Zażółć gęślą jaźń — termin", text="Treść ąę\n",
                          html="<p>Treść ąę</p>"),
        sender="terminarz@example.org", to=("Łukasz Żółw", "lz@example.org"),
        cc=[("Ćma, Śliwa", "cs@example.org")], message_id="<abc@example.org>", date=NOW,
    )  # fmt: skip
    assert raw.isascii()
    msg = parse(raw)
    assert msg["Subject"] == "Zażółć gęślą jaźń — termin"
    assert msg["To"].addresses[0].display_name == "Łukasz Żółw"
    assert msg["Cc"].addresses[0].display_name == "Ćma, Śliwa"
    assert msg.get_content_type() == "multipart/alternative"  # no attachment given


@pytest.mark.parametrize("kind", list(MailKind), ids=[k.value for k in MailKind])
def test_every_kind_has_both_templates(kind: MailKind) -> None:
    folder = templates_dir() / "mail"
    assert (folder / f"{kind.value}.txt.j2").is_file()
    assert (folder / f"{kind.value}.html.j2").is_file()


def test_mails_tell_colleagues_when_but_not_why_someone_is_away(
    setups: dict[str, Setup], renderer: MailRenderer
) -> None:
    """RODO: the handover goes to the substitutes with the absent people in copy; it says
    from when to when each is away, never the category (a sick leave is health data) nor
    the HR calendar it came from. ``who`` — the administrator's — keeps both."""
    mail = pick(setups, "example", date(2027, 1, 18), MailKind.HANDOVER, "prac-dokip")
    rendered = renderer.render(mail.kind, composer(setups["example"], renderer).view(
        mail, today=date(2027, 1, 18)))  # fmt: skip
    for text in (rendered.text, rendered.html):
        assert "od pon 25 sty 2027 do pt 12 lut 2027" in text  # zast-dsps, away
        for detail in ("zwolnienie lekarskie", "Urlop wypoczynkowy", "szkolenie wyjazdowe",
                       "urlopy.ics"):
            assert detail not in text, detail
    resolution = mail.planned.resolution
    assert resolution is not None
    assert any("(zwolnienie lekarskie)" in line for line in resolution.reasons)

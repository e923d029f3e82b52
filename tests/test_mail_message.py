"""The bytes of a reminder mail, whose headers ``build_message`` encodes and folds itself (for
speed) before the ``email`` generator writes them: every header, body and event property must
read back exactly, with the ``email`` package and with icalendar, within the length limits."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from conftest import open_state

from terminarz.errors import TerminarzError
from terminarz.law.catalogue import load_catalogues
from terminarz.notify.mail import Rendered, build_message, event_ics
from terminarz.org.plan import CatalogueCache
from terminarz.paths import calendars_dir
from terminarz.store.base import Claim

NOW = datetime(2027, 1, 18, 6, 0, 5, tzinfo=ZoneInfo("Europe/Warsaw"))
LONG_SUBJECT = ("Wymaga wyznaczenia (pkt II.5): MPiPS-03 za 2026 r. — nikt nie jest dostępny, "
                "termin pon 1 lut 2027; żółć, gęśl, jaźń — zażółć gęślą jaźń")  # fmt: skip


def parse(raw: bytes) -> EmailMessage:
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def message(**changes: object) -> bytes:
    base: dict[str, object] = dict(
        rendered=Rendered(subject="Przypomnienie: MPiPS-03 za 2026 r.", text="Treść ąę\nDruga\n",
                          html="<p>Treść ąę</p>\n"),
        sender="Terminarz MOPR <terminarz@example.org>", to=("Anna Nowak", "an@example.org"),
        message_id="<abc@example.org>", date=NOW,
    )  # fmt: skip
    base.update(changes)
    return build_message(**base)  # type: ignore[arg-type]


def test_lines_are_crlf_7bit_and_at_most_78_characters() -> None:
    raw = message(rendered=Rendered(subject=LONG_SUBJECT, text="x\n", html="<p>x</p>"),
                  cc=[("Ćma Śliwa", "cs@example.org"), ("Łukasz Żółw", "lz@example.org"),
                      ("Pracownik DOKiP wyznaczony przez kierownika działu", "k@example.org")],
                  ics=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")  # fmt: skip
    assert raw.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    # a long encoded display name is one word (see _address), folded around, never inside
    assert all(len(line) <= 78 or " " not in line.strip() for line in head.split("\r\n"))
    subject = head[head.index("Subject:") : head.index("Date:")].split()[1:]
    assert len(subject) == 4 and all(len(word) <= 75 for word in subject)


@pytest.mark.parametrize(("name", "subject"), [
    ("Anna Nowak", "Przypomnienie: MPiPS-03"),
    ("Kowalska, Anna (kadry)", "Subject with \"quotes\", commas; and (parens)"),
    ("Łukasz Żółw", LONG_SUBJECT),
    ("Pracownik DOKiP wyznaczony przez kierownika działu", "Zażółć gęślą jaźń " * 8),
    ("Anna\r\nBcc: x@evil.example", "Linia\r\nBcc: x@evil.example"),
], ids=["ascii", "specials", "polish-long-subject", "long-polish-name", "line-breaks"])  # fmt: skip
def test_headers_read_back_exactly(name: str, subject: str) -> None:
    msg = parse(message(rendered=Rendered(subject=subject, text="t\n", html="<p>t</p>"),
                        to=(name, "an@example.org"), cc=[(name, "cc@example.org")]))  # fmt: skip
    assert msg["Subject"] == " ".join(subject.split())
    assert msg["To"].addresses[0].display_name == " ".join(name.split())
    assert msg["To"].addresses[0].addr_spec == "an@example.org"
    assert msg["Cc"].addresses[0].display_name == " ".join(name.split())
    assert msg["Bcc"] is None
    assert msg["From"].addresses[0].display_name == "Terminarz MOPR"
    assert msg["Date"].datetime == NOW and msg["Message-ID"] == "<abc@example.org>"


def test_bodies_and_attachment_read_back_and_the_bytes_are_stable() -> None:
    ics = event_ics(uid="u@terminarz", due=date(2027, 2, 1), summary="MPiPS-03",
                    description="Opis", stamp=NOW)  # fmt: skip
    raw = message(ics=ics, ics_name="mpips-03-ops-2026.ics", thread_id="<t@example.org>",
                  extra_headers={"X-Terminarz": "próba"})  # fmt: skip
    assert raw == message(ics=ics, ics_name="mpips-03-ops-2026.ics", thread_id="<t@example.org>",
                          extra_headers={"X-Terminarz": "próba"})  # fmt: skip
    msg = parse(raw)
    assert msg["MIME-Version"] == "1.0" and msg["References"] == "<t@example.org>"
    assert msg["X-Terminarz"] == "próba"
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content() == "Treść ąę\r\nDruga\r\n"  # canonical line ends, in base64
    assert html.get_content() == "<p>Treść ąę</p>\r\n"
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "mpips-03-ops-2026.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    content = attachment.get_content()
    assert (content.encode() if isinstance(content, str) else content) == ics


@pytest.mark.parametrize("changes", [
    {},
    {"ics": b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "cc": [("Łukasz Żółw", "lz@example.org")]},
    {"rendered": Rendered(subject=LONG_SUBJECT, text="Wiersz\r\n" * 300 + "bez końca",
                          html="<p>" + "zażółć gęślą jaźń " * 400 + "</p>"),
     "reply_to": ("Dyrektor Ośrodka", "d@example.org"), "thread_id": "<t@example.org>",
     "extra_headers": {"X-Terminarz": "próba"}},
], ids=["short", "attachment-and-copy", "long-bodies"])  # fmt: skip
def test_the_bytes_are_those_of_the_email_packages_own_generator(
    changes: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """build_message writes each body in one piece (mail._Generator); the stock generator,
    line by line, gives the very same bytes."""
    from terminarz.notify import mail

    ours = message(**changes)
    monkeypatch.setattr(mail, "_flatten", lambda msg: msg.as_bytes(policy=mail._PREFOLDED))
    assert ours == message(**changes)


@pytest.mark.parametrize("size", [0, 1, 56, 57, 58, 114, 1000, 8191])
def test_bodies_are_base64_as_encodebytes_writes_it(size: int) -> None:
    import base64

    from terminarz.notify.mail import _base64_lines

    payload = bytes(range(256)) * (size // 256 + 1)
    assert _base64_lines(payload[:size]) == base64.encodebytes(payload[:size]).decode("ascii")


def test_an_address_that_would_break_the_header_is_refused() -> None:
    with pytest.raises(TerminarzError, match="końca wiersza"):
        message(to=("Anna", "an@example.org>\r\nBcc: x@evil.example"))
    with pytest.raises(TerminarzError, match="xn--"):
        message(sender="Ośrodek <biuro@ośrodek.pl>")


def test_the_event_reads_back_with_icalendar() -> None:
    summary = "MPiPS-03 za 2026 r. → wojewódzki zespół pomocy społecznej; uwaga, ważne \\ x"
    description = ("Sprawozdanie roczne (mpips-03@ops/2026)\nTermin: poniedziałek, 1 lutego 2027 r."
                   "\nOdpowiada: " + ", ".join(["Małgorzata Wiśniewska"] * 6))  # fmt: skip
    raw = event_ics(uid="0b5a@terminarz", due=date(2027, 2, 1), summary=summary,
                    description=description, stamp=NOW)  # fmt: skip
    lines = raw.split(b"\r\n")
    assert lines[-1] == b"" and all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")  # folding never splits a character
    calendar = icalendar.Calendar.from_ical(raw)
    assert calendar["METHOD"] == "PUBLISH" and calendar["VERSION"] == "2.0"
    (event,) = calendar.events
    assert str(event["SUMMARY"]) == summary
    assert str(event["DESCRIPTION"]) == description
    assert event.start == date(2027, 2, 1) and event.end == date(2027, 2, 2)
    assert event.decoded("DTSTAMP") == NOW.astimezone(UTC)
    assert str(event["UID"]) == "0b5a@terminarz" and str(event["TRANSP"]) == "TRANSPARENT"


def test_the_same_event_is_the_same_bytes() -> None:
    """A mail built twice (a dry run, then the night) is the same bytes, its event included:
    the calendar's UID is derived from the event's, not drawn at random."""
    first, second, other = (
        event_ics(uid=uid, due=date(2027, 2, 1), summary="MPiPS-03", description="Opis", stamp=NOW)
        for uid in ("a@terminarz", "a@terminarz", "b@terminarz")
    )
    assert first == second and first != other
    calendar = icalendar.Calendar.from_ical(first)
    assert str(calendar["UID"]) != "a@terminarz"  # the calendar's, not the event's
    assert message(ics=first) == message(ics=second)


# -- the catalogue cache of a run over many organisation files ------------------------------


def test_the_catalogue_cache_reads_each_set_once_and_rereads_a_changed_file(
    tmp_path: Path,
) -> None:
    bundled = calendars_dir() / "mpips-1992.toml"
    path = tmp_path / "katalog.toml"
    path.write_bytes(bundled.read_bytes())
    cache = CatalogueCache()
    first = cache.load([path])
    assert cache.load([tmp_path / "." / "katalog.toml"]) is first  # the same file, resolved
    assert first == load_catalogues([path])
    path.write_bytes(bundled.read_bytes() + b"\n# zmiana\n")
    os.utime(path, ns=(1, 1))
    again = cache.load([path])
    assert again is not first and again == first


def test_the_catalogue_cache_never_keeps_a_missing_or_broken_file(tmp_path: Path) -> None:
    cache = CatalogueCache()
    missing = tmp_path / "brak.toml"
    for _ in range(2):
        with pytest.raises(TerminarzError):
            cache.load([missing])
    broken = tmp_path / "zly.toml"
    broken.write_text("[act\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(TerminarzError):
            cache.load([broken])


# -- the epoch recorded with the first claims ------------------------------------------------


def claim(step: str) -> Claim:
    return Claim(occurrence_id="mpips-03@ops/2026", kind="reminder", step=step,
                 recipient="kier", series="termin", address="k@example.org",
                 envelope=("k@example.org",), message_id=f"<{step}@example.org>", subject=step,
                 day=date(2027, 1, 18), message=b"Subject: x\r\n\r\nx\r\n")  # fmt: skip


def test_the_first_claims_record_the_epoch_and_later_ones_keep_it(tmp_path: Path) -> None:
    with open_state(tmp_path / "s.sqlite3") as ledger:
        assert ledger.claim([], at=NOW) == [] and ledger.epoch() is None  # nothing written
        assert len(ledger.claim([claim("T-10")], at=NOW, epoch=date(2027, 1, 18))) == 1
        assert ledger.epoch() == date(2027, 1, 18)
        ledger.claim([claim("T-5")], at=NOW + timedelta(days=5), epoch=date(2027, 1, 25))
        assert ledger.epoch() == date(2027, 1, 18)


def test_a_night_with_nothing_to_send_still_records_the_epoch(tmp_path: Path) -> None:
    with open_state(tmp_path / "s.sqlite3") as ledger:
        assert ledger.claim([], at=NOW, epoch=date(2027, 1, 16)) == []
        assert ledger.epoch() == date(2027, 1, 16)

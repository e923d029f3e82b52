"""The sign-in link by mail: a person gives their address on ``/app/logowanie`` and gets a
one-time link (:mod:`terminarz.web.signin`) at the address the organisation file holds.

The page answers the same whether the address is known or not (nobody learns who has
an account), and the mail goes only to the address in ``[[people]]``, never to one
typed in. SMTP settings and their ``TERMINARZ_SMTP_*`` overrides are the nightly run's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid
from zoneinfo import ZoneInfo

from terminarz.notify.mailer import Mailer, MailError, effective_smtp, smtp_password
from terminarz.org.organisation import Organisation, Person
from terminarz.polish import date_words
from terminarz.web.signin import LINK_MINUTES

WARSAW = ZoneInfo("Europe/Warsaw")


def person_by_address(organisation: Organisation, address: str) -> Person | None:
    wanted = address.strip().casefold()
    if not wanted or "@" not in wanted:
        return None
    for person in organisation.people:
        if person.email.casefold() == wanted:
            return person
    return None


def login_message(organisation: Organisation, person: Person, url: str, *,
                  sender: str, now: datetime) -> EmailMessage:  # fmt: skip
    message = EmailMessage()
    message["Subject"] = "Link logowania do terminarza"
    message["From"] = formataddr(("terminarz", sender))
    message["To"] = formataddr((person.name, person.email))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Date"] = format_datetime(now)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        f"Dzień dobry,\n\n"
        f"dnia {date_words(now.astimezone(WARSAW).date())} poproszono o link logowania "
        f"do terminarza: {organisation.name}.\n\n"
        f"Aby się zalogować, proszę otworzyć link i nacisnąć przycisk „Zaloguj”:\n\n{url}\n\n"
        f"Link działa jeden raz i jest ważny {LINK_MINUTES} minut. Jeśli nie prosił(a) "
        f"Pan/Pani o logowanie, wystarczy zignorować tę wiadomość.\n\n"
        f"-- \nterminarz — wiadomość wysłana automatycznie\n"
    )
    return message


def send_login_mail(organisation: Organisation, person: Person, url: str, *,
                    environ: Mapping[str, str], now: datetime) -> None:  # fmt: skip
    """Send the link; :class:`MailError` when the server does not take it."""
    smtp = effective_smtp(organisation.settings.smtp, environ)
    message = login_message(organisation, person, url, sender=smtp.sender, now=now)
    with Mailer(settings=smtp, password=smtp_password(smtp, environ)) as mailer:
        mailer.send(message.as_bytes(policy=SMTP), sender=smtp.sender, recipients=[person.email])


__all__ = ["MailError", "login_message", "person_by_address", "send_login_mail"]

"""Sending mail over SMTP: one connection per run, transient failures retried with backoff.

The settings come from ``[smtp]`` of the organisation file; the environment
variables ``TERMINARZ_SMTP_HOST``, ``_PORT``, ``_SECURITY``, ``_USERNAME`` and
``_SENDER`` override them (:func:`effective_smtp`), and the password is only
ever read from the variable named by ``password_env``.

Failures are sorted into two kinds (:class:`MailError.temporary`):

* temporary — the server cannot be reached, drops the connection, or answers
  4xx: retried within the run after the :class:`RetryPolicy` delays, and if it
  still fails the mail stays pending for the next run;
* permanent — a 5xx answer (unknown mailbox, rejected sender, refused login):
  not retried, the mail is marked failed and the run exits non-zero.

When the server cannot be reached at all, :class:`ServerUnavailable` (a
temporary error) tells the caller to stop trying the remaining mails of the run.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from terminarz.errors import TerminarzError
from terminarz.settings import SmtpSettings

RETRY_LOG = logging.getLogger("terminarz.mail.retry")
"""Each retry, as it is about to wait (level INFO): ``remind --verbose`` shows them."""

ENV_PREFIX = "TERMINARZ_SMTP_"
SECURITY_CHOICES = ("none", "starttls", "tls")


class MailError(Exception):
    """A mail the server did not accept; ``temporary`` says whether a later try may succeed."""

    def __init__(self, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.temporary = temporary


@dataclass(frozen=True, slots=True, kw_only=True)
class SendResult:
    """What became of each address of one message."""

    accepted: tuple[str, ...] = ()
    refused: Mapping[str, MailError] = field(default_factory=dict)  # still refused
    unknown: Mapping[str, MailError] = field(default_factory=dict)  # transmitted, unanswered


class ServerUnavailable(MailError):
    """The server could not be reached (after the retries): no point trying other mails now."""

    def __init__(self, message: str) -> None:
        super().__init__(message, temporary=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How often and after how long a temporary failure is retried within one run.

    ``delays[i]`` is the pause in seconds before the (i+2)-th attempt; the number of
    attempts is ``len(delays) + 1``. The default waits 2, 10 and 30 seconds.
    """

    delays: tuple[float, ...] = (2.0, 10.0, 30.0)  # as [smtp] retry_delays

    @property
    def attempts(self) -> int:
        return len(self.delays) + 1


def effective_smtp(settings: SmtpSettings, environ: Mapping[str, str]) -> SmtpSettings:
    """``settings`` with the ``TERMINARZ_SMTP_*`` environment overrides applied.

    Raises :class:`TerminarzError` naming the variable when its value is wrong
    (a port that is not a number in 1–65535, an unknown security mode, an empty
    sender).
    """
    changes: dict[str, object] = {}
    host = environ.get(ENV_PREFIX + "HOST")
    if host is not None:
        if not host.strip():
            raise TerminarzError(f"zmienna {ENV_PREFIX}HOST jest pusta")
        changes["host"] = host.strip()
    port = environ.get(ENV_PREFIX + "PORT")
    if port is not None:
        try:
            number = int(port)
        except ValueError:
            number = 0
        if not 1 <= number <= 65535:
            raise TerminarzError(
                f"zmienna {ENV_PREFIX}PORT: „{port}” nie jest numerem portu (1–65535)"
            )
        changes["port"] = number
    security = environ.get(ENV_PREFIX + "SECURITY")
    if security is not None:
        if security not in SECURITY_CHOICES:
            raise TerminarzError(
                f"zmienna {ENV_PREFIX}SECURITY: „{security}” — dozwolone wartości: "
                + ", ".join(SECURITY_CHOICES)
            )
        changes["security"] = security
    username = environ.get(ENV_PREFIX + "USERNAME")
    if username is not None:
        changes["username"] = username or None
    sender = environ.get(ENV_PREFIX + "SENDER")
    if sender is not None:
        if "@" not in sender or any(c in sender for c in "\r\n"):
            raise TerminarzError(
                f"zmienna {ENV_PREFIX}SENDER: „{sender}” nie jest adresem e-mail"
            )
        changes["sender"] = sender
    return settings._replace(**changes) if changes else settings  # type: ignore[arg-type]


def smtp_password(settings: SmtpSettings, environ: Mapping[str, str]) -> str | None:
    """The password from the variable named by ``password_env`` (None when not configured).

    Raises :class:`TerminarzError` when the variable is named but not set: sending
    without it would only fail later with a less helpful "authentication failed".
    """
    if not settings.password_env:
        return None
    value = environ.get(settings.password_env)
    if value is None:
        raise TerminarzError(
            f"zmienna środowiskowa {settings.password_env} (wskazana w [smtp] password_env) "
            "nie jest ustawiona"
        )
    return value


def same_server(a: SmtpSettings, b: SmtpSettings) -> bool:
    """Whether one connection may serve both settings (same server, security and login)."""
    return (a.host, a.port, a.security, a.username) == (b.host, b.port, b.security, b.username)


@dataclass(kw_only=True)
class Mailer:
    """An SMTP client that keeps one connection open across mails and reconnects on demand.

    ``sleep`` is injected so tests of the retry logic do not wait.
    """

    settings: SmtpSettings
    password: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    local_hostname: str | None = None
    _smtp: smtplib.SMTP | None = field(default=None, init=False, repr=False)

    # -- connection ----------------------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            smtp: smtplib.SMTP
            if s.security == "tls":
                smtp = smtplib.SMTP_SSL(
                    s.host, s.port, local_hostname=self.local_hostname, timeout=s.timeout,
                    context=ssl.create_default_context(),
                )  # fmt: skip
            else:
                smtp = smtplib.SMTP(
                    s.host, s.port, local_hostname=self.local_hostname, timeout=s.timeout
                )
            try:
                smtp.ehlo_or_helo_if_needed()
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if s.username:
                    smtp.login(s.username, self.password or "")
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                f"serwer poczty {s.host}:{s.port} odrzucił logowanie użytkownika "
                f"{s.username}: {_reply(exc)}",
                temporary=False,
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise MailError(
                f"serwer poczty {s.host}:{s.port} nie obsługuje wymaganej funkcji: {exc}",
                temporary=False,
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise MailError(
                f"serwer poczty {s.host}:{s.port} odmówił połączenia: {_reply(exc)}",
                temporary=exc.smtp_code < 500,
            ) from None
        except ssl.SSLError as exc:
            raise MailError(
                f"błąd TLS w połączeniu z {s.host}:{s.port}: {exc}", temporary=False
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnavailable(
                f"nie można połączyć się z serwerem poczty {s.host}:{s.port}: {_os_reason(exc)}"
            ) from None
        return smtp

    def connection(self) -> smtplib.SMTP:
        """The open connection, connecting (with the retry delays) when there is none.

        Raises :class:`ServerUnavailable` when every attempt fails to reach the server.
        """
        if self._smtp is not None:
            return self._smtp
        last: MailError | None = None
        for attempt in range(self.retry.attempts):
            if attempt:
                self._wait(attempt, last)
            try:
                self._smtp = self._connect()
                return self._smtp
            except MailError as exc:
                if not exc.temporary:
                    raise
                last = exc
        assert last is not None
        raise ServerUnavailable(str(last))

    def _wait(self, attempt: int, reason: MailError | None) -> None:
        """Log the retry about to come (:data:`RETRY_LOG`), then wait before it."""
        delay = self.retry.delays[attempt - 1]
        RETRY_LOG.info("%s — ponowna próba %d z %d za %g s", reason or "odmowa serwera",
                       attempt + 1, self.retry.attempts, delay)  # fmt: skip
        self.sleep(delay)

    def close(self) -> None:
        """Say QUIT (ignoring a server that is already gone) and forget the connection."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- sending -------------------------------------------------------------------------

    def send(self, message: bytes, *, sender: str, recipients: Sequence[str]) -> SendResult:
        """Deliver ``message`` (complete, with headers, CRLF line ends) to ``recipients``.

        Each address is accepted or refused on its own: a temporary refusal (4xx) of
        one address is retried after the :class:`RetryPolicy` delays in a transaction
        for the addresses still waiting, never again for those that accepted it; a
        permanent refusal (5xx) ends that address. What is still refused after the
        retries is in :attr:`SendResult.refused`. Once the message was transmitted,
        an end-of-DATA the server never answers (timeout, dropped connection) makes
        its addresses :attr:`SendResult.unknown` — it may have been delivered, so it
        is not resent in this call.

        Raises :class:`MailError` when the whole message was refused (the sender, the
        DATA command), permanently at once or temporarily after the retries, and
        :class:`ServerUnavailable` when the server cannot be reached.
        """
        waiting = list(dict.fromkeys(recipients))
        accepted: list[str] = []
        refused: dict[str, MailError] = {}
        unknown: dict[str, MailError] = {}
        last: MailError | None = None
        for attempt in range(self.retry.attempts):
            if attempt:
                self._wait(attempt, last or next(iter(refused.values()), None))
            started = bool(accepted or unknown or refused)
            try:
                outcome = self._transaction(self.connection(), message, sender, waiting)
            except MailError as error:
                if not started and not error.temporary:
                    raise
                last = error
                if not error.temporary or isinstance(error, ServerUnavailable):
                    break
                continue
            last = None
            accepted += outcome.accepted
            unknown.update(outcome.unknown)
            for address in (*outcome.accepted, *outcome.unknown):
                refused.pop(address, None)
            refused.update(outcome.refused)
            waiting = [a for a, e in outcome.refused.items() if e.temporary]
            if not waiting:
                break
        if last is not None:
            if not (accepted or unknown or refused):
                raise last
            refused.update({address: last for address in waiting})
        return SendResult(accepted=tuple(accepted), refused=refused, unknown=unknown)

    def _transaction(
        self, smtp: smtplib.SMTP, message: bytes, sender: str, recipients: Sequence[str]
    ) -> SendResult:
        """One SMTP transaction: MAIL, RCPT for each address, DATA for those accepted."""
        try:
            code, reply = smtp.mail(sender)
            if code == 421:
                self._drop()
            if code != 250:
                raise MailError(f"serwer odrzucił nadawcę {sender}: {code} {_text(reply)}",
                                temporary=code < 500)  # fmt: skip
            refused: dict[str, MailError] = {}
            taken: list[str] = []
            for address in recipients:
                code, reply = smtp.rcpt(address)
                if code in (250, 251):
                    taken.append(address)
                else:
                    refused[address] = MailError(
                        f"serwer odrzucił adresata {address}: {code} {_text(reply)}",
                        temporary=code < 500,
                    )
                    if code == 421:
                        self._drop()
                        raise MailError(f"serwer zamyka połączenie: {code} {_text(reply)}",
                                        temporary=True)  # fmt: skip
            if not taken:
                smtp.rset()
                return SendResult(refused=refused)
            code, reply = smtp.docmd("DATA")
            if code != 354:
                if code == 421:
                    self._drop()
                else:
                    smtp.rset()
                raise MailError(f"serwer nie przyjął wiadomości: {code} {_text(reply)}",
                                temporary=code < 500)  # fmt: skip
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise MailError(f"połączenie przerwane: {_os_reason(exc)}", temporary=True) from None
        body = re.sub(rb"(?m)^\.", b"..", message)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        try:
            smtp.send(body + b".\r\n")
        except (OSError, smtplib.SMTPException) as exc:
            # Not all of it went out: without the final dot the server discards it.
            self._drop()
            raise MailError(f"połączenie przerwane: {_os_reason(exc)}", temporary=True) from None
        try:
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            # Transmitted, but the server never said whether it kept it.
            self._drop()
            error = MailError(
                "serwer nie potwierdził przyjęcia przesłanej wiadomości "
                f"({_os_reason(exc)}); mogła zostać doręczona", temporary=True,
            )  # fmt: skip
            return SendResult(refused=refused, unknown={a: error for a in taken})
        if code != 250:
            error = MailError(f"serwer nie przyjął wiadomości: {code} {_text(reply)}",
                              temporary=code < 500)  # fmt: skip
            if code == 421:
                self._drop()
            return SendResult(refused={**refused, **{a: error for a in taken}})
        return SendResult(accepted=tuple(taken), refused=refused)

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "przekroczono czas oczekiwania"
    if isinstance(exc, ConnectionRefusedError):
        return "połączenie odrzucone (serwer nie działa?)"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "serwer zamknął połączenie"
    if isinstance(exc, socket.gaierror):
        return f"nieznana nazwa serwera ({exc.strerror})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__

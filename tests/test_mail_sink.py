"""A real SMTP server for the reminder tests: aiosmtpd on a free loopback port.

Other test modules import :func:`smtp_sink` from here; the tests below check
the sink itself (it receives, it can refuse, it frees its port).
"""

from __future__ import annotations

import smtplib
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

Refuse = Callable[[Any], str | None]  # envelope → an SMTP reply to refuse with, or None


@dataclass(frozen=True, slots=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Sink:
    """The aiosmtpd handler: keeps what it accepts; ``refuse`` may answer 4xx/5xx instead."""

    refuse: Refuse | None = None
    refuse_rcpt: Callable[[str], str | None] | None = None  # address → a reply to refuse it
    answer_after: float = 0.0  # seconds to wait, after keeping a message, before answering
    hold: Callable[[], bool] | None = None  # while it says False, every message waits (≤ 2 min)
    received: list[Received] = field(default_factory=list)
    kept: list[Received] = field(default_factory=list)  # everything ever taken
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.refuse_rcpt is not None:
            reply = self.refuse_rcpt(address)
            if reply is not None:
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hold is not None:
            import asyncio
            import time

            deadline = time.monotonic() + 120
            while not self.hold() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)  # the server's other sessions go on meanwhile
        if self.refuse is not None:
            reply = self.refuse(envelope)
            if reply is not None:
                return reply
        with self._lock:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos),
                                          bytes(envelope.original_content or envelope.content)))
        if self.answer_after:
            import asyncio

            await asyncio.sleep(self.answer_after)  # kept, but the answer comes too late
        return "250 2.0.0 OK"

    def take(self) -> list[Received]:
        """Everything received since the last call (also added to ``kept``)."""
        with self._lock:
            out, self.received = self.received, []
        self.kept.extend(out)
        return out


class LoopbackController(Controller):  # type: ignore[misc]
    """``Controller`` on port 0: the OS picks a free port, read back once listening."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SinkServer:
    sink: Sink
    port: int
    host: str = "127.0.0.1"

    def env(self) -> dict[str, str]:
        """Environment overrides pointing terminarz at this server."""
        return {"TERMINARZ_SMTP_HOST": self.host, "TERMINARZ_SMTP_PORT": str(self.port),
                "TERMINARZ_SMTP_SECURITY": "none"}  # fmt: skip


@contextmanager
def smtp_sink(
    refuse: Refuse | None = None,
    port: int = 0,
    *,
    refuse_rcpt: Callable[[str], str | None] | None = None,
    answer_after: float = 0.0,
    **options: Any,
) -> Iterator[SinkServer]:
    """``options`` go to aiosmtpd's controller: ``ssl_context`` (TLS from the start),
    ``tls_context`` (STARTTLS), ``authenticator``, ``auth_require_tls`` …"""
    sink = Sink(refuse=refuse, refuse_rcpt=refuse_rcpt, answer_after=answer_after)
    controller = LoopbackController(sink, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield SinkServer(sink=sink, port=controller.port)
    finally:
        controller.stop()


def free_port() -> int:
    """A loopback port with nothing listening (bound and released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the sink itself ------------------------------------------------------------------


def test_sink_receives_on_its_own_port() -> None:
    with smtp_sink() as server:
        assert server.port > 0
        with smtplib.SMTP(server.host, server.port, timeout=5) as client:
            client.sendmail("a@example.org", ["b@example.org"],
                            b"Subject: x\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n")  # fmt: skip
        got = server.sink.take()
    assert [(r.mail_from, r.rcpt_tos, r.message_id) for r in got] == [
        ("a@example.org", ("b@example.org",), "<1@x>")
    ]


def test_sink_refuses_when_told() -> None:
    with smtp_sink(refuse=lambda envelope: "451 4.3.0 try later") as server, \
            smtplib.SMTP(server.host, server.port, timeout=5) as client:  # fmt: skip
        with pytest.raises(smtplib.SMTPDataError) as info:
            client.sendmail("a@example.org", ["b@example.org"], b"Subject: x\r\n\r\nbody\r\n")
        assert info.value.smtp_code == 451
        assert server.sink.take() == []


def test_stopped_sink_frees_the_port() -> None:
    with smtp_sink() as server:
        port = server.port
    with pytest.raises(OSError), smtplib.SMTP("127.0.0.1", port, timeout=2):
        pass

"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port, its own thread).

It records every accepted message and can be scripted to answer DATA with a
list of replies (``"451 4.3.0 try again later"`` twice, then accept) or to
refuse some recipients at RCPT (``"550 5.1.1 no such user"``)::

    with SmtpServer() as smtp:
        smtp.data_replies = ["451 4.3.0 busy", "451 4.3.0 busy"]
        ...
        assert len(smtp.messages) == 1
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self.server.refuse.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        with self.server.lock:
            self.server.attempts += 1
            if self.server.data_replies:
                return self.server.data_replies.pop(0)
            content = envelope.original_content or b""
            message = email.message_from_bytes(content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            self.server.envelopes.append((envelope.mail_from or "", list(envelope.rcpt_tos)))
            self.server.raw.append(content)
            self.server.messages.append(message)
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 with scripted answers; `messages` holds what it accepted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.data_replies: list[str] = []  # answers to the next DATA commands, then accept
        self.refuse: dict[str, str] = {}  # lower-cased address -> RCPT reply
        self.attempts = 0
        self.port = free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def to(self, address: str) -> list[EmailMessage]:
        """The accepted messages whose envelope included `address`."""
        with self.lock:
            return [m for m, (_, rcpts) in zip(self.messages, self.envelopes, strict=True)
                    if address in rcpts]  # fmt: skip

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._controller.stop()

    def settings_env(self) -> dict[str, Any]:
        """MONITOR_* values that point the service at this server."""
        return {
            "MONITOR_SMTP_HOST": "127.0.0.1",
            "MONITOR_SMTP_PORT": str(self.port),
            "MONITOR_SMTP_TLS": "none",
        }

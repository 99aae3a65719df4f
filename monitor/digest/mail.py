"""Digest e-mails as MIME messages, sent over SMTP (aiosmtplib) or written as ``.eml`` files.

`build_message` is pure: a multipart/alternative message (plain text first, then
HTML, both UTF-8), an RFC 2047 subject that survives any script, a stable
Message-ID per (recipient, period) so a re-send after a crash is recognisably
the same mail, and ``List-Unsubscribe`` (mailto, plus one-click when there is a
public URL). The mailers are the adapters:

- `SmtpMailer` retries 4xx answers and network errors with exponential
  backoff (tenacity) and raises `TemporaryDeliveryError` when they persist; a
  5xx answer raises `PermanentDeliveryError` at once.
- `OutboxMailer` writes the message under ``<data dir>/outbox/``.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Final, Protocol
from urllib.parse import quote

import aiosmtplib
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from monitor.errors import DeliveryError
from monitor.settings import Settings

DEFAULT_FROM: Final = "health-monitor@localhost"
FROM_NAME: Final = "Health cooperation monitor"
SMTP_TIMEOUT_S: Final = 60.0
RETRY_ATTEMPTS: Final = 5
RETRY_WAIT_S: Final = 2.0  # first backoff; doubles each time
RETRY_WAIT_MAX_S: Final = 60.0

Sleep = Callable[[float], Awaitable[None]]


class TemporaryDeliveryError(DeliveryError):
    """The server answered 4xx or could not be reached, even after retries: try later."""


class PermanentDeliveryError(DeliveryError):
    """The server refused the message for good (5xx): do not try again for this period."""


@dataclass(frozen=True)
class MailParts:
    """What one digest mail says, before it becomes MIME."""

    to: str
    subject: str
    text: str
    html: str
    message_id: str
    unsubscribe_mailto: str
    unsubscribe_url: str | None  # https link for one-click (RFC 8058), when served
    date: datetime


class Mailer(Protocol):
    """Delivers a built message; returns where it went (an SMTP host or a file)."""

    async def send(self, message: EmailMessage) -> str: ...


def sender_address(settings: Settings) -> str:
    """The From address: ``MONITOR_MAIL_FROM`` or a local placeholder."""
    return settings.mail_from or DEFAULT_FROM


def message_id(email: str, period_key: str, sender: str) -> str:
    """A Message-ID that is the same each time this (recipient, period) is sent."""
    domain = sender.rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(f"{email}\n{period_key}".encode()).hexdigest()[:20]
    key = re.sub(r"[^A-Za-z0-9.-]", "-", period_key)
    return f"<digest.{key}.{digest}@{domain}>"


def unsubscribe_links(sender: str, token: str, public_url: str | None) -> tuple[str, str | None]:
    """(mailto link, one-click https link or None) for a recipient's token."""
    mailto = f"mailto:{sender}?subject={quote('unsubscribe ' + token)}"
    url = f"{public_url.rstrip('/')}/unsubscribe?token={quote(token)}" if public_url else None
    return mailto, url


def build_message(parts: MailParts, *, sender: str) -> EmailMessage:
    """A multipart/alternative message (text, then HTML) with the digest's headers."""
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(FROM_NAME, addr_spec=sender)
    message["To"] = parts.to
    message["Subject"] = parts.subject
    message["Date"] = format_datetime(parts.date)
    message["Message-ID"] = parts.message_id
    message["Auto-Submitted"] = "auto-generated"
    message["Precedence"] = "bulk"
    links = [f"<{parts.unsubscribe_mailto}>"]
    if parts.unsubscribe_url:
        links.insert(0, f"<{parts.unsubscribe_url}>")
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["List-Unsubscribe"] = ", ".join(links)
    message.set_content(parts.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(parts.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def is_temporary(exc: BaseException) -> bool:
    """4xx answers and network trouble are worth another try; 5xx answers are not."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(400 <= r.code < 500 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return 400 <= exc.code < 500
    return isinstance(exc, aiosmtplib.SMTPException | OSError | TimeoutError)


def describe(exc: BaseException) -> str:
    """One line for the digest log and `monitor stats`: code and server text."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        first = exc.recipients[0]
        return f"{first.code} {first.message}".strip()
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}".strip()
    return f"{type(exc).__name__}: {exc}".strip()


class SmtpMailer:
    """Sends over SMTP: none / STARTTLS / TLS, login when a user is configured."""

    def __init__(
        self,
        *,
        host: str,
        port: int | None = None,
        tls: str = "starttls",
        user: str | None = None,
        password: str | None = None,
        timeout_s: float = SMTP_TIMEOUT_S,
        attempts: int = RETRY_ATTEMPTS,
        wait_s: float = RETRY_WAIT_S,
        sleep: Sleep | None = None,
    ) -> None:
        self.host = host
        self.port = port or {"tls": 465, "starttls": 587}.get(tls, 25)
        self.tls = tls
        self.user = user
        self.password = password
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.wait_s = wait_s
        self._sleep = sleep

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: float | int | Sleep | None) -> SmtpMailer:
        if not settings.smtp_host:
            raise ValueError("MONITOR_SMTP_HOST is not set")
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            tls=settings.smtp_tls,
            user=settings.smtp_user,
            password=settings.smtp_password,
            **kwargs,  # type: ignore[arg-type]
        )

    async def send(self, message: EmailMessage) -> str:
        """Send, retrying temporary failures.

        Raises:
            TemporaryDeliveryError: still 4xx or unreachable after the last attempt.
            PermanentDeliveryError: a 5xx answer.
        """
        retrying = AsyncRetrying(
            retry=retry_if_exception(is_temporary),
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.wait_s, max=RETRY_WAIT_MAX_S),
            reraise=False,
            sleep=self._sleep or asyncio.sleep,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self._send_once(message)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            reason = describe(last) if last else "unknown"
            raise TemporaryDeliveryError(
                f"{self.host}:{self.port} after {self.attempts} attempts: {reason}"
            ) from last
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise PermanentDeliveryError(f"{self.host}:{self.port}: {describe(exc)}") from exc
        return f"smtp://{self.host}:{self.port}"

    async def _send_once(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self.user,
            password=self.password if self.user else None,
            use_tls=self.tls == "tls",
            start_tls=self.tls == "starttls",
            timeout=self.timeout_s,
        )


class OutboxMailer:
    """Writes each message as an ``.eml`` file (what happens when SMTP is not configured)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> str:
        """Write the message; its path."""
        return str(write_eml(message, self.directory))


def write_eml(message: EmailMessage, directory: Path) -> Path:
    """Save `message` under `directory`, named after its Message-ID (same mail, same file)."""
    directory.mkdir(parents=True, exist_ok=True)
    ident = str(message.get("Message-ID", "message")).strip("<>").split("@")[0]
    path = directory / f"{re.sub(r'[^A-Za-z0-9._-]', '-', ident)}.eml"
    tmp = path.with_suffix(".eml.tmp")
    tmp.write_bytes(message.as_bytes())
    tmp.replace(path)  # a reader never sees half a file
    return path


def mailer_for(settings: Settings) -> Mailer:
    """SMTP when ``MONITOR_SMTP_HOST`` is set, else the outbox folder."""
    if settings.smtp_host:
        return SmtpMailer.from_settings(settings)
    return OutboxMailer(settings.outbox_dir)


def build_confirmation(
    to: str, code: str, *, sender: str, subject: str, body: str, date: datetime
) -> EmailMessage:
    """The plain-text mail that carries a confirmation code (the only mail to an
    address before it is confirmed)."""
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(FROM_NAME, addr_spec=sender)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id(to, f"confirm-{code}-{date.timestamp():.0f}", sender)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    return message

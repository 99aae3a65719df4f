"""Where alerts go: the sink protocol, the errors a sink raises, and the console sink.

A sink translates its own library's failures into these errors, which the deliverer
(`monitor.alerts.deliver`) turns into waits, retries, deactivations and moves; the
Telegram sink is `monitor.alerts.telegram_sink`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import Final, Protocol

from monitor.errors import DeliveryError

CONSOLE_CHAT: Final = 0  # no Telegram chat has id 0: the console's own subscription


class RetryLater(DeliveryError):
    """The chat service asked us to wait (HTTP 429)."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class TransientError(DeliveryError):
    """A server error, a network error or a timeout: trying again may work."""


class ChatGone(DeliveryError):
    """The chat can no longer be written to (HTTP 403)."""


class ChatMoved(DeliveryError):
    """The group became a supergroup: it now has another chat id."""

    def __init__(self, message: str, new_chat_id: int) -> None:
        super().__init__(message)
        self.new_chat_id = new_chat_id


class Rejected(DeliveryError):
    """The message was refused for good (HTTP 400 and the like)."""


class AlertSink(Protocol):
    """Where messages go: Telegram, or the console."""

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        buttons: Sequence[tuple[str, str]] = (),
        silent: bool = False,
    ) -> int | None:
        """Send one HTML message (`silent`: without a notification sound); its id, if any.

        Raises:
            RetryLater, TransientError, ChatGone, ChatMoved, Rejected.
        """
        ...


class ConsoleSink:
    """Alerts printed as text (no token): the same deliverer, the console as the chat."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        buttons: Sequence[tuple[str, str]] = (),
        silent: bool = False,
    ) -> int | None:
        prefix = "  ↳ " if reply_to is not None else "● "
        chat = "" if chat_id == CONSOLE_CHAT else f"[chat {chat_id}] "
        self._write(f"{prefix}{chat}{html_to_text(text)}")
        return None


def html_to_text(text: str) -> str:
    """Our Telegram HTML as plain text: tags dropped (links keep their URL), entities decoded.

    Every stored value was escaped, so each literal ``<`` starts one of our tags.
    """
    text = re.sub(r'<a href="([^"]*)">(.*?)</a>', r"\2 (\1)", text, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", text))

"""Sending through the Telegram Bot API, errors translated for the deliverer."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import timedelta

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from monitor.alerts.sinks import ChatGone, ChatMoved, Rejected, RetryLater, TransientError


class TelegramSink:
    """One `telegram.Bot` (the running application's, or one of its own for ``poll --once``)."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

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
        """Send one HTML message without link preview; its message id.

        `silent`: without a notification sound (``disable_notification``: quiet hours).

        Raises:
            RetryLater: 429 (flood control).
            ChatGone: 403.
            ChatMoved: the group became a supergroup (the old id is dead).
            Rejected: another 4xx, or the token is wrong.
            TransientError: 5xx, network errors and timeouts.
        """
        markup = (
            InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in buttons]])
            if buttons
            else None
        )
        reply = (
            ReplyParameters(reply_to, allow_sending_without_reply=True)
            if reply_to is not None
            else None
        )
        try:
            message = await self._bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                disable_notification=True if silent else None,  # None: not sent
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                message_thread_id=thread_id,
                reply_parameters=reply,
                reply_markup=markup,
            )
        except RetryAfter as exc:
            with warnings.catch_warnings():  # int today, timedelta in PTB 23: both handled
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            raise RetryLater(f"429 flood control: retry after {seconds:g} s", seconds) from exc
        except Forbidden as exc:
            raise ChatGone(f"403 {exc.message}") from exc
        except ChatMigrated as exc:
            raise ChatMoved(f"chat moved to {exc.new_chat_id}", exc.new_chat_id) from exc
        except (BadRequest, InvalidToken) as exc:
            raise Rejected(f"{type(exc).__name__}: {exc.message}") from exc
        except NetworkError as exc:  # 5xx, connection errors, TimedOut
            raise TransientError(f"{type(exc).__name__}: {exc.message}") from exc
        except TelegramError as exc:
            raise Rejected(f"{type(exc).__name__}: {exc.message}") from exc
        return message.message_id

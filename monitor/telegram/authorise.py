"""Who may do what, in one place: every registered handler says it with a decorator.

============================  ================================================================
``@admins_only(when=...)``    changes what a chat receives or where its digest goes: in a
                              group only its administrators (getChatMember), or an anonymous
                              admin posting as the group; in a private chat its one user.
                              `when` narrows the check to the updates that change something
                              (``/digest off`` does, ``/digest`` alone only reads).
``@operators_only``           the operators' commands (ids in ``MONITOR_TELEGRAM_ADMINS``).
``@anyone``                   reads, votes and help: every member may.
``@from_telegram``            service updates only Telegram sends (the bot added or removed,
                              a group migrated): no user can forge them.
============================  ================================================================

A refused user gets one polite line (an alert on a button) and nothing changes.
`authorisation(callback)` tells which of these a handler carries; a test walks every
handler the application registers and fails on one that carries none, so a new handler
cannot forget to decide.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Coroutine
from typing import Any, Final, Literal, Protocol, TypeVar

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.ext import ApplicationHandlerStop, ContextTypes

from monitor.telegram import i18n

Authorisation = Literal["admins", "operators", "anyone", "telegram"]
GROUP_ADMINS: Final = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)

_MARKS: dict[object, Authorisation] = {}  # handler function -> who may run it


class Speaks(Protocol):
    """A handler object that knows the chat's UI language (for the refusal)."""

    async def ui_language(self, update: Update) -> str: ...


class KnowsOperators(Speaks, Protocol):
    """A handler object that also knows the operators."""

    def is_operator(self, update: Update) -> bool: ...


S = TypeVar("S", bound=Speaks)
O = TypeVar("O", bound=KnowsOperators)  # noqa: E741
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])
Context = ContextTypes.DEFAULT_TYPE
Changes = Callable[[Update, Context], bool]


async def may_change(update: Update, context: Context) -> bool:
    """Whether the sender may change this chat's settings (private: yes; group: its admins)."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or chat.type == ChatType.PRIVATE:
        return True
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id  # an anonymous admin posts as the group
    if user is None:
        return False
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in GROUP_ADMINS


def admins_only(
    *, when: Changes | None = None, stop: bool = False
) -> Callable[
    [Callable[[S, Update, Context], Coroutine[Any, Any, R]]],
    Callable[[S, Update, Context], Coroutine[Any, Any, R | None]],
]:
    """Run the handler only for those who may change the chat (see `may_change`).

    Args:
        when: the updates that change something (default: all); others run unchecked.
        stop: after a refusal, stop later handler groups too (``ApplicationHandlerStop``).
    """

    def decorate(
        method: Callable[[S, Update, Context], Coroutine[Any, Any, R]],
    ) -> Callable[[S, Update, Context], Coroutine[Any, Any, R | None]]:
        @functools.wraps(method)
        async def guarded(self: S, update: Update, context: Context) -> R | None:
            if (when is None or when(update, context)) and not await may_change(update, context):
                await refuse(update, await self.ui_language(update), "group_admins_only")
                if stop:
                    raise ApplicationHandlerStop
                return None  # in a conversation: no state change, so it is not entered
            return await method(self, update, context)

        _MARKS[guarded] = "admins"
        return guarded

    return decorate


def operators_only(
    method: Callable[[O, Update, Context], Coroutine[Any, Any, R]],
) -> Callable[[O, Update, Context], Coroutine[Any, Any, R | None]]:
    """Run the handler only for the operators; anyone else gets a polite refusal."""

    @functools.wraps(method)
    async def guarded(self: O, update: Update, context: Context) -> R | None:
        if not self.is_operator(update):
            await refuse(update, await self.ui_language(update), "admin_only")
            return None
        return await method(self, update, context)

    _MARKS[guarded] = "operators"
    return guarded


def anyone(method: F) -> F:
    """Mark a handler every member may run: it reads, votes or explains; it changes no chat."""
    _MARKS[method] = "anyone"
    return method


def from_telegram(method: F) -> F:
    """Mark a handler of service updates that only Telegram sends (membership, migration)."""
    _MARKS[method] = "telegram"
    return method


def authorisation(callback: object) -> Authorisation | None:
    """Which decorator a handler (function or bound method) carries; None: none (a bug)."""
    return _MARKS.get(getattr(callback, "__func__", callback))


async def refuse(update: Update, lang: str, key: str) -> None:
    """Say no politely: an alert on a button, a reply to a message."""
    text = i18n.text(lang, key)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(
            html.escape(text, quote=False), parse_mode=ParseMode.HTML, do_quote=False
        )

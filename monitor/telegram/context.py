"""What every bot handler shares: the `BotContext` (settings, store, taxonomy, model,
clock), the chat's subscription and language, and the one way to answer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from telegram import ForceReply, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode

from classifiers.taxonomy import Taxonomy
from monitor.clock import Clock
from monitor.models import Subscription
from monitor.settings import Settings
from monitor.store import Store
from monitor.telegram import i18n


@dataclass(frozen=True)
class BotContext:
    """What every handler needs: settings, the store, the taxonomy, the model and the clock."""

    settings: Settings
    store: Store
    taxonomy: Taxonomy
    model_id: str | None
    clock: Clock

    def is_operator(self, update: Update) -> bool:
        """Whether the sender's id is in ``MONITOR_TELEGRAM_ADMINS``."""
        user = update.effective_user
        return user is not None and user.id in self.settings.telegram_admins

    async def subscription(self, update: Update) -> Subscription | None:
        """The chat's stored subscription, or None."""
        chat = update.effective_chat
        if chat is None:
            return None
        return await asyncio.to_thread(self.store.subscription, chat.id)

    async def lang(self, update: Update, sub: Subscription | None = None) -> str:
        """The chat's UI language: its subscription's, else the user's Telegram language."""
        sub = sub or await self.subscription(update)
        if sub is not None and sub.ui_language in i18n.languages():
            return sub.ui_language
        return user_language(update)

    async def save(self, update: Update, sub: Subscription) -> Subscription:
        """Store `sub` with the chat's type, title and forum topic as they are now."""
        sub = with_chat(sub, update)
        await asyncio.to_thread(self.store.save_subscription, sub, self.clock.now())
        return sub

    async def new_or_current(self, update: Update) -> Subscription:
        """The chat's subscription, or a new default one in the user's language."""
        chat = update.effective_chat
        assert chat is not None  # every update handled here comes from a chat
        current = await self.subscription(update)
        return current or Subscription(chat.id, ui_language=user_language(update))


def user_language(update: Update) -> str:
    """The sender's Telegram language as a UI language."""
    user = update.effective_user
    return i18n.ui_language(user.language_code if user else None)


def with_chat(sub: Subscription, update: Update) -> Subscription:
    """`sub` with the chat's type and title, and the forum topic the update came from."""
    chat = update.effective_chat
    message = update.effective_message
    if chat is None:
        return sub
    user = update.effective_user
    named = chat.title or chat.full_name or chat.username
    if not named and chat.type == ChatType.PRIVATE and user is not None:
        named = user.full_name  # a button press carries the bot's message's bare chat
    title = named or sub.title
    in_topic = message is not None and bool(message.is_topic_message)
    thread = message.message_thread_id if message is not None and in_topic else None
    return replace(sub, chat_type=str(chat.type), title=title or "", thread_id=thread)


async def reply(
    update: Update,
    text: str,
    markup: InlineKeyboardMarkup | ForceReply | None = None,
    *,
    quote: bool = False,
) -> Message | None:
    """Answer in the update's chat (and forum topic), as HTML without link previews."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_text(
        text,
        parse_mode=ParseMode.HTML,
        disable_web_page_preview=True,
        do_quote=quote,
        reply_markup=markup,
    )

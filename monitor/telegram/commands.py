"""The commands officials use: welcome, help, subscriptions, search, language, mute.

Handlers are short: parse the arguments (`parsing`), read or write the chat's
`Subscription` row in a worker thread (the store is synchronous), answer with
texts from `messages` and keyboards from `keyboards`. Subscriptions are store
rows, never bot data, so they survive restarts and every service process sees
them. Every handler says who may run it with a decorator from `authorise`: in
groups only the group's administrators change the subscription (checked with
getChatMember); anyone may read. Most handlers open the same way (`_opening`,
`_subscribed`): the chat's subscription, its language, "not subscribed".

The one conversation: ``/subscribe keyword`` without a word asks for it.

```mermaid
stateDiagram-v2
    [*] --> TYPING_KEYWORD: /subscribe keyword
    TYPING_KEYWORD --> [*]: a text message (the keyword is saved)
    TYPING_KEYWORD --> [*]: /cancel
```
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import time
from typing import Any, TypeVar

from telegram import ForceReply, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes, ConversationHandler

from classifiers.base import Labels
from monitor.durations import format_send_time, parse_send_time
from monitor.errors import StoreError
from monitor.filters import EVENT_TYPES, Filter
from monitor.models import StoredItem, Subscription
from monitor.telegram import i18n, keyboards, messages
from monitor.telegram.authorise import admins_only, anyone, from_telegram
from monitor.telegram.context import BotContext, reply, user_language
from monitor.telegram.parsing import (
    MAX_COUNT,
    LimitError,
    UsageError,
    addressed_to,
    apply_change,
    check_keywords,
    parse_count,
    parse_duration,
    parse_feedback,
    parse_language,
    parse_subscription,
    parse_switch,
    parse_words,
)

logger = logging.getLogger(__name__)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, object]]
T = TypeVar("T")

TYPING_KEYWORD = 1  # the conversation's one state: waiting for the keyword
LATEST_WINDOW = 200  # /latest picks relevant items first among this many
SEARCH_RESULTS = 10
SIMILAR_RESULTS = 5
SIMILAR_MIN_COSINE = 0.85  # e5 cosine of one story told in two languages (alerts use the same)
BOT_GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)


class Commands:
    """The handlers of the officials' commands, bound to one `BotContext`."""

    def __init__(self, bot: BotContext) -> None:
        self.bot = bot

    async def ui_language(self, update: Update) -> str:
        """The chat's UI language (what `authorise` answers a refusal in)."""
        return await self.bot.lang(update)

    @anyone
    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Welcome, a short guide and the default-subscription button."""
        lang = await self.bot.lang(update)
        await reply(update, messages.plain(lang, "welcome"), keyboards.start_keyboard(lang))

    @anyone
    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every command (and the operators' ones for operators)."""
        lang = await self.bot.lang(update)
        text = messages.plain(lang, "help")
        if self.bot.is_operator(update):
            text += "\n\n" + messages.plain(lang, "help_admin")
        await reply(update, text)

    @anyone
    async def topics(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The taxonomy's topics with their slugs."""
        await reply(update, messages.format_topics(self.bot.taxonomy, await self.bot.lang(update)))

    @admins_only()
    async def subscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Typed arguments change the subscription; none show the keyboard; ``keyword`` asks."""
        args = context.args or []
        sub, lang = await self._opening(update)
        if [a.casefold() for a in args] in (["keyword"], ["keywords"], ["키워드"]):
            prompt = messages.plain(lang, "keyword_prompt")
            await reply(update, prompt, ForceReply(selective=True), quote=True)  # for the sender
            return TYPING_KEYWORD
        if not args:
            current = sub.filter if sub else Filter()
            markup = keyboards.subscription_keyboard(
                current, section="topics", taxonomy=self.bot.taxonomy, lang=lang
            )
            await reply(update, messages.plain(lang, "choose_prompt"), markup)
            return ConversationHandler.END
        base = sub or await self.bot.new_or_current(update)
        try:
            change = parse_subscription(args, topics=self.bot.taxonomy.slugs)
            wanted = check_keywords(apply_change(base.filter, change, add=True))
        except LimitError as exc:
            await reply(update, messages.plain(lang, exc.key, **exc.values))
            return ConversationHandler.END
        except UsageError as exc:
            await self._usage(update, lang, "subscribe_usage", exc)
            return ConversationHandler.END
        saved = await self.bot.save(update, replace(base, filter=wanted, active=True))
        await self._summary(update, saved, lang, heading="subscribed")
        return ConversationHandler.END

    @admins_only()
    async def keyword_typed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """The keyword the conversation asked for: add it and end."""
        message = update.effective_message
        words = (message.text or "").split() if message else []
        lang = await self.bot.lang(update)
        base = await self.bot.new_or_current(update)
        try:
            change = parse_subscription(["keyword", *words], topics=())
            wanted = check_keywords(apply_change(base.filter, change, add=True))
        except LimitError as exc:
            await reply(update, messages.plain(lang, exc.key, **exc.values))
            return ConversationHandler.END if exc.key == "too_many_keywords" else TYPING_KEYWORD
        except UsageError as exc:
            await self._usage(update, lang, "subscribe_usage", exc)
            return TYPING_KEYWORD
        await self.bot.save(update, replace(base, filter=wanted, active=True))
        await reply(update, messages.plain(lang, "keyword_added", keyword=change.keywords[0]))
        return ConversationHandler.END

    @anyone
    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Leave the keyword conversation."""
        await reply(update, messages.plain(await self.bot.lang(update), "cancelled"))
        return ConversationHandler.END

    @anyone
    async def nothing_to_cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancel outside a conversation."""
        await reply(update, messages.plain(await self.bot.lang(update), "nothing_to_cancel"))

    @admins_only()
    async def unsubscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """No arguments: stop alerts to the chat; arguments: remove those from the filter."""
        args = context.args or []
        opened = await self._subscribed(update, lambda: None)
        if opened is None:
            return
        sub, lang, _ = opened
        if not args or [a.casefold() for a in args] in (["all"], ["전체"]):
            now = self.bot.clock.now()
            await asyncio.to_thread(
                self.bot.store.deactivate_subscription, sub.chat_id, "unsubscribed", now
            )
            await reply(update, messages.plain(lang, "unsubscribed"))
            return
        try:
            change = parse_subscription(args, topics=self.bot.taxonomy.slugs)
        except LimitError as exc:  # a keyword too long to be in the filter
            await reply(update, messages.plain(lang, exc.key, **exc.values))
            return
        except UsageError as exc:
            await self._usage(update, lang, "unsubscribe_usage", exc)
            return
        sub = await self.bot.save(
            update, replace(sub, filter=apply_change(sub.filter, change, add=False))
        )
        await self._summary(update, sub, lang)

    @anyone
    async def subscriptions(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """What this chat receives, with buttons to change or stop it."""
        sub, lang = await self._opening(update)
        if sub is None:
            await reply(
                update, messages.plain(lang, "not_subscribed"), keyboards.start_keyboard(lang)
            )
            return
        await self._summary(update, sub, lang)

    @admins_only()
    async def language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Set the chat's UI language (``/language en|ko``)."""
        sub, lang = await self._opening(update)
        try:
            chosen = parse_language(context.args or [], i18n.languages())
        except ValueError:
            choices = "|".join(i18n.languages())
            await reply(update, messages.plain(lang, "language_usage", choices=choices))
            return
        # a chat that only picks a language gets an inactive row: settings, no alerts
        base = sub or Subscription(self._chat_id(update), active=False)
        await self.bot.save(update, replace(base, ui_language=chosen))
        await reply(update, messages.plain(chosen, "language_set"))

    @admins_only()
    async def mute(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Pause alerts for a while (``/mute 2h``)."""
        opened = await self._subscribed(
            update, lambda: parse_duration(context.args or []), usage="mute_usage"
        )
        if opened is None:
            return
        sub, lang, duration = opened
        until = self.bot.clock.now() + duration
        await self.bot.save(update, replace(sub, muted_until=until))
        shown = messages.format_time(until, sub.zone)
        await reply(update, messages.plain(lang, "muted", until=shown))

    @admins_only()
    async def unmute(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Resume alerts now."""
        opened = await self._subscribed(update, lambda: None)
        if opened is None:
            return
        sub, lang, _ = opened
        await self.bot.save(update, replace(sub, muted_until=None))
        await reply(update, messages.plain(lang, "unmuted"))

    @admins_only()
    async def alerts(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Turn instant alerts on or off (``/alerts on|off``); ``digest``: only the digest.

        Digest-only is instant alerts off: the chat's digest (``/digest``, and its daily
        e-mail) does not depend on them.
        """
        args = context.args or []
        digest_only = [a.casefold() for a in args] in (["digest"], ["요약"])
        opened = await self._subscribed(
            update, lambda: False if digest_only else parse_switch(args), usage="alerts_usage"
        )
        if opened is None:
            return
        sub, lang, instant = opened
        # digest-only: the chat's daily digest comes here (`monitor.digest.chats`) at its
        # e-mail digest's time if it has one, else the default; on/off: no digest here
        digest_time = await self._digest_time(sub.chat_id) if digest_only else None
        await self.bot.save(update, replace(sub, instant=instant, digest_time=digest_time))
        key = "alerts_digest" if digest_only else "alerts_on" if instant else "alerts_off"
        at = format_send_time(digest_time) if digest_time is not None else ""
        await reply(update, messages.plain(lang, key, time=at, zone=sub.zone))

    async def _digest_time(self, chat_id: int) -> time:
        """When a digest-only chat gets its digest: its e-mail digest's time, else the default."""
        recipient = await asyncio.to_thread(self.bot.store.recipient_for_chat, chat_id)
        if recipient is not None:
            return recipient.send_time
        return parse_send_time(self.bot.settings.digest_time)

    @anyone
    async def latest(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The N newest items, relevant ones first."""
        lang = await self.bot.lang(update)
        try:
            count = parse_count(context.args or ())
        except ValueError:
            await reply(update, messages.plain(lang, "bad_count", maximum=MAX_COUNT))
            return
        rows = messages.relevant_first(await self._recent(LATEST_WINDOW))[:count]
        sub = await self.bot.subscription(update)
        zone = sub.zone if sub is not None else Subscription(0, ui_language=lang).zone
        await self._send_items(update, lang, rows, zone)

    @anyone
    async def search(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Items with every word, then similar stories in other languages (by embeddings)."""
        lang = await self.bot.lang(update)
        try:
            words = parse_words(context.args or ())
        except ValueError:
            await reply(update, messages.plain(lang, "search_usage"))
            return
        model = self.bot.model_id or ""
        store = self.bot.store
        rows = await asyncio.to_thread(
            store.search_items, words, model_id=model, limit=SEARCH_RESULTS
        )
        if not rows:
            await reply(update, messages.plain(lang, "no_results", words=" ".join(words)))
            return
        similar = await asyncio.to_thread(
            store.similar_items,
            [item.id for item, _ in rows],
            model_id=model,
            limit=SIMILAR_RESULTS * 4,
            min_cosine=SIMILAR_MIN_COSINE,
        )
        found = {_language(item, labels) for item, labels in rows}
        others = [(i, lab) for i, lab, _ in similar if _language(i, lab) not in found]
        blocks = await self._item_blocks(lang, rows)
        if others:
            blocks.append(f"<b>{messages.plain(lang, 'similar_header')}</b>")
            blocks += await self._item_blocks(lang, others[:SIMILAR_RESULTS])
        for text in messages.pack(blocks):
            await reply(update, text)

    @anyone  # a vote counts only for an item alerted to the chat (`Store.alerted_to`)
    async def feedback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """👍/👎 under an alert: store the chat's vote and thank."""
        query = update.callback_query
        assert query is not None  # registered for callback queries only
        lang = await self.bot.lang(update)
        try:
            item_id, vote = parse_feedback(query.data or "")
            chat_id = self._chat_id(update)
            store, now = self.bot.store, self.bot.clock.now()
            if not await asyncio.to_thread(store.alerted_to, chat_id, item_id):
                raise ValueError(f"item {item_id} was not alerted to chat {chat_id}")
            await asyncio.to_thread(store.save_feedback, chat_id, item_id, vote, now)
        except (ValueError, StoreError):
            logger.warning("feedback not stored: %r", query.data, exc_info=True)
            await query.answer(i18n.text(lang, "feedback_unknown"))
            return
        await query.answer(i18n.text(lang, "feedback_thanks"))

    @admins_only(when=lambda update, context: _tap_changes(update))
    async def tap(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A subscription keyboard button: apply it, redraw the message, answer the query."""
        query = update.callback_query
        assert query is not None  # registered for callback queries only
        sub, lang = await self._opening(update)
        try:
            tap = keyboards.parse_tap(query.data or "", topics=self.bot.taxonomy.slugs)
        except ValueError:  # crafted or out of date: nothing is stored
            await query.answer(i18n.text(lang, "button_unknown"))
            return
        base = sub or await self.bot.new_or_current(update)
        if tap.action == "stop":
            now = self.bot.clock.now()
            store = self.bot.store
            await asyncio.to_thread(
                store.deactivate_subscription, base.chat_id, "unsubscribed", now
            )
            markup = keyboards.subscriptions_keyboard(lang, active=False)
            await self._edit(query.message, messages.plain(lang, "unsubscribed"), markup)
        elif tap.action in ("on", "done"):
            if tap.action == "on" or sub is None:
                base = await self.bot.save(update, replace(base, active=True))
            heading = "subscribed" if tap.action == "on" else None
            markup = keyboards.subscriptions_keyboard(lang, active=base.active)
            await self._edit(query.message, self._summary_text(base, lang, heading), markup)
        else:
            if tap.action not in ("view", "edit"):
                base = await self.bot.save(
                    update, replace(base, filter=keyboards.toggle(base.filter, tap), active=True)
                )
            markup = keyboards.subscription_keyboard(
                base.filter,
                section=keyboards.section_of(tap),
                taxonomy=self.bot.taxonomy,
                lang=lang,
            )
            text = messages.plain(lang, "choose_prompt") if tap.action == "edit" else None
            await self._edit(query.message, text, markup)
        await query.answer(i18n.text(lang, "updated"))

    @from_telegram
    async def membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was added to or removed from a chat: greet it, or deactivate its subscription."""
        change = update.my_chat_member
        if change is None:
            return
        old, new = change.old_chat_member.status, change.new_chat_member.status
        if new in BOT_GONE:
            reason = "bot blocked" if change.chat.type == ChatType.PRIVATE else "bot removed"
            now = self.bot.clock.now()
            await asyncio.to_thread(
                self.bot.store.deactivate_subscription, change.chat.id, reason, now
            )
            logger.info("%s from chat %s", reason, change.chat.id)
        elif old in BOT_GONE and change.chat.type != ChatType.PRIVATE:
            lang = user_language(update)
            await context.bot.send_message(
                change.chat.id,
                messages.plain(lang, "welcome"),
                parse_mode=ParseMode.HTML,
                reply_markup=keyboards.start_keyboard(lang),
            )

    @from_telegram
    async def migrated(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup: its subscription and unsent alerts follow the new id.

        Telegram says so in both chats (``migrate_to_chat_id`` in the old group,
        ``migrate_from_chat_id`` in the new one); moving is idempotent.
        """
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id:
            old, new = message.chat.id, message.migrate_to_chat_id
        elif message.migrate_from_chat_id:
            old, new = message.migrate_from_chat_id, message.chat.id
        else:
            return
        if await asyncio.to_thread(self.bot.store.move_chat, old, new, self.bot.clock.now()):
            logger.info("chat %s became supergroup %s: its subscription moved", old, new)

    @anyone
    async def unknown(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command the bot does not know (in groups: only when addressed to this bot)."""
        message = update.effective_message
        text = message.text or "" if message else ""
        if not addressed_to(text, context.bot.username or ""):
            return
        command = text.split(maxsplit=1)[0].split("@")[0] if text.strip() else "/"
        await reply(update, messages.plain(await self.bot.lang(update), "unknown", command=command))

    # -- helpers -------------------------------------------------------------------

    async def _opening(self, update: Update) -> tuple[Subscription | None, str]:
        """What most handlers start with: the chat's subscription and its UI language."""
        sub = await self.bot.subscription(update)
        return sub, await self.bot.lang(update, sub)

    async def _subscribed(
        self, update: Update, parse: Callable[[], T], *, usage: str = ""
    ) -> tuple[Subscription, str, T] | None:
        """The shared opening of the handlers that change a subscription's settings.

        The chat's subscription and language, the arguments parsed by `parse` (a
        ``ValueError`` answers the catalogue's `usage` text), then "not subscribed"
        for a chat without one. None when the handler has been answered already.
        """
        sub, lang = await self._opening(update)
        try:
            value = parse()
        except ValueError as exc:
            await reply(update, messages.plain(lang, usage, reason=str(exc)))
            return None
        if sub is None:
            await reply(update, messages.plain(lang, "not_subscribed"))
            return None
        return sub, lang, value

    async def _usage(self, update: Update, lang: str, key: str, error: UsageError) -> None:
        topics = ", ".join(self.bot.taxonomy.slugs)
        events = ", ".join(EVENT_TYPES)
        text = messages.plain(lang, key, word=error.word, topics=topics, events=events)
        await reply(update, f"{html.escape(str(error))}\n\n{text}")

    def _summary_text(self, sub: Subscription, lang: str, heading: str | None = None) -> str:
        lines = [messages.plain(lang, heading or "sub_title")]
        lines += messages.format_filter(sub.filter, taxonomy=self.bot.taxonomy, lang=lang)
        if not sub.instant and sub.digest_time is not None:  # digest-only (`/alerts digest`)
            at = format_send_time(sub.digest_time)
            lines.append(messages.plain(lang, "sub_digest_only", time=at, zone=sub.zone))
        else:
            key = "sub_instant_on" if sub.instant else "sub_instant_off"
            lines.append(messages.plain(lang, key))
        if sub.muted(self.bot.clock.now()) and sub.muted_until is not None:
            until = messages.format_time(sub.muted_until, sub.zone)
            lines.append(messages.plain(lang, "sub_muted", until=until))
        lines.append(messages.zone_line(sub, lang))
        quiet = messages.quiet_line(sub, lang)
        if quiet:
            lines.append(quiet)
        if not sub.active:
            lines.append(messages.plain(lang, "sub_inactive"))
        if sub.thread_id is not None:
            lines.append(messages.plain(lang, "sub_thread"))
        return "\n".join(lines)

    async def _summary(
        self, update: Update, sub: Subscription, lang: str, heading: str | None = None
    ) -> None:
        markup = keyboards.subscriptions_keyboard(lang, active=sub.active)
        await reply(update, self._summary_text(sub, lang, heading), markup)

    async def _edit(self, message: object, text: str | None, markup: InlineKeyboardMarkup) -> None:
        if not isinstance(message, Message):
            return  # too old to edit (Telegram sends an inaccessible message)
        try:
            if text is None:
                await message.edit_reply_markup(reply_markup=markup)
            else:
                await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():  # a double tap changes nothing
                raise

    def _chat_id(self, update: Update) -> int:
        chat = update.effective_chat
        assert chat is not None  # commands and button presses come from a chat
        return chat.id

    async def _recent(self, limit: int) -> list[tuple[StoredItem, Labels | None]]:
        store = self.bot.store
        if self.bot.model_id is not None:
            return await asyncio.to_thread(store.items_with_labels, self.bot.model_id, limit=limit)
        items = await asyncio.to_thread(store.recent_items, limit)
        return [(item, None) for item in items]

    async def _item_blocks(
        self, lang: str, rows: Sequence[tuple[StoredItem, Labels | None]], tz: str = "UTC"
    ) -> list[str]:
        names = await asyncio.to_thread(self.bot.store.feed_names)
        return [
            messages.format_item(
                item,
                labels,
                feed_name=names.get(item.feed_url, item.feed_url),
                taxonomy=self.bot.taxonomy,
                lang=lang,
                tz=tz,
            )
            for item, labels in rows
        ]

    async def _send_items(
        self,
        update: Update,
        lang: str,
        rows: Sequence[tuple[StoredItem, Labels | None]],
        tz: str = "UTC",
    ) -> None:
        if not rows:
            await reply(update, messages.plain(lang, "no_items"))
            return
        for text in messages.pack(await self._item_blocks(lang, rows, tz)):
            await reply(update, text)


def _language(item: StoredItem, labels: Labels | None) -> str:
    return labels.language if labels else (item.language_hint or "")


def _tap_changes(update: Update) -> bool:
    """Whether a subscription button changes something (every tap but a section view)."""
    query = update.callback_query
    return query is None or not (query.data or "").startswith(keyboards.PREFIX + "v:")

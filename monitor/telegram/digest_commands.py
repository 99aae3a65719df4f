"""The Telegram side of e-mail digests: ``/digest`` and its confirmation codes.

::

    /digest                      today's digest here, as messages
    /digest email ADDRESS        mail a 6-digit code to ADDRESS (nothing else goes there)
    /digest confirm CODE         (or the bare code) confirm: the chat's recipient is created
    /digest time 07:30 [ZONE]    change the send time (and time zone)
    /digest off | on             stop or restart the e-mails

An address becomes a recipient only when the code mailed to it comes back to
the chat that asked, within `CODE_TTL` and `MAX_CODE_ATTEMPTS` tries: nobody
can subscribe someone else. Codes are stored hashed with the chat id. Code mails
are throttled in the database (`Store.claim_code_mail`): one per chat per
`CODE_INTERVAL`, and `CODES_PER_ADDRESS` per address per `ADDRESS_WINDOW` whichever
chats ask, so several groups cannot flood one mailbox, and a restart resets nothing.

In a group, only its administrators change its digest: ``email``, ``confirm`` (and a
bare code), ``time``, ``off`` and ``on`` go through `authorise.admins_only`; ``/digest``
alone and ``help`` only read.

`register(application, settings=..., store=..., clock=...)` adds the handlers
in group -1 and stops later groups once one answered, so a catch-all
"unknown command" handler of the bot never answers ``/digest`` too.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Final

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from classifiers.taxonomy import load_taxonomy
from monitor.clock import Clock
from monitor.digest.catalogue import Words, words
from monitor.digest.compose import period_ending
from monitor.digest.jobs import DigestBuilder, topic_names
from monitor.digest.mail import build_confirmation, mailer_for, sender_address
from monitor.digest.recipient import parse_email, parse_timezone, schedule_text
from monitor.digest.render import telegram_messages
from monitor.durations import format_send_time, parse_send_time
from monitor.errors import DeliveryError
from monitor.filters import Filter
from monitor.models import Recipient
from monitor.settings import Settings
from monitor.store import Store
from monitor.telegram import i18n
from monitor.telegram.authorise import admins_only, anyone

log = logging.getLogger(__name__)

CODE_TTL: Final = timedelta(minutes=30)
MAX_CODE_ATTEMPTS: Final = 5
CODE_INTERVAL: Final = timedelta(seconds=60)  # per chat: a code mail at most this often
CODES_PER_ADDRESS: Final = 3  # code mails to one address per ADDRESS_WINDOW, from any chats
ADDRESS_WINDOW: Final = timedelta(hours=1)
READ_ONLY: Final = ("show", "help")  # what /digest does without changing anything
HANDLER_GROUP: Final = -1
_CODE: Final = re.compile(r"^\s*(\d{6})\s*$")


# -- parsing (pure) ---------------------------------------------------------------


@dataclass(frozen=True)
class DigestCommand:
    """What ``/digest ...`` asked for."""

    action: str  # show | email | confirm | time | off | on | help
    value: str = ""
    zone: str = ""


def parse_digest_args(args: Sequence[str]) -> DigestCommand:
    """``/digest``'s arguments as a `DigestCommand` (``help`` when they make no sense)."""
    if not args:
        return DigestCommand("show")
    head, rest = args[0].lower(), list(args[1:])
    if head in ("off", "on", "help") and not rest:
        return DigestCommand(head)
    if head == "email" and len(rest) == 1:
        return DigestCommand("email", rest[0])
    if head == "confirm" and len(rest) == 1:
        return DigestCommand("confirm", rest[0])
    if _CODE.match(head) and not rest:
        return DigestCommand("confirm", head)
    if head == "time" and len(rest) in (1, 2):
        return DigestCommand("time", rest[0], rest[1] if len(rest) == 2 else "")
    return DigestCommand("help")


def code_hash(chat_id: int, code: str) -> str:
    """What the store keeps of a code: bound to the chat, never the code itself."""
    return hashlib.sha256(f"{chat_id}:{code.strip()}".encode()).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


# -- handlers ---------------------------------------------------------------------


class _DigestCommands:
    def __init__(self, settings: Settings, store: Store, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock

    async def ui_language(self, update: Update) -> str:
        """The chat's digest language (what `authorise` answers a refusal in)."""
        return (await self._words(update)).language

    @admins_only(when=lambda update, context: _changes(context.args or ()), stop=True)
    async def digest(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/digest [email ADDRESS | confirm CODE | time HH:MM [ZONE] | off | on]."""
        chat = update.effective_chat
        if chat is None:
            return
        command = parse_digest_args(context.args or ())
        w = await self._words(update)
        if command.action == "show":
            await self._show(update, chat.id, w)
        elif command.action == "email":
            await self._email(update, chat.id, command.value, w)
        elif command.action == "confirm":
            await self._confirm(update, chat.id, command.value, w)
        elif command.action == "time":
            await self._time(update, chat.id, command, w)
        elif command.action in ("off", "on"):
            await self._switch(update, chat.id, command.action == "on", w)
        else:
            await _reply(update, html.escape(w("bot_usage")))
        raise ApplicationHandlerStop

    @anyone  # any number may be typed; confirming it is `confirm_code`'s, admins only
    async def bare_code(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A 6-digit message from a chat with a pending code confirms it."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None or not message.text:
            return
        pending = await asyncio.to_thread(self.store.pending_confirmation, chat.id)
        if pending is None:
            return  # just a number: not ours
        await self.confirm_code(update, context)
        raise ApplicationHandlerStop

    @admins_only(stop=True)
    async def confirm_code(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Confirm the chat's pending code with the message's text (a bare code)."""
        chat, message = update.effective_chat, update.effective_message
        assert chat is not None and message is not None  # bare_code checked both
        await self._confirm(update, chat.id, message.text or "", await self._words(update))

    async def _show(self, update: Update, chat_id: int, w: Words) -> None:
        recipient = await asyncio.to_thread(self.store.recipient_for_chat, chat_id)
        if recipient is None:
            recipient = Recipient(
                email="telegram",
                filter=await self._chat_filter(chat_id),
                timezone=await self._chat_timezone(chat_id),
                language=w.language,
            )
        recipient = replace(recipient, language=w.language)
        taxonomy = await asyncio.to_thread(load_taxonomy)
        builder = DigestBuilder(self.settings, self.store, taxonomy)
        period = period_ending(recipient, self.clock.now())
        digest = await asyncio.to_thread(builder.compose, recipient, period)
        for text in telegram_messages(digest, topic_names=topic_names(taxonomy, w.language)):
            await _reply(update, text)

    async def _email(self, update: Update, chat_id: int, value: str, w: Words) -> None:
        try:
            address = parse_email(value)
        except ValueError:
            await _reply(update, html.escape(w("bot_bad_email", value=value)))
            return
        now = self.clock.now()
        held = await asyncio.to_thread(
            self.store.claim_code_mail,
            address,
            chat_id,
            now,
            chat_interval=CODE_INTERVAL,
            address_window=ADDRESS_WINDOW,
            address_limit=CODES_PER_ADDRESS,
        )
        if held == "chat":
            await _reply(update, html.escape(w("bot_code_wait")))
            return
        if held == "address":
            log.warning(
                "code mail to %s held back: %d in %s", address, CODES_PER_ADDRESS, ADDRESS_WINDOW
            )
            await _reply(update, html.escape(i18n.text(w.language, "code_address_busy")))
            return
        code = new_code()
        await asyncio.to_thread(
            self.store.save_confirmation,
            chat_id,
            address,
            code_hash(chat_id, code),
            expires_at=now + CODE_TTL,
            now=now,
        )
        minutes = int(CODE_TTL.total_seconds() // 60)
        message = build_confirmation(
            address,
            code,
            sender=sender_address(self.settings),
            subject=w("confirm_subject", code=code),
            body=w("confirm_body", email=address, code=code, minutes=minutes),
            date=now,
        )
        try:
            await mailer_for(self.settings).send(message)
        except DeliveryError as exc:
            log.warning("confirmation code to %s not sent: %s", address, exc)
            reason = str(exc).rsplit(": ", 1)[-1]
            await _reply(update, html.escape(w("bot_mail_failed", email=address, reason=reason)))
            return
        await _reply(update, html.escape(w("bot_code_sent", email=address, minutes=minutes)))

    async def _confirm(self, update: Update, chat_id: int, value: str, w: Words) -> None:
        now = self.clock.now()
        pending = await asyncio.to_thread(self.store.pending_confirmation, chat_id)
        if pending is None:
            await _reply(update, html.escape(w("bot_no_code")))
            return
        address = await asyncio.to_thread(
            self.store.use_confirmation,
            chat_id,
            code_hash(chat_id, value),
            now=now,
            max_attempts=MAX_CODE_ATTEMPTS,
        )
        if address is None:
            await _reply(update, html.escape(w("bot_bad_code")))
            return
        current = await asyncio.to_thread(self.store.recipient, address)
        previous = await asyncio.to_thread(self.store.recipient_for_chat, chat_id)
        if previous is not None and previous.email != address:
            # one address per chat: the new one takes over the old one's settings
            await asyncio.to_thread(self.store.remove_recipient, previous.email)
            current = current or replace(previous, email=address, token="")
        if current is None:
            current = Recipient(
                email=address,
                filter=await self._chat_filter(chat_id),
                send_time=parse_send_time(self.settings.digest_time),
                timezone=await self._chat_timezone(chat_id),
            )
        recipient = replace(
            current, confirmed=True, active=True, chat_id=chat_id, language=w.language
        )
        saved = await asyncio.to_thread(self.store.save_recipient, recipient, now)
        text = w("bot_confirmed", email=saved.email, schedule=schedule_text(saved))
        await _reply(update, html.escape(text))

    async def _time(self, update: Update, chat_id: int, command: DigestCommand, w: Words) -> None:
        recipient = await asyncio.to_thread(self.store.recipient_for_chat, chat_id)
        subscription = await asyncio.to_thread(self.store.subscription, chat_id)
        if subscription is not None and subscription.digest_time is not None:
            # a digest-only chat's digest in the chat follows (`monitor.digest.chats`)
            try:
                at = parse_send_time(command.value)
            except ValueError as exc:
                await _reply(update, html.escape(w("bot_bad_time", reason=str(exc))))
                return
            saved_sub = replace(subscription, digest_time=at)
            await asyncio.to_thread(self.store.save_subscription, saved_sub, self.clock.now())
            if recipient is None:
                shown = f"{format_send_time(at)} ({subscription.zone})"
                await _reply(update, html.escape(w("bot_chat_time_set", schedule=shown)))
                return
        if recipient is None:
            await _reply(update, html.escape(w("bot_no_recipient")))
            return
        try:
            changed = replace(recipient, send_time=parse_send_time(command.value))
            if command.zone:
                changed = replace(changed, timezone=parse_timezone(command.zone))
        except ValueError as exc:
            await _reply(update, html.escape(w("bot_bad_time", reason=str(exc))))
            return
        saved = await asyncio.to_thread(self.store.save_recipient, changed, self.clock.now())
        text = w("bot_time_set", email=saved.email, schedule=schedule_text(saved))
        await _reply(update, html.escape(text))

    async def _switch(self, update: Update, chat_id: int, on: bool, w: Words) -> None:
        recipient = await asyncio.to_thread(self.store.recipient_for_chat, chat_id)
        if recipient is None:
            await _reply(update, html.escape(w("bot_no_recipient")))
            return
        saved = await asyncio.to_thread(
            self.store.save_recipient, replace(recipient, active=on), self.clock.now()
        )
        key = "bot_on" if on else "bot_off"
        await _reply(update, html.escape(w(key, email=saved.email, schedule=schedule_text(saved))))

    async def _chat_filter(self, chat_id: int) -> Filter:
        """The chat's Telegram subscription filter, so alerts and digest agree."""
        subscription = await asyncio.to_thread(self.store.subscription, chat_id)
        return subscription.filter if subscription is not None else Filter()

    async def _chat_timezone(self, chat_id: int) -> str:
        """The chat's zone (/timezone, else its language's guess), else the default."""
        subscription = await asyncio.to_thread(self.store.subscription, chat_id)
        if subscription is not None and subscription.zone != "UTC":
            return subscription.zone
        return self.settings.timezone

    async def _words(self, update: Update) -> Words:
        chat = update.effective_chat
        if chat is not None:
            recipient = await asyncio.to_thread(self.store.recipient_for_chat, chat.id)
            if recipient is not None:
                return words(recipient.language)
            subscription = await asyncio.to_thread(self.store.subscription, chat.id)
            if subscription is not None:
                return words(subscription.ui_language)
        user = update.effective_user
        code = (user.language_code or "") if user else ""
        return words("ko" if code.lower().startswith("ko") else "en")


def _changes(args: Sequence[str]) -> bool:
    """Whether ``/digest ARGS`` changes the chat's digest (all but showing it and help)."""
    return parse_digest_args(args).action not in READ_ONLY


async def _reply(update: Update, text: str) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(
            text, parse_mode=ParseMode.HTML, disable_web_page_preview=True, do_quote=False
        )


def register(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    settings: Settings,
    store: Store,
    clock: Clock,
) -> None:
    """Add ``/digest`` and the bare-code handler to `application`."""
    commands = _DigestCommands(settings, store, clock)
    application.add_handler(CommandHandler("digest", commands.digest), group=HANDLER_GROUP)
    code_only = filters.TEXT & ~filters.COMMAND & filters.Regex(_CODE)
    application.add_handler(MessageHandler(code_only, commands.bare_code), group=HANDLER_GROUP)
